//! `neurc ir`: the IR of a model as JSON (optionally with every synapse
//! table) or as readable text.

use crate::Outcome;
use crate::args::IrArgs;
use crate::input::compile;
use crate::output::{finish_output, print_diagnostics, print_out};
use neurc_compiler::diagnostic::{Diagnostic, SourceMap};
use neurc_compiler::passes::expand::human_bytes;
use neurc_compiler::passes::expand::{ExpandError, ExpandOptions, default_memory_limit, expand};
use neurc_ir::{Connectivity, Network, ProjId};
use serde::Serialize;
use std::io::Write;

/// Runs `neurc ir`.
pub fn run(args: &IrArgs) -> Outcome {
    let (compilation, network) = match compile(&args.model) {
        Ok(ok) => ok,
        Err(outcome) => return outcome,
    };
    if args.text {
        return print_out(&neurc_ir::print::print(&network));
    }
    let connectivity = if args.expanded {
        let options = ExpandOptions {
            threads: args.threads,
            max_memory_bytes: memory_limit(args.max_memory),
        };
        match expand(&network, &options) {
            Ok(c) => {
                if cfg!(debug_assertions)
                    && let Err(violations) = neurc_ir::verify_connectivity(&network, &c)
                {
                    for v in violations {
                        eprintln!("error[neurc::internal::invalid_tables]: {v}");
                    }
                    return Outcome::Internal;
                }
                Some(c)
            }
            Err(error) => {
                return report_expand_error(&network, &compilation.sources, error, args.model.json);
            }
        }
    } else {
        None
    };
    // Streamed: an expanded network holds millions of synapses, too many
    // to build a JSON tree of first.
    let document = IrDocument {
        network: &network,
        connectivity: connectivity.as_ref(),
    };
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let written = serde_json::to_writer(&mut out, &document)
        .map_err(std::io::Error::from)
        .and_then(|()| writeln!(out))
        .and_then(|()| out.flush());
    finish_output(written)
}

/// What `neurc ir` prints.
#[derive(Serialize)]
struct IrDocument<'a> {
    network: &'a Network,
    connectivity: Option<&'a Connectivity>,
}

/// The memory limit for synapse tables: the user's, or half of physical memory.
pub fn memory_limit(given: Option<u64>) -> u64 {
    given.unwrap_or_else(default_memory_limit)
}

/// Reports a network too large for the memory limit (exit code 2).
pub fn too_large(
    network: &Network,
    sources: &SourceMap,
    projection: ProjId,
    bytes: u64,
    limit: u64,
    json: bool,
) -> Outcome {
    let name = network
        .graph
        .edge_weight(projection.index())
        .and_then(|e| match e {
            neurc_ir::Edge::Projection(p) => Some(p.name.clone()),
            neurc_ir::Edge::Coupling(_) => None,
        })
        .unwrap_or_else(|| projection.to_string());
    let mut d = Diagnostic::error(
        "neurc::memory::too_large",
        format!(
            "the synapse tables need about {} ({bytes} bytes), more than the limit of {} ({limit} bytes)",
            human_bytes(bytes),
            human_bytes(limit)
        ),
    )
    .help("shrink the network (fewer neurons or a lower connection probability, e.g. with --set), or raise --max-memory if the machine has the memory");
    if let Some(span) = network.spans.edges.get(&projection) {
        d = d.label(*span, format!("the largest projection, `{name}`"));
    }
    print_diagnostics(&[d], sources, json);
    crate::Outcome::DoesNotFit
}

/// Reports a failed expansion: a network over the memory limit (exit 2),
/// or an invalid projection, pointing at it (exit 1).
pub fn report_expand_error(
    network: &Network,
    sources: &SourceMap,
    error: ExpandError,
    json: bool,
) -> Outcome {
    match error {
        ExpandError::TooLarge {
            projection,
            estimated_bytes,
            limit_bytes,
            ..
        } => too_large(
            network,
            sources,
            projection,
            estimated_bytes,
            limit_bytes,
            json,
        ),
        error => {
            let d = expand_diagnostic(network, &error);
            print_diagnostics(&[d], sources, json);
            Outcome::UserError
        }
    }
}

/// An expansion error pointing at its projection.
fn expand_diagnostic(network: &Network, error: &ExpandError) -> Diagnostic {
    let d = Diagnostic::error("neurc::expand::invalid", error.to_string())
        .help("fix the projection's rule or sizes");
    match network.spans.edges.get(&error.projection()) {
        Some(span) => d.label(*span, "this projection"),
        None => d,
    }
}
