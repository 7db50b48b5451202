//! The outbox: replies stored before they are sent, and the lease of the running server.
//!
//! Invariants: rows of one recipient are sent in `seq` order; a row is `pending` until it
//! is `sent` (with its wamid) or `failed` (with the error no retry can mend, or after
//! `messages.giveUpAfter`). A pending row that waits for its next attempt says when
//! (`next_attempt_at`). `tried_at` is set before each attempt and cleared when its
//! outcome is known, so a row found with `tried_at` set after a restart was in flight
//! when wa-cloud died: it is "in doubt". Each row sends `callback` as its
//! `biz_opaque_callback_data`, which WhatsApp echoes in every status of the message; a
//! status seen with it proves the message was accepted, and names its wamid.
//! `wa-cloud send` appends rows here while a server holds the lease, so that the two
//! never overtake each other at one recipient.

use anyhow::{Context, Result};
use rusqlite::{OptionalExtension, params};

use super::Store;
use super::inbox::unix_now;

/// Unix time in milliseconds.
pub(crate) fn unix_now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

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
pub(crate) const LEASE_SECONDS: i64 = 10;

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct OutboxRow {
    pub seq: i64,
    pub recipient: String,
    pub kind: String,
    pub body: String,
    pub created_at: i64,
    pub attempts: i64,
    /// Unix milliseconds; `None`: at once.
    pub next_attempt_at: Option<i64>,
    /// Unix milliseconds when an attempt began whose outcome is unknown.
    pub tried_at: Option<i64>,
    /// Our `biz_opaque_callback_data`; `None` when the message sets its own.
    pub callback: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    Waiting,
    Sent(String),
    Failed(String),
}

impl Store {
    /// Stores a message to send; returns its place in the outbox.
    pub(crate) fn enqueue(
        &self,
        recipient: &str,
        kind: &str,
        body: &str,
        origin: &str,
    ) -> Result<i64> {
        let seqs = self.enqueue_all(&[(recipient, kind, body)], origin, &[])?;
        Ok(seqs[0])
    }

    /// Stores messages to send (recipient, kind, body) and, in the same transaction,
    /// acknowledges the inbox events they answer, so that an event is never both
    /// unacknowledged and answered. Unless a body sets its own `biz_opaque_callback_data`,
    /// its row gets one naming this database and row. Returns the rows' places.
    pub(crate) fn enqueue_all(
        &self,
        messages: &[(&str, &str, &str)],
        origin: &str,
        acknowledged: &[i64],
    ) -> Result<Vec<i64>> {
        let id = self.id()?;
        let path = self.path.display().to_string();
        let explain = |e| super::explain(e, &path);
        let tx = self.conn().unchecked_transaction().map_err(explain)?;
        let mut seqs = Vec::with_capacity(messages.len());
        {
            let mut insert = tx
                .prepare_cached(
                    "INSERT INTO outbox (recipient, kind, body, origin, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                )
                .map_err(explain)?;
            let mut callback = tx
                .prepare_cached("UPDATE outbox SET callback = ?2 WHERE seq = ?1")
                .map_err(explain)?;
            for (recipient, kind, body) in messages {
                insert
                    .execute(params![recipient, kind, body, origin, unix_now()])
                    .map_err(explain)?;
                let seq = tx.last_insert_rowid();
                let own_callback = serde_json::from_str::<serde_json::Value>(body)
                    .is_ok_and(|b| b.get("biz_opaque_callback_data").is_some());
                if !own_callback {
                    callback
                        .execute(params![seq, format!("wa-cloud:{id}:{seq}")])
                        .map_err(explain)?;
                }
                seqs.push(seq);
            }
            let mut acknowledge = tx
                .prepare_cached("UPDATE inbox SET delivered_at = ?2 WHERE seq = ?1")
                .map_err(explain)?;
            for seq in acknowledged {
                acknowledge
                    .execute(params![seq, unix_now()])
                    .map_err(explain)?;
            }
        }
        tx.commit().map_err(explain)?;
        Ok(seqs)
    }

    /// How many rows wait to be sent, and when the oldest of them was stored (unix seconds).
    pub(crate) fn outbox_backlog(&self) -> Result<(i64, Option<i64>)> {
        self.conn()
            .query_row(
                "SELECT count(*), min(created_at) FROM outbox WHERE state = 'pending'",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .context("cannot read the outbox")
    }

    /// At most `limit` unsent rows after `after`, in order.
    pub(crate) fn unsent(&self, after: i64, limit: usize) -> Result<Vec<OutboxRow>> {
        self.read_rows(
            &format!(
                "SELECT seq, recipient, kind, body, created_at, attempts, next_attempt_at, tried_at, callback
                 FROM outbox WHERE state = 'pending' AND seq > ?1 ORDER BY seq LIMIT {limit}"
            ),
            params![after],
        )
    }

    /// At most `limit` unsent rows of one recipient with `after < seq <= up_to`, in order.
    pub(crate) fn unsent_of(
        &self,
        recipient: &str,
        after: i64,
        up_to: i64,
        limit: usize,
    ) -> Result<Vec<OutboxRow>> {
        self.read_rows(
            &format!(
                "SELECT seq, recipient, kind, body, created_at, attempts, next_attempt_at, tried_at, callback
                 FROM outbox WHERE state = 'pending' AND recipient = ?1 AND seq > ?2 AND seq <= ?3
                 ORDER BY seq LIMIT {limit}"
            ),
            params![recipient, after, up_to],
        )
    }

    /// (A limit is written into the statement, never bound: SQLite plans for the value of
    /// a bound `LIMIT ?`, so it compiles such a statement again each time it is run.)
    fn read_rows(&self, sql: &str, params: impl rusqlite::Params) -> Result<Vec<OutboxRow>> {
        let mut query = self.conn().prepare_cached(sql)?;
        let rows = query.query_map(params, |row| {
            Ok(OutboxRow {
                seq: row.get(0)?,
                recipient: row.get(1)?,
                kind: row.get(2)?,
                body: row.get(3)?,
                created_at: row.get(4)?,
                attempts: row.get(5)?,
                next_attempt_at: row.get(6)?,
                tried_at: row.get(7)?,
                callback: row.get(8)?,
            })
        })?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .context("cannot read the outbox")
    }

    /// Records that an attempt to send each row begins now (before it is made), in one
    /// transaction: committed when it returns.
    pub(crate) fn mark_trying_all(&self, seqs: &[i64]) -> Result<()> {
        let path = self.path.display().to_string();
        let explain = |e| super::explain(e, &path);
        let tx = self.conn().unchecked_transaction().map_err(explain)?;
        {
            let mut update = tx
                .prepare_cached(
                    "UPDATE outbox SET attempts = attempts + 1, tried_at = ?2 WHERE seq = ?1",
                )
                .map_err(explain)?;
            let now = unix_now_ms();
            for seq in seqs {
                update.execute(params![seq, now]).map_err(explain)?;
            }
        }
        tx.commit().map_err(explain)
    }

    /// [`Store::mark_sent`] for many rows (seq, wamid) in one transaction.
    pub(crate) fn mark_sent_all(&self, rows: &[(i64, String)]) -> Result<()> {
        let path = self.path.display().to_string();
        let explain = |e| super::explain(e, &path);
        let tx = self.conn().unchecked_transaction().map_err(explain)?;
        {
            let mut update = tx
                .prepare_cached(
                    "UPDATE outbox SET state = 'sent', wamid = ?2, sent_at = ?3, tried_at = NULL, error = NULL
                     WHERE seq = ?1",
                )
                .map_err(explain)?;
            let now = unix_now();
            for (seq, wamid) in rows {
                update.execute(params![seq, wamid, now]).map_err(explain)?;
            }
        }
        tx.commit().map_err(explain)
    }

    /// Which of these messages WhatsApp has reported delivered, read, played or failed:
    /// one query for all of them.
    pub(crate) fn reached_among(&self, wamids: &[&str]) -> Result<Vec<String>> {
        if wamids.is_empty() {
            return Ok(Vec::new());
        }
        let list = serde_json::to_string(wamids)?;
        let mut query = self.conn().prepare_cached(
            "SELECT wamid FROM statuses
             WHERE wamid IN (SELECT value FROM json_each(?1))
               AND status IN ('delivered', 'read', 'played', 'failed')",
        )?;
        let rows = query.query_map(params![list], |r| r.get(0))?;
        rows.collect::<rusqlite::Result<Vec<String>>>()
            .context("cannot read the statuses")
    }

    /// The row waits for another attempt at `at` (unix ms); `in_doubt` keeps `tried_at`
    /// (the failed attempt may have reached Meta).
    pub(crate) fn mark_retry(&self, seq: i64, at: i64, error: &str, in_doubt: bool) -> Result<()> {
        self.write(
            "UPDATE outbox SET next_attempt_at = ?2, error = ?3,
                 tried_at = CASE WHEN ?4 THEN tried_at ELSE NULL END
             WHERE seq = ?1",
            params![seq, at, error, in_doubt],
        )
    }

    pub(crate) fn mark_sent(&self, seq: i64, wamid: &str) -> Result<()> {
        self.write(
            "UPDATE outbox SET state = 'sent', wamid = ?2, sent_at = ?3, tried_at = NULL, error = NULL
             WHERE seq = ?1",
            params![seq, wamid, unix_now()],
        )
    }

    pub(crate) fn mark_failed(&self, seq: i64, error: &str) -> Result<()> {
        self.write(
            "UPDATE outbox SET state = 'failed', error = ?2, tried_at = NULL WHERE seq = ?1",
            params![seq, error],
        )
    }

    fn write(&self, sql: &str, params: impl rusqlite::Params) -> Result<()> {
        self.conn()
            .prepare_cached(sql)
            .and_then(|mut update| update.execute(params))
            .map_err(|e| super::explain(e, &self.path.display().to_string()))?;
        Ok(())
    }

    /// The wamid of the message whose statuses carry this `biz_opaque_callback_data`.
    pub(crate) fn callback_wamid(&self, callback: &str) -> Result<Option<String>> {
        self.conn()
            .query_row(
                "SELECT wamid FROM callbacks WHERE callback = ?1",
                params![callback],
                |r| r.get(0),
            )
            .optional()
            .context("cannot read the statuses")
    }

    /// What became of an outbox row.
    pub(crate) fn outcome(&self, seq: i64) -> Result<Outcome> {
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
    pub(crate) fn sender_of(&self, wamid: &str) -> Result<Option<String>> {
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
    pub(crate) fn heartbeat(&self) -> Result<()> {
        self.conn().execute(
            "INSERT INTO server_lease (id, pid, heartbeat_at) VALUES (1, ?1, ?2)
             ON CONFLICT (id) DO UPDATE SET pid = excluded.pid, heartbeat_at = excluded.heartbeat_at",
            params![std::process::id(), unix_now()],
        )?;
        Ok(())
    }

    pub(crate) fn release_lease(&self) -> Result<()> {
        self.conn().execute(
            "DELETE FROM server_lease WHERE pid = ?1",
            params![std::process::id()],
        )?;
        Ok(())
    }

    /// The pid of the `serve --handler` that holds a fresh lease on this database.
    pub(crate) fn lease_holder(&self) -> Result<Option<u32>> {
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
    pub(crate) fn server_running(&self) -> Result<bool> {
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
        assert_eq!(store.unsent(0, 100).unwrap().len(), 2);
        store.mark_sent(a, "wamid.A").unwrap();
        store
            .mark_failed(b, "(#131047) Re-engagement message")
            .unwrap();
        assert_eq!(store.outcome(a).unwrap(), Outcome::Sent("wamid.A".into()));
        assert!(matches!(store.outcome(b).unwrap(), Outcome::Failed(e) if e.contains("131047")));
        assert!(store.unsent(0, 100).unwrap().is_empty());
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

    #[test]
    fn replies_and_the_acknowledgement_of_what_they_answer_are_stored_together() {
        let mut store = Store::open_in_memory().unwrap();
        let body = br#"{"entry":[{"changes":[{"field":"messages","value":{"messages":[
            {"from":"491","id":"wamid.1","timestamp":"1","type":"text","text":{"body":"a"}}]}}]}]}"#;
        let items = crate::notification::parse(body).unwrap();
        store.insert_items([&items], &[]).unwrap();
        let event = store
            .pending(&[crate::notification::Kind::Message], 0, 1)
            .unwrap();
        let seqs = store
            .enqueue_all(
                &[
                    ("+491", "text", r#"{"type":"text"}"#),
                    ("+491", "text", r#"{"biz_opaque_callback_data":"mine"}"#),
                ],
                "handler",
                &[event[0].seq],
            )
            .unwrap();
        assert!(
            store
                .pending(&[crate::notification::Kind::Message], 0, 1)
                .unwrap()
                .is_empty()
        );
        let rows = store.unsent(0, 100).unwrap();
        let id = store.id().unwrap();
        assert_eq!(rows[0].callback, Some(format!("wa-cloud:{id}:{}", seqs[0])));
        assert_eq!(
            rows[1].callback, None,
            "a reply's own callback data is kept"
        );
    }
}
