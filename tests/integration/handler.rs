//! `serve --handler`: the bot loop end to end. Real signed notifications go in, small
//! bots written by each test answer, and the fake Graph API records the replies.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::fake_graph::{FakeGraph, meta_error};
use crate::harness::{PHONE_NUMBER_ID, TOKEN, poll};
use crate::server::{Options, Server, text_notification};

/// Writes an executable Python bot into `dir`.
pub(crate) fn python_bot(dir: &Path, name: &str, body: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(
        &path,
        format!("#!/usr/bin/env python3\nimport json, os, sys\n{body}"),
    )
    .unwrap();
    make_executable(&path);
    path
}

fn make_executable(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// An echo bot that also logs every line it gets to `events.log`.
const ECHO: &str = r#"
log = open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "events.log"), "a")
for line in sys.stdin:
    log.write(line); log.flush()
    ev = json.loads(line)
    if ev["event"] == "message":
        print(json.dumps({"to": ev["from"], "text": "You said: " + ev.get("text", "")}), flush=True)
"#;

/// `serve` (options still to add) configured to send through `graph`.
pub(crate) fn against<'a>(dir: &'a Path, graph: &FakeGraph) -> Options<'a> {
    Options::new(dir)
        .env("WHATSAPP_CLOUD_GRAPHAPI_BASE_URL", "127.0.0.1")
        .env(
            "WHATSAPP_CLOUD_GRAPHAPI_BASE_PORT",
            graph.port().to_string(),
        )
        .env("WHATSAPP_CLOUD_GRAPHAPI_ACCESS_TOKEN", TOKEN)
        .env("WHATSAPP_CLOUD_GRAPHAPI_PHONE_NUMBER_ID", PHONE_NUMBER_ID)
}

/// `serve --handler` against `graph`, with sequential sending off unless the test sets it.
pub(crate) fn start<'a>(dir: &'a Path, graph: &FakeGraph, args: &[&'a str]) -> Server {
    let mut all = vec!["--handler"];
    all.extend_from_slice(args);
    against(dir, graph)
        .args(&all)
        .env("WHATSAPP_CLOUD_MESSAGES_SEQUENTIAL", "false")
        .start()
}

/// The messages (not read receipts) the fake received, in order.
pub(crate) fn sent_messages(graph: &FakeGraph) -> Vec<Value> {
    let posts = graph.requests_to("POST", "/messages");
    posts
        .iter()
        .map(|r| r.json())
        .filter(|b| b.get("type").is_some())
        .collect()
}

/// Waits until the fake received `n` messages and returns them.
#[track_caller]
pub(crate) fn wait_for_messages(graph: &FakeGraph, n: usize, server: &Server) -> Vec<Value> {
    poll(
        || {
            let sent = sent_messages(graph);
            format!(
                "only {} of {n} messages arrived: {sent:?}\nstderr:\n{}",
                sent.len(),
                server.stderr()
            )
        },
        || {
            let sent = sent_messages(graph);
            (sent.len() >= n).then_some(sent)
        },
    )
}

pub(crate) fn texts(messages: &[Value]) -> Vec<(String, String)> {
    messages
        .iter()
        .map(|m| {
            (
                m["to"].as_str().unwrap_or_default().to_string(),
                m["text"]["body"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

fn pair(to: &str, text: &str) -> (String, String) {
    (to.to_string(), text.to_string())
}

#[test]
fn an_echo_bot_answers_each_message_in_order_and_messages_are_marked_read() {
    let dir = tempfile::tempdir().unwrap();
    let graph = FakeGraph::start();
    let bot = python_bot(dir.path(), "bot.py", ECHO);
    let server = start(dir.path(), &graph, &[bot.to_str().unwrap()]);
    for (i, text) in ["one", "two", "three"].iter().enumerate() {
        assert_eq!(
            server
                .post(&text_notification(
                    &format!("wamid.E{i}"),
                    "4915112345678",
                    text
                ))
                .status,
            200
        );
    }
    let sent = wait_for_messages(&graph, 3, &server);
    assert_eq!(
        texts(&sent),
        [
            pair("+4915112345678", "You said: one"),
            pair("+4915112345678", "You said: two"),
            pair("+4915112345678", "You said: three")
        ]
    );
    assert_eq!(sent[0]["messaging_product"], "whatsapp");
    let reads = || -> Vec<Value> {
        graph
            .bodies()
            .into_iter()
            .filter(|b| b["status"] == "read")
            .collect()
    };
    let reads = poll(
        || format!("messages were not marked read: {:?}", reads()),
        || Some(reads()).filter(|reads| reads.len() == 3),
    );
    let ids: Vec<&str> = reads
        .iter()
        .map(|r| r["message_id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&"wamid.E0") && ids.contains(&"wamid.E2"));
    assert_eq!(server.terminate(), Some(0));
}

#[test]
fn the_handler_gets_every_kind_of_event_with_its_fields_and_no_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let graph = FakeGraph::start();
    let bot = python_bot(
        dir.path(),
        "bot.py",
        r#"
env = {k: v for k, v in os.environ.items()}
for line in sys.stdin:
    ev = json.loads(line)
    secret_seen = any(s in v for v in env.values() for s in ["test-app-secret", "test-verify-token", "EAAG-test-token"])
    print(json.dumps({"to": "4915100000009", "text": json.dumps({"event": ev["event"], "type": ev.get("type"),
        "text": ev.get("text"), "media": ev.get("media"), "worker": env.get("WA_CLOUD_WORKER"),
        "phone": env.get("WA_CLOUD_PHONE_NUMBER_ID"), "secret_seen": secret_seen})}), flush=True)
"#,
    );
    let server = start(
        dir.path(),
        &graph,
        &[bot.to_str().unwrap(), "--events", "message,status"],
    );
    for name in [
        "image.json",
        "location.json",
        "interactive_button_reply.json",
        "status_delivered.json",
    ] {
        assert_eq!(
            server.post(&crate::server::fixture(name)).status,
            200,
            "{name}"
        );
    }
    let got: Vec<Value> = wait_for_messages(&graph, 4, &server)
        .iter()
        .map(|m| serde_json::from_str(m["text"]["body"].as_str().unwrap()).unwrap())
        .collect();
    assert_eq!(got[0]["type"], "image");
    assert_eq!(got[0]["media"]["id"], "1003383421387256");
    assert_eq!(
        (got[1]["type"].as_str(), got[1]["text"].as_str()),
        (Some("location"), Some("Fernsehturm"))
    );
    assert_eq!(got[2]["text"], "Yes, please");
    assert_eq!(got[3]["event"], "status");
    for event in &got {
        assert_eq!(
            event["secret_seen"], false,
            "the handler's environment holds no secret"
        );
        assert_eq!(
            (event["worker"].as_str(), event["phone"].as_str()),
            (Some("0"), Some(PHONE_NUMBER_ID))
        );
    }
}

#[test]
fn a_per_message_shell_bot_answers_the_sender_without_parsing_json() {
    let dir = tempfile::tempdir().unwrap();
    let graph = FakeGraph::start();
    let bot = dir.path().join("bot.sh");
    std::fs::write(
        &bot,
        "#!/bin/sh\ncat > /dev/null\necho '{\"text\":\"got it\"}'\n",
    )
    .unwrap();
    make_executable(&bot);
    let server = start(
        dir.path(),
        &graph,
        &[bot.to_str().unwrap(), "--per-message", "--workers", "2"],
    );
    assert_eq!(
        server
            .post(&text_notification("wamid.P1", "4915100000001", "a"))
            .status,
        200
    );
    assert_eq!(
        server
            .post(&text_notification("wamid.P2", "4915100000002", "b"))
            .status,
        200
    );
    let mut got = texts(&wait_for_messages(&graph, 2, &server));
    got.sort();
    assert_eq!(
        got,
        [
            pair("+4915100000001", "got it"),
            pair("+4915100000002", "got it")
        ]
    );
}

#[test]
fn a_crashing_handler_is_restarted_and_gets_the_event_it_crashed_on_again() {
    let dir = tempfile::tempdir().unwrap();
    let graph = FakeGraph::start();
    let bot = python_bot(
        dir.path(),
        "bot.py",
        r#"
count_file = os.path.join(os.path.dirname(os.path.abspath(__file__)), "count")
for line in sys.stdin:
    ev = json.loads(line)
    n = int(open(count_file).read()) + 1 if os.path.exists(count_file) else 1
    open(count_file, "w").write(str(n))
    if n == 3:
        sys.stderr.write("crashing on purpose\n"); sys.stderr.flush()
        os._exit(3)
    print(json.dumps({"to": ev["from"], "text": ev["text"]}), flush=True)
"#,
    );
    let server = start(dir.path(), &graph, &[bot.to_str().unwrap()]);
    for (i, text) in ["m1", "m2", "m3", "m4", "m5"].iter().enumerate() {
        let notification = text_notification(&format!("wamid.C{i}"), "4915112345678", text);
        assert_eq!(server.post(&notification).status, 200);
    }
    wait_for_messages(&graph, 5, &server);
    server.wait_for_log("exit status: 3");
    let got: Vec<String> = texts(&sent_messages(&graph))
        .into_iter()
        .map(|(_, t)| t)
        .collect();
    assert_eq!(
        got,
        ["m1", "m2", "m3", "m4", "m5"],
        "the message the handler crashed on is handed over again and answered, in order"
    );
    assert!(
        server.stderr().contains("handler[0]: crashing on purpose"),
        "stderr goes to the log, tagged"
    );
}

#[test]
fn garbage_lines_are_logged_and_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let graph = FakeGraph::start();
    let bot = python_bot(
        dir.path(),
        "bot.py",
        r#"
for line in sys.stdin:
    ev = json.loads(line)
    print("this is not json", flush=True)
    print(json.dumps({"txt": "typo"}), flush=True)
    print(json.dumps({"text": "no recipient"}), flush=True)
    print(json.dumps({"to": "12ab", "text": "an invalid recipient"}), flush=True)
    print(json.dumps({"to": ev["from"], "text": "x" * 5000}), flush=True)
    print(json.dumps({"reply_to": ev["id"], "text": "valid"}), flush=True)
"#,
    );
    let server = start(dir.path(), &graph, &[bot.to_str().unwrap()]);
    assert_eq!(
        server
            .post(&text_notification("wamid.G1", "4915112345678", "hi"))
            .status,
        200
    );
    let sent = wait_for_messages(&graph, 1, &server);
    assert_eq!(sent[0]["text"]["body"], "valid");
    assert_eq!(sent[0]["to"], "+4915112345678");
    assert_eq!(sent[0]["context"]["message_id"], "wamid.G1");
    server.wait_for_log("not JSON");
    for reason in ["did you mean `text`", "reply has no recipient", "4096"] {
        server.wait_for_log(reason);
    }
    // The invalid `to` is named as such, not taken for a missing one.
    server.wait_for_log("\"12ab\"");
    assert_eq!(
        server.stderr().matches("reply has no recipient").count(),
        1,
        "{}",
        server.stderr()
    );
    assert_eq!(sent_messages(&graph).len(), 1, "nothing invalid was sent");
}

#[test]
fn graph_errors_retry_when_worth_it_and_become_error_events_when_not() {
    let dir = tempfile::tempdir().unwrap();
    let graph = FakeGraph::start();
    let bot = python_bot(dir.path(), "bot.py", ECHO);
    // Without read marks, which would race the replies for the scripted answers.
    let server = against(dir.path(), &graph)
        .args(&[
            "--handler",
            bot.to_str().unwrap(),
            "--events",
            "message,error",
        ])
        .env("WHATSAPP_CLOUD_MESSAGES_SEQUENTIAL", "false")
        .env("WHATSAPP_CLOUD_MESSAGES_MARK_AS_READ", "false")
        .start();
    graph.then_respond(
        400,
        meta_error(130429, "(#130429) Rate limit hit", "throughput reached"),
    );
    graph.then_respond(503, json!({}));
    assert_eq!(
        server
            .post(&text_notification("wamid.R1", "4915112345678", "retry me"))
            .status,
        200
    );
    wait_for_messages(&graph, 3, &server);
    let attempts: Vec<Value> = sent_messages(&graph);
    assert!(
        attempts
            .iter()
            .all(|m| m["text"]["body"] == "You said: retry me"),
        "{attempts:?}"
    );

    graph.then_respond(
        400,
        meta_error(
            131047,
            "(#131047) Re-engagement message",
            "more than 24 hours",
        ),
    );
    assert_eq!(
        server
            .post(&text_notification("wamid.R2", "4915112345679", "too late"))
            .status,
        200
    );
    let log = dir.path().join("events.log");
    let error = poll(
        || format!("no error event reached the handler:\n{}", server.stderr()),
        || {
            let lines = std::fs::read_to_string(&log).unwrap_or_default();
            let line = lines.lines().find(|l| l.contains("\"event\":\"error\""))?;
            Some(serde_json::from_str::<Value>(line).unwrap())
        },
    );
    assert_eq!(
        (error["code"].as_i64(), error["to"].as_str()),
        (Some(131047), Some("4915112345679"))
    );
    assert_eq!(error["reply"]["text"]["body"], "You said: too late");
    assert_eq!(
        sent_messages(&graph)
            .iter()
            .filter(|m| m["text"]["body"] == "You said: too late")
            .count(),
        1,
        "not retried"
    );
}

/// With sequential sending, the second reply waits for the first one's delivery.
#[test]
fn sequential_sending_waits_for_delivery_of_the_previous_message() {
    let dir = tempfile::tempdir().unwrap();
    let graph = FakeGraph::start();
    let bot = python_bot(
        dir.path(),
        "bot.py",
        r#"
for line in sys.stdin:
    ev = json.loads(line)
    if ev["text"] == "marker":
        print(json.dumps({"to": ev["from"], "text": "marker"}), flush=True)
        continue
    print(json.dumps({"to": ev["from"], "text": "first"}), flush=True)
    print(json.dumps({"to": ev["from"], "text": "second"}), flush=True)
    print(json.dumps({"to": "4915100000077", "text": "other recipient"}), flush=True)
"#,
    );
    let server = against(dir.path(), &graph)
        .args(&["--handler", bot.to_str().unwrap()])
        .env("WHATSAPP_CLOUD_MESSAGES_SEQUENTIAL", "60000")
        .env("WHATSAPP_CLOUD_MESSAGES_MARK_AS_READ", "false")
        .start();
    assert_eq!(
        server
            .post(&text_notification("wamid.S1", "4915112345678", "go"))
            .status,
        200
    );
    let sent = wait_for_messages(&graph, 2, &server);
    let mut first_two = texts(&sent);
    first_two.sort();
    assert_eq!(
        first_two,
        [
            pair("+4915100000077", "other recipient"),
            pair("+4915112345678", "first")
        ],
        "other recipients do not wait"
    );
    // A marker instead of a pause: once "first" is recorded sent, a reply to someone else
    // is written and sent. The outbox hands rows out in order and records their attempts
    // before sending any, so had "second" not been held it would show an attempt by the
    // time the marker arrives.
    let db = rusqlite::Connection::open(dir.path().join("media/media-ids.db")).unwrap();
    let row = |text: &str| -> (String, i64) {
        db.query_row(
            "SELECT state, attempts FROM outbox WHERE body LIKE ?1",
            [format!("%\"{text}\"%")],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap()
    };
    poll(
        || format!("\"first\" is not recorded sent: {:?}", row("first")),
        || (row("first").0 == "sent").then_some(()),
    );
    assert_eq!(
        server
            .post(&text_notification("wamid.S2", "4915100000088", "marker"))
            .status,
        200
    );
    wait_for_messages(&graph, 3, &server);
    assert_eq!(
        row("second"),
        ("pending".to_string(), 0),
        "the second waits for the first's delivery"
    );
    assert_eq!(sent_messages(&graph).len(), 3);

    let first_id = format!(
        "wamid.FAKE{}",
        graph
            .bodies()
            .iter()
            .position(|b| b["text"]["body"] == "first")
            .unwrap()
            + 1
    );
    let status = json!({"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [{"field": "messages", "value": {
        "messaging_product": "whatsapp", "metadata": {"display_phone_number": "1", "phone_number_id": PHONE_NUMBER_ID},
        "statuses": [{"id": first_id, "status": "delivered", "timestamp": "1732612400", "recipient_id": "4915112345678"}]}}]}]});
    assert_eq!(server.post(status.to_string().as_bytes()).status, 200);
    let sent = wait_for_messages(&graph, 4, &server);
    assert_eq!(texts(&sent)[2], pair("+4915100000088", "marker"));
    assert_eq!(texts(&sent)[3], pair("+4915112345678", "second"));
}

#[test]
fn sequential_sending_gives_up_waiting_after_its_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let graph = FakeGraph::start();
    let bot = python_bot(
        dir.path(),
        "bot.py",
        r#"
for line in sys.stdin:
    ev = json.loads(line)
    for text in ["a", "b", "c"]:
        print(json.dumps({"to": ev["from"], "text": text}), flush=True)
"#,
    );
    let server = against(dir.path(), &graph)
        .args(&["--handler", bot.to_str().unwrap()])
        .env("WHATSAPP_CLOUD_MESSAGES_SEQUENTIAL", "200")
        .start();
    assert_eq!(
        server
            .post(&text_notification("wamid.T1", "4915112345678", "go"))
            .status,
        200
    );
    let sent = wait_for_messages(&graph, 3, &server);
    assert_eq!(
        texts(&sent).into_iter().map(|(_, t)| t).collect::<Vec<_>>(),
        ["a", "b", "c"]
    );
    // The cost of each wait is said at the level a user sees, once.
    // Replies are queued per contact, named by their key (the phone, without +).
    server.wait_for_log("to 4915112345678 within 200ms: sending the next message anyway");
    server.wait_for_log("set messages.sequential to false");
    assert_eq!(
        server.stderr().matches("set messages.sequential").count(),
        1,
        "{}",
        server.stderr()
    );
}

#[test]
fn a_handler_that_cannot_run_stops_serve_at_start_up() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("bot.py"), "print('hi')").unwrap();
    let run = crate::harness::wa_cloud(&["serve", "--port", "0", "--handler", "./bot.py"])
        .env("WHATSAPP_CLOUD_WEBHOOKS_SECRET", "s")
        .env("WHATSAPP_CLOUD_GRAPHAPI_ACCESS_TOKEN", TOKEN)
        .env("WHATSAPP_CLOUD_GRAPHAPI_PHONE_NUMBER_ID", PHONE_NUMBER_ID)
        .run();
    run.status(2)
        .stderr_has("`./bot.py` cannot be run: no such file");
}

/// kill -9 in the middle of a burst, then a restart on the same database: every message
/// answered 200 reaches a handler exactly once — the killed server's handler if it was
/// already written to it, else the restarted one's — and the replies of the restarted
/// server go out once each, in order per recipient.
#[test]
fn kill_and_restart_in_a_burst_loses_nothing_and_keeps_order() {
    let dir = tempfile::tempdir().unwrap();
    let graph = FakeGraph::start();
    let bot = python_bot(
        dir.path(),
        "bot.py",
        r#"
log = open(sys.argv[1], "a")
for line in sys.stdin:
    ev = json.loads(line)
    log.write(ev["id"] + "\n"); log.flush()
    print(json.dumps({"to": ev["from"], "text": ev["text"]}), flush=True)
"#,
    );
    let senders = ["4915100000001", "4915100000002", "4915100000003"];
    let first_cmd = format!("{} first.log", bot.display());
    let second_cmd = format!("{} second.log", bot.display());
    let mut server = start(dir.path(), &graph, &[&first_cmd, "--workers", "2"]);
    let mut accepted = Vec::new();
    let mut written_before_kill = Vec::new();
    for i in 0..30 {
        if i == 15 {
            server.kill();
            let db = rusqlite::Connection::open(dir.path().join("media/media-ids.db")).unwrap();
            let mut query = db
                .prepare(
                    "SELECT key FROM inbox WHERE kind = 'message' AND delivered_at IS NOT NULL",
                )
                .unwrap();
            written_before_kill = query
                .query_map([], |row| row.get::<_, String>(0))
                .unwrap()
                .map(Result::unwrap)
                .collect();
            server = start(dir.path(), &graph, &[&second_cmd, "--workers", "2"]);
        }
        let from = senders[i % senders.len()];
        let id = format!("wamid.K{i:02}");
        assert_eq!(
            server
                .post(&text_notification(&id, from, &format!("{from}-{i:02}")))
                .status,
            200
        );
        accepted.push(id);
    }

    let expected: Vec<String> = accepted
        .iter()
        .filter(|id| !written_before_kill.contains(id))
        .cloned()
        .collect();
    assert!(
        expected.len() >= 15,
        "the messages after the restart are all for the new server"
    );
    let log = dir.path().join("second.log");
    let lines = || -> Vec<String> {
        std::fs::read_to_string(&log)
            .unwrap_or_default()
            .lines()
            .map(String::from)
            .collect()
    };
    let mut handed = poll(
        || {
            format!(
                "{} of {} events reached the new handler",
                lines().len(),
                expected.len()
            )
        },
        || Some(lines()).filter(|lines| lines.len() >= expected.len()),
    );
    handed.sort();
    assert_eq!(
        handed, expected,
        "every accepted message not yet written reached the new handler, once"
    );

    let sent = wait_for_messages(&graph, expected.len(), &server);
    let replies = texts(&sent);
    let mut unique = replies.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), replies.len(), "no reply twice: {replies:?}");
    for from in senders {
        let to = format!("+{from}");
        let got: Vec<&String> = replies
            .iter()
            .filter(|(t, _)| *t == to)
            .map(|(_, x)| x)
            .collect();
        let mut sorted = got.clone();
        sorted.sort();
        assert_eq!(got, sorted, "order kept for {to}");
    }
}

/// A bot that answers each event with the name and size of its downloaded media file.
pub(crate) const MEDIA_FILE_BOT: &str = r#"
for line in sys.stdin:
    ev = json.loads(line)
    path = ev["media"].get("file", "")
    size = os.path.getsize(path) if path else -1
    print(json.dumps({"to": ev["from"], "text": "%s %d" % (os.path.basename(path), size)}), flush=True)
"#;

#[test]
fn download_media_puts_the_file_path_in_the_event() {
    let dir = tempfile::tempdir().unwrap();
    let graph = FakeGraph::start();
    let id = graph.add_media(b"\xff\xd8\xff\xe0 a tiny jpeg", "image/jpeg");
    let bot = python_bot(dir.path(), "bot.py", MEDIA_FILE_BOT);
    let server = start(
        dir.path(),
        &graph,
        &[bot.to_str().unwrap(), "--download-media"],
    );
    // Sent now: within the 24-hour window in which a reply is allowed.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        .to_string();
    let notification = json!({"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [{"field": "messages",
        "value": {"messaging_product": "whatsapp", "metadata": {"display_phone_number": "1", "phone_number_id": PHONE_NUMBER_ID},
        "messages": [{"from": "4915112345678", "id": "wamid.IMG", "timestamp": now, "type": "image",
            "image": {"id": id, "mime_type": "image/jpeg", "sha256": "irrelevant"}}]}}]}]});
    assert_eq!(server.post(notification.to_string().as_bytes()).status, 200);
    let sent = wait_for_messages(&graph, 1, &server);
    assert_eq!(sent[0]["text"]["body"], format!("{id}.jpg 16"));
    assert!(dir.path().join("media").join(format!("{id}.jpg")).is_file());
}

/// Posts a `delivered` status for the message the fake answered as its `n`th (1-based).
fn deliver(server: &Server, n: usize, to: &str) {
    let status = json!({"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [{"field": "messages", "value": {
        "messaging_product": "whatsapp", "metadata": {"display_phone_number": "1", "phone_number_id": PHONE_NUMBER_ID},
        "statuses": [{"id": format!("wamid.FAKE{n}"), "status": "delivered", "timestamp": "1732612400", "recipient_id": to}]}}]}]});
    assert_eq!(server.post(status.to_string().as_bytes()).status, 200);
}

#[test]
fn send_beside_a_running_server_joins_its_order() {
    let dir = tempfile::tempdir().unwrap();
    let graph = FakeGraph::start();
    let bot = python_bot(
        dir.path(),
        "bot.py",
        r#"
for line in sys.stdin:
    ev = json.loads(line)
    for text in ["bot one", "bot two"]:
        print(json.dumps({"to": ev["from"], "text": text}), flush=True)
"#,
    );
    let server = against(dir.path(), &graph)
        .args(&["--handler", bot.to_str().unwrap()])
        .env("WHATSAPP_CLOUD_MESSAGES_SEQUENTIAL", "60000")
        .env("WHATSAPP_CLOUD_MESSAGES_MARK_AS_READ", "false")
        .start();
    assert_eq!(
        server
            .post(&text_notification("wamid.Q1", "4915112345678", "hi"))
            .status,
        200
    );
    wait_for_messages(&graph, 1, &server);

    let db = dir.path().join("media/media-ids.db");
    let outbox_rows = |origin: &str| -> i64 {
        let db = rusqlite::Connection::open(&db).unwrap();
        db.query_row(
            "SELECT count(*) FROM outbox WHERE origin = ?1",
            [origin],
            |r| r.get(0),
        )
        .unwrap()
    };
    let wait_until = |what: &str, done: &dyn Fn() -> bool| {
        poll(
            || format!("{what} never happened:\n{}", server.stderr()),
            || done().then_some(()),
        )
    };
    wait_until("both bot replies stored", &|| outbox_rows("handler") == 2);
    let script = crate::harness::wa_cloud_with(
        &graph,
        &[
            "send",
            "--db",
            db.to_str().unwrap(),
            "4915112345678",
            "from a script",
        ],
    );
    let script = std::thread::spawn(move || script.run());
    wait_until("the script's message queued", &|| outbox_rows("send") == 1);
    deliver(&server, 1, "4915112345678");
    wait_for_messages(&graph, 2, &server);
    deliver(&server, 2, "4915112345678");
    let sent = wait_for_messages(&graph, 3, &server);
    let order: Vec<String> = texts(&sent).into_iter().map(|(_, t)| t).collect();
    assert_eq!(order, ["bot one", "bot two", "from a script"]);
    let run = script.join().unwrap();
    run.success().stdout_is("wamid.FAKE3\n");
}

/// With `immediate` on (the default) the first reply deals with an event: a handler that
/// writes a second one is told, once, how to write several replies that a crash cannot cut
/// short; one reply per event is not.
#[test]
fn a_handler_that_writes_two_replies_to_one_event_is_told_to_end_them_with_done() {
    const HINT: &str = "which its first reply already dealt with";
    let dir = tempfile::tempdir().unwrap();
    let graph = FakeGraph::start();
    let bot = python_bot(
        dir.path(),
        "bot.py",
        r#"
for line in sys.stdin:
    ev = json.loads(line)
    print(json.dumps({"to": ev["from"], "reply_to": ev["id"], "text": "1: " + ev["text"]}), flush=True)
    if ev["text"] == "twice":
        print(json.dumps({"to": ev["from"], "reply_to": ev["id"], "text": "2: " + ev["text"]}), flush=True)
"#,
    );
    let server = against(dir.path(), &graph)
        .args(&["--handler", bot.to_str().unwrap()])
        .env("WHATSAPP_CLOUD_MESSAGES_SEQUENTIAL", "false")
        .start();
    let once = text_notification("wamid.ONCE", "4915112345678", "once");
    assert_eq!(server.post(&once).status, 200);
    wait_for_messages(&graph, 1, &server);
    assert!(!server.stderr().contains(HINT), "{}", server.stderr());

    let twice = text_notification("wamid.TWICE", "4915112345678", "twice");
    assert_eq!(server.post(&twice).status, 200);
    server.wait_for_log(HINT);
    let stderr = server.stderr();
    assert!(stderr.contains("event wamid.TWICE"), "{stderr}");
    assert!(stderr.contains("`immediate: false`"), "{stderr}");
    assert!(stderr.contains(r#"{"done":"<event id>"}"#), "{stderr}");
    let sent = wait_for_messages(&graph, 3, &server);
    let got: Vec<String> = texts(&sent).into_iter().map(|(_, t)| t).collect();
    assert_eq!(got, ["1: once", "1: twice", "2: twice"]);
}

/// `immediate: false`: replies wait for `done`; a handler that dies first loses them, and
/// the event is handed to its next start.
#[test]
fn held_replies_are_dropped_on_a_crash_and_the_event_is_handed_over_again() {
    let dir = tempfile::tempdir().unwrap();
    let graph = FakeGraph::start();
    let bot = python_bot(
        dir.path(),
        "bot.py",
        r#"
marker = os.path.join(os.path.dirname(os.path.abspath(__file__)), "crashed-once")
for line in sys.stdin:
    ev = json.loads(line)
    print(json.dumps({"to": ev["from"], "text": "part 1"}), flush=True)
    if not os.path.exists(marker):
        open(marker, "w").close()
        os._exit(1)
    print(json.dumps({"to": ev["from"], "text": "part 2"}), flush=True)
    print(json.dumps({"done": ev["id"]}), flush=True)
"#,
    );
    let server = against(dir.path(), &graph)
        .args(&["--handler", bot.to_str().unwrap()])
        .env("WHATSAPP_CLOUD_MESSAGES_SEQUENTIAL", "false")
        .env("WHATSAPP_CLOUD_IMMEDIATE", "false")
        .start();
    assert_eq!(
        server
            .post(&text_notification("wamid.H1", "4915112345678", "go"))
            .status,
        200
    );
    let sent = wait_for_messages(&graph, 2, &server);
    let got: Vec<String> = texts(&sent).into_iter().map(|(_, t)| t).collect();
    assert_eq!(
        got,
        ["part 1", "part 2"],
        "the first attempt's held reply was dropped"
    );
    server.wait_for_log("dropping 1 replies not yet done");
    // Instead of a pause: only stored replies are ever sent, and the outbox holds exactly
    // the two that were, both sent; the dropped one was never stored.
    // (A reply is marked sent just after the Graph API answered it: wait for that.)
    let db = rusqlite::Connection::open(dir.path().join("media/media-ids.db")).unwrap();
    let stored = || -> Vec<(String, String)> {
        db.prepare("SELECT body, state FROM outbox ORDER BY seq")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    poll(
        || format!("both replies stored and marked sent: {:?}", stored()),
        || {
            let rows = stored();
            (rows.len() == 2 && rows.iter().all(|(_, state)| state == "sent")).then_some(())
        },
    );
    assert_eq!(stored().len(), 2);
    assert_eq!(sent_messages(&graph).len(), 2);
}

#[test]
fn a_handler_whose_interpreter_is_missing_stops_serve_at_start_up() {
    let dir = tempfile::tempdir().unwrap();
    let graph = FakeGraph::start();
    let bot = dir.path().join("bot");
    std::fs::write(&bot, "#!/nonexistent/python9\nprint('hi')\n").unwrap();
    make_executable(&bot);
    let run = crate::harness::wa_cloud_with(
        &graph,
        &["serve", "--port", "0", "--handler", bot.to_str().unwrap()],
    )
    .env("WHATSAPP_CLOUD_WEBHOOKS_SECRET", "s")
    .run();
    run.status(1).stderr_has("cannot start the handler");
}

#[test]
fn a_line_that_is_not_utf8_is_skipped_and_the_next_one_is_sent() {
    let dir = tempfile::tempdir().unwrap();
    let graph = FakeGraph::start();
    let bot = python_bot(
        dir.path(),
        "bot.py",
        r#"
for line in sys.stdin:
    ev = json.loads(line)
    sys.stdout.buffer.write(b"\xff\xfe not utf-8\n"); sys.stdout.flush()
    print(json.dumps({"to": ev["from"], "text": "still here"}), flush=True)
"#,
    );
    let server = start(dir.path(), &graph, &[bot.to_str().unwrap()]);
    assert_eq!(
        server
            .post(&text_notification("wamid.U1", "4915112345678", "hi"))
            .status,
        200
    );
    let sent = wait_for_messages(&graph, 1, &server);
    assert_eq!(sent[0]["text"]["body"], "still here");
    server.wait_for_log("not JSON");
}

/// A reply written after SIGTERM, while the handler finishes, is stored and not lost.
#[test]
fn replies_written_during_shutdown_are_kept() {
    let dir = tempfile::tempdir().unwrap();
    let graph = FakeGraph::start();
    let bot = python_bot(
        dir.path(),
        "bot.py",
        r#"
import time
pending = []
for line in sys.stdin:
    pending.append(json.loads(line))
    open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "got-it"), "w").close()
# End of input: answer what was read, slowly, as a bot finishing its work would.
time.sleep(0.5)
for ev in pending:
    print(json.dumps({"to": ev["from"], "text": "late answer"}), flush=True)
"#,
    );
    let server = start(dir.path(), &graph, &[bot.to_str().unwrap()]);
    assert_eq!(
        server
            .post(&text_notification("wamid.L1", "4915112345678", "hi"))
            .status,
        200
    );
    poll(
        || "the bot never got the event".into(),
        || dir.path().join("got-it").exists().then_some(()),
    );
    assert_eq!(server.terminate(), Some(0));
    let db = rusqlite::Connection::open(dir.path().join("media/media-ids.db")).unwrap();
    let stored: i64 = db
        .query_row(
            "SELECT count(*) FROM outbox WHERE body LIKE '%late answer%'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(
        stored, 1,
        "the reply is stored (and sent now or at the next start)"
    );
}

#[test]
fn a_second_server_on_the_same_database_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let graph = FakeGraph::start();
    let bot = python_bot(dir.path(), "bot.py", ECHO);
    let server = start(dir.path(), &graph, &[bot.to_str().unwrap()]);
    let db = dir.path().join("media/media-ids.db");
    let leased = || {
        let db = rusqlite::Connection::open(&db).ok()?;
        db.query_row("SELECT count(*) FROM server_lease", [], |r| {
            r.get::<_, i64>(0)
        })
        .ok()
    };
    poll(
        || "the server never took the lease".into(),
        || (leased() == Some(1)).then_some(()),
    );
    let args = [
        "serve",
        "--port",
        "0",
        "--db",
        db.to_str().unwrap(),
        "--handler",
        bot.to_str().unwrap(),
    ];
    crate::harness::wa_cloud_with(&graph, &args)
        .env("WHATSAPP_CLOUD_WEBHOOKS_SECRET", "s")
        .run()
        .status(2)
        .stderr_has("another `serve --handler` (pid");
    assert_eq!(server.terminate(), Some(0));
}

/// A handler that stops reading its input neither blocks the server nor its shutdown.
#[test]
fn a_handler_that_does_not_read_is_terminated_at_shutdown() {
    let dir = tempfile::tempdir().unwrap();
    let graph = FakeGraph::start();
    let bot = python_bot(dir.path(), "bot.py", "import time\ntime.sleep(600)\n");
    let server = start(dir.path(), &graph, &[bot.to_str().unwrap()]);
    let text = "x".repeat(1000);
    for i in 0..150 {
        let body = text_notification(&format!("wamid.B{i}"), "4915112345678", &text);
        assert_eq!(server.post(&body).status, 200);
    }
    assert_eq!(
        server.get("/healthz").status,
        200,
        "the server still answers"
    );
    server.wait_for_log("listening");
    assert_eq!(
        server.terminate(),
        Some(0),
        "stopped: input closed, grace, then SIGTERM"
    );
}
