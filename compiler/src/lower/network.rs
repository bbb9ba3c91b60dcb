//! Lowering of the network items — `simulate`, `population`, `connect`,
//! `record` — into the IR graph, and the refusal of constructs that no
//! target runs yet.

use super::connect::lower_connect;
use super::load::Module;
use super::model::{lower_neuron, param_value};
use super::scope::{Consts, Definitions};
use super::value::{
    Eval, Failure, Report, Value, describe_dimension, eval, eval_distribution, eval_number,
    expect_dimension,
};
use crate::diagnostic::Diagnostic;
use crate::front::ast::{
    Assign, Item, ItemKind, ModelKind, PopRef, PopulationDecl, RecordDecl, Slice,
};
use crate::suggest::closest;
use neurc_ir::{
    Dimension, Layout, ModelId, Network, NeuronRange, Node, NodeId, ParamValue, Population, Probe,
    ProbeTarget, Record, Simulation, Span,
};
use std::collections::{HashMap, HashSet};

/// Builds the network from the root file's items.
pub struct NetworkBuilder<'a> {
    /// Definitions of every file.
    pub defs: &'a Definitions<'a>,
    /// The constants.
    pub consts: &'a Consts<'a>,
    /// The network built so far.
    pub network: Network,
    /// Models lowered so far, by name.
    pub model_ids: HashMap<String, Option<ModelId>>,
    /// Populations declared so far, by name.
    pub populations: HashMap<String, NodeId>,
    /// Populations declared with errors: already reported, so a use of
    /// them is not reported again as an unknown name.
    pub broken_populations: HashSet<String>,
    /// What went wrong.
    pub diagnostics: Vec<Diagnostic>,
}

impl<'a> NetworkBuilder<'a> {
    /// An empty network over these definitions.
    pub fn new(defs: &'a Definitions<'a>, consts: &'a Consts<'a>) -> Self {
        NetworkBuilder {
            defs,
            consts,
            network: Network::default(),
            model_ids: HashMap::new(),
            populations: HashMap::new(),
            broken_populations: HashSet::new(),
            diagnostics: Vec::new(),
        }
    }

    /// Lowers every item of the root file, then checks the models of every
    /// imported file (reporting their problems even if unused).
    pub fn build(mut self, modules: &[Module]) -> (Network, Vec<Diagnostic>) {
        let Some(root) = modules.iter().find(|m| !m.is_prelude) else {
            return (self.network, self.diagnostics);
        };
        self.simulation(&root.program.items);
        for item in &root.program.items {
            self.item(item);
        }
        for module in modules.iter().filter(|m| !m.is_prelude) {
            for item in &module.program.items {
                if let ItemKind::Model(model) = &item.kind
                    && model.kind == ModelKind::Neuron
                {
                    self.model(&model.name.name, model.name.loc.0);
                }
            }
        }
        (self.network, self.diagnostics)
    }

    fn item(&mut self, item: &Item) {
        match &item.kind {
            ItemKind::Population(p) => self.population(p, item.loc.0),
            ItemKind::Connect(c) => lower_connect(self, c, item.loc.0),
            ItemKind::Record(r) => self.record(r, item.loc.0),
            ItemKind::Model(m) if m.kind != ModelKind::Neuron => {
                self.unsupported(m.kind.keyword(), m.name.loc.0)
            }
            ItemKind::Region(r) => self.unsupported("region", r.name.loc.0),
            ItemKind::Connectome(c) => self.unsupported("connectome", c.name.loc.0),
            ItemKind::Couple(c) => self.unsupported("couple", c.converter.loc.0),
            ItemKind::Const(_)
            | ItemKind::Import(_)
            | ItemKind::Model(_)
            | ItemKind::Simulate(_) => {}
        }
    }

    /// The construct parses and is part of the language, but no executor
    /// runs it yet: say so instead of silently ignoring it.
    pub fn unsupported(&mut self, construct: &str, name: Span) {
        let what = match construct {
            "plasticity" => "plasticity rules",
            "modulator" => "modulator fields",
            "region" => "neural-mass regions",
            "connectome" => "connectomes",
            "couple" => "couplings between spikes, rates and fields",
            _ => construct,
        };
        self.diagnostics.push(
            Diagnostic::error(
                "neurc::unsupported::construct",
                format!("`{construct}` is not yet executable by any target"),
            )
            .label(
                name,
                format!("{what} are part of the language, but no target runs them yet"),
            )
            .help(format!(
                "remove or comment out this `{construct}` to check and run the rest of the network"
            )),
        );
    }

    /// Lowers a neuron model on first use and returns its id.
    pub fn model(&mut self, name: &str, used_at: Span) -> Option<ModelId> {
        if let Some(id) = self.model_ids.get(name) {
            return *id;
        }
        let Some(decl) = self.defs.models.get(name).copied() else {
            let d = Diagnostic::error(
                "neurc::name::unknown_model",
                format!("unknown neuron model `{name}`"),
            )
            .label(used_at, "no model of this name");
            let names = self.defs.models.keys().copied();
            self.diagnostics.push(match closest(name, names) {
                Some(near) => d.help(format!("did you mean `{near}`?")),
                None => d.help("declare it with `neuron Name { ... }`, or use a built-in model such as `LifExp`"),
            });
            return None;
        };
        if decl.kind != ModelKind::Neuron {
            self.diagnostics.push(
                Diagnostic::error(
                    "neurc::name::not_a_neuron",
                    format!(
                        "`{name}` is a {} declaration, not a neuron model",
                        decl.kind.keyword()
                    ),
                )
                .label(used_at, "a population needs a neuron model"),
            );
            self.model_ids.insert(name.to_string(), None);
            return None;
        }
        let model = lower_neuron(decl, self.consts, &mut self.diagnostics);
        let id = model.map(|m| {
            let id = ModelId(self.network.models.len() as u32);
            self.network.models.push(m);
            self.network.spans.models.insert(id, decl.name.loc.0);
            id
        });
        self.model_ids.insert(name.to_string(), id);
        id
    }

    fn simulation(&mut self, items: &[Item]) {
        let mut blocks = items.iter().filter_map(|i| match &i.kind {
            ItemKind::Simulate(settings) => Some((settings, i.loc.0)),
            _ => None,
        });
        let Some((settings, first)) = blocks.next() else {
            return;
        };
        for (_, span) in blocks {
            self.diagnostics.push(
                Diagnostic::error(
                    "neurc::simulate::duplicate",
                    "more than one `simulate` block",
                )
                .label(span, "second block")
                .label(first, "first block")
                .help("merge the settings into one `simulate` block"),
            );
        }
        let mut sim = Simulation::default();
        for entry in settings {
            let at = entry.value.loc.0;
            match entry.name.name.as_str() {
                "dt" => {
                    if let Some(q) = self.diagnostics.ok(time_setting(entry, self.consts)) {
                        if q > 0.0 {
                            sim.dt = q;
                        } else {
                            self.diagnostics.push(positive("the step `dt`", at));
                        }
                    }
                }
                "duration" => {
                    if let Some(q) = self.diagnostics.ok(time_setting(entry, self.consts)) {
                        if q >= 0.0 {
                            sim.duration = q;
                        } else {
                            self.diagnostics.push(positive("the duration", at));
                        }
                    }
                }
                "seed" => {
                    let seed = eval_number(&entry.value, self.consts, "the seed").and_then(|q| {
                        expect_dimension(q.dimension, Dimension::DIMENSIONLESS, at, "the seed")?;
                        whole_number(q, at, "the seed", 0.0, u64::MAX as f64)
                    });
                    if let Some(seed) = self.diagnostics.ok(seed) {
                        sim.seed = seed as u64;
                    }
                }
                other => self.diagnostics.push(unknown_setting(
                    other,
                    entry.name.loc.0,
                    "simulate",
                    &["dt", "duration", "seed"],
                )),
            }
        }
        self.network.simulation = sim;
    }

    fn population(&mut self, decl: &PopulationDecl, span: Span) {
        let name = decl.name.name.clone();
        let model_id = self.model(&decl.model.name, decl.model.loc.0);
        let size = eval_number(&decl.size, self.consts, "a population size")
            .and_then(|q| {
                expect_dimension(
                    q.dimension,
                    Dimension::DIMENSIONLESS,
                    decl.size.loc.0,
                    "a population size",
                )?;
                Ok(q)
            })
            .and_then(|q| {
                if q.value < 1.0 {
                    return Err(Diagnostic::error(
                        "neurc::value::size",
                        format!("population `{name}` has {} neurons", q.value),
                    )
                    .label(decl.size.loc.0, "must be at least 1")
                    .help("a population needs at least one neuron; remove it if it is not needed")
                    .into());
                }
                whole_number(
                    q,
                    decl.size.loc.0,
                    "a population size",
                    1.0,
                    f64::from(u32::MAX),
                )
            });
        let size = self.diagnostics.ok(size);
        let model = model_id.and_then(|id| self.network.model(id)).cloned();
        let (Some(model_id), Some(size), Some(model)) = (model_id, size, model) else {
            self.broken_populations.insert(name);
            return;
        };
        let mut population = Population {
            name: name.clone(),
            model: model_id,
            size: size as u32,
            params: model.params.iter().map(|p| p.default.clone()).collect(),
            init: model.state.iter().map(|s| s.init.clone()).collect(),
            positions: None,
        };
        for entry in &decl.body {
            self.population_setting(&mut population, &model, entry);
        }
        for value in &population.params {
            let ParamValue::Schedule(lists) = value else {
                continue;
            };
            if lists.len() > 1 && lists.len() != population.size as usize {
                self.diagnostics.push(
                    Diagnostic::error(
                        "neurc::value::schedule",
                        format!(
                            "`{name}` has {} neurons but {} spike-time lists",
                            population.size,
                            lists.len()
                        ),
                    )
                    .label(decl.name.loc.0, "list count differs from the size")
                    .help("give one list per neuron, or a single flat list shared by all neurons"),
                );
            }
        }
        let node = if model.is_source() {
            Node::Source(population)
        } else {
            Node::Population(population)
        };
        let id = NodeId::from(self.network.graph.add_node(node));
        self.network.spans.nodes.insert(id, span);
        self.populations.insert(name, id);
    }

    fn population_setting(
        &mut self,
        population: &mut Population,
        model: &neurc_ir::NeuronModel,
        entry: &Assign,
    ) {
        let key = entry.name.name.as_str();
        let at = entry.value.loc.0;
        if key == "positions" {
            if let Some(layout) = self
                .diagnostics
                .ok(layout(entry, self.consts, population.size))
            {
                population.positions = Some(layout);
            }
        } else if let Some(i) = model.params.iter().position(|p| p.name == key) {
            let declared = model.params[i].dimension;
            let value = eval(&entry.value, self.consts)
                .and_then(|v| param_value(&v, entry))
                .and_then(|(value, dim)| {
                    expect_dimension(
                        dim,
                        declared,
                        at,
                        &format!("parameter `{key}` of `{}`", model.name),
                    )?;
                    Ok(value)
                });
            if let Some(value) = self.diagnostics.ok(value) {
                population.params[i] = value;
            }
        } else if let Some(i) = model.state.iter().position(|s| s.name == key) {
            let declared = model.state[i].dimension;
            let value = eval_distribution(
                &entry.value,
                self.consts,
                &format!("the initial value of `{key}`"),
            )
            .and_then(|(d, dim)| {
                expect_dimension(
                    dim,
                    declared,
                    at,
                    &format!("state variable `{key}` of `{}`", model.name),
                )?;
                Ok(d)
            });
            if let Some(value) = self.diagnostics.ok(value) {
                population.init[i] = value;
            }
        } else {
            let mut names: Vec<&str> = model.params.iter().map(|p| p.name.as_str()).collect();
            names.extend(model.state.iter().map(|s| s.name.as_str()));
            names.push("positions");
            self.diagnostics.push(unknown_setting(
                key,
                entry.name.loc.0,
                &format!("a population of `{}`", model.name),
                &names,
            ));
        }
    }

    /// Resolves `exc`, `exc[3]` or `exc[0..10]` to a node and neuron range.
    pub fn pop_ref(&mut self, r: &PopRef) -> Option<(NodeId, NeuronRange)> {
        if self.broken_populations.contains(&r.name.name) {
            return None;
        }
        let Some(&node) = self.populations.get(&r.name.name) else {
            let d = Diagnostic::error(
                "neurc::name::unknown_population",
                format!("unknown population `{}`", r.name.name),
            )
            .label(r.name.loc.0, "no population of this name");
            let names = self.populations.keys().map(String::as_str);
            let d = match closest(&r.name.name, names) {
                Some(near) => d.help(format!("did you mean `{near}`?")),
                None => d.help("declare it before use: `population name = Model[size]`"),
            };
            self.diagnostics.push(d);
            return None;
        };
        let size = self.network.node(node)?.population()?.size;
        let range = match &r.slice {
            None => NeuronRange::new(0, size),
            Some(Slice::Index(i)) => {
                let i = self.diagnostics.ok(index(i, self.consts))?;
                NeuronRange::new(i, i.saturating_add(1))
            }
            Some(Slice::Range(a, b)) => {
                let a = self.diagnostics.ok(index(a, self.consts))?;
                let b = self.diagnostics.ok(index(b, self.consts))?;
                NeuronRange::new(a, b)
            }
        };
        if range.start >= range.end || range.end > size {
            self.diagnostics.push(
                Diagnostic::error(
                    "neurc::value::slice",
                    format!(
                        "`{}` has neurons 0..{size}, so {}..{} is not a valid slice",
                        r.name.name, range.start, range.end
                    ),
                )
                .label(r.loc.0, "out of range or empty")
                .help(format!(
                    "a slice `[start..end]` needs 0 <= start < end <= {size}"
                )),
            );
            return None;
        }
        Some((node, range))
    }

    fn record(&mut self, decl: &RecordDecl, span: Span) {
        let what = decl.what.name.as_str();
        let probe = if what == "spikes" {
            Probe::Spikes
        } else {
            Probe::State(what.to_string())
        };
        let mut targets = Vec::new();
        for r in &decl.targets {
            let Some((node, neurons)) = self.pop_ref(r) else {
                continue;
            };
            let state = match &probe {
                Probe::Spikes => None,
                Probe::State(var) => {
                    let model = self
                        .network
                        .node(node)
                        .and_then(Node::population)
                        .and_then(|p| self.network.model(p.model));
                    let Some(model) = model else { continue };
                    match model.state_index(var) {
                        Some(i) => Some(i),
                        None => {
                            let d = Diagnostic::error(
                                "neurc::record::unknown_variable",
                                format!(
                                    "`{}` (model `{}`) has no state variable `{var}`",
                                    r.name.name, model.name
                                ),
                            )
                            .label(decl.what.loc.0, "not a state variable of this population")
                            .label(r.loc.0, "recorded here");
                            let names = model.state.iter().map(|s| s.name.as_str());
                            self.diagnostics.push(match closest(var, names) {
                                Some(near) => d.help(format!("did you mean `{near}`?")),
                                None => d.help(
                                    "record `spikes(...)` or one of the model's state variables",
                                ),
                            });
                            continue;
                        }
                    }
                }
            };
            targets.push(ProbeTarget {
                node,
                neurons,
                state,
            });
        }
        self.network.records.push(Record { probe, targets });
        self.network.spans.records.push(span);
    }
}

/// A `simulate` setting that must be a time, in seconds.
fn time_setting(entry: &Assign, consts: &Consts<'_>) -> Eval<f64> {
    let what = format!("`{}`", entry.name.name);
    let q = eval_number(&entry.value, consts, &what)?;
    expect_dimension(q.dimension, Dimension::TIME, entry.value.loc.0, &what)?;
    Ok(q.value)
}

fn positive(what: &str, at: Span) -> Diagnostic {
    Diagnostic::error(
        "neurc::value::not_positive",
        format!("{what} must be positive"),
    )
    .label(at, "not positive")
}

/// Requires a whole number within bounds.
pub fn whole_number(q: neurc_ir::Quantity, at: Span, what: &str, low: f64, high: f64) -> Eval<f64> {
    if q.value.fract() != 0.0 || !(low..=high).contains(&q.value) {
        return Err(Diagnostic::error(
            "neurc::value::not_whole",
            format!(
                "{what} must be a whole number from {low} to {high}, not {}",
                q.value
            ),
        )
        .label(at, "not a whole number in range")
        .into());
    }
    Ok(q.value)
}

fn index(e: &crate::front::ast::Expr, consts: &Consts<'_>) -> Eval<u32> {
    let q = eval_number(e, consts, "a neuron index")?;
    expect_dimension(
        q.dimension,
        Dimension::DIMENSIONLESS,
        e.loc.0,
        "a neuron index",
    )?;
    Ok(whole_number(q, e.loc.0, "a neuron index", 0.0, f64::from(u32::MAX))? as u32)
}

/// The diagnostic for a setting nothing defines.
pub fn unknown_setting(name: &str, at: Span, context: &str, known: &[&str]) -> Diagnostic {
    let d = Diagnostic::error(
        "neurc::name::unknown_setting",
        format!("{context} has no setting `{name}`"),
    )
    .label(at, "unknown setting");
    match closest(name, known.iter().copied()) {
        Some(near) => d.help(format!("did you mean `{near}`?")),
        None => d.help(format!("the settings are: {}", known.join(", "))),
    }
}

/// `grid(nx, ny, nz, spacing)` or `random_box(x, y, z)`.
fn layout(entry: &Assign, consts: &Consts<'_>, size: u32) -> Eval<Layout> {
    let at = entry.value.loc.0;
    let crate::front::ast::ExprKind::Call { func, args } = &entry.value.kind else {
        return Err(layout_help(at));
    };
    let arg = |name: &str, position: usize| {
        args.iter()
            .find(|a| a.name.as_ref().is_some_and(|n| n.name == name))
            .or_else(|| args.get(position).filter(|a| a.name.is_none()))
            .map(|a| &a.value)
    };
    match func.name.as_str() {
        "grid" => {
            let mut shape = [1u32; 3];
            for (i, axis) in ["nx", "ny", "nz"].into_iter().enumerate() {
                if let Some(e) = arg(axis, i) {
                    shape[i] = index(e, consts)?;
                }
            }
            let spacing_expr = arg("spacing", 3).ok_or_else(|| layout_help(at))?;
            let spacing = eval_number(spacing_expr, consts, "the grid spacing")?;
            expect_dimension(
                spacing.dimension,
                Dimension::LENGTH,
                spacing_expr.loc.0,
                "the grid spacing",
            )?;
            let cells = u64::from(shape[0]) * u64::from(shape[1]) * u64::from(shape[2]);
            if cells != u64::from(size) {
                return Err(Diagnostic::error(
                    "neurc::population::grid_size",
                    format!(
                        "a {}×{}×{} grid has {cells} places for {size} neurons",
                        shape[0], shape[1], shape[2]
                    ),
                )
                .label(at, "grid size differs from the population size")
                .help("choose nx, ny, nz whose product is the population size")
                .into());
            }
            Ok(Layout::Grid {
                shape,
                spacing: spacing.value,
            })
        }
        "random_box" => {
            let mut extent = [0.0; 3];
            for (i, axis) in ["x", "y", "z"].into_iter().enumerate() {
                if let Some(e) = arg(axis, i) {
                    let q = eval_number(e, consts, "a box side")?;
                    expect_dimension(q.dimension, Dimension::LENGTH, e.loc.0, "a box side")?;
                    extent[i] = q.value;
                }
            }
            Ok(Layout::RandomBox { extent })
        }
        _ => Err(layout_help(func.loc.0)),
    }
}

fn layout_help(at: Span) -> Failure {
    Diagnostic::error("neurc::population::positions", "positions must be `grid(...)` or `random_box(...)`")
        .label(at, "not a layout")
        .help(format!(
            "e.g. `positions = grid(nx = 10, ny = 10, spacing = 50 um)` or `positions = random_box(x = 1 mm, y = 1 mm)`; {}",
            describe_dimension(Dimension::LENGTH)
        ))
        .into()
}

/// The value of a `Value` as a boolean setting.
pub fn boolean(entry: &Assign, consts: &Consts<'_>) -> Eval<bool> {
    match eval(&entry.value, consts)? {
        Value::Bool(b) => Ok(b),
        other => Err(Diagnostic::error(
            "neurc::type::expected_bool",
            format!(
                "`{}` must be `true` or `false`, not {}",
                entry.name.name,
                other.describe()
            ),
        )
        .label(entry.value.loc.0, format!("this is {}", other.describe()))
        .into()),
    }
}
