//! The outbox's Graph API client: many calls in flight at once as tasks on a small tokio
//! runtime, where the blocking client needs a thread, its stack and its connection's
//! buffers per call. Each call is one attempt (the outbox schedules retries itself), and
//! its errors are the blocking client's [`GraphError`]s, read from the same answers.

use std::collections::HashMap;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper::header::{AUTHORIZATION, CONTENT_TYPE, HeaderValue, USER_AGENT};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::Value;

use super::error::io_reason;
use super::{GraphError, Sent, abbreviate, read_mark, reply_of};
use crate::config::GraphConfig;

pub(crate) struct ConcurrentClient {
    http: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
    /// `https://graph.facebook.com/v25.0`, and the business number sent through unless a
    /// message names another (`from`).
    base_url: String,
    phone_number_id: String,
    authorization: HeaderValue,
    /// The `Authorization` of the numbers with an access token of their own
    /// (`graphApi.numbers`), by phone number id.
    authorization_of: HashMap<String, HeaderValue>,
    /// For connecting, and as long again for the whole answer; `None`: no limit.
    timeout: Option<Duration>,
}

impl ConcurrentClient {
    /// A client for up to `calls` calls at once, keeping as many connections open for
    /// reuse. Must be used on a tokio runtime.
    pub(crate) fn new(config: &GraphConfig, calls: usize) -> anyhow::Result<ConcurrentClient> {
        let timeout = Some(config.timeout).filter(|t| !t.is_zero());
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_connect_timeout(timeout);
        http.set_nodelay(true);
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_webpki_roots()
            .https_or_http()
            .enable_http1()
            .wrap_connector(http);
        let client = Client::builder(TokioExecutor::new())
            // Meta's answers to sends and read marks are a few hundred bytes: a 4 KiB read
            // buffer (hyper starts with 8 KiB and grows) keeps hundreds of connections small.
            .http1_read_buf_exact_size(4096)
            .pool_max_idle_per_host(calls.max(1))
            .pool_idle_timeout(Duration::from_secs(90))
            .build(connector);
        let mut authorization =
            HeaderValue::from_str(&format!("Bearer {}", config.access_token.expose()))
                .map_err(|_| anyhow::anyhow!("the access token holds characters a header cannot: copy it again from the App Dashboard"))?;
        authorization.set_sensitive(true);
        Ok(ConcurrentClient {
            http: client,
            base_url: config.base_url.clone(),
            phone_number_id: config.phone_number_id.clone(),
            authorization,
            authorization_of: HashMap::new(),
            timeout,
        })
    }

    /// Calls through these numbers carry their own access token (`graphApi.numbers`);
    /// the others carry the configured one.
    pub(crate) fn with_tokens<'a>(
        mut self,
        tokens: impl IntoIterator<Item = (&'a str, &'a crate::secret::Secret)>,
    ) -> anyhow::Result<ConcurrentClient> {
        for (number, token) in tokens {
            let mut header = HeaderValue::from_str(&format!("Bearer {}", token.expose()))
                .map_err(|_| {
                    anyhow::anyhow!(
                        "the access token of business number {number} (graphApi.numbers) holds characters a \
                         header cannot: copy it again from the App Dashboard"
                    )
                })?;
            header.set_sensitive(true);
            self.authorization_of.insert(number.to_string(), header);
        }
        Ok(self)
    }

    /// Sends one message (a complete Graph API message object), once; through the
    /// business number its wa-cloud field `from` names, which is taken out (see
    /// [`super::FROM`]), else the configured one.
    pub(crate) async fn send_message_once(&self, body: &Value) -> Result<Sent, GraphError> {
        match body.get(super::FROM).and_then(Value::as_str) {
            Some(from) => {
                let mut body = body.clone();
                if let Some(fields) = body.as_object_mut() {
                    fields.shift_remove(super::FROM);
                }
                Sent::of(&self.post(&body, Some(from)).await?)
            }
            None => Sent::of(&self.post(body, None).await?),
        }
    }

    /// Marks an incoming message read (and shows typing), once, through business number
    /// `from` (the one the message came to) or the configured one.
    pub(crate) async fn mark_read_once_from(
        &self,
        wamid: &str,
        typing: bool,
        from: Option<&str>,
    ) -> Result<(), GraphError> {
        self.post(&read_mark(wamid, typing), from).await.map(drop)
    }

    async fn post(&self, body: &Value, from: Option<&str>) -> Result<Value, GraphError> {
        let number = from.unwrap_or(&self.phone_number_id);
        let messages_url = format!("{}/{number}/messages", self.base_url);
        let url = abbreviate(&messages_url);
        let request = Request::post(&messages_url)
            .header(
                AUTHORIZATION,
                self.authorization_of
                    .get(number)
                    .unwrap_or(&self.authorization)
                    .clone(),
            )
            .header(USER_AGENT, super::USER_AGENT)
            .header(CONTENT_TYPE, "application/json")
            .body(Full::new(Bytes::from(body.to_string())))
            .map_err(|err| GraphError::Unexpected(format!("cannot make the request: {err}")))?;
        let exchange = async {
            let response = self.http.request(request).await.map_err(|err| {
                // Only a connection that was never made proves the request did not arrive.
                let connected = !err.is_connect();
                GraphError::Unanswered {
                    url: url.clone(),
                    reason: reason(&err),
                    connected,
                }
            })?;
            let status = response.status().as_u16();
            let body = response.into_body().collect().await;
            match body {
                Ok(body) => reply_of(status, &String::from_utf8_lossy(&body.to_bytes())),
                // Meta's error pages are small; an error body we cannot read is still an error.
                Err(_) if !(200..300).contains(&status) => reply_of(status, ""),
                Err(err) => Err(GraphError::Unanswered {
                    url: url.clone(),
                    reason: reason(&err),
                    connected: true,
                }),
            }
        };
        // The connection has its own limit: this one is for the answer.
        let limit = self.timeout.map(|t| t * 2);
        let started = std::time::Instant::now();
        let answer = match limit {
            Some(limit) => tokio::time::timeout(limit, exchange)
                .await
                .unwrap_or_else(|_| {
                    Err(GraphError::Unanswered {
                        url,
                        reason: "timed out".into(),
                        connected: true,
                    })
                }),
            None => exchange.await,
        };
        crate::metrics::get()
            .graph_seconds
            .observe(started.elapsed().as_secs_f64());
        answer
    }
}

/// The I/O reason under an error, in the words the blocking client uses.
fn reason(err: &(dyn std::error::Error + 'static)) -> String {
    let mut source = Some(err);
    while let Some(error) = source {
        if let Some(io) = error.downcast_ref::<std::io::Error>() {
            return io_reason(io).map_or_else(|| io.to_string(), str::to_string);
        }
        source = error.source();
    }
    err.to_string()
}
