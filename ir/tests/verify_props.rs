//! Property tests of the verifier: generated IR passes it, and every kind
//! of corruption injected into generated IR is reported against the
//! corrupted element.

use neurc_ir::testing::{arb_connectivity, arb_network};
use neurc_ir::{
    Assignment, BinaryOp, Connectivity, Coupling, Distribution, Dynamics, Edge, Element, Expr,
    FileId, Func, Layout, ModelId, Network, Node, NodeId, Ode, ParamValue, PerSynapse, Population,
    Probe, ProjId, Projection, Rule, Span, SynapticTarget, Var, Violation, print, verify,
    verify_connectivity,
};
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;
use std::collections::{BTreeMap, BTreeSet};

/// Fails with every violation and the listing of the network.
fn expect_valid(
    result: Result<(), Vec<Violation>>,
    network: &Network,
) -> Result<(), TestCaseError> {
    match result {
        Ok(()) => Ok(()),
        Err(violations) => {
            let messages: Vec<String> = violations.iter().map(ToString::to_string).collect();
            Err(TestCaseError::fail(format!(
                "{}\n{}",
                messages.join("\n"),
                print(network)
            )))
        }
    }
}

/// Fails unless `result` reports a violation against every element.
fn expect_reported(
    result: Result<(), Vec<Violation>>,
    elements: &BTreeSet<Element>,
    what: &str,
) -> Result<(), TestCaseError> {
    let violations = result.err().unwrap_or_default();
    let reported: BTreeSet<Element> = violations.iter().map(|v| v.element).collect();
    prop_assert!(
        elements.is_subset(&reported),
        "{what}: expected violations on {elements:?}, got {violations:#?}"
    );
    Ok(())
}

fn network_with_connectivity() -> impl Strategy<Value = (Network, Connectivity)> {
    arb_network().prop_flat_map(|network| {
        let connectivity = arb_connectivity(&network);
        (Just(network), connectivity)
    })
}

proptest! {
    #[test]
    fn generated_networks_verify(network in arb_network()) {
        expect_valid(verify(&network), &network)?;
    }

    #[test]
    fn generated_connectivity_verifies((network, connectivity) in network_with_connectivity()) {
        expect_valid(verify_connectivity(&network, &connectivity), &network)?;
    }

    #[test]
    fn every_corruption_is_reported(network in arb_network(), pick in any::<Index>()) {
        for corruption in Corruption::ALL {
            let mut corrupted = network.clone();
            if let Some(element) = corruption.apply(&mut corrupted, &pick) {
                let what = format!("{corruption:?}");
                expect_reported(verify(&corrupted), &BTreeSet::from([element]), &what)?;
                // A broken network still prints and serialises.
                print(&corrupted);
                corrupted.to_json();
            }
        }
    }

    /// Distinct kinds, applied in declaration order, so that no corruption
    /// undoes another. A dangling model is left out: the checks of what
    /// lands on or is recorded from a population need its model, so it
    /// hides those defects by design.
    #[test]
    fn several_corruptions_are_all_reported(
        network in arb_network(),
        corruptions in proptest::sample::subsequence(
            Corruption::ALL.into_iter().filter(|c| !matches!(c, Corruption::DanglingModel)).collect::<Vec<_>>(),
            2..6,
        ),
        picks in proptest::collection::vec(any::<Index>(), 6),
    ) {
        let mut corrupted = network;
        let mut elements = BTreeSet::new();
        for (corruption, pick) in corruptions.iter().zip(&picks) {
            elements.extend(corruption.apply(&mut corrupted, pick));
        }
        expect_reported(verify(&corrupted), &elements, &format!("{corruptions:?}"))?;
    }

    #[test]
    fn every_table_corruption_is_reported(
        (network, connectivity) in network_with_connectivity(),
        pick in any::<Index>(),
    ) {
        for corruption in TableCorruption::ALL {
            let mut corrupted = connectivity.clone();
            if let Some(element) = corruption.apply(&network, &mut corrupted, &pick) {
                let what = format!("{corruption:?}");
                let result = verify_connectivity(&network, &corrupted);
                expect_reported(result, &BTreeSet::from([element]), &what)?;
            }
        }
    }
}

/// Each corruption kind must find something to corrupt in some generated
/// network, or the property above would test it vacuously.
#[test]
fn every_corruption_applies_to_some_generated_network() {
    let mut runner = TestRunner::deterministic();
    let mut unused: BTreeSet<String> = Corruption::ALL.iter().map(|c| format!("{c:?}")).collect();
    unused.extend(TableCorruption::ALL.iter().map(|c| format!("{c:?}")));
    let strategy = (network_with_connectivity(), any::<Index>());
    for _ in 0..200 {
        let ((network, connectivity), pick) = strategy.new_tree(&mut runner).unwrap().current();
        for corruption in Corruption::ALL {
            if corruption.apply(&mut network.clone(), &pick).is_some() {
                unused.remove(&format!("{corruption:?}"));
            }
        }
        for corruption in TableCorruption::ALL {
            if corruption
                .apply(&network, &mut connectivity.clone(), &pick)
                .is_some()
            {
                unused.remove(&format!("{corruption:?}"));
            }
        }
    }
    assert!(unused.is_empty(), "never applied: {unused:?}");
}

/// A defect injected into a valid network.
#[derive(Clone, Copy, Debug)]
enum Corruption {
    // Nodes.
    ZeroSize,
    DanglingModel,
    ExtraParamValue,
    ExtraInitialValue,
    ParamKindMismatch,
    NanInitialValue,
    GridTooSmall,
    DuplicateName,
    PopulationAsSource,
    // Models.
    StateIndexOutOfRange,
    ParamIndexOutOfRange,
    InputInOdeModel,
    DistanceInModel,
    TwoEquationsForOneVariable,
    EquationForMissingVariable,
    ResetWithoutSpike,
    WrongArity,
    NonFiniteConstant,
    NonIntegerPower,
    // Projections and couplings.
    PostRangeBeyondSize,
    EmptyPreRange,
    BernoulliOutOfRange,
    NanWeight,
    InvertedUniformWeight,
    NegativeDelay,
    TargetOutOfRange,
    DenseLengthMismatch,
    OneToOneLengthMismatch,
    ListPairOutOfRange,
    DistanceWithoutPositions,
    ProjectionIntoSource,
    CouplingWithoutHost,
    // Records.
    RecordRangeBeyondSize,
    RecordDanglingNode,
    RecordWrongState,
    RecordWithoutTarget,
    // Simulation.
    ZeroDt,
    NanDt,
    NegativeDuration,
    // Spans.
    MissingNodeSpan,
    StaleNodeSpan,
    SpanInUnlistedFile,
}

impl Corruption {
    const ALL: [Corruption; 42] = {
        use Corruption::*;
        [
            ZeroSize,
            DanglingModel,
            ExtraParamValue,
            ExtraInitialValue,
            ParamKindMismatch,
            NanInitialValue,
            GridTooSmall,
            DuplicateName,
            PopulationAsSource,
            StateIndexOutOfRange,
            ParamIndexOutOfRange,
            InputInOdeModel,
            DistanceInModel,
            TwoEquationsForOneVariable,
            EquationForMissingVariable,
            ResetWithoutSpike,
            WrongArity,
            NonFiniteConstant,
            NonIntegerPower,
            PostRangeBeyondSize,
            EmptyPreRange,
            BernoulliOutOfRange,
            NanWeight,
            InvertedUniformWeight,
            NegativeDelay,
            TargetOutOfRange,
            DenseLengthMismatch,
            OneToOneLengthMismatch,
            ListPairOutOfRange,
            DistanceWithoutPositions,
            ProjectionIntoSource,
            CouplingWithoutHost,
            RecordRangeBeyondSize,
            RecordDanglingNode,
            RecordWrongState,
            RecordWithoutTarget,
            ZeroDt,
            NanDt,
            NegativeDuration,
            MissingNodeSpan,
            StaleNodeSpan,
            SpanInUnlistedFile,
        ]
    };

    /// Corrupts an element chosen by `pick` among those this corruption
    /// applies to, and returns it; `None` if the network has none.
    fn apply(self, network: &mut Network, pick: &Index) -> Option<Element> {
        use Corruption::*;
        match self {
            ZeroSize => corrupt_population(network, pick, |_| true, |p| p.size = 0),
            DanglingModel => {
                let missing = ModelId(network.models.len() as u32 + 2);
                corrupt_population(network, pick, |_| true, |p| p.model = missing)
            }
            ExtraParamValue => corrupt_population(
                network,
                pick,
                |_| true,
                |p| {
                    p.params
                        .push(ParamValue::Scalar(Distribution::Constant(0.0)));
                },
            ),
            ExtraInitialValue => corrupt_population(
                network,
                pick,
                |_| true,
                |p| {
                    p.init.push(Distribution::Constant(0.0));
                },
            ),
            ParamKindMismatch => corrupt_population(
                network,
                pick,
                |p| !p.params.is_empty(),
                |p| {
                    p.params[0] = match p.params[0] {
                        ParamValue::Scalar(_) => ParamValue::Schedule(vec![Vec::new()]),
                        ParamValue::Schedule(_) => ParamValue::Scalar(Distribution::Constant(0.0)),
                    };
                },
            ),
            NanInitialValue => corrupt_population(
                network,
                pick,
                |p| !p.init.is_empty(),
                |p| {
                    p.init[0] = Distribution::Constant(f64::NAN);
                },
            ),
            GridTooSmall => corrupt_population(
                network,
                pick,
                |p| p.size >= 2,
                |p| {
                    p.positions = Some(Layout::Grid {
                        shape: [1, 1, 1],
                        spacing: 1e-6,
                    });
                },
            ),
            DuplicateName => {
                let ids: Vec<NodeId> = network.nodes().map(|(id, _)| id).collect();
                let first = network.node(*ids.first()?)?.name().to_string();
                let id = *choose(&ids[1..], pick)?;
                match &mut network.graph[id.index()] {
                    Node::Population(p) | Node::Source(p) => p.name = first,
                    Node::Region(r) => r.name = first,
                    Node::Modulator(m) => m.name = first,
                }
                Some(Element::Node(id))
            }
            PopulationAsSource => {
                let ids = node_ids(
                    network,
                    |n, node| matches!(node, Node::Population(p) if n.model(p.model).is_some_and(|m| !m.is_source())),
                );
                let id = *choose(&ids, pick)?;
                let population = network.node(id)?.population()?.clone();
                network.graph[id.index()] = Node::Source(population);
                Some(Element::Node(id))
            }
            StateIndexOutOfRange => corrupt_model(
                network,
                pick,
                |_| true,
                |m| {
                    m.spike = Some(Expr::Var(Var::State(m.state.len() as u32 + 1)));
                },
            ),
            ParamIndexOutOfRange => corrupt_model(
                network,
                pick,
                |_| true,
                |m| {
                    m.spike = Some(Expr::Var(Var::Param(m.params.len() as u32)));
                },
            ),
            InputInOdeModel => corrupt_model(network, pick, has_equations, |m| {
                if let Dynamics::Ode(odes) = &mut m.dynamics {
                    odes[0].rhs = Expr::Var(Var::Input(0));
                }
            }),
            DistanceInModel => corrupt_model(
                network,
                pick,
                |_| true,
                |m| {
                    m.spike = Some(Expr::Var(Var::Distance));
                },
            ),
            TwoEquationsForOneVariable => corrupt_model(network, pick, has_equations, |m| {
                if let Dynamics::Ode(odes) = &mut m.dynamics {
                    odes.push(odes[0].clone());
                }
            }),
            EquationForMissingVariable => corrupt_model(
                network,
                pick,
                |m| matches!(m.dynamics, Dynamics::Ode(_)),
                |m| {
                    let var = m.state.len() as u32;
                    if let Dynamics::Ode(odes) = &mut m.dynamics {
                        odes.push(Ode {
                            var,
                            rhs: Expr::Const(0.0),
                        });
                    }
                },
            ),
            ResetWithoutSpike => corrupt_model(
                network,
                pick,
                |m| !m.state.is_empty(),
                |m| {
                    m.spike = None;
                    m.reset = vec![Assignment {
                        var: 0,
                        value: Expr::Const(0.0),
                    }];
                },
            ),
            WrongArity => corrupt_model(
                network,
                pick,
                |_| true,
                |m| {
                    m.spike = Some(Expr::Call(Func::Max, vec![Expr::Const(1.0)]));
                },
            ),
            NonFiniteConstant => corrupt_model(
                network,
                pick,
                |_| true,
                |m| {
                    m.spike = Some(Expr::Const(f64::INFINITY));
                },
            ),
            NonIntegerPower => corrupt_model(
                network,
                pick,
                |_| true,
                |m| {
                    let half = Box::new(Expr::Const(0.5));
                    m.spike = Some(Expr::Binary(
                        BinaryOp::Pow,
                        Box::new(Expr::Var(Var::Dt)),
                        half,
                    ));
                },
            ),
            PostRangeBeyondSize => {
                let (id, _, post) = choose_projection(network, pick, |_| true)?;
                let size = population_size(network, post)?;
                projection_mut(network, id).post.end = size + 1;
                Some(Element::Projection(id))
            }
            EmptyPreRange => corrupt_projection(network, pick, |p| p.pre.end = p.pre.start),
            BernoulliOutOfRange => {
                corrupt_projection(network, pick, |p| p.rule = Rule::Bernoulli { p: 1.5 })
            }
            NanWeight => corrupt_projection(network, pick, |p| {
                p.weight = Distribution::Normal {
                    mean: f64::NAN,
                    sd: 0.0,
                };
            }),
            InvertedUniformWeight => corrupt_projection(network, pick, |p| {
                p.weight = Distribution::Uniform {
                    low: 1.0,
                    high: -1.0,
                };
            }),
            NegativeDelay => {
                corrupt_projection(network, pick, |p| p.delay = Distribution::Constant(-1e-3))
            }
            TargetOutOfRange => {
                corrupt_projection(network, pick, |p| p.target = SynapticTarget::State(1000))
            }
            DenseLengthMismatch => corrupt_projection(network, pick, |p| {
                let cells = p.pre.len() as usize * p.post.len() as usize;
                p.rule = Rule::Dense {
                    cols: p.post.len(),
                    entries: vec![1.0; cells + 1],
                };
            }),
            OneToOneLengthMismatch => {
                let (id, pre, post) = choose_projection(network, pick, |_| true)?;
                let (pre_size, post_size) = (
                    population_size(network, pre)?,
                    population_size(network, post)?,
                );
                let (pre_len, post_len) = match (pre_size >= 2, post_size >= 2) {
                    (_, true) => (1, 2),
                    (true, false) => (2, 1),
                    (false, false) => return None,
                };
                let projection = projection_mut(network, id);
                projection.rule = Rule::OneToOne;
                projection.pre = neurc_ir::NeuronRange::new(0, pre_len);
                projection.post = neurc_ir::NeuronRange::new(0, post_len);
                Some(Element::Projection(id))
            }
            ListPairOutOfRange => corrupt_projection(network, pick, |p| {
                p.rule = Rule::List {
                    path: "pairs.csv".to_string(),
                    pairs: vec![(p.pre.len(), 0)],
                    weights: None,
                    delays: None,
                };
            }),
            DistanceWithoutPositions => {
                let unplaced = |id: NodeId| {
                    network
                        .node(id)
                        .and_then(Node::population)
                        .is_some_and(|p| p.positions.is_none())
                };
                let projections: Vec<ProjId> = network
                    .projections()
                    .filter(|&(_, pre, post, _)| unplaced(pre) || unplaced(post))
                    .map(|(id, ..)| id)
                    .collect();
                let id = *choose(&projections, pick)?;
                let probability = Expr::Call(Func::Exp, vec![Expr::Var(Var::Distance)]);
                projection_mut(network, id).rule = Rule::Distance { probability };
                Some(Element::Projection(id))
            }
            ProjectionIntoSource => {
                let sources = node_ids(network, |_, node| matches!(node, Node::Source(_)));
                let source = *choose(&sources, pick)?;
                let (id, pre, _) = choose_projection(network, pick, |_| true)?;
                let edge = Edge::Projection(projection_mut(network, id).clone());
                let added = network.graph.add_edge(pre.index(), source.index(), edge);
                Some(Element::Projection(added.into()))
            }
            CouplingWithoutHost => {
                let spiking = node_ids(network, |_, node| node.population().is_some());
                let node = *choose(&spiking, pick)?;
                let coupling = Edge::Coupling(Coupling {
                    converter: "spikes_to_rate".to_string(),
                    params: BTreeMap::new(),
                });
                let added = network.graph.add_edge(node.index(), node.index(), coupling);
                Some(Element::Projection(added.into()))
            }
            RecordRangeBeyondSize => {
                let index = pick_index(network.records.len(), pick)?;
                let node = network.records[index].targets.first()?.node;
                let size = population_size(network, node)?;
                network.records[index].targets[0].neurons.end = size + 1;
                Some(Element::Record(index))
            }
            RecordDanglingNode => corrupt_record(network, pick, |r| {
                if let Some(target) = r.targets.first_mut() {
                    target.node = NodeId(10_000);
                }
            }),
            RecordWrongState => corrupt_record(network, pick, |r| {
                let wrong = match r.probe {
                    Probe::Spikes => Some(0),
                    Probe::State(_) => Some(1000),
                };
                if let Some(target) = r.targets.first_mut() {
                    target.state = wrong;
                }
            }),
            RecordWithoutTarget => corrupt_record(network, pick, |r| r.targets.clear()),
            ZeroDt => {
                network.simulation.dt = 0.0;
                Some(Element::Simulation)
            }
            NanDt => {
                network.simulation.dt = f64::NAN;
                Some(Element::Simulation)
            }
            NegativeDuration => {
                network.simulation.duration = -1.0;
                Some(Element::Simulation)
            }
            MissingNodeSpan => {
                if network.spans.files.is_empty() {
                    return None;
                }
                let ids: Vec<NodeId> = network.nodes().map(|(id, _)| id).collect();
                let id = *choose(&ids, pick)?;
                network.spans.nodes.remove(&id);
                Some(Element::Node(id))
            }
            StaleNodeSpan => {
                let stale = NodeId(network.nodes().map(|(id, _)| id.0 + 3).max().unwrap_or(3));
                network.spans.nodes.insert(stale, Span::default());
                Some(Element::Node(stale))
            }
            SpanInUnlistedFile => {
                let ids: Vec<ProjId> = network.spans.edges.keys().copied().collect();
                let id = *choose(&ids, pick)?;
                let unlisted = FileId(network.spans.files.len() as u32 + 1);
                network.spans.edges.get_mut(&id)?.file = unlisted;
                Some(Element::Projection(id))
            }
        }
    }
}

/// A defect injected into valid synapse tables.
#[derive(Clone, Copy, Debug)]
enum TableCorruption {
    MissingTable,
    TableForNoProjection,
    RowOffsetsTooShort,
    FirstOffsetNotZero,
    OffsetsPastTheTargets,
    TargetOutsidePostRange,
    DescendingRow,
    WeightCountMismatch,
    NanWeight,
    ZeroDelay,
    DelayCountMismatch,
    ForbiddenAutapse,
}

impl TableCorruption {
    const ALL: [TableCorruption; 12] = {
        use TableCorruption::*;
        [
            MissingTable,
            TableForNoProjection,
            RowOffsetsTooShort,
            FirstOffsetNotZero,
            OffsetsPastTheTargets,
            TargetOutsidePostRange,
            DescendingRow,
            WeightCountMismatch,
            NanWeight,
            ZeroDelay,
            DelayCountMismatch,
            ForbiddenAutapse,
        ]
    };

    /// Corrupts the table of a projection chosen by `pick` and returns the
    /// projection; `None` if no table can take this corruption.
    fn apply(
        self,
        network: &Network,
        connectivity: &mut Connectivity,
        pick: &Index,
    ) -> Option<Element> {
        use TableCorruption::*;
        let ids: Vec<ProjId> = connectivity.tables.keys().copied().collect();
        let id = *choose(&ids, pick)?;
        let (_, pre, post, projection) = network.projections().find(|(p, ..)| *p == id)?;
        let table = connectivity.tables.get_mut(&id)?;
        let synapses = table.targets.len();
        match self {
            MissingTable => {
                connectivity.tables.remove(&id);
            }
            TableForNoProjection => {
                let missing = ProjId(
                    network
                        .graph
                        .edge_indices()
                        .map(|e| e.index() as u32 + 5)
                        .max()
                        .unwrap_or(5),
                );
                let copy = table.clone();
                connectivity.tables.insert(missing, copy);
                return Some(Element::Projection(missing));
            }
            RowOffsetsTooShort => {
                table.row_offsets.pop();
            }
            FirstOffsetNotZero => table.row_offsets[0] += 1,
            OffsetsPastTheTargets => table.row_offsets[1] = synapses as u64 + 1,
            TargetOutsidePostRange => {
                table.targets.insert(0, projection.post.end);
                table.row_offsets.iter_mut().skip(1).for_each(|o| *o += 1);
            }
            DescendingRow => {
                let row = table.row_offsets.windows(2).find(|w| w[1] - w[0] >= 2)?;
                table.targets.swap(row[0] as usize, row[0] as usize + 1);
            }
            WeightCountMismatch => table.weights = PerSynapse::Varying(vec![0.5; synapses + 1]),
            NanWeight => table.weights = PerSynapse::Constant(f64::NAN),
            ZeroDelay => table.delays = PerSynapse::Constant(0),
            DelayCountMismatch => table.delays = PerSynapse::Varying(vec![1; synapses + 1]),
            ForbiddenAutapse => {
                if pre != post || projection.autapses {
                    return None;
                }
                let (start, end) = (projection.pre.start, projection.pre.end);
                let neuron = (start..end)
                    .find(|n| (projection.post.start..projection.post.end).contains(n))?;
                let row = (neuron - start) as usize;
                let (from, to) = (
                    table.row_offsets[row] as usize,
                    table.row_offsets[row + 1] as usize,
                );
                let at = from + table.targets[from..to].partition_point(|&t| t < neuron);
                table.targets.insert(at, neuron);
                table
                    .row_offsets
                    .iter_mut()
                    .skip(row + 1)
                    .for_each(|o| *o += 1);
            }
        }
        Some(Element::Projection(id))
    }
}

fn choose<'a, T>(items: &'a [T], pick: &Index) -> Option<&'a T> {
    (!items.is_empty()).then(|| pick.get(items))
}

fn pick_index(len: usize, pick: &Index) -> Option<usize> {
    (len > 0).then(|| pick.index(len))
}

fn node_ids(network: &Network, keep: impl Fn(&Network, &Node) -> bool) -> Vec<NodeId> {
    network
        .nodes()
        .filter(|(_, node)| keep(network, node))
        .map(|(id, _)| id)
        .collect()
}

fn population_size(network: &Network, id: NodeId) -> Option<u32> {
    network.node(id)?.population().map(|p| p.size)
}

fn has_equations(model: &neurc_ir::NeuronModel) -> bool {
    matches!(&model.dynamics, Dynamics::Ode(odes) if !odes.is_empty())
}

fn corrupt_population(
    network: &mut Network,
    pick: &Index,
    applies: impl Fn(&Population) -> bool,
    corrupt: impl FnOnce(&mut Population),
) -> Option<Element> {
    let ids = node_ids(network, |_, node| node.population().is_some_and(&applies));
    let id = *choose(&ids, pick)?;
    match network.graph.node_weight_mut(id.index())? {
        Node::Population(population) | Node::Source(population) => corrupt(population),
        _ => return None,
    }
    Some(Element::Node(id))
}

fn corrupt_model(
    network: &mut Network,
    pick: &Index,
    applies: impl Fn(&neurc_ir::NeuronModel) -> bool,
    corrupt: impl FnOnce(&mut neurc_ir::NeuronModel),
) -> Option<Element> {
    let ids: Vec<usize> = (0..network.models.len())
        .filter(|&i| applies(&network.models[i]))
        .collect();
    let index = *choose(&ids, pick)?;
    corrupt(&mut network.models[index]);
    Some(Element::Model(ModelId(index as u32)))
}

fn choose_projection(
    network: &Network,
    pick: &Index,
    applies: impl Fn(&Projection) -> bool,
) -> Option<(ProjId, NodeId, NodeId)> {
    let projections: Vec<(ProjId, NodeId, NodeId)> = network
        .projections()
        .filter(|(.., p)| applies(p))
        .map(|(id, pre, post, _)| (id, pre, post))
        .collect();
    choose(&projections, pick).copied()
}

fn projection_mut(network: &mut Network, id: ProjId) -> &mut Projection {
    match &mut network.graph[id.index()] {
        Edge::Projection(projection) => projection,
        Edge::Coupling(_) => unreachable!("{id} is a projection"),
    }
}

fn corrupt_projection(
    network: &mut Network,
    pick: &Index,
    corrupt: impl FnOnce(&mut Projection),
) -> Option<Element> {
    let (id, ..) = choose_projection(network, pick, |_| true)?;
    corrupt(projection_mut(network, id));
    Some(Element::Projection(id))
}

fn corrupt_record(
    network: &mut Network,
    pick: &Index,
    corrupt: impl FnOnce(&mut neurc_ir::Record),
) -> Option<Element> {
    let index = pick_index(network.records.len(), pick)?;
    corrupt(&mut network.records[index]);
    Some(Element::Record(index))
}
