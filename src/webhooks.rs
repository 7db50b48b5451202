//! The axum router that WhatsApp talks to: the GET verification handshake, signed POST
//! notifications, static assets and a health check.
//!
//! A notification is answered 200 only after every item in it is stored (the inbox writer
//! acknowledges the write); anything else gets a 4xx that says nothing about our secrets,
//! or a 500 when storing failed (the database is locked, full, or was deleted), so that
//! WhatsApp delivers it again. The signature is checked over the exact bytes received,
//! before any JSON parsing. A signed body that cannot be read as a notification is kept
//! as an `error` event and answered 200: only WhatsApp or the holder of the app secret can
//! sign, and WhatsApp would send it again for days. `/healthz` answers 503 while any part
//! of serve has a problem.
//!
//! Until its signature is checked, a body is a stranger's: it is read under a deadline
//! (`webhooks.bodyTimeout`, else 408), refused from its `Content-Length` when too large
//! ([`BODY_LIMIT`], 413), and counted in a budget of unauthenticated bytes held by all
//! requests together (`webhooks.bodyBudget`): past it, new requests get 503 and `Retry-After`,
//! without being read. Small bodies, such as WhatsApp's usual ones, keep a share of the
//! budget ([`SMALL_BODY_RESERVE`]) that large ones cannot take. Every refusal is logged
//! with its reason and size, never its body (throttled under attack).
//!
//! Assets are served only from inside their folder: a symlink that resolves outside it is
//! not followed (404); one that resolves inside it is served.

use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, HttpBody};
use axum::extract::{Query, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;
use serde_json::json;
use subtle::ConstantTimeEq;
use tokio::sync::oneshot;

use crate::health::Health;
use crate::intake::{Throttled, more};
use crate::notification::Notification;
use crate::secret::Secret;
use crate::signature;

/// WhatsApp posts at most 3 MB; a little room above that, nothing more.
pub(crate) const BODY_LIMIT: usize = 3 * 1024 * 1024 + 512 * 1024;
/// A body up to this size is small (WhatsApp's are a few KiB) ...
pub(crate) const SMALL_BODY: usize = 64 * 1024;
/// ... and small bodies may use this part of the budget (`webhooks.bodyBudget`), which larger ones
/// cannot (a quarter of the budget at most).
pub(crate) const SMALL_BODY_RESERVE: usize = 16 * 1024 * 1024;
/// The `Retry-After` of a 503 for a full budget, in seconds.
pub(crate) const RETRY_AFTER_SECONDS: u64 = 10;
/// After a 413, how much more of the refused body is read and thrown away, so that the
/// client, still sending, reads the answer instead of a connection reset ...
pub(crate) const DISCARD_LIMIT: usize = 8 * 1024 * 1024;
/// ... and for how long at most.
pub(crate) const DISCARD_TIMEOUT: Duration = Duration::from_secs(10);
/// How many refused requests are logged one by one per 10 s; the next says how many more.
const REFUSALS_LOGGED: u32 = 20;

/// Bytes of signed bodies that may wait for the inbox writer at once (a body larger than
/// this takes all of it). Past it, the next notification waits for its turn still holding its
/// part of the body budget (`webhooks.bodyBudget`), so that under a burst new bodies get 503
/// instead of memory growing with the writer's queue.
pub(crate) const STORE_QUEUE: usize = 32 * 1024 * 1024;

/// A request to store one notification's items; `done` says how many were new.
pub(crate) struct WriteRequest {
    pub notification: Notification,
    pub done: oneshot::Sender<Result<usize, ()>>,
}

pub(crate) struct AppState {
    pub verify_token: Option<Secret>,
    /// `None` only with `--insecure-skip-signature`.
    pub secret: Option<Secret>,
    pub inbox: std::sync::mpsc::Sender<WriteRequest>,
    pub started: Instant,
    /// Backlog, unacknowledged and parked events, and what serve waits for.
    pub health: Arc<Health>,
    /// The bytes of unauthenticated bodies being received (`webhooks.bodyBudget`).
    pub budget: Arc<Budget>,
    /// How long the body of a notification may take to arrive, from the end of its
    /// headers (`webhooks.bodyTimeout`; 30 s: the largest body at 120 KiB/s).
    pub body_timeout: Duration,
    /// Refused requests, logged at most [`REFUSALS_LOGGED`] per 10 s.
    pub refusals: Mutex<Throttled>,
    /// The bytes of signed bodies waiting to be stored: [`STORE_QUEUE`] permits.
    pub storing: Arc<tokio::sync::Semaphore>,
}

impl AppState {
    /// Logs a refused notification: why, with its size, never its body.
    fn refused(&self, status: StatusCode, size: &str, why: &str) {
        crate::metrics::rejected(status);
        let due = self.refusals.lock().expect("no panic holds the lock").due();
        let status = status.as_u16();
        match due {
            Some(unlogged) => tracing::warn!(
                "refused a notification of {size} ({status}): {why}{}",
                more(unlogged)
            ),
            None => tracing::debug!("refused a notification of {size} ({status}): {why}"),
        }
    }
}

/// The refusals' throttle for [`AppState::refusals`].
pub(crate) fn refusals() -> Mutex<Throttled> {
    Mutex::new(Throttled::new(REFUSALS_LOGGED))
}

/// The bytes of unauthenticated bodies that all requests together may hold.
pub(crate) struct Budget {
    total: usize,
    reserve: usize,
    used: AtomicUsize,
}

impl Budget {
    /// `total` bytes, of which `reserve` only for small bodies.
    pub(crate) fn new(total: usize, reserve: usize) -> Arc<Budget> {
        Arc::new(Budget {
            total,
            reserve: reserve.min(total),
            used: AtomicUsize::new(0),
        })
    }

    /// Bytes held now.
    pub(crate) fn used(&self) -> usize {
        self.used.load(Ordering::Relaxed)
    }
}

/// The part of the [`Budget`] one request holds, given back when dropped.
struct Lease {
    budget: Arc<Budget>,
    bytes: usize,
}

impl Lease {
    fn new(budget: &Arc<Budget>) -> Lease {
        Lease {
            budget: budget.clone(),
            bytes: 0,
        }
    }

    /// Holds `more` bytes more, if the budget has them.
    fn grow(&mut self, more: usize) -> bool {
        let wanted = self.bytes + more;
        let budget = &self.budget;
        let ceiling = if wanted > SMALL_BODY {
            budget.total - budget.reserve
        } else {
            budget.total
        };
        let taken = budget
            .used
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |used| {
                (used + more <= ceiling).then_some(used + more)
            });
        if taken.is_ok() {
            self.bytes = wanted;
        }
        taken.is_ok()
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        self.budget.used.fetch_sub(self.bytes, Ordering::AcqRel);
    }
}

/// The whole HTTP surface of `serve`.
pub(crate) fn router(
    state: Arc<AppState>,
    path: &str,
    assets: Option<(String, PathBuf)>,
) -> Router {
    let mut router = Router::new()
        .route("/healthz", get(health))
        // `notify` reads its body itself, within BODY_LIMIT; nothing else reads one.
        .route(path, get(verify).post(notify));
    if let Some((at, dir)) = assets {
        // Resolved once: the folder itself may be a symlink.
        let root = Arc::new(std::fs::canonicalize(&dir).unwrap_or(dir));
        let files = get(move |request: Request| serve_asset(root.clone(), request));
        router = router.nest_service(&at, files);
    }
    router.with_state(state)
}

/// A file of the assets folder, if `request`'s path names one that resolves inside it
/// (symlinks included); 404 for anything else: directories, traversal, symlinks out.
async fn serve_asset(root: Arc<PathBuf>, request: Request) -> Response {
    let not_found = || (StatusCode::NOT_FOUND, "not found\n").into_response();
    let Some(relative) = asset_path(request.uri().path()) else {
        return not_found();
    };
    let candidate = root.join(&relative);
    let Ok(resolved) = tokio::fs::canonicalize(&candidate).await else {
        return not_found();
    };
    if !resolved.starts_with(&*root) {
        tracing::warn!(
            "refused the asset {}: it resolves outside the assets folder `{}`",
            relative.display(),
            root.display()
        );
        return not_found();
    }
    if !tokio::fs::metadata(&resolved)
        .await
        .is_ok_and(|m| m.is_file())
    {
        return not_found();
    }
    let mime = mime_guess::from_path(&relative).first_or_octet_stream();
    match tower_http::services::ServeFile::new_with_mime(&resolved, &mime)
        .try_call(request)
        .await
    {
        Ok(response) => response.into_response(),
        Err(err) => {
            tracing::warn!("cannot serve the asset {}: {err}", resolved.display());
            not_found()
        }
    }
}

/// The relative file path a request path names (percent-decoded), or `None` when it is
/// empty or leaves the folder (`..`, a root, a prefix).
fn asset_path(path: &str) -> Option<PathBuf> {
    let decoded = percent_decode(path.trim_start_matches('/'))?;
    let mut relative = PathBuf::new();
    for component in Path::new(&decoded).components() {
        match component {
            Component::Normal(part) => relative.push(part),
            Component::CurDir => {}
            Component::ParentDir | Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    (!relative.as_os_str().is_empty()).then_some(relative)
}

/// `%XX` escapes decoded; `None` for a bad escape, invalid UTF-8 or a NUL.
fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    let text = String::from_utf8(out).ok()?;
    (!text.contains('\0')).then_some(text)
}

#[derive(Deserialize)]
struct Verification {
    #[serde(rename = "hub.mode")]
    mode: Option<String>,
    #[serde(rename = "hub.verify_token")]
    verify_token: Option<String>,
    #[serde(rename = "hub.challenge")]
    challenge: Option<String>,
}

/// Meta's handshake: echo the challenge when the mode and our verify token match.
async fn verify(State(app): State<Arc<AppState>>, Query(query): Query<Verification>) -> Response {
    let Some(expected) = &app.verify_token else {
        tracing::warn!(
            "refused webhook verification: no verify token is configured (webhooks.verifyToken)"
        );
        return StatusCode::FORBIDDEN.into_response();
    };
    let token_matches = query
        .verify_token
        .as_deref()
        .is_some_and(|given| bool::from(given.as_bytes().ct_eq(expected.expose().as_bytes())));
    match (query.mode.as_deref(), token_matches, query.challenge) {
        (Some("subscribe"), true, Some(challenge)) => {
            tracing::info!("webhook verified by Meta");
            ([("content-type", "text/plain")], challenge).into_response()
        }
        (mode, token_matches, _) => {
            tracing::warn!(
                "refused webhook verification (hub.mode {:?}, verify token {})",
                mode.unwrap_or(""),
                if token_matches {
                    "right"
                } else {
                    "wrong or missing"
                }
            );
            StatusCode::FORBIDDEN.into_response()
        }
    }
}

/// A notification: read (bounded), check, parse, store, then 200.
async fn notify(State(app): State<Arc<AppState>>, request: Request) -> Response {
    crate::metrics::get().received.inc();
    let (parts, body) = request.into_parts();
    let headers = parts.headers;
    let (body, lease) = match read_body(&app, &headers, body).await {
        Ok(read) => read,
        Err(refused) => return refused,
    };
    if let Some(secret) = &app.secret {
        let header = headers
            .get("x-hub-signature-256")
            .and_then(|v| v.to_str().ok());
        if let Err(why) = signature::check(secret, header, &body) {
            app.refused(
                StatusCode::UNAUTHORIZED,
                &format!("{} bytes", body.len()),
                why,
            );
            return (StatusCode::UNAUTHORIZED, "invalid signature\n").into_response();
        }
    }
    let size = body.len();
    let notification = match Notification::read(body) {
        Ok(notification) => notification,
        // Signed: WhatsApp would send it again for days; it is kept as an `error` event.
        Err((why, unread)) if app.secret.is_some() => {
            tracing::warn!(
                "a signed notification of {size} bytes cannot be read ({why}): keeping it as an error event"
            );
            Notification::unreadable(&unread, &why)
        }
        Err((why, _)) => {
            app.refused(
                StatusCode::BAD_REQUEST,
                &format!("{size} bytes"),
                &why.to_string(),
            );
            return (StatusCode::BAD_REQUEST, "malformed notification\n").into_response();
        }
    };
    // The writer's queue is bounded in bytes: until there is room, this body stays in the
    // budget of bodies being received.
    let permits = size.clamp(1, STORE_QUEUE) as u32;
    let Ok(_queued) = app.storing.clone().acquire_many_owned(permits).await else {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    };
    // The body is authenticated: its bytes go back to the budget of bodies being received.
    drop(lease);
    let count = notification.len();
    let (done, stored) = oneshot::channel();
    if app.inbox.send(WriteRequest { notification, done }).is_err() {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    }
    match stored.await {
        Ok(Ok(new)) => {
            tracing::debug!("stored a notification: {count} items, {new} new");
            crate::metrics::stored(count, new);
            StatusCode::OK.into_response()
        }
        // The writer logged why; WhatsApp will deliver the notification again.
        _ => {
            crate::metrics::rejected(StatusCode::INTERNAL_SERVER_ERROR);
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// Reads a notification's body within [`BODY_LIMIT`], `AppState::body_timeout` and the
/// [`Budget`], holding its bytes in the budget; or the answer that refuses it, logged.
async fn read_body(
    app: &AppState,
    headers: &HeaderMap,
    mut body: Body,
) -> Result<(Vec<u8>, Lease), Response> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if let Some(size) = declared.filter(|size| *size > BODY_LIMIT as u64) {
        app.refused(
            StatusCode::PAYLOAD_TOO_LARGE,
            &format!("{size} bytes"),
            &format!("larger than the limit of {BODY_LIMIT} bytes"),
        );
        return Err(too_large(headers, body, size as usize));
    }
    let declared = declared.map(|size| size as usize);
    let mut lease = Lease::new(&app.budget);
    if let Some(size) = declared
        && !lease.grow(size)
    {
        return Err(over_budget(app, &format!("{size} bytes")));
    }
    let mut bytes = Vec::with_capacity(declared.unwrap_or(0));
    let deadline = tokio::time::Instant::now() + app.body_timeout;
    let size = || match declared {
        Some(size) => format!("{size} bytes"),
        None => "unknown size".to_string(),
    };
    loop {
        let frame = std::future::poll_fn(|cx| std::pin::Pin::new(&mut body).poll_frame(cx));
        let frame = match tokio::time::timeout_at(deadline, frame).await {
            Ok(None) => break,
            Ok(Some(Ok(frame))) => frame,
            Ok(Some(Err(err))) => {
                // The client went away (or sent a broken chunked body): nobody reads an answer.
                tracing::debug!(
                    "a notification of {} ended after {} bytes: {err}",
                    size(),
                    bytes.len()
                );
                return Err((StatusCode::BAD_REQUEST, "incomplete body\n").into_response());
            }
            Err(_) => {
                app.refused(
                    StatusCode::REQUEST_TIMEOUT,
                    &size(),
                    &format!(
                        "its body did not arrive within {}s ({} bytes did)",
                        app.body_timeout.as_secs(),
                        bytes.len()
                    ),
                );
                return Err(close(
                    (StatusCode::REQUEST_TIMEOUT, "body too slow\n").into_response(),
                ));
            }
        };
        let Ok(data) = frame.into_data() else {
            continue;
        };
        if bytes.len() + data.len() > BODY_LIMIT {
            app.refused(
                StatusCode::PAYLOAD_TOO_LARGE,
                &format!("more than {BODY_LIMIT} bytes"),
                &format!("larger than the limit of {BODY_LIMIT} bytes"),
            );
            drop((bytes, lease));
            return Err(too_large(headers, body, 0));
        }
        bytes.extend_from_slice(&data);
        // Without a Content-Length, the budget follows the memory as it grows.
        if bytes.capacity() > lease.bytes && !lease.grow(bytes.capacity() - lease.bytes) {
            let received = bytes.len();
            drop((bytes, lease));
            return Err(over_budget(app, &format!("{received} bytes so far")));
        }
    }
    Ok((bytes, lease))
}

/// 503 with `Retry-After`: the budget of unauthenticated bytes is spent.
fn over_budget(app: &AppState, size: &str) -> Response {
    app.refused(
        StatusCode::SERVICE_UNAVAILABLE,
        size,
        &format!(
            "{} of {} bytes of unauthenticated bodies are being received (webhooks.bodyBudget); try again in \
             {RETRY_AFTER_SECONDS}s",
            app.budget.used(),
            app.budget.total
        ),
    );
    close(
        (
            StatusCode::SERVICE_UNAVAILABLE,
            [(header::RETRY_AFTER, RETRY_AFTER_SECONDS.to_string())],
            "busy, try again later\n",
        )
            .into_response(),
    )
}

/// 413, answered at once. The rest of the body (up to [`DISCARD_LIMIT`] bytes, within
/// [`DISCARD_TIMEOUT`]) is read and thrown away meanwhile, so that a client still sending
/// it gets to read the answer: closing with unread bytes would reset the connection.
fn too_large(headers: &HeaderMap, mut body: Body, declared: usize) -> Response {
    let expects_continue = headers
        .get(header::EXPECT)
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"100-continue"));
    // A client that waits for "100 Continue" sends nothing more; nor is a body read beyond
    // the discard limit.
    if !expects_continue && declared <= DISCARD_LIMIT {
        tokio::spawn(async move {
            let mut discarded = 0;
            let discard = async {
                while discarded <= DISCARD_LIMIT {
                    let frame =
                        std::future::poll_fn(|cx| std::pin::Pin::new(&mut body).poll_frame(cx));
                    match frame.await {
                        Some(Ok(frame)) => {
                            discarded += frame.data_ref().map_or(0, |d| d.len());
                        }
                        _ => break,
                    }
                }
            };
            let _ = tokio::time::timeout(DISCARD_TIMEOUT, discard).await;
        });
    }
    close((StatusCode::PAYLOAD_TOO_LARGE, "notification too large\n").into_response())
}

/// The answer, with the connection closed after it.
fn close(mut response: Response) -> Response {
    response.headers_mut().insert(
        header::CONNECTION,
        axum::http::HeaderValue::from_static("close"),
    );
    response
}

/// 200 and `"status": "ok"` when nothing is wrong; 503, `"failing"` and the `problems`
/// (each `part: what`, naming the database file) otherwise.
async fn health(State(app): State<Arc<AppState>>) -> Response {
    let health = &app.health;
    let problems = health.problems();
    let (code, status) = if problems.is_empty() {
        (StatusCode::OK, "ok")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "failing")
    };
    let count = |n: &std::sync::atomic::AtomicI64| n.load(Ordering::Relaxed).max(0);
    let body = json!({
        "status": status,
        "version": env!("CARGO_PKG_VERSION"),
        "uptime_seconds": app.started.elapsed().as_secs(),
        "backlog": count(&health.backlog),
        "unacknowledged": count(&health.unacknowledged),
        "parked": count(&health.parked),
        "problems": problems,
    });
    (code, axum::Json(body)).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn asset_paths_stay_relative_and_inside() {
        assert_eq!(
            asset_path("/sub/cat.png"),
            Some(PathBuf::from("sub/cat.png"))
        );
        assert_eq!(asset_path("/./a%20b.png"), Some(PathBuf::from("a b.png")));
        assert_eq!(
            asset_path("/out%2fpasswd"),
            Some(PathBuf::from("out/passwd"))
        );
        for bad in [
            "/",
            "",
            "/../x",
            "/a/%2e%2e/%2e%2e/x",
            "/%zz",
            "/a%00b",
            "/%ff",
        ] {
            assert_eq!(asset_path(bad), None, "{bad}");
        }
    }

    #[test]
    fn large_bodies_leave_the_reserve_to_small_ones() {
        let budget = Budget::new(100 * 1024, 30 * 1024);
        let mut large = Lease::new(&budget);
        assert!(!large.grow(80 * 1024), "past the large bodies' share");
        assert!(large.grow(70 * 1024));
        let mut small = Lease::new(&budget);
        assert!(
            small.grow(30 * 1024),
            "the reserve is there for small bodies"
        );
        assert!(!Lease::new(&budget).grow(1), "the budget is spent");
        drop((large, small));
        assert_eq!(budget.used(), 0, "every byte is given back");
    }
}
