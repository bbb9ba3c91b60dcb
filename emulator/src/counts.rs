//! What the chip does, counted operation by operation, and what it costs
//! in energy by the spec's per-operation figures.

use neurc_ir::chip::EnergyTable;
use serde::Serialize;
use std::ops::AddAssign;

/// Operations of one step, or of a run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// Synapses walked for incoming spikes.
    pub synaptic_ops: u64,
    /// Synaptic updates by the learning engine (none without plasticity).
    pub synaptic_updates: u64,
    /// Compartment updates with input, state or bias to work on.
    pub active_updates: u64,
    /// Compartment updates of compartments at rest: no input, u = v = 0,
    /// no bias, not refractory.
    pub inactive_updates: u64,
    /// Spikes of compartments.
    pub spikes: u64,
    /// Spikes of host sources (a Poisson count of k is k spikes).
    pub host_spikes: u64,
    /// Spike messages, one per output axon of a spike, from compartments
    /// and host sources; each is delivered within its destination tile.
    pub messages: u64,
    /// Messages that stayed within their tile.
    pub intra_tile_messages: u64,
    /// Hops east or west.
    pub hops_east_west: u64,
    /// Hops north or south.
    pub hops_north_south: u64,
    /// Hops up or down between stacked chips.
    pub hops_up_down: u64,
    /// Hops over a chip boundary (also counted in their direction).
    pub chip_crossings: u64,
    /// End-of-step barriers.
    pub barriers: u64,
}

impl AddAssign<&Counts> for Counts {
    fn add_assign(&mut self, other: &Counts) {
        self.synaptic_ops += other.synaptic_ops;
        self.synaptic_updates += other.synaptic_updates;
        self.active_updates += other.active_updates;
        self.inactive_updates += other.inactive_updates;
        self.spikes += other.spikes;
        self.host_spikes += other.host_spikes;
        self.messages += other.messages;
        self.intra_tile_messages += other.intra_tile_messages;
        self.hops_east_west += other.hops_east_west;
        self.hops_north_south += other.hops_north_south;
        self.hops_up_down += other.hops_up_down;
        self.chip_crossings += other.chip_crossings;
        self.barriers += other.barriers;
    }
}

/// Energy by operation, picojoules.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Energy {
    /// Synaptic operations.
    pub synaptic_ops: f64,
    /// Learning updates.
    pub synaptic_updates: f64,
    /// Active compartment updates.
    pub active_updates: f64,
    /// Inactive compartment updates.
    pub inactive_updates: f64,
    /// Delivery of every message within its destination tile.
    pub tile_deliveries: f64,
    /// East–west hops.
    pub hops_east_west: f64,
    /// North–south and up–down hops (the spec has one figure for both).
    pub hops_north_south: f64,
    /// The extra of hops between chips.
    pub chip_crossings: f64,
    /// Static power of the chips in use over the elapsed time.
    pub static_power: f64,
}

impl AddAssign<&Energy> for Energy {
    fn add_assign(&mut self, other: &Energy) {
        self.synaptic_ops += other.synaptic_ops;
        self.synaptic_updates += other.synaptic_updates;
        self.active_updates += other.active_updates;
        self.inactive_updates += other.inactive_updates;
        self.tile_deliveries += other.tile_deliveries;
        self.hops_east_west += other.hops_east_west;
        self.hops_north_south += other.hops_north_south;
        self.chip_crossings += other.chip_crossings;
        self.static_power += other.static_power;
    }
}

impl Counts {
    /// The count each part of [`Energy::parts`] charges, in its order:
    /// every message is delivered within its destination tile, and a hop
    /// between stacked chips costs a north–south hop; static power is
    /// charged for time, not a count.
    pub fn charged(&self) -> [Option<u64>; 9] {
        [
            Some(self.synaptic_ops),
            Some(self.synaptic_updates),
            Some(self.active_updates),
            Some(self.inactive_updates),
            Some(self.messages),
            Some(self.hops_east_west),
            Some(self.hops_north_south + self.hops_up_down),
            Some(self.chip_crossings),
            None,
        ]
    }
}

impl Energy {
    /// The energy of `counts` over `time_ps` on `chips` chips by `table`.
    /// The barrier has no published energy, so it costs only time (and
    /// static power while it lasts).
    pub fn of(counts: &Counts, time_ps: u64, chips: u32, table: &EnergyTable) -> Energy {
        let pj = |count: u64, each: f64| count as f64 * each;
        // mW × ps = 1e-3 W × 1e-12 s = 1e-3 pJ.
        let static_power = table
            .static_power_per_chip_mw
            .map_or(0.0, |mw| mw * f64::from(chips) * time_ps as f64 * 1e-3);
        Energy {
            synaptic_ops: pj(counts.synaptic_ops, table.synaptic_op_pj),
            synaptic_updates: pj(counts.synaptic_updates, table.synaptic_update_pj),
            active_updates: pj(counts.active_updates, table.neuron_active_pj),
            inactive_updates: pj(counts.inactive_updates, table.neuron_inactive_pj),
            tile_deliveries: pj(counts.messages, table.spike_in_tile_pj),
            hops_east_west: pj(counts.hops_east_west, table.hop_east_west_pj),
            hops_north_south: pj(
                counts.hops_north_south + counts.hops_up_down,
                table.hop_north_south_pj,
            ),
            chip_crossings: pj(counts.chip_crossings, table.hop_between_chips_pj),
            static_power,
        }
    }

    /// The parts, named, in a fixed order.
    pub fn parts(&self) -> [(&'static str, f64); 9] {
        [
            ("synaptic_ops", self.synaptic_ops),
            ("synaptic_updates", self.synaptic_updates),
            ("active_updates", self.active_updates),
            ("inactive_updates", self.inactive_updates),
            ("tile_deliveries", self.tile_deliveries),
            ("hops_east_west", self.hops_east_west),
            ("hops_north_south", self.hops_north_south),
            ("chip_crossings", self.chip_crossings),
            ("static_power", self.static_power),
        ]
    }

    /// The dynamic energy: everything but static power.
    pub fn dynamic(&self) -> f64 {
        self.total() - self.static_power
    }

    /// The total.
    pub fn total(&self) -> f64 {
        self.parts().iter().map(|(_, e)| e).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each part's energy is the count [`Counts::charged`] names times the
    /// table's energy for one such operation.
    #[test]
    fn every_part_charges_the_count_it_names() {
        let counts = Counts {
            synaptic_ops: 2,
            synaptic_updates: 3,
            active_updates: 5,
            inactive_updates: 7,
            messages: 11,
            intra_tile_messages: 13,
            hops_east_west: 17,
            hops_north_south: 19,
            hops_up_down: 23,
            chip_crossings: 29,
            ..Counts::default()
        };
        let table = EnergyTable::loihi();
        let each = [
            table.synaptic_op_pj,
            table.synaptic_update_pj,
            table.neuron_active_pj,
            table.neuron_inactive_pj,
            table.spike_in_tile_pj,
            table.hop_east_west_pj,
            table.hop_north_south_pj,
            table.hop_between_chips_pj,
        ];
        let energy = Energy::of(&counts, 0, 1, &table);
        for (((name, pj), count), each) in energy.parts().iter().zip(counts.charged()).zip(each) {
            assert_eq!(*pj, count.expect("a count") as f64 * each, "{name}");
        }
        assert_eq!(counts.charged()[8], None, "static power");
    }
}
