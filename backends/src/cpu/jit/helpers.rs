//! The Rust functions compiled kernels call for what is not a few
//! instructions: `libm`, normal and general Poisson draws, and spike
//! schedules (uniform draws and Poisson draws of a constant mean are
//! emitted inline, by `draws`).
//!
//! Each helper only forwards to the [`Real`] / [`random`](super::super::random)
//! / [`Schedule`] function the interpreter calls, so both executors run the
//! very same code for these operations. The helpers reach the kernels by
//! name through [`JITBuilder::symbol`], with one symbol per precision.
//! Their `extern "C"` signatures match the Cranelift ones because `R` is
//! `f64` or `f32` (which `Jit::new` checks): passed and returned as `F64`
//! or `F32`.

#![allow(unsafe_code)]

use super::JitError;
use super::emit::float_type;
use crate::cpu::random::Stream;
use crate::cpu::real::Real;
use crate::cpu::schedule::Schedule;
use cranelift_codegen::ir::{AbiParam, FuncRef, InstBuilder, Signature, Type, Value, types};
use cranelift_codegen::isa::CallConv;
use cranelift_frontend::FunctionBuilder;
use cranelift_jit::{JITBuilder, JITModule};
use cranelift_module::{FuncId, Linkage, Module};

/// A function a kernel may call.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub(super) enum Helper {
    /// [`Real::exp`]
    Exp,
    /// [`Real::ln`]
    Log,
    /// [`Real::tanh`]
    Tanh,
    /// [`Real::sin`]
    Sin,
    /// [`Real::cos`]
    Cos,
    /// [`Real::normal`] of the neuron's stream.
    Normal,
    /// [`Real::poisson`] of the neuron's stream.
    Poisson,
    /// [`Schedule::fires`], as 1 or 0.
    Scheduled,
}

impl Helper {
    /// How many helpers there are.
    pub(super) const COUNT: usize = 8;

    /// Every helper, in a fixed order (their index in [`Helper::index`]).
    pub(super) const ALL: [Helper; Helper::COUNT] = [
        Helper::Exp,
        Helper::Log,
        Helper::Tanh,
        Helper::Sin,
        Helper::Cos,
        Helper::Normal,
        Helper::Poisson,
        Helper::Scheduled,
    ];

    /// Position in [`Helper::ALL`], for per-helper tables.
    pub(super) fn index(self) -> usize {
        self as usize
    }

    /// The symbol the kernels of precision `R` import it by.
    pub(super) fn symbol<R: Real>(self) -> String {
        let name = match self {
            Helper::Exp => "exp",
            Helper::Log => "log",
            Helper::Tanh => "tanh",
            Helper::Sin => "sin",
            Helper::Cos => "cos",
            Helper::Normal => "normal",
            Helper::Poisson => "poisson",
            Helper::Scheduled => "scheduled",
        };
        format!("neurc_{name}_{}", R::PRECISION.name())
    }

    /// Its Cranelift signature: it must match the Rust function below.
    pub(super) fn signature<R: Real>(self, call_conv: CallConv, pointer: Type) -> Signature {
        let real = AbiParam::new(float_type::<R>());
        let ptr = AbiParam::new(pointer);
        let params = match self {
            Helper::Exp | Helper::Log | Helper::Tanh | Helper::Sin | Helper::Cos => vec![real],
            Helper::Normal => vec![ptr],
            Helper::Poisson => vec![ptr, real, real],
            Helper::Scheduled => vec![ptr, AbiParam::new(types::I32), AbiParam::new(types::I64)],
        };
        let mut signature = Signature::new(call_conv);
        signature.params = params;
        signature.returns = vec![real];
        signature
    }

    /// The address of its Rust function for precision `R`.
    fn address<R: Real>(self) -> *const u8 {
        match self {
            Helper::Exp => exp::<R> as extern "C" fn(R) -> R as *const u8,
            Helper::Log => ln::<R> as extern "C" fn(R) -> R as *const u8,
            Helper::Tanh => tanh::<R> as extern "C" fn(R) -> R as *const u8,
            Helper::Sin => sin::<R> as extern "C" fn(R) -> R as *const u8,
            Helper::Cos => cos::<R> as extern "C" fn(R) -> R as *const u8,
            Helper::Normal => normal::<R> as unsafe extern "C" fn(*mut Stream) -> R as *const u8,
            Helper::Poisson => {
                poisson::<R> as unsafe extern "C" fn(*mut Stream, R, R) -> R as *const u8
            }
            Helper::Scheduled => {
                scheduled::<R> as unsafe extern "C" fn(*mut Schedule, u32, u64) -> R as *const u8
            }
        }
    }
}

/// Makes every helper of precision `R` known to the module by its symbol.
pub(super) fn register<R: Real>(builder: &mut JITBuilder) {
    for helper in Helper::ALL {
        builder.symbol(helper.symbol::<R>(), helper.address::<R>());
    }
}

/// Declares every helper of precision `R` as an import of `module`; the
/// ids are by [`Helper::index`].
pub(super) fn declare<R: Real>(
    module: &mut JITModule,
) -> Result<[FuncId; Helper::COUNT], JitError> {
    let call_conv = module.isa().default_call_conv();
    let pointer = module.isa().pointer_type();
    let mut ids = [FuncId::from_u32(0); Helper::COUNT];
    for helper in Helper::ALL {
        let signature = helper.signature::<R>(call_conv, pointer);
        ids[helper.index()] =
            module.declare_function(&helper.symbol::<R>(), Linkage::Import, &signature)?;
    }
    Ok(ids)
}

/// The helpers one function calls, imported into it on first use so a
/// kernel that calls none imports none.
pub(super) struct Imports<'m> {
    module: &'m mut JITModule,
    ids: &'m [FuncId; Helper::COUNT],
    refs: [Option<FuncRef>; Helper::COUNT],
}

impl<'m> Imports<'m> {
    /// Imports for the function being built, from the module's declarations.
    pub(super) fn new(module: &'m mut JITModule, ids: &'m [FuncId; Helper::COUNT]) -> Self {
        Imports {
            module,
            ids,
            refs: [None; Helper::COUNT],
        }
    }

    /// Emits a call of `helper` with `args` and returns its result.
    pub(super) fn call(
        &mut self,
        builder: &mut FunctionBuilder,
        helper: Helper,
        args: &[Value],
    ) -> Value {
        let index = helper.index();
        let func = *self.refs[index].get_or_insert_with(|| {
            self.module
                .declare_func_in_func(self.ids[index], builder.func)
        });
        let call = builder.ins().call(func, args);
        builder.inst_results(call)[0]
    }
}

extern "C" fn exp<R: Real>(x: R) -> R {
    x.exp()
}

extern "C" fn ln<R: Real>(x: R) -> R {
    x.ln()
}

extern "C" fn tanh<R: Real>(x: R) -> R {
    x.tanh()
}

extern "C" fn sin<R: Real>(x: R) -> R {
    x.sin()
}

extern "C" fn cos<R: Real>(x: R) -> R {
    x.cos()
}

/// # Safety
/// `stream` points to a live stream no one else accesses during the call.
unsafe extern "C" fn normal<R: Real>(stream: *mut Stream) -> R {
    // SAFETY: kernels pass `streams + i` for a neuron `i < n` of a
    // `&mut [Stream]` of length `n` that `NeuronKernel::run` borrows
    // exclusively for the whole call.
    R::normal(unsafe { &mut *stream })
}

/// # Safety
/// As [`normal`].
unsafe extern "C" fn poisson<R: Real>(stream: *mut Stream, lambda: R, exp_neg_lambda: R) -> R {
    // SAFETY: as in `normal`.
    R::poisson(unsafe { &mut *stream }, lambda, exp_neg_lambda)
}

/// # Safety
/// `schedule` points to a live schedule no one else accesses during the call.
unsafe extern "C" fn scheduled<R: Real>(schedule: *mut Schedule, neuron: u32, step: u64) -> R {
    // SAFETY: kernels that read a schedule get it from the
    // `Option<&mut Schedule>` that `NeuronKernel::run` checked to be `Some`
    // and borrows exclusively for the whole call.
    if unsafe { &mut *schedule }.fires(neuron, step) {
        R::ONE
    } else {
        R::ZERO
    }
}
