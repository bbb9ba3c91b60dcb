//! Large tables on huge pages. A step's spikes reach synapse lists
//! scattered over tables of hundreds of megabytes; with 4 KiB pages nearly
//! every such lookup also misses the TLB and walks the page table, which
//! costs as much again as the lookup. Backed by 2 MiB pages, a table of
//! 200 MB needs a hundred TLB entries instead of fifty thousand. Linux
//! gives huge pages to memory advised for them when transparent huge
//! pages are in `madvise` (or `always`) mode; elsewhere, or when the
//! advice is refused, the tables stay on ordinary pages and only the speed
//! differs.

/// Tables smaller than this are left where they are: a few huge pages
/// would not save enough misses to pay for the copy.
const HUGE_TABLE_BYTES: usize = 8 << 20;

/// An empty vector with room for `capacity` items, in memory advised for
/// huge pages when it is large: filled afterwards, it faults in on huge
/// pages. Meant for tables built once, to their known size.
pub fn with_huge_pages<T>(capacity: usize) -> Vec<T> {
    let table: Vec<T> = Vec::with_capacity(capacity);
    let bytes = capacity.saturating_mul(std::mem::size_of::<T>());
    if bytes >= HUGE_TABLE_BYTES {
        advise_huge_pages(table.as_ptr().cast(), bytes);
    }
    table
}

/// Advises the kernel to back the whole pages within `bytes` from `start`
/// with huge pages.
#[cfg(target_os = "linux")]
fn advise_huge_pages(start: *const u8, bytes: usize) {
    const PAGE: usize = 4096;
    let begin = (start as usize).next_multiple_of(PAGE);
    let end = (start as usize + bytes) & !(PAGE - 1);
    if end <= begin {
        return;
    }
    #[allow(unsafe_code)]
    // SAFETY: [begin, end) lies inside an allocation this process owns
    // and holds no references into; MADV_HUGEPAGE changes only how the
    // kernel backs those pages, never their contents or validity. A
    // refusal (no transparent huge pages) is harmless, so the result is
    // not needed.
    unsafe {
        libc::madvise(begin as *mut libc::c_void, end - begin, libc::MADV_HUGEPAGE);
    }
}

#[cfg(not(target_os = "linux"))]
fn advise_huge_pages(_start: *const u8, _bytes: usize) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_table_holds_what_it_is_given_whatever_its_size() {
        for len in [0, 10, HUGE_TABLE_BYTES / 4 + 3] {
            let items = (0..len as u32).map(|i| i.wrapping_mul(2_654_435_761));
            let mut table = with_huge_pages(len);
            table.extend(items.clone());
            assert!(table.capacity() >= len);
            assert!(table.into_iter().eq(items));
        }
    }
}
