//! The emulator against the CPU's fixed-point mode, which compute the same
//! integer semantics by different means (a scalar emulator with its
//! timing model; Cranelift kernels): for random programs in both
//! arithmetic modes, every spike, u and v equal at every step. Also that
//! the emulator repeats itself exactly, and that a state cloned mid-run
//! resumes on the same trajectory as the run it came from.

use neurc_backends::cpu::fixed::FixedRun;
use neurc_emulator::{Chip, ChipState};
use neurc_ir::chip::{Arithmetic, ChipProgram};
use neurc_ir::chip_testing::{arb_busy_program, arb_program};
use proptest::prelude::*;

const BOTH: [Arithmetic; 2] = [Arithmetic::Hardware, Arithmetic::Lava];

/// Every compartment's (u, v, spiked), core by core.
type Snapshot = Vec<Vec<(i64, i64, bool)>>;

fn snapshot(program: &ChipProgram, read: impl Fn(usize, usize) -> (i64, i64, bool)) -> Snapshot {
    program
        .cores()
        .iter()
        .enumerate()
        .map(|(k, core)| (0..core.compartments.len()).map(|c| read(k, c)).collect())
        .collect()
}

fn emulator_snapshot(program: &ChipProgram, state: &ChipState) -> Snapshot {
    snapshot(program, |k, c| {
        (state.u(k, c), state.v(k, c), state.spiked(k, c))
    })
}

/// The emulator's snapshots after each of `steps` steps from `state`.
fn emulate(chip: &Chip, program: &ChipProgram, state: &mut ChipState, steps: u64) -> Vec<Snapshot> {
    (0..steps)
        .map(|_| {
            chip.step(state);
            emulator_snapshot(program, state)
        })
        .collect()
}

/// Runs both executors side by side; the first difference, if any.
fn differ(program: &ChipProgram, arithmetic: Arithmetic, steps: u64) -> Result<(), String> {
    let chip = Chip::new(program.clone(), arithmetic);
    let mut state = chip.initial_state();
    let mut fixed = FixedRun::new(program, arithmetic).map_err(|e| e.to_string())?;
    for step in 0..steps {
        chip.step(&mut state);
        fixed.step();
        if state.steps() != fixed.steps() {
            return Err(format!(
                "{arithmetic}: step counts {} and {}",
                state.steps(),
                fixed.steps()
            ));
        }
        let emulated = emulator_snapshot(program, &state);
        let compiled = snapshot(program, |k, c| {
            (fixed.u(k, c), fixed.v(k, c), fixed.spiked(k, c))
        });
        for (k, (e, f)) in emulated.iter().zip(&compiled).enumerate() {
            if let Some(c) = (0..e.len()).find(|&c| e[c] != f[c]) {
                return Err(format!(
                    "{arithmetic}, step {step}, core {k} ({}), compartment {c}: \
                     the emulator has (u, v, spiked) = {:?}, the fixed-point mode {:?}",
                    program.cores()[k].id,
                    e[c],
                    f[c]
                ));
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn the_emulator_equals_the_fixed_point_mode(program in arb_program()) {
        for arithmetic in BOTH {
            if let Err(difference) = differ(&program, arithmetic, 120) {
                prop_assert!(false, "{difference}");
            }
        }
    }

    #[test]
    fn the_emulator_equals_the_fixed_point_mode_on_busy_programs(program in arb_busy_program()) {
        for arithmetic in BOTH {
            if let Err(difference) = differ(&program, arithmetic, 200) {
                prop_assert!(false, "{difference}");
            }
        }
    }

    #[test]
    fn emulator_runs_repeat_exactly(program in arb_busy_program(), threads in 1usize..=3) {
        for arithmetic in BOTH {
            let chip = Chip::new(program.clone(), arithmetic);
            let first = emulate(&chip, &program, &mut chip.initial_state(), 100);
            let again = emulate(&chip, &program, &mut chip.initial_state(), 100);
            prop_assert_eq!(&first, &again);
            // Nor does the thread count change anything.
            let threaded = Chip::new(program.clone(), arithmetic).with_threads(threads);
            let other = emulate(&threaded, &program, &mut threaded.initial_state(), 100);
            prop_assert_eq!(&first, &other);
        }
    }

    #[test]
    fn a_cloned_state_resumes_the_same_trajectory(
        program in arb_busy_program(),
        checkpoint in 0u64..120,
    ) {
        for arithmetic in BOTH {
            let chip = Chip::new(program.clone(), arithmetic);
            let mut state = chip.initial_state();
            let whole = emulate(&chip, &program, &mut state, 150);
            let mut state = chip.initial_state();
            emulate(&chip, &program, &mut state, checkpoint);
            let mut saved = state.clone();
            prop_assert_eq!(&saved, &state);
            let rest = emulate(&chip, &program, &mut state, 150 - checkpoint);
            let resumed = emulate(&chip, &program, &mut saved, 150 - checkpoint);
            prop_assert_eq!(&rest, &resumed);
            prop_assert_eq!(&rest[..], &whole[checkpoint as usize..]);
            prop_assert_eq!(saved.steps(), 150);
        }
    }
}
