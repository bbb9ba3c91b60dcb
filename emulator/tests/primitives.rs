//! The emulator's time and energy reproduce the published per-operation
//! figures (Davies et al. 2018, Table 2; CHIP.md §a7) exactly: one
//! synaptic operation, active and inactive compartment updates, a spike
//! within a tile, one hop each way, and the barrier for 1 and 32 tiles;
//! and cores serving their messages in order of arrival at those
//! latencies. Each figure is isolated as the difference between two
//! one-step runs that differ by that operation alone, or read from its own
//! energy line.

use neurc_emulator::{Chip, StepStats};
use neurc_ir::chip::{
    Arithmetic, ChipProgram, ChipSpec, Compartment, CompartmentProfile, CoreId, CoreProgram,
    InputAxon, InputSource, OutputAxon, PopulationSlice, ProgramParts, SignMode, SourceKind,
    SynapseFormat, SynapseList,
};
use neurc_ir::{NeuronRange, NodeId};

/// A compartment that spikes on step 0 (its bias alone crosses the
/// threshold), or one at rest.
fn compartment(spiking: bool) -> Compartment {
    Compartment {
        profile: 0,
        bias_mantissa: if spiking { 4095 } else { 0 },
        bias_exponent: if spiking { 7 } else { 0 },
        u: 0,
        v: 0,
        parent: None,
    }
}

/// A core of one compartment whose input axons each hold one synapse onto
/// it, and whose compartment sends to `targets`.
fn core(id: u32, spiking: bool, input_axons: u32, targets: &[(u32, u32)]) -> CoreProgram {
    CoreProgram {
        id: CoreId(id),
        profiles: vec![CompartmentProfile {
            du: 4095,
            dv: 0,
            vth: Some(1),
            refractory_delay: 1,
        }],
        compartments: vec![compartment(spiking)],
        formats: vec![SynapseFormat {
            weight_bits: 8,
            sign: SignMode::Excitatory,
            weight_exponent: 0,
            index_bits: 6,
            delay_bits: 6,
        }],
        input_axons: (0..input_axons)
            .map(|a| InputAxon {
                format: 0,
                first: a,
                count: 1,
            })
            .collect(),
        synapses: SynapseList {
            compartment: vec![0; input_axons as usize],
            weight: vec![1; input_axons as usize],
            delay: vec![1; input_axons as usize],
        },
        output_axons: targets
            .iter()
            .map(|&(core, axon)| OutputAxon {
                source: 0,
                core: CoreId(core),
                axon,
            })
            .collect(),
        delay_slots: 1,
    }
}

fn program(cores: Vec<CoreProgram>, inputs: Vec<InputSource>) -> ChipProgram {
    let slices = cores
        .iter()
        .enumerate()
        .map(|(i, c)| PopulationSlice {
            node: NodeId(1 + i as u32),
            neurons: NeuronRange::new(0, 1),
            core: c.id,
            first_compartment: 0,
            per_neuron: 1,
        })
        .collect();
    ChipProgram::new(ProgramParts {
        spec: ChipSpec::loihi(),
        dt: 1e-3,
        seed: 1,
        cores,
        inputs,
        slices,
    })
    .expect("a valid program")
}

/// A host source that sends one spike on step 0 to input axon 0 of `core`.
fn one_host_spike(core: u32) -> InputSource {
    InputSource {
        node: NodeId(0),
        name: "input".into(),
        size: 1,
        kind: SourceKind::Steps {
            steps: vec![vec![0]],
        },
        output_axons: vec![OutputAxon {
            source: 0,
            core: CoreId(core),
            axon: 0,
        }],
    }
}

/// The first step of `program`, and its chip.
fn first_step(program: ChipProgram) -> (StepStats, Chip) {
    let chip = Chip::new(program, Arithmetic::Hardware);
    let mut state = chip.initial_state();
    (chip.step(&mut state), chip)
}

const BARRIER_ONE_TILE_PS: u64 = 113_000;

#[test]
fn a_compartment_at_rest_costs_an_inactive_update() {
    let (stats, chip) = first_step(program(vec![core(0, false, 0, &[])], vec![]));
    assert_eq!(stats.counts.inactive_updates, 1);
    assert_eq!(stats.traffic_ps, 5_300);
    assert_eq!(stats.time_ps, 5_300 + BARRIER_ONE_TILE_PS);
    let energy = stats.energy(&chip);
    assert_eq!(energy.inactive_updates, 52.0);
    // Static power: 104 mW for one chip over the step's 118.3 ns.
    assert!((energy.static_power - 104e-3 * 118.3e-9 * 1e12).abs() < 1e-9);
}

#[test]
fn a_compartment_with_work_costs_an_active_update() {
    let (stats, chip) = first_step(program(vec![core(0, true, 0, &[])], vec![]));
    assert_eq!(stats.counts.active_updates, 1);
    assert_eq!(stats.counts.spikes, 1);
    assert_eq!(stats.traffic_ps, 8_400);
    assert_eq!(stats.energy(&chip).active_updates, 81.0);
}

#[test]
fn one_synaptic_operation_takes_3_5_ns_and_23_6_pj() {
    let (rest, _) = first_step(program(vec![core(0, false, 1, &[])], vec![]));
    let (input, chip) = first_step(program(
        vec![core(0, false, 1, &[])],
        vec![one_host_spike(0)],
    ));
    assert_eq!(input.counts.synaptic_ops, 1);
    // The message arrives at 2.1 ns, waits for the 5.3 ns update, and
    // takes one synaptic operation.
    assert_eq!(input.traffic_ps - rest.traffic_ps, 3_500);
    assert_eq!(input.energy(&chip).synaptic_ops, 23.6);
}

/// Step 0 of a spiking core 0 sending one message to `receiver`'s axon 0:
/// the traffic less the sender's update (8.4 ns) and the receiver's
/// synaptic operation (3.5 ns) is the message's latency.
fn latency_to(receiver: u32) -> (u64, neurc_emulator::Energy, StepStats) {
    let (stats, chip) = first_step(program(
        vec![
            core(0, true, 0, &[(receiver, 0)]),
            core(receiver, false, 1, &[]),
        ],
        vec![],
    ));
    assert_eq!(stats.counts.messages, 1);
    (stats.traffic_ps - 8_400 - 3_500, stats.energy(&chip), stats)
}

#[test]
fn a_spike_within_a_tile_takes_2_1_ns_and_1_7_pj() {
    // Cores 0 and 1 share tile (0, 0).
    let (latency, energy, stats) = latency_to(1);
    assert_eq!(latency, 2_100);
    assert_eq!(stats.counts.intra_tile_messages, 1);
    assert_eq!(energy.tile_deliveries, 1.7);
    assert_eq!(energy.hops_east_west + energy.hops_north_south, 0.0);
}

#[test]
fn one_hop_east_adds_4_1_ns_and_3_pj() {
    // Core 4 is the first core of tile (1, 0).
    let (latency, energy, stats) = latency_to(4);
    assert_eq!(latency, 2_100 + 4_100);
    assert_eq!(stats.counts.hops_east_west, 1);
    assert_eq!(energy.hops_east_west, 3.0);
    assert_eq!(stats.busiest_link_messages, 1);
}

#[test]
fn one_hop_north_adds_6_5_ns_and_4_pj() {
    // Tiles are numbered x fastest on an 8 × 4 mesh: tile (0, 1) is the
    // ninth, and its first core is 32.
    let (latency, energy, stats) = latency_to(32);
    assert_eq!(latency, 2_100 + 6_500);
    assert_eq!(stats.counts.hops_north_south, 1);
    assert_eq!(energy.hops_north_south, 4.0);
}

/// Three senders, on tiles (0, 0), (1, 0) and (0, 1), each spike at the
/// end of their 8.4 ns update to receivers 1, on tile (0, 0), and 5, on
/// tile (1, 0), both at rest (free from 5.3 ns on). Each receiver serves
/// its three messages in order of arrival, 3.5 ns each, idle between
/// them when the next has not arrived.
#[test]
fn each_core_serves_its_own_messages_in_order_of_arrival() {
    let sender = |id, axon| core(id, true, 0, &[(1, axon), (5, axon)]);
    let (stats, _) = first_step(program(
        vec![
            sender(0, 0),
            core(1, false, 3, &[]),
            sender(4, 1),
            core(5, false, 3, &[]),
            sender(32, 2),
        ],
        vec![],
    ));
    assert_eq!(stats.counts.messages, 6);
    // Core 1 receives at 8.4 + 2.1 = 10.5 ns (same tile), 14.6 (one hop
    // east–west, 4.1 ns) and 17.0 (one hop north–south, 6.5 ns), and is
    // done at 14.0, 18.1 and 21.6 ns. Core 5 receives at 10.5 (same tile),
    // 14.6 (one hop) and 21.1 (one hop each way), and is done at 14.0,
    // 18.1 and 24.6 ns: it finishes last.
    assert_eq!(stats.busiest_core, Some((CoreId(5), 24_600)));
    assert_eq!(stats.traffic_ps, 24_600);
}

#[test]
fn the_barrier_takes_113_ns_for_one_tile_and_465_ns_for_32() {
    let one = Chip::new(
        program(vec![core(0, false, 0, &[])], vec![]),
        Arithmetic::Hardware,
    );
    assert_eq!(one.barrier_ps(), 113_000);
    // One core on each of the chip's 32 tiles.
    let every_tile = (0..32).map(|t| core(4 * t, false, 0, &[])).collect();
    let all = Chip::new(program(every_tile, vec![]), Arithmetic::Hardware);
    assert_eq!(all.barrier_ps(), 465_000);
    let mut state = all.initial_state();
    let stats = all.step(&mut state);
    assert_eq!(stats.time_ps, 5_300 + 465_000);
}

#[test]
fn a_second_chip_adds_its_crossing_to_the_barrier_and_its_static_power() {
    // Core 128 is the first core of the chip east of chip 0.
    let (stats, chip) = first_step(program(
        vec![core(0, false, 0, &[]), core(128, false, 0, &[])],
        vec![],
    ));
    assert_eq!(chip.barrier_ps(), 113_000 + 200_000);
    let energy = stats.energy(&chip);
    let expected = 2.0 * 104e-3 * (stats.time_ps as f64 * 1e-12) * 1e12;
    assert!((energy.static_power - expected).abs() < 1e-6);
}

#[test]
fn a_program_without_cores_runs_with_only_its_barrier() {
    let (stats, _) = first_step(program(vec![], vec![]));
    assert_eq!(stats.counts.barriers, 1);
    assert_eq!(stats.traffic_ps, 0);
    assert_eq!(stats.busiest_core, None);
}
