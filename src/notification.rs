//! Webhook notifications: from WhatsApp's nested payload to flat handler events.
//!
//! A notification batches entries × changes × messages/statuses/errors in any mix
//! (WHATSAPP.md §2); [`parse`] yields every one of them, in order, as an [`Item`] that
//! carries the docs/PROTOCOL.md event and the key that de-duplicates redeliveries. This is the
//! one normalization of incoming messages: the tap and the handler both use it. Nothing
//! is dropped: every event keeps WhatsApp's object untouched in `raw`, and types this code
//! does not know pass through with their own name.

use std::collections::HashMap;

use serde::de::{Deserializer as _, IgnoredAny, MapAccess, Visitor};
use serde_json::value::RawValue;
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

/// One thing WhatsApp told us, ready to be stored and handed on.
#[derive(Clone, Debug, PartialEq)]
pub struct Item {
    pub kind: Kind,
    /// What makes a redelivery recognisable: the wamid of a message, wamid and status of
    /// a status, a hash of the content for updates and errors.
    pub key: String,
    /// The sender of a message (its `from`); the recipient of a status.
    pub peer: Option<String>,
    /// The event line of docs/PROTOCOL.md, serialised (one line of JSON).
    pub event: String,
    /// What the store records of a status that has an id and a status.
    pub status: Option<Status>,
}

/// The fields of a `status` event that the store orders statuses by.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Status {
    pub id: String,
    pub status: String,
    pub timestamp: i64,
    /// The status's `biz_opaque_callback_data`, when it is a string.
    pub callback: Option<String>,
}

impl Item {
    /// An item whose event is `event`, serialised; it records no status.
    pub fn new(kind: Kind, key: String, peer: Option<String>, event: &Value) -> Item {
        Item {
            kind,
            key,
            peer,
            event: event.to_string(),
            status: None,
        }
    }

    /// The event parsed back (for tests and checks; `Null` if it were not JSON).
    pub fn event_value(&self) -> Value {
        serde_json::from_str(&self.event).unwrap_or(Value::Null)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Message,
    Status,
    Update,
    Error,
}

impl Kind {
    pub const ALL: [Kind; 4] = [Kind::Message, Kind::Status, Kind::Update, Kind::Error];

    /// The kind named `message`, `status`, `update` or `error`.
    pub fn parse(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == name.trim())
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Message => "message",
            Kind::Status => "status",
            Kind::Update => "update",
            Kind::Error => "error",
        }
    }
}

/// Why a body is not a notification.
#[derive(Debug, thiserror::Error)]
pub enum Malformed {
    #[error("the body is not JSON: {0}")]
    NotJson(#[from] serde_json::Error),
    #[error("the body is JSON but not a webhook notification (it has no `entry` array)")]
    NotNotification,
}

/// Every message, status, error and update in a notification body, in order.
pub fn parse(body: &[u8]) -> Result<Vec<Item>, Malformed> {
    Ok(Notification::parse(body.to_vec())?.items().collect())
}

/// A checked notification body and where its items are in it: each item's event is made
/// only when [`Notification::items`] comes to it, from that item's own text, so that a
/// batch of thousands costs little more than its body until it is stored.
#[derive(Debug)]
pub struct Notification {
    body: String,
    changes: Vec<Change>,
    parts: Vec<Part>,
    /// For a signed body that is not a notification: the `error` event that keeps it.
    unreadable: Option<Item>,
}

/// What the items of one change share.
#[derive(Debug)]
struct Change {
    field: String,
    phone_number_id: Value,
    contacts: Contacts,
}

/// One item: its kind (`Update` for a change of another field), its change, and its text
/// in the body (`start == end`: absent, `null`).
#[derive(Clone, Copy, Debug)]
struct Part {
    kind: Kind,
    change: usize,
    start: usize,
    end: usize,
}

impl Notification {
    /// Checks `body` (the same bodies are refused as by a full parse into a
    /// `serde_json::Value`) and finds its items, without copying them.
    pub fn parse(body: Vec<u8>) -> Result<Notification, Malformed> {
        Notification::read(body).map_err(|(why, _)| why)
    }

    /// Like [`Notification::parse`], but a body that is refused comes back with why.
    pub fn read(body: Vec<u8>) -> Result<Notification, (Malformed, Vec<u8>)> {
        let body = match String::from_utf8(body) {
            Ok(body) => body,
            Err(err) => {
                let why = match serde_json::from_slice::<IgnoredAny>(err.as_bytes()) {
                    Err(err) => Malformed::NotJson(err),
                    // Not valid UTF-8 in a string's bytes; `Value` says so.
                    Ok(_) => match serde_json::from_slice::<Value>(err.as_bytes()) {
                        Err(err) => Malformed::NotJson(err),
                        Ok(_) => Malformed::NotNotification,
                    },
                };
                return Err((why, err.into_bytes()));
            }
        };
        match Notification::locate(&body) {
            Ok((changes, parts)) => Ok(Notification {
                body,
                changes,
                parts,
                unreadable: None,
            }),
            Err(why) => Err((why, body.into_bytes())),
        }
    }

    /// The changes of a notification's text and where its items are.
    fn locate(body: &str) -> Result<(Vec<Change>, Vec<Part>), Malformed> {
        // What skipping over JSON lets pass but a `Value` refuses (too deep, a lone
        // surrogate, a number out of range) is rare: such bodies get the full parse.
        if needs_full_check(body.as_bytes()) {
            serde_json::from_str::<Value>(body)?;
        }
        let (changes, parts) = {
            let top: &RawValue = serde_json::from_str(body)?;
            let [entries] = object(top, ["entry"]);
            let entries = entries.and_then(array).ok_or(Malformed::NotNotification)?;
            let offset = |raw: &RawValue| raw.get().as_ptr() as usize - body.as_ptr() as usize;
            let span = |raw: Option<&RawValue>| match raw {
                Some(raw) => (offset(raw), offset(raw) + raw.get().len()),
                None => (0, 0),
            };
            let (mut changes, mut parts) = (Vec::new(), Vec::new());
            for entry in entries {
                let [list] = object(entry, ["changes"]);
                for change in list.and_then(array).unwrap_or_default() {
                    let [field, value] = object(change, ["field", "value"]);
                    let field = match field.map(value_of) {
                        Some(Value::String(field)) => field,
                        _ => "messages".to_string(),
                    };
                    let index = changes.len();
                    let part = |kind, raw: Option<&RawValue>| {
                        let (start, end) = span(raw);
                        Part {
                            kind,
                            change: index,
                            start,
                            end,
                        }
                    };
                    if field != "messages" {
                        parts.push(part(Kind::Update, value));
                        changes.push(Change {
                            field,
                            phone_number_id: Value::Null,
                            contacts: Contacts::default(),
                        });
                        continue;
                    }
                    let [metadata, contacts, messages, statuses, errors] =
                        value.map_or([None; 5], |value| {
                            object(
                                value,
                                ["metadata", "contacts", "messages", "statuses", "errors"],
                            )
                        });
                    let phone_number_id = metadata
                        .map(value_of)
                        .and_then(|m| m.get("phone_number_id").cloned())
                        .unwrap_or(Value::Null);
                    let contacts = Contacts::new(contacts.and_then(array).unwrap_or_default());
                    for (kind, list) in [
                        (Kind::Message, messages),
                        (Kind::Status, statuses),
                        (Kind::Error, errors),
                    ] {
                        for raw in list.and_then(array).unwrap_or_default() {
                            parts.push(part(kind, Some(raw)));
                        }
                    }
                    changes.push(Change {
                        field,
                        phone_number_id,
                        contacts,
                    });
                }
            }
            (changes, parts)
        };
        Ok((changes, parts))
    }

    /// A signed body that cannot be read as a notification, kept as one `error` event
    /// (its text, and why): it came from WhatsApp or the holder of the app secret, and
    /// answering it 400 would make WhatsApp send it again for days.
    pub fn unreadable(body: &[u8], why: &Malformed) -> Notification {
        let text = String::from_utf8_lossy(body);
        let event = json!({"event": "error", "error": format!("a signed notification that cannot be read: {why}"),
                           "body": text});
        let key = content_hash("unreadable", &Value::String(text.into_owned()));
        Notification {
            body: String::new(),
            changes: Vec::new(),
            parts: Vec::new(),
            unreadable: Some(Item::new(Kind::Error, key, None, &event)),
        }
    }

    /// How many items it holds.
    pub fn len(&self) -> usize {
        self.parts.len() + usize::from(self.unreadable.is_some())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether it holds statuses (of which some may turn out unusable).
    pub fn has_statuses(&self) -> bool {
        self.parts.iter().any(|p| p.kind == Kind::Status)
    }

    /// Whether it holds changes of the template webhooks (see `templates::WEBHOOK_FIELDS`).
    pub fn has_template_updates(&self) -> bool {
        self.parts.iter().any(|p| {
            p.kind == Kind::Update
                && crate::templates::WEBHOOK_FIELDS.contains(&self.changes[p.change].field.as_str())
        })
    }

    /// Its items, in order, each made when it is reached.
    pub fn items(&self) -> impl Iterator<Item = Item> + '_ {
        let parts = self.parts.iter().map(|part| self.item(part));
        parts.chain(self.unreadable.clone())
    }

    fn item(&self, part: &Part) -> Item {
        let change = &self.changes[part.change];
        let raw = match part.start == part.end {
            true => "null",
            false => &self.body[part.start..part.end],
        };
        let value = value_of_str(raw);
        let phone_number_id = &change.phone_number_id;
        match part.kind {
            Kind::Update => Item {
                kind: Kind::Update,
                key: content_hash(&change.field, &value),
                peer: None,
                event: with_raw(
                    json!({ "event": "update", "field": change.field }),
                    "value",
                    raw,
                ),
                status: None,
            },
            Kind::Message => {
                let Some(id) = wamid(&value) else {
                    return unusable("message", &value, raw, phone_number_id);
                };
                let contact = change.contacts.find(&value);
                let event = message_event(&value, contact, phone_number_id);
                Item {
                    kind: Kind::Message,
                    key: id.to_string(),
                    peer: event["from"].as_str().map(str::to_string),
                    event: with_raw(event, "raw", raw),
                    status: None,
                }
            }
            Kind::Status => {
                let Some(id) = wamid(&value) else {
                    return unusable("status", &value, raw, phone_number_id);
                };
                let event = status_event(&value);
                let key = format!("{id}|{}", event["status"].as_str().unwrap_or_default());
                let status = event["status"].as_str().map(|status| Status {
                    id: id.to_string(),
                    status: status.to_string(),
                    timestamp: event["timestamp"].as_i64().unwrap_or_default(),
                    callback: value
                        .get("biz_opaque_callback_data")
                        .and_then(Value::as_str)
                        .map(str::to_string),
                });
                Item {
                    kind: Kind::Status,
                    key,
                    peer: event["to"].as_str().map(str::to_string),
                    event: with_raw(event, "raw", raw),
                    status,
                }
            }
            Kind::Error => Item {
                kind: Kind::Error,
                key: content_hash("error", &value),
                peer: None,
                event: with_raw(error_event(&value, phone_number_id), "raw", raw),
                status: None,
            },
        }
    }
}

/// The contacts of a change, found by `wa_id` or `user_id` without a search through all.
#[derive(Debug, Default)]
struct Contacts {
    list: Vec<Contact>,
    /// The first contact with each string `wa_id` ...
    by_wa_id: HashMap<String, usize>,
    /// ... and with each string `user_id`.
    by_user_id: HashMap<String, usize>,
}

#[derive(Debug)]
struct Contact {
    wa_id: Option<Value>,
    user_id: Option<Value>,
    name: Option<Value>,
}

impl Contacts {
    fn new(raw: Vec<&RawValue>) -> Contacts {
        let mut contacts = Contacts::default();
        for (index, raw) in raw.into_iter().enumerate() {
            let contact = value_of(raw);
            let contact = Contact {
                wa_id: contact.get("wa_id").cloned(),
                user_id: contact.get("user_id").cloned(),
                name: contact.pointer("/profile/name").cloned(),
            };
            if let Some(Value::String(id)) = &contact.wa_id {
                contacts.by_wa_id.entry(id.clone()).or_insert(index);
            }
            if let Some(Value::String(id)) = &contact.user_id {
                contacts.by_user_id.entry(id.clone()).or_insert(index);
            }
            contacts.list.push(contact);
        }
        contacts
    }

    /// The first contact whose `wa_id` is the message's `from` or whose `user_id` is its
    /// `from_user_id`; else the only one.
    fn find(&self, message: &Value) -> Option<&Contact> {
        let first = |wanted: Option<&Value>,
                     index: &HashMap<String, usize>,
                     field: fn(&Contact) -> Option<&Value>| {
            match wanted? {
                Value::String(id) => index.get(id).copied(),
                wanted => self.list.iter().position(|c| field(c) == Some(wanted)),
            }
        };
        let by_wa_id = first(message.get("from"), &self.by_wa_id, |c| c.wa_id.as_ref());
        let by_user_id = first(message.get("from_user_id"), &self.by_user_id, |c| {
            c.user_id.as_ref()
        });
        let index = match (by_wa_id, by_user_id) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        match (index, self.list.as_slice()) {
            (Some(index), _) => self.list.get(index),
            (None, [only]) => Some(only),
            _ => None,
        }
    }
}

/// A piece of a checked body as a `Value` (`Null` cannot happen: the body passed).
fn value_of(raw: &RawValue) -> Value {
    value_of_str(raw.get())
}

fn value_of_str(raw: &str) -> Value {
    serde_json::from_str(raw).unwrap_or(Value::Null)
}

/// The elements of a JSON array, not parsed; `None` if it is not an array.
fn array(raw: &RawValue) -> Option<Vec<&RawValue>> {
    match raw.get().as_bytes().first() {
        Some(b'[') => serde_json::from_str(raw.get()).ok(),
        _ => None,
    }
}

/// The values of `names` in a JSON object, not parsed (of a name given twice, the last,
/// as `Value` keeps it); all `None` if it is not an object.
fn object<'a, const N: usize>(raw: &'a RawValue, names: [&str; N]) -> [Option<&'a RawValue>; N] {
    struct Fields<'n, const N: usize>([&'n str; N]);
    impl<'de, const N: usize> Visitor<'de> for Fields<'_, N> {
        type Value = [Option<&'de RawValue>; N];
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a JSON object")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut found = [None; N];
            while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                match self.0.iter().position(|name| *name == key) {
                    Some(i) => found[i] = Some(map.next_value::<&'de RawValue>()?),
                    None => {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
            }
            Ok(found)
        }
    }
    if raw.get().as_bytes().first() != Some(&b'{') {
        return [None; N];
    }
    serde_json::Deserializer::from_str(raw.get())
        .deserialize_map(Fields(names))
        .unwrap_or([None; N])
}

/// Whether a body may hold what a `Value` refuses although it is well-formed for
/// skipping over: nesting deeper than 100, a `\uD800`-`\uDFFF` escape, an exponent or
/// more than 300 digits in a row.
fn needs_full_check(body: &[u8]) -> bool {
    let (mut depth, mut digits, mut in_string, mut escaped) = (0usize, 0usize, false, false);
    let mut previous = b' ';
    for (i, &byte) in body.iter().enumerate() {
        if in_string {
            if escaped {
                escaped = false;
                if byte == b'u' && matches!(body.get(i + 1), Some(b'd' | b'D')) {
                    return true;
                }
            } else if byte == b'\\' {
                escaped = true;
            } else if byte == b'"' {
                in_string = false;
            }
            continue;
        }
        match byte {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > 100 {
                    return true;
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            b'e' | b'E' if previous.is_ascii_digit() || previous == b'.' => return true,
            _ => {}
        }
        digits = if byte.is_ascii_digit() { digits + 1 } else { 0 };
        if digits > 300 {
            return true;
        }
        previous = byte;
    }
    false
}

/// `head` serialised with `raw` (an item's text as WhatsApp sent it, whitespace outside
/// strings taken out so that the event stays one line) as its last field `name`.
fn with_raw(head: Value, name: &str, raw: &str) -> String {
    let mut event = head.to_string();
    event.pop(); // `}`: the head is an object with at least its `event`.
    event.reserve(name.len() + raw.len() + 5);
    event.push_str(",\"");
    event.push_str(name);
    event.push_str("\":");
    let (mut in_string, mut escaped) = (false, false);
    let mut from = 0;
    for (i, byte) in raw.bytes().enumerate() {
        if in_string {
            match byte {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
        } else if byte == b'"' {
            in_string = true;
        } else if matches!(byte, b' ' | b'\t' | b'\n' | b'\r') {
            event.push_str(&raw[from..i]);
            from = i + 1;
        }
    }
    event.push_str(&raw[from..]);
    event.push('}');
    event
}

/// The id of a message or status: a string that is not empty. Without one, an item can be
/// neither answered, acknowledged nor told from a redelivery.
fn wamid(item: &Value) -> Option<&str> {
    item.get("id")
        .and_then(Value::as_str)
        .filter(|id| !id.trim().is_empty())
}

/// A message or status that is not an object, or has no id: logged, and kept as an `error`
/// event (under a hash of its content, so that distinct ones stay distinct and a
/// redelivery is still recognised) instead of being handed over as what it claims to be.
fn unusable(what: &str, item: &Value, raw: &str, phone_number_id: &Value) -> Item {
    let why = if item.is_object() {
        format!("WhatsApp sent a {what} without an id")
    } else {
        format!("WhatsApp sent a {what} that is not an object")
    };
    tracing::warn!("{why}: keeping it as an error event");
    Item {
        kind: Kind::Error,
        key: content_hash(&format!("unusable {what}"), item),
        peer: None,
        event: with_raw(
            json!({ "event": "error", "error": why, "phone_number_id": phone_number_id }),
            "raw",
            raw,
        ),
        status: None,
    }
}

/// docs/PROTOCOL.md's `message` event, but its `raw`.
fn message_event(message: &Value, contact: Option<&Contact>, phone_number_id: &Value) -> Value {
    let from = message
        .get("from")
        .or_else(|| message.get("from_user_id"))
        .cloned()
        .unwrap_or(Value::Null);
    let user_id = message.get("from_user_id").cloned();
    let kind = message
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or("unknown");
    let body = message.get(kind).unwrap_or(&Value::Null);
    let context = message.get("context").unwrap_or(&Value::Null);

    let mut event = Map::new();
    event.insert("event".into(), json!("message"));
    event.insert(
        "id".into(),
        message.get("id").cloned().unwrap_or(Value::Null),
    );
    event.insert("from".into(), from);
    let user_id = user_id.or_else(|| contact.and_then(|c| c.user_id.clone()));
    if let Some(user_id) = user_id {
        event.insert("user_id".into(), user_id);
    }
    if let Some(name) = contact.and_then(|c| c.name.as_ref()) {
        event.insert("name".into(), name.clone());
    }
    event.insert("timestamp".into(), json!(seconds(message.get("timestamp"))));
    event.insert("phone_number_id".into(), phone_number_id.clone());
    event.insert("type".into(), json!(kind));
    if let Some(text) = human_text(kind, body) {
        event.insert("text".into(), json!(text));
    }
    event.insert(
        "reply_to".into(),
        context.get("id").cloned().unwrap_or(Value::Null),
    );
    if context["forwarded"] == true || context["frequently_forwarded"] == true {
        event.insert("forwarded".into(), json!(true));
    }
    match kind {
        "image" | "audio" | "video" | "document" | "sticker" => {
            let mut media = Map::new();
            for field in [
                "id",
                "mime_type",
                "sha256",
                "caption",
                "filename",
                "voice",
                "animated",
            ] {
                if let Some(value) = body.get(field) {
                    media.insert(field.into(), value.clone());
                }
            }
            event.insert("media".into(), Value::Object(media));
        }
        "location" => {
            let mut location = Map::new();
            for field in ["latitude", "longitude", "name", "address"] {
                if let Some(value) = body.get(field) {
                    location.insert(field.into(), value.clone());
                }
            }
            event.insert("location".into(), Value::Object(location));
        }
        "interactive" | "button" => {
            if let Some(action) = action(kind, body) {
                event.insert("action".into(), action);
            }
        }
        "reaction" => {
            let emoji = body.get("emoji").cloned().unwrap_or(json!(""));
            event.insert(
                "reaction".into(),
                json!({ "message_id": body.get("message_id"), "emoji": emoji }),
            );
        }
        "contacts" | "system" | "order" => {
            event.insert(kind.into(), body.clone());
        }
        _ => {}
    }
    if let Some(referral) = message.get("referral") {
        event.insert("referral".into(), referral.clone());
    }
    Value::Object(event)
}

/// The human-readable content of a message, whatever its type.
fn human_text(kind: &str, body: &Value) -> Option<String> {
    let text = match kind {
        "text" => body.get("body"),
        "image" | "video" | "document" => body.get("caption"),
        "interactive" => {
            let sub = body.get("type").and_then(Value::as_str).unwrap_or_default();
            match sub {
                "nfm_reply" => body.pointer("/nfm_reply/body"),
                other => body.get(other).and_then(|reply| reply.get("title")),
            }
        }
        "button" => body.get("text"),
        "reaction" => body.get("emoji"),
        "location" => body.get("name"),
        "order" => body.get("text"),
        "system" => body.get("body"),
        _ => None,
    };
    text.and_then(Value::as_str)
        .filter(|t| !t.is_empty())
        .map(str::to_string)
}

/// What the user chose: a button, a list row, a template quick reply or a flow's answer.
fn action(kind: &str, body: &Value) -> Option<Value> {
    if kind == "button" {
        return Some(json!({ "id": body.get("payload"), "title": body.get("text") }));
    }
    let sub = body.get("type").and_then(Value::as_str)?;
    let reply = body.get(sub)?;
    if sub == "nfm_reply" {
        let response = reply.get("response_json").cloned().unwrap_or(Value::Null);
        // WhatsApp sends the flow's answer as a JSON string inside the JSON.
        let response = match &response {
            Value::String(s) => serde_json::from_str(s).unwrap_or(response),
            _ => response,
        };
        return Some(json!({ "id": "flow", "response": response }));
    }
    let mut action = Map::new();
    for field in ["id", "title", "description"] {
        if let Some(value) = reply.get(field) {
            action.insert(field.into(), value.clone());
        }
    }
    Some(Value::Object(action))
}

/// docs/PROTOCOL.md's `status` event, but its `raw`.
fn status_event(status: &Value) -> Value {
    let to = status
        .get("recipient_id")
        .or_else(|| status.get("recipient_user_id"));
    json!({
        "event": "status",
        "id": status.get("id"),
        "to": to,
        "status": status.get("status"),
        "timestamp": seconds(status.get("timestamp")),
        "errors": status.get("errors").cloned().unwrap_or(json!([])),
    })
}

/// An `error` event for an error WhatsApp reported in a notification (`value.errors`), but
/// its `raw`.
fn error_event(error: &Value, phone_number_id: &Value) -> Value {
    let title = error
        .get("message")
        .or_else(|| error.get("title"))
        .and_then(Value::as_str)
        .unwrap_or("error");
    let text = match error.pointer("/error_data/details").and_then(Value::as_str) {
        Some(details) if details != title => format!("{title}: {details}"),
        _ => title.to_string(),
    };
    json!({ "event": "error", "error": text, "code": error.get("code"), "phone_number_id": phone_number_id })
}

/// WhatsApp's timestamps are strings of seconds; events carry integers.
fn seconds(timestamp: Option<&Value>) -> i64 {
    match timestamp {
        Some(Value::String(s)) => s.trim().parse().unwrap_or(0),
        Some(Value::Number(n)) => n.as_i64().unwrap_or(0),
        _ => 0,
    }
}

fn content_hash(kind: &str, value: &Value) -> String {
    let digest = Sha256::new()
        .chain_update(kind.as_bytes())
        .chain_update(value.to_string().as_bytes())
        .finalize();
    hex::encode(digest)
}

#[cfg(test)]
mod before;

#[cfg(test)]
mod tests {
    use super::*;

    /// The same items as the parser before, the same events field for field and in the
    /// same order, and the same status fields for the store.
    fn same_as_before(name: &str, body: &[u8]) {
        let old = before::parse(body).unwrap();
        let new = parse(body).unwrap();
        assert_eq!(old.len(), new.len(), "{name}");
        for (old, new) in old.iter().zip(&new) {
            assert_eq!(
                (old.kind, &old.key, &old.peer),
                (new.kind, &new.key, &new.peer),
                "{name}"
            );
            assert!(!new.event.contains('\n'), "{name}: one line");
            assert_eq!(
                old.event.to_string(),
                new.event_value().to_string(),
                "{name}"
            );
            let e = &old.event;
            let status = (old.kind == Kind::Status && e["status"].is_string()).then(|| Status {
                id: e["id"].as_str().unwrap().to_string(),
                status: e["status"].as_str().unwrap().to_string(),
                timestamp: e["timestamp"].as_i64().unwrap(),
                callback: e["raw"]["biz_opaque_callback_data"]
                    .as_str()
                    .map(str::to_string),
            });
            assert_eq!(status, new.status, "{name}");
        }
    }

    #[test]
    fn every_fixture_gives_the_events_it_gave_before() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
        let mut seen = 0;
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "json") {
                same_as_before(&path.display().to_string(), &std::fs::read(&path).unwrap());
                seen += 1;
            }
        }
        assert!(seen > 20, "the fixtures are there");
    }

    #[test]
    fn odd_bodies_give_the_events_they_gave_before() {
        let odd = [
            // Contacts matched by wa_id or user_id, the first of several, or the only one.
            r#"{"entry":[{"changes":[{"value":{"metadata":{"phone_number_id":7},
                "contacts":[{"wa_id":"2","profile":{"name":"Two"}},{"user_id":"u1","wa_id":"9"},{"wa_id":"2","profile":{"name":"Again"}},{"wa_id":3,"profile":{"name":"Number"}}],
                "messages":[{"from":"2","id":"a","type":"text","text":{"body":"x"}},{"from":"8","from_user_id":"u1","id":"b","type":"reaction","reaction":{"emoji":"x","message_id":"a"}},
                            {"from":3,"id":"c","type":"image","image":{"id":"m","caption":"c"}},{"from":"nobody","id":"d","type":"location","location":{"latitude":1.5e0}}]}}]}]}"#,
            r#"{"entry":[{"changes":[{"field":"messages","value":{"contacts":[{"wa_id":"1"}],"messages":[{"from":"5","id":"a","timestamp":17,"type":"future","future":{}}]}}]}]}"#,
            // Pretty-printed, escaped, duplicated keys, odd items and other fields.
            "{\"entry\" : [ {\"changes\": [ {\"field\": \"messages\", \"value\": {\"statuses\": [ {\"id\": \"s\",\n \"status\": \"read\", \"timestamp\": \" 5 \", \"recipient_id\": \"1\", \"biz_opaque_callback_data\": \"cb\"},\n {\"id\":\"t\",\"status\":1}, null, {\"status\": \"sent\"} ],\n \"messages\": [ 1, {\"id\": \"\\u00e9\\n\", \"from\": \"x\", \"from\": \"y\", \"type\": \"text\", \"text\": {\"body\": \"a b\\\"  c\"}} ],\n \"errors\": [ {\"code\": 1, \"title\": \"t\", \"error_data\": {\"details\": \"d\"}} ] } },\n {\"field\": \"account_update\", \"value\": { \"a\" : [1, 2] }}, {\"field\": \"other\"}, {\"value\": 5}, 7 ] }, {\"changes\": {}} ], \"entry\": [{\"changes\":[{\"field\":\"x\",\"value\":null}]}] }",
        ];
        for (i, body) in odd.iter().enumerate() {
            same_as_before(&format!("odd body {i}"), body.as_bytes());
        }
    }

    #[test]
    fn what_a_value_refuses_is_refused() {
        let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
        let surrogate = r#"{"entry":[{"changes":[{"value":{"messages":[{"id":"\ud800"}]}}]}]}"#;
        let huge = r#"{"entry":[{"changes":[{"value":{"messages":[{"id":"a","n":1e999}]}}]}]}"#;
        let latin1 = b"{\"entry\":[{\"changes\":[],\"x\":\"\xe9\"}]}";
        for body in [
            deep.as_bytes(),
            surrogate.as_bytes(),
            huge.as_bytes(),
            latin1,
        ] {
            assert!(before::parse(body).is_err());
            assert!(matches!(parse(body), Err(Malformed::NotJson(_))));
        }
        assert!(matches!(parse(b"[1]"), Err(Malformed::NotNotification)));
        assert!(matches!(
            parse(br#"{"entry":{}}"#),
            Err(Malformed::NotNotification)
        ));
    }

    fn one_message(text: &str) -> Value {
        let items = parse(text.as_bytes()).unwrap();
        assert_eq!(items.len(), 1);
        items[0].event_value()
    }

    #[test]
    fn a_text_message_becomes_a_flat_event() {
        let event = one_message(
            r#"{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{
            "metadata":{"display_phone_number":"1555","phone_number_id":"106540352242922"},
            "contacts":[{"profile":{"name":"Alice"},"wa_id":"4915112345678"}],
            "messages":[{"from":"4915112345678","id":"wamid.A","timestamp":"1732612345","type":"text","text":{"body":"Hi"}}]}}]}]}"#,
        );
        assert_eq!(
            event,
            json!({"event":"message","id":"wamid.A","from":"4915112345678","name":"Alice","timestamp":1732612345,
                "phone_number_id":"106540352242922","type":"text","text":"Hi","reply_to":null,
                "raw":{"from":"4915112345678","id":"wamid.A","timestamp":"1732612345","type":"text","text":{"body":"Hi"}}})
        );
    }

    #[test]
    fn bodies_that_are_not_notifications_are_malformed() {
        assert!(matches!(parse(b"{not json"), Err(Malformed::NotJson(_))));
        assert!(matches!(
            parse(br#"{"hello":"world"}"#),
            Err(Malformed::NotNotification)
        ));
        assert_eq!(
            parse(br#"{"object":"whatsapp_business_account","entry":[]}"#).unwrap(),
            vec![]
        );
    }

    fn notification(value: Value) -> Vec<u8> {
        json!({"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [{"field": "messages", "value": value}]}]})
            .to_string()
            .into_bytes()
    }

    #[test]
    fn items_that_are_not_objects_or_have_no_id_become_distinct_error_events() {
        let body = notification(json!({
            "metadata": {"phone_number_id": "106540352242922"},
            "messages": [1, "x", {"from": "4915112345678", "type": "text", "text": {"body": "no id"}},
                         {"id": "", "from": "4915112345678"}, {"id": 7},
                         {"from": "4915112345678", "id": "wamid.OK", "type": "text", "text": {"body": "fine"}}],
            "statuses": [{"status": "sent", "recipient_id": "1"}, {"status": "sent", "recipient_id": "2"},
                         null, {"id": "wamid.S", "status": "sent", "recipient_id": "1"}]
        }));
        let items = parse(&body).unwrap();
        let kinds: Vec<Kind> = items.iter().map(|i| i.kind).collect();
        use Kind::{Error as E, Message as M, Status as S};
        assert_eq!(kinds, [E, E, E, E, E, M, E, E, E, S]);
        assert_eq!(items[5].key, "wamid.OK");
        assert_eq!(items[9].key, "wamid.S|sent");
        let errors: Vec<&Item> = items.iter().filter(|i| i.kind == E).collect();
        let keys: std::collections::HashSet<&str> = errors.iter().map(|i| i.key.as_str()).collect();
        assert_eq!(
            keys.len(),
            errors.len(),
            "no two de-duplicate into each other"
        );
        assert_eq!(
            errors[0].event_value()["error"],
            "WhatsApp sent a message that is not an object"
        );
        assert_eq!(errors[0].event_value()["raw"], 1);
        assert_eq!(
            errors[2].event_value()["error"],
            "WhatsApp sent a message without an id"
        );
        assert_eq!(
            errors[5].event_value()["error"],
            "WhatsApp sent a status without an id"
        );
        assert_eq!(
            errors[5].event_value()["phone_number_id"],
            "106540352242922"
        );
        assert!(
            errors
                .iter()
                .all(|i| i.peer.is_none() && i.event_value()["event"] == "error")
        );
        // The same item delivered again has the same key.
        assert_eq!(parse(&body).unwrap()[6].key, items[6].key);
    }

    #[test]
    fn flow_replies_parse_their_inner_json() {
        let body = json!({"type": "nfm_reply", "nfm_reply": {"name": "flow", "body": "Sent", "response_json": "{\"rating\":\"5\"}"}});
        assert_eq!(
            action("interactive", &body),
            Some(json!({"id": "flow", "response": {"rating": "5"}}))
        );
    }
}
