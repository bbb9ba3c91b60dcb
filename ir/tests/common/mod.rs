//! A small hand-built network shared by the verifier and printer tests:
//! the Vogels & Abbott (2005) current-based benchmark of DESIGN.md §3,
//! plus a Poisson source, a discrete-time relay population with an input,
//! a region with a coupling, records and spans.

#![allow(dead_code)]

use neurc_ir::{
    Assignment, BinaryOp, Coupling, Distribution, Dynamics, Edge, Expr, FileId, Func, InputDecl,
    Layout, Method, ModelId, Network, NeuronModel, NeuronRange, Node, NodeId, Ode, ParamDecl,
    ParamValue, Population, Probe, ProbeTarget, ProjId, Projection, Record, Refractory, Region,
    Rule, Simulation, Span, StateDecl, SynapticTarget, UnaryOp, Var,
};
use neurc_ir::{Dimension, Quantity};
use std::collections::BTreeMap;

pub const MV: f64 = 1e-3;
pub const MS: f64 = 1e-3;

pub fn var(v: Var) -> Expr {
    Expr::Var(v)
}

pub fn constant(value: f64) -> Expr {
    Expr::Const(value)
}

pub fn binary(op: BinaryOp, left: Expr, right: Expr) -> Expr {
    Expr::Binary(op, Box::new(left), Box::new(right))
}

pub fn neg(operand: Expr) -> Expr {
    Expr::Unary(UnaryOp::Neg, Box::new(operand))
}

fn scalar_param(name: &str, dimension: Dimension, value: f64) -> ParamDecl {
    ParamDecl {
        name: name.to_string(),
        dimension,
        default: ParamValue::Scalar(Distribution::Constant(value)),
    }
}

fn state(name: &str, dimension: Dimension, init: Distribution) -> StateDecl {
    StateDecl {
        name: name.to_string(),
        dimension,
        init,
    }
}

/// `LifCuba` of DESIGN.md §3.
pub fn lif_cuba() -> NeuronModel {
    use Var::{Param, State};
    let (v, ge, gi) = (var(State(0)), var(State(1)), var(State(2)));
    let (tau_m, tau_e, tau_i) = (var(Param(0)), var(Param(1)), var(Param(2)));
    let (v_th, v_reset, e_l) = (var(Param(3)), var(Param(4)), var(Param(5)));
    let dv = binary(
        BinaryOp::Div,
        binary(
            BinaryOp::Sub,
            binary(BinaryOp::Add, ge.clone(), gi.clone()),
            binary(BinaryOp::Sub, v.clone(), e_l),
        ),
        tau_m,
    );
    NeuronModel {
        name: "LifCuba".to_string(),
        params: vec![
            scalar_param("tau_m", Dimension::TIME, 20.0 * MS),
            scalar_param("tau_e", Dimension::TIME, 5.0 * MS),
            scalar_param("tau_i", Dimension::TIME, 10.0 * MS),
            scalar_param("v_th", Dimension::VOLTAGE, -50.0 * MV),
            scalar_param("v_reset", Dimension::VOLTAGE, -60.0 * MV),
            scalar_param("e_l", Dimension::VOLTAGE, -49.0 * MV),
        ],
        state: vec![
            state(
                "v",
                Dimension::VOLTAGE,
                Distribution::Uniform {
                    low: -60.0 * MV,
                    high: -50.0 * MV,
                },
            ),
            state("ge", Dimension::VOLTAGE, Distribution::Constant(0.0)),
            state("gi", Dimension::VOLTAGE, Distribution::Constant(0.0)),
        ],
        inputs: Vec::new(),
        dynamics: Dynamics::Ode(vec![
            Ode { var: 0, rhs: dv },
            Ode {
                var: 1,
                rhs: binary(BinaryOp::Div, neg(ge), tau_e),
            },
            Ode {
                var: 2,
                rhs: binary(BinaryOp::Div, neg(gi), tau_i),
            },
        ]),
        method: Method::Auto,
        spike: Some(binary(BinaryOp::Gt, v, v_th)),
        reset: vec![Assignment {
            var: 0,
            value: v_reset,
        }],
        refractory: Some(Refractory {
            period: constant(5.0 * MS),
            held: vec![0],
        }),
    }
}

/// A Poisson source: `spike rand() < rate * dt`.
pub fn poisson() -> NeuronModel {
    NeuronModel {
        name: "Poisson".to_string(),
        params: vec![scalar_param("rate", Dimension::FREQUENCY, 10.0)],
        state: Vec::new(),
        inputs: Vec::new(),
        dynamics: Dynamics::None,
        method: Method::Auto,
        spike: Some(binary(
            BinaryOp::Lt,
            Expr::Call(Func::Rand, Vec::new()),
            binary(BinaryOp::Mul, var(Var::Param(0)), var(Var::Dt)),
        )),
        reset: Vec::new(),
        refractory: None,
    }
}

/// A discrete-time relay: `update v = v / 2 + i_syn`, spikes above theta.
pub fn relay() -> NeuronModel {
    let v = var(Var::State(0));
    NeuronModel {
        name: "Relay".to_string(),
        params: vec![scalar_param("theta", Dimension::VOLTAGE, 10.0 * MV)],
        state: vec![state("v", Dimension::VOLTAGE, Distribution::Constant(0.0))],
        inputs: vec![InputDecl {
            name: "i_syn".to_string(),
            dimension: Dimension::VOLTAGE,
        }],
        dynamics: Dynamics::Update(vec![Assignment {
            var: 0,
            value: binary(
                BinaryOp::Add,
                binary(BinaryOp::Div, v.clone(), constant(2.0)),
                var(Var::Input(0)),
            ),
        }]),
        method: Method::Auto,
        spike: Some(binary(BinaryOp::Gt, v, var(Var::Param(0)))),
        reset: vec![Assignment {
            var: 0,
            value: constant(0.0),
        }],
        refractory: None,
    }
}

fn population(name: &str, model: ModelId, model_decl: &NeuronModel, size: u32) -> Population {
    Population {
        name: name.to_string(),
        model,
        size,
        params: model_decl
            .params
            .iter()
            .map(|p| p.default.clone())
            .collect(),
        init: model_decl.state.iter().map(|s| s.init.clone()).collect(),
        positions: None,
    }
}

fn projection(
    name: &str,
    pre: NeuronRange,
    post: NeuronRange,
    rule: Rule,
    weight: f64,
    target: SynapticTarget,
) -> Edge {
    Edge::Projection(Projection {
        name: name.to_string(),
        pre,
        post,
        rule,
        weight: Distribution::Constant(weight),
        target,
        delay: Distribution::Constant(0.1 * MS),
        autapses: false,
        multapses: false,
        chip_weights: None,
    })
}

/// The benchmark network, valid:
///
/// - m0 LifCuba, m1 Poisson, m2 Relay;
/// - n0 exc (3200), n1 inh (800), n2 noise (Poisson source, 100),
///   n3 relay (10, on a grid), n4 cortex (region);
/// - e0 exc -> exc, e1 exc -> inh, e2 inh -> exc, e3 inh -> inh (bernoulli
///   0.02), e4 noise -> exc (fixed_indegree 10), e5 exc -> relay
///   (one_to_one onto the input), e6 exc -> cortex (coupling);
/// - r0 spikes(exc, inh), r1 v(exc[0..10]);
/// - spans for everything in `cuba.snn`.
pub fn cuba() -> Network {
    let models = vec![lif_cuba(), poisson(), relay()];
    let mut network = Network::default();
    let graph = &mut network.graph;
    let exc = graph.add_node(Node::Population(population(
        "exc",
        ModelId(0),
        &models[0],
        3200,
    )));
    let inh = graph.add_node(Node::Population(population(
        "inh",
        ModelId(0),
        &models[0],
        800,
    )));
    let noise = graph.add_node(Node::Source(population(
        "noise",
        ModelId(1),
        &models[1],
        100,
    )));
    let mut relay_population = population("relay", ModelId(2), &models[2], 10);
    relay_population.positions = Some(Layout::Grid {
        shape: [5, 2, 1],
        spacing: 10e-6,
    });
    let relay = graph.add_node(Node::Population(relay_population));
    let cortex = graph.add_node(Node::Region(Region {
        name: "cortex".to_string(),
        model: "WilsonCowan".to_string(),
        connectome: None,
        params: BTreeMap::from([(
            "tau".to_string(),
            Quantity {
                value: 10.0 * MS,
                dimension: Dimension::TIME,
            },
        )]),
    }));
    let all = |size| NeuronRange::new(0, size);
    let bernoulli = Rule::Bernoulli { p: 0.02 };
    let (ge, gi) = (SynapticTarget::State(1), SynapticTarget::State(2));
    for (name, pre, post, pre_size, post_size, weight, target) in [
        ("exc -> exc", exc, exc, 3200, 3200, 1.62 * MV, ge),
        ("exc -> inh", exc, inh, 3200, 800, 1.62 * MV, ge),
        ("inh -> exc", inh, exc, 800, 3200, -9.0 * MV, gi),
        ("inh -> inh", inh, inh, 800, 800, -9.0 * MV, gi),
    ] {
        let edge = projection(
            name,
            all(pre_size),
            all(post_size),
            bernoulli.clone(),
            weight,
            target,
        );
        graph.add_edge(pre, post, edge);
    }
    let indegree = Rule::FixedIndegree { k: 10 };
    let noise_edge = projection("noise -> exc", all(100), all(3200), indegree, 0.5 * MV, ge);
    graph.add_edge(noise, exc, noise_edge);
    let relay_edge = projection(
        "exc -> relay",
        all(10),
        all(10),
        Rule::OneToOne,
        2.0 * MV,
        SynapticTarget::Input(0),
    );
    graph.add_edge(exc, relay, relay_edge);
    graph.add_edge(
        exc,
        cortex,
        Edge::Coupling(Coupling {
            converter: "spikes_to_rate".to_string(),
            params: BTreeMap::new(),
        }),
    );
    network.models = models;
    network.records = vec![
        Record {
            probe: Probe::Spikes,
            targets: vec![
                ProbeTarget {
                    node: NodeId::from(exc),
                    neurons: all(3200),
                    state: None,
                },
                ProbeTarget {
                    node: NodeId::from(inh),
                    neurons: all(800),
                    state: None,
                },
            ],
        },
        Record {
            probe: Probe::State("v".to_string()),
            targets: vec![ProbeTarget {
                node: NodeId::from(exc),
                neurons: NeuronRange::new(0, 10),
                state: Some(0),
            }],
        },
    ];
    network.simulation = Simulation {
        dt: 0.1 * MS,
        duration: 1.0,
        seed: 1234,
    };
    let mut offset = 0;
    let mut span = || {
        offset += 20;
        Span::new(FileId(0), offset - 20, offset - 1)
    };
    network.spans.files = vec!["cuba.snn".to_string()];
    network.spans.models = (0..3).map(|i| (ModelId(i), span())).collect();
    network.spans.nodes = (0..5).map(|i| (NodeId(i), span())).collect();
    network.spans.edges = (0..7).map(|i| (ProjId(i), span())).collect();
    network.spans.records = vec![span(), span()];
    network
}

/// The projection with this id.
pub fn projection_mut(network: &mut Network, id: u32) -> &mut Projection {
    match network.graph.edge_weight_mut(ProjId(id).index()) {
        Some(Edge::Projection(projection)) => projection,
        other => panic!("e{id} is not a projection: {other:?}"),
    }
}

/// The population or source with this id.
pub fn population_mut(network: &mut Network, id: u32) -> &mut Population {
    match network.graph.node_weight_mut(NodeId(id).index()) {
        Some(Node::Population(population) | Node::Source(population)) => population,
        other => panic!("n{id} is not a population: {other:?}"),
    }
}
