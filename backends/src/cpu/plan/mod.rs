//! The planner: a population's model, parameters and synaptic inputs
//! become the [`NeuronProgram`] both CPU executors run.
//!
//! **Precondition**: a lowered, verified network (units checked, names
//! resolved). **Postcondition**: a program whose temporaries are assigned
//! before they are read, whose slots are all in range, and whose
//! expressions read only constants where the population's values are the
//! same for every neuron.
//!
//! Integration: `method auto` gives exact propagators when the system is
//! linear with coefficients that are the same for every neuron and a
//! driving part that is constant over the step ([`linear`]), and RK4
//! otherwise; `exact` insists on propagators; `euler`, `rk2` and `rk4` are
//! written out as stages ([`methods`]).

pub mod convert;
mod expm;
mod linear;
mod methods;

use crate::cpu::program::{
    Code, Dest, NeuronProgram, RefractoryRule, Slot, SpikeRule, Stmt, TakeUp,
};
use convert::{Converter, ParamSlot, binary};
use linear::{NotExact, exact_update};
use methods::{Explicit, explicit_update};
use neurc_ir::{Dynamics, Expr, Func, Method, NeuronModel, ParamValue, SynapticTarget};
use thiserror::Error;

/// Why a population cannot be planned for the CPU target.
#[derive(Clone, PartialEq, Debug, Error)]
pub enum PlanError {
    /// The model uses something the CPU target cannot execute.
    #[error("model `{model}` uses {what}, which the CPU target cannot execute")]
    Unsupported {
        /// The model's name.
        model: String,
        /// What it uses.
        what: String,
    },
    /// `method exact` on a system that has no exact propagator.
    #[error("model `{model}` asks for `method exact`, but {reason}")]
    NotExact {
        /// The model's name.
        model: String,
        /// Why, naming the variable.
        reason: String,
    },
}

/// How a population's state is advanced, for reports.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Integration {
    /// No state (a source).
    None,
    /// Discrete `update` assignments.
    Discrete,
    /// Exact propagators.
    Exact,
    /// Forward Euler.
    Euler,
    /// Midpoint method.
    Rk2,
    /// Classical RK4.
    Rk4,
}

impl Integration {
    /// The name used in reports.
    pub fn name(self) -> &'static str {
        match self {
            Integration::None => "none",
            Integration::Discrete => "discrete",
            Integration::Exact => "exact",
            Integration::Euler => "euler",
            Integration::Rk2 => "rk2",
            Integration::Rk4 => "rk4",
        }
    }
}

/// A population's program and what its executor must supply.
#[derive(Clone, PartialEq, Debug)]
pub struct Plan {
    /// The step program.
    pub program: NeuronProgram,
    /// For each per-neuron parameter of the program, the model parameter
    /// whose values it holds.
    pub per_neuron_params: Vec<u32>,
    /// The model parameter holding the spike schedule, if `at` reads one.
    pub schedule_param: Option<u32>,
    /// How the state is advanced.
    pub integration: Integration,
}

/// Plans a population of `model` with parameter values `params` (one per
/// model parameter, overrides applied), receiving synaptic input on
/// `targets` (take-up buffer `k` is `targets[k]`), with steps of `dt`.
pub fn plan(
    model: &NeuronModel,
    params: &[ParamValue],
    targets: &[SynapticTarget],
    dt: f64,
) -> Result<Plan, PlanError> {
    let mut slots = Vec::with_capacity(params.len());
    let mut per_neuron_params = Vec::new();
    for (index, value) in params.iter().enumerate() {
        slots.push(match value {
            ParamValue::Scalar(d) => match d.as_constant() {
                Some(c) => ParamSlot::Constant(c),
                None => {
                    per_neuron_params.push(index as u32);
                    ParamSlot::PerNeuron(per_neuron_params.len() as u32 - 1)
                }
            },
            ParamValue::Schedule(_) => ParamSlot::Schedule,
        });
    }
    let converter = Converter {
        params: &slots,
        dt,
        model: &model.name,
    };
    // `at(times)` reads one schedule parameter per model.
    let mut schedules = Vec::new();
    for code in model_exprs(model) {
        code.walk(&mut |e| {
            if let Expr::Call(Func::At, args) = e
                && let Some(Expr::Var(neurc_ir::Var::Param(p))) = args.first()
                && !schedules.contains(p)
            {
                schedules.push(*p);
            }
        });
    }
    if schedules.len() > 1 {
        return Err(PlanError::Unsupported {
            model: model.name.clone(),
            what: "more than one spike schedule".to_string(),
        });
    }
    let schedule_param = schedules.first().copied();

    let current = |e: &Expr| {
        converter.convert_with(e, &|j| Code::Load(Slot::State(j)), &Code::Load(Slot::Time))
    };
    let mut temps = 0;
    let (update, integration) = dynamics(model, &converter, dt, &mut temps)?;
    let spike = model
        .spike
        .as_ref()
        .map(|e| {
            Ok::<_, PlanError>(match e {
                Expr::Call(Func::Poisson, _) => SpikeRule::Count(current(e)?),
                _ => SpikeRule::Condition(current(e)?),
            })
        })
        .transpose()?;
    let reset = model
        .reset
        .iter()
        .map(|a| {
            Ok(Stmt {
                dest: Dest::State(a.var),
                value: current(&a.value)?,
            })
        })
        .collect::<Result<Vec<_>, PlanError>>()?;
    let mut held = vec![false; model.state.len()];
    let refractory = match &model.refractory {
        Some(r) => {
            for &v in &r.held {
                if let Some(h) = held.get_mut(v as usize) {
                    *h = true;
                }
            }
            Some(RefractoryRule {
                steps: binary(
                    crate::cpu::program::BinOp::Div,
                    current(&r.period)?,
                    Code::Const(dt),
                ),
            })
        }
        None => None,
    };
    let take_up = targets
        .iter()
        .map(|t| match t {
            SynapticTarget::State(v) => TakeUp::State(*v),
            SynapticTarget::Input(i) => TakeUp::Input(*i),
        })
        .collect();
    let program = NeuronProgram {
        model: model.name.clone(),
        state: model.state.iter().map(|s| s.name.clone()).collect(),
        held,
        params: per_neuron_params
            .iter()
            .map(|&p| model.params[p as usize].name.clone())
            .collect(),
        inputs: model.inputs.len() as u32,
        temps,
        take_up,
        update,
        spike,
        reset,
        refractory,
    };
    Ok(Plan {
        program,
        per_neuron_params,
        schedule_param,
        integration,
    })
}

/// Every expression of a model.
fn model_exprs(model: &NeuronModel) -> Vec<&Expr> {
    let mut exprs: Vec<&Expr> = match &model.dynamics {
        Dynamics::None => Vec::new(),
        Dynamics::Ode(odes) => odes.iter().map(|o| &o.rhs).collect(),
        Dynamics::Update(assignments) => assignments.iter().map(|a| &a.value).collect(),
    };
    exprs.extend(&model.spike);
    exprs.extend(model.reset.iter().map(|a| &a.value));
    exprs.extend(model.refractory.iter().map(|r| &r.period));
    exprs
}

/// The update statements and how they integrate.
fn dynamics(
    model: &NeuronModel,
    converter: &Converter<'_>,
    dt: f64,
    temps: &mut u32,
) -> Result<(Vec<Stmt>, Integration), PlanError> {
    let odes = match &model.dynamics {
        Dynamics::None => return Ok((Vec::new(), Integration::None)),
        Dynamics::Update(assignments) => {
            let statements = assignments
                .iter()
                .map(|a| {
                    Ok(Stmt {
                        dest: Dest::State(a.var),
                        value: converter.convert_with(
                            &a.value,
                            &|j| Code::Load(Slot::State(j)),
                            &Code::Load(Slot::Time),
                        )?,
                    })
                })
                .collect::<Result<Vec<_>, PlanError>>()?;
            return Ok((statements, Integration::Discrete));
        }
        Dynamics::Ode(odes) => odes,
    };
    let n = model.state.len();
    let derivatives = |states: &[Code], time: &Code| -> Result<Vec<Option<Code>>, PlanError> {
        let mut out = vec![None; n];
        for ode in odes {
            let code = converter.convert_with(&ode.rhs, &|j| states[j as usize].clone(), time)?;
            if let Some(slot) = out.get_mut(ode.var as usize) {
                *slot = Some(code);
            }
        }
        Ok(out)
    };
    let explicit = |method, temps: &mut u32| explicit_update(method, n, dt, &derivatives, temps);
    match model.method {
        Method::Euler => Ok((explicit(Explicit::Euler, temps)?, Integration::Euler)),
        Method::Rk2 => Ok((explicit(Explicit::Rk2, temps)?, Integration::Rk2)),
        Method::Rk4 => Ok((explicit(Explicit::Rk4, temps)?, Integration::Rk4)),
        Method::Auto | Method::Exact => {
            let current: Vec<Code> = (0..n as u32).map(|j| Code::Load(Slot::State(j))).collect();
            let rhs = derivatives(&current, &Code::Load(Slot::Time))?;
            let mut exact_temps = *temps;
            match exact_update(&rhs, dt, &mut exact_temps) {
                Ok(statements) => {
                    *temps = exact_temps;
                    Ok((statements, Integration::Exact))
                }
                Err(_) if model.method == Method::Auto => {
                    Ok((explicit(Explicit::Rk4, temps)?, Integration::Rk4))
                }
                Err(why) => Err(PlanError::NotExact {
                    model: model.name.clone(),
                    reason: explain(why, model),
                }),
            }
        }
    }
}

/// Why a system has no exact propagator, in words naming the variable.
fn explain(why: NotExact, model: &NeuronModel) -> String {
    let name = |var: u32| {
        model
            .state
            .get(var as usize)
            .map_or("?", |s| s.name.as_str())
            .to_string()
    };
    match why {
        NotExact::Nonlinear { var } => {
            format!("d{}/dt is not linear in the state variables", name(var))
        }
        NotExact::VaryingCoefficient { var } => format!(
            "a coefficient of d{}/dt differs between neurons; give the parameters it reads one value",
            name(var)
        ),
        NotExact::TimeDependent { var } => format!(
            "d{}/dt reads the time, random numbers or a schedule, which change within a step",
            name(var)
        ),
    }
}
