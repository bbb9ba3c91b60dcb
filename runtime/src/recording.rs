//! What a run records: spikes, state traces and spike counts, in the same
//! form from every executor, so runs can be compared exactly.

/// The recorded spikes of one spike probe.
#[derive(Clone, PartialEq, Debug, Default)]
pub struct SpikeEvents {
    /// Step of each spike, in (step, neuron) order; a neuron that spikes
    /// `k` times in a step (a counting source) appears `k` times.
    pub steps: Vec<u64>,
    /// The neuron (index within its population) of each spike.
    pub neurons: Vec<u32>,
}

/// The recorded values of one state probe.
#[derive(Clone, PartialEq, Debug, Default)]
pub struct Trace {
    /// `steps × neurons` values, step-major, each the variable's value at
    /// the end of the step (after resets), exactly as the run's precision
    /// held it, widened to `f64`.
    pub values: Vec<f64>,
}

/// Everything a run records.
#[derive(Clone, PartialEq, Debug, Default)]
pub struct Recording {
    /// Per spike probe of the instance, in order.
    pub spikes: Vec<SpikeEvents>,
    /// Per state probe of the instance, in order.
    pub traces: Vec<Trace>,
    /// Spikes emitted by each population over the run (counts included).
    pub spike_counts: Vec<u64>,
    /// Synaptic events per projection of the instance, in order: for every
    /// spike, the synapses it was delivered over (a count spike counts once).
    pub synaptic_events: Vec<u64>,
}
