//! Lowering of `connect` items: one projection per (pre, post) pair, with
//! its rule, weight, target variable, delay and autapse/multapse choices.

use super::expr::{Binding, ModelScope, Ty, lower_expr};
use super::network::{NetworkBuilder, boolean, unknown_setting, whole_number};
use super::scope::Consts;
use super::value::{
    Eval, Report, Value, describe_dimension, eval, eval_distribution, eval_number, expect_dimension,
};
use crate::diagnostic::Diagnostic;
use crate::front::ast::{Arg, CallSpec, ConnectDecl, ConnectSetting, Expr, Ident};
use crate::suggest::closest;
use neurc_ir::chip::SignMode;
use neurc_ir::{
    ChipWeights, Dimension, Distribution, Edge, NeuronRange, NodeId, ProjId, Projection, Rule,
    Span, SynapticTarget, Var,
};
use std::path::Path;

/// The rules a `connect` can name, with their arguments.
const RULES: &[(&str, &[&str])] = &[
    ("all_to_all", &[]),
    ("one_to_one", &[]),
    ("bernoulli", &["p"]),
    ("fixed_indegree", &["k"]),
    ("fixed_outdegree", &["k"]),
    ("fixed_total", &["n"]),
    ("distance", &["p"]),
    ("dense", &["matrix"]),
    ("from_file", &["path"]),
];

/// The settings of a `connect` body, evaluated once for every pair.
struct Settings<'d> {
    /// The weight, its dimension, the variable it lands on and its span.
    weight: (Distribution, Dimension, &'d Ident, Span),
    delay: Option<Distribution>,
    autapses: bool,
    multapses: bool,
    chip_weights: Option<ChipWeights>,
}

/// Lowers `connect pre... -> post... : rule { settings }`.
pub fn lower_connect(b: &mut NetworkBuilder<'_>, decl: &ConnectDecl, span: Span) {
    let settings = settings(b, decl, span);
    let rule = rule(b, &decl.rule);
    let pres: Vec<_> = decl.pre.iter().map(|r| (b.pop_ref(r), r)).collect();
    let posts: Vec<_> = decl.post.iter().map(|r| (b.pop_ref(r), r)).collect();
    let (Some(settings), Some(rule)) = (settings, rule) else {
        return;
    };
    for (pre, pre_ref) in &pres {
        for (post, post_ref) in &posts {
            let (Some(pre), Some(post)) = (*pre, *post) else {
                continue;
            };
            let Some(target) = synaptic_target(b, &settings, post.0, post_ref.loc.0) else {
                continue;
            };
            let name = format!(
                "{} -> {}",
                describe_ref(b, pre.0, pre.1),
                describe_ref(b, post.0, post.1)
            );
            if !rule_fits(b, &rule, &settings, pre, post, (&name, decl.rule.loc.0)) {
                continue;
            }
            let projection = Projection {
                name,
                pre: pre.1,
                post: post.1,
                rule: rule.clone(),
                weight: settings.weight.0.clone(),
                target,
                delay: settings
                    .delay
                    .clone()
                    .unwrap_or(Distribution::Constant(b.network.simulation.dt)),
                autapses: settings.autapses,
                multapses: settings.multapses,
                chip_weights: settings.chip_weights,
            };
            let edge = b.network.graph.add_edge(
                pre.0.index(),
                post.0.index(),
                Edge::Projection(projection),
            );
            b.network.spans.edges.insert(
                ProjId::from(edge),
                pre_ref.loc.0.to(post_ref.loc.0).to(span),
            );
        }
    }
}

/// The smallest value a distribution can draw, if it is bounded below.
fn lowest_value(d: &Distribution) -> Option<f64> {
    match d {
        Distribution::Constant(c) => Some(*c),
        Distribution::Uniform { low, .. } | Distribution::Clipped { low, .. } => Some(*low),
        Distribution::LogNormal { median, .. } => Some(median.min(0.0)),
        Distribution::Normal { .. } => None,
    }
}

fn describe_ref(b: &NetworkBuilder<'_>, node: NodeId, range: NeuronRange) -> String {
    let Some(pop) = b.network.node(node).and_then(|n| n.population()) else {
        return node.to_string();
    };
    if range.start == 0 && range.end == pop.size {
        pop.name.clone()
    } else {
        format!("{}[{}..{}]", pop.name, range.start, range.end)
    }
}

fn settings<'d>(
    b: &mut NetworkBuilder<'_>,
    decl: &'d ConnectDecl,
    span: Span,
) -> Option<Settings<'d>> {
    let mut weight = None;
    let (mut delay, mut autapses, mut multapses) = (None, true, true);
    let mut ok = true;
    let mut chip = ChipSettings::default();
    for setting in &decl.settings {
        match setting {
            ConnectSetting::Weight { value, target, .. } => {
                match b
                    .diagnostics
                    .ok(eval_distribution(value, b.consts, "a weight"))
                {
                    Some((d, dim)) => weight = Some((d, dim, target, value.loc.0)),
                    None => ok = false,
                }
            }
            ConnectSetting::Assign(entry) => match entry.name.name.as_str() {
                "delay" => match b.diagnostics.ok(delay_value(entry, b.consts)) {
                    Some(d) => delay = Some(d),
                    None => ok = false,
                },
                "autapses" => match b.diagnostics.ok(boolean(entry, b.consts)) {
                    Some(v) => autapses = v,
                    None => ok = false,
                },
                "multapses" => match b.diagnostics.ok(boolean(entry, b.consts)) {
                    Some(v) => multapses = v,
                    None => ok = false,
                },
                "plasticity" => {
                    b.unsupported("plasticity", entry.name.loc.0);
                    ok = false;
                }
                "weight_bits" | "weight_exp" | "sign_mode" => {
                    if b.diagnostics.ok(chip.set(entry, b.consts)).is_none() {
                        ok = false;
                    }
                }
                other => {
                    b.diagnostics.push(unknown_setting(
                        other,
                        entry.name.loc.0,
                        "a `connect`",
                        &[
                            "weight",
                            "delay",
                            "autapses",
                            "multapses",
                            "plasticity",
                            "weight_bits",
                            "weight_exp",
                            "sign_mode",
                        ],
                    ));
                    ok = false;
                }
            },
        }
    }
    let Some(mut weight) = weight else {
        if ok {
            b.diagnostics.push(
                Diagnostic::error(
                    "neurc::connect::missing_weight",
                    "this projection has no weight",
                )
                .label(
                    decl.rule.loc.0,
                    "synapses need a weight and a target variable",
                )
                .label(span, "in this `connect`")
                .help("add `{ weight = 1 mV -> v }`: the weight and the variable it lands on"),
            );
        }
        return None;
    };
    let chip_weights = chip.weights();
    if let Some(format) = chip_weights {
        let unit = 2f64.powi(6 + i32::from(format.weight_exponent));
        weight.0 = scaled(&weight.0, unit);
    }
    ok.then_some(Settings {
        weight,
        delay,
        autapses,
        multapses,
        chip_weights,
    })
}

/// A delay: a time that cannot be negative.
fn delay_value(
    entry: &crate::front::ast::Assign,
    consts: &dyn super::value::Scope,
) -> Eval<Distribution> {
    let (d, dim) = eval_distribution(&entry.value, consts, "a delay")?;
    expect_dimension(dim, Dimension::TIME, entry.value.loc.0, "a delay")?;
    if lowest_value(&d).is_some_and(|low| low < 0.0) {
        return Err(Diagnostic::error(
            "neurc::value::negative_delay",
            "a delay cannot be negative",
        )
        .label(entry.value.loc.0, "negative")
        .help("delays are at least one step; give a non-negative time")
        .into());
    }
    Ok(d)
}

/// Where the weight lands in the post population's model, checking its
/// dimension against the weight's.
fn synaptic_target(
    b: &mut NetworkBuilder<'_>,
    s: &Settings<'_>,
    post: NodeId,
    post_span: Span,
) -> Option<SynapticTarget> {
    let (_, weight_dim, ident, weight_span) = &s.weight;
    let node = b.network.node(post)?;
    let pop = node.population()?;
    let model = b.network.model(pop.model)?;
    if model.is_source() {
        b.diagnostics.push(
            Diagnostic::error(
                "neurc::connect::into_source",
                format!(
                    "`{}` is a source (model `{}`) and cannot receive synapses",
                    pop.name, model.name
                ),
            )
            .label(post_span, "a source has no state to land on")
            .help("sources only emit spikes: connect them to populations of neurons"),
        );
        return None;
    }
    let (target, dim) = if let Some(i) = model.state_index(&ident.name) {
        (SynapticTarget::State(i), model.state[i as usize].dimension)
    } else if let Some(i) = model.input_index(&ident.name) {
        (SynapticTarget::Input(i), model.inputs[i as usize].dimension)
    } else {
        let mut names: Vec<&str> = model.state.iter().map(|v| v.name.as_str()).collect();
        names.extend(model.inputs.iter().map(|v| v.name.as_str()));
        let d = Diagnostic::error(
            "neurc::connect::unknown_target",
            format!(
                "the model `{}` of `{}` has no state variable or input `{}`",
                model.name, pop.name, ident.name
            ),
        )
        .label(ident.loc.0, "the weight lands here");
        b.diagnostics
            .push(match closest(&ident.name, names.iter().copied()) {
                Some(near) => d.help(format!("did you mean `{near}`?")),
                None => d.help(format!("a weight can land on: {}", names.join(", "))),
            });
        return None;
    };
    if dim != *weight_dim {
        b.diagnostics.push(
            Diagnostic::error(
                "neurc::unit::weight",
                format!(
                    "the weight is {}, but `{}` of `{}` is {}",
                    describe_dimension(*weight_dim),
                    ident.name,
                    model.name,
                    describe_dimension(dim)
                ),
            )
            .label(
                *weight_span,
                format!("this is {}", describe_dimension(*weight_dim)),
            )
            .label(
                ident.loc.0,
                format!("`{}` is {}", ident.name, describe_dimension(dim)),
            )
            .help("a weight is added to the variable it lands on, so both need the same unit"),
        );
        return None;
    }
    Some(target)
}

/// Binds a rule's arguments by position or name.
fn rule_args<'a>(
    b: &mut NetworkBuilder<'_>,
    spec: &'a CallSpec,
    params: &[&str],
) -> Option<Vec<&'a Expr>> {
    let name = &spec.name.name;
    let mut bound: Vec<Option<&Expr>> = vec![None; params.len()];
    for (
        i,
        Arg {
            name: arg_name,
            value,
        },
    ) in spec.args.iter().enumerate()
    {
        let slot = match arg_name {
            Some(n) => params.iter().position(|p| *p == n.name),
            None => (i < params.len()).then_some(i),
        };
        match slot {
            Some(slot) if bound[slot].is_none() => bound[slot] = Some(value),
            _ => {
                b.diagnostics.push(
                    Diagnostic::error(
                        "neurc::connect::rule_argument",
                        format!("`{name}` takes ({})", params.join(", ")),
                    )
                    .label(value.loc.0, "unexpected argument")
                    .help(format!(
                        "write it as `{name}({})`",
                        params
                            .iter()
                            .map(|p| format!("{p} = ..."))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )),
                );
                return None;
            }
        }
    }
    let mut args = Vec::new();
    for (slot, p) in bound.into_iter().zip(params) {
        match slot {
            Some(e) => args.push(e),
            None => {
                b.diagnostics.push(
                    Diagnostic::error(
                        "neurc::connect::rule_argument",
                        format!("`{name}` needs its argument `{p}`"),
                    )
                    .label(spec.loc.0, format!("`{p}` is missing"))
                    .help(format!("write it as `{name}({p} = ...)`")),
                );
                return None;
            }
        }
    }
    Some(args)
}

/// Evaluates a rule once per `connect`; what depends on the sizes of each
/// (pre, post) pair is checked by [`rule_fits`].
fn rule(b: &mut NetworkBuilder<'_>, spec: &CallSpec) -> Option<Rule> {
    let name = spec.name.name.as_str();
    let Some((_, params)) = RULES.iter().find(|(r, _)| *r == name) else {
        let d = Diagnostic::error(
            "neurc::connect::unknown_rule",
            format!("unknown connectivity rule `{name}`"),
        )
        .label(spec.name.loc.0, "not a rule");
        let names = RULES.iter().map(|(r, _)| *r);
        b.diagnostics.push(match closest(name, names) {
            Some(near) => d.help(format!("did you mean `{near}`?")),
            None => d.help(format!(
                "the rules are: {}",
                RULES.iter().map(|(r, _)| *r).collect::<Vec<_>>().join(", ")
            )),
        });
        return None;
    };
    let args = rule_args(b, spec, params)?;
    let count = |b: &mut NetworkBuilder<'_>, e: &Expr, what: &str, max: f64| -> Option<f64> {
        let q = eval_number(e, b.consts, what).and_then(|q| {
            expect_dimension(q.dimension, Dimension::DIMENSIONLESS, e.loc.0, what)?;
            whole_number(q, e.loc.0, what, 0.0, max)
        });
        b.diagnostics.ok(q)
    };
    let degree = f64::from(u32::MAX);
    Some(match name {
        "all_to_all" => Rule::AllToAll,
        "one_to_one" => Rule::OneToOne,
        "bernoulli" => Rule::Bernoulli {
            p: probability(b, args[0])?,
        },
        "fixed_indegree" => Rule::FixedIndegree {
            k: count(b, args[0], "the in-degree `k`", degree)? as u32,
        },
        "fixed_outdegree" => Rule::FixedOutdegree {
            k: count(b, args[0], "the out-degree `k`", degree)? as u32,
        },
        "fixed_total" => Rule::FixedTotal {
            n: count(b, args[0], "the synapse count `n`", 2f64.powi(53))? as u64,
        },
        "distance" => Rule::Distance {
            probability: distance_probability(b, args[0])?,
        },
        "dense" => dense(b, args[0])?,
        _ => super::from_file::read(b, args[0])?,
    })
}

/// Checks a rule against the neurons of one (pre, post) pair.
fn rule_fits(
    b: &mut NetworkBuilder<'_>,
    rule: &Rule,
    settings: &Settings<'_>,
    (pre, pre_range): (NodeId, NeuronRange),
    (post, post_range): (NodeId, NeuronRange),
    (name, rule_span): (&str, Span),
) -> bool {
    let (pre_len, post_len) = (pre_range.len(), post_range.len());
    let same = pre == post;
    let problem = match rule {
        Rule::OneToOne if pre_len != post_len => Some((
            "neurc::connect::one_to_one_sizes",
            format!("one_to_one needs equal sizes, but `{name}` connects {pre_len} neurons to {post_len}"),
            "slice the populations to equal lengths, e.g. `exc[0..100] -> inh[0..100]`".to_string(),
        )),
        Rule::FixedIndegree { k } if !settings.multapses && u64::from(*k) > u64::from(pre_len) - u64::from(same && !settings.autapses) => Some((
            "neurc::connect::degree",
            format!("`{name}`: an in-degree of {k} without multapses needs at least {k} distinct sources, but there are {pre_len}"),
            "lower `k`, or allow `multapses = true` to draw sources with replacement".to_string(),
        )),
        Rule::FixedOutdegree { k } if !settings.multapses && u64::from(*k) > u64::from(post_len) - u64::from(same && !settings.autapses) => Some((
            "neurc::connect::degree",
            format!("`{name}`: an out-degree of {k} without multapses needs at least {k} distinct targets, but there are {post_len}"),
            "lower `k`, or allow `multapses = true` to draw targets with replacement".to_string(),
        )),
        Rule::FixedTotal { n } if !settings.multapses && *n > u64::from(pre_len) * u64::from(post_len) => Some((
            "neurc::connect::degree",
            format!("`{name}`: {n} distinct synapses do not fit in {pre_len} × {post_len} pairs"),
            "lower `n`, or allow `multapses = true`".to_string(),
        )),
        Rule::Dense { cols, entries } if *cols != post_len || entries.len() as u64 != u64::from(pre_len) * u64::from(post_len) => Some((
            "neurc::connect::dense_shape",
            format!(
                "`{name}` needs a {pre_len} × {post_len} matrix, but this one is {} × {cols}",
                entries.len() / (*cols).max(1) as usize
            ),
            "one row per presynaptic neuron, one column per postsynaptic neuron; 0 means no synapse".to_string(),
        )),
        Rule::List { path, pairs, .. } => pairs.iter().position(|(i, j)| *i >= pre_len || *j >= post_len).map(|line| (
            "neurc::connect::file_format",
            format!("`{path}` line {}: synapse {:?} is outside the {pre_len} × {post_len} neurons of `{name}`", line + 2, pairs[line]),
            "indices in the file count from 0 within the connected populations (or slices)".to_string(),
        )),
        Rule::Distance { .. } => [pre, post].into_iter().find_map(|node| {
            let pop = b.network.node(node).and_then(|n| n.population())?;
            pop.positions.is_none().then(|| (
                "neurc::connect::no_positions",
                format!("a distance rule needs positions, but `{}` has none", pop.name),
                format!("give `{}` positions, e.g. `{{ positions = grid(nx = 10, ny = 10, spacing = 50 um) }}`", pop.name),
            ))
        }),
        _ => None,
    };
    match problem {
        None => true,
        Some((code, message, help)) => {
            b.diagnostics.push(
                Diagnostic::error(code, message)
                    .label(rule_span, "for this rule")
                    .help(help),
            );
            false
        }
    }
}

fn probability(b: &mut NetworkBuilder<'_>, e: &Expr) -> Option<f64> {
    let q = b
        .diagnostics
        .ok(eval_number(e, b.consts, "a probability"))?;
    b.diagnostics.ok(expect_dimension(
        q.dimension,
        Dimension::DIMENSIONLESS,
        e.loc.0,
        "a probability",
    ))?;
    if !(0.0..=1.0).contains(&q.value) {
        b.diagnostics.push(
            Diagnostic::error(
                "neurc::value::probability",
                format!(
                    "a probability must be between 0 and 1, but this is {}",
                    q.value
                ),
            )
            .label(e.loc.0, "outside [0, 1]")
            .help("write the probability as a fraction, e.g. `p = 0.02` for 2 %"),
        );
        return None;
    }
    Some(q.value)
}

/// The probability expression of a distance rule, reading `d`.
fn distance_probability(b: &mut NetworkBuilder<'_>, e: &Expr) -> Option<neurc_ir::Expr> {
    let scope = ModelScope {
        bindings: vec![(
            "d".into(),
            Binding {
                var: Var::Distance,
                dimension: Dimension::LENGTH,
                is_schedule: false,
            },
        )],
        consts: b.consts,
    };
    let (lowered, ty) = b.diagnostics.ok(lower_expr(e, &scope))?;
    if ty != Ty::Number(Dimension::DIMENSIONLESS) {
        b.diagnostics.push(
            Diagnostic::error(
                "neurc::unit::probability",
                "a connection probability must be a dimensionless number",
            )
            .label(e.loc.0, "not dimensionless")
            .help("e.g. `distance(p = 0.5 * exp(-d / 100 um))`"),
        );
        return None;
    }
    Some(lowered)
}

/// `dense(matrix)`: a list of equally long rows of dimensionless numbers.
fn dense(b: &mut NetworkBuilder<'_>, e: &Expr) -> Option<Rule> {
    let value = b.diagnostics.ok(eval(e, b.consts))?;
    let matrix = dense_entries(&value, e.loc.0);
    b.diagnostics.ok(matrix)
}

fn dense_entries(value: &Value, at: Span) -> Eval<Rule> {
    let shape_error = |found: String| {
        Diagnostic::error("neurc::connect::dense_shape", format!("a dense matrix is a list of equally long rows, but {found}"))
            .label(at, "wrong shape")
            .help("one row per presynaptic neuron, one column per postsynaptic neuron; 0 means no synapse")
    };
    let Value::List(rows) = value else {
        return Err(shape_error("this is not a list of rows".into()).into());
    };
    let cols = match rows.first() {
        Some(Value::List(first)) => first.len(),
        _ => return Err(shape_error("its first row is not a list".into()).into()),
    };
    let mut entries = Vec::with_capacity(rows.len() * cols);
    for (i, row) in rows.iter().enumerate() {
        let Value::List(items) = row else {
            return Err(shape_error(format!("row {i} is not a list")).into());
        };
        if items.len() != cols {
            return Err(shape_error(format!(
                "row {i} has {} entries and row 0 has {cols}",
                items.len()
            ))
            .into());
        }
        for item in items {
            match item {
                Value::Number(q) if q.dimension.is_dimensionless() && q.value.is_finite() => {
                    entries.push(q.value)
                }
                other => {
                    return Err(Diagnostic::error(
                        "neurc::connect::dense_entry",
                        format!(
                            "dense entries are dimensionless multipliers of the weight, not {}",
                            other.describe()
                        ),
                    )
                    .label(at, "in this matrix")
                    .help("write plain numbers and give the unit once in `weight = 1 mV -> v`")
                    .into());
                }
            }
        }
    }
    Ok(Rule::Dense {
        cols: cols as u32,
        entries,
    })
}

/// The directory of the file a span is in, for relative data paths.
pub fn directory_of(b: &NetworkBuilder<'_>, span: Span) -> std::path::PathBuf {
    b.network
        .spans
        .files
        .get(span.file.0 as usize)
        .and_then(|f| Path::new(f).parent().map(Path::to_path_buf))
        .unwrap_or_default()
}

/// The chip-native weight settings of a `connect`, as written.
#[derive(Default)]
struct ChipSettings {
    weight_bits: Option<u8>,
    weight_exponent: Option<i8>,
    sign: Option<SignMode>,
}

impl ChipSettings {
    /// Reads `weight_bits = 6`, `weight_exp = -2` or `sign_mode = "mixed"`.
    fn set(&mut self, entry: &crate::front::ast::Assign, consts: &Consts<'_>) -> Eval<()> {
        let at = entry.value.loc.0;
        let name = entry.name.name.as_str();
        if name == "sign_mode" {
            let sign = match eval(&entry.value, consts)? {
                Value::Str(s) if s == "mixed" => SignMode::Mixed,
                Value::Str(s) if s == "excitatory" => SignMode::Excitatory,
                Value::Str(s) if s == "inhibitory" => SignMode::Inhibitory,
                other => {
                    return Err(Diagnostic::error(
                        "neurc::connect::sign_mode",
                        format!(
                            "`sign_mode` is \"mixed\", \"excitatory\" or \"inhibitory\", not {}",
                            other.describe()
                        ),
                    )
                    .label(at, "not a sign mode")
                    .help("the chip's synapse formats sign weights one of these three ways")
                    .into());
                }
            };
            self.sign = Some(sign);
            return Ok(());
        }
        let (low, high) = if name == "weight_bits" {
            (1, 8)
        } else {
            (-16, 16)
        };
        let q = eval_number(&entry.value, consts, &format!("`{name}`"))?;
        let value = q.value;
        if !q.dimension.is_dimensionless()
            || value.fract() != 0.0
            || !(low as f64..=high as f64).contains(&value)
        {
            return Err(Diagnostic::error(
                "neurc::connect::chip_format",
                format!("`{name}` must be a whole number from {low} to {high}"),
            )
            .label(at, "not a whole number in range")
            .help("chip-native weights give the synapse format as NxSDK does: weight_bits 1..8, weight_exp a small integer")
            .into());
        }
        if name == "weight_bits" {
            self.weight_bits = Some(value as u8);
        } else {
            self.weight_exponent = Some(value as i8);
        }
        Ok(())
    }

    /// The format, if any chip setting was given: 8 weight bits and
    /// exponent 0 unless stated.
    fn weights(&self) -> Option<ChipWeights> {
        (self.weight_bits.is_some() || self.weight_exponent.is_some() || self.sign.is_some()).then(
            || ChipWeights {
                weight_bits: self.weight_bits.unwrap_or(8),
                weight_exponent: self.weight_exponent.unwrap_or(0),
                sign: self.sign,
            },
        )
    }
}

/// `d` with every value multiplied by `factor` (> 0).
fn scaled(d: &Distribution, factor: f64) -> Distribution {
    match d {
        Distribution::Constant(c) => Distribution::Constant(c * factor),
        Distribution::Uniform { low, high } => Distribution::Uniform {
            low: low * factor,
            high: high * factor,
        },
        Distribution::Normal { mean, sd } => Distribution::Normal {
            mean: mean * factor,
            sd: sd * factor,
        },
        Distribution::LogNormal { median, sigma } => Distribution::LogNormal {
            median: median * factor,
            sigma: *sigma,
        },
        Distribution::Clipped { inner, low, high } => Distribution::Clipped {
            inner: Box::new(scaled(inner, factor)),
            low: low * factor,
            high: high * factor,
        },
    }
}
