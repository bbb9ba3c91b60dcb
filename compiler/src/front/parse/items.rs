//! Top-level items, with recovery: a bad item is reported and parsing goes
//! on at the next line that starts with an item keyword.

use super::entries::{assign, connect_setting, entry_block};
use super::expr::{call_args, close, expr};
use super::input::{
    Input, PResult, ParseError, expect_punct, expected, keyword, name, punct, spanned,
};
use super::model::model_body;
use super::recover::{skip_item, to_diagnostic};
use super::vocabulary::ITEM_KEYWORDS;
use crate::front::ast::{
    CallSpec, Comments, ConnectDecl, ConnectomeDecl, CoupleDecl, Ident, Import, Item, ItemKind,
    Loc, ModelDecl, ModelKind, PopRef, PopulationDecl, RecordDecl, RegionDecl, Slice,
};
use crate::front::lexer::{Punct, TokenKind};
use crate::suggest::closest;
use nom::branch::alt;
use nom::combinator::{cut, map, opt};
use nom::multi::separated_list1;
use nom::sequence::{pair, preceded, tuple};

/// Every item of the file, recording the errors of the bad ones.
pub(super) fn items(mut i: Input<'_>) -> Vec<Item> {
    let mut items = Vec::new();
    while !i.at_end() {
        match item(i) {
            Ok((rest, item)) => {
                items.push(item);
                i = rest;
            }
            Err(err) => {
                i.ctx.report(to_diagnostic(err, i));
                i = skip_item(i);
            }
        }
    }
    items
}

/// One item, from its keyword to its end.
fn item(i: Input<'_>) -> PResult<'_, Item> {
    let kinds = alt((
        preceded(keyword("const"), cut(const_item)),
        preceded(keyword("import"), cut(import)),
        preceded(keyword("neuron"), cut(model(ModelKind::Neuron))),
        preceded(keyword("plasticity"), cut(model(ModelKind::Plasticity))),
        preceded(keyword("modulator"), cut(model(ModelKind::Modulator))),
        preceded(keyword("population"), cut(population)),
        preceded(keyword("connect"), cut(connect)),
        preceded(keyword("record"), cut(record)),
        preceded(
            keyword("simulate"),
            cut(map(
                entry_block("simulate", assign("setting")),
                ItemKind::Simulate,
            )),
        ),
        preceded(keyword("region"), cut(region)),
        preceded(keyword("connectome"), cut(connectome)),
        preceded(keyword("couple"), cut(couple)),
    ));
    let (rest, (kind, loc)) = spanned(kinds)(i).map_err(|err| match err {
        nom::Err::Error(error) if error.pos == i.pos => not_an_item(i),
        other => other,
    })?;
    let item = Item {
        kind,
        comments: Comments::default(),
        loc,
    };
    Ok((rest, item))
}

/// The error for something that does not start an item.
fn not_an_item(i: Input<'_>) -> nom::Err<ParseError> {
    let help = match &i.token().kind {
        TokenKind::Punct(Punct::RBrace) => "this `}` has no matching `{`; remove it".to_string(),
        TokenKind::Ident(word) => match closest(word, ITEM_KEYWORDS.iter().copied()) {
            Some(keyword) => format!("did you mean `{keyword}`?"),
            None => {
                "every top-level line starts an item with one of the keywords above".to_string()
            }
        },
        _ => "every top-level line starts an item with one of the keywords above".to_string(),
    };
    expected(
        i,
        "expected an item: const, import, neuron, plasticity, modulator, population, connect, record, simulate, region, connectome or couple",
        help,
    )
}

/// `const NAME = value` (after `const`).
fn const_item(i: Input<'_>) -> PResult<'_, ItemKind> {
    map(assign("constant"), ItemKind::Const)(i)
}

/// `import "path"` (after `import`).
fn import(i: Input<'_>) -> PResult<'_, ItemKind> {
    match &i.token().kind {
        TokenKind::Str(path) => {
            let import = Import {
                path: path.clone(),
                path_loc: Loc(i.span()),
            };
            Ok((i.next(), ItemKind::Import(import)))
        }
        _ => Err(expected(
            i,
            "expected the path of the imported file, in quotes",
            "write `import \"path/to/file.snn\"`",
        )),
    }
}

/// `Name { sections }` after `neuron`, `plasticity` or `modulator`.
fn model<'c>(kind: ModelKind) -> impl FnMut(Input<'c>) -> PResult<'c, ItemKind> {
    map(pair(name("model"), model_body), move |(name, sections)| {
        ItemKind::Model(ModelDecl {
            kind,
            name,
            sections,
        })
    })
}

/// `name = Model[size] { overrides }` (after `population`).
fn population(i: Input<'_>) -> PResult<'_, ItemKind> {
    let equals = expect_punct(
        Punct::Eq,
        "expected `=` after the population name",
        "write `population name = Model[size]`",
    );
    let size = bracketed(
        "expected `[` and the population size after the model name",
        "write `population name = Model[size]`",
        expr,
    );
    let body = opt(entry_block("population", assign("parameter or state")));
    map(
        tuple((name("population"), equals, name("model"), size, body)),
        |(name, _, model, size, body)| {
            ItemKind::Population(PopulationDecl {
                name,
                model,
                size,
                body: body.unwrap_or_default(),
            })
        },
    )(i)
}

/// `pre, ... -> post, ... : rule(args) { settings }` (after `connect`).
fn connect(i: Input<'_>) -> PResult<'_, ItemKind> {
    let arrow = expect_punct(
        Punct::Arrow,
        "expected `->` after the presynaptic populations",
        "write `connect pre -> post : rule(...)`",
    );
    let colon = expect_punct(
        Punct::Colon,
        "expected `:` and a connectivity rule after the postsynaptic populations",
        "write `connect pre -> post : rule(...)`, as in `bernoulli(p = 0.1)`",
    );
    let body = opt(entry_block("connect", connect_setting));
    let pops = || separated_list1(punct(Punct::Comma), cut(pop_ref));
    map(
        tuple((
            pops(),
            arrow,
            pops(),
            colon,
            call_spec("connectivity rule"),
            body,
        )),
        |(pre, _, post, _, rule, settings)| {
            ItemKind::Connect(ConnectDecl {
                pre,
                post,
                rule,
                settings: settings.unwrap_or_default(),
            })
        },
    )(i)
}

/// `what(targets)` (after `record`).
fn record(i: Input<'_>) -> PResult<'_, ItemKind> {
    let (after_what, what) = name("recorded variable")(i)?;
    let open = expect_punct(
        Punct::LParen,
        "expected `(` and the recorded populations",
        "write `record spikes(pop, ...)` or `record v(pop[0..10])`",
    );
    let (inside, _) = open(after_what)?;
    let (before_close, targets) = separated_list1(punct(Punct::Comma), cut(pop_ref))(inside)?;
    let (rest, _) = close(after_what, Punct::RParen, "`,` or `)`")(before_close)?;
    Ok((rest, ItemKind::Record(RecordDecl { what, targets })))
}

/// `name = Model { settings }` (after `region`).
fn region(i: Input<'_>) -> PResult<'_, ItemKind> {
    let equals = expect_punct(
        Punct::Eq,
        "expected `=` after the region name",
        "write `region name = Model { settings }`",
    );
    let body = opt(entry_block("region", assign("setting")));
    map(
        tuple((name("region"), equals, name("model"), body)),
        |(name, _, model, body)| {
            ItemKind::Region(RegionDecl {
                name,
                model,
                body: body.unwrap_or_default(),
            })
        },
    )(i)
}

/// `name { settings }` (after `connectome`).
fn connectome(i: Input<'_>) -> PResult<'_, ItemKind> {
    map(
        pair(
            name("connectome"),
            entry_block("connectome", assign("setting")),
        ),
        |(name, body)| ItemKind::Connectome(ConnectomeDecl { name, body }),
    )(i)
}

/// `from -> to : converter(args)` (after `couple`).
fn couple(i: Input<'_>) -> PResult<'_, ItemKind> {
    let arrow = expect_punct(
        Punct::Arrow,
        "expected `->` after the source of the coupling",
        "write `couple from -> to : converter(...)`",
    );
    let colon = expect_punct(
        Punct::Colon,
        "expected `:` and a converter after the target of the coupling",
        "write `couple from -> to : converter(...)`",
    );
    map(
        tuple((pop_ref, arrow, pop_ref, colon, call_spec("converter"))),
        |(from, _, to, _, converter)| {
            ItemKind::Couple(CoupleDecl {
                from,
                to,
                converter,
            })
        },
    )(i)
}

/// `name`, `name[i]` or `name[start..end]`.
fn pop_ref(i: Input<'_>) -> PResult<'_, PopRef> {
    let slice = map(
        pair(expr, opt(preceded(punct(Punct::DotDot), cut(expr)))),
        |(start, end)| match end {
            Some(end) => Slice::Range(start, end),
            None => Slice::Index(start),
        },
    );
    let slice = bracketed("expected `[`", "", slice);
    let (rest, ((name, slice), loc)) = spanned(pair(name("population"), opt(slice)))(i)?;
    Ok((rest, PopRef { name, slice, loc }))
}

/// `[ inner ]`; `message` and `help` explain a missing `[`.
fn bracketed<'c, O>(
    message: &'static str,
    help: &'static str,
    mut inner: impl FnMut(Input<'c>) -> PResult<'c, O>,
) -> impl FnMut(Input<'c>) -> PResult<'c, O> {
    let open = expect_punct(Punct::LBracket, message, help);
    move |i: Input<'c>| {
        let (inside, _) = open(i)?;
        let (before_close, value) = cut(&mut inner)(inside)?;
        let (rest, _) = close(i, Punct::RBracket, "`]`")(before_close)?;
        Ok((rest, value))
    }
}

/// `name(args)`: a connectivity rule or a converter.
fn call_spec<'c>(what: &'static str) -> impl FnMut(Input<'c>) -> PResult<'c, CallSpec> {
    let args = move |i: Input<'c>| {
        if i.is_punct(Punct::LParen) {
            call_args(i)
        } else {
            Err(expected(
                i,
                format!("expected `(` and the arguments of the {what}"),
                "write `name(arguments)`, as in `bernoulli(p = 0.1)`; with no arguments, `name()`",
            ))
        }
    };
    map(
        spanned(pair(name(what), args)),
        |((name, args), loc): ((Ident, _), Loc)| CallSpec { name, args, loc },
    )
}
