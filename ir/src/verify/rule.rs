//! Checks of connectivity rules against the ranges they connect: the
//! shapes the front end guarantees (equal `one_to_one` ranges, a
//! probability, a dense matrix of the ranges' shape, listed pairs within
//! them).
//!
//! Whether a rule can draw what it asks for is left to the expansion pass,
//! which reports it to the user with its own diagnostics: a fixed degree
//! or total larger than its candidates, a pair listed twice without
//! multapses.

use crate::network::{NeuronRange, Projection, Rule};
use crate::verify::counted;

/// Problems of the projection's rule given its ranges. Positions for
/// distance rules are checked with the nodes, in `edge.rs`.
pub(super) fn rule_problems(projection: &Projection) -> Vec<String> {
    let (pre, post) = (projection.pre, projection.post);
    match &projection.rule {
        Rule::AllToAll
        | Rule::Distance { .. }
        | Rule::FixedIndegree { .. }
        | Rule::FixedOutdegree { .. }
        | Rule::FixedTotal { .. } => Vec::new(),
        Rule::OneToOne => (pre.len() != post.len())
            .then(|| {
                format!(
                    "one_to_one needs ranges of equal length, but pre has {} and post {} neurons",
                    pre.len(),
                    post.len()
                )
            })
            .into_iter()
            .collect(),
        Rule::Bernoulli { p } => (!(0.0..=1.0).contains(p))
            .then(|| format!("bernoulli p = {p} is not a probability in [0, 1]"))
            .into_iter()
            .collect(),
        Rule::Dense { cols, entries } => dense_problems(pre, post, *cols, entries),
        Rule::List {
            pairs,
            weights,
            delays,
            ..
        } => list_problems(pre, post, pairs, weights.as_deref(), delays.as_deref()),
    }
}

fn dense_problems(pre: NeuronRange, post: NeuronRange, cols: u32, entries: &[f64]) -> Vec<String> {
    let mut problems = Vec::new();
    if cols != post.len() {
        problems.push(format!(
            "dense matrix has {cols} columns, but the post range has {} neurons",
            post.len()
        ));
    }
    let expected = u64::from(pre.len()) * u64::from(cols);
    if entries.len() as u64 != expected {
        problems.push(format!(
            "dense matrix has {} entries, expected {} × {cols} = {expected}",
            entries.len(),
            pre.len()
        ));
    }
    if let Some((index, value)) = entries.iter().enumerate().find(|(_, v)| !v.is_finite()) {
        problems.push(format!(
            "dense entry {index} is {value}, which is not finite"
        ));
    }
    problems
}

fn list_problems(
    pre: NeuronRange,
    post: NeuronRange,
    pairs: &[(u32, u32)],
    weights: Option<&[f64]>,
    delays: Option<&[f64]>,
) -> Vec<String> {
    let mut problems = Vec::new();
    let outside: Vec<(usize, &(u32, u32))> = pairs
        .iter()
        .enumerate()
        .filter(|(_, (a, b))| *a >= pre.len() || *b >= post.len())
        .collect();
    if let Some((index, (a, b))) = outside.first() {
        problems.push(format!(
            "from_file pairs outside the {} × {} projection: {} (first: pair {index}, ({a}, {b}))",
            pre.len(),
            post.len(),
            outside.len()
        ));
    }
    for (what, values) in [("weight", weights), ("delay", delays)] {
        if let Some(values) = values
            && values.len() != pairs.len()
        {
            problems.push(format!(
                "from_file has {} for {}",
                counted(values.len(), what),
                counted(pairs.len(), "pair")
            ));
        }
    }
    if let Some((index, value)) = weights
        .unwrap_or_default()
        .iter()
        .enumerate()
        .find(|(_, w)| !w.is_finite())
    {
        problems.push(format!(
            "from_file weight {index} is {value}, which is not finite"
        ));
    }
    if let Some((index, value)) = delays
        .unwrap_or_default()
        .iter()
        .enumerate()
        .find(|(_, d)| !(d.is_finite() && **d >= 0.0))
    {
        problems.push(format!(
            "from_file delay {index} is {value} s; delays must be finite and non-negative"
        ));
    }
    problems
}
