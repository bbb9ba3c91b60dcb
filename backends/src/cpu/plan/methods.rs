//! Explicit integration methods written out as straight-line code: forward
//! Euler, the midpoint method (RK2) and classical fourth-order Runge–Kutta.
//! Each stage's derivatives go to temporaries, so every stage reads the
//! stage values rather than half-updated state.

use super::PlanError;
use super::convert::binary;
use crate::cpu::program::{BinOp, Code, Dest, Slot, Stmt};

/// An explicit Runge–Kutta method.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Explicit {
    /// Forward Euler.
    Euler,
    /// The midpoint method.
    Rk2,
    /// Classical RK4.
    Rk4,
}

/// Evaluates the derivatives (`None` for a variable without an equation)
/// with state variable `j` read as `states[j]` at time `time`.
pub type Derivatives<'a> = dyn Fn(&[Code], &Code) -> Result<Vec<Option<Code>>, PlanError> + 'a;

/// Temporaries and statements of one method being written out.
struct Writer<'a> {
    next_temp: &'a mut u32,
    statements: Vec<Stmt>,
}

impl Writer<'_> {
    /// Stores `value` in a fresh temporary and returns a read of it.
    fn temp(&mut self, value: Code) -> Code {
        if let Code::Const(_) | Code::Load(_) = value {
            return value;
        }
        let temp = *self.next_temp;
        *self.next_temp += 1;
        self.statements.push(Stmt {
            dest: Dest::Temp(temp),
            value,
        });
        Code::Load(Slot::Temp(temp))
    }

    /// Every derivative stored in a temporary.
    fn stage(&mut self, derivatives: Vec<Option<Code>>) -> Vec<Option<Code>> {
        derivatives
            .into_iter()
            .map(|d| d.map(|d| self.temp(d)))
            .collect()
    }

    /// `x_j + h · k_j` per variable (the state itself where there is no
    /// equation), each in a temporary.
    fn advance(&mut self, states: &[Code], h: f64, k: &[Option<Code>]) -> Vec<Code> {
        states
            .iter()
            .zip(k)
            .map(|(x, k)| match k {
                Some(k) => {
                    let step = binary(BinOp::Mul, Code::Const(h), k.clone());
                    self.temp(binary(BinOp::Add, x.clone(), step))
                }
                None => x.clone(),
            })
            .collect()
    }
}

/// The statements of one step of `method` over `dt` for `n` state
/// variables, using temporaries from `next_temp` on.
pub fn explicit_update(
    method: Explicit,
    n: usize,
    dt: f64,
    derivatives: &Derivatives<'_>,
    next_temp: &mut u32,
) -> Result<Vec<Stmt>, PlanError> {
    let mut w = Writer {
        next_temp,
        statements: Vec::new(),
    };
    let x: Vec<Code> = (0..n as u32).map(|j| Code::Load(Slot::State(j))).collect();
    let t = Code::Load(Slot::Time);
    let half = binary(BinOp::Add, t.clone(), Code::Const(dt / 2.0));
    let k1 = w.stage(derivatives(&x, &t)?);
    // The final increment per variable, in units of dt.
    let increment: Vec<Option<Code>> = match method {
        Explicit::Euler => k1,
        Explicit::Rk2 => {
            let mid = w.advance(&x, dt / 2.0, &k1);
            w.stage(derivatives(&mid, &half)?)
        }
        Explicit::Rk4 => {
            let a = w.advance(&x, dt / 2.0, &k1);
            let k2 = w.stage(derivatives(&a, &half)?);
            let b = w.advance(&x, dt / 2.0, &k2);
            let k3 = w.stage(derivatives(&b, &half)?);
            let c = w.advance(&x, dt, &k3);
            let end = binary(BinOp::Add, t.clone(), Code::Const(dt));
            let k4 = w.stage(derivatives(&c, &end)?);
            let two = |k: &Option<Code>| k.clone().map(|k| binary(BinOp::Mul, Code::Const(2.0), k));
            (0..n)
                .map(|i| {
                    let (k1, k2, k3, k4) =
                        (k1[i].clone()?, two(&k2[i])?, two(&k3[i])?, k4[i].clone()?);
                    let sum = binary(
                        BinOp::Add,
                        binary(BinOp::Add, binary(BinOp::Add, k1, k2), k3),
                        k4,
                    );
                    Some(binary(BinOp::Div, sum, Code::Const(6.0)))
                })
                .collect()
        }
    };
    // Increments go to temporaries first, so that no variable's new value
    // is read by another's update.
    let updates: Vec<(u32, Code)> = increment
        .into_iter()
        .enumerate()
        .filter_map(|(i, k)| {
            let k = k?;
            Some((i as u32, binary(BinOp::Mul, Code::Const(dt), k)))
        })
        .collect();
    let news: Vec<(u32, Code)> = updates
        .into_iter()
        .map(|(var, step)| {
            (
                var,
                w.temp(binary(BinOp::Add, x[var as usize].clone(), step)),
            )
        })
        .collect();
    w.statements
        .extend(news.into_iter().map(|(var, value)| Stmt {
            dest: Dest::State(var),
            value,
        }));
    Ok(w.statements)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cpu::program::MathFn;

    /// Runs straight-line statements on one neuron in f64.
    fn run(statements: &[Stmt], state: &mut [f64], time: f64) {
        let mut temps = vec![0.0; 64];
        for s in statements {
            let value = eval(&s.value, state, &temps, time);
            match s.dest {
                Dest::State(i) => state[i as usize] = value,
                Dest::Temp(i) => temps[i as usize] = value,
            }
        }
    }

    fn eval(code: &Code, state: &[f64], temps: &[f64], time: f64) -> f64 {
        let e = |c: &Code| eval(c, state, temps, time);
        match code {
            Code::Const(c) => *c,
            Code::Load(Slot::State(i)) => state[*i as usize],
            Code::Load(Slot::Temp(i)) => temps[*i as usize],
            Code::Load(Slot::Time) => time,
            Code::Unary(MathFn::Neg, a) => -e(a),
            Code::Binary(BinOp::Add, a, b) => e(a) + e(b),
            Code::Binary(BinOp::Mul, a, b) => e(a) * e(b),
            Code::Binary(BinOp::Div, a, b) => e(a) / e(b),
            other => panic!("not used here: {other:?}"),
        }
    }

    /// `dx/dt = -x`: one step of each method against the Taylor series of
    /// `e^{-h}` truncated at the method's order.
    #[test]
    fn each_method_matches_its_taylor_polynomial_on_a_decay() {
        let h: f64 = 0.1;
        let derivatives = |x: &[Code], _: &Code| -> Result<Vec<Option<Code>>, PlanError> {
            Ok(vec![Some(super::super::convert::unary(
                MathFn::Neg,
                x[0].clone(),
            ))])
        };
        let cases = [
            (Explicit::Euler, 1.0 - h),
            (Explicit::Rk2, 1.0 - h + h * h / 2.0),
            (
                Explicit::Rk4,
                1.0 - h + h * h / 2.0 - h.powi(3) / 6.0 + h.powi(4) / 24.0,
            ),
        ];
        for (method, expected) in cases {
            let statements = explicit_update(method, 1, h, &derivatives, &mut 0).expect("plans");
            let mut state = [1.0];
            run(&statements, &mut state, 0.0);
            assert!(
                (state[0] - expected).abs() < 1e-15,
                "{method:?}: {}",
                state[0]
            );
        }
    }

    /// `dx/dt = t`: stages must see the stage times (RK4 integrates it exactly).
    #[test]
    fn stages_read_their_own_times() {
        let h = 0.5;
        let derivatives = |_: &[Code], t: &Code| -> Result<Vec<Option<Code>>, PlanError> {
            Ok(vec![Some(t.clone())])
        };
        let statements = explicit_update(Explicit::Rk4, 1, h, &derivatives, &mut 0).expect("plans");
        let mut state = [0.0];
        run(&statements, &mut state, 1.0);
        // ∫₁^1.5 t dt = (1.5² − 1) / 2.
        assert!((state[0] - 0.625).abs() < 1e-15, "{}", state[0]);
    }

    /// A variable without an equation keeps its value and is read as is.
    #[test]
    fn variables_without_equations_stay() {
        let derivatives = |x: &[Code], _: &Code| -> Result<Vec<Option<Code>>, PlanError> {
            Ok(vec![Some(x[1].clone()), None])
        };
        let statements =
            explicit_update(Explicit::Rk2, 2, 0.1, &derivatives, &mut 0).expect("plans");
        let mut state = [0.0, 3.0];
        run(&statements, &mut state, 0.0);
        assert!((state[0] - 0.3).abs() < 1e-15);
        assert_eq!(state[1], 3.0);
    }
}
