//! The time and energy of a given image are exactly repeatable: the same
//! on every run, whatever the number of threads, and across a checkpoint.

use neurc_emulator::report::Ledger;
use neurc_emulator::{Chip, ChipState};
use neurc_ir::chip::{Arithmetic, ChipProgram};
use neurc_ir::chip_testing::arb_program;
use proptest::prelude::*;

const STEPS: u64 = 40;

fn ledger(chip: &Chip, state: &mut ChipState, steps: u64) -> Ledger {
    let mut ledger = Ledger::new();
    for _ in 0..steps {
        let stats = chip.step(state);
        ledger.record(chip, &stats);
    }
    ledger
}

/// A run of `program` on `threads` threads, its steps taken within
/// [`Chip::install`] if `installed`, from the calling thread if not.
fn run(program: &ChipProgram, threads: usize, installed: bool) -> (Ledger, ChipState) {
    let chip = Chip::new(program.clone(), Arithmetic::Hardware).with_threads(threads);
    let mut state = chip.initial_state();
    let ledger = if installed {
        chip.install(|| ledger(&chip, &mut state, STEPS))
    } else {
        ledger(&chip, &mut state, STEPS)
    };
    (ledger, state)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn time_and_energy_do_not_depend_on_the_run_or_the_threads(program in arb_program()) {
        let (once, end) = run(&program, 1, false);
        prop_assert_eq!(&run(&program, 1, false).0, &once);
        for (threads, installed) in [(2, false), (2, true), (3, true)] {
            let (threaded, threaded_end) = run(&program, threads, installed);
            prop_assert_eq!(&threaded, &once, "{} threads, installed {}", threads, installed);
            for core in 0..program.cores().len() {
                prop_assert_eq!(threaded_end.core_totals(core), end.core_totals(core));
            }
        }
        prop_assert_eq!(once.totals().barriers, STEPS);
        prop_assert!(once.time_ps.iter().all(|&t| t > 0));
    }

    #[test]
    fn a_checkpoint_resumes_the_same_accounting(program in arb_program(), split in 1u64..STEPS) {
        let chip = Chip::new(program.clone(), Arithmetic::Hardware);
        let (whole, _) = run(&program, 1, false);
        let mut state = chip.initial_state();
        let first = ledger(&chip, &mut state, split);
        let mut resumed = state.clone();
        let second = ledger(&chip, &mut resumed, STEPS - split);
        prop_assert_eq!(&[first.time_ps, second.time_ps].concat(), &whole.time_ps);
        prop_assert_eq!(&[first.energy_pj, second.energy_pj].concat(), &whole.energy_pj);
    }
}
