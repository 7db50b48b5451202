//! The terminal chat of `wa-cloud dev`: the user types as a WhatsApp user, the bot runs
//! behind the real `serve`, and its replies show as WhatsApp would show them.
//!
//! Everything runs in this process, on loopback: `serve` (same code path as in
//! production, a throwaway database unless `--db` is given), the local Graph API (which
//! receives the bot's replies and posts signed statuses back), and this chat, which posts
//! each line the user types as a signed notification. The token and the app secret are
//! made up for the run and valid nowhere else.

use std::collections::VecDeque;
use std::io::{BufRead, Write};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use serde_json::{Value, json};
use tokio::sync::broadcast::error::TryRecvError;

use super::graph::{Activity, LocalGraph, LocalGraphConfig, SentMessage, Webhook, WebhookPoster};
use super::{DEV_PHONE_NUMBER_ID, DEV_TOKEN};
use crate::cli::{DevArgs, ServeArgs};
use crate::config::{Config, FileChoice, FlagValue, Origin, Secret, Sources};
use crate::message::Recipient;
use crate::usage;

/// How long a script waits for the bot's first reply to an input, and how long the bot
/// must then stay quiet for its answer to count as complete.
const FIRST_REPLY: Duration = Duration::from_secs(5);
const QUIET: Duration = Duration::from_millis(400);
/// The business number as the user's phone shows it.
const BUSINESS_NUMBER: &str = "15550000000";

/// A choice the bot offered (a button or a list row), answered by typing its number.
struct Choice {
    list: bool,
    id: String,
    title: String,
    description: Option<String>,
    message_id: String,
}

struct Chat {
    user: String,
    name: String,
    poster: WebhookPoster,
    graph: LocalGraph,
    sent: usize,
    last_bot_message: Option<String>,
    choices: Vec<Choice>,
    /// Bot messages shown but not yet checked by an `expect:` line.
    unchecked: VecDeque<String>,
    failed_expectations: usize,
}

pub(crate) fn run(args: &DevArgs, config: &Config, out: &mut dyn Write) -> Result<()> {
    let Some(handler) = &args.handler else {
        usage!("`wa-cloud dev` needs your bot: --handler CMD, such as --handler examples/echo.py");
    };
    let user = match Recipient::parse(&args.as_number) {
        Ok(Recipient::Phone(digits)) => digits,
        _ => usage!(
            "--as {:?} is not a phone number with country code, such as 4915112345678",
            args.as_number
        ),
    };
    let script = match &args.script {
        Some(path) => Some(std::fs::read_to_string(path).map_err(|e| {
            crate::error::UsageError::new(format!(
                "cannot read the script `{}`: {e}",
                path.display()
            ))
        })?),
        None => None,
    };

    // A throwaway database and media folder, unless --db names a database to keep.
    let scratch = tempfile::Builder::new()
        .prefix("wa-cloud-dev-")
        .tempdir()
        .context("cannot create a temporary directory")?;
    let db = match config.origin("media.dbPath") {
        Some(Origin::Flag(_)) => config.media().db_path,
        _ => scratch.path().join("wa-cloud.db"),
    };
    let secret = made_up_secret();
    // Held until serve is about to bind it, so that the local Graph API cannot take it.
    let reserved = free_port()?;
    let serve_port = reserved.local_addr()?.port();
    let webhook = format!("http://127.0.0.1:{serve_port}/");
    let graph = LocalGraph::start(LocalGraphConfig {
        port: 0,
        phone_number_id: DEV_PHONE_NUMBER_ID.to_string(),
        access_token: Secret::new(DEV_TOKEN),
        webhook: Some(Webhook {
            url: webhook.clone(),
            app_secret: Secret::new(secret.clone()),
        }),
    })?;
    let serve_config = dev_config(&graph, &secret, &db, &scratch.path().join("media"))?;
    let serve_args = ServeArgs {
        port: Some(serve_port),
        host: std::net::IpAddr::from([127, 0, 0, 1]),
        path: None,
        events: Vec::new(),
        handler: Some(handler.clone()),
        workers: None,
        per_message: args.per_message,
        download_media: true,
        pass_env: Vec::new(),
        insecure_skip_signature: false,
        tls: Default::default(),
        metrics: Default::default(),
    };
    // Refuse a bot that cannot run before anything starts, as serve would.
    crate::dispatch::parse_command(handler)?;

    let stop = Arc::new(tokio::sync::Notify::new());
    let crashes = Arc::new(AtomicUsize::new(0));
    drop(reserved);
    let server = {
        let (stop, crashes) = (stop.clone(), crashes.clone());
        std::thread::Builder::new()
            .name("serve".into())
            .spawn(move || {
                crate::serve::run_until(&serve_args, &serve_config, stop, Some(crashes))
            })?
    };
    wait_until_up(serve_port, &server)?;

    let mut chat = Chat {
        user,
        name: args.name.clone().unwrap_or_else(|| "You".to_string()),
        poster: WebhookPoster::new(Webhook {
            url: webhook,
            app_secret: Secret::new(secret),
        }),
        graph,
        sent: 0,
        last_bot_message: None,
        choices: Vec::new(),
        unchecked: VecDeque::new(),
        failed_expectations: 0,
    };
    let mut activity = chat.graph.subscribe();
    let result = match script {
        Some(script) => chat.play(&script, &mut activity, out),
        None => chat.interactive(&mut activity, out, &server),
    };
    stop.notify_one();
    let served = server
        .join()
        .map_err(|_| anyhow::anyhow!("serve panicked"))?;
    drop(chat);
    result?;
    served?;
    let crashed = crashes.load(Ordering::Relaxed);
    if crashed > 0 {
        anyhow::bail!(
            "the bot crashed {crashed} time(s) (see its stderr above); wa-cloud restarted it each time"
        );
    }
    Ok(())
}

/// The configuration `serve` runs with in `dev`: nothing from files or the environment.
fn dev_config(graph: &LocalGraph, secret: &str, db: &Path, media: &Path) -> Result<Config> {
    let flag = |key, value: Value| FlagValue {
        key,
        flag: "(wa-cloud dev)",
        value,
    };
    Config::load(&Sources {
        file: FileChoice::None,
        env: None,
        flags: vec![
            flag("graphApi.baseUrl", json!("127.0.0.1")),
            flag("graphApi.basePort", json!(graph.addr().port())),
            flag("graphApi.accessToken", json!(DEV_TOKEN)),
            flag("graphApi.phoneNumberId", json!(DEV_PHONE_NUMBER_ID)),
            flag("webhooks.secret", json!(secret)),
            flag("webhooks.verifyToken", json!(secret)),
            flag("media.dbPath", json!(db)),
            flag("media.downloadDir", json!(media)),
        ],
    })
}

fn made_up_secret() -> String {
    (0..32).map(|_| fastrand::alphanumeric()).collect()
}

fn free_port() -> Result<std::net::TcpListener> {
    std::net::TcpListener::bind("127.0.0.1:0").context("cannot find a free port on 127.0.0.1")
}

/// Polls serve's health check until it answers, or serve has given up.
fn wait_until_up(port: u16, server: &std::thread::JoinHandle<Result<()>>) -> Result<()> {
    let url = format!("http://127.0.0.1:{port}/healthz");
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if server.is_finished() {
            anyhow::bail!("serve stopped at start-up (see above)");
        }
        if ureq::get(&url).call().is_ok() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    anyhow::bail!("serve did not start within 30 s")
}

impl Chat {
    /// Plays a script: one input a line, `expect: TEXT` checks the bot's next message, `#`
    /// starts a comment. Prints the transcript.
    fn play(
        &mut self,
        script: &str,
        activity: &mut tokio::sync::broadcast::Receiver<Activity>,
        out: &mut dyn Write,
    ) -> Result<()> {
        for line in script
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
        {
            if let Some(expected) = line.strip_prefix("expect:") {
                self.expect(expected.trim(), activity, out)?;
                continue;
            }
            writeln!(out, "> {line}")?;
            if !self.input(line, out)? {
                break;
            }
            self.show_replies(activity, out, FIRST_REPLY)?;
        }
        // Messages nobody expected still belong in the transcript.
        self.show_replies(activity, out, QUIET)?;
        if self.failed_expectations > 0 {
            anyhow::bail!(
                "{} expect: line(s) of the script did not match the bot's replies",
                self.failed_expectations
            );
        }
        Ok(())
    }

    fn expect(
        &mut self,
        expected: &str,
        activity: &mut tokio::sync::broadcast::Receiver<Activity>,
        out: &mut dyn Write,
    ) -> Result<()> {
        if self.unchecked.is_empty() {
            self.show_replies(activity, out, FIRST_REPLY)?;
        }
        match self.unchecked.pop_front() {
            Some(got) if got == expected => writeln!(out, "  ✓ expect: {expected}")?,
            Some(got) => {
                self.failed_expectations += 1;
                writeln!(out, "  ✗ expect: {expected}\n    but the bot said: {got}")?;
            }
            None => {
                self.failed_expectations += 1;
                writeln!(out, "  ✗ expect: {expected}\n    but the bot said nothing")?;
            }
        }
        Ok(())
    }

    /// Shows the bot's messages until it has been quiet for a while; waits at most
    /// `first` for the first one.
    fn show_replies(
        &mut self,
        activity: &mut tokio::sync::broadcast::Receiver<Activity>,
        out: &mut dyn Write,
        first: Duration,
    ) -> Result<()> {
        let mut deadline = Instant::now() + first;
        loop {
            match activity.try_recv() {
                Ok(Activity::Message(sent)) => {
                    self.show(&sent, out)?;
                    deadline = Instant::now() + QUIET;
                }
                Ok(Activity::Read { .. }) | Err(TryRecvError::Lagged(_)) => {}
                Err(TryRecvError::Empty) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(10))
                }
                Err(TryRecvError::Empty) | Err(TryRecvError::Closed) => return Ok(()),
            }
        }
    }

    fn interactive(
        &mut self,
        activity: &mut tokio::sync::broadcast::Receiver<Activity>,
        out: &mut dyn Write,
        server: &std::thread::JoinHandle<Result<()>>,
    ) -> Result<()> {
        writeln!(
            out,
            "Chatting as {} with your bot. Type a message; /image PATH, /document PATH, /location LAT,LON, \
             /react EMOJI, /reply TEXT, /as NUMBER, /quit.",
            self.user
        )?;
        out.flush()?;
        let (lines, typed) = mpsc::channel();
        std::thread::spawn(move || {
            for line in std::io::stdin().lock().lines().map_while(|l| l.ok()) {
                if lines.send(line).is_err() {
                    return;
                }
            }
        });
        loop {
            self.show_replies(activity, out, Duration::ZERO)?;
            out.flush()?;
            if server.is_finished() {
                return Ok(());
            }
            match typed.recv_timeout(Duration::from_millis(50)) {
                Ok(line) if line.trim().is_empty() => {}
                Ok(line) => {
                    if !self.input(line.trim(), out)? {
                        return Ok(());
                    }
                }
                Err(RecvTimeoutError::Timeout) => {}
                // End of input: leave once the bot has answered what it was sent.
                Err(RecvTimeoutError::Disconnected) => {
                    return self.show_replies(activity, out, FIRST_REPLY);
                }
            }
        }
    }

    /// Acts on one line the user typed; false on /quit.
    fn input(&mut self, line: &str, out: &mut dyn Write) -> Result<bool> {
        let (command, rest) = match line.split_once(' ') {
            Some((command, rest)) => (command, rest.trim()),
            None => (line, ""),
        };
        let message = match command {
            "/quit" => return Ok(false),
            "/as" => {
                match Recipient::parse(rest) {
                    Ok(Recipient::Phone(digits)) => {
                        self.user = digits;
                        writeln!(out, "  (now chatting as {})", self.user)?;
                    }
                    _ => writeln!(
                        out,
                        "  /as needs a phone number with country code, such as 4915112345678"
                    )?,
                }
                return Ok(true);
            }
            "/image" | "/document" => {
                let kind = &command[1..];
                let media = match self.graph.add_media(Path::new(rest)) {
                    Ok(media) => media,
                    Err(err) => {
                        writeln!(out, "  cannot send {rest:?}: {err:#}")?;
                        return Ok(true);
                    }
                };
                let mut body =
                    json!({"id": media.id, "mime_type": media.mime_type, "sha256": media.sha256});
                if kind == "document" {
                    body["filename"] = json!(media.filename);
                }
                json!({"type": kind, kind: body})
            }
            "/location" => {
                let parsed = rest.split_once(',').and_then(|(lat, lon)| {
                    Some((
                        lat.trim().parse::<f64>().ok()?,
                        lon.trim().parse::<f64>().ok()?,
                    ))
                });
                let Some((latitude, longitude)) = parsed else {
                    writeln!(out, "  /location needs LAT,LON, such as 52.5163,13.3777")?;
                    return Ok(true);
                };
                json!({"type": "location", "location": {"latitude": latitude, "longitude": longitude}})
            }
            "/react" | "/reply" => {
                let Some(target) = self.last_bot_message.clone() else {
                    writeln!(
                        out,
                        "  {command} needs a message of the bot to answer; it has sent none yet"
                    )?;
                    return Ok(true);
                };
                if command == "/react" {
                    json!({"type": "reaction", "reaction": {"message_id": target, "emoji": rest}})
                } else {
                    json!({"type": "text", "text": {"body": rest}, "context": {"from": BUSINESS_NUMBER, "id": target}})
                }
            }
            _ => match line
                .parse::<usize>()
                .ok()
                .and_then(|n| n.checked_sub(1))
                .and_then(|i| self.choices.get(i))
            {
                Some(choice) => {
                    let (kind, mut reply) = if choice.list {
                        ("list_reply", json!({}))
                    } else {
                        ("button_reply", json!({}))
                    };
                    reply["id"] = json!(choice.id);
                    reply["title"] = json!(choice.title);
                    if let Some(description) = &choice.description {
                        reply["description"] = json!(description);
                    }
                    json!({"type": "interactive", "interactive": {"type": kind, kind: reply},
                        "context": {"from": BUSINESS_NUMBER, "id": choice.message_id}})
                }
                None => json!({"type": "text", "text": {"body": line}}),
            },
        };
        self.post(message)?;
        Ok(true)
    }

    /// Posts a message from the user to serve, signed as WhatsApp signs.
    fn post(&mut self, mut message: Value) -> Result<()> {
        self.sent += 1;
        message["from"] = json!(self.user);
        message["id"] = json!(format!("wamid.DEV{}{:06}", std::process::id(), self.sent));
        message["timestamp"] = json!(crate::store::inbox::unix_now().to_string());
        let notification = json!({"object": "whatsapp_business_account", "entry": [{"id": "100000000000002", "changes": [{
            "field": "messages", "value": {"messaging_product": "whatsapp",
            "metadata": {"display_phone_number": BUSINESS_NUMBER, "phone_number_id": DEV_PHONE_NUMBER_ID},
            "contacts": [{"profile": {"name": self.name}, "wa_id": self.user}],
            "messages": [message]}}]}]});
        self.poster
            .post(&notification)
            .map_err(|e| anyhow::anyhow!("cannot post to serve: {e}"))
    }

    /// Prints a message of the bot as the user's phone would show it.
    fn show(&mut self, sent: &SentMessage, out: &mut dyn Write) -> Result<()> {
        let message = &sent.message;
        let kind = message["type"].as_str().unwrap_or_default();
        let body = &message[kind];
        let to = if sent.recipient == self.user {
            String::new()
        } else {
            format!(" (to {})", sent.recipient)
        };
        let text = match kind {
            "text" => body["body"].as_str().unwrap_or_default().to_string(),
            "image" | "video" | "audio" | "document" | "sticker" => {
                let place = match body["id"].as_str().and_then(|id| self.graph.media(id)) {
                    Some(media) => format!(
                        "{} ({}, {} bytes)",
                        media.path.display(),
                        media.mime_type,
                        media.size
                    ),
                    None => body["link"].as_str().unwrap_or_default().to_string(),
                };
                let caption = body["caption"]
                    .as_str()
                    .map(|c| format!(" {c}"))
                    .unwrap_or_default();
                format!("[{kind}]{caption} {place}")
            }
            "location" => format!(
                "[location] {} {},{}",
                body["name"].as_str().unwrap_or_default(),
                body["latitude"],
                body["longitude"]
            ),
            "reaction" => format!("[reacted {}]", body["emoji"].as_str().unwrap_or_default()),
            "template" => super::templates::render(body),
            "contacts" => format!(
                "[contact {}]",
                body[0]["name"]["formatted_name"]
                    .as_str()
                    .unwrap_or_default()
            ),
            "interactive" => body["body"]["text"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
            other => format!("[{other}]"),
        };
        writeln!(out, "< {text}{to}")?;
        self.unchecked.push_back(text);
        if kind != "reaction" {
            self.last_bot_message = Some(sent.id.clone());
        }
        if kind == "interactive" {
            self.choices = choices(body, &sent.id);
            for (i, choice) in self.choices.iter().enumerate() {
                let description = choice
                    .description
                    .as_deref()
                    .map(|d| format!(" — {d}"))
                    .unwrap_or_default();
                writeln!(out, "  {}. {}{description}", i + 1, choice.title)?;
            }
        }
        Ok(())
    }
}

/// The buttons or list rows of an interactive message, in order.
fn choices(interactive: &Value, message_id: &str) -> Vec<Choice> {
    let choice = |list: bool, item: &Value| Choice {
        list,
        id: item["id"].as_str().unwrap_or_default().to_string(),
        title: item["title"].as_str().unwrap_or_default().to_string(),
        description: item["description"].as_str().map(str::to_string),
        message_id: message_id.to_string(),
    };
    let action = &interactive["action"];
    let buttons = action["buttons"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|b| choice(false, &b["reply"]));
    let rows = action["sections"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|s| s["rows"].as_array().into_iter().flatten());
    buttons.chain(rows.map(|r| choice(true, r))).collect()
}
