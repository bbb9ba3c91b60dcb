//! Rules that list their synapses: `dense` matrices and `from_file` lists.
//! Both may carry per-synapse weights, so they return them beside the
//! table. They are expanded on one thread: their size is that of data the
//! user already holds in memory.

use super::csr::Csr;
use super::values::RuleWeights;
use super::{Context, ExpandError, Generated};

/// A dense matrix must be the projection's pre × post.
pub(super) fn check_dense(
    context: &Context,
    cols: u32,
    entries: &[f64],
) -> Result<(), ExpandError> {
    let (pre_len, post_len) = (context.pre().len(), context.post().len());
    let wanted = u64::from(pre_len) * u64::from(post_len);
    if cols != post_len || entries.len() as u64 != wanted {
        return Err(ExpandError::DenseShape {
            projection: context.id,
            name: context.name(),
            entries: entries.len(),
            cols,
            pre_len,
            post_len,
        });
    }
    Ok(())
}

/// Every pair with a nonzero entry (NaN counts as nonzero, and is then
/// reported as a weight that is not a number), the entry scaling the
/// weight.
pub(super) fn dense(context: &Context, cols: u32, entries: &[f64]) -> Generated {
    let post = context.post();
    let mut row_offsets = Vec::with_capacity(context.pre().len() as usize + 1);
    let mut targets = Vec::new();
    let mut scales = Vec::new();
    row_offsets.push(0);
    if cols > 0 {
        for (row, row_entries) in (0..).zip(entries.chunks_exact(cols as usize)) {
            let skip = context.self_column(row);
            for (column, &entry) in (0..).zip(row_entries) {
                if entry != 0.0 && Some(column) != skip {
                    targets.push(post.start + column);
                    scales.push(entry);
                }
            }
            row_offsets.push(targets.len() as u64);
        }
    }
    row_offsets.resize(context.pre().len() as usize + 1, targets.len() as u64);
    Generated {
        csr: Csr {
            row_offsets,
            targets,
        },
        weights: RuleWeights::Scaled(scales),
        delays: None,
    }
}

/// A list's pairs must lie in the ranges, and its weight and delay columns
/// must have one value per pair.
pub(super) fn check_list(
    context: &Context,
    path: &str,
    pairs: &[(u32, u32)],
    weights: Option<&[f64]>,
    delays: Option<&[f64]>,
) -> Result<(), ExpandError> {
    for (column, values) in [("weights", weights), ("delays", delays)] {
        if let Some(values) = values
            && values.len() != pairs.len()
        {
            return Err(ExpandError::ListColumnLength {
                projection: context.id,
                name: context.name(),
                path: path.to_string(),
                column,
                len: values.len(),
                pairs: pairs.len(),
            });
        }
    }
    let (pre_len, post_len) = (context.pre().len(), context.post().len());
    if let Some((index, &(pre, post))) =
        (pairs.iter().enumerate()).find(|(_, (pre, post))| *pre >= pre_len || *post >= post_len)
    {
        return Err(ExpandError::ListPairOutOfRange {
            projection: context.id,
            name: context.name(),
            path: path.to_string(),
            index,
            pre,
            post,
            pre_len,
            post_len,
        });
    }
    Ok(())
}

/// The listed pairs in table order (by pre, then post; repeated pairs keep
/// their order in the file), with the file's weights and delays. Excluded
/// self pairs are dropped; a repeated pair without multapses is an error,
/// since there is no telling which of its weights was meant.
pub(super) fn list(
    context: &Context,
    path: &str,
    pairs: &[(u32, u32)],
    weights: Option<&[f64]>,
    delays: Option<&[f64]>,
) -> Result<Generated, ExpandError> {
    let mut order: Vec<usize> = (0..pairs.len())
        .filter(|&i| {
            let (pre, post) = pairs[i];
            context.self_column(pre) != Some(post)
        })
        .collect();
    order.sort_by_key(|&i| pairs[i]);
    if !context.projection.multapses
        && let Some(pair) = order
            .windows(2)
            .find_map(|w| (pairs[w[0]] == pairs[w[1]]).then_some(pairs[w[0]]))
    {
        return Err(ExpandError::ListDuplicate {
            projection: context.id,
            name: context.name(),
            path: path.to_string(),
            pre: pair.0,
            post: pair.1,
        });
    }
    let rows = context.pre().len() as usize;
    let mut row_offsets = vec![0u64; rows + 1];
    for &i in &order {
        row_offsets[pairs[i].0 as usize + 1] += 1;
    }
    for row in 0..rows {
        row_offsets[row + 1] += row_offsets[row];
    }
    let post_start = context.post().start;
    let pick = |values: &[f64]| order.iter().map(|&i| values[i]).collect::<Vec<_>>();
    Ok(Generated {
        csr: Csr {
            row_offsets,
            targets: order.iter().map(|&i| post_start + pairs[i].1).collect(),
        },
        weights: weights.map_or(RuleWeights::Distribution, |w| RuleWeights::Scaled(pick(w))),
        delays: delays.map(pick),
    })
}
