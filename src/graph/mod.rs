//! The Graph API client: messages (and, later, media) over blocking HTTP with ureq.
//!
//! Every call carries the Bearer token and a `User-Agent` naming wa-cloud; the token is
//! kept in a [`Secret`] and is never part of a URL, a log line or an error. Rate limits,
//! throttling and server errors are retried with exponential backoff and jitter, a
//! bounded number of times; every other error is returned at once.

mod error;
pub mod media;
mod shim;

use std::time::Duration;

use serde_json::Value;
use ureq::Agent;
use ureq::http::Response;

pub use error::{ApiError, GraphError};

use crate::config::{GraphConfig, Secret};

pub const USER_AGENT: &str = concat!("wa-cloud/", env!("CARGO_PKG_VERSION"));

/// How retryable errors are retried.
#[derive(Clone, Debug)]
pub struct Backoff {
    /// Attempts in all, the first one included.
    pub attempts: u32,
    pub base: Duration,
    pub cap: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            attempts: 5,
            base: Duration::from_millis(500),
            cap: Duration::from_secs(8),
        }
    }
}

impl Backoff {
    /// The wait before retry number `retry` (0-based): exponential, capped, with "equal
    /// jitter" so that many clients that failed together do not retry together.
    fn delay(&self, retry: u32) -> Duration {
        let full = self.base.saturating_mul(1 << retry.min(16)).min(self.cap);
        let half = full / 2;
        half + half.mul_f64(fastrand::f64())
    }
}

/// What Meta answered to an accepted message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sent {
    /// The new message's wamid.
    pub id: String,
    /// The recipient's WhatsApp id as Meta resolved it, when it says.
    pub wa_id: Option<String>,
}

pub struct Client {
    agent: Agent,
    base_url: String,
    phone_number_id: String,
    authorization: Secret,
    backoff: Backoff,
}

impl Client {
    pub fn new(config: &GraphConfig) -> Self {
        let agent: Agent = Agent::config_builder()
            .http_status_as_error(false)
            .user_agent(USER_AGENT)
            .timeout_connect(Some(Duration::from_secs(10)))
            .timeout_recv_response(Some(Duration::from_secs(30)))
            .timeout_recv_body(Some(Duration::from_secs(60)))
            .build()
            .into();
        Client {
            agent,
            base_url: config.base_url.clone(),
            phone_number_id: config.phone_number_id.clone(),
            authorization: Secret::new(format!("Bearer {}", config.access_token.expose())),
            backoff: Backoff::default(),
        }
    }

    /// Sends one message: `body` is a complete Graph API message object.
    pub fn send_message(&self, body: &Value) -> Result<Sent, GraphError> {
        let url = format!("{}/{}/messages", self.base_url, self.phone_number_id);
        let reply = self.with_retries(&url, || {
            self.agent
                .post(&url)
                .header("Authorization", self.authorization.expose())
                .send_json(body)
        })?;
        let id = reply["messages"][0]["id"].as_str();
        let id = id.ok_or_else(|| GraphError::Unexpected(abbreviate(&reply.to_string())))?;
        Ok(Sent {
            id: id.to_string(),
            wa_id: reply["contacts"][0]["wa_id"].as_str().map(str::to_string),
        })
    }

    /// Marks an incoming message read; with `typing`, also shows the typing indicator to
    /// its sender (for up to 25 s, or until we reply).
    pub fn mark_read(&self, wamid: &str, typing: bool) -> Result<(), GraphError> {
        let url = format!("{}/{}/messages", self.base_url, self.phone_number_id);
        let mut body = serde_json::json!({"messaging_product": "whatsapp", "status": "read", "message_id": wamid});
        if typing {
            body["typing_indicator"] = serde_json::json!({"type": "text"});
        }
        self.with_retries(&url, || {
            self.agent
                .post(&url)
                .header("Authorization", self.authorization.expose())
                .send_json(&body)
        })
        .map(drop)
    }

    /// Runs `request` until it succeeds, fails for good, or runs out of attempts.
    fn with_retries(
        &self,
        url: &str,
        mut request: impl FnMut() -> Result<Response<ureq::Body>, ureq::Error>,
    ) -> Result<Value, GraphError> {
        self.retrying(|| match request() {
            Ok(response) => read_reply(response),
            Err(source) => Err(GraphError::Transport {
                url: abbreviate(url),
                source,
            }),
        })
    }

    /// Runs `attempt` until it succeeds, fails for good, or runs out of attempts, waiting
    /// with backoff and jitter between attempts.
    fn retrying<T>(
        &self,
        mut attempt: impl FnMut() -> Result<T, GraphError>,
    ) -> Result<T, GraphError> {
        let mut attempts = 1;
        loop {
            let error = match attempt() {
                Ok(value) => return Ok(value),
                Err(error) if !error.is_retryable() => return Err(error),
                Err(error) if attempts >= self.backoff.attempts => {
                    return Err(GraphError::GaveUp {
                        attempts,
                        last: Box::new(error),
                    });
                }
                Err(error) => error,
            };
            let delay = self.backoff.delay(attempts - 1);
            tracing::warn!(
                "{error}; retrying in {} ms (attempt {} of {})",
                delay.as_millis(),
                attempts + 1,
                self.backoff.attempts
            );
            std::thread::sleep(delay);
            attempts += 1;
        }
    }
}

/// A 2xx JSON body, or the error the response stands for.
fn read_reply(mut response: Response<ureq::Body>) -> Result<Value, GraphError> {
    let status = response.status().as_u16();
    let body = response.body_mut().read_to_string().unwrap_or_default();
    if (200..300).contains(&status) {
        return serde_json::from_str(&body).map_err(|_| GraphError::Unexpected(abbreviate(&body)));
    }
    match ApiError::parse(status, &body) {
        Some(api) => Err(GraphError::Api(Box::new(api))),
        None => Err(GraphError::Status {
            status,
            body: abbreviate(&body),
        }),
    }
}

/// At most 200 characters of a body, for an error message.
fn abbreviate(body: &str) -> String {
    let body = body.trim();
    match body.char_indices().nth(200) {
        Some((cut, _)) => format!("{}…", &body[..cut]),
        None if body.is_empty() => "(empty body)".to_string(),
        None => body.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meta_errors_are_retried_by_code_not_status() {
        let rate = ApiError::parse(
            400,
            r#"{"error":{"message":"(#130429) Rate limit hit","code":130429}}"#,
        )
        .unwrap();
        assert!(GraphError::Api(Box::new(rate)).is_retryable());
        let window = ApiError::parse(
            400,
            r#"{"error":{"message":"(#131047) Re-engagement message","code":131047}}"#,
        )
        .unwrap();
        assert!(!GraphError::Api(Box::new(window)).is_retryable());
        let reregister =
            ApiError::parse(500, r#"{"error":{"message":"x","code":131045}}"#).unwrap();
        assert!(!GraphError::Api(Box::new(reregister)).is_retryable());
        assert!(
            GraphError::Status {
                status: 502,
                body: String::new()
            }
            .is_retryable()
        );
        assert!(
            !GraphError::Status {
                status: 404,
                body: String::new()
            }
            .is_retryable()
        );
    }

    #[test]
    fn api_errors_show_message_details_code_and_trace() {
        let body = r#"{"error":{"message":"(#130429) Rate limit hit","type":"OAuthException","code":130429,
            "error_data":{"messaging_product":"whatsapp","details":"Cloud API message throughput has been reached."},
            "error_subcode":2494055,"fbtrace_id":"Az8or2yhqkZfEZ-_4Qn_Bam"}}"#;
        let shown = GraphError::Api(Box::new(ApiError::parse(400, body).unwrap())).to_string();
        assert_eq!(
            shown,
            "Meta: (#130429) Rate limit hit: Cloud API message throughput has been reached. \
             (HTTP 400, code 130429, subcode 2494055, fbtrace_id Az8or2yhqkZfEZ-_4Qn_Bam)"
        );
    }

    #[test]
    fn backoff_grows_and_stays_under_its_cap() {
        let backoff = Backoff {
            attempts: 5,
            base: Duration::from_millis(100),
            cap: Duration::from_millis(400),
        };
        for retry in 0..10 {
            let full = Duration::from_millis(100 * (1 << retry.min(2)));
            let delay = backoff.delay(retry);
            assert!(
                delay >= full / 2 && delay <= full,
                "retry {retry}: {delay:?}"
            );
        }
    }
}
