//! Proptest generators of valid chip specs and chip programs (cargo
//! feature `testing`), for the property tests of whatever reads or writes
//! a [`ChipProgram`]: the image encoder, the emulator, the mapper.
//!
//! Every spec drawn passes [`ChipSpec::validate`], and every program is
//! built by [`ChipProgram::new`], so it passed every limit check. Programs
//! are drawn as raw choices ([`Index`]es, small numbers) that a plain
//! function turns into parts within the drawn spec's limits: that keeps
//! every draw valid by construction (the final `prop_filter_map` is only a
//! safety net) and lets proptest shrink the choices independently of the
//! limits they are scaled to.
//!
//! The programs cover what the format allows: several cores with ids
//! spread over the system, somas and dendrites (joined to a later soma),
//! shared threshold profiles, every sign mode, synapse formats of every
//! weight precision and delay width, contiguous synapse lists with weights
//! on their format's grid, output axons to any core's input axons, Poisson
//! and spike-time host sources, and population slices of one or two
//! compartments per neuron. Sizes stay small (at most 3 cores of 12
//! compartments) so that hundreds of cases run in well under a second.

use crate::chip::{
    ChipProgram, ChipSpec, Compartment, CompartmentProfile, CoreId, CoreProgram, InputAxon,
    InputSource, OutputAxon, PopulationSlice, ProgramParts, SignMode, SourceKind, SynapseFormat,
    SynapseList,
};
use crate::ids::NodeId;
use crate::network::NeuronRange;
use proptest::collection::{btree_set, vec};
use proptest::option;
use proptest::prelude::*;
use proptest::sample::Index;

/// Small specs derived from [`ChipSpec::loihi`]: a mesh of 1–4 × 1–4 tiles
/// of 1–4 cores, 1–3 × 1–3 × 1–2 chips, and per-core limits small enough
/// that a test program reaches them (4–64 compartments and axons, 512 bits
/// to 64 Kbit of synaptic memory, 1–62 delay steps, 1–8 profiles and
/// formats). The fixed-point formats are Loihi's.
pub fn arb_spec() -> impl Strategy<Value = ChipSpec> {
    let mesh = (
        (1u32..=4, 1u32..=4),
        1u32..=4,
        (1u32..=3, 1u32..=3, 1u32..=2),
    );
    let sizes = (4u32..=64, 4u32..=64, 4u32..=64, 512u64..=65_536);
    let delays = (1u32..=62, 1u32..=8, 0u32..64);
    let profiles = (1u32..=8, 1u32..=8, 1u32..=8);
    (mesh, sizes, delays, profiles).prop_map(
        |(
            ((tiles_x, tiles_y), cores_per_tile, (chips_x, chips_y, chips_z)),
            (compartments, input_axons, output_axons, synapse_memory_bits),
            (max_delay_steps, slots, extra),
            (compartment_profiles, threshold_profiles, synapse_formats),
        )| {
            let mut spec = ChipSpec::loihi();
            spec.name = "test".into();
            spec.mesh.tiles = [tiles_x, tiles_y];
            spec.mesh.cores_per_tile = cores_per_tile;
            spec.mesh.chips = [chips_x, chips_y, chips_z];
            spec.core.compartments = compartments;
            spec.core.input_axons = input_axons;
            spec.core.output_axons = output_axons;
            spec.core.synapse_memory_bits = synapse_memory_bits;
            spec.core.max_delay_steps = max_delay_steps;
            // At least one delay slot per compartment, as `validate` asks;
            // often fewer than `max_delay_steps`, so that the accumulators,
            // not the delay field, bound a core's slots.
            spec.core.dendritic_accumulators = compartments * slots + extra;
            spec.core.compartment_profiles = compartment_profiles;
            spec.core.threshold_profiles = threshold_profiles;
            spec.core.synapse_formats = synapse_formats;
            spec
        },
    )
}

/// Valid programs on an [`arb_spec`] system: 1–3 cores, host sources and
/// population slices, every part within the spec's limits.
pub fn arb_program() -> impl Strategy<Value = ChipProgram> {
    arb_parts().prop_filter_map("the parts break a limit of the spec", |parts| {
        ChipProgram::new(parts).ok()
    })
}

/// Programs like [`arb_program`]'s but busy, for the tests of executors
/// over many steps: host sources spike often within the first 200 steps,
/// reach more input axons, and axons have more synapses, so that
/// compartments spike, saturate and overflow their registers often.
pub fn arb_busy_program() -> impl Strategy<Value = ChipProgram> {
    arb_parts_of(Activity::BUSY).prop_filter_map("the parts break a limit of the spec", |parts| {
        ChipProgram::new(parts).ok()
    })
}

/// How much input a program's draws carry.
#[derive(Clone, Copy, Debug)]
struct Activity {
    /// Steps a spike-time source may list lie below this.
    last_step: u64,
    /// The most steps in one list.
    steps_per_list: usize,
    /// The most output axons of a source.
    source_axons: usize,
    /// The most synapses of an input axon.
    synapses_per_axon: usize,
}

impl Activity {
    /// [`arb_program`]'s.
    const QUIET: Activity = Activity {
        last_step: 1000,
        steps_per_list: 4,
        source_axons: 4,
        synapses_per_axon: 6,
    };

    /// [`arb_busy_program`]'s.
    const BUSY: Activity = Activity {
        last_step: 200,
        steps_per_list: 60,
        source_axons: 12,
        synapses_per_axon: 16,
    };
}

/// The parts of an [`arb_program`], before the check.
fn arb_parts() -> impl Strategy<Value = ProgramParts> {
    arb_parts_of(Activity::QUIET)
}

/// The parts of a program of this activity, before the check.
fn arb_parts_of(activity: Activity) -> impl Strategy<Value = ProgramParts> {
    let run = (1e-5f64..1e-2, any::<u64>());
    let cores = (vec(any::<Index>(), 1..=3), vec(arb_raw_core(activity), 3));
    let inputs = vec(arb_raw_input(activity), 0..=2);
    (arb_spec(), run, cores, inputs).prop_map(|(spec, (dt, seed), (ids, cores), inputs)| {
        build(spec, dt, seed, &ids, cores, inputs)
    })
}

/// A compartment profile before it is fitted to a core.
#[derive(Clone, Debug)]
struct RawProfile {
    du: u32,
    dv: u32,
    /// Which of the core's thresholds, or `None` for a dendrite profile.
    vth: Option<Index>,
    refractory_delay: u32,
}

/// A compartment before it is fitted to a core's profiles.
#[derive(Clone, Debug)]
struct RawCompartment {
    /// A dendrite if the core has dendrite profiles and a later soma.
    dendrite: bool,
    profile: Index,
    parent: Index,
    bias_mantissa: i32,
    bias_exponent: u8,
    u: i32,
    v: i32,
}

/// A synapse format before it is fitted to the spec's formats.
#[derive(Clone, Debug)]
struct RawFormat {
    weight_bits: Index,
    sign: SignMode,
    weight_exponent: Index,
    index_bits: Index,
    delay_bits: Index,
}

/// One synapse: target compartment, weight on its format's grid, delay.
type RawSynapse = (Index, Index, Index);

/// An input axon: its format, whether its list is a run (as a dense
/// projection's are: on consecutive compartments from the first
/// synapse's, all with its delay), and its synapses.
type RawAxon = (Index, bool, Vec<RawSynapse>);

/// An output axon: its source, and its destination among every input axon
/// of the program.
type RawOutput = (Index, Index);

/// A slice of a core's compartments: its population (of three), how many
/// neurons, and compartments per neuron.
type RawSlice = (Index, Index, u32);

/// A core before it is fitted to the spec.
#[derive(Clone, Debug)]
struct RawCore {
    /// The threshold mantissas its soma profiles share.
    thresholds: Vec<u32>,
    profiles: Vec<RawProfile>,
    compartments: Vec<RawCompartment>,
    formats: Vec<RawFormat>,
    delay_slots: Index,
    axons: Vec<RawAxon>,
    outputs: Vec<RawOutput>,
    slices: Vec<RawSlice>,
}

/// A host source before it is fitted to its size and the program's axons.
#[derive(Clone, Debug)]
struct RawInput {
    name: String,
    size: u32,
    kind: RawKind,
    outputs: Vec<RawOutput>,
}

#[derive(Clone, Debug)]
enum RawKind {
    /// Means of up to four neurons, cut to the source's size.
    Poisson(Vec<f64>),
    /// One shared list, or lists of up to four neurons.
    Steps { shared: bool, lists: Vec<Vec<u64>> },
}

fn arb_raw_profile() -> impl Strategy<Value = RawProfile> {
    (
        0u32..4096,
        0u32..4096,
        option::weighted(0.7, any::<Index>()),
        1u32..=63,
    )
        .prop_map(|(du, dv, vth, refractory_delay)| RawProfile {
            du,
            dv,
            vth,
            refractory_delay,
        })
}

fn arb_raw_compartment() -> impl Strategy<Value = RawCompartment> {
    let state = (1i32 << 23) - 1;
    (
        prop::bool::weighted(0.3),
        any::<Index>(),
        any::<Index>(),
        -4096i32..=4095,
        0u8..=7,
        -state..=state,
        -state..=state,
    )
        .prop_map(
            |(dendrite, profile, parent, bias_mantissa, bias_exponent, u, v)| RawCompartment {
                dendrite,
                profile,
                parent,
                bias_mantissa,
                bias_exponent,
                u,
                v,
            },
        )
}

fn arb_raw_format() -> impl Strategy<Value = RawFormat> {
    let sign = prop_oneof![
        Just(SignMode::Mixed),
        Just(SignMode::Excitatory),
        Just(SignMode::Inhibitory),
    ];
    (
        any::<Index>(),
        sign,
        any::<Index>(),
        any::<Index>(),
        any::<Index>(),
    )
        .prop_map(
            |(weight_bits, sign, weight_exponent, index_bits, delay_bits)| RawFormat {
                weight_bits,
                sign,
                weight_exponent,
                index_bits,
                delay_bits,
            },
        )
}

fn arb_raw_core(activity: Activity) -> impl Strategy<Value = RawCore> {
    let synapse = (any::<Index>(), any::<Index>(), any::<Index>());
    (
        vec(0u32..(1 << 17), 1..=3),
        vec(arb_raw_profile(), 1..=4),
        vec(arb_raw_compartment(), 1..=12),
        vec(arb_raw_format(), 1..=3),
        any::<Index>(),
        vec(
            (
                any::<Index>(),
                prop::bool::weighted(0.3),
                vec(synapse, 1..=activity.synapses_per_axon),
            ),
            0..=4,
        ),
        vec((any::<Index>(), any::<Index>()), 0..=6),
        vec((any::<Index>(), any::<Index>(), 1u32..=2), 0..=2),
    )
        .prop_map(
            |(thresholds, profiles, compartments, formats, delay_slots, axons, outputs, slices)| {
                RawCore {
                    thresholds,
                    profiles,
                    compartments,
                    formats,
                    delay_slots,
                    axons,
                    outputs,
                    slices,
                }
            },
        )
}

fn arb_raw_input(activity: Activity) -> impl Strategy<Value = RawInput> {
    let kind = prop_oneof![
        vec(0.0f64..3.0, 4).prop_map(RawKind::Poisson),
        (
            any::<bool>(),
            vec(
                btree_set(0u64..activity.last_step, 0..=activity.steps_per_list)
                    .prop_map(|s| s.into_iter().collect()),
                4
            )
        )
            .prop_map(|(shared, lists)| RawKind::Steps { shared, lists }),
    ];
    (
        "\\PC{1,8}",
        1u32..=4,
        kind,
        vec((any::<Index>(), any::<Index>()), 0..=activity.source_axons),
    )
        .prop_map(|(name, size, kind, outputs)| RawInput {
            name,
            size,
            kind,
            outputs,
        })
}

/// Fits the raw choices to the spec: every count cut to its limit, every
/// index taken modulo what it indexes.
fn build(
    spec: ChipSpec,
    dt: f64,
    seed: u64,
    ids: &[Index],
    raw_cores: Vec<RawCore>,
    raw_inputs: Vec<RawInput>,
) -> ProgramParts {
    let system = usize::try_from(spec.mesh.core_count()).unwrap_or(usize::MAX);
    let mut ids: Vec<u32> = ids
        .iter()
        .filter_map(|i| u32::try_from(i.index(system)).ok())
        .collect();
    ids.sort_unstable();
    ids.dedup();
    let mut cores: Vec<CoreProgram> = ids
        .iter()
        .zip(&raw_cores)
        .map(|(&id, raw)| build_core(&spec, CoreId(id), raw))
        .collect();
    // Every input axon of the program, for output axons to point at.
    let targets: Vec<(CoreId, u32)> = cores
        .iter()
        .flat_map(|core| (0..core.input_axons.len() as u32).map(move |a| (core.id, a)))
        .collect();
    for (core, raw) in cores.iter_mut().zip(&raw_cores) {
        let somas: Vec<u32> = (0..core.compartments.len() as u32)
            .filter(|&c| is_soma(core, c))
            .collect();
        let limit = spec.core.output_axons as usize;
        core.output_axons = output_axons(&raw.outputs, &somas, &targets, limit);
    }
    let first_node = raw_inputs.len() as u32;
    let inputs = raw_inputs
        .into_iter()
        .enumerate()
        .map(|(i, raw)| build_input(i as u32, raw, &targets))
        .collect();
    // Populations are numbered after the sources; each gets its neurons
    // in the order its slices come, so no neuron is placed twice.
    let mut placed = [0u32; 3];
    let mut slices = Vec::new();
    for (core, raw) in cores.iter().zip(&raw_cores) {
        let mut first = 0u32;
        for &(population, neurons, per_neuron) in &raw.slices {
            let room = (core.compartments.len() as u32 - first) / per_neuron;
            if room == 0 {
                break;
            }
            let count = 1 + neurons.index(room as usize) as u32;
            let p = population.index(placed.len());
            slices.push(PopulationSlice {
                node: NodeId(first_node + p as u32),
                neurons: NeuronRange::new(placed[p], placed[p] + count),
                core: core.id,
                first_compartment: first,
                per_neuron,
            });
            placed[p] += count;
            first += count * per_neuron;
        }
    }
    ProgramParts {
        spec,
        dt,
        seed,
        cores,
        inputs,
        slices,
    }
}

/// A core within the spec's limits. Profiles, formats and compartments are
/// cut to their limits first; input axons are kept while the synaptic
/// memory they take fits.
fn build_core(spec: &ChipSpec, id: CoreId, raw: &RawCore) -> CoreProgram {
    let (limits, fixed) = (&spec.core, &spec.fixed_point);
    let mut thresholds = raw.thresholds.clone();
    thresholds.truncate(limits.threshold_profiles as usize);
    let mut profiles: Vec<CompartmentProfile> = raw
        .profiles
        .iter()
        .take(limits.compartment_profiles as usize)
        .map(|p| CompartmentProfile {
            du: p.du,
            dv: p.dv,
            vth: p.vth.map(|t| thresholds[t.index(thresholds.len())]),
            refractory_delay: p.refractory_delay,
        })
        .collect();
    // Somas need a profile with a threshold.
    if profiles.iter().all(|p| p.vth.is_none()) {
        profiles[0].vth = Some(thresholds[0]);
    }
    let of_kind = |soma: bool| -> Vec<u16> {
        (0..profiles.len() as u16)
            .filter(|&p| profiles[usize::from(p)].vth.is_some() == soma)
            .collect()
    };
    let (soma_profiles, dendrite_profiles) = (of_kind(true), of_kind(false));
    let n = raw.compartments.len().min(limits.compartments as usize);
    let raw_compartments = &raw.compartments[..n];
    // The last compartment is a soma, so every dendrite has a later one.
    let dendrite: Vec<bool> = raw_compartments
        .iter()
        .enumerate()
        .map(|(c, r)| r.dendrite && c + 1 < n && !dendrite_profiles.is_empty())
        .collect();
    let compartments: Vec<Compartment> = raw_compartments
        .iter()
        .enumerate()
        .map(|(c, r)| {
            let (profile, parent) = if dendrite[c] {
                let later: Vec<u16> = (c + 1..n)
                    .filter(|&s| !dendrite[s])
                    .map(|s| s as u16)
                    .collect();
                (
                    dendrite_profiles[r.profile.index(dendrite_profiles.len())],
                    Some(later[r.parent.index(later.len())]),
                )
            } else {
                (soma_profiles[r.profile.index(soma_profiles.len())], None)
            };
            Compartment {
                profile,
                bias_mantissa: r.bias_mantissa,
                bias_exponent: r.bias_exponent,
                u: r.u,
                v: r.v,
                parent,
            }
        })
        .collect();
    let pick = |list: &[u32], i: Index| list[i.index(list.len())];
    // Only index widths that address every compartment of the core.
    let index_bits: Vec<u32> = fixed
        .index_bits
        .iter()
        .copied()
        .filter(|&b| 1u64 << b >= n as u64)
        .collect();
    let [low, high] = fixed.weight_exponent;
    let formats: Vec<SynapseFormat> = raw
        .formats
        .iter()
        .take(limits.synapse_formats as usize)
        .map(|f| SynapseFormat {
            weight_bits: pick(&fixed.weight_bits, f.weight_bits) as u8,
            sign: f.sign,
            weight_exponent: (low + f.weight_exponent.index((high - low + 1) as usize) as i32)
                as i8,
            index_bits: pick(&index_bits, f.index_bits) as u8,
            delay_bits: f.delay_bits.index(fixed.delay_bits as usize + 1) as u8,
        })
        .collect();
    let most_slots = limits
        .max_delay_steps
        .min(limits.dendritic_accumulators / n as u32);
    let delay_slots = 1 + raw.delay_slots.index(most_slots as usize) as u32;
    let mut input_axons = Vec::new();
    let mut synapses = SynapseList::default();
    let mut bits = 0;
    for (format_index, run, raw_synapses) in raw.axons.iter().take(limits.input_axons as usize) {
        let f = format_index.index(formats.len());
        let format = &formats[f];
        let raw_synapses = if *run {
            &raw_synapses[..raw_synapses.len().min(n)]
        } else {
            &raw_synapses[..]
        };
        let count = raw_synapses.len() as u32;
        bits += fixed.list_bits(format, u64::from(count));
        if bits > limits.synapse_memory_bits {
            break;
        }
        input_axons.push(InputAxon {
            format: f as u16,
            first: synapses.compartment.len() as u32,
            count,
        });
        // The weights of a format are the multiples of its step within
        // its range.
        let step = fixed.weight_step(format);
        let (low, high) = fixed.weight_range(format.sign);
        let lowest = low.div_euclid(step) + i32::from(low.rem_euclid(step) != 0);
        let highest = high.div_euclid(step);
        let max_delay = (1u32 << format.delay_bits).min(delay_slots).min(255);
        let (run_start, _, run_delay) = raw_synapses[0];
        for (i, &(compartment, weight, delay)) in raw_synapses.iter().enumerate() {
            let (compartment, delay) = if *run {
                (run_start.index(n - raw_synapses.len() + 1) + i, run_delay)
            } else {
                (compartment.index(n), delay)
            };
            synapses.compartment.push(compartment as u16);
            let k = lowest + weight.index((highest - lowest + 1) as usize) as i32;
            synapses.weight.push((k * step) as i16);
            synapses
                .delay
                .push(1 + delay.index(max_delay as usize) as u8);
        }
    }
    CoreProgram {
        id,
        profiles,
        compartments,
        formats,
        input_axons,
        synapses,
        output_axons: Vec::new(),
        delay_slots,
    }
}

/// Whether compartment `c` of the core spikes.
fn is_soma(core: &CoreProgram, c: u32) -> bool {
    let profile = core.compartments[c as usize].profile;
    core.profiles[usize::from(profile)].vth.is_some()
}

/// Output axons from `sources` to `targets`, ordered by source, at most
/// `limit`; none if there is nothing to send from or to.
fn output_axons(
    raw: &[RawOutput],
    sources: &[u32],
    targets: &[(CoreId, u32)],
    limit: usize,
) -> Vec<OutputAxon> {
    if sources.is_empty() || targets.is_empty() {
        return Vec::new();
    }
    let mut axons: Vec<OutputAxon> = raw
        .iter()
        .take(limit)
        .map(|&(source, target)| {
            let (core, axon) = targets[target.index(targets.len())];
            OutputAxon {
                source: sources[source.index(sources.len())],
                core,
                axon,
            }
        })
        .collect();
    axons.sort_by_key(|a| a.source);
    axons
}

/// Host source `i`, population `i` of the network.
fn build_input(i: u32, raw: RawInput, targets: &[(CoreId, u32)]) -> InputSource {
    let size = raw.size as usize;
    let kind = match raw.kind {
        RawKind::Poisson(mut mean_per_step) => {
            mean_per_step.truncate(size);
            SourceKind::Poisson { mean_per_step }
        }
        RawKind::Steps { shared, mut lists } => {
            lists.truncate(if shared { 1 } else { size });
            SourceKind::Steps { steps: lists }
        }
    };
    let sources: Vec<u32> = (0..raw.size).collect();
    InputSource {
        node: NodeId(i),
        name: raw.name,
        size: raw.size,
        kind,
        output_axons: output_axons(&raw.outputs, &sources, targets, usize::MAX),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;

    proptest! {
        #[test]
        fn specs_are_valid(spec in arb_spec()) {
            prop_assert_eq!(spec.validate(), Ok(()));
        }

        /// The filter of `arb_program` is only a safety net: the parts are
        /// valid by construction.
        #[test]
        fn parts_pass_the_check(parts in arb_parts()) {
            if let Err(errors) = ChipProgram::new(parts.clone()) {
                prop_assert!(false, "{errors:?}\n{parts:#?}");
            }
        }
    }

    /// The programs reach every shape the format has, not just the
    /// easiest: many cores, dendrites, synapses and routes, both kinds of
    /// source, slices.
    #[test]
    fn programs_cover_the_format() {
        let mut runner = TestRunner::deterministic();
        let strategy = arb_program();
        let mut seen = [0usize; 7];
        for _ in 0..300 {
            let program = strategy.new_tree(&mut runner).expect("a program").current();
            let cores = program.cores();
            let inputs = program.inputs();
            let shapes = [
                cores.len() > 1,
                cores
                    .iter()
                    .any(|c| c.compartments.iter().any(|k| k.parent.is_some())),
                cores.iter().any(|c| c.input_axons.len() > 1),
                cores.iter().any(|c| !c.output_axons.is_empty()),
                inputs
                    .iter()
                    .any(|i| matches!(i.kind, SourceKind::Poisson { .. })),
                inputs.iter().any(|i| {
                    matches!(i.kind, SourceKind::Steps { .. }) && !i.output_axons.is_empty()
                }),
                program.slices().len() > 1,
            ];
            for (count, shape) in seen.iter_mut().zip(shapes) {
                *count += usize::from(shape);
            }
        }
        assert!(seen.iter().all(|&n| n >= 20), "shapes seen: {seen:?}");
    }
}
