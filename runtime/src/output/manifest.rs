//! `manifest.json`: everything a run's spikes depend on, so that two runs
//! with equal manifests have equal spikes — and the digests of the files
//! it wrote, so a result can be checked against its manifest. Nothing that
//! varies between identical runs goes in: no timings, no thread count
//! (results do not depend on it), and so not `report.json` either, which
//! holds both.

use crate::output::RunLayout;
use crate::output::clock::Clock;
use crate::output::{Digest, RunInfo};
use serde::Serialize;

/// The manifest, fields in the order they are written.
#[derive(Serialize)]
pub(crate) struct Manifest<'a> {
    neurc: &'a str,
    target: &'a str,
    precision: &'a str,
    seed: u64,
    dt_s: f64,
    duration_s: f64,
    steps: u64,
    overrides: Vec<OverrideEntry<'a>>,
    inputs: Vec<FileEntry>,
    ir_blake3: String,
    outputs: Vec<FileEntry>,
    traces: Vec<TraceEntry<'a>>,
}

#[derive(Serialize)]
struct OverrideEntry<'a> {
    name: &'a str,
    value: &'a str,
}

/// A file and the blake3 digest of its contents.
#[derive(Serialize)]
pub(crate) struct FileEntry {
    path: String,
    blake3: String,
}

impl FileEntry {
    pub(crate) fn new(path: String, digest: Digest) -> Self {
        FileEntry {
            path,
            blake3: digest.to_string(),
        }
    }
}

/// What a trace file holds, which its name cannot say in full: the neurons
/// `start..end` of the population are its columns.
#[derive(Serialize)]
struct TraceEntry<'a> {
    file: &'a str,
    population: &'a str,
    variable: &'a str,
    neurons: [u32; 2],
    /// The value the variable spikes at, if one for all recorded neurons.
    threshold: Option<f64>,
}

/// Builds the manifest; `outputs` are the files written before it, by
/// name within the run directory, and `trace_files` the trace probes'
/// file names.
pub(crate) fn build<'a>(
    instance: &'a RunLayout,
    info: &'a RunInfo,
    outputs: Vec<FileEntry>,
    trace_files: &'a [String],
) -> Manifest<'a> {
    Manifest {
        neurc: &info.version,
        target: &info.target,
        precision: &info.precision,
        seed: instance.seed,
        dt_s: instance.dt,
        duration_s: Clock::new(instance.dt).seconds(instance.steps),
        steps: instance.steps,
        overrides: info
            .overrides
            .iter()
            .map(|o| OverrideEntry {
                name: &o.name,
                value: &o.value,
            })
            .collect(),
        inputs: info
            .inputs
            .iter()
            .map(|input| FileEntry::new(input.path.to_string_lossy().into_owned(), input.digest))
            .collect(),
        ir_blake3: info.ir.to_string(),
        outputs,
        traces: instance
            .trace_probes
            .iter()
            .zip(trace_files)
            .map(|(probe, file)| TraceEntry {
                file,
                population: &instance.populations[probe.population].name,
                variable: &probe.variable,
                neurons: [probe.neurons.start, probe.neurons.end],
                threshold: probe.threshold,
            })
            .collect(),
    }
}
