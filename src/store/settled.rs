//! Whether `serve` has finished with everything it was given: no message waits for its
//! handler's acknowledgement and no reply waits to be sent. `wa-cloud dev --script` asks
//! this after each input, so that "the bot is done" is a fact of the database rather than
//! a guess from a quiet spell.

use anyhow::{Context, Result};

use super::Store;

/// What is still under way.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct InFlight {
    /// Message events neither acknowledged by the handler nor parked.
    pub messages: i64,
    /// Replies stored and not yet sent (or failed).
    pub replies: i64,
}

impl InFlight {
    pub(crate) fn is_settled(&self) -> bool {
        self.messages == 0 && self.replies == 0
    }
}

impl Store {
    /// Counts the message events and replies still under way, in one read.
    pub(crate) fn in_flight(&self) -> Result<InFlight> {
        self.conn()
            .query_row(
                "SELECT (SELECT count(*) FROM inbox
                         WHERE kind = 'message' AND delivered_at IS NULL AND parked_at IS NULL),
                        (SELECT count(*) FROM outbox WHERE state = 'pending')",
                [],
                |row| {
                    Ok(InFlight {
                        messages: row.get(0)?,
                        replies: row.get(1)?,
                    })
                },
            )
            .context("cannot read what is under way from the database")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_database_is_settled_and_a_stored_reply_is_not() {
        let store = Store::open_in_memory().unwrap();
        assert!(store.in_flight().unwrap().is_settled());
        store
            .enqueue("4915112345678", "text", "{}", "handler")
            .unwrap();
        assert_eq!(
            store.in_flight().unwrap(),
            InFlight {
                messages: 0,
                replies: 1
            }
        );
    }
}
