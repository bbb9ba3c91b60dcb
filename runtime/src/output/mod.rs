//! What a run leaves in its output directory.
//!
//! - `spikes.csv`: header `step,time_ms,population,neuron`, one row per
//!   recorded spike (a counting source's `k` spikes in a step are `k`
//!   rows), ordered by step, then population (network order), then neuron.
//!   `population` is the declared name (quoted as RFC 4180 says if it has a
//!   comma or a quote), `neuron` the index within the population. Probes
//!   that overlap record each spike once. `time_ms` is `step × dt` exactly,
//!   in decimal: `dt` is taken as its shortest decimal representation and
//!   every time has as many decimals as `dt` in milliseconds (`0.3` for
//!   step 3 of 0.1 ms, `42` for step 42 of 1 ms).
//! - `spikes.npy`: the same rows as a structured array with fields `step`
//!   `<u8`, `time_ms` `<f8` (the double nearest to the CSV's decimal),
//!   `population` `<u2` (index into `report.json`'s `populations`) and
//!   `neuron` `<u4`.
//! - `<population>_<variable>.npy`, one per trace probe: `<f8`, shape
//!   `(steps, neurons)`, C order, row `t` the values at the end of step `t`
//!   of the probe's neurons in ascending order. Characters other than
//!   letters, digits, `-` and `_` become `_`; a name already taken gets
//!   `_2`, `_3`, …; `manifest.json` says which neurons each file holds.
//! - `report.json`: wall times, JIT compile times, counts, per-population
//!   rates and ISI regularity, memory (schema fixed: a script reads it).
//! - `manifest.json`: what the spikes depend on (version, target,
//!   precision, seed, `dt`, steps, overrides, input and IR digests) and the
//!   blake3 digest of each result file, so equal manifests mean equal
//!   spikes. No timings and no thread count, hence no `report.json`.
//!
//! Each file is written atomically ([`write_atomically`]), and the manifest
//! last: a directory with a manifest holds a complete run. An old manifest
//! is removed before anything else is written, so a run that fails half way
//! through writing cannot leave new spikes beside a manifest that describes
//! old ones. Files of an earlier run that this run does not write (traces
//! of probes since removed) are left alone; the manifest lists what
//! belongs to the run.

mod atomic;
mod clock;
mod layout;
mod manifest;
mod report;
mod spikes;
mod traces;

#[cfg(test)]
mod tests;

pub use atomic::{Digest, write_atomically};
pub use layout::{PopulationLayout, ProjectionLayout, RunLayout, TraceLayout};

use crate::recording::Recording;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use thiserror::Error;

/// What the caller of [`write_run`] knows about the run that the instance
/// and the recording do not say.
#[derive(Clone, Debug)]
pub struct RunInfo {
    /// neurc's version (the CLI's `env!("CARGO_PKG_VERSION")`).
    pub version: String,
    /// The target's name, e.g. `cpu`.
    pub target: String,
    /// The arithmetic, e.g. `f64` or `f32`.
    pub precision: String,
    /// Worker threads of the simulation.
    pub threads: usize,
    /// When the command started: `report.json`'s total wall time runs from
    /// here to the writing of the report.
    pub started: Instant,
    /// Wall time of the phases before writing.
    pub phases: PhaseTimes,
    /// Compile time of each JIT kernel, in the order they were compiled;
    /// empty for the interpreter.
    pub kernels: Vec<KernelTime>,
    /// Bytes the executor's synapse tables hold.
    pub synapse_bytes: u64,
    /// The process's peak resident memory
    /// ([`crate::memory::peak_rss_bytes`]), if known.
    pub peak_rss_bytes: Option<u64>,
    /// The `--set NAME=VALUE` overrides, in command-line order.
    pub overrides: Vec<Override>,
    /// Every file the network was read from.
    pub inputs: Vec<InputFile>,
    /// The chip report of a chip run, written into `report.json` as
    /// `chip`.
    pub chip: Option<serde_json::Value>,
    /// Digest of the network's IR as JSON (before expansion): it captures
    /// the model after overrides, whatever files it came from.
    pub ir: Digest,
    /// Further result files, by name and contents: a chip run from a model
    /// keeps its mapping's `resources.json` and `quantization.json`.
    pub extra: Vec<(String, Vec<u8>)>,
}

/// Wall time of the phases of a run before its output is written; a phase
/// that did not happen (`jit` for the interpreter) is zero.
#[derive(Clone, Copy, Default, Debug)]
pub struct PhaseTimes {
    /// Parsing, checking and lowering to the IR.
    pub compile: Duration,
    /// Expanding connectivity into synapse tables.
    pub expand: Duration,
    /// Compiling the kernels.
    pub jit: Duration,
    /// Building the instance: parameters drawn, buffers allocated.
    pub setup: Duration,
    /// The simulation loop.
    pub simulate: Duration,
}

/// A JIT kernel and how long it took to compile.
#[derive(Clone, Copy, Debug)]
pub struct KernelTime {
    /// Which kernel.
    pub kernel: Kernel,
    /// Its compile time.
    pub compile: Duration,
}

/// A JIT-compiled kernel.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Kernel {
    /// The neuron step of a population (index into
    /// [`Instance::populations`]).
    Neuron {
        /// The population.
        population: usize,
    },
    /// The spike delivery of a projection (index into
    /// [`Instance::projections`]).
    Delivery {
        /// The projection.
        projection: usize,
    },
}

/// A `--set NAME=VALUE` override of a top-level constant.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Override {
    /// The constant's name.
    pub name: String,
    /// The value as written on the command line.
    pub value: String,
}

/// An input file and the digest of its contents.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct InputFile {
    /// The path as the user gave it.
    pub path: PathBuf,
    /// Digest of the contents.
    pub digest: Digest,
}

impl InputFile {
    /// The input at `path`, whose contents were `contents` when read.
    pub fn new(path: impl Into<PathBuf>, contents: &[u8]) -> Self {
        InputFile {
            path: path.into(),
            digest: Digest::of(contents),
        }
    }
}

/// Why the output of a run could not be written.
///
/// The OS error is part of the message, and deliberately not a `source`:
/// a reporter that prints the chain would print it twice.
#[derive(Debug, Error)]
pub enum OutputError {
    /// The directory cannot be created or written.
    #[error("cannot write the output directory \"{}\": {cause}", path.display())]
    Directory {
        /// The directory.
        path: PathBuf,
        /// What the OS said.
        cause: io::Error,
    },
    /// A file cannot be written (nothing of it is left behind).
    #[error("cannot write \"{}\": {cause}", path.display())]
    File {
        /// The file.
        path: PathBuf,
        /// What the OS said.
        cause: io::Error,
    },
    /// The recording does not belong to the instance: a bug in the
    /// executor, found before anything is written.
    #[error("internal error: the recording does not match the network: {0}")]
    Inconsistent(String),
}

/// Creates `dir` (and its parents) and proves it writable by creating and
/// removing a file in it — before a long simulation, rather than after.
pub fn prepare(dir: &Path) -> Result<(), OutputError> {
    let failed = |cause| OutputError::Directory {
        path: dir.to_path_buf(),
        cause,
    };
    std::fs::create_dir_all(dir).map_err(failed)?;
    let probe = dir.join(format!(".neurc-probe.{}", std::process::id()));
    std::fs::File::create(&probe).map_err(failed)?;
    std::fs::remove_file(&probe).map_err(failed)
}

/// Writes a run's files into `dir` (which [`prepare`] has made ready) and
/// returns their paths in the order written, `manifest.json` last.
pub fn write_run(
    dir: &Path,
    instance: &RunLayout,
    recording: &Recording,
    info: &RunInfo,
) -> Result<Vec<PathBuf>, OutputError> {
    check(instance, recording, info).map_err(OutputError::Inconsistent)?;
    let mut files = RunFiles {
        dir,
        written: Vec::new(),
        results: Vec::new(),
    };
    files.remove_old_manifest()?;

    let writing = Instant::now();
    let mut rows = 0;
    files.result("spikes.csv", |sink| {
        rows = spikes::write_csv(instance, recording, sink)?;
        Ok(())
    })?;
    files.result("spikes.npy", |sink| {
        spikes::write_npy(instance, recording, rows, sink)
    })?;
    let trace_files = traces::file_names(instance);
    for ((probe, trace), name) in instance
        .trace_probes
        .iter()
        .zip(&recording.traces)
        .zip(&trace_files)
    {
        files.result(name, |sink| {
            traces::write_npy(
                &trace.values,
                instance.steps,
                probe.neurons.len(),
                probe.integer,
                sink,
            )
        })?;
    }
    for (name, contents) in &info.extra {
        files.result(name, |sink| sink.write_all(contents))?;
    }
    let write_time = writing.elapsed();

    files.json(
        "report.json",
        &report::build(instance, recording, info, write_time),
    )?;
    let results = std::mem::take(&mut files.results);
    files.json(
        "manifest.json",
        &manifest::build(instance, info, results, &trace_files),
    )?;
    Ok(files.written)
}

/// The files of one run, as they are written.
struct RunFiles<'a> {
    dir: &'a Path,
    /// Every file written, in order.
    written: Vec<PathBuf>,
    /// The result files, with their digests, for the manifest.
    results: Vec<manifest::FileEntry>,
}

impl RunFiles<'_> {
    /// Removes the manifest of an earlier run in the directory, before the
    /// files it describes are replaced.
    fn remove_old_manifest(&self) -> Result<(), OutputError> {
        let path = self.dir.join("manifest.json");
        match std::fs::remove_file(&path) {
            Err(cause) if cause.kind() != io::ErrorKind::NotFound => {
                Err(OutputError::File { path, cause })
            }
            _ => Ok(()),
        }
    }

    /// Writes a result file (one the manifest lists with its digest).
    fn result(
        &mut self,
        name: &str,
        contents: impl FnOnce(&mut atomic::Sink) -> io::Result<()>,
    ) -> Result<(), OutputError> {
        let path = self.dir.join(name);
        match atomic::write_with(&path, contents) {
            Ok(digest) => {
                self.results
                    .push(manifest::FileEntry::new(name.to_owned(), digest));
                self.written.push(path);
                Ok(())
            }
            Err(cause) => Err(OutputError::File { path, cause }),
        }
    }

    /// Writes `value` as pretty JSON.
    fn json(&mut self, name: &str, value: &impl serde::Serialize) -> Result<(), OutputError> {
        let path = self.dir.join(name);
        let result = serde_json::to_vec_pretty(value)
            .map_err(io::Error::from)
            .and_then(|mut bytes| {
                bytes.push(b'\n');
                write_atomically(&path, &bytes)
            });
        match result {
            Ok(()) => {
                self.written.push(path);
                Ok(())
            }
            Err(cause) => Err(OutputError::File { path, cause }),
        }
    }
}

/// Checks that the recording and the run info fit the instance, so the
/// writers can index without checking and nothing is half written.
fn check(instance: &RunLayout, recording: &Recording, info: &RunInfo) -> Result<(), String> {
    let populations = instance.populations.len();
    let expect = |what: &str, found: usize, expected: usize| {
        if found == expected {
            Ok(())
        } else {
            Err(format!("{found} {what} for {expected}"))
        }
    };
    expect(
        "spike lists",
        recording.spikes.len(),
        instance.spike_probes.len(),
    )?;
    expect(
        "traces",
        recording.traces.len(),
        instance.trace_probes.len(),
    )?;
    expect("spike counts", recording.spike_counts.len(), populations)?;
    expect(
        "synaptic event counts",
        recording.synaptic_events.len(),
        instance.projections.len(),
    )?;
    if populations > usize::from(u16::MAX) + 1 {
        return Err(format!(
            "{populations} populations do not fit spikes.npy's 16-bit population column"
        ));
    }
    let probe_populations = instance
        .spike_probes
        .iter()
        .map(|p| p.population)
        .chain(instance.trace_probes.iter().map(|p| p.population));
    let projection_populations = instance.projections.iter().map(|p| p.pre);
    if let Some(bad) = probe_populations
        .chain(projection_populations)
        .find(|&p| p >= populations)
    {
        return Err(format!("population {bad} of {populations}"));
    }
    for (index, events) in recording.spikes.iter().enumerate() {
        expect(
            &format!("neurons of spike list {index} with steps"),
            events.neurons.len(),
            events.steps.len(),
        )?;
    }
    for (index, (probe, trace)) in instance
        .trace_probes
        .iter()
        .zip(&recording.traces)
        .enumerate()
    {
        let expected = u64::from(probe.neurons.len()).saturating_mul(instance.steps);
        expect(
            &format!("values in trace {index}"),
            trace.values.len(),
            usize::try_from(expected).unwrap_or(usize::MAX),
        )?;
    }
    for timed in &info.kernels {
        let valid = match timed.kernel {
            Kernel::Neuron { population } => population < populations,
            Kernel::Delivery { projection } => projection < instance.projections.len(),
        };
        if !valid {
            return Err(format!(
                "a compile time for {:?}, which does not exist",
                timed.kernel
            ));
        }
    }
    Ok(())
}
