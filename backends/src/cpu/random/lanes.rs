//! Many neurons' streams side by side, an array per state word: a draw of
//! every neuron then runs along the arrays on vectors, where one
//! [`Stream`] at a time is a chain of dependent loads and stores. Lane `i`
//! draws exactly what its [`Stream`] would, so a source drawn this way
//! spikes as the same source drawn neuron by neuron.

use super::{Stream, uniform_of};

/// The streams of a population's neurons, lane by lane.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StreamLanes {
    /// The state words `s[0..4]` of every lane.
    words: [Vec<u64>; 4],
}

impl StreamLanes {
    /// The lanes of `streams`, in order.
    pub fn new(streams: impl IntoIterator<Item = Stream>) -> StreamLanes {
        let mut lanes = StreamLanes::default();
        for stream in streams {
            for (word, value) in lanes.words.iter_mut().zip(stream.state) {
                word.push(value);
            }
        }
        lanes
    }

    /// The lanes in runs of `run` (the last one shorter), each to be drawn
    /// on by a thread of its own.
    pub fn runs_mut(&mut self, run: usize) -> impl Iterator<Item = LaneRun<'_>> {
        let [a, b, c, d] = &mut self.words;
        a.chunks_mut(run)
            .zip(b.chunks_mut(run))
            .zip(c.chunks_mut(run))
            .zip(d.chunks_mut(run))
            .map(|(((a, b), c), d)| LaneRun {
                words: [a, b, c, d],
            })
    }
}

/// A run of lanes of [`StreamLanes`].
pub struct LaneRun<'a> {
    words: [&'a mut [u64]; 4],
}

impl LaneRun<'_> {
    /// Lanes `start..start + out.len()` each draw one [`uniform`](super::uniform)
    /// into `out`.
    pub fn uniforms(&mut self, start: usize, out: &mut [f64]) {
        let [a, b, c, d] = &mut self.words;
        let end = start + out.len();
        let words = [
            &mut a[start..end],
            &mut b[start..end],
            &mut c[start..end],
            &mut d[start..end],
        ];
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            #[allow(unsafe_code)]
            // SAFETY: the function needs AVX2, which the machine was just
            // found to have.
            return unsafe { uniforms_avx2(words, out) };
        }
        uniforms_portable(words, out)
    }

    /// Lane `i` as a [`Stream`] for `draw`, which may draw from it in any
    /// way; the lane then holds the stream's new state.
    pub fn with_stream<R>(&mut self, i: usize, draw: impl FnOnce(&mut Stream) -> R) -> R {
        let mut stream = Stream {
            state: std::array::from_fn(|w| self.words[w][i]),
        };
        let drawn = draw(&mut stream);
        for (word, value) in self.words.iter_mut().zip(stream.state) {
            word[i] = value;
        }
        drawn
    }
}

/// [`uniforms_portable`] compiled for AVX2: four lanes at a time.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn uniforms_avx2(words: [&mut [u64]; 4], out: &mut [f64]) {
    uniforms_portable(words, out)
}

/// Every lane's xoshiro256++ step ([`Stream::next_u64`], word for word)
/// and its uniform.
#[inline(always)]
fn uniforms_portable(words: [&mut [u64]; 4], out: &mut [f64]) {
    let n = out.len();
    let [s0, s1, s2, s3] = words;
    let (s0, s1, s2, s3) = (&mut s0[..n], &mut s1[..n], &mut s2[..n], &mut s3[..n]);
    for i in 0..n {
        let (mut a, mut b, mut c, mut d) = (s0[i], s1[i], s2[i], s3[i]);
        let result = a.wrapping_add(d).rotate_left(23).wrapping_add(a);
        let t = b << 17;
        c ^= a;
        d ^= b;
        b ^= c;
        a ^= d;
        c ^= t;
        d = d.rotate_left(45);
        (s0[i], s1[i], s2[i], s3[i]) = (a, b, c, d);
        out[i] = uniform_of(result);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cpu::random::{poisson, stream, uniform};

    fn streams(n: u32) -> Vec<Stream> {
        (0..n).map(|i| stream(42, 3, i)).collect()
    }

    #[test]
    fn every_lane_draws_what_its_stream_draws() {
        let mut alone = streams(1000);
        let mut lanes = StreamLanes::new(alone.clone());
        let mut drawn = vec![0.0; 1000];
        for step in 0..50 {
            // Runs of unequal length, drawn from an offset, so that every
            // lane of a vector and the scalar remainder are exercised.
            for (out, mut run) in drawn.chunks_mut(384).zip(lanes.runs_mut(384)) {
                let split = (step * 7) % out.len();
                let (front, back) = out.split_at_mut(split);
                run.uniforms(0, front);
                run.uniforms(split, back);
            }
            for (i, stream) in alone.iter_mut().enumerate() {
                assert_eq!(
                    drawn[i].to_bits(),
                    uniform(stream).to_bits(),
                    "step {step}, lane {i}"
                );
            }
        }
    }

    #[test]
    fn a_lane_lent_as_a_stream_continues_where_it_was() {
        let mut alone = streams(9);
        let mut lanes = StreamLanes::new(alone.clone());
        let mut run = lanes.runs_mut(9).next().expect("one run");
        let mut out = [0.0; 9];
        for step in 0..20 {
            let lent = run.with_stream(4, |s| poisson(s, 2.5, (-2.5f64).exp()));
            assert_eq!(
                lent,
                poisson(&mut alone[4], 2.5, (-2.5f64).exp()),
                "step {step}"
            );
            run.uniforms(0, &mut out);
            for (i, stream) in alone.iter_mut().enumerate() {
                assert_eq!(out[i], uniform(stream), "step {step}, lane {i}");
            }
        }
    }
}
