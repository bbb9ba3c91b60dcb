//! The JSON form of a network: complete and lossless, for `neurc ir
//! --json`, golden files and exchange with other tools.
//!
//! Graph indices survive the round trip, including the holes that removals
//! leave in the middle of the graph, so ids in the text listing, in span
//! tables and in synapse tables stay valid. Floats read back bit for bit
//! (serde_json's `float_roundtrip`); non-finite numbers, which the verifier
//! rejects, are written as `null` and do not read back.

use crate::network::Network;

impl Network {
    /// The network as pretty-printed JSON.
    pub fn to_json(&self) -> String {
        // Serialising cannot fail: every map key is a typed id or a string,
        // which JSON accepts, and every value is plain data.
        serde_json::to_string_pretty(self).expect("a network always serialises to JSON")
    }

    /// Reads a network written by [`Network::to_json`].
    pub fn from_json(json: &str) -> Result<Network, serde_json::Error> {
        serde_json::from_str(json)
    }
}
