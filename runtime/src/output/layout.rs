//! What the writers need to know about a run's network, whichever executor
//! ran it: the step, the populations, the projections' sizes and the
//! probes. [`RunLayout::of`] takes it from a CPU [`Instance`]; a chip run
//! builds it from the network and the chip program.

use crate::instance::{Instance, SpikeProbe};
use neurc_ir::NeuronRange;

/// A run's network, as the output files describe it.
#[derive(Clone, Debug, PartialEq)]
pub struct RunLayout {
    /// Step length, seconds.
    pub dt: f64,
    /// Steps run.
    pub steps: u64,
    /// The network seed.
    pub seed: u64,
    /// Populations, in node order.
    pub populations: Vec<PopulationLayout>,
    /// Projections (or, on a chip, each sending population's outgoing
    /// synapses), in the order of [`Recording::synaptic_events`](crate::recording::Recording).
    pub projections: Vec<ProjectionLayout>,
    /// Spike probes.
    pub spike_probes: Vec<SpikeProbe>,
    /// State probes.
    pub trace_probes: Vec<TraceLayout>,
}

/// A population.
#[derive(Clone, Debug, PartialEq)]
pub struct PopulationLayout {
    /// Its declared name.
    pub name: String,
    /// Its model's name.
    pub model: String,
    /// Neurons.
    pub size: u32,
    /// Whether it only emits spikes (a source without state).
    pub source: bool,
}

/// A set of synapses whose events are counted together.
#[derive(Clone, Debug, PartialEq)]
pub struct ProjectionLayout {
    /// A readable name, `pre -> post`.
    pub name: String,
    /// Index of the presynaptic population.
    pub pre: usize,
    /// Synapses.
    pub synapses: u64,
}

/// A state probe.
#[derive(Clone, Debug, PartialEq)]
pub struct TraceLayout {
    /// Index of the population.
    pub population: usize,
    /// The variable's name.
    pub variable: String,
    /// The recorded neurons.
    pub neurons: NeuronRange,
    /// Whether the values are a chip's integer registers (written as
    /// `int64`) rather than real numbers (`float64`).
    pub integer: bool,
    /// The value the variable spikes at, in the trace's units, when the
    /// same for every recorded neuron.
    pub threshold: Option<f64>,
}

impl RunLayout {
    /// The layout of a CPU run of `instance`.
    pub fn of(instance: &Instance) -> RunLayout {
        RunLayout {
            dt: instance.dt,
            steps: instance.steps,
            seed: instance.seed,
            populations: instance
                .populations
                .iter()
                .map(|p| PopulationLayout {
                    name: p.name.clone(),
                    model: p.program.model.clone(),
                    size: p.size,
                    source: p.program.state.is_empty(),
                })
                .collect(),
            projections: instance
                .projections
                .iter()
                .map(|p| ProjectionLayout {
                    name: p.name.clone(),
                    pre: p.pre,
                    synapses: p.table.synapse_count(),
                })
                .collect(),
            spike_probes: instance.spike_probes.clone(),
            trace_probes: instance
                .trace_probes
                .iter()
                .map(|p| TraceLayout {
                    population: p.population,
                    variable: p.variable.clone(),
                    neurons: p.neurons,
                    integer: false,
                    threshold: p.threshold,
                })
                .collect(),
        }
    }
}
