//! The pipeline from source text to recordings, for the integration tests.

#![allow(dead_code)]

use neurc_backends::cpu::Real;
use neurc_compiler::lower::{Options, compile};
use neurc_compiler::passes::expand::{ExpandOptions, expand};
use neurc_ir::Network;
use neurc_runtime::error::RunError;
use neurc_runtime::executor::{self, Options as RunOptions};
use neurc_runtime::instance::{Instance, build};
use neurc_runtime::recording::Recording;
use std::path::Path;

/// The network of a source text; panics with the diagnostics if it has errors.
pub fn network(source: &str) -> Network {
    let compilation = compile(Path::new("test.snn"), source, &Options::default());
    match compilation.network {
        Some(network) => network,
        None => panic!("the test model has errors: {:#?}", compilation.diagnostics),
    }
}

/// A network expanded and made ready to run.
pub fn instance_of(network: &Network) -> Instance {
    let options = ExpandOptions {
        threads: 1,
        max_memory_bytes: u64::MAX,
    };
    let connectivity = expand(network, &options).expect("expands");
    build(network, connectivity).expect("builds")
}

/// The instance of a source text.
pub fn instance(source: &str) -> Instance {
    instance_of(&network(source))
}

/// Runs with the JIT executor on `threads` threads.
pub fn jit<R: Real>(instance: &Instance, threads: usize) -> Result<Recording, RunError> {
    let compiled = executor::compile::<R>(instance).expect("compiles");
    executor::run(
        instance,
        &compiled,
        &RunOptions {
            threads,
            progress: None,
        },
    )
}

/// The recorded spike steps of neuron `neuron` in spike probe `probe`.
pub fn spike_steps(recording: &Recording, probe: usize, neuron: u32) -> Vec<u64> {
    let events = &recording.spikes[probe];
    events
        .steps
        .iter()
        .zip(&events.neurons)
        .filter(|(_, n)| **n == neuron)
        .map(|(s, _)| *s)
        .collect()
}
