//! A run directory as `neurc run` writes it, read back: the manifest, the
//! report, the spike table and the recorded traces (docs/OUTPUTS.md).

use crate::mapping::Mapping;
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use thiserror::Error;

/// Why a run directory could not be read.
#[derive(Debug, Error)]
pub enum LoadError {
    /// A file is missing or unreadable.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        source: std::io::Error,
    },
    /// A JSON file does not have the fields a run's file has.
    #[error("{path} is not a neurc run's file: {source}")]
    Json {
        /// The file.
        path: PathBuf,
        /// What went wrong, with the line and column.
        source: serde_json::Error,
    },
    /// An `.npy` file is not the array a run writes.
    #[error("{path}: {reason}")]
    Npy {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
}

/// `manifest.json`: what ran, from which inputs, and the files written.
#[derive(Clone, Debug, Deserialize)]
pub struct Manifest {
    /// The neurc version that wrote the run.
    pub neurc: String,
    /// Where it ran.
    pub target: String,
    /// The arithmetic (`f64`, `f32`, `fixed-point ...`, or the chip's).
    pub precision: String,
    /// The run's seed.
    pub seed: u64,
    /// The step, seconds.
    pub dt_s: f64,
    /// The simulated time, seconds.
    pub duration_s: f64,
    /// Steps simulated.
    pub steps: u64,
    /// `--set` overrides.
    #[serde(default)]
    pub overrides: Vec<Value>,
    /// The input files and their digests.
    #[serde(default)]
    pub inputs: Vec<FileDigest>,
    /// The files of the run and their digests.
    #[serde(default)]
    pub outputs: Vec<FileDigest>,
    /// The recorded traces, file by file.
    #[serde(default)]
    pub traces: Vec<TraceEntry>,
}

/// A file and its blake3 digest.
#[derive(Clone, Debug, Deserialize)]
pub struct FileDigest {
    /// The path, as given or relative to the run directory.
    pub path: String,
    /// Hex digest.
    pub blake3: String,
}

/// One trace file of the manifest.
#[derive(Clone, Debug, Deserialize)]
pub struct TraceEntry {
    /// The `.npy` file in the run directory.
    pub file: String,
    /// The population recorded.
    pub population: String,
    /// The state variable.
    pub variable: String,
    /// The neurons recorded: `[first, end)`.
    pub neurons: [u32; 2],
    /// The value the variable spikes at, when one for all of them.
    #[serde(default)]
    pub threshold: Option<f64>,
}

/// `report.json`: the run's figures.
#[derive(Clone, Debug, Deserialize)]
pub struct Report {
    /// Where it ran.
    pub target: String,
    /// The arithmetic.
    pub precision: String,
    /// Threads it ran on.
    pub threads: usize,
    /// Wall times of the phases, seconds.
    #[serde(default)]
    pub wall_s: BTreeMap<String, f64>,
    /// Whole-run counts (neurons, synapses, spikes, events).
    #[serde(default)]
    pub counts: BTreeMap<String, u64>,
    /// Per population.
    pub populations: Vec<PopulationSummary>,
    /// Per projection.
    #[serde(default)]
    pub projections: Vec<ProjectionSummary>,
    /// Memory figures.
    #[serde(default)]
    pub memory: BTreeMap<String, f64>,
    /// The chip report of an emulated run.
    pub chip: Option<ChipReport>,
}

/// One population's line of the report.
#[derive(Clone, Debug, Deserialize)]
pub struct PopulationSummary {
    /// Its name.
    pub name: String,
    /// Its neuron model.
    pub model: String,
    /// Neurons.
    pub size: u32,
    /// Whether it is a spike source.
    pub source: bool,
    /// Spikes of its recorded neurons.
    pub spikes: u64,
    /// Mean rate of its recorded neurons, Hz.
    pub rate_hz: f64,
    /// Mean coefficient of variation of the inter-spike intervals.
    pub cv_isi: Option<f64>,
    /// Neurons whose spikes were recorded.
    pub recorded: u32,
}

/// One projection's line of the report.
#[derive(Clone, Debug, Deserialize)]
pub struct ProjectionSummary {
    /// `pre -> post`.
    pub name: String,
    /// Synapses.
    pub synapses: u64,
    /// Spikes delivered over its synapses.
    pub synaptic_events: u64,
}

/// The `chip` section of an emulated run's report.
#[derive(Clone, Debug, Deserialize)]
pub struct ChipReport {
    /// The chip system.
    pub target: String,
    /// `hardware` or `lava`.
    pub arithmetic: String,
    /// What the program occupies.
    pub system: ChipSystem,
    /// Whole-run time, energy and counts.
    pub totals: ChipTotals,
    /// Energy by operation.
    pub operations: Vec<Operation>,
    /// NeuroBench's figures.
    pub neurobench: BTreeMap<String, f64>,
    /// Per core in use.
    pub cores: Vec<CoreEntry>,
    /// Per step.
    pub per_step: PerStep,
}

/// What a chip program occupies.
#[derive(Clone, Debug, Deserialize)]
pub struct ChipSystem {
    /// Chips with a core in use.
    pub chips: u32,
    /// Tiles with a core in use.
    pub tiles: u32,
    /// Cores in use.
    pub cores: u32,
    /// Compartments.
    pub compartments: u64,
    /// Synapses.
    pub synapses: u64,
    /// The end-of-step barrier, picoseconds.
    pub barrier_ps: u64,
    /// The system's mesh.
    pub mesh: Option<ChipMesh>,
}

/// The mesh of a chip system.
#[derive(Clone, Copy, Debug, Deserialize)]
pub struct ChipMesh {
    /// Tiles of one chip along x and y.
    pub tiles: [u32; 2],
    /// Cores per tile.
    pub cores_per_tile: u32,
    /// Chips along x, y and z.
    pub chips: [u32; 3],
}

/// Whole-run figures of a chip run.
#[derive(Clone, Debug, Deserialize)]
pub struct ChipTotals {
    /// Chip time, picoseconds.
    pub time_ps: u64,
    /// Chip time per step, nanoseconds.
    pub time_per_step_ns: f64,
    /// Chip time over simulated time.
    pub real_time_factor: f64,
    /// Energy, picojoules.
    pub energy_pj: f64,
    /// Energy without static power, picojoules.
    pub dynamic_energy_pj: f64,
    /// Energy per step, nanojoules.
    pub energy_per_step_nj: f64,
    /// Operations by kind.
    pub counts: BTreeMap<String, u64>,
}

/// One kind of operation's energy.
#[derive(Clone, Debug, Deserialize)]
pub struct Operation {
    /// Its name.
    pub operation: String,
    /// How many were charged (none for static power).
    #[serde(default)]
    pub count: Option<u64>,
    /// Its energy, picojoules.
    pub energy_pj: f64,
    /// Its share of all energy.
    pub share: f64,
}

/// One core's load.
#[derive(Clone, Debug, Deserialize)]
pub struct CoreEntry {
    /// Its id.
    pub core: String,
    /// Where it sits.
    pub location: Option<CoreLocation>,
    /// Compartments.
    pub compartments: u32,
    /// Synapses.
    pub synapses: u64,
    /// Time busy over the run's chip time.
    pub utilisation: f64,
    /// Synaptic operations.
    pub synaptic_ops: u64,
    /// Spikes of its compartments.
    pub spikes: u64,
}

/// Where a core sits.
#[derive(Clone, Copy, Debug, Deserialize)]
pub struct CoreLocation {
    /// Chip coordinates.
    pub chip: [u32; 3],
    /// Tile coordinates on the chip.
    pub tile: [u32; 2],
    /// Index in the tile.
    pub core: u32,
}

/// A chip run's figures per step.
#[derive(Clone, Debug, Deserialize)]
pub struct PerStep {
    /// Duration, picoseconds.
    pub time_ps: Vec<u64>,
    /// Energy, picojoules.
    pub energy_pj: Vec<f64>,
    /// Spikes of compartments.
    pub spikes: Vec<u64>,
}

/// One row of the spike table.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Spike {
    /// The step it happened in.
    pub step: u64,
    /// Its time, milliseconds.
    pub time_ms: f64,
    /// The population, by index into the report's populations.
    pub population: u16,
    /// The neuron within its population.
    pub neuron: u32,
}

/// A recorded state variable: `values[step * neurons + k]` is neuron
/// `first + k` on that step.
#[derive(Clone, Debug)]
pub struct Trace {
    /// Its manifest entry.
    pub entry: TraceEntry,
    /// Values, step-major.
    pub values: Vec<f64>,
    /// Neurons per step.
    pub neurons: usize,
    /// Whether the values are a chip's integer registers.
    pub integer: bool,
}

impl Trace {
    /// Steps recorded.
    pub fn steps(&self) -> usize {
        self.values.len() / self.neurons.max(1)
    }
}

/// A run directory, read.
#[derive(Clone, Debug)]
pub struct Run {
    /// The directory.
    pub dir: PathBuf,
    /// Its `manifest.json`.
    pub manifest: Manifest,
    /// Its `report.json`.
    pub report: Report,
    /// Its spike table, in the order of `spikes.npy`.
    pub spikes: Vec<Spike>,
    /// Its traces, in the manifest's order.
    pub traces: Vec<Trace>,
    /// The mapping of a chip run that was mapped when it ran.
    pub mapping: Option<Mapping>,
}

/// Bytes per row of `spikes.npy`: step u8, time f8, population u2, neuron
/// u4, packed.
const SPIKE_ROW: usize = 22;

impl Run {
    /// Reads the run in `dir`.
    pub fn load(dir: &Path) -> Result<Run, LoadError> {
        let manifest: Manifest = read_json(&dir.join("manifest.json"))?;
        let report: Report = read_json(&dir.join("report.json"))?;
        let spikes = read_spikes(&dir.join("spikes.npy"))?;
        let traces = manifest
            .traces
            .iter()
            .map(|entry| read_trace(&dir.join(&entry.file), entry))
            .collect::<Result<_, _>>()?;
        let mapping = if dir.join("resources.json").is_file() {
            Some(Mapping::load(dir)?)
        } else {
            None
        };
        Ok(Run {
            dir: dir.to_path_buf(),
            manifest,
            report,
            spikes,
            traces,
            mapping,
        })
    }

    /// The step, milliseconds.
    pub fn dt_ms(&self) -> f64 {
        self.manifest.dt_s * 1e3
    }

    /// The simulated time, milliseconds.
    pub fn duration_ms(&self) -> f64 {
        self.manifest.duration_s * 1e3
    }
}

fn read(path: &Path) -> Result<Vec<u8>, LoadError> {
    std::fs::read(path).map_err(|source| LoadError::Read {
        path: path.to_path_buf(),
        source,
    })
}

pub(crate) fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, LoadError> {
    serde_json::from_slice(&read(path)?).map_err(|source| LoadError::Json {
        path: path.to_path_buf(),
        source,
    })
}

fn npy_error(path: &Path, reason: impl Into<String>) -> LoadError {
    LoadError::Npy {
        path: path.to_path_buf(),
        reason: reason.into(),
    }
}

/// The rows of `spikes.npy`, checked against the layout a run writes.
fn read_spikes(path: &Path) -> Result<Vec<Spike>, LoadError> {
    let bytes = read(path)?;
    let file = npyz::NpyFile::new(&bytes[..]).map_err(|e| npy_error(path, e.to_string()))?;
    let descr = file.dtype().descr();
    let expected =
        "[('step', '<u8'), ('time_ms', '<f8'), ('population', '<u2'), ('neuron', '<u4'), ]";
    if descr != expected {
        return Err(npy_error(
            path,
            format!("its rows are {descr}, not a spike table's {expected}"),
        ));
    }
    let rows = file.shape().first().copied().unwrap_or(0) as usize;
    let length = rows
        .checked_mul(SPIKE_ROW)
        .filter(|&n| n <= bytes.len())
        .ok_or_else(|| npy_error(path, format!("{rows} rows do not fit in the file")))?;
    let data = &bytes[bytes.len() - length..];
    Ok(data
        .chunks_exact(SPIKE_ROW)
        .map(|row| {
            let field = |range: std::ops::Range<usize>| {
                let mut word = [0u8; 8];
                word[..range.len()].copy_from_slice(&row[range]);
                u64::from_le_bytes(word)
            };
            Spike {
                step: field(0..8),
                time_ms: f64::from_bits(field(8..16)),
                population: field(16..18) as u16,
                neuron: field(18..22) as u32,
            }
        })
        .collect())
}

/// A trace file: `(steps, neurons)` of `f64` (SI units) or `i64` (a
/// chip's registers).
fn read_trace(path: &Path, entry: &TraceEntry) -> Result<Trace, LoadError> {
    let bytes = read(path)?;
    let file = npyz::NpyFile::new(&bytes[..]).map_err(|e| npy_error(path, e.to_string()))?;
    let shape = file.shape().to_vec();
    let neurons = match shape.as_slice() {
        [_, neurons] => *neurons as usize,
        _ => {
            return Err(npy_error(
                path,
                format!("shape {shape:?} is not (steps, neurons)"),
            ));
        }
    };
    let descr = file.dtype().descr();
    let (values, integer) = match descr.as_str() {
        "'<f8'" => (file.into_vec::<f64>(), false),
        "'<i8'" => (
            file.into_vec::<i64>()
                .map(|v| v.into_iter().map(|x| x as f64).collect()),
            true,
        ),
        _ => {
            return Err(npy_error(
                path,
                format!("values of type {descr}, not <f8 or <i8"),
            ));
        }
    };
    let values = values.map_err(|e| npy_error(path, e.to_string()))?;
    Ok(Trace {
        entry: entry.clone(),
        values,
        neurons,
        integer,
    })
}
