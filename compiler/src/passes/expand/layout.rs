//! Neuron positions, for distance-dependent rules.

use super::random::{Domain, Stream};
use neurc_ir::{Layout, NodeId, Population};

/// Why a population has no positions.
#[derive(Clone, Copy, PartialEq, Debug)]
pub(super) enum LayoutProblem {
    /// It declares no layout.
    Missing,
    /// Its grid has fewer places than it has neurons.
    GridTooSmall {
        /// Places in the grid.
        capacity: u64,
    },
}

/// Checks that every neuron of the population has a position.
pub(super) fn check(population: &Population) -> Result<(), LayoutProblem> {
    match &population.positions {
        None => Err(LayoutProblem::Missing),
        Some(Layout::Grid { shape, .. }) => {
            let capacity = shape.iter().map(|&s| u64::from(s)).product::<u64>();
            if capacity < u64::from(population.size) {
                Err(LayoutProblem::GridTooSmall { capacity })
            } else {
                Ok(())
            }
        }
        Some(Layout::RandomBox { .. }) => Ok(()),
    }
}

/// The position in metres of every neuron of a population that passed
/// [`check`].
///
/// A grid is filled x fastest, then y, then z, neuron 0 at the origin. A
/// random box draws x, y and z of neuron 0, then of neuron 1, and so on,
/// each uniform on `[0, extent)`, from the one stream of the node
/// ([`Domain::Positions`], owner = node id, block 0), so positions depend
/// only on the seed and the node, not on any projection.
pub(super) fn positions(population: &Population, node: NodeId, seed: u64) -> Vec<[f64; 3]> {
    let size = population.size;
    match &population.positions {
        None => Vec::new(),
        Some(Layout::Grid { shape, spacing }) => {
            let [nx, ny, _] = shape.map(|s| u64::from(s.max(1)));
            (0..u64::from(size))
                .map(|i| {
                    let (x, y, z) = (i % nx, (i / nx) % ny, i / (nx * ny));
                    [x, y, z].map(|c| c as f64 * spacing)
                })
                .collect()
        }
        Some(Layout::RandomBox { extent }) => {
            let mut stream = Stream::new(seed, Domain::Positions, u64::from(node.0), 0);
            (0..size)
                .map(|_| extent.map(|e| stream.unit() * e))
                .collect()
        }
    }
}

/// Euclidean distance between two points.
pub(super) fn distance(a: [f64; 3], b: [f64; 3]) -> f64 {
    let [dx, dy, dz] = [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
    (dx * dx + dy * dy + dz * dz).sqrt()
}
