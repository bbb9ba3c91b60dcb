//! Rules that fix a count: `fixed_indegree`, `fixed_outdegree` and
//! `fixed_total`. They draw with replacement when the projection allows
//! multapses and without replacement otherwise; the excluded self pair is
//! never a candidate, so the remaining candidates stay equally likely.

use super::csr::{self, ColumnShape, ColumnSource, Csr};
use super::random::{Domain, Stream};
use super::{Context, ExpandError};
use rayon::prelude::*;
use std::ops::Range;

/// Pair draws per random stream of `fixed_total`.
const DRAW_BLOCK: u64 = 1 << 16;

/// `fixed_indegree` needs enough sources for every post neuron.
pub(super) fn check_indegree(context: &Context, k: u32) -> Result<(), ExpandError> {
    check_degree(context, "fixed_indegree", k, "sources", context.pre().len())
}

/// `fixed_outdegree` needs enough targets for every pre neuron.
pub(super) fn check_outdegree(context: &Context, k: u32) -> Result<(), ExpandError> {
    check_degree(
        context,
        "fixed_outdegree",
        k,
        "targets",
        context.post().len(),
    )
}

/// `fixed_total` needs enough pairs.
pub(super) fn check_total(context: &Context, n: u64) -> Result<(), ExpandError> {
    let eligible = context.eligible_pairs();
    let multapses = context.projection.multapses;
    if n > 0 && (eligible == 0 || (!multapses && n > eligible)) {
        return Err(too_many(context, "fixed_total", "n", n, eligible, "pairs"));
    }
    Ok(())
}

/// Checks `k` draws per neuron from `candidates` (one fewer for the
/// neurons whose self pair is excluded).
fn check_degree(
    context: &Context,
    rule: &'static str,
    k: u32,
    what: &'static str,
    candidates: u32,
) -> Result<(), ExpandError> {
    let available = u64::from(candidates) - u64::from(context.self_pairs() > 0);
    let (k, multapses) = (u64::from(k), context.projection.multapses);
    if k > 0 && (available == 0 || (!multapses && k > available)) {
        return Err(too_many(context, rule, "k", k, available, what));
    }
    Ok(())
}

/// A [`ExpandError::TooManySynapses`].
fn too_many(
    context: &Context,
    rule: &'static str,
    parameter: &'static str,
    requested: u64,
    available: u64,
    candidates: &'static str,
) -> ExpandError {
    ExpandError::TooManySynapses {
        projection: context.id,
        name: context.name(),
        rule,
        parameter,
        requested,
        available,
        candidates,
        multapses: context.projection.multapses,
    }
}

/// Draws indices from `0..n` minus an optional excluded index, with or
/// without replacement.
struct Sampler {
    /// Candidates before the exclusion.
    n: u32,
    /// Whether an index may be drawn twice.
    multapses: bool,
    /// Without replacement: the indices drawn so far, as a bit set over
    /// `0..n`. It is cleared after each draw, so one sampler serves any
    /// number of draws.
    seen: Vec<u64>,
}

/// Words of the bit set of a [`Sampler`] over `n` candidates.
fn seen_words(n: u32, multapses: bool) -> usize {
    if multapses {
        0
    } else {
        n.div_ceil(64) as usize
    }
}

/// Bytes a [`Sampler`] over `n` candidates holds, for the estimates.
pub(super) fn sampler_bytes(n: u32, multapses: bool) -> u64 {
    8 * seen_words(n, multapses) as u64
}

impl Sampler {
    fn new(n: u32, multapses: bool) -> Self {
        Sampler {
            n,
            multapses,
            seen: vec![0; seen_words(n, multapses)],
        }
    }

    /// Fills `out` with draws. Without replacement this is Floyd's
    /// algorithm (Bentley & Floyd 1987), a uniform subset in `out.len()`
    /// draws; the order within `out` is not uniform, which no caller needs.
    fn draw(&mut self, stream: &mut Stream, out: &mut [u32], excluded: Option<u32>) {
        let n = self.n - u32::from(excluded.is_some());
        let skip_excluded = |v: u32| match excluded {
            Some(e) if v >= e => v + 1,
            _ => v,
        };
        if self.multapses {
            for slot in out.iter_mut() {
                *slot = skip_excluded(stream.below(u64::from(n)) as u32);
            }
            return;
        }
        let k = out.len() as u32;
        for (slot, j) in out.iter_mut().zip(n - k..n) {
            let t = stream.below(u64::from(j) + 1) as u32;
            let (word, bit) = ((t / 64) as usize, 1u64 << (t % 64));
            let pick = if self.seen[word] & bit != 0 { j } else { t };
            self.seen[(pick / 64) as usize] |= 1u64 << (pick % 64);
            *slot = pick;
        }
        for slot in out.iter_mut() {
            self.seen[(*slot / 64) as usize] = 0;
            *slot = skip_excluded(*slot);
        }
    }
}

/// Each post neuron receives `k` synapses (checked to be possible): each
/// block of [`csr::column_block_width`]`(k)` columns draws its columns'
/// sources from its own stream, and [`csr::columns_to_rows`] lays the rows
/// out.
pub(super) fn fixed_indegree(context: &Context, k: u32) -> Csr {
    let shape = ColumnShape {
        rows: context.pre().len(),
        columns: context.post().len(),
        per_column: k,
    };
    csr::columns_to_rows(&Indegree(context), shape, context.post().start)
}

/// The sources of `fixed_indegree`, column by column.
struct Indegree<'a>(&'a Context<'a>);

impl ColumnSource for Indegree<'_> {
    type Worker = (Sampler, Stream);

    fn worker(&self) -> Self::Worker {
        let sampler = Sampler::new(self.0.pre().len(), self.0.projection.multapses);
        (sampler, self.0.stream(Domain::Rule, 0))
    }

    fn start_block(&self, (_, stream): &mut Self::Worker, block: u64) {
        *stream = self.0.stream(Domain::Rule, block);
    }

    fn draw_column(&self, (sampler, stream): &mut Self::Worker, column: u32, rows: &mut [u32]) {
        sampler.draw(stream, rows, self.0.self_row(column));
    }
}

/// Each pre neuron makes `k` synapses (checked to be possible), drawn in
/// place and sorted within the row.
pub(super) fn fixed_outdegree(context: &Context, k: u32) -> Csr {
    let (pre, post) = (context.pre(), context.post());
    if k == 0 {
        return Csr::empty(pre.len());
    }
    csr::fill_rows(
        pre.len(),
        |_| u64::from(k),
        |block, rows, targets| {
            let mut stream = context.stream(Domain::Rule, block);
            let mut sampler = Sampler::new(post.len(), context.projection.multapses);
            for (row, row_targets) in rows.zip(targets.chunks_exact_mut(k as usize)) {
                sampler.draw(&mut stream, row_targets, context.self_column(row));
                row_targets.sort_unstable();
                for target in row_targets.iter_mut() {
                    *target += post.start;
                }
            }
        },
    )
}

/// Exactly `n` synapses (checked to be possible), each a pair drawn
/// uniformly from the eligible pairs. Pairs are coded `row · columns +
/// column`. With multapses the codes are `n` independent draws; without,
/// the first `n` distinct codes of that same sequence (a uniform subset),
/// or, when `n` is more than half the pairs, every pair except the first
/// `eligible − n` distinct codes, so the number of rounds stays small.
pub(super) fn fixed_total(context: &Context, n: u64) -> Csr {
    let eligible = context.eligible_pairs();
    let codes = if context.projection.multapses {
        let mut codes = draw_pairs(context, 0..n);
        codes.par_sort_unstable();
        codes
    } else if n <= eligible / 2 {
        distinct_pairs(context, n)
    } else {
        let left_out = distinct_pairs(context, eligible - n);
        let columns = u64::from(context.post().len());
        let all = u64::from(context.pre().len()) * columns;
        let mut left_out = left_out.into_iter().peekable();
        (0..all)
            .filter(|&code| {
                if left_out.next_if_eq(&code).is_some() {
                    return false;
                }
                !is_self_pair(context, code, columns)
            })
            .collect()
    };
    codes_to_csr(context, &codes)
}

/// Whether a pair code is an excluded self pair.
fn is_self_pair(context: &Context, code: u64, columns: u64) -> bool {
    context.exclude_self
        && context.self_column((code / columns) as u32) == Some((code % columns) as u32)
}

/// Draws `draws` of the pair sequence: draw `i` comes from the stream of
/// block `i / DRAW_BLOCK`, after the draws before it in that block, so any
/// stretch of the sequence can be produced in parallel.
fn draw_pairs(context: &Context, draws: Range<u64>) -> Vec<u64> {
    let columns = u64::from(context.post().len());
    let all = u64::from(context.pre().len()) * columns;
    let draw = |stream: &mut Stream| loop {
        let code = stream.below(all);
        if !is_self_pair(context, code, columns) {
            return code;
        }
    };
    let mut codes = vec![0u64; (draws.end - draws.start) as usize];
    let mut rest = codes.as_mut_slice();
    let mut pieces = Vec::new();
    for block in draws.start / DRAW_BLOCK..draws.end.div_ceil(DRAW_BLOCK) {
        let start = draws.start.max(block * DRAW_BLOCK);
        let end = draws.end.min((block + 1) * DRAW_BLOCK);
        let (piece, tail) = std::mem::take(&mut rest).split_at_mut((end - start) as usize);
        pieces.push((block, start - block * DRAW_BLOCK, piece));
        rest = tail;
    }
    pieces.into_par_iter().for_each(|(block, skip, piece)| {
        let mut stream = context.stream(Domain::Rule, block);
        for _ in 0..skip {
            draw(&mut stream);
        }
        for code in piece.iter_mut() {
            *code = draw(&mut stream);
        }
    });
    codes
}

/// The first `count` distinct codes of the pair sequence, sorted: draw as
/// many as are missing, merge, repeat.
fn distinct_pairs(context: &Context, count: u64) -> Vec<u64> {
    let mut codes: Vec<u64> = Vec::new();
    let mut drawn = 0;
    while (codes.len() as u64) < count {
        let missing = count - codes.len() as u64;
        codes.extend(draw_pairs(context, drawn..drawn + missing));
        drawn += missing;
        codes.par_sort_unstable();
        codes.dedup();
    }
    codes
}

/// The table of sorted pair codes.
fn codes_to_csr(context: &Context, codes: &[u64]) -> Csr {
    let (rows, post) = (context.pre().len(), context.post());
    let columns = u64::from(post.len());
    let mut row_offsets = vec![0u64; rows as usize + 1];
    for &code in codes {
        row_offsets[(code / columns) as usize + 1] += 1;
    }
    for row in 0..rows as usize {
        row_offsets[row + 1] += row_offsets[row];
    }
    let targets = codes
        .par_iter()
        .map(|&code| post.start + (code % columns) as u32)
        .collect();
    Csr {
        row_offsets,
        targets,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sampler_without_replacement_is_a_subset() {
        let mut stream = Stream::new(1, Domain::Rule, 0, 0);
        let mut sampler = Sampler::new(10, false);
        for _ in 0..100 {
            let mut out = [0u32; 9];
            sampler.draw(&mut stream, &mut out, Some(4));
            out.sort_unstable();
            assert_eq!(out, [0, 1, 2, 3, 5, 6, 7, 8, 9]);
        }
        assert!(sampler.seen.iter().all(|&w| w == 0));
    }
}
