//! Lowering from source to the IR: values in SI units, names resolved,
//! dimensions checked, imports and overrides applied.

use neurc_compiler::lower::{Compilation, Options, compile};
use neurc_compiler::render::{Style, render_text};
use neurc_ir::{
    BinaryOp, Dimension, Distribution, Dynamics, Expr, Network, NeuronRange, Node, ParamValue,
    Probe, Rule, SynapticTarget, UnaryOp, Var,
};
use std::path::Path;

fn compile_text(text: &str) -> Compilation {
    compile(Path::new("model.snn"), text, &Options::default())
}

fn network(text: &str) -> Network {
    let c = compile_text(text);
    match c.network {
        Some(n) => n,
        None => panic!("{}", render_text(&c.diagnostics, &c.sources, Style::Plain)),
    }
}

fn codes(text: &str) -> Vec<&'static str> {
    compile_text(text)
        .diagnostics
        .iter()
        .map(|d| d.code)
        .collect()
}

const CUBA: &str = include_str!("../../examples/cuba.snn");

#[test]
fn cuba_lowers_to_si_values() {
    let net = network(CUBA);
    assert_eq!(net.models.len(), 1);
    let model = &net.models[0];
    assert_eq!(model.name, "LifCuba");
    let tau_m = &model.params[0];
    assert_eq!(tau_m.name, "tau_m");
    assert_eq!(tau_m.dimension, Dimension::TIME);
    assert_eq!(
        tau_m.default,
        ParamValue::Scalar(Distribution::Constant(0.02))
    );
    assert_eq!(
        model.state[0].init,
        Distribution::Uniform {
            low: -0.06,
            high: -0.05
        }
    );
    let Dynamics::Ode(odes) = &model.dynamics else {
        panic!("ODE model")
    };
    assert_eq!(odes.len(), 3);
    let refractory = model.refractory.as_ref().expect("refractory");
    assert_eq!(refractory.period, Expr::Const(0.005));
    // The spike condition reads v, so v is held while refractory.
    assert_eq!(refractory.held, vec![0]);

    let projections: Vec<_> = net.projections().collect();
    assert_eq!(projections.len(), 4);
    let (_, _, _, exc_exc) = projections[0];
    assert_eq!(exc_exc.name, "exc -> exc");
    assert_eq!(exc_exc.rule, Rule::Bernoulli { p: 0.02 });
    assert!((exc_exc.weight.as_constant().expect("constant") - 1.62e-3).abs() < 1e-15);
    assert_eq!(exc_exc.target, SynapticTarget::State(1));
    // No delay given: one step.
    assert_eq!(exc_exc.delay, Distribution::Constant(1e-4));
    assert_eq!(net.records.len(), 2);
    assert_eq!(net.records[1].probe, Probe::State("v".into()));
    assert_eq!(net.records[1].targets[0].neurons, NeuronRange::new(0, 10));
    assert_eq!(net.simulation.seed, 1234);
    assert_eq!(net.simulation.duration, 1.0);
}

#[test]
fn every_prelude_model_lowers() {
    let text = "
        population a = LifExp[2]
        population b = LifDelta[2]
        population c = LoihiLif[2]
        population d = AdaptiveLif[2]
        population e = Izhikevich[2]
        population f = AdEx[2]
        population g = Poisson[2] { rate = 5 Hz }
        population h = SpikeTimes[2] { times = [[1 ms, 2 ms], [3 ms]] }
    ";
    let net = network(text);
    assert_eq!(net.models.len(), 8);
    let sources: Vec<_> = net
        .nodes()
        .filter(|(_, n)| matches!(n, Node::Source(_)))
        .map(|(_, n)| n.name().to_string())
        .collect();
    assert_eq!(sources, ["g", "h"]);
    let loihi = net
        .models
        .iter()
        .find(|m| m.name == "LoihiLif")
        .expect("LoihiLif");
    assert!(matches!(loihi.dynamics, Dynamics::Update(_)));
    assert_eq!(loihi.inputs.len(), 1);
}

#[test]
fn consts_compose_with_units() {
    let net = network(include_str!("../../examples/brunel.snn"));
    let (_, drive) = net
        .nodes()
        .find(|(_, n)| n.name() == "drive_exc")
        .expect("drive");
    let drive = drive.population().expect("neurons");
    // nu_thr = theta / (J CE tau) = 20 mV / (0.1 mV · 1000 · 20 ms) = 10 Hz;
    // the drive is eta · nu_thr · CE = 2 · 10 Hz · 1000 = 20 kHz.
    let ParamValue::Scalar(Distribution::Constant(rate)) = drive.params[0] else {
        panic!("constant rate")
    };
    assert!((rate - 20_000.0).abs() < 1e-9, "{rate}");
    let (_, _, _, inhibitory) = net
        .projections()
        .find(|(_, _, _, p)| p.name == "inh -> exc")
        .expect("inh -> exc");
    assert!((inhibitory.weight.as_constant().expect("constant") + 0.5e-3).abs() < 1e-15);
    assert_eq!(inhibitory.rule, Rule::FixedIndegree { k: 250 });
    assert!(inhibitory.multapses && inhibitory.autapses);
}

#[test]
fn overrides_replace_constants_after_checking_their_dimension() {
    let text = "const n = 10\nconst w = 1 pA\npopulation a = LifExp[n]\nconnect a -> a : all_to_all() { weight = w -> i_syn_e }\n";
    let options = Options {
        overrides: vec![("n".into(), "4 * 5".into()), ("w".into(), "2 pA".into())],
        ..Options::default()
    };
    let c = compile(Path::new("m.snn"), text, &options);
    let net = c.network.expect("compiles");
    assert_eq!(net.neuron_count(), 20);
    let bad = Options {
        overrides: vec![("w".into(), "2 mV".into())],
        ..Options::default()
    };
    let c = compile(Path::new("m.snn"), text, &bad);
    assert_eq!(
        c.diagnostics.iter().map(|d| d.code).collect::<Vec<_>>(),
        ["neurc::set::dimension"]
    );
}

#[test]
fn imports_bring_models_from_the_model_folder() {
    let dir = std::env::temp_dir().join(format!("neurc-import-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("lib")).expect("dirs");
    std::fs::write(
        dir.join("lib/models.snn"),
        "const tau = 7 ms\nneuron Tiny {\n    state { v = 0 mV }\n    equations { dv/dt = -v / tau }\n}\n",
    )
    .expect("write");
    let root = dir.join("net.snn");
    let c = compile(
        &root,
        "import \"lib/models.snn\"\npopulation p = Tiny[3]\n",
        &Options::default(),
    );
    assert!(
        c.diagnostics.is_empty(),
        "{}",
        render_text(&c.diagnostics, &c.sources, Style::Plain)
    );
    let net = c.network.expect("network");
    let Dynamics::Ode(odes) = &net.models[0].dynamics else {
        panic!("ODE")
    };
    // The imported const is inlined in SI: -v / 0.007.
    let minus_v = Expr::Unary(UnaryOp::Neg, Box::new(Expr::Var(Var::State(0))));
    assert_eq!(
        odes[0].rhs,
        Expr::Binary(
            BinaryOp::Div,
            Box::new(minus_v),
            Box::new(Expr::Const(0.007))
        )
    );
    // An imported file may not add populations.
    std::fs::write(dir.join("lib/pop.snn"), "population q = LifExp[3]\n").expect("write");
    let c = compile(&root, "import \"lib/pop.snn\"\n", &Options::default());
    let codes: Vec<_> = c.diagnostics.iter().map(|d| d.code).collect();
    assert_eq!(codes, ["neurc::import::not_a_definition"]);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn dimension_errors_are_found_everywhere() {
    // Threshold compared with a time.
    assert_eq!(
        codes("neuron N {\n state { v = 0 mV }\n spike v > 1 ms\n}\npopulation p = N[1]\n"),
        ["neurc::unit::mismatch"]
    );
    // A reset assigning a current to a voltage.
    assert_eq!(
        codes(
            "neuron N {\n state { v = 0 mV }\n spike v > 1 mV\n reset { v = 1 pA }\n}\npopulation p = N[1]\n"
        ),
        ["neurc::unit::assignment"]
    );
    // The exponent of a dimensioned base must be a constant integer.
    assert_eq!(
        codes(
            "neuron N {\n parameters { k = 1.5 }\n state { v = 0 mV }\n equations { dv/dt = v^k / (1 mV) / (1 ms) }\n}\npopulation p = N[1]\n"
        ),
        ["neurc::unit::exponent"]
    );
    // exp of a voltage.
    assert_eq!(
        codes(
            "neuron N {\n state { v = 0 mV }\n equations { dv/dt = exp(v) * 1 mV / (1 ms) }\n}\npopulation p = N[1]\n"
        ),
        ["neurc::unit::wrong_dimension"]
    );
    // Every error in a file is reported, not just the first.
    assert_eq!(
        codes("population a = LifExp[0]\npopulation b = LifExp[2] { v = 3 ms }\n").len(),
        2
    );
}

#[test]
fn weights_land_on_inputs_of_discrete_models() {
    let net = network(
        "population a = LoihiLif[4]\nconnect a -> a : one_to_one() { weight = 64 -> a_in }\n",
    );
    let (_, _, _, p) = net.projections().next().expect("one projection");
    assert_eq!(p.target, SynapticTarget::Input(0));
}
