//! The terminal chat of `wa-cloud dev`: the user types as a WhatsApp user, the bot runs
//! behind the real `serve`, and its replies show as WhatsApp would show them.
//!
//! Everything runs in this process, on loopback: `serve` (same code path as in
//! production, a throwaway database unless `--db` is given), the local Graph API (which
//! receives the bot's replies and posts signed statuses back), and this chat, which posts
//! each line the user types as a signed notification. The token and the app secret are
//! made up for the run and valid nowhere else.

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
use super::script::{COMMANDS, Command, Line, Reply, Step, parse_command, parse_script};
use super::{DEV_PHONE_NUMBER_ID, DEV_TOKEN};
use crate::cli::{DevArgs, ServeArgs};
use crate::config::{Config, FileChoice, FlagValue, Origin, Secret, Sources};
use crate::message::Recipient;
use crate::store::Store;
use crate::usage;

/// How long the chat lets the bot sit on a message before it suggests why.
const HINT_AFTER: Duration = Duration::from_secs(5);
/// Why a bot that runs may seem to say nothing.
const FLUSH_HINT: &str = "Is the bot running, and does it flush its output after each line? \
                          A reply that sits in the bot's output buffer has not been written \
                          (docs/PROTOCOL.md)";
/// The business number as the user's phone shows it (the first; the others count on).
const BUSINESS_NUMBER: &str = "15550000000";

/// How the user's phone shows the business number at `index` of the chat's numbers.
fn display_number(index: usize) -> String {
    let first: u64 = BUSINESS_NUMBER.parse().expect("digits");
    (first + index as u64).to_string()
}

/// A choice the bot offered (a button or a list row), answered by typing its number.
struct Choice {
    list: bool,
    id: String,
    title: String,
    description: Option<String>,
    message_id: String,
}

struct Chat {
    /// A phone number's digits, or a business-scoped user id: then the user has a
    /// username and WhatsApp sends no phone number of theirs.
    user: String,
    name: String,
    username: Option<String>,
    /// The business numbers (phone number ids) of the app, and which one the user writes to.
    numbers: Vec<String>,
    to: usize,
    poster: WebhookPoster,
    graph: LocalGraph,
    sent: usize,
    last_bot_message: Option<String>,
    choices: Vec<Choice>,
    /// serve's database, asked whether everything given to the bot has been dealt with.
    store: Store,
    /// How long to wait for the bot to deal with an input.
    timeout: Duration,
    /// Messages of the bot that came too fast to be shown (and checked).
    missed: u64,
}

pub(crate) fn run(
    args: &DevArgs,
    config: &Config,
    numbers: &[String],
    out: &mut dyn Write,
) -> Result<()> {
    // Each --phone-number-id is a business number of the app (checked by the caller).
    let numbers = match numbers {
        [] => vec![DEV_PHONE_NUMBER_ID.to_string()],
        given => given.to_vec(),
    };
    let Some(handler) = &args.handler else {
        usage!("`wa-cloud dev` needs your bot: --handler CMD, such as --handler examples/echo.py");
    };
    let user = match (Recipient::parse(&args.as_number), &args.username) {
        (Ok(Recipient::UserId(id)), _) => id,
        (Ok(Recipient::Phone(_)), Some(username)) => username_user_id(username),
        (Ok(Recipient::Phone(digits)), None) => digits,
        (Err(_), _) => usage!(
            "--as {:?} is neither a phone number with country code, such as 4915112345678, nor a business-scoped user id, such as US.13491208655302741918",
            args.as_number
        ),
    };
    let script = match &args.script {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| {
                crate::error::UsageError::new(format!(
                    "cannot read the script `{}`: {e}",
                    path.display()
                ))
            })?;
            // Every bad line is named before anything starts.
            match parse_script(&text) {
                Ok(lines) => Some(lines),
                Err(errors) => usage!(
                    "the script `{}` cannot be played:\n  {}",
                    path.display(),
                    errors.join("\n  ")
                ),
            }
        }
        None => None,
    };
    if args.timeout == 0 {
        usage!(
            "--timeout 0 would not wait for the bot at all: give the seconds to wait, such as --timeout 30"
        );
    }

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
        phone_number_id: numbers[0].clone(),
        other_numbers: numbers[1..].to_vec(),
        access_token: Secret::new(DEV_TOKEN),
        webhook: Some(Webhook {
            url: webhook.clone(),
            app_secret: Secret::new(secret.clone()),
        }),
    })?;
    let serve_config = dev_config(
        &graph,
        &secret,
        &db,
        &scratch.path().join("media"),
        &numbers[0],
    )?;
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
    let store = Store::open(&db)?;

    let mut chat = Chat {
        user,
        name: args.name.clone().unwrap_or_else(|| "You".to_string()),
        username: args.username.clone(),
        numbers,
        to: 0,
        poster: WebhookPoster::new(Webhook {
            url: webhook,
            app_secret: Secret::new(secret),
        }),
        graph,
        sent: 0,
        last_bot_message: None,
        choices: Vec::new(),
        store,
        timeout: Duration::from_secs(args.timeout),
        missed: 0,
    };
    let mut activity = chat.graph.subscribe();
    let result = match script {
        Some(lines) => chat.play(&lines, &mut activity, out),
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
fn dev_config(
    graph: &LocalGraph,
    secret: &str,
    db: &Path,
    media: &Path,
    phone_number_id: &str,
) -> Result<Config> {
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
            flag("graphApi.phoneNumberId", json!(phone_number_id)),
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

/// What became of a line the user typed.
enum Outcome {
    /// A message was posted to serve: the bot has something to deal with.
    Posted,
    /// Nothing was posted (`/as`).
    Local,
    /// The line cannot be acted on now; why.
    Refused(String),
    Quit,
}

impl Chat {
    /// Plays a script (parsed and checked beforehand): each input is posted and waited for
    /// until serve has settled it, then the expect lines below it check its replies in
    /// order. Prints the transcript; fails with the numbers of the lines that did not hold.
    fn play(
        &mut self,
        lines: &[Line],
        activity: &mut tokio::sync::broadcast::Receiver<Activity>,
        out: &mut dyn Write,
    ) -> Result<()> {
        // A script without any expect line is a demonstration: nothing is checked.
        let strict = lines.iter().any(|l| matches!(l.step, Step::Expect(_)));
        let mut failed = Vec::new();
        let mut rest = lines;
        while let Some((line, after)) = rest.split_first() {
            let checks = after
                .iter()
                .take_while(|l| matches!(l.step, Step::Expect(_)))
                .count();
            let (expects, next) = after.split_at(checks);
            rest = next;
            let Step::Input(command) = &line.step else {
                unreachable!("parse_script puts an input before every expect line")
            };
            writeln!(out, "> {}", line.text)?;
            let mut replies = Vec::new();
            match self.input(command, out)? {
                Outcome::Quit => break,
                Outcome::Local => {}
                Outcome::Refused(why) => {
                    writeln!(out, "  ✗ {why} (line {})", line.number)?;
                    failed.push(line.number);
                }
                Outcome::Posted => {
                    let deadline = Instant::now() + self.timeout;
                    if !self.settle(activity, out, &mut replies, deadline)? {
                        out.flush()?;
                        anyhow::bail!(
                            "line {}: the bot did not deal with {:?} within {} s: no reply and no \
                             {{\"done\":ID}} arrived. {FLUSH_HINT} (--timeout sets the wait)",
                            line.number,
                            line.text,
                            self.timeout.as_secs()
                        );
                    }
                }
            }
            for (i, expect) in expects.iter().enumerate() {
                let Step::Expect(expectation) = &expect.step else {
                    unreachable!("taken while they are expect lines")
                };
                // A reply written after the one that acknowledged the input may still come.
                if i >= replies.len() {
                    let deadline = Instant::now() + self.timeout;
                    self.next_reply(activity, out, &mut replies, deadline)?;
                }
                match replies.get(i) {
                    Some(reply) if expectation.matches(reply) => {
                        writeln!(out, "  ✓ {}", expect.text)?
                    }
                    Some(reply) => {
                        failed.push(expect.number);
                        writeln!(
                            out,
                            "  ✗ {} (line {})\n    but the bot said: {}",
                            expect.text,
                            expect.number,
                            shown(reply)
                        )?;
                    }
                    None => {
                        failed.push(expect.number);
                        let said = match replies.len() {
                            0 => "nothing".to_string(),
                            n => format!("only {n} message(s)"),
                        };
                        writeln!(
                            out,
                            "  ✗ {} (line {})\n    but the bot said {said}",
                            expect.text, expect.number
                        )?;
                    }
                }
            }
            if strict {
                for reply in replies.iter().skip(expects.len()) {
                    failed.push(line.number);
                    writeln!(
                        out,
                        "  ✗ no expect line accounts for this reply to line {}: {}",
                        line.number,
                        shown(reply)
                    )?;
                }
            }
        }
        if strict && self.missed > 0 {
            anyhow::bail!(
                "{} messages of the bot came too fast to be shown, so the script could not check them",
                self.missed
            );
        }
        if !failed.is_empty() {
            failed.dedup();
            let numbers: Vec<String> = failed.iter().map(usize::to_string).collect();
            anyhow::bail!(
                "the script failed at line(s) {}: the bot's replies did not match (see the transcript above)",
                numbers.join(", ")
            );
        }
        Ok(())
    }

    /// Shows the bot's messages until serve has settled everything it was given (no
    /// message waits for acknowledgement, no reply waits to be sent), or `deadline`.
    /// Returns whether it settled.
    fn settle(
        &mut self,
        activity: &mut tokio::sync::broadcast::Receiver<Activity>,
        out: &mut dyn Write,
        replies: &mut Vec<Reply>,
        deadline: Instant,
    ) -> Result<bool> {
        loop {
            // Read first: a reply is announced before serve marks it sent, so once this
            // says settled, every reply is already in `activity`.
            let settled = self.store.in_flight()?.is_settled();
            self.drain(activity, out, replies)?;
            if settled {
                return Ok(true);
            }
            if Instant::now() >= deadline {
                return Ok(false);
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Waits until one more reply arrives, or `deadline`.
    fn next_reply(
        &mut self,
        activity: &mut tokio::sync::broadcast::Receiver<Activity>,
        out: &mut dyn Write,
        replies: &mut Vec<Reply>,
        deadline: Instant,
    ) -> Result<()> {
        let before = replies.len();
        while replies.len() == before && Instant::now() < deadline {
            self.drain(activity, out, replies)?;
            std::thread::sleep(Duration::from_millis(10));
        }
        Ok(())
    }

    /// Shows every message of the bot that has arrived.
    fn drain(
        &mut self,
        activity: &mut tokio::sync::broadcast::Receiver<Activity>,
        out: &mut dyn Write,
        replies: &mut Vec<Reply>,
    ) -> Result<()> {
        loop {
            match activity.try_recv() {
                Ok(Activity::Message(sent)) => replies.push(self.show(&sent, out)?),
                Ok(Activity::Read { .. }) => {}
                Err(TryRecvError::Lagged(missed)) => {
                    self.missed += missed;
                    writeln!(
                        out,
                        "  ({missed} messages of the bot came too fast to show)"
                    )?
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
            "Chatting as {} with your bot. Type a message; {COMMANDS}.",
            self.user
        )?;
        if self.numbers.len() > 1 {
            writeln!(
                out,
                "Writing to business number {} of {}; /to PHONE_NUMBER_ID writes to another.",
                self.numbers[self.to],
                self.numbers.join(", ")
            )?;
        }
        out.flush()?;
        let (lines, typed) = mpsc::channel();
        std::thread::spawn(move || {
            for line in std::io::stdin().lock().lines().map_while(|l| l.ok()) {
                if lines.send(line).is_err() {
                    return;
                }
            }
        });
        let hint_after = self.timeout.min(HINT_AFTER);
        // Since when the bot has had something to deal with, and whether the hint was shown.
        let mut waiting: Option<(Instant, bool)> = None;
        let mut replies = Vec::new();
        loop {
            self.drain(activity, out, &mut replies)?;
            if let Some((since, hinted)) = &mut waiting {
                if self.store.in_flight()?.is_settled() {
                    waiting = None;
                } else if !*hinted && since.elapsed() >= hint_after {
                    *hinted = true;
                    writeln!(
                        out,
                        "  (the bot has not dealt with your message after {} s. {FLUSH_HINT})",
                        hint_after.as_secs()
                    )?;
                }
            }
            out.flush()?;
            if server.is_finished() {
                return Ok(());
            }
            match typed.recv_timeout(Duration::from_millis(50)) {
                Ok(line) if line.trim().is_empty() => {}
                Ok(line) => {
                    let outcome = match parse_command(line.trim()) {
                        Ok(command) => self.input(&command, out)?,
                        Err(why) => Outcome::Refused(why),
                    };
                    match outcome {
                        Outcome::Quit => return Ok(()),
                        Outcome::Posted => {
                            waiting.get_or_insert((Instant::now(), false));
                        }
                        Outcome::Local => {}
                        Outcome::Refused(why) => writeln!(out, "  {why}")?,
                    }
                }
                Err(RecvTimeoutError::Timeout) => {}
                // End of input: leave once the bot has dealt with what it was sent.
                Err(RecvTimeoutError::Disconnected) => {
                    let deadline = Instant::now() + self.timeout;
                    if !self.settle(activity, out, &mut replies, deadline)? {
                        writeln!(
                            out,
                            "  (the bot has not dealt with your messages after {} s. {FLUSH_HINT})",
                            self.timeout.as_secs()
                        )?;
                    }
                    return Ok(());
                }
            }
        }
    }

    /// Acts on one line the user typed.
    fn input(&mut self, command: &Command, out: &mut dyn Write) -> Result<Outcome> {
        let message = match command {
            Command::Quit => return Ok(Outcome::Quit),
            Command::As(id) => {
                self.user = id.clone();
                let who = match crate::message::is_user_id(id) {
                    true => ", a user known only by their username",
                    false => "",
                };
                writeln!(out, "  (now chatting as {}{who})", self.user)?;
                return Ok(Outcome::Local);
            }
            Command::To(id) => {
                let Some(index) = self.numbers.iter().position(|n| n == id) else {
                    return Ok(Outcome::Refused(format!(
                        "/to {id}: not a business number of this chat, which has {}; give \
                         --phone-number-id once for each number to simulate",
                        self.numbers.join(", ")
                    )));
                };
                self.to = index;
                writeln!(out, "  (now writing to business number {id})")?;
                return Ok(Outcome::Local);
            }
            Command::Media { kind, path } => {
                let media = match self.graph.add_media(path) {
                    Ok(media) => media,
                    Err(err) => {
                        return Ok(Outcome::Refused(format!(
                            "cannot send `{}`: {err:#}",
                            path.display()
                        )));
                    }
                };
                let mut body =
                    json!({"id": media.id, "mime_type": media.mime_type, "sha256": media.sha256});
                if *kind == "document" {
                    body["filename"] = json!(media.filename);
                }
                json!({"type": kind, *kind: body})
            }
            Command::Location {
                latitude,
                longitude,
            } => {
                json!({"type": "location", "location": {"latitude": latitude, "longitude": longitude}})
            }
            Command::React(_) | Command::Reply(_) => {
                let Some(target) = self.last_bot_message.clone() else {
                    let name = if matches!(command, Command::React(_)) {
                        "/react"
                    } else {
                        "/reply"
                    };
                    return Ok(Outcome::Refused(format!(
                        "{name} needs a message of the bot to answer; it has sent none yet"
                    )));
                };
                match command {
                    Command::React(emoji) => {
                        json!({"type": "reaction", "reaction": {"message_id": target, "emoji": emoji}})
                    }
                    Command::Reply(text) => {
                        json!({"type": "text", "text": {"body": text}, "context": {"from": display_number(self.to), "id": target}})
                    }
                    _ => unreachable!("matched above"),
                }
            }
            Command::Text(line) => match line
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
                        "context": {"from": display_number(self.to), "id": choice.message_id}})
                }
                None => json!({"type": "text", "text": {"body": line}}),
            },
        };
        self.post(message)?;
        Ok(Outcome::Posted)
    }

    /// Posts a message from the user to serve, signed as WhatsApp signs. It is stored in
    /// serve's inbox when this returns.
    fn post(&mut self, mut message: Value) -> Result<()> {
        self.sent += 1;
        // A user with a username comes as WhatsApp sends them: their user id, no phone.
        let mut contact = json!({"profile": {"name": self.name}});
        if crate::message::is_user_id(&self.user) {
            message["from_user_id"] = json!(self.user);
            contact["user_id"] = json!(self.user);
            contact["profile"]["username"] = json!(
                self.username
                    .clone()
                    .unwrap_or_else(|| self.name.to_lowercase())
            );
        } else {
            message["from"] = json!(self.user);
            contact["wa_id"] = json!(self.user);
        }
        message["id"] = json!(format!("wamid.DEV{}{:06}", std::process::id(), self.sent));
        message["timestamp"] = json!(crate::store::inbox::unix_now().to_string());
        let notification = json!({"object": "whatsapp_business_account", "entry": [{"id": "100000000000002", "changes": [{
            "field": "messages", "value": {"messaging_product": "whatsapp",
            "metadata": {"display_phone_number": display_number(self.to), "phone_number_id": self.numbers[self.to]},
            "contacts": [contact],
            "messages": [message]}}]}]});
        self.poster
            .post(&notification)
            .map_err(|e| anyhow::anyhow!("cannot post to serve: {e}"))
    }

    /// Prints a message of the bot as the user's phone would show it.
    fn show(&mut self, sent: &SentMessage, out: &mut dyn Write) -> Result<Reply> {
        let message = &sent.message;
        let kind = message["type"].as_str().unwrap_or_default();
        let body = &message[kind];
        let mut to = if sent.recipient == self.user {
            String::new()
        } else {
            format!(" (to {})", sent.recipient)
        };
        // With several business numbers, which one answered.
        if self.numbers.len() > 1 {
            to.push_str(&format!(" (from {})", sent.from));
        }
        let caption = body["caption"].as_str().map(str::to_string);
        let (text, place) = match kind {
            "text" => (body["body"].as_str().unwrap_or_default().to_string(), None),
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
                let caption = caption
                    .as_deref()
                    .map(|c| format!(" {c}"))
                    .unwrap_or_default();
                (format!("[{kind}]{caption}"), Some(place))
            }
            "location" => (
                format!(
                    "[location] {} {},{}",
                    body["name"].as_str().unwrap_or_default(),
                    body["latitude"],
                    body["longitude"]
                ),
                None,
            ),
            "reaction" => (
                format!("[reacted {}]", body["emoji"].as_str().unwrap_or_default()),
                None,
            ),
            "template" => (super::templates::render(body), None),
            "contacts" => (
                format!(
                    "[contact {}]",
                    body[0]["name"]["formatted_name"]
                        .as_str()
                        .unwrap_or_default()
                ),
                None,
            ),
            "interactive" => (
                body["body"]["text"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                None,
            ),
            other => (format!("[{other}]"), None),
        };
        let place = place.map(|p| format!(" {p}")).unwrap_or_default();
        writeln!(out, "< {}{place}{to}", text.replace('\n', "\n  "))?;
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
        Ok(Reply {
            kind: kind.to_string(),
            text,
            caption,
        })
    }
}

/// A reply as a failed check quotes it: line breaks shown as `\n`, as expect lines write them.
fn shown(reply: &Reply) -> String {
    reply.text.replace('\\', "\\\\").replace('\n', "\\n")
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

/// A business-scoped user id for `--username NAME`: the same for the same name in every
/// run, shaped as WhatsApp's (`US.` and digits).
fn username_user_id(username: &str) -> String {
    use sha2::Digest as _;
    let digest = sha2::Sha256::digest(username.as_bytes());
    let number = u64::from_be_bytes(digest[..8].try_into().expect("8 bytes"));
    format!("US.{number}")
}
