//! The chip report of a run: per step (time, energy, spikes, busiest core),
//! per core (load and operations), per operation (count and energy share),
//! the totals, and NeuroBench's figures (Yik et al. 2024: synaptic
//! operations, activation sparsity, connection sparsity, memory
//! footprint). [`Ledger`] collects the steps as they run; [`build`] makes
//! the report; [`ChipReport::summary`] is its short form for a terminal.

use crate::chip::Chip;
use crate::counts::{Counts, Energy};
use crate::state::ChipState;
use crate::step::StepStats;
use neurc_ir::chip::{CoreLocation, Mesh};
use serde::Serialize;

/// Bytes of state per compartment on Loihi (Intel's Loihi 2 brief: "24
/// bytes per neuron, fixed"), for the memory footprint.
const STATE_BYTES_PER_COMPARTMENT: u64 = 24;

/// The steps of a run, as columns.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Ledger {
    /// Per step, its duration, picoseconds.
    pub time_ps: Vec<u64>,
    /// Per step, its energy, picojoules.
    pub energy_pj: Vec<f64>,
    /// Per step, spikes of compartments.
    pub spikes: Vec<u64>,
    /// Per step, the core that finished last (its id's number).
    pub busiest_core: Vec<Option<u32>>,
    /// Per step, when the busiest core finished, picoseconds.
    pub busiest_core_ps: Vec<u64>,
    /// Per step, the most messages a link carried.
    pub busiest_link_messages: Vec<u32>,
    #[serde(skip)]
    totals: Counts,
    #[serde(skip)]
    energy: Energy,
}

impl Ledger {
    /// An empty ledger.
    pub fn new() -> Ledger {
        Ledger::default()
    }

    /// Adds a step of `chip`.
    pub fn record(&mut self, chip: &Chip, stats: &StepStats) {
        let energy = stats.energy(chip);
        self.time_ps.push(stats.time_ps);
        self.energy_pj.push(energy.total());
        self.spikes.push(stats.counts.spikes);
        self.busiest_core
            .push(stats.busiest_core.map(|(id, _)| id.0));
        self.busiest_core_ps
            .push(stats.busiest_core.map_or(0, |(_, t)| t));
        self.busiest_link_messages.push(stats.busiest_link_messages);
        self.totals += &stats.counts;
        self.energy += &energy;
    }

    /// Steps recorded.
    pub fn steps(&self) -> u64 {
        self.time_ps.len() as u64
    }

    /// Operations of every step recorded.
    pub fn totals(&self) -> &Counts {
        &self.totals
    }

    /// Energy of every step recorded.
    pub fn energy(&self) -> &Energy {
        &self.energy
    }

    /// Time of every step recorded, picoseconds.
    pub fn time_ps(&self) -> u64 {
        self.time_ps.iter().sum()
    }
}

/// The chip report.
#[derive(Clone, Debug, Serialize)]
pub struct ChipReport {
    /// The chip spec's name (`loihi`, `loihi2`, or a user's).
    pub target: String,
    /// The arithmetic that ran.
    pub arithmetic: &'static str,
    /// Steps run.
    pub steps: u64,
    /// The step, seconds.
    pub dt_s: f64,
    /// What the program occupies.
    pub system: System,
    /// The whole run.
    pub totals: Totals,
    /// Per operation.
    pub operations: Vec<Operation>,
    /// NeuroBench's figures.
    pub neurobench: NeuroBench,
    /// Per core in use.
    pub cores: Vec<CoreEntry>,
    /// Per step.
    pub per_step: Ledger,
}

/// What the program occupies.
#[derive(Clone, Debug, Serialize)]
pub struct System {
    /// Chips with a core in use.
    pub chips: u32,
    /// Tiles with a core in use.
    pub tiles: u32,
    /// Cores in use.
    pub cores: u32,
    /// Compartments of all cores.
    pub compartments: u64,
    /// Synapses of all cores.
    pub synapses: u64,
    /// The end-of-step barrier, picoseconds.
    pub barrier_ps: u64,
    /// The system's mesh: tiles per chip, cores per tile, chips; with each
    /// core's `location` it places the cores on a map.
    pub mesh: Mesh,
}

/// The whole run.
#[derive(Clone, Debug, Serialize)]
pub struct Totals {
    /// Chip time, picoseconds.
    pub time_ps: u64,
    /// Mean chip time per step, nanoseconds.
    pub time_per_step_ns: f64,
    /// Chip time over the biological time it simulated: below 1 is faster
    /// than real time.
    pub real_time_factor: f64,
    /// Energy, picojoules.
    pub energy_pj: f64,
    /// Energy apart from static power, picojoules.
    pub dynamic_energy_pj: f64,
    /// Mean energy per step, nanojoules.
    pub energy_per_step_nj: f64,
    /// Operation counts.
    pub counts: Counts,
}

/// One kind of operation.
#[derive(Clone, Debug, Serialize)]
pub struct Operation {
    /// Its name.
    pub operation: &'static str,
    /// How many were charged (none for static power).
    pub count: Option<u64>,
    /// Energy, picojoules.
    pub energy_pj: f64,
    /// Its share of the total energy.
    pub share: f64,
}

/// NeuroBench's complexity figures for the run.
#[derive(Clone, Debug, Serialize)]
pub struct NeuroBench {
    /// Synaptic operations (accumulates: one per synapse per spike).
    pub synaptic_operations: u64,
    /// Synaptic operations per step.
    pub synaptic_operations_per_step: f64,
    /// One minus the fraction of spiking compartments per step.
    pub activation_sparsity: f64,
    /// One minus synapses over all possible (sender, compartment) pairs.
    pub connection_sparsity: f64,
    /// Synaptic memory plus compartment state, bytes.
    pub memory_footprint_bytes: u64,
}

/// One core's load and work.
#[derive(Clone, Debug, Serialize)]
pub struct CoreEntry {
    /// Its id.
    pub core: String,
    /// Where it is: its chip, its tile on the chip, its index in the tile.
    pub location: Option<CoreLocation>,
    /// Compartments.
    pub compartments: u32,
    /// Synapses.
    pub synapses: u64,
    /// Time busy over the run's time.
    pub utilisation: f64,
    /// Time busy, picoseconds.
    pub busy_ps: u64,
    /// Synaptic operations.
    pub synaptic_ops: u64,
    /// Active compartment updates.
    pub active_updates: u64,
    /// Inactive compartment updates.
    pub inactive_updates: u64,
    /// Spikes of its compartments.
    pub spikes: u64,
    /// Messages received.
    pub messages_in: u64,
    /// Messages sent.
    pub messages_out: u64,
}

/// The report of a run of `chip` that ended in `state`, with its steps in
/// `ledger`.
pub fn build(chip: &Chip, state: &ChipState, ledger: &Ledger) -> ChipReport {
    let steps = ledger.steps();
    let time_ps = ledger.time_ps();
    let energy = ledger.energy();
    let total_energy = energy.total();
    let counts = *ledger.totals();
    let compartments: u64 = chip.cores.iter().map(|c| c.len() as u64).sum();
    let synapses = chip.synapses();
    let per_step = |x: f64| if steps == 0 { 0.0 } else { x / steps as f64 };
    let senders: u64 = chip
        .cores
        .iter()
        .map(|c| {
            chip.compartments.profile[c.compartments.clone()]
                .iter()
                .filter(|&&p| c.profiles[p as usize].spikes())
                .count() as u64
        })
        .sum::<u64>()
        + chip
            .sources
            .iter()
            .map(|s| u64::from(s.size()))
            .sum::<u64>();
    let spiking: u64 = senders
        - chip
            .sources
            .iter()
            .map(|s| u64::from(s.size()))
            .sum::<u64>();
    let pairs = senders as f64 * compartments as f64;
    ChipReport {
        target: chip.spec.name.clone(),
        arithmetic: chip.arithmetic.name(),
        steps,
        dt_s: chip.dt,
        system: System {
            chips: chip.chips_in_use,
            tiles: chip.tiles_in_use,
            cores: chip.cores.len() as u32,
            compartments,
            synapses,
            barrier_ps: chip.barrier_ps,
            mesh: chip.spec.mesh,
        },
        totals: Totals {
            time_ps,
            time_per_step_ns: per_step(time_ps as f64 / 1e3),
            real_time_factor: if steps == 0 {
                0.0
            } else {
                time_ps as f64 * 1e-12 / (steps as f64 * chip.dt)
            },
            energy_pj: total_energy,
            dynamic_energy_pj: energy.dynamic(),
            energy_per_step_nj: per_step(total_energy / 1e3),
            counts,
        },
        operations: energy
            .parts()
            .iter()
            .zip(counts.charged())
            .map(|(&(operation, energy_pj), count)| Operation {
                operation,
                count,
                energy_pj,
                share: if total_energy > 0.0 {
                    energy_pj / total_energy
                } else {
                    0.0
                },
            })
            .collect(),
        neurobench: NeuroBench {
            synaptic_operations: counts.synaptic_ops,
            synaptic_operations_per_step: per_step(counts.synaptic_ops as f64),
            activation_sparsity: if steps == 0 || spiking == 0 {
                1.0
            } else {
                1.0 - counts.spikes as f64 / (spiking as f64 * steps as f64)
            },
            connection_sparsity: if pairs > 0.0 {
                1.0 - synapses as f64 / pairs
            } else {
                1.0
            },
            memory_footprint_bytes: chip.synapse_memory_bits.div_ceil(8)
                + compartments * STATE_BYTES_PER_COMPARTMENT,
        },
        cores: chip
            .cores
            .iter()
            .enumerate()
            .map(|(i, core)| {
                let totals = state.core_totals(i);
                CoreEntry {
                    core: core.id.to_string(),
                    location: chip.spec.locate(core.id),
                    compartments: core.len() as u32,
                    synapses: core.synapse_count,
                    utilisation: if time_ps > 0 {
                        totals.busy_ps as f64 / time_ps as f64
                    } else {
                        0.0
                    },
                    busy_ps: totals.busy_ps,
                    synaptic_ops: totals.synaptic_ops,
                    active_updates: totals.active_updates,
                    inactive_updates: totals.inactive_updates,
                    spikes: totals.spikes,
                    messages_in: totals.messages_in,
                    messages_out: totals.messages_out,
                }
            })
            .collect(),
        per_step: ledger.clone(),
    }
}

impl ChipReport {
    /// A few lines for a terminal: the target and arithmetic, what the
    /// program occupies, time and energy per step, and where the energy
    /// went.
    pub fn summary(&self) -> Vec<String> {
        let t = &self.totals;
        let mut lines = vec![
            format!(
                "chip {} in {} arithmetic: {} chip{}, {} tiles, {} cores, {} compartments, {} synapses",
                self.target,
                self.arithmetic,
                self.system.chips,
                if self.system.chips == 1 { "" } else { "s" },
                self.system.tiles,
                self.system.cores,
                self.system.compartments,
                self.system.synapses
            ),
            format!(
                "chip time {:.3} ms ({:.1} ns per step, {:.3}× real time, barrier {:.1} ns); energy {:.3} µJ ({:.2} nJ per step, {:.1} % static)",
                t.time_ps as f64 * 1e-9,
                t.time_per_step_ns,
                t.real_time_factor,
                self.system.barrier_ps as f64 / 1e3,
                t.energy_pj * 1e-6,
                t.energy_per_step_nj,
                if t.energy_pj > 0.0 {
                    100.0 * (t.energy_pj - t.dynamic_energy_pj) / t.energy_pj
                } else {
                    0.0
                }
            ),
            format!(
                "{} synaptic ops, {} spikes, {} host spikes, {} messages ({} hops), activation sparsity {:.4}",
                t.counts.synaptic_ops,
                t.counts.spikes,
                t.counts.host_spikes,
                t.counts.messages,
                t.counts.hops_east_west + t.counts.hops_north_south + t.counts.hops_up_down,
                self.neurobench.activation_sparsity
            ),
        ];
        let mut shares: Vec<&Operation> =
            self.operations.iter().filter(|o| o.share > 0.0).collect();
        shares.sort_by(|a, b| b.share.total_cmp(&a.share));
        lines.push(format!(
            "energy by operation: {}",
            shares
                .iter()
                .map(|o| format!("{} {:.1} %", o.operation, 100.0 * o.share))
                .collect::<Vec<_>>()
                .join(", ")
        ));
        lines
    }
}
