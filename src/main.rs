//! `neurc`: compile spiking networks written in the neurc language, check
//! them, and show what they mean.
//!
//! Exit codes: 0 ok, 1 user error (bad input), 2 does not fit the target or
//! the machine, 3 internal error.

mod args;
mod check;
mod chip_run;
mod compile;
mod fmt;
mod input;
mod ir;
mod output;
mod report;
mod run;

use args::{Cli, Command};
use clap::Parser;
use std::process::ExitCode;

/// What a command's failure means for the exit code.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Outcome {
    /// Done.
    Ok = 0,
    /// The input is wrong.
    UserError = 1,
    /// The network does not fit the target or the machine.
    DoesNotFit = 2,
    /// A bug in neurc.
    Internal = 3,
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            let _ = error.print();
            // Help and version requests are not errors; a bad flag is the
            // user's, never "does not fit" (clap's own code for it is 2).
            return ExitCode::from(if error.use_stderr() {
                Outcome::UserError as u8
            } else {
                0
            });
        }
    };
    let outcome = std::panic::catch_unwind(|| match &cli.command {
        Command::Check(a) => check::run(a),
        Command::Fmt(a) => fmt::run(a),
        Command::Ir(a) => ir::run(a),
        Command::Run(a) => run::run(a),
        Command::Compile(a) => compile::run(a),
        Command::Chip(a) => compile::print_preset(a),
        Command::Report(a) => report::run(a),
    });
    let outcome = outcome.unwrap_or_else(|_| {
        eprintln!(
            "error[neurc::internal]: neurc stopped on an internal error (above); \
             this is a bug in neurc, not in your model"
        );
        Outcome::Internal
    });
    ExitCode::from(outcome as u8)
}
