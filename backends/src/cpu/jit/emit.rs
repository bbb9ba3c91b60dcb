//! Small pieces of Cranelift code both kinds of kernel are made of.

use crate::cpu::real::{Precision, Real};
use cranelift_codegen::ir::{InstBuilder, MemFlagsData, Type, Value, types};
use cranelift_frontend::FunctionBuilder;

/// Flags of every memory access of a kernel: the addresses were checked
/// before the call (`run`, `SynapseShard::new`) and are aligned, so no
/// access can trap.
pub(super) const TRUSTED: MemFlagsData = MemFlagsData::trusted();

/// The Cranelift type of `R`.
pub(super) fn float_type<R: Real>() -> Type {
    match R::PRECISION {
        Precision::F64 => types::F64,
        Precision::F32 => types::F32,
    }
}

/// `log2(size_of::<R>())`: how far an index shifts to become a byte offset.
pub(super) fn real_shift<R: Real>() -> i64 {
    i64::from(size_of::<R>().trailing_zeros())
}

/// The constant `x` rounded to `R` (`R::from_f64`), as an immediate.
pub(super) fn real_const<R: Real>(builder: &mut FunctionBuilder, x: f64) -> Value {
    let rounded = R::from_f64(x).to_f64();
    match R::PRECISION {
        Precision::F64 => builder.ins().f64const(rounded),
        // `rounded` holds an f32 value exactly, so this cast is exact.
        Precision::F32 => builder.ins().f32const(rounded as f32),
    }
}

/// Loads the field at byte `offset` of the `#[repr(C)]` argument block.
pub(super) fn field(builder: &mut FunctionBuilder, ty: Type, args: Value, offset: usize) -> Value {
    let offset = i32::try_from(offset).expect("argument blocks are a few dozen bytes");
    builder.ins().load(ty, TRUSTED, args, offset)
}

/// `base + (index << shift)`: the address of element `index` of an array of
/// elements of `1 << shift` bytes.
pub(super) fn element(
    builder: &mut FunctionBuilder,
    base: Value,
    index: Value,
    shift: i64,
) -> Value {
    let offset = builder.ins().ishl_imm_u(index, shift);
    builder.ins().iadd(base, offset)
}
