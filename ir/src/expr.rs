//! Typed expression trees: the right-hand sides of equations, updates,
//! resets, spike conditions and distance rules.
//!
//! By the time an expression is in the IR its names are resolved to slots
//! ([`Var`]) and its units are checked and stripped: every constant is in SI
//! base units, so the tree is plain arithmetic on `f64`.

use serde::{Deserialize, Serialize};

/// What a variable reference in an expression reads.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug, Serialize, Deserialize)]
pub enum Var {
    /// A state variable of the model, by index into its state list.
    State(u32),
    /// A parameter of the model, by index into its parameter list.
    Param(u32),
    /// The synaptic input of this step landing on an `input` declaration.
    Input(u32),
    /// Simulated time at the start of the step, seconds.
    Time,
    /// The step length, seconds.
    Dt,
    /// Distance between the pre- and postsynaptic neuron, metres (only in
    /// distance-dependent connectivity rules).
    Distance,
}

/// A unary operator.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
pub enum UnaryOp {
    /// Arithmetic negation.
    Neg,
    /// Logical negation.
    Not,
}

/// A binary operator. Comparisons and logical operators yield 1.0 or 0.0.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
pub enum BinaryOp {
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
    /// `^` with an integer exponent known when checked.
    Pow,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `and`
    And,
    /// `or`
    Or,
}

impl UnaryOp {
    /// How the operator is written in source.
    pub fn symbol(self) -> &'static str {
        match self {
            UnaryOp::Neg => "-",
            UnaryOp::Not => "not",
        }
    }
}

impl BinaryOp {
    /// How the operator is written in source.
    pub fn symbol(self) -> &'static str {
        match self {
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
            BinaryOp::Pow => "^",
            BinaryOp::Lt => "<",
            BinaryOp::Le => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::Ge => ">=",
            BinaryOp::Eq => "==",
            BinaryOp::Ne => "!=",
            BinaryOp::And => "and",
            BinaryOp::Or => "or",
        }
    }
}

/// A built-in function.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
pub enum Func {
    /// `exp(x)`, x dimensionless.
    Exp,
    /// `log(x)`, natural logarithm, x dimensionless.
    Log,
    /// `sqrt(x)`.
    Sqrt,
    /// `abs(x)`.
    Abs,
    /// `tanh(x)`, x dimensionless.
    Tanh,
    /// `sin(x)`, x dimensionless.
    Sin,
    /// `cos(x)`, x dimensionless.
    Cos,
    /// `floor(x)`, x dimensionless.
    Floor,
    /// `min(a, b)`.
    Min,
    /// `max(a, b)`.
    Max,
    /// `clip(x, low, high)`.
    Clip,
    /// `if(condition, then, else)`.
    If,
    /// `rand()`: a uniform draw in [0, 1) from the neuron's own stream.
    Rand,
    /// `randn()`: a standard normal draw from the neuron's own stream.
    Randn,
    /// `poisson(mean)`: a Poisson-distributed count from the neuron's own
    /// stream. As a whole spike condition it makes the neuron spike that
    /// many times in the step (a Poisson source of any rate).
    Poisson,
    /// `at(times)`: true in the step `[t, t + dt)` that contains one of the
    /// scheduled times of the parameter `times` (spike-time sources).
    At,
}

impl Func {
    /// The name used in source.
    pub fn name(self) -> &'static str {
        match self {
            Func::Exp => "exp",
            Func::Log => "log",
            Func::Sqrt => "sqrt",
            Func::Abs => "abs",
            Func::Tanh => "tanh",
            Func::Sin => "sin",
            Func::Cos => "cos",
            Func::Floor => "floor",
            Func::Min => "min",
            Func::Max => "max",
            Func::Clip => "clip",
            Func::If => "if",
            Func::Rand => "rand",
            Func::Randn => "randn",
            Func::Poisson => "poisson",
            Func::At => "at",
        }
    }

    /// Every built-in function.
    pub const ALL: [Func; 16] = [
        Func::Exp,
        Func::Log,
        Func::Sqrt,
        Func::Abs,
        Func::Tanh,
        Func::Sin,
        Func::Cos,
        Func::Floor,
        Func::Min,
        Func::Max,
        Func::Clip,
        Func::If,
        Func::Rand,
        Func::Randn,
        Func::Poisson,
        Func::At,
    ];

    /// The function with this source name.
    pub fn from_name(name: &str) -> Option<Func> {
        Func::ALL.into_iter().find(|f| f.name() == name)
    }

    /// How many arguments it takes.
    pub fn arity(self) -> usize {
        match self {
            Func::Rand | Func::Randn => 0,
            Func::Min | Func::Max => 2,
            Func::Clip | Func::If => 3,
            _ => 1,
        }
    }
}

/// An expression over `f64` values in SI units.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
pub enum Expr {
    /// A constant in SI units.
    Const(f64),
    /// A variable.
    Var(Var),
    /// A unary operation.
    Unary(UnaryOp, Box<Expr>),
    /// A binary operation.
    Binary(BinaryOp, Box<Expr>, Box<Expr>),
    /// A call of a built-in function.
    Call(Func, Vec<Expr>),
}

impl Expr {
    /// Evaluates the expression, reading variables through `var`. Returns
    /// `None` if it calls a random or schedule function, which need an
    /// executor's state.
    pub fn eval(&self, var: &dyn Fn(Var) -> f64) -> Option<f64> {
        let truth = |b: bool| if b { 1.0 } else { 0.0 };
        Some(match self {
            Expr::Const(c) => *c,
            Expr::Var(v) => var(*v),
            Expr::Unary(UnaryOp::Neg, a) => -a.eval(var)?,
            Expr::Unary(UnaryOp::Not, a) => truth(a.eval(var)? == 0.0),
            Expr::Binary(op, a, b) => {
                let (a, b) = (a.eval(var)?, b.eval(var)?);
                match op {
                    BinaryOp::Add => a + b,
                    BinaryOp::Sub => a - b,
                    BinaryOp::Mul => a * b,
                    BinaryOp::Div => a / b,
                    BinaryOp::Pow => a.powf(b),
                    BinaryOp::Lt => truth(a < b),
                    BinaryOp::Le => truth(a <= b),
                    BinaryOp::Gt => truth(a > b),
                    BinaryOp::Ge => truth(a >= b),
                    BinaryOp::Eq => truth(a == b),
                    BinaryOp::Ne => truth(a != b),
                    BinaryOp::And => truth(a != 0.0 && b != 0.0),
                    BinaryOp::Or => truth(a != 0.0 || b != 0.0),
                }
            }
            Expr::Call(func, args) => {
                // At most three arguments: evaluated on the stack, since
                // expansion evaluates distance rules once per pair.
                let mut buffer = [0.0; 3];
                let values = buffer.get_mut(..args.len())?;
                for (value, a) in values.iter_mut().zip(args) {
                    *value = a.eval(var)?;
                }
                match (func, &*values) {
                    (Func::Exp, [x]) => x.exp(),
                    (Func::Log, [x]) => x.ln(),
                    (Func::Sqrt, [x]) => x.sqrt(),
                    (Func::Abs, [x]) => x.abs(),
                    (Func::Tanh, [x]) => x.tanh(),
                    (Func::Sin, [x]) => x.sin(),
                    (Func::Cos, [x]) => x.cos(),
                    (Func::Floor, [x]) => x.floor(),
                    (Func::Min, [a, b]) => a.min(*b),
                    (Func::Max, [a, b]) => a.max(*b),
                    (Func::Clip, [x, lo, hi]) => x.max(*lo).min(*hi),
                    (Func::If, [c, a, b]) => {
                        if *c != 0.0 {
                            *a
                        } else {
                            *b
                        }
                    }
                    _ => return None,
                }
            }
        })
    }

    /// Calls `visit` on this expression and every subexpression, parents first.
    pub fn walk(&self, visit: &mut dyn FnMut(&Expr)) {
        visit(self);
        match self {
            Expr::Const(_) | Expr::Var(_) => {}
            Expr::Unary(_, a) => a.walk(visit),
            Expr::Binary(_, a, b) => {
                a.walk(visit);
                b.walk(visit);
            }
            Expr::Call(_, args) => args.iter().for_each(|a| a.walk(visit)),
        }
    }
}
