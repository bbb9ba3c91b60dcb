//! The syntax tree of a source file, as written: names unresolved, units
//! unchecked, comments kept so that `neurc fmt` can print them back.
//!
//! Locations ([`Loc`]) are carried on every node but are not part of a
//! tree's meaning: two trees that differ only in where they were written
//! compare equal, which is what "formatting then parsing gives back the same
//! tree" means.

use neurc_ir::Span;
pub use neurc_ir::{BinaryOp, UnaryOp};

/// Where a node was written. Compares equal to every other location.
#[derive(Clone, Copy, Debug, Default)]
pub struct Loc(pub Span);

impl PartialEq for Loc {
    fn eq(&self, _: &Loc) -> bool {
        true
    }
}

/// A name as written.
#[derive(Clone, PartialEq, Debug)]
pub struct Ident {
    /// The name.
    pub name: String,
    /// Where.
    pub loc: Loc,
}

/// Comments attached to a node: whole-line comments before it and a comment
/// at the end of its last line. Comment text excludes the `//` marker and
/// keeps everything after it verbatim.
#[derive(Clone, PartialEq, Debug, Default)]
pub struct Comments {
    /// `// ...` lines before the node, in order.
    pub leading: Vec<String>,
    /// `// ...` after the node on its last line.
    pub trailing: Option<String>,
    /// Whether a blank line separates this node (and its leading comments)
    /// from what precedes it; kept by the formatter.
    pub blank_line_before: bool,
}

/// A whole source file.
#[derive(Clone, PartialEq, Debug, Default)]
pub struct Program {
    /// Top-level items in order.
    pub items: Vec<Item>,
    /// Comments after the last item.
    pub trailing_comments: Vec<String>,
}

/// A top-level item with its comments.
#[derive(Clone, PartialEq, Debug)]
pub struct Item {
    /// What the item is.
    pub kind: ItemKind,
    /// Its comments.
    pub comments: Comments,
    /// Where (from its keyword to its end).
    pub loc: Loc,
}

/// The kinds of top-level item.
// A file holds tens of items, so boxing the larger variants would save
// nothing worth an indirection on every access.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, PartialEq, Debug)]
pub enum ItemKind {
    /// `const NAME = expr`
    Const(Assign),
    /// `import "path"`
    Import(Import),
    /// `neuron Name { sections }`, `plasticity Name { ... }`, `modulator name { ... }`
    Model(ModelDecl),
    /// `population name = Model[size] { overrides }`
    Population(PopulationDecl),
    /// `connect pre, ... -> post, ... : rule(args) { settings }`
    Connect(ConnectDecl),
    /// `record what(targets)`
    Record(RecordDecl),
    /// `simulate { settings }`
    Simulate(Vec<Assign>),
    /// `region name = Model { settings }`
    Region(RegionDecl),
    /// `connectome name { settings }`
    Connectome(ConnectomeDecl),
    /// `couple from -> to : converter(args)`
    Couple(CoupleDecl),
}

/// `name = value`, with its comments.
#[derive(Clone, PartialEq, Debug)]
pub struct Assign {
    /// The name assigned.
    pub name: Ident,
    /// The value.
    pub value: Expr,
    /// Its comments (inside blocks; for a `const` item the item holds them).
    pub comments: Comments,
    /// Where.
    pub loc: Loc,
}

/// `import "path"`.
#[derive(Clone, PartialEq, Debug)]
pub struct Import {
    /// The path as written (without quotes).
    pub path: String,
    /// Where the path string is.
    pub path_loc: Loc,
}

/// Which kind of model a [`ModelDecl`] declares.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ModelKind {
    /// `neuron`
    Neuron,
    /// `plasticity`
    Plasticity,
    /// `modulator`
    Modulator,
}

impl ModelKind {
    /// The keyword.
    pub fn keyword(self) -> &'static str {
        match self {
            ModelKind::Neuron => "neuron",
            ModelKind::Plasticity => "plasticity",
            ModelKind::Modulator => "modulator",
        }
    }
}

/// A model declaration: a neuron model, a plasticity rule or a modulator
/// field, all built from the same sections.
#[derive(Clone, PartialEq, Debug)]
pub struct ModelDecl {
    /// Which kind.
    pub kind: ModelKind,
    /// Its name.
    pub name: Ident,
    /// Its sections in order.
    pub sections: Vec<Section>,
}

/// A section of a model, with its comments.
#[derive(Clone, PartialEq, Debug)]
pub struct Section {
    /// What the section is.
    pub kind: SectionKind,
    /// Its comments.
    pub comments: Comments,
    /// Where (from its keyword to its end).
    pub loc: Loc,
}

/// The kinds of model section.
#[derive(Clone, PartialEq, Debug)]
pub enum SectionKind {
    /// `parameters { name = value ... }`
    Parameters(Vec<Assign>),
    /// `state { name = initial ... }`
    State(Vec<Assign>),
    /// `inputs { name: unit ... }`
    Inputs(Vec<InputDecl>),
    /// `equations { dx/dt = rhs ... }`
    Equations(Vec<Equation>),
    /// `update { name = value ... }`
    Update(Vec<Assign>),
    /// `spike condition`
    Spike(Expr),
    /// `reset { name = value ... }`
    Reset(Vec<Assign>),
    /// `refractory period [hold a, b]`
    Refractory {
        /// The period.
        period: Expr,
        /// Variables held while refractory (empty: those in the spike condition).
        hold: Vec<Ident>,
    },
    /// `method name`
    Method(Ident),
    /// `on_pre { ... }` (plasticity)
    OnPre(Vec<Assign>),
    /// `on_post { ... }` (plasticity)
    OnPost(Vec<Assign>),
}

impl SectionKind {
    /// The keyword that opens the section.
    pub fn keyword(&self) -> &'static str {
        match self {
            SectionKind::Parameters(_) => "parameters",
            SectionKind::State(_) => "state",
            SectionKind::Inputs(_) => "inputs",
            SectionKind::Equations(_) => "equations",
            SectionKind::Update(_) => "update",
            SectionKind::Spike(_) => "spike",
            SectionKind::Reset(_) => "reset",
            SectionKind::Refractory { .. } => "refractory",
            SectionKind::Method(_) => "method",
            SectionKind::OnPre(_) => "on_pre",
            SectionKind::OnPost(_) => "on_post",
        }
    }
}

/// `name: unit` in an `inputs` section.
#[derive(Clone, PartialEq, Debug)]
pub struct InputDecl {
    /// The input's name.
    pub name: Ident,
    /// Its unit (which gives its dimension).
    pub unit: UnitExpr,
    /// Its comments.
    pub comments: Comments,
    /// Where.
    pub loc: Loc,
}

/// `dx/dt = rhs`.
#[derive(Clone, PartialEq, Debug)]
pub struct Equation {
    /// The differentiated variable (`x` in `dx/dt`).
    pub var: Ident,
    /// The right-hand side.
    pub rhs: Expr,
    /// Its comments.
    pub comments: Comments,
    /// Where.
    pub loc: Loc,
}

/// A unit written after a number: a product of unit symbols with integer
/// powers, `mV`, `mV/ms`, `nS*mV`, `ms^2`, or `1` (no factors).
#[derive(Clone, PartialEq, Debug, Default)]
pub struct UnitExpr {
    /// The factors in written order; a factor after `/` has a negative power.
    pub factors: Vec<UnitFactor>,
    /// Where.
    pub loc: Loc,
}

/// One symbol of a [`UnitExpr`] with its power.
#[derive(Clone, PartialEq, Debug)]
pub struct UnitFactor {
    /// The unit symbol (`mV`).
    pub symbol: String,
    /// Its power (negative after `/`).
    pub power: i32,
}

/// An expression.
#[derive(Clone, PartialEq, Debug)]
pub struct Expr {
    /// What it is.
    pub kind: ExprKind,
    /// Where.
    pub loc: Loc,
}

/// The kinds of expression.
#[derive(Clone, PartialEq, Debug)]
pub enum ExprKind {
    /// A number with an optional unit: `20 ms`, `0.5`, `140 mV/ms`.
    Number {
        /// The value as written (in the unit, not SI).
        value: f64,
        /// The unit, if any.
        unit: Option<UnitExpr>,
    },
    /// `true` or `false`.
    Bool(bool),
    /// A string literal (file paths).
    Str(String),
    /// A name.
    Name(String),
    /// `-x`, `not x`.
    Unary(UnaryOp, Box<Expr>),
    /// `a + b`, `a ^ b`, `a < b`, `a and b`, ...
    Binary(BinaryOp, Box<Expr>, Box<Expr>),
    /// `f(a, name = b)`.
    Call {
        /// The function.
        func: Ident,
        /// Its arguments.
        args: Vec<Arg>,
    },
    /// `[a, b, c]`.
    List(Vec<Expr>),
}

/// A call argument, positional or named.
#[derive(Clone, PartialEq, Debug)]
pub struct Arg {
    /// The name, for `name = value`.
    pub name: Option<Ident>,
    /// The value.
    pub value: Expr,
}

/// `population name = Model[size] { overrides }`.
#[derive(Clone, PartialEq, Debug)]
pub struct PopulationDecl {
    /// The population's name.
    pub name: Ident,
    /// Its model.
    pub model: Ident,
    /// Its size.
    pub size: Expr,
    /// Parameter and initial-state overrides, and `positions = ...`.
    pub body: Vec<Assign>,
}

/// A population, or part of one: `exc`, `exc[0..10]`, `exc[3]`.
#[derive(Clone, PartialEq, Debug)]
pub struct PopRef {
    /// The population.
    pub name: Ident,
    /// A slice of it.
    pub slice: Option<Slice>,
    /// Where.
    pub loc: Loc,
}

/// Which neurons of a population.
#[derive(Clone, PartialEq, Debug)]
pub enum Slice {
    /// `[i]`
    Index(Expr),
    /// `[start..end]`, end exclusive.
    Range(Expr, Expr),
}

/// `name(args)`: a connectivity rule or a converter.
#[derive(Clone, PartialEq, Debug)]
pub struct CallSpec {
    /// Its name.
    pub name: Ident,
    /// Its arguments.
    pub args: Vec<Arg>,
    /// Where.
    pub loc: Loc,
}

/// `connect pre, ... -> post, ... : rule(args) { settings }`.
#[derive(Clone, PartialEq, Debug)]
pub struct ConnectDecl {
    /// Presynaptic populations.
    pub pre: Vec<PopRef>,
    /// Postsynaptic populations.
    pub post: Vec<PopRef>,
    /// The connectivity rule.
    pub rule: CallSpec,
    /// `weight = w -> var`, `delay = d`, `autapses = b`, `multapses = b`,
    /// `plasticity = Rule`.
    pub settings: Vec<ConnectSetting>,
}

/// One setting in a `connect` body.
#[derive(Clone, PartialEq, Debug)]
pub enum ConnectSetting {
    /// `weight = value -> target`.
    Weight {
        /// The weight.
        value: Expr,
        /// The variable it lands on.
        target: Ident,
        /// Its comments.
        comments: Comments,
        /// Where.
        loc: Loc,
    },
    /// Any other `name = value`.
    Assign(Assign),
}

/// `record what(targets)`.
#[derive(Clone, PartialEq, Debug)]
pub struct RecordDecl {
    /// `spikes` or a state variable's name.
    pub what: Ident,
    /// The recorded populations.
    pub targets: Vec<PopRef>,
}

/// `region name = Model { settings }`.
#[derive(Clone, PartialEq, Debug)]
pub struct RegionDecl {
    /// The region's name.
    pub name: Ident,
    /// The neural-mass model.
    pub model: Ident,
    /// Its settings.
    pub body: Vec<Assign>,
}

/// `connectome name { settings }`.
#[derive(Clone, PartialEq, Debug)]
pub struct ConnectomeDecl {
    /// The connectome's name.
    pub name: Ident,
    /// Its settings (`weights = "file.csv"`, `lengths = ...`, `speed = ...`).
    pub body: Vec<Assign>,
}

/// `couple from -> to : converter(args)`.
#[derive(Clone, PartialEq, Debug)]
pub struct CoupleDecl {
    /// Where the signal comes from.
    pub from: PopRef,
    /// Where it goes.
    pub to: PopRef,
    /// How it is converted.
    pub converter: CallSpec,
}
