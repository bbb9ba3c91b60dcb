//! The command line.

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

/// Compile, run and look at spiking networks written in the neurc language,
/// on the CPU or on the emulator of a Loihi-style chip.
#[derive(Parser, Debug)]
#[command(name = "neurc", version, about, long_about = None, after_help = "\
Examples:
  neurc run examples/cuba.snn -o out/cuba --report
  neurc run examples/cuba.snn --target loihi -o out/cuba-chip --report
  neurc compile examples/cuba.snn --target loihi -o out/cuba-loihi --report
  neurc report out/cuba
  neurc check examples/brunel.snn --set g=6 --set eta=1
  neurc fmt examples/cuba.snn --check
  neurc ir examples/cuba.snn --expanded > cuba.json

Exit codes: 0 ok, 1 error in the input, 2 does not fit the target or the machine, 3 internal error.")]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Parse and check a model; print every error, or a summary of its size.
    #[command(
        after_help = "Examples:\n  neurc check examples/cuba.snn\n  neurc check model.snn --json\n  neurc check examples/brunel.snn --set NE=20000 --max-memory 2GiB"
    )]
    Check(CheckArgs),
    /// Print a model in canonical form (or check that it is).
    #[command(
        after_help = "Examples:\n  neurc fmt model.snn            print the formatted model\n  neurc fmt model.snn --write    rewrite the file in place\n  neurc fmt model.snn --check    exit 1 if the file is not formatted"
    )]
    Fmt(FmtArgs),
    /// Print the model's IR as JSON.
    #[command(
        after_help = "Examples:\n  neurc ir examples/cuba.snn\n  neurc ir examples/cuba.snn --expanded > cuba.json\n  neurc ir examples/cuba.snn --text"
    )]
    Ir(IrArgs),
    /// Run a model and write its spikes, traces and reports to a directory.
    #[command(after_help = "\
Examples:
  neurc run examples/cuba.snn -o out/cuba
  neurc run examples/brunel.snn --threads 2 --duration 200ms --seed 7
  neurc run examples/cuba.snn --precision f32 --set \"J=0.2 mV\" --quiet
  neurc run examples/brunel.snn --target loihi -o out/brunel-loihi
  neurc run examples/brunel.snn --target loihi --precision fixed --threads 2
  neurc run out/cuba-loihi/image.bin --mode lava    (an image from neurc compile)

Writes spikes.csv and spikes.npy, one .npy per recorded state variable,
report.json (times, counts, rates, memory; on a chip target, the chip's
time and energy) and manifest.json (what makes the run reproducible). The
same file and seed give the same spikes for any --threads; --precision
fixed gives the chip emulator's spikes and registers.")]
    Run(RunArgs),
    /// Map a model onto a Loihi-style chip system: write the chip image and
    /// its resource and quantization reports.
    #[command(after_help = "\
Examples:
  neurc compile examples/cuba.snn --target loihi -o out/cuba-loihi
  neurc compile examples/brunel.snn --target loihi2 -o out/brunel-loihi2
  neurc compile model.snn --chip my_chip.toml -o out/what-if
  neurc compile examples/brunel.snn --target loihi -o out/brunel-loihi --report

Writes image.bin (the versioned chip image), resources.json (chips, tiles,
cores, every core's use of every resource and its binding limit) and
quantization.json (every parameter's float, fixed and effective value and
error; every projection's weight format, clipped and zeroed weights).
Exit code 2 when the network does not fit the chip system.")]
    Compile(CompileArgs),
    /// Print a chip preset as TOML (or JSON), to edit and pass to --chip.
    #[command(
        after_help = "Examples:\n  neurc chip loihi > my_chip.toml\n  neurc chip loihi2 --json"
    )]
    Chip(ChipArgs),
    /// Draw a run directory's plots and write its HTML report.
    #[command(after_help = "\
Examples:
  neurc report out/cuba
  neurc run examples/cuba.snn -o out/cuba --report    (the same, after the run)
  neurc report out/cuba-loihi                          (a directory of neurc compile)

Writes report.html (one self-contained file: the run's summary, resource
and energy tables and its plots inlined as SVG; no script, nothing fetched)
and plots/<name>.svg and .png for each plot: the spike raster with the
population rate beneath it, population rates, recorded traces, inter-spike
interval and rate histograms, and for a chip run the load on the mesh,
the energy by operation and the chip time per step. For a directory of
`neurc compile`: the cores on the mesh, the use of each core resource, and
the quantization tables.")]
    Report(ReportArgs),
}

/// What every command that reads a model accepts.
#[derive(Args, Debug)]
pub struct ModelArgs {
    /// The model file.
    pub file: PathBuf,
    /// Override a top-level `const` with a value of the same dimension,
    /// e.g. `--set scale=0.5` or `--set "J=0.2 mV"`. Repeatable.
    #[arg(long = "set", value_name = "NAME=VALUE", value_parser = parse_override)]
    pub overrides: Vec<(String, String)>,
    /// Allow `import` to read files outside the model's folder.
    #[arg(long)]
    pub allow_imports_outside: bool,
    /// Print diagnostics as JSON on stdout instead of text on stderr.
    #[arg(long)]
    pub json: bool,
}

/// `neurc check`.
#[derive(Args, Debug)]
pub struct CheckArgs {
    /// The model.
    #[command(flatten)]
    pub model: ModelArgs,
    /// Refuse a network whose synapse tables would need more memory than
    /// this (e.g. `4GiB`, `500MB`); default: half of physical memory.
    #[arg(long, value_name = "BYTES", value_parser = crate::input::parse_bytes)]
    pub max_memory: Option<u64>,
}

/// `neurc fmt`.
#[derive(Args, Debug)]
pub struct FmtArgs {
    /// The model file.
    pub file: PathBuf,
    /// Exit with code 1 if the file is not in canonical form; print nothing else.
    #[arg(long, conflicts_with = "write")]
    pub check: bool,
    /// Rewrite the file in place (atomically) instead of printing it.
    #[arg(long, short)]
    pub write: bool,
}

/// `neurc ir`.
#[derive(Args, Debug)]
pub struct IrArgs {
    /// The model.
    #[command(flatten)]
    pub model: ModelArgs,
    /// Expand connectivity and include every projection's synapse table.
    #[arg(long)]
    pub expanded: bool,
    /// Print the IR's readable text form instead of JSON.
    #[arg(long, conflicts_with = "expanded")]
    pub text: bool,
    /// Worker threads for expansion (0: one per core). The result is the
    /// same for any number.
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
    /// Refuse expansion above this much memory (e.g. `4GiB`); default: half
    /// of physical memory.
    #[arg(long, value_name = "BYTES", value_parser = crate::input::parse_bytes)]
    pub max_memory: Option<u64>,
}

/// Where a model runs.
#[derive(clap::ValueEnum, Clone, Copy, PartialEq, Eq, Debug)]
pub enum Target {
    /// This machine's CPU, with JIT-compiled kernels.
    Cpu,
    /// The emulator of a Loihi chip system (Davies et al. 2018).
    Loihi,
    /// The emulator of a Loihi 2 system (unpublished figures assumed, as
    /// the spec states).
    Loihi2,
}

/// The chip arithmetic the emulator reproduces.
#[derive(clap::ValueEnum, Clone, Copy, PartialEq, Eq, Debug)]
pub enum ModeArg {
    /// The chip's registers (nengo-loihi's reading, checked against the
    /// chip): 22-bit accumulator and 24-bit u wrap, v saturates, weight
    /// exponents per synapse.
    Hardware,
    /// lava-nc's bit-accurate model: one conditional wrap of u, no
    /// accumulator limit, weight exponents on the sum.
    Lava,
}

/// A Loihi-style chip preset.
#[derive(clap::ValueEnum, Clone, Copy, PartialEq, Eq, Debug)]
pub enum ChipTarget {
    /// Loihi (Davies et al. 2018).
    Loihi,
    /// Loihi 2 (Intel's 2021 brief; unpublished figures assumed, as the
    /// spec states).
    Loihi2,
}

/// `neurc compile`.
#[derive(Args, Debug)]
pub struct CompileArgs {
    /// The model.
    #[command(flatten)]
    pub model: ModelArgs,
    /// The chip preset.
    #[arg(long, value_enum, default_value = "loihi")]
    pub target: ChipTarget,
    /// A chip spec file (TOML, or JSON by extension) used instead of the
    /// preset, for architecture what-ifs.
    #[arg(long, value_name = "FILE")]
    pub chip: Option<PathBuf>,
    /// The output directory (created if missing).
    #[arg(long, short)]
    pub output: PathBuf,
    /// The seed of every random stream (connectivity, initial state,
    /// placement), overriding the model's.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Worker threads for expansion (0: one per core). The result is the
    /// same for any number.
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
    /// Refuse a network whose expansion and mapping would need more memory
    /// than this (e.g. `4GiB`); default: half of physical memory.
    #[arg(long, value_name = "BYTES", value_parser = crate::input::parse_bytes)]
    pub max_memory: Option<u64>,
    /// Print nothing but errors.
    #[arg(long, short)]
    pub quiet: bool,
    /// Also draw the cores on the mesh and write report.html (as `neurc
    /// report DIR`).
    #[arg(long)]
    pub report: bool,
}

/// `neurc report`.
#[derive(Args, Debug)]
pub struct ReportArgs {
    /// The run directory (written by `neurc run`).
    pub dir: PathBuf,
    /// Print nothing but errors.
    #[arg(long, short)]
    pub quiet: bool,
}

/// `neurc chip`.
#[derive(Args, Debug)]
pub struct ChipArgs {
    /// The preset.
    #[arg(value_enum)]
    pub preset: ChipTarget,
    /// Print JSON instead of TOML.
    #[arg(long)]
    pub json: bool,
}

/// The arithmetic of a run on the CPU.
#[derive(clap::ValueEnum, Clone, Copy, PartialEq, Eq, Debug)]
pub enum PrecisionArg {
    /// 64-bit floats.
    F64,
    /// 32-bit floats: less memory traffic, about 7 significant digits.
    F32,
    /// The chip's integers: the model is mapped onto the chip (`--target`
    /// loihi or loihi2, or `--chip`; the CPU target maps onto loihi) and
    /// its program runs on the CPU in `--mode` arithmetic, with the
    /// emulator's spikes and registers bit for bit but without its time
    /// and energy, many times faster.
    Fixed,
}

/// `neurc run`.
#[derive(Args, Debug)]
pub struct RunArgs {
    /// The model.
    #[command(flatten)]
    pub model: ModelArgs,
    /// Where to run it. The model may also be a chip image written by
    /// `neurc compile` (`out/image.bin`), which runs on the emulator (or,
    /// with `--precision fixed`, on the CPU).
    #[arg(long, value_enum, default_value = "cpu")]
    pub target: Target,
    /// A chip spec (TOML or JSON, see `neurc chip loihi`) instead of the
    /// target's preset.
    #[arg(long, value_name = "FILE")]
    pub chip: Option<PathBuf>,
    /// The chip arithmetic of the emulator and of `--precision fixed`.
    #[arg(long, value_enum, default_value = "hardware")]
    pub mode: ModeArg,
    /// The output directory (created if missing); default `out/<model name>`.
    #[arg(long, short)]
    pub output: Option<PathBuf>,
    /// Simulated time, overriding the model's `simulate` block (e.g. `1s`,
    /// `"200 ms"`).
    #[arg(long, value_parser = crate::input::parse_time)]
    pub duration: Option<f64>,
    /// The seed of every random stream, overriding the model's.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Worker threads (0: one per core). Results are identical for any number.
    #[arg(long, default_value_t = 1)]
    pub threads: usize,
    /// The arithmetic on the CPU: floats (default f64), or the chip's
    /// fixed point.
    #[arg(long, value_enum)]
    pub precision: Option<PrecisionArg>,
    /// Refuse a network whose synapse tables and traces would need more
    /// memory than this (e.g. `4GiB`); default: half of physical memory.
    #[arg(long, value_name = "BYTES", value_parser = crate::input::parse_bytes)]
    pub max_memory: Option<u64>,
    /// Print nothing but errors: no progress bar, no summary.
    #[arg(long, short)]
    pub quiet: bool,
    /// Also draw the plots and write report.html (as `neurc report DIR`).
    #[arg(long)]
    pub report: bool,
}

fn parse_override(text: &str) -> Result<(String, String), String> {
    let (name, value) = text
        .split_once('=')
        .ok_or_else(|| format!("`{text}` is not NAME=VALUE (e.g. --set scale=0.5)"))?;
    let name = name.trim();
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(format!("`{name}` is not a constant name"));
    }
    Ok((name.to_string(), value.trim().to_string()))
}
