//! What the local Graph API answers for `wa-cloud doctor`: the setup Meta keeps about an
//! app, its WhatsApp Business Account and its phone number, in Meta's shapes, so that every
//! check of the doctor (and its `--fix`) runs against it.
//!
//! - `GET /{version}/debug_token?input_token=...` with the app token (`APP_ID|APP_SECRET`);
//! - `GET /{version}/{phone-number-id}?fields=...`: status, quality, registration, and the
//!   callback URLs in `webhook_configuration`; `POST` sets the number's override;
//! - `POST /{version}/{phone-number-id}/register` and `/deregister`;
//! - `GET` and `POST /{version}/{business-account-id}/subscribed_apps`;
//! - `GET` and `POST /{version}/{app-id}/subscriptions` with the app token: the app's
//!   callback URL and webhook fields.
//!
//! Like Meta, setting a callback URL first sends it a verification request with the verify
//! token, and refuses (code 2200) unless the challenge comes back. A fresh local Graph API
//! has a registered number, no app subscribed and no callback URL: what a new Meta app has
//! before the webhook setup, so that the doctor has something to find.
//!
//! It sits in front of the router of [`super::graph`] as a layer, and passes every other
//! request on.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Query, Request, State};
use axum::http::{Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};
use subtle::ConstantTimeEq;

use crate::config::Secret;

/// The app's id: no real app has it. Its app secret is the webhook's (`--secret`).
pub(super) const DEV_APP_ID: &str = "100000000000003";
/// The WhatsApp Business Account, as `entry[].id` of the notifications names it.
pub(super) const DEV_BUSINESS_ACCOUNT_ID: &str = "100000000000002";
/// How long a callback URL may take to answer its verification request.
const VERIFY_TIMEOUT: Duration = Duration::from_secs(10);
/// Bodies of these endpoints are small JSON objects.
const MAX_BODY: usize = 64 * 1024;

/// What Meta holds about the app, the business account and the number.
pub(super) struct Setup {
    phone_number_id: String,
    token: Secret,
    app_secret: Option<Secret>,
    state: Mutex<SetupState>,
}

struct SetupState {
    registered: bool,
    subscribed: bool,
    number_override: Option<String>,
    account_override: Option<String>,
    app_callback: Option<String>,
    app_fields: Vec<String>,
}

impl Setup {
    pub(super) fn new(
        phone_number_id: &str,
        token: &Secret,
        app_secret: Option<Secret>,
    ) -> Arc<Setup> {
        Arc::new(Setup {
            phone_number_id: phone_number_id.to_string(),
            token: token.clone(),
            app_secret,
            state: Mutex::new(SetupState {
                registered: true,
                subscribed: false,
                number_override: None,
                account_override: None,
                app_callback: None,
                app_fields: Vec::new(),
            }),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, SetupState> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Which token an endpoint takes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Needs {
    UserToken,
    AppToken,
}

/// The layer: answers the setup endpoints, passes everything else on.
pub(super) async fn answer(
    State(setup): State<Arc<Setup>>,
    request: Request,
    next: Next,
) -> Response {
    let segments: Vec<String> = request
        .uri()
        .path()
        .split('/')
        .skip(2) // "" and the version
        .map(str::to_string)
        .collect();
    let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
    let method = request.method().clone();
    let number = setup.phone_number_id.as_str();
    let (needs, endpoint) = match (&method, segments.as_slice()) {
        (&Method::GET, ["debug_token"]) => (Needs::AppToken, Endpoint::DebugToken),
        (&Method::GET, [id]) if *id == number => (Needs::UserToken, Endpoint::Number),
        (&Method::POST, [id]) if *id == number => (Needs::UserToken, Endpoint::SetNumberOverride),
        (&Method::POST, [id, "register"]) if *id == number => {
            (Needs::UserToken, Endpoint::Register(true))
        }
        (&Method::POST, [id, "deregister"]) if *id == number => {
            (Needs::UserToken, Endpoint::Register(false))
        }
        (&Method::GET, [DEV_BUSINESS_ACCOUNT_ID, "subscribed_apps"]) => {
            (Needs::UserToken, Endpoint::SubscribedApps)
        }
        (&Method::POST, [DEV_BUSINESS_ACCOUNT_ID, "subscribed_apps"]) => {
            (Needs::UserToken, Endpoint::Subscribe)
        }
        (&Method::GET, [DEV_APP_ID, "subscriptions"]) => {
            (Needs::AppToken, Endpoint::AppSubscriptions)
        }
        (&Method::POST, [DEV_APP_ID, "subscriptions"]) => {
            (Needs::AppToken, Endpoint::SetAppSubscription)
        }
        _ => return next.run(request).await,
    };
    if let Some(refused) = refusal(&setup, &request, needs) {
        return refused;
    }
    let query: Map<String, Value> = Query::<HashMap<String, String>>::try_from_uri(request.uri())
        .map(|Query(pairs)| {
            pairs
                .into_iter()
                .map(|(k, v)| (k, Value::String(v)))
                .collect()
        })
        .unwrap_or_default();
    let body = match axum::body::to_bytes(request.into_body(), MAX_BODY).await {
        Ok(bytes) if bytes.is_empty() => json!({}),
        Ok(bytes) => match serde_json::from_slice::<Value>(&bytes) {
            Ok(body) => body,
            Err(_) => {
                return error(
                    StatusCode::BAD_REQUEST,
                    100,
                    "(#100) The body is not a JSON object",
                );
            }
        },
        Err(_) => return error(StatusCode::BAD_REQUEST, 100, "(#100) The body is too large"),
    };
    match endpoint {
        Endpoint::DebugToken => debug_token(&setup, &query),
        Endpoint::Number => number_fields(&setup, &query),
        Endpoint::SetNumberOverride => set_number_override(&setup, &body).await,
        Endpoint::Register(registered) => register(&setup, registered, &body),
        Endpoint::SubscribedApps => subscribed_apps(&setup),
        Endpoint::Subscribe => subscribe(&setup, &body).await,
        Endpoint::AppSubscriptions => app_subscriptions(&setup),
        Endpoint::SetAppSubscription => set_app_subscription(&setup, &body).await,
    }
}

enum Endpoint {
    DebugToken,
    Number,
    SetNumberOverride,
    Register(bool),
    SubscribedApps,
    Subscribe,
    AppSubscriptions,
    SetAppSubscription,
}

/// Meta's answer to a request without the token `needs`, or `None` to let it through.
fn refusal(setup: &Setup, request: &Request, needs: Needs) -> Option<Response> {
    let given = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default()
        .trim();
    let expected = match (needs, &setup.app_secret) {
        (Needs::UserToken, _) => setup.token.expose().to_string(),
        (Needs::AppToken, Some(secret)) => format!("{DEV_APP_ID}|{}", secret.expose()),
        (Needs::AppToken, None) => {
            return Some(error(
                StatusCode::BAD_REQUEST,
                190,
                "Invalid OAuth access token signature: the local Graph API has no app secret (start it with \
                 --webhook and --secret)",
            ));
        }
    };
    if bool::from(given.as_bytes().ct_eq(expected.as_bytes())) {
        return None;
    }
    tracing::warn!(
        "refused {} {}: wrong token",
        request.method(),
        request.uri().path()
    );
    let message = match needs {
        Needs::UserToken => "Invalid OAuth access token - Cannot parse access token",
        Needs::AppToken => "Invalid OAuth access token signature.",
    };
    Some(error(StatusCode::UNAUTHORIZED, 190, message))
}

fn debug_token(setup: &Setup, query: &Map<String, Value>) -> Response {
    let input = query
        .get("input_token")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if !bool::from(input.as_bytes().ct_eq(setup.token.expose().as_bytes())) {
        return json_answer(json!({"data": {"is_valid": false, "scopes": [],
            "error": {"code": 190, "message": "Invalid OAuth access token."}}}));
    }
    let scopes = [
        "whatsapp_business_messaging",
        "whatsapp_business_management",
    ];
    json_answer(
        json!({"data": {"app_id": DEV_APP_ID, "type": "SYSTEM_USER", "application": "wa-cloud dev",
        "data_access_expires_at": 0, "expires_at": 0, "is_valid": true, "scopes": scopes,
        "granular_scopes": scopes.iter().map(|s| json!({"scope": s, "target_ids": [DEV_BUSINESS_ACCOUNT_ID]})).collect::<Vec<_>>()}}),
    )
}

fn number_fields(setup: &Setup, query: &Map<String, Value>) -> Response {
    let state = setup.lock();
    let mut callbacks = Map::new();
    for (key, url) in [
        ("application", &state.app_callback),
        ("whatsapp_business_account", &state.account_override),
        ("phone_number", &state.number_override),
    ] {
        if let Some(url) = url {
            callbacks.insert(key.to_string(), json!(url));
        }
    }
    let all = json!({
        "id": setup.phone_number_id,
        "display_phone_number": "+1 555-000-0000",
        "verified_name": "wa-cloud dev",
        "status": "CONNECTED",
        "quality_rating": "GREEN",
        "name_status": "APPROVED",
        "code_verification_status": "VERIFIED",
        "platform_type": if state.registered { "CLOUD_API" } else { "NOT_APPLICABLE" },
        "throughput": {"level": "STANDARD"},
        "messaging_limit_tier": "TIER_250",
        "webhook_configuration": callbacks,
    });
    let fields = query
        .get("fields")
        .and_then(Value::as_str)
        .unwrap_or("id,verified_name,display_phone_number,quality_rating");
    let mut answer = Map::new();
    for field in fields.split(',').map(str::trim) {
        if let Some(value) = all.get(field) {
            answer.insert(field.to_string(), value.clone());
        }
    }
    answer.insert("id".into(), json!(setup.phone_number_id));
    json_answer(Value::Object(answer))
}

fn register(setup: &Setup, registered: bool, body: &Value) -> Response {
    if registered
        && !body["pin"]
            .as_str()
            .is_some_and(|p| p.len() == 6 && p.bytes().all(|b| b.is_ascii_digit()))
    {
        return error(
            StatusCode::BAD_REQUEST,
            100,
            "(#100) Param pin must be a 6-digit number",
        );
    }
    setup.lock().registered = registered;
    tracing::info!(
        "phone number {}",
        if registered {
            "registered"
        } else {
            "deregistered"
        }
    );
    json_answer(json!({"success": true}))
}

fn subscribed_apps(setup: &Setup) -> Response {
    let state = setup.lock();
    if !state.subscribed {
        return json_answer(json!({"data": []}));
    }
    let mut app = json!({"whatsapp_business_api_data": {"id": DEV_APP_ID, "name": "wa-cloud dev",
        "link": "https://www.facebook.com/games/?app_id=100000000000003"}});
    if let Some(url) = &state.account_override {
        app["override_callback_uri"] = json!(url);
    }
    json_answer(json!({"data": [app]}))
}

async fn subscribe(setup: &Setup, body: &Value) -> Response {
    if let Some(url) = body["override_callback_uri"].as_str() {
        if let Err(refused) = verify(url, body["verify_token"].as_str()).await {
            return refused;
        }
        setup.lock().account_override = Some(url.to_string());
    }
    setup.lock().subscribed = true;
    tracing::info!("app subscribed to the business account");
    json_answer(json!({"success": true}))
}

async fn set_number_override(setup: &Setup, body: &Value) -> Response {
    let config = &body["webhook_configuration"];
    let Some(url) = config["override_callback_uri"].as_str() else {
        return error(
            StatusCode::BAD_REQUEST,
            100,
            "(#100) The parameter webhook_configuration.override_callback_uri is required",
        );
    };
    if let Err(refused) = verify(url, config["verify_token"].as_str()).await {
        return refused;
    }
    setup.lock().number_override = Some(url.to_string());
    tracing::info!("the phone number's callback URL is now {url}");
    json_answer(json!({"success": true}))
}

fn app_subscriptions(setup: &Setup) -> Response {
    let state = setup.lock();
    let Some(url) = &state.app_callback else {
        return json_answer(json!({"data": []}));
    };
    let fields: Vec<Value> = state
        .app_fields
        .iter()
        .map(|f| json!({"name": f, "version": "v25.0"}))
        .collect();
    json_answer(
        json!({"data": [{"object": "whatsapp_business_account", "callback_url": url,
        "active": true, "fields": fields}]}),
    )
}

async fn set_app_subscription(setup: &Setup, body: &Value) -> Response {
    if body["object"] != "whatsapp_business_account" {
        return error(
            StatusCode::BAD_REQUEST,
            100,
            "(#100) object must be whatsapp_business_account here",
        );
    }
    let Some(url) = body["callback_url"].as_str() else {
        return error(
            StatusCode::BAD_REQUEST,
            100,
            "(#100) The parameter callback_url is required",
        );
    };
    if let Err(refused) = verify(url, body["verify_token"].as_str()).await {
        return refused;
    }
    let fields: Vec<String> = match &body["fields"] {
        Value::String(list) => list.split(',').map(|f| f.trim().to_string()).collect(),
        Value::Array(list) => list
            .iter()
            .filter_map(|f| f.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    };
    let mut state = setup.lock();
    state.app_callback = Some(url.to_string());
    for field in fields {
        if !state.app_fields.contains(&field) {
            state.app_fields.push(field);
        }
    }
    tracing::info!(
        "the app's callback URL is now {url}, fields {}",
        state.app_fields.join(",")
    );
    json_answer(json!({"success": true}))
}

/// Sends `url` a verification request as Meta does before it takes a callback URL.
async fn verify(url: &str, verify_token: Option<&str>) -> Result<(), Response> {
    let Some(verify_token) = verify_token.filter(|t| !t.is_empty()) else {
        return Err(error(
            StatusCode::BAD_REQUEST,
            100,
            "(#100) The parameter verify_token is required",
        ));
    };
    let (url, verify_token) = (url.to_string(), verify_token.to_string());
    let challenge = fastrand::u64(..).to_string();
    let expected = challenge.clone();
    let answer = tokio::task::spawn_blocking(move || {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(VERIFY_TIMEOUT))
            .build()
            .into();
        let mut answer = agent
            .get(&url)
            .query("hub.mode", "subscribe")
            .query("hub.verify_token", &verify_token)
            .query("hub.challenge", &challenge)
            .call()
            .map_err(|err| format!("URL couldn't be validated: {err}"))?;
        let status = answer.status().as_u16();
        let body = answer.body_mut().read_to_string().unwrap_or_default();
        Ok::<_, String>((status, body))
    })
    .await
    .unwrap_or_else(|err| Err(err.to_string()));
    match answer {
        Ok((200, body)) if body == expected => Ok(()),
        Ok((status, _)) => Err(error(
            StatusCode::BAD_REQUEST,
            2200,
            &format!(
                "(#2200) Callback verification failed with the following errors: HTTP Status Code = {status}; \
                 HTTP Message = the response did not match the challenge"
            ),
        )),
        Err(why) => Err(error(
            StatusCode::BAD_REQUEST,
            2200,
            &format!("(#2200) Callback verification failed with the following errors: {why}"),
        )),
    }
}

fn json_answer(value: Value) -> Response {
    axum::Json(value).into_response()
}

fn error(status: StatusCode, code: i64, message: &str) -> Response {
    let body = json!({"error": {"message": message, "type": "OAuthException", "code": code,
        "fbtrace_id": "AdevDoctor"}});
    (status, axum::Json(body)).into_response()
}
