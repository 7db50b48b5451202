//! Per-message mode: the handler started for each event, at most `workers` at once and
//! never two for one sender.

use std::collections::{HashSet, VecDeque};
use std::io::Write;
use std::sync::atomic::Ordering;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};

use super::events::handed_line;
use super::process::{Ending, GRACE, log_stderr, read_lines, spawn};
use super::replies::Replies;
use super::{FIRST_RESTART_DELAY, Gate, HandlerSpec, count_crash, count_hand_over, crashed_on};
use crate::health::Health;
use crate::message::Recipient;
use crate::outbox::Outbox;
use crate::store::Store;
use crate::store::inbox::Pending;

/// Events for per-message handlers, with the senders being answered right now.
pub(super) struct PerMessageQueue {
    state: Mutex<(VecDeque<Pending>, HashSet<String>, bool)>,
    changed: Condvar,
    /// Counts the bytes queued, as a long-running worker's gate does.
    gate: Gate,
}

impl PerMessageQueue {
    pub(super) fn new(health: Arc<Health>) -> PerMessageQueue {
        PerMessageQueue {
            state: Mutex::default(),
            changed: Condvar::new(),
            gate: Gate::new(health),
        }
    }

    /// Queues an event, waiting while the queue holds [`HELD_EVENT_BYTES`]; false when
    /// serve is shutting down meanwhile (the event stays pending in the database).
    pub(super) fn push(&self, event: Pending) -> bool {
        if !self.gate.enter(event.event.len()) {
            return false;
        }
        let mut state = self.state.lock().expect("no panic holds the lock");
        state.0.push_back(event);
        self.changed.notify_all();
        true
    }

    pub(super) fn stop(&self) {
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

    pub(super) fn release(&self, sender: &str) {
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

pub(super) fn per_message_worker(
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
