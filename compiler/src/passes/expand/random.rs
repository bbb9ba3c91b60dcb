//! Seeded random streams and the few samplers the expansion needs, written
//! here rather than taken from `rand_distr` so that every draw is specified
//! by this file alone and stays bit-identical across crate upgrades.

use rand_core::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

/// What a stream is used for. Each purpose has its own tag so that, say,
/// the weights of a projection never reuse the numbers that chose its
/// synapses.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Domain {
    /// Which synapses exist.
    Rule,
    /// Per-synapse weights.
    Weight,
    /// Per-synapse delays.
    Delay,
    /// Neuron positions of a `RandomBox` layout.
    Positions,
    /// Pairs sampled to estimate the size of a distance rule.
    Estimate,
    /// Per-neuron parameter values and initial states.
    NeuronValues,
}

impl Domain {
    /// An arbitrary odd constant per domain (digits of π), mixed into the key.
    fn tag(self) -> u64 {
        match self {
            Domain::Rule => 0x243f_6a88_85a3_08d3,
            Domain::Weight => 0x1319_8a2e_0370_7345,
            Domain::Delay => 0xa409_3822_299f_31d1,
            Domain::Positions => 0x082e_fa98_ec4e_6c89,
            Domain::Estimate => 0x4528_21e6_38d0_1377,
            Domain::NeuronValues => 0xbe54_66cf_34e9_0c6d,
        }
    }
}

/// SplitMix64's output function (Steele, Lea & Flood 2014): a bijection of
/// `u64` with good avalanche, used to turn structured keys into seeds.
pub(super) fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// One random stream: xoshiro256++ seeded from `(seed, domain, owner,
/// block)`, plus the spare value of the normal sampler.
pub(super) struct Stream {
    rng: Xoshiro256PlusPlus,
    spare_normal: Option<f64>,
}

impl Stream {
    /// The stream of block `block` of `owner` (a projection or node id) for
    /// `domain` under the network seed. The key is
    /// `splitmix64(splitmix64(splitmix64(seed ^ tag) ^ owner) ^ block)`,
    /// expanded into the 256-bit xoshiro state by SplitMix64
    /// (`seed_from_u64`).
    pub(super) fn new(seed: u64, domain: Domain, owner: u64, block: u64) -> Self {
        let key = splitmix64(splitmix64(splitmix64(seed ^ domain.tag()) ^ owner) ^ block);
        Stream {
            rng: Xoshiro256PlusPlus::seed_from_u64(key),
            spare_normal: None,
        }
    }

    /// The next 64 random bits.
    #[inline]
    pub(super) fn next_u64(&mut self) -> u64 {
        self.rng.next_u64()
    }

    /// A uniform integer in `[0, n)`, `n > 0`, by Lemire's nearly
    /// divisionless method (ACM TOMACS 2019): one multiplication per draw,
    /// a division only on the rare draws near a rejection boundary.
    #[inline]
    pub(super) fn below(&mut self, n: u64) -> u64 {
        debug_assert!(n > 0, "empty range");
        let mut product = u128::from(self.next_u64()) * u128::from(n);
        let mut low = product as u64;
        if low < n {
            let threshold = n.wrapping_neg() % n;
            while low < threshold {
                product = u128::from(self.next_u64()) * u128::from(n);
                low = product as u64;
            }
        }
        (product >> 64) as u64
    }

    /// A uniform `f64` in `[0, 1)` from the top 53 bits of one draw.
    #[inline]
    pub(super) fn unit(&mut self) -> f64 {
        const SCALE: f64 = 1.0 / (1u64 << 53) as f64;
        (self.next_u64() >> 11) as f64 * SCALE
    }

    /// A standard normal draw by Marsaglia's polar method. It yields two
    /// values per accepted pair; the second is kept for the next call, so
    /// the sequence depends only on the stream.
    pub(super) fn normal(&mut self) -> f64 {
        if let Some(spare) = self.spare_normal.take() {
            return spare;
        }
        loop {
            let u = 2.0 * self.unit() - 1.0;
            let v = 2.0 * self.unit() - 1.0;
            let s = u * u + v * v;
            if s > 0.0 && s < 1.0 {
                let factor = (-2.0 * s.ln() / s).sqrt();
                self.spare_normal = Some(v * factor);
                return u * factor;
            }
        }
    }

    /// The number of failures before the next success of a Bernoulli(p)
    /// sequence, `floor(ln U / ln(1 - p))` with `U` uniform in `(0, 1]`,
    /// given `ln_q = ln(1 - p)` (negative, or `-inf` for `p = 1`, which
    /// gives 0). Saturates at `u64::MAX` for tiny `p`.
    #[inline]
    pub(super) fn geometric(&mut self, ln_q: f64) -> u64 {
        let u = 1.0 - self.unit();
        // `as` saturates, and -0.0 (from p = 1) becomes 0.
        (u.ln() / ln_q).floor() as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_differ_by_every_key_part() {
        let first = |s: u64, d: Domain, o: u64, b: u64| Stream::new(s, d, o, b).next_u64();
        let base = first(1, Domain::Rule, 2, 3);
        assert_eq!(base, first(1, Domain::Rule, 2, 3));
        assert_ne!(base, first(2, Domain::Rule, 2, 3));
        assert_ne!(base, first(1, Domain::Weight, 2, 3));
        assert_ne!(base, first(1, Domain::Rule, 3, 3));
        assert_ne!(base, first(1, Domain::Rule, 2, 4));
    }

    #[test]
    fn below_stays_in_range_and_covers_it() {
        let mut stream = Stream::new(7, Domain::Rule, 0, 0);
        let mut seen = [0u32; 7];
        for _ in 0..7000 {
            seen[stream.below(7) as usize] += 1;
        }
        assert!(seen.iter().all(|&c| (800..1200).contains(&c)), "{seen:?}");
        assert_eq!(stream.below(1), 0);
    }

    #[test]
    fn geometric_edges() {
        let mut stream = Stream::new(7, Domain::Rule, 0, 0);
        assert_eq!(stream.geometric(f64::NEG_INFINITY), 0);
        let n = 100_000;
        let p: f64 = 0.2;
        let total: u64 = (0..n).map(|_| stream.geometric((-p).ln_1p())).sum();
        let mean = total as f64 / n as f64;
        // Mean of failures before success: (1 - p) / p = 4.
        assert!((mean - 4.0).abs() < 0.1, "{mean}");
    }

    #[test]
    fn normal_moments() {
        let mut stream = Stream::new(3, Domain::Weight, 1, 0);
        let n = 100_000;
        let draws: Vec<f64> = (0..n).map(|_| stream.normal()).collect();
        let mean = draws.iter().sum::<f64>() / n as f64;
        let var = draws.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n as f64;
        assert!(mean.abs() < 0.02, "{mean}");
        assert!((var - 1.0).abs() < 0.02, "{var}");
    }
}
