//! Meta's error format, which errors are worth retrying, and which may have reached Meta.
//!
//! The decision rests on Meta's error `code`, not on the HTTP status: throughput limits
//! arrive as HTTP 400 (WHATSAPP.md §6). Every transport failure is worth retrying: the
//! network, a proxy or Meta may be back in a moment. Only errors that no retry can mend
//! (a malformed URL, a refused parameter, an expired token) stop at once.

use std::fmt;
use std::io;
use std::time::Duration;

use serde::Deserialize;

/// Codes that mean "later, or slower": temporary downtime, rate limits, unknown errors
/// that Meta itself says to try again.
const RETRYABLE_CODES: [i64; 9] = [2, 4, 80007, 130429, 131000, 131016, 131056, 131057, 133004];

/// A failed Graph API call.
#[derive(Debug, thiserror::Error)]
pub(crate) enum GraphError {
    /// Meta answered with its error object.
    #[error("{0}")]
    Api(Box<ApiError>),
    /// An error status without Meta's error object (a proxy, a load balancer).
    #[error("the Graph API answered HTTP {status}: {body}")]
    Status { status: u16, body: String },
    /// A success status whose body is not what the endpoint documents.
    #[error("the Graph API answered with an unexpected body: {0}")]
    Unexpected(String),
    /// No answer: connection refused or reset, timeout, DNS, TLS.
    #[error(
        "{} the Graph API at {url} ({})",
        transport_verb(source),
        transport_reason(source)
    )]
    Transport {
        url: String,
        #[source]
        source: ureq::Error,
    },
    /// No answer to a call of the outbox's concurrent client: as [`GraphError::Transport`],
    /// with whether the connection was made (so the request may have arrived).
    #[error(
        "{} the Graph API at {url} ({reason})",
        if *connected { "no answer from" } else { "cannot reach" }
    )]
    Unanswered {
        url: String,
        reason: String,
        connected: bool,
    },
    /// A retryable error that kept coming back until the retry limit ran out.
    #[error("gave up after {attempts} {} in {:.1} s", if *attempts == 1 { "attempt" } else { "attempts" }, elapsed.as_secs_f64())]
    GaveUp {
        attempts: u32,
        /// From the first attempt's start to the last one's failure.
        elapsed: Duration,
        /// Whether any of the attempts may have reached Meta (see
        /// [`GraphError::may_have_arrived`]), not only the last one.
        any_arrived: bool,
        #[source]
        last: Box<GraphError>,
    },
}

/// Whether a transport error happened before anything reached the server: nothing was
/// connected (refused, unreachable, no such host, connect timeout), or the request could
/// not even be built.
fn never_sent(source: &ureq::Error) -> bool {
    match source {
        ureq::Error::Io(io) => matches!(
            io.kind(),
            io::ErrorKind::ConnectionRefused
                | io::ErrorKind::AddrNotAvailable
                | io::ErrorKind::NetworkUnreachable
                | io::ErrorKind::HostUnreachable
                | io::ErrorKind::NetworkDown
        ),
        ureq::Error::Timeout(timeout) => {
            matches!(timeout, ureq::Timeout::Resolve | ureq::Timeout::Connect)
        }
        ureq::Error::HostNotFound
        | ureq::Error::ConnectionFailed
        | ureq::Error::ConnectProxyFailed(_)
        | ureq::Error::Tls(_) => true,
        other => unmendable(other),
    }
}

/// Transport errors that come from the request or the configuration, not from the
/// network: sending the same request again fails the same way.
fn unmendable(source: &ureq::Error) -> bool {
    matches!(
        source,
        ureq::Error::Http(_)
            | ureq::Error::BadUri(_)
            | ureq::Error::RedirectFailed
            | ureq::Error::InvalidProxyUrl
            | ureq::Error::BodyExceedsLimit(_)
            | ureq::Error::TooManyRedirects
            | ureq::Error::RequireHttpsOnly(_)
            | ureq::Error::TlsRequired
            | ureq::Error::Json(_)
    )
}

fn transport_verb(source: &ureq::Error) -> &'static str {
    if never_sent(source) {
        "cannot reach"
    } else {
        "no answer from"
    }
}

/// A short reason for an I/O error under a transport error, for one log line.
pub(super) fn io_reason(io: &io::Error) -> Option<&'static str> {
    Some(match io.kind() {
        io::ErrorKind::ConnectionRefused => "connection refused",
        io::ErrorKind::ConnectionReset => "connection reset",
        io::ErrorKind::ConnectionAborted => "connection aborted",
        io::ErrorKind::BrokenPipe => "connection closed while sending",
        io::ErrorKind::UnexpectedEof => "connection closed before the answer",
        io::ErrorKind::NetworkUnreachable | io::ErrorKind::NetworkDown => "network unreachable",
        io::ErrorKind::HostUnreachable => "host unreachable",
        io::ErrorKind::TimedOut => "timed out",
        _ => return None,
    })
}

/// A short reason for a transport error, for one log line.
fn transport_reason(source: &ureq::Error) -> String {
    let reason = match source {
        ureq::Error::Io(io) => match io_reason(io) {
            Some(reason) => reason,
            None => return io.to_string(),
        },
        ureq::Error::HostNotFound => "host not found",
        ureq::Error::ConnectionFailed => "connection failed",
        ureq::Error::Timeout(timeout) => match timeout {
            ureq::Timeout::Resolve => "timed out looking up the host",
            ureq::Timeout::Connect => "timed out connecting",
            ureq::Timeout::SendRequest | ureq::Timeout::SendBody | ureq::Timeout::PerWrite => {
                "timed out sending the request"
            }
            ureq::Timeout::RecvResponse => "timed out waiting for the answer",
            ureq::Timeout::RecvBody | ureq::Timeout::PerRead => "timed out reading the answer",
            _ => "timed out",
        },
        other => return other.to_string(),
    };
    reason.to_string()
}

/// Meta's `{"error": {...}}` object, with the HTTP status it came with.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct ApiError {
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
    pub(crate) fn parse(status: u16, body: &str) -> Option<ApiError> {
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
    pub(crate) fn details(&self) -> Option<&str> {
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
    /// Whether the same request may succeed if sent again later: Meta's "later, or
    /// slower" codes, HTTP 429 and 5xx, and every transport failure (refused, reset, DNS,
    /// TLS, timeouts) except the few that come from the request itself (a malformed
    /// URL, a redirect of a POST). A [`GraphError::GaveUp`] is not retried again.
    pub(crate) fn is_retryable(&self) -> bool {
        match self {
            GraphError::Api(api) => {
                RETRYABLE_CODES.contains(&api.code) || api.is_transient == Some(true)
            }
            GraphError::Status { status, .. } => *status == 429 || *status >= 500,
            GraphError::Transport { source, .. } => !unmendable(source),
            GraphError::Unanswered { .. } => true,
            GraphError::Unexpected(_) | GraphError::GaveUp { .. } => false,
        }
    }

    /// Whether the request may have reached Meta and been acted on although no answer
    /// says so: the connection broke or timed out after the request was (perhaps) sent,
    /// or a proxy timed out waiting for Meta (HTTP 504), or Meta answered 2xx with a body
    /// we cannot read. Sending it again may then deliver a message twice.
    ///
    /// Conservative: only failures that clearly happened before anything was sent
    /// (connection refused, unreachable, no such host, connect or DNS timeout, TLS setup,
    /// a request that could not be built) and Meta's own error answers count as "not
    /// arrived".
    pub(crate) fn may_have_arrived(&self) -> bool {
        match self {
            GraphError::Transport { source, .. } => !never_sent(source),
            GraphError::Unanswered { connected, .. } => *connected,
            GraphError::Status { status, .. } => *status == 504,
            GraphError::Unexpected(_) => true,
            GraphError::Api(_) => false,
            GraphError::GaveUp {
                any_arrived, last, ..
            } => *any_arrived || last.may_have_arrived(),
        }
    }

    /// Meta's error code, if Meta sent one.
    pub(crate) fn code(&self) -> Option<i64> {
        match self {
            GraphError::Api(api) => Some(api.code),
            GraphError::GaveUp { last, .. } => last.code(),
            _ => None,
        }
    }

    /// What the user can do about the common errors.
    pub(crate) fn hint(&self) -> Option<&'static str> {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn transport(source: ureq::Error) -> GraphError {
        GraphError::Transport {
            url: "https://graph.facebook.com/v25.0/1/messages".to_string(),
            source,
        }
    }

    fn io(kind: io::ErrorKind) -> GraphError {
        transport(ureq::Error::Io(kind.into()))
    }

    fn api(status: u16, code: i64) -> GraphError {
        let body = format!(r#"{{"error":{{"message":"m","code":{code}}}}}"#);
        GraphError::Api(Box::new(ApiError::parse(status, &body).unwrap()))
    }

    #[test]
    fn every_transport_failure_is_retryable() {
        let failures = [
            io(io::ErrorKind::ConnectionRefused),
            io(io::ErrorKind::ConnectionReset),
            io(io::ErrorKind::ConnectionAborted),
            io(io::ErrorKind::BrokenPipe),
            io(io::ErrorKind::UnexpectedEof),
            io(io::ErrorKind::TimedOut),
            io(io::ErrorKind::NetworkUnreachable),
            io(io::ErrorKind::Other),
            transport(ureq::Error::ConnectionFailed),
            transport(ureq::Error::HostNotFound),
            transport(ureq::Error::Tls("handshake failed")),
            transport(ureq::Error::ConnectProxyFailed(
                "proxy said 502".to_string(),
            )),
            transport(ureq::Error::Timeout(ureq::Timeout::Resolve)),
            transport(ureq::Error::Timeout(ureq::Timeout::Connect)),
            transport(ureq::Error::Timeout(ureq::Timeout::SendBody)),
            transport(ureq::Error::Timeout(ureq::Timeout::RecvResponse)),
            transport(ureq::Error::Timeout(ureq::Timeout::RecvBody)),
            transport(ureq::Error::Timeout(ureq::Timeout::Global)),
        ];
        for failure in failures {
            assert!(failure.is_retryable(), "{failure:?}");
        }
    }

    #[test]
    fn errors_no_retry_can_mend_are_not_retried() {
        let failures = [
            transport(ureq::Error::BadUri("no host".to_string())),
            transport(ureq::Error::RedirectFailed),
            transport(ureq::Error::TooManyRedirects),
            transport(ureq::Error::RequireHttpsOnly("http://x".to_string())),
            api(400, 131047),
            api(401, 190),
            api(500, 131045),
            GraphError::Status {
                status: 404,
                body: String::new(),
            },
            GraphError::Unexpected("{}".to_string()),
            GraphError::GaveUp {
                attempts: 3,
                elapsed: Duration::from_secs(2),
                any_arrived: false,
                last: Box::new(io(io::ErrorKind::ConnectionRefused)),
            },
        ];
        for failure in failures {
            assert!(!failure.is_retryable(), "{failure:?}");
        }
        for retryable in [
            api(400, 130429),
            api(400, 131000),
            api(500, 2),
            GraphError::Status {
                status: 429,
                body: String::new(),
            },
            GraphError::Status {
                status: 503,
                body: String::new(),
            },
        ] {
            assert!(retryable.is_retryable(), "{retryable:?}");
        }
    }

    #[test]
    fn only_failures_before_sending_are_sure_not_to_have_arrived() {
        for never in [
            io(io::ErrorKind::ConnectionRefused),
            io(io::ErrorKind::NetworkUnreachable),
            io(io::ErrorKind::HostUnreachable),
            io(io::ErrorKind::AddrNotAvailable),
            transport(ureq::Error::HostNotFound),
            transport(ureq::Error::ConnectionFailed),
            transport(ureq::Error::Timeout(ureq::Timeout::Resolve)),
            transport(ureq::Error::Timeout(ureq::Timeout::Connect)),
            transport(ureq::Error::BadUri("no host".to_string())),
            api(400, 130429),
            api(400, 131047),
            GraphError::Status {
                status: 503,
                body: String::new(),
            },
        ] {
            assert!(!never.may_have_arrived(), "{never:?}");
        }
        for maybe in [
            io(io::ErrorKind::ConnectionReset),
            io(io::ErrorKind::BrokenPipe),
            io(io::ErrorKind::UnexpectedEof),
            io(io::ErrorKind::TimedOut),
            io(io::ErrorKind::Other),
            transport(ureq::Error::Timeout(ureq::Timeout::RecvResponse)),
            transport(ureq::Error::Timeout(ureq::Timeout::RecvBody)),
            transport(ureq::Error::Timeout(ureq::Timeout::PerRead)),
            transport(ureq::Error::Timeout(ureq::Timeout::SendBody)),
            transport(ureq::Error::Timeout(ureq::Timeout::Global)),
            GraphError::Status {
                status: 504,
                body: String::new(),
            },
            GraphError::Unexpected("(empty body)".to_string()),
        ] {
            assert!(maybe.may_have_arrived(), "{maybe:?}");
        }
    }

    #[test]
    fn giving_up_may_have_arrived_when_any_attempt_may_have() {
        let gave_up = |any_arrived, last| GraphError::GaveUp {
            attempts: 2,
            elapsed: Duration::from_millis(1500),
            any_arrived,
            last: Box::new(last),
        };
        assert!(!gave_up(false, io(io::ErrorKind::ConnectionRefused)).may_have_arrived());
        assert!(gave_up(true, io(io::ErrorKind::ConnectionRefused)).may_have_arrived());
        assert!(gave_up(false, io(io::ErrorKind::ConnectionReset)).may_have_arrived());
        assert_eq!(
            gave_up(false, api(400, 130429)).code(),
            Some(130429),
            "Meta's code shows through"
        );
    }

    #[test]
    fn transport_errors_say_what_failed() {
        assert_eq!(
            io(io::ErrorKind::ConnectionRefused).to_string(),
            "cannot reach the Graph API at https://graph.facebook.com/v25.0/1/messages (connection refused)"
        );
        assert_eq!(
            transport(ureq::Error::Timeout(ureq::Timeout::RecvResponse)).to_string(),
            "no answer from the Graph API at https://graph.facebook.com/v25.0/1/messages (timed out waiting for the answer)"
        );
        assert_eq!(
            transport(ureq::Error::HostNotFound).to_string(),
            "cannot reach the Graph API at https://graph.facebook.com/v25.0/1/messages (host not found)"
        );
        let gave_up = GraphError::GaveUp {
            attempts: 7,
            elapsed: Duration::from_millis(60_040),
            any_arrived: false,
            last: Box::new(io(io::ErrorKind::ConnectionRefused)),
        };
        assert_eq!(gave_up.to_string(), "gave up after 7 attempts in 60.0 s");
    }
}
