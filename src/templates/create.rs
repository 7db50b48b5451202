//! `wa-cloud templates create --file`: a template in Meta's create shape (JSON or YAML),
//! checked locally against the documented limits (TEMPLATES.md §1.4) before it is
//! submitted, so that a mistake costs no review round. Unconfirmed rules only warn.

use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result};
use serde_json::{Value, json};

use super::spec::placeholders;
use crate::config::Config;
use crate::error::UsageError;
use crate::graph::Client;
use crate::store::Store;
use crate::store::templates::TemplateRow;

pub(super) fn run(
    file: &Path,
    check_only: bool,
    config: &Config,
    json_output: bool,
    out: &mut dyn Write,
) -> Result<()> {
    let text = std::fs::read_to_string(file)
        .map_err(|e| UsageError::new(format!("cannot read `{}`: {e}", file.display())))?;
    let template = parse(file, &text)?;
    let warnings = check(&template).map_err(|problems| {
        UsageError::new(format!(
            "`{}` is not a valid template, nothing was submitted:\n  - {}",
            file.display(),
            problems.join("\n  - ")
        ))
    })?;
    for warning in &warnings {
        tracing::warn!("{}: {warning}", file.display());
    }
    let name = template["name"].as_str().unwrap_or_default();
    if check_only {
        writeln!(out, "{name}: ok")?;
        return Ok(());
    }
    let waba_id = config.business_account_id()?;
    let client = Client::new(&config.graph()?);
    let created = client
        .create_template(&waba_id, &template)
        .with_context(|| format!("template `{name}` was not created"))?;
    let requested = template["category"]
        .as_str()
        .unwrap_or_default()
        .to_ascii_uppercase();
    let category = created["category"]
        .as_str()
        .map(str::to_ascii_uppercase)
        .unwrap_or(requested.clone());
    if category != requested {
        tracing::warn!("Meta put template `{name}` in category {category}, not {requested}");
    }
    let mut object = template.clone();
    object["id"] = created["id"].clone();
    object["status"] = json!(created["status"].as_str().unwrap_or("PENDING"));
    object["category"] = json!(category);
    if let Some(row) = TemplateRow::from_graph(&waba_id, &object) {
        Store::open(&config.media().db_path)?.put_template(&row)?;
    }
    if json_output {
        writeln!(
            out,
            "{}",
            json!({"name": name, "id": created["id"], "status": object["status"], "category": category})
        )?;
    } else {
        writeln!(
            out,
            "{} {name} {} (the review's outcome arrives as a message_template_status_update webhook; `wa-cloud templates list` shows it)",
            created["id"].as_str().unwrap_or_default(),
            object["status"].as_str().unwrap_or_default()
        )?;
    }
    Ok(())
}

fn parse(file: &Path, text: &str) -> Result<Value> {
    let json_like = match file.extension().and_then(|e| e.to_str()) {
        Some("json") => true,
        Some("yaml" | "yml") => false,
        _ => text.trim_start().starts_with('{'),
    };
    let parsed = if json_like {
        serde_json::from_str(text).map_err(|e| e.to_string())
    } else {
        serde_yaml::from_str::<Value>(text).map_err(|e| e.to_string())
    };
    let value = parsed.map_err(|e| {
        UsageError::new(format!(
            "`{}` is not valid {}: {e}",
            file.display(),
            if json_like { "JSON" } else { "YAML" }
        ))
    })?;
    if !value.is_object() {
        crate::usage!(
            "`{}` must hold one template object (name, language, category, components)",
            file.display()
        );
    }
    Ok(value)
}

fn upper(value: &Value) -> String {
    value.as_str().unwrap_or_default().to_ascii_uppercase()
}

/// Every problem with a template in Meta's create shape, or the warnings.
pub(crate) fn check(template: &Value) -> Result<Vec<String>, Vec<String>> {
    let mut problems = Vec::new();
    let mut warnings = Vec::new();
    let name = template["name"].as_str().unwrap_or_default();
    if name.is_empty() {
        problems.push("`name` is missing".to_string());
    } else if name.len() > 512
        || !name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    {
        problems.push(format!(
            "`name` {name:?} must be lower-case letters, digits and _ (at most 512), such as order_update"
        ));
    }
    match &template["language"] {
        Value::String(code) if !code.is_empty() => {}
        _ => problems.push("`language` must be a code such as \"en_US\" or \"de\"".to_string()),
    }
    let category = upper(&template["category"]);
    if !["AUTHENTICATION", "MARKETING", "UTILITY"].contains(&category.as_str()) {
        problems.push(format!(
            "`category` is {:?}: give UTILITY, MARKETING or AUTHENTICATION",
            template["category"].as_str().unwrap_or_default()
        ));
    }
    let named = template["parameter_format"]
        .as_str()
        .is_some_and(|f| f.eq_ignore_ascii_case("named"));
    let Some(components) = template["components"].as_array() else {
        problems.push("`components` must be a list with at least a BODY".to_string());
        return Err(problems);
    };
    let kinds: Vec<String> = components.iter().map(|c| upper(&c["type"])).collect();
    let count = |kind: &str| kinds.iter().filter(|k| *k == kind).count();
    if count("BODY") != 1 {
        problems.push(format!(
            "a template needs exactly one BODY component, this one has {}",
            count("BODY")
        ));
    }
    for kind in ["HEADER", "FOOTER", "BUTTONS"] {
        if count(kind) > 1 {
            problems.push(format!("at most one {kind} component"));
        }
    }
    let has_offer = count("LIMITED_TIME_OFFER") > 0;
    for (component, kind) in components.iter().zip(&kinds) {
        let text = component["text"].as_str().unwrap_or_default();
        let length = text.chars().count();
        match kind.as_str() {
            "HEADER" => {
                let format = upper(&component["format"]);
                match format.as_str() {
                    "TEXT" => {
                        if length > 60 {
                            problems
                                .push(format!("HEADER text is {length} characters; at most 60"));
                        }
                        let params = placeholders(text);
                        if params.len() > 1 {
                            problems.push("HEADER text may have at most 1 parameter".to_string());
                        }
                        check_examples(
                            &mut problems,
                            "HEADER",
                            &params,
                            &component["example"],
                            "header_text",
                            "header_text_named_params",
                            named,
                        );
                    }
                    "IMAGE" | "VIDEO" | "DOCUMENT" | "GIF" => {
                        if !component["example"]["header_handle"].is_array() {
                            problems.push(format!(
                                "HEADER {format} needs example.header_handle: a handle from Meta's Resumable Upload API"
                            ));
                        }
                    }
                    "LOCATION" if category == "AUTHENTICATION" => {
                        problems.push(
                            "a LOCATION header is only for UTILITY and MARKETING templates"
                                .to_string(),
                        );
                    }
                    "LOCATION" => {}
                    other => problems.push(format!(
                        "HEADER format {other:?}: give TEXT, IMAGE, VIDEO, DOCUMENT or LOCATION"
                    )),
                }
            }
            "BODY" => {
                let max = if has_offer { 600 } else { 1024 };
                if length > max {
                    problems.push(format!("BODY text is {length} characters; at most {max}"));
                }
                if text.trim().is_empty() {
                    problems.push("BODY needs `text`".to_string());
                }
                let params = placeholders(text);
                check_examples(
                    &mut problems,
                    "BODY",
                    &params,
                    &component["example"],
                    "body_text",
                    "body_text_named_params",
                    named,
                );
                for param in &params {
                    let numeric = param.bytes().all(|b| b.is_ascii_digit());
                    if named && numeric {
                        problems.push(format!("BODY parameter {{{{{param}}}}} is positional, but parameter_format is NAMED"));
                    }
                    if !named && !numeric {
                        problems.push(format!(
                            "BODY parameter {{{{{param}}}}} is named: add \"parameter_format\": \"NAMED\""
                        ));
                    }
                    if !numeric && param.len() > 20 {
                        warnings.push(format!("BODY parameter {{{{{param}}}}} is longer than 20 characters, which some accounts refuse (unconfirmed)"));
                    }
                    if !numeric
                        && !param
                            .bytes()
                            .all(|b| b.is_ascii_lowercase() || b == b'_' || b.is_ascii_digit())
                    {
                        problems.push(format!(
                            "BODY parameter {{{{{param}}}}}: names are lower-case letters and _"
                        ));
                    }
                }
            }
            "FOOTER" => {
                if length > 60 {
                    problems.push(format!("FOOTER text is {length} characters; at most 60"));
                }
                if has_offer {
                    problems.push("a template with a LIMITED_TIME_OFFER has no FOOTER".to_string());
                }
            }
            "BUTTONS" => check_buttons(&mut problems, &component["buttons"]),
            "LIMITED_TIME_OFFER" => {
                if category != "MARKETING" {
                    problems.push("LIMITED_TIME_OFFER is only for MARKETING templates".to_string());
                }
                let offer = component["limited_time_offer"]["text"]
                    .as_str()
                    .unwrap_or_default();
                if offer.chars().count() > 16 {
                    problems
                        .push("LIMITED_TIME_OFFER text is longer than 16 characters".to_string());
                }
            }
            "CAROUSEL" => {
                if category != "MARKETING" {
                    problems.push("CAROUSEL is only for MARKETING templates".to_string());
                }
                let cards = component["cards"].as_array().map_or(0, Vec::len);
                if !(2..=10).contains(&cards) {
                    problems.push(format!("CAROUSEL has {cards} cards; it takes 2 to 10"));
                }
            }
            other => warnings.push(format!("component {other:?} is not checked by wa-cloud")),
        }
    }
    if problems.is_empty() {
        Ok(warnings)
    } else {
        Err(problems)
    }
}

fn check_examples(
    problems: &mut Vec<String>,
    component: &str,
    params: &[String],
    example: &Value,
    positional: &str,
    named_key: &str,
    named: bool,
) {
    if params.is_empty() {
        return;
    }
    if named {
        let given: Vec<&str> = example[named_key]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|p| p["param_name"].as_str())
            .collect();
        for param in params {
            if !given.contains(&param.as_str()) {
                problems.push(format!(
                    "{component} parameter {{{{{param}}}}} needs an example: example.{named_key}: [{{\"param_name\": \"{param}\", \"example\": \"...\"}}]"
                ));
            }
        }
        return;
    }
    let values = match &example[positional] {
        Value::Array(outer) if outer.first().is_some_and(Value::is_array) => {
            outer[0].as_array().map_or(0, Vec::len)
        }
        Value::Array(values) => values.len(),
        _ => 0,
    };
    if values < params.len() {
        problems.push(format!(
            "{component} has {} parameters but {values} example values: give example.{positional} with one value each",
            params.len()
        ));
    }
}

fn check_buttons(problems: &mut Vec<String>, buttons: &Value) {
    let Some(buttons) = buttons.as_array() else {
        problems.push("BUTTONS needs a list of `buttons`".to_string());
        return;
    };
    if buttons.len() > 10 {
        problems.push(format!("{} buttons; at most 10", buttons.len()));
    }
    let kinds: Vec<String> = buttons.iter().map(|b| upper(&b["type"])).collect();
    let count = |kind: &str| kinds.iter().filter(|k| *k == kind).count();
    for (kind, max) in [
        ("URL", 2),
        ("PHONE_NUMBER", 1),
        ("COPY_CODE", 1),
        ("QUICK_REPLY", 10),
    ] {
        if count(kind) > max {
            problems.push(format!("{} {kind} buttons; at most {max}", count(kind)));
        }
    }
    // Quick replies form one group (QR,QR,URL is fine, QR,URL,QR is not).
    let first = kinds.iter().position(|k| k == "QUICK_REPLY");
    let last = kinds.iter().rposition(|k| k == "QUICK_REPLY");
    if let (Some(first), Some(last)) = (first, last)
        && kinds[first..=last].iter().any(|k| k != "QUICK_REPLY")
    {
        problems.push("QUICK_REPLY buttons must be next to each other".to_string());
    }
    for (i, button) in buttons.iter().enumerate() {
        let kind = &kinds[i];
        let text = button["text"].as_str().unwrap_or_default();
        if text.chars().count() > 25 {
            problems.push(format!(
                "button {i} text is {} characters; at most 25",
                text.chars().count()
            ));
        }
        match kind.as_str() {
            "URL" => {
                let url = button["url"].as_str().unwrap_or_default();
                if url.chars().count() > 2000 {
                    problems.push(format!("button {i} url is longer than 2000 characters"));
                }
                let variables = placeholders(url);
                if variables.len() > 1 || (variables.len() == 1 && !url.trim_end().ends_with("}}"))
                {
                    problems.push(format!("button {i} url may have one variable, at its end"));
                }
                let has_example = button["example"].is_array() || button["example"].is_string();
                if !variables.is_empty() && !has_example {
                    problems.push(format!("button {i} url has a variable: give an example, such as \"example\": [\"summer2025\"]"));
                }
            }
            "PHONE_NUMBER" => {
                let phone = button["phone_number"].as_str().unwrap_or_default();
                if phone.is_empty() || phone.len() > 20 {
                    problems.push(format!(
                        "button {i} needs a phone_number of at most 20 characters"
                    ));
                }
            }
            "COPY_CODE" => {
                let example = button["example"].as_str().unwrap_or_default();
                if example.is_empty() || example.chars().count() > 15 {
                    problems.push(format!(
                        "button {i} (COPY_CODE) needs an example code of at most 15 characters"
                    ));
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problems_are_listed_together() {
        let problems = check(&json!({"name": "Order Update", "language": "en_US", "category": "shipping",
            "components": [{"type": "BODY", "text": "Hi {{1}}"},
                {"type": "BUTTONS", "buttons": [{"type": "QUICK_REPLY", "text": "a"}, {"type": "URL", "text": "b", "url": "https://x/{{1}}"},
                                                {"type": "QUICK_REPLY", "text": "c"}]}]}))
        .unwrap_err();
        let all = problems.join("\n");
        for needle in [
            "`name`",
            "`category`",
            "example values",
            "next to each other",
            "give an example",
        ] {
            assert!(all.contains(needle), "{needle}: {all}");
        }
        assert!(check(&json!({"name": "order_update", "language": "en_US", "category": "utility",
            "parameter_format": "named",
            "components": [{"type": "body", "text": "Hi {{name}}",
                "example": {"body_text_named_params": [{"param_name": "name", "example": "Ada"}]}}]}))
        .is_ok());
    }
}
