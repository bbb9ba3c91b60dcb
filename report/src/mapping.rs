//! A chip directory as `neurc compile` writes it, read back: where the
//! network went (`resources.json`) and what quantization did to it
//! (`quantization.json`), see docs/OUTPUTS.md.

use crate::run::{ChipMesh, CoreLocation, LoadError, read_json};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// `resources.json`.
#[derive(Clone, Debug, Deserialize)]
pub struct Resources {
    /// The chip system.
    pub target: String,
    /// Chips with a core in use.
    pub chips_used: u64,
    /// Tiles with a core in use.
    pub tiles_used: u64,
    /// Cores in use.
    pub cores_used: u64,
    /// Cores of the system.
    pub cores_available: u64,
    /// The system's mesh.
    pub mesh: Option<ChipMesh>,
    /// Each resource's limit per core.
    pub limits: BTreeMap<String, u64>,
    /// Each resource summed over the cores.
    pub totals: BTreeMap<String, u64>,
    /// Synapses stored.
    pub synapses: u64,
    /// Per population.
    pub populations: Vec<PopulationCores>,
    /// Per core.
    pub cores: Vec<MappedCore>,
}

/// One population's cores.
#[derive(Clone, Debug, Deserialize)]
pub struct PopulationCores {
    /// Its name.
    pub population: String,
    /// Neurons.
    pub neurons: u32,
    /// Compartments per neuron.
    pub compartments_per_neuron: u32,
    /// Cores holding it.
    pub cores: u64,
    /// The limit that binds most of its cores.
    pub binding: String,
}

/// One core of the mapping.
#[derive(Clone, Debug, Deserialize)]
pub struct MappedCore {
    /// Its id.
    pub core: String,
    /// Its chip.
    pub chip: [u32; 3],
    /// Its tile on the chip.
    pub tile: [u32; 2],
    /// Its index in the tile.
    pub index: u32,
    /// The population it holds.
    pub population: String,
    /// Synapses stored.
    pub synapses: u64,
    /// Use over limit, per resource.
    pub utilisation: Vec<(String, f64)>,
    /// The resource that stopped its slice growing.
    pub binding: String,
}

impl MappedCore {
    /// Where it sits.
    pub fn location(&self) -> CoreLocation {
        CoreLocation {
            chip: self.chip,
            tile: self.tile,
            core: self.index,
        }
    }

    /// Its use of its binding resource.
    pub fn binding_use(&self) -> f64 {
        self.utilisation
            .iter()
            .find(|(resource, _)| *resource == self.binding)
            .map_or(0.0, |(_, share)| *share)
    }
}

/// `quantization.json`.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct Quantization {
    /// Per chip population, its parameters.
    pub populations: Vec<QuantizedPopulation>,
    /// Per projection, its weights.
    pub projections: Vec<QuantizedProjection>,
}

/// A population's parameters as the chip holds them.
#[derive(Clone, Debug, Deserialize)]
pub struct QuantizedPopulation {
    /// Its name.
    pub population: String,
    /// Its model.
    pub model: String,
    /// Its parameters.
    pub parameters: Vec<QuantizedParameter>,
}

/// One parameter: the value asked for, the integer stored, the value it
/// gives.
#[derive(Clone, Debug, Deserialize)]
pub struct QuantizedParameter {
    /// What it is.
    pub name: String,
    /// As asked for.
    pub float: f64,
    /// As stored.
    pub fixed: i64,
    /// As the chip computes with it.
    pub effective: f64,
    /// |effective − float| / |float|.
    pub relative_error: f64,
}

/// A projection's weights as the chip holds them.
#[derive(Clone, Debug, Deserialize)]
pub struct QuantizedProjection {
    /// `pre -> post`.
    pub projection: String,
    /// Synapses.
    pub synapses: u64,
    /// `Mixed`, `Excitatory` or `Inhibitory`.
    pub sign_mode: String,
    /// Bits of a weight.
    pub weight_bits: u32,
    /// The weights' exponent.
    pub weight_exponent: i32,
    /// Bits of a delay.
    pub delay_bits: u32,
    /// The largest relative error of a weight.
    pub max_relative_error: f64,
    /// The root-mean-square relative error.
    pub rms_relative_error: f64,
    /// Weights beyond the format's range.
    pub clipped: u64,
    /// Weights stored as zero.
    pub rounded_to_zero: u64,
}

/// A chip directory, read.
#[derive(Clone, Debug)]
pub struct Mapping {
    /// The directory.
    pub dir: PathBuf,
    /// Its `resources.json`.
    pub resources: Resources,
    /// Its `quantization.json`.
    pub quantization: Quantization,
}

impl Mapping {
    /// Whether `dir` holds a mapping rather than a run.
    pub fn is_in(dir: &Path) -> bool {
        dir.join("resources.json").is_file() && !dir.join("manifest.json").is_file()
    }

    /// Reads the mapping in `dir`.
    pub fn load(dir: &Path) -> Result<Mapping, LoadError> {
        Ok(Mapping {
            dir: dir.to_path_buf(),
            resources: read_json(&dir.join("resources.json"))?,
            quantization: read_json(&dir.join("quantization.json"))?,
        })
    }
}
