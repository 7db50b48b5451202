//! What large signed notifications cost `wa-cloud serve` in memory (bounded, loopback only),
//! each case on a fresh serve so that its peak RSS (VmHWM) is its own:
//! (a) one signed ~3 MB notification of ~36,000 tiny text messages, posted 3 times in sequence;
//! (b) 64 clients at once post signed batches of the largest size (~36,800 messages each);
//! (c) 64 clients at once post signed single messages padded to the largest size.
//!
//! Prints serve's RSS before (after one small notification), its peak, the peak's growth relative to one body's size, and
//! its RSS a few seconds after the burst, once every event is on the tap. Clients refused
//! with 503 (over `webhooks.bodyBudget`) try again after 100 ms. Run with
//! `cargo bench --bench memory`; `WA_BENCH_CASES` (default `abc`) chooses the cases.

#[allow(dead_code)]
#[path = "../tests/integration/server.rs"]
mod server;

use std::io::{BufRead, BufReader};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use server::{Options, SECRET, Server, sign, text_notification};

/// serve's largest body (`webhooks::BODY_LIMIT`).
const BODY_LIMIT: usize = 3 * 1024 * 1024 + 512 * 1024;
const MIB: f64 = 1024.0 * 1024.0;

/// A field of /proc/PID/status, in bytes.
fn status_kib(pid: u32, field: &str) -> usize {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| {
            l[field.len() + 1..]
                .trim()
                .trim_end_matches(" kB")
                .parse()
                .ok()
        })
        .map_or(0, |kib: usize| kib * 1024)
}

fn head(phone: &str) -> String {
    format!(
        r#"{{"object":"whatsapp_business_account","entry":[{{"id":"102290129340398","changes":[{{"field":"messages","value":{{"messaging_product":"whatsapp","metadata":{{"display_phone_number":"15550783881","phone_number_id":"{phone}"}},"contacts":[{{"profile":{{"name":"Tester"}},"wa_id":"4915112345678"}}],"messages":["#
    )
}

const TAIL: &str = "]}}]}]}";

/// A batch of tiny text messages, about `size` bytes; and how many it holds.
fn batch(tag: &str, size: usize) -> (Vec<u8>, usize) {
    let mut body = head("106540352242922");
    let mut count = 0;
    while body.len() + TAIL.len() + 120 < size {
        if count > 0 {
            body.push(',');
        }
        body.push_str(&format!(
            r#"{{"from":"4915112345678","id":"wamid.{tag}x{count}","timestamp":"1732612345","type":"text","text":{{"body":"hi"}}}}"#
        ));
        count += 1;
    }
    body.push_str(TAIL);
    (body.into_bytes(), count)
}

/// One text message padded with a long text to about `size` bytes.
fn padded(tag: &str, size: usize) -> Vec<u8> {
    let mut body = head("106540352242922");
    let start = format!(
        r#"{{"from":"4915112345678","id":"wamid.{tag}","timestamp":"1732612345","type":"text","text":{{"body":""#
    );
    body.push_str(&start);
    let pad = size - body.len() - TAIL.len() - 3;
    body.push_str(&"x".repeat(pad));
    body.push_str(r#""}}"#);
    body.push_str(TAIL);
    body.into_bytes()
}

/// Posts `body` signed until it is answered other than 503 (a 503 may also come as a
/// connection closed while the body is sent: serve answers before reading it); the
/// status and the retries.
fn post(agent: &ureq::Agent, url: &str, body: &[u8]) -> (u16, usize) {
    let signature = sign(SECRET, body);
    let mut refused = 0;
    loop {
        let status = agent
            .post(url)
            .header("x-hub-signature-256", &signature)
            .send(body)
            .map_or(0, |r| r.status().as_u16());
        if !matches!(status, 503 | 0) || refused >= 1000 {
            return (status, refused);
        }
        refused += 1;
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A serve whose tap is counted, not kept.
fn start(dir: &std::path::Path) -> (Server, Arc<AtomicUsize>) {
    let mut server = Options::new(dir).raw_stdout().start();
    let lines = Arc::new(AtomicUsize::new(0));
    let pipe = server.take_stdout();
    let counter = lines.clone();
    std::thread::spawn(move || {
        let mut reader = BufReader::new(pipe);
        let mut line = Vec::new();
        while reader.read_until(b'\n', &mut line).is_ok_and(|n| n > 0) {
            counter.fetch_add(1, Ordering::Relaxed);
            line.clear();
        }
    });
    (server, lines)
}

fn run(name: &str, bodies: Vec<Vec<u8>>, concurrent: bool, events: usize) {
    let dir = tempfile::tempdir().unwrap();
    let (server, on_tap) = start(dir.path());
    let pid = server.pid();
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(300)))
        .build()
        .into();
    let url = server.url("/");
    let size = bodies.iter().map(Vec::len).max().unwrap_or(0);
    // Warmed up by one small notification: its threads and database connections are there.
    let small = text_notification("wamid.WARM", "4915112345678", "warm up");
    assert_eq!(post(&agent, &url, &small).0, 200);
    while on_tap.load(Ordering::Relaxed) < 1 {
        std::thread::sleep(Duration::from_millis(20));
    }
    let events = events + 1;
    std::thread::sleep(Duration::from_millis(300));
    let before = status_kib(pid, "VmRSS");
    let started = Instant::now();
    let outcomes: Vec<(u16, usize)> = if concurrent {
        std::thread::scope(|scope| {
            let handles: Vec<_> = bodies
                .iter()
                .map(|body| {
                    let (agent, url) = (&agent, &url);
                    scope.spawn(move || post(agent, url, body))
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        })
    } else {
        bodies.iter().map(|body| post(&agent, &url, body)).collect()
    };
    let answered = started.elapsed();
    let ok = outcomes.iter().filter(|o| o.0 == 200).count();
    // Waits for the events of every notification, if every one was stored.
    let deadline = Instant::now() + Duration::from_secs(600);
    while ok == bodies.len() && on_tap.load(Ordering::Relaxed) < events && Instant::now() < deadline
    {
        std::thread::sleep(Duration::from_millis(50));
    }
    let all_on_tap = started.elapsed();
    let peak = status_kib(pid, "VmHWM");
    std::thread::sleep(Duration::from_secs(3));
    let after = status_kib(pid, "VmRSS");
    let retries: usize = outcomes.iter().map(|o| o.1).sum();
    let extra = peak.saturating_sub(before);
    println!(
        "{name}\n    {} bodies of {:.2} MiB: {ok} answered 200 ({retries} 503s retried) in {answered:.2?}, \
         {} events on the tap after {all_on_tap:.2?}\n    \
         RSS before {:.1} MiB, peak {:.1} MiB (+{:.1} MiB = {:.2}x one body), {:.1} MiB 3 s after",
        bodies.len(),
        size as f64 / MIB,
        on_tap.load(Ordering::Relaxed),
        before as f64 / MIB,
        peak as f64 / MIB,
        extra as f64 / MIB,
        extra as f64 / size as f64,
        after as f64 / MIB,
    );
    let mut others: Vec<u16> = outcomes.iter().map(|o| o.0).filter(|s| *s != 200).collect();
    others.sort();
    assert!(
        others.is_empty(),
        "not stored, answered: {others:?} (0: no answer)"
    );
    assert_eq!(server.terminate(), Some(0));
}

fn main() {
    println!("wa-cloud serve: memory for large signed notifications (loopback)");
    let cases = std::env::var("WA_BENCH_CASES").unwrap_or("abc".into());
    if cases.contains('a') {
        let bodies: Vec<(Vec<u8>, usize)> =
            (0..3).map(|i| batch(&format!("A{i}"), 3_000_000)).collect();
        let events = bodies.iter().map(|b| b.1).sum();
        let count = bodies[0].1;
        run(
            &format!("(a) one 3 MB batch of {count} text messages, 3 times in sequence"),
            bodies.into_iter().map(|b| b.0).collect(),
            false,
            events,
        );
    }
    if cases.contains('b') {
        let bodies: Vec<(Vec<u8>, usize)> = (0..64)
            .map(|i| batch(&format!("B{i}"), BODY_LIMIT - 256))
            .collect();
        let events = bodies.iter().map(|b| b.1).sum();
        let count = bodies[0].1;
        run(
            &format!("(b) 64 batches of {count} text messages at once"),
            bodies.into_iter().map(|b| b.0).collect(),
            true,
            events,
        );
    }
    if cases.contains('c') {
        let bodies: Vec<Vec<u8>> = (0..64)
            .map(|i| padded(&format!("C{i}"), BODY_LIMIT - 256))
            .collect();
        run(
            "(c) 64 single messages padded with a long text, at once",
            bodies,
            true,
            64,
        );
    }
}
