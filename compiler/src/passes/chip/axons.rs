//! Where each neuron's spikes go once populations are cut into slices:
//! output axons per slice (one per presynaptic neuron, projection and
//! destination core) and the expected traffic between slices that placement
//! minimises.

use super::map::ChipPopulation;
use super::place::Traffic;
use neurc_ir::chip::ChipSpec;
use neurc_ir::{Connectivity, Network, NodeId, SynapseTable};
use std::collections::BTreeMap;

/// Which slice holds each neuron of each chip population.
pub struct SliceIndex {
    chip_of: BTreeMap<NodeId, usize>,
    first_slice: Vec<usize>,
    slice_of: Vec<Vec<u32>>,
    starts: Vec<u32>,
}

impl SliceIndex {
    /// Indexes the slices of every chip population, numbered population by
    /// population.
    pub(super) fn new(chips: &[ChipPopulation]) -> SliceIndex {
        let mut first_slice = Vec::with_capacity(chips.len());
        let mut slice_of = Vec::with_capacity(chips.len());
        let mut starts = Vec::new();
        for chip in chips {
            first_slice.push(starts.len());
            let mut of = vec![0u32; chip.population.size as usize];
            for slice in &chip.slices {
                let id = starts.len() as u32;
                starts.push(slice.neurons.start);
                of[slice.neurons.start as usize..slice.neurons.end as usize].fill(id);
            }
            slice_of.push(of);
        }
        SliceIndex {
            chip_of: chips.iter().enumerate().map(|(k, c)| (c.node, k)).collect(),
            first_slice,
            slice_of,
            starts,
        }
    }

    /// The chip population of a node, if it is one.
    pub fn chip_of(&self, node: NodeId) -> Option<usize> {
        self.chip_of.get(&node).copied()
    }

    /// The global number of slice `j` of chip population `k`.
    pub fn slice_id(&self, k: usize, j: usize) -> usize {
        self.first_slice[k] + j
    }

    /// Slices of every population.
    pub fn slice_count(&self) -> usize {
        self.starts.len()
    }

    /// The slice holding neuron `neuron` of chip population `k`, and the
    /// neuron's index within it.
    pub fn locate(&self, k: usize, neuron: u32) -> (usize, u32) {
        let slice = self.slice_of[k][neuron as usize] as usize;
        (slice, neuron - self.starts[slice])
    }
}

/// A population with a slice over the output-axon limit.
#[derive(Clone, Copy, Debug)]
pub(super) struct Overflow {
    /// Neurons of its smallest overflowing slice.
    pub smallest: u32,
    /// Neurons per core to try next.
    pub cap: u32,
}

/// The projections between chip populations, by presynaptic population.
pub(super) struct OutgoingWalk<'a> {
    /// Per chip population: (post chip population, pre range start, table).
    outgoing: Vec<Vec<(usize, u32, &'a SynapseTable)>>,
    index: &'a SliceIndex,
}

impl<'a> OutgoingWalk<'a> {
    pub(super) fn new(
        network: &'a Network,
        connectivity: &'a Connectivity,
        chips: &[ChipPopulation],
        index: &'a SliceIndex,
    ) -> OutgoingWalk<'a> {
        let mut outgoing = vec![Vec::new(); chips.len()];
        for (id, pre, post, projection) in network.projections() {
            if let (Some(a), Some(b), Some(table)) = (
                index.chip_of(pre),
                index.chip_of(post),
                connectivity.tables.get(&id),
            ) {
                outgoing[a].push((b, projection.pre.start, table));
            }
        }
        OutgoingWalk { outgoing, index }
    }

    /// Calls `visit(source slice, destination slice)` once per output axon
    /// of the neurons of slice `j` of population `k`.
    fn destinations(&self, k: usize, range: (u32, u32), visit: &mut dyn FnMut(usize)) {
        for &(post, pre_start, table) in &self.outgoing[k] {
            for neuron in range.0..range.1 {
                let Some(row) = neuron
                    .checked_sub(pre_start)
                    .and_then(|i| table.row_offsets.get(i as usize..i as usize + 2))
                else {
                    continue;
                };
                let mut last = usize::MAX;
                for &target in &table.targets[row[0] as usize..row[1] as usize] {
                    let (slice, _) = self.index.locate(post, target);
                    if slice != last {
                        visit(slice);
                        last = slice;
                    }
                }
            }
        }
    }

    /// Fills every slice's output-axon count; returns the populations with
    /// a slice over the limit, each with the neuron count of its smallest
    /// such slice and the neurons per core that would bring it within the
    /// limit if its axons scaled with its neurons (always fewer).
    pub(super) fn count_output_axons(
        &self,
        chips: &mut [ChipPopulation],
        spec: &ChipSpec,
    ) -> Vec<(usize, Overflow)> {
        let limit = u64::from(spec.core.output_axons);
        let mut overflowing = Vec::new();
        for (k, chip) in chips.iter_mut().enumerate() {
            let mut overflow: Option<Overflow> = None;
            for slice in &mut chip.slices {
                let neurons = slice.neurons;
                let mut count = 0u64;
                self.destinations(k, (neurons.start, neurons.end), &mut |_| count += 1);
                slice.usage.output_axons = count;
                if count > limit {
                    let n = neurons.len();
                    let fitting = (u64::from(n) * limit / count).min(u64::from(n) - 1) as u32;
                    let o = overflow.get_or_insert(Overflow {
                        smallest: n,
                        cap: fitting,
                    });
                    o.smallest = o.smallest.min(n);
                    o.cap = o.cap.min(fitting);
                }
            }
            if let Some(o) = overflow {
                overflowing.push((k, o));
            }
        }
        overflowing
    }

    /// Expected messages per step between slices, when every neuron sends
    /// `spikes_per_step` spikes per step down each output axon.
    pub(super) fn traffic(&self, chips: &[ChipPopulation], spikes_per_step: f64) -> Traffic {
        let slices = self.index.slice_count();
        let mut offsets = vec![0u64];
        let mut targets = Vec::new();
        let mut rates = Vec::new();
        let mut accumulated = vec![0f32; slices];
        let mut touched = Vec::new();
        for (k, chip) in chips.iter().enumerate() {
            for slice in &chip.slices {
                self.destinations(k, (slice.neurons.start, slice.neurons.end), &mut |s| {
                    if accumulated[s] == 0.0 {
                        touched.push(s);
                    }
                    accumulated[s] += spikes_per_step as f32;
                });
                touched.sort_unstable();
                for &s in &touched {
                    targets.push(s as u32);
                    rates.push(accumulated[s]);
                    accumulated[s] = 0.0;
                }
                touched.clear();
                offsets.push(targets.len() as u64);
            }
        }
        Traffic {
            slices: slices as u32,
            offsets,
            targets,
            rates,
        }
    }
}
