//! What `serve` knows about its own state, shared by its parts and shown by `/healthz`:
//! how many events wait, how many a handler holds unacknowledged, how many are parked,
//! and what, if anything, keeps the database from being written.

use std::collections::BTreeMap;
use std::sync::atomic::AtomicI64;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// After a shutdown request, how long parts blocked by the database keep waiting before
/// they leave what is left for the next start.
const SHUTDOWN_PATIENCE: Duration = Duration::from_secs(10);

#[derive(Default)]
pub(crate) struct Health {
    /// Events stored and not yet handed over.
    pub backlog: AtomicI64,
    /// Events written to a handler and not yet acknowledged.
    pub unacknowledged: AtomicI64,
    /// Replies waiting in the outbox, and when the oldest was stored (unix seconds; 0:
    /// none), as the outbox last counted them.
    pub outbox_backlog: AtomicI64,
    pub outbox_oldest: AtomicI64,
    /// Events a handler crashed on too often, set aside (`wa-cloud inbox parked`).
    pub parked: AtomicI64,
    /// What each part of serve waits for, by part ("inbox", "hand-over", "outbox", ...).
    problems: Mutex<BTreeMap<&'static str, String>>,
    /// When a shutdown was asked for.
    shutdown: OnceLock<Instant>,
}

impl Health {
    /// Records what `part` waits for (shown by `/healthz` until cleared).
    pub(crate) fn set_problem(&self, part: &'static str, what: impl Into<String>) {
        self.problems
            .lock()
            .expect("no panic holds the lock")
            .insert(part, what.into());
    }

    /// `part` is fine again.
    pub(crate) fn clear_problem(&self, part: &'static str) {
        self.problems
            .lock()
            .expect("no panic holds the lock")
            .remove(part);
    }

    /// Notes that serve is shutting down.
    pub(crate) fn ask_shutdown(&self) {
        let _ = self.shutdown.set(Instant::now());
    }

    /// Whether serve has been asked to shut down.
    pub(crate) fn shutting_down(&self) -> bool {
        self.shutdown.get().is_some()
    }

    /// Whether a part blocked by the database should stop waiting: serve was asked to
    /// shut down a while ago. What it leaves stays stored for the next start.
    pub(crate) fn stop_waiting(&self) -> bool {
        self.shutdown
            .get()
            .is_some_and(|asked| asked.elapsed() >= SHUTDOWN_PATIENCE)
    }

    /// Every current problem, as `part: what`.
    pub(crate) fn problems(&self) -> Vec<String> {
        let problems = self.problems.lock().expect("no panic holds the lock");
        problems
            .iter()
            .map(|(part, what)| format!("{part}: {what}"))
            .collect()
    }
}
