//! A reusable barrier for a few threads that meet once per step.
//!
//! `std::sync::Barrier` parks threads on a condition variable, and waking
//! one costs tens of microseconds: at 10 000 steps a second that would be
//! most of a run. Here threads spin briefly (a step's work is balanced, so
//! partners arrive within microseconds) and then yield, so an
//! oversubscribed machine still makes progress.

use std::sync::atomic::{AtomicUsize, Ordering};

/// Spins before yielding the core.
const SPINS_BEFORE_YIELD: u32 = 1 << 12;

/// A barrier for a fixed number of threads.
#[derive(Debug)]
pub struct SpinBarrier {
    threads: usize,
    arrived: AtomicUsize,
    generation: AtomicUsize,
}

impl SpinBarrier {
    /// A barrier for `threads` threads.
    pub fn new(threads: usize) -> Self {
        SpinBarrier {
            threads,
            arrived: AtomicUsize::new(0),
            generation: AtomicUsize::new(0),
        }
    }

    /// Waits until every thread has called `wait` for this round. Writes
    /// made by any thread before its call are visible to every thread after
    /// it returns.
    pub fn wait(&self) {
        let generation = self.generation.load(Ordering::Acquire);
        if self.arrived.fetch_add(1, Ordering::AcqRel) + 1 == self.threads {
            self.arrived.store(0, Ordering::Relaxed);
            self.generation.fetch_add(1, Ordering::Release);
            return;
        }
        let mut spins = 0u32;
        while self.generation.load(Ordering::Acquire) == generation {
            if spins < SPINS_BEFORE_YIELD {
                spins += 1;
                std::hint::spin_loop();
            } else {
                std::thread::yield_now();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicU64;

    #[test]
    fn no_thread_passes_before_all_arrive() {
        let threads = 4;
        let rounds = 2000;
        let barrier = SpinBarrier::new(threads);
        let counter = AtomicU64::new(0);
        std::thread::scope(|scope| {
            for _ in 0..threads {
                scope.spawn(|| {
                    for round in 0..rounds {
                        counter.fetch_add(1, Ordering::Relaxed);
                        barrier.wait();
                        // Everyone has counted this round before anyone
                        // counts the next one.
                        let seen = counter.load(Ordering::Relaxed);
                        assert!(seen >= (round + 1) * threads as u64, "{seen}");
                        assert!(seen <= (round + 2) * threads as u64, "{seen}");
                        barrier.wait();
                    }
                });
            }
        });
        assert_eq!(counter.load(Ordering::Relaxed), rounds * threads as u64);
    }
}
