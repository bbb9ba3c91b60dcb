//! A cycle-accurate emulator of Loihi-style neuromorphic chips.
//!
//! It runs a [`ChipProgram`](neurc_ir::chip::ChipProgram) — decoded from an
//! image with [`load()`] — timestep by timestep, with the chip's integer
//! arithmetic in either of its published readings
//! ([`Arithmetic`](neurc_ir::chip::Arithmetic): the hardware's registers
//! or lava-nc's bit-accurate model, CHIP.md §c), and accounts for every
//! operation: synaptic operations, compartment updates, spike messages and
//! their hops on the mesh, barriers. Time is integer picoseconds and
//! energy comes from the spec's per-operation table, so the figures of a
//! given image are exactly repeatable.
//!
//! The parts: [`Chip`] is the configured system, which never changes while
//! it runs; [`ChipState`] is everything that does (clone it to checkpoint);
//! [`Chip::step`] is the only place time moves, and its module documents
//! the schedule of a step. [`report`] turns a run's [`StepStats`] and final
//! state into the chip report.

mod accumulators;
mod chip;
mod counts;
mod load;
mod neuron;
mod noc;
pub mod report;
mod sources;
mod state;
mod step;

pub use chip::Chip;
pub use counts::{Counts, Energy};
pub use load::{LoadError, load, load_bytes};
pub use state::{ChipState, CoreTotals};
pub use step::StepStats;
