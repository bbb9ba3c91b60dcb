//! Host spike sources: populations whose model only emits spikes (Poisson
//! and spike-time sources) are driven into the mesh by the host rather
//! than mapped onto compartments.

use super::affine::affine;
use super::error::ChipError;
use neurc_ir::chip::SourceKind;
use neurc_ir::{
    Distribution, Expr, Func, NeuronModel, NodeId, ParamValue, Population, Var, step_of,
};

/// What drives a source population, and its expected spikes per step per
/// neuron over a run of `steps` steps (for placement).
pub fn source_kind(
    node: NodeId,
    population: &Population,
    model: &NeuronModel,
    dt: f64,
    steps: f64,
    target: &str,
) -> Result<(SourceKind, f64), ChipError> {
    let unsupported = |reason: &str| ChipError::Unsupported {
        node,
        population: population.name.clone(),
        model: model.name.clone(),
        target: target.to_string(),
        reason: reason.to_string(),
    };
    let param = |p: u32| match population.params.get(p as usize) {
        Some(ParamValue::Scalar(Distribution::Constant(c))) => *c,
        _ => f64::NAN,
    };
    match &model.spike {
        Some(Expr::Call(Func::Poisson, args)) if args.len() == 1 => {
            let mean = affine(&args[0], model, &param, dt)
                .ok()
                .filter(|f| f.terms.is_empty())
                .map(|f| f.constant)
                .filter(|m| m.is_finite() && *m >= 0.0)
                .ok_or_else(|| {
                    unsupported(
                        "its Poisson mean is not a fixed, non-negative number per population",
                    )
                })?;
            let kind = SourceKind::Poisson {
                mean_per_step: vec![mean; population.size as usize],
            };
            Ok((kind, mean))
        }
        Some(Expr::Call(Func::At, args)) => {
            let Some(Expr::Var(Var::Param(p))) = args.first() else {
                return Err(unsupported("its schedule is not a parameter"));
            };
            let Some(ParamValue::Schedule(lists)) = population.params.get(*p as usize) else {
                return Err(unsupported("its schedule is not a list of times"));
            };
            let lists: Vec<Vec<u64>> = lists
                .iter()
                .map(|times| {
                    let mut steps: Vec<u64> = times.iter().map(|&t| step_of(t, dt)).collect();
                    steps.sort_unstable();
                    steps.dedup();
                    steps
                })
                .collect();
            let spikes: usize = lists.iter().map(Vec::len).sum();
            let per_list = spikes as f64 / lists.len().max(1) as f64;
            Ok((
                SourceKind::Steps { steps: lists },
                per_list / steps.max(1.0),
            ))
        }
        _ => Err(unsupported(
            "a host source must spike by `poisson(mean)` or `at(times)`",
        )),
    }
}
