//! The reference executor: the whole network, one step, one population,
//! one neuron and one synapse at a time, on one thread.
//!
//! It is the oracle the JIT executor is compared with, so it is written to
//! be checked by reading against the step semantics
//! ([`neurc_backends::cpu::program`]), not to be fast. Each step `n`:
//!
//! 1. every population in order, every neuron in order, reads and clears
//!    what arrives for it in step `n` on each synaptic buffer and runs its
//!    step program ([`step_neuron`]);
//! 2. every projection in [`Instance::projections`] order delivers the
//!    step's spikes of its presynaptic population, in ascending neuron
//!    order, each over its synapses in row order: `weight` (or `weight ·
//!    count` for counting models) lands in the postsynaptic buffer's ring
//!    slot of step `n + delay`;
//! 3. the probes record, and, on the steps every executor checks
//!    ([`is_check_step`]), every state variable is checked for NaN and
//!    infinity.
//!
//! The order of the additions into the rings is the order the JIT
//! executor must sum in, so the two agree bit for bit.

use crate::error::{RunError, is_check_step};
use crate::instance::{Instance, PopulationInstance, ProjectionInstance};
use crate::recording::{Recording, SpikeEvents, Trace};
use neurc_backends::cpu::interpret::{NeuronState, step_neuron};
use neurc_backends::cpu::random::{self, Stream};
use neurc_backends::cpu::schedule::Schedule;
use neurc_backends::cpu::{NeuronProgram, Real};
use neurc_ir::PerSynapse;

/// Runs `instance` for its steps in precision `R` and returns what its
/// probes recorded, or the first state variable found NaN or infinite
/// (at the first check step that finds one; then by population, variable
/// and neuron order).
pub fn simulate<R: Real>(instance: &Instance) -> Result<Recording, RunError> {
    let mut populations = instance
        .populations
        .iter()
        .map(|population| Population::new(population, instance.seed, instance.dt))
        .collect::<Result<Vec<Population<R>>, RunError>>()?;
    let mut recording = Recording {
        spikes: vec![SpikeEvents::default(); instance.spike_probes.len()],
        traces: vec![Trace::default(); instance.trace_probes.len()],
        spike_counts: vec![0; instance.populations.len()],
        synaptic_events: vec![0; instance.projections.len()],
    };
    for step in 0..instance.steps {
        let time = R::from_f64(step as f64 * instance.dt);
        let spikes: Vec<Vec<Spike>> = populations
            .iter_mut()
            .zip(&instance.populations)
            .map(|(population, its)| population.step(&its.program, time, step))
            .collect();
        for (projection, events) in instance
            .projections
            .iter()
            .zip(&mut recording.synaptic_events)
        {
            let counts = instance.populations[projection.pre].program.counts_spikes();
            let ring = &mut populations[projection.post].ring;
            *events += deliver(projection, &spikes[projection.pre], counts, ring, step);
        }
        record(instance, &populations, &spikes, step, &mut recording);
        if is_check_step(step, instance.steps) {
            check_finite(instance, &populations, step)?;
        }
    }
    Ok(recording)
}

/// A neuron's spikes in one step: its index in the population and how
/// many times it spiked (1 unless its model counts spikes).
#[derive(Clone, Copy, Debug)]
struct Spike {
    neuron: u32,
    count: u32,
}

/// One neuron's values, kept together.
struct Neuron<R> {
    state: Vec<R>,
    params: Vec<R>,
    refractory: u32,
    stream: Option<Stream>,
}

/// A population's neurons, the rings of its synaptic buffers and its
/// spike schedule.
struct Population<R> {
    neurons: Vec<Neuron<R>>,
    ring: Ring<R>,
    schedule: Option<Schedule>,
}

impl<R: Real> Population<R> {
    /// The population at step 0: state from `init`, parameters from
    /// `params`, a stream per neuron if the program draws random numbers
    /// (keyed by `seed`, the node index and the neuron), its schedule, and
    /// empty rings.
    fn new(population: &PopulationInstance, seed: u64, dt: f64) -> Result<Self, RunError> {
        check_instance(population)?;
        let program = &population.program;
        let size = population.size as usize;
        let column = |values: &[f64], count: usize, i: usize| -> Vec<R> {
            (0..count)
                .map(|k| R::from_f64(values[k * size + i]))
                .collect()
        };
        let neurons = (0..population.size)
            .map(|i| Neuron {
                state: column(&population.init, program.state.len(), i as usize),
                params: column(&population.params, program.params.len(), i as usize),
                refractory: 0,
                stream: program
                    .uses_random()
                    .then(|| random::stream(seed, population.node.0, i)),
            })
            .collect();
        let schedule = population
            .schedule
            .as_ref()
            .map(|times| Schedule::new(times.iter().map(Vec::as_slice), dt));
        Ok(Population {
            neurons,
            ring: Ring::new(program.take_up.len(), population.slots, size),
            schedule,
        })
    }

    /// Steps every neuron in order and returns the spikes, ascending.
    fn step(&mut self, program: &NeuronProgram, time: R, step: u64) -> Vec<Spike> {
        let mut spikes = Vec::new();
        for (i, neuron) in (0u32..).zip(&mut self.neurons) {
            let buffers = self.ring.take(step, i);
            let state = NeuronState {
                state: &mut neuron.state,
                params: &neuron.params,
                buffers: &buffers,
                refractory: &mut neuron.refractory,
                stream: neuron.stream.as_mut(),
                schedule: self.schedule.as_mut().map(|schedule| (schedule, i)),
            };
            let count = step_neuron(program, state, time, step);
            if count > 0 {
                spikes.push(Spike { neuron: i, count });
            }
        }
        spikes
    }
}

/// Refuses an instance the executor would index out of bounds or that
/// lacks a schedule its program reads: the instance builder's bug.
fn check_instance(population: &PopulationInstance) -> Result<(), RunError> {
    let program = &population.program;
    let size = population.size as usize;
    let problem = if population.init.len() != program.state.len() * size {
        "a wrong number of initial values"
    } else if population.params.len() != program.params.len() * size {
        "a wrong number of parameter values"
    } else if program.uses_schedule() && population.schedule.is_none() {
        "no spike schedule, though its program reads one"
    } else if !population.slots.is_power_of_two() {
        "a ring slot count that is not a power of two"
    } else {
        return Ok(());
    };
    Err(RunError::Internal(format!(
        "population `{}` has {problem}",
        population.name
    )))
}

/// The delay rings of a population's synaptic buffers: what arrives in
/// step `s` on buffer `k` for neuron `i` accumulates at
/// `(k · slots + s mod slots) · size + i`.
struct Ring<R> {
    values: Vec<R>,
    buffers: usize,
    slots: u32,
    size: usize,
}

impl<R: Real> Ring<R> {
    fn new(buffers: usize, slots: u32, size: usize) -> Self {
        Ring {
            values: vec![R::ZERO; buffers * slots as usize * size],
            buffers,
            slots,
            size,
        }
    }

    fn index(&self, buffer: usize, step: u64, neuron: u32) -> usize {
        let slot = (step & u64::from(self.slots - 1)) as usize;
        (buffer * self.slots as usize + slot) * self.size + neuron as usize
    }

    /// What arrives for `neuron` in `step` on each buffer, leaving zeros
    /// behind for the step `slots` later.
    fn take(&mut self, step: u64, neuron: u32) -> Vec<R> {
        (0..self.buffers)
            .map(|buffer| {
                let index = self.index(buffer, step, neuron);
                std::mem::replace(&mut self.values[index], R::ZERO)
            })
            .collect()
    }

    fn add(&mut self, buffer: usize, arrival_step: u64, neuron: u32, value: R) {
        let index = self.index(buffer, arrival_step, neuron);
        self.values[index] = self.values[index] + value;
    }
}

/// Delivers the step's spikes of the presynaptic population over one
/// projection and returns the synaptic events: synapses walked, once per
/// spiking neuron whatever its count.
fn deliver<R: Real>(
    projection: &ProjectionInstance,
    spikes: &[Spike],
    counts: bool,
    ring: &mut Ring<R>,
    step: u64,
) -> u64 {
    let table = &projection.table;
    let pre = projection.pre_range;
    let mut events = 0;
    for spike in spikes
        .iter()
        .filter(|s| pre.start <= s.neuron && s.neuron < pre.end)
    {
        let row = (spike.neuron - pre.start) as usize;
        let synapses = table.row_offsets[row] as usize..table.row_offsets[row + 1] as usize;
        events += synapses.len() as u64;
        for k in synapses {
            let weight = R::from_f64(per_synapse(&table.weights, k));
            // Counting models scale by the count even when it is 1, as the
            // compiled delivery multiplies unconditionally.
            let value = if counts {
                weight * R::from_f64(f64::from(spike.count))
            } else {
                weight
            };
            let arrival = step + u64::from(per_synapse(&table.delays, k));
            ring.add(projection.buffer as usize, arrival, table.targets[k], value);
        }
    }
    events
}

fn per_synapse<T: Copy>(values: &PerSynapse<T>, synapse: usize) -> T {
    match values {
        PerSynapse::Constant(value) => *value,
        PerSynapse::Varying(values) => values[synapse],
    }
}

/// Appends the step to every probe and to the spike counts.
fn record<R: Real>(
    instance: &Instance,
    populations: &[Population<R>],
    spikes: &[Vec<Spike>],
    step: u64,
    recording: &mut Recording,
) {
    for (probe, events) in instance.spike_probes.iter().zip(&mut recording.spikes) {
        let recorded = spikes[probe.population]
            .iter()
            .filter(|s| probe.neurons.start <= s.neuron && s.neuron < probe.neurons.end);
        for spike in recorded {
            for _ in 0..spike.count {
                events.steps.push(step);
                events.neurons.push(spike.neuron);
            }
        }
    }
    for (probe, trace) in instance.trace_probes.iter().zip(&mut recording.traces) {
        let neurons = &populations[probe.population].neurons;
        let recorded = &neurons[probe.neurons.start as usize..probe.neurons.end as usize];
        let values = recorded
            .iter()
            .map(|n| n.state[probe.state as usize].to_f64());
        trace.values.extend(values);
    }
    for (spikes, total) in spikes.iter().zip(&mut recording.spike_counts) {
        *total += spikes.iter().map(|s| u64::from(s.count)).sum::<u64>();
    }
}

/// The first state variable that is NaN or infinite at the end of `step`,
/// by population, then variable, then neuron.
fn check_finite<R: Real>(
    instance: &Instance,
    populations: &[Population<R>],
    step: u64,
) -> Result<(), RunError> {
    for (its, population) in instance.populations.iter().zip(populations) {
        for (x, variable) in its.program.state.iter().enumerate() {
            let values = population.neurons.iter().map(|n| n.state[x].to_f64());
            if let Some((neuron, value)) = (0u32..).zip(values).find(|(_, v)| !v.is_finite()) {
                return Err(RunError::NonFinite {
                    population: its.name.clone(),
                    variable: variable.clone(),
                    neuron,
                    step,
                    time_ms: (step + 1) as f64 * instance.dt * 1e3,
                    value: format!("{value}"),
                });
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::CHECK_EVERY;
    use crate::instance::{SpikeProbe, TraceProbe};
    use neurc_backends::cpu::plan::Integration;
    use neurc_backends::cpu::program::{BinOp, Code, Dest, Slot, SpikeRule, Stmt, TakeUp};
    use neurc_ir::{NeuronRange, NodeId, ProjId, SynapseTable};

    const DT: f64 = 1e-3;

    fn program(state: &[&str]) -> NeuronProgram {
        NeuronProgram {
            model: "Test".to_string(),
            state: state.iter().map(|s| s.to_string()).collect(),
            held: vec![false; state.len()],
            params: Vec::new(),
            inputs: 0,
            temps: 0,
            take_up: Vec::new(),
            update: Vec::new(),
            spike: None,
            reset: Vec::new(),
            refractory: None,
        }
    }

    fn v() -> Code {
        Code::Load(Slot::State(0))
    }

    fn bin(op: BinOp, a: Code, b: Code) -> Code {
        Code::Binary(op, Box::new(a), Box::new(b))
    }

    fn population(
        node: u32,
        name: &str,
        program: NeuronProgram,
        init: Vec<f64>,
    ) -> PopulationInstance {
        let size = (init.len() / program.state.len().max(1)) as u32;
        PopulationInstance {
            node: NodeId(node),
            name: name.to_string(),
            size,
            program,
            integration: Integration::Discrete,
            params: Vec::new(),
            init,
            schedule: None,
            slots: 4,
        }
    }

    /// A neuron that adds what arrives to `v`, spikes when `v ≥ 1` and
    /// then subtracts 1.
    fn integrator() -> NeuronProgram {
        let mut p = program(&["v"]);
        p.take_up = vec![TakeUp::State(0)];
        p.spike = Some(SpikeRule::Condition(bin(BinOp::Ge, v(), Code::Const(1.0))));
        p.reset = vec![Stmt {
            dest: Dest::State(0),
            value: bin(BinOp::Sub, v(), Code::Const(1.0)),
        }];
        p
    }

    fn projection(
        pre: usize,
        post: usize,
        pre_size: u32,
        table: SynapseTable,
    ) -> ProjectionInstance {
        ProjectionInstance {
            id: ProjId(0),
            name: "pre -> post".to_string(),
            pre,
            post,
            pre_range: NeuronRange::new(0, pre_size),
            buffer: 0,
            table,
        }
    }

    fn instance(steps: u64, populations: Vec<PopulationInstance>) -> Instance {
        Instance {
            dt: DT,
            steps,
            seed: 17,
            populations,
            projections: Vec::new(),
            spike_probes: Vec::new(),
            trace_probes: Vec::new(),
        }
    }

    fn all(size: u32) -> NeuronRange {
        NeuronRange::new(0, size)
    }

    /// Two scheduled sources, spiking in steps 2 and 4, drive two
    /// integrators: source 0 onto target 0 (0.25, delay 3) and target 1
    /// (1.5, delay 1), source 1 onto target 0 (1.0, delay 3).
    fn scheduled_sources_drive_integrators() -> Instance {
        let mut source = program(&[]);
        source.spike = Some(SpikeRule::Condition(Code::Scheduled));
        let mut sources = population(0, "sources", source, Vec::new());
        sources.size = 2;
        sources.schedule = Some(vec![vec![2.0 * DT], vec![4.0 * DT]]);
        let targets = population(1, "targets", integrator(), vec![0.0, 0.0]);
        let table = SynapseTable {
            row_offsets: vec![0, 2, 3],
            targets: vec![0, 1, 0],
            weights: PerSynapse::Varying(vec![0.25, 1.5, 1.0]),
            delays: PerSynapse::Varying(vec![3, 1, 3]),
        };
        let mut instance = instance(8, vec![sources, targets]);
        instance.projections = vec![projection(0, 1, 2, table)];
        instance.spike_probes = vec![
            SpikeProbe {
                population: 0,
                neurons: all(2),
            },
            SpikeProbe {
                population: 1,
                neurons: all(2),
            },
        ];
        instance.trace_probes = vec![TraceProbe {
            population: 1,
            state: 0,
            variable: "v".to_string(),
            neurons: all(2),
            threshold: None,
        }];
        instance
    }

    fn check_scheduled_sources_drive_integrators<R: Real>() {
        let recording = simulate::<R>(&scheduled_sources_drive_integrators()).expect("finite");
        let events = |steps: &[u64], neurons: &[u32]| SpikeEvents {
            steps: steps.to_vec(),
            neurons: neurons.to_vec(),
        };
        assert_eq!(recording.spikes[0], events(&[2, 4], &[0, 1]));
        assert_eq!(recording.spikes[1], events(&[3, 7], &[1, 0]));
        // Target 0 receives 0.25 in step 2 + 3 = 5 and 1 in step 4 + 3 = 7
        // (1.25: a spike, then 0.25 again); target 1 receives 1.5 in step
        // 3, spikes and keeps 0.5.
        #[rustfmt::skip]
        let v = [
            0.0, 0.0,
            0.0, 0.0,
            0.0, 0.0,
            0.0, 0.5,
            0.0, 0.5,
            0.25, 0.5,
            0.25, 0.5,
            0.25, 0.5,
        ];
        assert_eq!(recording.traces[0].values, v);
        assert_eq!(recording.spike_counts, [2, 2]);
        assert_eq!(recording.synaptic_events, [3]);
    }

    #[test]
    fn input_arrives_exactly_its_delay_later() {
        check_scheduled_sources_drive_integrators::<f64>();
        check_scheduled_sources_drive_integrators::<f32>();
    }

    #[test]
    fn a_count_is_recorded_count_times_and_delivered_once_times_count() {
        let mut source = program(&[]);
        source.spike = Some(SpikeRule::Count(Code::Const(2.0)));
        let mut sources = population(0, "sources", source, Vec::new());
        sources.size = 1;
        let mut target = program(&["v"]);
        target.take_up = vec![TakeUp::State(0)];
        let targets = population(1, "targets", target, vec![0.0]);
        let table = SynapseTable {
            row_offsets: vec![0, 1],
            targets: vec![0],
            weights: PerSynapse::Constant(0.5),
            delays: PerSynapse::Constant(1),
        };
        let mut instance = instance(3, vec![sources, targets]);
        instance.projections = vec![projection(0, 1, 1, table)];
        instance.spike_probes = vec![SpikeProbe {
            population: 0,
            neurons: all(1),
        }];
        instance.trace_probes = vec![TraceProbe {
            population: 1,
            state: 0,
            variable: "v".to_string(),
            neurons: all(1),
            threshold: None,
        }];
        let recording = simulate::<f64>(&instance).expect("finite");
        assert_eq!(recording.spikes[0].steps, [0, 0, 1, 1, 2, 2]);
        assert_eq!(recording.spikes[0].neurons, [0; 6]);
        assert_eq!(recording.traces[0].values, [0.0, 1.0, 2.0]);
        assert_eq!(recording.spike_counts, [6, 0]);
        assert_eq!(recording.synaptic_events, [3]);
    }

    #[test]
    fn each_neuron_draws_from_its_own_stream() {
        let mut noise = program(&["v"]);
        noise.update = vec![Stmt {
            dest: Dest::State(0),
            value: Code::Rand,
        }];
        let mut instance = instance(1, vec![population(3, "noise", noise, vec![0.0, 0.0])]);
        instance.trace_probes = vec![TraceProbe {
            population: 0,
            state: 0,
            variable: "v".to_string(),
            neurons: all(2),
            threshold: None,
        }];
        let recording = simulate::<f64>(&instance).expect("finite");
        let first_draw = |neuron| random::uniform(&mut random::stream(17, 3, neuron));
        assert_eq!(recording.traces[0].values, [first_draw(0), first_draw(1)]);
    }

    /// What stops a run of `steps` steps of a finite population followed
    /// by one whose `v` (×10 per step, from 1e306) becomes infinite in
    /// neuron 1 after step 2, and whose `u` (likewise from 1e307) does in
    /// neuron 0 after step 1.
    fn divergence(steps: u64) -> (String, String, u32, u64, f64, String) {
        let fine = population(0, "fine", integrator(), vec![0.0]);
        let mut growth = program(&["v", "u"]);
        let grow = |x| Stmt {
            dest: Dest::State(x),
            value: bin(BinOp::Mul, Code::Load(Slot::State(x)), Code::Const(10.0)),
        };
        growth.update = vec![grow(0), grow(1)];
        let bad = population(1, "bad", growth, vec![1.0, 1e306, 1e307, 1.0]);
        match simulate::<f64>(&instance(steps, vec![fine, bad])) {
            Err(RunError::NonFinite {
                population,
                variable,
                neuron,
                step,
                time_ms,
                value,
            }) => (population, variable, neuron, step, time_ms, value),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_diverging_variable_stops_the_run_naming_its_population() {
        // Checked after the last step: `v` comes before `u`, whichever
        // diverged first.
        let (population, variable, neuron, step, time_ms, value) = divergence(5);
        assert_eq!((population.as_str(), variable.as_str()), ("bad", "v"));
        assert_eq!((neuron, step, value.as_str()), (1, 4, "inf"));
        assert!((time_ms - 5.0).abs() < 1e-9, "{time_ms}");
        // Checked after every 64th step: the first check finds it.
        let (_, _, _, step, time_ms, _) = divergence(100);
        assert_eq!(step, CHECK_EVERY - 1);
        assert!((time_ms - 64.0).abs() < 1e-9, "{time_ms}");
    }

    #[test]
    fn a_missing_schedule_is_refused() {
        let mut source = program(&[]);
        source.spike = Some(SpikeRule::Condition(Code::Scheduled));
        let sources = population(0, "sources", source, Vec::new());
        let error = simulate::<f64>(&instance(1, vec![sources])).expect_err("refused");
        assert!(matches!(error, RunError::Internal(_)), "{error:?}");
    }
}
