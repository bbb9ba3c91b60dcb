//! The delivery kernel: one native function per [`DeliverySpec`] that adds
//! a list of spikes' weights into a population's ring.
//!
//! This is the hottest loop of a run (hundreds of millions of synaptic
//! events per simulated second), so the inner loop is only: load the
//! target, compute its address, load-add-store; plus a load of the weight
//! or delay when they vary per synapse. A constant weight or delay is an
//! immediate, and with a constant delay the slot's address is computed
//! once per call. There are no bounds checks inside: [`SynapseShard::new`]
//! checked every address the loop can form.

#![allow(unsafe_code)]

use super::data::{DeliverySpec, KernelError, SynapseShard, at_least, exact, product};
use super::emit::{TRUSTED, element, field, float_type, real_const, real_shift};
use crate::cpu::real::Real;
use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{BlockArg, InstBuilder, Value, types};
use cranelift_frontend::FunctionBuilder;
use std::mem::offset_of;
use std::time::Duration;

/// The arguments of a delivery kernel, passed by address (see
/// `NeuronArgs`).
#[repr(C)]
struct DeliveryArgs<R> {
    spikes: *const u32,
    counts: *const u32,
    begin: *const u64,
    end: *const u64,
    targets: *const u32,
    weights: *const R,
    delays: *const u16,
    ring: *mut R,
    spike_count: u64,
    step: u64,
    /// `slots - 1`.
    slot_mask: u64,
    n_local: u64,
    target_base: u64,
}

/// The native code of a delivery kernel.
type DeliveryFn<R> = unsafe extern "C" fn(*const DeliveryArgs<R>);

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
    /// buffer's `slots × n_local` values of the shard's neurons). Spikes of
    /// neurons without a row (outside `pre_start..pre_end`) are skipped.
    pub fn run(
        &self,
        synapses: &SynapseShard<'_, R>,
        spikes: &[u32],
        counts: &[u32],
        ring: &mut [R],
        step: u64,
    ) -> Result<(), KernelError> {
        if !synapses.spec.same_as(&self.spec) {
            return Err(KernelError::SpecMismatch {
                shard: synapses.spec,
                kernel: self.spec,
            });
        }
        let slots = synapses.slots as usize;
        exact(
            "ring",
            ring.len(),
            product("ring", &[slots, synapses.n_local as usize])?,
        )?;
        if self.spec.counted {
            at_least("counts", counts.len(), spikes.len())?;
        }
        let arrays = &synapses.arrays;
        let args = DeliveryArgs {
            spikes: spikes.as_ptr(),
            counts: counts.as_ptr(),
            begin: arrays.begin.as_ptr(),
            end: arrays.end.as_ptr(),
            targets: arrays.targets.as_ptr(),
            weights: arrays.weights.as_ptr(),
            delays: arrays.delays.as_ptr(),
            ring: ring.as_mut_ptr(),
            spike_count: spikes.len() as u64,
            step,
            slot_mask: u64::from(synapses.slots - 1),
            n_local: u64::from(synapses.n_local),
            target_base: u64::from(synapses.target_base),
        };
        // SAFETY: `code` is live machine code of this signature (`new`),
        // compiled for the spec the shard was checked for. It reads
        // `spikes[j]` (and `counts[j]` when counted, whose length was
        // checked) for `j < spikes.len()`; for a spike in the spec's range,
        // `begin`/`end` of its row (`row < pre_end - pre_start`, their
        // checked length), and `targets`, `weights`, `delays` at the
        // synapses of `begin[row]..end[row]`, within their checked lengths.
        // It writes `ring[slot * n_local + target - target_base]`, where the
        // shard checked `target - target_base < n_local` and `slot` is
        // masked below `slots`, and `ring` was checked to hold
        // `slots * n_local` values. `ring` is borrowed mutably for the call.
        unsafe { (self.code)(&args) };
        Ok(())
    }
}

/// Builds the kernel of `spec` into `builder` (whose function has the
/// signature `DeliveryFn`). The spec's range is not reversed.
pub(super) fn build<R: Real>(builder: &mut FunctionBuilder, spec: &DeliverySpec) {
    let b = builder;
    let ptr = types::I64;
    let shift = real_shift::<R>();
    let float = float_type::<R>();
    let rows = spec.pre_end - spec.pre_start;

    let entry = b.create_block();
    b.append_block_params_for_function_params(entry);
    b.switch_to_block(entry);
    let args = b.block_params(entry)[0];
    macro_rules! arg {
        ($field:ident) => {
            field(b, ptr, args, offset_of!(DeliveryArgs<R>, $field))
        };
    }
    let spikes = arg!(spikes);
    let counts = arg!(counts);
    let begin = arg!(begin);
    let end = arg!(end);
    let targets = arg!(targets);
    let weights = arg!(weights);
    let delays = arg!(delays);
    let ring = arg!(ring);
    let spike_count = arg!(spike_count);
    let step = arg!(step);
    let slot_mask = arg!(slot_mask);
    let n_local = arg!(n_local);
    let target_base = arg!(target_base);
    // The ring's address of neuron 0 of the population, so that a target
    // needs no subtraction; and the bytes of one slot.
    let base_offset = b.ins().ishl_imm_u(target_base, shift);
    let ring = b.ins().isub(ring, base_offset);
    let slot_bytes = b.ins().ishl_imm_u(n_local, shift);
    let slot_address = |b: &mut FunctionBuilder, delay: Value| {
        let slot = b.ins().iadd(step, delay);
        let slot = b.ins().band(slot, slot_mask);
        let offset = b.ins().imul(slot, slot_bytes);
        b.ins().iadd(ring, offset)
    };
    let constant_slot = spec.delay.map(|delay| {
        let delay = b.ins().iconst(ptr, i64::from(delay));
        slot_address(b, delay)
    });
    let constant_weight = spec.weight.map(|weight| real_const::<R>(b, weight));

    let spike_loop = b.create_block();
    let spike_index = b.append_block_param(spike_loop, ptr);
    let row_block = b.create_block();
    let synapse_loop = b.create_block();
    let synapse = b.append_block_param(synapse_loop, ptr);
    let next_spike = b.create_block();
    let exit = b.create_block();
    let zero = b.ins().iconst(ptr, 0);
    b.ins()
        .brif(spike_count, spike_loop, &[BlockArg::Value(zero)], exit, &[]);

    // For each spike: its row, if it has one (`pre_start <= s < pre_end`
    // is one unsigned compare of `s - pre_start`).
    b.switch_to_block(spike_loop);
    let address = element(b, spikes, spike_index, 2);
    let neuron = b.ins().load(types::I32, TRUSTED, address, 0);
    let pre_start = b.ins().iconst(types::I32, i64::from(spec.pre_start));
    let row = b.ins().isub(neuron, pre_start);
    let has_row = b
        .ins()
        .icmp_imm_u(IntCC::UnsignedLessThan, row, i64::from(rows));
    b.ins().brif(has_row, row_block, &[], next_spike, &[]);

    b.switch_to_block(row_block);
    let row = b.ins().uextend(ptr, row);
    let first = element(b, begin, row, 3);
    let first = b.ins().load(ptr, TRUSTED, first, 0);
    let last = element(b, end, row, 3);
    let last = b.ins().load(ptr, TRUSTED, last, 0);
    // The weight factor of the spike's count, as `R` (`w * count`).
    let count = spec.counted.then(|| {
        let address = element(b, counts, spike_index, 2);
        let count = b.ins().uload32(TRUSTED, address, 0);
        b.ins().fcvt_from_uint(float, count)
    });
    let spike_weight = match (constant_weight, count) {
        (Some(weight), Some(count)) => Some(b.ins().fmul(weight, count)),
        (weight, _) => weight,
    };
    let nonempty = b.ins().icmp(IntCC::UnsignedLessThan, first, last);
    b.ins().brif(
        nonempty,
        synapse_loop,
        &[BlockArg::Value(first)],
        next_spike,
        &[],
    );

    // For each synapse of the row: ring[slot][target] += weight.
    b.switch_to_block(synapse_loop);
    let target = element(b, targets, synapse, 2);
    let target = b.ins().uload32(TRUSTED, target, 0);
    let slot = match constant_slot {
        Some(slot) => slot,
        None => {
            let address = element(b, delays, synapse, 1);
            let delay = b.ins().uload16(ptr, TRUSTED, address, 0);
            slot_address(b, delay)
        }
    };
    let weight = match spike_weight {
        Some(weight) => weight,
        None => {
            let address = element(b, weights, synapse, shift);
            let weight = b.ins().load(float, TRUSTED, address, 0);
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
    let next = b.ins().iadd_imm_u(synapse, 1);
    let more = b.ins().icmp(IntCC::NotEqual, next, last);
    b.ins().brif(
        more,
        synapse_loop,
        &[BlockArg::Value(next)],
        next_spike,
        &[],
    );

    b.switch_to_block(next_spike);
    let next = b.ins().iadd_imm_u(spike_index, 1);
    let more = b.ins().icmp(IntCC::NotEqual, next, spike_count);
    b.ins()
        .brif(more, spike_loop, &[BlockArg::Value(next)], exit, &[]);

    b.switch_to_block(exit);
    b.ins().return_(&[]);
    b.seal_all_blocks();
}
