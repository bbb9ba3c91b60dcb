//! The partition of a network among threads: each thread owns one
//! contiguous chunk of every population — its state, parameters, ring
//! buffers, refractory counters and random streams — and, of every
//! projection, the part of each row that lands on its chunk.

use crate::instance::{Instance, PopulationInstance};
use neurc_backends::cpu::Real;
use neurc_backends::cpu::random::{Stream, stream};
use neurc_backends::cpu::schedule::Schedule;
use neurc_ir::{PerSynapse, SynapseTable};

/// Neurons `start..end` of a population of `size` owned by thread `t` of
/// `threads`: equal contiguous chunks in thread order, so concatenating the
/// threads' spike lists gives ascending neuron order.
pub fn chunk(size: u32, threads: usize, t: usize) -> (u32, u32) {
    let at = |k: usize| (u64::from(size) * k as u64 / threads as u64) as u32;
    (at(t), at(t + 1))
}

/// One thread's chunk of one population.
pub struct PopulationShard<R> {
    /// Population index of the chunk's first neuron.
    pub first: u32,
    /// Number of neurons.
    pub n: u32,
    /// State, variable-major.
    pub state: Vec<R>,
    /// Per-neuron parameters, parameter-major.
    pub params: Vec<R>,
    /// Synaptic rings, buffer × slot × neuron.
    pub ring: Vec<R>,
    /// Refractory counters (empty without a refractory rule).
    pub refractory: Vec<u32>,
    /// Random streams (empty if the program draws none).
    pub streams: Vec<Stream>,
    /// Spike schedule, for spike-time sources.
    pub schedule: Option<Schedule>,
}

/// Variable-major values `values` of a population of `size`, restricted
/// to neurons `start..end` and rounded to `R`.
fn slice_major<R: Real>(values: &[f64], size: u32, start: u32, end: u32) -> Vec<R> {
    let size = size as usize;
    if size == 0 {
        return Vec::new();
    }
    values
        .chunks_exact(size)
        .flat_map(|var| {
            var[start as usize..end as usize]
                .iter()
                .map(|&v| R::from_f64(v))
        })
        .collect()
}

impl<R: Real> PopulationShard<R> {
    /// Neurons `start..end` of `population`, in their initial state.
    pub fn new(population: &PopulationInstance, seed: u64, dt: f64, start: u32, end: u32) -> Self {
        let program = &population.program;
        let n = end - start;
        let node = population.node.0;
        PopulationShard {
            first: start,
            n,
            state: slice_major(&population.init, population.size, start, end),
            params: slice_major(&population.params, population.size, start, end),
            ring: vec![R::ZERO; program.take_up.len() * population.slots as usize * n as usize],
            refractory: if program.refractory.is_some() {
                vec![0; n as usize]
            } else {
                Vec::new()
            },
            streams: if program.uses_random() {
                (start..end).map(|i| stream(seed, node, i)).collect()
            } else {
                Vec::new()
            },
            schedule: population.schedule.as_ref().map(|times| {
                Schedule::new(
                    times[start as usize..end as usize]
                        .iter()
                        .map(Vec::as_slice),
                    dt,
                )
            }),
        }
    }
}

/// A projection's synapses as every thread reads them: where each thread's
/// part of each row starts and ends, and the weights in the run's precision.
pub struct ProjectionRows<R> {
    /// `threads + 1` boundaries per row: thread `t` delivers synapses
    /// `bounds[t][i]..bounds[t + 1][i]` of row `i`. The outer two are the
    /// table's own row offsets and are not copied.
    inner_bounds: Vec<Vec<u64>>,
    /// Per-synapse weights rounded to `R` (empty when constant).
    pub weights: Vec<R>,
}

impl<R: Real> ProjectionRows<R> {
    /// Splits every row of `table` (targets ascending within a row) at the
    /// chunk boundaries of a post population of `post_size` among `threads`.
    pub fn new(table: &SynapseTable, post_size: u32, threads: usize) -> Self {
        let rows = table.row_offsets.len().saturating_sub(1);
        let inner_bounds = (1..threads)
            .map(|t| {
                let boundary = chunk(post_size, threads, t).0;
                (0..rows)
                    .map(|i| {
                        let (a, b) = (table.row_offsets[i], table.row_offsets[i + 1]);
                        let row = &table.targets[a as usize..b as usize];
                        a + row.partition_point(|&x| x < boundary) as u64
                    })
                    .collect()
            })
            .collect();
        let weights = match &table.weights {
            PerSynapse::Constant(_) => Vec::new(),
            PerSynapse::Varying(w) => w.iter().map(|&x| R::from_f64(x)).collect(),
        };
        ProjectionRows {
            inner_bounds,
            weights,
        }
    }

    /// Thread `t`'s part of every row: `(begin, end)` per row.
    pub fn bounds<'a>(&'a self, table: &'a SynapseTable, t: usize) -> (&'a [u64], &'a [u64]) {
        let offsets = &table.row_offsets;
        let rows = offsets.len().saturating_sub(1);
        let threads = self.inner_bounds.len() + 1;
        let begin = if t == 0 {
            &offsets[..rows]
        } else {
            &self.inner_bounds[t - 1][..]
        };
        let end = if t + 1 == threads {
            &offsets[1..]
        } else {
            &self.inner_bounds[t][..]
        };
        (begin, end)
    }
}

/// Rows of every projection of `instance` for `threads` threads.
pub fn projection_rows<R: Real>(instance: &Instance, threads: usize) -> Vec<ProjectionRows<R>> {
    instance
        .projections
        .iter()
        .map(|p| ProjectionRows::new(&p.table, instance.populations[p.post].size, threads))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_cover_a_population_in_order() {
        for size in [0u32, 1, 7, 12_500] {
            for threads in 1..5 {
                let mut next = 0;
                for t in 0..threads {
                    let (start, end) = chunk(size, threads, t);
                    assert_eq!(start, next);
                    assert!(end >= start);
                    next = end;
                }
                assert_eq!(next, size);
            }
        }
    }

    #[test]
    fn rows_split_at_chunk_boundaries() {
        // Two rows onto a post population of 4, split between 2 threads
        // owning neurons 0..2 and 2..4.
        let table = SynapseTable {
            row_offsets: vec![0, 3, 5],
            targets: vec![0, 2, 3, 1, 1],
            weights: PerSynapse::Constant(1.0),
            delays: PerSynapse::Constant(1),
        };
        let rows = ProjectionRows::<f64>::new(&table, 4, 2);
        assert_eq!(rows.bounds(&table, 0), (&[0u64, 3][..], &[1u64, 5][..]));
        assert_eq!(rows.bounds(&table, 1), (&[1u64, 5][..], &[3u64, 5][..]));
    }
}
