//! Writing a small hand-made run and reading it back.

use super::*;
use crate::instance::{Instance, PopulationInstance, ProjectionInstance, SpikeProbe, TraceProbe};
use crate::recording::{SpikeEvents, Trace};
use neurc_backends::cpu::NeuronProgram;
use neurc_backends::cpu::plan::Integration;
use neurc_backends::cpu::program::{Code, SpikeRule, TakeUp};
use neurc_ir::{NeuronRange, NodeId, PerSynapse, ProjId, SynapseTable};
use serde_json::Value;
use std::sync::atomic::{AtomicU32, Ordering};

/// A fresh directory under the system's temporary directory, removed
/// (with everything in it) when dropped.
pub(crate) struct TestDir(PathBuf);

impl std::ops::Deref for TestDir {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl AsRef<Path> for TestDir {
    fn as_ref(&self) -> &Path {
        &self.0
    }
}

impl Drop for TestDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub(crate) fn test_dir(name: &str) -> TestDir {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let unique = NEXT.fetch_add(1, Ordering::Relaxed);
    let path = std::env::temp_dir().join(format!(
        "neurc-output-{name}-{}-{unique}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&path);
    std::fs::create_dir_all(&path).unwrap();
    TestDir(path)
}

fn program(model: &str, state: &[&str], spike: SpikeRule) -> NeuronProgram {
    NeuronProgram {
        model: model.to_owned(),
        state: state.iter().map(|s| (*s).to_owned()).collect(),
        held: vec![false; state.len()],
        params: vec![],
        inputs: 0,
        temps: 0,
        take_up: if state.is_empty() {
            vec![]
        } else {
            vec![TakeUp::State(0)]
        },
        update: vec![],
        spike: Some(spike),
        reset: vec![],
        refractory: None,
    }
}

fn population(node: u32, name: &str, size: u32, program: NeuronProgram) -> PopulationInstance {
    let state = program.state.len() * size as usize;
    PopulationInstance {
        node: NodeId(node),
        name: name.to_owned(),
        size,
        integration: if program.state.is_empty() {
            Integration::None
        } else {
            Integration::Discrete
        },
        program,
        params: vec![],
        init: vec![0.0; state],
        schedule: None,
        slots: 2,
    }
}

/// All-to-all from `pre` (of `pre_size`) to `post` (of `post_size`).
fn projection(
    id: u32,
    name: &str,
    pre: usize,
    pre_size: u32,
    post: usize,
    post_size: u32,
) -> ProjectionInstance {
    ProjectionInstance {
        id: ProjId(id),
        name: name.to_owned(),
        pre,
        post,
        pre_range: NeuronRange::new(0, pre_size),
        buffer: 0,
        table: SynapseTable {
            row_offsets: (0..=pre_size).map(|i| u64::from(i * post_size)).collect(),
            targets: (0..pre_size).flat_map(|_| 0..post_size).collect(),
            weights: PerSynapse::Constant(1.0),
            delays: PerSynapse::Constant(1),
        },
    }
}

fn events(spikes: &[(u64, u32)]) -> SpikeEvents {
    SpikeEvents {
        steps: spikes.iter().map(|s| s.0).collect(),
        neurons: spikes.iter().map(|s| s.1).collect(),
    }
}

/// Three populations — `exc` (4 neurons), `inh` (2) and a counting source
/// `noise` (3) — over 10 steps of 0.1 ms, with overlapping spike probes.
///
/// Spikes: exc 1 at steps 1, 4, 7, 9; exc 2 at 2, 4; exc 0 at 4;
/// inh 0 at 3, 5, 9; inh 1 at 5, 6, 9; noise 0 twice at 0 and once at 5;
/// noise 2 at 4.
pub(crate) fn small_network() -> (Instance, Recording) {
    let condition = || SpikeRule::Condition(Code::Const(0.0));
    let instance = Instance {
        dt: 1e-4,
        steps: 10,
        seed: 7,
        populations: vec![
            population(0, "exc", 4, program("LifDelta", &["v"], condition())),
            population(1, "inh", 2, program("LifDelta", &["v"], condition())),
            population(
                2,
                "noise",
                3,
                program("PoissonSource", &[], SpikeRule::Count(Code::Const(0.0))),
            ),
        ],
        projections: vec![
            projection(0, "noise -> exc", 2, 3, 0, 4),
            projection(1, "exc -> inh", 0, 4, 1, 2),
        ],
        spike_probes: vec![
            SpikeProbe {
                population: 0,
                neurons: NeuronRange::new(0, 4),
            },
            SpikeProbe {
                population: 0,
                neurons: NeuronRange::new(1, 3),
            },
            SpikeProbe {
                population: 1,
                neurons: NeuronRange::new(0, 2),
            },
            SpikeProbe {
                population: 2,
                neurons: NeuronRange::new(0, 3),
            },
            SpikeProbe {
                population: 1,
                neurons: NeuronRange::new(0, 1),
            },
        ],
        trace_probes: vec![
            TraceProbe {
                population: 0,
                state: 0,
                variable: "v".to_owned(),
                neurons: NeuronRange::new(1, 3),
                threshold: None,
            },
            TraceProbe {
                population: 1,
                state: 0,
                variable: "v".to_owned(),
                neurons: NeuronRange::new(0, 2),
                threshold: None,
            },
        ],
    };
    let trace = |offset: f64| Trace {
        values: (0..10)
            .flat_map(|step| (0..2).map(move |i| offset + f64::from(step) + 0.25 * f64::from(i)))
            .collect(),
    };
    let recording = Recording {
        spikes: vec![
            events(&[(1, 1), (2, 2), (4, 0), (4, 1), (4, 2), (7, 1), (9, 1)]),
            events(&[(1, 1), (2, 2), (4, 1), (4, 2), (7, 1), (9, 1)]),
            events(&[(3, 0), (5, 0), (5, 1), (6, 1), (9, 0), (9, 1)]),
            events(&[(0, 0), (0, 0), (4, 2), (5, 0)]),
            events(&[(3, 0), (5, 0), (9, 0)]),
        ],
        traces: vec![trace(-70.0), trace(0.1)],
        spike_counts: vec![7, 6, 4],
        // noise -> exc: 3 spikes (the double one counts once) × 4 targets;
        // exc -> inh: 7 spikes × 2 targets.
        synaptic_events: vec![12, 14],
    };
    (instance, recording)
}

pub(crate) fn run_info() -> RunInfo {
    RunInfo {
        extra: Vec::new(),
        version: "0.1.0".to_owned(),
        target: "cpu".to_owned(),
        precision: "f64".to_owned(),
        threads: 2,
        started: Instant::now(),
        phases: PhaseTimes {
            compile: Duration::from_millis(10),
            expand: Duration::from_millis(300),
            jit: Duration::from_millis(2),
            setup: Duration::from_millis(10),
            simulate: Duration::from_millis(1200),
        },
        kernels: vec![
            KernelTime {
                kernel: Kernel::Neuron { population: 0 },
                compile: Duration::from_micros(1200),
            },
            KernelTime {
                kernel: Kernel::Delivery { projection: 1 },
                compile: Duration::from_micros(400),
            },
        ],
        synapse_bytes: 80,
        peak_rss_bytes: Some(70_000_000),
        overrides: vec![Override {
            name: "scale".to_owned(),
            value: "0.1".to_owned(),
        }],
        inputs: vec![InputFile::new("model.snn", b"network {}")],
        chip: None,
        ir: Digest::of(b"{\"ir\": true}"),
    }
}

fn read_json(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

fn file_names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

const EXPECTED_CSV: &str = "\
step,time_ms,population,neuron
0,0.0,noise,0
0,0.0,noise,0
1,0.1,exc,1
2,0.2,exc,2
3,0.3,inh,0
4,0.4,exc,0
4,0.4,exc,1
4,0.4,exc,2
4,0.4,noise,2
5,0.5,inh,0
5,0.5,inh,1
5,0.5,noise,0
6,0.6,inh,1
7,0.7,exc,1
9,0.9,exc,1
9,0.9,inh,0
9,0.9,inh,1
";

#[test]
fn writes_every_file_manifest_last() {
    let (instance, recording) = small_network();
    let dir = test_dir("run");
    let written = write_run(&dir, &RunLayout::of(&instance), &recording, &run_info()).unwrap();
    let names: Vec<_> = written
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names,
        [
            "spikes.csv",
            "spikes.npy",
            "exc_v.npy",
            "inh_v.npy",
            "report.json",
            "manifest.json"
        ]
    );
    assert!(written.iter().all(|p| p.parent() == Some(&*dir)));
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(file_names(&dir), sorted, "no temporary files are left");
}

#[test]
fn spikes_csv_is_ordered_by_step_population_neuron_without_duplicates() {
    let (instance, recording) = small_network();
    let dir = test_dir("csv");
    write_run(&dir, &RunLayout::of(&instance), &recording, &run_info()).unwrap();
    assert_eq!(
        std::fs::read_to_string(dir.join("spikes.csv")).unwrap(),
        EXPECTED_CSV
    );
}

/// A row of `spikes.npy` as read back.
#[derive(PartialEq, Debug)]
struct Row {
    step: u64,
    time_ms: f64,
    population: u16,
    neuron: u32,
}

#[test]
fn spikes_npy_is_the_same_table_with_named_columns() {
    let (instance, recording) = small_network();
    let dir = test_dir("npy");
    write_run(&dir, &RunLayout::of(&instance), &recording, &run_info()).unwrap();
    let bytes = std::fs::read(dir.join("spikes.npy")).unwrap();
    let file = npyz::NpyFile::new(&bytes[..]).unwrap();
    assert_eq!(file.shape(), [17]);
    assert_eq!(
        file.dtype().descr(),
        "[('step', '<u8'), ('time_ms', '<f8'), ('population', '<u2'), ('neuron', '<u4'), ]"
    );
    // The data follow the header: 22 packed bytes a row.
    let data = &bytes[bytes.len() - 17 * 22..];
    let rows: Vec<Row> = data
        .chunks_exact(22)
        .map(|b| Row {
            step: u64::from_le_bytes(b[0..8].try_into().unwrap()),
            time_ms: f64::from_le_bytes(b[8..16].try_into().unwrap()),
            population: u16::from_le_bytes(b[16..18].try_into().unwrap()),
            neuron: u32::from_le_bytes(b[18..22].try_into().unwrap()),
        })
        .collect();
    let populations = ["exc", "inh", "noise"];
    let from_csv: Vec<Row> = EXPECTED_CSV
        .lines()
        .skip(1)
        .map(|line| {
            let fields: Vec<&str> = line.split(',').collect();
            Row {
                step: fields[0].parse().unwrap(),
                time_ms: fields[1].parse().unwrap(),
                population: populations.iter().position(|p| *p == fields[2]).unwrap() as u16,
                neuron: fields[3].parse().unwrap(),
            }
        })
        .collect();
    assert_eq!(rows, from_csv);
}

#[test]
fn traces_round_trip_with_their_shape() {
    let (instance, recording) = small_network();
    let dir = test_dir("traces");
    write_run(&dir, &RunLayout::of(&instance), &recording, &run_info()).unwrap();
    for (name, trace) in ["exc_v.npy", "inh_v.npy"].iter().zip(&recording.traces) {
        let bytes = std::fs::read(dir.join(name)).unwrap();
        let file = npyz::NpyFile::new(&bytes[..]).unwrap();
        assert_eq!(file.shape(), [10, 2]);
        assert_eq!(file.dtype().descr(), "'<f8'");
        assert_eq!(file.into_vec::<f64>().unwrap(), trace.values);
    }
}

#[test]
fn report_has_the_schema_and_the_arithmetic() {
    let (instance, recording) = small_network();
    let dir = test_dir("report");
    let before = Instant::now();
    let info = run_info();
    write_run(&dir, &RunLayout::of(&instance), &recording, &info).unwrap();
    let report = read_json(&dir.join("report.json"));
    let mut keys: Vec<&str> = report
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    let mut expected_keys = [
        "target",
        "precision",
        "threads",
        "seed",
        "dt_s",
        "duration_s",
        "steps",
        "wall_s",
        "jit",
        "counts",
        "populations",
        "projections",
        "memory",
    ];
    expected_keys.sort_unstable();
    assert_eq!(keys, expected_keys);
    assert_eq!(report["target"], "cpu");
    assert_eq!(report["precision"], "f64");
    assert_eq!(report["threads"], 2);
    assert_eq!(report["seed"], 7);
    assert_eq!(report["dt_s"], 1e-4);
    assert_eq!(report["duration_s"], 1e-3);
    assert_eq!(report["steps"], 10);

    let wall = &report["wall_s"];
    assert_eq!(wall["compile"], 0.01);
    assert_eq!(wall["expand"], 0.3);
    assert_eq!(wall["jit"], 0.002);
    assert_eq!(wall["setup"], 0.01);
    assert_eq!(wall["simulate"], 1.2);
    let write = wall["write"].as_f64().unwrap();
    let total = wall["total"].as_f64().unwrap();
    assert!(write >= 0.0 && write <= total && total <= before.elapsed().as_secs_f64());

    assert_eq!(
        report["jit"],
        serde_json::json!([
            {"population": "exc", "model": "LifDelta", "kernel": "neuron", "compile_ms": 1.2},
            {"projection": "exc -> inh", "kernel": "delivery", "compile_ms": 0.4},
        ])
    );
    assert_eq!(
        report["counts"],
        serde_json::json!({"neurons": 9, "synapses": 20, "spikes": 13, "synaptic_events": 14, "source_events": 12})
    );
    // exc: only neuron 1 has three spikes (steps 1, 4, 7, 9: intervals
    // 3, 3, 2, mean 8/3, population sd √2/3), CV √2/8. inh: neuron 0
    // (3, 5, 9: intervals 2, 4) has CV 1/3, neuron 1 (5, 6, 9: 1, 3) CV
    // 1/2, mean 5/12. noise: neuron 0 (0, 0, 5: intervals 0, 5) CV 1.
    let populations = report["populations"].as_array().unwrap();
    let expected = [
        (
            "exc",
            "LifDelta",
            4,
            false,
            7,
            7.0 / (4.0 * 1e-3),
            2f64.sqrt() / 8.0,
            4,
        ),
        (
            "inh",
            "LifDelta",
            2,
            false,
            6,
            6.0 / (2.0 * 1e-3),
            5.0 / 12.0,
            2,
        ),
        (
            "noise",
            "PoissonSource",
            3,
            true,
            4,
            4.0 / (3.0 * 1e-3),
            1.0,
            3,
        ),
    ];
    assert_eq!(populations.len(), 3);
    for (entry, (name, model, size, source, spikes, rate, cv, recorded)) in
        populations.iter().zip(expected)
    {
        assert_eq!(entry.as_object().unwrap().len(), 8);
        assert_eq!(entry["name"], name);
        assert_eq!(entry["model"], model);
        assert_eq!(entry["size"], size);
        assert_eq!(entry["source"], source);
        assert_eq!(entry["spikes"], spikes);
        assert!(
            (entry["rate_hz"].as_f64().unwrap() - rate).abs() < 1e-9 * rate,
            "{name} rate"
        );
        assert!(
            (entry["cv_isi"].as_f64().unwrap() - cv).abs() < 1e-12,
            "{name} cv"
        );
        assert_eq!(entry["recorded"], recorded);
    }
    assert_eq!(
        report["projections"],
        serde_json::json!([
            {"name": "noise -> exc", "synapses": 12, "synaptic_events": 12},
            {"name": "exc -> inh", "synapses": 8, "synaptic_events": 14},
        ])
    );
    assert_eq!(
        report["memory"],
        serde_json::json!({"peak_rss_bytes": 70_000_000, "synapse_bytes": 80, "bytes_per_synapse": 4.0})
    );
}

#[test]
fn cv_is_null_when_no_neuron_has_three_spikes() {
    let (mut instance, mut recording) = small_network();
    instance.spike_probes.truncate(1);
    instance.spike_probes[0].neurons = NeuronRange::new(2, 4);
    recording.spikes = vec![events(&[(2, 2), (4, 2)])];
    let dir = test_dir("cv-null");
    write_run(&dir, &RunLayout::of(&instance), &recording, &run_info()).unwrap();
    let report = read_json(&dir.join("report.json"));
    assert_eq!(report["populations"][0]["cv_isi"], Value::Null);
    assert_eq!(report["populations"][0]["recorded"], 2);
    assert_eq!(report["populations"][1]["recorded"], 0);
}

#[test]
fn manifest_lists_the_inputs_and_every_result_file_with_its_digest() {
    let (instance, recording) = small_network();
    let dir = test_dir("manifest");
    let info = run_info();
    write_run(&dir, &RunLayout::of(&instance), &recording, &info).unwrap();
    let manifest = read_json(&dir.join("manifest.json"));
    assert_eq!(manifest["neurc"], "0.1.0");
    assert_eq!(manifest["target"], "cpu");
    assert_eq!(manifest["precision"], "f64");
    assert_eq!(manifest["seed"], 7);
    assert_eq!(manifest["dt_s"], 1e-4);
    assert_eq!(manifest["duration_s"], 1e-3);
    assert_eq!(manifest["steps"], 10);
    assert!(manifest.get("threads").is_none() && manifest.get("wall_s").is_none());
    assert_eq!(
        manifest["overrides"],
        serde_json::json!([{"name": "scale", "value": "0.1"}])
    );
    assert_eq!(
        manifest["inputs"],
        serde_json::json!([{"path": "model.snn", "blake3": blake3::hash(b"network {}").to_hex().as_str()}])
    );
    assert_eq!(
        manifest["ir_blake3"],
        blake3::hash(b"{\"ir\": true}").to_hex().as_str()
    );
    let outputs = manifest["outputs"].as_array().unwrap();
    let listed: Vec<&str> = outputs
        .iter()
        .map(|o| o["path"].as_str().unwrap())
        .collect();
    assert_eq!(
        listed,
        ["spikes.csv", "spikes.npy", "exc_v.npy", "inh_v.npy"]
    );
    for output in outputs {
        let bytes = std::fs::read(dir.join(output["path"].as_str().unwrap())).unwrap();
        assert_eq!(output["blake3"], blake3::hash(&bytes).to_hex().as_str());
    }
    assert_eq!(
        manifest["traces"],
        serde_json::json!([
            {"file": "exc_v.npy", "population": "exc", "variable": "v", "neurons": [1, 3],
             "threshold": null},
            {"file": "inh_v.npy", "population": "inh", "variable": "v", "neurons": [0, 2],
             "threshold": null},
        ])
    );
}

#[test]
fn identical_runs_have_identical_manifests() {
    let (instance, recording) = small_network();
    let (first, second) = (test_dir("same-1"), test_dir("same-2"));
    write_run(&first, &RunLayout::of(&instance), &recording, &run_info()).unwrap();
    let mut info = run_info();
    info.threads = 8;
    info.phases.simulate = Duration::from_secs(9);
    info.peak_rss_bytes = None;
    write_run(&second, &RunLayout::of(&instance), &recording, &info).unwrap();
    assert_eq!(
        std::fs::read(first.join("manifest.json")).unwrap(),
        std::fs::read(second.join("manifest.json")).unwrap()
    );
}

/// Whether permissions bind this process (they do not bind root): a file
/// created in a read-only directory says.
fn permissions_bind(read_only_dir: &Path) -> bool {
    let probe = read_only_dir.join("probe");
    match std::fs::File::create(&probe) {
        Ok(_) => {
            let _ = std::fs::remove_file(&probe);
            false
        }
        Err(_) => true,
    }
}

fn set_read_only(dir: &Path, read_only: bool) {
    let mut permissions = std::fs::metadata(dir).unwrap().permissions();
    permissions.set_readonly(read_only);
    std::fs::set_permissions(dir, permissions).unwrap();
}

#[test]
fn a_read_only_directory_gets_an_error_naming_the_file_and_no_partial_files() {
    let (instance, recording) = small_network();
    let dir = test_dir("read-only");
    set_read_only(&dir, true);
    if !permissions_bind(&dir) {
        // Root ignores permissions: nothing to observe here.
        set_read_only(&dir, false);
        return;
    }
    let error = write_run(&dir, &RunLayout::of(&instance), &recording, &run_info()).unwrap_err();
    set_read_only(&dir, false);
    let message = error.to_string();
    assert!(
        message.contains(&*dir.join("spikes.csv").to_string_lossy()),
        "{message}"
    );
    assert!(message.contains("ermission denied"), "{message}");
    assert_eq!(file_names(&dir), Vec::<String>::new());
}

#[test]
fn a_failed_write_leaves_no_temporary_and_no_manifest() {
    let (instance, recording) = small_network();
    let dir = test_dir("fail-midway");
    write_run(&dir, &RunLayout::of(&instance), &recording, &run_info()).unwrap();
    // A directory where a trace file should go makes its rename fail,
    // after the spike files have been replaced.
    std::fs::remove_file(dir.join("inh_v.npy")).unwrap();
    std::fs::create_dir(dir.join("inh_v.npy")).unwrap();
    std::fs::write(dir.join("inh_v.npy").join("keep"), b"").unwrap();
    let error = write_run(&dir, &RunLayout::of(&instance), &recording, &run_info()).unwrap_err();
    assert!(error.to_string().contains("inh_v.npy"), "{error}");
    assert_eq!(
        file_names(&dir),
        [
            "exc_v.npy",
            "inh_v.npy",
            "report.json",
            "spikes.csv",
            "spikes.npy"
        ],
        "the stale manifest is gone and no temporary is left"
    );
}

#[test]
fn a_recording_of_another_network_is_refused_before_writing() {
    let (instance, mut recording) = small_network();
    recording.traces[1].values.pop();
    let dir = test_dir("mismatch");
    let error = write_run(&dir, &RunLayout::of(&instance), &recording, &run_info()).unwrap_err();
    assert!(matches!(error, OutputError::Inconsistent(_)), "{error}");
    assert_eq!(
        error.to_string(),
        "internal error: the recording does not match the network: 19 values in trace 1 for 20"
    );
    assert_eq!(file_names(&dir), Vec::<String>::new());
}

#[test]
fn prepare_creates_the_directory_and_its_parents() {
    let root = test_dir("prepare");
    let dir = root.join("a").join("b");
    prepare(&dir).unwrap();
    assert!(dir.is_dir());
    assert_eq!(
        file_names(&dir),
        Vec::<String>::new(),
        "the probe file is gone"
    );
}

#[test]
fn prepare_names_a_path_it_cannot_create() {
    let root = test_dir("prepare-file");
    let file = root.join("regular");
    std::fs::write(&file, b"").unwrap();
    let dir = file.join("out");
    let error = prepare(&dir).unwrap_err();
    let message = error.to_string();
    assert!(
        message.starts_with(&format!(
            "cannot write the output directory \"{}\": ",
            dir.display()
        )),
        "{message}"
    );
    assert!(message.contains("os error"), "{message}");
}

#[test]
fn prepare_refuses_a_read_only_directory() {
    let dir = test_dir("prepare-read-only");
    set_read_only(&dir, true);
    let binds = permissions_bind(&dir);
    let result = prepare(&dir);
    set_read_only(&dir, false);
    if binds {
        let message = result.unwrap_err().to_string();
        assert!(
            message.contains(&*dir.to_string_lossy()) && message.contains("ermission denied"),
            "{message}"
        );
    }
}
