//! A chip system configured with a program: everything that does not
//! change while it runs. The state that does is a [`ChipState`].

use crate::neuron::{Profile, Registers, Widths};
use crate::noc::{self, Mesh};
use crate::sources::Source;
use crate::state::ChipState;
use neurc_backends::cpu::pages::with_huge_pages;
use neurc_ir::chip::{
    Arithmetic, ChipProgram, ChipSpec, CoreId, CoreProgram, ListedSynapse, SynapseFormat,
};
use std::collections::{BTreeSet, HashMap};

/// Where a spike message goes: an input axon, numbered across the whole
/// system (the axons of the cores in use laid end to end), so a
/// destination takes 4 bytes and the receiving core is found from the
/// axon's number.
pub(crate) type AxonId = u32;

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
#[derive(Clone, Copy, Debug)]
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

/// An input axon's list where a message's axon number leads: its first
/// synapse and where the rest of it starts in the chip's `rest`, in one
/// record of 10 bytes, so that a message costs one access to memory at
/// random where two arrays would cost two. The start is kept in two
/// halves so that the record keeps its synapse's 2-byte alignment.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C)]
pub(crate) struct ListHead {
    /// The first synapse; an empty list's has delay 0, which no synapse
    /// has.
    pub(crate) first: Synapse,
    rest_low: u16,
    rest_high: u16,
}

impl ListHead {
    fn new(first: Synapse, rest: u32) -> ListHead {
        ListHead {
            first,
            rest_low: rest as u16,
            rest_high: (rest >> 16) as u16,
        }
    }

    /// Where the rest of the list starts in the chip's `rest`.
    #[inline]
    pub(crate) fn rest(&self) -> u32 {
        u32::from(self.rest_low) | (u32::from(self.rest_high) << 16)
    }
}

/// One core's configuration.
#[derive(Clone, Debug)]
pub(crate) struct Core {
    pub(crate) id: CoreId,
    pub(crate) profiles: Vec<Profile>,
    pub(crate) profile_of: Vec<u16>,
    /// `bias_mantissa << bias_exponent`, per compartment.
    pub(crate) bias: Vec<i64>,
    /// The compartment each one joins, or `u32::MAX` for none.
    pub(crate) parent: Vec<u32>,
    pub(crate) initial: Vec<Registers>,
    /// The profile of every compartment, when they share one and none is
    /// joined to another: the core's update then runs along its
    /// compartments on vectors in hardware arithmetic.
    pub(crate) unjoined_profile: Option<Profile>,
    /// Lava arithmetic: the weight exponent of each accumulator group (one
    /// group in hardware arithmetic, whose exponent is unused).
    pub(crate) group_exponents: Vec<i8>,
    /// Synapses.
    pub(crate) synapse_count: u64,
    /// Per compartment, its output axons: `outputs[offsets[c]..offsets[c + 1]]`.
    pub(crate) output_offsets: Vec<u32>,
    pub(crate) outputs: Vec<AxonId>,
}

/// What a message needs of the core it reaches, kept apart from the rest
/// of [`Core`]: a step's messages reach thousands of cores in no order,
/// and these few figures of every core stay in the cache where whole
/// cores would not.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Receiver {
    /// Where its accumulators start in the state's array.
    pub(crate) accumulator_base: usize,
    /// Accumulators per ring slot: groups × compartments.
    pub(crate) stride: u32,
    /// Slots of the accumulator ring: the longest delay.
    pub(crate) slots: u32,
    /// Its first synapse format in the chip's `formats`.
    pub(crate) first_format: u32,
}

impl Receiver {
    /// Its accumulators: every slot's.
    pub(crate) fn accumulator_len(&self) -> usize {
        self.slots as usize * self.stride as usize
    }
}

impl Core {
    /// Compartments.
    pub(crate) fn len(&self) -> usize {
        self.bias.len()
    }

    /// Accumulator groups per compartment per slot.
    pub(crate) fn groups(&self) -> usize {
        self.group_exponents.len()
    }

    /// The output axons of compartment `c`.
    #[inline]
    pub(crate) fn outputs_of(&self, c: usize) -> &[AxonId] {
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
    /// Per core, what its messages need.
    pub(crate) receivers: Vec<Receiver>,
    /// The list formats of all cores, core after core.
    pub(crate) formats: Vec<Format>,
    /// Accumulators of all cores.
    pub(crate) accumulator_len: usize,
    /// Per input axon (numbered by [`AxonId`]), the head of its list; one
    /// more at the end, so axon `a`'s list goes on with
    /// `rest[lists[a].rest()..lists[a + 1].rest()]`.
    pub(crate) lists: Vec<ListHead>,
    /// The synapses after the first of every list, axon by axon.
    pub(crate) rest: RestSynapses,
    /// Which core each input axon is on.
    pub(crate) axons: AxonIndex,
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
        let mut axon_bases = vec![0 as AxonId];
        for core in &parts.cores {
            let last = axon_bases[axon_bases.len() - 1];
            axon_bases.push(last + core.input_axons.len() as AxonId);
        }
        let base: HashMap<CoreId, AxonId> = parts
            .cores
            .iter()
            .zip(&axon_bases)
            .map(|(c, &b)| (c.id, b))
            .collect();
        let index_of = |id: CoreId, axon: u32| base[&id] + axon;
        let Lists { heads: lists, rest } = pack_synapses(&parts.cores);

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
        let mut receivers = Vec::with_capacity(parts.cores.len());
        let mut formats = Vec::new();
        let mut accumulator_len = 0;
        for program in parts.cores {
            let slots = program.delay_slots.max(1);
            let (core, core_formats) = configure(program, &widths, arithmetic, &index_of);
            let receiver = Receiver {
                accumulator_base: accumulator_len,
                stride: (core.groups() * core.len()) as u32,
                slots,
                first_format: formats.len() as u32,
            };
            accumulator_len += receiver.accumulator_len();
            formats.extend(core_formats);
            cores.push(core);
            receivers.push(receiver);
        }
        let sources = parts
            .inputs
            .iter()
            .map(|input| Source::new(input, &index_of))
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
            receivers,
            formats,
            accumulator_len,
            lists,
            rest,
            axons: AxonIndex::new(axon_bases),
            sources,
            dt: parts.dt,
            seed: parts.seed,
            arithmetic,
            spec,
            threads: 1,
            pool: None,
        }
    }

    /// The same chip, stepping on `threads` threads (at least 1). Results
    /// do not depend on the number.
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
                c.outputs.len() * std::mem::size_of::<AxonId>()
                    + c.output_offsets.len() * 4
                    + c.len() * (8 + 4 + 2 + std::mem::size_of::<Registers>())
            })
            .sum();
        let source_bytes: usize = self
            .sources
            .iter()
            .map(|s| s.destination_count() * std::mem::size_of::<AxonId>())
            .sum();
        let axon_bytes = self.lists.len() * std::mem::size_of::<ListHead>();
        let synapse_bytes = self.rest.weights.len() * std::mem::size_of::<i16>()
            + self.rest.targets.len() * std::mem::size_of::<Target>();
        (core_bytes + source_bytes + axon_bytes + synapse_bytes) as u64
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

/// One core's configuration from its program, and its list formats.
fn configure(
    core: CoreProgram,
    widths: &Widths,
    arithmetic: Arithmetic,
    index_of: &impl Fn(CoreId, u32) -> AxonId,
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
    let (output_offsets, outputs) = group_by_source(
        core.compartments.len(),
        core.output_axons
            .iter()
            .map(|o| (o.source, index_of(o.core, o.axon))),
    );
    let compartments = &core.compartments;
    let unjoined_profile = match profiles.as_slice() {
        [profile] if compartments.iter().all(|c| c.parent.is_none()) => Some(*profile),
        _ => None,
    };
    let configured = Core {
        id: core.id,
        profiles,
        profile_of: compartments.iter().map(|c| c.profile).collect(),
        bias: compartments
            .iter()
            .map(|c| i64::from(c.bias_mantissa) << c.bias_exponent)
            .collect(),
        parent: compartments
            .iter()
            .map(|c| c.parent.map_or(u32::MAX, u32::from))
            .collect(),
        initial: compartments
            .iter()
            .map(|c| Registers {
                u: i64::from(c.u),
                v: i64::from(c.v),
                refractory: 0,
            })
            .collect(),
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

/// Every input axon's synapse list, split into its head (at the axon's
/// number) and the rest.
struct Lists {
    heads: Vec<ListHead>,
    rest: RestSynapses,
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
        heads: with_huge_pages(axons + 1),
        rest: RestSynapses {
            weights: with_huge_pages(rest),
            targets: with_huge_pages(rest),
        },
    };
    let mut list = Vec::new();
    for core in cores {
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
            lists.heads.push(ListHead::new(first, start));
            for s in list.iter().skip(1) {
                lists.rest.weights.push(s.weight);
                lists.rest.targets.push(Target {
                    compartment: s.compartment,
                    delay: s.delay,
                });
            }
        }
    }
    let end = ListHead::new(Synapse::default(), lists.rest.weights.len() as u32);
    lists.heads.push(end);
    lists
}

/// The system-wide numbering of input axons, core after core, and the
/// way back from an axon to its core.
#[derive(Clone, Debug)]
pub(crate) struct AxonIndex {
    /// Per core, its first axon; one more at the end.
    bases: Vec<AxonId>,
    /// The axons cut into buckets of `2^bucket_bits`, about a core's worth
    /// each: the core of each bucket's first axon, and one more bucket
    /// past the last axon.
    bucket_cores: Vec<u32>,
    bucket_bits: u32,
}

impl AxonIndex {
    /// The index of cores whose first axons are `bases` (one more at the
    /// end: the number of axons).
    pub(crate) fn new(bases: Vec<AxonId>) -> AxonIndex {
        let cores = bases.len().saturating_sub(1);
        let axons = bases.last().copied().unwrap_or(0);
        let bucket_bits = (axons / cores.max(1) as u32).max(1).ilog2();
        let buckets = (axons >> bucket_bits) as usize + 2;
        let last_core = cores.saturating_sub(1) as u32;
        let bucket_cores = (0..buckets)
            .map(|b| {
                let first = (b as AxonId) << bucket_bits;
                (bases[1..].partition_point(|&base| base <= first) as u32).min(last_core)
            })
            .collect();
        AxonIndex {
            bases,
            bucket_cores,
            bucket_bits,
        }
    }

    /// Core `core`'s first axon (the number of axons for one past the
    /// last core).
    pub(crate) fn base(&self, core: usize) -> AxonId {
        self.bases[core]
    }

    /// The core of axon `axon`: one of the few between those of its
    /// bucket's first axon and the next bucket's. A spike's messages go to
    /// cores all over the system, and a search of every core's base per
    /// message would cost more than the rest of the message.
    #[inline]
    pub(crate) fn core_of(&self, axon: AxonId) -> usize {
        let bucket = (axon >> self.bucket_bits) as usize;
        let low = self.bucket_cores[bucket] as usize;
        let high = self.bucket_cores[bucket + 1] as usize;
        low + self.bases[low + 1..=high].partition_point(|&base| base <= axon)
    }
}

/// Offsets and destinations of `items` (source, destination), sorted by
/// source, grouped into `sources` runs: the destinations of source `s` are
/// `destinations[offsets[s]..offsets[s + 1]]`, in ascending order, so the
/// destinations on a run of cores are a run of them.
pub(crate) fn group_by_source(
    sources: usize,
    items: impl Iterator<Item = (u32, AxonId)>,
) -> (Vec<u32>, Vec<AxonId>) {
    let mut offsets = vec![0u32; sources + 1];
    let mut grouped = Vec::new();
    for (source, item) in items {
        offsets[source as usize + 1] += 1;
        grouped.push(item);
    }
    for s in 0..sources {
        offsets[s + 1] += offsets[s];
        grouped[offsets[s] as usize..offsets[s + 1] as usize].sort_unstable();
    }
    (offsets, grouped)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The bucketed lookup finds, for every axon, the core a plain
        /// search of the bases finds: the last core whose first axon is at
        /// or before it, so empty cores are passed over.
        #[test]
        fn every_axon_is_found_on_its_core(
            axons_per_core in prop::collection::vec(
                prop_oneof![Just(0u32), 1u32..4, 1u32..5000],
                1..60,
            ),
        ) {
            let mut bases = vec![0];
            for &n in &axons_per_core {
                bases.push(bases[bases.len() - 1] + n);
            }
            let index = AxonIndex::new(bases.clone());
            for axon in 0..bases[bases.len() - 1] {
                let expected = bases[1..].partition_point(|&b| b <= axon);
                prop_assert_eq!(index.core_of(axon), expected, "axon {}", axon);
                prop_assert!(axons_per_core[expected] > 0);
            }
        }
    }
}
