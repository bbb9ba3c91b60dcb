//! Each neuron's own random stream, and the draws a model can make from it.
//!
//! A stream is xoshiro256++ (Blackman & Vigna 2021) seeded from the network
//! seed, the population's node index and the neuron's index, so a neuron
//! draws the same numbers whichever thread updates it. Every sampler is
//! written out here rather than taken from a distributions crate, so each
//! draw is specified by this file alone; compiled kernels call these same
//! functions or, for uniform draws and Poisson counts of a constant mean,
//! emit the same operations inline (`jit::draws`), which is why the
//! generator's state has a fixed layout.

mod lanes;

pub use lanes::{LaneRun, StreamLanes};

/// A neuron's random stream: xoshiro256++'s four words of state, laid out
/// as C lays out `uint64_t s[4]`, so compiled kernels can step it in place.
#[repr(C)]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stream {
    /// The state words `s[0..4]`.
    pub(crate) state: [u64; 4],
}

impl Stream {
    /// The stream whose state is the first four outputs of SplitMix64
    /// started at `key`, as the generator's authors recommend seeding it
    /// (and as `rand_xoshiro`'s `seed_from_u64` does).
    pub fn from_key(key: u64) -> Self {
        let state = std::array::from_fn(|i| {
            splitmix64(key.wrapping_add(SPLITMIX_STEP.wrapping_mul(i as u64)))
        });
        Stream { state }
    }

    /// The next 64 random bits.
    #[inline]
    pub fn next_u64(&mut self) -> u64 {
        let s = &mut self.state;
        let result = s[0].wrapping_add(s[3]).rotate_left(23).wrapping_add(s[0]);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        result
    }
}

/// Mixed into the key so neuron streams never coincide with the streams
/// other parts of neurc derive from the same seed (digits of e).
const NEURON_STREAM_TAG: u64 = 0xb7e1_5162_8aed_2a6b;

/// SplitMix64's increment of its state (the golden ratio in 64 bits).
const SPLITMIX_STEP: u64 = 0x9e37_79b9_7f4a_7c15;

/// SplitMix64's output for state `x` (Steele, Lea & Flood 2014): turns a
/// structured key into a well-mixed seed.
fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(SPLITMIX_STEP);
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
    Stream::from_key(key)
}

/// A uniform `f64` in `[0, 1)` from the top 53 bits of one draw.
#[inline]
pub fn uniform(stream: &mut Stream) -> f64 {
    const SCALE: f64 = 1.0 / (1u64 << 53) as f64;
    (stream.next_u64() >> 11) as f64 * SCALE
}

/// The uniform [`uniform`] makes of the draw `bits`, computed for vectors
/// of 64-bit lanes, which lack an integer conversion: the top 53 bits are
/// converted as their two halves, each exact in an `f64` through the
/// mantissa of 2^52, and summed, which is exact too.
#[inline(always)]
pub(crate) fn uniform_of(bits: u64) -> f64 {
    const SCALE: f64 = 1.0 / (1u64 << 53) as f64;
    const TWO_52: u64 = 0x4330_0000_0000_0000;
    let top = bits >> 11;
    let high = f64::from_bits((top >> 32) | TWO_52) - f64::from_bits(TWO_52);
    let low = f64::from_bits((top & 0xffff_ffff) | TWO_52) - f64::from_bits(TWO_52);
    (high * 4_294_967_296.0 + low) * SCALE
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
/// 1986, X.3.3): one uniform draw compared against the cumulative
/// probabilities `e^{-λ}·Σ λ^k/k!`, summed by the recurrence
/// `p_k = p_{k-1}·λ/k`, until the draw is below the sum or `p_k`
/// underflows. Larger means use Hörmann's PTRS transformed rejection
/// (1993), whose cost does not grow with the mean. A mean that is not a
/// positive finite number gives 0 (a NaN rate is reported by the
/// executor's state checks).
///
/// A source population draws with one mean millions of times, so the sums
/// of a mean met twice in a row are kept per thread ([`InversionTable`]):
/// the count is then found from a guide table without a division, and is
/// the same count the sequential search gives, since the table holds the
/// very sums it computes.
pub fn poisson(stream: &mut Stream, lambda: f64, exp_neg_lambda: f64) -> f64 {
    if lambda.is_nan() || lambda <= 0.0 || lambda.is_infinite() {
        return 0.0;
    }
    if lambda >= INVERSION_LIMIT {
        return ptrs(stream, lambda);
    }
    let u = uniform(stream);
    TABLES.with(|tables| {
        let mut tables = tables.borrow_mut();
        match tables.find(lambda, exp_neg_lambda) {
            Some(table) => table.count(u),
            None => inversion(u, lambda, exp_neg_lambda),
        }
    })
}

/// The Poisson draws of one constant mean, from a table built once: what a
/// source whose rate is fixed when its kernel is compiled draws with, so
/// that neither the mean's checks nor the per-thread cache cost anything
/// per draw. Each draw is the one [`poisson`] gives for the same stream.
#[derive(Clone, Debug)]
pub struct ConstantPoisson(InversionTable);

impl ConstantPoisson {
    /// The table of mean `lambda` (with `exp_neg_lambda = exp(-lambda)`),
    /// if [`poisson`] draws this mean by inversion: `0 < lambda < 10`.
    pub fn new(lambda: f64, exp_neg_lambda: f64) -> Option<Self> {
        (lambda > 0.0 && lambda < INVERSION_LIMIT)
            .then(|| ConstantPoisson(InversionTable::new(lambda, exp_neg_lambda)))
    }

    /// A count, from one uniform draw of `stream`.
    pub fn draw(&self, stream: &mut Stream) -> f64 {
        self.count_of(uniform(stream))
    }

    /// The count of the uniform draw `u`.
    #[inline]
    pub fn count_of(&self, u: f64) -> f64 {
        self.0.count(u)
    }

    /// Per guide slot, where the search starts.
    pub(crate) fn guide(&self) -> &[u16; GUIDE_SLOTS] {
        &self.0.guide
    }

    /// The cumulative sums, ending with +∞.
    pub(crate) fn cumulative(&self) -> &[f64] {
        &self.0.cumulative
    }
}

/// The sequential search of inversion for the draw `u`.
fn inversion(u: f64, lambda: f64, exp_neg_lambda: f64) -> f64 {
    let mut count = 0.0;
    let mut probability = exp_neg_lambda;
    let mut cumulative = probability;
    while u >= cumulative && probability > 0.0 {
        count += 1.0;
        probability *= lambda / count;
        cumulative += probability;
    }
    count
}

/// Slots of a guide table: the draw's first ten bits pick where the search
/// starts (Chen & Asau 1974). With this many, a slot holds a boundary
/// between two counts for only a few in a hundred draws.
pub(crate) const GUIDE_SLOTS: usize = 1024;

/// The cumulative sums of the sequential search for one mean below
/// [`INVERSION_LIMIT`].
#[derive(Clone, Debug)]
struct InversionTable {
    lambda: u64,
    exp_neg_lambda: u64,
    /// `cumulative[k]`: the sum the search compares with after `k` steps,
    /// up to the step `end` where it stops whatever the draw (its
    /// probability term is no longer positive, or the sum no longer
    /// finite), which holds +∞ instead.
    cumulative: Vec<f64>,
    /// Per slot `g`, the first `k` with `cumulative[k] > g / GUIDE_SLOTS`.
    guide: Box<[u16; GUIDE_SLOTS]>,
}

impl InversionTable {
    /// The table of `lambda < INVERSION_LIMIT`. Its length is bounded: the
    /// terms `p_k = p_{k-1}·λ/k` shrink by more than half per step once
    /// `k > 2λ`, so they underflow (or the sum overflows) within about a
    /// thousand steps whatever `exp_neg_lambda` is.
    fn new(lambda: f64, exp_neg_lambda: f64) -> Self {
        let mut cumulative = Vec::new();
        let mut probability = exp_neg_lambda;
        let mut sum = probability;
        let mut count = 0.0;
        // The search compares a draw with this sum and goes on only if the
        // draw is not below it and the term is positive.
        while probability > 0.0 && sum < f64::INFINITY {
            cumulative.push(sum);
            count += 1.0;
            probability *= lambda / count;
            sum += probability;
        }
        // The step where it stops: no draw goes past +∞.
        cumulative.push(f64::INFINITY);
        let mut guide = Box::new([0u16; GUIDE_SLOTS]);
        let mut k = 0;
        for (g, slot) in guide.iter_mut().enumerate() {
            let threshold = g as f64 / GUIDE_SLOTS as f64;
            while cumulative[k] <= threshold {
                k += 1;
            }
            *slot = u16::try_from(k).expect("tables of means below 10 are short");
        }
        InversionTable {
            lambda: lambda.to_bits(),
            exp_neg_lambda: exp_neg_lambda.to_bits(),
            cumulative,
            guide,
        }
    }

    /// The count for draw `u` in `[0, 1)`: the first `k` with
    /// `u < cumulative[k]`. Every sum before the guide's start is at most
    /// `u`, and the search ends at +∞ at the latest.
    #[inline]
    fn count(&self, u: f64) -> f64 {
        let slot = ((u * GUIDE_SLOTS as f64) as usize).min(GUIDE_SLOTS - 1);
        let mut k = usize::from(self.guide[slot]);
        while self.cumulative[k] <= u {
            k += 1;
        }
        k as f64
    }
}

/// A few tables per thread, for the means drawn most recently.
#[derive(Default)]
struct TableCache {
    tables: Vec<InversionTable>,
    /// The last mean not in a table: a table is built for a mean when it
    /// misses twice in a row, so neurons with a mean each never build one.
    last_miss: Option<(u64, u64)>,
    /// Which table to replace next.
    next: usize,
}

/// Tables kept per thread.
const CACHED_TABLES: usize = 4;

impl TableCache {
    fn find(&mut self, lambda: f64, exp_neg_lambda: f64) -> Option<&InversionTable> {
        let key = (lambda.to_bits(), exp_neg_lambda.to_bits());
        if let Some(i) = self
            .tables
            .iter()
            .position(|t| (t.lambda, t.exp_neg_lambda) == key)
        {
            return self.tables.get(i);
        }
        if self.last_miss != Some(key) {
            self.last_miss = Some(key);
            return None;
        }
        let table = InversionTable::new(lambda, exp_neg_lambda);
        let slot = if self.tables.len() < CACHED_TABLES {
            self.tables.push(table);
            self.tables.len() - 1
        } else {
            let slot = self.next;
            self.tables[slot] = table;
            self.next = (slot + 1) % CACHED_TABLES;
            slot
        };
        self.tables.get(slot)
    }
}

thread_local! {
    static TABLES: std::cell::RefCell<TableCache> = std::cell::RefCell::default();
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
    fn streams_are_xoshiro256_plus_plus_seeded_by_splitmix64() {
        use rand_core::{Rng, SeedableRng};
        for key in [0, 1, 0x0123_4567_89ab_cdef, u64::MAX] {
            let mut ours = Stream::from_key(key);
            let mut reference = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(key);
            for _ in 0..1000 {
                assert_eq!(ours.next_u64(), reference.next_u64(), "key {key}");
            }
        }
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
    fn the_vector_uniform_is_the_uniform() {
        let mut s = stream(8, 2, 1);
        let edges = [
            0,
            1 << 11,
            (1 << 43) - 1,
            1 << 43,
            (1 << 43) + (1 << 11),
            u64::MAX,
        ];
        let draws = (0..100_000).map(|_| s.next_u64());
        for bits in edges.into_iter().chain(draws) {
            let expected = (bits >> 11) as f64 / (1u64 << 53) as f64;
            assert_eq!(uniform_of(bits).to_bits(), expected.to_bits(), "{bits:#x}");
        }
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
    fn a_constant_mean_draws_what_poisson_draws() {
        for lambda in [1e-9, 0.05, 2.0, 9.999] {
            let table = ConstantPoisson::new(lambda, (-lambda).exp()).expect("inverted");
            let (mut a, mut b) = (stream(9, 1, 2), stream(9, 1, 2));
            for _ in 0..100_000 {
                assert_eq!(
                    table.draw(&mut a),
                    poisson(&mut b, lambda, (-lambda).exp()),
                    "{lambda}"
                );
            }
        }
        for lambda in [0.0, -1.0, 10.0, f64::NAN, f64::INFINITY] {
            assert!(ConstantPoisson::new(lambda, (-lambda).exp()).is_none());
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
    fn tables_give_the_counts_of_the_sequential_search() {
        for lambda in [1e-6, 0.02, 0.5, 2.0, 7.3, 9.99] {
            let e = f64::exp(-lambda);
            let table = InversionTable::new(lambda, e);
            let mut s = stream(4, 0, 0);
            for _ in 0..100_000 {
                let u = uniform(&mut s);
                assert_eq!(table.count(u), inversion(u, lambda, e), "{lambda}, {u}");
            }
            for u in [0.0, e, 0.5, 1.0 - f64::EPSILON] {
                assert_eq!(table.count(u), inversion(u, lambda, e), "{lambda}, {u}");
            }
        }
        // Sums that are not those of a distribution stop where the search
        // stops: at once for a NaN or infinite first term, on overflow for
        // a huge one, on underflow for a tiny one.
        for (lambda, e) in [
            (2.0, f64::NAN),
            (2.0, f64::INFINITY),
            (5.0, 1e307),
            (9.0, 1e-320),
            (3.0, 0.0),
        ] {
            let table = InversionTable::new(lambda, e);
            let mut s = stream(4, 1, 0);
            for _ in 0..10_000 {
                let u = uniform(&mut s);
                assert_eq!(
                    table.count(u),
                    inversion(u, lambda, e),
                    "{lambda}, {e}, {u}"
                );
            }
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
