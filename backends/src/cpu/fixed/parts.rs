//! How the cores are shared among threads: contiguous runs of cores of
//! about equal work, each run owning its cores' state, their rings (which
//! are contiguous in the sums) and their input axons (contiguous in the
//! program-wide numbering). A thread updates only its own cores and adds
//! only to its own rings, so threads never share a sum, and since a sum
//! does not depend on the order of its additions, the results are the
//! same for any number of threads.

use std::ops::Range;

/// The cores of one thread.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Part {
    /// Its cores, by index.
    pub cores: Range<usize>,
    /// The end of its input axons (program-wide indices): a message to an
    /// axon below belongs to this part or an earlier one.
    pub axons_end: u32,
    /// Its rings' sums.
    pub sums: Range<usize>,
}

/// What splitting needs to know of each core.
#[derive(Clone, Copy, Debug)]
pub(super) struct CoreShape {
    /// An estimate of its work per step: compartments, synapses, axons.
    pub work: u64,
    /// Its first input axon, program-wide.
    pub first_axon: u32,
    /// Its first sum.
    pub first_sum: usize,
}

/// Splits `cores` into at most `threads` parts of about equal work (fewer
/// if there are fewer cores); `axons` and `sums` are the totals.
pub(super) fn split(cores: &[CoreShape], threads: usize, axons: u32, sums: usize) -> Vec<Part> {
    let threads = threads.clamp(1, cores.len().max(1));
    let total: u64 = cores.iter().map(|c| c.work).sum();
    let mut ends = Vec::with_capacity(threads);
    let mut done = 0u64;
    for (i, core) in cores.iter().enumerate() {
        done += core.work;
        let share = total * (ends.len() as u64 + 1) / threads as u64;
        let left = cores.len() - i - 1;
        let parts_left = threads - ends.len() - 1;
        if ends.len() + 1 < threads && (done >= share || left == parts_left) && left > 0 {
            ends.push(i + 1);
        }
    }
    ends.push(cores.len());
    let mut start = 0;
    ends.into_iter()
        .map(|end| {
            let next = cores.get(end);
            let part = Part {
                cores: start..end,
                axons_end: next.map_or(axons, |c| c.first_axon),
                sums: cores.get(start).map_or(sums, |c| c.first_sum)
                    ..next.map_or(sums, |c| c.first_sum),
            };
            start = end;
            part
        })
        .collect()
}

/// The part that owns input axon `axon`.
pub(super) fn owner(parts: &[Part], axon: u32) -> usize {
    parts.partition_point(|p| p.axons_end <= axon)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shapes(work: &[u64]) -> Vec<CoreShape> {
        work.iter()
            .enumerate()
            .map(|(i, &work)| CoreShape {
                work,
                first_axon: 10 * i as u32,
                first_sum: 100 * i,
            })
            .collect()
    }

    #[test]
    fn parts_cover_every_core_once_in_order() {
        for threads in 1..=6 {
            let cores = shapes(&[5, 1, 1, 1, 9, 2, 2]);
            let parts = split(&cores, threads, 70, 700);
            assert_eq!(parts.len(), threads.min(7));
            assert_eq!(parts[0].cores.start, 0);
            assert_eq!(parts[0].sums.start, 0);
            assert_eq!(
                parts.last().map(|p| (p.cores.end, p.axons_end, p.sums.end)),
                Some((7, 70, 700))
            );
            for pair in parts.windows(2) {
                assert_eq!(pair[0].cores.end, pair[1].cores.start);
                assert_eq!(pair[0].sums.end, pair[1].sums.start);
                assert_eq!(pair[0].axons_end, 10 * pair[1].cores.start as u32);
                assert!(!pair[1].cores.is_empty());
            }
            for axon in 0..70 {
                let part = &parts[owner(&parts, axon)];
                assert!(part.cores.contains(&(axon as usize / 10)));
            }
        }
    }

    #[test]
    fn parts_share_the_work() {
        let cores = shapes(&[1; 100]);
        let parts = split(&cores, 4, 1000, 10_000);
        assert!(parts.iter().all(|p| p.cores.len() == 25), "{parts:?}");
    }
}
