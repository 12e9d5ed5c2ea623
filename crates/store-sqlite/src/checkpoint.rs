//! Copies the write-ahead log back into the database once writes pause.
//!
//! The writer lets the log grow to [`crate::WAL_PAGES`] before it
//! checkpoints in line, so that a run of small transactions (TAXII
//! envelopes of a thousand objects) shares the cost of writing back the
//! index pages they all touch (docs/benchmarks.md, "TAXII ingest and the
//! write-ahead log"). Readers pay for a long log on every page they look
//! up, so when no write has come for [`QUIET`] this thread checkpoints
//! (`PASSIVE`: it never blocks a reader or the writer) and the next write
//! starts the log afresh.

use std::path::PathBuf;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How long writes must pause before the background checkpoint.
pub(crate) const QUIET: Duration = Duration::from_millis(250);

pub(crate) struct Checkpointer {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

struct Shared {
    state: Mutex<State>,
    wake: Condvar,
}

struct State {
    /// A commit came since the last checkpoint.
    pending: bool,
    last_write: Instant,
    stop: bool,
    /// Checkpoints completed (read by the tests).
    done: u64,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Checkpointer {
    pub(crate) fn start(path: PathBuf) -> Checkpointer {
        let shared = Arc::new(Shared {
            state: Mutex::new(State { pending: false, last_write: Instant::now(), stop: false, done: 0 }),
            wake: Condvar::new(),
        });
        let inner = shared.clone();
        let thread = std::thread::Builder::new()
            .name("sqlite-checkpoint".into())
            .spawn(move || run(&inner, &path))
            .map_err(|e| tracing::warn!(error = %e, "cannot start the WAL checkpoint thread; the writer's own checkpoints remain"))
            .ok();
        Checkpointer { shared, thread }
    }

    /// Notes a commit: a checkpoint is due once writes pause.
    pub(crate) fn wrote(&self) {
        let mut s = self.shared.lock();
        s.pending = true;
        s.last_write = Instant::now();
        drop(s);
        self.shared.wake.notify_one();
    }

    /// How many background checkpoints have completed.
    #[cfg(test)]
    pub(crate) fn done(&self) -> u64 {
        self.shared.lock().done
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        self.shared.lock().stop = true;
        self.shared.wake.notify_one();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn run(shared: &Shared, path: &std::path::Path) {
    let mut conn = None;
    let mut s = shared.lock();
    loop {
        if s.stop {
            return;
        }
        if !s.pending {
            s = shared.wake.wait(s).unwrap_or_else(|p| p.into_inner());
            continue;
        }
        let since = s.last_write.elapsed();
        if since < QUIET {
            s = shared.wake.wait_timeout(s, QUIET - since).unwrap_or_else(|p| p.into_inner()).0;
            continue;
        }
        s.pending = false;
        drop(s);
        if conn.is_none() {
            conn = crate::connect(path, rusqlite::OpenFlags::default())
                .map_err(|e| tracing::warn!(error = %e, "WAL checkpoint: cannot open the database"))
                .ok();
        }
        let ok = conn.as_ref().is_some_and(|c| {
            c.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| Ok((r.get::<_, i64>(1)?, r.get::<_, i64>(2)?)))
                .map(|(log, copied)| tracing::debug!(log, copied, "WAL checkpoint"))
                .map_err(|e| tracing::warn!(error = %e, "WAL checkpoint failed"))
                .is_ok()
        });
        s = shared.lock();
        if ok {
            s.done += 1;
        }
    }
}
