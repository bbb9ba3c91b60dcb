//! The stable text form of a network: a line-oriented listing for golden
//! tests and `neurc ir --text`.
//!
//! Models come first, then nodes, edges, records and the simulation
//! settings, each in id order, one element per line with its details
//! indented under it:
//!
//! ```text
//! m0 LifCuba
//!   param tau_m = 20 ms
//!   state v = uniform(-60 mV, -50 mV)
//!   dv/dt = (ge + gi - (v - e_l)) / tau_m
//!   method auto
//!   spike v > v_th
//!   reset v = v_reset
//!   refractory 5 ms
//! n0 population exc: m0 LifCuba × 3200
//!   param v_th = -55 mV
//! e0 exc[0..3200] -> inh[0..800]: bernoulli(p = 0.02), weight 1.62 mV -> ge, delay 0.1 ms
//! r0 record spikes(exc[0..3200], inh[0..800])
//! simulate dt = 0.1 ms, duration = 1 s, seed = 1234
//! ```
//!
//! A population lists only the parameter and initial values that differ
//! from its model's defaults, which the model lists.
//!
//! Values with a known dimension print in its most readable unit;
//! constants inside expressions, whose dimension the IR does not keep,
//! print in SI base units. Expressions print with the fewest parentheses
//! the language's precedence allows. Lists longer than [`LISTED`] values
//! (dense matrices, synapse lists, spike schedules) are cut short with a
//! count of the rest; the JSON form ([`Network::to_json`]) is complete.
//!
//! Printing never fails: a network the verifier would reject prints as far
//! as it can (`state#7` for a variable that does not exist), so that a
//! broken IR can be inspected.

use crate::expr::{BinaryOp, Expr, UnaryOp, Var};
use crate::ids::{ModelId, NodeId, ProjId};
use crate::model::{Distribution, Dynamics, NeuronModel, ParamValue};
use crate::network::{
    Coupling, Edge, Layout, Network, NeuronRange, Node, Population, Probe, Projection, Record,
    Rule, SynapticTarget,
};
use crate::units::{Dimension, Quantity};
use std::collections::BTreeMap;
use std::fmt::{self, Formatter};

/// How many values of a list are printed before the rest is counted.
pub const LISTED: usize = 16;

/// The text listing of `network` (see the module doc). Equal networks
/// print equal text.
pub fn print(network: &Network) -> String {
    Listing(network).to_string()
}

/// An expression of `model` as source text, with variables named as the
/// model declares them: `(ge + gi - (v - e_l)) / tau_m`.
pub fn print_expr(expr: &Expr, model: &NeuronModel) -> String {
    ExprText::new(expr, &|var| var_name(Some(model), var)).to_string()
}

struct Listing<'a>(&'a Network);

impl fmt::Display for Listing<'_> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let network = self.0;
        for (index, model) in network.models.iter().enumerate() {
            write_model(f, ModelId(index as u32), model)?;
        }
        for (id, node) in network.nodes() {
            write_node(f, network, id, node)?;
        }
        for index in network.graph.edge_indices() {
            let Some((pre, post)) = network.graph.edge_endpoints(index) else {
                continue;
            };
            let (pre, post) = (NodeId::from(pre), NodeId::from(post));
            match &network.graph[index] {
                Edge::Projection(projection) => {
                    write_projection(f, network, index.into(), pre, post, projection)?;
                }
                Edge::Coupling(coupling) => {
                    write_coupling(f, network, index.into(), pre, post, coupling)?;
                }
            }
        }
        for (index, record) in network.records.iter().enumerate() {
            write_record(f, network, index, record)?;
        }
        let simulation = network.simulation;
        writeln!(
            f,
            "simulate dt = {}, duration = {}, seed = {}",
            time(simulation.dt),
            time(simulation.duration),
            simulation.seed
        )
    }
}

fn write_model(f: &mut Formatter<'_>, id: ModelId, model: &NeuronModel) -> fmt::Result {
    writeln!(f, "{id} {}", model.name)?;
    for param in &model.params {
        writeln!(
            f,
            "  param {} = {}",
            param.name,
            ParamText(&param.default, param.dimension)
        )?;
    }
    for state in &model.state {
        writeln!(
            f,
            "  state {} = {}",
            state.name,
            DistributionText(&state.init, state.dimension)
        )?;
    }
    for input in &model.inputs {
        writeln!(f, "  input {}: {}", input.name, input.dimension.symbol())?;
    }
    let names = |var| var_name(Some(model), var);
    let expr = |expr| ExprText::new(expr, &names);
    match &model.dynamics {
        Dynamics::None => {}
        Dynamics::Ode(odes) => {
            for ode in odes {
                let name = var_name(Some(model), Var::State(ode.var));
                writeln!(f, "  d{name}/dt = {}", expr(&ode.rhs))?;
            }
            writeln!(f, "  method {}", model.method.name())?;
        }
        Dynamics::Update(assignments) => {
            for assignment in assignments {
                let name = var_name(Some(model), Var::State(assignment.var));
                writeln!(f, "  update {name} = {}", expr(&assignment.value))?;
            }
        }
    }
    if let Some(spike) = &model.spike {
        writeln!(f, "  spike {}", expr(spike))?;
    }
    for assignment in &model.reset {
        let name = var_name(Some(model), Var::State(assignment.var));
        writeln!(f, "  reset {name} = {}", expr(&assignment.value))?;
    }
    if let Some(refractory) = &model.refractory {
        match refractory.period {
            Expr::Const(period) => write!(f, "  refractory {}", time(period))?,
            ref period => write!(f, "  refractory {}", expr(period))?,
        }
        let held: Vec<String> = refractory
            .held
            .iter()
            .map(|&var| var_name(Some(model), Var::State(var)))
            .collect();
        if !held.is_empty() {
            write!(f, ", hold {}", held.join(", "))?;
        }
        writeln!(f)?;
    }
    Ok(())
}

fn write_node(f: &mut Formatter<'_>, network: &Network, id: NodeId, node: &Node) -> fmt::Result {
    match node {
        Node::Population(population) => write_population(f, network, id, "population", population),
        Node::Source(population) => write_population(f, network, id, "source", population),
        Node::Region(region) => {
            write!(f, "{id} region {}: {}", region.name, region.model)?;
            if let Some(connectome) = &region.connectome {
                write!(f, ", connectome {connectome}")?;
            }
            writeln!(f)?;
            write_settings(f, &region.params)
        }
        Node::Modulator(modulator) => {
            writeln!(f, "{id} modulator {}", modulator.name)?;
            write_settings(f, &modulator.params)
        }
    }
}

fn write_population(
    f: &mut Formatter<'_>,
    network: &Network,
    id: NodeId,
    kind: &str,
    population: &Population,
) -> fmt::Result {
    let model = network.model(population.model);
    let model_name = model.map_or("?", |m| m.name.as_str());
    writeln!(
        f,
        "{id} {kind} {}: {} {model_name} × {}",
        population.name, population.model, population.size
    )?;
    for (index, value) in population.params.iter().enumerate() {
        let decl = model.and_then(|m| m.params.get(index));
        if decl.is_some_and(|d| d.default == *value) {
            continue;
        }
        let name = decl.map_or_else(|| format!("param#{index}"), |d| d.name.clone());
        let dimension = decl.map_or(Dimension::DIMENSIONLESS, |d| d.dimension);
        writeln!(f, "  param {name} = {}", ParamText(value, dimension))?;
    }
    for (index, init) in population.init.iter().enumerate() {
        let decl = model.and_then(|m| m.state.get(index));
        if decl.is_some_and(|d| d.init == *init) {
            continue;
        }
        let name = decl.map_or_else(|| format!("state#{index}"), |d| d.name.clone());
        let dimension = decl.map_or(Dimension::DIMENSIONLESS, |d| d.dimension);
        writeln!(f, "  init {name} = {}", DistributionText(init, dimension))?;
    }
    match &population.positions {
        None => Ok(()),
        Some(Layout::Grid { shape, spacing }) => writeln!(
            f,
            "  positions grid {} × {} × {}, spacing {}",
            shape[0],
            shape[1],
            shape[2],
            length(*spacing)
        ),
        Some(Layout::RandomBox { extent }) => writeln!(
            f,
            "  positions random box {} × {} × {}",
            length(extent[0]),
            length(extent[1]),
            length(extent[2])
        ),
    }
}

fn write_settings(f: &mut Formatter<'_>, params: &BTreeMap<String, Quantity>) -> fmt::Result {
    for (name, value) in params {
        writeln!(f, "  param {name} = {value}")?;
    }
    Ok(())
}

fn write_projection(
    f: &mut Formatter<'_>,
    network: &Network,
    id: ProjId,
    pre: NodeId,
    post: NodeId,
    projection: &Projection,
) -> fmt::Result {
    let (target, dimension) = synaptic_target(network, post, projection.target);
    write!(
        f,
        "{id} {} -> {}: ",
        Slice(network, pre, projection.pre),
        Slice(network, post, projection.post)
    )?;
    write_rule(f, projection)?;
    write!(
        f,
        ", weight {} -> {target}, delay {}",
        DistributionText(&projection.weight, dimension),
        DistributionText(&projection.delay, Dimension::TIME)
    )?;
    if projection.autapses {
        write!(f, ", autapses")?;
    }
    if projection.multapses {
        write!(f, ", multapses")?;
    }
    if let Some(chip) = projection.chip_weights {
        write!(
            f,
            ", chip weights {} bits exponent {} sign {}",
            chip.weight_bits,
            chip.weight_exponent,
            chip.sign.map_or("auto", |s| match s {
                crate::chip::SignMode::Mixed => "mixed",
                crate::chip::SignMode::Excitatory => "excitatory",
                crate::chip::SignMode::Inhibitory => "inhibitory",
            })
        )?;
    }
    writeln!(f)
}

/// Writes the rule with its parameters. Dense entries and listed weights
/// are numbers: the front end reads both as multipliers of the weight.
fn write_rule(f: &mut Formatter<'_>, projection: &Projection) -> fmt::Result {
    let name = projection.rule.name();
    match &projection.rule {
        Rule::AllToAll | Rule::OneToOne => write!(f, "{name}"),
        Rule::Bernoulli { p } => write!(f, "{name}(p = {})", number(*p)),
        Rule::FixedIndegree { k } | Rule::FixedOutdegree { k } => write!(f, "{name}(k = {k})"),
        Rule::FixedTotal { n } => write!(f, "{name}(n = {n})"),
        Rule::Distance { probability } => {
            let names = |var| var_name(None, var);
            write!(f, "{name}(p = {})", ExprText::new(probability, &names))
        }
        Rule::Dense { cols, entries } => {
            write!(f, "{name}({} × {cols}, ", projection.pre.len())?;
            write_list(f, entries, |f, entry| write!(f, "{}", number(*entry)))?;
            write!(f, ")")
        }
        Rule::List {
            path,
            pairs,
            weights,
            delays,
        } => {
            write!(f, "{name}({path:?}, pairs ")?;
            write_list(f, pairs, |f, (pre, post)| write!(f, "({pre}, {post})"))?;
            if let Some(weights) = weights {
                write!(f, ", weights ")?;
                write_list(f, weights, |f, w| write!(f, "{}", number(*w)))?;
            }
            if let Some(delays) = delays {
                write!(f, ", delays ")?;
                write_list(f, delays, |f, d| write!(f, "{}", time(*d)))?;
            }
            write!(f, ")")
        }
    }
}

fn write_coupling(
    f: &mut Formatter<'_>,
    network: &Network,
    id: ProjId,
    pre: NodeId,
    post: NodeId,
    coupling: &Coupling,
) -> fmt::Result {
    let settings: Vec<String> = coupling
        .params
        .iter()
        .map(|(name, value)| format!("{name} = {value}"))
        .collect();
    writeln!(
        f,
        "{id} {} -> {}: couple {}({})",
        node_name(network, pre),
        node_name(network, post),
        coupling.converter,
        settings.join(", ")
    )
}

fn write_record(
    f: &mut Formatter<'_>,
    network: &Network,
    index: usize,
    record: &Record,
) -> fmt::Result {
    let probe = match &record.probe {
        Probe::Spikes => "spikes",
        Probe::State(name) => name,
    };
    let targets: Vec<String> = record
        .targets
        .iter()
        .map(|target| Slice(network, target.node, target.neurons).to_string())
        .collect();
    writeln!(f, "r{index} record {probe}({})", targets.join(", "))
}

/// `exc[0..3200]`.
struct Slice<'a>(&'a Network, NodeId, NeuronRange);

impl fmt::Display for Slice<'_> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let Slice(network, node, range) = self;
        write!(
            f,
            "{}[{}..{}]",
            node_name(network, *node),
            range.start,
            range.end
        )
    }
}

/// A parameter value in the unit of its dimension.
struct ParamText<'a>(&'a ParamValue, Dimension);

impl fmt::Display for ParamText<'_> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let print_times = |f: &mut Formatter<'_>, times: &Vec<f64>| {
            write_list(f, times, |f, t| write!(f, "{}", time(*t)))
        };
        match self.0 {
            ParamValue::Scalar(distribution) => DistributionText(distribution, self.1).fmt(f),
            ParamValue::Schedule(lists) => match lists.as_slice() {
                [shared] => print_times(f, shared),
                _ => {
                    write!(f, "per neuron ")?;
                    write_list(f, lists, print_times)
                }
            },
        }
    }
}

/// A distribution whose values have a dimension.
struct DistributionText<'a>(&'a Distribution, Dimension);

impl fmt::Display for DistributionText<'_> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let dimension = self.1;
        let q = |value| quantity(value, dimension);
        match self.0 {
            Distribution::Constant(value) => write!(f, "{}", q(*value)),
            Distribution::Uniform { low, high } => write!(f, "uniform({}, {})", q(*low), q(*high)),
            Distribution::Normal { mean, sd } => {
                write!(f, "normal(mean = {}, sd = {})", q(*mean), q(*sd))
            }
            Distribution::LogNormal { median, sigma } => write!(
                f,
                "lognormal(median = {}, sigma = {})",
                q(*median),
                number(*sigma)
            ),
            Distribution::Clipped { inner, low, high } => write!(
                f,
                "clip({}, low = {}, high = {})",
                DistributionText(inner, dimension),
                q(*low),
                q(*high)
            ),
        }
    }
}

/// Writes `[a, b, …]`, cut after [`LISTED`] items with a count of the rest.
fn write_list<T>(
    f: &mut Formatter<'_>,
    items: &[T],
    mut item: impl FnMut(&mut Formatter<'_>, &T) -> fmt::Result,
) -> fmt::Result {
    write!(f, "[")?;
    for (index, value) in items.iter().take(LISTED).enumerate() {
        if index > 0 {
            write!(f, ", ")?;
        }
        item(f, value)?;
    }
    if items.len() > LISTED {
        write!(f, ", … {} more", items.len() - LISTED)?;
    }
    write!(f, "]")
}

/// The name and dimension of the variable a projection's weight lands on.
fn synaptic_target(network: &Network, post: NodeId, target: SynapticTarget) -> (String, Dimension) {
    let model = network
        .node(post)
        .and_then(Node::population)
        .and_then(|population| network.model(population.model));
    let (decl, fallback) = match target {
        SynapticTarget::State(index) => (
            model
                .and_then(|m| m.state.get(index as usize))
                .map(|s| (&s.name, s.dimension)),
            format!("state#{index}"),
        ),
        SynapticTarget::Input(index) => (
            model
                .and_then(|m| m.inputs.get(index as usize))
                .map(|i| (&i.name, i.dimension)),
            format!("input#{index}"),
        ),
    };
    decl.map_or((fallback, Dimension::DIMENSIONLESS), |(name, dimension)| {
        (name.clone(), dimension)
    })
}

fn node_name(network: &Network, id: NodeId) -> String {
    network
        .node(id)
        .map_or_else(|| id.to_string(), |node| node.name().to_string())
}

/// The name the model gives a variable, or `state#7` if it has none (or
/// there is no model, as in a connectivity rule).
fn var_name(model: Option<&NeuronModel>, var: Var) -> String {
    let named = |name: Option<&String>, kind: &str, index: u32| {
        name.cloned().unwrap_or_else(|| format!("{kind}#{index}"))
    };
    let state = |i: u32| model.and_then(|m| m.state.get(i as usize)).map(|s| &s.name);
    let param = |i: u32| {
        model
            .and_then(|m| m.params.get(i as usize))
            .map(|p| &p.name)
    };
    let input = |i: u32| {
        model
            .and_then(|m| m.inputs.get(i as usize))
            .map(|p| &p.name)
    };
    match var {
        Var::State(i) => named(state(i), "state", i),
        Var::Param(i) => named(param(i), "param", i),
        Var::Input(i) => named(input(i), "input", i),
        Var::Time => "t".to_string(),
        Var::Dt => "dt".to_string(),
        Var::Distance => "distance".to_string(),
    }
}

fn quantity(value: f64, dimension: Dimension) -> Quantity {
    Quantity { value, dimension }
}

fn time(seconds: f64) -> Quantity {
    quantity(seconds, Dimension::TIME)
}

fn length(metres: f64) -> Quantity {
    quantity(metres, Dimension::LENGTH)
}

/// A number as the shortest decimal that reads back to the same value,
/// in exponent form when it is very small or very large (`1e-12`).
fn number(value: f64) -> String {
    let magnitude = value.abs();
    if value == 0.0 || !value.is_finite() || (1e-4..1e15).contains(&magnitude) {
        format!("{value}")
    } else {
        format!("{value:e}")
    }
}

/// Binding strengths from the language's precedence table, loosest first.
mod precedence {
    pub(super) const OR: u8 = 1;
    pub(super) const AND: u8 = 2;
    pub(super) const NOT: u8 = 3;
    pub(super) const COMPARISON: u8 = 4;
    pub(super) const SUM: u8 = 5;
    pub(super) const PRODUCT: u8 = 6;
    pub(super) const NEGATION: u8 = 7;
    pub(super) const POWER: u8 = 8;
    pub(super) const ATOM: u8 = 9;
}

/// An expression with variables named by a function.
struct ExprText<'a> {
    expr: &'a Expr,
    names: &'a dyn Fn(Var) -> String,
}

impl<'a> ExprText<'a> {
    fn new(expr: &'a Expr, names: &'a dyn Fn(Var) -> String) -> Self {
        ExprText { expr, names }
    }

    /// Writes `expr`, in parentheses if it binds more loosely than
    /// `context` requires.
    fn write(&self, f: &mut Formatter<'_>, expr: &Expr, context: u8) -> fmt::Result {
        use precedence::*;
        let parenthesised = binding(expr) < context;
        if parenthesised {
            write!(f, "(")?;
        }
        match expr {
            Expr::Const(value) => write!(f, "{}", number(*value))?,
            Expr::Var(var) => write!(f, "{}", (self.names)(*var))?,
            // The operand of a negation binds tighter than it, so `-(-x)`
            // and `-(a * b)` keep their parentheses.
            Expr::Unary(UnaryOp::Neg, operand) => {
                write!(f, "-")?;
                self.write(f, operand, POWER)?;
            }
            Expr::Unary(UnaryOp::Not, operand) => {
                write!(f, "not ")?;
                self.write(f, operand, NOT)?;
            }
            Expr::Binary(op, left, right) => {
                let (left_context, right_context) = operand_contexts(*op);
                self.write(f, left, left_context)?;
                write!(f, " {} ", op.symbol())?;
                self.write(f, right, right_context)?;
            }
            Expr::Call(func, args) => {
                write!(f, "{}(", func.name())?;
                for (index, arg) in args.iter().enumerate() {
                    if index > 0 {
                        write!(f, ", ")?;
                    }
                    self.write(f, arg, OR)?;
                }
                write!(f, ")")?;
            }
        }
        if parenthesised {
            write!(f, ")")?;
        }
        Ok(())
    }
}

impl fmt::Display for ExprText<'_> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        self.write(f, self.expr, precedence::OR)
    }
}

/// How tightly the expression binds as an operand; a negative constant
/// prints with a minus sign, so it binds like a negation.
fn binding(expr: &Expr) -> u8 {
    use precedence::*;
    match expr {
        Expr::Const(value) if value.is_sign_negative() && !value.is_nan() => NEGATION,
        Expr::Const(_) | Expr::Var(_) | Expr::Call(..) => ATOM,
        Expr::Unary(UnaryOp::Neg, _) => NEGATION,
        Expr::Unary(UnaryOp::Not, _) => NOT,
        Expr::Binary(op, ..) => match op {
            BinaryOp::Or => OR,
            BinaryOp::And => AND,
            BinaryOp::Lt
            | BinaryOp::Le
            | BinaryOp::Gt
            | BinaryOp::Ge
            | BinaryOp::Eq
            | BinaryOp::Ne => COMPARISON,
            BinaryOp::Add | BinaryOp::Sub => SUM,
            BinaryOp::Mul | BinaryOp::Div => PRODUCT,
            BinaryOp::Pow => POWER,
        },
    }
}

/// The least binding each operand of `op` may have without parentheses:
/// arithmetic and logic associate to the left, `^` to the right, and
/// comparisons do not chain.
fn operand_contexts(op: BinaryOp) -> (u8, u8) {
    use precedence::*;
    match op {
        BinaryOp::Or => (OR, AND),
        BinaryOp::And => (AND, NOT),
        BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge | BinaryOp::Eq | BinaryOp::Ne => {
            (SUM, SUM)
        }
        BinaryOp::Add | BinaryOp::Sub => (SUM, PRODUCT),
        BinaryOp::Mul | BinaryOp::Div => (PRODUCT, NEGATION),
        BinaryOp::Pow => (ATOM, POWER),
    }
}
