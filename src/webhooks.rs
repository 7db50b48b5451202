//! The axum router that WhatsApp talks to: the GET verification handshake, signed POST
//! notifications, static assets and a health check.
//!
//! A notification is answered 200 only after every item in it is stored (the inbox writer
//! acknowledges the write); anything else gets a 4xx that says nothing about our secrets,
//! or a 500 when storing failed (the database is locked, full, or was deleted), so that
//! WhatsApp delivers it again. The signature is checked over the exact bytes received,
//! before any JSON parsing. `/healthz` answers 503 while any part of serve has a problem.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use hmac::{Hmac, KeyInit, Mac};
use serde::Deserialize;
use serde_json::json;
use sha2::Sha256;
use subtle::ConstantTimeEq;
use tokio::sync::oneshot;

use crate::config::Secret;
use crate::health::Health;
use crate::notification::{self, Item};

/// WhatsApp posts at most 3 MB; a little room above that, nothing more.
pub const BODY_LIMIT: usize = 3 * 1024 * 1024 + 512 * 1024;

/// A request to store one notification's items; `done` says how many were new.
pub struct WriteRequest {
    pub items: Vec<Item>,
    pub done: oneshot::Sender<Result<usize, ()>>,
}

pub struct AppState {
    pub verify_token: Option<Secret>,
    /// `None` only with `--insecure-skip-signature`.
    pub secret: Option<Secret>,
    pub inbox: std::sync::mpsc::Sender<WriteRequest>,
    pub started: Instant,
    /// Backlog, unacknowledged and parked events, and what serve waits for.
    pub health: Arc<Health>,
}

/// The whole HTTP surface of `serve`.
pub fn router(state: Arc<AppState>, path: &str, assets: Option<(String, PathBuf)>) -> Router {
    let mut router = Router::new()
        .route("/healthz", get(health))
        .route(path, get(verify).post(notify))
        .layer(DefaultBodyLimit::max(BODY_LIMIT));
    if let Some((at, dir)) = assets {
        let files =
            tower_http::services::ServeDir::new(dir).append_index_html_on_directories(false);
        router = router.nest_service(&at, files);
    }
    router.with_state(state)
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

/// A notification: check, parse, store, then 200.
async fn notify(State(app): State<Arc<AppState>>, headers: HeaderMap, body: Bytes) -> Response {
    if let Some(secret) = &app.secret {
        let header = headers
            .get("x-hub-signature-256")
            .and_then(|v| v.to_str().ok());
        if let Err(why) = check_signature(secret, header, &body) {
            tracing::warn!("refused a notification of {} bytes: {why}", body.len());
            return (StatusCode::UNAUTHORIZED, "invalid signature\n").into_response();
        }
    }
    let items = match notification::parse(&body) {
        Ok(items) => items,
        Err(why) => {
            tracing::warn!("refused a notification of {} bytes: {why}", body.len());
            return (StatusCode::BAD_REQUEST, "malformed notification\n").into_response();
        }
    };
    let count = items.len();
    let (done, stored) = oneshot::channel();
    if app.inbox.send(WriteRequest { items, done }).is_err() {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    }
    match stored.await {
        Ok(Ok(new)) => {
            tracing::debug!("stored a notification: {count} items, {new} new");
            StatusCode::OK.into_response()
        }
        // The writer logged why; WhatsApp will deliver the notification again.
        _ => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
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

/// Checks `X-Hub-Signature-256: sha256=<hex>` against the HMAC-SHA256 of `body` with
/// the app secret, in constant time.
pub fn check_signature(
    secret: &Secret,
    header: Option<&str>,
    body: &[u8],
) -> Result<(), &'static str> {
    let header = header.ok_or("no X-Hub-Signature-256 header")?;
    let hex_digest = header
        .strip_prefix("sha256=")
        .ok_or("the signature does not start with sha256=")?;
    let given = hex::decode(hex_digest.trim()).map_err(|_| "the signature is not hexadecimal")?;
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.expose().as_bytes())
        .expect("HMAC takes keys of any length");
    mac.update(body);
    mac.verify_slice(&given)
        .map_err(|_| "the signature does not match the body (is webhooks.secret the app secret?)")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The test vectors of WHATSAPP.md §2.1.
    #[test]
    fn signatures_match_the_documented_vectors() {
        let secret = Secret::new("my_app_secret");
        let empty = br#"{"object":"whatsapp_business_account","entry":[]}"#;
        let signature = "sha256=1e948187320e1d8a8ab09e20b7172f8fe97e79394c0980b59b485e00288e389d";
        assert_eq!(check_signature(&secret, Some(signature), empty), Ok(()));

        let escaped = br#"{"text":{"body":"caf\u00e9"}}"#;
        let signature = "sha256=5088d9ceba546140896900a32299e035f15cc4c732450829ed5b162ad16e2ee3";
        assert_eq!(check_signature(&secret, Some(signature), escaped), Ok(()));
        let utf8 = r#"{"text":{"body":"café"}}"#.as_bytes();
        assert!(check_signature(&secret, Some(signature), utf8).is_err());
    }

    #[test]
    fn malformed_signatures_are_refused() {
        let secret = Secret::new("s");
        assert!(check_signature(&secret, None, b"{}").is_err());
        assert!(check_signature(&secret, Some("sha1=00"), b"{}").is_err());
        assert!(check_signature(&secret, Some("sha256=zz"), b"{}").is_err());
    }
}
