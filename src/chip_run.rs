//! `neurc run --target loihi|loihi2`, and `neurc run IMAGE`: map a model
//! onto a chip system (or read a compiled image), run it on the emulator,
//! and write the run directory with the chip report; with `--precision
//! fixed`, run the program in the CPU's fixed-point mode instead, which
//! gives the same spikes and registers without the time and energy.

use crate::Outcome;
use crate::args::{ChipTarget, ModeArg, PrecisionArg, RunArgs, Target};
use crate::compile::{MapOptions, load_spec, map_network, mapping_reports};
use crate::input::compile;
use crate::ir::memory_limit;
use crate::run::{fail, file_stem, inputs, internal, print_ran, print_rates, threads};
use neurc_backends::cpu::fixed::FixedRun;
use neurc_compiler::passes::expand::human_bytes;
use neurc_emulator::{Chip, report};
use neurc_ir::chip::{Arithmetic, ChipProgram};
use neurc_runtime::chip::{ChipRecording, ChipRunPlan, ChipRunner, Emulation};
use neurc_runtime::output::{self, Digest, InputFile, Override, PhaseTimes, RunInfo};
use neurc_runtime::progress::{Progress, Stage};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// The first bytes of a chip image.
const IMAGE_MAGIC: &[u8; 8] = b"NEURCIMG";

/// Whether `path` holds a chip image rather than a model.
pub fn is_image(path: &Path) -> bool {
    let mut magic = [0u8; 8];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut magic))
        .is_ok_and(|()| &magic == IMAGE_MAGIC)
}

/// A program ready to run, with what is known of where it came from.
struct Prepared {
    program: ChipProgram,
    plan: ChipRunPlan,
    inputs: Vec<InputFile>,
    ir: Digest,
    phases: PhaseTimes,
    /// The mapping's reports, kept with the run when it was mapped here.
    mapping_files: Vec<(String, Vec<u8>)>,
}

/// Runs a model or an image on the emulator, or in the CPU's fixed-point
/// mode.
pub fn run(args: &RunArgs) -> Outcome {
    let started = Instant::now();
    let json = args.model.json;
    if let Some(precision @ (PrecisionArg::F64 | PrecisionArg::F32)) = args.precision {
        let name = if precision == PrecisionArg::F64 {
            "f64"
        } else {
            "f32"
        };
        return fail(
            &format!(
                "--precision {name} is the CPU target's floating point; a chip computes in fixed point"
            ),
            "drop --precision and choose the chip's arithmetic with --mode, or run the chip \
             program on the CPU with --precision fixed",
            json,
        );
    }
    let engine = if args.precision == Some(PrecisionArg::Fixed) {
        Engine::Fixed
    } else {
        Engine::Emulator
    };
    let prepared = if is_image(&args.model.file) {
        from_image(args)
    } else {
        from_model(args, started)
    };
    let Prepared {
        program,
        plan,
        inputs,
        ir,
        mut phases,
        mapping_files,
    } = match prepared {
        Ok(p) => p,
        Err(outcome) => return outcome,
    };
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
    let trace_bytes: u64 = plan
        .state_probes
        .iter()
        .map(|p| 2 * 8 * u64::from(p.neurons.len()) * plan.steps)
        .sum();
    let limit = memory_limit(args.max_memory);
    if trace_bytes > limit {
        let _ = fail(
            &format!(
                "the recorded chip registers need {}, more than the limit of {}",
                human_bytes(trace_bytes),
                human_bytes(limit)
            ),
            "record fewer neurons or a shorter run, or raise --max-memory",
            json,
        );
        return Outcome::DoesNotFit;
    }
    let runner = match ChipRunner::new(&program, plan) {
        Ok(r) => r,
        Err(error) => {
            return fail(
                &error.to_string(),
                "run the image with the run.json that `neurc compile` wrote beside it, or \
                 without one",
                json,
            );
        }
    };
    let arithmetic = match args.mode {
        ModeArg::Hardware => Arithmetic::Hardware,
        ModeArg::Lava => Arithmetic::Lava,
    };
    let spec_name = program.spec().name.clone();
    let layout = runner.layout();
    let progress = Progress::new(layout.steps, layout.dt, args.quiet);
    let threads = threads(args.threads);
    let setup = Instant::now();
    let ran = match engine {
        Engine::Emulator => {
            let chip = Chip::new(program, arithmetic).with_threads(threads);
            phases.setup = setup.elapsed();
            let mut emulation = Emulation::new(&chip);
            let simulate = Instant::now();
            let recorded = chip.install(|| runner.run(&mut emulation, Some(&progress)));
            phases.simulate = simulate.elapsed();
            let chip_report = report::build(&chip, &emulation.state, &emulation.ledger);
            let chip_json = match serde_json::to_value(&chip_report) {
                Ok(v) => v,
                Err(error) => {
                    return internal(&format!("the chip report does not serialise: {error}"));
                }
            };
            Ran {
                recorded,
                target: spec_name,
                precision: arithmetic.name().to_string(),
                threads: chip.threads(),
                synapse_bytes: chip.heap_bytes(),
                chip: Some((chip_report, chip_json)),
            }
        }
        Engine::Fixed => {
            let fixed = FixedRun::new(&program, arithmetic).map(|f| f.with_threads(threads));
            // The run holds its own copy of everything it needs.
            drop(program);
            let mut fixed = match fixed {
                Ok(f) => f,
                Err(error) => return internal(&error.to_string()),
            };
            phases.setup = setup.elapsed();
            let simulate = Instant::now();
            let recorded = runner.run(&mut fixed, Some(&progress));
            phases.simulate = simulate.elapsed();
            Ran {
                recorded,
                target: format!("cpu ({spec_name} program)"),
                precision: format!("fixed-point {}", arithmetic.name()),
                threads: fixed.threads(),
                synapse_bytes: fixed.heap_bytes(),
                chip: None,
            }
        }
    };
    progress.finish();
    let info = RunInfo {
        extra: mapping_files,
        version: env!("CARGO_PKG_VERSION").to_string(),
        target: ran.target,
        precision: ran.precision,
        threads: ran.threads,
        started,
        phases,
        kernels: Vec::new(),
        synapse_bytes: ran.synapse_bytes,
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
        inputs,
        chip: ran.chip.as_ref().map(|(_, json)| json.clone()),
        ir,
    };
    let recorded = &ran.recorded;
    if let Err(error) = output::write_run(&dir, &recorded.layout, &recorded.recording, &info) {
        return fail(
            &error.to_string(),
            "choose a writable directory with -o DIR",
            json,
        );
    }
    if !args.quiet {
        print_summary(recorded, &info, ran.chip.as_ref().map(|(r, _)| r), &dir);
    }
    if args.report {
        return crate::report::write(&dir, args.quiet);
    }
    Outcome::Ok
}

/// What runs a chip program.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Engine {
    /// The cycle-accurate emulator, with time and energy.
    Emulator,
    /// The CPU's fixed-point mode: the same spikes and registers, faster.
    Fixed,
}

/// A finished run, with what its report names.
struct Ran {
    recorded: ChipRecording,
    target: String,
    precision: String,
    threads: usize,
    synapse_bytes: u64,
    /// The emulator's chip report, and as JSON.
    chip: Option<(report::ChipReport, serde_json::Value)>,
}

/// Compiles the model and maps it onto the target's chip system.
fn from_model(args: &RunArgs, started: Instant) -> Result<Prepared, Outcome> {
    let json = args.model.json;
    let target = match args.target {
        Target::Loihi | Target::Cpu => ChipTarget::Loihi,
        Target::Loihi2 => ChipTarget::Loihi2,
    };
    let spec = load_spec(args.chip.as_deref(), target, json)?;
    let (compilation, mut network) = compile(&args.model)?;
    if let Some(duration) = args.duration {
        network.simulation.duration = duration;
    }
    if let Some(seed) = args.seed {
        network.simulation.seed = seed;
    }
    let compiled_at = Instant::now();
    let options = MapOptions {
        threads: args.threads,
        max_memory: args.max_memory,
        quiet: args.quiet,
        json,
    };
    let (mapping, expanded_at) = map_network(&network, &compilation.sources, &spec, &options)?;
    let ir = Digest::of(
        serde_json::to_string(&network)
            .unwrap_or_default()
            .as_bytes(),
    );
    let mapping_files = mapping_reports(&mapping)
        .map(|(name, contents)| (name.to_string(), contents))
        .to_vec();
    Ok(Prepared {
        plan: ChipRunPlan::of(&network),
        program: mapping.program,
        mapping_files,
        inputs: inputs(&compilation.sources),
        ir,
        phases: PhaseTimes {
            compile: (compiled_at - started) + expanded_at.elapsed(),
            expand: expanded_at - compiled_at,
            ..PhaseTimes::default()
        },
    })
}

/// Reads a compiled image, with the `run.json` beside it if there is one.
fn from_image(args: &RunArgs) -> Result<Prepared, Outcome> {
    let json = args.model.json;
    let path = &args.model.file;
    if args.seed.is_some() || args.chip.is_some() || !args.model.overrides.is_empty() {
        return Err(fail(
            &format!(
                "{} is a compiled chip image: its seed, chip and constants are fixed in it",
                path.display()
            ),
            "compile the model again with the new --seed, --chip or --set, or run the model \
             with --target loihi",
            json,
        ));
    }
    let read_at = Instant::now();
    let (input, program) = Stage::run("reading the chip image", args.quiet, || {
        let bytes = std::fs::read(path).map_err(|source| neurc_emulator::LoadError::Read {
            path: path.clone(),
            source,
        })?;
        let input = InputFile::new(path, &bytes);
        neurc_emulator::load_bytes(path, &bytes).map(|program| (input, program))
    })
    .map_err(|error| {
        fail(
            &error.to_string(),
            "compile the model again with `neurc compile MODEL --target loihi -o DIR`",
            json,
        )
    })?;
    let steps_of = |duration: f64| (duration / program.dt()).round() as u64;
    let sidecar = run_plan_path(path);
    let plan = if sidecar.exists() {
        let text = std::fs::read_to_string(&sidecar).map_err(|error| {
            fail(
                &format!("cannot read {}: {error}", sidecar.display()),
                "make it readable, or remove it to run the image without names",
                json,
            )
        })?;
        let mut plan: ChipRunPlan = serde_json::from_str(&text).map_err(|error| {
            fail(
                &format!("{} is not a run plan: {error}", sidecar.display()),
                "compile the model again to rewrite it, or remove it",
                json,
            )
        })?;
        if let Some(duration) = args.duration {
            plan.steps = steps_of(duration);
        }
        plan
    } else {
        let Some(duration) = args.duration else {
            return Err(fail(
                &format!(
                    "{} has no run.json beside it to say how long to run",
                    path.display()
                ),
                "give the simulated time with --duration (e.g. --duration 1s)",
                json,
            ));
        };
        ChipRunPlan::anonymous(&program, steps_of(duration))
    };
    Ok(Prepared {
        program,
        plan,
        mapping_files: Vec::new(),
        ir: input.digest,
        inputs: vec![input],
        phases: PhaseTimes {
            compile: read_at.elapsed(),
            ..PhaseTimes::default()
        },
    })
}

/// `run.json` in the image's directory.
fn run_plan_path(image: &Path) -> PathBuf {
    image
        .parent()
        .map_or_else(|| PathBuf::from("run.json"), |dir| dir.join("run.json"))
}

/// The closing summary on stderr: the run, then the chip report's.
fn print_summary(
    ran: &ChipRecording,
    info: &RunInfo,
    chip_report: Option<&report::ChipReport>,
    dir: &Path,
) {
    let layout = &ran.layout;
    let duration = layout.steps as f64 * layout.dt;
    print_ran(layout, info, &format!("{} arithmetic", info.precision));
    let p = &info.phases;
    eprintln!(
        "wall time: compile and map {:.3} s, expand {:.3} s, {} {:.3} s ({:.2}× real time)",
        p.compile.as_secs_f64(),
        p.expand.as_secs_f64(),
        if chip_report.is_some() {
            "emulate"
        } else {
            "run"
        },
        p.simulate.as_secs_f64(),
        duration / p.simulate.as_secs_f64().max(1e-9)
    );
    print_rates(layout, &ran.recording.spike_counts);
    for line in chip_report.iter().flat_map(|r| r.summary()) {
        eprintln!("{line}");
    }
    eprintln!("wrote {}", dir.display());
}
