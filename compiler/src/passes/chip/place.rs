//! Placement: which physical core runs each core-sized slice of a network,
//! so that spikes travel short routes.
//!
//! **Objective**: the sum, over every traffic entry, of its rate times the
//! latency of the dimension-order route between the two slices' cores
//! ([`HopCounts::weighted`] with the spec's timing table). Spikes within a
//! tile cost nothing, on Loihi a hop between chips costs as much as fifty
//! within one, so the objective mostly counts chip crossings, then tile hops.
//! Routes are as long both ways, so the cost of a pair of slices does not
//! depend on which of them sends.
//!
//! **Algorithm**, deterministic for given inputs and seed, single-threaded:
//!
//! 1. *Chips.* A network of `n` slices needs `⌈n / cores per chip⌉` chips.
//!    They are taken from a block of chips at chip (0, 0, 0), the block
//!    with the shortest diagonal route (then the fewest chips) among those
//!    that hold them, so that no two chips in use are far apart; the
//!    chips are the first ones of the block in serpentine order.
//! 2. *Initial placement.* The cores of those chips are ordered so that
//!    neighbours in the order are neighbours on the mesh: core by core
//!    within a tile, tiles in serpentine (boustrophedon) order within a
//!    chip, chips in serpentine order within the block. Slice `i` goes to
//!    the `i`-th core. Slices of one population are consecutive, so a
//!    population lands on one compact patch of tiles.
//! 3. *Improvement.* A greedy local search over a fixed number of
//!    proposals, drawn from a xoshiro256++ stream seeded with `seed`: move
//!    a random slice to a random core (half the time anywhere among the
//!    chosen chips' cores, half the time near the core of one of its
//!    traffic partners), swapping with the slice there if the core is
//!    taken. A proposal is kept only if it lowers the cost. Its cost
//!    change is computed from the outgoing and incoming traffic of the
//!    two slices alone (a reverse CSR is built once for the incoming
//!    side). Moves that change nothing are refused, so slices without
//!    traffic keep the orderly layout of step 2.
//!
//! **Budget.** The number of proposals depends on the input only, never on
//! time or threads: [`PROPOSALS_PER_SLICE`] per slice, but no more than
//! [`WORK_BUDGET`] traffic entries visited in all, counting a proposal as
//! twice the average number of entries (outgoing and incoming) of a slice,
//! and never fewer than one per slice. A Brunel-sized input (4,200 slices, 17 M entries) thus gets some 12,000
//! proposals and takes about a second; small networks get hundreds of
//! proposals per slice.

use neurc_ir::chip::{ChipSpec, CoreId, HopCounts, Mesh, TimingTable};
use rand_core::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use thiserror::Error;

/// Proposals per slice when the traffic is light.
pub const PROPOSALS_PER_SLICE: u64 = 256;

/// Traffic entries the improvement may visit in all, which bounds its time
/// on dense traffic (a few nanoseconds per entry).
pub const WORK_BUDGET: u64 = 200_000_000;

/// Expected spike traffic between the core-sized slices of a network.
#[derive(Clone, PartialEq, Debug, Default)]
pub struct Traffic {
    /// Number of slices (logical cores), numbered 0..slices.
    pub slices: u32,
    /// Where the messages of each slice start in `targets` and `rates`:
    /// the messages of slice `i` are `offsets[i]..offsets[i + 1]`, so there
    /// are `slices + 1` offsets, from 0 to `targets.len()`.
    pub offsets: Vec<u64>,
    /// The slice each message goes to.
    pub targets: Vec<u32>,
    /// Spikes per step of each message: finite and not negative.
    pub rates: Vec<f32>,
}

/// The physical core of each slice.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Placement {
    /// `cores[i]` runs slice `i`; no core runs two slices.
    pub cores: Vec<CoreId>,
}

/// Why slices could not be placed.
#[derive(Clone, PartialEq, Debug, Error)]
pub enum PlaceError {
    /// The system has fewer cores than there are slices.
    #[error(
        "{slices} cores needed, the system has {cores_available}; use a chip spec with more chips (--chip FILE)"
    )]
    TooManySlices {
        /// Slices to place, one core each.
        slices: u32,
        /// Cores of the whole system.
        cores_available: u64,
    },
}

/// Places the slices of `traffic` on cores of `spec`, minimising the
/// rate-weighted route latency (see the module documentation). The same
/// inputs and seed give the same placement.
///
/// # Panics
///
/// If `traffic` is not a CSR over its slices (offsets ascending from 0 to
/// the number of targets, one rate per target, every target a slice) or a
/// rate is negative or not finite: the traffic is built by the compiler,
/// so that is a bug in its builder, not a property of the network.
pub fn place(spec: &ChipSpec, traffic: &Traffic, seed: u64) -> Result<Placement, PlaceError> {
    traffic.assert_well_formed();
    let sites = candidate_sites(&spec.mesh, &spec.timing, traffic.slices)?;
    let mut search = Search::new(spec, traffic, sites);
    search.improve(seed, proposals(traffic));
    Ok(search.placement())
}

/// The placement before improvement: slice `i` on the `i`-th core of the
/// locality-preserving order over the fewest chips that hold the slices.
pub fn initial_placement(spec: &ChipSpec, slices: u32) -> Result<Placement, PlaceError> {
    let sites = candidate_sites(&spec.mesh, &spec.timing, slices)?;
    Ok(Placement {
        cores: sites.iter().take(slices as usize).map(|s| s.core).collect(),
    })
}

impl Placement {
    /// The objective: Σ rate × route latency in picoseconds over every
    /// traffic entry. `None` if a slice has no core, or its core is past
    /// the last core of the system.
    pub fn cost(&self, spec: &ChipSpec, traffic: &Traffic) -> Option<f64> {
        let mut total = 0.0;
        for (from, window) in traffic.offsets.windows(2).enumerate() {
            let source = *self.cores.get(from)?;
            let range = window[0] as usize..window[1] as usize;
            let targets = traffic.targets.get(range.clone())?;
            let rates = traffic.rates.get(range)?;
            for (&to, &rate) in targets.iter().zip(rates) {
                let destination = *self.cores.get(to as usize)?;
                let hops = neurc_ir::chip::hop_counts(spec, source, destination)?;
                total += f64::from(rate) * hops.weighted(&spec.timing) as f64;
            }
        }
        Some(total)
    }
}

impl Traffic {
    /// Checks the CSR before the search indexes it, so that a malformed
    /// one fails here, saying what is wrong, rather than deep inside.
    fn assert_well_formed(&self) {
        assert_eq!(
            self.offsets.len(),
            self.slices as usize + 1,
            "traffic: slices + 1 offsets expected"
        );
        assert_eq!(
            self.rates.len(),
            self.targets.len(),
            "traffic: one rate per target expected"
        );
        assert!(
            self.offsets.first() == Some(&0)
                && self.offsets.last() == Some(&(self.targets.len() as u64))
                && self.offsets.windows(2).all(|w| w[0] <= w[1]),
            "traffic: offsets must ascend from 0 to the number of targets"
        );
        if let Some(&target) = self.targets.iter().find(|&&t| t >= self.slices) {
            panic!(
                "traffic: target {target} is not one of the {} slices",
                self.slices
            );
        }
        if let Some(&rate) = self.rates.iter().find(|r| !(r.is_finite() && **r >= 0.0)) {
            panic!("traffic: rate {rate} is not a non-negative number");
        }
    }

    /// Messages of slice `slice`: targets and rates.
    fn outgoing(&self, slice: u32) -> (&[u32], &[f32]) {
        let range =
            self.offsets[slice as usize] as usize..self.offsets[slice as usize + 1] as usize;
        (&self.targets[range.clone()], &self.rates[range])
    }
}

/// The proposals the improvement makes: see the module documentation.
fn proposals(traffic: &Traffic) -> u64 {
    let slices = u64::from(traffic.slices);
    if slices == 0 {
        return 0;
    }
    let per_proposal = 4 * traffic.targets.len() as u64 / slices + 1;
    (PROPOSALS_PER_SLICE * slices).min((WORK_BUDGET / per_proposal).max(slices))
}

/// A candidate core and where it sits, as a point whose distance to
/// another is the route latency between them.
#[derive(Clone, Copy, Debug)]
struct Site {
    /// The core.
    core: CoreId,
    /// Where it sits: see [`Point`].
    point: Point,
}

/// A core's coordinates scaled by what a step along each costs, so that
/// the latency of a route is the L1 distance between its ends' points:
/// global tile x by the east–west hop, y by the north–south hop, the chip
/// layer z by a north–south hop plus a crossing, and the chip's x and y by
/// a crossing. That is [`HopCounts::weighted`] of
/// [`hop_counts`](neurc_ir::chip::hop_counts), term by term (the counts
/// are per-axis distances, the crossings per-axis chip distances), at a
/// few additions per pair instead of locating both cores again, for the
/// millions of pairs the search evaluates. The values are exact integers
/// in an `f64` up to 2⁵³ ps.
type Point = [f64; 5];

/// The point of a core on global tile `tile` of chip (`chip`, `tile[2]`).
fn point(timing: &TimingTable, tile: [u32; 3], chip: [u32; 2]) -> Point {
    let ps = |ps: u64| ps as f64;
    let crossing = ps(timing.hop_between_chips_ps);
    [
        f64::from(tile[0]) * ps(timing.hop_east_west_ps),
        f64::from(tile[1]) * ps(timing.hop_north_south_ps),
        f64::from(tile[2]) * (ps(timing.hop_north_south_ps) + crossing),
        f64::from(chip[0]) * crossing,
        f64::from(chip[1]) * crossing,
    ]
}

/// The route latency between two points, picoseconds.
#[inline]
fn latency(a: &Point, b: &Point) -> f64 {
    (a[0] - b[0]).abs()
        + (a[1] - b[1]).abs()
        + (a[2] - b[2]).abs()
        + (a[3] - b[3]).abs()
        + (a[4] - b[4]).abs()
}

/// The cores of the fewest chips that hold `slices` slices, in the
/// locality-preserving order of the initial placement.
fn candidate_sites(
    mesh: &Mesh,
    timing: &TimingTable,
    slices: u32,
) -> Result<Vec<Site>, PlaceError> {
    let cores_available = mesh.core_count();
    if u64::from(slices) > cores_available {
        return Err(PlaceError::TooManySlices {
            slices,
            cores_available,
        });
    }
    if slices == 0 {
        return Ok(Vec::new());
    }
    // Every dimension is at least 1 here, since the system has a core.
    let per_chip = mesh.cores_per_chip();
    let chips = slices.div_ceil(per_chip);
    let [tx, ty] = mesh.tiles;
    let mut sites = Vec::with_capacity((chips * per_chip) as usize);
    for chip in serpentine(block(mesh, timing, chips)).take(chips as usize) {
        let index = chip[0] + mesh.chips[0] * (chip[1] + mesh.chips[1] * chip[2]);
        for [x, y, _] in serpentine([tx, ty, 1]) {
            let first = index * per_chip + (y * tx + x) * mesh.cores_per_tile;
            let point = point(
                timing,
                [chip[0] * tx + x, chip[1] * ty + y, chip[2]],
                [chip[0], chip[1]],
            );
            sites.extend((0..mesh.cores_per_tile).map(|c| Site {
                core: CoreId(first + c),
                point,
            }));
        }
    }
    Ok(sites)
}

/// The block of chips, from chip (0, 0, 0), that holds `chips` chips with
/// the shortest route between its far corners (then the fewest chips, then
/// the flattest), so that the chips in use are close together. Only the
/// narrowest block of each height and depth is a candidate, since a wider
/// one is longer and larger.
fn block(mesh: &Mesh, timing: &TimingTable, chips: u32) -> [u32; 3] {
    let [tx, ty] = mesh.tiles;
    let mut best = ([1, 1, 1], (u64::MAX, u64::MAX));
    for z in 1..=mesh.chips[2].min(chips) {
        for y in 1..=mesh.chips[1].min(chips.div_ceil(z)) {
            let x = chips.div_ceil(y * z);
            if x > mesh.chips[0] {
                continue;
            }
            let diagonal = HopCounts {
                east_west: x * tx - 1,
                north_south: y * ty - 1,
                up_down: z - 1,
                chip_crossings: x + y + z - 3,
            };
            let score = (diagonal.weighted(timing), u64::from(x * y * z));
            if score < best.1 {
                best = ([x, y, z], score);
            }
        }
    }
    best.0
}

/// The points of a `[x, y, z]` box in boustrophedon order, each next to
/// the one before: x runs back and forth along each row, rows back and
/// forth along y within each layer, layers upwards.
fn serpentine(size: [u32; 3]) -> impl Iterator<Item = [u32; 3]> {
    let [sx, sy, sz] = size;
    (0..sz).flat_map(move |z| {
        (0..sy).flat_map(move |j| {
            let y = if z % 2 == 0 { j } else { sy - 1 - j };
            let row = z * sy + j;
            (0..sx).map(move |i| {
                let x = if row % 2 == 0 { i } else { sx - 1 - i };
                [x, y, z]
            })
        })
    })
}

/// The local search: sites, who sits where, and the traffic both ways.
struct Search<'a> {
    /// Outgoing traffic by slice.
    traffic: &'a Traffic,
    /// Incoming traffic by slice: CSR by target, sources and rates.
    incoming: Traffic,
    /// The candidate cores.
    sites: Vec<Site>,
    /// The site of each slice, by index into `sites`.
    slot: Vec<u32>,
    /// The slice at each site, if any.
    occupant: Vec<Option<u32>>,
    /// The point of each slice's site, copied for fast access in the cost
    /// loops.
    at: Vec<Point>,
    /// How far from a partner's site, in sites either way, a move near it
    /// may go: four tiles' worth of the locality-preserving order, a patch
    /// a few tiles across.
    window: u64,
}

impl<'a> Search<'a> {
    /// Slice `i` at site `i`.
    fn new(spec: &'a ChipSpec, traffic: &'a Traffic, sites: Vec<Site>) -> Self {
        let slices = traffic.slices;
        let occupant = (0..sites.len() as u32)
            .map(|i| (i < slices).then_some(i))
            .collect();
        Search {
            window: 4 * u64::from(spec.mesh.cores_per_tile),
            traffic,
            incoming: reverse(traffic),
            at: sites[..slices as usize].iter().map(|s| s.point).collect(),
            slot: (0..slices).collect(),
            occupant,
            sites,
        }
    }

    /// Runs `proposals` proposals of moves and swaps.
    fn improve(&mut self, seed: u64, proposals: u64) {
        let slices = u64::from(self.traffic.slices);
        let sites = self.sites.len() as u64;
        if slices == 0 || sites < 2 {
            return;
        }
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        for _ in 0..proposals {
            let a = below(&mut rng, slices) as u32;
            let target = self.propose(&mut rng, a);
            let from = self.slot[a as usize];
            if target == from {
                continue;
            }
            let b = self.occupant[target as usize];
            let mut delta = self.move_delta(a, target, b);
            if let Some(b) = b {
                delta += self.move_delta(b, from, Some(a));
            }
            if delta < 0.0 {
                self.put(a, target);
                match b {
                    Some(b) => self.put(b, from),
                    None => self.occupant[from as usize] = None,
                }
            }
        }
    }

    /// A site for slice `a`: half the time anywhere, half the time within
    /// [`Search::window`] sites of a traffic partner's.
    fn propose(&self, rng: &mut Xoshiro256PlusPlus, a: u32) -> u32 {
        let window = self.window;
        let sites = self.sites.len() as u64;
        let (out, _) = self.traffic.outgoing(a);
        let (inc, _) = self.incoming.outgoing(a);
        let partners = (out.len() + inc.len()) as u64;
        if partners == 0 || rng.next_u64() >> 63 == 0 {
            return below(rng, sites) as u32;
        }
        let k = below(rng, partners) as usize;
        let partner = if k < out.len() {
            out[k]
        } else {
            inc[k - out.len()]
        };
        let centre = u64::from(self.slot[partner as usize]);
        let low = centre.saturating_sub(window);
        let high = (centre + window).min(sites - 1);
        (low + below(rng, high - low + 1)) as u32
    }

    /// The cost change of slice `a` moving to site `to`, over its traffic
    /// with every slice but itself and `other` (the slice it swaps with,
    /// whose route to it keeps its length).
    fn move_delta(&self, a: u32, to: u32, other: Option<u32>) -> f64 {
        // No target is u32::MAX, since targets are below `slices`.
        let other = other.unwrap_or(u32::MAX);
        let (old, new) = (&self.at[a as usize], &self.sites[to as usize].point);
        let mut delta = 0.0;
        for side in [self.traffic.outgoing(a), self.incoming.outgoing(a)] {
            for (&t, &rate) in side.0.iter().zip(side.1) {
                if t == a || t == other {
                    continue;
                }
                let there = &self.at[t as usize];
                delta += f64::from(rate) * (latency(new, there) - latency(old, there));
            }
        }
        delta
    }

    /// Puts slice `slice` at site `site`.
    fn put(&mut self, slice: u32, site: u32) {
        self.slot[slice as usize] = site;
        self.occupant[site as usize] = Some(slice);
        self.at[slice as usize] = self.sites[site as usize].point;
    }

    /// The cores of the slices.
    fn placement(&self) -> Placement {
        Placement {
            cores: self
                .slot
                .iter()
                .map(|&s| self.sites[s as usize].core)
                .collect(),
        }
    }
}

/// The traffic by target: for each slice, the slices sending to it, in
/// ascending order, with their rates.
fn reverse(traffic: &Traffic) -> Traffic {
    let slices = traffic.slices as usize;
    let mut offsets = vec![0u64; slices + 1];
    for &t in &traffic.targets {
        offsets[t as usize + 1] += 1;
    }
    for i in 0..slices {
        offsets[i + 1] += offsets[i];
    }
    let mut next: Vec<u64> = offsets[..slices].to_vec();
    let mut sources = vec![0u32; traffic.targets.len()];
    let mut rates = vec![0f32; traffic.targets.len()];
    for from in 0..traffic.slices {
        let (targets, out_rates) = traffic.outgoing(from);
        for (&t, &rate) in targets.iter().zip(out_rates) {
            let at = next[t as usize] as usize;
            sources[at] = from;
            rates[at] = rate;
            next[t as usize] += 1;
        }
    }
    Traffic {
        slices: traffic.slices,
        offsets,
        targets: sources,
        rates,
    }
}

/// A uniform integer below `n` (`n > 0`) by multiply-shift: one draw, a
/// bias below 2⁻³² for the `n` used here, which a heuristic search does
/// not notice.
fn below(rng: &mut Xoshiro256PlusPlus, n: u64) -> u64 {
    ((u128::from(rng.next_u64()) * u128::from(n)) >> 64) as u64
}

#[cfg(test)]
mod tests {
    use super::*;
    use neurc_ir::chip::hop_counts;

    #[test]
    fn sites_are_the_cores_they_name() {
        let mut spec = ChipSpec::loihi();
        spec.mesh.chips = [3, 2, 2];
        let sites = candidate_sites(&spec.mesh, &spec.timing, 700).unwrap();
        // 700 slices need 6 of the 12 chips of 128 cores.
        assert_eq!(sites.len(), 6 * 128);
        let mut cores: Vec<u32> = sites.iter().map(|s| s.core.0).collect();
        cores.sort_unstable();
        cores.dedup();
        assert_eq!(cores.len(), sites.len());
        let locations: Vec<_> = sites.iter().map(|s| spec.locate(s.core).unwrap()).collect();
        for (i, pair) in locations.windows(2).enumerate() {
            if (i + 1) % 128 > 0 {
                // Within a chip, each tile next to the one before, or the
                // same.
                let step = hop_counts(&spec, sites[i].core, sites[i + 1].core).unwrap();
                assert!(step.east_west + step.north_south <= 1, "{i}");
                assert_eq!(pair[0].chip, pair[1].chip, "{i}");
            }
        }
        // The first 128 cores are chip (0, 0, 0)'s.
        assert!(locations[..128].iter().all(|l| l.chip == [0, 0, 0]));
        for a in sites.iter().step_by(7) {
            for b in sites.iter().step_by(11) {
                let hops = hop_counts(&spec, a.core, b.core).unwrap();
                assert_eq!(
                    latency(&a.point, &b.point),
                    hops.weighted(&spec.timing) as f64,
                    "{} {}",
                    a.core,
                    b.core
                );
            }
        }
    }

    #[test]
    fn blocks_are_compact() {
        let spec = ChipSpec::loihi();
        let block = |chips| block(&spec.mesh, &spec.timing, chips);
        assert_eq!(block(1), [1, 1, 1]);
        // Chips of 8 x 4 tiles: two make 8 x 8 tiles rather than 16 x 4.
        assert_eq!(block(2), [1, 2, 1]);
        assert_eq!(block(4), [2, 2, 1]);
        // Seven take a block of eight, 16 x 16 tiles.
        assert_eq!(block(7), [2, 4, 1]);
        assert_eq!(block(33), [5, 7, 1]);
        // Loihi 2 stacks chips, at the price of a crossing per layer.
        let spec = ChipSpec::loihi2();
        let [x, y, z] = super::block(&spec.mesh, &spec.timing, 200);
        assert!(x * y * z >= 200 && x <= 12 && y <= 12 && z <= 8);
    }

    #[test]
    fn serpentine_visits_each_point_once_by_single_steps() {
        let points: Vec<[u32; 3]> = serpentine([3, 2, 3]).collect();
        assert_eq!(points.len(), 18);
        let mut sorted = points.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), 18);
        for pair in points.windows(2) {
            let distance: u32 = (0..3).map(|k| pair[0][k].abs_diff(pair[1][k])).sum();
            assert_eq!(distance, 1, "{pair:?}");
        }
    }

    #[test]
    fn reverse_lists_senders_in_order() {
        let traffic = Traffic {
            slices: 3,
            offsets: vec![0, 2, 3, 4],
            targets: vec![1, 2, 2, 0],
            rates: vec![1.0, 2.0, 3.0, 4.0],
        };
        let incoming = reverse(&traffic);
        assert_eq!(incoming.offsets, [0, 1, 2, 4]);
        assert_eq!(incoming.targets, [2, 0, 0, 1]);
        assert_eq!(incoming.rates, [4.0, 1.0, 2.0, 3.0]);
    }

    /// A well-formed traffic of two slices, and ways to break it.
    fn two_slices() -> Traffic {
        Traffic {
            slices: 2,
            offsets: vec![0, 1, 1],
            targets: vec![1],
            rates: vec![1.0],
        }
    }

    #[test]
    fn well_formed_traffic_passes() {
        two_slices().assert_well_formed();
    }

    #[test]
    #[should_panic(expected = "slices + 1 offsets")]
    fn offsets_must_cover_the_slices() {
        place(
            &ChipSpec::loihi(),
            &Traffic {
                offsets: vec![0, 1],
                ..two_slices()
            },
            0,
        )
        .ok();
    }

    #[test]
    #[should_panic(expected = "offsets must ascend")]
    fn offsets_must_ascend() {
        place(
            &ChipSpec::loihi(),
            &Traffic {
                offsets: vec![0, 2, 1],
                ..two_slices()
            },
            0,
        )
        .ok();
    }

    #[test]
    #[should_panic(expected = "one rate per target")]
    fn rates_must_match_targets() {
        place(
            &ChipSpec::loihi(),
            &Traffic {
                rates: vec![],
                ..two_slices()
            },
            0,
        )
        .ok();
    }

    #[test]
    #[should_panic(expected = "target 2 is not one of the 2 slices")]
    fn targets_must_be_slices() {
        place(
            &ChipSpec::loihi(),
            &Traffic {
                targets: vec![2],
                ..two_slices()
            },
            0,
        )
        .ok();
    }

    #[test]
    #[should_panic(expected = "rate NaN")]
    fn rates_must_be_numbers() {
        place(
            &ChipSpec::loihi(),
            &Traffic {
                rates: vec![f32::NAN],
                ..two_slices()
            },
            0,
        )
        .ok();
    }
}
