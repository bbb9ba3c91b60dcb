//! The neuron kernel: one native function per [`NeuronProgram`] that steps
//! a chunk of `n` neurons.
//!
//! Everything the program fixes is specialised into the code: constants
//! are immediates, the take-up, update, spike and reset rules are straight
//! line code, and buffers or rules the program lacks cost nothing. Within
//! one neuron's iteration, state variables, inputs and temporaries are
//! Cranelift variables: each state variable is loaded once and stored once.
//! Expressions become exactly their tree's operations, in tree order
//! (left operand first), with no fusion or reassociation, so the results
//! equal the interpreter's bit for bit.

#![allow(unsafe_code)]

use super::data::{KernelError, NeuronData, at_least, check_slots, exact, product};
use super::draws;
use super::emit::{TRUSTED, element, field, float_type, real_const, real_shift};
use super::helpers::{Helper, Imports};
use crate::cpu::program::{BinOp, Code, Dest, MathFn, NeuronProgram, Slot, SpikeRule, TakeUp};
use crate::cpu::random::{ConstantPoisson, Stream};
use crate::cpu::real::Real;
use crate::cpu::schedule::Schedule;
use cranelift_codegen::ir::condcodes::{FloatCC, IntCC};
use cranelift_codegen::ir::{Block, InstBuilder, Type, Value, types};
use cranelift_frontend::{FunctionBuilder, Variable};
use std::marker::PhantomData;
use std::mem::offset_of;
use std::ptr;
use std::time::Duration;

/// The arguments of a neuron kernel, passed by address: the field offsets
/// are read by the code generator, so the two sides cannot disagree.
#[repr(C)]
struct NeuronArgs<R> {
    state: *mut R,
    params: *const R,
    ring: *mut R,
    refractory: *mut u32,
    streams: *mut Stream,
    schedule: *mut Schedule,
    spikes: *mut u32,
    counts: *mut u32,
    n: u64,
    slots: u64,
    /// This step's slot of every ring: `step & (slots - 1)`.
    slot: u64,
    step: u64,
    first: u32,
    time: R,
}

/// The native code of a neuron kernel: returns the spike entries written.
type NeuronFn<R> = unsafe extern "C" fn(*const NeuronArgs<R>) -> u32;

/// What the compiled code assumes of its arrays, kept from the program so
/// that `run` can check them.
#[derive(Clone, Debug)]
pub(super) struct Shape {
    state: usize,
    params: usize,
    buffers: usize,
    refractory: bool,
    random: bool,
    schedule: bool,
    counts: bool,
}

impl Shape {
    pub(super) fn of(program: &NeuronProgram) -> Self {
        Shape {
            state: program.state.len(),
            params: program.params.len(),
            buffers: program.take_up.len(),
            refractory: program.refractory.is_some(),
            random: program.uses_random(),
            schedule: program.uses_schedule(),
            counts: program.counts_spikes(),
        }
    }
}

/// A compiled neuron program. Handed out by reference by
/// [`Kernels`](super::Kernels), which owns its code.
#[derive(Debug)]
pub struct NeuronKernel<R> {
    code: NeuronFn<R>,
    shape: Shape,
    compile_time: Duration,
}

impl<R: Real> NeuronKernel<R> {
    /// # Safety
    /// `code` is the finalized address of a function that [`build`] defined
    /// for this `R` and a program of this `shape`, and it stays valid for as
    /// long as the kernel can be used.
    pub(super) unsafe fn new(code: *const u8, shape: Shape, compile_time: Duration) -> Self {
        // SAFETY: the caller guarantees `code` is a function of `build`, whose
        // Cranelift signature (one pointer, an `i32` result, the host's
        // default calling convention, which is the C one) is `NeuronFn<R>`.
        let code = unsafe { std::mem::transmute::<*const u8, NeuronFn<R>>(code) };
        NeuronKernel {
            code,
            shape,
            compile_time,
        }
    }

    /// Time spent compiling this kernel: its code generation plus its share
    /// of the module's finalization.
    pub fn compile_time(&self) -> Duration {
        self.compile_time
    }

    /// Steps the chunk's `data.n` neurons once and returns how many spike
    /// entries it wrote to `data.spikes` (and `data.counts`).
    ///
    /// Every array length is checked against the program the kernel was
    /// compiled from; a mismatch is an error naming the array, and nothing
    /// is touched.
    pub fn run(&self, data: NeuronData<'_, R>) -> Result<u32, KernelError> {
        let shape = &self.shape;
        let n = data.n as usize;
        exact(
            "state",
            data.state.len(),
            product("state", &[shape.state, n])?,
        )?;
        exact(
            "params",
            data.params.len(),
            product("params", &[shape.params, n])?,
        )?;
        check_slots(data.slots)?;
        let ring = product("ring", &[shape.buffers, data.slots as usize, n])?;
        exact("ring", data.ring.len(), ring)?;
        if shape.refractory {
            exact("refractory", data.refractory.len(), n)?;
        }
        if shape.random {
            exact("streams", data.streams.len(), n)?;
        }
        let schedule = match data.schedule {
            Some(schedule) if shape.schedule => {
                if schedule.len() != n {
                    return Err(KernelError::ScheduleLength {
                        expected: n,
                        actual: schedule.len(),
                    });
                }
                ptr::from_mut(schedule)
            }
            None if shape.schedule => return Err(KernelError::MissingSchedule),
            _ => ptr::null_mut(),
        };
        at_least("spikes", data.spikes.len(), n)?;
        if shape.counts {
            at_least("counts", data.counts.len(), n)?;
        }
        if u64::from(data.first) + u64::from(data.n) > 1 << 32 {
            return Err(KernelError::IndexOverflow {
                first: data.first,
                n: data.n,
            });
        }
        let args = NeuronArgs {
            state: data.state.as_mut_ptr(),
            params: data.params.as_ptr(),
            ring: data.ring.as_mut_ptr(),
            refractory: data.refractory.as_mut_ptr(),
            streams: data.streams.as_mut_ptr(),
            schedule,
            spikes: data.spikes.as_mut_ptr(),
            counts: data.counts.as_mut_ptr(),
            n: u64::from(data.n),
            slots: u64::from(data.slots),
            slot: data.step & u64::from(data.slots - 1),
            step: data.step,
            first: data.first,
            time: data.time,
        };
        // SAFETY: `code` is live machine code of this signature (`new`). It
        // accesses, for neurons `i < n` only: `state`, `params` and `ring` at
        // the indices of the layouts whose lengths were checked above (the
        // program's indices were checked against the same sizes when it was
        // compiled); `refractory[i]`, `streams[i]` (inline or through the
        // helpers), and the schedule only if the program has a refractory
        // rule, draws or reads a schedule, and then their lengths were
        // checked; `spikes`/`counts` at most once per neuron, below `n`;
        // and the Poisson tables the `Kernels` owning the code keeps, within
        // their bounds (`draws::constant_poisson`). Every slice is borrowed
        // (mutably where written) for the whole call, so nothing else
        // accesses them meanwhile.
        Ok(unsafe { (self.code)(&args) })
    }
}

/// Builds the kernel of `program` into `builder` (whose function has the
/// signature `NeuronFn`). The program's indices have been checked. Tables
/// of constant Poisson means are added to `tables`, whose owner must keep
/// them for as long as the code lives: the code holds their addresses.
pub(super) fn build<R: Real>(
    builder: &mut FunctionBuilder,
    imports: Imports<'_>,
    tables: &mut Vec<ConstantPoisson>,
    program: &NeuronProgram,
) {
    let entry = builder.create_block();
    builder.append_block_params_for_function_params(entry);
    builder.switch_to_block(entry);
    let args = builder.block_params(entry)[0];
    let invariant = Invariant::load::<R>(builder, args, program);
    NeuronBuilder::<R>::start(builder, imports, tables, program, invariant).finish();
    builder.seal_all_blocks();
}

/// Values that do not change during a call, computed once in the entry
/// block.
struct Invariant {
    n: Value,
    step: Value,
    time: Value,
    first: Value,
    spikes: Value,
    counts: Value,
    refractory: Value,
    streams: Value,
    schedule: Value,
    /// Per state variable, the address of its neuron 0.
    state: Vec<Value>,
    /// Per parameter, the address of its neuron 0.
    params: Vec<Value>,
    /// Per buffer, the address of neuron 0 in this step's slot.
    ring: Vec<Value>,
}

impl Invariant {
    fn load<R: Real>(builder: &mut FunctionBuilder, args: Value, program: &NeuronProgram) -> Self {
        let ptr = types::I64;
        macro_rules! arg {
            ($ty:expr, $field:ident) => {
                field(builder, $ty, args, offset_of!(NeuronArgs<R>, $field))
            };
        }
        let n = arg!(ptr, n);
        // Bytes between two variables (or buffers, or slots) of the layouts.
        let stride = builder.ins().ishl_imm_u(n, real_shift::<R>());
        let rows = |builder: &mut FunctionBuilder, base: Value, count: usize| {
            (0..count)
                .map(|k| {
                    let offset = builder.ins().imul_imm_u(stride, k as i64);
                    builder.ins().iadd(base, offset)
                })
                .collect()
        };
        let state_base = arg!(ptr, state);
        let state = rows(builder, state_base, program.state.len());
        let params_base = arg!(ptr, params);
        let params = rows(builder, params_base, program.params.len());
        let ring = if program.take_up.is_empty() {
            Vec::new()
        } else {
            // Buffer k's slot s starts at row k * slots + s.
            let ring_base = arg!(ptr, ring);
            let slots = arg!(ptr, slots);
            let slot = arg!(ptr, slot);
            let slot_offset = builder.ins().imul(slot, stride);
            let slot_base = builder.ins().iadd(ring_base, slot_offset);
            let buffer_stride = builder.ins().imul(slots, stride);
            (0..program.take_up.len())
                .map(|k| {
                    let offset = builder.ins().imul_imm_u(buffer_stride, k as i64);
                    builder.ins().iadd(slot_base, offset)
                })
                .collect()
        };
        Invariant {
            n,
            step: arg!(ptr, step),
            time: arg!(float_type::<R>(), time),
            first: arg!(types::I32, first),
            spikes: arg!(ptr, spikes),
            counts: arg!(ptr, counts),
            refractory: arg!(ptr, refractory),
            streams: arg!(ptr, streams),
            schedule: arg!(ptr, schedule),
            state,
            params,
            ring,
        }
    }
}

/// The code generator of one kernel.
///
/// The loop body branches only after the update: a refractory block, and a
/// resting block followed by a spiking block. Values cached here (loaded
/// parameters) are computed in the body, or in the resting and spiking
/// blocks, which are generated last and in dominance order, so a cached
/// value always dominates its later uses.
struct NeuronBuilder<'a, 'f, R> {
    b: &'a mut FunctionBuilder<'f>,
    imports: Imports<'a>,
    tables: &'a mut Vec<ConstantPoisson>,
    program: &'a NeuronProgram,
    invariant: Invariant,
    float: Type,
    body: Block,
    latch: Block,
    exit: Block,
    /// The neuron index `i` and the spike entries written so far.
    index: Variable,
    spike_count: Variable,
    state: Vec<Variable>,
    inputs: Vec<Variable>,
    temps: Vec<Variable>,
    /// Per state variable, whether the program mentions it (it is then
    /// loaded) and whether it may change it (it is then stored).
    mentioned: Vec<bool>,
    written: Vec<bool>,
    /// Per parameter, its value once loaded in this iteration.
    params: Vec<Option<Value>>,
    /// This neuron's byte offset in arrays of `R`, the address of its
    /// stream, and its index in the chunk as `i32`.
    offset: Value,
    stream: Value,
    local: Value,
    real: PhantomData<R>,
}

impl<'a, 'f, R: Real> NeuronBuilder<'a, 'f, R> {
    /// Emits the loop head, `for i in 0..n`, and leaves the builder at the
    /// top of the body.
    fn start(
        b: &'a mut FunctionBuilder<'f>,
        imports: Imports<'a>,
        tables: &'a mut Vec<ConstantPoisson>,
        program: &'a NeuronProgram,
        invariant: Invariant,
    ) -> Self {
        let float = float_type::<R>();
        let mut vars = |count: usize, ty: Type| (0..count).map(|_| b.declare_var(ty)).collect();
        let state = vars(program.state.len(), float);
        let inputs = vars(program.inputs as usize, float);
        let temps = vars(program.temps as usize, float);
        let index = b.declare_var(types::I64);
        let spike_count = b.declare_var(types::I64);
        let zero = b.ins().iconst(types::I64, 0);
        b.def_var(index, zero);
        b.def_var(spike_count, zero);
        let (body, latch, exit) = (b.create_block(), b.create_block(), b.create_block());
        b.ins().brif(invariant.n, body, &[], exit, &[]);

        b.switch_to_block(body);
        let i = b.use_var(index);
        let offset = b.ins().ishl_imm_u(i, real_shift::<R>());
        // Unused values are dropped by Cranelift, so these cost nothing in
        // kernels that neither draw nor read a schedule.
        let stream_offset = b.ins().imul_imm_u(i, size_of::<Stream>() as i64);
        let stream = b.ins().iadd(invariant.streams, stream_offset);
        let local = b.ins().ireduce(types::I32, i);
        NeuronBuilder {
            b,
            imports,
            tables,
            program,
            float,
            body,
            latch,
            exit,
            index,
            spike_count,
            state,
            inputs,
            temps,
            mentioned: (0..program.state.len())
                .map(|x| mentions(program, x as u32))
                .collect(),
            written: (0..program.state.len())
                .map(|x| writes(program, x as u32))
                .collect(),
            params: vec![None; program.params.len()],
            offset,
            stream,
            local,
            invariant,
            real: PhantomData,
        }
    }

    /// Emits the neuron's step, the loop's latch and the return.
    fn finish(mut self) {
        self.emit_neuron();

        self.b.switch_to_block(self.latch);
        self.store_state();
        let index = self.b.use_var(self.index);
        let next = self.b.ins().iadd_imm_u(index, 1);
        self.b.def_var(self.index, next);
        let more = self
            .b
            .ins()
            .icmp(IntCC::UnsignedLessThan, next, self.invariant.n);
        self.b.ins().brif(more, self.body, &[], self.exit, &[]);

        self.b.switch_to_block(self.exit);
        let count = self.b.use_var(self.spike_count);
        let count = self.b.ins().ireduce(types::I32, count);
        self.b.ins().return_(&[count]);
    }

    /// One neuron's step, from the top of the loop body to the latch.
    fn emit_neuron(&mut self) {
        let zero = real_const::<R>(self.b, 0.0);
        for &var in self.inputs.iter().chain(&self.temps) {
            self.b.def_var(var, zero);
        }
        self.load_state();
        // r: the neuron is refractory at the start of the step.
        let refractory = self.program.refractory.as_ref().map(|_| {
            let index = self.b.use_var(self.index);
            let address = element(self.b, self.invariant.refractory, index, 2);
            let counter = self.b.ins().load(types::I32, TRUSTED, address, 0);
            let r = self.b.ins().icmp_imm_u(IntCC::NotEqual, counter, 0);
            (address, counter, r)
        });
        self.take_up(refractory.map(|(_, _, r)| r));
        let held = self.held_state(refractory.is_some());
        for stmt in &self.program.update {
            let value = self.expr(&stmt.value);
            self.assign(stmt.dest, value);
        }
        let Some((address, counter, r)) = refractory else {
            self.spike(None);
            return;
        };
        let resting = self.b.create_block();
        let refractory_block = self.b.create_block();
        self.b.ins().brif(r, refractory_block, &[], resting, &[]);
        // Restoring held variables only where `r` holds is the same as
        // restoring them (to themselves) everywhere.
        self.b.switch_to_block(refractory_block);
        for &(var, value) in &held {
            self.b.def_var(var, value);
        }
        let counter = self.b.ins().iadd_imm_s(counter, -1);
        self.b.ins().store(TRUSTED, counter, address, 0);
        self.b.ins().jump(self.latch, &[]);
        self.b.switch_to_block(resting);
        self.spike(Some(address));
    }

    /// Loads every state variable the program mentions.
    fn load_state(&mut self) {
        for x in (0..self.state.len()).filter(|&x| self.mentioned[x]) {
            let address = self.b.ins().iadd(self.invariant.state[x], self.offset);
            let value = self.b.ins().load(self.float, TRUSTED, address, 0);
            self.b.def_var(self.state[x], value);
        }
    }

    /// Stores every state variable the program may change.
    fn store_state(&mut self) {
        for x in (0..self.state.len()).filter(|&x| self.written[x]) {
            let value = self.b.use_var(self.state[x]);
            let address = self.b.ins().iadd(self.invariant.state[x], self.offset);
            self.b.ins().store(TRUSTED, value, address, 0);
        }
    }

    /// Step 1: read and clear each buffer's slot, and apply it. `r` is the
    /// refractory test, if the program has a refractory rule.
    fn take_up(&mut self, r: Option<Value>) {
        let zero = real_const::<R>(self.b, 0.0);
        for (k, &take_up) in self.program.take_up.iter().enumerate() {
            let address = self.b.ins().iadd(self.invariant.ring[k], self.offset);
            let value = self.b.ins().load(self.float, TRUSTED, address, 0);
            self.b.ins().store(TRUSTED, zero, address, 0);
            match take_up {
                TakeUp::State(x) => {
                    let var = self.state[x as usize];
                    let old = self.b.use_var(var);
                    let sum = self.b.ins().fadd(old, value);
                    let new = match r {
                        Some(r) if self.program.held[x as usize] => {
                            self.b.ins().select(r, old, sum)
                        }
                        _ => sum,
                    };
                    self.b.def_var(var, new);
                }
                TakeUp::Input(j) => self.b.def_var(self.inputs[j as usize], value),
            }
        }
    }

    /// The held state variables the program may change, with their values
    /// after take-up, if it has a refractory rule (otherwise nothing is
    /// held).
    fn held_state(&mut self, refractory: bool) -> Vec<(Variable, Value)> {
        if !refractory {
            return Vec::new();
        }
        (0..self.state.len())
            .filter(|&x| self.program.held[x] && self.written[x])
            .map(|x| (self.state[x], self.b.use_var(self.state[x])))
            .collect()
    }

    /// Step 3 for a neuron that is not refractory: test the spike rule and,
    /// on a spike, emit it, reset and start the refractory period (whose
    /// counter lives at `counter`).
    fn spike(&mut self, counter: Option<Value>) {
        let latch = self.latch;
        let Some(rule) = &self.program.spike else {
            self.b.ins().jump(latch, &[]);
            return;
        };
        let (fires, count) = match rule {
            SpikeRule::Condition(code) => (self.test(code), None),
            SpikeRule::Count(code) => {
                // A table's count is a whole number far below 2³², which
                // the round trip through `R` and back would give unchanged.
                let count = match poisson_table::<R>(code) {
                    Some(table) => {
                        let count = draws::constant_poisson_count(self.b, self.stream, &table);
                        self.tables.push(table);
                        self.b.ins().ireduce(types::I32, count)
                    }
                    None => {
                        let value = self.expr(code);
                        self.b.ins().fcvt_to_uint_sat(types::I32, value)
                    }
                };
                (
                    self.b.ins().icmp_imm_u(IntCC::NotEqual, count, 0),
                    Some(count),
                )
            }
        };
        let spiking = self.b.create_block();
        self.b.set_cold_block(spiking);
        self.b.ins().brif(fires, spiking, &[], latch, &[]);
        self.b.switch_to_block(spiking);

        let entries = self.b.use_var(self.spike_count);
        let index = self.b.use_var(self.index);
        let neuron = self.b.ins().ireduce(types::I32, index);
        let neuron = self.b.ins().iadd(self.invariant.first, neuron);
        let address = element(self.b, self.invariant.spikes, entries, 2);
        self.b.ins().store(TRUSTED, neuron, address, 0);
        if let Some(count) = count {
            let address = element(self.b, self.invariant.counts, entries, 2);
            self.b.ins().store(TRUSTED, count, address, 0);
        }
        let entries = self.b.ins().iadd_imm_u(entries, 1);
        self.b.def_var(self.spike_count, entries);

        for stmt in &self.program.reset {
            let value = self.expr(&stmt.value);
            self.assign(stmt.dest, value);
        }
        if let (Some(rule), Some(address)) = (&self.program.refractory, counter) {
            // ⌊steps + 0.5⌋, saturated to u32 (NaN gives 0).
            let steps = self.expr(&rule.steps);
            let half = real_const::<R>(self.b, 0.5);
            let steps = self.b.ins().fadd(steps, half);
            let steps = self.b.ins().floor(steps);
            let steps = self.b.ins().fcvt_to_uint_sat(types::I32, steps);
            self.b.ins().store(TRUSTED, steps, address, 0);
        }
        self.b.ins().jump(latch, &[]);
    }

    fn assign(&mut self, dest: Dest, value: Value) {
        let var = match dest {
            Dest::State(x) => self.state[x as usize],
            Dest::Temp(t) => self.temps[t as usize],
        };
        self.b.def_var(var, value);
    }

    /// The code of an expression: its operations in tree order.
    fn expr(&mut self, code: &Code) -> Value {
        match code {
            Code::Const(c) => real_const::<R>(self.b, *c),
            Code::Load(slot) => self.load(*slot),
            Code::Unary(f, a) => {
                let a = self.expr(a);
                self.unary(*f, a)
            }
            // `c + x` and `c · x` equal `x + c` and `x · c` bit for bit when
            // `c` is not NaN (a NaN result then carries `x`'s payload or the
            // default one, in either order), and a constant has no effects
            // to keep in order. Second, it is folded into the instruction as
            // a memory operand instead of being rebuilt in a register on
            // every iteration.
            Code::Binary(op @ (BinOp::Add | BinOp::Mul), a, b) if matches!(**a, Code::Const(c) if !c.is_nan()) =>
            {
                let b = self.expr(b);
                let a = self.expr(a);
                self.binary(*op, b, a)
            }
            Code::Binary(op, a, b) => {
                let a = self.expr(a);
                let b = self.expr(b);
                self.binary(*op, a, b)
            }
            Code::Select(c, a, b) => {
                let c = self.test(c);
                let a = self.expr(a);
                let b = self.expr(b);
                self.b.ins().select(c, a, b)
            }
            Code::Rand => draws::uniform::<R>(self.b, self.stream),
            Code::Randn => self.call(Helper::Normal, &[self.stream]),
            Code::Poisson(lambda, exp_neg_lambda) => {
                if let Some(table) = poisson_table::<R>(code) {
                    let count = draws::constant_poisson::<R>(self.b, self.stream, &table);
                    self.tables.push(table);
                    return count;
                }
                let lambda = self.expr(lambda);
                let exp_neg_lambda = self.expr(exp_neg_lambda);
                self.call(Helper::Poisson, &[self.stream, lambda, exp_neg_lambda])
            }
            Code::Scheduled => {
                let args = [self.invariant.schedule, self.local, self.invariant.step];
                self.call(Helper::Scheduled, &args)
            }
        }
    }

    fn load(&mut self, slot: Slot) -> Value {
        match slot {
            Slot::State(x) => self.b.use_var(self.state[x as usize]),
            Slot::Input(j) => self.b.use_var(self.inputs[j as usize]),
            Slot::Temp(t) => self.b.use_var(self.temps[t as usize]),
            Slot::Time => self.invariant.time,
            Slot::Param(p) => {
                if let Some(value) = self.params[p as usize] {
                    return value;
                }
                let address = self
                    .b
                    .ins()
                    .iadd(self.invariant.params[p as usize], self.offset);
                let value = self.b.ins().load(self.float, TRUSTED, address, 0);
                self.params[p as usize] = Some(value);
                value
            }
        }
    }

    fn unary(&mut self, f: MathFn, a: Value) -> Value {
        match f {
            MathFn::Neg => self.b.ins().fneg(a),
            MathFn::Abs => self.b.ins().fabs(a),
            MathFn::Sqrt => self.b.ins().sqrt(a),
            MathFn::Floor => self.b.ins().floor(a),
            MathFn::Exp => self.call(Helper::Exp, &[a]),
            MathFn::Log => self.call(Helper::Log, &[a]),
            MathFn::Tanh => self.call(Helper::Tanh, &[a]),
            MathFn::Sin => self.call(Helper::Sin, &[a]),
            MathFn::Cos => self.call(Helper::Cos, &[a]),
        }
    }

    fn binary(&mut self, op: BinOp, a: Value, b: Value) -> Value {
        match op {
            BinOp::Add => self.b.ins().fadd(a, b),
            BinOp::Sub => self.b.ins().fsub(a, b),
            BinOp::Mul => self.b.ins().fmul(a, b),
            BinOp::Div => self.b.ins().fdiv(a, b),
            BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge | BinOp::Eq | BinOp::Ne => {
                let test = self.compare(op, a, b);
                self.bool_to_real(test)
            }
            BinOp::And | BinOp::Or => {
                let (a, b) = (self.truth(a), self.truth(b));
                let test = self.logic(op, a, b);
                self.bool_to_real(test)
            }
            // `if b < a { b } else { a }`: a select on an ordered compare,
            // not `fmin`, whose NaN and signed-zero rules differ.
            BinOp::Min => {
                let test = self.b.ins().fcmp(FloatCC::LessThan, b, a);
                self.b.ins().select(test, b, a)
            }
            BinOp::Max => {
                let test = self.b.ins().fcmp(FloatCC::GreaterThan, b, a);
                self.b.ins().select(test, b, a)
            }
        }
    }

    /// `code != 0` as a Cranelift truth value. A comparison or logical
    /// operator yields 1 or 0, which is `!= 0` exactly when its test holds,
    /// so its test is used directly instead of a round trip through `R`;
    /// the operands are still evaluated in tree order.
    fn test(&mut self, code: &Code) -> Value {
        use BinOp::{And, Eq, Ge, Gt, Le, Lt, Ne, Or};
        match code {
            Code::Binary(op @ (Lt | Le | Gt | Ge | Eq | Ne), a, b) => {
                let a = self.expr(a);
                let b = self.expr(b);
                self.compare(*op, a, b)
            }
            Code::Binary(op @ (And | Or), a, b) => {
                let a = self.test(a);
                let b = self.test(b);
                self.logic(*op, a, b)
            }
            _ => {
                let value = self.expr(code);
                self.truth(value)
            }
        }
    }

    /// The truth value of comparison `op`. Unordered operands make every
    /// comparison false except `!=`, as in Rust.
    fn compare(&mut self, op: BinOp, a: Value, b: Value) -> Value {
        let cc = match op {
            BinOp::Lt => FloatCC::LessThan,
            BinOp::Le => FloatCC::LessThanOrEqual,
            BinOp::Gt => FloatCC::GreaterThan,
            BinOp::Ge => FloatCC::GreaterThanOrEqual,
            BinOp::Eq => FloatCC::Equal,
            BinOp::Ne => FloatCC::NotEqual,
            _ => unreachable!("{op:?} is not a comparison"),
        };
        self.b.ins().fcmp(cc, a, b)
    }

    /// `a and b` or `a or b` of two truth values.
    fn logic(&mut self, op: BinOp, a: Value, b: Value) -> Value {
        if op == BinOp::And {
            self.b.ins().band(a, b)
        } else {
            self.b.ins().bor(a, b)
        }
    }

    /// `value != 0` (true for NaN).
    fn truth(&mut self, value: Value) -> Value {
        let zero = real_const::<R>(self.b, 0.0);
        self.b.ins().fcmp(FloatCC::NotEqual, value, zero)
    }

    /// 1 or 0 in `R`.
    fn bool_to_real(&mut self, test: Value) -> Value {
        let one = real_const::<R>(self.b, 1.0);
        let zero = real_const::<R>(self.b, 0.0);
        self.b.ins().select(test, one, zero)
    }

    fn call(&mut self, helper: Helper, args: &[Value]) -> Value {
        self.imports.call(self.b, helper, args)
    }
}

/// The table of `code` if it is a Poisson draw whose mean is a constant
/// (in `R`, as the interpreter rounds it) that [`ConstantPoisson`] covers.
fn poisson_table<R: Real>(code: &Code) -> Option<ConstantPoisson> {
    let Code::Poisson(lambda, exp_neg_lambda) = code else {
        return None;
    };
    let (Code::Const(lambda), Code::Const(exp_neg_lambda)) = (&**lambda, &**exp_neg_lambda) else {
        return None;
    };
    let in_r = |x: f64| R::from_f64(x).to_f64();
    ConstantPoisson::new(in_r(*lambda), in_r(*exp_neg_lambda))
}

/// Whether `program` reads or writes state variable `x`.
fn mentions(program: &NeuronProgram, x: u32) -> bool {
    writes(program, x)
        || (program.codes()).any(|code| code.any(&|c| *c == Code::Load(Slot::State(x))))
}

/// Whether `program` takes up into or assigns state variable `x`.
fn writes(program: &NeuronProgram, x: u32) -> bool {
    program.take_up.contains(&TakeUp::State(x))
        || (program.update.iter().chain(&program.reset)).any(|s| s.dest == Dest::State(x))
}
