//! Evaluation of constant expressions with dimension checking: `const`
//! values, parameter values, initial states, sizes, rule arguments, weights
//! and delays. Distributions (`uniform(...)`, `normal(...)`, …) are values
//! here, drawn later per neuron or per synapse.

use super::units::unit_of;
use crate::diagnostic::Diagnostic;
use crate::front::ast::{Arg, BinaryOp, Expr, ExprKind, UnaryOp};
use crate::suggest::closest;
use neurc_ir::{Dimension, Distribution, Quantity, Span};

/// A constant value.
#[derive(Clone, PartialEq, Debug)]
pub enum Value {
    /// A number with a dimension (SI).
    Number(Quantity),
    /// `true` or `false`, or a comparison.
    Bool(bool),
    /// A string literal.
    Str(String),
    /// `[a, b, ...]`.
    List(Vec<Value>),
    /// A distribution of numbers of one dimension.
    Dist(Distribution, Dimension),
}

impl Value {
    /// What kind of value this is, for messages ("a voltage (V)", "a list").
    pub fn describe(&self) -> String {
        match self {
            Value::Number(q) => describe_dimension(q.dimension),
            Value::Bool(_) => "a boolean".into(),
            Value::Str(_) => "a string".into(),
            Value::List(_) => "a list".into(),
            Value::Dist(_, d) => format!("a distribution of {}", describe_dimension(*d)),
        }
    }

    /// The dimension of a number or a distribution.
    pub fn dimension(&self) -> Option<Dimension> {
        match self {
            Value::Number(q) => Some(q.dimension),
            Value::Dist(_, d) => Some(*d),
            _ => None,
        }
    }
}

/// "a voltage (V)", "a dimensionless number".
pub fn describe_dimension(d: Dimension) -> String {
    if d.is_dimensionless() {
        "a dimensionless number".into()
    } else if d.to_string() == d.symbol() {
        format!("a quantity in {}", d.symbol())
    } else {
        let text = d.to_string();
        let article = if text.starts_with(['a', 'e', 'i', 'o', 'u']) {
            "an"
        } else {
            "a"
        };
        format!("{article} {text}")
    }
}

/// Why an evaluation failed: a new diagnostic, or one already reported
/// elsewhere (a broken `const` used here), which must not be repeated.
#[derive(Debug)]
pub enum Failure {
    /// A new problem.
    New(Box<Diagnostic>),
    /// Already reported.
    Reported,
}

impl From<Diagnostic> for Failure {
    fn from(d: Diagnostic) -> Self {
        Failure::New(Box::new(d))
    }
}

/// Result of an evaluation.
pub type Eval<T> = Result<T, Failure>;

/// Collecting the failures of evaluations into a list of diagnostics,
/// skipping those already reported elsewhere.
pub trait Report {
    /// Records a failure unless it was already reported.
    fn report(&mut self, failure: Failure);

    /// The value of a result, reporting its failure.
    fn ok<T>(&mut self, result: Eval<T>) -> Option<T> {
        result.map_err(|f| self.report(f)).ok()
    }
}

impl Report for Vec<Diagnostic> {
    fn report(&mut self, failure: Failure) {
        if let Failure::New(d) = failure {
            self.push(*d);
        }
    }
}

/// The names an expression can read.
pub trait Scope {
    /// The value of a name, or `None` if the scope does not define it.
    fn value_of(&self, name: &str, at: Span) -> Option<Eval<Value>>;
    /// Every name defined, for suggestions.
    fn names(&self) -> Vec<String>;
}

/// Evaluates a constant expression.
pub fn eval(expr: &Expr, scope: &dyn Scope) -> Eval<Value> {
    let span = expr.loc.0;
    match &expr.kind {
        ExprKind::Number { value, unit } => {
            let (scale, dimension) = match unit {
                Some(u) => unit_of(u)?,
                None => (1.0, Dimension::DIMENSIONLESS),
            };
            Ok(Value::Number(Quantity {
                value: value * scale,
                dimension,
            }))
        }
        ExprKind::Bool(b) => Ok(Value::Bool(*b)),
        ExprKind::Str(s) => Ok(Value::Str(s.clone())),
        ExprKind::Name(name) => match scope.value_of(name, span) {
            Some(v) => v,
            None => Err(unknown_name(name, span, &scope.names()).into()),
        },
        ExprKind::List(items) => items
            .iter()
            .map(|e| eval(e, scope))
            .collect::<Eval<Vec<_>>>()
            .map(Value::List),
        ExprKind::Unary(op, operand) => {
            let v = eval(operand, scope)?;
            match (op, v) {
                (UnaryOp::Neg, Value::Number(q)) => Ok(Value::Number(Quantity {
                    value: -q.value,
                    dimension: q.dimension,
                })),
                (UnaryOp::Not, Value::Bool(b)) => Ok(Value::Bool(!b)),
                (op, v) => Err(Diagnostic::error(
                    "neurc::type::operand",
                    format!("`{}` cannot be applied to {}", op.symbol(), v.describe()),
                )
                .label(operand.loc.0, format!("this is {}", v.describe()))
                .into()),
            }
        }
        ExprKind::Binary(op, lhs, rhs) => binary(*op, lhs, rhs, scope),
        ExprKind::Call { func, args } => call(&func.name, func.loc.0, args, span, scope),
    }
}

/// Evaluates and requires a number (not a distribution or boolean).
pub fn eval_number(expr: &Expr, scope: &dyn Scope, what: &str) -> Eval<Quantity> {
    match eval(expr, scope)? {
        Value::Number(q) => Ok(q),
        other => Err(Diagnostic::error(
            "neurc::type::expected_number",
            format!("{what} must be a number, not {}", other.describe()),
        )
        .label(expr.loc.0, format!("this is {}", other.describe()))
        .into()),
    }
}

/// Evaluates a number or distribution into a distribution.
pub fn eval_distribution(
    expr: &Expr,
    scope: &dyn Scope,
    what: &str,
) -> Eval<(Distribution, Dimension)> {
    match eval(expr, scope)? {
        Value::Number(q) => Ok((Distribution::Constant(q.value), q.dimension)),
        Value::Dist(d, dim) => Ok((d, dim)),
        other => Err(Diagnostic::error(
            "neurc::type::expected_number",
            format!(
                "{what} must be a number or a distribution, not {}",
                other.describe()
            ),
        )
        .label(expr.loc.0, format!("this is {}", other.describe()))
        .into()),
    }
}

/// Requires a value to have a dimension, with a diagnostic naming both.
pub fn expect_dimension(found: Dimension, expected: Dimension, at: Span, what: &str) -> Eval<()> {
    if found == expected {
        return Ok(());
    }
    Err(Diagnostic::error(
        "neurc::unit::wrong_dimension",
        format!(
            "{what} must be {}, but this is {}",
            describe_dimension(expected),
            describe_dimension(found)
        ),
    )
    .label(at, format!("this is {}", describe_dimension(found)))
    .help(format!(
        "write it with a unit of {}, e.g. `{}`",
        describe_dimension(expected),
        example_of(expected)
    ))
    .into())
}

/// An example literal of a dimension, for hints.
pub fn example_of(d: Dimension) -> String {
    let unit = neurc_ir::units::UNITS
        .iter()
        .find(|u| u.dimension == d && u.scale != 1.0)
        .or_else(|| neurc_ir::units::UNITS.iter().find(|u| u.dimension == d));
    match unit {
        Some(u) => format!("1 {}", u.symbol),
        None if d.is_dimensionless() => "0.5".into(),
        None => format!("1 {}", d.symbol()),
    }
}

/// The diagnostic for a name nothing defines.
pub fn unknown_name(name: &str, at: Span, names: &[String]) -> Diagnostic {
    let diagnostic = Diagnostic::error("neurc::name::unknown", format!("unknown name `{name}`"))
        .label(at, "not defined here or in any import");
    match closest(name, names.iter().map(String::as_str)) {
        Some(near) => diagnostic.help(format!("did you mean `{near}`?")),
        None => diagnostic.help(format!(
            "define it first, e.g. `const {name} = ...`, or import the file that defines it"
        )),
    }
}

/// The dimension of `lhs op rhs` for arithmetic and comparison operators,
/// or a diagnostic when the dimensions do not combine. Shared by constant
/// evaluation and model expressions so both speak the same rules.
pub fn combine_dimensions(
    op: BinaryOp,
    (lhs, lhs_span): (Dimension, Span),
    (rhs, rhs_span): (Dimension, Span),
    exponent: Option<f64>,
) -> Result<Dimension, Diagnostic> {
    match op {
        BinaryOp::Add
        | BinaryOp::Sub
        | BinaryOp::Lt
        | BinaryOp::Le
        | BinaryOp::Gt
        | BinaryOp::Ge
        | BinaryOp::Eq
        | BinaryOp::Ne => {
            if lhs != rhs {
                return Err(Diagnostic::error(
                    "neurc::unit::mismatch",
                    format!(
                        "cannot {} {} and {}",
                        match op {
                            BinaryOp::Add => "add",
                            BinaryOp::Sub => "subtract",
                            _ => "compare",
                        },
                        describe_dimension(lhs),
                        describe_dimension(rhs)
                    ),
                )
                .label(lhs_span, format!("this is {}", describe_dimension(lhs)))
                .label(rhs_span, format!("this is {}", describe_dimension(rhs)))
                .help("both sides must have the same dimension: check the units of each term"));
            }
            Ok(if op == BinaryOp::Add || op == BinaryOp::Sub {
                lhs
            } else {
                Dimension::DIMENSIONLESS
            })
        }
        BinaryOp::Mul => Ok(lhs * rhs),
        BinaryOp::Div => Ok(lhs / rhs),
        BinaryOp::Pow => {
            if !rhs.is_dimensionless() {
                return Err(Diagnostic::error(
                    "neurc::unit::exponent",
                    format!(
                        "an exponent must be dimensionless, but this is {}",
                        describe_dimension(rhs)
                    ),
                )
                .label(rhs_span, "not dimensionless"));
            }
            if lhs.is_dimensionless() {
                return Ok(lhs);
            }
            let n = exponent
                .filter(|e| e.fract() == 0.0 && e.abs() <= 8.0)
                .ok_or_else(|| {
                    Diagnostic::error(
                        "neurc::unit::exponent",
                        format!(
                            "{} can only be raised to a constant whole power",
                            describe_dimension(lhs)
                        ),
                    )
                    .label(rhs_span, "this exponent is not a constant integer")
                    .help("divide the base by its unit first, e.g. `(v / 1 mV)^1.5`")
                })?;
            lhs.powi(n as i32).ok_or_else(|| {
                Diagnostic::error(
                    "neurc::unit::exponent",
                    "the power's dimension is too large",
                )
                .label(rhs_span, "exponent too large")
            })
        }
        BinaryOp::And | BinaryOp::Or => Ok(Dimension::DIMENSIONLESS),
    }
}

fn binary(op: BinaryOp, lhs: &Expr, rhs: &Expr, scope: &dyn Scope) -> Eval<Value> {
    let (a, b) = (eval(lhs, scope)?, eval(rhs, scope)?);
    match (a, b) {
        (Value::Bool(x), Value::Bool(y)) if matches!(op, BinaryOp::And | BinaryOp::Or) => {
            Ok(Value::Bool(if op == BinaryOp::And { x && y } else { x || y }))
        }
        (Value::Number(x), Value::Number(y)) if !matches!(op, BinaryOp::And | BinaryOp::Or) => {
            let dimension = combine_dimensions(
                op,
                (x.dimension, lhs.loc.0),
                (y.dimension, rhs.loc.0),
                Some(y.value),
            )?;
            // The IR's evaluator is the one definition of the arithmetic.
            let folded = neurc_ir::Expr::Binary(
                op,
                Box::new(neurc_ir::Expr::Const(x.value)),
                Box::new(neurc_ir::Expr::Const(y.value)),
            );
            let value = folded.eval(&|_| f64::NAN).unwrap_or(f64::NAN);
            Ok(match op {
                BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div | BinaryOp::Pow => {
                    Value::Number(Quantity { value, dimension })
                }
                _ => Value::Bool(value != 0.0),
            })
        }
        (a, b) => Err(Diagnostic::error(
            "neurc::type::operand",
            format!(
                "`{}` cannot combine {} and {}",
                op.symbol(),
                a.describe(),
                b.describe()
            ),
        )
        .label(lhs.loc.0, format!("this is {}", a.describe()))
        .label(rhs.loc.0, format!("this is {}", b.describe()))
        .help(match (&a, &b) {
            (Value::Dist(..), _) | (_, Value::Dist(..)) => {
                "distributions cannot be combined arithmetically: put the arithmetic inside, e.g. `normal(2 * J, 0.1 * J)`"
            }
            _ => "arithmetic needs numbers and `and`/`or` need booleans",
        })
        .into()),
    }
}

/// Positional and named arguments matched against a parameter list.
fn bind_args<'e>(
    func: &str,
    func_span: Span,
    call_span: Span,
    args: &'e [Arg],
    params: &[&str],
) -> Eval<Vec<&'e Expr>> {
    let mut bound: Vec<Option<&Expr>> = vec![None; params.len()];
    for (position, arg) in args.iter().enumerate() {
        let slot = match &arg.name {
            Some(name) => params.iter().position(|p| *p == name.name).ok_or_else(|| {
                Diagnostic::error(
                    "neurc::call::unknown_argument",
                    format!("`{func}` has no argument `{}`", name.name),
                )
                .label(name.loc.0, "unknown argument")
                .help(format!("`{func}` takes ({})", params.join(", ")))
            })?,
            None if position < params.len() => position,
            None => {
                return Err(Diagnostic::error(
                    "neurc::call::arity",
                    format!(
                        "`{func}` takes {} arguments, but {} were given",
                        params.len(),
                        args.len()
                    ),
                )
                .label(arg.value.loc.0, "extra argument")
                .help(format!("`{func}` takes ({})", params.join(", ")))
                .into());
            }
        };
        if bound[slot].replace(&arg.value).is_some() {
            return Err(Diagnostic::error(
                "neurc::call::duplicate_argument",
                format!("argument `{}` of `{func}` is given twice", params[slot]),
            )
            .label(arg.value.loc.0, "given again here")
            .into());
        }
    }
    bound
        .into_iter()
        .zip(params)
        .map(|(b, p)| {
            b.ok_or_else(|| {
                Failure::from(
                    Diagnostic::error(
                        "neurc::call::missing_argument",
                        format!("`{func}` needs its argument `{p}`"),
                    )
                    .label(call_span, format!("`{p}` is missing"))
                    .label(func_span, format!("`{func}` takes ({})", params.join(", "))),
                )
            })
        })
        .collect()
}

/// Calls of built-in functions on constants: math functions and the
/// distribution constructors.
fn call(
    func: &str,
    func_span: Span,
    args: &[Arg],
    call_span: Span,
    scope: &dyn Scope,
) -> Eval<Value> {
    let params: &[&str] = match func {
        "uniform" => &["low", "high"],
        "normal" => &["mean", "sd"],
        "lognormal" => &["median", "sigma"],
        "clip" => &["x", "low", "high"],
        "min" | "max" => &["a", "b"],
        "exp" | "log" | "sqrt" | "abs" | "floor" | "round" => &["x"],
        _ => {
            let known = [
                "uniform",
                "normal",
                "lognormal",
                "clip",
                "min",
                "max",
                "exp",
                "log",
                "sqrt",
                "abs",
                "floor",
                "round",
            ];
            let diagnostic = Diagnostic::error(
                "neurc::name::unknown_function",
                format!("`{func}` is not a function that can be used in a constant"),
            )
            .label(func_span, "unknown function here");
            return Err(match closest(func, known) {
                Some(near) => diagnostic.help(format!("did you mean `{near}`?")),
                None => diagnostic.help(format!(
                    "constant expressions can call: {}",
                    known.join(", ")
                )),
            }
            .into());
        }
    };
    let exprs = bind_args(func, func_span, call_span, args, params)?;
    match func {
        "uniform" | "normal" | "lognormal" => distribution(func, &exprs, scope),
        "clip" => {
            let (inner, dim) = eval_distribution(exprs[0], scope, "the clipped value")?;
            let low = eval_number(exprs[1], scope, "the lower bound")?;
            let high = eval_number(exprs[2], scope, "the upper bound")?;
            expect_dimension(low.dimension, dim, exprs[1].loc.0, "the lower bound")?;
            expect_dimension(high.dimension, dim, exprs[2].loc.0, "the upper bound")?;
            ordered(low.value, high.value, exprs[1].loc.0.to(exprs[2].loc.0))?;
            Ok(match inner {
                Distribution::Constant(c) => Value::Number(Quantity {
                    value: c.clamp(low.value, high.value),
                    dimension: dim,
                }),
                inner => Value::Dist(
                    Distribution::Clipped {
                        inner: Box::new(inner),
                        low: low.value,
                        high: high.value,
                    },
                    dim,
                ),
            })
        }
        "min" | "max" => {
            let a = eval_number(exprs[0], scope, "the first argument")?;
            let b = eval_number(exprs[1], scope, "the second argument")?;
            expect_dimension(
                b.dimension,
                a.dimension,
                exprs[1].loc.0,
                "the second argument",
            )?;
            let value = if func == "min" {
                a.value.min(b.value)
            } else {
                a.value.max(b.value)
            };
            Ok(Value::Number(Quantity {
                value,
                dimension: a.dimension,
            }))
        }
        _ => {
            let x = eval_number(exprs[0], scope, "the argument")?;
            let dimension = match func {
                "sqrt" => x.dimension.sqrt().ok_or_else(|| {
                    Diagnostic::error(
                        "neurc::unit::sqrt",
                        format!(
                            "the square root of {} has no dimension",
                            describe_dimension(x.dimension)
                        ),
                    )
                    .label(exprs[0].loc.0, "odd powers of units")
                })?,
                "abs" => x.dimension,
                _ => {
                    expect_dimension(
                        x.dimension,
                        Dimension::DIMENSIONLESS,
                        exprs[0].loc.0,
                        &format!("the argument of `{func}`"),
                    )?;
                    Dimension::DIMENSIONLESS
                }
            };
            let value = match func {
                "exp" => x.value.exp(),
                "log" => x.value.ln(),
                "sqrt" => x.value.sqrt(),
                "abs" => x.value.abs(),
                "floor" => x.value.floor(),
                _ => x.value.round(),
            };
            Ok(Value::Number(Quantity { value, dimension }))
        }
    }
}

fn ordered(low: f64, high: f64, at: Span) -> Eval<()> {
    if low <= high {
        return Ok(());
    }
    Err(Diagnostic::error(
        "neurc::value::bounds",
        format!("the lower bound {low} is above the upper bound {high}"),
    )
    .label(at, "bounds in the wrong order")
    .help("swap the bounds")
    .into())
}

fn distribution(func: &str, exprs: &[&Expr], scope: &dyn Scope) -> Eval<Value> {
    let a = eval_number(exprs[0], scope, "the first argument")?;
    let b = eval_number(exprs[1], scope, "the second argument")?;
    let dim = a.dimension;
    let dist = match func {
        "uniform" => {
            expect_dimension(b.dimension, dim, exprs[1].loc.0, "the upper bound")?;
            ordered(a.value, b.value, exprs[0].loc.0.to(exprs[1].loc.0))?;
            Distribution::Uniform {
                low: a.value,
                high: b.value,
            }
        }
        "normal" => {
            expect_dimension(b.dimension, dim, exprs[1].loc.0, "the standard deviation")?;
            if b.value < 0.0 {
                return Err(Diagnostic::error(
                    "neurc::value::negative_sd",
                    "a standard deviation cannot be negative",
                )
                .label(exprs[1].loc.0, "negative")
                .into());
            }
            Distribution::Normal {
                mean: a.value,
                sd: b.value,
            }
        }
        _ => {
            expect_dimension(
                b.dimension,
                Dimension::DIMENSIONLESS,
                exprs[1].loc.0,
                "sigma (the standard deviation of the logarithm)",
            )?;
            Distribution::LogNormal {
                median: a.value,
                sigma: b.value,
            }
        }
    };
    Ok(Value::Dist(dist, dim))
}
