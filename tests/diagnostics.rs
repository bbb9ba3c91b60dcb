//! Golden diagnostics: every file in `tests/diagnostics` is a model with
//! mistakes. Its last lines say which errors it must produce and where
//! (`// expect: CODE LINE:COLUMN`, the culprit's first character); the
//! rendered text is compared with a reviewed snapshot in
//! `tests/diagnostics/snapshots` (regenerate with `INSTA_UPDATE=always` and
//! review the diff before committing).

use neurc_compiler::lower::{Options, compile};
use neurc_compiler::render::{Style, render_text};
use std::path::{Path, PathBuf};

fn cases() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir("tests/diagnostics")
        .expect("tests/diagnostics exists")
        .map(|e| e.expect("readable entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "snn"))
        .collect();
    files.sort();
    files
}

/// The `// expect: CODE LINE:COLUMN` lines of a case.
fn expectations(text: &str) -> Vec<String> {
    let mut expected: Vec<String> = text
        .lines()
        .filter_map(|l| l.trim().strip_prefix("// expect: "))
        .map(str::to_string)
        .collect();
    expected.sort();
    expected
}

fn compile_case(path: &Path) -> (Vec<String>, String) {
    let text = std::fs::read_to_string(path).expect("readable case");
    let compilation = compile(path, &text, &Options::default());
    let found = compilation
        .diagnostics
        .iter()
        .map(|d| {
            let (line, column) = d
                .primary_span()
                .map(|s| compilation.sources.line_col(s.file, s.start))
                .unwrap_or((0, 0));
            format!("{} {line}:{column}", d.code)
        })
        .collect();
    let rendered = render_text(&compilation.diagnostics, &compilation.sources, Style::Plain);
    (found, rendered)
}

#[test]
fn there_are_at_least_thirty_distinct_diagnostics() {
    let codes: std::collections::BTreeSet<String> = cases()
        .iter()
        .flat_map(|p| expectations(&std::fs::read_to_string(p).expect("readable case")))
        .map(|e| e.split(' ').next().unwrap_or_default().to_string())
        .collect();
    assert!(
        codes.len() >= 30,
        "only {} distinct codes: {codes:?}",
        codes.len()
    );
}

#[test]
fn every_case_reports_exactly_its_expected_errors_at_their_spans() {
    let mut failures = Vec::new();
    for path in cases() {
        let text = std::fs::read_to_string(&path).expect("readable case");
        let expected = expectations(&text);
        let (mut found, _) = compile_case(&path);
        found.sort();
        if expected.is_empty() || found != expected {
            failures.push(format!(
                "{}:\n  expected {expected:?}\n  found    {found:?}",
                path.display()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn rendered_diagnostics_match_their_reviewed_snapshots() {
    for path in cases() {
        let (_, rendered) = compile_case(&path);
        let name = path
            .file_stem()
            .expect("a file name")
            .to_string_lossy()
            .into_owned();
        insta::with_settings!({
            snapshot_path => "diagnostics/snapshots",
            prepend_module_to_snapshot => false,
            omit_expression => true,
        }, {
            insta::assert_snapshot!(name, rendered);
        });
    }
}
