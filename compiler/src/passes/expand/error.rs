//! The ways an expansion can fail. Every variant names the projection (its
//! id, to find its span in `network.spans.edges`, and its name, to say it).

use neurc_ir::ProjId;
use thiserror::Error;

/// Why a projection could not be expanded.
#[derive(Clone, PartialEq, Debug, Error)]
pub enum ExpandError {
    /// The synapse tables would need more memory than allowed; nothing was
    /// allocated.
    #[error(
        "expanding the connectivity needs about {} but the limit is {}; the largest projection is `{name}`",
        human_bytes(*estimated_bytes),
        human_bytes(*limit_bytes)
    )]
    TooLarge {
        /// The projection with the largest peak estimate.
        projection: ProjId,
        /// Its name.
        name: String,
        /// The whole network's estimate: every table held plus the largest
        /// transient buffer of one projection.
        estimated_bytes: u64,
        /// The limit it exceeds.
        limit_bytes: u64,
    },
    /// An endpoint is a region or modulator, which has no neurons.
    #[error("`{name}` connects `{node}`, which has no neurons")]
    NotNeurons {
        /// The projection.
        projection: ProjId,
        /// Its name.
        name: String,
        /// The endpoint's name.
        node: String,
    },
    /// A neuron range reaches past the end of its population.
    #[error("the range {start}..{end} of `{name}` exceeds the {size} neurons of `{population}`")]
    RangeOutOfBounds {
        /// The projection.
        projection: ProjId,
        /// Its name.
        name: String,
        /// The population the range is in.
        population: String,
        /// First neuron of the range.
        start: u32,
        /// One past its last neuron.
        end: u32,
        /// Number of neurons in the population.
        size: u32,
    },
    /// `one_to_one` between ranges of different lengths.
    #[error(
        "one_to_one needs ranges of equal length, but `{name}` connects {pre_len} to {post_len} neurons"
    )]
    LengthMismatch {
        /// The projection.
        projection: ProjId,
        /// Its name.
        name: String,
        /// Length of the pre range.
        pre_len: u32,
        /// Length of the post range.
        post_len: u32,
    },
    /// A `bernoulli` probability outside `[0, 1]`.
    #[error("bernoulli p = {p} of `{name}` is not a probability in [0, 1]")]
    InvalidProbability {
        /// The projection.
        projection: ProjId,
        /// Its name.
        name: String,
        /// The probability given.
        p: f64,
    },
    /// A fixed degree or total larger than the candidates it is drawn from.
    #[error(
        "{rule} {parameter} = {requested} exceeds the {available} possible {candidates} of `{name}`{}",
        if *multapses { "" } else { " without multapses" }
    )]
    TooManySynapses {
        /// The projection.
        projection: ProjId,
        /// Its name.
        name: String,
        /// The rule (`fixed_indegree`, …).
        rule: &'static str,
        /// Its parameter (`k` or `n`).
        parameter: &'static str,
        /// The value asked for.
        requested: u64,
        /// How many candidates there are (for the neuron with the fewest).
        available: u64,
        /// What the candidates are: `sources`, `targets` or `pairs`.
        candidates: &'static str,
        /// Whether candidates may be drawn more than once.
        multapses: bool,
    },
    /// A distance rule on a population without positions.
    #[error(
        "the distance rule of `{name}` needs neuron positions, but `{population}` has no layout"
    )]
    MissingLayout {
        /// The projection.
        projection: ProjId,
        /// Its name.
        name: String,
        /// The population without a layout.
        population: String,
    },
    /// A grid layout with fewer places than neurons.
    #[error(
        "the grid of `{population}` has {capacity} places for its {size} neurons (needed by `{name}`)"
    )]
    GridTooSmall {
        /// The projection.
        projection: ProjId,
        /// Its name.
        name: String,
        /// The population.
        population: String,
        /// Places in the grid (the product of its shape).
        capacity: u64,
        /// Neurons in the population.
        size: u32,
    },
    /// A distance probability that cannot be evaluated.
    #[error("the connection probability of `{name}` {problem}")]
    InvalidDistanceProbability {
        /// The projection.
        projection: ProjId,
        /// Its name.
        name: String,
        /// What is wrong, completing the sentence ("is NaN at …").
        problem: String,
    },
    /// A dense matrix whose shape differs from the projection's.
    #[error(
        "the dense matrix of `{name}` has {entries} entries in rows of {cols}, but the projection connects {pre_len} × {post_len} neurons"
    )]
    DenseShape {
        /// The projection.
        projection: ProjId,
        /// Its name.
        name: String,
        /// Number of entries.
        entries: usize,
        /// Declared number of columns.
        cols: u32,
        /// Length of the pre range (the rows wanted).
        pre_len: u32,
        /// Length of the post range (the columns wanted).
        post_len: u32,
    },
    /// A listed pair outside the projection's ranges.
    #[error(
        "pair {index} ({pre}, {post}) of `{path}` is outside the {pre_len} × {post_len} neurons of `{name}`"
    )]
    ListPairOutOfRange {
        /// The projection.
        projection: ProjId,
        /// Its name.
        name: String,
        /// The file.
        path: String,
        /// Position of the pair in the list, from 0.
        index: usize,
        /// Its pre index.
        pre: u32,
        /// Its post index.
        post: u32,
        /// Length of the pre range.
        pre_len: u32,
        /// Length of the post range.
        post_len: u32,
    },
    /// A list whose weight or delay column has the wrong length.
    #[error("`{path}` gives {len} {column} for the {pairs} pairs of `{name}`")]
    ListColumnLength {
        /// The projection.
        projection: ProjId,
        /// Its name.
        name: String,
        /// The file.
        path: String,
        /// `weights` or `delays`.
        column: &'static str,
        /// Number of values given.
        len: usize,
        /// Number of pairs.
        pairs: usize,
    },
    /// A list that repeats a pair although multapses are off.
    #[error(
        "pair ({pre}, {post}) appears more than once in `{path}`, but `{name}` does not allow multapses"
    )]
    ListDuplicate {
        /// The projection.
        projection: ProjId,
        /// Its name.
        name: String,
        /// The file.
        path: String,
        /// Pre index of the pair.
        pre: u32,
        /// Post index of the pair.
        post: u32,
    },
    /// A delay that is negative, not a number, or longer than a synapse can
    /// hold.
    #[error("{}", delay_problem(name, *delay_seconds, *dt_seconds))]
    InvalidDelay {
        /// The projection.
        projection: ProjId,
        /// Its name.
        name: String,
        /// The delay given or drawn, seconds.
        delay_seconds: f64,
        /// The step length, seconds.
        dt_seconds: f64,
    },
    /// A weight that is infinite or not a number.
    #[error("`{name}` has a weight of {weight}, which is not a finite number")]
    InvalidWeight {
        /// The projection.
        projection: ProjId,
        /// Its name.
        name: String,
        /// The weight given or drawn.
        weight: f64,
    },
}

impl ExpandError {
    /// The projection the error is about.
    pub fn projection(&self) -> ProjId {
        match self {
            ExpandError::TooLarge { projection, .. }
            | ExpandError::NotNeurons { projection, .. }
            | ExpandError::RangeOutOfBounds { projection, .. }
            | ExpandError::LengthMismatch { projection, .. }
            | ExpandError::InvalidProbability { projection, .. }
            | ExpandError::TooManySynapses { projection, .. }
            | ExpandError::MissingLayout { projection, .. }
            | ExpandError::GridTooSmall { projection, .. }
            | ExpandError::InvalidDistanceProbability { projection, .. }
            | ExpandError::DenseShape { projection, .. }
            | ExpandError::ListPairOutOfRange { projection, .. }
            | ExpandError::ListColumnLength { projection, .. }
            | ExpandError::ListDuplicate { projection, .. }
            | ExpandError::InvalidDelay { projection, .. }
            | ExpandError::InvalidWeight { projection, .. } => *projection,
        }
    }
}

/// The message of [`ExpandError::InvalidDelay`], which depends on what is
/// wrong with the delay or the step.
fn delay_problem(name: &str, delay: f64, dt: f64) -> String {
    if !(dt > 0.0 && dt.is_finite()) {
        format!("the delays of `{name}` cannot be counted in steps of dt = {dt} s")
    } else if delay.is_nan() {
        format!("`{name}` has a delay that is not a number")
    } else if delay < 0.0 {
        format!("`{name}` has a negative delay of {delay} s")
    } else {
        format!(
            "the delay of {delay} s in `{name}` is {:.0} steps of {dt} s, more than the {} a synapse can hold",
            (delay / dt).round(),
            u16::MAX
        )
    }
}

/// Bytes in binary units for messages (`1.5 GiB`).
pub fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_read_well() {
        let error = ExpandError::TooManySynapses {
            projection: ProjId(1),
            name: "inh -> exc".into(),
            rule: "fixed_indegree",
            parameter: "k",
            requested: 300,
            available: 250,
            candidates: "sources",
            multapses: false,
        };
        assert_eq!(
            error.to_string(),
            "fixed_indegree k = 300 exceeds the 250 possible sources of `inh -> exc` without multapses"
        );
        let error = ExpandError::InvalidDelay {
            projection: ProjId(0),
            name: "a -> b".into(),
            delay_seconds: 7.0,
            dt_seconds: 1e-4,
        };
        assert_eq!(
            error.to_string(),
            "the delay of 7 s in `a -> b` is 70000 steps of 0.0001 s, more than the 65535 a synapse can hold"
        );
        assert_eq!(human_bytes(3 * 1024 * 1024 * 1024 / 2), "1.5 GiB");
        assert_eq!(human_bytes(12), "12 B");
    }
}
