//! Properties of dimension-order routing over random small systems: a route
//! walks from the source tile to the destination tile one step at a time,
//! x before y before z, as long as the Manhattan distance on each axis;
//! its chip crossings are the hops between chips; and the arithmetic
//! counts agree with the walk.

use neurc_ir::chip::{ChipSpec, CoreId, Direction, HopCounts, Mesh, hop_counts, route};
use proptest::prelude::*;

/// The loihi preset on a random small mesh (1–3 chips per axis, so routes
/// cross chip boundaries in every direction), with two cores of it.
fn spec_and_pair() -> impl Strategy<Value = (ChipSpec, CoreId, CoreId)> {
    (
        (1u32..=4, 1u32..=4),
        1u32..=4,
        (1u32..=3, 1u32..=3, 1u32..=3),
    )
        .prop_flat_map(|((tx, ty), cores_per_tile, (cx, cy, cz))| {
            let mut spec = ChipSpec::loihi();
            spec.mesh = Mesh {
                tiles: [tx, ty],
                cores_per_tile,
                chips: [cx, cy, cz],
            };
            let cores = spec.mesh.core_count() as u32;
            (Just(spec), 0..cores, 0..cores)
        })
        .prop_map(|(spec, from, to)| (spec, CoreId(from), CoreId(to)))
}

/// The global tile of a core.
fn tile(spec: &ChipSpec, core: CoreId) -> Option<[u32; 3]> {
    Some(spec.locate(core)?.global_tile(&spec.mesh))
}

/// The chip a global tile is on.
fn chip(spec: &ChipSpec, tile: [u32; 3]) -> [u32; 3] {
    [
        tile[0] / spec.mesh.tiles[0],
        tile[1] / spec.mesh.tiles[1],
        tile[2],
    ]
}

proptest! {
    #[test]
    fn hops_walk_from_source_to_destination((spec, from, to) in spec_and_pair()) {
        prop_assert!(spec.validate().is_ok());
        let route = route(&spec, from, to).unwrap();
        let (start, end) = (tile(&spec, from).unwrap(), tile(&spec, to).unwrap());
        prop_assert_eq!(route.source(), start);
        prop_assert_eq!(route.destination(), end);
        let mut at = start;
        let mut last_axis = 0;
        for hop in route.hops() {
            prop_assert_eq!(hop.from, at);
            let (axis, sign) = hop.direction.step();
            // Exactly one step along the hop's axis, none along the others.
            for other in 0..3 {
                let moved = i64::from(hop.to[other]) - i64::from(hop.from[other]);
                prop_assert_eq!(moved, if other == axis { sign } else { 0 }, "{:?}", hop);
            }
            // x hops, then y hops, then z hops.
            prop_assert!(axis >= last_axis, "{:?} after axis {}", hop, last_axis);
            last_axis = axis;
            prop_assert_eq!(hop.crosses_chip, chip(&spec, hop.from) != chip(&spec, hop.to));
            at = hop.to;
        }
        prop_assert_eq!(at, end);
        prop_assert_eq!(route.is_intra_tile(), start == end);
        prop_assert_eq!(route.hops().len(), route.hops().count());
    }

    #[test]
    fn counts_are_distances_and_crossings((spec, from, to) in spec_and_pair()) {
        let route = route(&spec, from, to).unwrap();
        let (start, end) = (tile(&spec, from).unwrap(), tile(&spec, to).unwrap());
        prop_assert_eq!(route.east_west(), start[0].abs_diff(end[0]));
        prop_assert_eq!(route.north_south(), start[1].abs_diff(end[1]));
        prop_assert_eq!(route.up_down(), start[2].abs_diff(end[2]));
        let mut walked = HopCounts::default();
        for hop in route.hops() {
            match hop.direction {
                Direction::East | Direction::West => walked.east_west += 1,
                Direction::North | Direction::South => walked.north_south += 1,
                Direction::Up | Direction::Down => walked.up_down += 1,
            }
            walked.chip_crossings += u32::from(hop.crosses_chip);
        }
        prop_assert_eq!(route.chip_crossings(), walked.chip_crossings);
        prop_assert_eq!(route.counts(), walked);
        prop_assert_eq!(hop_counts(&spec, from, to), Some(walked));
        // The way back is as long, and costs as much.
        let back = hop_counts(&spec, to, from).unwrap();
        prop_assert_eq!(back, walked);
        prop_assert_eq!(back.weighted(&spec.timing), walked.weighted(&spec.timing));
    }

    #[test]
    fn weight_prices_each_hop((spec, from, to) in spec_and_pair()) {
        let timing = &spec.timing;
        let by_hop: u64 = route(&spec, from, to)
            .unwrap()
            .hops()
            .map(|hop| {
                let link = match hop.direction {
                    Direction::East | Direction::West => timing.hop_east_west_ps,
                    _ => timing.hop_north_south_ps,
                };
                link + if hop.crosses_chip { timing.hop_between_chips_ps } else { 0 }
            })
            .sum();
        prop_assert_eq!(hop_counts(&spec, from, to).unwrap().weighted(timing), by_hop);
    }

    #[test]
    fn cores_past_the_system_have_no_route((spec, from, _to) in spec_and_pair()) {
        let past = CoreId(u32::try_from(spec.mesh.core_count()).unwrap());
        prop_assert!(route(&spec, from, past).is_none());
        prop_assert!(route(&spec, past, from).is_none());
        prop_assert!(hop_counts(&spec, past, from).is_none());
    }
}
