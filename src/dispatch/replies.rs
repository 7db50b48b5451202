//! What a handler's lines become, in either mode: replies stored (at once, or held until
//! `done`), read marks, acknowledgements, and `error` events for invalid lines.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use serde_json::Value;

use super::protocol::{self, Line, Written};
use super::{HandlerSpec, patiently};
use crate::message::{Outgoing, Recipient};
use crate::outbox::Outbox;
use crate::store::inbox::Pending;

/// Which event a line of the handler acknowledges.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Ack {
    /// The event with this id (`done`, `read`, `typing`, a reply's `reply_to`).
    Event(String),
    /// The oldest unacknowledged message from this contact (a reply to them).
    Contact(String),
}

/// What one line asks for: replies to store (at once with `immediate`, else the held
/// ones a `done` releases), the event it acknowledges, and the `error` event for an
/// invalid line when the handler asked for error events.
#[derive(Default)]
pub(super) struct Handled {
    pub(super) replies: Vec<Outgoing>,
    pub(super) ack: Option<Ack>,
    pub(super) error: Option<Value>,
}

/// What the lines of one handler process become, in either mode: replies queued (or held
/// until `done`), read marks, and invalid lines logged.
pub(super) struct Replies {
    index: usize,
    spec: Arc<HandlerSpec>,
    pub(super) outbox: Outbox,
    default_to: Option<Recipient>,
    held: Vec<Outgoing>,
}

impl Replies {
    pub(super) fn new(
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
    pub(super) fn handle(&mut self, written: &Written) -> Handled {
        let max = self.spec.window.max_line_bytes;
        let line = protocol::read(written, max, self.default_to.as_ref(), &self.outbox);
        let immediate = self.spec.immediate;
        let mut replies = Vec::new();
        let ack = match line {
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
            Line::Invalid {
                ref reason,
                line: ref text,
            } => {
                tracing::warn!(
                    "handler[{}] wrote a line that is not sent ({reason}): {text}",
                    self.index
                );
                return self.refused(&line);
            }
            Line::TooLong {
                bytes, ref head, ..
            } => {
                tracing::warn!(
                    "handler[{}] wrote a line of more than {max} bytes: skipped ({bytes} bytes, starting {head})",
                    self.index
                );
                return self.refused(&line);
            }
        };
        Handled {
            replies,
            ack,
            error: None,
        }
    }

    /// Nothing to store or acknowledge; the `error` event, when the handler asked for
    /// error events.
    fn refused(&self, line: &Line) -> Handled {
        Handled {
            error: line.error_event().filter(|_| self.spec.error_events),
            ..Handled::default()
        }
    }

    /// The held replies, to send (the event they answer is done).
    pub(super) fn release(&mut self) -> Vec<Outgoing> {
        std::mem::take(&mut self.held)
    }

    /// Drops the held replies: no half answers from a handler that died.
    pub(super) fn drop_held(&mut self) {
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
    pub(super) fn store(&self, replies: &[Outgoing], answered: &[Pending]) {
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
pub(super) fn contact_key(id: &str) -> String {
    id.trim_start_matches('+').to_string()
}
