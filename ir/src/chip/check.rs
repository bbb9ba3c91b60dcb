//! The checks [`ChipProgram::new`](super::ChipProgram::new) makes: every
//! per-core limit of the spec, every field within its format, every
//! reference (profile, format, axon, destination core) valid.

use super::program::{CoreProgram, OutputAxon, ProgramParts, SourceKind};
use super::{CoreId, CoreMap};
use crate::ids::NodeId;
use std::collections::BTreeMap;
use std::fmt;

/// One violated limit or invariant of a chip program.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct LimitError {
    /// The core it concerns, if one.
    pub core: Option<CoreId>,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for LimitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.core {
            Some(core) => write!(f, "core {core}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for LimitError {}

/// At most this many violations are collected; the first ones say enough.
const MAX_ERRORS: usize = 64;

struct Errors(Vec<LimitError>);

impl Errors {
    fn over(&mut self, core: Option<CoreId>, what: &str, used: u64, limit: u64) {
        if used > limit {
            self.push(
                core,
                format!("{used} {what}, more than the limit of {limit}"),
            );
        }
    }

    fn push(&mut self, core: Option<CoreId>, message: String) {
        if self.0.len() < MAX_ERRORS {
            self.0.push(LimitError { core, message });
        }
    }
}

/// Checks a program's parts; returns every violation found.
pub(super) fn check(parts: &ProgramParts) -> Result<(), Vec<LimitError>> {
    let mut errors = Errors(Vec::new());
    if let Err(error) = parts.spec.validate() {
        errors.push(None, format!("invalid chip spec: {error}"));
        return Err(errors.0);
    }
    if !(parts.dt.is_finite() && parts.dt > 0.0) {
        errors.push(None, format!("step {} s is not a positive time", parts.dt));
    }
    let mut axons_of = CoreMap::default();
    for (i, core) in parts.cores.iter().enumerate() {
        if parts.spec.locate(core.id).is_none() {
            errors.push(
                Some(core.id),
                format!(
                    "no such core: the system has {} cores",
                    parts.spec.mesh.core_count()
                ),
            );
        }
        if i > 0 && parts.cores[i - 1].id >= core.id {
            errors.push(Some(core.id), "cores are not in ascending order".into());
        }
        axons_of.insert(core.id, core.input_axons.len());
    }
    for core in &parts.cores {
        check_core(parts, core, &axons_of, &mut errors);
    }
    for input in &parts.inputs {
        let size = input.size as usize;
        match &input.kind {
            SourceKind::Poisson { mean_per_step } => {
                if mean_per_step.len() != size
                    || mean_per_step.iter().any(|m| !(m.is_finite() && *m >= 0.0))
                {
                    errors.push(
                        None,
                        format!(
                            "source `{}`: needs {size} finite, non-negative means",
                            input.name
                        ),
                    );
                }
            }
            SourceKind::Steps { steps } => {
                if steps.len() != 1 && steps.len() != size
                    || steps.iter().any(|s| s.windows(2).any(|w| w[0] >= w[1]))
                {
                    errors.push(
                        None,
                        format!(
                            "source `{}`: needs one ascending list of steps, or one per neuron",
                            input.name
                        ),
                    );
                }
            }
        }
        check_output_axons(
            None,
            &input.output_axons,
            input.size,
            &axons_of,
            &mut errors,
        );
    }
    check_slices(parts, &mut errors);
    if errors.0.is_empty() {
        Ok(())
    } else {
        Err(errors.0)
    }
}

fn check_core(
    parts: &ProgramParts,
    core: &CoreProgram,
    axons_of: &CoreMap<usize>,
    errors: &mut Errors,
) {
    let spec = &parts.spec;
    let (limits, fixed) = (&spec.core, &spec.fixed_point);
    let id = Some(core.id);
    let compartments = core.compartments.len() as u64;
    let mut thresholds: Vec<u32> = core.profiles.iter().filter_map(|p| p.vth).collect();
    thresholds.sort_unstable();
    thresholds.dedup();
    let count = |n: usize| n as u64;
    for (what, used, limit) in [
        ("compartments", compartments, limits.compartments),
        (
            "compartment profiles",
            count(core.profiles.len()),
            limits.compartment_profiles,
        ),
        (
            "threshold profiles",
            count(thresholds.len()),
            limits.threshold_profiles,
        ),
        (
            "synapse formats",
            count(core.formats.len()),
            limits.synapse_formats,
        ),
        (
            "input axons",
            count(core.input_axons.len()),
            limits.input_axons,
        ),
        (
            "output axons",
            count(core.output_axons.len()),
            limits.output_axons,
        ),
        (
            "delay slots",
            u64::from(core.delay_slots),
            limits.max_delay_steps,
        ),
        (
            "dendritic accumulators (compartments x delay slots)",
            compartments * u64::from(core.delay_slots),
            limits.dendritic_accumulators,
        ),
    ] {
        errors.over(id, what, used, u64::from(limit));
    }
    let decay_one = fixed.decay_one();
    for (p, profile) in core.profiles.iter().enumerate() {
        if profile.du >= decay_one || profile.dv >= decay_one {
            errors.push(id, format!("profile {p}: decays must be below {decay_one}"));
        }
        if profile
            .vth
            .is_some_and(|v| u64::from(v) > fixed.threshold_mantissa_max())
        {
            errors.push(
                id,
                format!(
                    "profile {p}: threshold mantissa above {}",
                    fixed.threshold_mantissa_max()
                ),
            );
        }
        if !(1..=fixed.refractory_max).contains(&profile.refractory_delay) {
            errors.push(
                id,
                format!(
                    "profile {p}: refractory delay {} outside 1..={}",
                    profile.refractory_delay, fixed.refractory_max
                ),
            );
        }
    }
    let (bias_low, bias_high) = fixed.bias_mantissa_range();
    let state_max = fixed.state_max();
    for (c, compartment) in core.compartments.iter().enumerate() {
        let Some(profile) = core.profiles.get(usize::from(compartment.profile)) else {
            errors.push(
                id,
                format!("compartment {c}: no profile {}", compartment.profile),
            );
            continue;
        };
        if !(bias_low..=bias_high).contains(&i64::from(compartment.bias_mantissa))
            || u32::from(compartment.bias_exponent) > fixed.bias_exponent_max
        {
            errors.push(id, format!("compartment {c}: bias outside its format"));
        }
        if i64::from(compartment.u).abs() > state_max || i64::from(compartment.v).abs() > state_max
        {
            errors.push(
                id,
                format!(
                    "compartment {c}: initial u or v outside {} bits",
                    fixed.state_bits
                ),
            );
        }
        match (compartment.parent, profile.vth) {
            (Some(parent), None) => {
                let spiking_parent = core
                    .compartments
                    .get(usize::from(parent))
                    .and_then(|p| core.profiles.get(usize::from(p.profile)))
                    .is_some_and(|p| p.vth.is_some());
                if usize::from(parent) <= c || !spiking_parent {
                    errors.push(
                        id,
                        format!("compartment {c}: its parent {parent} is not a later soma"),
                    );
                }
            }
            (None, Some(_)) => {}
            _ => errors.push(
                id,
                format!("compartment {c}: a dendrite needs a parent and has no threshold; a soma neither"),
            ),
        }
    }
    for (f, format) in core.formats.iter().enumerate() {
        let [low, high] = fixed.weight_exponent;
        if !fixed.weight_bits.contains(&u32::from(format.weight_bits))
            || !(low..=high).contains(&i32::from(format.weight_exponent))
            || !fixed.index_bits.contains(&u32::from(format.index_bits))
            || u32::from(format.delay_bits) > fixed.delay_bits
        {
            errors.push(
                id,
                format!("synapse format {f}: a field outside the chip's formats"),
            );
        }
        if (1u64 << format.index_bits.min(32)) < compartments {
            errors.push(
                id,
                format!(
                    "synapse format {f}: {} index bits cannot address {compartments} compartments",
                    format.index_bits
                ),
            );
        }
    }
    let synapses = &core.synapses;
    let count = synapses.compartment.len();
    if synapses.weight.len() != count || synapses.delay.len() != count {
        errors.push(id, "synapse arrays of different lengths".into());
        return;
    }
    let mut next = 0u64;
    let mut bits = 0u64;
    for (a, axon) in core.input_axons.iter().enumerate() {
        let Some(format) = core.formats.get(usize::from(axon.format)) else {
            errors.push(
                id,
                format!("input axon {a}: no synapse format {}", axon.format),
            );
            continue;
        };
        if axon.count == 0 || u64::from(axon.first) != next {
            errors.push(
                id,
                format!("input axon {a}: its list is empty or not right after the previous one"),
            );
        }
        next = u64::from(axon.first) + u64::from(axon.count);
        bits += fixed.list_bits(format, u64::from(axon.count));
        let Some(range) = synapses
            .compartment
            .get(axon.first as usize..next as usize)
            .map(|_| axon.first as usize..next as usize)
        else {
            errors.push(
                id,
                format!("input axon {a}: its list runs past the synapses"),
            );
            continue;
        };
        let step = fixed.weight_step(format);
        let (low, high) = fixed.weight_range(format.sign);
        let max_delay = (1u64 << format.delay_bits.min(32)).min(u64::from(core.delay_slots)) as u32;
        for s in range {
            let weight = i32::from(synapses.weight[s]);
            let delay = u32::from(synapses.delay[s]);
            if u64::from(synapses.compartment[s]) >= compartments
                || !(low..=high).contains(&weight)
                || weight % step != 0
                || !(1..=max_delay).contains(&delay)
            {
                errors.push(
                    id,
                    format!(
                        "synapse {s} (input axon {a}): compartment {}, weight {weight} or delay \
                         {delay} outside its format ({:?}, weights {low}..={high} in steps of \
                         {step}, delays 1..={max_delay})",
                        synapses.compartment[s], format.sign
                    ),
                );
            }
        }
    }
    if next != count as u64 {
        errors.push(
            id,
            format!(
                "{} synapses belong to no input axon",
                count as u64 - next.min(count as u64)
            ),
        );
    }
    errors.over(
        id,
        "bits of synaptic memory",
        bits,
        limits.synapse_memory_bits,
    );
    let somas = core.compartments.len() as u32;
    check_output_axons(id, &core.output_axons, somas, axons_of, errors);
    for axon in &core.output_axons {
        let is_soma = core
            .compartments
            .get(axon.source as usize)
            .and_then(|c| core.profiles.get(usize::from(c.profile)))
            .is_some_and(|p| p.vth.is_some());
        if !is_soma {
            errors.push(
                id,
                format!(
                    "output axon from compartment {}, which does not spike",
                    axon.source
                ),
            );
            break;
        }
    }
}

fn check_output_axons(
    core: Option<CoreId>,
    axons: &[OutputAxon],
    sources: u32,
    axons_of: &CoreMap<usize>,
    errors: &mut Errors,
) {
    for (i, axon) in axons.iter().enumerate() {
        if axon.source >= sources || (i > 0 && axons[i - 1].source > axon.source) {
            errors.push(
                core,
                format!(
                    "output axon {i}: source {} missing or out of order",
                    axon.source
                ),
            );
        }
        match axons_of.get(&axon.core) {
            Some(&count) if (axon.axon as usize) < count => {}
            _ => errors.push(
                core,
                format!(
                    "output axon {i}: no input axon {} on core {}",
                    axon.axon, axon.core
                ),
            ),
        }
    }
}

fn check_slices(parts: &ProgramParts, errors: &mut Errors) {
    let cores: BTreeMap<CoreId, &CoreProgram> = parts.cores.iter().map(|c| (c.id, c)).collect();
    let mut used: BTreeMap<CoreId, Vec<bool>> = BTreeMap::new();
    let mut neurons: BTreeMap<NodeId, Vec<(u32, u32)>> = BTreeMap::new();
    for slice in &parts.slices {
        let Some(core) = cores.get(&slice.core) else {
            errors.push(
                Some(slice.core),
                format!(
                    "population {} placed on a core not in the program",
                    slice.node
                ),
            );
            continue;
        };
        let owned = used
            .entry(slice.core)
            .or_insert_with(|| vec![false; core.compartments.len()]);
        let first = u64::from(slice.first_compartment);
        let end = first + u64::from(slice.neurons.len()) * u64::from(slice.per_neuron);
        if slice.per_neuron == 0 || end > owned.len() as u64 {
            errors.push(
                Some(slice.core),
                format!(
                    "population {}: its compartments run past the core",
                    slice.node
                ),
            );
            continue;
        }
        for flag in &mut owned[first as usize..end as usize] {
            if std::mem::replace(flag, true) {
                errors.push(Some(slice.core), "two slices share a compartment".into());
                break;
            }
        }
        neurons
            .entry(slice.node)
            .or_default()
            .push((slice.neurons.start, slice.neurons.end));
    }
    for (node, mut ranges) in neurons {
        ranges.sort_unstable();
        if ranges.windows(2).any(|w| w[0].1 > w[1].0) {
            errors.push(None, format!("population {node}: a neuron placed twice"));
        }
    }
}
