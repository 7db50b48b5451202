//! The allow-list of business numbers (`graphApi.numbers`): an event that came to another
//! number is stored as every event is, but parked at once, in the same transaction, so
//! that it is never handed over; `wa-cloud inbox parked` shows it with the reason and
//! `wa-cloud inbox retry` hands it over once the number is added.
//!
//! It is done by a TEMP trigger on the connection that files notifications: filing itself
//! is unchanged, and costs nothing more when no allow-list is configured. The trigger
//! notes what it held in a TEMP table, which the filer reads after the commit, for the log.

use anyhow::{Context, Result};
use rusqlite::params;

use super::Store;

/// An event held because of the number it came to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Held {
    pub seq: i64,
    pub kind: String,
    /// The business number (phone number id) it came to.
    pub number: String,
}

/// Why a held event was parked, as `wa-cloud inbox parked` shows it; `{number}` is
/// filled in by the trigger.
const WHY: [&str; 2] = [
    "came to business number ",
    ", which is not in graphApi.numbers: add it there, then `wa-cloud inbox retry` hands this over",
];

impl Store {
    /// From now on, on this connection, events whose `phone_number_id` is not one of
    /// `allowed` are parked as they are stored. Events without a business number
    /// (template updates) are never held.
    pub(crate) fn hold_other_numbers(&self, allowed: &[String]) -> Result<()> {
        let number = "CAST(json_extract(NEW.event, '$.phone_number_id') AS TEXT)";
        let (before, after) = (WHY[0].replace('\'', "''"), WHY[1].replace('\'', "''"));
        self.conn()
            .execute_batch(&format!(
                "CREATE TEMP TABLE IF NOT EXISTS allowed_numbers (id TEXT PRIMARY KEY);
                 CREATE TEMP TABLE IF NOT EXISTS held (seq INTEGER, kind TEXT, number TEXT);
                 DELETE FROM allowed_numbers;
                 DROP TRIGGER IF EXISTS temp.hold_other_numbers;
                 CREATE TEMP TRIGGER hold_other_numbers AFTER INSERT ON main.inbox
                 WHEN {number} NOT IN (SELECT id FROM allowed_numbers)
                  -- `wa-cloud inbox retry` hands a held event over on purpose.
                  AND NEW.key NOT LIKE '%|retry'
                 BEGIN
                     UPDATE inbox SET parked_at = CAST(strftime('%s', 'now') AS INTEGER),
                                      parked_why = '{before}' || {number} || '{after}'
                      WHERE seq = NEW.seq;
                     INSERT INTO held (seq, kind, number) VALUES (NEW.seq, NEW.kind, {number});
                 END;"
            ))
            .context("cannot set up the allow-list of business numbers")?;
        let mut insert = self
            .conn()
            .prepare("INSERT OR IGNORE INTO allowed_numbers (id) VALUES (?1)")?;
        for id in allowed {
            insert.execute(params![id])?;
        }
        Ok(())
    }

    /// The events held since the last call (new ones only: a redelivery stores nothing).
    pub(crate) fn take_held(&self) -> Result<Vec<Held>> {
        let mut query = self
            .conn()
            .prepare_cached("DELETE FROM held RETURNING seq, kind, number")?;
        let mut held = query
            .query_map([], |row| {
                Ok(Held {
                    seq: row.get(0)?,
                    kind: row.get(1)?,
                    number: row.get(2)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()
            .context("cannot read which events were held")?;
        held.sort_by_key(|h| h.seq);
        Ok(held)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notification::{Kind, parse};

    fn message_to(number: &str, wamid: &str) -> Vec<crate::notification::Item> {
        let body = format!(
            r#"{{"entry":[{{"changes":[{{"field":"messages","value":{{
                "metadata":{{"display_phone_number":"1555","phone_number_id":"{number}"}},
                "contacts":[{{"wa_id":"4915112345678","profile":{{"name":"Dana"}}}}],
                "messages":[{{"from":"4915112345678","id":"{wamid}","timestamp":"1","type":"text","text":{{"body":"hi"}}}}]}}}}]}}]}}"#
        );
        parse(body.as_bytes()).unwrap()
    }

    #[test]
    fn events_for_other_numbers_are_parked_as_they_are_stored() {
        let mut store = Store::open_in_memory().unwrap();
        store.hold_other_numbers(&["111".to_string()]).unwrap();
        let batch = [
            message_to("111", "wamid.ours"),
            message_to("999", "wamid.theirs"),
            message_to("999", "wamid.theirs"),
        ];
        store.insert_items(&batch, &[Kind::Message]).unwrap();
        let pending = store.pending(&[Kind::Message], 0, 10).unwrap();
        assert_eq!(pending.len(), 1);
        assert!(pending[0].event.contains("wamid.ours"));
        let held = store.take_held().unwrap();
        assert_eq!(
            held,
            [Held {
                seq: 2,
                kind: "message".into(),
                number: "999".into()
            }]
        );
        assert!(store.take_held().unwrap().is_empty());
        let parked = store.parked().unwrap();
        assert_eq!(parked.len(), 1);
        assert!(
            parked[0]
                .why
                .starts_with("came to business number 999, which is not in graphApi.numbers"),
            "{}",
            parked[0].why
        );
        // Handed over on request, and not held again.
        store.unpark(&[]).unwrap();
        assert_eq!(store.pending(&[Kind::Message], 0, 10).unwrap().len(), 2);
    }
}
