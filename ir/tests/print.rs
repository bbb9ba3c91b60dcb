//! The text printer: the benchmark network's listing, expressions with
//! minimal parentheses, numbers, long lists and broken IR.

mod common;

use common::{MS, MV, binary, constant, cuba, lif_cuba, neg, population_mut, projection_mut, var};
use neurc_ir::{
    BinaryOp, Dimension, Distribution, Expr, Func, ModelId, ParamValue, Quantity, Rule,
    SynapticTarget, UnaryOp, Var, print, print_expr,
};

/// The benchmark's delay as the listing prints it, in the unit `Quantity`
/// chooses for it.
fn delay() -> Quantity {
    Quantity {
        value: 0.1 * MS,
        dimension: Dimension::TIME,
    }
}

#[test]
fn the_benchmark_network_prints_as_a_readable_listing() {
    let mut network = cuba();
    population_mut(&mut network, 1).params[3] =
        ParamValue::Scalar(Distribution::Constant(-55.0 * MV));
    population_mut(&mut network, 1).init[0] = Distribution::Normal {
        mean: -55.0 * MV,
        sd: 2.0 * MV,
    };
    let expected = "\
m0 LifCuba
  param tau_m = 20 ms
  param tau_e = 5 ms
  param tau_i = 10 ms
  param v_th = -50 mV
  param v_reset = -60 mV
  param e_l = -49 mV
  state v = uniform(-60 mV, -50 mV)
  state ge = 0 V
  state gi = 0 V
  dv/dt = (ge + gi - (v - e_l)) / tau_m
  dge/dt = -ge / tau_e
  dgi/dt = -gi / tau_i
  method auto
  spike v > v_th
  reset v = v_reset
  refractory 5 ms, hold v
m1 Poisson
  param rate = 10 Hz
  spike rand() < rate * dt
m2 Relay
  param theta = 10 mV
  state v = 0 V
  input i_syn: V
  update v = v / 2 + i_syn
  spike v > theta
  reset v = 0
n0 population exc: m0 LifCuba × 3200
n1 population inh: m0 LifCuba × 800
  param v_th = -55 mV
  init v = normal(mean = -55 mV, sd = 2 mV)
n2 source noise: m1 Poisson × 100
n3 population relay: m2 Relay × 10
  positions grid 5 × 2 × 1, spacing 10 um
n4 region cortex: WilsonCowan
  param tau = 10 ms
e0 exc[0..3200] -> exc[0..3200]: bernoulli(p = 0.02), weight 1.62 mV -> ge, delay 0.1 ms
e1 exc[0..3200] -> inh[0..800]: bernoulli(p = 0.02), weight 1.62 mV -> ge, delay 0.1 ms
e2 inh[0..800] -> exc[0..3200]: bernoulli(p = 0.02), weight -9 mV -> gi, delay 0.1 ms
e3 inh[0..800] -> inh[0..800]: bernoulli(p = 0.02), weight -9 mV -> gi, delay 0.1 ms
e4 noise[0..100] -> exc[0..3200]: fixed_indegree(k = 10), weight 500 uV -> ge, delay 0.1 ms
e5 exc[0..10] -> relay[0..10]: one_to_one, weight 2 mV -> i_syn, delay 0.1 ms
e6 exc -> cortex: couple spikes_to_rate()
r0 record spikes(exc[0..3200], inh[0..800])
r1 record v(exc[0..10])
simulate dt = 0.1 ms, duration = 1 s, seed = 1234
";
    assert_eq!(print(&network), expected);
}

#[test]
fn expressions_print_with_the_fewest_parentheses() {
    use BinaryOp::*;
    let model = lif_cuba();
    let (v, ge, gi) = (var(Var::State(0)), var(Var::State(1)), var(Var::State(2)));
    let b = |op, l: &Expr, r: &Expr| binary(op, l.clone(), r.clone());
    let not = |e: Expr| Expr::Unary(UnaryOp::Not, Box::new(e));
    let cases = [
        (b(Mul, &b(Add, &v, &ge), &gi), "(v + ge) * gi"),
        (b(Add, &v, &b(Mul, &ge, &gi)), "v + ge * gi"),
        (b(Sub, &v, &b(Sub, &ge, &gi)), "v - (ge - gi)"),
        (b(Sub, &b(Sub, &v, &ge), &gi), "v - ge - gi"),
        (b(Div, &v, &b(Mul, &ge, &gi)), "v / (ge * gi)"),
        (b(Pow, &v, &b(Pow, &ge, &gi)), "v ^ ge ^ gi"),
        (b(Pow, &b(Pow, &v, &ge), &gi), "(v ^ ge) ^ gi"),
        (neg(b(Pow, &v, &constant(2.0))), "-v ^ 2"),
        (b(Pow, &neg(v.clone()), &constant(2.0)), "(-v) ^ 2"),
        (b(Pow, &constant(-1.0), &constant(2.0)), "(-1) ^ 2"),
        (b(Pow, &v, &constant(-1.0)), "v ^ (-1)"),
        (neg(neg(v.clone())), "-(-v)"),
        (neg(b(Add, &v, &ge)), "-(v + ge)"),
        (b(Mul, &v, &neg(ge.clone())), "v * -ge"),
        (b(Sub, &v, &constant(-2.0)), "v - -2"),
        (not(b(Lt, &v, &ge)), "not v < ge"),
        (b(Lt, &not(v.clone()), &ge), "(not v) < ge"),
        (b(Lt, &b(Lt, &v, &ge), &gi), "(v < ge) < gi"),
        (b(Le, &b(Add, &v, &ge), &gi), "v + ge <= gi"),
        (
            b(And, &b(Lt, &v, &ge), &b(Ne, &ge, &gi)),
            "v < ge and ge != gi",
        ),
        (b(And, &b(Or, &v, &ge), &gi), "(v or ge) and gi"),
        (b(Or, &v, &b(And, &ge, &gi)), "v or ge and gi"),
        (not(b(And, &v, &ge)), "not (v and ge)"),
        (b(And, &v, &not(ge.clone())), "v and not ge"),
        (
            Expr::Call(
                Func::Clip,
                vec![
                    b(Add, &v, &constant(1.0)),
                    neg(ge.clone()),
                    Expr::Call(Func::Max, vec![gi.clone(), constant(0.0)]),
                ],
            ),
            "clip(v + 1, -ge, max(gi, 0))",
        ),
        (b(Mul, &var(Var::Time), &var(Var::Dt)), "t * dt"),
        (
            b(Add, &var(Var::Param(0)), &var(Var::State(9))),
            "tau_m + state#9",
        ),
    ];
    for (expr, expected) in cases {
        assert_eq!(print_expr(&expr, &model), expected, "{expr:?}");
    }
}

#[test]
fn constants_print_in_shortest_form() {
    let model = lif_cuba();
    for (value, expected) in [
        (0.5, "0.5"),
        (0.02, "0.02"),
        (100_000.0, "100000"),
        (1e-12, "1e-12"),
        (2.5e-5, "2.5e-5"),
        (2e15, "2e15"),
        (f64::NAN, "NaN"),
    ] {
        assert_eq!(print_expr(&constant(value), &model), expected);
    }
}

#[test]
fn long_lists_are_cut_with_a_count() {
    let mut network = cuba();
    projection_mut(&mut network, 5).rule = Rule::Dense {
        cols: 10,
        entries: (0..100).map(f64::from).collect(),
    };
    let listing = print(&network);
    let expected = format!(
        "e5 exc[0..10] -> relay[0..10]: dense(10 × 10, \
         [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, … 84 more]), \
         weight 2 mV -> i_syn, delay {}\n",
        delay()
    );
    assert!(listing.contains(&expected), "{listing}");
}

#[test]
fn rules_print_their_parameters() {
    let mut network = cuba();
    projection_mut(&mut network, 5).rule = Rule::List {
        path: "pairs.csv".to_string(),
        pairs: vec![(0, 1), (2, 3)],
        weights: Some(vec![0.5, 2.0]),
        delays: None,
    };
    let decay = Expr::Call(
        Func::Exp,
        vec![binary(
            BinaryOp::Div,
            neg(var(Var::Distance)),
            constant(1e-4),
        )],
    );
    let projection = projection_mut(&mut network, 0);
    projection.rule = Rule::Distance { probability: decay };
    projection.autapses = true;
    projection.multapses = true;
    let listing = print(&network);
    for line in [
        format!(
            "e0 exc[0..3200] -> exc[0..3200]: distance(p = exp(-distance / 0.0001)), \
             weight 1.62 mV -> ge, delay {}, autapses, multapses\n",
            delay()
        ),
        format!(
            "e5 exc[0..10] -> relay[0..10]: from_file(\"pairs.csv\", pairs [(0, 1), (2, 3)], \
             weights [0.5, 2]), weight 2 mV -> i_syn, delay {}\n",
            delay()
        ),
    ] {
        assert!(listing.contains(&line), "{listing}");
    }
}

#[test]
fn broken_networks_print_what_they_can() {
    let mut network = cuba();
    population_mut(&mut network, 3).model = ModelId(7);
    projection_mut(&mut network, 0).target = SynapticTarget::State(7);
    network.models[0].spike = Some(var(Var::Param(12)));
    let listing = print(&network);
    for line in [
        "  spike param#12\n",
        "n3 population relay: m7 ? × 10\n  param param#0 = 0.01\n  init state#0 = 0\n",
        "e0 exc[0..3200] -> exc[0..3200]: bernoulli(p = 0.02), weight 0.0016200000000000001 -> state#7,",
    ] {
        assert!(listing.contains(line), "{listing}");
    }
}
