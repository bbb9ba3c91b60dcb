//! Checks of expanded connectivity: the synapse tables the expansion pass
//! returns must be well-formed CSR over each projection's ranges, since
//! executors and the chip backend index them without bounds checks.
//!
//! A table can hold millions of synapses, so a defect repeated in many
//! synapses is reported once, with a count and the first occurrence.

use crate::connectivity::{Connectivity, PerSynapse, SynapseTable};
use crate::network::{Edge, Network, Projection};
use crate::verify::{Element, Report, Violation, counted};

/// Checks that every projection of `network` has a synapse table in
/// `connectivity` and every table belongs to a projection; that each table
/// has one row per presynaptic neuron (`row_offsets` of length
/// `pre.len() + 1`, from 0, non-decreasing, ending at `targets.len()`);
/// that its targets lie in the projection's post range, ascend within each
/// row (strictly without multapses) and never connect a neuron to itself
/// without autapses; that varying weights and delays have one value per
/// synapse; and that weights are finite and delays at least one step.
pub fn verify_connectivity(
    network: &Network,
    connectivity: &Connectivity,
) -> Result<(), Vec<Violation>> {
    let mut report = Report::new(network);
    for (id, pre, post, projection) in network.projections() {
        let element = Element::Projection(id);
        match connectivity.tables.get(&id) {
            Some(table) => {
                let problems = table_problems(table, projection, pre == post);
                report.push_all(element, problems);
            }
            None => report.push(element, "has no synapse table".to_string()),
        }
    }
    for id in connectivity.tables.keys() {
        let edge = network.graph.edge_weight(id.index());
        if !matches!(edge, Some(Edge::Projection(_))) {
            report.push(
                Element::Projection(*id),
                "has a synapse table but is not a projection".to_string(),
            );
        }
    }
    report.finish()
}

fn table_problems(table: &SynapseTable, projection: &Projection, same_node: bool) -> Vec<String> {
    let mut problems = Vec::new();
    let synapses = table.targets.len();
    match offset_problem(&table.row_offsets, projection.pre.len(), synapses) {
        Some(problem) => problems.push(problem),
        None => problems.extend(row_problems(table, projection, same_node)),
    }
    problems.extend(weight_problems(&table.weights, synapses));
    problems.extend(delay_problems(&table.delays, synapses));
    problems
}

/// The first problem of the row offsets, which must be valid before the
/// rows they delimit can be read.
fn offset_problem(offsets: &[u64], rows: u32, synapses: usize) -> Option<String> {
    let expected = rows as usize + 1;
    if offsets.len() != expected {
        return Some(format!(
            "has {} for {}; expected {expected}",
            counted(offsets.len(), "row offset"),
            counted(rows as usize, "presynaptic neuron")
        ));
    }
    if offsets[0] != 0 {
        return Some(format!("row offsets start at {}, not 0", offsets[0]));
    }
    if let Some(row) = offsets.windows(2).position(|pair| pair[0] > pair[1]) {
        return Some(format!(
            "row offsets decrease after row {row} ({} > {})",
            offsets[row],
            offsets[row + 1]
        ));
    }
    let last = offsets[rows as usize];
    (last != synapses as u64).then(|| {
        format!(
            "row offsets end at {last}, but the table has {}",
            counted(synapses, "target")
        )
    })
}

/// Problems of the targets, row by row; the offsets are valid.
fn row_problems(table: &SynapseTable, projection: &Projection, same_node: bool) -> Vec<String> {
    let post = projection.post;
    let mut outside = Defects::default();
    let mut unordered = Defects::default();
    let mut autapses = Defects::default();
    for (row, bounds) in table.row_offsets.windows(2).enumerate() {
        let targets = &table.targets[bounds[0] as usize..bounds[1] as usize];
        let pre_neuron = projection.pre.start + row as u32;
        for &target in targets {
            let place = || format!("row {row}, target {target}");
            if !(post.start..post.end).contains(&target) {
                outside.note(place);
            }
            if same_node && !projection.autapses && target == pre_neuron {
                autapses.note(place);
            }
        }
        for pair in targets.windows(2) {
            let ordered = if projection.multapses {
                pair[0] <= pair[1]
            } else {
                pair[0] < pair[1]
            };
            if !ordered {
                unordered.note(|| format!("row {row}, target {}", pair[1]));
            }
        }
    }
    let order = if projection.multapses {
        "ascending"
    } else {
        "strictly ascending (no multapses)"
    };
    [
        outside.describe(&format!(
            "targets outside the post range {}..{}",
            post.start, post.end
        )),
        unordered.describe(&format!("targets out of {order} order in their row")),
        autapses.describe("autapses, which the projection does not allow"),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// Synapses with one defect: how many, and where the first is.
#[derive(Default)]
struct Defects {
    count: usize,
    first: Option<String>,
}

impl Defects {
    /// Counts one more defect; `place` says where it is, for the first.
    fn note(&mut self, place: impl FnOnce() -> String) {
        self.count += 1;
        self.first.get_or_insert_with(place);
    }

    /// `targets outside the post range 0..8: 3 (first: row 2, target 9)`.
    fn describe(&self, what: &str) -> Option<String> {
        let first = self.first.as_ref()?;
        Some(format!("{what}: {} (first: {first})", self.count))
    }
}

/// Weights must be finite, one per synapse where they vary.
fn weight_problems(weights: &PerSynapse<f64>, synapses: usize) -> Vec<String> {
    match weights {
        PerSynapse::Constant(weight) if !weight.is_finite() => {
            vec![format!(
                "has the constant weight {weight}, which is not finite"
            )]
        }
        PerSynapse::Constant(_) => Vec::new(),
        PerSynapse::Varying(weights) => {
            let mut problems = Vec::new();
            if weights.len() != synapses {
                problems.push(format!(
                    "has {} for {}",
                    counted(weights.len(), "weight"),
                    counted(synapses, "synapse")
                ));
            }
            let mut defects = Defects::default();
            for (synapse, weight) in weights.iter().enumerate() {
                if !weight.is_finite() {
                    defects.note(|| format!("synapse {synapse}, {weight}"));
                }
            }
            problems.extend(defects.describe("non-finite weights"));
            problems
        }
    }
}

/// Delays are whole steps of at least one: a spike arrives in the next step
/// at the earliest.
fn delay_problems(delays: &PerSynapse<u16>, synapses: usize) -> Vec<String> {
    match delays {
        PerSynapse::Constant(0) => {
            vec!["has a constant delay of 0 steps; delays are at least 1 step".to_string()]
        }
        PerSynapse::Constant(_) => Vec::new(),
        PerSynapse::Varying(delays) => {
            let mut problems = Vec::new();
            if delays.len() != synapses {
                problems.push(format!(
                    "has {} for {}",
                    counted(delays.len(), "delay"),
                    counted(synapses, "synapse")
                ));
            }
            let mut defects = Defects::default();
            for (synapse, delay) in delays.iter().enumerate() {
                if *delay == 0 {
                    defects.note(|| format!("synapse {synapse}"));
                }
            }
            problems.extend(defects.describe("delays of 0 steps (at least 1 is needed)"));
            problems
        }
    }
}
