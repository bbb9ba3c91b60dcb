//! The delivery kernel: one native function per [`DeliverySpec`] that adds
//! a list of spikes' weights into a population's ring.
//!
//! This is the hottest loop of a run (hundreds of millions of synaptic
//! events per simulated second), so the inner loop is only: load the
//! target, load-add-store into its ring cell; plus a load of the weight or
//! delay when they vary per synapse. It is unrolled [`UNROLL`] times, each
//! synapse's load-add-store after the previous one's, since two synapses
//! of a row may have the same target. Cranelift rebuilds a float constant,
//! and an address computed from a constant, in the loop at every use, so
//! the constant weight and, with a constant delay, the address of the
//! slot the spikes land in come in the arguments instead and stay in
//! registers. There are no bounds checks inside: [`SynapseShard::new`]
//! checked every address the loop can form.
//!
//! A row starts where no hardware prefetcher can guess, and a row of a few
//! hundred synapses is over before the prefetcher has caught up with it.
//! So when a shard's rows are long, the kernel first loads the first cache
//! lines of every spiking row ([`HEAD_SYNAPSES`]), none of these loads
//! waiting for another, and only then delivers. On Brunel's network this
//! took about a third off the time per synaptic event of its rows of 250
//! synapses and a sixth off that of its rows of 1000. Loading whole rows
//! first helped the short rows as much but not the long ones, whose tails
//! the prefetcher does follow; loading the next row's head while
//! delivering a row made both slower, since the loads stall the delivery
//! behind them.

#![allow(unsafe_code)]

use super::data::{DeliverySpec, KernelError, SynapseShard, at_least, exact, product};
use super::emit::{TRUSTED, element, field, float_type, real_shift};
use crate::cpu::real::Real;
use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{Block, BlockArg, InstBuilder, Value, types};
use cranelift_frontend::FunctionBuilder;
use std::mem::offset_of;
use std::time::Duration;

/// Synapses per iteration of the unrolled inner loop (a power of two); a
/// row's last `len % UNROLL` synapses go one at a time. On Brunel's
/// network four did much better than one and as well as two and eight.
const UNROLL: i64 = 4;

/// Synapses at the start of a row whose entries the kernel loads before
/// it delivers: 512 bytes of targets. 64 and 256 did as well on Brunel's
/// network.
const HEAD_SYNAPSES: i64 = 128;

/// Bytes of a cache line (x86-64, and the common ARM cores).
const LINE_BYTES: i64 = 64;

/// Synapses per row, on average over a shard, from which loading the heads
/// of the rows first pays: a cache line of targets. Shorter rows, such as
/// the one synapse of a one-to-one projection, lie side by side where the
/// prefetcher finds them, and the extra pass over the spikes would cost a
/// third of their delivery.
const LONG_ROW: u64 = (LINE_BYTES / 4) as u64;

/// The arguments of a delivery kernel, passed by address (see
/// `NeuronArgs`); the kernel writes `events`.
#[repr(C)]
struct DeliveryArgs<R> {
    spikes: *const u32,
    counts: *const u32,
    begin: *const u64,
    end: *const u64,
    targets: *const u32,
    weights: *const R,
    delays: *const u16,
    /// Where a target's cell is `ring + target`: in the slot the spikes
    /// land in if the delay is constant, otherwise in slot 0. Neuron
    /// `target_base`'s cell is the ring's first, so this address may lie
    /// outside the ring; the cells of the shard's targets do not.
    ring: *mut R,
    spike_count: u64,
    step: u64,
    /// `slots - 1`.
    slot_mask: u64,
    n_local: u64,
    /// The spec's weight rounded to `R` (unused if it has none).
    weight: R,
    /// Non-zero to load the heads of the rows first.
    load_heads: u64,
    /// Out: the synapses walked, once per spike whatever its count.
    events: u64,
}

/// The native code of a delivery kernel.
type DeliveryFn<R> = unsafe extern "C" fn(*mut DeliveryArgs<R>);

/// A compiled delivery spec. Handed out by reference by
/// [`Kernels`](super::Kernels), which owns its code.
#[derive(Debug)]
pub struct DeliveryKernel<R> {
    code: DeliveryFn<R>,
    spec: DeliverySpec,
    compile_time: Duration,
}

impl<R: Real> DeliveryKernel<R> {
    /// # Safety
    /// `code` is the finalized address of a function that [`build`] defined
    /// for this `R` and `spec`, and it stays valid for as long as the kernel
    /// can be used.
    pub(super) unsafe fn new(code: *const u8, spec: DeliverySpec, compile_time: Duration) -> Self {
        // SAFETY: the caller guarantees `code` is a function of `build`, whose
        // Cranelift signature (one pointer, no result, the host's default
        // calling convention, which is the C one) is `DeliveryFn<R>`.
        let code = unsafe { std::mem::transmute::<*const u8, DeliveryFn<R>>(code) };
        DeliveryKernel {
            code,
            spec,
            compile_time,
        }
    }

    /// Time spent compiling this kernel: its code generation plus its share
    /// of the module's finalization.
    pub fn compile_time(&self) -> Duration {
        self.compile_time
    }

    /// The spec the kernel was compiled for.
    pub fn spec(&self) -> &DeliverySpec {
        &self.spec
    }

    /// Delivers `spikes` (population indices, with `counts` if the spec is
    /// counted) sent in step `step` over `synapses` into `ring` (one
    /// buffer's `slots × n_local` values of the shard's neurons), and
    /// returns the synaptic events: the synapses walked, once per spike
    /// whatever its count. Spikes of neurons without a row (outside
    /// `pre_start..pre_end`) are skipped.
    pub fn deliver(
        &self,
        synapses: &SynapseShard<'_, R>,
        spikes: &[u32],
        counts: &[u32],
        ring: &mut [R],
        step: u64,
    ) -> Result<u64, KernelError> {
        if !synapses.spec.same_as(&self.spec) {
            return Err(KernelError::SpecMismatch {
                shard: synapses.spec,
                kernel: self.spec,
            });
        }
        let n_local = synapses.n_local as usize;
        exact(
            "ring",
            ring.len(),
            product("ring", &[synapses.slots as usize, n_local])?,
        )?;
        if self.spec.counted {
            at_least("counts", counts.len(), spikes.len())?;
        }
        let slot_mask = u64::from(synapses.slots - 1);
        let neuron_zero = ring
            .as_mut_ptr()
            .wrapping_sub(synapses.target_base as usize);
        let ring_address = match self.spec.delay {
            Some(delay) => {
                let slot = step.wrapping_add(u64::from(delay)) & slot_mask;
                neuron_zero.wrapping_add(slot as usize * n_local)
            }
            None => neuron_zero,
        };
        let arrays = &synapses.arrays;
        let rows = arrays.begin.len() as u64;
        let mut args = DeliveryArgs {
            spikes: spikes.as_ptr(),
            counts: counts.as_ptr(),
            begin: arrays.begin.as_ptr(),
            end: arrays.end.as_ptr(),
            targets: arrays.targets.as_ptr(),
            weights: arrays.weights.as_ptr(),
            delays: arrays.delays.as_ptr(),
            ring: ring_address,
            spike_count: spikes.len() as u64,
            step,
            slot_mask,
            n_local: n_local as u64,
            weight: self.spec.weight.map_or(R::ZERO, R::from_f64),
            load_heads: u64::from(synapses.synapses >= rows.saturating_mul(LONG_ROW)),
            events: 0,
        };
        // SAFETY: `code` is live machine code of this signature (`new`),
        // compiled for the spec the shard was checked for. It reads
        // `spikes[j]` (and `counts[j]` when counted, whose length was
        // checked) for `j < spikes.len()`; for a spike in the spec's range,
        // `begin`/`end` of its row (`row < pre_end - pre_start`, their
        // checked length), and `targets`, `weights`, `delays` at the
        // synapses of `begin[row]..end[row]`, within their checked lengths.
        // It writes the cell of slot `slot` and neuron `target`,
        // `ring[slot * n_local + target - target_base]`, where the shard
        // checked `target - target_base < n_local`, `slot` is masked below
        // `slots` (above for a constant delay, in the kernel otherwise),
        // and `ring` was checked to hold `slots * n_local` values. `ring`
        // is borrowed mutably for the call; of `args`, which lives until
        // the call returns, the kernel writes only `events`.
        unsafe { (self.code)(&mut args) };
        Ok(args.events)
    }
}

/// Where a synapse's ring cell is: `slot + target`.
#[derive(Clone, Copy)]
enum Slot {
    /// The constant delay's slot.
    Constant(Value),
    /// Per synapse: slot `(step + delay) & slot_mask` of the ring at `ring`
    /// (slot 0), whose slots are `slot_bytes` apart.
    Varying {
        delays: Value,
        ring: Value,
        step: Value,
        slot_mask: Value,
        slot_bytes: Value,
    },
}

/// Where the weights come from.
#[derive(Clone, Copy)]
enum Weights {
    /// The spec's weight, from the arguments.
    Constant(Value),
    /// The per-synapse array.
    PerSynapse(Value),
}

/// What a synapse of a spiking row delivers.
#[derive(Clone, Copy)]
enum Weight {
    /// The same for every synapse of the row: the constant weight, times
    /// the spike's count if counted.
    Row(Value),
    /// The synapse's own weight, times `count` if counted.
    Synapse {
        weights: Value,
        count: Option<Value>,
    },
}

/// What the loops over the spikes and their rows read.
struct Walk {
    spec: DeliverySpec,
    spikes: Value,
    counts: Value,
    spike_count: Value,
    begin: Value,
    end: Value,
    targets: Value,
    weights: Weights,
    slot: Slot,
}

impl Walk {
    /// Emits the jump to `row`, with the row index (an `i64`) of spike
    /// `spike_index` as argument, if its neuron has a row, otherwise to
    /// `no_row` (`pre_start <= s < pre_end` is one unsigned compare of
    /// `s - pre_start`).
    fn find_row(
        &self,
        b: &mut FunctionBuilder,
        spike_index: Value,
        row: Block,
        no_row: Block,
        no_row_args: &[BlockArg],
    ) {
        let address = element(b, self.spikes, spike_index, 2);
        let neuron = b.ins().load(types::I32, TRUSTED, address, 0);
        let pre_start = b.ins().iconst(types::I32, i64::from(self.spec.pre_start));
        let index = b.ins().isub(neuron, pre_start);
        let rows = i64::from(self.spec.pre_end - self.spec.pre_start);
        let has_row = b.ins().icmp_imm_u(IntCC::UnsignedLessThan, index, rows);
        let index = b.ins().uextend(types::I64, index);
        b.ins()
            .brif(has_row, row, &[BlockArg::Value(index)], no_row, no_row_args);
    }

    /// The first and one past the last synapse of row `row`.
    fn bounds(&self, b: &mut FunctionBuilder, row: Value) -> (Value, Value) {
        let first = element(b, self.begin, row, 3);
        let first = b.ins().load(types::I64, TRUSTED, first, 0);
        let last = element(b, self.end, row, 3);
        let last = b.ins().load(types::I64, TRUSTED, last, 0);
        (first, last)
    }

    /// Emits loads of synapse `synapse`'s entries in every per-synapse
    /// array the delivery reads. Their values are not used: the loads
    /// bring the lines into the cache (Cranelift keeps a load that is not
    /// marked read-only even when its value is unused).
    fn touch<R: Real>(&self, b: &mut FunctionBuilder, synapse: Value) {
        let address = element(b, self.targets, synapse, 2);
        b.ins().load(types::I32, TRUSTED, address, 0);
        if let Weights::PerSynapse(weights) = self.weights {
            let address = element(b, weights, synapse, real_shift::<R>());
            b.ins().load(float_type::<R>(), TRUSTED, address, 0);
        }
        if let Slot::Varying { delays, .. } = self.slot {
            let address = element(b, delays, synapse, 1);
            b.ins().load(types::I16, TRUSTED, address, 0);
        }
    }

    /// Synapses per cache line of the widest per-synapse array the
    /// delivery reads, so that touching every this many synapses touches
    /// every line of every array.
    fn synapses_per_line<R: Real>(&self) -> i64 {
        let weight = match self.weights {
            Weights::Constant(_) => 0,
            Weights::PerSynapse(_) => size_of::<R>(),
        };
        LINE_BYTES / size_of::<u32>().max(weight) as i64
    }

    /// Emits `ring[slot][target] += weight` for synapse `synapse + offset`.
    /// The loads address `synapse` with a constant offset, so that the
    /// synapses of an unrolled iteration share one index.
    fn synapse<R: Real>(
        &self,
        b: &mut FunctionBuilder,
        weight: Weight,
        synapse: Value,
        offset: i32,
    ) {
        let shift = real_shift::<R>();
        let float = float_type::<R>();
        let address = element(b, self.targets, synapse, 2);
        let target = b.ins().uload32(TRUSTED, address, 4 * offset);
        let slot = match self.slot {
            Slot::Constant(slot) => slot,
            Slot::Varying {
                delays,
                ring,
                step,
                slot_mask,
                slot_bytes,
            } => {
                let address = element(b, delays, synapse, 1);
                let delay = b.ins().uload16(types::I64, TRUSTED, address, 2 * offset);
                let slot = b.ins().iadd(step, delay);
                let slot = b.ins().band(slot, slot_mask);
                let offset = b.ins().imul(slot, slot_bytes);
                b.ins().iadd(ring, offset)
            }
        };
        let weight = match weight {
            Weight::Row(weight) => weight,
            Weight::Synapse { weights, count } => {
                let address = element(b, weights, synapse, shift);
                let size = 1 << shift;
                let weight = b.ins().load(float, TRUSTED, address, size * offset);
                match count {
                    Some(count) => b.ins().fmul(weight, count),
                    None => weight,
                }
            }
        };
        let address = element(b, slot, target, shift);
        let old = b.ins().load(float, TRUSTED, address, 0);
        let new = b.ins().fadd(old, weight);
        b.ins().store(TRUSTED, new, address, 0);
    }

    /// Emits, in block `heads` whose parameter is `spike_index`, the pass
    /// that loads the heads of the spikes' rows, from spike `spike_index`
    /// (0 on entry) to the last; it then jumps to `then`.
    fn load_heads<R: Real>(
        &self,
        b: &mut FunctionBuilder,
        heads: Block,
        spike_index: Value,
        then: (Block, &[BlockArg]),
    ) {
        let row_block = b.create_block();
        let row = b.append_block_param(row_block, types::I64);
        let line_loop = b.create_block();
        let synapse = b.append_block_param(line_loop, types::I64);
        let next_spike = b.create_block();

        b.switch_to_block(heads);
        self.find_row(b, spike_index, row_block, next_spike, &[]);

        b.switch_to_block(row_block);
        let (first, last) = self.bounds(b, row);
        let head_end = b.ins().iadd_imm_u(first, HEAD_SYNAPSES);
        let head_end = b.ins().umin(head_end, last);
        let nonempty = b.ins().icmp(IntCC::UnsignedLessThan, first, last);
        b.ins().brif(
            nonempty,
            line_loop,
            &[BlockArg::Value(first)],
            next_spike,
            &[],
        );

        // One load per cache line of the head.
        b.switch_to_block(line_loop);
        self.touch::<R>(b, synapse);
        let next = b.ins().iadd_imm_u(synapse, self.synapses_per_line::<R>());
        let more = b.ins().icmp(IntCC::UnsignedLessThan, next, head_end);
        b.ins()
            .brif(more, line_loop, &[BlockArg::Value(next)], next_spike, &[]);

        b.switch_to_block(next_spike);
        let next = b.ins().iadd_imm_u(spike_index, 1);
        let more = b.ins().icmp(IntCC::NotEqual, next, self.spike_count);
        b.ins()
            .brif(more, heads, &[BlockArg::Value(next)], then.0, then.1);
    }

    /// Emits, in block `spike_loop` whose parameters are `spike_index` and
    /// `events` (both 0 on entry), the delivery of the spikes from spike
    /// `spike_index` to the last; it then jumps to `exit` with the events.
    fn deliver<R: Real>(
        &self,
        b: &mut FunctionBuilder,
        spike_loop: Block,
        (spike_index, events): (Value, Value),
        exit: Block,
    ) {
        let ptr = types::I64;
        let row_block = b.create_block();
        let row = b.append_block_param(row_block, ptr);
        let nonempty = b.create_block();
        let unrolled_loop = b.create_block();
        let unrolled_synapse = b.append_block_param(unrolled_loop, ptr);
        let rest = b.create_block();
        let rest_first = b.append_block_param(rest, ptr);
        let rest_loop = b.create_block();
        let rest_synapse = b.append_block_param(rest_loop, ptr);
        let next_spike = b.create_block();
        let next_events = b.append_block_param(next_spike, ptr);

        b.switch_to_block(spike_loop);
        self.find_row(
            b,
            spike_index,
            row_block,
            next_spike,
            &[BlockArg::Value(events)],
        );

        b.switch_to_block(row_block);
        let (first, last) = self.bounds(b, row);
        let synapses = b.ins().isub(last, first);
        let row_events = b.ins().iadd(events, synapses);
        b.ins().brif(
            synapses,
            nonempty,
            &[],
            next_spike,
            &[BlockArg::Value(events)],
        );

        // The count converts to `R` from 32 bits, which Cranelift does
        // without waiting for the previous value of the destination
        // register (from 64, through a sequence that does wait).
        b.switch_to_block(nonempty);
        let count = self.spec.counted.then(|| {
            let address = element(b, self.counts, spike_index, 2);
            let count = b.ins().load(types::I32, TRUSTED, address, 0);
            b.ins().fcvt_from_uint(float_type::<R>(), count)
        });
        let weight = match (self.weights, count) {
            (Weights::Constant(weight), Some(count)) => Weight::Row(b.ins().fmul(weight, count)),
            (Weights::Constant(weight), None) => Weight::Row(weight),
            (Weights::PerSynapse(weights), count) => Weight::Synapse { weights, count },
        };
        let unrolled = b.ins().band_imm_s(synapses, -UNROLL);
        let unrolled_end = b.ins().iadd(first, unrolled);
        b.ins().brif(
            unrolled,
            unrolled_loop,
            &[BlockArg::Value(first)],
            rest,
            &[BlockArg::Value(first)],
        );

        // `UNROLL` synapses at a time.
        b.switch_to_block(unrolled_loop);
        for offset in 0..UNROLL as i32 {
            self.synapse::<R>(b, weight, unrolled_synapse, offset);
        }
        let next = b.ins().iadd_imm_u(unrolled_synapse, UNROLL);
        let more = b.ins().icmp(IntCC::NotEqual, next, unrolled_end);
        b.ins().brif(
            more,
            unrolled_loop,
            &[BlockArg::Value(next)],
            rest,
            &[BlockArg::Value(next)],
        );

        // The rest of the row, one synapse at a time.
        b.switch_to_block(rest);
        let more = b.ins().icmp(IntCC::NotEqual, rest_first, last);
        b.ins().brif(
            more,
            rest_loop,
            &[BlockArg::Value(rest_first)],
            next_spike,
            &[BlockArg::Value(row_events)],
        );

        b.switch_to_block(rest_loop);
        self.synapse::<R>(b, weight, rest_synapse, 0);
        let next = b.ins().iadd_imm_u(rest_synapse, 1);
        let more = b.ins().icmp(IntCC::NotEqual, next, last);
        b.ins().brif(
            more,
            rest_loop,
            &[BlockArg::Value(next)],
            next_spike,
            &[BlockArg::Value(row_events)],
        );

        b.switch_to_block(next_spike);
        let next = b.ins().iadd_imm_u(spike_index, 1);
        let more = b.ins().icmp(IntCC::NotEqual, next, self.spike_count);
        b.ins().brif(
            more,
            spike_loop,
            &[BlockArg::Value(next), BlockArg::Value(next_events)],
            exit,
            &[BlockArg::Value(next_events)],
        );
    }
}

/// Builds the kernel of `spec` into `builder` (whose function has the
/// signature `DeliveryFn`). The spec's range is not reversed.
pub(super) fn build<R: Real>(builder: &mut FunctionBuilder, spec: &DeliverySpec) {
    let b = builder;
    let ptr = types::I64;
    let entry = b.create_block();
    b.append_block_params_for_function_params(entry);
    b.switch_to_block(entry);
    let args = b.block_params(entry)[0];
    macro_rules! arg {
        ($field:ident) => {
            field(b, ptr, args, offset_of!(DeliveryArgs<R>, $field))
        };
    }
    let slot = match spec.delay {
        Some(_) => Slot::Constant(arg!(ring)),
        None => {
            let n_local = arg!(n_local);
            Slot::Varying {
                delays: arg!(delays),
                ring: arg!(ring),
                step: arg!(step),
                slot_mask: arg!(slot_mask),
                slot_bytes: b.ins().ishl_imm_u(n_local, real_shift::<R>()),
            }
        }
    };
    let weights = match spec.weight {
        Some(_) => {
            let offset = offset_of!(DeliveryArgs<R>, weight);
            Weights::Constant(field(b, float_type::<R>(), args, offset))
        }
        None => Weights::PerSynapse(arg!(weights)),
    };
    let walk = Walk {
        spec: *spec,
        spikes: arg!(spikes),
        counts: arg!(counts),
        spike_count: arg!(spike_count),
        begin: arg!(begin),
        end: arg!(end),
        targets: arg!(targets),
        weights,
        slot,
    };
    let load_heads = arg!(load_heads);

    let start = b.create_block();
    let heads = b.create_block();
    let head_index = b.append_block_param(heads, ptr);
    let spike_loop = b.create_block();
    let spike_index = b.append_block_param(spike_loop, ptr);
    let events = b.append_block_param(spike_loop, ptr);
    let exit = b.create_block();
    let total_events = b.append_block_param(exit, ptr);
    let zero = b.ins().iconst(ptr, 0);
    let from_zero = [BlockArg::Value(zero), BlockArg::Value(zero)];
    b.ins()
        .brif(walk.spike_count, start, &[], exit, &[BlockArg::Value(zero)]);

    b.switch_to_block(start);
    b.ins().brif(
        load_heads,
        heads,
        &[BlockArg::Value(zero)],
        spike_loop,
        &from_zero,
    );
    walk.load_heads::<R>(b, heads, head_index, (spike_loop, &from_zero));
    walk.deliver::<R>(b, spike_loop, (spike_index, events), exit);

    b.switch_to_block(exit);
    let offset = offset_of!(DeliveryArgs<R>, events);
    let offset = i32::try_from(offset).expect("argument blocks are a few dozen bytes");
    b.ins().store(TRUSTED, total_events, args, offset);
    b.ins().return_(&[]);
    b.seal_all_blocks();
}

#[cfg(test)]
mod tests {
    //! The kernel against the plain loop it stands for, on generated
    //! tables whose rows are long enough to go through the unrolled loop
    //! and the remainder, and to have their heads loaded first.

    use super::super::{Jit, SynapseArrays, SynapseShard};
    use super::*;
    use proptest::prelude::*;

    /// Slots of the rings.
    const SLOTS: u32 = 8;

    /// A shard's table, CSR by row, and one call's spikes.
    #[derive(Clone, Debug)]
    struct Case {
        spec: DeliverySpec,
        /// `rows + 1` offsets into the per-synapse arrays.
        offsets: Vec<u64>,
        /// Targets, ascending within a row, with repeats.
        targets: Vec<u32>,
        /// Weights and delays, used where the spec has none.
        weights: Vec<f64>,
        delays: Vec<u16>,
        target_base: u32,
        n_local: u32,
        /// Spiking neurons (with rows and without) and their counts.
        spikes: Vec<(u32, u32)>,
        step: u64,
    }

    /// Cases with rows of fewer than `max_row` synapses.
    fn arb_case(max_row: usize) -> impl Strategy<Value = Case> {
        let spec = (
            prop::option::of(-2.0..2.0f64),
            prop::option::of(1..SLOTS as u16),
            any::<bool>(),
            0..4u32,
        );
        let shard = (0..3u32, 1..40u32);
        (spec, shard, 0..20u64).prop_flat_map(
            move |((weight, delay, counted, pre_start), (target_base, n_local), step)| {
                let row = prop::collection::vec(target_base..target_base + n_local, 0..max_row);
                prop::collection::vec(row, 1..6).prop_flat_map(move |rows| {
                    let pre_end = pre_start + rows.len() as u32;
                    let spec = DeliverySpec {
                        weight,
                        delay,
                        counted,
                        pre_start,
                        pre_end,
                    };
                    let mut offsets = vec![0];
                    let mut targets = Vec::new();
                    for mut row in rows {
                        row.sort_unstable();
                        targets.extend(row);
                        offsets.push(targets.len() as u64);
                    }
                    let synapses = targets.len();
                    let spike = (pre_start.saturating_sub(1)..pre_end + 1, 0..5u32);
                    (
                        prop::collection::vec(-2.0..2.0f64, synapses),
                        prop::collection::vec(1..SLOTS as u16, synapses),
                        prop::collection::vec(spike, 0..8),
                    )
                        .prop_map(move |(weights, delays, spikes)| Case {
                            spec,
                            offsets: offsets.clone(),
                            targets: targets.clone(),
                            weights,
                            delays,
                            target_base,
                            n_local,
                            spikes,
                            step,
                        })
                })
            },
        )
    }

    /// `ring` after delivering `case` by the plain loop, and the synaptic
    /// events.
    fn expected<R: Real>(case: &Case, mut ring: Vec<R>) -> (Vec<R>, u64) {
        let spec = &case.spec;
        let mut events = 0;
        for &(neuron, count) in &case.spikes {
            if !(spec.pre_start..spec.pre_end).contains(&neuron) {
                continue;
            }
            let row = (neuron - spec.pre_start) as usize;
            for k in case.offsets[row] as usize..case.offsets[row + 1] as usize {
                let mut weight = R::from_f64(spec.weight.unwrap_or(case.weights[k]));
                if spec.counted {
                    weight = weight * R::from_f64(f64::from(count));
                }
                let delay = u64::from(spec.delay.unwrap_or(case.delays[k]));
                let slot = ((case.step + delay) % u64::from(SLOTS)) as usize;
                let target = (case.targets[k] - case.target_base) as usize;
                let cell = slot * case.n_local as usize + target;
                ring[cell] = ring[cell] + weight;
                events += 1;
            }
        }
        (ring, events)
    }

    fn check<R: Real>(case: &Case) -> Result<(), TestCaseError> {
        let spec = &case.spec;
        let weights: Vec<R> = case.weights.iter().map(|&w| R::from_f64(w)).collect();
        let rows = case.offsets.len() - 1;
        let arrays = SynapseArrays {
            begin: &case.offsets[..rows],
            end: &case.offsets[1..],
            targets: &case.targets,
            weights: if spec.weight.is_some() { &[] } else { &weights },
            delays: if spec.delay.is_some() {
                &[]
            } else {
                &case.delays
            },
        };
        let shard = SynapseShard::new(spec, arrays, case.target_base, case.n_local, SLOTS).unwrap();
        let with_synapses: Vec<u32> = (spec.pre_start..spec.pre_end)
            .zip(case.offsets.windows(2))
            .filter(|(_, row)| row[0] < row[1])
            .map(|(neuron, _)| neuron)
            .collect();
        let reaching = match (with_synapses.first(), with_synapses.last()) {
            (Some(&first), Some(&last)) => first..last + 1,
            _ => 0..0,
        };
        prop_assert_eq!(shard.reaching(), reaching);

        let mut jit = Jit::<R>::new().unwrap();
        let id = jit.compile_delivery(spec).unwrap();
        let kernels = jit.finish().unwrap();
        let cells = (SLOTS * case.n_local) as usize;
        let mut ring: Vec<R> = (0..cells).map(|i| R::from_f64(i as f64 / 3.0)).collect();
        let (expected, expected_events) = expected(case, ring.clone());
        let (spikes, counts): (Vec<u32>, Vec<u32>) = case.spikes.iter().copied().unzip();
        let events = kernels
            .delivery(id)
            .deliver(&shard, &spikes, &counts, &mut ring, case.step)
            .unwrap();
        prop_assert_eq!(events, expected_events);
        let bits = |ring: &[R]| -> Vec<u64> { ring.iter().map(|x| x.to_f64().to_bits()).collect() };
        prop_assert_eq!(bits(&ring), bits(&expected));
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn kernels_add_what_the_plain_loop_adds_in_its_order(case in arb_case(40)) {
            check::<f64>(&case)?;
            check::<f32>(&case)?;
        }

        #[test]
        fn long_rows_are_delivered_like_short_ones(case in arb_case(300)) {
            check::<f64>(&case)?;
            check::<f32>(&case)?;
        }
    }
}
