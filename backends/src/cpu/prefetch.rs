//! Prefetching for the synaptic loops that are bound by memory latency:
//! a spike on a large network reaches lists scattered over hundreds of
//! megabytes, and asking for the next lists' cache lines while the current
//! one is processed keeps several misses in flight.

/// Asks the processor to bring the cache line of `value` in, without
/// waiting for it.
#[inline(always)]
pub fn prefetch<T>(value: &T) {
    #[cfg(target_arch = "x86_64")]
    #[allow(unsafe_code)]
    // SAFETY: a prefetch is a hint with no architectural effect: it reads
    // nothing into the program and cannot fault; `value` is a valid
    // reference besides. SSE, which it needs, is part of x86-64.
    unsafe {
        use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        _mm_prefetch::<_MM_HINT_T0>(std::ptr::from_ref(value).cast());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = value;
}

/// Asks for every cache line `values` lies on: one address per 64 bytes
/// from the first (so no line in between is passed over) and the last.
#[inline(always)]
pub fn prefetch_slice<T>(values: &[T]) {
    const LINE: usize = 64;
    for line in values.chunks((LINE / std::mem::size_of::<T>().max(1)).max(1)) {
        prefetch(&line[0]);
    }
    if let Some(last) = values.last() {
        prefetch(last);
    }
}

/// `values[i]` for each `i` of `indices`, in order, each asked for
/// [`GATHER_AHEAD`] reads before it is read: a gather from an array larger
/// than the cache keeps several misses in flight instead of waiting on
/// each in turn.
///
/// # Panics
/// If an index is out of bounds, as indexing would.
pub fn gather<'a, T>(values: &'a [T], indices: &'a [usize]) -> impl Iterator<Item = &'a T> + 'a {
    indices.iter().enumerate().map(move |(k, &i)| {
        if let Some(value) = indices.get(k + GATHER_AHEAD).and_then(|&a| values.get(a)) {
            prefetch(value);
        }
        &values[i]
    })
}

/// How many reads ahead [`gather`] asks for a value: enough to cover a
/// miss to memory at a few nanoseconds per read.
pub const GATHER_AHEAD: usize = 16;

#[cfg(test)]
mod tests {
    use super::gather;

    #[test]
    fn a_gather_reads_each_index_in_order() {
        let values: Vec<u32> = (0..100).map(|v| v * 3).collect();
        let indices: Vec<usize> = (0..60).map(|k| (k * 37) % 100).collect();
        let read: Vec<u32> = gather(&values, &indices).copied().collect();
        let expected: Vec<u32> = indices.iter().map(|&i| values[i]).collect();
        assert_eq!(read, expected);
    }
}
