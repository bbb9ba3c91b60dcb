//! The CPU target's JIT: Cranelift compiles each population's
//! [`NeuronProgram`] into a neuron kernel and each projection's
//! [`DeliverySpec`] into a delivery kernel.
//!
//! Kernels compute exactly what the reference interpreter computes, in the
//! precision `R` (`f64` or `f32`), following the CPU contract's semantics:
//! the same operations in the same order, and the same Rust functions for
//! `libm`, random draws and schedules (the `helpers` module).
//!
//! Use: a [`Jit`] compiles kernels, [`Jit::finish`] links them into
//! [`Kernels`], which owns the machine code and lends out
//! [`NeuronKernel`]s and [`DeliveryKernel`]s. Their `run` methods are safe:
//! they check the caller's arrays against what the code was compiled for
//! (delivery through a [`SynapseShard`] checked once at setup), so compiled
//! code never needs a bounds check and never goes out of bounds.

mod check;
mod data;
mod delivery;
mod draws;
mod emit;
mod helpers;
mod neuron;
#[cfg(test)]
mod tests;

pub use data::{DeliverySpec, KernelError, NeuronData, SynapseArrays, SynapseShard};
pub use delivery::DeliveryKernel;
pub use neuron::NeuronKernel;

use crate::cpu::isa::host_isa;
use crate::cpu::program::NeuronProgram;
use crate::cpu::random::ConstantPoisson;
use crate::cpu::real::{Precision, Real};
use cranelift_codegen::ir::{AbiParam, types};
use cranelift_codegen::{CodegenError, Context, settings::SetError};
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext};
use cranelift_jit::{JITBuilder, JITModule};
use cranelift_module::{FuncId, Module, ModuleError, default_libcall_names};
use helpers::{Helper, Imports};
use std::any::TypeId;
use std::marker::PhantomData;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// Why compilation failed.
#[derive(Debug, thiserror::Error)]
pub enum JitError {
    /// `R` is another implementation of [`Real`] than `f64` or `f32`.
    #[error("kernels compute in f64 or f32, not in {0}")]
    Real(&'static str),
    /// Cranelift cannot generate code for this machine.
    #[error("this machine cannot run compiled kernels: {0}")]
    Host(String),
    /// Cranelift refused a setting.
    #[error("Cranelift setting: {0}")]
    Setting(#[from] SetError),
    /// Cranelift failed to set up the target.
    #[error("Cranelift: {0}")]
    Codegen(#[from] CodegenError),
    /// Cranelift failed to compile or link a kernel.
    #[error("Cranelift: {0}")]
    Module(Box<ModuleError>),
    /// The program uses an index beyond the sizes it declares.
    #[error("the step program of `{model}` is malformed: {reason}")]
    InvalidProgram {
        /// The program's model.
        model: String,
        /// What is out of range.
        reason: String,
    },
    /// The delivery spec's presynaptic range is reversed, or its constant
    /// delay is 0.
    #[error("delivery spec {0:?} has a reversed presynaptic range or a zero delay")]
    InvalidSpec(DeliverySpec),
}

impl From<ModuleError> for JitError {
    fn from(error: ModuleError) -> Self {
        JitError::Module(Box::new(error))
    }
}

/// A neuron kernel of a [`Kernels`], by the order it was compiled in.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct NeuronKernelId(usize);

/// A delivery kernel of a [`Kernels`], by the order it was compiled in.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct DeliveryKernelId(usize);

/// Compiles kernels of precision `R`; [`Jit::finish`] makes them runnable.
pub struct Jit<R> {
    code: CodeMemory,
    helpers: [FuncId; Helper::COUNT],
    context: Context,
    builder_context: FunctionBuilderContext,
    neurons: Vec<Compiled<neuron::Shape>>,
    deliveries: Vec<Compiled<DeliverySpec>>,
    tables: Vec<ConstantPoisson>,
    real: PhantomData<R>,
}

/// A kernel defined in the module, not yet finalized.
struct Compiled<S> {
    id: FuncId,
    shape: S,
    /// Building its IR and `define_function` (code generation).
    time: Duration,
}

impl<R: Real> Jit<R> {
    /// A compiler for this machine (its ISA and features, as detected by
    /// `cranelift-native`), optimising for speed. Cranelift's IR verifier
    /// runs in debug builds only: it costs compile time and the code
    /// generators are tested.
    pub fn new() -> Result<Self, JitError> {
        // The code generators take `R` for the machine type its precision
        // names (its size, its ABI): true of `f64` and `f32` only.
        let machine_type = match R::PRECISION {
            Precision::F64 => TypeId::of::<f64>(),
            Precision::F32 => TypeId::of::<f32>(),
        };
        if TypeId::of::<R>() != machine_type {
            return Err(JitError::Real(std::any::type_name::<R>()));
        }
        let isa = host_isa().map_err(|error| JitError::Host(error.to_string()))?;
        let mut builder = JITBuilder::with_isa(isa, default_libcall_names());
        helpers::register::<R>(&mut builder);
        let mut module = JITModule::new(builder);
        let helpers = helpers::declare::<R>(&mut module)?;
        Ok(Jit {
            context: module.make_context(),
            code: CodeMemory(Mutex::new(Some(module))),
            helpers,
            builder_context: FunctionBuilderContext::new(),
            neurons: Vec::new(),
            deliveries: Vec::new(),
            tables: Vec::new(),
            real: PhantomData,
        })
    }

    /// Compiles the neuron kernel of `program`.
    pub fn compile_neuron(&mut self, program: &NeuronProgram) -> Result<NeuronKernelId, JitError> {
        check::check_program(program).map_err(|reason| JitError::InvalidProgram {
            model: program.model.clone(),
            reason,
        })?;
        let start = Instant::now();
        let helpers = self.helpers;
        let mut tables = Vec::new();
        let id = self.define(true, |builder, module| {
            neuron::build::<R>(
                builder,
                Imports::new(module, &helpers),
                &mut tables,
                program,
            );
        })?;
        self.tables.append(&mut tables);
        self.neurons.push(Compiled {
            id,
            shape: neuron::Shape::of(program),
            time: start.elapsed(),
        });
        Ok(NeuronKernelId(self.neurons.len() - 1))
    }

    /// Compiles the delivery kernel of `spec`.
    pub fn compile_delivery(&mut self, spec: &DeliverySpec) -> Result<DeliveryKernelId, JitError> {
        if spec.pre_start > spec.pre_end || spec.delay == Some(0) {
            return Err(JitError::InvalidSpec(*spec));
        }
        let start = Instant::now();
        let id = self.define(false, |builder, _| delivery::build::<R>(builder, spec))?;
        self.deliveries.push(Compiled {
            id,
            shape: *spec,
            time: start.elapsed(),
        });
        Ok(DeliveryKernelId(self.deliveries.len() - 1))
    }

    /// Defines a function of one pointer argument (and an `i32` result if
    /// `returns`) whose body `body` builds.
    fn define(
        &mut self,
        returns: bool,
        body: impl FnOnce(&mut FunctionBuilder, &mut JITModule),
    ) -> Result<FuncId, JitError> {
        let module = self.code.module();
        let mut signature = module.make_signature();
        signature.params.push(AbiParam::new(types::I64));
        if returns {
            signature.returns.push(AbiParam::new(types::I32));
        }
        let id = module.declare_anonymous_function(&signature)?;
        self.context.func.signature = signature;
        let config = module.target_config();
        let mut builder = FunctionBuilder::new(&mut self.context.func, &mut self.builder_context);
        body(&mut builder, module);
        builder.finalize(config);
        let defined = module.define_function(id, &mut self.context);
        module.clear_context(&mut self.context);
        defined?;
        Ok(id)
    }

    /// Links the kernels (resolving helper calls, making the code
    /// executable) and hands them over.
    #[allow(unsafe_code)]
    pub fn finish(mut self) -> Result<Kernels<R>, JitError> {
        let start = Instant::now();
        let module = self.code.module();
        module.finalize_definitions()?;
        let finalize_time = start.elapsed();
        let kernels = (self.neurons.len() + self.deliveries.len()).max(1);
        let share = finalize_time / u32::try_from(kernels).unwrap_or(u32::MAX);
        let module = &*module;
        let neurons = self.neurons.into_iter().map(|kernel| {
            let code = module.get_finalized_function(kernel.id);
            // SAFETY: `code` was defined by `neuron::build` for `R` and this
            // shape, and is finalized; it lives in the module that `Kernels`
            // owns and frees only when it is dropped, while kernels are only
            // lent out by references that borrow it.
            unsafe { NeuronKernel::new(code, kernel.shape, kernel.time + share) }
        });
        let neurons = neurons.collect();
        let deliveries = self.deliveries.into_iter().map(|kernel| {
            let code = module.get_finalized_function(kernel.id);
            // SAFETY: as above, from `delivery::build` for this spec.
            unsafe { DeliveryKernel::new(code, kernel.shape, kernel.time + share) }
        });
        let deliveries = deliveries.collect();
        Ok(Kernels {
            neurons,
            deliveries,
            finalize_time,
            code: self.code,
            tables: self.tables,
        })
    }
}

/// Compiled kernels of precision `R`, `Send` and `Sync` so that threads can
/// share them; their machine code is freed on drop.
pub struct Kernels<R> {
    neurons: Vec<NeuronKernel<R>>,
    deliveries: Vec<DeliveryKernel<R>>,
    finalize_time: Duration,
    #[expect(dead_code, reason = "owned to free the kernels' machine code on drop")]
    code: CodeMemory,
    /// Tables the kernels read through addresses of their arrays compiled
    /// into them: never changed, and dropped after `code`.
    #[expect(dead_code, reason = "owned for the kernels, which read it by address")]
    tables: Vec<ConstantPoisson>,
}

impl<R: Real> Kernels<R> {
    /// The neuron kernel `id`.
    ///
    /// # Panics
    /// If `id` was issued by another [`Jit`] with more kernels.
    pub fn neuron(&self, id: NeuronKernelId) -> &NeuronKernel<R> {
        &self.neurons[id.0]
    }

    /// The delivery kernel `id`.
    ///
    /// # Panics
    /// If `id` was issued by another [`Jit`] with more kernels.
    pub fn delivery(&self, id: DeliveryKernelId) -> &DeliveryKernel<R> {
        &self.deliveries[id.0]
    }

    /// Time spent linking all kernels (included, in equal shares, in each
    /// kernel's `compile_time`).
    pub fn finalize_time(&self) -> Duration {
        self.finalize_time
    }

    /// Total compile time of all kernels.
    pub fn compile_time(&self) -> Duration {
        let neurons = self.neurons.iter().map(NeuronKernel::compile_time);
        let deliveries = self.deliveries.iter().map(DeliveryKernel::compile_time);
        neurons.chain(deliveries).sum()
    }
}

impl<R> std::fmt::Debug for Kernels<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Kernels")
            .field("neurons", &self.neurons.len())
            .field("deliveries", &self.deliveries.len())
            .finish_non_exhaustive()
    }
}

/// The module holding the kernels' machine code, freed on drop.
///
/// `JITModule` is `Send` but not `Sync` (it caches symbols in a `RefCell`).
/// It is only ever reached through `&mut` (to compile, to free), never
/// through a shared reference, so the `Mutex` is never locked: it only
/// makes its owner `Sync` without an `unsafe impl`. The `Option` lets
/// `drop` take the module by value, which freeing needs.
struct CodeMemory(Mutex<Option<JITModule>>);

impl CodeMemory {
    fn module(&mut self) -> &mut JITModule {
        let module = self.0.get_mut().unwrap_or_else(PoisonError::into_inner);
        module
            .as_mut()
            .expect("the module is only taken when dropped")
    }
}

#[allow(unsafe_code)]
impl Drop for CodeMemory {
    fn drop(&mut self) {
        if let Some(module) = self
            .0
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
        {
            // SAFETY: pointers into the module's code exist only in the
            // kernels of the `Kernels` that owns this, which are dropped with
            // it and lent out only by references borrowing it; so no kernel
            // is running or can be called after this point. A `Jit` dropped
            // before `finish` has handed out no pointer at all.
            unsafe { module.free_memory() };
        }
    }
}
