//! Everything about a chip that changes as it runs: registers, dendritic
//! accumulators, refractory counters, the host sources' streams, and the
//! running totals of the accounting. Cloning a state checkpoints a run.

use crate::chip::Chip;
use crate::neuron::RegisterFile;
use crate::step::Lane;
use neurc_backends::cpu::random::StreamLanes;

/// Running totals of one core.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CoreTotals {
    /// Synapses walked for incoming spikes.
    pub synaptic_ops: u64,
    /// Compartment updates with work to do.
    pub active_updates: u64,
    /// Compartment updates at rest.
    pub inactive_updates: u64,
    /// Spikes of its compartments.
    pub spikes: u64,
    /// Messages it sent.
    pub messages_out: u64,
    /// Messages it received.
    pub messages_in: u64,
    /// Time it was busy (updating compartments or serving input),
    /// picoseconds.
    pub busy_ps: u64,
}

/// A core's spikes of a step: (compartment, when its update ended, ps).
pub(crate) type Fired = Vec<(u32, u64)>;

/// One core's state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct CoreState {
    pub(crate) registers: RegisterFile,
    pub(crate) spiked: Vec<bool>,
    /// Per compartment, whether this step's update had work to do
    /// (scratch).
    pub(crate) active: Vec<bool>,
    /// Per compartment, the u of this step's joined children (scratch).
    pub(crate) join: Vec<i64>,
    /// When this step's update ended (scratch).
    pub(crate) update_ps: u64,
    pub(crate) totals: CoreTotals,
}

/// The state of a chip system between steps.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChipState {
    pub(crate) steps: u64,
    pub(crate) cores: Vec<CoreState>,
    /// The dendritic accumulators of every core in one array, core by core
    /// (each core's block at its `accumulator_base`: `slots × groups ×
    /// compartments`, slot-major), so that the accumulators a step touches
    /// share the cache.
    pub(crate) accumulators: Vec<i64>,
    /// Per core, this step's spikes: (compartment, time it fired).
    pub(crate) fired: Vec<Fired>,
    /// Per host source, its neurons' streams.
    pub(crate) streams: Vec<StreamLanes>,
    /// Per host source, this step's spike count per neuron (scratch).
    pub(crate) source_counts: Vec<Vec<u32>>,
    /// Per thread, this step's link loads and messages (scratch).
    pub(crate) lanes: Vec<Lane>,
}

impl ChipState {
    pub(crate) fn new(chip: &Chip) -> ChipState {
        ChipState {
            steps: 0,
            cores: chip
                .cores
                .iter()
                .map(|core| CoreState {
                    registers: RegisterFile::new(&core.initial),
                    spiked: vec![false; core.len()],
                    active: vec![false; core.len()],
                    join: vec![0; core.len()],
                    update_ps: 0,
                    totals: CoreTotals::default(),
                })
                .collect(),
            accumulators: vec![0; chip.accumulator_len],
            fired: vec![Vec::new(); chip.cores.len()],
            streams: chip.sources.iter().map(|s| s.streams(chip.seed)).collect(),
            source_counts: vec![Vec::new(); chip.sources.len()],
            lanes: Vec::new(),
        }
    }

    /// Steps completed.
    pub fn steps(&self) -> u64 {
        self.steps
    }

    /// The current u of compartment `compartment` of core `core` (indices
    /// among the cores in use and within the core).
    pub fn u(&self, core: usize, compartment: usize) -> i64 {
        self.cores[core].registers.u[compartment]
    }

    /// The current v.
    pub fn v(&self, core: usize, compartment: usize) -> i64 {
        self.cores[core].registers.v[compartment]
    }

    /// Whether the compartment spiked on the last completed step.
    pub fn spiked(&self, core: usize, compartment: usize) -> bool {
        self.cores[core].spiked[compartment]
    }

    /// The compartments of core `core` that spiked on the last completed
    /// step, in service order.
    pub fn spikes(&self, core: usize) -> impl ExactSizeIterator<Item = u32> + '_ {
        self.fired[core].iter().map(|&(c, _)| c)
    }

    /// The spikes each neuron of host source `source` sent on the last
    /// completed step.
    pub fn source_spikes(&self, source: usize) -> &[u32] {
        &self.source_counts[source]
    }

    /// The running totals of core `core`.
    pub fn core_totals(&self, core: usize) -> CoreTotals {
        self.cores[core].totals
    }
}
