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
    /// The contact key of the sender of a message or the recipient of a status (the
    /// event's `contact`); the store may file it under the key it knew the person by.
    pub(crate) peer: Option<String>,
    /// The event line of docs/PROTOCOL.md, serialised (one line of JSON).
    pub(crate) event: String,
    /// What the store records of a status that has an id and a status.
    pub(crate) status: Option<Status>,
    /// Who a message or status is about, for the store's contacts.
    pub(crate) who: Option<Who>,
}

/// The identifiers of a person that a message or a status carried, and what it tells
/// about them: kept in the store's `contacts`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Who {
    /// Digits, without `+`.
    pub phone: Option<String>,
    pub user_id: Option<String>,
    pub parent_user_id: Option<String>,
    pub username: Option<String>,
    pub name: Option<String>,
    /// The business number written to or from.
    pub phone_number_id: Option<String>,
    /// When they wrote to that number (a message other than `system`), in seconds: it
    /// opens the 24-hour customer-service window.
    pub wrote_at: Option<i64>,
    /// A `user_changed_number` system message: their new phone number.
    pub new_phone: Option<String>,
    /// A `user_changed_user_id` system message: their new business-scoped user id.
    pub new_user_id: Option<String>,
}

impl Who {
    fn of(event: &Value) -> Who {
        let text = |field: &str| {
            event[field]
                .as_str()
                .filter(|s| !s.trim().is_empty())
                .map(str::to_string)
        };
        let system = &event["system"];
        let system_text = |field: &str| {
            system[field]
                .as_str()
                .filter(|s| !s.trim().is_empty())
                .map(str::to_string)
        };
        let system_type = system["type"].as_str().unwrap_or_default();
        let is_message = event["event"] == "message";
        Who {
            phone: text("phone"),
            user_id: text("user_id"),
            parent_user_id: text("parent_user_id"),
            username: text("username"),
            name: text("name"),
            phone_number_id: text("phone_number_id"),
            wrote_at: (is_message && event["type"] != "system")
                .then(|| event["timestamp"].as_i64())
                .flatten()
                .filter(|t| *t > 0),
            new_phone: matches!(
                system_type,
                "user_changed_number" | "customer_changed_number"
            )
            .then(|| system_text("wa_id").or_else(|| system_text("new_wa_id")))
            .flatten(),
            new_user_id: (system_type == "user_changed_user_id")
                .then(|| system_text("user_id"))
                .flatten(),
        }
    }
}

/// The fields of a `status` event that the store orders statuses by.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Status {
    pub id: String,
    pub status: String,
    pub timestamp: i64,
    /// The status's `biz_opaque_callback_data`, when it is a string.
    pub callback: Option<String>,
}

impl Item {
    /// An item whose event is `event`, serialised; it records no status.
    pub(crate) fn new(kind: Kind, key: String, peer: Option<String>, event: &Value) -> Item {
        Item {
            kind,
            key,
            peer,
            event: event.to_string(),
            status: None,
            who: None,
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
    pub(crate) const ALL: [Kind; 4] = [Kind::Message, Kind::Status, Kind::Update, Kind::Error];

    /// The kind named `message`, `status`, `update` or `error`.
    pub(crate) fn parse(name: &str) -> Option<Kind> {
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
pub(crate) struct Notification {
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
    display_phone_number: Value,
    contacts: Contacts,
    /// The change value's text without its `contacts`, `messages`, `statuses` and
    /// `errors` and without its closing brace: what the `raw` of each message and status
    /// starts with, so that it is the whole change value cut to that one item.
    head: String,
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
    pub(crate) fn parse(body: Vec<u8>) -> Result<Notification, Malformed> {
        Notification::read(body).map_err(|(why, _)| why)
    }

    /// Like [`Notification::parse`], but a body that is refused comes back with why.
    pub(crate) fn read(body: Vec<u8>) -> Result<Notification, (Malformed, Vec<u8>)> {
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
                            display_phone_number: Value::Null,
                            contacts: Contacts::default(),
                            head: String::new(),
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
                    let metadata = metadata.map(value_of).unwrap_or(Value::Null);
                    let phone_number_id = metadata
                        .get("phone_number_id")
                        .cloned()
                        .unwrap_or(Value::Null);
                    let display_phone_number = metadata
                        .get("display_phone_number")
                        .cloned()
                        .unwrap_or(Value::Null);
                    let contacts =
                        Contacts::new(contacts.and_then(array).unwrap_or_default(), &offset);
                    let head = value.map_or_else(|| "{".to_string(), head_of);
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
                        display_phone_number,
                        contacts,
                        head,
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
    pub(crate) fn unreadable(body: &[u8], why: &Malformed) -> Notification {
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
    pub(crate) fn len(&self) -> usize {
        self.parts.len() + usize::from(self.unreadable.is_some())
    }

    /// Whether it holds statuses (of which some may turn out unusable).
    pub(crate) fn has_statuses(&self) -> bool {
        self.parts.iter().any(|p| p.kind == Kind::Status)
    }

    /// Whether it holds changes of the template webhooks (see `templates::WEBHOOK_FIELDS`).
    pub(crate) fn has_template_updates(&self) -> bool {
        self.parts.iter().any(|p| {
            p.kind == Kind::Update
                && crate::templates::WEBHOOK_FIELDS.contains(&self.changes[p.change].field.as_str())
        })
    }

    /// Its items, in order, each made when it is reached.
    pub(crate) fn items(&self) -> impl Iterator<Item = Item> + '_ {
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
                who: None,
            },
            Kind::Message => {
                let Some(id) = wamid(&value) else {
                    return unusable("message", &value, raw, phone_number_id);
                };
                let contact = change
                    .contacts
                    .find(value.get("from"), value.get("from_user_id"));
                let event = message_event(&value, contact, change);
                let raw = self.whole(change, contact, "messages", raw);
                Item {
                    kind: Kind::Message,
                    key: id.to_string(),
                    peer: event["contact"].as_str().map(str::to_string),
                    who: Some(Who::of(&event)),
                    event: with_raw(event, "raw", &raw),
                    status: None,
                }
            }
            Kind::Status => {
                let Some(id) = wamid(&value) else {
                    return unusable("status", &value, raw, phone_number_id);
                };
                let contact = change
                    .contacts
                    .find(value.get("recipient_id"), value.get("recipient_user_id"));
                let event = status_event(&value, contact, change);
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
                let raw = self.whole(change, contact, "statuses", raw);
                Item {
                    kind: Kind::Status,
                    key,
                    peer: event["contact"].as_str().map(str::to_string),
                    who: Some(Who::of(&event)),
                    event: with_raw(event, "raw", &raw),
                    status,
                }
            }
            Kind::Error => Item {
                kind: Kind::Error,
                key: content_hash("error", &value),
                peer: None,
                event: with_raw(error_event(&value, change), "raw", raw),
                status: None,
                who: None,
            },
        }
    }

    /// The change value of an item cut to that item: everything the value holds but its
    /// lists (`metadata`, `messaging_product`, fields to come), the contact of that item,
    /// and the item alone in its list (`list`). A batch of a thousand messages thus keeps
    /// each message with its own contact, not a thousand copies of the batch.
    fn whole(&self, change: &Change, contact: Option<&Contact>, list: &str, item: &str) -> String {
        let contact = contact.map(|c| &self.body[c.span.0..c.span.1]);
        let mut text = String::with_capacity(
            change.head.len() + item.len() + contact.map_or(0, str::len) + list.len() + 24,
        );
        text.push_str(&change.head);
        let mut field = |name: &str, element: &str| {
            if text.len() > 1 {
                text.push(',');
            }
            text.push('"');
            text.push_str(name);
            text.push_str("\":[");
            text.push_str(element);
            text.push(']');
        };
        if let Some(contact) = contact {
            field("contacts", contact);
        }
        field(list, item);
        text.push('}');
        text
    }
}

/// The text of a change value without its lists and closing brace (`{` and its other
/// fields, as they are), for [`Notification::whole`].
fn head_of(value: &RawValue) -> String {
    let mut head = String::from("{");
    for (name, raw) in fields(value) {
        if matches!(
            name.as_str(),
            "contacts" | "messages" | "statuses" | "errors"
        ) {
            continue;
        }
        if head.len() > 1 {
            head.push(',');
        }
        head.push_str(&Value::String(name).to_string());
        head.push(':');
        head.push_str(raw.get());
    }
    head
}

/// Every field of a JSON object, in order, not parsed; none if it is not an object.
fn fields(raw: &RawValue) -> Vec<(String, &RawValue)> {
    struct Fields;
    impl<'de> Visitor<'de> for Fields {
        type Value = Vec<(String, &'de RawValue)>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a JSON object")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut found = Vec::new();
            while let Some(key) = map.next_key::<String>()? {
                found.push((key, map.next_value::<&'de RawValue>()?));
            }
            Ok(found)
        }
    }
    if raw.get().as_bytes().first() != Some(&b'{') {
        return Vec::new();
    }
    serde_json::Deserializer::from_str(raw.get())
        .deserialize_map(Fields)
        .unwrap_or_default()
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
    parent_user_id: Option<Value>,
    name: Option<Value>,
    username: Option<Value>,
    identity_key_hash: Option<Value>,
    /// Where it is in the body.
    span: (usize, usize),
}

impl Contacts {
    fn new(raw: Vec<&RawValue>, offset: &dyn Fn(&RawValue) -> usize) -> Contacts {
        let mut contacts = Contacts::default();
        for (index, raw) in raw.into_iter().enumerate() {
            let start = offset(raw);
            let span = (start, start + raw.get().len());
            let contact = value_of(raw);
            let contact = Contact {
                wa_id: contact.get("wa_id").cloned(),
                user_id: contact.get("user_id").cloned(),
                parent_user_id: contact.get("parent_user_id").cloned(),
                name: contact.pointer("/profile/name").cloned(),
                username: contact.pointer("/profile/username").cloned(),
                identity_key_hash: contact.get("identity_key_hash").cloned(),
                span,
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

    /// The first contact whose `wa_id` is `wa_id` (a message's `from`, a status's
    /// `recipient_id`) or whose `user_id` is `user_id` (`from_user_id`,
    /// `recipient_user_id`); else the only one.
    fn find(&self, wa_id: Option<&Value>, user_id: Option<&Value>) -> Option<&Contact> {
        let first = |wanted: Option<&Value>,
                     index: &HashMap<String, usize>,
                     field: fn(&Contact) -> Option<&Value>| {
            match wanted? {
                Value::String(id) => index.get(id).copied(),
                wanted => self.list.iter().position(|c| field(c) == Some(wanted)),
            }
        };
        let by_wa_id = first(wa_id, &self.by_wa_id, |c| c.wa_id.as_ref());
        let by_user_id = first(user_id, &self.by_user_id, |c| c.user_id.as_ref());
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
        who: None,
    }
}

/// docs/PROTOCOL.md's `message` event, but its `raw`.
fn message_event(message: &Value, contact: Option<&Contact>, change: &Change) -> Value {
    let from = message
        .get("from")
        .or_else(|| message.get("from_user_id"))
        .cloned()
        .unwrap_or(Value::Null);
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
    // Every identifier that arrived, from the message or its contact.
    let phone = message
        .get("from")
        .filter(|from| from.as_str().is_none_or(|f| !crate::message::is_user_id(f)))
        .or_else(|| contact.and_then(|c| c.wa_id.as_ref()));
    let user_id = message
        .get("from_user_id")
        .or_else(|| contact.and_then(|c| c.user_id.as_ref()));
    let parent_user_id = message
        .get("from_parent_user_id")
        .or_else(|| contact.and_then(|c| c.parent_user_id.as_ref()));
    identities(&mut event, phone, user_id, parent_user_id);
    if let Some(name) = contact.and_then(|c| c.name.as_ref()) {
        event.insert("name".into(), name.clone());
    }
    if let Some(username) = contact.and_then(|c| c.username.as_ref()) {
        event.insert("username".into(), username.clone());
    }
    if let Some(hash) = contact.and_then(|c| c.identity_key_hash.as_ref()) {
        event.insert("identity_key_hash".into(), hash.clone());
    }
    event.insert("timestamp".into(), json!(seconds(message.get("timestamp"))));
    business_number(&mut event, change);
    event.insert("type".into(), json!(kind));
    if let Some(text) = human_text(kind, body) {
        event.insert("text".into(), json!(text));
    } else if kind == "edit" {
        // The edited message, in the shape of a message of its own type.
        let edited = body.get("message").unwrap_or(&Value::Null);
        let inner = edited
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if let Some(text) = human_text(inner, edited.get(inner).unwrap_or(&Value::Null)) {
            event.insert("text".into(), json!(text));
        }
    }
    if matches!(kind, "edit" | "revoke")
        && let Some(original) = body.get("original_message_id")
    {
        event.insert("original_message_id".into(), original.clone());
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
fn status_event(status: &Value, contact: Option<&Contact>, change: &Change) -> Value {
    let to = status
        .get("recipient_id")
        .or_else(|| status.get("recipient_user_id"));
    let mut event = Map::new();
    event.insert("event".into(), json!("status"));
    event.insert(
        "id".into(),
        status.get("id").cloned().unwrap_or(Value::Null),
    );
    event.insert("to".into(), to.cloned().unwrap_or(Value::Null));
    let phone = status
        .get("recipient_id")
        .or_else(|| contact.and_then(|c| c.wa_id.as_ref()));
    let user_id = status
        .get("recipient_user_id")
        .or_else(|| contact.and_then(|c| c.user_id.as_ref()));
    let parent_user_id = status
        .get("parent_recipient_user_id")
        .or_else(|| contact.and_then(|c| c.parent_user_id.as_ref()));
    identities(&mut event, phone, user_id, parent_user_id);
    event.insert(
        "status".into(),
        status.get("status").cloned().unwrap_or(Value::Null),
    );
    event.insert("timestamp".into(), json!(seconds(status.get("timestamp"))));
    business_number(&mut event, change);
    event.insert(
        "errors".into(),
        status.get("errors").cloned().unwrap_or(json!([])),
    );
    for field in ["pricing", "conversation", "biz_opaque_callback_data"] {
        if let Some(value) = status.get(field) {
            event.insert(field.into(), value.clone());
        }
    }
    Value::Object(event)
}

/// `phone`, `user_id`, `parent_user_id` (each when known) and `contact`: the key a person
/// is filed under, the same whichever of their identifiers a notification carries. It is
/// their business-scoped user id when WhatsApp sends one (it stays when the phone number
/// stops coming, as it does for users with a username), else the parent one, else the
/// phone number.
fn identities(
    event: &mut Map<String, Value>,
    phone: Option<&Value>,
    user_id: Option<&Value>,
    parent_user_id: Option<&Value>,
) {
    for (name, value) in [
        ("phone", phone),
        ("user_id", user_id),
        ("parent_user_id", parent_user_id),
    ] {
        if let Some(value) = value {
            event.insert(name.into(), value.clone());
        }
    }
    let contact = [user_id, parent_user_id, phone]
        .into_iter()
        .flatten()
        .find_map(|id| id.as_str().filter(|id| !id.trim().is_empty()));
    if let Some(contact) = contact {
        event.insert("contact".into(), json!(contact));
    }
}

/// `event` (a serialised event line) with its `contact` key `parsed` replaced by `filed`,
/// the key the store knew the person by. The top-level `contact` comes before any field
/// the event copies from WhatsApp, so the first `"contact":` is it.
pub(crate) fn refile(event: &str, parsed: &str, filed: &str) -> String {
    let old = format!("\"contact\":{}", Value::String(parsed.to_string()));
    let new = format!("\"contact\":{}", Value::String(filed.to_string()));
    event.replacen(&old, &new, 1)
}

/// The business number a change came to: `phone_number_id` and `display_phone_number`.
fn business_number(event: &mut Map<String, Value>, change: &Change) {
    event.insert("phone_number_id".into(), change.phone_number_id.clone());
    event.insert(
        "display_phone_number".into(),
        change.display_phone_number.clone(),
    );
}

/// An `error` event for an error WhatsApp reported in a notification (`value.errors`), but
/// its `raw`.
fn error_event(error: &Value, change: &Change) -> Value {
    let title = error
        .get("message")
        .or_else(|| error.get("title"))
        .and_then(Value::as_str)
        .unwrap_or("error");
    let text = match error.pointer("/error_data/details").and_then(Value::as_str) {
        Some(details) if details != title => format!("{title}: {details}"),
        _ => title.to_string(),
    };
    let mut event = Map::new();
    event.insert("event".into(), json!("error"));
    event.insert("error".into(), json!(text));
    event.insert(
        "code".into(),
        error.get("code").cloned().unwrap_or(Value::Null),
    );
    business_number(&mut event, change);
    Value::Object(event)
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
            assert_eq!((old.kind, &old.key), (new.kind, &new.key), "{name}");
            // The peer is now the contact key: the user id before the phone.
            let contact = new.event_value()["contact"].as_str().map(str::to_string);
            match new.kind {
                Kind::Message | Kind::Status => assert_eq!(new.peer, contact, "{name}"),
                _ => assert_eq!(old.peer, new.peer, "{name}"),
            }
            if contact.is_some()
                && contact == new.event_value()["phone"].as_str().map(str::to_string)
            {
                assert_eq!(old.peer, new.peer, "{name}: a phone-only peer is as before");
            }
            assert!(!new.event.contains('\n'), "{name}: one line");
            assert_eq!(
                old.event.to_string(),
                as_before(new.kind, new.event_value()).to_string(),
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

    /// An event without what was added since the oracle (the business number, every
    /// identifier of the person, pricing, ...), with `raw` the item alone again.
    fn as_before(kind: Kind, event: Value) -> Value {
        let Value::Object(mut event) = event else {
            return event;
        };
        let mut added = vec![
            "phone",
            "contact",
            "parent_user_id",
            "username",
            "identity_key_hash",
            "display_phone_number",
            "original_message_id",
            "pricing",
            "conversation",
            "biz_opaque_callback_data",
        ];
        if kind == Kind::Status {
            added.extend(["user_id", "phone_number_id"]);
        }
        for field in added {
            event.shift_remove(field);
        }
        let list = match kind {
            Kind::Message => "messages",
            Kind::Status => "statuses",
            _ => return Value::Object(event),
        };
        let item = event["raw"][list][0].take();
        event.insert("raw".into(), item);
        Value::Object(event)
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
            json!({"event":"message","id":"wamid.A","from":"4915112345678","phone":"4915112345678",
                "contact":"4915112345678","name":"Alice","timestamp":1732612345,
                "phone_number_id":"106540352242922","display_phone_number":"1555","type":"text","text":"Hi","reply_to":null,
                "raw":{"metadata":{"display_phone_number":"1555","phone_number_id":"106540352242922"},
                    "contacts":[{"profile":{"name":"Alice"},"wa_id":"4915112345678"}],
                    "messages":[{"from":"4915112345678","id":"wamid.A","timestamp":"1732612345","type":"text","text":{"body":"Hi"}}]}})
        );
    }

    #[test]
    fn a_username_user_and_a_parent_id_keep_every_identifier() {
        let event = one_message(
            r#"{"entry":[{"changes":[{"field":"messages","value":{"messaging_product":"whatsapp",
            "metadata":{"display_phone_number":"15550783881","phone_number_id":"106540352242922"},
            "contacts":[{"profile":{"name":"Carla","username":"carla.k"},"user_id":"DE.13491","parent_user_id":"DE.ENT.77","identity_key_hash":"h1"}],
            "messages":[{"from_user_id":"DE.13491","id":"wamid.U","timestamp":"5","type":"text","text":{"body":"Hi"}}]}}]}]}"#,
        );
        for (field, value) in [
            ("from", "DE.13491"),
            ("user_id", "DE.13491"),
            ("parent_user_id", "DE.ENT.77"),
            ("username", "carla.k"),
            ("identity_key_hash", "h1"),
            ("contact", "DE.13491"),
            ("display_phone_number", "15550783881"),
        ] {
            assert_eq!(event[field], value, "{field}: {event}");
        }
        assert!(event.get("phone").is_none(), "no phone arrived: {event}");
        assert_eq!(event["raw"]["messaging_product"], "whatsapp");
        assert_eq!(
            event["raw"]["contacts"][0]["profile"]["username"],
            "carla.k"
        );

        // The same person with a phone: the key stays their user id.
        let with_phone = parse(br#"{"entry":[{"changes":[{"value":{"contacts":[{"wa_id":"4915112345678","user_id":"DE.13491"}],
            "messages":[{"from":"4915112345678","from_user_id":"DE.13491","id":"wamid.P","type":"text","text":{"body":"x"}}]}}]}]}"#)
        .unwrap();
        assert_eq!(with_phone[0].peer.as_deref(), Some("DE.13491"));
        let refiled = refile(&with_phone[0].event, "DE.13491", "4915112345678");
        let refiled: Value = serde_json::from_str(&refiled).unwrap();
        assert_eq!(refiled["contact"], "4915112345678");
        assert_eq!(refiled["user_id"], "DE.13491");
        assert_eq!(with_phone[0].event_value()["contact"], "DE.13491");
        assert_eq!(with_phone[0].event_value()["phone"], "4915112345678");
    }

    #[test]
    fn statuses_carry_recipient_pricing_and_callback_data() {
        let items = parse(br#"{"entry":[{"changes":[{"value":{"metadata":{"display_phone_number":"1555","phone_number_id":"9"},
            "statuses":[{"id":"wamid.S","status":"sent","timestamp":"7","recipient_user_id":"US.1","parent_recipient_user_id":"US.ENT.2",
              "biz_opaque_callback_data":"cb","pricing":{"type":"regular","category":"service"}}]}}]}]}"#)
        .unwrap();
        let event = items[0].event_value();
        assert_eq!(event["to"], "US.1");
        assert_eq!(event["user_id"], "US.1");
        assert_eq!(event["parent_user_id"], "US.ENT.2");
        assert_eq!(event["contact"], "US.1");
        assert_eq!(event["phone_number_id"], "9");
        assert_eq!(event["display_phone_number"], "1555");
        assert_eq!(event["biz_opaque_callback_data"], "cb");
        assert_eq!(event["pricing"]["type"], "regular");
        assert_eq!(event["raw"]["statuses"][0]["id"], "wamid.S");
        assert!(event.get("phone").is_none());
    }

    #[test]
    fn edits_and_revokes_name_the_original_message() {
        let edit = one_message(
            r#"{"entry":[{"changes":[{"value":{"messages":[{"from":"1555123","id":"wamid.E","type":"edit",
            "edit":{"original_message_id":"wamid.O","message":{"type":"text","text":{"body":"fixed"}}}}]}}]}]}"#,
        );
        assert_eq!(edit["original_message_id"], "wamid.O");
        assert_eq!(edit["text"], "fixed");
        let revoke = one_message(
            r#"{"entry":[{"changes":[{"value":{"messages":[{"from":"1555123","id":"wamid.R","type":"revoke",
            "revoke":{"original_message_id":"wamid.O"}}]}}]}]}"#,
        );
        assert_eq!(revoke["original_message_id"], "wamid.O");
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
