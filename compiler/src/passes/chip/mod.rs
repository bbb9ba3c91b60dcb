//! The chip mapping passes: from a network cut into core-sized slices to
//! the physical cores of a [`ChipSpec`](neurc_ir::chip::ChipSpec) that run
//! them, each pass in its own module with one entry function.

pub mod affine;
mod axons;
pub mod classify;
pub mod error;
pub mod map;
pub mod partition;
pub mod place;
pub mod quantize;
pub mod report;
pub mod sources;

pub use error::{ChipError, Resource};
pub use map::{Mapping, map};
