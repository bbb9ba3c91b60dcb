//! The JIT executor: compiled kernels run on threads that own disjoint
//! chunks of every population.
//!
//! A step on thread `t`: update its chunk of every population (take-up,
//! state, spikes) with the neuron kernels and publish the spikes; wait at
//! the barrier; then deliver every projection's spikes of this step — all
//! threads' lists, in thread order, so in ascending neuron order — over
//! its own part of each row, into its own ring buffers. Delays are at
//! least one step, so those deliveries are read no earlier than the next
//! step, by the same thread: one barrier per step, no locks held across
//! threads, and every neuron receives its input summed in the same order
//! (projection, spiking neuron, synapse) whatever the thread count, so the
//! results are bit-identical for any `--threads`.

mod barrier;
mod compile;
mod shard;

pub use compile::{Compiled, compile, delivery_spec};

use crate::error::{RunError, is_check_step};
use crate::instance::Instance;
use crate::progress::Progress;
use crate::recording::{Recording, SpikeEvents, Trace};
use barrier::SpinBarrier;
use neurc_backends::cpu::Real;
use neurc_backends::cpu::jit::{NeuronData, SynapseArrays, SynapseShard};
use neurc_ir::PerSynapse;
use shard::{PopulationShard, ProjectionRows, chunk, projection_rows};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, PoisonError, RwLock};

/// The progress bar moves every this many steps.
const PROGRESS_EVERY: u64 = 100;

/// How to run.
pub struct Options<'a> {
    /// Worker threads (at least 1).
    pub threads: usize,
    /// Where to show progress, if anywhere.
    pub progress: Option<&'a Progress>,
}

/// The spikes one thread's chunk of one population emitted in a step.
#[derive(Default)]
struct SpikeList {
    /// Population indices, ascending.
    neurons: Vec<u32>,
    /// Counts, for populations that spike with counts.
    counts: Vec<u32>,
    /// Entries valid this step.
    len: usize,
}

/// What one thread records.
struct ThreadRecord {
    /// Per spike probe: (step, neuron) in step order.
    spikes: Vec<Vec<(u64, u32)>>,
    /// Per trace probe: this thread's recorded neurons and their values,
    /// step-major.
    traces: Vec<(u32, u32, Vec<f64>)>,
    /// Spikes per population.
    spike_counts: Vec<u64>,
    /// Synaptic events per projection.
    synaptic_events: Vec<u64>,
}

/// Where an error was found: (population, variable, neuron), so that
/// the first by this order is reported whatever the thread count.
type Finding = (usize, usize, u32);

/// What every thread shares.
struct Shared<'a, R> {
    instance: &'a Instance,
    compiled: &'a Compiled<R>,
    rows: Vec<ProjectionRows<R>>,
    /// Per step parity, per population, per thread.
    spikes: [Vec<Vec<RwLock<SpikeList>>>; 2],
    barrier: SpinBarrier,
    /// Raised by a thread that met an error during the step of this
    /// parity (setup counts as step −1) and read after that step's
    /// barrier. A flag for the next step can be raised before a slow
    /// thread has read this one, so one flag would stop threads at
    /// different steps and leave one waiting at a barrier for ever.
    stop: [AtomicBool; 2],
    errors: Mutex<Vec<(Finding, RunError)>>,
    threads: usize,
}

/// Runs `instance` with its compiled kernels.
pub fn run<R: Real>(
    instance: &Instance,
    compiled: &Compiled<R>,
    options: &Options<'_>,
) -> Result<Recording, RunError> {
    let threads = options.threads.max(1);
    let spike_lists = || {
        instance
            .populations
            .iter()
            .map(|p| {
                (0..threads)
                    .map(|t| {
                        let (start, end) = chunk(p.size, threads, t);
                        let n = (end - start) as usize;
                        let counted = p.program.counts_spikes();
                        RwLock::new(SpikeList {
                            neurons: vec![0; n],
                            counts: vec![0; if counted { n } else { 0 }],
                            len: 0,
                        })
                    })
                    .collect()
            })
            .collect()
    };
    let shared = Shared {
        instance,
        compiled,
        rows: projection_rows(instance, threads),
        spikes: [spike_lists(), spike_lists()],
        barrier: SpinBarrier::new(threads),
        stop: [AtomicBool::new(false), AtomicBool::new(false)],
        errors: Mutex::new(Vec::new()),
        threads,
    };
    let records: Vec<Result<ThreadRecord, RunError>> = std::thread::scope(|scope| {
        let shared = &shared;
        let workers: Vec<_> = (1..threads)
            .map(|t| scope.spawn(move || worker(shared, t, None)))
            .collect();
        let mut records = vec![worker(shared, 0, options.progress)];
        for w in workers {
            records
                .push(w.join().unwrap_or_else(|_| {
                    Err(RunError::Internal("a worker thread panicked".into()))
                }));
        }
        records
    });
    let mut errors = shared
        .errors
        .into_inner()
        .unwrap_or_else(PoisonError::into_inner);
    // The first finding by (population, variable, neuron), as one thread
    // would have found it.
    errors.sort_by_key(|(key, _)| *key);
    if let Some((_, error)) = errors.into_iter().next() {
        return Err(error);
    }
    let records = records.into_iter().collect::<Result<Vec<_>, _>>()?;
    Ok(merge(instance, records))
}

/// One thread's whole run. A thread that meets an error records it and
/// raises the stop flag but keeps meeting the others at the barrier until
/// they all see the flag, so no thread waits for one that has left.
fn worker<R: Real>(
    shared: &Shared<'_, R>,
    t: usize,
    progress: Option<&Progress>,
) -> Result<ThreadRecord, RunError> {
    let instance = shared.instance;
    let threads = shared.threads;
    let mut populations: Vec<PopulationShard<R>> = instance
        .populations
        .iter()
        .map(|p| {
            let (start, end) = chunk(p.size, threads, t);
            PopulationShard::new(p, instance.seed, instance.dt, start, end)
        })
        .collect();
    let synapses = synapse_shards(shared, &populations, t);
    if let Err(error) = &synapses {
        shared.fail(SETUP, error.clone());
    }
    shared.barrier.wait();
    let (Ok(synapses), false) = (synapses, shared.stopped(SETUP)) else {
        return Err(RunError::Internal("stopped by another thread".into()));
    };
    let mut record = ThreadRecord {
        spikes: vec![Vec::new(); instance.spike_probes.len()],
        traces: instance
            .trace_probes
            .iter()
            .map(|probe| {
                let own = &populations[probe.population];
                let start = probe.neurons.start.max(own.first);
                let end = probe.neurons.end.min(own.first + own.n).max(start);
                let values = Vec::with_capacity(instance.steps as usize * (end - start) as usize);
                (start, end, values)
            })
            .collect(),
        spike_counts: vec![0; instance.populations.len()],
        synaptic_events: vec![0; instance.projections.len()],
    };
    // A step's stop flag is only raised before its barrier and only read
    // after it, so every thread leaves the loop after the same step.
    let mut delivery_error = None;
    for step in 0..instance.steps {
        if let Some(error) = delivery_error.take() {
            shared.fail(step, error);
        }
        if let Err(error) = update(shared, t, step, &mut populations, &mut record) {
            shared.fail(step, error);
        }
        if is_check_step(step, instance.steps) {
            check_finite(shared, &populations, step);
        }
        shared.barrier.wait();
        if shared.stopped(step) {
            break;
        }
        delivery_error = deliver(shared, step, &mut populations, &synapses, &mut record).err();
        if let Some(progress) = progress
            && step % PROGRESS_EVERY == 0
        {
            progress.set_position(step);
        }
    }
    if let Some(error) = delivery_error {
        shared.fail(instance.steps, error);
    }
    Ok(record)
}

/// The step whose stop flag the setup raises: step −1, by parity.
const SETUP: u64 = 1;

impl<R> Shared<'_, R> {
    /// Records an error found in `step` and stops every thread after that
    /// step's barrier.
    fn fail(&self, step: u64, error: RunError) {
        self.report(step, (0, 0, 0), error);
    }

    /// Records `error` at `finding` and raises `step`'s stop flag.
    fn report(&self, step: u64, finding: Finding, error: RunError) {
        self.errors
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push((finding, error));
        self.stop[(step % 2) as usize].store(true, Ordering::Release);
    }

    /// Whether some thread met an error in `step`.
    fn stopped(&self, step: u64) -> bool {
        self.stop[(step % 2) as usize].load(Ordering::Acquire)
    }
}

/// Thread `t`'s checked view of every projection's synapses.
fn synapse_shards<'a, R: Real>(
    shared: &'a Shared<'_, R>,
    populations: &[PopulationShard<R>],
    t: usize,
) -> Result<Vec<SynapseShard<'a, R>>, RunError> {
    let instance = shared.instance;
    let mut synapses = Vec::with_capacity(instance.projections.len());
    for (index, projection) in instance.projections.iter().enumerate() {
        let table = &projection.table;
        let rows = &shared.rows[index];
        let (begin, end) = rows.bounds(table, t);
        let arrays = SynapseArrays {
            begin,
            end,
            targets: &table.targets,
            weights: &rows.weights,
            delays: match &table.delays {
                PerSynapse::Constant(_) => &[],
                PerSynapse::Varying(d) => d,
            },
        };
        let post = &populations[projection.post];
        let spec = &shared.compiled.deliveries[index].1;
        let slots = instance.populations[projection.post].slots;
        let shard = SynapseShard::new(spec, arrays, post.first, post.n, slots)
            .map_err(|e| RunError::Internal(format!("projection `{}`: {e}", projection.name)))?;
        synapses.push(shard);
    }
    Ok(synapses)
}

/// Step `step` of thread `t`'s chunk of every population: the neuron
/// kernels, the spike lists for the other threads, and the records.
fn update<R: Real>(
    shared: &Shared<'_, R>,
    t: usize,
    step: u64,
    populations: &mut [PopulationShard<R>],
    record: &mut ThreadRecord,
) -> Result<(), RunError> {
    let instance = shared.instance;
    let kernels = &shared.compiled.kernels;
    let parity = (step % 2) as usize;
    let time = R::from_f64(step as f64 * instance.dt);
    for (index, shard) in populations.iter_mut().enumerate() {
        let mut list = shared.spikes[parity][index][t]
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        let list = &mut *list;
        let population = &instance.populations[index];
        let kernel = kernels.neuron(shared.compiled.neurons[index]);
        let spiked = kernel
            .run(NeuronData {
                state: &mut shard.state,
                params: &shard.params,
                ring: &mut shard.ring,
                slots: population.slots,
                refractory: &mut shard.refractory,
                streams: &mut shard.streams,
                schedule: shard.schedule.as_mut(),
                spikes: &mut list.neurons,
                counts: &mut list.counts,
                first: shard.first,
                n: shard.n,
                time,
                step,
            })
            .map_err(|e| RunError::Internal(format!("population `{}`: {e}", population.name)))?
            as usize;
        list.len = spiked;
        let counts = population
            .program
            .counts_spikes()
            .then(|| &list.counts[..spiked]);
        record.spike_counts[index] +=
            counts.map_or(spiked as u64, |c| c.iter().map(|&k| u64::from(k)).sum());
        record_spikes(
            instance,
            record,
            index,
            step,
            &list.neurons[..spiked],
            counts,
        );
    }
    for (probe, (start, end, values)) in instance.trace_probes.iter().zip(&mut record.traces) {
        let shard = &populations[probe.population];
        let offset = probe.state as usize * shard.n as usize;
        for i in *start..*end {
            values.push(shard.state[offset + (i - shard.first) as usize].to_f64());
        }
    }
    Ok(())
}

/// Delivers every projection's spikes of step `step`, from every thread's
/// lists in thread order, over this thread's `synapses` into its rings,
/// and counts the synaptic events (the kernels count them as they walk the
/// rows). A list is skipped if none of its neurons, the sending thread's
/// chunk of the population, has synapses onto this thread's neurons: with
/// one-to-one connectivity, every list but the thread's own.
fn deliver<R: Real>(
    shared: &Shared<'_, R>,
    step: u64,
    populations: &mut [PopulationShard<R>],
    synapses: &[SynapseShard<'_, R>],
    record: &mut ThreadRecord,
) -> Result<(), RunError> {
    let instance = shared.instance;
    let parity = (step % 2) as usize;
    for (index, projection) in instance.projections.iter().enumerate() {
        let (kernel_id, _) = shared.compiled.deliveries[index];
        let kernel = shared.compiled.kernels.delivery(kernel_id);
        let post = &mut populations[projection.post];
        let buffer_len = instance.populations[projection.post].slots as usize * post.n as usize;
        let start = projection.buffer as usize * buffer_len;
        let ring = &mut post.ring[start..start + buffer_len];
        let reaching = synapses[index].reaching();
        let pre_size = instance.populations[projection.pre].size;
        for source in 0..shared.threads {
            let (first, end) = chunk(pre_size, shared.threads, source);
            if end.min(reaching.end) <= first.max(reaching.start) {
                continue;
            }
            let list = shared.spikes[parity][projection.pre][source]
                .read()
                .unwrap_or_else(PoisonError::into_inner);
            record.synaptic_events[index] += kernel
                .deliver(
                    &synapses[index],
                    &list.neurons[..list.len],
                    &list.counts,
                    ring,
                    step,
                )
                .map_err(|e| {
                    RunError::Internal(format!("projection `{}`: {e}", projection.name))
                })?;
        }
    }
    Ok(())
}

/// Appends the recorded spikes of one thread's chunk in one step.
fn record_spikes(
    instance: &Instance,
    record: &mut ThreadRecord,
    population: usize,
    step: u64,
    neurons: &[u32],
    counts: Option<&[u32]>,
) {
    for (probe, events) in instance.spike_probes.iter().zip(&mut record.spikes) {
        if probe.population != population {
            continue;
        }
        for (k, &neuron) in neurons.iter().enumerate() {
            if probe.neurons.start <= neuron && neuron < probe.neurons.end {
                let times = counts.map_or(1, |c| c[k]);
                events.extend(std::iter::repeat_n((step, neuron), times as usize));
            }
        }
    }
}

/// Checks one thread's states for NaN and infinity after `step`; on a
/// finding, records it and tells every thread to stop after this step.
fn check_finite<R: Real>(shared: &Shared<'_, R>, populations: &[PopulationShard<R>], step: u64) {
    let instance = shared.instance;
    for (index, shard) in populations.iter().enumerate() {
        let n = shard.n as usize;
        if n == 0 {
            continue;
        }
        let Some(position) = shard.state.iter().position(|v| !v.is_finite()) else {
            continue;
        };
        let population = &instance.populations[index];
        let value = shard.state[position].to_f64();
        let neuron = shard.first + (position % n) as u32;
        let error = RunError::NonFinite {
            population: population.name.clone(),
            variable: population.program.state[position / n].clone(),
            neuron,
            step,
            time_ms: (step + 1) as f64 * instance.dt * 1e3,
            value: format!("{value}"),
        };
        shared.report(step, (index, position / n, neuron), error);
        return;
    }
}

/// Joins the threads' records, in thread order.
fn merge(instance: &Instance, records: Vec<ThreadRecord>) -> Recording {
    let mut recording = Recording {
        spikes: vec![SpikeEvents::default(); instance.spike_probes.len()],
        traces: Vec::with_capacity(instance.trace_probes.len()),
        spike_counts: vec![0; instance.populations.len()],
        synaptic_events: vec![0; instance.projections.len()],
    };
    for r in &records {
        for (total, n) in recording.spike_counts.iter_mut().zip(&r.spike_counts) {
            *total += n;
        }
        for (total, n) in recording.synaptic_events.iter_mut().zip(&r.synaptic_events) {
            *total += n;
        }
    }
    for (p, events) in recording.spikes.iter_mut().enumerate() {
        let mut all: Vec<(u64, u32)> = records
            .iter()
            .flat_map(|r| r.spikes[p].iter().copied())
            .collect();
        // Threads hold ascending neuron chunks, so a stable sort by step
        // alone gives (step, neuron) order.
        all.sort_by_key(|&(step, _)| step);
        events.steps = all.iter().map(|e| e.0).collect();
        events.neurons = all.iter().map(|e| e.1).collect();
    }
    for (p, probe) in instance.trace_probes.iter().enumerate() {
        let width = probe.neurons.len() as usize;
        let steps = records
            .iter()
            .map(|r| {
                let (start, end, values) = &r.traces[p];
                values.len() / ((end - start) as usize).max(1)
            })
            .max()
            .unwrap_or(0);
        let mut values = vec![0.0; steps * width];
        for r in &records {
            let (start, end, own) = &r.traces[p];
            let own_width = (end - start) as usize;
            if own_width == 0 {
                continue;
            }
            let column = (start - probe.neurons.start) as usize;
            for (step, row) in own.chunks_exact(own_width).enumerate() {
                values[step * width + column..step * width + column + own_width]
                    .copy_from_slice(row);
            }
        }
        recording.traces.push(Trace { values });
    }
    recording
}
