//! Nothing lost between the webhook and the reply: handlers that crash, stop reading or
//! fork, and events handed over again until the handler has dealt with them. Each test
//! asserts per message: handed over at least once, answered exactly once, in order per
//! recipient.

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use serde_json::Value;

use crate::fake_graph::FakeGraph;
use crate::handler::{python_bot, start, texts, wait_for_messages};
use crate::harness::{poll, wa_cloud};
use crate::server::{Server, text_notification};

/// A message to post: its wamid, sender and text (the text names the message, so that a
/// reply can be told from every other).
struct Message {
    id: String,
    from: String,
    text: String,
}

/// `count` messages from `senders` in turn.
fn messages(count: usize, senders: &[&str], tag: &str) -> Vec<Message> {
    (0..count)
        .map(|i| {
            let from = senders[i % senders.len()].to_string();
            Message {
                id: format!("wamid.{tag}{i:04}"),
                text: format!("{tag}-{from}-{i:04}"),
                from,
            }
        })
        .collect()
}

fn post_all(server: &Server, messages: &[Message]) {
    for m in messages {
        let body = text_notification(&m.id, &m.from, &m.text);
        assert_eq!(server.post(&body).status, 200, "{} accepted", m.id);
    }
}

/// The event lines a bot logged to `path`, parsed.
fn logged(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

/// Waits for a reply to each of `messages`, then asserts that each was answered exactly
/// once and that each recipient got its replies in the order its messages were posted.
fn assert_answered_once_in_order(graph: &FakeGraph, server: &Server, messages: &[Message]) {
    let replies = texts(&wait_for_messages(graph, messages.len(), server));
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for (_, text) in &replies {
        *seen.entry(text.as_str()).or_default() += 1;
    }
    for m in messages {
        assert_eq!(
            seen.get(m.text.as_str()).copied().unwrap_or(0),
            1,
            "{} answered exactly once: {replies:?}",
            m.text
        );
    }
    assert_eq!(
        replies.len(),
        messages.len(),
        "no reply beyond them: {replies:?}"
    );
    let mut by_recipient: HashMap<&str, Vec<&str>> = HashMap::new();
    for (to, text) in &replies {
        by_recipient.entry(to.as_str()).or_default().push(text);
    }
    for (to, got) in by_recipient {
        let mut sorted = got.clone();
        sorted.sort();
        assert_eq!(got, sorted, "replies to {to} in order");
    }
}

/// A bot that logs every line it gets to argv[1], crashes (exit 1) on every `every`-th
/// line its worker reads across restarts (a count per worker, so that two never race on
/// one file), and answers the others with their text.
const CRASH_EVERY: &str = r#"
import time
log = open(sys.argv[1], "a")
count_file = sys.argv[1] + ".count" + os.environ["WA_CLOUD_WORKER"]
for line in sys.stdin:
    log.write(line); log.flush()
    ev = json.loads(line)
    n = int(open(count_file).read()) + 1 if os.path.exists(count_file) else 1
    open(count_file, "w").write(str(n))
    if n % int(sys.argv[2]) == 0:
        os._exit(1)
    time.sleep(0.005)
    print(json.dumps({"to": ev["from"], "text": ev["text"]}), flush=True)
"#;

#[test]
fn a_handler_that_crashes_every_tenth_message_loses_none() {
    let dir = tempfile::tempdir().unwrap();
    let graph = FakeGraph::start();
    let bot = python_bot(dir.path(), "bot.py", CRASH_EVERY);
    let log = dir.path().join("events.log");
    let cmd = format!("{} {} 10", bot.display(), log.display());
    let server = start(dir.path(), &graph, &[&cmd, "--workers", "2"]);
    let sent = messages(
        60,
        &["4915100000001", "4915100000002", "4915100000003"],
        "C",
    );
    post_all(&server, &sent);

    assert_answered_once_in_order(&graph, &server, &sent);
    let events = logged(&log);
    for m in &sent {
        assert!(
            events.iter().any(|e| e["id"] == m.id.as_str()),
            "{} handed over",
            m.id
        );
    }
    let mut handed: HashMap<&str, usize> = HashMap::new();
    for event in &events {
        let id = event["id"].as_str().unwrap();
        let before = handed.entry(id).or_default();
        // The first time a handler reads it may be a redelivery already: the handler that
        // crashed may have held it in its pipe, unread.
        assert!(
            *before == 0 || event["redelivered"] == true,
            "every hand-over after the first says redelivered: {event}"
        );
        *before += 1;
    }
    assert!(
        handed.values().any(|n| *n > 1),
        "the events a crashed handler held are handed over again"
    );
    assert_eq!(server.terminate(), Some(0));
}

#[test]
fn an_event_that_crashes_the_handler_every_time_is_parked_reported_and_can_be_retried() {
    let dir = tempfile::tempdir().unwrap();
    let graph = FakeGraph::start();
    let bot = python_bot(
        dir.path(),
        "bot.py",
        r#"
log = open(sys.argv[1], "a")
for line in sys.stdin:
    log.write(line); log.flush()
    ev = json.loads(line)
    if ev["event"] != "message":
        continue
    if ev["text"] == "poison":
        os._exit(2)
    print(json.dumps({"to": ev["from"], "text": ev["text"]}), flush=True)
"#,
    );
    let log = dir.path().join("events.log");
    let cmd = format!("{} {}", bot.display(), log.display());
    let server = start(dir.path(), &graph, &[&cmd, "--events", "message,error"]);
    let alice = "4915100000001";
    for (i, text) in ["a", "poison", "b"].iter().enumerate() {
        let body = text_notification(&format!("wamid.P{i}"), alice, text);
        assert_eq!(server.post(&body).status, 200);
    }
    let replies = texts(&wait_for_messages(&graph, 2, &server));
    assert_eq!(
        replies.iter().map(|(_, t)| t.as_str()).collect::<Vec<_>>(),
        ["a", "b"],
        "the messages around the poison are answered, in order"
    );
    server.wait_for_log("event 2 parked");
    let error = poll(
        || "no error event for the parked message".into(),
        || {
            logged(&log)
                .into_iter()
                .find(|e| e["event"] == "error" && e["parked"]["id"] == "wamid.P1")
        },
    );
    assert!(
        error["error"]
            .as_str()
            .unwrap()
            .contains("dispatch.retries"),
        "{error}"
    );
    let poisons = logged(&log)
        .into_iter()
        .filter(|e| e["id"] == "wamid.P1")
        .count();
    assert_eq!(
        poisons, 3,
        "handed over once, then again after each of 2 crashes"
    );

    let db = dir.path().join("media/media-ids.db");
    let inbox = |args: &[&str]| {
        let mut all = vec!["inbox"];
        all.extend_from_slice(args);
        all.extend_from_slice(&["--db", db.to_str().unwrap(), "--json"]);
        wa_cloud(&all).run()
    };
    let parked = inbox(&["parked"]);
    parked.success();
    let listed: Value = serde_json::from_str(parked.stdout.trim()).unwrap();
    assert_eq!(listed["event"]["id"], "wamid.P1");
    let counts: Value = serde_json::from_str(inbox(&[]).success().stdout.trim()).unwrap();
    assert_eq!(counts["parked"], 1);
    let health: Value = serde_json::from_str(&server.get("/healthz").body).unwrap();
    assert_eq!(health["parked"], 1, "{health}");

    // Handed over again by the running server, it crashes the handler again.
    let retried = inbox(&["retry"]);
    retried.success().stdout_has(r#"{"retried":1}"#);
    poll(
        || "a retried event reaches the running handler".into(),
        || {
            let handed = logged(&log)
                .iter()
                .filter(|e| e["id"] == "wamid.P1")
                .count();
            (handed >= 4).then_some(())
        },
    );
    assert_eq!(server.terminate(), Some(0));
}

#[test]
fn events_held_by_a_handler_that_never_reads_reach_the_next_one() {
    let dir = tempfile::tempdir().unwrap();
    let graph = FakeGraph::start();
    let deaf = python_bot(dir.path(), "deaf.py", "import time\ntime.sleep(120)\n");
    let server = start(dir.path(), &graph, &[deaf.to_str().unwrap()]);
    let sent = messages(24, &["4915100000001", "4915100000002"], "D");
    post_all(&server, &sent);
    assert_eq!(server.terminate(), Some(0), "SIGTERM ends serve");
    assert!(
        crate::handler::sent_messages(&graph).is_empty(),
        "the deaf bot answered nothing"
    );

    let bot = python_bot(dir.path(), "bot.py", CRASH_EVERY);
    let log = dir.path().join("events.log");
    let cmd = format!("{} {} 1000000", bot.display(), log.display());
    let server = start(dir.path(), &graph, &[&cmd]);
    assert_answered_once_in_order(&graph, &server, &sent);
    let events = logged(&log);
    let redelivered = events.iter().filter(|e| e["redelivered"] == true).count();
    assert!(
        (1..=16).contains(&redelivered),
        "only the window written to the deaf bot is marked redelivered: {redelivered}"
    );
}

#[test]
fn a_handler_that_forks_a_child_holding_its_pipes_and_exits_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let graph = FakeGraph::start();
    let bot = python_bot(
        dir.path(),
        "bot.py",
        r#"
import subprocess
line = sys.stdin.readline()
if line:
    ev = json.loads(line)
    print(json.dumps({"to": ev["from"], "text": ev["text"]}), flush=True)
    subprocess.Popen(["sleep", "5"])
"#,
    );
    let server = start(dir.path(), &graph, &[bot.to_str().unwrap()]);
    let sent = messages(5, &["4915100000001"], "F");
    post_all(&server, &sent);
    assert_answered_once_in_order(&graph, &server, &sent);
}

#[test]
fn a_per_message_handler_that_fails_before_answering_gets_the_event_again() {
    let dir = tempfile::tempdir().unwrap();
    let graph = FakeGraph::start();
    // Fails the first time it sees each message, answers the second time.
    let bot = python_bot(
        dir.path(),
        "bot.py",
        r#"
ev = json.loads(sys.stdin.readline())
seen = os.path.join(os.path.dirname(os.path.abspath(__file__)), ev["id"])
if not os.path.exists(seen):
    open(seen, "w").close()
    sys.exit(1)
print(json.dumps({"text": ev["text"] + (" again" if ev.get("redelivered") else "")}), flush=True)
"#,
    );
    let server = start(
        dir.path(),
        &graph,
        &[bot.to_str().unwrap(), "--per-message", "--workers", "2"],
    );
    let sent = messages(6, &["4915100000001", "4915100000002"], "M");
    post_all(&server, &sent);
    let replies = texts(&wait_for_messages(&graph, sent.len(), &server));
    for m in &sent {
        let answer = format!("{} again", m.text);
        assert_eq!(
            replies.iter().filter(|(_, t)| *t == answer).count(),
            1,
            "{} answered once, on its redelivery: {replies:?}",
            m.id
        );
    }
}

/// Another process holds the database's write lock while the bot answers: the replies
/// wait (`/healthz` says so, naming the database) and are sent once the lock is gone.
#[test]
fn replies_written_while_another_process_holds_the_write_lock_are_kept() {
    let dir = tempfile::tempdir().unwrap();
    let graph = FakeGraph::start();
    let bot = python_bot(
        dir.path(),
        "bot.py",
        r#"
import time
for line in sys.stdin:
    ev = json.loads(line)
    time.sleep(0.3)
    print(json.dumps({"to": ev["from"], "text": ev["text"]}), flush=True)
"#,
    );
    let server = start(dir.path(), &graph, &[bot.to_str().unwrap()]);
    let sent = messages(8, &["4915100000001", "4915100000002"], "W");
    let db = rusqlite::Connection::open(dir.path().join("media/media-ids.db")).unwrap();
    post_all(&server, &sent);
    db.execute_batch("BEGIN IMMEDIATE").unwrap();
    let health = poll(
        || {
            format!(
                "/healthz never told of the wait: {}",
                server.get("/healthz").body
            )
        },
        || Some(server.get("/healthz")).filter(|h| h.body.contains("waiting for the database")),
    );
    assert_eq!(health.status, 503);
    assert!(health.body.contains("media-ids.db"), "{}", health.body);
    assert!(
        crate::handler::sent_messages(&graph).len() < sent.len(),
        "the lock held replies back"
    );
    std::thread::sleep(Duration::from_secs(2));
    db.execute_batch("ROLLBACK").unwrap();
    assert_answered_once_in_order(&graph, &server, &sent);
    assert_eq!(server.get("/healthz").status, 200);
}

#[test]
fn a_backlog_behind_a_stuck_handler_stays_in_the_database_and_does_not_hold_up_shutdown() {
    let dir = tempfile::tempdir().unwrap();
    let graph = FakeGraph::start();
    // Reads every line and answers none: the window fills, then what serve holds in memory
    // for the worker (1 MiB) fills, and the rest waits in the database.
    let stuck = python_bot(dir.path(), "stuck.py", "for line in sys.stdin:\n    pass\n");
    let server = start(dir.path(), &graph, &[stuck.to_str().unwrap()]);
    let sent = messages(48, &["4915100000001", "4915100000002"], "B");
    let padding = "x".repeat(64 * 1024);
    for m in &sent {
        let body = text_notification(&m.id, &m.from, &format!("{} {padding}", m.text));
        assert_eq!(server.post(&body).status, 200, "{} accepted", m.id);
    }
    // The backlog counts the events stored and not yet given to the handler's worker.
    poll(
        || format!("/healthz: {}", server.get("/healthz").body),
        || {
            let health: Value = serde_json::from_str(&server.get("/healthz").body).ok()?;
            (health["backlog"].as_i64()? > 0 && health["unacknowledged"].as_i64()? == 16)
                .then_some(())
        },
    );
    assert_eq!(
        server.terminate(),
        Some(0),
        "SIGTERM ends serve while the hand-over waits for room"
    );
    assert!(crate::handler::sent_messages(&graph).is_empty());

    let first_word = r#"
for line in sys.stdin:
    ev = json.loads(line)
    print(json.dumps({"to": ev["from"], "text": ev["text"].split(" ")[0]}), flush=True)
"#;
    let bot = python_bot(dir.path(), "bot.py", first_word);
    let server = start(dir.path(), &graph, &[bot.to_str().unwrap()]);
    assert_answered_once_in_order(&graph, &server, &sent);
}
