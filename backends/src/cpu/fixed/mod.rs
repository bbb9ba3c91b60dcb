//! The CPU's fixed-point mode: a [`ChipProgram`] run on the CPU in the
//! chip's integer arithmetic, bit for bit what the chip emulator computes
//! (spikes, u and v at every step), without its timing and energy
//! accounting and much faster.
//!
//! The arithmetic is `CHIP.md` §c in either reading of [`Arithmetic`]. Per
//! step n, each core services its compartments in index order: it takes
//! the accumulator sums of ring slot `n mod D` (and zeroes them), decays
//! and updates u (hardware: `wrap24(trunc12(u·(4095 − du)) + wrap22(q))`;
//! lava: the same with `q << 6` from per-exponent sums, one conditional
//! wrap and no accumulator limit), adds the bias and the u of the
//! dendrites joined to it, decays and updates v (saturating), holds v at 0
//! while refractory, and spikes when `v > vth·2⁶`. Then the spikes of step
//! n, from compartments and host sources, walk their synapse lists into
//! the slots of step n + delay.
//!
//! How it is fast: each core's compartment update is a kernel compiled by
//! Cranelift (`kernel`) with every profile constant and the arithmetic
//! mode specialised into it, looping over runs of compartments that repeat
//! a pattern (`plan`); cores of equal shape share one kernel. The
//! synapses of every core are packed into one array of six bytes each (a
//! list of one inside its axon) and walked by a tight loop that fetches
//! the next messages' axons and lists ahead (`delivery`). Nothing is
//! allocated per step once the message buffers have grown to a step's
//! traffic (a step shared among threads spawns them, scoped to the step).
//!
//! Threads ([`FixedRun::with_threads`]) own contiguous runs of cores
//! (`parts`): each updates its cores and delivers the messages to its
//! cores' axons, so no two threads touch one value and the results do not
//! depend on the number of threads.

/// A step's compartment updates are shared among threads from this many
/// compartments on: below, spawning the threads costs more than it saves.
const PARALLEL_COMPARTMENTS: usize = 16_384;

/// A step's deliveries are shared among threads from this many messages
/// on.
const PARALLEL_MESSAGES: usize = 4096;

mod delivery;
mod kernel;
mod parts;
mod plan;
mod sources;

use delivery::{Delivery, DeliveryBuilder, Message, RingPlace};
use kernel::{Code, Compiler, CoreArrays, Kernel};
use neurc_ir::chip::{Arithmetic, ChipProgram, CoreId, CoreProgram, OutputAxon};
use parts::{CoreShape, Part};
use sources::Sources;

/// Why a program cannot run in fixed-point mode.
#[derive(Debug, thiserror::Error)]
pub enum FixedError {
    /// Cranelift cannot generate code for this machine.
    #[error("this machine cannot run compiled kernels: {0}")]
    Host(String),
    /// Cranelift refused a setting.
    #[error("Cranelift setting: {0}")]
    Setting(#[from] cranelift_codegen::settings::SetError),
    /// Cranelift failed to set up the target.
    #[error("Cranelift: {0}")]
    Codegen(#[from] cranelift_codegen::CodegenError),
    /// Cranelift failed to compile or link a kernel.
    #[error("Cranelift: {0}")]
    Module(Box<cranelift_module::ModuleError>),
    /// A part of the program refers to something it lacks (a checked
    /// program never does).
    #[error("malformed chip program: {0}")]
    Malformed(String),
}

impl From<cranelift_module::ModuleError> for FixedError {
    fn from(error: cranelift_module::ModuleError) -> Self {
        FixedError::Module(Box::new(error))
    }
}

/// One core's state and the kernel that steps it.
struct CoreRun {
    kernel: Kernel,
    ring: RingPlace,
    u: Vec<i64>,
    v: Vec<i64>,
    refractory: Vec<i64>,
    join: Vec<i64>,
    bias: Vec<i64>,
    /// The compartments that spiked on the last step, ascending, are the
    /// first `spike_count` entries.
    spikes: Vec<u32>,
    spike_count: usize,
    /// Compartment c's spikes go to the input axons (program-wide
    /// indices) `targets[first[c] .. first[c + 1]]`.
    first: Vec<u32>,
    targets: Vec<u32>,
}

/// A chip program running in fixed-point mode.
pub struct FixedRun {
    cores: Vec<CoreRun>,
    /// The sums of every core's ring, core after core.
    sums: Vec<i64>,
    delivery: Delivery,
    sources: Sources,
    /// The cores of each thread.
    parts: Vec<Part>,
    /// What splitting the cores among threads needs.
    shapes: Vec<CoreShape>,
    axons: u32,
    compartments: usize,
    /// The spike messages of the step being run, by the part that owns
    /// their axons; kept between steps for their capacity.
    outboxes: Vec<Vec<Message>>,
    steps: u64,
    synaptic_events: u64,
    /// The kernels' machine code; declared last so that it is dropped
    /// after the kernels in `cores` that point into it.
    _code: Code,
}

impl FixedRun {
    /// Compiles the kernels of `program` for `arithmetic` and sets every
    /// compartment to its initial u and v.
    pub fn new(program: &ChipProgram, arithmetic: Arithmetic) -> Result<FixedRun, FixedError> {
        let fixed = &program.spec().fixed_point;
        let widths = plan::Widths::of(fixed);
        let mut compiler = Compiler::new()?;
        let longest_delay = program.cores().iter().map(|c| c.delay_slots).max();
        let mut delivery = DeliveryBuilder::new(longest_delay.unwrap_or(1));
        let mut built = Vec::with_capacity(program.cores().len());
        let mut first_axons = Vec::with_capacity(program.cores().len());
        let mut shapes = Vec::with_capacity(program.cores().len());
        for core in program.cores() {
            let (groups, formats) = plan::accumulator_rows(core, arithmetic, widths);
            let (ring, first_axon) = delivery.add_core(core, groups.len(), &formats)?;
            let plan = plan::plan(core, arithmetic, fixed, groups, delivery.slots())?;
            built.push((compiler.compile(&plan)?, ring));
            first_axons.push(first_axon);
            shapes.push(CoreShape {
                work: (core.compartments.len()
                    + core.input_axons.len()
                    + core.synapses.compartment.len()) as u64,
                first_axon,
                first_sum: ring.start,
            });
        }
        let axons = core_axons_end(program, &first_axons);
        let ids: Vec<CoreId> = program.cores().iter().map(|c| c.id).collect();
        let wires = Wires {
            ids: &ids,
            first_axons: &first_axons,
            cores: program.cores(),
        };
        let (code, kernels) = compiler.finish()?;
        let mut cores = Vec::with_capacity(program.cores().len());
        for (core, &(k, ring)) in program.cores().iter().zip(&built) {
            let n = core.compartments.len();
            let (first, targets) = wires.targets(Some(core.id), &core.output_axons, n)?;
            let field = |f: fn(&neurc_ir::chip::Compartment) -> i64| {
                core.compartments.iter().map(f).collect::<Vec<i64>>()
            };
            cores.push(CoreRun {
                kernel: kernels[k],
                ring,
                u: field(|c| i64::from(c.u)),
                v: field(|c| i64::from(c.v)),
                refractory: vec![0; n],
                join: vec![0; n],
                bias: field(|c| i64::from(c.bias_mantissa) << c.bias_exponent),
                spikes: vec![0; n],
                spike_count: 0,
                first,
                targets,
            });
        }
        let mut wiring_error = None;
        let sources = Sources::new(program.seed(), program.inputs(), |input| {
            let size = input.size as usize;
            wires
                .targets(None, &input.output_axons, size)
                .unwrap_or_else(|error| {
                    wiring_error = Some(error);
                    (vec![0; size + 1], Vec::new())
                })
        });
        if let Some(error) = wiring_error {
            return Err(error);
        }
        let (delivery, sums) = delivery.finish();
        let compartments = program.cores().iter().map(|c| c.compartments.len()).sum();
        Ok(FixedRun {
            parts: parts::split(&shapes, 1, axons, sums.len()),
            shapes,
            axons,
            compartments,
            cores,
            sums,
            delivery,
            sources,
            outboxes: vec![Vec::new()],
            steps: 0,
            synaptic_events: 0,
            _code: code,
        })
    }

    /// The same run, sharing each step among `threads` threads (at most
    /// one per core; 1 runs everything on the caller's thread). The
    /// results are the same for any number.
    pub fn with_threads(mut self, threads: usize) -> FixedRun {
        self.parts = parts::split(&self.shapes, threads, self.axons, self.sums.len());
        self.outboxes.resize_with(self.parts.len(), Vec::new);
        self.outboxes.truncate(self.parts.len());
        self
    }

    /// The threads a step is shared among.
    pub fn threads(&self) -> usize {
        self.parts.len()
    }

    /// Runs one timestep: every core's compartments, then the delivery of
    /// this step's spikes from compartments and host sources.
    pub fn step(&mut self) {
        let step = self.steps;
        let slot = self.delivery.slot(step);
        let parts = &self.parts;
        let threaded = parts.len() > 1 && self.compartments >= PARALLEL_COMPARTMENTS;
        for_each_part(
            parts,
            &mut self.cores,
            &mut self.sums,
            threaded,
            |_, cores, sums, base| {
                for core in cores {
                    let ring = &mut sums[core.ring.start - base..][..core.ring.len];
                    core.spike_count = core.kernel.run(CoreArrays {
                        u: &mut core.u,
                        v: &mut core.v,
                        refractory: &mut core.refractory,
                        join: &mut core.join,
                        ring,
                        slot,
                        bias: &core.bias,
                        spikes: &mut core.spikes,
                    });
                }
                0
            },
        );
        let outboxes = &mut self.outboxes;
        for outbox in outboxes.iter_mut() {
            outbox.clear();
        }
        let mut send = |targets: &[u32], times: u32| {
            for &axon in targets {
                let part = if parts.len() == 1 {
                    0
                } else {
                    parts::owner(parts, axon)
                };
                outboxes[part].push(Message { axon, times });
            }
        };
        for core in &self.cores {
            for &c in &core.spikes[..core.spike_count] {
                let c = c as usize;
                send(
                    &core.targets[core.first[c] as usize..core.first[c + 1] as usize],
                    1,
                );
            }
        }
        self.sources.fire(step, &mut send);
        let outboxes = &self.outboxes;
        let delivery = &self.delivery;
        let messages: usize = outboxes.iter().map(Vec::len).sum();
        let threaded = parts.len() > 1 && messages >= PARALLEL_MESSAGES;
        self.synaptic_events += for_each_part(
            parts,
            &mut self.cores,
            &mut self.sums,
            threaded,
            |i, _, sums, base| delivery.deliver(sums, base, &outboxes[i], step),
        );
        self.steps += 1;
    }

    /// The cores, as many as the program's.
    pub fn cores(&self) -> usize {
        self.cores.len()
    }

    /// The compartments of core `core`.
    ///
    /// # Panics
    /// If there is no such core.
    pub fn compartments(&self, core: usize) -> usize {
        self.cores[core].u.len()
    }

    /// Timesteps completed.
    pub fn steps(&self) -> u64 {
        self.steps
    }

    /// u of compartment `compartment` of core `core` (an index into the
    /// program's cores).
    ///
    /// # Panics
    /// If there is no such core or compartment.
    pub fn u(&self, core: usize, compartment: usize) -> i64 {
        self.cores[core].u[compartment]
    }

    /// v of compartment `compartment` of core `core`.
    ///
    /// # Panics
    /// If there is no such core or compartment.
    pub fn v(&self, core: usize, compartment: usize) -> i64 {
        self.cores[core].v[compartment]
    }

    /// Whether compartment `compartment` of core `core` spiked on the last
    /// completed step (false before the first).
    ///
    /// # Panics
    /// If there is no such core.
    pub fn spiked(&self, core: usize, compartment: usize) -> bool {
        let core = &self.cores[core];
        u32::try_from(compartment)
            .is_ok_and(|c| core.spikes[..core.spike_count].binary_search(&c).is_ok())
    }

    /// The compartments of core `core` that spiked on the last completed
    /// step, ascending: the cheap way to collect spikes.
    ///
    /// # Panics
    /// If there is no such core.
    pub fn core_spikes(&self, core: usize) -> &[u32] {
        let core = &self.cores[core];
        &core.spikes[..core.spike_count]
    }

    /// Every `(core, compartment)` that spiked on the last completed step,
    /// by core, then compartment.
    pub fn spikes(&self) -> impl Iterator<Item = (usize, usize)> + '_ {
        self.cores.iter().enumerate().flat_map(|(index, core)| {
            core.spikes[..core.spike_count]
                .iter()
                .map(move |&c| (index, c as usize))
        })
    }

    /// The spikes each neuron of host source `source` (in the program's
    /// order) sent on the last completed step.
    ///
    /// # Panics
    /// If there is no such source.
    pub fn source_spikes(&self, source: usize) -> &[u32] {
        self.sources.counts(source)
    }

    /// Bytes the run holds for its synapses, axons, accumulators, wiring
    /// and compartment state: what its memory grows with.
    pub fn heap_bytes(&self) -> u64 {
        let cores: usize = self
            .cores
            .iter()
            .map(|c| {
                8 * (c.u.len() + c.v.len() + c.refractory.len() + c.join.len() + c.bias.len())
                    + 4 * (c.spikes.len() + c.first.len() + c.targets.len())
            })
            .sum();
        (self.delivery.heap_bytes() + 8 * self.sums.len() + cores + self.sources.heap_bytes())
            as u64
    }

    /// Synapses walked by spike messages since the start: the synaptic
    /// events (a Poisson count of k walks a list k times).
    pub fn synaptic_events(&self) -> u64 {
        self.synaptic_events
    }
}

impl std::fmt::Debug for FixedRun {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FixedRun")
            .field("cores", &self.cores.len())
            .field("steps", &self.steps)
            .finish_non_exhaustive()
    }
}

/// Runs `work(i, cores, sums, base)` for every part i, with its cores and
/// its rings' sums (which start at sum `base`), on a thread each if
/// `threaded` (the last on the caller's); returns the sum of the results.
fn for_each_part(
    parts: &[Part],
    cores: &mut [CoreRun],
    sums: &mut [i64],
    threaded: bool,
    work: impl Fn(usize, &mut [CoreRun], &mut [i64], usize) -> u64 + Sync,
) -> u64 {
    let owned = Owned {
        parts,
        index: 0,
        cores,
        sums,
    };
    if !threaded {
        return owned
            .map(|(i, cores, sums, base)| work(i, cores, sums, base))
            .sum();
    }
    let work = &work;
    std::thread::scope(|scope| {
        let mut total = 0;
        let mut threads = Vec::with_capacity(parts.len());
        for (i, cores, sums, base) in owned {
            if i + 1 < parts.len() {
                threads.push(scope.spawn(move || work(i, cores, sums, base)));
            } else {
                total += work(i, cores, sums, base);
            }
        }
        for thread in threads {
            total += thread
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        }
        total
    })
}

/// The parts, each with its cores and its rings' sums, split off in turn.
struct Owned<'p, 'a> {
    /// The parts not yet split off.
    parts: &'p [Part],
    /// The index of the next.
    index: usize,
    cores: &'a mut [CoreRun],
    sums: &'a mut [i64],
}

impl<'a> Iterator for Owned<'_, 'a> {
    /// Its index, cores, sums, and the index of its first sum.
    type Item = (usize, &'a mut [CoreRun], &'a mut [i64], usize);

    fn next(&mut self) -> Option<Self::Item> {
        let (part, rest) = self.parts.split_first()?;
        let index = self.index;
        self.index += 1;
        let (cores, other_cores) = std::mem::take(&mut self.cores).split_at_mut(part.cores.len());
        let (sums, other_sums) = std::mem::take(&mut self.sums).split_at_mut(part.sums.len());
        (self.parts, self.cores, self.sums) = (rest, other_cores, other_sums);
        Some((index, cores, sums, part.sums.start))
    }
}

/// The end of the program-wide numbering of input axons.
fn core_axons_end(program: &ChipProgram, first_axons: &[u32]) -> u32 {
    let last = program
        .cores()
        .last()
        .map_or(0, |c| c.input_axons.len() as u32);
    first_axons.last().map_or(0, |&first| first + last)
}

/// What output axons are resolved against: the program's cores.
struct Wires<'a> {
    /// The cores' ids, ascending.
    ids: &'a [CoreId],
    /// The program-wide index of each core's first input axon.
    first_axons: &'a [u32],
    cores: &'a [CoreProgram],
}

impl Wires<'_> {
    /// The input axons (program-wide indices) that `senders` senders (of
    /// core `from`, or of a host source) reach through `axons`: sender
    /// i's are `targets[first[i] .. first[i + 1]]`.
    fn targets(
        &self,
        from: Option<CoreId>,
        axons: &[OutputAxon],
        senders: usize,
    ) -> Result<(Vec<u32>, Vec<u32>), FixedError> {
        let malformed = |reason: String| {
            let sender = match from {
                Some(core) => format!("core {core}"),
                None => "a host source".to_owned(),
            };
            FixedError::Malformed(format!("{sender}: {reason}"))
        };
        if axons.windows(2).any(|w| w[0].source > w[1].source) {
            return Err(malformed("output axons out of source order".into()));
        }
        let mut first = vec![0u32; senders + 1];
        let mut targets = Vec::with_capacity(axons.len());
        for axon in axons {
            let core = self
                .ids
                .binary_search(&axon.core)
                .map_err(|_| malformed(format!("output axon to a missing core {}", axon.core)))?;
            if axon.axon as usize >= self.cores[core].input_axons.len() {
                return Err(malformed(format!(
                    "no input axon {} on {}",
                    axon.axon, axon.core
                )));
            }
            let source = axon.source as usize;
            if source >= senders {
                return Err(malformed(format!(
                    "output axon from a missing sender {source}"
                )));
            }
            first[source + 1] += 1;
            targets.push(self.first_axons[core] + axon.axon);
        }
        for i in 0..senders {
            first[i + 1] += first[i];
        }
        Ok((first, targets))
    }
}
