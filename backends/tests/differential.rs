//! The JIT against the reference interpreter: both run generated programs
//! on a chunk of neurons for several steps, with random sums arriving in
//! the rings, and must agree bit for bit on every step's state, spikes,
//! counts and refractory counters, and on the streams they leave behind.
//! NaNs are equal whatever their payloads: the contract fixes when a value
//! is NaN, not which NaN it is.

use neurc_backends::cpu::interpret::{NeuronState, step_neuron};
use neurc_backends::cpu::jit::{Jit, NeuronData};
use neurc_backends::cpu::random::Stream;
use neurc_backends::cpu::testing::{Values, arb_case};
use neurc_backends::cpu::{NeuronProgram, Real};
use proptest::prelude::*;

/// Slots of the chunk's rings: each step's arrivals go into the slot of
/// that step, so a kernel that reads or clears the wrong slot differs.
const SLOTS: u32 = 4;

/// What a run of a chunk leaves behind, step by step.
struct Run<R> {
    /// The state after each step, variable-major.
    states: Vec<Vec<R>>,
    /// The spikes of each step: population index and count (1 for
    /// condition programs), ascending.
    spikes: Vec<Vec<(u32, u32)>>,
    /// The refractory counters after each step.
    refractory: Vec<Vec<u32>>,
    /// The streams after the last step.
    streams: Vec<Stream>,
}

/// The chunk's starting values in precision `R`.
struct Chunk<R> {
    state: Vec<R>,
    params: Vec<R>,
    refractory: Vec<u32>,
    streams: Vec<Stream>,
}

impl<R: Real> Chunk<R> {
    fn new(values: &Values) -> Self {
        let real = |values: &[f64]| values.iter().map(|&x| R::from_f64(x)).collect();
        Chunk {
            state: real(&values.state),
            params: real(&values.params),
            refractory: values.refractory.clone(),
            streams: values.streams(),
        }
    }
}

fn time<R: Real>(values: &Values, step: u64) -> R {
    R::from_f64(step as f64 * values.dt)
}

/// Runs the chunk with [`step_neuron`], one neuron at a time.
fn interpret<R: Real>(program: &NeuronProgram, values: &Values) -> Run<R> {
    let Chunk {
        mut state,
        params,
        mut refractory,
        mut streams,
    } = Chunk::<R>::new(values);
    let mut schedule = values.schedule();
    let n = values.neurons as usize;
    let buffers = program.take_up.len();
    let mut run = Run::empty();
    for step in 0..values.steps {
        let arrivals = values.arrivals_at(step, buffers);
        let mut spikes = Vec::new();
        for i in 0..n {
            let column = |values: &[R], count: usize| -> Vec<R> {
                (0..count).map(|k| values[k * n + i]).collect()
            };
            let mut neuron_state = column(&state, program.state.len());
            let neuron_params = column(&params, program.params.len());
            let buffers: Vec<R> = (0..buffers)
                .map(|k| R::from_f64(arrivals[k * n + i]))
                .collect();
            let neuron = NeuronState {
                state: &mut neuron_state,
                params: &neuron_params,
                buffers: &buffers,
                refractory: &mut refractory[i],
                stream: Some(&mut streams[i]),
                schedule: Some((&mut schedule, i as u32)),
            };
            let count = step_neuron(program, neuron, time(values, step), step);
            for (k, value) in neuron_state.into_iter().enumerate() {
                state[k * n + i] = value;
            }
            if count > 0 {
                spikes.push((values.first + i as u32, count));
            }
        }
        run.record(&state, spikes, &refractory);
    }
    run.streams = streams;
    run
}

/// Compiles the program and runs the chunk with its kernel, writing each
/// step's arrivals into that step's ring slot first.
fn jit<R: Real>(program: &NeuronProgram, values: &Values) -> Result<Run<R>, TestCaseError> {
    let mut compiler = Jit::<R>::new().map_err(fail)?;
    let id = compiler.compile_neuron(program).map_err(fail)?;
    let kernels = compiler.finish().map_err(fail)?;
    let kernel = kernels.neuron(id);
    let Chunk {
        mut state,
        params,
        mut refractory,
        mut streams,
    } = Chunk::<R>::new(values);
    let mut schedule = values.schedule();
    let n = values.neurons as usize;
    let buffers = program.take_up.len();
    let mut ring = vec![R::ZERO; buffers * SLOTS as usize * n];
    let (mut spikes, mut counts) = (vec![0; n], vec![0; n]);
    let mut run = Run::empty();
    for step in 0..values.steps {
        let slot = (step % u64::from(SLOTS)) as usize;
        let arrivals = values.arrivals_at(step, buffers);
        for k in 0..buffers {
            let start = (k * SLOTS as usize + slot) * n;
            for (cell, &arrival) in ring[start..start + n].iter_mut().zip(&arrivals[k * n..]) {
                *cell = R::from_f64(arrival);
            }
        }
        let entries = kernel
            .run(NeuronData {
                state: &mut state,
                params: &params,
                ring: &mut ring,
                slots: SLOTS,
                refractory: &mut refractory,
                streams: &mut streams,
                schedule: Some(&mut schedule),
                spikes: &mut spikes,
                counts: &mut counts,
                first: values.first,
                n: values.neurons,
                time: time(values, step),
                step,
            })
            .map_err(fail)? as usize;
        prop_assert!(
            ring.iter().all(|&x| x == R::ZERO),
            "step {step}: the kernel left the ring {ring:?}"
        );
        let step_spikes = spikes[..entries]
            .iter()
            .zip(&counts[..entries])
            .map(|(&neuron, &count)| (neuron, if program.counts_spikes() { count } else { 1 }))
            .collect();
        run.record(&state, step_spikes, &refractory);
    }
    run.streams = streams;
    Ok(run)
}

fn fail(error: impl std::fmt::Display) -> TestCaseError {
    TestCaseError::fail(error.to_string())
}

impl<R: Real> Run<R> {
    fn empty() -> Self {
        Run {
            states: Vec::new(),
            spikes: Vec::new(),
            refractory: Vec::new(),
            streams: Vec::new(),
        }
    }

    fn record(&mut self, state: &[R], spikes: Vec<(u32, u32)>, refractory: &[u32]) {
        self.states.push(state.to_vec());
        self.spikes.push(spikes);
        self.refractory.push(refractory.to_vec());
    }
}

/// Equal bits, or both NaN. Widening to `f64` keeps every bit that
/// matters (and the sign of zero) of an `f32`.
fn same_bits<R: Real>(a: R, b: R) -> bool {
    let (a, b) = (a.to_f64(), b.to_f64());
    if a.is_nan() || b.is_nan() {
        a.is_nan() && b.is_nan()
    } else {
        a.to_bits() == b.to_bits()
    }
}

/// Runs both executors in precision `R` and compares them step by step.
fn check<R: Real>(program: &NeuronProgram, values: &Values) -> Result<(), TestCaseError> {
    let expected = interpret::<R>(program, values);
    let actual = jit::<R>(program, values)?;
    let n = values.neurons as usize;
    for step in 0..values.steps as usize {
        let (want, got) = (&expected.states[step], &actual.states[step]);
        for (index, (&a, &b)) in want.iter().zip(got).enumerate() {
            prop_assert!(
                same_bits(a, b),
                "step {step}: state variable {} of neuron {}: interpreter {a:?}, JIT {b:?}",
                program.state[index / n],
                index % n
            );
        }
        prop_assert_eq!(
            &expected.spikes[step],
            &actual.spikes[step],
            "spikes in step {}",
            step
        );
        prop_assert_eq!(
            &expected.refractory[step],
            &actual.refractory[step],
            "refractory counters after step {}",
            step
        );
    }
    prop_assert_eq!(&expected.streams, &actual.streams, "streams after the run");
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn jit_equals_interpreter_in_f64((program, values) in arb_case()) {
        check::<f64>(&program, &values)?;
    }

    #[test]
    fn jit_equals_interpreter_in_f32((program, values) in arb_case()) {
        check::<f32>(&program, &values)?;
    }
}
