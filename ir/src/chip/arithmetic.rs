//! Which integer arithmetic a chip executor reproduces (CHIP.md §c4).

use serde::{Deserialize, Serialize};
use std::fmt;

/// The two published readings of the chip's compartment arithmetic. They
/// differ only when the dendritic accumulator or u overflows, or when a
/// weight exponent is negative.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Arithmetic {
    /// The chip's registers, as nengo-loihi's emulator models them and
    /// checks against the chip: the accumulator wraps at its width, u and
    /// u + bias wrap at the state width, v saturates, and the weight
    /// exponent applies to each synapse.
    #[default]
    Hardware,
    /// lava-nc's bit-accurate models: one conditional wrap of u, no limit
    /// on the accumulator, and the weight exponent applied to the sum of a
    /// format's weights. Refractory periods, which Lava's model lacks,
    /// follow the hardware.
    Lava,
}

impl Arithmetic {
    /// The name used on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            Arithmetic::Hardware => "hardware",
            Arithmetic::Lava => "lava",
        }
    }
}

impl fmt::Display for Arithmetic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
