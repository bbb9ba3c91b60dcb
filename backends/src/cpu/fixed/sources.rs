//! The host's spike sources: Poisson neurons drawing from the same
//! per-neuron streams as the CPU target, and neurons that spike on listed
//! steps. Every neuron fires, whether or not its spikes reach a core, so
//! that a run records the same source spikes as the emulator.

use crate::cpu::random::{ConstantPoisson, Stream, poisson, stream};
use neurc_ir::chip::{InputSource, SourceKind};
use std::collections::HashMap;

/// Every source of a program, ready to fire step by step.
pub(super) struct Sources {
    sources: Vec<Source>,
    /// The inversion tables of the Poisson means that neurons share.
    tables: Vec<ConstantPoisson>,
}

/// At most this many inversion tables (of about 10 KB each) are built; a
/// mean beyond them, or of one neuron only, is drawn by [`poisson`].
const MAX_TABLES: usize = 256;

/// One source: its neurons, where their spikes go, and what they sent on
/// the last step.
struct Source {
    drive: Drive,
    /// Neuron i's targets are `targets[first[i] .. first[i + 1]]`.
    first: Vec<u32>,
    targets: Vec<u32>,
    /// The spikes each neuron sent on the last step.
    counts: Vec<u32>,
    /// The neurons whose count is not 0.
    fired: Vec<u32>,
}

enum Drive {
    Poisson(Vec<PoissonNeuron>),
    /// One list of steps for every neuron in `neurons`.
    Shared {
        steps: Vec<u64>,
        next: usize,
        neurons: Vec<u32>,
    },
    /// A list of steps per neuron.
    Each(Vec<ListedNeuron>),
}

struct PoissonNeuron {
    neuron: u32,
    stream: Stream,
    draw: Draw,
}

/// How a Poisson neuron draws its count: each way gives the count
/// [`poisson`] gives from the same stream.
enum Draw {
    /// From the inversion table `tables[i]` of its mean.
    Table(usize),
    /// By [`poisson`] itself, for a mean above the tables' range.
    General { mean: f64, exp_neg_mean: f64 },
}

struct ListedNeuron {
    neuron: u32,
    steps: Vec<u64>,
    next: usize,
}

impl Sources {
    /// The sources of a program with seed `seed`; `targets_of(source)`
    /// gives, per neuron, where its spikes go.
    pub(super) fn new(
        seed: u64,
        inputs: &[InputSource],
        mut targets_of: impl FnMut(&InputSource) -> (Vec<u32>, Vec<u32>),
    ) -> Sources {
        let mut tables = Tables::default();
        let mut sources = Vec::with_capacity(inputs.len());
        for input in inputs {
            let (first, targets) = targets_of(input);
            let neurons = 0..input.size;
            let drive = match &input.kind {
                SourceKind::Poisson { mean_per_step } => {
                    let mut uses: HashMap<u64, usize> = HashMap::new();
                    for mean in mean_per_step {
                        *uses.entry(mean.to_bits()).or_default() += 1;
                    }
                    let neurons = neurons.filter_map(|i| {
                        let mean = mean_per_step.get(i as usize).copied().unwrap_or(0.0);
                        let draw = tables.draw_of(mean, &uses)?;
                        Some(PoissonNeuron {
                            neuron: i,
                            stream: stream(seed, input.node.0, i),
                            draw,
                        })
                    });
                    Drive::Poisson(neurons.collect())
                }
                SourceKind::Steps { steps } if steps.len() == 1 => Drive::Shared {
                    steps: steps[0].clone(),
                    next: 0,
                    neurons: neurons.collect(),
                },
                SourceKind::Steps { steps } => Drive::Each(
                    neurons
                        .filter_map(|i| {
                            let steps = steps.get(i as usize)?;
                            Some(ListedNeuron {
                                neuron: i,
                                steps: steps.clone(),
                                next: 0,
                            })
                        })
                        .collect(),
                ),
            };
            sources.push(Source {
                drive,
                first,
                targets,
                counts: vec![0; input.size as usize],
                fired: Vec::new(),
            });
        }
        Sources {
            sources,
            tables: tables.tables,
        }
    }

    /// Fires the sources' spikes of `step`: `send(targets, k)` for each
    /// neuron that sends `k ≥ 1` spikes, with its targets. Every Poisson
    /// neuron draws once per step, whether or not it spikes.
    pub(super) fn fire(&mut self, step: u64, mut send: impl FnMut(&[u32], u32)) {
        let tables = &self.tables;
        for source in &mut self.sources {
            for &neuron in &source.fired {
                source.counts[neuron as usize] = 0;
            }
            source.fired.clear();
            let mut spike = |neuron: u32, count: u32| {
                let i = neuron as usize;
                source.counts[i] = count;
                source.fired.push(neuron);
                send(
                    &source.targets[source.first[i] as usize..source.first[i + 1] as usize],
                    count,
                );
            };
            match &mut source.drive {
                Drive::Poisson(neurons) => {
                    for neuron in neurons {
                        let count = match neuron.draw {
                            Draw::Table(t) => tables[t].draw(&mut neuron.stream),
                            Draw::General { mean, exp_neg_mean } => {
                                poisson(&mut neuron.stream, mean, exp_neg_mean)
                            }
                        };
                        if count >= 1.0 {
                            spike(neuron.neuron, count as u32);
                        }
                    }
                }
                Drive::Shared {
                    steps,
                    next,
                    neurons,
                } => {
                    if due(steps, next, step) {
                        for &neuron in neurons.iter() {
                            spike(neuron, 1);
                        }
                    }
                }
                Drive::Each(neurons) => {
                    for neuron in neurons {
                        if due(&neuron.steps, &mut neuron.next, step) {
                            spike(neuron.neuron, 1);
                        }
                    }
                }
            }
        }
    }

    /// Bytes the sources' wiring and counts hold.
    pub(super) fn heap_bytes(&self) -> usize {
        self.sources
            .iter()
            .map(|s| 4 * (s.first.len() + s.targets.len() + s.counts.len()))
            .sum()
    }

    /// The spikes each neuron of source `source` sent on the last step
    /// fired.
    ///
    /// # Panics
    /// If there is no such source.
    pub(super) fn counts(&self, source: usize) -> &[u32] {
        &self.sources[source].counts
    }
}

/// The inversion tables built so far, by the bits of their means.
#[derive(Default)]
struct Tables {
    tables: Vec<ConstantPoisson>,
    index: HashMap<u64, usize>,
}

impl Tables {
    /// How a neuron of mean `mean` draws, where `uses` counts the
    /// neurons of each mean of its source, building the mean's table if it
    /// is shared and there is room;
    /// `None` if it never spikes (a mean of 0, which [`poisson`] answers
    /// without a draw).
    fn draw_of(&mut self, mean: f64, uses: &HashMap<u64, usize>) -> Option<Draw> {
        if mean.is_nan() || mean <= 0.0 {
            return None;
        }
        let exp_neg_mean = (-mean).exp();
        let bits = mean.to_bits();
        if let Some(&t) = self.index.get(&bits) {
            return Some(Draw::Table(t));
        }
        let shared = uses.get(&bits).is_some_and(|&n| n > 1);
        let table = (shared && self.tables.len() < MAX_TABLES)
            .then(|| ConstantPoisson::new(mean, exp_neg_mean))
            .flatten();
        match table {
            Some(table) => {
                self.tables.push(table);
                self.index.insert(bits, self.tables.len() - 1);
                Some(Draw::Table(self.tables.len() - 1))
            }
            None => Some(Draw::General { mean, exp_neg_mean }),
        }
    }
}

/// Whether the ascending list `steps` holds `step`, moving `next` past
/// the steps up to it.
fn due(steps: &[u64], next: &mut usize, step: u64) -> bool {
    while steps.get(*next).is_some_and(|&s| s < step) {
        *next += 1;
    }
    let hit = steps.get(*next) == Some(&step);
    if hit {
        *next += 1;
    }
    hit
}
