//! Checks of expression trees against what is in scope where they are
//! evaluated: executors index variables without bounds checks and call
//! functions by arity, so every reference must resolve.

use crate::expr::{BinaryOp, Expr, Func, Var};
use crate::model::{Dynamics, NeuronModel};
use crate::verify::counted;
use crate::verify::values::is_schedule;

/// Where an expression is evaluated, which decides what it may read.
#[derive(Clone, Copy)]
pub(super) enum Scope<'a> {
    /// Inside a neuron model: its parameters, state, inputs (in `update`
    /// models), time and `dt`.
    Model(&'a NeuronModel),
    /// A distance-dependent connection probability: only the distance (and
    /// `dt`). Random draws in it are the expansion pass's to report.
    Distance,
}

/// Problems of `expr` in `scope`, each a phrase that follows the name of
/// the expression (`reads state #4, but the model has 2 state variables`),
/// without repeats.
pub(super) fn expr_problems(expr: &Expr, scope: Scope) -> Vec<String> {
    let mut problems = Vec::new();
    visit(expr, scope, false, &mut problems);
    problems
}

/// Checks `expr`; `at_argument` says whether it is the argument of `at()`,
/// the one place a spike-time parameter may be read.
fn visit(expr: &Expr, scope: Scope, at_argument: bool, problems: &mut Vec<String>) {
    let mut report = |problem: String| {
        if !problems.contains(&problem) {
            problems.push(problem);
        }
    };
    match expr {
        Expr::Const(value) => {
            if !value.is_finite() {
                report(format!("holds the constant {value}, which is not finite"));
            }
        }
        Expr::Var(var) => {
            if let Some(problem) = var_problem(*var, scope, at_argument) {
                report(problem);
            }
        }
        Expr::Unary(_, operand) => visit(operand, scope, false, problems),
        Expr::Binary(op, left, right) => {
            if *op == BinaryOp::Pow
                && let Some(problem) = exponent_problem(right)
            {
                report(problem);
            }
            visit(left, scope, false, problems);
            visit(right, scope, false, problems);
        }
        Expr::Call(func, args) => {
            if args.len() != func.arity() {
                report(format!(
                    "calls {}() with {} arguments; it takes {}",
                    func.name(),
                    args.len(),
                    func.arity()
                ));
            }
            if let Some(problem) = call_problem(*func, args, scope) {
                report(problem);
            }
            for arg in args {
                visit(arg, scope, *func == Func::At, problems);
            }
        }
    }
}

/// `^` takes an exponent that is a constant integer, fixed when units are
/// checked (the dimension of `x ^ n` depends on `n`), so executors can
/// multiply instead of calling `powf`. Like the unit checker, this
/// evaluates the exponent with every variable unknown (NaN).
fn exponent_problem(exponent: &Expr) -> Option<String> {
    match exponent.eval(&|_| f64::NAN) {
        Some(n) if n.is_finite() && n.fract() == 0.0 => None,
        Some(n) if n.is_finite() => {
            Some(format!("raises to the power {n}, which is not an integer"))
        }
        _ => Some("raises to a power that is not a constant".to_string()),
    }
}

/// The problem of calling `func` in `scope`, beyond its arity: `at()`
/// reads a spike-time parameter of the model.
fn call_problem(func: Func, args: &[Expr], scope: Scope) -> Option<String> {
    match scope {
        Scope::Model(model) if func == Func::At => match args {
            [Expr::Var(Var::Param(index))] => match model.params.get(*index as usize) {
                Some(param) if !is_schedule(&param.default) => Some(format!(
                    "calls at({}), but {} is a number, not spike times",
                    param.name, param.name
                )),
                _ => None,
            },
            _ => Some("calls at() on something other than a spike-time parameter".to_string()),
        },
        Scope::Model(_) | Scope::Distance => None,
    }
}

/// The problem of reading `var` in `scope`, if it cannot be read there.
fn var_problem(var: Var, scope: Scope, at_argument: bool) -> Option<String> {
    let model = match scope {
        Scope::Model(model) => model,
        Scope::Distance => {
            return (!matches!(var, Var::Distance | Var::Dt)).then(|| {
                format!(
                    "reads {}; a connection probability can only read distance and dt",
                    describe(var)
                )
            });
        }
    };
    match var {
        Var::State(index) => out_of_range(var, index, model.state.len(), "state variable"),
        Var::Param(index) => match model.params.get(index as usize) {
            None => out_of_range(var, index, model.params.len(), "parameter"),
            Some(param) if is_schedule(&param.default) && !at_argument => Some(format!(
                "reads the spike-time parameter {} as a number; only at() can read it",
                param.name
            )),
            Some(_) => None,
        },
        Var::Input(index) => {
            if matches!(model.dynamics, Dynamics::Update(_)) {
                out_of_range(var, index, model.inputs.len(), "input")
            } else {
                Some(format!(
                    "reads input #{index}, but only update models have inputs"
                ))
            }
        }
        Var::Time | Var::Dt => None,
        Var::Distance => Some(
            "reads distance, which exists only in distance-dependent connectivity rules"
                .to_string(),
        ),
    }
}

/// `what` names one of the variables counted.
fn out_of_range(var: Var, index: u32, count: usize, what: &str) -> Option<String> {
    (index as usize >= count).then(|| {
        format!(
            "reads {}, but the model has {}",
            describe(var),
            counted(count, what)
        )
    })
}

/// `state #3`, `parameter #0`, `time`: a variable without a model to name it.
fn describe(var: Var) -> String {
    match var {
        Var::State(index) => format!("state #{index}"),
        Var::Param(index) => format!("parameter #{index}"),
        Var::Input(index) => format!("input #{index}"),
        Var::Time => "time".to_string(),
        Var::Dt => "dt".to_string(),
        Var::Distance => "distance".to_string(),
    }
}
