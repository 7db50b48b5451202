//! The outbox: replies stored before they are sent, and the lease of the running server.
//!
//! Invariants: rows of one recipient are sent in `seq` order; a row is `pending` until it
//! is `sent` (with its wamid) or `failed` (with Meta's error). Nothing is written when a
//! row is handed to a sender, which keeps the scheduler free of database writes: a row
//! that was being sent when wa-cloud crashed is still `pending` and is sent again after a
//! restart (Meta may then have it twice, which beats never). `wa-cloud send` appends rows here while a server
//! holds the lease, so that the two never overtake each other at one recipient.

use anyhow::{Context, Result};
use rusqlite::{OptionalExtension, params};

use super::Store;
use super::inbox::unix_now;

/// Migration 3.
pub(super) const SCHEMA: &str = "
CREATE TABLE outbox (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    recipient   TEXT NOT NULL,                  -- as sent to Meta: +digits or a user id
    kind        TEXT NOT NULL,                  -- the message type
    body        TEXT NOT NULL,                  -- the Graph API message; media may still name a `file`
    origin      TEXT NOT NULL,                  -- handler, send
    state       TEXT NOT NULL DEFAULT 'pending',-- pending, sent, failed
    wamid       TEXT,
    error       TEXT,
    created_at  INTEGER NOT NULL,
    sent_at     INTEGER
);
CREATE INDEX outbox_unsent ON outbox (seq) WHERE state = 'pending';
CREATE TABLE server_lease (
    id            INTEGER PRIMARY KEY CHECK (id = 1),
    pid           INTEGER NOT NULL,
    heartbeat_at  INTEGER NOT NULL
);
";

/// A server whose heartbeat is older than this is gone.
pub const LEASE_SECONDS: i64 = 10;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutboxRow {
    pub seq: i64,
    pub recipient: String,
    pub kind: String,
    pub body: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Waiting,
    Sent(String),
    Failed(String),
}

impl Store {
    /// Stores a message to send; returns its place in the outbox.
    pub fn enqueue(&self, recipient: &str, kind: &str, body: &str, origin: &str) -> Result<i64> {
        self.conn()
            .execute(
                "INSERT INTO outbox (recipient, kind, body, origin, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![recipient, kind, body, origin, unix_now()],
            )
            .map_err(|e| super::explain(e, &self.path.display().to_string()))?;
        Ok(self.conn().last_insert_rowid())
    }

    /// Unsent rows after `after`, in order.
    pub fn unsent(&self, after: i64) -> Result<Vec<OutboxRow>> {
        let mut query = self.conn().prepare_cached(
            "SELECT seq, recipient, kind, body FROM outbox WHERE state = 'pending' AND seq > ?1 ORDER BY seq",
        )?;
        let rows = query.query_map(params![after], |row| {
            Ok(OutboxRow {
                seq: row.get(0)?,
                recipient: row.get(1)?,
                kind: row.get(2)?,
                body: row.get(3)?,
            })
        })?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .context("cannot read the outbox")
    }

    pub fn mark_sent(&self, seq: i64, wamid: &str) -> Result<()> {
        self.conn().execute(
            "UPDATE outbox SET state = 'sent', wamid = ?2, sent_at = ?3 WHERE seq = ?1",
            params![seq, wamid, unix_now()],
        )?;
        Ok(())
    }

    pub fn mark_failed(&self, seq: i64, error: &str) -> Result<()> {
        self.conn().execute(
            "UPDATE outbox SET state = 'failed', error = ?2 WHERE seq = ?1",
            params![seq, error],
        )?;
        Ok(())
    }

    /// What became of an outbox row.
    pub fn outcome(&self, seq: i64) -> Result<Outcome> {
        let row: Option<(String, Option<String>, Option<String>)> = self
            .conn()
            .query_row(
                "SELECT state, wamid, error FROM outbox WHERE seq = ?1",
                params![seq],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        Ok(match row {
            Some((state, Some(wamid), _)) if state == "sent" => Outcome::Sent(wamid),
            Some((state, _, error)) if state == "failed" => {
                Outcome::Failed(error.unwrap_or_default())
            }
            _ => Outcome::Waiting,
        })
    }

    /// The sender of a message we received, by its wamid.
    pub fn sender_of(&self, wamid: &str) -> Result<Option<String>> {
        let peer: Option<Option<String>> = self
            .conn()
            .query_row(
                "SELECT peer FROM inbox WHERE kind = 'message' AND key = ?1",
                params![wamid],
                |r| r.get(0),
            )
            .optional()?;
        Ok(peer.flatten())
    }

    /// Takes or renews the server lease for this process.
    pub fn heartbeat(&self) -> Result<()> {
        self.conn().execute(
            "INSERT INTO server_lease (id, pid, heartbeat_at) VALUES (1, ?1, ?2)
             ON CONFLICT (id) DO UPDATE SET pid = excluded.pid, heartbeat_at = excluded.heartbeat_at",
            params![std::process::id(), unix_now()],
        )?;
        Ok(())
    }

    pub fn release_lease(&self) -> Result<()> {
        self.conn().execute(
            "DELETE FROM server_lease WHERE pid = ?1",
            params![std::process::id()],
        )?;
        Ok(())
    }

    /// The pid of the `serve --handler` that holds a fresh lease on this database.
    pub fn lease_holder(&self) -> Result<Option<u32>> {
        let lease: Option<(u32, i64)> = self
            .conn()
            .query_row(
                "SELECT pid, heartbeat_at FROM server_lease WHERE id = 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        Ok(lease
            .filter(|(_, at)| unix_now() - at <= LEASE_SECONDS)
            .map(|(pid, _)| pid))
    }

    /// Whether a `serve --handler` is running on this database.
    pub fn server_running(&self) -> Result<bool> {
        Ok(self.lease_holder()?.is_some())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_go_from_pending_to_sent_or_failed() {
        let store = Store::open_in_memory().unwrap();
        let a = store.enqueue("+491", "text", "{}", "handler").unwrap();
        let b = store.enqueue("+491", "text", "{}", "send").unwrap();
        assert_eq!(store.unsent(0).unwrap().len(), 2);
        store.mark_sent(a, "wamid.A").unwrap();
        store
            .mark_failed(b, "(#131047) Re-engagement message")
            .unwrap();
        assert_eq!(store.outcome(a).unwrap(), Outcome::Sent("wamid.A".into()));
        assert!(matches!(store.outcome(b).unwrap(), Outcome::Failed(e) if e.contains("131047")));
        assert!(store.unsent(0).unwrap().is_empty());
    }

    #[test]
    fn the_lease_tells_whether_a_server_runs() {
        let store = Store::open_in_memory().unwrap();
        assert!(!store.server_running().unwrap());
        store.heartbeat().unwrap();
        assert!(store.server_running().unwrap());
        store.release_lease().unwrap();
        assert!(!store.server_running().unwrap());
    }
}
