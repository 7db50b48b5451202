//! People as WhatsApp names them since 2026: phone numbers, business-scoped user ids
//! (BSUIDs, `CC.…`), parent BSUIDs (`CC.ENT.…`) and usernames. What `send` and `serve`
//! put on the wire for each, as the fake Graph API received it.

use serde_json::{Value, json};

use crate::fake_graph::FakeGraph;
use crate::handler::{python_bot, start, wait_for_messages};
use crate::harness::{wa_cloud, wa_cloud_with};
use crate::server::fixture;

const BSUID: &str = "DE.1349120865530274191";

/// An echo bot that answers every message to its `from`.
const ECHO_FROM: &str = r#"
for line in sys.stdin:
    ev = json.loads(line)
    if ev["event"] == "message":
        print(json.dumps({"to": ev["from"], "text": "to from"}), flush=True)
        print(json.dumps({"reply_to": ev["id"], "text": "by reply_to"}), flush=True)
"#;

#[test]
fn send_puts_a_user_id_in_recipient_and_a_phone_in_to() {
    for id in ["US.13491208655302741918", "US.ENT.5912873465"] {
        let graph = FakeGraph::start();
        wa_cloud_with(&graph, &["--json", "send", id, "hi"])
            .run()
            .success()
            .stdout_is(&format!("{{\"to\":\"{id}\",\"id\":\"wamid.FAKE1\"}}\n"));
        let body = &graph.bodies()[0];
        assert_eq!(body["recipient"], id, "{body}");
        assert!(
            body.get("to").is_none(),
            "no `to` beside `recipient`: {body}"
        );
    }
    // A `to` or `recipient` pasted with --raw is replaced by the command line's.
    let graph = FakeGraph::start();
    let raw = json!({"recipient": "US.1", "to": "+1555", "type": "text", "text": {"body": "x"}});
    wa_cloud_with(&graph, &["send", BSUID, "--raw", &raw.to_string()])
        .run()
        .success();
    let body = &graph.bodies()[0];
    assert_eq!((&body["recipient"], body.get("to")), (&json!(BSUID), None));
}

#[test]
fn send_refuses_what_is_neither_phone_nor_user_id() {
    let graph = FakeGraph::start();
    wa_cloud_with(&graph, &["send", "US.ENT.", "hi"])
        .run()
        .status(2)
        .stderr_has("business-scoped user id");
    assert!(graph.requests().is_empty());
}

#[test]
fn a_username_only_user_is_answered_through_recipient() {
    let dir = tempfile::tempdir().unwrap();
    let graph = FakeGraph::start();
    let bot = python_bot(dir.path(), "bot.py", ECHO_FROM);
    let server = start(dir.path(), &graph, &[bot.to_str().unwrap()]);
    // Meta's shape, sent now (within the 24-hour window).
    let mut body: Value = serde_json::from_slice(&fixture("text_username_only.json")).unwrap();
    body["entry"][0]["changes"][0]["value"]["messages"][0]["timestamp"] =
        json!(unix_now().to_string());
    assert_eq!(server.post(body.to_string().as_bytes()).status, 200);
    let sent: Vec<Value> = wait_for_messages(&graph, 2, &server);
    for (body, text) in sent.iter().zip(["to from", "by reply_to"]) {
        assert_eq!(body["text"]["body"], text);
        assert_eq!(body["recipient"], BSUID, "{body}");
        assert!(
            body.get("to").is_none(),
            "a user id is never sent in `to`: {body}"
        );
    }
}

/// A notification with one text message, carrying the identifiers given (None: absent,
/// as WhatsApp leaves out the phone of a user with a username), sent now.
fn message_from(wamid: &str, phone: Option<&str>, user_id: Option<&str>, text: &str) -> Vec<u8> {
    message_to(BUSINESS, wamid, phone, user_id, text, 0)
}

const BUSINESS: &str = "106540352242922";

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// [`message_from`] to business number `number`, sent `age` seconds ago.
fn message_to(
    number: &str,
    wamid: &str,
    phone: Option<&str>,
    user_id: Option<&str>,
    text: &str,
    age: u64,
) -> Vec<u8> {
    let now = (unix_now() - age).to_string();
    let mut contact = json!({"profile": {"name": "Dana"}});
    let mut message =
        json!({"id": wamid, "timestamp": now, "type": "text", "text": {"body": text}});
    if let Some(phone) = phone {
        contact["wa_id"] = json!(phone);
        message["from"] = json!(phone);
    }
    if let Some(user_id) = user_id {
        contact["user_id"] = json!(user_id);
        message["from_user_id"] = json!(user_id);
    }
    json!({"object": "whatsapp_business_account", "entry": [{"id": "102290129340398", "changes": [{
        "field": "messages", "value": {"messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550783881", "phone_number_id": number},
        "contacts": [contact], "messages": [message]}}]}]})
    .to_string()
    .into_bytes()
}

/// serve's worker choice (FNV-1a of the key, modulo the workers), to pick identifiers
/// that would land on different workers if they were keyed apart.
fn worker_of(key: &str, workers: u64) -> u64 {
    let hash = key.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    });
    hash % workers
}

/// A user id that serve's `workers` workers key apart from `phone`: a test that keeps a
/// person on one worker fails unless their contact key holds.
pub(crate) fn user_id_on_another_worker(phone: &str, workers: u64) -> String {
    (0..)
        .map(|n| format!("DE.{n}7349120865530"))
        .find(|id| worker_of(id, workers) != worker_of(phone, workers))
        .unwrap()
}

#[test]
fn a_user_whose_phone_disappears_keeps_their_worker_and_their_queue() {
    const PHONE: &str = "4915112345678";
    let user_id = user_id_on_another_worker(PHONE, 4);
    let dir = tempfile::tempdir().unwrap();
    let graph = FakeGraph::start();
    let bot = python_bot(
        dir.path(),
        "bot.py",
        r#"
here = os.path.dirname(os.path.abspath(__file__))
log = open(os.path.join(here, "workers.log"), "a")
events = open(os.path.join(here, "events.log"), "a")
for line in sys.stdin:
    ev = json.loads(line)
    log.write(os.environ["WA_CLOUD_WORKER"] + " " + ev["id"] + "\n"); log.flush()
    events.write(line); events.flush()
    print(json.dumps({"to": ev["from"], "text": "re " + ev["text"]}), flush=True)
"#,
    );
    let server = start(
        dir.path(),
        &graph,
        &[bot.to_str().unwrap(), "--workers", "4"],
    );
    // First known by phone only (as before 2026), then with a user id, then by it alone.
    let posts = [
        message_from("wamid.1", Some(PHONE), None, "one"),
        message_from("wamid.2", Some(PHONE), Some(&user_id), "two"),
        message_from("wamid.3", None, Some(&user_id), "three"),
    ];
    for (i, body) in posts.iter().enumerate() {
        assert_eq!(server.post(body).status, 200);
        // One at a time: the contact is filed by the time the next arrives.
        wait_for_messages(&graph, i + 1, &server);
    }
    let log = std::fs::read_to_string(dir.path().join("workers.log")).unwrap();
    // The events name the key the person was first filed under.
    let events = std::fs::read_to_string(dir.path().join("events.log")).unwrap();
    let keys: Vec<Value> = events
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap()["contact"].clone())
        .collect();
    assert_eq!(keys, [json!(PHONE), json!(PHONE), json!(PHONE)]);
    let workers: std::collections::HashSet<&str> =
        log.lines().map(|l| l.split(' ').next().unwrap()).collect();
    assert_eq!(workers.len(), 1, "one worker for one person: {log}");
    let sent = wait_for_messages(&graph, 3, &server);
    for body in &sent {
        // Named by their user id in the last reply, they are sent to their known phone.
        assert_eq!(body["to"], format!("+{PHONE}"), "{body}");
        assert!(body.get("recipient").is_none(), "{body}");
    }
    let db = rusqlite::Connection::open(dir.path().join("media/media-ids.db")).unwrap();
    let queues: Vec<String> = db
        .prepare("SELECT DISTINCT recipient FROM outbox")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(queues, [PHONE], "one queue for one person");
}

#[test]
fn contacts_follow_a_number_change_and_show_the_window() {
    let dir = tempfile::tempdir().unwrap();
    let server = crate::server::Options::new(dir.path()).start();
    assert_eq!(
        server
            .post(&message_from(
                "wamid.1",
                Some("4915112345678"),
                Some("DE.77"),
                "hi"
            ))
            .status,
        200
    );
    server.events(1);
    assert_eq!(
        server
            .post(&fixture("system_user_changed_number.json"))
            .status,
        200
    );
    server.events(1);
    let db = dir.path().join("media/media-ids.db");
    let contacts = |args: &[&str]| {
        let mut all = vec!["contacts"];
        all.extend_from_slice(args);
        all.extend_from_slice(&["--db", db.to_str().unwrap()]);
        wa_cloud(&all).run()
    };
    let shown = contacts(&["show", "4915187654321", "--json"]);
    shown.success();
    let contact: Value = serde_json::from_str(shown.stdout.trim()).unwrap();
    assert_eq!(contact["contact"], "DE.77", "{contact}");
    assert_eq!(
        contact["phone"], "4915187654321",
        "the new number: {contact}"
    );
    assert_eq!(contact["name"], "Dana");
    let window = contact["numbers"][0]["window_left"].as_i64().unwrap();
    assert!(
        (24 * 3600 - 120..=24 * 3600).contains(&window),
        "a message just now leaves the whole window: {contact}"
    );
    contacts(&[])
        .success()
        .stdout_has("DE.77\t4915187654321\tDE.77\t-\tDana\t106540352242922: open, 2");
    contacts(&["show", "US.404"])
        .status(1)
        .stderr_has("no contact \"US.404\"");
    assert_eq!(server.terminate(), Some(0));
}

#[test]
fn two_business_numbers_are_answered_each_from_their_own() {
    const OTHER: &str = "220000000000001";
    let dir = tempfile::tempdir().unwrap();
    let graph = FakeGraph::start();
    let bot = python_bot(dir.path(), "bot.py", ECHO_FROM);
    let server = start(dir.path(), &graph, &[bot.to_str().unwrap()]);
    let posts = [
        message_to(BUSINESS, "wamid.A", Some("4915100000001"), None, "a", 0),
        message_to(OTHER, "wamid.B", Some("4915100000002"), None, "b", 0),
    ];
    for body in &posts {
        assert_eq!(server.post(body).status, 200);
    }
    wait_for_messages(&graph, 4, &server);
    // Each reply (by `to` and by `reply_to`) and each read mark through the number written to.
    let reads = |requests: &[crate::fake_graph::Recorded]| {
        requests
            .iter()
            .filter(|r| r.json()["status"] == "read")
            .count()
    };
    let requests = crate::harness::poll(
        || format!("no read marks: {:?}", graph.bodies()),
        || {
            let requests = graph.requests_to("POST", "/messages");
            (reads(&requests) == 2).then_some(requests)
        },
    );
    for request in &requests {
        let body = request.json();
        assert!(
            body.get("from").is_none(),
            "wa-cloud's `from` is not sent: {body}"
        );
        let who = body["to"].as_str().unwrap_or_default().to_string()
            + body["message_id"].as_str().unwrap_or_default();
        let number = if who.contains("4915100000001") || who == "wamid.A" {
            BUSINESS
        } else {
            OTHER
        };
        assert_eq!(request.path, format!("/v25.0/{number}/messages"), "{body}");
    }
}

#[test]
fn send_from_goes_through_that_number() {
    let graph = FakeGraph::start();
    wa_cloud_with(
        &graph,
        &["send", "4915112345678", "hi", "--from", "220000000000001"],
    )
    .run()
    .success();
    let requests = graph.requests();
    assert_eq!(requests[0].path, "/v25.0/220000000000001/messages");
    assert!(requests[0].json().get("from").is_none());
    wa_cloud_with(&graph, &["send", "4915112345678", "hi", "--from", "+1 555"])
        .run()
        .status(2)
        .stderr_has("not a phone number id");
}

#[test]
fn a_reply_outside_the_window_fails_before_any_request_and_a_template_goes_out() {
    let dir = tempfile::tempdir().unwrap();
    let graph = FakeGraph::start();
    let bot = python_bot(
        dir.path(),
        "bot.py",
        r#"
errors = open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "errors.log"), "a")
for line in sys.stdin:
    ev = json.loads(line)
    if ev["event"] == "error":
        errors.write(line); errors.flush()
    elif ev["event"] == "message":
        print(json.dumps({"to": ev["from"], "text": "too late"}), flush=True)
        print(json.dumps({"to": ev["from"], "template": {"name": "hello_world", "language": "en_US"}}), flush=True)
"#,
    );
    let server = start(
        dir.path(),
        &graph,
        &[bot.to_str().unwrap(), "--events", "message,error"],
    );
    let old = message_to(
        BUSINESS,
        "wamid.OLD",
        Some("4915112345678"),
        None,
        "hello?",
        25 * 3600,
    );
    assert_eq!(server.post(&old).status, 200);
    let sent = wait_for_messages(&graph, 1, &server);
    let error = crate::harness::poll(
        || format!("no error event\n{}", server.stderr()),
        || {
            let log = std::fs::read_to_string(dir.path().join("errors.log")).ok()?;
            log.lines()
                .next()
                .map(|l| serde_json::from_str::<Value>(l).unwrap())
        },
    );
    assert_eq!(error["code"], 131047, "{error}");
    assert_eq!(error["reply"]["text"]["body"], "too late");
    assert!(
        error["reply"].get("wa_cloud_window_closed").is_none(),
        "{error}"
    );
    server.wait_for_log("24 h");
    let kinds: Vec<&Value> = sent.iter().map(|m| &m["type"]).collect();
    assert_eq!(kinds, [&json!("template")], "the text was never requested");
    assert_eq!(sent_now(&graph), 1);

    // `send` on that database only warns, and sends.
    assert_eq!(server.terminate(), Some(0));
    let db = dir.path().join("media/media-ids.db");
    wa_cloud_with(
        &graph,
        &["send", "4915112345678", "hi", "--db", db.to_str().unwrap()],
    )
    .run()
    .success()
    .stderr_has("WhatsApp refuses free-form messages after 24 h")
    .stderr_has("--template");
    assert_eq!(sent_now(&graph), 2);
}

fn sent_now(graph: &FakeGraph) -> usize {
    crate::handler::sent_messages(graph).len()
}

#[test]
fn dev_chats_as_a_username_only_user() {
    let bot = r#"#!/usr/bin/env python3
import json, sys
for line in sys.stdin:
    ev = json.loads(line)
    if ev["event"] == "message":
        who = "@%s %s phone=%s" % (ev.get("username"), ev.get("user_id"), ev.get("phone"))
        print(json.dumps({"to": ev["from"], "text": who}), flush=True)
"#;
    // The user id of --username is derived from the name, the same in every run.
    let script = "hi\nexpect: @carla.k US.17012420562100824556 phone=None\n/as US.ENT.5912873465\nagain\n\
                  expect: @carla.k US.ENT.5912873465 phone=None\n";
    let room = wa_cloud(&[
        "dev",
        "--handler",
        "python3 bot.py",
        "--username",
        "carla.k",
        "--script",
        "chat.txt",
    ])
    .file("bot.py", bot)
    .file("chat.txt", script);
    let run = room.run();
    // The local Graph API refuses a user id in `to`: the answers prove `recipient`.
    run.success()
        .stdout_has("✓ expect: @carla.k US.17012420562100824556 phone=None")
        .stdout_has("✓ expect: @carla.k US.ENT.5912873465 phone=None");
}

#[test]
fn check_window_false_sends_a_late_reply() {
    let dir = tempfile::tempdir().unwrap();
    let graph = FakeGraph::start();
    let bot = python_bot(dir.path(), "bot.py", ECHO_FROM);
    let server = crate::handler::against(dir.path(), &graph)
        .args(&["--handler", bot.to_str().unwrap()])
        .env("WHATSAPP_CLOUD_MESSAGES_SEQUENTIAL", "false")
        .env("WHATSAPP_CLOUD_MESSAGES_CHECK_WINDOW", "false")
        .start();
    let old = message_to(
        BUSINESS,
        "wamid.OLD",
        Some("4915112345678"),
        None,
        "hello?",
        25 * 3600,
    );
    assert_eq!(server.post(&old).status, 200);
    let sent = wait_for_messages(&graph, 2, &server);
    assert!(
        sent.iter()
            .all(|m| m["type"] == "text" && m.get("wa_cloud_window_closed").is_none())
    );
}
