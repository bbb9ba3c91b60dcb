//! Integration tests: the command line on the examples and on bad input,
//! and the golden diagnostics of `tests/diagnostics`.

mod chip;
mod chip_run;
mod cli;
mod diagnostics;
mod docs;
mod examples;
mod report;
mod run;
