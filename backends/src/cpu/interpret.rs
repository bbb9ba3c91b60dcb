//! The reference interpreter: one neuron's step of a [`NeuronProgram`],
//! evaluated by walking its expressions.
//!
//! This is the oracle the JIT is tested against, so it is written to be
//! read next to the step semantics of [`super::program`], not to be fast:
//! every rule of that semantics appears here once, in the order it is
//! stated. It computes in the run's precision `R` with the same operations
//! ([`Real`]) the compiled kernels call, so for the same program and the
//! same values both give the same bits.

use super::program::{BinOp, Code, Dest, MathFn, NeuronProgram, Slot, SpikeRule, Stmt, TakeUp};
use super::random::Stream;
use super::real::Real;
use super::schedule::Schedule;

/// One neuron's values for one step, borrowed from wherever its executor
/// keeps them.
#[derive(Debug)]
pub struct NeuronState<'a, R> {
    /// The neuron's state variables, by [`Slot::State`] index; updated in
    /// place.
    pub state: &'a mut [R],
    /// The neuron's per-neuron parameters, by [`Slot::Param`] index.
    pub params: &'a [R],
    /// The sum arriving in this step on each synaptic buffer, by
    /// [`NeuronProgram::take_up`] index, already read out of (and cleared
    /// in) the ring by the caller.
    pub buffers: &'a [R],
    /// Steps of refractoriness left; read and written only when the program
    /// has a refractory rule.
    pub refractory: &'a mut u32,
    /// The neuron's random stream: needed when the program draws
    /// ([`NeuronProgram::uses_random`]).
    pub stream: Option<&'a mut Stream>,
    /// The population's spike schedule and this neuron's index in it:
    /// needed when the program reads it ([`NeuronProgram::uses_schedule`]).
    pub schedule: Option<(&'a mut Schedule, u32)>,
}

/// Runs one step of one neuron and returns how many spikes it emitted:
/// 0 or 1 for a [`SpikeRule::Condition`], the count for a
/// [`SpikeRule::Count`]. `time` is the step's start time in the run's
/// precision (`R::from_f64(step as f64 * dt)`).
///
/// # Panics
///
/// If the program draws random numbers without a stream, or reads a
/// schedule without one: the caller's bug, not the model's.
pub fn step_neuron<R: Real>(
    program: &NeuronProgram,
    neuron: NeuronState<'_, R>,
    time: R,
    step: u64,
) -> u32 {
    let NeuronState {
        state,
        params,
        buffers,
        refractory,
        stream,
        schedule,
    } = neuron;
    let is_refractory = program.refractory.is_some() && *refractory > 0;
    let inputs = take_up(program, state, buffers, is_refractory);
    let after_take_up = state.to_vec();
    let mut frame = Frame {
        state,
        params,
        inputs,
        temps: vec![R::ZERO; program.temps as usize],
        time,
        step,
        stream,
        schedule,
    };
    frame.run(&program.update);
    if is_refractory {
        restore_held(program, frame.state, &after_take_up);
        *refractory -= 1;
        return 0;
    }
    let count = match &program.spike {
        Some(rule) => frame.spike_count(rule),
        None => 0,
    };
    if count > 0 {
        frame.run(&program.reset);
        if let Some(rule) = &program.refractory {
            *refractory = refractory_steps(frame.eval(&rule.steps));
        }
    }
    count
}

/// Step 1: applies each buffer's arriving sum to its target and returns the
/// discrete-time inputs of the step (0 where no buffer feeds one). A held
/// variable of a refractory neuron discards what arrives for it.
fn take_up<R: Real>(
    program: &NeuronProgram,
    state: &mut [R],
    buffers: &[R],
    is_refractory: bool,
) -> Vec<R> {
    let mut inputs = vec![R::ZERO; program.inputs as usize];
    for (target, &value) in program.take_up.iter().zip(buffers) {
        match *target {
            TakeUp::State(x) => {
                let x = x as usize;
                if !(is_refractory && program.held[x]) {
                    state[x] = state[x] + value;
                }
            }
            TakeUp::Input(j) => inputs[j as usize] = value,
        }
    }
    inputs
}

/// End of step 2 for a refractory neuron: held variables get back their
/// values from after take-up, whatever the update assigned.
fn restore_held<R: Real>(program: &NeuronProgram, state: &mut [R], after_take_up: &[R]) {
    for (x, _) in program.held.iter().enumerate().filter(|(_, held)| **held) {
        state[x] = after_take_up[x];
    }
}

/// The refractory period in whole steps: `⌊x + 0.5⌋` computed in `R`, then
/// converted with saturation (negative → 0, NaN → 0, too large →
/// `u32::MAX`), as Rust's `as` and Cranelift's `fcvt_to_uint_sat` do.
fn refractory_steps<R: Real>(steps: R) -> u32 {
    (steps + R::from_f64(0.5)).floor().to_f64() as u32
}

/// `x != 0`: the truth test of conditions, `and`, `or` and `select`. NaN
/// is true.
fn truth<R: Real>(x: R) -> bool {
    x != R::ZERO
}

/// 1 for true, 0 for false.
fn from_bool<R: Real>(b: bool) -> R {
    if b { R::ONE } else { R::ZERO }
}

/// Everything an expression of one neuron's step can read or draw from.
struct Frame<'a, R> {
    state: &'a mut [R],
    params: &'a [R],
    inputs: Vec<R>,
    temps: Vec<R>,
    time: R,
    step: u64,
    stream: Option<&'a mut Stream>,
    schedule: Option<(&'a mut Schedule, u32)>,
}

impl<R: Real> Frame<'_, R> {
    /// Runs assignments in order; each sees the ones before it.
    fn run(&mut self, block: &[Stmt]) {
        for stmt in block {
            let value = self.eval(&stmt.value);
            match stmt.dest {
                Dest::State(x) => self.state[x as usize] = value,
                Dest::Temp(t) => self.temps[t as usize] = value,
            }
        }
    }

    /// Step 3 for a neuron that is not refractory: how many times it spikes.
    fn spike_count(&mut self, rule: &SpikeRule) -> u32 {
        match rule {
            SpikeRule::Condition(condition) => u32::from(truth(self.eval(condition))),
            // Saturating toward zero, as Rust's `as` and Cranelift's
            // `fcvt_to_uint_sat` convert: NaN and negatives give 0.
            SpikeRule::Count(count) => self.eval(count).to_f64() as u32,
        }
    }

    /// The value of `code`. Operands are evaluated left to right, depth
    /// first, and every operand is evaluated (also both branches of a
    /// select), so random draws happen in one fixed order.
    fn eval(&mut self, code: &Code) -> R {
        match code {
            Code::Const(c) => R::from_f64(*c),
            Code::Load(slot) => self.load(*slot),
            Code::Unary(f, a) => {
                let a = self.eval(a);
                apply_fn(*f, a)
            }
            Code::Binary(op, a, b) => {
                let a = self.eval(a);
                let b = self.eval(b);
                apply_op(*op, a, b)
            }
            Code::Select(c, a, b) => {
                let c = self.eval(c);
                let a = self.eval(a);
                let b = self.eval(b);
                if truth(c) { a } else { b }
            }
            Code::Rand => R::uniform(self.stream()),
            Code::Randn => R::normal(self.stream()),
            Code::Poisson(lambda, exp_neg_lambda) => {
                let lambda = self.eval(lambda);
                let exp_neg_lambda = self.eval(exp_neg_lambda);
                R::poisson(self.stream(), lambda, exp_neg_lambda)
            }
            Code::Scheduled => from_bool(self.scheduled()),
        }
    }

    fn load(&self, slot: Slot) -> R {
        match slot {
            Slot::State(x) => self.state[x as usize],
            Slot::Param(p) => self.params[p as usize],
            Slot::Input(j) => self.inputs[j as usize],
            Slot::Temp(t) => self.temps[t as usize],
            Slot::Time => self.time,
        }
    }

    fn stream(&mut self) -> &mut Stream {
        self.stream
            .as_deref_mut()
            .expect("a program that draws random numbers needs a stream")
    }

    fn scheduled(&mut self) -> bool {
        let (schedule, neuron) = self
            .schedule
            .as_mut()
            .expect("a program that reads a schedule needs one");
        schedule.fires(*neuron, self.step)
    }
}

/// A one-argument function in `R`, as the program defines it.
pub(crate) fn apply_fn<R: Real>(f: MathFn, a: R) -> R {
    match f {
        MathFn::Neg => -a,
        MathFn::Abs => a.abs(),
        MathFn::Sqrt => a.sqrt(),
        MathFn::Floor => a.floor(),
        MathFn::Exp => a.exp(),
        MathFn::Log => a.ln(),
        MathFn::Tanh => a.tanh(),
        MathFn::Sin => a.sin(),
        MathFn::Cos => a.cos(),
    }
}

/// A binary operation in `R`, as the program defines it.
pub(crate) fn apply_op<R: Real>(op: BinOp, a: R, b: R) -> R {
    match op {
        BinOp::Add => a + b,
        BinOp::Sub => a - b,
        BinOp::Mul => a * b,
        BinOp::Div => a / b,
        BinOp::Lt => from_bool(a < b),
        BinOp::Le => from_bool(a <= b),
        BinOp::Gt => from_bool(a > b),
        BinOp::Ge => from_bool(a >= b),
        BinOp::Eq => from_bool(a == b),
        BinOp::Ne => from_bool(a != b),
        BinOp::And => from_bool(truth(a) && truth(b)),
        BinOp::Or => from_bool(truth(a) || truth(b)),
        // The order of the comparison decides which operand a NaN or a
        // signed zero yields: `a` unless `b` is strictly beyond it.
        BinOp::Min => {
            if b < a {
                b
            } else {
                a
            }
        }
        BinOp::Max => {
            if b > a {
                b
            } else {
                a
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cpu::program::RefractoryRule;
    use crate::cpu::random;

    fn program(state: usize) -> NeuronProgram {
        NeuronProgram {
            model: "Test".to_string(),
            state: (0..state).map(|x| format!("s{x}")).collect(),
            held: vec![false; state],
            params: Vec::new(),
            inputs: 0,
            temps: 0,
            take_up: Vec::new(),
            update: Vec::new(),
            spike: None,
            reset: Vec::new(),
            refractory: None,
        }
    }

    fn c(value: f64) -> Code {
        Code::Const(value)
    }

    fn state(x: u32) -> Code {
        Code::Load(Slot::State(x))
    }

    fn bin(op: BinOp, a: Code, b: Code) -> Code {
        Code::Binary(op, Box::new(a), Box::new(b))
    }

    fn set(x: u32, value: Code) -> Stmt {
        Stmt {
            dest: Dest::State(x),
            value,
        }
    }

    /// A neuron that owns its values, stepped with [`step_neuron`].
    struct Neuron<R> {
        state: Vec<R>,
        params: Vec<R>,
        refractory: u32,
        stream: Stream,
        schedule: Schedule,
        index: u32,
    }

    impl<R: Real> Neuron<R> {
        fn new(state: &[f64]) -> Self {
            Neuron {
                state: state.iter().map(|&x| R::from_f64(x)).collect(),
                params: Vec::new(),
                refractory: 0,
                stream: random::stream(1, 2, 3),
                schedule: Schedule::default(),
                index: 0,
            }
        }

        fn step(&mut self, program: &NeuronProgram, buffers: &[f64], step: u64) -> u32 {
            let buffers: Vec<R> = buffers.iter().map(|&x| R::from_f64(x)).collect();
            let neuron = NeuronState {
                state: &mut self.state,
                params: &self.params,
                buffers: &buffers,
                refractory: &mut self.refractory,
                stream: Some(&mut self.stream),
                schedule: Some((&mut self.schedule, self.index)),
            };
            step_neuron(program, neuron, R::from_f64(step as f64 * 0.25), step)
        }
    }

    /// The value of `code` in a neuron with state `[1, 2]` at time 0.
    fn value_of(code: Code) -> f64 {
        let mut p = program(2);
        p.update = vec![set(0, code)];
        let mut neuron = Neuron::<f64>::new(&[1.0, 2.0]);
        neuron.step(&p, &[], 0);
        neuron.state[0]
    }

    #[test]
    fn arrivals_are_added_before_the_update() {
        let mut p = program(1);
        p.take_up = vec![TakeUp::State(0)];
        p.update = vec![set(0, bin(BinOp::Mul, state(0), c(0.5)))];
        let mut neuron = Neuron::<f64>::new(&[1.0]);
        assert_eq!(neuron.step(&p, &[0.5], 0), 0);
        assert_eq!(neuron.state, [0.75]);
        neuron.step(&p, &[0.0], 1);
        assert_eq!(neuron.state, [0.375]);
    }

    #[test]
    fn constants_are_rounded_to_the_precision() {
        let mut p = program(1);
        p.update = vec![set(0, bin(BinOp::Mul, state(0), c(0.1)))];
        let mut neuron = Neuron::<f32>::new(&[1.0]);
        neuron.step(&p, &[], 0);
        assert_eq!(neuron.state[0].to_bits(), 0.1f32.to_bits());
    }

    #[test]
    fn later_statements_see_earlier_assignments_and_time() {
        let mut p = program(2);
        p.temps = 1;
        p.update = vec![
            set(0, bin(BinOp::Add, state(0), c(1.0))),
            Stmt {
                dest: Dest::Temp(0),
                value: bin(BinOp::Mul, state(0), Code::Load(Slot::Time)),
            },
            set(1, Code::Load(Slot::Temp(0))),
        ];
        let mut neuron = Neuron::<f64>::new(&[1.0, 0.0]);
        neuron.step(&p, &[], 2);
        // v = 1 + 1; u = v · t with t = 2 · 0.25.
        assert_eq!(neuron.state, [2.0, 1.0]);
    }

    #[test]
    fn inputs_hold_this_steps_arrival_and_are_zero_when_unfed() {
        let mut p = program(1);
        p.inputs = 2;
        p.take_up = vec![TakeUp::Input(1)];
        let input = |j| Code::Load(Slot::Input(j));
        p.update = vec![set(
            0,
            bin(BinOp::Add, input(0), bin(BinOp::Mul, c(10.0), input(1))),
        )];
        let mut neuron = Neuron::<f64>::new(&[7.0]);
        neuron.step(&p, &[0.5], 0);
        assert_eq!(neuron.state, [5.0]);
        neuron.step(&p, &[0.0], 1);
        assert_eq!(neuron.state, [0.0]);
    }

    /// `v` counts up by one per step and spikes at 3, resets to 0 and is
    /// held for `round(2.4) = 2` steps; `u` counts every step.
    fn counter_with_refractory_period() -> NeuronProgram {
        let mut p = program(2);
        p.held = vec![true, false];
        p.take_up = vec![TakeUp::State(0), TakeUp::State(1)];
        p.update = vec![
            set(0, bin(BinOp::Add, state(0), c(1.0))),
            set(1, bin(BinOp::Add, state(1), c(1.0))),
        ];
        p.spike = Some(SpikeRule::Condition(bin(BinOp::Ge, state(0), c(3.0))));
        p.reset = vec![set(0, c(0.0))];
        p.refractory = Some(RefractoryRule { steps: c(2.4) });
        p
    }

    #[test]
    fn refractory_neuron_spikes_every_five_steps_and_holds_its_variable() {
        let p = counter_with_refractory_period();
        let mut neuron = Neuron::<f64>::new(&[0.0, 0.0]);
        let (mut spikes, mut v, mut counter) = (Vec::new(), Vec::new(), Vec::new());
        for step in 0..10 {
            if neuron.step(&p, &[0.0, 0.0], step) == 1 {
                spikes.push(step);
            }
            v.push(neuron.state[0]);
            counter.push(neuron.refractory);
        }
        assert_eq!(spikes, [2, 7]);
        assert_eq!(v, [1.0, 2.0, 0.0, 0.0, 0.0, 1.0, 2.0, 0.0, 0.0, 0.0]);
        assert_eq!(counter, [0, 0, 2, 1, 0, 0, 0, 2, 1, 0]);
        assert_eq!(neuron.state[1], 10.0);
    }

    #[test]
    fn held_variable_discards_arrivals_while_refractory() {
        let mut p = counter_with_refractory_period();
        p.spike = Some(SpikeRule::Condition(c(1.0)));
        let mut neuron = Neuron::<f64>::new(&[0.0, 0.0]);
        neuron.refractory = 1;
        assert_eq!(neuron.step(&p, &[5.0, 5.0], 0), 0);
        assert_eq!(neuron.state, [0.0, 6.0]);
        assert_eq!(neuron.refractory, 0);
        // No longer refractory: the arrival counts, and it spikes.
        assert_eq!(neuron.step(&p, &[5.0, 0.0], 1), 1);
        assert_eq!(neuron.state, [0.0, 7.0]);
        assert_eq!(neuron.refractory, 2);
    }

    #[test]
    fn without_a_refractory_rule_the_counter_is_ignored() {
        let mut p = program(1);
        p.spike = Some(SpikeRule::Condition(c(1.0)));
        let mut neuron = Neuron::<f64>::new(&[0.0]);
        neuron.refractory = 5;
        assert_eq!(neuron.step(&p, &[], 0), 1);
        assert_eq!(neuron.refractory, 5);
    }

    /// The refractory counter set by a spike with period `steps`.
    fn period<R: Real>(steps: f64) -> u32 {
        let mut p = program(1);
        p.spike = Some(SpikeRule::Condition(c(1.0)));
        p.refractory = Some(RefractoryRule { steps: c(steps) });
        let mut neuron = Neuron::<R>::new(&[0.0]);
        assert_eq!(neuron.step(&p, &[], 0), 1);
        neuron.refractory
    }

    #[test]
    fn refractory_period_rounds_half_up_in_the_run_precision_and_saturates() {
        assert_eq!(period::<f64>(2.5), 3);
        assert_eq!(period::<f64>(2.49), 2);
        assert_eq!(period::<f64>(-3.0), 0);
        assert_eq!(period::<f64>(f64::NAN), 0);
        assert_eq!(period::<f64>(1e12), u32::MAX);
        assert_eq!(period::<f32>(f64::INFINITY), u32::MAX);
        // Just below one half: 1 − 2⁻²⁵ after adding 0.5 in f64, which f32
        // rounds (ties to even) to 1.
        let below_half = f64::from(0.5f32 - f32::EPSILON / 4.0);
        assert_eq!(period::<f64>(below_half), 0);
        assert_eq!(period::<f32>(below_half), 1);
    }

    #[test]
    fn count_rule_truncates_toward_zero_and_saturates() {
        let count = |value: f64| {
            let mut p = program(1);
            p.spike = Some(SpikeRule::Count(c(value)));
            p.reset = vec![set(0, c(42.0))];
            let mut neuron = Neuron::<f64>::new(&[0.0]);
            let count = neuron.step(&p, &[], 0);
            // The reset runs exactly when the neuron spikes.
            assert_eq!(neuron.state[0] == 42.0, count > 0, "{value}");
            count
        };
        assert_eq!(count(2.7), 2);
        assert_eq!(count(1.0), 1);
        assert_eq!(count(0.9), 0);
        assert_eq!(count(-1.0), 0);
        assert_eq!(count(f64::NAN), 0);
        assert_eq!(count(1e20), u32::MAX);
        assert_eq!(count(f64::INFINITY), u32::MAX);
    }

    #[test]
    fn min_and_max_give_the_first_operand_unless_the_second_is_beyond_it() {
        let nan = f64::NAN;
        let bits = |op, a, b| value_of(bin(op, c(a), c(b))).to_bits();
        assert!(value_of(bin(BinOp::Min, c(nan), c(1.0))).is_nan());
        assert!(value_of(bin(BinOp::Max, c(nan), c(1.0))).is_nan());
        assert_eq!(value_of(bin(BinOp::Min, c(1.0), c(nan))), 1.0);
        assert_eq!(value_of(bin(BinOp::Max, c(1.0), c(nan))), 1.0);
        assert_eq!(value_of(bin(BinOp::Min, c(3.0), c(2.0))), 2.0);
        assert_eq!(value_of(bin(BinOp::Max, c(2.0), c(3.0))), 3.0);
        assert_eq!(bits(BinOp::Min, 0.0, -0.0), 0.0f64.to_bits());
        assert_eq!(bits(BinOp::Min, -0.0, 0.0), (-0.0f64).to_bits());
        assert_eq!(bits(BinOp::Max, -0.0, 0.0), (-0.0f64).to_bits());
    }

    #[test]
    fn nan_is_true_but_compares_false() {
        let nan = f64::NAN;
        assert_eq!(value_of(bin(BinOp::And, c(nan), c(1.0))), 1.0);
        assert_eq!(value_of(bin(BinOp::Or, c(0.0), c(nan))), 1.0);
        assert_eq!(value_of(bin(BinOp::And, c(0.0), c(nan))), 0.0);
        assert_eq!(value_of(bin(BinOp::Ne, c(nan), c(nan))), 1.0);
        assert_eq!(value_of(bin(BinOp::Eq, c(nan), c(nan))), 0.0);
        assert_eq!(value_of(bin(BinOp::Lt, c(nan), c(1.0))), 0.0);
        assert_eq!(value_of(bin(BinOp::Ge, c(nan), c(1.0))), 0.0);
        let select = Code::Select(Box::new(c(nan)), Box::new(c(2.0)), Box::new(c(3.0)));
        assert_eq!(value_of(select), 2.0);
        let mut p = program(1);
        p.spike = Some(SpikeRule::Condition(c(nan)));
        assert_eq!(Neuron::<f64>::new(&[0.0]).step(&p, &[], 0), 1);
    }

    #[test]
    fn math_functions_are_the_precisions_own() {
        let unary = |f, x| value_of(Code::Unary(f, Box::new(c(x))));
        assert_eq!(unary(MathFn::Neg, 2.0), -2.0);
        assert_eq!(unary(MathFn::Abs, -2.0), 2.0);
        assert_eq!(unary(MathFn::Sqrt, 2.0), 2.0f64.sqrt());
        assert_eq!(unary(MathFn::Floor, -0.5), -1.0);
        assert_eq!(unary(MathFn::Exp, 0.5), 0.5f64.exp());
        assert_eq!(unary(MathFn::Log, 0.5), 0.5f64.ln());
        assert_eq!(unary(MathFn::Tanh, 0.5), 0.5f64.tanh());
        assert_eq!(unary(MathFn::Sin, 0.5), 0.5f64.sin());
        assert_eq!(unary(MathFn::Cos, 0.5), 0.5f64.cos());
        assert!(unary(MathFn::Log, -1.0).is_nan());
        assert_eq!(value_of(bin(BinOp::Div, c(1.0), c(0.0))), f64::INFINITY);
    }

    #[test]
    fn every_operand_draws_left_to_right_even_in_an_unchosen_branch() {
        let mut p = program(2);
        let select = Code::Select(
            Box::new(c(0.0)),
            Box::new(Code::Rand),
            Box::new(Code::Randn),
        );
        let exp_neg = Code::Unary(MathFn::Exp, Box::new(c(-3.0)));
        p.update = vec![
            set(0, select),
            set(1, Code::Poisson(Box::new(c(3.0)), Box::new(exp_neg))),
        ];
        let mut neuron = Neuron::<f64>::new(&[0.0, 0.0]);
        let mut expected = neuron.stream.clone();
        neuron.step(&p, &[], 0);
        random::uniform(&mut expected);
        let normal = random::normal(&mut expected);
        let count = random::poisson(&mut expected, 3.0, (-3.0f64).exp());
        assert_eq!(neuron.state, [normal, count]);
        assert_eq!(neuron.stream, expected);
    }

    #[test]
    fn scheduled_reads_the_neurons_own_entry() {
        let mut p = program(1);
        p.spike = Some(SpikeRule::Condition(Code::Scheduled));
        let times: [&[f64]; 2] = [&[1.0], &[2.0, 4.0]];
        let mut neuron = Neuron::<f64>::new(&[0.0]);
        neuron.schedule = Schedule::new(times, 1.0);
        neuron.index = 1;
        let spikes: Vec<u64> = (0..6)
            .filter(|&step| neuron.step(&p, &[], step) == 1)
            .collect();
        assert_eq!(spikes, [2, 4]);
    }
}
