//! How many synapses and bytes each projection will take, computed without
//! expanding it, so that a network too large for the machine is refused
//! before anything is allocated.

use super::random::Domain;
use super::rules::probability_at;
use super::{Context, csr, degree, layout};
use neurc_ir::{Expr, Network, ProjId, Rule};

/// Pairs evaluated to estimate a distance rule: all of them up to this
/// many, otherwise this many drawn at random.
const DISTANCE_SAMPLES: u64 = 1 << 16;

/// Standard deviations of margin for rules whose count is random: a count
/// above the mean by more than 5σ has odds below one in three million.
const MARGIN_SIGMAS: f64 = 5.0;

/// The size of one projection's expansion.
#[derive(Clone, PartialEq, Debug)]
pub struct ProjectionEstimate {
    /// The projection.
    pub projection: ProjId,
    /// Its name.
    pub name: String,
    /// The expected number of synapses.
    pub expected_synapses: f64,
    /// The number planned for: exact where the rule fixes it, otherwise the
    /// expectation plus 5σ of its binomial spread (capped at the number of
    /// pairs), so the bytes below are a bound that holds in practice.
    pub synapses: u64,
    /// Whether `synapses` is the exact count.
    pub exact: bool,
    /// Bytes of the finished table: 4 per target, 8 per row offset, and 8
    /// per weight and 2 per delay when they vary.
    pub held_bytes: u64,
    /// Bytes at the worst moment of its expansion: the table plus the
    /// rule's transient buffers (per-block buffers, synapses filed by row
    /// bucket, pair codes or sort keys, depending on the rule).
    pub peak_bytes: u64,
}

/// Estimates every projection, in id order, without allocating any table.
///
/// Distance rules are estimated from their probability at up to 65 536
/// pairs (every pair if there are no more, else pairs drawn from the
/// network seed) with a margin of 5σ for both the sampling and the
/// binomial spread. A projection that cannot be expanded (no neurons at an
/// endpoint, a range out of bounds, a population without positions) is
/// estimated at zero synapses; [`expand`](super::expand) reports why.
pub fn estimate(network: &Network) -> Vec<ProjectionEstimate> {
    network
        .projections()
        .map(
            |(id, pre, post, projection)| match Context::new(network, id, pre, post, projection) {
                Ok(context) => estimate_one(&context),
                Err(_) => ProjectionEstimate {
                    projection: id,
                    name: projection.name.clone(),
                    expected_synapses: 0.0,
                    synapses: 0,
                    exact: false,
                    held_bytes: 0,
                    peak_bytes: 0,
                },
            },
        )
        .collect()
}

/// Half the machine's physical memory (`MemTotal` in `/proc/meminfo`), or
/// 8 GiB where that cannot be read: room for the tables with the rest left
/// to the simulation's state, the operating system and other programs.
pub fn default_memory_limit() -> u64 {
    const FALLBACK: u64 = 8 << 30;
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|text| mem_total_bytes(&text))
        .map_or(FALLBACK, |total| total / 2)
}

/// `MemTotal` in bytes from the text of `/proc/meminfo` (which gives kB).
fn mem_total_bytes(meminfo: &str) -> Option<u64> {
    let line = meminfo.lines().find(|l| l.starts_with("MemTotal:"))?;
    let mut fields = line.split_whitespace().skip(1);
    let value: u64 = fields.next()?.parse().ok()?;
    match fields.next() {
        Some("kB") => value.checked_mul(1024),
        _ => None,
    }
}

/// A synapse count: its mean and variance, and whether it is exact.
struct Count {
    mean: f64,
    variance: f64,
    exact: bool,
}

impl Count {
    fn exact(synapses: u64) -> Self {
        Count {
            mean: synapses as f64,
            variance: 0.0,
            exact: true,
        }
    }
}

/// Estimates one projection whose endpoints are valid.
fn estimate_one(context: &Context) -> ProjectionEstimate {
    let projection = context.projection;
    let (pre, post) = (context.pre(), context.post());
    let eligible = context.eligible_pairs();
    let mut weights_vary = projection.weight.as_constant().is_none();
    let delays_vary = projection.delay.as_constant().is_none()
        || matches!(
            &projection.rule,
            Rule::List {
                delays: Some(_),
                ..
            }
        );
    let count = match &projection.rule {
        Rule::AllToAll => Count::exact(eligible),
        Rule::OneToOne => {
            let none = context.exclude_self && pre.start == post.start;
            Count::exact(if none {
                0
            } else {
                u64::from(pre.len().min(post.len()))
            })
        }
        Rule::Bernoulli { p } => {
            let p = if (0.0..=1.0).contains(p) { *p } else { 0.0 };
            Count {
                mean: eligible as f64 * p,
                variance: eligible as f64 * p * (1.0 - p),
                exact: false,
            }
        }
        Rule::Distance { probability } => distance_count(context, probability, eligible),
        Rule::FixedIndegree { k } => Count::exact(u64::from(post.len()) * u64::from(*k)),
        Rule::FixedOutdegree { k } => Count::exact(u64::from(pre.len()) * u64::from(*k)),
        Rule::FixedTotal { n } => Count::exact(*n),
        Rule::Dense { cols, entries } => {
            let (synapses, all_equal) = dense_count(context, *cols, entries);
            weights_vary |= !all_equal;
            Count::exact(synapses)
        }
        Rule::List { pairs, weights, .. } => {
            weights_vary |= weights.is_some();
            let selfs = pairs
                .iter()
                .filter(|&&(i, j)| context.self_column(i) == Some(j))
                .count();
            Count::exact((pairs.len() - selfs) as u64)
        }
    };
    let synapses = if count.exact {
        count.mean as u64
    } else {
        let bound = count.mean + MARGIN_SIGMAS * count.variance.sqrt();
        (bound.ceil() as u64).min(eligible)
    };
    let rows = u64::from(pre.len()) + 1;
    let per_synapse = 4 + if weights_vary { 8 } else { 0 } + if delays_vary { 2 } else { 0 };
    let held_bytes = synapses
        .saturating_mul(per_synapse)
        .saturating_add(8 * rows);
    let transient = match &projection.rule {
        Rule::AllToAll | Rule::OneToOne | Rule::FixedOutdegree { .. } => 0,
        Rule::Bernoulli { .. } => synapses.saturating_mul(4),
        Rule::Distance { .. } => {
            let positions =
                u64::from(context.pre_population.size) + u64::from(context.post_population.size);
            synapses.saturating_mul(4).saturating_add(24 * positions)
        }
        // Counts per bucket of every block, row counts per counting thread
        // or one wave of filed blocks, and each thread's sampler.
        Rule::FixedIndegree { k } => {
            let shape = csr::ColumnShape {
                rows: pre.len(),
                columns: post.len(),
                per_column: *k,
            };
            let sampler = degree::sampler_bytes(pre.len(), projection.multapses);
            shape.transient_bytes(rayon::current_num_threads(), sampler)
        }
        // Pair codes, and a second batch of codes while drawing distinct
        // pairs.
        Rule::FixedTotal { .. } if projection.multapses => synapses.saturating_mul(8),
        Rule::FixedTotal { .. } => synapses.saturating_mul(16),
        // The entries of nonzero pairs, or the sort order of the list.
        Rule::Dense { .. } | Rule::List { .. } => synapses.saturating_mul(8),
    };
    ProjectionEstimate {
        projection: context.id,
        name: context.name(),
        expected_synapses: count.mean,
        synapses,
        exact: count.exact,
        held_bytes,
        peak_bytes: held_bytes.saturating_add(transient),
    }
}

/// Nonzero entries off the excluded diagonal, and whether they are all
/// equal (then a constant weight stays constant).
fn dense_count(context: &Context, cols: u32, entries: &[f64]) -> (u64, bool) {
    let (mut synapses, mut first, mut all_equal) = (0u64, None, true);
    if cols == 0 {
        return (0, true);
    }
    for (row, row_entries) in (0..).zip(entries.chunks(cols as usize)) {
        let skip = context.self_column(row);
        for (column, &entry) in (0..).zip(row_entries) {
            if entry != 0.0 && Some(column) != skip {
                synapses += 1;
                all_equal &= *first.get_or_insert(entry) == entry;
            }
        }
    }
    (synapses, all_equal)
}

/// The count of a distance rule from its probability at every pair, or at
/// [`DISTANCE_SAMPLES`] random pairs. A probability that cannot be
/// evaluated counts as zero here; the expansion reports it.
fn distance_count(context: &Context, probability: &Expr, eligible: u64) -> Count {
    let unknown = Count {
        mean: 0.0,
        variance: 0.0,
        exact: false,
    };
    if layout::check(context.pre_population).is_err()
        || layout::check(context.post_population).is_err()
        || eligible == 0
    {
        return unknown;
    }
    let pre_positions = layout::positions(context.pre_population, context.pre_node, context.seed);
    let post_positions =
        layout::positions(context.post_population, context.post_node, context.seed);
    let (pre, post) = (context.pre(), context.post());
    let p = |row: u32, column: u32| -> f64 {
        let from = pre_positions[(pre.start + row) as usize];
        let to = post_positions[(post.start + column) as usize];
        probability_at(context, probability, layout::distance(from, to))
            .map_or(0.0, |p| p.clamp(0.0, 1.0))
    };
    let all = u64::from(pre.len()) * u64::from(post.len());
    if all <= DISTANCE_SAMPLES {
        let (mut mean, mut variance) = (0.0, 0.0);
        for row in 0..pre.len() {
            for column in (0..post.len()).filter(|&c| context.self_column(row) != Some(c)) {
                let p = p(row, column);
                mean += p;
                variance += p * (1.0 - p);
            }
        }
        return Count {
            mean,
            variance,
            exact: false,
        };
    }
    let mut stream = context.stream(Domain::Estimate, 0);
    let mut sum = 0.0;
    let mut taken = 0u64;
    while taken < DISTANCE_SAMPLES {
        let code = stream.below(all);
        let (row, column) = (
            (code / u64::from(post.len())) as u32,
            (code % u64::from(post.len())) as u32,
        );
        if context.self_column(row) != Some(column) {
            sum += p(row, column);
            taken += 1;
        }
    }
    let samples = DISTANCE_SAMPLES as f64;
    let mean_p = sum / samples;
    // With no hit in the sample the spread is taken as that of one hit, so
    // a rare but nonzero kernel still gets a margin.
    let spread_p = mean_p.max(1.0 / samples);
    let pairs = eligible as f64;
    Count {
        mean: mean_p * pairs,
        variance: pairs * spread_p * (1.0 - spread_p)
            + pairs * pairs * spread_p * (1.0 - spread_p) / samples,
        exact: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_mem_total() {
        let text = "MemTotal:       24567890 kB\nMemFree:  1 kB\n";
        assert_eq!(mem_total_bytes(text), Some(24_567_890 * 1024));
        assert_eq!(mem_total_bytes("nothing"), None);
        assert!(default_memory_limit() > 0);
    }
}
