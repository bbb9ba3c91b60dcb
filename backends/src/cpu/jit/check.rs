//! The checks a program must pass before it is compiled: every index it
//! uses lies within the sizes it declares.
//!
//! `NeuronKernel::run` checks the caller's arrays against the declared
//! sizes only, so a program reading `Param(5)` while declaring two
//! parameters would make its kernel read outside them. Refusing such a
//! program here keeps the compiled code within the checked arrays.

use crate::cpu::program::{Code, Dest, NeuronProgram, Slot, Stmt, TakeUp};

/// `Ok` if every index of `program` is within its declared sizes; otherwise
/// what is out of range.
pub(super) fn check_program(program: &NeuronProgram) -> Result<(), String> {
    let sizes = Sizes {
        state: program.state.len(),
        params: program.params.len(),
        inputs: program.inputs as usize,
        temps: program.temps as usize,
    };
    if program.held.len() != sizes.state {
        return Err(format!(
            "{} held flags for {} state variables",
            program.held.len(),
            sizes.state
        ));
    }
    for take_up in &program.take_up {
        match *take_up {
            TakeUp::State(x) => sizes.index("state variable", x, sizes.state)?,
            TakeUp::Input(j) => sizes.index("input", j, sizes.inputs)?,
        }
    }
    (program.update.iter().chain(&program.reset)).try_for_each(|stmt| sizes.stmt(stmt))?;
    program.codes().try_for_each(|code| sizes.code(code))
}

/// The sizes a program declares.
struct Sizes {
    state: usize,
    params: usize,
    inputs: usize,
    temps: usize,
}

impl Sizes {
    fn index(&self, what: &str, index: u32, size: usize) -> Result<(), String> {
        if (index as usize) < size {
            Ok(())
        } else {
            Err(format!("{what} {index} of {size}"))
        }
    }

    fn stmt(&self, stmt: &Stmt) -> Result<(), String> {
        match stmt.dest {
            Dest::State(x) => self.index("assigned state variable", x, self.state),
            Dest::Temp(t) => self.index("assigned temporary", t, self.temps),
        }
    }

    fn code(&self, code: &Code) -> Result<(), String> {
        match code {
            Code::Load(Slot::State(x)) => self.index("state variable", *x, self.state),
            Code::Load(Slot::Param(p)) => self.index("parameter", *p, self.params),
            Code::Load(Slot::Input(j)) => self.index("input", *j, self.inputs),
            Code::Load(Slot::Temp(t)) => self.index("temporary", *t, self.temps),
            Code::Load(Slot::Time)
            | Code::Const(_)
            | Code::Rand
            | Code::Randn
            | Code::Scheduled => Ok(()),
            Code::Unary(_, a) => self.code(a),
            Code::Binary(_, a, b) | Code::Poisson(a, b) => {
                self.code(a)?;
                self.code(b)
            }
            Code::Select(c, a, b) => {
                self.code(c)?;
                self.code(a)?;
                self.code(b)
            }
        }
    }
}
