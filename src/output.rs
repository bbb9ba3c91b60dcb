//! Printing diagnostics and results, and writing files atomically.

use neurc_compiler::diagnostic::{Diagnostic, SourceMap};
use neurc_compiler::render::{Style, render_text, to_json};
use std::io::{IsTerminal, Write};
use std::path::Path;

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

/// Writes a file atomically: to a temporary file beside it, then renamed
/// over it, so a reader never sees half a file and a failure leaves the old
/// one in place.
pub fn write_atomically(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temporary = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let result = std::fs::File::create(&temporary)
        .and_then(|mut f| f.write_all(contents).and_then(|()| f.sync_all()))
        .and_then(|()| std::fs::rename(&temporary, path));
    if result.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    result
}
