//! The language front end: syntax tree, parser and formatter.

pub mod ast;
