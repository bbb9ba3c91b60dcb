//! Where each core's dendritic accumulators lie in the state's one array.
//!
//! A core's accumulators are a ring of delay slots, each slot holding
//! `groups × compartments` sums. A step adds its messages to the slots of
//! their delays and its update empties the slot of the step, so what a step
//! touches is a few slots of every core, not whole rings. Laid out core by
//! core, a small core's slot is a few bytes of a cache line of its own: the
//! cores of random connectivity, mapped a few compartments to a core, would
//! spread each step over a line per core. So cores are laid out in blocks
//! of consecutive cores with the same number of slots, and within a block
//! slot by slot: every core's slot s next to its neighbours' slot s.
//!
//! Blocks start at multiples of [`Layout::block_cores`] cores, so the
//! threads, which own runs of cores of a multiple of it, own contiguous
//! parts of the array. The layout is the chip's alone, whatever the number
//! of threads.

/// Accumulators one slot of a block spans when its cores are the chip's
/// narrowest: a few cache lines.
const BLOCK_SLOT_ACCUMULATORS: usize = 64;

/// Where one core's ring lies: slot s starts at `base + s × stride`, and
/// holds the core's `groups × compartments` sums.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Place {
    pub(crate) base: usize,
    /// Accumulators per slot of the core's block.
    pub(crate) stride: u32,
}

/// The places of every core's ring.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Layout {
    /// Per core, where its ring lies.
    pub(crate) places: Vec<Place>,
    /// Accumulators of all cores.
    pub(crate) len: usize,
    /// Blocks start at multiples of this many cores.
    pub(crate) block_cores: usize,
}

/// The layout of cores with `widths[i]` accumulators per slot and
/// `slots[i]` slots.
pub(crate) fn lay_out(widths: &[usize], slots: &[u32]) -> Layout {
    let narrowest = widths.iter().copied().filter(|&w| w > 0).min().unwrap_or(1);
    let block_cores = (BLOCK_SLOT_ACCUMULATORS / narrowest).max(1);
    let mut places = Vec::with_capacity(widths.len());
    let mut len = 0;
    let mut start = 0;
    while start < widths.len() {
        let group_end = ((start / block_cores + 1) * block_cores).min(widths.len());
        let end = (start + 1..group_end)
            .find(|&i| slots[i] != slots[start])
            .unwrap_or(group_end);
        let stride: usize = widths[start..end].iter().sum();
        let mut offset = len;
        for &width in &widths[start..end] {
            places.push(Place {
                base: offset,
                stride: stride as u32,
            });
            offset += width;
        }
        len += stride * slots[start] as usize;
        start = end;
    }
    Layout {
        places,
        len,
        block_cores,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Every accumulator of every core has a place of its own, the
        /// places fill the array, and the cores of each run of
        /// `block_cores` (the runs threads own) fill a contiguous part of
        /// it, in order.
        #[test]
        fn every_accumulator_has_its_own_place_and_runs_are_contiguous(
            cores in prop::collection::vec((0usize..12, 1u32..5), 1..80)
        ) {
            let (widths, slots): (Vec<usize>, Vec<u32>) = cores.into_iter().unzip();
            let layout = lay_out(&widths, &slots);
            let mut owner = vec![None; layout.len];
            for (core, place) in layout.places.iter().enumerate() {
                for slot in 0..slots[core] as usize {
                    for k in 0..widths[core] {
                        let at = place.base + slot * place.stride as usize + k;
                        prop_assert!(at < layout.len, "core {core} slot {slot} at {at}");
                        prop_assert_eq!(owner[at], None, "{} is taken", at);
                        owner[at] = Some(core);
                    }
                }
            }
            prop_assert!(owner.iter().all(Option::is_some), "no gaps");
            let total: usize = widths.iter().zip(&slots).map(|(&w, &s)| w * s as usize).sum();
            prop_assert_eq!(layout.len, total);
            let mut start = 0;
            for (run, cores) in widths.chunks(layout.block_cores).enumerate() {
                let first = run * layout.block_cores;
                let end = start
                    + cores
                        .iter()
                        .enumerate()
                        .map(|(i, &w)| w * slots[first + i] as usize)
                        .sum::<usize>();
                let range = first..first + cores.len();
                prop_assert!(
                    owner[start..end].iter().all(|o| o.is_some_and(|c| range.contains(&c))),
                    "the run of cores {:?} owns {}..{}", range, start, end
                );
                start = end;
            }
        }
    }

    #[test]
    fn small_cores_share_their_slots_cache_lines() {
        // Three compartments a core, 16 slots: 21 cores to a block, whose
        // slot s is 63 consecutive sums.
        let layout = lay_out(&[3; 50], &[16; 50]);
        assert_eq!(layout.block_cores, 21);
        assert_eq!(
            layout.places[0],
            Place {
                base: 0,
                stride: 63
            }
        );
        assert_eq!(
            layout.places[1],
            Place {
                base: 3,
                stride: 63
            }
        );
        assert_eq!(layout.places[21].base, 63 * 16);
        // The last block has the 8 cores left.
        assert_eq!(layout.places[49].stride, 24);
        assert_eq!(layout.len, 50 * 3 * 16);
    }

    #[test]
    fn a_change_of_slots_starts_a_block() {
        let layout = lay_out(&[2, 2, 2], &[4, 4, 8]);
        assert_eq!(layout.places[0], Place { base: 0, stride: 4 });
        assert_eq!(layout.places[1], Place { base: 2, stride: 4 });
        assert_eq!(
            layout.places[2],
            Place {
                base: 16,
                stride: 2
            }
        );
        assert_eq!(layout.len, 32);
    }
}
