//! Errors met on some threads stop every thread at the same step.

mod common;

use common::instance;
use neurc_runtime::error::RunError;
use neurc_runtime::executor::{self, Options};
use std::sync::mpsc;
use std::time::Duration;

/// `v` grows as `e^{t/tau}` from 1 mV; with `tau = 9 µs` it passes
/// f64's largest value (`e^{716.7}` times 1 mV) between the ends of steps
/// 63 (6.4 ms, `e^{711.1}`) and 64 (6.5 ms, `e^{722.2}`). Both are check
/// steps in a run of 65, so no thread finds anything at step 63 and every
/// thread finds the overflow at step 64 — the case where a fast thread
/// stops after step 64 while a slow one has not yet left step 63.
const OVERFLOW_AT_STEP_64: &str = "neuron Growth {\n    parameters {\n        tau = 9 us\n    }\n    state {\n        v = 1 mV\n    }\n    equations {\n        dv/dt = v / tau\n    }\n}\n\
     population calm = LifExp[6]\npopulation wild = Growth[6]\nrecord v(wild)\n\
     simulate {\n    dt = 0.1 ms\n    duration = 6.5 ms\n}\n";

#[test]
fn an_overflow_stops_every_thread_with_the_same_error() {
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        let inst = instance(OVERFLOW_AT_STEP_64);
        let compiled = executor::compile::<f64>(&inst).expect("compiles");
        for threads in [1, 2, 3, 4] {
            for _ in 0..50 {
                let result = executor::run(
                    &inst,
                    &compiled,
                    &Options {
                        threads,
                        progress: None,
                    },
                );
                sender
                    .send((threads, result.err()))
                    .expect("the test waits");
            }
        }
    });
    for _ in 0..4 * 50 {
        let (threads, error) = receiver
            .recv_timeout(Duration::from_secs(60))
            .expect("every run ends: no thread waits at a barrier for one that has stopped");
        match error {
            Some(RunError::NonFinite {
                population,
                variable,
                neuron,
                step,
                value,
                ..
            }) => {
                assert_eq!(
                    (population.as_str(), variable.as_str(), neuron, step),
                    ("wild", "v", 0, 64),
                    "{threads} threads"
                );
                assert_eq!(value, "inf");
            }
            other => panic!("{threads} threads: expected an overflow, got {other:?}"),
        }
    }
}
