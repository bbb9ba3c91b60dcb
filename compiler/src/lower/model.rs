//! Lowering of `neuron` declarations to [`NeuronModel`]s: parameter and
//! state values, dimension-checked dynamics, spike, reset and refractoriness.

use super::expr::{Binding, ModelScope, Ty, lower_expr};
use super::scope::Locals;
use super::units::unit_of;
use super::value::{Eval, Report, Scope, Value, describe_dimension, eval};
use crate::diagnostic::Diagnostic;
use crate::front::ast::{Assign, ModelDecl, Section, SectionKind};
use crate::suggest::closest;
use neurc_ir::{
    Assignment, Dimension, Distribution, Dynamics, Expr, Func, InputDecl, Method, NeuronModel, Ode,
    ParamDecl, ParamValue, Refractory, Span, StateDecl, Var,
};

/// Names every model expression can read besides the model's own.
const BUILT_INS: [(&str, Var); 2] = [("t", Var::Time), ("dt", Var::Dt)];

/// Collects the problems of one model without stopping at the first.
struct ModelLowering<'m, 's> {
    decl: &'m ModelDecl,
    consts: &'s dyn Scope,
    diagnostics: &'m mut Vec<Diagnostic>,
    /// Parameters, state variables and inputs declared so far, with their
    /// spans: the three share one namespace.
    declared: Vec<(String, Span)>,
}

/// Lowers a `neuron` declaration, reporting every problem found. Returns
/// `None` if any was found.
pub fn lower_neuron(
    decl: &ModelDecl,
    consts: &dyn Scope,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<NeuronModel> {
    let before = diagnostics.len();
    let mut cx = ModelLowering {
        decl,
        consts,
        diagnostics,
        declared: Vec::new(),
    };
    let sections = cx.sections();
    let (params, param_values) = cx.params(sections.parameters);
    let state = cx.state(sections.state, &param_values);
    let inputs = cx.inputs(sections.inputs);

    let mut bindings: Vec<(String, Binding)> = Vec::new();
    for (i, p) in params.iter().enumerate() {
        let is_schedule = matches!(p.default, ParamValue::Schedule(_));
        bindings.push((
            p.name.clone(),
            Binding {
                var: Var::Param(i as u32),
                dimension: p.dimension,
                is_schedule,
            },
        ));
    }
    for (i, s) in state.iter().enumerate() {
        bindings.push((
            s.name.clone(),
            Binding {
                var: Var::State(i as u32),
                dimension: s.dimension,
                is_schedule: false,
            },
        ));
    }
    for (i, s) in inputs.iter().enumerate() {
        bindings.push((
            s.name.clone(),
            Binding {
                var: Var::Input(i as u32),
                dimension: s.dimension,
                is_schedule: false,
            },
        ));
    }
    for (name, var) in BUILT_INS {
        bindings.push((
            name.into(),
            Binding {
                var,
                dimension: Dimension::TIME,
                is_schedule: false,
            },
        ));
    }
    let scope = ModelScope { bindings, consts };

    let dynamics = cx.dynamics(&sections, &state, &inputs, &scope);
    let spike = sections.spike.and_then(|(expr, _)| {
        let (lowered, ty) = cx.diagnostics.ok(lower_expr(expr, &scope))?;
        // `spike poisson(mean)` spikes a Poisson-distributed number of times.
        let counts = matches!(lowered, Expr::Call(Func::Poisson, _));
        if ty != Ty::Condition && !counts {
            cx.diagnostics.push(
                Diagnostic::error(
                    "neurc::model::spike_not_condition",
                    format!(
                        "the spike condition of `{}` is {}, not a condition",
                        decl.name.name,
                        ty_name(ty)
                    ),
                )
                .label(expr.loc.0, "not a condition")
                .help(
                    "compare the membrane variable with a threshold, e.g. `spike v > v_th`, \
                     or spike a Poisson count of times with `spike poisson(rate * dt)`",
                ),
            );
            return None;
        }
        Some(lowered)
    });
    let reset = sections
        .reset
        .map(|entries| cx.assignments(entries, &state, &scope, "reset"))
        .unwrap_or_default();
    let refractory = sections
        .refractory
        .and_then(|(period, hold, _)| cx.refractory(period, hold, spike.as_ref(), &state, &scope));
    if spike.is_none() && sections.spike.is_none() {
        for (what, span) in [
            ("reset", sections.reset_span),
            ("refractory", sections.refractory.map(|r| r.2)),
        ] {
            if let Some(span) = span {
                cx.diagnostics.push(
                    Diagnostic::error(
                        "neurc::model::missing_spike",
                        format!("`{}` has a {what} but no spike condition", decl.name.name),
                    )
                    .label(span, format!("{what} without a spike"))
                    .label(decl.name.loc.0, "in this model")
                    .help("add a spike condition, e.g. `spike v > v_th`"),
                );
            }
        }
    }
    let method = cx.method(sections.method, matches!(dynamics, Dynamics::Ode(_)));
    if cx.diagnostics.len() > before {
        return None;
    }
    Some(NeuronModel {
        name: decl.name.name.clone(),
        params,
        state,
        inputs,
        dynamics,
        method,
        spike,
        reset,
        refractory,
    })
}

fn ty_name(ty: Ty) -> String {
    match ty {
        Ty::Number(d) => describe_dimension(d),
        Ty::Condition => "a condition".into(),
    }
}

/// The sections of a model, each at most once.
#[derive(Default)]
struct Sections<'m> {
    parameters: &'m [Assign],
    state: &'m [Assign],
    inputs: &'m [crate::front::ast::InputDecl],
    equations: Option<(&'m [crate::front::ast::Equation], Span)>,
    update: Option<(&'m [Assign], Span)>,
    spike: Option<(&'m crate::front::ast::Expr, Span)>,
    reset: Option<&'m [Assign]>,
    reset_span: Option<Span>,
    refractory: Option<(
        &'m crate::front::ast::Expr,
        &'m [crate::front::ast::Ident],
        Span,
    )>,
    method: Option<&'m crate::front::ast::Ident>,
}

impl<'m> ModelLowering<'m, '_> {
    fn sections(&mut self) -> Sections<'m> {
        let mut s = Sections::default();
        let mut seen: Vec<(&str, Span)> = Vec::new();
        let decl = self.decl;
        for Section { kind, loc, .. } in &decl.sections {
            let span = loc.0;
            let keyword = kind.keyword();
            if let Some((_, first)) = seen.iter().find(|(k, _)| *k == keyword) {
                self.diagnostics.push(
                    Diagnostic::error(
                        "neurc::model::duplicate_section",
                        format!("`{}` has two `{keyword}` sections", decl.name.name),
                    )
                    .label(span, "second section")
                    .label(*first, "first section")
                    .help("merge them into one section"),
                );
                continue;
            }
            seen.push((keyword, span));
            match kind {
                SectionKind::Parameters(a) => s.parameters = a,
                SectionKind::State(a) => s.state = a,
                SectionKind::Inputs(i) => s.inputs = i,
                SectionKind::Equations(e) => s.equations = Some((e, span)),
                SectionKind::Update(a) => s.update = Some((a, span)),
                SectionKind::Spike(e) => s.spike = Some((e, span)),
                SectionKind::Reset(a) => {
                    s.reset = Some(a);
                    s.reset_span = Some(span);
                }
                SectionKind::Refractory { period, hold } => {
                    s.refractory = Some((period, hold, span))
                }
                SectionKind::Method(m) => s.method = Some(m),
                SectionKind::OnPre(_) | SectionKind::OnPost(_) => self.diagnostics.push(
                    Diagnostic::error(
                        "neurc::model::wrong_section",
                        format!("a neuron model has no `{keyword}` section"),
                    )
                    .label(span, "only plasticity rules have this section")
                    .help("move it into a `plasticity` declaration"),
                ),
            }
        }
        s
    }

    fn check_unique(&mut self, name: &str, span: Span) -> bool {
        if let Some((_, first)) = self.declared.iter().find(|(n, _)| n == name) {
            self.diagnostics.push(
                Diagnostic::error(
                    "neurc::name::duplicate",
                    format!("`{name}` is declared twice in `{}`", self.decl.name.name),
                )
                .label(span, "declared again here")
                .label(*first, "first declared here")
                .help("parameters, state variables and inputs of a model need distinct names"),
            );
            return false;
        }
        if BUILT_INS.iter().any(|(b, _)| *b == name) {
            self.diagnostics.push(
                Diagnostic::error(
                    "neurc::name::reserved",
                    format!("`{name}` is a built-in name"),
                )
                .label(span, "cannot be redeclared")
                .help("`t` is the simulated time and `dt` the step: pick another name"),
            );
            return false;
        }
        self.declared.push((name.to_string(), span));
        true
    }

    fn params(&mut self, entries: &[Assign]) -> (Vec<ParamDecl>, Vec<(String, Value)>) {
        let mut declared = Vec::new();
        let mut values: Vec<(String, Value)> = Vec::new();
        for entry in entries {
            if !self.check_unique(&entry.name.name, entry.name.loc.0) {
                continue;
            }
            let scope = Locals {
                values: &values,
                outer: self.consts,
            };
            let Some(value) = self.diagnostics.ok(eval(&entry.value, &scope)) else {
                continue;
            };
            let Some((default, dimension)) = self.diagnostics.ok(param_value(&value, entry)) else {
                continue;
            };
            values.push((entry.name.name.clone(), value));
            declared.push(ParamDecl {
                name: entry.name.name.clone(),
                dimension,
                default,
            });
        }
        (declared, values)
    }

    fn state(&mut self, entries: &[Assign], params: &[(String, Value)]) -> Vec<StateDecl> {
        let mut declared = Vec::new();
        let scope = Locals {
            values: params,
            outer: self.consts,
        };
        for entry in entries {
            if !self.check_unique(&entry.name.name, entry.name.loc.0) {
                continue;
            }
            let what = format!("the initial value of `{}`", entry.name.name);
            if let Some((init, dimension)) =
                self.diagnostics
                    .ok(super::value::eval_distribution(&entry.value, &scope, &what))
            {
                declared.push(StateDecl {
                    name: entry.name.name.clone(),
                    dimension,
                    init,
                });
            }
        }
        declared
    }

    fn inputs(&mut self, entries: &[crate::front::ast::InputDecl]) -> Vec<InputDecl> {
        let mut declared = Vec::new();
        for entry in entries {
            if !self.check_unique(&entry.name.name, entry.name.loc.0) {
                continue;
            }
            match unit_of(&entry.unit) {
                Ok((_, dimension)) => declared.push(InputDecl {
                    name: entry.name.name.clone(),
                    dimension,
                }),
                Err(d) => self.diagnostics.push(d),
            }
        }
        declared
    }

    fn dynamics(
        &mut self,
        s: &Sections<'_>,
        state: &[StateDecl],
        inputs: &[InputDecl],
        scope: &ModelScope<'_>,
    ) -> Dynamics {
        match (s.equations, s.update) {
            (Some((_, eq_span)), Some((_, up_span))) => {
                self.diagnostics.push(
                    Diagnostic::error(
                        "neurc::model::mixed_dynamics",
                        format!(
                            "`{}` has both `equations` and `update`",
                            self.decl.name.name
                        ),
                    )
                    .label(up_span, "discrete update")
                    .label(eq_span, "differential equations")
                    .help("a model evolves either by ODEs or by a discrete update: keep one"),
                );
                Dynamics::None
            }
            (Some((equations, span)), None) => {
                if !inputs.is_empty() {
                    self.diagnostics.push(
                        Diagnostic::error(
                            "neurc::model::inputs_with_equations",
                            "inputs are read by discrete `update` blocks only",
                        )
                        .label(span, "this model uses equations")
                        .help(
                            "let projections land on a state variable (`weight = w -> v`) instead",
                        ),
                    );
                }
                Dynamics::Ode(self.equations(equations, state, scope))
            }
            (None, Some((entries, _))) => {
                Dynamics::Update(self.assignments(entries, state, scope, "update"))
            }
            (None, None) => Dynamics::None,
        }
    }

    fn equations(
        &mut self,
        equations: &[crate::front::ast::Equation],
        state: &[StateDecl],
        scope: &ModelScope<'_>,
    ) -> Vec<Ode> {
        let mut odes: Vec<Ode> = Vec::new();
        for eq in equations {
            let name = &eq.var.name;
            let Some(var) = state.iter().position(|s| &s.name == name) else {
                let d = Diagnostic::error(
                    "neurc::model::unknown_state",
                    format!("`d{name}/dt` differentiates `{name}`, which is not a state variable"),
                )
                .label(eq.var.loc.0, "not in `state`");
                let names = state.iter().map(|s| s.name.as_str());
                self.diagnostics.push(match closest(name, names) {
                    Some(near) => d.help(format!("did you mean `{near}`?")),
                    None => d.help(format!("declare it: `state {{ {name} = ... }}`")),
                });
                continue;
            };
            if odes.iter().any(|o| o.var as usize == var) {
                self.diagnostics.push(
                    Diagnostic::error(
                        "neurc::model::duplicate_equation",
                        format!("`{name}` has two equations"),
                    )
                    .label(eq.loc.0, "second equation")
                    .help("a state variable has one derivative: add the terms into one equation"),
                );
                continue;
            }
            let Some((rhs, ty)) = self.diagnostics.ok(lower_expr(&eq.rhs, scope)) else {
                continue;
            };
            let expected = state[var].dimension / Dimension::TIME;
            match ty {
                Ty::Number(d) if d == expected => odes.push(Ode {
                    var: var as u32,
                    rhs,
                }),
                ty => self.diagnostics.push(
                    Diagnostic::error(
                        "neurc::unit::equation",
                        format!(
                            "the right-hand side of `d{name}/dt` is {}, but `d{name}/dt` is {}",
                            ty_name(ty),
                            describe_dimension(expected)
                        ),
                    )
                    .label(eq.rhs.loc.0, format!("this is {}", ty_name(ty)))
                    .label(
                        eq.var.loc.0,
                        format!("`{name}` is {}", describe_dimension(state[var].dimension)),
                    )
                    .help(match ty {
                        Ty::Number(d) if d == state[var].dimension => {
                            "divide by a time constant, e.g. `(...) / tau`".to_string()
                        }
                        _ => format!("both sides must be {}", describe_dimension(expected)),
                    }),
                ),
            }
        }
        odes
    }

    fn assignments(
        &mut self,
        entries: &[Assign],
        state: &[StateDecl],
        scope: &ModelScope<'_>,
        block: &str,
    ) -> Vec<Assignment> {
        let mut lowered = Vec::new();
        for entry in entries {
            let name = &entry.name.name;
            let Some(var) = state.iter().position(|s| &s.name == name) else {
                let d = Diagnostic::error(
                    "neurc::model::unknown_state",
                    format!("`{block}` assigns `{name}`, which is not a state variable"),
                )
                .label(entry.name.loc.0, "not in `state`");
                self.diagnostics
                    .push(match closest(name, state.iter().map(|s| s.name.as_str())) {
                        Some(near) => d.help(format!("did you mean `{near}`?")),
                        None => d.help("only state variables can be assigned"),
                    });
                continue;
            };
            let Some((value, ty)) = self.diagnostics.ok(lower_expr(&entry.value, scope)) else {
                continue;
            };
            if ty != Ty::Number(state[var].dimension) {
                self.diagnostics.push(
                    Diagnostic::error(
                        "neurc::unit::assignment",
                        format!(
                            "`{name}` is {}, but the value assigned is {}",
                            describe_dimension(state[var].dimension),
                            ty_name(ty)
                        ),
                    )
                    .label(entry.value.loc.0, format!("this is {}", ty_name(ty)))
                    .help(format!(
                        "the value must be {}",
                        describe_dimension(state[var].dimension)
                    )),
                );
                continue;
            }
            lowered.push(Assignment {
                var: var as u32,
                value,
            });
        }
        lowered
    }

    fn refractory(
        &mut self,
        period: &crate::front::ast::Expr,
        hold: &[crate::front::ast::Ident],
        spike: Option<&Expr>,
        state: &[StateDecl],
        scope: &ModelScope<'_>,
    ) -> Option<Refractory> {
        let (lowered, ty) = self.diagnostics.ok(lower_expr(period, scope))?;
        if ty != Ty::Number(Dimension::TIME) {
            self.diagnostics.push(
                Diagnostic::error(
                    "neurc::unit::refractory",
                    format!(
                        "the refractory period must be a time, but this is {}",
                        ty_name(ty)
                    ),
                )
                .label(period.loc.0, format!("this is {}", ty_name(ty)))
                .help("write it with a time unit, e.g. `refractory 2 ms`"),
            );
            return None;
        }
        let mut held = Vec::new();
        for ident in hold {
            match state.iter().position(|s| s.name == ident.name) {
                Some(i) => held.push(i as u32),
                None => self.diagnostics.push(
                    Diagnostic::error(
                        "neurc::model::unknown_state",
                        format!(
                            "`{}` is not a state variable and cannot be held",
                            ident.name
                        ),
                    )
                    .label(ident.loc.0, "not in `state`"),
                ),
            }
        }
        if hold.is_empty()
            && let Some(spike) = spike
        {
            spike.walk(&mut |e| {
                if let Expr::Var(Var::State(i)) = e
                    && !held.contains(i)
                {
                    held.push(*i);
                }
            });
        }
        Some(Refractory {
            period: lowered,
            held,
        })
    }

    fn method(&mut self, method: Option<&crate::front::ast::Ident>, has_equations: bool) -> Method {
        let Some(ident) = method else {
            return Method::Auto;
        };
        let all = [
            Method::Auto,
            Method::Exact,
            Method::Euler,
            Method::Rk2,
            Method::Rk4,
        ];
        let Some(m) = all.into_iter().find(|m| m.name() == ident.name) else {
            let d = Diagnostic::error(
                "neurc::model::unknown_method",
                format!("unknown integration method `{}`", ident.name),
            )
            .label(ident.loc.0, "not a method");
            let names = all.map(Method::name);
            self.diagnostics.push(match closest(&ident.name, names) {
                Some(near) => d.help(format!("did you mean `{near}`?")),
                None => d.help(format!("methods: {}", names.join(", "))),
            });
            return Method::Auto;
        };
        if !has_equations {
            self.diagnostics.push(
                Diagnostic::error(
                    "neurc::model::method_without_equations",
                    "an integration method needs `equations`",
                )
                .label(ident.loc.0, "nothing to integrate")
                .help("remove `method`, or write the dynamics as `equations`"),
            );
        }
        m
    }
}

/// A parameter's value: a number or distribution, or a list of spike times
/// (one list for all neurons, or a list of lists, one per neuron).
pub fn param_value(value: &Value, entry: &Assign) -> Eval<(ParamValue, Dimension)> {
    let span = entry.value.loc.0;
    match value {
        Value::Number(q) => Ok((
            ParamValue::Scalar(Distribution::Constant(q.value)),
            q.dimension,
        )),
        Value::Dist(d, dim) => Ok((ParamValue::Scalar(d.clone()), *dim)),
        Value::List(items) => {
            let nested = items.iter().any(|v| matches!(v, Value::List(_)));
            let lists: Vec<&[Value]> = if nested {
                items
                    .iter()
                    .map(|v| match v {
                        Value::List(inner) => inner.as_slice(),
                        other => std::slice::from_ref(other),
                    })
                    .collect()
            } else {
                vec![items.as_slice()]
            };
            let mut schedule = Vec::with_capacity(lists.len());
            for list in lists {
                let mut times = Vec::with_capacity(list.len());
                for v in list {
                    match v {
                        Value::Number(q) if q.dimension == Dimension::TIME && q.value >= 0.0 => {
                            times.push(q.value)
                        }
                        other => {
                            return Err(Diagnostic::error(
                                "neurc::value::schedule",
                                format!(
                                    "a spike-time list holds non-negative times, but `{}` holds {}",
                                    entry.name.name,
                                    other.describe()
                                ),
                            )
                            .label(span, "in this list")
                            .help("write times with a unit, e.g. `[1 ms, 2.5 ms]`")
                            .into());
                        }
                    }
                }
                times.sort_by(f64::total_cmp);
                schedule.push(times);
            }
            Ok((ParamValue::Schedule(schedule), Dimension::TIME))
        }
        other => Err(Diagnostic::error(
            "neurc::type::expected_number",
            format!(
                "the parameter `{}` must be a number, a distribution or a list of times, not {}",
                entry.name.name,
                other.describe()
            ),
        )
        .label(span, format!("this is {}", other.describe()))
        .into()),
    }
}
