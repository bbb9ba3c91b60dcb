//! `neurc run --target loihi` and `neurc run IMAGE`: the emulator's run
//! directory, its agreement with the CPU target, and bad images.

use crate::run::{neurc, scratch, stderr};
use serde_json::Value;
use std::path::Path;

fn path(p: &Path) -> &str {
    p.to_str().expect("a UTF-8 path")
}

fn report(dir: &Path) -> Value {
    let text = std::fs::read_to_string(dir.join("report.json")).expect("report.json");
    serde_json::from_str(&text).expect("report.json is JSON")
}

fn rate(report: &Value, population: &str) -> f64 {
    report["populations"]
        .as_array()
        .expect("populations")
        .iter()
        .find(|p| p["name"] == population)
        .and_then(|p| p["rate_hz"].as_f64())
        .expect("a rate")
}

/// The `.npy` header's dictionary and the data after it.
fn npy(file: &Path) -> (String, Vec<u8>) {
    let bytes = std::fs::read(file).expect("an .npy file");
    assert_eq!(&bytes[..6], b"\x93NUMPY");
    let header_len = usize::from(u16::from_le_bytes([bytes[8], bytes[9]]));
    let header = String::from_utf8_lossy(&bytes[10..10 + header_len]).into_owned();
    (header, bytes[10 + header_len..].to_vec())
}

#[test]
fn cuba_on_loihi_writes_the_run_files_and_the_chip_report() {
    let dir = scratch("chip-cuba");
    let o = neurc(&[
        "run",
        "examples/cuba.snn",
        "--target",
        "loihi",
        "--duration",
        "200 ms",
        "-o",
        path(&dir),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let summary = stderr(&o);
    assert!(
        summary.contains("on target loihi in hardware arithmetic"),
        "{summary}"
    );
    assert!(
        summary.contains("chip loihi in hardware arithmetic"),
        "{summary}"
    );
    for file in [
        "exc_u.npy",
        "exc_v.npy",
        "manifest.json",
        "report.json",
        "spikes.csv",
        "spikes.npy",
    ] {
        assert!(dir.join(file).exists(), "{file}");
    }
    let r = report(&dir);
    assert_eq!(r["target"], "loihi");
    assert_eq!(r["precision"], "hardware");
    let chip = &r["chip"];
    assert_eq!(chip["arithmetic"], "hardware");
    assert_eq!(chip["system"]["cores"], 10);
    assert_eq!(chip["steps"], 2000);
    assert_eq!(
        chip["per_step"]["time_ps"].as_array().map(Vec::len),
        Some(2000)
    );
    let shares: f64 = chip["operations"]
        .as_array()
        .expect("operations")
        .iter()
        .map(|o| o["share"].as_f64().expect("a share"))
        .sum();
    assert!((shares - 1.0).abs() < 1e-9, "energy shares sum to {shares}");
    let time: u64 = chip["per_step"]["time_ps"]
        .as_array()
        .expect("times")
        .iter()
        .map(|t| t.as_u64().expect("integer picoseconds"))
        .sum();
    assert_eq!(chip["totals"]["time_ps"].as_u64(), Some(time));
    // Every compartment update is an active or an inactive one.
    let counts = &chip["totals"]["counts"];
    let updates = counts["active_updates"].as_u64().unwrap_or(0)
        + counts["inactive_updates"].as_u64().unwrap_or(0);
    assert_eq!(updates, 8000 * 2000);
    // The chip's v register: integers, never above the threshold 16384·64
    // at the end of a step (a crossing resets to 0).
    let (header, data) = npy(&dir.join("exc_v.npy"));
    assert!(header.contains("'descr': '<i8'"), "{header}");
    assert!(header.contains("(2000, 10, )"), "{header}");
    let values: Vec<i64> = data
        .chunks_exact(8)
        .map(|c| i64::from_le_bytes(c.try_into().expect("8 bytes")))
        .collect();
    assert!(values.iter().all(|&v| v <= 16384 * 64));
    assert!(values.iter().any(|&v| v != 0));
}

#[test]
fn rates_on_the_chip_are_within_the_quantization_error_of_the_float_cpu_run() {
    let dir = scratch("chip-rates");
    let (cpu, chip) = (dir.join("cpu"), dir.join("chip"));
    let o = neurc(&["run", "examples/cuba.snn", "-o", path(&cpu), "-q"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let o = neurc(&[
        "run",
        "examples/cuba.snn",
        "--target",
        "loihi",
        "-o",
        path(&chip),
        "-q",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let (cpu, chip) = (report(&cpu), report(&chip));
    // The weights and decays round to within 2 % (quantization.json), and
    // CUBA's rate moves by ±8 % from seed to seed on the CPU (PEERS.md:
    // 5.1–6.0 Hz), so the two must agree to 8 %.
    for population in ["exc", "inh"] {
        let (a, b) = (rate(&cpu, population), rate(&chip, population));
        assert!(
            (a - b).abs() / a < 0.08,
            "{population}: cpu {a} Hz, chip {b} Hz"
        );
    }
}

#[test]
fn a_compiled_image_runs_alone_and_gives_the_spikes_of_the_model_run() {
    let dir = scratch("chip-image");
    let (compiled, from_model, from_image) =
        (dir.join("compiled"), dir.join("model"), dir.join("image"));
    let o = neurc(&[
        "compile",
        "examples/cuba.snn",
        "--target",
        "loihi",
        "-o",
        path(&compiled),
        "-q",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(compiled.join("run.json").exists());
    let image = compiled.join("image.bin");
    let common = ["--duration", "100 ms", "-q"];
    let o = neurc(
        &[
            &[
                "run",
                "examples/cuba.snn",
                "--target",
                "loihi",
                "-o",
                path(&from_model),
            ][..],
            &common,
        ]
        .concat(),
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let o = neurc(&[&["run", path(&image), "-o", path(&from_image)][..], &common].concat());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    for file in ["spikes.csv", "spikes.npy", "exc_v.npy"] {
        assert_eq!(
            std::fs::read(from_model.join(file)).expect("model run"),
            std::fs::read(from_image.join(file)).expect("image run"),
            "{file}"
        );
    }
    assert_eq!(
        report(&from_model)["chip"]["per_step"],
        report(&from_image)["chip"]["per_step"]
    );

    // Without its run.json, an image needs a duration and names its
    // populations by node.
    let alone = dir.join("alone");
    std::fs::create_dir_all(&alone).expect("a directory");
    let copy = alone.join("image.bin");
    std::fs::copy(&image, &copy).expect("a copy");
    let o = neurc(&["run", path(&copy), "-o", path(&alone.join("out"))]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("--duration"), "{}", stderr(&o));
    let o = neurc(&[
        "run",
        path(&copy),
        "--duration",
        "20 ms",
        "-q",
        "-o",
        path(&alone.join("out")),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let csv = std::fs::read_to_string(alone.join("out/spikes.csv")).expect("spikes");
    assert!(csv.contains(",node"), "{}", &csv[..csv.len().min(300)]);

    // The seed is part of the image.
    let o = neurc(&[
        "run",
        path(&image),
        "--seed",
        "7",
        "-o",
        path(&dir.join("x")),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("compiled chip image"), "{}", stderr(&o));
}

#[test]
fn a_damaged_image_is_refused_with_its_cause() {
    let dir = scratch("chip-damaged");
    let o = neurc(&[
        "compile",
        "examples/cuba.snn",
        "--target",
        "loihi",
        "-o",
        path(&dir),
        "-q",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let image = std::fs::read(dir.join("image.bin")).expect("an image");
    let cases: [(&str, Vec<u8>, &str); 3] = [
        (
            "corrupt",
            {
                let mut b = image.clone();
                let last = b.len() - 1;
                b[last] ^= 1;
                b
            },
            "corrupt neurc chip image",
        ),
        (
            "truncated",
            image[..image.len() / 2].to_vec(),
            "truncated neurc chip image",
        ),
        (
            "version",
            {
                let mut b = image.clone();
                b[8] = 99;
                b
            },
            "format version 99",
        ),
    ];
    for (name, bytes, message) in cases {
        let file = dir.join(format!("{name}.bin"));
        std::fs::write(&file, bytes).expect("a damaged image");
        let o = neurc(&["run", path(&file), "-o", path(&dir.join(name))]);
        assert_eq!(o.status.code(), Some(1), "{name}");
        let err = stderr(&o);
        assert!(err.contains(message), "{name}: {err}");
        assert!(err.contains(&format!("{name}.bin")), "{name}: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
}

#[test]
fn lava_arithmetic_is_selectable_and_reported() {
    let dir = scratch("chip-lava");
    let o = neurc(&[
        "run",
        "examples/cuba.snn",
        "--target",
        "loihi",
        "--mode",
        "lava",
        "--duration",
        "50 ms",
        "-o",
        path(&dir),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stderr(&o).contains("in lava arithmetic"), "{}", stderr(&o));
    assert_eq!(report(&dir)["chip"]["arithmetic"], "lava");
}

/// The files two runs must agree on byte for byte, and the counts of
/// their reports.
fn assert_same_run(a: &Path, b: &Path, files: &[&str]) {
    for file in files {
        assert_eq!(
            std::fs::read(a.join(file)).expect("the first run's file"),
            std::fs::read(b.join(file)).expect("the second run's file"),
            "{file}"
        );
    }
    let (a, b) = (report(a), report(b));
    assert_eq!(a["populations"], b["populations"]);
    assert_eq!(a["projections"], b["projections"]);
}

#[test]
fn the_cpu_fixed_point_mode_gives_the_emulators_spikes_and_registers() {
    let dir = scratch("chip-fixed");
    // A small Brunel network: Poisson drive, delays, both signs of weight.
    let brunel = [
        "run",
        "examples/brunel.snn",
        "--set",
        "order=250",
        "--duration",
        "40 ms",
        "-q",
    ];
    let emulated = dir.join("brunel-emulated");
    let o = neurc(&[&brunel[..], &["--target", "loihi", "-o", path(&emulated)]].concat());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    for threads in ["1", "2"] {
        let fixed = dir.join(format!("brunel-fixed-{threads}"));
        let o = neurc(
            &[
                &brunel[..],
                &[
                    "--precision",
                    "fixed",
                    "--threads",
                    threads,
                    "-o",
                    path(&fixed),
                ],
            ]
            .concat(),
        );
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        assert_same_run(&emulated, &fixed, &["spikes.csv", "spikes.npy"]);
        let fixed = report(&fixed);
        assert_eq!(fixed["target"], "cpu (loihi program)");
        assert_eq!(fixed["precision"], "fixed-point hardware");
        assert!(fixed.get("chip").is_none_or(Value::is_null), "{fixed}");
    }
    let drive = report(&emulated)["populations"][2]["spikes"]
        .as_u64()
        .expect("drive spikes");
    assert!(drive > 700_000, "the drive's spikes are recorded: {drive}");

    // A compiled image in lava arithmetic: u and v at every step.
    let compiled = dir.join("cuba");
    let o = neurc(&["compile", "examples/cuba.snn", "-o", path(&compiled), "-q"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let image = compiled.join("image.bin");
    let cuba = [
        "run",
        path(&image),
        "--mode",
        "lava",
        "--duration",
        "100 ms",
        "-q",
    ];
    let (emulated, fixed) = (dir.join("cuba-emulated"), dir.join("cuba-fixed"));
    let o = neurc(&[&cuba[..], &["-o", path(&emulated)]].concat());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let o = neurc(&[&cuba[..], &["--precision", "fixed", "-o", path(&fixed)]].concat());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_same_run(&emulated, &fixed, &["spikes.npy", "exc_u.npy", "exc_v.npy"]);
    assert_eq!(report(&fixed)["precision"], "fixed-point lava");
}

#[test]
fn a_floating_point_precision_on_a_chip_target_is_refused() {
    let dir = scratch("chip-float");
    let o = neurc(&[
        "run",
        "examples/cuba.snn",
        "--target",
        "loihi",
        "--precision",
        "f32",
        "-o",
        path(&dir),
    ]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.contains("--precision f32"), "{err}");
    assert!(err.contains("--precision fixed"), "{err}");
}
