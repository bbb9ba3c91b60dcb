//! Expressions and units.
//!
//! Binary operators are parsed by precedence climbing (one function for
//! every precedence level instead of one function per level), and the
//! functions on the recursion path of every nesting level dispatch on the
//! next token instead of trying alternatives, both to keep the stack a
//! level takes small; `not`, argument lists and units are nom combinators.
//! Every construct that nests counts a level in [`Nesting`], so a deeply
//! nested expression ends in `neurc::parse::too_deep`, never in a stack
//! overflow — and the tree it yields stays shallow enough to drop, compare
//! and print recursively.

use super::input::{
    Input, Nesting, PResult, ParseError, describe, expected, failure, keyword, name, punct,
};
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
use nom::sequence::{pair, preceded};

/// An expression.
pub(super) fn expr(i: Input<'_>) -> PResult<'_, Expr> {
    binary(i, PREC_OR)
}

/// An expression whose binary operators all bind at least as strongly as
/// `min`.
///
/// This function, [`negation`], [`power`] and [`atom`] are on the
/// recursion path of every nesting level, so each keeps its own work small
/// and leaves the rest to helpers that are not (here [`operators`]): the
/// stack a level takes is what bounds how deep nesting can go.
fn binary(i: Input<'_>, min: u8) -> PResult<'_, Expr> {
    let (rest, operand) = if min <= PREC_NOT && i.is_ident("not") {
        not(i)?
    } else {
        negation(i)?
    };
    match binary_operator(rest) {
        Some(op) if precedence(op) >= min => operators(i, rest, operand, min),
        _ => Ok((rest, operand)),
    }
}

/// The binary operators and right operands after the first operand `lhs`
/// of an expression that starts at `start`.
fn operators<'c>(start: Input<'c>, mut i: Input<'c>, mut lhs: Expr, min: u8) -> PResult<'c, Expr> {
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

/// An atom, raised to a power if `^` follows.
fn power(i: Input<'_>) -> PResult<'_, Expr> {
    let (after_base, base) = atom(i)?;
    if after_base.is_punct(Punct::Caret) {
        exponent(i, after_base, base)
    } else {
        Ok((after_base, base))
    }
}

/// `^ exponent` after `base`, which starts at `start`: right-associative,
/// and the exponent may start with a minus (`a^-2`).
fn exponent<'c>(start: Input<'c>, caret: Input<'c>, base: Expr) -> PResult<'c, Expr> {
    let mut nesting = Nesting::new(caret.ctx);
    nesting.deeper(caret)?;
    let (rest, exponent) = cut(negation)(caret.next())?;
    let kind = ExprKind::Binary(BinaryOp::Pow, Box::new(base), Box::new(exponent));
    Ok((
        rest,
        Expr {
            kind,
            loc: Loc(rest.span_from(start)),
        },
    ))
}

/// A number with its unit, a boolean, a string, a name, a call, a
/// parenthesized expression or a list. Dispatches on the token rather than
/// trying each alternative in turn: this function is on the recursion path
/// of every nesting level, so its stack frame is kept small.
fn atom(i: Input<'_>) -> PResult<'_, Expr> {
    let token = i.token();
    let single = |kind| {
        Ok((
            i.next(),
            Expr {
                kind,
                loc: Loc(token.span),
            },
        ))
    };
    match &token.kind {
        TokenKind::Number { value, .. } => number(i, *value),
        TokenKind::Str(text) => single(ExprKind::Str(text.clone())),
        TokenKind::Ident(word) if word == "true" => single(ExprKind::Bool(true)),
        TokenKind::Ident(word) if word == "false" => single(ExprKind::Bool(false)),
        TokenKind::Ident(word) if !RESERVED.contains(&word.as_str()) => call_or_name(i),
        TokenKind::Punct(Punct::LParen) => parenthesized(i),
        TokenKind::Punct(Punct::LBracket) => list(i),
        _ => Err(expected_expression(i)),
    }
}

/// The error for a token that cannot start an expression.
fn expected_expression(i: Input<'_>) -> nom::Err<ParseError> {
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

/// A number (the token at `i`, whose value is `value`) and its unit.
fn number(i: Input<'_>, value: f64) -> PResult<'_, Expr> {
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

/// A name, or a call when `(` follows it.
fn call_or_name(i: Input<'_>) -> PResult<'_, Expr> {
    let (after_name, func) = name("variable")(i)?;
    if !after_name.is_punct(Punct::LParen) {
        let kind = ExprKind::Name(func.name);
        return Ok((
            after_name,
            Expr {
                kind,
                loc: func.loc,
            },
        ));
    }
    let (rest, args) = call_args(after_name)?;
    let kind = ExprKind::Call { func, args };
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

/// `name = value` (a name followed by `=`, not `==`) or `value`.
fn argument(i: Input<'_>) -> PResult<'_, Arg> {
    if !(i.ident().is_some() && i.next().is_punct(Punct::Eq)) {
        return map(expr, |value| Arg { name: None, value })(i);
    }
    let (after_name, name) = name("argument")(i)?;
    let (rest, value) = cut(expr)(after_name.next())?;
    let arg = Arg {
        name: Some(name),
        value,
    };
    Ok((rest, arg))
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
