//! Error recovery: turning a parse error into a diagnostic, and finding
//! where parsing can sensibly resume so that every error of a file is
//! reported, not just the first.
//!
//! Resumption points are found from the token stream alone: the next token
//! that can start an entry (a name followed by `=`, `:` or `/dt`), a
//! section keyword, or an item keyword at the start of a line. Keywords are
//! contextual, so a keyword followed by `=` or `:` is a name, not a
//! resumption point.

use super::expr::unknown_unit;
use super::input::{Input, ParseError, Problem, describe};
use super::vocabulary::{ITEM_KEYWORDS, RESERVED, SECTION_KEYWORDS};
use crate::diagnostic::Diagnostic;
use crate::front::lexer::{Punct, TokenKind};

/// The diagnostic for `err`, raised while parsing a construct that starts
/// at `start`.
///
/// A name directly after a number that could not be parsed as anything
/// (`v = 5 mv }`) is reported as an unknown unit: it is almost always a
/// misspelt unit, and "expected `=` after the name" would mislead.
pub(super) fn to_diagnostic(err: nom::Err<ParseError>, start: Input<'_>) -> Diagnostic {
    let error = match err {
        nom::Err::Error(error) | nom::Err::Failure(error) => error,
        nom::Err::Incomplete(_) => ParseError {
            pos: start.pos,
            problem: Problem::Unexpected,
        },
    };
    let culprit = Input {
        pos: error.pos,
        ..start
    };
    if let Some(diagnostic) = stray_unit(culprit).or_else(|| stray_unit(start)) {
        return diagnostic;
    }
    let found = describe(culprit.token());
    match error.problem {
        Problem::Diagnostic(diagnostic) => *diagnostic,
        Problem::Expected { message, help } => {
            let help = if help.is_empty() {
                "check this line against the syntax in the language reference".into()
            } else {
                help
            };
            Diagnostic::error("neurc::parse::unexpected_token", message)
                .label(culprit.span(), format!("found {found}"))
                .help(help)
        }
        Problem::Unexpected => Diagnostic::error(
            "neurc::parse::unexpected_token",
            format!("unexpected {found}"),
        )
        .label(culprit.span(), "unexpected here")
        .help("check this line against the syntax in the language reference"),
    }
}

/// An unknown unit at `at`: a plain name right after a number on the same
/// line that does not start an entry.
fn stray_unit(at: Input<'_>) -> Option<Diagnostic> {
    let token = at.token();
    let word = at.ident()?;
    let after_number = matches!(at.previous()?.kind, TokenKind::Number { .. });
    let is_keyword = RESERVED.contains(&word)
        || ITEM_KEYWORDS.contains(&word)
        || SECTION_KEYWORDS.contains(&word)
        || word == "hold";
    if !after_number || token.line_start || is_keyword || starts_entry(at) {
        return None;
    }
    Some(unknown_unit(word, token.span))
}

/// Whether a name followed by `=`, `:` or `/ dt` starts at `at`.
pub(super) fn starts_entry(at: Input<'_>) -> bool {
    at.ident().is_some()
        && match at.nth(1).kind {
            TokenKind::Punct(Punct::Eq | Punct::Colon) => true,
            TokenKind::Punct(Punct::Slash) => {
                matches!(&at.nth(2).kind, TokenKind::Ident(word) if word == "dt")
            }
            _ => false,
        }
}

/// Whether `at` is a keyword used as a keyword (not a name being
/// assigned), taken from `keywords`.
fn keyword_in(at: Input<'_>, keywords: &[&str]) -> bool {
    at.ident().is_some_and(|word| keywords.contains(&word))
        && !matches!(
            at.nth(1).kind,
            TokenKind::Punct(Punct::Eq | Punct::Colon | Punct::Slash)
        )
}

/// Whether an item starts at `at`: an item keyword first on its line.
pub(super) fn starts_item(at: Input<'_>) -> bool {
    at.token().line_start && keyword_in(at, ITEM_KEYWORDS)
}

/// Whether a section or item keyword starts the line at `at`, which inside
/// a block means the block was never closed (no entry starts that way).
pub(super) fn starts_outer_construct(at: Input<'_>) -> bool {
    starts_item(at) || (at.token().line_start && keyword_in(at, SECTION_KEYWORDS))
}

/// The diagnostic for a `{` at `open` whose `}` never came before `at`.
pub(super) fn unterminated_block(open: Input<'_>, at: Input<'_>) -> Diagnostic {
    let where_it_ends = if at.at_end() {
        "the file ends here"
    } else {
        "the block should end before this"
    };
    Diagnostic::error(
        "neurc::parse::unterminated_block",
        "this block is never closed",
    )
    .label(open.span(), "this block is never closed")
    .label(at.span(), where_it_ends)
    .help("add `}` where the block ends")
}

/// Tracks `{}` and `()`/`[]` nesting while skipping tokens.
#[derive(Default)]
struct Depth {
    braces: usize,
    groups: usize,
}

impl Depth {
    /// Accounts for the token at `at`; returns whether it is a `}` that
    /// closes the block the skipping started in.
    fn step(&mut self, at: Input<'_>) -> bool {
        match at.token().kind {
            TokenKind::Punct(Punct::LBrace) => self.braces += 1,
            TokenKind::Punct(Punct::RBrace) if self.braces == 0 => return true,
            TokenKind::Punct(Punct::RBrace) => self.braces -= 1,
            TokenKind::Punct(Punct::LParen | Punct::LBracket) => self.groups += 1,
            TokenKind::Punct(Punct::RParen | Punct::RBracket) => {
                self.groups = self.groups.saturating_sub(1);
            }
            _ => {}
        }
        false
    }
}

/// After a bad block entry at `from`: the next entry start in the same
/// block, the block's `}`, or a keyword that starts a line. Within a line,
/// an entry can only start after a complete value (so in `dv/dx = 1` the
/// `dx = 1` is not taken for an entry).
pub(super) fn skip_entry(from: Input<'_>) -> Input<'_> {
    skip(from, |at, depth| {
        depth.braces == 0
            && ((at.token().line_start && (starts_entry(at) || starts_outer_construct(at)))
                || (depth.groups == 0 && follows_value(at) && starts_entry(at)))
    })
}

/// Whether the token before `at` can end a value.
fn follows_value(at: Input<'_>) -> bool {
    at.previous().is_some_and(|token| {
        matches!(
            token.kind,
            TokenKind::Ident(_)
                | TokenKind::Number { .. }
                | TokenKind::Str(_)
                | TokenKind::Punct(Punct::RParen | Punct::RBracket | Punct::RBrace)
        )
    })
}

/// After a bad section at `from`: the next section keyword in the same
/// model, the model's `}`, or an item keyword that starts a line.
pub(super) fn skip_section(from: Input<'_>) -> Input<'_> {
    skip(from, |at, depth| {
        (depth.braces == 0 && keyword_in(at, SECTION_KEYWORDS)) || starts_item(at)
    })
}

/// After a bad item at `from`: the next item keyword that starts a line.
pub(super) fn skip_item(from: Input<'_>) -> Input<'_> {
    let mut at = from.next();
    while !at.at_end() && !starts_item(at) {
        at = at.next();
    }
    at
}

/// Moves past the token at `from`, then to the first token where
/// `resume` holds or a `}` closes the enclosing block.
fn skip<'c>(from: Input<'c>, resume: impl Fn(Input<'c>, &Depth) -> bool) -> Input<'c> {
    let mut depth = Depth::default();
    depth.step(from);
    let mut at = from.next();
    while !at.at_end() && !resume(at, &depth) && !depth.step(at) {
        at = at.next();
    }
    at
}
