//! Long-running mode: one handler process per worker, restarted when it ends, with at
//! most `window` events written and unacknowledged.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender};
use std::time::{Duration, Instant};

use anyhow::Result;

use super::events::{event_id, handed_line};
use super::process::{Ending, GRACE, log_stderr, read_lines, spawn, stdin_writer};
use super::protocol::Written;
use super::replies::{Ack, Replies, contact_key};
use super::{
    FIRST_RESTART_DELAY, Gate, HandlerSpec, MAX_RESTART_DELAY, STABLE_RUN, bytes_of, count_crash,
    count_hand_over, crashed_on,
};
use crate::outbox::Outbox;
use crate::store::Store;
use crate::store::inbox::Pending;

/// Lines of a handler stored in one transaction at most (those already written when the
/// first is read): a fast handler's replies are committed in groups.
const LINE_BATCH: usize = 256;

/// What a long-running worker reacts to. Lines and the end of output carry the
/// generation of the handler process they came from: a process that is gone may have
/// left a child that still writes.
pub(super) enum Input {
    Event(Pending),
    Line(u64, Written),
    /// The handler's stdout closed.
    Eof(u64),
    Stop,
}

/// An event written to a handler and not yet acknowledged.
struct Outstanding {
    event: Pending,
    id: Option<String>,
    written_at: Instant,
}

pub(super) struct LongRunning {
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
    /// What the handler's latest replies acknowledged (at most [`REMEMBERED_ACKS`]), to
    /// notice one that writes several replies per event.
    acknowledged_by_replies: VecDeque<Ack>,
    warned_about_several_replies: bool,
    replies: Replies,
}

/// How many acknowledgements by replies a worker remembers.
const REMEMBERED_ACKS: usize = 64;

impl LongRunning {
    pub(super) fn new(
        index: usize,
        spec: Arc<HandlerSpec>,
        gate: Arc<Gate>,
        store: Store,
        input: Sender<Input>,
        outbox: Outbox,
    ) -> LongRunning {
        LongRunning {
            next_input: None,
            gate,
            index,
            replies: Replies::new(index, spec.clone(), outbox, None),
            spec,
            store,
            input,
            generation: 0,
            waiting: VecDeque::new(),
            outstanding: VecDeque::new(),
            warned_about_acks: false,
            acknowledged_by_replies: VecDeque::new(),
            warned_about_several_replies: false,
        }
    }

    pub(super) fn run(mut self, inputs: Receiver<Input>, started: Sender<Result<()>>) {
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
                let dealt = self.answered(ack);
                if !handled.replies.is_empty() {
                    self.note_reply_ack(ack, dealt.is_empty());
                }
                answered.extend(dealt);
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

    /// With `immediate` on, a handler's first reply to an event deals with it. A reply
    /// that answers what an earlier reply already dealt with comes from a handler that
    /// writes several replies per event, which a crash between them cuts short for good
    /// (the event is not handed over again): says so, once per worker. (Nothing more can
    /// be told: a reply without `reply_to` may as well deal with the sender's next event.)
    fn note_reply_ack(&mut self, ack: &Ack, dealt_nothing: bool) {
        if !dealt_nothing {
            if self.acknowledged_by_replies.len() == REMEMBERED_ACKS {
                self.acknowledged_by_replies.pop_front();
            }
            self.acknowledged_by_replies.push_back(ack.clone());
            return;
        }
        if self.warned_about_several_replies || !self.acknowledged_by_replies.contains(ack) {
            return;
        }
        self.warned_about_several_replies = true;
        let what = match ack {
            Ack::Event(id) => format!("event {id}"),
            Ack::Contact(contact) => format!("the message from {contact}"),
        };
        tracing::warn!(
            "handler[{}] wrote another reply to {what}, which its first reply already dealt with: with `immediate` \
             on (the default) a handler that dies between such replies never writes the rest, since the event is \
             not handed over again. A handler that writes several replies per event should set `immediate: false` \
             and write {{\"done\":\"<event id>\"}} after its last reply (docs/PROTOCOL.md, Acknowledgements). \
             Said once",
            self.index
        );
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
