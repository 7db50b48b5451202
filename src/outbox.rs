//! Sending replies: per recipient in the order they were written, different recipients
//! concurrently, within Meta's rate, each stored before it is sent, none given up while
//! it can still arrive, none sent twice.
//!
//! One scheduler thread owns the order. It loads unsent rows from the database (rows that
//! this process stored, rows that `wa-cloud send` appended while we hold the lease, rows
//! left over from before a restart), keeps one queue per recipient, and hands the head of
//! each free queue to a pool of sender threads (ureq blocks) — only when a thread is free,
//! so that no job ever waits in a queue behind a hung call. The pool grows as calls need
//! threads, up to `messages.maxInFlight` calls in flight at once (sends and read marks
//! together), so that its size follows the rate times Meta's latency. Before a batch of
//! rows is handed out, one transaction records that their attempts begin; the rows sent
//! are recorded together too, once per round of the scheduler. With
//! `messages.sequential`, a recipient's next message waits until WhatsApp reports the
//! previous one delivered, read, played or failed, or the timeout passes; reactions, which
//! WhatsApp only ever reports as sent, do not hold the queue.
//!
//! A sender makes one attempt per row. Transport failures and retryable Meta errors put
//! the row back at the head of its recipient's queue with a stored time for the next
//! attempt (capped exponential backoff with jitter), until `messages.giveUpAfter` has
//! passed since it was stored; only errors no retry can mend fail a row, are reported, and
//! release the queue. Each message carries `biz_opaque_callback_data` naming its row: a
//! row whose attempt may have reached Meta (wa-cloud died during it, or the answer timed
//! out) is "in doubt" and is sent again only when no status with that data arrived within
//! `messages.inDoubtWait`; a status that does arrive marks it sent.

use std::collections::{HashMap, HashSet, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use anyhow::Result;
use serde_json::{Value, json};

use crate::config::{Config, MessagesConfig};
use crate::graph::concurrent::ConcurrentClient;
use crate::graph::{Backoff, Client, GraphError};
use crate::health::Health;
use crate::media::{MediaCache, resolve_files};
use crate::message::Outgoing;
use crate::store::Store;
use crate::store::outbox::{OutboxRow, unix_now_ms};
use crate::store::patiently_while_serving;

/// How often the scheduler looks at the database without being woken: rows from
/// `wa-cloud send`, statuses for sequential sending and for rows in doubt, retry times.
const TICK: Duration = Duration::from_millis(50);
/// How often the outbox counts its backlog for `/metrics`.
const COUNT_EVERY: Duration = Duration::from_secs(1);
/// The least time between two looks at the database when woken: wakes that come
/// faster (a busy server) are answered together.
const LOOK_GAP: Duration = Duration::from_millis(5);
/// Rows held in memory at most (the database is the queue): the scheduler reads the
/// outbox in order until it holds this many, and reads on as they are sent.
const HELD_ROWS: usize = 2048;
/// Rows of one recipient held at most: the rest of a long queue is read from the
/// database as these are sent, so that one busy recipient cannot fill the memory of all.
const HELD_PER_RECIPIENT: usize = 8;
/// Rows read from the database at a time.
const READ_BATCH: usize = 512;
/// The wait before a row's next attempt: from 1 s, doubling, to at most a minute.
const RETRY_BASE: Duration = Duration::from_secs(1);
const RETRY_CAP: Duration = Duration::from_secs(60);

/// Reports a reply that could not be delivered (its outbox seq and the `error` event),
/// for the handler's `error` events.
pub(crate) type OnError = Arc<dyn Fn(i64, Value) + Send + Sync>;

/// A read mark (with typing indicator) to make, and how it has fared so far.
struct ReadMark {
    wamid: String,
    typing: bool,
    /// The business number the message came to, when the inbox says.
    from: Option<String>,
    attempts: u32,
    since: Instant,
}

enum Job {
    Send(OutboxRow),
    Read(ReadMark),
}

enum Note {
    Wake,
    Read(ReadMark),
    Sent {
        seq: i64,
        recipient: String,
        kind: String,
        wamid: String,
    },
    /// The row goes back to the head of its queue, to be tried again at `row.next_attempt_at`.
    Retry(OutboxRow),
    Failed {
        recipient: String,
    },
    /// A read mark is done (or failed for good), or is to be tried again.
    ReadDone(Option<(ReadMark, Instant)>),
    Stop,
}

/// wa-cloud's own field of a stored reply, never sent: `[number, last message]` when the
/// reply was written outside the contact's 24-hour window of that business number.
const WINDOW_CLOSED: &str = "wa_cloud_window_closed";

/// A handle to the running outbox; cheap to clone.
#[derive(Clone)]
pub(crate) struct Outbox {
    store: Arc<Mutex<Store>>,
    notes: Sender<Note>,
    /// `messages.checkWindow`, and the number replies go through unless they name one.
    check_window: bool,
    default_number: Arc<str>,
    /// graphApi.businessAccountId, whose templates replies are checked against.
    waba_id: Option<String>,
}

pub(crate) struct Running {
    pub outbox: Outbox,
    scheduler: JoinHandle<()>,
}

impl Outbox {
    /// Starts the scheduler and the sender pool on the database at `db`.
    pub(crate) fn start(
        config: &Config,
        db: &Path,
        on_error: OnError,
        health: Arc<Health>,
    ) -> Result<Running> {
        let settings = config.messages();
        let settings_check_window = settings.check_window;
        let graph = config.graph()?;
        let default_number: Arc<str> = graph.phone_number_id.as_str().into();
        let cache = Arc::new(Mutex::new(MediaCache::open(config)?));
        let (notes, noted) = mpsc::channel();
        let worker = SendWorker {
            store: Arc::new(Mutex::new(Store::open_in_server(db)?)),
            db: db.to_path_buf(),
            calls: ConcurrentClient::new(&graph, settings.max_in_flight)?
                .with_tokens(config.numbers().tokens())?,
            client: Client::new(&graph),
            cache,
            notes: notes.clone(),
            on_error,
            settings: settings.clone(),
            health: health.clone(),
            waba_id: config.business_account_id_if_set(),
        };
        let pool = Pool::new(worker)?;
        let limiters = Limiters::new(&settings, &config.numbers(), default_number.clone());
        let scheduler =
            Scheduler::new(Store::open_in_server(db)?, settings, pool, health, limiters);
        let scheduler = std::thread::Builder::new()
            .name("outbox".into())
            .spawn(move || scheduler.run(noted))?;
        let outbox = Outbox {
            store: Arc::new(Mutex::new(Store::open_in_server(db)?)),
            notes,
            waba_id: config.business_account_id_if_set(),
            check_window: settings_check_window,
            default_number,
        };
        Ok(Running { outbox, scheduler })
    }

    /// Stores messages and acknowledges the inbox events (`acknowledged`, by seq) they
    /// answer, in one transaction, then wakes the scheduler. Once this returns, the
    /// messages will be sent, after a restart if need be.
    pub(crate) fn enqueue(
        &self,
        messages: &[Outgoing],
        origin: &str,
        acknowledged: &[i64],
    ) -> Result<()> {
        let store = self.store.lock().expect("no panic holds the lock");
        let now = crate::store::inbox::unix_now();
        // One queue per contact, whichever of their identifiers a reply names; a reply
        // outside the contact's 24-hour window is marked to fail when its turn comes.
        let bodies: Vec<(String, String)> = messages
            .iter()
            .map(|m| {
                let (key, mut body) = store.route(m)?;
                if self.check_window && m.kind != "template" {
                    let number = body[crate::graph::FROM]
                        .as_str()
                        .unwrap_or(&self.default_number)
                        .to_string();
                    if let Some(last) = store.window_closed(&key, &number, now)? {
                        body[WINDOW_CLOSED] = json!([number, last]);
                    }
                }
                Ok((key, body.to_string()))
            })
            .collect::<Result<_>>()?;
        let rows: Vec<(&str, &str, &str)> = messages
            .iter()
            .zip(&bodies)
            .map(|(m, (recipient, body))| (recipient.as_str(), m.kind.as_str(), body.as_str()))
            .collect();
        store.enqueue_all(&rows, origin, acknowledged)?;
        drop(store);
        crate::metrics::get()
            .replies_queued
            .inc_by(messages.len() as u64);
        let _ = self.notes.send(Note::Wake);
        Ok(())
    }

    /// Makes the scheduler look at the database now (a status arrived).
    pub(crate) fn wake(&self) {
        let _ = self.notes.send(Note::Wake);
    }

    /// Marks an incoming message read (and shows typing), outside any recipient's queue;
    /// retried like a reply, but not across restarts.
    pub(crate) fn mark_read(&self, wamid: &str, typing: bool) {
        // Marked read through the number it came to; a lookup that fails uses the default.
        let from = self
            .store
            .lock()
            .expect("no panic holds the lock")
            .number_of(wamid)
            .unwrap_or_default();
        self.mark_read_through(wamid, typing, from);
    }

    /// [`Outbox::mark_read`] through business number `from` (None: the configured one).
    pub(crate) fn mark_read_through(&self, wamid: &str, typing: bool, from: Option<String>) {
        let _ = self.notes.send(Note::Read(ReadMark {
            wamid: wamid.to_string(),
            typing,
            from,
            attempts: 0,
            since: Instant::now(),
        }));
    }

    /// Checks a template reply against the templates cache (see `templates::prepare`).
    pub(crate) fn check_template(
        &self,
        body: &mut Value,
    ) -> Result<crate::templates::Prepared, crate::message::Invalid> {
        if body["type"] != "template" {
            return Ok(crate::templates::Prepared::Checked(Vec::new()));
        }
        let store = self.store.lock().expect("no panic holds the lock");
        crate::templates::prepare(Some(&store), self.waba_id.as_deref(), body)
    }

    /// The sender of a message we received, for replies that name it with `reply_to`.
    /// The key replies to `recipient` are queued and acknowledged under (see
    /// [`Store::contact_key`]).
    pub(crate) fn contact_key(&self, recipient: &crate::message::Recipient) -> Result<String> {
        self.store
            .lock()
            .expect("no panic holds the lock")
            .contact_key(recipient)
    }

    pub(crate) fn sender_of(&self, wamid: &str) -> Result<Option<String>> {
        self.store
            .lock()
            .expect("no panic holds the lock")
            .sender_of(wamid)
    }
}

impl Running {
    /// Lets the calls in flight finish; what is still queued stays in the database.
    pub(crate) fn stop(self) {
        let _ = self.outbox.notes.send(Note::Stop);
        // The scheduler stops the pool when its calls are answered.
        let _ = self.scheduler.join();
    }
}

/// The calls in flight: a task each, on a runtime of its own (one thread, and threads for
/// the rare blocking parts: uploading a file a reply names, recording a failure), so that
/// hundreds of calls waiting for Meta cost kilobytes each, not a thread each.
struct Pool {
    worker: Arc<SendWorker>,
    runtime: tokio::runtime::Runtime,
}

impl Pool {
    fn new(worker: SendWorker) -> Result<Pool> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .max_blocking_threads(16)
            .thread_name("sender")
            .enable_all()
            .build()?;
        Ok(Pool {
            worker: Arc::new(worker),
            runtime,
        })
    }

    fn hand(&self, job: Job) {
        let worker = self.worker.clone();
        self.runtime.spawn(async move {
            let note = match job {
                Job::Send(row) => worker.clone().send(row).await,
                Job::Read(mark) => worker.read(mark).await,
            };
            let _ = worker.notes.send(note);
        });
    }

    /// Ends the runtime; the scheduler stops it only when no call is in flight.
    fn stop(self) {
        self.runtime.shutdown_timeout(Duration::from_secs(1));
    }
}

struct Scheduler {
    store: Store,
    settings: MessagesConfig,
    pool: Pool,
    /// The outbox has been read in order up to this seq.
    loaded_up_to: i64,
    /// The oldest unsent rows of each recipient, at most [`HELD_PER_RECIPIENT`].
    queues: HashMap<String, VecDeque<OutboxRow>>,
    /// Recipients with unsent rows up to `loaded_up_to` that are not in memory, and the
    /// last of their rows that is (or was): the rest is read when their queue runs short.
    spilled: HashMap<String, i64>,
    busy: HashSet<String>,
    /// Calls handed to the pool and not yet answered: never more than `messages.maxInFlight`.
    in_flight: usize,
    /// Counts the rounds of handing out, to vary where the search for ready queues starts.
    rounds: usize,
    /// Rows sent (seq, wamid) since the last round, to be recorded in one transaction.
    sent_rows: Vec<(i64, String)>,
    /// Read marks to make, each not before its instant.
    reads: VecDeque<(ReadMark, Instant)>,
    /// Recipients waiting for the delivery of their last message: its wamid and since when.
    waiting: HashMap<String, (String, Instant)>,
    limiters: Limiters,
    health: Arc<Health>,
}

impl Scheduler {
    fn new(
        store: Store,
        settings: MessagesConfig,
        pool: Pool,
        health: Arc<Health>,
        limiters: Limiters,
    ) -> Scheduler {
        Scheduler {
            store,
            settings,
            pool,
            loaded_up_to: 0,
            queues: HashMap::new(),
            spilled: HashMap::new(),
            busy: HashSet::new(),
            in_flight: 0,
            rounds: 0,
            sent_rows: Vec::new(),
            reads: VecDeque::new(),
            waiting: HashMap::new(),
            limiters,
            health,
        }
    }

    fn run(mut self, noted: Receiver<Note>) {
        let mut stopping = false;
        // The database changes for the scheduler only where a wake says so (rows stored,
        // statuses arrived) or where `wa-cloud send` wrote (looked at every tick). Under
        // load, wakes come faster than looks are worth: they are gathered for `LOOK_GAP`.
        let mut looked_at = Instant::now();
        let mut counted_at = Instant::now();
        let mut woken = false;
        loop {
            let next_look = if woken { LOOK_GAP } else { TICK };
            let timeout = next_look.saturating_sub(looked_at.elapsed());
            match noted.recv_timeout(timeout) {
                Ok(note) => {
                    woken |= matches!(note, Note::Wake);
                    stopping |= self.note(note);
                    for note in noted.try_iter() {
                        woken |= matches!(note, Note::Wake);
                        stopping |= self.note(note);
                    }
                }
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => stopping = true,
            }
            self.record_sent();
            if stopping {
                if self.in_flight == 0 {
                    self.pool.stop();
                    return;
                }
                continue;
            }
            let next_look = if woken { LOOK_GAP } else { TICK };
            if looked_at.elapsed() < next_look {
                self.dispatch();
                continue;
            }
            looked_at = Instant::now();
            woken = false;
            let (health, path) = (self.health.clone(), self.store.path().to_path_buf());
            let looked = patiently_while_serving(&health, "outbox", &path, || {
                self.load()?;
                self.release_delivered()?;
                self.settle_in_doubt()
            });
            if counted_at.elapsed() >= COUNT_EVERY {
                counted_at = Instant::now();
                self.count_backlog();
            }
            if let Err(err) = looked {
                tracing::error!("outbox: {err:#}");
                continue;
            }
            self.dispatch();
        }
    }

    /// Counts what waits in the outbox, for `/metrics`.
    fn count_backlog(&self) {
        use std::sync::atomic::Ordering::Relaxed;
        if let Ok((count, oldest)) = self.store.outbox_backlog() {
            self.health.outbox_backlog.store(count, Relaxed);
            self.health
                .outbox_oldest
                .store(oldest.unwrap_or(0), Relaxed);
        }
    }

    /// Takes a note from a sender thread or a producer; true when asked to stop.
    fn note(&mut self, note: Note) -> bool {
        match note {
            Note::Wake => {}
            Note::Read(mark) => self.reads.push_back((mark, Instant::now())),
            Note::Sent {
                seq,
                recipient,
                kind,
                wamid,
            } => {
                self.in_flight -= 1;
                self.busy.remove(&recipient);
                self.sent_rows.push((seq, wamid.clone()));
                crate::metrics::get().replies_sent.inc();
                self.sent(recipient, &kind, wamid);
            }
            Note::Retry(row) => {
                self.in_flight -= 1;
                self.busy.remove(&row.recipient);
                self.queues
                    .entry(row.recipient.clone())
                    .or_default()
                    .push_front(row);
            }
            Note::Failed { recipient } => {
                self.in_flight -= 1;
                self.busy.remove(&recipient);
            }
            Note::ReadDone(again) => {
                self.in_flight -= 1;
                self.reads.extend(again);
            }
            Note::Stop => return true,
        }
        false
    }

    /// Records the rows sent since the last round, in one transaction, before anything
    /// else is sent. Not recorded (the database failed for good): they are in doubt at
    /// the next start, and their statuses settle them.
    fn record_sent(&mut self) {
        if self.sent_rows.is_empty() {
            return;
        }
        let rows = std::mem::take(&mut self.sent_rows);
        let (health, path) = (self.health.clone(), self.store.path().to_path_buf());
        let store = &self.store;
        let recorded =
            patiently_while_serving(&health, "outbox", &path, || store.mark_sent_all(&rows));
        if let Err(err) = recorded {
            tracing::error!(
                "outbox: sent {} messages but cannot record it: {err:#}",
                rows.len()
            );
        }
    }

    /// A recipient's message was accepted: with sequential sending, its next one waits.
    fn sent(&mut self, recipient: String, kind: &str, wamid: String) {
        if self.settings.sequential.is_some() && kind != "reaction" {
            self.waiting.insert(recipient, (wamid, Instant::now()));
        }
    }

    /// Reads the outbox on, in order, until [`HELD_ROWS`] are held; a recipient's rows
    /// beyond [`HELD_PER_RECIPIENT`] are left in the database and read when its queue runs
    /// short, so that memory stays flat however long the queues grow.
    fn load(&mut self) -> Result<()> {
        self.refill_spilled()?;
        let mut room = HELD_ROWS.saturating_sub(self.queues.values().map(VecDeque::len).sum());
        while room > 0 {
            let rows = self.store.unsent(self.loaded_up_to, READ_BATCH)?;
            let read_all = rows.len() < READ_BATCH;
            for row in rows {
                self.loaded_up_to = row.seq;
                if self.spilled.contains_key(&row.recipient) {
                    continue;
                }
                let queue = self.queues.get(&row.recipient);
                if queue.is_some_and(|q| q.len() >= HELD_PER_RECIPIENT) {
                    let last = queue.and_then(VecDeque::back).map_or(0, |held| held.seq);
                    self.spilled.insert(row.recipient, last);
                    continue;
                }
                let row = self.admitted(row);
                self.queues
                    .entry(row.recipient.clone())
                    .or_default()
                    .push_back(row);
                room = room.saturating_sub(1);
                if room == 0 {
                    break;
                }
            }
            if read_all {
                break;
            }
        }
        Ok(())
    }

    /// Reads the next rows of the spilled recipients whose queue runs short.
    fn refill_spilled(&mut self) -> Result<()> {
        let short: Vec<(String, i64)> = self
            .spilled
            .iter()
            .filter(|(recipient, _)| {
                self.queues
                    .get(*recipient)
                    .is_none_or(|q| q.len() < HELD_PER_RECIPIENT / 2)
            })
            .map(|(recipient, last)| (recipient.clone(), *last))
            .collect();
        for (recipient, last) in short {
            let held = self.queues.get(&recipient).map_or(0, VecDeque::len);
            let wanted = HELD_PER_RECIPIENT - held;
            let rows = self
                .store
                .unsent_of(&recipient, last, self.loaded_up_to, wanted)?;
            if rows.len() < wanted {
                self.spilled.remove(&recipient);
            } else if let Some(row) = rows.last() {
                self.spilled.insert(recipient.clone(), row.seq);
            }
            for row in rows {
                let row = self.admitted(row);
                self.queues
                    .entry(recipient.clone())
                    .or_default()
                    .push_back(row);
            }
        }
        Ok(())
    }

    /// A row read from the database, ready to queue. One found in flight belongs to an
    /// attempt of a process that died: its status is given time to come.
    fn admitted(&self, mut row: OutboxRow) -> OutboxRow {
        if row.tried_at.is_some() && row.callback.is_some() {
            tracing::info!(
                "outbox: message {} to {} was being sent when wa-cloud stopped: waiting up to {:?} \
                 for WhatsApp to report it before sending it again",
                row.seq,
                row.recipient,
                self.settings.in_doubt_wait
            );
            let in_doubt_until = unix_now_ms() + self.settings.in_doubt_wait.as_millis() as i64;
            row.next_attempt_at = Some(row.next_attempt_at.unwrap_or(0).max(in_doubt_until));
        }
        row
    }

    /// Rows in doubt at the head of their queue whose status has arrived are sent: they
    /// are marked so with the wamid the status names, and are not sent again.
    fn settle_in_doubt(&mut self) -> Result<()> {
        let mut settled = Vec::new();
        for (recipient, queue) in &self.queues {
            if self.busy.contains(recipient) {
                continue;
            }
            let Some(row) = queue.front() else { continue };
            let (Some(_), Some(callback)) = (row.tried_at, &row.callback) else {
                continue;
            };
            if let Some(wamid) = self.store.callback_wamid(callback)? {
                self.store.mark_sent(row.seq, &wamid)?;
                tracing::info!(
                    "outbox: message {} to {recipient} had reached WhatsApp as {wamid}: not sending it again",
                    row.seq
                );
                settled.push((recipient.clone(), row.kind.clone(), wamid));
            }
        }
        for (recipient, kind, wamid) in settled {
            let queue = self.queues.get_mut(&recipient).expect("found above");
            queue.pop_front();
            if queue.is_empty() {
                self.queues.remove(&recipient);
            }
            self.sent(recipient, &kind, wamid);
        }
        Ok(())
    }

    /// Ends the wait of recipients whose last message was delivered (or timed out).
    fn release_delivered(&mut self) -> Result<()> {
        let Some(timeout) = self.settings.sequential else {
            return Ok(());
        };
        let wamids: Vec<&str> = self.waiting.values().map(|(w, _)| w.as_str()).collect();
        let reached: HashSet<String> = self.store.reached_among(&wamids)?.into_iter().collect();
        let mut released = Vec::new();
        for (recipient, (wamid, since)) in &self.waiting {
            if reached.contains(wamid) {
                released.push(recipient.clone());
            } else if since.elapsed() >= timeout {
                // Each such wait costs the whole timeout: say so once where it is seen, with
                // the likely cause, and then only at debug level.
                static WARNED: std::sync::atomic::AtomicBool =
                    std::sync::atomic::AtomicBool::new(false);
                if WARNED.swap(true, std::sync::atomic::Ordering::Relaxed) {
                    tracing::debug!(
                        "no delivery of {wamid} to {recipient} within {timeout:?}: sending the next message"
                    );
                } else {
                    tracing::warn!(
                        "no delivery status of {wamid} to {recipient} within {timeout:?}: sending the next \
                         message anyway. Each message to a recipient waits for the previous one's `delivered` \
                         status; if none ever arrive (the webhook is not subscribed to `messages`, or an \
                         emulator sends no statuses), set messages.sequential to false or to fewer \
                         milliseconds (said once)"
                    );
                }
                released.push(recipient.clone());
            }
        }
        for recipient in released {
            self.waiting.remove(&recipient);
        }
        Ok(())
    }

    /// Whether one more call may start now: under `messages.maxInFlight`.
    fn room(&self, more: usize) -> bool {
        self.in_flight + more < self.settings.max_in_flight
    }

    /// Hands the read marks and the heads of the free queues that are due to free sender
    /// threads; what does not fit waits here, never in a queue in front of the pool. The
    /// attempts of the rows handed out are recorded, in one transaction, before any of
    /// them is.
    fn dispatch(&mut self) {
        let now = Instant::now();
        let mut later = VecDeque::new();
        while self.room(0) {
            let Some((mark, at)) = self.reads.pop_front() else {
                break;
            };
            if at > now {
                later.push_back((mark, at));
                continue;
            }
            self.in_flight += 1;
            self.pool.hand(Job::Read(mark));
        }
        self.reads.extend(later);

        let room = self.settings.max_in_flight.saturating_sub(self.in_flight);
        if room == 0 || self.queues.is_empty() {
            return;
        }
        // At most `room` recipients are taken, looked for from a place that moves on each
        // round, so that none waits behind recipients found earlier in the map every time.
        let now_ms = unix_now_ms();
        self.rounds = self.rounds.wrapping_add(1);
        let start = self.rounds % self.queues.len();
        let is_ready = |(r, q): &(&String, &VecDeque<OutboxRow>)| {
            q.front()
                .is_some_and(|row| row.next_attempt_at.is_none_or(|at| at <= now_ms))
                && !self.busy.contains(*r)
                && !self.waiting.contains_key(*r)
        };
        let ready: Vec<String> = self
            .queues
            .iter()
            .skip(start)
            .chain(self.queues.iter().take(start))
            .filter(is_ready)
            .take(room)
            .map(|(r, _)| r.clone())
            .collect();
        let mut batch = Vec::new();
        for recipient in ready {
            if !self.room(batch.len()) {
                break;
            }
            let queue = self.queues.get_mut(&recipient).expect("listed above");
            // A number at its ceiling holds its own rows only: the others go on.
            if !self.limiters.take(queue.front().expect("not empty")) {
                continue;
            }
            let row = queue.pop_front().expect("not empty");
            if queue.is_empty() {
                self.queues.remove(&recipient);
            }
            self.busy.insert(recipient);
            batch.push(row);
        }
        if batch.is_empty() {
            return;
        }
        let seqs: Vec<i64> = batch.iter().map(|row| row.seq).collect();
        let (health, path) = (self.health.clone(), self.store.path().to_path_buf());
        let store = &self.store;
        let trying =
            patiently_while_serving(&health, "outbox", &path, || store.mark_trying_all(&seqs));
        let now_ms = unix_now_ms();
        for mut row in batch {
            if let Err(err) = &trying {
                // Without the record of the attempt a crash could not be told from a failure.
                tracing::warn!("outbox: not sending message {} yet: {err:#}", row.seq);
                row.next_attempt_at = Some(now_ms + 1_000);
                self.busy.remove(&row.recipient);
                self.queues
                    .entry(row.recipient.clone())
                    .or_default()
                    .push_front(row);
                continue;
            }
            row.attempts += 1;
            row.tried_at = Some(now_ms);
            self.in_flight += 1;
            self.pool.hand(Job::Send(row));
        }
    }
}

struct SendWorker {
    /// For the outcomes other than sent (rare).
    store: Arc<Mutex<Store>>,
    db: PathBuf,
    /// Sends and read marks.
    calls: ConcurrentClient,
    /// Fetches a template refused as changed (rare; blocking).
    client: Client,
    cache: Arc<Mutex<MediaCache>>,
    notes: Sender<Note>,
    on_error: OnError,
    settings: MessagesConfig,
    health: Arc<Health>,
    /// graphApi.businessAccountId: a template refused as changed is fetched anew from it.
    waba_id: Option<String>,
}

/// How one attempt ended, when it did not succeed.
enum Failure {
    /// Worth another attempt; `maybe_arrived`: Meta may have accepted it all the same.
    Retry { maybe_arrived: bool },
    /// No retry can mend it.
    Final,
}

fn classify(err: &anyhow::Error) -> Failure {
    match err.chain().find_map(|c| c.downcast_ref::<GraphError>()) {
        Some(graph) if graph.is_retryable() => Failure::Retry {
            maybe_arrived: graph.may_have_arrived(),
        },
        // Storage trouble on our side: the message never left.
        None if crate::store::is_transient(err) => Failure::Retry {
            maybe_arrived: false,
        },
        _ => Failure::Final,
    }
}

/// The wait after `attempts` failed attempts: the Graph client's backoff, with longer
/// steps, since a reply may wait for hours.
fn retry_delay(attempts: i64) -> Duration {
    let backoff = Backoff {
        base: RETRY_BASE,
        cap: RETRY_CAP,
    };
    backoff.delay(u32::try_from(attempts.max(1) - 1).unwrap_or(u32::MAX))
}

impl SendWorker {
    /// Runs a write to the outbox, waiting through storage trouble (shown by `/healthz`)
    /// until it succeeds or serve has been stopping for a while.
    fn patiently(&self, op: impl FnMut() -> Result<()>) -> Result<()> {
        patiently_while_serving(&self.health, "outbox", &self.db, op)
    }

    fn store(&self) -> std::sync::MutexGuard<'_, Store> {
        self.store.lock().expect("no panic holds the lock")
    }

    async fn read(&self, mut mark: ReadMark) -> Note {
        mark.attempts += 1;
        match self
            .calls
            .mark_read_once_from(&mark.wamid, mark.typing, mark.from.as_deref())
            .await
        {
            Ok(()) => Note::ReadDone(None),
            Err(err)
                if err.is_retryable() && mark.since.elapsed() < self.settings.give_up_after =>
            {
                let delay = retry_delay(i64::from(mark.attempts));
                tracing::warn!(
                    "cannot mark {} read: {err}; trying again in {} ms",
                    mark.wamid,
                    delay.as_millis()
                );
                Note::ReadDone(Some((mark, Instant::now() + delay)))
            }
            Err(err) => {
                tracing::warn!("cannot mark {} read: {err}", mark.wamid);
                Note::ReadDone(None)
            }
        }
    }

    /// One attempt at sending a row, whose attempt the scheduler has recorded; what became
    /// of it, for the scheduler (which records it when sent).
    async fn send(self: Arc<Self>, row: OutboxRow) -> Note {
        match self.attempt(&row).await {
            Ok(wamid) => {
                tracing::debug!("sent {wamid} ({}) to {}", row.kind, row.recipient);
                Note::Sent {
                    seq: row.seq,
                    recipient: row.recipient,
                    kind: row.kind,
                    wamid,
                }
            }
            // Recording the failure may wait for the database.
            Err(err) => tokio::task::spawn_blocking(move || self.failed(row, err))
                .await
                .expect("recording a failure does not panic"),
        }
    }

    async fn attempt(&self, row: &OutboxRow) -> Result<String> {
        let mut body: Value = serde_json::from_str(&row.body)?;
        // Only a message that names a local file needs the (shared) media cache, which
        // uploads it (blocking) the first time.
        if crate::media::names_file(&body) {
            let cache = self.cache.clone();
            body = tokio::task::spawn_blocking(move || -> Result<Value> {
                resolve_files(
                    &mut body,
                    &mut cache.lock().expect("no panic holds the lock"),
                )?;
                Ok(body)
            })
            .await??;
        }
        if let Some(callback) = &row.callback {
            body["biz_opaque_callback_data"] = json!(callback);
        }
        check_window(&mut body)?;
        Ok(self.calls.send_message_once(&body).await?.id)
    }
}

/// A reply stored with [`WINDOW_CLOSED`] (a free-form message to a contact whose last
/// message to the number it goes through was more than 24 hours old when it was written)
/// fails as Meta would fail it (131047), without a request; templates are never marked
/// (`messages.checkWindow: false` marks nothing).
fn check_window(body: &mut Value) -> Result<()> {
    let Some(Value::Array(closed)) = body
        .as_object_mut()
        .and_then(|b| b.shift_remove(WINDOW_CLOSED))
    else {
        return Ok(());
    };
    let number = closed.first().and_then(Value::as_str).unwrap_or_default();
    let last = closed.get(1).and_then(Value::as_i64).unwrap_or_default();
    let hours = (crate::store::inbox::unix_now() - last) / 3600;
    let details = format!(
        "their last message to business number {number} was {hours} h ago, more than the 24 h in which \
             WhatsApp allows free-form messages: send a template (messages.checkWindow: false sends anyway)"
    );
    let error = json!({"error": {"message": "(#131047) Re-engagement message", "code": 131047,
            "error_data": {"messaging_product": "whatsapp", "details": details}}});
    let error = crate::graph::ApiError::parse(400, &error.to_string()).expect("an error object");
    Err(GraphError::Api(Box::new(error)).into())
}

impl SendWorker {
    fn failed(&self, mut row: OutboxRow, err: anyhow::Error) -> Note {
        let message = format!("{err:#}");
        let age =
            Duration::from_secs((crate::store::inbox::unix_now() - row.created_at).max(0) as u64);
        match classify(&err) {
            Failure::Retry { maybe_arrived } if age < self.settings.give_up_after => {
                // An attempt that may have arrived is settled by its status, or retried
                // once none came in time; one that cannot have arrived is simply retried.
                let in_doubt = maybe_arrived && row.callback.is_some();
                let mut delay = retry_delay(row.attempts);
                if in_doubt {
                    delay = delay.max(self.settings.in_doubt_wait);
                }
                let at = unix_now_ms() + delay.as_millis() as i64;
                tracing::warn!(
                    "cannot send a {} message to {} yet (attempt {}): {message}; trying again in {} ms{}",
                    row.kind,
                    row.recipient,
                    row.attempts,
                    delay.as_millis(),
                    if in_doubt {
                        " unless WhatsApp reports it meanwhile"
                    } else {
                        ""
                    }
                );
                crate::metrics::get().replies_retried.inc();
                if let Err(err) =
                    self.patiently(|| self.store().mark_retry(row.seq, at, &message, in_doubt))
                {
                    tracing::warn!("outbox: {err:#}");
                }
                row.next_attempt_at = Some(at);
                if !in_doubt {
                    row.tried_at = None;
                }
                Note::Retry(row)
            }
            failure => {
                let message = match failure {
                    Failure::Final => message,
                    Failure::Retry { .. } => format!(
                        "gave up after {} attempts in {} s (messages.giveUpAfter): {message}",
                        row.attempts,
                        age.as_secs()
                    ),
                };
                tracing::warn!(
                    "cannot send a {} message to {}: {message}",
                    row.kind,
                    row.recipient
                );
                if let Err(err) = self.patiently(|| self.store().mark_failed(row.seq, &message)) {
                    tracing::error!("outbox: {err:#}");
                }
                let code = err
                    .chain()
                    .find_map(|c| c.downcast_ref::<GraphError>())
                    .and_then(|g| g.code());
                crate::metrics::reply_failed(code);
                let mut reply: Value = serde_json::from_str(&row.body).unwrap_or(Value::Null);
                if let Some(fields) = reply.as_object_mut() {
                    fields.shift_remove(WINDOW_CLOSED);
                }
                crate::templates::refreshes_after(
                    code,
                    &reply,
                    &self.client,
                    &self.store(),
                    self.waba_id.as_deref(),
                );
                (self.on_error)(
                    row.seq,
                    json!({
                        "event": "error", "error": message, "code": code,
                        "to": row.recipient.trim_start_matches('+'), "reply": reply,
                    }),
                );
                Note::Failed {
                    recipient: row.recipient,
                }
            }
        }
    }
}

/// The rate ceilings, one per business number (`messages.maxPerSecond`, or the number's
/// own in `graphApi.numbers`): Meta counts each number's messages apart, so one number
/// at its ceiling does not slow the others.
struct Limiters {
    default_number: Arc<str>,
    default_rate: u32,
    rates: HashMap<String, u32>,
    by_number: HashMap<Arc<str>, Limiter>,
    /// The number of rows held back by their number's ceiling, so that a row's body is
    /// read for its number once, not once a round.
    number_of: HashMap<i64, Arc<str>>,
}

impl Limiters {
    fn new(
        settings: &MessagesConfig,
        numbers: &crate::config::Numbers,
        default_number: Arc<str>,
    ) -> Limiters {
        Limiters {
            default_number,
            default_rate: settings.max_per_second,
            rates: numbers
                .max_per_second()
                .map(|(id, rate)| (id.to_string(), rate))
                .collect(),
            by_number: HashMap::new(),
            number_of: HashMap::new(),
        }
    }

    /// Whether `row` may be sent now under the ceiling of the number it goes through.
    fn take(&mut self, row: &OutboxRow) -> bool {
        if self.default_rate == 0 && self.rates.is_empty() {
            return true;
        }
        let number = match self.number_of.remove(&row.seq) {
            Some(number) => number,
            None => through(&row.body).map_or_else(|| self.default_number.clone(), Arc::from),
        };
        let (rates, default_rate) = (&self.rates, self.default_rate);
        let limiter = self
            .by_number
            .entry(number.clone())
            .or_insert_with(|| Limiter::new(rates.get(&*number).copied().unwrap_or(default_rate)));
        if limiter.take() {
            return true;
        }
        // Rows taken out of the queues otherwise (settled in doubt) leave their entry: a
        // bound keeps those few from adding up.
        if self.number_of.len() >= HELD_ROWS * 2 {
            self.number_of.clear();
        }
        self.number_of.insert(row.seq, number);
        false
    }
}

/// The business number a stored reply names in its wa-cloud field `from`, if any.
fn through(body: &str) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Through {
        from: Option<String>,
    }
    serde_json::from_str::<Through>(body).ok()?.from
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
    fn each_number_has_its_own_ceiling() {
        let row = |seq: i64, from: Option<&str>| OutboxRow {
            seq,
            body: match from {
                Some(from) => json!({"type": "text", "from": from}).to_string(),
                None => json!({"type": "text"}).to_string(),
            },
            recipient: "4915112345678".into(),
            kind: "text".into(),
            created_at: 0,
            attempts: 0,
            next_attempt_at: None,
            tried_at: None,
            callback: None,
        };
        let settings = MessagesConfig {
            max_per_second: 3,
            ..test_settings()
        };
        let mut numbers = crate::config::Config::from_file_text(
            "c.json",
            r#"{"graphApi":{"numbers":{"222":{"maxPerSecond":1}}}}"#,
        )
        .unwrap()
        .numbers();
        let mut limiters = Limiters::new(&settings, &numbers, Arc::from("111"));
        // Each call with rows of its own: a row held back keeps the number it was read with.
        let mut seqs = 0..;
        let mut taken = |limiters: &mut Limiters, from| {
            let rows: Vec<i64> = seqs.by_ref().take(10).collect();
            rows.into_iter()
                .filter(|seq| limiters.take(&row(*seq, from)))
                .count()
        };
        assert_eq!(taken(&mut limiters, Some("222")), 1);
        assert_eq!(
            taken(&mut limiters, None),
            3,
            "the default number's own ceiling"
        );
        assert_eq!(
            taken(&mut limiters, Some("111")),
            0,
            "the default number, named"
        );
        assert_eq!(taken(&mut limiters, Some("333")), 3);
        numbers = crate::config::Numbers::default();
        let unlimited = MessagesConfig {
            max_per_second: 0,
            ..test_settings()
        };
        let mut limiters = Limiters::new(&unlimited, &numbers, Arc::from("111"));
        assert_eq!(taken(&mut limiters, Some("222")), 10);
    }

    fn test_settings() -> MessagesConfig {
        crate::config::Config::from_file_text("c.json", "{}")
            .unwrap()
            .messages()
    }

    #[test]
    fn the_limiter_allows_a_burst_of_its_rate_then_waits() {
        let mut limiter = Limiter::new(5);
        assert_eq!((0..10).filter(|_| limiter.take()).count(), 5);
        let mut unlimited = Limiter::new(0);
        assert!((0..1000).all(|_| unlimited.take()));
    }
}
