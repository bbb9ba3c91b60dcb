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
