//! The examples of `docs/LANGUAGE.md` and `docs/SEMANTICS.md`, checked as
//! a user would run them.
//!
//! - A block fenced ```` ```snn ```` is a complete program: it must compile
//!   without a single diagnostic.
//! - A block fenced ```` ```snn-error ```` shows a mistake: it must produce at
//!   least one diagnostic, and every `// error: CODE` line in it names a code
//!   that must be among them (`neurc::parse` matches every parse error).
//! - A block fenced ```` ```snn-fragment ```` must parse without an error.
//! - A block whose info string holds `file=PATH` (```` ```snn file=lib.snn ````,
//!   ```` ```csv file=synapses.csv ````) is also written to `PATH` in the
//!   scratch folder before anything is compiled, so that examples can import
//!   it or read it with `from_file`.

use neurc_compiler::diagnostic::{Diagnostic, SourceMap};
use neurc_compiler::lower::{Options, compile};
use neurc_compiler::render::{Style, render_text};
use std::path::{Path, PathBuf};

/// The documents with examples in the language, read at build time so
/// that editing one rebuilds the test.
const DOCUMENTS: [(&str, &str); 2] = [
    ("docs/LANGUAGE.md", include_str!("../docs/LANGUAGE.md")),
    ("docs/SEMANTICS.md", include_str!("../docs/SEMANTICS.md")),
];

/// A fenced code block of a document.
struct Block {
    /// The document it is in.
    document: &'static str,
    /// The first word of the info string (`snn`, `snn-error`, `text`, ...).
    kind: String,
    /// The `file=PATH` of the info string, if any.
    file: Option<String>,
    /// The text between the fences.
    text: String,
    /// The 1-based line of the opening fence, for messages.
    line: usize,
}

impl Block {
    fn name(&self) -> String {
        format!("{}:{} (```{})", self.document, self.line, self.kind)
    }
}

/// Every fenced block of the documents, in order.
fn blocks() -> Vec<Block> {
    DOCUMENTS
        .iter()
        .flat_map(|&(document, text)| blocks_of(document, text))
        .collect()
}

/// Every fenced block of `document`, whose text is `text`, in order.
fn blocks_of(document: &'static str, text: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut open: Option<Block> = None;
    for (index, line) in text.lines().enumerate() {
        match open.take() {
            None => {
                if let Some(info) = line.trim_start().strip_prefix("```") {
                    let mut words = info.split_whitespace();
                    let kind = words.next().unwrap_or_default().to_string();
                    let file = words
                        .find_map(|w| w.strip_prefix("file="))
                        .map(str::to_string);
                    open = Some(Block {
                        document,
                        kind,
                        file,
                        text: String::new(),
                        line: index + 1,
                    });
                }
            }
            Some(mut block) => {
                if line.trim() == "```" {
                    blocks.push(block);
                } else {
                    block.text.push_str(line);
                    block.text.push('\n');
                    open = Some(block);
                }
            }
        }
    }
    assert!(open.is_none(), "{document} ends inside a code block");
    blocks
}

fn of_kind(kind: &str) -> Vec<Block> {
    blocks().into_iter().filter(|b| b.kind == kind).collect()
}

/// A fresh scratch folder holding every `file=` block.
fn scratch(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("neurc-docs-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a scratch folder");
    for block in blocks() {
        if let Some(file) = &block.file {
            let path = dir.join(file);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).expect("a folder for a file= block");
            }
            std::fs::write(&path, &block.text).expect("a file= block written");
        }
    }
    dir
}

/// Where a block is compiled from: its `file=` path, or a file of its own.
fn path_of(dir: &Path, block: &Block) -> PathBuf {
    match &block.file {
        Some(file) => dir.join(file),
        None => {
            let stem = Path::new(block.document)
                .file_stem()
                .map_or_else(String::new, |s| s.to_string_lossy().to_lowercase());
            let path = dir.join(format!("{stem}_{}.snn", block.line));
            std::fs::write(&path, &block.text).expect("an example written");
            path
        }
    }
}

/// Compiles a block; returns its diagnostics and their rendered text.
fn check(dir: &Path, block: &Block) -> (Vec<Diagnostic>, String) {
    let path = path_of(dir, block);
    let compilation = compile(&path, &block.text, &Options::default());
    let rendered = render_text(&compilation.diagnostics, &compilation.sources, Style::Plain);
    (compilation.diagnostics, rendered)
}

fn report(failures: &[String]) {
    assert!(
        failures.is_empty(),
        "{} example(s) of the documents failed:\n\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn every_block_kind_is_known_and_each_kind_is_used() {
    let blocks = blocks();
    for block in &blocks {
        if block.kind.starts_with("snn") {
            assert!(
                ["snn", "snn-error", "snn-fragment"].contains(&block.kind.as_str()),
                "{}: unknown block kind (snn, snn-error or snn-fragment)",
                block.name()
            );
        }
        assert!(
            !block.kind.is_empty(),
            "{}: a code block needs a kind (use ```text for plain text)",
            block.name()
        );
    }
    for kind in ["snn", "snn-error", "snn-fragment"] {
        assert!(
            blocks.iter().any(|b| b.kind == kind),
            "no ```{kind} block found: is the extraction broken?"
        );
    }
}

#[test]
fn every_snn_block_checks_without_a_diagnostic() {
    let dir = scratch("snn");
    let mut failures = Vec::new();
    for block in of_kind("snn") {
        let (diagnostics, rendered) = check(&dir, &block);
        if !diagnostics.is_empty() {
            failures.push(format!(
                "{}: expected no diagnostic, found:\n{rendered}",
                block.name()
            ));
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    report(&failures);
}

#[test]
fn every_snn_error_block_reports_the_errors_it_names() {
    let dir = scratch("snn-error");
    let mut failures = Vec::new();
    for block in of_kind("snn-error") {
        let (diagnostics, rendered) = check(&dir, &block);
        if diagnostics.is_empty() {
            failures.push(format!(
                "{}: expected at least one diagnostic, found none",
                block.name()
            ));
            continue;
        }
        let named = block
            .text
            .lines()
            .filter_map(|l| l.trim().strip_prefix("// error: "))
            .map(str::trim);
        for code in named {
            let found = diagnostics
                .iter()
                .any(|d| d.code == code || d.code.starts_with(&format!("{code}::")));
            if !found {
                failures.push(format!(
                    "{}: expected `{code}`, found:\n{rendered}",
                    block.name()
                ));
            }
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    report(&failures);
}

#[test]
fn every_snn_fragment_block_parses() {
    let mut failures = Vec::new();
    for block in of_kind("snn-fragment") {
        let mut sources = SourceMap::default();
        let file = sources.add(format!("fragment-{}.snn", block.line), block.text.as_str());
        let (_, diagnostics) = neurc_compiler::front::parse(&block.text, file);
        if !diagnostics.is_empty() {
            let rendered = render_text(&diagnostics, &sources, Style::Plain);
            failures.push(format!(
                "{}: expected to parse, found:\n{rendered}",
                block.name()
            ));
        }
    }
    report(&failures);
}
