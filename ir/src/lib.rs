//! The neurc intermediate representation.
//!
//! A [`Network`](network::Network) is what a source file means once names
//! are resolved and units checked. Its semantics, shared by every executor:
//!
//! - Every number is in SI base units ([`units`]): seconds, volts, amperes,
//!   farads, siemens, metres, hertz.
//! - Time advances in steps of `dt`. In step *n* every population (1) takes
//!   the synaptic input that arrives in step *n*, (2) updates its state —
//!   ODEs integrated over `dt`, or discrete `update` assignments that read
//!   the step's input — (3) tests its spike condition, applies its reset and
//!   counts refractory time. A spike emitted in step *n* over a synapse of
//!   delay *d* ≥ 1 steps arrives in step *n + d*.
//! - A synaptic weight is added to the state variable it lands on (a jump),
//!   or summed into an input of a discrete-time model; both have the weight's
//!   dimension.
//! - Connectivity is a rule plus a seed. The expansion pass turns rules into
//!   [`SynapseTable`](connectivity::SynapseTable)s kept beside the graph, so
//!   the graph never holds one edge per synapse.
//! - Every element's source span lives in a side table
//!   ([`SpanTable`](network::SpanTable)), so a late error can point at the
//!   line that declared it.

pub mod chip;
#[cfg(feature = "testing")]
pub mod chip_testing;
pub mod connectivity;
pub mod expr;
pub mod ids;
pub mod model;
pub mod network;
pub mod print;
pub mod span;
#[cfg(feature = "testing")]
pub mod testing;
pub mod units;
pub mod verify;

mod json;

pub use connectivity::{Connectivity, PerSynapse, SynapseTable};
pub use expr::{BinaryOp, Expr, Func, UnaryOp, Var};
pub use ids::{ModelId, NodeId, ProjId};
pub use model::{
    Assignment, Distribution, Dynamics, InputDecl, Method, NeuronModel, Ode, ParamDecl, ParamValue,
    Refractory, StateDecl,
};
pub use network::{
    ChipWeights, Coupling, Edge, Layout, Modulator, Network, NeuronRange, Node, Population, Probe,
    ProbeTarget, Projection, Record, Region, Rule, Simulation, SpanTable, SynapticTarget, step_of,
};
pub use print::{print, print_expr};
pub use span::{FileId, Span};
pub use units::{Dimension, Quantity, Unit};
pub use verify::{Element, Violation, verify, verify_connectivity};
