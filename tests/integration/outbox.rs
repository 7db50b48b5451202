//! The outbox of `serve --handler` against a Graph API as it is: refusing connections,
//! answering 500 or rate limits for a while, hanging for one recipient, and `serve` killed
//! while sends are in flight. Each test asserts per message: accepted by the Graph API
//! exactly once, in order per recipient.

use std::collections::HashMap;
use std::time::Duration;

use serde_json::Value;

use crate::fake_graph::{FakeGraph, meta_error};
use crate::handler::{against, python_bot};
use crate::harness::poll;
use crate::server::{SECRET, Server, text_notification};

/// Answers each message with its text, at once.
const ECHO: &str = r#"
for line in sys.stdin:
    ev = json.loads(line)
    print(json.dumps({"to": ev["from"], "text": ev["text"]}), flush=True)
"#;

/// `serve --handler` with the echo bot, sequential sending off, and these settings.
fn serve_echo(dir: &std::path::Path, graph: &FakeGraph, env: &[(&'static str, &str)]) -> Server {
    let bot = python_bot(dir, "echo.py", ECHO).display().to_string();
    let mut options = against(dir, graph)
        .args(&["--handler", &bot])
        .env("WHATSAPP_CLOUD_MESSAGES_SEQUENTIAL", "false")
        .env("WHATSAPP_CLOUD_MESSAGES_MARK_AS_READ", "false");
    for (key, value) in env {
        options = options.env(key, *value);
    }
    options.start()
}

/// Posts `count` messages from `senders` in turn (retrying, as WhatsApp does, while the
/// server does not answer 200); returns (recipient, text) in the order posted.
fn post_messages(
    server: &Server,
    count: usize,
    senders: &[&str],
    tag: &str,
) -> Vec<(String, String)> {
    (0..count)
        .map(|i| {
            let from = senders[i % senders.len()];
            let text = format!("{tag}-{from}-{i:04}");
            let body = text_notification(&format!("wamid.{tag}{i:04}"), from, &text);
            assert_eq!(server.post(&body).status, 200);
            (format!("+{from}"), text)
        })
        .collect()
}

/// Waits until the Graph API accepted a message for each of `expected`, then asserts that
/// it accepted each exactly once and, per recipient, in the order expected.
fn assert_accepted_once_in_order(
    graph: &FakeGraph,
    server: &Server,
    expected: &[(String, String)],
) {
    let accepted_now = || -> Vec<(String, String)> {
        let accepted = graph.accepted();
        let texts = accepted.iter().map(|m| {
            let field = |v: &Value| v.as_str().unwrap_or_default().to_string();
            (field(&m["to"]), field(&m["text"]["body"]))
        });
        texts.collect()
    };
    let accepted = poll(
        || {
            let accepted = accepted_now();
            let arrived = expected.iter().filter(|e| accepted.contains(e)).count();
            format!(
                "{arrived} of {} replies accepted\nstderr:\n{}",
                expected.len(),
                server.stderr()
            )
        },
        || Some(accepted_now()).filter(|a| expected.iter().all(|e| a.contains(e))),
    );
    let mut counts: HashMap<&(String, String), usize> = HashMap::new();
    for reply in &accepted {
        *counts.entry(reply).or_default() += 1;
    }
    for reply in expected {
        assert_eq!(counts[reply], 1, "{reply:?} accepted exactly once");
    }
    for (to, _) in expected {
        let got: Vec<&String> = accepted
            .iter()
            .filter(|(t, _)| t == to)
            .map(|(_, x)| x)
            .collect();
        let want: Vec<&String> = expected
            .iter()
            .filter(|(t, _)| t == to)
            .map(|(_, x)| x)
            .collect();
        assert_eq!(got, want, "replies to {to} accepted in order");
    }
}

const SENDERS: [&str; 5] = [
    "4915100000001",
    "4915100000002",
    "4915100000003",
    "4915100000004",
    "4915100000005",
];

#[test]
fn replies_wait_out_a_graph_api_that_refuses_connections() {
    let dir = tempfile::tempdir().unwrap();
    let graph = FakeGraph::start();
    let server = serve_echo(dir.path(), &graph, &[]);
    graph.refuse_for(Duration::from_secs(4));
    let expected = post_messages(&server, 20, &SENDERS, "R");
    server.wait_for_log("connection refused");
    assert_accepted_once_in_order(&graph, &server, &expected);
    assert_eq!(server.terminate(), Some(0));
}

#[test]
fn replies_wait_out_server_errors_and_rate_limits() {
    let dir = tempfile::tempdir().unwrap();
    let graph = FakeGraph::start();
    let server = serve_echo(dir.path(), &graph, &[]);
    graph.fail_for(
        Duration::from_secs(3),
        500,
        serde_json::json!({"error": {"message": "An unknown error occurred", "code": 1, "is_transient": true}}),
    );
    let mut expected = post_messages(&server, 10, &SENDERS, "E");
    assert_accepted_once_in_order(&graph, &server, &expected);
    graph.fail_for(
        Duration::from_secs(3),
        400,
        meta_error(
            130429,
            "(#130429) Rate limit hit",
            "Cloud API message throughput has been reached.",
        ),
    );
    expected.extend(post_messages(&server, 10, &SENDERS, "L"));
    server.wait_for_log("130429");
    assert_accepted_once_in_order(&graph, &server, &expected);
}

#[test]
fn a_reply_that_keeps_failing_is_given_up_after_give_up_after_and_reported() {
    let dir = tempfile::tempdir().unwrap();
    let graph = FakeGraph::start();
    let server = serve_echo(
        dir.path(),
        &graph,
        &[("WHATSAPP_CLOUD_MESSAGES_GIVE_UP_AFTER", "2s")],
    );
    graph.fail_for(Duration::from_secs(600), 503, serde_json::json!({}));
    post_messages(&server, 1, &SENDERS, "G");
    server.wait_for_log("gave up after");
    server.wait_for_log("messages.giveUpAfter");
    assert!(graph.accepted().is_empty());
    let db = rusqlite::Connection::open(dir.path().join("media/media-ids.db")).unwrap();
    let (state, error): (String, String) = db
        .query_row("SELECT state, error FROM outbox", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    assert_eq!(state, "failed");
    assert!(error.contains("HTTP 503"), "{error}");
}

#[test]
fn a_recipient_whose_calls_hang_delays_no_other() {
    let dir = tempfile::tempdir().unwrap();
    let graph = FakeGraph::start();
    let server = serve_echo(
        dir.path(),
        &graph,
        &[
            ("WHATSAPP_CLOUD_GRAPHAPI_TIMEOUT", "1s"),
            ("WHATSAPP_CLOUD_MESSAGES_IN_DOUBT_WAIT", "500ms"),
        ],
    );
    let stuck = "4915100000009";
    graph.hang_for(stuck);
    let mut expected = post_messages(&server, 3, &[stuck], "H");
    let others = post_messages(&server, 40, &SENDERS, "O");
    assert_accepted_once_in_order(&graph, &server, &others);
    assert!(
        graph
            .accepted()
            .iter()
            .all(|m| m["to"] != format!("+{stuck}").as_str()),
        "every other recipient was answered while {stuck}'s calls hung"
    );
    server.wait_for_log("unless WhatsApp reports it meanwhile");
    graph.end_hangs_unanswered();
    expected.extend(others);
    assert_accepted_once_in_order(&graph, &server, &expected);
}

/// `kill -9` of serve while the Graph API is slow to answer: the replies whose send was in
/// flight are recognised by the statuses WhatsApp posts back with their
/// `biz_opaque_callback_data`, and not sent again.
#[test]
fn kill_9_with_sends_in_flight_sends_no_reply_twice() {
    let dir = tempfile::tempdir().unwrap();
    let graph = FakeGraph::start();
    let env = [("WHATSAPP_CLOUD_MESSAGES_IN_DOUBT_WAIT", "20s")];
    let mut server = serve_echo(dir.path(), &graph, &env);
    graph.delay_answers(Duration::from_millis(1500));
    let expected = post_messages(&server, 10, &SENDERS, "K");
    poll(
        || "no sends in flight".into(),
        || (graph.requests_to("POST", "/messages").len() >= 5).then_some(()),
    );
    server.kill();
    graph.delay_answers(Duration::ZERO);
    let server = serve_echo(dir.path(), &graph, &env);
    graph.post_statuses_to(&server.url("/"), SECRET);
    server.wait_for_log("had reached WhatsApp");
    assert_accepted_once_in_order(&graph, &server, &expected);
    let sent: Vec<Value> = graph.accepted();
    assert!(
        sent.iter().all(|m| m["biz_opaque_callback_data"]
            .as_str()
            .is_some_and(|d| d.starts_with("wa-cloud:"))),
        "every reply names its outbox row: {sent:?}"
    );
}

/// Four `kill -9` of serve in a burst, with a bot that takes 40 ms a message, 4 workers,
/// statuses posted back: every accepted message is answered exactly once, in order.
#[test]
fn kill_9_four_times_in_a_burst_loses_nothing_and_answers_each_message_once() {
    kill_9_four_times_in_a_burst(
        r#"
import time
for line in sys.stdin:
    ev = json.loads(line)
    time.sleep(0.04)
    print(json.dumps({"to": ev["from"], "text": ev["text"]}), flush=True)
"#,
        "true",
    );
}

/// The same with `immediate: false`: replies held until the bot's `done` line.
#[test]
fn kill_9_four_times_in_a_burst_with_done_lines_answers_each_message_once() {
    kill_9_four_times_in_a_burst(
        r#"
import time
for line in sys.stdin:
    ev = json.loads(line)
    time.sleep(0.04)
    print(json.dumps({"to": ev["from"], "text": ev["text"]}), flush=True)
    print(json.dumps({"done": ev["id"]}), flush=True)
"#,
        "false",
    );
}

fn kill_9_four_times_in_a_burst(bot: &str, immediate: &str) {
    let dir = tempfile::tempdir().unwrap();
    let graph = FakeGraph::start();
    let bot = python_bot(dir.path(), "slow.py", bot).display().to_string();
    let start = || {
        let server = against(dir.path(), &graph)
            .args(&["--handler", &bot, "--workers", "4"])
            .env("WHATSAPP_CLOUD_MESSAGES_SEQUENTIAL", "false")
            .env("WHATSAPP_CLOUD_MESSAGES_IN_DOUBT_WAIT", "10s")
            .env("WHATSAPP_CLOUD_IMMEDIATE", immediate)
            .start();
        graph.post_statuses_to(&server.url("/"), SECRET);
        server
    };
    let senders: Vec<String> = (0..12).map(|i| format!("49151000001{i:02}")).collect();
    let senders: Vec<&str> = senders.iter().map(String::as_str).collect();
    let mut server = start();
    let mut expected = Vec::new();
    for round in 0..5 {
        expected.extend(post_messages(&server, 60, &senders, &format!("B{round}")));
        if round < 4 {
            server.kill();
            server = start();
        }
    }
    assert_accepted_once_in_order(&graph, &server, &expected);
    assert_eq!(server.terminate(), Some(0));
}

/// A Graph API that answers after the request timed out: the replies were accepted, and
/// their statuses (with our `biz_opaque_callback_data`) settle them; none is sent twice
/// or reported failed.
#[test]
fn replies_answered_after_their_timeout_are_settled_by_their_statuses() {
    let dir = tempfile::tempdir().unwrap();
    let graph = FakeGraph::start();
    let server = serve_echo(
        dir.path(),
        &graph,
        &[
            ("WHATSAPP_CLOUD_GRAPHAPI_TIMEOUT", "1s"),
            ("WHATSAPP_CLOUD_MESSAGES_IN_DOUBT_WAIT", "15s"),
        ],
    );
    graph.post_statuses_to(&server.url("/"), SECRET);
    graph.delay_answers(Duration::from_secs(2));
    let expected = post_messages(&server, 6, &SENDERS, "T");
    server.wait_for_log("unless WhatsApp reports it meanwhile");
    assert_accepted_once_in_order(&graph, &server, &expected);
    server.wait_for_log("had reached WhatsApp");
    let db = rusqlite::Connection::open(dir.path().join("media/media-ids.db")).unwrap();
    let states = || -> Vec<String> {
        let mut query = db.prepare("SELECT state FROM outbox ORDER BY seq").unwrap();
        let states = query.query_map([], |r| r.get(0)).unwrap();
        states.map(Result::unwrap).collect()
    };
    poll(
        || format!("not all settled: {:?}", states()),
        || {
            let states = states();
            assert!(
                !states.iter().any(|s| s == "failed"),
                "none reported failed: {states:?}"
            );
            (states == vec!["sent"; expected.len()]).then_some(())
        },
    );
}

#[test]
fn many_calls_are_in_flight_at_once_in_order_per_recipient() {
    let dir = tempfile::tempdir().unwrap();
    let graph = FakeGraph::start();
    let delay = Duration::from_millis(300);
    graph.delay_answers(delay);
    let server = serve_echo(
        dir.path(),
        &graph,
        &[("WHATSAPP_CLOUD_MESSAGES_MAX_PER_SECOND", "0")],
    );
    let senders: Vec<String> = (0..200).map(|i| format!("49152{i:08}")).collect();
    let senders: Vec<&str> = senders.iter().map(String::as_str).collect();
    let expected = post_messages(&server, 600, &senders, "F");
    assert_accepted_once_in_order(&graph, &server, &expected);

    // Each call is answered `delay` after it arrived: calls that arrived less than
    // `delay` apart were in flight together.
    let mut arrivals: Vec<_> = graph
        .requests_to("POST", "/messages")
        .iter()
        .map(|r| r.at)
        .collect();
    arrivals.sort();
    let most = (0..arrivals.len())
        .map(|i| {
            arrivals[i..]
                .iter()
                .take_while(|at| at.duration_since(arrivals[i]) < delay)
                .count()
        })
        .max()
        .unwrap_or(0);
    assert!(
        most > 16,
        "more calls in flight than the 16 threads of old: at most {most} overlapped"
    );
    assert_eq!(server.terminate(), Some(0));
}

/// 30 replies to each message: serve holds 8 of a recipient's replies in memory at a time
/// and reads the rest from the database as those are sent. Then `done`: with `immediate`
/// off, the 30 are stored with the acknowledgement, so a crash cannot split them (with it
/// on, the first reply would acknowledge the message and a crash lose the rest).
const THIRTY: &str = r#"
for line in sys.stdin:
    ev = json.loads(line)
    for k in range(30):
        print(json.dumps({"reply_to": ev["id"], "text": "%s-%02d" % (ev["text"], k)}), flush=True)
    print(json.dumps({"done": ev["id"]}), flush=True)
"#;

/// The replies [`THIRTY`] writes to `posted`, in order.
fn thirty_each(posted: &[(String, String)]) -> Vec<(String, String)> {
    posted
        .iter()
        .flat_map(|(to, text)| (0..30).map(move |k| (to.clone(), format!("{text}-{k:02}"))))
        .collect()
}

#[test]
fn long_queues_are_read_from_the_database_a_part_at_a_time_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let graph = FakeGraph::start();
    let bot = python_bot(dir.path(), "thirty.py", THIRTY)
        .display()
        .to_string();
    let server = against(dir.path(), &graph)
        .args(&["--handler", &bot])
        .env("WHATSAPP_CLOUD_MESSAGES_SEQUENTIAL", "false")
        .env("WHATSAPP_CLOUD_MESSAGES_MARK_AS_READ", "false")
        .start();
    // The queues grow while the Graph API refuses, and drain when it is back.
    graph.refuse_for(Duration::from_secs(3));
    let posted = post_messages(&server, 12, &SENDERS[..3], "Q");
    assert_accepted_once_in_order(&graph, &server, &thirty_each(&posted));
    assert_eq!(server.terminate(), Some(0));
}

#[test]
fn kill_9_while_long_queues_are_partly_in_memory_sends_each_reply_once_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let graph = FakeGraph::start();
    let bot = python_bot(dir.path(), "thirty.py", THIRTY)
        .display()
        .to_string();
    let start = || {
        against(dir.path(), &graph)
            .args(&["--handler", &bot])
            .env("WHATSAPP_CLOUD_MESSAGES_SEQUENTIAL", "false")
            .env("WHATSAPP_CLOUD_MESSAGES_MARK_AS_READ", "false")
            .env("WHATSAPP_CLOUD_MESSAGES_IN_DOUBT_WAIT", "20s")
            .env("WHATSAPP_CLOUD_IMMEDIATE", "false")
            .start()
    };
    let mut server = start();
    // Killed while each recipient has a call in flight, 8 replies in memory and the rest
    // in the database only.
    graph.delay_answers(Duration::from_millis(1500));
    let posted = post_messages(&server, 9, &SENDERS[..3], "W");
    poll(
        || "no call in flight for every recipient".into(),
        || (graph.requests_to("POST", "/messages").len() >= 3).then_some(()),
    );
    server.kill();
    graph.delay_answers(Duration::ZERO);
    let server = start();
    graph.post_statuses_to(&server.url("/"), SECRET);
    assert_accepted_once_in_order(&graph, &server, &thirty_each(&posted));
    assert_eq!(server.terminate(), Some(0));
}

/// serve's checkpointer makes the write-ahead log start over once it is long (16 MiB):
/// the pages of the first frames are then written again. Killed after that has happened
/// at least once, with replies queued and calls in flight, serve loses nothing of what it
/// acknowledged and sends each reply once, in order.
#[test]
fn kill_9_after_the_log_started_over_loses_nothing_and_sends_each_reply_once_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let graph = FakeGraph::start();
    let start = || serve_echo(dir.path(), &graph, &[]);
    let mut server = start();
    let size = |name: &str| std::fs::metadata(dir.path().join(name)).map_or(0, |m| m.len());
    // A log that never started over holds every page written, so it would be larger than
    // the database: once the database is past 20 MB and larger than its log, the log has
    // started over.
    let started_over = || {
        size("media/media-ids.db") > 20 << 20
            && size("media/media-ids.db-wal") < size("media/media-ids.db")
    };
    // Long texts fill the log fast; answers that take a while keep replies queued and a
    // call in flight for each recipient, which the Graph API accepts after the kill.
    graph.delay_answers(Duration::from_millis(1500));
    let pad = "x".repeat(4000);
    let mut expected = Vec::new();
    for i in 0..20_000 {
        let from = SENDERS[i % SENDERS.len()];
        let text = format!("L-{from}-{i:05}-{pad}");
        let body = text_notification(&format!("wamid.L{i:05}"), from, &text);
        assert_eq!(server.post(&body).status, 200);
        expected.push((format!("+{from}"), text));
        if i % 50 == 49 && started_over() {
            break;
        }
    }
    assert!(
        started_over(),
        "the log did not start over after {} messages: database {} bytes, log {} bytes",
        expected.len(),
        size("media/media-ids.db"),
        size("media/media-ids.db-wal")
    );
    server.kill();
    graph.delay_answers(Duration::ZERO);
    let server = start();
    // The statuses of the calls in flight at the kill tell serve they arrived.
    graph.post_statuses_to(&server.url("/"), SECRET);
    assert_accepted_once_in_order(&graph, &server, &expected);
    assert_eq!(server.terminate(), Some(0));
}
