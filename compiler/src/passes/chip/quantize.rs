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
use neurc_ir::{NodeId, PerSynapse, ProjId};
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
    let dv = dv.clamp(0.0, one - 1.0) as u32;
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
    let mut scale = target_vth * shift / neuron.threshold;
    while scale * largest_weight > weight_max || scale * bias_per_step.abs() > bias_max {
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
    let vth = (neuron.threshold * scale / shift).round() as u32;
    let (bias_mantissa, bias_exponent) =
        bias_format(bias_per_step * scale, fixed, bias_low, bias_high);
    let bias_effective = f64::from(bias_mantissa) * f64::from(1u32 << bias_exponent);
    let refractory_delay = neuron.refractory_steps + 1;
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
        let (format, stored, row) = quantize_weights(projection, scale, delay_bits, fixed);
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

fn max_delay(values: &PerSynapse<u16>) -> u16 {
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
    let (min, max) = values
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &x| {
            (lo.min(x), hi.max(x))
        });
    let sign = if min >= 0.0 {
        SignMode::Excitatory
    } else if max <= 0.0 {
        SignMode::Inhibitory
    } else {
        SignMode::Mixed
    };
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
