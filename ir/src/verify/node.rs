//! Checks of the graph's nodes: unique names, populations consistent with
//! their model, sources that only emit spikes, finite host-layer settings.

use crate::ids::NodeId;
use crate::model::NeuronModel;
use crate::network::{Layout, Node, Population};
use crate::units::Quantity;
use crate::verify::values::{distribution_problems, is_schedule, param_value_problems};
use crate::verify::{Element, Report, counted, model_label, node_label};
use std::collections::BTreeMap;

/// Checks every node.
pub(super) fn check_all(report: &mut Report) {
    let network = report.network;
    let mut names: BTreeMap<&str, NodeId> = BTreeMap::new();
    for (id, node) in network.nodes() {
        let element = Element::Node(id);
        let name = node.name();
        if name.is_empty() {
            report.push(element, "has an empty name".to_string());
        } else if let Some(first) = names.get(name) {
            report.push(
                element,
                format!(
                    "name {name} is already used by {}",
                    node_label(network, *first)
                ),
            );
        } else {
            names.insert(name, id);
        }
        match node {
            Node::Population(population) => check_population(report, id, population, false),
            Node::Source(population) => check_population(report, id, population, true),
            Node::Region(region) => report.push_all(element, settings_problems(&region.params)),
            Node::Modulator(modulator) => {
                report.push_all(element, settings_problems(&modulator.params));
            }
        }
    }
}

fn check_population(report: &mut Report, id: NodeId, population: &Population, source: bool) {
    let element = Element::Node(id);
    if population.size == 0 {
        report.push(element, "has no neurons (size 0)".to_string());
    }
    if let Some(layout) = &population.positions {
        report.push_all(element, layout_problems(layout, population.size));
    }
    let Some(model) = report.network.model(population.model) else {
        report.push(
            element,
            format!(
                "uses model {}, which does not exist (the network has {})",
                population.model,
                counted(report.network.models.len(), "model")
            ),
        );
        return;
    };
    let model_name = model_label(report.network, population.model);
    if source {
        report.push_all(element, source_problems(model, &model_name));
    }
    report.push_all(element, value_problems(population, model, &model_name));
}

/// A source only emits spikes: nothing can land on it and it must be able
/// to fire.
fn source_problems(model: &NeuronModel, model_name: &str) -> Vec<String> {
    let mut problems = Vec::new();
    if !model.is_source() {
        problems.push(format!(
            "is a source, but its model {model_name} has state or inputs"
        ));
    }
    if model.spike.is_none() {
        problems.push(format!(
            "is a source, but its model {model_name} never spikes"
        ));
    }
    problems
}

/// One value per parameter, of the kind the model declares (a number or
/// spike times), and one initial distribution per state variable, all
/// valid.
fn value_problems(population: &Population, model: &NeuronModel, model_name: &str) -> Vec<String> {
    let mut problems = Vec::new();
    if population.params.len() != model.params.len() {
        problems.push(format!(
            "has {}, but its model {model_name} declares {}",
            counted(population.params.len(), "parameter value"),
            counted(model.params.len(), "parameter")
        ));
    }
    for (decl, value) in model.params.iter().zip(&population.params) {
        let kind = |schedule: bool| if schedule { "spike times" } else { "a number" };
        if is_schedule(&decl.default) != is_schedule(value) {
            problems.push(format!(
                "gives parameter {} {}, but its model declares {}",
                decl.name,
                kind(is_schedule(value)),
                kind(is_schedule(&decl.default))
            ));
        }
        for problem in param_value_problems(value, Some(population.size)) {
            problems.push(format!("parameter {}: {problem}", decl.name));
        }
    }
    if population.init.len() != model.state.len() {
        problems.push(format!(
            "has {}, but its model {model_name} declares {}",
            counted(population.init.len(), "initial value"),
            counted(model.state.len(), "state variable")
        ));
    }
    for (decl, init) in model.state.iter().zip(&population.init) {
        for problem in distribution_problems(init) {
            problems.push(format!("initial value of {}: {problem}", decl.name));
        }
    }
    problems
}

/// A layout must give every neuron a finite position.
fn layout_problems(layout: &Layout, size: u32) -> Vec<String> {
    let mut problems = Vec::new();
    match layout {
        Layout::Grid { shape, spacing } => {
            let capacity: u64 = shape.iter().map(|&n| u64::from(n)).product();
            if capacity < u64::from(size) {
                problems.push(format!(
                    "grid {} × {} × {} has {capacity} positions for {size} neurons",
                    shape[0], shape[1], shape[2]
                ));
            }
            if !(spacing.is_finite() && *spacing > 0.0) {
                problems.push(format!(
                    "grid spacing {spacing} m must be positive and finite"
                ));
            }
        }
        Layout::RandomBox { extent } => {
            if extent.iter().any(|e| !(e.is_finite() && *e >= 0.0)) {
                problems.push(format!(
                    "random box extent {} × {} × {} m must be non-negative and finite",
                    extent[0], extent[1], extent[2]
                ));
            }
        }
    }
    problems
}

/// Settings of a region, modulator or coupling must be finite numbers.
pub(super) fn settings_problems(params: &BTreeMap<String, Quantity>) -> Vec<String> {
    params
        .iter()
        .filter(|(_, quantity)| !quantity.value.is_finite())
        .map(|(name, quantity)| format!("setting {name} = {} is not finite", quantity.value))
        .collect()
}
