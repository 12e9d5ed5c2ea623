//! Limits on detection requests (`POST /api/v1/detect` and the detection
//! page): each request's budget, and a fair share of the detection workers
//! for every partner, so one caller cannot take them all.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use node::detect::{self, Budget};

/// The node's detection limits.
#[derive(Debug, Clone)]
pub struct DetectLimits {
    /// Most matching steps one indicator may spend in one request.
    pub indicator_steps: u64,
    /// Most matching steps one request may spend.
    pub request_steps: u64,
    /// Longest one request may spend matching.
    pub request_time: Duration,
    /// Detection requests running at once, node-wide.
    pub workers: usize,
    /// Detection requests one partner may run at once.
    pub per_partner: usize,
    /// How long a request waits for a worker before it is refused.
    pub wait: Duration,
}

impl Default for DetectLimits {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        let workers = cores.max(4);
        DetectLimits {
            indicator_steps: detect::INDICATOR_STEPS,
            request_steps: 200_000_000,
            request_time: Duration::from_secs(10),
            workers,
            per_partner: (workers / 4).max(1),
            wait: Duration::from_secs(2),
        }
    }
}

/// Why a request got no worker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// The caller's partner already runs its share of requests.
    PartnerBusy,
    /// Every worker is taken.
    NodeBusy,
}

/// The detection workers: a node-wide pool and each partner's share of it.
pub struct Workers {
    /// The limits every request runs under.
    pub limits: DetectLimits,
    all: Arc<Semaphore>,
    partners: Mutex<HashMap<String, Arc<Semaphore>>>,
}

/// A request's hold on a worker, released when dropped.
pub struct Permit {
    _partner: OwnedSemaphorePermit,
    _worker: OwnedSemaphorePermit,
}

impl Default for Workers {
    fn default() -> Self {
        Workers::new(DetectLimits::default())
    }
}

impl Workers {
    /// Workers under these limits.
    pub fn new(limits: DetectLimits) -> Workers {
        Workers { all: Arc::new(Semaphore::new(limits.workers.max(1))), partners: Mutex::new(HashMap::new()), limits }
    }

    /// Waits up to [`DetectLimits::wait`] for the partner's share, then
    /// for a worker.
    pub async fn admit(&self, partner: &str) -> Result<Permit, Refused> {
        let share = {
            let mut m = self.partners.lock().unwrap_or_else(|p| p.into_inner());
            m.entry(partner.to_owned()).or_insert_with(|| Arc::new(Semaphore::new(self.limits.per_partner.max(1)))).clone()
        };
        let wait = self.limits.wait;
        let own = match tokio::time::timeout(wait, share.acquire_owned()).await {
            Ok(Ok(p)) => p,
            _ => return Err(Refused::PartnerBusy),
        };
        match tokio::time::timeout(wait, self.all.clone().acquire_owned()).await {
            Ok(Ok(worker)) => Ok(Permit { _partner: own, _worker: worker }),
            _ => Err(Refused::NodeBusy),
        }
    }

    /// A request's budget, starting now, stopped by `cancel`.
    pub fn budget(&self, cancel: Arc<AtomicBool>) -> Budget {
        Budget {
            indicator_steps: self.limits.indicator_steps,
            run_steps: self.limits.request_steps,
            deadline: Some(Instant::now() + self.limits.request_time),
            cancel: Some(cancel),
        }
    }
}

/// Sets its flag when dropped: held by a request's handler, so the
/// matching stops when the handler is dropped (the client went away).
pub struct CancelOnDrop(pub Arc<AtomicBool>);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}
