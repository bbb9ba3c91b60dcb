//! The parser's input — a position in the token list — and the token-level
//! primitives the nom combinators are built from.
//!
//! The input carries a reference to the shared [`Context`], which holds
//! what no single parser owns: the nesting depth (so deeply nested
//! expressions stop with a diagnostic instead of overflowing the stack) and
//! the diagnostics of errors the parser recovered from.

use super::vocabulary::RESERVED;
use crate::diagnostic::Diagnostic;
use crate::front::ast::{Ident, Loc};
use crate::front::lexer::{Punct, Token, TokenKind};
use neurc_ir::Span;
use nom::{IResult, InputLength};
use std::borrow::Cow;
use std::cell::{Cell, RefCell};

/// How deeply expressions may nest (parentheses, operators, calls, lists)
/// before the parser gives up with `neurc::parse::too_deep`.
pub const MAX_NESTING: usize = 256;

/// What every parser of one file shares.
pub(super) struct Context<'c> {
    /// The tokens, ending with [`TokenKind::Eof`].
    pub(super) tokens: &'c [Token],
    depth: Cell<usize>,
    diagnostics: RefCell<Vec<Diagnostic>>,
}

impl<'c> Context<'c> {
    /// A context over `tokens`, which must end with an end-of-file token.
    pub(super) fn new(tokens: &'c [Token]) -> Self {
        Context {
            tokens,
            depth: Cell::new(0),
            diagnostics: RefCell::new(Vec::new()),
        }
    }

    /// Records an error the parser recovered from.
    pub(super) fn report(&self, diagnostic: Diagnostic) {
        self.diagnostics.borrow_mut().push(diagnostic);
    }

    /// The recorded errors.
    pub(super) fn into_diagnostics(self) -> Vec<Diagnostic> {
        self.diagnostics.into_inner()
    }
}

/// A position in the token list.
#[derive(Clone, Copy)]
pub(super) struct Input<'c> {
    /// The shared context.
    pub(super) ctx: &'c Context<'c>,
    /// Index of the next token.
    pub(super) pos: usize,
}

impl InputLength for Input<'_> {
    /// Tokens left before the end-of-file token.
    fn input_len(&self) -> usize {
        self.ctx.tokens.len().saturating_sub(self.pos + 1)
    }
}

impl<'c> Input<'c> {
    /// The start of the token list.
    pub(super) fn start(ctx: &'c Context<'c>) -> Self {
        Input { ctx, pos: 0 }
    }

    /// The token `n` places ahead; the end-of-file token past the end.
    pub(super) fn nth(&self, n: usize) -> &'c Token {
        let last = self.ctx.tokens.len().saturating_sub(1);
        &self.ctx.tokens[(self.pos + n).min(last)]
    }

    /// The next token.
    pub(super) fn token(&self) -> &'c Token {
        self.nth(0)
    }

    /// The token before this position, if any.
    pub(super) fn previous(&self) -> Option<&'c Token> {
        self.pos.checked_sub(1).and_then(|p| self.ctx.tokens.get(p))
    }

    /// The position after the next token (never past end of file).
    pub(super) fn next(self) -> Self {
        let last = self.ctx.tokens.len().saturating_sub(1);
        Input {
            pos: (self.pos + 1).min(last),
            ..self
        }
    }

    /// Whether only the end-of-file token is left.
    pub(super) fn at_end(&self) -> bool {
        self.token().kind == TokenKind::Eof
    }

    /// The span of the next token.
    pub(super) fn span(&self) -> Span {
        self.token().span
    }

    /// The span from the first token of `start` to the last token before
    /// this position.
    pub(super) fn span_from(&self, start: Input<'c>) -> Span {
        let first = start.span();
        match self.previous() {
            Some(last) if self.pos > start.pos => first.to(last.span),
            _ => Span {
                end: first.start,
                ..first
            },
        }
    }

    /// Whether the next token is this mark.
    pub(super) fn is_punct(&self, mark: Punct) -> bool {
        self.token().kind == TokenKind::Punct(mark)
    }

    /// The next token's text if it is an identifier.
    pub(super) fn ident(&self) -> Option<&'c str> {
        match &self.token().kind {
            TokenKind::Ident(name) => Some(name),
            _ => None,
        }
    }

    /// Whether the next token is this identifier.
    pub(super) fn is_ident(&self, word: &str) -> bool {
        self.ident() == Some(word)
    }
}

/// What went wrong where, as the combinators pass it up.
#[derive(Debug)]
pub(super) struct ParseError {
    /// Index of the culprit token.
    pub(super) pos: usize,
    /// What went wrong.
    pub(super) problem: Problem,
}

/// The kinds of parse error.
#[derive(Debug)]
pub(super) enum Problem {
    /// Something specific was expected at the culprit token.
    Expected {
        /// What was expected (`expected `=` after the parameter name`).
        message: Cow<'static, str>,
        /// How to fix it.
        help: Cow<'static, str>,
    },
    /// A complete diagnostic (reserved word, bad equation, unclosed
    /// delimiter, ...).
    Diagnostic(Box<Diagnostic>),
    /// A combinator failed without saying what it wanted.
    Unexpected,
}

impl Problem {
    /// How much a problem says, to keep the most helpful of two errors at
    /// the same token.
    fn specificity(&self) -> u8 {
        match self {
            Problem::Unexpected => 0,
            Problem::Expected { .. } => 1,
            Problem::Diagnostic(_) => 2,
        }
    }
}

impl<'c> nom::error::ParseError<Input<'c>> for ParseError {
    fn from_error_kind(input: Input<'c>, _: nom::error::ErrorKind) -> Self {
        ParseError {
            pos: input.pos,
            problem: Problem::Unexpected,
        }
    }

    fn append(_: Input<'c>, _: nom::error::ErrorKind, other: Self) -> Self {
        other
    }

    /// Keeps the error that got furthest, and of two at the same token the
    /// more specific one: that is the one that explains the mistake.
    fn or(self, other: Self) -> Self {
        let other_better = other.pos > self.pos
            || (other.pos == self.pos && other.problem.specificity() > self.problem.specificity());
        if other_better { other } else { self }
    }
}

/// The result of a parser.
pub(super) type PResult<'c, O> = IResult<Input<'c>, O, ParseError>;

/// A recoverable error: `message` was expected at `at`.
pub(super) fn expected(
    at: Input<'_>,
    message: impl Into<Cow<'static, str>>,
    help: impl Into<Cow<'static, str>>,
) -> nom::Err<ParseError> {
    nom::Err::Error(ParseError {
        pos: at.pos,
        problem: Problem::Expected {
            message: message.into(),
            help: help.into(),
        },
    })
}

/// A committed error with a complete diagnostic, culprit at `at`.
pub(super) fn failure(at: Input<'_>, diagnostic: Diagnostic) -> nom::Err<ParseError> {
    nom::Err::Failure(ParseError {
        pos: at.pos,
        problem: Problem::Diagnostic(Box::new(diagnostic)),
    })
}

/// Counts nesting levels entered by one parser and leaves them when
/// dropped, on success and on error alike.
pub(super) struct Nesting<'c> {
    ctx: &'c Context<'c>,
    levels: usize,
}

impl<'c> Nesting<'c> {
    /// No levels entered yet.
    pub(super) fn new(ctx: &'c Context<'c>) -> Self {
        Nesting { ctx, levels: 0 }
    }

    /// Enters one more level at `at`; fails with `too_deep` past
    /// [`MAX_NESTING`].
    pub(super) fn deeper(&mut self, at: Input<'c>) -> Result<(), nom::Err<ParseError>> {
        let depth = self.ctx.depth.get() + 1;
        self.ctx.depth.set(depth);
        self.levels += 1;
        if depth <= MAX_NESTING {
            return Ok(());
        }
        let diagnostic = Diagnostic::error(
            "neurc::parse::too_deep",
            format!("expression nested more than {MAX_NESTING} levels deep"),
        )
        .label(at.span(), "the nesting limit is reached here")
        .help("split the expression into smaller named parts, for example with `const` items");
        Err(failure(at, diagnostic))
    }
}

impl Drop for Nesting<'_> {
    fn drop(&mut self) {
        self.ctx
            .depth
            .set(self.ctx.depth.get().saturating_sub(self.levels));
    }
}

/// Matches one mark.
pub(super) fn punct<'c>(mark: Punct) -> impl Fn(Input<'c>) -> PResult<'c, Span> {
    move |i: Input<'c>| {
        if i.is_punct(mark) {
            Ok((i.next(), i.span()))
        } else {
            Err(expected(i, format!("expected `{}`", mark.text()), ""))
        }
    }
}

/// Matches one mark, or fails with a message saying why it was needed.
pub(super) fn expect_punct<'c>(
    mark: Punct,
    message: impl Into<Cow<'static, str>>,
    help: impl Into<Cow<'static, str>>,
) -> impl Fn(Input<'c>) -> PResult<'c, Span> {
    let (message, help) = (message.into(), help.into());
    move |i: Input<'c>| {
        if i.is_punct(mark) {
            Ok((i.next(), i.span()))
        } else {
            Err(expected(i, message.clone(), help.clone()))
        }
    }
}

/// Matches a contextual keyword.
pub(super) fn keyword<'c>(word: &'static str) -> impl Fn(Input<'c>) -> PResult<'c, Span> {
    move |i: Input<'c>| {
        if i.is_ident(word) {
            Ok((i.next(), i.span()))
        } else {
            Err(expected(i, format!("expected `{word}`"), ""))
        }
    }
}

/// Matches a name; `what` says what it names, for messages ("parameter").
/// A reserved word is an error, recoverable so that `alt` can try an
/// expression instead (`not x` as a call argument).
pub(super) fn name<'c>(what: &'static str) -> impl Fn(Input<'c>) -> PResult<'c, Ident> {
    move |i: Input<'c>| match i.ident() {
        Some(word) if RESERVED.contains(&word) => Err(nom::Err::Error(ParseError {
            pos: i.pos,
            problem: Problem::Diagnostic(Box::new(reserved_word(word, i.span()))),
        })),
        Some(word) => Ok((
            i.next(),
            Ident {
                name: word.to_string(),
                loc: Loc(i.span()),
            },
        )),
        None => Err(expected(
            i,
            format!("expected a {what} name"),
            "names start with a letter or `_`, followed by letters, digits or `_`",
        )),
    }
}

/// The diagnostic for a reserved word used as a name.
pub(super) fn reserved_word(word: &str, span: Span) -> Diagnostic {
    Diagnostic::error(
        "neurc::parse::reserved_word",
        format!("`{word}` is a reserved word and cannot be used as a name"),
    )
    .label(span, "reserved word")
    .help(format!(
        "choose another name, such as `{word}_`; the reserved words are `true`, `false`, `and`, `or` and `not`"
    ))
}

/// How a token reads in a message: `` `tau` ``, `a number`, `the end of
/// the file`.
pub(super) fn describe(token: &Token) -> String {
    match &token.kind {
        TokenKind::Ident(word) => format!("`{word}`"),
        TokenKind::Number { .. } => "a number".to_string(),
        TokenKind::Str(_) => "a string".to_string(),
        TokenKind::Punct(mark) => format!("`{}`", mark.text()),
        TokenKind::Eof => "the end of the file".to_string(),
    }
}

/// Runs `parser` and also returns the span of the tokens it consumed.
pub(super) fn spanned<'c, O>(
    mut parser: impl FnMut(Input<'c>) -> PResult<'c, O>,
) -> impl FnMut(Input<'c>) -> PResult<'c, (O, Loc)> {
    move |i: Input<'c>| {
        let (rest, output) = parser(i)?;
        Ok((rest, (output, Loc(rest.span_from(i)))))
    }
}
