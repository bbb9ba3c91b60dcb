//! Random draws emitted inline: a neuron's uniform draw and a Poisson count
//! of a constant mean cost a few dozen instructions, less than a call that
//! saves and restores every float register live across it.
//!
//! Each function emits exactly the operations of its counterpart in
//! [`random`](crate::cpu::random), on the same [`Stream`] layout, so the
//! results are the same bits.

use super::emit::{TRUSTED, element, float_type};
use crate::cpu::random::{ConstantPoisson, GUIDE_SLOTS, Stream};
use crate::cpu::real::{Precision, Real};
use cranelift_codegen::ir::condcodes::FloatCC;
use cranelift_codegen::ir::{BlockArg, InstBuilder, Value, types};
use cranelift_frontend::FunctionBuilder;
use std::mem::offset_of;

/// [`Stream::next_u64`] of the stream at address `stream`: the next 64
/// bits, with the state stepped in place.
fn next_u64(b: &mut FunctionBuilder, stream: Value) -> Value {
    let word = |k: usize| i32::try_from(offset_of!(Stream, state) + 8 * k).expect("32 bytes");
    let s: [Value; 4] = std::array::from_fn(|k| b.ins().load(types::I64, TRUSTED, stream, word(k)));
    let sum = b.ins().iadd(s[0], s[3]);
    let rotated = b.ins().rotl_imm_u(sum, 23);
    let result = b.ins().iadd(rotated, s[0]);
    let t = b.ins().ishl_imm_u(s[1], 17);
    let s2 = b.ins().bxor(s[2], s[0]);
    let s3 = b.ins().bxor(s[3], s[1]);
    let s1 = b.ins().bxor(s[1], s2);
    let s0 = b.ins().bxor(s[0], s3);
    let s2 = b.ins().bxor(s2, t);
    let s3 = b.ins().rotl_imm_u(s3, 45);
    for (k, value) in [s0, s1, s2, s3].into_iter().enumerate() {
        b.ins().store(TRUSTED, value, stream, word(k));
    }
    result
}

/// [`random::uniform`](crate::cpu::random::uniform) of the 64 random bits
/// `bits`: their top 53 (below 2⁵³, so the signed conversion is exact)
/// times 2⁻⁵³.
fn uniform_of(b: &mut FunctionBuilder, bits: Value) -> Value {
    let top = b.ins().ushr_imm_u(bits, 11);
    let value = b.ins().fcvt_from_sint(types::F64, top);
    let scale = b.ins().f64const(1.0 / (1u64 << 53) as f64);
    b.ins().fmul(value, scale)
}

/// [`Real::uniform`] of the stream at `stream`, in `R`.
pub(super) fn uniform<R: Real>(b: &mut FunctionBuilder, stream: Value) -> Value {
    match R::PRECISION {
        Precision::F64 => {
            let bits = next_u64(b, stream);
            uniform_of(b, bits)
        }
        // `random::uniform_f32`: the top 24 bits times 2⁻²⁴.
        Precision::F32 => {
            let bits = next_u64(b, stream);
            let top = b.ins().ushr_imm_u(bits, 40);
            let value = b.ins().fcvt_from_sint(types::F32, top);
            let scale = b.ins().f32const(1.0 / (1u32 << 24) as f32);
            b.ins().fmul(value, scale)
        }
    }
}

/// [`ConstantPoisson::draw`] of the stream at `stream`, as an `i64`: one
/// uniform draw `u`, the guide's start for `u`, then the first `k` from
/// there with `u < cumulative[k]`. The slot, `⌊u·1024⌋`, is the draw's top
/// ten bits: `u·2¹⁰` is exact, and `u = (bits >> 11)·2⁻⁵³`.
///
/// The code reads `table`'s arrays through their addresses, so the table
/// must outlive it and never change. Every address it forms is in bounds:
/// the slot is below [`GUIDE_SLOTS`], guide entries index the cumulative
/// sums, and the search stops at their final +∞ whatever `u` is.
pub(super) fn constant_poisson_count(
    b: &mut FunctionBuilder,
    stream: Value,
    table: &ConstantPoisson,
) -> Value {
    const { assert!(GUIDE_SLOTS == 1 << 10) };
    let bits = next_u64(b, stream);
    let u = uniform_of(b, bits);
    let slot = b.ins().ushr_imm_u(bits, 64 - 10);
    let guide = b.ins().iconst(types::I64, table.guide().as_ptr() as i64);
    let start = element(b, guide, slot, 1);
    let start = b.ins().uload16(types::I64, TRUSTED, start, 0);
    let cumulative = b
        .ins()
        .iconst(types::I64, table.cumulative().as_ptr() as i64);

    let search = b.create_block();
    let k = b.append_block_param(search, types::I64);
    let found = b.create_block();
    let count = b.append_block_param(found, types::I64);
    b.ins().jump(search, &[BlockArg::Value(start)]);

    b.switch_to_block(search);
    let address = element(b, cumulative, k, 3);
    let sum = b.ins().load(types::F64, TRUSTED, address, 0);
    let below = b.ins().fcmp(FloatCC::LessThanOrEqual, sum, u);
    let next = b.ins().iadd_imm_u(k, 1);
    b.ins().brif(
        below,
        search,
        &[BlockArg::Value(next)],
        found,
        &[BlockArg::Value(k)],
    );

    b.switch_to_block(found);
    count
}

/// [`ConstantPoisson::draw`] as `R`.
pub(super) fn constant_poisson<R: Real>(
    b: &mut FunctionBuilder,
    stream: Value,
    table: &ConstantPoisson,
) -> Value {
    let count = constant_poisson_count(b, stream, table);
    b.ins().fcvt_from_sint(float_type::<R>(), count)
}
