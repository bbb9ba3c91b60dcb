//! The matrix exponential of small dense matrices, for exact propagators.
//!
//! Scaling and squaring with the degree-13 Padé approximant (Higham 2005,
//! "The scaling and squaring method for the matrix exponential revisited",
//! Algorithm 2.3): accurate to about the unit roundoff in norm. Matrices
//! here are a neuron's linear system, a few rows at most, so clarity wins
//! over blocking.

/// A square matrix, row-major.
#[derive(Clone, PartialEq, Debug)]
pub struct Matrix {
    n: usize,
    data: Vec<f64>,
}

impl Matrix {
    /// The `n × n` zero matrix.
    pub fn zeros(n: usize) -> Self {
        Matrix {
            n,
            data: vec![0.0; n * n],
        }
    }

    /// The `n × n` identity.
    pub fn identity(n: usize) -> Self {
        let mut m = Matrix::zeros(n);
        for i in 0..n {
            m.set(i, i, 1.0);
        }
        m
    }

    /// Number of rows.
    pub fn size(&self) -> usize {
        self.n
    }

    /// Entry `(row, col)`.
    pub fn get(&self, row: usize, col: usize) -> f64 {
        self.data[row * self.n + col]
    }

    /// Sets entry `(row, col)`.
    pub fn set(&mut self, row: usize, col: usize, value: f64) {
        self.data[row * self.n + col] = value;
    }

    fn scaled(&self, factor: f64) -> Matrix {
        Matrix {
            n: self.n,
            data: self.data.iter().map(|x| x * factor).collect(),
        }
    }

    fn plus(&self, other: &Matrix) -> Matrix {
        Matrix {
            n: self.n,
            data: self
                .data
                .iter()
                .zip(&other.data)
                .map(|(a, b)| a + b)
                .collect(),
        }
    }

    fn times(&self, other: &Matrix) -> Matrix {
        let n = self.n;
        let mut out = Matrix::zeros(n);
        for i in 0..n {
            for k in 0..n {
                let a = self.get(i, k);
                if a == 0.0 {
                    continue;
                }
                for j in 0..n {
                    out.data[i * n + j] += a * other.get(k, j);
                }
            }
        }
        out
    }

    /// Whether every entry below, or every entry above, the diagonal is zero.
    fn is_triangular(&self) -> bool {
        let n = self.n;
        let below = (0..n).all(|i| (0..i).all(|j| self.get(i, j) == 0.0));
        let above = (0..n).all(|i| (i + 1..n).all(|j| self.get(i, j) == 0.0));
        below || above
    }

    /// The 1-norm: the largest column sum of absolute values.
    fn norm1(&self) -> f64 {
        (0..self.n)
            .map(|j| (0..self.n).map(|i| self.get(i, j).abs()).sum::<f64>())
            .fold(0.0, f64::max)
    }

    /// `self⁻¹ · rhs` by Gaussian elimination with partial pivoting.
    fn solve(&self, rhs: &Matrix) -> Matrix {
        let n = self.n;
        let mut a = self.clone();
        let mut b = rhs.clone();
        for col in 0..n {
            let pivot = (col..n)
                .max_by(|&x, &y| a.get(x, col).abs().total_cmp(&a.get(y, col).abs()))
                .unwrap_or(col);
            if pivot != col {
                for j in 0..n {
                    a.data.swap(col * n + j, pivot * n + j);
                    b.data.swap(col * n + j, pivot * n + j);
                }
            }
            let p = a.get(col, col);
            for row in col + 1..n {
                let factor = a.get(row, col) / p;
                if factor == 0.0 {
                    continue;
                }
                for j in 0..n {
                    a.data[row * n + j] -= factor * a.get(col, j);
                    b.data[row * n + j] -= factor * b.get(col, j);
                }
            }
        }
        for col in (0..n).rev() {
            let p = a.get(col, col);
            for j in 0..n {
                let mut x = b.get(col, j);
                for k in col + 1..n {
                    x -= a.get(col, k) * b.get(k, j);
                }
                b.set(col, j, x / p);
            }
        }
        b
    }
}

/// Coefficients of the degree-13 Padé approximant of `exp`.
const PADE13: [f64; 14] = [
    64764752532480000.0,
    32382376266240000.0,
    7771770303897600.0,
    1187353796428800.0,
    129060195264000.0,
    10559470521600.0,
    670442572800.0,
    33522128640.0,
    1323241920.0,
    40840800.0,
    960960.0,
    16380.0,
    182.0,
    1.0,
];

/// `θ₁₃`: the largest 1-norm for which the degree-13 approximant is
/// accurate to the unit roundoff without scaling.
const THETA13: f64 = 5.371920351148152;

/// `e^A`. The diagonal of the exponential of a triangular matrix is the
/// exponential of its diagonal: there it is set to `exp` of each entry,
/// correctly rounded where the approximant would be off by a few ulp, so a
/// lone decay's factor is exactly `exp(-dt / tau)`.
pub fn expm(a: &Matrix) -> Matrix {
    let mut result = pade_expm(a);
    if a.is_triangular() {
        for i in 0..a.size() {
            result.set(i, i, a.get(i, i).exp());
        }
    }
    result
}

/// `e^A` by scaling, the degree-13 Padé approximant, and squaring.
fn pade_expm(a: &Matrix) -> Matrix {
    let n = a.size();
    let norm = a.norm1();
    if !norm.is_finite() {
        // A coefficient is infinite or NaN (a parameter of zero below a
        // fraction bar): the propagators are NaN, and the executors' state
        // checks name the population.
        return Matrix {
            n,
            data: vec![f64::NAN; n * n],
        };
    }
    let squarings = if norm > THETA13 {
        (norm / THETA13).log2().ceil() as i32
    } else {
        0
    };
    let a = a.scaled(0.5f64.powi(squarings));
    let identity = Matrix::identity(n);
    let a2 = a.times(&a);
    let a4 = a2.times(&a2);
    let a6 = a4.times(&a2);
    let b = &PADE13;
    let u_inner = a6
        .scaled(b[13])
        .plus(&a4.scaled(b[11]))
        .plus(&a2.scaled(b[9]));
    let u = a.times(
        &a6.times(&u_inner)
            .plus(&a6.scaled(b[7]))
            .plus(&a4.scaled(b[5]))
            .plus(&a2.scaled(b[3]))
            .plus(&identity.scaled(b[1])),
    );
    let v_inner = a6
        .scaled(b[12])
        .plus(&a4.scaled(b[10]))
        .plus(&a2.scaled(b[8]));
    let v = a6
        .times(&v_inner)
        .plus(&a6.scaled(b[6]))
        .plus(&a4.scaled(b[4]))
        .plus(&a2.scaled(b[2]))
        .plus(&identity.scaled(b[0]));
    let numerator = v.plus(&u);
    let denominator = v.plus(&u.scaled(-1.0));
    let mut result = denominator.solve(&numerator);
    for _ in 0..squarings {
        result = result.times(&result);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, relative: f64) -> bool {
        (a - b).abs() <= relative * b.abs().max(1e-300)
    }

    #[test]
    fn scalar_exponentials_to_rounding() {
        for x in [-1e-5, -0.005, -0.5, -3.0, -40.0, 2.5] {
            let mut m = Matrix::zeros(1);
            m.set(0, 0, x);
            let e = expm(&m).get(0, 0);
            assert!(
                close(e, x.exp(), 4.0 * f64::EPSILON),
                "{x}: {e} vs {}",
                x.exp()
            );
        }
    }

    #[test]
    fn triangular_system_matches_its_closed_form() {
        // dv/dt = -v/a + i/a, di/dt = -i/b: the CUBA membrane and current.
        let (a, b, t) = (20e-3, 5e-3, 1e-4);
        let mut m = Matrix::zeros(2);
        m.set(0, 0, -t / a);
        m.set(0, 1, t / a);
        m.set(1, 1, -t / b);
        let e = expm(&m);
        let (pa, pb) = ((-t / a).exp(), (-t / b).exp());
        // The current's effect on v: (1/a)·(e^{-t/a} − e^{-t/b}) / (1/b − 1/a).
        let coupling = (pa - pb) / a / (1.0 / b - 1.0 / a);
        assert!(close(e.get(0, 0), pa, 4.0 * f64::EPSILON));
        assert!(close(e.get(1, 1), pb, 4.0 * f64::EPSILON));
        assert!(close(e.get(0, 1), coupling, 1e-12));
        assert_eq!(e.get(1, 0), 0.0, "structural zeros stay exact");
    }

    #[test]
    fn the_approximant_alone_is_accurate_in_relative_terms() {
        for x in [-1e-5, -0.005, -0.5, -3.0, -40.0, 2.5] {
            let mut m = Matrix::zeros(1);
            m.set(0, 0, x);
            let e = pade_expm(&m).get(0, 0);
            assert!(close(e, x.exp(), 1e-12), "{x}: {e} vs {}", x.exp());
        }
    }

    #[test]
    fn rotation_generator_gives_a_rotation() {
        let theta = 7.0;
        let mut m = Matrix::zeros(2);
        m.set(0, 1, -theta);
        m.set(1, 0, theta);
        let e = expm(&m);
        assert!((e.get(0, 0) - theta.cos()).abs() < 1e-13);
        assert!((e.get(1, 0) - theta.sin()).abs() < 1e-13);
    }
}
