//! Checks of one neuron model on its own: names, default values, the
//! variables its dynamics assign and the expressions it evaluates.

use crate::expr::Expr;
use crate::ids::ModelId;
use crate::model::{Dynamics, NeuronModel};
use crate::verify::expr::{Scope, expr_problems};
use crate::verify::values::{distribution_problems, param_value_problems};
use crate::verify::{Element, Report, counted};
use std::collections::BTreeSet;

/// Checks every invariant of `model`.
pub(super) fn check(report: &mut Report, id: ModelId, model: &NeuronModel) {
    let element = Element::Model(id);
    report.push_all(element, name_problems(model));
    report.push_all(element, default_problems(model));
    report.push_all(element, dynamics_problems(model));
    for (context, expr) in expressions(model) {
        let problems = expr_problems(expr, Scope::Model(model));
        report.push_all(
            element,
            problems.into_iter().map(|p| format!("{context} {p}")),
        );
    }
    report.push_all(element, spiking_problems(model));
}

/// Parameters, state variables and inputs share one namespace in the
/// source, and the printer resolves indices back to names, so every name
/// must be distinct.
fn name_problems(model: &NeuronModel) -> Vec<String> {
    let names = model
        .params
        .iter()
        .map(|p| &p.name)
        .chain(model.state.iter().map(|s| &s.name))
        .chain(model.inputs.iter().map(|i| &i.name));
    let mut seen = BTreeSet::new();
    let mut problems = Vec::new();
    for name in names {
        if !seen.insert(name) {
            problems.push(format!("declares {name} twice"));
        }
    }
    problems
}

fn default_problems(model: &NeuronModel) -> Vec<String> {
    let params = model.params.iter().flat_map(|param| {
        param_value_problems(&param.default, None)
            .into_iter()
            .map(move |p| format!("default of {}: {p}", param.name))
    });
    let state = model.state.iter().flat_map(|state| {
        distribution_problems(&state.init)
            .into_iter()
            .map(move |p| format!("initial value of {}: {p}", state.name))
    });
    params.chain(state).collect()
}

/// The assigned variables must exist, a variable has at most one
/// derivative, and inputs belong to `update` models, the only ones whose
/// step reads the summed synaptic input directly.
fn dynamics_problems(model: &NeuronModel) -> Vec<String> {
    let mut problems = Vec::new();
    let state_count = model.state.len();
    let check_var = |problems: &mut Vec<String>, what: &str, var: u32| {
        if var as usize >= state_count {
            problems.push(format!(
                "{what} state #{var}, but the model has {}",
                counted(state_count, "state variable")
            ));
        }
    };
    match &model.dynamics {
        Dynamics::None => {}
        Dynamics::Ode(odes) => {
            let mut differentiated = BTreeSet::new();
            for ode in odes {
                check_var(&mut problems, "has an equation for", ode.var);
                if !differentiated.insert(ode.var) {
                    problems.push(format!(
                        "has two equations for {}",
                        state_name(model, ode.var)
                    ));
                }
            }
        }
        Dynamics::Update(assignments) => {
            for assignment in assignments {
                check_var(&mut problems, "updates", assignment.var);
            }
        }
    }
    for assignment in &model.reset {
        check_var(&mut problems, "resets", assignment.var);
    }
    for held in model.refractory.iter().flat_map(|r| &r.held) {
        check_var(&mut problems, "holds", *held);
    }
    if !model.inputs.is_empty() && !matches!(model.dynamics, Dynamics::Update(_)) {
        let names: Vec<&str> = model.inputs.iter().map(|i| i.name.as_str()).collect();
        problems.push(format!(
            "declares inputs ({}), but only update models have inputs",
            names.join(", ")
        ));
    }
    problems
}

/// Reset and refractoriness follow a spike, so a model without a spike
/// condition cannot have them.
fn spiking_problems(model: &NeuronModel) -> Vec<String> {
    let mut problems = Vec::new();
    if model.spike.is_none() {
        if !model.reset.is_empty() {
            problems.push("has a reset but no spike condition".to_string());
        }
        if model.refractory.is_some() {
            problems.push("has a refractory period but no spike condition".to_string());
        }
    }
    problems
}

/// Every expression of the model, each with the phrase that names it in a
/// message.
fn expressions(model: &NeuronModel) -> Vec<(String, &Expr)> {
    let mut out = Vec::new();
    match &model.dynamics {
        Dynamics::None => {}
        Dynamics::Ode(odes) => {
            for ode in odes {
                out.push((
                    format!("equation for {}", state_name(model, ode.var)),
                    &ode.rhs,
                ));
            }
        }
        Dynamics::Update(assignments) => {
            for assignment in assignments {
                out.push((
                    format!("update of {}", state_name(model, assignment.var)),
                    &assignment.value,
                ));
            }
        }
    }
    if let Some(spike) = &model.spike {
        out.push(("spike condition".to_string(), spike));
    }
    for assignment in &model.reset {
        out.push((
            format!("reset of {}", state_name(model, assignment.var)),
            &assignment.value,
        ));
    }
    if let Some(refractory) = &model.refractory {
        out.push(("refractory period".to_string(), &refractory.period));
    }
    out
}

/// The state variable's name, or `state #i` if it does not exist.
fn state_name(model: &NeuronModel, var: u32) -> String {
    model
        .state
        .get(var as usize)
        .map_or_else(|| format!("state #{var}"), |s| s.name.clone())
}
