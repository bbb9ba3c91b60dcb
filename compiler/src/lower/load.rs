//! Reading the root file, the prelude and every imported file.
//!
//! Imports are resolved relative to the importing file. A model's folder is
//! the folder of its root file; an import that resolves outside that folder
//! tree is refused unless the caller allows it, so checking or running a
//! model never reads files it was not meant to see. Each file is read once,
//! which also makes import cycles harmless.

use crate::diagnostic::{Diagnostic, SourceMap};
use crate::front::ast::{ItemKind, Program};
use crate::front::parse;
use std::path::{Path, PathBuf};

/// The built-in models, written in the language itself.
pub const PRELUDE: &str = include_str!("../prelude.snn");

/// The name the prelude has in diagnostics.
pub const PRELUDE_PATH: &str = "<prelude>";

/// One parsed source file.
#[derive(Debug)]
pub struct Module {
    /// Its syntax tree (spans carry its file id).
    pub program: Program,
    /// Whether it is the prelude, whose names any file may shadow.
    pub is_prelude: bool,
}

/// Parses the prelude, the root file and every file it imports, in that
/// order, adding each to `sources`.
pub fn load(
    root_path: &Path,
    root_text: &str,
    allow_outside: bool,
    sources: &mut SourceMap,
    diagnostics: &mut Vec<Diagnostic>,
) -> Vec<Module> {
    let prelude_file = sources.add(PRELUDE_PATH, PRELUDE);
    let (prelude, prelude_errors) = parse(PRELUDE, prelude_file);
    diagnostics.extend(prelude_errors);
    let mut modules = vec![Module {
        program: prelude,
        is_prelude: true,
    }];

    let root_dir = canonical_dir(root_path);
    let root_file = sources.add(root_path, root_text);
    let (root, errors) = parse(root_text, root_file);
    let mut broken_spans: Vec<neurc_ir::Span> =
        errors.iter().filter_map(Diagnostic::primary_span).collect();
    diagnostics.extend(errors);
    let mut loaded: Vec<PathBuf> = root_path.canonicalize().into_iter().collect();
    let mut pending = vec![(root_path.to_path_buf(), root)];

    while let Some((path, program)) = pending.pop() {
        for item in &program.items {
            let ItemKind::Import(import) = &item.kind else {
                continue;
            };
            // A path the parser already complained about (an unterminated
            // string) would only add a second, confusing error.
            if broken_spans
                .iter()
                .any(|s| s.file == import.path_loc.0.file && s.start == import.path_loc.0.start)
            {
                continue;
            }
            let base = path.parent().unwrap_or(Path::new("."));
            let target = base.join(&import.path);
            let Ok(canonical) = target.canonicalize() else {
                diagnostics.push(
                    Diagnostic::error(
                        "neurc::import::not_found",
                        format!("cannot find the imported file `{}`", import.path),
                    )
                    .label(import.path_loc.0, "no such file")
                    .help(format!(
                        "import paths are relative to the importing file's folder; looked for `{}`",
                        target.display()
                    )),
                );
                continue;
            };
            if !allow_outside && !canonical.starts_with(&root_dir) {
                diagnostics.push(
                    Diagnostic::error(
                        "neurc::import::outside",
                        format!("`{}` is outside the model's folder", import.path),
                    )
                    .label(import.path_loc.0, "resolves outside the model's folder tree")
                    .help(format!(
                        "imports must stay in the folder of `{}` or below it; copy the file there, or pass --allow-imports-outside",
                        root_path.display()
                    )),
                );
                continue;
            }
            if loaded.contains(&canonical) {
                continue;
            }
            let text = match std::fs::read_to_string(&canonical) {
                Ok(text) => text,
                Err(error) => {
                    diagnostics.push(
                        Diagnostic::error(
                            "neurc::import::unreadable",
                            format!("cannot read `{}`: {error}", import.path),
                        )
                        .label(import.path_loc.0, "imported here"),
                    );
                    continue;
                }
            };
            loaded.push(canonical.clone());
            let file = sources.add(&target, text.as_str());
            let (imported, errors) = parse(&text, file);
            broken_spans.extend(errors.iter().filter_map(Diagnostic::primary_span));
            diagnostics.extend(errors);
            check_definitions_only(&imported, diagnostics);
            pending.push((target, imported));
        }
        modules.push(Module {
            program,
            is_prelude: false,
        });
    }
    modules
}

/// The folder a model lives in, as an absolute path.
fn canonical_dir(root: &Path) -> PathBuf {
    let dir = root
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf())
}

/// Imported files bring definitions only: a population or a projection in
/// an imported file would silently add neurons to every model importing it.
fn check_definitions_only(program: &Program, diagnostics: &mut Vec<Diagnostic>) {
    for item in &program.items {
        if !matches!(
            item.kind,
            ItemKind::Const(_) | ItemKind::Import(_) | ItemKind::Model(_)
        ) {
            diagnostics.push(
                Diagnostic::error(
                    "neurc::import::not_a_definition",
                    "an imported file may only define constants and models",
                )
                .label(item.loc.0, "this is not a definition")
                .help("move populations, projections, records and settings into the root file"),
            );
        }
    }
}
