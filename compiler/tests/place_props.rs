//! Properties of the placement pass over random small systems and random
//! traffic: every slice on its own core of the system, the same placement
//! for the same seed, never a higher cost than the initial placement, the
//! error when the system is too small, and a heavy pair pulled together.

use neurc_compiler::passes::chip::place::{
    PlaceError, Placement, Traffic, initial_placement, place,
};
use neurc_ir::chip::{ChipSpec, Mesh, hop_counts};
use proptest::prelude::*;
use std::collections::HashSet;

/// The loihi preset on a small mesh.
fn spec(tiles: [u32; 2], cores_per_tile: u32, chips: [u32; 3]) -> ChipSpec {
    let mut spec = ChipSpec::loihi();
    spec.mesh = Mesh {
        tiles,
        cores_per_tile,
        chips,
    };
    spec
}

/// Random small specs: 1–3 tiles per axis, 1–4 cores per tile, 1–3 chips
/// per axis.
fn specs() -> impl Strategy<Value = ChipSpec> {
    (
        (1u32..=3, 1u32..=3),
        1u32..=4,
        (1u32..=3, 1u32..=3, 1u32..=2),
    )
        .prop_map(|((tx, ty), cpt, (cx, cy, cz))| spec([tx, ty], cpt, [cx, cy, cz]))
}

/// Traffic as CSR from `(from, to, rate)` entries.
fn traffic(slices: u32, mut entries: Vec<(u32, u32, f32)>) -> Traffic {
    entries.sort_by_key(|&(from, to, _)| (from, to));
    let mut offsets = vec![0u64; slices as usize + 1];
    for &(from, _, _) in &entries {
        offsets[from as usize + 1] += 1;
    }
    for i in 0..slices as usize {
        offsets[i + 1] += offsets[i];
    }
    Traffic {
        slices,
        offsets,
        targets: entries.iter().map(|e| e.1).collect(),
        rates: entries.iter().map(|e| e.2).collect(),
    }
}

/// A spec and traffic among up to all its cores. Rates are multiples of
/// 1/4 below 16, so that costs are sums of exactly representable products
/// and compare exactly.
fn spec_and_traffic() -> impl Strategy<Value = (ChipSpec, Traffic)> {
    specs()
        .prop_flat_map(|spec| {
            let cores = spec.mesh.core_count() as u32;
            (Just(spec), 1..=cores)
        })
        .prop_flat_map(|(spec, slices)| {
            let entry = (
                0..slices,
                0..slices,
                (0u32..64).prop_map(|r| r as f32 / 4.0),
            );
            (
                Just(spec),
                Just(slices),
                prop::collection::vec(entry, 0..=(4 * slices as usize)),
            )
        })
        .prop_map(|(spec, slices, entries)| (spec, traffic(slices, entries)))
}

/// Σ rate × route latency, from the routing module directly.
fn cost(spec: &ChipSpec, traffic: &Traffic, placement: &Placement) -> Option<f64> {
    let mut total = 0.0;
    for from in 0..traffic.slices as usize {
        for k in traffic.offsets[from] as usize..traffic.offsets[from + 1] as usize {
            let to = traffic.targets[k] as usize;
            let hops = hop_counts(spec, placement.cores[from], placement.cores[to])?;
            total += f64::from(traffic.rates[k]) * hops.weighted(&spec.timing) as f64;
        }
    }
    Some(total)
}

proptest! {
    #[test]
    fn slices_get_distinct_cores_of_the_system((spec, traffic) in spec_and_traffic(), seed: u64) {
        prop_assert!(spec.validate().is_ok());
        let placement = place(&spec, &traffic, seed).unwrap();
        prop_assert_eq!(placement.cores.len(), traffic.slices as usize);
        let distinct: HashSet<_> = placement.cores.iter().collect();
        prop_assert_eq!(distinct.len(), placement.cores.len());
        for &core in &placement.cores {
            prop_assert!(spec.locate(core).is_some(), "{} outside the system", core);
        }
        // Only as many chips as needed.
        let chips: HashSet<_> = placement.cores.iter()
            .map(|&c| spec.locate(c).unwrap().chip)
            .collect();
        prop_assert!(chips.len() as u32 <= traffic.slices.div_ceil(spec.mesh.cores_per_chip()));
    }

    #[test]
    fn same_seed_same_placement((spec, traffic) in spec_and_traffic(), seed: u64) {
        prop_assert_eq!(place(&spec, &traffic, seed), place(&spec, &traffic, seed));
    }

    #[test]
    fn improvement_never_costs_more((spec, traffic) in spec_and_traffic(), seed: u64) {
        let initial = initial_placement(&spec, traffic.slices).unwrap();
        let placed = place(&spec, &traffic, seed).unwrap();
        let (before, after) = (cost(&spec, &traffic, &initial).unwrap(), cost(&spec, &traffic, &placed).unwrap());
        prop_assert!(after <= before, "{} > {}", after, before);
        prop_assert_eq!(placed.cost(&spec, &traffic), Some(after));
        prop_assert_eq!(initial.cost(&spec, &traffic), Some(before));
    }

    #[test]
    fn too_many_slices_is_an_error(spec in specs(), extra in 1u32..10, seed: u64) {
        let cores = spec.mesh.core_count();
        let slices = cores as u32 + extra;
        let traffic = traffic(slices, Vec::new());
        prop_assert_eq!(
            place(&spec, &traffic, seed),
            Err(PlaceError::TooManySlices { slices, cores_available: cores })
        );
        prop_assert!(initial_placement(&spec, slices).is_err());
    }
}

#[test]
fn too_many_slices_says_what_to_do() {
    let spec = spec([2, 2], 4, [1, 1, 1]);
    let error = place(&spec, &traffic(17, Vec::new()), 0).unwrap_err();
    assert_eq!(
        error.to_string(),
        "17 cores needed, the system has 16; use a chip spec with more chips (--chip FILE)"
    );
}

#[test]
fn no_slices_no_cores() {
    let placement = place(&ChipSpec::loihi(), &traffic(0, Vec::new()), 1).unwrap();
    assert!(placement.cores.is_empty());
}

#[test]
fn heavy_pair_moves_closer() {
    // One chip of 4 x 4 tiles with one core each: slices 0 and 15 start
    // at opposite ends of the serpentine, six hops apart, and exchange
    // most of the traffic; the rest is a light chain along the order.
    let spec = spec([4, 4], 1, [1, 1, 1]);
    let mut entries: Vec<(u32, u32, f32)> = (0..15).map(|i| (i, i + 1, 0.01)).collect();
    entries.push((0, 15, 10.0));
    entries.push((15, 0, 10.0));
    let traffic = traffic(16, entries);
    let initial = initial_placement(&spec, 16).unwrap();
    let before = hop_counts(&spec, initial.cores[0], initial.cores[15]).unwrap();
    assert_eq!(before.east_west + before.north_south, 3);
    for seed in 0..4 {
        let placed = place(&spec, &traffic, seed).unwrap();
        assert!(
            cost(&spec, &traffic, &placed).unwrap() < cost(&spec, &traffic, &initial).unwrap(),
            "seed {seed}"
        );
        let after = hop_counts(&spec, placed.cores[0], placed.cores[15]).unwrap();
        assert!(
            after.east_west + after.north_south < 3,
            "seed {seed}: {after:?}"
        );
    }
}

/// Times a Brunel-sized input: 4,200 slices, each sending to 4,000 random
/// others (16.8 M entries). Run with `--ignored --nocapture`.
#[test]
#[ignore = "timing, not a property"]
fn brunel_sized_timing() {
    let slices = 4200u32;
    let per_slice = 4000u64;
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = || {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (state >> 33) as u32
    };
    let mut targets = Vec::with_capacity((slices as u64 * per_slice) as usize);
    let mut offsets = vec![0u64];
    for _ in 0..slices {
        let mut row: Vec<u32> = (0..per_slice).map(|_| next() % slices).collect();
        row.sort_unstable();
        targets.extend(row);
        offsets.push(targets.len() as u64);
    }
    let rates = (0..targets.len())
        .map(|i| 0.01 + (i % 7) as f32 * 0.001)
        .collect();
    let traffic = Traffic {
        slices,
        offsets,
        targets,
        rates,
    };
    let spec = ChipSpec::loihi();
    let start = std::time::Instant::now();
    let placed = place(&spec, &traffic, 42).unwrap();
    let elapsed = start.elapsed();
    let initial = initial_placement(&spec, slices).unwrap();
    println!(
        "place: {:.3} s for {} slices, {} entries; cost {:.4e} -> {:.4e}",
        elapsed.as_secs_f64(),
        slices,
        traffic.targets.len(),
        initial.cost(&spec, &traffic).unwrap(),
        placed.cost(&spec, &traffic).unwrap()
    );
}
