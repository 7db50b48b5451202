//! End-to-end benchmark of the bot loop (bounded, loopback only): signed messages from many
//! senders go into `wa-cloud serve --handler` with a Python echo bot; a fake Graph API in
//! this process receives the replies and, like WhatsApp, posts a signed `delivered`
//! status back for each one, so that sequential sending runs as it would in production.
//!
//! Prints replies/s, p50/p99 latency from webhook POST to reply received, order
//! violations, duplicates and losses (all three must be zero), and serve's peak RSS.
//! `cargo bench --bench bot_loop`; `WA_BENCH_MESSAGES` (default 2000) and
//! `WA_BENCH_SENDERS` (default 50, up to thousands) change the load;
//! `WA_BENCH_GRAPH_LATENCY_MS` (default 0) makes the fake Graph API answer every call
//! that long after it arrived (many calls wait concurrently), as Meta's latency would;
//! `WA_BENCH_SEQUENTIAL=false` sends without waiting for deliveries, which measures the
//! pipeline itself. Replies/s counts from the first webhook POST to the last reply.
//! `WHATSAPP_CLOUD_*` variables are passed on to serve.

#[allow(dead_code)]
#[path = "../tests/integration/server.rs"]
mod server;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use serde_json::{Value, json};
use server::{Options, SECRET, sign, text_notification};

const PHONE_NUMBER_ID: &str = "106540352242922";

fn setting(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[derive(Default)]
struct Received {
    /// Reply text and when it arrived, in arrival order.
    replies: Vec<(String, Instant)>,
    webhook: Option<String>,
}

/// A Graph API that accepts every message and reports it delivered through the webhook.
fn start_fake(
    runtime: &tokio::runtime::Runtime,
    received: Arc<Mutex<Received>>,
    latency: Duration,
) -> u16 {
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let port = listener.local_addr().unwrap().port();
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let counter = Arc::new(Mutex::new(0u64));
    let app = Router::new().fallback(move |body: Bytes| {
        let (received, agent, counter) = (received.clone(), agent.clone(), counter.clone());
        async move {
            if !latency.is_zero() {
                tokio::time::sleep(latency).await;
            }
            let message: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
            if message["status"] == "read" {
                return axum::Json(json!({"success": true}));
            }
            let wamid = {
                let mut n = counter.lock().unwrap();
                *n += 1;
                format!("wamid.BENCH{n}")
            };
            let to = message["to"].as_str().unwrap_or_default().trim_start_matches('+').to_string();
            let webhook = {
                let mut received = received.lock().unwrap();
                let text = message["text"]["body"].as_str().unwrap_or_default().to_string();
                received.replies.push((text, Instant::now()));
                received.webhook.clone()
            };
            if let Some(webhook) = webhook {
                let status = json!({"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [{"field": "messages",
                    "value": {"messaging_product": "whatsapp", "metadata": {"display_phone_number": "1", "phone_number_id": PHONE_NUMBER_ID},
                    "statuses": [{"id": wamid, "status": "delivered", "timestamp": "1732612400", "recipient_id": to}]}}]}]})
                .to_string();
                tokio::task::spawn_blocking(move || {
                    let _ = agent.post(&webhook).header("x-hub-signature-256", sign(SECRET, status.as_bytes())).send(status.as_bytes());
                });
            }
            axum::Json(json!({"messaging_product": "whatsapp", "contacts": [{"input": to, "wa_id": to}], "messages": [{"id": wamid}]}))
        }
    });
    runtime.spawn(async move { axum::serve(listener, app).await });
    port
}

fn main() {
    let messages = setting("WA_BENCH_MESSAGES", 2000);
    let senders = setting("WA_BENCH_SENDERS", 50).max(1);
    let latency = Duration::from_millis(setting("WA_BENCH_GRAPH_LATENCY_MS", 0) as u64);
    let per_sender = (messages / senders).max(1);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let received = Arc::new(Mutex::new(Received::default()));
    let graph_port = start_fake(&runtime, received.clone(), latency);

    let dir = tempfile::tempdir().unwrap();
    let bot = dir.path().join("echo.py");
    std::fs::write(
        &bot,
        "#!/usr/bin/env python3\nimport json, sys\nfor line in sys.stdin:\n    ev = json.loads(line)\n    \
         print(json.dumps({\"to\": ev[\"from\"], \"text\": ev[\"text\"]}), flush=True)\n",
    )
    .unwrap();
    std::fs::set_permissions(&bot, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    // Settings of serve's own (`WHATSAPP_CLOUD_MESSAGES_MAX_IN_FLIGHT=512 cargo bench ...`).
    let passed: Vec<(String, String)> = std::env::vars()
        .filter(|(key, _)| key.starts_with("WHATSAPP_CLOUD_"))
        .collect();
    let mut options = Options::new(dir.path())
        .args(&["--handler", bot.to_str().unwrap()])
        .env("WHATSAPP_CLOUD_GRAPHAPI_BASE_URL", "127.0.0.1")
        .env("WHATSAPP_CLOUD_GRAPHAPI_BASE_PORT", graph_port.to_string())
        .env("WHATSAPP_CLOUD_GRAPHAPI_ACCESS_TOKEN", "bench-token")
        .env("WHATSAPP_CLOUD_GRAPHAPI_PHONE_NUMBER_ID", PHONE_NUMBER_ID)
        .env("WHATSAPP_CLOUD_MESSAGES_MAX_PER_SECOND", "0")
        .env(
            "WHATSAPP_CLOUD_MESSAGES_SEQUENTIAL",
            std::env::var("WA_BENCH_SEQUENTIAL").unwrap_or_else(|_| "true".into()),
        );
    for (key, value) in &passed {
        options = options.env(key, value.as_str());
    }
    let server = options.start();
    received.lock().unwrap().webhook = Some(server.url("/"));
    let total = per_sender * senders;
    println!(
        "bot loop: {total} messages from {senders} senders, echo bot, statuses posted back, \
         Graph latency {} ms, sequential: {}",
        latency.as_millis(),
        std::env::var("WA_BENCH_SEQUENTIAL").unwrap_or_else(|_| "true".into())
    );

    let webhook = server.url("/");
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let started = Instant::now();
    let clients = 8.min(senders);
    let posted: Vec<(String, Instant)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..clients)
            .map(|client| {
                let (agent, webhook) = (&agent, &webhook);
                scope.spawn(move || {
                    let mut posted = Vec::new();
                    for i in 0..per_sender {
                        for s in (client..senders).step_by(clients) {
                            let from = format!("49151{s:08}");
                            let text = format!("{from}-{i:06}");
                            let body = text_notification(&format!("wamid.IN{s}x{i}"), &from, &text);
                            let at = Instant::now();
                            let status = agent
                                .post(webhook)
                                .header("x-hub-signature-256", sign(SECRET, &body))
                                .send(&body[..])
                                .map_or(0, |r| r.status().as_u16());
                            assert_eq!(status, 200);
                            posted.push((text, at));
                        }
                    }
                    posted
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    let posting = started.elapsed();

    let deadline = Instant::now() + Duration::from_secs(300);
    while received.lock().unwrap().replies.len() < total && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    // Late duplicates would still show up here.
    std::thread::sleep(Duration::from_millis(500));
    let replies = received.lock().unwrap().replies.clone();
    let elapsed = replies
        .last()
        .map_or_else(|| started.elapsed(), |(_, at)| at.duration_since(started));

    let posted_at: HashMap<&str, Instant> =
        posted.iter().map(|(t, at)| (t.as_str(), *at)).collect();
    let mut seen: HashMap<&str, usize> = HashMap::new();
    let mut last_per_sender: HashMap<&str, &str> = HashMap::new();
    let mut order_violations = 0;
    let mut latencies = Vec::new();
    for (text, at) in &replies {
        *seen.entry(text.as_str()).or_default() += 1;
        let sender = text.split('-').next().unwrap_or_default();
        if let Some(previous) = last_per_sender.insert(sender, text.as_str()) {
            if previous > text.as_str() {
                order_violations += 1;
            }
        }
        if let Some(posted) = posted_at.get(text.as_str()) {
            latencies.push(at.duration_since(*posted));
        }
    }
    let duplicates: usize = seen.values().map(|n| n - 1).sum();
    let losses = posted
        .iter()
        .filter(|(t, _)| !seen.contains_key(t.as_str()))
        .count();
    latencies.sort();
    let pick = |p: f64| {
        latencies
            .get(((latencies.len() as f64 * p) as usize).min(latencies.len().saturating_sub(1)))
            .copied()
    };
    println!(
        "posted {total} in {posting:.2?}; {} replies in {elapsed:.2?}: {:.0} replies/s at {} ms Graph latency",
        replies.len(),
        replies.len() as f64 / elapsed.as_secs_f64(),
        latency.as_millis()
    );
    println!(
        "latency webhook POST -> reply at the Graph API: p50 {:.2?}  p99 {:.2?}  max {:.2?}",
        pick(0.5).unwrap_or_default(),
        pick(0.99).unwrap_or_default(),
        latencies.last().copied().unwrap_or_default()
    );
    println!("order violations {order_violations}, duplicates {duplicates}, losses {losses}");
    let status =
        std::fs::read_to_string(format!("/proc/{}/status", server.pid())).unwrap_or_default();
    if let Some(peak) = status.lines().find(|l| l.starts_with("VmHWM")) {
        println!(
            "serve peak RSS: {}",
            peak.trim_start_matches("VmHWM:").trim()
        );
    }
    assert_eq!((order_violations, duplicates, losses), (0, 0, 0));
    assert_eq!(server.terminate(), Some(0));
}
