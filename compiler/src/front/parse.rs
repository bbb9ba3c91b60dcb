//! The parser: source text to [`Program`], with every error of the file.
//!
//! The lexer ([`crate::front::lexer`]) turns the text into tokens and
//! comments; nom combinators over the token list build the tree
//! ([`items`] → [`model`] and [`entries`] → [`expr`]); the comments are
//! attached to the finished tree ([`comments`]). Errors never stop the
//! parse: the lexer skips what it cannot read, and the parser reports a bad
//! entry, section or item and resumes at the next one ([`recover`]), so one
//! run reports every independent mistake. The tree returned alongside
//! errors holds every construct that parsed.

mod block;
mod comments;
mod entries;
mod expr;
mod input;
mod items;
mod model;
mod recover;
pub(super) mod vocabulary;

use crate::diagnostic::Diagnostic;
use crate::front::ast::Program;
use crate::front::lexer::lex;
use input::{Context, Input};
use neurc_ir::FileId;

pub use input::MAX_NESTING;

/// Parses a source file. Spans are byte offsets into `source` in `file`.
///
/// Returns the syntax tree of everything that parsed and the diagnostics of
/// everything that did not, sorted by position; no diagnostics means the
/// file is well-formed. Never panics, whatever the input: nesting deeper
/// than [`MAX_NESTING`] is reported as `neurc::parse::too_deep`.
pub fn parse(source: &str, file: FileId) -> (Program, Vec<Diagnostic>) {
    let lexed = lex(source, file);
    let context = Context::new(&lexed.tokens);
    let mut program = Program {
        items: items::items(Input::start(&context)),
        trailing_comments: Vec::new(),
    };
    comments::attach(&mut program, lexed.comments, source);
    let mut diagnostics = lexed.diagnostics;
    diagnostics.extend(context.into_diagnostics());
    diagnostics.sort_by_key(|d| d.primary_span().map(|span| span.start));
    (program, diagnostics)
}
