//! The local Graph API of `wa-cloud dev`: an axum server on 127.0.0.1 that answers the
//! messages and media endpoints in Meta's shapes (WHATSAPP.md §5–§7), so that wa-cloud,
//! a bot and the terminal chat can run the whole loop with no Meta account.
//!
//! It owns what Meta would hold: the messages it accepted (kept, and published to
//! in-process subscribers so that the chat can show what the bot sends), the media
//! uploaded to it (in a temporary directory that goes away with it, so memory does not
//! grow with the files), and the statuses WhatsApp would report. Those are posted back to
//! a webhook, signed with the app secret like WhatsApp signs them, one at a time from
//! one thread: every status of a message after the previous one, and the statuses of
//! messages in the order the messages were accepted. Only the access token it was
//! started with is accepted; it is meant for loopback and for development, never for
//! anything a stranger can reach.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result};
use axum::Router;
use axum::body::{Body, Bytes, HttpBody};
use axum::extract::{Path as UrlPath, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use hmac::{Hmac, KeyInit, Mac};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use tokio::sync::{broadcast, oneshot};

use crate::config::Secret;

/// WhatsApp takes no media larger than 100 MB (documents); the multipart framing around
/// the file gets a little room on top.
const MAX_UPLOAD: u64 = 100 * 1024 * 1024 + 64 * 1024;
/// The text fields of an upload (`messaging_product`, `type`) are short.
const MAX_FIELD: usize = 4 * 1024;
/// A part's headers are a few lines.
const MAX_PART_HEADERS: usize = 16 * 1024;
/// Each status follows the previous one (or its message's acceptance) after this long:
/// long enough for the sender to have read the wamid from the response before the first
/// status about it arrives, short enough not to slow down a bot or a test.
const STATUS_STEP: Duration = Duration::from_millis(25);
/// How long a webhook may take to answer one status.
const WEBHOOK_TIMEOUT: Duration = Duration::from_secs(10);
/// Attempts per status when the webhook cannot be reached or answers 5xx, as WhatsApp
/// retries too (briefly here: a dev loop wants to hear about a dead webhook soon).
const WEBHOOK_ATTEMPTS: u32 = 3;
/// What the chat may fall behind by before it misses messages.
const SUBSCRIBER_BACKLOG: usize = 1024;
/// The business number as statuses name it (a 555 number, which is no one's).
const DISPLAY_PHONE_NUMBER: &str = "15550000000";
/// `entry[].id` of notifications: the WhatsApp Business Account.
const WABA_ID: &str = "100000000000002";
/// Where media is downloaded from, as Meta's lookaside URLs look.
const DOWNLOAD_PATH: &str = "/whatsapp_business/attachments/";

/// What a local Graph API is started with.
#[derive(Clone, Debug)]
pub struct LocalGraphConfig {
    /// Port on 127.0.0.1; 0 picks a free one.
    pub port: u16,
    /// The business phone number id in the paths (`/{version}/{id}/messages`).
    pub phone_number_id: String,
    /// The only token accepted (`Authorization: Bearer ...`).
    pub access_token: Secret,
    /// Where statuses are posted; `None`: nowhere.
    pub webhook: Option<Webhook>,
}

/// A webhooks endpoint, such as `wa-cloud serve`'s, and the app secret it checks with.
#[derive(Clone, Debug)]
pub struct Webhook {
    pub url: String,
    pub app_secret: Secret,
}

/// A message the local Graph API accepted.
#[derive(Clone, Debug)]
pub struct SentMessage {
    /// Its wamid, as the response gave it.
    pub id: String,
    /// The recipient as WhatsApp resolved it: the digits of `to`, or a business-scoped
    /// user id as given.
    pub recipient: String,
    /// The request body as received (a Graph API message object).
    pub message: Value,
}

/// What the bot did, as its user's phone would see it.
#[derive(Clone, Debug)]
pub enum Activity {
    /// A message was sent (accepted).
    Message(SentMessage),
    /// A message from the user was marked read; `typing`: with the typing indicator.
    Read { message_id: String, typing: bool },
}

/// A media object the local Graph API holds.
#[derive(Clone, Debug)]
pub struct StoredMedia {
    /// The media id (digits).
    pub id: String,
    pub mime_type: String,
    /// Lowercase hex SHA-256 of the content.
    pub sha256: String,
    pub size: u64,
    /// The name it was uploaded or added with.
    pub filename: Option<String>,
    /// The bytes, in the temporary directory; gone when the [`LocalGraph`] is.
    pub path: PathBuf,
}

/// A running local Graph API. Dropping it stops the server and deletes its media.
pub struct LocalGraph {
    shared: Arc<Shared>,
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<io::Result<()>>>,
    /// Set when there was no runtime to run on.
    runtime: Option<tokio::runtime::Runtime>,
}

impl LocalGraph {
    /// Binds 127.0.0.1 and starts serving: on the current tokio runtime when called from
    /// one, else on a runtime of its own.
    pub fn start(config: LocalGraphConfig) -> Result<LocalGraph> {
        let wanted = SocketAddr::from((Ipv4Addr::LOCALHOST, config.port));
        let listener = std::net::TcpListener::bind(wanted).with_context(|| {
            format!("cannot listen on {wanted}: choose another --graph-port, or stop what uses it")
        })?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let media_dir = tempfile::Builder::new()
            .prefix("wa-cloud-dev-media-")
            .tempdir()
            .context("cannot create a temporary directory for the local Graph API's media")?;
        // What `wa-cloud doctor` asks about (src/dev/doctor.rs); the app secret is the webhook's.
        let app_secret = config.webhook.as_ref().map(|w| w.app_secret.clone());
        let setup =
            super::doctor::Setup::new(&config.phone_number_id, &config.access_token, app_secret);
        let statuses = match config.webhook {
            Some(webhook) => {
                let (jobs, queue) = mpsc::channel();
                std::thread::Builder::new()
                    .name("dev-statuses".into())
                    .spawn(move || post_statuses(&WebhookPoster::new(webhook), queue))
                    .context("cannot start the thread that posts statuses")?;
                Some(jobs)
            }
            None => None,
        };
        let shared = Arc::new(Shared {
            phone_number_id: config.phone_number_id,
            token: config.access_token,
            base_url: format!("http://{addr}"),
            media_dir,
            state: Mutex::new(Inner::default()),
            activity: broadcast::channel(SUBSCRIBER_BACKLOG).0,
            statuses,
            counter: AtomicU64::new(0),
            templates: Arc::default(),
            // Random, so that ids of one run are not taken for those of another (a media
            // cache that outlives this process then misses instead of hitting a wrong id).
            media_base: fastrand::u64(1_000_000_000_000_000..8_000_000_000_000_000),
            wamid_base: fastrand::u64(..),
        });

        let (runtime, handle) = match tokio::runtime::Handle::try_current() {
            Ok(handle) => (None, handle),
            Err(_) => {
                let runtime = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .thread_name("local-graph")
                    .enable_all()
                    .build()
                    .context("cannot start a runtime for the local Graph API")?;
                let handle = runtime.handle().clone();
                (Some(runtime), handle)
            }
        };
        let _entered = handle.enter();
        let listener = tokio::net::TcpListener::from_std(listener)?;
        let (stop, stopped) = oneshot::channel::<()>();
        let app = router(shared.clone())
            .layer(middleware::from_fn_with_state(setup, super::doctor::answer));
        let server = handle.spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await
        });
        Ok(LocalGraph {
            shared,
            addr,
            stop: Some(stop),
            server: Some(server),
            runtime,
        })
    }

    /// The address it listens on (127.0.0.1 and the port).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`: `graphApi.baseUrl` and `basePort` for wa-cloud.
    pub fn url(&self) -> &str {
        &self.shared.base_url
    }

    /// Every message accepted from now on, and every read mark. A subscriber that falls
    /// more than 1024 behind misses the oldest (`RecvError::Lagged`); [`LocalGraph::sent`]
    /// still has them.
    pub fn subscribe(&self) -> broadcast::Receiver<Activity> {
        self.shared.activity.subscribe()
    }

    /// Every message accepted so far, in order.
    pub fn sent(&self) -> Vec<SentMessage> {
        self.shared.lock().sent.clone()
    }

    /// Holds a copy of a local file as media (as if a user had sent it) and returns it,
    /// with the id that `GET /{media-id}` and `wa-cloud download` take. Blocks while it
    /// copies the file.
    pub fn add_media(&self, path: &Path) -> Result<StoredMedia> {
        let shown = path.display();
        let mut source = File::open(path).with_context(|| format!("cannot read `{shown}`"))?;
        let mut head = Vec::with_capacity(crate::media::kind::HEAD);
        (&mut source)
            .take(crate::media::kind::HEAD as u64)
            .read_to_end(&mut head)
            .with_context(|| format!("cannot read `{shown}`"))?;
        let mime_type = crate::media::kind::sniff(&head, path);
        let id = self.shared.next_media_id();
        let target = self.shared.media_dir.path().join(&id);
        let (sha256, size) = match copy_hashed(&head, &mut source, &target) {
            Ok(copied) => copied,
            Err(err) => {
                let _ = std::fs::remove_file(&target);
                return Err(anyhow::Error::new(err).context(format!(
                    "cannot copy `{shown}` into the local Graph API's media (in {})",
                    self.shared.media_dir.path().display()
                )));
            }
        };
        let media = StoredMedia {
            id: id.clone(),
            mime_type,
            sha256,
            size,
            filename: path.file_name().map(|n| n.to_string_lossy().into_owned()),
            path: target,
        };
        self.shared.lock().media.insert(id, media.clone());
        Ok(media)
    }

    /// The media held under `id`, uploaded or added.
    pub fn media(&self, id: &str) -> Option<StoredMedia> {
        self.shared.lock().media.get(id).cloned()
    }

    /// Stops accepting, lets the requests in flight finish, and returns when the server
    /// has stopped.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take() {
            match server.await {
                Ok(Ok(())) => {}
                Ok(Err(err)) => tracing::warn!("the local Graph API stopped with an error: {err}"),
                Err(err) => tracing::warn!("the local Graph API stopped abnormally: {err}"),
            }
        }
    }
}

impl Drop for LocalGraph {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(runtime) = self.runtime.take() {
            // Unlike dropping it, this may also happen inside another runtime.
            runtime.shutdown_background();
        }
    }
}

/// Writes `head`, then the rest of `source`, to a new file at `target`; the content's
/// hex SHA-256 and size.
fn copy_hashed(head: &[u8], source: &mut File, target: &Path) -> io::Result<(String, u64)> {
    struct Hashing<W> {
        inner: W,
        hasher: Sha256,
    }
    impl<W: Write> Write for Hashing<W> {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            let written = self.inner.write(buf)?;
            self.hasher.update(&buf[..written]);
            Ok(written)
        }
        fn flush(&mut self) -> io::Result<()> {
            self.inner.flush()
        }
    }
    let mut out = Hashing {
        inner: io::BufWriter::new(File::create(target)?),
        hasher: Sha256::new(),
    };
    out.write_all(head)?;
    let size = head.len() as u64 + io::copy(source, &mut out)?;
    out.flush()?;
    Ok((hex::encode(out.hasher.finalize()), size))
}

/// What the handlers share.
struct Shared {
    phone_number_id: String,
    token: Secret,
    base_url: String,
    media_dir: tempfile::TempDir,
    state: Mutex<Inner>,
    activity: broadcast::Sender<Activity>,
    /// The status thread's queue, when there is a webhook.
    statuses: Option<mpsc::Sender<StatusJob>>,
    counter: AtomicU64,
    /// Message templates (`dev::templates`).
    templates: Arc<super::templates::Book>,
    media_base: u64,
    wamid_base: u64,
}

#[derive(Default)]
struct Inner {
    media: HashMap<String, StoredMedia>,
    sent: Vec<SentMessage>,
}

impl Shared {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A handler that panicked while holding the lock left consistent data behind:
        // every change under it is a single insert or push.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn next(&self) -> u64 {
        self.counter.fetch_add(1, Ordering::Relaxed) + 1
    }

    fn next_media_id(&self) -> String {
        (self.media_base + self.next()).to_string()
    }

    /// A wamid shaped like Meta's (`wamid.` and base64-like characters), unique per run.
    fn next_wamid(&self) -> String {
        format!("wamid.HBgLDEV{:016X}{:08X}", self.wamid_base, self.next())
    }
}

fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route(
            "/{version}/{node}/messages",
            post(messages).fallback(unsupported),
        )
        .route(
            "/{version}/{node}/media",
            post(upload).fallback(unsupported),
        )
        .route(
            "/{version}/{id}",
            get(media_info).delete(delete_media).fallback(unsupported),
        )
        .route(DOWNLOAD_PATH, get(download))
        .merge(super::templates::router(shared.templates.clone()))
        .fallback(unsupported)
        .layer(middleware::from_fn_with_state(shared.clone(), authorize))
        .with_state(shared)
}

// ---------------------------------------------------------------------------------------
// Meta's answers

/// Meta's error object (WHATSAPP.md §6.1), with a status and a trace id.
fn graph_error(status: StatusCode, code: i64, message: &str, details: &str) -> Response {
    let trace: String = std::iter::repeat_with(fastrand::alphanumeric)
        .take(23)
        .collect();
    let mut error = json!({"message": message, "type": "OAuthException", "code": code,
        "fbtrace_id": format!("Adev{trace}")});
    if !details.is_empty() {
        error["error_data"] = json!({"messaging_product": "whatsapp", "details": details});
    }
    (status, axum::Json(json!({"error": error}))).into_response()
}

/// Code 100 with HTTP 400: a request Meta would refuse as invalid.
fn invalid(message: &str, details: &str) -> Response {
    graph_error(StatusCode::BAD_REQUEST, 100, message, details)
}

/// Meta's answer for an id that is not there (or not this token's to see).
fn no_such_object(method: &Method, id: &str) -> Response {
    let message = format!(
        "Unsupported {} request. Object with ID '{id}' does not exist, cannot be loaded due to \
         missing permissions, or does not support this operation. Please read the Graph API \
         documentation at https://developers.facebook.com/docs/graph-api",
        method.as_str().to_ascii_lowercase()
    );
    let error = json!({"error": {"message": message, "type": "GraphMethodException", "code": 100,
        "error_subcode": 33, "fbtrace_id": "AdevNoSuchObject"}});
    (StatusCode::BAD_REQUEST, axum::Json(error)).into_response()
}

async fn unsupported(method: Method, uri: Uri) -> Response {
    invalid(
        &format!(
            "(#100) Unsupported {} request",
            method.as_str().to_ascii_lowercase()
        ),
        &format!(
            "the local Graph API of `wa-cloud dev` answers POST /{{version}}/{{phone-number-id}}/messages and /media, \
             GET and DELETE /{{version}}/{{media-id}}, not {method} {}",
            uri.path()
        ),
    )
}

/// Lets a request through only with `Authorization: Bearer <the token>`.
async fn authorize(State(shared): State<Arc<Shared>>, request: Request, next: Next) -> Response {
    let given = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        });
    let matches =
        |token: &str| bool::from(token.as_bytes().ct_eq(shared.token.expose().as_bytes()));
    match given {
        Some(token) if matches(token.trim()) => next.run(request).await,
        Some(_) => {
            tracing::warn!(
                "refused {} {}: wrong access token",
                request.method(),
                request.uri().path()
            );
            graph_error(
                StatusCode::UNAUTHORIZED,
                190,
                "Invalid OAuth access token - Cannot parse access token",
                "the local Graph API of `wa-cloud dev` takes only the token it was started with \
                 (--token; default wa-cloud-dev-token)",
            )
        }
        None => {
            tracing::warn!(
                "refused {} {}: no access token",
                request.method(),
                request.uri().path()
            );
            graph_error(
                StatusCode::UNAUTHORIZED,
                190,
                "An active access token must be used to query information about the current user.",
                "send the header Authorization: Bearer <token>",
            )
        }
    }
}

// ---------------------------------------------------------------------------------------
// Messages

/// `POST /{version}/{phone-number-id}/messages`: a message, or a read mark.
async fn messages(
    State(shared): State<Arc<Shared>>,
    UrlPath((_version, node)): UrlPath<(String, String)>,
    body: Bytes,
) -> Response {
    if node != shared.phone_number_id {
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
            let mut body =
                status_notification(&shared.phone_number_id, &id, status, &checked.recipient);
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
enum Recipient {
    /// Digits of a phone number.
    WaId(String),
    /// A business-scoped user id (`US.13491208655302741918`).
    UserId(String),
}

impl Recipient {
    fn id(&self) -> &str {
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
struct Refusal {
    /// Meta's message, `(#100) ...`.
    message: String,
    /// What to change.
    details: String,
}

fn refuse(message: impl Into<String>, details: impl Into<String>) -> Refusal {
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

// ---------------------------------------------------------------------------------------
// Statuses

/// One status to post, not before its time.
struct StatusJob {
    body: Value,
    wamid: String,
    status: &'static str,
    not_before: Instant,
}

/// The status thread: posts each status in the order queued, until the server is gone.
fn post_statuses(poster: &WebhookPoster, jobs: mpsc::Receiver<StatusJob>) {
    for job in jobs {
        let wait = job.not_before.saturating_duration_since(Instant::now());
        if !wait.is_zero() {
            std::thread::sleep(wait);
        }
        match poster.post(&job.body) {
            Ok(()) => tracing::debug!("posted status {} of {}", job.status, job.wamid),
            Err(err) => tracing::warn!(
                "could not post status `{}` of {} to {}: {err}",
                job.status,
                job.wamid,
                poster.url
            ),
        }
    }
}

/// A status notification in WhatsApp's envelope (the shape of the `status_*.json`
/// fixtures): `conversation` and `pricing` only with `sent` and `delivered`, as WhatsApp
/// sends them with `sent` and one of the later ones.
fn status_notification(
    phone_number_id: &str,
    wamid: &str,
    status: &str,
    recipient: &Recipient,
) -> Value {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let mut entry = json!({"id": wamid, "status": status, "timestamp": now.to_string()});
    match recipient {
        Recipient::WaId(id) => entry["recipient_id"] = json!(id),
        Recipient::UserId(id) => entry["recipient_user_id"] = json!(id),
    }
    // One conversation per recipient, as a service conversation is.
    let conversation_id = hex::encode(&Sha256::digest(recipient.id().as_bytes())[..16]);
    match status {
        "sent" => {
            entry["conversation"] = json!({"id": conversation_id,
                "expiration_timestamp": (now + 24 * 3600).to_string(), "origin": {"type": "service"}});
        }
        "delivered" => {
            entry["conversation"] = json!({"id": conversation_id, "origin": {"type": "service"}});
        }
        _ => {}
    }
    if matches!(status, "sent" | "delivered") {
        entry["pricing"] = json!({"billable": false, "pricing_model": "PMP",
            "type": "free_customer_service", "category": "service"});
    }
    json!({"object": "whatsapp_business_account", "entry": [{"id": WABA_ID, "changes": [{
        "value": {"messaging_product": "whatsapp",
            "metadata": {"display_phone_number": DISPLAY_PHONE_NUMBER, "phone_number_id": phone_number_id},
            "statuses": [entry]},
        "field": "messages"}]}]})
}

/// Posts notifications to a webhook as WhatsApp does: JSON with non-ASCII characters
/// escaped, signed with the app secret. Blocking.
pub(crate) struct WebhookPoster {
    url: String,
    secret: Secret,
    agent: ureq::Agent,
}

impl WebhookPoster {
    pub(crate) fn new(webhook: Webhook) -> WebhookPoster {
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(WEBHOOK_TIMEOUT))
            .user_agent("facebookexternalua (wa-cloud dev)")
            .build()
            .into();
        WebhookPoster {
            url: webhook.url,
            secret: webhook.app_secret,
            agent,
        }
    }

    /// Posts one notification; an unreachable webhook or a 5xx is tried again, briefly.
    pub(crate) fn post(&self, notification: &Value) -> Result<(), String> {
        let body = meta_json(notification);
        let signature = signature(&self.secret, body.as_bytes());
        let mut last = String::new();
        for attempt in 1..=WEBHOOK_ATTEMPTS {
            let sent = self
                .agent
                .post(&self.url)
                .header("content-type", "application/json")
                .header("x-hub-signature-256", &signature)
                .send(body.as_bytes());
            match sent {
                Ok(response) if response.status().is_success() => return Ok(()),
                Ok(response) if response.status().is_server_error() => {
                    last = format!("the webhook answered HTTP {}", response.status().as_u16());
                }
                Ok(response) => {
                    let status = response.status().as_u16();
                    let hint = if matches!(status, 401 | 403) {
                        " (is the app secret, --secret, the one the webhook checks signatures with?)"
                    } else {
                        ""
                    };
                    return Err(format!("the webhook answered HTTP {status}{hint}"));
                }
                Err(err) => last = format!("cannot reach the webhook: {err}"),
            }
            if attempt < WEBHOOK_ATTEMPTS {
                std::thread::sleep(Duration::from_millis(100) * attempt);
            }
        }
        Err(format!("{last} (tried {WEBHOOK_ATTEMPTS} times)"))
    }
}

/// JSON as Meta serializes notifications: every non-ASCII character escaped as
/// `\uXXXX` (lowercase hex, UTF-16), which is what the signature is computed over
/// (WHATSAPP.md §2.1).
pub(crate) fn meta_json(value: &Value) -> String {
    let plain = value.to_string();
    if plain.is_ascii() {
        return plain;
    }
    let mut escaped = String::with_capacity(plain.len() + 32);
    for c in plain.chars() {
        if c.is_ascii() {
            escaped.push(c);
        } else {
            // Outside strings JSON is all ASCII, so every such character is in a string.
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                escaped.push_str(&format!("\\u{unit:04x}"));
            }
        }
    }
    escaped
}

/// `sha256=<hex HMAC-SHA256 of body>`: the `X-Hub-Signature-256` header.
pub(crate) fn signature(secret: &Secret, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.expose().as_bytes())
        .expect("HMAC takes keys of any length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

// ---------------------------------------------------------------------------------------
// Media

/// `POST /{version}/{phone-number-id}/media`: a multipart upload, streamed to a file.
async fn upload(
    State(shared): State<Arc<Shared>>,
    UrlPath((_version, node)): UrlPath<(String, String)>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    if node != shared.phone_number_id {
        return no_such_object(&Method::POST, &node);
    }
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let Some(boundary) = multipart_boundary(content_type) else {
        return invalid(
            "(#100) The parameter file is required.",
            "upload with Content-Type multipart/form-data and the fields messaging_product, type and file",
        );
    };
    let id = shared.next_media_id();
    let path = shared.media_dir.path().join(&id);
    let received = receive_upload(body, &boundary, path.clone()).await;
    let upload = match received {
        Ok(upload) => upload,
        Err(refusal) => {
            let _ = std::fs::remove_file(&path);
            tracing::warn!(
                "refused an upload: {} ({})",
                refusal.message,
                refusal.details
            );
            return invalid(&refusal.message, &refusal.details);
        }
    };
    let field = |name: &str| upload.fields.get(name).map(|v| v.trim().to_string());
    let refusal = match (field("messaging_product"), field("type"), &upload.file) {
        (None, _, _) => Some(refuse(
            "(#100) The parameter messaging_product is required.",
            "add the field messaging_product=whatsapp",
        )),
        (Some(product), _, _) if product != "whatsapp" => Some(refuse(
            "(#100) Param messaging_product must be one of {WHATSAPP}",
            "messaging_product must be whatsapp",
        )),
        (_, _, None) => Some(refuse(
            "(#100) The parameter file is required.",
            "add the file as the part named file",
        )),
        (_, None, _) => Some(refuse(
            "(#100) The parameter type is required.",
            "add the field type: the file's MIME type, such as image/jpeg",
        )),
        (_, Some(mime), _) if !mime.contains('/') => Some(refuse(
            "(#100) Param type must be a valid MIME type",
            "type is the file's MIME type, such as image/jpeg",
        )),
        _ => None,
    };
    if let Some(refusal) = refusal {
        let _ = std::fs::remove_file(&path);
        tracing::warn!(
            "refused an upload: {} ({})",
            refusal.message,
            refusal.details
        );
        return invalid(&refusal.message, &refusal.details);
    }
    let file = upload.file.expect("checked above");
    let media = StoredMedia {
        id: id.clone(),
        mime_type: field("type").expect("checked above"),
        sha256: file.sha256,
        size: file.size,
        filename: file.filename,
        path,
    };
    tracing::info!(
        "media {id} uploaded: {}, {} bytes{}",
        media.mime_type,
        media.size,
        media
            .filename
            .as_deref()
            .map(|n| format!(", {n}"))
            .unwrap_or_default()
    );
    shared.lock().media.insert(id.clone(), media);
    axum::Json(json!({"id": id})).into_response()
}

/// The `boundary` parameter of a `multipart/form-data` content type.
fn multipart_boundary(content_type: &str) -> Option<String> {
    let mut params = content_type.split(';').map(str::trim);
    let kind = params.next()?;
    if !kind.eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    params
        .filter_map(|p| p.split_once('='))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("boundary"))
        .map(|(_, value)| value.trim().trim_matches('"').to_string())
        .filter(|b| !b.is_empty() && b.len() <= 70)
}

/// What an upload brought: its text fields and the file, already on disk.
struct Upload {
    fields: HashMap<String, String>,
    file: Option<ReceivedFile>,
}

struct ReceivedFile {
    filename: Option<String>,
    sha256: String,
    size: u64,
}

/// Which part the data being read belongs to.
enum Current {
    File,
    Field(String, Vec<u8>),
    Other,
}

/// Reads a multipart body as it arrives: the `file` part goes to `path` through a
/// blocking writer thread (hashed on the way), the other parts into `fields`.
async fn receive_upload(mut body: Body, boundary: &str, path: PathBuf) -> Result<Upload, Refusal> {
    let mut parser = MultipartParser::new(boundary);
    let mut fields = HashMap::new();
    let mut current = Current::Other;
    let mut writer: Option<(FileWriter, Option<String>)> = None;
    let mut total: u64 = 0;
    let cut_short = || {
        refuse(
            "(#100) Invalid parameter",
            "the upload ended early or was not a complete multipart/form-data body",
        )
    };
    let mut path = Some(path);
    'read: while let Some(chunk) = next_data(&mut body).await {
        let chunk = chunk.map_err(|_| cut_short())?;
        total += chunk.len() as u64;
        if total > MAX_UPLOAD {
            return Err(refuse(
                "(#100) Invalid parameter",
                "the file is larger than 100 MB, the most WhatsApp takes",
            ));
        }
        let events = parser
            .push(&chunk)
            .map_err(|why| refuse("(#100) Invalid parameter", why))?;
        for event in events {
            match event {
                Event::Part(part) => {
                    finish_field(&mut current, &mut fields);
                    current = match part.name.as_str() {
                        "file" => match path.take() {
                            Some(path) => {
                                writer = Some((FileWriter::start(path), part.filename));
                                Current::File
                            }
                            // Only the first file counts.
                            None => Current::Other,
                        },
                        "" => Current::Other,
                        name => Current::Field(name.to_string(), Vec::new()),
                    };
                }
                Event::Data(data) => match &mut current {
                    Current::File => {
                        let (file, _) = writer.as_mut().expect("a file part has a writer");
                        if !file.write(data).await {
                            // The writer stopped; its error is read below.
                            break 'read;
                        }
                    }
                    Current::Field(name, value) => {
                        if value.len() + data.len() > MAX_FIELD {
                            return Err(refuse(
                                "(#100) Invalid parameter",
                                format!("the field {name} is too long"),
                            ));
                        }
                        value.extend_from_slice(&data);
                    }
                    Current::Other => {}
                },
                Event::End => {
                    finish_field(&mut current, &mut fields);
                    break 'read;
                }
            }
        }
    }
    let file = match writer {
        Some((file, filename)) => {
            let (sha256, size) = file.finish().await.map_err(|err| {
                refuse(
                    "(#131000) Something went wrong",
                    format!("the local Graph API could not store the file: {err}"),
                )
            })?;
            Some(ReceivedFile {
                filename,
                sha256,
                size,
            })
        }
        None => None,
    };
    if !parser.is_done() {
        return Err(cut_short());
    }
    Ok(Upload { fields, file })
}

fn finish_field(current: &mut Current, fields: &mut HashMap<String, String>) {
    if let Current::Field(name, value) = std::mem::replace(current, Current::Other) {
        fields.insert(name, String::from_utf8_lossy(&value).into_owned());
    }
}

/// The next data frame of a request body (trailers skipped); `None` at its end.
async fn next_data(body: &mut Body) -> Option<Result<Bytes, axum::Error>> {
    loop {
        let frame = std::future::poll_fn(|cx| Pin::new(&mut *body).poll_frame(cx)).await?;
        match frame {
            Ok(frame) => {
                if let Ok(data) = frame.into_data() {
                    return Some(Ok(data));
                }
            }
            Err(err) => return Some(Err(err)),
        }
    }
}

/// Writes a file on a blocking thread, so that disk writes never stall the server.
struct FileWriter {
    chunks: tokio::sync::mpsc::Sender<Vec<u8>>,
    done: tokio::task::JoinHandle<io::Result<(String, u64)>>,
}

impl FileWriter {
    fn start(path: PathBuf) -> FileWriter {
        let (chunks, mut incoming) = tokio::sync::mpsc::channel::<Vec<u8>>(8);
        let done = tokio::task::spawn_blocking(move || {
            let mut file = io::BufWriter::new(File::create(&path)?);
            let mut hasher = Sha256::new();
            let mut size = 0u64;
            while let Some(chunk) = incoming.blocking_recv() {
                file.write_all(&chunk)?;
                hasher.update(&chunk);
                size += chunk.len() as u64;
            }
            file.flush()?;
            Ok((hex::encode(hasher.finalize()), size))
        });
        FileWriter { chunks, done }
    }

    /// False when the writer has stopped (an I/O error, which `finish` returns).
    async fn write(&self, chunk: Vec<u8>) -> bool {
        self.chunks.send(chunk).await.is_ok()
    }

    /// The file's hex SHA-256 and size, once everything is written.
    async fn finish(self) -> io::Result<(String, u64)> {
        drop(self.chunks);
        self.done.await.map_err(io::Error::other)?
    }
}

/// `GET /{version}/{id}`: a media object's URL and facts, or the phone number's.
async fn media_info(
    State(shared): State<Arc<Shared>>,
    UrlPath((_version, id)): UrlPath<(String, String)>,
) -> Response {
    if id == shared.phone_number_id {
        return axum::Json(json!({"verified_name": "wa-cloud dev",
            "display_phone_number": DISPLAY_PHONE_NUMBER, "quality_rating": "GREEN", "id": id}))
        .into_response();
    }
    let Some(media) = shared.lock().media.get(&id).cloned() else {
        return no_such_object(&Method::GET, &id);
    };
    axum::Json(json!({
        "messaging_product": "whatsapp",
        "url": format!("{}{DOWNLOAD_PATH}?mid={id}", shared.base_url),
        "mime_type": media.mime_type,
        "sha256": media.sha256,
        "file_size": media.size.to_string(),
        "id": id,
    }))
    .into_response()
}

/// `DELETE /{version}/{media-id}`.
async fn delete_media(
    State(shared): State<Arc<Shared>>,
    UrlPath((_version, id)): UrlPath<(String, String)>,
) -> Response {
    let Some(media) = shared.lock().media.remove(&id) else {
        return no_such_object(&Method::DELETE, &id);
    };
    let _ = std::fs::remove_file(&media.path);
    tracing::info!("media {id} deleted");
    axum::Json(json!({"success": true})).into_response()
}

/// The media URL: the bytes, with the media's type (the token was checked already).
async fn download(
    State(shared): State<Arc<Shared>>,
    Query(query): Query<HashMap<String, String>>,
    request: Request,
) -> Response {
    let media = query
        .get("mid")
        .and_then(|id| shared.lock().media.get(id).cloned());
    // Meta answers an unknown or expired media URL with 404 (WHATSAPP.md §7).
    let Some(media) = media else {
        return StatusCode::NOT_FOUND.into_response();
    };
    match tower_http::services::ServeFile::new(&media.path)
        .try_call(request)
        .await
    {
        Ok(response) => {
            let mut response = response.map(Body::new);
            if let Ok(value) = HeaderValue::from_str(&media.mime_type) {
                response.headers_mut().insert(header::CONTENT_TYPE, value);
            }
            response
        }
        Err(err) => {
            tracing::warn!("cannot serve media {}: {err}", media.id);
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

// ---------------------------------------------------------------------------------------
// multipart/form-data

/// A part's headers, as far as uploads need them.
#[derive(Debug, PartialEq, Eq)]
struct PartHeaders {
    name: String,
    filename: Option<String>,
}

#[derive(Debug, PartialEq, Eq)]
enum Event {
    Part(PartHeaders),
    Data(Vec<u8>),
    End,
}

#[derive(Debug, PartialEq, Eq)]
enum Phase {
    Preamble,
    AfterDelimiter,
    Headers,
    Body,
    Done,
}

/// A `multipart/form-data` parser (RFC 7578) fed the body in pieces of any size: it
/// never holds more than a piece and a delimiter's length, whatever the part's size.
struct MultipartParser {
    /// `\r\n--boundary`.
    delimiter: Vec<u8>,
    buffer: Vec<u8>,
    phase: Phase,
}

impl MultipartParser {
    fn new(boundary: &str) -> MultipartParser {
        MultipartParser {
            delimiter: format!("\r\n--{boundary}").into_bytes(),
            // The first delimiter has no line break before it; this one makes it match.
            buffer: b"\r\n".to_vec(),
            phase: Phase::Preamble,
        }
    }

    fn is_done(&self) -> bool {
        self.phase == Phase::Done
    }

    fn push(&mut self, input: &[u8]) -> Result<Vec<Event>, &'static str> {
        let mut events = Vec::new();
        if self.phase == Phase::Done {
            return Ok(events);
        }
        self.buffer.extend_from_slice(input);
        loop {
            match self.phase {
                Phase::Preamble => match find(&self.buffer, &self.delimiter) {
                    Some(at) => {
                        self.buffer.drain(..at + self.delimiter.len());
                        self.phase = Phase::AfterDelimiter;
                    }
                    None => {
                        let keep = self.delimiter.len() - 1;
                        let cut = self.buffer.len().saturating_sub(keep);
                        self.buffer.drain(..cut);
                        return Ok(events);
                    }
                },
                Phase::AfterDelimiter => {
                    if self.buffer.len() < 2 {
                        return Ok(events);
                    }
                    if self.buffer.starts_with(b"--") {
                        self.phase = Phase::Done;
                        self.buffer.clear();
                        events.push(Event::End);
                        return Ok(events);
                    }
                    if !self.buffer.starts_with(b"\r\n") {
                        return Err("a multipart boundary is not followed by a line break");
                    }
                    self.buffer.drain(..2);
                    self.phase = Phase::Headers;
                }
                Phase::Headers => {
                    let end = if self.buffer.starts_with(b"\r\n") {
                        Some((0, 2))
                    } else {
                        find(&self.buffer, b"\r\n\r\n").map(|at| (at, at + 4))
                    };
                    let Some((end, skip)) = end else {
                        if self.buffer.len() > MAX_PART_HEADERS {
                            return Err("a multipart part's headers are too long");
                        }
                        return Ok(events);
                    };
                    let headers = String::from_utf8_lossy(&self.buffer[..end]).into_owned();
                    self.buffer.drain(..skip);
                    events.push(Event::Part(parse_part_headers(&headers)));
                    self.phase = Phase::Body;
                }
                Phase::Body => match find(&self.buffer, &self.delimiter) {
                    Some(at) => {
                        if at > 0 {
                            events.push(Event::Data(self.buffer[..at].to_vec()));
                        }
                        self.buffer.drain(..at + self.delimiter.len());
                        self.phase = Phase::AfterDelimiter;
                    }
                    None => {
                        // The tail may be the start of a delimiter: keep it for the next piece.
                        let keep = self.delimiter.len() - 1;
                        let safe = self.buffer.len().saturating_sub(keep);
                        if safe > 0 {
                            events.push(Event::Data(self.buffer.drain(..safe).collect()));
                        }
                        return Ok(events);
                    }
                },
                Phase::Done => return Ok(events),
            }
        }
    }
}

/// Where `needle` starts in `haystack`: a scan for its first byte (which is `\r`, rare in
/// most files), then a comparison, so that a 100 MB upload is scanned about once.
fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    let first = *needle.first()?;
    let mut at = 0;
    while at + needle.len() <= haystack.len() {
        at += haystack[at..].iter().position(|b| *b == first)?;
        if haystack[at..].starts_with(needle) {
            return Some(at);
        }
        at += 1;
    }
    None
}

/// `name` and `filename` from a part's `Content-Disposition` header; quoted values may
/// hold `;`.
fn parse_part_headers(headers: &str) -> PartHeaders {
    let mut part = PartHeaders {
        name: String::new(),
        filename: None,
    };
    for line in headers.split("\r\n") {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        if !name.trim().eq_ignore_ascii_case("content-disposition") {
            continue;
        }
        for (key, value) in disposition_params(value) {
            match key.to_ascii_lowercase().as_str() {
                "name" => part.name = value,
                "filename" => part.filename = Some(value),
                _ => {}
            }
        }
    }
    part
}

fn disposition_params(value: &str) -> Vec<(String, String)> {
    let mut params = Vec::new();
    let mut chars = value.chars().peekable();
    loop {
        // Skip to the next parameter.
        while chars.peek().is_some_and(|c| *c == ';' || c.is_whitespace()) {
            chars.next();
        }
        let key: String =
            std::iter::from_fn(|| chars.next_if(|c| *c != '=' && *c != ';')).collect();
        if key.is_empty() && chars.peek().is_none() {
            return params;
        }
        let mut value = String::new();
        if chars.next_if_eq(&'=').is_some() {
            if chars.next_if_eq(&'"').is_some() {
                while let Some(c) = chars.next() {
                    match c {
                        '"' => break,
                        '\\' => value.extend(chars.next()),
                        c => value.push(c),
                    }
                }
            } else {
                value = std::iter::from_fn(|| chars.next_if(|c| *c != ';')).collect();
            }
        }
        params.push((key.trim().to_string(), value.trim_end().to_string()));
    }
}

/// The upload parser without a server, for fuzzing (`fuzz/`): not part of the API.
#[doc(hidden)]
pub mod fuzzing {
    use super::{Event, MultipartParser, multipart_boundary};

    /// A part as the parser reported it: its name, file name and data.
    pub type Part = (String, Option<String>, Vec<u8>);

    /// Parses `body`, sent with this `Content-Type`, in pieces of `piece` bytes (at least
    /// 1): `None` when the content type is not `multipart/form-data` with a boundary;
    /// else the parts, and whether the body was complete, or why it is refused.
    pub fn multipart(
        content_type: &str,
        body: &[u8],
        piece: usize,
    ) -> Option<Result<(Vec<Part>, bool), &'static str>> {
        let boundary = multipart_boundary(content_type)?;
        let mut parser = MultipartParser::new(&boundary);
        let mut parts: Vec<Part> = Vec::new();
        let mut ended = false;
        for chunk in body.chunks(piece.max(1)) {
            let events = match parser.push(chunk) {
                Ok(events) => events,
                Err(why) => return Some(Err(why)),
            };
            for event in events {
                match event {
                    Event::Part(headers) => {
                        parts.push((headers.name, headers.filename, Vec::new()))
                    }
                    Event::Data(data) => match parts.last_mut() {
                        Some(part) => part.2.extend(data),
                        None => panic!("data before any part"),
                    },
                    Event::End => ended = true,
                }
            }
        }
        Some(Ok((parts, ended && parser.is_done())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::GraphConfig;
    use crate::graph::Client;
    use crate::graph::media::UploadFile;

    #[test]
    fn notifications_are_escaped_and_signed_as_meta_does() {
        let secret = Secret::new("my_app_secret");
        let body = meta_json(&json!({"text": {"body": "café"}}));
        assert_eq!(body, r#"{"text":{"body":"caf\u00e9"}}"#);
        assert_eq!(
            signature(&secret, body.as_bytes()),
            "sha256=5088d9ceba546140896900a32299e035f15cc4c732450829ed5b162ad16e2ee3"
        );
        // Outside the Basic Multilingual Plane: a surrogate pair, as JavaScript escapes it.
        assert_eq!(meta_json(&json!("👍")), r#""\ud83d\udc4d""#);
        let signed = signature(&secret, body.as_bytes());
        assert_eq!(
            crate::webhooks::check_signature(&secret, Some(&signed), body.as_bytes()),
            Ok(())
        );
    }

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

    const BODY: &[u8] = b"preamble\r\n--XyZ\r\nContent-Disposition: form-data; name=\"messaging_product\"\r\n\r\nwhatsapp\r\n\
        --XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a;b \\\"c\\\".png\"\r\nContent-Type: image/png\r\n\r\n\
        PNG\r\n--XyQ\r\n-XyZ\r\n\r\nDATA\r\n--XyZ\r\nContent-Disposition: form-data; name=\"type\"\r\n\r\nimage/png\r\n--XyZ--\r\nepilogue";

    /// A part as the tests see it: name, file name, content.
    type Parsed = (String, Option<String>, Vec<u8>);

    fn parse_in_pieces(size: usize) -> (Vec<Parsed>, bool) {
        let mut parser = MultipartParser::new("XyZ");
        let mut parts: Vec<Parsed> = Vec::new();
        let mut ended = false;
        for piece in BODY.chunks(size) {
            for event in parser.push(piece).unwrap() {
                match event {
                    Event::Part(headers) => {
                        parts.push((headers.name, headers.filename, Vec::new()))
                    }
                    Event::Data(data) => parts.last_mut().unwrap().2.extend(data),
                    Event::End => ended = true,
                }
            }
        }
        (parts, ended && parser.is_done())
    }

    #[test]
    fn multipart_bodies_parse_alike_in_pieces_of_any_size() {
        let expected = vec![
            ("messaging_product".to_string(), None, b"whatsapp".to_vec()),
            (
                "file".to_string(),
                Some("a;b \"c\".png".to_string()),
                b"PNG\r\n--XyQ\r\n-XyZ\r\n\r\nDATA".to_vec(),
            ),
            ("type".to_string(), None, b"image/png".to_vec()),
        ];
        for size in [1, 2, 3, 7, 16, 100, BODY.len()] {
            assert_eq!(
                parse_in_pieces(size),
                (expected.clone(), true),
                "pieces of {size}"
            );
        }
        let mut parser = MultipartParser::new("XyZ");
        parser
            .push(b"--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nx")
            .unwrap();
        assert!(
            !parser.is_done(),
            "a body without its closing boundary is incomplete"
        );
        assert_eq!(
            multipart_boundary("multipart/form-data; boundary=\"abc\""),
            Some("abc".into())
        );
        assert_eq!(multipart_boundary("application/json"), None);
    }

    fn client(graph: &LocalGraph, token: &str) -> Client {
        Client::new(&GraphConfig {
            base_url: format!("{}/v25.0", graph.url()),
            phone_number_id: "100000000000001".into(),
            access_token: Secret::new(token),
            timeout: std::time::Duration::from_secs(15),
        })
    }

    fn start() -> LocalGraph {
        LocalGraph::start(LocalGraphConfig {
            port: 0,
            phone_number_id: "100000000000001".into(),
            access_token: Secret::new("dev-token"),
            webhook: None,
        })
        .unwrap()
    }

    #[test]
    fn sent_messages_reach_subscribers_and_are_kept() {
        let graph = start();
        let mut activity = graph.subscribe();
        let client = client(&graph, "dev-token");
        let body = json!({"messaging_product": "whatsapp", "to": "+4915112345678", "type": "text", "text": {"body": "hi"}});
        let sent = client.send_message(&body).unwrap();
        assert!(sent.id.starts_with("wamid."), "{}", sent.id);
        assert_eq!(sent.wa_id.as_deref(), Some("4915112345678"));
        client.mark_read("wamid.THEIRS", true).unwrap();
        match activity.try_recv().unwrap() {
            Activity::Message(message) => {
                assert_eq!(message.id, sent.id);
                assert_eq!(message.recipient, "4915112345678");
                assert_eq!(message.message, body);
            }
            other => panic!("expected the message, got {other:?}"),
        }
        assert!(matches!(activity.try_recv().unwrap(),
            Activity::Read { message_id, typing: true } if message_id == "wamid.THEIRS"));
        assert_eq!(graph.sent().len(), 1);
        let second = client.send_message(&body).unwrap();
        assert_ne!(second.id, sent.id, "wamids are unique");

        let wrong = self::client(&graph, "not-the-token").send_message(&body);
        let err = wrong.unwrap_err().to_string();
        assert!(
            err.contains("code 190") && err.contains("HTTP 401"),
            "{err}"
        );
    }

    #[test]
    fn added_and_uploaded_media_can_be_downloaded_and_deleted() {
        let graph = start();
        let client = client(&graph, "dev-token");
        let dir = tempfile::tempdir().unwrap();
        let png = dir.path().join("dot.png");
        let bytes = [b"\x89PNG\r\n\x1a\n".as_slice(), &[7; 100_000]].concat();
        std::fs::write(&png, &bytes).unwrap();

        let added = graph.add_media(&png).unwrap();
        assert_eq!(added.mime_type, "image/png");
        assert_eq!(added.size, bytes.len() as u64);
        let file = File::open(&png).unwrap();
        let upload = UploadFile {
            file: &file,
            size: bytes.len() as u64,
            filename: "dot.png",
            mime_type: "image/png",
        };
        let uploaded = client.upload(&upload, &|_| {}).unwrap();
        assert!(uploaded.bytes().all(|b| b.is_ascii_digit()), "{uploaded}");
        assert_ne!(uploaded, added.id);
        assert_eq!(
            graph.media(&uploaded).unwrap().filename.as_deref(),
            Some("dot.png")
        );

        for id in [&added.id, &uploaded] {
            let info = client.media_info(id).unwrap();
            assert_eq!(info.mime_type, "image/png");
            assert_eq!(info.file_size, Some(bytes.len() as u64));
            assert_eq!(info.sha256.as_deref(), Some(added.sha256.as_str()));
            let mut downloaded = Vec::new();
            client
                .download_to(&info.url, 1 << 20, &mut downloaded, &|_| {})
                .unwrap();
            assert_eq!(downloaded, bytes);
        }
        client.delete_media(&uploaded).unwrap();
        assert!(graph.media(&uploaded).is_none());
        let err = client.media_info(&uploaded).unwrap_err().to_string();
        assert!(
            err.contains("code 100") && err.contains("does not exist"),
            "{err}"
        );
    }
}
