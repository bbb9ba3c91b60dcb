//! The two floating-point precisions a CPU run can use, with every
//! operation whose result the executors must agree on.

use super::random::{self, Stream};
use serde::{Deserialize, Serialize};
use std::fmt::Debug;
use std::ops::{Add, Div, Mul, Neg, Sub};

/// The floating-point format of a run's state and arithmetic.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Precision {
    /// IEEE 754 binary64 (the default).
    #[default]
    F64,
    /// IEEE 754 binary32: half the memory traffic, about 7 significant digits.
    F32,
}

impl Precision {
    /// The name used on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            Precision::F64 => "f64",
            Precision::F32 => "f32",
        }
    }
}

/// A floating-point type a CPU run computes in. The functions are the ones
/// both the interpreter and the JIT-compiled code call, so that they agree
/// bit for bit.
pub trait Real:
    Copy
    + Default
    + PartialEq
    + PartialOrd
    + Debug
    + Send
    + Sync
    + 'static
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + Neg<Output = Self>
{
    /// Which precision this is.
    const PRECISION: Precision;
    /// Zero.
    const ZERO: Self;
    /// One.
    const ONE: Self;
    /// `x` rounded to this precision (to nearest, ties to even).
    fn from_f64(x: f64) -> Self;
    /// The exact value as `f64`.
    fn to_f64(self) -> f64;
    /// `libm`'s `exp` of this precision.
    fn exp(self) -> Self;
    /// `libm`'s natural logarithm of this precision.
    fn ln(self) -> Self;
    /// `libm`'s `tanh` of this precision.
    fn tanh(self) -> Self;
    /// `libm`'s `sin` of this precision.
    fn sin(self) -> Self;
    /// `libm`'s `cos` of this precision.
    fn cos(self) -> Self;
    /// Correctly rounded square root.
    fn sqrt(self) -> Self;
    /// Round toward negative infinity.
    fn floor(self) -> Self;
    /// Absolute value.
    fn abs(self) -> Self;
    /// A uniform draw in `[0, 1)`.
    fn uniform(stream: &mut Stream) -> Self;
    /// A standard normal draw (computed in `f64`, then rounded).
    fn normal(stream: &mut Stream) -> Self;
    /// A Poisson count with mean `lambda` (computed in `f64`).
    fn poisson(stream: &mut Stream, lambda: Self, exp_neg_lambda: Self) -> Self;
    /// Whether the value is neither infinite nor NaN.
    fn is_finite(self) -> bool;
}

impl Real for f64 {
    const PRECISION: Precision = Precision::F64;
    const ZERO: Self = 0.0;
    const ONE: Self = 1.0;
    fn from_f64(x: f64) -> Self {
        x
    }
    fn to_f64(self) -> f64 {
        self
    }
    fn exp(self) -> Self {
        f64::exp(self)
    }
    fn ln(self) -> Self {
        f64::ln(self)
    }
    fn tanh(self) -> Self {
        f64::tanh(self)
    }
    fn sin(self) -> Self {
        f64::sin(self)
    }
    fn cos(self) -> Self {
        f64::cos(self)
    }
    fn sqrt(self) -> Self {
        f64::sqrt(self)
    }
    fn floor(self) -> Self {
        f64::floor(self)
    }
    fn abs(self) -> Self {
        f64::abs(self)
    }
    fn uniform(stream: &mut Stream) -> Self {
        random::uniform(stream)
    }
    fn normal(stream: &mut Stream) -> Self {
        random::normal(stream)
    }
    fn poisson(stream: &mut Stream, lambda: Self, exp_neg_lambda: Self) -> Self {
        random::poisson(stream, lambda, exp_neg_lambda)
    }
    fn is_finite(self) -> bool {
        f64::is_finite(self)
    }
}

impl Real for f32 {
    const PRECISION: Precision = Precision::F32;
    const ZERO: Self = 0.0;
    const ONE: Self = 1.0;
    fn from_f64(x: f64) -> Self {
        x as f32
    }
    fn to_f64(self) -> f64 {
        f64::from(self)
    }
    fn exp(self) -> Self {
        f32::exp(self)
    }
    fn ln(self) -> Self {
        f32::ln(self)
    }
    fn tanh(self) -> Self {
        f32::tanh(self)
    }
    fn sin(self) -> Self {
        f32::sin(self)
    }
    fn cos(self) -> Self {
        f32::cos(self)
    }
    fn sqrt(self) -> Self {
        f32::sqrt(self)
    }
    fn floor(self) -> Self {
        f32::floor(self)
    }
    fn abs(self) -> Self {
        f32::abs(self)
    }
    fn uniform(stream: &mut Stream) -> Self {
        random::uniform_f32(stream)
    }
    fn normal(stream: &mut Stream) -> Self {
        random::normal(stream) as f32
    }
    fn poisson(stream: &mut Stream, lambda: Self, exp_neg_lambda: Self) -> Self {
        random::poisson(stream, f64::from(lambda), f64::from(exp_neg_lambda)) as f32
    }
    fn is_finite(self) -> bool {
        f32::is_finite(self)
    }
}
