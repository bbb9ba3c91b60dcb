//! Top-level names: collecting every definition of every file, refusing
//! duplicates, and evaluating `const` values on demand with cycle detection
//! and `--set` overrides.

use super::load::Module;
use super::value::{Eval, Failure, Scope, Value, describe_dimension, eval};
use crate::diagnostic::Diagnostic;
use crate::front::ast::{Assign, Expr, ItemKind, ModelDecl};
use crate::suggest::closest;
use neurc_ir::Span;
use std::cell::RefCell;
use std::collections::HashMap;

/// Every top-level definition visible to the root file.
#[derive(Default)]
pub struct Definitions<'a> {
    /// `const` definitions by name.
    pub consts: HashMap<&'a str, &'a Assign>,
    /// Models (neuron, plasticity, modulator) by name.
    pub models: HashMap<&'a str, &'a ModelDecl>,
    /// Where each user-defined name was first defined, to report duplicates.
    defined_at: HashMap<&'a str, Span>,
}

impl<'a> Definitions<'a> {
    /// Collects definitions; user names shadow the prelude's, and a name
    /// defined twice outside the prelude is an error.
    pub fn collect(modules: &'a [Module], diagnostics: &mut Vec<Diagnostic>) -> Self {
        let mut defs = Definitions::default();
        for module in modules {
            for item in &module.program.items {
                let (name, span) = match &item.kind {
                    ItemKind::Const(assign) => (assign.name.name.as_str(), assign.name.loc.0),
                    ItemKind::Model(model) => (model.name.name.as_str(), model.name.loc.0),
                    ItemKind::Population(p) => (p.name.name.as_str(), p.name.loc.0),
                    ItemKind::Region(r) => (r.name.name.as_str(), r.name.loc.0),
                    ItemKind::Connectome(c) => (c.name.name.as_str(), c.name.loc.0),
                    _ => continue,
                };
                if !module.is_prelude {
                    if let Some(first) = defs.defined_at.get(name) {
                        diagnostics.push(
                            Diagnostic::error(
                                "neurc::name::duplicate",
                                format!("`{name}` is defined more than once"),
                            )
                            .label(span, "defined again here")
                            .label(*first, "first defined here")
                            .help("rename one of them: constants, models, populations and regions share one namespace"),
                        );
                        continue;
                    }
                    defs.defined_at.insert(name, span);
                }
                match &item.kind {
                    ItemKind::Const(assign) => {
                        defs.consts.insert(name, assign);
                    }
                    ItemKind::Model(model) => {
                        defs.models.insert(name, model);
                    }
                    _ => {}
                }
            }
        }
        defs
    }
}

/// A `--set NAME=VALUE` override, its value already parsed.
pub struct Override {
    /// The constant overridden.
    pub name: String,
    /// The new value.
    pub value: Expr,
}

/// Where the evaluation of a constant stands.
enum Slot {
    /// Being evaluated: meeting it again means a cycle.
    Evaluating,
    /// Evaluated: its value, or `None` if it failed (already reported).
    Done(Option<Value>),
}

/// What a lookup of a constant finds.
enum Lookup {
    /// Not evaluated yet.
    Fresh,
    /// Being evaluated further up: a cycle.
    Cycle,
    /// Evaluated before.
    Known(Option<Value>),
}

/// The `const` values, evaluated on first use.
pub struct Consts<'a> {
    defs: &'a HashMap<&'a str, &'a Assign>,
    overrides: HashMap<&'a str, &'a Expr>,
    slots: RefCell<HashMap<String, Slot>>,
    stack: RefCell<Vec<String>>,
    diagnostics: RefCell<Vec<Diagnostic>>,
}

impl<'a> Consts<'a> {
    /// The constants of `defs`, with overrides applied. An override of a
    /// constant nobody defines is reported.
    pub fn new(defs: &'a HashMap<&'a str, &'a Assign>, overrides: &'a [Override]) -> Self {
        let consts = Consts {
            defs,
            overrides: HashMap::new(),
            slots: RefCell::new(HashMap::new()),
            stack: RefCell::new(Vec::new()),
            diagnostics: RefCell::new(Vec::new()),
        };
        let mut map = HashMap::new();
        for o in overrides {
            if defs.contains_key(o.name.as_str()) {
                map.insert(o.name.as_str(), &o.value);
            } else {
                let names = defs.keys().copied();
                let mut d = Diagnostic::error(
                    "neurc::set::unknown_const",
                    format!("--set {}: the model has no constant `{}`", o.name, o.name),
                )
                .label(o.value.loc.0, "the value given");
                d = match closest(&o.name, names) {
                    Some(near) => d.help(format!("did you mean `{near}`?")),
                    None => d.help("--set overrides a top-level `const` of the model"),
                };
                consts.diagnostics.borrow_mut().push(d);
            }
        }
        Consts {
            overrides: map,
            ..consts
        }
    }

    /// Evaluates every constant (so that errors in unused ones are reported
    /// too), in source order.
    pub fn evaluate_all(&self) {
        let mut names: Vec<(&str, Span)> = self.defs.iter().map(|(n, a)| (*n, a.loc.0)).collect();
        names.sort_by_key(|(_, span)| (span.file, span.start));
        for (name, span) in names {
            let _ = self.value_of(name, span);
        }
    }

    /// The diagnostics found so far.
    pub fn take_diagnostics(&self) -> Vec<Diagnostic> {
        std::mem::take(&mut self.diagnostics.borrow_mut())
    }

    fn evaluate(&self, name: &str, assign: &Assign) -> Option<Value> {
        let report = |failure: Failure| {
            if let Failure::New(d) = failure {
                self.diagnostics.borrow_mut().push(*d);
            }
        };
        let declared = eval(&assign.value, self).map_err(report).ok();
        let Some(expr) = self.overrides.get(name) else {
            return declared;
        };
        let value = eval(expr, self).map_err(report).ok()?;
        let declared = declared?;
        if value.dimension() != declared.dimension()
            || std::mem::discriminant(&value) != std::mem::discriminant(&declared)
        {
            self.diagnostics.borrow_mut().push(
                Diagnostic::error(
                    "neurc::set::dimension",
                    format!(
                        "--set {name}: the model's `{name}` is {}, but the value given is {}",
                        declared.describe(),
                        value.describe()
                    ),
                )
                .label(expr.loc.0, format!("this is {}", value.describe()))
                .label(
                    assign.value.loc.0,
                    format!("declared as {}", declared.describe()),
                )
                .help(match declared.dimension() {
                    Some(d) => format!("give a value of {}", describe_dimension(d)),
                    None => "give a value of the same kind".into(),
                }),
            );
            return None;
        }
        Some(value)
    }
}

impl Scope for Consts<'_> {
    fn value_of(&self, name: &str, _at: Span) -> Option<Eval<Value>> {
        let assign = *self.defs.get(name)?;
        let slot = match self.slots.borrow().get(name) {
            None => Lookup::Fresh,
            Some(Slot::Evaluating) => Lookup::Cycle,
            Some(Slot::Done(value)) => Lookup::Known(value.clone()),
        };
        Some(match slot {
            Lookup::Fresh => self.evaluate_fresh(name, assign),
            Lookup::Known(Some(value)) => Ok(value),
            Lookup::Known(None) => Err(Failure::Reported),
            Lookup::Cycle => {
                self.report_cycle(name);
                Err(Failure::Reported)
            }
        })
    }

    fn names(&self) -> Vec<String> {
        self.defs.keys().map(|n| (*n).to_string()).collect()
    }
}

impl Consts<'_> {
    fn evaluate_fresh(&self, name: &str, assign: &Assign) -> Eval<Value> {
        self.slots
            .borrow_mut()
            .insert(name.to_string(), Slot::Evaluating);
        self.stack.borrow_mut().push(name.to_string());
        let value = self.evaluate(name, assign);
        self.stack.borrow_mut().pop();
        let mut slots = self.slots.borrow_mut();
        // A cycle through this constant has already marked it as failed.
        if let Some(Slot::Done(None)) = slots.get(name) {
            return Err(Failure::Reported);
        }
        slots.insert(name.to_string(), Slot::Done(value.clone()));
        value.ok_or(Failure::Reported)
    }

    /// Reports `a -> b -> a` once and marks every constant on it as failed.
    fn report_cycle(&self, name: &str) {
        let stack = self.stack.borrow();
        let start = stack.iter().position(|n| n == name).unwrap_or(0);
        let cycle: Vec<&str> = stack[start..].iter().map(String::as_str).collect();
        let mut d = Diagnostic::error(
            "neurc::const::cycle",
            format!(
                "constant `{name}` depends on itself: {} -> {name}",
                cycle.join(" -> ")
            ),
        );
        for member in &cycle {
            if let Some(assign) = self.defs.get(member) {
                d = d.label(assign.name.loc.0, format!("`{member}` is defined here"));
            }
        }
        self.diagnostics
            .borrow_mut()
            .push(d.help("give one of these constants a value that does not use the others"));
        let mut slots = self.slots.borrow_mut();
        for member in cycle {
            slots.insert(member.to_string(), Slot::Done(None));
        }
    }
}

/// A scope of local values (a model's parameters) over the constants.
pub struct Locals<'s> {
    /// Names bound locally, searched first.
    pub values: &'s [(String, Value)],
    /// The constants.
    pub outer: &'s dyn Scope,
}

impl Scope for Locals<'_> {
    fn value_of(&self, name: &str, at: Span) -> Option<Eval<Value>> {
        match self.values.iter().rev().find(|(n, _)| n == name) {
            Some((_, v)) => Some(Ok(v.clone())),
            None => self.outer.value_of(name, at),
        }
    }

    fn names(&self) -> Vec<String> {
        let mut names = self.outer.names();
        names.extend(self.values.iter().map(|(n, _)| n.clone()));
        names
    }
}
