//! The canonical format, what `neurc fmt` prints.
//!
//! The format is a function of the tree alone (locations are ignored), and
//! parsing what it prints gives the same tree back, comments and blank
//! lines included. Blank lines are the author's paragraphs: one is printed
//! before every node whose comments say the source had one there, except
//! right after a `{` or at the start of the file, and always between two
//! top-level items that are not of the same one-line kind. The one subtle
//! part is expressions: parentheses are exactly the ones the precedence
//! table needs (the table is shared with the parser), plus the ones that
//! keep a unit from swallowing what follows it: `(2 ms)^2` is not
//! `2 ms^2`, and `(1 mV) / ms` is not `1 mV / ms`; and for readability a
//! number with a unit is parenthesized as a divisor, `x / (1 mV)`.

use super::ast::{
    Arg, Comments, ConnectSetting, Expr, ExprKind, Item, ItemKind, PopRef, Program, Section,
    SectionKind, Slice, UnaryOp, UnitExpr,
};
use super::parse::vocabulary::{
    PREC_ATOM, PREC_COMPARE, PREC_NEGATE, PREC_NOT, is_unit, precedence,
};
use neurc_ir::BinaryOp;

/// Prints a program in the canonical format.
pub fn format(program: &Program) -> String {
    let mut printer = Printer {
        fresh: true,
        ..Printer::default()
    };
    let mut previous: Option<&Item> = None;
    for item in &program.items {
        if previous.is_some_and(|previous| blank_line_required(previous, item)) {
            printer.blank_line();
        }
        printer.item(item);
        previous = Some(item);
    }
    if !program.trailing_comments.is_empty() {
        printer.blank_line();
        for comment in &program.trailing_comments {
            printer.comment(comment);
        }
    }
    printer.text
}

/// Whether the canonical format sets `item` apart from the item before it
/// by a blank line whatever the source had: items are, except consecutive
/// items of the same one-line kind, which are grouped (and then set apart
/// only where the source had a blank line).
pub(super) fn blank_line_required(previous: &Item, item: &Item) -> bool {
    let kind = one_line_kind(item);
    kind.is_none() || one_line_kind(previous) != kind
}

/// The kind of a one-line item, which is grouped with the items of the
/// same kind around it instead of being set apart by blank lines.
fn one_line_kind(item: &Item) -> Option<&'static str> {
    match &item.kind {
        ItemKind::Const(_) => Some("const"),
        ItemKind::Import(_) => Some("import"),
        ItemKind::Population(population) if population.body.is_empty() => Some("population"),
        ItemKind::Connect(connect) if connect.settings.is_empty() => Some("connect"),
        ItemKind::Record(_) => Some("record"),
        ItemKind::Couple(_) => Some("couple"),
        _ => None,
    }
}

/// Output text and the current indentation.
#[derive(Default)]
struct Printer {
    text: String,
    indent: usize,
    /// Whether nothing but a blank line has been printed since the start
    /// of the file or of the current block, where no blank line goes.
    fresh: bool,
}

impl Printer {
    /// A blank line, unless at the start of the file or of a block, or
    /// right after another blank line.
    fn blank_line(&mut self) {
        if !self.fresh {
            self.text.push('\n');
            self.fresh = true;
        }
    }

    /// One line at the current indentation, with an optional trailing
    /// comment.
    fn line(&mut self, content: &str, trailing: Option<&String>) {
        for _ in 0..self.indent {
            self.text.push_str("    ");
        }
        self.text.push_str(content);
        if let Some(comment) = trailing {
            self.text.push_str("  //");
            self.text.push_str(comment);
        }
        self.text.push('\n');
        self.fresh = false;
    }

    /// A whole-line comment.
    fn comment(&mut self, text: &str) {
        self.line(&format!("//{text}"), None);
    }

    /// What goes before a node: a blank line if the source had one, and
    /// its leading comments.
    fn leading(&mut self, comments: &Comments) {
        if comments.blank_line_before {
            self.blank_line();
        }
        for comment in &comments.leading {
            self.comment(comment);
        }
    }

    /// A node that fits on one line, with its comments.
    fn node(&mut self, content: &str, comments: &Comments) {
        self.leading(comments);
        self.line(content, comments.trailing.as_ref());
    }

    /// `header { entries }` with its comments; `{}` when empty.
    fn block<T>(
        &mut self,
        header: &str,
        entries: &[T],
        comments: &Comments,
        mut entry: impl FnMut(&mut Self, &T),
    ) {
        if entries.is_empty() {
            return self.node(&format!("{header} {{}}"), comments);
        }
        self.leading(comments);
        self.line(&format!("{header} {{"), None);
        self.fresh = true;
        self.indent += 1;
        for value in entries {
            entry(self, value);
        }
        self.indent -= 1;
        self.line("}", comments.trailing.as_ref());
    }

    /// `header { entries }`, or the header alone when there are no entries
    /// (for the items whose body is optional).
    fn optional_block<T>(
        &mut self,
        header: &str,
        entries: &[T],
        comments: &Comments,
        entry: impl FnMut(&mut Self, &T),
    ) {
        if entries.is_empty() {
            self.node(header, comments);
        } else {
            self.block(header, entries, comments, entry);
        }
    }

    fn assign(&mut self, assign: &super::ast::Assign) {
        self.node(
            &format!("{} = {}", assign.name.name, expr(&assign.value)),
            &assign.comments,
        );
    }

    fn item(&mut self, item: &Item) {
        let comments = &item.comments;
        match &item.kind {
            ItemKind::Const(assign) => {
                self.node(
                    &format!("const {} = {}", assign.name.name, expr(&assign.value)),
                    comments,
                );
            }
            ItemKind::Import(import) => {
                self.node(&format!("import {}", quote(&import.path)), comments)
            }
            ItemKind::Model(model) => {
                let header = format!("{} {}", model.kind.keyword(), model.name.name);
                self.block(&header, &model.sections, comments, Self::section);
            }
            ItemKind::Population(population) => {
                let header = format!(
                    "population {} = {}[{}]",
                    population.name.name,
                    population.model.name,
                    expr(&population.size)
                );
                self.optional_block(&header, &population.body, comments, Self::assign);
            }
            ItemKind::Connect(connect) => {
                let header = format!(
                    "connect {} -> {} : {}",
                    pop_refs(&connect.pre),
                    pop_refs(&connect.post),
                    call(&connect.rule.name.name, &connect.rule.args)
                );
                self.optional_block(&header, &connect.settings, comments, Self::connect_setting);
            }
            ItemKind::Record(record) => {
                let content = format!("record {}({})", record.what.name, pop_refs(&record.targets));
                self.node(&content, comments);
            }
            ItemKind::Simulate(settings) => {
                self.block("simulate", settings, comments, Self::assign)
            }
            ItemKind::Region(region) => {
                let header = format!("region {} = {}", region.name.name, region.model.name);
                self.optional_block(&header, &region.body, comments, Self::assign);
            }
            ItemKind::Connectome(connectome) => {
                let header = format!("connectome {}", connectome.name.name);
                self.block(&header, &connectome.body, comments, Self::assign);
            }
            ItemKind::Couple(couple) => {
                let content = format!(
                    "couple {} -> {} : {}",
                    pop_ref(&couple.from),
                    pop_ref(&couple.to),
                    call(&couple.converter.name.name, &couple.converter.args)
                );
                self.node(&content, comments);
            }
        }
    }

    fn connect_setting(&mut self, setting: &ConnectSetting) {
        match setting {
            ConnectSetting::Weight {
                value,
                target,
                comments,
                ..
            } => self.node(
                &format!("weight = {} -> {}", expr(value), target.name),
                comments,
            ),
            ConnectSetting::Assign(assign) => self.assign(assign),
        }
    }

    fn section(&mut self, section: &Section) {
        let comments = &section.comments;
        let keyword = section.kind.keyword();
        match &section.kind {
            SectionKind::Parameters(entries)
            | SectionKind::State(entries)
            | SectionKind::Update(entries)
            | SectionKind::Reset(entries)
            | SectionKind::OnPre(entries)
            | SectionKind::OnPost(entries) => self.block(keyword, entries, comments, Self::assign),
            SectionKind::Inputs(inputs) => {
                self.block(keyword, inputs, comments, |printer, input| {
                    printer.node(
                        &format!("{}: {}", input.name.name, unit(&input.unit)),
                        &input.comments,
                    );
                })
            }
            SectionKind::Equations(equations) => {
                self.block(keyword, equations, comments, |printer, equation| {
                    let content = format!("d{}/dt = {}", equation.var.name, expr(&equation.rhs));
                    printer.node(&content, &equation.comments);
                });
            }
            SectionKind::Spike(condition) => {
                self.node(&format!("spike {}", expr(condition)), comments)
            }
            SectionKind::Refractory { period, hold } => {
                let mut content = format!("refractory {}", expr(period));
                if !hold.is_empty() {
                    let names: Vec<&str> = hold.iter().map(|ident| ident.name.as_str()).collect();
                    content.push_str(" hold ");
                    content.push_str(&names.join(", "));
                }
                self.node(&content, comments);
            }
            SectionKind::Method(method) => self.node(&format!("method {}", method.name), comments),
        }
    }
}

fn pop_refs(refs: &[PopRef]) -> String {
    refs.iter().map(pop_ref).collect::<Vec<_>>().join(", ")
}

fn pop_ref(pop: &PopRef) -> String {
    match &pop.slice {
        None => pop.name.name.clone(),
        Some(Slice::Index(index)) => format!("{}[{}]", pop.name.name, expr(index)),
        Some(Slice::Range(start, end)) => {
            format!("{}[{}..{}]", pop.name.name, expr(start), expr(end))
        }
    }
}

fn call(func: &str, args: &[Arg]) -> String {
    let args: Vec<String> = args
        .iter()
        .map(|arg| match &arg.name {
            Some(name) => format!("{} = {}", name.name, expr(&arg.value)),
            None => expr(&arg.value),
        })
        .collect();
    format!("{func}({})", args.join(", "))
}

/// A string literal, escaped.
fn quote(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

/// A number in its shortest form that parses back to the same bits:
/// positional for everyday magnitudes, scientific for huge and tiny ones.
fn number(value: f64) -> String {
    let magnitude = value.abs();
    if magnitude >= 1e15 || (magnitude > 0.0 && magnitude < 1e-4) {
        format!("{value:e}")
    } else {
        format!("{value}")
    }
}

/// A unit: `mV`, `mV/ms`, `nS*mV`, `ms^2`, `ms^-1`; `1` when dimensionless.
fn unit(unit: &UnitExpr) -> String {
    if unit.factors.is_empty() {
        return "1".to_string();
    }
    let power = |p: i32| {
        if p == 1 {
            String::new()
        } else {
            format!("^{p}")
        }
    };
    let mut text = String::new();
    for (index, factor) in unit.factors.iter().enumerate() {
        if index == 0 {
            text.push_str(&factor.symbol);
            text.push_str(&power(factor.power));
        } else if factor.power < 0 && factor.power != i32::MIN {
            text.push('/');
            text.push_str(&factor.symbol);
            text.push_str(&power(-factor.power));
        } else {
            text.push('*');
            text.push_str(&factor.symbol);
            text.push_str(&power(factor.power));
        }
    }
    text
}

/// An expression in canonical form.
fn expr(e: &Expr) -> String {
    render(e).text
}

/// An expression printed without outer parentheses, with what its parent
/// needs to know to decide whether to add them.
struct Rendered {
    text: String,
    /// How strongly its outermost operator binds.
    precedence: u8,
    /// Whether the text ends with a number's unit, which a following `*`,
    /// `/` or `^` would extend.
    ends_with_unit: bool,
}

impl Rendered {
    /// The text as an operand that must bind at least as strongly as `min`.
    fn operand(self, min: u8) -> Rendered {
        if self.precedence >= min {
            self
        } else {
            self.parenthesized()
        }
    }

    fn parenthesized(self) -> Rendered {
        Rendered {
            text: format!("({})", self.text),
            precedence: PREC_ATOM,
            ends_with_unit: false,
        }
    }
}

fn atom(text: String) -> Rendered {
    Rendered {
        text,
        precedence: PREC_ATOM,
        ends_with_unit: false,
    }
}

fn render(e: &Expr) -> Rendered {
    match &e.kind {
        ExprKind::Number {
            value,
            unit: Some(u),
        } if !u.factors.is_empty() => Rendered {
            text: format!("{} {}", number(*value), unit(u)),
            precedence: PREC_ATOM,
            ends_with_unit: true,
        },
        ExprKind::Number { value, .. } => atom(number(*value)),
        ExprKind::Bool(value) => atom(value.to_string()),
        ExprKind::Str(text) => atom(quote(text)),
        ExprKind::Name(name) => atom(name.clone()),
        ExprKind::Call { func, args } => atom(call(&func.name, args)),
        ExprKind::List(items) => {
            let items: Vec<String> = items.iter().map(expr).collect();
            atom(format!("[{}]", items.join(", ")))
        }
        ExprKind::Unary(op, operand) => {
            let (prefix, level) = match op {
                UnaryOp::Neg => ("-", PREC_NEGATE),
                UnaryOp::Not => ("not ", PREC_NOT),
            };
            let operand = render(operand).operand(level);
            Rendered {
                text: format!("{prefix}{}", operand.text),
                precedence: level,
                ends_with_unit: operand.ends_with_unit,
            }
        }
        ExprKind::Binary(op, lhs, rhs) => binary(*op, lhs, rhs),
    }
}

fn binary(op: BinaryOp, lhs: &Expr, rhs: &Expr) -> Rendered {
    let level = precedence(op);
    // Left-associative operators take an equal-precedence left operand bare;
    // `^` is right-associative, its base is an atom and its exponent a
    // unary expression; comparisons do not chain.
    let (left_min, right_min) = match op {
        BinaryOp::Pow => (PREC_ATOM, PREC_NEGATE),
        _ if level == PREC_COMPARE => (level + 1, level + 1),
        _ => (level, level + 1),
    };
    let mut left = render(lhs).operand(left_min);
    let mut right = render(rhs).operand(right_min);
    // `x / 1 mV` means `x / (1 mV)` but reads as `(x / 1) mV`.
    if op == BinaryOp::Div && carries_unit(rhs) {
        right = right.parenthesized();
    }
    let extends_unit = match op {
        BinaryOp::Pow => true,
        BinaryOp::Mul | BinaryOp::Div => starts_with_unit_symbol(&right.text),
        _ => false,
    };
    if left.ends_with_unit && extends_unit {
        left = left.parenthesized();
    }
    let text = if op == BinaryOp::Pow {
        format!("{}^{}", left.text, right.text)
    } else {
        format!("{} {} {}", left.text, op.symbol(), right.text)
    };
    Rendered {
        text,
        precedence: level,
        ends_with_unit: right.ends_with_unit,
    }
}

/// Whether `e` is a number written with a unit.
fn carries_unit(e: &Expr) -> bool {
    matches!(&e.kind, ExprKind::Number { unit: Some(u), .. } if !u.factors.is_empty())
}

/// Whether `text` starts with a unit symbol, which a unit just before it
/// would take as one of its factors.
fn starts_with_unit_symbol(text: &str) -> bool {
    let end = text
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(text.len());
    is_unit(&text[..end])
}
