//! Load test of `wa-cloud serve` (bounded, loopback only): signed notifications from
//! several client threads of this second process, each answered only after it is stored.
//!
//! Prints requests/s, latency percentiles, the time until every event was on the tap,
//! losses and duplicates, and serve's peak RSS; and, as a baseline measured in the same
//! run, the rate of `GET /healthz`, which exercises the same HTTP stack without the
//! signature check and the database. Run with `cargo bench --bench webhooks`;
//! `WA_BENCH_MESSAGES` and `WA_BENCH_CLIENTS` change the load (defaults 20000 and 8).

#[allow(dead_code)]
#[path = "../tests/integration/server.rs"]
mod server;

use std::collections::HashSet;
use std::time::{Duration, Instant};

use server::{Options, SECRET, sign, text_notification};

fn setting(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 * p) as usize).min(sorted.len() - 1)]
}

/// Runs `per_client` requests on each of `clients` threads; returns elapsed time and latencies.
fn load(
    clients: usize,
    per_client: usize,
    request: impl Fn(usize, usize) -> u16 + Sync,
) -> (Duration, Vec<Duration>) {
    let started = Instant::now();
    let mut latencies: Vec<Duration> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..clients)
            .map(|client| {
                let request = &request;
                scope.spawn(move || {
                    (0..per_client)
                        .map(|i| {
                            let t = Instant::now();
                            assert_eq!(request(client, i), 200);
                            t.elapsed()
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    let elapsed = started.elapsed();
    latencies.sort();
    (elapsed, latencies)
}

fn report(name: &str, elapsed: Duration, latencies: &[Duration]) -> f64 {
    let rate = latencies.len() as f64 / elapsed.as_secs_f64();
    println!(
        "{name:<28} {:>7} requests  {rate:>9.0} req/s  p50 {:>8.2?}  p99 {:>8.2?}  max {:>8.2?}",
        latencies.len(),
        percentile(latencies, 0.50),
        percentile(latencies, 0.99),
        latencies[latencies.len() - 1],
    );
    rate
}

fn main() {
    let messages = setting("WA_BENCH_MESSAGES", 20_000);
    let clients = setting("WA_BENCH_CLIENTS", 8).max(1);
    let per_client = messages / clients;
    let dir = tempfile::tempdir().unwrap();
    let server = Options::new(dir.path()).start();
    println!(
        "wa-cloud serve load test: {} signed notifications from {clients} client threads",
        per_client * clients
    );

    // The server's own client is not shared across threads; this agent is.
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let (health, webhook) = (server.url("/healthz"), server.url("/"));
    let get = |url: &str| agent.get(url).call().map_or(0, |r| r.status().as_u16());
    let post = |body: &[u8]| {
        let request = agent
            .post(&webhook)
            .header("x-hub-signature-256", sign(SECRET, body));
        request.send(body).map_or(0, |r| r.status().as_u16())
    };
    let (elapsed, latencies) = load(clients, per_client / 4, |_, _| get(&health));
    let baseline = report("GET /healthz (baseline)", elapsed, &latencies);

    let bodies: Vec<Vec<Vec<u8>>> = (0..clients)
        .map(|c| {
            (0..per_client)
                .map(|i| {
                    text_notification(
                        &format!("wamid.BENCH{c}x{i}"),
                        &format!("49151{c:08}"),
                        "load test message",
                    )
                })
                .collect()
        })
        .collect();
    let started = Instant::now();
    let (elapsed, latencies) = load(clients, per_client, |c, i| post(&bodies[c][i]));
    let rate = report("POST signed notification", elapsed, &latencies);

    let events = server.events(per_client * clients);
    let on_tap = started.elapsed();
    let ids: HashSet<String> = events
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_string())
        .collect();
    let duplicates = events.len() - ids.len();
    let lost = (0..clients)
        .flat_map(|c| (0..per_client).map(move |i| (c, i)))
        .filter(|(c, i)| !ids.contains(&format!("wamid.BENCH{c}x{i}")))
        .count();
    println!(
        "all {} events on the tap after {on_tap:.2?}; lost {lost}, duplicates {duplicates}",
        events.len()
    );
    println!("notification rate / baseline rate: {:.2}", rate / baseline);
    let status =
        std::fs::read_to_string(format!("/proc/{}/status", server.pid())).unwrap_or_default();
    if let Some(peak) = status.lines().find(|l| l.starts_with("VmHWM")) {
        println!(
            "serve peak RSS: {}",
            peak.trim_start_matches("VmHWM:").trim()
        );
    }
    assert_eq!((lost, duplicates), (0, 0));
    assert_eq!(server.terminate(), Some(0));
}
