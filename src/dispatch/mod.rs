//! The handler: processes that get events as JSON lines on stdin and write replies as
//! JSON lines on stdout (docs/PROTOCOL.md).
//!
//! Long-running mode runs `workers` copies; a sender's events always go to the same copy
//! (a stable hash of the sender), so a conversation stays in order. A copy that exits is
//! started again: at once after status 0, after a capped, growing delay otherwise; its
//! events wait in its queue meanwhile. Per-message mode starts the handler for each event,
//! at most `workers` at once and never two for one sender. stdout and stderr are read on
//! their own threads, so a chatty handler never blocks; stderr goes to the log, tagged.
//!
//! Hand-over is acknowledged (docs/PROTOCOL.md, "Acknowledgements"): an event stays
//! pending in the database until the handler has dealt with it — `{"done": ID}`, exit 0
//! in per-message mode, or with `immediate` a reply or read mark that answers it — and
//! acknowledging an event acknowledges every event written before it to that process.
//! At most `window` events are written and unacknowledged per worker. Those a handler
//! held when it ended are written again, marked `"redelivered": true`; the oldest is
//! charged with the crash, and parked after more than `retries`. With `immediate` false,
//! the replies to an event are held until it is done and dropped if the handler dies
//! first.
//!
//! The parts: `command` checks the handler's command and builds its environment;
//! `protocol` reads the reply-line protocol (a pure function of a line, unit-tested
//! without processes); `process` starts, reads, writes and ends handler processes;
//! `replies` turns lines into stored replies and acknowledgements; `long_running` and
//! `per_message` are the two modes; `events` writes the event lines (with media
//! downloaded for `--download-media`).

mod command;
mod events;
mod long_running;
mod per_message;
mod process;
mod protocol;
mod replies;

use std::ffi::OsString;
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::mpsc::{self, Sender};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use anyhow::Result;
use serde_json::{Value, json};

use crate::health::Health;
use crate::outbox::Outbox;
use crate::store::Store;
use crate::store::inbox::Pending;

pub(crate) use command::{handler_env, parse_command};

use events::{event_id, id_and_number};
use long_running::{Input, LongRunning};
use per_message::{PerMessageQueue, per_message_worker};

const FIRST_RESTART_DELAY: Duration = Duration::from_millis(200);
const MAX_RESTART_DELAY: Duration = Duration::from_secs(5);
/// A handler that ran this long before failing starts the delay over.
const STABLE_RUN: Duration = Duration::from_secs(30);

/// How to run the handler.
pub(crate) struct HandlerSpec {
    pub argv: Vec<String>,
    /// The whole environment of the handler (secrets already removed).
    pub env: Vec<(OsString, OsString)>,
    pub per_message: bool,
    pub workers: usize,
    pub immediate: bool,
    pub retries: u32,
    pub mark_as_read: bool,
    /// Whether the handler asked for `error` events.
    pub error_events: bool,
    pub db: PathBuf,
    /// With `--download-media`: where and how media is fetched before an event is written.
    pub download: Option<MediaDownload>,
    /// Counts the handler's failed exits, for whoever wants to know (`wa-cloud dev`).
    pub crashes: Option<Arc<std::sync::atomic::AtomicUsize>>,
    /// Events a worker's handler may hold unacknowledged, and the longest line it may write.
    pub window: crate::config::Window,
    /// See `dispatch.ackTimeout`.
    pub ack_timeout: Option<Duration>,
    /// Counts unacknowledged and parked events for `/healthz`.
    pub health: Arc<Health>,
    /// Stores an `error` event (its dedup key and the event) for the handler.
    pub report: Report,
}

/// Stores an `error` event under a key that makes it unique.
pub(crate) type Report = Arc<dyn Fn(String, Value) + Send + Sync>;

/// What `--download-media` needs.
pub(crate) struct MediaDownload {
    pub client: crate::graph::Client,
    pub dir: PathBuf,
    pub phone_number_id: String,
    /// Clients of the numbers with an access token of their own (`graphApi.numbers`):
    /// an event's media is fetched with the token of the number it came to.
    pub by_number: std::collections::HashMap<String, crate::graph::Client>,
}

/// Bytes of events a worker holds that its handler has not been given yet (at least one
/// event): beyond it, [`Dispatcher::deliver`] waits, and a backlog stays in the database
/// instead of being copied into memory.
const HELD_EVENT_BYTES: usize = 1024 * 1024;

/// Counts the bytes of events given to a worker and not yet written to its handler, and
/// makes the giver wait while there are too many.
struct Gate {
    held: Mutex<usize>,
    room: Condvar,
    health: Arc<Health>,
}

impl Gate {
    pub(super) fn new(health: Arc<Health>) -> Gate {
        Gate {
            held: Mutex::new(0),
            room: Condvar::new(),
            health,
        }
    }

    /// Waits for room for `bytes` more; false when serve is shutting down meanwhile (the
    /// event stays pending in the database for the next start).
    fn enter(&self, bytes: usize) -> bool {
        let mut held = self.held.lock().expect("no panic holds the lock");
        while *held > 0 && *held + bytes > HELD_EVENT_BYTES {
            if self.health.shutting_down() {
                return false;
            }
            held = self
                .room
                .wait_timeout(held, Duration::from_millis(100))
                .expect("no panic holds the lock")
                .0;
        }
        *held += bytes;
        true
    }

    /// Counts events taken back without waiting (a handler ended holding them).
    fn add(&self, bytes: usize) {
        *self.held.lock().expect("no panic holds the lock") += bytes;
    }

    fn leave(&self, bytes: usize) {
        let mut held = self.held.lock().expect("no panic holds the lock");
        *held = held.saturating_sub(bytes);
        self.room.notify_all();
    }
}

fn bytes_of(events: &[Pending]) -> usize {
    events.iter().map(|e| e.event.len()).sum()
}

/// The running handler, whichever its mode.
pub(crate) struct Dispatcher {
    routes: Vec<Sender<Input>>,
    gates: Vec<Arc<Gate>>,
    per_message: Option<Arc<PerMessageQueue>>,
    threads: Vec<JoinHandle<()>>,
}

impl Dispatcher {
    /// Starts the workers; fails when the handler cannot be started at all.
    pub(crate) fn start(spec: HandlerSpec, outbox: Outbox) -> Result<Dispatcher> {
        let spec = Arc::new(spec);
        let mut threads = Vec::new();
        if spec.per_message {
            let queue = Arc::new(PerMessageQueue::new(spec.health.clone()));
            for index in 0..spec.workers {
                let (spec, outbox, queue) = (spec.clone(), outbox.clone(), queue.clone());
                let store = Store::open_in_server(&spec.db)?;
                threads.push(
                    std::thread::Builder::new()
                        .name(format!("handler-{index}"))
                        .spawn(move || per_message_worker(index, &spec, &outbox, &queue, store))?,
                );
            }
            return Ok(Dispatcher {
                routes: Vec::new(),
                gates: Vec::new(),
                per_message: Some(queue),
                threads,
            });
        }
        let mut routes = Vec::new();
        let mut gates = Vec::new();
        let (started, starts) = mpsc::channel();
        for index in 0..spec.workers {
            let (input, inputs) = mpsc::channel();
            let gate = Arc::new(Gate::new(spec.health.clone()));
            gates.push(gate.clone());
            let worker = LongRunning::new(
                index,
                spec.clone(),
                gate,
                Store::open_in_server(&spec.db)?,
                input.clone(),
                outbox.clone(),
            );
            let started = started.clone();
            threads.push(
                std::thread::Builder::new()
                    .name(format!("handler-{index}"))
                    .spawn(move || worker.run(inputs, started))?,
            );
            routes.push(input);
        }
        let dispatcher = Dispatcher {
            routes,
            gates,
            per_message: None,
            threads,
        };
        for _ in 0..spec.workers {
            if let Ok(Err(err)) = starts.recv() {
                dispatcher.stop();
                return Err(err);
            }
        }
        Ok(dispatcher)
    }

    /// Hands an event to the worker that owns its sender, waiting while that worker holds
    /// [`HELD_EVENT_BYTES`] not yet written. False when serve is shutting down meanwhile:
    /// the event stays pending in the database, to be handed over at the next start.
    pub(crate) fn deliver(&self, event: Pending) -> bool {
        crate::metrics::get().handed_over.inc();
        match &self.per_message {
            Some(queue) => queue.push(event),
            None => {
                let sender = event.peer.as_deref().unwrap_or_default();
                let worker = stable_hash(sender) as usize % self.routes.len();
                if !self.gates[worker].enter(event.event.len()) {
                    return false;
                }
                let _ = self.routes[worker].send(Input::Event(event));
                true
            }
        }
    }

    /// Closes every handler's stdin, takes the replies they still write, waits for them
    /// (then signals), and returns. Events not acknowledged by then are handed over again
    /// at the next start.
    pub(crate) fn stop(self) {
        for route in &self.routes {
            let _ = route.send(Input::Stop);
        }
        if let Some(queue) = &self.per_message {
            queue.stop();
        }
        for thread in self.threads {
            let _ = thread.join();
        }
    }
}

/// FNV-1a: the same sender maps to the same worker in every run and every version.
fn stable_hash(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Runs a database write of the handler's parts, waiting through storage trouble (shown
/// by `/healthz`) until it succeeds, or until serve has been stopping for a while.
fn patiently<T>(spec: &HandlerSpec, op: impl FnMut() -> Result<T>) -> Result<T> {
    crate::store::patiently_while_serving(&spec.health, "handler", &spec.db, op)
}

/// Counts the hand-over of `events` in the database before they are written, and marks
/// first-time messages read. False when the database cannot count them now.
fn count_hand_over(
    events: &[Pending],
    store: &mut Store,
    spec: &HandlerSpec,
    outbox: &Outbox,
) -> bool {
    let seqs: Vec<i64> = events.iter().map(|e| e.seq).collect();
    if let Err(err) = patiently(spec, || store.mark_handed(&seqs)) {
        tracing::warn!("cannot hand events over yet: {err:#}");
        return false;
    }
    for event in events {
        if spec.mark_as_read
            && event.kind == "message"
            && event.handed == 0
            && let Some((wamid, number)) = id_and_number(event)
        {
            // Through the business number the message came to.
            outbox.mark_read_through(&wamid, false, number);
        }
    }
    true
}

/// A handler exited (or could not start) while `event` was the oldest it had not
/// acknowledged: counts the crash against the event, and parks the event when it has
/// caused more than `retries`. True when it was parked.
fn crashed_on(event: &Pending, store: &Store, spec: &HandlerSpec, worker: usize) -> bool {
    let crashes = match patiently(spec, || store.record_crash(event.seq)) {
        Ok(crashes) => crashes,
        Err(err) => {
            tracing::error!("cannot count a crash of handler[{worker}]: {err:#}");
            return false;
        }
    };
    if crashes <= i64::from(spec.retries) {
        tracing::warn!(
            "handler[{worker}] ended without acknowledging event {} (crash {crashes} of at most {}): handing it over again",
            event.seq,
            spec.retries + 1
        );
        return false;
    }
    let why = format!(
        "the handler ended {crashes} times without acknowledging it (dispatch.retries is {})",
        spec.retries
    );
    if let Err(err) = patiently(spec, || store.park(event.seq, &why)) {
        tracing::error!("cannot park event {}: {err:#}", event.seq);
        return false;
    }
    tracing::error!(
        "handler[{worker}]: event {} parked: {why}. `wa-cloud inbox parked` lists it, `wa-cloud inbox retry {}` hands it over again",
        event.seq,
        event.seq
    );
    spec.health.parked.fetch_add(1, Ordering::Relaxed);
    (spec.report)(
        format!("parked|{}", event.seq),
        json!({"event": "error", "error": format!("event {} parked: {why}", event.seq),
               "parked": {"seq": event.seq, "id": event_id(event), "kind": event.kind},
               "to": event.peer}),
    );
    true
}

fn count_crash(spec: &HandlerSpec) {
    if let Some(crashes) = &spec.crashes {
        crashes.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_sender_always_maps_to_the_same_value() {
        assert_eq!(stable_hash("4915112345678"), stable_hash("4915112345678"));
        assert_ne!(stable_hash("4915112345678"), stable_hash("4915112345679"));
        assert_eq!(stable_hash(""), 0xcbf2_9ce4_8422_2325);
    }
}
