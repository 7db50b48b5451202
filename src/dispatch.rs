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

use std::collections::{HashSet, VecDeque};
use std::ffi::OsString;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::atomic::Ordering;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use serde_json::{Value, json};

use crate::health::Health;
use crate::message::{self, Outgoing, Recipient};
use crate::outbox::Outbox;
use crate::store::Store;
use crate::store::inbox::Pending;
use crate::usage;

/// Environment variables that hold secrets: never handed to the handler unless asked.
pub const SECRET_VARIABLES: [&str; 3] = [
    "WHATSAPP_CLOUD_GRAPHAPI_ACCESS_TOKEN",
    "WHATSAPP_CLOUD_WEBHOOKS_SECRET",
    "WHATSAPP_CLOUD_WEBHOOKS_VERIFY_TOKEN",
];

const FIRST_RESTART_DELAY: Duration = Duration::from_millis(200);
const MAX_RESTART_DELAY: Duration = Duration::from_secs(5);
/// A handler that ran this long before failing starts the delay over.
const STABLE_RUN: Duration = Duration::from_secs(30);
/// After stdin is closed at shutdown: how long to wait before SIGTERM, then SIGKILL.
const GRACE: Duration = Duration::from_secs(5);

/// How to run the handler.
pub struct HandlerSpec {
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
    /// Events a worker's handler may hold unacknowledged.
    pub window: usize,
    /// See `dispatch.ackTimeout`.
    pub ack_timeout: Option<Duration>,
    /// Counts unacknowledged and parked events for `/healthz`.
    pub health: Arc<Health>,
    /// Stores an `error` event (its dedup key and the event) for the handler.
    pub report: Report,
}

/// Stores an `error` event under a key that makes it unique.
pub type Report = Arc<dyn Fn(String, Value) + Send + Sync>;

/// What `--download-media` needs.
pub struct MediaDownload {
    pub client: crate::graph::Client,
    pub dir: PathBuf,
    pub phone_number_id: String,
}

/// The event line to write: with `--download-media`, a message's media is downloaded
/// first and `media.file` holds its path; a failed download still delivers the event,
/// without `file`, and logs why.
fn event_line(event: &Pending, spec: &HandlerSpec, store: &Store) -> String {
    let Some(download) = &spec.download else {
        return event.event.clone();
    };
    let Ok(mut value) = serde_json::from_str::<Value>(&event.event) else {
        return event.event.clone();
    };
    let Some(id) = value
        .pointer("/media/id")
        .and_then(Value::as_str)
        .map(str::to_string)
    else {
        return event.event.clone();
    };
    match crate::media::download_into(
        &id,
        &download.dir,
        store,
        &download.client,
        &download.phone_number_id,
    ) {
        Ok(path) => value["media"]["file"] = json!(path),
        Err(err) => tracing::warn!(
            "cannot download media {id} of event {}: {err:#}; handing it over without `file`",
            event.seq
        ),
    }
    value.to_string()
}

/// Splits CMD like a shell (quotes honoured) and checks that its program can be run, so
/// that a typo stops `serve` at start-up instead of in a restart loop.
pub fn parse_command(cmd: &str) -> Result<Vec<String>> {
    let argv = match shell_words::split(cmd) {
        Ok(argv) if !argv.is_empty() => argv,
        Ok(_) => {
            usage!("--handler is empty: give the command that runs your bot, such as ./bot.py")
        }
        Err(err) => usage!("--handler {cmd:?} cannot be split into words: {err}"),
    };
    let program = Path::new(&argv[0]);
    let found = if argv[0].contains('/') {
        Some(program.to_path_buf())
    } else {
        std::env::var_os("PATH")
            .map(|paths| {
                std::env::split_paths(&paths)
                    .map(|dir| dir.join(program))
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default()
            .into_iter()
            .find(|candidate| candidate.is_file())
    };
    let Some(path) = found.filter(|p| p.is_file()) else {
        usage!(
            "the handler `{}` cannot be run: no such file (give a path such as ./bot.py, or a program on PATH)",
            argv[0]
        );
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = path.metadata().map(|m| m.permissions().mode()).unwrap_or(0);
        if mode & 0o111 == 0 {
            usage!(
                "the handler `{}` is not executable: `chmod +x {}`, or name its interpreter (--handler 'python3 {}')",
                argv[0],
                argv[0],
                argv[0]
            );
        }
    }
    Ok(argv)
}

/// The handler's environment: ours without the secrets (but for `pass`), plus
/// WA_CLOUD_PHONE_NUMBER_ID and WA_CLOUD_MEDIA_DIR. `secret_values` are removed from any
/// variable that holds one, whatever its name.
pub fn handler_env(
    pass: &[String],
    secret_values: &[&str],
    phone_number_id: &str,
    media_dir: &Path,
) -> Vec<(OsString, OsString)> {
    let mut env: Vec<(OsString, OsString)> = std::env::vars_os()
        .filter(|(name, value)| {
            let name = name.to_string_lossy();
            let passed = pass.iter().any(|p| *p == name);
            let secret = SECRET_VARIABLES.contains(&name.as_ref())
                || secret_values
                    .iter()
                    .any(|s| !s.is_empty() && value.to_string_lossy() == *s);
            passed || !secret
        })
        .collect();
    env.push(("WA_CLOUD_PHONE_NUMBER_ID".into(), phone_number_id.into()));
    env.push(("WA_CLOUD_MEDIA_DIR".into(), media_dir.into()));
    env
}

/// What one line of the handler's stdout asks for.
enum Line {
    Reply(Outgoing),
    Done(String),
    Read(String),
    Typing(String),
    Invalid(String),
}

/// Who a line's replies go to when it names nobody, and what it answers.
struct ReplyContext<'a> {
    default_to: Option<&'a Recipient>,
    outbox: &'a Outbox,
}

fn parse_line(line: &str, context: &ReplyContext) -> Line {
    let value: Value = match serde_json::from_str(line) {
        Ok(value) => value,
        Err(err) => return Line::Invalid(format!("not JSON: {err}")),
    };
    for (control, make) in [
        ("done", Line::Done as fn(String) -> Line),
        ("read", Line::Read),
        ("typing", Line::Typing),
    ] {
        if let Some(id) = value.get(control) {
            return match id.as_str() {
                Some(id) if value.as_object().is_some_and(|o| o.len() == 1) => make(id.to_string()),
                _ => Line::Invalid(format!(
                    "`{control}` must be the only field, with a message id"
                )),
            };
        }
    }
    // A long-running handler cannot be guessed at: `reply_to` names the message answered.
    let replied = value
        .get("to")
        .is_none()
        .then(|| value.get("reply_to").and_then(Value::as_str))
        .flatten();
    let looked_up = match replied {
        Some(wamid) => match context.outbox.sender_of(wamid) {
            Ok(Some(sender)) => Recipient::parse(&sender).ok(),
            Ok(None) => {
                return Line::Invalid(format!(
                    "reply_to {wamid:?} is not a message wa-cloud received"
                ));
            }
            Err(err) => return Line::Invalid(format!("cannot look up reply_to: {err:#}")),
        },
        None => None,
    };
    let default_to = looked_up.as_ref().or(context.default_to);
    match message::normalize(&value, default_to) {
        Ok(outgoing) => match crate::media::local_file(&outgoing.body) {
            Ok(_) => Line::Reply(outgoing),
            Err(err) => Line::Invalid(format!("{err:#}")),
        },
        Err(invalid) if invalid.field == "to" && default_to.is_none() => {
            Line::Invalid("reply has no recipient: give `to`, or `reply_to` with the wamid of the message answered".into())
        }
        Err(invalid) => Line::Invalid(invalid.to_string()),
    }
}

/// At most 200 characters of a line, for logs and error events.
fn cut(line: &str) -> String {
    match line.char_indices().nth(200) {
        Some((at, _)) => format!("{}…", &line[..at]),
        None => line.to_string(),
    }
}

/// The running handler, whichever its mode.
pub struct Dispatcher {
    routes: Vec<Sender<Input>>,
    per_message: Option<Arc<PerMessageQueue>>,
    threads: Vec<JoinHandle<()>>,
}

/// What a long-running worker reacts to. Lines and the end of output carry the
/// generation of the handler process they came from: a process that is gone may have
/// left a child that still writes.
enum Input {
    Event(Pending),
    Line(u64, String),
    /// The handler's stdout closed.
    Eof(u64),
    Stop,
}

/// Writes lines to the handler's stdin on its own thread, so that a handler that stops
/// reading blocks only this thread, never its worker. Dropping the returned sender closes
/// the handler's input once everything queued is written.
fn stdin_writer(mut stdin: ChildStdin) -> Sender<String> {
    let (queue, queued) = mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in queued {
            if writeln!(stdin, "{line}")
                .and_then(|()| stdin.flush())
                .is_err()
            {
                return;
            }
        }
    });
    queue
}

impl Dispatcher {
    /// Starts the workers; fails when the handler cannot be started at all.
    pub fn start(spec: HandlerSpec, outbox: Outbox) -> Result<Dispatcher> {
        let spec = Arc::new(spec);
        let mut threads = Vec::new();
        if spec.per_message {
            let queue = Arc::new(PerMessageQueue::default());
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
                per_message: Some(queue),
                threads,
            });
        }
        let mut routes = Vec::new();
        let (started, starts) = mpsc::channel();
        for index in 0..spec.workers {
            let (input, inputs) = mpsc::channel();
            let worker = LongRunning {
                index,
                spec: spec.clone(),
                store: Store::open_in_server(&spec.db)?,
                input: input.clone(),
                generation: 0,
                waiting: VecDeque::new(),
                outstanding: VecDeque::new(),
                warned_about_acks: false,
                replies: Replies::new(index, spec.clone(), outbox.clone(), None),
            };
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

    /// Hands an event to the worker that owns its sender.
    pub fn deliver(&self, event: Pending) {
        match &self.per_message {
            Some(queue) => queue.push(event),
            None => {
                let sender = event.peer.as_deref().unwrap_or_default();
                let worker = stable_hash(sender) as usize % self.routes.len();
                let _ = self.routes[worker].send(Input::Event(event));
            }
        }
    }

    /// Closes every handler's stdin, takes the replies they still write, waits for them
    /// (then signals), and returns. Events not acknowledged by then are handed over again
    /// at the next start.
    pub fn stop(self) {
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

fn spawn(spec: &HandlerSpec, worker: usize) -> std::io::Result<Child> {
    Command::new(&spec.argv[0])
        .args(&spec.argv[1..])
        .env_clear()
        .envs(spec.env.iter().map(|(k, v)| (k, v)))
        .env("WA_CLOUD_WORKER", worker.to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
}

/// Reads `pipe` line by line on its own thread, so that the handler never blocks on it;
/// `each` gets every line (invalid UTF-8 replaced, never a reason to stop reading), then
/// `None` at the end.
fn read_lines(
    pipe: impl std::io::Read + Send + 'static,
    mut each: impl FnMut(Option<String>) + Send + 'static,
) {
    std::thread::spawn(move || {
        let mut reader = BufReader::new(pipe);
        let mut buffer = Vec::new();
        loop {
            buffer.clear();
            match reader.read_until(b'\n', &mut buffer) {
                Ok(0) | Err(_) => break,
                Ok(_) => {
                    let line = String::from_utf8_lossy(&buffer);
                    each(Some(line.trim_end_matches(['\n', '\r']).to_string()));
                }
            }
        }
        each(None);
    });
}

/// Logs each stderr line of a handler, tagged with its worker.
fn log_stderr(child: &mut Child, worker: usize) {
    if let Some(stderr) = child.stderr.take() {
        read_lines(stderr, move |line| {
            if let Some(line) = line {
                tracing::info!("handler[{worker}]: {line}");
            }
        });
    }
}

/// Waits `GRACE` for a handler whose input is closed to exit, then SIGTERM, then SIGKILL.
fn finish(child: &mut Child, worker: usize) -> Option<ExitStatus> {
    if let Some(status) = wait_for(child, GRACE) {
        return Some(status);
    }
    tracing::warn!(
        "handler[{worker}] did not exit within {GRACE:?} of its input closing: terminating it"
    );
    #[cfg(unix)]
    {
        use nix::sys::signal::{Signal, kill};
        use nix::unistd::Pid;
        let _ = kill(Pid::from_raw(child.id() as i32), Signal::SIGTERM);
        if let Some(status) = wait_for(child, Duration::from_secs(2)) {
            return Some(status);
        }
    }
    let _ = child.kill();
    child.wait().ok()
}

fn wait_for(child: &mut Child, limit: Duration) -> Option<ExitStatus> {
    let deadline = Instant::now() + limit;
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            return Some(status);
        }
        if Instant::now() >= deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The `id` of an event: the wamid of a message or status.
fn event_id(event: &Pending) -> Option<String> {
    let value: Value = serde_json::from_str(&event.event).ok()?;
    value["id"].as_str().map(str::to_string)
}

/// The event line to write to a handler: with media downloaded (`--download-media`) and,
/// when it was handed over before, `"redelivered": true`.
fn handed_line(event: &Pending, spec: &HandlerSpec, store: &Store) -> String {
    let line = event_line(event, spec, store);
    if event.handed == 0 {
        return line;
    }
    match serde_json::from_str::<Value>(&line) {
        Ok(Value::Object(mut fields)) => {
            fields.insert("redelivered".into(), json!(true));
            Value::Object(fields).to_string()
        }
        _ => line,
    }
}

/// Runs a database write of the handler's parts, waiting through storage trouble (shown
/// by `/healthz`) until it succeeds, or until serve has been stopping for a while.
fn patiently<T>(spec: &HandlerSpec, op: impl FnMut() -> Result<T>) -> Result<T> {
    crate::store::patiently(
        &spec.health,
        "handler",
        &spec.db,
        &|| spec.health.stop_waiting(),
        op,
    )
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
        if spec.mark_as_read && event.kind == "message" && event.handed == 0 {
            if let Some(wamid) = event_id(event) {
                outbox.mark_read(&wamid, false);
            }
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

/// Which event a line of the handler acknowledges.
#[derive(Debug, PartialEq, Eq)]
enum Ack {
    /// The event with this id (`done`, `read`, `typing`, a reply's `reply_to`).
    Event(String),
    /// The oldest unacknowledged message from this contact (a reply to them).
    Contact(String),
}

/// What one line asks for: replies to store (at once with `immediate`, else the held
/// ones a `done` releases), the event it acknowledges, and the `error` event for an
/// invalid line when the handler asked for error events.
#[derive(Default)]
struct Handled {
    replies: Vec<Outgoing>,
    ack: Option<Ack>,
    error: Option<Value>,
}

/// What the lines of one handler process become, in either mode: replies queued (or held
/// until `done`), read marks, and invalid lines logged.
struct Replies {
    index: usize,
    spec: Arc<HandlerSpec>,
    outbox: Outbox,
    default_to: Option<Recipient>,
    held: Vec<Outgoing>,
}

impl Replies {
    fn new(
        index: usize,
        spec: Arc<HandlerSpec>,
        outbox: Outbox,
        default_to: Option<Recipient>,
    ) -> Replies {
        Replies {
            index,
            spec,
            outbox,
            default_to,
            held: Vec::new(),
        }
    }

    /// Reads one line. With `immediate`, a reply or a read mark acknowledges the event
    /// it answers; otherwise only `done` does.
    fn handle(&mut self, line: &str) -> Handled {
        let context = ReplyContext {
            default_to: self.default_to.as_ref(),
            outbox: &self.outbox,
        };
        let immediate = self.spec.immediate;
        let mut replies = Vec::new();
        let ack = match parse_line(line, &context) {
            Line::Reply(reply) => {
                let answered = match reply.body["context"]["message_id"].as_str() {
                    Some(wamid) => Ack::Event(wamid.to_string()),
                    None => Ack::Contact(contact_key(&reply.recipient.to_graph())),
                };
                if immediate {
                    replies.push(reply);
                } else {
                    self.held.push(reply);
                }
                immediate.then_some(answered)
            }
            Line::Done(id) => {
                replies = self.release();
                Some(Ack::Event(id))
            }
            Line::Read(wamid) => {
                self.outbox.mark_read(&wamid, false);
                immediate.then_some(Ack::Event(wamid))
            }
            Line::Typing(wamid) => {
                self.outbox.mark_read(&wamid, true);
                immediate.then_some(Ack::Event(wamid))
            }
            Line::Invalid(reason) => {
                tracing::warn!(
                    "handler[{}] wrote a line that is not sent ({reason}): {}",
                    self.index,
                    cut(line)
                );
                let event = json!({"event": "error", "error": reason, "line": cut(line)});
                return Handled {
                    error: self.spec.error_events.then_some(event),
                    ..Handled::default()
                };
            }
        };
        Handled {
            replies,
            ack,
            error: None,
        }
    }

    /// The held replies, to send (the event they answer is done).
    fn release(&mut self) -> Vec<Outgoing> {
        std::mem::take(&mut self.held)
    }

    /// Drops the held replies: no half answers from a handler that died.
    fn drop_held(&mut self) {
        if !self.held.is_empty() {
            tracing::warn!(
                "handler[{}] exited: dropping {} replies not yet done",
                self.index,
                self.held.len()
            );
            self.held.clear();
        }
    }

    /// Stores `replies` and acknowledges `answered` in one transaction: an event is never
    /// answered and still handed over again, nor acknowledged with its answer lost. While
    /// the database cannot take them, the handler's further lines wait (in its pipe). If
    /// serve stops first, the events stay unacknowledged and are answered after the restart.
    fn store(&self, replies: &[Outgoing], answered: &[Pending]) {
        if replies.is_empty() && answered.is_empty() {
            return;
        }
        let seqs: Vec<i64> = answered.iter().map(|e| e.seq).collect();
        match patiently(&self.spec, || {
            self.outbox.enqueue(replies, "handler", &seqs)
        }) {
            Ok(()) => {
                self.spec
                    .health
                    .unacknowledged
                    .fetch_sub(seqs.len() as i64, Ordering::Relaxed);
            }
            Err(err) => tracing::error!(
                "cannot store {} replies of handler[{}]: {err:#}",
                replies.len(),
                self.index
            ),
        }
    }
}

/// A contact as events name it (`from`) and replies name it (`to`): without `+`.
fn contact_key(id: &str) -> String {
    id.trim_start_matches('+').to_string()
}

/// An event written to a handler and not yet acknowledged.
struct Outstanding {
    event: Pending,
    id: Option<String>,
    written_at: Instant,
}

struct LongRunning {
    index: usize,
    spec: Arc<HandlerSpec>,
    store: Store,
    input: Sender<Input>,
    /// Counts the handler processes started, to tell their lines apart.
    generation: u64,
    /// Events not written yet, oldest first.
    waiting: VecDeque<Pending>,
    /// Events written and not acknowledged, in the order written: at most `window`.
    outstanding: VecDeque<Outstanding>,
    warned_about_acks: bool,
    replies: Replies,
}

impl LongRunning {
    fn run(mut self, inputs: Receiver<Input>, started: Sender<Result<()>>) {
        let mut started = Some(started);
        let mut delay = FIRST_RESTART_DELAY;
        loop {
            let began = Instant::now();
            self.generation += 1;
            let generation = self.generation;
            let mut child = match spawn(&self.spec, self.index) {
                Ok(child) => child,
                Err(err) => {
                    let err =
                        anyhow::anyhow!("cannot start the handler `{}`: {err}", self.spec.argv[0]);
                    if let Some(started) = started.take() {
                        let _ = started.send(Err(err));
                        return;
                    }
                    tracing::error!(
                        "handler[{}]: {err:#}; trying again in {delay:?}",
                        self.index
                    );
                    if self.pause(&inputs, delay) {
                        return;
                    }
                    delay = (delay * 2).min(MAX_RESTART_DELAY);
                    continue;
                }
            };
            if let Some(started) = started.take() {
                let _ = started.send(Ok(()));
            }
            log_stderr(&mut child, self.index);
            let lines = self.input.clone();
            read_lines(child.stdout.take().expect("piped"), move |line| {
                let _ = lines.send(match line {
                    Some(line) => Input::Line(generation, line),
                    None => Input::Eof(generation),
                });
            });
            let mut stdin = Some(stdin_writer(child.stdin.take().expect("piped")));
            self.fill(&stdin);

            // Until the handler's stdout ends: the lines it wrote before exiting count.
            let mut exited: Option<(ExitStatus, Instant)> = None;
            let status = loop {
                match inputs.recv_timeout(Duration::from_millis(50)) {
                    Ok(Input::Event(event)) => {
                        self.waiting.push_back(event);
                        self.fill(&stdin);
                    }
                    Ok(Input::Line(from, line)) => {
                        self.answer(&line, &stdin, from == generation);
                        self.fill(&stdin);
                    }
                    Ok(Input::Eof(from)) if from != generation => {}
                    Ok(Input::Eof(_)) => match exited {
                        Some((status, _)) => break Some(status),
                        None => {
                            drop(stdin.take());
                            break finish(&mut child, self.index);
                        }
                    },
                    Ok(Input::Stop) => return self.stop(child, stdin, &inputs),
                    Err(RecvTimeoutError::Timeout) => {
                        self.give_up_waiting_for_acks();
                        self.fill(&stdin);
                        match exited {
                            None => {
                                if let Ok(Some(status)) = child.try_wait() {
                                    exited = Some((status, Instant::now()));
                                    stdin = None;
                                }
                            }
                            // Something the handler started still holds its stdout: go on without it.
                            Some((status, at)) if at.elapsed() > Duration::from_secs(1) => {
                                break Some(status);
                            }
                            Some(_) => {}
                        }
                    }
                    Err(RecvTimeoutError::Disconnected) => return,
                }
            };
            self.replies.drop_held();
            self.hand_back();
            if status.is_some_and(|s| s.success()) {
                tracing::info!("handler[{}] exited: starting it again", self.index);
                delay = FIRST_RESTART_DELAY;
                continue;
            }
            count_crash(&self.spec);
            if began.elapsed() > STABLE_RUN {
                delay = FIRST_RESTART_DELAY;
            }
            let how = status.map_or("was killed".to_string(), |s| s.to_string());
            tracing::warn!(
                "handler[{}] {how}: starting it again in {delay:?}",
                self.index
            );
            if self.pause(&inputs, delay) {
                return;
            }
            delay = (delay * 2).min(MAX_RESTART_DELAY);
        }
    }

    /// Writes waiting events while the handler holds fewer than `window` unacknowledged.
    fn fill(&mut self, stdin: &Option<Sender<String>>) {
        let Some(pipe) = stdin else { return };
        let room = self.spec.window.saturating_sub(self.outstanding.len());
        if room == 0 || self.waiting.is_empty() {
            return;
        }
        let take = room.min(self.waiting.len());
        let events: Vec<Pending> = self.waiting.drain(..take).collect();
        if !count_hand_over(&events, &mut self.store, &self.spec, &self.replies.outbox) {
            // Tried again at the next tick.
            for event in events.into_iter().rev() {
                self.waiting.push_front(event);
            }
            return;
        }
        for mut event in events {
            let line = handed_line(&event, &self.spec, &self.store);
            // A closed pipe is noticed when the handler's exit is: the event is handed back then.
            let _ = pipe.send(line);
            event.handed += 1;
            self.spec
                .health
                .unacknowledged
                .fetch_add(1, Ordering::Relaxed);
            self.outstanding.push_back(Outstanding {
                id: event_id(&event),
                event,
                written_at: Instant::now(),
            });
        }
    }

    /// Acts on a line of the handler; `current`: it came from the running process, so
    /// it may acknowledge what was written to that process.
    fn answer(&mut self, line: &str, stdin: &Option<Sender<String>>, current: bool) {
        let handled = self.replies.handle(line);
        let answered = match (handled.ack, current) {
            (Some(ack), true) => self.answered(&ack),
            _ => Vec::new(),
        };
        self.replies.store(&handled.replies, &answered);
        if let (Some(event), Some(pipe)) = (handled.error, stdin.as_ref()) {
            let _ = pipe.send(event.to_string());
        }
    }

    /// Takes out of `outstanding` the event `ack` names and, since the handler reads its
    /// input in order, every event written before it.
    fn answered(&mut self, ack: &Ack) -> Vec<Pending> {
        let position = self.outstanding.iter().position(|o| match ack {
            Ack::Event(id) => o.id.as_deref() == Some(id.as_str()),
            Ack::Contact(contact) => {
                o.event.kind == "message"
                    && o.event.peer.as_deref().map(contact_key).as_deref() == Some(contact.as_str())
            }
        });
        match position {
            Some(last) => self.outstanding.drain(..=last).map(|o| o.event).collect(),
            None => Vec::new(),
        }
    }

    /// With `dispatch.ackTimeout`: an event the handler neither answered nor marked done
    /// in that time counts as dealt with, so that a bot that answers nothing is not stuck.
    fn give_up_waiting_for_acks(&mut self) {
        let Some(timeout) = self.spec.ack_timeout else {
            return;
        };
        while self
            .outstanding
            .front()
            .is_some_and(|o| o.written_at.elapsed() >= timeout)
        {
            let oldest = self.outstanding.pop_front().expect("checked above");
            if !self.warned_about_acks {
                self.warned_about_acks = true;
                tracing::warn!(
                    "handler[{}] neither answered event {} nor wrote {{\"done\":\"<id>\"}} within {timeout:?} \
                     (dispatch.ackTimeout): taking it as dealt with. A bot that does not answer every event \
                     should write a done line for each",
                    self.index,
                    oldest.event.seq
                );
            }
            self.replies.store(&[], &[oldest.event]);
        }
    }

    /// The handler is gone: the events it had not acknowledged wait for the next one, the
    /// oldest charged with the crash (and parked after too many).
    fn hand_back(&mut self) {
        if self.outstanding.is_empty() {
            return;
        }
        let count = self.outstanding.len() as i64;
        self.spec
            .health
            .unacknowledged
            .fetch_sub(count, Ordering::Relaxed);
        let mut events: Vec<Pending> = self.outstanding.drain(..).map(|o| o.event).collect();
        // Whether it crashed or exited 0, it ended holding them: the oldest is the likely cause.
        if crashed_on(&events[0], &self.store, &self.spec, self.index) {
            events.remove(0);
        }
        for event in events.into_iter().rev() {
            self.waiting.push_front(event);
        }
    }

    /// Waits `delay` before a restart, keeping events that arrive; true when asked to stop.
    fn pause(&mut self, inputs: &Receiver<Input>, delay: Duration) -> bool {
        let until = Instant::now() + delay;
        loop {
            match inputs.recv_timeout(until.saturating_duration_since(Instant::now())) {
                Ok(Input::Event(event)) => self.waiting.push_back(event),
                Ok(Input::Line(_, line)) => self.answer(&line, &None, false),
                Ok(Input::Eof(_)) => {}
                Ok(Input::Stop) | Err(RecvTimeoutError::Disconnected) => return true,
                Err(RecvTimeoutError::Timeout) => return false,
            }
        }
    }

    /// Closes the handler's input, takes the replies and acknowledgements it still writes
    /// (for `GRACE`), and makes sure it is gone. What it did not acknowledge stays pending
    /// in the database and is handed over again at the next start.
    fn stop(&mut self, mut child: Child, stdin: Option<Sender<String>>, inputs: &Receiver<Input>) {
        drop(stdin);
        let generation = self.generation;
        let deadline = Instant::now() + GRACE;
        loop {
            match inputs.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
                Ok(Input::Line(from, line)) => self.answer(&line, &None, from == generation),
                Ok(Input::Eof(from)) if from == generation => break,
                Ok(Input::Event(_) | Input::Eof(_) | Input::Stop) => {}
                Err(_) => break,
            }
        }
        finish(&mut child, self.index);
        self.replies.drop_held();
    }
}

/// Events for per-message handlers, with the senders being answered right now.
#[derive(Default)]
struct PerMessageQueue {
    state: Mutex<(VecDeque<Pending>, HashSet<String>, bool)>,
    changed: Condvar,
}

impl PerMessageQueue {
    fn push(&self, event: Pending) {
        self.state
            .lock()
            .expect("no panic holds the lock")
            .0
            .push_back(event);
        self.changed.notify_all();
    }

    fn stop(&self) {
        self.state.lock().expect("no panic holds the lock").2 = true;
        self.changed.notify_all();
    }

    /// The oldest event whose sender is not being answered, or None when stopping.
    fn take(&self) -> Option<Pending> {
        let mut state = self.state.lock().expect("no panic holds the lock");
        loop {
            let (queue, busy, stopping) = &mut *state;
            if *stopping {
                return None;
            }
            let free = queue
                .iter()
                .position(|e| !busy.contains(e.peer.as_deref().unwrap_or_default()));
            if let Some(at) = free {
                let event = queue.remove(at).expect("found above");
                busy.insert(event.peer.clone().unwrap_or_default());
                return Some(event);
            }
            state = self.changed.wait(state).expect("no panic holds the lock");
        }
    }

    fn is_stopping(&self) -> bool {
        self.state.lock().expect("no panic holds the lock").2
    }

    fn release(&self, sender: &str) {
        self.state
            .lock()
            .expect("no panic holds the lock")
            .1
            .remove(sender);
        self.changed.notify_all();
    }
}

/// How one run of a per-message handler ended.
enum Run {
    /// The event is dealt with: exit 0, or (with `immediate`) an answer before failing.
    Answered,
    /// The handler failed before dealing with it.
    Failed,
    /// serve is stopping: the event stays pending for the next start.
    Interrupted,
}

fn per_message_worker(
    index: usize,
    spec: &Arc<HandlerSpec>,
    outbox: &Outbox,
    queue: &PerMessageQueue,
    mut store: Store,
) {
    while let Some(mut event) = queue.take() {
        let sender = event.peer.clone().unwrap_or_default();
        loop {
            if !count_hand_over(std::slice::from_ref(&event), &mut store, spec, outbox) {
                if queue.is_stopping() {
                    break;
                }
                std::thread::sleep(FIRST_RESTART_DELAY);
                continue;
            }
            spec.health.unacknowledged.fetch_add(1, Ordering::Relaxed);
            let run =
                answer_once(index, spec, outbox, queue, &store, &event).unwrap_or_else(|err| {
                    tracing::error!("handler[{index}]: {err:#}");
                    Run::Failed
                });
            event.handed += 1;
            match run {
                Run::Answered => break,
                Run::Interrupted => {
                    spec.health.unacknowledged.fetch_sub(1, Ordering::Relaxed);
                    break;
                }
                Run::Failed => {
                    spec.health.unacknowledged.fetch_sub(1, Ordering::Relaxed);
                    count_crash(spec);
                    if crashed_on(&event, &store, spec, index) || queue.is_stopping() {
                        break;
                    }
                }
            }
        }
        queue.release(&sender);
    }
}

/// Runs the handler for one event. When serve stops meanwhile, the handler gets `GRACE`,
/// then SIGTERM, then SIGKILL.
fn answer_once(
    index: usize,
    spec: &Arc<HandlerSpec>,
    outbox: &Outbox,
    queue: &PerMessageQueue,
    store: &Store,
    event: &Pending,
) -> Result<Run> {
    let mut child =
        spawn(spec, index).with_context(|| format!("cannot start `{}`", spec.argv[0]))?;
    log_stderr(&mut child, index);
    let mut stdin = child.stdin.take().expect("piped");
    // A handler that exits without reading its input is not an error of ours.
    let _ = writeln!(stdin, "{}", handed_line(event, spec, store)).and_then(|()| stdin.flush());
    drop(stdin);
    let (lines, received) = mpsc::channel();
    read_lines(child.stdout.take().expect("piped"), move |line| {
        let _ = lines.send(line);
    });
    let default_to = event.peer.as_deref().and_then(|p| Recipient::parse(p).ok());
    let mut replies = Replies::new(index, spec.clone(), outbox.clone(), default_to);
    // With `immediate`, the first answer acknowledges the event, with that answer.
    let mut answered = false;
    let mut stopping_since: Option<Instant> = None;
    loop {
        match received.recv_timeout(Duration::from_millis(50)) {
            Ok(Some(line)) => {
                let handled = replies.handle(&line);
                let acknowledges = handled.ack.is_some() && !answered;
                let this = if acknowledges {
                    std::slice::from_ref(event)
                } else {
                    &[]
                };
                replies.store(&handled.replies, this);
                answered |= acknowledges;
            }
            Ok(None) | Err(RecvTimeoutError::Disconnected) => break,
            Err(RecvTimeoutError::Timeout) if queue.is_stopping() => {
                if stopping_since.get_or_insert_with(Instant::now).elapsed() > GRACE {
                    break;
                }
            }
            Err(RecvTimeoutError::Timeout) => {}
        }
    }
    let status = finish(&mut child, index);
    if status.is_some_and(|s| s.success()) {
        let held = replies.release();
        let this = if answered {
            &[]
        } else {
            std::slice::from_ref(event)
        };
        replies.store(&held, this);
        return Ok(Run::Answered);
    }
    replies.drop_held();
    Ok(match (answered, stopping_since) {
        (true, _) => Run::Answered,
        (false, Some(_)) => Run::Interrupted,
        (false, None) => Run::Failed,
    })
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

    #[test]
    fn commands_are_split_like_a_shell_and_checked() {
        assert_eq!(
            parse_command("sh -c 'echo \"a b\"'").unwrap(),
            ["sh", "-c", "echo \"a b\""]
        );
        let missing = parse_command("./no-such-bot.py").unwrap_err().to_string();
        assert!(missing.contains("no such file"), "{missing}");
        assert!(parse_command("  ").is_err());
    }

    #[test]
    fn secrets_are_not_handed_over_unless_asked() {
        // The test process's own environment is read; only the filtering is checked here.
        let env = handler_env(&[], &["PATH-VALUE-NOT-SECRET"], "123", Path::new("media"));
        assert!(
            env.iter()
                .all(|(k, _)| !SECRET_VARIABLES.iter().any(|s| k == s))
        );
        assert!(
            env.iter()
                .any(|(k, v)| k == "WA_CLOUD_PHONE_NUMBER_ID" && v == "123")
        );
    }
}
