//! Expressions and units.
//!
//! Binary operators are parsed by precedence climbing (one loop per
//! precedence level instead of one function per level, which keeps the
//! stack shallow); atoms, calls, lists and units are nom combinators.
//! Every construct that nests counts a level in [`Nesting`], so a deeply
//! nested expression ends in `neurc::parse::too_deep`, never in a stack
//! overflow — and the tree it yields stays shallow enough to drop, compare
//! and print recursively.

use super::input::{Input, Nesting, PResult, describe, expected, failure, keyword, name, punct};
use super::vocabulary::{
    PREC_COMPARE, PREC_NOT, PREC_OR, RESERVED, is_unit, known_units, precedence, unit_suggestion,
};
use crate::diagnostic::Diagnostic;
use crate::front::ast::{Arg, BinaryOp, Expr, ExprKind, Loc, UnaryOp, UnitExpr, UnitFactor};
use crate::front::lexer::{Punct, TokenKind};
use neurc_ir::Span;
use nom::branch::alt;
use nom::combinator::{cut, map, opt};
use nom::multi::{many0, separated_list1};
use nom::sequence::{pair, preceded, separated_pair};

/// An expression.
pub(super) fn expr(i: Input<'_>) -> PResult<'_, Expr> {
    binary(i, PREC_OR)
}

/// An expression whose binary operators all bind at least as strongly as
/// `min`.
fn binary(i: Input<'_>, min: u8) -> PResult<'_, Expr> {
    let start = i;
    let (mut i, mut lhs) = if min <= PREC_NOT && i.is_ident("not") {
        not(i)?
    } else {
        negation(i)?
    };
    let mut nesting = Nesting::new(i.ctx);
    let mut after_comparison = false;
    while let Some(op) = binary_operator(i) {
        let level = precedence(op);
        if level < min {
            break;
        }
        let comparison = level == PREC_COMPARE;
        if comparison && after_comparison {
            return Err(failure(i, chained_comparison(i)));
        }
        after_comparison = comparison;
        nesting.deeper(i)?;
        let (rest, rhs) = cut(|i| binary(i, level + 1))(i.next())?;
        lhs = Expr {
            kind: ExprKind::Binary(op, Box::new(lhs), Box::new(rhs)),
            loc: Loc(rest.span_from(start)),
        };
        i = rest;
    }
    Ok((i, lhs))
}

/// The binary operator at `i`, other than `^` (which binds tighter than
/// prefix minus and is parsed with the atoms).
fn binary_operator(i: Input<'_>) -> Option<BinaryOp> {
    Some(match &i.token().kind {
        TokenKind::Punct(mark) => match mark {
            Punct::Plus => BinaryOp::Add,
            Punct::Minus => BinaryOp::Sub,
            Punct::Star => BinaryOp::Mul,
            Punct::Slash => BinaryOp::Div,
            Punct::Lt => BinaryOp::Lt,
            Punct::Le => BinaryOp::Le,
            Punct::Gt => BinaryOp::Gt,
            Punct::Ge => BinaryOp::Ge,
            Punct::EqEq => BinaryOp::Eq,
            Punct::Ne => BinaryOp::Ne,
            _ => return None,
        },
        TokenKind::Ident(word) if word == "and" => BinaryOp::And,
        TokenKind::Ident(word) if word == "or" => BinaryOp::Or,
        _ => return None,
    })
}

fn chained_comparison(at: Input<'_>) -> Diagnostic {
    Diagnostic::error(
        "neurc::parse::unexpected_token",
        "comparisons cannot be chained",
    )
    .label(at.span(), "a second comparison")
    .help("combine the comparisons with `and`, as in `a < b and b < c`, or add parentheses")
}

/// `not x`: binds more loosely than comparisons, so `not a < b` is
/// `not (a < b)`.
fn not(i: Input<'_>) -> PResult<'_, Expr> {
    let mut nesting = Nesting::new(i.ctx);
    nesting.deeper(i)?;
    let (rest, operand) =
        preceded(keyword("not"), cut(alt((not, |i| binary(i, PREC_COMPARE)))))(i)?;
    Ok((rest, unary(UnaryOp::Not, operand, rest.span_from(i))))
}

/// `-x`, or a power.
fn negation(i: Input<'_>) -> PResult<'_, Expr> {
    if !i.is_punct(Punct::Minus) {
        return power(i);
    }
    let mut nesting = Nesting::new(i.ctx);
    nesting.deeper(i)?;
    let (rest, operand) = cut(negation)(i.next())?;
    Ok((rest, unary(UnaryOp::Neg, operand, rest.span_from(i))))
}

fn unary(op: UnaryOp, operand: Expr, span: Span) -> Expr {
    Expr {
        kind: ExprKind::Unary(op, Box::new(operand)),
        loc: Loc(span),
    }
}

/// `base ^ exponent`, right-associative; the exponent may start with a
/// minus (`a^-2`).
fn power(i: Input<'_>) -> PResult<'_, Expr> {
    let (after_base, base) = atom(i)?;
    if !after_base.is_punct(Punct::Caret) {
        return Ok((after_base, base));
    }
    let mut nesting = Nesting::new(i.ctx);
    nesting.deeper(after_base)?;
    let (rest, exponent) = cut(negation)(after_base.next())?;
    let kind = ExprKind::Binary(BinaryOp::Pow, Box::new(base), Box::new(exponent));
    Ok((
        rest,
        Expr {
            kind,
            loc: Loc(rest.span_from(i)),
        },
    ))
}

/// A number with its unit, a boolean, a string, a name, a call, a
/// parenthesized expression or a list.
fn atom(i: Input<'_>) -> PResult<'_, Expr> {
    alt((number, boolean, string, call_or_name, parenthesized, list))(i).map_err(|err| match err {
        nom::Err::Error(error) if error.pos == i.pos => expected_expression(i),
        other => other,
    })
}

fn expected_expression(i: Input<'_>) -> nom::Err<super::input::ParseError> {
    let help = match i.ident() {
        Some("not") => {
            "`not` binds more loosely than arithmetic and comparisons: write `(not x)` here"
        }
        Some(word) if RESERVED.contains(&word) => {
            "`and` and `or` join two conditions, as in `a > b and c > d`"
        }
        _ => "write a number, a name, a call such as `exp(x)`, or an expression in parentheses",
    };
    expected(i, "expected an expression", help)
}

fn number(i: Input<'_>) -> PResult<'_, Expr> {
    let TokenKind::Number { value, .. } = i.token().kind else {
        return Err(expected(i, "expected a number", ""));
    };
    let (rest, unit) = opt(unit_expr)(i.next())?;
    let kind = ExprKind::Number { value, unit };
    Ok((
        rest,
        Expr {
            kind,
            loc: Loc(rest.span_from(i)),
        },
    ))
}

fn boolean(i: Input<'_>) -> PResult<'_, Expr> {
    let value = match i.ident() {
        Some("true") => true,
        Some("false") => false,
        _ => return Err(expected(i, "expected `true` or `false`", "")),
    };
    Ok((i.next(), atom_expr(ExprKind::Bool(value), i)))
}

fn string(i: Input<'_>) -> PResult<'_, Expr> {
    match &i.token().kind {
        TokenKind::Str(text) => Ok((i.next(), atom_expr(ExprKind::Str(text.clone()), i))),
        _ => Err(expected(i, "expected a string", "")),
    }
}

/// A single-token expression at `at`.
fn atom_expr(kind: ExprKind, at: Input<'_>) -> Expr {
    Expr {
        kind,
        loc: Loc(at.span()),
    }
}

fn call_or_name(i: Input<'_>) -> PResult<'_, Expr> {
    let (rest, (func, args)) = pair(name("variable"), opt(call_args))(i)?;
    let kind = match args {
        Some(args) => ExprKind::Call { func, args },
        None => ExprKind::Name(func.name),
    };
    Ok((
        rest,
        Expr {
            kind,
            loc: Loc(rest.span_from(i)),
        },
    ))
}

/// `(args)` of a call: positional or `name = value`.
pub(super) fn call_args(i: Input<'_>) -> PResult<'_, Vec<Arg>> {
    let mut nesting = Nesting::new(i.ctx);
    let (inside, _) = punct(Punct::LParen)(i)?;
    nesting.deeper(i)?;
    let (before_close, args) = comma_list(argument, Punct::RParen)(inside)?;
    let (rest, _) = close(i, Punct::RParen, "`,` or `)`")(before_close)?;
    Ok((rest, args))
}

fn argument(i: Input<'_>) -> PResult<'_, Arg> {
    alt((
        map(
            separated_pair(name("argument"), punct(Punct::Eq), cut(expr)),
            |(name, value)| Arg {
                name: Some(name),
                value,
            },
        ),
        map(expr, |value| Arg { name: None, value }),
    ))(i)
}

fn parenthesized(i: Input<'_>) -> PResult<'_, Expr> {
    let mut nesting = Nesting::new(i.ctx);
    let (inside, _) = punct(Punct::LParen)(i)?;
    nesting.deeper(i)?;
    let (before_close, inner) = cut(expr)(inside)?;
    let (rest, _) = close(i, Punct::RParen, "`)`")(before_close)?;
    Ok((
        rest,
        Expr {
            kind: inner.kind,
            loc: Loc(rest.span_from(i)),
        },
    ))
}

fn list(i: Input<'_>) -> PResult<'_, Expr> {
    let mut nesting = Nesting::new(i.ctx);
    let (inside, _) = punct(Punct::LBracket)(i)?;
    nesting.deeper(i)?;
    let (before_close, items) = comma_list(expr, Punct::RBracket)(inside)?;
    let (rest, _) = close(i, Punct::RBracket, "`,` or `]`")(before_close)?;
    Ok((
        rest,
        Expr {
            kind: ExprKind::List(items),
            loc: Loc(rest.span_from(i)),
        },
    ))
}

/// Comma-separated items up to (not including) `closer`; empty when the
/// closer comes first.
fn comma_list<'c, O>(
    item: impl FnMut(Input<'c>) -> PResult<'c, O>,
    closer: Punct,
) -> impl FnMut(Input<'c>) -> PResult<'c, Vec<O>> {
    let mut items = separated_list1(punct(Punct::Comma), cut(item));
    move |i: Input<'c>| {
        if i.is_punct(closer) {
            Ok((i, Vec::new()))
        } else {
            items(i)
        }
    }
}

/// The closing mark of the group opened at `open`. A missing one is
/// `unclosed_paren` when the group clearly runs away (to another line, a
/// different closing mark or the end of the file), and otherwise an
/// unexpected token inside the group; `expectation` says what could come
/// instead.
pub(super) fn close<'c>(
    open: Input<'c>,
    closer: Punct,
    expectation: &'static str,
) -> impl Fn(Input<'c>) -> PResult<'c, Span> {
    move |i: Input<'c>| {
        if i.is_punct(closer) {
            return Ok((i.next(), i.span()));
        }
        let opener = describe(open.token());
        let runs_away = i.at_end()
            || matches!(
                i.token().kind,
                TokenKind::Punct(Punct::RParen | Punct::RBracket | Punct::RBrace)
            )
            || (open.pos + 1..=i.pos)
                .any(|pos| open.ctx.tokens.get(pos).is_some_and(|t| t.line_start));
        let diagnostic = if runs_away {
            Diagnostic::error("neurc::parse::unclosed_paren", format!("unclosed {opener}"))
                .label(open.span(), format!("this {opener} is never closed"))
                .label(
                    i.span(),
                    format!("expected `{}` before this", closer.text()),
                )
                .help(format!("add `{}` where the group ends", closer.text()))
        } else {
            Diagnostic::error(
                "neurc::parse::unexpected_token",
                format!("expected {expectation}, found {}", describe(i.token())),
            )
            .label(i.span(), "unexpected here")
            .label(open.span(), format!("in the group opened by this {opener}"))
            .help("separate items with `,` and close the group; two values side by side need an operator between them")
        };
        Err(failure(i, diagnostic))
    }
}

/// A unit after a number: `mV`, `mV/ms`, `nS*mV`, `ms^2`. Greedy, but only
/// over known unit symbols, so in `1 mV / tau` the unit is `mV`.
pub(super) fn unit_expr(i: Input<'_>) -> PResult<'_, UnitExpr> {
    let (rest, (first, more)) = pair(
        unit_factor(1),
        many0(alt((
            preceded(punct(Punct::Star), unit_factor(1)),
            preceded(punct(Punct::Slash), unit_factor(-1)),
        ))),
    )(i)?;
    let mut factors = vec![first];
    factors.extend(more);
    Ok((
        rest,
        UnitExpr {
            factors,
            loc: Loc(rest.span_from(i)),
        },
    ))
}

/// A unit in an `inputs` entry: a unit expression, or `1` for a
/// dimensionless input.
pub(super) fn standalone_unit(i: Input<'_>) -> PResult<'_, UnitExpr> {
    if let TokenKind::Number { value, .. } = i.token().kind
        && value == 1.0
    {
        let unit = UnitExpr {
            factors: Vec::new(),
            loc: Loc(i.span()),
        };
        return Ok((i.next(), unit));
    }
    match i.ident() {
        Some(word) if !is_unit(word) => Err(failure(i, unknown_unit(word, i.span()))),
        _ => unit_expr(i).map_err(|err| match err {
            nom::Err::Error(_) => expected(
                i,
                "expected a unit such as `mV`, or `1` for a dimensionless input",
                "write `name: unit`, as in `syn: mV`",
            ),
            other => other,
        }),
    }
}

/// The diagnostic for a word used as a unit that is not one.
pub(super) fn unknown_unit(word: &str, span: Span) -> Diagnostic {
    Diagnostic::error(
        "neurc::parse::unknown_unit",
        format!("unknown unit `{word}`"),
    )
    .label(span, "not a unit symbol")
    .help(unit_suggestion(word).unwrap_or_else(known_units))
}

/// One unit symbol with an optional integer power; `sign` is -1 after `/`.
/// A symbol followed by `=` or `:` is not a unit but the name that starts
/// the next entry (`tau = 5  m = 3`).
fn unit_factor<'c>(sign: i64) -> impl Fn(Input<'c>) -> PResult<'c, UnitFactor> {
    move |i: Input<'c>| {
        let symbol = i.ident().filter(|word| is_unit(word));
        let starts_entry = matches!(i.nth(1).kind, TokenKind::Punct(Punct::Eq | Punct::Colon));
        let Some(symbol) = symbol.filter(|_| !starts_entry) else {
            return Err(expected(i, "expected a unit", ""));
        };
        let (rest, power) = opt(preceded(punct(Punct::Caret), unit_power))(i.next())?;
        let power = i32::try_from(sign * power.unwrap_or(1))
            .map_err(|_| failure(i, power_out_of_range(rest.span_from(i))))?;
        let factor = UnitFactor {
            symbol: symbol.to_string(),
            power,
        };
        Ok((rest, factor))
    }
}

/// `-`? integer, the power of a unit symbol.
fn unit_power(i: Input<'_>) -> PResult<'_, i64> {
    let (rest, (minus, magnitude)) = pair(opt(punct(Punct::Minus)), integer)(i)?;
    Ok((
        rest,
        if minus.is_some() {
            -magnitude
        } else {
            magnitude
        },
    ))
}

/// An integer literal of at most 2^31, so any sign fits in `i64`.
fn integer(i: Input<'_>) -> PResult<'_, i64> {
    const LIMIT: f64 = 2_147_483_648.0;
    match i.token().kind {
        TokenKind::Number {
            value,
            integer: true,
        } if value <= LIMIT => Ok((i.next(), value as i64)),
        TokenKind::Number { integer: true, .. } => Err(failure(i, power_out_of_range(i.span()))),
        _ => Err(expected(i, "expected an integer power", "")),
    }
}

fn power_out_of_range(span: Span) -> Diagnostic {
    Diagnostic::error("neurc::parse::bad_number", "unit power out of range")
        .label(span, "this power does not fit in 32 bits")
        .help("write a power between -2147483648 and 2147483647")
}
