//! The JSON form: lossless round trips (ids and holes included) and a
//! deterministic printer.

mod common;

use common::cuba;
use neurc_ir::testing::arb_network;
use neurc_ir::{Network, NodeId, ProjId, print, verify};
use proptest::prelude::*;

fn round_trip(network: &Network) -> Network {
    Network::from_json(&network.to_json()).expect("a network reads back from its JSON")
}

proptest! {
    #[test]
    fn json_round_trips_generated_networks(network in arb_network()) {
        let json = network.to_json();
        let back = round_trip(&network);
        prop_assert_eq!(back.to_json(), json);
        prop_assert_eq!(print(&back), print(&network));
        prop_assert_eq!(&back.models, &network.models);
        prop_assert_eq!(&back.spans, &network.spans);
        prop_assert!(verify(&back).is_ok());
    }

    #[test]
    fn printing_is_deterministic(network in arb_network()) {
        let listing = print(&network);
        prop_assert_eq!(print(&network), listing.clone());
        prop_assert_eq!(print(&network.clone()), listing);
    }
}

#[test]
fn holes_left_by_removals_survive_the_round_trip() {
    let mut network = cuba();
    // Removing the source takes its projection e4 with it; removing e1
    // leaves a second edge hole.
    network.graph.remove_node(NodeId(2).index());
    network.graph.remove_edge(ProjId(1).index());
    network.spans.nodes.remove(&NodeId(2));
    network.spans.edges.remove(&ProjId(1));
    network.spans.edges.remove(&ProjId(4));
    assert_eq!(verify(&network), Ok(()));

    let back = round_trip(&network);
    assert_eq!(verify(&back), Ok(()));
    assert_eq!(back.to_json(), network.to_json());
    assert_eq!(print(&back), print(&network));
    assert!(back.node(NodeId(2)).is_none());
    assert_eq!(back.node(NodeId(3)).map(|n| n.name()), Some("relay"));
    let ids = |n: &Network| {
        n.projections()
            .map(|(id, pre, post, _)| (id, pre, post))
            .collect::<Vec<_>>()
    };
    assert_eq!(ids(&back), ids(&network));
    assert_eq!(
        ids(&back).iter().map(|(id, ..)| id.0).collect::<Vec<_>>(),
        [0, 2, 3, 5]
    );
}

#[test]
fn floats_read_back_bit_for_bit() {
    let mut network = cuba();
    network.simulation.dt = 0.1 + 0.2;
    network.simulation.duration = 1.0 / 3.0;
    let back = round_trip(&network);
    assert_eq!(
        back.simulation.dt.to_bits(),
        network.simulation.dt.to_bits()
    );
    assert_eq!(
        back.simulation.duration.to_bits(),
        network.simulation.duration.to_bits()
    );
}

#[test]
fn malformed_json_is_an_error() {
    assert!(Network::from_json("{").is_err());
    assert!(Network::from_json("{\"models\": 3}").is_err());
}
