//! Everything about a chip that changes as it runs: registers, dendritic
//! accumulators, refractory counters, the host sources' streams, and the
//! running totals of the accounting. Cloning a state checkpoints a run.

use crate::chip::Chip;
use crate::neuron::Registers;
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

/// One core's state apart from its compartments'.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct CoreState {
    /// When this step's update ended (scratch).
    pub(crate) update_ps: u64,
    pub(crate) totals: CoreTotals,
}

/// The registers of every compartment of the system, and what a step's
/// update notes of each, core after core (each core's at its
/// `compartments`), an array per figure: a step's update streams along
/// them, and runs along a core's on vectors.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Compartments {
    /// Synaptic currents.
    pub(crate) u: Vec<i64>,
    /// Membrane voltages.
    pub(crate) v: Vec<i64>,
    /// Steps of refractoriness left.
    pub(crate) refractory: Vec<u32>,
    /// Whether each spiked on the last step.
    pub(crate) spiked: Vec<bool>,
    /// Whether each one's update had work to do (scratch).
    pub(crate) active: Vec<bool>,
    /// The u of this step's joined children (scratch).
    pub(crate) join: Vec<i64>,
}

impl Compartments {
    pub(crate) fn new(initial: &[Registers]) -> Compartments {
        Compartments {
            u: initial.iter().map(|r| r.u).collect(),
            v: initial.iter().map(|r| r.v).collect(),
            refractory: initial.iter().map(|r| r.refractory).collect(),
            spiked: vec![false; initial.len()],
            active: vec![false; initial.len()],
            join: vec![0; initial.len()],
        }
    }

    /// All of them, borrowed.
    pub(crate) fn as_mut(&mut self) -> CompartmentsMut<'_> {
        CompartmentsMut {
            u: &mut self.u,
            v: &mut self.v,
            refractory: &mut self.refractory,
            spiked: &mut self.spiked,
            active: &mut self.active,
            join: &mut self.join,
        }
    }
}

/// A run of [`Compartments`], borrowed: a thread's, or a core's.
#[derive(Debug)]
pub(crate) struct CompartmentsMut<'a> {
    pub(crate) u: &'a mut [i64],
    pub(crate) v: &'a mut [i64],
    pub(crate) refractory: &'a mut [u32],
    pub(crate) spiked: &'a mut [bool],
    pub(crate) active: &'a mut [bool],
    pub(crate) join: &'a mut [i64],
}

impl<'a> CompartmentsMut<'a> {
    /// The first `n`, and the rest.
    pub(crate) fn split_at(self, n: usize) -> (CompartmentsMut<'a>, CompartmentsMut<'a>) {
        let (u, u_rest) = self.u.split_at_mut(n);
        let (v, v_rest) = self.v.split_at_mut(n);
        let (refractory, refractory_rest) = self.refractory.split_at_mut(n);
        let (spiked, spiked_rest) = self.spiked.split_at_mut(n);
        let (active, active_rest) = self.active.split_at_mut(n);
        let (join, join_rest) = self.join.split_at_mut(n);
        (
            CompartmentsMut {
                u,
                v,
                refractory,
                spiked,
                active,
                join,
            },
            CompartmentsMut {
                u: u_rest,
                v: v_rest,
                refractory: refractory_rest,
                spiked: spiked_rest,
                active: active_rest,
                join: join_rest,
            },
        )
    }

    /// The compartments `range`, borrowed anew.
    pub(crate) fn range(&mut self, range: std::ops::Range<usize>) -> CompartmentsMut<'_> {
        CompartmentsMut {
            u: &mut self.u[range.clone()],
            v: &mut self.v[range.clone()],
            refractory: &mut self.refractory[range.clone()],
            spiked: &mut self.spiked[range.clone()],
            active: &mut self.active[range.clone()],
            join: &mut self.join[range],
        }
    }

    /// Compartment `i`'s registers.
    #[inline]
    pub(crate) fn registers(&self, i: usize) -> Registers {
        Registers {
            u: self.u[i],
            v: self.v[i],
            refractory: self.refractory[i],
        }
    }

    #[inline]
    pub(crate) fn set_registers(&mut self, i: usize, registers: Registers) {
        self.u[i] = registers.u;
        self.v[i] = registers.v;
        self.refractory[i] = registers.refractory;
    }
}

/// The state of a chip system between steps.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChipState {
    pub(crate) steps: u64,
    pub(crate) cores: Vec<CoreState>,
    pub(crate) compartments: Compartments,
    /// Per core, where its compartments start in `compartments` (a copy
    /// of the chip's layout, for the state's accessors).
    first_compartment: Vec<usize>,
    /// The dendritic accumulators of every core in one array, in blocks of
    /// neighbouring cores laid out slot by slot (see
    /// [`crate::accumulators`]), so that the accumulators a step touches
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
            cores: vec![
                CoreState {
                    update_ps: 0,
                    totals: CoreTotals::default(),
                };
                chip.cores.len()
            ],
            compartments: Compartments::new(&chip.compartments.initial),
            first_compartment: chip.cores.iter().map(|c| c.compartments.start).collect(),
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
        self.compartments.u[self.first_compartment[core] + compartment]
    }

    /// The current v.
    pub fn v(&self, core: usize, compartment: usize) -> i64 {
        self.compartments.v[self.first_compartment[core] + compartment]
    }

    /// Whether the compartment spiked on the last completed step.
    pub fn spiked(&self, core: usize, compartment: usize) -> bool {
        self.compartments.spiked[self.first_compartment[core] + compartment]
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
