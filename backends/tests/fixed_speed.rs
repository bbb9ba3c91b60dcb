//! Throughput of the fixed-point mode on a large chip image (ignored: it
//! needs an image made by `neurc compile`). Run with
//! `NEURC_FIXED_IMAGE=out/image.bin cargo test --release -p neurc-backends
//! --test fixed_speed -- --ignored --nocapture` (and `NEURC_FIXED_STEPS`,
//! `NEURC_FIXED_THREADS` to change the 1000 steps on one thread); it
//! prints steps and synaptic events per second in both arithmetic modes.

use neurc_backends::chip::image::decode;
use neurc_backends::cpu::fixed::FixedRun;
use neurc_ir::chip::Arithmetic;
use std::time::Instant;

#[test]
#[ignore = "needs a compiled chip image, named by NEURC_FIXED_IMAGE"]
fn throughput_on_an_image() {
    let path = std::env::var("NEURC_FIXED_IMAGE").expect("NEURC_FIXED_IMAGE names an image");
    let steps: u64 = std::env::var("NEURC_FIXED_STEPS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1000);
    let threads: usize = std::env::var("NEURC_FIXED_THREADS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1);
    let start = Instant::now();
    let bytes = std::fs::read(&path).expect("the image is readable");
    let program = decode(&bytes).expect("the image decodes");
    drop(bytes);
    let synapses: usize = program
        .cores()
        .iter()
        .map(|c| c.synapses.compartment.len())
        .sum();
    println!(
        "{path}: {} cores, {synapses} synapses; read and decoded in {:.2} s",
        program.cores().len(),
        start.elapsed().as_secs_f64()
    );
    for arithmetic in [Arithmetic::Hardware, Arithmetic::Lava] {
        let start = Instant::now();
        let mut run = FixedRun::new(&program, arithmetic)
            .expect("the kernels compile")
            .with_threads(threads);
        let setup = start.elapsed().as_secs_f64();
        let start = Instant::now();
        let mut spikes = 0usize;
        for _ in 0..steps {
            run.step();
            spikes += run.spikes().count();
        }
        let seconds = start.elapsed().as_secs_f64();
        let events = run.synaptic_events();
        println!(
            "{arithmetic}, {threads} threads: setup {setup:.2} s; {steps} steps in {seconds:.2} s = {:.0} steps/s; \
             {spikes} spikes, {events} synaptic events = {:.3e} events/s",
            steps as f64 / seconds,
            events as f64 / seconds
        );
        assert_eq!(run.steps(), steps);
    }
}
