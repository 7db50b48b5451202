//! A fake Graph API: a real HTTP server on 127.0.0.1 (port 0) that answers in Meta's
//! shapes and records every request it got. Answers can be scripted (errors first, then
//! success); unscripted requests to the messages endpoint are accepted with a new wamid.
//!
//! Media work as at Meta (WHATSAPP.md §7): `POST /{pnid}/media` takes a multipart upload
//! and answers a new id; `GET /{id}` answers the media's URL (on this server), type,
//! size and hex SHA-256; the URL serves the bytes only with a Bearer token; `DELETE
//! /{id}` forgets it. An unknown id gets Meta's "does not exist" error, and a media's
//! reported hash can be made wrong on purpose.
//!
//! Faults, for tests of patience: [`FakeGraph::fail_for`] answers every message with an
//! error for a while, [`FakeGraph::refuse_for`] stops listening (and resets the open
//! connections) for a while, [`FakeGraph::hang_for`] never answers messages to one
//! recipient, [`FakeGraph::delay_answers`] answers everything late. With
//! [`FakeGraph::post_statuses_to`] every accepted message is followed by signed `sent` and
//! `delivered` status notifications to a webhook URL, as Meta sends them.

use std::collections::{HashMap, HashSet, VecDeque};
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Bytes;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use hmac::{Hmac, KeyInit, Mac};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

#[derive(Clone, Debug)]
pub(crate) struct Recorded {
    pub method: String,
    pub path: String,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
    /// When the request had arrived (its body included).
    pub at: Instant,
}

impl Recorded {
    pub(crate) fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("a JSON request body")
    }

    pub(crate) fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }

    /// The parts of a `multipart/form-data` body, in order.
    pub(crate) fn multipart(&self) -> Vec<Part> {
        parse_multipart(self.header("content-type"), &self.body)
    }
}

/// One part of a multipart body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Part {
    pub name: String,
    pub filename: Option<String>,
    pub content_type: Option<String>,
    pub data: Vec<u8>,
}

impl Part {
    pub(crate) fn text(&self) -> String {
        String::from_utf8_lossy(&self.data).into_owned()
    }
}

/// A media object the fake holds.
struct Stored {
    bytes: Bytes,
    mime_type: String,
}

/// Where status notifications go.
#[derive(Clone)]
struct StatusTarget {
    url: String,
    secret: String,
}

/// The statuses to post for one accepted message.
struct StatusJob {
    wamid: String,
    recipient_id: String,
    biz_opaque_callback_data: Option<Value>,
}

#[derive(Default)]
struct State {
    port: u16,
    requests: Vec<Recorded>,
    scripted: VecDeque<(u16, String)>,
    sent: usize,
    media: HashMap<String, Stored>,
    uploads: u64,
    wrong_sha256: HashSet<String>,
    token: Option<String>,
    /// Until when every POST to /messages gets this answer.
    failing: Option<(Instant, u16, String)>,
    /// Recipients (without '+') whose messages get no answer.
    hanging: HashSet<String>,
    /// Held requests end unanswered (503) when released, as calls Meta never took.
    hangs_unanswered: bool,
    /// The bodies of the messages answered with a wamid, in order.
    accepted: Vec<Value>,
    /// How long every answer waits.
    delay: Duration,
    /// Whether the port is being listened on (false while refusing).
    listening: bool,
    statuses: Option<StatusTarget>,
    status_jobs: Option<mpsc::Sender<StatusJob>>,
    /// Message templates, as `GET /{waba}/message_templates` lists them.
    templates: Vec<Value>,
    /// Templates per page of that list (0: 2).
    template_page: usize,
    template_ids: u64,
}

/// What the server's tasks and the test share.
struct Shared {
    state: Mutex<State>,
    /// Bumped by `release_hangs`: held requests go on.
    release: watch::Sender<u64>,
    /// Until when connections are refused; each new value also resets open connections.
    refuse: watch::Sender<Option<Instant>>,
}

pub(crate) struct FakeGraph {
    addr: SocketAddr,
    shared: Arc<Shared>,
    _runtime: tokio::runtime::Runtime,
}

impl FakeGraph {
    pub(crate) fn start() -> FakeGraph {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("a tokio runtime");
        let shared = Arc::new(Shared {
            state: Mutex::new(State::default()),
            release: watch::Sender::new(0),
            refuse: watch::Sender::new(None),
        });
        let listener = runtime
            .block_on(TcpListener::bind("127.0.0.1:0"))
            .expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("a bound address");
        {
            let mut state = shared.state.lock().unwrap();
            state.port = addr.port();
            state.listening = true;
        }
        let app_shared = shared.clone();
        let app = Router::new()
            .fallback(
                move |method: Method, uri: Uri, headers: HeaderMap, body: Bytes| {
                    let shared = app_shared.clone();
                    // A task of its own, as at Meta: a request received is acted on even
                    // when its client goes away before the answer.
                    let task =
                        tokio::spawn(
                            async move { handle(&shared, method, uri, headers, body).await },
                        );
                    async move {
                        task.await
                            .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
                    }
                },
            )
            // Uploads are up to 100 MB (the media benchmark sends that much).
            .layer(DefaultBodyLimit::disable());
        let listener = Switchable {
            addr,
            inner: Some(listener),
            refuse: shared.refuse.subscribe(),
            shared: shared.clone(),
        };
        runtime.spawn(async move { axum::serve(listener, app).await });
        FakeGraph {
            addr,
            shared,
            _runtime: runtime,
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.shared.state.lock().unwrap()
    }

    pub(crate) fn port(&self) -> u16 {
        self.addr.port()
    }

    /// The next request gets this answer instead of the default one.
    pub(crate) fn then_respond(&self, status: u16, body: Value) -> &Self {
        self.state().scripted.push_back((status, body.to_string()));
        self
    }

    /// The next request gets this answer, body as given (not JSON).
    pub(crate) fn then_respond_text(&self, status: u16, body: &str) -> &Self {
        self.state().scripted.push_back((status, body.to_string()));
        self
    }

    /// Every POST to `/messages` in the next `duration` gets this answer (before any
    /// scripted one), such as 500, or 400 with `meta_error(130429, ...)`.
    pub(crate) fn fail_for(&self, duration: Duration, status: u16, body: Value) -> &Self {
        self.state().failing = Some((Instant::now() + duration, status, body.to_string()));
        self
    }

    /// Refuses connections for `duration`, then listens on the same port again by itself.
    ///
    /// The listening socket is closed, so a connection attempt gets a TCP reset (the
    /// client sees "connection refused"), and every connection already open (a client's
    /// keep-alive pool) is reset: its next read or write fails and it is closed with
    /// `SO_LINGER` 0, so the client gets a reset rather than an answer. Returns once the
    /// port is closed.
    pub(crate) fn refuse_for(&self, duration: Duration) -> &Self {
        self.shared
            .refuse
            .send_replace(Some(Instant::now() + duration));
        // The server's task closes the listener in a moment; wait for it (bounded).
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.state().listening && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(2));
        }
        self
    }

    /// Whether the fake accepts connections now (false while `refuse_for` lasts).
    pub(crate) fn listening(&self) -> bool {
        self.state().listening
    }

    /// POSTs to `/messages` whose `to` (or `recipient`) is `recipient` (with or without a
    /// leading '+') get no answer until [`FakeGraph::release_hangs`] or the fake is
    /// dropped; they are recorded when they arrive. Other requests are answered as usual.
    pub(crate) fn hang_for(&self, recipient: &str) -> &Self {
        let recipient = recipient.trim_start_matches('+').to_string();
        self.state().hanging.insert(recipient);
        self
    }

    /// Stops hanging: held requests are answered (as any request would be now), and new
    /// ones to those recipients too.
    pub(crate) fn release_hangs(&self) -> &Self {
        self.state().hanging.clear();
        self.shared.release.send_modify(|n| *n += 1);
        self
    }

    /// Stops hanging like [`FakeGraph::release_hangs`], but the held requests are not
    /// accepted: they end with a 503, as calls that never reached Meta. New requests to
    /// those recipients are answered as usual.
    pub(crate) fn end_hangs_unanswered(&self) -> &Self {
        self.state().hangs_unanswered = true;
        self.release_hangs()
    }

    /// The messages (not read marks) accepted with a wamid, in the order answered.
    pub(crate) fn accepted(&self) -> Vec<Value> {
        self.state().accepted.clone()
    }

    /// Every answer from now on comes `delay` after its request arrived.
    pub(crate) fn delay_answers(&self, delay: Duration) -> &Self {
        self.state().delay = delay;
        self
    }

    /// From now on, after accepting a message (answering a POST to `/messages` with a
    /// wamid), posts to `url` a webhook notification with its `sent` status, then one
    /// with `delivered`, signed with `secret` as Meta does (`x-hub-signature-256`). They
    /// are posted in order from a background thread, each retried for a few seconds while
    /// `url` cannot take it (a server restarting); calling this again changes `url` for
    /// posts not yet made.
    pub(crate) fn post_statuses_to(&self, url: &str, secret: &str) -> &Self {
        let mut state = self.state();
        state.statuses = Some(StatusTarget {
            url: url.to_string(),
            secret: secret.to_string(),
        });
        if state.status_jobs.is_none() {
            let (jobs, queue) = mpsc::channel();
            state.status_jobs = Some(jobs);
            let shared = self.shared.clone();
            std::thread::spawn(move || post_statuses(&shared, &queue));
        }
        self
    }

    /// No more status notifications, not even for messages already accepted.
    pub(crate) fn stop_statuses(&self) -> &Self {
        self.state().statuses = None;
        self
    }

    pub(crate) fn requests(&self) -> Vec<Recorded> {
        self.state().requests.clone()
    }

    /// The JSON bodies of every request received, in order.
    pub(crate) fn bodies(&self) -> Vec<Value> {
        self.requests().iter().map(Recorded::json).collect()
    }

    /// The recorded requests of this method whose path ends with `suffix`.
    pub(crate) fn requests_to(&self, method: &str, suffix: &str) -> Vec<Recorded> {
        let requests = self.requests().into_iter();
        requests
            .filter(|r| r.method == method && r.path.ends_with(suffix))
            .collect()
    }

    /// Media downloads then need exactly `Authorization: Bearer <token>` (otherwise any
    /// Bearer token will do).
    pub(crate) fn require_token(&self, token: &str) -> &Self {
        self.state().token = Some(token.to_string());
        self
    }

    /// Holds media as if a user had sent it; returns its id.
    pub(crate) fn add_media(&self, bytes: &[u8], mime_type: &str) -> String {
        let mut state = self.state();
        store_media(&mut state, Bytes::copy_from_slice(bytes), mime_type)
    }

    /// `GET /{id}` reports a SHA-256 that the content does not have.
    pub(crate) fn report_wrong_sha256(&self, id: &str) -> &Self {
        self.state().wrong_sha256.insert(id.to_string());
        self
    }

    /// Holds a message template (Meta's object: name, language, status, category,
    /// components; `id` is added when missing); returns its id.
    pub(crate) fn add_template(&self, mut template: Value) -> String {
        let mut state = self.state();
        if template.get("id").is_none() {
            state.template_ids += 1;
            template["id"] = json!((1667192013751000 + state.template_ids).to_string());
        }
        let id = template["id"].as_str().unwrap_or_default().to_string();
        state.templates.push(template);
        id
    }

    /// Replaces a held template's fields (found by name and language), as an edit at Meta.
    pub(crate) fn change_template(&self, name: &str, language: &str, changes: Value) {
        let mut state = self.state();
        let template = state
            .templates
            .iter_mut()
            .find(|t| t["name"] == name && t["language"] == language)
            .expect("a held template");
        for (key, value) in changes.as_object().expect("an object") {
            template[key] = value.clone();
        }
    }

    /// The templates the fake holds.
    pub(crate) fn templates(&self) -> Vec<Value> {
        self.state().templates.clone()
    }

    /// The media ids the fake holds.
    pub(crate) fn media_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = self.state().media.keys().cloned().collect();
        ids.sort();
        ids
    }
}

impl Drop for FakeGraph {
    fn drop(&mut self) {
        // Ends the status thread (it holds `shared`); held requests end with the runtime.
        let mut state = self.state();
        state.status_jobs = None;
        state.statuses = None;
        // A scripted answer nobody asked for means the test did not test what it meant to
        // (xh's fake server checks itself the same way). Not while a failing test unwinds:
        // its own message matters more.
        let unused = std::mem::take(&mut state.scripted);
        drop(state);
        if !unused.is_empty() && !std::thread::panicking() {
            panic!(
                "the fake Graph API was told to answer {} more request(s) that never came: {:?}",
                unused.len(),
                unused
            );
        }
    }
}

/// The fake's listener: a TCP listener that `refuse_for` closes and re-opens.
struct Switchable {
    addr: SocketAddr,
    inner: Option<TcpListener>,
    refuse: watch::Receiver<Option<Instant>>,
    shared: Arc<Shared>,
}

impl Switchable {
    fn set_listening(&self, listening: bool) {
        self.shared.state.lock().unwrap().listening = listening;
    }
}

impl axum::serve::Listener for Switchable {
    type Io = Resettable;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Resettable, SocketAddr) {
        loop {
            let refusing = (*self.refuse.borrow_and_update()).filter(|u| Instant::now() < *u);
            if let Some(until) = refusing {
                if self.inner.take().is_some() {
                    self.set_listening(false);
                }
                tokio::select! {
                    _ = tokio::time::sleep_until(until.into()) => {}
                    _ = self.refuse.changed() => {}
                }
                continue;
            }
            let Some(listener) = &self.inner else {
                // The same port again; SO_REUSEADDR (tokio sets it) allows it at once,
                // but keep trying should something hold it for a moment.
                match TcpListener::bind(self.addr).await {
                    Ok(listener) => {
                        self.inner = Some(listener);
                        self.set_listening(true);
                    }
                    Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
                }
                continue;
            };
            tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok((stream, peer)) => {
                        let _ = stream.set_nodelay(true);
                        return (Resettable::new(stream, self.shared.refuse.subscribe()), peer);
                    }
                    Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
                },
                _ = self.refuse.changed() => {}
            }
        }
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        Ok(self.addr)
    }
}

/// An accepted connection that `refuse_for` resets: from then on every read and write
/// fails, and the socket closes with a TCP reset.
struct Resettable {
    stream: TcpStream,
    reset: Pin<Box<dyn Future<Output = ()> + Send>>,
    was_reset: bool,
}

impl Resettable {
    fn new(stream: TcpStream, mut refuse: watch::Receiver<Option<Instant>>) -> Resettable {
        let reset = async move {
            // A new value, or the fake is gone.
            let _ = refuse.changed().await;
        };
        Resettable {
            stream,
            reset: Box::pin(reset),
            was_reset: false,
        }
    }

    /// Whether the connection was reset (and makes sure it closes with a reset).
    fn check(&mut self, cx: &mut Context<'_>) -> bool {
        if !self.was_reset && self.reset.as_mut().poll(cx).is_ready() {
            self.was_reset = true;
            let _ = self.stream.set_zero_linger();
        }
        self.was_reset
    }
}

fn reset_error() -> io::Error {
    io::Error::new(io::ErrorKind::ConnectionReset, "reset by refuse_for")
}

impl AsyncRead for Resettable {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if self.check(cx) {
            return Poll::Ready(Err(reset_error()));
        }
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for Resettable {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if self.check(cx) {
            return Poll::Ready(Err(reset_error()));
        }
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.check(cx) {
            return Poll::Ready(Err(reset_error()));
        }
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.check(cx) {
            return Poll::Ready(Err(reset_error()));
        }
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

/// The recipient a message body names, without '+'.
fn recipient_of(body: &[u8]) -> Option<String> {
    let body: Value = serde_json::from_slice(body).ok()?;
    let to = body["to"].as_str().or(body["recipient"].as_str())?;
    Some(to.trim_start_matches('+').to_string())
}

/// Records the request, holds it while it should hang, delays it, answers it, and has its
/// statuses posted when it was an accepted message.
async fn handle(
    shared: &Shared,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let arrived = Instant::now();
    let is_message = method == Method::POST && uri.path().ends_with("/messages");
    let recipient = is_message.then(|| recipient_of(&body)).flatten();
    let delay = {
        let mut state = shared.state.lock().unwrap();
        state.requests.push(Recorded {
            method: method.to_string(),
            path: uri.path().to_string(),
            headers: headers.clone(),
            body: body.to_vec(),
            at: arrived,
        });
        let hangs = recipient
            .as_ref()
            .is_some_and(|r| state.hanging.contains(r));
        if !hangs && state.delay.is_zero() {
            // Answered under the lock it was recorded with: wamids are numbered in the
            // order requests were recorded.
            return respond(&mut state, method, uri, headers, body, recipient);
        }
        state.delay
    };
    if let Some(recipient) = &recipient {
        // Subscribed before looking, so that a release in between is not missed.
        let mut released = shared.release.subscribe();
        while shared.state.lock().unwrap().hanging.contains(recipient) {
            if released.changed().await.is_err() {
                std::future::pending::<()>().await;
            }
        }
    }
    tokio::time::sleep_until((arrived + delay).into()).await;
    let mut state = shared.state.lock().unwrap();
    if state.hangs_unanswered && delay.is_zero() {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    }
    respond(&mut state, method, uri, headers, body, recipient)
}

/// The answer, with the accepted message's statuses queued for posting.
fn respond(
    state: &mut State,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
    recipient: Option<String>,
) -> Response {
    let (response, wamid) = answer(state, method, uri, headers, body.clone());
    let request: Value = serde_json::from_slice(&body).unwrap_or_default();
    if wamid.is_some() && request.get("type").is_some() {
        state.accepted.push(request.clone());
    }
    if let (Some(wamid), Some(jobs)) = (wamid, &state.status_jobs)
        && state.statuses.is_some()
    {
        let _ = jobs.send(StatusJob {
            wamid,
            recipient_id: recipient.unwrap_or_default(),
            biz_opaque_callback_data: request.get("biz_opaque_callback_data").cloned(),
        });
    }
    response
}

/// Posts the statuses of each accepted message in turn, until the fake is dropped.
fn post_statuses(shared: &Shared, jobs: &mpsc::Receiver<StatusJob>) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(5)))
        .build()
        .into();
    while let Ok(job) = jobs.recv() {
        for status in ["sent", "delivered"] {
            let body = status_notification(&job, status).to_string();
            for attempt in 0.. {
                let Some(target) = shared.state.lock().unwrap().statuses.clone() else {
                    break;
                };
                let result = agent
                    .post(&target.url)
                    .header("content-type", "application/json")
                    .header(
                        "x-hub-signature-256",
                        signature(&target.secret, body.as_bytes()),
                    )
                    .send(body.as_str());
                match result {
                    Ok(_) => break,
                    // A refusal (bad signature) does not get better; anything else may.
                    Err(ureq::Error::StatusCode(code)) if (400..500).contains(&code) => {
                        eprintln!(
                            "fake Graph API: {} refused the {status} status: {code}",
                            target.url
                        );
                        break;
                    }
                    Err(error) if attempt >= 100 => {
                        eprintln!(
                            "fake Graph API: cannot post the {status} status to {}: {error}",
                            target.url
                        );
                        break;
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(100)),
                }
            }
        }
    }
}

/// `sha256=<hex HMAC-SHA256>`, as Meta signs a webhook.
fn signature(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// A webhook notification with one status of one message, in WhatsApp's shape.
fn status_notification(job: &StatusJob, status: &str) -> Value {
    let timestamp = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default();
    let mut entry = json!({
        "id": job.wamid,
        "status": status,
        "timestamp": timestamp.to_string(),
    });
    // A message sent to a business-scoped user id is reported by that id (WHATSAPP.md §4).
    let field = match job.recipient_id.contains('.') {
        true => "recipient_user_id",
        false => "recipient_id",
    };
    entry[field] = json!(job.recipient_id);
    if let Some(data) = &job.biz_opaque_callback_data {
        entry["biz_opaque_callback_data"] = data.clone();
    }
    json!({"object": "whatsapp_business_account", "entry": [{"id": "102290129340398", "changes": [{
        "field": "messages",
        "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "15550783881", "phone_number_id": "106540352242922"},
            "statuses": [entry],
        },
    }]}]})
}

fn store_media(state: &mut State, bytes: Bytes, mime_type: &str) -> String {
    state.uploads += 1;
    let id = (1037543291543600 + state.uploads).to_string();
    let stored = Stored {
        bytes,
        mime_type: mime_type.to_string(),
    };
    state.media.insert(id.clone(), stored);
    id
}

/// Lowercase hex SHA-256, as `GET /{media-id}` reports it.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The parts of a `multipart/form-data` body (RFC 7578), written independently of
/// wa-cloud's encoder so that tests check its output against the format, not itself.
pub(crate) fn parse_multipart(content_type: &str, body: &[u8]) -> Vec<Part> {
    let Some(boundary) = content_type
        .split(';')
        .map(str::trim)
        .find_map(|p| p.strip_prefix("boundary="))
    else {
        return Vec::new();
    };
    let boundary = boundary.trim_matches('"');
    let delimiter = format!("--{boundary}").into_bytes();
    let mut parts = Vec::new();
    let Some(mut at) = find(body, &delimiter, 0) else {
        return parts;
    };
    loop {
        at += delimiter.len();
        if body[at..].starts_with(b"--") {
            return parts;
        }
        let Some(start) = body[at..].starts_with(b"\r\n").then_some(at + 2) else {
            return parts;
        };
        let mut next_delimiter = b"\r\n".to_vec();
        next_delimiter.extend_from_slice(&delimiter);
        let Some(end) = find(body, &next_delimiter, start) else {
            return parts;
        };
        let Some(split) = find(&body[..end], b"\r\n\r\n", start) else {
            return parts;
        };
        let headers = String::from_utf8_lossy(&body[start..split]).into_owned();
        let mut part = Part {
            name: String::new(),
            filename: None,
            content_type: None,
            data: body[split + 4..end].to_vec(),
        };
        for line in headers.split("\r\n") {
            let Some((name, value)) = line.split_once(':') else {
                continue;
            };
            match name.trim().to_ascii_lowercase().as_str() {
                "content-disposition" => {
                    for param in value.split(';').map(str::trim) {
                        if let Some(v) = param.strip_prefix("name=") {
                            part.name = v.trim_matches('"').to_string();
                        } else if let Some(v) = param.strip_prefix("filename=") {
                            part.filename = Some(v.trim_matches('"').to_string());
                        }
                    }
                }
                "content-type" => part.content_type = Some(value.trim().to_string()),
                _ => {}
            }
        }
        parts.push(part);
        at = end + 2;
    }
}

fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    let first = *needle.first()?;
    let mut at = from;
    while at + needle.len() <= haystack.len() {
        let offset = haystack[at..].iter().position(|b| *b == first)?;
        at += offset;
        if haystack[at..].starts_with(needle) {
            return Some(at);
        }
        at += 1;
    }
    None
}

/// Meta's error object, as the Graph API returns it.
pub(crate) fn meta_error(code: i64, message: &str, details: &str) -> Value {
    json!({"error": {"message": message, "type": "OAuthException", "code": code,
        "error_data": {"messaging_product": "whatsapp", "details": details},
        "fbtrace_id": "AbCdEfFakeTrace"}})
}

/// Meta's answer for an id that is not there (or not this token's to see).
fn no_such_object(id: &str) -> Response {
    let error = json!({"error": {
        "message": format!("Unsupported get request. Object with ID '{id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation"),
        "type": "GraphMethodException", "code": 100, "error_subcode": 33,
        "fbtrace_id": "AbCdEfFakeTrace"}});
    (StatusCode::BAD_REQUEST, axum::Json(error)).into_response()
}

/// The answer to a request, and the wamid of a message it accepted.
fn answer(
    state: &mut State,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> (Response, Option<String>) {
    let is_message = method == Method::POST && uri.path().ends_with("/messages");
    let failing = state
        .failing
        .clone()
        .filter(|(until, ..)| Instant::now() < *until);
    let scripted = match failing {
        Some((_, status, body)) if is_message => Some((status, body)),
        _ => state.scripted.pop_front(),
    };
    if let Some((status, reply)) = scripted {
        let wamid = (is_message && (200..300).contains(&status) && recipient_of(&body).is_some())
            .then(|| serde_json::from_str::<Value>(&reply).ok())
            .flatten()
            .and_then(|r| r["messages"][0]["id"].as_str().map(str::to_string));
        let status = StatusCode::from_u16(status).expect("a valid status");
        let response = (status, [("content-type", "application/json")], reply).into_response();
        return (response, wamid);
    }
    if let Some(response) = answer_templates(state, &method, &uri, &body) {
        return (response, None);
    }
    if let Some(response) = answer_media(state, &method, uri.path(), &headers, body.clone()) {
        return (response, None);
    }
    if is_message {
        state.sent += 1;
        let request = serde_json::from_slice::<Value>(&body).unwrap_or_default();
        let to = request["to"].as_str().map(str::to_string);
        let user_id = request["recipient"].as_str().map(str::to_string);
        // A mark-as-read names no recipient: it gets an id too, but no statuses.
        let is_new_message = to.is_some() || user_id.is_some();
        let wamid = format!("wamid.FAKE{}", state.sent);
        // As Meta: `to` wins over `recipient`, and a user id is answered as `user_id`.
        let contact = match (to, user_id) {
            (Some(to), _) => json!({"input": to, "wa_id": to.trim_start_matches('+')}),
            (None, Some(id)) => json!({"input": id, "user_id": id}),
            (None, None) => json!({"input": "", "wa_id": ""}),
        };
        let reply = json!({
            "messaging_product": "whatsapp",
            "contacts": [contact],
            "messages": [{"id": wamid}],
        });
        return (
            axum::Json(reply).into_response(),
            is_new_message.then_some(wamid),
        );
    }
    let error = meta_error(
        100,
        "(#100) Unsupported request",
        "the fake Graph API knows only /messages and the media endpoints",
    );
    (
        (StatusCode::BAD_REQUEST, axum::Json(error)).into_response(),
        None,
    )
}

/// The media endpoints, or None for a request that is not for them.
fn answer_media(
    state: &mut State,
    method: &Method,
    path: &str,
    headers: &HeaderMap,
    body: Bytes,
) -> Option<Response> {
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let is_id = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let response = match (method.as_str(), segments.as_slice()) {
        ("POST", [_version, _pnid, "media"]) => {
            let content_type = headers
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default();
            let parts = parse_multipart(content_type, &body);
            let field = |name: &str| parts.iter().find(|p| p.name == name);
            match (field("messaging_product"), field("type"), field("file")) {
                (Some(product), Some(kind), Some(file)) if product.text() == "whatsapp" => {
                    let id = store_media(state, Bytes::from(file.data.clone()), &kind.text());
                    axum::Json(json!({"id": id})).into_response()
                }
                _ => {
                    let error = meta_error(
                        100,
                        "(#100) The parameter file is required.",
                        "multipart fields messaging_product=whatsapp, file and type are required",
                    );
                    (StatusCode::BAD_REQUEST, axum::Json(error)).into_response()
                }
            }
        }
        ("GET", ["download", id]) => {
            let authorization = headers
                .get("authorization")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default();
            let allowed = match &state.token {
                Some(token) => authorization == format!("Bearer {token}"),
                None => {
                    authorization.len() > "Bearer ".len() && authorization.starts_with("Bearer ")
                }
            };
            match state.media.get(*id) {
                _ if !allowed => {
                    let error = meta_error(190, "Invalid OAuth access token.", "");
                    (StatusCode::UNAUTHORIZED, axum::Json(error)).into_response()
                }
                Some(stored) => (
                    [("content-type", stored.mime_type.clone())],
                    stored.bytes.clone(),
                )
                    .into_response(),
                None => StatusCode::NOT_FOUND.into_response(),
            }
        }
        ("GET", [_version, id]) if is_id(id) => match state.media.get(*id) {
            Some(stored) => {
                let mut sha256 = sha256_hex(&stored.bytes);
                if state.wrong_sha256.contains(*id) {
                    sha256 = sha256_hex(b"something else");
                }
                axum::Json(json!({
                    "messaging_product": "whatsapp",
                    "url": format!("http://127.0.0.1:{}/download/{id}?mid={id}&ext=1", state.port),
                    "mime_type": stored.mime_type,
                    "sha256": sha256,
                    "file_size": stored.bytes.len().to_string(),
                    "id": id,
                }))
                .into_response()
            }
            None => no_such_object(id),
        },
        ("DELETE", [_version, id]) if is_id(id) => match state.media.remove(*id) {
            Some(_) => axum::Json(json!({"success": true})).into_response(),
            None => no_such_object(id),
        },
        _ => return None,
    };
    Some(response)
}

/// The query parameters of a URI (no percent-decoding: the tests use plain values).
fn query(uri: &Uri) -> HashMap<String, String> {
    uri.query()
        .unwrap_or_default()
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// The Message Template API as Meta answers it (TEMPLATES.md §1): a paginated list
/// (`paging.next` while more follow), one by id, create, delete by name.
fn answer_templates(
    state: &mut State,
    method: &Method,
    uri: &Uri,
    body: &Bytes,
) -> Option<Response> {
    let segments: Vec<&str> = uri.path().trim_start_matches('/').split('/').collect();
    let params = query(uri);
    let response = match (method.as_str(), segments.as_slice()) {
        ("GET", [version, waba, "message_templates"]) => {
            let matching: Vec<&Value> = state
                .templates
                .iter()
                .filter(|t| {
                    params
                        .get("name")
                        .is_none_or(|n| t["name"].as_str().unwrap_or_default().contains(n.as_str()))
                })
                .collect();
            let page = if state.template_page == 0 {
                2
            } else {
                state.template_page
            };
            let after: usize = params
                .get("after")
                .and_then(|a| a.parse().ok())
                .unwrap_or(0);
            let data: Vec<Value> = matching
                .iter()
                .skip(after)
                .take(page)
                .map(|t| (*t).clone())
                .collect();
            let mut reply = json!({"data": data, "paging": {"cursors": {"before": "QVFIUb", "after": "QVFIUa"}}});
            if after + page < matching.len() {
                let mut next = format!(
                    "http://127.0.0.1:{}/{version}/{waba}/message_templates?limit={page}&after={}",
                    state.port,
                    after + page
                );
                if let Some(name) = params.get("name") {
                    next.push_str(&format!("&name={name}"));
                }
                reply["paging"]["next"] = json!(next);
            }
            axum::Json(reply).into_response()
        }
        ("POST", [_version, _waba, "message_templates"]) => {
            let mut template: Value = serde_json::from_slice(body).unwrap_or_default();
            let duplicate = state
                .templates
                .iter()
                .any(|t| t["name"] == template["name"] && t["language"] == template["language"]);
            if duplicate {
                let error = json!({"error": {"message": "Invalid parameter", "type": "OAuthException", "code": 100,
                    "error_subcode": 2388024, "error_user_title": "Content in This Language Already Exists",
                    "fbtrace_id": "AbCdEfFakeTrace"}});
                return Some((StatusCode::BAD_REQUEST, axum::Json(error)).into_response());
            }
            state.template_ids += 1;
            let id = (1667192013751000 + state.template_ids).to_string();
            let category = template["category"]
                .as_str()
                .unwrap_or_default()
                .to_ascii_uppercase();
            template["id"] = json!(id);
            template["status"] = json!("PENDING");
            template["category"] = json!(category);
            state.templates.push(template);
            axum::Json(json!({"id": id, "status": "PENDING", "category": category})).into_response()
        }
        ("DELETE", [_version, _waba, "message_templates"]) => {
            let name = params.get("name").cloned().unwrap_or_default();
            let before = state.templates.len();
            state.templates.retain(|t| t["name"] != name.as_str());
            if state.templates.len() == before {
                let error = meta_error(
                    100,
                    "(#100) Invalid parameter",
                    &format!("no template named {name}"),
                );
                (StatusCode::BAD_REQUEST, axum::Json(error)).into_response()
            } else {
                axum::Json(json!({"success": true})).into_response()
            }
        }
        ("GET", [_version, id]) => {
            let template = state.templates.iter().find(|t| t["id"] == *id)?;
            axum::Json(template.clone()).into_response()
        }
        _ => return None,
    };
    Some(response)
}
