//! Chip runs: a network's populations and probes found on a chip program
//! ([`ChipRunPlan`], [`ChipRunner`]), and a run of the program on the
//! emulator or in the CPU's fixed-point mode (a [`ChipEngine`]) that
//! records them in the same form as the CPU executors, so one set of
//! writers serves every target.
//!
//! On the chip a neuron is the soma (last compartment) of its compartment
//! tree. A spike probe records the soma's spikes; a state probe records
//! the soma's `u` and `v` registers as the chip holds them (integers, in
//! the chip's units), whatever variable the model named.

use crate::instance::SpikeProbe;
use crate::output::{PopulationLayout, ProjectionLayout, RunLayout, TraceLayout};
use crate::progress::Progress;
use crate::recording::{Recording, SpikeEvents, Trace};
use neurc_backends::cpu::fixed::FixedRun;
use neurc_backends::cpu::prefetch::gather;
use neurc_emulator::report::Ledger;
use neurc_emulator::{Chip, ChipState};
use neurc_ir::chip::{ChipProgram, CoreMap, OutputAxon};
use neurc_ir::{Network, NeuronRange, Probe};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// What a chip run records, and of which populations: everything of the
/// network a run needs besides the chip program. `neurc compile` writes it
/// beside the image as `run.json`, so an image can be run on its own.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChipRunPlan {
    /// Steps to run.
    pub steps: u64,
    /// Populations, in node order.
    pub populations: Vec<PlannedPopulation>,
    /// Spike probes.
    pub spike_probes: Vec<PlannedProbe>,
    /// State probes (each records u and v).
    pub state_probes: Vec<PlannedProbe>,
}

/// A population of the network.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PlannedPopulation {
    /// Its node index.
    pub node: u32,
    /// Its declared name.
    pub name: String,
    /// Its model's name.
    pub model: String,
    /// Neurons.
    pub size: u32,
    /// Whether it is a host spike source.
    pub source: bool,
}

/// Recorded neurons of one population.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct PlannedProbe {
    /// Index into [`ChipRunPlan::populations`].
    pub population: usize,
    /// The recorded neurons.
    pub neurons: NeuronRange,
}

/// Why a plan and a chip program do not belong together.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ChipRunError {
    /// A population of the plan is not on the chip, or not whole.
    #[error(
        "population `{name}` ({size} neurons) is not on the chip program as planned; the run \
         plan does not belong to this image"
    )]
    Mismatch {
        /// The population.
        name: String,
        /// Its size in the plan.
        size: u32,
    },
    /// A probe names neurons past its population's end.
    #[error("a probe of population `{name}` records neurons {start}..{end} of {size}")]
    Probe {
        /// The population.
        name: String,
        /// First recorded neuron.
        start: u32,
        /// One past the last.
        end: u32,
        /// Neurons of the population.
        size: u32,
    },
}

impl ChipRunPlan {
    /// The plan of `network`: its populations and `record`s, for as many
    /// steps as its `simulate` block asks.
    pub fn of(network: &Network) -> ChipRunPlan {
        let mut index_of = HashMap::new();
        let mut populations = Vec::new();
        for (id, node) in network.nodes() {
            if let Some(population) = node.population() {
                index_of.insert(id, populations.len());
                let model = &network.models[population.model.0 as usize];
                populations.push(PlannedPopulation {
                    node: id.0,
                    name: population.name.clone(),
                    model: model.name.clone(),
                    size: population.size,
                    source: model.state.is_empty(),
                });
            }
        }
        let mut spike_probes = Vec::new();
        let mut state_probes = Vec::new();
        for record in &network.records {
            for target in &record.targets {
                let Some(&population) = index_of.get(&target.node) else {
                    continue;
                };
                let probe = PlannedProbe {
                    population,
                    neurons: target.neurons,
                };
                match record.probe {
                    Probe::Spikes => spike_probes.push(probe),
                    Probe::State(_) if !populations[population].source => {
                        if !state_probes.contains(&probe) {
                            state_probes.push(probe);
                        }
                    }
                    Probe::State(_) => {}
                }
            }
        }
        let simulation = network.simulation;
        ChipRunPlan {
            steps: (simulation.duration / simulation.dt).round() as u64,
            populations,
            spike_probes,
            state_probes,
        }
    }

    /// The plan of a chip program without its network: every population
    /// found on the chip, named by node, all spikes recorded.
    pub fn anonymous(program: &ChipProgram, steps: u64) -> ChipRunPlan {
        let mut sizes: std::collections::BTreeMap<u32, (u32, bool)> = Default::default();
        for slice in program.slices() {
            let entry = sizes.entry(slice.node.0).or_insert((0, false));
            entry.0 = entry.0.max(slice.neurons.end);
        }
        for input in program.inputs() {
            sizes.insert(input.node.0, (input.size, true));
        }
        let populations: Vec<PlannedPopulation> = sizes
            .into_iter()
            .map(|(node, (size, source))| PlannedPopulation {
                node,
                name: format!("node{node}"),
                model: if source { "source" } else { "chip" }.to_string(),
                size,
                source,
            })
            .collect();
        ChipRunPlan {
            steps,
            spike_probes: populations
                .iter()
                .enumerate()
                .map(|(population, p)| PlannedProbe {
                    population,
                    neurons: NeuronRange::new(0, p.size),
                })
                .collect(),
            state_probes: Vec::new(),
            populations,
        }
    }
}

/// What steps a chip program, and what the run reads of it after each
/// step: the emulator ([`Emulation`]) or the CPU's fixed-point mode
/// ([`FixedRun`]), which compute the same spikes and registers. Cores and
/// sources are indexed in the program's order.
pub trait ChipEngine {
    /// Runs one timestep.
    fn step(&mut self);
    /// The compartments of core `core` that spiked on the last step, in
    /// any order.
    fn spikes(&self, core: usize) -> impl Iterator<Item = u32> + '_;
    /// The spikes each neuron of host source `source` sent on the last
    /// step.
    fn source_spikes(&self, source: usize) -> &[u32];
    /// The u register of a compartment.
    fn u(&self, core: usize, compartment: usize) -> i64;
    /// The v register of a compartment.
    fn v(&self, core: usize, compartment: usize) -> i64;
}

/// The emulator as a [`ChipEngine`]: the chip, its state, and the ledger
/// of its steps' time and energy.
pub struct Emulation<'a> {
    /// The chip.
    pub chip: &'a Chip,
    /// Its state.
    pub state: ChipState,
    /// Its steps so far.
    pub ledger: Ledger,
}

impl<'a> Emulation<'a> {
    /// `chip` at its initial state.
    pub fn new(chip: &'a Chip) -> Emulation<'a> {
        Emulation {
            chip,
            state: chip.initial_state(),
            ledger: Ledger::new(),
        }
    }
}

impl ChipEngine for Emulation<'_> {
    fn step(&mut self) {
        let stats = self.chip.step(&mut self.state);
        self.ledger.record(self.chip, &stats);
    }

    fn spikes(&self, core: usize) -> impl Iterator<Item = u32> + '_ {
        self.state.spikes(core)
    }

    fn source_spikes(&self, source: usize) -> &[u32] {
        self.state.source_spikes(source)
    }

    fn u(&self, core: usize, compartment: usize) -> i64 {
        self.state.u(core, compartment)
    }

    fn v(&self, core: usize, compartment: usize) -> i64 {
        self.state.v(core, compartment)
    }
}

impl ChipEngine for FixedRun {
    fn step(&mut self) {
        FixedRun::step(self);
    }

    fn spikes(&self, core: usize) -> impl Iterator<Item = u32> + '_ {
        self.core_spikes(core).iter().copied()
    }

    fn source_spikes(&self, source: usize) -> &[u32] {
        FixedRun::source_spikes(self, source)
    }

    fn u(&self, core: usize, compartment: usize) -> i64 {
        FixedRun::u(self, core, compartment)
    }

    fn v(&self, core: usize, compartment: usize) -> i64 {
        FixedRun::v(self, core, compartment)
    }
}

/// The synapses one spike reaches: per core per compartment, and per host
/// source per neuron.
struct FanOuts {
    compartments: Vec<Vec<u64>>,
    sources: Vec<Vec<u64>>,
}

impl FanOuts {
    fn of(program: &ChipProgram) -> FanOuts {
        // Every input axon's list length, the cores' axons end to end, and
        // where each core's lie: the senders' axons are read from one array
        // by `gather`, several misses in flight, not one at a time through
        // each core's program.
        let mut lengths = Vec::new();
        let axons_of: CoreMap<std::ops::Range<usize>> = program
            .cores()
            .iter()
            .map(|c| {
                let start = lengths.len();
                lengths.extend(c.input_axons.iter().map(|a| a.count));
                (c.id, start..lengths.len())
            })
            .collect();
        let fan_outs = |senders: usize, axons: &[OutputAxon]| {
            let (sources, at): (Vec<usize>, Vec<usize>) = axons
                .iter()
                .filter_map(|axon| {
                    let range = axons_of.get(&axon.core)?;
                    let at = range.start + axon.axon as usize;
                    (at < range.end && (axon.source as usize) < senders)
                        .then_some((axon.source as usize, at))
                })
                .unzip();
            let mut reached = vec![0u64; senders];
            for (&sender, &length) in sources.iter().zip(gather(&lengths, &at)) {
                reached[sender] += u64::from(length);
            }
            reached
        };
        FanOuts {
            compartments: program
                .cores()
                .iter()
                .map(|c| fan_outs(c.compartments.len(), &c.output_axons))
                .collect(),
            sources: program
                .inputs()
                .iter()
                .map(|input| fan_outs(input.size as usize, &input.output_axons))
                .collect(),
        }
    }
}

/// Where each population's neurons are on the chip.
struct Placement {
    /// Per population, per neuron, its soma (core, compartment); empty for
    /// sources.
    somas: Vec<Vec<(u32, u32)>>,
    /// Per core, per compartment: the (population, neuron) whose soma it
    /// is.
    owners: Vec<Vec<Option<(u32, u32)>>>,
    /// Per host source of the chip, its population.
    sources: Vec<usize>,
}

impl Placement {
    fn new(program: &ChipProgram, plan: &ChipRunPlan) -> Result<Placement, ChipRunError> {
        let core_index: HashMap<_, _> = program
            .cores()
            .iter()
            .enumerate()
            .map(|(i, c)| (c.id, i))
            .collect();
        let by_node: HashMap<u32, usize> = plan
            .populations
            .iter()
            .enumerate()
            .map(|(i, p)| (p.node, i))
            .collect();
        let mut somas: Vec<Vec<(u32, u32)>> = plan
            .populations
            .iter()
            .map(|p| vec![(u32::MAX, u32::MAX); if p.source { 0 } else { p.size as usize }])
            .collect();
        let mut owners: Vec<Vec<Option<(u32, u32)>>> = program
            .cores()
            .iter()
            .map(|c| vec![None; c.compartments.len()])
            .collect();
        let mismatch = |p: usize| ChipRunError::Mismatch {
            name: plan.populations[p].name.clone(),
            size: plan.populations[p].size,
        };
        for slice in program.slices() {
            let Some(&population) = by_node.get(&slice.node.0) else {
                continue;
            };
            let core = core_index[&slice.core];
            for neuron in slice.neurons.start..slice.neurons.end {
                let soma = slice.first_compartment
                    + (neuron - slice.neurons.start) * slice.per_neuron
                    + slice.per_neuron
                    - 1;
                let place = somas[population]
                    .get_mut(neuron as usize)
                    .ok_or_else(|| mismatch(population))?;
                *place = (core as u32, soma);
                owners[core][soma as usize] = Some((population as u32, neuron));
            }
        }
        for (p, population) in somas.iter().enumerate() {
            if population.iter().any(|&(core, _)| core == u32::MAX) {
                return Err(mismatch(p));
            }
        }
        let sources = program
            .inputs()
            .iter()
            .map(|input| match by_node.get(&input.node.0).copied() {
                Some(p) if plan.populations[p].source && plan.populations[p].size == input.size => {
                    Ok(p)
                }
                Some(p) => Err(mismatch(p)),
                None => Err(ChipRunError::Mismatch {
                    name: format!("node{}", input.node.0),
                    size: input.size,
                }),
            })
            .collect::<Result<_, _>>()?;
        Ok(Placement {
            somas,
            owners,
            sources,
        })
    }
}

/// A plan matched to a chip program: where its populations and probes
/// are, ready to record a run of either engine.
pub struct ChipRunner {
    plan: ChipRunPlan,
    placement: Placement,
    fan_outs: FanOuts,
    layout: RunLayout,
}

/// What a chip run records.
pub struct ChipRecording {
    /// The network's layout for the writers.
    pub layout: RunLayout,
    /// Spikes, traces and counts, as the CPU executors record them.
    pub recording: Recording,
}

impl ChipRunner {
    /// Finds the plan's populations on `program`, refusing a plan that
    /// does not belong to it.
    pub fn new(program: &ChipProgram, plan: ChipRunPlan) -> Result<ChipRunner, ChipRunError> {
        let placement = Placement::new(program, &plan)?;
        for probe in plan.spike_probes.iter().chain(&plan.state_probes) {
            let population = &plan.populations[probe.population];
            if probe.neurons.end > population.size || probe.neurons.start > probe.neurons.end {
                return Err(ChipRunError::Probe {
                    name: population.name.clone(),
                    start: probe.neurons.start,
                    end: probe.neurons.end,
                    size: population.size,
                });
            }
        }
        let fan_outs = FanOuts::of(program);
        let layout = layout(program, &plan, &placement, &fan_outs);
        Ok(ChipRunner {
            plan,
            placement,
            fan_outs,
            layout,
        })
    }

    /// The layout the run will have.
    pub fn layout(&self) -> &RunLayout {
        &self.layout
    }

    /// Runs `engine` for the plan's steps, recording its probes.
    pub fn run(self, engine: &mut impl ChipEngine, progress: Option<&Progress>) -> ChipRecording {
        let ChipRunner {
            plan,
            placement,
            fan_outs,
            layout,
        } = self;
        let mut recording = Recording {
            spikes: vec![SpikeEvents::default(); plan.spike_probes.len()],
            traces: vec![Trace::default(); layout.trace_probes.len()],
            spike_counts: vec![0; plan.populations.len()],
            synaptic_events: vec![0; layout.projections.len()],
        };
        let projection_of: Vec<Option<usize>> = (0..plan.populations.len())
            .map(|p| layout.projections.iter().position(|proj| proj.pre == p))
            .collect();
        let probes_of: Vec<Vec<usize>> = (0..plan.populations.len())
            .map(|p| {
                (0..plan.spike_probes.len())
                    .filter(|&k| plan.spike_probes[k].population == p)
                    .collect()
            })
            .collect();
        let u_register: Vec<bool> = layout
            .trace_probes
            .iter()
            .map(|probe| probe.variable == "u")
            .collect();
        let mut this_step: Vec<Vec<u32>> = vec![Vec::new(); plan.spike_probes.len()];
        for step in 0..plan.steps {
            engine.step();
            let mut spiked = |population: usize, neuron: u32, times: u32, fan_out: u64| {
                recording.spike_counts[population] += u64::from(times);
                if let Some(projection) = projection_of[population] {
                    recording.synaptic_events[projection] += u64::from(times) * fan_out;
                }
                for &k in &probes_of[population] {
                    let range = plan.spike_probes[k].neurons;
                    if (range.start..range.end).contains(&neuron) {
                        this_step[k].extend(std::iter::repeat_n(neuron, times as usize));
                    }
                }
            };
            for (core, fan_outs) in fan_outs.compartments.iter().enumerate() {
                for compartment in engine.spikes(core) {
                    if let Some((population, neuron)) = placement.owners[core][compartment as usize]
                    {
                        spiked(
                            population as usize,
                            neuron,
                            1,
                            fan_outs[compartment as usize],
                        );
                    }
                }
            }
            for (source, &population) in placement.sources.iter().enumerate() {
                for (neuron, &times) in engine.source_spikes(source).iter().enumerate() {
                    if times > 0 {
                        spiked(
                            population,
                            neuron as u32,
                            times,
                            fan_outs.sources[source][neuron],
                        );
                    }
                }
            }
            for (k, neurons) in this_step.iter_mut().enumerate() {
                neurons.sort_unstable();
                let events = &mut recording.spikes[k];
                events
                    .steps
                    .extend(std::iter::repeat_n(step, neurons.len()));
                events.neurons.append(neurons);
            }
            for ((trace, probe), &u) in recording
                .traces
                .iter_mut()
                .zip(&layout.trace_probes)
                .zip(&u_register)
            {
                let somas = &placement.somas[probe.population];
                trace
                    .values
                    .extend((probe.neurons.start..probe.neurons.end).map(|n| {
                        let (core, compartment) = somas[n as usize];
                        let (core, compartment) = (core as usize, compartment as usize);
                        let register = if u {
                            engine.u(core, compartment)
                        } else {
                            engine.v(core, compartment)
                        };
                        register as f64
                    }));
            }
            if let Some(progress) = progress
                && (step + 1) % 64 == 0
            {
                progress.set_position(step + 1);
            }
        }
        ChipRecording { layout, recording }
    }
}

/// The threshold of the v register of `neurons` (somas placed at
/// `somas`): `vth << weight_shift` of their profiles, when one for all.
fn v_threshold(program: &ChipProgram, somas: &[(u32, u32)], neurons: NeuronRange) -> Option<f64> {
    let shift = program.spec().fixed_point.weight_shift;
    let mut thresholds = (neurons.start..neurons.end).map(|n| {
        let &(core, compartment) = somas.get(n as usize)?;
        let core = &program.cores()[core as usize];
        let profile = core.compartments.get(compartment as usize)?.profile;
        core.profiles.get(usize::from(profile))?.vth
    });
    let first = thresholds.next()??;
    thresholds
        .all(|t| t == Some(first))
        .then(|| f64::from(first) * 2f64.powi(shift as i32))
}

/// The run's layout: the plan's populations, each sending population's
/// outgoing synapses as one projection, and u and v of every state probe.
fn layout(
    program: &ChipProgram,
    plan: &ChipRunPlan,
    placement: &Placement,
    fan_outs: &FanOuts,
) -> RunLayout {
    let mut outgoing = vec![0u64; plan.populations.len()];
    for (p, somas) in placement.somas.iter().enumerate() {
        outgoing[p] += somas
            .iter()
            .map(|&(core, c)| fan_outs.compartments[core as usize][c as usize])
            .sum::<u64>();
    }
    for (source, &p) in placement.sources.iter().enumerate() {
        outgoing[p] += fan_outs.sources[source].iter().sum::<u64>();
    }
    RunLayout {
        dt: program.dt(),
        steps: plan.steps,
        seed: program.seed(),
        populations: plan
            .populations
            .iter()
            .map(|p| PopulationLayout {
                name: p.name.clone(),
                model: p.model.clone(),
                size: p.size,
                source: p.source,
            })
            .collect(),
        projections: outgoing
            .iter()
            .enumerate()
            .filter(|&(_, &synapses)| synapses > 0)
            .map(|(p, &synapses)| ProjectionLayout {
                name: format!("{} -> *", plan.populations[p].name),
                pre: p,
                synapses,
            })
            .collect(),
        spike_probes: plan
            .spike_probes
            .iter()
            .map(|p| SpikeProbe {
                population: p.population,
                neurons: p.neurons,
            })
            .collect(),
        trace_probes: plan
            .state_probes
            .iter()
            .flat_map(|p| {
                let somas = &placement.somas[p.population];
                ["u", "v"].map(|variable| TraceLayout {
                    population: p.population,
                    variable: variable.to_string(),
                    neurons: p.neurons,
                    integer: true,
                    threshold: (variable == "v")
                        .then(|| v_threshold(program, somas, p.neurons))
                        .flatten(),
                })
            })
            .collect(),
    }
}
