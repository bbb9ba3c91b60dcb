//! The compartment's integer arithmetic (CHIP.md §c), one compartment and
//! one step at a time, in both readings of [`Arithmetic`].
//!
//! Everything is computed in `i64`, wide enough that no intermediate of
//! the 24-bit chip ever overflows; the widths the chip has are applied
//! explicitly, as wraps and clamps, where the reading says they happen.

use crate::state::CompartmentsMut;
use neurc_ir::chip::{Arithmetic, CompartmentProfile, FixedPoint};

/// The number formats a compartment update needs, from the spec's
/// [`FixedPoint`].
#[derive(Clone, Copy, Debug)]
pub(crate) struct Widths {
    /// `2^decay_bits`: a decay of `d` keeps `(one − d) / one`.
    decay_one: i64,
    /// `decay_bits`: the shift of `trunc`.
    decay_bits: u32,
    /// u and v are `state_bits` wide.
    state_bits: u32,
    /// The accumulator is `accumulator_bits` wide.
    accumulator_bits: u32,
    /// The largest |v|: `2^(state_bits − 1) − 1`.
    state_max: i64,
    /// A synaptic input or a threshold mantissa is shifted left by this.
    pub(crate) shift: u32,
}

impl Widths {
    /// The widths of `fixed`.
    pub(crate) fn new(fixed: &FixedPoint) -> Widths {
        Widths {
            decay_one: i64::from(fixed.decay_one()),
            decay_bits: fixed.decay_bits,
            state_bits: fixed.state_bits,
            accumulator_bits: fixed.accumulator_bits,
            state_max: fixed.state_max(),
            shift: fixed.weight_shift,
        }
    }

    /// `x` scaled by `factor / 2^decay_bits`, rounded toward zero (`trunc12`
    /// on Loihi).
    #[inline]
    fn decay(&self, x: i64, factor: i64) -> i64 {
        let product = x * factor;
        let magnitude = product.unsigned_abs() >> self.decay_bits;
        // The magnitude fits: |product| < 2^63 and it was shifted right.
        let magnitude = magnitude as i64;
        if product < 0 { -magnitude } else { magnitude }
    }
}

/// `x` modulo `2^bits`, as a signed `bits`-wide two's-complement number.
#[inline]
pub(crate) fn wrap(x: i64, bits: u32) -> i64 {
    let unused = 64 - bits;
    (x << unused) >> unused
}

/// A compartment profile with its decays as the factors they multiply by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Profile {
    /// u keeps `u_factor / 2^decay_bits` of itself: `one − du − 1`.
    u_factor: i64,
    /// v keeps `v_factor / 2^decay_bits` of itself: `one − dv`.
    v_factor: i64,
    /// The threshold `vth << shift`, or `None` for a dendrite.
    threshold: Option<i64>,
    /// Steps of refractoriness after a spike, counting the spike's step.
    refractory: u32,
}

impl Profile {
    /// The factors of `profile` in `widths`. The decays are clamped into
    /// range so that a factor is never negative (the program check has
    /// refused out-of-range decays already).
    pub(crate) fn new(profile: &CompartmentProfile, widths: &Widths) -> Profile {
        let one = widths.decay_one;
        Profile {
            u_factor: (one - i64::from(profile.du) - 1).max(0),
            v_factor: (one - i64::from(profile.dv)).max(0),
            threshold: profile.vth.map(|vth| i64::from(vth) << widths.shift),
            refractory: profile.refractory_delay,
        }
    }

    /// Whether the compartment can spike.
    pub(crate) fn spikes(&self) -> bool {
        self.threshold.is_some()
    }
}

/// The registers of one compartment.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Registers {
    /// Synaptic current.
    pub(crate) u: i64,
    /// Membrane voltage.
    pub(crate) v: i64,
    /// Steps of refractoriness left.
    pub(crate) refractory: u32,
}

/// What a compartment receives in a step besides its own state.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Inputs {
    /// The dendritic accumulator's slot for this step: in hardware
    /// arithmetic the sum of `weight << (6 + exponent)`; in Lava's, the sum
    /// of the format groups' `shift(Σ weight, exponent)`, not yet shifted by 6.
    pub(crate) synaptic: i64,
    /// `bias_mantissa << bias_exponent`.
    pub(crate) bias: i64,
    /// The sum of this step's u of the compartments joined to this one.
    pub(crate) join: i64,
}

/// Advances one compartment by one step; returns whether it spiked.
#[inline]
pub(crate) fn update(
    registers: &mut Registers,
    inputs: Inputs,
    profile: &Profile,
    widths: &Widths,
    arithmetic: Arithmetic,
) -> bool {
    let decayed_u = widths.decay(registers.u, profile.u_factor);
    let decayed_v = widths.decay(registers.v, profile.v_factor);
    let v_input = match arithmetic {
        Arithmetic::Hardware => {
            let q = wrap(inputs.synaptic, widths.accumulator_bits);
            registers.u = wrap(decayed_u + q, widths.state_bits);
            wrap(registers.u + inputs.bias + inputs.join, widths.state_bits)
        }
        Arithmetic::Lava => {
            let half = 1i64 << (widths.state_bits - 1);
            let mut x = decayed_u + (inputs.synaptic << widths.shift);
            if x > half {
                x -= 2 * half;
            } else if x <= -half {
                x += 2 * half;
            }
            registers.u = x;
            x + inputs.bias + inputs.join
        }
    };
    let mut v = (decayed_v + v_input).clamp(-widths.state_max, widths.state_max);
    if registers.refractory > 0 {
        v = 0;
    }
    let spiked = profile.threshold.is_some_and(|threshold| v > threshold);
    if spiked {
        v = 0;
        registers.refractory = profile.refractory;
    }
    registers.refractory = registers.refractory.saturating_sub(1);
    registers.v = v;
    spiked
}

/// A core's compartments as a step's update reads and writes them: their
/// registers, and whether each spiked and whether its update had work to
/// do (input, bias, or a register not at rest), which the update sets.
pub(crate) struct CoreArrays<'a> {
    pub(crate) compartments: CompartmentsMut<'a>,
    /// This step's synaptic input, per compartment; left zero.
    pub(crate) synaptic: &'a mut [i64],
    pub(crate) bias: &'a [i64],
}

/// Advances every compartment of a core by one step in hardware
/// arithmetic, exactly as [`update`] does one by one, when they share
/// `profile` and none is joined to another (so no compartment's input
/// waits on another's update). Written without branches over plain
/// arrays, so that it runs on the machine's widest vectors.
pub(crate) fn update_unjoined(core: CoreArrays<'_>, profile: &Profile, widths: &Widths) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        #[allow(unsafe_code)]
        // SAFETY: the function needs AVX2, which the machine was just
        // found to have.
        return unsafe { update_unjoined_avx2(core, profile, widths) };
    }
    update_unjoined_portable(core, profile, widths)
}

/// [`update_unjoined_portable`] compiled for AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn update_unjoined_avx2(core: CoreArrays<'_>, profile: &Profile, widths: &Widths) {
    update_unjoined_portable(core, profile, widths)
}

#[inline(always)]
fn update_unjoined_portable(core: CoreArrays<'_>, profile: &Profile, widths: &Widths) {
    let n = core.bias.len();
    let CompartmentsMut {
        u,
        v,
        refractory,
        spiked,
        active,
        ..
    } = core.compartments;
    let (u, v, refractory) = (&mut u[..n], &mut v[..n], &mut refractory[..n]);
    let (synaptic, bias) = (&mut core.synaptic[..n], core.bias);
    let (spiked, active) = (&mut spiked[..n], &mut active[..n]);
    // No v reaches past the largest state, so a dendrite never spikes.
    let threshold = profile.threshold.unwrap_or(i64::MAX);
    for i in 0..n {
        let input = synaptic[i];
        synaptic[i] = 0;
        let (u0, v0, r0, b) = (u[i], v[i], refractory[i], bias[i]);
        active[i] = (input | b | u0 | v0) != 0 || r0 > 0;
        let q = wrap_by_mask(input, widths.accumulator_bits);
        let u1 = wrap_by_mask(widths.decay(u0, profile.u_factor) + q, widths.state_bits);
        let v_input = wrap_by_mask(u1 + b, widths.state_bits);
        let v1 = (widths.decay(v0, profile.v_factor) + v_input)
            .clamp(-widths.state_max, widths.state_max);
        let v1 = if r0 > 0 { 0 } else { v1 };
        let fired = v1 > threshold;
        u[i] = u1;
        v[i] = if fired { 0 } else { v1 };
        refractory[i] = if fired { profile.refractory } else { r0 }.saturating_sub(1);
        spiked[i] = fired;
    }
}

/// [`wrap`] by a mask and two additions, which vectors of 64-bit lanes
/// have where they lack an arithmetic right shift.
#[inline(always)]
fn wrap_by_mask(x: i64, bits: u32) -> i64 {
    let half = 1i64 << (bits - 1);
    let mask = (half << 1).wrapping_sub(1);
    (x.wrapping_add(half) & mask).wrapping_sub(half)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn widths() -> Widths {
        Widths::new(&FixedPoint::loihi())
    }

    fn profile(du: u32, dv: u32, vth: Option<u32>, refractory_delay: u32) -> Profile {
        Profile::new(
            &CompartmentProfile {
                du,
                dv,
                vth,
                refractory_delay,
            },
            &widths(),
        )
    }

    fn inputs(synaptic: i64) -> Inputs {
        Inputs {
            synaptic,
            bias: 0,
            join: 0,
        }
    }

    fn run(
        registers: &mut Registers,
        profile: &Profile,
        arithmetic: Arithmetic,
        input: impl Fn(usize) -> Inputs,
        steps: usize,
    ) -> Vec<(i64, i64, bool)> {
        (0..steps)
            .map(|step| {
                let s = update(registers, input(step), profile, &widths(), arithmetic);
                (registers.u, registers.v, s)
            })
            .collect()
    }

    #[test]
    fn wrap_is_twos_complement() {
        assert_eq!(wrap((1 << 23) - 1, 24), (1 << 23) - 1);
        assert_eq!(wrap(1 << 23, 24), -(1 << 23));
        assert_eq!(wrap(-(1 << 23) - 1, 24), (1 << 23) - 1);
        assert_eq!(wrap(3 << 24, 24), 0);
        assert_eq!(wrap(1 << 21, 22), -(1 << 21));
    }

    #[test]
    fn current_with_du_zero_loses_exactly_one_per_step_below_4096() {
        // CHIP.md §c2: |u| shrinks by ceil(|u|/4096) per step.
        for arithmetic in [Arithmetic::Hardware, Arithmetic::Lava] {
            let mut r = Registers {
                u: 640,
                ..Registers::default()
            };
            let p = profile(0, 4095, None, 0);
            let us: Vec<i64> = run(&mut r, &p, arithmetic, |_| inputs(0), 3)
                .iter()
                .map(|s| s.0)
                .collect();
            assert_eq!(us, [639, 638, 637]);
            let mut r = Registers {
                u: -256,
                ..Registers::default()
            };
            assert_eq!(run(&mut r, &p, arithmetic, |_| inputs(0), 1)[0].0, -255);
            let mut r = Registers {
                u: 8192,
                ..Registers::default()
            };
            assert_eq!(run(&mut r, &p, arithmetic, |_| inputs(0), 1)[0].0, 8190);
        }
    }

    #[test]
    fn du_4095_keeps_only_this_steps_input_and_dv_zero_integrates() {
        let mut r = Registers {
            u: 1_000_000,
            ..Registers::default()
        };
        let p = profile(4095, 0, None, 0);
        let trace = run(
            &mut r,
            &p,
            Arithmetic::Hardware,
            |s| inputs(64 * s as i64),
            4,
        );
        let us: Vec<i64> = trace.iter().map(|t| t.0).collect();
        let vs: Vec<i64> = trace.iter().map(|t| t.1).collect();
        assert_eq!(us, [0, 64, 128, 192]);
        assert_eq!(vs, [0, 64, 192, 384]);
    }

    #[test]
    fn threshold_is_strict_and_resets_v_but_not_u() {
        let p = profile(4095, 0, Some(10), 0);
        let threshold = 10 << 6;
        let mut r = Registers::default();
        assert!(!update(
            &mut r,
            inputs(threshold),
            &p,
            &widths(),
            Arithmetic::Hardware
        ));
        assert_eq!(r.v, threshold);
        assert!(update(
            &mut r,
            inputs(1),
            &p,
            &widths(),
            Arithmetic::Hardware
        ));
        assert_eq!((r.u, r.v), (1, 0));
    }

    #[test]
    fn vth_zero_fires_whenever_v_is_positive() {
        let p = profile(4095, 4095, Some(0), 0);
        let mut r = Registers::default();
        assert!(!update(&mut r, inputs(0), &p, &widths(), Arithmetic::Lava));
        assert!(update(&mut r, inputs(1), &p, &widths(), Arithmetic::Lava));
    }

    #[test]
    fn refractory_delay_holds_v_at_zero_for_r_minus_one_steps() {
        // Spike on step 0, v held on steps 1 .. r−1, free again on step r.
        for r_delay in [0u32, 1, 2, 5] {
            let p = profile(4095, 0, Some(1), r_delay);
            let mut r = Registers::default();
            let big = 1000;
            let spikes: Vec<bool> = run(&mut r, &p, Arithmetic::Hardware, |_| inputs(big), 8)
                .iter()
                .map(|t| t.2)
                .collect();
            let period = r_delay.max(1) as usize;
            let expected: Vec<bool> = (0..8).map(|s| s % period == 0).collect();
            assert_eq!(spikes, expected, "refractory delay {r_delay}");
        }
    }

    #[test]
    fn hardware_wraps_the_accumulator_at_22_bits_and_lava_does_not() {
        let p = profile(4095, 4095, None, 0);
        let q = 1 << 21;
        let mut r = Registers::default();
        update(&mut r, inputs(q), &p, &widths(), Arithmetic::Hardware);
        assert_eq!(r.u, -(1 << 21));
        let mut r = Registers::default();
        // Lava's input is shifted by 6 inside the update.
        update(&mut r, inputs(q >> 6), &p, &widths(), Arithmetic::Lava);
        assert_eq!(r.u, 1 << 21);
    }

    #[test]
    fn lava_wraps_u_once_and_only_strictly_above_the_top() {
        // Inputs are multiples of 64 (Lava shifts its input by 6).
        let p = profile(4095, 4095, None, 0);
        let (half, full) = (1i64 << 23, 1i64 << 24);
        for (x, expected) in [
            (half, half),
            (half + 64, half + 64 - full),
            (-half + 64, -half + 64),
            (-half, half),
            (3 * half + 64, 3 * half + 64 - full),
        ] {
            let mut r = Registers::default();
            update(&mut r, inputs(x >> 6), &p, &widths(), Arithmetic::Lava);
            assert_eq!(r.u, expected, "x = {x}");
        }
    }

    #[test]
    fn hardware_wraps_u_and_u_plus_bias_at_24_bits_and_saturates_v() {
        let p = profile(4095, 0, None, 0);
        let max = (1i64 << 23) - 1;
        let mut r = Registers {
            v: max - 5,
            ..Registers::default()
        };
        let i = Inputs {
            synaptic: 1 << 20,
            bias: max,
            join: 0,
        };
        update(&mut r, i, &p, &widths(), Arithmetic::Hardware);
        assert_eq!(r.u, 1 << 20);
        // u + bias = 2^20 + 2^23 − 1 wraps to 2^20 − 2^23 − 1 (negative).
        assert_eq!(r.v, max - 5 + (1 << 20) - (1 << 23) - 1);
        let mut r = Registers {
            v: max - 5,
            ..Registers::default()
        };
        update(&mut r, inputs(100), &p, &widths(), Arithmetic::Hardware);
        assert_eq!(r.v, max);
    }

    #[test]
    fn a_joined_current_reaches_v_in_the_same_step() {
        let p = profile(4095, 4095, None, 0);
        let mut r = Registers::default();
        let i = Inputs {
            synaptic: 0,
            bias: 3,
            join: 40,
        };
        update(&mut r, i, &p, &widths(), Arithmetic::Hardware);
        assert_eq!((r.u, r.v), (0, 43));
    }

    mod batch {
        use super::*;
        use crate::state::Compartments;
        use proptest::prelude::*;

        /// A register or input near the chip's limits as often as inside.
        fn value(bits: u32) -> impl Strategy<Value = i64> {
            let top = 1i64 << bits;
            prop_oneof![
                -top..top,
                (-4i64..4).prop_map(move |d| top / 2 + d),
                (-4i64..4).prop_map(move |d| -top / 2 + d),
                Just(0),
            ]
        }

        fn compartment() -> impl Strategy<Value = (Registers, i64, i64)> {
            (value(24), value(24), 0u32..4, value(30), value(20)).prop_map(
                |(u, v, refractory, synaptic, bias)| {
                    (Registers { u, v, refractory }, synaptic, bias)
                },
            )
        }

        proptest! {
            #[test]
            fn a_core_updated_at_once_matches_its_compartments_updated_in_turn(
                compartments in prop::collection::vec(compartment(), 0..40),
                du in prop_oneof![Just(0u32), Just(4095), 0u32..4096],
                dv in prop_oneof![Just(0u32), Just(4095), 0u32..4096],
                vth in prop_oneof![Just(None), Just(Some(0u32)), (0u32..1 << 17).prop_map(Some)],
                refractory_delay in 1u32..4,
            ) {
                let profile = profile(du, dv, vth, refractory_delay);
                let widths = widths();
                let initial: Vec<Registers> = compartments.iter().map(|c| c.0).collect();
                let mut synaptic: Vec<i64> = compartments.iter().map(|c| c.1).collect();
                let bias: Vec<i64> = compartments.iter().map(|c| c.2).collect();
                let mut file = Compartments::new(&initial);
                let core = CoreArrays {
                    compartments: file.as_mut(),
                    synaptic: &mut synaptic,
                    bias: &bias,
                };
                update_unjoined(core, &profile, &widths);
                let file = file.as_mut();
                prop_assert!(synaptic.iter().all(|&s| s == 0));
                for (i, (registers, input, bias)) in compartments.into_iter().enumerate() {
                    let mut expected = registers;
                    let was_active = input != 0
                        || bias != 0
                        || registers.u != 0
                        || registers.v != 0
                        || registers.refractory > 0;
                    let inputs = Inputs { synaptic: input, bias, join: 0 };
                    let fired = update(&mut expected, inputs, &profile, &widths, Arithmetic::Hardware);
                    prop_assert_eq!(file.registers(i), expected, "compartment {}", i);
                    prop_assert_eq!(file.spiked[i], fired, "compartment {}", i);
                    prop_assert_eq!(file.active[i], was_active, "compartment {}", i);
                }
            }
        }
    }
}
