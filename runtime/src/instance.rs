//! A network made ready to run: every population's step program with its
//! per-neuron values drawn, every projection's synapse table, the probes.
//! Both CPU executors start from the same [`Instance`], so they start from
//! the same numbers.

use neurc_backends::cpu::NeuronProgram;
use neurc_backends::cpu::plan::{Integration, PlanError, plan};
use neurc_compiler::passes::expand::{NeuronValue, neuron_values};
use neurc_ir::{
    Connectivity, Distribution, Network, NeuronRange, Node, NodeId, ParamValue, PerSynapse,
    Population, Probe, ProjId, SynapseTable, SynapticTarget,
};
use std::collections::BTreeMap;

/// A population ready to run.
#[derive(Clone, Debug)]
pub struct PopulationInstance {
    /// Its node in the network.
    pub node: NodeId,
    /// Its declared name.
    pub name: String,
    /// Number of neurons.
    pub size: u32,
    /// What each neuron does in a step.
    pub program: NeuronProgram,
    /// How the program advances the state (for reports).
    pub integration: Integration,
    /// Per-neuron parameter values, `program.params.len() × size`,
    /// parameter-major (the values of parameter `k` are
    /// `params[k * size..(k + 1) * size]`), SI units.
    pub params: Vec<f64>,
    /// Initial state, `program.state.len() × size`, variable-major, SI units.
    pub init: Vec<f64>,
    /// Spike times per neuron (seconds) if the program reads a schedule.
    pub schedule: Option<Vec<Vec<f64>>>,
    /// Slots of each synaptic buffer's ring: a power of two above the
    /// longest delay of any projection onto this population.
    pub slots: u32,
}

/// A projection ready to run.
#[derive(Clone, Debug)]
pub struct ProjectionInstance {
    /// Its edge in the network.
    pub id: ProjId,
    /// A readable name, `pre -> post`.
    pub name: String,
    /// Index of the presynaptic population in [`Instance::populations`].
    pub pre: usize,
    /// Index of the postsynaptic population.
    pub post: usize,
    /// The presynaptic neurons; row `i` of the table belongs to neuron
    /// `pre_range.start + i`.
    pub pre_range: NeuronRange,
    /// The synaptic buffer of the post population the weights go into
    /// (an index into its program's `take_up`).
    pub buffer: u32,
    /// The synapses, CSR by presynaptic neuron, targets ascending in a row.
    pub table: SynapseTable,
}

/// A recorded state variable.
#[derive(Clone, PartialEq, Debug)]
pub struct TraceProbe {
    /// Index of the population.
    pub population: usize,
    /// Index of the state variable in its program.
    pub state: u32,
    /// The variable's name.
    pub variable: String,
    /// The recorded neurons.
    pub neurons: NeuronRange,
    /// The value the variable spikes at, when the same for every neuron.
    pub threshold: Option<f64>,
}

/// Recorded spikes of some neurons of a population.
#[derive(Clone, Copy, PartialEq, Debug)]
pub struct SpikeProbe {
    /// Index of the population.
    pub population: usize,
    /// The recorded neurons.
    pub neurons: NeuronRange,
}

/// A network ready to run.
#[derive(Clone, Debug)]
pub struct Instance {
    /// Step length, seconds.
    pub dt: f64,
    /// Number of steps to run.
    pub steps: u64,
    /// The network seed (neuron streams are derived from it).
    pub seed: u64,
    /// Populations, in node order.
    pub populations: Vec<PopulationInstance>,
    /// Projections, in [`ProjId`] order: the order in which the input a
    /// neuron receives in a step is summed.
    pub projections: Vec<ProjectionInstance>,
    /// Spike probes.
    pub spike_probes: Vec<SpikeProbe>,
    /// State probes; each records the variable after every step.
    pub trace_probes: Vec<TraceProbe>,
}

/// Why a network cannot be made ready to run.
#[derive(Clone, PartialEq, Debug, thiserror::Error)]
pub enum BuildError {
    /// The population's model cannot be planned for the CPU target.
    #[error("population `{population}`: {error}")]
    Plan {
        /// The population's name.
        population: String,
        /// Why.
        error: PlanError,
    },
    /// A drawn value is not a finite number.
    #[error(
        "population `{population}`: {what} of neuron {neuron} is {value}; \
         check the distribution it is drawn from"
    )]
    NotFinite {
        /// The population's name.
        population: String,
        /// `parameter tau_m` or `initial value of v`.
        what: String,
        /// The neuron.
        neuron: u32,
        /// The value.
        value: f64,
    },
    /// A projection has no synapse table: the network was not expanded.
    #[error("projection `{0}` has no synapse table; expand the connectivity first")]
    NotExpanded(String),
}

/// Makes an expanded network ready to run: plans every population, draws
/// its per-neuron parameters and initial state, and takes the synapse
/// tables out of `connectivity`.
pub fn build(network: &Network, mut connectivity: Connectivity) -> Result<Instance, BuildError> {
    let simulation = network.simulation;
    let mut index_of = BTreeMap::new();
    let mut nodes = Vec::new();
    for (id, node) in network.nodes() {
        if let Some(population) = node.population() {
            index_of.insert(id, nodes.len());
            nodes.push((id, population));
        }
    }
    // Each population's synaptic buffers: the distinct targets of the
    // projections onto it, in projection order.
    let mut targets: Vec<Vec<SynapticTarget>> = vec![Vec::new(); nodes.len()];
    let mut projections = Vec::new();
    for (id, pre, post, projection) in network.projections() {
        let (Some(&pre), Some(&post)) = (index_of.get(&pre), index_of.get(&post)) else {
            continue;
        };
        let buffers = &mut targets[post];
        let buffer = match buffers.iter().position(|t| *t == projection.target) {
            Some(b) => b,
            None => {
                buffers.push(projection.target);
                buffers.len() - 1
            }
        };
        let table = connectivity
            .tables
            .remove(&id)
            .ok_or_else(|| BuildError::NotExpanded(projection.name.clone()))?;
        projections.push(ProjectionInstance {
            id,
            name: projection.name.clone(),
            pre,
            post,
            pre_range: projection.pre,
            buffer: buffer as u32,
            table,
        });
    }
    let mut populations = Vec::with_capacity(nodes.len());
    for (index, (node, population)) in nodes.iter().enumerate() {
        let longest = projections
            .iter()
            .filter(|p| p.post == index)
            .map(|p| longest_delay(&p.table))
            .max()
            .unwrap_or(0);
        populations.push(build_population(
            network,
            *node,
            population,
            &targets[index],
            longest,
        )?);
    }
    let (spike_probes, trace_probes) = probes(network, &index_of);
    Ok(Instance {
        dt: simulation.dt,
        steps: (simulation.duration / simulation.dt).round() as u64,
        seed: simulation.seed,
        populations,
        projections,
        spike_probes,
        trace_probes,
    })
}

/// The longest delay of a table, in steps.
fn longest_delay(table: &SynapseTable) -> u16 {
    match &table.delays {
        PerSynapse::Constant(d) => *d,
        PerSynapse::Varying(d) => d.iter().copied().max().unwrap_or(1),
    }
}

fn build_population(
    network: &Network,
    node: NodeId,
    population: &Population,
    targets: &[SynapticTarget],
    longest_delay: u16,
) -> Result<PopulationInstance, BuildError> {
    let simulation = network.simulation;
    let model = &network.models[population.model.0 as usize];
    let name = || population.name.clone();
    let planned = plan(model, &population.params, targets, simulation.dt).map_err(|error| {
        BuildError::Plan {
            population: name(),
            error,
        }
    })?;
    let draw = |what: NeuronValue, distribution: &Distribution, label: String| {
        let values = neuron_values(simulation.seed, node.0, what, distribution, population.size);
        match values.iter().position(|v| !v.is_finite()) {
            Some(neuron) => Err(BuildError::NotFinite {
                population: name(),
                what: label,
                neuron: neuron as u32,
                value: values[neuron],
            }),
            None => Ok(values),
        }
    };
    let mut params = Vec::new();
    for &p in &planned.per_neuron_params {
        let ParamValue::Scalar(distribution) = &population.params[p as usize] else {
            continue;
        };
        let label = format!("parameter `{}`", model.params[p as usize].name);
        params.extend(draw(NeuronValue::Param(p), distribution, label)?);
    }
    let mut init = Vec::new();
    for (k, distribution) in population.init.iter().enumerate() {
        let label = format!("the initial value of `{}`", model.state[k].name);
        init.extend(draw(
            NeuronValue::InitialState(k as u32),
            distribution,
            label,
        )?);
    }
    let schedule = planned
        .schedule_param
        .map(|p| match &population.params[p as usize] {
            ParamValue::Schedule(lists) if lists.len() == population.size as usize => lists.clone(),
            ParamValue::Schedule(lists) => {
                vec![lists.first().cloned().unwrap_or_default(); population.size as usize]
            }
            ParamValue::Scalar(_) => vec![Vec::new(); population.size as usize],
        });
    Ok(PopulationInstance {
        node,
        name: name(),
        size: population.size,
        program: planned.program,
        integration: planned.integration,
        params,
        init,
        schedule,
        slots: (u32::from(longest_delay) + 1).next_power_of_two(),
    })
}

/// The threshold of state variable `state` of population `node`, if its
/// model spikes on it passing one value for every neuron.
fn threshold(network: &Network, node: NodeId, state: u32) -> Option<f64> {
    let (Node::Population(population) | Node::Source(population)) = network.node(node)? else {
        return None;
    };
    population.threshold(network.model(population.model)?, state)
}

/// The probes of every `record`, by population index.
fn probes(
    network: &Network,
    index_of: &BTreeMap<NodeId, usize>,
) -> (Vec<SpikeProbe>, Vec<TraceProbe>) {
    let mut spikes = Vec::new();
    let mut traces = Vec::new();
    for record in &network.records {
        for target in &record.targets {
            let Some(&population) = index_of.get(&target.node) else {
                continue;
            };
            match (&record.probe, target.state) {
                (Probe::Spikes, _) => spikes.push(SpikeProbe {
                    population,
                    neurons: target.neurons,
                }),
                (Probe::State(variable), Some(state)) => traces.push(TraceProbe {
                    population,
                    state,
                    variable: variable.clone(),
                    neurons: target.neurons,
                    threshold: threshold(network, target.node, state),
                }),
                (Probe::State(_), None) => {}
            }
        }
    }
    (spikes, traces)
}
