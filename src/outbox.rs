//! Sending replies: per recipient in the order they were written, different recipients
//! concurrently, within Meta's rate, each stored before it is sent.
//!
//! One scheduler thread owns the order. It loads unsent rows from the database (rows that
//! this process stored, rows that `wa-cloud send` appended while we hold the lease, rows
//! left over from before a restart), keeps one queue per recipient, and hands the head of
//! each free queue to a bounded pool of sender threads (ureq blocks). With
//! `messages.sequential`, a recipient's next message waits until WhatsApp reports the
//! previous one delivered, read, played or failed, or the timeout passes; reactions, which
//! WhatsApp only ever reports as sent, do not hold the queue. Errors that retrying cannot
//! mend fail their message, are reported, and release the queue.

use std::collections::{HashMap, HashSet, VecDeque};
use std::path::Path;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use anyhow::Result;
use serde_json::{Value, json};

use crate::config::{Config, MessagesConfig};
use crate::graph::Client;
use crate::media::{MediaCache, resolve_files};
use crate::message::Outgoing;
use crate::store::Store;
use crate::store::outbox::OutboxRow;

/// Sender threads: enough to keep many recipients busy while each call waits on Meta.
const POOL: usize = 16;
/// How often the scheduler looks at the database without being woken: rows from
/// `wa-cloud send`, and statuses for sequential sending.
const TICK: Duration = Duration::from_millis(50);

/// Reports a reply that could not be delivered (its outbox seq and the `error` event),
/// for the handler's `error` events.
pub type OnError = Arc<dyn Fn(i64, Value) + Send + Sync>;

enum Job {
    Send(OutboxRow),
    Read { wamid: String, typing: bool },
    Quit,
}

enum Note {
    Wake,
    Sent {
        recipient: String,
        kind: String,
        wamid: String,
    },
    Failed {
        recipient: String,
    },
    Stop,
}

/// A handle to the running outbox; cheap to clone.
#[derive(Clone)]
pub struct Outbox {
    store: Arc<Mutex<Store>>,
    notes: Sender<Note>,
    jobs: Sender<Job>,
}

pub struct Running {
    pub outbox: Outbox,
    scheduler: JoinHandle<()>,
    pool: Vec<JoinHandle<()>>,
}

impl Outbox {
    /// Starts the scheduler and the sender pool on the database at `db`.
    pub fn start(config: &Config, db: &Path, on_error: OnError) -> Result<Running> {
        let settings = config.messages();
        let client = Arc::new(Client::new(&config.graph()?));
        let cache = Arc::new(Mutex::new(MediaCache::open(config)?));
        let (notes, noted) = mpsc::channel();
        let (jobs, queued) = mpsc::channel::<Job>();
        let queued = Arc::new(Mutex::new(queued));
        let mut pool = Vec::new();
        for i in 0..POOL {
            let worker = SendWorker {
                store: Store::open(db)?,
                client: client.clone(),
                cache: cache.clone(),
                notes: notes.clone(),
                on_error: on_error.clone(),
            };
            let queued = queued.clone();
            pool.push(
                std::thread::Builder::new()
                    .name(format!("sender-{i}"))
                    .spawn(move || worker.run(&queued))?,
            );
        }
        let scheduler = Scheduler::new(Store::open(db)?, settings, jobs.clone());
        let scheduler = std::thread::Builder::new()
            .name("outbox".into())
            .spawn(move || scheduler.run(noted))?;
        let outbox = Outbox {
            store: Arc::new(Mutex::new(Store::open(db)?)),
            notes,
            jobs,
        };
        Ok(Running {
            outbox,
            scheduler,
            pool,
        })
    }

    /// Stores a message, then wakes the scheduler. Once this returns, the message will be
    /// sent, after a restart if need be.
    pub fn enqueue(&self, message: &Outgoing, origin: &str) -> Result<()> {
        let body = message.body.to_string();
        let recipient = message.recipient.to_graph();
        self.store
            .lock()
            .expect("no panic holds the lock")
            .enqueue(&recipient, &message.kind, &body, origin)?;
        let _ = self.notes.send(Note::Wake);
        Ok(())
    }

    /// Makes the scheduler look at the database now (a status arrived).
    pub fn wake(&self) {
        let _ = self.notes.send(Note::Wake);
    }

    /// Marks an incoming message read (and shows typing), outside any queue.
    pub fn mark_read(&self, wamid: &str, typing: bool) {
        let _ = self.jobs.send(Job::Read {
            wamid: wamid.to_string(),
            typing,
        });
    }

    /// The sender of a message we received, for replies that name it with `reply_to`.
    pub fn sender_of(&self, wamid: &str) -> Result<Option<String>> {
        self.store
            .lock()
            .expect("no panic holds the lock")
            .sender_of(wamid)
    }
}

impl Running {
    /// Lets the messages being sent finish; what is still queued stays in the database.
    pub fn stop(self) {
        let _ = self.outbox.notes.send(Note::Stop);
        let _ = self.scheduler.join();
        for _ in &self.pool {
            let _ = self.outbox.jobs.send(Job::Quit);
        }
        for worker in self.pool {
            let _ = worker.join();
        }
    }
}

struct Scheduler {
    store: Store,
    settings: MessagesConfig,
    jobs: Sender<Job>,
    loaded_up_to: i64,
    queues: HashMap<String, VecDeque<OutboxRow>>,
    busy: HashSet<String>,
    /// Recipients waiting for the delivery of their last message: its wamid and since when.
    waiting: HashMap<String, (String, Instant)>,
    limiter: Limiter,
}

impl Scheduler {
    fn new(store: Store, settings: MessagesConfig, jobs: Sender<Job>) -> Scheduler {
        let limiter = Limiter::new(settings.max_per_second);
        Scheduler {
            store,
            settings,
            jobs,
            loaded_up_to: 0,
            queues: HashMap::new(),
            busy: HashSet::new(),
            waiting: HashMap::new(),
            limiter,
        }
    }

    fn run(mut self, noted: Receiver<Note>) {
        let mut stopping = false;
        loop {
            match noted.recv_timeout(TICK) {
                Ok(note) => {
                    stopping |= self.note(note);
                    for note in noted.try_iter() {
                        stopping |= self.note(note);
                    }
                }
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => stopping = true,
            }
            if stopping {
                if self.busy.is_empty() {
                    return;
                }
                continue;
            }
            if let Err(err) = self.load().and_then(|()| self.release_delivered()) {
                tracing::error!("outbox: {err:#}");
                continue;
            }
            self.dispatch();
        }
    }

    /// Takes a note from a sender thread or a producer; true when asked to stop.
    fn note(&mut self, note: Note) -> bool {
        match note {
            Note::Wake => {}
            Note::Sent {
                recipient,
                kind,
                wamid,
            } => {
                self.busy.remove(&recipient);
                if self.settings.sequential.is_some() && kind != "reaction" {
                    self.waiting.insert(recipient, (wamid, Instant::now()));
                }
            }
            Note::Failed { recipient } => {
                self.busy.remove(&recipient);
            }
            Note::Stop => return true,
        }
        false
    }

    fn load(&mut self) -> Result<()> {
        for row in self.store.unsent(self.loaded_up_to)? {
            self.loaded_up_to = row.seq;
            self.queues
                .entry(row.recipient.clone())
                .or_default()
                .push_back(row);
        }
        Ok(())
    }

    /// Ends the wait of recipients whose last message was delivered (or timed out).
    fn release_delivered(&mut self) -> Result<()> {
        let Some(timeout) = self.settings.sequential else {
            return Ok(());
        };
        let mut released = Vec::new();
        for (recipient, (wamid, since)) in &self.waiting {
            let status = self.store.latest_status(wamid)?;
            let reached = matches!(
                status.as_ref().map(|(s, _)| s.as_str()),
                Some("delivered" | "read" | "played" | "failed")
            );
            if reached {
                released.push(recipient.clone());
            } else if since.elapsed() >= timeout {
                tracing::debug!(
                    "no delivery of {wamid} to {recipient} within {timeout:?}: sending the next message"
                );
                released.push(recipient.clone());
            }
        }
        for recipient in released {
            self.waiting.remove(&recipient);
        }
        Ok(())
    }

    fn dispatch(&mut self) {
        let ready: Vec<String> = self
            .queues
            .iter()
            .filter(|(r, q)| {
                !q.is_empty() && !self.busy.contains(*r) && !self.waiting.contains_key(*r)
            })
            .map(|(r, _)| r.clone())
            .collect();
        for recipient in ready {
            if !self.limiter.take() {
                return;
            }
            let queue = self.queues.get_mut(&recipient).expect("listed above");
            let row = queue.pop_front().expect("not empty");
            if queue.is_empty() {
                self.queues.remove(&recipient);
            }
            self.busy.insert(recipient);
            let _ = self.jobs.send(Job::Send(row));
        }
    }
}

struct SendWorker {
    store: Store,
    client: Arc<Client>,
    cache: Arc<Mutex<MediaCache>>,
    notes: Sender<Note>,
    on_error: OnError,
}

impl SendWorker {
    fn run(self, queued: &Mutex<Receiver<Job>>) {
        loop {
            let job = match queued.lock().expect("no panic holds the lock").recv() {
                Ok(job) => job,
                Err(_) => return,
            };
            match job {
                Job::Quit => return,
                Job::Send(row) => self.send(row),
                Job::Read { wamid, typing } => {
                    if let Err(err) = self.client.mark_read(&wamid, typing) {
                        tracing::warn!("cannot mark {wamid} read: {err}");
                    }
                }
            }
        }
    }

    fn send(&self, row: OutboxRow) {
        let recipient = row.recipient.clone();
        let result = serde_json::from_str::<Value>(&row.body)
            .map_err(anyhow::Error::from)
            .and_then(|mut body| {
                // Only a message that names a local file needs the (shared) media cache.
                let names_file = body["type"]
                    .as_str()
                    .is_some_and(|kind| body[kind]["file"].is_string());
                if names_file {
                    resolve_files(
                        &mut body,
                        &mut self.cache.lock().expect("no panic holds the lock"),
                    )?;
                }
                Ok(self.client.send_message(&body)?)
            });
        let note = match result {
            Ok(sent) => {
                if let Err(err) = self.store.mark_sent(row.seq, &sent.id) {
                    tracing::error!("outbox: sent {} but cannot record it: {err:#}", sent.id);
                }
                tracing::debug!("sent {} ({}) to {recipient}", sent.id, row.kind);
                Note::Sent {
                    recipient,
                    kind: row.kind,
                    wamid: sent.id,
                }
            }
            Err(err) => {
                let message = format!("{err:#}");
                tracing::warn!(
                    "cannot send a {} message to {recipient}: {message}",
                    row.kind
                );
                if let Err(err) = self.store.mark_failed(row.seq, &message) {
                    tracing::error!("outbox: {err:#}");
                }
                let code = err
                    .chain()
                    .find_map(|c| c.downcast_ref::<crate::graph::GraphError>())
                    .and_then(|g| g.code());
                let reply: Value = serde_json::from_str(&row.body).unwrap_or(Value::Null);
                (self.on_error)(
                    row.seq,
                    json!({
                        "event": "error", "error": message, "code": code,
                        "to": recipient.trim_start_matches('+'), "reply": reply,
                    }),
                );
                Note::Failed { recipient }
            }
        };
        let _ = self.notes.send(note);
    }
}

/// A token bucket: at most `rate` sends a second, in bursts of at most `rate`.
struct Limiter {
    rate: f64,
    tokens: f64,
    refilled: Instant,
}

impl Limiter {
    fn new(rate: u32) -> Limiter {
        Limiter {
            rate: f64::from(rate),
            tokens: f64::from(rate),
            refilled: Instant::now(),
        }
    }

    fn take(&mut self) -> bool {
        if self.rate == 0.0 {
            return true;
        }
        let now = Instant::now();
        self.tokens = (self.tokens + now.duration_since(self.refilled).as_secs_f64() * self.rate)
            .min(self.rate);
        self.refilled = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limiter_allows_a_burst_of_its_rate_then_waits() {
        let mut limiter = Limiter::new(5);
        assert_eq!((0..10).filter(|_| limiter.take()).count(), 5);
        let mut unlimited = Limiter::new(0);
        assert!((0..1000).all(|_| unlimited.take()));
    }
}
