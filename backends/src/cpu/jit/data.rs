//! What a kernel runs on: safe, checked views of the caller's arrays.
//!
//! Compiled code does no bounds checks, so everything it may touch is
//! checked here or in `run` before the call: a caller using only safe code
//! cannot make a kernel read or write outside the slices it passed.

use crate::cpu::random::Stream;
use crate::cpu::schedule::Schedule;
use std::ops::Range;

/// One chunk of a population for one step of a neuron kernel: the neurons
/// `first..first + n` of the population, structure of arrays (see the CPU
/// contract for the layouts).
#[derive(Debug)]
pub struct NeuronData<'a, R> {
    /// State, `state_count × n`, variable-major (`state[k * n + i]`).
    pub state: &'a mut [R],
    /// Per-neuron parameters, `param_count × n`, parameter-major.
    pub params: &'a [R],
    /// The synaptic rings, `take_up.len() × slots × n`
    /// (`ring[(k * slots + s) * n + i]`).
    pub ring: &'a mut [R],
    /// Slots of each ring: a power of two.
    pub slots: u32,
    /// Refractory counters, `n` of them if the program has a refractory
    /// rule (otherwise unused and may be empty).
    pub refractory: &'a mut [u32],
    /// Random streams, `n` of them if the program draws
    /// ([`NeuronProgram::uses_random`](crate::cpu::NeuronProgram::uses_random)).
    pub streams: &'a mut [Stream],
    /// The chunk's spike schedule (neuron `i` of the chunk is its neuron `i`),
    /// with `n` neurons if the program reads one.
    pub schedule: Option<&'a mut Schedule>,
    /// Out: the population indices of the spiking neurons, ascending;
    /// at least `n` long.
    pub spikes: &'a mut [u32],
    /// Out: the count of each spike entry, for count programs (at least `n`
    /// long); otherwise unused and may be empty.
    pub counts: &'a mut [u32],
    /// Population index of the chunk's neuron 0.
    pub first: u32,
    /// Neurons in the chunk.
    pub n: u32,
    /// Time at the start of the step (`R::from_f64(step as f64 * dt)`).
    pub time: R,
    /// The step number.
    pub step: u64,
}

/// What a delivery kernel is specialised for: one projection's constants
/// and the presynaptic neurons its table has rows for.
#[derive(Clone, Copy, PartialEq, Debug)]
pub struct DeliverySpec {
    /// The weight of every synapse, or `None` for a per-synapse array.
    pub weight: Option<f64>,
    /// The delay in steps (≥ 1) of every synapse, or `None` for a
    /// per-synapse array.
    pub delay: Option<u16>,
    /// Whether spikes carry counts (each synapse then delivers
    /// `weight × count`).
    pub counted: bool,
    /// First presynaptic neuron with a row.
    pub pre_start: u32,
    /// One past the last presynaptic neuron with a row.
    pub pre_end: u32,
}

impl DeliverySpec {
    /// Number of rows: one per presynaptic neuron of `pre_start..pre_end`.
    pub(super) fn rows(&self) -> Result<usize, KernelError> {
        match self.pre_end.checked_sub(self.pre_start) {
            Some(rows) => Ok(rows as usize),
            None => Err(KernelError::PreRange {
                start: self.pre_start,
                end: self.pre_end,
            }),
        }
    }

    /// Equality that also holds for a NaN weight: the same bits compile to
    /// the same kernel.
    pub(super) fn same_as(&self, other: &DeliverySpec) -> bool {
        self.weight.map(f64::to_bits) == other.weight.map(f64::to_bits)
            && self.delay == other.delay
            && self.counted == other.counted
            && self.pre_start == other.pre_start
            && self.pre_end == other.pre_end
    }
}

/// The synapse arrays of one projection's table, CSR by presynaptic neuron.
#[derive(Clone, Copy, Debug)]
pub struct SynapseArrays<'a, R> {
    /// Per row, its first synapse.
    pub begin: &'a [u64],
    /// Per row, one past its last synapse.
    pub end: &'a [u64],
    /// Postsynaptic neuron of each synapse (population index).
    pub targets: &'a [u32],
    /// Weight of each synapse; empty when the spec's weight is constant.
    pub weights: &'a [R],
    /// Delay of each synapse in steps; empty when the spec's delay is
    /// constant.
    pub delays: &'a [u16],
}

/// The synapses one thread delivers for one projection, checked once at
/// setup so the delivery loop needs no bounds checks: every row range lies
/// within the arrays, every target within the thread's neurons
/// `target_base..target_base + n_local`, every delay within `1..slots`.
#[derive(Clone, Copy, Debug)]
pub struct SynapseShard<'a, R> {
    pub(super) spec: DeliverySpec,
    pub(super) arrays: SynapseArrays<'a, R>,
    pub(super) target_base: u32,
    pub(super) n_local: u32,
    pub(super) slots: u32,
    /// Synapses in the shard's parts of the rows.
    pub(super) synapses: u64,
    /// See [`SynapseShard::reaching`].
    reaching: (u32, u32),
}

impl<'a, R> SynapseShard<'a, R> {
    /// Checks every row a delivery with `spec` can reach, in O(synapses of
    /// the shard). `begin` and `end` have one entry per row
    /// (`pre_end - pre_start`) and delimit this shard's part of each row:
    /// the arrays may be a whole table shared by several shards, as long as
    /// `begin[i]..end[i]` holds only synapses onto this shard's neurons.
    pub fn new(
        spec: &DeliverySpec,
        arrays: SynapseArrays<'a, R>,
        target_base: u32,
        n_local: u32,
        slots: u32,
    ) -> Result<Self, KernelError> {
        let rows = spec.rows()?;
        check_slots(slots)?;
        let synapses = arrays.targets.len();
        exact("begin", arrays.begin.len(), rows)?;
        exact("end", arrays.end.len(), rows)?;
        let varying = |constant: bool| if constant { 0 } else { synapses };
        exact(
            "weights",
            arrays.weights.len(),
            varying(spec.weight.is_some()),
        )?;
        exact("delays", arrays.delays.len(), varying(spec.delay.is_some()))?;
        if let Some(delay) = spec.delay {
            check_delay(delay, slots, None)?;
        }
        let targets = u64::from(target_base)..u64::from(target_base) + u64::from(n_local);
        let mut shard_synapses = 0;
        let mut reaching: Option<(usize, usize)> = None;
        for (row, (&begin, &end)) in arrays.begin.iter().zip(arrays.end).enumerate() {
            if begin > end || end > synapses as u64 {
                return Err(KernelError::RowRange {
                    row,
                    begin,
                    end,
                    synapses,
                });
            }
            if begin < end {
                shard_synapses += end - begin;
                reaching = Some((reaching.map_or(row, |(first, _)| first), row + 1));
            }
            for synapse in begin as usize..end as usize {
                let target = arrays.targets[synapse];
                if !targets.contains(&u64::from(target)) {
                    return Err(KernelError::Target {
                        synapse,
                        target,
                        target_base,
                        n_local,
                    });
                }
                if spec.delay.is_none() {
                    check_delay(arrays.delays[synapse], slots, Some(synapse))?;
                }
            }
        }
        Ok(SynapseShard {
            spec: *spec,
            arrays,
            target_base,
            n_local,
            slots,
            synapses: shard_synapses,
            // `row + 1 <= pre_end - pre_start`: the neurons fit in `u32`.
            reaching: reaching.map_or((0, 0), |(first, end)| {
                (spec.pre_start + first as u32, spec.pre_start + end as u32)
            }),
        })
    }

    /// The presynaptic neurons from the first to the last whose row has
    /// synapses in this shard (an empty range if none has): a spike of a
    /// neuron outside delivers nothing here, so a caller can skip a list
    /// of such spikes without running the kernel.
    pub fn reaching(&self) -> Range<u32> {
        self.reaching.0..self.reaching.1
    }
}

/// Why a kernel refused to run, or a shard to be built. Every error names
/// the array or value that does not match.
#[derive(Clone, PartialEq, Debug, thiserror::Error)]
pub enum KernelError {
    /// An array has the wrong length.
    #[error("`{array}` has {actual} entries where the kernel needs {expected}")]
    Length {
        /// The array.
        array: &'static str,
        /// Entries it needs.
        expected: usize,
        /// Entries it has.
        actual: usize,
    },
    /// An output array is too short.
    #[error("`{array}` has {actual} entries where the kernel needs at least {needed}")]
    TooShort {
        /// The array.
        array: &'static str,
        /// Entries it needs at least.
        needed: usize,
        /// Entries it has.
        actual: usize,
    },
    /// An array would have more entries than memory can hold.
    #[error("`{array}` would need more entries than fit in memory")]
    TooLarge {
        /// The array.
        array: &'static str,
    },
    /// The ring's slot count is not a power of two.
    #[error("{0} ring slots is not a power of two")]
    Slots(u32),
    /// The program reads a spike schedule and none was given.
    #[error("the program reads a spike schedule, but none was given")]
    MissingSchedule,
    /// The schedule has the wrong number of neurons.
    #[error("the schedule has {actual} neurons where the chunk has {expected}")]
    ScheduleLength {
        /// Neurons in the chunk.
        expected: usize,
        /// Neurons in the schedule.
        actual: usize,
    },
    /// The chunk's population indices do not fit in `u32`.
    #[error("population indices {first} + {n} do not fit in 32 bits")]
    IndexOverflow {
        /// The chunk's first neuron.
        first: u32,
        /// Neurons in the chunk.
        n: u32,
    },
    /// The spec's presynaptic range ends before it starts.
    #[error("presynaptic range {start}..{end} ends before it starts")]
    PreRange {
        /// Its start.
        start: u32,
        /// Its end.
        end: u32,
    },
    /// A row's synapse range is reversed or leaves the arrays.
    #[error("row {row}: synapses {begin}..{end} are not a range within the {synapses} synapses")]
    RowRange {
        /// The row.
        row: usize,
        /// Its first synapse.
        begin: u64,
        /// One past its last synapse.
        end: u64,
        /// Synapses in the arrays.
        synapses: usize,
    },
    /// A synapse's target is not one of the shard's neurons.
    #[error(
        "synapse {synapse}: target {target} is outside the shard's neurons \
         {target_base}..{target_base}+{n_local}"
    )]
    Target {
        /// The synapse.
        synapse: usize,
        /// Its target.
        target: u32,
        /// The shard's first neuron.
        target_base: u32,
        /// The shard's neuron count.
        n_local: u32,
    },
    /// A delay is 0 or does not fit in the ring (`None`: the constant delay).
    #[error("delay {delay} (synapse {synapse:?}) is not within 1..{slots} steps")]
    Delay {
        /// The synapse, or `None` for the spec's constant delay.
        synapse: Option<usize>,
        /// The delay.
        delay: u16,
        /// The ring's slots.
        slots: u32,
    },
    /// The shard was checked for another spec than the kernel's.
    #[error("the shard was checked for {shard:?}, the kernel was compiled for {kernel:?}")]
    SpecMismatch {
        /// The shard's spec.
        shard: DeliverySpec,
        /// The kernel's spec.
        kernel: DeliverySpec,
    },
}

/// `Ok` if `array` has exactly `expected` entries.
pub(super) fn exact(
    array: &'static str,
    actual: usize,
    expected: usize,
) -> Result<(), KernelError> {
    if actual == expected {
        Ok(())
    } else {
        Err(KernelError::Length {
            array,
            expected,
            actual,
        })
    }
}

/// `Ok` if `array` has at least `needed` entries.
pub(super) fn at_least(
    array: &'static str,
    actual: usize,
    needed: usize,
) -> Result<(), KernelError> {
    if actual >= needed {
        Ok(())
    } else {
        Err(KernelError::TooShort {
            array,
            needed,
            actual,
        })
    }
}

/// The product of `factors` as a length, or why it cannot be one.
pub(super) fn product(array: &'static str, factors: &[usize]) -> Result<usize, KernelError> {
    factors
        .iter()
        .try_fold(1usize, |size, &factor| size.checked_mul(factor))
        .ok_or(KernelError::TooLarge { array })
}

/// `Ok` if `slots` is a power of two (the rings index slots by masking).
pub(super) fn check_slots(slots: u32) -> Result<(), KernelError> {
    if slots.is_power_of_two() {
        Ok(())
    } else {
        Err(KernelError::Slots(slots))
    }
}

/// `Ok` if a spike sent now with `delay` lands in a later slot of a ring of
/// `slots`: `1 <= delay < slots`.
fn check_delay(delay: u16, slots: u32, synapse: Option<usize>) -> Result<(), KernelError> {
    if delay >= 1 && u32::from(delay) < slots {
        Ok(())
    } else {
        Err(KernelError::Delay {
            synapse,
            delay,
            slots,
        })
    }
}
