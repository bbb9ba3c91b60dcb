//! Delivery kernels.

use super::r;
use crate::cpu::jit::{DeliveryKernelId, DeliverySpec, Jit, Kernels, SynapseArrays, SynapseShard};
use crate::cpu::real::Real;

fn compile<R: Real>(spec: &DeliverySpec) -> (Kernels<R>, DeliveryKernelId) {
    let mut jit = Jit::<R>::new().unwrap();
    let id = jit.compile_delivery(spec).unwrap();
    (jit.finish().unwrap(), id)
}

/// Three rows, for neurons 10, 11 (no synapses) and 12, onto neurons
/// 100..105.
const BEGIN: [u64; 3] = [0, 2, 2];
const END: [u64; 3] = [2, 2, 5];
const TARGETS: [u32; 5] = [100, 102, 101, 102, 104];

fn constant_weight_and_delay<R: Real>() {
    let spec = DeliverySpec {
        weight: Some(0.1),
        delay: Some(2),
        counted: false,
        pre_start: 10,
        pre_end: 13,
    };
    let arrays = SynapseArrays {
        begin: &BEGIN,
        end: &END,
        targets: &TARGETS,
        weights: &[],
        delays: &[],
    };
    let shard = SynapseShard::<R>::new(&spec, arrays, 100, 5, 4).unwrap();
    let (kernels, id) = compile::<R>(&spec);
    let mut ring = vec![R::ZERO; 4 * 5];
    ring[0] = r(9.0);
    // Neurons 5, 13 and 20 have no row here; step 3 + delay 2 wraps to slot 1.
    kernels
        .delivery(id)
        .deliver(&shard, &[5, 10, 12, 13, 20], &[], &mut ring, 3)
        .unwrap();
    let w: R = r(0.1);
    let mut expected = vec![R::ZERO; 20];
    expected[0] = r(9.0);
    expected[5..10].copy_from_slice(&[w, w, w + w, R::ZERO, w]);
    assert_eq!(ring, expected);
}

#[test]
fn constant_weights_and_delays_are_delivered_to_the_delayed_slot() {
    constant_weight_and_delay::<f64>();
    constant_weight_and_delay::<f32>();
}

fn per_synapse_weight_and_delay<R: Real>() {
    let spec = DeliverySpec {
        weight: None,
        delay: None,
        counted: false,
        pre_start: 0,
        pre_end: 2,
    };
    let weights = [1.5, -2.0, 0.25, 0.5].map(r::<R>);
    let arrays = SynapseArrays {
        begin: &[0, 2],
        end: &[2, 4],
        targets: &[0, 1, 1, 1],
        weights: &weights,
        delays: &[1, 3, 7, 7],
    };
    let shard = SynapseShard::new(&spec, arrays, 0, 2, 8).unwrap();
    let (kernels, id) = compile::<R>(&spec);
    let mut ring = vec![R::ZERO; 8 * 2];
    // Step 6: delays 1, 3, 7 land in slots 7, 1 and 5.
    kernels
        .delivery(id)
        .deliver(&shard, &[0, 1], &[], &mut ring, 6)
        .unwrap();
    let mut expected = vec![R::ZERO; 16];
    expected[7 * 2] = weights[0];
    expected[2 + 1] = weights[1];
    // Summed in synapse order.
    expected[5 * 2 + 1] = weights[2] + weights[3];
    assert_eq!(ring, expected);
}

#[test]
fn per_synapse_weights_and_delays_wrap_around_the_ring() {
    per_synapse_weight_and_delay::<f64>();
    per_synapse_weight_and_delay::<f32>();
}

fn counted<R: Real>(constant: bool) {
    let spec = DeliverySpec {
        weight: constant.then_some(0.1),
        delay: Some(1),
        counted: true,
        pre_start: 10,
        pre_end: 13,
    };
    let weights = [0.1; 5].map(r::<R>);
    let arrays = SynapseArrays {
        begin: &BEGIN,
        end: &END,
        targets: &TARGETS,
        weights: if constant { &[] } else { &weights },
        delays: &[],
    };
    let shard = SynapseShard::new(&spec, arrays, 100, 5, 2).unwrap();
    let (kernels, id) = compile::<R>(&spec);
    let mut ring = vec![R::ZERO; 2 * 5];
    // Neuron 10 spikes 3 times, neuron 12 once: w · 3 and w · 1.
    kernels
        .delivery(id)
        .deliver(&shard, &[10, 12], &[3, 1], &mut ring, 0)
        .unwrap();
    let w: R = r(0.1);
    let (three, one) = (w * r(3.0), w * R::ONE);
    let expected = [0.0, 0.0, 0.0, 0.0, 0.0].map(r::<R>);
    assert_eq!(ring[..5], expected);
    assert_eq!(ring[5..], [three, one, three + one, R::ZERO, one]);
}

#[test]
fn counted_spikes_deliver_weight_times_count() {
    for constant in [true, false] {
        counted::<f64>(constant);
        counted::<f32>(constant);
    }
}

#[test]
fn a_shard_delivers_only_its_part_of_each_row() {
    // The same table split between two threads owning neurons 100..102
    // and 102..105: each shard's begin/end cut the rows at its neurons.
    let spec = DeliverySpec {
        weight: None,
        delay: Some(1),
        counted: false,
        pre_start: 10,
        pre_end: 13,
    };
    let weights = [1.0, 2.0, 3.0, 4.0, 5.0];
    let shard = |begin: &'static [u64; 3], end: &'static [u64; 3], base, n| {
        let arrays = SynapseArrays {
            begin,
            end,
            targets: &TARGETS,
            weights: &weights,
            delays: &[],
        };
        SynapseShard::new(&spec, arrays, base, n, 2).unwrap()
    };
    let low = shard(&[0, 2, 2], &[1, 2, 3], 100, 2);
    let high = shard(&[1, 2, 3], &[2, 2, 5], 102, 3);
    let (kernels, id) = compile::<f64>(&spec);
    let kernel = kernels.delivery(id);
    let (mut low_ring, mut high_ring) = (vec![0.0; 4], vec![0.0; 6]);
    kernel
        .deliver(&low, &[10, 12], &[], &mut low_ring, 0)
        .unwrap();
    kernel
        .deliver(&high, &[10, 12], &[], &mut high_ring, 0)
        .unwrap();
    assert_eq!(low_ring, [0.0, 0.0, 1.0, 3.0]);
    assert_eq!(high_ring, [0.0, 0.0, 0.0, 2.0 + 4.0, 0.0, 5.0]);
}

#[test]
fn no_spikes_deliver_nothing() {
    let spec = DeliverySpec {
        weight: Some(1.0),
        delay: Some(1),
        counted: false,
        pre_start: 0,
        pre_end: 0,
    };
    let arrays = SynapseArrays {
        begin: &[],
        end: &[],
        targets: &[],
        weights: &[],
        delays: &[],
    };
    let shard = SynapseShard::new(&spec, arrays, 0, 1, 2).unwrap();
    let (kernels, id) = compile::<f64>(&spec);
    let mut ring = vec![0.0; 2];
    kernels
        .delivery(id)
        .deliver(&shard, &[], &[], &mut ring, 0)
        .unwrap();
    kernels
        .delivery(id)
        .deliver(&shard, &[0, 1, u32::MAX], &[], &mut ring, 0)
        .unwrap();
    assert_eq!(ring, [0.0, 0.0]);
}
