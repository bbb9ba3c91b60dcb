//! Turning diagnostics into what people and tools read: text with the
//! source line and a caret under the culprit (rendered by miette), or JSON
//! with file, line and column.

use crate::diagnostic::{Diagnostic, SourceMap};
use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource, SourceSpan};
use serde::Serialize;
use std::fmt;

/// How text diagnostics are drawn.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Style {
    /// Unicode box drawing without colour: stable, for files, pipes and tests.
    Plain,
    /// With ANSI colour, for terminals.
    Colour,
}

/// Renders every diagnostic as text, separated by blank lines.
pub fn render_text(diagnostics: &[Diagnostic], sources: &SourceMap, style: Style) -> String {
    let theme = match style {
        Style::Plain => GraphicalTheme::unicode_nocolor(),
        Style::Colour => GraphicalTheme::unicode(),
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(100)
        .with_links(false);
    let mut out = String::new();
    for (i, diagnostic) in diagnostics.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let report = Report::new(diagnostic, sources);
        if handler.render_report(&mut out, &report).is_err() {
            out.push_str(&format!(
                "error[{}]: {}\n",
                diagnostic.code, diagnostic.message
            ));
        }
    }
    out
}

/// Where a label points, for JSON output.
#[derive(Serialize, Debug)]
pub struct JsonLabel {
    /// The file's path.
    pub file: String,
    /// 1-based line of the first character.
    pub line: usize,
    /// 1-based column (in characters) of the first character.
    pub column: usize,
    /// 1-based line of the end.
    pub end_line: usize,
    /// 1-based column of the end (exclusive).
    pub end_column: usize,
    /// The note under the span.
    pub message: String,
}

/// A diagnostic for tools.
#[derive(Serialize, Debug)]
pub struct JsonDiagnostic {
    /// Always `"error"` for now.
    pub severity: &'static str,
    /// The stable code.
    pub code: &'static str,
    /// What is wrong.
    pub message: String,
    /// Where, culprit first.
    pub labels: Vec<JsonLabel>,
    /// How to fix it.
    pub help: Option<String>,
}

/// Every diagnostic in machine-readable form.
pub fn to_json(diagnostics: &[Diagnostic], sources: &SourceMap) -> Vec<JsonDiagnostic> {
    diagnostics
        .iter()
        .map(|d| JsonDiagnostic {
            severity: "error",
            code: d.code,
            message: d.message.clone(),
            labels: d
                .labels
                .iter()
                .map(|l| {
                    let (line, column) = sources.line_col(l.span.file, l.span.start);
                    let (end_line, end_column) = sources.line_col(l.span.file, l.span.end);
                    JsonLabel {
                        file: sources
                            .get(l.span.file)
                            .map(|f| f.path.display().to_string())
                            .unwrap_or_default(),
                        line,
                        column,
                        end_line,
                        end_column,
                        message: l.message.clone(),
                    }
                })
                .collect(),
            help: d.help.clone(),
        })
        .collect()
}

/// A diagnostic with its source, in the shape miette renders. Labels in
/// other files than the culprit's are turned into notes with their place.
struct Report {
    code: &'static str,
    message: String,
    help: Option<String>,
    labels: Vec<LabeledSpan>,
    source: Option<NamedSource<String>>,
}

impl Report {
    fn new(d: &Diagnostic, sources: &SourceMap) -> Self {
        let primary = d.primary_span();
        let file = primary.and_then(|s| sources.get(s.file));
        let mut notes = Vec::new();
        let mut labels = Vec::new();
        for (i, label) in d.labels.iter().enumerate() {
            if Some(label.span.file) == primary.map(|s| s.file) {
                let span = SourceSpan::new((label.span.start as usize).into(), label.span.len());
                labels.push(if i == 0 {
                    LabeledSpan::new_primary_with_span(Some(label.message.clone()), span)
                } else {
                    LabeledSpan::new_with_span(Some(label.message.clone()), span)
                });
            } else {
                let (line, col) = sources.line_col(label.span.file, label.span.start);
                let path = sources
                    .get(label.span.file)
                    .map(|f| f.path.display().to_string())
                    .unwrap_or_default();
                notes.push(format!("{}: {path}:{line}:{col}", label.message));
            }
        }
        let help = match (&d.help, notes.is_empty()) {
            (help, true) => help.clone(),
            (Some(help), false) => Some(format!("{help}\n{}", notes.join("\n"))),
            (None, false) => Some(notes.join("\n")),
        };
        Report {
            code: d.code,
            message: d.message.clone(),
            help,
            labels,
            source: file.map(|f| NamedSource::new(f.path.display().to_string(), f.text.clone())),
        }
    }
}

impl fmt::Debug for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Report {}

impl miette::Diagnostic for Report {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(self.code))
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.source.as_ref().map(|s| s as &dyn miette::SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        Some(Box::new(self.labels.iter().cloned()))
    }
}
