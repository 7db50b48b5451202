//! `GET /metrics`: what `serve` did, in the Prometheus (OpenMetrics) text format, with
//! prometheus-client. Behind `webhooks.metrics: true` (on the webhooks port) or
//! `serve --metrics-port PORT` (a listener of its own on 127.0.0.1).
//!
//! The counters live in one process-wide [`Metrics`], so that each place that counts does
//! it in one line (`metrics::get().stored.inc()`), whatever part of serve it is in. The
//! gauges (backlog, unacknowledged, parked) are read from [`Health`] when scraped.

use std::sync::LazyLock;
use std::time::Instant;

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use crate::health::Health;

type Labels = Vec<(&'static str, String)>;

pub(crate) struct Metrics {
    registry: Registry,
    /// Notification requests (POST) received.
    pub received: Counter,
    /// Requests refused, by reason (`signature`, `malformed`, `too_large`, `too_slow`,
    /// `busy`, `storage`).
    pub rejected: Family<Labels, Counter>,
    /// Items (messages, statuses, ...) stored new.
    pub stored: Counter,
    /// Items received again and not stored (WhatsApp's redeliveries).
    pub duplicates: Counter,
    /// Events handed to the handler (or written to stdout).
    pub handed_over: Counter,
    /// Times a handler ended without being asked to, and was started again.
    pub handler_restarts: Counter,
    /// Replies (and `send` messages) stored in the outbox.
    pub replies_queued: Counter,
    pub replies_sent: Counter,
    pub replies_retried: Counter,
    /// Replies given up on, by Meta's error code (`none` without one).
    pub replies_failed: Family<Labels, Counter>,
    /// Seconds each Graph API request took (sends and read marks), answer or error.
    pub graph_seconds: Histogram,
    /// Statuses stored, by kind (`sent`, `delivered`, `read`, `failed`, ...).
    pub statuses: Family<Labels, Counter>,
    backlog: Gauge,
    unacknowledged: Gauge,
    parked: Gauge,
    outbox_backlog: Gauge,
    outbox_oldest_age: Gauge,
}

static METRICS: LazyLock<Metrics> = LazyLock::new(Metrics::new);

/// The process's metrics.
pub(crate) fn get() -> &'static Metrics {
    &METRICS
}

impl Metrics {
    fn new() -> Metrics {
        let mut registry = Registry::with_prefix("wa_cloud");
        let metrics = Metrics {
            received: Counter::default(),
            rejected: Family::default(),
            stored: Counter::default(),
            duplicates: Counter::default(),
            handed_over: Counter::default(),
            handler_restarts: Counter::default(),
            replies_queued: Counter::default(),
            replies_sent: Counter::default(),
            replies_retried: Counter::default(),
            replies_failed: Family::default(),
            // 5 ms to about 20 s.
            graph_seconds: Histogram::new(exponential_buckets(0.005, 2.0, 13)),
            statuses: Family::default(),
            backlog: Gauge::default(),
            unacknowledged: Gauge::default(),
            parked: Gauge::default(),
            outbox_backlog: Gauge::default(),
            outbox_oldest_age: Gauge::default(),
            registry: Registry::default(),
        };
        let r = &mut registry;
        r.register(
            "notifications_received",
            "Notification requests received",
            metrics.received.clone(),
        );
        r.register(
            "notifications_rejected",
            "Notification requests refused, by reason",
            metrics.rejected.clone(),
        );
        r.register(
            "items_stored",
            "Messages, statuses, updates and errors stored new",
            metrics.stored.clone(),
        );
        r.register(
            "items_duplicate",
            "Items received again and not stored",
            metrics.duplicates.clone(),
        );
        r.register(
            "events_handed_over",
            "Events handed to the handler or written to stdout",
            metrics.handed_over.clone(),
        );
        r.register(
            "handler_restarts",
            "Times a handler ended unasked and was started again",
            metrics.handler_restarts.clone(),
        );
        r.register(
            "replies_queued",
            "Replies stored in the outbox",
            metrics.replies_queued.clone(),
        );
        r.register(
            "replies_sent",
            "Replies Meta accepted",
            metrics.replies_sent.clone(),
        );
        r.register(
            "replies_retried",
            "Reply attempts that failed and are retried",
            metrics.replies_retried.clone(),
        );
        r.register(
            "replies_failed",
            "Replies given up on, by Meta's error code",
            metrics.replies_failed.clone(),
        );
        r.register(
            "graph_request_seconds",
            "Graph API request latency",
            metrics.graph_seconds.clone(),
        );
        r.register(
            "inbox_backlog",
            "Events stored and not yet handed over",
            metrics.backlog.clone(),
        );
        r.register(
            "inbox_unacknowledged",
            "Events handed over and not yet acknowledged",
            metrics.unacknowledged.clone(),
        );
        r.register(
            "inbox_parked",
            "Events parked after crashing the handler too often",
            metrics.parked.clone(),
        );
        r.register(
            "statuses",
            "Statuses stored, by kind",
            metrics.statuses.clone(),
        );
        r.register(
            "outbox_backlog",
            "Replies waiting to be sent",
            metrics.outbox_backlog.clone(),
        );
        r.register(
            "outbox_oldest_age_seconds",
            "Age of the oldest reply waiting to be sent (0 with none)",
            metrics.outbox_oldest_age.clone(),
        );
        Metrics {
            registry,
            ..metrics
        }
    }
}

/// Counts a refused notification request by its answer.
pub(crate) fn rejected(status: StatusCode) {
    let reason = match status.as_u16() {
        401 => "signature",
        400 => "malformed",
        413 => "too_large",
        408 => "too_slow",
        503 => "busy",
        500 => "storage",
        _ => "other",
    };
    get()
        .rejected
        .get_or_create(&vec![("reason", reason.to_string())])
        .inc();
}

/// Counts a status stored, by its kind.
pub(crate) fn status_stored(kind: &str) {
    get()
        .statuses
        .get_or_create(&vec![("status", kind.to_string())])
        .inc();
}

/// Counts a reply given up on, by Meta's error code.
pub(crate) fn reply_failed(code: Option<i64>) {
    let code = code.map_or_else(|| "none".to_string(), |c| c.to_string());
    get()
        .replies_failed
        .get_or_create(&vec![("code", code)])
        .inc();
}

/// Counts the items of a stored notification: `new` stored, the rest duplicates.
pub(crate) fn stored(items: usize, new: usize) {
    get().stored.inc_by(new as u64);
    get().duplicates.inc_by(items.saturating_sub(new) as u64);
}

/// Runs one Graph API request and records how long it took.
pub(crate) fn timed<T>(request: impl FnOnce() -> T) -> T {
    let started = Instant::now();
    let result = request();
    get().graph_seconds.observe(started.elapsed().as_secs_f64());
    result
}

/// The exposition, with the gauges read from `health` now.
pub(crate) fn render(health: &Health) -> Response {
    use std::sync::atomic::Ordering::Relaxed;
    let metrics = get();
    metrics.backlog.set(health.backlog.load(Relaxed));
    metrics
        .unacknowledged
        .set(health.unacknowledged.load(Relaxed));
    metrics.parked.set(health.parked.load(Relaxed));
    metrics
        .outbox_backlog
        .set(health.outbox_backlog.load(Relaxed));
    let oldest = health.outbox_oldest.load(Relaxed);
    let age = if oldest > 0 {
        (crate::store::inbox::unix_now() - oldest).max(0)
    } else {
        0
    };
    metrics.outbox_oldest_age.set(age);
    let mut text = String::new();
    if encode(&mut text, &metrics.registry).is_err() {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    }
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        text,
    )
        .into_response()
}
