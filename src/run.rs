//! `neurc run`: compile a model, expand it, JIT-compile its kernels, run
//! it, and write the run directory.

use crate::Outcome;
use crate::args::{PrecisionArg, RunArgs, Target};
use crate::input::compile;
use crate::ir::{memory_limit, report_expand_error};
use crate::output::print_diagnostics;
use neurc_backends::cpu::Real;
use neurc_compiler::diagnostic::{Diagnostic, SourceMap};
use neurc_compiler::passes::expand::{ExpandOptions, expand, human_bytes};
use neurc_ir::{FileId, Network};
use neurc_runtime::executor::{self, Options};
use neurc_runtime::instance::{self, Instance};
use neurc_runtime::output::{
    self, InputFile, Kernel, KernelTime, Override, PhaseTimes, RunInfo, RunLayout,
};
use neurc_runtime::progress::{Progress, Stage};
use std::path::Path;
use std::time::Instant;

/// Runs `neurc run`.
pub fn run(args: &RunArgs) -> Outcome {
    if args.target != Target::Cpu
        || args.precision == Some(PrecisionArg::Fixed)
        || crate::chip_run::is_image(&args.model.file)
    {
        return crate::chip_run::run(args);
    }
    let started = Instant::now();
    let json = args.model.json;
    let (compilation, mut network) = match compile(&args.model) {
        Ok(ok) => ok,
        Err(outcome) => return outcome,
    };
    let compiled_at = Instant::now();
    if let Some(duration) = args.duration {
        network.simulation.duration = duration;
    }
    if let Some(seed) = args.seed {
        network.simulation.seed = seed;
    }
    let dir = args
        .output
        .clone()
        .unwrap_or_else(|| Path::new("out").join(file_stem(&args.model.file)));
    if let Err(error) = output::prepare(&dir) {
        return fail(
            &error.to_string(),
            "choose a writable directory with -o DIR",
            json,
        );
    }
    let limit = memory_limit(args.max_memory);
    let threads = threads(args.threads);
    let expanded = Stage::run("expanding connectivity", args.quiet, || {
        expand(
            &network,
            &ExpandOptions {
                threads,
                max_memory_bytes: limit,
            },
        )
    });
    let connectivity = match expanded {
        Ok(c) => c,
        Err(error) => return report_expand_error(&network, &compilation.sources, error, json),
    };
    let expanded_at = Instant::now();
    let synapse_bytes = connectivity.heap_bytes();
    let instance = match instance::build(&network, connectivity) {
        Ok(i) => i,
        Err(error) => {
            return fail(
                &error.to_string(),
                "check the model and its parameters",
                json,
            );
        }
    };
    let trace_bytes = trace_bytes(&instance);
    if synapse_bytes.saturating_add(trace_bytes) > limit {
        let message = format!(
            "the recorded traces need {} beside {} of synapses, more than the limit of {}",
            human_bytes(trace_bytes),
            human_bytes(synapse_bytes),
            human_bytes(limit)
        );
        let help = "record fewer neurons or a shorter run, or raise --max-memory";
        let _ = fail(&message, help, json);
        return Outcome::DoesNotFit;
    }
    let context = Context {
        args,
        network: &network,
        sources: &compilation.sources,
        dir: &dir,
        started,
        phases: PhaseTimes {
            compile: compiled_at - started,
            expand: expanded_at - compiled_at,
            setup: expanded_at.elapsed(),
            ..PhaseTimes::default()
        },
        threads,
        synapse_bytes,
    };
    match args.precision {
        Some(PrecisionArg::F32) => simulate::<f32>(&context, &instance),
        _ => simulate::<f64>(&context, &instance),
    }
}

/// What the simulation step needs from the steps before it.
struct Context<'a> {
    args: &'a RunArgs,
    network: &'a Network,
    sources: &'a SourceMap,
    dir: &'a Path,
    started: Instant,
    phases: PhaseTimes,
    threads: usize,
    synapse_bytes: u64,
}

/// JIT-compiles, runs and writes the outputs in precision `R`.
fn simulate<R: Real>(context: &Context<'_>, instance: &Instance) -> Outcome {
    let args = context.args;
    let json = args.model.json;
    let jit_start = Instant::now();
    let compiled = match executor::compile::<R>(instance) {
        Ok(c) => c,
        Err(error) => return internal(&format!("the JIT failed: {error}")),
    };
    let mut phases = context.phases;
    phases.jit = jit_start.elapsed();
    let progress = Progress::new(instance.steps, instance.dt, args.quiet);
    let simulate_start = Instant::now();
    let recording = executor::run(
        instance,
        &compiled,
        &Options {
            threads: context.threads,
            progress: Some(&progress),
        },
    );
    progress.finish();
    phases.simulate = simulate_start.elapsed();
    let recording = match recording {
        Ok(r) => r,
        Err(neurc_runtime::error::RunError::Internal(message)) => return internal(&message),
        Err(error) => {
            return fail(
                &error.to_string(),
                "check the parameters of that population: a time constant of zero, a huge \
                 exponential or a step too long for the integration method make the state diverge",
                json,
            );
        }
    };
    let mut kernels = Vec::new();
    for (population, time) in compiled.neuron_times().into_iter().enumerate() {
        kernels.push(KernelTime {
            kernel: Kernel::Neuron { population },
            compile: time,
        });
    }
    for (projection, time) in compiled.delivery_times().into_iter().enumerate() {
        kernels.push(KernelTime {
            kernel: Kernel::Delivery { projection },
            compile: time,
        });
    }
    let info = RunInfo {
        extra: Vec::new(),
        version: env!("CARGO_PKG_VERSION").to_string(),
        target: "cpu".to_string(),
        precision: R::PRECISION.name().to_string(),
        threads: context.threads,
        started: context.started,
        phases,
        kernels,
        synapse_bytes: context.synapse_bytes,
        peak_rss_bytes: neurc_runtime::memory::peak_rss_bytes(),
        overrides: args
            .model
            .overrides
            .iter()
            .map(|(name, value)| Override {
                name: name.clone(),
                value: value.clone(),
            })
            .collect(),
        inputs: inputs(context.sources),
        chip: None,
        ir: output::Digest::of(
            serde_json::to_string(context.network)
                .unwrap_or_default()
                .as_bytes(),
        ),
    };
    let layout = RunLayout::of(instance);
    if let Err(error) = output::write_run(context.dir, &layout, &recording, &info) {
        return fail(
            &error.to_string(),
            "choose a writable directory with -o DIR",
            json,
        );
    }
    if !args.quiet {
        print_summary(&layout, &recording, &info, context.dir);
    }
    if args.report {
        return crate::report::write(context.dir, args.quiet);
    }
    Outcome::Ok
}

/// Every file the model was read from, except the built-in prelude.
pub(crate) fn inputs(sources: &SourceMap) -> Vec<InputFile> {
    (0..)
        .map_while(|i| sources.get(FileId(i)))
        .filter(|f| f.path.exists())
        .map(|f| InputFile::new(&f.path, f.text.as_bytes()))
        .collect()
}

/// The closing summary on stderr.
fn print_summary(
    layout: &RunLayout,
    recording: &neurc_runtime::recording::Recording,
    info: &RunInfo,
    dir: &Path,
) {
    let duration = layout.steps as f64 * layout.dt;
    print_ran(layout, info, &info.precision);
    let p = &info.phases;
    eprintln!(
        "wall time: compile {:.3} s, expand {:.3} s, jit {:.3} s, simulate {:.3} s ({:.2}× real time)",
        p.compile.as_secs_f64(),
        p.expand.as_secs_f64(),
        p.jit.as_secs_f64(),
        p.simulate.as_secs_f64(),
        duration / p.simulate.as_secs_f64().max(1e-9)
    );
    print_rates(layout, &recording.spike_counts);
    eprintln!("wrote {}", dir.display());
}

/// The summary's first line, on stderr: what ran, where and how, in
/// `arithmetic`.
pub(crate) fn print_ran(layout: &RunLayout, info: &RunInfo, arithmetic: &str) {
    eprintln!(
        "ran {} steps of {} ms ({} s) on target {} in {arithmetic}, seed {}, {} thread{}",
        layout.steps,
        layout.dt * 1e3,
        layout.steps as f64 * layout.dt,
        info.target,
        layout.seed,
        info.threads,
        if info.threads == 1 { "" } else { "s" }
    );
}

/// Each population's spikes and mean rate, one line each, on stderr.
pub(crate) fn print_rates(layout: &RunLayout, spike_counts: &[u64]) {
    let duration = layout.steps as f64 * layout.dt;
    for (population, spikes) in layout.populations.iter().zip(spike_counts) {
        let rate = *spikes as f64 / (f64::from(population.size) * duration).max(1e-300);
        eprintln!(
            "  {:<16} {:>8} neurons {:>12} spikes {:>10.3} Hz",
            population.name, population.size, spikes, rate
        );
    }
}

/// Bytes the executor will hold for recorded traces.
fn trace_bytes(instance: &Instance) -> u64 {
    instance
        .trace_probes
        .iter()
        .map(|p| {
            instance
                .steps
                .saturating_mul(u64::from(p.neurons.len()))
                .saturating_mul(8)
        })
        .sum()
}

/// Worker threads: the user's number, or one per core.
pub(crate) fn threads(given: usize) -> usize {
    if given > 0 {
        return given;
    }
    std::thread::available_parallelism().map_or(1, usize::from)
}

/// The model file's name without its extension.
pub(crate) fn file_stem(path: &Path) -> String {
    path.file_stem()
        .map_or_else(|| "run".to_string(), |s| s.to_string_lossy().into_owned())
}

/// Reports a user error.
pub(crate) fn fail(message: &str, help: &str, json: bool) -> Outcome {
    let d = Diagnostic::error("neurc::run::failed", message).help(help);
    print_diagnostics(&[d], &SourceMap::default(), json);
    Outcome::UserError
}

/// Reports a bug in neurc.
pub(crate) fn internal(message: &str) -> Outcome {
    eprintln!("error[neurc::internal]: {message}; this is a bug in neurc, not in your model");
    Outcome::Internal
}
