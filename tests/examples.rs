//! The gallery of `examples/`: every example has an entry in
//! `examples/README.md`, and each one runs from the command line and gives
//! its headline figure, checked in `report.json` against an expectation
//! from outside neurc (the spread of NEST and Brian2 on the same network,
//! or an analytic theory). Figures other tests already check are not
//! checked again: CUBA's rates on the CPU (`tests/run.rs`) and on the chip
//! against the CPU (`tests/chip_run.rs`), and the rates and irregularity
//! of both networks against the peers, computed from the spikes by
//! `runtime/tests/statistics.rs`.

use crate::run::{neurc, scratch, stderr};
use serde_json::Value;
use std::path::Path;

/// The gallery, read at build time so that editing it rebuilds the test.
const GALLERY: &str = include_str!("../examples/README.md");

fn path(p: &Path) -> &str {
    p.to_str().expect("a UTF-8 path")
}

fn read_json(file: &Path) -> Value {
    let text = std::fs::read_to_string(file)
        .unwrap_or_else(|e| panic!("{} is readable: {e}", file.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is JSON: {e}", file.display()))
}

/// The entry of `report` for `population`.
fn population<'a>(report: &'a Value, population: &str) -> &'a Value {
    report["populations"]
        .as_array()
        .expect("populations")
        .iter()
        .find(|p| p["name"] == population)
        .unwrap_or_else(|| panic!("no population {population} in the report"))
}

/// Runs `neurc run` with `args` and `-o dir -q`, and returns its report.
fn run(args: &[&str], dir: &Path) -> Value {
    let o = neurc(&[args, &["-o", path(dir), "-q"]].concat());
    assert_eq!(o.status.code(), Some(0), "{args:?}: {}", stderr(&o));
    read_json(&dir.join("report.json"))
}

/// A new example is run by users from its entry in the gallery, so it
/// must have one: a `##` heading naming `examples/NAME.snn`. And a file
/// the gallery names must exist, so a renamed example cannot leave its
/// entry behind.
#[test]
fn the_gallery_has_an_entry_for_every_example() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut examples: Vec<String> = std::fs::read_dir(root.join("examples"))
        .expect("examples/ is readable")
        .map(|entry| entry.expect("a directory entry").file_name())
        .map(|name| name.to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".snn"))
        .collect();
    examples.sort();
    assert!(!examples.is_empty(), "no .snn file found in examples/");
    let headings: Vec<&str> = GALLERY.lines().filter(|l| l.starts_with("## ")).collect();
    for example in &examples {
        let named = format!("`examples/{example}`");
        assert!(
            headings.iter().any(|h| h.contains(&named)),
            "examples/README.md has no `## ` heading naming {named}; its headings: {headings:#?}"
        );
    }
    let named_files = GALLERY
        .split(|c: char| c.is_whitespace() || c == '`' || c == '(' || c == ')')
        .filter(|word| word.ends_with(".snn") && word.contains('/'));
    for file in named_files {
        assert!(
            root.join(file).is_file(),
            "examples/README.md names {file}, which does not exist"
        );
    }
}

/// The peers' band for one figure of `reference.json`: from the lowest
/// `mean − 3 sd` to the highest `mean + 3 sd` of NEST and Brian2, each
/// over seeds 1–5 (the rule of `runtime/tests/statistics.rs`).
fn peers_band(network: &str, population: &str, figure: &str) -> (f64, f64) {
    let reference =
        read_json(&Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/peers/reference.json"));
    let simulators = reference["networks"][network]
        .as_object()
        .unwrap_or_else(|| panic!("{network} is in reference.json"));
    let mut band = (f64::INFINITY, f64::NEG_INFINITY);
    for figures in simulators.values() {
        let spread = &figures[population][figure];
        let mean = spread["mean"].as_f64().expect("a mean");
        let sd = spread["sd"].as_f64().expect("a standard deviation");
        band = (band.0.min(mean - 3.0 * sd), band.1.max(mean + 3.0 * sd));
    }
    band
}

/// CUBA's irregular firing, in the CPU target's report and, what no other
/// test looks at, on the chip, where every decay and weight is rounded to
/// the chip's fixed point. The peers' CV is for 1 s of network time with
/// every neuron recorded, as `report.json`'s `cv_isi` computes it (mean
/// over neurons with at least three spikes of the population standard
/// deviation of the intervals over their mean). At 5.5 Hz a neuron fires
/// about 5 times in that second, and the estimate of its CV from so few
/// intervals is biased low, the fewer the lower: the example runs its full
/// second rather than a shorter stretch against a band measured on 1 s.
/// The band is [0.500, 0.539] for `exc` and [0.488, 0.553] for `inh`; the
/// CPU gives 0.528 and 0.525, the chip 0.515 and 0.516.
#[test]
fn cuba_fires_as_irregularly_as_in_nest_and_brian2_on_the_cpu_and_the_chip() {
    let dir = scratch("examples-cuba");
    for target in ["cpu", "loihi"] {
        let report = run(
            &["run", "examples/cuba.snn", "--target", target],
            &dir.join(target),
        );
        assert_eq!(report["steps"], 10_000, "{target}: the full second");
        for name in ["exc", "inh"] {
            let entry = population(&report, name);
            assert_eq!(entry["recorded"], entry["size"], "{target} {name}");
            let cv = entry["cv_isi"].as_f64().expect("a CV");
            let (low, high) = peers_band("cuba", name, "cv_isi");
            assert!(
                (low..=high).contains(&cv),
                "{target} {name}: CV of ISI {cv:.3} outside NEST's and Brian2's [{low:.3}, {high:.3}]"
            );
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// `√π ∫_{y_r}^{y_θ} e^{x²} (1 + erf x) dx`, the integral of the LIF
/// neuron's mean first-passage time in the diffusion approximation
/// (Brunel 2000). `e^{x²} (1 + erf x) = (2/√π) ∫_0^∞ e^{−u² + 2xu} du`
/// turns it into `∫_0^∞ e^{−u²} (e^{2 y_θ u} − e^{2 y_r u}) / u du`, a
/// smooth integrand that needs no error function; Simpson's rule over
/// `[0, max(y_θ, 0) + 10]` leaves out a tail below `e^{−100}` times its
/// peak.
fn first_passage_integral(y_threshold: f64, y_reset: f64) -> f64 {
    let integrand = |u: f64| {
        if u == 0.0 {
            2.0 * (y_threshold - y_reset)
        } else {
            (-u * u).exp() * ((2.0 * y_threshold * u).exp_m1() - (2.0 * y_reset * u).exp_m1()) / u
        }
    };
    let intervals = 20_000;
    let h = (y_threshold.max(0.0) + 10.0) / f64::from(intervals);
    let inner: f64 = (1..intervals)
        .map(|k| {
            let weight = if k % 2 == 1 { 4.0 } else { 2.0 };
            weight * integrand(f64::from(k) * h)
        })
        .sum();
    h / 3.0 * (integrand(0.0) + inner + integrand(f64::from(intervals) * h))
}

/// The stationary rate of Brunel's (2000) mean-field theory for
/// `examples/brunel.snn` (g = 5, η = 2), in Hz: the ν that solves
/// `1/ν = τ_rp + τ √π ∫ e^{x²} (1 + erf x) dx` from `(V_r − μ)/σ` to
/// `(θ − μ)/σ`, with the mean and variance of the input from C_E = 1000
/// excitatory and C_I = 250 inhibitory inputs at rate ν and C_E external
/// ones at `ν_ext = η θ / (J C_E τ)`:
/// `μ = C_E J τ (ν_ext + ν (1 − g γ))`, `σ² = J² C_E τ (ν_ext + ν (1 + g² γ))`.
fn brunel_mean_field_rate_hz() -> f64 {
    let (tau, theta, v_reset, t_ref) = (20e-3, 20e-3, 10e-3, 2e-3);
    let (j, g, eta, c_e, c_i) = (0.1e-3, 5.0, 2.0, 1000.0, 250.0);
    let gamma = c_i / c_e;
    let nu_ext = eta * theta / (j * c_e * tau);
    let output_rate = |nu: f64| {
        let mu = c_e * j * tau * (nu_ext + nu * (1.0 - g * gamma));
        let sigma = (j * j * c_e * tau * (nu_ext + nu * (1.0 + g * g * gamma))).sqrt();
        let passage = first_passage_integral((theta - mu) / sigma, (v_reset - mu) / sigma);
        1.0 / (t_ref + tau * passage)
    };
    // Inhibition dominates (g γ > 1), so the output falls as ν rises and
    // ν − output(ν) crosses zero once, below the refractory limit 1/τ_rp.
    let (mut low, mut high) = (0.0, 1.0 / t_ref);
    while high - low > 1e-9 {
        let mid = 0.5 * (low + high);
        if mid > output_rate(mid) {
            high = mid;
        } else {
            low = mid;
        }
    }
    0.5 * (low + high)
}

/// Brunel's model A fires at the rate his mean-field theory predicts, in
/// every neuron of both populations. The theory gives 37.95 Hz; it treats
/// the input as Gaussian white noise, neglecting the size of each jump
/// (J = 0.1 mV against σ ≈ 7.7 mV) and the sparse network's residual
/// correlations, and over the example's 1 s NEST and Brian2 fire 1.1–2.1 %
/// below it (`benches/peers/reference.json`: 37.17–37.53 Hz over seeds
/// 1–5, which move the rate by 0.6–0.7 %), neurc 2.0 % below. A 5 % band
/// holds that gap with more than four seed-to-seed spreads to spare, and
/// still fails when the drive is 5 % off either way (`--set eta=2.1`:
/// +5.6 %, `eta=1.9`: −9.5 %) or inhibition 5 % stronger (`g=5.25`:
/// −15 %). The full second takes about 2 s on two threads, so it is not
/// shortened: a shorter run would weigh the first tens of milliseconds
/// more, while the uniform initial potentials settle (36.90 Hz for `exc`
/// over 300 ms).
#[test]
fn brunel_fires_at_the_rate_of_brunels_mean_field_theory() {
    let expected = brunel_mean_field_rate_hz();
    // The value a direct quadrature of e^{x²} (1 + erf x) gives as well.
    assert!(
        (expected - 37.95).abs() < 0.01,
        "the mean-field rate is {expected} Hz"
    );
    let dir = scratch("examples-brunel");
    let report = run(&["run", "examples/brunel.snn", "--threads", "2"], &dir);
    assert_eq!(report["steps"], 10_000, "the full second");
    for name in ["exc", "inh"] {
        let rate = population(&report, name)["rate_hz"]
            .as_f64()
            .expect("a rate");
        assert!(
            (rate - expected).abs() / expected < 0.05,
            "{name}: {rate:.3} Hz, the mean-field theory {expected:.3} Hz"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
