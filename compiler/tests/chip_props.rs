//! Properties of the chip mapping pipeline over random chip-mappable
//! networks (written as source text, compiled and expanded as `neurc
//! compile` does) and random small chip specs, checked from the program's
//! tables alone rather than from the mapper's own bookkeeping: every core
//! within every limit of the spec, every neuron placed once, every synapse
//! stored once, output axons reaching exactly the cores that hold their
//! targets along a route that ends there, quantization within each format's
//! error bound, byte-identical images for the same input, and only the
//! documented errors when mapping fails. Plain tests pin the encodings of
//! CHIP.md §a3 and §c.

use neurc_backends::chip::encode;
use neurc_compiler::lower::{Options, compile};
use neurc_compiler::passes::chip::quantize::ParameterRow;
use neurc_compiler::passes::chip::{ChipError, Mapping, map};
use neurc_compiler::passes::expand::{ExpandOptions, expand};
use neurc_compiler::render::{Style, render_text};
use neurc_ir::chip::{
    ChipProgram, ChipSpec, CoreId, CoreProgram, FixedPoint, PopulationSlice, SignMode,
    SynapseFormat, hop_counts, route,
};
use neurc_ir::{Connectivity, Network, Node, NodeId, PerSynapse, ProjId};
use proptest::prelude::*;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;
use std::path::Path;

// ---------------------------------------------------------------------------
// Generated networks
// ---------------------------------------------------------------------------

/// The step of every generated network, seconds.
const DT: f64 = 1e-4;
/// The membrane capacitance of the prelude's LifExp, farads.
const LIF_EXP_C_M: f64 = 250e-12;

/// A LifDelta or LifExp population.
#[derive(Clone, Debug)]
struct PopGen {
    exp: bool,
    size: u32,
    /// ms.
    tau_m: u32,
    /// ms (LifExp only).
    tau_syn_e: u32,
    /// ms (LifExp only).
    tau_syn_i: u32,
    /// Tenths of a ms.
    t_ref: u32,
}

/// A Poisson source.
#[derive(Clone, Debug)]
struct SourceGen {
    size: u32,
    rate_hz: u32,
}

#[derive(Clone, Debug)]
enum RuleGen {
    /// Percent.
    Bernoulli(u32),
    /// Raw draw; `k = 1 + raw % pre size`.
    Indegree(u32),
    OneToOne,
    AllToAll,
}

#[derive(Clone, Debug)]
struct WeightGen {
    /// 0..1 of the range of magnitudes.
    magnitude: f64,
    negative: bool,
    /// Relative standard deviation of a `normal(...)`, or `None` for a
    /// constant.
    normal: Option<f64>,
}

#[derive(Clone, Debug)]
struct ProjGen {
    /// Node index: populations first, then sources.
    pre: usize,
    /// Population index.
    post: usize,
    rule: RuleGen,
    weight: WeightGen,
    /// Tenths of a ms (steps).
    delay: u32,
    /// For a LifExp target: `i_syn_i` rather than `i_syn_e`.
    inhibitory: bool,
}

#[derive(Clone, Debug)]
struct NetGen {
    pops: Vec<PopGen>,
    sources: Vec<SourceGen>,
    projections: Vec<ProjGen>,
    seed: u64,
}

impl NetGen {
    fn node_name(&self, index: usize) -> String {
        if index < self.pops.len() {
            format!("p{index}")
        } else {
            format!("s{}", index - self.pops.len())
        }
    }

    fn node_size(&self, index: usize) -> u32 {
        if index < self.pops.len() {
            self.pops[index].size
        } else {
            self.sources[index - self.pops.len()].size
        }
    }

    /// The rule as written: one-to-one only between equal sizes (a
    /// Bernoulli rule otherwise), `k` within the presynaptic size.
    fn rule_text(&self, p: &ProjGen) -> String {
        let pre = self.node_size(p.pre);
        let post = self.pops[p.post].size;
        match p.rule {
            RuleGen::Bernoulli(percent) => format!("bernoulli(p = {})", f64::from(percent) / 100.0),
            RuleGen::Indegree(raw) => format!("fixed_indegree(k = {})", 1 + raw % pre),
            RuleGen::OneToOne if pre == post => "one_to_one()".into(),
            RuleGen::OneToOne => "bernoulli(p = 0.3)".into(),
            RuleGen::AllToAll => "all_to_all()".into(),
        }
    }

    fn weight_text(&self, p: &ProjGen) -> (String, &'static str) {
        let post = &self.pops[p.post];
        let (magnitude, unit, target) = if post.exp {
            (
                1.0 + 499.0 * p.weight.magnitude,
                "pA",
                if p.inhibitory { "i_syn_i" } else { "i_syn_e" },
            )
        } else {
            (0.01 + 4.99 * p.weight.magnitude, "mV", "v")
        };
        let mean = if p.weight.negative {
            -magnitude
        } else {
            magnitude
        };
        let text = match p.weight.normal {
            None => format!("{mean:.4} {unit}"),
            Some(sd) => format!("normal({mean:.4} {unit}, {:.4} {unit})", magnitude * sd),
        };
        (text, target)
    }

    fn text(&self) -> String {
        let mut s = String::new();
        for (i, p) in self.pops.iter().enumerate() {
            let model = if p.exp { "LifExp" } else { "LifDelta" };
            let _ = writeln!(s, "population p{i} = {model}[{}] {{", p.size);
            let _ = writeln!(s, "    tau_m = {} ms", p.tau_m);
            if p.exp {
                let _ = writeln!(s, "    tau_syn_e = {} ms", p.tau_syn_e);
                let _ = writeln!(s, "    tau_syn_i = {} ms", p.tau_syn_i);
            }
            let _ = writeln!(s, "    t_ref = {}.{} ms", p.t_ref / 10, p.t_ref % 10);
            let _ = writeln!(s, "}}");
        }
        for (i, src) in self.sources.iter().enumerate() {
            let _ = writeln!(
                s,
                "population s{i} = Poisson[{}] {{\n    rate = {} Hz\n}}",
                src.size, src.rate_hz
            );
        }
        for p in &self.projections {
            let (weight, target) = self.weight_text(p);
            let _ = writeln!(
                s,
                "connect {} -> p{} : {} {{\n    weight = {weight} -> {target}\n    delay = {}.{} ms\n}}",
                self.node_name(p.pre),
                p.post,
                self.rule_text(p),
                p.delay / 10,
                p.delay % 10
            );
        }
        let _ = writeln!(
            s,
            "simulate {{\n    dt = 0.1 ms\n    duration = 100 ms\n    seed = {}\n}}",
            self.seed
        );
        s
    }

    /// SI weight to v units per step of projection `k` (before the chip's
    /// scale): the exact propagator the classifier documents.
    fn factor(&self, k: usize) -> f64 {
        let p = &self.projections[k];
        let post = &self.pops[p.post];
        let a = -1.0 / (f64::from(post.tau_m) * 1e-3);
        let keep = (a * DT).exp();
        if !post.exp {
            return keep;
        }
        let tau = if p.inhibitory {
            post.tau_syn_i
        } else {
            post.tau_syn_e
        };
        let lambda = -1.0 / (f64::from(tau) * 1e-3);
        let coupled = 1.0 / LIF_EXP_C_M;
        if lambda == a {
            coupled * DT * keep
        } else {
            let e = (lambda * DT).exp();
            coupled * (e - keep) / (lambda - a)
        }
    }
}

fn arb_pop() -> impl Strategy<Value = PopGen> {
    (
        any::<bool>(),
        1u32..=150,
        5u32..=50,
        1u32..=10,
        1u32..=10,
        0u32..=30,
    )
        .prop_map(|(exp, size, tau_m, tau_syn_e, tau_syn_i, t_ref)| PopGen {
            exp,
            size,
            tau_m,
            tau_syn_e,
            tau_syn_i,
            t_ref,
        })
}

fn arb_source() -> impl Strategy<Value = SourceGen> {
    (1u32..=150, 5u32..=500).prop_map(|(size, rate_hz)| SourceGen { size, rate_hz })
}

fn arb_rule() -> impl Strategy<Value = RuleGen> {
    prop_oneof![
        (1u32..=100).prop_map(RuleGen::Bernoulli),
        any::<u32>().prop_map(RuleGen::Indegree),
        Just(RuleGen::OneToOne),
        Just(RuleGen::AllToAll),
    ]
}

fn arb_weight() -> impl Strategy<Value = WeightGen> {
    (
        0.0f64..=1.0,
        any::<bool>(),
        prop_oneof![3 => Just(None), 1 => (0.05f64..=2.0).prop_map(Some)],
    )
        .prop_map(|(magnitude, negative, normal)| WeightGen {
            magnitude,
            negative,
            normal,
        })
}

fn arb_net() -> impl Strategy<Value = NetGen> {
    (
        prop::collection::vec(arb_pop(), 1..=3),
        prop::collection::vec(arb_source(), 0..=2),
        any::<u64>(),
    )
        .prop_flat_map(|(pops, sources, seed)| {
            let nodes = pops.len() + sources.len();
            let posts = pops.len();
            let projection = (
                0..nodes,
                0..posts,
                arb_rule(),
                arb_weight(),
                1u32..=30,
                any::<bool>(),
            )
                .prop_map(|(pre, post, rule, weight, delay, inhibitory)| ProjGen {
                    pre,
                    post,
                    rule,
                    weight,
                    delay,
                    inhibitory,
                });
            (
                Just(pops),
                Just(sources),
                Just(seed),
                prop::collection::vec(projection, 1..=6),
            )
        })
        .prop_map(|(pops, sources, seed, projections)| NetGen {
            pops,
            sources,
            projections,
            seed,
        })
}

/// The loihi preset with smaller cores and a small system.
fn arb_spec() -> impl Strategy<Value = ChipSpec> {
    (
        8u32..=256,
        16u32..=1024,
        16u32..=1024,
        4096u64..=262_144,
        1u32..=32,
        prop_oneof![
            2 => Just(([8u32, 4u32], 4u32)),
            1 => ((1u32..=4, 1u32..=4), 1u32..=4).prop_map(|((x, y), c)| ([x, y], c)),
        ],
        (1u32..=2, 1u32..=2, 1u32..=2),
    )
        .prop_map(
            |(compartments, input_axons, output_axons, memory, slots, (tiles, cpt), chips)| {
                let mut spec = ChipSpec::loihi();
                spec.name = "small".into();
                spec.core.compartments = compartments;
                spec.core.input_axons = input_axons;
                spec.core.output_axons = output_axons;
                spec.core.synapse_memory_bits = memory;
                spec.core.dendritic_accumulators = compartments * slots;
                spec.mesh.tiles = tiles;
                spec.mesh.cores_per_tile = cpt;
                spec.mesh.chips = [chips.0, chips.1, chips.2];
                spec
            },
        )
        .prop_filter("valid spec", |spec| spec.validate().is_ok())
}

// ---------------------------------------------------------------------------
// Compiling
// ---------------------------------------------------------------------------

fn network(text: &str) -> Network {
    let c = compile(Path::new("props.snn"), text, &Options::default());
    match c.network {
        Some(n) => n,
        None => panic!(
            "{text}\n{}",
            render_text(&c.diagnostics, &c.sources, Style::Plain)
        ),
    }
}

fn connectivity(network: &Network) -> Connectivity {
    match expand(
        network,
        &ExpandOptions {
            threads: 1,
            max_memory_bytes: 1 << 30,
        },
    ) {
        Ok(c) => c,
        Err(error) => panic!("expansion failed: {error}"),
    }
}

// ---------------------------------------------------------------------------
// Independent checks of a mapping
// ---------------------------------------------------------------------------

/// What a stored weight adds to u, from CHIP.md §a3 and §c: `w << (6 +
/// exp)`, an arithmetic (flooring) shift right when negative.
fn effective(stored: i16, exponent: i8, fixed: &FixedPoint) -> f64 {
    let shift = fixed.weight_shift as i32 + i32::from(exponent);
    let w = i64::from(stored);
    (if shift >= 0 { w << shift } else { w >> -shift }) as f64
}

/// The spacing of effective weights of a format.
fn effective_step(format: &SynapseFormat, fixed: &FixedPoint) -> f64 {
    f64::from(fixed.weight_step(format))
        * 2f64.powi(fixed.weight_shift as i32 + i32::from(format.weight_exponent))
}

fn row<'a>(rows: &'a [ParameterRow], prefix: &str) -> &'a ParameterRow {
    match rows.iter().find(|r| r.name.starts_with(prefix)) {
        Some(r) => r,
        None => panic!("no row `{prefix}` in {rows:?}"),
    }
}

/// The network's populations and sources: name, size, whether a source.
fn nodes(network: &Network) -> BTreeMap<NodeId, (String, u32, bool)> {
    network
        .nodes()
        .filter_map(|(id, node)| match node {
            Node::Population(p) => Some((id, (p.name.clone(), p.size, false))),
            Node::Source(p) => Some((id, (p.name.clone(), p.size, true))),
            _ => None,
        })
        .collect()
}

/// Incoming projections of each node, in `network.projections()` order:
/// the order of the synapse formats of its cores.
fn incoming(network: &Network, connectivity: &Connectivity) -> HashMap<NodeId, Vec<ProjId>> {
    let mut incoming: HashMap<NodeId, Vec<ProjId>> = HashMap::new();
    for (id, _, post, _) in network.projections() {
        if connectivity.tables.contains_key(&id) {
            incoming.entry(post).or_default().push(id);
        }
    }
    incoming
}

/// One synapse as the program stores it.
#[derive(Clone, Copy, Debug)]
struct Stored {
    weight: i16,
    delay: u8,
}

/// Checks everything the program's tables say against the network, the
/// spec and the reports. `factors` gives, per projection, the SI weight's
/// factor into v units (before the population's scale), when known.
fn check_mapping(
    network: &Network,
    connectivity: &Connectivity,
    spec: &ChipSpec,
    mapping: &Mapping,
    factors: &HashMap<ProjId, f64>,
) -> Result<(), TestCaseError> {
    let program: &ChipProgram = &mapping.program;
    let fixed = &spec.fixed_point;
    let limits = &spec.core;
    let nodes = nodes(network);
    let incoming = incoming(network, connectivity);
    let projections: HashMap<ProjId, (NodeId, NodeId)> = network
        .projections()
        .map(|(id, pre, post, _)| (id, (pre, post)))
        .collect();

    // Slices: one per core, covering each population exactly once.
    let cores: BTreeMap<CoreId, &CoreProgram> = program.cores().iter().map(|c| (c.id, c)).collect();
    prop_assert_eq!(cores.len(), program.cores().len(), "duplicate core ids");
    let mut slice_of: BTreeMap<CoreId, &PopulationSlice> = BTreeMap::new();
    let mut by_population: BTreeMap<NodeId, Vec<&PopulationSlice>> = BTreeMap::new();
    for slice in program.slices() {
        prop_assert!(
            slice_of.insert(slice.core, slice).is_none(),
            "two slices on {}",
            slice.core
        );
        prop_assert!(cores.contains_key(&slice.core), "slice on unused core");
        prop_assert!(spec.locate(slice.core).is_some(), "core past the system");
        let core = cores[&slice.core];
        prop_assert_eq!(slice.first_compartment, 0);
        prop_assert!(slice.neurons.end > slice.neurons.start, "empty slice");
        prop_assert_eq!(
            core.compartments.len() as u64,
            u64::from(slice.neurons.end - slice.neurons.start) * u64::from(slice.per_neuron)
        );
        by_population.entry(slice.node).or_default().push(slice);
    }
    prop_assert_eq!(slice_of.len(), cores.len(), "a core without a slice");
    for (node, (name, size, source)) in &nodes {
        if *source {
            prop_assert!(!by_population.contains_key(node), "source on a core");
            continue;
        }
        let mut slices = by_population.get(node).cloned().unwrap_or_default();
        slices.sort_by_key(|s| s.neurons.start);
        let mut next = 0;
        for s in &slices {
            prop_assert_eq!(s.neurons.start, next, "gap or overlap in {}", name);
            next = s.neurons.end;
        }
        prop_assert_eq!(next, *size, "population {} not covered", name);
    }
    let core_of = |node: NodeId, neuron: u32| -> Option<CoreId> {
        by_population.get(&node).and_then(|slices| {
            slices
                .iter()
                .find(|s| s.neurons.start <= neuron && neuron < s.neurons.end)
                .map(|s| s.core)
        })
    };

    // Limits, recomputed from the tables, and the resource report.
    let reported: HashMap<String, _> = mapping
        .resources
        .cores
        .iter()
        .map(|c| (c.core.clone(), c.usage))
        .collect();
    for core in program.cores() {
        let compartments = core.compartments.len() as u64;
        let memory: u64 = core
            .input_axons
            .iter()
            .map(|a| fixed.list_bits(&core.formats[a.format as usize], u64::from(a.count)))
            .sum();
        let accumulators = compartments * u64::from(core.delay_slots);
        prop_assert!(compartments <= u64::from(limits.compartments));
        prop_assert!(
            memory <= limits.synapse_memory_bits,
            "{}: {} bits of synaptic memory > {}",
            core.id,
            memory,
            limits.synapse_memory_bits
        );
        prop_assert!(core.input_axons.len() as u64 <= u64::from(limits.input_axons));
        prop_assert!(core.output_axons.len() as u64 <= u64::from(limits.output_axons));
        prop_assert!(
            accumulators <= u64::from(limits.dendritic_accumulators),
            "{}: {} compartments x {} slots",
            core.id,
            compartments,
            core.delay_slots
        );
        prop_assert!(core.formats.len() as u64 <= u64::from(limits.synapse_formats));
        prop_assert!(core.profiles.len() as u64 <= u64::from(limits.compartment_profiles));
        prop_assert!(core.delay_slots <= limits.max_delay_steps);
        for &d in &core.synapses.delay {
            prop_assert!(d >= 1 && u32::from(d) <= core.delay_slots);
        }
        if let Some(usage) = reported.get(&core.id.to_string()) {
            prop_assert_eq!(usage.compartments, compartments);
            prop_assert_eq!(usage.synaptic_memory, memory);
            prop_assert_eq!(usage.input_axons, core.input_axons.len() as u64);
            prop_assert_eq!(usage.output_axons, core.output_axons.len() as u64);
            prop_assert_eq!(usage.delay_slots, accumulators);
        } else {
            prop_assert!(false, "{} missing from the resource report", core.id);
        }
        // The axons' lists partition the synapse arrays.
        let n = core.synapses.compartment.len();
        prop_assert_eq!(core.synapses.weight.len(), n);
        prop_assert_eq!(core.synapses.delay.len(), n);
        let mut lists: Vec<(u32, u32)> = core
            .input_axons
            .iter()
            .map(|a| (a.first, a.count))
            .collect();
        lists.sort_unstable();
        let mut next = 0u64;
        for (first, count) in lists {
            prop_assert_eq!(
                u64::from(first),
                next,
                "{}: lists overlap or leave gaps",
                core.id
            );
            next += u64::from(count);
        }
        prop_assert_eq!(next, n as u64);
    }

    // Who sends to each input axon, and where each source sends.
    let mut senders: HashMap<(CoreId, u32), Vec<(NodeId, u32)>> = HashMap::new();
    let mut destinations: HashMap<(NodeId, u32), BTreeSet<CoreId>> = HashMap::new();
    let mut from_core: HashMap<(NodeId, u32), CoreId> = HashMap::new();
    for core in program.cores() {
        let slice = slice_of[&core.id];
        for axon in &core.output_axons {
            prop_assert!((axon.source as usize) < core.compartments.len());
            prop_assert_eq!(
                axon.source % slice.per_neuron,
                slice.per_neuron - 1,
                "an output axon from a dendrite"
            );
            let neuron = slice.neurons.start + axon.source / slice.per_neuron;
            senders
                .entry((axon.core, axon.axon))
                .or_default()
                .push((slice.node, neuron));
            destinations
                .entry((slice.node, neuron))
                .or_default()
                .insert(axon.core);
            from_core.insert((slice.node, neuron), core.id);
        }
    }
    for input in program.inputs() {
        for axon in &input.output_axons {
            prop_assert!(axon.source < input.size);
            senders
                .entry((axon.core, axon.axon))
                .or_default()
                .push((input.node, axon.source));
            destinations
                .entry((input.node, axon.source))
                .or_default()
                .insert(axon.core);
        }
    }
    for &(core, axon) in senders.keys() {
        prop_assert!(
            cores
                .get(&core)
                .is_some_and(|c| (axon as usize) < c.input_axons.len()),
            "output axon to a missing input axon {}:{}",
            core,
            axon
        );
    }

    // The synapses the program holds, per projection and (pre, post).
    type Pairs<T> = HashMap<ProjId, BTreeMap<(u32, u32), Vec<T>>>;
    let mut got: Pairs<Stored> = HashMap::new();
    let mut formats: HashMap<ProjId, SynapseFormat> = HashMap::new();
    for core in program.cores() {
        let slice = slice_of[&core.id];
        let own = incoming.get(&slice.node).cloned().unwrap_or_default();
        for (a, axon) in core.input_axons.iter().enumerate() {
            let from = senders
                .get(&(core.id, a as u32))
                .cloned()
                .unwrap_or_default();
            prop_assert_eq!(
                from.len(),
                1,
                "input axon {}:{} has {} senders",
                core.id,
                a,
                from.len()
            );
            let (pre_node, pre) = from[0];
            let Some(&id) = own.get(axon.format as usize) else {
                return Err(TestCaseError::fail(format!(
                    "{}: format {} past the incoming projections",
                    core.id, axon.format
                )));
            };
            prop_assert_eq!(projections[&id].0, pre_node, "axon fed by the wrong node");
            let format = core.formats[axon.format as usize];
            if let Some(previous) = formats.insert(id, format) {
                prop_assert_eq!(previous.weight_bits, format.weight_bits);
                prop_assert_eq!(previous.sign, format.sign);
                prop_assert_eq!(previous.weight_exponent, format.weight_exponent);
            }
            let step = fixed.weight_step(&format);
            let (low, high) = fixed.weight_range(format.sign);
            for s in axon.first..axon.first + axon.count {
                let s = s as usize;
                let c = u32::from(core.synapses.compartment[s]);
                prop_assert!((c as usize) < core.compartments.len());
                let weight = core.synapses.weight[s];
                prop_assert!(
                    i32::from(weight) % step == 0,
                    "stored weight {} not a multiple of {}",
                    weight,
                    step
                );
                prop_assert!((low..=high).contains(&i32::from(weight)));
                let post = slice.neurons.start + c / slice.per_neuron;
                got.entry(id)
                    .or_default()
                    .entry((pre, post))
                    .or_default()
                    .push(Stored {
                        weight,
                        delay: core.synapses.delay[s],
                    });
            }
        }
    }

    // The synapses the network asks for.
    let mut want: Pairs<(f64, u16)> = HashMap::new();
    let mut targets: HashMap<(NodeId, u32), BTreeSet<CoreId>> = HashMap::new();
    for (id, pre_node, post_node, projection) in network.projections() {
        let Some(table) = connectivity.tables.get(&id) else {
            continue;
        };
        for (i, row) in table.row_offsets.windows(2).enumerate() {
            let pre = projection.pre.start + i as u32;
            for s in row[0] as usize..row[1] as usize {
                let post = table.targets[s];
                let weight = match &table.weights {
                    PerSynapse::Constant(w) => *w,
                    PerSynapse::Varying(ws) => ws[s],
                };
                let delay = match &table.delays {
                    PerSynapse::Constant(d) => *d,
                    PerSynapse::Varying(ds) => ds[s],
                };
                want.entry(id)
                    .or_default()
                    .entry((pre, post))
                    .or_default()
                    .push((weight, delay));
                if let Some(core) = core_of(post_node, post) {
                    targets.entry((pre_node, pre)).or_default().insert(core);
                }
            }
        }
    }
    let got_ids: BTreeSet<_> = got.keys().copied().collect();
    let want_ids: BTreeSet<_> = want.keys().copied().collect();
    prop_assert_eq!(got_ids, want_ids, "projections with synapses differ");
    for (id, pairs) in &want {
        let mine = &got[id];
        let got_keys: Vec<_> = mine.keys().collect();
        let want_keys: Vec<_> = pairs.keys().collect();
        prop_assert!(got_keys == want_keys, "{:?}: (pre, post) pairs differ", id);
        for (key, synapses) in pairs {
            let stored = &mine[key];
            prop_assert_eq!(
                stored.len(),
                synapses.len(),
                "{:?} {:?}: multiplicity",
                id,
                key
            );
            let mut a: Vec<u16> = stored.iter().map(|s| u16::from(s.delay)).collect();
            let mut b: Vec<u16> = synapses.iter().map(|s| s.1).collect();
            a.sort_unstable();
            b.sort_unstable();
            prop_assert_eq!(a, b, "{:?} {:?}: delays", id, key);
        }
    }

    // Routing: each source reaches exactly the cores of its targets, and
    // each route walks hop by hop to the destination's tile.
    let sources: BTreeSet<_> = destinations.keys().chain(targets.keys()).copied().collect();
    for source in sources {
        let reached = destinations.get(&source).cloned().unwrap_or_default();
        let needed = targets.get(&source).cloned().unwrap_or_default();
        prop_assert_eq!(&reached, &needed, "destinations of {:?}", source);
        let Some(&from) = from_core.get(&source) else {
            continue;
        };
        for &to in &reached {
            let Some(r) = route(spec, from, to) else {
                return Err(TestCaseError::fail(format!("no route {from} -> {to}")));
            };
            let (Some(a), Some(b)) = (spec.locate(from), spec.locate(to)) else {
                return Err(TestCaseError::fail("core past the system"));
            };
            let mut at = a.global_tile(&spec.mesh);
            let end = b.global_tile(&spec.mesh);
            prop_assert_eq!(r.source(), at);
            let mut hops = 0u32;
            for hop in r.hops() {
                prop_assert_eq!(hop.from, at);
                let moved: u32 = (0..3).map(|k| hop.from[k].abs_diff(hop.to[k])).sum();
                prop_assert_eq!(moved, 1, "a hop moves one tile");
                at = hop.to;
                hops += 1;
            }
            prop_assert_eq!(at, end, "route {} -> {} ends elsewhere", from, to);
            let counts = hop_counts(spec, from, to);
            prop_assert!(counts.is_some());
            if let Some(c) = counts {
                prop_assert_eq!(hops, c.east_west + c.north_south + c.up_down);
            }
        }
    }

    // Quantization: population rows against the program and their bounds.
    let one = f64::from(fixed.decay_one());
    let shift = f64::from(1u32 << fixed.threshold_shift);
    let reports: HashMap<&str, _> = mapping
        .quantization
        .populations
        .iter()
        .map(|p| (p.population.as_str(), p))
        .collect();
    let mut scales: HashMap<NodeId, f64> = HashMap::new();
    for (node, slices) in &by_population {
        let name = nodes[node].0.as_str();
        let Some(report) = reports.get(name) else {
            return Err(TestCaseError::fail(format!("no quantization of {name}")));
        };
        scales.insert(*node, report.scale);
        let rows = &report.parameters;
        let threshold = row(rows, "threshold above reset");
        prop_assert_eq!(threshold.effective, threshold.fixed as f64 * shift);
        let dv = row(rows, "dv:");
        prop_assert_eq!(dv.effective, dv.fixed as f64 / one);
        if dv.fixed > 0 && (dv.fixed as f64) < one - 1.0 {
            prop_assert!((dv.effective - dv.float).abs() <= 0.5 / one + 1e-12);
        }
        let bias = row(rows, "bias per step");
        for slice in slices {
            let core = cores[&slice.core];
            let per = slice.per_neuron as usize;
            prop_assert_eq!(core.profiles[0].vth, Some(threshold.fixed as u32));
            prop_assert_eq!(i64::from(core.profiles[0].dv), dv.fixed);
            for k in 0..per {
                let du = row(rows, &format!("du[{k}]"));
                prop_assert_eq!(i64::from(core.profiles[k].du), du.fixed);
                prop_assert_eq!(du.effective, (du.fixed + 1) as f64 / one);
                prop_assert!(
                    (du.effective - du.float).abs() <= 0.5 / one + 1e-12,
                    "du[{}] of {}: {} for {}",
                    k,
                    name,
                    du.effective,
                    du.float
                );
            }
            for (j, c) in core.compartments.iter().enumerate() {
                if j % per == per - 1 {
                    prop_assert_eq!(i64::from(c.bias_mantissa), bias.fixed);
                    let value = f64::from(c.bias_mantissa) * 2f64.powi(i32::from(c.bias_exponent));
                    prop_assert_eq!(value, bias.effective);
                    let (lo, hi) = fixed.bias_mantissa_range();
                    let clamped =
                        i64::from(c.bias_mantissa) == lo || i64::from(c.bias_mantissa) == hi;
                    if !clamped {
                        prop_assert!(
                            (value - bias.float).abs()
                                <= 0.5 * 2f64.powi(i32::from(c.bias_exponent)) + 1e-9,
                            "bias {} for {}",
                            value,
                            bias.float
                        );
                    }
                } else {
                    prop_assert_eq!(c.bias_mantissa, 0);
                }
            }
        }
    }

    // Quantization of weights: rows in the mapper's order (populations in
    // node order, each with its incoming projections in order).
    let mut expected_rows = Vec::new();
    for (node, (_, _, source)) in &nodes {
        if !*source {
            expected_rows.extend(incoming.get(node).cloned().unwrap_or_default());
        }
    }
    prop_assert_eq!(expected_rows.len(), mapping.quantization.projections.len());
    for (id, report) in expected_rows.iter().zip(&mapping.quantization.projections) {
        let (pre, post) = projections[id];
        let name = format!("{} -> {}", nodes[&pre].0, nodes[&post].0);
        prop_assert_eq!(&report.projection, &name);
        let Some(format) = formats.get(id) else {
            continue; // no synapses
        };
        prop_assert_eq!(report.sign_mode, format.sign);
        prop_assert_eq!(report.weight_bits, format.weight_bits);
        prop_assert_eq!(report.weight_exponent, format.weight_exponent);
        let half = effective_step(format, fixed) / 2.0;
        let table = &connectivity.tables[id];
        let synapses = &got[id];
        match (&table.weights, &report.weight) {
            (PerSynapse::Constant(w), Some(row)) => {
                let eff = effective(row.fixed as i16, format.weight_exponent, fixed);
                prop_assert_eq!(row.effective, eff);
                for list in synapses.values() {
                    for s in list {
                        prop_assert_eq!(i64::from(s.weight), row.fixed);
                    }
                }
                if let Some(f) = factors.get(id) {
                    let x = w * f * scales[&post];
                    prop_assert!(
                        (x - row.float).abs() <= 1e-9 * x.abs().max(1.0),
                        "weight in chip units {} != reported {}",
                        x,
                        row.float
                    );
                }
                if report.clipped == 0 {
                    prop_assert!(
                        (eff - row.float).abs() <= half * (1.0 + 1e-9),
                        "{}: effective weight {} for {} (half step {}, format {:?})",
                        name,
                        eff,
                        row.float,
                        half,
                        format
                    );
                }
            }
            (PerSynapse::Varying(_), None) => {
                let Some(f) = factors.get(id) else {
                    continue;
                };
                let factor = f * scales[&post];
                let mut outside = 0u64;
                for (key, list) in &want[id] {
                    let mut x: Vec<f64> = list.iter().map(|s| s.0 * factor).collect();
                    let mut e: Vec<f64> = synapses[key]
                        .iter()
                        .map(|s| effective(s.weight, format.weight_exponent, fixed))
                        .collect();
                    x.sort_by(f64::total_cmp);
                    e.sort_by(f64::total_cmp);
                    for (x, e) in x.iter().zip(&e) {
                        if (e - x).abs() > half * (1.0 + 1e-9) + 1e-9 {
                            outside += 1;
                        }
                    }
                }
                prop_assert!(
                    outside <= report.clipped,
                    "{}: {} weights beyond half a step ({}), {} reported clipped (format {:?})",
                    name,
                    outside,
                    half,
                    report.clipped,
                    format
                );
            }
            (weights, row) => {
                return Err(TestCaseError::fail(format!(
                    "{name}: weight row {row:?} for weights {}",
                    matches!(weights, PerSynapse::Constant(_))
                )));
            }
        }
    }
    Ok(())
}

/// The failures a valid network may meet: too large, or a value the
/// chip cannot hold. Never `Internal` (the mapper broke its own limits).
fn allowed_error(error: &ChipError) -> bool {
    matches!(
        error,
        ChipError::NeuronTooLarge { .. }
            | ChipError::TooManyCores { .. }
            | ChipError::PopulationValue { .. }
            | ChipError::ProjectionValue { .. }
    )
}

/// Factors of a generated network's projections, by id (projections are
/// numbered in the order they are written).
fn factors(net: &NetGen, network: &Network) -> HashMap<ProjId, f64> {
    network
        .projections()
        .enumerate()
        .map(|(k, (id, ..))| (id, net.factor(k)))
        .collect()
}

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        max_shrink_iters: 200,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config(128))]

    /// Every mapped program keeps every limit and invariant; every failure
    /// is one of the documented errors.
    #[test]
    fn mapped_programs_are_sound(net in arb_net(), spec in arb_spec(), seed in any::<u64>()) {
        let text = net.text();
        let network = network(&text);
        prop_assert_eq!(network.projections().count(), net.projections.len());
        for (k, (_, _, _, p)) in network.projections().enumerate() {
            let g = &net.projections[k];
            prop_assert_eq!(&p.name, &format!("{} -> p{}", net.node_name(g.pre), g.post));
        }
        let connectivity = connectivity(&network);
        match map(&network, &connectivity, &spec, seed) {
            Ok(mapping) => {
                check_mapping(&network, &connectivity, &spec, &mapping, &factors(&net, &network))?;
            }
            Err(error) => {
                prop_assert!(allowed_error(&error), "{:?}\n{}", error, text);
            }
        }
    }
}

proptest! {
    #![proptest_config(config(64))]

    /// The same network and spec give the same image and reports.
    #[test]
    fn mapping_is_deterministic(net in arb_net(), spec in arb_spec(), seed in any::<u64>()) {
        let network = network(&net.text());
        let connectivity = connectivity(&network);
        let first = map(&network, &connectivity, &spec, seed);
        let second = map(&network, &connectivity, &spec, seed);
        match (first, second) {
            (Ok(a), Ok(b)) => {
                prop_assert!(encode(&a.program) == encode(&b.program), "images differ");
                prop_assert_eq!(
                    serde_json::to_string(&a.quantization).ok(),
                    serde_json::to_string(&b.quantization).ok()
                );
                prop_assert_eq!(
                    serde_json::to_string(&a.resources).ok(),
                    serde_json::to_string(&b.resources).ok()
                );
            }
            (Err(a), Err(b)) => prop_assert_eq!(a, b),
            (a, b) => prop_assert!(false, "{:?} then {:?}", a.err(), b.err()),
        }
    }
}

// ---------------------------------------------------------------------------
// Encodings (CHIP.md §a3, §c)
// ---------------------------------------------------------------------------

fn format(sign: SignMode, weight_bits: u8) -> SynapseFormat {
    SynapseFormat {
        weight_bits,
        sign,
        weight_exponent: 0,
        index_bits: 6,
        delay_bits: 4,
    }
}

#[test]
fn weight_steps_follow_the_sign_mode() {
    let fixed = FixedPoint::loihi();
    assert_eq!(fixed.weight_step(&format(SignMode::Mixed, 8)), 2);
    assert_eq!(fixed.weight_step(&format(SignMode::Excitatory, 8)), 1);
    assert_eq!(fixed.weight_step(&format(SignMode::Excitatory, 6)), 4);
    assert_eq!(fixed.weight_step(&format(SignMode::Inhibitory, 8)), 1);
    assert_eq!(fixed.weight_range(SignMode::Mixed), (-256, 255));
    assert_eq!(fixed.weight_range(SignMode::Excitatory), (0, 255));
    assert_eq!(fixed.weight_range(SignMode::Inhibitory), (-255, 0));
}

#[test]
fn one_block_of_eighteen_bit_synapses() {
    let fixed = FixedPoint::loihi();
    let f = format(SignMode::Excitatory, 8); // 8 + 4 + 6 = 18 bits
    assert_eq!(fixed.synapse_bits(&f), 18);
    assert_eq!(fixed.list_bits(&f, 64), (64u64 * 18 + 10).div_ceil(64) * 64);
    assert_eq!(fixed.list_bits(&f, 64), 1216);
    assert_eq!(
        fixed.list_bits(&f, 65),
        1216 + (18u64 + 10).div_ceil(64) * 64
    );
    assert_eq!(fixed.list_bits(&f, 0), 0);
}

fn map_text(text: &str) -> (Network, Connectivity, Mapping) {
    let network = network(text);
    let connectivity = connectivity(&network);
    let mapping = match map(&network, &connectivity, &ChipSpec::loihi(), 1) {
        Ok(m) => m,
        Err(e) => panic!("{e:?}"),
    };
    (network, connectivity, mapping)
}

#[test]
fn mixed_sign_weights_are_even() {
    let (network, connectivity, mapping) = map_text(
        "population a = LifDelta[40]\n\
         population b = LifDelta[40]\n\
         connect a -> b : all_to_all() {\n    weight = normal(0.1 mV, 1 mV) -> v\n}\n",
    );
    let report = &mapping.quantization.projections[0];
    assert_eq!(report.sign_mode, SignMode::Mixed);
    let core = mapping
        .program
        .cores()
        .iter()
        .find(|c| !c.synapses.weight.is_empty())
        .expect("a core with synapses");
    assert_eq!(core.formats[0].sign, SignMode::Mixed);
    assert_eq!(core.formats[0].weight_bits, 8);
    assert!(core.synapses.weight.iter().all(|w| w % 2 == 0));
    assert!(core.synapses.weight.iter().any(|&w| w < 0));
    assert!(core.synapses.weight.iter().any(|&w| w > 0));
    check_mapping(
        &network,
        &connectivity,
        &ChipSpec::loihi(),
        &mapping,
        &HashMap::new(),
    )
    .expect("sound mapping");
}

#[test]
fn a_large_bias_takes_an_exponent() {
    // The leak pulls v 40 mV above the reset, against a 10 mV threshold:
    // about 4 · 2^20 · dv/4096 chip units per step, beyond 4095.
    let (_, _, mapping) = map_text(
        "population a = LifDelta[10] {\n    e_l = 50 mV\n}\n\
         population s = Poisson[10]\n\
         connect s -> a : one_to_one() {\n    weight = 1 mV -> v\n}\n",
    );
    let rows = &mapping.quantization.populations[0].parameters;
    let bias = row(rows, "bias per step");
    assert!(bias.float.abs() > 4095.0, "{bias:?}");
    let soma = mapping.program.cores()[0].compartments[0];
    assert!(soma.bias_exponent > 0, "{soma:?}");
    assert_eq!(i64::from(soma.bias_mantissa), bias.fixed);
    let step = 2f64.powi(i32::from(soma.bias_exponent));
    let value = f64::from(soma.bias_mantissa) * step;
    assert!(
        (value - bias.float).abs() <= step,
        "{value} for {}",
        bias.float
    );
    assert!(soma.bias_mantissa.abs() <= 4096);
    // The smallest exponent that holds it: one less would overflow.
    assert!(bias.float.abs() / (step / 2.0) > 4095.0);
}

#[test]
fn the_threshold_is_a_mantissa_shifted_by_six() {
    let (_, _, mapping) = map_text(
        "population a = LifExp[5]\n\
         population s = Poisson[5]\n\
         connect s -> a : all_to_all() {\n    weight = 20 pA -> i_syn_e\n}\n",
    );
    let rows = &mapping.quantization.populations[0].parameters;
    let threshold = row(rows, "threshold above reset");
    let vth = mapping.program.cores()[0].profiles[0].vth.expect("a soma");
    assert_eq!(threshold.fixed, i64::from(vth));
    assert_eq!(threshold.effective, f64::from(vth) * 64.0);
    assert_eq!(vth, 1 << 14);
    assert!((threshold.float - threshold.effective).abs() <= 32.0);
}

// ---------------------------------------------------------------------------
// Regressions
// ---------------------------------------------------------------------------

/// A slice never holds more compartments than the widest synapse index
/// addresses: 5,000 compartments on a Loihi 2 core (13-bit indices), and,
/// with indices cut to 10 bits, slices of at most 1,024.
#[test]
fn loihi2_cores_beyond_the_widest_index_map() {
    let network = network(
        "population a = LifDelta[5000]\n\
         population s = Poisson[2]\n\
         connect s -> a : all_to_all() {\n    weight = 1 mV -> v\n    delay = 0.1 ms\n}\n",
    );
    let connectivity = connectivity(&network);
    let mut narrow = ChipSpec::loihi2();
    narrow.fixed_point.index_bits = vec![6, 7, 8, 9, 10];
    for spec in [ChipSpec::loihi2(), narrow] {
        match map(&network, &connectivity, &spec, 1) {
            Ok(mapping) => check_mapping(&network, &connectivity, &spec, &mapping, &HashMap::new())
                .expect("sound mapping"),
            Err(error) => panic!("{error:?}"),
        }
    }
}

/// The resource report gives the synaptic memory each core stores, with
/// the index width of its own slice: 100 neurons behind 14-step delays on
/// 256-compartment cores with 1,024 accumulators are cut 73 + 27, and the
/// second core stores 6-bit indices where a full core would need 8.
#[test]
fn resource_report_counts_the_stored_synaptic_memory() {
    let network = network(
        "population a = LifDelta[100]\n\
         population s = Poisson[20]\n\
         connect s -> a : all_to_all() {\n    weight = 1 mV -> v\n    delay = 1.4 ms\n}\n",
    );
    let connectivity = connectivity(&network);
    let mut spec = ChipSpec::loihi();
    spec.core.compartments = 256;
    spec.core.dendritic_accumulators = 1024;
    let mapping = match map(&network, &connectivity, &spec, 1) {
        Ok(m) => m,
        Err(error) => panic!("{error:?}"),
    };
    assert_eq!(mapping.program.cores().len(), 2);
    for core in mapping.program.cores() {
        let stored: u64 = core
            .input_axons
            .iter()
            .map(|a| {
                spec.fixed_point
                    .list_bits(&core.formats[a.format as usize], u64::from(a.count))
            })
            .sum();
        let line = mapping
            .resources
            .cores
            .iter()
            .find(|c| c.core == core.id.to_string())
            .expect("a report line");
        assert_eq!(line.usage.synaptic_memory, stored, "{}", core.id);
    }
}

/// The sign mode is chosen from every weight, not from the sample the
/// exponent is chosen on: one inhibitory weight among 5,000 excitatory
/// ones makes the format mixed, and nothing is clipped.
#[test]
fn one_weight_of_the_other_sign_makes_the_format_mixed() {
    let mut row: Vec<&str> = vec!["1"; 5000];
    // Weights are sampled every second one here; this one is skipped.
    row[2501] = "-1";
    let text = format!(
        "population s = Poisson[1]\n\
         population a = LifDelta[5000]\n\
         connect s -> a : dense(matrix = [[{}]]) {{\n    weight = 0.1 mV -> v\n}}\n",
        row.join(", ")
    );
    let network = network(&text);
    let connectivity = connectivity(&network);
    let mapping = map(&network, &connectivity, &ChipSpec::loihi(), 1).expect("maps");
    let [projection] = mapping.quantization.projections.as_slice() else {
        panic!("one projection");
    };
    assert_eq!(projection.sign_mode, SignMode::Mixed);
    assert_eq!(projection.clipped, 0);
    assert_eq!(projection.rounded_to_zero, 0);
}
