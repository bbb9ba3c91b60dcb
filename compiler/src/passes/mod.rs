//! Passes over the IR, each in its own file with one entry function.

pub mod chip;
pub mod expand;
