//! End-to-end benchmark of the bot loop (bounded, loopback only): signed messages from many
//! senders go into `wa-cloud serve --handler` with an echo bot; a fake Graph API in this
//! process receives the replies and, like WhatsApp, posts a signed `delivered` status back
//! for each one, so that sequential sending runs as it would in production.
//!
//! One run measures, with the same load generator:
//! - the **baseline**: an echo with no database and no handler (axum, HMAC check, the reply
//!   sent to the fake Graph API before the webhook is answered), the limit of the shape on
//!   this machine, always at 0 ms Graph latency;
//! - `serve --handler` with a **compiled** echo bot (this binary, `--echo-handler`) and a
//!   **Python** echo bot.
//!
//! For each it prints replies/s (from the first webhook POST to the last reply), the ratio to
//! the baseline, latency p50/p99 from webhook POST to reply, order violations, duplicates and
//! losses (all three must be zero), CPU seconds of serve, of its handler and of this process
//! (load generator and fake Graph API), serve's peak RSS, and the largest size its write-ahead
//! log reached (it must not grow with the number of messages).
//!
//! With `WA_BENCH_BACKLOG=20000` (a comma-separated list is fine) it then measures memory
//! with a backlog: the fake Graph API holds every call until all N messages are stored and
//! answered by the bot, so that N replies wait in the outbox; it prints serve's RSS then,
//! its peak, and the rate at which the backlog drains once the Graph API answers.
//!
//! `cargo bench --bench bot_loop`. Knobs: `WA_BENCH_MESSAGES` (default 4000),
//! `WA_BENCH_SENDERS` (default 1000), `WA_BENCH_GRAPH_LATENCY_MS` (default 0),
//! `WA_BENCH_HANDLERS` (default `compiled,python`), `WA_BENCH_SEQUENTIAL=false` (send without
//! waiting for deliveries). serve runs with `messages.maxPerSecond` 0 and mark-as-read off;
//! `WHATSAPP_CLOUD_*` variables are passed on to serve and override that.

#[allow(dead_code)]
#[path = "../tests/integration/server.rs"]
mod server;

use std::collections::HashMap;
use std::io::{BufRead, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use serde_json::{Value, json};
use server::{Options, SECRET, Server, sign, text_notification};

const PHONE_NUMBER_ID: &str = "106540352242922";
/// Concurrent webhook clients, each posting one message at a time, as Meta's do.
const CLIENTS: usize = 8;

fn setting(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn sequential() -> String {
    std::env::var("WA_BENCH_SEQUENTIAL").unwrap_or_else(|_| "true".into())
}

/// The compiled echo bot: one reply per event, flushed at once.
fn echo_handler() {
    let stdout = std::io::stdout();
    for line in std::io::stdin().lock().lines() {
        let Ok(line) = line else { return };
        let Ok(event) = serde_json::from_str::<Value>(&line) else {
            continue;
        };
        let reply = json!({"to": event["from"], "text": event["text"]});
        let mut out = stdout.lock();
        if writeln!(out, "{reply}").and_then(|()| out.flush()).is_err() {
            return;
        }
    }
}

/// What the fake Graph API received: reply texts and when, in arrival order.
#[derive(Default)]
struct Received {
    replies: Vec<(String, Instant)>,
    /// Where statuses are posted (serve's webhook); none for the baseline.
    webhook: Option<String>,
}

/// Holds the fake Graph API's answers until opened (for the backlog measurement).
#[derive(Default)]
struct Gate {
    open: tokio::sync::watch::Sender<bool>,
}

impl Gate {
    fn closed() -> Arc<Gate> {
        let gate = Gate::default();
        gate.open.send_replace(false);
        Arc::new(gate)
    }

    fn open(&self) {
        self.open.send_replace(true);
    }

    async fn passed(&self) {
        let mut open = self.open.subscribe();
        let _ = open.wait_for(|open| *open).await;
    }
}

/// A Graph API that accepts every message after `latency` and, when it knows serve's
/// webhook, reports the message delivered through it.
fn start_fake(
    runtime: &tokio::runtime::Runtime,
    received: Arc<Mutex<Received>>,
    latency: Duration,
    gate: Option<Arc<Gate>>,
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
        let (received, agent, counter, gate) = (
            received.clone(),
            agent.clone(),
            counter.clone(),
            gate.clone(),
        );
        async move {
            if let Some(gate) = gate {
                gate.passed().await;
            }
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
            let to = message["to"]
                .as_str()
                .unwrap_or_default()
                .trim_start_matches('+')
                .to_string();
            let webhook = {
                let mut received = received.lock().unwrap();
                let text = message["text"]["body"].as_str().unwrap_or_default();
                received.replies.push((text.to_string(), Instant::now()));
                received.webhook.clone()
            };
            if let Some(webhook) = webhook {
                let status = json!({"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [{"field": "messages",
                    "value": {"messaging_product": "whatsapp", "metadata": {"display_phone_number": "1", "phone_number_id": PHONE_NUMBER_ID},
                    "statuses": [{"id": wamid, "status": "delivered", "timestamp": "1732612400", "recipient_id": to}]}}]}]})
                .to_string();
                tokio::task::spawn_blocking(move || {
                    let _ = agent
                        .post(&webhook)
                        .header("x-hub-signature-256", sign(SECRET, status.as_bytes()))
                        .send(status.as_bytes());
                });
            }
            axum::Json(
                json!({"messaging_product": "whatsapp", "contacts": [{"input": to, "wa_id": to}], "messages": [{"id": wamid}]}),
            )
        }
    });
    runtime.spawn(async move { axum::serve(listener, app).await });
    port
}

/// The baseline: checks the signature, sends a reply to each message to the Graph API,
/// then answers 200. No database, no handler, nothing durable.
fn start_baseline(runtime: &tokio::runtime::Runtime, graph_port: u16) -> String {
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    let graph = format!("http://127.0.0.1:{graph_port}/v25.0/{PHONE_NUMBER_ID}/messages");
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let app = Router::new().fallback(move |headers: HeaderMap, body: Bytes| {
        let (agent, graph) = (agent.clone(), graph.clone());
        async move {
            let signed = headers
                .get("x-hub-signature-256")
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v == sign(SECRET, &body));
            if !signed {
                return StatusCode::UNAUTHORIZED;
            }
            let Ok(notification) = serde_json::from_slice::<Value>(&body) else {
                return StatusCode::BAD_REQUEST;
            };
            let replies: Vec<String> = notification["entry"][0]["changes"][0]["value"]["messages"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|m| json!({"messaging_product": "whatsapp", "to": m["from"], "type": "text", "text": {"body": m["text"]["body"]}}).to_string())
                .collect();
            tokio::task::spawn_blocking(move || {
                for reply in replies {
                    let _ = agent
                        .post(&graph)
                        .header("content-type", "application/json")
                        .send(reply.as_bytes());
                }
            })
            .await
            .unwrap();
            StatusCode::OK
        }
    });
    runtime.spawn(async move { axum::serve(listener, app).await });
    url
}

/// Posts `per_sender` messages from each of `senders` to `webhook` with [`CLIENTS`]
/// clients; returns each message's text and when it was posted.
fn post_load(webhook: &str, senders: usize, per_sender: usize) -> Vec<(String, Instant)> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let clients = CLIENTS.min(senders);
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..clients)
            .map(|client| {
                let agent = &agent;
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
    })
}

/// Waits until `total` replies arrived (at most 5 minutes) and a little longer for late
/// duplicates; returns the replies.
fn collect(received: &Mutex<Received>, total: usize) -> Vec<(String, Instant)> {
    let deadline = Instant::now() + Duration::from_secs(300);
    while received.lock().unwrap().replies.len() < total && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(500));
    received.lock().unwrap().replies.clone()
}

/// What one run showed.
struct Outcome {
    replies_per_second: f64,
    p50: Duration,
    p99: Duration,
    faults: (usize, usize, usize),
}

impl Outcome {
    fn of(
        posted: &[(String, Instant)],
        replies: &[(String, Instant)],
        started: Instant,
    ) -> Outcome {
        let elapsed = replies
            .last()
            .map_or_else(|| started.elapsed(), |(_, at)| at.duration_since(started));
        let posted_at: HashMap<&str, Instant> =
            posted.iter().map(|(t, at)| (t.as_str(), *at)).collect();
        let mut seen: HashMap<&str, usize> = HashMap::new();
        let mut last_per_sender: HashMap<&str, &str> = HashMap::new();
        let mut order_violations = 0;
        let mut latencies = Vec::new();
        for (text, at) in replies {
            *seen.entry(text.as_str()).or_default() += 1;
            let sender = text.split('-').next().unwrap_or_default();
            if let Some(previous) = last_per_sender.insert(sender, text.as_str())
                && previous > text.as_str()
            {
                order_violations += 1;
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
                .unwrap_or_default()
        };
        Outcome {
            replies_per_second: replies.len() as f64 / elapsed.as_secs_f64(),
            p50: pick(0.5),
            p99: pick(0.99),
            faults: (order_violations, duplicates, losses),
        }
    }
}

/// CPU seconds (user + system) a process has used so far.
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // The fields after the command name, which is in parentheses and may hold spaces.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or("", |(_, rest)| rest)
        .split_whitespace()
        .collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // utime and stime are fields 14 and 15 of stat, 12 and 13 after the name and state.
    (ticks(11) + ticks(12)) / 100.0
}

/// The processes `pid` started (the handler).
fn children(pid: u32) -> Vec<u32> {
    std::fs::read_dir(format!("/proc/{pid}/task"))
        .into_iter()
        .flatten()
        .flatten()
        .map(|task| std::fs::read_to_string(task.path().join("children")).unwrap_or_default())
        .collect::<Vec<String>>()
        .join(" ")
        .split_whitespace()
        .filter_map(|p| p.parse().ok())
        .collect()
}

/// The largest size a file reached while watched (every 20 ms): serve's write-ahead log,
/// which must not grow with the number of messages.
struct LogWatch {
    stop: std::sync::mpsc::Sender<()>,
    thread: std::thread::JoinHandle<u64>,
}

impl LogWatch {
    fn start(path: std::path::PathBuf) -> LogWatch {
        let (stop, stopped) = std::sync::mpsc::channel::<()>();
        let thread = std::thread::spawn(move || {
            let mut peak = 0;
            loop {
                let size = std::fs::metadata(&path).map_or(0, |m| m.len());
                peak = peak.max(size);
                match stopped.recv_timeout(Duration::from_millis(20)) {
                    Err(std::sync::mpsc::RecvTimeoutError::Timeout) => continue,
                    _ => return peak,
                }
            }
        });
        LogWatch { stop, thread }
    }

    fn stop(self) -> u64 {
        let _ = self.stop.send(());
        self.thread.join().unwrap()
    }
}

fn status_field(pid: u32, field: &str) -> String {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with(field))
        .map(|l| l[field.len() + 1..].trim().to_string())
        .unwrap_or_default()
}

/// `serve --handler` against a fake Graph API with this latency (and gate).
fn start_serve(
    runtime: &tokio::runtime::Runtime,
    dir: &std::path::Path,
    handler: &str,
    latency: Duration,
    gate: Option<Arc<Gate>>,
    env: &[(&'static str, &str)],
) -> (Server, Arc<Mutex<Received>>) {
    let received = Arc::new(Mutex::new(Received::default()));
    let graph_port = start_fake(runtime, received.clone(), latency, gate);
    let command = match handler {
        "python" => {
            let bot = dir.join("echo.py");
            std::fs::write(
                &bot,
                "#!/usr/bin/env python3\nimport json, sys\nfor line in sys.stdin:\n    ev = json.loads(line)\n    \
                 print(json.dumps({\"to\": ev[\"from\"], \"text\": ev[\"text\"]}), flush=True)\n",
            )
            .unwrap();
            std::fs::set_permissions(&bot, std::os::unix::fs::PermissionsExt::from_mode(0o755))
                .unwrap();
            bot.display().to_string()
        }
        _ => format!(
            "{} --echo-handler",
            std::env::current_exe().unwrap().display()
        ),
    };
    let mut options = Options::new(dir)
        .args(&["--handler", &command])
        .env("WHATSAPP_CLOUD_GRAPHAPI_BASE_URL", "127.0.0.1")
        .env("WHATSAPP_CLOUD_GRAPHAPI_BASE_PORT", graph_port.to_string())
        .env("WHATSAPP_CLOUD_GRAPHAPI_ACCESS_TOKEN", "bench-token")
        .env("WHATSAPP_CLOUD_GRAPHAPI_PHONE_NUMBER_ID", PHONE_NUMBER_ID)
        .env("WHATSAPP_CLOUD_MESSAGES_MAX_PER_SECOND", "0")
        .env("WHATSAPP_CLOUD_MESSAGES_MARK_AS_READ", "false")
        .env("WHATSAPP_CLOUD_MESSAGES_SEQUENTIAL", sequential());
    let passed: Vec<(String, String)> = std::env::vars()
        .filter(|(key, _)| key.starts_with("WHATSAPP_CLOUD_"))
        .collect();
    for (key, value) in env {
        options = options.env(key, *value);
    }
    for (key, value) in &passed {
        options = options.env(key, value.as_str());
    }
    let server = options.start();
    received.lock().unwrap().webhook = Some(server.url("/"));
    (server, received)
}

fn main() {
    if std::env::args().any(|a| a == "--echo-handler") {
        return echo_handler();
    }
    let messages = setting("WA_BENCH_MESSAGES", 4000);
    let senders = setting("WA_BENCH_SENDERS", 1000).max(1);
    let latency = Duration::from_millis(setting("WA_BENCH_GRAPH_LATENCY_MS", 0) as u64);
    let handlers = std::env::var("WA_BENCH_HANDLERS").unwrap_or_else(|_| "compiled,python".into());
    let per_sender = (messages / senders).max(1);
    let total = per_sender * senders;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    println!(
        "bot loop: {total} messages from {senders} senders, {CLIENTS} webhook clients, statuses posted back, \
         Graph latency {} ms, sequential: {}",
        latency.as_millis(),
        sequential()
    );
    println!(
        "{:<22} {:>10} {:>8} {:>9} {:>9} {:>12} {:>26} {:>10}",
        "",
        "replies/s",
        "ratio",
        "p50",
        "p99",
        "order/dup/lost",
        "CPU s serve/handler/bench",
        "peak RSS"
    );

    let own_cpu = || cpu_seconds(std::process::id());
    let baseline = {
        let received = Arc::new(Mutex::new(Received::default()));
        let graph_port = start_fake(&runtime, received.clone(), Duration::ZERO, None);
        let url = start_baseline(&runtime, graph_port);
        let cpu = own_cpu();
        let started = Instant::now();
        let posted = post_load(&url, senders, per_sender);
        let replies = collect(&received, total);
        let outcome = Outcome::of(&posted, &replies, started);
        println!(
            "{:<22} {:>10.0} {:>8} {:>9.2?} {:>9.2?} {:>12} {:>26} {:>10}",
            "baseline (no db, 0 ms)",
            outcome.replies_per_second,
            "1.00",
            outcome.p50,
            outcome.p99,
            format!("{:?}", outcome.faults),
            format!("-/-/{:.1}", own_cpu() - cpu),
            "-"
        );
        outcome.replies_per_second
    };

    let mut faults = Vec::new();
    for handler in handlers.split(',').filter(|h| !h.is_empty()) {
        let dir = tempfile::tempdir().unwrap();
        let (server, received) = start_serve(&runtime, dir.path(), handler, latency, None, &[]);
        let log = LogWatch::start(dir.path().join("media/media-ids.db-wal"));
        let cpu = own_cpu();
        let started = Instant::now();
        let posted = post_load(&server.url("/"), senders, per_sender);
        let replies = collect(&received, total);
        let outcome = Outcome::of(&posted, &replies, started);
        let log_peak = log.stop();
        let handler_cpu: f64 = children(server.pid()).into_iter().map(cpu_seconds).sum();
        println!(
            "{:<22} {:>10.0} {:>8.2} {:>9.2?} {:>9.2?} {:>12} {:>26} {:>10}",
            format!("serve, {handler} echo"),
            outcome.replies_per_second,
            outcome.replies_per_second / baseline,
            outcome.p50,
            outcome.p99,
            format!("{:?}", outcome.faults),
            format!(
                "{:.1}/{:.1}/{:.1}",
                cpu_seconds(server.pid()),
                handler_cpu,
                own_cpu() - cpu
            ),
            status_field(server.pid(), "VmHWM")
        );
        println!(
            "{:<22} write-ahead log at most {:.1} MB",
            "",
            log_peak as f64 / 1e6
        );
        faults.push(outcome.faults);
        assert_eq!(server.terminate(), Some(0));
    }

    if let Ok(backlogs) = std::env::var("WA_BENCH_BACKLOG") {
        println!(
            "\nbacklog: the Graph API holds every call until all messages are stored and answered by the \
             compiled echo bot"
        );
        for backlog in backlogs
            .split(',')
            .filter_map(|n| n.trim().parse::<usize>().ok())
        {
            faults.push(measure_backlog(&runtime, backlog));
        }
    }
    assert!(
        faults.iter().all(|f| *f == (0, 0, 0)),
        "no order violation, duplicate or loss"
    );
}

/// Serve's memory with `backlog` replies waiting in its outbox, and how fast they drain.
fn measure_backlog(runtime: &tokio::runtime::Runtime, backlog: usize) -> (usize, usize, usize) {
    let senders = 1000.min(backlog);
    let per_sender = (backlog / senders).max(1);
    let total = senders * per_sender;
    let dir = tempfile::tempdir().unwrap();
    let gate = Gate::closed();
    let (server, received) = start_serve(
        runtime,
        dir.path(),
        "compiled",
        Duration::ZERO,
        Some(gate.clone()),
        // The calls held by the gate must not time out meanwhile.
        &[("WHATSAPP_CLOUD_GRAPHAPI_TIMEOUT", "10m")],
    );
    let started = Instant::now();
    let posted = post_load(&server.url("/"), senders, per_sender);
    // Every event handed over and answered: the replies are in the outbox.
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        let health: Value = serde_json::from_str(&server.get("/healthz").body).unwrap_or_default();
        let settled = health["backlog"] == 0 && health["unacknowledged"] == 0;
        if settled || Instant::now() > deadline {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let queued_in = started.elapsed();
    let rss_queued = status_field(server.pid(), "VmRSS");
    let peak_queued = status_field(server.pid(), "VmHWM");
    let opened = Instant::now();
    gate.open();
    let replies = collect(&received, total);
    let drained = replies
        .last()
        .map_or_else(|| opened.elapsed(), |(_, at)| at.duration_since(opened));
    let outcome = Outcome::of(&posted, &replies, started);
    println!(
        "{total:>7} replies queued in {queued_in:.1?}: serve RSS {rss_queued} (peak so far {peak_queued}), \
         peak {} once the Graph API answers; drained at {:.0} replies/s; order/dup/lost {:?}",
        status_field(server.pid(), "VmHWM"),
        replies.len() as f64 / drained.as_secs_f64(),
        outcome.faults
    );
    assert_eq!(server.terminate(), Some(0));
    outcome.faults
}
