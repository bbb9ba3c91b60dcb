//! Loihi-style chips: what a chip offers ([`ChipSpec`]) and what a network
//! becomes on it ([`ChipProgram`]).
//!
//! Both live here because three parts read them: the compiler checks a
//! network against a spec and builds a program, the chip backend encodes the
//! program as an image, and the emulator decodes and runs it. Every figure
//! in the presets cites its source in `CHIP.md` terms (Davies et al. 2018,
//! "D18"; Intel's Loihi 2 brief, "L2B").
//!
//! The arithmetic a program means is the chip's CUBA LIF compartment, in
//! integers (CHIP.md §c): per step, `u ← trunc12(u·(4096 − du − 1)) + input`,
//! `v ← trunc12(v·(4096 − dv)) + u + bias + Σ joined children's u`, spike if
//! `v > vth·2⁶`, then `v ← 0` and `r` steps of refractoriness. A synaptic
//! input is `weight << (6 + weight_exp)`.

mod arithmetic;
mod check;
mod program;
mod route;
mod spec;

pub use arithmetic::Arithmetic;
pub use check::LimitError;
pub use program::{
    ChipProgram, Compartment, CompartmentProfile, CoreProgram, InputAxon, InputSource,
    ListedSynapse, OutputAxon, PopulationSlice, ProgramParts, SignMode, SourceKind, SynapseFormat,
    SynapseList,
};
pub use route::{Direction, Hop, HopCounts, Hops, Route, hop_counts, route};
pub use spec::{
    BarrierPoint, ChipSpec, CoreLimits, CoreLocation, EnergyTable, FixedPoint, Mesh, SpecError,
    TimingTable,
};

use serde::{Deserialize, Serialize};
use std::fmt;

/// A neuromorphic core of a system, numbered chip by chip, tile by tile
/// (x fastest), core by core: see [`ChipSpec::locate`].
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug, Serialize, Deserialize)]
pub struct CoreId(pub u32);

/// A map keyed by core. Messages and axons name their core by id, and a
/// large program looks cores up once per axon, tens of millions of times:
/// an id is a small integer that needs no protection against chosen keys,
/// so it is hashed with one multiplication (Fx) instead of SipHash.
pub type CoreMap<V> = rustc_hash::FxHashMap<CoreId, V>;

impl fmt::Display for CoreId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "c{}", self.0)
    }
}
