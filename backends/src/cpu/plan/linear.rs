//! Exact integration of linear systems: `dx/dt = A x + c` with `A`
//! constant and `c` constant over the step integrates exactly to
//! `x(t + dt) = P x(t) + Q c`, with `P = e^{A dt}` and
//! `Q = ∫₀^dt e^{A s} ds` — the propagators NEST's `iaf_psc_*` models and
//! Brian2's `exact` method use. Both come from one exponential of the
//! augmented matrix `[[A, I], [0, 0]] · dt`, whose top blocks are `P` and `Q`.

use super::convert::binary;
use super::expm::{Matrix, expm};
use crate::cpu::program::{BinOp, Code, Dest, Slot, Stmt};

/// `rhs = Σⱼ coefficients[j] · x_j + constant`.
#[derive(Clone, PartialEq, Debug)]
pub struct LinearForm {
    /// The coefficient of each state variable.
    pub coefficients: Vec<Code>,
    /// The part that reads no state.
    pub constant: Code,
}

/// Whether `code` reads no state variable.
fn state_free(code: &Code) -> bool {
    !code.any(&|c| matches!(c, Code::Load(Slot::State(_))))
}

/// `code` as a linear form over `states` state variables, if it is one.
pub fn linear_form(code: &Code, states: usize) -> Option<LinearForm> {
    let zero = || vec![Code::Const(0.0); states];
    if state_free(code) {
        return Some(LinearForm {
            coefficients: zero(),
            constant: code.clone(),
        });
    }
    match code {
        Code::Load(Slot::State(j)) => {
            let mut coefficients = zero();
            *coefficients.get_mut(*j as usize)? = Code::Const(1.0);
            Some(LinearForm {
                coefficients,
                constant: Code::Const(0.0),
            })
        }
        Code::Unary(crate::cpu::program::MathFn::Neg, a) => {
            let a = linear_form(a, states)?;
            Some(a.map(&|c| super::convert::unary(crate::cpu::program::MathFn::Neg, c)))
        }
        Code::Binary(op @ (BinOp::Add | BinOp::Sub), a, b) => {
            let (a, b) = (linear_form(a, states)?, linear_form(b, states)?);
            let coefficients = a
                .coefficients
                .into_iter()
                .zip(b.coefficients)
                .map(|(x, y)| binary(*op, x, y))
                .collect();
            Some(LinearForm {
                coefficients,
                constant: binary(*op, a.constant, b.constant),
            })
        }
        Code::Binary(BinOp::Mul, a, b) if state_free(a) => {
            Some(linear_form(b, states)?.map(&|c| binary(BinOp::Mul, (**a).clone(), c)))
        }
        Code::Binary(BinOp::Mul, a, b) if state_free(b) => {
            Some(linear_form(a, states)?.map(&|c| binary(BinOp::Mul, c, (**b).clone())))
        }
        Code::Binary(BinOp::Div, a, b) if state_free(b) => {
            Some(linear_form(a, states)?.map(&|c| binary(BinOp::Div, c, (**b).clone())))
        }
        _ => None,
    }
}

impl LinearForm {
    fn map(self, f: &dyn Fn(Code) -> Code) -> LinearForm {
        LinearForm {
            coefficients: self.coefficients.into_iter().map(f).collect(),
            constant: f(self.constant),
        }
    }
}

/// Why a system cannot be integrated exactly.
#[derive(Clone, PartialEq, Debug)]
pub enum NotExact {
    /// Variable `var`'s derivative is not linear in the state.
    Nonlinear {
        /// The state variable.
        var: u32,
    },
    /// A coefficient of variable `var`'s derivative differs between
    /// neurons or in time.
    VaryingCoefficient {
        /// The state variable.
        var: u32,
    },
    /// Variable `var`'s derivative has a part that changes within the
    /// step (time, random numbers or a schedule).
    TimeDependent {
        /// The state variable.
        var: u32,
    },
}

/// The statements that advance `rhs` (one derivative per state variable;
/// `None` for variables without an equation) exactly over `dt`, using
/// temporaries from `next_temp` on.
pub fn exact_update(
    rhs: &[Option<Code>],
    dt: f64,
    next_temp: &mut u32,
) -> Result<Vec<Stmt>, NotExact> {
    let n = rhs.len();
    let mut augmented = Matrix::zeros(2 * n);
    let mut constants = vec![Code::Const(0.0); n];
    for (i, derivative) in rhs.iter().enumerate() {
        augmented.set(i, n + i, dt);
        let Some(derivative) = derivative else {
            continue;
        };
        let var = i as u32;
        let form = linear_form(derivative, n).ok_or(NotExact::Nonlinear { var })?;
        for (j, coefficient) in form.coefficients.iter().enumerate() {
            match coefficient {
                Code::Const(a) => augmented.set(i, j, a * dt),
                _ => return Err(NotExact::VaryingCoefficient { var }),
            }
        }
        if form.constant.any(&|c| {
            matches!(
                c,
                Code::Load(Slot::Time)
                    | Code::Rand
                    | Code::Randn
                    | Code::Poisson(..)
                    | Code::Scheduled
            )
        }) {
            return Err(NotExact::TimeDependent { var });
        }
        constants[i] = form.constant;
    }
    let propagator = expm(&augmented);
    let mut temps = Vec::new();
    let mut statements = Vec::new();
    for (i, derivative) in rhs.iter().enumerate() {
        if derivative.is_none() {
            continue;
        }
        let state_terms = (0..n).map(|j| (propagator.get(i, j), Code::Load(Slot::State(j as u32))));
        let input_terms = (0..n).map(|j| (propagator.get(i, n + j), constants[j].clone()));
        let sum = state_terms
            .chain(input_terms)
            .filter(|(coefficient, value)| *coefficient != 0.0 && *value != Code::Const(0.0))
            .map(|(coefficient, value)| binary(BinOp::Mul, Code::Const(coefficient), value))
            .reduce(|acc, term| binary(BinOp::Add, acc, term))
            .unwrap_or(Code::Const(0.0));
        let temp = *next_temp;
        *next_temp += 1;
        statements.push(Stmt {
            dest: Dest::Temp(temp),
            value: sum,
        });
        temps.push((i as u32, temp));
    }
    statements.extend(temps.into_iter().map(|(var, temp)| Stmt {
        dest: Dest::State(var),
        value: Code::Load(Slot::Temp(temp)),
    }));
    Ok(statements)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(j: u32) -> Code {
        Code::Load(Slot::State(j))
    }

    #[test]
    fn linear_forms_are_found_through_sums_products_and_quotients() {
        // (e_l - v + i) / tau with e_l, tau constants.
        let rhs = binary(
            BinOp::Div,
            binary(
                BinOp::Add,
                binary(BinOp::Sub, Code::Const(-0.07), state(0)),
                state(1),
            ),
            Code::Const(0.02),
        );
        let form = linear_form(&rhs, 2).expect("linear");
        assert_eq!(
            form.coefficients,
            vec![Code::Const(-1.0 / 0.02), Code::Const(1.0 / 0.02)]
        );
        assert_eq!(form.constant, Code::Const(-0.07 / 0.02));
        let square = binary(BinOp::Mul, state(0), state(0));
        assert_eq!(linear_form(&square, 1), None);
        let exponential = Code::Unary(crate::cpu::program::MathFn::Exp, Box::new(state(0)));
        assert_eq!(linear_form(&exponential, 1), None);
    }

    #[test]
    fn a_decay_becomes_one_multiplication_by_its_exponential() {
        let (tau, dt) = (0.01, 1e-4);
        let rhs = [Some(binary(
            BinOp::Div,
            Code::Unary(crate::cpu::program::MathFn::Neg, Box::new(state(0))),
            Code::Const(tau),
        ))];
        let mut temps = 0;
        let statements = exact_update(&rhs, dt, &mut temps).expect("linear");
        let Code::Binary(BinOp::Mul, factor, x) = &statements[0].value else {
            panic!("{:?}", statements[0].value);
        };
        let Code::Const(p) = **factor else { panic!() };
        assert!((p - (-dt / tau).exp()).abs() <= f64::EPSILON, "{p}");
        assert_eq!(**x, state(0));
        assert_eq!(statements[1].dest, Dest::State(0));
    }

    #[test]
    fn per_neuron_coefficients_and_time_are_not_exact() {
        let per_neuron = [Some(binary(
            BinOp::Mul,
            Code::Load(Slot::Param(0)),
            state(0),
        ))];
        assert_eq!(
            exact_update(&per_neuron, 1e-4, &mut 0),
            Err(NotExact::VaryingCoefficient { var: 0 })
        );
        let driven = [Some(binary(BinOp::Add, state(0), Code::Load(Slot::Time)))];
        assert_eq!(
            exact_update(&driven, 1e-4, &mut 0),
            Err(NotExact::TimeDependent { var: 0 })
        );
    }
}
