//! Mapping onto the Loihi preset (`neurc_compiler::passes::chip::map`):
//! classification, quantization, partitioning, placement, routing and the
//! checked program, with connectivity expanded beforehand (outside the
//! timed closure).
//!
//! Two networks, each in its own group:
//!
//! - `chip_compile_brunel`: Brunel (2000) model A from
//!   `examples/brunel.snn` (12 500 neurons, 15.6 M synapses, two Poisson
//!   sources on the host);
//! - `chip_compile_synthetic`: `benches/chip_synthetic.snn`, 1 M neurons and
//!   100 M synapses (fixed in-degree 80 + 20, constant weights, 1 ms
//!   delays). One mapping takes tens of seconds; the group runs one
//!   warm-up iteration and ten samples of one iteration each, no more.
//!   `neurc compile benches/chip_synthetic.snn --target loihi -o DIR` maps
//!   the same network from the command line.

use criterion::{Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use neurc_compiler::lower::{Options, compile};
use neurc_compiler::passes::chip::map;
use neurc_compiler::passes::expand::{ExpandOptions, expand};
use neurc_ir::chip::ChipSpec;
use neurc_ir::{Connectivity, Network};
use std::cell::OnceCell;
use std::hint::black_box;
use std::path::Path;
use std::time::Duration;

/// The synthetic 1 M-neuron, 100 M-synapse network, as source text.
const SYNTHETIC: &str = include_str!("chip_synthetic.snn");

/// A network and its expanded connectivity, mapped once to check that it
/// fits.
struct Case {
    network: Network,
    connectivity: Connectivity,
}

/// Compiles a model from its source text, expands its connectivity and
/// maps it once outside the timing (it must fit, and the size of the
/// result is printed).
fn case(name: &str, path: &Path, text: &str, spec: &ChipSpec) -> Case {
    let network = compile(path, text, &Options::default())
        .network
        .unwrap_or_else(|| panic!("{} compiles", path.display()));
    let options = ExpandOptions {
        threads: 0,
        max_memory_bytes: u64::MAX,
    };
    let connectivity = expand(&network, &options).expect("the network expands");
    let mapping = map(&network, &connectivity, spec, network.simulation.seed)
        .expect("the network maps onto the chip");
    eprintln!(
        "{name}: {} synapses on {} cores of {} chips",
        connectivity.synapse_count(),
        mapping.resources.cores_used,
        mapping.resources.chips_used
    );
    Case {
        network,
        connectivity,
    }
}

/// Benchmarks `map` onto the Loihi preset in group `chip_compile_{name}`.
/// The network is built on first use, so a filter that skips the group
/// skips its (long) expansion too.
fn bench_map(c: &mut Criterion, name: &str, path: &Path, text: &str, synapses: u64, slow: bool) {
    let spec = ChipSpec::loihi();
    let built: OnceCell<Case> = OnceCell::new();
    let mut group = c.benchmark_group(format!("chip_compile_{name}"));
    group.sample_size(10);
    if slow {
        // Tens of seconds per mapping: ten samples of one iteration each
        // after a single warm-up iteration, and no more (the target time
        // is what ten of them take here, so criterion does not warn).
        group.sampling_mode(SamplingMode::Flat);
        group.warm_up_time(Duration::from_millis(1));
        group.measurement_time(Duration::from_secs(400));
    } else {
        group.measurement_time(Duration::from_secs(40));
    }
    group.throughput(Throughput::Elements(synapses));
    group.bench_function("map_loihi", |b| {
        let Case {
            network,
            connectivity,
        } = built.get_or_init(|| case(name, path, text, &spec));
        let seed = network.simulation.seed;
        b.iter(|| black_box(map(network, connectivity, &spec, seed).expect("maps")))
    });
    group.finish();
}

fn brunel(c: &mut Criterion) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/brunel.snn");
    let text = std::fs::read_to_string(&path).expect("the example is readable");
    // 12 500 neurons with in-degree 1000 + 250, and one drive synapse each.
    let synapses = 12_500 * 1_250 + 12_500;
    bench_map(c, "brunel", &path, &text, synapses, false);
}

fn synthetic(c: &mut Criterion) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../benches/chip_synthetic.snn");
    bench_map(c, "synthetic", &path, SYNTHETIC, 100_000_000, true);
}

criterion_group!(benches, brunel, synthetic);
criterion_main!(benches);
