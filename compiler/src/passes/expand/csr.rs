//! Assembling compressed-sparse-row tables from rules that generate their
//! synapses block by block, in parallel, without one allocation per
//! synapse.
//!
//! Blocks are fixed ranges of [`BLOCK`] rows (or columns) and each has its
//! own random stream, so what a block generates never depends on which
//! thread runs it; the later copying and sorting steps are split into fixed
//! pieces too.

use rayon::prelude::*;
use std::ops::Range;

/// Rows (or columns) per random stream: small enough to balance two to a
/// few dozen threads on populations of a few thousand neurons, large enough
/// that seeding a stream (a few nanoseconds) is lost in the work.
pub(super) const BLOCK: u32 = 256;

/// A table's structure: `targets[row_offsets[i]..row_offsets[i + 1]]` are
/// the targets of row `i`.
#[derive(Debug, Default)]
pub(super) struct Csr {
    /// `rows + 1` offsets into `targets`.
    pub row_offsets: Vec<u64>,
    /// Target neurons, as indices within the post population.
    pub targets: Vec<u32>,
}

impl Csr {
    /// A table of `rows` empty rows.
    pub(super) fn empty(rows: u32) -> Self {
        Csr {
            row_offsets: vec![0; rows as usize + 1],
            targets: Vec::new(),
        }
    }
}

/// What one block of rows generated.
#[derive(Debug, Default)]
pub(super) struct RowsBlock {
    /// The length of each of its rows.
    pub lengths: Vec<u32>,
    /// Their targets, row after row.
    pub targets: Vec<u32>,
}

/// Most synapses a block of columns draws before they are filed: 2^16, so
/// that the block's buffer (256 KiB) stays in a core's L2 cache.
const MAX_BLOCK_SYNAPSES: u32 = 1 << 16;

/// The blocks of `width` rows or columns that cover `0..count`, in order.
pub(super) fn blocks(
    count: u32,
    width: u32,
) -> impl IndexedParallelIterator<Item = (u64, Range<u32>)> {
    (0..count.div_ceil(width)).into_par_iter().map(move |b| {
        let start = b * width;
        (u64::from(b), start..count.min(start.saturating_add(width)))
    })
}

/// Columns per block for a rule that draws `per_column` synapses per
/// column: [`BLOCK`], or fewer so that a block draws at most
/// [`MAX_BLOCK_SYNAPSES`]. It depends on the rule only, never on threads.
pub(super) fn column_block_width(per_column: u32) -> u32 {
    (MAX_BLOCK_SYNAPSES / per_column.max(1)).clamp(1, BLOCK)
}

/// Offsets from row lengths.
fn offsets(lengths: impl Iterator<Item = u64>, rows: u32) -> Vec<u64> {
    let mut row_offsets = Vec::with_capacity(rows as usize + 1);
    let mut total = 0u64;
    row_offsets.push(0);
    for length in lengths {
        total += length;
        row_offsets.push(total);
    }
    row_offsets
}

/// Splits `values` into consecutive pieces of the given lengths.
fn split_pieces<T>(mut values: &mut [T], lengths: impl Iterator<Item = usize>) -> Vec<&mut [T]> {
    lengths
        .map(|length| {
            let (piece, rest) = std::mem::take(&mut values).split_at_mut(length);
            values = rest;
            piece
        })
        .collect()
}

/// A table whose row lengths are known in advance: `fill(block, rows,
/// targets)` writes the targets of the block's rows into its slice, row
/// after row.
pub(super) fn fill_rows(
    rows: u32,
    row_length: impl Fn(u32) -> u64,
    fill: impl Fn(u64, Range<u32>, &mut [u32]) + Sync,
) -> Csr {
    let row_offsets = offsets((0..rows).map(row_length), rows);
    let mut targets = vec![0u32; row_offsets[rows as usize] as usize];
    let block_ranges: Vec<_> = blocks(rows, BLOCK).collect();
    let pieces = split_pieces(
        &mut targets,
        block_ranges.iter().map(|(_, range)| {
            (row_offsets[range.end as usize] - row_offsets[range.start as usize]) as usize
        }),
    );
    block_ranges
        .into_par_iter()
        .zip(pieces)
        .for_each(|((block, range), piece)| fill(block, range, piece));
    Csr {
        row_offsets,
        targets,
    }
}

/// A table whose rows are generated block by block into buffers:
/// `generate(block, rows)` returns the block's rows, or an error. The first
/// error in block order is returned, so errors are deterministic too.
pub(super) fn collect_rows<E: Send>(
    rows: u32,
    generate: impl Fn(u64, Range<u32>) -> Result<RowsBlock, E> + Sync,
) -> Result<Csr, E> {
    let generated: Vec<Result<RowsBlock, E>> = blocks(rows, BLOCK)
        .map(|(block, range)| generate(block, range))
        .collect();
    let generated = generated.into_iter().collect::<Result<Vec<_>, E>>()?;
    let row_offsets = offsets(
        generated
            .iter()
            .flat_map(|block| block.lengths.iter().map(|&l| u64::from(l))),
        rows,
    );
    let mut targets = vec![0u32; row_offsets[rows as usize] as usize];
    let pieces = split_pieces(&mut targets, generated.iter().map(|b| b.targets.len()));
    generated
        .into_par_iter()
        .zip(pieces)
        .for_each(|(block, piece)| piece.copy_from_slice(&block.targets));
    Ok(Csr {
        row_offsets,
        targets,
    })
}

/// Rows of the table in groups of a power of two, so that a synapse can be
/// filed under its group when its column is drawn, and each group of rows
/// then laid out on its own (see [`columns_to_rows`]).
pub(super) struct RowBuckets {
    /// Number of rows.
    rows: u32,
    /// log2 of the rows per bucket.
    shift: u32,
    /// Number of buckets (at most 256).
    count: usize,
}

/// Bits of a filed synapse that hold its column within the block.
const COLUMN_BITS: u32 = BLOCK.trailing_zeros();

impl RowBuckets {
    /// At most 256 buckets, so a bucket spans at most 2^24 rows and a row
    /// within its bucket and a column within its block pack into a `u32`.
    pub(super) fn new(rows: u32) -> Self {
        let per_bucket = rows.div_ceil(256).max(1).next_power_of_two();
        RowBuckets {
            rows,
            shift: per_bucket.trailing_zeros(),
            count: rows.div_ceil(per_bucket) as usize,
        }
    }

    /// Files the synapses of one block of columns (at most [`BLOCK`] of
    /// them): `draw(column, rows)` appends to `rows` the rows of the
    /// column's synapses. They are drawn into `scratch` (reused from block
    /// to block), counted by bucket, then filed in exactly the space they
    /// need.
    pub(super) fn file_columns(
        &self,
        columns: Range<u32>,
        scratch: &mut Vec<u32>,
        mut draw: impl FnMut(u32, &mut Vec<u32>),
    ) -> ColumnBlock {
        debug_assert!(columns.len() <= BLOCK as usize);
        scratch.clear();
        let mut column_ends = Vec::with_capacity(columns.len());
        for column in columns.clone() {
            draw(column, scratch);
            column_ends.push(scratch.len());
        }
        let mut starts = vec![0u32; self.count + 1];
        for &row in scratch.iter() {
            starts[(row >> self.shift) as usize + 1] += 1;
        }
        for bucket in 0..self.count {
            starts[bucket + 1] += starts[bucket];
        }
        let mut entries = vec![0u32; scratch.len()];
        let mut cursors = starts.clone();
        let local_mask = (1u32 << self.shift) - 1;
        let mut column_start = 0;
        for (column_in_block, column_end) in (0u32..).zip(column_ends) {
            for &row in &scratch[column_start..column_end] {
                let cursor = &mut cursors[(row >> self.shift) as usize];
                entries[*cursor as usize] = (row & local_mask) << COLUMN_BITS | column_in_block;
                *cursor += 1;
            }
            column_start = column_end;
        }
        ColumnBlock {
            first_column: columns.start,
            starts,
            entries,
        }
    }

    /// The rows of bucket `bucket`.
    fn rows_of(&self, bucket: usize) -> usize {
        let start = (bucket as u64) << self.shift;
        let end = ((bucket as u64 + 1) << self.shift).min(u64::from(self.rows));
        (end - start) as usize
    }
}

/// The synapses of one block of columns, grouped by row bucket, each
/// group in column order.
pub(super) struct ColumnBlock {
    /// The block's first column.
    first_column: u32,
    /// Where each bucket's synapses start in `entries` (and the end).
    starts: Vec<u32>,
    /// `row within bucket << COLUMN_BITS | column within block`.
    entries: Vec<u32>,
}

impl ColumnBlock {
    /// The filed synapses of one bucket.
    fn bucket(&self, bucket: usize) -> &[u32] {
        &self.entries[self.starts[bucket] as usize..self.starts[bucket + 1] as usize]
    }
}

/// The table of a rule that draws the sources of each column, from its
/// blocks of columns in order; column `c` is post neuron `post_start + c`.
///
/// A two-level counting sort: the blocks filed each synapse under one of
/// at most 256 buckets of rows; each bucket then counts its rows and places
/// its synapses, visiting the blocks in order, so rows come out sorted.
/// Both levels write to a few hundred places at a time, which keeps them
/// in cache, and buckets own disjoint rows, so they are laid out in
/// parallel.
pub(super) fn columns_to_rows(
    buckets: &RowBuckets,
    post_start: u32,
    blocks: &[ColumnBlock],
) -> Csr {
    let sizes: Vec<usize> = (0..buckets.count)
        .map(|bucket| blocks.iter().map(|b| b.bucket(bucket).len()).sum())
        .collect();
    let starts = sizes.iter().scan(0u64, |total, &size| {
        let start = *total;
        *total += size as u64;
        Some(start)
    });
    let mut row_offsets = vec![0u64; buckets.rows as usize + 1];
    let mut targets = vec![0u32; sizes.iter().sum()];
    let target_pieces = split_pieces(&mut targets, sizes.iter().copied());
    let offset_pieces = split_pieces(
        &mut row_offsets[1..],
        (0..buckets.count).map(|b| buckets.rows_of(b)),
    );
    let pieces: Vec<_> = target_pieces
        .into_iter()
        .zip(offset_pieces)
        .zip(starts)
        .collect();
    pieces
        .into_par_iter()
        .enumerate()
        .for_each(|(bucket, ((targets, row_ends), start))| {
            let mut cursors = vec![0usize; row_ends.len()];
            for block in blocks {
                for &entry in block.bucket(bucket) {
                    cursors[(entry >> COLUMN_BITS) as usize] += 1;
                }
            }
            let mut end = 0;
            for (cursor, row_end) in cursors.iter_mut().zip(row_ends.iter_mut()) {
                let count = *cursor;
                *cursor = end;
                end += count;
                *row_end = start + end as u64;
            }
            for block in blocks {
                let first_target = post_start + block.first_column;
                for &entry in block.bucket(bucket) {
                    let cursor = &mut cursors[(entry >> COLUMN_BITS) as usize];
                    targets[*cursor] = first_target + (entry & (BLOCK - 1));
                    *cursor += 1;
                }
            }
        });
    Csr {
        row_offsets,
        targets,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_to_rows_sorts_rows() {
        // Columns 0, 1, 2 in one block and column 3 in another, over 3 rows.
        let sources: [&[u32]; 4] = [&[2, 0], &[0, 0], &[1, 2], &[1]];
        let buckets = RowBuckets::new(3);
        let draw = |column: u32, rows: &mut Vec<u32>| rows.extend(sources[column as usize]);
        let mut scratch = Vec::new();
        let blocks = [
            buckets.file_columns(0..3, &mut scratch, draw),
            buckets.file_columns(3..4, &mut scratch, draw),
        ];
        let csr = columns_to_rows(&buckets, 10, &blocks);
        assert_eq!(csr.row_offsets, [0, 3, 5, 7]);
        assert_eq!(csr.targets, [10, 11, 11, 12, 13, 10, 12]);
    }

    #[test]
    fn buckets_cover_the_rows() {
        for rows in [0, 1, 255, 256, 257, 10_000, u32::MAX] {
            let buckets = RowBuckets::new(rows);
            assert!(buckets.count <= 256);
            let covered: u64 = (0..buckets.count).map(|b| buckets.rows_of(b) as u64).sum();
            assert_eq!(covered, u64::from(rows));
        }
    }

    #[test]
    fn fill_and_collect_agree() {
        let rows = 3 * BLOCK + 5;
        let length = |row: u32| u64::from(row % 4);
        let filled = fill_rows(rows, length, |_, range, piece| {
            let mut at = 0;
            for row in range {
                for j in 0..row % 4 {
                    piece[at] = row + j;
                    at += 1;
                }
            }
        });
        let collected = collect_rows::<()>(rows, |_, range| {
            let mut block = RowsBlock::default();
            for row in range {
                block.lengths.push(row % 4);
                block.targets.extend((0..row % 4).map(|j| row + j));
            }
            Ok(block)
        })
        .unwrap();
        assert_eq!(filled.row_offsets, collected.row_offsets);
        assert_eq!(filled.targets, collected.targets);
    }
}
