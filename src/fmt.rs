//! `neurc fmt`: the canonical form of a model file.

use crate::Outcome;
use crate::args::FmtArgs;
use crate::input::read;
use crate::output::{print_diagnostics, print_out, write_atomically};
use neurc_compiler::diagnostic::SourceMap;
use neurc_compiler::front::{format, parse};

/// Runs `neurc fmt`.
pub fn run(args: &FmtArgs) -> Outcome {
    let text = match read(&args.file, false) {
        Ok(text) => text,
        Err(outcome) => return outcome,
    };
    let mut sources = SourceMap::default();
    let file = sources.add(&args.file, text.as_str());
    let (program, diagnostics) = parse(&text, file);
    if !diagnostics.is_empty() {
        print_diagnostics(&diagnostics, &sources, false);
        return Outcome::UserError;
    }
    let formatted = format(&program);
    if args.check {
        if formatted == text {
            return Outcome::Ok;
        }
        eprintln!(
            "{} is not in canonical form: run `neurc fmt --write {}`",
            args.file.display(),
            args.file.display()
        );
        return Outcome::UserError;
    }
    if args.write {
        if formatted == text {
            return Outcome::Ok;
        }
        return match write_atomically(&args.file, formatted.as_bytes()) {
            Ok(()) => Outcome::Ok,
            Err(error) => {
                eprintln!(
                    "error[neurc::io::write]: cannot write `{}`: {error}",
                    args.file.display()
                );
                Outcome::UserError
            }
        };
    }
    print_out(&formatted)
}
