//! `neurc run`: the run directory of an example, and bad input at run time.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub(crate) fn neurc(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_neurc"))
        .args(args)
        .output()
        .expect("neurc runs")
}

pub(crate) fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A fresh directory under the system's temporary directory.
pub(crate) fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("neurc-run-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a scratch directory");
    dir
}

fn files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

#[test]
fn cuba_writes_every_output_with_its_published_rates() {
    let dir = scratch("cuba");
    let out_dir = dir.join("out");
    let o = neurc(&[
        "run",
        "examples/cuba.snn",
        "-o",
        out_dir.to_str().expect("a UTF-8 path"),
        "--duration",
        "500 ms",
        "--threads",
        "2",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        files(&out_dir),
        [
            "exc_v.npy",
            "manifest.json",
            "report.json",
            "spikes.csv",
            "spikes.npy"
        ]
    );
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out_dir.join("report.json")).expect("a report"))
            .expect("JSON");
    assert_eq!(report["steps"], 5000);
    assert_eq!(report["threads"], 2);
    for population in report["populations"].as_array().expect("a list") {
        let rate = population["rate_hz"].as_f64().expect("a rate");
        // Vogels & Abbott's CUBA network fires at about 5–6 Hz.
        assert!((4.0..8.0).contains(&rate), "{population}");
    }
    let csv = std::fs::read_to_string(out_dir.join("spikes.csv")).expect("spikes");
    assert!(csv.starts_with("step,time_ms,population,neuron\n"));
    let summary = stderr(&o);
    assert!(
        summary.contains("on target cpu in f64, seed 1234"),
        "{summary}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_same_seed_gives_the_same_spikes_for_any_thread_count() {
    let dir = scratch("threads");
    let run = |threads: &str| {
        let out_dir = dir.join(threads);
        let o = neurc(&[
            "run",
            "examples/brunel.snn",
            "--set",
            "order=250",
            "-o",
            out_dir.to_str().expect("a UTF-8 path"),
            "--duration",
            "100 ms",
            "--threads",
            threads,
            "--quiet",
        ]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        assert!(
            o.stderr.is_empty(),
            "--quiet prints nothing: {}",
            stderr(&o)
        );
        (
            std::fs::read(out_dir.join("spikes.csv")).expect("spikes"),
            std::fs::read(out_dir.join("manifest.json")).expect("a manifest"),
        )
    };
    let one = run("1");
    assert!(one.0.len() > 100, "the network spikes");
    assert_eq!(one, run("2"));
    assert_eq!(one, run("3"));
    let _ = std::fs::remove_dir_all(&dir);
}

/// Runs `source` and expects exit 1 with `needle` in the message and no
/// file in the output directory.
fn fails_cleanly(name: &str, source: &str, needle: &str) {
    let dir = scratch(name);
    let model = dir.join("model.snn");
    std::fs::write(&model, source).expect("a model file");
    let out_dir = dir.join("out");
    let o = neurc(&[
        "run",
        model.to_str().expect("a UTF-8 path"),
        "-o",
        out_dir.to_str().expect("a UTF-8 path"),
        "--quiet",
    ]);
    let message = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{message}");
    assert!(message.contains(needle), "{message}");
    assert!(!message.contains("panicked"), "{message}");
    assert_eq!(files(&out_dir), Vec::<String>::new(), "no partial output");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_nan_from_a_parameter_names_the_population_and_writes_nothing() {
    // A zero membrane capacitance divides the input by zero.
    fails_cleanly(
        "nan",
        "population cells = LifExp[10] {\n    c_m = 0 pF\n    i_e = 100 pA\n}\nrecord spikes(cells)\n",
        "population `cells`",
    );
}

#[test]
fn a_runaway_exponential_names_the_population_and_writes_nothing() {
    fails_cleanly(
        "runaway",
        "neuron Runaway {\n    parameters {\n        tau = 1 ms\n    }\n    state {\n        v = 1 mV\n    }\n    equations {\n        dv/dt = (1 mV) * exp(v / (1 mV)) / tau\n    }\n}\n\
         population blowup = Runaway[3]\nrecord v(blowup)\n",
        "population `blowup`",
    );
}

#[test]
fn an_unwritable_output_directory_is_named_before_the_run() {
    let dir = scratch("unwritable");
    let file = dir.join("a-file");
    std::fs::write(&file, "not a directory").expect("a file");
    let out_dir = file.join("out");
    let o = neurc(&[
        "run",
        "examples/cuba.snn",
        "-o",
        out_dir.to_str().expect("a UTF-8 path"),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stderr(&o).contains(out_dir.to_str().expect("a UTF-8 path")),
        "{}",
        stderr(&o)
    );
    assert!(
        !stderr(&o).contains("ran "),
        "refused before running: {}",
        stderr(&o)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bad_run_flags_are_user_errors() {
    for args in [
        ["run", "examples/cuba.snn", "--duration", "5 mV"],
        ["run", "examples/cuba.snn", "--precision", "f16"],
        ["run", "examples/cuba.snn", "--target", "gpu"],
    ] {
        let o = neurc(&args);
        assert_eq!(o.status.code(), Some(1), "{args:?}: {}", stderr(&o));
    }
}
