//! Checks of the graph's edges: projections between spiking nodes that
//! land on an existing variable over valid ranges, and host-layer
//! couplings.

use crate::ids::{NodeId, ProjId};
use crate::network::{
    Coupling, Edge, Network, NeuronRange, Node, Projection, Rule, SynapticTarget,
};
use crate::verify::expr::{Scope, expr_problems};
use crate::verify::node::settings_problems;
use crate::verify::rule::rule_problems;
use crate::verify::values::{distribution_problems, negative_delay_problem};
use crate::verify::{Element, Report, model_label, node_label};

/// Checks every edge.
pub(super) fn check_all(report: &mut Report) {
    let network = report.network;
    for index in network.graph.edge_indices() {
        let Some((pre, post)) = network.graph.edge_endpoints(index) else {
            continue;
        };
        let (id, pre, post) = (ProjId::from(index), NodeId::from(pre), NodeId::from(post));
        let problems = match &network.graph[index] {
            Edge::Projection(projection) => projection_problems(network, pre, post, projection),
            Edge::Coupling(coupling) => coupling_problems(network, pre, post, coupling),
        };
        report.push_all(Element::Projection(id), problems);
    }
}

fn projection_problems(
    network: &Network,
    pre: NodeId,
    post: NodeId,
    projection: &Projection,
) -> Vec<String> {
    let mut problems = Vec::new();
    let pre_node = network.node(pre);
    let post_node = network.node(post);
    match pre_node {
        Some(Node::Population(population) | Node::Source(population)) => {
            problems.extend(range_problem("pre", projection.pre, population.size));
        }
        _ => problems.push(format!(
            "starts at {} {}; projections start at populations or sources",
            kind(pre_node),
            node_label(network, pre)
        )),
    }
    match post_node {
        Some(Node::Population(population)) => {
            problems.extend(range_problem("post", projection.post, population.size));
            if let Some(model) = network.model(population.model) {
                let (what, index, count) = match projection.target {
                    SynapticTarget::State(index) => ("state variable", index, model.state.len()),
                    SynapticTarget::Input(index) => ("input", index, model.inputs.len()),
                };
                if index as usize >= count {
                    problems.push(format!(
                        "targets {what} #{index}, but model {} has {count}",
                        model_label(network, population.model)
                    ));
                }
            }
        }
        _ => problems.push(format!(
            "ends at {} {}; projections end at populations",
            kind(post_node),
            node_label(network, post)
        )),
    }
    problems.extend(rule_problems(projection));
    if let Rule::Distance { probability } = &projection.rule {
        for problem in expr_problems(probability, Scope::Distance) {
            problems.push(format!("distance probability {problem}"));
        }
        let ends: &[NodeId] = if pre == post { &[pre] } else { &[pre, post] };
        for &node in ends {
            let placed = network
                .node(node)
                .and_then(Node::population)
                .is_some_and(|p| p.positions.is_some());
            if !placed {
                problems.push(format!(
                    "distance rule needs positions, but {} has none",
                    node_label(network, node)
                ));
            }
        }
    }
    for problem in distribution_problems(&projection.weight) {
        problems.push(format!("weight: {problem}"));
    }
    for problem in distribution_problems(&projection.delay) {
        problems.push(format!("delay: {problem}"));
    }
    problems.extend(negative_delay_problem(&projection.delay).map(|p| format!("delay: {p}")));
    problems
}

/// A coupling converts between spikes and a host-layer quantity, so one
/// end must be a region or modulator, and a source cannot receive it.
fn coupling_problems(
    network: &Network,
    pre: NodeId,
    post: NodeId,
    coupling: &Coupling,
) -> Vec<String> {
    let mut problems = Vec::new();
    let is_host = |id| matches!(network.node(id), Some(Node::Region(_) | Node::Modulator(_)));
    if !is_host(pre) && !is_host(post) {
        problems.push(format!(
            "couples {} to {}; a coupling needs a region or modulator at one end",
            node_label(network, pre),
            node_label(network, post)
        ));
    }
    if matches!(network.node(post), Some(Node::Source(_))) {
        problems.push(format!(
            "feeds source {}, which receives nothing",
            node_label(network, post)
        ));
    }
    problems.extend(settings_problems(&coupling.params));
    problems
}

/// A projection's or record's range must hold neurons that exist.
pub(super) fn range_problem(what: &str, range: NeuronRange, size: u32) -> Option<String> {
    if range.is_empty() {
        Some(format!(
            "{what} range {}..{} is empty",
            range.start, range.end
        ))
    } else if range.end > size {
        Some(format!(
            "{what} range {}..{} exceeds population size {size}",
            range.start, range.end
        ))
    } else {
        None
    }
}

/// `a region`, `a source`: the kind of a node in a message.
fn kind(node: Option<&Node>) -> &'static str {
    match node {
        Some(Node::Population(_)) => "population",
        Some(Node::Source(_)) => "source",
        Some(Node::Region(_)) => "region",
        Some(Node::Modulator(_)) => "modulator",
        None => "missing node",
    }
}
