//! Proptest generators of valid IR, shared by the property tests of every
//! crate (cargo feature `testing`).
//!
//! Everything drawn here passes [`verify`](crate::verify::verify), and the
//! tables of [`arb_connectivity`] pass
//! [`verify_connectivity`](crate::verify::verify_connectivity), so a
//! property test can take a generated network as the precondition of a
//! pass and check only the pass's postcondition. Networks are also drawn
//! so that the expansion pass can expand them: degrees and totals within
//! their candidates, delays never below zero, distance probabilities that
//! are numbers at every distance. The generators cover every shape the IR
//! allows:
//!
//! - models with ODE dynamics (every integration method), `update`
//!   dynamics reading inputs, Poisson and spike-time sources, with or
//!   without spike condition, reset and refractoriness;
//! - populations and sources with overridden parameters, initial
//!   distributions and positions (grid or random box);
//! - projections with every [`Rule`] variant, onto state variables and
//!   inputs, with and without autapses and multapses, and node-to-itself
//!   projections;
//! - regions and modulators with couplings, spike and state records, spans
//!   or none (as for a network built in code), and node and edge indices
//!   with holes, as removals leave them.
//!
//! Sizes stay modest (see [`NetworkLimits::default`]) so that hundreds of
//! cases run in well under a second. Another crate uses them by enabling
//! the feature for its tests:
//!
//! ```toml
//! [dev-dependencies]
//! neurc-ir = { workspace = true, features = ["testing"] }
//! ```

use crate::connectivity::{Connectivity, PerSynapse, SynapseTable};
use crate::expr::{BinaryOp, Expr, Func, UnaryOp, Var};
use crate::ids::{ModelId, NodeId, ProjId};
use crate::model::{
    Assignment, Distribution, Dynamics, InputDecl, Method, NeuronModel, Ode, ParamDecl, ParamValue,
    Refractory, StateDecl,
};
use crate::network::{
    Coupling, Edge, Layout, Modulator, Network, NeuronRange, Node, Population, Probe, ProbeTarget,
    Projection, Record, Region, Rule, Simulation, SpanTable, SynapticTarget,
};
use crate::span::{FileId, Span};
use crate::units::{Dimension, Quantity};
use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;
use proptest::sample::{Index, select, subsequence};
use proptest::strategy::Union;
use std::collections::BTreeMap;
use std::iter;
use std::sync::Arc;

/// Bounds on the networks [`arb_network_with`] draws. Each is a maximum
/// and must be at least 1.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct NetworkLimits {
    /// Models in the model table.
    pub models: usize,
    /// Population and source nodes.
    pub populations: usize,
    /// Neurons per population.
    pub neurons: u32,
    /// Projections.
    pub projections: usize,
}

impl Default for NetworkLimits {
    /// 4 models, 5 populations of up to 48 neurons, 6 projections: every
    /// shape, yet fast enough for hundreds of cases per property.
    fn default() -> Self {
        NetworkLimits {
            models: 4,
            populations: 5,
            neurons: 48,
            projections: 6,
        }
    }
}

/// A valid network within [`NetworkLimits::default`].
pub fn arb_network() -> impl Strategy<Value = Network> {
    arb_network_with(NetworkLimits::default())
}

/// A valid network within `limits`. The first model always receives
/// synapses and the first node is a population of it, so most networks
/// have projections.
pub fn arb_network_with(limits: NetworkLimits) -> impl Strategy<Value = Network> {
    let receiver = prop_oneof![arb_ode_model(), arb_update_model()];
    let models = (receiver, vec(arb_model(), 0..limits.models.max(1)))
        .prop_map(|(first, rest)| iter::once(first).chain(rest).collect::<Vec<_>>());
    models
        .prop_flat_map(move |models| {
            let nodes = arb_nodes(&models, limits);
            (Just(Arc::new(models)), nodes)
        })
        .prop_flat_map(move |(models, nodes)| {
            let nodes = Arc::new(nodes);
            let context = Context {
                models: models.clone(),
                nodes: nodes.clone(),
            };
            (
                Just(context.clone()),
                vec(arb_projection(&context), 0..=limits.projections),
                arb_couplings(&nodes),
                arb_records(&context),
                arb_simulation(),
                any::<bool>(),
                option::of(any::<Index>()),
            )
        })
        .prop_map(
            |(context, projections, couplings, records, simulation, spans, hole)| {
                assemble(Draft {
                    context,
                    edges: projections.into_iter().chain(couplings).collect(),
                    records,
                    simulation,
                    spans,
                    hole,
                })
            },
        )
}

/// A valid neuron model of any kind: ODE, update or source.
pub fn arb_model() -> impl Strategy<Value = NeuronModel> {
    prop_oneof![arb_ode_model(), arb_update_model(), arb_source_model()]
}

/// A model with ODE dynamics: one to four state variables, some of them
/// with an equation, and a random integration method other than `exact`.
pub fn arb_ode_model() -> impl Strategy<Value = NeuronModel> {
    (arb_params(), arb_states(), select(METHODS))
        .prop_flat_map(|(params, state, method)| {
            let count = state.len();
            let expr = arb_expr(variable_leaves(&params, count, 0), model_funcs());
            let odes = (
                subsequence(indices(count), 1..=count),
                vec(expr.clone(), count),
            )
                .prop_map(|(vars, rhs)| {
                    vars.into_iter()
                        .zip(rhs)
                        .map(|(var, rhs)| Ode { var, rhs })
                        .collect::<Vec<_>>()
                });
            let spiking = arb_spiking(expr, params.len(), count);
            (Just(params), Just(state), Just(method), odes, spiking)
        })
        .prop_map(|(params, state, method, odes, spiking)| NeuronModel {
            name: "Ode".to_string(),
            params,
            state,
            inputs: Vec::new(),
            dynamics: Dynamics::Ode(odes),
            method,
            spike: spiking.spike,
            reset: spiking.reset,
            refractory: spiking.refractory,
        })
}

/// A discrete-time model: one or two inputs and update assignments that
/// may read them.
pub fn arb_update_model() -> impl Strategy<Value = NeuronModel> {
    let inputs = vec(select(DIMENSIONS), 1..=INPUT_NAMES.len());
    (arb_params(), arb_states(), inputs)
        .prop_flat_map(|(params, state, inputs)| {
            let count = state.len();
            let expr = arb_expr(variable_leaves(&params, count, inputs.len()), model_funcs());
            let assignment =
                (0..count as u32, expr.clone()).prop_map(|(var, value)| Assignment { var, value });
            let spiking = arb_spiking(expr, params.len(), count);
            (
                Just(params),
                Just(state),
                Just(inputs),
                vec(assignment, 1..=3),
                spiking,
            )
        })
        .prop_map(|(params, state, inputs, updates, spiking)| NeuronModel {
            name: "Update".to_string(),
            params,
            state,
            inputs: inputs
                .into_iter()
                .zip(INPUT_NAMES)
                .map(|(dimension, name)| InputDecl {
                    name: name.to_string(),
                    dimension,
                })
                .collect(),
            dynamics: Dynamics::Update(updates),
            method: Method::Auto,
            spike: spiking.spike,
            reset: spiking.reset,
            refractory: spiking.refractory,
        })
}

/// A source: a Poisson process (`rand() < rate * dt`) or a spike-time
/// source (`at(times)`).
pub fn arb_source_model() -> impl Strategy<Value = NeuronModel> {
    let poisson = (1.0..100.0f64).prop_map(|rate| {
        let spike = Expr::Binary(
            BinaryOp::Lt,
            Box::new(Expr::Call(Func::Rand, Vec::new())),
            Box::new(Expr::Binary(
                BinaryOp::Mul,
                Box::new(Expr::Var(Var::Param(0))),
                Box::new(Expr::Var(Var::Dt)),
            )),
        );
        let rate = param(
            "rate",
            Dimension::FREQUENCY,
            ParamValue::Scalar(Distribution::Constant(rate)),
        );
        source("Poisson", rate, spike)
    });
    let spike_times = arb_times().prop_map(|times| {
        let spike = Expr::Call(Func::At, vec![Expr::Var(Var::Param(0))]);
        let times = param("times", Dimension::TIME, ParamValue::Schedule(vec![times]));
        source("SpikeTimes", times, spike)
    });
    prop_oneof![poisson, spike_times]
}

/// A valid distribution of values around zero (SI units, so up to
/// ±100 mV-sized numbers).
pub fn arb_distribution() -> impl Strategy<Value = Distribution> {
    let value = || -0.1..0.1f64;
    let simple = prop_oneof![
        value().prop_map(Distribution::Constant),
        (value(), 0.0..0.1f64).prop_map(|(low, width)| Distribution::Uniform {
            low,
            high: low + width
        }),
        (value(), 0.0..0.05f64).prop_map(|(mean, sd)| Distribution::Normal { mean, sd }),
        (value(), 0.0..1.0f64)
            .prop_map(|(median, sigma)| Distribution::LogNormal { median, sigma }),
    ];
    prop_oneof![
        4 => simple.clone(),
        1 => (simple, value(), 0.0..0.1f64).prop_map(|(inner, low, width)| Distribution::Clipped {
            inner: Box::new(inner),
            low,
            high: low + width,
        }),
    ]
}

/// Synapse tables for every projection of `network`: up to eight targets
/// per presynaptic neuron, ascending and within the post range, without
/// autapses where they are not allowed, with constant or varying weights
/// and delays of one step or more.
pub fn arb_connectivity(network: &Network) -> impl Strategy<Value = Connectivity> + use<> {
    let (ids, tables): (Vec<ProjId>, Vec<BoxedStrategy<SynapseTable>>) = network
        .projections()
        .map(|(id, pre, post, projection)| (id, arb_table(projection, pre == post)))
        .unzip();
    tables.prop_map(move |tables| Connectivity {
        tables: ids.iter().copied().zip(tables).collect(),
    })
}

fn arb_table(projection: &Projection, same_node: bool) -> BoxedStrategy<SynapseTable> {
    let post: Vec<u32> = (projection.post.start..projection.post.end).collect();
    let most = post.len().min(8);
    let first_pre = projection.pre.start;
    let autapses = projection.autapses || !same_node;
    vec(subsequence(post, 0..=most), projection.pre.len() as usize)
        .prop_flat_map(move |rows| {
            let rows: Vec<Vec<u32>> = rows
                .into_iter()
                .zip(first_pre..)
                .map(|(targets, pre)| {
                    targets
                        .into_iter()
                        .filter(|&t| autapses || t != pre)
                        .collect()
                })
                .collect();
            let synapses: usize = rows.iter().map(Vec::len).sum();
            let weights = prop_oneof![
                (-1.0..1.0f64).prop_map(PerSynapse::Constant),
                vec(-1.0..1.0f64, synapses).prop_map(PerSynapse::Varying),
            ];
            let delays = prop_oneof![
                (1u16..=4).prop_map(PerSynapse::Constant),
                vec(1u16..=8, synapses).prop_map(PerSynapse::Varying),
            ];
            (Just(rows), weights, delays)
        })
        .prop_map(|(rows, weights, delays)| {
            let row_offsets = iter::once(0)
                .chain(rows.iter().scan(0u64, |end, row| {
                    *end += row.len() as u64;
                    Some(*end)
                }))
                .collect();
            SynapseTable {
                row_offsets,
                targets: rows.concat(),
                weights,
                delays,
            }
        })
        .boxed()
}

const PARAM_NAMES: [&str; 4] = ["tau", "gain", "bias", "theta"];
const STATE_NAMES: [&str; 4] = ["v", "u", "g", "w"];
const INPUT_NAMES: [&str; 2] = ["i_exc", "i_inh"];
const DIMENSIONS: &[Dimension] = &[
    Dimension::VOLTAGE,
    Dimension::TIME,
    Dimension::CURRENT,
    Dimension::CONDUCTANCE,
    Dimension::DIMENSIONLESS,
];
/// Integration methods drawn. `exact` is left out: random equations are
/// rarely linear, and a pass that chooses integrators refuses non-linear
/// `exact` models.
const METHODS: &[Method] = &[Method::Auto, Method::Euler, Method::Rk2, Method::Rk4];
const UNARY_OPS: &[UnaryOp] = &[UnaryOp::Neg, UnaryOp::Not];
/// Binary operators drawn with any operands; `^` is drawn apart, with an
/// integer constant exponent.
const BINARY_OPS: &[BinaryOp] = &[
    BinaryOp::Add,
    BinaryOp::Sub,
    BinaryOp::Mul,
    BinaryOp::Div,
    BinaryOp::Lt,
    BinaryOp::Le,
    BinaryOp::Gt,
    BinaryOp::Ge,
    BinaryOp::Eq,
    BinaryOp::Ne,
    BinaryOp::And,
    BinaryOp::Or,
];
/// Functions a model may call: all but `at()`, which needs a spike-time
/// parameter and is drawn only in spike-time sources.
fn model_funcs() -> Vec<Func> {
    Func::ALL.into_iter().filter(|f| *f != Func::At).collect()
}

/// Expressions of depth at most 4 over `leaves` and constants.
fn arb_expr(leaves: Vec<Expr>, funcs: Vec<Func>) -> BoxedStrategy<Expr> {
    let constant = prop_oneof![Just(0.0), Just(1.0), -100.0..100.0f64, -1e-2..1e-2f64];
    let leaf = prop_oneof![constant.prop_map(Expr::Const), select(leaves)];
    leaf.prop_recursive(4, 24, 3, move |inner| {
        let arguments = inner.clone();
        let call = select(funcs.clone()).prop_flat_map(move |func| {
            vec(arguments.clone(), func.arity()).prop_map(move |args| Expr::Call(func, args))
        });
        prop_oneof![
            (select(UNARY_OPS), inner.clone())
                .prop_map(|(op, operand)| Expr::Unary(op, Box::new(operand))),
            (select(BINARY_OPS), inner.clone(), inner.clone()).prop_map(|(op, left, right)| {
                Expr::Binary(op, Box::new(left), Box::new(right))
            }),
            (inner.clone(), -3..=4i32).prop_map(|(base, exponent)| {
                let exponent = Expr::Const(f64::from(exponent));
                Expr::Binary(BinaryOp::Pow, Box::new(base), Box::new(exponent))
            }),
            call,
        ]
    })
    .boxed()
}

/// What a model's expressions may read: time, `dt`, every state variable,
/// every numeric parameter and every input.
fn variable_leaves(params: &[ParamDecl], states: usize, inputs: usize) -> Vec<Expr> {
    let numeric_params = params
        .iter()
        .enumerate()
        .filter(|(_, p)| matches!(p.default, ParamValue::Scalar(_)))
        .map(|(i, _)| Var::Param(i as u32));
    [Var::Time, Var::Dt]
        .into_iter()
        .chain((0..states as u32).map(Var::State))
        .chain(numeric_params)
        .chain((0..inputs as u32).map(Var::Input))
        .map(Expr::Var)
        .collect()
}

fn arb_params() -> impl Strategy<Value = Vec<ParamDecl>> {
    vec(
        (select(DIMENSIONS), arb_distribution()),
        0..=PARAM_NAMES.len(),
    )
    .prop_map(|values| {
        values
            .into_iter()
            .zip(PARAM_NAMES)
            .map(|((dimension, default), name)| param(name, dimension, ParamValue::Scalar(default)))
            .collect()
    })
}

fn arb_states() -> impl Strategy<Value = Vec<StateDecl>> {
    vec(
        (select(DIMENSIONS), arb_distribution()),
        1..=STATE_NAMES.len(),
    )
    .prop_map(|values| {
        values
            .into_iter()
            .zip(STATE_NAMES)
            .map(|((dimension, init), name)| StateDecl {
                name: name.to_string(),
                dimension,
                init,
            })
            .collect()
    })
}

/// The spiking part of a model; reset and refractoriness only with a spike
/// condition.
#[derive(Clone, Debug, Default)]
struct Spiking {
    spike: Option<Expr>,
    reset: Vec<Assignment>,
    refractory: Option<Refractory>,
}

fn arb_spiking(
    expr: BoxedStrategy<Expr>,
    params: usize,
    states: usize,
) -> impl Strategy<Value = Spiking> {
    let assignment =
        (0..states as u32, expr.clone()).prop_map(|(var, value)| Assignment { var, value });
    let constant_period = (1e-4..1e-2f64).prop_map(Expr::Const).boxed();
    let period = if params == 0 {
        constant_period
    } else {
        let param_period = (0..params as u32).prop_map(|i| Expr::Var(Var::Param(i)));
        prop_oneof![constant_period, param_period].boxed()
    };
    let refractory = (period, subsequence(indices(states), 0..=states))
        .prop_map(|(period, held)| Refractory { period, held });
    option::of((expr, vec(assignment, 0..=2), option::of(refractory))).prop_map(|spiking| {
        spiking.map_or_else(Spiking::default, |(spike, reset, refractory)| Spiking {
            spike: Some(spike),
            reset,
            refractory,
        })
    })
}

fn arb_times() -> impl Strategy<Value = Vec<f64>> {
    vec(0.0..0.5f64, 0..8).prop_map(|mut times| {
        times.sort_by(f64::total_cmp);
        times
    })
}

fn param(name: &str, dimension: Dimension, default: ParamValue) -> ParamDecl {
    ParamDecl {
        name: name.to_string(),
        dimension,
        default,
    }
}

fn source(name: &str, param: ParamDecl, spike: Expr) -> NeuronModel {
    NeuronModel {
        name: name.to_string(),
        params: vec![param],
        state: Vec::new(),
        inputs: Vec::new(),
        dynamics: Dynamics::None,
        method: Method::Auto,
        spike: Some(spike),
        reset: Vec::new(),
        refractory: None,
    }
}

fn indices(count: usize) -> Vec<u32> {
    (0..count as u32).collect()
}

/// The models and nodes drawn so far, which later stages draw against.
#[derive(Clone, Debug)]
struct Context {
    models: Arc<Vec<NeuronModel>>,
    nodes: Arc<Vec<Node>>,
}

impl Context {
    fn population(&self, node: usize) -> Option<&Population> {
        self.nodes.get(node).and_then(Node::population)
    }

    fn model_of(&self, node: usize) -> Option<&NeuronModel> {
        self.population(node)
            .and_then(|p| self.models.get(p.model.0 as usize))
    }

    /// Nodes (by position) that satisfy `keep`.
    fn nodes_where(&self, keep: impl Fn(usize, &Node) -> bool) -> Vec<usize> {
        (0..self.nodes.len())
            .filter(|&i| keep(i, &self.nodes[i]))
            .collect()
    }

    fn size(&self, node: usize) -> u32 {
        self.population(node).map_or(1, |p| p.size)
    }
}

/// Populations and sources (the first one of model 0), then up to two
/// regions or modulators.
fn arb_nodes(models: &[NeuronModel], limits: NetworkLimits) -> BoxedStrategy<Vec<Node>> {
    let models = Arc::new(models.to_vec());
    let choices = vec(0..models.len(), 0..limits.populations.max(1));
    (choices, vec(any::<bool>(), 0..=2))
        .prop_flat_map(move |(choices, hosts)| {
            let spiking = iter::once(0)
                .chain(choices)
                .enumerate()
                .map(|(index, model)| {
                    arb_population_node(
                        index,
                        ModelId(model as u32),
                        &models[model],
                        limits.neurons,
                    )
                });
            let hosts = hosts.into_iter().enumerate().map(|(index, region)| {
                let tau = Quantity {
                    value: 0.01,
                    dimension: Dimension::TIME,
                };
                let params = BTreeMap::from([("tau".to_string(), tau)]);
                Just(if region {
                    Node::Region(Region {
                        name: format!("region{index}"),
                        model: "WilsonCowan".to_string(),
                        connectome: None,
                        params,
                    })
                } else {
                    Node::Modulator(Modulator {
                        name: format!("modulator{index}"),
                        params,
                    })
                })
                .boxed()
            });
            spiking.chain(hosts).collect::<Vec<_>>()
        })
        .boxed()
}

fn arb_population_node(
    index: usize,
    id: ModelId,
    model: &NeuronModel,
    neurons: u32,
) -> BoxedStrategy<Node> {
    let model = model.clone();
    let is_source = model.is_source();
    let name = format!("{}{index}", if is_source { "src" } else { "pop" });
    (1..=neurons.max(1))
        .prop_flat_map(move |size| {
            let params: Vec<BoxedStrategy<ParamValue>> = model
                .params
                .iter()
                .map(|decl| match &decl.default {
                    ParamValue::Scalar(_) => prop_oneof![
                        Just(decl.default.clone()),
                        arb_distribution().prop_map(ParamValue::Scalar),
                    ]
                    .boxed(),
                    ParamValue::Schedule(_) => prop_oneof![
                        arb_times().prop_map(|times| vec![times]),
                        vec(arb_times(), size as usize),
                    ]
                    .prop_map(ParamValue::Schedule)
                    .boxed(),
                })
                .collect();
            let init = vec(arb_distribution(), model.state.len());
            (Just(size), params, init, option::of(arb_layout(size)))
        })
        .prop_map(move |(size, params, init, positions)| {
            let population = Population {
                name: name.clone(),
                model: id,
                size,
                params,
                init,
                positions,
            };
            if is_source {
                Node::Source(population)
            } else {
                Node::Population(population)
            }
        })
        .boxed()
}

fn arb_layout(size: u32) -> impl Strategy<Value = Layout> {
    let grid = (1..=size, 1e-6..1e-4f64).prop_map(move |(x, spacing)| Layout::Grid {
        shape: [x, size.div_ceil(x), 1],
        spacing,
    });
    let extent = || 1e-5..1e-3f64;
    let random_box = (extent(), extent(), extent())
        .prop_map(|(x, y, z)| Layout::RandomBox { extent: [x, y, z] });
    prop_oneof![grid, random_box]
}

/// An edge between two nodes, by position in the node list.
type DraftEdge = (usize, usize, Edge);

/// A projection from a population or source onto a population whose model
/// has state or inputs, with a rule that fits its ranges.
fn arb_projection(context: &Context) -> BoxedStrategy<DraftEdge> {
    let senders = context.nodes_where(|_, node| node.population().is_some());
    let receivers = context.nodes_where(|i, node| {
        matches!(node, Node::Population(_)) && context.model_of(i).is_some_and(|m| !m.is_source())
    });
    let context = context.clone();
    (select(senders), select(receivers))
        .prop_flat_map(move |(pre, post)| {
            let targets: Vec<SynapticTarget> = context.model_of(post).map_or_else(Vec::new, |m| {
                (0..m.state.len() as u32)
                    .map(SynapticTarget::State)
                    .chain((0..m.inputs.len() as u32).map(SynapticTarget::Input))
                    .collect()
            });
            let placed = [pre, post].iter().all(|&node| {
                context
                    .population(node)
                    .is_some_and(|p| p.positions.is_some())
            });
            let ranges = (arb_range(context.size(pre)), arb_range(context.size(post)));
            let flags = (any::<bool>(), any::<bool>());
            (ranges, flags).prop_flat_map(
                move |((pre_range, post_range), (autapses, multapses))| {
                    let rule = arb_rule(
                        pre_range,
                        post_range,
                        pre == post,
                        autapses,
                        multapses,
                        placed,
                    );
                    let values = (select(targets.clone()), arb_distribution(), arb_delay());
                    (rule, values).prop_map(move |(rule, (target, weight, delay))| {
                        let (pre_range, post_range) = match rule {
                            Rule::OneToOne => equal_lengths(pre_range, post_range),
                            _ => (pre_range, post_range),
                        };
                        let projection = Projection {
                            name: format!("{pre} -> {post}"),
                            pre: pre_range,
                            post: post_range,
                            rule,
                            weight,
                            target,
                            delay,
                            autapses,
                            multapses,
                            chip_weights: None,
                        };
                        (pre, post, Edge::Projection(projection))
                    })
                },
            )
        })
        .boxed()
}

/// Every rule that can connect these ranges and that the expansion pass
/// can draw: degrees and totals within the candidates, listed pairs
/// repeated only with multapses, a deterministic distance rule and only
/// between placed populations.
fn arb_rule(
    pre: NeuronRange,
    post: NeuronRange,
    same_node: bool,
    autapses: bool,
    multapses: bool,
    placed: bool,
) -> BoxedStrategy<Rule> {
    let capacity = capacity(pre, post, same_node, autapses);
    // Without multapses at most the distinct partners; with them, a few
    // more to exercise repeats.
    let draws = |available: u64| {
        let most = if available == 0 {
            0
        } else if multapses {
            available * 2
        } else {
            available
        };
        0..=most
    };
    let degree = |available: u64| draws(available).prop_map(|k| k as u32);
    let cells = (pre.len() * post.len()) as usize;
    let dense =
        vec(prop_oneof![Just(0.0), -2.0..2.0f64], cells).prop_map(move |entries| Rule::Dense {
            cols: post.len(),
            entries,
        });
    // A list may repeat a pair only with multapses.
    let list = vec((0..pre.len(), 0..post.len()), 0..=12)
        .prop_map(move |mut pairs| {
            if !multapses {
                pairs.sort_unstable();
                pairs.dedup();
            }
            pairs
        })
        .prop_flat_map(|pairs| {
            let count = pairs.len();
            (
                Just(pairs),
                option::of(vec(-1.0..1.0f64, count)),
                option::of(vec(0.0..5e-3f64, count)),
            )
        })
        .prop_map(|(pairs, weights, delays)| Rule::List {
            path: "synapses.csv".to_string(),
            pairs,
            weights,
            delays,
        });
    let mut rules = vec![
        Just(Rule::AllToAll).boxed(),
        Just(Rule::OneToOne).boxed(),
        (0.0..=1.0f64).prop_map(|p| Rule::Bernoulli { p }).boxed(),
        degree(capacity.per_post)
            .prop_map(|k| Rule::FixedIndegree { k })
            .boxed(),
        degree(capacity.per_pre)
            .prop_map(|k| Rule::FixedOutdegree { k })
            .boxed(),
        draws(capacity.pairs)
            .prop_map(|n| Rule::FixedTotal { n })
            .boxed(),
        dense.boxed(),
        list.boxed(),
    ];
    if placed {
        rules.push(
            arb_distance_probability()
                .prop_map(|probability| Rule::Distance { probability })
                .boxed(),
        );
    }
    Union::new(rules).boxed()
}

/// How many distinct partners a projection's neurons can have, which
/// bounds the degree and total of rules drawn without multapses (the
/// expansion pass refuses more). A projection of a node onto itself without
/// autapses loses the neuron's own index where the ranges overlap.
struct Capacity {
    /// Distinct presynaptic partners of the worst-off postsynaptic neuron.
    per_post: u64,
    /// Distinct postsynaptic partners of the worst-off presynaptic neuron.
    per_pre: u64,
    /// Distinct `(pre, post)` pairs.
    pairs: u64,
}

fn capacity(pre: NeuronRange, post: NeuronRange, same_node: bool, autapses: bool) -> Capacity {
    let overlap = if same_node && !autapses {
        let (start, end) = (pre.start.max(post.start), pre.end.min(post.end));
        u64::from(end.saturating_sub(start))
    } else {
        0
    };
    let lost = u64::from(overlap > 0);
    let (pre_len, post_len) = (u64::from(pre.len()), u64::from(post.len()));
    Capacity {
        per_post: pre_len - lost,
        per_pre: post_len - lost,
        pairs: pre_len * post_len - overlap,
    }
}

/// A connection probability of distance that is a number at every
/// distance, as the expansion pass requires: a Gaussian or exponential
/// decay, or a disc.
fn arb_distance_probability() -> impl Strategy<Value = Expr> {
    let binary = |op, left, right| Expr::Binary(op, Box::new(left), Box::new(right));
    let distance = || Expr::Var(Var::Distance);
    let scale = 1e-5..1e-3f64;
    (0.0..=1.0f64, scale, 0..3u8).prop_map(move |(peak, scale, shape)| {
        let relative = binary(BinaryOp::Div, distance(), Expr::Const(scale));
        let decay = match shape {
            0 => Expr::Call(
                Func::Exp,
                vec![Expr::Unary(UnaryOp::Neg, Box::new(relative))],
            ),
            1 => {
                let square = binary(BinaryOp::Pow, relative, Expr::Const(2.0));
                Expr::Call(Func::Exp, vec![Expr::Unary(UnaryOp::Neg, Box::new(square))])
            }
            _ => {
                let inside = binary(BinaryOp::Lt, distance(), Expr::Const(scale));
                Expr::Call(Func::If, vec![inside, Expr::Const(1.0), Expr::Const(0.0)])
            }
        };
        binary(BinaryOp::Mul, Expr::Const(peak), decay)
    })
}

/// Both ranges cut to the shorter length, as `one_to_one` needs.
fn equal_lengths(pre: NeuronRange, post: NeuronRange) -> (NeuronRange, NeuronRange) {
    let len = pre.len().min(post.len());
    (
        NeuronRange::new(pre.start, pre.start + len),
        NeuronRange::new(post.start, post.start + len),
    )
}

fn arb_range(size: u32) -> impl Strategy<Value = NeuronRange> {
    (0..size).prop_flat_map(move |start| {
        (start + 1..=size).prop_map(move |end| NeuronRange::new(start, end))
    })
}

/// A delay distribution that never draws below zero, which the expansion
/// pass refuses: a normal delay only clipped.
fn arb_delay() -> impl Strategy<Value = Distribution> {
    let delay = || 0.0..5e-3f64;
    prop_oneof![
        delay().prop_map(Distribution::Constant),
        (delay(), 0.0..2e-3f64).prop_map(|(low, width)| Distribution::Uniform {
            low,
            high: low + width
        }),
        (1e-4..5e-3f64, 0.0..0.5f64)
            .prop_map(|(median, sigma)| Distribution::LogNormal { median, sigma }),
        (delay(), 0.0..1e-3f64, delay(), 0.0..2e-3f64).prop_map(|(mean, sd, low, width)| {
            Distribution::Clipped {
                inner: Box::new(Distribution::Normal { mean, sd }),
                low,
                high: low + width,
            }
        }),
    ]
}

/// Up to two couplings: spikes of a population or source to a region or
/// modulator, or back into a population.
fn arb_couplings(nodes: &Arc<Vec<Node>>) -> BoxedStrategy<Vec<DraftEdge>> {
    let positions = |keep: fn(&Node) -> bool| -> Vec<usize> {
        (0..nodes.len()).filter(|&i| keep(&nodes[i])).collect()
    };
    let hosts = positions(|n| matches!(n, Node::Region(_) | Node::Modulator(_)));
    let spiking = positions(|n| n.population().is_some());
    let populations = positions(|n| matches!(n, Node::Population(_)));
    if hosts.is_empty() || populations.is_empty() {
        return Just(Vec::new()).boxed();
    }
    let coupling = |converter: &str| {
        Edge::Coupling(Coupling {
            converter: converter.to_string(),
            params: BTreeMap::new(),
        })
    };
    let outgoing = (select(spiking), select(hosts.clone()))
        .prop_map(move |(from, to)| (from, to, coupling("spikes_to_rate")));
    let incoming = (select(hosts), select(populations))
        .prop_map(move |(from, to)| (from, to, coupling("rate_to_spikes")));
    vec(prop_oneof![outgoing, incoming], 0..=2).boxed()
}

/// A record by node position: what it probes and where.
type DraftRecord = (Probe, Vec<(usize, NeuronRange, Option<u32>)>);

/// Up to three records: spikes of one or two spiking populations, or one
/// state variable of one population.
fn arb_records(context: &Context) -> BoxedStrategy<Vec<DraftRecord>> {
    let spiking =
        context.nodes_where(|i, _| context.model_of(i).is_some_and(|m| m.spike.is_some()));
    let with_state =
        context.nodes_where(|i, _| context.model_of(i).is_some_and(|m| !m.state.is_empty()));
    let mut kinds: Vec<BoxedStrategy<DraftRecord>> = Vec::new();
    if !spiking.is_empty() {
        let most = spiking.len().min(2);
        let context = context.clone();
        let spikes = subsequence(spiking, 1..=most).prop_flat_map(move |nodes| {
            let targets: Vec<_> = nodes
                .into_iter()
                .map(|node| {
                    arb_range(context.size(node)).prop_map(move |range| (node, range, None))
                })
                .collect();
            targets.prop_map(|targets| (Probe::Spikes, targets))
        });
        kinds.push(spikes.boxed());
    }
    if !with_state.is_empty() {
        let context = context.clone();
        let state = select(with_state).prop_flat_map(move |node| {
            let names: Vec<String> = context.model_of(node).map_or_else(Vec::new, |m| {
                m.state.iter().map(|s| s.name.clone()).collect()
            });
            (0..names.len() as u32, arb_range(context.size(node))).prop_map(
                move |(index, range)| {
                    let probe = Probe::State(names[index as usize].clone());
                    (probe, vec![(node, range, Some(index))])
                },
            )
        });
        kinds.push(state.boxed());
    }
    if kinds.is_empty() {
        return Just(Vec::new()).boxed();
    }
    vec(Union::new(kinds), 0..=3).boxed()
}

fn arb_simulation() -> impl Strategy<Value = Simulation> {
    let dt = select(&[1e-4, 2.5e-4, 5e-4, 1e-3][..]);
    (dt, 0.0..0.2f64, any::<u64>()).prop_map(|(dt, duration, seed)| Simulation {
        dt,
        duration,
        seed,
    })
}

/// Everything drawn, before it becomes a graph.
struct Draft {
    context: Context,
    edges: Vec<DraftEdge>,
    records: Vec<DraftRecord>,
    simulation: Simulation,
    /// Whether the network has a source file and spans.
    spans: bool,
    /// Where to leave a node hole (and an edge hole) in the graph.
    hole: Option<Index>,
}

/// Builds the graph. A hole is made by adding a placeholder node with a
/// self-loop among the real ones and removing it at the end, as a pass that
/// deletes a node would.
fn assemble(draft: Draft) -> Network {
    let Draft {
        context,
        edges,
        records,
        simulation,
        spans,
        hole,
    } = draft;
    let mut network = Network {
        models: context.models.to_vec(),
        simulation,
        ..Network::default()
    };
    let hole_node = hole.map(|h| h.index(context.nodes.len() + 1));
    let hole_edge = hole.map(|h| h.index(edges.len() + 1));
    let mut placeholder = None;
    let mut ids = Vec::with_capacity(context.nodes.len());
    for (position, node) in context.nodes.iter().enumerate() {
        if hole_node == Some(position) {
            placeholder = Some(network.graph.add_node(placeholder_node()));
        }
        ids.push(network.graph.add_node(node.clone()));
    }
    if hole_node == Some(context.nodes.len()) {
        placeholder = Some(network.graph.add_node(placeholder_node()));
    }
    for (position, (pre, post, edge)) in edges.into_iter().enumerate() {
        if let (Some(node), true) = (placeholder, hole_edge == Some(position)) {
            network.graph.add_edge(node, node, placeholder_edge());
        }
        network.graph.add_edge(ids[pre], ids[post], edge);
    }
    if let Some(node) = placeholder {
        network.graph.remove_node(node);
    }
    network.records = records
        .into_iter()
        .map(|(probe, targets)| Record {
            probe,
            targets: targets
                .into_iter()
                .map(|(node, neurons, state)| ProbeTarget {
                    node: NodeId::from(ids[node]),
                    neurons,
                    state,
                })
                .collect(),
        })
        .collect();
    if spans {
        network.spans = span_table(&network);
    }
    network
}

fn placeholder_node() -> Node {
    Node::Modulator(Modulator {
        name: "removed".to_string(),
        params: BTreeMap::new(),
    })
}

fn placeholder_edge() -> Edge {
    Edge::Coupling(Coupling {
        converter: "removed".to_string(),
        params: BTreeMap::new(),
    })
}

/// One span per element, one after another in a single file.
fn span_table(network: &Network) -> SpanTable {
    let mut next = 0usize;
    let mut span = || {
        next += 10;
        Span::new(FileId(0), next - 10, next - 1)
    };
    SpanTable {
        files: vec!["generated.snn".to_string()],
        models: (0..network.models.len())
            .map(|i| (ModelId(i as u32), span()))
            .collect(),
        nodes: network.nodes().map(|(id, _)| (id, span())).collect(),
        edges: network
            .graph
            .edge_indices()
            .map(|e| (ProjId::from(e), span()))
            .collect(),
        records: network.records.iter().map(|_| span()).collect(),
    }
}
