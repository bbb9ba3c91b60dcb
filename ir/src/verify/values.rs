//! Checks of the values a population or projection draws from: value
//! distributions and spike schedules. Each check returns the problems it
//! finds as messages for the caller to prefix with what the value is
//! (`weight: `, `parameter tau_m: `).

use crate::model::{Distribution, ParamValue};
use crate::verify::counted;

/// Problems of a distribution: non-finite numbers and empty or inverted
/// supports, which would make every draw NaN or fail.
pub(super) fn distribution_problems(distribution: &Distribution) -> Vec<String> {
    let mut problems = Vec::new();
    collect_distribution_problems(distribution, &mut problems);
    problems
}

fn collect_distribution_problems(distribution: &Distribution, problems: &mut Vec<String>) {
    match distribution {
        Distribution::Constant(value) => require_finite(problems, "constant", *value),
        Distribution::Uniform { low, high } => {
            require_finite(problems, "uniform low", *low);
            require_finite(problems, "uniform high", *high);
            if low > high {
                problems.push(format!("uniform low {low} exceeds high {high}"));
            }
        }
        Distribution::Normal { mean, sd } => {
            require_finite(problems, "normal mean", *mean);
            require_finite(problems, "normal sd", *sd);
            if *sd < 0.0 {
                problems.push(format!("normal sd {sd} is negative"));
            }
        }
        Distribution::LogNormal { median, sigma } => {
            require_finite(problems, "lognormal median", *median);
            require_finite(problems, "lognormal sigma", *sigma);
            if *sigma < 0.0 {
                problems.push(format!("lognormal sigma {sigma} is negative"));
            }
        }
        Distribution::Clipped { inner, low, high } => {
            require_finite(problems, "clip low", *low);
            require_finite(problems, "clip high", *high);
            if low > high {
                problems.push(format!("clip low {low} exceeds high {high}"));
            }
            collect_distribution_problems(inner, problems);
        }
    }
}

fn require_finite(problems: &mut Vec<String>, what: &str, value: f64) {
    if !value.is_finite() {
        problems.push(format!("{what} {value} is not finite"));
    }
}

/// The problem of a delay distribution centred below zero. A distribution
/// with unbounded support (normal) may still draw a negative delay; the
/// expansion pass rounds delays up to one step, so only the location is
/// checked here.
pub(super) fn negative_delay_problem(distribution: &Distribution) -> Option<String> {
    let (what, value) = match distribution {
        Distribution::Constant(value) => ("constant", *value),
        Distribution::Uniform { low, .. } => ("uniform low", *low),
        Distribution::Normal { mean, .. } => ("normal mean", *mean),
        Distribution::LogNormal { median, .. } => ("lognormal median", *median),
        Distribution::Clipped { low, .. } => ("clip low", *low),
    };
    (value < 0.0).then(|| format!("{what} {value} s is negative"))
}

/// Problems of a spike schedule given to a population of `size` neurons
/// (`None` for a model default, which any population may receive): one
/// list shared by every neuron or one per neuron, each of finite,
/// non-negative times in ascending order, so an executor can walk it with
/// one cursor per neuron.
pub(super) fn schedule_problems(lists: &[Vec<f64>], size: Option<u32>) -> Vec<String> {
    let mut problems = Vec::new();
    match size {
        Some(size) if lists.len() != 1 && lists.len() != size as usize => problems.push(format!(
            "has {}; expected 1 shared list or one per neuron ({size})",
            counted(lists.len(), "spike-time list")
        )),
        None if lists.is_empty() => {
            problems.push("has no spike-time list; expected at least one".to_string());
        }
        _ => {}
    }
    for (index, times) in lists.iter().enumerate() {
        if let Some(bad) = times.iter().find(|t| !(t.is_finite() && **t >= 0.0)) {
            problems.push(format!(
                "spike-time list {index} holds {bad}; times must be finite and non-negative"
            ));
        }
        if let Some(pair) = times.windows(2).find(|pair| pair[0] > pair[1]) {
            problems.push(format!(
                "spike-time list {index} is not ascending ({} before {})",
                pair[0], pair[1]
            ));
        }
    }
    problems
}

/// Problems of a parameter value; `size` as for [`schedule_problems`].
pub(super) fn param_value_problems(value: &ParamValue, size: Option<u32>) -> Vec<String> {
    match value {
        ParamValue::Scalar(distribution) => distribution_problems(distribution),
        ParamValue::Schedule(lists) => schedule_problems(lists, size),
    }
}

/// Whether the value is a spike schedule rather than a number.
pub(super) fn is_schedule(value: &ParamValue) -> bool {
    matches!(value, ParamValue::Schedule(_))
}
