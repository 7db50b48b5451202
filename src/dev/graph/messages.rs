//! `POST /{version}/{phone-number-id}/messages`: messages, checked roughly as Meta checks
//! them and kept, and read marks.

use std::sync::Arc;
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::{Path as UrlPath, State};
use axum::http::Method;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::answers::{invalid, no_such_object};
use super::statuses::{STATUS_STEP, StatusJob, status_notification};
use super::{Activity, SentMessage, Shared};

/// `POST /{version}/{phone-number-id}/messages`: a message, or a read mark.
pub(super) async fn messages(
    State(shared): State<Arc<Shared>>,
    UrlPath((_version, node)): UrlPath<(String, String)>,
    body: Bytes,
) -> Response {
    if !shared.has_number(&node) {
        return no_such_object(&Method::POST, &node);
    }
    let message: Value = match serde_json::from_slice(&body) {
        Ok(message @ Value::Object(_)) => message,
        _ => {
            return invalid(
                "(#100) Invalid parameter",
                "the request body must be a JSON object (a Graph API message)",
            );
        }
    };
    if message.get("status").is_some() {
        return mark_read(&shared, &message);
    }
    let checked = match check_message(&message) {
        Ok(checked) => checked,
        Err(refusal) => {
            tracing::warn!(
                "refused a message: {} ({})",
                refusal.message,
                refusal.details
            );
            return invalid(&refusal.message, &refusal.details);
        }
    };
    if checked.kind == "template"
        && let Some(refused) = shared.templates.refuse(&message)
    {
        tracing::warn!("refused a template message that does not fit its template");
        return refused;
    }
    if let Some(id) = &checked.media_id
        && !shared.lock().media.contains_key(id)
    {
        tracing::warn!("refused a message: media id {id} is unknown");
        return invalid(
            "(#100) Invalid parameter",
            &format!(
                "media id {id} was not uploaded to this local Graph API (ids of an earlier run are gone)"
            ),
        );
    }
    let id = shared.next_wamid();
    let sent = SentMessage {
        id: id.clone(),
        recipient: checked.recipient.id().to_string(),
        from: node.clone(),
        message,
    };
    tracing::info!(
        "message {id} to {}: {}",
        sent.recipient,
        summary(&checked.kind, &sent.message)
    );
    let callback = sent.message["biz_opaque_callback_data"]
        .as_str()
        .map(str::to_string);
    shared.lock().sent.push(sent.clone());
    // No subscriber is fine: then nobody watches.
    let _ = shared.activity.send(Activity::Message(sent));
    if let Some(queue) = &shared.statuses {
        let statuses = statuses_for(&checked.kind, checked.voice);
        let now = Instant::now();
        for (step, status) in (1..).zip(statuses) {
            let mut body = status_notification(&node, &id, status, &checked.recipient);
            // WhatsApp echoes it, unchanged, in every status of the message.
            if let Some(callback) = &callback {
                body["entry"][0]["changes"][0]["value"]["statuses"][0]["biz_opaque_callback_data"] =
                    json!(callback);
            }
            let job = StatusJob {
                body,
                wamid: id.clone(),
                status,
                not_before: now + STATUS_STEP * step,
            };
            if queue.send(job).is_err() {
                tracing::warn!("statuses are no longer posted: the status thread stopped");
                break;
            }
        }
    }
    let mut contact = json!({"input": checked.to});
    match &checked.recipient {
        Recipient::WaId(wa_id) => contact["wa_id"] = json!(wa_id),
        Recipient::UserId(user_id) => contact["user_id"] = json!(user_id),
    }
    axum::Json(json!({
        "messaging_product": "whatsapp",
        "contacts": [contact],
        "messages": [{"id": id}],
    }))
    .into_response()
}

/// The statuses WhatsApp reports for a message of this kind: a reaction only `sent`, a
/// voice message also `played` (WHATSAPP.md §4).
fn statuses_for(kind: &str, voice: bool) -> &'static [&'static str] {
    match (kind, voice) {
        ("reaction", _) => &["sent"],
        ("audio", true) => &["sent", "delivered", "read", "played"],
        _ => &["sent", "delivered", "read"],
    }
}

/// `{"status":"read","message_id":...}`, with or without a typing indicator.
fn mark_read(shared: &Shared, body: &Value) -> Response {
    if body["messaging_product"] != "whatsapp" {
        return invalid(
            "(#100) The parameter messaging_product is required.",
            "messaging_product must be \"whatsapp\"",
        );
    }
    if body["status"] != "read" {
        return invalid(
            "(#100) Param status must be one of {READ}",
            "only \"read\" marks a message",
        );
    }
    let Some(message_id) = body["message_id"].as_str().filter(|id| !id.is_empty()) else {
        return invalid(
            "(#100) The parameter message_id is required.",
            "the wamid of the message to mark read",
        );
    };
    let typing = match body.get("typing_indicator") {
        None => false,
        Some(indicator) if indicator["type"] == "text" => true,
        Some(_) => {
            return invalid(
                "(#100) Param typing_indicator[type] must be one of {TEXT}",
                "typing_indicator is {\"type\":\"text\"}",
            );
        }
    };
    tracing::info!(
        "marked {message_id} read{}",
        if typing { ", typing" } else { "" }
    );
    let _ = shared.activity.send(Activity::Read {
        message_id: message_id.to_string(),
        typing,
    });
    axum::Json(json!({"success": true})).into_response()
}

/// Who a message goes to, as WhatsApp resolved it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Recipient {
    /// Digits of a phone number.
    WaId(String),
    /// A business-scoped user id (`US.13491208655302741918`).
    UserId(String),
}

impl Recipient {
    pub(super) fn id(&self) -> &str {
        match self {
            Recipient::WaId(id) | Recipient::UserId(id) => id,
        }
    }
}

/// A message that passed the checks.
#[derive(Debug)]
struct Checked {
    /// `to` (or `recipient`) as given.
    to: String,
    recipient: Recipient,
    kind: String,
    /// The media id it refers to, which must be held.
    media_id: Option<String>,
    /// An audio message sent as a voice note.
    voice: bool,
}

#[derive(Debug)]
pub(super) struct Refusal {
    /// Meta's message, `(#100) ...`.
    pub(super) message: String,
    /// What to change.
    pub(super) details: String,
}

pub(super) fn refuse(message: impl Into<String>, details: impl Into<String>) -> Refusal {
    Refusal {
        message: message.into(),
        details: details.into(),
    }
}

const KINDS: [&str; 11] = [
    "audio",
    "contacts",
    "document",
    "image",
    "interactive",
    "location",
    "reaction",
    "sticker",
    "template",
    "text",
    "video",
];

/// Checks a message roughly as Meta does: the envelope, the recipient, and that the body
/// of its type has what that type needs. Limits of lengths and counts are `message`'s
/// business (wa-cloud checks before sending); here only what would make Meta answer 100.
fn check_message(message: &Value) -> Result<Checked, Refusal> {
    match message.get("messaging_product") {
        None => {
            return Err(refuse(
                "(#100) The parameter messaging_product is required.",
                "add \"messaging_product\":\"whatsapp\"",
            ));
        }
        Some(product) if product != "whatsapp" => {
            return Err(refuse(
                format!(
                    "(#100) Param messaging_product must be one of {{WHATSAPP}} - got {product}."
                ),
                "messaging_product must be \"whatsapp\"",
            ));
        }
        Some(_) => {}
    }
    if let Some(kind) = message.get("recipient_type")
        && kind != "individual"
        && kind != "group"
    {
        return Err(refuse(
            format!(
                "(#100) Param recipient_type must be one of {{GROUP, INDIVIDUAL}} - got {kind}."
            ),
            "recipient_type is \"individual\" (the default) or \"group\"",
        ));
    }
    // `to` is for phone numbers only and a (parent) business-scoped user id goes in
    // `recipient`; when both are given `to` wins, as at Meta (WHATSAPP.md §2.2, §5.2).
    let (to, field) = match (message.get("to"), message.get("recipient")) {
        (Some(Value::String(to)), _) if !to.trim().is_empty() => (to.clone(), "to"),
        (Some(_), _) => {
            return Err(refuse(
                "(#100) Invalid parameter",
                "to must be a phone number with country code, such as \"+4915112345678\"",
            ));
        }
        (None, Some(Value::String(id))) if !id.trim().is_empty() => (id.clone(), "recipient"),
        (None, Some(_)) => {
            return Err(refuse(
                "(#100) Invalid parameter",
                "recipient must be a business-scoped user id, such as \"US.13491208655302741918\"",
            ));
        }
        (None, None) => {
            return Err(refuse(
                "(#100) The parameter to is required.",
                "add \"to\" (the recipient's phone number with country code) or \"recipient\" (a business-scoped user id)",
            ));
        }
    };
    let recipient = match (recipient(&to), field) {
        (Some(Recipient::UserId(_)), "to") => {
            return Err(refuse(
                "(#100) Invalid parameter",
                format!(
                    "to {to:?} is a business-scoped user id: to takes phone numbers only; \
                     send to a user id with \"recipient\" and no \"to\""
                ),
            ));
        }
        (Some(Recipient::WaId(_)), "recipient") => {
            return Err(refuse(
                "(#100) Invalid parameter",
                format!(
                    "recipient {to:?} is a phone number: recipient takes business-scoped user ids; \
                     send to a phone number with \"to\""
                ),
            ));
        }
        (Some(recipient), _) => recipient,
        (None, _) => {
            return Err(refuse(
                "(#100) Invalid parameter",
                format!(
                    "{field} {to:?} is neither a phone number with country code (digits, optionally with +, spaces, \
                     dashes, parentheses) nor a business-scoped user id"
                ),
            ));
        }
    };
    let kind = match message.get("type") {
        // Meta's default.
        None => "text".to_string(),
        Some(Value::String(kind)) if KINDS.contains(&kind.as_str()) => kind.clone(),
        Some(other) => {
            return Err(refuse(
                format!(
                    "(#100) Param type must be one of {{{}}} - got {other}.",
                    KINDS.map(str::to_ascii_uppercase).join(", ")
                ),
                "type names the message's body key",
            ));
        }
    };
    let body = match message.get(&kind) {
        Some(body @ Value::Object(_)) => body,
        Some(body @ Value::Array(_)) if kind == "contacts" => body,
        _ => {
            return Err(refuse(
                format!("(#100) The parameter {kind} is required."),
                format!("a {kind} message needs a \"{kind}\" object"),
            ));
        }
    };
    if let Some(context) = message.get("context")
        && !context["message_id"].is_string()
    {
        return Err(refuse(
            "(#100) The parameter context['message_id'] is required.",
            "context is {\"message_id\": \"<wamid of the quoted message>\"}",
        ));
    }
    let field = |name: &str| {
        refuse(
            format!("(#100) The parameter {kind}['{name}'] is required."),
            format!("a {kind} message needs {kind}.{name}"),
        )
    };
    let has_text = |value: &Value| value.as_str().is_some_and(|s| !s.is_empty());
    let mut media_id = None;
    match kind.as_str() {
        "text" if !has_text(&body["body"]) => return Err(field("body")),
        "image" | "audio" | "video" | "document" | "sticker" => {
            match (&body["id"], &body["link"]) {
                (Value::String(id), Value::Null) if !id.is_empty() => media_id = Some(id.clone()),
                (Value::Null, Value::String(link))
                    if link.starts_with("https://") || link.starts_with("http://") => {}
                (Value::Null, Value::Null) => {
                    return Err(refuse(
                        format!("(#100) The parameter {kind}['id'] or {kind}['link'] is required."),
                        format!("a {kind} message needs the media's id (from an upload) or a link"),
                    ));
                }
                _ => {
                    return Err(refuse(
                        "(#100) Invalid parameter",
                        format!("{kind} takes an id or an http(s) link, not both"),
                    ));
                }
            }
        }
        "location" if !(body["latitude"].is_number() && body["longitude"].is_number()) => {
            return Err(field("latitude"));
        }
        "contacts" if body.as_array().is_none_or(Vec::is_empty) => {
            return Err(refuse(
                "(#100) The parameter contacts is required.",
                "contacts is a non-empty array of contacts",
            ));
        }
        "reaction" if !has_text(&body["message_id"]) => return Err(field("message_id")),
        "reaction" if !body["emoji"].is_string() => return Err(field("emoji")),
        "template" if !has_text(&body["name"]) => return Err(field("name")),
        "template" if !has_text(&body["language"]["code"]) => {
            return Err(refuse(
                "(#100) The parameter template['language'] is required.",
                "a template needs language.code, such as en_US",
            ));
        }
        "interactive" if !has_text(&body["type"]) => return Err(field("type")),
        "interactive" if !body["action"].is_object() => return Err(field("action")),
        _ => {}
    }
    Ok(Checked {
        voice: kind == "audio" && body["voice"] == true,
        to,
        recipient,
        kind,
        media_id,
    })
}

/// The recipient `to` stands for: a phone number's digits (`+`, spaces, dashes, dots
/// and parentheses dropped, as Meta does) or a business-scoped user id.
fn recipient(to: &str) -> Option<Recipient> {
    let to = to.trim();
    if crate::message::is_user_id(to) {
        return Some(Recipient::UserId(to.to_string()));
    }
    let formatting = |c: char| matches!(c, '+' | ' ' | '-' | '(' | ')' | '.');
    if !to.chars().all(|c| c.is_ascii_digit() || formatting(c)) {
        return None;
    }
    let digits: String = to.chars().filter(char::is_ascii_digit).collect();
    (5..=20)
        .contains(&digits.len())
        .then_some(Recipient::WaId(digits))
}

/// One line about a message for the log: its type and its body, cut short.
fn summary(kind: &str, message: &Value) -> String {
    let body = message[kind].to_string();
    match body.char_indices().nth(160) {
        Some((cut, _)) => format!("{kind} {}…", &body[..cut]),
        None => format!("{kind} {body}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(extra: Value) -> Value {
        let mut message = json!({"messaging_product": "whatsapp", "to": "+49 151 1234-5678"});
        message
            .as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        message
    }

    #[test]
    fn messages_of_every_kind_pass() {
        for extra in [
            json!({"text": {"body": "hi"}}),
            json!({"type": "text", "text": {"body": "hi"}, "context": {"message_id": "wamid.X"}}),
            json!({"type": "image", "image": {"id": "123", "caption": "c"}}),
            json!({"type": "document", "document": {"link": "https://example.com/a.pdf"}}),
            json!({"type": "location", "location": {"latitude": 1.5, "longitude": -2}}),
            json!({"type": "contacts", "contacts": [{"name": {"formatted_name": "A"}}]}),
            json!({"type": "reaction", "reaction": {"message_id": "wamid.X", "emoji": ""}}),
            json!({"type": "template", "template": {"name": "hello_world", "language": {"code": "en_US"}}}),
            json!({"type": "interactive", "interactive": {"type": "button", "body": {"text": "?"},
                "action": {"buttons": []}}}),
        ] {
            let checked = check_message(&message(extra.clone()))
                .unwrap_or_else(|r| panic!("{extra} refused: {r:?}"));
            assert_eq!(checked.recipient, Recipient::WaId("4915112345678".into()));
        }
        let voice = check_message(&message(
            json!({"type": "audio", "audio": {"id": "1", "voice": true}}),
        ))
        .unwrap();
        assert!(voice.voice);
        assert_eq!(voice.media_id.as_deref(), Some("1"));
        assert_eq!(statuses_for("audio", voice.voice).len(), 4);
        assert_eq!(statuses_for("reaction", false), ["sent"]);
        for id in ["US.13491208655302741918", "US.ENT.5912873465"] {
            let bsuid =
                json!({"messaging_product": "whatsapp", "recipient": id, "text": {"body": "x"}});
            assert_eq!(
                check_message(&bsuid).unwrap().recipient,
                Recipient::UserId(id.into())
            );
            let in_to = json!({"messaging_product": "whatsapp", "to": id, "text": {"body": "x"}});
            let refusal = check_message(&in_to).unwrap_err();
            assert_eq!(refusal.message, "(#100) Invalid parameter");
            assert!(
                refusal.details.contains("\"recipient\""),
                "{}",
                refusal.details
            );
        }
        let phone_in_recipient = json!({"messaging_product": "whatsapp", "recipient": "+4915112345678", "text": {"body": "x"}});
        assert!(
            check_message(&phone_in_recipient)
                .unwrap_err()
                .details
                .contains("with \"to\"")
        );
        // `to` wins when both are given, as at Meta.
        let both = json!({"messaging_product": "whatsapp", "to": "+4915112345678", "recipient": "US.1", "text": {"body": "x"}});
        assert_eq!(
            check_message(&both).unwrap().recipient,
            Recipient::WaId("4915112345678".into())
        );
    }

    #[test]
    fn malformed_messages_get_metas_code_100_messages() {
        let refused = |body: Value| check_message(&body).unwrap_err().message;
        assert_eq!(
            refused(json!({"to": "491", "text": {"body": "x"}})),
            "(#100) The parameter messaging_product is required."
        );
        assert_eq!(
            refused(json!({"messaging_product": "whatsapp", "text": {"body": "x"}})),
            "(#100) The parameter to is required."
        );
        assert_eq!(
            refused(message(json!({"type": "text", "text": {}}))),
            "(#100) The parameter text['body'] is required."
        );
        assert!(
            refused(message(json!({"type": "gif", "gif": {}})))
                .starts_with("(#100) Param type must be one of {AUDIO")
        );
        assert_eq!(
            refused(message(json!({"type": "image", "image": {"caption": "x"}}))),
            "(#100) The parameter image['id'] or image['link'] is required."
        );
        assert_eq!(
            refused(
                json!({"messaging_product": "whatsapp", "to": "call me", "text": {"body": "x"}})
            ),
            "(#100) Invalid parameter"
        );
        assert_eq!(
            refused(message(
                json!({"type": "reaction", "reaction": {"emoji": "x"}})
            )),
            "(#100) The parameter reaction['message_id'] is required."
        );
    }
}
