//! What one neuron does in one step, as straight-line code.
//!
//! The planner ([`super::plan`]) turns a population's model into a
//! [`NeuronProgram`]: integration methods are expanded into assignments,
//! linear systems into propagator constants, parameters that are the same
//! for every neuron into constants, and every subexpression that reads only
//! constants is folded. Both CPU executors run exactly this program — the
//! reference interpreter by walking it, the JIT by compiling it — so they
//! agree bit for bit: every operation below has one meaning, in the
//! precision of the run (`f64`, or `f32` with every constant rounded to
//! `f32` once, when it is emitted).

/// A value a neuron's code reads.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Slot {
    /// A state variable's current value: its value at the start of the step
    /// after take-up, or the value most recently assigned to it in the step.
    State(u32),
    /// A parameter that differs between neurons, by index into
    /// [`NeuronProgram::params`].
    Param(u32),
    /// The summed input of this step landing on a discrete-time input.
    Input(u32),
    /// A temporary assigned earlier in the same block.
    Temp(u32),
    /// The time at the start of the step, seconds (`step · dt`, computed in
    /// `f64` and then rounded to the precision).
    Time,
}

/// A binary operation. Comparisons and logical operators give 1 or 0.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum BinOp {
    /// `a + b`
    Add,
    /// `a - b`
    Sub,
    /// `a * b`
    Mul,
    /// `a / b`
    Div,
    /// `a < b`
    Lt,
    /// `a <= b`
    Le,
    /// `a > b`
    Gt,
    /// `a >= b`
    Ge,
    /// `a == b`
    Eq,
    /// `a != b`
    Ne,
    /// `a != 0 and b != 0`
    And,
    /// `a != 0 or b != 0`
    Or,
    /// `if b < a { b } else { a }`: `a` when either is NaN and they are unordered.
    Min,
    /// `if b > a { b } else { a }`.
    Max,
}

/// A one-argument function. `Abs`, `Sqrt`, `Floor` and `Neg` are single
/// instructions (IEEE 754 exact); the others call the platform's `libm`
/// (`exp`, `ln`, ... of `f64`, or of `f32` in `f32` runs), the same function
/// from both executors.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum MathFn {
    /// `-x`
    Neg,
    /// `|x|`
    Abs,
    /// `√x`
    Sqrt,
    /// `⌊x⌋`
    Floor,
    /// `eˣ`
    Exp,
    /// `ln x`
    Log,
    /// `tanh x`
    Tanh,
    /// `sin x`
    Sin,
    /// `cos x`
    Cos,
}

impl MathFn {
    /// Whether the function is a call into `libm` rather than one instruction.
    pub fn is_libm(self) -> bool {
        matches!(
            self,
            MathFn::Exp | MathFn::Log | MathFn::Tanh | MathFn::Sin | MathFn::Cos
        )
    }
}

/// An expression of a neuron's step.
#[derive(Clone, PartialEq, Debug)]
pub enum Code {
    /// A constant (rounded to the precision when emitted).
    Const(f64),
    /// A value read from a slot.
    Load(Slot),
    /// A one-argument function.
    Unary(MathFn, Box<Code>),
    /// A binary operation.
    Binary(BinOp, Box<Code>, Box<Code>),
    /// `if c != 0 { a } else { b }`; both branches are evaluated (neither
    /// has side effects unless it draws a random number, and then both draw).
    Select(Box<Code>, Box<Code>, Box<Code>),
    /// A uniform draw in [0, 1) from the neuron's stream
    /// ([`super::random::uniform`]).
    Rand,
    /// A standard normal draw from the neuron's stream
    /// ([`super::random::normal`]).
    Randn,
    /// A Poisson-distributed count with mean `lambda` from the neuron's
    /// stream ([`super::random::poisson`]); the second operand is
    /// `exp(-lambda)`, kept apart so that it folds to a constant when
    /// `lambda` does.
    Poisson(Box<Code>, Box<Code>),
    /// 1 if the neuron's spike schedule has a spike in this step, else 0.
    Scheduled,
}

/// Where an assignment stores its value.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Dest {
    /// A state variable.
    State(u32),
    /// A temporary.
    Temp(u32),
}

/// `dest = value`.
#[derive(Clone, PartialEq, Debug)]
pub struct Stmt {
    /// Where the value goes.
    pub dest: Dest,
    /// The value.
    pub value: Code,
}

/// Where a synaptic buffer's arriving sum goes at the start of a step.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum TakeUp {
    /// Added to a state variable, unless the neuron is refractory and the
    /// variable is held; then it is discarded.
    State(u32),
    /// Becomes the value of a discrete-time input for this step.
    Input(u32),
}

/// How a neuron decides to spike, after its state update.
#[derive(Clone, PartialEq, Debug)]
pub enum SpikeRule {
    /// It spikes once when the condition is not zero.
    Condition(Code),
    /// It spikes `count` times (a whole number ≥ 0, e.g. a Poisson draw);
    /// each synapse then delivers `count × weight` once.
    Count(Code),
}

/// Refractoriness after a spike.
#[derive(Clone, PartialEq, Debug)]
pub struct RefractoryRule {
    /// The period in steps, evaluated at the spike after the reset and
    /// rounded as `⌊x + 0.5⌋` (clamped to `[0, 2³² − 1]`).
    pub steps: Code,
}

/// A neuron model as straight-line code, ready to interpret or compile.
///
/// One step of one neuron, with `r` = "its refractory counter is above zero":
/// 1. for each `take_up[k]`, read buffer `k`'s slot for this step, set the
///    slot to zero, and apply the value as [`TakeUp`] says;
/// 2. run `update` in order; then every held state variable of a refractory
///    neuron gets back the value it had after take-up;
/// 3. if `r`, decrement the counter; otherwise evaluate `spike`: on a spike,
///    record it, run `reset` in order, and set the counter to
///    `refractory.steps`.
#[derive(Clone, PartialEq, Debug)]
pub struct NeuronProgram {
    /// The model's name, for messages.
    pub model: String,
    /// Names of the state variables (by [`Slot::State`] index).
    pub state: Vec<String>,
    /// For each state variable, whether it is held while refractory.
    pub held: Vec<bool>,
    /// Names of the per-neuron parameters (by [`Slot::Param`] index).
    pub params: Vec<String>,
    /// Number of discrete-time inputs.
    pub inputs: u32,
    /// Number of temporaries.
    pub temps: u32,
    /// Where each synaptic buffer's sum goes, by buffer index.
    pub take_up: Vec<TakeUp>,
    /// The state update.
    pub update: Vec<Stmt>,
    /// The spike rule, if the model spikes.
    pub spike: Option<SpikeRule>,
    /// Assignments on a spike.
    pub reset: Vec<Stmt>,
    /// Refractoriness, if any.
    pub refractory: Option<RefractoryRule>,
}

impl NeuronProgram {
    /// Every expression of the program, in execution order.
    pub fn codes(&self) -> impl Iterator<Item = &Code> {
        let spike = self.spike.iter().map(|rule| match rule {
            SpikeRule::Condition(c) | SpikeRule::Count(c) => c,
        });
        self.update
            .iter()
            .map(|s| &s.value)
            .chain(spike)
            .chain(self.reset.iter().map(|s| &s.value))
            .chain(self.refractory.iter().map(|r| &r.steps))
    }

    /// Whether any expression draws random numbers (the neuron then needs a
    /// stream of its own).
    pub fn uses_random(&self) -> bool {
        self.codes()
            .any(|c| c.any(&|c| matches!(c, Code::Rand | Code::Randn | Code::Poisson(..))))
    }

    /// Whether any expression reads the neuron's spike schedule.
    pub fn uses_schedule(&self) -> bool {
        self.codes()
            .any(|c| c.any(&|c| matches!(c, Code::Scheduled)))
    }

    /// Whether the model spikes with a count rather than once.
    pub fn counts_spikes(&self) -> bool {
        matches!(self.spike, Some(SpikeRule::Count(_)))
    }
}

impl Code {
    /// Whether `test` holds for this expression or any subexpression.
    pub fn any(&self, test: &dyn Fn(&Code) -> bool) -> bool {
        test(self)
            || match self {
                Code::Const(_) | Code::Load(_) | Code::Rand | Code::Randn | Code::Scheduled => {
                    false
                }
                Code::Unary(_, a) => a.any(test),
                Code::Binary(_, a, b) | Code::Poisson(a, b) => a.any(test) || b.any(test),
                Code::Select(c, a, b) => c.any(test) || a.any(test) || b.any(test),
            }
    }
}
