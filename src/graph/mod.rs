//! The Graph API client: messages and media over blocking HTTP with ureq; the outbox's
//! many calls in flight go through [`concurrent`] instead.
//!
//! Every call carries the Bearer token and a `User-Agent` naming wa-cloud; the token is
//! kept in a [`Secret`] and is never part of a URL, a log line or an error. Each request
//! may take `graphApi.timeout` to connect and as long again for the answer. Rate limits,
//! throttling, server errors and transport failures are retried with exponential backoff
//! and jitter until the client's retry limit ([`Retry`]) has passed; every other error is
//! returned at once. The `*_once` methods make exactly one attempt, for callers (the
//! outbox) that schedule retries themselves.

pub(crate) mod concurrent;
mod error;
pub(crate) mod media;
mod templates;

use std::time::{Duration, Instant};

use serde_json::Value;
use ureq::Agent;
use ureq::http::Response;

pub(crate) use error::{ApiError, GraphError};

use crate::config::GraphConfig;
use crate::secret::Secret;

pub(crate) const USER_AGENT: &str = concat!("wa-cloud/", env!("CARGO_PKG_VERSION"));

/// How long a [`Client::new`] keeps retrying by default: about what 5 attempts took
/// before, so that upload, download and the server are not slowed down.
pub(crate) const DEFAULT_RETRY: Duration = Duration::from_secs(10);

/// The waits between retries: exponential from `base`, at most `cap`, with jitter.
#[derive(Clone, Debug)]
pub(crate) struct Backoff {
    pub base: Duration,
    pub cap: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            base: Duration::from_millis(500),
            cap: Duration::from_secs(8),
        }
    }
}

impl Backoff {
    /// The wait before retry number `retry` (0-based): exponential, capped, with "equal
    /// jitter" (between half and all of it) so that many clients that failed together do
    /// not retry together.
    pub(crate) fn delay(&self, retry: u32) -> Duration {
        let full = self.base.saturating_mul(1 << retry.min(16)).min(self.cap);
        let half = full / 2;
        half + half.mul_f64(fastrand::f64())
    }
}

/// How long retryable errors are retried.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Retry {
    /// One attempt, no retry.
    Once,
    /// New attempts may start until this long after the first one started; the last one
    /// starts at that moment at the latest.
    For(Duration),
}

impl Retry {
    /// `Retry::For(limit)`, or `Retry::Once` for a zero limit.
    pub(crate) fn limited_to(limit: Duration) -> Retry {
        if limit.is_zero() {
            Retry::Once
        } else {
            Retry::For(limit)
        }
    }
}

/// What Meta answered to an accepted message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Sent {
    /// The new message's wamid.
    pub id: String,
    /// The recipient's WhatsApp id as Meta resolved it, when it says.
    pub wa_id: Option<String>,
}

/// The field of a message body, wa-cloud's own, that names the business number (phone
/// number id) to send it through.
pub(crate) const FROM: &str = "from";

impl Sent {
    /// The wamid and WhatsApp id of a send's answer.
    fn of(reply: &Value) -> Result<Sent, GraphError> {
        let id = reply["messages"][0]["id"].as_str();
        let id = id.ok_or_else(|| GraphError::Unexpected(abbreviate(&reply.to_string())))?;
        Ok(Sent {
            id: id.to_string(),
            wa_id: reply["contacts"][0]["wa_id"].as_str().map(str::to_string),
        })
    }
}

/// The body of a read mark (with the typing indicator).
fn read_mark(wamid: &str, typing: bool) -> Value {
    let mut body =
        serde_json::json!({"messaging_product": "whatsapp", "status": "read", "message_id": wamid});
    if typing {
        body["typing_indicator"] = serde_json::json!({"type": "text"});
    }
    body
}

pub(crate) struct Client {
    agent: Agent,
    base_url: String,
    phone_number_id: String,
    authorization: Secret,
    backoff: Backoff,
    retry: Retry,
}

impl Client {
    /// A client whose requests may each take `config.timeout` to connect and as long
    /// again for the answer, retrying for [`DEFAULT_RETRY`].
    pub(crate) fn new(config: &GraphConfig) -> Self {
        // A zero timeout would fail every request at once: take it as "no limit".
        let timeout = Some(config.timeout).filter(|t| !t.is_zero());
        let builder = Agent::config_builder();
        let agent: Agent = builder
            .http_status_as_error(false)
            .user_agent(USER_AGENT)
            .timeout_connect(timeout)
            .timeout_recv_response(timeout)
            .timeout_recv_body(timeout)
            .build()
            .into();
        Client {
            agent,
            base_url: config.base_url.clone(),
            phone_number_id: config.phone_number_id.clone(),
            authorization: Secret::new(format!("Bearer {}", config.access_token.expose())),
            backoff: Backoff::default(),
            retry: Retry::For(DEFAULT_RETRY),
        }
    }

    /// Keeps retrying for `limit` (from the first attempt's start); zero tries once.
    pub(crate) fn retrying_for(mut self, limit: Duration) -> Self {
        self.retry = Retry::limited_to(limit);
        self
    }

    /// Waits between retries as `backoff` says.
    #[cfg(test)]
    pub(crate) fn with_backoff(mut self, backoff: Backoff) -> Self {
        self.backoff = backoff;
        self
    }

    /// How this client retries.
    #[cfg(test)]
    pub(crate) fn retry(&self) -> Retry {
        self.retry
    }

    /// The messages endpoint of business number `from`, or of the configured one.
    fn messages_url_of(&self, from: Option<&str>) -> String {
        let number = from.unwrap_or(&self.phone_number_id);
        format!("{}/{}/messages", self.base_url, number)
    }

    /// Sends one message: `body` is a complete Graph API message object. Retries as the
    /// client's [`Retry`] says.
    pub(crate) fn send_message(&self, body: &Value) -> Result<Sent, GraphError> {
        self.send_message_with(self.retry, body)
    }

    /// Sends one message with exactly one attempt: whatever fails is returned at once
    /// (see [`GraphError::is_retryable`] and [`GraphError::may_have_arrived`]).
    #[cfg(test)] // the program's single attempts go through the outbox's concurrent client
    pub(crate) fn send_message_once(&self, body: &Value) -> Result<Sent, GraphError> {
        self.send_message_with(Retry::Once, body)
    }

    /// A body may carry wa-cloud's own `from`: the phone number id of the business number
    /// to send it through (see `message::normalize`); it is not Meta's, and is taken out.
    fn send_message_with(&self, retry: Retry, body: &Value) -> Result<Sent, GraphError> {
        let from = body.get(FROM).and_then(Value::as_str);
        let url = self.messages_url_of(from);
        let stripped;
        let body = match from {
            Some(_) => {
                let mut copy = body.clone();
                if let Some(fields) = copy.as_object_mut() {
                    fields.shift_remove(FROM);
                }
                stripped = copy;
                &stripped
            }
            None => body,
        };
        let reply = self.with_retries(retry, &url, || {
            self.agent
                .post(&url)
                .header("Authorization", self.authorization.expose())
                .send_json(body)
        })?;
        Sent::of(&reply)
    }

    /// Marks an incoming message read; with `typing`, also shows the typing indicator to
    /// its sender (for up to 25 s, or until we reply). Retries as the client says.
    #[cfg(test)] // the program marks read through the outbox, once per attempt
    pub(crate) fn mark_read(&self, wamid: &str, typing: bool) -> Result<(), GraphError> {
        self.mark_read_with(self.retry, wamid, typing)
    }

    /// [`Client::mark_read`] with exactly one attempt.
    #[cfg(test)]
    pub(crate) fn mark_read_once(&self, wamid: &str, typing: bool) -> Result<(), GraphError> {
        self.mark_read_with(Retry::Once, wamid, typing)
    }

    #[cfg(test)]
    fn mark_read_with(&self, retry: Retry, wamid: &str, typing: bool) -> Result<(), GraphError> {
        let url = self.messages_url_of(None);
        let body = read_mark(wamid, typing);
        self.with_retries(retry, &url, || {
            self.agent
                .post(&url)
                .header("Authorization", self.authorization.expose())
                .send_json(&body)
        })
        .map(drop)
    }

    /// Runs `request` until it succeeds, fails for good, or `retry` runs out.
    fn with_retries(
        &self,
        retry: Retry,
        url: &str,
        mut request: impl FnMut() -> Result<Response<ureq::Body>, ureq::Error>,
    ) -> Result<Value, GraphError> {
        self.retrying(retry, || match crate::metrics::timed(&mut request) {
            Ok(response) => read_reply(url, response),
            Err(source) => Err(GraphError::Transport {
                url: abbreviate(url),
                source,
            }),
        })
    }

    /// Runs `attempt` until it succeeds, fails for good, or `retry` runs out, waiting with
    /// backoff and jitter between attempts. The last attempt starts when the retry limit
    /// is reached at the latest; a failure after it is a [`GraphError::GaveUp`].
    fn retrying<T>(
        &self,
        retry: Retry,
        mut attempt: impl FnMut() -> Result<T, GraphError>,
    ) -> Result<T, GraphError> {
        let start = Instant::now();
        let limit = match retry {
            Retry::Once => return attempt(),
            Retry::For(limit) => limit,
        };
        let mut attempts = 1;
        let mut any_arrived = false;
        loop {
            let error = match attempt() {
                Ok(value) => return Ok(value),
                Err(error) if !error.is_retryable() => return Err(error),
                Err(error) => error,
            };
            any_arrived |= error.may_have_arrived();
            let elapsed = start.elapsed();
            if elapsed >= limit {
                return Err(GraphError::GaveUp {
                    attempts,
                    elapsed,
                    any_arrived,
                    last: Box::new(error),
                });
            }
            let delay = self.backoff.delay(attempts - 1).min(limit - elapsed);
            let doubt = if error.may_have_arrived() {
                " (it may have arrived: a retry may deliver it twice)"
            } else {
                ""
            };
            tracing::warn!(
                "{error}{doubt}; retrying in {} (until {} have passed)",
                seconds(delay),
                seconds(limit)
            );
            std::thread::sleep(delay);
            attempts += 1;
        }
    }
}

/// A duration for a log line: `1.2 s`, `60 s`, `350 ms`.
fn seconds(duration: Duration) -> String {
    match duration.as_millis() {
        ms if ms < 1000 => format!("{ms} ms"),
        ms if ms % 1000 == 0 => format!("{} s", ms / 1000),
        _ => format!("{:.1} s", duration.as_secs_f64()),
    }
}

/// A 2xx JSON body, or the error the response stands for. A body that breaks off is a
/// transport error (retryable, and it may have arrived).
fn read_reply(url: &str, mut response: Response<ureq::Body>) -> Result<Value, GraphError> {
    let status = response.status().as_u16();
    let body = match response.body_mut().read_to_string() {
        Ok(body) => body,
        // Meta's error pages are small; an error body we cannot read is still an error.
        Err(_) if !(200..300).contains(&status) => String::new(),
        Err(source) => {
            return Err(GraphError::Transport {
                url: abbreviate(url),
                source,
            });
        }
    };
    reply_of(status, &body)
}

/// A 2xx JSON body, or the error the status and body stand for.
fn reply_of(status: u16, body: &str) -> Result<Value, GraphError> {
    if (200..300).contains(&status) {
        return serde_json::from_str(body).map_err(|_| GraphError::Unexpected(abbreviate(body)));
    }
    match ApiError::parse(status, body) {
        Some(api) => Err(GraphError::Api(Box::new(api))),
        None => Err(GraphError::Status {
            status,
            body: abbreviate(body),
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
            base: Duration::from_millis(100),
            cap: Duration::from_millis(400),
        };
        for retry in 0..40 {
            let full = Duration::from_millis(100 * (1 << retry.min(2)));
            let delay = backoff.delay(retry);
            assert!(
                delay >= full / 2 && delay <= full,
                "retry {retry}: {delay:?}"
            );
        }
    }

    fn client(base_url: &str, timeout: Duration) -> Client {
        Client::new(&GraphConfig {
            base_url: base_url.to_string(),
            phone_number_id: "106540352242922".to_string(),
            access_token: Secret::new("EAAG-unit-test-token".to_string()),
            timeout,
        })
    }

    fn fast() -> Backoff {
        Backoff {
            base: Duration::from_millis(10),
            cap: Duration::from_millis(40),
        }
    }

    fn refused() -> GraphError {
        GraphError::Transport {
            url: "http://127.0.0.1:1/v25.0/1/messages".to_string(),
            source: ureq::Error::Io(std::io::ErrorKind::ConnectionRefused.into()),
        }
    }

    /// A port on 127.0.0.1 that nothing listens on (it was free a moment ago).
    fn closed_port() -> u16 {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    }

    #[test]
    fn a_refused_connection_is_retryable_and_cannot_have_arrived() {
        let port = closed_port();
        let client = client(
            &format!("http://127.0.0.1:{port}/v25.0"),
            Duration::from_secs(5),
        )
        .retrying_for(Duration::ZERO);
        let error = client
            .send_message_once(&serde_json::json!({"to": "1", "text": {"body": "hi"}}))
            .unwrap_err();
        assert!(
            matches!(&error, GraphError::Transport { source: ureq::Error::Io(io), .. }
                if io.kind() == std::io::ErrorKind::ConnectionRefused),
            "{error:?}"
        );
        assert!(error.is_retryable());
        assert!(!error.may_have_arrived());
        assert_eq!(
            error.to_string(),
            format!(
                "cannot reach the Graph API at http://127.0.0.1:{port}/v25.0/106540352242922/messages (connection refused)"
            )
        );
    }

    #[test]
    fn no_answer_within_the_timeout_is_retryable_and_may_have_arrived() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        // Accepts and reads, never answers; holds the connection until the test ends.
        let holder = std::thread::spawn(move || {
            let (mut stream, _) = listener.accept().unwrap();
            stream
                .set_read_timeout(Some(Duration::from_secs(10)))
                .unwrap();
            let mut buffer = [0; 4096];
            while std::io::Read::read(&mut stream, &mut buffer).unwrap_or(0) > 0 {}
        });
        let client = client(
            &format!("http://127.0.0.1:{port}/v25.0"),
            Duration::from_millis(300),
        );
        let error = client.mark_read_once("wamid.X", false).unwrap_err();
        assert!(error.is_retryable(), "{error:?}");
        assert!(error.may_have_arrived(), "{error:?}");
        assert!(
            error
                .to_string()
                .starts_with("no answer from the Graph API at"),
            "{error}"
        );
        drop(client);
        holder.join().unwrap();
    }

    #[test]
    fn retrying_stops_when_the_limit_has_passed() {
        let client = client("http://127.0.0.1:1/v25.0", Duration::from_secs(1))
            .with_backoff(fast())
            .retrying_for(Duration::from_millis(200));
        let start = Instant::now();
        let mut attempts = 0;
        let error = client
            .retrying(client.retry(), || -> Result<(), GraphError> {
                attempts += 1;
                Err(refused())
            })
            .unwrap_err();
        let elapsed = start.elapsed();
        assert!(elapsed >= Duration::from_millis(200), "{elapsed:?}");
        assert!(elapsed < Duration::from_secs(5), "{elapsed:?}");
        assert!(attempts >= 3, "{attempts}");
        match &error {
            GraphError::GaveUp {
                attempts: counted,
                elapsed,
                any_arrived,
                last,
            } => {
                assert_eq!(*counted, attempts);
                assert!(*elapsed >= Duration::from_millis(200));
                assert!(!any_arrived);
                assert!(matches!(**last, GraphError::Transport { .. }));
            }
            other => panic!("{other:?}"),
        }
        assert!(!error.is_retryable());
        assert!(
            error
                .to_string()
                .starts_with(&format!("gave up after {attempts} attempts in 0.")),
            "{error}"
        );
        let source = std::error::Error::source(&error).unwrap().to_string();
        assert!(source.contains("connection refused"), "{source}");
    }

    #[test]
    fn retrying_once_tries_once_and_does_not_wrap_the_error() {
        let client = client("http://127.0.0.1:1/v25.0", Duration::from_secs(1))
            .with_backoff(fast())
            .retrying_for(Duration::ZERO);
        assert_eq!(client.retry(), Retry::Once);
        let mut attempts = 0;
        let error = client
            .retrying(client.retry(), || -> Result<(), GraphError> {
                attempts += 1;
                Err(refused())
            })
            .unwrap_err();
        assert_eq!(attempts, 1);
        assert!(matches!(error, GraphError::Transport { .. }), "{error:?}");
    }

    #[test]
    fn retrying_stops_at_an_error_no_retry_can_mend_and_after_success() {
        let client = client("http://127.0.0.1:1/v25.0", Duration::from_secs(1))
            .with_backoff(fast())
            .retrying_for(Duration::from_secs(30));
        let mut attempts = 0;
        let error = client
            .retrying(client.retry(), || -> Result<(), GraphError> {
                attempts += 1;
                Err(GraphError::Status {
                    status: 404,
                    body: String::new(),
                })
            })
            .unwrap_err();
        assert_eq!(attempts, 1);
        assert!(matches!(error, GraphError::Status { status: 404, .. }));

        let mut attempts = 0;
        let value = client
            .retrying(client.retry(), || {
                attempts += 1;
                if attempts < 3 {
                    Err(refused())
                } else {
                    Ok(attempts)
                }
            })
            .unwrap();
        assert_eq!(value, 3);
    }

    #[test]
    fn giving_up_remembers_an_earlier_attempt_that_may_have_arrived() {
        let client = client("http://127.0.0.1:1/v25.0", Duration::from_secs(1))
            .with_backoff(fast())
            .retrying_for(Duration::from_millis(100));
        let mut attempts = 0;
        let error = client
            .retrying(client.retry(), || -> Result<(), GraphError> {
                attempts += 1;
                Err(if attempts == 1 {
                    GraphError::Transport {
                        url: "u".to_string(),
                        source: ureq::Error::Timeout(ureq::Timeout::RecvResponse),
                    }
                } else {
                    refused()
                })
            })
            .unwrap_err();
        assert!(error.may_have_arrived(), "{error:?}");
    }

    #[test]
    fn log_durations_read_naturally() {
        assert_eq!(seconds(Duration::from_millis(350)), "350 ms");
        assert_eq!(seconds(Duration::from_millis(1234)), "1.2 s");
        assert_eq!(seconds(Duration::from_secs(60)), "60 s");
    }
}
