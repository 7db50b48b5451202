//! The event lines written to a handler: with `--download-media`, a message's media is
//! downloaded first; an event handed over before is marked `"redelivered": true`.

use serde_json::{Value, json};

use super::HandlerSpec;
use crate::store::Store;
use crate::store::inbox::Pending;

/// The event line to write: with `--download-media`, a message's media is downloaded
/// first and `media.file` holds its path; a failed download still delivers the event,
/// without `file`, and logs why.
fn event_line(event: &Pending, spec: &HandlerSpec, store: &Store) -> String {
    let Some(download) = &spec.download else {
        return event.event.clone();
    };
    let Ok(mut value) = serde_json::from_str::<Value>(&event.event) else {
        return event.event.clone();
    };
    let Some(id) = value
        .pointer("/media/id")
        .and_then(Value::as_str)
        .map(str::to_string)
    else {
        return event.event.clone();
    };
    let (client, number) = download.through(value["phone_number_id"].as_str());
    match crate::media::download_into(&id, &download.dir, store, client, number) {
        Ok(path) => value["media"]["file"] = json!(path),
        Err(err) => tracing::warn!(
            "cannot download media {id} of event {}: {err:#}; handing it over without `file`",
            event.seq
        ),
    }
    value.to_string()
}

impl super::MediaDownload {
    /// The client and number an event's media is downloaded through: the number it came
    /// to (`phone_number_id`), with that number's own token when it has one, else the
    /// configured token. Media ids are not tied to a number in the URL, but Meta answers
    /// only a token that may see the number's media.
    fn through<'a>(&'a self, number: Option<&'a str>) -> (&'a crate::graph::Client, &'a str) {
        let client = number
            .and_then(|n| self.by_number.get(n))
            .unwrap_or(&self.client);
        (client, number.unwrap_or(&self.phone_number_id))
    }
}

/// The `id` of an event: the wamid of a message or status.
pub(super) fn event_id(event: &Pending) -> Option<String> {
    id_and_number(event).map(|(id, _)| id)
}

/// An event's `id` and the business number it came to (`phone_number_id`).
pub(super) fn id_and_number(event: &Pending) -> Option<(String, Option<String>)> {
    let value: Value = serde_json::from_str(&event.event).ok()?;
    let id = value["id"].as_str()?.to_string();
    Some((id, value["phone_number_id"].as_str().map(str::to_string)))
}

/// The event line to write to a handler: with media downloaded (`--download-media`) and,
/// when it was handed over before, `"redelivered": true`.
pub(super) fn handed_line(event: &Pending, spec: &HandlerSpec, store: &Store) -> String {
    let line = event_line(event, spec, store);
    if event.handed == 0 {
        return line;
    }
    match serde_json::from_str::<Value>(&line) {
        Ok(Value::Object(mut fields)) => {
            fields.insert("redelivered".into(), json!(true));
            Value::Object(fields).to_string()
        }
        _ => line,
    }
}
