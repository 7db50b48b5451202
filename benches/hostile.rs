//! `wa-cloud serve` under attack (bounded, loopback only):
//! (a) 64 clients at once post unsigned bodies of the largest size: serve's peak RSS, and
//!     how many were read (then refused 401) or refused unread (503, over the budget);
//! (b) slow clients (slowloris header bytes, and bodies sent in part) hold many sockets,
//!     reconnecting as serve closes them: the latency of signed notifications meanwhile,
//!     against a baseline without them.
//!
//! Run with `cargo bench --bench hostile`; `WA_BENCH_SLOW` (default 500 sockets),
//! `WA_BENCH_HONEST` (default 1000 notifications at least) and `WA_BENCH_SECONDS` (default
//! 15, how long the attack lasts at least) change the load.

#[allow(dead_code)]
#[path = "../tests/integration/server.rs"]
mod server;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use server::{Options, SECRET, Server, sign, text_notification};

/// serve's largest body (`webhooks::BODY_LIMIT`).
const BODY_LIMIT: usize = 3 * 1024 * 1024 + 512 * 1024;

fn setting(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn peak_rss(pid: u32) -> String {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmHWM"))
        .map_or("?".into(), |l| {
            l.trim_start_matches("VmHWM:").trim().to_string()
        })
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 * p) as usize).min(sorted.len() - 1)]
}

fn head(length: usize) -> String {
    format!(
        "POST / HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-length: {length}\r\nx-hub-signature-256: sha256=00\r\n\r\n"
    )
}

/// The status of the answer on `stream`, if one comes within 30 s.
fn status(stream: &mut TcpStream) -> Option<u16> {
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let mut buf = [0u8; 512];
    let n = stream.read(&mut buf).ok()?;
    let text = String::from_utf8_lossy(&buf[..n]);
    text.split(' ').nth(1)?.parse().ok()
}

/// (a): returns nothing, prints outcomes and peak RSS.
fn large_unsigned_bodies(server: &Server) {
    let port = server.port;
    let before = peak_rss(server.pid());
    let started = Instant::now();
    let body = vec![b' '; BODY_LIMIT];
    let outcomes: Vec<Option<u16>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..64)
            .map(|_| {
                let body = &body;
                scope.spawn(move || {
                    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
                    stream
                        .set_write_timeout(Some(Duration::from_secs(30)))
                        .unwrap();
                    stream.write_all(head(body.len()).as_bytes()).ok()?;
                    // Refused unread: the answer comes before the body is sent.
                    let _ = stream.write_all(body);
                    status(&mut stream)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let count = |code| outcomes.iter().filter(|o| **o == Some(code)).count();
    println!(
        "(a) 64 unsigned {BODY_LIMIT}-byte bodies at once, in {:.2?}: {} read and refused 401, {} refused unread \
         503, {} without an answer; serve's peak RSS {} (before: {before})",
        started.elapsed(),
        count(401),
        count(503),
        outcomes.iter().filter(|o| o.is_none()).count(),
        peak_rss(server.pid()),
    );
}

/// Signed notifications from 4 threads, `count` of them and for `at_least` at least;
/// sorted latencies.
fn honest(server: &Server, tag: &str, count: usize, at_least: Duration) -> Vec<Duration> {
    let until = Instant::now() + at_least;
    // The server's own client is not shared across threads; this agent is.
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(60)))
        .build()
        .into();
    let (agent, url) = (&agent, server.url("/"));
    let url = &url;
    let mut latencies: Vec<Duration> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..4)
            .map(|t| {
                scope.spawn(move || {
                    (0..)
                        .take_while(|i| *i < count / 4 || Instant::now() < until)
                        .map(|i| {
                            let body = text_notification(
                                &format!("wamid.{tag}{t}x{i}"),
                                "4915112345678",
                                "honest",
                            );
                            let started = Instant::now();
                            let status = agent
                                .post(url)
                                .header("x-hub-signature-256", sign(SECRET, &body))
                                .send(&body[..])
                                .map_or(0, |r| r.status().as_u16());
                            assert_eq!(status, 200);
                            started.elapsed()
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
    latencies.sort();
    latencies
}

/// Keeps `count` slow sockets open until `stop`: half trickle header bytes (one per socket
/// every 500 ms), half sent a head and part of a body; each one serve closes is replaced.
fn attack(port: u16, count: usize, stop: &AtomicBool, reconnects: &AtomicUsize) {
    let open = |i: usize| -> Option<TcpStream> {
        let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
        stream.set_nonblocking(true).ok()?;
        if i % 2 == 1 {
            stream.write_all(head(1000).as_bytes()).ok()?;
            stream.write_all(&[b' '; 10]).ok()?;
        }
        Some(stream)
    };
    let trickle = b"POST / HTTP/1.1\r\nhost: 127.0.0.1\r\nx-padding: ";
    let mut sockets: Vec<(Option<TcpStream>, usize)> = (0..count).map(|i| (open(i), 0)).collect();
    let deadline = Instant::now() + Duration::from_secs(300);
    while !stop.load(Ordering::Relaxed) && Instant::now() < deadline {
        for (i, (socket, sent)) in sockets.iter_mut().enumerate() {
            let alive = match socket {
                Some(stream) if i % 2 == 0 => {
                    let byte = trickle[*sent % trickle.len()];
                    *sent += 1;
                    stream.write(&[byte]).is_ok()
                }
                Some(stream) => {
                    let mut buf = [0u8; 64];
                    matches!(stream.read(&mut buf), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock)
                }
                None => false,
            };
            if !alive {
                *socket = open(i);
                *sent = 0;
                reconnects.fetch_add(1, Ordering::Relaxed);
            }
        }
        std::thread::sleep(Duration::from_millis(500));
    }
}

fn main() {
    let slow = setting("WA_BENCH_SLOW", 500);
    let count = setting("WA_BENCH_HONEST", 1000).max(4);
    let seconds = setting("WA_BENCH_SECONDS", 15) as u64;
    let dir = tempfile::tempdir().unwrap();
    let server = Options::new(dir.path()).start();
    println!("wa-cloud serve under attack (loopback)");
    large_unsigned_bodies(&server);

    let baseline = honest(&server, "BASE", count, Duration::ZERO);
    let stop = AtomicBool::new(false);
    let reconnects = AtomicUsize::new(0);
    let (during, elapsed) = std::thread::scope(|scope| {
        let port = server.port;
        let (stop, reconnects) = (&stop, &reconnects);
        scope.spawn(move || attack(port, slow, stop, reconnects));
        // Let the slow clients take their sockets.
        std::thread::sleep(Duration::from_secs(2));
        let started = Instant::now();
        // Long enough for serve to close slow sockets (10 s header timeout) and for them
        // to come back.
        let during = honest(&server, "SLOW", count, Duration::from_secs(seconds));
        let elapsed = started.elapsed();
        stop.store(true, Ordering::Relaxed);
        (during, elapsed)
    });
    let line = |name: &str, l: &[Duration]| {
        println!(
            "(b) {name:<36} {:>5} signed POSTs  p50 {:>8.2?}  p99 {:>8.2?}  max {:>8.2?}",
            l.len(),
            percentile(l, 0.5),
            percentile(l, 0.99),
            l[l.len() - 1]
        )
    };
    line("without slow clients", &baseline);
    line(&format!("with {slow} slow sockets held"), &during);
    println!(
        "    the attack lasted {elapsed:.2?}; serve closed {} slow sockets, which were reopened",
        reconnects.load(Ordering::Relaxed)
    );
    println!("serve's peak RSS: {}", peak_rss(server.pid()));
    assert_eq!(server.terminate(), Some(0));
}
