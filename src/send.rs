//! `wa-cloud send`: turns flags, texts and raw JSON into messages, checks them all, then
//! sends them one after the other and prints each wamid as soon as Meta accepts it.
//!
//! Messages go out in the order their arguments were given on the command line, each only
//! after the previous one was accepted. Every message is validated before the first one
//! is sent, so an invalid message in a batch sends nothing at all. Media given as a local
//! file is checked with the rest, then uploaded through the media cache (`media`) before
//! the first message goes out.
//!
//! While the Graph API cannot be reached, or answers with a rate limit or a server error,
//! each message is retried (with a warning on stderr) for up to `--timeout` (60 s by
//! default; `--timeout 0` tries once); an error no retry can mend fails at once.

use std::io::{BufRead, Write};

use anyhow::{Context, Result};
use clap::ArgMatches;
use serde_json::{Value, json};

use crate::cli::SendArgs;
use crate::config::Config;
use crate::error::UsageError;
use crate::graph::{Client, GraphError};
use crate::media::{self, MediaCache};
use crate::message::{self, Outgoing, Recipient};
use crate::store::Store;
use crate::store::outbox::Outcome;
use crate::templates::compose::{self, Fill};
use crate::templates::{self, Prepared, Spec};
use crate::usage;

/// A message before validation, with what it came from (for error messages).
struct Draft {
    position: usize,
    source: String,
    message: Value,
}

pub(crate) fn run(
    args: &SendArgs,
    matches: &ArgMatches,
    config: &Config,
    json_output: bool,
    stdin: &mut dyn BufRead,
    stdout: &mut dyn Write,
) -> Result<()> {
    let recipient =
        Recipient::parse(&args.to).map_err(|e| UsageError::new(format!("recipient {e}")))?;
    if let Some(from) = &args.from
        && (from.is_empty() || !from.chars().all(|c| c.is_ascii_digit()))
    {
        usage!(
            "--from {from:?} is not a phone number id: give the numeric id of the business number (App Dashboard > WhatsApp > API Setup), such as 106540352242922"
        );
    }
    let template = TemplateChoice::look_up(args, matches, config)?;
    let mut drafts = drafts(args, matches, &template, stdin)?;
    if let Some(from) = &args.from {
        for draft in &mut drafts {
            if let Some(fields) = draft.message.as_object_mut() {
                fields.insert("from".into(), json!(from));
            }
        }
    }
    if drafts.is_empty() {
        usage!(
            "nothing to send: give TEXT, a message flag (--image, --location, --button, --template, ...) or --raw"
        );
    }
    // Through --from with that number's own access token, when graphApi.numbers has one.
    let graph = match &args.from {
        Some(from) => config.graph_for(from)?,
        None => config.graph()?,
    };
    let total = drafts.len();
    let mut messages = drafts
        .into_iter()
        .enumerate()
        .map(|(i, draft)| {
            message::normalize(&draft.message, Some(&recipient)).map_err(|invalid| {
                UsageError::new(format!(
                    "message {} of {total} ({}) is invalid: {invalid}; nothing was sent",
                    i + 1,
                    draft.source
                ))
            })
        })
        .collect::<Result<Vec<Outgoing>, UsageError>>()?;
    let templates_store = match messages.iter().any(|m| m.kind == "template") {
        true => open_if_present(config)?,
        false => None,
    };
    let waba_id = config.business_account_id_if_set();
    for (i, message) in messages.iter_mut().enumerate() {
        match templates::prepare(
            templates_store.as_ref(),
            waba_id.as_deref(),
            &mut message.body,
        ) {
            Ok(Prepared::Checked(warnings)) => {
                warnings.iter().for_each(|w| tracing::warn!("{w}"));
            }
            Ok(Prepared::NotCached) => tracing::info!(
                "template `{}` is not in the database: sent unchecked (`wa-cloud templates sync` fetches the templates)",
                message.body["template"]["name"]
                    .as_str()
                    .unwrap_or_default()
            ),
            Err(invalid) => {
                return Err(UsageError::new(format!(
                    "message {} of {total} (template) is invalid: {invalid}; nothing was sent",
                    i + 1
                ))
                .into());
            }
        }
    }
    let local_files = messages
        .iter()
        .enumerate()
        .map(|(i, message)| {
            media::local_file(&message.body).with_context(|| {
                format!(
                    "message {} of {total} ({}) is refused, nothing was sent",
                    i + 1,
                    message.kind
                )
            })
        })
        .collect::<Result<Vec<_>>>()?;
    if local_files.iter().any(Option::is_some) {
        // Every file is uploaded before the first message goes out: a failed upload
        // sends nothing, and what was uploaded stays in the cache for the next try.
        // Through --from, with its token: the upload goes through the number sending.
        let mut cache = MediaCache::open_with(config, graph.clone())?;
        for (i, message) in messages.iter_mut().enumerate() {
            media::resolve_files(&mut message.body, &mut cache).with_context(|| {
                format!(
                    "message {} of {total} ({}) was not sent, nor any other",
                    i + 1,
                    message.kind
                )
            })?;
        }
    }

    // A `serve --handler` on the same database owns the order of its recipients: queue
    // behind its replies instead of overtaking them.
    let db = config.media().db_path;
    let queue = match db.is_file() {
        true => {
            let store = Store::open(&db)?;
            // Not knowing would risk overtaking the server's replies: that is an error.
            let running = store.server_running().with_context(|| {
                format!("cannot tell whether a server runs on `{}`", db.display())
            })?;
            running.then_some(store)
        }
        false => None,
    };
    if db.is_file() {
        warn_of_closed_windows(&Store::open(&db)?, &messages, &graph.phone_number_id);
    }
    if queue.is_some() {
        tracing::info!(
            "a server runs on `{}`: the messages join its outbox",
            db.display()
        );
    }
    // Each message may take --timeout: while the Graph API cannot be reached or asks to
    // wait, the client retries (saying so on stderr) until then.
    let client = Client::new(&graph).retrying_for(args.timeout);
    for (i, message) in messages.iter().enumerate() {
        let sent = match &queue {
            Some(store) => through_server(store, message),
            None => client
                .send_message(&message.body)
                .map(|sent| sent.id)
                .map_err(|error| {
                    if let Some(store) = &templates_store {
                        templates::refreshes_after(
                            error.code(),
                            &message.body,
                            &client,
                            store,
                            waba_id.as_deref(),
                        );
                    }
                    explain_timeout(error, args.timeout)
                }),
        };
        let id = sent.with_context(|| {
            format!(
                "message {} of {total} ({}) to {} was not sent ({i} sent before it)",
                i + 1,
                message.kind,
                message.recipient
            )
        })?;
        tracing::debug!(id = %id, kind = %message.kind, "sent");
        if json_output {
            writeln!(
                stdout,
                "{}",
                json!({ "to": message.recipient.to_string(), "id": id })
            )?;
        } else {
            writeln!(stdout, "{id}")?;
        }
        stdout.flush()?;
    }
    Ok(())
}

/// `send` cannot know every conversation (the database may not be the one `serve` uses),
/// so a closed 24-hour window is only a warning, when the database knows the contact.
fn warn_of_closed_windows(store: &Store, messages: &[Outgoing], default_number: &str) {
    let now = crate::store::inbox::unix_now();
    let mut warned = std::collections::HashSet::new();
    for message in messages.iter().filter(|m| m.kind != "template") {
        let number = message.body[crate::graph::FROM]
            .as_str()
            .unwrap_or(default_number);
        let closed = store.contact_key(&message.recipient).and_then(|key| {
            let last = store.window_closed(&key, number, now)?;
            Ok(last)
        });
        if let Ok(Some(last)) = closed
            && warned.insert((message.recipient.to_string(), number.to_string()))
        {
            tracing::warn!(
                "{}'s last message to business number {number} was {} h ago: WhatsApp refuses free-form \
                 messages after 24 h (error 131047); send a template instead (--template NAME --lang CODE)",
                message.recipient,
                (now - last) / 3600
            );
        }
    }
}

/// A failure that more patience might have mended names --timeout.
fn explain_timeout(error: GraphError, timeout: std::time::Duration) -> anyhow::Error {
    let doubt = if error.may_have_arrived() {
        "; an attempt may have reached WhatsApp all the same, so check before sending it again"
    } else {
        ""
    };
    let note = match &error {
        GraphError::GaveUp { .. } => format!(
            "still failing when --timeout {} ran out (give a longer --timeout to keep trying){doubt}",
            show_duration(timeout)
        ),
        retryable if retryable.is_retryable() => format!(
            "--timeout {} allows one attempt only (give --timeout 60s to keep trying){doubt}",
            show_duration(timeout)
        ),
        _ => return error.into(),
    };
    anyhow::Error::new(error).context(note)
}

/// A duration the way --timeout takes it: `500ms`, `60s`, `0`.
fn show_duration(duration: std::time::Duration) -> String {
    match duration.as_millis() {
        0 => "0".to_string(),
        ms if ms % 1000 == 0 => format!("{}s", ms / 1000),
        ms => format!("{ms}ms"),
    }
}

/// Appends a message to the running server's outbox and waits until the server sent it.
fn through_server(store: &Store, message: &Outgoing) -> Result<String> {
    // Queued under the contact's key, as the server's replies to them are.
    let (recipient, body) = store.route(message)?;
    let seq = store.enqueue(&recipient, &message.kind, &body.to_string(), "send")?;
    loop {
        match store.outcome(seq)? {
            Outcome::Sent(wamid) => return Ok(wamid),
            Outcome::Failed(error) => anyhow::bail!("{error}"),
            Outcome::Waiting if !store.server_running()? => anyhow::bail!(
                "the server stopped before sending it; it stays queued and goes out when `serve --handler` starts again"
            ),
            Outcome::Waiting => std::thread::sleep(std::time::Duration::from_millis(50)),
        }
    }
}

/// Every message the arguments describe, in command-line order.
fn drafts(
    args: &SendArgs,
    matches: &ArgMatches,
    template: &TemplateChoice,
    stdin: &mut dyn BufRead,
) -> Result<Vec<Draft>> {
    let stdin_readers = args.text.iter().filter(|t| *t == "-").count()
        + args.raw.iter().filter(|r| *r == "-").count()
        + usize::from(args.contacts.as_deref() == Some("-"));
    if stdin_readers > 1 {
        usage!("stdin (`-`) can be read only once: give `-` as one TEXT, one --raw or --contacts");
    }

    let mut drafts = Vec::new();
    let mut texts: Vec<(usize, &String)> = positions(matches, "text").zip(&args.text).collect();
    if let Some(draft) = kind_message(args, matches, template, &mut texts, stdin)? {
        drafts.push(draft);
    }
    for (position, text) in texts {
        if text == "-" {
            let lines = stdin
                .lines()
                .collect::<Result<Vec<_>, _>>()
                .context("cannot read messages from stdin")?;
            let lines = lines
                .into_iter()
                .enumerate()
                .filter(|(_, line)| !line.trim().is_empty());
            drafts.extend(lines.map(|(n, line)| Draft {
                position,
                source: format!("stdin line {}", n + 1),
                message: json!({ "text": line }),
            }));
        } else {
            drafts.push(Draft {
                position,
                source: format!("TEXT {}", crate::error::excerpt(text, 20)),
                message: json!({ "text": text }),
            });
        }
    }
    for (position, raw) in positions(matches, "raw").zip(&args.raw) {
        let (source, values) = if raw == "-" {
            (
                "--raw from stdin",
                read_json_stream(stdin).context("cannot read --raw messages from stdin")?,
            )
        } else {
            (
                "--raw",
                read_json_stream(&mut raw.as_bytes()).context("--raw is not valid JSON")?,
            )
        };
        let values = values.into_iter().flat_map(|v| match v {
            Value::Array(items) => items,
            other => vec![other],
        });
        drafts.extend(values.enumerate().map(|(n, mut message)| {
            if let Some(fields) = message.as_object_mut() {
                // TO names the recipient; a `to` or `recipient` pasted along with a Graph
                // API example does not.
                fields.remove("to");
                fields.remove("recipient");
            }
            Draft {
                position,
                source: format!("{source} #{}", n + 1),
                message,
            }
        }));
    }

    for draft in &mut drafts {
        let Some(fields) = draft.message.as_object_mut() else {
            continue;
        };
        if args.preview_url && fields.contains_key("text") {
            fields.insert("preview_url".into(), json!(true));
        }
        if let Some(wamid) = &args.reply_to {
            fields.insert("reply_to".into(), json!(wamid));
        }
    }
    drafts.sort_by_key(|d| d.position);
    Ok(drafts)
}

fn positions<'a>(matches: &'a ArgMatches, id: &str) -> impl Iterator<Item = usize> + 'a {
    matches.indices_of(id).into_iter().flatten()
}

/// The one message of a kind other than text that the flags describe, if any. Button and
/// list messages take their body from `texts`.
fn kind_message(
    args: &SendArgs,
    matches: &ArgMatches,
    template: &TemplateChoice,
    texts: &mut Vec<(usize, &String)>,
    stdin: &mut dyn BufRead,
) -> Result<Option<Draft>> {
    let media = [
        ("image", &args.image),
        ("audio", &args.audio),
        ("video", &args.video),
        ("document", &args.document),
        ("sticker", &args.sticker),
    ];
    let mut kinds: Vec<&str> = media
        .iter()
        .filter(|(_, v)| v.is_some())
        .map(|(k, _)| *k)
        .collect();
    for (kind, given) in [
        ("location", args.location.is_some()),
        ("contacts", args.contacts.is_some()),
        ("button", !args.button.is_empty()),
        ("row", !args.row.is_empty() || args.list.is_some()),
        ("react", args.react.is_some()),
        ("template", args.template.is_some()),
    ] {
        if given {
            kinds.push(kind);
        }
    }
    let kind = match kinds.as_slice() {
        [] => {
            for (flag, given) in [
                ("--link", args.link.is_some()),
                ("--id", args.id.is_some()),
                ("--caption", args.caption.is_some()),
                ("--filename", args.filename.is_some()),
            ] {
                if given {
                    usage!(
                        "{flag} belongs to a media message: add --image, --audio, --video, --document or --sticker"
                    );
                }
            }
            return Ok(None);
        }
        [kind] => *kind,
        several => usage!(
            "--{} cannot be combined in one message: send them with separate commands",
            several.join(" and --").replace("--row", "--row/--list")
        ),
    };
    let position = matches
        .index_of(if kind == "row" && args.list.is_some() {
            "list"
        } else {
            kind
        })
        .unwrap_or(0);
    let flag = if kind == "row" {
        "--row/--list".to_string()
    } else {
        format!("--{kind}")
    };

    let message = match kind {
        "location" => location(args)?,
        "contacts" => {
            let path = args.contacts.as_deref().unwrap_or_default();
            json!({ "contacts": read_json_arg(path, stdin).context("cannot read --contacts")? })
        }
        "button" => {
            let body = body_text(texts, "--button")?;
            let buttons: Vec<Value> = args
                .button
                .iter()
                .map(|b| {
                    let (id, title) = b.split_once(':').unwrap_or((b, b));
                    json!({ "type": "reply", "reply": { "id": id, "title": title } })
                })
                .collect();
            interactive(args, "button", &body, json!({ "buttons": buttons }))
        }
        "row" => {
            let body = body_text(texts, "--row/--list")?;
            interactive(args, "list", &body, list_action(args, matches, stdin)?)
        }
        "react" => json!({ "reaction": {
            "message_id": args.to_message.as_deref().unwrap_or_default(),
            "emoji": args.react.as_deref().unwrap_or_default(),
        }}),
        "template" => template_message(args, matches, template)?,
        media_kind => {
            let given = media
                .iter()
                .find(|(k, _)| *k == media_kind)
                .and_then(|(_, v)| v.as_deref())
                .unwrap_or_default();
            json!({ media_kind: media_object(args, media_kind, given)? })
        }
    };
    Ok(Some(Draft {
        position,
        source: flag,
        message,
    }))
}

fn media_object(args: &SendArgs, kind: &str, given: &str) -> Result<Value> {
    let mut object = serde_json::Map::new();
    match (given, &args.link, &args.id) {
        ("", Some(link), None) => object.insert("link".into(), json!(link)),
        ("", None, Some(id)) => object.insert("id".into(), json!(id)),
        ("", None, None) => usage!("--{kind} needs a FILE, --link URL or --id MEDIA_ID"),
        (url, None, None) if url.starts_with("https://") || url.starts_with("http://") => {
            object.insert("link".into(), json!(url))
        }
        (file, None, None) => object.insert("file".into(), json!(file)),
        (_, _, _) => usage!("--{kind} got both a FILE and --link/--id: give one of them"),
    };
    if let Some(caption) = &args.caption {
        object.insert("caption".into(), json!(caption));
    }
    if let Some(filename) = &args.filename {
        object.insert("filename".into(), json!(filename));
    }
    Ok(Value::Object(object))
}

fn location(args: &SendArgs) -> Result<Value> {
    location_of(
        args.location.as_deref().unwrap_or_default(),
        args,
        "--location",
    )
}

/// A location from `LAT,LON` (given to `flag`) and --name, --address.
fn location_of(given: &str, args: &SendArgs, flag: &str) -> Result<Value> {
    let parsed = given.split_once(',').and_then(|(lat, lon)| {
        Some((
            lat.trim().parse::<f64>().ok()?,
            lon.trim().parse::<f64>().ok()?,
        ))
    });
    let Some((latitude, longitude)) = parsed else {
        usage!(
            "{flag} is {given:?}; give latitude and longitude as LAT,LON, such as 52.5163,13.3777"
        );
    };
    let mut location = json!({ "latitude": latitude, "longitude": longitude });
    if let Some(name) = &args.name {
        location["name"] = json!(name);
    }
    if let Some(address) = &args.address {
        location["address"] = json!(address);
    }
    Ok(json!({ "location": location }))
}

/// The one TEXT that is the body of a button or list message.
fn body_text(texts: &mut Vec<(usize, &String)>, flag: &str) -> Result<String> {
    match texts.as_slice() {
        [(_, body)] if *body != "-" => {
            let body = body.to_string();
            texts.clear();
            Ok(body)
        }
        [] => usage!(
            "{flag} needs the message's body as TEXT, such as: wa-cloud send TO \"Continue?\" {flag} ..."
        ),
        _ => usage!(
            "{flag} takes exactly one TEXT, the message's body; send other texts with a separate command"
        ),
    }
}

fn interactive(args: &SendArgs, kind: &str, body: &str, action: Value) -> Value {
    let mut interactive = json!({ "type": kind, "body": { "text": body }, "action": action });
    if let Some(header) = &args.header {
        interactive["header"] = json!({ "type": "text", "text": header });
    }
    if let Some(footer) = &args.footer {
        interactive["footer"] = json!({ "text": footer });
    }
    json!({ "interactive": interactive })
}

/// The list's `action`: from --list JSON, or from --section/--row in command-line order.
fn list_action(args: &SendArgs, matches: &ArgMatches, stdin: &mut dyn BufRead) -> Result<Value> {
    if let Some(list) = &args.list {
        let given = read_json_arg(list, stdin).context("cannot read --list")?;
        return Ok(match given {
            Value::Array(sections) => json!({ "button": args.list_button, "sections": sections }),
            action => action,
        });
    }
    let section_starts: Vec<(usize, &String)> =
        positions(matches, "section").zip(&args.section).collect();
    let mut sections: Vec<Value> = Vec::new();
    let mut current: Option<usize> = None;
    for (position, row) in positions(matches, "row").zip(&args.row) {
        let section = section_starts
            .iter()
            .rposition(|(start, _)| *start < position);
        if sections.is_empty() || section != current {
            let mut new = json!({ "rows": [] });
            if let Some(i) = section {
                new["title"] = json!(section_starts[i].1);
            }
            sections.push(new);
            current = section;
        }
        let mut parts = row.splitn(3, ':');
        let id = parts.next().unwrap_or_default();
        let mut row_object = json!({ "id": id, "title": parts.next().unwrap_or(id) });
        if let Some(description) = parts.next() {
            row_object["description"] = json!(description);
        }
        sections.last_mut().expect("pushed above")["rows"]
            .as_array_mut()
            .expect("an array")
            .push(row_object);
    }
    Ok(json!({ "button": args.list_button, "sections": sections }))
}

/// JSON given inline, as a file path, or `-` for stdin.
fn read_json_arg(given: &str, stdin: &mut dyn BufRead) -> Result<Value> {
    let trimmed = given.trim_start();
    if trimmed.starts_with('{') || trimmed.starts_with('[') {
        return serde_json::from_str(given).context("not valid JSON");
    }
    let text = if given == "-" {
        let mut text = String::new();
        stdin
            .read_to_string(&mut text)
            .context("cannot read stdin")?;
        text
    } else {
        std::fs::read_to_string(given)
            .map_err(|e| UsageError::new(format!("cannot read `{given}`: {e}")))?
    };
    serde_json::from_str(&text)
        .map_err(|e| UsageError::new(format!("`{given}` is not valid JSON: {e}")).into())
}

/// Every JSON value in `input`: one object, JSON lines, or values one after the other.
fn read_json_stream(input: &mut dyn BufRead) -> Result<Vec<Value>> {
    serde_json::Deserializer::from_reader(input)
        .into_iter::<Value>()
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| UsageError::new(format!("invalid JSON: {e}")).into())
}

/// The database, when it exists (nothing is created just to look something up).
fn open_if_present(config: &Config) -> Result<Option<Store>> {
    let db = config.media().db_path;
    match db.is_file() {
        true => Store::open(&db).map(Some),
        false => Ok(None),
    }
}

/// `--template NAME` and `--lang`, with the cached template when there is one.
struct TemplateChoice {
    language: String,
    spec: Option<Spec>,
}

impl TemplateChoice {
    fn look_up(args: &SendArgs, matches: &ArgMatches, config: &Config) -> Result<TemplateChoice> {
        let Some(name) = &args.template else {
            return Ok(TemplateChoice {
                language: args.lang.clone(),
                spec: None,
            });
        };
        let cached = match open_if_present(config)? {
            Some(store) => {
                store.templates_named(config.business_account_id_if_set().as_deref(), name)?
            }
            None => Vec::new(),
        };
        let given = matches.value_source("lang") == Some(clap::parser::ValueSource::CommandLine);
        // Without --lang, a template cached in one language only is sent in that one.
        let language = match cached.as_slice() {
            [only] if !given => only.language.clone(),
            _ => args.lang.clone(),
        };
        let spec = cached
            .iter()
            .find(|t| t.language == language)
            .map(|t| Spec::from_graph(&t.object));
        Ok(TemplateChoice { language, spec })
    }
}

/// The template message the flags describe: header, body parameters in command-line
/// order (--param, --currency-param, --date-param), buttons.
fn template_message(
    args: &SendArgs,
    matches: &ArgMatches,
    choice: &TemplateChoice,
) -> Result<Value> {
    let name = args.template.as_deref().unwrap_or_default();
    let mut fill = Fill::default();
    let headers = [
        ("--header", args.header.is_some()),
        ("--header-image", args.header_image.is_some()),
        ("--header-video", args.header_video.is_some()),
        ("--header-document", args.header_document.is_some()),
        ("--header-location", args.header_location.is_some()),
    ];
    let given: Vec<&str> = headers
        .iter()
        .filter(|(_, g)| *g)
        .map(|(f, _)| *f)
        .collect();
    if given.len() > 1 {
        usage!(
            "{} cannot be combined: a template has one header",
            given.join(" and ")
        );
    }
    if let Some(text) = &args.header {
        fill.header = Some(compose::text(text));
    }
    for (kind, given) in [
        ("image", &args.header_image),
        ("video", &args.header_video),
        ("document", &args.header_document),
    ] {
        if let Some(given) = given {
            let mut object = compose::media_object(given);
            if let (Some(filename), "document") = (&args.filename, kind) {
                object["filename"] = json!(filename);
            }
            fill.header = Some(json!({ "type": kind, kind: object }));
        }
    }
    if args.header_location.is_some() {
        let given = args.header_location.as_deref().unwrap_or_default();
        let location = location_of(given, args, "--header-location")?;
        fill.header = Some(json!({ "type": "location", "location": location["location"] }));
    }
    if args.filename.is_some() && args.header_document.is_none() {
        usage!("--filename with --template names a --header-document: add --header-document FILE");
    }

    let named = choice
        .spec
        .as_ref()
        .map(|s| s.format == templates::spec::Format::Named);
    let mut params: Vec<(usize, &str, &String)> = Vec::new();
    for (id, kind, values) in [
        ("param", "text", &args.param),
        ("currency_param", "currency", &args.currency_param),
        ("date_param", "date_time", &args.date_param),
    ] {
        params.extend(
            positions(matches, id)
                .zip(values)
                .map(|(at, v)| (at, kind, v)),
        );
    }
    params.sort_by_key(|(at, ..)| *at);
    for (_, kind, given) in params {
        let flag = match kind {
            "text" => "--param",
            "currency" => "--currency-param",
            _ => "--date-param",
        };
        let (param_name, value) = match (named, compose::split_named(given)) {
            (Some(false), _) => (None, given.as_str()),
            (_, Some((param_name, value))) => (Some(param_name.to_string()), value),
            (Some(true), None) => {
                let names = choice
                    .spec
                    .as_ref()
                    .map(|s| s.body_params.join(", "))
                    .unwrap_or_default();
                usage!(
                    "{flag} {given:?}: template `{name}` takes named parameters ({names}): give {flag} NAME=VALUE; nothing was sent"
                )
            }
            (None, None) => (None, given.as_str()),
        };
        let param = match kind {
            "text" => compose::text(value),
            "currency" => compose::currency(value)
                .map_err(|e| UsageError::new(format!("--currency-param {e}")))?,
            _ => compose::date_time(value),
        };
        fill.params.push((param_name, param));
    }
    for given in &args.button_param {
        fill.buttons.push(
            compose::button(given).map_err(|e| UsageError::new(format!("--button-param {e}")))?,
        );
    }
    Ok(json!({ "template": fill.into_template(name, &choice.language) }))
}
