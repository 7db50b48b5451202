//! Meta's answers of the local Graph API: its error objects, and the token check every
//! route is behind.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{Method, StatusCode, Uri, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::json;
use subtle::ConstantTimeEq;

use super::Shared;

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
pub(super) fn invalid(message: &str, details: &str) -> Response {
    graph_error(StatusCode::BAD_REQUEST, 100, message, details)
}

/// Meta's answer for an id that is not there (or not this token's to see).
pub(super) fn no_such_object(method: &Method, id: &str) -> Response {
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

pub(super) async fn unsupported(method: Method, uri: Uri) -> Response {
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
pub(super) async fn authorize(
    State(shared): State<Arc<Shared>>,
    request: Request,
    next: Next,
) -> Response {
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
