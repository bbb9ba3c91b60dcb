//! Quantization: a classified neuron and its incoming weights, from floats
//! to the chip's integers (CHIP.md §a3 and §c), with a record of every
//! value's float, fixed and effective value and its error.
//!
//! The voltage scale (chip units per unit of the membrane variable) is
//! chosen per population so the threshold is `2^(threshold bits − 3)`
//! mantissa units: v can swing to eight thresholds below the reset before
//! it saturates. It is lowered, by powers of two, only when a weight or the
//! bias would not fit otherwise.

use super::classify::{Bias, ChipNeuron};
use super::error::ChipError;
use neurc_ir::chip::{FixedPoint, SignMode, SynapseFormat};
use neurc_ir::{ChipWeights, NodeId, PerSynapse, ProjId};
use serde::Serialize;

/// One value's float and fixed-point forms.
#[derive(Clone, PartialEq, Debug, Serialize)]
pub struct ParameterRow {
    /// What it is (`dv (voltage decay per step)`).
    pub name: String,
    /// The value the model asks for, in the unit the row states.
    pub float: f64,
    /// The integer the chip holds.
    pub fixed: i64,
    /// What the integer means, in the float's unit.
    pub effective: f64,
    /// `|effective − float| / |float|` (0 when both are 0).
    pub relative_error: f64,
}

impl ParameterRow {
    fn new(name: impl Into<String>, float: f64, fixed: i64, effective: f64) -> ParameterRow {
        ParameterRow {
            name: name.into(),
            float,
            fixed,
            effective,
            relative_error: relative_error(float, effective),
        }
    }
}

fn relative_error(float: f64, effective: f64) -> f64 {
    if float == effective {
        0.0
    } else {
        ((effective - float) / float).abs()
    }
}

/// A population's compartment settings on the chip.
#[derive(Clone, PartialEq, Debug)]
pub struct NeuronFormat {
    /// Chip voltage units per unit of the membrane variable.
    pub scale: f64,
    /// Threshold mantissa.
    pub vth: u32,
    /// Voltage decay.
    pub dv: u32,
    /// Current decay of each compartment of a neuron.
    pub du: Vec<u32>,
    /// Bias mantissa.
    pub bias_mantissa: i32,
    /// Bias exponent.
    pub bias_exponent: u8,
    /// Refractory delay (1: none).
    pub refractory_delay: u32,
}

/// How one projection's weights are stored.
#[derive(Clone, PartialEq, Debug)]
pub struct WeightFormat {
    /// The synapse format, with index bits still to be set per core.
    pub format: SynapseFormat,
    /// The stored weights.
    pub stored: PerSynapse<i16>,
    /// The compartment of the target neuron the weights land on.
    pub current: u32,
}

/// The quantization report of one population.
#[derive(Clone, PartialEq, Debug, Serialize)]
pub struct PopulationReport {
    /// Its name.
    pub population: String,
    /// Its model.
    pub model: String,
    /// Chip voltage units per SI unit of the membrane variable.
    pub scale: f64,
    /// Compartments per neuron.
    pub compartments_per_neuron: u32,
    /// Every parameter.
    pub parameters: Vec<ParameterRow>,
    /// Behaviour that differs from the model in a stated way.
    pub notes: Vec<String>,
}

/// The quantization report of one projection's weights.
#[derive(Clone, PartialEq, Debug, Serialize)]
pub struct ProjectionReport {
    /// Its name.
    pub projection: String,
    /// Its synapses.
    pub synapses: u64,
    /// Sign mode.
    pub sign_mode: SignMode,
    /// Weight precision, bits.
    pub weight_bits: u8,
    /// Weight exponent.
    pub weight_exponent: i8,
    /// Delay field width, bits.
    pub delay_bits: u8,
    /// The weight, if it is the same for every synapse (in chip voltage
    /// units: SI weight × propagator × scale).
    pub weight: Option<ParameterRow>,
    /// The largest relative error of any weight.
    pub max_relative_error: f64,
    /// Root mean square relative error.
    pub rms_relative_error: f64,
    /// Weights clipped to the format's largest magnitude.
    pub clipped: u64,
    /// Nonzero weights that became 0.
    pub rounded_to_zero: u64,
}

/// The whole quantization report (`quantization.json`).
#[derive(Clone, PartialEq, Debug, Default, Serialize)]
pub struct QuantizationReport {
    /// Every chip population.
    pub populations: Vec<PopulationReport>,
    /// Every projection onto them.
    pub projections: Vec<ProjectionReport>,
}

/// One incoming projection's weights, as the quantizer sees them.
pub struct IncomingWeights<'a> {
    /// The projection.
    pub id: ProjId,
    /// Its name.
    pub name: &'a str,
    /// Its weights, SI.
    pub weights: &'a PerSynapse<f64>,
    /// Its delays, steps.
    pub delays: &'a PerSynapse<u16>,
    /// Synapses.
    pub synapses: u64,
    /// The compartment it lands on and the weight's factor into v units.
    pub current: u32,
    /// See [`super::classify::Landing::factor`].
    pub factor: f64,
    /// The synapse format the user gave, if any: weights are then stored
    /// exactly or refused.
    pub given: Option<ChipWeights>,
}

/// Chooses the scale and quantizes a population and the weights landing on
/// it.
#[allow(clippy::too_many_arguments)]
pub fn quantize(
    node: NodeId,
    population: &str,
    neuron: &ChipNeuron,
    incoming: &[IncomingWeights],
    fixed: &FixedPoint,
    max_delay_steps: u32,
    target: &str,
    report: &mut QuantizationReport,
) -> Result<(NeuronFormat, Vec<WeightFormat>), ChipError> {
    let value_error = |what: String, reason: String| ChipError::PopulationValue {
        node,
        population: population.to_string(),
        what,
        target: target.to_string(),
        reason,
    };
    let one = f64::from(fixed.decay_one());
    let dv = (one * (1.0 - neuron.keep)).round();
    let mut dv = dv.clamp(0.0, one - 1.0) as u32;
    let v_keep = 1.0 - f64::from(dv) / one;
    let mut du = Vec::new();
    for current in &neuron.currents {
        let lost = (one * (1.0 - current.keep)).round();
        if lost < 1.0 {
            return Err(value_error(
                "a synaptic current's decay".into(),
                format!(
                    "it keeps {:.6} of itself per step, and the chip's current loses at least \
                     1/{one} per step; a time constant below {} steps would fit",
                    current.keep,
                    2.0 * one
                ),
            ));
        }
        du.push(lost.min(one) as u32 - 1);
    }
    let bias_per_step = match neuron.bias {
        Bias::Rest(rest) => rest * (1.0 - v_keep),
        Bias::PerStep(b) => b,
    };
    let largest_weight = incoming
        .iter()
        .map(|p| max_abs(p.weights) * p.factor.abs())
        .fold(0.0, f64::max);
    let (bias_low, bias_high) = fixed.bias_mantissa_range();
    let bias_max = bias_high as f64 * f64::from(1u32 << fixed.bias_exponent_max);
    let weight_max = weight_unit(fixed.weight_exponent[1], fixed)
        * f64::from(fixed.weight_range(SignMode::Excitatory).1);
    let target_vth = f64::from(1u32 << (fixed.threshold_mantissa_bits - 3));
    let shift = f64::from(1u32 << fixed.threshold_shift);
    // A chip-native model's registers are its values at scale 1.
    let native = match neuron.registers {
        Some(registers) => native_registers(&registers, neuron, fixed, &value_error)?,
        None => None,
    };
    let mut scale = if native.is_some() {
        1.0
    } else {
        target_vth * shift / neuron.threshold
    };
    while native.is_none()
        && (scale * largest_weight > weight_max || scale * bias_per_step.abs() > bias_max)
    {
        scale /= 2.0;
        if neuron.threshold * scale / shift < 1.0 {
            return Err(value_error(
                "the weights or bias relative to the threshold".into(),
                format!(
                    "a weight of {largest_weight:.4e} or a bias of {bias_per_step:.4e} per \
                     step against a threshold of {:.4e} exceeds what the chip's formats span",
                    neuron.threshold
                ),
            ));
        }
    }
    let mut vth = (neuron.threshold * scale / shift).round() as u32;
    let (mut bias_mantissa, mut bias_exponent) =
        bias_format(bias_per_step * scale, fixed, bias_low, bias_high);
    let mut refractory_delay = neuron.refractory_steps + 1;
    if let Some(native) = &native {
        (vth, dv, bias_mantissa, bias_exponent, refractory_delay) = (
            native.vth,
            native.dv,
            native.bias_mantissa,
            native.bias_exponent,
            native.refractory_delay,
        );
        du[0] = native.du;
    }
    let native = native.is_some();
    let bias_effective = f64::from(bias_mantissa) * f64::from(1u32 << bias_exponent);
    if refractory_delay > fixed.refractory_max {
        return Err(value_error(
            format!("the refractory period of {} steps", neuron.refractory_steps),
            format!(
                "the chip's refractory delay counts at most {} steps",
                fixed.refractory_max - 1
            ),
        ));
    }
    let mut parameters = vec![
        ParameterRow::new(
            "threshold above reset (chip v units)",
            neuron.threshold * scale,
            i64::from(vth),
            f64::from(vth) * shift,
        ),
        ParameterRow::new(
            "dv: voltage decay per step (fraction lost)",
            1.0 - neuron.keep,
            i64::from(dv),
            f64::from(dv) / one,
        ),
    ];
    for (k, (current, &d)) in neuron.currents.iter().zip(&du).enumerate() {
        parameters.push(ParameterRow::new(
            format!("du[{k}]: current decay per step (fraction lost)"),
            1.0 - current.keep,
            i64::from(d),
            f64::from(d + 1) / one,
        ));
    }
    parameters.push(ParameterRow::new(
        format!("bias per step (chip v units; mantissa x 2^{bias_exponent})"),
        bias_per_step * scale,
        i64::from(bias_mantissa),
        bias_effective,
    ));
    parameters.push(ParameterRow::new(
        "refractory delay (steps held + 1)",
        f64::from(refractory_delay),
        i64::from(refractory_delay),
        f64::from(refractory_delay),
    ));
    let mut notes = Vec::new();
    if native {
        notes.push("chip-native model: its register values are used as they are (scale 1)".into());
    }
    if neuron.inclusive {
        notes.push(
            "the model spikes at v >= threshold, the chip at v > threshold: they differ only \
             when v equals the threshold to the last bit"
                .into(),
        );
    }
    notes.push(format!(
        "v saturates at {} chip units, {:.1} thresholds from the reset",
        fixed.state_max(),
        fixed.state_max() as f64 / (f64::from(vth) * shift).max(1.0)
    ));
    report.populations.push(PopulationReport {
        population: population.to_string(),
        model: String::new(),
        scale,
        compartments_per_neuron: neuron.currents.len() as u32,
        parameters,
        notes,
    });
    let mut weights = Vec::with_capacity(incoming.len());
    for projection in incoming {
        let max_delay = max_delay(projection.delays);
        if u32::from(max_delay) > max_delay_steps {
            return Err(ChipError::ProjectionValue {
                id: projection.id,
                projection: projection.name.to_string(),
                what: format!("a delay of {max_delay} steps"),
                target: target.to_string(),
                reason: format!(
                    "a core's synapses reach at most {max_delay_steps} steps: shorten the delay \
                     or lengthen dt"
                ),
            });
        }
        let delay_bits = (32 - u32::from(max_delay - 1).leading_zeros()) as u8;
        let (format, stored, row) = match projection.given {
            Some(given) => given_weights(projection, given, scale, delay_bits, fixed, target)?,
            None => quantize_weights(projection, scale, delay_bits, fixed),
        };
        report.projections.push(row);
        weights.push(WeightFormat {
            format,
            stored,
            current: projection.current,
        });
    }
    Ok((
        NeuronFormat {
            scale,
            vth,
            dv,
            du,
            bias_mantissa,
            bias_exponent,
            refractory_delay,
        },
        weights,
    ))
}

fn max_abs(values: &PerSynapse<f64>) -> f64 {
    match values {
        PerSynapse::Constant(w) => w.abs(),
        PerSynapse::Varying(ws) => ws.iter().fold(0.0, |m, w| m.max(w.abs())),
    }
}

/// The sign mode that holds every weight times `factor` (its chip value)
/// with the most precision: one sign where they all share it, mixed
/// otherwise. Every weight is read, since one of the other sign would
/// otherwise be clipped to 0.
fn weight_sign(weights: &PerSynapse<f64>, factor: f64) -> SignMode {
    let values: &[f64] = match weights {
        PerSynapse::Constant(w) => std::slice::from_ref(w),
        PerSynapse::Varying(ws) => ws,
    };
    let (lowest, highest) = values
        .iter()
        .map(|w| w * factor)
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), x| {
            (lo.min(x), hi.max(x))
        });
    if lowest >= 0.0 {
        SignMode::Excitatory
    } else if highest <= 0.0 {
        SignMode::Inhibitory
    } else {
        SignMode::Mixed
    }
}

/// The longest delay of a projection, in steps (at least 1).
pub(super) fn max_delay(values: &PerSynapse<u16>) -> u16 {
    match values {
        PerSynapse::Constant(d) => *d,
        PerSynapse::Varying(ds) => ds.iter().copied().max().unwrap_or(1),
    }
    .max(1)
}

/// The smallest exponent whose mantissa holds the value, and the mantissa.
fn bias_format(value: f64, fixed: &FixedPoint, low: i64, high: i64) -> (i32, u8) {
    for exponent in 0..=fixed.bias_exponent_max {
        let mantissa = (value / f64::from(1u32 << exponent)).round();
        if mantissa >= low as f64 && mantissa <= high as f64 {
            return (mantissa as i32, exponent as u8);
        }
    }
    let exponent = fixed.bias_exponent_max;
    let mantissa = (value / f64::from(1u32 << exponent)).round();
    (
        mantissa.clamp(low as f64, high as f64) as i32,
        exponent as u8,
    )
}

/// What one stored weight unit adds to u with exponent `exponent`.
fn weight_unit(exponent: i32, fixed: &FixedPoint) -> f64 {
    2f64.powi(fixed.weight_shift as i32 + exponent)
}

/// What a stored weight adds to u: shifted left, or right with flooring
/// when the total shift is negative (the chip shifts each synapse).
pub fn effective_weight(stored: i32, exponent: i32, fixed: &FixedPoint) -> i64 {
    let shift = fixed.weight_shift as i32 + exponent;
    if shift >= 0 {
        i64::from(stored) << shift
    } else {
        i64::from(stored) >> (-shift)
    }
}

/// The stored weight nearest `x` (chip units) in a format, and whether it
/// was clipped.
fn store(x: f64, format: &SynapseFormat, fixed: &FixedPoint) -> (i32, bool) {
    let unit = weight_unit(i32::from(format.weight_exponent), fixed);
    let step = f64::from(fixed.weight_step(format));
    let (low, high) = fixed.weight_range(format.sign);
    // The largest multiples of the step within the range.
    let low = (f64::from(low) / step).ceil() * step;
    let high = (f64::from(high) / step).floor() * step;
    let wanted = (x / unit / step).round() * step;
    let clipped = wanted < low || wanted > high;
    (wanted.clamp(low, high) as i32, clipped)
}

/// At most this many weights of a projection are tried per candidate
/// format; the chosen format then stores every weight.
const SAMPLE: usize = 4096;

fn quantize_weights(
    projection: &IncomingWeights,
    scale: f64,
    delay_bits: u8,
    fixed: &FixedPoint,
) -> (SynapseFormat, PerSynapse<i16>, ProjectionReport) {
    let factor = projection.factor * scale;
    let values: Vec<f64> = match projection.weights {
        PerSynapse::Constant(w) => vec![w * factor],
        PerSynapse::Varying(ws) => {
            let stride = ws.len().div_ceil(SAMPLE).max(1);
            ws.iter().step_by(stride).map(|w| w * factor).collect()
        }
    };
    let sign = weight_sign(projection.weights, factor);
    let squared_error = |format: &SynapseFormat| {
        values
            .iter()
            .map(|&x| {
                let (stored, _) = store(x, format, fixed);
                let e = effective_weight(stored, i32::from(format.weight_exponent), fixed) as f64;
                (e - x) * (e - x)
            })
            .sum::<f64>()
    };
    let widest = *fixed
        .weight_bits
        .last()
        .unwrap_or(&fixed.weight_magnitude_bits) as u8;
    let candidate = |exponent: i32, bits: u8| SynapseFormat {
        weight_bits: bits,
        sign,
        weight_exponent: exponent as i8,
        index_bits: 0,
        delay_bits,
    };
    let [low, high] = fixed.weight_exponent;
    let mut best = candidate(high, widest);
    let mut best_error = squared_error(&best);
    for exponent in (low..=high).rev() {
        let format = candidate(exponent, widest);
        let error = squared_error(&format);
        if error < best_error {
            (best, best_error) = (format, error);
        }
    }
    // Fewer weight bits where they lose nothing more: less synaptic memory.
    for &bits in &fixed.weight_bits {
        let format = candidate(i32::from(best.weight_exponent), bits as u8);
        if squared_error(&format) <= best_error {
            best = format;
            break;
        }
    }
    let exponent = i32::from(best.weight_exponent);
    let mut clipped = 0u64;
    let mut zeroed = 0u64;
    let mut max_error = 0.0f64;
    let mut sum_squares = 0.0f64;
    let mut nonzero = 0u64;
    let mut quantize_one = |w: f64| -> i16 {
        let x = w * factor;
        let (stored, was_clipped) = store(x, &best, fixed);
        let e = effective_weight(stored, exponent, fixed) as f64;
        clipped += u64::from(was_clipped);
        zeroed += u64::from(stored == 0 && x != 0.0);
        if x != 0.0 {
            let r = ((e - x) / x).abs();
            max_error = max_error.max(r);
            sum_squares += r * r;
            nonzero += 1;
        }
        stored as i16
    };
    let (stored, weight) = match projection.weights {
        PerSynapse::Constant(w) => {
            let s = quantize_one(*w);
            let row = ParameterRow::new(
                "weight (chip units added to u)",
                w * factor,
                i64::from(s),
                effective_weight(i32::from(s), exponent, fixed) as f64,
            );
            let n = projection.synapses;
            clipped *= n;
            zeroed *= n;
            (PerSynapse::Constant(s), Some(row))
        }
        PerSynapse::Varying(ws) => (
            PerSynapse::Varying(ws.iter().map(|&w| quantize_one(w)).collect()),
            None,
        ),
    };
    let rms = if nonzero > 0 {
        (sum_squares / nonzero as f64).sqrt()
    } else {
        0.0
    };
    let report = ProjectionReport {
        projection: projection.name.to_string(),
        synapses: projection.synapses,
        sign_mode: best.sign,
        weight_bits: best.weight_bits,
        weight_exponent: best.weight_exponent,
        delay_bits,
        weight,
        max_relative_error: max_error,
        rms_relative_error: rms,
        clipped,
        rounded_to_zero: zeroed,
    };
    (best, stored, report)
}

/// A chip-native model's registers, checked: integers within their fields.
struct NativeRegisters {
    du: u32,
    dv: u32,
    vth: u32,
    bias_mantissa: i32,
    bias_exponent: u8,
    refractory_delay: u32,
}

/// The registers as the chip holds them, or `None` when the model's
/// update is not the chip's for these values (then it is quantized like
/// any other model).
fn native_registers(
    registers: &super::classify::Registers,
    neuron: &ChipNeuron,
    fixed: &FixedPoint,
    value_error: &dyn Fn(String, String) -> ChipError,
) -> Result<Option<NativeRegisters>, ChipError> {
    let one = f64::from(fixed.decay_one());
    let (bias_low, bias_high) = fixed.bias_mantissa_range();
    let field = |name: &str, value: f64, low: f64, high: f64| {
        if value.fract() == 0.0 && (low..=high).contains(&value) {
            Ok(value)
        } else {
            Err(value_error(
                format!("register `{name}` = {value}"),
                format!("the chip holds a whole number from {low} to {high}"),
            ))
        }
    };
    let du = field("du", registers.du, 0.0, one - 1.0)?;
    let dv = field("dv", registers.dv, 0.0, one - 1.0)?;
    let vth = field(
        "vth",
        registers.vth,
        0.0,
        fixed.threshold_mantissa_max() as f64,
    )?;
    let bias_mantissa = field(
        "bias_mant",
        registers.bias_mant,
        bias_low as f64,
        bias_high as f64,
    )?;
    let bias_exponent = field(
        "bias_exp",
        registers.bias_exp,
        0.0,
        f64::from(fixed.bias_exponent_max),
    )?;
    let refractory_delay = field(
        "refract_delay",
        registers.refract_delay,
        1.0,
        f64::from(fixed.refractory_max),
    )?;
    let shift = f64::from(1u32 << fixed.threshold_shift);
    let bias = bias_mantissa * 2f64.powf(bias_exponent);
    // Equal up to rounding: the model computes 2^bias_exp as exp(bias_exp·ln 2).
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-9 * b.abs().max(1.0);
    let matches = neuron
        .currents
        .first()
        .is_some_and(|c| close(c.keep, (one - 1.0 - du) / one))
        && close(neuron.keep, (one - dv) / one)
        && close(neuron.threshold, vth * shift)
        && matches!(neuron.bias, Bias::PerStep(b) if close(b, bias))
        && f64::from(neuron.refractory_steps) == refractory_delay - 1.0;
    Ok(matches.then_some(NativeRegisters {
        du: du as u32,
        dv: dv as u32,
        vth: vth as u32,
        bias_mantissa: bias_mantissa as i32,
        bias_exponent: bias_exponent as u8,
        refractory_delay: refractory_delay as u32,
    }))
}

/// Weights in a format the user gave: each must be a stored integer of
/// that format exactly, or the projection is refused.
fn given_weights(
    projection: &IncomingWeights,
    given: ChipWeights,
    scale: f64,
    delay_bits: u8,
    fixed: &FixedPoint,
    target: &str,
) -> Result<(SynapseFormat, PerSynapse<i16>, ProjectionReport), ChipError> {
    let refuse = |what: String, reason: String| ChipError::ProjectionValue {
        id: projection.id,
        projection: projection.name.to_string(),
        what,
        target: target.to_string(),
        reason,
    };
    let [low, high] = fixed.weight_exponent;
    if !fixed.weight_bits.contains(&u32::from(given.weight_bits)) {
        return Err(refuse(
            format!("weight_bits = {}", given.weight_bits),
            format!(
                "the chip's formats have {:?} weight bits",
                fixed.weight_bits
            ),
        ));
    }
    if !(low..=high).contains(&i32::from(given.weight_exponent)) {
        return Err(refuse(
            format!("weight_exp = {}", given.weight_exponent),
            format!("the chip's weight exponents run from {low} to {high}"),
        ));
    }
    let factor = projection.factor * scale;
    let unit = weight_unit(i32::from(given.weight_exponent), fixed);
    let sign = given
        .sign
        .unwrap_or_else(|| weight_sign(projection.weights, factor));
    let format = SynapseFormat {
        weight_bits: given.weight_bits,
        sign,
        weight_exponent: given.weight_exponent,
        index_bits: 0,
        delay_bits,
    };
    let step = fixed.weight_step(&format);
    let (smallest, largest) = fixed.weight_range(sign);
    let store = |w: f64| -> Result<i16, ChipError> {
        let m = w * factor / unit;
        let fits = m.fract() == 0.0
            && m >= f64::from(smallest)
            && m <= f64::from(largest)
            && (m as i32) % step == 0;
        if fits {
            Ok(m as i16)
        } else {
            Err(refuse(
                format!("the stored weight {m}"),
                format!(
                    "with {} weight bits and the {sign:?} sign mode, a stored weight is a whole \
                     multiple of {step} from {smallest} to {largest}",
                    given.weight_bits
                ),
            ))
        }
    };
    let (stored, weight) = match projection.weights {
        PerSynapse::Constant(w) => {
            let m = store(*w)?;
            let exponent = i32::from(given.weight_exponent);
            let effective = effective_weight(i32::from(m), exponent, fixed) as f64;
            let row = ParameterRow::new(
                "weight (chip units added to u)",
                w * factor,
                i64::from(m),
                effective,
            );
            (PerSynapse::Constant(m), Some(row))
        }
        PerSynapse::Varying(ws) => (
            PerSynapse::Varying(ws.iter().map(|&w| store(w)).collect::<Result<_, _>>()?),
            None,
        ),
    };
    let report = ProjectionReport {
        projection: projection.name.to_string(),
        synapses: projection.synapses,
        sign_mode: sign,
        weight_bits: given.weight_bits,
        weight_exponent: given.weight_exponent,
        delay_bits,
        weight,
        max_relative_error: 0.0,
        rms_relative_error: 0.0,
        clipped: 0,
        rounded_to_zero: 0,
    };
    Ok((format, stored, report))
}
