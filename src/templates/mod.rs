//! Message templates: the `wa-cloud templates` commands, the cache they fill, and the
//! check of every template message against it before it is sent (`send --template`,
//! `--raw`, and handler replies in Meta's shape or the short form).
//!
//! The cache is the `templates` table (`store::templates`). It is filled by `templates
//! sync` (and `list`), updated by the template webhooks that `serve` receives
//! ([`apply_webhook`]), and refreshed when Meta refuses a send because a template changed
//! ([`refreshes_after`]). A template that is not cached is sent unchecked: the cache is a
//! help, never a gate.

pub(crate) mod check;
pub(crate) mod compose;
mod create;
pub(crate) mod spec;

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, Result};
use serde_json::{Value, json};

use crate::cli::TemplatesCommand;
use crate::config::{Config, GraphConfig};
use crate::graph::Client;
use crate::message::Invalid;
use crate::store::Store;
use crate::store::templates::{TemplateChange, TemplateRow};

pub(crate) use create::check as check_create;
pub(crate) use spec::Spec;

/// What the check of a template message found.
#[derive(Debug, PartialEq)]
pub(crate) enum Prepared {
    /// Checked against the cached template; warnings for what is unconfirmed.
    Checked(Vec<String>),
    /// Not in the cache: sent as given.
    NotCached,
}

/// Checks a template message (a whole Graph API message body, as `message::normalize`
/// returns it) against the cache, and completes what the short forms left open.
/// Anything else passes untouched.
pub(crate) fn prepare(
    store: Option<&Store>,
    waba_id: Option<&str>,
    body: &mut Value,
) -> Result<Prepared, Invalid> {
    if body["type"] != "template" {
        return Ok(Prepared::Checked(Vec::new()));
    }
    let template = &mut body["template"];
    let name = template["name"].as_str().unwrap_or_default().to_string();
    let language = template["language"]["code"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let cached = match store {
        Some(store) => store.templates_named(waba_id, &name).unwrap_or_else(|err| {
            tracing::warn!("cannot read the templates cache: {err:#}; `{name}` is sent unchecked");
            Vec::new()
        }),
        None => Vec::new(),
    };
    if cached.is_empty() {
        check::fill_defaults(template);
        return Ok(Prepared::NotCached);
    }
    let Some(row) = cached.iter().find(|t| t.language == language) else {
        let languages: Vec<&str> = cached.iter().map(|t| t.language.as_str()).collect();
        return Err(Invalid {
            field: "template.language".into(),
            problem: format!(
                "is {language:?}, but template `{name}` exists in {} only: give --lang {} (a language added since needs `wa-cloud templates sync`)",
                languages.join(", "),
                languages[0]
            ),
        });
    };
    let spec = Spec::from_graph(&row.object);
    check::check(&spec, template).map(Prepared::Checked)
}

/// Error codes of a send refused because of the template (TEMPLATES.md §4): the cache
/// entry may be out of date.
pub(crate) const TEMPLATE_ERRORS: [i64; 7] =
    [132000, 132001, 132005, 132012, 132015, 132016, 132018];

/// After Meta refused a template message with `code`: fetches that template's languages
/// anew into the cache. Returns whether it did.
pub(crate) fn refreshes_after(
    code: Option<i64>,
    body: &Value,
    client: &Client,
    store: &Store,
    waba_id: Option<&str>,
) -> bool {
    let (Some(code), Some(waba_id)) = (code, waba_id) else {
        return false;
    };
    if !TEMPLATE_ERRORS.contains(&code) || body["type"] != "template" {
        return false;
    }
    let Some(name) = body["template"]["name"].as_str() else {
        return false;
    };
    match refresh_one(client, store, waba_id, name) {
        Ok(()) => {
            tracing::info!("template `{name}` refreshed in the cache after Meta's error {code}");
            true
        }
        Err(err) => {
            tracing::warn!("cannot refresh template `{name}` after Meta's error {code}: {err:#}");
            false
        }
    }
}

fn refresh_one(client: &Client, store: &Store, waba_id: &str, name: &str) -> Result<()> {
    // Meta's `name` filter may match parts of names (unconfirmed): filter exactly here.
    let found = client.list_templates_named(waba_id, name)?;
    store.forget_template(waba_id, name)?;
    for object in found.iter().filter(|t| t["name"] == name) {
        if let Some(row) = TemplateRow::from_graph(waba_id, object) {
            store.put_template(&row)?;
        }
    }
    Ok(())
}

/// The webhook fields about templates that `serve` applies to the cache.
pub(crate) const WEBHOOK_FIELDS: [&str; 4] = [
    "message_template_status_update",
    "message_template_quality_update",
    "template_category_update",
    "message_template_components_update",
];

/// Applies one `update` event (docs/PROTOCOL.md: `{"event":"update","field","value"}`)
/// about a template to the cache. Returns the template's id when the cache cannot be
/// updated from the webhook alone (not cached, or its components changed) and the
/// template should be fetched anew.
pub(crate) fn apply_webhook(store: &Store, event: &Value) -> Result<Option<String>> {
    let field = event["field"].as_str().unwrap_or_default();
    if !WEBHOOK_FIELDS.contains(&field) {
        return Ok(None);
    }
    let value = &event["value"];
    let id = match &value["message_template_id"] {
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) => Some(s.clone()),
        _ => None,
    };
    let name = value["message_template_name"].as_str();
    // Webhooks write `en-US` where the API writes `en_US` (TEMPLATES.md §2.3).
    let language = value["message_template_language"]
        .as_str()
        .map(|l| l.replace('-', "_"));
    let upper = |key: &str| value[key].as_str().map(str::to_ascii_uppercase);
    let change = match field {
        "message_template_status_update" => TemplateChange {
            status: upper("event")
                .map(|event| match event.as_str() {
                    // Events that are not statuses of the API (TEMPLATES.md §2.1).
                    "REINSTATED" | "UNARCHIVED" => "APPROVED".to_string(),
                    "FLAGGED" | "LOCKED" => String::new(),
                    _ => event,
                })
                .filter(|s| !s.is_empty()),
            category: upper("message_template_category"),
            ..TemplateChange::default()
        },
        "message_template_quality_update" => TemplateChange {
            quality: upper("new_quality_score"),
            ..TemplateChange::default()
        },
        "template_category_update" => TemplateChange {
            category: upper("new_category"),
            ..TemplateChange::default()
        },
        _ => TemplateChange::default(),
    };
    let changed = store.change_template(id.as_deref(), name, language.as_deref(), &change)?;
    if changed {
        tracing::info!(
            "template `{}` ({}) updated from the {field} webhook",
            name.unwrap_or("?"),
            language.as_deref().unwrap_or("?")
        );
    }
    let fetch = !changed || field == "message_template_components_update";
    Ok(id.filter(|_| fetch))
}

/// What `serve` needs to fetch a template named by a webhook into the cache.
#[derive(Clone)]
pub(crate) struct Refresher {
    graph: GraphConfig,
    waba_id: String,
    db: PathBuf,
}

impl Refresher {
    /// `None` without graphApi.businessAccountId or Graph API settings: webhooks then
    /// update cached rows only.
    pub(crate) fn new(config: &Config) -> Option<Refresher> {
        Some(Refresher {
            graph: config.graph().ok()?,
            waba_id: config.business_account_id().ok()?,
            db: config.media().db_path,
        })
    }

    /// Applies the template webhooks among `events` to the cache, and fetches (on a
    /// thread of its own, so that storing notifications never waits for Meta) the
    /// templates a webhook alone cannot describe.
    pub(crate) fn apply(
        this: Option<&Refresher>,
        store: &Store,
        events: impl Iterator<Item = Value>,
    ) {
        for event in events {
            match apply_webhook(store, &event) {
                Ok(Some(id)) => {
                    if let Some(refresher) = this.cloned() {
                        let _ = std::thread::Builder::new()
                            .name("template-fetch".into())
                            .spawn(move || {
                                if let Err(err) = refresher.fetch(&id) {
                                    tracing::warn!(
                                        "cannot fetch template {id} into the cache: {err:#}"
                                    );
                                }
                            });
                    }
                }
                Ok(None) => {}
                Err(err) => tracing::warn!("cannot update the templates cache: {err:#}"),
            }
        }
    }

    fn fetch(&self, id: &str) -> Result<()> {
        let object = Client::new(&self.graph).get_template(id)?;
        let row = TemplateRow::from_graph(&self.waba_id, &object)
            .with_context(|| format!("template {id} has no name or language"))?;
        Store::open(&self.db)?.put_template(&row)?;
        tracing::info!(
            "template `{}` ({}) fetched into the cache",
            row.name,
            row.language
        );
        Ok(())
    }
}

/// `wa-cloud templates ...`
pub(crate) fn run(
    command: &TemplatesCommand,
    config: &Config,
    json_output: bool,
    out: &mut dyn Write,
) -> Result<()> {
    match command {
        TemplatesCommand::Create { file, check } => {
            create::run(file, *check, config, json_output, out)
        }
        TemplatesCommand::List { status, cached } => {
            let rows = if *cached {
                let db = config.media().db_path;
                match db.is_file() {
                    true => Store::open(&db)?
                        .templates(config.business_account_id_if_set().as_deref())?,
                    false => Vec::new(),
                }
            } else {
                sync(config)?
            };
            let wanted = status.as_deref().map(str::to_ascii_uppercase);
            let rows: Vec<&TemplateRow> = rows
                .iter()
                .filter(|r| wanted.as_ref().is_none_or(|w| &r.status == w))
                .collect();
            list(&rows, json_output, out)
        }
        TemplatesCommand::Sync => {
            let rows = sync(config)?;
            let approved = rows.iter().filter(|r| r.status == "APPROVED").count();
            if json_output {
                writeln!(
                    out,
                    "{}",
                    json!({"synced": rows.len(), "approved": approved})
                )?;
            } else {
                writeln!(out, "{} templates synced, {approved} approved", rows.len())?;
            }
            Ok(())
        }
        TemplatesCommand::Show { name, lang } => {
            show(config, name, lang.as_deref(), json_output, out)
        }
        TemplatesCommand::Delete { name } => {
            check_name(name)?;
            let waba_id = config.business_account_id()?;
            let client = Client::new(&config.graph()?);
            client
                .delete_template(&waba_id, name)
                .with_context(|| format!("template `{name}` was not deleted"))?;
            let db = config.media().db_path;
            if db.is_file() {
                Store::open(&db)?.forget_template(&waba_id, name)?;
            }
            if json_output {
                writeln!(out, "{}", json!({"deleted": name}))?;
            } else {
                writeln!(out, "{name}")?;
            }
            Ok(())
        }
    }
}

fn check_name(name: &str) -> Result<()> {
    if name.is_empty()
        || !name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    {
        crate::usage!(
            "template name {name:?} is not valid: names are lower-case letters, digits and _"
        );
    }
    Ok(())
}

/// Fetches every template into the cache; returns them.
fn sync(config: &Config) -> Result<Vec<TemplateRow>> {
    let waba_id = config.business_account_id()?;
    let client = Client::new(&config.graph()?);
    let objects = client
        .list_templates(&waba_id)
        .context("cannot list the templates")?;
    let rows: Vec<TemplateRow> = objects
        .iter()
        .filter_map(|object| TemplateRow::from_graph(&waba_id, object))
        .collect();
    if rows.len() < objects.len() {
        tracing::warn!(
            "{} templates without name or language were skipped",
            objects.len() - rows.len()
        );
    }
    Store::open(&config.media().db_path)?.replace_templates(&waba_id, &rows)?;
    Ok(rows)
}

fn list(rows: &[&TemplateRow], json_output: bool, out: &mut dyn Write) -> Result<()> {
    if json_output {
        for row in rows {
            writeln!(
                out,
                "{}",
                json!({"name": row.name, "language": row.language, "category": row.category,
                    "status": row.status, "quality": row.quality, "id": row.id})
            )?;
        }
        return Ok(());
    }
    let width = rows.iter().map(|r| r.name.len()).max().unwrap_or(4).max(4);
    writeln!(
        out,
        "{:width$}  {:8}  {:14}  {:16}  QUALITY",
        "NAME", "LANGUAGE", "CATEGORY", "STATUS"
    )?;
    for row in rows {
        writeln!(
            out,
            "{:width$}  {:8}  {:14}  {:16}  {}",
            row.name,
            row.language,
            row.category,
            row.status,
            row.quality.as_deref().unwrap_or("-")
        )?;
    }
    Ok(())
}

fn show(
    config: &Config,
    name: &str,
    lang: Option<&str>,
    json_output: bool,
    out: &mut dyn Write,
) -> Result<()> {
    check_name(name)?;
    let waba_id = config.business_account_id_if_set();
    let db = config.media().db_path;
    let cached = |waba: Option<&str>| -> Result<Vec<TemplateRow>> {
        match db.is_file() {
            true => Store::open(&db)?.templates_named(waba, name),
            false => Ok(Vec::new()),
        }
    };
    let mut found = cached(waba_id.as_deref())?;
    if found.is_empty() {
        // Not cached yet: one sync, then look again.
        sync(config)?;
        found = cached(waba_id.as_deref())?;
    }
    let row = match (lang, found.as_slice()) {
        (_, []) => crate::usage!(
            "there is no template `{name}`: `wa-cloud templates list` shows the templates there are"
        ),
        (None, [one]) => one,
        (Some(lang), rows) => match rows.iter().find(|r| r.language == lang) {
            Some(row) => row,
            None => crate::usage!(
                "template `{name}` has no language {lang:?}; it has {}",
                rows.iter()
                    .map(|r| r.language.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        },
        (None, rows) => crate::usage!(
            "template `{name}` exists in {}: choose one with --lang",
            rows.iter()
                .map(|r| r.language.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    let spec = Spec::from_graph(&row.object);
    let example = example_send(&spec);
    if json_output {
        writeln!(
            out,
            "{}",
            json!({"name": row.name, "language": row.language, "category": row.category, "status": row.status,
                "quality": row.quality, "id": row.id, "parameter_format": match spec.format {
                    spec::Format::Named => "NAMED", spec::Format::Positional => "POSITIONAL" },
                "components": row.object["components"], "example": example})
        )?;
        return Ok(());
    }
    writeln!(
        out,
        "{} ({}): {} {}, quality {}",
        row.name,
        row.language,
        row.status,
        row.category,
        row.quality.as_deref().unwrap_or("unknown")
    )?;
    match &spec.header {
        Some(spec::Header::Text { text, .. }) => writeln!(out, "header:   {text}")?,
        Some(spec::Header::Media(format)) => writeln!(out, "header:   ({format})")?,
        Some(spec::Header::Location) => writeln!(out, "header:   (location)")?,
        None => {}
    }
    writeln!(out, "body:     {}", spec.body.replace('\n', "\n          "))?;
    if let Some(footer) = &spec.footer {
        writeln!(out, "footer:   {footer}")?;
    }
    for button in &spec.buttons {
        let url = button
            .url
            .as_deref()
            .map(|u| format!(" {u}"))
            .unwrap_or_default();
        writeln!(
            out,
            "button {}: {} \"{}\"{url}",
            button.index, button.kind, button.text
        )?;
    }
    for other in &spec.unchecked {
        writeln!(out, "{other}:  (not checked by wa-cloud)")?;
    }
    writeln!(out, "\nsend it:\n  {example}")?;
    Ok(())
}

/// A `send` command line that fills every parameter, with the template's examples where
/// it has them.
pub(crate) fn example_send(spec: &Spec) -> String {
    let mut line = format!("wa-cloud send 4915112345678 --template {}", spec.name);
    if spec.language != "en_US" {
        line.push_str(&format!(" --lang {}", spec.language));
    }
    match &spec.header {
        Some(spec::Header::Text { params, .. }) if !params.is_empty() => {
            let value = spec
                .header_examples
                .first()
                .cloned()
                .unwrap_or_else(|| "TEXT".into());
            line.push_str(&format!(" --header {}", quote(&value)));
        }
        Some(spec::Header::Media(format)) => {
            let file = match format.as_str() {
                "image" => "photo.jpg",
                "document" => "invoice.pdf",
                _ => "clip.mp4",
            };
            let flag = if format == "gif" { "video" } else { format };
            line.push_str(&format!(" --header-{flag} {file}"));
        }
        Some(spec::Header::Location) => {
            line.push_str(" --header-location 52.5163,13.3777 --name 'Brandenburg Gate' --address 'Pariser Platz, Berlin'");
        }
        _ => {}
    }
    for (i, param) in spec.body_params.iter().enumerate() {
        let value = spec.body_example(i);
        match spec.format {
            spec::Format::Named => {
                line.push_str(&format!(" --param {}", quote(&format!("{param}={value}"))))
            }
            spec::Format::Positional => line.push_str(&format!(" --param {}", quote(&value))),
        }
    }
    for button in spec.buttons.iter().filter(|b| b.needs_value()) {
        let value = button.example.clone().unwrap_or_else(|| "VALUE".into());
        let value = match (&button.url, button.kind.as_str()) {
            // The example of a URL button is often the whole URL: keep the variable part.
            (Some(url), _) => {
                let base = url.split("{{").next().unwrap_or_default();
                value.strip_prefix(base).unwrap_or(&value).to_string()
            }
            _ => value,
        };
        line.push_str(&format!(
            " --button-param {}",
            quote(&format!("{}:{value}", button.index))
        ));
    }
    line
}

/// A shell word: as it is when safe, else in single quotes.
fn quote(word: &str) -> String {
    let safe = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.,:/=@+%".contains(c));
    if safe {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_example_fills_every_parameter() {
        let spec = Spec::from_graph(&json!({
        "name": "order_update", "language": "de", "status": "APPROVED", "category": "UTILITY",
        "parameter_format": "NAMED",
        "components": [
            {"type": "HEADER", "format": "IMAGE"},
            {"type": "BODY", "text": "Hallo {{name}}, Bestellung {{order_id}}.",
             "example": {"body_text_named_params": [{"param_name": "name", "example": "Ada Lovelace"},
                                                    {"param_name": "order_id", "example": "42"}]}},
            {"type": "BUTTONS", "buttons": [
                {"type": "URL", "text": "Track", "url": "https://x.com/t/{{1}}", "example": ["https://x.com/t/42"]}]}
        ]}));
        assert_eq!(
            example_send(&spec),
            "wa-cloud send 4915112345678 --template order_update --lang de --header-image photo.jpg \
             --param 'name=Ada Lovelace' --param order_id=42 --button-param 0:42"
        );
    }
}
