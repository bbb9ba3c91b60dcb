//! The words the language gives a meaning to, and "did you mean" hints for
//! words that are almost one of them.

use crate::suggest::closest;
use neurc_ir::BinaryOp;
use neurc_ir::units::{UNITS, lookup_unit};

/// Binding strength of `or`, the loosest operator. The parser and the
/// formatter share these levels so that printed parentheses are exactly the
/// ones the parser needs.
pub(in crate::front) const PREC_OR: u8 = 1;
/// Binding strength of `and`.
pub(in crate::front) const PREC_AND: u8 = 2;
/// Binding strength of prefix `not`.
pub(in crate::front) const PREC_NOT: u8 = 3;
/// Binding strength of the comparisons, which do not chain.
pub(in crate::front) const PREC_COMPARE: u8 = 4;
/// Binding strength of `+` and `-`.
pub(in crate::front) const PREC_SUM: u8 = 5;
/// Binding strength of `*` and `/`.
pub(in crate::front) const PREC_PRODUCT: u8 = 6;
/// Binding strength of prefix `-`; also what the exponent of `^` is parsed at.
pub(in crate::front) const PREC_NEGATE: u8 = 7;
/// Binding strength of `^`, which is right-associative.
pub(in crate::front) const PREC_POWER: u8 = 8;
/// Atoms and calls, which never need parentheses.
pub(in crate::front) const PREC_ATOM: u8 = 9;

/// How strongly a binary operator binds.
pub(in crate::front) fn precedence(op: BinaryOp) -> u8 {
    match op {
        BinaryOp::Or => PREC_OR,
        BinaryOp::And => PREC_AND,
        BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge | BinaryOp::Eq | BinaryOp::Ne => {
            PREC_COMPARE
        }
        BinaryOp::Add | BinaryOp::Sub => PREC_SUM,
        BinaryOp::Mul | BinaryOp::Div => PREC_PRODUCT,
        BinaryOp::Pow => PREC_POWER,
    }
}

/// Words that can never be names.
pub(super) const RESERVED: &[&str] = &["true", "false", "and", "or", "not"];

/// Words that start a top-level item (only where an item can start).
pub(super) const ITEM_KEYWORDS: &[&str] = &[
    "const",
    "import",
    "neuron",
    "plasticity",
    "modulator",
    "population",
    "connect",
    "record",
    "simulate",
    "region",
    "connectome",
    "couple",
];

/// Words that start a section of a model (only where a section can start).
pub(super) const SECTION_KEYWORDS: &[&str] = &[
    "parameters",
    "state",
    "inputs",
    "equations",
    "update",
    "spike",
    "reset",
    "refractory",
    "method",
    "on_pre",
    "on_post",
];

/// A hint for a word written where a unit was expected, if a unit symbol
/// is close to it.
pub(in crate::front) fn unit_suggestion(word: &str) -> Option<String> {
    let symbol = closest(word, UNITS.iter().map(|unit| unit.symbol))?;
    Some(if symbol.eq_ignore_ascii_case(word) {
        format!("units are case-sensitive: did you mean `{symbol}`?")
    } else {
        format!("did you mean `{symbol}`?")
    })
}

/// The list of unit symbols, for a hint when no single one is close.
pub(super) fn known_units() -> String {
    let symbols: Vec<&str> = UNITS.iter().map(|unit| unit.symbol).collect();
    format!("the known units are {}", symbols.join(", "))
}

/// Whether `word` is a unit symbol.
pub(in crate::front) fn is_unit(word: &str) -> bool {
    lookup_unit(word).is_some()
}
