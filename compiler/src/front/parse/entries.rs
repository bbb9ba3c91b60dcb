//! The entries of blocks: `name = value`, `name: unit`, `dx/dt = rhs` and
//! the settings of a `connect`.

use super::block::braced;
use super::expr::{expr, standalone_unit};
use super::input::{Input, PResult, expect_punct, failure, name, punct, reserved_word, spanned};
use super::recover::{skip_entry, starts_outer_construct};
use super::vocabulary::RESERVED;
use crate::diagnostic::Diagnostic;
use crate::front::ast::{Assign, Comments, ConnectSetting, Equation, Ident, InputDecl, Loc};
use crate::front::lexer::Punct;
use neurc_ir::Span;
use nom::combinator::{cut, opt};
use nom::sequence::{preceded, tuple};

/// `{ entries }` after the keyword `owner`, recovering from bad entries.
pub(super) fn entry_block<'c, T>(
    owner: &'static str,
    entry: impl FnMut(Input<'c>) -> PResult<'c, T>,
) -> impl FnMut(Input<'c>) -> PResult<'c, Vec<T>> {
    let open_brace = expect_punct(
        Punct::LBrace,
        format!("expected `{{` after `{owner}`"),
        format!("write `{owner} {{ ... }}`; an empty block is `{{}}`"),
    );
    braced(open_brace, entry, starts_outer_construct, skip_entry)
}

/// `name = value`; `noun` says what the name names ("parameter").
pub(super) fn assign<'c>(noun: &'static str) -> impl FnMut(Input<'c>) -> PResult<'c, Assign> {
    let equals = expect_punct(
        Punct::Eq,
        format!("expected `=` after the {noun} name"),
        format!("a {noun} is written `name = value`"),
    );
    let mut parser = spanned(tuple((name(noun), equals, cut(expr))));
    move |i: Input<'c>| {
        let (rest, ((name, _, value), loc)) = parser(i)?;
        let assign = Assign {
            name,
            value,
            comments: Comments::default(),
            loc,
        };
        Ok((rest, assign))
    }
}

/// `name: unit` in an `inputs` section.
pub(super) fn input_decl(i: Input<'_>) -> PResult<'_, InputDecl> {
    let colon = expect_punct(
        Punct::Colon,
        "expected `:` after the input name",
        "an input is written `name: unit`, as in `syn: mV`",
    );
    let (rest, ((name, _, unit), loc)) =
        spanned(tuple((name("input"), colon, cut(standalone_unit))))(i)?;
    let input = InputDecl {
        name,
        unit,
        comments: Comments::default(),
        loc,
    };
    Ok((rest, input))
}

/// `dx/dt = rhs` in an `equations` section.
pub(super) fn equation(i: Input<'_>) -> PResult<'_, Equation> {
    let equals = expect_punct(
        Punct::Eq,
        "expected `=` after the derivative",
        "an equation is written `dv/dt = rhs`",
    );
    let (rest, ((var, _, rhs), loc)) = spanned(tuple((derivative, equals, cut(expr))))(i)?;
    let equation = Equation {
        var,
        rhs,
        comments: Comments::default(),
        loc,
    };
    Ok((rest, equation))
}

/// `dx/dt`, written as the name `dx`, `/` and the name `dt`; yields `x`.
fn derivative(i: Input<'_>) -> PResult<'_, Ident> {
    let Some(word) = i.ident() else {
        return Err(failure(
            i,
            bad_equation(
                i.span(),
                "write the derivative of a state variable, as in `dv/dt = -v / tau`",
            ),
        ));
    };
    if !i.next().is_punct(Punct::Slash) {
        let help = format!(
            "the left side of an equation is a derivative: write `d{word}/dt = ...`; plain assignments belong in `update` or `reset`"
        );
        return Err(failure(i, bad_equation(i.span(), &help)));
    }
    let dt = i.next().next();
    if !dt.is_ident("dt") {
        let help = "derivatives are taken with respect to time: write `/dt`";
        return Err(failure(dt, bad_equation(dt.span(), help)));
    }
    let var = match word.strip_prefix('d') {
        Some(var) if var.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') => var,
        _ => {
            let help = "write `d` followed by the variable's name, as in `dv/dt`";
            return Err(failure(i, bad_equation(i.span(), help)));
        }
    };
    let span = i.span();
    if RESERVED.contains(&var) {
        let var_span = Span {
            start: span.start + 1,
            ..span
        };
        return Err(failure(i, reserved_word(var, var_span)));
    }
    let ident = Ident {
        name: var.to_string(),
        loc: Loc(Span {
            start: span.start + 1,
            ..span
        }),
    };
    Ok((dt.next(), ident))
}

fn bad_equation(span: Span, help: &str) -> Diagnostic {
    Diagnostic::error(
        "neurc::parse::bad_equation",
        "expected a derivative `dX/dt` on the left of the equation",
    )
    .label(span, "not a derivative")
    .help(help.to_string())
}

/// A `connect` setting: `weight = value -> variable`, or `name = value`.
pub(super) fn connect_setting(i: Input<'_>) -> PResult<'_, ConnectSetting> {
    let equals = expect_punct(
        Punct::Eq,
        "expected `=` after the setting name",
        "a setting is written `name = value`, and the weight `weight = value -> variable`",
    );
    let target = preceded(punct(Punct::Arrow), cut(name("target variable")));
    let (rest, ((name, _, value, target), loc)) =
        spanned(tuple((name("setting"), equals, cut(expr), opt(target))))(i)?;
    let setting = match target {
        Some(target) if name.name == "weight" => ConnectSetting::Weight {
            value,
            target,
            comments: Comments::default(),
            loc,
        },
        Some(target) => {
            let diagnostic = Diagnostic::error(
                "neurc::parse::unexpected_token",
                format!("only `weight` lands on a variable, not `{}`", name.name),
            )
            .label(target.loc.0, "a target variable")
            .help("remove `-> variable`, or write it after `weight = value`");
            return Err(failure(i, diagnostic));
        }
        None => ConnectSetting::Assign(Assign {
            name,
            value,
            comments: Comments::default(),
            loc,
        }),
    };
    Ok((rest, setting))
}
