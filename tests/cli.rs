//! The `neurc` command line, run as a user runs it.

use std::process::{Command, Output};

fn neurc(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_neurc"))
        .args(args)
        .output()
        .expect("neurc runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn json(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}", stdout(o)))
}

#[test]
fn cuba_checks_with_its_published_sizes() {
    let out = neurc(&["check", "examples/cuba.snn", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let summary = json(&out);
    assert_eq!(summary["neurons"], 4000);
    assert_eq!(summary["populations"], 2);
    assert_eq!(summary["projections"], 4);
    // Bernoulli with p = 0.02 over 4000 × 4000 pairs: 320 000 expected.
    let synapses = summary["estimated_synapses"].as_u64().expect("a count");
    assert!((310_000..=330_000).contains(&synapses), "{synapses}");
    assert_eq!(summary["dt_s"], 1e-4);
    assert_eq!(summary["seed"], 1234);
}

#[test]
fn brunel_checks_with_exact_synapse_counts() {
    let out = neurc(&["check", "examples/brunel.snn", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let summary = json(&out);
    // 12 500 LIF neurons and one Poisson drive per neuron.
    assert_eq!(summary["neurons"], 25_000);
    assert_eq!(summary["sources"], 2);
    // In-degrees 1000 + 250 onto 12 500 neurons, plus one drive synapse each.
    assert_eq!(summary["estimated_synapses"], 12_500 * 1250 + 12_500);
}

#[test]
fn the_text_summary_names_populations_and_sizes() {
    let out = neurc(&["check", "examples/cuba.snn"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("exc = LifCuba[3200]"), "{text}");
    assert!(text.contains("inh = LifCuba[800]"), "{text}");
    assert!(text.contains("neurons     4000"), "{text}");
    assert!(text.contains("dt 0.1 ms"), "{text}");
}

#[test]
fn a_bad_file_exits_1_with_every_error_on_stderr() {
    let out = neurc(&["check", "tests/diagnostics/three_errors.snn"]);
    assert_eq!(out.status.code(), Some(1));
    let text = stderr(&out);
    assert!(text.contains("neurc::unit::wrong_dimension"), "{text}");
    assert!(text.contains("neurc::value::size"), "{text}");
    assert!(text.contains("neurc::value::probability"), "{text}");
    assert!(text.contains("neurc::name::unknown_population"), "{text}");
    assert!(text.contains("4 errors found"), "{text}");
}

#[test]
fn json_diagnostics_give_file_line_and_column() {
    let out = neurc(&[
        "check",
        "tests/diagnostics/probability_out_of_range.snn",
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let diagnostics = json(&out);
    let first = &diagnostics[0];
    assert_eq!(first["code"], "neurc::value::probability");
    assert_eq!(
        first["labels"][0]["file"],
        "tests/diagnostics/probability_out_of_range.snn"
    );
    assert_eq!(first["labels"][0]["line"], 2);
    assert_eq!(first["labels"][0]["column"], 32);
    assert!(first["help"].as_str().is_some_and(|h| !h.is_empty()));
}

#[test]
fn set_overrides_a_constant_with_a_checked_dimension() {
    let out = neurc(&[
        "check",
        "examples/brunel.snn",
        "--json",
        "--set",
        "order=500",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(json(&out)["neurons"], 5000);

    let out = neurc(&["check", "examples/brunel.snn", "--set", "J=0.2"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("neurc::set::dimension"),
        "{}",
        stderr(&out)
    );

    let out = neurc(&["check", "examples/brunel.snn", "--set", "J=0.2 mV"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));

    let out = neurc(&["check", "examples/brunel.snn", "--set", "jay=0.2 mV"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("neurc::set::unknown_const"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_network_over_the_memory_limit_exits_2_naming_the_projection() {
    let out = neurc(&["check", "examples/brunel.snn", "--max-memory", "1MB"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let text = stderr(&out);
    assert!(text.contains("neurc::memory::too_large"), "{text}");
    assert!(
        text.contains("exc -> exc") || text.contains("exc -> inh"),
        "{text}"
    );

    let out = neurc(&[
        "ir",
        "examples/brunel.snn",
        "--expanded",
        "--max-memory",
        "10MB",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stdout(&out).is_empty(),
        "nothing is printed for a refused expansion"
    );
}

#[test]
fn the_examples_are_in_canonical_form() {
    for example in ["examples/cuba.snn", "examples/brunel.snn"] {
        let out = neurc(&["fmt", example, "--check"]);
        assert_eq!(out.status.code(), Some(0), "{example}: {}", stderr(&out));
    }
}

#[test]
fn fmt_prints_canonical_source_that_checks_the_same() {
    let dir = std::env::temp_dir().join(format!("neurc-fmt-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let messy = dir.join("messy.snn");
    std::fs::write(&messy, "population   a=LifExp[ 10 ]{tau_m=5 ms}\nconnect a->a:all_to_all(){weight=1 pA->i_syn_e}\n").expect("write");
    let out = neurc(&["fmt", messy.to_str().expect("utf-8 path"), "--check"]);
    assert_eq!(out.status.code(), Some(1), "a messy file is not canonical");
    let out = neurc(&["fmt", messy.to_str().expect("utf-8 path"), "--write"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let formatted = std::fs::read_to_string(&messy).expect("read back");
    assert_eq!(
        formatted,
        "population a = LifExp[10] {\n    tau_m = 5 ms\n}\n\nconnect a -> a : all_to_all() {\n    weight = 1 pA -> i_syn_e\n}\n"
    );
    let out = neurc(&["check", messy.to_str().expect("utf-8 path"), "--json"]);
    assert_eq!(json(&out)["projections"], 1);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn ir_expanded_holds_one_table_per_projection() {
    let out = neurc(&["ir", "examples/cuba.snn", "--expanded", "--threads", "2"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let ir = json(&out);
    let tables = ir["connectivity"]["tables"]
        .as_object()
        .expect("tables by projection");
    assert_eq!(tables.len(), 4);
    let synapses: usize = tables
        .values()
        .map(|t| t["targets"].as_array().map_or(0, Vec::len))
        .sum();
    // Within 5 sigma of 320 000 (sigma = sqrt(n p (1 - p)) = 560).
    assert!((317_200..=322_800).contains(&synapses), "{synapses}");
}

#[test]
fn ir_is_the_same_for_any_thread_count() {
    let one = neurc(&["ir", "examples/cuba.snn", "--expanded", "--threads", "1"]);
    let two = neurc(&["ir", "examples/cuba.snn", "--expanded", "--threads", "2"]);
    assert_eq!(one.status.code(), Some(0));
    assert!(
        one.stdout == two.stdout,
        "expansion depends on the thread count"
    );
}

#[test]
fn unreadable_input_and_bad_flags_are_user_errors() {
    let out = neurc(&["check", "examples/no_such_file.snn"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("cannot read"), "{}", stderr(&out));
    let out = neurc(&["check", "examples/cuba.snn", "--max-memory", "lots"]);
    assert_eq!(out.status.code(), Some(1), "a bad flag is a user error");
    assert!(stderr(&out).contains("not a size"), "{}", stderr(&out));
    let out = neurc(&["check", "examples/cuba.snn", "--set", "novalue"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("NAME=VALUE"), "{}", stderr(&out));
}

/// A reader that stops early (`neurc ir model.snn --expanded | head`)
/// ends the output quietly: no panic, no error, exit 0.
#[test]
fn a_reader_that_stops_early_ends_the_output_quietly() {
    use std::io::Read;
    let mut child = Command::new(env!("CARGO_BIN_EXE_neurc"))
        .args(["ir", "examples/cuba.snn", "--expanded"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("neurc starts");
    let mut start = [0u8; 64];
    child
        .stdout
        .take()
        .expect("a pipe")
        .read_exact(&mut start)
        .expect("the IR begins");
    // The read end is closed here, with megabytes of the IR unwritten.
    let o = child.wait_with_output().expect("neurc ends");
    assert!(
        start.starts_with(b"{"),
        "{}",
        String::from_utf8_lossy(&start)
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stderr(&o).is_empty(), "{}", stderr(&o));
}
