//! Webhook notifications: from WhatsApp's nested payload to flat handler events.
//!
//! A notification batches entries × changes × messages/statuses/errors in any mix
//! (WHATSAPP.md §2); [`parse`] yields every one of them, in order, as an [`Item`] that
//! carries the docs/PROTOCOL.md event and the key that de-duplicates redeliveries. This is the
//! one normalization of incoming messages: the tap and the handler both use it. Nothing
//! is dropped: every event keeps WhatsApp's object untouched in `raw`, and types this code
//! does not know pass through with their own name.

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
    /// The event line of docs/PROTOCOL.md.
    pub event: Value,
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
    let payload: Value = serde_json::from_slice(body)?;
    let entries = payload
        .get("entry")
        .and_then(Value::as_array)
        .ok_or(Malformed::NotNotification)?;
    let mut items = Vec::new();
    for entry in entries {
        for change in entry
            .get("changes")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let field = change
                .get("field")
                .and_then(Value::as_str)
                .unwrap_or("messages");
            let value = change.get("value").unwrap_or(&Value::Null);
            if field == "messages" {
                messages_change(value, &mut items);
            } else {
                items.push(Item {
                    kind: Kind::Update,
                    key: content_hash(field, value),
                    peer: None,
                    event: json!({ "event": "update", "field": field, "value": value }),
                });
            }
        }
    }
    Ok(items)
}

fn messages_change(value: &Value, items: &mut Vec<Item>) {
    let phone_number_id = value
        .pointer("/metadata/phone_number_id")
        .cloned()
        .unwrap_or(Value::Null);
    let contacts = value
        .get("contacts")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    for message in value
        .get("messages")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let Some(id) = wamid(message) else {
            items.push(unusable("message", message, &phone_number_id));
            continue;
        };
        let event = message_event(message, contacts, &phone_number_id);
        let peer = event["from"].as_str().map(str::to_string);
        items.push(Item {
            kind: Kind::Message,
            key: id.to_string(),
            peer,
            event,
        });
    }
    for status in value
        .get("statuses")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let Some(id) = wamid(status) else {
            items.push(unusable("status", status, &phone_number_id));
            continue;
        };
        let event = status_event(status);
        let key = format!("{id}|{}", event["status"].as_str().unwrap_or_default());
        let peer = event["to"].as_str().map(str::to_string);
        items.push(Item {
            kind: Kind::Status,
            key,
            peer,
            event,
        });
    }
    for error in value
        .get("errors")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        items.push(Item {
            kind: Kind::Error,
            key: content_hash("error", error),
            peer: None,
            event: error_event(error, &phone_number_id),
        });
    }
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
fn unusable(what: &str, item: &Value, phone_number_id: &Value) -> Item {
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
        event: json!({ "event": "error", "error": why, "phone_number_id": phone_number_id, "raw": item }),
    }
}

/// docs/PROTOCOL.md's `message` event.
pub fn message_event(message: &Value, contacts: &[Value], phone_number_id: &Value) -> Value {
    let from = message
        .get("from")
        .or_else(|| message.get("from_user_id"))
        .cloned()
        .unwrap_or(Value::Null);
    let user_id = message.get("from_user_id").cloned();
    let contact = contacts
        .iter()
        .find(|c| {
            (c.get("wa_id").is_some() && c.get("wa_id") == message.get("from"))
                || (c.get("user_id").is_some() && c.get("user_id") == message.get("from_user_id"))
        })
        .or(match contacts {
            [only] => Some(only),
            _ => None,
        });
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
    let user_id = user_id.or_else(|| contact.and_then(|c| c.get("user_id")).cloned());
    if let Some(user_id) = user_id {
        event.insert("user_id".into(), user_id);
    }
    if let Some(name) = contact.and_then(|c| c.pointer("/profile/name")) {
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
    event.insert("raw".into(), message.clone());
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

/// docs/PROTOCOL.md's `status` event.
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
        "raw": status,
    })
}

/// An `error` event for an error WhatsApp reported in a notification (`value.errors`).
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
    json!({ "event": "error", "error": text, "code": error.get("code"), "phone_number_id": phone_number_id, "raw": error })
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
mod tests {
    use super::*;

    fn one_message(text: &str) -> Value {
        let items = parse(text.as_bytes()).unwrap();
        assert_eq!(items.len(), 1);
        items[0].event.clone()
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
            errors[0].event["error"],
            "WhatsApp sent a message that is not an object"
        );
        assert_eq!(errors[0].event["raw"], 1);
        assert_eq!(
            errors[2].event["error"],
            "WhatsApp sent a message without an id"
        );
        assert_eq!(
            errors[5].event["error"],
            "WhatsApp sent a status without an id"
        );
        assert_eq!(errors[5].event["phone_number_id"], "106540352242922");
        assert!(
            errors
                .iter()
                .all(|i| i.peer.is_none() && i.event["event"] == "error")
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
