//! The chip emulator on Brunel (2000) model A compiled for `loihi`
//! (`examples/brunel.snn`: 12 500 neurons, 15.6 M synapses on 4 168 cores
//! of 33 chips), with full accounting: every synaptic operation,
//! compartment update, message, hop and barrier, in integer picoseconds.
//!
//! The network is mapped once, and run for 200 steps (20 ms) past its
//! start; each iteration then runs 100 steps from a clone of that state,
//! so every iteration does the same work. The throughput is synaptic
//! events per second: every synapse walked, the Poisson drive's included
//! (the setup prints both counts), on one thread and on two.

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use neurc_compiler::lower::{Options, compile};
use neurc_compiler::passes::chip::map;
use neurc_compiler::passes::expand::{ExpandOptions, expand};
use neurc_emulator::{Chip, ChipState};
use neurc_ir::chip::{Arithmetic, ChipProgram, ChipSpec};
use std::path::Path;
use std::time::Duration;

const WARM_STEPS: u64 = 200;
const STEPS: u64 = 100;

fn brunel() -> ChipProgram {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/brunel.snn");
    let text = std::fs::read_to_string(&path).expect("the example is readable");
    let network = compile(&path, &text, &Options::default())
        .network
        .expect("the example compiles");
    let options = ExpandOptions {
        threads: 0,
        max_memory_bytes: u64::MAX,
    };
    let connectivity = expand(&network, &options).expect("the network expands");
    map(
        &network,
        &connectivity,
        &ChipSpec::loihi(),
        network.simulation.seed,
    )
    .expect("the network maps")
    .program
}

/// The state after the warm-up, and the synaptic operations (all, and
/// those of the host sources) of the measured steps.
fn warmed(chip: &Chip) -> (ChipState, u64) {
    let mut state = chip.initial_state();
    for _ in 0..WARM_STEPS {
        chip.step(&mut state);
    }
    let mut probe = state.clone();
    let mut operations = 0;
    let mut time_ps = 0;
    for _ in 0..STEPS {
        let stats = chip.step(&mut probe);
        operations += stats.counts.synaptic_ops;
        time_ps += stats.time_ps;
    }
    eprintln!(
        "brunel on loihi: {} synaptic ops in {STEPS} steps, {:.1} ns of chip time per step, {:.1} bytes per synapse",
        operations,
        time_ps as f64 / STEPS as f64 / 1e3,
        chip.heap_bytes() as f64 / chip.synapses() as f64
    );
    (state, operations)
}

fn emulate(c: &mut Criterion) {
    let program = brunel();
    let mut group = c.benchmark_group("emulator_brunel");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(30));
    for threads in [1, 2] {
        let chip = Chip::new(program.clone(), Arithmetic::Hardware).with_threads(threads);
        let (start, operations) = warmed(&chip);
        group.throughput(Throughput::Elements(operations));
        group.bench_function(format!("{STEPS}_steps_{threads}_thread"), |b| {
            b.iter_batched(
                || start.clone(),
                |mut state| {
                    chip.install(|| {
                        for _ in 0..STEPS {
                            chip.step(&mut state);
                        }
                    });
                    state
                },
                BatchSize::PerIteration,
            )
        });
    }
    group.finish();
}

criterion_group!(benches, emulate);
criterion_main!(benches);
