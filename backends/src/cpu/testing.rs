//! Proptest generators of valid step programs and of values to run them on
//! (cargo feature `testing`), for the differential tests that hold the
//! CPU executors to one semantics.
//!
//! [`arb_program`] draws programs the way the planner could emit them, and
//! then some: every [`Code`] variant, every [`BinOp`] and [`MathFn`],
//! selects, random draws and schedule reads anywhere, constants that are
//! NaN, infinite, huge or subnormal, and subexpressions that make NaN or
//! infinity out of ordinary numbers (`ln` of a negative, division by
//! zero). What every program satisfies, as a planner's output does:
//!
//! - every index is in range: states, parameters, inputs, temporaries,
//!   take-ups (each state variable and input is fed by one buffer at most);
//! - a temporary is read only after it is assigned in the same block
//!   (update or reset; the two blocks use different temporaries), and the
//!   spike rule and the refractory period read none;
//! - a reset comes only with a spike rule, a refractory rule only with a
//!   spike rule, and variables are held only when there is a refractory
//!   rule.
//!
//! [`arb_values`] draws a chunk of neurons to run a program on for a few
//! steps: initial state, parameters, refractory counters, the sums
//! arriving on each buffer in each step, spike schedules and a seed.

use super::program::{
    BinOp, Code, Dest, MathFn, NeuronProgram, RefractoryRule, Slot, SpikeRule, Stmt, TakeUp,
};
use super::random::{self, Stream};
use super::schedule::Schedule;
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::{select, subsequence};
use std::ops::RangeInclusive;

/// A program with one to four state variables, up to three per-neuron
/// parameters and up to two inputs (see the module doc for what holds).
pub fn arb_program() -> impl Strategy<Value = NeuronProgram> {
    let shape = (1..=4u32, 0..=3u32, 0..=2u32).prop_map(|(states, params, inputs)| Shape {
        states,
        params,
        inputs,
    });
    (shape, arb_spiking())
        .prop_flat_map(|(shape, spiking)| {
            let reset_len = if spiking.spike { 0..=3 } else { 0..=0 };
            (
                Just(shape),
                Just(spiking),
                arb_dests(shape, 1..=5),
                arb_dests(shape, reset_len),
            )
        })
        .prop_flat_map(|(shape, spiking, update_dests, reset_dests)| {
            let update_temps = temps_assigned(&update_dests);
            let held = if spiking.refractory {
                vec(any::<bool>(), shape.states as usize).boxed()
            } else {
                Just(vec![false; shape.states as usize]).boxed()
            };
            let spike = if !spiking.spike {
                Just(None).boxed()
            } else if spiking.counts {
                arb_count(shape)
                    .prop_map(|c| Some(SpikeRule::Count(c)))
                    .boxed()
            } else {
                arb_condition(shape)
                    .prop_map(|c| Some(SpikeRule::Condition(c)))
                    .boxed()
            };
            let refractory = if spiking.refractory {
                arb_period(shape)
                    .prop_map(|steps| Some(RefractoryRule { steps }))
                    .boxed()
            } else {
                Just(None).boxed()
            };
            let temps = update_temps + temps_assigned(&reset_dests);
            (
                Just((shape, temps)),
                held,
                arb_take_up(shape),
                arb_block(shape, &update_dests, 0),
                spike,
                arb_block(shape, &reset_dests, update_temps),
                refractory,
            )
        })
        .prop_map(
            |((shape, temps), held, take_up, update, spike, reset, refractory)| NeuronProgram {
                model: "Generated".to_string(),
                state: (0..shape.states).map(|x| format!("s{x}")).collect(),
                held,
                params: (0..shape.params).map(|p| format!("p{p}")).collect(),
                inputs: shape.inputs,
                temps,
                take_up,
                update,
                spike,
                reset,
                refractory,
            },
        )
}

/// A chunk of neurons to run a program on, and what happens to them.
#[derive(Clone, PartialEq, Debug)]
pub struct Values {
    /// Number of neurons in the chunk.
    pub neurons: u32,
    /// Index of the chunk's first neuron in its population: its spikes are
    /// numbered and its streams seeded from there.
    pub first: u32,
    /// Steps to run, from step 0.
    pub steps: u64,
    /// Step length, seconds.
    pub dt: f64,
    /// Initial state, `state.len() × neurons`, variable-major.
    pub state: Vec<f64>,
    /// Per-neuron parameters, `params.len() × neurons`, parameter-major.
    pub params: Vec<f64>,
    /// Initial refractory counters (all 0 for programs without a
    /// refractory rule).
    pub refractory: Vec<u32>,
    /// The sum arriving in step `s` on buffer `k` for neuron `i`, at
    /// `(s * take_up.len() + k) * neurons + i`.
    pub arrivals: Vec<f64>,
    /// Spike times (seconds) of each neuron of the chunk.
    pub schedule: Vec<Vec<f64>>,
    /// The network seed the streams derive from.
    pub seed: u64,
}

impl Values {
    /// The sums arriving on every buffer in step `step`, buffer-major
    /// (`take_up.len() × neurons`).
    pub fn arrivals_at(&self, step: u64, buffers: usize) -> &[f64] {
        let len = buffers * self.neurons as usize;
        let start = step as usize * len;
        &self.arrivals[start..start + len]
    }

    /// The chunk's spike schedule, indexed by neuron of the chunk.
    pub fn schedule(&self) -> Schedule {
        Schedule::new(self.schedule.iter().map(Vec::as_slice), self.dt)
    }

    /// Each neuron's stream, seeded as an executor seeds it, for a
    /// population with node index 0.
    pub fn streams(&self) -> Vec<Stream> {
        (self.first..self.first + self.neurons)
            .map(|neuron| random::stream(self.seed, 0, neuron))
            .collect()
    }
}

/// Values for `program`: one to eight neurons starting anywhere in the
/// first few of a population, one to twelve steps. Arriving sums are
/// often zero, as in a quiet ring.
pub fn arb_values(program: &NeuronProgram) -> impl Strategy<Value = Values> + use<> {
    let state_count = program.state.len();
    let param_count = program.params.len();
    let buffers = program.take_up.len();
    let refractory = program.refractory.is_some();
    (1..=8u32, 0..=5u32, 1..=12u64).prop_flat_map(move |(neurons, first, steps)| {
        let n = neurons as usize;
        let counter = if refractory {
            prop_oneof![3 => Just(0u32), 1 => 1..=4u32].boxed()
        } else {
            Just(0u32).boxed()
        };
        let dt = 0.1;
        let times = vec(0..steps + 2, 0..=3)
            .prop_map(move |steps| steps.into_iter().map(|s| s as f64 * dt).collect());
        let arrival = prop_oneof![3 => Just(0.0), 3 => -2.0..2.0f64, 1 => arb_special()];
        (
            vec(arb_real(), state_count * n),
            vec(arb_real(), param_count * n),
            vec(counter, n),
            vec(arrival, steps as usize * buffers * n),
            vec(times, n),
            any::<u64>(),
        )
            .prop_map(
                move |(state, params, refractory, arrivals, schedule, seed)| Values {
                    neurons,
                    first,
                    steps,
                    dt,
                    state,
                    params,
                    refractory,
                    arrivals,
                    schedule,
                    seed,
                },
            )
    })
}

/// A program and values for it.
pub fn arb_case() -> impl Strategy<Value = (NeuronProgram, Values)> {
    arb_program().prop_flat_map(|program| {
        let values = arb_values(&program);
        (Just(program), values)
    })
}

/// How many state variables, parameters and inputs a program has.
#[derive(Clone, Copy, Debug)]
struct Shape {
    states: u32,
    params: u32,
    inputs: u32,
}

/// Which parts of the spiking machinery a program has.
#[derive(Clone, Copy, Debug)]
struct Spiking {
    spike: bool,
    counts: bool,
    refractory: bool,
}

const MATH_FNS: [MathFn; 9] = [
    MathFn::Neg,
    MathFn::Abs,
    MathFn::Sqrt,
    MathFn::Floor,
    MathFn::Exp,
    MathFn::Log,
    MathFn::Tanh,
    MathFn::Sin,
    MathFn::Cos,
];

const BIN_OPS: [BinOp; 14] = [
    BinOp::Add,
    BinOp::Sub,
    BinOp::Mul,
    BinOp::Div,
    BinOp::Lt,
    BinOp::Le,
    BinOp::Gt,
    BinOp::Ge,
    BinOp::Eq,
    BinOp::Ne,
    BinOp::And,
    BinOp::Or,
    BinOp::Min,
    BinOp::Max,
];

const COMPARISONS: [BinOp; 4] = [BinOp::Lt, BinOp::Le, BinOp::Gt, BinOp::Ge];

/// Values at the edges of floating point: signed zeros, infinities, NaN,
/// numbers that overflow `f32`, and an `f64` subnormal.
const SPECIALS: [f64; 10] = [
    0.0,
    -0.0,
    1.0,
    -1.0,
    f64::NAN,
    f64::INFINITY,
    f64::NEG_INFINITY,
    1e30,
    1e300,
    4.9e-320,
];

fn arb_special() -> impl Strategy<Value = f64> + Clone {
    select(&SPECIALS[..])
}

/// Mostly ordinary numbers, sometimes special ones.
fn arb_real() -> impl Strategy<Value = f64> + Clone {
    prop_oneof![8 => -4.0..4.0f64, 1 => arb_special()]
}

/// A spike rule (a condition or a count) or none; a refractory rule only
/// with a spike rule.
fn arb_spiking() -> impl Strategy<Value = Spiking> {
    (any::<bool>(), any::<bool>(), any::<bool>()).prop_map(|(spike, counts, refractory)| Spiking {
        spike,
        counts,
        refractory: spike && refractory,
    })
}

/// Each state variable and input fed by at most one buffer, in any order.
fn arb_take_up(shape: Shape) -> impl Strategy<Value = Vec<TakeUp>> {
    let targets: Vec<TakeUp> = (0..shape.states)
        .map(TakeUp::State)
        .chain((0..shape.inputs).map(TakeUp::Input))
        .collect();
    let most = targets.len();
    subsequence(targets, 0..=most).prop_shuffle()
}

/// The destinations of a block's statements: `Some(x)` for state
/// variable `x`, `None` for a fresh temporary.
fn arb_dests(shape: Shape, len: RangeInclusive<usize>) -> impl Strategy<Value = Vec<Option<u32>>> {
    vec(proptest::option::of(0..shape.states), len)
}

fn temps_assigned(dests: &[Option<u32>]) -> u32 {
    dests.iter().filter(|d| d.is_none()).count() as u32
}

/// The statements of a block with destinations `dests`, its temporaries
/// numbered from `first_temp`; each statement reads only the temporaries
/// assigned before it.
fn arb_block(shape: Shape, dests: &[Option<u32>], first_temp: u32) -> Vec<BoxedStrategy<Stmt>> {
    let mut temps = first_temp..first_temp;
    dests
        .iter()
        .map(|dest| {
            let value = arb_code(leaves(shape, temps.clone()));
            let dest = match *dest {
                Some(x) => Dest::State(x),
                None => {
                    temps.end += 1;
                    Dest::Temp(temps.end - 1)
                }
            };
            value.prop_map(move |value| Stmt { dest, value }).boxed()
        })
        .collect()
}

/// The slots code may read: time, every state, parameter and input, and
/// the temporaries `temps`.
fn leaves(shape: Shape, temps: std::ops::Range<u32>) -> Vec<Slot> {
    std::iter::once(Slot::Time)
        .chain((0..shape.states).map(Slot::State))
        .chain((0..shape.params).map(Slot::Param))
        .chain((0..shape.inputs).map(Slot::Input))
        .chain(temps.map(Slot::Temp))
        .collect()
}

/// Constants: small numbers, round ones and special ones.
fn arb_constant() -> impl Strategy<Value = f64> + Clone {
    prop_oneof![
        4 => -3.0..3.0f64,
        1 => select(&[0.0, 0.5, 1.0, 2.0, 10.0][..]),
        1 => arb_special(),
    ]
}

/// Expressions of depth at most 4 over loads of `slots`, constants,
/// random draws and schedule reads, with every operator.
fn arb_code(slots: Vec<Slot>) -> BoxedStrategy<Code> {
    let leaf = prop_oneof![
        4 => arb_constant().prop_map(Code::Const),
        6 => select(slots).prop_map(Code::Load),
        1 => Just(Code::Rand),
        1 => Just(Code::Randn),
        1 => Just(Code::Scheduled),
    ];
    leaf.prop_recursive(4, 16, 3, |inner| {
        prop_oneof![
            3 => (select(&MATH_FNS[..]), inner.clone())
                .prop_map(|(f, a)| Code::Unary(f, Box::new(a))),
            6 => (select(&BIN_OPS[..]), inner.clone(), inner.clone())
                .prop_map(|(op, a, b)| binary(op, a, b)),
            2 => (inner.clone(), inner.clone(), inner.clone())
                .prop_map(|(c, a, b)| Code::Select(Box::new(c), Box::new(a), Box::new(b))),
            1 => inner.clone().prop_map(poisson),
            1 => (0.0..12.0f64).prop_map(folded_poisson),
            1 => (inner.clone(), inner)
                .prop_map(|(l, e)| Code::Poisson(Box::new(l), Box::new(e))),
        ]
    })
    .boxed()
}

/// A spike condition: a threshold on a state variable, a random draw
/// below a probability, a schedule read, or any expression.
fn arb_condition(shape: Shape) -> impl Strategy<Value = Code> {
    let state = (0..shape.states).prop_map(|x| Code::Load(Slot::State(x)));
    prop_oneof![
        2 => (select(&COMPARISONS[..]), state, arb_constant())
            .prop_map(|(op, v, theta)| binary(op, v, Code::Const(theta))),
        1 => (0.0..1.0f64).prop_map(|p| binary(BinOp::Lt, Code::Rand, Code::Const(p))),
        1 => Just(Code::Scheduled),
        2 => arb_code(leaves(shape, 0..0)),
    ]
}

/// A spike count: a Poisson draw, a state variable, or any expression.
fn arb_count(shape: Shape) -> impl Strategy<Value = Code> {
    let state = (0..shape.states).prop_map(|x| Code::Load(Slot::State(x)));
    prop_oneof![
        1 => (0.0..30.0f64).prop_map(|lambda| poisson(Code::Const(lambda))),
        2 => (0.0..12.0f64).prop_map(folded_poisson),
        1 => state,
        2 => arb_code(leaves(shape, 0..0)),
    ]
}

/// A refractory period: mostly a few steps, sometimes any expression
/// (NaN, negative or huge, which saturate).
fn arb_period(shape: Shape) -> impl Strategy<Value = Code> {
    prop_oneof![
        3 => (0.0..4.0f64).prop_map(Code::Const),
        1 => arb_code(leaves(shape, 0..0)),
    ]
}

fn binary(op: BinOp, a: Code, b: Code) -> Code {
    Code::Binary(op, Box::new(a), Box::new(b))
}

/// A Poisson draw with mean `lambda` as the planner emits it, with
/// `exp(-lambda)` beside it.
fn poisson(lambda: Code) -> Code {
    let exp_neg = Code::Unary(
        MathFn::Exp,
        Box::new(Code::Unary(MathFn::Neg, Box::new(lambda.clone()))),
    );
    Code::Poisson(Box::new(lambda), Box::new(exp_neg))
}

/// A Poisson draw with a constant mean as the planner emits it once
/// constants are folded: both operands constants (the kernels draw these
/// from a table).
fn folded_poisson(lambda: f64) -> Code {
    Code::Poisson(
        Box::new(Code::Const(lambda)),
        Box::new(Code::Const((-lambda).exp())),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::test_runner::{Config, TestRunner};
    use std::cell::RefCell;
    use std::collections::BTreeSet;

    /// Every index a program holds, checked against its declared counts,
    /// and temporaries read only after they are assigned in their block.
    fn check_valid(program: &NeuronProgram) {
        let states = program.state.len() as u32;
        assert_eq!(program.held.len(), program.state.len());
        let mut fed = Vec::new();
        for target in &program.take_up {
            assert!(!fed.contains(target), "{target:?} fed twice");
            fed.push(*target);
            match *target {
                TakeUp::State(x) => assert!(x < states),
                TakeUp::Input(j) => assert!(j < program.inputs),
            }
        }
        let mut assigned = Vec::new();
        check_block(program, &program.update, &mut assigned);
        let mut reset_assigned = Vec::new();
        check_block(program, &program.reset, &mut reset_assigned);
        assert!(reset_assigned.iter().all(|t| !assigned.contains(t)));
        for code in program.spike.iter().map(|rule| match rule {
            SpikeRule::Condition(c) | SpikeRule::Count(c) => c,
        }) {
            check_code(program, code, &[]);
        }
        if let Some(rule) = &program.refractory {
            check_code(program, &rule.steps, &[]);
            assert!(program.spike.is_some());
        } else {
            assert!(program.held.iter().all(|h| !h));
        }
        assert!(program.spike.is_some() || program.reset.is_empty());
    }

    fn check_block(program: &NeuronProgram, block: &[Stmt], assigned: &mut Vec<u32>) {
        for stmt in block {
            check_code(program, &stmt.value, assigned);
            match stmt.dest {
                Dest::State(x) => assert!((x as usize) < program.state.len()),
                Dest::Temp(t) => {
                    assert!(t < program.temps);
                    assigned.push(t);
                }
            }
        }
    }

    fn check_code(program: &NeuronProgram, code: &Code, temps: &[u32]) {
        let valid = |c: &Code| match *c {
            Code::Load(Slot::State(x)) => (x as usize) < program.state.len(),
            Code::Load(Slot::Param(p)) => (p as usize) < program.params.len(),
            Code::Load(Slot::Input(j)) => j < program.inputs,
            Code::Load(Slot::Temp(t)) => temps.contains(&t),
            _ => true,
        };
        assert!(!code.any(&|c| !valid(c)), "{code:?}");
    }

    #[test]
    fn generated_programs_are_valid() {
        let mut runner = TestRunner::new(Config::with_cases(512));
        runner
            .run(&arb_case(), |(program, values)| {
                check_valid(&program);
                let n = values.neurons as usize;
                assert_eq!(values.state.len(), program.state.len() * n);
                assert_eq!(values.params.len(), program.params.len() * n);
                assert_eq!(
                    values.arrivals.len(),
                    values.steps as usize * program.take_up.len() * n
                );
                assert_eq!(values.schedule.len(), n);
                assert_eq!(values.refractory.len(), n);
                Ok(())
            })
            .expect("generated cases are valid");
    }

    /// The name of a node's variant, or of its operator or function.
    fn node_name(code: &Code) -> String {
        match code {
            Code::Unary(f, _) => format!("{f:?}"),
            Code::Binary(op, ..) => format!("{op:?}"),
            other => format!("{other:?}")
                .split('(')
                .next()
                .unwrap_or_default()
                .to_string(),
        }
    }

    #[test]
    fn every_code_variant_and_operator_is_drawn() {
        let mut runner = TestRunner::new(Config::with_cases(400));
        let seen = RefCell::new(BTreeSet::new());
        runner
            .run(&arb_program(), |program| {
                for code in program.codes() {
                    // A test that never holds visits every node.
                    code.any(&|c| {
                        seen.borrow_mut().insert(node_name(c));
                        false
                    });
                }
                Ok(())
            })
            .expect("draws succeed");
        let seen = seen.into_inner();
        let variants = [
            "Const",
            "Load",
            "Select",
            "Rand",
            "Randn",
            "Poisson",
            "Scheduled",
        ];
        for name in MATH_FNS
            .iter()
            .map(|f| format!("{f:?}"))
            .chain(BIN_OPS.iter().map(|op| format!("{op:?}")))
            .chain(variants.map(String::from))
        {
            assert!(seen.contains(&name), "{name} never drawn");
        }
    }
}
