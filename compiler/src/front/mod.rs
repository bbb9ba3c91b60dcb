//! The language front end: syntax tree, parser and formatter.
//!
//! [`parse()`] turns source text into an [`ast::Program`] and the diagnostics
//! of every syntax error in it; [`format()`] prints a program in the
//! canonical format, such that parsing the output gives the same tree.

pub mod ast;
mod format;
mod lexer;
mod parse;

pub use format::format;
pub use parse::{MAX_NESTING, parse};
