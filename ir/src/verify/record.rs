//! Checks of record statements: each probes neurons that exist, and a
//! state variable their model has or the spikes of a model that spikes.

use crate::network::{Network, Probe, ProbeTarget, Record};
use crate::verify::edge::range_problem;
use crate::verify::{Element, Report, counted, model_label, node_label};

/// Checks every record.
pub(super) fn check_all(report: &mut Report) {
    let network = report.network;
    for (index, record) in network.records.iter().enumerate() {
        report.push_all(Element::Record(index), record_problems(network, record));
    }
}

fn record_problems(network: &Network, record: &Record) -> Vec<String> {
    if record.targets.is_empty() {
        return vec!["has no target".to_string()];
    }
    record
        .targets
        .iter()
        .flat_map(|target| target_problems(network, &record.probe, target))
        .collect()
}

fn target_problems(network: &Network, probe: &Probe, target: &ProbeTarget) -> Vec<String> {
    let label = node_label(network, target.node);
    let Some(node) = network.node(target.node) else {
        return vec![format!("targets {label}, which does not exist")];
    };
    let Some(population) = node.population() else {
        return vec![format!(
            "targets {label}, which is not a population or source"
        )];
    };
    let mut problems = Vec::new();
    if let Some(problem) = range_problem("neuron", target.neurons, population.size) {
        problems.push(format!("in {label}: {problem}"));
    }
    let Some(model) = network.model(population.model) else {
        return problems;
    };
    let model_name = model_label(network, population.model);
    match (probe, target.state) {
        (Probe::Spikes, None) => {
            if model.spike.is_none() {
                problems.push(format!(
                    "records spikes of {label}, whose model {model_name} never spikes"
                ));
            }
        }
        (Probe::Spikes, Some(index)) => problems.push(format!(
            "records spikes of {label}, but names state #{index}"
        )),
        (Probe::State(name), None) => problems.push(format!(
            "records {name} of {label} without resolving it to a state variable"
        )),
        (Probe::State(name), Some(index)) => match model.state.get(index as usize) {
            None => problems.push(format!(
                "records state #{index} of {label}, but model {model_name} has {}",
                counted(model.state.len(), "state variable")
            )),
            Some(state) if state.name != *name => problems.push(format!(
                "records {name} of {label}, but state #{index} of model {model_name} is {}",
                state.name
            )),
            Some(_) => {}
        },
    }
    problems
}
