//! Every way a kernel refuses its arguments, and a compiler its input.

use super::*;
use crate::cpu::jit::{DeliverySpec, JitError, KernelError, SynapseArrays, SynapseShard};
use crate::cpu::program::{RefractoryRule, SpikeRule, TakeUp};

/// A program that needs every array: state, a parameter, a buffer, a
/// refractory counter, streams, a schedule and counts.
fn needy() -> NeuronProgram {
    let mut p = program(1, 1);
    p.take_up = vec![TakeUp::State(0)];
    p.update = vec![set(0, bin(BinOp::Add, param(0), Code::Rand))];
    p.spike = Some(SpikeRule::Count(Code::Scheduled));
    p.refractory = Some(RefractoryRule { steps: c(1.0) });
    p
}

/// A change that makes a chunk's arrays wrong for [`needy`].
type Breakage = Box<dyn Fn(&mut Chunk<f64>)>;

#[test]
fn neuron_kernels_check_every_array() {
    let p = needy();
    let (kernels, id) = compile::<f64>(&p);
    let kernel = kernels.neuron(id);
    let fresh = || {
        let mut chunk = Chunk::<f64>::new(&p, 4, 2);
        chunk.schedule = Some(Schedule::new([&[0.0][..], &[], &[], &[]], 1e-3));
        chunk
    };
    let length = |array, expected, actual| KernelError::Length {
        array,
        expected,
        actual,
    };
    let short = |array, needed, actual| KernelError::TooShort {
        array,
        needed,
        actual,
    };
    let cases: Vec<(Breakage, KernelError)> = vec![
        (Box::new(|c| c.state.push(0.0)), length("state", 4, 5)),
        (Box::new(|c| c.params.clear()), length("params", 4, 0)),
        (
            Box::new(|c| {
                c.ring.pop();
            }),
            length("ring", 8, 7),
        ),
        (Box::new(|c| c.slots = 3), KernelError::Slots(3)),
        (Box::new(|c| c.slots = 0), KernelError::Slots(0)),
        (Box::new(|c| c.slots = 4), length("ring", 16, 8)),
        (
            Box::new(|c| c.refractory.truncate(3)),
            length("refractory", 4, 3),
        ),
        (Box::new(|c| c.streams.truncate(1)), length("streams", 4, 1)),
        (
            Box::new(|c| c.schedule = None),
            KernelError::MissingSchedule,
        ),
        (
            Box::new(|c| c.schedule = Some(Schedule::new([&[0.0][..]], 1e-3))),
            KernelError::ScheduleLength {
                expected: 4,
                actual: 1,
            },
        ),
        (Box::new(|c| c.spikes.truncate(3)), short("spikes", 4, 3)),
        (Box::new(|c| c.counts.clear()), short("counts", 4, 0)),
        (
            Box::new(|c| c.first = u32::MAX - 2),
            KernelError::IndexOverflow {
                first: u32::MAX - 2,
                n: 4,
            },
        ),
    ];
    for (break_it, error) in cases {
        let mut chunk = fresh();
        break_it(&mut chunk);
        let state = chunk.state.clone();
        assert_eq!(kernel.run(chunk.data(0)), Err(error.clone()));
        assert_eq!(chunk.state, state, "{error} changed the state");
    }
    // The last neuron index may be u32::MAX; longer outputs are fine.
    let mut chunk = fresh();
    chunk.first = u32::MAX - 3;
    chunk.spikes.push(0);
    chunk.counts.push(0);
    assert!(kernel.run(chunk.data(0)).is_ok());
}

#[test]
fn unused_arrays_may_be_empty() {
    let mut p = program(1, 0);
    p.update = vec![set(0, c(2.0))];
    let (kernels, id) = compile::<f32>(&p);
    let mut state = vec![0.0f32; 3];
    let mut spikes = vec![0; 3];
    let data = NeuronData {
        state: &mut state,
        params: &[],
        ring: &mut [],
        slots: 1,
        refractory: &mut [],
        streams: &mut [],
        schedule: None,
        spikes: &mut spikes,
        counts: &mut [],
        first: 0,
        n: 3,
        time: 0.0,
        step: 0,
    };
    assert_eq!(kernels.neuron(id).run(data), Ok(0));
    assert_eq!(state, [2.0; 3]);
}

#[test]
fn malformed_programs_are_not_compiled() {
    let mut jit = Jit::<f64>::new().unwrap();
    let mut cases = Vec::new();
    let mut p = program(1, 1);
    p.held = vec![];
    cases.push((p, "0 held flags for 1 state variables"));
    let mut p = program(1, 1);
    p.update = vec![set(0, param(1))];
    cases.push((p, "parameter 1 of 1"));
    let mut p = program(1, 0);
    p.reset = vec![set(1, c(0.0))];
    cases.push((p, "assigned state variable 1 of 1"));
    let mut p = program(1, 0);
    p.update = vec![set_temp(0, c(0.0))];
    cases.push((p, "assigned temporary 0 of 0"));
    let mut p = program(1, 0);
    p.take_up = vec![TakeUp::Input(0)];
    cases.push((p, "input 0 of 0"));
    let mut p = program(1, 0);
    p.take_up = vec![TakeUp::State(2)];
    cases.push((p, "state variable 2 of 1"));
    let mut p = program(1, 0);
    p.refractory = Some(RefractoryRule {
        steps: Code::Select(Box::new(c(1.0)), Box::new(c(1.0)), Box::new(temp(3))),
    });
    cases.push((p, "temporary 3 of 0"));
    for (p, expected) in cases {
        match jit.compile_neuron(&p) {
            Err(JitError::InvalidProgram { model, reason }) => {
                assert_eq!((model.as_str(), reason.as_str()), ("test", expected))
            }
            other => panic!("{expected}: {other:?}"),
        }
    }
    // The compiler is still usable after refusing them.
    let id = jit.compile_neuron(&program(1, 0)).unwrap();
    jit.finish().unwrap().neuron(id);
}

fn spec() -> DeliverySpec {
    DeliverySpec {
        weight: None,
        delay: None,
        counted: true,
        pre_start: 4,
        pre_end: 6,
    }
}

#[test]
fn invalid_specs_are_not_compiled() {
    let mut jit = Jit::<f64>::new().unwrap();
    for spec in [
        DeliverySpec {
            pre_start: 7,
            ..spec()
        },
        DeliverySpec {
            delay: Some(0),
            ..spec()
        },
    ] {
        assert!(matches!(jit.compile_delivery(&spec), Err(JitError::InvalidSpec(s)) if s == spec));
    }
}

#[test]
fn shards_check_every_synapse() {
    let begin = [0u64, 2];
    let end = [2u64, 3];
    let targets = [10u32, 11, 12];
    let weights = [1.0; 3];
    let delays = [1u16, 2, 3];
    let arrays = SynapseArrays {
        begin: &begin,
        end: &end,
        targets: &targets,
        weights: &weights,
        delays: &delays,
    };
    assert!(SynapseShard::new(&spec(), arrays, 10, 3, 4).is_ok());
    let check = |spec: DeliverySpec, arrays: SynapseArrays<'_, f64>, base, n, slots| {
        SynapseShard::new(&spec, arrays, base, n, slots).map(drop)
    };
    let length = |array, expected, actual| {
        Err(KernelError::Length {
            array,
            expected,
            actual,
        })
    };
    let row = |row, begin, end| {
        Err(KernelError::RowRange {
            row,
            begin,
            end,
            synapses: 3,
        })
    };
    let delay = |synapse, delay, slots| {
        Err(KernelError::Delay {
            synapse,
            delay,
            slots,
        })
    };
    let target = |synapse, target, target_base, n_local| {
        Err(KernelError::Target {
            synapse,
            target,
            target_base,
            n_local,
        })
    };
    let cases = [
        (
            check(
                DeliverySpec {
                    pre_end: 3,
                    ..spec()
                },
                arrays,
                10,
                3,
                4,
            ),
            Err(KernelError::PreRange { start: 4, end: 3 }),
        ),
        (check(spec(), arrays, 10, 3, 6), Err(KernelError::Slots(6))),
        (
            check(
                DeliverySpec {
                    pre_end: 7,
                    ..spec()
                },
                arrays,
                10,
                3,
                4,
            ),
            length("begin", 3, 2),
        ),
        (
            check(
                spec(),
                SynapseArrays {
                    end: &end[..1],
                    ..arrays
                },
                10,
                3,
                4,
            ),
            length("end", 2, 1),
        ),
        (
            check(
                spec(),
                SynapseArrays {
                    weights: &weights[..2],
                    ..arrays
                },
                10,
                3,
                4,
            ),
            length("weights", 3, 2),
        ),
        (
            check(
                spec(),
                SynapseArrays {
                    delays: &[],
                    ..arrays
                },
                10,
                3,
                4,
            ),
            length("delays", 3, 0),
        ),
        // Arrays given for constants are a mistake too.
        (
            check(
                DeliverySpec {
                    weight: Some(1.0),
                    ..spec()
                },
                arrays,
                10,
                3,
                4,
            ),
            length("weights", 0, 3),
        ),
        (
            check(
                DeliverySpec {
                    delay: Some(1),
                    ..spec()
                },
                arrays,
                10,
                3,
                4,
            ),
            length("delays", 0, 3),
        ),
        (
            check(
                spec(),
                SynapseArrays {
                    begin: &[0, 3],
                    end: &[2, 2],
                    ..arrays
                },
                10,
                3,
                4,
            ),
            row(1, 3, 2),
        ),
        (
            check(
                spec(),
                SynapseArrays {
                    end: &[2, 4],
                    ..arrays
                },
                10,
                3,
                4,
            ),
            row(1, 2, 4),
        ),
        (check(spec(), arrays, 11, 2, 4), target(0, 10, 11, 2)),
        (check(spec(), arrays, 10, 2, 4), target(2, 12, 10, 2)),
        (check(spec(), arrays, 10, 3, 2), delay(Some(1), 2, 2)),
        (
            check(
                spec(),
                SynapseArrays {
                    delays: &[1, 0, 1],
                    ..arrays
                },
                10,
                3,
                4,
            ),
            delay(Some(1), 0, 4),
        ),
        (
            check(
                DeliverySpec {
                    delay: Some(4),
                    ..spec()
                },
                SynapseArrays {
                    delays: &[],
                    ..arrays
                },
                10,
                3,
                4,
            ),
            delay(None, 4, 4),
        ),
    ];
    for (i, (actual, expected)) in cases.into_iter().enumerate() {
        assert_eq!(actual, expected, "case {i}");
    }
    // Synapses outside every row range are not checked: another shard's.
    let arrays = SynapseArrays {
        begin: &[0, 1],
        end: &[1, 1],
        ..arrays
    };
    assert!(SynapseShard::new(&spec(), arrays, 10, 1, 2).is_ok());
}

#[test]
fn delivery_kernels_check_their_shard_and_buffers() {
    let weights = [1.0; 3];
    let arrays = SynapseArrays {
        begin: &[0, 2],
        end: &[2, 3],
        targets: &[10, 11, 12],
        weights: &weights,
        delays: &[1, 2, 3],
    };
    let shard = SynapseShard::new(&spec(), arrays, 10, 3, 4).unwrap();
    let mut jit = Jit::<f64>::new().unwrap();
    let id = jit.compile_delivery(&spec()).unwrap();
    let other = DeliverySpec {
        pre_start: 3,
        pre_end: 5,
        ..spec()
    };
    let other_id = jit.compile_delivery(&other).unwrap();
    let kernels = jit.finish().unwrap();
    let kernel = kernels.delivery(id);
    assert_eq!(kernel.spec(), &spec());
    let mut ring = vec![0.0; 12];
    assert_eq!(
        kernels
            .delivery(other_id)
            .deliver(&shard, &[4], &[1], &mut ring, 0),
        Err(KernelError::SpecMismatch {
            shard: spec(),
            kernel: other
        })
    );
    assert_eq!(
        kernel.deliver(&shard, &[4], &[1], &mut ring[..11], 0),
        Err(KernelError::Length {
            array: "ring",
            expected: 12,
            actual: 11
        })
    );
    assert_eq!(
        kernel.deliver(&shard, &[4, 5], &[1], &mut ring, 0),
        Err(KernelError::TooShort {
            array: "counts",
            needed: 2,
            actual: 1
        })
    );
    assert_eq!(ring, [0.0; 12]);
    assert!(
        kernel
            .deliver(&shard, &[4, 5], &[1, 2], &mut ring, 0)
            .is_ok()
    );
    assert_eq!(
        ring,
        [0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 2.0]
    );
    // A NaN weight is still the same spec.
    let nan = DeliverySpec {
        weight: Some(f64::NAN),
        ..spec()
    };
    let arrays = SynapseArrays {
        weights: &[],
        ..arrays
    };
    let shard = SynapseShard::new(&nan, arrays, 10, 3, 4).unwrap();
    let mut jit = Jit::<f64>::new().unwrap();
    let id = jit.compile_delivery(&nan).unwrap();
    let kernels = jit.finish().unwrap();
    assert_eq!(
        kernels
            .delivery(id)
            .deliver(&shard, &[4], &[1], &mut ring, 0)
            .map(|_| ()),
        Ok(())
    );
    assert!(ring[3].is_nan());
}

/// An `f64` in disguise: the code generators take `R` for the machine type
/// its precision names, so any other `Real` is refused.
#[derive(Clone, Copy, Default, PartialEq, PartialOrd, Debug)]
struct Disguised(f64);

macro_rules! disguised_ops {
    ($($trait:ident $method:ident),*) => {$(
        impl std::ops::$trait for Disguised {
            type Output = Self;
            fn $method(self, other: Self) -> Self {
                Disguised(self.0.$method(other.0))
            }
        }
    )*};
}

disguised_ops!(Add add, Sub sub, Mul mul, Div div);

impl std::ops::Neg for Disguised {
    type Output = Self;
    fn neg(self) -> Self {
        Disguised(-self.0)
    }
}

impl Real for Disguised {
    const PRECISION: crate::cpu::real::Precision = crate::cpu::real::Precision::F64;
    const ZERO: Self = Disguised(0.0);
    const ONE: Self = Disguised(1.0);
    fn from_f64(x: f64) -> Self {
        Disguised(x)
    }
    fn to_f64(self) -> f64 {
        self.0
    }
    fn exp(self) -> Self {
        Disguised(self.0.exp())
    }
    fn ln(self) -> Self {
        Disguised(self.0.ln())
    }
    fn tanh(self) -> Self {
        Disguised(self.0.tanh())
    }
    fn sin(self) -> Self {
        Disguised(self.0.sin())
    }
    fn cos(self) -> Self {
        Disguised(self.0.cos())
    }
    fn sqrt(self) -> Self {
        Disguised(self.0.sqrt())
    }
    fn floor(self) -> Self {
        Disguised(self.0.floor())
    }
    fn abs(self) -> Self {
        Disguised(self.0.abs())
    }
    fn uniform(stream: &mut Stream) -> Self {
        Disguised(random::uniform(stream))
    }
    fn normal(stream: &mut Stream) -> Self {
        Disguised(random::normal(stream))
    }
    fn poisson(stream: &mut Stream, lambda: Self, exp_neg_lambda: Self) -> Self {
        Disguised(random::poisson(stream, lambda.0, exp_neg_lambda.0))
    }
    fn is_finite(self) -> bool {
        self.0.is_finite()
    }
}

#[test]
fn only_f64_and_f32_are_compiled_for() {
    match Jit::<Disguised>::new() {
        Err(JitError::Real(name)) => assert!(name.ends_with("Disguised"), "{name}"),
        other => panic!("{:?}", other.map(|_| ())),
    }
}
