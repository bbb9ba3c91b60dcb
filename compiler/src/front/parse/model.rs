//! The body of a model (`neuron`, `plasticity`, `modulator`): its
//! sections, with recovery from a bad or unknown section.

use super::block::braced;
use super::entries::{assign, entry_block, equation, input_decl};
use super::expr::expr;
use super::input::{
    Input, PResult, ParseError, expect_punct, expected, failure, keyword, name, punct, spanned,
};
use super::recover::{skip_section, starts_item};
use super::vocabulary::SECTION_KEYWORDS;
use crate::diagnostic::Diagnostic;
use crate::front::ast::{Assign, Comments, Section, SectionKind};
use crate::front::lexer::Punct;
use crate::suggest::closest;
use nom::branch::alt;
use nom::combinator::{cut, map, opt};
use nom::multi::separated_list1;
use nom::sequence::{pair, preceded};

/// `{ sections }`.
pub(super) fn model_body(i: Input<'_>) -> PResult<'_, Vec<Section>> {
    let open_brace = expect_punct(
        Punct::LBrace,
        "expected `{` after the model name",
        "write `neuron Name { sections }`; an empty model is `{}`",
    );
    braced(open_brace, section, starts_item, skip_section)(i)
}

/// One section, from its keyword to its end.
fn section(i: Input<'_>) -> PResult<'_, Section> {
    let kinds = alt((
        assign_section("parameters", "parameter", SectionKind::Parameters),
        assign_section("state", "state variable", SectionKind::State),
        preceded(
            keyword("inputs"),
            cut(map(entry_block("inputs", input_decl), SectionKind::Inputs)),
        ),
        preceded(
            keyword("equations"),
            cut(map(
                entry_block("equations", equation),
                SectionKind::Equations,
            )),
        ),
        assign_section("update", "variable", SectionKind::Update),
        preceded(keyword("spike"), cut(map(expr, SectionKind::Spike))),
        assign_section("reset", "variable", SectionKind::Reset),
        preceded(keyword("refractory"), cut(refractory)),
        preceded(
            keyword("method"),
            cut(map(name("method"), SectionKind::Method)),
        ),
        assign_section("on_pre", "variable", SectionKind::OnPre),
        assign_section("on_post", "variable", SectionKind::OnPost),
    ));
    let (rest, (kind, loc)) = spanned(kinds)(i).map_err(|err| match err {
        nom::Err::Error(error) if error.pos == i.pos => not_a_section(i),
        other => other,
    })?;
    let section = Section {
        kind,
        comments: Comments::default(),
        loc,
    };
    Ok((rest, section))
}

/// A section made of `name = value` entries.
fn assign_section<'c>(
    word: &'static str,
    noun: &'static str,
    kind: fn(Vec<Assign>) -> SectionKind,
) -> impl FnMut(Input<'c>) -> PResult<'c, SectionKind> {
    preceded(
        keyword(word),
        cut(map(entry_block(word, assign(noun)), kind)),
    )
}

/// `refractory period [hold a, b]`.
fn refractory(i: Input<'_>) -> PResult<'_, SectionKind> {
    let hold = preceded(
        keyword("hold"),
        cut(separated_list1(
            punct(Punct::Comma),
            cut(name("held variable")),
        )),
    );
    let (rest, (period, hold)) = pair(expr, opt(hold))(i)?;
    let kind = SectionKind::Refractory {
        period,
        hold: hold.unwrap_or_default(),
    };
    Ok((rest, kind))
}

/// The error for something that is not a section keyword.
fn not_a_section(i: Input<'_>) -> nom::Err<ParseError> {
    let sections = SECTION_KEYWORDS.join(", ");
    match i.ident() {
        Some(word) => {
            let hint = closest(word, SECTION_KEYWORDS.iter().copied())
                .map(|keyword| format!("did you mean `{keyword}`? "))
                .unwrap_or_default();
            let diagnostic = Diagnostic::error(
                "neurc::parse::unknown_section",
                format!("unknown section `{word}`"),
            )
            .label(i.span(), "not a section keyword")
            .help(format!("{hint}the sections are {sections}"));
            failure(i, diagnostic)
        }
        None => expected(
            i,
            "expected a section or `}`",
            format!("a model is made of sections: {sections}"),
        ),
    }
}
