//! A fake Graph API: a real HTTP server on 127.0.0.1 (port 0) that answers in Meta's
//! shapes and records every request it got. Answers can be scripted (errors first, then
//! success); unscripted requests to the messages endpoint are accepted with a new wamid.
//!
//! Media work as at Meta (WHATSAPP.md §7): `POST /{pnid}/media` takes a multipart upload
//! and answers a new id; `GET /{id}` answers the media's URL (on this server), type,
//! size and hex SHA-256; the URL serves the bytes only with a Bearer token; `DELETE
//! /{id}` forgets it. An unknown id gets Meta's "does not exist" error, and a media's
//! reported hash can be made wrong on purpose.

use std::collections::{HashMap, HashSet, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

#[derive(Clone, Debug)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Recorded {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("a JSON request body")
    }

    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }

    /// The parts of a `multipart/form-data` body, in order.
    pub fn multipart(&self) -> Vec<Part> {
        parse_multipart(self.header("content-type"), &self.body)
    }
}

/// One part of a multipart body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Part {
    pub name: String,
    pub filename: Option<String>,
    pub content_type: Option<String>,
    pub data: Vec<u8>,
}

impl Part {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.data).into_owned()
    }
}

/// A media object the fake holds.
struct Stored {
    bytes: Bytes,
    mime_type: String,
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
}

pub struct FakeGraph {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
    _runtime: tokio::runtime::Runtime,
}

impl FakeGraph {
    pub fn start() -> FakeGraph {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("a tokio runtime");
        let state = Arc::new(Mutex::new(State::default()));
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("a bound address");
        state.lock().unwrap().port = addr.port();
        let app_state = state.clone();
        let app = Router::new()
            .fallback(
                move |method: Method, uri: Uri, headers: HeaderMap, body: Bytes| {
                    let state = app_state.clone();
                    async move { answer(&state, method, uri, headers, body) }
                },
            )
            // Uploads are up to 100 MB (the media benchmark sends that much).
            .layer(DefaultBodyLimit::disable());
        runtime.spawn(async move { axum::serve(listener, app).await });
        FakeGraph {
            addr,
            state,
            _runtime: runtime,
        }
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// The next request gets this answer instead of the default one.
    pub fn then_respond(&self, status: u16, body: Value) -> &Self {
        self.state
            .lock()
            .unwrap()
            .scripted
            .push_back((status, body.to_string()));
        self
    }

    /// The next request gets this answer, body as given (not JSON).
    pub fn then_respond_text(&self, status: u16, body: &str) -> &Self {
        self.state
            .lock()
            .unwrap()
            .scripted
            .push_back((status, body.to_string()));
        self
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.state.lock().unwrap().requests.clone()
    }

    /// The JSON bodies of every request received, in order.
    pub fn bodies(&self) -> Vec<Value> {
        self.requests().iter().map(Recorded::json).collect()
    }

    /// The recorded requests of this method whose path ends with `suffix`.
    pub fn requests_to(&self, method: &str, suffix: &str) -> Vec<Recorded> {
        let requests = self.requests().into_iter();
        requests
            .filter(|r| r.method == method && r.path.ends_with(suffix))
            .collect()
    }

    /// Media downloads then need exactly `Authorization: Bearer <token>` (otherwise any
    /// Bearer token will do).
    pub fn require_token(&self, token: &str) -> &Self {
        self.state.lock().unwrap().token = Some(token.to_string());
        self
    }

    /// Holds media as if a user had sent it; returns its id.
    pub fn add_media(&self, bytes: &[u8], mime_type: &str) -> String {
        let mut state = self.state.lock().unwrap();
        store_media(&mut state, Bytes::copy_from_slice(bytes), mime_type)
    }

    /// `GET /{id}` reports a SHA-256 that the content does not have.
    pub fn report_wrong_sha256(&self, id: &str) -> &Self {
        self.state
            .lock()
            .unwrap()
            .wrong_sha256
            .insert(id.to_string());
        self
    }

    /// The media ids the fake holds.
    pub fn media_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = self.state.lock().unwrap().media.keys().cloned().collect();
        ids.sort();
        ids
    }
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
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The parts of a `multipart/form-data` body (RFC 7578), written independently of
/// wa-cloud's encoder so that tests check its output against the format, not itself.
pub fn parse_multipart(content_type: &str, body: &[u8]) -> Vec<Part> {
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
pub fn meta_error(code: i64, message: &str, details: &str) -> Value {
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

fn answer(
    state: &Mutex<State>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut state = state.lock().unwrap();
    state.requests.push(Recorded {
        method: method.to_string(),
        path: uri.path().to_string(),
        headers: headers.clone(),
        body: body.to_vec(),
    });
    if let Some((status, body)) = state.scripted.pop_front() {
        let status = StatusCode::from_u16(status).expect("a valid status");
        return (status, [("content-type", "application/json")], body).into_response();
    }
    if let Some(response) = answer_media(&mut state, &method, uri.path(), &headers, body.clone()) {
        return response;
    }
    if method == Method::POST && uri.path().ends_with("/messages") {
        state.sent += 1;
        let to = serde_json::from_slice::<Value>(&body)
            .ok()
            .and_then(|b| b["to"].as_str().map(str::to_string));
        let to = to.unwrap_or_default();
        let reply = json!({
            "messaging_product": "whatsapp",
            "contacts": [{"input": to, "wa_id": to.trim_start_matches('+')}],
            "messages": [{"id": format!("wamid.FAKE{}", state.sent)}],
        });
        return axum::Json(reply).into_response();
    }
    let error = meta_error(
        100,
        "(#100) Unsupported request",
        "the fake Graph API knows only /messages and the media endpoints",
    );
    (StatusCode::BAD_REQUEST, axum::Json(error)).into_response()
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
