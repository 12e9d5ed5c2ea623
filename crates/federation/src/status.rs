//! Each peer's sync status, kept by the server's scheduler after every
//! round and read by `GET /api/v1/peers`, the peers page and the metrics.

use std::collections::HashMap;

/// What this node knows of its sync with one peer, for `GET /api/v1/peers`.
#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct PeerStatus {
    /// When the last round ended well.
    pub last_sync: Option<String>,
    /// The last round's error, if it failed (cleared by a good round).
    pub last_error: Option<String>,
    /// Rounds that failed in a row.
    pub failures: u32,
    /// Versions stored from this peer since the node started.
    pub pulled: u64,
    /// Versions refused since the node started.
    pub refused: u64,
    /// Of those, how many of each type (a partnership record a module
    /// refused on arrival, counted under its kind).
    pub refused_by_type: std::collections::BTreeMap<String, u64>,
    /// The cursor: the peer's date of the last version read.
    pub cursor: Option<String>,
    /// Seconds between the cursor and the end of the last good round.
    pub lag_seconds: Option<f64>,
    /// How long the last good round took, in seconds.
    pub last_round_seconds: Option<f64>,
}

/// Every peer's status, shared by the sync loop and the API.
#[derive(Debug, Default)]
pub struct SyncStatus(std::sync::Mutex<HashMap<String, PeerStatus>>);

impl SyncStatus {
    /// One peer's status.
    pub fn get(&self, peer: &str) -> Option<PeerStatus> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).get(peer).cloned()
    }

    /// Changes one peer's status (the scheduler, after each round).
    pub fn update(&self, peer: &str, f: impl FnOnce(&mut PeerStatus)) {
        f(self.0.lock().unwrap_or_else(|p| p.into_inner()).entry(peer.to_owned()).or_default());
    }
}

