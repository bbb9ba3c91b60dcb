//! One timestep of the whole system. Time moves only here.
//!
//! The schedule of a step n, in picoseconds from the step's start:
//! 1. **Neuron update.** Each core services its compartments in index
//!    order; a compartment takes `neuron_active_ps` or
//!    `neuron_inactive_ps`, and a spike leaves the core at the moment its
//!    compartment's update ends.
//! 2. **Host input.** Host sources draw this step's spikes; their messages
//!    enter the mesh at the destination's tile at the step's start.
//! 3. **Spike traffic.** Each message travels its dimension-order route:
//!    `spike_in_tile_ps` plus the hop latencies. The receiving core serves
//!    messages in order of arrival, once its own update is over, each for
//!    `synaptic_op_ps` per synapse of the list, depositing the weights in
//!    the accumulator slot of step n + delay. A link carries one spike per
//!    `1 / tile_spike_bandwidth_per_s`, so traffic cannot end before the
//!    busiest link has carried its messages.
//! 4. **Barrier.** When every core is done and every message has arrived,
//!    the barrier sweeps the mesh.
//!
//! The step lasts until the barrier ends. Cores and sources are
//! independent within a phase; threads own disjoint sets of cores (and of
//! receiving cores in phase 3), and every figure is an integer, so results
//! do not depend on the number of threads.

use crate::chip::{Chip, Core, Destination, Format, LongRests, Receiver, RestSynapses};
use crate::counts::{Counts, Energy};
use crate::neuron::{CoreArrays, Inputs, update, update_unjoined};
use crate::noc::{Departure, LinkLoads};
use crate::state::{ChipState, CompartmentsMut, CoreState, Fired};
use neurc_backends::cpu::prefetch::{prefetch, prefetch_slice};
use neurc_ir::chip::{Arithmetic, CoreId};
use rayon::prelude::*;

/// What one step did and took.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StepStats {
    /// The step's index (the first step is 0).
    pub step: u64,
    /// Its duration, barrier included, picoseconds.
    pub time_ps: u64,
    /// Its traffic phase: from the start until every core is done and
    /// every message has arrived.
    pub traffic_ps: u64,
    /// Its operations.
    pub counts: Counts,
    /// The core that finished last, and when.
    pub busiest_core: Option<(CoreId, u64)>,
    /// The most messages one link carried.
    pub busiest_link_messages: u32,
}

impl StepStats {
    /// The step's energy on `chip`.
    pub fn energy(&self, chip: &Chip) -> Energy {
        Energy::of(
            &self.counts,
            self.time_ps,
            chip.chips_in_use,
            &chip.spec.energy,
        )
    }
}

impl Chip {
    /// Runs one timestep, advancing `state`, and returns what it did.
    pub fn step(&self, state: &mut ChipState) -> StepStats {
        let step = state.steps;
        let mut counts = self.update_cores(state, step);
        counts += &self.draw_sources(state, step);
        let (delivered, busiest_link) = self.deliver(state, step);
        counts += &delivered.counts;
        counts.barriers = 1;
        let (finished, busiest_core) = match delivered.last {
            Some((t, std::cmp::Reverse(core))) => (t, Some(core)),
            None => (0, None),
        };
        let links_ps = u64::from(busiest_link) * self.spike_interval_ps;
        let traffic_ps = finished.max(links_ps);
        state.steps += 1;
        StepStats {
            step,
            time_ps: traffic_ps + self.barrier_ps,
            traffic_ps,
            counts,
            busiest_core: busiest_core.map(|c| (self.cores[c].id, finished)),
            busiest_link_messages: busiest_link,
        }
    }

    /// Phase 1 on every core. Threads own contiguous runs of cores, with
    /// their compartments and accumulators.
    fn update_cores(&self, state: &mut ChipState, step: u64) -> Counts {
        let run = self.run_length();
        let ChipState {
            cores,
            compartments,
            accumulators,
            fired,
            ..
        } = state;
        let work = |(k, (((states, fired), accumulators), mut compartments)): UpdateRun<'_>| {
            let first = k * run;
            let base = self.receivers.get(first).map_or(0, |r| r.accumulator_base);
            let compartment_base = self.cores.get(first).map_or(0, |c| c.compartments.start);
            let mut counts = Counts::default();
            for i in 0..states.len() {
                // A core's few compartments take less time to update than
                // its configuration takes to arrive from memory.
                if let Some(next) = self.cores.get(first + i + 1) {
                    prefetch(next);
                }
                let (core, receiver) = (&self.cores[first + i], &self.receivers[first + i]);
                let slot = (step % u64::from(receiver.slots)) as usize;
                let input = &mut accumulators[receiver.slot_start(slot) - base..]
                    [..receiver.width as usize];
                let range = &core.compartments;
                let mine = compartments
                    .range(range.start - compartment_base..range.end - compartment_base);
                counts += &self.update_core(core, &mut states[i], mine, input, &mut fired[i]);
            }
            counts
        };
        match &self.pool {
            None => work((
                0,
                (
                    ((&mut cores[..], &mut fired[..]), &mut accumulators[..]),
                    compartments.as_mut(),
                ),
            )),
            Some(pool) => pool.install(|| {
                cores
                    .par_chunks_mut(run)
                    .zip(fired.par_chunks_mut(run))
                    .zip(self.split_accumulators(accumulators, run))
                    .zip(self.split_compartments(compartments.as_mut(), run))
                    .enumerate()
                    .map(work)
                    .reduce(Counts::default, sum)
            }),
        }
    }

    /// Cores per thread: the runs of cores threads own, whole blocks of
    /// accumulators each.
    fn run_length(&self) -> usize {
        let threads = self.threads.min(self.cores.len()).max(1);
        let cores = self.cores.len().div_ceil(threads).max(1);
        cores.next_multiple_of(self.block_cores)
    }

    /// The accumulators of each run of `run` cores (for the threads; one
    /// thread takes them all without splitting).
    fn split_accumulators<'a>(&self, mut all: &'a mut [i64], run: usize) -> Vec<&'a mut [i64]> {
        let mut runs = Vec::with_capacity(self.threads);
        for receivers in self.receivers.chunks(run) {
            let length: usize = receivers.iter().map(Receiver::accumulator_len).sum();
            let (mine, rest) = std::mem::take(&mut all).split_at_mut(length);
            runs.push(mine);
            all = rest;
        }
        runs
    }

    /// The compartments of each run of `run` cores.
    fn split_compartments<'a>(
        &self,
        mut all: CompartmentsMut<'a>,
        run: usize,
    ) -> Vec<CompartmentsMut<'a>> {
        let mut runs = Vec::with_capacity(self.threads);
        for cores in self.cores.chunks(run) {
            let length: usize = cores.iter().map(Core::len).sum();
            let (mine, rest) = all.split_at(length);
            runs.push(mine);
            all = rest;
        }
        runs
    }

    /// Services the compartments of one core in order, taking their input
    /// from `input`, this step's slot of its accumulators (groups ×
    /// compartments).
    fn update_core(
        &self,
        core: &Core,
        state: &mut CoreState,
        mut compartments: CompartmentsMut<'_>,
        input: &mut [i64],
        fired: &mut Fired,
    ) -> Counts {
        let n = core.len();
        match (&core.unjoined_profile, self.arithmetic) {
            (Some(profile), Arithmetic::Hardware) => update_unjoined(
                CoreArrays {
                    compartments: compartments.range(0..n),
                    synaptic: &mut input[..n],
                    bias: &self.compartments.bias[core.compartments.clone()],
                },
                profile,
                &self.widths,
            ),
            _ => {
                for i in 0..n {
                    self.update_compartment(core, &mut compartments, input, i);
                }
            }
        }
        self.account_update(core, state, &compartments, fired)
    }

    /// Advances compartment `i` of `core`, taking its input from `input`,
    /// and adds its u to its parent's join.
    #[inline]
    fn update_compartment(
        &self,
        core: &Core,
        compartments: &mut CompartmentsMut<'_>,
        input: &mut [i64],
        i: usize,
    ) {
        let (synaptic, received) = self.take_input(core, input, i);
        let join = std::mem::take(&mut compartments.join[i]);
        let configured = core.compartments.start + i;
        let bias = self.compartments.bias[configured];
        let mut registers = compartments.registers(i);
        compartments.active[i] = received
            || join != 0
            || bias != 0
            || registers.u != 0
            || registers.v != 0
            || registers.refractory > 0;
        let profile = &core.profiles[self.compartments.profile[configured] as usize];
        let inputs = Inputs {
            synaptic,
            bias,
            join,
        };
        compartments.spiked[i] = update(
            &mut registers,
            inputs,
            profile,
            &self.widths,
            self.arithmetic,
        );
        compartments.set_registers(i, registers);
        let parent = self.compartments.parent[configured];
        if parent != u32::MAX {
            compartments.join[parent as usize] += registers.u;
        }
    }

    /// The time and counts of a core's update, from which of its
    /// `compartments` were active and which spiked: the core's clock
    /// advances by each compartment's update in turn, and a spike leaves
    /// when its compartment's update ends.
    fn account_update(
        &self,
        core: &Core,
        state: &mut CoreState,
        compartments: &CompartmentsMut<'_>,
        fired: &mut Fired,
    ) -> Counts {
        let timing = &self.spec.timing;
        let mut counts = Counts::default();
        let mut clock = 0u64;
        fired.clear();
        let (active, spiked) = (&*compartments.active, &*compartments.spiked);
        for (i, (&active, &spiked)) in active.iter().zip(spiked).enumerate() {
            clock += if active {
                timing.neuron_active_ps
            } else {
                timing.neuron_inactive_ps
            };
            counts.active_updates += u64::from(active);
            if spiked {
                fired.push((i as u32, clock));
                state.totals.messages_out += core.outputs_of(i).len() as u64;
            }
        }
        counts.spikes = fired.len() as u64;
        counts.inactive_updates = active.len() as u64 - counts.active_updates;
        state.update_ps = clock;
        state.totals.active_updates += counts.active_updates;
        state.totals.inactive_updates += counts.inactive_updates;
        state.totals.spikes += counts.spikes;
        counts
    }

    /// Empties compartment `i`'s accumulators in `input`, this step's
    /// slot of its core's: the synaptic input, and whether any arrived.
    #[inline]
    fn take_input(&self, core: &Core, input: &mut [i64], i: usize) -> (i64, bool) {
        let n = core.len();
        match self.arithmetic {
            Arithmetic::Hardware => {
                let q = std::mem::take(&mut input[i]);
                (q, q != 0)
            }
            Arithmetic::Lava => {
                let mut total = 0i64;
                let mut received = false;
                for (g, &exponent) in core.group_exponents.iter().enumerate() {
                    let sum = std::mem::take(&mut input[g * n + i]);
                    received |= sum != 0;
                    total += if exponent >= 0 {
                        sum << exponent
                    } else {
                        sum >> -exponent
                    };
                }
                (total, received)
            }
        }
    }

    /// Phase 2: every host source draws this step's spikes.
    fn draw_sources(&self, state: &mut ChipState, step: u64) -> Counts {
        let mut counts = Counts::default();
        for ((source, streams), drawn) in self
            .sources
            .iter()
            .zip(&mut state.streams)
            .zip(&mut state.source_counts)
        {
            source.draw(step, streams, drawn, self.pool.as_ref());
            counts.host_spikes += drawn.iter().map(|&k| u64::from(k)).sum::<u64>();
        }
        counts
    }

    /// Phase 3, first half: every message travels and is deposited. Threads
    /// own contiguous runs of receiving cores (so of axons); each walks
    /// every spike and keeps the messages to its own cores. Returns the
    /// counts and the busiest link's load.
    fn deliver(&self, state: &mut ChipState, step: u64) -> (Delivered, u32) {
        let run = self.run_length();
        let ChipState {
            cores,
            accumulators,
            fired,
            source_counts,
            lanes,
            ..
        } = state;
        let threads = cores.len().div_ceil(run);
        if lanes.len() != threads {
            *lanes = vec![Lane::new(self.mesh.dims()); threads];
        }
        let work = |(chunk, ((states, lane), accumulators)): DeliveryRun<'_>| {
            let first = chunk * run;
            let mut delivery = Delivery {
                chip: self,
                step,
                first,
                owned: first as u32..(first + states.len()) as u32,
                accumulator_base: self.receivers.get(first).map_or(0, |r| r.accumulator_base),
                accumulators,
                states,
                lane,
                counts: Counts::default(),
            };
            delivery.open_inboxes();
            delivery.route_core_spikes(fired);
            delivery.route_host_spikes(source_counts);
            delivery.deposit();
            let last = delivery.serve();
            Delivered {
                counts: delivery.counts,
                last,
            }
        };
        let mut delivered = match &self.pool {
            None => lanes.first_mut().map_or_else(Delivered::default, |lane| {
                work((0, ((&mut cores[..], lane), &mut accumulators[..])))
            }),
            Some(pool) => pool.install(|| {
                cores
                    .par_chunks_mut(run)
                    .zip(lanes.par_iter_mut())
                    .zip(self.split_accumulators(accumulators, run))
                    .enumerate()
                    .map(work)
                    .reduce(Delivered::default, Delivered::join)
            }),
        };
        let Some((first, rest)) = lanes.split_first_mut() else {
            return (delivered, 0);
        };
        for other in rest.iter_mut() {
            first.loads.merge(&other.loads);
            other.loads.clear();
        }
        let traffic = self.mesh.take_traffic(&mut first.loads);
        let counts = &mut delivered.counts;
        [
            counts.hops_east_west,
            counts.hops_north_south,
            counts.hops_up_down,
        ] = traffic.hops;
        counts.chip_crossings = traffic.chip_crossings;
        (delivered, traffic.busiest)
    }
}

/// The earliest arrival at which a message can bear on when its core
/// finishes (a late message), the core being free from `ready` on, its
/// messages' service adding up to `total` and the last of them arriving
/// at `last`. The core's last busy spell starts at `ready` or at an
/// arrival and serves every message that arrives from then on, so it
/// ends at the latest of `ready` plus all the service and of each arrival
/// plus the service of the messages arriving at or after it. Only an
/// arrival after `ready` and less than all the service before the last
/// arrival can give more than `ready` plus all the service: a core's
/// messages mostly arrive during its update or further apart than they
/// take to serve, so few are late. One figure per core, so that the
/// deposit compares a message's arrival with it instead of reading the
/// core's inbox.
#[inline]
fn late_from(ready: u64, total: u64, last: u64) -> u64 {
    (ready + 1).max(last.saturating_sub(total))
}

/// When a core that is free from `ready` on has served its messages in
/// order of arrival, their service adding up to `total`, given its `late`
/// messages (those arriving from [`late_from`] on) as (arrival, service)
/// in ascending order.
fn finish_time(ready: u64, total: u64, late: impl DoubleEndedIterator<Item = (u64, u64)>) -> u64 {
    let mut finish = ready + total;
    let mut after = 0;
    for (arrival, service) in late.rev() {
        after += service;
        finish = finish.max(arrival + after);
    }
    finish
}

/// A thread's run of cores in phase 1: its index, the cores' states and
/// spikes, their accumulators and their compartments.
type UpdateRun<'a> = (
    usize,
    (
        ((&'a mut [CoreState], &'a mut [Fired]), &'a mut [i64]),
        CompartmentsMut<'a>,
    ),
);

/// A thread's run of receiving cores in phase 3: its index, the cores'
/// states, the thread's scratch, and the cores' accumulators.
type DeliveryRun<'a> = (usize, ((&'a mut [CoreState], &'a mut Lane), &'a mut [i64]));

fn sum(mut a: Counts, b: Counts) -> Counts {
    a += &b;
    a
}

/// What a thread's delivery gives: its counts, and the core of its own
/// that finished last (latest time, then lowest index) and when.
#[derive(Default)]
struct Delivered {
    counts: Counts,
    last: Option<(u64, std::cmp::Reverse<usize>)>,
}

impl Delivered {
    fn join(mut self, other: Delivered) -> Delivered {
        self.counts += &other.counts;
        self.last = self.last.max(other.last);
        self
    }
}

/// How many messages ahead of its turn a message's data are asked for:
/// enough misses in flight to hide memory latency, few enough that the
/// lines are still in the cache at their turn.
const AHEAD: usize = 16;

/// A message on its way: which core, when it arrives, and its synapse
/// list, with the accumulator its first synapse adds to worked out when
/// it is sent (its core's inbox is at hand then), so that its deposit can
/// ask for that accumulator without reading anything first.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Message {
    core: u32,
    arrival: u64,
    /// Where the rest of the list starts in the chip's `rest`.
    first: u32,
    /// Synapses of the list.
    count: u32,
    /// The spikes it stands for: a host neuron's Poisson count of k is k
    /// messages that leave and arrive together, charged k times but
    /// carried as one.
    times: u32,
    /// The accumulator the first synapse adds to, among the thread's
    /// (meaningless for an empty list).
    at: usize,
    /// The first synapse's weight.
    weight: i16,
    /// The list's format, by index into the chip's `formats` (worked out
    /// when it is sent, so that the deposit need not read the inbox).
    format: u32,
}

/// One thread's scratch: its link loads and its messages of the step.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Lane {
    loads: LinkLoads,
    /// The trips from the sender being routed.
    departure: Departure,
    messages: Vec<Message>,
    /// Per owned core, its share of the traffic.
    inboxes: Vec<Inbox>,
    /// Per owned core, the earliest arrival of a late message (see
    /// [`late_from`]).
    late_from: Vec<u64>,
    /// The late messages: (owned core, arrival, service time).
    late: Vec<(u32, u64, u64)>,
    /// Per owned core, how many of them are its; once they are grouped,
    /// where they end in `grouped`.
    late_ends: Vec<u32>,
    /// The same, grouped by core, as (arrival, service time).
    grouped: Vec<(u64, u64)>,
}

/// What a thread keeps of one of its cores during a step's traffic: where
/// the core's messages add their weights, and what it has received. A
/// message reads and adds to its core's, and the figures of thousands of
/// cores stay in the cache together, a cache line each.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(align(64))]
struct Inbox {
    /// Its ring of accumulators this step, whose slot is worked out once
    /// per step, not per message (it is the step modulo the ring's length,
    /// a division); kept as fields rather than a [`Ring`] so that the
    /// inbox fills one cache line exactly.
    base: usize,
    now: u32,
    slots: u32,
    stride: u32,
    /// Its first list format in the chip's `formats`.
    first_format: u32,
    /// When its update ends and it can serve.
    ready: u64,
    /// Spikes received (a Poisson count of k counts k).
    spikes: u64,
    /// Synaptic operations they take (their service time is these times
    /// the time of one).
    operations: u64,
    /// The last arrival.
    last_arrival: u64,
}

const _: () = assert!(
    std::mem::size_of::<Inbox>() == 64,
    "an inbox is one cache line"
);

impl Inbox {
    /// Takes note of the message to `destination` that arrives at
    /// `arrival` and stands for `times` spikes, and returns it.
    #[inline(always)]
    fn post(
        &mut self,
        destination: &Destination,
        arrival: u64,
        times: u32,
        groups: AccumulatorGroups<'_>,
        long_rests: &LongRests,
    ) -> Message {
        let (first, count) = destination.list(long_rests);
        let head = &destination.first;
        let format = self.first_format + u32::from(head.format);
        let message = Message {
            core: destination.core,
            arrival,
            first,
            count,
            times,
            at: self
                .ring(groups.offset(format))
                .index(head.delay, head.compartment),
            weight: head.weight,
            format,
        };
        self.spikes += u64::from(times);
        self.operations += message.operations();
        self.last_arrival = self.last_arrival.max(arrival);
        message
    }

    /// The service time of its messages, all together, each synaptic
    /// operation taking `synaptic_op_ps`.
    #[inline]
    fn service_ps(&self, synaptic_op_ps: u64) -> u64 {
        self.operations * synaptic_op_ps
    }

    /// The ring of the accumulator group at `group_offset` in a slot,
    /// within the thread's accumulators.
    #[inline]
    fn ring(&self, group_offset: u32) -> Ring {
        Ring {
            base: self.base + group_offset as usize,
            now: self.now,
            slots: self.slots,
            stride: self.stride,
        }
    }
}

/// Where a list format's accumulator group starts in a ring slot: lava
/// arithmetic keeps one group per weight exponent, hardware arithmetic
/// one group, and so has no list format to read.
#[derive(Clone, Copy)]
struct AccumulatorGroups<'a>(Option<&'a [Format]>);

impl AccumulatorGroups<'_> {
    fn of(chip: &Chip) -> AccumulatorGroups<'_> {
        AccumulatorGroups(match chip.arithmetic {
            Arithmetic::Hardware => None,
            Arithmetic::Lava => Some(&chip.formats),
        })
    }

    /// The group offset of list format `format`.
    #[inline(always)]
    fn offset(self, format: u32) -> u32 {
        self.0
            .map_or(0, |formats| formats[format as usize].group_offset)
    }
}

impl Message {
    /// Its list's format, among the chip's `formats`.
    #[inline]
    fn format(&self, formats: &[Format]) -> Format {
        formats[self.format as usize]
    }

    /// The synaptic operations it takes.
    #[inline]
    fn operations(&self) -> u64 {
        u64::from(self.count) * u64::from(self.times)
    }

    /// Its service time, each synaptic operation taking `synaptic_op_ps`.
    #[inline]
    fn service_ps(&self, synaptic_op_ps: u64) -> u64 {
        self.operations() * synaptic_op_ps
    }

    /// Where the rest of its list lies in the chip's `rest` (empty for a
    /// list of one synapse or none).
    #[inline]
    fn rest(&self) -> std::ops::Range<usize> {
        self.first as usize..(self.first + self.count.max(1) - 1) as usize
    }
}

impl Lane {
    fn new(dims: [u32; 3]) -> Lane {
        Lane {
            loads: LinkLoads::new(dims),
            ..Lane::default()
        }
    }

    /// Groups the late messages by core into `grouped` (a counting sort
    /// on the counts in `late_ends`, which then hold where each core's
    /// end).
    fn group_late(&mut self) {
        let mut start = 0;
        for count in &mut self.late_ends {
            start += std::mem::replace(count, start);
        }
        self.grouped.resize(self.late.len(), (0, 0));
        for &(c, arrival, service) in &self.late {
            let end = &mut self.late_ends[c as usize];
            self.grouped[*end as usize] = (arrival, service);
            *end += 1;
        }
    }
}

/// One thread's share of a step's traffic.
struct Delivery<'a> {
    chip: &'a Chip,
    step: u64,
    /// Index of the first receiving core it owns.
    first: usize,
    /// The cores it owns.
    owned: std::ops::Range<u32>,
    /// The accumulators of the cores it owns, and where they start in the
    /// state's array.
    accumulators: &'a mut [i64],
    accumulator_base: usize,
    /// The states of the cores it owns.
    states: &'a mut [CoreState],
    lane: &'a mut Lane,
    counts: Counts,
}

impl Delivery<'_> {
    /// Every owned core's inbox, empty, with its ring of accumulators this
    /// step.
    fn open_inboxes(&mut self) {
        let receivers = &self.chip.receivers[self.first..self.first + self.states.len()];
        self.lane.inboxes.clear();
        self.lane
            .inboxes
            .extend(
                receivers
                    .iter()
                    .zip(self.states.iter())
                    .map(|(receiver, state)| Inbox {
                        base: receiver.accumulator_base - self.accumulator_base,
                        now: (self.step % u64::from(receiver.slots)) as u32,
                        slots: receiver.slots,
                        stride: receiver.stride,
                        first_format: receiver.first_format,
                        ready: state.update_ps,
                        ..Inbox::default()
                    }),
            );
        self.lane.late.clear();
        self.lane.late_ends.clear();
        self.lane.late_ends.resize(self.states.len(), 0);
    }

    /// The messages of the compartments that spiked, routed; their hops
    /// are read off the link loads once the step's traffic is known.
    fn route_core_spikes(&mut self, fired: &[Fired]) {
        let chip = self.chip;
        let (mesh, groups) = (&chip.mesh, AccumulatorGroups::of(chip));
        let Lane {
            loads,
            departure,
            messages,
            inboxes,
            ..
        } = &mut *self.lane;
        let mut intra_tile = 0;
        for (sender, spikes) in fired.iter().enumerate() {
            if spikes.is_empty() {
                continue;
            }
            let core = &chip.cores[sender];
            mesh.depart(sender, departure);
            let from = departure.from;
            for &(compartment, left) in spikes {
                let outputs = owned_part(core.outputs_of(compartment as usize), &self.owned);
                for destination in outputs {
                    let to = mesh.tile(destination.core as usize);
                    mesh.carry(departure, to, loads);
                    intra_tile += u64::from(to == from);
                    let inbox = &mut inboxes[destination.core as usize - self.first];
                    let arrival = left + departure.latency_ps(to);
                    messages.push(inbox.post(destination, arrival, 1, groups, &chip.long_rests));
                }
            }
            mesh.settle(departure, loads);
        }
        self.counts.intra_tile_messages += intra_tile;
    }

    /// The messages of the host sources, which enter at the receiving
    /// core's tile at the step's start.
    fn route_host_spikes(&mut self, source_counts: &[Vec<u32>]) {
        let chip = self.chip;
        let groups = AccumulatorGroups::of(chip);
        let arrival = chip.spec.timing.spike_in_tile_ps;
        let Lane {
            messages, inboxes, ..
        } = &mut *self.lane;
        for (source, counts) in chip.sources.iter().zip(source_counts) {
            for (neuron, &count) in counts.iter().enumerate() {
                if count == 0 {
                    continue;
                }
                let outputs = owned_part(source.destinations(neuron), &self.owned);
                self.counts.intra_tile_messages += outputs.len() as u64 * u64::from(count);
                for destination in outputs {
                    let inbox = &mut inboxes[destination.core as usize - self.first];
                    messages.push(inbox.post(
                        destination,
                        arrival,
                        count,
                        groups,
                        &chip.long_rests,
                    ));
                }
            }
        }
    }

    /// Every message reaches its core: its synapses walked into the
    /// accumulators, each message's data asked for [`AHEAD`] messages
    /// before its turn, and the late ones kept for [`Delivery::serve`].
    fn deposit(&mut self) {
        let synaptic_op_ps = self.chip.spec.timing.synaptic_op_ps;
        self.lane.late_from.clear();
        self.lane
            .late_from
            .extend(self.lane.inboxes.iter().map(|inbox| {
                late_from(
                    inbox.ready,
                    inbox.service_ps(synaptic_op_ps),
                    inbox.last_arrival,
                )
            }));
        let Lane {
            messages,
            inboxes,
            late_from,
            late,
            late_ends,
            ..
        } = &mut *self.lane;
        let mut deposit = Deposit {
            arithmetic: self.chip.arithmetic,
            formats: &self.chip.formats,
            rest: &self.chip.rest,
            first: self.first,
            synaptic_op_ps,
            inboxes,
            late_from,
            late,
            late_ends,
            accumulators: &mut *self.accumulators,
        };
        for (i, message) in messages.iter().enumerate() {
            if let Some(ahead) = messages.get(i + AHEAD) {
                deposit.prefetch_target(ahead);
            }
            deposit.receive(message);
        }
        messages.clear();
    }

    /// Each owned core serves its messages in order of arrival once its
    /// update is over: it finishes when [`finish_time`] says from its late
    /// messages, grouped by core (a counting sort) and each core's sorted
    /// by arrival. Returns the core that finished last (latest, then
    /// lowest index) and when.
    fn serve(&mut self) -> Option<(u64, std::cmp::Reverse<usize>)> {
        let synaptic_op_ps = self.chip.spec.timing.synaptic_op_ps;
        self.lane.group_late();
        let Lane {
            inboxes,
            late_ends,
            grouped,
            ..
        } = &mut *self.lane;
        let mut start = 0;
        let mut last = None;
        for (c, (state, inbox)) in self.states.iter_mut().zip(inboxes.iter()).enumerate() {
            let end = late_ends[c] as usize;
            let own = &mut grouped[start..end];
            start = end;
            own.sort_unstable();
            let service_ps = inbox.service_ps(synaptic_op_ps);
            let clock = finish_time(inbox.ready, service_ps, own.iter().copied());
            state.totals.busy_ps += inbox.ready + service_ps;
            state.totals.messages_in += inbox.spikes;
            state.totals.synaptic_ops += inbox.operations;
            self.counts.messages += inbox.spikes;
            self.counts.synaptic_ops += inbox.operations;
            last = last.max(Some((clock, std::cmp::Reverse(self.first + c))));
        }
        last
    }
}

/// What the deposit of one thread's messages reads and writes, gathered
/// once per step into a value of its own: the loop over the messages then
/// keeps these at hand instead of reading them through its delivery (and
/// the delivery's scratch) again for each message.
struct Deposit<'a> {
    arithmetic: Arithmetic,
    /// The chip's list formats and the rest of its lists.
    formats: &'a [Format],
    rest: &'a RestSynapses,
    /// Index of the first receiving core the thread owns.
    first: usize,
    synaptic_op_ps: u64,
    inboxes: &'a [Inbox],
    /// Per owned core, the earliest arrival of a late message.
    late_from: &'a [u64],
    /// The late messages, and how many are each owned core's (see
    /// [`Lane`]).
    late: &'a mut Vec<(u32, u64, u64)>,
    late_ends: &'a mut [u32],
    /// The accumulators of the cores the thread owns.
    accumulators: &'a mut [i64],
}

impl Deposit<'_> {
    /// Asks for what the deposit of a message reads: where its core's late
    /// messages start, the accumulator its first synapse adds to, and the
    /// rest of its list.
    #[inline]
    fn prefetch_target(&self, message: &Message) {
        let c = message.core as usize - self.first;
        prefetch(&self.late_from[c]);
        if message.count == 0 {
            return;
        }
        if let Some(sum) = self.accumulators.get(message.at) {
            prefetch(sum);
        }
        if message.count > 1 {
            let rest = message.rest();
            prefetch_slice(&self.rest.weights[rest.clone()]);
            if !message.format(self.formats).run {
                prefetch_slice(&self.rest.targets[rest]);
            }
        }
    }

    /// One message reaching its core.
    #[inline(always)]
    fn receive(&mut self, message: &Message) {
        let c = message.core as usize - self.first;
        if message.arrival >= self.late_from[c] {
            let service_ps = message.service_ps(self.synaptic_op_ps);
            self.late.push((c as u32, message.arrival, service_ps));
            self.late_ends[c] += 1;
        }
        if message.count == 0 {
            return;
        }
        let format = message.format(self.formats);
        let accumulators = &mut *self.accumulators;
        let times = i64::from(message.times);
        let scale = Scale::of(self.arithmetic, format.shift);
        let at = message.at;
        accumulators[at] += scale.apply(message.weight) * times;
        if message.count == 1 {
            return;
        }
        let rest = message.rest();
        let weights = &self.rest.weights[rest.clone()];
        if format.run {
            let sums = &mut accumulators[at + 1..at + 1 + weights.len()];
            add_run(sums, weights, scale, times);
        } else {
            let ring = self.inboxes[c].ring(format.group_offset);
            let targets = &self.rest.targets[rest];
            for (&weight, target) in weights.iter().zip(targets) {
                accumulators[ring.index(target.delay, target.compartment)] +=
                    scale.apply(weight) * times;
            }
        }
    }
}

/// The part of `destinations` (by ascending core) on the cores `owned`.
/// A list that starts or ends among them is not searched at that end: a
/// search reads lines of a long list scattered over it, before the walk
/// along it reads them all in order.
#[inline]
fn owned_part<'b>(
    destinations: &'b [Destination],
    owned: &std::ops::Range<u32>,
) -> &'b [Destination] {
    let (Some(first), Some(last)) = (destinations.first(), destinations.last()) else {
        return destinations;
    };
    let start = if first.core >= owned.start {
        0
    } else {
        destinations.partition_point(|d| d.core < owned.start)
    };
    let end = if last.core < owned.end {
        destinations.len()
    } else {
        destinations.partition_point(|d| d.core < owned.end)
    };
    &destinations[start..end]
}

/// Where a receiving core's accumulators for a synapse format lie in its
/// ring of delay slots this step, within a thread's accumulators.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Ring {
    /// Where the core's accumulators start, plus where the format's
    /// accumulator group starts in a slot.
    base: usize,
    /// This step's slot.
    now: u32,
    slots: u32,
    /// Accumulators per slot.
    stride: u32,
}

impl Ring {
    /// The accumulator of `compartment` for input `delay` steps ahead.
    #[inline]
    fn index(&self, delay: u8, compartment: u16) -> usize {
        let mut slot = self.now as usize + usize::from(delay);
        if slot >= self.slots as usize {
            slot -= self.slots as usize;
        }
        self.base + slot * self.stride as usize + usize::from(compartment)
    }
}

/// How a stored weight becomes an accumulator's input: shifted by its
/// format's `6 + weight_exponent` in hardware arithmetic, as it is in
/// lava's (whose accumulator groups are shifted at the update).
#[derive(Clone, Copy)]
enum Scale {
    Left(u32),
    Right(u32),
}

impl Scale {
    fn of(arithmetic: Arithmetic, shift: i8) -> Scale {
        match arithmetic {
            Arithmetic::Lava => Scale::Left(0),
            Arithmetic::Hardware if shift >= 0 => Scale::Left(shift.unsigned_abs().into()),
            Arithmetic::Hardware => Scale::Right(shift.unsigned_abs().into()),
        }
    }

    #[inline(always)]
    fn apply(self, weight: i16) -> i64 {
        match self {
            Scale::Left(bits) => i64::from(weight) << bits,
            Scale::Right(bits) => i64::from(weight) >> bits,
        }
    }
}

/// Adds each of a run's `weights`, scaled and `times` over, to its
/// accumulator in `sums`: the loop a dense projection's synaptic input
/// spends its time in, on the widest vectors the machine has.
fn add_run(sums: &mut [i64], weights: &[i16], scale: Scale, times: i64) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        #[allow(unsafe_code)]
        // SAFETY: the function needs AVX2, which the machine was just
        // found to have.
        return unsafe { add_run_avx2(sums, weights, scale, times) };
    }
    add_run_portable(sums, weights, scale, times)
}

/// [`add_run_portable`] compiled for AVX2: four sums at a time.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn add_run_avx2(sums: &mut [i64], weights: &[i16], scale: Scale, times: i64) {
    add_run_portable(sums, weights, scale, times)
}

#[inline(always)]
fn add_run_portable(sums: &mut [i64], weights: &[i16], scale: Scale, times: i64) {
    match (scale, times) {
        (Scale::Left(bits), 1) => add_each(sums, weights, |w| i64::from(w) << bits),
        (Scale::Right(bits), 1) => add_each(sums, weights, |w| i64::from(w) >> bits),
        _ => add_each(sums, weights, |w| scale.apply(w) * times),
    }
}

#[inline(always)]
fn add_each(sums: &mut [i64], weights: &[i16], input: impl Fn(i16) -> i64) {
    for (sum, &weight) in sums.iter_mut().zip(weights) {
        *sum += input(weight);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The owned part of a list is the destinations on the cores owned,
        /// wherever the list starts and ends.
        #[test]
        fn the_owned_part_is_the_destinations_on_the_cores_owned(
            mut cores in prop::collection::vec(0u32..20, 0..30),
            start in 0u32..22,
            length in 0u32..22,
        ) {
            cores.sort_unstable();
            let destinations: Vec<Destination> = cores
                .iter()
                .map(|&core| {
                    let mut destination = Destination::default();
                    destination.core = core;
                    destination
                })
                .collect();
            let owned = start..start + length;
            let expected: Vec<u32> =
                cores.iter().copied().filter(|c| owned.contains(c)).collect();
            let part: Vec<u32> =
                owned_part(&destinations, &owned).iter().map(|d| d.core).collect();
            prop_assert_eq!(part, expected);
        }

        /// The finish time from the late messages equals that of serving
        /// every message in order of arrival, one after another.
        #[test]
        fn the_finish_time_is_that_of_serving_in_order(
            ready in 0u64..2000,
            messages in prop::collection::vec(
                (prop_oneof![0u64..50, 0u64..5000], prop_oneof![Just(0u64), 1u64..400]),
                0..40,
            ),
        ) {
            let mut in_order = messages.clone();
            in_order.sort_unstable();
            let mut clock = ready;
            for &(arrival, service) in &in_order {
                clock = clock.max(arrival) + service;
            }
            let total = messages.iter().map(|m| m.1).sum();
            let last = messages.iter().map(|m| m.0).max().unwrap_or(0);
            let mut late: Vec<_> = messages
                .iter()
                .copied()
                .filter(|&(arrival, _)| arrival >= late_from(ready, total, last))
                .collect();
            late.sort_unstable();
            prop_assert_eq!(finish_time(ready, total, late.into_iter()), clock);
        }
    }

    #[test]
    fn an_early_long_message_can_be_the_last_served() {
        // Free from 0: 8 ps of service arriving at 2, then 2 ps arriving at
        // 9. Served in order, the core is busy from 2 to 10 and then until
        // 12, so the message at 2 bears on the finish although it arrives
        // more than half the service before the last.
        let (ready, messages) = (0, [(2, 8), (9, 2)]);
        let from = late_from(ready, 10, 9);
        let late = messages.iter().copied().filter(|&(a, _)| a >= from);
        assert_eq!(finish_time(ready, 10, late), 12);
    }
}
