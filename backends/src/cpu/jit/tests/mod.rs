//! Tests of the JIT against results computed by hand from the CPU
//! contract's semantics.

mod delivery;
mod errors;
mod neuron;

use super::{Jit, Kernels, NeuronData, NeuronKernel, NeuronKernelId};
use crate::cpu::program::{BinOp, Code, Dest, MathFn, NeuronProgram, Slot, Stmt};
use crate::cpu::random::{self, Stream};
use crate::cpu::real::Real;
use crate::cpu::schedule::Schedule;

fn c(x: f64) -> Code {
    Code::Const(x)
}

fn state(x: u32) -> Code {
    Code::Load(Slot::State(x))
}

fn param(p: u32) -> Code {
    Code::Load(Slot::Param(p))
}

fn input(j: u32) -> Code {
    Code::Load(Slot::Input(j))
}

fn temp(t: u32) -> Code {
    Code::Load(Slot::Temp(t))
}

fn bin(op: BinOp, a: Code, b: Code) -> Code {
    Code::Binary(op, Box::new(a), Box::new(b))
}

fn un(f: MathFn, a: Code) -> Code {
    Code::Unary(f, Box::new(a))
}

fn set(x: u32, value: Code) -> Stmt {
    Stmt {
        dest: Dest::State(x),
        value,
    }
}

fn set_temp(t: u32, value: Code) -> Stmt {
    Stmt {
        dest: Dest::Temp(t),
        value,
    }
}

/// A program of `state` variables (none held) and `params` parameters
/// that does nothing.
fn program(state: usize, params: usize) -> NeuronProgram {
    NeuronProgram {
        model: "test".into(),
        state: (0..state).map(|x| format!("s{x}")).collect(),
        held: vec![false; state],
        params: (0..params).map(|p| format!("p{p}")).collect(),
        inputs: 0,
        temps: 0,
        take_up: Vec::new(),
        update: Vec::new(),
        spike: None,
        reset: Vec::new(),
        refractory: None,
    }
}

fn compile<R: Real>(program: &NeuronProgram) -> (Kernels<R>, NeuronKernelId) {
    let mut jit = Jit::<R>::new().unwrap();
    let id = jit.compile_neuron(program).unwrap();
    (jit.finish().unwrap(), id)
}

/// `x` as `R`.
fn r<R: Real>(x: f64) -> R {
    R::from_f64(x)
}

/// The bits of `x`, to compare values exactly (NaNs and signed zeros too).
fn bits<R: Real>(x: R) -> u64 {
    x.to_f64().to_bits()
}

/// A chunk's arrays, sized exactly for a program.
struct Chunk<R> {
    state: Vec<R>,
    params: Vec<R>,
    ring: Vec<R>,
    slots: u32,
    refractory: Vec<u32>,
    streams: Vec<Stream>,
    schedule: Option<Schedule>,
    spikes: Vec<u32>,
    counts: Vec<u32>,
    first: u32,
    n: u32,
    /// Whether the program emits counts.
    counted: bool,
}

impl<R: Real> Chunk<R> {
    fn new(program: &NeuronProgram, n: u32, slots: u32) -> Self {
        let size = n as usize;
        Chunk {
            state: vec![R::ZERO; program.state.len() * size],
            params: vec![R::ZERO; program.params.len() * size],
            ring: vec![R::ZERO; program.take_up.len() * slots as usize * size],
            slots,
            refractory: vec![0; size],
            streams: (0..n).map(|i| random::stream(7, 3, i)).collect(),
            schedule: None,
            spikes: vec![u32::MAX; size],
            counts: vec![u32::MAX; size],
            first: 0,
            n,
            counted: program.counts_spikes(),
        }
    }

    /// Buffer `k`'s value for neuron `i` in slot `slot`.
    fn ring_mut(&mut self, k: usize, slot: u64, i: usize) -> &mut R {
        let index = (k * self.slots as usize + slot as usize) * self.n as usize + i;
        &mut self.ring[index]
    }

    /// State variable `x` of neuron `i`.
    fn state(&self, x: usize, i: usize) -> R {
        self.state[x * self.n as usize + i]
    }

    fn data(&mut self, step: u64) -> NeuronData<'_, R> {
        NeuronData {
            state: &mut self.state,
            params: &self.params,
            ring: &mut self.ring,
            slots: self.slots,
            refractory: &mut self.refractory,
            streams: &mut self.streams,
            schedule: self.schedule.as_mut(),
            spikes: &mut self.spikes,
            counts: &mut self.counts,
            first: self.first,
            n: self.n,
            time: R::from_f64(step as f64 * 1e-3),
            step,
        }
    }

    /// Runs one step and returns the spike entries (neuron, count).
    fn step(&mut self, kernel: &NeuronKernel<R>, step: u64) -> Vec<(u32, u32)> {
        let written = kernel.run(self.data(step)).unwrap() as usize;
        let count = |entry: usize| if self.counted { self.counts[entry] } else { 1 };
        (0..written)
            .map(|entry| (self.spikes[entry], count(entry)))
            .collect()
    }
}
