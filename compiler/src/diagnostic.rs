//! Diagnostics: what the front end and the passes report about a source
//! file, with the spans they are about and a hint on how to fix them.
//!
//! Inside the compiler a [`Diagnostic`] is plain data; [`render`] turns a
//! list of them into the text a person reads (via miette, with a caret under
//! the culprit) or into JSON for tools.

use neurc_ir::{FileId, Span};
use std::path::{Path, PathBuf};

/// One problem found in a source file.
#[derive(Clone, PartialEq, Debug)]
pub struct Diagnostic {
    /// A stable machine-readable code, `neurc::<area>::<what>`.
    pub code: &'static str,
    /// What is wrong, in one sentence.
    pub message: String,
    /// The spans it is about; the first is the culprit.
    pub labels: Vec<Label>,
    /// How to fix it.
    pub help: Option<String>,
}

/// A span with a short note under it.
#[derive(Clone, PartialEq, Debug)]
pub struct Label {
    /// Where.
    pub span: Span,
    /// What to say there.
    pub message: String,
}

impl Diagnostic {
    /// An error with a code and a message and no labels yet.
    pub fn error(code: &'static str, message: impl Into<String>) -> Self {
        Diagnostic {
            code,
            message: message.into(),
            labels: Vec::new(),
            help: None,
        }
    }

    /// Adds a label; the first label added marks the culprit.
    pub fn label(mut self, span: Span, message: impl Into<String>) -> Self {
        self.labels.push(Label {
            span,
            message: message.into(),
        });
        self
    }

    /// Sets the hint.
    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// The culprit's span, if any.
    pub fn primary_span(&self) -> Option<Span> {
        self.labels.first().map(|l| l.span)
    }
}

/// A source file the compiler has read.
#[derive(Clone, Debug)]
pub struct SourceFile {
    /// Its path as given (the root file) or as resolved (imports).
    pub path: PathBuf,
    /// Its text.
    pub text: String,
}

/// Every source file of a compilation, indexed by [`FileId`].
#[derive(Clone, Debug, Default)]
pub struct SourceMap {
    files: Vec<SourceFile>,
}

impl SourceMap {
    /// Adds a file and returns its id.
    pub fn add(&mut self, path: impl Into<PathBuf>, text: impl Into<String>) -> FileId {
        self.files.push(SourceFile {
            path: path.into(),
            text: text.into(),
        });
        FileId(u32::try_from(self.files.len() - 1).unwrap_or(u32::MAX))
    }

    /// The file with this id.
    pub fn get(&self, id: FileId) -> Option<&SourceFile> {
        self.files.get(id.0 as usize)
    }

    /// The id of the file with this path, if it was read.
    pub fn find(&self, path: &Path) -> Option<FileId> {
        self.files
            .iter()
            .position(|f| f.path == path)
            .map(|i| FileId(i as u32))
    }

    /// Every file in id order.
    pub fn files(&self) -> &[SourceFile] {
        &self.files
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, file: FileId, offset: u32) -> (usize, usize) {
        let Some(f) = self.get(file) else {
            return (0, 0);
        };
        let offset = (offset as usize).min(f.text.len());
        let before = &f.text[..floor_char_boundary(&f.text, offset)];
        let line = before.matches('\n').count() + 1;
        let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        (line, col)
    }
}

fn floor_char_boundary(text: &str, mut offset: usize) -> usize {
    while offset > 0 && !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}
