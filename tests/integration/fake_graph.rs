//! A fake Graph API: a real HTTP server on 127.0.0.1 (port 0) that answers in Meta's
//! shapes and records every request it got. Answers can be scripted (errors first, then
//! success); unscripted requests to the messages endpoint are accepted with a new wamid.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

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
}

#[derive(Default)]
struct State {
    requests: Vec<Recorded>,
    scripted: VecDeque<(u16, String)>,
    sent: usize,
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
        let app_state = state.clone();
        let app = Router::new().fallback(
            move |method: Method, uri: Uri, headers: HeaderMap, body: Bytes| {
                let state = app_state.clone();
                async move { answer(&state, method, uri, headers, body) }
            },
        );
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
}

/// Meta's error object, as the Graph API returns it.
pub fn meta_error(code: i64, message: &str, details: &str) -> Value {
    json!({"error": {"message": message, "type": "OAuthException", "code": code,
        "error_data": {"messaging_product": "whatsapp", "details": details},
        "fbtrace_id": "AbCdEfFakeTrace"}})
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
        headers,
        body: body.to_vec(),
    });
    if let Some((status, body)) = state.scripted.pop_front() {
        let status = StatusCode::from_u16(status).expect("a valid status");
        return (status, [("content-type", "application/json")], body).into_response();
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
        "the fake Graph API knows only /messages",
    );
    (StatusCode::BAD_REQUEST, axum::Json(error)).into_response()
}
