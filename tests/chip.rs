//! `neurc compile` on networks a chip system cannot hold, run as a user
//! runs it: the exit code, and stderr compared with a reviewed snapshot in
//! `tests/chip/snapshots` (regenerate with `INSTA_UPDATE=always` and review
//! the diff before committing). The models and the chip specs (the `neurc
//! chip loihi` preset, edited) are in `tests/chip`.

use std::path::PathBuf;
use std::process::{Command, Output};

/// A fresh output directory for one case, removed when dropped.
struct OutDir(PathBuf);

impl OutDir {
    fn new(case: &str) -> OutDir {
        let dir = std::env::temp_dir().join(format!("neurc-chip-{case}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        OutDir(dir)
    }

    fn path(&self) -> &str {
        self.0.to_str().expect("a UTF-8 temp path")
    }
}

impl Drop for OutDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs `neurc compile MODEL --target loihi [--chip SPEC] -o DIR`.
fn compile(model: &str, spec: Option<&str>, out: &OutDir) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_neurc"));
    command.args(["compile", model, "--target", "loihi"]);
    if let Some(spec) = spec {
        command.args(["--chip", spec]);
    }
    command
        .args(["-o", out.path()])
        .output()
        .expect("neurc runs")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Compiles `tests/chip/MODEL` onto `tests/chip/SPEC` (or the loihi preset),
/// checks the exit code and snapshots stderr as `name`, with the output
/// directory written `[OUT]`.
fn refused(name: &str, model: &str, spec: Option<&str>, code: i32) {
    let out = OutDir::new(name);
    let model = format!("tests/chip/{model}");
    let spec = spec.map(|s| format!("tests/chip/{s}"));
    let output = compile(&model, spec.as_deref(), &out);
    let text = stderr(&output).replace(out.path(), "[OUT]");
    assert_eq!(output.status.code(), Some(code), "{text}");
    assert!(
        output.stdout.is_empty(),
        "nothing on stdout: {}",
        String::from_utf8_lossy(&output.stdout)
    );
    assert!(
        !out.0.join("image.bin").exists(),
        "no image for a refused network"
    );
    let command = match &spec {
        Some(spec) => format!("neurc compile {model} --target loihi --chip {spec} -o [OUT]"),
        None => format!("neurc compile {model} --target loihi -o [OUT]"),
    };
    insta::with_settings!({
        snapshot_path => "chip/snapshots",
        prepend_module_to_snapshot => false,
        omit_expression => true,
        description => command,
    }, {
        insta::assert_snapshot!(name, text);
    });
}

#[test]
fn two_compartments_per_neuron_on_cores_of_one_exit_2() {
    refused(
        "compartments",
        "two_currents.snn",
        Some("compartments_1.toml"),
        2,
    );
}

#[test]
fn synapse_lists_larger_than_a_cores_memory_exit_2() {
    refused(
        "synaptic_memory",
        "fan_in.snn",
        Some("memory_4096_bits.toml"),
        2,
    );
}

#[test]
fn more_presynaptic_neurons_than_input_axons_exit_2() {
    refused("input_axons", "fan_in.snn", Some("input_axons_50.toml"), 2);
}

#[test]
fn targets_on_more_cores_than_output_axons_exit_2() {
    refused(
        "output_axons",
        "fan_out.snn",
        Some("output_axons_4.toml"),
        2,
    );
}

#[test]
fn a_delay_beyond_the_delay_slots_exits_1_at_the_projection() {
    refused("delay", "long_delay.snn", None, 1);
}

#[test]
fn more_cores_than_the_system_has_exit_2() {
    refused("cores", "three_cores.snn", Some("two_cores.toml"), 2);
}

#[test]
fn a_model_the_chip_neuron_cannot_run_exits_1() {
    refused("unsupported_model", "izhikevich.snn", None, 1);
}

#[test]
fn a_spec_that_is_not_toml_exits_1_naming_the_file() {
    refused("spec_not_toml", "three_cores.snn", Some("not_toml.toml"), 1);
}

#[test]
fn a_spec_with_zero_compartments_exits_1_naming_the_field() {
    refused(
        "spec_zero_compartments",
        "three_cores.snn",
        Some("compartments_0.toml"),
        1,
    );
}

#[test]
fn cuba_compiles_for_loihi_and_writes_its_reports() {
    let out = OutDir::new("cuba");
    let output = compile("examples/cuba.snn", None, &out);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    for file in ["image.bin", "resources.json", "quantization.json"] {
        let path = out.0.join(file);
        let bytes = std::fs::metadata(&path)
            .unwrap_or_else(|e| panic!("{} written: {e}", path.display()))
            .len();
        assert!(bytes > 0, "{} is empty", path.display());
    }
    let resources = std::fs::read(out.0.join("resources.json")).expect("readable");
    let resources: serde_json::Value =
        serde_json::from_slice(&resources).expect("resources.json is JSON");
    let cores = resources["cores_used"].as_u64().expect("a core count");
    assert!(cores > 0, "{resources}");
    let quantization = std::fs::read(out.0.join("quantization.json")).expect("readable");
    serde_json::from_slice::<serde_json::Value>(&quantization).expect("quantization.json is JSON");
}

#[test]
fn a_chip_register_outside_its_field_exits_1_at_the_population() {
    refused("native_register", "native_bad_register.snn", None, 1);
}

#[test]
fn a_chip_native_weight_its_format_cannot_hold_exits_1_at_the_projection() {
    refused("native_weight", "native_bad_weight.snn", None, 1);
}

/// Chip-native registers and integer weights reach the image unchanged:
/// the decoded program holds exactly the integers the file gives.
#[test]
fn chip_native_values_pass_through_unchanged() {
    let out = OutDir::new("native");
    let output = compile("tests/chip/native.snn", None, &out);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let bytes = std::fs::read(out.0.join("image.bin")).expect("image.bin");
    let program = neurc_backends::chip::decode(&bytes).expect("a valid image");
    let [core] = program.cores() else {
        panic!("one core, not {}", program.cores().len());
    };
    let profile = core.profiles[0];
    assert_eq!(
        (
            profile.du,
            profile.dv,
            profile.vth,
            profile.refractory_delay
        ),
        (410, 205, Some(200), 3)
    );
    for compartment in &core.compartments {
        assert_eq!(
            (compartment.bias_mantissa, compartment.bias_exponent),
            (12, 3)
        );
    }
    let format = core.formats[0];
    assert_eq!(
        (format.weight_bits, format.weight_exponent, format.sign),
        (8, 2, neurc_ir::chip::SignMode::Mixed)
    );
    // Input axons in presynaptic order: neuron 0 reaches compartments 0
    // and 1 with 40 and -64, neuron 1 compartments 0 and 2 with 12 and 254.
    let synapses: Vec<(u16, i16, u8)> = (0..core.synapses.weight.len())
        .map(|s| {
            (
                core.synapses.compartment[s],
                core.synapses.weight[s],
                core.synapses.delay[s],
            )
        })
        .collect();
    assert_eq!(synapses, [(0, 40, 3), (1, -64, 3), (0, 12, 3), (2, 254, 3)]);
}

/// A network whose mapping would not fit in memory is refused before
/// anything is expanded or written.
#[test]
fn a_network_too_large_for_the_memory_limit_exits_2_before_mapping() {
    let out = OutDir::new("memory");
    let output = Command::new(env!("CARGO_BIN_EXE_neurc"))
        .args(["compile", "examples/cuba.snn", "--max-memory", "1MB", "-o"])
        .arg(out.path())
        .output()
        .expect("neurc runs");
    let text = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{text}");
    assert!(text.contains("neurc::compile::memory"), "{text}");
    assert!(text.contains("more than the limit of"), "{text}");
    assert!(!out.0.join("image.bin").exists());
}

/// A chip-native threshold mantissa of 0 (a spike whenever v > 0) is the
/// chip's to hold, and reaches the image as 0.
#[test]
fn a_chip_native_zero_threshold_compiles() {
    let out = OutDir::new("native-zero");
    let output = compile("tests/chip/native_zero_threshold.snn", None, &out);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let bytes = std::fs::read(out.0.join("image.bin")).expect("image.bin");
    let program = neurc_backends::chip::decode(&bytes).expect("a valid image");
    assert_eq!(program.cores()[0].profiles[0].vth, Some(0));
}
