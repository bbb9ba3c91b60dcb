//! Lowering of model expressions (equations, updates, resets, spike
//! conditions, distance rules) to IR expression trees, inferring and
//! checking the dimension of every subexpression.

use super::units::unit_of;
use super::value::{
    Eval, Scope, Value, combine_dimensions, describe_dimension, expect_dimension, unknown_name,
};
use crate::diagnostic::Diagnostic;
use crate::front::ast::{self, ExprKind};
use crate::suggest::closest;
use neurc_ir::{BinaryOp, Dimension, Expr, Func, UnaryOp, Var};

/// The type of a model expression: a number of some dimension, or a
/// condition (comparisons, `and`, `or`, `not`, booleans).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Ty {
    /// A number.
    Number(Dimension),
    /// A truth value.
    Condition,
}

impl Ty {
    fn describe(self) -> String {
        match self {
            Ty::Number(d) => describe_dimension(d),
            Ty::Condition => "a condition".into(),
        }
    }
}

/// A name a model expression can read, with its type.
#[derive(Clone, Copy, Debug)]
pub struct Binding {
    /// What it reads.
    pub var: Var,
    /// Its dimension.
    pub dimension: Dimension,
    /// Whether it is a spike-time schedule (only `at(...)` may read it).
    pub is_schedule: bool,
}

/// The names visible in a model expression: the model's own variables
/// first, then the constants.
pub struct ModelScope<'s> {
    /// Parameters, state, inputs and built-ins by name.
    pub bindings: Vec<(String, Binding)>,
    /// The constants.
    pub consts: &'s dyn Scope,
}

impl ModelScope<'_> {
    fn lookup(&self, name: &str) -> Option<Binding> {
        self.bindings
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, b)| *b)
    }

    fn names(&self) -> Vec<String> {
        let mut names = self.consts.names();
        names.extend(self.bindings.iter().map(|(n, _)| n.clone()));
        names
    }
}

/// Lowers an expression and returns it with its type.
pub fn lower_expr(expr: &ast::Expr, scope: &ModelScope<'_>) -> Eval<(Expr, Ty)> {
    let span = expr.loc.0;
    match &expr.kind {
        ExprKind::Number { value, unit } => {
            let (scale, dimension) = match unit {
                Some(u) => unit_of(u)?,
                None => (1.0, Dimension::DIMENSIONLESS),
            };
            Ok((Expr::Const(value * scale), Ty::Number(dimension)))
        }
        ExprKind::Bool(b) => Ok((Expr::Const(f64::from(u8::from(*b))), Ty::Condition)),
        ExprKind::Str(_) | ExprKind::List(_) => Err(Diagnostic::error(
            "neurc::type::not_numeric",
            "strings and lists cannot appear in model expressions",
        )
        .label(span, "not a number")
        .help("lists are spike schedules: read them with `at(times)`")
        .into()),
        ExprKind::Name(name) => lower_name(name, span, scope),
        ExprKind::Unary(op, operand) => {
            let (inner, ty) = lower_expr(operand, scope)?;
            let expected = match op {
                UnaryOp::Neg => matches!(ty, Ty::Number(_)),
                UnaryOp::Not => ty == Ty::Condition,
            };
            if !expected {
                return Err(Diagnostic::error(
                    "neurc::type::operand",
                    format!(
                        "`{}` cannot be applied to {}",
                        if *op == UnaryOp::Neg { "-" } else { "not" },
                        ty.describe()
                    ),
                )
                .label(operand.loc.0, format!("this is {}", ty.describe()))
                .into());
            }
            Ok((Expr::Unary(*op, Box::new(inner)), ty))
        }
        ExprKind::Binary(op, lhs, rhs) => lower_binary(*op, lhs, rhs, scope),
        ExprKind::Call { func, args } => lower_call(func, args, span, scope),
    }
}

fn lower_name(name: &str, span: neurc_ir::Span, scope: &ModelScope<'_>) -> Eval<(Expr, Ty)> {
    if let Some(binding) = scope.lookup(name) {
        if binding.is_schedule {
            return Err(Diagnostic::error(
                "neurc::type::schedule",
                format!("`{name}` is a list of spike times and can only be read by `at({name})`"),
            )
            .label(span, "a spike schedule")
            .into());
        }
        return Ok((Expr::Var(binding.var), Ty::Number(binding.dimension)));
    }
    match scope.consts.value_of(name, span) {
        Some(Ok(Value::Number(q))) => Ok((Expr::Const(q.value), Ty::Number(q.dimension))),
        Some(Ok(Value::Bool(b))) => Ok((Expr::Const(f64::from(u8::from(b))), Ty::Condition)),
        Some(Ok(other)) => Err(Diagnostic::error(
            "neurc::type::not_numeric",
            format!(
                "the constant `{name}` is {}, which a model expression cannot use",
                other.describe()
            ),
        )
        .label(span, "used here")
        .into()),
        Some(Err(failure)) => Err(failure),
        None => Err(unknown_name(name, span, &scope.names()).into()),
    }
}

fn lower_binary(
    op: BinaryOp,
    lhs: &ast::Expr,
    rhs: &ast::Expr,
    scope: &ModelScope<'_>,
) -> Eval<(Expr, Ty)> {
    let (a, a_ty) = lower_expr(lhs, scope)?;
    let (b, b_ty) = lower_expr(rhs, scope)?;
    let logical = matches!(op, BinaryOp::And | BinaryOp::Or);
    let ty = match (a_ty, b_ty) {
        (Ty::Condition, Ty::Condition) if logical => Ty::Condition,
        (Ty::Number(x), Ty::Number(y)) if !logical => {
            let exponent = b.eval(&|_| f64::NAN).filter(|e| !e.is_nan());
            let dimension = combine_dimensions(op, (x, lhs.loc.0), (y, rhs.loc.0), exponent)?;
            if matches!(
                op,
                BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div | BinaryOp::Pow
            ) {
                Ty::Number(dimension)
            } else {
                Ty::Condition
            }
        }
        (x, y) => {
            return Err(Diagnostic::error(
                "neurc::type::operand",
                format!(
                    "`{}` cannot combine {} and {}",
                    op.symbol(),
                    x.describe(),
                    y.describe()
                ),
            )
            .label(lhs.loc.0, format!("this is {}", x.describe()))
            .label(rhs.loc.0, format!("this is {}", y.describe()))
            .help(if logical {
                "`and` and `or` join conditions such as `v > v_th`"
            } else {
                "arithmetic and comparisons need numbers; use `if(condition, a, b)` to choose by a condition"
            })
            .into());
        }
    };
    Ok((Expr::Binary(op, Box::new(a), Box::new(b)), ty))
}

fn lower_call(
    func: &ast::Ident,
    args: &[ast::Arg],
    span: neurc_ir::Span,
    scope: &ModelScope<'_>,
) -> Eval<(Expr, Ty)> {
    let Some(f) = Func::from_name(&func.name) else {
        let d = Diagnostic::error(
            "neurc::name::unknown_function",
            format!("unknown function `{}`", func.name),
        )
        .label(func.loc.0, "not a built-in function");
        let names = Func::ALL.map(Func::name);
        return Err(if matches!(func.name.as_str(), "uniform" | "normal" | "lognormal") {
            d.help("distributions draw initial values and weights; inside equations use `rand()` or `randn()`")
        } else if let Some(near) = closest(&func.name, names) {
            d.help(format!("did you mean `{near}`?"))
        } else {
            d.help(format!("model expressions can call: {}", names.join(", ")))
        }
        .into());
    };
    if let Some(named) = args.iter().find_map(|a| a.name.as_ref()) {
        return Err(Diagnostic::error(
            "neurc::call::named_argument",
            format!("`{}` takes positional arguments only", f.name()),
        )
        .label(named.loc.0, "named argument")
        .into());
    }
    if args.len() != f.arity() {
        return Err(Diagnostic::error(
            "neurc::call::arity",
            format!(
                "`{}` takes {} argument(s), but {} were given",
                f.name(),
                f.arity(),
                args.len()
            ),
        )
        .label(span, "wrong number of arguments")
        .into());
    }
    if f == Func::At {
        return lower_schedule(&args[0].value, scope);
    }
    let mut lowered = Vec::with_capacity(args.len());
    for arg in args {
        lowered.push((lower_expr(&arg.value, scope)?, arg.value.loc.0));
    }
    let number = |i: usize| -> Eval<Dimension> {
        let ((_, ty), at) = &lowered[i];
        match ty {
            Ty::Number(d) => Ok(*d),
            Ty::Condition => Err(Diagnostic::error(
                "neurc::type::operand",
                format!(
                    "argument {} of `{}` must be a number, not a condition",
                    i + 1,
                    f.name()
                ),
            )
            .label(*at, "a condition")
            .into()),
        }
    };
    let ty = match f {
        Func::Rand | Func::Randn => Ty::Number(Dimension::DIMENSIONLESS),
        Func::Poisson => {
            expect_dimension(
                number(0)?,
                Dimension::DIMENSIONLESS,
                lowered[0].1,
                "the mean of `poisson`",
            )?;
            Ty::Number(Dimension::DIMENSIONLESS)
        }
        Func::Exp | Func::Log | Func::Tanh | Func::Sin | Func::Cos => {
            expect_dimension(
                number(0)?,
                Dimension::DIMENSIONLESS,
                lowered[0].1,
                &format!("the argument of `{}`", f.name()),
            )?;
            Ty::Number(Dimension::DIMENSIONLESS)
        }
        Func::Sqrt => {
            let d = number(0)?;
            Ty::Number(d.sqrt().ok_or_else(|| {
                Diagnostic::error(
                    "neurc::unit::sqrt",
                    format!(
                        "the square root of {} has no dimension",
                        describe_dimension(d)
                    ),
                )
                .label(lowered[0].1, "odd powers of units")
            })?)
        }
        Func::Abs => Ty::Number(number(0)?),
        Func::Floor => {
            expect_dimension(
                number(0)?,
                Dimension::DIMENSIONLESS,
                lowered[0].1,
                "the argument of `floor`",
            )?;
            Ty::Number(Dimension::DIMENSIONLESS)
        }
        Func::Min | Func::Max | Func::Clip => {
            let d = number(0)?;
            for (i, (_, at)) in lowered.iter().enumerate().skip(1) {
                expect_dimension(
                    number(i)?,
                    d,
                    *at,
                    &format!("argument {} of `{}`", i + 1, f.name()),
                )?;
            }
            Ty::Number(d)
        }
        Func::If => {
            if lowered[0].0.1 != Ty::Condition {
                return Err(Diagnostic::error(
                    "neurc::type::condition",
                    "the first argument of `if` must be a condition",
                )
                .label(lowered[0].1, "not a condition")
                .help("compare something, e.g. `if(v > v_th, a, b)`")
                .into());
            }
            let d = number(1)?;
            expect_dimension(number(2)?, d, lowered[2].1, "the else-branch of `if`")?;
            Ty::Number(d)
        }
        Func::At => Ty::Condition,
    };
    Ok((
        Expr::Call(f, lowered.into_iter().map(|((e, _), _)| e).collect()),
        ty,
    ))
}

/// `at(times)`: the argument must name a spike-schedule parameter.
fn lower_schedule(arg: &ast::Expr, scope: &ModelScope<'_>) -> Eval<(Expr, Ty)> {
    if let ExprKind::Name(name) = &arg.kind
        && let Some(binding) = scope.lookup(name).filter(|b| b.is_schedule)
    {
        return Ok((
            Expr::Call(Func::At, vec![Expr::Var(binding.var)]),
            Ty::Condition,
        ));
    }
    Err(Diagnostic::error(
        "neurc::type::schedule",
        "`at` needs a parameter holding a list of spike times",
    )
    .label(arg.loc.0, "not a spike-time list")
    .help("declare `parameters { times = [1 ms, 5 ms] }` and write `spike at(times)`")
    .into())
}
