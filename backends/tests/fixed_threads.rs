//! The fixed-point mode gives the same run for any number of threads, on
//! a program large enough that its steps are shared among them (twenty
//! full cores, a busy Poisson source, recurrent routes).

use neurc_backends::cpu::fixed::FixedRun;
use neurc_ir::chip::{
    Arithmetic, ChipProgram, ChipSpec, Compartment, CompartmentProfile, CoreId, CoreProgram,
    InputAxon, InputSource, OutputAxon, ProgramParts, SignMode, SourceKind, SynapseFormat,
    SynapseList,
};
use neurc_ir::ids::NodeId;

const CORES: u32 = 20;
const COMPARTMENTS: u32 = 1000;
const AXONS: u32 = 200;
const SYNAPSES_PER_AXON: u32 = 20;
const SOURCE_NEURONS: u32 = 4000;

/// A small linear congruential generator: the program only has to be
/// irregular, and the same every time.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u32) -> u32 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 33) % u64::from(n)) as u32
    }

    fn target(&mut self) -> (CoreId, u32) {
        (CoreId(self.below(CORES)), self.below(AXONS))
    }
}

fn big_program() -> ChipProgram {
    let mut random = Lcg(7);
    let cores = (0..CORES)
        .map(|id| {
            let mut synapses = SynapseList::default();
            let input_axons = (0..AXONS)
                .map(|a| {
                    for _ in 0..SYNAPSES_PER_AXON {
                        synapses.compartment.push(random.below(COMPARTMENTS) as u16);
                        synapses.weight.push(2 * random.below(200) as i16 - 150);
                        synapses.delay.push(1 + random.below(8) as u8);
                    }
                    InputAxon {
                        format: (a % 3) as u16,
                        first: a * SYNAPSES_PER_AXON,
                        count: SYNAPSES_PER_AXON,
                    }
                })
                .collect();
            let mut output_axons = Vec::new();
            for source in 0..COMPARTMENTS {
                for _ in 0..2 {
                    let (core, axon) = random.target();
                    output_axons.push(OutputAxon { source, core, axon });
                }
            }
            CoreProgram {
                id: CoreId(id),
                profiles: vec![CompartmentProfile {
                    du: 1000,
                    dv: 100,
                    vth: Some(300),
                    refractory_delay: 3,
                }],
                compartments: (0..COMPARTMENTS)
                    .map(|_| Compartment {
                        profile: 0,
                        bias_mantissa: random.below(200) as i32 - 100,
                        bias_exponent: 2,
                        u: 0,
                        v: 0,
                        parent: None,
                    })
                    .collect(),
                formats: [-3, 0, 2]
                    .map(|weight_exponent| SynapseFormat {
                        weight_bits: 8,
                        sign: SignMode::Mixed,
                        weight_exponent,
                        index_bits: 10,
                        delay_bits: 3,
                    })
                    .to_vec(),
                input_axons,
                synapses,
                output_axons,
                delay_slots: 8,
            }
        })
        .collect();
    let mut output_axons = Vec::new();
    for source in 0..SOURCE_NEURONS {
        for _ in 0..2 {
            let (core, axon) = random.target();
            output_axons.push(OutputAxon { source, core, axon });
        }
    }
    let source = InputSource {
        node: NodeId(0),
        name: "drive".into(),
        size: SOURCE_NEURONS,
        kind: SourceKind::Poisson {
            mean_per_step: vec![1.5; SOURCE_NEURONS as usize],
        },
        output_axons,
    };
    let parts = ProgramParts {
        spec: ChipSpec::loihi(),
        dt: 1e-3,
        seed: 3,
        cores,
        inputs: vec![source],
        slices: Vec::new(),
    };
    ChipProgram::new(parts).expect("a valid program")
}

/// What a run of 40 steps did: a fingerprint of every core's state after
/// each step, the spikes, the synaptic events and the threads used.
type Outcome = (Vec<u64>, usize, u64, usize);

fn run(program: &ChipProgram, arithmetic: Arithmetic, threads: usize) -> Outcome {
    let mut run = FixedRun::new(program, arithmetic)
        .expect("the kernels compile")
        .with_threads(threads);
    let mut digest = Vec::new();
    let mut spikes = 0;
    for _ in 0..40 {
        run.step();
        // A cheap exact fingerprint of the whole state: its values in
        // order, folded by a multiply-xor hash per core.
        for core in 0..CORES as usize {
            let mut hash = 0u64;
            for c in 0..COMPARTMENTS as usize {
                for value in [
                    run.u(core, c),
                    run.v(core, c),
                    i64::from(run.spiked(core, c)),
                ] {
                    hash = (hash ^ value as u64).wrapping_mul(0x100_0000_01b3);
                }
            }
            digest.push(hash);
        }
        spikes += run.spikes().count();
    }
    (digest, spikes, run.synaptic_events(), run.threads())
}

#[test]
fn any_number_of_threads_gives_the_same_run() {
    let program = big_program();
    for arithmetic in [Arithmetic::Hardware, Arithmetic::Lava] {
        let (one, spikes, events, threads) = run(&program, arithmetic, 1);
        assert_eq!(threads, 1);
        // Busy enough for the deliveries to be shared among threads: more
        // than 4096 messages (of 20 synapses) a step.
        assert!(events > 40 * 4096 * 20, "{events} synaptic events");
        assert!(spikes > 1000, "{spikes} spikes");
        for threads in [2, 3, 7] {
            let (other, other_spikes, other_events, used) = run(&program, arithmetic, threads);
            assert_eq!(used, threads);
            assert_eq!(
                (other_spikes, other_events),
                (spikes, events),
                "{arithmetic}, {threads} threads"
            );
            assert!(
                other == one,
                "{arithmetic}, {threads} threads: the runs differ"
            );
        }
    }
}
