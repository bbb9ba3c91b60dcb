//! Golden traces: the emulator against the two published bit-accurate
//! readings of Loihi's compartment (CHIP.md §c).
//!
//! `tests/golden/lava/*.json` were produced by lava-nc 0.10.0's
//! `PyLifModelBitAcc` + `PyDenseModelBitAcc` and must match
//! [`Arithmetic::Lava`]; `tests/golden/nengo_loihi/*.json` by nengo-loihi
//! 1.1.0's `EmulatorInterface` and must match [`Arithmetic::Hardware`].
//! `tests/golden/generate.py` regenerates them and `tests/golden/README.md`
//! lists what each scenario covers. Every file is rebuilt here as a one-core
//! [`ChipProgram`] and run step by step; every u, v and spike of every
//! compartment at every step must equal the reference's.
//!
//! Step alignment. The references count steps t = 1, 2, …; the emulator's
//! first step is step 0. An input neuron listed with reference step t emits
//! its spike on t, and both references integrate it into u on step t + 1
//! (lava's `Dense` sends on t + 1 the sum it formed on t; nengo-loihi
//! injects a host spike one step after it was sent). Here that neuron is a
//! host source listing step t − 1, through synapses of delay 1, so it is
//! integrated on our step t, which is the reference's step t + 1: our step
//! n is the reference's step n + 1, and trace entry n (the state after the
//! reference's step n + 1) is compared with the state after our step n.

use neurc_emulator::Chip;
use neurc_ir::chip::{
    Arithmetic, ChipProgram, ChipSpec, Compartment, CompartmentProfile, CoreId, CoreProgram,
    InputAxon, InputSource, OutputAxon, PopulationSlice, ProgramParts, SignMode, SourceKind,
    SynapseFormat, SynapseList,
};
use neurc_ir::{NeuronRange, NodeId};
use serde::Deserialize;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// The scenarios lava-nc ran (it has no refractory period, so no
/// `refractory`).
const LAVA_SCENARIOS: [&str; 10] = [
    "accumulator_overflow",
    "bias_exponent",
    "bias_overflow",
    "decay_extremes",
    "negative_weight_exponent",
    "plain_integration",
    "u_overflow",
    "v_saturation",
    "weight_precision",
    "zero_threshold",
];

/// The scenarios nengo-loihi ran.
const NENGO_LOIHI_SCENARIOS: [&str; 11] = [
    "accumulator_overflow",
    "bias_exponent",
    "bias_overflow",
    "decay_extremes",
    "negative_weight_exponent",
    "plain_integration",
    "refractory",
    "u_overflow",
    "v_saturation",
    "weight_precision",
    "zero_threshold",
];

/// Delay of every synapse: with it, a host spike listed on step t − 1 is
/// integrated on step t, as in both references (see the module docs).
const DELAY_STEPS: u8 = 1;

/// At most this many mismatches are listed in a failure; the first ones
/// say enough.
const MAX_REPORTED: usize = 40;

/// One scenario as a reference ran it.
#[derive(Deserialize)]
struct Golden {
    reference: String,
    reference_version: String,
    scenario: String,
    steps: usize,
    inputs: Inputs,
    groups: Vec<Group>,
    trace: Trace,
}

/// The input neurons and the reference steps on which each spikes.
#[derive(Deserialize)]
struct Inputs {
    count: usize,
    spike_steps: Vec<Vec<u64>>,
}

/// Compartments sharing a profile and a synapse format.
#[derive(Deserialize)]
struct Group {
    name: String,
    first_compartment: usize,
    compartments: usize,
    du: u32,
    dv: u32,
    vth: u32,
    refractory_delay: u32,
    bias_mantissa: Vec<i32>,
    bias_exponent: Vec<u8>,
    weight_exponent: i8,
    weight_bits: u8,
    sign_mode: String,
    /// `[compartment][input neuron]`, before quantization.
    weights_given: Vec<Vec<i64>>,
    /// `[compartment][input neuron]`, as the reference stored them.
    weights_quantized: Vec<Vec<i16>>,
    /// nengo-loihi only: what one spike adds to the accumulator per
    /// synapse, `[compartment][input neuron]`.
    weights_accumulator: Option<Vec<Vec<i64>>>,
}

/// Per step (outer), per compartment (inner).
#[derive(Deserialize)]
struct Trace {
    u: Vec<Vec<i64>>,
    v: Vec<Vec<i64>>,
    spiked: Vec<Vec<u8>>,
}

fn golden_dir(reference: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(reference)
}

/// Reads every expected file of a reference; fails on a missing, empty or
/// unreadable file, and on a file nobody expects.
fn load_all(reference: &str, expected: &[&str]) -> Vec<(PathBuf, Golden)> {
    let dir = golden_dir(reference);
    let mut present: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: cannot list: {e}", dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "json"))
        .map(|path| {
            path.file_stem()
                .expect("file name")
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    present.sort();
    assert_eq!(
        present,
        expected,
        "{}: the golden files differ from the expected scenarios",
        dir.display()
    );
    expected
        .iter()
        .map(|name| {
            let path = dir.join(format!("{name}.json"));
            let text = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            assert!(!text.trim().is_empty(), "{}: empty", path.display());
            let golden: Golden =
                serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            assert_eq!(golden.scenario, *name, "{}: scenario name", path.display());
            assert!(golden.steps > 0, "{}: no steps", path.display());
            (path, golden)
        })
        .collect()
}

fn sign_mode(name: &str) -> SignMode {
    match name {
        "mixed" => SignMode::Mixed,
        "excitatory" => SignMode::Excitatory,
        "inhibitory" => SignMode::Inhibitory,
        other => panic!("unknown sign mode `{other}`"),
    }
}

/// The chip program of a scenario: one core holding every group's
/// compartments (one profile and one synapse format per group), and one
/// host source whose neuron i has, for each group, an output axon to an
/// input axon listing its synapses onto that group.
fn program(golden: &Golden) -> ChipProgram {
    let spec = ChipSpec::loihi();
    let total: usize = golden.groups.iter().map(|g| g.compartments).sum();
    let index_bits = spec
        .fixed_point
        .index_bits
        .iter()
        .copied()
        .find(|&bits| (1usize << bits) >= total)
        .expect("index bits for the compartments");
    let delay_bits = u8::try_from(spec.fixed_point.delay_bits).expect("delay bits");

    let mut profiles = Vec::new();
    let mut compartments = Vec::new();
    let mut formats = Vec::new();
    let mut slices = Vec::new();
    for (g, group) in golden.groups.iter().enumerate() {
        assert_eq!(
            group.first_compartment,
            compartments.len(),
            "{}",
            group.name
        );
        profiles.push(CompartmentProfile {
            du: group.du,
            dv: group.dv,
            vth: Some(group.vth),
            refractory_delay: group.refractory_delay,
        });
        let profile = u16::try_from(g).expect("profile index");
        for k in 0..group.compartments {
            compartments.push(Compartment {
                profile,
                bias_mantissa: group.bias_mantissa[k],
                bias_exponent: group.bias_exponent[k],
                u: 0,
                v: 0,
                parent: None,
            });
        }
        formats.push(SynapseFormat {
            weight_bits: group.weight_bits,
            sign: sign_mode(&group.sign_mode),
            weight_exponent: group.weight_exponent,
            index_bits: u8::try_from(index_bits).expect("index bits"),
            delay_bits,
        });
        slices.push(PopulationSlice {
            node: NodeId(1 + u32::try_from(g).expect("group")),
            neurons: NeuronRange::new(0, u32::try_from(group.compartments).expect("size")),
            core: CoreId(0),
            first_compartment: u32::try_from(group.first_compartment).expect("index"),
            per_neuron: 1,
        });
    }

    let mut input_axons = Vec::new();
    let mut synapses = SynapseList::default();
    let mut host_axons = Vec::new();
    for neuron in 0..golden.inputs.count {
        for (g, group) in golden.groups.iter().enumerate() {
            host_axons.push(OutputAxon {
                source: u32::try_from(neuron).expect("neuron"),
                core: CoreId(0),
                axon: u32::try_from(input_axons.len()).expect("axon"),
            });
            input_axons.push(InputAxon {
                format: u16::try_from(g).expect("format"),
                first: u32::try_from(synapses.compartment.len()).expect("synapse"),
                count: u32::try_from(group.compartments).expect("count"),
            });
            for k in 0..group.compartments {
                let target = group.first_compartment + k;
                synapses
                    .compartment
                    .push(u16::try_from(target).expect("compartment"));
                synapses.weight.push(group.weights_quantized[k][neuron]);
                synapses.delay.push(DELAY_STEPS);
            }
        }
    }
    assert_eq!(golden.inputs.spike_steps.len(), golden.inputs.count);
    let steps = golden
        .inputs
        .spike_steps
        .iter()
        .map(|times| {
            times
                .iter()
                .map(|&t| {
                    assert!(t >= 1, "reference steps start at 1");
                    t - 1
                })
                .collect()
        })
        .collect();

    let core = CoreProgram {
        id: CoreId(0),
        profiles,
        compartments,
        formats,
        input_axons,
        synapses,
        output_axons: Vec::new(),
        delay_slots: u32::from(DELAY_STEPS),
    };
    let source = InputSource {
        node: NodeId(0),
        name: "input".into(),
        size: u32::try_from(golden.inputs.count).expect("inputs"),
        kind: SourceKind::Steps { steps },
        output_axons: host_axons,
    };
    ChipProgram::new(ProgramParts {
        spec,
        dt: 1e-3,
        seed: 0,
        cores: vec![core],
        inputs: vec![source],
        slices,
    })
    .unwrap_or_else(|errors| {
        let list: Vec<String> = errors.iter().map(ToString::to_string).collect();
        panic!(
            "{} {}: not a valid chip program:\n  {}",
            golden.reference,
            golden.scenario,
            list.join("\n  ")
        )
    })
}

/// Runs the scenario and returns one line per mismatching value.
fn mismatches(path: &Path, golden: &Golden, arithmetic: Arithmetic) -> Vec<String> {
    let total: usize = golden.groups.iter().map(|g| g.compartments).sum();
    let group_of: Vec<&str> = golden
        .groups
        .iter()
        .flat_map(|g| std::iter::repeat_n(g.name.as_str(), g.compartments))
        .collect();
    let trace = &golden.trace;
    for (what, rows) in [("u", &trace.u), ("v", &trace.v)] {
        assert_eq!(rows.len(), golden.steps, "{}: {what} steps", path.display());
        assert!(
            rows.iter().all(|r| r.len() == total),
            "{}: {what}",
            path.display()
        );
    }
    assert_eq!(trace.spiked.len(), golden.steps, "{}", path.display());

    let chip = Chip::new(program(golden), arithmetic);
    let mut state = chip.initial_state();
    let mut found = Vec::new();
    let file = path.display();
    for step in 0..golden.steps {
        let _ = chip.step(&mut state);
        for (c, group) in group_of.iter().enumerate() {
            let ours = [state.u(0, c), state.v(0, c), i64::from(state.spiked(0, c))];
            let theirs = [
                trace.u[step][c],
                trace.v[step][c],
                i64::from(trace.spiked[step][c]),
            ];
            for ((what, ours), theirs) in ["u", "v", "spike"].iter().zip(ours).zip(theirs) {
                if ours != theirs {
                    found.push(format!(
                        "{file}: scenario {}, step {step} (reference t = {}), compartment {c} \
                         (group {}): {what} = {ours}, {} {} has {theirs}",
                        golden.scenario,
                        step + 1,
                        group,
                        golden.reference,
                        golden.reference_version,
                    ));
                }
            }
        }
    }
    found
}

/// Runs every scenario of a reference and fails with every mismatch found.
fn check_reference(reference: &str, expected: &[&str], arithmetic: Arithmetic) {
    let files = load_all(reference, expected);
    let mut checked = 0;
    let mut found = Vec::new();
    for (path, golden) in &files {
        found.extend(mismatches(path, golden, arithmetic));
        checked += 1;
    }
    assert_eq!(checked, expected.len(), "scenarios checked");
    if !found.is_empty() {
        let mut report = format!(
            "{} values differ from {reference} in {arithmetic} arithmetic:\n",
            found.len()
        );
        for line in found.iter().take(MAX_REPORTED) {
            let _ = writeln!(report, "  {line}");
        }
        panic!("{report}");
    }
}

#[test]
fn emulator_matches_lava_in_lava_arithmetic() {
    check_reference("lava", &LAVA_SCENARIOS, Arithmetic::Lava);
}

#[test]
fn emulator_matches_nengo_loihi_in_hardware_arithmetic() {
    check_reference("nengo_loihi", &NENGO_LOIHI_SCENARIOS, Arithmetic::Hardware);
}

/// The chip's precision loss (CHIP.md §c1, NxSDK): clip to the sign mode's
/// range, then drop the `s = 8 − bits + mixed` low bits, rounding toward
/// −∞ — of the magnitude for inhibitory weights.
fn truncated(weight: i64, bits: u8, sign: SignMode) -> i64 {
    let mixed = u8::from(sign == SignMode::Mixed);
    let s = 8 - bits + mixed;
    match sign {
        SignMode::Mixed => (weight.clamp(-256, 255) >> s) << s,
        SignMode::Excitatory => (weight.clamp(0, 255) >> s) << s,
        SignMode::Inhibitory => -((-weight).clamp(0, 255) >> s << s),
    }
}

#[test]
fn lava_quantizes_weights_by_truncation() {
    let mut groups = 0;
    for (path, golden) in load_all("lava", &LAVA_SCENARIOS) {
        for group in &golden.groups {
            let sign = sign_mode(&group.sign_mode);
            for (given, stored) in group.weights_given.iter().zip(&group.weights_quantized) {
                let rule: Vec<i64> = given
                    .iter()
                    .map(|&w| truncated(w, group.weight_bits, sign))
                    .collect();
                let stored: Vec<i64> = stored.iter().map(|&w| i64::from(w)).collect();
                assert_eq!(
                    stored,
                    rule,
                    "{}: group {}: lava's weights are not (w >> s) << s",
                    path.display(),
                    group.name
                );
            }
            groups += 1;
        }
    }
    assert!(groups >= LAVA_SCENARIOS.len());
}

#[test]
fn lava_mixed_8_bit_weights_lose_their_lowest_bit_toward_minus_infinity() {
    let (path, golden) = load_all("lava", &LAVA_SCENARIOS)
        .into_iter()
        .find(|(_, g)| g.scenario == "weight_precision")
        .expect("weight_precision");
    let group = golden
        .groups
        .iter()
        .find(|g| g.sign_mode == "mixed" && g.weight_bits == 8 && g.weight_exponent == 0)
        .expect("a mixed 8-bit group");
    // CHIP.md §c1's examples.
    let examples = [(3, 2), (-3, -4), (1, 0), (-1, -2), (255, 254)];
    for (given, expected) in examples {
        let at = group.weights_given[0]
            .iter()
            .position(|&w| w == given)
            .unwrap_or_else(|| panic!("{}: no weight {given}", path.display()));
        assert_eq!(
            i64::from(group.weights_quantized[0][at]),
            expected,
            "{}: weight {given}",
            path.display()
        );
    }
}

/// `x / 2^s` rounded to nearest, ties to even (numpy's `round`).
fn round_half_even(x: i64, s: u32) -> i64 {
    let floor = x >> s;
    let rest = x - (floor << s);
    let half = 1i64 << s >> 1;
    if s == 0 || rest < half || (rest == half && floor % 2 == 0) {
        floor
    } else {
        floor + 1
    }
}

/// What nengo-loihi's builder stores for a weight (CHIP.md §c3,
/// `discretize_weights` with its lossy shift): `r = round(w / 2^s)` clipped
/// to ±(2^(8−s) − 1); if `s + weight_exp < 0`, r is first rounded to a
/// multiple of `2^−(s + weight_exp)` and clipped again; the accumulator then
/// receives `shift(r, s + weight_exp) << 6`.
fn nengo_accumulator(weight: i64, bits: u8, sign: SignMode, weight_exp: i8) -> i64 {
    let s = u32::from(8 - bits + u8::from(sign == SignMode::Mixed));
    let m = (1i64 << (8 - s)) - 1;
    let r = round_half_even(weight, s).clamp(-m, m);
    let s2 = i32::try_from(s).expect("shift") + i32::from(weight_exp);
    let shifted = if s2 >= 0 {
        r << s2
    } else {
        let lost = s2.unsigned_abs();
        (round_half_even(r, lost) << lost).clamp(-m, m) >> lost
    };
    shifted << 6
}

#[test]
fn nengo_loihi_weights_follow_its_builder_and_reach_the_accumulator_as_w_shl_6_plus_exp() {
    let mut groups = 0;
    for (path, golden) in load_all("nengo_loihi", &NENGO_LOIHI_SCENARIOS) {
        for group in &golden.groups {
            let sign = sign_mode(&group.sign_mode);
            let accumulator = group
                .weights_accumulator
                .as_ref()
                .unwrap_or_else(|| panic!("{}: no accumulator weights", path.display()));
            let real_exp = 6 + i32::from(group.weight_exponent);
            for (k, given) in group.weights_given.iter().enumerate() {
                for (i, &w) in given.iter().enumerate() {
                    let stored = i64::from(group.weights_quantized[k][i]);
                    let reached = if real_exp >= 0 {
                        stored << real_exp
                    } else {
                        stored >> real_exp.unsigned_abs()
                    };
                    let context = format!(
                        "{}: group {}, compartment {k}, input {i}, weight {w}",
                        path.display(),
                        group.name
                    );
                    assert_eq!(accumulator[k][i], reached, "{context}: stored {stored}");
                    assert_eq!(
                        accumulator[k][i],
                        nengo_accumulator(w, group.weight_bits, sign, group.weight_exponent),
                        "{context}"
                    );
                }
            }
            groups += 1;
        }
    }
    assert!(groups >= NENGO_LOIHI_SCENARIOS.len());
}
