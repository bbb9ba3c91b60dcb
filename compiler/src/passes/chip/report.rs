//! The resource report (`resources.json`): chips, tiles and cores in use,
//! every core's use of every resource with its binding limit, and totals.

use super::axons::SliceIndex;
use super::error::Resource;
use super::map::{ChipPopulation, DEFAULT_RATE_HZ, HostSource};
use super::partition::Usage;
use neurc_ir::chip::{ChipSpec, CoreId, Mesh, ProgramParts};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// One core's line of the report.
#[derive(Clone, PartialEq, Debug, Serialize)]
pub struct CoreReport {
    /// The core (`c12`).
    pub core: String,
    /// Its chip's coordinates.
    pub chip: [u32; 3],
    /// Its tile within the chip.
    pub tile: [u32; 2],
    /// Its index in the tile.
    pub index: u32,
    /// The population it holds.
    pub population: String,
    /// The neurons, `[start, end)`.
    pub neurons: [u32; 2],
    /// Synapses stored.
    pub synapses: u64,
    /// Use of each resource.
    pub usage: Usage,
    /// Use over limit, per resource.
    pub utilisation: Vec<(Resource, f64)>,
    /// The resource that stopped the slice growing (for a population's last
    /// slice, the most used one).
    pub binding: Resource,
}

/// One population's line.
#[derive(Clone, PartialEq, Debug, Serialize)]
pub struct PopulationCores {
    /// Its name.
    pub population: String,
    /// Neurons.
    pub neurons: u32,
    /// Compartments per neuron.
    pub compartments_per_neuron: u32,
    /// Cores holding it.
    pub cores: u64,
    /// The binding limit of most of its cores.
    pub binding: Resource,
}

/// A host spike source's line.
#[derive(Clone, PartialEq, Debug, Serialize)]
pub struct HostReport {
    /// Its name.
    pub population: String,
    /// Neurons.
    pub neurons: u32,
    /// Expected spikes per step per neuron.
    pub spikes_per_step: f64,
    /// Output axons (destination cores × projections, summed over neurons).
    pub output_axons: u64,
}

/// The whole report.
#[derive(Clone, PartialEq, Debug, Serialize)]
pub struct ResourceReport {
    /// The spec's name.
    pub target: String,
    /// Chips with at least one core in use.
    pub chips_used: u64,
    /// Tiles with at least one core in use.
    pub tiles_used: u64,
    /// Cores in use.
    pub cores_used: u64,
    /// Cores of the system.
    pub cores_available: u64,
    /// The system's mesh, which places each core's chip, tile and index.
    pub mesh: Mesh,
    /// Each resource's limit per core.
    pub limits: Usage,
    /// Each resource summed over cores.
    pub totals: Usage,
    /// Synapses stored.
    pub synapses: u64,
    /// Spikes per second assumed for placement where no rate is known.
    pub assumed_rate_hz: f64,
    /// Per population.
    pub populations: Vec<PopulationCores>,
    /// Host spike sources.
    pub hosts: Vec<HostReport>,
    /// Per core, by ascending id.
    pub cores: Vec<CoreReport>,
}

/// Builds the report from the slices and the assembled tables.
pub(super) fn resource_report(
    spec: &ChipSpec,
    chips: &[ChipPopulation],
    hosts: &[HostSource],
    index: &SliceIndex,
    cores: &[CoreId],
    parts: &ProgramParts,
) -> ResourceReport {
    let limits = Usage::limits(spec);
    let mut totals = Usage::default();
    let mut lines = Vec::new();
    let mut populations = Vec::new();
    let mut chips_used = BTreeSet::new();
    let mut tiles_used = BTreeSet::new();
    for (k, chip) in chips.iter().enumerate() {
        let mut bindings: BTreeMap<Resource, u64> = BTreeMap::new();
        for (j, slice) in chip.slices.iter().enumerate() {
            let id = cores[index.slice_id(k, j)];
            let location = spec.locate(id).unwrap_or(neurc_ir::chip::CoreLocation {
                chip: [0; 3],
                tile: [0; 2],
                core: 0,
            });
            chips_used.insert(location.chip);
            tiles_used.insert(location.global_tile(&spec.mesh));
            let program = parts
                .cores
                .binary_search_by_key(&id, |c| c.id)
                .ok()
                .map(|i| &parts.cores[i]);
            // Synaptic memory as stored: the core's index width is set by
            // its own compartments, which partitioning could only bound.
            let mut usage = slice.usage;
            if let Some(core) = program {
                usage.synaptic_memory = core
                    .input_axons
                    .iter()
                    .map(|a| {
                        spec.fixed_point
                            .list_bits(&core.formats[usize::from(a.format)], u64::from(a.count))
                    })
                    .sum();
            }
            let utilisation: Vec<(Resource, f64)> = Resource::ALL
                .into_iter()
                .map(|r| (r, usage.get(r) as f64 / limits.get(r).max(1) as f64))
                .collect();
            let binding = slice.binding.unwrap_or_else(|| {
                utilisation
                    .iter()
                    .max_by(|a, b| a.1.total_cmp(&b.1))
                    .map_or(Resource::Compartments, |u| u.0)
            });
            *bindings.entry(binding).or_default() += 1;
            totals = totals + usage;
            let synapses = program.map_or(0, |c| c.synapses.compartment.len() as u64);
            lines.push((
                id,
                CoreReport {
                    core: id.to_string(),
                    chip: location.chip,
                    tile: location.tile,
                    index: location.core,
                    population: chip.population.name.clone(),
                    neurons: [slice.neurons.start, slice.neurons.end],
                    synapses,
                    usage,
                    utilisation,
                    binding,
                },
            ));
        }
        let most = bindings
            .iter()
            .max_by_key(|(_, count)| **count)
            .map_or(Resource::Compartments, |(r, _)| *r);
        populations.push(PopulationCores {
            population: chip.population.name.clone(),
            neurons: chip.population.size,
            compartments_per_neuron: chip.neuron.currents.len() as u32,
            cores: chip.slices.len() as u64,
            binding: most,
        });
    }
    lines.sort_unstable_by_key(|(id, _)| *id);
    let hosts = hosts
        .iter()
        .zip(&parts.inputs)
        .map(|(host, input)| HostReport {
            population: host.population.name.clone(),
            neurons: host.population.size,
            spikes_per_step: host.spikes_per_step,
            output_axons: input.output_axons.len() as u64,
        })
        .collect();
    ResourceReport {
        target: spec.name.clone(),
        chips_used: chips_used.len() as u64,
        tiles_used: tiles_used.len() as u64,
        cores_used: lines.len() as u64,
        cores_available: spec.mesh.core_count(),
        mesh: spec.mesh,
        limits,
        totals,
        synapses: parts
            .cores
            .iter()
            .map(|c| c.synapses.compartment.len() as u64)
            .sum(),
        assumed_rate_hz: DEFAULT_RATE_HZ,
        populations,
        hosts,
        cores: lines.into_iter().map(|(_, line)| line).collect(),
    }
}
