//! Meta's error format, and which errors are worth retrying.
//!
//! The decision rests on Meta's error `code`, not on the HTTP status: throughput limits
//! arrive as HTTP 400 (WHATSAPP.md §6).

use std::fmt;

use serde::Deserialize;

/// Codes that mean "later, or slower": temporary downtime, rate limits, unknown errors
/// that Meta itself says to try again.
const RETRYABLE_CODES: [i64; 9] = [2, 4, 80007, 130429, 131000, 131016, 131056, 131057, 133004];

/// A failed Graph API call.
#[derive(Debug, thiserror::Error)]
pub enum GraphError {
    /// Meta answered with its error object.
    #[error("{0}")]
    Api(Box<ApiError>),
    /// An error status without Meta's error object (a proxy, a load balancer).
    #[error("the Graph API answered HTTP {status}: {body}")]
    Status { status: u16, body: String },
    /// A success status whose body is not what the endpoint documents.
    #[error("the Graph API answered with an unexpected body: {0}")]
    Unexpected(String),
    /// No answer: connection refused, timeout, DNS, TLS.
    #[error("cannot reach the Graph API at {url}")]
    Transport {
        url: String,
        #[source]
        source: ureq::Error,
    },
    /// A retryable error that kept coming back.
    #[error("gave up after {attempts} attempts")]
    GaveUp {
        attempts: u32,
        #[source]
        last: Box<GraphError>,
    },
}

/// Meta's `{"error": {...}}` object, with the HTTP status it came with.
#[derive(Debug, Clone, Deserialize)]
pub struct ApiError {
    #[serde(skip)]
    pub status: u16,
    #[serde(default)]
    pub message: String,
    #[serde(default)]
    pub code: i64,
    #[serde(default)]
    pub error_subcode: Option<i64>,
    #[serde(default)]
    pub error_data: Option<serde_json::Value>,
    #[serde(default)]
    pub fbtrace_id: Option<String>,
    #[serde(default)]
    pub is_transient: Option<bool>,
}

impl ApiError {
    /// Parses Meta's error body, if `body` is one.
    pub fn parse(status: u16, body: &str) -> Option<ApiError> {
        #[derive(Deserialize)]
        struct Envelope {
            error: ApiError,
        }
        let mut error = serde_json::from_str::<Envelope>(body).ok()?.error;
        error.status = status;
        Some(error)
    }

    /// `error_data.details`, which says more than the message (or `error_data` itself
    /// when Meta sent it as a plain string).
    pub fn details(&self) -> Option<&str> {
        match self.error_data.as_ref()? {
            serde_json::Value::String(s) => Some(s),
            data => data.get("details")?.as_str(),
        }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Meta: {}", self.message)?;
        if let Some(details) = self.details().filter(|d| !self.message.contains(d)) {
            write!(f, ": {details}")?;
        }
        write!(f, " (HTTP {}, code {}", self.status, self.code)?;
        if let Some(subcode) = self.error_subcode {
            write!(f, ", subcode {subcode}")?;
        }
        if let Some(trace) = &self.fbtrace_id {
            write!(f, ", fbtrace_id {trace}")?;
        }
        write!(f, ")")
    }
}

impl GraphError {
    /// Whether the same request may succeed if sent again later.
    pub fn is_retryable(&self) -> bool {
        match self {
            GraphError::Api(api) => {
                RETRYABLE_CODES.contains(&api.code) || api.is_transient == Some(true)
            }
            GraphError::Status { status, .. } => *status == 429 || *status >= 500,
            GraphError::Transport { source, .. } => matches!(
                source,
                ureq::Error::ConnectionFailed
                    | ureq::Error::Timeout(ureq::Timeout::Connect | ureq::Timeout::Resolve)
            ),
            GraphError::Unexpected(_) | GraphError::GaveUp { .. } => false,
        }
    }

    /// Meta's error code, if Meta sent one.
    pub fn code(&self) -> Option<i64> {
        match self {
            GraphError::Api(api) => Some(api.code),
            GraphError::GaveUp { last, .. } => last.code(),
            _ => None,
        }
    }

    /// What the user can do about the common errors.
    pub fn hint(&self) -> Option<&'static str> {
        let hint = match self.code()? {
            0 | 190 => {
                "the access token is invalid or expired: create a new one (a System User token does not expire) and set WHATSAPP_CLOUD_GRAPHAPI_ACCESS_TOKEN"
            }
            10 | 200..=299 => {
                "the access token lacks a permission: it needs whatsapp_business_messaging (and whatsapp_business_management for media)"
            }
            33 => {
                "graphApi.phoneNumberId does not name a phone number of this account: copy it from App Dashboard > WhatsApp > API Setup"
            }
            100 => "Meta rejected a parameter of the request: see its details above",
            4 | 80007 | 130429 => {
                "a rate limit was reached: send fewer messages per second, or try again in a few minutes"
            }
            131056 => {
                "too many messages to this one user in a short time: wait a minute before writing to them again"
            }
            131026 => {
                "the message cannot be delivered: the recipient may not use WhatsApp, or must update it or accept its terms"
            }
            131030 => {
                "while the app is in development, add the recipient to the allowed numbers (App Dashboard > WhatsApp > API Setup > To)"
            }
            131047 => {
                "more than 24 hours have passed since the user last wrote: only a template can reach them now (wa-cloud send TO --template NAME --lang CODE)"
            }
            132001 => {
                "the template does not exist in that language or is not approved yet: check its name and --lang"
            }
            133010 => {
                "the business phone number is not registered with the Cloud API yet: register it in the App Dashboard"
            }
            _ => return None,
        };
        Some(hint)
    }
}
