//! The neurc compiler: the language front end (parse, format, check, lower
//! to the IR) and the passes over the IR.
//!
//! The pipeline, in order: [`front::parse`] → name resolution and unit
//! checking → lowering to [`neurc_ir::Network`] → [`passes`] (connectivity
//! expansion first). Every stage reports [`diagnostic::Diagnostic`]s with
//! spans; none of them panics on user input.

pub mod diagnostic;
pub mod front;
pub mod lower;
pub mod passes;
pub mod render;
pub mod suggest;
