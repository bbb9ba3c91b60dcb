//! The CPU target on the networks of the peers comparison
//! (`benches/peers/`): Brunel (2000) model A and the CUBA benchmark, read
//! from `examples/`, simulated by the JIT executor at 1 and 2 threads;
//! the JIT compile time of their kernels; and the floor of this machine's
//! synaptic loop — streaming `u32` targets and adding a constant into a
//! 12 500-entry `f64` array — to say how far delivery is from it.
//!
//! Criterion reports the time of the first simulated 100 ms (1000 steps)
//! and the synaptic events per second.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use neurc_compiler::lower::{Options, compile};
use neurc_compiler::passes::expand::{ExpandOptions, expand};
use neurc_runtime::executor::{self, Options as RunOptions};
use neurc_runtime::instance::{Instance, build};
use std::hint::black_box;
use std::path::Path;

/// The instance of an example, run for `duration` seconds.
fn example(name: &str, duration: f64) -> Instance {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../examples")
        .join(name);
    let text = std::fs::read_to_string(&path).expect("the example is readable");
    let mut network = compile(&path, &text, &Options::default())
        .network
        .expect("the example compiles");
    network.simulation.duration = duration;
    let options = ExpandOptions {
        threads: 0,
        max_memory_bytes: u64::MAX,
    };
    let connectivity = expand(&network, &options).expect("expands");
    build(&network, connectivity).expect("builds")
}

fn simulate(c: &mut Criterion) {
    for name in ["brunel.snn", "cuba.snn"] {
        let instance = example(name, 0.1);
        let compiled = executor::compile::<f64>(&instance).expect("compiles");
        let run = |threads| {
            executor::run(
                &instance,
                &compiled,
                &RunOptions {
                    threads,
                    progress: None,
                },
            )
            .expect("runs")
        };
        let events: u64 = run(1).synaptic_events.iter().sum();
        let mut group = c.benchmark_group(format!("simulate 100 ms/{name}"));
        group.sample_size(10);
        group.throughput(Throughput::Elements(events));
        for threads in [1, 2] {
            group.bench_with_input(BenchmarkId::new("threads", threads), &threads, |b, &t| {
                b.iter(|| black_box(run(t)))
            });
        }
        group.finish();
    }
}

fn jit(c: &mut Criterion) {
    let mut group = c.benchmark_group("jit");
    for name in ["brunel.snn", "cuba.snn"] {
        let instance = example(name, 0.0);
        group.bench_function(name, |b| {
            b.iter(|| black_box(executor::compile::<f64>(&instance).expect("compiles")))
        });
    }
    group.finish();
}

/// The simplest synaptic loop: what delivery would cost with no spikes,
/// rows or ring buffers to walk.
fn synaptic_floor(c: &mut Criterion) {
    let neurons = 12_500;
    let synapses = 10_000_000u64;
    let mut state = 1u64;
    let targets: Vec<u32> = (0..synapses)
        .map(|_| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((state >> 33) % neurons) as u32
        })
        .collect();
    let mut accumulator = vec![0.0f64; neurons as usize];
    let mut group = c.benchmark_group("synaptic floor");
    group.sample_size(10);
    group.throughput(Throughput::Elements(synapses));
    group.bench_function("stream u32 targets, add a constant", |b| {
        b.iter(|| {
            for &t in &targets {
                accumulator[t as usize] += 0.1;
            }
            black_box(&accumulator);
        })
    });
    group.finish();
}

criterion_group!(benches, simulate, jit, synaptic_floor);
criterion_main!(benches);
