//! Synaptic delivery: a spike message to an input axon walks the axon's
//! synapse list and adds each synapse's input to its compartment's
//! accumulator in the ring slot of its arrival step.
//!
//! Every core's synapses, input axons and accumulator rings live in three
//! arrays for the whole program, so a message costs three memory reads:
//! the axon (16 bytes), its synapses (six bytes each, the program's fields
//! packed side by side) and the sums they add to. A list of one synapse,
//! common when a network is spread thin over many cores, is kept inside
//! its axon, which saves one of the three. The messages of a step are
//! delivered as one batch, whose next axons and lists are fetched ahead of
//! time, so that the cache misses of many messages overlap.
//!
//! The ring of every core has the same number of slots, a power of two no
//! smaller than the longest delay of any core, so the slot of step n is
//! `n & mask` everywhere. A longer ring than a core's own `delay_slots`
//! changes nothing: a slot still holds the input of exactly one future
//! step at a time, since no delay exceeds its length. A core's ring is
//! laid out by row, then compartment, then slot: a synapse's sum is at
//! `row + compartment · slots + slot`.
//!
//! Accumulators are `i64` and added with wrapping arithmetic. Hardware
//! mode reads them through a wrap to the accumulator's width, which equals
//! the wrap of the exact sum whatever the order of the additions, since
//! both are the sum modulo `2^bits`; lava mode reads the exact sum (no run
//! brings 2^63 of input to one compartment in one step). So the order in
//! which messages arrive within a step never changes a result.

use super::FixedError;
use super::plan::FormatRule;
use crate::cpu::prefetch::prefetch;
use neurc_ir::chip::{CoreProgram, InputAxon};

/// One synapse, packed: its compartment, stored weight and delay.
#[derive(Clone, Copy, Debug)]
struct Synapse {
    compartment: u16,
    weight: i16,
    delay: u16,
}

/// An input axon, ready to walk.
#[derive(Clone, Copy, Debug)]
#[repr(C, align(16))]
struct Axon {
    /// Where its format's row of its core's ring starts in the sums.
    row: u32,
    count: u32,
    /// Its first synapse in the program-wide array; or, for a list of
    /// one, that synapse's compartment (low half) and weight (high half).
    first: u32,
    /// Each stored weight is shifted left by this (right if negative,
    /// flooring).
    shift: i16,
    /// For a list of one, the synapse's delay.
    delay: u16,
}

impl Axon {
    /// The single synapse of a list of one.
    fn only(&self) -> Synapse {
        Synapse {
            compartment: self.first as u16,
            weight: (self.first >> 16) as u16 as i16,
            delay: self.delay,
        }
    }
}

/// A spike message of a step: `times` spikes to input axon `axon`.
#[derive(Clone, Copy, Debug)]
pub(super) struct Message {
    /// The axon, a program-wide index.
    pub axon: u32,
    /// How many spikes (a Poisson count may exceed 1).
    pub times: u32,
}

/// Where a core's ring is in the program-wide sums.
#[derive(Clone, Copy, Debug)]
pub(super) struct RingPlace {
    /// Its first sum.
    pub start: usize,
    /// Its sums: rows × compartments × slots.
    pub len: usize,
}

/// The synapses and input axons of every core, and the shape of their
/// rings. The sums themselves are kept apart, so that threads can own
/// disjoint runs of cores' rings while sharing this.
#[derive(Debug)]
pub(super) struct Delivery {
    synapses: Vec<Synapse>,
    axons: Vec<Axon>,
    /// log2 of the slots per ring.
    slot_bits: u32,
}

/// Builds a [`Delivery`] core by core.
pub(super) struct DeliveryBuilder {
    delivery: Delivery,
    /// The sums of the rings so far.
    sums: usize,
}

impl DeliveryBuilder {
    /// For rings of at least `longest_delay` slots.
    pub(super) fn new(longest_delay: u32) -> DeliveryBuilder {
        let slots = longest_delay.max(1).next_power_of_two();
        DeliveryBuilder {
            delivery: Delivery {
                synapses: Vec::new(),
                axons: Vec::new(),
                slot_bits: slots.trailing_zeros(),
            },
            sums: 0,
        }
    }

    /// Slots per ring: a power of two.
    pub(super) fn slots(&self) -> u32 {
        1 << self.delivery.slot_bits
    }

    /// Adds `core`, whose slots have `rows` rows and whose formats add by
    /// `formats`: returns where its ring is and the program-wide index of
    /// its first input axon.
    pub(super) fn add_core(
        &mut self,
        core: &CoreProgram,
        rows: usize,
        formats: &[FormatRule],
    ) -> Result<(RingPlace, u32), FixedError> {
        let delivery = &mut self.delivery;
        let too_large = || {
            FixedError::Malformed(format!(
                "core {}: the program has more than 2^32 synapses, input axons or accumulators",
                core.id
            ))
        };
        let n = core.compartments.len();
        let place = RingPlace {
            start: self.sums,
            len: (rows * n) << delivery.slot_bits,
        };
        self.sums = place.start + place.len;
        u32::try_from(self.sums).map_err(|_| too_large())?;
        let first_axon = u32::try_from(delivery.axons.len()).map_err(|_| too_large())?;
        let list = &core.synapses;
        for (a, axon) in core.input_axons.iter().enumerate() {
            let rule = axon_rule(core, a, axon, formats, n)?;
            let mut synapses = list.of(axon).map(|s| Synapse {
                compartment: s.compartment,
                weight: s.weight,
                delay: u16::from(s.delay),
            });
            let row = (place.start + ((rule.group as usize * n) << delivery.slot_bits)) as u32;
            // In range: a spec keeps weight exponents within ±16.
            let shift = rule.shift as i16;
            let packed = match (axon.count, synapses.next()) {
                (1, Some(only)) => Axon {
                    row,
                    count: 1,
                    first: u32::from(only.compartment) | u32::from(only.weight as u16) << 16,
                    shift,
                    delay: only.delay,
                },
                (_, first) => {
                    let start = u32::try_from(delivery.synapses.len()).map_err(|_| too_large())?;
                    delivery.synapses.extend(first.into_iter().chain(synapses));
                    Axon {
                        row,
                        count: axon.count,
                        first: start,
                        shift,
                        delay: 0,
                    }
                }
            };
            delivery.axons.push(packed);
        }
        u32::try_from(delivery.axons.len()).map_err(|_| too_large())?;
        u32::try_from(delivery.synapses.len()).map_err(|_| too_large())?;
        Ok((place, first_axon))
    }

    /// The finished delivery, and the sums of all rings (zeroed).
    pub(super) fn finish(self) -> (Delivery, Vec<i64>) {
        (self.delivery, vec![0; self.sums])
    }
}

/// The rule of input axon `a` of `core`, checked against the core's
/// synapses, compartments and longest delay.
fn axon_rule(
    core: &CoreProgram,
    a: usize,
    axon: &InputAxon,
    formats: &[FormatRule],
    compartments: usize,
) -> Result<FormatRule, FixedError> {
    let malformed =
        |what: &str| FixedError::Malformed(format!("core {}: input axon {a} {what}", core.id));
    let rule = formats
        .get(usize::from(axon.format))
        .copied()
        .ok_or_else(|| malformed("has no synapse format"))?;
    let list = &core.synapses;
    let range = axon.first as usize..axon.first as usize + axon.count as usize;
    let (Some(targets), Some(delays), Some(_)) = (
        list.compartment.get(range.clone()),
        list.delay.get(range.clone()),
        list.weight.get(range),
    ) else {
        return Err(malformed("runs past the synapses"));
    };
    let slots = core.delay_slots.max(1);
    if targets.iter().any(|&c| usize::from(c) >= compartments)
        || delays.iter().any(|&d| d == 0 || u32::from(d) > slots)
    {
        return Err(malformed("has a synapse outside the core or its delays"));
    }
    Ok(rule)
}

impl Delivery {
    /// Bytes its synapses and axons hold.
    pub(super) fn heap_bytes(&self) -> usize {
        self.synapses.len() * std::mem::size_of::<Synapse>()
            + self.axons.len() * std::mem::size_of::<Axon>()
    }

    /// The slot of every ring that step `step` consumes.
    pub(super) fn slot(&self, step: u64) -> usize {
        (step & ((1u64 << self.slot_bits) - 1)) as usize
    }

    /// Delivers the spike messages of step `step` into `sums`, the sums
    /// from `base` on of the rings their axons add to; returns the
    /// synapses walked.
    ///
    /// A message's axon is read [`AHEAD`] messages before its turn and its
    /// list fetched half as far ahead, so that the cache misses of many
    /// messages are in flight at once.
    ///
    /// # Panics
    /// If a message names no axon, or one whose ring is not in `sums`: the
    /// messages are routed by the axons' cores.
    pub(super) fn deliver(
        &self,
        sums: &mut [i64],
        base: usize,
        messages: &[Message],
        step: u64,
    ) -> u64 {
        let mut events = 0;
        for (i, message) in messages.iter().enumerate() {
            if let Some(ahead) = messages.get(i + AHEAD) {
                prefetch(&self.axons[ahead.axon as usize]);
            }
            if let Some(ahead) = messages.get(i + AHEAD / 2) {
                let axon = &self.axons[ahead.axon as usize];
                if axon.count > 1
                    && let Some(synapse) = self.synapses.get(axon.first as usize)
                {
                    prefetch(synapse);
                }
            }
            events += self.deliver_one(sums, base, *message, step);
        }
        events
    }

    /// Delivers one message; returns the synapses walked.
    fn deliver_one(&self, sums: &mut [i64], base: usize, message: Message, step: u64) -> u64 {
        let axon = self.axons[message.axon as usize];
        let times = i64::from(message.times);
        let only = [axon.only()];
        let synapses = if axon.count == 1 {
            &only[..]
        } else {
            let first = axon.first as usize;
            &self.synapses[first..first + axon.count as usize]
        };
        let (row, slot_bits) = (axon.row as usize - base, self.slot_bits);
        let mask = (1u64 << slot_bits) - 1;
        let mut add = |synapse: &Synapse, value: i64| {
            let slot = ((step + u64::from(synapse.delay)) & mask) as usize;
            let sum = &mut sums[row + (usize::from(synapse.compartment) << slot_bits) + slot];
            *sum = sum.wrapping_add(value.wrapping_mul(times));
        };
        if axon.shift >= 0 {
            let shift = axon.shift as u32;
            for synapse in synapses {
                add(synapse, i64::from(synapse.weight) << shift);
            }
        } else {
            let shift = axon.shift.unsigned_abs();
            for synapse in synapses {
                add(synapse, i64::from(synapse.weight) >> shift);
            }
        }
        u64::from(axon.count) * u64::from(message.times)
    }
}

/// How many messages ahead an axon is fetched: enough misses in flight to
/// hide memory latency, few enough that the lines are still in the cache
/// at their turn.
const AHEAD: usize = 16;
