//! `neurc check`: every error in a model, or a summary of what it is.

use crate::Outcome;
use crate::args::CheckArgs;
use crate::input::compile;
use crate::ir::{memory_limit, too_large};
use crate::output::print_out;
use neurc_compiler::passes::expand::{ExpandError, check_memory, estimate, human_bytes};
use neurc_ir::{Dimension, Network, Node, units::Quantity};

/// Runs `neurc check`.
pub fn run(args: &CheckArgs) -> Outcome {
    let (compilation, network) = match compile(&args.model) {
        Ok(ok) => ok,
        Err(outcome) => return outcome,
    };
    let estimates = estimate(&network);
    let synapses = estimates
        .iter()
        .map(|e| e.expected_synapses)
        .sum::<f64>()
        .round() as u64;
    let bytes: u64 = estimates.iter().map(|e| e.held_bytes).sum();
    if let Err(ExpandError::TooLarge {
        projection,
        estimated_bytes,
        limit_bytes,
        ..
    }) = check_memory(&estimates, memory_limit(args.max_memory))
    {
        return too_large(
            &network,
            &compilation.sources,
            projection,
            estimated_bytes,
            limit_bytes,
            args.model.json,
        );
    }
    if args.model.json {
        let summary = serde_json::json!({
            "file": args.model.file.display().to_string(),
            "populations": count(&network, |n| matches!(n, Node::Population(_))),
            "sources": count(&network, |n| matches!(n, Node::Source(_))),
            "neurons": network.neuron_count(),
            "projections": network.projections().count(),
            "estimated_synapses": synapses,
            "estimated_bytes": bytes,
            "dt_s": network.simulation.dt,
            "duration_s": network.simulation.duration,
            "seed": network.simulation.seed,
        });
        return print_out(&format!("{summary:#}\n"));
    }
    let file = args.model.file.display().to_string();
    print_out(&format!("{}\n", summary(&network, &file, synapses, bytes)))
}

fn count(network: &Network, kind: impl Fn(&Node) -> bool) -> usize {
    network.nodes().filter(|(_, n)| kind(n)).count()
}

/// The human summary of a checked network.
fn summary(network: &Network, file: &str, synapses: u64, bytes: u64) -> String {
    let sim = network.simulation;
    let steps = (sim.duration / sim.dt).round();
    let mut lines = vec![format!("{file}: ok")];
    let row = |label: &str, value: String| format!("  {label:<12}{value}");
    for (_, node) in network.nodes() {
        if let Some(p) = node.population() {
            let model = network.model(p.model).map_or("?", |m| m.name.as_str());
            let kind = if matches!(node, Node::Source(_)) {
                "source"
            } else {
                "population"
            };
            lines.push(row(kind, format!("{} = {model}[{}]", p.name, p.size)));
        }
    }
    lines.push(row("neurons", network.neuron_count().to_string()));
    lines.push(row(
        "projections",
        network.projections().count().to_string(),
    ));
    lines.push(row("synapses", format!("{synapses} (estimated)")));
    lines.push(row(
        "memory",
        format!("{} for synapse tables (estimated)", human_bytes(bytes)),
    ));
    lines.push(row(
        "simulate",
        format!(
            "dt {}, duration {} ({steps} steps), seed {}",
            Quantity {
                value: sim.dt,
                dimension: Dimension::TIME
            },
            Quantity {
                value: sim.duration,
                dimension: Dimension::TIME
            },
            sim.seed
        ),
    ));
    lines.join("\n")
}
