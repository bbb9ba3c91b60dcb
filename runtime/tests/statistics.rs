//! Network statistics against NEST and Brian2 running the same networks.
//!
//! `benches/peers/reference.json` holds rates and CVs of interspike
//! intervals that NEST 3.10 and Brian2 2.9 (C++ standalone) gave for
//! `examples/cuba.snn` and `examples/brunel.snn`, one run per seed for
//! seeds 1–5 (written by `benches/peers/compare.py --spread`). neurc's
//! figures must lie within the peers' run-to-run spread: between the
//! lowest `mean − 3 sd` and the highest `mean + 3 sd` of the two
//! simulators. CUBA is averaged over three seeds (its rates vary by about
//! 0.2 Hz from seed to seed); Brunel's rates vary by about 0.25 Hz and one
//! seed is run.

mod common;

use neurc_ir::{NeuronRange, Probe, ProbeTarget, Record};
use serde_json::Value;

/// The peers' band for `network`, `population` and `measure`.
fn band(reference: &Value, network: &str, population: &str, measure: &str) -> (f64, f64) {
    let simulators = reference["networks"][network]
        .as_object()
        .expect("the network is in reference.json");
    let mut low = f64::INFINITY;
    let mut high = f64::NEG_INFINITY;
    for figures in simulators.values() {
        let m = &figures[population][measure];
        let (mean, sd) = (m["mean"].as_f64(), m["sd"].as_f64());
        let (mean, sd) = (mean.expect("a mean"), sd.expect("an sd"));
        low = low.min(mean - 3.0 * sd);
        high = high.max(mean + 3.0 * sd);
    }
    (low, high)
}

/// Mean rate and mean CV of interspike intervals (over neurons with at
/// least three spikes; population standard deviation) of one population.
fn rate_and_cv(steps: &[u64], neurons: &[u32], size: u32, duration: f64) -> (f64, f64) {
    let mut trains = vec![Vec::new(); size as usize];
    for (&s, &n) in steps.iter().zip(neurons) {
        trains[n as usize].push(s as f64);
    }
    let rate = steps.len() as f64 / (f64::from(size) * duration);
    let cvs: Vec<f64> = trains
        .iter()
        .filter(|t| t.len() >= 3)
        .map(|t| {
            let isi: Vec<f64> = t.windows(2).map(|w| w[1] - w[0]).collect();
            let mean = isi.iter().sum::<f64>() / isi.len() as f64;
            let var = isi.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / isi.len() as f64;
            var.sqrt() / mean
        })
        .collect();
    (rate, cvs.iter().sum::<f64>() / cvs.len() as f64)
}

/// Rates and CVs of `exc` and `inh` of an example run with `seed`,
/// recording every neuron.
fn run_example(name: &str, seed: u64) -> [(f64, f64); 2] {
    let path = format!("{}/../examples/{name}.snn", env!("CARGO_MANIFEST_DIR"));
    let source = std::fs::read_to_string(path).expect("the example is readable");
    let mut network = common::network(&source);
    network.simulation.seed = seed;
    let populations: Vec<_> = ["exc", "inh"]
        .iter()
        .map(|name| {
            network
                .nodes()
                .find(|(_, n)| n.name() == *name)
                .and_then(|(id, n)| Some((id, n.population()?.size)))
                .expect("the population exists")
        })
        .collect();
    network.records = vec![Record {
        probe: Probe::Spikes,
        targets: populations
            .iter()
            .map(|&(node, size)| ProbeTarget {
                node,
                neurons: NeuronRange::new(0, size),
                state: None,
            })
            .collect(),
    }];
    let instance = common::instance_of(&network);
    let recording = common::jit::<f64>(&instance, 2).expect("runs");
    let duration = instance.steps as f64 * instance.dt;
    // One spike probe per record target: exc, then inh.
    let mut out = [(0.0, 0.0); 2];
    for (k, &(_, size)) in populations.iter().enumerate() {
        let events = &recording.spikes[k];
        out[k] = rate_and_cv(&events.steps, &events.neurons, size, duration);
    }
    out
}

fn reference() -> Value {
    let path = format!(
        "{}/../benches/peers/reference.json",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(path).expect("reference.json is readable"))
        .expect("reference.json is JSON")
}

fn check(reference: &Value, network: &str, figures: [(f64, f64); 2]) {
    for (population, (rate, cv)) in ["exc", "inh"].into_iter().zip(figures) {
        let (low, high) = band(reference, network, population, "rate_hz");
        assert!(
            (low..=high).contains(&rate),
            "{network} {population}: rate {rate:.3} Hz outside the peers' spread [{low:.3}, {high:.3}]"
        );
        let (low, high) = band(reference, network, population, "cv_isi");
        assert!(
            (low..=high).contains(&cv),
            "{network} {population}: CV {cv:.3} outside the peers' spread [{low:.3}, {high:.3}]"
        );
    }
}

#[test]
fn cuba_rates_and_irregularity_agree_with_nest_and_brian2() {
    let reference = reference();
    let runs: Vec<_> = [1, 2, 3].map(|seed| run_example("cuba", seed)).into();
    let mut mean = [(0.0, 0.0); 2];
    for run in &runs {
        for (m, (rate, cv)) in mean.iter_mut().zip(run) {
            m.0 += rate / runs.len() as f64;
            m.1 += cv / runs.len() as f64;
        }
    }
    check(&reference, "cuba", mean);
}

#[test]
fn brunel_model_a_rates_and_irregularity_agree_with_nest_and_brian2() {
    check(&reference(), "brunel", run_example("brunel", 1));
}
