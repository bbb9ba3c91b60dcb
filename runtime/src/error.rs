//! Why a run can stop early.

use thiserror::Error;

/// A run that cannot go on.
#[derive(Clone, PartialEq, Debug, Error)]
pub enum RunError {
    /// A state variable became NaN or infinite: usually a parameter choice
    /// that makes the dynamics diverge, or a step too long for the method.
    #[error(
        "state variable `{variable}` of population `{population}` became {value} \
         (neuron {neuron}, by step {step}, t = {time_ms} ms)"
    )]
    NonFinite {
        /// The population's name.
        population: String,
        /// The variable's name.
        variable: String,
        /// The first neuron found with a non-finite value.
        neuron: u32,
        /// The step by whose end it was found.
        step: u64,
        /// That step's end time, milliseconds.
        time_ms: f64,
        /// `NaN`, `inf` or `-inf`.
        value: String,
    },
    /// A kernel refused its arguments: a bug in the executor.
    #[error("internal error in the executor: {0}")]
    Internal(String),
}

/// States are checked for NaN and infinity after every this many steps
/// and after the last: often enough to name the step range, rarely enough
/// to cost nothing. Every executor checks after the same steps, so they
/// report the same finding.
pub const CHECK_EVERY: u64 = 64;

/// Whether the states are checked after step `step` of a run of `steps`.
pub fn is_check_step(step: u64, steps: u64) -> bool {
    step % CHECK_EVERY == CHECK_EVERY - 1 || step + 1 == steps
}
