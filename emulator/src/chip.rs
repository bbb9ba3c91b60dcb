//! A chip system configured with a program: everything that does not
//! change while it runs. The state that does is a [`ChipState`].

use crate::accumulators;
use crate::neuron::{Profile, Registers, Widths};
use crate::noc::{self, Mesh};
use crate::sources::Source;
use crate::state::ChipState;
use neurc_backends::cpu::pages::with_huge_pages;
use neurc_backends::cpu::prefetch::gather;
use neurc_ir::chip::{
    Arithmetic, ChipProgram, ChipSpec, CoreId, CoreMap, CoreProgram, ListedSynapse, SynapseFormat,
};
use std::collections::{BTreeSet, HashMap};
use std::ops::Range;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// An input axon, numbered across the whole system (the axons of the
/// cores in use laid end to end).
type AxonId = u32;

/// A list's first synapse, packed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C)]
pub(crate) struct Synapse {
    /// The stored weight.
    pub(crate) weight: i16,
    /// The target compartment within the core.
    pub(crate) compartment: u16,
    /// The delay in steps.
    pub(crate) delay: u8,
    /// The list's format, by index into its core's list formats (in the
    /// byte the struct would pad anyway).
    pub(crate) format: u8,
}

/// Where a synapse after the first of its list adds its weight (which is
/// kept apart, in [`RestSynapses::weights`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C)]
pub(crate) struct Target {
    pub(crate) compartment: u16,
    pub(crate) delay: u8,
}

/// The synapses after the first of every list, axon by axon, with their
/// weights and their targets in two arrays: a run's weights are then one
/// contiguous slice, added to as many neighbouring accumulators at once.
#[derive(Debug, Default)]
pub(crate) struct RestSynapses {
    pub(crate) weights: Vec<i16>,
    pub(crate) targets: Vec<Target>,
}

/// How a list's weights reach the accumulators: its synapse format, and
/// whether it is a run. A core's list formats are its synapse formats
/// followed, when there are at most [`MAX_FORMATS_WITH_RUNS`] of them, by
/// the same formats for runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Format {
    /// Hardware arithmetic: a weight is shifted left by
    /// `6 + weight_exponent` (right if negative).
    pub(crate) shift: i8,
    /// Lava arithmetic: where the accumulator group of the weight
    /// exponent starts within a ring slot (group × compartments).
    pub(crate) group_offset: u32,
    /// Its lists are runs: synapses on consecutive compartments from the
    /// first's on, all with the first's delay (a dense projection's lists
    /// are). A run's weights are added as one slice.
    pub(crate) run: bool,
}

/// The most synapse formats a core may have for its runs to get list
/// formats of their own: a list's format index is one byte.
const MAX_FORMATS_WITH_RUNS: usize = 128;

/// Where a spike message goes and what it finds there: the receiving
/// core (by index among the cores in use) and the head of the input
/// axon's synapse list (its first synapse and where the rest lies in the
/// chip's `rest`), in 16 bytes. A sender keeps its destinations with it,
/// in the order it sends them, so a spike reads its messages' lists one
/// after another instead of each at random from a table of every axon.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C)]
pub(crate) struct Destination {
    pub(crate) core: u32,
    /// The first synapse; an empty list's has delay 0, which no synapse
    /// has.
    pub(crate) first: Synapse,
    /// Synapses after the first, or [`LONG_REST`] for a list whose length
    /// is kept in the chip's `long_rests`.
    rest_len: u16,
    /// Where the rest of the list starts in the chip's `rest`.
    rest_start: u32,
}

/// The rest length that stands for a longer one, kept apart.
const LONG_REST: u16 = u16::MAX;

impl Destination {
    /// The destination on core `core` of a list whose first synapse is
    /// `first` and whose rest is `rest_start..rest_end`, keeping the
    /// length of a long rest in `long_rests`.
    fn new(
        core: u32,
        first: Synapse,
        rest_start: u32,
        rest_end: u32,
        long_rests: &mut LongRests,
    ) -> Destination {
        let rest_len = rest_end - rest_start;
        let rest_len = match u16::try_from(rest_len) {
            Ok(short) if short < LONG_REST => short,
            _ => {
                long_rests.rests.push((rest_start, rest_len));
                LONG_REST
            }
        };
        Destination {
            core,
            first,
            rest_len,
            rest_start,
        }
    }

    /// Where the rest of the list starts in the chip's `rest`, and its
    /// synapses (the first included), looking a long list up in
    /// `long_rests`.
    #[inline]
    pub(crate) fn list(&self, long_rests: &LongRests) -> (u32, u32) {
        let rest = if self.rest_len == LONG_REST {
            long_rests.len_of(self.rest_start)
        } else {
            u32::from(self.rest_len)
        };
        (self.rest_start, u32::from(self.first.delay != 0) + rest)
    }
}

/// The lengths of the rests of [`LONG_REST`] synapses or more, by where
/// they start: lists that long are rare, and their destinations would
/// otherwise all need 4 more bytes. Several destinations of one list
/// share its entry.
#[derive(Clone, Debug, Default)]
pub(crate) struct LongRests {
    /// (start, length), by ascending start.
    rests: Vec<(u32, u32)>,
}

impl LongRests {
    /// The length of the long rest starting at `start`.
    fn len_of(&self, start: u32) -> u32 {
        let i = self.rests.partition_point(|&(s, _)| s < start);
        self.rests[i].1
    }
}

/// One core's configuration.
#[derive(Clone, Debug)]
pub(crate) struct Core {
    pub(crate) id: CoreId,
    pub(crate) profiles: Vec<Profile>,
    /// Where its compartments lie in the chip's [`CompartmentConfig`] and
    /// the state's compartments.
    pub(crate) compartments: Range<usize>,
    /// The profile of every compartment, when they share one and none is
    /// joined to another: the core's update then runs along its
    /// compartments on vectors in hardware arithmetic.
    pub(crate) unjoined_profile: Option<Profile>,
    /// Lava arithmetic: the weight exponent of each accumulator group (one
    /// group in hardware arithmetic, whose exponent is unused).
    pub(crate) group_exponents: Vec<i8>,
    /// Synapses.
    pub(crate) synapse_count: u64,
    /// Per compartment, its messages' destinations:
    /// `outputs[offsets[c]..offsets[c + 1]]`, by ascending core.
    pub(crate) output_offsets: Vec<u32>,
    pub(crate) outputs: Vec<Destination>,
}

/// The configuration of every compartment of the system, core after core
/// (each core's at its `compartments`), an array per figure: a step's
/// update streams along them.
#[derive(Clone, Debug, Default)]
pub(crate) struct CompartmentConfig {
    /// `bias_mantissa << bias_exponent`.
    pub(crate) bias: Vec<i64>,
    /// Its profile, by index among its core's.
    pub(crate) profile: Vec<u16>,
    /// The compartment of its core it joins, or `u32::MAX` for none.
    pub(crate) parent: Vec<u32>,
    pub(crate) initial: Vec<Registers>,
}

/// What a message needs of the core it reaches, kept apart from the rest
/// of [`Core`]: a step's messages reach thousands of cores in no order,
/// and these few figures of every core stay in the cache where whole
/// cores would not.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Receiver {
    /// Where its ring's first slot starts in the state's array (see
    /// [`accumulators`]).
    pub(crate) accumulator_base: usize,
    /// From one slot of its ring to the next: the accumulators per slot
    /// of its block.
    pub(crate) stride: u32,
    /// Its own accumulators per slot: groups × compartments.
    pub(crate) width: u32,
    /// Slots of the accumulator ring: the longest delay.
    pub(crate) slots: u32,
    /// Its first synapse format in the chip's `formats`.
    pub(crate) first_format: u32,
}

impl Receiver {
    /// Its accumulators: every slot's.
    pub(crate) fn accumulator_len(&self) -> usize {
        self.slots as usize * self.width as usize
    }

    /// Where slot `slot` of its ring starts.
    pub(crate) fn slot_start(&self, slot: usize) -> usize {
        self.accumulator_base + slot * self.stride as usize
    }
}

impl Core {
    /// Compartments.
    pub(crate) fn len(&self) -> usize {
        self.compartments.len()
    }

    /// Accumulator groups per compartment per slot.
    pub(crate) fn groups(&self) -> usize {
        self.group_exponents.len()
    }

    /// The destinations of compartment `c`'s messages.
    #[inline]
    pub(crate) fn outputs_of(&self, c: usize) -> &[Destination] {
        let (start, end) = (self.output_offsets[c], self.output_offsets[c + 1]);
        &self.outputs[start as usize..end as usize]
    }
}

/// A chip system loaded with a program, ready to run in one arithmetic.
/// It holds no state: [`Chip::initial_state`] makes the state, and
/// [`Chip::step`] advances it, so a state can be cloned to checkpoint a run
/// and resumed later, bit for bit.
#[derive(Debug)]
pub struct Chip {
    pub(crate) spec: ChipSpec,
    pub(crate) dt: f64,
    pub(crate) seed: u64,
    pub(crate) arithmetic: Arithmetic,
    pub(crate) widths: Widths,
    pub(crate) cores: Vec<Core>,
    pub(crate) compartments: CompartmentConfig,
    /// Per core, what its messages need.
    pub(crate) receivers: Vec<Receiver>,
    /// The cores' lists of list formats, each distinct list once: cores
    /// built alike share theirs, so the table every message reads stays
    /// in the cache.
    pub(crate) formats: Vec<Format>,
    /// Accumulators of all cores.
    pub(crate) accumulator_len: usize,
    /// The runs of cores threads own are multiples of this many cores, so
    /// that each owns a contiguous part of the accumulators.
    pub(crate) block_cores: usize,
    /// The synapses after the first of every list, axon by axon.
    pub(crate) rest: RestSynapses,
    /// The lengths of the longest lists' rests.
    pub(crate) long_rests: LongRests,
    pub(crate) sources: Vec<Source>,
    pub(crate) mesh: Mesh,
    /// The end-of-step barrier.
    pub(crate) barrier_ps: u64,
    /// A link's time per spike.
    pub(crate) spike_interval_ps: u64,
    /// Chips with a core in use (static power is drawn by these).
    pub(crate) chips_in_use: u32,
    /// Tiles with a core in use.
    pub(crate) tiles_in_use: u32,
    /// Synaptic memory the program takes, in bits.
    pub(crate) synapse_memory_bits: u64,
    pub(crate) threads: usize,
    pub(crate) pool: Option<rayon::ThreadPool>,
}

impl Chip {
    /// The system of `program`, configured to run it in `arithmetic`, on
    /// one thread.
    pub fn new(program: ChipProgram, arithmetic: Arithmetic) -> Chip {
        let parts = program.into_parts();
        let spec = parts.spec;
        let widths = Widths::new(&spec.fixed_point);
        let Lists {
            axons,
            rest,
            long_rests,
        } = pack_synapses(&parts.cores);

        let ids: Vec<CoreId> = parts.cores.iter().map(|c| c.id).collect();
        let mesh = Mesh::new(&spec, &ids);
        let (tiles_in_use, busiest_chip_tiles, chips, chip_span) = occupancy(&spec, &ids);
        let synapse_memory_bits = parts
            .cores
            .iter()
            .flat_map(|c| {
                c.input_axons.iter().map(|a| {
                    spec.fixed_point
                        .list_bits(&c.formats[a.format as usize], u64::from(a.count))
                })
            })
            .sum();
        let mut cores = Vec::with_capacity(parts.cores.len());
        let mut formats = Vec::new();
        let mut placed_formats = HashMap::new();
        let mut compartments = CompartmentConfig::default();
        let mut slots = Vec::with_capacity(parts.cores.len());
        let mut first_formats = Vec::with_capacity(parts.cores.len());
        for program in parts.cores {
            slots.push(program.delay_slots.max(1));
            let (core, core_formats) =
                configure(program, &widths, arithmetic, &axons, &mut compartments);
            first_formats.push(
                *placed_formats
                    .entry(core_formats)
                    .or_insert_with_key(|list| {
                        formats.extend_from_slice(list);
                        (formats.len() - list.len()) as u32
                    }),
            );
            cores.push(core);
        }
        let core_widths: Vec<usize> = cores.iter().map(|c| c.groups() * c.len()).collect();
        let layout = accumulators::lay_out(&core_widths, &slots);
        let receivers = (layout.places.iter().zip(&core_widths))
            .zip(slots.iter().zip(first_formats))
            .map(|((place, &width), (&slots, first_format))| Receiver {
                accumulator_base: place.base,
                stride: place.stride,
                width: width as u32,
                slots,
                first_format,
            })
            .collect();
        let sources = parts
            .inputs
            .iter()
            .map(|input| Source::new(input, &axons))
            .collect();
        Chip {
            barrier_ps: noc::barrier_ps(&spec.timing, busiest_chip_tiles, chip_span),
            spike_interval_ps: noc::spike_interval_ps(&spec.timing),
            chips_in_use: chips,
            tiles_in_use,
            synapse_memory_bits,
            widths,
            mesh,
            cores,
            compartments,
            receivers,
            formats,
            accumulator_len: layout.len,
            block_cores: layout.block_cores,
            rest,
            long_rests,
            sources,
            dt: parts.dt,
            seed: parts.seed,
            arithmetic,
            spec,
            threads: 1,
            pool: None,
        }
    }

    /// The same chip, stepping on `threads` threads (at least 1); a run
    /// of steps is best taken within [`Chip::install`]. Results do not
    /// depend on the number.
    pub fn with_threads(mut self, threads: usize) -> Chip {
        self.threads = threads.max(1);
        self.pool = (self.threads > 1)
            .then(|| {
                rayon::ThreadPoolBuilder::new()
                    .num_threads(self.threads)
                    .build()
                    .ok()
            })
            .flatten();
        if self.pool.is_none() {
            self.threads = 1;
        }
        self
    }

    /// Runs `run` on the chip's threads and returns what it gives, the
    /// other threads polling for work until it ends. A run of steps called
    /// from there forks and joins each phase among threads that are awake:
    /// called from another thread, or with the others asleep between
    /// phases, a phase would wait for threads to wake, which takes longer
    /// than a small network's whole step.
    pub fn install<R: Send>(&self, run: impl FnOnce() -> R + Send) -> R {
        let Some(pool) = &self.pool else {
            return run();
        };
        pool.install(|| {
            let runner = rayon::current_thread_index();
            let done = Arc::new(AtomicBool::new(false));
            let polling = Arc::clone(&done);
            pool.spawn_broadcast(move |thread| {
                // The runner's own turn comes when it waits within the run,
                // or after it: it must not poll under its own run.
                if Some(thread.index()) != runner {
                    poll_until(&polling);
                }
            });
            // Set when the run ends, even by a panic, which would otherwise
            // leave the other threads polling for ever.
            let _ended = Ended(done);
            run()
        })
    }

    /// The state at the start of a run: every compartment at its initial
    /// u and v, every accumulator empty, every stream at its start.
    pub fn initial_state(&self) -> ChipState {
        ChipState::new(self)
    }

    /// The chip system.
    pub fn spec(&self) -> &ChipSpec {
        &self.spec
    }

    /// The arithmetic it runs.
    pub fn arithmetic(&self) -> Arithmetic {
        self.arithmetic
    }

    /// The step, seconds.
    pub fn dt(&self) -> f64 {
        self.dt
    }

    /// The seed of the host sources' streams.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The threads a step runs on.
    pub fn threads(&self) -> usize {
        self.threads
    }

    /// Synapses of all cores.
    pub fn synapses(&self) -> u64 {
        self.cores.iter().map(|c| c.synapse_count).sum()
    }

    /// The barrier that ends every step, picoseconds.
    pub fn barrier_ps(&self) -> u64 {
        self.barrier_ps
    }

    /// Bytes the configuration holds per synapse and per axon: what the
    /// emulator's memory grows with.
    pub fn heap_bytes(&self) -> u64 {
        let core_bytes: usize = self
            .cores
            .iter()
            .map(|c| {
                c.outputs.len() * std::mem::size_of::<Destination>() + c.output_offsets.len() * 4
            })
            .sum();
        let compartment_bytes =
            self.compartments.bias.len() * (8 + 4 + 2 + std::mem::size_of::<Registers>());
        let source_bytes: usize = self
            .sources
            .iter()
            .map(|s| s.destination_count() * std::mem::size_of::<Destination>())
            .sum();
        let long_bytes = self.long_rests.rests.len() * std::mem::size_of::<(u32, u32)>();
        let synapse_bytes = self.rest.weights.len() * std::mem::size_of::<i16>()
            + self.rest.targets.len() * std::mem::size_of::<Target>();
        (core_bytes + compartment_bytes + source_bytes + long_bytes + synapse_bytes) as u64
    }
}

/// Tiles in use, tiles in use on the busiest chip, chips in use, and the
/// span of the chips in use (the sum over the axes of their extent).
fn occupancy(spec: &ChipSpec, ids: &[CoreId]) -> (u32, u32, u32, u32) {
    let located: Vec<_> = ids.iter().filter_map(|&id| spec.locate(id)).collect();
    let tiles: BTreeSet<([u32; 3], [u32; 2])> = located.iter().map(|l| (l.chip, l.tile)).collect();
    let mut per_chip: HashMap<[u32; 3], u32> = HashMap::new();
    for (chip, _) in &tiles {
        *per_chip.entry(*chip).or_default() += 1;
    }
    let span = (0..3)
        .map(|axis| {
            let coords = per_chip.keys().map(|c| c[axis]);
            coords.clone().max().unwrap_or(0) - coords.min().unwrap_or(0)
        })
        .sum();
    (
        tiles.len() as u32,
        per_chip.values().copied().max().unwrap_or(1),
        per_chip.len() as u32,
        span,
    )
}

/// One core's configuration from its program, and its list formats; its
/// compartments' configuration is added to `all`.
fn configure(
    core: CoreProgram,
    widths: &Widths,
    arithmetic: Arithmetic,
    axons: &Axons,
    all: &mut CompartmentConfig,
) -> (Core, Vec<Format>) {
    let profiles: Vec<Profile> = core
        .profiles
        .iter()
        .map(|p| Profile::new(p, widths))
        .collect();
    let group_exponents: Vec<i8> = match arithmetic {
        Arithmetic::Hardware => vec![0],
        Arithmetic::Lava => {
            let distinct: BTreeSet<i8> = core.formats.iter().map(|f| f.weight_exponent).collect();
            if distinct.is_empty() {
                vec![0]
            } else {
                distinct.into_iter().collect()
            }
        }
    };
    let list_format = |format: &SynapseFormat, run: bool| Format {
        shift: widths.shift as i8 + format.weight_exponent,
        group_offset: (group_exponents
            .iter()
            .position(|&e| e == format.weight_exponent)
            .unwrap_or(0)
            * core.compartments.len()) as u32,
        run,
    };
    let mut formats: Vec<Format> = core.formats.iter().map(|f| list_format(f, false)).collect();
    if has_run_formats(&core) {
        formats.extend(core.formats.iter().map(|f| list_format(f, true)));
    }
    let (output_offsets, outputs) = axons.group_by_source(
        core.compartments.len(),
        core.output_axons.iter().map(|o| (o.source, o.core, o.axon)),
    );
    let compartments = &core.compartments;
    let unjoined_profile = match profiles.as_slice() {
        [profile] if compartments.iter().all(|c| c.parent.is_none()) => Some(*profile),
        _ => None,
    };
    let start = all.bias.len();
    all.bias.extend(
        compartments
            .iter()
            .map(|c| i64::from(c.bias_mantissa) << c.bias_exponent),
    );
    all.profile.extend(compartments.iter().map(|c| c.profile));
    all.parent.extend(
        compartments
            .iter()
            .map(|c| c.parent.map_or(u32::MAX, u32::from)),
    );
    all.initial.extend(compartments.iter().map(|c| Registers {
        u: i64::from(c.u),
        v: i64::from(c.v),
        refractory: 0,
    }));
    let configured = Core {
        id: core.id,
        profiles,
        compartments: start..all.bias.len(),
        unjoined_profile,
        group_exponents,
        synapse_count: core.synapses.weight.len() as u64,
        output_offsets,
        outputs,
    };
    (configured, formats)
}

/// Whether `core`'s runs have list formats of their own.
fn has_run_formats(core: &CoreProgram) -> bool {
    core.formats.len() <= MAX_FORMATS_WITH_RUNS
}

/// Whether `synapses` (a whole list) form a run of more than one: each on
/// the compartment after the one before, all with the same delay.
fn is_run(synapses: &[ListedSynapse]) -> bool {
    synapses.len() > 1
        && synapses.windows(2).all(|pair| {
            pair[1].delay == pair[0].delay
                && u32::from(pair[1].compartment) == u32::from(pair[0].compartment) + 1
        })
}

/// Every input axon's synapse list: its destination, and the synapses
/// after the first.
struct Lists {
    axons: Axons,
    rest: RestSynapses,
    long_rests: LongRests,
}

/// The lists of every core, axon by axon. A program whose synapses
/// outnumber `u32` cannot be held in memory anyway; the program check has
/// bounded every core's synaptic memory.
fn pack_synapses(cores: &[CoreProgram]) -> Lists {
    let axons: usize = cores.iter().map(|c| c.input_axons.len()).sum();
    let rest: usize = cores
        .iter()
        .flat_map(|c| &c.input_axons)
        .map(|a| a.count.saturating_sub(1) as usize)
        .sum();
    let mut lists = Lists {
        axons: Axons {
            first: CoreMap::default(),
            destinations: Vec::with_capacity(axons),
        },
        rest: RestSynapses {
            weights: with_huge_pages(rest),
            targets: with_huge_pages(rest),
        },
        long_rests: LongRests::default(),
    };
    let mut list = Vec::new();
    for (index, core) in cores.iter().enumerate() {
        let axons = &mut lists.axons;
        axons
            .first
            .insert(core.id, axons.destinations.len() as AxonId);
        let run_formats = has_run_formats(core).then_some(core.formats.len());
        for axon in &core.input_axons {
            list.clear();
            list.extend(core.synapses.of(axon));
            let run_offset = match run_formats {
                Some(formats) if is_run(&list) => formats,
                _ => 0,
            };
            let first = list.first().map_or_else(Synapse::default, |s| Synapse {
                weight: s.weight,
                compartment: s.compartment,
                delay: s.delay,
                format: (usize::from(axon.format) + run_offset) as u8,
            });
            let start = lists.rest.weights.len() as u32;
            for s in list.iter().skip(1) {
                lists.rest.weights.push(s.weight);
                lists.rest.targets.push(Target {
                    compartment: s.compartment,
                    delay: s.delay,
                });
            }
            let end = lists.rest.weights.len() as u32;
            let destination =
                Destination::new(index as u32, first, start, end, &mut lists.long_rests);
            lists.axons.destinations.push(destination);
        }
    }
    lists
}

/// Every input axon of the system while the chip is configured: the
/// destination of a message to it.
pub(crate) struct Axons {
    /// Per core, the system-wide number of its first axon (the axons of
    /// the cores in use laid end to end).
    first: CoreMap<AxonId>,
    /// Per axon, by its number.
    destinations: Vec<Destination>,
}

impl Axons {
    /// The destinations of `outputs` (source, core, axon), grouped into
    /// `sources` runs: the destinations of source `s` are
    /// `destinations[offsets[s]..offsets[s + 1]]`, ascending by axon and so
    /// by core, so the destinations on a run of cores are a run of them.
    pub(crate) fn group_by_source(
        &self,
        sources: usize,
        outputs: impl Iterator<Item = (u32, CoreId, u32)>,
    ) -> (Vec<u32>, Vec<Destination>) {
        let mut offsets = vec![0u32; sources + 1];
        let mut grouped = Vec::new();
        for (source, core, axon) in outputs {
            offsets[source as usize + 1] += 1;
            grouped.push((self.first[&core] + axon) as usize);
        }
        for s in 0..sources {
            offsets[s + 1] += offsets[s];
            grouped[offsets[s] as usize..offsets[s + 1] as usize].sort_unstable();
        }
        let destinations = gather(&self.destinations, &grouped).copied().collect();
        (offsets, destinations)
    }
}

/// Sets its flag when dropped.
struct Ended(Arc<AtomicBool>);

impl Drop for Ended {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Release);
    }
}

/// Takes the pool's pending work, one job after another, until `done`.
fn poll_until(done: &AtomicBool) {
    while !done.load(Ordering::Acquire) {
        if rayon::yield_now() != Some(rayon::Yield::Executed) {
            std::hint::spin_loop();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use neurc_ir::chip::{InputAxon, SignMode, SynapseList};

    /// A core with one list of each of `lengths`, in that order, whose
    /// synapse k of the whole core has weight k (modulo 2^15).
    fn core_with_lists(lengths: &[u32]) -> CoreProgram {
        let total: u32 = lengths.iter().sum();
        let mut first = 0;
        let input_axons = lengths
            .iter()
            .map(|&count| {
                first += count;
                InputAxon {
                    format: 0,
                    first: first - count,
                    count,
                }
            })
            .collect();
        CoreProgram {
            id: CoreId(7),
            profiles: Vec::new(),
            compartments: Vec::new(),
            formats: vec![SynapseFormat {
                weight_bits: 8,
                sign: SignMode::Mixed,
                weight_exponent: 0,
                index_bits: 10,
                delay_bits: 4,
            }],
            input_axons,
            synapses: SynapseList {
                compartment: (0..total).map(|k| (k % 1024) as u16).collect(),
                weight: (0..total).map(|k| (k % 32_768) as i16).collect(),
                delay: (0..total).map(|k| (k % 15 + 1) as u8).collect(),
            },
            output_axons: Vec::new(),
            delay_slots: 16,
        }
    }

    /// Every list's destination gives back its first synapse, its length
    /// and its rest, for lists empty, short, and longer than a
    /// destination's own field holds.
    #[test]
    fn every_list_is_found_whatever_its_length() {
        let lengths = [0, 1, 2, 3, 65_535, 65_536, 65_537, 0, 70_000, 1, 5];
        let core = core_with_lists(&lengths);
        let lists = pack_synapses(std::slice::from_ref(&core));
        assert_eq!(lists.axons.first[&CoreId(7)], 0);
        for (a, (axon, &length)) in core.input_axons.iter().zip(&lengths).enumerate() {
            let destination = lists.axons.destinations[a];
            let (start, count) = destination.list(&lists.long_rests);
            assert_eq!(count, length, "axon {a}");
            assert_eq!(destination.core, 0);
            let synapses: Vec<_> = core.synapses.of(axon).collect();
            if let Some(head) = synapses.first() {
                assert_eq!(destination.first.weight, head.weight);
                assert_eq!(destination.first.compartment, head.compartment);
                assert_eq!(destination.first.delay, head.delay);
                let rest = start as usize..(start + count - 1) as usize;
                let weights: Vec<i16> = synapses[1..].iter().map(|s| s.weight).collect();
                assert_eq!(lists.rest.weights[rest], weights[..], "axon {a}");
            } else {
                assert_eq!(destination.first.delay, 0, "an empty list has no delay");
            }
        }
    }
}
