//! Expanded connectivity: the synapse tables the expansion pass returns,
//! one per projection, keyed by [`ProjId`] and kept beside the network.

use crate::ids::ProjId;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A per-synapse attribute that is stored once when it is the same for every
/// synapse.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
pub enum PerSynapse<T> {
    /// One value for every synapse.
    Constant(T),
    /// One value per synapse, in table order.
    Varying(Vec<T>),
}

/// The synapses of one projection in compressed sparse rows by presynaptic
/// neuron: the targets of pre neuron `i` (counted from the start of the
/// projection's pre range) are `targets[row_offsets[i]..row_offsets[i + 1]]`,
/// as indices within the post population, ascending within a row.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
pub struct SynapseTable {
    /// `pre.len() + 1` offsets into `targets`.
    pub row_offsets: Vec<u64>,
    /// Postsynaptic neuron of each synapse.
    pub targets: Vec<u32>,
    /// Weights, SI units of the target variable.
    pub weights: PerSynapse<f64>,
    /// Delays in whole steps (at least 1).
    pub delays: PerSynapse<u16>,
}

/// Every projection's synapse table.
#[derive(Clone, PartialEq, Debug, Default, Serialize, Deserialize)]
pub struct Connectivity {
    /// The tables, by projection.
    pub tables: BTreeMap<ProjId, SynapseTable>,
}

impl<T> PerSynapse<T> {
    /// Heap bytes held: none for a constant, the vector's capacity otherwise.
    fn heap_bytes(&self) -> u64 {
        match self {
            PerSynapse::Constant(_) => 0,
            PerSynapse::Varying(values) => (values.capacity() * std::mem::size_of::<T>()) as u64,
        }
    }
}

impl SynapseTable {
    /// Number of synapses.
    pub fn synapse_count(&self) -> u64 {
        self.targets.len() as u64
    }

    /// Bytes the table holds on the heap (by capacity): the figure that
    /// memory estimates and the bytes-per-synapse benchmarks compare with.
    pub fn heap_bytes(&self) -> u64 {
        (self.row_offsets.capacity() * std::mem::size_of::<u64>()
            + self.targets.capacity() * std::mem::size_of::<u32>()) as u64
            + self.weights.heap_bytes()
            + self.delays.heap_bytes()
    }
}

impl Connectivity {
    /// Number of synapses of every table.
    pub fn synapse_count(&self) -> u64 {
        self.tables.values().map(SynapseTable::synapse_count).sum()
    }

    /// Heap bytes of every table (see [`SynapseTable::heap_bytes`]).
    pub fn heap_bytes(&self) -> u64 {
        self.tables.values().map(SynapseTable::heap_bytes).sum()
    }
}
