//! Neuron kernels.

use super::*;
use crate::cpu::program::{RefractoryRule, SpikeRule, TakeUp};
use std::thread;

/// `v' = v · 0.9` after taking up buffer 0: reads only this step's slot,
/// clears it, leaves the other slots alone.
fn decay<R: Real>() {
    let mut p = program(1, 0);
    p.take_up = vec![TakeUp::State(0)];
    p.update = vec![set(0, bin(BinOp::Mul, state(0), c(0.9)))];
    let (kernels, id) = compile::<R>(&p);
    let mut chunk = Chunk::<R>::new(&p, 3, 4);
    chunk.state = [1.0, 2.0, 3.0].map(r).to_vec();
    let arriving = [0.5, 0.0, -1.0];
    for (i, &x) in arriving.iter().enumerate() {
        *chunk.ring_mut(0, 1, i) = r(x);
    }
    *chunk.ring_mut(0, 2, 0) = r(4.0);
    // Step 5 reads slot 5 & 3 = 1.
    assert_eq!(chunk.step(kernels.neuron(id), 5), []);
    for i in 0..3 {
        let expected = (r::<R>([1.0, 2.0, 3.0][i]) + r(arriving[i])) * r(0.9);
        assert_eq!(bits(chunk.state(0, i)), bits(expected));
        assert_eq!(*chunk.ring_mut(0, 1, i), R::ZERO);
    }
    assert_eq!(*chunk.ring_mut(0, 2, 0), r(4.0));
    // Step 6 takes up slot 2.
    chunk.step(kernels.neuron(id), 6);
    let expected = ((r::<R>(1.0) + r(0.5)) * r(0.9) + r(4.0)) * r(0.9);
    assert_eq!(bits(chunk.state(0, 0)), bits(expected));
    assert_eq!(*chunk.ring_mut(0, 2, 0), R::ZERO);
}

#[test]
fn exponential_decay_takes_up_its_slot() {
    decay::<f64>();
    decay::<f32>();
}

#[test]
fn discrete_update_reads_inputs_params_temps_and_time() {
    // t0 = in0 · a; x = t0 + in1 + time, where nothing feeds in1.
    let mut p = program(1, 1);
    p.inputs = 2;
    p.temps = 1;
    p.take_up = vec![TakeUp::Input(0)];
    p.update = vec![
        set_temp(0, bin(BinOp::Mul, input(0), param(0))),
        set(
            0,
            bin(
                BinOp::Add,
                bin(BinOp::Add, temp(0), input(1)),
                Code::Load(Slot::Time),
            ),
        ),
    ];
    let (kernels, id) = compile::<f64>(&p);
    let mut chunk = Chunk::<f64>::new(&p, 2, 1);
    chunk.params = vec![10.0, 100.0];
    chunk.ring = vec![2.0, 3.0];
    chunk.step(kernels.neuron(id), 500);
    assert_eq!(chunk.state, [20.0 + 0.5, 300.0 + 0.5]);
    // The input does not persist: without arrivals it is 0.
    chunk.step(kernels.neuron(id), 501);
    let time = 501.0 * 1e-3;
    assert_eq!(chunk.state, [time, time]);
}

/// `v` (held) and `w` (not held) take up buffers 0 and 1; `v += 0.25`,
/// `w += 1`; spike when `v >= 1`, reset `v = 0`, refractory for
/// `⌊2.4 + 0.5⌋ = 2` steps.
fn lif_like() -> NeuronProgram {
    let mut p = program(2, 0);
    p.held = vec![true, false];
    p.take_up = vec![TakeUp::State(0), TakeUp::State(1)];
    p.update = vec![
        set(0, bin(BinOp::Add, state(0), c(0.25))),
        set(1, bin(BinOp::Add, state(1), c(1.0))),
    ];
    p.spike = Some(SpikeRule::Condition(bin(BinOp::Ge, state(0), c(1.0))));
    p.reset = vec![set(0, c(0.0))];
    p.refractory = Some(RefractoryRule { steps: c(2.4) });
    p
}

#[test]
fn spikes_reset_and_hold_while_refractory() {
    let p = lif_like();
    let (kernels, id) = compile::<f64>(&p);
    let kernel = kernels.neuron(id);
    let mut chunk = Chunk::<f64>::new(&p, 2, 2);
    chunk.first = 7;
    chunk.state = vec![0.5, 0.0, 0.0, 0.0];
    // Per step: arrivals of neuron 0 on v and on w (neuron 1 gets none);
    // then v, w, the counter of neuron 0, v of neuron 1, the spikes.
    let steps = [
        // 0.5 + 0.3 + 0.25 >= 1: spike, reset, 2 refractory steps.
        ((0.3, 1.0), (0.0, 2.0, 2, 0.25), vec![(7, 1)]),
        // Refractory: v's input is discarded and its update undone; w
        // carries on.
        ((5.0, 1.0), (0.0, 4.0, 1, 0.5), vec![]),
        ((0.1, 0.0), (0.0, 5.0, 0, 0.75), vec![]),
        // Neuron 1 reaches 1.0 and spikes.
        ((0.5, 0.0), (0.75, 6.0, 0, 0.0), vec![(8, 1)]),
        ((0.0, 0.0), (0.0, 7.0, 2, 0.0), vec![(7, 1)]),
    ];
    for (step, ((to_v, to_w), (v, w, counter, v1), spikes)) in steps.into_iter().enumerate() {
        let step = step as u64;
        *chunk.ring_mut(0, step & 1, 0) = to_v;
        *chunk.ring_mut(1, step & 1, 0) = to_w;
        assert_eq!(chunk.step(kernel, step), spikes, "step {step}");
        assert_eq!(
            (chunk.state(0, 0), chunk.state(1, 0)),
            (v, w),
            "step {step}"
        );
        assert_eq!(chunk.refractory[0], counter, "step {step}");
        assert_eq!(chunk.state(0, 1), v1, "step {step}");
    }
    assert_eq!(chunk.refractory[1], 1);
}

#[test]
fn refractory_periods_and_counts_saturate() {
    // Every neuron spikes; the period and the count come from a parameter.
    let mut p = program(0, 1);
    p.spike = Some(SpikeRule::Count(c(3.0)));
    p.refractory = Some(RefractoryRule { steps: param(0) });
    let periods = [2.4, 2.5, f64::NAN, -3.0, 1e20, f64::INFINITY];
    let (kernels, id) = compile::<f32>(&p);
    let mut chunk = Chunk::<f32>::new(&p, periods.len() as u32, 1);
    chunk.params = periods.map(r).to_vec();
    let spikes = chunk.step(kernels.neuron(id), 0);
    assert_eq!(spikes, (0..6).map(|i| (i, 3)).collect::<Vec<_>>());
    assert_eq!(chunk.refractory, [2, 3, 0, 0, u32::MAX, u32::MAX]);

    let mut p = program(0, 1);
    p.spike = Some(SpikeRule::Count(param(0)));
    let counts = [f64::NAN, -1.0, 0.99, 1.0, 2.7, 5e9, f64::NEG_INFINITY];
    let (kernels, id) = compile::<f64>(&p);
    let mut chunk = Chunk::<f64>::new(&p, counts.len() as u32, 1);
    chunk.params = counts.to_vec();
    let spikes = chunk.step(kernels.neuron(id), 0);
    assert_eq!(spikes, [(3, 1), (4, 2), (5, u32::MAX)]);
}

/// The contract's comparison, logic, `Min`/`Max` and `Select` rules, on
/// every pair of special values, bit for bit.
fn comparisons<R: Real>() {
    let specials = [
        f64::NAN,
        -0.0,
        0.0,
        1.0,
        -1.0,
        f64::INFINITY,
        f64::NEG_INFINITY,
    ];
    let pairs: Vec<(R, R)> = specials
        .iter()
        .flat_map(|&a| specials.iter().map(move |&b| (r(a), r(b))))
        .collect();
    let ops = [
        BinOp::Min,
        BinOp::Max,
        BinOp::Lt,
        BinOp::Le,
        BinOp::Gt,
        BinOp::Ge,
        BinOp::Eq,
        BinOp::Ne,
        BinOp::And,
        BinOp::Or,
    ];
    let mut p = program(ops.len() + 1, 2);
    p.update = ops
        .iter()
        .enumerate()
        .map(|(x, &op)| set(x as u32, bin(op, param(0), param(1))))
        .collect();
    let select = Code::Select(Box::new(param(0)), Box::new(param(1)), Box::new(c(7.0)));
    p.update.push(set(ops.len() as u32, select));
    let (kernels, id) = compile::<R>(&p);
    let n = pairs.len();
    let mut chunk = Chunk::<R>::new(&p, n as u32, 1);
    chunk.params = pairs
        .iter()
        .map(|p| p.0)
        .chain(pairs.iter().map(|p| p.1))
        .collect();
    chunk.step(kernels.neuron(id), 0);
    let truth = |t: bool| if t { R::ONE } else { R::ZERO };
    for (i, &(a, b)) in pairs.iter().enumerate() {
        let expected = [
            if b < a { b } else { a },
            if b > a { b } else { a },
            truth(a < b),
            truth(a <= b),
            truth(a > b),
            truth(a >= b),
            truth(a == b),
            truth(a != b),
            truth(a != R::ZERO && b != R::ZERO),
            truth(a != R::ZERO || b != R::ZERO),
            if a != R::ZERO { b } else { r(7.0) },
        ];
        for (x, &value) in expected.iter().enumerate() {
            assert_eq!(
                bits(chunk.state(x, i)),
                bits(value),
                "{:?} on ({a:?}, {b:?})",
                p.update[x]
            );
        }
    }
}

#[test]
fn comparisons_min_max_and_select_follow_the_contract_on_nan_and_zeros() {
    comparisons::<f64>();
    comparisons::<f32>();
}

/// Every function of `MathFn` equals the `Real` function (or IEEE
/// operation) the interpreter uses, bit for bit.
fn functions<R: Real>() {
    let fs = [
        MathFn::Neg,
        MathFn::Abs,
        MathFn::Sqrt,
        MathFn::Floor,
        MathFn::Exp,
        MathFn::Log,
        MathFn::Tanh,
        MathFn::Sin,
        MathFn::Cos,
    ];
    let xs = [
        0.5,
        -2.25,
        3.7,
        0.0,
        -0.0,
        f64::NAN,
        1e30,
        -7.5e-3,
        f64::INFINITY,
    ];
    let mut p = program(fs.len(), 1);
    p.update = fs
        .iter()
        .enumerate()
        .map(|(x, &f)| set(x as u32, un(f, param(0))))
        .collect();
    let (kernels, id) = compile::<R>(&p);
    let mut chunk = Chunk::<R>::new(&p, xs.len() as u32, 1);
    chunk.params = xs.map(r).to_vec();
    chunk.step(kernels.neuron(id), 0);
    for (i, &x) in xs.iter().enumerate() {
        let x: R = r(x);
        let expected = [
            -x,
            x.abs(),
            x.sqrt(),
            x.floor(),
            x.exp(),
            x.ln(),
            x.tanh(),
            x.sin(),
            x.cos(),
        ];
        for (k, &value) in expected.iter().enumerate() {
            assert_eq!(bits(chunk.state(k, i)), bits(value), "{:?}({x:?})", fs[k]);
        }
    }
}

#[test]
fn functions_equal_the_interpreters() {
    functions::<f64>();
    functions::<f32>();
}

#[test]
fn f32_constants_are_rounded_to_nearest_even_once() {
    let constants = [
        0.1,
        1.0 + 2f64.powi(-24),
        1.0 + 3.0 * 2f64.powi(-24),
        1e40,
        1e-50,
    ];
    let mut p = program(constants.len() + 1, 1);
    p.update = constants
        .iter()
        .enumerate()
        .map(|(x, &k)| set(x as u32, c(k)))
        .collect();
    // p · 0.1 in f32 arithmetic, not (p · 0.1 in f64) rounded.
    p.update.push(set(
        constants.len() as u32,
        bin(BinOp::Mul, param(0), c(0.1)),
    ));
    let (kernels, id) = compile::<f32>(&p);
    let mut chunk = Chunk::<f32>::new(&p, 1, 1);
    chunk.params = vec![13.0];
    chunk.step(kernels.neuron(id), 0);
    let expected = [
        0.1f32,
        1.0,
        1.0 + 2f32.powi(-22),
        f32::INFINITY,
        0.0,
        13.0 * 0.1f32,
    ];
    assert_eq!(
        chunk.state.iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
        expected.map(f32::to_bits)
    );
    assert_ne!(13.0 * 0.1f32, (13.0 * 0.1f64) as f32);
}

/// `u = rand`, `g = randn`, `k = poisson(λ, exp(-λ))`, in that order, from
/// each neuron's own stream.
fn draws<R: Real>() {
    let mut p = program(3, 1);
    p.update = vec![
        set(0, Code::Rand),
        set(1, Code::Randn),
        set(
            2,
            Code::Poisson(
                Box::new(param(0)),
                Box::new(un(MathFn::Exp, un(MathFn::Neg, param(0)))),
            ),
        ),
    ];
    let lambdas = [0.5, 4.0, 30.0];
    let (kernels, id) = compile::<R>(&p);
    let mut chunk = Chunk::<R>::new(&p, 3, 1);
    chunk.params = lambdas.map(r).to_vec();
    let mut streams = chunk.streams.clone();
    for step in 0..20 {
        chunk.step(kernels.neuron(id), step);
        for (i, stream) in streams.iter_mut().enumerate() {
            let lambda: R = r(lambdas[i]);
            let expected = [
                R::uniform(stream),
                R::normal(stream),
                R::poisson(stream, lambda, (-lambda).exp()),
            ];
            for (x, &value) in expected.iter().enumerate() {
                assert_eq!(
                    bits(chunk.state(x, i)),
                    bits(value),
                    "step {step}, neuron {i}, state {x}"
                );
            }
        }
    }
    assert_eq!(chunk.streams, streams);
}

#[test]
fn random_draws_come_from_each_neurons_stream_in_order() {
    draws::<f64>();
    draws::<f32>();
}

#[test]
fn count_programs_emit_poisson_counts() {
    let mut p = program(0, 1);
    let lambda = || Box::new(param(0));
    let exp_neg_lambda = Box::new(un(MathFn::Exp, un(MathFn::Neg, param(0))));
    p.spike = Some(SpikeRule::Count(Code::Poisson(lambda(), exp_neg_lambda)));
    let lambdas = [0.5, 3.0, 20.0, 0.0];
    let (kernels, id) = compile::<f64>(&p);
    let mut chunk = Chunk::<f64>::new(&p, 4, 1);
    chunk.first = 1000;
    chunk.params = lambdas.to_vec();
    let mut streams = chunk.streams.clone();
    let mut total = 0;
    for step in 0..50 {
        let expected: Vec<(u32, u32)> = (0..4)
            .map(|i| {
                (
                    1000 + i as u32,
                    random::poisson(&mut streams[i], lambdas[i], (-lambdas[i]).exp()) as u32,
                )
            })
            .filter(|&(_, count)| count > 0)
            .collect();
        total += expected.len();
        assert_eq!(
            chunk.step(kernels.neuron(id), step),
            expected,
            "step {step}"
        );
    }
    assert!(total > 100, "{total}");
}

#[test]
fn scheduled_spikes_fire_in_their_steps() {
    // Spike on the schedule; s counts the scheduled steps.
    let mut p = program(1, 0);
    p.update = vec![set(0, bin(BinOp::Add, state(0), Code::Scheduled))];
    p.spike = Some(SpikeRule::Condition(Code::Scheduled));
    let times: Vec<Vec<f64>> = vec![vec![0.005, 0.001, 0.0012], vec![], vec![0.002]];
    let (kernels, id) = compile::<f32>(&p);
    let mut chunk = Chunk::<f32>::new(&p, 3, 1);
    chunk.first = 10;
    chunk.schedule = Some(Schedule::new(times.iter().map(Vec::as_slice), 1e-3));
    let mut fired = Vec::new();
    for step in 0..10 {
        fired.extend(
            chunk
                .step(kernels.neuron(id), step)
                .into_iter()
                .map(|(s, _)| (step, s)),
        );
    }
    assert_eq!(fired, [(1, 10), (2, 12), (5, 10)]);
    assert_eq!(chunk.state, [2.0, 0.0, 1.0]);
}

#[test]
fn kernels_are_shared_by_threads() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<Kernels<f64>>();
    send_sync::<Kernels<f32>>();
    let p = lif_like();
    let (kernels, id) = compile::<f64>(&p);
    let run = |offset: f64| {
        let mut chunk = Chunk::<f64>::new(&p, 64, 2);
        chunk.state[..64]
            .iter_mut()
            .enumerate()
            .for_each(|(i, v)| *v = i as f64 / 64.0 + offset);
        let spikes: Vec<_> = (0..20)
            .flat_map(|step| chunk.step(kernels.neuron(id), step))
            .collect();
        (spikes, chunk.state)
    };
    let sequential = [run(0.0), run(0.5)];
    let parallel = thread::scope(|scope| {
        let threads = [0.0, 0.5].map(|offset| scope.spawn(move || run(offset)));
        threads.map(|t| t.join().unwrap())
    });
    assert_eq!(sequential, parallel);
}

#[test]
fn an_empty_chunk_does_nothing() {
    let p = lif_like();
    let (kernels, id) = compile::<f64>(&p);
    let mut chunk = Chunk::<f64>::new(&p, 0, 4);
    assert_eq!(chunk.step(kernels.neuron(id), 3), []);
}

/// A LIF neuron as the planner emits it: exact propagators for `v` and
/// the synaptic current, threshold, reset, refractory period from a
/// parameter. Prints the compile time (run with `--nocapture`).
#[test]
fn a_lif_kernel_compiles_quickly() {
    let mut p = program(2, 1);
    p.held = vec![true, false];
    p.take_up = vec![TakeUp::State(1)];
    p.update = vec![
        set(
            0,
            bin(
                BinOp::Add,
                bin(
                    BinOp::Add,
                    bin(BinOp::Mul, c(0.990049833749168), state(0)),
                    bin(BinOp::Mul, c(0.0036), state(1)),
                ),
                c(-0.00064),
            ),
        ),
        set(1, bin(BinOp::Mul, c(0.818730753077982), state(1))),
    ];
    p.spike = Some(SpikeRule::Condition(bin(BinOp::Ge, state(0), c(-0.05))));
    p.reset = vec![set(0, c(-0.065))];
    p.refractory = Some(RefractoryRule {
        steps: bin(BinOp::Mul, param(0), c(10.0)),
    });
    let mut jit = Jit::<f64>::new().unwrap();
    let id = jit.compile_neuron(&p).unwrap();
    let kernels = jit.finish().unwrap();
    let time = kernels.neuron(id).compile_time();
    println!(
        "LIF kernel: {time:?} (finalize {:?})",
        kernels.finalize_time()
    );
    assert!(time.as_millis() < 1000, "{time:?}");
}
