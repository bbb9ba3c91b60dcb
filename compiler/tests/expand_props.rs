//! Properties of the connectivity expansion pass over generated networks:
//! exact counts where the rule fixes them, binomial counts within 5σ where
//! it does not, the CSR invariants, autapses and multapses as configured,
//! weights and delays, determinism across thread counts and runs, the
//! memory guard, and the errors.

use neurc_compiler::passes::expand::{ExpandError, ExpandOptions, estimate, expand};
use neurc_ir::{
    BinaryOp, Connectivity, Distribution, Dynamics, Edge, Expr, Func, Layout, Method, ModelId,
    Network, NeuronModel, NeuronRange, Node, NodeId, PerSynapse, Population, ProjId, Projection,
    Rule, StateDecl, SynapseTable, SynapticTarget, Var, units::Dimension,
};
use proptest::prelude::*;
use std::time::{Duration, Instant};

/// A network with one trivial model and no populations yet.
fn network(seed: u64) -> Network {
    let mut network = Network {
        models: vec![NeuronModel {
            name: "Trivial".into(),
            params: Vec::new(),
            state: vec![StateDecl {
                name: "v".into(),
                dimension: Dimension::VOLTAGE,
                init: Distribution::Constant(0.0),
            }],
            inputs: Vec::new(),
            dynamics: Dynamics::None,
            method: Method::Auto,
            spike: None,
            reset: Vec::new(),
            refractory: None,
        }],
        ..Network::default()
    };
    network.simulation.seed = seed;
    network
}

/// Adds a population.
fn population(network: &mut Network, name: &str, size: u32, positions: Option<Layout>) -> NodeId {
    network
        .graph
        .add_node(Node::Population(Population {
            name: name.into(),
            model: ModelId(0),
            size,
            params: Vec::new(),
            init: vec![Distribution::Constant(0.0)],
            positions,
        }))
        .into()
}

/// A projection with a constant weight of 1 mV and delay of 1 ms, no
/// autapses and no multapses.
fn projection(pre: NeuronRange, post: NeuronRange, rule: Rule) -> Projection {
    Projection {
        name: "pre -> post".into(),
        pre,
        post,
        rule,
        weight: Distribution::Constant(1e-3),
        target: SynapticTarget::State(0),
        delay: Distribution::Constant(1e-3),
        autapses: false,
        multapses: false,
        chip_weights: None,
    }
}

/// Adds a projection.
fn connect(network: &mut Network, pre: NodeId, post: NodeId, projection: Projection) -> ProjId {
    network
        .graph
        .add_edge(pre.index(), post.index(), Edge::Projection(projection))
        .into()
}

/// Two populations and one projection between them over the given ranges
/// (`pre_size` and `post_size` leave room around the ranges).
fn pair_network(seed: u64, pre: NeuronRange, post: NeuronRange, rule: Rule) -> (Network, ProjId) {
    let mut network = network(seed);
    let a = population(&mut network, "a", pre.end + 3, None);
    let b = population(&mut network, "b", post.end + 5, None);
    let id = connect(&mut network, a, b, projection(pre, post, rule));
    (network, id)
}

fn options(threads: usize) -> ExpandOptions {
    ExpandOptions {
        threads,
        max_memory_bytes: 1 << 30,
    }
}

fn expand_one(network: &Network, id: ProjId) -> SynapseTable {
    let mut connectivity = expand(network, &options(2)).expect("expands");
    connectivity
        .tables
        .remove(&id)
        .expect("a table per projection")
}

/// The CSR invariants; returns the `(pre, post)` pairs (population
/// indices) in table order.
fn check_table(table: &SynapseTable, projection: &Projection) -> Vec<(u32, u32)> {
    let rows = projection.pre.len() as usize;
    assert_eq!(table.row_offsets.len(), rows + 1);
    assert_eq!(table.row_offsets[0], 0);
    assert_eq!(table.row_offsets[rows], table.targets.len() as u64);
    let mut pairs = Vec::with_capacity(table.targets.len());
    for row in 0..rows {
        let (start, end) = (table.row_offsets[row], table.row_offsets[row + 1]);
        assert!(start <= end, "offsets decrease at row {row}");
        let targets = &table.targets[start as usize..end as usize];
        for window in targets.windows(2) {
            if projection.multapses {
                assert!(
                    window[0] <= window[1],
                    "row {row} is not sorted: {targets:?}"
                );
            } else {
                assert!(
                    window[0] < window[1],
                    "row {row} is not strictly sorted: {targets:?}"
                );
            }
        }
        for &target in targets {
            assert!(
                projection.post.start <= target && target < projection.post.end,
                "target {target} outside {:?}",
                projection.post
            );
            pairs.push((projection.pre.start + row as u32, target));
        }
    }
    for (values, name) in [
        (per_synapse_len(&table.weights), "weights"),
        (per_synapse_len(&table.delays), "delays"),
    ] {
        if let Some(len) = values {
            assert_eq!(len, table.targets.len(), "{name} per synapse");
        }
    }
    pairs
}

fn per_synapse_len<T>(values: &PerSynapse<T>) -> Option<usize> {
    match values {
        PerSynapse::Constant(_) => None,
        PerSynapse::Varying(values) => Some(values.len()),
    }
}

/// A range of `len` neurons starting at `start`.
fn range(start: u32, len: u32) -> NeuronRange {
    NeuronRange::new(start, start + len)
}

/// `if(distance < radius, 1, 0)`.
fn within(radius: f64) -> Expr {
    Expr::Call(
        Func::If,
        vec![
            Expr::Binary(
                BinaryOp::Lt,
                Box::new(Expr::Var(Var::Distance)),
                Box::new(Expr::Const(radius)),
            ),
            Expr::Const(1.0),
            Expr::Const(0.0),
        ],
    )
}

/// A network with one projection of each random rule on one population
/// and another, with drawn weights and delays.
fn mixed_network(seed: u64) -> Network {
    let mut network = network(seed);
    let grid = Layout::Grid {
        shape: [10, 10, 3],
        spacing: 1e-4,
    };
    let a = population(&mut network, "a", 300, Some(grid));
    let box_layout = Layout::RandomBox {
        extent: [1e-3, 1e-3, 1e-4],
    };
    let b = population(&mut network, "b", 700, Some(box_layout));
    let rules = [
        Rule::Bernoulli { p: 0.1 },
        Rule::FixedIndegree { k: 40 },
        Rule::FixedOutdegree { k: 30 },
        Rule::FixedTotal { n: 5000 },
        Rule::Distance {
            probability: Expr::Call(
                Func::Exp,
                vec![Expr::Unary(
                    neurc_ir::UnaryOp::Neg,
                    Box::new(Expr::Binary(
                        BinaryOp::Div,
                        Box::new(Expr::Var(Var::Distance)),
                        Box::new(Expr::Const(2e-4)),
                    )),
                )],
            ),
        },
    ];
    for (i, rule) in rules.into_iter().enumerate() {
        let (post, post_range) = if i % 2 == 0 {
            (a, range(0, 300))
        } else {
            (b, range(100, 600))
        };
        let mut p = projection(range(0, 300), post_range, rule);
        p.weight = Distribution::Normal {
            mean: 1e-3,
            sd: 2e-4,
        };
        p.delay = Distribution::Uniform {
            low: 1e-4,
            high: 3e-3,
        };
        p.multapses = i == 1;
        connect(&mut network, a, post, p);
    }
    network
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn bernoulli_counts_are_binomial(
        pre_len in 1u32..400,
        post_len in 1u32..400,
        post_start in 0u32..20,
        p in prop_oneof![Just(0.0), Just(1.0), 0.0..1.0f64, 0.0..0.02f64],
        seed in any::<u64>(),
    ) {
        let (pre, post) = (range(0, pre_len), range(post_start, post_len));
        let (network, id) = pair_network(seed, pre, post, Rule::Bernoulli { p });
        let table = expand_one(&network, id);
        check_table(&table, &projection(pre, post, Rule::Bernoulli { p }));
        let n = f64::from(pre_len) * f64::from(post_len);
        let mean = n * p;
        let sigma = (n * p * (1.0 - p)).sqrt();
        let count = table.targets.len() as f64;
        prop_assert!(
            (count - mean).abs() <= 5.0 * sigma + 1e-9,
            "{count} synapses, expected {mean} ± {sigma}"
        );
    }

    #[test]
    fn fixed_degrees_are_exact(
        pre_len in 1u32..150,
        post_len in 1u32..150,
        k_fraction in 0.0..1.0f64,
        multapses in any::<bool>(),
        outdegree in any::<bool>(),
        seed in any::<u64>(),
    ) {
        let candidates = if outdegree { post_len } else { pre_len };
        let k = if multapses {
            (k_fraction * 3.0 * f64::from(candidates)) as u32
        } else {
            (k_fraction * f64::from(candidates)) as u32
        };
        let rule = if outdegree { Rule::FixedOutdegree { k } } else { Rule::FixedIndegree { k } };
        let (pre, post) = (range(2, pre_len), range(1, post_len));
        let (mut network, id) = pair_network(seed, pre, post, rule.clone());
        if let Some(Edge::Projection(p)) = network.graph.edge_weight_mut(id.index()) {
            p.multapses = multapses;
        }
        let table = expand_one(&network, id);
        let mut expected = projection(pre, post, rule);
        expected.multapses = multapses;
        let pairs = check_table(&table, &expected);
        if outdegree {
            for row in 0..pre_len as usize {
                prop_assert_eq!(table.row_offsets[row + 1] - table.row_offsets[row], u64::from(k));
            }
        } else {
            let mut indegree = vec![0u32; post_len as usize + 1];
            for (_, post) in pairs {
                indegree[(post - 1) as usize] += 1;
            }
            prop_assert!(indegree[..post_len as usize].iter().all(|&d| d == k), "{indegree:?}");
        }
        if multapses && k > candidates {
            // More draws than candidates: some pair must repeat.
            prop_assert!(table.targets.windows(2).any(|w| w[0] == w[1]));
        }
    }

    #[test]
    fn fixed_total_is_exact(
        pre_len in 1u32..60,
        post_len in 1u32..60,
        fraction in 0.0..1.0f64,
        multapses in any::<bool>(),
        same_node in any::<bool>(),
        seed in any::<u64>(),
    ) {
        let mut network = network(seed);
        let a = population(&mut network, "a", 70, None);
        let b = if same_node { a } else { population(&mut network, "b", 70, None) };
        let (pre, post) = (range(0, pre_len), range(5, post_len));
        let overlap = if same_node {
            u64::from(pre.end.min(post.end).saturating_sub(pre.start.max(post.start)))
        } else {
            0
        };
        let eligible = u64::from(pre_len) * u64::from(post_len) - overlap;
        let n = (fraction * eligible as f64 * if multapses { 2.0 } else { 1.0 }) as u64;
        let mut p = projection(pre, post, Rule::FixedTotal { n });
        p.multapses = multapses;
        let id = connect(&mut network, a, b, p.clone());
        let table = expand_one(&network, id);
        let pairs = check_table(&table, &p);
        prop_assert_eq!(pairs.len() as u64, n);
        if same_node {
            prop_assert!(pairs.iter().all(|(i, j)| i != j));
        }
    }

    #[test]
    fn deterministic_rules_are_exact(
        len in 0u32..50,
        post_len in 0u32..50,
        pre_start in 0u32..10,
        post_start in 0u32..10,
        same_node in any::<bool>(),
        autapses in any::<bool>(),
    ) {
        let mut network = network(1);
        let a = population(&mut network, "a", 70, None);
        let b = if same_node { a } else { population(&mut network, "b", 70, None) };
        let excluded = |i: u32, j: u32| same_node && !autapses && i == j;

        let mut one = projection(range(pre_start, len), range(post_start, len), Rule::OneToOne);
        one.autapses = autapses;
        let one_id = connect(&mut network, a, b, one.clone());
        let all_post = range(post_start, post_len);
        let mut all = projection(range(pre_start, len), all_post, Rule::AllToAll);
        all.autapses = autapses;
        let all_id = connect(&mut network, a, b, all.clone());

        let mut connectivity = expand(&network, &options(2)).expect("expands");
        let pairs = check_table(&connectivity.tables.remove(&one_id).expect("table"), &one);
        let expected: Vec<_> = (0..len)
            .map(|i| (pre_start + i, post_start + i))
            .filter(|&(i, j)| !excluded(i, j))
            .collect();
        prop_assert_eq!(pairs, expected);
        let pairs = check_table(&connectivity.tables.remove(&all_id).expect("table"), &all);
        let expected: Vec<_> = (pre_start..pre_start + len)
            .flat_map(|i| (post_start..post_start + post_len).map(move |j| (i, j)))
            .filter(|&(i, j)| !excluded(i, j))
            .collect();
        prop_assert_eq!(pairs, expected);
    }

    #[test]
    fn autapses_follow_the_projection(
        size in 2u32..80,
        autapses in any::<bool>(),
        rule_index in 0usize..5,
        seed in any::<u64>(),
    ) {
        let mut network = network(seed);
        let a = population(&mut network, "a", size, None);
        let n = size;
        let rule = [
            Rule::Bernoulli { p: 1.0 },
            Rule::FixedIndegree { k: n - 1 },
            Rule::FixedOutdegree { k: n - 1 },
            Rule::FixedTotal { n: u64::from(n) * u64::from(n - 1) },
            Rule::Dense { cols: n, entries: vec![1.0; (n * n) as usize] },
        ][rule_index].clone();
        let mut p = projection(range(0, n), range(0, n), rule);
        p.autapses = autapses;
        let id = connect(&mut network, a, a, p.clone());
        let table = expand_one(&network, id);
        let pairs = check_table(&table, &p);
        let selfs = pairs.iter().filter(|(i, j)| i == j).count();
        if !autapses {
            prop_assert_eq!(selfs, 0);
            // With k or n at the number of other neurons, every other pair
            // is connected exactly once.
            prop_assert_eq!(pairs.len() as u64, u64::from(n) * u64::from(n - 1));
        } else if matches!(rule_index, 0 | 4) {
            prop_assert_eq!(selfs, n as usize);
        }
    }

    #[test]
    fn distance_cutoff_connects_exactly_the_pairs_within_the_radius(
        shape in (1u32..6, 1u32..6, 1u32..3),
        radius_steps in 0u32..4,
        autapses in any::<bool>(),
    ) {
        let spacing = 2e-5;
        let radius = (f64::from(radius_steps) + 0.5) * spacing;
        let layout = Layout::Grid { shape: [shape.0, shape.1, shape.2], spacing };
        let size = shape.0 * shape.1 * shape.2;
        let mut network = network(3);
        let a = population(&mut network, "a", size, Some(layout));
        let rule = Rule::Distance { probability: within(radius) };
        let mut p = projection(range(0, size), range(0, size), rule);
        p.autapses = autapses;
        let id = connect(&mut network, a, a, p.clone());
        let pairs = check_table(&expand_one(&network, id), &p);
        let position = |i: u32| {
            let (x, y, z) = (i % shape.0, (i / shape.0) % shape.1, i / (shape.0 * shape.1));
            [x, y, z].map(|c| f64::from(c) * spacing)
        };
        let expected: Vec<_> = (0..size)
            .flat_map(|i| (0..size).map(move |j| (i, j)))
            .filter(|&(i, j)| {
                let (pi, pj) = (position(i), position(j));
                let squares = (0..3).map(|axis| (pi[axis] - pj[axis]).powi(2));
                let d = squares.fold(0.0, |sum, square| sum + square).sqrt();
                d < radius && (autapses || i != j)
            })
            .collect();
        prop_assert_eq!(pairs, expected);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 6, ..ProptestConfig::default() })]

    #[test]
    fn expansion_is_independent_of_threads_and_runs(seed in any::<u64>()) {
        let network = mixed_network(seed);
        let one = expand(&network, &options(1)).expect("expands");
        for threads in [2, 4, 1] {
            prop_assert!(one == expand(&network, &options(threads)).expect("expands"));
        }
        for (id, table) in &one.tables {
            let Some(Edge::Projection(p)) = network.graph.edge_weight(id.index()) else {
                panic!("{id} is a projection");
            };
            check_table(table, p);
        }
        let other: Connectivity =
            expand(&mut_seed(&network, seed ^ 1), &options(2)).expect("expands");
        for (id, table) in &one.tables {
            prop_assert!(other.tables[id] != *table, "projection {} ignores the seed", id);
        }
    }
}

/// A copy of the network with another seed.
fn mut_seed(network: &Network, seed: u64) -> Network {
    let mut network = network.clone();
    network.simulation.seed = seed;
    network
}

#[test]
fn fixed_indegree_over_many_blocks_is_exact_and_uniform() {
    // k = 500 makes blocks of 131 columns, so 700 columns span six blocks
    // and 600 rows span 150 buckets.
    for (k, multapses) in [(500, false), (500, true), (10, true)] {
        let rule = Rule::FixedIndegree { k };
        let (mut network, id) = pair_network(7, range(0, 600), range(0, 700), rule.clone());
        if let Some(Edge::Projection(p)) = network.graph.edge_weight_mut(id.index()) {
            p.multapses = multapses;
        }
        let one = expand(&network, &options(1)).expect("expands");
        assert!(one == expand(&network, &options(3)).expect("expands"));
        let table = &one.tables[&id];
        let mut expected = projection(range(0, 600), range(0, 700), rule);
        expected.multapses = multapses;
        let mut indegree = vec![0u32; 700];
        for (_, post) in check_table(table, &expected) {
            indegree[post as usize] += 1;
        }
        assert!(indegree.iter().all(|&d| d == k));
        // Each row's out-degree is binomial(700 k, 1/600) with replacement,
        // and hypergeometric (narrower) without.
        let mean = 700.0 * f64::from(k) / 600.0;
        let sigma = mean.sqrt();
        for row in 0..600 {
            let out = (table.row_offsets[row + 1] - table.row_offsets[row]) as f64;
            assert!(
                (out - mean).abs() < 5.0 * sigma,
                "row {row}: {out} vs {mean}"
            );
        }
    }
}

#[test]
fn constant_weights_and_delays_are_stored_once() {
    let (mut network, id) = pair_network(5, range(0, 20), range(0, 20), Rule::Bernoulli { p: 0.5 });
    network.simulation.dt = 1e-4;
    if let Some(Edge::Projection(p)) = network.graph.edge_weight_mut(id.index()) {
        p.weight = Distribution::Constant(-2e-3);
        p.delay = Distribution::Constant(1.5e-3);
    }
    let table = expand_one(&network, id);
    assert_eq!(table.weights, PerSynapse::Constant(-2e-3));
    assert_eq!(table.delays, PerSynapse::Constant(15));
}

#[test]
fn delays_round_to_steps_of_at_least_one() {
    for (delay, steps) in [
        (1.5e-3, 15),
        (0.04e-3, 1),
        (0.0, 1),
        (0.26e-3, 3),
        (0.34e-3, 3),
    ] {
        let (mut network, id) = pair_network(5, range(0, 3), range(0, 3), Rule::AllToAll);
        if let Some(Edge::Projection(p)) = network.graph.edge_weight_mut(id.index()) {
            p.delay = Distribution::Constant(delay);
        }
        assert_eq!(
            expand_one(&network, id).delays,
            PerSynapse::Constant(steps),
            "{delay} s"
        );
    }
}

#[test]
fn drawn_weights_follow_their_distribution() {
    let (mean, sd) = (1e-3, 3e-4);
    let draw = |weight: Distribution| -> Vec<f64> {
        let (mut network, id) = pair_network(9, range(0, 100), range(0, 100), Rule::AllToAll);
        if let Some(Edge::Projection(p)) = network.graph.edge_weight_mut(id.index()) {
            p.weight = weight;
            p.delay = Distribution::Uniform {
                low: 1e-4,
                high: 5e-3,
            };
        }
        let table = expand_one(&network, id);
        let PerSynapse::Varying(delays) = &table.delays else {
            panic!("uniform delays vary");
        };
        assert!(delays.iter().all(|&d| (1..=50).contains(&d)));
        match table.weights {
            PerSynapse::Varying(weights) => weights,
            PerSynapse::Constant(_) => panic!("drawn weights vary"),
        }
    };
    let normal = draw(Distribution::Normal { mean, sd });
    let n = normal.len() as f64;
    let sample_mean = normal.iter().sum::<f64>() / n;
    assert!(
        (sample_mean - mean).abs() < 5.0 * sd / n.sqrt(),
        "{sample_mean}"
    );
    let sample_sd = (normal
        .iter()
        .map(|w| (w - sample_mean).powi(2))
        .sum::<f64>()
        / n)
        .sqrt();
    assert!((sample_sd - sd).abs() < 0.05 * sd, "{sample_sd}");

    let clipped = draw(Distribution::Clipped {
        inner: Box::new(Distribution::Normal { mean, sd }),
        low: 8e-4,
        high: 1.1e-3,
    });
    assert!(clipped.iter().all(|&w| (8e-4..=1.1e-3).contains(&w)));
    assert!(clipped.contains(&8e-4) && clipped.contains(&1.1e-3));

    let uniform = draw(Distribution::Uniform {
        low: -1.0,
        high: 2.0,
    });
    assert!(uniform.iter().all(|&w| (-1.0..2.0).contains(&w)));
    let lognormal = draw(Distribution::LogNormal {
        median: 2.0,
        sigma: 0.5,
    });
    assert!(lognormal.iter().all(|&w| w > 0.0));
    let below = lognormal.iter().filter(|&&w| w < 2.0).count() as f64;
    assert!((below / n - 0.5).abs() < 5.0 * 0.5 / n.sqrt(), "median");
}

#[test]
fn dense_entries_scale_the_weight() {
    let entries = vec![0.0, 2.0, 0.0, 1.0, 0.5, 0.0];
    let rule = Rule::Dense { cols: 3, entries };
    let (network, id) = pair_network(1, range(1, 2), range(2, 3), rule.clone());
    let table = expand_one(&network, id);
    assert_eq!(table.row_offsets, [0, 1, 3]);
    assert_eq!(table.targets, [3, 2, 3]);
    assert_eq!(table.weights, PerSynapse::Varying(vec![2e-3, 1e-3, 0.5e-3]));

    let uniform = Rule::Dense {
        cols: 2,
        entries: vec![0.0, 3.0, 3.0, 0.0],
    };
    let (network, id) = pair_network(1, range(0, 2), range(0, 2), uniform);
    assert_eq!(expand_one(&network, id).weights, PerSynapse::Constant(3e-3));
}

#[test]
fn lists_are_sorted_with_their_weights_and_delays() {
    let rule = Rule::List {
        path: "syn.csv".into(),
        pairs: vec![(1, 2), (0, 1), (1, 0), (0, 0)],
        weights: Some(vec![1.0, 2.0, 3.0, 4.0]),
        delays: Some(vec![1e-3, 2e-3, 3e-3, 4e-3]),
    };
    let (network, id) = pair_network(1, range(0, 2), range(4, 3), rule);
    let table = expand_one(&network, id);
    assert_eq!(table.row_offsets, [0, 2, 4]);
    assert_eq!(table.targets, [4, 5, 4, 6]);
    // The file's weights multiply the projection's weight (1 mV), as dense
    // entries do.
    assert_eq!(
        table.weights,
        PerSynapse::Varying(vec![4e-3, 2e-3, 3e-3, 1e-3])
    );
    assert_eq!(table.delays, PerSynapse::Varying(vec![40, 20, 30, 10]));
}

#[test]
fn too_large_is_refused_before_allocating() {
    let mut network = network(1);
    let a = population(&mut network, "a", 1_000_000, None);
    let b = population(&mut network, "b", 1_000_000, None);
    let mut small = projection(range(0, 1000), range(0, 1000), Rule::AllToAll);
    small.name = "a -> b small".into();
    connect(&mut network, a, b, small);
    let mut huge = projection(
        range(0, 1_000_000),
        range(0, 1_000_000),
        Rule::FixedTotal { n: 1 << 39 },
    );
    huge.name = "a -> b huge".into();
    let huge_id = connect(&mut network, a, b, huge);
    connect(
        &mut network,
        b,
        a,
        projection(
            range(0, 1_000_000),
            range(0, 1_000_000),
            Rule::Bernoulli { p: 0.5 },
        ),
    );

    let started = Instant::now();
    let error = expand(&network, &options(2)).expect_err("too large");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "took {:?}",
        started.elapsed()
    );
    let ExpandError::TooLarge {
        projection,
        name,
        estimated_bytes,
        limit_bytes,
    } = &error
    else {
        panic!("{error}");
    };
    assert_eq!(
        (*projection, name.as_str(), *limit_bytes),
        (huge_id, "a -> b huge", 1 << 30)
    );
    assert!(*estimated_bytes > 1 << 40);
    assert_eq!(error.projection(), huge_id);
    assert!(
        error
            .to_string()
            .contains("the largest projection is `a -> b huge`"),
        "{error}"
    );

    let estimates = estimate(&network);
    assert_eq!(estimates.len(), 3);
    assert_eq!(
        (estimates[0].synapses, estimates[0].exact),
        (1_000_000, true)
    );
    assert_eq!(estimates[0].held_bytes, 4 * 1_000_000 + 8 * 1001);
    assert!(!estimates[2].exact);
    assert!(estimates[2].synapses as f64 > estimates[2].expected_synapses);
}

#[test]
fn estimates_bound_the_tables() {
    let network = mixed_network(11);
    let connectivity = expand(&network, &options(2)).expect("expands");
    for estimate in estimate(&network) {
        let table = &connectivity.tables[&estimate.projection];
        if estimate.exact {
            assert_eq!(
                table.synapse_count(),
                estimate.synapses,
                "{}",
                estimate.name
            );
        } else {
            assert!(
                table.synapse_count() <= estimate.synapses,
                "{}",
                estimate.name
            );
        }
        assert!(
            table.heap_bytes() <= estimate.held_bytes + 64,
            "{}",
            estimate.name
        );
    }
}

/// The error of expanding a one-projection network.
fn error_of(
    pre: NeuronRange,
    post: NeuronRange,
    rule: Rule,
    edit: impl Fn(&mut Network, ProjId),
) -> ExpandError {
    let (mut network, id) = pair_network(1, pre, post, rule);
    if let Some(Edge::Projection(p)) = network.graph.edge_weight_mut(id.index()) {
        p.name = "inh -> exc".into();
    }
    edit(&mut network, id);
    let error = expand(&network, &options(1)).expect_err("an error");
    assert_eq!(error.projection(), id);
    error
}

#[test]
fn errors_name_the_projection_and_the_problem() {
    let none = |_: &mut Network, _: ProjId| {};
    let cases = [
        (
            error_of(
                range(0, 250),
                range(0, 10),
                Rule::FixedIndegree { k: 300 },
                none,
            ),
            "fixed_indegree k = 300 exceeds the 250 possible sources of `inh -> exc` without multapses",
        ),
        (
            error_of(range(0, 3), range(0, 4), Rule::OneToOne, none),
            "one_to_one needs ranges of equal length, but `inh -> exc` connects 3 to 4 neurons",
        ),
        (
            error_of(range(0, 3), range(0, 4), Rule::Bernoulli { p: 1.5 }, none),
            "bernoulli p = 1.5 of `inh -> exc` is not a probability in [0, 1]",
        ),
        (
            error_of(range(0, 3), range(0, 4), Rule::FixedTotal { n: 13 }, none),
            "fixed_total n = 13 exceeds the 12 possible pairs of `inh -> exc` without multapses",
        ),
        (
            error_of(
                range(0, 3),
                range(0, 4),
                Rule::Distance {
                    probability: within(1.0),
                },
                none,
            ),
            "the distance rule of `inh -> exc` needs neuron positions, but `a` has no layout",
        ),
        (
            error_of(
                range(0, 2),
                range(0, 2),
                Rule::Dense {
                    cols: 2,
                    entries: vec![1.0; 3],
                },
                none,
            ),
            "the dense matrix of `inh -> exc` has 3 entries in rows of 2, but the projection connects 2 × 2 neurons",
        ),
        (
            error_of(
                range(0, 2),
                range(0, 2),
                Rule::List {
                    path: "x.csv".into(),
                    pairs: vec![(0, 0), (1, 2)],
                    weights: None,
                    delays: None,
                },
                none,
            ),
            "pair 1 (1, 2) of `x.csv` is outside the 2 × 2 neurons of `inh -> exc`",
        ),
        (
            error_of(
                range(0, 2),
                range(0, 2),
                Rule::List {
                    path: "x.csv".into(),
                    pairs: vec![(0, 1), (0, 1)],
                    weights: None,
                    delays: None,
                },
                none,
            ),
            "pair (0, 1) appears more than once in `x.csv`, but `inh -> exc` does not allow multapses",
        ),
        (
            error_of(range(0, 2), range(0, 2), Rule::AllToAll, |network, id| {
                if let Some(Edge::Projection(p)) = network.graph.edge_weight_mut(id.index()) {
                    p.delay = Distribution::Constant(7.0);
                }
            }),
            "the delay of 7 s in `inh -> exc` is 70000 steps of 0.0001 s, more than the 65535 a synapse can hold",
        ),
        (
            error_of(range(0, 2), range(0, 2), Rule::AllToAll, |network, id| {
                if let Some(Edge::Projection(p)) = network.graph.edge_weight_mut(id.index()) {
                    p.delay = Distribution::Normal {
                        mean: -1e-3,
                        sd: 1e-4,
                    };
                }
            }),
            "`inh -> exc` has a negative delay of",
        ),
        (
            error_of(range(0, 2), range(0, 2), Rule::AllToAll, |network, id| {
                if let Some(Edge::Projection(p)) = network.graph.edge_weight_mut(id.index()) {
                    p.weight = Distribution::Normal {
                        mean: f64::INFINITY,
                        sd: 1.0,
                    };
                }
            }),
            "`inh -> exc` has a weight of inf, which is not a finite number",
        ),
        (
            error_of(range(0, 2), range(0, 2), Rule::AllToAll, |network, id| {
                if let Some(Edge::Projection(p)) = network.graph.edge_weight_mut(id.index()) {
                    p.post = range(0, 40);
                }
            }),
            "the range 0..40 of `inh -> exc` exceeds the 7 neurons of `b`",
        ),
    ];
    for (error, message) in cases {
        assert!(
            error.to_string().starts_with(message),
            "{error}\n  expected: {message}"
        );
    }
}
