//! Each neuron's own random stream, and the draws a model can make from it.
//!
//! A stream is xoshiro256++ (Blackman & Vigna 2021) seeded from the network
//! seed, the population's node index and the neuron's index, so a neuron
//! draws the same numbers whichever thread updates it. Every sampler is
//! written out here rather than taken from a distributions crate, so each
//! draw is specified by this file alone; the JIT calls these same functions.

use rand_core::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

/// A neuron's random stream.
pub type Stream = Xoshiro256PlusPlus;

/// Mixed into the key so neuron streams never coincide with the streams
/// other parts of neurc derive from the same seed (digits of e).
const NEURON_STREAM_TAG: u64 = 0xb7e1_5162_8aed_2a6b;

/// SplitMix64's output function (Steele, Lea & Flood 2014): turns a
/// structured key into a well-mixed seed.
fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The stream of neuron `neuron` of the population with node index `node`:
/// xoshiro256++ seeded (by SplitMix64) with
/// `splitmix64(splitmix64(splitmix64(seed ^ tag) ^ node) ^ neuron)`.
pub fn stream(seed: u64, node: u32, neuron: u32) -> Stream {
    let key = splitmix64(
        splitmix64(splitmix64(seed ^ NEURON_STREAM_TAG) ^ u64::from(node)) ^ u64::from(neuron),
    );
    Xoshiro256PlusPlus::seed_from_u64(key)
}

/// A uniform `f64` in `[0, 1)` from the top 53 bits of one draw.
#[inline]
pub fn uniform(stream: &mut Stream) -> f64 {
    const SCALE: f64 = 1.0 / (1u64 << 53) as f64;
    (stream.next_u64() >> 11) as f64 * SCALE
}

/// A uniform `f32` in `[0, 1)` from the top 24 bits of one draw.
#[inline]
pub fn uniform_f32(stream: &mut Stream) -> f32 {
    const SCALE: f32 = 1.0 / (1u32 << 24) as f32;
    (stream.next_u64() >> 40) as f32 * SCALE
}

/// A standard normal draw by Marsaglia's polar method; of the two values an
/// accepted pair yields only the first is used, so a neuron's stream is all
/// of its random state.
pub fn normal(stream: &mut Stream) -> f64 {
    loop {
        let u = 2.0 * uniform(stream) - 1.0;
        let v = 2.0 * uniform(stream) - 1.0;
        let s = u * u + v * v;
        if s > 0.0 && s < 1.0 {
            return u * (-2.0 * s.ln() / s).sqrt();
        }
    }
}

/// Above this mean, Poisson counts are drawn by transformed rejection
/// instead of inversion, whose cost grows with the mean.
const INVERSION_LIMIT: f64 = 10.0;

/// A Poisson-distributed count with mean `lambda`, given `exp_neg_lambda =
/// exp(-lambda)`. Small means use inversion by sequential search (Devroye
/// 1986, X.3.3): one uniform draw and about `lambda + 1` comparisons. Larger
/// means use Hörmann's PTRS transformed rejection (1993), whose cost does
/// not grow with the mean. A mean that is not a positive finite number
/// gives 0 (a NaN rate is reported by the executor's state checks).
pub fn poisson(stream: &mut Stream, lambda: f64, exp_neg_lambda: f64) -> f64 {
    if lambda.is_nan() || lambda <= 0.0 || lambda.is_infinite() {
        return 0.0;
    }
    if lambda < INVERSION_LIMIT {
        let u = uniform(stream);
        let mut count = 0.0;
        let mut probability = exp_neg_lambda;
        let mut cumulative = probability;
        // The cumulative sum can stall below 1 by rounding: stop where the
        // remaining mass is below one part in 2^53.
        while u >= cumulative && probability > 0.0 {
            count += 1.0;
            probability *= lambda / count;
            cumulative += probability;
        }
        return count;
    }
    ptrs(stream, lambda)
}

/// Hörmann's PTRS sampler for `lambda ≥ 10`.
fn ptrs(stream: &mut Stream, lambda: f64) -> f64 {
    let slam = lambda.sqrt();
    let loglam = lambda.ln();
    let b = 0.931 + 2.53 * slam;
    let a = -0.059 + 0.02483 * b;
    let inv_alpha = 1.1239 + 1.1328 / (b - 3.4);
    let vr = 0.9277 - 3.6224 / (b - 2.0);
    loop {
        let u = uniform(stream) - 0.5;
        let v = uniform(stream);
        let us = 0.5 - u.abs();
        let k = ((2.0 * a / us + b) * u + lambda + 0.43).floor();
        if us >= 0.07 && v <= vr {
            return k;
        }
        if k < 0.0 || (us < 0.013 && v > us) {
            continue;
        }
        let accept = (v * inv_alpha / (a / (us * us) + b)).ln();
        if accept <= -lambda + k * loglam - ln_factorial(k) {
            return k;
        }
    }
}

/// `ln k!`: exact sums below 10, Stirling's series above.
fn ln_factorial(k: f64) -> f64 {
    if k < 10.0 {
        let mut sum = 0.0;
        let mut i = 2.0;
        while i <= k {
            sum += f64::ln(i);
            i += 1.0;
        }
        return sum;
    }
    let inv = 1.0 / k;
    (k + 0.5) * k.ln() - k
        + 0.5 * (2.0 * std::f64::consts::PI).ln()
        + inv * (1.0 / 12.0 - inv * inv * (1.0 / 360.0 - inv * inv / 1260.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mean_and_variance(draws: &[f64]) -> (f64, f64) {
        let n = draws.len() as f64;
        let mean = draws.iter().sum::<f64>() / n;
        let var = draws.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n;
        (mean, var)
    }

    #[test]
    fn streams_differ_by_every_key_part() {
        let first = |s, p, n| stream(s, p, n).next_u64();
        let base = first(1, 2, 3);
        assert_eq!(base, first(1, 2, 3));
        assert_ne!(base, first(2, 2, 3));
        assert_ne!(base, first(1, 3, 3));
        assert_ne!(base, first(1, 2, 4));
    }

    #[test]
    fn uniforms_stay_in_the_unit_interval() {
        let mut s = stream(5, 0, 0);
        for _ in 0..10_000 {
            let (a, b) = (uniform(&mut s), uniform_f32(&mut s));
            assert!((0.0..1.0).contains(&a) && (0.0..1.0).contains(&b));
        }
    }

    #[test]
    fn normal_has_unit_moments() {
        let mut s = stream(3, 1, 0);
        let draws: Vec<f64> = (0..100_000).map(|_| normal(&mut s)).collect();
        let (mean, var) = mean_and_variance(&draws);
        assert!(mean.abs() < 0.02, "{mean}");
        assert!((var - 1.0).abs() < 0.02, "{var}");
    }

    #[test]
    fn poisson_mean_equals_variance_equals_lambda() {
        // Both samplers: inversion (0.3, 2) and PTRS (25, 400).
        for lambda in [0.3, 2.0, 25.0, 400.0] {
            let mut s = stream(11, 0, 0);
            let draws: Vec<f64> = (0..200_000)
                .map(|_| poisson(&mut s, lambda, f64::exp(-lambda)))
                .collect();
            let (mean, var) = mean_and_variance(&draws);
            // Standard error of the mean: sqrt(lambda / n).
            let tolerance = 5.0 * (lambda / 200_000.0).sqrt();
            assert!((mean - lambda).abs() < tolerance, "{lambda}: mean {mean}");
            assert!((var / lambda - 1.0).abs() < 0.03, "{lambda}: var {var}");
            assert!(draws.iter().all(|k| k.fract() == 0.0 && *k >= 0.0));
        }
    }

    #[test]
    fn poisson_probabilities_match_the_mass_function() {
        let lambda: f64 = 2.0;
        let mut s = stream(12, 0, 0);
        let n = 400_000;
        let mut histogram = [0u32; 8];
        for _ in 0..n {
            let k = poisson(&mut s, lambda, (-lambda).exp()) as usize;
            if k < histogram.len() {
                histogram[k] += 1;
            }
        }
        let mut pmf = (-lambda).exp();
        for (k, &observed) in histogram.iter().enumerate() {
            if k > 0 {
                pmf *= lambda / k as f64;
            }
            let expected = pmf * n as f64;
            assert!(
                (observed as f64 - expected).abs() < 5.0 * expected.sqrt() + 5.0,
                "k = {k}: {observed} vs {expected}"
            );
        }
    }

    #[test]
    fn degenerate_means_give_no_spikes() {
        let mut s = stream(1, 0, 0);
        for lambda in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            assert_eq!(poisson(&mut s, lambda, (-lambda).exp()), 0.0);
        }
    }
}
