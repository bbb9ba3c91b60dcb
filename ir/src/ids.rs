//! Typed ids for the elements of a network. They wrap graph indices so that
//! a node index is never confused with an edge index or a neuron number, and
//! they print short stable names (`n3`, `e7`, `m2`) used by the text printer,
//! the verifier and diagnostics.

use petgraph::stable_graph::{EdgeIndex, NodeIndex};
use serde::{Deserialize, Serialize};
use std::fmt;

/// A node of the network graph: a population, source, region or modulator.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug, Serialize, Deserialize)]
pub struct NodeId(pub u32);

/// An edge of the network graph: a projection or a coupling.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug, Serialize, Deserialize)]
pub struct ProjId(pub u32);

/// A neuron model in the network's model table.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug, Serialize, Deserialize)]
pub struct ModelId(pub u32);

impl NodeId {
    /// The graph index this id stands for.
    pub fn index(self) -> NodeIndex<u32> {
        NodeIndex::new(self.0 as usize)
    }
}

impl From<NodeIndex<u32>> for NodeId {
    fn from(index: NodeIndex<u32>) -> Self {
        NodeId(index.index() as u32)
    }
}

impl ProjId {
    /// The graph index this id stands for.
    pub fn index(self) -> EdgeIndex<u32> {
        EdgeIndex::new(self.0 as usize)
    }
}

impl From<EdgeIndex<u32>> for ProjId {
    fn from(index: EdgeIndex<u32>) -> Self {
        ProjId(index.index() as u32)
    }
}

impl fmt::Display for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "n{}", self.0)
    }
}

impl fmt::Display for ProjId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "e{}", self.0)
    }
}

impl fmt::Display for ModelId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "m{}", self.0)
    }
}
