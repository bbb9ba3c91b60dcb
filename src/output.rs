//! Printing diagnostics and results, and writing files atomically.

use neurc_compiler::diagnostic::{Diagnostic, SourceMap};
use neurc_compiler::render::{Style, render_text, to_json};
use std::io::{IsTerminal, Write};

/// Prints diagnostics: JSON on stdout, or text on stderr (in colour on a
/// terminal), followed by a count.
pub fn print_diagnostics(diagnostics: &[Diagnostic], sources: &SourceMap, json: bool) {
    if json {
        let value = to_json(diagnostics, sources);
        match serde_json::to_string_pretty(&value) {
            Ok(text) => println!("{text}"),
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
