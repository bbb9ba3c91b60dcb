//! Connectivity expansion of the Brunel (2000) network, model A at NEST's
//! `brunel_delta_nest.py` scale: 10 000 excitatory and 2 500 inhibitory
//! neurons, each receiving exactly 1 000 excitatory and 250 inhibitory
//! synapses (`fixed_indegree`, with NEST's defaults of autapses and
//! multapses allowed), J = 0.1 mV, g = 5, D = 1.5 ms, dt = 0.1 ms:
//! 15.625 M synapses.
//!
//! Reports synapses per second (criterion throughput) for 1 and 2 threads,
//! and prints once the heap bytes the tables hold per synapse.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use neurc_compiler::passes::expand::{ExpandOptions, expand};
use neurc_ir::{
    Distribution, Dynamics, Edge, Method, ModelId, Network, NeuronModel, NeuronRange, Node,
    Population, Projection, Rule, Simulation, StateDecl, SynapticTarget, units::Dimension,
};

/// Excitatory neurons.
const NE: u32 = 10_000;
/// Inhibitory neurons.
const NI: u32 = 2_500;
/// Excitatory in-degree.
const CE: u32 = 1_000;
/// Inhibitory in-degree.
const CI: u32 = 250;

/// The Brunel network's populations and projections (the model's dynamics
/// do not matter to the expansion).
fn brunel() -> Network {
    let mut network = Network {
        models: vec![NeuronModel {
            name: "iaf_psc_delta".into(),
            params: Vec::new(),
            state: vec![StateDecl {
                name: "v".into(),
                dimension: Dimension::VOLTAGE,
                init: Distribution::Constant(0.0),
            }],
            inputs: Vec::new(),
            dynamics: Dynamics::None,
            method: Method::Auto,
            spike: None,
            reset: Vec::new(),
            refractory: None,
        }],
        simulation: Simulation {
            dt: 1e-4,
            duration: 1.0,
            seed: 1234,
        },
        ..Network::default()
    };
    let mut population = |name: &str, size: u32| {
        network.graph.add_node(Node::Population(Population {
            name: name.into(),
            model: ModelId(0),
            size,
            params: Vec::new(),
            init: vec![Distribution::Constant(0.0)],
            positions: None,
        }))
    };
    let (exc, inh) = (population("exc", NE), population("inh", NI));
    let j = 0.1e-3;
    for (pre, pre_name, k, weight) in [(exc, "exc", CE, j), (inh, "inh", CI, -5.0 * j)] {
        for (post, post_name, size) in [(exc, "exc", NE), (inh, "inh", NI)] {
            let pre_size = if pre == exc { NE } else { NI };
            let projection = Projection {
                name: format!("{pre_name} -> {post_name}"),
                pre: NeuronRange::new(0, pre_size),
                post: NeuronRange::new(0, size),
                rule: Rule::FixedIndegree { k },
                weight: Distribution::Constant(weight),
                target: SynapticTarget::State(0),
                delay: Distribution::Constant(1.5e-3),
                autapses: true,
                multapses: true,
                chip_weights: None,
            };
            network
                .graph
                .add_edge(pre, post, Edge::Projection(projection));
        }
    }
    network
}

fn expansion(c: &mut Criterion) {
    let network = brunel();
    let synapses = u64::from(NE + NI) * u64::from(CE + CI);
    let options = |threads| ExpandOptions {
        threads,
        max_memory_bytes: u64::MAX,
    };
    let connectivity = expand(&network, &options(2)).expect("the Brunel network expands");
    assert_eq!(connectivity.synapse_count(), synapses);
    eprintln!(
        "brunel: {synapses} synapses, {:.3} bytes per synapse held",
        connectivity.heap_bytes() as f64 / synapses as f64
    );
    drop(connectivity);

    let mut group = c.benchmark_group("expand_brunel");
    group.throughput(Throughput::Elements(synapses));
    group.sample_size(20);
    for threads in [1, 2] {
        group.bench_function(format!("{threads}_threads"), |b| {
            b.iter(|| expand(&network, &options(threads)).expect("the Brunel network expands"))
        });
    }
    group.finish();
}

criterion_group!(benches, expansion);
criterion_main!(benches);
