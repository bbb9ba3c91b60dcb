//! Printing diagnostics and results, and writing files atomically.

use crate::Outcome;
use neurc_compiler::diagnostic::{Diagnostic, SourceMap};
use neurc_compiler::render::{Style, render_text, to_json};
use std::io::{ErrorKind, IsTerminal, Write};

/// Prints `text` on standard output. A reader that stops early
/// (`neurc ir model.snn | head`) ends the printing quietly, as with other
/// command-line tools; any other failure to write (a full disk under a
/// redirection) is reported.
pub fn print_out(text: &str) -> Outcome {
    let mut out = std::io::stdout().lock();
    finish_output(out.write_all(text.as_bytes()).and_then(|()| out.flush()))
}

/// The outcome of writing a command's result on standard output.
pub fn finish_output(written: std::io::Result<()>) -> Outcome {
    match written {
        Ok(()) => Outcome::Ok,
        Err(error) if error.kind() == ErrorKind::BrokenPipe => Outcome::Ok,
        Err(error) => {
            eprintln!("error[neurc::io::write]: cannot write to standard output: {error}");
            Outcome::UserError
        }
    }
}

/// Prints diagnostics: JSON on stdout, or text on stderr (in colour on a
/// terminal), followed by a count.
pub fn print_diagnostics(diagnostics: &[Diagnostic], sources: &SourceMap, json: bool) {
    if json {
        let value = to_json(diagnostics, sources);
        match serde_json::to_string_pretty(&value) {
            Ok(text) => {
                let _ = print_out(&format!("{text}\n"));
            }
            Err(error) => eprintln!("error: cannot encode diagnostics as JSON: {error}"),
        }
        return;
    }
    let style = if std::io::stderr().is_terminal() {
        Style::Colour
    } else {
        Style::Plain
    };
    let mut stderr = std::io::stderr().lock();
    let _ = write!(stderr, "{}", render_text(diagnostics, sources, style));
    let n = diagnostics.len();
    let _ = writeln!(stderr, "{n} error{} found", if n == 1 { "" } else { "s" });
}

pub use neurc_runtime::output::write_atomically;
