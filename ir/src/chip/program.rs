//! What a network becomes on a chip: per-core configuration (profiles,
//! compartments, synapse formats, input axons with their synapse lists,
//! output axons), the host's spike sources, and where every population's
//! neurons went. A [`ChipProgram`] can only be built by [`ChipProgram::new`],
//! which checks every limit of its [`ChipSpec`].

use super::CoreId;
use super::check::{LimitError, check};
use super::spec::ChipSpec;
use crate::ids::NodeId;
use crate::network::NeuronRange;
use serde::{Deserialize, Serialize};

/// Decays, threshold and refractory delay shared by compartments of a core.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
pub struct CompartmentProfile {
    /// Current decay: u keeps `(4096 − du − 1) / 4096` of itself per step.
    pub du: u32,
    /// Voltage decay: v keeps `(4096 − dv) / 4096` of itself per step.
    pub dv: u32,
    /// Threshold mantissa: the compartment spikes when `v > vth << 6`.
    /// `None` for a dendrite, which never spikes and passes its u to its
    /// parent.
    pub vth: Option<u32>,
    /// Refractory delay `r`: after a spike on step t, v is held at 0 on
    /// steps t+1 … t+r−1 (1 means no refractory period).
    pub refractory_delay: u32,
}

/// One compartment.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct Compartment {
    /// Its profile, by index into the core's profiles.
    pub profile: u16,
    /// Bias mantissa: `bias_mantissa << bias_exponent` is added to v each step.
    pub bias_mantissa: i32,
    /// Bias exponent.
    pub bias_exponent: u8,
    /// Initial u.
    pub u: i32,
    /// Initial v.
    pub v: i32,
    /// For a dendrite: the compartment whose v input receives this one's u
    /// in the same step (a join by addition). It comes later in the core,
    /// since compartments are serviced in index order.
    pub parent: Option<u16>,
}

/// How stored weights are signed (NxSDK's `fanoutType`).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
pub enum SignMode {
    /// Signed weights: a 9-bit value from −256 to 255, one bit of precision
    /// spent on the sign.
    Mixed,
    /// Weights from 0 to 255.
    Excitatory,
    /// Weights from −255 to 0.
    Inhibitory,
}

/// How the synapses of a list are stored and what their weights mean.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
pub struct SynapseFormat {
    /// Weight precision: a stored weight is a multiple of
    /// `2^(magnitude_bits − weight_bits + mixed)`.
    pub weight_bits: u8,
    /// Sign mode.
    pub sign: SignMode,
    /// Weight exponent: a weight reaches the accumulator as
    /// `weight << (6 + weight_exponent)` (an arithmetic right shift if
    /// negative), synapse by synapse.
    pub weight_exponent: i8,
    /// Width of the compartment index of each synapse.
    pub index_bits: u8,
    /// Width of the per-synapse delay field (delay − 1 is stored).
    pub delay_bits: u8,
}

/// An input axon: the synapses one presynaptic neuron of one projection has
/// on this core, `synapses.first .. first + count` of the core's arrays.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct InputAxon {
    /// The synapse format of the list, by index into the core's formats.
    pub format: u16,
    /// First synapse of the list.
    pub first: u32,
    /// Synapses in the list.
    pub count: u32,
}

/// The synapses of a core, structure of arrays, grouped into the lists of
/// its input axons.
#[derive(Clone, PartialEq, Eq, Debug, Default, Serialize, Deserialize)]
pub struct SynapseList {
    /// Target compartment of each synapse.
    pub compartment: Vec<u16>,
    /// Stored weight of each synapse (see [`SynapseFormat`]).
    pub weight: Vec<i16>,
    /// Delay of each synapse in steps, at least 1: a spike sent on step t
    /// reaches u on step t + delay.
    pub delay: Vec<u8>,
}

/// One synapse of a list, as [`SynapseList::of`] yields it.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct ListedSynapse {
    /// Target compartment.
    pub compartment: u16,
    /// Stored weight.
    pub weight: i16,
    /// Delay in steps.
    pub delay: u8,
}

impl SynapseList {
    /// The synapses of `axon`'s list, in order.
    ///
    /// # Panics
    /// If the list lies outside the arrays (a checked program's never
    /// does).
    pub fn of(&self, axon: &InputAxon) -> impl Iterator<Item = ListedSynapse> + '_ {
        let list = axon.first as usize..axon.first as usize + axon.count as usize;
        self.compartment[list.clone()]
            .iter()
            .zip(&self.weight[list.clone()])
            .zip(&self.delay[list])
            .map(|((&compartment, &weight), &delay)| ListedSynapse {
                compartment,
                weight,
                delay,
            })
    }
}

/// An output axon: a spike of `source` (a compartment of this core, or a
/// neuron of a host source) is sent to input axon `axon` of core `core`.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct OutputAxon {
    /// The sending compartment or source neuron.
    pub source: u32,
    /// The destination core.
    pub core: CoreId,
    /// The input axon on the destination core.
    pub axon: u32,
}

/// One neuromorphic core's configuration.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
pub struct CoreProgram {
    /// Which core.
    pub id: CoreId,
    /// Compartment profiles.
    pub profiles: Vec<CompartmentProfile>,
    /// Compartments, in service order.
    pub compartments: Vec<Compartment>,
    /// Synapse formats.
    pub formats: Vec<SynapseFormat>,
    /// Input axons.
    pub input_axons: Vec<InputAxon>,
    /// Every synapse of every input axon.
    pub synapses: SynapseList,
    /// Output axons, ordered by source compartment.
    pub output_axons: Vec<OutputAxon>,
    /// Length of the dendritic accumulator ring: the longest delay of the
    /// core's synapses.
    pub delay_slots: u32,
}

/// What drives a host spike source.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
pub enum SourceKind {
    /// In each step neuron i sends a Poisson-distributed number of spikes
    /// of mean `mean_per_step[i]`, from the same per-neuron stream as the
    /// CPU target.
    Poisson {
        /// Mean spikes per step of every neuron.
        mean_per_step: Vec<f64>,
    },
    /// Neuron i spikes on the listed steps (one list for all, or one per
    /// neuron).
    Steps {
        /// Ascending steps per neuron (or one shared list).
        steps: Vec<Vec<u64>>,
    },
}

/// A population of spike sources that the host (the chip's embedded
/// processors) drives into the mesh.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
pub struct InputSource {
    /// The population in the network.
    pub node: NodeId,
    /// Its declared name.
    pub name: String,
    /// Its neurons.
    pub size: u32,
    /// What makes them spike.
    pub kind: SourceKind,
    /// Where each neuron's spikes go, ordered by source neuron.
    pub output_axons: Vec<OutputAxon>,
}

/// Neurons `neurons` of population `node` on core `core`: neuron
/// `neurons.start + k` owns compartments
/// `first_compartment + k·per_neuron .. + per_neuron`, dendrites first,
/// the spiking soma last.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
pub struct PopulationSlice {
    /// The population.
    pub node: NodeId,
    /// The neurons, by index within the population.
    pub neurons: NeuronRange,
    /// The core that holds them.
    pub core: CoreId,
    /// Their first compartment.
    pub first_compartment: u32,
    /// Compartments per neuron.
    pub per_neuron: u32,
}

/// A network mapped onto a chip system, checked against its spec. It has
/// no `Deserialize`: the only ways in are [`ChipProgram::new`] and the
/// image decoder, which calls it.
#[derive(Clone, PartialEq, Debug)]
pub struct ChipProgram {
    parts: ProgramParts,
}

/// The parts of a [`ChipProgram`], before they are checked.
#[derive(Clone, PartialEq, Debug)]
pub struct ProgramParts {
    /// The chip system.
    pub spec: ChipSpec,
    /// The step, seconds.
    pub dt: f64,
    /// The seed of every random stream.
    pub seed: u64,
    /// The cores in use, by ascending id.
    pub cores: Vec<CoreProgram>,
    /// Host spike sources.
    pub inputs: Vec<InputSource>,
    /// Where every spiking population went, by population then neuron.
    pub slices: Vec<PopulationSlice>,
}

impl ChipProgram {
    /// Checks every part against the spec's limits and formats, and every
    /// cross-reference (profiles, formats, axons, destination cores); the
    /// program exists only if all hold. On failure, returns every violation.
    pub fn new(parts: ProgramParts) -> Result<ChipProgram, Vec<LimitError>> {
        check(&parts)?;
        Ok(ChipProgram { parts })
    }

    /// The chip system it runs on.
    pub fn spec(&self) -> &ChipSpec {
        &self.parts.spec
    }

    /// The step, seconds.
    pub fn dt(&self) -> f64 {
        self.parts.dt
    }

    /// The seed of every random stream.
    pub fn seed(&self) -> u64 {
        self.parts.seed
    }

    /// The cores in use, by ascending id.
    pub fn cores(&self) -> &[CoreProgram] {
        &self.parts.cores
    }

    /// Host spike sources.
    pub fn inputs(&self) -> &[InputSource] {
        &self.parts.inputs
    }

    /// Where every spiking population went.
    pub fn slices(&self) -> &[PopulationSlice] {
        &self.parts.slices
    }

    /// The parts, to change and check again.
    pub fn into_parts(self) -> ProgramParts {
        self.parts
    }
}
