//! What a core's compartment kernel computes, worked out from its program
//! before any code is generated: the constants of every compartment, the
//! runs of compartments that repeat a pattern (a loop each), and how the
//! dendritic accumulators are split by weight exponent.
//!
//! A plan holds everything the kernel specialises and nothing that varies
//! between cores of the same shape, so cores with equal plans share one
//! compiled kernel.

use super::FixedError;
use neurc_ir::chip::{Arithmetic, CoreProgram, FixedPoint};

/// The longest pattern of compartments a run repeats: a neuron's
/// compartments (a soma and its dendrites) form one repetition, and mapped
/// neurons rarely have more than a few.
const MAX_PERIOD: usize = 16;

/// The number formats of the arithmetic, from the chip spec.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub(super) struct Widths {
    /// Decays are in units of `2^-decay_bits`.
    pub decay_bits: u32,
    /// u and v are registers of this many bits.
    pub state_bits: u32,
    /// The dendritic accumulator's width (hardware mode).
    pub accumulator_bits: u32,
    /// Inputs are aligned to u by this much more than their exponent.
    pub weight_shift: u32,
}

impl Widths {
    pub(super) fn of(fixed: &FixedPoint) -> Widths {
        Widths {
            decay_bits: fixed.decay_bits,
            state_bits: fixed.state_bits,
            accumulator_bits: fixed.accumulator_bits,
            weight_shift: fixed.weight_shift,
        }
    }
}

/// The constants of one compartment: its profile's, and its place in a
/// dendritic tree.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub(super) struct Unit {
    /// u keeps `u · current_keep >> decay_bits` (toward zero) per step.
    pub current_keep: i64,
    /// v keeps `v · voltage_keep >> decay_bits` (toward zero) per step.
    pub voltage_keep: i64,
    /// The compartment spikes when `v > threshold`; `None` for a dendrite.
    pub threshold: Option<i64>,
    /// The refractory delay, when it holds v for at least one step (≥ 2);
    /// with 0 or 1 the counter never leaves 0 and is not kept.
    pub refractory: Option<i64>,
    /// For a dendrite, how many compartments later its parent comes.
    pub parent_offset: Option<u32>,
    /// Whether dendrites join this compartment.
    pub has_children: bool,
}

/// Where a compartment's bias comes from.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub(super) enum Bias {
    /// The same for every repetition of the run: an immediate.
    Constant(i64),
    /// Read from the core's bias array.
    PerCompartment,
}

/// Compartments `start .. start + repeats · units.len()`: the pattern
/// `units` repeated `repeats` times.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub(super) struct Run {
    /// The first compartment.
    pub start: u32,
    /// How many times the pattern repeats.
    pub repeats: u32,
    /// The pattern, one entry per compartment of a repetition.
    pub units: Vec<(Unit, Bias)>,
}

/// How the kernel reads one row of a slot of the accumulator ring.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub(super) enum Group {
    /// The sum as it is: the inputs were scaled as they were added.
    Scaled,
    /// The sum shifted right (flooring) by this much: lava mode's negative
    /// weight exponents, applied to the sum of a format's raw weights.
    Floor(u32),
}

/// A core's compartment kernel, as the code generator needs it.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub(super) struct KernelPlan {
    /// The arithmetic reproduced.
    pub arithmetic: Arithmetic,
    /// Its number formats.
    pub widths: Widths,
    /// Compartments of the core.
    pub compartments: u32,
    /// log2 of the slots of the ring, which is laid out by row, then
    /// compartment, then slot.
    pub slot_bits: u32,
    /// The rows of the ring, in order.
    pub groups: Vec<Group>,
    /// Every compartment, in service order.
    pub runs: Vec<Run>,
}

/// How a synapse of one format is added to the ring: to row `group`, its
/// stored weight shifted left by `shift` (right by `−shift` if negative,
/// flooring).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) struct FormatRule {
    /// The row of the ring slot.
    pub group: u32,
    /// The shift of each stored weight.
    pub shift: i32,
}

/// The rows of a core's ring slots and where each synapse format adds.
///
/// Hardware mode shifts each weight by `weight_shift + exponent` as it is
/// added, so one row holds the whole input. Lava mode applies a negative
/// exponent to the sum of the format's raw weights, so each negative
/// exponent has its own row, shifted when it is read; non-negative
/// exponents share a row, scaled as they are added, since a left shift of
/// a sum equals the sum of the shifted weights.
pub(super) fn accumulator_rows(
    core: &CoreProgram,
    arithmetic: Arithmetic,
    widths: Widths,
) -> (Vec<Group>, Vec<FormatRule>) {
    match arithmetic {
        Arithmetic::Hardware => {
            let rules = core.formats.iter().map(|format| FormatRule {
                group: 0,
                shift: widths.weight_shift as i32 + i32::from(format.weight_exponent),
            });
            (vec![Group::Scaled], rules.collect())
        }
        Arithmetic::Lava => {
            let mut groups = Vec::new();
            let mut row = |group: Group| match groups.iter().position(|&g| g == group) {
                Some(index) => index as u32,
                None => {
                    groups.push(group);
                    groups.len() as u32 - 1
                }
            };
            let rules: Vec<FormatRule> = core
                .formats
                .iter()
                .map(|format| {
                    let exponent = i32::from(format.weight_exponent);
                    if exponent >= 0 {
                        FormatRule {
                            group: row(Group::Scaled),
                            shift: exponent,
                        }
                    } else {
                        FormatRule {
                            group: row(Group::Floor(exponent.unsigned_abs())),
                            shift: 0,
                        }
                    }
                })
                .collect();
            (groups, rules)
        }
    }
}

/// The kernel plan of `core`, whose ring has `slots` slots (a power of
/// two) of rows `groups`.
pub(super) fn plan(
    core: &CoreProgram,
    arithmetic: Arithmetic,
    fixed: &FixedPoint,
    groups: Vec<Group>,
    slots: u32,
) -> Result<KernelPlan, FixedError> {
    let widths = Widths::of(fixed);
    let compartments = &core.compartments;
    // The kernel addresses the ring with 32-bit immediates.
    let ring_bytes = (groups.len() as u64 * compartments.len() as u64) * u64::from(slots) * 8;
    if ring_bytes > i32::MAX as u64 {
        return Err(FixedError::Malformed(format!(
            "core {}: {} compartments with {} accumulator rows of {slots} slots, too many to address",
            core.id,
            compartments.len(),
            groups.len()
        )));
    }
    let mut has_children = vec![false; compartments.len()];
    for compartment in compartments {
        if let Some(flag) = compartment
            .parent
            .and_then(|p| has_children.get_mut(usize::from(p)))
        {
            *flag = true;
        }
    }
    let decay_one = i64::from(fixed.decay_one());
    let mut units = Vec::with_capacity(compartments.len());
    let mut biases = Vec::with_capacity(compartments.len());
    for (c, compartment) in compartments.iter().enumerate() {
        let profile = core
            .profiles
            .get(usize::from(compartment.profile))
            .ok_or_else(|| {
                FixedError::Malformed(format!(
                    "core {}: compartment {c} has no profile {}",
                    core.id, compartment.profile
                ))
            })?;
        let parent_offset = match compartment.parent {
            // The kernel adds to the parent's join unchecked: it must be
            // a compartment of the core.
            Some(parent) if usize::from(parent) > c && usize::from(parent) < compartments.len() => {
                Some(u32::from(parent) - c as u32)
            }
            Some(parent) => {
                return Err(FixedError::Malformed(format!(
                    "core {}: compartment {c} joins compartment {parent}, not a later one of the core",
                    core.id
                )));
            }
            None => None,
        };
        units.push(Unit {
            current_keep: decay_one - i64::from(profile.du) - 1,
            voltage_keep: decay_one - i64::from(profile.dv),
            threshold: profile
                .vth
                .map(|vth| i64::from(vth) << fixed.threshold_shift),
            refractory: (profile.refractory_delay >= 2)
                .then_some(i64::from(profile.refractory_delay)),
            parent_offset,
            has_children: has_children[c],
        });
        biases.push(i64::from(compartment.bias_mantissa) << compartment.bias_exponent);
    }
    Ok(KernelPlan {
        arithmetic,
        widths,
        compartments: compartments.len() as u32,
        slot_bits: slots.trailing_zeros(),
        groups,
        runs: runs(&units, &biases),
    })
}

/// Splits the compartments into runs, greedily: from each position, the
/// pattern of at most [`MAX_PERIOD`] compartments that repeats, at least
/// twice, over the most compartments (the shortest such pattern on a
/// tie), or else the one compartment there.
fn runs(units: &[Unit], biases: &[i64]) -> Vec<Run> {
    let mut runs = Vec::new();
    let mut start = 0;
    while start < units.len() {
        let rest = &units[start..];
        let (mut period, mut repeats) = (1, 1);
        for candidate in 1..=MAX_PERIOD.min(rest.len()) {
            let count = repetitions(rest, candidate);
            if count > 1 && count * candidate > repeats * period {
                (period, repeats) = (candidate, count);
            }
        }
        let covered = &biases[start..start + period * repeats];
        let pattern = (0..period).map(|j| {
            let first = covered[j];
            let same = covered.iter().skip(j).step_by(period).all(|&b| b == first);
            let bias = if same {
                Bias::Constant(first)
            } else {
                Bias::PerCompartment
            };
            (rest[j], bias)
        });
        runs.push(Run {
            start: start as u32,
            repeats: repeats as u32,
            units: pattern.collect(),
        });
        start += period * repeats;
    }
    runs
}

/// How many times the first `period` units repeat from the start of
/// `units`.
fn repetitions(units: &[Unit], period: usize) -> usize {
    let pattern = &units[..period];
    units
        .chunks_exact(period)
        .take_while(|chunk| *chunk == pattern)
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(threshold: Option<i64>, parent_offset: Option<u32>, has_children: bool) -> Unit {
        Unit {
            current_keep: 4000,
            voltage_keep: 4096,
            threshold,
            refractory: None,
            parent_offset,
            has_children,
        }
    }

    #[test]
    fn neurons_of_one_shape_form_one_run() {
        let dendrite = unit(None, Some(1), false);
        let soma = unit(Some(64), None, true);
        let units: Vec<Unit> = (0..6)
            .flat_map(|_| [dendrite, soma])
            .chain([unit(Some(64), None, false)])
            .collect();
        let biases: Vec<i64> = (0..13).map(|c| if c % 2 == 0 { 7 } else { c }).collect();
        let runs = runs(&units, &biases);
        assert_eq!(runs.len(), 2);
        assert_eq!((runs[0].start, runs[0].repeats), (0, 6));
        assert_eq!(
            runs[0].units,
            vec![(dendrite, Bias::Constant(7)), (soma, Bias::PerCompartment)]
        );
        assert_eq!((runs[1].start, runs[1].repeats), (12, 1));
    }

    #[test]
    fn runs_cover_every_compartment_once() {
        let a = unit(Some(1), None, false);
        let b = unit(Some(2), None, false);
        let units = [a, a, a, b, a, b, a, b, b, a];
        let runs = runs(&units, &[0; 10]);
        let mut next = 0;
        for run in &runs {
            assert_eq!(run.start, next);
            for r in 0..run.repeats as usize {
                for (j, (u, _)) in run.units.iter().enumerate() {
                    assert_eq!(*u, units[next as usize + r * run.units.len() + j]);
                }
            }
            next += run.repeats * run.units.len() as u32;
        }
        assert_eq!(next, 10);
    }
}
