//! Where a spike travels between two cores: dimension-order routing on the
//! system-wide mesh of tiles (chips side by side, see
//! [`CoreLocation::global_tile`]), first along x, then y, then z. Loihi's
//! routers are deadlock-free because every packet turns in the same order,
//! and the order fixes the route: its length per axis is the Manhattan
//! distance, and it crosses one chip boundary per chip it moves on each
//! axis.
//!
//! Orientation: east is +x, north is +y, up is +z (the next chip layer).
//!
//! [`route`] describes the hops one by one, for reports and checks;
//! [`hop_counts`] gives only their counts, computed from the two ends,
//! which is what a placement pass evaluating millions of pairs needs.
//! Neither allocates.

use super::CoreId;
use super::spec::{ChipSpec, CoreLocation, Mesh, TimingTable};
use std::iter::FusedIterator;

/// Which way a hop goes on the system-wide mesh of tiles.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Direction {
    /// +x.
    East,
    /// −x.
    West,
    /// +y.
    North,
    /// −y.
    South,
    /// +z: to the chip stacked above.
    Up,
    /// −z: to the chip stacked below.
    Down,
}

impl Direction {
    /// The axis the direction moves along (0 = x, 1 = y, 2 = z) and the
    /// sign of the step.
    pub fn step(self) -> (usize, i64) {
        match self {
            Direction::East => (0, 1),
            Direction::West => (0, -1),
            Direction::North => (1, 1),
            Direction::South => (1, -1),
            Direction::Up => (2, 1),
            Direction::Down => (2, -1),
        }
    }
}

/// One link a spike crosses, between neighbouring tiles of the system-wide
/// mesh.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct Hop {
    /// The tile the hop leaves (global x, y and chip layer z).
    pub from: [u32; 3],
    /// The tile it reaches, one step away in `direction`.
    pub to: [u32; 3],
    /// Which way it goes.
    pub direction: Direction,
    /// Whether the two tiles are on different chips, where the link is
    /// slower (see [`TimingTable::hop_between_chips_ps`]).
    pub crosses_chip: bool,
}

/// How many hops of each kind a route takes.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default)]
pub struct HopCounts {
    /// Hops east or west.
    pub east_west: u32,
    /// Hops north or south.
    pub north_south: u32,
    /// Hops up or down, between stacked chips.
    pub up_down: u32,
    /// Hops whose two tiles are on different chips (every up or down hop,
    /// and the east–west and north–south hops over a chip's edge).
    pub chip_crossings: u32,
}

impl HopCounts {
    /// The latency the hops add to a spike, in picoseconds:
    /// `east_west × hop_east_west_ps + (north_south + up_down) ×
    /// hop_north_south_ps + chip_crossings × hop_between_chips_ps`.
    ///
    /// The spec has no figure for a hop between stacked chips, so an up or
    /// down hop is priced as a north–south hop (the dearer of the two
    /// in-plane links) plus, like every hop over a chip boundary, the
    /// between-chips time, which it carries as one of the `chip_crossings`.
    /// A spike that stays in its tile takes no hop and adds 0: the
    /// delivery within a tile ([`TimingTable::spike_in_tile_ps`]) is paid
    /// wherever the spike goes, so it is not part of the route.
    /// Saturates rather than overflows on absurd tables.
    pub fn weighted(&self, timing: &TimingTable) -> u64 {
        let cost = |count: u32, ps: u64| u64::from(count).saturating_mul(ps);
        cost(self.east_west, timing.hop_east_west_ps)
            .saturating_add(cost(
                self.north_south.saturating_add(self.up_down),
                timing.hop_north_south_ps,
            ))
            .saturating_add(cost(self.chip_crossings, timing.hop_between_chips_ps))
    }
}

/// The dimension-order route of a spike between two cores: x first, then
/// y, then z. It holds only its two ends; [`Route::hops`] walks it.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct Route {
    /// The source core's tile (global x, y, chip layer).
    from: [u32; 3],
    /// The destination core's tile.
    to: [u32; 3],
    /// Tiles of one chip along x and y, to tell which chip a tile is on.
    chip_tiles: [u32; 2],
}

/// The route from core `from` to core `to`, or `None` if either is past
/// the last core of the system.
pub fn route(spec: &ChipSpec, from: CoreId, to: CoreId) -> Option<Route> {
    let (source, destination) = (spec.locate(from)?, spec.locate(to)?);
    Some(Route {
        from: source.global_tile(&spec.mesh),
        to: destination.global_tile(&spec.mesh),
        chip_tiles: spec.mesh.tiles,
    })
}

/// The hop counts of the route from core `from` to core `to`, or `None` if
/// either is past the last core of the system; the same as
/// `route(..).counts()`, computed from the two cores' locations alone.
pub fn hop_counts(spec: &ChipSpec, from: CoreId, to: CoreId) -> Option<HopCounts> {
    Some(counts_between(
        &spec.mesh,
        &spec.locate(from)?,
        &spec.locate(to)?,
    ))
}

/// Per axis, the route is as long as the distance between the tiles and
/// crosses as many chip boundaries as the chips are apart, since it moves
/// monotonically along each axis in turn.
fn counts_between(mesh: &Mesh, from: &CoreLocation, to: &CoreLocation) -> HopCounts {
    let (a, b) = (from.global_tile(mesh), to.global_tile(mesh));
    let up_down = a[2].abs_diff(b[2]);
    HopCounts {
        east_west: a[0].abs_diff(b[0]),
        north_south: a[1].abs_diff(b[1]),
        up_down,
        chip_crossings: from.chip[0].abs_diff(to.chip[0])
            + from.chip[1].abs_diff(to.chip[1])
            + up_down,
    }
}

impl Route {
    /// The source core's tile on the system-wide mesh.
    pub fn source(&self) -> [u32; 3] {
        self.from
    }

    /// The destination core's tile on the system-wide mesh.
    pub fn destination(&self) -> [u32; 3] {
        self.to
    }

    /// The hops in the order the spike takes them.
    pub fn hops(&self) -> Hops {
        Hops {
            at: self.from,
            to: self.to,
            chip_tiles: self.chip_tiles,
        }
    }

    /// Hops east or west.
    pub fn east_west(&self) -> u32 {
        self.from[0].abs_diff(self.to[0])
    }

    /// Hops north or south.
    pub fn north_south(&self) -> u32 {
        self.from[1].abs_diff(self.to[1])
    }

    /// Hops up or down.
    pub fn up_down(&self) -> u32 {
        self.from[2].abs_diff(self.to[2])
    }

    /// Hops between tiles of different chips.
    pub fn chip_crossings(&self) -> u32 {
        let [tx, ty] = self.chip_tiles;
        (self.from[0] / tx).abs_diff(self.to[0] / tx)
            + (self.from[1] / ty).abs_diff(self.to[1] / ty)
            + self.up_down()
    }

    /// Whether both cores share a tile, so the spike takes no hop.
    pub fn is_intra_tile(&self) -> bool {
        self.from == self.to
    }

    /// All the counts at once.
    pub fn counts(&self) -> HopCounts {
        HopCounts {
            east_west: self.east_west(),
            north_south: self.north_south(),
            up_down: self.up_down(),
            chip_crossings: self.chip_crossings(),
        }
    }
}

/// The hops of a [`Route`], computed one at a time.
#[derive(Clone, Debug)]
pub struct Hops {
    /// The tile the next hop leaves.
    at: [u32; 3],
    /// The destination tile.
    to: [u32; 3],
    /// Tiles of one chip along x and y.
    chip_tiles: [u32; 2],
}

impl Hops {
    /// The chip a tile is on.
    fn chip(&self, tile: [u32; 3]) -> [u32; 3] {
        [
            tile[0] / self.chip_tiles[0],
            tile[1] / self.chip_tiles[1],
            tile[2],
        ]
    }

    /// Hops left.
    fn remaining(&self) -> usize {
        (0..3)
            .map(|axis| self.at[axis].abs_diff(self.to[axis]) as usize)
            .sum()
    }
}

impl Iterator for Hops {
    type Item = Hop;

    fn next(&mut self) -> Option<Hop> {
        let axis = (0..3).find(|&axis| self.at[axis] != self.to[axis])?;
        let forward = self.at[axis] < self.to[axis];
        let direction = match (axis, forward) {
            (0, true) => Direction::East,
            (0, false) => Direction::West,
            (1, true) => Direction::North,
            (1, false) => Direction::South,
            (_, true) => Direction::Up,
            (_, false) => Direction::Down,
        };
        let from = self.at;
        let mut to = from;
        // Never out of range: `to` lies strictly beyond `at` on this axis.
        to[axis] = if forward {
            from[axis] + 1
        } else {
            from[axis] - 1
        };
        self.at = to;
        Some(Hop {
            from,
            to,
            direction,
            crosses_chip: self.chip(from) != self.chip(to),
        })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self.remaining();
        (left, Some(left))
    }
}

impl ExactSizeIterator for Hops {}

impl FusedIterator for Hops {}

#[cfg(test)]
mod tests {
    use super::*;

    fn loihi_route(from: u32, to: u32) -> Route {
        route(&ChipSpec::loihi(), CoreId(from), CoreId(to)).unwrap()
    }

    #[test]
    fn cores_of_one_tile_take_no_hop() {
        for (from, to) in [(0, 0), (0, 3), (2, 1), (129, 130)] {
            let route = loihi_route(from, to);
            assert!(route.is_intra_tile(), "{from} -> {to}");
            assert_eq!(route.hops().count(), 0);
            assert_eq!(route.counts(), HopCounts::default());
            assert_eq!(route.counts().weighted(&TimingTable::loihi()), 0);
        }
    }

    #[test]
    fn next_tile_is_one_hop_east() {
        let route = loihi_route(0, 4);
        let hops: Vec<Hop> = route.hops().collect();
        assert_eq!(
            hops,
            [Hop {
                from: [0, 0, 0],
                to: [1, 0, 0],
                direction: Direction::East,
                crosses_chip: false,
            }]
        );
        assert_eq!((route.east_west(), route.north_south()), (1, 0));
        assert_eq!(route.chip_crossings(), 0);
        assert!(!route.is_intra_tile());
        // And back: one hop west.
        let back: Vec<Hop> = loihi_route(4, 0).hops().collect();
        assert_eq!(back.len(), 1);
        assert_eq!(back[0].direction, Direction::West);
        assert_eq!((back[0].from, back[0].to), ([1, 0, 0], [0, 0, 0]));
    }

    #[test]
    fn x_before_y() {
        // Core 0 is tile (0, 0); core 4 · (8 · 2 + 3) = 76 is tile (3, 2).
        let route = loihi_route(0, 76);
        let directions: Vec<Direction> = route.hops().map(|h| h.direction).collect();
        use Direction::{East, North};
        assert_eq!(directions, [East, East, East, North, North]);
        assert_eq!(route.destination(), [3, 2, 0]);
        let timing = TimingTable::loihi();
        assert_eq!(
            route.counts().weighted(&timing),
            3 * timing.hop_east_west_ps + 2 * timing.hop_north_south_ps
        );
    }

    #[test]
    fn neighbouring_chips_are_one_crossing_apart() {
        let spec = ChipSpec::loihi();
        // The last core of chip (0, 0), on tile (7, 0), and the first of
        // chip (1, 0), on tile (0, 0): one hop east over the chip's edge.
        let route = loihi_route(31, 128);
        assert_eq!(
            (route.source(), route.destination()),
            ([7, 0, 0], [8, 0, 0])
        );
        let hops: Vec<Hop> = route.hops().collect();
        assert_eq!(hops.len(), 1);
        assert!(hops[0].crosses_chip);
        assert_eq!(route.chip_crossings(), 1);
        let timing = &spec.timing;
        assert_eq!(
            hop_counts(&spec, CoreId(31), CoreId(128))
                .unwrap()
                .weighted(timing),
            timing.hop_east_west_ps + timing.hop_between_chips_ps
        );
        // From core 0 of chip (0, 0) to core 0 of chip (1, 0): eight hops
        // east, one of them over the edge.
        let route = loihi_route(0, 128);
        assert_eq!(route.east_west(), 8);
        assert_eq!(route.chip_crossings(), 1);
        let crossing: Vec<usize> = route
            .hops()
            .enumerate()
            .filter(|(_, h)| h.crosses_chip)
            .map(|(i, _)| i)
            .collect();
        assert_eq!(crossing, [7]);
    }

    #[test]
    fn stacked_chips_cost_a_north_south_hop_and_a_crossing() {
        let spec = ChipSpec::loihi2();
        let layer = spec.mesh.cores_per_chip() * spec.mesh.chips[0] * spec.mesh.chips[1];
        let route = route(&spec, CoreId(0), CoreId(layer)).unwrap();
        let hops: Vec<Hop> = route.hops().collect();
        assert_eq!(hops.len(), 1);
        assert_eq!(hops[0].direction, Direction::Up);
        assert!(hops[0].crosses_chip);
        let timing = &spec.timing;
        assert_eq!(
            route.counts().weighted(timing),
            timing.hop_north_south_ps + timing.hop_between_chips_ps
        );
    }

    #[test]
    fn cores_outside_the_system_have_no_route() {
        let spec = ChipSpec::loihi();
        let past = u32::try_from(spec.mesh.core_count()).unwrap();
        assert!(route(&spec, CoreId(0), CoreId(past)).is_none());
        assert!(route(&spec, CoreId(past), CoreId(0)).is_none());
        assert!(hop_counts(&spec, CoreId(past), CoreId(0)).is_none());
        assert!(route(&spec, CoreId(past - 1), CoreId(0)).is_some());
    }

    #[test]
    fn iterator_knows_its_length() {
        let mut hops = loihi_route(0, 76).hops();
        assert_eq!(hops.len(), 5);
        hops.next();
        assert_eq!(hops.len(), 4);
        assert_eq!(hops.by_ref().count(), 4);
        assert_eq!(hops.next(), None);
    }
}
