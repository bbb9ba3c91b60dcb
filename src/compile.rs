//! `neurc compile`: map a model onto a Loihi-style chip system and write
//! the image with its resource and quantization reports.

use crate::Outcome;
use crate::args::{ChipArgs, ChipTarget, CompileArgs};
use crate::input::compile;
use crate::ir::{memory_limit, report_expand_error};
use crate::output::{print_diagnostics, print_out};
use neurc_compiler::diagnostic::{Diagnostic, SourceMap};
use neurc_compiler::passes::chip::map::MAPPING_BYTES_PER_SYNAPSE;
use neurc_compiler::passes::chip::quantize::QuantizationReport;
use neurc_compiler::passes::chip::{ChipError, Mapping, map};
use neurc_compiler::passes::expand::{ExpandOptions, estimate, expand, human_bytes};
use neurc_ir::Network;
use neurc_ir::chip::ChipSpec;
use neurc_runtime::chip::ChipRunPlan;
use neurc_runtime::output::{self, write_atomically};
use neurc_runtime::progress::Stage;
use std::fmt::Write as _;
use std::path::Path;
use std::time::Instant;

/// Runs `neurc chip`: prints a preset spec to edit.
pub fn print_preset(args: &ChipArgs) -> Outcome {
    let spec = preset(args.preset);
    let text = if args.json {
        serde_json::to_string_pretty(&spec).map_err(|e| e.to_string())
    } else {
        toml::to_string(&spec).map_err(|e| e.to_string())
    };
    match text {
        Ok(text) => print_out(&format!("{}\n", text.trim_end())),
        Err(error) => {
            eprintln!("error[neurc::internal]: cannot print the spec: {error}");
            Outcome::Internal
        }
    }
}

fn preset(target: ChipTarget) -> ChipSpec {
    match target {
        ChipTarget::Loihi => ChipSpec::loihi(),
        ChipTarget::Loihi2 => ChipSpec::loihi2(),
    }
}

/// Runs `neurc compile`.
pub fn run(args: &CompileArgs) -> Outcome {
    let started = Instant::now();
    let json = args.model.json;
    let spec = match load_spec(args.chip.as_deref(), args.target, json) {
        Ok(spec) => spec,
        Err(outcome) => return outcome,
    };
    let (compilation, mut network) = match compile(&args.model) {
        Ok(ok) => ok,
        Err(outcome) => return outcome,
    };
    if let Some(seed) = args.seed {
        network.simulation.seed = seed;
    }
    let dir = args.output.clone();
    if let Err(error) = output::prepare(&dir) {
        return fail(
            "neurc::compile::output",
            &error.to_string(),
            "choose a writable directory with -o DIR",
            json,
        );
    }
    let options = MapOptions {
        threads: args.threads,
        max_memory: args.max_memory,
        quiet: args.quiet,
        json,
    };
    let (mapping, expanded_at) = match map_network(&network, &compilation.sources, &spec, &options)
    {
        Ok(ok) => ok,
        Err(outcome) => return outcome,
    };
    let image = neurc_backends::chip::encode(&mapping.program);
    let [resources, quantization] = mapping_reports(&mapping);
    let files: [(&str, Vec<u8>); 4] = [
        ("image.bin", image),
        ("run.json", pretty(&ChipRunPlan::of(&network))),
        resources,
        quantization,
    ];
    for (name, contents) in &files {
        let path = dir.join(name);
        if let Err(error) = write_atomically(&path, contents) {
            return fail(
                "neurc::compile::output",
                &format!("cannot write \"{}\": {error}", path.display()),
                "choose a writable directory with -o DIR",
                json,
            );
        }
    }
    let printed = if args.quiet {
        Outcome::Ok
    } else {
        print_out(&summary(
            &mapping,
            &dir,
            files[0].1.len(),
            started,
            expanded_at,
        ))
    };
    if args.report && printed == Outcome::Ok {
        return crate::report::write(&dir, args.quiet);
    }
    printed
}

/// How to expand and map a network.
pub struct MapOptions {
    /// Worker threads of the expansion (0: one per core).
    pub threads: usize,
    /// `--max-memory`.
    pub max_memory: Option<u64>,
    /// No progress spinners.
    pub quiet: bool,
    /// Diagnostics as JSON.
    pub json: bool,
}

/// Expands `network` and maps it onto `spec`, refusing before anything is
/// allocated a network whose mapping would need more memory than the
/// limit. Returns the mapping and when the expansion ended.
pub fn map_network(
    network: &Network,
    sources: &SourceMap,
    spec: &ChipSpec,
    options: &MapOptions,
) -> Result<(Mapping, Instant), Outcome> {
    let json = options.json;
    let limit = memory_limit(options.max_memory);
    let synapses: u64 = estimate(network).iter().map(|e| e.synapses).sum();
    let needed = synapses.saturating_mul(MAPPING_BYTES_PER_SYNAPSE);
    if needed > limit {
        let d = Diagnostic::error(
            "neurc::compile::memory",
            format!(
                "mapping about {synapses} synapses onto the chip needs about {}, more than the \
                 limit of {}",
                human_bytes(needed),
                human_bytes(limit)
            ),
        )
        .help("map a smaller network, or raise the limit with --max-memory on a larger machine");
        print_diagnostics(&[d], sources, json);
        return Err(Outcome::DoesNotFit);
    }
    let expanded = Stage::run("expanding connectivity", options.quiet, || {
        expand(
            network,
            &ExpandOptions {
                threads: options.threads,
                max_memory_bytes: limit,
            },
        )
    });
    let connectivity = match expanded {
        Ok(c) => c,
        Err(error) => return Err(report_expand_error(network, sources, error, json)),
    };
    let expanded_at = Instant::now();
    let mapped = Stage::run(
        &format!("mapping onto {}", spec.name),
        options.quiet,
        || map(network, &connectivity, spec, network.simulation.seed),
    );
    match mapped {
        Ok(m) => Ok((m, expanded_at)),
        Err(error) => Err(report_chip_error(network, sources, &error, json)),
    }
}

/// The preset `target`, or the spec file `chip`, checked.
pub fn load_spec(chip: Option<&Path>, target: ChipTarget, json: bool) -> Result<ChipSpec, Outcome> {
    let Some(path) = chip else {
        return Ok(preset(target));
    };
    let spec_error = |message: String| {
        fail(
            "neurc::chip::spec",
            &format!("chip spec \"{}\": {message}", path.display()),
            "start from a preset: `neurc chip loihi > my_chip.toml` prints one to edit",
            json,
        )
    };
    let text = std::fs::read_to_string(path)
        .map_err(|error| spec_error(format!("cannot read it: {error}")))?;
    let spec = parse_spec(path, &text).map_err(spec_error)?;
    spec.validate()
        .map_err(|error| spec_error(error.to_string()))?;
    Ok(spec)
}

/// A spec from TOML, or from JSON when the file's extension says so.
fn parse_spec(path: &Path, text: &str) -> Result<ChipSpec, String> {
    let is_json = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"));
    if is_json {
        serde_json::from_str(text).map_err(|error| error.to_string())
    } else {
        toml::from_str(text).map_err(|error| error.to_string())
    }
}

/// Prints a mapping error pointing at its population or projection.
pub fn report_chip_error(
    network: &Network,
    sources: &SourceMap,
    error: &ChipError,
    json: bool,
) -> Outcome {
    let mut d = Diagnostic::error(error.code(), error.to_string()).help(error.help());
    if let Some(span) = error.node().and_then(|n| network.spans.nodes.get(&n)) {
        d = d.label(*span, "this population");
    }
    if let Some(span) = error.projection().and_then(|p| network.spans.edges.get(&p)) {
        d = d.label(*span, "this projection");
    }
    print_diagnostics(&[d], sources, json);
    match error {
        ChipError::Internal(_) => Outcome::Internal,
        e if e.is_capacity() => Outcome::DoesNotFit,
        _ => Outcome::UserError,
    }
}

/// The mapping's reports as the files that hold them: where everything
/// went (`resources.json`) and what fixed point did (`quantization.json`).
pub(crate) fn mapping_reports(mapping: &Mapping) -> [(&'static str, Vec<u8>); 2] {
    [
        ("resources.json", pretty(&mapping.resources)),
        ("quantization.json", pretty(&mapping.quantization)),
    ]
}

fn pretty<T: serde::Serialize>(value: &T) -> Vec<u8> {
    let mut bytes = serde_json::to_vec_pretty(value).unwrap_or_default();
    bytes.push(b'\n');
    bytes
}

fn fail(code: &'static str, message: &str, help: &str, json: bool) -> Outcome {
    let d = Diagnostic::error(code, message).help(help);
    print_diagnostics(&[d], &SourceMap::default(), json);
    Outcome::UserError
}

/// The human summary: where everything went, what fixed point did, and
/// how long it took.
fn summary(
    mapping: &Mapping,
    dir: &Path,
    image_bytes: usize,
    started: Instant,
    expanded_at: Instant,
) -> String {
    let r = &mapping.resources;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{}: {} cores on {} tiles of {} chips ({} cores available), {} synapses",
        r.target, r.cores_used, r.tiles_used, r.chips_used, r.cores_available, r.synapses
    );
    let _ = writeln!(
        s,
        "  {:<16} {:>9} {:>7} {:>12}  binding limit",
        "population", "neurons", "cores", "comp/neuron"
    );
    for p in &r.populations {
        let _ = writeln!(
            s,
            "  {:<16} {:>9} {:>7} {:>12}  {}",
            p.population,
            p.neurons,
            p.cores,
            p.compartments_per_neuron,
            p.binding.name()
        );
    }
    for h in &r.hosts {
        let _ = writeln!(
            s,
            "  {:<16} {:>9} {:>7} {:>12}  host source, {:.3} spikes/step/neuron",
            h.population, h.neurons, "-", "-", h.spikes_per_step
        );
    }
    let mean =
        |total: u64, limit: u64| 100.0 * total as f64 / (limit as f64 * r.cores_used.max(1) as f64);
    let _ = writeln!(
        s,
        "  mean use per core: compartments {:.0}%, synaptic memory {:.0}%, input axons {:.0}%, output axons {:.0}%",
        mean(r.totals.compartments, r.limits.compartments),
        mean(r.totals.synaptic_memory, r.limits.synaptic_memory),
        mean(r.totals.input_axons, r.limits.input_axons),
        mean(r.totals.output_axons, r.limits.output_axons),
    );
    s.push_str(&quantization_table(&mapping.quantization));
    let stages: Vec<String> = mapping
        .stages
        .iter()
        .map(|(name, d)| format!("{name} {:.2} s", d.as_secs_f64()))
        .collect();
    let _ = writeln!(
        s,
        "time: read and expand {:.2} s, {}; total {:.2} s",
        (expanded_at - started).as_secs_f64(),
        stages.join(", "),
        started.elapsed().as_secs_f64()
    );
    let _ = writeln!(
        s,
        "wrote {} ({image_bytes} bytes), run.json, resources.json, quantization.json",
        dir.join("image.bin").display()
    );
    s
}

/// The quantization report as a readable table.
pub fn quantization_table(q: &QuantizationReport) -> String {
    let mut s = String::from("quantization:\n");
    for p in &q.populations {
        let _ = writeln!(
            s,
            "  {} ({}, {:.6e} chip units per SI unit of v)",
            p.population, p.model, p.scale
        );
        for row in &p.parameters {
            let _ = writeln!(
                s,
                "    {:<52} float {:<12.6e} fixed {:<8} effective {:<12.6e} error {:.2e}",
                row.name, row.float, row.fixed, row.effective, row.relative_error
            );
        }
        for note in &p.notes {
            let _ = writeln!(s, "    note: {note}");
        }
    }
    for w in &q.projections {
        let _ = write!(
            s,
            "  {:<20} {:?}, {} weight bits, exponent {}, delay bits {}",
            w.projection, w.sign_mode, w.weight_bits, w.weight_exponent, w.delay_bits
        );
        match &w.weight {
            Some(row) => {
                let _ = write!(
                    s,
                    ": weight {:.4} -> {} (effective {}, error {:.2e})",
                    row.float, row.fixed, row.effective, row.relative_error
                );
            }
            None => {
                let _ = write!(
                    s,
                    ": error max {:.2e}, rms {:.2e}",
                    w.max_relative_error, w.rms_relative_error
                );
            }
        }
        let _ = writeln!(
            s,
            "; {} clipped, {} rounded to zero of {}",
            w.clipped, w.rounded_to_zero, w.synapses
        );
    }
    s
}
