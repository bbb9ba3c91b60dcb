//! Why a network cannot be mapped onto a chip. Every error names the
//! element it concerns (its id, to find its source span, and its name) and
//! the way out.

use neurc_ir::{NodeId, ProjId};
use thiserror::Error;

/// A per-core resource.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Resource {
    /// Compartments.
    Compartments,
    /// Synaptic memory, bits.
    SynapticMemory,
    /// Input axons.
    InputAxons,
    /// Output axons.
    OutputAxons,
    /// Dendritic accumulators (compartments × delay slots).
    DelaySlots,
}

impl Resource {
    /// Every resource, in report order.
    pub const ALL: [Resource; 5] = [
        Resource::Compartments,
        Resource::SynapticMemory,
        Resource::InputAxons,
        Resource::OutputAxons,
        Resource::DelaySlots,
    ];

    /// How the resource is named in messages and reports.
    pub fn name(self) -> &'static str {
        match self {
            Resource::Compartments => "compartments",
            Resource::SynapticMemory => "bits of synaptic memory",
            Resource::InputAxons => "input axons",
            Resource::OutputAxons => "output axons",
            Resource::DelaySlots => "dendritic accumulators",
        }
    }
}

/// Why a network cannot go onto the chip.
#[derive(Clone, PartialEq, Debug, Error)]
pub enum ChipError {
    /// A population's model is not the chip's neuron.
    #[error("model `{model}` of population `{population}` cannot run on `{target}`: {reason}")]
    Unsupported {
        /// The population.
        node: NodeId,
        /// Its name.
        population: String,
        /// Its model's name.
        model: String,
        /// The target.
        target: String,
        /// What the chip's neuron lacks.
        reason: String,
    },
    /// A population's value has no chip representation.
    #[error("{what} of population `{population}` cannot be represented on `{target}`: {reason}")]
    PopulationValue {
        /// The population.
        node: NodeId,
        /// Its name.
        population: String,
        /// The value (`the refractory period 10 ms`).
        what: String,
        /// The target.
        target: String,
        /// Why.
        reason: String,
    },
    /// A projection's value has no chip representation.
    #[error("{what} of `{projection}` cannot be represented on `{target}`: {reason}")]
    ProjectionValue {
        /// The projection.
        id: ProjId,
        /// Its name.
        projection: String,
        /// The value (`delay 80 steps`).
        what: String,
        /// The target.
        target: String,
        /// Why.
        reason: String,
    },
    /// Not even one neuron of a population fits on a core.
    #[error(
        "one neuron of `{population}` needs {required} {}, but a core of `{target}` has {available}",
        resource.name()
    )]
    NeuronTooLarge {
        /// The population.
        node: NodeId,
        /// Its name.
        population: String,
        /// The binding resource.
        resource: Resource,
        /// What one neuron needs.
        required: u64,
        /// What a core offers.
        available: u64,
        /// The target.
        target: String,
    },
    /// The network needs more cores than the system has.
    #[error(
        "the network needs {required} cores, but `{target}` has {available} ({chips} chip{}); \
         the largest population, `{population}`, needs {population_cores}",
        if *chips == 1 { "" } else { "s" }
    )]
    TooManyCores {
        /// The population needing the most cores.
        node: NodeId,
        /// Its name.
        population: String,
        /// Its cores.
        population_cores: u64,
        /// Cores needed in all.
        required: u64,
        /// Cores of the system.
        available: u64,
        /// Chips of the system.
        chips: u32,
        /// The target.
        target: String,
    },
    /// The mapping broke a limit it was meant to keep: a bug in neurc.
    #[error("the chip program breaks its spec's limits: {0}")]
    Internal(String),
}

impl ChipError {
    /// The population the error concerns, if it is one.
    pub fn node(&self) -> Option<NodeId> {
        match self {
            ChipError::Unsupported { node, .. }
            | ChipError::PopulationValue { node, .. }
            | ChipError::NeuronTooLarge { node, .. }
            | ChipError::TooManyCores { node, .. } => Some(*node),
            ChipError::ProjectionValue { .. } | ChipError::Internal(_) => None,
        }
    }

    /// The projection the error concerns, if it is one.
    pub fn projection(&self) -> Option<ProjId> {
        match self {
            ChipError::ProjectionValue { id, .. } => Some(*id),
            _ => None,
        }
    }

    /// Whether the network is valid but too large for the system (exit
    /// code 2) rather than inexpressible on it (exit code 1).
    pub fn is_capacity(&self) -> bool {
        matches!(
            self,
            ChipError::NeuronTooLarge { .. } | ChipError::TooManyCores { .. }
        )
    }

    /// A stable diagnostic code.
    pub fn code(&self) -> &'static str {
        match self {
            ChipError::Unsupported { .. } => "neurc::chip::unsupported_model",
            ChipError::PopulationValue { .. } | ChipError::ProjectionValue { .. } => {
                "neurc::chip::unrepresentable"
            }
            ChipError::NeuronTooLarge { .. } => "neurc::chip::neuron_too_large",
            ChipError::TooManyCores { .. } => "neurc::chip::too_many_cores",
            ChipError::Internal(_) => "neurc::internal::chip_limits",
        }
    }

    /// How to get past it.
    pub fn help(&self) -> String {
        match self {
            ChipError::Unsupported { .. } => "on Loihi-style cores a neuron is a CUBA LIF \
                compartment: linear leak, exponential or instantaneous synaptic currents, \
                threshold, reset and refractory period; run this model with --target cpu"
                .into(),
            ChipError::PopulationValue { .. } | ChipError::ProjectionValue { .. } => {
                "change the value to one in the chip's range, or describe the chip with --chip \
                 FILE"
                    .into()
            }
            ChipError::NeuronTooLarge { resource, .. } => {
                let fewer = match resource {
                    Resource::Compartments => {
                        "every synaptic current with its own time constant takes a \
                         compartment: give the currents one time constant"
                    }
                    Resource::SynapticMemory => "fewer synapses per neuron would fit",
                    Resource::InputAxons => {
                        "fewer distinct presynaptic neurons per neuron would fit"
                    }
                    Resource::OutputAxons => {
                        "a neuron needs one output axon per projection and core its targets \
                         are on: fewer targets would fit"
                    }
                    Resource::DelaySlots => "shorter delays would fit",
                };
                format!(
                    "{fewer}; or use a chip spec (--chip FILE) with more {} per core",
                    resource.name()
                )
            }
            ChipError::TooManyCores { .. } => "use smaller populations, fewer synapses or \
                shorter delays, or a chip spec (--chip FILE) with more chips; resources.json of \
                a smaller run shows which limit fills the cores"
                .into(),
            ChipError::Internal(_) => "this is a bug in neurc, not in your model".into(),
        }
    }
}
