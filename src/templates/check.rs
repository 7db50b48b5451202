//! Checks a template message (the Graph API's `template` object) against the cached
//! template before anything is sent (TEMPLATES.md §3 and §7): the status, every
//! component's parameters by number, name and kind, the lengths, the header's format and
//! the buttons. What Meta documents is refused (exit 2 in `send`, an invalid line for a
//! handler); what is unconfirmed is only warned about.

use serde_json::{Value, json};

use super::spec::{Button, Format, Header, Spec};
use crate::message::Invalid;

/// Header text parameters (TEMPLATES.md §3.3).
const HEADER_TEXT_MAX: usize = 60;
/// Body text parameters, and when the body is the template's only component (§3.4).
const BODY_TEXT_MAX: usize = 1024;
const BODY_ONLY_TEXT_MAX: usize = 32768;
/// A URL button's whole URL (§3.5), a coupon code (§3.5, the safer of two figures).
const URL_MAX: usize = 2000;
const COUPON_MAX: usize = 15;

fn invalid(spec: &Spec, field: impl Into<String>, problem: impl std::fmt::Display) -> Invalid {
    Invalid {
        field: field.into(),
        problem: format!("{problem} (template `{}`, {})", spec.name, spec.language),
    }
}

/// Checks `template` against `spec`, completing button components that name no
/// `sub_type` (the short forms) from the template's buttons. Returns warnings.
pub(crate) fn check(spec: &Spec, template: &mut Value) -> Result<Vec<String>, Invalid> {
    let mut warnings = Vec::new();
    if spec.status != "APPROVED" {
        return Err(invalid(
            spec,
            "template",
            format!(
                "is {}: only APPROVED templates can be sent (if that is out of date, `wa-cloud templates sync` refreshes the cache)",
                spec.status
            ),
        ));
    }
    let mut components = match template.get_mut("components") {
        Some(Value::Array(components)) => std::mem::take(components),
        _ => Vec::new(),
    };
    let mut header = None;
    let mut body = None;
    let mut buttons_seen: Vec<usize> = Vec::new();
    for component in &mut components {
        let kind = component["type"]
            .as_str()
            .unwrap_or_default()
            .to_ascii_lowercase();
        match kind.as_str() {
            "header" if header.is_none() => header = Some(component.clone()),
            "body" if body.is_none() => body = Some(component.clone()),
            "header" | "body" => {
                return Err(invalid(
                    spec,
                    kind,
                    "is given twice: send one component of each kind",
                ));
            }
            "button" => {
                let index = check_button(spec, component, &mut warnings)?;
                if buttons_seen.contains(&index) {
                    return Err(invalid(spec, format!("button {index}"), "is given twice"));
                }
                buttons_seen.push(index);
            }
            other if spec.unchecked.iter().any(|u| u == other) => {
                warnings.push(format!(
                    "template `{}`: the {other} component is sent as given, unchecked",
                    spec.name
                ));
            }
            other => {
                return Err(invalid(
                    spec,
                    format!("{other} component"),
                    "is not part of the template: send header, body and button components it has",
                ));
            }
        }
    }
    check_header(spec, header.as_ref(), &mut warnings)?;
    check_body(spec, body.as_ref(), &mut warnings)?;
    for button in spec.buttons.iter().filter(|b| b.needs_value()) {
        if !buttons_seen.contains(&button.index) {
            return Err(invalid(
                spec,
                format!("button {}", button.index),
                format!(
                    "({} \"{}\") needs a value: give --button-param {}:VALUE, or \"buttons\":{{\"{}\":\"VALUE\"}} in a reply",
                    button.kind, button.text, button.index, button.index
                ),
            ));
        }
    }
    if !components.is_empty() {
        template["components"] = Value::Array(components);
    }
    Ok(warnings)
}

/// Without a cached template: button components that name no `sub_type` are URL buttons,
/// the only kind whose value can be told without the template.
pub(crate) fn fill_defaults(template: &mut Value) {
    // `get_mut`: indexing would add `"components": null`, which Meta refuses.
    let components = template.get_mut("components").and_then(Value::as_array_mut);
    for component in components.into_iter().flatten() {
        if component["type"] == "button" && component.get("sub_type").is_none() {
            component["sub_type"] = json!("url");
        }
    }
}

fn parameters(component: Option<&Value>) -> &[Value] {
    component
        .and_then(|c| c["parameters"].as_array())
        .map_or(&[], Vec::as_slice)
}

fn check_header(
    spec: &Spec,
    sent: Option<&Value>,
    warnings: &mut Vec<String>,
) -> Result<(), Invalid> {
    let given = parameters(sent);
    match &spec.header {
        None | Some(Header::Text { .. }) if given.is_empty() => {
            if let Some(Header::Text { params, .. }) = &spec.header
                && !params.is_empty()
            {
                return Err(invalid(
                    spec,
                    "header",
                    format!(
                        "needs a text parameter ({{{{{}}}}} in \"{}\"): give --header TEXT, or \"header\":\"TEXT\" in a reply",
                        params[0],
                        header_text(spec)
                    ),
                ));
            }
            Ok(())
        }
        None => Err(invalid(
            spec,
            "header",
            "is given, but the template has no header",
        )),
        Some(Header::Text { params, .. }) => {
            if given.len() != params.len() {
                return Err(invalid(
                    spec,
                    "header",
                    format!(
                        "has {} parameters; the template's header \"{}\" takes {}",
                        given.len(),
                        header_text(spec),
                        params.len()
                    ),
                ));
            }
            for (param, name) in given.iter().zip(params) {
                let field = format!("header parameter {{{{{name}}}}}");
                if param["type"] != "text" {
                    return Err(invalid(
                        spec,
                        field,
                        format!("must be text, not {}", param["type"]),
                    ));
                }
                if spec.format == Format::Named {
                    check_name(spec, &field, param, name)?;
                }
                check_text(
                    spec,
                    &field,
                    param["text"].as_str(),
                    HEADER_TEXT_MAX,
                    warnings,
                )?;
            }
            Ok(())
        }
        Some(Header::Media(_)) | Some(Header::Location) if given.is_empty() => {
            let format = match &spec.header {
                Some(Header::Media(format)) => format.as_str(),
                _ => "location",
            };
            let how = if format == "location" {
                "--header-location LAT,LON".to_string()
            } else {
                format!("--header-{format} FILE|URL|ID")
            };
            Err(invalid(
                spec,
                "header",
                format!(
                    "needs {} {format}: give {how}, or \"header\":{{\"{format}\":{{...}}}} in a reply",
                    article(format)
                ),
            ))
        }
        Some(header) => {
            let format = match header {
                Header::Media(format) => format.as_str(),
                _ => "location",
            };
            let [param] = given else {
                return Err(invalid(
                    spec,
                    "header",
                    format!(
                        "has {} parameters; a {format} header takes one",
                        given.len()
                    ),
                ));
            };
            let kind = param["type"].as_str().unwrap_or_default();
            // A GIF header is sent as a video (unconfirmed): accept either.
            let fits = kind == format || (format == "gif" && kind == "video");
            if !fits {
                return Err(invalid(
                    spec,
                    "header",
                    format!(
                        "is {} {kind} parameter; the template's header is {} {format}",
                        article(kind),
                        article(format)
                    ),
                ));
            }
            let object = &param[kind];
            if format == "location" {
                for key in ["latitude", "longitude"] {
                    if !(object[key].is_number() || object[key].is_string()) {
                        return Err(invalid(
                            spec,
                            format!("header location.{key}"),
                            "is missing",
                        ));
                    }
                }
                for key in ["name", "address"] {
                    if object.get(key).is_none() {
                        warnings.push(format!(
                            "template `{}`: the location header has no {key} (some clients show it empty)",
                            spec.name
                        ));
                    }
                }
            } else {
                let sources = ["id", "link", "file"]
                    .iter()
                    .filter(|k| object[**k].is_string())
                    .count();
                if sources != 1 {
                    return Err(invalid(
                        spec,
                        format!("header {format}"),
                        "needs one of `id` (an uploaded media id), `link` (an http(s) URL) or `file` (a local file)",
                    ));
                }
                if object.get("caption").is_some() {
                    return Err(invalid(
                        spec,
                        format!("header {format}.caption"),
                        "is not supported in template headers",
                    ));
                }
            }
            Ok(())
        }
    }
}

fn article(word: &str) -> &'static str {
    match word.chars().next() {
        Some('a' | 'e' | 'i' | 'o' | 'u') => "an",
        _ => "a",
    }
}

fn header_text(spec: &Spec) -> &str {
    match &spec.header {
        Some(Header::Text { text, .. }) => text,
        _ => "",
    }
}

fn check_body(
    spec: &Spec,
    sent: Option<&Value>,
    warnings: &mut Vec<String>,
) -> Result<(), Invalid> {
    let given = parameters(sent);
    let expected = &spec.body_params;
    let max = if spec.body_only() {
        BODY_ONLY_TEXT_MAX
    } else {
        BODY_TEXT_MAX
    };
    let list = |names: &[String]| {
        names
            .iter()
            .map(|n| format!("{{{{{n}}}}}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    match spec.format {
        Format::Positional => {
            if given.len() != expected.len() {
                return Err(invalid(
                    spec,
                    "body",
                    format!(
                        "has {} parameters; the template's body takes {}{}",
                        given.len(),
                        expected.len(),
                        if expected.is_empty() {
                            String::new()
                        } else {
                            format!(
                                " ({}): give them in this order with --param",
                                list(expected)
                            )
                        }
                    ),
                ));
            }
            for (param, name) in given.iter().zip(expected) {
                if param.get("parameter_name").is_some() {
                    return Err(invalid(
                        spec,
                        format!("body parameter {{{{{name}}}}}"),
                        "has a parameter_name, but the template's parameters are positional: give values in order, without NAME=",
                    ));
                }
                check_value(
                    spec,
                    &format!("body parameter {{{{{name}}}}}"),
                    param,
                    max,
                    warnings,
                )?;
            }
        }
        Format::Named => {
            let mut seen: Vec<&str> = Vec::new();
            for param in given {
                let Some(name) = param["parameter_name"].as_str() else {
                    return Err(invalid(
                        spec,
                        "body parameter",
                        format!(
                            "has no parameter_name; the template's parameters are named ({}): give --param NAME=VALUE",
                            list(expected)
                        ),
                    ));
                };
                let field = format!("body parameter {{{{{name}}}}}");
                if !expected.iter().any(|e| e == name) {
                    return Err(invalid(
                        spec,
                        field,
                        format!("is not in the template; its body takes {}", list(expected)),
                    ));
                }
                if seen.contains(&name) {
                    return Err(invalid(spec, field, "is given twice"));
                }
                seen.push(name);
                check_value(spec, &field, param, max, warnings)?;
            }
            let missing: Vec<String> = expected
                .iter()
                .filter(|e| !seen.contains(&e.as_str()))
                .cloned()
                .collect();
            if !missing.is_empty() {
                return Err(invalid(
                    spec,
                    format!("body parameter {}", list(&missing)),
                    "is missing: give --param NAME=VALUE for each",
                ));
            }
        }
    }
    Ok(())
}

fn check_name(spec: &Spec, field: &str, param: &Value, name: &str) -> Result<(), Invalid> {
    match param["parameter_name"].as_str() {
        Some(given) if given == name => Ok(()),
        Some(given) => Err(invalid(
            spec,
            field,
            format!("is named {given:?}; the template calls it {name:?}"),
        )),
        None => Err(invalid(
            spec,
            field,
            format!("needs \"parameter_name\":\"{name}\""),
        )),
    }
}

fn check_value(
    spec: &Spec,
    field: &str,
    param: &Value,
    max: usize,
    warnings: &mut Vec<String>,
) -> Result<(), Invalid> {
    match param["type"].as_str().unwrap_or_default() {
        "text" => check_text(spec, field, param["text"].as_str(), max, warnings),
        "currency" => {
            let currency = &param["currency"];
            if !currency["fallback_value"].is_string() {
                return Err(invalid(
                    spec,
                    format!("{field} currency.fallback_value"),
                    "is missing: the text shown",
                ));
            }
            let code = currency["code"].as_str().unwrap_or_default();
            if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_uppercase()) {
                return Err(invalid(
                    spec,
                    format!("{field} currency.code"),
                    format!("is {code:?}: give an ISO 4217 code such as EUR or USD"),
                ));
            }
            if !currency["amount_1000"].is_i64() {
                return Err(invalid(
                    spec,
                    format!("{field} currency.amount_1000"),
                    "must be the amount times 1000, as an integer",
                ));
            }
            Ok(())
        }
        "date_time" => match param["date_time"]["fallback_value"].as_str() {
            Some(_) => Ok(()),
            None => Err(invalid(
                spec,
                format!("{field} date_time.fallback_value"),
                "is missing: the text shown",
            )),
        },
        other => Err(invalid(
            spec,
            field,
            format!("has type {other:?}; body parameters are text, currency or date_time"),
        )),
    }
}

fn check_text(
    spec: &Spec,
    field: &str,
    text: Option<&str>,
    max: usize,
    warnings: &mut Vec<String>,
) -> Result<(), Invalid> {
    let Some(text) = text else {
        return Err(invalid(spec, field, "needs a `text`"));
    };
    if text.trim().is_empty() {
        return Err(invalid(
            spec,
            field,
            "is empty: WhatsApp refuses empty parameters",
        ));
    }
    let length = text.chars().count();
    if length > max {
        return Err(invalid(
            spec,
            field,
            format!("is {length} characters long; at most {max} are allowed"),
        ));
    }
    // Meta's error text says so (TEMPLATES.md §3.8); the rule's own documentation is
    // unconfirmed: warn, and let Meta decide.
    if text.contains(['\n', '\t']) || text.contains("     ") {
        warnings.push(format!(
            "template `{}`: {field} has a newline, a tab or more than 4 spaces in a row, which Meta may refuse (#132018)",
            spec.name
        ));
    }
    Ok(())
}

/// Checks one button component, completing its `sub_type` and parameter type from the
/// template when it names none. Returns its index.
fn check_button(
    spec: &Spec,
    component: &mut Value,
    warnings: &mut Vec<String>,
) -> Result<usize, Invalid> {
    let index = match &component["index"] {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    };
    let Some(index) = index.map(|i| i as usize) else {
        return Err(invalid(
            spec,
            "button index",
            format!(
                "is {}: give the button's position, 0 to 9",
                component["index"]
            ),
        ));
    };
    let Some(button) = spec.buttons.get(index) else {
        return Err(invalid(
            spec,
            format!("button {index}"),
            format!(
                "is not in the template, which has {} button{} (indexes start at 0)",
                spec.buttons.len(),
                if spec.buttons.len() == 1 { "" } else { "s" }
            ),
        ));
    };
    let field = format!("button {index}");
    if !button.takes_value() {
        return Err(invalid(
            spec,
            field,
            format!(
                "({} \"{}\") takes no value at send time",
                button.kind, button.text
            ),
        ));
    }
    if component.get("sub_type").is_none() {
        complete(button, component);
    }
    let sub_type = component["sub_type"]
        .as_str()
        .unwrap_or_default()
        .to_ascii_lowercase();
    if sub_type != button.sub_type() {
        return Err(invalid(
            spec,
            field,
            format!(
                "is sent as {sub_type:?}; the template's button {index} is {} \"{}\"",
                button.kind, button.text
            ),
        ));
    }
    let param = &component["parameters"][0];
    match sub_type.as_str() {
        "url" => {
            let Some(value) = param["text"].as_str().filter(|v| !v.is_empty()) else {
                return Err(invalid(
                    spec,
                    field,
                    "needs the URL's variable part as {\"type\":\"text\",\"text\":...}",
                ));
            };
            let base = button.url.as_deref().unwrap_or_default();
            let whole = base.replace("{{1}}", value).chars().count();
            if whole > URL_MAX {
                return Err(invalid(
                    spec,
                    field,
                    format!("makes a URL of {whole} characters; at most {URL_MAX} are allowed"),
                ));
            }
            if value.contains(|c: char| c.is_whitespace() || "\"<>#{}|\\^`".contains(c)) {
                warnings.push(format!(
                    "template `{}`: {field}'s value {value:?} has characters that belong percent-encoded in a URL",
                    spec.name
                ));
            }
        }
        "copy_code" => {
            let code = param["coupon_code"].as_str().unwrap_or_default();
            if code.is_empty() {
                return Err(invalid(spec, field, "needs a coupon code"));
            }
            let length = code.chars().count();
            if length > COUPON_MAX {
                return Err(invalid(
                    spec,
                    field,
                    format!(
                        "has a coupon code of {length} characters; at most {COUPON_MAX} are allowed"
                    ),
                ));
            }
        }
        "quick_reply" if !param["payload"].is_string() => {
            return Err(invalid(
                spec,
                field,
                "needs a payload: {\"type\":\"payload\",\"payload\":...}",
            ));
        }
        _ => {}
    }
    Ok(index)
}

/// A short-form button value (a text parameter, no sub_type) in the shape its button takes.
fn complete(button: &Button, component: &mut Value) {
    let sub_type = button.sub_type();
    component["sub_type"] = json!(sub_type);
    let Some(value) = component["parameters"][0]["text"]
        .as_str()
        .map(str::to_string)
    else {
        return;
    };
    let param = match sub_type.as_str() {
        "quick_reply" => json!({"type": "payload", "payload": value}),
        "copy_code" => json!({"type": "coupon_code", "coupon_code": value}),
        "flow" => json!({"type": "action", "action": {"flow_token": value}}),
        "catalog" | "mpm" => {
            json!({"type": "action", "action": {"thumbnail_product_retailer_id": value}})
        }
        _ => return,
    };
    component["parameters"] = json!([param]);
}
