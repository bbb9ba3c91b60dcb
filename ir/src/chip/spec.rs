//! What a chip offers: mesh geometry, per-core limits, fixed-point formats,
//! and the per-operation time and energy tables. Presets for Loihi 1 and
//! Loihi 2; any other spec can be read from a file (TOML or JSON, through
//! serde) and checked with [`ChipSpec::validate`].

use super::CoreId;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A chip architecture and the system it is built into.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChipSpec {
    /// Short name (`loihi`, `loihi2`, or the user's).
    pub name: String,
    /// Where the figures come from.
    pub description: String,
    /// What the spec assumes where no figure is published.
    #[serde(default)]
    pub assumptions: Vec<String>,
    /// Tiles, cores and chips.
    pub mesh: Mesh,
    /// What one core holds.
    pub core: CoreLimits,
    /// Register widths and number formats.
    pub fixed_point: FixedPoint,
    /// Time per operation.
    pub timing: TimingTable,
    /// Energy per operation.
    pub energy: EnergyTable,
}

/// The network-on-chip: each chip is a 2-D mesh of tiles with a few cores
/// each, and chips extend the mesh to their neighbours (in the plane on
/// Loihi 1, also in depth on Loihi 2).
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mesh {
    /// Tiles of one chip along x (east–west) and y (north–south).
    pub tiles: [u32; 2],
    /// Cores per tile; they share the tile's router.
    pub cores_per_tile: u32,
    /// Chips of the system along x, y and z.
    pub chips: [u32; 3],
}

/// The limits of one neuromorphic core (D18 p. 89, constraints 1–4).
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CoreLimits {
    /// Compartments (neuron units).
    pub compartments: u32,
    /// Synaptic memory, bits, in words of [`FixedPoint::synapse_word_bits`].
    pub synapse_memory_bits: u64,
    /// Input axons: distinct (projection, presynaptic neuron) pairs whose
    /// spikes the core receives.
    pub input_axons: u32,
    /// Output axons: distinct (compartment, destination core) pairs.
    pub output_axons: u32,
    /// Longest synaptic delay in steps.
    pub max_delay_steps: u32,
    /// Dendritic accumulators: one per compartment per delay slot, so a core
    /// of `n` compartments with delays up to `d` steps needs `n · d`.
    pub dendritic_accumulators: u32,
    /// Compartment profiles (decays, refractory delay) a core can hold.
    pub compartment_profiles: u32,
    /// Threshold profiles a core can hold.
    pub threshold_profiles: u32,
    /// Synapse formats a core can hold.
    pub synapse_formats: u32,
}

/// Number formats of the compartment and the synapses (CHIP.md §a3).
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FixedPoint {
    /// Decays du and dv are unsigned integers of this many bits, in units
    /// of 2^-bits.
    pub decay_bits: u32,
    /// u and v are signed integers of this many bits.
    pub state_bits: u32,
    /// The dendritic accumulator is a signed integer of this many bits.
    pub accumulator_bits: u32,
    /// The threshold mantissa is unsigned, of this many bits.
    pub threshold_mantissa_bits: u32,
    /// The threshold is the mantissa shifted left by this much.
    pub threshold_shift: u32,
    /// The bias mantissa is signed, of this many bits (sign included).
    pub bias_mantissa_bits: u32,
    /// The largest bias exponent.
    pub bias_exponent_max: u32,
    /// A stored weight is a magnitude of this many bits plus a sign mode.
    pub weight_magnitude_bits: u32,
    /// The weight precisions a synapse format can select, in bits.
    pub weight_bits: Vec<u32>,
    /// The smallest and largest weight exponent of a synapse format.
    pub weight_exponent: [i32; 2],
    /// A weight reaches u shifted left by this much more than its exponent.
    pub weight_shift: u32,
    /// The compartment-index widths a sparse synapse format can select.
    pub index_bits: Vec<u32>,
    /// Width of the per-synapse delay field.
    pub delay_bits: u32,
    /// The largest refractory delay (1 means none).
    pub refractory_max: u32,
    /// Synaptic memory is allocated in words of this many bits.
    pub synapse_word_bits: u32,
    /// A synapse list is stored in blocks of at most this many synapses.
    pub synapses_per_block: u32,
    /// Header bits of each block (format index and synapse count).
    pub block_header_bits: u32,
}

/// Where a mesh-wide barrier's cost is published: `tiles` tiles take
/// `time_ps`.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BarrierPoint {
    /// Tiles the barrier sweeps.
    pub tiles: u32,
    /// Its duration, picoseconds.
    pub time_ps: u64,
}

/// Latency per operation, integer picoseconds.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TimingTable {
    /// One synaptic operation (a synapse walked for an incoming spike).
    pub synaptic_op_ps: u64,
    /// One synaptic update by the learning engine.
    pub synaptic_update_ps: u64,
    /// Update of a compartment that received input or spiked.
    pub neuron_active_ps: u64,
    /// Update of an idle compartment.
    pub neuron_inactive_ps: u64,
    /// A spike delivered between cores of one tile.
    pub spike_in_tile_ps: u64,
    /// One hop east or west between tiles.
    pub hop_east_west_ps: u64,
    /// One hop north or south between tiles.
    pub hop_north_south_ps: u64,
    /// One hop between chips (added to the hop in its direction).
    pub hop_between_chips_ps: u64,
    /// Mesh-wide barrier: published points, interpolated linearly in tiles
    /// between them and extrapolated beyond the last two.
    pub barrier: Vec<BarrierPoint>,
    /// Spikes per second that cross one tile's links (cross-sectional
    /// bandwidth).
    pub tile_spike_bandwidth_per_s: f64,
}

/// Energy per operation, picojoules.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnergyTable {
    /// One synaptic operation.
    pub synaptic_op_pj: f64,
    /// One synaptic update.
    pub synaptic_update_pj: f64,
    /// Update of an active compartment.
    pub neuron_active_pj: f64,
    /// Update of an idle compartment.
    pub neuron_inactive_pj: f64,
    /// A spike between cores of one tile.
    pub spike_in_tile_pj: f64,
    /// One hop east or west.
    pub hop_east_west_pj: f64,
    /// One hop north or south.
    pub hop_north_south_pj: f64,
    /// One hop between chips (added to the hop in its direction).
    pub hop_between_chips_pj: f64,
    /// Static power per chip in use, milliwatts, if known.
    #[serde(default)]
    pub static_power_per_chip_mw: Option<f64>,
}

/// Where a core sits: its chip, its tile within the chip, and its index
/// within the tile.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
pub struct CoreLocation {
    /// Chip coordinates (x, y, z).
    pub chip: [u32; 3],
    /// Tile coordinates within the chip (x, y).
    pub tile: [u32; 2],
    /// Core index within the tile.
    pub core: u32,
}

impl CoreLocation {
    /// The tile's coordinates on the system-wide mesh: chips placed side by
    /// side, so routes cross chip boundaries like any other link.
    pub fn global_tile(&self, mesh: &Mesh) -> [u32; 3] {
        [
            self.chip[0] * mesh.tiles[0] + self.tile[0],
            self.chip[1] * mesh.tiles[1] + self.tile[1],
            self.chip[2],
        ]
    }
}

/// A spec that contradicts itself or the formats neurc can encode.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct SpecError {
    /// The offending field, as a path (`core.compartments`).
    pub field: &'static str,
    /// What is wrong with it.
    pub message: String,
}

impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}`: {}", self.field, self.message)
    }
}

impl std::error::Error for SpecError {}

impl Mesh {
    /// Cores on one chip (saturating: [`ChipSpec::validate`] refuses a
    /// mesh of more than 2^32 − 1 cores).
    pub fn cores_per_chip(&self) -> u32 {
        self.tiles[0]
            .saturating_mul(self.tiles[1])
            .saturating_mul(self.cores_per_tile)
    }

    /// Chips of the system (saturating, as [`Mesh::cores_per_chip`]).
    pub fn chip_count(&self) -> u32 {
        self.chips[0]
            .saturating_mul(self.chips[1])
            .saturating_mul(self.chips[2])
    }

    /// Cores of the whole system.
    pub fn core_count(&self) -> u64 {
        u64::from(self.tiles[0])
            * u64::from(self.tiles[1])
            * u64::from(self.cores_per_tile)
            * u64::from(self.chips[0])
            * u64::from(self.chips[1])
            * u64::from(self.chips[2])
    }
}

impl ChipSpec {
    /// The spec with this preset name, if there is one.
    pub fn preset(name: &str) -> Option<ChipSpec> {
        match name {
            "loihi" => Some(ChipSpec::loihi()),
            "loihi2" => Some(ChipSpec::loihi2()),
            _ => None,
        }
    }

    /// Loihi 1 (Davies et al. 2018), built into a system of 768 chips like
    /// Pohoiki Springs (Frady et al. 2020); a network uses as few of them
    /// as it needs.
    pub fn loihi() -> ChipSpec {
        ChipSpec {
            name: "loihi".into(),
            description: "Intel Loihi (Davies et al. 2018, IEEE Micro 38(1)): 128 cores of \
                          1,024 compartments, 128 KB synaptic memory and 4,096 input and \
                          output axons; timing and energy from Table 2 (pre-silicon \
                          simulation at 0.75 V)"
                .into(),
            assumptions: vec![
                "tiles: 8 x 4 tiles of 4 cores per chip (Table 2 quotes 1-32 tiles; \
                 SANA-FE models the same mesh)"
                    .into(),
                "system: 24 x 32 chips in one plane, the size of Pohoiki Springs (768 chips)"
                    .into(),
                "dendritic accumulators: 8,192 per core, i.e. 8 delay slots for each of \
                 1,024 compartments (D18: at least 8, up to 62 with fewer compartments)"
                    .into(),
                "weight exponent: -8..7 (the legal range is unpublished; nengo-loihi uses \
                 -6..0 for static weights)"
                    .into(),
                "hop between chips: 200 ns and 30 pJ (unpublished; the time is an upper \
                 bound derived from the 14.3 us barrier across a 4 x 64-chip column, \
                 Frady et al. 2020, the energy ten east-west hops)"
                    .into(),
                "refractory delay: at most 63 steps (6-bit field, as brian2-loihi allows)".into(),
            ],
            mesh: Mesh {
                tiles: [8, 4],
                cores_per_tile: 4,
                chips: [24, 32, 1],
            },
            core: CoreLimits {
                compartments: 1024,
                synapse_memory_bits: 16_384 * 64,
                input_axons: 4096,
                output_axons: 4096,
                max_delay_steps: 62,
                dendritic_accumulators: 8192,
                compartment_profiles: 32,
                threshold_profiles: 8,
                synapse_formats: 15,
            },
            fixed_point: FixedPoint::loihi(),
            timing: TimingTable::loihi(),
            energy: EnergyTable::loihi(),
        }
    }

    /// Loihi 2 (Intel's 2021 technology brief) with the CUBA LIF neuron
    /// program, built into a system the size of Hala Point (1,152 chips).
    /// Intel publishes no per-operation table for Loihi 2, so time and
    /// energy per operation are Loihi 1's Table 2 values.
    pub fn loihi2() -> ChipSpec {
        let mut core = ChipSpec::loihi().core;
        core.compartments = 8192;
        core.max_delay_steps = 64;
        core.dendritic_accumulators = 8192 * 8;
        let fixed_point = FixedPoint {
            index_bits: vec![6, 7, 8, 9, 10, 11, 12, 13],
            ..FixedPoint::loihi()
        };
        ChipSpec {
            name: "loihi2".into(),
            description: "Intel Loihi 2 (technology brief, 2021): up to 8,192 neurons per \
                          core (1 M per chip), 192 KB of flexibly allocated memory per core, \
                          6-bit synaptic delays (lava-nc DelayDense), chips linked in 3-D; \
                          time and energy per operation are Loihi 1 values (Davies et al. \
                          2018, Table 2), since none are published for Loihi 2"
                .into(),
            assumptions: vec![
                "cores: 120 per chip as 6 x 5 tiles of 4 (papers report 120-128; Hala \
                 Point has 122 per chip)"
                    .into(),
                "system: 12 x 12 x 8 chips, the size of Hala Point (1,152 chips)".into(),
                "synaptic memory: 128 KB of each core's 192 KB; the rest holds neuron \
                 state"
                    .into(),
                "input and output axons: 4,096 per core, as on Loihi 1".into(),
                "dendritic accumulators: 8 delay slots for each of 8,192 compartments".into(),
                "binary spikes only: graded spikes are not used".into(),
                "synapse formats: Loihi 1's, with a 13-bit compartment index to address \
                 8,192 compartments"
                    .into(),
                "time and energy per operation: Loihi 1 (D18 Table 2), labelled as such".into(),
                "hop between chips: as the loihi preset".into(),
            ],
            mesh: Mesh {
                tiles: [6, 5],
                cores_per_tile: 4,
                chips: [12, 12, 8],
            },
            core,
            fixed_point,
            timing: TimingTable::loihi(),
            energy: EnergyTable::loihi(),
        }
    }

    /// Where core `id` sits, or `None` past the last core of the system.
    pub fn locate(&self, id: CoreId) -> Option<CoreLocation> {
        let mesh = &self.mesh;
        if u64::from(id.0) >= mesh.core_count() {
            return None;
        }
        let per_chip = mesh.cores_per_chip();
        let (chip, within) = (id.0 / per_chip, id.0 % per_chip);
        let tile = within / mesh.cores_per_tile;
        Some(CoreLocation {
            chip: [
                chip % mesh.chips[0],
                chip / mesh.chips[0] % mesh.chips[1],
                chip / (mesh.chips[0] * mesh.chips[1]),
            ],
            tile: [tile % mesh.tiles[0], tile / mesh.tiles[0]],
            core: within % mesh.cores_per_tile,
        })
    }

    /// Checks that the spec is self-consistent and within what neurc's
    /// image format encodes.
    pub fn validate(&self) -> Result<(), SpecError> {
        let error = |field, message: String| Err(SpecError { field, message });
        let mesh = &self.mesh;
        for (field, value) in [
            ("mesh.tiles", mesh.tiles[0].min(mesh.tiles[1])),
            ("mesh.cores_per_tile", mesh.cores_per_tile),
            ("mesh.chips", mesh.chips.into_iter().min().unwrap_or(0)),
            ("core.compartments", self.core.compartments),
            ("core.input_axons", self.core.input_axons),
            ("core.output_axons", self.core.output_axons),
            ("core.max_delay_steps", self.core.max_delay_steps),
            ("core.compartment_profiles", self.core.compartment_profiles),
            ("core.threshold_profiles", self.core.threshold_profiles),
            ("core.synapse_formats", self.core.synapse_formats),
        ] {
            if value == 0 {
                return error(field, "must be at least 1".into());
            }
        }
        if self.core.synapse_formats > 256 {
            return error(
                "core.synapse_formats",
                "at most 256: a synapse list names its format in 8 bits".into(),
            );
        }
        if mesh.core_count() > u64::from(u32::MAX) {
            return error(
                "mesh.chips",
                format!("{} cores in all; at most 2^32 - 1", mesh.core_count()),
            );
        }
        if self.core.compartments > 1 << 16 {
            return error(
                "core.compartments",
                "at most 65,536 (compartment indices are 16 bits)".into(),
            );
        }
        let needed = u64::from(self.core.compartments);
        if u64::from(self.core.dendritic_accumulators) < needed {
            return error(
                "core.dendritic_accumulators",
                format!("fewer than the {needed} compartments: not even one delay slot each"),
            );
        }
        let max_delay = (1u64 << self.fixed_point.delay_bits.min(16)) as u32;
        if self.core.max_delay_steps > max_delay {
            return error(
                "core.max_delay_steps",
                format!(
                    "{} steps do not fit the {}-bit delay field (at most {max_delay})",
                    self.core.max_delay_steps, self.fixed_point.delay_bits
                ),
            );
        }
        self.fixed_point.validate()?;
        self.timing.validate()?;
        self.energy.validate()
    }
}

impl FixedPoint {
    /// Loihi's formats (CHIP.md §a3), shared by the Loihi 2 preset's CUBA
    /// LIF program.
    pub fn loihi() -> FixedPoint {
        FixedPoint {
            decay_bits: 12,
            state_bits: 24,
            accumulator_bits: 22,
            threshold_mantissa_bits: 17,
            threshold_shift: 6,
            bias_mantissa_bits: 13,
            bias_exponent_max: 7,
            weight_magnitude_bits: 8,
            weight_bits: vec![1, 2, 3, 4, 5, 6, 8],
            weight_exponent: [-8, 7],
            weight_shift: 6,
            index_bits: vec![6, 7, 8, 9, 10, 11, 12],
            delay_bits: 6,
            refractory_max: 63,
            synapse_word_bits: 64,
            synapses_per_block: 64,
            block_header_bits: 10,
        }
    }

    /// The largest threshold mantissa.
    pub fn threshold_mantissa_max(&self) -> u64 {
        (1u64 << self.threshold_mantissa_bits) - 1
    }

    /// The bias mantissa's range.
    pub fn bias_mantissa_range(&self) -> (i64, i64) {
        let half = 1i64 << (self.bias_mantissa_bits - 1);
        (-half, half - 1)
    }

    /// The largest value of u or v: `2^(state_bits - 1) - 1`.
    pub fn state_max(&self) -> i64 {
        (1i64 << (self.state_bits - 1)) - 1
    }

    /// One in decay units: `2^decay_bits`.
    pub fn decay_one(&self) -> u32 {
        1 << self.decay_bits
    }

    fn validate(&self) -> Result<(), SpecError> {
        let error = |field, message: String| Err(SpecError { field, message });
        for (field, value, low, high) in [
            ("fixed_point.decay_bits", self.decay_bits, 1, 16),
            ("fixed_point.state_bits", self.state_bits, 8, 32),
            ("fixed_point.accumulator_bits", self.accumulator_bits, 8, 32),
            (
                "fixed_point.threshold_mantissa_bits",
                self.threshold_mantissa_bits,
                1,
                31,
            ),
            ("fixed_point.threshold_shift", self.threshold_shift, 0, 16),
            (
                "fixed_point.bias_mantissa_bits",
                self.bias_mantissa_bits,
                2,
                31,
            ),
            (
                "fixed_point.bias_exponent_max",
                self.bias_exponent_max,
                0,
                16,
            ),
            (
                "fixed_point.weight_magnitude_bits",
                self.weight_magnitude_bits,
                1,
                15,
            ),
            ("fixed_point.weight_shift", self.weight_shift, 0, 16),
            ("fixed_point.delay_bits", self.delay_bits, 0, 16),
            (
                "fixed_point.refractory_max",
                self.refractory_max,
                1,
                1 << 16,
            ),
            (
                "fixed_point.synapse_word_bits",
                self.synapse_word_bits,
                1,
                4096,
            ),
            (
                "fixed_point.synapses_per_block",
                self.synapses_per_block,
                1,
                1 << 16,
            ),
            (
                "fixed_point.block_header_bits",
                self.block_header_bits,
                0,
                4096,
            ),
        ] {
            if !(low..=high).contains(&value) {
                return error(field, format!("{value} is outside {low}..={high}"));
            }
        }
        if self.threshold_mantissa_bits + self.threshold_shift > self.state_bits {
            return error(
                "fixed_point.threshold_mantissa_bits",
                "the shifted threshold does not fit in v".into(),
            );
        }
        let widths = |field, values: &[u32], high: u32| {
            if values.is_empty() || values.windows(2).any(|w| w[0] >= w[1]) {
                return error(field, "must be a non-empty ascending list".into());
            }
            if values.iter().any(|&b| b == 0 || b > high) {
                return error(field, format!("every width must be in 1..={high}"));
            }
            Ok(())
        };
        widths(
            "fixed_point.weight_bits",
            &self.weight_bits,
            self.weight_magnitude_bits,
        )?;
        widths("fixed_point.index_bits", &self.index_bits, 16)?;
        let [low, high] = self.weight_exponent;
        if low > high || low < -16 || high > 16 {
            return error(
                "fixed_point.weight_exponent",
                format!("[{low}, {high}] is not a range within -16..=16"),
            );
        }
        Ok(())
    }
}

impl TimingTable {
    /// D18 Table 2, and the assumptions of [`ChipSpec::loihi`].
    pub fn loihi() -> TimingTable {
        TimingTable {
            synaptic_op_ps: 3_500,
            synaptic_update_ps: 6_100,
            neuron_active_ps: 8_400,
            neuron_inactive_ps: 5_300,
            spike_in_tile_ps: 2_100,
            hop_east_west_ps: 4_100,
            hop_north_south_ps: 6_500,
            hop_between_chips_ps: 200_000,
            barrier: vec![
                BarrierPoint {
                    tiles: 1,
                    time_ps: 113_000,
                },
                BarrierPoint {
                    tiles: 32,
                    time_ps: 465_000,
                },
            ],
            tile_spike_bandwidth_per_s: 3.44e9,
        }
    }

    fn validate(&self) -> Result<(), SpecError> {
        if self.barrier.is_empty()
            || self.barrier.windows(2).any(|w| w[0].tiles >= w[1].tiles)
            || self.barrier.iter().any(|p| p.tiles == 0)
        {
            return Err(SpecError {
                field: "timing.barrier",
                message: "needs at least one point, with tiles ascending from 1 or more".into(),
            });
        }
        if !(self.tile_spike_bandwidth_per_s.is_finite() && self.tile_spike_bandwidth_per_s > 0.0) {
            return Err(SpecError {
                field: "timing.tile_spike_bandwidth_per_s",
                message: "must be a positive number".into(),
            });
        }
        Ok(())
    }
}

impl EnergyTable {
    /// D18 Table 2, static power from Frady et al. 2020 (3.34 W for 32
    /// chips), and the assumptions of [`ChipSpec::loihi`].
    pub fn loihi() -> EnergyTable {
        EnergyTable {
            synaptic_op_pj: 23.6,
            synaptic_update_pj: 120.0,
            neuron_active_pj: 81.0,
            neuron_inactive_pj: 52.0,
            spike_in_tile_pj: 1.7,
            hop_east_west_pj: 3.0,
            hop_north_south_pj: 4.0,
            hop_between_chips_pj: 30.0,
            static_power_per_chip_mw: Some(104.0),
        }
    }

    fn validate(&self) -> Result<(), SpecError> {
        for (field, value) in [
            ("energy.synaptic_op_pj", self.synaptic_op_pj),
            ("energy.synaptic_update_pj", self.synaptic_update_pj),
            ("energy.neuron_active_pj", self.neuron_active_pj),
            ("energy.neuron_inactive_pj", self.neuron_inactive_pj),
            ("energy.spike_in_tile_pj", self.spike_in_tile_pj),
            ("energy.hop_east_west_pj", self.hop_east_west_pj),
            ("energy.hop_north_south_pj", self.hop_north_south_pj),
            ("energy.hop_between_chips_pj", self.hop_between_chips_pj),
            (
                "energy.static_power_per_chip_mw",
                self.static_power_per_chip_mw.unwrap_or(0.0),
            ),
        ] {
            if !(value.is_finite() && value >= 0.0) {
                return Err(SpecError {
                    field,
                    message: format!("{value} is not a non-negative number"),
                });
            }
        }
        Ok(())
    }
}

impl FixedPoint {
    /// Bits of one synapse in a sparse list: weight, delay and compartment
    /// index.
    pub fn synapse_bits(&self, format: &super::SynapseFormat) -> u64 {
        u64::from(format.weight_bits) + u64::from(format.delay_bits) + u64::from(format.index_bits)
    }

    /// Synaptic memory taken by a list of `synapses` synapses: blocks of at
    /// most [`synapses_per_block`](Self::synapses_per_block), each with its
    /// header, rounded up to whole words (nengo-loihi's
    /// `SynapseConfig.bits_per_axon`).
    pub fn list_bits(&self, format: &super::SynapseFormat, synapses: u64) -> u64 {
        let word = u64::from(self.synapse_word_bits);
        let per_block = u64::from(self.synapses_per_block);
        let block = |n: u64| {
            (n * self.synapse_bits(format) + u64::from(self.block_header_bits)).div_ceil(word)
                * word
        };
        let (full, rest) = (synapses / per_block, synapses % per_block);
        full * block(per_block) + if rest > 0 { block(rest) } else { 0 }
    }

    /// The step between representable stored weights of a format:
    /// `2^(magnitude_bits − weight_bits + mixed)`.
    pub fn weight_step(&self, format: &super::SynapseFormat) -> i32 {
        let mixed = u32::from(format.sign == super::SignMode::Mixed);
        1 << (self.weight_magnitude_bits + mixed).saturating_sub(u32::from(format.weight_bits))
    }

    /// The smallest and largest stored weight of a sign mode.
    pub fn weight_range(&self, sign: super::SignMode) -> (i32, i32) {
        let full = 1i32 << self.weight_magnitude_bits;
        match sign {
            super::SignMode::Mixed => (-full, full - 1),
            super::SignMode::Excitatory => (0, full - 1),
            super::SignMode::Inhibitory => (-(full - 1), 0),
        }
    }
}
