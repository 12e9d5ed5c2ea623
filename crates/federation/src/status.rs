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

    /// Records a good round with `peer` that ended at `end`: what it
    /// stored and refused (by type too), its cursor, the lag behind it.
    /// Returns how many it refused and the lag in seconds.
    pub fn succeeded(&self, peer: &str, report: &crate::Report, end: &model::Timestamp) -> (u64, Option<f64>) {
        let refused: u64 = report.refused.values().sum();
        let lag = report.cursor.as_deref().and_then(|c| model::Timestamp::parse(c).ok()).map(|c| (end.micros() - c.micros()) as f64 / 1e6);
        self.update(peer, |s| {
            s.last_sync = Some(end.to_string());
            s.last_error = None;
            s.failures = 0;
            s.pulled += report.added;
            s.refused += refused;
            for (kind, n) in &report.refused_by_type {
                *s.refused_by_type.entry(kind.clone()).or_default() += n;
            }
            s.cursor = report.cursor.clone();
            s.lag_seconds = lag;
            s.last_round_seconds = Some(report.seconds);
        });
        (refused, lag)
    }

    /// Records a failed round with `peer`; returns the failures in a row.
    pub fn failed(&self, peer: &str, error: &str) -> u32 {
        let mut failures = 0;
        self.update(peer, |s| {
            s.last_error = Some(error.to_owned());
            s.failures += 1;
            failures = s.failures;
        });
        failures
    }

    /// Changes one peer's status.
    pub fn update(&self, peer: &str, f: impl FnOnce(&mut PeerStatus)) {
        f(self.0.lock().unwrap_or_else(|p| p.into_inner()).entry(peer.to_owned()).or_default());
    }
}


#[cfg(test)]
mod tests {
    use super::SyncStatus;
    use crate::Report;

    #[test]
    fn rounds_add_up_per_peer_and_type_and_a_failure_counts_in_a_row() {
        let status = SyncStatus::default();
        let mut report = Report { added: 3, cursor: Some("2026-03-01T00:00:00Z".into()), seconds: 0.5, ..Report::default() };
        report.refused.insert("bad".into(), 2);
        report.refused_by_type.insert("x-entente-meeting".into(), 2);
        let end = model::Timestamp::parse("2026-03-01T00:00:10Z").unwrap();
        assert_eq!(status.succeeded("p", &report, &end), (2, Some(10.0)));
        assert_eq!((status.failed("p", "down"), status.failed("p", "down")), (1, 2));
        status.succeeded("p", &report, &end);
        let s = status.get("p").unwrap();
        assert_eq!((s.pulled, s.refused, s.refused_by_type["x-entente-meeting"], s.failures, s.last_error), (6, 4, 4, 0, None));
        assert!(status.get("q").is_none());
    }
}
