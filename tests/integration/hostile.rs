//! `wa-cloud serve` against strangers: half-sent requests, slow and idle sockets, large
//! unsigned bodies, symlinks out of the assets folder. Everything targets 127.0.0.1, is
//! bounded in count and time, and prints what it measures (`--nocapture` shows it).
//!
//! The limits these tests lean on (see `src/intake.rs` and `src/webhooks.rs`): request
//! heads within 10 s, bodies within 30 s, 64 MiB of unauthenticated bodies at once (16 MiB
//! of it kept for bodies up to 64 KiB), 3.5 MiB per body, 5 s of grace at shutdown.

use std::cell::Cell;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use crate::harness::poll;
use crate::server::{Options, SECRET, Server, sign, text_notification};

/// Generous bounds for a loaded machine: tests poll, these bound the waits.
const PATIENCE: Duration = Duration::from_secs(30);
/// serve's header read timeout (`intake::HEADER_READ_TIMEOUT`).
const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// serve's body read timeout (`webhooks::BODY_READ_TIMEOUT`).
const BODY_TIMEOUT: Duration = Duration::from_secs(30);
/// serve's largest body (`webhooks::BODY_LIMIT`).
const BODY_LIMIT: usize = 3 * 1024 * 1024 + 512 * 1024;
const FROM: &str = "4915112345678";

#[track_caller]
fn connect(server: &Server) -> TcpStream {
    let stream = TcpStream::connect(("127.0.0.1", server.port)).expect("connect to serve");
    stream.set_write_timeout(Some(PATIENCE)).unwrap();
    stream
}

/// The head of a POST to the webhooks path with this Content-Length and signature.
fn post_head(length: usize, signature: Option<&str>) -> String {
    let mut head = format!(
        "POST / HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: {length}\r\n"
    );
    if let Some(signature) = signature {
        head.push_str(&format!("x-hub-signature-256: {signature}\r\n"));
    }
    head.push_str("\r\n");
    head
}

/// Reads an answer's head (or what came before the connection ended) within `wait`;
/// returns its status, if there was one.
fn read_status(stream: &mut TcpStream, wait: Duration) -> Option<u16> {
    let head = read_head(stream, wait);
    let line = head.lines().next()?;
    line.split(' ').nth(1)?.parse().ok()
}

fn read_head(stream: &mut TcpStream, wait: Duration) -> String {
    let deadline = Instant::now() + wait;
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break;
        }
        stream.set_read_timeout(Some(left)).unwrap();
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    String::from_utf8_lossy(&head).into_owned()
}

/// Whether serve closes this connection within `wait`: a read ends (EOF or reset)
/// rather than timing out. Whatever serve answered first is read and ignored.
fn closed_by_serve(stream: &mut TcpStream, wait: Duration) -> bool {
    let deadline = Instant::now() + wait;
    let mut buf = [0u8; 4096];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return false;
        }
        stream.set_read_timeout(Some(left)).unwrap();
        match stream.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => continue,
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                return false;
            }
            Err(_) => return true,
        }
    }
}

/// serve's peak resident memory (VmHWM), in KiB.
fn peak_rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .expect("VmHWM in /proc/PID/status");
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 * p) as usize).min(sorted.len() - 1)]
}

/// Signed notifications, one after the other: each answered 200; their latencies.
#[track_caller]
fn honest_posts(server: &Server, tag: &str, count: usize) -> Vec<Duration> {
    let mut latencies: Vec<Duration> = (0..count)
        .map(|i| {
            let body = text_notification(&format!("wamid.{tag}{i}"), FROM, "honest");
            let started = Instant::now();
            let reply = server.post(&body);
            assert_eq!(reply.status, 200, "{tag}{i}: {}", reply.body);
            started.elapsed()
        })
        .collect();
    latencies.sort();
    latencies
}

/// One way of holding a request half-sent.
#[derive(Clone, Copy, Debug)]
enum HalfSent {
    /// Connected, nothing sent.
    Silent,
    /// Part of the request line.
    PartialRequestLine,
    /// Header bytes trickled one at a time (slowloris), still trickling at SIGTERM.
    Slowloris,
    /// A complete head, none of the announced body.
    HeadOnly,
    /// A complete head and half of the signed body.
    PartialBody,
    /// One complete request answered, then the connection kept open and idle.
    IdleKeepAlive,
}

/// Opens a connection that holds a request half-sent, as `how` says. A slowloris keeps
/// trickling from its own thread until the connection breaks (or for a bounded time).
#[track_caller]
fn hold(server: &Server, how: HalfSent) -> TcpStream {
    let mut stream = connect(server);
    let body = text_notification("wamid.HALF", FROM, "half");
    let signature = sign(SECRET, &body);
    match how {
        HalfSent::Silent => {}
        HalfSent::PartialRequestLine => stream.write_all(b"POST / HT").unwrap(),
        HalfSent::Slowloris => {
            let mut trickle = stream.try_clone().unwrap();
            std::thread::spawn(move || {
                let head = post_head(1000, None);
                let deadline = Instant::now() + PATIENCE;
                for byte in head.as_bytes().iter().cycle() {
                    if Instant::now() > deadline || trickle.write_all(&[*byte]).is_err() {
                        break;
                    }
                    std::thread::sleep(Duration::from_millis(200));
                }
            });
        }
        HalfSent::HeadOnly => stream
            .write_all(post_head(body.len(), Some(&signature)).as_bytes())
            .unwrap(),
        HalfSent::PartialBody => {
            stream
                .write_all(post_head(body.len(), Some(&signature)).as_bytes())
                .unwrap();
            stream.write_all(&body[..body.len() / 2]).unwrap();
        }
        HalfSent::IdleKeepAlive => {
            stream
                .write_all(post_head(body.len(), Some(&signature)).as_bytes())
                .unwrap();
            stream.write_all(&body).unwrap();
            assert_eq!(read_status(&mut stream, PATIENCE), Some(200));
        }
    }
    stream
}

/// SIGTERM while clients hold requests half-sent in six ways: serve exits 0 each time,
/// within the grace period and a little, never waiting for the clients.
#[test]
fn sigterm_ends_serve_while_clients_hold_half_sent_requests() {
    let variants = [
        HalfSent::Silent,
        HalfSent::PartialRequestLine,
        HalfSent::Slowloris,
        HalfSent::HeadOnly,
        HalfSent::PartialBody,
        HalfSent::IdleKeepAlive,
    ];
    let exits: Vec<(HalfSent, Option<i32>, Duration, String)> = std::thread::scope(|scope| {
        let runs: Vec<_> = variants
            .iter()
            .map(|&how| {
                scope.spawn(move || {
                    let dir = tempfile::tempdir().unwrap();
                    let server = Options::new(dir.path()).start();
                    let held: Vec<TcpStream> = (0..3).map(|_| hold(&server, how)).collect();
                    // Connections are accepted in order: once this is answered, the held
                    // ones are open in serve.
                    assert_eq!(server.get("/healthz").status, 200);
                    let stderr_before = server.stderr();
                    let started = Instant::now();
                    let stderr = server.stderr_handle();
                    let code = server.terminate();
                    let took = started.elapsed();
                    drop(held);
                    let log = stderr();
                    (how, code, took, log[stderr_before.len()..].to_string())
                })
            })
            .collect();
        runs.into_iter().map(|run| run.join().unwrap()).collect()
    });
    for (how, code, took, log) in &exits {
        eprintln!(
            "SIGTERM with 3 connections held {how:?}: serve exited {code:?} after {took:.2?}"
        );
        assert_eq!(*code, Some(0), "{how:?}:\n{log}");
        // Grace period 5 s; the rest is generous room for a loaded machine.
        assert!(
            *took < Duration::from_secs(20),
            "{how:?}: took {took:?}\n{log}"
        );
        assert!(log.contains("stopped"), "{how:?}:\n{log}");
    }
}

/// 300 sockets that sent one byte or part of a body, held open: signed notifications
/// are still answered 200 promptly; serve closes the one-byte sockets after its header
/// timeout and the partial bodies after its body timeout (408), and says so in the log.
#[test]
fn slow_and_idle_clients_do_not_keep_honest_notifications_waiting() {
    let dir = tempfile::tempdir().unwrap();
    let server = Options::new(dir.path()).start();
    let baseline = honest_posts(&server, "BEFORE", 20);

    let opened = Instant::now();
    let mut one_byte: Vec<TcpStream> = Vec::new();
    let mut partial_body: Vec<TcpStream> = Vec::new();
    for i in 0..300 {
        let mut stream = connect(&server);
        if i % 2 == 0 {
            stream.write_all(b"P").unwrap();
            one_byte.push(stream);
        } else {
            stream
                .write_all(post_head(1000, Some("sha256=00")).as_bytes())
                .unwrap();
            stream.write_all(&[b' '; 10]).unwrap();
            partial_body.push(stream);
        }
    }
    let during = honest_posts(&server, "DURING", 20);
    eprintln!(
        "signed POSTs: before the attack p50 {:.2?} max {:.2?}; with 300 slow sockets held p50 {:.2?} max {:.2?}",
        percentile(&baseline, 0.5),
        baseline[baseline.len() - 1],
        percentile(&during, 0.5),
        during[during.len() - 1]
    );
    assert!(
        during[during.len() - 1] < Duration::from_secs(5),
        "honest notifications waited behind slow clients: {during:?}"
    );

    // One byte, then silence: closed once the header timeout is over.
    let wait = HEADER_TIMEOUT + PATIENCE;
    let still_open = one_byte
        .iter_mut()
        .map(|s| closed_by_serve(s, wait.saturating_sub(opened.elapsed())))
        .filter(|closed| !closed)
        .count();
    eprintln!(
        "the one-byte sockets were closed by serve {:.1?} after they were opened",
        opened.elapsed()
    );
    assert_eq!(
        still_open,
        0,
        "serve left sockets that sent one byte open\n{}",
        server.stderr()
    );
    server.wait_for_log("its request head was incomplete after 10s (1 bytes received)");

    // Part of a body, then silence: 408 once the body timeout is over, then closed.
    let wait = BODY_TIMEOUT + PATIENCE;
    let mut statuses = std::collections::BTreeMap::new();
    for stream in &mut partial_body {
        let status = read_status(stream, wait.saturating_sub(opened.elapsed()));
        *statuses.entry(status).or_insert(0) += 1;
        assert!(closed_by_serve(stream, PATIENCE), "closed after its answer");
    }
    eprintln!(
        "partial bodies answered {statuses:?} {:.1?} after they were opened",
        opened.elapsed()
    );
    assert_eq!(statuses.get(&Some(408)), Some(&partial_body.len()));
    server.wait_for_log("(408): its body did not arrive within 30s (10 bytes did)");
    assert_eq!(
        server
            .post(&text_notification("wamid.AFTER", FROM, "after"))
            .status,
        200
    );
    assert_eq!(server.terminate(), Some(0));
}

/// With a low open-files limit (512: serve keeps 256 connections), 400 sockets that sent
/// one byte do not starve serve of file descriptors: no accept error, and signed
/// notifications are answered 200 once slow clients are closed (connections accepted while
/// few slots are left get a 2 s header timeout).
#[test]
fn with_few_file_descriptors_slow_clients_wait_their_turn_and_honest_ones_get_through() {
    let dir = tempfile::tempdir().unwrap();
    let server = Options::new(dir.path()).open_files(512).start();
    server.wait_for_log("accepting at most 256 connections at once");
    let held: Vec<TcpStream> = (0..400)
        .map(|_| {
            let mut stream = connect(&server);
            stream.write_all(b"P").unwrap();
            stream
        })
        .collect();
    let latencies = honest_posts(&server, "CROWDED", 5);
    eprintln!(
        "with 400 one-byte sockets and 256 slots: signed POSTs p50 {:.2?} max {:.2?}",
        percentile(&latencies, 0.5),
        latencies[latencies.len() - 1]
    );
    drop(held);
    server.wait_for_log("connection slots are taken");
    let log = server.stderr();
    assert!(!log.contains("Too many open files"), "{log}");
    assert!(!log.contains("cannot accept"), "{log}");
    assert_eq!(server.terminate(), Some(0));
}

/// Outcome of one client posting a large unsigned body slowly.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord, Clone, Copy)]
enum Outcome {
    /// Answered before its body was sent (503 when over budget), with or without a
    /// `Retry-After` header.
    Answered(u16, bool),
    /// The connection ended before an answer could be read.
    Cut,
    /// All but one byte sent, no answer yet: serve holds the body.
    Holding,
}

/// Sends the head and all but the last byte of an unsigned `size`-byte body in chunks,
/// looking for an early answer between chunks.
fn post_large_unsigned(port: u16, size: usize) -> (TcpStream, Outcome) {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream.set_write_timeout(Some(PATIENCE)).unwrap();
    if stream
        .write_all(post_head(size, Some("sha256=00")).as_bytes())
        .is_err()
    {
        return (stream, Outcome::Cut);
    }
    let chunk = vec![b' '; 256 * 1024];
    let mut sent = 0;
    let mut peek = [0u8; 1];
    while sent < size - 1 {
        stream.set_nonblocking(true).unwrap();
        let early = stream.peek(&mut peek);
        stream.set_nonblocking(false).unwrap();
        match early {
            Ok(0) => return (stream, Outcome::Cut),
            Ok(_) => {
                let outcome = answer(&mut stream, PATIENCE);
                return (stream, outcome);
            }
            Err(_) => {}
        }
        let n = chunk.len().min(size - 1 - sent);
        if stream.write_all(&chunk[..n]).is_err() {
            let outcome = answer(&mut stream, Duration::from_secs(1));
            return (stream, outcome);
        }
        sent += n;
        std::thread::sleep(Duration::from_millis(5));
    }
    // Loopback buffers hold megabytes: give serve time to read (or refuse) what was sent.
    match answer(&mut stream, Duration::from_secs(5)) {
        Outcome::Cut => (stream, Outcome::Holding),
        answered => (stream, answered),
    }
}

/// The answer serve gave within `wait`, or `Cut`.
fn answer(stream: &mut TcpStream, wait: Duration) -> Outcome {
    let head = read_head(stream, wait);
    let status = head
        .lines()
        .next()
        .and_then(|line| line.split(' ').nth(1))
        .and_then(|code| code.parse().ok());
    let retry_after = head.to_ascii_lowercase().contains("\r\nretry-after: ");
    status.map_or(Outcome::Cut, |status| {
        Outcome::Answered(status, retry_after)
    })
}

/// 100 clients each send an unsigned 3.4 MiB body but its last byte and hold: serve
/// holds at most its budget of unauthenticated bytes (64 MiB, 48 MiB for large bodies),
/// answers the rest 503 with Retry-After, keeps answering signed notifications, and has
/// its whole budget again once they are gone.
#[test]
fn unsigned_large_bodies_beyond_the_budget_get_503_and_memory_stays_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let server = Options::new(dir.path()).start();
    let before = peak_rss_kib(server.pid());
    let size = 3400 * 1024;
    let port = server.port;
    let clients: Vec<(TcpStream, Outcome)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..100)
            .map(|_| scope.spawn(move || post_large_unsigned(port, size)))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let peak = peak_rss_kib(server.pid());
    let mut outcomes = std::collections::BTreeMap::new();
    for (_, outcome) in &clients {
        *outcomes.entry(*outcome).or_insert(0) += 1;
    }
    eprintln!(
        "100 unsigned bodies of 3.4 MiB held: {outcomes:?}; serve's peak RSS {} MiB (before: {} MiB)",
        peak / 1024,
        before / 1024
    );
    // While large bodies fill their share, a small signed notification still has its own.
    let latencies = honest_posts(&server, "BUDGET", 5);
    eprintln!(
        "signed POSTs meanwhile: max {:.2?}",
        latencies[latencies.len() - 1]
    );
    let holding = outcomes.get(&Outcome::Holding).copied().unwrap_or(0);
    assert!(
        holding <= 48 * 1024 / 3400,
        "serve holds more than its budget: {outcomes:?}"
    );
    assert!(
        outcomes
            .get(&Outcome::Answered(503, true))
            .copied()
            .unwrap_or(0)
            > 50,
        "most are refused with 503: {outcomes:?}\n{}",
        server.stderr()
    );
    assert!(
        peak < 160 * 1024,
        "serve's peak RSS {} MiB: more than the budget and some",
        peak / 1024
    );
    server.wait_for_log("bytes of unauthenticated bodies are being received");
    server.wait_for_log("(503)");
    drop(clients);

    // Once they are gone, the budget is whole again: a large unsigned body is read to its
    // end and refused for its signature (401), not for the budget (503). serve notices the
    // closed sockets in its own time, so each try is a new connection.
    let body = vec![b' '; size];
    let last = Cell::new(None);
    poll(
        || {
            format!(
                "the budget was not given back: the last try got {:?}",
                last.get()
            )
        },
        || {
            let mut again = connect(&server);
            // A refusal may come, and the socket close, before the body is all sent.
            let _ = again
                .write_all(post_head(size, Some("sha256=00")).as_bytes())
                .and_then(|()| again.write_all(&body));
            last.set(read_status(&mut again, PATIENCE));
            (last.get() == Some(401)).then_some(())
        },
    );
    assert_eq!(server.terminate(), Some(0));
}

/// Oversized bodies get a 413 the client can read, every time, whether announced by
/// Content-Length or sent chunked; the refusal is logged with its size.
#[test]
fn oversized_bodies_get_a_413_the_client_reads() {
    let dir = tempfile::tempdir().unwrap();
    let server = Options::new(dir.path()).start();
    let huge = vec![b' '; 4 * 1024 * 1024];
    for i in 0..10 {
        assert_eq!(server.post(&huge).status, 413, "attempt {i}");
    }
    server.wait_for_log("refused a notification of 4194304 bytes (413): larger than the limit");

    let mut chunked = connect(&server);
    chunked
        .write_all(b"POST / HTTP/1.1\r\nhost: 127.0.0.1\r\ntransfer-encoding: chunked\r\n\r\n")
        .unwrap();
    let chunk = vec![b' '; 512 * 1024];
    for _ in 0..(BODY_LIMIT / chunk.len() + 2) {
        let sent = chunked
            .write_all(format!("{:x}\r\n", chunk.len()).as_bytes())
            .and_then(|()| chunked.write_all(&chunk))
            .and_then(|()| chunked.write_all(b"\r\n"));
        if sent.is_err() {
            break;
        }
    }
    let _ = chunked.write_all(b"0\r\n\r\n");
    assert_eq!(read_status(&mut chunked, PATIENCE), Some(413));
    server.wait_for_log(&format!("more than {BODY_LIMIT} bytes (413)"));
    assert_eq!(
        server
            .post(&text_notification("wamid.OK", FROM, "ok"))
            .status,
        200
    );
}

/// A symlink in the assets folder that resolves outside it is not followed (404), even
/// percent-encoded or through a symlinked directory; one that resolves inside is served.
#[test]
fn assets_never_resolve_outside_their_folder() {
    let dir = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("passwd"), b"root:x:0:0:secret").unwrap();
    let public = dir.path().join("public");
    std::fs::create_dir_all(public.join("sub")).unwrap();
    std::fs::write(public.join("sub/cat.png"), b"\x89PNG fake").unwrap();
    std::os::unix::fs::symlink(outside.path().join("passwd"), public.join("passwd")).unwrap();
    std::os::unix::fs::symlink(outside.path(), public.join("out")).unwrap();
    std::os::unix::fs::symlink("sub/cat.png", public.join("logo.png")).unwrap();
    std::os::unix::fs::symlink("sub", public.join("pictures")).unwrap();
    let server = Options::new(dir.path())
        .env("WHATSAPP_CLOUD_WEBHOOKS_ASSETS_DIR", "public")
        .start();
    for path in [
        "/assets/passwd",
        "/assets/pass%77d",
        "/assets/out/passwd",
        "/assets/out%2fpasswd",
        "/assets/sub/../passwd",
        "/assets/pictures/../passwd",
    ] {
        let reply = server.get(path);
        assert_eq!(reply.status, 404, "{path}: {}", reply.body);
        assert!(!reply.body.contains("secret"), "{path}");
    }
    server.wait_for_log("resolves outside the assets folder");
    for path in [
        "/assets/logo.png",
        "/assets/pictures/cat.png",
        "/assets/sub/cat.png",
    ] {
        let reply = server.get(path);
        assert_eq!(
            (reply.status, reply.content_type.as_str()),
            (200, "image/png"),
            "{path}"
        );
    }
}

/// The limits are configuration: a shorter `webhooks.headerTimeout` closes a silent
/// client sooner, and a smaller `webhooks.bodyBudget` refuses a large unsigned body.
#[test]
fn limits_follow_their_configuration_keys() {
    let dir = tempfile::tempdir().unwrap();
    let server = Options::new(dir.path())
        .env("WHATSAPP_CLOUD_WEBHOOKS_HEADER_TIMEOUT", "1s")
        .env("WHATSAPP_CLOUD_WEBHOOKS_BODY_BUDGET", "100000")
        .start();
    let mut silent = connect(&server);
    silent.write_all(b"P").unwrap();
    assert!(
        closed_by_serve(&mut silent, Duration::from_secs(8)),
        "a client silent for longer than webhooks.headerTimeout is cut off"
    );
    let mut large = connect(&server);
    large
        .write_all(post_head(200_000, None).as_bytes())
        .unwrap();
    assert_eq!(read_status(&mut large, PATIENCE), Some(503));
    server.wait_for_log("webhooks.bodyBudget");
}
