//! Spike schedules of spike-time sources, as step numbers.

use neurc_ir::step_of;

/// The steps in which each neuron of a group has a scheduled spike, sorted
/// and without repeats, with a cursor per neuron so that the executors read
/// them in one forward pass.
#[derive(Clone, PartialEq, Debug, Default)]
pub struct Schedule {
    /// `neurons + 1` offsets into `steps`.
    offsets: Vec<u32>,
    /// Step numbers, ascending within each neuron's range.
    steps: Vec<u64>,
    /// Per neuron, the index of its first step not yet passed.
    cursor: Vec<u32>,
}

impl Schedule {
    /// The schedule of neurons whose spike times (seconds, any order) are
    /// `times[i]`, with steps of `dt`.
    pub fn new<'a>(times: impl IntoIterator<Item = &'a [f64]>, dt: f64) -> Self {
        let mut offsets = vec![0u32];
        let mut steps = Vec::new();
        for neuron in times {
            let start = steps.len();
            steps.extend(neuron.iter().map(|&t| step_of(t, dt)));
            steps[start..].sort_unstable();
            let mut unique = start;
            for i in start..steps.len() {
                if i == start || steps[i] != steps[unique - 1] {
                    steps[unique] = steps[i];
                    unique += 1;
                }
            }
            steps.truncate(unique);
            offsets.push(steps.len() as u32);
        }
        let cursor = offsets[..offsets.len() - 1].to_vec();
        Schedule {
            offsets,
            steps,
            cursor,
        }
    }

    /// Number of neurons.
    pub fn len(&self) -> usize {
        self.cursor.len()
    }

    /// Whether the schedule has no neurons.
    pub fn is_empty(&self) -> bool {
        self.cursor.is_empty()
    }

    /// Whether neuron `neuron` has a spike in step `step`. Steps must be
    /// asked in increasing order per neuron; earlier entries are passed.
    /// A neuron outside the schedule never fires.
    pub fn fires(&mut self, neuron: u32, step: u64) -> bool {
        let i = neuron as usize;
        let (Some(cursor), Some(&end)) = (self.cursor.get_mut(i), self.offsets.get(i + 1)) else {
            return false;
        };
        while *cursor < end && self.steps[*cursor as usize] < step {
            *cursor += 1;
        }
        *cursor < end && self.steps[*cursor as usize] == step
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_on_step_boundaries_fall_in_the_step_they_start() {
        let dt = 1e-4;
        assert_eq!(step_of(0.0, dt), 0);
        assert_eq!(step_of(0.3e-3, dt), 3);
        assert_eq!(step_of(0.35e-3, dt), 3);
        assert_eq!(step_of(1.0, dt), 10_000);
    }

    #[test]
    fn each_neuron_fires_in_its_own_steps_once() {
        let dt = 1e-3;
        let times: Vec<Vec<f64>> = vec![vec![0.005, 0.001, 0.0012], vec![], vec![0.002]];
        let mut schedule = Schedule::new(times.iter().map(Vec::as_slice), dt);
        let mut fired = vec![Vec::new(); 3];
        for step in 0..10 {
            for (neuron, list) in fired.iter_mut().enumerate() {
                if schedule.fires(neuron as u32, step) {
                    list.push(step);
                }
            }
        }
        assert_eq!(fired, vec![vec![1, 5], vec![], vec![2]]);
        assert!(!schedule.fires(7, 1));
    }
}
