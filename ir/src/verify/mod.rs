//! The IR verifier: one function that checks every invariant the passes and
//! executors rely on, and reports every violation it finds with the element
//! and source span it concerns, never stopping at the first.
//!
//! It runs between passes in tests and debug builds, so a pass that breaks
//! the IR is caught where it broke it rather than where an executor trips
//! over the result. [`verify`] checks a network on its own;
//! [`verify_connectivity`] checks the synapse tables the expansion pass
//! returns beside it.
//!
//! The checked invariants, by element:
//!
//! - **Models**: parameter, state and input names are distinct; parameter
//!   defaults and initial values are valid distributions and spike
//!   schedules; every ODE, update, reset and refractory-held variable index
//!   is in range, and no state variable has two ODEs; every expression reads
//!   only variables that exist, calls functions with their arity, holds
//!   finite constants and raises only to integer constant powers; inputs exist only in `update` models and
//!   distance only in connectivity rules; a spike-time parameter is read
//!   only by `at()`, whose argument must be one; a model that never spikes
//!   has no reset and no refractoriness.
//! - **Nodes**: names are non-empty and unique; a population has at least
//!   one neuron, an existing model, one valid value of the right kind
//!   (number or spike schedule) per parameter and one valid initial
//!   distribution per state variable, and a layout with room for every
//!   neuron; a source's model has no state or inputs and spikes; region and
//!   modulator settings are finite.
//! - **Edges**: a projection runs from a population or source to a
//!   population, over non-empty neuron ranges within both, onto a state
//!   variable or input that the postsynaptic model has, with valid weight
//!   and non-negative delay distributions and a rule whose shape fits the
//!   ranges (see `rule.rs`; what the expansion pass reports as a user
//!   error is left to it); a coupling joins a region or modulator to a
//!   spiking node and never feeds a source.
//! - **Records** target existing populations or sources, within their
//!   size, and name a state variable the target's model has, or the spikes
//!   of a model that spikes.
//! - **Simulation**: `dt` is positive and `duration` non-negative, both
//!   finite.
//! - **Spans**: if the span table names any file, every model, node, edge
//!   and record has a span, every span is in a listed file, and no span
//!   belongs to an element that no longer exists (a later element would
//!   inherit it when the graph reuses the index). A network built in code
//!   has no files and need not have spans.

mod connectivity;
mod edge;
mod expr;
mod model;
mod node;
mod record;
mod rule;
mod spans;
mod values;

pub use connectivity::verify_connectivity;

use crate::ids::{ModelId, NodeId, ProjId};
use crate::network::{Edge, Network, Probe};
use crate::span::Span;
use std::fmt;

/// The IR element a violation concerns.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub enum Element {
    /// A node of the graph.
    Node(NodeId),
    /// An edge of the graph: a projection or a coupling.
    Projection(ProjId),
    /// A neuron model.
    Model(ModelId),
    /// A record statement, by its index in [`Network::records`].
    Record(usize),
    /// The simulation settings.
    Simulation,
}

impl fmt::Display for Element {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Element::Node(id) => write!(f, "{id}"),
            Element::Projection(id) => write!(f, "{id}"),
            Element::Model(id) => write!(f, "{id}"),
            Element::Record(index) => write!(f, "record {index}"),
            Element::Simulation => write!(f, "simulation"),
        }
    }
}

/// One violated invariant.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Violation {
    /// The element that breaks it.
    pub element: Element,
    /// The element's readable name (`exc`, `exc -> inh`, `LifCuba`), if it
    /// exists and has one, so a message can be read without the network.
    pub name: Option<String>,
    /// Where the element was declared, if the span table knows.
    pub span: Option<Span>,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for Violation {
    /// `e3 (exc -> inh): post range 0..900 exceeds population size 800`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.element)?;
        if let Some(name) = &self.name {
            write!(f, " ({name})")?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for Violation {}

/// Checks every invariant of the network (listed in the module doc) and
/// returns every violation, ordered by models, nodes, edges, records,
/// simulation and spans.
pub fn verify(network: &Network) -> Result<(), Vec<Violation>> {
    let mut report = Report::new(network);
    for (index, model) in network.models.iter().enumerate() {
        model::check(&mut report, ModelId(index as u32), model);
    }
    node::check_all(&mut report);
    edge::check_all(&mut report);
    record::check_all(&mut report);
    check_simulation(&mut report);
    spans::check(&mut report);
    report.finish()
}

/// `dt` must be a positive step and `duration` a non-negative time, since
/// every executor divides by the one and counts steps up to the other.
fn check_simulation(report: &mut Report) {
    let simulation = report.network.simulation;
    if !(simulation.dt.is_finite() && simulation.dt > 0.0) {
        report.push(
            Element::Simulation,
            format!("dt = {} s must be positive and finite", simulation.dt),
        );
    }
    if !(simulation.duration.is_finite() && simulation.duration >= 0.0) {
        report.push(
            Element::Simulation,
            format!(
                "duration = {} s must be non-negative and finite",
                simulation.duration
            ),
        );
    }
}

/// Collects violations, attaching each element's name and span.
struct Report<'a> {
    network: &'a Network,
    violations: Vec<Violation>,
}

impl<'a> Report<'a> {
    fn new(network: &'a Network) -> Self {
        Report {
            network,
            violations: Vec::new(),
        }
    }

    /// Records that `element` breaks an invariant.
    fn push(&mut self, element: Element, message: String) {
        let (name, span) = self.describe(element);
        self.violations.push(Violation {
            element,
            name,
            span,
            message,
        });
    }

    /// Records one violation per message, each about `element`.
    fn push_all(&mut self, element: Element, messages: impl IntoIterator<Item = String>) {
        for message in messages {
            self.push(element, message);
        }
    }

    /// The name and span of an element, where they exist.
    fn describe(&self, element: Element) -> (Option<String>, Option<Span>) {
        let network = self.network;
        let spans = &network.spans;
        match element {
            Element::Node(id) => (
                network.node(id).map(|node| node.name().to_string()),
                spans.nodes.get(&id).copied(),
            ),
            Element::Projection(id) => (
                network
                    .graph
                    .edge_weight(id.index())
                    .map(|edge| match edge {
                        Edge::Projection(projection) => projection.name.clone(),
                        Edge::Coupling(coupling) => coupling.converter.clone(),
                    }),
                spans.edges.get(&id).copied(),
            ),
            Element::Model(id) => (
                network.model(id).map(|model| model.name.clone()),
                spans.models.get(&id).copied(),
            ),
            Element::Record(index) => (
                network
                    .records
                    .get(index)
                    .map(|record| match &record.probe {
                        Probe::Spikes => "spikes".to_string(),
                        Probe::State(name) => name.clone(),
                    }),
                spans.records.get(index).copied(),
            ),
            Element::Simulation => (None, None),
        }
    }

    fn finish(self) -> Result<(), Vec<Violation>> {
        if self.violations.is_empty() {
            Ok(())
        } else {
            Err(self.violations)
        }
    }
}

/// `n3 (exc)`, or `n3` if the node does not exist: how messages refer to
/// another node than the one they are about.
fn node_label(network: &Network, id: NodeId) -> String {
    match network.node(id) {
        Some(node) => format!("{id} ({})", node.name()),
        None => id.to_string(),
    }
}

/// `1 state variable`, `3 state variables`: a count with its noun, whose
/// plural takes an `s`.
fn counted(count: usize, noun: &str) -> String {
    if count == 1 {
        format!("1 {noun}")
    } else {
        format!("{count} {noun}s")
    }
}

/// `m0 (LifCuba)`, or `m0` if the model does not exist.
fn model_label(network: &Network, id: ModelId) -> String {
    match network.model(id) {
        Some(model) => format!("{id} ({})", model.name),
        None => id.to_string(),
    }
}
