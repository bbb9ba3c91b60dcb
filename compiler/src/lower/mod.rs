//! From source text to a checked [`Network`]: load the prelude, the root
//! file and its imports; collect definitions; evaluate constants (with
//! `--set` overrides); lower models and network items, checking names,
//! dimensions and values on the way. Every problem found is reported, not
//! just the first.

mod connect;
mod expr;
mod from_file;
mod load;
mod model;
mod network;
mod scope;
mod units;
mod value;

pub use load::{PRELUDE, PRELUDE_PATH};

use crate::diagnostic::{Diagnostic, SourceMap};
use crate::front::ast::ItemKind;
use crate::front::parse;
use neurc_ir::Network;
use scope::{Consts, Definitions, Override};
use std::path::Path;

/// Choices of the caller that change what a file means.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// `--set NAME=VALUE` overrides of top-level constants, as written.
    pub overrides: Vec<(String, String)>,
    /// Whether imports may resolve outside the root file's folder tree.
    pub allow_imports_outside: bool,
}

/// The outcome of compiling a file: the sources read, the network if there
/// was no error, and every diagnostic.
#[derive(Debug)]
pub struct Compilation {
    /// Every file read (the prelude, the root, imports, `--set` values).
    pub sources: SourceMap,
    /// The network, if no error was found.
    pub network: Option<Network>,
    /// Every problem found.
    pub diagnostics: Vec<Diagnostic>,
}

/// Compiles the root file `path` whose text is `text`.
pub fn compile(path: &Path, text: &str, options: &Options) -> Compilation {
    let mut sources = SourceMap::default();
    let mut diagnostics = Vec::new();
    let modules = load::load(
        path,
        text,
        options.allow_imports_outside,
        &mut sources,
        &mut diagnostics,
    );
    let overrides = parse_overrides(&options.overrides, &mut sources, &mut diagnostics);

    let defs = Definitions::collect(&modules, &mut diagnostics);
    let consts = Consts::new(&defs.consts, &overrides);
    consts.evaluate_all();

    let mut builder = network::NetworkBuilder::new(&defs, &consts);
    builder.network.spans.files = sources
        .files()
        .iter()
        .map(|f| f.path.display().to_string())
        .collect();
    let (network, network_diagnostics) = builder.build(&modules);
    diagnostics.extend(consts.take_diagnostics());
    diagnostics.extend(network_diagnostics);
    diagnostics.sort_by_key(|d| d.primary_span().map(|s| (s.file, s.start)));
    diagnostics.dedup();
    if diagnostics.is_empty() && cfg!(debug_assertions) {
        diagnostics.extend(verify_lowered(&network));
    }

    Compilation {
        network: diagnostics.is_empty().then_some(network),
        sources,
        diagnostics,
    }
}

/// Parses each `--set NAME=VALUE` as the constant definition
/// `const NAME = VALUE` in a source of its own, so its errors point into it.
fn parse_overrides(
    given: &[(String, String)],
    sources: &mut SourceMap,
    diagnostics: &mut Vec<Diagnostic>,
) -> Vec<Override> {
    let mut overrides = Vec::new();
    for (name, value) in given {
        let text = format!("const {name} = {value}");
        let file = sources.add(format!("--set {name}"), text.as_str());
        let (program, errors) = parse(&text, file);
        if !errors.is_empty() {
            diagnostics.extend(errors);
            continue;
        }
        match program.items.into_iter().next().map(|i| i.kind) {
            Some(ItemKind::Const(assign)) if assign.name.name == *name => {
                overrides.push(Override {
                    name: name.clone(),
                    value: assign.value,
                })
            }
            _ => diagnostics.push(
                Diagnostic::error(
                    "neurc::set::syntax",
                    format!("--set {name}={value}: expected NAME=VALUE"),
                )
                .help("e.g. --set scale=0.5 or --set \"J=0.2 mV\""),
            ),
        }
    }
    overrides
}

/// In debug builds and tests, the lowered network must satisfy every IR
/// invariant; a violation is a bug in lowering, reported as such.
fn verify_lowered(network: &Network) -> Vec<Diagnostic> {
    match neurc_ir::verify(network) {
        Ok(()) => Vec::new(),
        Err(violations) => violations
            .into_iter()
            .map(|v| {
                let d = Diagnostic::error(
                    "neurc::internal::invalid_ir",
                    format!("lowering produced an invalid IR: {v}"),
                )
                .help("this is a bug in neurc, not in the model");
                match v.span {
                    Some(span) => d.label(span, "while lowering this"),
                    None => d,
                }
            })
            .collect(),
    }
}
