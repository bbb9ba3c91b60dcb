//! The fixed-point mode against the integer semantics of CHIP.md §c: hand
//! worked properties of the compartment (decay, wraps, saturation,
//! threshold, refractoriness, weight exponents, dendritic joins), and an
//! independent scalar model, written here in `i128` from the semantics,
//! compared step by step over random programs in both arithmetic modes.

use neurc_backends::cpu::fixed::FixedRun;
use neurc_backends::cpu::random::{Stream, poisson, stream};
use neurc_ir::chip::{
    Arithmetic, ChipProgram, ChipSpec, Compartment, CompartmentProfile, CoreId, CoreProgram,
    InputAxon, InputSource, OutputAxon, ProgramParts, SignMode, SourceKind, SynapseFormat,
    SynapseList,
};
use neurc_ir::chip_testing::{arb_busy_program, arb_program};
use neurc_ir::ids::NodeId;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;

const BOTH: [Arithmetic; 2] = [Arithmetic::Hardware, Arithmetic::Lava];

/// 2^23, the bound of the 24-bit state registers.
const HALF: i64 = 1 << 23;
/// 2^23 − 1, the largest v.
const S: i64 = HALF - 1;

// ---------------------------------------------------------------------
// Hand-built one-core programs.

fn profile(du: u32, dv: u32, vth: Option<u32>, refractory_delay: u32) -> CompartmentProfile {
    CompartmentProfile {
        du,
        dv,
        vth,
        refractory_delay,
    }
}

fn compartment(profile: u16, u: i32, v: i32, bias: (i32, u8), parent: Option<u16>) -> Compartment {
    Compartment {
        profile,
        bias_mantissa: bias.0,
        bias_exponent: bias.1,
        u,
        v,
        parent,
    }
}

fn format(sign: SignMode, weight_exponent: i8) -> SynapseFormat {
    SynapseFormat {
        weight_bits: 8,
        sign,
        weight_exponent,
        index_bits: 10,
        delay_bits: 6,
    }
}

/// A synapse: its compartment, weight and delay.
type Synapse = (u16, i16, u8);

/// An input axon: its format, synapses, and the steps its host neuron
/// spikes on.
type Axon = (u16, Vec<Synapse>, Vec<u64>);

/// Lava's raw sums of one compartment in one slot, by weight exponent.
type RawSums = Vec<(i32, i128)>;

/// One core; each input axon is driven by its own host neuron, which
/// spikes on the listed steps.
struct OneCore {
    profiles: Vec<CompartmentProfile>,
    compartments: Vec<Compartment>,
    formats: Vec<SynapseFormat>,
    axons: Vec<Axon>,
}

impl OneCore {
    fn new(profiles: Vec<CompartmentProfile>, compartments: Vec<Compartment>) -> Self {
        OneCore {
            profiles,
            compartments,
            formats: Vec::new(),
            axons: Vec::new(),
        }
    }

    fn axon(mut self, format: SynapseFormat, synapses: &[Synapse], steps: &[u64]) -> Self {
        self.formats.push(format);
        let f = self.formats.len() as u16 - 1;
        self.axons.push((f, synapses.to_vec(), steps.to_vec()));
        self
    }

    fn program(self) -> ChipProgram {
        let mut synapses = SynapseList::default();
        let mut input_axons = Vec::new();
        for (format, list, _) in &self.axons {
            input_axons.push(InputAxon {
                format: *format,
                first: synapses.compartment.len() as u32,
                count: list.len() as u32,
            });
            for &(c, w, d) in list {
                synapses.compartment.push(c);
                synapses.weight.push(w);
                synapses.delay.push(d);
            }
        }
        let delay_slots = synapses.delay.iter().copied().max().unwrap_or(1).into();
        let core = CoreProgram {
            id: CoreId(0),
            profiles: self.profiles,
            compartments: self.compartments,
            formats: self.formats,
            input_axons,
            synapses,
            output_axons: Vec::new(),
            delay_slots,
        };
        let size = self.axons.len() as u32;
        let inputs = if size == 0 {
            Vec::new()
        } else {
            vec![InputSource {
                node: NodeId(0),
                name: "input".into(),
                size,
                kind: SourceKind::Steps {
                    steps: self
                        .axons
                        .iter()
                        .map(|(_, _, steps)| steps.clone())
                        .collect(),
                },
                output_axons: (0..size)
                    .map(|i| OutputAxon {
                        source: i,
                        core: CoreId(0),
                        axon: i,
                    })
                    .collect(),
            }]
        };
        let parts = ProgramParts {
            spec: ChipSpec::loihi(),
            dt: 1e-3,
            seed: 1,
            cores: vec![core],
            inputs,
            slices: Vec::new(),
        };
        ChipProgram::new(parts).expect("a valid program")
    }
}

/// (u, v, spiked) of every compartment of core 0 after each of `steps`
/// steps.
fn trace(
    program: &ChipProgram,
    arithmetic: Arithmetic,
    steps: usize,
) -> Vec<Vec<(i64, i64, bool)>> {
    let mut run = FixedRun::new(program, arithmetic).expect("the kernels compile");
    let n = program.cores()[0].compartments.len();
    (0..steps)
        .map(|_| {
            run.step();
            (0..n)
                .map(|c| (run.u(0, c), run.v(0, c), run.spiked(0, c)))
                .collect()
        })
        .collect()
}

fn us(trace: &[Vec<(i64, i64, bool)>], c: usize) -> Vec<i64> {
    trace.iter().map(|step| step[c].0).collect()
}

fn vs(trace: &[Vec<(i64, i64, bool)>], c: usize) -> Vec<i64> {
    trace.iter().map(|step| step[c].1).collect()
}

fn spike_steps(trace: &[Vec<(i64, i64, bool)>], c: usize) -> Vec<usize> {
    (0..trace.len()).filter(|&t| trace[t][c].2).collect()
}

/// A soma that never spikes in these tests: the largest threshold, which
/// only a saturated v exceeds.
const NEVER: Option<u32> = Some(131_071);

#[test]
fn u_decays_by_exactly_one_per_step_below_4096() {
    let program = OneCore::new(
        vec![profile(0, 0, NEVER, 1)],
        vec![
            compartment(0, 640, 0, (0, 0), None),
            compartment(0, -256, 0, (0, 0), None),
            compartment(0, 4096, 0, (0, 0), None),
        ],
    )
    .program();
    for arithmetic in BOTH {
        let trace = trace(&program, arithmetic, 300);
        let expected: Vec<i64> = (1..=300).map(|t| 640 - t).collect();
        assert_eq!(us(&trace, 0), expected, "{arithmetic}");
        // −256 reaches 0 after 256 steps and stays there.
        let expected: Vec<i64> = (1..=300).map(|t| (-256 + t).min(0)).collect();
        assert_eq!(us(&trace, 1), expected, "{arithmetic}");
        // 4096·4095/4096 = 4095 exactly; then 1 per step.
        assert_eq!(us(&trace, 2)[..3], [4095, 4094, 4093], "{arithmetic}");
        // dv = 0: v integrates u exactly, 639 + 638 + … after t steps.
        let expected: Vec<i64> = (1..=300).map(|t| (0..t).map(|k| 639 - k).sum()).collect();
        assert_eq!(vs(&trace, 0), expected, "{arithmetic}");
    }
}

#[test]
fn du_4095_keeps_only_this_steps_input() {
    let program = OneCore::new(
        vec![profile(4095, 0, NEVER, 1)],
        vec![compartment(0, 1000, 0, (0, 0), None)],
    )
    .axon(
        format(SignMode::Excitatory, 0),
        &[(0, 100, 1), (0, 3, 2)],
        &[2],
    )
    .program();
    for arithmetic in BOTH {
        let trace = trace(&program, arithmetic, 6);
        // Sent on step 2: 100·64 arrives on step 3, 3·64 on step 4.
        assert_eq!(us(&trace, 0), [0, 0, 0, 6400, 192, 0], "{arithmetic}");
        assert_eq!(vs(&trace, 0), [0, 0, 0, 6400, 6592, 6592], "{arithmetic}");
    }
}

#[test]
fn dv_0_integrates_bias_perfectly_and_dv_4095_keeps_nothing_much() {
    let program = OneCore::new(
        vec![profile(4095, 0, NEVER, 1), profile(4095, 4095, NEVER, 1)],
        vec![
            compartment(0, 0, 0, (-37, 3), None),
            compartment(1, 0, 4_000_000, (5, 0), None),
        ],
    )
    .program();
    for arithmetic in BOTH {
        let trace = trace(&program, arithmetic, 50);
        let expected: Vec<i64> = (1..=50).map(|t| -37 * 8 * t).collect();
        assert_eq!(vs(&trace, 0), expected, "{arithmetic}");
        // 4000000/4096 truncates to 976, then 976/4096 to 0.
        assert_eq!(vs(&trace, 1)[..3], [981, 5, 5], "{arithmetic}");
    }
}

/// A u register of 1984·4096 = 8126464 decays (du = 0) to 1984·4095 =
/// 8124480, and 264128 = 4127·64 more is exactly 2^23.
const NEAR_TOP: i32 = 1984 * 4096;

/// The u that decays to [`NEAR_TOP`] in one step (it loses
/// ⌈8128449 / 4096⌉ = 1985), so that an input sent on step 0 meets
/// 8124480 on step 1.
const BEFORE_NEAR_TOP: i32 = NEAR_TOP + 1985;

/// Synapses of total weight 4127 (or −4127) onto compartment 0.
fn weight_4127(sign: i16) -> Vec<Synapse> {
    let mut list = vec![(0, 255 * sign, 1); 16];
    list.push((0, 47 * sign, 1));
    list
}

#[test]
fn u_wraps_at_2_pow_23_in_each_mode() {
    let program = OneCore::new(
        vec![profile(0, 0, NEVER, 1)],
        vec![
            compartment(0, BEFORE_NEAR_TOP, 0, (0, 0), None),
            compartment(0, -BEFORE_NEAR_TOP, 0, (0, 0), None),
        ],
    )
    .axon(format(SignMode::Excitatory, 0), &weight_4127(1), &[0])
    .axon(
        format(SignMode::Inhibitory, 0),
        &weight_4127(-1)
            .into_iter()
            .map(|(_, w, d)| (1, w, d))
            .collect::<Vec<_>>(),
        &[0],
    )
    .program();
    let hardware = trace(&program, Arithmetic::Hardware, 2);
    let lava = trace(&program, Arithmetic::Lava, 2);
    // Step 1: x = 8124480 + 264128 = 2^23 exactly.
    // Hardware: a 24-bit register, 2^23 is −2^23.
    assert_eq!(hardware[1][0].0, -HALF);
    // Lava: x > 2^23 is false, so 2^23 is kept, outside 24 bits.
    assert_eq!(lava[1][0].0, HALF);
    // And x = −2^23: in range for the register; lava's x <= −2^23 adds 2^24.
    assert_eq!(hardware[1][1].0, -HALF);
    assert_eq!(lava[1][1].0, HALF);
}

#[test]
fn u_wraps_past_2_pow_23_alike_in_both_modes() {
    let mut list = weight_4127(1);
    list.push((0, 1, 1));
    let program = OneCore::new(
        vec![profile(0, 0, NEVER, 1)],
        vec![compartment(0, BEFORE_NEAR_TOP, 0, (0, 0), None)],
    )
    .axon(format(SignMode::Excitatory, 0), &list, &[0])
    .program();
    for arithmetic in BOTH {
        // 2^23 + 64 − 2^24.
        assert_eq!(
            trace(&program, arithmetic, 2)[1][0].0,
            64 - HALF,
            "{arithmetic}"
        );
    }
}

#[test]
fn the_accumulator_wraps_at_22_bits_in_hardware_mode_only() {
    // Two weights of 128 at exponent 7: 2 · 128 · 2^13 = 2^21.
    let program = OneCore::new(
        vec![profile(4095, 0, NEVER, 1)],
        vec![compartment(0, 0, 0, (0, 0), None)],
    )
    .axon(
        format(SignMode::Excitatory, 7),
        &[(0, 128, 1), (0, 128, 1)],
        &[0],
    )
    .program();
    assert_eq!(trace(&program, Arithmetic::Hardware, 2)[1][0].0, -(1 << 21));
    assert_eq!(trace(&program, Arithmetic::Lava, 2)[1][0].0, 1 << 21);
}

#[test]
fn v_saturates_at_the_state_bounds() {
    // A soma driven down, and a dendrite (which never spikes) driven up.
    let program = OneCore::new(
        vec![profile(4095, 0, NEVER, 1), profile(4095, 0, None, 1)],
        vec![
            compartment(0, 0, -8_000_000, (-4096, 7), None),
            compartment(1, 0, 8_000_000, (4095, 7), Some(2)),
            compartment(0, 0, 0, (0, 0), None),
        ],
    )
    .program();
    for arithmetic in BOTH {
        let trace = trace(&program, arithmetic, 4);
        // −8000000 − 524288 = −8524288, below −S.
        assert_eq!(vs(&trace, 0), [-S; 4], "{arithmetic}");
        assert_eq!(vs(&trace, 1), [S; 4], "{arithmetic}");
        assert!(spike_steps(&trace, 1).is_empty(), "{arithmetic}");
    }
}

#[test]
fn the_threshold_is_strictly_greater() {
    // v grows by 64 per step; the threshold is 10·64 = 640.
    let program = OneCore::new(
        vec![profile(4095, 0, Some(10), 1)],
        vec![compartment(0, 0, 0, (64, 0), None)],
    )
    .program();
    for arithmetic in BOTH {
        let trace = trace(&program, arithmetic, 13);
        // Step 9: v = 640, not above; step 10: 704 > 640, spike, v = 0.
        assert_eq!(vs(&trace, 0)[8..], [576, 640, 0, 64, 128], "{arithmetic}");
        assert_eq!(spike_steps(&trace, 0), [10], "{arithmetic}");
    }
}

#[test]
fn refractoriness_holds_v_at_0_for_r_minus_1_steps() {
    let program = OneCore::new(
        vec![profile(4095, 0, Some(10), 4), profile(4095, 0, Some(10), 1)],
        vec![
            compartment(0, 0, 0, (64, 0), None),
            compartment(1, 0, 0, (64, 0), None),
        ],
    )
    .program();
    for arithmetic in BOTH {
        let trace = trace(&program, arithmetic, 30);
        // r = 4: spike on 10, v held on 11, 12, 13, counting again from 14.
        assert_eq!(vs(&trace, 0)[10..16], [0, 0, 0, 0, 64, 128], "{arithmetic}");
        assert_eq!(spike_steps(&trace, 0), [10, 24], "{arithmetic}");
        // r = 1: no refractory period.
        assert_eq!(vs(&trace, 1)[10..12], [0, 64], "{arithmetic}");
        assert_eq!(spike_steps(&trace, 1), [10, 21], "{arithmetic}");
    }
}

#[test]
fn u_integrates_through_the_refractory_period() {
    let program = OneCore::new(
        vec![profile(0, 0, Some(0), 5)],
        vec![compartment(0, 100, 0, (0, 0), None)],
    )
    .program();
    for arithmetic in BOTH {
        let trace = trace(&program, arithmetic, 6);
        assert_eq!(us(&trace, 0), [99, 98, 97, 96, 95, 94], "{arithmetic}");
        // Spikes on 0; held 1..=4; spikes again on 5.
        assert_eq!(spike_steps(&trace, 0), [0, 5], "{arithmetic}");
    }
}

#[test]
fn negative_weight_exponents_apply_per_synapse_in_hardware_and_to_the_sum_in_lava() {
    // Exponent −7: hardware shifts each 255 by 6 − 7 = −1 (127 each);
    // lava shifts the sum 510 by −7 (3) and then by 6.
    let program = OneCore::new(
        vec![profile(4095, 0, NEVER, 1)],
        vec![compartment(0, 0, 0, (0, 0), None)],
    )
    .axon(
        format(SignMode::Excitatory, -7),
        &[(0, 255, 1), (0, 255, 1)],
        &[0],
    )
    .axon(format(SignMode::Inhibitory, -7), &[(0, -3, 1)], &[2])
    .program();
    let hardware = us(&trace(&program, Arithmetic::Hardware, 4), 0);
    let lava = us(&trace(&program, Arithmetic::Lava, 4), 0);
    assert_eq!(hardware[1], 254);
    assert_eq!(lava[1], 192);
    // −3 >> 1 floors to −2; −3 >> 7 floors to −1, then · 64.
    assert_eq!(hardware[3], -2);
    assert_eq!(lava[3], -64);
}

#[test]
fn a_dendrites_u_joins_its_parent() {
    let program = OneCore::new(
        vec![profile(4095, 0, None, 1), profile(4095, 0, Some(1000), 1)],
        vec![
            compartment(0, 0, 0, (0, 0), Some(2)),
            compartment(0, 0, 0, (0, 0), Some(2)),
            compartment(1, 0, 0, (10, 0), None),
        ],
    )
    .axon(
        format(SignMode::Excitatory, 0),
        &[(0, 200, 1), (1, 100, 2), (2, 7, 1)],
        &[0],
    )
    .program();
    for arithmetic in BOTH {
        let trace = trace(&program, arithmetic, 4);
        // Step 1: dendrite 0 has u = 12800, the soma u = 448 and its v
        // 10 + 10 + 448 + 12800; step 2: dendrite 1's 6400 joins.
        assert_eq!(us(&trace, 0)[1], 12800, "{arithmetic}");
        assert_eq!(vs(&trace, 0)[1], 12800, "{arithmetic}");
        assert_eq!(vs(&trace, 2)[..3], [10, 13268, 19678], "{arithmetic}");
    }
}

#[test]
fn joined_u_plus_bias_wraps_in_hardware_and_saturates_in_lava() {
    // Two dendrites decay to 8124480 each; their sum 16248960 wraps to
    // −528256 in the hardware's u + bias register, while lava's v
    // saturates at S, above the largest threshold.
    let program = OneCore::new(
        vec![profile(0, 0, None, 1), profile(4095, 0, NEVER, 1)],
        vec![
            compartment(0, NEAR_TOP, 0, (0, 0), Some(2)),
            compartment(0, NEAR_TOP, 0, (0, 0), Some(2)),
            compartment(1, 0, 0, (0, 0), None),
        ],
    )
    .program();
    let hardware = trace(&program, Arithmetic::Hardware, 1);
    let lava = trace(&program, Arithmetic::Lava, 1);
    assert_eq!(hardware[0][2], (0, 16_248_960 - (1 << 24), false));
    assert_eq!(lava[0][2], (0, 0, true));
}

// ---------------------------------------------------------------------
// The scalar model: the semantics transcribed, in i128, one compartment
// and one synapse at a time.

fn trunc(x: i128, bits: u32) -> i128 {
    x.signum() * (x.abs() >> bits)
}

fn wrap(x: i128, bits: u32) -> i128 {
    let half = 1i128 << (bits - 1);
    (x + half).rem_euclid(1i128 << bits) - half
}

fn shift(x: i128, by: i32) -> i128 {
    if by >= 0 { x << by } else { x >> -by }
}

/// How often a run met each edge of the arithmetic.
#[derive(Clone, Copy, Debug, Default)]
struct Edges {
    spikes: u64,
    accumulator_wraps: u64,
    u_wraps: u64,
    u_plus_bias_wraps: u64,
    saturations: u64,
    refractory_holds: u64,
    joins: u64,
}

impl Edges {
    fn add(&mut self, other: Edges) {
        self.spikes += other.spikes;
        self.accumulator_wraps += other.accumulator_wraps;
        self.u_wraps += other.u_wraps;
        self.u_plus_bias_wraps += other.u_plus_bias_wraps;
        self.saturations += other.saturations;
        self.refractory_holds += other.refractory_holds;
        self.joins += other.joins;
    }
}

struct Model {
    program: ChipProgram,
    edges: Edges,
    arithmetic: Arithmetic,
    step: u64,
    u: Vec<Vec<i128>>,
    v: Vec<Vec<i128>>,
    counter: Vec<Vec<i128>>,
    spiked: Vec<Vec<bool>>,
    /// Per core, per slot, per compartment: the hardware's accumulator.
    accumulator: Vec<Vec<Vec<i128>>>,
    /// Per core, per slot, per compartment: lava's raw sums by exponent.
    sums: Vec<Vec<Vec<RawSums>>>,
    streams: Vec<Vec<Stream>>,
}

impl Model {
    fn new(program: &ChipProgram, arithmetic: Arithmetic) -> Model {
        let cores = program.cores();
        let per = |f: &dyn Fn(&Compartment) -> i128| -> Vec<Vec<i128>> {
            cores
                .iter()
                .map(|c| c.compartments.iter().map(f).collect())
                .collect()
        };
        Model {
            arithmetic,
            edges: Edges::default(),
            step: 0,
            u: per(&|c| c.u.into()),
            v: per(&|c| c.v.into()),
            counter: per(&|_| 0),
            spiked: cores
                .iter()
                .map(|c| vec![false; c.compartments.len()])
                .collect(),
            accumulator: cores
                .iter()
                .map(|c| vec![vec![0; c.compartments.len()]; c.delay_slots.max(1) as usize])
                .collect(),
            sums: cores
                .iter()
                .map(|c| {
                    vec![vec![Vec::new(); c.compartments.len()]; c.delay_slots.max(1) as usize]
                })
                .collect(),
            streams: program
                .inputs()
                .iter()
                .map(|s| {
                    (0..s.size)
                        .map(|i| stream(program.seed(), s.node.0, i))
                        .collect()
                })
                .collect(),
            program: program.clone(),
        }
    }

    fn step(&mut self) {
        let n = self.step;
        let program = self.program.clone();
        for (k, core) in program.cores().iter().enumerate() {
            let slot = (n % u64::from(core.delay_slots.max(1))) as usize;
            for c in 0..core.compartments.len() {
                self.update(k, core, c, slot);
            }
        }
        for (k, core) in program.cores().iter().enumerate() {
            for axon in &core.output_axons {
                if self.spiked[k][axon.source as usize] {
                    self.deliver(axon, 1);
                }
            }
        }
        for (s, source) in program.inputs().iter().enumerate() {
            for i in 0..source.size as usize {
                let count = match &source.kind {
                    SourceKind::Poisson { mean_per_step } => {
                        let mean = mean_per_step[i];
                        poisson(&mut self.streams[s][i], mean, (-mean).exp()) as u64
                    }
                    SourceKind::Steps { steps } => {
                        let list = if steps.len() == 1 {
                            &steps[0]
                        } else {
                            &steps[i]
                        };
                        u64::from(list.contains(&n))
                    }
                };
                for axon in source
                    .output_axons
                    .iter()
                    .filter(|a| a.source as usize == i)
                {
                    for _ in 0..count {
                        self.deliver(axon, 1);
                    }
                }
            }
        }
        self.step += 1;
    }

    fn update(&mut self, k: usize, core: &CoreProgram, c: usize, slot: usize) {
        let compartment = &core.compartments[c];
        let profile = &core.profiles[usize::from(compartment.profile)];
        let bias = i128::from(compartment.bias_mantissa) << compartment.bias_exponent;
        let decayed_u = trunc(self.u[k][c] * i128::from(4096 - profile.du - 1), 12);
        let joined = |u: &Vec<i128>| -> i128 {
            (0..c)
                .filter(|&d| core.compartments[d].parent == Some(c as u16))
                .map(|d| u[d])
                .sum()
        };
        let decayed_v = trunc(self.v[k][c] * i128::from(4096 - profile.dv), 12);
        let edges = &mut self.edges;
        let v = match self.arithmetic {
            Arithmetic::Hardware => {
                let q = std::mem::take(&mut self.accumulator[k][slot][c]);
                edges.accumulator_wraps += u64::from(wrap(q, 22) != q);
                let u = decayed_u + wrap(q, 22);
                edges.u_wraps += u64::from(wrap(u, 24) != u);
                let u = wrap(u, 24);
                self.u[k][c] = u;
                let join = joined(&self.u[k]);
                edges.joins += u64::from(join != 0);
                let u2 = u + bias + join;
                edges.u_plus_bias_wraps += u64::from(wrap(u2, 24) != u2);
                decayed_v + wrap(u2, 24)
            }
            Arithmetic::Lava => {
                let sums = std::mem::take(&mut self.sums[k][slot][c]);
                let a: i128 = sums.iter().map(|&(e, s)| shift(s, e)).sum();
                let mut x = decayed_u + (a << 6);
                if x > 1 << 23 {
                    x -= 1 << 24;
                    edges.u_wraps += 1;
                } else if x <= -(1 << 23) {
                    x += 1 << 24;
                    edges.u_wraps += 1;
                }
                self.u[k][c] = x;
                let join = joined(&self.u[k]);
                edges.joins += u64::from(join != 0);
                decayed_v + x + bias + join
            }
        };
        let mut v = v.clamp(-i128::from(S), i128::from(S));
        edges.saturations += u64::from(v.abs() == i128::from(S));
        if self.counter[k][c] > 0 {
            edges.refractory_holds += u64::from(v != 0);
            v = 0;
        }
        let threshold = profile.vth.map(|t| i128::from(t) << 6);
        self.spiked[k][c] = threshold.is_some_and(|t| v > t);
        if self.spiked[k][c] {
            edges.spikes += 1;
            v = 0;
            self.counter[k][c] = profile.refractory_delay.into();
        }
        self.counter[k][c] = (self.counter[k][c] - 1).max(0);
        self.v[k][c] = v;
    }

    fn deliver(&mut self, axon: &OutputAxon, times: u64) {
        let cores = self.program.cores();
        let k = cores
            .iter()
            .position(|c| c.id == axon.core)
            .expect("a core");
        let core = &cores[k];
        let input = core.input_axons[axon.axon as usize];
        let exponent = i32::from(core.formats[usize::from(input.format)].weight_exponent);
        for s in input.first as usize..(input.first + input.count) as usize {
            let c = usize::from(core.synapses.compartment[s]);
            let w = i128::from(core.synapses.weight[s]);
            let d = u64::from(core.synapses.delay[s]);
            let slot = ((self.step + d) % u64::from(core.delay_slots.max(1))) as usize;
            for _ in 0..times {
                match self.arithmetic {
                    Arithmetic::Hardware => self.accumulator[k][slot][c] += shift(w, 6 + exponent),
                    Arithmetic::Lava => {
                        let sums = &mut self.sums[k][slot][c];
                        match sums.iter_mut().find(|(e, _)| *e == exponent) {
                            Some((_, sum)) => *sum += w,
                            None => sums.push((exponent, w)),
                        }
                    }
                }
            }
        }
    }
}

/// Runs the model and the fixed-point mode side by side; the first
/// difference, if any, or the edges the run met.
fn compare(program: &ChipProgram, arithmetic: Arithmetic, steps: u64) -> Result<Edges, String> {
    let mut model = Model::new(program, arithmetic);
    let mut run = FixedRun::new(program, arithmetic).map_err(|e| e.to_string())?;
    for step in 0..steps {
        model.step();
        run.step();
        for (k, core) in program.cores().iter().enumerate() {
            for c in 0..core.compartments.len() {
                let expected = (model.u[k][c], model.v[k][c], model.spiked[k][c]);
                let got = (
                    i128::from(run.u(k, c)),
                    i128::from(run.v(k, c)),
                    run.spiked(k, c),
                );
                if expected != got {
                    return Err(format!(
                        "{arithmetic}, step {step}, core {k}, compartment {c}: \
                         (u, v, spiked) = {got:?}, the model has {expected:?}"
                    ));
                }
            }
        }
    }
    Ok(model.edges)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn equals_the_scalar_model(program in arb_program()) {
        for arithmetic in BOTH {
            if let Err(difference) = compare(&program, arithmetic, 120) {
                prop_assert!(false, "{difference}");
            }
        }
    }

    #[test]
    fn equals_the_scalar_model_on_busy_programs(program in arb_busy_program()) {
        for arithmetic in BOTH {
            if let Err(difference) = compare(&program, arithmetic, 200) {
                prop_assert!(false, "{difference}");
            }
        }
    }
}

/// Neurons of one shape (a dendrite joined to its soma) are stepped by one
/// loop over their repetitions: the same, step by step, as the model.
#[test]
fn repeated_two_compartment_neurons_equal_the_model() {
    let neurons = 6u16;
    let compartments = (0..neurons)
        .flat_map(|i| {
            [
                compartment(0, 0, 0, (0, 0), Some(2 * i + 1)),
                compartment(1, 0, 0, (300, 1), None),
            ]
        })
        .collect();
    let synapses: Vec<Synapse> = (0..2 * neurons)
        .map(|c| (c, 40 + 10 * c as i16, 1 + (c % 3) as u8))
        .collect();
    let program = OneCore::new(
        vec![profile(100, 0, None, 1), profile(2000, 50, Some(200), 3)],
        compartments,
    )
    .axon(
        format(SignMode::Excitatory, 2),
        &synapses,
        &[0, 1, 2, 5, 8, 9, 20, 21, 22, 23, 40],
    )
    .program();
    for arithmetic in BOTH {
        let edges = compare(&program, arithmetic, 100).expect("equal to the model");
        assert!(edges.spikes > 10 && edges.joins > 100, "{edges:?}");
    }
}

/// Poisson sources draw what [`poisson`] draws from the per-neuron
/// streams, whether a mean is shared (drawn from a table), alone, large
/// (drawn by rejection) or 0.
#[test]
fn poisson_sources_draw_from_the_per_neuron_streams() {
    let means = [12.0, 0.5, 0.5, 0.7, 0.0];
    let mut core = OneCore::new(
        vec![profile(4095, 0, NEVER, 1)],
        vec![compartment(0, 0, 0, (0, 0), None); means.len()],
    );
    for (c, _) in means.iter().enumerate() {
        core = core.axon(format(SignMode::Mixed, 0), &[(c as u16, 2, 1)], &[]);
    }
    let mut parts = core.program().into_parts();
    parts.inputs[0].kind = SourceKind::Poisson {
        mean_per_step: means.to_vec(),
    };
    let program = ChipProgram::new(parts).expect("a valid program");
    for arithmetic in BOTH {
        compare(&program, arithmetic, 300).expect("equal to the model");
    }
    // And the counts arrive: about 12 · 128 per step on compartment 0.
    let trace = trace(&program, Arithmetic::Hardware, 300);
    let mean = us(&trace, 0).iter().sum::<i64>() as f64 / 300.0;
    assert!((mean - 12.0 * 128.0).abs() < 0.1 * 12.0 * 128.0, "{mean}");
    assert!(us(&trace, 4).iter().all(|&u| u == 0));
}

/// The random programs reach every edge of the arithmetic often, so the
/// comparison above tests them, not just the quiet middle.
#[test]
fn random_programs_reach_the_edges() {
    let mut runner = TestRunner::deterministic();
    let strategy = arb_busy_program();
    for arithmetic in BOTH {
        let mut edges = Edges::default();
        for _ in 0..100 {
            let program = strategy.new_tree(&mut runner).expect("a program").current();
            edges.add(compare(&program, arithmetic, 200).expect("equal to the model"));
        }
        let counts = [
            edges.spikes,
            edges.u_wraps,
            edges.saturations,
            edges.refractory_holds,
            edges.joins,
        ];
        assert!(counts.iter().all(|&n| n >= 20), "{arithmetic}: {edges:?}");
        if arithmetic == Arithmetic::Hardware {
            assert!(
                edges.accumulator_wraps >= 20 && edges.u_plus_bias_wraps >= 20,
                "{edges:?}"
            );
        }
    }
}
