//! Code generation for neurc's targets.
//!
//! [`cpu`]: a network's neuron models become straight-line step programs
//! ([`cpu::program`]), which the reference interpreter walks and the JIT
//! compiles with Cranelift into native kernels.
//!
//! [`chip`]: a checked chip program as an image file, and back.

pub mod chip;
pub mod cpu;
