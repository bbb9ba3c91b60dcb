//! Affine forms of model expressions: `constant + Σ coefficient · variable`
//! over state variables and inputs, with parameters and `dt` read as
//! numbers. Model classification uses them to recognise the chip's linear
//! dynamics, and says exactly which term is not linear when one is not.

use neurc_ir::{BinaryOp, Expr, Func, NeuronModel, UnaryOp, Var};
use std::collections::BTreeMap;

/// `constant + Σ terms[var] · var`.
#[derive(Clone, PartialEq, Debug, Default)]
pub struct Affine {
    /// The constant part.
    pub constant: f64,
    /// Coefficients of state variables and inputs; zero coefficients are
    /// kept out.
    pub terms: BTreeMap<Var, f64>,
}

impl Affine {
    fn constant(value: f64) -> Affine {
        Affine {
            constant: value,
            terms: BTreeMap::new(),
        }
    }

    /// The coefficient of `var` (0 if absent).
    pub fn coefficient(&self, var: Var) -> f64 {
        self.terms.get(&var).copied().unwrap_or(0.0)
    }

    fn scale(mut self, factor: f64) -> Affine {
        self.constant *= factor;
        for c in self.terms.values_mut() {
            *c *= factor;
        }
        self.terms.retain(|_, c| *c != 0.0);
        self
    }

    fn add(mut self, other: Affine, sign: f64) -> Affine {
        self.constant += sign * other.constant;
        for (var, c) in other.terms {
            *self.terms.entry(var).or_insert(0.0) += sign * c;
        }
        self.terms.retain(|_, c| *c != 0.0);
        self
    }

    fn as_constant(&self) -> Option<f64> {
        self.terms.is_empty().then_some(self.constant)
    }
}

/// Reads an expression as an affine form. `param` gives each parameter's
/// value and `dt` the step. On failure, returns why the expression is not
/// affine, naming the model's variables ("product of `v` and `w`").
pub fn affine(
    expr: &Expr,
    model: &NeuronModel,
    param: &dyn Fn(u32) -> f64,
    dt: f64,
) -> Result<Affine, String> {
    let name = |var: &Var| match var {
        Var::State(i) => model
            .state
            .get(*i as usize)
            .map_or("?".to_string(), |s| format!("`{}`", s.name)),
        Var::Input(i) => model
            .inputs
            .get(*i as usize)
            .map_or("?".to_string(), |s| format!("`{}`", s.name)),
        _ => "?".to_string(),
    };
    let variables = |form: &Affine| {
        form.terms
            .keys()
            .map(name)
            .collect::<Vec<_>>()
            .join(" and ")
    };
    let recurse = |e: &Expr| affine(e, model, param, dt);
    Ok(match expr {
        Expr::Const(c) => Affine::constant(*c),
        Expr::Var(Var::Param(p)) => Affine::constant(param(*p)),
        Expr::Var(Var::Dt) => Affine::constant(dt),
        Expr::Var(Var::Time) => return Err("it reads the time `t`".into()),
        Expr::Var(Var::Distance) => return Err("it reads a distance".into()),
        Expr::Var(var) => Affine {
            constant: 0.0,
            terms: BTreeMap::from([(*var, 1.0)]),
        },
        Expr::Unary(UnaryOp::Neg, a) => recurse(a)?.scale(-1.0),
        Expr::Unary(UnaryOp::Not, _) => return Err("a logical `not`".into()),
        Expr::Binary(op, a, b) => {
            let (a, b) = (recurse(a)?, recurse(b)?);
            match op {
                BinaryOp::Add => a.add(b, 1.0),
                BinaryOp::Sub => a.add(b, -1.0),
                BinaryOp::Mul => match (a.as_constant(), b.as_constant()) {
                    (Some(c), _) => b.scale(c),
                    (_, Some(c)) => a.scale(c),
                    _ if a.terms.len() == 1 && a.terms.keys().eq(b.terms.keys()) => {
                        return Err(format!("a quadratic term in {}", variables(&a)));
                    }
                    _ => {
                        return Err(format!(
                            "a product of {} with {}",
                            variables(&a),
                            variables(&b)
                        ));
                    }
                },
                BinaryOp::Div => match b.as_constant() {
                    Some(c) => a.scale(1.0 / c),
                    None => return Err(format!("a division by {}", variables(&b))),
                },
                BinaryOp::Pow => match (a.as_constant(), b.as_constant()) {
                    (Some(x), Some(y)) => Affine::constant(x.powf(y)),
                    (None, Some(1.0)) => a,
                    (None, Some(2.0)) => {
                        return Err(format!("a quadratic term in {}", variables(&a)));
                    }
                    _ => return Err(format!("a power of {}", variables(&a))),
                },
                _ => {
                    return Err(format!("a comparison or logical `{}`", op.symbol()));
                }
            }
        }
        Expr::Call(func, args) => {
            let forms = args.iter().map(recurse).collect::<Result<Vec<_>, _>>()?;
            if matches!(func, Func::Rand | Func::Randn | Func::Poisson) {
                return Err(format!("a random draw `{}()`", func.name()));
            }
            if let Some(form) = forms.iter().find(|f| f.as_constant().is_none()) {
                return Err(format!("`{}` of {}", func.name(), variables(form)));
            }
            let value = expr
                .eval(&|var| match var {
                    Var::Param(p) => param(p),
                    Var::Dt => dt,
                    _ => f64::NAN,
                })
                .ok_or_else(|| format!("`{}`, which the chip cannot compute", func.name()))?;
            Affine::constant(value)
        }
    })
}
