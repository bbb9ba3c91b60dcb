//! Per-synapse weights and delays: stored once when constant, otherwise
//! drawn in table order from streams of fixed blocks of synapses, so they
//! depend only on the table and the seed.

use super::random::{Domain, Stream};
use super::{Context, ExpandError};
use neurc_ir::{Distribution, PerSynapse};
use rayon::prelude::*;

/// Synapses per weight or delay stream.
const VALUE_BLOCK: usize = 1 << 16;

/// Where a rule's weights come from.
pub(super) enum RuleWeights {
    /// The projection's weight distribution.
    Distribution,
    /// The distribution scaled per synapse (`dense` entries, `from_file`
    /// weight columns).
    Scaled(Vec<f64>),
}

/// The weights of a table of `synapses` synapses; every one must be finite.
pub(super) fn weights(
    context: &Context,
    synapses: usize,
    rule_weights: RuleWeights,
) -> Result<PerSynapse<f64>, ExpandError> {
    let distribution = &context.projection.weight;
    let invalid = |weight| ExpandError::InvalidWeight {
        projection: context.id,
        name: context.name(),
        weight,
    };
    let finite = |w: f64| if w.is_finite() { Ok(w) } else { Err(w) };
    let check_all = |values: Vec<f64>| match values.iter().find(|w| !w.is_finite()) {
        Some(&bad) => Err(invalid(bad)),
        None => Ok(values),
    };
    match (rule_weights, distribution.as_constant()) {
        (RuleWeights::Distribution, Some(weight)) => {
            finite(weight).map(PerSynapse::Constant).map_err(invalid)
        }
        (RuleWeights::Distribution, None) => {
            draw(context, Domain::Weight, distribution, synapses, finite)
                .map(PerSynapse::Varying)
                .map_err(invalid)
        }
        (RuleWeights::Scaled(mut scales), Some(weight)) => {
            scales.iter_mut().for_each(|s| *s *= weight);
            let values = check_all(scales)?;
            match values.first() {
                None => Ok(PerSynapse::Constant(weight)),
                Some(&first) if values.iter().all(|&w| w == first) => {
                    Ok(PerSynapse::Constant(first))
                }
                Some(_) => Ok(PerSynapse::Varying(values)),
            }
        }
        (RuleWeights::Scaled(scales), None) => {
            let mut values =
                draw(context, Domain::Weight, distribution, synapses, Ok).map_err(invalid)?;
            values.iter_mut().zip(&scales).for_each(|(w, s)| *w *= s);
            check_all(values).map(PerSynapse::Varying)
        }
    }
}

/// The delays in steps of a table of `synapses` synapses, from the file if
/// it gives them, else from the projection's distribution.
pub(super) fn delays(
    context: &Context,
    synapses: usize,
    given: Option<Vec<f64>>,
) -> Result<PerSynapse<u16>, ExpandError> {
    let dt = context.dt;
    let invalid = |delay_seconds| ExpandError::InvalidDelay {
        projection: context.id,
        name: context.name(),
        delay_seconds,
        dt_seconds: dt,
    };
    let convert = |seconds| delay_steps(seconds, dt).ok_or(seconds);
    let distribution = &context.projection.delay;
    match (given, distribution.as_constant()) {
        (Some(values), _) => values
            .into_iter()
            .map(convert)
            .collect::<Result<Vec<_>, _>>()
            .map(PerSynapse::Varying),
        (None, Some(delay)) => convert(delay).map(PerSynapse::Constant),
        (None, None) => {
            draw(context, Domain::Delay, distribution, synapses, convert).map(PerSynapse::Varying)
        }
    }
    .map_err(invalid)
}

/// A delay in whole steps: `max(1, round(seconds / dt))`, rounding half
/// away from zero. `None` for a negative or NaN delay, a step that is not
/// positive and finite, or more than `u16::MAX` steps.
pub(super) fn delay_steps(seconds: f64, dt: f64) -> Option<u16> {
    if !(dt > 0.0 && dt.is_finite() && seconds >= 0.0) {
        return None;
    }
    let steps = (seconds / dt).round();
    (steps <= f64::from(u16::MAX)).then(|| (steps as u16).max(1))
}

/// One value per synapse drawn from `distribution` and converted; the
/// first value (in table order) that fails to convert is returned instead.
fn draw<T: Copy + Default + Send>(
    context: &Context,
    domain: Domain,
    distribution: &Distribution,
    synapses: usize,
    convert: impl Fn(f64) -> Result<T, f64> + Sync,
) -> Result<Vec<T>, f64> {
    let mut values = vec![T::default(); synapses];
    let failures: Vec<Option<f64>> = values
        .par_chunks_mut(VALUE_BLOCK)
        .enumerate()
        .map(|(block, chunk)| {
            let mut stream = context.stream(domain, block as u64);
            for slot in chunk {
                match convert(sample(distribution, &mut stream)) {
                    Ok(value) => *slot = value,
                    Err(bad) => return Some(bad),
                }
            }
            None
        })
        .collect();
    match failures.into_iter().flatten().next() {
        Some(bad) => Err(bad),
        None => Ok(values),
    }
}

/// What a per-neuron value is, which keys its stream.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum NeuronValue {
    /// The value of model parameter `k`.
    Param(u32),
    /// The initial value of state variable `k`.
    InitialState(u32),
}

/// One value per neuron of the population with node index `node`, drawn
/// from `distribution` by one stream keyed by `(seed, node, what)`, in
/// neuron order. Constants are not drawn.
pub fn neuron_values(
    seed: u64,
    node: u32,
    what: NeuronValue,
    distribution: &Distribution,
    neurons: u32,
) -> Vec<f64> {
    if let Some(value) = distribution.as_constant() {
        return vec![value; neurons as usize];
    }
    let block = match what {
        NeuronValue::Param(k) => u64::from(k),
        NeuronValue::InitialState(k) => (1 << 32) | u64::from(k),
    };
    let mut stream = Stream::new(seed, Domain::NeuronValues, u64::from(node), block);
    (0..neurons)
        .map(|_| sample(distribution, &mut stream))
        .collect()
}

/// One draw. `Clipped` clamps the inner draw (it does not redraw), so the
/// bounds carry the probability mass outside them.
fn sample(distribution: &Distribution, stream: &mut Stream) -> f64 {
    match distribution {
        Distribution::Constant(value) => *value,
        Distribution::Uniform { low, high } => low + (high - low) * stream.unit(),
        Distribution::Normal { mean, sd } => mean + sd * stream.normal(),
        Distribution::LogNormal { median, sigma } => median * (sigma * stream.normal()).exp(),
        Distribution::Clipped { inner, low, high } => sample(inner, stream).max(*low).min(*high),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_round_half_away_from_zero_and_at_least_one() {
        let dt = 1e-4;
        assert_eq!(delay_steps(1.5e-3, dt), Some(15));
        assert_eq!(delay_steps(0.04e-3, dt), Some(1));
        assert_eq!(delay_steps(0.0, dt), Some(1));
        assert_eq!(delay_steps(0.25, 0.5), Some(1));
        assert_eq!(delay_steps(0.75, 0.5), Some(2));
        assert_eq!(delay_steps(6.5535, dt), Some(u16::MAX));
        assert_eq!(delay_steps(6.6, dt), None);
        assert_eq!(delay_steps(-1e-3, dt), None);
        assert_eq!(delay_steps(f64::NAN, dt), None);
        assert_eq!(delay_steps(1e-3, 0.0), None);
    }
}
