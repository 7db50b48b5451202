//! Builds the Graph API's `template` object from what a person gives: `send`'s flags
//! (`--param`, `--header-image`, `--button-param`, ...) or a handler reply's short form
//! (`{"template": "order_update", "lang": "de", "params": {...}, "header": {...}}`).
//! Button values are left without `sub_type` when it was not said: the check against the
//! cached template completes them (see `check`).

use serde_json::{Map, Value, json};

use crate::message::Invalid;

/// The parts of a template message before it is shaped.
#[derive(Clone, Debug, Default)]
pub(crate) struct Fill {
    /// The header's one parameter object (`{"type":"text",...}`, `{"type":"image",...}`).
    pub header: Option<Value>,
    /// Body parameters: the name (for named templates) and the parameter object.
    pub params: Vec<(Option<String>, Value)>,
    /// Button components, each with its index.
    pub buttons: Vec<Value>,
}

impl Fill {
    /// `{"name", "language": {"code"}, "components": [...]}`.
    pub(crate) fn into_template(self, name: &str, language: &str) -> Value {
        let mut components = Vec::new();
        if let Some(header) = self.header {
            components.push(json!({"type": "header", "parameters": [header]}));
        }
        if !self.params.is_empty() {
            let parameters: Vec<Value> = self
                .params
                .into_iter()
                .map(|(name, mut param)| {
                    if let Some(name) = name {
                        param["parameter_name"] = json!(name);
                    }
                    param
                })
                .collect();
            components.push(json!({"type": "body", "parameters": parameters}));
        }
        components.extend(self.buttons);
        let mut template = json!({"name": name, "language": {"code": language}});
        if !components.is_empty() {
            template["components"] = Value::Array(components);
        }
        template
    }
}

/// A text parameter.
pub(crate) fn text(value: &str) -> Value {
    json!({"type": "text", "text": value})
}

/// `CODE:AMOUNT[:FALLBACK]` (`EUR:12.50`) as a currency parameter.
pub(crate) fn currency(given: &str) -> Result<Value, String> {
    let mut parts = given.splitn(3, ':');
    let code = parts.next().unwrap_or_default().trim().to_ascii_uppercase();
    let amount = parts.next().unwrap_or_default().trim();
    let Ok(number) = amount.parse::<f64>() else {
        return Err(format!(
            "{given:?} is not CODE:AMOUNT[:SHOWN], such as EUR:12.50 or \"USD:100.99:\\$100.99\""
        ));
    };
    let fallback = parts
        .next()
        .map(str::to_string)
        .unwrap_or_else(|| format!("{amount} {code}"));
    Ok(json!({"type": "currency", "currency": {
        "fallback_value": fallback, "code": code, "amount_1000": (number * 1000.0).round() as i64}}))
}

/// A date-time parameter (WhatsApp shows `fallback_value` as given).
pub(crate) fn date_time(shown: &str) -> Value {
    json!({"type": "date_time", "date_time": {"fallback_value": shown}})
}

/// A media header's object from `FILE`, an http(s) URL, or a media id (digits).
pub(crate) fn media_object(given: &str) -> Value {
    if given.starts_with("https://") || given.starts_with("http://") {
        json!({"link": given})
    } else if !given.is_empty() && given.bytes().all(|b| b.is_ascii_digit()) {
        json!({"id": given})
    } else {
        json!({"file": given})
    }
}

/// A button component for `INDEX:VALUE`; VALUE may start with `payload:`, `url:`,
/// `coupon:` or `flow:` to say the button's kind when the template is not cached.
pub(crate) fn button(given: &str) -> Result<Value, String> {
    let Some((index, value)) = given.split_once(':') else {
        return Err(format!(
            "{given:?} is not INDEX:VALUE, such as 0:ORDER-42 (the button's position, from 0)"
        ));
    };
    let index: usize = index
        .trim()
        .parse()
        .ok()
        .filter(|i| *i < 10)
        .ok_or_else(|| format!("{given:?}: the index must be a button's position, 0 to 9"))?;
    let explicit = [
        ("payload:", "quick_reply"),
        ("url:", "url"),
        ("coupon:", "copy_code"),
        ("flow:", "flow"),
    ]
    .into_iter()
    .find_map(|(prefix, sub_type)| value.strip_prefix(prefix).map(|rest| (sub_type, rest)));
    let mut component = json!({"type": "button", "index": index.to_string(),
        "parameters": [text(explicit.map_or(value, |(_, rest)| rest))]});
    if let Some((sub_type, _)) = explicit {
        component["sub_type"] = json!(sub_type);
        complete_explicit(&mut component, sub_type);
    }
    Ok(component)
}

fn complete_explicit(component: &mut Value, sub_type: &str) {
    let value = component["parameters"][0]["text"].clone();
    let param = match sub_type {
        "quick_reply" => json!({"type": "payload", "payload": value}),
        "copy_code" => json!({"type": "coupon_code", "coupon_code": value}),
        "flow" => json!({"type": "action", "action": {"flow_token": value}}),
        _ => return,
    };
    component["parameters"] = json!([param]);
}

/// Whether `--param` text reads as `name=value` with a parameter name before `=`.
pub(crate) fn split_named(given: &str) -> Option<(&str, &str)> {
    let (name, value) = given.split_once('=')?;
    let valid = !name.is_empty()
        && name.len() <= 64
        && name.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    valid.then_some((name, value))
}

fn bad(field: &str, problem: impl Into<String>) -> Invalid {
    Invalid {
        field: field.to_string(),
        problem: problem.into(),
    }
}

/// Keys of a reply's short form beside `template`.
pub(crate) const SHORT_FORM_KEYS: [&str; 5] = ["lang", "language", "params", "header", "buttons"];

/// A reply whose `template` is a name (the short form) in Meta's shape; `None` for any
/// other message.
pub(crate) fn expand_short_form(message: &Value) -> Result<Option<Value>, Invalid> {
    let Some(fields) = message.as_object() else {
        return Ok(None);
    };
    let Some(Value::String(name)) = fields.get("template") else {
        // Meta's shape: the short-form keys beside it would be lost, so they are refused.
        if fields.get("template").is_some_and(Value::is_object)
            && let Some(key) = SHORT_FORM_KEYS.iter().find(|k| fields.contains_key(**k))
        {
            return Err(bad(
                key,
                "belongs to the short form `\"template\": \"NAME\"`; with a template object, put it inside as Meta's components",
            ));
        }
        return Ok(None);
    };
    let language = match fields.get("lang").or(fields.get("language")) {
        None => "en_US".to_string(),
        Some(Value::String(code)) => code.clone(),
        Some(Value::Object(object)) if object["code"].is_string() => {
            object["code"].as_str().unwrap_or_default().to_string()
        }
        Some(_) => {
            return Err(bad(
                "lang",
                "must be a language code such as \"en_US\" or \"de\"",
            ));
        }
    };
    let mut fill = Fill::default();
    match fields.get("params") {
        None | Some(Value::Null) => {}
        Some(Value::Array(values)) => {
            for (i, value) in values.iter().enumerate() {
                fill.params
                    .push((None, param_value(&format!("params[{i}]"), value)?));
            }
        }
        Some(Value::Object(named)) => {
            for (name, value) in named {
                fill.params.push((
                    Some(name.clone()),
                    param_value(&format!("params.{name}"), value)?,
                ));
            }
        }
        Some(_) => {
            return Err(bad(
                "params",
                "must be an object of named parameters ({\"name\":\"Ada\"}) or an array of positional ones",
            ));
        }
    }
    fill.header = match fields.get("header") {
        None | Some(Value::Null) => None,
        Some(Value::String(text)) => Some(self::text(text)),
        Some(Value::Object(header)) => Some(header_value(header)?),
        Some(_) => {
            return Err(bad(
                "header",
                "must be text, or {\"image\":{...}}, {\"location\":{...}}, ...",
            ));
        }
    };
    match fields.get("buttons") {
        None | Some(Value::Null) => {}
        Some(Value::Object(buttons)) => {
            for (index, value) in buttons {
                fill.buttons.push(button_value(index, value)?);
            }
        }
        Some(Value::Array(buttons)) => {
            for (i, value) in buttons.iter().enumerate() {
                let index = match &value["index"] {
                    Value::Number(n) => n.to_string(),
                    Value::String(s) => s.clone(),
                    _ => {
                        return Err(bad(
                            &format!("buttons[{i}].index"),
                            "is missing: the button's position, from 0",
                        ));
                    }
                };
                let mut value = value.clone();
                value.as_object_mut().map(|o| o.remove("index"));
                fill.buttons.push(button_value(&index, &value)?);
            }
        }
        Some(_) => {
            return Err(bad(
                "buttons",
                "must be an object such as {\"0\":\"ORDER-42\"}",
            ));
        }
    }
    let mut expanded: Map<String, Value> = fields
        .iter()
        .filter(|(k, _)| !SHORT_FORM_KEYS.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    expanded.insert("template".into(), fill.into_template(name, &language));
    Ok(Some(Value::Object(expanded)))
}

fn param_value(field: &str, value: &Value) -> Result<Value, Invalid> {
    Ok(match value {
        Value::String(text) => self::text(text),
        Value::Number(n) => self::text(&n.to_string()),
        Value::Object(object) if object.contains_key("type") => value.clone(),
        Value::Object(object) if object.contains_key("currency") => {
            json!({"type": "currency", "currency": object["currency"]})
        }
        Value::Object(object) if object.contains_key("date_time") => {
            json!({"type": "date_time", "date_time": object["date_time"]})
        }
        _ => {
            return Err(bad(
                field,
                "must be text, {\"currency\":{...}} or {\"date_time\":{...}}",
            ));
        }
    })
}

fn header_value(header: &Map<String, Value>) -> Result<Value, Invalid> {
    let kinds = ["text", "image", "video", "document", "location"];
    let present: Vec<&str> = kinds
        .into_iter()
        .filter(|k| header.contains_key(*k))
        .collect();
    let [kind] = present.as_slice() else {
        return Err(bad(
            "header",
            "needs exactly one of text, image, video, document, location",
        ));
    };
    Ok(match (*kind, &header[*kind]) {
        ("text", Value::String(text)) => self::text(text),
        ("location", Value::Object(_)) => {
            json!({"type": "location", "location": header["location"]})
        }
        (media, Value::String(given)) if media != "text" && media != "location" => {
            json!({"type": media, media: media_object(given)})
        }
        (media, Value::Object(_)) if media != "text" => {
            json!({"type": media, media: header[media]})
        }
        (kind, _) => return Err(bad(&format!("header.{kind}"), "has the wrong shape")),
    })
}

fn button_value(index: &str, value: &Value) -> Result<Value, Invalid> {
    let field = format!("buttons.{index}");
    let position: usize = index
        .parse()
        .ok()
        .filter(|i| *i < 10)
        .ok_or_else(|| bad(&field, "must be named by the button's position, 0 to 9"))?;
    let index = position.to_string();
    Ok(match value {
        Value::String(text) => {
            json!({"type": "button", "index": index, "parameters": [self::text(text)]})
        }
        Value::Object(object) => {
            let (sub_type, param) = if let Some(payload) = object.get("payload") {
                (
                    "quick_reply",
                    json!({"type": "payload", "payload": payload}),
                )
            } else if let Some(code) = object.get("coupon_code") {
                (
                    "copy_code",
                    json!({"type": "coupon_code", "coupon_code": code}),
                )
            } else if let Some(token) = object.get("flow_token") {
                let mut action = json!({"flow_token": token});
                if let Some(data) = object.get("flow_action_data") {
                    action["flow_action_data"] = data.clone();
                }
                ("flow", json!({"type": "action", "action": action}))
            } else if let Some(text) = object.get("text") {
                ("url", json!({"type": "text", "text": text}))
            } else {
                return Err(bad(
                    &field,
                    "needs text, payload, coupon_code or flow_token",
                ));
            };
            json!({"type": "button", "sub_type": sub_type, "index": index, "parameters": [param]})
        }
        _ => {
            return Err(bad(
                &field,
                "must be the button's value as text, or an object",
            ));
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_short_form_becomes_metas_shape() {
        let expanded = expand_short_form(&json!({"to": "4915112345678", "template": "order_update", "lang": "de",
            "params": {"name": "Ada", "total": {"currency": {"fallback_value": "12,50 €", "code": "EUR", "amount_1000": 12500}}},
            "header": {"image": {"file": "receipt.png"}}, "buttons": {"0": "ORDER-42"}}))
        .unwrap()
        .unwrap();
        assert_eq!(
            expanded,
            json!({"to": "4915112345678", "template": {"name": "order_update", "language": {"code": "de"},
                "components": [
                    {"type": "header", "parameters": [{"type": "image", "image": {"file": "receipt.png"}}]},
                    {"type": "body", "parameters": [
                        {"type": "text", "text": "Ada", "parameter_name": "name"},
                        {"type": "currency", "currency": {"fallback_value": "12,50 €", "code": "EUR", "amount_1000": 12500}, "parameter_name": "total"}]},
                    {"type": "button", "index": "0", "parameters": [{"type": "text", "text": "ORDER-42"}]}]}})
        );
        assert!(expand_short_form(&json!({"text": "hi"})).unwrap().is_none());
        let err = expand_short_form(&json!({"template": {"name": "x"}, "params": []})).unwrap_err();
        assert_eq!(err.field, "params");
    }

    #[test]
    fn flag_values_parse() {
        assert_eq!(
            currency("eur:12.5").unwrap()["currency"],
            json!({"fallback_value": "12.5 EUR", "code": "EUR", "amount_1000": 12500})
        );
        assert!(currency("12.50").is_err());
        assert_eq!(split_named("order_id=42"), Some(("order_id", "42")));
        assert_eq!(split_named("2+2=4"), None);
        assert_eq!(button("1:payload:stop").unwrap()["sub_type"], "quick_reply");
        assert!(button("10:x").is_err());
        assert_eq!(media_object("12345")["id"], "12345");
        assert_eq!(media_object("cat.png")["file"], "cat.png");
    }
}
