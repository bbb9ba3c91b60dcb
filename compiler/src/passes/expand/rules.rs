//! Rules that decide each pair on its own: `all_to_all`, `one_to_one`,
//! `bernoulli` and `distance`. Each generates its table row block by row
//! block.

use super::csr::{self, Csr, RowsBlock};
use super::layout::{self, LayoutProblem};
use super::random::Domain;
use super::{Context, ExpandError};
use neurc_ir::{Expr, Func, Population, Var};
use std::convert::Infallible;

/// `one_to_one` needs ranges of one length.
pub(super) fn check_one_to_one(context: &Context) -> Result<(), ExpandError> {
    let (pre_len, post_len) = (context.pre().len(), context.post().len());
    if pre_len != post_len {
        return Err(ExpandError::LengthMismatch {
            projection: context.id,
            name: context.name(),
            pre_len,
            post_len,
        });
    }
    Ok(())
}

/// `bernoulli` needs a probability.
pub(super) fn check_bernoulli(context: &Context, p: f64) -> Result<(), ExpandError> {
    if !(0.0..=1.0).contains(&p) {
        return Err(ExpandError::InvalidProbability {
            projection: context.id,
            name: context.name(),
            p,
        });
    }
    Ok(())
}

/// `distance` needs positions for both populations and a probability that
/// reads nothing but the distance (and `dt`) and draws no random numbers.
pub(super) fn check_distance(context: &Context, probability: &Expr) -> Result<(), ExpandError> {
    for population in [context.pre_population, context.post_population] {
        check_layout(context, population)?;
    }
    let mut problem = None;
    probability.walk(&mut |e| match e {
        Expr::Var(Var::Distance | Var::Dt) => {}
        Expr::Var(_) => problem = Some("reads a variable other than the distance"),
        Expr::Call(Func::Rand | Func::Randn | Func::Poisson | Func::At, _) => {
            problem = Some("calls a random or schedule function")
        }
        _ => {}
    });
    match problem {
        Some(problem) => Err(ExpandError::InvalidDistanceProbability {
            projection: context.id,
            name: context.name(),
            problem: problem.to_string(),
        }),
        None => Ok(()),
    }
}

/// One population's layout, as [`check_distance`] needs it.
fn check_layout(context: &Context, population: &Population) -> Result<(), ExpandError> {
    layout::check(population).map_err(|problem| match problem {
        LayoutProblem::Missing => ExpandError::MissingLayout {
            projection: context.id,
            name: context.name(),
            population: population.name.clone(),
        },
        LayoutProblem::GridTooSmall { capacity } => ExpandError::GridTooSmall {
            projection: context.id,
            name: context.name(),
            population: population.name.clone(),
            capacity,
            size: population.size,
        },
    })
}

/// Every pre neuron to every post neuron.
pub(super) fn all_to_all(context: &Context) -> Csr {
    let post = context.post();
    let row_length = |row| u64::from(post.len() - u32::from(context.self_column(row).is_some()));
    csr::fill_rows(context.pre().len(), row_length, |_, rows, targets| {
        let row_targets = rows.flat_map(|row| {
            let skip = context.self_column(row).map(|c| c + post.start);
            (post.start..post.end).filter(move |&t| Some(t) != skip)
        });
        for (slot, target) in targets.iter_mut().zip(row_targets) {
            *slot = target;
        }
    })
}

/// Pre neuron `i` to post neuron `i` of the ranges (checked to be of one
/// length).
pub(super) fn one_to_one(context: &Context) -> Csr {
    let post = context.post();
    let connects = |row: u32| context.self_column(row) != Some(row);
    csr::fill_rows(
        context.pre().len(),
        |row| u64::from(connects(row)),
        |_, rows, targets| {
            for (slot, row) in targets.iter_mut().zip(rows.filter(|&row| connects(row))) {
                *slot = post.start + row;
            }
        },
    )
}

/// Each pair with probability `p` (checked to be in `[0, 1]`), by geometric
/// skipping along each row: the gap to the next synapse is drawn directly,
/// so the cost is proportional to the synapses, not the pairs. The excluded
/// self pair is skipped over, not redrawn, so every other pair keeps
/// probability `p`.
pub(super) fn bernoulli(context: &Context, p: f64) -> Csr {
    let post = context.post();
    let columns = u64::from(post.len());
    let ln_q = (-p).ln_1p();
    let Ok(csr) = csr::collect_rows::<Infallible>(context.pre().len(), |block, rows| {
        let mut out = RowsBlock::default();
        if p == 0.0 {
            out.lengths.resize(rows.len(), 0);
            return Ok(out);
        }
        let mut stream = context.stream(Domain::Rule, block);
        let expected = (p * columns as f64 * rows.len() as f64) as usize;
        out.targets.reserve(expected + expected / 16);
        for row in rows {
            let before = out.targets.len();
            let skip = context.self_column(row).map(u64::from);
            let mut column = stream.geometric(ln_q);
            while column < columns {
                if Some(column) != skip {
                    out.targets.push(post.start + column as u32);
                }
                column = column
                    .saturating_add(1)
                    .saturating_add(stream.geometric(ln_q));
            }
            out.lengths.push((out.targets.len() - before) as u32);
        }
        Ok(out)
    });
    csr
}

/// Each pair with the probability `probability(distance)`, clamped into
/// `[0, 1]`; one uniform draw per pair whose probability is strictly
/// between 0 and 1. The cost is proportional to the pairs.
pub(super) fn distance(context: &Context, probability: &Expr) -> Result<Csr, ExpandError> {
    let pre_positions = layout::positions(context.pre_population, context.pre_node, context.seed);
    let post_positions =
        layout::positions(context.post_population, context.post_node, context.seed);
    let (pre, post) = (context.pre(), context.post());
    csr::collect_rows(pre.len(), |block, rows| {
        let mut out = RowsBlock::default();
        let mut stream = context.stream(Domain::Rule, block);
        for row in rows {
            let before = out.targets.len();
            let from = pre_positions[(pre.start + row) as usize];
            let skip = context.self_column(row).map(|c| c + post.start);
            for target in (post.start..post.end).filter(|&t| Some(t) != skip) {
                let d = layout::distance(from, post_positions[target as usize]);
                let p = probability_at(context, probability, d)?;
                if p >= 1.0 || (p > 0.0 && stream.unit() < p) {
                    out.targets.push(target);
                }
            }
            out.lengths.push((out.targets.len() - before) as u32);
        }
        Ok(out)
    })
}

/// The probability at distance `d`, which must be a number.
pub(super) fn probability_at(
    context: &Context,
    probability: &Expr,
    d: f64,
) -> Result<f64, ExpandError> {
    let dt = context.dt;
    let value = probability.eval(&|var| match var {
        Var::Distance => d,
        Var::Dt => dt,
        _ => f64::NAN,
    });
    match value {
        Some(p) if !p.is_nan() => Ok(p),
        _ => Err(ExpandError::InvalidDistanceProbability {
            projection: context.id,
            name: context.name(),
            problem: format!("is not a number at a distance of {d} m"),
        }),
    }
}
