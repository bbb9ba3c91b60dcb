//! The chip image: a [`ChipProgram`] as a file, written by the compiler and
//! read by the emulator or a chip's loader.
//!
//! An image is a fixed header and a payload:
//!
//! | bytes | what |
//! | --- | --- |
//! | 8 | the magic `NEURCIMG`, so that any other file is told apart at once |
//! | 4 | the format version, [`IMAGE_VERSION`], so that an old reader refuses a newer image by name instead of misreading it |
//! | 8 | the payload's length, so that a cut-off file is told apart from a corrupt one |
//! | 32 | the BLAKE3 hash of the payload, so that a flipped bit is caught before anything is read |
//! | … | the payload |
//!
//! The payload is hand-written little-endian binary, every record in the
//! order of the program's fields, so that it stays compact (a synapse takes
//! five bytes) and reads back to exactly the same program, floats included
//! (they are stored as their bits). Lengths are `u64`; an `Option` or an
//! enum is a one-byte tag before its fields:
//!
//! - the spec, as its JSON text (length, UTF-8 bytes): it is small, and
//!   JSON keeps its many named fields readable to a human with a hex dump;
//! - `dt` (f64), `seed` (u64);
//! - the cores: id; profiles (du, dv, threshold tag and mantissa, refractory
//!   delay); compartments (profile u16, bias mantissa i32, bias exponent u8,
//!   u and v i32, parent tag and u16); formats (weight bits u8, sign u8,
//!   weight exponent i8, index bits u8, delay bits u8); input axons (format
//!   u16, first and count u32); the synapses as one count and three raw
//!   arrays (compartments u16, weights i16, delays u8); output axons
//!   (source, core, axon u32); delay slots;
//! - the host sources: node, name, size, kind tag with the Poisson means
//!   (f64) or the spike steps (lists of u64), output axons;
//! - the population slices: node, neuron range, core, first compartment,
//!   compartments per neuron.
//!
//! [`decode`] builds the program through [`ChipProgram::new`], so an image
//! is checked against its spec when it is read, not only when it is
//! written: a hand-edited or foreign image cannot reach the emulator
//! unchecked. Every read is bounds-checked and every count is weighed
//! against the bytes left before anything is allocated, so no input makes
//! it panic or allocate more than the image's size.

use neurc_ir::NeuronRange;
use neurc_ir::chip::{
    ChipProgram, ChipSpec, Compartment, CompartmentProfile, CoreId, CoreProgram, InputAxon,
    InputSource, LimitError, OutputAxon, PopulationSlice, ProgramParts, SignMode, SourceKind,
    SynapseFormat, SynapseList,
};
use neurc_ir::ids::NodeId;
use std::fmt;

/// The first bytes of every image.
const MAGIC: &[u8; 8] = b"NEURCIMG";

/// The version of the format [`encode`] writes and [`decode`] reads. Bump
/// it whenever the payload's layout (or the spec's JSON) changes.
pub const IMAGE_VERSION: u32 = 1;

/// Magic, version, payload length and hash.
const HEADER_LEN: usize = 8 + 4 + 8 + 32;

/// Why bytes are not a chip program. The messages name no file: the caller
/// puts the path in front (`out/image.bin: not a neurc chip image …`).
#[derive(Clone, PartialEq, Eq, Debug, thiserror::Error)]
pub enum ImageError {
    /// The bytes do not start with the magic: some other file.
    #[error("not a neurc chip image (it does not start with `NEURCIMG`)")]
    NotAnImage,
    /// An image of another format version.
    #[error(
        "a neurc chip image of format version {found}, which this neurc cannot read (it reads \
         version {supported}); rebuild the image with this neurc"
    )]
    UnsupportedVersion {
        /// The version in the image.
        found: u32,
        /// The version this build reads.
        supported: u32,
    },
    /// The file ends before the header or the payload it announces.
    #[error("truncated neurc chip image: {found} bytes where {needed} are expected")]
    Truncated {
        /// Bytes the image needs.
        needed: u64,
        /// Bytes there are.
        found: u64,
    },
    /// Bytes follow the payload the header announces.
    #[error("neurc chip image with {extra} stray bytes after its {payload}-byte payload")]
    TrailingBytes {
        /// The payload's length, from the header.
        payload: u64,
        /// Bytes after it.
        extra: u64,
    },
    /// The payload does not hash to the header's checksum.
    #[error("corrupt neurc chip image: its payload does not match its checksum")]
    Corrupt,
    /// The payload passes its checksum but does not parse: it was written
    /// by something other than [`encode`], or by a broken one.
    #[error("malformed neurc chip image: {field} at byte {offset} of the payload: {reason}")]
    Malformed {
        /// The field being read.
        field: &'static str,
        /// Where it starts in the payload.
        offset: u64,
        /// What is wrong with it.
        reason: String,
    },
    /// The program parses but breaks its chip's limits.
    #[error("the program in the neurc chip image does not fit its chip: {}", Violations(.0))]
    Limits(Vec<LimitError>),
}

/// The first few violations, and how many more there are.
struct Violations<'a>(&'a [LimitError]);

impl fmt::Display for Violations<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const SHOWN: usize = 5;
        for (i, error) in self.0.iter().take(SHOWN).enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{error}")?;
        }
        if self.0.len() > SHOWN {
            write!(f, "; and {} more", self.0.len() - SHOWN)?;
        }
        Ok(())
    }
}

/// The image of a program. The payload is written after room for the
/// header, which is filled in last, so the image is built in one buffer.
pub fn encode(program: &ChipProgram) -> Vec<u8> {
    let mut w = Writer(vec![0; HEADER_LEN]);
    w.payload(program);
    let mut image = w.0;
    let (header, payload) = image.split_at_mut(HEADER_LEN);
    let hash = blake3::hash(payload);
    let fields: [&[u8]; 4] = [
        MAGIC,
        &IMAGE_VERSION.to_le_bytes(),
        &(payload.len() as u64).to_le_bytes(),
        hash.as_bytes(),
    ];
    let mut at = 0;
    for field in fields {
        header[at..at + field.len()].copy_from_slice(field);
        at += field.len();
    }
    image
}

/// The program of an image, checked against its spec.
pub fn decode(bytes: &[u8]) -> Result<ChipProgram, ImageError> {
    let payload = open(bytes)?;
    let mut reader = Reader {
        payload,
        rest: payload,
    };
    let parts = reader.parts()?;
    if !reader.rest.is_empty() {
        return Err(reader.malformed(
            "end of payload",
            format!("{} bytes after the last slice", reader.rest.len()),
        ));
    }
    ChipProgram::new(parts).map_err(ImageError::Limits)
}

/// The payload of an image, once the header vouches for it.
fn open(bytes: &[u8]) -> Result<&[u8], ImageError> {
    let found = bytes.len() as u64;
    let truncated = |needed: u64| ImageError::Truncated { needed, found };
    let Some((magic, rest)) = bytes.split_first_chunk::<8>() else {
        // A prefix of the magic is an image cut short, anything else
        // another file.
        return Err(if MAGIC.starts_with(bytes) {
            truncated(HEADER_LEN as u64)
        } else {
            ImageError::NotAnImage
        });
    };
    if magic != MAGIC {
        return Err(ImageError::NotAnImage);
    }
    let (version, rest) = rest
        .split_first_chunk::<4>()
        .ok_or(truncated(HEADER_LEN as u64))?;
    let version = u32::from_le_bytes(*version);
    if version != IMAGE_VERSION {
        return Err(ImageError::UnsupportedVersion {
            found: version,
            supported: IMAGE_VERSION,
        });
    }
    let (length, rest) = rest
        .split_first_chunk::<8>()
        .ok_or(truncated(HEADER_LEN as u64))?;
    let (hash, payload) = rest
        .split_first_chunk::<32>()
        .ok_or(truncated(HEADER_LEN as u64))?;
    let length = u64::from_le_bytes(*length);
    let available = payload.len() as u64;
    if length > available {
        return Err(truncated((HEADER_LEN as u64).saturating_add(length)));
    }
    if length < available {
        return Err(ImageError::TrailingBytes {
            payload: length,
            extra: available - length,
        });
    }
    if blake3::hash(payload) != blake3::Hash::from_bytes(*hash) {
        return Err(ImageError::Corrupt);
    }
    Ok(payload)
}

/// Tags of [`SourceKind`].
const POISSON: u8 = 0;
const STEPS: u8 = 1;

/// The tag of a sign mode.
fn sign_tag(sign: SignMode) -> u8 {
    match sign {
        SignMode::Mixed => 0,
        SignMode::Excitatory => 1,
        SignMode::Inhibitory => 2,
    }
}

/// Bytes of the smallest record of each kind, to weigh a count against the
/// bytes left before allocating for it.
mod min_size {
    pub const PROFILE: usize = 4 + 4 + 1 + 4;
    pub const COMPARTMENT: usize = 2 + 4 + 1 + 4 + 4 + 1;
    pub const FORMAT: usize = 5;
    pub const INPUT_AXON: usize = 2 + 4 + 4;
    pub const SYNAPSE: usize = 2 + 2 + 1;
    pub const OUTPUT_AXON: usize = 4 + 4 + 4;
    pub const CORE: usize = 4 + 6 * 8 + 4;
    pub const INPUT: usize = 4 + 8 + 4 + 1 + 8 + 8;
    pub const LIST: usize = 8;
    pub const SLICE: usize = 6 * 4;
}

/// Appends little-endian fields to a payload.
struct Writer(Vec<u8>);

impl Writer {
    /// Appends the payload of a program, in the order of the module's table.
    fn payload(&mut self, program: &ChipProgram) {
        // Serializing plain data with finite floats cannot fail; should it
        // ever, the empty text makes `decode` report the spec as malformed
        // rather than `encode` panic.
        let spec = serde_json::to_vec(program.spec()).unwrap_or_default();
        self.len(spec.len());
        self.put(&spec);
        self.put(program.dt().to_le_bytes());
        self.put(program.seed().to_le_bytes());
        self.len(program.cores().len());
        for core in program.cores() {
            self.core(core);
        }
        self.len(program.inputs().len());
        for input in program.inputs() {
            self.put(input.node.0.to_le_bytes());
            self.len(input.name.len());
            self.put(input.name.as_bytes());
            self.put(input.size.to_le_bytes());
            match &input.kind {
                SourceKind::Poisson { mean_per_step } => {
                    self.put([POISSON]);
                    self.len(mean_per_step.len());
                    for mean in mean_per_step {
                        self.put(mean.to_le_bytes());
                    }
                }
                SourceKind::Steps { steps } => {
                    self.put([STEPS]);
                    self.len(steps.len());
                    for list in steps {
                        self.len(list.len());
                        for step in list {
                            self.put(step.to_le_bytes());
                        }
                    }
                }
            }
            self.output_axons(&input.output_axons);
        }
        self.len(program.slices().len());
        for slice in program.slices() {
            for value in [
                slice.node.0,
                slice.neurons.start,
                slice.neurons.end,
                slice.core.0,
                slice.first_compartment,
                slice.per_neuron,
            ] {
                self.put(value.to_le_bytes());
            }
        }
    }

    fn put(&mut self, bytes: impl AsRef<[u8]>) {
        self.0.extend_from_slice(bytes.as_ref());
    }

    fn len(&mut self, len: usize) {
        self.put((len as u64).to_le_bytes());
    }

    fn core(&mut self, core: &CoreProgram) {
        self.put(core.id.0.to_le_bytes());
        self.len(core.profiles.len());
        for profile in &core.profiles {
            self.put(profile.du.to_le_bytes());
            self.put(profile.dv.to_le_bytes());
            match profile.vth {
                Some(vth) => {
                    self.put([1]);
                    self.put(vth.to_le_bytes());
                }
                None => self.put([0]),
            }
            self.put(profile.refractory_delay.to_le_bytes());
        }
        self.len(core.compartments.len());
        for compartment in &core.compartments {
            self.put(compartment.profile.to_le_bytes());
            self.put(compartment.bias_mantissa.to_le_bytes());
            self.put([compartment.bias_exponent]);
            self.put(compartment.u.to_le_bytes());
            self.put(compartment.v.to_le_bytes());
            match compartment.parent {
                Some(parent) => {
                    self.put([1]);
                    self.put(parent.to_le_bytes());
                }
                None => self.put([0]),
            }
        }
        self.len(core.formats.len());
        for format in &core.formats {
            self.put([
                format.weight_bits,
                sign_tag(format.sign),
                format.weight_exponent.to_le_bytes()[0],
                format.index_bits,
                format.delay_bits,
            ]);
        }
        self.len(core.input_axons.len());
        for axon in &core.input_axons {
            self.put(axon.format.to_le_bytes());
            self.put(axon.first.to_le_bytes());
            self.put(axon.count.to_le_bytes());
        }
        // One count for the three arrays: a checked program's arrays have
        // one length.
        let synapses = &core.synapses;
        self.len(synapses.compartment.len());
        for compartment in &synapses.compartment {
            self.put(compartment.to_le_bytes());
        }
        for weight in &synapses.weight {
            self.put(weight.to_le_bytes());
        }
        self.put(&synapses.delay);
        self.output_axons(&core.output_axons);
        self.put(core.delay_slots.to_le_bytes());
    }

    fn output_axons(&mut self, axons: &[OutputAxon]) {
        self.len(axons.len());
        for axon in axons {
            self.put(axon.source.to_le_bytes());
            self.put(axon.core.0.to_le_bytes());
            self.put(axon.axon.to_le_bytes());
        }
    }
}

/// Reads little-endian fields off a payload, each read bounds-checked.
struct Reader<'a> {
    /// The whole payload, for offsets in errors.
    payload: &'a [u8],
    /// What is left to read.
    rest: &'a [u8],
}

type Read<T> = Result<T, ImageError>;

impl<'a> Reader<'a> {
    /// Where the next read starts in the payload.
    fn offset(&self) -> u64 {
        (self.payload.len() - self.rest.len()) as u64
    }

    fn malformed(&self, field: &'static str, reason: String) -> ImageError {
        ImageError::Malformed {
            field,
            offset: self.offset(),
            reason,
        }
    }

    fn ended(&self, field: &'static str, needed: usize) -> ImageError {
        self.malformed(
            field,
            format!(
                "needs {needed} bytes, the payload has {} left",
                self.rest.len()
            ),
        )
    }

    fn bytes(&mut self, field: &'static str, n: usize) -> Read<&'a [u8]> {
        let Some((bytes, rest)) = self.rest.split_at_checked(n) else {
            return Err(self.ended(field, n));
        };
        self.rest = rest;
        Ok(bytes)
    }

    fn array<const N: usize>(&mut self, field: &'static str) -> Read<[u8; N]> {
        let Some((bytes, rest)) = self.rest.split_first_chunk::<N>() else {
            return Err(self.ended(field, N));
        };
        self.rest = rest;
        Ok(*bytes)
    }

    fn u8(&mut self, field: &'static str) -> Read<u8> {
        self.array::<1>(field).map(u8::from_le_bytes)
    }

    fn u16(&mut self, field: &'static str) -> Read<u16> {
        self.array(field).map(u16::from_le_bytes)
    }

    fn u32(&mut self, field: &'static str) -> Read<u32> {
        self.array(field).map(u32::from_le_bytes)
    }

    fn i32(&mut self, field: &'static str) -> Read<i32> {
        self.array(field).map(i32::from_le_bytes)
    }

    fn u64(&mut self, field: &'static str) -> Read<u64> {
        self.array(field).map(u64::from_le_bytes)
    }

    fn f64(&mut self, field: &'static str) -> Read<f64> {
        self.array(field).map(f64::from_le_bytes)
    }

    /// A one-byte tag: `false` for 0, `true` for 1.
    fn flag(&mut self, field: &'static str) -> Read<bool> {
        match self.u8(field)? {
            0 => Ok(false),
            1 => Ok(true),
            tag => Err(self.malformed(field, format!("tag {tag}, expected 0 or 1"))),
        }
    }

    /// A count of records of at least `min_size` bytes each, which must
    /// fit in what is left: so a corrupt count can never allocate more
    /// than the image holds.
    fn count(&mut self, field: &'static str, min_size: usize) -> Read<usize> {
        let count = self.u64(field)?;
        match usize::try_from(count) {
            Ok(n) if n <= self.rest.len() / min_size => Ok(n),
            _ => Err(self.malformed(
                field,
                format!(
                    "{count} entries of at least {min_size} bytes cannot fit in the {} bytes left",
                    self.rest.len()
                ),
            )),
        }
    }

    /// `count` records read by `read`.
    fn records<T>(
        &mut self,
        field: &'static str,
        min_size: usize,
        mut read: impl FnMut(&mut Self) -> Read<T>,
    ) -> Read<Vec<T>> {
        let count = self.count(field, min_size)?;
        let mut records = Vec::with_capacity(count);
        for _ in 0..count {
            records.push(read(self)?);
        }
        Ok(records)
    }

    /// `count` fixed-size values stored back to back.
    fn raw<const N: usize, T>(
        &mut self,
        field: &'static str,
        count: usize,
        from: fn([u8; N]) -> T,
    ) -> Read<Vec<T>> {
        let bytes = self.bytes(field, count.saturating_mul(N))?;
        let (values, _) = bytes.as_chunks::<N>();
        Ok(values.iter().map(|&v| from(v)).collect())
    }

    fn parts(&mut self) -> Read<ProgramParts> {
        let spec_len = self.count("spec", 1)?;
        let offset = self.offset();
        let text = self.bytes("spec", spec_len)?;
        let spec: ChipSpec =
            serde_json::from_slice(text).map_err(|error| ImageError::Malformed {
                field: "spec",
                offset,
                reason: error.to_string(),
            })?;
        let dt = self.f64("dt")?;
        let seed = self.u64("seed")?;
        let cores = self.records("cores", min_size::CORE, Self::core)?;
        let inputs = self.records("inputs", min_size::INPUT, Self::input)?;
        let slices = self.records("slices", min_size::SLICE, Self::slice)?;
        Ok(ProgramParts {
            spec,
            dt,
            seed,
            cores,
            inputs,
            slices,
        })
    }

    fn core(&mut self) -> Read<CoreProgram> {
        let id = CoreId(self.u32("core id")?);
        let profiles = self.records("profiles", min_size::PROFILE, |r| {
            Ok(CompartmentProfile {
                du: r.u32("profile du")?,
                dv: r.u32("profile dv")?,
                vth: if r.flag("profile threshold tag")? {
                    Some(r.u32("profile threshold")?)
                } else {
                    None
                },
                refractory_delay: r.u32("profile refractory delay")?,
            })
        })?;
        let compartments = self.records("compartments", min_size::COMPARTMENT, |r| {
            Ok(Compartment {
                profile: r.u16("compartment profile")?,
                bias_mantissa: r.i32("compartment bias mantissa")?,
                bias_exponent: r.u8("compartment bias exponent")?,
                u: r.i32("compartment u")?,
                v: r.i32("compartment v")?,
                parent: if r.flag("compartment parent tag")? {
                    Some(r.u16("compartment parent")?)
                } else {
                    None
                },
            })
        })?;
        let formats = self.records("synapse formats", min_size::FORMAT, |r| {
            let weight_bits = r.u8("format weight bits")?;
            let sign = match r.u8("format sign")? {
                0 => SignMode::Mixed,
                1 => SignMode::Excitatory,
                2 => SignMode::Inhibitory,
                tag => {
                    return Err(r.malformed(
                        "format sign",
                        format!("tag {tag}, expected 0 (mixed), 1 (excitatory) or 2 (inhibitory)"),
                    ));
                }
            };
            Ok(SynapseFormat {
                weight_bits,
                sign,
                weight_exponent: i8::from_le_bytes(r.array("format weight exponent")?),
                index_bits: r.u8("format index bits")?,
                delay_bits: r.u8("format delay bits")?,
            })
        })?;
        let input_axons = self.records("input axons", min_size::INPUT_AXON, |r| {
            Ok(InputAxon {
                format: r.u16("input axon format")?,
                first: r.u32("input axon first synapse")?,
                count: r.u32("input axon synapse count")?,
            })
        })?;
        let count = self.count("synapses", min_size::SYNAPSE)?;
        let synapses = SynapseList {
            compartment: self.raw("synapse compartments", count, u16::from_le_bytes)?,
            weight: self.raw("synapse weights", count, i16::from_le_bytes)?,
            delay: self.raw("synapse delays", count, u8::from_le_bytes)?,
        };
        let output_axons = self.output_axons()?;
        let delay_slots = self.u32("delay slots")?;
        Ok(CoreProgram {
            id,
            profiles,
            compartments,
            formats,
            input_axons,
            synapses,
            output_axons,
            delay_slots,
        })
    }

    fn output_axons(&mut self) -> Read<Vec<OutputAxon>> {
        self.records("output axons", min_size::OUTPUT_AXON, |r| {
            Ok(OutputAxon {
                source: r.u32("output axon source")?,
                core: CoreId(r.u32("output axon core")?),
                axon: r.u32("output axon input axon")?,
            })
        })
    }

    fn input(&mut self) -> Read<InputSource> {
        let node = NodeId(self.u32("source node")?);
        let name_len = self.count("source name", 1)?;
        let name = self.bytes("source name", name_len)?;
        let name = String::from_utf8(name.to_vec())
            .map_err(|error| self.malformed("source name", error.to_string()))?;
        let size = self.u32("source size")?;
        let kind = match self.u8("source kind")? {
            POISSON => {
                let count = self.count("Poisson means", 8)?;
                SourceKind::Poisson {
                    mean_per_step: self.raw("Poisson means", count, f64::from_le_bytes)?,
                }
            }
            STEPS => SourceKind::Steps {
                steps: self.records("spike step lists", min_size::LIST, |r| {
                    let count = r.count("spike steps", 8)?;
                    r.raw("spike steps", count, u64::from_le_bytes)
                })?,
            },
            tag => {
                return Err(self.malformed(
                    "source kind",
                    format!("tag {tag}, expected {POISSON} (Poisson) or {STEPS} (steps)"),
                ));
            }
        };
        let output_axons = self.output_axons()?;
        Ok(InputSource {
            node,
            name,
            size,
            kind,
            output_axons,
        })
    }

    fn slice(&mut self) -> Read<PopulationSlice> {
        Ok(PopulationSlice {
            node: NodeId(self.u32("slice node")?),
            neurons: NeuronRange::new(
                self.u32("slice first neuron")?,
                self.u32("slice neuron end")?,
            ),
            core: CoreId(self.u32("slice core")?),
            first_compartment: self.u32("slice first compartment")?,
            per_neuron: self.u32("slice compartments per neuron")?,
        })
    }
}
