//! Splits source text into tokens and comments.
//!
//! The lexer never stops at a bad character or literal: it reports a
//! diagnostic, emits the closest sensible token (a bad number still becomes a
//! number, an unterminated string still becomes a string) and goes on, so the
//! parser sees a stream it can work with and every lexical error of a file is
//! reported in one run. Comments are returned beside the tokens, not in them;
//! the parser attaches them to the syntax tree once the tree is built.

use super::parse::vocabulary::unit_suggestion;
use crate::diagnostic::Diagnostic;
use neurc_ir::units::lookup_unit;
use neurc_ir::{FileId, Span};
use nom::IResult;
use nom::branch::alt;
use nom::bytes::complete::{tag, take_till};
use nom::character::complete::{alpha1, alphanumeric1, char, digit1, multispace0, one_of};
use nom::combinator::{opt, recognize, value};
use nom::multi::{many0, many0_count};
use nom::sequence::{pair, preceded, tuple};

/// An operator or punctuation mark.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Punct {
    /// `+`
    Plus,
    /// `-`
    Minus,
    /// `*`
    Star,
    /// `/`
    Slash,
    /// `^`
    Caret,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `==`
    EqEq,
    /// `!=`
    Ne,
    /// `=`
    Eq,
    /// `->`
    Arrow,
    /// `:`
    Colon,
    /// `,`
    Comma,
    /// `.`
    Dot,
    /// `..`
    DotDot,
    /// `(`
    LParen,
    /// `)`
    RParen,
    /// `[`
    LBracket,
    /// `]`
    RBracket,
    /// `{`
    LBrace,
    /// `}`
    RBrace,
}

impl Punct {
    /// The text of the mark, for messages.
    pub(super) fn text(self) -> &'static str {
        match self {
            Punct::Plus => "+",
            Punct::Minus => "-",
            Punct::Star => "*",
            Punct::Slash => "/",
            Punct::Caret => "^",
            Punct::Lt => "<",
            Punct::Le => "<=",
            Punct::Gt => ">",
            Punct::Ge => ">=",
            Punct::EqEq => "==",
            Punct::Ne => "!=",
            Punct::Eq => "=",
            Punct::Arrow => "->",
            Punct::Colon => ":",
            Punct::Comma => ",",
            Punct::Dot => ".",
            Punct::DotDot => "..",
            Punct::LParen => "(",
            Punct::RParen => ")",
            Punct::LBracket => "[",
            Punct::RBracket => "]",
            Punct::LBrace => "{",
            Punct::RBrace => "}",
        }
    }
}

/// What a token is.
#[derive(Clone, PartialEq, Debug)]
pub(super) enum TokenKind {
    /// A name or keyword: keywords are contextual, so the parser decides.
    Ident(String),
    /// A number literal; `integer` when written without fraction or
    /// exponent (unit powers must be integers).
    Number {
        /// Its value.
        value: f64,
        /// Whether it was written as a plain integer.
        integer: bool,
    },
    /// A string literal, escapes resolved.
    Str(String),
    /// An operator or punctuation mark.
    Punct(Punct),
    /// The end of the file; always the last token.
    Eof,
}

/// A token with where it was written.
#[derive(Clone, PartialEq, Debug)]
pub(super) struct Token {
    /// What it is.
    pub(super) kind: TokenKind,
    /// Where.
    pub(super) span: Span,
    /// Whether it is the first token on its line, which is how error
    /// recovery finds the start of the next item or entry.
    pub(super) line_start: bool,
}

/// A `// ...` comment.
#[derive(Clone, PartialEq, Debug)]
pub(super) struct Comment {
    /// The text after `//`, verbatim except for a trailing carriage return.
    pub(super) text: String,
    /// Where, including the `//`.
    pub(super) span: Span,
}

/// The output of [`lex`].
#[derive(Debug, Default)]
pub(super) struct Lexed {
    /// The tokens, ending with [`TokenKind::Eof`].
    pub(super) tokens: Vec<Token>,
    /// The comments in source order.
    pub(super) comments: Vec<Comment>,
    /// Lexical errors.
    pub(super) diagnostics: Vec<Diagnostic>,
}

/// Splits `source` into tokens and comments.
pub(super) fn lex(source: &str, file: FileId) -> Lexed {
    let mut lexer = Lexer {
        source,
        file,
        rest: source,
        line_start: true,
        out: Lexed::default(),
    };
    lexer.run();
    lexer.out
}

/// The state of one run of the lexer.
struct Lexer<'s> {
    source: &'s str,
    file: FileId,
    rest: &'s str,
    line_start: bool,
    out: Lexed,
}

impl<'s> Lexer<'s> {
    fn run(&mut self) {
        loop {
            let (rest, blank) = whitespace(self.rest);
            if blank.contains('\n') {
                self.line_start = true;
            }
            self.rest = rest;
            let Some(first) = rest.chars().next() else {
                break;
            };
            if let Ok((after, text)) = comment(rest) {
                let span = self.span_to(after);
                self.out.comments.push(Comment {
                    text: text.trim_end_matches('\r').to_string(),
                    span,
                });
                self.rest = after;
            } else if first.is_ascii_digit() {
                self.number();
            } else if rest.starts_with('.') && rest[1..].starts_with(|c: char| c.is_ascii_digit()) {
                self.leading_dot_number();
            } else if first == '"' {
                self.string();
            } else if let Ok((after, name)) = identifier(rest) {
                self.push(TokenKind::Ident(name.to_string()), after);
            } else if let Ok((after, mark)) = punct(rest) {
                self.push(TokenKind::Punct(mark), after);
            } else {
                self.unexpected_character(first);
            }
        }
        let end = Span::new(self.file, self.source.len(), self.source.len());
        self.out.tokens.push(Token {
            kind: TokenKind::Eof,
            span: end,
            line_start: true,
        });
    }

    /// Byte offset of the start of `rest` in the source.
    fn offset(&self, rest: &str) -> usize {
        self.source.len() - rest.len()
    }

    /// The span from the current position to where `after` starts.
    fn span_to(&self, after: &str) -> Span {
        Span::new(self.file, self.offset(self.rest), self.offset(after))
    }

    /// Emits a token covering the text up to `after` and moves past it.
    fn push(&mut self, kind: TokenKind, after: &'s str) {
        let span = self.span_to(after);
        self.out.tokens.push(Token {
            kind,
            span,
            line_start: self.line_start,
        });
        self.line_start = false;
        self.rest = after;
    }

    fn error(&mut self, diagnostic: Diagnostic) {
        self.out.diagnostics.push(diagnostic);
    }

    fn unexpected_character(&mut self, found: char) {
        let after = &self.rest[found.len_utf8()..];
        let span = self.span_to(after);
        self.error(
            Diagnostic::error(
                "neurc::parse::unexpected_token",
                format!("unexpected character `{}`", found.escape_debug()),
            )
            .label(span, "not part of the language")
            .help("remove it; the operators are + - * / ^ < <= > >= == != = -> : , .. ( ) [ ] { }"),
        );
        self.rest = after;
    }

    /// A number literal, possibly followed directly by a unit symbol
    /// (`20ms`), which becomes a separate identifier token.
    fn number(&mut self) {
        let start = self.rest;
        let Ok((after, literal)) = number_literal(start) else {
            // We are at a digit, so a literal always matches; a lexer must
            // not panic all the same.
            return self.bad_number(literal_extent(start), "write digits, as in `42`");
        };
        let malformed = match after.chars().next() {
            Some('.') if !after.starts_with("..") => {
                Some("a `.` must be followed by digits, as in `3.5`")
            }
            Some('_') => Some("underscores may only separate digits, as in `10_000`"),
            Some('e' | 'E') => Some("an exponent needs digits, as in `1e-3`"),
            _ => None,
        };
        if let Some(help) = malformed {
            return self.bad_number(literal_extent(start), help);
        }
        let value = literal_value(literal);
        if !value.is_finite() {
            let span = self.span_to(after);
            self.error(
                Diagnostic::error(
                    "neurc::parse::bad_number",
                    format!("number `{literal}` is too large"),
                )
                .label(span, "does not fit in a 64-bit float")
                .help("write a smaller number, or use a unit with a larger prefix"),
            );
        }
        let integer = !literal.contains(['.', 'e', 'E']);
        let value = if value.is_finite() { value } else { 0.0 };
        self.push(TokenKind::Number { value, integer }, after);
        if let Ok((after_unit, letters)) = identifier(after)
            && lookup_unit(letters).is_none()
        {
            self.unknown_attached_unit(literal, letters, after_unit);
        }
    }

    /// A number followed directly by letters that are not a unit symbol
    /// (`5mv`, `12abc`): an unknown unit when the letters are close to a
    /// unit symbol, else a bad literal. The letters are dropped so that
    /// parsing can go on.
    fn unknown_attached_unit(&mut self, literal: &str, letters: &str, after: &'s str) {
        let letters_start = self.offset(self.rest);
        let letters_span = Span::new(self.file, letters_start, self.offset(after));
        let diagnostic = if let Some(help) = unit_suggestion(letters) {
            Diagnostic::error(
                "neurc::parse::unknown_unit",
                format!("unknown unit `{letters}`"),
            )
            .label(letters_span, "not a unit symbol")
            .help(help)
        } else {
            let literal_span = Span::new(
                self.file,
                letters_start - literal.len(),
                letters_span.end as usize,
            );
            let message = format!("invalid number literal `{literal}{letters}`");
            Diagnostic::error("neurc::parse::bad_number", message)
                .label(literal_span, "a number directly followed by letters that are not a unit")
                .help("put a space or an operator between a number and a name, or write a unit such as `ms`")
        };
        self.error(diagnostic);
        self.rest = after;
    }

    /// Reports a malformed literal covering `extent` bytes and emits a zero
    /// in its place.
    fn bad_number(&mut self, extent: usize, help: &str) {
        let after = &self.rest[extent..];
        let text = &self.rest[..extent];
        let span = self.span_to(after);
        self.error(
            Diagnostic::error(
                "neurc::parse::bad_number",
                format!("invalid number literal `{text}`"),
            )
            .label(span, "not a valid number")
            .help(help.to_string()),
        );
        self.push(
            TokenKind::Number {
                value: 0.0,
                integer: false,
            },
            after,
        );
    }

    /// `.5`: a fraction without its leading zero.
    fn leading_dot_number(&mut self) {
        let extent = 1 + literal_extent(&self.rest[1..]);
        let text = &self.rest[..extent];
        let value = literal_value(&format!("0{text}"));
        let after = &self.rest[extent..];
        let span = self.span_to(after);
        self.error(
            Diagnostic::error(
                "neurc::parse::bad_number",
                format!("invalid number literal `{text}`"),
            )
            .label(span, "a number must start with a digit")
            .help(format!("write a leading zero: `0{text}`")),
        );
        let value = if value.is_finite() { value } else { 0.0 };
        self.push(
            TokenKind::Number {
                value,
                integer: false,
            },
            after,
        );
    }

    /// A string literal; reports bad escapes and a missing closing quote.
    fn string(&mut self) {
        let open = self.rest;
        let mut rest = &open[1..];
        let mut text = String::new();
        loop {
            let (after, chunk) = string_chunk(rest);
            text.push_str(chunk);
            rest = after;
            if let Some(after) = rest.strip_prefix('"') {
                self.push(TokenKind::Str(text), after);
                return;
            }
            if let Ok((after, escaped)) = escape(rest) {
                text.push(escaped);
                rest = after;
                continue;
            }
            match rest.strip_prefix('\\').and_then(|r| r.chars().next()) {
                Some(other) if other != '\n' => {
                    let escape_start = self.offset(rest);
                    rest = &rest[1 + other.len_utf8()..];
                    let span = Span::new(self.file, escape_start, self.offset(rest));
                    self.error(
                        Diagnostic::error(
                            "neurc::parse::bad_escape",
                            format!("unknown escape `\\{}` in a string", other.escape_debug()),
                        )
                        .label(span, "not an escape the language knows")
                        .help("the only escapes are `\\\"` and `\\\\`"),
                    );
                }
                _ => break,
            }
        }
        self.unterminated_string(open, &text);
    }

    /// A string with no closing quote before the end of its line: reported,
    /// and kept as a string of what was read.
    fn unterminated_string(&mut self, open: &'s str, text: &str) {
        let (after, _) = string_line(open);
        let start = self.offset(open);
        self.error(
            Diagnostic::error("neurc::parse::unterminated_string", "unterminated string")
                .label(
                    Span::new(self.file, start, start + 1),
                    "this string is never closed",
                )
                .help("close the string with `\"` on the same line; strings cannot span lines"),
        );
        let content = text.trim_end_matches('\r').to_string();
        self.push(TokenKind::Str(content), after);
    }
}

/// Spaces, tabs, carriage returns and newlines.
fn whitespace(input: &str) -> (&str, &str) {
    multispace0::<_, nom::error::Error<&str>>(input).unwrap_or((input, ""))
}

/// `// text` up to the end of the line; yields the text after `//`.
fn comment(input: &str) -> IResult<&str, &str> {
    preceded(tag("//"), take_till(|c| c == '\n'))(input)
}

/// `[A-Za-z_][A-Za-z0-9_]*`.
fn identifier(input: &str) -> IResult<&str, &str> {
    recognize(pair(
        alt((alpha1, tag("_"))),
        many0_count(alt((alphanumeric1, tag("_")))),
    ))(input)
}

/// Digits with single underscores between them: `10_000`.
fn digits(input: &str) -> IResult<&str, &str> {
    recognize(pair(digit1, many0(pair(char('_'), digit1))))(input)
}

/// The longest valid number literal at the start of `input`:
/// `digits ('.' digits)? ([eE] [+-]? digits)?`.
fn number_literal(input: &str) -> IResult<&str, &str> {
    recognize(tuple((
        digits,
        opt(pair(char('.'), digits)),
        opt(tuple((one_of("eE"), opt(one_of("+-")), digits))),
    )))(input)
}

/// The value of a literal that [`number_literal`] accepted (or `0.` plus a
/// fraction); infinite when it overflows.
fn literal_value(literal: &str) -> f64 {
    literal.replace('_', "").parse().unwrap_or(f64::NAN)
}

/// The length in bytes of a malformed literal: digits, letters,
/// underscores, single dots and exponent signs, stopping at `..`.
fn literal_extent(input: &str) -> usize {
    let bytes = input.as_bytes();
    let mut end = 0;
    while end < bytes.len() {
        let byte = bytes[end];
        let continues = byte.is_ascii_alphanumeric()
            || byte == b'_'
            || (byte == b'.'
                && bytes.get(end + 1) != Some(&b'.')
                && (end == 0 || bytes[end - 1] != b'.'))
            || (matches!(byte, b'+' | b'-') && end > 0 && matches!(bytes[end - 1], b'e' | b'E'));
        if !continues {
            break;
        }
        end += 1;
    }
    end.max(1)
}

/// A run of string characters without escapes, quotes or newlines.
fn string_chunk(input: &str) -> (&str, &str) {
    take_till::<_, _, nom::error::Error<&str>>(|c| matches!(c, '"' | '\\' | '\n'))(input)
        .unwrap_or((input, ""))
}

/// One of the two escapes, `\"` and `\\`.
fn escape(input: &str) -> IResult<&str, char> {
    alt((value('"', tag("\\\"")), value('\\', tag("\\\\"))))(input)
}

/// The rest of the line from `input`, without the newline.
fn string_line(input: &str) -> (&str, &str) {
    take_till::<_, _, nom::error::Error<&str>>(|c| c == '\n')(input).unwrap_or(("", input))
}

/// An operator or punctuation mark, longest first.
fn punct(input: &str) -> IResult<&str, Punct> {
    alt((
        alt((
            value(Punct::Arrow, tag("->")),
            value(Punct::Le, tag("<=")),
            value(Punct::Ge, tag(">=")),
            value(Punct::EqEq, tag("==")),
            value(Punct::Ne, tag("!=")),
            value(Punct::DotDot, tag("..")),
        )),
        alt((
            value(Punct::Plus, char('+')),
            value(Punct::Minus, char('-')),
            value(Punct::Star, char('*')),
            value(Punct::Slash, char('/')),
            value(Punct::Caret, char('^')),
            value(Punct::Lt, char('<')),
            value(Punct::Gt, char('>')),
            value(Punct::Eq, char('=')),
            value(Punct::Colon, char(':')),
            value(Punct::Comma, char(',')),
            value(Punct::Dot, char('.')),
            value(Punct::LParen, char('(')),
            value(Punct::RParen, char(')')),
            value(Punct::LBracket, char('[')),
            value(Punct::RBracket, char(']')),
            value(Punct::LBrace, char('{')),
            value(Punct::RBrace, char('}')),
        )),
    ))(input)
}
