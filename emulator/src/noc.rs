//! The network-on-chip: where the cores in use sit on the system-wide mesh
//! of tiles, what a spike message costs in hops and latency on its
//! dimension-order route, how many messages each link carries in a step,
//! and what the end-of-step barrier costs.
//!
//! Link loads are counted with difference arrays: a route along x, then y,
//! then z is three straight runs, and a run adds one to a contiguous range
//! of links, so a message costs six array updates whatever its length, and
//! the loads of every link come out of one prefix sum per step. The runs
//! along x of one sender's messages all start at its tile, so that end is
//! added once per sender, leaving five updates per message. A route never
//! leaves the bounding box of its two ends, so the arrays cover only the
//! box of the tiles in use.
//!
//! A hop is a message carried by a link, so the step's hops of each kind
//! are read off the same loads, not counted per message: the loads of the
//! links along each axis, and of the links between two chips.

use neurc_ir::chip::{ChipSpec, CoreId, HopCounts, TimingTable};

/// The geometry of the cores in use, and the per-message timing constants.
#[derive(Clone, Debug)]
pub(crate) struct Mesh {
    /// Per core in use, its tile within the bounding box (x, y, chip layer z).
    tiles: Vec<[u32; 3]>,
    /// Per axis, per tile coordinate along it within the box, the
    /// coordinate of the tile's chip in the system.
    chip_of: [Vec<u32>; 3],
    /// The bounding box's size in tiles along x, y and z.
    dims: [u32; 3],
    timing: TimingTable,
}

/// The trips from one sending core, their latencies tabled by the
/// receiving tile's coordinate along each axis. A dimension-order route's
/// latency is a sum of one term per axis, its hops along the axis and the
/// chip boundaries they cross, plus the delivery within the tile; three
/// tables as long as the box's sides give every trip's.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Departure {
    /// The sender's tile within the box.
    pub(crate) from: [u32; 3],
    /// Per axis, per coordinate; the delivery within the tile is in x's.
    latencies: [Vec<u64>; 3],
    /// Where the sender's row of links along x starts in the loads.
    row: usize,
    /// The messages carried east and west since the departure, whose runs
    /// along x start at the sender (see [`Mesh::settle`]).
    east: i32,
    west: i32,
}

impl Departure {
    /// The latency of the trip to the tile `to`, from leaving the sender
    /// to reaching the receiving core.
    #[inline]
    pub(crate) fn latency_ps(&self, to: [u32; 3]) -> u64 {
        self.latencies[0][to[0] as usize]
            .saturating_add(self.latencies[1][to[1] as usize])
            .saturating_add(self.latencies[2][to[2] as usize])
    }
}

/// What the links carried in a step.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Traffic {
    /// The most messages one directed link carried.
    pub(crate) busiest: u32,
    /// Hops east or west, north or south, and up or down.
    pub(crate) hops: [u64; 3],
    /// Hops between two chips.
    pub(crate) chip_crossings: u64,
}

impl Mesh {
    /// The mesh of `cores` (ids of the cores in use, in order), which the
    /// program check has placed inside `spec`'s system.
    pub(crate) fn new(spec: &ChipSpec, cores: &[CoreId]) -> Mesh {
        let located: Vec<_> = cores
            .iter()
            .map(|&id| spec.locate(id).unwrap_or_else(|| unreachable_core(id)))
            .collect();
        let global: Vec<[u32; 3]> = located.iter().map(|l| l.global_tile(&spec.mesh)).collect();
        let low = fold(&global, u32::MAX, u32::min);
        let high = fold(&global, 0, u32::max);
        let dims = std::array::from_fn(|a| {
            if global.is_empty() {
                1
            } else {
                high[a] - low[a] + 1
            }
        });
        // Global tile coordinates are the chip's times its tiles along x
        // and y, plus the tile's; along z, the chip's.
        let per_chip = [spec.mesh.tiles[0], spec.mesh.tiles[1], 1];
        Mesh {
            tiles: global
                .iter()
                .map(|t| std::array::from_fn(|a| t[a] - low[a]))
                .collect(),
            chip_of: std::array::from_fn(|a| {
                (0..dims[a]).map(|c| (low[a] + c) / per_chip[a]).collect()
            }),
            dims,
            timing: spec.timing.clone(),
        }
    }

    /// Core `core`'s tile (an index of cores in use) within the box.
    #[inline]
    pub(crate) fn tile(&self, core: usize) -> [u32; 3] {
        self.tiles[core]
    }

    /// Fills `departure` with the trips from core `from`, each axis's
    /// hops and chip crossings priced as [`HopCounts::weighted`] prices
    /// them.
    pub(crate) fn depart(&self, from: usize, departure: &mut Departure) {
        let a = self.tiles[from];
        for (axis, latencies) in departure.latencies.iter_mut().enumerate() {
            let chips = &self.chip_of[axis];
            let chip_a = chips[a[axis] as usize];
            latencies.clear();
            latencies.extend((0..self.dims[axis]).map(|b| {
                let along = a[axis].abs_diff(b);
                let hops = HopCounts {
                    east_west: if axis == 0 { along } else { 0 },
                    north_south: if axis == 1 { along } else { 0 },
                    up_down: if axis == 2 { along } else { 0 },
                    chip_crossings: chip_a.abs_diff(chips[b as usize]),
                };
                hops.weighted(&self.timing)
            }));
        }
        for latency in &mut departure.latencies[0] {
            *latency = latency.saturating_add(self.timing.spike_in_tile_ps);
        }
        debug_assert_eq!(
            (departure.east, departure.west),
            (0, 0),
            "the previous sender's messages were settled"
        );
        departure.from = a;
        departure.row = LinkLoads::row(self.dims, a);
    }

    /// Adds the links of a message from `departure`'s sender to tile `to`
    /// to `loads`, but for the ends of the runs along x at the sender,
    /// which [`Mesh::settle`] adds for all the sender's messages at once.
    #[inline]
    pub(crate) fn carry(&self, departure: &mut Departure, to: [u32; 3], loads: &mut LinkLoads) {
        loads.add(self.dims, departure, to);
    }

    /// Adds the ends at the sender of the runs along x of the messages
    /// carried since `departure`, and forgets them.
    #[inline]
    pub(crate) fn settle(&self, departure: &mut Departure, loads: &mut LinkLoads) {
        loads.settle(departure);
    }

    /// What `loads` carried, which are then cleared for the next step.
    pub(crate) fn take_traffic(&self, loads: &mut LinkLoads) -> Traffic {
        let mut traffic = Traffic::default();
        let mut busiest = 0;
        for (direction, runs) in loads.runs.iter_mut().enumerate() {
            let axis = direction / 2;
            let chips = &self.chip_of[axis];
            for line in runs.chunks_mut(self.dims[axis] as usize + 1) {
                let mut load = 0i64;
                for (i, d) in line.iter_mut().enumerate() {
                    load += i64::from(*d);
                    *d = 0;
                    if load == 0 {
                        continue;
                    }
                    busiest = busiest.max(load);
                    // The link from tile i to tile i + 1 along the axis.
                    let carried = load.unsigned_abs();
                    traffic.hops[axis] += carried;
                    if chips.get(i) != chips.get(i + 1) {
                        traffic.chip_crossings += carried;
                    }
                }
            }
        }
        traffic.busiest = u32::try_from(busiest).unwrap_or(u32::MAX);
        traffic
    }

    /// The size of the bounding box of the tiles in use.
    pub(crate) fn dims(&self) -> [u32; 3] {
        self.dims
    }
}

/// The program check places every core inside its system.
fn unreachable_core(id: CoreId) -> ! {
    unreachable!("core {id} is outside its system, which the program check refuses")
}

fn fold(points: &[[u32; 3]], start: u32, f: fn(u32, u32) -> u32) -> [u32; 3] {
    points.iter().fold([start; 3], |acc, p| {
        std::array::from_fn(|a| f(acc[a], p[a]))
    })
}

/// Messages per directed link in one step, as difference arrays over the
/// runs of every route (see the module's documentation).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct LinkLoads {
    /// Per direction (east, west, north, south, up, down), per line of
    /// tiles along the direction's axis, `length + 1` differences.
    runs: [Vec<i32>; 6],
}

impl LinkLoads {
    /// Empty loads for a box of `dims` tiles.
    pub(crate) fn new(dims: [u32; 3]) -> LinkLoads {
        let [x, y, z] = dims.map(|d| d as usize);
        let along = |axis_len: usize, lines: usize| vec![0; (axis_len + 1) * lines];
        LinkLoads {
            runs: [
                along(x, y * z),
                along(x, y * z),
                along(y, x * z),
                along(y, x * z),
                along(z, x * y),
                along(z, x * y),
            ],
        }
    }

    /// Where the row of links along x through tile `a` starts.
    fn row(dims: [u32; 3], a: [u32; 3]) -> usize {
        let [dx, dy, _] = dims.map(|d| d as usize);
        let [_, ay, az] = a.map(|c| c as usize);
        (az * dy + ay) * (dx + 1)
    }

    /// Adds the route from `departure`'s sender at tile `a` to tile `b`:
    /// along x on `a`'s row (its end at `a` counted in `departure`), along
    /// y on the column at `b`'s x, along z at `b`'s x and y.
    #[inline]
    fn add(&mut self, dims: [u32; 3], departure: &mut Departure, b: [u32; 3]) {
        let [dx, dy, dz] = dims.map(|d| d as usize);
        let [ax, ay, az] = departure.from.map(|c| c as usize);
        let [bx, by, bz] = b.map(|c| c as usize);
        if bx > ax {
            departure.east += 1;
            self.runs[0][departure.row + bx] -= 1;
        } else if bx < ax {
            departure.west += 1;
            self.runs[1][departure.row + bx] += 1;
        }
        let column = (az * dx + bx) * (dy + 1);
        self.run(2, column, ay, by);
        let pillar = (by * dx + bx) * (dz + 1);
        self.run(4, pillar, az, bz);
    }

    /// Adds the ends at `departure`'s sender of the runs along x it has
    /// counted, and forgets them.
    #[inline]
    fn settle(&mut self, departure: &mut Departure) {
        let at = departure.row + departure.from[0] as usize;
        self.runs[0][at] += std::mem::take(&mut departure.east);
        self.runs[1][at] -= std::mem::take(&mut departure.west);
    }

    /// One straight run from `from` to `to` on the line starting at
    /// `line`, in the positive direction `positive` or the one after it.
    #[inline]
    fn run(&mut self, positive: usize, line: usize, from: usize, to: usize) {
        if from == to {
            return;
        }
        let (direction, low, high) = if from < to {
            (positive, from, to)
        } else {
            (positive + 1, to, from)
        };
        let runs = &mut self.runs[direction];
        runs[line + low] += 1;
        runs[line + high] -= 1;
    }

    /// Adds another thread's loads of the same step.
    pub(crate) fn merge(&mut self, other: &LinkLoads) {
        for (mine, theirs) in self.runs.iter_mut().zip(&other.runs) {
            for (m, t) in mine.iter_mut().zip(theirs) {
                *m += t;
            }
        }
    }

    /// Forgets the loads.
    pub(crate) fn clear(&mut self) {
        for runs in &mut self.runs {
            runs.fill(0);
        }
    }
}

/// The end-of-step barrier's duration for a system whose busiest chip has
/// `tiles` tiles in use and whose chips in use span `chip_span` chip-to-chip
/// hops (the sum over the axes of the extent of the chips in use).
///
/// Within a chip: the published points (D18 Table 2: 113 ns for 1 tile,
/// 465 ns for 32) joined by straight lines in the number of tiles, the
/// last segment extended beyond the last point and the first value kept
/// below the first. Between chips: the barrier crosses the system once
/// from end to end, one `hop_between_chips_ps` per chip boundary. With the
/// Loihi preset this gives 13.7 µs for Pohoiki Springs' 4 × 64-chip column
/// and 15.3 µs for all 12 × 64 chips, against the 14.3 and 16.2 µs
/// measured by Frady et al. 2020 (CHIP.md §a6).
pub(crate) fn barrier_ps(timing: &TimingTable, tiles: u32, chip_span: u32) -> u64 {
    let points = &timing.barrier;
    let on_chip = match points.iter().position(|p| p.tiles >= tiles) {
        Some(0) => points[0].time_ps,
        Some(i) => interpolate(points[i - 1], points[i], tiles),
        None if points.len() >= 2 => {
            interpolate(points[points.len() - 2], points[points.len() - 1], tiles)
        }
        None => points.last().map_or(0, |p| p.time_ps),
    };
    on_chip.saturating_add(u64::from(chip_span).saturating_mul(timing.hop_between_chips_ps))
}

/// The line through `a` and `b` at `tiles`, rounded down, never negative.
fn interpolate(
    a: neurc_ir::chip::BarrierPoint,
    b: neurc_ir::chip::BarrierPoint,
    tiles: u32,
) -> u64 {
    let (x0, x1, x) = (i128::from(a.tiles), i128::from(b.tiles), i128::from(tiles));
    let (y0, y1) = (i128::from(a.time_ps), i128::from(b.time_ps));
    let y = y0 + ((y1 - y0) * (x - x0)).div_euclid(x1 - x0);
    u64::try_from(y.max(0)).unwrap_or(u64::MAX)
}

/// The time one link needs per spike at the spec's cross-sectional
/// bandwidth, in whole picoseconds (at least 1).
pub(crate) fn spike_interval_ps(timing: &TimingTable) -> u64 {
    ((1e12 / timing.tile_spike_bandwidth_per_s).round() as u64).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use neurc_ir::chip::hop_counts;

    fn small_system() -> ChipSpec {
        let mut spec = ChipSpec::loihi();
        spec.mesh.tiles = [3, 2];
        spec.mesh.cores_per_tile = 2;
        spec.mesh.chips = [2, 2, 2];
        spec
    }

    /// Every core of the system, and those off its first row and column
    /// of tiles, whose box starts away from the system's corner (and so
    /// away from a chip's edge).
    fn core_sets(spec: &ChipSpec) -> [Vec<CoreId>; 2] {
        let all: Vec<CoreId> = (0..spec.mesh.core_count() as u32).map(CoreId).collect();
        let inner = all
            .iter()
            .copied()
            .filter(|&id| {
                let tile = spec
                    .locate(id)
                    .expect("in the system")
                    .global_tile(&spec.mesh);
                tile[0] >= 1 && tile[1] >= 1
            })
            .collect();
        [all, inner]
    }

    #[test]
    fn trips_equal_the_routes_of_the_ir() {
        let spec = small_system();
        for ids in core_sets(&spec) {
            let mesh = Mesh::new(&spec, &ids);
            let mut loads = LinkLoads::new(mesh.dims());
            let mut departure = Departure::default();
            for (i, &a) in ids.iter().enumerate() {
                mesh.depart(i, &mut departure);
                for (j, &b) in ids.iter().enumerate() {
                    let expected = hop_counts(&spec, a, b).expect("in the system");
                    let to = mesh.tile(j);
                    assert_eq!(
                        departure.latency_ps(to),
                        spec.timing.spike_in_tile_ps + expected.weighted(&spec.timing),
                        "{a} to {b}"
                    );
                    mesh.carry(&mut departure, to, &mut loads);
                    mesh.settle(&mut departure, &mut loads);
                    let traffic = mesh.take_traffic(&mut loads);
                    let hops = [expected.east_west, expected.north_south, expected.up_down];
                    assert_eq!(traffic.hops, hops.map(u64::from), "{a} to {b}");
                    assert_eq!(traffic.chip_crossings, u64::from(expected.chip_crossings));
                    assert_eq!(traffic.busiest, u32::from(hops != [0; 3]));
                }
            }
        }
    }

    #[test]
    fn link_loads_equal_the_routes_walked_hop_by_hop() {
        use neurc_ir::chip::Direction;
        let spec = small_system();
        let mut hops_of_both = [0; 3];
        for ids in core_sets(&spec) {
            let mesh = Mesh::new(&spec, &ids);
            let mut loads = LinkLoads::new(mesh.dims());
            let mut walked = std::collections::HashMap::new();
            let mut hops = [0u64; 3];
            let mut chip_crossings = 0;
            let mut departure = Departure::default();
            // A deterministic scatter of senders, each sending to three
            // cores, some pairs repeated.
            let n = ids.len();
            for k in 0..200usize {
                let i = (k * 7) % n;
                mesh.depart(i, &mut departure);
                for j in [(k * k + 3) % n, (k * 5 + 1) % n, (k * 11) % n] {
                    mesh.carry(&mut departure, mesh.tile(j), &mut loads);
                    let route =
                        neurc_ir::chip::route(&spec, ids[i], ids[j]).expect("in the system");
                    for hop in route.hops() {
                        *walked.entry((hop.from, hop.to)).or_insert(0u32) += 1;
                        let axis = match hop.direction {
                            Direction::East | Direction::West => 0,
                            Direction::North | Direction::South => 1,
                            Direction::Up | Direction::Down => 2,
                        };
                        hops[axis] += 1;
                        chip_crossings += u64::from(hop.crosses_chip);
                    }
                }
                mesh.settle(&mut departure, &mut loads);
            }
            let traffic = mesh.take_traffic(&mut loads);
            assert_eq!(traffic.busiest, walked.values().copied().max().unwrap_or(0));
            assert_eq!(traffic.hops, hops);
            assert_eq!(traffic.chip_crossings, chip_crossings);
            assert!(chip_crossings > 0, "the pairs cross chips");
            for (all, these) in hops_of_both.iter_mut().zip(hops) {
                *all += these;
            }
            assert_eq!(
                mesh.take_traffic(&mut loads),
                Traffic::default(),
                "taking clears the loads"
            );
        }
        assert!(hops_of_both.iter().all(|&h| h > 0), "hops along every axis");
    }

    #[test]
    fn barrier_follows_the_published_points() {
        let timing = TimingTable::loihi();
        assert_eq!(barrier_ps(&timing, 1, 0), 113_000);
        assert_eq!(barrier_ps(&timing, 32, 0), 465_000);
        // 113 + (465 − 113)·(16 − 1)/31 ns.
        assert_eq!(barrier_ps(&timing, 16, 0), 113_000 + 352_000 * 15 / 31);
        assert_eq!(barrier_ps(&timing, 32, 3), 465_000 + 3 * 200_000);
        assert!(barrier_ps(&timing, 64, 0) > 465_000);
    }

    #[test]
    fn a_link_carries_a_spike_per_bandwidth_interval() {
        // 3.44 Gspike/s: 290.7 ps per spike.
        assert_eq!(spike_interval_ps(&TimingTable::loihi()), 291);
    }
}
