//! Neuron models: parameters and state with dimensions, dynamics as typed
//! expression trees, spike condition, reset and refractoriness.

use crate::expr::{BinaryOp, Expr, Var};
use crate::units::Dimension;
use serde::{Deserialize, Serialize};

/// How values are drawn for a parameter, an initial state or a synaptic
/// weight or delay. Every number is in SI units.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
pub enum Distribution {
    /// The same value everywhere.
    Constant(f64),
    /// Uniform on `[low, high)`.
    Uniform {
        /// Lower bound.
        low: f64,
        /// Upper bound.
        high: f64,
    },
    /// Normal with the given mean and standard deviation.
    Normal {
        /// Mean.
        mean: f64,
        /// Standard deviation.
        sd: f64,
    },
    /// `median · exp(sigma · N(0, 1))`: the median carries the unit, sigma
    /// is the dimensionless standard deviation of the logarithm.
    LogNormal {
        /// Median of the distribution.
        median: f64,
        /// Standard deviation of its natural logarithm.
        sigma: f64,
    },
    /// Draws from `inner` clipped into `[low, high]`.
    Clipped {
        /// The distribution drawn from.
        inner: Box<Distribution>,
        /// Lower bound.
        low: f64,
        /// Upper bound.
        high: f64,
    },
}

impl Distribution {
    /// The value if this is a constant.
    pub fn as_constant(&self) -> Option<f64> {
        match self {
            Distribution::Constant(c) => Some(*c),
            _ => None,
        }
    }
}

/// A parameter's value in a population.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
pub enum ParamValue {
    /// One value per neuron drawn from a distribution (usually a constant).
    Scalar(Distribution),
    /// Spike times in seconds: one list for every neuron, or one list per
    /// neuron (spike-time sources).
    Schedule(Vec<Vec<f64>>),
}

/// A declared parameter.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
pub struct ParamDecl {
    /// Its name in source.
    pub name: String,
    /// Its dimension.
    pub dimension: Dimension,
    /// Its value unless a population overrides it.
    pub default: ParamValue,
}

/// A declared state variable.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
pub struct StateDecl {
    /// Its name in source.
    pub name: String,
    /// Its dimension.
    pub dimension: Dimension,
    /// Its initial value unless a population overrides it.
    pub init: Distribution,
}

/// A declared synaptic input of a discrete-time model: the sum of the
/// weights arriving in a step, read by the `update` block and zero again in
/// the next step.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
pub struct InputDecl {
    /// Its name in source.
    pub name: String,
    /// Its dimension (that of the weights landing on it).
    pub dimension: Dimension,
}

/// `dx/dt = rhs` for state variable `var`.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
pub struct Ode {
    /// Index of the state variable.
    pub var: u32,
    /// The derivative; its dimension is the variable's per second.
    pub rhs: Expr,
}

/// `x = value` for state variable `var`.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
pub struct Assignment {
    /// Index of the state variable.
    pub var: u32,
    /// The new value.
    pub value: Expr,
}

/// How the state evolves within a step.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
pub enum Dynamics {
    /// No state evolution (sources).
    None,
    /// Ordinary differential equations integrated over `dt`.
    Ode(Vec<Ode>),
    /// Discrete assignments executed in order once per step; each sees the
    /// values assigned before it in the same step.
    Update(Vec<Assignment>),
}

/// The integration method a model declares for its ODEs.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub enum Method {
    /// Exact propagators if the system is linear, otherwise RK4.
    Auto,
    /// Exact propagators; an error if the system is not linear.
    Exact,
    /// Forward Euler.
    Euler,
    /// Second-order Runge–Kutta (midpoint).
    Rk2,
    /// Classical fourth-order Runge–Kutta.
    Rk4,
}

impl Method {
    /// The name used in source.
    pub fn name(self) -> &'static str {
        match self {
            Method::Auto => "auto",
            Method::Exact => "exact",
            Method::Euler => "euler",
            Method::Rk2 => "rk2",
            Method::Rk4 => "rk4",
        }
    }
}

/// Refractoriness after a spike.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
pub struct Refractory {
    /// The refractory period (a time; may read parameters).
    pub period: Expr,
    /// State variables held at their reset value while refractory; input
    /// landing on them is discarded.
    pub held: Vec<u32>,
}

/// A neuron model.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
pub struct NeuronModel {
    /// Its name in source.
    pub name: String,
    /// Parameters.
    pub params: Vec<ParamDecl>,
    /// State variables.
    pub state: Vec<StateDecl>,
    /// Synaptic inputs of a discrete-time model.
    pub inputs: Vec<InputDecl>,
    /// State evolution.
    pub dynamics: Dynamics,
    /// The integration method for ODE dynamics.
    pub method: Method,
    /// The spike condition (true when nonzero), if the model spikes.
    pub spike: Option<Expr>,
    /// Assignments made when the model spikes, in order.
    pub reset: Vec<Assignment>,
    /// Refractoriness, if any.
    pub refractory: Option<Refractory>,
}

impl NeuronModel {
    /// Whether populations of this model only emit spikes: no state and no
    /// inputs, so nothing can project onto them.
    pub fn is_source(&self) -> bool {
        self.state.is_empty() && self.inputs.is_empty()
    }

    /// Index of the state variable with this name.
    pub fn state_index(&self, name: &str) -> Option<u32> {
        self.state
            .iter()
            .position(|s| s.name == name)
            .map(|i| i as u32)
    }

    /// What state variable `state` must exceed (`>`), or reach (`>=`), for
    /// the model to spike, when its spike condition is just that
    /// comparison: the threshold a plot of the variable draws.
    pub fn threshold_of(&self, state: u32) -> Option<&Expr> {
        match self.spike.as_ref()? {
            Expr::Binary(BinaryOp::Gt | BinaryOp::Ge, variable, threshold)
                if **variable == Expr::Var(Var::State(state)) =>
            {
                Some(threshold)
            }
            _ => None,
        }
    }

    /// Index of the input with this name.
    pub fn input_index(&self, name: &str) -> Option<u32> {
        self.inputs
            .iter()
            .position(|s| s.name == name)
            .map(|i| i as u32)
    }
}
