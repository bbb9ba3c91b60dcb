//! The chip mapping pipeline, in order: classify every population, quantize
//! it and its incoming weights, partition it into core-sized slices, count
//! output axons (re-cutting a population whose slices overflow them, with
//! fewer neurons per core in proportion), place the slices on the
//! mesh, and assemble the per-core tables into a checked
//! [`ChipProgram`]. Each stage's time is recorded.

use super::axons::{OutgoingWalk, SliceIndex};
use super::classify::{ChipNeuron, classify};
use super::error::{ChipError, Resource};
use super::partition::{Demand, Incoming, Slice, partition};
use super::place::{PlaceError, place};
use super::quantize::{
    IncomingWeights, NeuronFormat, QuantizationReport, WeightFormat, max_delay, quantize,
};
use super::report::{ResourceReport, resource_report};
use super::sources::source_kind;
use neurc_ir::chip::{
    ChipProgram, ChipSpec, Compartment, CompartmentProfile, CoreId, CoreProgram, InputAxon,
    InputSource, OutputAxon, PopulationSlice, ProgramParts, SourceKind, SynapseFormat,
};
use neurc_ir::{
    Connectivity, Network, Node, NodeId, PerSynapse, Population, ProjId, Projection, SynapseTable,
    SynapticTarget,
};
use std::time::{Duration, Instant};

use crate::passes::expand::{NeuronValue, neuron_values};

/// Spikes per second assumed for a spiking population when estimating
/// traffic for placement: no rate is known before the network runs.
pub const DEFAULT_RATE_HZ: f64 = 10.0;

/// Bytes mapping holds per synapse beside the synapse tables, at most:
/// the table transposed by target (4), the core's synapse arrays (5), an
/// input and an output axon each (10 and 12) and the encoded image (27),
/// with room for vectors growing. Measured peaks of `neurc compile`,
/// tables included: 82 B per synapse on Brunel (15.6 M synapses), 90 B on
/// the 100 M-synapse benchmark network.
pub const MAPPING_BYTES_PER_SYNAPSE: u64 = 96;

/// What mapping produced.
pub struct Mapping {
    /// The program, checked against the spec.
    pub program: ChipProgram,
    /// Every quantized value.
    pub quantization: QuantizationReport,
    /// Every core's use of every resource.
    pub resources: ResourceReport,
    /// Wall time of each stage.
    pub stages: Vec<(&'static str, Duration)>,
}

/// A population on compartments, through the pipeline.
pub(super) struct ChipPopulation<'a> {
    pub node: NodeId,
    pub population: &'a Population,
    pub neuron: ChipNeuron,
    pub format: NeuronFormat,
    /// Incoming projections: id, projection, pre node, table, weights.
    pub incoming: Vec<(
        ProjId,
        &'a Projection,
        NodeId,
        &'a SynapseTable,
        WeightFormat,
    )>,
    pub delay_slots: u32,
    pub slices: Vec<Slice>,
}

/// A host spike source.
pub(super) struct HostSource<'a> {
    pub node: NodeId,
    pub population: &'a Population,
    pub kind: SourceKind,
    pub spikes_per_step: f64,
}

/// Maps an expanded network onto the chip system `spec`. `seed` drives
/// placement.
pub fn map(
    network: &Network,
    connectivity: &Connectivity,
    spec: &ChipSpec,
    seed: u64,
) -> Result<Mapping, ChipError> {
    let target = spec.name.as_str();
    let dt = network.simulation.dt;
    let steps = (network.simulation.duration / dt).round();
    let mut stages = Vec::new();
    let mut clock = Instant::now();
    let mut lap = |name: &'static str, stages: &mut Vec<(&'static str, Duration)>| {
        stages.push((name, clock.elapsed()));
        clock = Instant::now();
    };

    let mut quantization = QuantizationReport::default();
    let mut chips: Vec<ChipPopulation> = Vec::new();
    let mut hosts: Vec<HostSource> = Vec::new();
    for (node, element) in network.nodes() {
        match element {
            Node::Source(population) => {
                let model = &network.models[population.model.0 as usize];
                let (kind, spikes_per_step) =
                    source_kind(node, population, model, dt, steps, target)?;
                hosts.push(HostSource {
                    node,
                    population,
                    kind,
                    spikes_per_step,
                });
            }
            Node::Population(population) => {
                chips.push(chip_population(
                    network,
                    connectivity,
                    spec,
                    node,
                    population,
                    &mut quantization,
                )?);
            }
            Node::Region(_) | Node::Modulator(_) => {}
        }
    }
    lap("classify and quantize", &mut stages);

    let incoming: Vec<Vec<Incoming>> = chips
        .iter()
        .map(|c| {
            c.incoming
                .iter()
                .map(|(_, projection, _, table, weights)| {
                    let format = SynapseFormat {
                        index_bits: index_bits(
                            spec,
                            u64::from(spec.core.compartments)
                                .min(u64::from(c.population.size) * c.neuron.currents.len() as u64),
                        ),
                        ..weights.format
                    };
                    Incoming::transpose(table, projection.pre, projection.post, format)
                })
                .collect()
        })
        .collect();
    let mut caps = vec![u32::MAX; chips.len()];
    let index = loop {
        for (k, chip) in chips.iter_mut().enumerate() {
            let demand = Demand {
                node: chip.node,
                name: &chip.population.name,
                size: chip.population.size,
                per_neuron: chip.neuron.currents.len() as u32,
                incoming: &incoming[k],
                delay_slots: chip.delay_slots,
                max_per_core: caps[k],
            };
            chip.slices = partition(&demand, spec, target)?;
        }
        let index = SliceIndex::new(&chips);
        let overflowing = OutgoingWalk::new(network, connectivity, &chips, &index)
            .count_output_axons(&mut chips, spec);
        if overflowing.is_empty() {
            break index;
        }
        for (k, overflow) in overflowing {
            if overflow.smallest <= 1 {
                let chip = &chips[k];
                let slice = chip.slices.iter().max_by_key(|s| s.usage.output_axons);
                return Err(ChipError::NeuronTooLarge {
                    node: chip.node,
                    population: chip.population.name.clone(),
                    resource: Resource::OutputAxons,
                    required: slice.map_or(0, |s| s.usage.output_axons),
                    available: u64::from(spec.core.output_axons),
                    target: target.to_string(),
                });
            }
            caps[k] = caps[k].min(overflow.cap.max(1));
        }
    };
    lap("partition", &mut stages);

    let traffic = OutgoingWalk::new(network, connectivity, &chips, &index)
        .traffic(&chips, dt * DEFAULT_RATE_HZ);
    let placement = place(spec, &traffic, seed).map_err(|error| match error {
        PlaceError::TooManySlices { .. } => too_many_cores(spec, &chips),
    })?;
    lap("place", &mut stages);

    let parts = assemble(network, spec, &chips, &hosts, &index, &placement.cores);
    lap("route and assemble", &mut stages);
    let resources = resource_report(spec, &chips, &hosts, &index, &placement.cores, &parts);
    let program = ChipProgram::new(parts).map_err(|errors| {
        ChipError::Internal(
            errors
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; "),
        )
    })?;
    lap("check", &mut stages);
    Ok(Mapping {
        program,
        quantization,
        resources,
        stages,
    })
}

/// The smallest index width of the spec that addresses `compartments`.
fn index_bits(spec: &ChipSpec, compartments: u64) -> u8 {
    let widths = &spec.fixed_point.index_bits;
    widths
        .iter()
        .copied()
        .find(|&b| (1u64 << b.min(63)) >= compartments)
        .or_else(|| widths.last().copied())
        .unwrap_or(16) as u8
}

fn too_many_cores(spec: &ChipSpec, chips: &[ChipPopulation]) -> ChipError {
    let required: u64 = chips.iter().map(|c| c.slices.len() as u64).sum();
    let largest = chips.iter().max_by_key(|c| c.slices.len());
    ChipError::TooManyCores {
        node: largest.map_or(NodeId(0), |c| c.node),
        population: largest.map_or(String::new(), |c| c.population.name.clone()),
        population_cores: largest.map_or(0, |c| c.slices.len() as u64),
        required,
        available: spec.mesh.core_count(),
        chips: spec.mesh.chip_count(),
        target: spec.name.clone(),
    }
}

/// Classifies and quantizes one population with its incoming projections.
fn chip_population<'a>(
    network: &'a Network,
    connectivity: &'a Connectivity,
    spec: &ChipSpec,
    node: NodeId,
    population: &'a Population,
    report: &mut QuantizationReport,
) -> Result<ChipPopulation<'a>, ChipError> {
    let model = &network.models[population.model.0 as usize];
    let projections: Vec<_> = network
        .projections()
        .filter(|(_, _, post, _)| *post == node)
        .filter_map(|(id, pre, _, p)| connectivity.tables.get(&id).map(|t| (id, p, pre, t)))
        .collect();
    let mut targets: Vec<SynapticTarget> =
        projections.iter().map(|(_, p, _, _)| p.target).collect();
    targets.dedup();
    let neuron = classify(
        node,
        population,
        model,
        &targets,
        network.simulation.dt,
        &spec.fixed_point,
        &spec.name,
    )?;
    let weights: Vec<IncomingWeights> = projections
        .iter()
        .map(|(id, projection, _, table)| {
            let landing = neuron
                .landing(projection.target)
                .unwrap_or(super::classify::Landing {
                    current: 0,
                    factor: 0.0,
                });
            IncomingWeights {
                id: *id,
                name: &projection.name,
                weights: &table.weights,
                delays: &table.delays,
                synapses: table.synapse_count(),
                current: landing.current,
                factor: landing.factor,
                given: projection.chip_weights,
            }
        })
        .collect();
    let (format, formats) = quantize(
        node,
        &population.name,
        &neuron,
        &weights,
        &spec.fixed_point,
        spec.core.max_delay_steps,
        &spec.name,
        report,
    )?;
    if let Some(row) = report.populations.last_mut() {
        row.model = model.name.clone();
    }
    let delay_slots = projections
        .iter()
        .map(|(_, _, _, t)| max_delay(&t.delays))
        .max()
        .unwrap_or(1);
    Ok(ChipPopulation {
        node,
        population,
        neuron,
        format,
        incoming: projections
            .into_iter()
            .zip(formats)
            .map(|((id, p, pre, t), w)| (id, p, pre, t, w))
            .collect(),
        delay_slots: u32::from(delay_slots),
        slices: Vec::new(),
    })
}

/// One slice's tables while they are filled.
#[derive(Default)]
struct CoreTables {
    input_axons: Vec<InputAxon>,
    synapses: neurc_ir::chip::SynapseList,
    output_axons: Vec<OutputAxon>,
    last_axon: Option<(usize, u32)>,
}

/// Builds every core's tables and the host sources' output axons.
fn assemble(
    network: &Network,
    spec: &ChipSpec,
    chips: &[ChipPopulation],
    hosts: &[HostSource],
    index: &SliceIndex,
    cores: &[CoreId],
) -> ProgramParts {
    let seed = network.simulation.seed;
    let mut tables: Vec<CoreTables> = (0..index.slice_count())
        .map(|_| CoreTables::default())
        .collect();
    let mut host_axons: Vec<Vec<OutputAxon>> = vec![Vec::new(); hosts.len()];
    for (k, chip) in chips.iter().enumerate() {
        let per_neuron = chip.neuron.currents.len() as u32;
        for (p, (_, projection, pre_node, table, weights)) in chip.incoming.iter().enumerate() {
            // The soma is its neuron's last compartment, dendrite k its k-1st.
            let offset = match weights.current {
                0 => per_neuron - 1,
                current => current - 1,
            };
            // Every presynaptic neuron is a compartment of a core or a
            // neuron of a host source.
            let sender = match index.chip_of(*pre_node) {
                Some(source) => Sender::Core(source, per_neuron_of(chips, source)),
                None => match hosts.iter().position(|h| h.node == *pre_node) {
                    Some(h) => Sender::Host(h),
                    None => continue,
                },
            };
            for (i, row) in table.row_offsets.windows(2).enumerate() {
                let pre = projection.pre.start + i as u32;
                for s in row[0] as usize..row[1] as usize {
                    let post = table.targets[s];
                    let (slice, local) = index.locate(k, post);
                    let core = &mut tables[slice];
                    let key = (p, pre);
                    if core.last_axon != Some(key) {
                        core.last_axon = Some(key);
                        let axon = core.input_axons.len() as u32;
                        core.input_axons.push(InputAxon {
                            format: p as u16,
                            first: core.synapses.compartment.len() as u32,
                            count: 0,
                        });
                        let out = OutputAxon {
                            source: pre,
                            core: cores[slice],
                            axon,
                        };
                        match sender {
                            Sender::Core(source, source_per_neuron) => {
                                let (source_slice, source_local) = index.locate(source, pre);
                                tables[source_slice].output_axons.push(OutputAxon {
                                    source: soma(source_local, source_per_neuron),
                                    ..out
                                });
                            }
                            Sender::Host(h) => host_axons[h].push(out),
                        }
                    }
                    let core = &mut tables[slice];
                    if let Some(axon) = core.input_axons.last_mut() {
                        axon.count += 1;
                    }
                    core.synapses
                        .compartment
                        .push((local * per_neuron + offset) as u16);
                    core.synapses.weight.push(match &weights.stored {
                        PerSynapse::Constant(w) => *w,
                        PerSynapse::Varying(ws) => ws[s],
                    });
                    core.synapses.delay.push(match &table.delays {
                        PerSynapse::Constant(d) => *d as u8,
                        PerSynapse::Varying(ds) => ds[s] as u8,
                    });
                }
            }
            for core in &mut tables {
                core.last_axon = None;
            }
        }
    }
    let mut programs = Vec::with_capacity(tables.len());
    let mut slices = Vec::new();
    for (k, chip) in chips.iter().enumerate() {
        let per_neuron = chip.neuron.currents.len() as u32;
        let init = initial_values(chip, seed);
        for (j, slice) in chip.slices.iter().enumerate() {
            let global = index.slice_id(k, j);
            let tables = std::mem::take(&mut tables[global]);
            let compartments = u64::from(slice.neurons.len() * per_neuron);
            let formats = chip
                .incoming
                .iter()
                .map(|(.., w)| SynapseFormat {
                    index_bits: index_bits(spec, compartments),
                    ..w.format
                })
                .collect();
            let mut output_axons = tables.output_axons;
            output_axons.sort_unstable_by_key(|a| (a.source, a.core, a.axon));
            programs.push(CoreProgram {
                id: cores[global],
                profiles: profiles(chip),
                compartments: compartments_of(chip, slice, &init),
                formats,
                input_axons: tables.input_axons,
                synapses: tables.synapses,
                output_axons,
                delay_slots: chip.delay_slots,
            });
            slices.push(PopulationSlice {
                node: chip.node,
                neurons: slice.neurons,
                core: cores[global],
                first_compartment: 0,
                per_neuron,
            });
        }
    }
    programs.sort_unstable_by_key(|c| c.id);
    let inputs = hosts
        .iter()
        .zip(host_axons)
        .map(|(host, mut output_axons)| {
            output_axons.sort_unstable_by_key(|a| (a.source, a.core, a.axon));
            InputSource {
                node: host.node,
                name: host.population.name.clone(),
                size: host.population.size,
                kind: host.kind.clone(),
                output_axons,
            }
        })
        .collect();
    ProgramParts {
        spec: spec.clone(),
        dt: network.simulation.dt,
        seed,
        cores: programs,
        inputs,
        slices,
    }
}

fn per_neuron_of(chips: &[ChipPopulation], k: usize) -> u32 {
    chips[k].neuron.currents.len() as u32
}

/// Who sends a projection's spikes.
#[derive(Clone, Copy)]
enum Sender {
    /// Chip population `k`, with its compartments per neuron.
    Core(usize, u32),
    /// Host source `h`.
    Host(usize),
}

/// The soma of the `local`-th neuron of a slice: its last compartment.
fn soma(local: u32, per_neuron: u32) -> u32 {
    local * per_neuron + per_neuron - 1
}

/// The soma's profile first, then one per dendrite current.
fn profiles(chip: &ChipPopulation) -> Vec<CompartmentProfile> {
    let f = &chip.format;
    let mut profiles = vec![CompartmentProfile {
        du: f.du[0],
        dv: f.dv,
        vth: Some(f.vth),
        refractory_delay: f.refractory_delay,
    }];
    profiles.extend(f.du[1..].iter().map(|&du| CompartmentProfile {
        du,
        dv: 0,
        vth: None,
        refractory_delay: 1,
    }));
    profiles
}

/// Initial u of each current and v, per neuron, in chip units: the same
/// draws as the CPU target's initial state.
struct InitialValues {
    v: Vec<i32>,
    u: Vec<Vec<i32>>,
}

fn initial_values(chip: &ChipPopulation, seed: u64) -> InitialValues {
    let size = chip.population.size;
    let draw = |state: u32| {
        neuron_values(
            seed,
            chip.node.0,
            NeuronValue::InitialState(state),
            &chip.population.init[state as usize],
            size,
        )
    };
    let scale = chip.format.scale;
    let limit = 2f64.powi(23) - 1.0;
    let to_chip = |x: f64| (x * scale).round().clamp(-limit, limit) as i32;
    let v = draw(chip.neuron.membrane)
        .into_iter()
        .map(|v| to_chip(v - chip.neuron.offset))
        .collect();
    let u = chip
        .neuron
        .currents
        .iter()
        .map(|current| {
            let mut sum = vec![0.0; size as usize];
            for &(state, factor) in &current.states {
                for (s, x) in sum.iter_mut().zip(draw(state)) {
                    *s += factor * x;
                }
            }
            sum.into_iter().map(to_chip).collect()
        })
        .collect();
    InitialValues { v, u }
}

fn compartments_of(chip: &ChipPopulation, slice: &Slice, init: &InitialValues) -> Vec<Compartment> {
    let per_neuron = chip.neuron.currents.len();
    let mut compartments = Vec::with_capacity(slice.neurons.len() as usize * per_neuron);
    for (local, neuron) in (slice.neurons.start..slice.neurons.end).enumerate() {
        let n = neuron as usize;
        let soma = soma(local as u32, per_neuron as u32) as u16;
        for current in 1..per_neuron {
            compartments.push(Compartment {
                profile: current as u16,
                bias_mantissa: 0,
                bias_exponent: 0,
                u: init.u[current][n],
                v: 0,
                parent: Some(soma),
            });
        }
        compartments.push(Compartment {
            profile: 0,
            bias_mantissa: chip.format.bias_mantissa,
            bias_exponent: chip.format.bias_exponent,
            u: init.u[0][n],
            v: init.v[n],
            parent: None,
        });
    }
    compartments
}
