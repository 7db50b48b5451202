//! The parser as it was before notifications were parsed lazily (commit 79b0d04), kept
//! only as the oracle that the events stay the same.

use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use super::{Kind, Malformed};

#[derive(Clone, Debug, PartialEq)]
pub(super) struct Item {
    pub kind: Kind,
    pub key: String,
    pub peer: Option<String>,
    pub event: Value,
}

/// Every message, status, error and update in a notification body, in order.
pub(super) fn parse(body: &[u8]) -> Result<Vec<Item>, Malformed> {
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
fn message_event(message: &Value, contacts: &[Value], phone_number_id: &Value) -> Value {
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
