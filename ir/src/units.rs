//! Physical dimensions and the units the language knows.
//!
//! Every value in the IR is stored in SI base units (seconds, volts, amperes,
//! farads, siemens, hertz, metres), so `20 ms` is `0.02` and `-60 mV` is
//! `-0.06`. A [`Dimension`] is a vector of exponents over the base
//! dimensions length, mass, time and current — enough for every quantity of
//! a neuron model (voltage is kg·m²·s⁻³·A⁻¹, capacitance kg⁻¹·m⁻²·s⁴·A², …).

use serde::{Deserialize, Serialize};
use std::fmt;
use std::ops::{Div, Mul};

/// Exponents of the base dimensions (length, mass, time, current).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default, Serialize, Deserialize)]
pub struct Dimension {
    /// Exponents of metre, kilogram, second, ampere, in that order.
    pub exponents: [i8; 4],
}

impl Dimension {
    /// A pure number.
    pub const DIMENSIONLESS: Dimension = Dimension::new(0, 0, 0, 0);
    /// Seconds.
    pub const TIME: Dimension = Dimension::new(0, 0, 1, 0);
    /// Hertz: per second.
    pub const FREQUENCY: Dimension = Dimension::new(0, 0, -1, 0);
    /// Metres.
    pub const LENGTH: Dimension = Dimension::new(1, 0, 0, 0);
    /// Amperes.
    pub const CURRENT: Dimension = Dimension::new(0, 0, 0, 1);
    /// Volts: kg·m²·s⁻³·A⁻¹.
    pub const VOLTAGE: Dimension = Dimension::new(2, 1, -3, -1);
    /// Ohms: kg·m²·s⁻³·A⁻².
    pub const RESISTANCE: Dimension = Dimension::new(2, 1, -3, -2);
    /// Siemens: the inverse of ohms.
    pub const CONDUCTANCE: Dimension = Dimension::new(-2, -1, 3, 2);
    /// Farads: kg⁻¹·m⁻²·s⁴·A².
    pub const CAPACITANCE: Dimension = Dimension::new(-2, -1, 4, 2);

    /// A dimension from its exponents of metre, kilogram, second, ampere.
    pub const fn new(m: i8, kg: i8, s: i8, a: i8) -> Self {
        Dimension {
            exponents: [m, kg, s, a],
        }
    }

    /// Whether this is a pure number.
    pub fn is_dimensionless(self) -> bool {
        self == Dimension::DIMENSIONLESS
    }

    /// This dimension raised to an integer power; `None` if an exponent
    /// overflows.
    pub fn powi(self, n: i32) -> Option<Dimension> {
        let mut exponents = [0i8; 4];
        for (out, e) in exponents.iter_mut().zip(self.exponents) {
            *out = i8::try_from(i32::from(e).checked_mul(n)?).ok()?;
        }
        Some(Dimension { exponents })
    }

    /// The square root, if every exponent is even.
    pub fn sqrt(self) -> Option<Dimension> {
        if self.exponents.iter().any(|e| e % 2 != 0) {
            return None;
        }
        Some(Dimension {
            exponents: self.exponents.map(|e| e / 2),
        })
    }

    /// The conventional unit symbol for this dimension (`"V"`, `"S"`,
    /// `"V/s"`), or the base-unit product (`"m^2 kg s^-3"`).
    pub fn symbol(self) -> String {
        if self.is_dimensionless() {
            return "1".to_string();
        }
        if let Some((symbol, _)) = NAMED_DIMENSIONS.iter().find(|(_, dim)| *dim == self) {
            return (*symbol).to_string();
        }
        for (symbol, dim) in NAMED_DIMENSIONS {
            for (per_symbol, per_dim) in NAMED_DIMENSIONS {
                if *dim / *per_dim == self {
                    return format!("{symbol}/{per_symbol}");
                }
            }
        }
        let names = ["m", "kg", "s", "A"];
        let parts: Vec<String> = names
            .iter()
            .zip(self.exponents)
            .filter(|(_, e)| *e != 0)
            .map(|(name, e)| {
                if e == 1 {
                    (*name).to_string()
                } else {
                    format!("{name}^{e}")
                }
            })
            .collect();
        parts.join(" ")
    }
}

/// Dimensions with a conventional name and symbol, used to print dimensions
/// the way a neuroscientist writes them.
const NAMED_DIMENSIONS: &[(&str, Dimension)] = &[
    ("V", Dimension::VOLTAGE),
    ("A", Dimension::CURRENT),
    ("s", Dimension::TIME),
    ("Hz", Dimension::FREQUENCY),
    ("S", Dimension::CONDUCTANCE),
    ("F", Dimension::CAPACITANCE),
    ("ohm", Dimension::RESISTANCE),
    ("m", Dimension::LENGTH),
];

impl Mul for Dimension {
    type Output = Dimension;
    fn mul(self, rhs: Dimension) -> Dimension {
        let mut exponents = self.exponents;
        for (e, r) in exponents.iter_mut().zip(rhs.exponents) {
            *e = e.saturating_add(r);
        }
        Dimension { exponents }
    }
}

impl Div for Dimension {
    type Output = Dimension;
    fn div(self, rhs: Dimension) -> Dimension {
        let mut exponents = self.exponents;
        for (e, r) in exponents.iter_mut().zip(rhs.exponents) {
            *e = e.saturating_sub(r);
        }
        Dimension { exponents }
    }
}

impl fmt::Display for Dimension {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match *self {
            d if d.is_dimensionless() => "dimensionless",
            Dimension::TIME => "time",
            Dimension::FREQUENCY => "frequency",
            Dimension::LENGTH => "length",
            Dimension::CURRENT => "current",
            Dimension::VOLTAGE => "voltage",
            Dimension::RESISTANCE => "resistance",
            Dimension::CONDUCTANCE => "conductance",
            Dimension::CAPACITANCE => "capacitance",
            _ => return write!(f, "{}", self.symbol()),
        };
        if self.is_dimensionless() {
            write!(f, "{name}")
        } else {
            write!(f, "{name} ({})", self.symbol())
        }
    }
}

/// A unit the language accepts after a number: its symbol, its size in SI
/// base units and its dimension.
#[derive(Clone, Copy, PartialEq, Debug)]
pub struct Unit {
    /// The symbol as written in source (`"mV"`).
    pub symbol: &'static str,
    /// The value of one of this unit in SI base units (`1e-3` for `mV`).
    pub scale: f64,
    /// The dimension.
    pub dimension: Dimension,
}

/// Every unit symbol the language knows.
pub const UNITS: &[Unit] = &[
    unit("s", 1.0, Dimension::TIME),
    unit("ms", 1e-3, Dimension::TIME),
    unit("us", 1e-6, Dimension::TIME),
    unit("Hz", 1.0, Dimension::FREQUENCY),
    unit("kHz", 1e3, Dimension::FREQUENCY),
    unit("V", 1.0, Dimension::VOLTAGE),
    unit("mV", 1e-3, Dimension::VOLTAGE),
    unit("uV", 1e-6, Dimension::VOLTAGE),
    unit("A", 1.0, Dimension::CURRENT),
    unit("mA", 1e-3, Dimension::CURRENT),
    unit("uA", 1e-6, Dimension::CURRENT),
    unit("nA", 1e-9, Dimension::CURRENT),
    unit("pA", 1e-12, Dimension::CURRENT),
    unit("F", 1.0, Dimension::CAPACITANCE),
    unit("uF", 1e-6, Dimension::CAPACITANCE),
    unit("nF", 1e-9, Dimension::CAPACITANCE),
    unit("pF", 1e-12, Dimension::CAPACITANCE),
    unit("S", 1.0, Dimension::CONDUCTANCE),
    unit("mS", 1e-3, Dimension::CONDUCTANCE),
    unit("uS", 1e-6, Dimension::CONDUCTANCE),
    unit("nS", 1e-9, Dimension::CONDUCTANCE),
    unit("pS", 1e-12, Dimension::CONDUCTANCE),
    unit("ohm", 1.0, Dimension::RESISTANCE),
    unit("kohm", 1e3, Dimension::RESISTANCE),
    unit("Mohm", 1e6, Dimension::RESISTANCE),
    unit("Gohm", 1e9, Dimension::RESISTANCE),
    unit("m", 1.0, Dimension::LENGTH),
    unit("mm", 1e-3, Dimension::LENGTH),
    unit("um", 1e-6, Dimension::LENGTH),
];

const fn unit(symbol: &'static str, scale: f64, dimension: Dimension) -> Unit {
    Unit {
        symbol,
        scale,
        dimension,
    }
}

/// The unit with this symbol, if the language knows it.
pub fn lookup_unit(symbol: &str) -> Option<&'static Unit> {
    UNITS.iter().find(|u| u.symbol == symbol)
}

/// A value with a dimension, in SI base units.
#[derive(Clone, Copy, PartialEq, Debug, Serialize, Deserialize)]
pub struct Quantity {
    /// The value in SI base units.
    pub value: f64,
    /// Its dimension.
    pub dimension: Dimension,
}

impl Quantity {
    /// A pure number.
    pub fn number(value: f64) -> Self {
        Quantity {
            value,
            dimension: Dimension::DIMENSIONLESS,
        }
    }
}

impl fmt::Display for Quantity {
    /// Prints the value in the most readable unit of its dimension
    /// (`-0.06` volts prints as `-60 mV`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.dimension.is_dimensionless() {
            return write!(f, "{}", self.value);
        }
        let candidates = UNITS.iter().filter(|u| u.dimension == self.dimension);
        let magnitude = self.value.abs();
        // Times print in ms down to 0.1 ms, as step sizes and delays are
        // written; everything else in the largest unit that keeps the
        // number at least 1.
        let smallest_shown = if self.dimension == Dimension::TIME {
            0.1
        } else {
            0.999_999
        };
        let best = candidates
            .filter(|u| magnitude == 0.0 && u.scale == 1.0 || magnitude >= u.scale * smallest_shown)
            .max_by(|a, b| a.scale.total_cmp(&b.scale))
            .or_else(|| {
                UNITS
                    .iter()
                    .filter(|u| u.dimension == self.dimension)
                    .min_by(|a, b| a.scale.total_cmp(&b.scale))
            });
        match best {
            Some(u) => write!(f, "{} {}", round_display(self.value / u.scale), u.symbol),
            None => write!(f, "{} {}", self.value, self.dimension.symbol()),
        }
    }
}

/// Removes the noise of a unit conversion (`1.6200000000000001` → `1.62`)
/// for display only.
fn round_display(x: f64) -> f64 {
    let rounded: f64 = format!("{x:.12}").parse().unwrap_or(x);
    rounded
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_dimensions_agree_with_their_definitions() {
        // Ohm's law and the membrane time constant: V = A·ohm, s = ohm·F.
        assert_eq!(
            Dimension::CURRENT * Dimension::RESISTANCE,
            Dimension::VOLTAGE
        );
        assert_eq!(
            Dimension::RESISTANCE * Dimension::CAPACITANCE,
            Dimension::TIME
        );
        assert_eq!(
            Dimension::CONDUCTANCE * Dimension::VOLTAGE,
            Dimension::CURRENT
        );
        assert_eq!(
            Dimension::DIMENSIONLESS / Dimension::TIME,
            Dimension::FREQUENCY
        );
    }

    #[test]
    fn symbols_name_compound_dimensions() {
        assert_eq!(Dimension::VOLTAGE.symbol(), "V");
        assert_eq!((Dimension::VOLTAGE / Dimension::TIME).symbol(), "V/s");
        assert_eq!(Dimension::new(0, 1, 0, 0).symbol(), "kg");
        assert_eq!(
            Dimension::VOLTAGE.powi(2).and_then(Dimension::sqrt),
            Some(Dimension::VOLTAGE)
        );
    }

    #[test]
    fn quantities_print_in_readable_units() {
        let v = Quantity {
            value: -0.06,
            dimension: Dimension::VOLTAGE,
        };
        assert_eq!(v.to_string(), "-60 mV");
        let t = Quantity {
            value: 1.5e-3,
            dimension: Dimension::TIME,
        };
        assert_eq!(t.to_string(), "1.5 ms");
        let dt = Quantity {
            value: 1e-4,
            dimension: Dimension::TIME,
        };
        assert_eq!(dt.to_string(), "0.1 ms");
        let c = Quantity {
            value: 250e-12,
            dimension: Dimension::CAPACITANCE,
        };
        assert_eq!(c.to_string(), "250 pF");
        let g = Quantity {
            value: 0.0,
            dimension: Dimension::CONDUCTANCE,
        };
        assert_eq!(g.to_string(), "0 S");
    }
}
