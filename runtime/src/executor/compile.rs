//! JIT compilation of an instance: one neuron kernel per population, one
//! delivery kernel per projection, each timed.

use crate::instance::Instance;
use neurc_backends::cpu::Real;
use neurc_backends::cpu::jit::{
    DeliveryKernelId, DeliverySpec, Jit, JitError, Kernels, NeuronKernelId,
};
use neurc_ir::PerSynapse;
use std::time::Duration;

/// The compiled kernels of an instance and what they cost to compile.
pub struct Compiled<R> {
    /// The kernels.
    pub kernels: Kernels<R>,
    /// Per population, its neuron kernel.
    pub neurons: Vec<NeuronKernelId>,
    /// Per projection, its delivery kernel and the spec it was compiled for.
    pub deliveries: Vec<(DeliveryKernelId, DeliverySpec)>,
}

impl<R: Real> Compiled<R> {
    /// Compile time of each population's neuron kernel.
    pub fn neuron_times(&self) -> Vec<Duration> {
        let k = &self.kernels;
        self.neurons
            .iter()
            .map(|&id| k.neuron(id).compile_time())
            .collect()
    }

    /// Compile time of each projection's delivery kernel.
    pub fn delivery_times(&self) -> Vec<Duration> {
        let k = &self.kernels;
        self.deliveries
            .iter()
            .map(|(id, _)| k.delivery(*id).compile_time())
            .collect()
    }
}

/// The delivery spec of projection `index`: its constant weight and delay
/// specialised into the code.
pub fn delivery_spec(instance: &Instance, index: usize) -> DeliverySpec {
    let projection = &instance.projections[index];
    let table = &projection.table;
    DeliverySpec {
        weight: match &table.weights {
            PerSynapse::Constant(w) => Some(*w),
            PerSynapse::Varying(_) => None,
        },
        delay: match &table.delays {
            PerSynapse::Constant(d) => Some(*d),
            PerSynapse::Varying(_) => None,
        },
        counted: instance.populations[projection.pre].program.counts_spikes(),
        pre_start: projection.pre_range.start,
        pre_end: projection.pre_range.end,
    }
}

/// Compiles every kernel of `instance` in precision `R`.
pub fn compile<R: Real>(instance: &Instance) -> Result<Compiled<R>, JitError> {
    let mut jit = Jit::<R>::new()?;
    let mut neurons = Vec::with_capacity(instance.populations.len());
    for population in &instance.populations {
        neurons.push(jit.compile_neuron(&population.program)?);
    }
    let mut deliveries = Vec::with_capacity(instance.projections.len());
    for index in 0..instance.projections.len() {
        let spec = delivery_spec(instance, index);
        deliveries.push((jit.compile_delivery(&spec)?, spec));
    }
    Ok(Compiled {
        kernels: jit.finish()?,
        neurons,
        deliveries,
    })
}
