//! Partitioning: each chip population cut into core-sized slices of
//! consecutive neurons, under every per-core limit at once — compartments,
//! synaptic memory (with each list's block headers and word rounding),
//! input axons, and dendritic accumulators for the delay window. Output
//! axons depend on where the targets went, so they are checked after every
//! population is cut (see [`super::axons`]).
//!
//! Greedy first fit in neuron order: a slice grows one neuron at a time
//! until the next neuron would break a limit, which is recorded as the
//! slice's binding limit. Slices of consecutive neurons keep each synapse
//! list short and let routing tables follow the population's order.

use super::error::{ChipError, Resource};
use neurc_ir::chip::{ChipSpec, SynapseFormat};
use neurc_ir::{NeuronRange, NodeId, SynapseTable};
use serde::Serialize;

/// The synapses of one projection onto a population, by postsynaptic
/// neuron: the presynaptic neurons of post neuron `j` (counted from the
/// projection's post range start) are `pres[offsets[j]..offsets[j + 1]]`.
pub struct Incoming {
    /// First neuron of the projection's post range.
    pub post_start: u32,
    /// Row offsets, one more than the post range's length.
    pub offsets: Vec<u64>,
    /// Presynaptic neuron of each synapse, counted from the pre range start.
    pub pres: Vec<u32>,
    /// Length of the pre range.
    pub pre_len: u32,
    /// How its synapses are stored (index bits for a full core).
    pub format: SynapseFormat,
}

impl Incoming {
    /// Transposes a synapse table (rows by pre neuron) into rows by post
    /// neuron.
    pub fn transpose(
        table: &SynapseTable,
        pre: NeuronRange,
        post: NeuronRange,
        format: SynapseFormat,
    ) -> Incoming {
        let post_len = post.len() as usize;
        let mut offsets = vec![0u64; post_len + 1];
        for &t in &table.targets {
            offsets[(t - post.start) as usize + 1] += 1;
        }
        for j in 0..post_len {
            offsets[j + 1] += offsets[j];
        }
        let mut next = offsets.clone();
        let mut pres = vec![0u32; table.targets.len()];
        for (i, row) in table.row_offsets.windows(2).enumerate() {
            for &t in &table.targets[row[0] as usize..row[1] as usize] {
                let slot = &mut next[(t - post.start) as usize];
                pres[*slot as usize] = i as u32;
                *slot += 1;
            }
        }
        Incoming {
            post_start: post.start,
            offsets,
            pres,
            pre_len: pre.len(),
            format,
        }
    }
}

/// What a population asks of the cores.
pub struct Demand<'a> {
    /// The population.
    pub node: NodeId,
    /// Its name.
    pub name: &'a str,
    /// Its neurons.
    pub size: u32,
    /// Compartments per neuron.
    pub per_neuron: u32,
    /// Its incoming projections.
    pub incoming: &'a [Incoming],
    /// Delay slots its synapses need (the longest delay).
    pub delay_slots: u32,
    /// At most this many neurons per core (lowered when output axons do
    /// not fit).
    pub max_per_core: u32,
}

/// How much of each resource a core uses.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default, Serialize)]
pub struct Usage {
    /// Compartments.
    pub compartments: u64,
    /// Bits of synaptic memory.
    pub synaptic_memory: u64,
    /// Input axons.
    pub input_axons: u64,
    /// Output axons.
    pub output_axons: u64,
    /// Dendritic accumulators (compartments × delay slots).
    pub delay_slots: u64,
}

impl std::ops::Add for Usage {
    type Output = Usage;

    fn add(self, other: Usage) -> Usage {
        Usage {
            compartments: self.compartments + other.compartments,
            synaptic_memory: self.synaptic_memory + other.synaptic_memory,
            input_axons: self.input_axons + other.input_axons,
            output_axons: self.output_axons + other.output_axons,
            delay_slots: self.delay_slots + other.delay_slots,
        }
    }
}

impl Usage {
    /// Every resource at a core's limit.
    pub fn limits(spec: &ChipSpec) -> Usage {
        Usage {
            compartments: limit(spec, Resource::Compartments),
            synaptic_memory: limit(spec, Resource::SynapticMemory),
            input_axons: limit(spec, Resource::InputAxons),
            output_axons: limit(spec, Resource::OutputAxons),
            delay_slots: limit(spec, Resource::DelaySlots),
        }
    }

    /// The amount of one resource.
    pub fn get(&self, resource: Resource) -> u64 {
        match resource {
            Resource::Compartments => self.compartments,
            Resource::SynapticMemory => self.synaptic_memory,
            Resource::InputAxons => self.input_axons,
            Resource::OutputAxons => self.output_axons,
            Resource::DelaySlots => self.delay_slots,
        }
    }
}

/// A core's share of the spec's limits.
pub fn limit(spec: &ChipSpec, resource: Resource) -> u64 {
    let core = &spec.core;
    match resource {
        // No more than the widest synapse index addresses.
        Resource::Compartments => u64::from(core.compartments).min(
            spec.fixed_point
                .index_bits
                .last()
                .map_or(u64::MAX, |&b| 1u64 << b.min(63)),
        ),
        Resource::SynapticMemory => core.synapse_memory_bits,
        Resource::InputAxons => u64::from(core.input_axons),
        Resource::OutputAxons => u64::from(core.output_axons),
        Resource::DelaySlots => u64::from(core.dendritic_accumulators),
    }
}

/// Consecutive neurons of one population on one core.
#[derive(Clone, PartialEq, Debug)]
pub struct Slice {
    /// The population.
    pub node: NodeId,
    /// The neurons.
    pub neurons: NeuronRange,
    /// Compartments per neuron.
    pub per_neuron: u32,
    /// What it uses (output axons filled in later).
    pub usage: Usage,
    /// The limit that stopped it growing, or `None` where the population
    /// ended first.
    pub binding: Option<Resource>,
}

/// Per-projection bookkeeping of the slice being grown: which core last
/// saw each presynaptic neuron, and its synapses there.
struct Lists {
    seen_by: Vec<u32>,
    count: Vec<u32>,
}

/// Cuts a population into slices under every limit but output axons.
pub fn partition(demand: &Demand, spec: &ChipSpec, target: &str) -> Result<Vec<Slice>, ChipError> {
    let fixed = &spec.fixed_point;
    let mut lists: Vec<Lists> = demand
        .incoming
        .iter()
        .map(|p| Lists {
            seen_by: vec![u32::MAX; p.pre_len as usize],
            count: vec![0; p.pre_len as usize],
        })
        .collect();
    let per_neuron = u64::from(demand.per_neuron);
    let slots = u64::from(demand.delay_slots.max(1));
    let mut slices = Vec::new();
    let mut usage = Usage::default();
    let mut start = 0u32;
    let mut serial = 0u32;
    let mut neuron = 0u32;
    while neuron < demand.size {
        // Add the neuron's synapses, then check; undo if a limit breaks.
        let mut added = Usage {
            compartments: per_neuron,
            delay_slots: per_neuron * slots,
            ..Usage::default()
        };
        for (p, incoming) in demand.incoming.iter().enumerate() {
            let Some(local) = neuron.checked_sub(incoming.post_start) else {
                continue;
            };
            let Some(row) = incoming.offsets.get(local as usize..local as usize + 2) else {
                continue;
            };
            let book = &mut lists[p];
            for &pre in &incoming.pres[row[0] as usize..row[1] as usize] {
                let pre = pre as usize;
                if book.seen_by[pre] != serial {
                    book.seen_by[pre] = serial;
                    book.count[pre] = 0;
                    added.input_axons += 1;
                }
                let before = u64::from(book.count[pre]);
                added.synaptic_memory += fixed.list_bits(&incoming.format, before + 1)
                    - fixed.list_bits(&incoming.format, before);
                book.count[pre] += 1;
            }
        }
        let total = usage + added;
        let broken = Resource::ALL
            .into_iter()
            .find(|&r| total.get(r) > limit(spec, r))
            .or_else(|| (neuron - start >= demand.max_per_core).then_some(Resource::OutputAxons));
        match broken {
            None => {
                usage = total;
                neuron += 1;
            }
            Some(resource) if neuron == start => {
                return Err(ChipError::NeuronTooLarge {
                    node: demand.node,
                    population: demand.name.to_string(),
                    resource,
                    required: added.get(resource),
                    available: limit(spec, resource),
                    target: target.to_string(),
                });
            }
            Some(resource) => {
                slices.push(Slice {
                    node: demand.node,
                    neurons: NeuronRange::new(start, neuron),
                    per_neuron: demand.per_neuron,
                    usage,
                    binding: Some(resource),
                });
                // The neuron starts the next slice: its lists are counted
                // again under the new serial.
                serial += 1;
                start = neuron;
                usage = Usage::default();
            }
        }
    }
    if start < demand.size {
        slices.push(Slice {
            node: demand.node,
            neurons: NeuronRange::new(start, demand.size),
            per_neuron: demand.per_neuron,
            usage,
            binding: None,
        });
    }
    Ok(slices)
}
