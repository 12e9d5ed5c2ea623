//! The sync scheduler: pulls from every peer on its own schedule (the
//! round itself is the `federation` crate's), backing off after failures,
//! and keeps each peer's status for `GET /api/v1/peers` and the metrics.

use std::collections::HashMap;
use std::time::Duration;

use model::StixId;
use store::{PeerRecord, Registry, Store};

pub use federation::{cursor_key, read_again, PeerStatus, Report, SyncStatus, EPOCH, PAGE};

use crate::peers::PeerSecrets;

/// One sync round with `peer` for this node's partner `local`
/// ([`federation::pull`]), with the credential kept for the peer and this
/// build's partnership modules checking their records on arrival.
pub fn pull(
    store: &dyn Store,
    registry: &dyn Registry,
    secrets: &PeerSecrets,
    peer: &PeerRecord,
    local: &StixId,
    limits: &model::Limits,
) -> Result<Report, String> {
    // One round per peer at a time: the admin's "sync now" waits for the
    // scheduler's round with the same peer to end (and then reads only what
    // arrived since), instead of reading the same pages beside it.
    let lock = round_lock(&peer.id);
    let _round = lock.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let token = secrets.read(&peer.id).map_err(|e| format!("the peer's credential: {e}"))?;
    let modules = crate::modules::registered();
    let arrival = |o: &model::Object, index: &policy::AgreementIndex| crate::modules::check_arrival(&modules, o, index);
    federation::pull(store, registry, &token, peer, local, limits, &arrival)
}

/// The lock a round with `peer` holds (one per peer, for the process's
/// life: a node has few peers).
fn round_lock(peer: &str) -> std::sync::Arc<std::sync::Mutex<()>> {
    static LOCKS: std::sync::OnceLock<std::sync::Mutex<HashMap<String, std::sync::Arc<std::sync::Mutex<()>>>>> = std::sync::OnceLock::new();
    let mut locks = LOCKS.get_or_init(Default::default).lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    locks.entry(peer.to_owned()).or_default().clone()
}

/// The wait after `failures` failed rounds in a row: the interval doubled
/// per failure up to an hour, plus up to a quarter of it at random, so
/// nodes that failed together do not retry together.
pub fn backoff(interval: Duration, failures: u32) -> Duration {
    let base = interval.saturating_mul(1u32 << failures.min(16)).min(Duration::from_secs(3600)).max(interval);
    let mut r = [0u8; 8];
    let _ = getrandom::fill(&mut r);
    let jitter = base.mul_f64((u64::from_le_bytes(r) % 1000) as f64 / 4000.0);
    base + jitter
}

/// Pulls from every peer every `interval` (each peer on its own schedule,
/// backing off after failures), until the process stops. Each round runs on
/// a blocking thread; its outcome goes to `state.sync` and the metrics
/// `entente_sync_objects_total{peer}`, `entente_sync_refused_total{peer}`,
/// `entente_sync_errors_total{peer}` and `entente_sync_lag_seconds{peer}`.
pub async fn run(state: crate::AppState, secrets: PeerSecrets, interval: Duration) {
    let mut due: HashMap<String, tokio::time::Instant> = HashMap::new();
    let mut tick = tokio::time::interval(Duration::from_secs(1).min(interval));
    loop {
        tick.tick().await;
        let registry = state.registry.clone();
        let Ok(Ok(peers)) = tokio::task::spawn_blocking(move || registry.peers()).await else { continue };
        let now = tokio::time::Instant::now();
        due.retain(|id, _| peers.iter().any(|p| &p.id == id));
        for peer in peers {
            if due.get(&peer.id).is_some_and(|t| *t > now) {
                continue;
            }
            let local = match StixId::parse(&state.node.partner) {
                Ok(l) => l,
                Err(_) => return,
            };
            let (store, registry, secrets, limits) = (state.store.clone(), state.registry.clone(), secrets.clone(), state.limits);
            let p = peer.clone();
            let outcome =
                tokio::task::spawn_blocking(move || pull(&*store, &*registry, &secrets, &p, &local, &limits)).await;
            let id = peer.id.clone();
            let wait = match outcome {
                Ok(Ok(report)) => {
                    let end = model::Timestamp::now();
                    let (refused, lag) = state.sync.succeeded(&id, &report, &end);
                    metrics::counter!("entente_sync_objects_total", "peer" => id.clone()).increment(report.added);
                    metrics::counter!("entente_sync_refused_total", "peer" => id.clone()).increment(refused);
                    for (kind, n) in &report.refused_by_type {
                        metrics::counter!("entente_sync_refused_by_type_total", "peer" => id.clone(), "type" => kind.clone()).increment(*n);
                    }
                    if let Some(l) = lag {
                        metrics::gauge!("entente_sync_lag_seconds", "peer" => id.clone()).set(l);
                    }
                    if report.added > 0 || refused > 0 {
                        tracing::info!(peer = %id, added = report.added, refused, "sync round");
                    }
                    interval
                }
                failed => {
                    let e = match failed {
                        Ok(Err(e)) => e,
                        Err(e) => format!("the round stopped: {e}"),
                        Ok(Ok(_)) => String::new(),
                    };
                    metrics::counter!("entente_sync_errors_total", "peer" => id.clone()).increment(1);
                    tracing::warn!(peer = %id, error = %e, "sync round failed");
                    backoff(interval, state.sync.failed(&id, &e))
                }
            };
            due.insert(peer.id, tokio::time::Instant::now() + wait);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::backoff;

    #[test]
    fn backoff_doubles_to_an_hour_with_a_quarter_of_jitter() {
        let minute = Duration::from_secs(60);
        for (failures, base) in [(0, 60), (1, 120), (3, 480), (6, 3600), (40, 3600)] {
            for _ in 0..50 {
                let w = backoff(minute, failures).as_secs_f64();
                assert!(w >= base as f64 && w <= base as f64 * 1.25, "{failures} failures: {w} s");
            }
        }
        let waits: std::collections::BTreeSet<u128> = (0..50).map(|_| backoff(minute, 2).as_millis()).collect();
        assert!(waits.len() > 10, "no jitter: {waits:?}");
    }

    /// Rounds with one peer run one at a time; a round with another peer
    /// runs beside them.
    #[test]
    fn one_round_per_peer_at_a_time() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        use std::sync::Arc;

        let inside = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let (inside, most) = (inside.clone(), most.clone());
                std::thread::spawn(move || {
                    let lock = super::round_lock("peer-a");
                    let _round = lock.lock().unwrap();
                    let now = inside.fetch_add(1, Ordering::SeqCst) + 1;
                    most.fetch_max(now, Ordering::SeqCst);
                    std::thread::sleep(std::time::Duration::from_millis(20));
                    inside.fetch_sub(1, Ordering::SeqCst);
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(most.load(Ordering::SeqCst), 1, "two rounds with peer-a overlapped");
        let a = super::round_lock("peer-a");
        let _held = a.lock().unwrap();
        let b = super::round_lock("peer-b");
        assert!(b.try_lock().is_ok(), "peer-b's round waits for nobody");
        assert!(super::round_lock("peer-a").try_lock().is_err(), "the same lock for the same peer");
    }
}
