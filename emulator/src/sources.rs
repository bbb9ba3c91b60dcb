//! Host spike sources: the populations the chip's embedded processors drive
//! into the mesh. Each neuron draws from the same stream, in the same
//! order, as the CPU target's neuron of that population, so a source
//! spikes identically on both targets.

use crate::chip::{Axons, Destination};
use neurc_backends::cpu::random::{self, ConstantPoisson, LaneRun, StreamLanes};
use neurc_ir::chip::{InputSource, SourceKind};
use rayon::prelude::*;

/// Neurons one thread draws for at a time.
const POISSON_RUN: usize = 4096;

/// Uniforms drawn at a time by the lanes of a source that shares one mean.
const UNIFORM_BLOCK: usize = 256;

/// Every lane's count of `table`'s mean: the lanes draw their uniforms a
/// block at a time, on vectors, and each is looked up in the table.
fn draw_shared(table: &ConstantPoisson, lanes: &mut LaneRun<'_>, counts: &mut [u32]) {
    let mut uniforms = [0.0; UNIFORM_BLOCK];
    for (block, counts) in counts.chunks_mut(UNIFORM_BLOCK).enumerate() {
        let uniforms = &mut uniforms[..counts.len()];
        lanes.uniforms(block * UNIFORM_BLOCK, uniforms);
        for (count, &u) in counts.iter_mut().zip(uniforms.iter()) {
            *count = table.count_of(u) as u32;
        }
    }
}

/// What makes a source's neurons spike.
#[derive(Clone, Debug)]
enum Drive {
    /// A Poisson count per neuron per step.
    Poisson {
        /// Mean count per step, per neuron.
        means: Vec<f64>,
        /// `exp(−mean)`, per neuron.
        exp_neg_means: Vec<f64>,
        /// The table of the one mean all neurons share, when they share
        /// one that is drawn by inversion: the draws are the same, without
        /// a look-up of the mean's table per draw.
        shared: Option<ConstantPoisson>,
    },
    /// Spikes on listed steps: one list for every neuron, or one each.
    Steps(Vec<Vec<u64>>),
}

/// One host source.
#[derive(Clone, Debug)]
pub(crate) struct Source {
    /// The population's node index (keys its streams).
    node: u32,
    size: u32,
    drive: Drive,
    /// Per neuron, its destinations: `destinations[offsets[i]..offsets[i + 1]]`.
    offsets: Vec<u32>,
    destinations: Vec<Destination>,
}

impl Source {
    /// The source `input`, sending to the destinations of `axons`.
    pub(crate) fn new(input: &InputSource, axons: &Axons) -> Source {
        let drive = match &input.kind {
            SourceKind::Poisson { mean_per_step } => {
                let exp_neg_means: Vec<f64> = mean_per_step.iter().map(|m| (-m).exp()).collect();
                let shared = match mean_per_step.split_first() {
                    Some((&first, rest)) if rest.iter().all(|m| m.to_bits() == first.to_bits()) => {
                        ConstantPoisson::new(first, exp_neg_means[0])
                    }
                    _ => None,
                };
                Drive::Poisson {
                    means: mean_per_step.clone(),
                    exp_neg_means,
                    shared,
                }
            }
            SourceKind::Steps { steps } => Drive::Steps(steps.clone()),
        };
        let (offsets, destinations) = axons.group_by_source(
            input.size as usize,
            input
                .output_axons
                .iter()
                .map(|a| (a.source, a.core, a.axon)),
        );
        Source {
            node: input.node.0,
            size: input.size,
            drive,
            offsets,
            destinations,
        }
    }

    /// Its neurons' streams at the start of a run (none if it draws no
    /// random numbers).
    pub(crate) fn streams(&self, seed: u64) -> StreamLanes {
        match self.drive {
            Drive::Poisson { .. } => {
                StreamLanes::new((0..self.size).map(|i| random::stream(seed, self.node, i)))
            }
            Drive::Steps(_) => StreamLanes::default(),
        }
    }

    /// The number of spikes each neuron sends on `step`, into `counts`
    /// (one entry per neuron), advancing the streams; Poisson draws are
    /// shared out over `pool`'s threads in fixed runs of neurons, each
    /// neuron drawing from its own stream.
    pub(crate) fn draw(
        &self,
        step: u64,
        streams: &mut StreamLanes,
        counts: &mut Vec<u32>,
        pool: Option<&rayon::ThreadPool>,
    ) {
        counts.clear();
        counts.resize(self.size as usize, 0);
        match &self.drive {
            Drive::Poisson {
                means,
                exp_neg_means,
                shared,
            } => {
                let draw =
                    |(run, (mut lanes, counts)): (usize, (LaneRun<'_>, &mut [u32]))| match shared {
                        Some(table) => draw_shared(table, &mut lanes, counts),
                        None => {
                            let first = run * POISSON_RUN;
                            for (i, count) in counts.iter_mut().enumerate() {
                                let (mean, exp_neg_mean) =
                                    (means[first + i], exp_neg_means[first + i]);
                                *count = lanes
                                    .with_stream(i, |s| random::poisson(s, mean, exp_neg_mean))
                                    as u32;
                            }
                        }
                    };
                let runs = streams.runs_mut(POISSON_RUN);
                match pool {
                    Some(pool) if self.size as usize > POISSON_RUN => pool.install(|| {
                        runs.collect::<Vec<_>>()
                            .into_par_iter()
                            .zip(counts.par_chunks_mut(POISSON_RUN))
                            .enumerate()
                            .for_each(draw)
                    }),
                    _ => runs
                        .zip(counts.chunks_mut(POISSON_RUN))
                        .enumerate()
                        .for_each(draw),
                }
            }
            Drive::Steps(lists) => {
                let on = |list: &Vec<u64>| u32::from(list.binary_search(&step).is_ok());
                if let [shared] = lists.as_slice() {
                    counts.fill(on(shared));
                } else {
                    for (count, list) in counts.iter_mut().zip(lists) {
                        *count = on(list);
                    }
                }
            }
        }
    }

    /// The destinations of neuron `neuron`'s spikes.
    #[inline]
    pub(crate) fn destinations(&self, neuron: usize) -> &[Destination] {
        let (start, end) = (self.offsets[neuron], self.offsets[neuron + 1]);
        &self.destinations[start as usize..end as usize]
    }

    /// Its neurons.
    pub(crate) fn size(&self) -> u32 {
        self.size
    }

    /// Destinations of all its neurons.
    pub(crate) fn destination_count(&self) -> usize {
        self.destinations.len()
    }
}
