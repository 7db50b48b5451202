//! Outgoing messages: shorthand expansion and validation against WhatsApp's limits.
//!
//! One function, [`normalize`], turns a message as a person writes it (docs/PROTOCOL.md's reply
//! shapes: `{"text":"hi"}`, `type` left out, `reply_to`, ...) into the exact object that
//! the Graph API's messages endpoint takes, or says which field breaks which limit.
//! `send`'s flags, `send --raw` and (later) the handler's replies all go through it, so a
//! message is checked the same way wherever it comes from, and before anything is sent.

use std::collections::HashSet;
use std::fmt;

use serde_json::{Map, Value, json};

/// The body keys of a message, one of which names its type.
pub(crate) const KINDS: [&str; 11] = [
    "text",
    "image",
    "audio",
    "video",
    "document",
    "sticker",
    "location",
    "contacts",
    "interactive",
    "template",
    "reaction",
];

/// Keys beside the body that a message may carry.
const ENVELOPE: [&str; 10] = [
    "to",
    "recipient",
    "from",
    "type",
    "reply_to",
    "context",
    "preview_url",
    "biz_opaque_callback_data",
    "messaging_product",
    "recipient_type",
];

/// A message that breaks a rule: which field, and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{field}` {problem}")]
pub struct Invalid {
    pub field: String,
    pub problem: String,
}

fn invalid(field: impl Into<String>, problem: impl Into<String>) -> Invalid {
    Invalid {
        field: field.into(),
        problem: problem.into(),
    }
}

/// Who a message goes to.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Recipient {
    /// Digits only, country code first.
    Phone(String),
    /// A business-scoped user id (BSUID) such as `US.13491208655302741918`, or a parent
    /// BSUID such as `US.ENT.5912873465`.
    UserId(String),
}

impl Recipient {
    /// Accepts a phone number of 7 to 15 digits, with or without `+`, spaces, dashes and
    /// parentheses, or a business-scoped user id (`CC.` or `CC.ENT.` and alphanumerics).
    pub fn parse(given: &str) -> Result<Recipient, Invalid> {
        Recipient::parse_field(given, "to")
    }

    /// [`Recipient::parse`], naming `field` when `given` is refused.
    pub(crate) fn parse_field(given: &str, field: &str) -> Result<Recipient, Invalid> {
        let given = given.trim();
        if is_user_id(given) {
            return Ok(Recipient::UserId(given.to_string()));
        }
        let compact: String = given
            .chars()
            .filter(|c| !matches!(c, ' ' | '-' | '(' | ')'))
            .collect();
        let digits = compact.strip_prefix('+').unwrap_or(&compact);
        let problem = if digits.is_empty() {
            "is empty: give a phone number with its country code, such as 4915112345678".to_string()
        } else if !digits.chars().all(|c| c.is_ascii_digit()) {
            format!(
                "is {given:?}, neither a phone number (digits with the country code, such as \
                 4915112345678) nor a business-scoped user id (such as US.13491208655302741918 \
                 or US.ENT.5912873465)"
            )
        } else if digits.starts_with('0') {
            format!("is {given:?}: start with the country code (49...), not with 0 or 00")
        } else if !(7..=15).contains(&digits.len()) {
            format!(
                "is {given:?}, {} digits long; a phone number with its country code has 7 to 15 digits",
                digits.len()
            )
        } else {
            return Ok(Recipient::Phone(digits.to_string()));
        };
        Err(invalid(field, problem))
    }

    /// The body field Meta takes this recipient in: `to` is for phone numbers only, and a
    /// (parent) business-scoped user id goes in `recipient` without `to`; a user id in
    /// `to` has been seen answered 200 and never delivered (WHATSAPP.md §2.2, §5.2).
    pub(crate) fn graph_field(&self) -> &'static str {
        match self {
            Recipient::Phone(_) => "to",
            Recipient::UserId(_) => "recipient",
        }
    }

    /// The form sent to Meta: `+` and digits, so that Meta never prepends the business
    /// number's country code (WHATSAPP.md §5.2), or the user id as it is.
    pub fn to_graph(&self) -> String {
        match self {
            Recipient::Phone(digits) => format!("+{digits}"),
            Recipient::UserId(id) => id.clone(),
        }
    }
}

impl fmt::Display for Recipient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Recipient::Phone(digits) => f.write_str(digits),
            Recipient::UserId(id) => f.write_str(id),
        }
    }
}

/// A business-scoped user id, `CC.` and up to 128 alphanumerics, or a parent one,
/// `CC.ENT.` and up to 128 alphanumerics (CC: the two letters of a country).
pub(crate) fn is_user_id(s: &str) -> bool {
    let Some((country, id)) = s.split_once('.') else {
        return false;
    };
    let id = id.strip_prefix("ENT.").unwrap_or(id);
    country.len() == 2
        && country.chars().all(|c| c.is_ascii_uppercase())
        && (1..=128).contains(&id.len())
        && id.chars().all(|c| c.is_ascii_alphanumeric())
}

/// A message ready for the Graph API.
#[derive(Clone, Debug, PartialEq)]
pub struct Outgoing {
    pub recipient: Recipient,
    /// The message type: `text`, `image`, ...
    pub kind: String,
    /// The whole request body for `POST /{phone-number-id}/messages`.
    pub body: Value,
}

/// Expands shorthand and checks every limit. `default_to` is the recipient of a message
/// that names none.
pub fn normalize(message: &Value, default_to: Option<&Recipient>) -> Result<Outgoing, Invalid> {
    // `{"template": "NAME", "lang", "params", "header", "buttons"}` becomes Meta's shape.
    let expanded = crate::templates::compose::expand_short_form(message)?;
    let message = expanded.as_ref().unwrap_or(message);
    let Value::Object(fields) = message else {
        return Err(invalid(
            "message",
            format!("must be a JSON object, not {}", type_name(message)),
        ));
    };
    for key in fields.keys() {
        if !KINDS.contains(&key.as_str()) && !ENVELOPE.contains(&key.as_str()) {
            let known = KINDS.iter().chain(ENVELOPE.iter());
            let hint = known
                .map(|k| (strsim::jaro_winkler(key, k), k))
                .filter(|(score, _)| *score > 0.8)
                .max_by(|a, b| a.0.total_cmp(&b.0))
                .map(|(_, k)| format!(" (did you mean `{k}`?)"))
                .unwrap_or_default();
            return Err(invalid(key, format!("is not a field of a message{hint}")));
        }
    }
    if let Some(product) = fields
        .get("messaging_product")
        .filter(|p| p.as_str() != Some("whatsapp"))
    {
        return Err(invalid(
            "messaging_product",
            format!("must be \"whatsapp\", not {product}"),
        ));
    }
    if let Some(kind) = fields
        .get("recipient_type")
        .filter(|t| t.as_str() != Some("individual"))
    {
        return Err(invalid(
            "recipient_type",
            format!("must be \"individual\", not {kind}"),
        ));
    }

    let recipient = match (fields.get("to"), fields.get("recipient")) {
        (Some(_), Some(_)) => {
            return Err(invalid(
                "recipient",
                "is given beside `to`: name the recipient once (a phone number or a business-scoped user id, in either)",
            ));
        }
        (Some(Value::String(given)), None) => Recipient::parse_field(given, "to")?,
        (None, Some(Value::String(given))) => Recipient::parse_field(given, "recipient")?,
        (Some(other), None) => return Err(invalid("to", format!("must be a string, not {}", type_name(other)))),
        (None, Some(other)) => {
            return Err(invalid("recipient", format!("must be a string, not {}", type_name(other))));
        }
        (None, None) => default_to.cloned().ok_or_else(|| {
            invalid("to", "is missing: the message has no recipient (add \"to\", or \"reply_to\" with a wamid)")
        })?,
    };

    let kind = message_kind(fields)?;
    let mut content = fields[kind].clone();
    match kind {
        "text" => text(&mut content, fields.get("preview_url"))?,
        "location" => location(&mut content)?,
        "contacts" => contacts(&mut content)?,
        "interactive" => interactive(&content)?,
        "template" => template(&mut content)?,
        "reaction" => reaction(&content)?,
        media => self::media(media, &content)?,
    }

    let mut body = Map::new();
    body.insert("messaging_product".into(), json!("whatsapp"));
    body.insert("recipient_type".into(), json!("individual"));
    body.insert(recipient.graph_field().into(), json!(recipient.to_graph()));
    body.insert("type".into(), json!(kind));
    if let Some(context) = context(fields)? {
        body.insert("context".into(), context);
    }
    body.insert(kind.into(), content);
    // wa-cloud's own: the business number to send through; the Graph client takes it
    // out of the body and into the URL.
    match fields.get("from") {
        Some(Value::String(number))
            if !number.is_empty() && number.chars().all(|c| c.is_ascii_digit()) =>
        {
            body.insert("from".into(), json!(number));
        }
        Some(other) => {
            return Err(invalid(
                "from",
                format!(
                    "is {other}: it names the business number to send through, by its phone number id (digits, such as \"106540352242922\")"
                ),
            ));
        }
        None => {}
    }
    if let Some(data) = fields.get("biz_opaque_callback_data") {
        let data = data
            .as_str()
            .ok_or_else(|| invalid("biz_opaque_callback_data", "must be a string"))?;
        check_length("biz_opaque_callback_data", data, 512)?;
        body.insert("biz_opaque_callback_data".into(), json!(data));
    }
    Ok(Outgoing {
        recipient,
        kind: kind.to_string(),
        body: Value::Object(body),
    })
}

/// `type`, or the one body key present when `type` is left out.
fn message_kind(fields: &Map<String, Value>) -> Result<&'static str, Invalid> {
    let present: Vec<&'static str> = KINDS
        .iter()
        .copied()
        .filter(|k| fields.contains_key(*k))
        .collect();
    match fields.get("type") {
        Some(Value::String(given)) => {
            let kind = KINDS.iter().copied().find(|k| k == given).ok_or_else(|| {
                invalid(
                    "type",
                    format!(
                        "is {given:?}; WhatsApp message types are {}",
                        KINDS.join(", ")
                    ),
                )
            })?;
            if !present.contains(&kind) {
                return Err(invalid(
                    kind,
                    format!("is missing: a message of type {kind:?} needs it"),
                ));
            }
            if present.len() > 1 {
                return Err(invalid(
                    "type",
                    format!(
                        "is {kind:?}, but the message also has {}",
                        others(&present, kind)
                    ),
                ));
            }
            Ok(kind)
        }
        Some(other) => Err(invalid(
            "type",
            format!("must be a string, not {}", type_name(other)),
        )),
        None => match present.as_slice() {
            [kind] => Ok(kind),
            [] => Err(invalid(
                "message",
                format!("has no body: give one of {}", KINDS.join(", ")),
            )),
            several => Err(invalid(
                "type",
                format!(
                    "is missing and the message has several bodies ({}): keep one",
                    several.join(", ")
                ),
            )),
        },
    }
}

fn others(present: &[&str], kind: &str) -> String {
    present
        .iter()
        .filter(|k| **k != kind)
        .copied()
        .collect::<Vec<_>>()
        .join(", ")
}

fn context(fields: &Map<String, Value>) -> Result<Option<Value>, Invalid> {
    let mut context = match fields.get("context") {
        Some(Value::Object(c)) => c.clone(),
        Some(other) => {
            return Err(invalid(
                "context",
                format!("must be an object, not {}", type_name(other)),
            ));
        }
        None => Map::new(),
    };
    match fields.get("reply_to") {
        Some(Value::String(wamid)) if !wamid.trim().is_empty() => {
            context.insert("message_id".into(), json!(wamid.trim()));
        }
        Some(Value::Null) | None => {}
        Some(_) => {
            return Err(invalid(
                "reply_to",
                "must be the wamid of the message to quote",
            ));
        }
    }
    Ok((!context.is_empty()).then_some(Value::Object(context)))
}

fn text(content: &mut Value, preview_url: Option<&Value>) -> Result<(), Invalid> {
    if let Value::String(body) = content {
        *content = json!({ "body": body });
    }
    let body = required_str(content, "text", "body")?;
    if body.trim().is_empty() {
        return Err(invalid(
            "text.body",
            "is empty: WhatsApp does not send empty messages",
        ));
    }
    check_length("text.body", body, 4096)?;
    match preview_url {
        Some(Value::Bool(preview)) => content["preview_url"] = json!(preview),
        Some(_) => return Err(invalid("preview_url", "must be true or false")),
        None => {}
    }
    Ok(())
}

fn media(kind: &str, content: &Value) -> Result<(), Invalid> {
    let Value::Object(fields) = content else {
        return Err(invalid(
            kind,
            format!(
                "must be an object with `id`, `link` or `file`, not {}",
                type_name(content)
            ),
        ));
    };
    let sources: Vec<&str> = ["id", "link", "file"]
        .into_iter()
        .filter(|key| fields.contains_key(*key))
        .collect();
    match sources.as_slice() {
        [a, b] => {
            return Err(invalid(
                kind,
                format!("has both `{a}` and `{b}`: give one of them"),
            ));
        }
        [_, _, _] => {
            return Err(invalid(
                kind,
                "has `id`, `link` and `file`: give one of them",
            ));
        }
        _ => {}
    }
    match (fields.get("id"), fields.get("link")) {
        // A local file: `media::resolve_files` checks it and puts an uploaded id in its
        // place before the message is sent.
        (None, None) if fields.contains_key("file") => {
            let file = fields["file"].as_str().filter(|f| !f.trim().is_empty());
            file.ok_or_else(|| {
                invalid(
                    format!("{kind}.file"),
                    "must be the path of a local file, such as \"cat.jpg\"",
                )
            })?;
        }
        (Some(_), Some(_)) => unreachable!("refused above"),
        (None, None) => {
            return Err(invalid(
                kind,
                "needs `id` (an uploaded media id), `link` (a public URL) or `file` (a local file to upload)",
            ));
        }
        (Some(id), None) => {
            let id = id.as_str().filter(|id| !id.trim().is_empty());
            id.ok_or_else(|| {
                invalid(
                    format!("{kind}.id"),
                    "must be a media id such as \"1479537139650973\"",
                )
            })?;
        }
        (None, Some(link)) => {
            let link = link.as_str().unwrap_or_default();
            if !(link.starts_with("https://") || link.starts_with("http://")) {
                return Err(invalid(
                    format!("{kind}.link"),
                    format!("is {link:?}: it must be an http(s) URL"),
                ));
            }
        }
    }
    if let Some(caption) = fields.get("caption") {
        if matches!(kind, "audio" | "sticker") {
            return Err(invalid(
                format!("{kind}.caption"),
                format!("is not allowed: WhatsApp shows no caption on {kind}"),
            ));
        }
        let caption = caption
            .as_str()
            .ok_or_else(|| invalid(format!("{kind}.caption"), "must be a string"))?;
        check_length(&format!("{kind}.caption"), caption, 1024)?;
    }
    if fields.contains_key("filename") && kind != "document" {
        return Err(invalid(format!("{kind}.filename"), "is only for documents"));
    }
    Ok(())
}

fn location(content: &mut Value) -> Result<(), Invalid> {
    for (axis, limit) in [("latitude", 90.0), ("longitude", 180.0)] {
        let field = format!("location.{axis}");
        let value = match &content[axis] {
            Value::Number(n) => n.as_f64(),
            Value::String(s) => s.trim().parse::<f64>().ok(),
            Value::Null => return Err(invalid(field, "is missing")),
            _ => None,
        };
        match value {
            Some(v) if v.is_finite() && v.abs() <= limit => content[axis] = json!(v),
            _ => {
                return Err(invalid(
                    field,
                    format!(
                        "is {}: it must be a number from -{limit} to {limit}",
                        content[axis]
                    ),
                ));
            }
        }
    }
    for optional in ["name", "address"] {
        if !content[optional].is_null() && !content[optional].is_string() {
            return Err(invalid(format!("location.{optional}"), "must be a string"));
        }
    }
    Ok(())
}

/// Contacts in WhatsApp's shape, or shorthand: `{"name":"Ada Lovelace","phone":"+44...",
/// "email":"ada@example.com"}`, a single contact or an array of them.
fn contacts(content: &mut Value) -> Result<(), Invalid> {
    if content.is_object() {
        *content = json!([content.take()]);
    }
    let Value::Array(cards) = content else {
        return Err(invalid(
            "contacts",
            "must be a contact object or an array of them",
        ));
    };
    if cards.is_empty() {
        return Err(invalid("contacts", "is empty: give at least one contact"));
    }
    for (i, card) in cards.iter_mut().enumerate() {
        let field = format!("contacts[{i}]");
        let Value::Object(fields) = card else {
            return Err(invalid(field, "must be an object"));
        };
        if let Some(Value::String(name)) = fields.get("name").cloned() {
            let first = name.split_whitespace().next().unwrap_or(&name).to_string();
            fields.insert(
                "name".into(),
                json!({ "formatted_name": name, "first_name": first }),
            );
        }
        for (short, list, key) in [("phone", "phones", "phone"), ("email", "emails", "email")] {
            if let Some(Value::String(value)) = fields.remove(short) {
                fields.insert(list.into(), json!([{ key: value }]));
            }
        }
        let formatted = fields
            .get("name")
            .and_then(|n| n.get("formatted_name"))
            .and_then(Value::as_str);
        if formatted.is_none_or(|n| n.trim().is_empty()) {
            return Err(invalid(
                format!("{field}.name.formatted_name"),
                "is missing: every contact needs a name",
            ));
        }
    }
    Ok(())
}

fn interactive(content: &Value) -> Result<(), Invalid> {
    let kind = required_str(content, "interactive", "type")?;
    let body_limit = if kind == "list" { 4096 } else { 1024 };
    if let Some(body) = content.get("body") {
        check_length(
            "interactive.body.text",
            required_str(body, "interactive.body", "text")?,
            body_limit,
        )?;
    } else if matches!(
        kind,
        "button" | "list" | "cta_url" | "location_request_message" | "flow"
    ) {
        return Err(invalid(
            "interactive.body.text",
            format!("is missing: a {kind} message needs a body text"),
        ));
    }
    if let Some(footer) = content.get("footer") {
        check_length(
            "interactive.footer.text",
            required_str(footer, "interactive.footer", "text")?,
            60,
        )?;
    }
    if let Some(header) = content.get("header").filter(|h| h["type"] == "text") {
        check_length(
            "interactive.header.text",
            required_str(header, "interactive.header", "text")?,
            60,
        )?;
    }
    let action = content
        .get("action")
        .ok_or_else(|| invalid("interactive.action", "is missing"))?;
    match kind {
        "button" => buttons(action),
        "list" => list(action),
        "cta_url" => {
            let parameters = action.get("parameters").unwrap_or(&Value::Null);
            check_length(
                "interactive.action.parameters.display_text",
                required_str(parameters, "interactive.action.parameters", "display_text")?,
                20,
            )?;
            required_str(parameters, "interactive.action.parameters", "url").map(drop)
        }
        _ => Ok(()),
    }
}

fn buttons(action: &Value) -> Result<(), Invalid> {
    let buttons = action["buttons"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    if !(1..=3).contains(&buttons.len()) {
        return Err(invalid(
            "interactive.action.buttons",
            format!("has {} buttons; WhatsApp allows 1 to 3", buttons.len()),
        ));
    }
    let mut titles = HashSet::new();
    let mut ids = HashSet::new();
    for (i, button) in buttons.iter().enumerate() {
        let field = format!("interactive.action.buttons[{i}].reply");
        let reply = &button["reply"];
        let id = required_str(reply, &field, "id")?;
        check_length(&format!("{field}.id"), id, 256)?;
        // WhatsApp refuses the message; refused here, nothing of a batch is sent.
        if !ids.insert(id) {
            return Err(invalid(
                format!("{field}.id"),
                format!("is {id:?} again: button ids must differ"),
            ));
        }
        let title = required_str(reply, &field, "title")?;
        check_length(&format!("{field}.title"), title, 20)?;
        if !titles.insert(title) {
            return Err(invalid(
                format!("{field}.title"),
                format!("is {title:?} again: button titles must differ"),
            ));
        }
    }
    Ok(())
}

fn list(action: &Value) -> Result<(), Invalid> {
    check_length(
        "interactive.action.button",
        required_str(action, "interactive.action", "button")?,
        20,
    )?;
    let sections = action["sections"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    if !(1..=10).contains(&sections.len()) {
        return Err(invalid(
            "interactive.action.sections",
            format!("has {} sections; WhatsApp allows 1 to 10", sections.len()),
        ));
    }
    let rows: usize = sections
        .iter()
        .map(|s| s["rows"].as_array().map_or(0, Vec::len))
        .sum();
    if !(1..=10).contains(&rows) {
        return Err(invalid(
            "interactive.action.sections",
            format!("have {rows} rows in all; WhatsApp allows 1 to 10 rows across all sections"),
        ));
    }
    let mut ids = HashSet::new();
    for (i, section) in sections.iter().enumerate() {
        let field = format!("interactive.action.sections[{i}]");
        match section.get("title") {
            Some(_) => check_length(
                &format!("{field}.title"),
                required_str(section, &field, "title")?,
                24,
            )?,
            None if sections.len() > 1 => {
                return Err(invalid(
                    format!("{field}.title"),
                    "is missing: with several sections each needs a title",
                ));
            }
            None => {}
        }
        for (j, row) in section["rows"].as_array().into_iter().flatten().enumerate() {
            let field = format!("{field}.rows[{j}]");
            let id = required_str(row, &field, "id")?;
            check_length(&format!("{field}.id"), id, 200)?;
            // Across all sections: the id is all the answer names.
            if !ids.insert(id) {
                return Err(invalid(
                    format!("{field}.id"),
                    format!("is {id:?} again: list row ids must differ across all sections"),
                ));
            }
            check_length(
                &format!("{field}.title"),
                required_str(row, &field, "title")?,
                24,
            )?;
            if row.get("description").is_some() {
                check_length(
                    &format!("{field}.description"),
                    required_str(row, &field, "description")?,
                    72,
                )?;
            }
        }
    }
    Ok(())
}

fn template(content: &mut Value) -> Result<(), Invalid> {
    let name = required_str(content, "template", "name")?;
    if name.trim().is_empty() {
        return Err(invalid("template.name", "is empty"));
    }
    if let Value::String(code) = &content["language"] {
        content["language"] = json!({ "code": code });
    }
    required_str(&content["language"], "template.language", "code")?;
    if !content["components"].is_null() && !content["components"].is_array() {
        return Err(invalid("template.components", "must be an array"));
    }
    Ok(())
}

fn reaction(content: &Value) -> Result<(), Invalid> {
    required_str(content, "reaction", "message_id")?;
    let emoji = required_str(content, "reaction", "emoji")?;
    if !emoji.is_empty() && emojis::get(emoji).is_none() {
        return Err(invalid(
            "reaction.emoji",
            format!(
                "is {emoji:?}, which is not a single emoji (an empty emoji removes the reaction)"
            ),
        ));
    }
    Ok(())
}

fn required_str<'a>(object: &'a Value, parent: &str, key: &str) -> Result<&'a str, Invalid> {
    match object.get(key) {
        Some(Value::String(s)) => Ok(s),
        None | Some(Value::Null) => Err(invalid(format!("{parent}.{key}"), "is missing")),
        Some(other) => Err(invalid(
            format!("{parent}.{key}"),
            format!("must be a string, not {}", type_name(other)),
        )),
    }
}

/// WhatsApp counts characters, not bytes.
fn check_length(field: &str, value: &str, max: usize) -> Result<(), Invalid> {
    let length = value.chars().count();
    if length > max {
        return Err(invalid(
            field,
            format!("is {length} characters long; WhatsApp allows at most {max}"),
        ));
    }
    Ok(())
}

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(message: Value) -> Value {
        normalize(&message, None)
            .unwrap_or_else(|e| panic!("{message}: {e}"))
            .body
    }

    fn err(message: Value) -> String {
        normalize(&message, None).unwrap_err().to_string()
    }

    #[test]
    fn recipients_are_sent_with_plus_or_as_user_ids() {
        for given in ["4915112345678", "+49 151 1234-5678", "+49 (151) 12345678"] {
            assert_eq!(
                Recipient::parse(given).unwrap().to_graph(),
                "+4915112345678",
                "{given}"
            );
        }
        assert_eq!(
            Recipient::parse("US.13491208655302741918")
                .unwrap()
                .to_graph(),
            "US.13491208655302741918"
        );
        assert_eq!(
            Recipient::parse("US.ENT.5912873465").unwrap(),
            Recipient::UserId("US.ENT.5912873465".into())
        );
        let longest = format!("DE.{}", "a".repeat(128));
        assert!(Recipient::parse(&longest).is_ok());
        for bad in [
            "123456",
            "1234567890123456",
            "0049151123",
            "hello",
            "",
            "us.123",
            "US.ENT.",
            "US.",
            "USA.123",
            "US.12-3",
            &format!("DE.{}", "a".repeat(129)),
        ] {
            assert!(Recipient::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn phones_go_in_to_and_user_ids_in_recipient() {
        let phone = ok(json!({"to": "4915112345678", "text": "hi"}));
        assert_eq!(phone["to"], "+4915112345678");
        assert!(phone.get("recipient").is_none());
        for id in ["US.13491208655302741918", "US.ENT.5912873465"] {
            for field in ["to", "recipient"] {
                let body = ok(json!({field: id, "text": "hi"}));
                assert_eq!(body["recipient"], id, "{field}");
                assert!(
                    body.get("to").is_none(),
                    "{field}: no `to` beside `recipient`"
                );
            }
        }
        let default = Recipient::parse("DE.1349120865530274191").unwrap();
        let body = normalize(&json!({"text": "hi"}), Some(&default))
            .unwrap()
            .body;
        assert_eq!(body["recipient"], "DE.1349120865530274191");
        assert!(body.get("to").is_none());
        // A phone number written in `recipient` still goes in `to`.
        assert_eq!(
            ok(json!({"recipient": "+4915112345678", "text": "hi"}))["to"],
            "+4915112345678"
        );
        assert!(
            err(json!({"to": "4915112345678", "recipient": "US.1", "text": "hi"}))
                .contains("name the recipient once")
        );
        assert!(
            err(json!({"recipient": "US-1", "text": "hi"})).starts_with("`recipient` is \"US-1\"")
        );
    }

    #[test]
    fn shorthand_text_becomes_graph_text() {
        let body = ok(
            json!({"to": "4915112345678", "text": "hi", "preview_url": true, "reply_to": "wamid.Q"}),
        );
        assert_eq!(
            body,
            json!({"messaging_product": "whatsapp", "recipient_type": "individual", "to": "+4915112345678",
                   "type": "text", "context": {"message_id": "wamid.Q"}, "text": {"body": "hi", "preview_url": true}})
        );
    }

    #[test]
    fn graph_shapes_pass_through_unchanged() {
        let meta = json!({"messaging_product": "whatsapp", "recipient_type": "individual", "to": "+16505551234",
            "type": "image", "image": {"id": "1479537139650973", "caption": "look"}});
        assert_eq!(ok(meta.clone()), meta);
    }

    #[test]
    fn the_recipient_may_come_from_the_caller() {
        let to = Recipient::parse("4915112345678").unwrap();
        let out = normalize(&json!({"text": "hi"}), Some(&to)).unwrap();
        assert_eq!(out.body["to"], "+4915112345678");
        assert!(err(json!({"text": "hi"})).contains("no recipient"));
    }

    #[test]
    fn limits_name_field_limit_and_length() {
        let long = "x".repeat(4097);
        assert_eq!(
            err(json!({"to": "4915112345678", "text": long})),
            "`text.body` is 4097 characters long; WhatsApp allows at most 4096"
        );
        let caption = "é".repeat(1025);
        assert!(
            err(json!({"to": "4915112345678", "image": {"id": "1", "caption": caption}}))
                .contains("`image.caption` is 1025 characters long; WhatsApp allows at most 1024")
        );
        assert!(
            err(json!({"to": "4915112345678", "audio": {"id": "1", "caption": "no"}}))
                .contains("no caption")
        );
    }

    #[test]
    fn buttons_and_lists_are_checked() {
        let button = |title: &str| json!({"type": "reply", "reply": {"id": title, "title": title}});
        let four = json!({"to": "4915112345678", "interactive": {"type": "button", "body": {"text": "?"},
            "action": {"buttons": [button("a"), button("b"), button("c"), button("d")]}}});
        assert!(err(four).contains("has 4 buttons; WhatsApp allows 1 to 3"));
        let long = json!({"to": "4915112345678", "interactive": {"type": "button", "body": {"text": "?"},
            "action": {"buttons": [button("a title of 21 chars!!")]}}});
        assert!(err(long).contains("`interactive.action.buttons[0].reply.title` is 21 characters long; WhatsApp allows at most 20"));

        let rows = |n: usize| {
            (0..n)
                .map(|i| json!({"id": i.to_string(), "title": "t"}))
                .collect::<Vec<_>>()
        };
        let eleven = json!({"to": "4915112345678", "interactive": {"type": "list", "body": {"text": "?"},
            "action": {"button": "Pick", "sections": [{"title": "A", "rows": rows(6)}, {"title": "B", "rows": rows(5)}]}}});
        assert!(err(eleven).contains("have 11 rows in all"));
    }

    #[test]
    fn reactions_need_an_emoji() {
        assert!(normalize(&json!({"to": "4915112345678", "reaction": {"message_id": "wamid.X", "emoji": "👍🏽"}}), None).is_ok());
        assert!(
            normalize(
                &json!({"to": "4915112345678", "reaction": {"message_id": "wamid.X", "emoji": ""}}),
                None
            )
            .is_ok()
        );
        assert!(
            err(
                json!({"to": "4915112345678", "reaction": {"message_id": "wamid.X", "emoji": "ok"}})
            )
            .contains("not a single emoji")
        );
    }

    #[test]
    fn typos_and_ambiguity_are_reported() {
        assert!(err(json!({"to": "4915112345678", "txt": "hi"})).contains("did you mean `text`"));
        assert!(
            err(json!({"to": "4915112345678", "text": "hi", "image": {"id": "1"}}))
                .contains("several bodies")
        );
        assert!(
            err(json!({"to": "4915112345678", "type": "image", "text": "hi"}))
                .contains("`image` is missing")
        );
    }

    #[test]
    fn media_may_name_a_local_file_for_media_to_upload() {
        let body = ok(json!({"to": "4915112345678", "image": {"file": "cat.png", "caption": "c"}}));
        assert_eq!(body["image"], json!({"file": "cat.png", "caption": "c"}));
        assert!(
            err(json!({"to": "4915112345678", "image": {"file": "a.png", "id": "1"}}))
                .contains("has both `id` and `file`")
        );
        assert!(
            err(json!({"to": "4915112345678", "image": {"file": ""}}))
                .contains("`image.file` must be the path of a local file")
        );
    }

    #[test]
    fn contact_shorthand_expands() {
        let body = ok(
            json!({"to": "4915112345678", "contacts": {"name": "Ada Lovelace", "phone": "+441234567"}}),
        );
        assert_eq!(
            body["contacts"],
            json!([{"name": {"formatted_name": "Ada Lovelace", "first_name": "Ada"}, "phones": [{"phone": "+441234567"}]}])
        );
    }
}
