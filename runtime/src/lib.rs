//! neurc's executors and what surrounds them: the network made ready to
//! run ([`instance`]), the reference interpreter, the JIT executor, and the
//! recording and output of a run.

pub mod chip;
pub mod error;
pub mod executor;
pub mod instance;
pub mod memory;
pub mod output;
pub mod progress;
pub mod recording;
pub mod reference;
