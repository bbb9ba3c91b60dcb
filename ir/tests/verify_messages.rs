//! One test per verifier invariant: a valid network (and valid synapse
//! tables) with one defect injected, and the exact messages the verifier
//! must report for it.

mod common;

use common::{MS, binary, constant, cuba, neg, population_mut, projection_mut, var};
use neurc_ir::{
    Assignment, BinaryOp, Connectivity, Coupling, Distribution, Dynamics, Edge, Element, Expr,
    FileId, Func, InputDecl, Layout, ModelId, Network, Node, NodeId, Ode, ParamValue, PerSynapse,
    ProjId, Rule, Span, SpanTable, SynapseTable, SynapticTarget, Var, verify, verify_connectivity,
};
use std::collections::BTreeMap;

/// The messages `verify` reports for the benchmark network after `corrupt`.
fn violations(corrupt: impl FnOnce(&mut Network)) -> Vec<String> {
    let mut network = cuba();
    corrupt(&mut network);
    match verify(&network) {
        Ok(()) => Vec::new(),
        Err(violations) => violations.iter().map(ToString::to_string).collect(),
    }
}

#[track_caller]
fn assert_violations(corrupt: impl FnOnce(&mut Network), expected: &[&str]) {
    assert_eq!(violations(corrupt), expected);
}

fn ode_rhs(network: &mut Network, model: usize, ode: usize) -> &mut Expr {
    match &mut network.models[model].dynamics {
        Dynamics::Ode(odes) => &mut odes[ode].rhs,
        other => panic!("m{model} has no ODEs: {other:?}"),
    }
}

fn add_coupling(network: &mut Network, from: u32, to: u32, converter: &str) {
    let coupling = Edge::Coupling(Coupling {
        converter: converter.to_string(),
        params: BTreeMap::new(),
    });
    network
        .graph
        .add_edge(NodeId(from).index(), NodeId(to).index(), coupling);
}

#[test]
fn the_benchmark_network_is_valid() {
    assert_eq!(verify(&cuba()), Ok(()));
}

#[test]
fn a_network_built_in_code_needs_no_spans() {
    let mut network = cuba();
    network.spans = SpanTable::default();
    assert_eq!(verify(&network), Ok(()));
}

#[test]
fn violations_carry_the_element_and_its_span() {
    let mut network = cuba();
    projection_mut(&mut network, 1).post.end = 900;
    let violations = verify(&network).unwrap_err();
    assert_eq!(violations.len(), 1);
    let violation = &violations[0];
    assert_eq!(violation.element, Element::Projection(ProjId(1)));
    assert_eq!(violation.name.as_deref(), Some("exc -> inh"));
    assert_eq!(violation.span, network.spans.edges.get(&ProjId(1)).copied());
    assert_eq!(
        violation.to_string(),
        "e1 (exc -> inh): post range 0..900 exceeds population size 800"
    );
}

#[test]
fn every_violation_is_reported_not_just_the_first() {
    assert_violations(
        |n| population_mut(n, 1).size = 0,
        &[
            "n1 (inh): has no neurons (size 0)",
            "e1 (exc -> inh): post range 0..800 exceeds population size 0",
            "e2 (inh -> exc): pre range 0..800 exceeds population size 0",
            "e3 (inh -> inh): pre range 0..800 exceeds population size 0",
            "e3 (inh -> inh): post range 0..800 exceeds population size 0",
            "record 0 (spikes): in n1 (inh): neuron range 0..800 exceeds population size 0",
        ],
    );
}

// Models.

#[test]
fn expressions_read_existing_variables() {
    assert_violations(
        |n| n.models[0].spike = Some(binary(BinaryOp::Gt, var(Var::State(0)), var(Var::Param(9)))),
        &["m0 (LifCuba): spike condition reads parameter #9, but the model has 6 parameters"],
    );
    assert_violations(
        |n| *ode_rhs(n, 0, 1) = neg(var(Var::State(3))),
        &["m0 (LifCuba): equation for ge reads state #3, but the model has 3 state variables"],
    );
    assert_violations(
        |n| n.models[2].reset[0].value = var(Var::Input(1)),
        &["m2 (Relay): reset of v reads input #1, but the model has 1 input"],
    );
}

#[test]
fn only_update_models_have_inputs() {
    assert_violations(
        |n| *ode_rhs(n, 0, 0) = var(Var::Input(0)),
        &["m0 (LifCuba): equation for v reads input #0, but only update models have inputs"],
    );
    assert_violations(
        |n| {
            n.models[0].inputs.push(InputDecl {
                name: "i".to_string(),
                dimension: neurc_ir::Dimension::CURRENT,
            });
        },
        &["m0 (LifCuba): declares inputs (i), but only update models have inputs"],
    );
}

#[test]
fn distance_exists_only_in_connectivity_rules() {
    assert_violations(
        |n| n.models[2].reset[0].value = var(Var::Distance),
        &[
            "m2 (Relay): reset of v reads distance, which exists only in distance-dependent connectivity rules",
        ],
    );
}

#[test]
fn calls_have_their_arity_and_constants_are_finite() {
    assert_violations(
        |n| n.models[0].spike = Some(Expr::Call(Func::Exp, Vec::new())),
        &["m0 (LifCuba): spike condition calls exp() with 0 arguments; it takes 1"],
    );
    assert_violations(
        |n| n.models[0].refractory.as_mut().unwrap().period = constant(f64::NAN),
        &["m0 (LifCuba): refractory period holds the constant NaN, which is not finite"],
    );
}

#[test]
fn powers_are_integer_constants() {
    assert_violations(
        |n| {
            let v = var(Var::State(0));
            *ode_rhs(n, 0, 1) = binary(BinaryOp::Pow, v.clone(), constant(0.5));
            *ode_rhs(n, 0, 2) = binary(BinaryOp::Pow, v.clone(), v.clone());
            // A folded constant expression is an exponent too: v ^ -(1 + 1).
            let minus_two = neg(binary(BinaryOp::Add, constant(1.0), constant(1.0)));
            *ode_rhs(n, 0, 0) = binary(BinaryOp::Pow, v, minus_two);
        },
        &[
            "m0 (LifCuba): equation for ge raises to the power 0.5, which is not an integer",
            "m0 (LifCuba): equation for gi raises to a power that is not a constant",
        ],
    );
}

#[test]
fn spike_times_are_read_only_by_at() {
    assert_violations(
        |n| n.models[0].spike = Some(Expr::Call(Func::At, vec![var(Var::Param(0))])),
        &["m0 (LifCuba): spike condition calls at(tau_m), but tau_m is a number, not spike times"],
    );
    assert_violations(
        |n| {
            n.models[1].params[0].default = ParamValue::Schedule(vec![vec![0.2, 0.1]]);
            population_mut(n, 2).params[0] = ParamValue::Schedule(vec![vec![0.1], vec![0.2]]);
        },
        &[
            "m1 (Poisson): default of rate: spike-time list 0 is not ascending (0.2 before 0.1)",
            "m1 (Poisson): spike condition reads the spike-time parameter rate as a number; only at() can read it",
            "n2 (noise): parameter rate: has 2 spike-time lists; expected 1 shared list or one per neuron (100)",
        ],
    );
}

#[test]
fn assigned_variables_exist_and_have_one_equation() {
    assert_violations(
        |n| {
            let Dynamics::Ode(odes) = &mut n.models[0].dynamics else {
                unreachable!()
            };
            odes.push(Ode {
                var: 1,
                rhs: constant(0.0),
            });
            odes.push(Ode {
                var: 3,
                rhs: constant(0.0),
            });
        },
        &[
            "m0 (LifCuba): has two equations for ge",
            "m0 (LifCuba): has an equation for state #3, but the model has 3 state variables",
        ],
    );
    assert_violations(
        |n| {
            n.models[2].reset.push(Assignment {
                var: 4,
                value: constant(0.0),
            });
            n.models[0].refractory.as_mut().unwrap().held = vec![5];
        },
        &[
            "m0 (LifCuba): holds state #5, but the model has 3 state variables",
            "m2 (Relay): resets state #4, but the model has 1 state variable",
        ],
    );
}

#[test]
fn variable_names_are_distinct() {
    assert_violations(
        |n| n.models[0].state[1].name = "v".to_string(),
        &["m0 (LifCuba): declares v twice"],
    );
}

#[test]
fn only_spiking_models_reset() {
    assert_violations(
        |n| n.models[0].spike = None,
        &[
            "m0 (LifCuba): has a reset but no spike condition",
            "m0 (LifCuba): has a refractory period but no spike condition",
            "record 0 (spikes): records spikes of n0 (exc), whose model m0 (LifCuba) never spikes",
            "record 0 (spikes): records spikes of n1 (inh), whose model m0 (LifCuba) never spikes",
        ],
    );
}

#[test]
fn default_values_are_valid_distributions() {
    assert_violations(
        |n| {
            n.models[0].state[0].init = Distribution::Normal {
                mean: 0.0,
                sd: -1.0,
            }
        },
        &["m0 (LifCuba): initial value of v: normal sd -1 is negative"],
    );
}

// Nodes.

#[test]
fn node_names_are_unique() {
    assert_violations(
        |n| population_mut(n, 1).name = "exc".to_string(),
        &["n1 (exc): name exc is already used by n0 (exc)"],
    );
}

#[test]
fn populations_use_an_existing_model() {
    assert_violations(
        |n| population_mut(n, 3).model = ModelId(7),
        &["n3 (relay): uses model m7, which does not exist (the network has 3 models)"],
    );
}

#[test]
fn populations_give_one_value_per_parameter_and_state_variable() {
    assert_violations(
        |n| {
            population_mut(n, 0).params.pop();
            population_mut(n, 1).init.push(Distribution::Constant(0.0));
        },
        &[
            "n0 (exc): has 5 parameter values, but its model m0 (LifCuba) declares 6 parameters",
            "n1 (inh): has 4 initial values, but its model m0 (LifCuba) declares 3 state variables",
        ],
    );
}

#[test]
fn parameter_values_have_the_declared_kind() {
    assert_violations(
        |n| population_mut(n, 2).params[0] = ParamValue::Schedule(vec![vec![0.1]]),
        &["n2 (noise): gives parameter rate spike times, but its model declares a number"],
    );
}

#[test]
fn population_values_are_valid_distributions() {
    assert_violations(
        |n| {
            population_mut(n, 0).init[0] = Distribution::Uniform {
                low: f64::NAN,
                high: 1.0,
            };
            population_mut(n, 1).params[0] = ParamValue::Scalar(Distribution::Clipped {
                inner: Box::new(Distribution::LogNormal {
                    median: 1.0,
                    sigma: -0.5,
                }),
                low: 2.0,
                high: 1.0,
            });
        },
        &[
            "n0 (exc): initial value of v: uniform low NaN is not finite",
            "n1 (inh): parameter tau_m: clip low 2 exceeds high 1",
            "n1 (inh): parameter tau_m: lognormal sigma -0.5 is negative",
        ],
    );
}

#[test]
fn sources_only_emit_spikes() {
    assert_violations(
        |n| {
            let relay = population_mut(n, 3).clone();
            n.graph[NodeId(3).index()] = Node::Source(relay);
        },
        &[
            "n3 (relay): is a source, but its model m2 (Relay) has state or inputs",
            "e5 (exc -> relay): ends at source n3 (relay); projections end at populations",
        ],
    );
    assert_violations(
        |n| n.models[1].spike = None,
        &["n2 (noise): is a source, but its model m1 (Poisson) never spikes"],
    );
}

#[test]
fn layouts_place_every_neuron() {
    assert_violations(
        |n| {
            population_mut(n, 3).positions = Some(Layout::Grid {
                shape: [2, 2, 1],
                spacing: 0.0,
            });
        },
        &[
            "n3 (relay): grid 2 × 2 × 1 has 4 positions for 10 neurons",
            "n3 (relay): grid spacing 0 m must be positive and finite",
        ],
    );
}

#[test]
fn host_settings_are_finite() {
    assert_violations(
        |n| {
            let Node::Region(region) = &mut n.graph[NodeId(4).index()] else {
                unreachable!()
            };
            region.params.get_mut("tau").unwrap().value = f64::INFINITY;
        },
        &["n4 (cortex): setting tau = inf is not finite"],
    );
}

// Edges.

#[test]
fn projection_ranges_hold_neurons() {
    assert_violations(
        |n| projection_mut(n, 0).pre = neurc_ir::NeuronRange::new(5, 5),
        &["e0 (exc -> exc): pre range 5..5 is empty"],
    );
}

#[test]
fn projections_join_spiking_nodes() {
    assert_violations(
        |n| {
            let edge = n.graph[ProjId(0).index()].clone();
            n.graph.add_edge(NodeId(4).index(), NodeId(0).index(), edge);
        },
        &[
            "e7 (exc -> exc): starts at region n4 (cortex); projections start at populations or sources",
            "e7 (exc -> exc): has no source span",
        ],
    );
}

#[test]
fn weights_land_on_an_existing_variable() {
    assert_violations(
        |n| {
            projection_mut(n, 0).target = SynapticTarget::State(7);
            projection_mut(n, 5).target = SynapticTarget::Input(1);
        },
        &[
            "e0 (exc -> exc): targets state variable #7, but model m0 (LifCuba) has 3",
            "e5 (exc -> relay): targets input #1, but model m2 (Relay) has 1",
        ],
    );
}

#[test]
fn weights_and_delays_are_valid() {
    assert_violations(
        |n| {
            projection_mut(n, 1).weight = Distribution::Normal {
                mean: f64::NAN,
                sd: 1e-3,
            };
            projection_mut(n, 0).delay = Distribution::Constant(-MS);
        },
        &[
            "e0 (exc -> exc): delay: constant -0.001 s is negative",
            "e1 (exc -> inh): weight: normal mean NaN is not finite",
        ],
    );
}

#[test]
fn bernoulli_p_is_a_probability() {
    assert_violations(
        |n| projection_mut(n, 0).rule = Rule::Bernoulli { p: 1.5 },
        &["e0 (exc -> exc): bernoulli p = 1.5 is not a probability in [0, 1]"],
    );
    assert_violations(
        |n| projection_mut(n, 0).rule = Rule::Bernoulli { p: f64::NAN },
        &["e0 (exc -> exc): bernoulli p = NaN is not a probability in [0, 1]"],
    );
}

#[test]
fn one_to_one_ranges_have_equal_length() {
    assert_violations(
        |n| projection_mut(n, 5).post.end = 9,
        &[
            "e5 (exc -> relay): one_to_one needs ranges of equal length, but pre has 10 and post 9 neurons",
        ],
    );
}

/// Whether a rule can draw what it asks for is the expansion pass's to
/// report, with its own diagnostic.
#[test]
fn fixed_degrees_are_left_to_expansion() {
    assert_violations(
        |n| projection_mut(n, 4).rule = Rule::FixedIndegree { k: 101 },
        &[],
    );
}

#[test]
fn dense_matrices_match_the_ranges() {
    assert_violations(
        |n| {
            projection_mut(n, 5).rule = Rule::Dense {
                cols: 9,
                entries: vec![1.0; 89].into_iter().chain([f64::NAN]).collect(),
            };
        },
        &[
            "e5 (exc -> relay): dense matrix has 9 columns, but the post range has 10 neurons",
            "e5 (exc -> relay): dense entry 89 is NaN, which is not finite",
        ],
    );
    assert_violations(
        |n| {
            projection_mut(n, 5).rule = Rule::Dense {
                cols: 10,
                entries: vec![1.0; 99],
            };
        },
        &["e5 (exc -> relay): dense matrix has 99 entries, expected 10 × 10 = 100"],
    );
}

#[test]
fn synapse_lists_stay_in_range() {
    assert_violations(
        |n| {
            projection_mut(n, 5).rule = Rule::List {
                path: "pairs.csv".to_string(),
                pairs: vec![(0, 0), (10, 3), (2, 11)],
                weights: Some(vec![1.0]),
                delays: Some(vec![1e-3, -1e-3, 0.0]),
            };
        },
        &[
            "e5 (exc -> relay): from_file pairs outside the 10 × 10 projection: 2 (first: pair 1, (10, 3))",
            "e5 (exc -> relay): from_file has 1 weight for 3 pairs",
            "e5 (exc -> relay): from_file delay 1 is -0.001 s; delays must be finite and non-negative",
        ],
    );
}

#[test]
fn distance_rules_need_positions_and_read_only_distance() {
    let decay = Expr::Call(
        Func::Exp,
        vec![binary(
            BinaryOp::Div,
            neg(var(Var::Distance)),
            constant(1e-4),
        )],
    );
    assert_violations(
        |n| projection_mut(n, 0).rule = Rule::Distance { probability: decay },
        &["e0 (exc -> exc): distance rule needs positions, but n0 (exc) has none"],
    );
    assert_violations(
        |n| {
            population_mut(n, 0).positions = Some(Layout::RandomBox {
                extent: [1e-3, 1e-3, 0.0],
            });
            let probability = binary(
                BinaryOp::Lt,
                Expr::Call(Func::Rand, Vec::new()),
                binary(BinaryOp::Add, var(Var::Time), var(Var::Dt)),
            );
            projection_mut(n, 0).rule = Rule::Distance { probability };
        },
        &[
            "e0 (exc -> exc): distance probability reads time; a connection probability can only read distance and dt",
        ],
    );
}

#[test]
fn couplings_join_a_host_node_and_never_feed_a_source() {
    assert_violations(
        |n| add_coupling(n, 0, 1, "spikes_to_rate"),
        &[
            "e7 (spikes_to_rate): couples n0 (exc) to n1 (inh); a coupling needs a region or modulator at one end",
            "e7 (spikes_to_rate): has no source span",
        ],
    );
    assert_violations(
        |n| {
            add_coupling(n, 4, 2, "rate_to_spikes");
            n.spans.edges.insert(ProjId(7), Span::new(FileId(0), 0, 1));
        },
        &["e7 (rate_to_spikes): feeds source n2 (noise), which receives nothing"],
    );
}

// Records.

#[test]
fn records_probe_existing_neurons() {
    assert_violations(
        |n| {
            n.records[1].targets[0].neurons.end = 3300;
            n.records[0].targets[1].node = NodeId(42);
        },
        &[
            "record 0 (spikes): targets n42, which does not exist",
            "record 1 (v): in n0 (exc): neuron range 0..3300 exceeds population size 3200",
        ],
    );
    assert_violations(
        |n| n.records[0].targets[1].node = NodeId(4),
        &["record 0 (spikes): targets n4 (cortex), which is not a population or source"],
    );
    assert_violations(
        |n| n.records[1].targets.clear(),
        &["record 1 (v): has no target"],
    );
}

#[test]
fn records_name_a_state_variable_of_the_target() {
    assert_violations(
        |n| n.records[1].targets[0].state = Some(1),
        &["record 1 (v): records v of n0 (exc), but state #1 of model m0 (LifCuba) is ge"],
    );
    assert_violations(
        |n| n.records[1].targets[0].state = Some(3),
        &[
            "record 1 (v): records state #3 of n0 (exc), but model m0 (LifCuba) has 3 state variables",
        ],
    );
    assert_violations(
        |n| n.records[0].targets[0].state = Some(0),
        &["record 0 (spikes): records spikes of n0 (exc), but names state #0"],
    );
}

// Simulation and spans.

#[test]
fn simulation_steps_forward() {
    assert_violations(
        |n| {
            n.simulation.dt = 0.0;
            n.simulation.duration = f64::NAN;
        },
        &[
            "simulation: dt = 0 s must be positive and finite",
            "simulation: duration = NaN s must be non-negative and finite",
        ],
    );
}

#[test]
fn every_element_has_a_span_in_a_listed_file() {
    assert_violations(
        |n| {
            n.spans.nodes.remove(&NodeId(2));
            n.spans
                .models
                .insert(ModelId(0), Span::new(FileId(3), 0, 4));
            n.spans.records.pop();
        },
        &[
            "n2 (noise): has no source span",
            "m0 (LifCuba): span is in file #3, but the span table lists 1 file",
            "record 1 (v): has no source span",
        ],
    );
}

#[test]
fn no_span_outlives_its_element() {
    assert_violations(
        |n| {
            n.spans.nodes.insert(NodeId(9), Span::default());
            n.spans.edges.insert(ProjId(12), Span::default());
            n.spans.records.push(Span::default());
        },
        &[
            "n9: has a source span but does not exist",
            "e12: has a source span but does not exist",
            "record 2: has a source span but does not exist",
        ],
    );
}

#[test]
fn removing_a_node_and_its_spans_keeps_the_network_valid() {
    let mut network = cuba();
    network.graph.remove_node(NodeId(2).index());
    network.spans.nodes.remove(&NodeId(2));
    network.spans.edges.remove(&ProjId(4));
    assert_eq!(verify(&network), Ok(()));
}

// Synapse tables.

/// Tables for the benchmark network: every projection empty except e5
/// (exc[0..10] -> relay[0..10], one to one), whose row i holds target i.
fn tables(network: &Network) -> Connectivity {
    let tables = network
        .projections()
        .map(|(id, _, _, projection)| {
            let rows = projection.pre.len() as usize;
            let table = if id == ProjId(5) {
                SynapseTable {
                    row_offsets: (0..=10).collect(),
                    targets: (0..10).collect(),
                    weights: PerSynapse::Constant(2.0 * 1e-3),
                    delays: PerSynapse::Constant(1),
                }
            } else {
                SynapseTable {
                    row_offsets: vec![0; rows + 1],
                    targets: Vec::new(),
                    weights: PerSynapse::Constant(0.0),
                    delays: PerSynapse::Varying(Vec::new()),
                }
            };
            (id, table)
        })
        .collect();
    Connectivity { tables }
}

/// The messages `verify_connectivity` reports for the benchmark network's
/// tables after `corrupt`.
#[track_caller]
fn assert_table_violations(
    corrupt: impl FnOnce(&mut Network, &mut Connectivity),
    expected: &[&str],
) {
    let mut network = cuba();
    let mut connectivity = tables(&network);
    corrupt(&mut network, &mut connectivity);
    let messages: Vec<String> = match verify_connectivity(&network, &connectivity) {
        Ok(()) => Vec::new(),
        Err(violations) => violations.iter().map(ToString::to_string).collect(),
    };
    assert_eq!(messages, expected);
}

fn relay_table(connectivity: &mut Connectivity) -> &mut SynapseTable {
    connectivity
        .tables
        .get_mut(&ProjId(5))
        .expect("e5 has a table")
}

#[test]
fn the_benchmark_tables_are_valid() {
    assert_table_violations(|_, _| {}, &[]);
}

#[test]
fn every_projection_and_only_projections_have_tables() {
    assert_table_violations(
        |_, c| {
            c.tables.remove(&ProjId(3));
            let copy = c.tables[&ProjId(0)].clone();
            c.tables.insert(ProjId(6), copy.clone());
            c.tables.insert(ProjId(9), copy);
        },
        &[
            "e3 (inh -> inh): has no synapse table",
            "e6 (spikes_to_rate): has a synapse table but is not a projection",
            "e9: has a synapse table but is not a projection",
        ],
    );
}

#[test]
fn row_offsets_delimit_one_row_per_presynaptic_neuron() {
    assert_table_violations(
        |_, c| {
            relay_table(c).row_offsets.pop();
        },
        &["e5 (exc -> relay): has 10 row offsets for 10 presynaptic neurons; expected 11"],
    );
    assert_table_violations(
        |_, c| relay_table(c).row_offsets[0] = 1,
        &["e5 (exc -> relay): row offsets start at 1, not 0"],
    );
    assert_table_violations(
        |_, c| relay_table(c).row_offsets[3] = 9,
        &["e5 (exc -> relay): row offsets decrease after row 3 (9 > 4)"],
    );
    assert_table_violations(
        |_, c| relay_table(c).targets.push(9),
        &["e5 (exc -> relay): row offsets end at 10, but the table has 11 targets"],
    );
}

#[test]
fn targets_lie_in_the_post_range_in_order() {
    assert_table_violations(
        |_, c| {
            let table = relay_table(c);
            table.targets[2] = 10;
            table.targets[7] = 12;
        },
        &["e5 (exc -> relay): targets outside the post range 0..10: 2 (first: row 2, target 10)"],
    );
    assert_table_violations(
        |_, c| {
            let table = relay_table(c);
            table.row_offsets = vec![0, 2, 2, 2, 2, 2, 2, 2, 2, 2, 3];
            table.targets = vec![4, 4, 1];
        },
        &[
            "e5 (exc -> relay): targets out of strictly ascending (no multapses) order in their row: 1 (first: row 0, target 4)",
        ],
    );
    assert_table_violations(
        |n, c| {
            projection_mut(n, 5).multapses = true;
            let table = relay_table(c);
            table.row_offsets = vec![0, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3];
            table.targets = vec![4, 4, 1];
        },
        &[
            "e5 (exc -> relay): targets out of ascending order in their row: 1 (first: row 0, target 1)",
        ],
    );
}

#[test]
fn no_autapses_unless_allowed() {
    let autapse = |_: &mut Network, c: &mut Connectivity| {
        let table = c.tables.get_mut(&ProjId(0)).unwrap();
        table.targets = vec![7];
        table.delays = PerSynapse::Constant(1);
        table.row_offsets.iter_mut().skip(8).for_each(|o| *o = 1);
    };
    assert_table_violations(
        autapse,
        &[
            "e0 (exc -> exc): autapses, which the projection does not allow: 1 (first: row 7, target 7)",
        ],
    );
    assert_table_violations(
        |n, c| {
            projection_mut(n, 0).autapses = true;
            autapse(n, c);
        },
        &[],
    );
}

#[test]
fn weights_are_finite_and_delays_at_least_one_step() {
    assert_table_violations(
        |_, c| {
            let table = relay_table(c);
            table.weights =
                PerSynapse::Varying(vec![1.0, 1.0, 1.0, 1.0, f64::NAN, 1.0, 1.0, 1.0, 1.0]);
            table.delays = PerSynapse::Varying(vec![1, 1, 1, 0, 2, 0, 1, 1, 1, 1]);
        },
        &[
            "e5 (exc -> relay): has 9 weights for 10 synapses",
            "e5 (exc -> relay): non-finite weights: 1 (first: synapse 4, NaN)",
            "e5 (exc -> relay): delays of 0 steps (at least 1 is needed): 2 (first: synapse 3)",
        ],
    );
    assert_table_violations(
        |_, c| {
            let table = relay_table(c);
            table.weights = PerSynapse::Constant(f64::INFINITY);
            table.delays = PerSynapse::Constant(0);
        },
        &[
            "e5 (exc -> relay): has the constant weight inf, which is not finite",
            "e5 (exc -> relay): has a constant delay of 0 steps; delays are at least 1 step",
        ],
    );
}
