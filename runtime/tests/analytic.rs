//! The CPU executors against analytic solutions and published behaviour.

mod common;

use common::{instance, jit, spike_steps};
use neurc_runtime::reference;

/// LIF under a constant current (NEST's iaf_psc_exp defaults, 400 pA):
/// `v∞ = e_l + i_e·tau_m/c_m = -54 mV`; from the reset value it needs
/// `t* = tau_m·ln((v∞ − v_reset)/(v∞ − v_th)) = 10 ms · ln 16 = 27.73 ms`
/// to reach threshold, so with exact integration the first step whose end
/// is past `t*` is update 278, and every later spike comes 20 refractory
/// steps plus 278 updates after the one before.
#[test]
fn lif_under_constant_current_fires_at_the_analytic_interval() {
    let inst = instance(
        "population p = LifExp[1] {\n    i_e = 400 pA\n}\nrecord spikes(p)\n\
         simulate {\n    dt = 0.1 ms\n    duration = 300 ms\n}\n",
    );
    let t_star = 10e-3 * 16f64.ln();
    let updates = (t_star / 1e-4).ceil() as u64;
    assert_eq!(updates, 278);
    let expected: Vec<u64> = (0..)
        .map(|k| updates - 1 + k * (20 + updates))
        .take_while(|&s| s < 3000)
        .collect();
    let jit_spikes = spike_steps(&jit::<f64>(&inst, 1).expect("runs"), 0, 0);
    assert_eq!(jit_spikes, expected);
    let reference_spikes = spike_steps(&reference::simulate::<f64>(&inst).expect("runs"), 0, 0);
    assert_eq!(reference_spikes, expected);
}

/// `dx/dt = -x/tau` integrated exactly: after `n` steps the value is
/// `x0·e^{-n·dt/tau}` to within the rounding of `n` multiplications.
#[test]
fn exact_integration_of_a_decay_matches_the_exponential_to_rounding() {
    let source = "neuron Decay {\n    parameters {\n        tau = 10 ms\n    }\n    state {\n        x = 1 mV\n    }\n    equations {\n        dx/dt = -x / tau\n    }\n}\n\
                  population p = Decay[1]\nrecord x(p)\nsimulate {\n    dt = 0.1 ms\n    duration = 100 ms\n}\n";
    let inst = instance(source);
    let f64_trace = jit::<f64>(&inst, 1).expect("runs").traces.remove(0).values;
    let f32_trace = jit::<f32>(&inst, 1).expect("runs").traces.remove(0).values;
    assert_eq!(f64_trace.len(), 1000);
    for (n, (&x64, &x32)) in f64_trace.iter().zip(&f32_trace).enumerate() {
        let steps = (n + 1) as f64;
        let exact = 1e-3 * (-steps * 1e-4 / 10e-3).exp();
        let error64 = (x64 - exact).abs() / exact;
        assert!(
            error64 <= 2.0 * steps * f64::EPSILON,
            "f64 step {n}: {x64} vs {exact}"
        );
        let error32 = (x32 - exact).abs() / exact;
        assert!(
            error32 <= 2.0 * (steps + 1.0) * f64::from(f32::EPSILON),
            "f32 step {n}: {x32} vs {exact}"
        );
    }
    // One step is one correctly rounded product with a correctly rounded factor.
    let one_step = 1e-3 * (-1e-4f64 / 10e-3).exp();
    assert!((f64_trace[0] - one_step).abs() <= 2.0 * f64::EPSILON * one_step);
}

/// With a drive far above threshold a neuron fires in the first step it
/// may: the interval is the refractory period in steps, rounded to the
/// nearest step, plus the step that fires.
#[test]
fn refractory_periods_are_exact_in_steps() {
    for (t_ref, refractory_steps) in [("2 ms", 20), ("2.04 ms", 20), ("2.06 ms", 21), ("0 ms", 0)] {
        let inst = instance(&format!(
            "population p = LifExp[1] {{\n    i_e = 100 nA\n    t_ref = {t_ref}\n}}\nrecord spikes(p)\n\
             simulate {{\n    dt = 0.1 ms\n    duration = 20 ms\n}}\n"
        ));
        let spikes = spike_steps(&jit::<f64>(&inst, 1).expect("runs"), 0, 0);
        assert!(spikes.len() > 5, "{t_ref}: {spikes:?}");
        for pair in spikes.windows(2) {
            assert_eq!(
                pair[1] - pair[0],
                refractory_steps + 1,
                "{t_ref}: {spikes:?}"
            );
        }
    }
}

/// A spike sent at 1 ms over a 1.5 ms delay lands in step 10 + 15, where a
/// weight above threshold makes the target fire at once.
#[test]
fn delays_are_exact_in_steps() {
    let inst = instance(
        "population stim = SpikeTimes[1] {\n    times = [1 ms]\n}\npopulation p = LifDelta[1]\n\
         connect stim -> p : one_to_one() {\n    weight = 30 mV -> v\n    delay = 1.5 ms\n}\n\
         record spikes(stim, p)\nsimulate {\n    dt = 0.1 ms\n    duration = 5 ms\n}\n",
    );
    let recording = jit::<f64>(&inst, 1).expect("runs");
    assert_eq!(spike_steps(&recording, 0, 0), vec![10]);
    assert_eq!(spike_steps(&recording, 1, 0), vec![25]);
}

/// `spike poisson(rate * dt)`: at 20 kHz and 0.1 ms steps each neuron
/// spikes twice per step on average, and the total over 1000 neurons and
/// 1000 steps is within five standard deviations of 2 000 000.
#[test]
fn poisson_sources_spike_at_their_rate_even_above_one_per_step() {
    let inst = instance(
        "population drive = Poisson[1000] {\n    rate = 20 kHz\n}\nrecord spikes(drive)\n\
         simulate {\n    dt = 0.1 ms\n    duration = 100 ms\n}\n",
    );
    let recording = jit::<f64>(&inst, 1).expect("runs");
    let total = recording.spike_counts[0] as f64;
    let expected = 1000.0 * 20e3 * 0.1;
    assert!((total - expected).abs() < 5.0 * expected.sqrt(), "{total}");
    assert_eq!(recording.spikes[0].steps.len() as f64, total);
}

/// Izhikevich (2003), Fig. 2: with `I = 10`, the regular-spiking cell
/// (`a = 0.02, d = 8`) fires tonically with strong spike-frequency
/// adaptation, the fast-spiking cell (`a = 0.1, d = 2`) fires faster and
/// adapts less.
/// Spike times are checked against a second integration of the same
/// equations written out here (RK4, 0.1 ms, the paper's units): the two
/// round differently (SI units against mV and ms), so after a few dozen
/// spikes a threshold crossing may land one step apart and the trains
/// drift apart by steps; the first 30 spikes must be the same steps, and
/// the counts and mean intervals must agree.
#[test]
fn izhikevich_regular_and_fast_spiking_reproduce_their_patterns() {
    let inst = instance(
        "population rs = Izhikevich[1] {\n    i_e = 10 mV/ms\n}\n\
         population fs = Izhikevich[1] {\n    a = 0.1\n    d = 2 mV\n    i_e = 10 mV/ms\n}\n\
         record spikes(rs, fs)\nsimulate {\n    dt = 0.1 ms\n    duration = 500 ms\n}\n",
    );
    let recording = jit::<f64>(&inst, 1).expect("runs");
    let rs = spike_steps(&recording, 0, 0);
    let fs = spike_steps(&recording, 1, 0);
    for (neurc, a, d) in [(&rs, 0.02, 8.0), (&fs, 0.1, 2.0)] {
        let second = izhikevich_spike_steps(a, d, 5000);
        let first = neurc.len().min(30);
        assert_eq!(neurc[..first], second[..first], "a = {a}");
        assert!(
            neurc.len().abs_diff(second.len()) <= 1,
            "a = {a}: {neurc:?} vs {second:?}"
        );
    }
    let intervals = |s: &[u64]| {
        s.windows(2)
            .map(|w| (w[1] - w[0]) as f64)
            .collect::<Vec<_>>()
    };
    let (rs_isi, fs_isi) = (intervals(&rs), intervals(&fs));
    let adaptation = |isi: &[f64]| isi[isi.len() - 1] / isi[0];
    assert!(adaptation(&rs_isi) > 1.5, "RS adapts: {rs_isi:?}");
    assert!(
        adaptation(&rs_isi) > adaptation(&fs_isi),
        "RS adapts more than FS: {rs_isi:?} vs {fs_isi:?}"
    );
    assert!(
        fs.len() > rs.len(),
        "FS fires faster: {} vs {}",
        fs.len(),
        rs.len()
    );
}

/// The Izhikevich model in its paper's units (mV, ms), RK4 with 0.1 ms
/// steps, spike test after each step as neurc's semantics say.
fn izhikevich_spike_steps(a: f64, d: f64, steps: u64) -> Vec<u64> {
    let (b, c, i) = (0.2, -65.0, 10.0);
    let f = |v: f64, u: f64| (0.04 * v * v + 5.0 * v + 140.0 - u + i, a * (b * v - u));
    let h = 0.1;
    let (mut v, mut u) = (-65.0, -13.0);
    let mut spikes = Vec::new();
    for step in 0..steps {
        let (k1v, k1u) = f(v, u);
        let (k2v, k2u) = f(v + h / 2.0 * k1v, u + h / 2.0 * k1u);
        let (k3v, k3u) = f(v + h / 2.0 * k2v, u + h / 2.0 * k2u);
        let (k4v, k4u) = f(v + h * k3v, u + h * k3u);
        v += h / 6.0 * (k1v + 2.0 * k2v + 2.0 * k3v + k4v);
        u += h / 6.0 * (k1u + 2.0 * k2u + 2.0 * k3u + k4u);
        if v >= 30.0 {
            spikes.push(step);
            v = c;
            u += d;
        }
    }
    spikes
}
