//! The JIT executor against the reference interpreter, on generated
//! networks: bit-identical spikes, traces and counts in both precisions,
//! and identical results for 1, 2 and 4 threads.

mod common;

use neurc_backends::cpu::Real;
use neurc_ir::testing::{NetworkLimits, arb_connectivity, arb_network_with};
use neurc_ir::{Connectivity, Network};
use neurc_runtime::error::RunError;
use neurc_runtime::instance::{Instance, build};
use neurc_runtime::recording::Recording;
use neurc_runtime::reference;
use proptest::prelude::*;

/// Generated networks small enough for many cases, run for 40 steps.
fn arb_case() -> impl Strategy<Value = (Network, Connectivity)> {
    let limits = NetworkLimits {
        models: 3,
        populations: 4,
        neurons: 24,
        projections: 5,
    };
    arb_network_with(limits).prop_flat_map(|mut network| {
        network.simulation.duration = 40.0 * network.simulation.dt;
        let connectivity = arb_connectivity(&network);
        (Just(network), connectivity)
    })
}

/// Traces compared by bits, so that `-0.0` and `0.0` differ and NaN
/// equals NaN.
fn same(a: &Result<Recording, RunError>, b: &Result<Recording, RunError>) -> bool {
    match (a, b) {
        (Ok(a), Ok(b)) => {
            a.spikes == b.spikes
                && a.spike_counts == b.spike_counts
                && a.synaptic_events == b.synaptic_events
                && a.traces.len() == b.traces.len()
                && a.traces.iter().zip(&b.traces).all(|(x, y)| {
                    x.values.len() == y.values.len()
                        && x.values
                            .iter()
                            .zip(&y.values)
                            .all(|(p, q)| p.to_bits() == q.to_bits())
                })
        }
        (Err(a), Err(b)) => a == b,
        _ => false,
    }
}

fn check<R: Real>(instance: &Instance) -> Result<(), TestCaseError> {
    let expected = reference::simulate::<R>(instance);
    for threads in [1, 2, 4] {
        let got = common::jit::<R>(instance, threads);
        prop_assert!(
            same(&expected, &got),
            "{:?} with {threads} threads differs from the interpreter:\n{expected:#?}\n{got:#?}",
            R::PRECISION
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn jit_equals_interpreter_for_any_thread_count((network, connectivity) in arb_case()) {
        // Models the CPU target cannot plan are refused with an error,
        // which the planner's own tests cover.
        let Ok(instance) = build(&network, connectivity) else {
            return Ok(());
        };
        check::<f64>(&instance)?;
        check::<f32>(&instance)?;
    }
}
