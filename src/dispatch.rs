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

/// Secrets shorter than this are only recognised as a variable's whole value, not inside
/// one: a few characters such as `/usr` or `true` occur in too many harmless values
/// (`PATH`), and dropping those would break the handler. Such a short secret is weak
/// anyway.
pub const MIN_SECRET_IN_VALUE: usize = 8;

/// The handler's environment: ours without the secrets (but for `pass`), plus
/// WA_CLOUD_PHONE_NUMBER_ID and WA_CLOUD_MEDIA_DIR. A variable is dropped, whatever its
/// name, when its value holds one of `secret_values` (`AUTH=Bearer <token>`, a URL with
/// the app secret in it); see [`MIN_SECRET_IN_VALUE`]. The names of the variables dropped
/// that way are logged, never their values.
pub fn handler_env(
    pass: &[String],
    secret_values: &[&str],
    phone_number_id: &str,
    media_dir: &Path,
) -> Vec<(OsString, OsString)> {
    let (mut env, dropped) = without_secrets(std::env::vars_os(), pass, secret_values);
    if !dropped.is_empty() {
        tracing::info!(
            "not handing {} to the handler: their values hold a secret (--pass-env NAME hands one over on purpose)",
            dropped.join(", ")
        );
    }
    env.push(("WA_CLOUD_PHONE_NUMBER_ID".into(), phone_number_id.into()));
    env.push(("WA_CLOUD_MEDIA_DIR".into(), media_dir.into()));
    env
}

/// `vars` without the secret variables and those whose value holds a secret, unless
/// named in `pass`; and the names of the variables dropped for their value.
fn without_secrets(
    vars: impl IntoIterator<Item = (OsString, OsString)>,
    pass: &[String],
    secret_values: &[&str],
) -> (Vec<(OsString, OsString)>, Vec<String>) {
    let mut dropped = Vec::new();
    let env = vars
        .into_iter()
        .filter(|(name, value)| {
            let name = name.to_string_lossy();
            if pass.iter().any(|p| *p == name) {
                return true;
            }
            if SECRET_VARIABLES.contains(&name.as_ref()) {
                return false;
            }
            let holds = holds_secret(value.as_encoded_bytes(), secret_values);
            if holds {
                dropped.push(name.into_owned());
            }
            !holds
        })
        .collect();
    (env, dropped)
}

/// Whether `value` is one of `secrets`, or holds one of at least `MIN_SECRET_IN_VALUE` bytes.
fn holds_secret(value: &[u8], secrets: &[&str]) -> bool {
    secrets.iter().any(|secret| {
        let secret = secret.as_bytes();
        !secret.is_empty()
            && (value == secret
                || (secret.len() >= MIN_SECRET_IN_VALUE
                    && value.windows(secret.len()).any(|w| w == secret)))
    })
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
        Ok(mut outgoing) => {
            // A template reply is checked against the templates cache like `send` checks.
            if let Err(invalid) = check_template(context.outbox, &mut outgoing.body) {
                return Line::Invalid(invalid);
            }
            match crate::media::local_file(&outgoing.body) {
                Ok(_) => Line::Reply(outgoing),
                Err(err) => Line::Invalid(format!("{err:#}")),
            }
        }
        // Only a missing `to`: an invalid one says what is wrong with it.
        Err(invalid)
            if invalid.field == "to" && default_to.is_none() && value.get("to").is_none() =>
        {
            Line::Invalid("reply has no recipient: give `to`, or `reply_to` with the wamid of the message answered".into())
        }
        Err(invalid) => Line::Invalid(invalid.to_string()),
    }
}

/// Checks a template reply against the cached template; logs what only warrants a warning.
fn check_template(outbox: &Outbox, body: &mut Value) -> Result<(), String> {
    match outbox.check_template(body) {
        Ok(crate::templates::Prepared::Checked(warnings)) => {
            warnings.iter().for_each(|w| tracing::warn!("{w}"));
            Ok(())
        }
        Ok(crate::templates::Prepared::NotCached) => Ok(()),
        Err(invalid) => Err(invalid.to_string()),
    }
}

/// At most 200 characters of a line, for logs and error events.
fn cut(line: &str) -> String {
    match line.char_indices().nth(200) {
        Some((at, _)) => format!("{}…", &line[..at]),
        None => line.to_string(),
    }
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
    fn new(health: Arc<Health>) -> Gate {
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

/// Lines of a handler stored in one transaction at most (those already written when the
/// first is read): a fast handler's replies are committed in groups.
const LINE_BATCH: usize = 256;

/// The running handler, whichever its mode.
pub struct Dispatcher {
    routes: Vec<Sender<Input>>,
    gates: Vec<Arc<Gate>>,
    per_message: Option<Arc<PerMessageQueue>>,
    threads: Vec<JoinHandle<()>>,
}

/// What a long-running worker reacts to. Lines and the end of output carry the
/// generation of the handler process they came from: a process that is gone may have
/// left a child that still writes.
enum Input {
    Event(Pending),
    Line(u64, Written),
    /// The handler's stdout closed.
    Eof(u64),
    Stop,
}

/// Writes lines to the handler's stdin on its own thread, so that a handler that stops
/// reading blocks only this thread, never its worker. Dropping the returned sender closes
/// the handler's input once everything queued is written.
fn stdin_writer(worker: usize, mut stdin: ChildStdin) -> Sender<String> {
    let (queue, queued) = mpsc::channel::<String>();
    std::thread::Builder::new()
        .name(format!("handler-{worker}-in"))
        .spawn(move || {
            for line in queued {
                if writeln!(stdin, "{line}")
                    .and_then(|()| stdin.flush())
                    .is_err()
                {
                    return;
                }
            }
        })
        .expect("a thread to write to a handler");
    queue
}

impl Dispatcher {
    /// Starts the workers; fails when the handler cannot be started at all.
    pub fn start(spec: HandlerSpec, outbox: Outbox) -> Result<Dispatcher> {
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
            let worker = LongRunning {
                next_input: None,
                gate,
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
    pub fn deliver(&self, event: Pending) -> bool {
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

/// Starts a handler process, in a process group of its own: at shutdown, signals reach
/// whatever it started too, and a Ctrl-C at a terminal reaches only `serve`, which then
/// closes the handler's input.
fn spawn(spec: &HandlerSpec, worker: usize) -> std::io::Result<Child> {
    let mut command = Command::new(&spec.argv[0]);
    command
        .args(&spec.argv[1..])
        .env_clear()
        .envs(spec.env.iter().map(|(k, v)| (k, v)))
        .env("WA_CLOUD_WORKER", worker.to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(&mut command, 0);
    command.spawn()
}

/// One line a handler wrote, as read from its stdout or stderr.
#[derive(Debug, PartialEq, Eq)]
enum Written {
    Line(String),
    /// A line longer than `dispatch.maxLineBytes`: skipped to its end, but for its start.
    TooLong {
        head: String,
        bytes: usize,
    },
}

/// How much of a pipe is read at once.
const READ_BUFFER: usize = 64 * 1024;
/// How much of a line that is too long is kept, for the log and the `error` event.
const HEAD_BYTES: usize = 1024;

/// Reads `pipe` line by line on its own thread, so that the handler never blocks on it;
/// `each` gets every line (invalid UTF-8 replaced, never a reason to stop reading), then
/// `None` at the end. A line of more than `max` bytes is never held: it comes as
/// [`Written::TooLong`].
/// The thread is named `name` (`handler-N-out`, `handler-N-err`): it ends when the pipe
/// does, so a thread that outlives its handler points at a process holding its output.
fn read_lines(
    name: String,
    pipe: impl std::io::Read + Send + 'static,
    max: usize,
    mut each: impl FnMut(Option<Written>) + Send + 'static,
) {
    std::thread::Builder::new()
        .name(name)
        .spawn(move || {
            split_lines(BufReader::with_capacity(READ_BUFFER, pipe), max, &mut each);
            each(None);
        })
        .expect("a thread to read a handler's output");
}

/// Splits `reader` into lines (without their `\n` or `\r\n`), holding at most `max`
/// bytes of a line besides the reader's buffer: the rest of a longer line is skipped as
/// it is read, and only its length and first bytes are kept.
fn split_lines(mut reader: impl BufRead, max: usize, each: &mut impl FnMut(Option<Written>)) {
    let mut line: Vec<u8> = Vec::new();
    // Once the line is known to be too long: how many bytes it has had so far.
    let mut skipped: Option<usize> = None;
    loop {
        let available = match reader.fill_buf() {
            Ok([]) => break,
            Ok(available) => available,
            Err(err) if err.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(_) => break,
        };
        let end = available.iter().position(|b| *b == b'\n');
        let part = &available[..end.unwrap_or(available.len())];
        // Past the cap, only the line's first `HEAD_BYTES` are kept.
        let keep_head = |line: &mut Vec<u8>| {
            let keep = HEAD_BYTES.saturating_sub(line.len()).min(part.len());
            line.extend_from_slice(&part[..keep]);
        };
        match &mut skipped {
            Some(bytes) => {
                *bytes += part.len();
                keep_head(&mut line);
            }
            None if line.len() + part.len() > max => {
                skipped = Some(line.len() + part.len());
                line.truncate(HEAD_BYTES);
                keep_head(&mut line);
                line.shrink_to(READ_BUFFER);
            }
            None => {
                // Grows by doubling, but never past `max`.
                let needed = line.len() + part.len();
                if needed > line.capacity() {
                    let target = needed.max(line.capacity() * 2).min(max);
                    line.reserve_exact(target - line.len());
                }
                line.extend_from_slice(part);
            }
        }
        let used = part.len() + usize::from(end.is_some());
        reader.consume(used);
        if end.is_some() {
            emit_line(&mut line, &mut skipped, each);
        }
    }
    if !line.is_empty() || skipped.is_some() {
        emit_line(&mut line, &mut skipped, each);
    }
}

fn emit_line(
    line: &mut Vec<u8>,
    skipped: &mut Option<usize>,
    each: &mut impl FnMut(Option<Written>),
) {
    let text = String::from_utf8_lossy(line)
        .trim_end_matches(['\n', '\r'])
        .to_string();
    each(Some(match skipped.take() {
        None => Written::Line(text),
        Some(bytes) => Written::TooLong { head: text, bytes },
    }));
    line.clear();
    line.shrink_to(READ_BUFFER);
}

/// Logs each stderr line of a handler, tagged with its worker; a line of more than `max`
/// bytes is logged cut.
fn log_stderr(child: &mut Child, worker: usize, max: usize) {
    if let Some(stderr) = child.stderr.take() {
        read_lines(
            format!("handler-{worker}-err"),
            stderr,
            max,
            move |written| match written {
                Some(Written::Line(line)) => tracing::info!("handler[{worker}]: {line}"),
                Some(Written::TooLong { head, bytes }) => tracing::warn!(
                    "handler[{worker}] wrote a line of more than {max} bytes to stderr ({bytes} bytes), cut: {}",
                    cut(&head)
                ),
                None => {}
            },
        );
    }
}

/// After its input closed at shutdown (or its output ended), how long a handler has to
/// exit, in all, before it is signalled.
const GRACE: Duration = Duration::from_secs(5);
/// After a handler exited: how long a process it started may hold its output before its
/// process group is signalled.
const LEFTOVER_GRACE: Duration = Duration::from_secs(1);
/// From SIGTERM to SIGKILL.
const KILL_AFTER: Duration = Duration::from_secs(2);
/// From SIGKILL to going on without the end of the output: only a process that left the
/// handler's process group can still hold it then.
const GIVE_UP_AFTER_KILL: Duration = Duration::from_millis(500);

/// The end of one handler process and of what it started. A handler leads its own process
/// group (`spawn`), and signals go to the whole group. It is done when it has exited and
/// its output has ended. It gets SIGTERM when it has not exited by `deadline` (once it
/// has one), or when it exited and something it started still holds its output after
/// `LEFTOVER_GRACE`; SIGKILL follows `KILL_AFTER` later.
struct Ending {
    worker: usize,
    deadline: Option<Instant>,
    exited: Option<(ExitStatus, Instant)>,
    output_ended: bool,
    terminated: Option<Instant>,
    killed: Option<Instant>,
}

impl Ending {
    fn new(worker: usize) -> Ending {
        Ending {
            worker,
            deadline: None,
            exited: None,
            output_ended: false,
            terminated: None,
            killed: None,
        }
    }

    /// The handler must be gone by `at` (the earliest deadline set counts).
    fn exit_by(&mut self, at: Instant) {
        self.deadline = Some(self.deadline.map_or(at, |d| d.min(at)));
    }

    fn has_exited(&self) -> bool {
        self.exited.is_some()
    }

    /// Notes an exit, signals what is due; `Some(status)` once the handler is done
    /// (`None` inside when its status is unknown).
    fn check(&mut self, child: &mut Child) -> Option<Option<ExitStatus>> {
        if self.exited.is_none() {
            if let Ok(Some(status)) = child.try_wait() {
                self.exited = Some((status, Instant::now()));
            }
        }
        if let (Some((status, _)), true) = (self.exited, self.output_ended) {
            return Some(Some(status));
        }
        let now = Instant::now();
        let worker = self.worker;
        match (self.terminated, self.killed) {
            (None, _) => match self.exited {
                None if self.deadline.is_some_and(|d| now >= d) => {
                    tracing::warn!(
                        "handler[{worker}] did not exit within {GRACE:?}: terminating it and its process group"
                    );
                    signal_group(child, Stop::Terminate);
                    self.terminated = Some(now);
                }
                Some((status, at)) if now.duration_since(at) >= LEFTOVER_GRACE => {
                    tracing::warn!(
                        "handler[{worker}] {status}, but a process it started still holds its output: terminating its process group"
                    );
                    signal_group(child, Stop::Terminate);
                    self.terminated = Some(now);
                }
                _ => {}
            },
            (Some(at), None) if now.duration_since(at) >= KILL_AFTER => {
                tracing::warn!(
                    "handler[{worker}] or a process it started is still there {KILL_AFTER:?} after SIGTERM: killing its process group"
                );
                signal_group(child, Stop::Kill);
                self.killed = Some(now);
            }
            (Some(_), Some(at)) if now.duration_since(at) >= GIVE_UP_AFTER_KILL => {
                if !self.output_ended {
                    tracing::warn!(
                        "handler[{worker}]: a process that left its process group still holds its output: going on without it"
                    );
                }
                let status = self
                    .exited
                    .map(|(status, _)| status)
                    .or_else(|| child.try_wait().ok().flatten());
                return Some(status);
            }
            _ => {}
        }
        None
    }
}

enum Stop {
    Terminate,
    Kill,
}

/// Signals the handler's process group: the handler and every process it started that
/// stayed in it, even after the handler itself exited.
fn signal_group(child: &mut Child, stop: Stop) {
    #[cfg(unix)]
    {
        use nix::sys::signal::{Signal, killpg};
        use nix::unistd::Pid;
        let signal = match stop {
            Stop::Terminate => Signal::SIGTERM,
            Stop::Kill => Signal::SIGKILL,
        };
        // The handler leads its group: the group's id is its pid, which stays taken while
        // any process of the group lives.
        if let Ok(group) = i32::try_from(child.id()) {
            let _ = killpg(Pid::from_raw(group), signal);
        }
    }
    #[cfg(not(unix))]
    if let Stop::Kill = stop {
        let _ = child.kill();
    }
}

/// The `id` of an event: the wamid of a message or status.
fn event_id(event: &Pending) -> Option<String> {
    id_and_number(event).map(|(id, _)| id)
}

/// An event's `id` and the business number it came to (`phone_number_id`).
fn id_and_number(event: &Pending) -> Option<(String, Option<String>)> {
    let value: Value = serde_json::from_str(&event.event).ok()?;
    let id = value["id"].as_str()?.to_string();
    Some((id, value["phone_number_id"].as_str().map(str::to_string)))
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
        if spec.mark_as_read && event.kind == "message" && event.handed == 0 {
            if let Some((wamid, number)) = id_and_number(event) {
                // Through the business number the message came to.
                outbox.mark_read_through(&wamid, false, number);
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
    fn handle(&mut self, written: &Written) -> Handled {
        let line = match written {
            Written::Line(line) => line,
            Written::TooLong { head, bytes } => {
                let max = self.spec.window.max_line_bytes;
                tracing::warn!(
                    "handler[{}] wrote a line of more than {max} bytes: skipped ({bytes} bytes, starting {})",
                    self.index,
                    cut(head)
                );
                let reason =
                    format!("a line of more than {max} bytes (dispatch.maxLineBytes) is skipped");
                let event = json!({"event": "error", "error": reason, "line": cut(head)});
                return Handled {
                    error: self.spec.error_events.then_some(event),
                    ..Handled::default()
                };
            }
        };
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
                    // The contact's key, whichever identifier the reply names; the
                    // identifier itself if the store cannot say.
                    None => Ack::Contact(
                        self.outbox
                            .contact_key(&reply.recipient)
                            .unwrap_or_else(|_| contact_key(&reply.recipient.to_graph())),
                    ),
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
    /// An input taken while collecting a batch of lines, to act on next.
    next_input: Option<Input>,
    /// Counts what `waiting` and the way to it hold.
    gate: Arc<Gate>,
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
        let max_line = self.spec.window.max_line_bytes;
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
            log_stderr(&mut child, self.index, max_line);
            let lines = self.input.clone();
            read_lines(
                format!("handler-{}-out", self.index),
                child.stdout.take().expect("piped"),
                max_line,
                move |line| {
                    let _ = lines.send(match line {
                        Some(line) => Input::Line(generation, line),
                        None => Input::Eof(generation),
                    });
                },
            );
            let mut stdin = Some(stdin_writer(self.index, child.stdin.take().expect("piped")));
            self.fill(&stdin);

            // Until the handler has exited and its stdout ended: the lines it wrote before
            // exiting count. Asked to stop, it gets `GRACE` from the closing of its input.
            let mut ending = Ending::new(self.index);
            let mut stopping = false;
            let status = loop {
                let input = match self.next_input.take() {
                    Some(input) => Ok(input),
                    None => inputs.recv_timeout(Duration::from_millis(50)),
                };
                match input {
                    Ok(Input::Event(event)) => {
                        self.waiting.push_back(event);
                        self.fill(&stdin);
                    }
                    Ok(Input::Line(from, line)) => {
                        // The lines already written are stored together, in one transaction.
                        let mut lines = vec![(from, line)];
                        while lines.len() < LINE_BATCH {
                            match inputs.try_recv() {
                                Ok(Input::Line(from, line)) => lines.push((from, line)),
                                Ok(other) => {
                                    self.next_input = Some(other);
                                    break;
                                }
                                Err(_) => break,
                            }
                        }
                        self.answer(&lines, &stdin, Some(generation));
                        self.fill(&stdin);
                    }
                    Ok(Input::Eof(from)) if from != generation => {}
                    Ok(Input::Eof(_)) => {
                        // Output closed, the handler still running: it is ending.
                        ending.output_ended = true;
                        stdin = None;
                        ending.exit_by(Instant::now() + GRACE);
                    }
                    Ok(Input::Stop) => {
                        // Events not acknowledged by the end stay pending in the database
                        // and are handed over again at the next start.
                        stopping = true;
                        stdin = None;
                        ending.exit_by(Instant::now() + GRACE);
                    }
                    Err(RecvTimeoutError::Timeout) if !stopping => {
                        self.give_up_waiting_for_acks();
                        self.fill(&stdin);
                    }
                    Err(RecvTimeoutError::Timeout) => {}
                    Err(RecvTimeoutError::Disconnected) => return,
                }
                if let Some(status) = ending.check(&mut child) {
                    break status;
                }
                if ending.has_exited() {
                    stdin = None;
                }
            };
            self.replies.drop_held();
            if stopping {
                return;
            }
            self.hand_back();
            crate::metrics::get().handler_restarts.inc();
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
        let room = self
            .spec
            .window
            .events
            .saturating_sub(self.outstanding.len());
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
        self.gate.leave(bytes_of(&events));
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

    /// Acts on lines of the handler (each with the generation of the process that wrote
    /// it), storing their replies and acknowledgements in one transaction. Only lines of
    /// the `current` process may acknowledge what was written to that process.
    fn answer(
        &mut self,
        lines: &[(u64, Written)],
        stdin: &Option<Sender<String>>,
        current: Option<u64>,
    ) {
        let mut replies = Vec::new();
        let mut answered = Vec::new();
        for (from, line) in lines {
            let handled = self.replies.handle(line);
            if let (Some(ack), true) = (&handled.ack, current == Some(*from)) {
                answered.extend(self.answered(ack));
            }
            replies.extend(handled.replies);
            if let (Some(event), Some(pipe)) = (handled.error, stdin.as_ref()) {
                let _ = pipe.send(event.to_string());
            }
        }
        self.replies.store(&replies, &answered);
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
        self.gate.add(bytes_of(&events));
        for event in events.into_iter().rev() {
            self.waiting.push_front(event);
        }
    }

    /// Waits `delay` before a restart, keeping events that arrive; true when asked to stop.
    fn pause(&mut self, inputs: &Receiver<Input>, delay: Duration) -> bool {
        let until = Instant::now() + delay;
        loop {
            let input = match self.next_input.take() {
                Some(input) => Ok(input),
                None => inputs.recv_timeout(until.saturating_duration_since(Instant::now())),
            };
            match input {
                Ok(Input::Event(event)) => self.waiting.push_back(event),
                Ok(Input::Line(from, line)) => self.answer(&[(from, line)], &None, None),
                Ok(Input::Eof(_)) => {}
                Ok(Input::Stop) | Err(RecvTimeoutError::Disconnected) => return true,
                Err(RecvTimeoutError::Timeout) => return false,
            }
        }
    }
}

/// Events for per-message handlers, with the senders being answered right now.
struct PerMessageQueue {
    state: Mutex<(VecDeque<Pending>, HashSet<String>, bool)>,
    changed: Condvar,
    /// Counts the bytes queued, as a long-running worker's gate does.
    gate: Gate,
}

impl PerMessageQueue {
    fn new(health: Arc<Health>) -> PerMessageQueue {
        PerMessageQueue {
            state: Mutex::default(),
            changed: Condvar::new(),
            gate: Gate::new(health),
        }
    }

    /// Queues an event, waiting while the queue holds [`HELD_EVENT_BYTES`]; false when
    /// serve is shutting down meanwhile (the event stays pending in the database).
    fn push(&self, event: Pending) -> bool {
        if !self.gate.enter(event.event.len()) {
            return false;
        }
        let mut state = self.state.lock().expect("no panic holds the lock");
        state.0.push_back(event);
        self.changed.notify_all();
        true
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
                self.gate.leave(event.event.len());
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
/// then SIGTERM, then SIGKILL (to its process group).
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
    let max_line = spec.window.max_line_bytes;
    log_stderr(&mut child, index, max_line);
    let mut stdin = child.stdin.take().expect("piped");
    // A handler that exits without reading its input is not an error of ours.
    let _ = writeln!(stdin, "{}", handed_line(event, spec, store)).and_then(|()| stdin.flush());
    drop(stdin);
    let (lines, received) = mpsc::channel();
    read_lines(
        format!("handler-{index}-out"),
        child.stdout.take().expect("piped"),
        max_line,
        move |line| {
            let _ = lines.send(line);
        },
    );
    let default_to = event.peer.as_deref().and_then(|p| Recipient::parse(p).ok());
    let mut replies = Replies::new(index, spec.clone(), outbox.clone(), default_to);
    // With `immediate`, the first answer acknowledges the event, with that answer.
    let mut answered = false;
    let mut stopping_since: Option<Instant> = None;
    let mut ending = Ending::new(index);
    let status = loop {
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
            Ok(None) | Err(RecvTimeoutError::Disconnected) => {
                // Output closed: exiting is all that is left to do.
                ending.output_ended = true;
                ending.exit_by(Instant::now() + GRACE);
            }
            Err(RecvTimeoutError::Timeout) => {}
        }
        if stopping_since.is_none() && queue.is_stopping() {
            let now = Instant::now();
            stopping_since = Some(now);
            ending.exit_by(now + GRACE);
        }
        if let Some(status) = ending.check(&mut child) {
            break status;
        }
    };
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

    fn lines_of(input: &[u8], max: usize) -> Vec<Written> {
        let mut got = Vec::new();
        // A small buffer, so that lines span many reads.
        let reader = BufReader::with_capacity(7, input);
        split_lines(reader, max, &mut |w| got.extend(w));
        got
    }

    fn line(text: &str) -> Written {
        Written::Line(text.to_string())
    }

    #[test]
    fn lines_longer_than_the_cap_are_skipped_to_their_end_and_reading_goes_on() {
        let long = "x".repeat(100);
        let input = format!("short\r\n{long}\nexactly-10\n\n{long}y\nafter\ntail");
        assert_eq!(
            lines_of(input.as_bytes(), 10),
            [
                line("short"),
                Written::TooLong {
                    head: "x".repeat(100),
                    bytes: 100
                },
                line("exactly-10"),
                line(""),
                Written::TooLong {
                    head: format!("{long}y"),
                    bytes: 101
                },
                line("after"),
                line("tail"),
            ]
        );
        // Only the start of a very long line is kept.
        let huge = "z".repeat(3 * HEAD_BYTES);
        match &lines_of(format!("{huge}\nok\n").as_bytes(), 2 * HEAD_BYTES)[..] {
            [Written::TooLong { head, bytes }, ok] => {
                assert_eq!((head.len(), *bytes), (HEAD_BYTES, 3 * HEAD_BYTES));
                assert_eq!(*ok, line("ok"));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            lines_of(b"\xff\xfe bad\n", 100),
            [line("\u{fffd}\u{fffd} bad")]
        );
        assert_eq!(lines_of(b"", 100), []);
    }

    #[test]
    fn a_line_of_64_mib_passes_through_a_64_kib_cap_as_one_skipped_line() {
        /// Endless `x`s, a few KiB per read, then one newline and `ok`.
        struct Flood(usize);
        impl std::io::Read for Flood {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                let n = buf.len().min(4096);
                match self.0 {
                    0 => Ok(0),
                    1 => {
                        self.0 = 0;
                        buf[..4].copy_from_slice(b"\nok\n");
                        Ok(4)
                    }
                    _ => {
                        self.0 -= 1;
                        buf[..n].fill(b'x');
                        Ok(n)
                    }
                }
            }
        }
        let mut got = Vec::new();
        // 64 MiB of one line through a reader capped at 64 KiB.
        split_lines(
            BufReader::with_capacity(READ_BUFFER, Flood(16 * 1024 + 1)),
            64 * 1024,
            &mut |w| got.extend(w),
        );
        assert!(
            matches!(&got[..], [Written::TooLong { bytes, .. }, ok] if *bytes == 64 << 20 && *ok == line("ok")),
            "{got:?}"
        );
    }

    #[test]
    fn variables_that_hold_a_secret_are_dropped_unless_passed() {
        let token = "EAAG-secret-token-value";
        let vars = [
            ("PATH", "/usr/bin:/bin"),
            ("AUTH_HEADER", "Bearer EAAG-secret-token-value"),
            (
                "HOOK_URL",
                "https://x.example/hook?secret=app-secret-1234&a=b",
            ),
            ("COPY", "EAAG-secret-token-value"),
            ("PASSED", "token=EAAG-secret-token-value"),
            ("SHORT_SECRET_ELSEWHERE", "my /usr dir"),
            ("SHORT_SECRET_EXACTLY", "/usr"),
            ("WHATSAPP_CLOUD_GRAPHAPI_ACCESS_TOKEN", "anything"),
            ("HARMLESS", "EAAG-secret"),
        ]
        .map(|(k, v)| (OsString::from(k), OsString::from(v)));
        let (env, dropped) = without_secrets(
            vars,
            &["PASSED".to_string()],
            &[token, "app-secret-1234", "/usr", ""],
        );
        let names: Vec<_> = env.iter().map(|(k, _)| k.to_str().unwrap()).collect();
        assert_eq!(
            names,
            ["PATH", "PASSED", "SHORT_SECRET_ELSEWHERE", "HARMLESS"]
        );
        assert_eq!(
            dropped,
            ["AUTH_HEADER", "HOOK_URL", "COPY", "SHORT_SECRET_EXACTLY"]
        );
        assert!(!holds_secret(b"", &[""]), "an empty secret holds nothing");
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
