//! Model classification: which populations a Loihi-style core can run, and
//! as what.
//!
//! The chip's neuron is the CUBA LIF compartment: a current u that decays
//! and takes the step's synaptic input, a voltage v that decays and adds u
//! and a bias, a spike when v exceeds a threshold, a reset to 0 and a
//! refractory period. A model maps onto it exactly when, with the voltage
//! measured from the reset value,
//!
//! - it is linear ODEs: `dv/dt = a·v + Σ cᵢ·Iᵢ + b` with currents
//!   `dIᵢ/dt = λᵢ·Iᵢ`, or discrete updates `u ← α·u + Σ β·input`,
//!   `v ← a·v + c·u + b`;
//! - it spikes on `v > θ` (or `v >= θ`), resets `v` to a constant and holds
//!   only `v` while refractory.
//!
//! For ODE models the mapping reproduces the exact propagator (the one the
//! CPU target integrates with): over a step, a current Iᵢ contributes
//! `Pᵢ·(Iᵢ + w)` to v with `Pᵢ = cᵢ·(eᵢ − e_v)/(λᵢ − a)`, `eᵢ = exp(λᵢ·dt)`,
//! `e_v = exp(a·dt)`. So a compartment whose u holds `(Pᵢ/eᵢ)·Iᵢ` after the
//! step, decays by `eᵢ` and takes `Pᵢ·w` per synapse gives the same v. A
//! weight landing on v itself is decayed with v in the step it arrives, so
//! it enters as `e_v·w` through a current that keeps nothing (du = 4095).
//! Currents with different decays need one compartment each: dendrites
//! whose u is added to the soma's v input (a join by addition).

use super::affine::{Affine, affine};
use super::error::ChipError;
use neurc_ir::{
    BinaryOp, Distribution, Dynamics, Expr, NeuronModel, NodeId, ParamValue, Population,
    SynapticTarget, Var,
};

/// The bias of a compartment, before quantization.
#[derive(Clone, Copy, PartialEq, Debug)]
pub enum Bias {
    /// The level (above the reset value) the leak pulls v to; the chip's
    /// bias is `dv · rest`, so the quantized decay keeps the same level.
    Rest(f64),
    /// Added to v every step (models without leak, and discrete updates).
    PerStep(f64),
}

/// One compartment's current: a decay and the state variables it sums.
#[derive(Clone, PartialEq, Debug)]
pub struct Current {
    /// The fraction of u kept per step (0: u holds only the step's input).
    pub keep: f64,
    /// `u = Σ factor · state`: the state variables it holds and how they
    /// scale into v units per step.
    pub states: Vec<(u32, f64)>,
}

/// Where a synaptic target lands on the chip.
#[derive(Clone, Copy, PartialEq, Debug)]
pub struct Landing {
    /// The current (compartment of the neuron) the weight goes to.
    pub current: u32,
    /// The weight on the chip, in v units, is `factor · weight`.
    pub factor: f64,
}

/// A population's neuron as chip compartments, in SI units (those of the
/// membrane variable), before quantization.
#[derive(Clone, PartialEq, Debug)]
pub struct ChipNeuron {
    /// The membrane variable.
    pub membrane: u32,
    /// The reset value: the chip's v is the membrane variable minus it.
    pub offset: f64,
    /// The threshold above the reset value.
    pub threshold: f64,
    /// Whether the model spikes at equality (`>=`); the chip tests `>`.
    pub inclusive: bool,
    /// The fraction of v kept per step.
    pub keep: f64,
    /// The bias.
    pub bias: Bias,
    /// The currents, one compartment each; the first is the soma's own.
    pub currents: Vec<Current>,
    /// Steps held after a spike (the chip's refractory delay is one more).
    pub refractory_steps: u32,
    /// Where each synaptic target of the model lands.
    pub landings: Vec<(SynapticTarget, Landing)>,
    /// The chip's own register values, when the model declares them as
    /// parameters (`du`, `dv`, `vth`, `bias_mant`, `bias_exp`,
    /// `refract_delay`, as the built-in `LoihiCuba` does).
    pub registers: Option<Registers>,
}

/// A chip-native model's register values, as written (checked to be
/// integers in range by quantization).
#[derive(Clone, Copy, PartialEq, Debug)]
pub struct Registers {
    /// Current decay.
    pub du: f64,
    /// Voltage decay.
    pub dv: f64,
    /// Threshold mantissa.
    pub vth: f64,
    /// Bias mantissa.
    pub bias_mant: f64,
    /// Bias exponent.
    pub bias_exp: f64,
    /// Refractory delay.
    pub refract_delay: f64,
}

/// The current of a landing on v, until every current is known and v gets
/// one that keeps nothing.
const UNASSIGNED: u32 = u32::MAX;

/// The parameter names of a chip-native model.
const REGISTERS: [&str; 6] = ["du", "dv", "vth", "bias_mant", "bias_exp", "refract_delay"];

impl Registers {
    /// The register values, if the model declares every register as a
    /// parameter; `params` are the population's values.
    fn of(model: &NeuronModel, params: &[f64]) -> Option<Registers> {
        let value = |name: &str| {
            let i = model.params.iter().position(|p| p.name == name)?;
            params.get(i).copied()
        };
        let [du, dv, vth, bias_mant, bias_exp, refract_delay] = REGISTERS.map(value);
        Some(Registers {
            du: du?,
            dv: dv?,
            vth: vth?,
            bias_mant: bias_mant?,
            bias_exp: bias_exp?,
            refract_delay: refract_delay?,
        })
    }
}

impl ChipNeuron {
    /// Where weights aimed at `target` land.
    pub fn landing(&self, target: SynapticTarget) -> Option<Landing> {
        self.landings
            .iter()
            .find(|(t, _)| *t == target)
            .map(|(_, l)| *l)
    }
}

/// Classifies the model of population `node` for `target` (a chip name,
/// for messages). `targets` are the synaptic targets its incoming
/// projections use.
pub fn classify(
    node: NodeId,
    population: &Population,
    model: &NeuronModel,
    targets: &[SynapticTarget],
    dt: f64,
    fixed: &neurc_ir::chip::FixedPoint,
    target: &str,
) -> Result<ChipNeuron, ChipError> {
    let unsupported = |reason: String| ChipError::Unsupported {
        node,
        population: population.name.clone(),
        model: model.name.clone(),
        target: target.to_string(),
        reason,
    };
    let mut params = Vec::with_capacity(model.params.len());
    for (decl, value) in model.params.iter().zip(&population.params) {
        match value {
            ParamValue::Scalar(Distribution::Constant(c)) => params.push(*c),
            _ => {
                return Err(ChipError::PopulationValue {
                    node,
                    population: population.name.clone(),
                    what: format!("parameter `{}`", decl.name),
                    target: target.to_string(),
                    reason: "it varies across neurons, and a core holds one compartment \
                             profile per population"
                        .into(),
                });
            }
        }
    }
    let param = |p: u32| params.get(p as usize).copied().unwrap_or(f64::NAN);
    let registers = Registers::of(model, &params);
    // A chip-native model's decays are checked first: out of their field
    // they would make its update look like some other model's.
    let one = f64::from(fixed.decay_one());
    let decays = registers.map(|r| [("du", r.du), ("dv", r.dv)]);
    for (name, value) in decays.into_iter().flatten() {
        if !(value.fract() == 0.0 && (0.0..one).contains(&value)) {
            return Err(ChipError::PopulationValue {
                node,
                population: population.name.clone(),
                what: format!("register `{name}` = {value}"),
                target: target.to_string(),
                reason: format!("the chip holds a whole number from 0 to {}", one - 1.0),
            });
        }
    }
    let form = |e: &Expr, what: &str| {
        affine(e, model, &param, dt).map_err(|why| unsupported(format!("{why} in {what}")))
    };
    let state_name = |i: u32| model.state[i as usize].name.as_str();

    let spike = model
        .spike
        .as_ref()
        .ok_or_else(|| unsupported("it never spikes".into()))?;
    let (membrane, threshold, inclusive) = threshold_test(spike, &form)
        .ok_or_else(|| unsupported("its spike condition is not `v > threshold`".into()))?;
    let v = state_name(membrane).to_string();
    // What the dynamics lack says most about why a model does not map, so
    // it is reported before the reset and refractory period.
    if let Dynamics::Ode(odes) = &model.dynamics {
        for ode in odes {
            form(&ode.rhs, &format!("d{}/dt", state_name(ode.var)))?;
        }
    }
    let offset = match model.reset.as_slice() {
        [reset] if reset.var == membrane => {
            let value = form(&reset.value, "the reset")?;
            if !value.terms.is_empty() {
                return Err(unsupported(format!("its reset of `{v}` reads the state")));
            }
            value.constant
        }
        _ => {
            return Err(unsupported(format!(
                "its reset does more than set `{v}` to a constant; the chip's reset sets only \
                 v, to 0"
            )));
        }
    };
    let threshold = threshold - offset;
    // A chip-native model may spike at any v above 0 (vth = 0), as the
    // chip does; any other needs a threshold to scale its voltage by.
    if threshold.is_nan() || threshold < 0.0 || (threshold == 0.0 && registers.is_none()) {
        return Err(unsupported(
            "its threshold is not above its reset value, and the chip spikes above v = 0 after \
             resetting to 0"
                .into(),
        ));
    }
    let refractory_steps = match &model.refractory {
        None => 0,
        Some(rule) => {
            if rule.held != [membrane] {
                let held: Vec<_> = rule.held.iter().map(|&i| state_name(i)).collect();
                return Err(unsupported(format!(
                    "it holds `{}` while refractory; the chip holds only v",
                    held.join("`, `")
                )));
            }
            let period = form(&rule.period, "the refractory period")?;
            let steps = period
                .terms
                .is_empty()
                .then(|| (period.constant / dt + 0.5).floor())
                .filter(|s| s.is_finite() && *s >= 0.0)
                .ok_or_else(|| unsupported("its refractory period is not a fixed time".into()))?;
            steps.min(f64::from(u32::MAX)) as u32
        }
    };
    let used = |i: u32| {
        targets.contains(&SynapticTarget::State(i))
            || population.init.get(i as usize) != Some(&Distribution::Constant(0.0))
    };
    let mut neuron = match &model.dynamics {
        Dynamics::Ode(odes) => {
            let derivative = |i: u32| odes.iter().find(|o| o.var == i).map(|o| &o.rhs);
            let dv = match derivative(membrane) {
                Some(rhs) => form(rhs, &format!("d{v}/dt"))?,
                None => Affine::default(),
            };
            let a = dv.coefficient(Var::State(membrane));
            if a > 0.0 {
                return Err(unsupported(format!(
                    "`{v}` grows without bound (d{v}/dt increases with {v})"
                )));
            }
            let keep = (a * dt).exp();
            let mut currents: Vec<Current> = Vec::new();
            let mut landings = vec![(
                SynapticTarget::State(membrane),
                Landing {
                    current: UNASSIGNED,
                    factor: keep,
                },
            )];
            for i in (0..model.state.len() as u32).filter(|&i| i != membrane) {
                let name = state_name(i);
                let (lambda, coupled) = match derivative(i) {
                    Some(rhs) => {
                        let f = form(rhs, &format!("d{name}/dt"))?;
                        let lambda = f.coefficient(Var::State(i));
                        if f.constant != 0.0 || f.terms.len() > usize::from(lambda != 0.0) {
                            return Err(unsupported(format!(
                                "`{name}` is not an exponentially decaying current \
                                 (d{name}/dt = -{name} / tau)"
                            )));
                        }
                        (lambda, dv.coefficient(Var::State(i)))
                    }
                    None => (0.0, dv.coefficient(Var::State(i))),
                };
                if !used(i) {
                    continue;
                }
                if lambda > 0.0 {
                    return Err(unsupported(format!("`{name}` grows without bound")));
                }
                let e = (lambda * dt).exp();
                let p = if lambda == a {
                    coupled * dt * keep
                } else {
                    coupled * (e - keep) / (lambda - a)
                };
                let current = match currents.iter().position(|c| c.keep == e) {
                    Some(k) => k,
                    None => {
                        currents.push(Current {
                            keep: e,
                            states: Vec::new(),
                        });
                        currents.len() - 1
                    }
                };
                currents[current].states.push((i, p / e));
                landings.push((
                    SynapticTarget::State(i),
                    Landing {
                        current: current as u32,
                        factor: p,
                    },
                ));
            }
            if let Some(var) = dv.terms.keys().find(|k| matches!(k, Var::Input(_))) {
                return Err(unsupported(format!("d{v}/dt reads an input ({var:?})")));
            }
            let drift = dv.constant + a * offset;
            let bias = if a < 0.0 {
                Bias::Rest(-drift / a)
            } else {
                Bias::PerStep(drift * dt)
            };
            ChipNeuron {
                membrane,
                offset,
                threshold,
                inclusive,
                keep,
                bias,
                currents,
                refractory_steps,
                landings,
                registers: None,
            }
        }
        Dynamics::Update(assignments) => {
            classify_update(model, assignments, membrane, &form, &unsupported)?.finish(
                offset,
                threshold,
                inclusive,
                refractory_steps,
            )
        }
        Dynamics::None => return Err(unsupported("it has no dynamics".into())),
    };
    // Weights on v enter through a current that keeps nothing: the soma's
    // own if no current of the model keeps nothing already.
    if targets.contains(&SynapticTarget::State(membrane)) {
        let instant = match neuron.currents.iter().position(|c| c.keep == 0.0) {
            Some(k) => k,
            None => {
                neuron.currents.push(Current {
                    keep: 0.0,
                    states: Vec::new(),
                });
                neuron.currents.len() - 1
            }
        };
        for (t, landing) in &mut neuron.landings {
            if *t == SynapticTarget::State(membrane) {
                landing.current = instant as u32;
            }
        }
    }
    neuron
        .landings
        .retain(|(t, l)| l.current != UNASSIGNED && targets.contains(t));
    neuron.registers = registers;
    if neuron.currents.is_empty() {
        neuron.currents.push(Current {
            keep: 0.0,
            states: Vec::new(),
        });
    }
    for t in targets {
        if neuron.landing(*t).is_none() {
            return Err(unsupported(format!(
                "synapses land on {}, which the chip's compartment does not have",
                match t {
                    SynapticTarget::State(i) => format!("`{}`", state_name(*i)),
                    SynapticTarget::Input(i) =>
                        format!("input `{}`", model.inputs[*i as usize].name),
                }
            )));
        }
    }
    Ok(neuron)
}

/// `v > θ`, `v >= θ`, `θ < v` or `θ <= v` with a constant θ: the membrane
/// variable, θ, and whether equality spikes.
fn threshold_test(
    spike: &Expr,
    form: &dyn Fn(&Expr, &str) -> Result<Affine, ChipError>,
) -> Option<(u32, f64, bool)> {
    let Expr::Binary(op, left, right) = spike else {
        return None;
    };
    let (var, bound, inclusive) = match (op, &**left, &**right) {
        (BinaryOp::Gt, Expr::Var(Var::State(v)), b) => (*v, b, false),
        (BinaryOp::Ge, Expr::Var(Var::State(v)), b) => (*v, b, true),
        (BinaryOp::Lt, b, Expr::Var(Var::State(v))) => (*v, b, false),
        (BinaryOp::Le, b, Expr::Var(Var::State(v))) => (*v, b, true),
        _ => return None,
    };
    let bound = form(bound, "the threshold").ok()?;
    bound
        .terms
        .is_empty()
        .then_some((var, bound.constant, inclusive))
}

/// A discrete-time model's compartment before its spike and reset are
/// known.
struct UpdateShape {
    membrane: u32,
    keep: f64,
    bias: f64,
    currents: Vec<Current>,
    landings: Vec<(SynapticTarget, Landing)>,
}

impl UpdateShape {
    fn finish(
        self,
        offset: f64,
        threshold: f64,
        inclusive: bool,
        refractory_steps: u32,
    ) -> ChipNeuron {
        ChipNeuron {
            membrane: self.membrane,
            offset,
            threshold,
            inclusive,
            keep: self.keep,
            bias: Bias::PerStep(self.bias + (self.keep - 1.0) * offset),
            currents: self.currents,
            refractory_steps,
            landings: self.landings,
            registers: None,
        }
    }
}

/// `u ← α·u + Σ βⱼ·inputⱼ` then `v ← a·v + c·u + b`, or `v ← a·v + Σ
/// βⱼ·inputⱼ + b` alone.
fn classify_update(
    model: &NeuronModel,
    assignments: &[neurc_ir::Assignment],
    membrane: u32,
    form: &dyn Fn(&Expr, &str) -> Result<Affine, ChipError>,
    unsupported: &dyn Fn(String) -> ChipError,
) -> Result<UpdateShape, ChipError> {
    let name = |i: u32| model.state[i as usize].name.as_str();
    let inputs = |f: &Affine, scale: f64| -> Vec<(SynapticTarget, Landing)> {
        f.terms
            .iter()
            .filter_map(|(var, c)| match var {
                Var::Input(j) => Some((
                    SynapticTarget::Input(*j),
                    Landing {
                        current: 0,
                        factor: c * scale,
                    },
                )),
                _ => None,
            })
            .collect()
    };
    let shape_error = || {
        unsupported(format!(
            "its update is not `u = u * (1 - du) + input` then `{0} = {0} * (1 - dv) + u + bias`",
            name(membrane)
        ))
    };
    match assignments {
        [current, voltage] if voltage.var == membrane && current.var != membrane => {
            let u = current.var;
            let fu = form(&current.value, &format!("the update of `{}`", name(u)))?;
            let fv = form(
                &voltage.value,
                &format!("the update of `{}`", name(membrane)),
            )?;
            let alpha = fu.coefficient(Var::State(u));
            let (a, c) = (
                fv.coefficient(Var::State(membrane)),
                fv.coefficient(Var::State(u)),
            );
            let only = |f: &Affine, allowed: &[Var]| {
                f.terms
                    .keys()
                    .all(|k| allowed.contains(k) || matches!(k, Var::Input(_)))
            };
            if fu.constant != 0.0
                || !only(&fu, &[Var::State(u)])
                || fv.terms.keys().any(|k| matches!(k, Var::Input(_)))
                || !only(&fv, &[Var::State(u), Var::State(membrane)])
                || c <= 0.0
                || !(0.0..=1.0).contains(&alpha)
                || !(0.0..=1.0).contains(&a)
            {
                return Err(shape_error());
            }
            let mut landings = inputs(&fu, c);
            landings.push((
                SynapticTarget::State(u),
                Landing {
                    current: 0,
                    factor: c * alpha,
                },
            ));
            landings.push((
                SynapticTarget::State(membrane),
                Landing {
                    current: UNASSIGNED,
                    factor: a,
                },
            ));
            Ok(UpdateShape {
                membrane,
                keep: a,
                bias: fv.constant,
                currents: vec![Current {
                    keep: alpha,
                    states: vec![(u, c)],
                }],
                landings,
            })
        }
        [voltage] if voltage.var == membrane => {
            let fv = form(
                &voltage.value,
                &format!("the update of `{}`", name(membrane)),
            )?;
            let a = fv.coefficient(Var::State(membrane));
            if fv
                .terms
                .keys()
                .any(|k| !matches!(k, Var::Input(_)) && *k != Var::State(membrane))
                || !(0.0..=1.0).contains(&a)
            {
                return Err(shape_error());
            }
            let mut landings = inputs(&fv, 1.0);
            landings.push((
                SynapticTarget::State(membrane),
                Landing {
                    current: UNASSIGNED,
                    factor: a,
                },
            ));
            Ok(UpdateShape {
                membrane,
                keep: a,
                bias: fv.constant,
                currents: vec![Current {
                    keep: 0.0,
                    states: Vec::new(),
                }],
                landings,
            })
        }
        _ => Err(shape_error()),
    }
}
