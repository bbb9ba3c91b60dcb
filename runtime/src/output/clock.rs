//! Step times written exactly.
//!
//! `step × dt` in binary floating point is not what anyone wrote: with
//! `dt = 0.1 ms`, step 3 is `0.30000000000000004` ms. Instead `dt` is taken
//! as its shortest decimal representation (the one that reads back as the
//! same `f64`, here `0.0001` s) and the product is formed in integers, so
//! step 3 is written `0.3` and step 10 `1.0`: every time has as many
//! decimals as `dt` in milliseconds has.

use std::fmt;

/// Converts steps to times for one `dt`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Clock {
    dt: f64,
    /// `dt` in milliseconds is `digits × 10^exponent`, exactly; `None`
    /// when `dt` is not a positive finite number.
    decimal: Option<(u64, i32)>,
}

/// A step's time in milliseconds.
#[derive(Clone, Copy, PartialEq, Debug)]
pub(crate) enum Milliseconds {
    /// `value × 10^-decimals`, exactly.
    Exact { value: u128, decimals: u32 },
    /// `step × dt × 1000` in `f64`, when the exact value does not fit in
    /// 128 bits (a `dt` below about 10⁻⁴⁰ s or above 10²⁰ s).
    Float(f64),
}

impl fmt::Display for Milliseconds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Milliseconds::Exact { value, decimals: 0 } => write!(f, "{value}"),
            Milliseconds::Exact { value, decimals } => {
                let unit = 10u128.pow(decimals);
                let width = decimals as usize;
                write!(f, "{}.{:0width$}", value / unit, value % unit)
            }
            Milliseconds::Float(ms) => write!(f, "{ms}"),
        }
    }
}

impl Clock {
    /// The clock of a run with steps of `dt` seconds.
    pub(crate) fn new(dt: f64) -> Clock {
        Clock {
            dt,
            decimal: decimal_milliseconds(dt),
        }
    }

    /// The time of `step`, exactly where it fits.
    pub(crate) fn time(&self, step: u64) -> Milliseconds {
        self.exact(step).map_or(
            Milliseconds::Float(step as f64 * self.dt * 1e3),
            |(value, decimals)| Milliseconds::Exact { value, decimals },
        )
    }

    fn exact(&self, step: u64) -> Option<(u128, u32)> {
        let (digits, exponent) = self.decimal?;
        let value = u128::from(step).checked_mul(u128::from(digits))?;
        let power = 10u128.checked_pow(exponent.unsigned_abs())?;
        if exponent >= 0 {
            Some((value.checked_mul(power)?, 0))
        } else {
            Some((value, exponent.unsigned_abs()))
        }
    }

    /// The time of `step` in milliseconds: the `f64` nearest to the decimal
    /// [`Clock::time`] prints, so a CSV reader and the `.npy` file agree to
    /// the bit.
    pub(crate) fn milliseconds(&self, step: u64) -> f64 {
        self.scaled(step, 0)
    }

    /// The time of `step` in seconds, the `f64` nearest to the decimal.
    pub(crate) fn seconds(&self, step: u64) -> f64 {
        self.scaled(step, 3)
    }

    /// The time in milliseconds divided by `10^shift`, correctly rounded:
    /// when the integer and the power of ten are both exact in `f64` (below
    /// 2⁵³ and at most 10²²), one IEEE division rounds once, to the nearest.
    /// Otherwise the decimal is printed and parsed, which rounds correctly
    /// too, only slower.
    fn scaled(&self, step: u64, shift: u32) -> f64 {
        const EXACT_INTEGER: u128 = 1 << 53;
        const EXACT_POWER: u32 = 22;
        match self.time(step) {
            Milliseconds::Exact { value, decimals }
                if value < EXACT_INTEGER && decimals + shift <= EXACT_POWER =>
            {
                value as f64 / 10f64.powi((decimals + shift) as i32)
            }
            exact @ Milliseconds::Exact { .. } => {
                format!("{exact}e-{shift}").parse().unwrap_or(f64::NAN)
            }
            Milliseconds::Float(ms) => ms / 10f64.powi(shift as i32),
        }
    }
}

/// `dt` seconds in milliseconds as `(digits, exponent)`, from the shortest
/// decimal that reads back as `dt` (Rust's `{:e}` prints exactly that).
fn decimal_milliseconds(dt: f64) -> Option<(u64, i32)> {
    if !(dt.is_finite() && dt > 0.0) {
        return None;
    }
    let text = format!("{dt:e}");
    let (mantissa, exponent) = text.split_once('e')?;
    let exponent: i32 = exponent.parse().ok()?;
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits: u64 = format!("{whole}{fraction}").parse().ok()?;
    let fraction_digits = i32::try_from(fraction.len()).ok()?;
    Some((digits, exponent - fraction_digits + 3))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(clock: Clock, step: u64) -> String {
        clock.time(step).to_string()
    }

    #[test]
    fn times_are_exact_decimals_of_dt() {
        let clock = Clock::new(1e-4);
        assert_eq!(written(clock, 0), "0.0");
        assert_eq!(written(clock, 3), "0.3");
        assert_eq!(written(clock, 12345), "1234.5");
        let clock = Clock::new(2.5e-5);
        assert_eq!(written(clock, 7), "0.175");
        assert_eq!(written(clock, 40), "1.000");
        let clock = Clock::new(1e-3);
        assert_eq!(written(clock, 42), "42");
        let clock = Clock::new(0.5);
        assert_eq!(written(clock, 3), "1500");
        let clock = Clock::new(1e-5);
        assert_eq!(written(clock, 3), "0.03");
    }

    #[test]
    fn the_float_is_what_the_decimal_reads_back_as() {
        for dt in [
            1e-4,
            2.5e-5,
            1e-3,
            3.3e-5,
            1.0 / 3.0 * 1e-4,
            1e-9,
            1e-30,
            0.05,
            1e15,
        ] {
            let clock = Clock::new(dt);
            for step in [0, 1, 3, 7, 999, 10_000, 123_456_789, u64::from(u32::MAX)] {
                let text = written(clock, step);
                let parsed: f64 = text.parse().unwrap();
                assert_eq!(clock.milliseconds(step), parsed, "dt {dt}, step {step}");
                let seconds: f64 = format!("{text}e-3").parse().unwrap();
                assert_eq!(clock.seconds(step), seconds, "dt {dt}, step {step}");
            }
        }
    }

    #[test]
    fn a_dt_too_fine_for_128_bits_falls_back_to_floating_point() {
        let clock = Clock::new(1e-45);
        assert_eq!(clock.time(2), Milliseconds::Float(2.0 * 1e-45 * 1e3));
        assert_eq!(written(clock, 2), format!("{}", 2.0 * 1e-45 * 1e3));
        assert_eq!(clock.milliseconds(2), 2.0 * 1e-45 * 1e3);
    }
}
