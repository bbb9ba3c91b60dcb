//! The network graph: populations, sources, regions and modulators as
//! nodes; projections and couplings as edges. Synapse-level connectivity
//! never lives here: a projection holds the rule that generates its
//! synapses, and the expansion pass returns the synapse tables beside the
//! network (see [`crate::connectivity`]).

use crate::expr::{Expr, Var};
use crate::ids::{ModelId, NodeId, ProjId};
use crate::model::{Distribution, NeuronModel, ParamValue};
use crate::span::Span;
use crate::units::Quantity;
use petgraph::stable_graph::StableDiGraph;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A half-open range of neuron indices within one population.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
pub struct NeuronRange {
    /// First neuron.
    pub start: u32,
    /// One past the last neuron.
    pub end: u32,
}

impl NeuronRange {
    /// `start..end`.
    pub fn new(start: u32, end: u32) -> Self {
        NeuronRange { start, end }
    }

    /// Number of neurons in the range.
    pub fn len(self) -> u32 {
        self.end.saturating_sub(self.start)
    }

    /// Whether the range holds no neuron.
    pub fn is_empty(self) -> bool {
        self.len() == 0
    }
}

/// Where the neurons of a population sit in space, for distance-dependent
/// connectivity.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
pub enum Layout {
    /// A regular grid filled x fastest, then y, then z.
    Grid {
        /// Number of neurons along x, y and z.
        shape: [u32; 3],
        /// Distance between neighbours, metres.
        spacing: f64,
    },
    /// Uniformly random in the box `[0, extent)` (metres), drawn from the
    /// network seed.
    RandomBox {
        /// Size of the box along x, y and z, metres.
        extent: [f64; 3],
    },
}

/// A population of identical-model neurons.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
pub struct Population {
    /// Its declared name.
    pub name: String,
    /// Its neuron model.
    pub model: ModelId,
    /// Number of neurons.
    pub size: u32,
    /// One value per model parameter (the model's default unless overridden).
    pub params: Vec<ParamValue>,
    /// One initial distribution per model state variable.
    pub init: Vec<Distribution>,
    /// Positions, if declared.
    pub positions: Option<Layout>,
}

impl Population {
    /// The threshold of its state variable `state` (SI units), when its
    /// model spikes on that variable passing a value that is the same for
    /// every neuron: the model's [`NeuronModel::threshold_of`] with this
    /// population's constant parameters.
    pub fn threshold(&self, model: &NeuronModel, state: u32) -> Option<f64> {
        let constant = |k: u32| match self.params.get(k as usize) {
            Some(ParamValue::Scalar(Distribution::Constant(c))) => *c,
            _ => f64::NAN,
        };
        let value = model.threshold_of(state)?.eval(&|var| match var {
            Var::Param(k) => constant(k),
            _ => f64::NAN,
        })?;
        value.is_finite().then_some(value)
    }
}

/// A host-layer neural-mass region (executed by a later layer of neurc).
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
pub struct Region {
    /// Its declared name.
    pub name: String,
    /// The neural-mass model (`WilsonCowan`, `JansenRit`, …).
    pub model: String,
    /// The connectome it runs on, if any.
    pub connectome: Option<String>,
    /// Parameter settings.
    pub params: BTreeMap<String, Quantity>,
}

/// A host-layer modulator field (executed by a later layer of neurc).
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
pub struct Modulator {
    /// Its declared name.
    pub name: String,
    /// Parameter settings.
    pub params: BTreeMap<String, Quantity>,
}

/// A node of the network graph.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
pub enum Node {
    /// Neurons that receive synapses and spike.
    Population(Population),
    /// Neurons that only emit spikes (their model has no state or inputs).
    Source(Population),
    /// A neural-mass region.
    Region(Region),
    /// A modulator field.
    Modulator(Modulator),
}

impl Node {
    /// The declared name.
    pub fn name(&self) -> &str {
        match self {
            Node::Population(p) | Node::Source(p) => &p.name,
            Node::Region(r) => &r.name,
            Node::Modulator(m) => &m.name,
        }
    }

    /// The neurons, if this node has any.
    pub fn population(&self) -> Option<&Population> {
        match self {
            Node::Population(p) | Node::Source(p) => Some(p),
            _ => None,
        }
    }
}

/// Where a projection's weight lands in the postsynaptic model.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub enum SynapticTarget {
    /// Added to a state variable on arrival.
    State(u32),
    /// Summed into an input of a discrete-time model.
    Input(u32),
}

/// A connectivity rule: a generator of synapses from a seed.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
pub enum Rule {
    /// Every pre neuron to every post neuron.
    AllToAll,
    /// Pre neuron i to post neuron i (both ranges have the same length).
    OneToOne,
    /// Each pair independently with probability `p`.
    Bernoulli {
        /// Connection probability.
        p: f64,
    },
    /// Each post neuron receives exactly `k` synapses from pre neurons drawn
    /// uniformly (with replacement if multapses are allowed).
    FixedIndegree {
        /// In-degree.
        k: u32,
    },
    /// Each pre neuron makes exactly `k` synapses onto post neurons drawn
    /// uniformly (with replacement if multapses are allowed).
    FixedOutdegree {
        /// Out-degree.
        k: u32,
    },
    /// Exactly `n` synapses with pre and post drawn uniformly.
    FixedTotal {
        /// Number of synapses.
        n: u64,
    },
    /// Each pair independently with a probability that depends on the
    /// distance between the neurons ([`crate::expr::Var::Distance`]).
    Distance {
        /// The probability as a function of distance.
        probability: Expr,
    },
    /// A dense pre × post matrix of weight multipliers (row-major, pre
    /// major); a zero entry means no synapse.
    Dense {
        /// Number of columns (post neurons); rows are pre neurons.
        cols: u32,
        /// The entries.
        entries: Vec<f64>,
    },
    /// An explicit list of synapses read from a file.
    List {
        /// The file it was read from, as written in source.
        path: String,
        /// `(pre, post)` indices within the projection's ranges.
        pairs: Vec<(u32, u32)>,
        /// Per-synapse multipliers of the projection's weight, if the file
        /// gives them (as `dense` entries are).
        weights: Option<Vec<f64>>,
        /// Per-synapse delays (seconds) if the file gives them.
        delays: Option<Vec<f64>>,
    },
}

impl Rule {
    /// The rule's name in source.
    pub fn name(&self) -> &'static str {
        match self {
            Rule::AllToAll => "all_to_all",
            Rule::OneToOne => "one_to_one",
            Rule::Bernoulli { .. } => "bernoulli",
            Rule::FixedIndegree { .. } => "fixed_indegree",
            Rule::FixedOutdegree { .. } => "fixed_outdegree",
            Rule::FixedTotal { .. } => "fixed_total",
            Rule::Distance { .. } => "distance",
            Rule::Dense { .. } => "dense",
            Rule::List { .. } => "from_file",
        }
    }
}

/// Synapses from one population (or a slice of it) onto another.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
pub struct Projection {
    /// A readable name, `pre -> post`.
    pub name: String,
    /// Presynaptic neurons (within the source node's population).
    pub pre: NeuronRange,
    /// Postsynaptic neurons (within the target node's population).
    pub post: NeuronRange,
    /// How synapses are generated.
    pub rule: Rule,
    /// Synaptic weights, in the dimension of the target variable.
    pub weight: Distribution,
    /// Where the weight lands.
    pub target: SynapticTarget,
    /// Synaptic delays, seconds.
    pub delay: Distribution,
    /// Whether a neuron may connect to itself (same node, same index).
    pub autapses: bool,
    /// Whether a pair may be connected more than once.
    pub multapses: bool,
    /// Chip-native weights, when the projection gives them (`weight_bits`,
    /// `weight_exp`, `sign_mode`): the chip stores every weight as an
    /// integer `m` with this format, and the weight here is already
    /// `m · 2^(6 + weight_exp)`, what reaches u.
    #[serde(default)]
    pub chip_weights: Option<ChipWeights>,
}

/// A projection's chip synapse format, given by the user as NxSDK and Lava
/// users give it.
#[derive(Clone, Copy, PartialEq, Debug, Serialize, Deserialize)]
pub struct ChipWeights {
    /// Weight precision in bits.
    pub weight_bits: u8,
    /// Weight exponent.
    pub weight_exponent: i8,
    /// Sign mode, or `None` to choose it from the weights' signs.
    pub sign: Option<crate::chip::SignMode>,
}

/// A host-layer coupling between a spiking population and a region or
/// modulator (executed by a later layer of neurc).
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
pub struct Coupling {
    /// The converter (`spikes_to_rate`, `rate_to_spikes`, …).
    pub converter: String,
    /// Its settings.
    pub params: BTreeMap<String, Quantity>,
}

/// An edge of the network graph.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
pub enum Edge {
    /// Synapses between neurons.
    Projection(Projection),
    /// A host-layer coupling.
    Coupling(Coupling),
}

/// What a probe records.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
pub enum Probe {
    /// Spike times.
    Spikes,
    /// A state variable, by name (resolved per target population).
    State(String),
}

/// One target of a probe: neurons of one population, and the state index
/// the probed variable has in that population's model.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
pub struct ProbeTarget {
    /// The population.
    pub node: NodeId,
    /// The recorded neurons.
    pub neurons: NeuronRange,
    /// Index of the recorded state variable, for state probes.
    pub state: Option<u32>,
}

/// A `record` statement.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
pub struct Record {
    /// What is recorded.
    pub probe: Probe,
    /// Where.
    pub targets: Vec<ProbeTarget>,
}

/// Simulation settings.
#[derive(Clone, Copy, PartialEq, Debug, Serialize, Deserialize)]
pub struct Simulation {
    /// Step length, seconds.
    pub dt: f64,
    /// Simulated duration, seconds.
    pub duration: f64,
    /// Seed of every random stream of the network.
    pub seed: u64,
}

/// A time within this fraction of a step below a step boundary counts as
/// on the boundary, so `0.3 ms` with `dt = 0.1 ms` (2.9999999999999996
/// steps in binary) falls in step 3, as written.
const BOUNDARY_SLACK: f64 = 1e-6;

/// The step that contains time `time` (seconds): `⌊time / dt + 10⁻⁶⌋`.
/// Every target places scheduled spikes (`at(times)`) by this rule.
pub fn step_of(time: f64, dt: f64) -> u64 {
    // `as` saturates: negative times (rejected when checked) give step 0.
    (time / dt + BOUNDARY_SLACK).floor() as u64
}

impl Default for Simulation {
    /// 0.1 ms steps, 1 s, seed 0.
    fn default() -> Self {
        Simulation {
            dt: 1e-4,
            duration: 1.0,
            seed: 0,
        }
    }
}

/// Source spans of every IR element, kept apart from the elements.
#[derive(Clone, PartialEq, Debug, Default, Serialize, Deserialize)]
pub struct SpanTable {
    /// Paths of the source files, indexed by [`crate::span::FileId`].
    pub files: Vec<String>,
    /// Where each node was declared.
    pub nodes: BTreeMap<NodeId, Span>,
    /// Where each edge was declared.
    pub edges: BTreeMap<ProjId, Span>,
    /// Where each model was declared.
    pub models: BTreeMap<ModelId, Span>,
    /// Where each record statement was written, by its index.
    pub records: Vec<Span>,
}

/// A whole network: the graph, the model table, probes, settings and spans.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Network {
    /// Nodes and edges.
    pub graph: StableDiGraph<Node, Edge, u32>,
    /// Neuron models, indexed by [`ModelId`].
    pub models: Vec<NeuronModel>,
    /// Probes.
    pub records: Vec<Record>,
    /// Simulation settings.
    pub simulation: Simulation,
    /// Source spans.
    pub spans: SpanTable,
}

impl Network {
    /// The node with this id.
    pub fn node(&self, id: NodeId) -> Option<&Node> {
        self.graph.node_weight(id.index())
    }

    /// The model with this id.
    pub fn model(&self, id: ModelId) -> Option<&NeuronModel> {
        self.models.get(id.0 as usize)
    }

    /// Every node with its id, in id order.
    pub fn nodes(&self) -> impl Iterator<Item = (NodeId, &Node)> {
        self.graph
            .node_indices()
            .map(|i| (NodeId::from(i), &self.graph[i]))
    }

    /// Every projection with its id and its pre and post node, in id order.
    pub fn projections(&self) -> impl Iterator<Item = (ProjId, NodeId, NodeId, &Projection)> {
        self.graph.edge_indices().filter_map(|e| {
            let (pre, post) = self.graph.edge_endpoints(e)?;
            match &self.graph[e] {
                Edge::Projection(p) => Some((e.into(), pre.into(), post.into(), p)),
                Edge::Coupling(_) => None,
            }
        })
    }

    /// Total number of neurons in populations and sources.
    pub fn neuron_count(&self) -> u64 {
        self.nodes()
            .filter_map(|(_, n)| n.population())
            .map(|p| u64::from(p.size))
            .sum()
    }
}
