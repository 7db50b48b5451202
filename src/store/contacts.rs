//! Contacts: the people messages come from and go to, under one stable key whichever of
//! their identifiers (phone number, business-scoped user id, parent one) a notification
//! or a reply names, and when each last wrote to each business number.
//!
//! Invariants: a person is filed under the key of the first notification that named
//! them (their user id when it carried one, else the parent one, else the phone) and
//! keeps it: identifiers that arrive later are added to the row, a number or user id
//! change replaces the old one, and the key, which decides the handler worker and the
//! order of replies, does not move. `last_inbound` only grows.

use anyhow::{Context, Result};
use rusqlite::{Connection, OptionalExtension, params};
use serde_json::{Value, json};

use super::Store;
use crate::message::{Outgoing, Recipient};
use crate::notification::Who;

/// Migration 7.
pub(super) const SCHEMA: &str = "
CREATE TABLE contacts (
    key             TEXT PRIMARY KEY,     -- stable: see the module doc
    phone           TEXT,                 -- digits, no +
    user_id         TEXT,                 -- business-scoped user id, CC.…
    parent_user_id  TEXT,                 -- parent BSUID, CC.ENT.…
    username        TEXT,
    name            TEXT,                 -- profile name
    updated_at      INTEGER NOT NULL      -- unix seconds
);
CREATE INDEX contacts_phone ON contacts (phone);
CREATE INDEX contacts_user_id ON contacts (user_id);
CREATE INDEX contacts_parent_user_id ON contacts (parent_user_id);
CREATE TABLE contact_numbers (
    contact          TEXT NOT NULL,       -- contacts.key
    phone_number_id  TEXT NOT NULL,       -- the business number they wrote to
    last_inbound     INTEGER NOT NULL,    -- unix seconds of their last message to it
    PRIMARY KEY (contact, phone_number_id)
);
";

/// How many of the newest inbox events are searched for a contact's latest message when
/// they wrote to two business numbers within the same second.
const TIE_LOOKBACK: i64 = 10_000;

/// WhatsApp's customer-service window: free-form messages only within 24 hours of the
/// user's last message to that business number.
pub(crate) const WINDOW_SECONDS: i64 = 24 * 3600;

/// A contact as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Contact {
    pub key: String,
    pub phone: Option<String>,
    pub user_id: Option<String>,
    pub parent_user_id: Option<String>,
    pub username: Option<String>,
    pub name: Option<String>,
    pub updated_at: i64,
    /// Each business number they wrote to, and when last.
    pub numbers: Vec<(String, i64)>,
}

impl Contact {
    /// Where a message to them goes: their phone number when known (a user id is used
    /// only for people WhatsApp gives no phone number of), else their user id, else the
    /// parent one.
    pub(crate) fn address(&self) -> Option<Recipient> {
        let phone = self.phone.as_deref().and_then(|p| Recipient::parse(p).ok());
        phone.or_else(|| {
            [&self.user_id, &self.parent_user_id]
                .into_iter()
                .flatten()
                .find_map(|id| Recipient::parse(id).ok())
        })
    }

    /// Seconds left in the 24-hour window of `phone_number_id` at `now` (0: closed), or
    /// None when they never wrote to it.
    pub(crate) fn window_left(&self, phone_number_id: &str, now: i64) -> Option<i64> {
        self.numbers
            .iter()
            .find(|(number, _)| number == phone_number_id)
            .map(|(_, last)| (last + WINDOW_SECONDS - now).max(0))
    }

    /// For `contacts --json`: every field, and each number's window.
    pub(crate) fn to_json(&self, now: i64) -> Value {
        let numbers: Vec<Value> = self
            .numbers
            .iter()
            .map(|(number, last)| {
                json!({"phone_number_id": number, "last_inbound": last,
                       "window_left": (last + WINDOW_SECONDS - now).max(0)})
            })
            .collect();
        json!({"contact": self.key, "phone": self.phone, "user_id": self.user_id,
               "parent_user_id": self.parent_user_id, "username": self.username,
               "name": self.name, "updated_at": self.updated_at, "numbers": numbers})
    }
}

/// Files what `who` tells under its contact's key, in the inbox writer's transaction;
/// returns that key (None when it names nobody).
pub(super) fn file(tx: &Connection, who: &Who, now: i64) -> rusqlite::Result<Option<String>> {
    merge_duplicates(tx, who)?;
    let known = find(tx, [&who.user_id, &who.phone, &who.parent_user_id])?;
    let key = match known {
        Some(key) => {
            // What arrives now wins over what was known; a change names the new one. Most
            // notifications change nothing, and then nothing is written.
            tx.prepare_cached(
                "UPDATE contacts SET
                    phone = coalesce(?2, ?3, phone), user_id = coalesce(?4, ?5, user_id),
                    parent_user_id = coalesce(?6, parent_user_id),
                    username = coalesce(?7, username), name = coalesce(?8, name), updated_at = ?9
                 WHERE key = ?1
                   AND (phone IS NOT coalesce(?2, ?3, phone) OR user_id IS NOT coalesce(?4, ?5, user_id)
                        OR parent_user_id IS NOT coalesce(?6, parent_user_id)
                        OR username IS NOT coalesce(?7, username) OR name IS NOT coalesce(?8, name))",
            )?
            .execute(params![
                key,
                who.new_phone,
                who.phone,
                who.new_user_id,
                who.user_id,
                who.parent_user_id,
                who.username,
                who.name,
                now
            ])?;
            key
        }
        None => {
            let Some(key) = [&who.user_id, &who.parent_user_id, &who.phone]
                .into_iter()
                .flatten()
                .next()
                .cloned()
            else {
                return Ok(None);
            };
            tx.prepare_cached(
                "INSERT INTO contacts (key, phone, user_id, parent_user_id, username, name, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?
            .execute(params![
                key,
                who.new_phone.as_ref().or(who.phone.as_ref()),
                who.new_user_id.as_ref().or(who.user_id.as_ref()),
                who.parent_user_id,
                who.username,
                who.name,
                now
            ])?;
            key
        }
    };
    if let (Some(number), Some(at)) = (&who.phone_number_id, who.wrote_at) {
        tx.prepare_cached(
            "INSERT INTO contact_numbers (contact, phone_number_id, last_inbound) VALUES (?1, ?2, ?3)
             ON CONFLICT (contact, phone_number_id) DO UPDATE
             SET last_inbound = excluded.last_inbound WHERE excluded.last_inbound > last_inbound",
        )?
        .execute(params![key, number, at])?;
    }
    Ok(Some(key))
}

/// When `who` names one person by identifiers that were filed as two (or three)
/// contacts — first seen by phone only, then by user id only, say — merges them into the
/// one seen first, which keeps its key: their events go to its worker and replies to its
/// queue from now on. Contacts with different user ids (or parent user ids) are different
/// people (a phone number that passed to someone else) and are not merged.
///
/// What was filed under a merged key and not yet handed over is filed under the kept one;
/// replies already queued under it are sent in their old queue (the outbox holds them).
fn merge_duplicates(tx: &Connection, who: &Who) -> rusqlite::Result<()> {
    let ids = [&who.user_id, &who.phone, &who.parent_user_id];
    if ids.iter().filter(|id| id.is_some()).count() < 2 {
        return Ok(());
    }
    struct Found {
        key: String,
        user_id: Option<String>,
        parent_user_id: Option<String>,
    }
    let found: Vec<Found> = tx
        .prepare_cached(
            "SELECT key, user_id, parent_user_id FROM contacts
             WHERE key IN (?1, ?2, ?3) OR user_id IN (?1, ?2, ?3) OR phone IN (?1, ?2, ?3)
                OR parent_user_id IN (?1, ?2, ?3)
             ORDER BY rowid",
        )?
        .query_map(params![ids[0], ids[1], ids[2]], |row| {
            Ok(Found {
                key: row.get(0)?,
                user_id: row.get(1)?,
                parent_user_id: row.get(2)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    if found.len() < 2 {
        return Ok(());
    }
    let differ = |ids: Vec<&String>| ids.windows(2).any(|pair| pair[0] != pair[1]);
    let user_ids = found.iter().filter_map(|f| f.user_id.as_ref());
    let parents = found.iter().filter_map(|f| f.parent_user_id.as_ref());
    if differ(user_ids.chain(who.user_id.as_ref()).collect())
        || differ(parents.chain(who.parent_user_id.as_ref()).collect())
    {
        return Ok(());
    }
    // The contact seen first: rows are only ever added, so the lowest rowid.
    let kept = &found[0].key;
    for merged in &found[1..] {
        let merged = &merged.key;
        tx.prepare_cached(
            "UPDATE contacts SET phone = coalesce(contacts.phone, m.phone),
                 user_id = coalesce(contacts.user_id, m.user_id),
                 parent_user_id = coalesce(contacts.parent_user_id, m.parent_user_id),
                 username = coalesce(contacts.username, m.username), name = coalesce(contacts.name, m.name)
             FROM (SELECT * FROM contacts WHERE key = ?2) AS m WHERE contacts.key = ?1",
        )?
        .execute(params![kept, merged])?;
        tx.prepare_cached(
            "INSERT INTO contact_numbers (contact, phone_number_id, last_inbound)
             SELECT ?1, phone_number_id, last_inbound FROM contact_numbers WHERE contact = ?2
             ON CONFLICT (contact, phone_number_id) DO UPDATE
             SET last_inbound = excluded.last_inbound WHERE excluded.last_inbound > last_inbound",
        )?
        .execute(params![kept, merged])?;
        tx.prepare_cached("DELETE FROM contact_numbers WHERE contact = ?1")?
            .execute(params![merged])?;
        tx.prepare_cached("DELETE FROM contacts WHERE key = ?1")?
            .execute(params![merged])?;
        // Events not yet handed over go to the kept key's worker, named by it.
        let waiting: Vec<(i64, String)> = tx
            .prepare_cached(
                "SELECT seq, event FROM inbox
                 WHERE delivered_at IS NULL AND parked_at IS NULL AND handed = 0 AND peer = ?1",
            )?
            .query_map(params![merged], |row| Ok((row.get(0)?, row.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        for (seq, event) in waiting {
            tx.prepare_cached("UPDATE inbox SET peer = ?2, event = ?3 WHERE seq = ?1")?
                .execute(params![
                    seq,
                    kept,
                    crate::notification::refile(&event, merged, kept)
                ])?;
        }
        tracing::info!(
            "contacts {merged} and {kept} are one person (a message named both): merged under {kept}"
        );
    }
    Ok(())
}

/// The key of the contact one of `ids` belongs to, the first id that is known deciding.
/// A key is an id the contact had (an old number after a change, say): it still finds
/// them, so that a key is never filed twice.
fn find<'a>(
    conn: &Connection,
    ids: impl IntoIterator<Item = &'a Option<String>>,
) -> rusqlite::Result<Option<String>> {
    for id in ids.into_iter().flatten() {
        // A key first (most people are found by it: it is the identifier they first
        // wrote with), then any identifier.
        for sql in [
            "SELECT key FROM contacts WHERE key = ?1",
            "SELECT key FROM contacts WHERE user_id = ?1 OR phone = ?1 OR parent_user_id = ?1 LIMIT 1",
        ] {
            let key = conn
                .prepare_cached(sql)?
                .query_row(params![id], |row| row.get(0))
                .optional()?;
            if key.is_some() {
                return Ok(key);
            }
        }
    }
    Ok(None)
}

/// The identifier of a recipient as contacts store it: digits, or the user id.
fn stored_form(recipient: &Recipient) -> String {
    recipient.to_string()
}

impl Store {
    /// The contact `id` names: its key, phone number (with or without `+`), user id or
    /// parent user id.
    pub(crate) fn contact(&self, id: &str) -> Result<Option<Contact>> {
        let id = match Recipient::parse(id) {
            Ok(recipient) => stored_form(&recipient),
            Err(_) => id.trim().to_string(),
        };
        if let Some(contact) = self.contact_by_key(&id)? {
            return Ok(Some(contact));
        }
        let key = find(self.conn(), [&Some(id)]).context("cannot read the contacts")?;
        match key {
            Some(key) => self.contact_by_key(&key),
            None => Ok(None),
        }
    }

    fn contact_by_key(&self, key: &str) -> Result<Option<Contact>> {
        let Some(mut contact) = self.identifiers_of(key)? else {
            return Ok(None);
        };
        contact.numbers = self.numbers_of(key)?;
        Ok(Some(contact))
    }

    /// A contact without its numbers (what routing a reply needs).
    fn identifiers_of(&self, key: &str) -> Result<Option<Contact>> {
        self.conn()
            .prepare_cached(
                "SELECT key, phone, user_id, parent_user_id, username, name, updated_at
                 FROM contacts WHERE key = ?1",
            )?
            .query_row(params![key], row_to_contact)
            .optional()
            .context("cannot read the contacts")
    }

    fn numbers_of(&self, key: &str) -> Result<Vec<(String, i64)>> {
        let mut query = self.conn().prepare_cached(
            "SELECT phone_number_id, last_inbound FROM contact_numbers WHERE contact = ?1
             ORDER BY phone_number_id",
        )?;
        let numbers = query
            .query_map(params![key], |row| Ok((row.get(0)?, row.get(1)?)))?
            .collect::<rusqlite::Result<_>>()
            .context("cannot read the contacts")?;
        Ok(numbers)
    }

    /// Every contact, the one who wrote last first (then the one changed last).
    pub(crate) fn contacts(&self) -> Result<Vec<Contact>> {
        let mut query = self.conn().prepare_cached(
            "SELECT key, phone, user_id, parent_user_id, username, name, updated_at
             FROM contacts
             ORDER BY (SELECT max(last_inbound) FROM contact_numbers WHERE contact = key) DESC,
                      updated_at DESC, key",
        )?;
        let mut contacts: Vec<Contact> = query
            .query_map([], row_to_contact)?
            .collect::<rusqlite::Result<_>>()
            .context("cannot read the contacts")?;
        for contact in &mut contacts {
            contact.numbers = self.numbers_of(&contact.key)?;
        }
        Ok(contacts)
    }

    /// The key a recipient is queued and acknowledged under: their contact's, or, for a
    /// recipient no notification named yet, the recipient itself (digits or user id).
    pub(crate) fn contact_key(&self, recipient: &Recipient) -> Result<String> {
        let id = stored_form(recipient);
        let key = find(self.conn(), [&Some(id.clone())]).context("cannot read the contacts")?;
        Ok(key.unwrap_or(id))
    }

    /// The business number a message we received came to (its `phone_number_id`).
    pub(crate) fn number_of(&self, wamid: &str) -> Result<Option<String>> {
        let number: Option<Option<String>> = self
            .conn()
            .prepare_cached(
                "SELECT json_extract(event, '$.phone_number_id') FROM inbox
                 WHERE kind = 'message' AND key = ?1",
            )?
            .query_row(params![wamid], |row| row.get(0))
            .optional()
            .context("cannot read the inbox")?;
        Ok(number.flatten())
    }

    /// The business number `key`'s contact last wrote to.
    fn last_number(&self, key: &str) -> Result<Option<String>> {
        let latest: Vec<(String, i64)> = self
            .conn()
            .prepare_cached(
                "SELECT phone_number_id, last_inbound FROM contact_numbers WHERE contact = ?1
                   AND last_inbound = (SELECT max(last_inbound) FROM contact_numbers WHERE contact = ?1)",
            )?
            .query_map(params![key], |row| Ok((row.get(0)?, row.get(1)?)))?
            .collect::<rusqlite::Result<_>>()
            .context("cannot read the contacts")?;
        let at = match latest.as_slice() {
            [] => return Ok(None),
            [(number, _)] => return Ok(Some(number.clone())),
            [(_, at), ..] => *at,
        };
        // WhatsApp's times are in seconds: of numbers written to within the same second,
        // the one of their latest message in the inbox, looked for among the newest events
        // only (the inbox has no index by person, and such a tie is rare and recent).
        let number: Option<Option<String>> = self
            .conn()
            .prepare_cached(
                "SELECT json_extract(event, '$.phone_number_id') FROM inbox
                 WHERE kind = 'message' AND peer = ?1
                   AND seq > (SELECT coalesce(max(seq), 0) FROM inbox) - ?2
                   AND CAST(json_extract(event, '$.timestamp') AS INTEGER) = ?3
                 ORDER BY seq DESC LIMIT 1",
            )?
            .query_row(params![key, TIE_LOOKBACK, at], |row| row.get(0))
            .optional()
            .context("cannot read the inbox")?;
        Ok(number
            .flatten()
            .filter(|n| latest.iter().any(|(tied, _)| tied == n))
            .or_else(|| latest.into_iter().next().map(|(n, _)| n)))
    }

    /// When the contact under `key` last wrote to business number `number`, if that is
    /// known and more than 24 hours ago at `now`: the window is closed.
    pub(crate) fn window_closed(&self, key: &str, number: &str, now: i64) -> Result<Option<i64>> {
        let last: Option<i64> = self
            .conn()
            .prepare_cached(
                "SELECT last_inbound FROM contact_numbers WHERE contact = ?1 AND phone_number_id = ?2",
            )?
            .query_row(params![key, number], |row| row.get(0))
            .optional()
            .context("cannot read the contacts")?;
        Ok(last.filter(|last| now - last > WINDOW_SECONDS))
    }

    /// The queue key of a message, and its body as it is to be sent:
    ///
    /// - addressed to the contact's phone number when the message names them by a user id
    ///   and their phone is known (the phone is the address WhatsApp has long delivered
    ///   to; a user id only reaches people whose number WhatsApp no longer gives);
    /// - sent through the business number of the message it answers (`reply_to`), else
    ///   of the contact's last message, unless it names its own `from`; else through the
    ///   configured number.
    pub(crate) fn route(&self, message: &Outgoing) -> Result<(String, Value)> {
        let id = stored_form(&message.recipient);
        let key = find(self.conn(), [&Some(id.clone())]).context("cannot read the contacts")?;
        let mut body = message.body.clone();
        if body.get(crate::graph::FROM).is_none() {
            let answered = body["context"]["message_id"].as_str().map(str::to_string);
            let number = match answered {
                Some(wamid) => self.number_of(&wamid)?,
                None => None,
            };
            let number = match (number, &key) {
                (Some(number), _) => Some(number),
                (None, Some(key)) => self.last_number(key)?,
                (None, None) => None,
            };
            if let (Some(number), Some(fields)) = (number, body.as_object_mut()) {
                fields.insert(crate::graph::FROM.into(), json!(number));
            }
        }
        let Some(key) = key else {
            return Ok((id, body));
        };
        let Some(contact) = self.identifiers_of(&key)? else {
            return Ok((key, body));
        };
        // A user id when the phone is known, or an identifier the contact no longer has
        // (the old number that is still their key after a change): their address now.
        let current = [&contact.phone, &contact.user_id, &contact.parent_user_id];
        let stale = !current.into_iter().flatten().any(|known| *known == id);
        let by_user_id =
            matches!(message.recipient, Recipient::UserId(_)) && contact.phone.is_some();
        if let (true, Some(address)) = (stale || by_user_id, contact.address())
            && address != message.recipient
            && let Some(fields) = body.as_object_mut()
        {
            fields.shift_remove("to");
            fields.shift_remove("recipient");
            let field = address.graph_field();
            let mut rebuilt = serde_json::Map::new();
            for (name, value) in std::mem::take(fields) {
                // The address where `to` stands in the body, after `recipient_type`.
                rebuilt.insert(name.clone(), value);
                if name == "recipient_type" {
                    rebuilt.insert(field.into(), json!(address.to_graph()));
                }
            }
            if !rebuilt.contains_key(field) {
                rebuilt.insert(field.into(), json!(address.to_graph()));
            }
            *fields = rebuilt;
        }
        Ok((key, body))
    }
}

fn row_to_contact(row: &rusqlite::Row) -> rusqlite::Result<Contact> {
    Ok(Contact {
        key: row.get(0)?,
        phone: row.get(1)?,
        user_id: row.get(2)?,
        parent_user_id: row.get(3)?,
        username: row.get(4)?,
        name: row.get(5)?,
        updated_at: row.get(6)?,
        numbers: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::normalize;

    fn who(phone: Option<&str>, user_id: Option<&str>) -> Who {
        Who {
            phone: phone.map(str::to_string),
            user_id: user_id.map(str::to_string),
            phone_number_id: Some("106540352242922".into()),
            wrote_at: Some(1000),
            ..Who::default()
        }
    }

    fn file_now(store: &mut Store, who: &Who) -> Option<String> {
        let tx = store.conn_mut().transaction().unwrap();
        let key = file(&tx, who, 5).unwrap();
        tx.commit().unwrap();
        key
    }

    #[test]
    fn one_person_filed_twice_is_merged_under_the_first_key() {
        let mut store = Store::open_in_memory().unwrap();
        assert_eq!(
            file_now(&mut store, &who(Some("4915112345678"), None)).as_deref(),
            Some("4915112345678")
        );
        let mut later = who(None, Some("DE.1"));
        later.phone_number_id = Some("220000000000001".into());
        later.wrote_at = Some(2000);
        later.username = Some("dana".into());
        assert_eq!(file_now(&mut store, &later).as_deref(), Some("DE.1"));
        assert_eq!(store.contacts().unwrap().len(), 2);
        // A message names both: one contact, under the key seen first.
        let both = who(Some("4915112345678"), Some("DE.1"));
        assert_eq!(
            file_now(&mut store, &both).as_deref(),
            Some("4915112345678")
        );
        let contacts = store.contacts().unwrap();
        assert_eq!(contacts.len(), 1, "{contacts:?}");
        let contact = &contacts[0];
        assert_eq!(
            (
                contact.key.as_str(),
                contact.phone.as_deref(),
                contact.user_id.as_deref(),
                contact.username.as_deref()
            ),
            (
                "4915112345678",
                Some("4915112345678"),
                Some("DE.1"),
                Some("dana")
            )
        );
        assert_eq!(
            contact.numbers,
            [
                ("106540352242922".to_string(), 1000),
                ("220000000000001".to_string(), 2000)
            ]
        );
        let recipient = crate::message::Recipient::parse("DE.1").unwrap();
        assert_eq!(store.contact_key(&recipient).unwrap(), "4915112345678");
    }

    #[test]
    fn replies_go_through_the_number_written_to_last_within_one_second() {
        let mut store = Store::open_in_memory().unwrap();
        let message = |number: &str, wamid: &str, at: i64| {
            crate::notification::parse(
                json!({"entry": [{"changes": [{"field": "messages", "value": {
                    "metadata": {"phone_number_id": number},
                    "contacts": [{"wa_id": "4915112345678", "profile": {"name": "T"}}],
                    "messages": [{"from": "4915112345678", "id": wamid, "timestamp": at.to_string(),
                                  "type": "text", "text": {"body": "x"}}]}}]}]})
                .to_string()
                .as_bytes(),
            )
            .unwrap()
        };
        let reply = normalize(&json!({"to": "4915112345678", "text": "hi"}), None).unwrap();
        for (i, number) in ["111", "222", "111", "222"].into_iter().enumerate() {
            store
                .insert_items([message(number, &format!("w{i}"), 1000)], &[])
                .unwrap();
            assert_eq!(store.route(&reply).unwrap().1["from"], number);
        }
        // An older message (a late redelivery) does not move it.
        store.insert_items([message("111", "w9", 10)], &[]).unwrap();
        assert_eq!(store.route(&reply).unwrap().1["from"], "222");
    }

    #[test]
    fn people_with_different_user_ids_are_not_merged() {
        let mut store = Store::open_in_memory().unwrap();
        // The number belonged to DE.1, and now to DE.2, who was seen by user id alone.
        file_now(&mut store, &who(Some("4915112345678"), Some("DE.1")));
        file_now(&mut store, &who(None, Some("DE.2")));
        assert_eq!(
            file_now(&mut store, &who(Some("4915112345678"), Some("DE.2"))).as_deref(),
            Some("DE.2")
        );
        assert_eq!(store.contacts().unwrap().len(), 2);
    }

    #[test]
    fn a_person_keeps_their_key_whichever_ids_arrive() {
        let mut store = Store::open_in_memory().unwrap();
        let first = file_now(&mut store, &who(Some("4915112345678"), Some("DE.1")));
        assert_eq!(first.as_deref(), Some("DE.1"));
        // The phone stops coming: the same contact.
        assert_eq!(file_now(&mut store, &who(None, Some("DE.1"))), first);
        // Someone first seen by phone only keeps the phone as key when a user id comes.
        let other = file_now(&mut store, &who(Some("4915100000001"), None));
        assert_eq!(other.as_deref(), Some("4915100000001"));
        assert_eq!(
            file_now(&mut store, &who(Some("4915100000001"), Some("DE.2"))),
            other
        );
        assert_eq!(file_now(&mut store, &who(None, Some("DE.2"))), other);
        let contact = store.contact("DE.2").unwrap().unwrap();
        assert_eq!(contact.phone.as_deref(), Some("4915100000001"));
        assert_eq!(contact.key, "4915100000001");
        assert_eq!(
            store.contact("+49 151 00000001").unwrap().unwrap().key,
            contact.key
        );
        assert_eq!(
            contact.window_left("106540352242922", 1000 + 3600),
            Some(WINDOW_SECONDS - 3600)
        );
        assert_eq!(
            contact.window_left("106540352242922", 1000 + WINDOW_SECONDS + 1),
            Some(0)
        );
        assert_eq!(contact.window_left("other", 0), None);
        // A number change: the new phone, the same key.
        let changed = Who {
            phone: Some("4915100000001".into()),
            new_phone: Some("4915199999999".into()),
            ..Who::default()
        };
        assert_eq!(file_now(&mut store, &changed), other);
        let contact = store.contact("4915199999999").unwrap().unwrap();
        assert_eq!(contact.key, "4915100000001");
        assert_eq!(contact.phone.as_deref(), Some("4915199999999"));
        assert_eq!(store.contact("4915100000001").unwrap(), Some(contact));
    }

    #[test]
    fn replies_to_a_user_id_go_to_the_phone_when_known_and_share_one_queue() {
        let mut store = Store::open_in_memory().unwrap();
        file_now(&mut store, &who(Some("4915112345678"), Some("DE.1")));
        let by_id = normalize(&json!({"to": "DE.1", "text": "hi"}), None).unwrap();
        let (key, body) = store.route(&by_id).unwrap();
        assert_eq!(key, "DE.1");
        assert_eq!(body["to"], "+4915112345678");
        assert!(body.get("recipient").is_none());
        let by_phone = normalize(&json!({"to": "4915112345678", "text": "hi"}), None).unwrap();
        assert_eq!(store.route(&by_phone).unwrap().0, "DE.1");
        // After a number change, a reply to the old number that is still their key (the
        // default recipient of their events) goes to the new one.
        file_now(&mut store, &who(Some("4915100000007"), None));
        let changed = Who {
            phone: Some("4915100000007".into()),
            new_phone: Some("4915199999999".into()),
            ..Who::default()
        };
        file_now(&mut store, &changed);
        let to_old = normalize(&json!({"to": "4915100000007", "text": "hi"}), None).unwrap();
        let (key, body) = store.route(&to_old).unwrap();
        assert_eq!(
            (key.as_str(), &body["to"]),
            ("4915100000007", &json!("+4915199999999"))
        );
        // Someone never seen: their own id, as given.
        let stranger = normalize(&json!({"to": "US.9", "text": "hi"}), None).unwrap();
        let (key, body) = store.route(&stranger).unwrap();
        assert_eq!((key.as_str(), &body["recipient"]), ("US.9", &json!("US.9")));
    }
}
#[cfg(test)]
mod fixture_tests {
    use super::*;

    #[test]
    fn every_fixture_files_its_people() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
        let mut store = Store::open_in_memory().unwrap();
        let mut names: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        // The number change last: messages from the old number after it would be theirs
        // again (the key still finds them).
        names.sort_by_key(|p| (p.ends_with("system_user_changed_number.json"), p.clone()));
        for path in names
            .iter()
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
        {
            let items = crate::notification::parse(&std::fs::read(path).unwrap()).unwrap();
            store
                .insert_items([items], &[])
                .unwrap_or_else(|e| panic!("{}: {e:#}", path.display()));
        }
        let changed = store.contact("4915187654321").unwrap().unwrap();
        assert_eq!(changed.key, "4915112345678");
        let carla = store.contact("DE.1349120865530274191").unwrap().unwrap();
        assert_eq!(carla.username.as_deref(), Some("carla.k"));
        assert_eq!(carla.phone, None);
    }
}
#[cfg(test)]
mod burst_tests {
    use super::*;

    #[test]
    fn many_senders_in_one_batch() {
        let mut store = Store::open_in_memory().unwrap();
        let bodies: Vec<Vec<u8>> = (0..600)
            .map(|i| {
                let from = format!("49152{:08}", i % 200);
                json!({"entry": [{"changes": [{"field": "messages", "value": {
                    "metadata": {"phone_number_id": "1"},
                    "contacts": [{"wa_id": from, "profile": {"name": "T"}}],
                    "messages": [{"from": from, "id": format!("w{i}"), "timestamp": "5", "type": "text", "text": {"body": "x"}}]}}]}]})
                .to_string()
                .into_bytes()
            })
            .collect();
        let items: Vec<Vec<_>> = bodies
            .iter()
            .map(|b| crate::notification::parse(b).unwrap())
            .collect();
        store.insert_items(items, &[]).unwrap();
        assert_eq!(store.contacts().unwrap().len(), 200);
    }
}
