//! IR expressions to step code: parameters that are the same for every
//! neuron become constants, `dt` a constant, integer powers products, and
//! every subexpression that reads only constants is folded.

use super::PlanError;
use crate::cpu::interpret::{apply_fn, apply_op};
use crate::cpu::program::{BinOp, Code, MathFn, Slot};
use neurc_ir::{BinaryOp, Expr, Func, UnaryOp, Var};

/// How each model parameter appears in the code of one population.
#[derive(Clone, Copy, PartialEq, Debug)]
pub enum ParamSlot {
    /// The same value for every neuron, specialised into the code.
    Constant(f64),
    /// One value per neuron, by index into the program's parameters.
    PerNeuron(u32),
    /// A spike schedule, readable only by `at`.
    Schedule,
}

/// What the conversion of one expression needs to know.
pub struct Converter<'a> {
    /// Per model parameter, how it is read.
    pub params: &'a [ParamSlot],
    /// The step length, seconds.
    pub dt: f64,
    /// The model's name, for errors.
    pub model: &'a str,
}

impl Converter<'_> {
    /// `expr` as code, with state variable `j` read as `states(j)` and the
    /// time as `time` (integration stages read other values than the
    /// current state and time).
    pub fn convert_with(
        &self,
        expr: &Expr,
        states: &dyn Fn(u32) -> Code,
        time: &Code,
    ) -> Result<Code, PlanError> {
        let convert = |e: &Expr| self.convert_with(e, states, time);
        let code = match expr {
            Expr::Const(c) => Code::Const(*c),
            Expr::Var(Var::State(j)) => states(*j),
            Expr::Var(Var::Param(p)) => match self.params.get(*p as usize) {
                Some(ParamSlot::Constant(c)) => Code::Const(*c),
                Some(ParamSlot::PerNeuron(k)) => Code::Load(Slot::Param(*k)),
                Some(ParamSlot::Schedule) | None => return Err(self.unsupported("a schedule")),
            },
            Expr::Var(Var::Input(i)) => Code::Load(Slot::Input(*i)),
            Expr::Var(Var::Time) => time.clone(),
            Expr::Var(Var::Dt) => Code::Const(self.dt),
            Expr::Var(Var::Distance) => return Err(self.unsupported("the distance `d`")),
            Expr::Unary(UnaryOp::Neg, a) => unary(MathFn::Neg, convert(a)?),
            Expr::Unary(UnaryOp::Not, a) => binary(BinOp::Eq, convert(a)?, Code::Const(0.0)),
            Expr::Binary(BinaryOp::Pow, a, b) => {
                let exponent = b.eval(&|_| f64::NAN).unwrap_or(f64::NAN);
                power(convert(a)?, exponent)
                    .ok_or_else(|| self.unsupported("a non-integer power"))?
            }
            Expr::Binary(op, a, b) => binary(binary_op(*op), convert(a)?, convert(b)?),
            Expr::Call(func, args) => self.call(*func, args, &convert)?,
        };
        Ok(code)
    }

    fn call(
        &self,
        func: Func,
        args: &[Expr],
        convert: &dyn Fn(&Expr) -> Result<Code, PlanError>,
    ) -> Result<Code, PlanError> {
        let mut converted = Vec::with_capacity(args.len());
        for a in args {
            if func == Func::At {
                break;
            }
            converted.push(convert(a)?);
        }
        let mut next = converted.into_iter();
        let mut arg = || next.next().unwrap_or(Code::Const(f64::NAN));
        Ok(match func {
            Func::Exp => unary(MathFn::Exp, arg()),
            Func::Log => unary(MathFn::Log, arg()),
            Func::Sqrt => unary(MathFn::Sqrt, arg()),
            Func::Abs => unary(MathFn::Abs, arg()),
            Func::Tanh => unary(MathFn::Tanh, arg()),
            Func::Sin => unary(MathFn::Sin, arg()),
            Func::Cos => unary(MathFn::Cos, arg()),
            Func::Floor => unary(MathFn::Floor, arg()),
            Func::Min => binary(BinOp::Min, arg(), arg()),
            Func::Max => binary(BinOp::Max, arg(), arg()),
            // `x.max(low).min(high)`, as constant evaluation computes it.
            Func::Clip => {
                let (x, low, high) = (arg(), arg(), arg());
                binary(BinOp::Min, binary(BinOp::Max, x, low), high)
            }
            Func::If => select(arg(), arg(), arg()),
            Func::Rand => Code::Rand,
            Func::Randn => Code::Randn,
            Func::Poisson => {
                let mean = arg();
                let exp_neg = unary(MathFn::Exp, unary(MathFn::Neg, mean.clone()));
                Code::Poisson(Box::new(mean), Box::new(exp_neg))
            }
            Func::At => Code::Scheduled,
        })
    }

    fn unsupported(&self, what: &str) -> PlanError {
        PlanError::Unsupported {
            model: self.model.to_string(),
            what: what.to_string(),
        }
    }
}

fn binary_op(op: BinaryOp) -> BinOp {
    match op {
        BinaryOp::Add => BinOp::Add,
        BinaryOp::Sub => BinOp::Sub,
        BinaryOp::Mul => BinOp::Mul,
        BinaryOp::Div | BinaryOp::Pow => BinOp::Div,
        BinaryOp::Lt => BinOp::Lt,
        BinaryOp::Le => BinOp::Le,
        BinaryOp::Gt => BinOp::Gt,
        BinaryOp::Ge => BinOp::Ge,
        BinaryOp::Eq => BinOp::Eq,
        BinaryOp::Ne => BinOp::Ne,
        BinaryOp::And => BinOp::And,
        BinaryOp::Or => BinOp::Or,
    }
}

/// `base ^ exponent` for a whole exponent: a left-to-right product, or its
/// reciprocal for a negative exponent, so both executors multiply the same
/// way. `None` for a fractional or absurd exponent.
fn power(base: Code, exponent: f64) -> Option<Code> {
    if exponent.fract() != 0.0 || exponent.abs() > 64.0 {
        return None;
    }
    let n = exponent.abs() as u32;
    let product = (1..n).fold(
        if n == 0 {
            Code::Const(1.0)
        } else {
            base.clone()
        },
        |acc, _| binary(BinOp::Mul, acc, base.clone()),
    );
    Some(if exponent < 0.0 {
        binary(BinOp::Div, Code::Const(1.0), product)
    } else {
        product
    })
}

/// A one-argument function, folded if its argument is a constant (in
/// `f64`, by the interpreter's own arithmetic).
pub fn unary(f: MathFn, a: Code) -> Code {
    match a {
        Code::Const(x) => Code::Const(apply_fn(f, x)),
        a => Code::Unary(f, Box::new(a)),
    }
}

/// A binary operation, folded if both operands are constants.
pub fn binary(op: BinOp, a: Code, b: Code) -> Code {
    match (a, b) {
        (Code::Const(x), Code::Const(y)) => Code::Const(apply_op(op, x, y)),
        (a, b) => Code::Binary(op, Box::new(a), Box::new(b)),
    }
}

/// A selection, folded if all three operands are constants.
pub fn select(c: Code, a: Code, b: Code) -> Code {
    match (c, a, b) {
        (Code::Const(c), Code::Const(a), Code::Const(b)) => {
            Code::Const(if c != 0.0 { a } else { b })
        }
        (c, a, b) => Code::Select(Box::new(c), Box::new(a), Box::new(b)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn converter(params: &[ParamSlot]) -> Converter<'_> {
        Converter {
            params,
            dt: 1e-4,
            model: "M",
        }
    }

    fn convert(c: &Converter<'_>, e: &Expr) -> Code {
        c.convert_with(e, &|j| Code::Load(Slot::State(j)), &Code::Load(Slot::Time))
            .expect("converts")
    }

    #[test]
    fn constant_parameters_and_dt_fold_away() {
        let params = [ParamSlot::Constant(0.02), ParamSlot::PerNeuron(0)];
        let c = converter(&params);
        // v * (p0 / dt) + p1
        let e = Expr::Binary(
            BinaryOp::Add,
            Box::new(Expr::Binary(
                BinaryOp::Mul,
                Box::new(Expr::Var(Var::State(0))),
                Box::new(Expr::Binary(
                    BinaryOp::Div,
                    Box::new(Expr::Var(Var::Param(0))),
                    Box::new(Expr::Var(Var::Dt)),
                )),
            )),
            Box::new(Expr::Var(Var::Param(1))),
        );
        let expected = binary(
            BinOp::Add,
            binary(
                BinOp::Mul,
                Code::Load(Slot::State(0)),
                Code::Const(0.02 / 1e-4),
            ),
            Code::Load(Slot::Param(0)),
        );
        assert_eq!(convert(&c, &e), expected);
    }

    #[test]
    fn integer_powers_become_products() {
        let c = converter(&[]);
        let v = || Box::new(Expr::Var(Var::State(0)));
        let cube = Expr::Binary(BinaryOp::Pow, v(), Box::new(Expr::Const(3.0)));
        let x = Code::Load(Slot::State(0));
        assert_eq!(
            convert(&c, &cube),
            binary(
                BinOp::Mul,
                binary(BinOp::Mul, x.clone(), x.clone()),
                x.clone()
            )
        );
        let inverse = Expr::Binary(BinaryOp::Pow, v(), Box::new(Expr::Const(-1.0)));
        assert_eq!(
            convert(&c, &inverse),
            binary(BinOp::Div, Code::Const(1.0), x)
        );
        let zero = Expr::Binary(BinaryOp::Pow, v(), Box::new(Expr::Const(0.0)));
        assert_eq!(convert(&c, &zero), Code::Const(1.0));
    }

    #[test]
    fn poisson_keeps_its_exponential_apart_so_it_folds() {
        let params = [ParamSlot::Constant(20e3)];
        let c = converter(&params);
        let mean = Expr::Binary(
            BinaryOp::Mul,
            Box::new(Expr::Var(Var::Param(0))),
            Box::new(Expr::Var(Var::Dt)),
        );
        let lambda = 20e3 * 1e-4;
        assert_eq!(
            convert(&c, &Expr::Call(Func::Poisson, vec![mean])),
            Code::Poisson(
                Box::new(Code::Const(lambda)),
                Box::new(Code::Const((-lambda).exp()))
            )
        );
    }

    #[test]
    fn folding_follows_the_program_rules_for_nan() {
        assert!(apply_op(BinOp::Min, f64::NAN, 1.0).is_nan());
        assert_eq!(apply_op(BinOp::Min, 1.0, f64::NAN), 1.0);
        assert_eq!(apply_op(BinOp::Max, 1.0, f64::NAN), 1.0);
        assert_eq!(apply_op(BinOp::And, f64::NAN, 1.0), 1.0);
    }

    #[test]
    fn distance_and_fractional_powers_are_refused() {
        let c = converter(&[]);
        let states = |j| Code::Load(Slot::State(j));
        let time = Code::Load(Slot::Time);
        assert!(
            c.convert_with(&Expr::Var(Var::Distance), &states, &time)
                .is_err()
        );
        let root = Expr::Binary(
            BinaryOp::Pow,
            Box::new(Expr::Var(Var::State(0))),
            Box::new(Expr::Const(0.5)),
        );
        assert!(c.convert_with(&root, &states, &time).is_err());
    }
}
