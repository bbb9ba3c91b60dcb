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

/// The shape of a table drawn column by column (post neuron by post
/// neuron), the same number of rows (sources) per column; see
/// [`columns_to_rows`].
#[derive(Clone, Copy, Debug)]
pub(super) struct ColumnShape {
    /// Rows (pre neurons).
    pub rows: u32,
    /// Columns (post neurons).
    pub columns: u32,
    /// Rows drawn per column.
    pub per_column: u32,
}

/// Blocks each worker files per wave of [`columns_to_rows`]' second pass:
/// a few, so that a worker that finishes early finds work, while a wave's
/// filed synapses (at most 256 KiB a block) stay about a MiB per worker.
const WAVE_BLOCKS_PER_WORKER: usize = 4;

impl ColumnShape {
    /// Columns per block: [`column_block_width`].
    fn width(&self) -> u32 {
        column_block_width(self.per_column)
    }

    /// Number of blocks of columns.
    fn block_count(&self) -> usize {
        self.columns.div_ceil(self.width()) as usize
    }

    /// The columns of block `block`.
    fn block_columns(&self, block: usize) -> Range<u32> {
        let start = block as u32 * self.width();
        start..self.columns.min(start.saturating_add(self.width()))
    }

    /// Most rows one block draws.
    fn block_draws(&self) -> u64 {
        u64::from(self.width()) * u64::from(self.per_column)
    }

    /// The buckets of rows: at most 256, and at most one per 16 draws of a
    /// block, so that every block's count per bucket (kept from the first
    /// pass to the second) takes at most a quarter of a byte per synapse;
    /// but at least enough that a bucket spans at most 2^24 rows.
    fn buckets(&self) -> RowBuckets {
        let most = (self.block_draws() / 16).clamp(1, 256) as u32;
        RowBuckets::new(self.rows, most.max(self.rows.div_ceil(1 << 24)))
    }

    /// Workers that file blocks, given `threads`.
    fn workers(&self, threads: usize) -> usize {
        threads.min(self.block_count()).max(1)
    }

    /// Workers of the counting pass. Each holds a count per row, so there
    /// are no more of them than keeps those counts within a byte per
    /// synapse: a projection with few synapses per row is counted by fewer
    /// threads rather than with more memory than its table.
    fn counters(&self, threads: usize) -> usize {
        let synapses = u64::from(self.columns) * u64::from(self.per_column);
        let affordable = synapses / (8 * u64::from(self.rows).max(1));
        self.workers(threads)
            .min(usize::try_from(affordable).unwrap_or(usize::MAX))
            .max(1)
    }

    /// Bytes [`columns_to_rows`] holds beside the finished table with
    /// `threads` threads, when each worker's own state (a sampler and a
    /// stream) takes `worker_bytes`: every block's count per bucket, plus
    /// the larger of the counting pass (a count per row per worker) and the
    /// filing pass (one wave of filed blocks), plus every worker's state
    /// and column buffer.
    pub(super) fn transient_bytes(&self, threads: usize, worker_bytes: u64) -> u64 {
        let buckets = self.buckets().count as u64;
        let bucket_counts = self.block_count() as u64 * 4 * buckets;
        let per_worker = 4 * u64::from(self.per_column) + worker_bytes;
        let counting = self.counters(threads) as u64 * (8 * u64::from(self.rows) + per_worker);
        let workers = self.workers(threads) as u64;
        let wave = (workers * WAVE_BLOCKS_PER_WORKER as u64).min(self.block_count() as u64);
        let filing = wave * (4 * self.block_draws() + 4 * (buckets + 1)) + workers * per_worker;
        bucket_counts + counting.max(filing)
    }
}

/// A rule that draws the rows (sources) of each column, block by block:
/// the columns of a block come one after the other from the block's own
/// random stream. [`columns_to_rows`] draws every block twice, so a
/// block's rows must depend on the block alone, never on what the worker
/// drew before.
pub(super) trait ColumnSource: Sync {
    /// What a worker reuses from block to block (a sampler), with the
    /// stream of the block it is drawing.
    type Worker: Send;

    /// A worker, before its first block.
    fn worker(&self) -> Self::Worker;

    /// Makes `worker` draw block `block`, from its first column.
    fn start_block(&self, worker: &mut Self::Worker, block: u64);

    /// Fills `rows` with the rows of column `column`, the next column of
    /// the worker's block.
    fn draw_column(&self, worker: &mut Self::Worker, column: u32, rows: &mut [u32]);
}

/// What a worker of [`columns_to_rows`] holds.
struct Worker<W> {
    /// The source's worker state.
    state: W,
    /// The rows of the column being drawn.
    column_rows: Vec<u32>,
}

impl<W> Worker<W> {
    /// A worker before its first block.
    fn new<S: ColumnSource<Worker = W>>(source: &S, shape: ColumnShape) -> Self {
        Worker {
            state: source.worker(),
            column_rows: vec![0; shape.per_column as usize],
        }
    }

    /// Draws block `block`, handing each column's rows to `take(column
    /// within the block, rows)`.
    fn draw_block<S: ColumnSource<Worker = W>>(
        &mut self,
        source: &S,
        shape: ColumnShape,
        block: usize,
        mut take: impl FnMut(u32, &[u32]),
    ) {
        source.start_block(&mut self.state, block as u64);
        for (column_in_block, column) in (0u32..).zip(shape.block_columns(block)) {
            source.draw_column(&mut self.state, column, &mut self.column_rows);
            take(column_in_block, &self.column_rows);
        }
    }
}

/// The table of a rule that draws `shape.per_column` rows (sources) for
/// each column, where column `c` is target `post_start + c`. Targets come
/// out ascending within each row.
///
/// Nothing of the size of the table is held beside it, at the price of
/// drawing every block twice (see [`ColumnShape::transient_bytes`]). The
/// first pass counts each row's synapses, which fixes the row offsets,
/// and each block's synapses per bucket of rows ([`RowBuckets`]). The
/// second files each block's synapses by bucket and places them at their
/// rows' cursors, a wave of blocks at a time, in block order, so each row
/// receives its columns in ascending order. Filing and placing each write
/// to a few hundred places at a time, which keeps them in cache, and
/// buckets own disjoint rows, so they are placed in parallel.
pub(super) fn columns_to_rows<S: ColumnSource>(
    source: &S,
    shape: ColumnShape,
    post_start: u32,
) -> Csr {
    // No rows to draw from is refused by the rules' checks.
    if shape.per_column == 0 || shape.columns == 0 || shape.rows == 0 {
        return Csr::empty(shape.rows);
    }
    let threads = rayon::current_num_threads();
    let buckets = shape.buckets();
    let counted = count(source, shape, &buckets, threads);
    let mut row_offsets = counted.row_starts;
    let bucket_starts: Vec<u64> = (0..buckets.count)
        .map(|bucket| row_offsets[1 + (bucket << buckets.shift)])
        .collect();
    let bucket_ends = bucket_starts.iter().skip(1).chain([&counted.synapses]);
    let sizes = bucket_starts
        .iter()
        .zip(bucket_ends)
        .map(|(s, e)| (e - s) as usize);
    let mut targets = vec![0u32; counted.synapses as usize];
    let target_pieces = split_pieces(&mut targets, sizes);
    // `row_offsets[r + 1]` is row r's start, its cursor while placing, and
    // its end once every block is placed.
    let cursor_pieces = split_pieces(
        &mut row_offsets[1..],
        (0..buckets.count).map(|b| buckets.rows_of(b)),
    );
    let mut pieces: Vec<_> = target_pieces
        .into_iter()
        .zip(cursor_pieces)
        .zip(bucket_starts)
        .collect();

    let mut workers: Vec<Worker<S::Worker>> = (0..shape.workers(threads))
        .map(|_| Worker::new(source, shape))
        .collect();
    let wave = workers.len() * WAVE_BLOCKS_PER_WORKER;
    let blocks = shape.block_count();
    let mut filed: Vec<ColumnBlock> = (0..wave.min(blocks))
        .map(|_| ColumnBlock::default())
        .collect();
    for first in (0..blocks).step_by(wave) {
        let filed = &mut filed[..wave.min(blocks - first)];
        let per_worker = filed.len().div_ceil(workers.len());
        filed
            .par_chunks_mut(per_worker)
            .zip(workers.par_iter_mut())
            .enumerate()
            .for_each(|(w, (chunk, worker))| {
                for (i, block) in chunk.iter_mut().enumerate() {
                    let index = first + w * per_worker + i;
                    let counts = &counted.bucket_counts[index * buckets.count..][..buckets.count];
                    buckets.file(source, shape, worker, index, counts, block);
                }
            });
        pieces
            .par_iter_mut()
            .enumerate()
            .for_each(|(bucket, ((targets, cursors), start))| {
                for block in filed.iter() {
                    let first_target = post_start + block.first_column;
                    for &entry in block.bucket(bucket) {
                        let cursor = &mut cursors[(entry >> COLUMN_BITS) as usize];
                        targets[(*cursor - *start) as usize] = first_target + (entry & (BLOCK - 1));
                        *cursor += 1;
                    }
                }
            });
    }
    drop(pieces);
    Csr {
        row_offsets,
        targets,
    }
}

/// What the first pass of [`columns_to_rows`] counts.
struct Counted {
    /// `rows + 1` offsets with row r's start at `r + 1` (and 0 at 0).
    row_starts: Vec<u64>,
    /// The number of synapses.
    synapses: u64,
    /// Synapses per bucket, `buckets.count` per block, block after block.
    bucket_counts: Vec<u32>,
}

/// The first pass of [`columns_to_rows`]: draws every block and counts its
/// synapses by row and by bucket. Each counting worker takes a fixed run
/// of blocks and counts rows into its own array; integer sums do not
/// depend on how the blocks were shared out.
fn count<S: ColumnSource>(
    source: &S,
    shape: ColumnShape,
    buckets: &RowBuckets,
    threads: usize,
) -> Counted {
    let rows = shape.rows as usize;
    let blocks = shape.block_count();
    let per_counter = blocks.div_ceil(shape.counters(threads));
    let mut bucket_counts = vec![0u32; blocks * buckets.count];
    let row_counts: Vec<Vec<u64>> = bucket_counts
        .par_chunks_mut(per_counter * buckets.count)
        .enumerate()
        .map(|(c, run)| {
            let mut worker = Worker::new(source, shape);
            let mut counts = vec![0u64; rows];
            for (i, block_counts) in run.chunks_exact_mut(buckets.count).enumerate() {
                worker.draw_block(source, shape, c * per_counter + i, |_, column_rows| {
                    for &row in column_rows {
                        counts[row as usize] += 1;
                        block_counts[(row >> buckets.shift) as usize] += 1;
                    }
                });
            }
            counts
        })
        .collect();
    let mut row_starts = vec![0u64; rows + 1];
    let mut synapses = 0u64;
    for (row, start) in row_starts[1..].iter_mut().enumerate() {
        *start = synapses;
        synapses += row_counts.iter().map(|c| c[row]).sum::<u64>();
    }
    Counted {
        row_starts,
        synapses,
        bucket_counts,
    }
}

/// Rows of the table in groups of a power of two, so that a synapse can be
/// filed under its group when its column is drawn, and each group of rows
/// then placed on its own (see [`columns_to_rows`]).
struct RowBuckets {
    /// Number of rows.
    rows: u32,
    /// log2 of the rows per bucket.
    shift: u32,
    /// Number of buckets.
    count: usize,
}

/// Bits of a filed synapse that hold its column within the block.
const COLUMN_BITS: u32 = BLOCK.trailing_zeros();

impl RowBuckets {
    /// At most `most` buckets (at most 256), of at most 2^24 rows each, so
    /// that a row within its bucket and a column within its block pack
    /// into a `u32`.
    fn new(rows: u32, most: u32) -> Self {
        let per_bucket = rows.div_ceil(most).max(1).next_power_of_two();
        debug_assert!(per_bucket <= 1 << 24, "{rows} rows in {most} buckets");
        RowBuckets {
            rows,
            shift: per_bucket.trailing_zeros(),
            count: rows.div_ceil(per_bucket) as usize,
        }
    }

    /// Draws block `index` and files its synapses into `block`, whose
    /// buffers are reused from wave to wave, in exactly the space they
    /// need: `counts` are the block's synapses per bucket from the first
    /// pass. Each bucket's synapses come out in column order.
    fn file<S: ColumnSource>(
        &self,
        source: &S,
        shape: ColumnShape,
        worker: &mut Worker<S::Worker>,
        index: usize,
        counts: &[u32],
        block: &mut ColumnBlock,
    ) {
        let ColumnBlock {
            first_column,
            starts,
            entries,
        } = block;
        *first_column = shape.block_columns(index).start;
        // `starts[b + 1]` is bucket b's start, its cursor while filing, and
        // its end once filed.
        starts.clear();
        starts.push(0);
        let mut total = 0;
        for &count in counts {
            starts.push(total);
            total += count;
        }
        entries.resize(total as usize, 0);
        let local_mask = (1u32 << self.shift) - 1;
        worker.draw_block(source, shape, index, |column_in_block, rows| {
            for &row in rows {
                let cursor = &mut starts[(row >> self.shift) as usize + 1];
                entries[*cursor as usize] = (row & local_mask) << COLUMN_BITS | column_in_block;
                *cursor += 1;
            }
        });
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
#[derive(Default)]
struct ColumnBlock {
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

#[cfg(test)]
mod tests {
    use super::super::random::splitmix64;
    use super::*;

    /// Rows drawn by hashing the block, the column and the draw.
    struct Hashed {
        rows: u32,
    }

    impl ColumnSource for Hashed {
        type Worker = u64;

        fn worker(&self) -> u64 {
            u64::MAX
        }

        fn start_block(&self, worker: &mut u64, block: u64) {
            *worker = block;
        }

        fn draw_column(&self, block: &mut u64, column: u32, rows: &mut [u32]) {
            for (j, row) in (0u64..).zip(rows.iter_mut()) {
                let key = *block << 40 ^ u64::from(column) << 20 ^ j;
                *row = (splitmix64(key) % u64::from(self.rows)) as u32;
            }
        }
    }

    #[test]
    fn columns_to_rows_matches_sorting_the_pairs() {
        // Blocks of 256, 256, 21 and 1 columns: fewer rows than a bucket,
        // one counting worker, and several waves of blocks.
        let shapes = [
            (3, 4, 2),
            (5_000, 3_000, 2),
            (600, 500, 3_100),
            (50, 12, 70_000),
        ];
        for (rows, columns, per_column) in shapes {
            let shape = ColumnShape {
                rows,
                columns,
                per_column,
            };
            let source = Hashed { rows };
            let mut pairs = Vec::new();
            let mut block = 0;
            let mut drawn = vec![0; per_column as usize];
            for column in 0..columns {
                if column % shape.width() == 0 {
                    source.start_block(&mut block, u64::from(column / shape.width()));
                }
                source.draw_column(&mut block, column, &mut drawn);
                pairs.extend(drawn.iter().map(|&row| (row, column)));
            }
            pairs.sort_unstable();
            let mut row_offsets = vec![0u64; rows as usize + 1];
            for &(row, _) in &pairs {
                row_offsets[row as usize + 1] += 1;
            }
            for row in 0..rows as usize {
                row_offsets[row + 1] += row_offsets[row];
            }
            let targets: Vec<u32> = pairs.iter().map(|&(_, column)| 10 + column).collect();
            for threads in [1, 2, 3, 5] {
                let pool = rayon::ThreadPoolBuilder::new()
                    .num_threads(threads)
                    .build()
                    .unwrap();
                let csr = pool.install(|| columns_to_rows(&source, shape, 10));
                assert_eq!(csr.row_offsets, row_offsets, "{shape:?}, {threads} threads");
                assert_eq!(csr.targets, targets, "{shape:?}, {threads} threads");
            }
        }
    }

    #[test]
    fn counters_hold_at_most_a_byte_per_synapse() {
        let sparse = ColumnShape {
            rows: 1_000_000,
            columns: 1_000_000,
            per_column: 4,
        };
        assert_eq!(sparse.counters(64), 1);
        let dense = ColumnShape {
            rows: 25_000,
            columns: 10_000,
            per_column: 1_000,
        };
        assert_eq!(dense.counters(64), 50);
        assert_eq!(dense.counters(2), 2);
    }

    #[test]
    fn little_is_held_beside_the_table() {
        // Brunel's excitatory projection onto itself, on two threads.
        let shape = ColumnShape {
            rows: 10_000,
            columns: 10_000,
            per_column: 1_000,
        };
        let targets_bytes = 4 * 10_000 * 1_000;
        assert!(shape.transient_bytes(2, 0) < targets_bytes / 16);
        // Few synapses per row: counted by one worker, and few buckets.
        let sparse = ColumnShape {
            rows: 1_000_000,
            columns: 1_000_000,
            per_column: 1,
        };
        assert!(sparse.buckets().count <= 16);
        assert!(sparse.transient_bytes(64, 0) < 4 * 1_000_000 + 8 * 1_000_000);
    }

    #[test]
    fn buckets_cover_the_rows() {
        for rows in [0, 1, 255, 256, 257, 10_000, u32::MAX] {
            for most in [1, 16, 256] {
                let buckets = RowBuckets::new(rows, most.max(rows.div_ceil(1 << 24)));
                assert!(buckets.count <= 256);
                assert!(buckets.shift <= 24);
                let covered: u64 = (0..buckets.count).map(|b| buckets.rows_of(b) as u64).sum();
                assert_eq!(covered, u64::from(rows));
            }
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
