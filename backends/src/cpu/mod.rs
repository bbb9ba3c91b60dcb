//! The CPU target: step programs, their planner, and the kernels compiled
//! from them.

pub mod fixed;
pub mod interpret;
pub mod isa;
pub mod jit;
pub mod pages;
pub mod plan;
pub mod prefetch;
pub mod program;
pub mod random;
pub mod real;
pub mod schedule;
#[cfg(feature = "testing")]
pub mod testing;

pub use program::NeuronProgram;
pub use real::{Precision, Real};
