//! `report.json`: what a run cost and what it did — wall time per phase,
//! JIT compile times, counts, per-population rates and spike-train
//! regularity, memory. Another script reads it, so its schema is fixed:
//! change a field only together with that script.

use crate::output::RunLayout;
use crate::output::clock::Clock;
use crate::output::spikes::{MergedSpikes, recorded_ranges};
use crate::output::{Kernel, RunInfo};
use crate::recording::Recording;
use neurc_ir::NeuronRange;
use serde::Serialize;
use std::time::Duration;

/// The whole report, fields in the order the schema lists them.
#[derive(Serialize)]
pub(crate) struct Report<'a> {
    target: &'a str,
    precision: &'a str,
    threads: usize,
    seed: u64,
    dt_s: f64,
    duration_s: f64,
    steps: u64,
    wall_s: WallTimes,
    jit: Vec<JitEntry<'a>>,
    counts: Counts,
    populations: Vec<PopulationEntry<'a>>,
    projections: Vec<ProjectionEntry<'a>>,
    memory: Memory,
    #[serde(skip_serializing_if = "Option::is_none")]
    chip: Option<&'a serde_json::Value>,
}

/// Seconds per phase; `total` from the caller's start to the report.
#[derive(Serialize)]
struct WallTimes {
    compile: f64,
    expand: f64,
    jit: f64,
    setup: f64,
    simulate: f64,
    write: f64,
    total: f64,
}

/// One compiled kernel.
#[derive(Serialize)]
#[serde(untagged)]
enum JitEntry<'a> {
    Neuron {
        population: &'a str,
        model: &'a str,
        kernel: &'static str,
        compile_ms: f64,
    },
    Delivery {
        projection: &'a str,
        kernel: &'static str,
        compile_ms: f64,
    },
}

/// Whole-network counts. `spikes` and `synaptic_events` are those of the
/// simulated neurons; input from sources (populations without state) is
/// `source_events`, so that a network's activity is not swamped by the
/// Poisson drive it receives.
#[derive(Serialize)]
struct Counts {
    neurons: u64,
    synapses: u64,
    spikes: u64,
    synaptic_events: u64,
    source_events: u64,
}

#[derive(Serialize)]
struct PopulationEntry<'a> {
    name: &'a str,
    model: &'a str,
    size: u32,
    source: bool,
    spikes: u64,
    /// Spikes per neuron per second; null for a run of no time or an
    /// empty population.
    rate_hz: Option<f64>,
    cv_isi: Option<f64>,
    recorded: u64,
}

#[derive(Serialize)]
struct ProjectionEntry<'a> {
    name: &'a str,
    synapses: u64,
    synaptic_events: u64,
}

#[derive(Serialize)]
struct Memory {
    peak_rss_bytes: Option<u64>,
    synapse_bytes: u64,
    bytes_per_synapse: Option<f64>,
}

/// Whether a population only emits spikes: a source's program has no state.
pub(crate) fn is_source(instance: &RunLayout, population: usize) -> bool {
    instance
        .populations
        .get(population)
        .is_some_and(|p| p.source)
}

/// Builds the report; `write` is the time the other files took.
pub(crate) fn build<'a>(
    instance: &'a RunLayout,
    recording: &Recording,
    info: &'a RunInfo,
    write: Duration,
) -> Report<'a> {
    let duration_s = Clock::new(instance.dt).seconds(instance.steps);
    let ranges = recorded_ranges(instance);
    let cv = cv_isi(instance, recording, &ranges);
    let populations: Vec<PopulationEntry<'a>> = instance
        .populations
        .iter()
        .enumerate()
        .map(|(index, population)| {
            let spikes = recording.spike_counts[index];
            let neuron_seconds = f64::from(population.size) * duration_s;
            PopulationEntry {
                name: &population.name,
                model: &population.model,
                size: population.size,
                source: is_source(instance, index),
                spikes,
                rate_hz: (neuron_seconds > 0.0).then(|| spikes as f64 / neuron_seconds),
                cv_isi: cv[index],
                recorded: ranges[index].iter().map(|r| u64::from(r.len())).sum(),
            }
        })
        .collect();
    let projections: Vec<ProjectionEntry<'a>> = instance
        .projections
        .iter()
        .zip(&recording.synaptic_events)
        .map(|(projection, &synaptic_events)| ProjectionEntry {
            name: &projection.name,
            synapses: projection.synapses,
            synaptic_events,
        })
        .collect();
    let from_source = |pre: usize| is_source(instance, pre);
    let events = |sources: bool| -> u64 {
        instance
            .projections
            .iter()
            .zip(&recording.synaptic_events)
            .filter(|(projection, _)| from_source(projection.pre) == sources)
            .map(|(_, &events)| events)
            .sum()
    };
    let synapses: u64 = projections.iter().map(|p| p.synapses).sum();
    let phases = &info.phases;
    Report {
        target: &info.target,
        precision: &info.precision,
        threads: info.threads,
        seed: instance.seed,
        dt_s: instance.dt,
        duration_s,
        steps: instance.steps,
        wall_s: WallTimes {
            compile: phases.compile.as_secs_f64(),
            expand: phases.expand.as_secs_f64(),
            jit: phases.jit.as_secs_f64(),
            setup: phases.setup.as_secs_f64(),
            simulate: phases.simulate.as_secs_f64(),
            write: write.as_secs_f64(),
            total: info.started.elapsed().as_secs_f64(),
        },
        jit: info
            .kernels
            .iter()
            .map(|timed| {
                let compile_ms = timed.compile.as_secs_f64() * 1e3;
                match timed.kernel {
                    Kernel::Neuron { population } => JitEntry::Neuron {
                        population: &instance.populations[population].name,
                        model: &instance.populations[population].model,
                        kernel: "neuron",
                        compile_ms,
                    },
                    Kernel::Delivery { projection } => JitEntry::Delivery {
                        projection: &instance.projections[projection].name,
                        kernel: "delivery",
                        compile_ms,
                    },
                }
            })
            .collect(),
        counts: Counts {
            neurons: instance.populations.iter().map(|p| u64::from(p.size)).sum(),
            synapses,
            spikes: populations
                .iter()
                .filter(|p| !p.source)
                .map(|p| p.spikes)
                .sum(),
            synaptic_events: events(false),
            source_events: events(true),
        },
        populations,
        projections,
        memory: Memory {
            peak_rss_bytes: info.peak_rss_bytes,
            synapse_bytes: info.synapse_bytes,
            bytes_per_synapse: (synapses > 0).then(|| info.synapse_bytes as f64 / synapses as f64),
        },
        chip: info.chip.as_ref(),
    }
}

/// Running statistics of one neuron's inter-spike intervals (Welford's
/// algorithm, so long runs lose no precision).
#[derive(Clone, Copy, Default)]
struct Intervals {
    last_step: Option<u64>,
    count: u64,
    mean: f64,
    m2: f64,
}

impl Intervals {
    fn add(&mut self, step: u64) {
        if let Some(last) = self.last_step {
            let interval = (step - last) as f64;
            self.count += 1;
            let delta = interval - self.mean;
            self.mean += delta / self.count as f64;
            self.m2 += delta * (interval - self.mean);
        }
        self.last_step = Some(step);
    }

    /// sd/mean of the intervals (population sd), for neurons with at least
    /// three spikes (two intervals). A neuron whose spikes all fall in one
    /// step (a counting source) has no defined CV and is left out.
    fn cv(&self) -> Option<f64> {
        (self.count >= 2 && self.mean > 0.0)
            .then(|| (self.m2 / self.count as f64).sqrt() / self.mean)
    }
}

/// Per population, the mean over recorded neurons with at least three
/// recorded spikes of their ISI coefficient of variation (1 for a Poisson
/// process, 0 for a regular one); `None` when no neuron qualifies. Intervals
/// are in steps: the ratio has no unit. A counting source's `k` spikes in
/// one step are `k` spikes with intervals of zero between them.
fn cv_isi(
    instance: &RunLayout,
    recording: &Recording,
    ranges: &[Vec<NeuronRange>],
) -> Vec<Option<f64>> {
    // Each recorded neuron's slot: its population's ranges laid end to end.
    let offsets: Vec<Vec<u64>> = ranges
        .iter()
        .map(|list| {
            list.iter()
                .scan(0u64, |offset, range| {
                    let start = *offset;
                    *offset += u64::from(range.len());
                    Some(start)
                })
                .collect()
        })
        .collect();
    let mut intervals: Vec<Vec<Intervals>> = ranges
        .iter()
        .map(|list| vec![Intervals::default(); list.iter().map(|r| r.len() as usize).sum()])
        .collect();
    for spike in MergedSpikes::new(&instance.spike_probes, recording) {
        let list = &ranges[spike.population];
        let index = list.partition_point(|r| r.end <= spike.neuron);
        if let Some(range) = list.get(index).filter(|r| r.start <= spike.neuron) {
            let slot = offsets[spike.population][index] + u64::from(spike.neuron - range.start);
            intervals[spike.population][slot as usize].add(spike.step);
        }
    }
    intervals
        .iter()
        .map(|neurons| {
            let cvs: Vec<f64> = neurons.iter().filter_map(Intervals::cv).collect();
            (!cvs.is_empty()).then(|| cvs.iter().sum::<f64>() / cvs.len() as f64)
        })
        .collect()
}
