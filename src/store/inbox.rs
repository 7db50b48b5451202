//! The inbox: every message, status, update and error of accepted notifications, stored
//! before WhatsApp gets its 200, and the latest status of each message we sent.
//!
//! Invariants: an event is stored once per (kind, key) — WhatsApp's redeliveries insert
//! nothing — and is handed on in `seq` order. It stays pending until it is acknowledged
//! (`delivered_at`: written to the tap, or dealt with by the handler) or parked (the
//! handler crashed on it too often); `handed` counts how often it was written to a
//! handler, so that a second hand-over is marked as one. A status never replaces a newer
//! one: the later timestamp wins, and on a tie the later stage (sent < delivered < read <
//! played < failed). A status that carries our `biz_opaque_callback_data` records which
//! wamid it names, so that the outbox can recognise a message it sent before a crash.

use std::borrow::Borrow;

use anyhow::{Context, Result};
use rusqlite::params;

use super::Store;
use crate::notification::{Item, Kind};

/// Migration 2.
pub(super) const SCHEMA: &str = "
CREATE TABLE inbox (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,
    kind          TEXT NOT NULL,                -- message, status, update, error
    key           TEXT NOT NULL,                -- wamid; wamid|status; content hash
    peer          TEXT,                         -- sender of a message, recipient of a status
    event         TEXT NOT NULL,                -- the JSON event line
    received_at   INTEGER NOT NULL,             -- unix seconds
    delivered_at  INTEGER,                      -- when it was written to the tap or handler
    UNIQUE (kind, key)
);
CREATE INDEX inbox_pending ON inbox (kind, seq) WHERE delivered_at IS NULL;
CREATE TABLE statuses (
    wamid       TEXT PRIMARY KEY,
    status      TEXT NOT NULL,
    timestamp   INTEGER NOT NULL,
    recipient   TEXT,
    updated_at  INTEGER NOT NULL
);
";

/// The order of a message's life, for statuses that carry the same timestamp.
const STAGE: &str = "CASE ?1 WHEN 'sent' THEN 1 WHEN 'delivered' THEN 2 WHEN 'read' THEN 3 \
                     WHEN 'played' THEN 4 WHEN 'failed' THEN 5 ELSE 0 END";

/// How many bytes of events [`Store::pending`] reads at once: a batch of events holds
/// memory until it is handed on, and one event may be a few MiB.
pub(crate) const PENDING_BYTES: usize = 1024 * 1024;

/// An event waiting to be handed on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Pending {
    pub seq: i64,
    pub kind: String,
    pub peer: Option<String>,
    pub event: String,
    /// How often it was written to a handler before.
    pub handed: i64,
}

/// An event set aside because the handler crashed on it too often.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Parked {
    pub seq: i64,
    pub kind: String,
    pub peer: Option<String>,
    pub event: String,
    pub parked_at: i64,
    pub why: String,
}

impl Store {
    /// Stores several notifications' items in one transaction; returns, for each
    /// notification, how many of its items of `counted` kinds were new.
    pub(crate) fn insert_items<I: IntoIterator<Item: Borrow<Item>>>(
        &mut self,
        notifications: impl IntoIterator<Item = I>,
        counted: &[Kind],
    ) -> Result<Vec<usize>> {
        let now = unix_now();
        let path = self.path.display().to_string();
        let explain = |e| super::explain(e, &path);
        // Immediate: filing contacts reads before it writes, and a read transaction that
        // turns into a write one fails at once (busy snapshot) if another wrote meanwhile.
        let tx = self
            .conn_mut()
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(explain)?;
        let mut counts = Vec::new();
        // Counted once committed.
        let mut statuses_stored = Vec::new();
        {
            let mut insert = tx
                .prepare_cached(
                    "INSERT OR IGNORE INTO inbox (kind, key, peer, event, received_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                )
                .map_err(explain)?;
            let mut callback = tx
                .prepare_cached("INSERT OR IGNORE INTO callbacks (callback, wamid) VALUES (?1, ?2)")
                .map_err(explain)?;
            let mut status = tx
                .prepare_cached(&format!(
                    "INSERT INTO statuses (wamid, status, timestamp, recipient, updated_at) VALUES (?2, ?1, ?3, ?4, ?5)
                     ON CONFLICT (wamid) DO UPDATE SET status = excluded.status, timestamp = excluded.timestamp,
                         recipient = excluded.recipient, updated_at = excluded.updated_at
                     WHERE excluded.timestamp > statuses.timestamp
                        OR (excluded.timestamp = statuses.timestamp AND {STAGE} > {})",
                    STAGE.replace("?1", "statuses.status")
                ))
                .map_err(explain)?;
            for items in notifications {
                let mut new = 0;
                for item in items {
                    let item = item.borrow();
                    // The person is filed under the key they were first known by, which
                    // decides their worker and the order of replies to them.
                    let peer = match &item.who {
                        Some(who) => super::contacts::file(&tx, who, now)
                            .map_err(explain)?
                            .or_else(|| item.peer.clone()),
                        None => item.peer.clone(),
                    };
                    let refiled = match (&peer, &item.peer) {
                        (Some(filed), Some(parsed)) if filed != parsed => {
                            Some(crate::notification::refile(&item.event, parsed, filed))
                        }
                        _ => None,
                    };
                    let event = refiled.as_deref().unwrap_or(&item.event);
                    let inserted = insert
                        .execute(params![item.kind.as_str(), item.key, peer, event, now])
                        .map_err(explain)?;
                    if inserted == 1 && counted.contains(&item.kind) {
                        new += 1;
                    }
                    // A status without id or status tells nothing to order by; it stays in
                    // the inbox as WhatsApp sent it, and fails nothing else.
                    if let Some(s) = &item.status {
                        if let Some(data) = &s.callback {
                            callback.execute(params![data, s.id]).map_err(explain)?;
                        }
                        if inserted == 1 {
                            status
                                .execute(params![s.status, s.id, s.timestamp, peer, now])
                                .map_err(explain)?;
                            statuses_stored.push(s.status.clone());
                        }
                    }
                }
                counts.push(new);
            }
        }
        tx.commit().map_err(explain)?;
        for status in &statuses_stored {
            crate::metrics::status_stored(status);
        }
        Ok(counts)
    }

    /// Up to `limit` events of `kinds` after `after` not yet handed on, oldest first, and
    /// no more than [`PENDING_BYTES`] of them (but always the first).
    pub(crate) fn pending(&self, kinds: &[Kind], after: i64, limit: usize) -> Result<Vec<Pending>> {
        // First the seqs, then each event: sorting whole rows would read every pending
        // event (a few MiB each, at worst) for each batch.
        // SQLite plans for the value of a bound `LIMIT ?`, compiling the statement again
        // each time it runs; a limit written in is compiled once.
        let seqs: Vec<i64> = {
            let mut query = self
                .conn()
                .prepare_cached(&format!(
                    "SELECT seq FROM inbox
                     WHERE delivered_at IS NULL AND parked_at IS NULL AND seq > ?2
                       AND kind IN (SELECT value FROM json_each(?1))
                     ORDER BY seq LIMIT {limit}"
                ))
                .context("cannot read the inbox")?;
            query
                .query_map(params![kinds_json(kinds), after], |row| row.get(0))?
                .collect::<rusqlite::Result<_>>()
                .context("cannot read the inbox")?
        };
        let mut event = self
            .conn()
            .prepare_cached("SELECT seq, kind, peer, event, handed FROM inbox WHERE seq = ?1")
            .context("cannot read the inbox")?;
        let (mut pending, mut bytes) = (Vec::new(), 0);
        for seq in seqs {
            if bytes >= PENDING_BYTES {
                break;
            }
            let one = event
                .query_row(params![seq], |row| {
                    Ok(Pending {
                        seq: row.get(0)?,
                        kind: row.get(1)?,
                        peer: row.get(2)?,
                        event: row.get(3)?,
                        handed: row.get(4)?,
                    })
                })
                .context("cannot read the inbox")?;
            bytes += one.event.len();
            pending.push(one);
        }
        Ok(pending)
    }

    /// Marks events acknowledged (dealt with), so that they are not handed on again.
    pub(crate) fn mark_delivered(&mut self, seqs: &[i64]) -> Result<()> {
        self.update_each(
            seqs,
            "UPDATE inbox SET delivered_at = ?2 WHERE seq = ?1",
            unix_now(),
        )
        .context("cannot mark events as acknowledged")
    }

    /// Counts a hand-over of each event to a handler, before it is written.
    pub(crate) fn mark_handed(&mut self, seqs: &[i64]) -> Result<()> {
        self.update_each(
            seqs,
            "UPDATE inbox SET handed = handed + 1 WHERE seq = ?1 AND ?2 = ?2",
            0,
        )
        .context("cannot count a hand-over")
    }

    /// Runs `sql` with each seq as ?1 and `value` as ?2, in one transaction.
    fn update_each(&mut self, seqs: &[i64], sql: &str, value: i64) -> Result<()> {
        let path = self.path.display().to_string();
        let explain = |e| super::explain(e, &path);
        let tx = self.conn_mut().transaction().map_err(explain)?;
        {
            let mut update = tx.prepare_cached(sql).map_err(explain)?;
            for seq in seqs {
                update.execute(params![seq, value]).map_err(explain)?;
            }
        }
        tx.commit().map_err(explain)
    }

    /// Counts a handler exit that left this event unacknowledged; returns the count.
    pub(crate) fn record_crash(&self, seq: i64) -> Result<i64> {
        self.conn()
            .query_row(
                "UPDATE inbox SET crashes = crashes + 1 WHERE seq = ?1 RETURNING crashes",
                params![seq],
                |r| r.get(0),
            )
            .map_err(|e| super::explain(e, &self.path.display().to_string()))
    }

    /// Sets an event aside: it is not handed over again until `unpark`.
    pub(crate) fn park(&self, seq: i64, why: &str) -> Result<()> {
        self.conn()
            .execute(
                "UPDATE inbox SET parked_at = ?2, parked_why = ?3 WHERE seq = ?1",
                params![seq, unix_now(), why],
            )
            .map_err(|e| super::explain(e, &self.path.display().to_string()))?;
        Ok(())
    }

    /// The parked events, oldest first.
    pub(crate) fn parked(&self) -> Result<Vec<Parked>> {
        let mut query = self.conn().prepare_cached(
            "SELECT seq, kind, peer, event, parked_at, coalesce(parked_why, '') FROM inbox
             WHERE parked_at IS NOT NULL AND delivered_at IS NULL ORDER BY seq",
        )?;
        let rows = query.query_map([], |row| {
            Ok(Parked {
                seq: row.get(0)?,
                kind: row.get(1)?,
                peer: row.get(2)?,
                event: row.get(3)?,
                parked_at: row.get(4)?,
                why: row.get(5)?,
            })
        })?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .context("cannot read the parked events")
    }

    /// Makes parked events pending again, their crashes forgotten (all of them when
    /// `seqs` is empty); returns how many there were. Each gets a new seq, so that a
    /// running `serve`, which hands over events in seq order, picks it up at once.
    pub(crate) fn unpark(&mut self, seqs: &[i64]) -> Result<usize> {
        let path = self.path.display().to_string();
        let explain = |e| super::explain(e, &path);
        let parked: Vec<i64> = self
            .parked()?
            .into_iter()
            .map(|p| p.seq)
            .filter(|seq| seqs.is_empty() || seqs.contains(seq))
            .collect();
        let tx = self.conn_mut().transaction().map_err(explain)?;
        {
            let mut copy = tx
                .prepare_cached(
                    "INSERT INTO inbox (kind, key, peer, event, received_at, handed)
                     SELECT kind, key || '|retry', peer, event, received_at, handed FROM inbox WHERE seq = ?1",
                )
                .map_err(explain)?;
            let mut delete = tx
                .prepare_cached("DELETE FROM inbox WHERE seq = ?1")
                .map_err(explain)?;
            let mut rekey = tx
                .prepare_cached(
                    "UPDATE inbox SET key = substr(key, 1, length(key) - 6) WHERE seq = ?1",
                )
                .map_err(explain)?;
            for seq in &parked {
                copy.execute(params![seq]).map_err(explain)?;
                let new = tx.last_insert_rowid();
                delete.execute(params![seq]).map_err(explain)?;
                rekey.execute(params![new]).map_err(explain)?;
            }
        }
        tx.commit().map_err(explain)?;
        Ok(parked.len())
    }

    /// How many events are parked (any kind); cheap, for `/healthz`.
    pub(crate) fn parked_count(&self) -> Result<i64> {
        self.conn()
            .query_row(
                "SELECT count(*) FROM inbox WHERE parked_at IS NOT NULL AND delivered_at IS NULL",
                [],
                |r| r.get(0),
            )
            .context("cannot count the parked events")
    }

    /// How many events of `kinds` wait to be handed on (parked ones not counted).
    pub(crate) fn backlog(&self, kinds: &[Kind]) -> Result<u64> {
        let count: i64 = self.conn().query_row(
            "SELECT count(*) FROM inbox WHERE delivered_at IS NULL AND parked_at IS NULL
               AND kind IN (SELECT value FROM json_each(?1))",
            params![kinds_json(kinds)],
            |row| row.get(0),
        )?;
        Ok(count as u64)
    }

    /// How many events of `kinds` wait (`waiting`: never handed over; `unacknowledged`:
    /// handed over, not yet acknowledged) and how many are parked.
    pub(crate) fn inbox_counts(&self, kinds: &[Kind]) -> Result<InboxCounts> {
        self.conn()
            .query_row(
                "SELECT coalesce(sum(parked_at IS NULL AND handed = 0), 0),
                        coalesce(sum(parked_at IS NULL AND handed > 0), 0),
                        coalesce(sum(parked_at IS NOT NULL), 0)
                 FROM inbox WHERE delivered_at IS NULL AND kind IN (SELECT value FROM json_each(?1))",
                params![kinds_json(kinds)],
                |r| {
                    Ok(InboxCounts {
                        waiting: r.get(0)?,
                        unacknowledged: r.get(1)?,
                        parked: r.get(2)?,
                    })
                },
            )
            .context("cannot count the inbox")
    }

    /// The latest status WhatsApp reported for a message we sent, and its timestamp.
    #[cfg(test)]
    pub(crate) fn latest_status(&self, wamid: &str) -> Result<Option<(String, i64)>> {
        let mut query = self
            .conn()
            .prepare_cached("SELECT status, timestamp FROM statuses WHERE wamid = ?1")?;
        let mut rows = query.query(params![wamid])?;
        Ok(match rows.next()? {
            Some(row) => Some((row.get(0)?, row.get(1)?)),
            None => None,
        })
    }
}

/// What the inbox holds that is not yet dealt with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub(crate) struct InboxCounts {
    pub waiting: i64,
    pub unacknowledged: i64,
    pub parked: i64,
}

fn kinds_json(kinds: &[Kind]) -> String {
    serde_json::to_string(&kinds.iter().map(|k| k.as_str()).collect::<Vec<_>>())
        .expect("strings serialize")
}

pub(crate) fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notification::parse;

    fn status(wamid: &str, status: &str, timestamp: u64) -> Vec<Item> {
        let body = format!(
            r#"{{"entry":[{{"changes":[{{"field":"messages","value":{{"statuses":[
            {{"id":"{wamid}","status":"{status}","timestamp":"{timestamp}","recipient_id":"4915112345678"}}]}}}}]}}]}}"#
        );
        parse(body.as_bytes()).unwrap()
    }

    #[test]
    fn redelivered_messages_are_stored_once() {
        let mut store = Store::open_in_memory().unwrap();
        let body = br#"{"entry":[{"changes":[{"field":"messages","value":{"messages":[
            {"from":"491","id":"wamid.1","timestamp":"1","type":"text","text":{"body":"a"}}]}}]}]}"#;
        let items = parse(body).unwrap();
        assert_eq!(
            store
                .insert_items([&items, &items], &[Kind::Message])
                .unwrap(),
            vec![1, 0]
        );
        assert_eq!(
            store.insert_items([&items], &[Kind::Message]).unwrap(),
            vec![0]
        );
        let pending = store.pending(&[Kind::Message], 0, 10).unwrap();
        assert_eq!(pending.len(), 1);
        store.mark_delivered(&[pending[0].seq]).unwrap();
        assert!(store.pending(&[Kind::Message], 0, 10).unwrap().is_empty());
        assert_eq!(store.backlog(&[Kind::Message]).unwrap(), 0);
    }

    #[test]
    fn a_status_without_its_fields_is_stored_without_failing_the_batch() {
        let mut store = Store::open_in_memory().unwrap();
        // Without an id it is kept as an `error` event (notification.rs).
        let odd = parse(br#"{"entry":[{"changes":[{"field":"messages","value":{"statuses":[{"recipient_id":"1"}]}}]}]}"#).unwrap();
        assert_eq!(odd[0].kind, Kind::Error);
        assert_eq!(
            store
                .insert_items(
                    [&odd, &status("w", "sent", 1)],
                    &[Kind::Status, Kind::Error]
                )
                .unwrap(),
            vec![1, 1]
        );
        assert_eq!(
            store.latest_status("w").unwrap(),
            Some(("sent".to_string(), 1))
        );
    }

    #[test]
    fn the_latest_status_wins_and_older_ones_never_overwrite_it() {
        let mut store = Store::open_in_memory().unwrap();
        for items in [
            status("w", "read", 20),
            status("w", "delivered", 10),
            status("w", "sent", 20),
        ] {
            store.insert_items([&items], &[]).unwrap();
        }
        assert_eq!(
            store.latest_status("w").unwrap(),
            Some(("read".to_string(), 20))
        );
        store
            .insert_items([&status("w", "failed", 20)], &[])
            .unwrap();
        assert_eq!(
            store.latest_status("w").unwrap(),
            Some(("failed".to_string(), 20))
        );
    }

    fn message(wamid: &str) -> Vec<Item> {
        let body = format!(
            r#"{{"entry":[{{"changes":[{{"field":"messages","value":{{"messages":[
            {{"from":"491","id":"{wamid}","timestamp":"1","type":"text","text":{{"body":"a"}}}}]}}}}]}}]}}"#
        );
        parse(body.as_bytes()).unwrap()
    }

    #[test]
    fn large_events_are_read_a_few_mib_at_a_time() {
        let mut store = Store::open_in_memory().unwrap();
        let text = "x".repeat(PENDING_BYTES * 3 / 8);
        let bodies: Vec<Vec<Item>> = (0..3)
            .map(|i| {
                let body = format!(
                    r#"{{"entry":[{{"changes":[{{"value":{{"messages":[{{"from":"491","id":"w{i}","type":"text","text":{{"body":"{text}"}}}}]}}}}]}}]}}"#
                );
                parse(body.as_bytes()).unwrap()
            })
            .collect();
        store.insert_items(&bodies, &[]).unwrap();
        let first = store.pending(&[Kind::Message], 0, 10).unwrap();
        assert_eq!(
            first.len(),
            2,
            "about {PENDING_BYTES} bytes, and not less than one"
        );
        let rest = store.pending(&[Kind::Message], first[1].seq, 10).unwrap();
        assert_eq!(rest.len(), 1);
    }

    #[test]
    fn an_event_handed_over_stays_pending_until_acknowledged_and_is_parked_after_crashes() {
        let mut store = Store::open_in_memory().unwrap();
        store
            .insert_items([&message("wamid.1"), &message("wamid.2")], &[])
            .unwrap();
        let pending = store.pending(&[Kind::Message], 0, 10).unwrap();
        store.mark_handed(&[pending[0].seq]).unwrap();
        let again = store.pending(&[Kind::Message], 0, 10).unwrap();
        assert_eq!(
            (again.len(), again[0].handed),
            (2, 1),
            "handed over, not acknowledged"
        );
        let counts = store.inbox_counts(&[Kind::Message]).unwrap();
        assert_eq!((counts.waiting, counts.unacknowledged), (1, 1));

        assert_eq!(store.record_crash(pending[0].seq).unwrap(), 1);
        assert_eq!(store.record_crash(pending[0].seq).unwrap(), 2);
        store.park(pending[0].seq, "crashed twice").unwrap();
        let left = store.pending(&[Kind::Message], 0, 10).unwrap();
        assert_eq!(left.len(), 1, "a parked event is not handed over");
        assert_eq!(store.parked().unwrap()[0].why, "crashed twice");
        assert_eq!(store.backlog(&[Kind::Message]).unwrap(), 1);

        assert_eq!(store.unpark(&[]).unwrap(), 1);
        let back = store.pending(&[Kind::Message], 0, 10).unwrap();
        assert_eq!(back.len(), 2);
        assert!(
            back[1].seq > pending[1].seq,
            "a retried event comes after the others, for a running serve to see"
        );
        assert_eq!(back[1].handed, 1, "it will say redelivered");
        assert!(store.parked().unwrap().is_empty());
        assert_eq!(
            store
                .insert_items([&message("wamid.1")], &[Kind::Message])
                .unwrap(),
            vec![0],
            "its key still deduplicates WhatsApp's redeliveries"
        );
    }

    #[test]
    fn a_status_with_callback_data_names_the_wamid_it_belongs_to() {
        let mut store = Store::open_in_memory().unwrap();
        let body = br#"{"entry":[{"changes":[{"field":"messages","value":{"statuses":[
            {"id":"wamid.S","status":"sent","timestamp":"5","recipient_id":"491","biz_opaque_callback_data":"wa-cloud:x:7"}]}}]}]}"#;
        store.insert_items([&parse(body).unwrap()], &[]).unwrap();
        assert_eq!(
            store.callback_wamid("wa-cloud:x:7").unwrap().as_deref(),
            Some("wamid.S")
        );
        assert_eq!(store.callback_wamid("wa-cloud:x:8").unwrap(), None);
    }
}
