//! Several business numbers in one `serve` (`graphApi.numbers`): each number's own access
//! token and rate ceiling, and the allow-list of numbers whose events are handed over.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::fake_graph::FakeGraph;
use crate::handler::{MEDIA_FILE_BOT, against, python_bot, sent_messages};
use crate::harness::{PHONE_NUMBER_ID, TOKEN, poll, wa_cloud_with};
use crate::identity::user_id_on_another_worker;

/// A second business number, with a token and a ceiling of its own in the tests.
const SLOW: &str = "220000000000001";
const SLOW_TOKEN: &str = "EAAG-slow-number-token-do-not-print";

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// A notification with one text message from `phone` to business number `number`, sent now.
fn message_to(number: &str, wamid: &str, phone: &str, text: &str) -> Vec<u8> {
    message_by(number, wamid, Some(phone), None, text)
}

/// A text message sent now to `number` by someone named by `phone` or `user_id` or both
/// (None: absent, as WhatsApp leaves out the phone of a user with a username).
fn message_by(
    number: &str,
    wamid: &str,
    phone: Option<&str>,
    user_id: Option<&str>,
    text: &str,
) -> Vec<u8> {
    let mut contact = json!({"profile": {"name": "Dana"}});
    let mut message = json!({"id": wamid, "timestamp": unix_now().to_string(), "type": "text",
                             "text": {"body": text}});
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

#[test]
fn each_number_sends_with_its_own_token_and_under_its_own_ceiling() {
    const REPLIES: usize = 5;
    let dir = tempfile::tempdir().unwrap();
    let graph = FakeGraph::start();
    // Five replies to each message; the environment it was given, for the secrets check.
    let bot = python_bot(
        dir.path(),
        "bot.py",
        &format!(
            r#"
here = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(here, "env.txt"), "w") as f:
    f.write(repr(dict(os.environ)))
for line in sys.stdin:
    ev = json.loads(line)
    for i in range({REPLIES}):
        print(json.dumps({{"to": ev["from"], "text": ev["text"] + " " + str(i)}}), flush=True)
"#
        ),
    );
    let numbers =
        json!({ SLOW: {"accessToken": SLOW_TOKEN, "maxPerSecond": 1}, PHONE_NUMBER_ID: null });
    let server = against(dir.path(), &graph)
        .args(&["--handler", bot.to_str().unwrap()])
        .env("WHATSAPP_CLOUD_MESSAGES_SEQUENTIAL", "false")
        .env("WHATSAPP_CLOUD_GRAPHAPI_NUMBERS", numbers.to_string())
        .start();
    assert_eq!(
        server
            .post(&message_to(SLOW, "wamid.S", "4915100000001", "slow"))
            .status,
        200
    );
    assert_eq!(
        server
            .post(&message_to(
                PHONE_NUMBER_ID,
                "wamid.F",
                "4915100000002",
                "fast"
            ))
            .status,
        200
    );
    let requests = poll(
        || format!("{:?}\n{}", graph.bodies(), server.stderr()),
        || {
            let requests = graph.requests_to("POST", "/messages");
            let replies = requests
                .iter()
                .filter(|r| r.json()["type"] == "text")
                .count();
            let reads = requests
                .iter()
                .filter(|r| r.json()["status"] == "read")
                .count();
            (replies == 2 * REPLIES && reads == 2).then_some(requests)
        },
    );
    // Every call through the slow number carries its token, every other the default one.
    for request in &requests {
        let body = request.json();
        let (number, token) = if request.path.contains(SLOW) {
            (SLOW, SLOW_TOKEN)
        } else {
            (PHONE_NUMBER_ID, TOKEN)
        };
        assert_eq!(request.path, format!("/v25.0/{number}/messages"), "{body}");
        assert_eq!(
            request.header("authorization"),
            format!("Bearer {token}"),
            "{body}"
        );
    }
    let replies_through = |number: &str| -> Vec<Instant> {
        requests
            .iter()
            .filter(|r| r.path.contains(number) && r.json()["type"] == "text")
            .map(|r| r.at)
            .collect()
    };
    let (slow, fast) = (replies_through(SLOW), replies_through(PHONE_NUMBER_ID));
    assert_eq!((slow.len(), fast.len()), (REPLIES, REPLIES));
    // One a second, after a burst of one: five replies take four seconds at least.
    let slow_span = *slow.last().unwrap() - slow[0];
    assert!(
        slow_span >= Duration::from_millis(3500),
        "the slow number's ceiling did not hold: {slow_span:?}"
    );
    // The other number did not wait for it: all its replies were out before the slow
    // number's last one.
    assert!(
        fast.iter().all(|at| at < slow.last().unwrap()),
        "the default number waited for the slow one"
    );
    let texts: Vec<Value> = sent_messages(&graph)
        .iter()
        .filter(|m| m["text"]["body"].as_str().unwrap().starts_with("slow"))
        .map(|m| m["text"]["body"].clone())
        .collect();
    assert_eq!(
        texts,
        (0..REPLIES)
            .map(|i| json!(format!("slow {i}")))
            .collect::<Vec<_>>(),
        "in order"
    );
    let env = std::fs::read_to_string(dir.path().join("env.txt")).unwrap();
    assert!(
        !env.contains(SLOW_TOKEN) && !env.contains(TOKEN),
        "a token reached the handler: {env}"
    );
    assert!(!server.stderr().contains(SLOW_TOKEN));
    assert_eq!(server.terminate(), Some(0));
}

#[test]
fn send_from_a_number_uses_its_token_and_config_masks_it() {
    let graph = FakeGraph::start();
    let numbers = json!({ SLOW: {"accessToken": SLOW_TOKEN} }).to_string();
    wa_cloud_with(&graph, &["send", "4915112345678", "hi", "--from", SLOW])
        .env("WHATSAPP_CLOUD_GRAPHAPI_NUMBERS", &numbers)
        .run()
        .success();
    wa_cloud_with(&graph, &["send", "4915112345678", "hi"])
        .env("WHATSAPP_CLOUD_GRAPHAPI_NUMBERS", &numbers)
        .run()
        .success();
    let requests = graph.requests();
    assert_eq!(
        (
            requests[0].path.as_str(),
            requests[0].header("authorization")
        ),
        (
            format!("/v25.0/{SLOW}/messages").as_str(),
            format!("Bearer {SLOW_TOKEN}").as_str()
        )
    );
    assert_eq!(
        requests[1].header("authorization"),
        format!("Bearer {TOKEN}")
    );
    let shown = wa_cloud_with(&graph, &["config"])
        .env("WHATSAPP_CLOUD_GRAPHAPI_NUMBERS", &numbers)
        .run();
    shown
        .success()
        .stdout_has(&format!(r#"{{"{SLOW}":{{"accessToken":"********"}}}}"#))
        .stdout_has("env WHATSAPP_CLOUD_GRAPHAPI_NUMBERS");
    assert!(!shown.stdout.contains(SLOW_TOKEN), "{}", shown.stdout);
    // A misspelt setting is refused before anything is sent, without showing the token.
    let refused = wa_cloud_with(&graph, &["send", "4915112345678", "hi"])
        .env(
            "WHATSAPP_CLOUD_GRAPHAPI_NUMBERS",
            &json!({ SLOW: {"acessToken": SLOW_TOKEN} }).to_string(),
        )
        .run();
    refused
        .status(2)
        .stderr_has("`graphApi.numbers`")
        .stderr_has("acessToken");
    assert!(!refused.stderr.contains(SLOW_TOKEN));
    assert_eq!(graph.requests().len(), 2);
}

#[test]
fn events_for_a_number_not_listed_are_stored_but_not_handed_over() {
    const STRANGER: &str = "990000000000009";
    let dir = tempfile::tempdir().unwrap();
    let graph = FakeGraph::start();
    let bot = python_bot(
        dir.path(),
        "bot.py",
        r#"
log = open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "events.log"), "a")
for line in sys.stdin:
    log.write(line); log.flush()
    ev = json.loads(line)
    print(json.dumps({"to": ev["from"], "text": "re " + ev["text"]}), flush=True)
"#,
    );
    // A list of ids: SLOW, and the default number, which is always allowed.
    let server = against(dir.path(), &graph)
        .args(&["--handler", bot.to_str().unwrap()])
        .env("WHATSAPP_CLOUD_MESSAGES_SEQUENTIAL", "false")
        .env("WHATSAPP_CLOUD_GRAPHAPI_NUMBERS", SLOW)
        .start();
    let posts = [
        message_to(STRANGER, "wamid.X", "4915100000009", "stranger"),
        message_to(SLOW, "wamid.S", "4915100000001", "listed"),
        message_to(PHONE_NUMBER_ID, "wamid.D", "4915100000002", "default"),
    ];
    for body in &posts {
        assert_eq!(server.post(body).status, 200);
    }
    let log = dir.path().join("events.log");
    let handed = |log: &std::path::Path| -> Vec<String> {
        std::fs::read_to_string(log)
            .unwrap_or_default()
            .lines()
            .map(|l| {
                serde_json::from_str::<Value>(l).unwrap()["id"]
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .collect()
    };
    // Events are handed over in the order they were stored: the two after the stranger's
    // reached the handler, so the stranger's was passed over, not delayed.
    poll(
        || server.stderr(),
        || (handed(&log).len() >= 2).then_some(()),
    );
    assert_eq!(handed(&log), ["wamid.S", "wamid.D"]);
    server
        .wait_for_log("came to business number 990000000000009, which is not in graphApi.numbers");
    server.wait_for_log("wa-cloud inbox retry 1");
    let db = dir.path().join("media/media-ids.db");
    let inbox = |args: &[&str]| {
        let mut all = vec!["inbox"];
        all.extend_from_slice(args);
        all.extend_from_slice(&["--db", db.to_str().unwrap()]);
        crate::harness::wa_cloud(&all).run()
    };
    let parked = inbox(&["parked", "--json"]);
    parked.success();
    let lines: Vec<Value> = parked
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 1, "{}", parked.stdout);
    assert_eq!(lines[0]["event"]["id"], "wamid.X");
    assert_eq!(lines[0]["event"]["phone_number_id"], STRANGER);
    assert!(
        lines[0]["why"]
            .as_str()
            .unwrap()
            .contains("not in graphApi.numbers"),
        "{}",
        lines[0]
    );
    // Neither answered nor marked read.
    let to_stranger = |graph: &FakeGraph| {
        graph
            .requests_to("POST", "/messages")
            .iter()
            .filter(|r| r.path.contains(STRANGER))
            .count()
    };
    crate::handler::wait_for_messages(&graph, 2, &server);
    assert_eq!(to_stranger(&graph), 0);
    // Handed over on request.
    inbox(&["retry", "1"]).success();
    poll(
        || server.stderr(),
        || (handed(&log).len() >= 3).then_some(()),
    );
    assert_eq!(handed(&log)[2], "wamid.X");
    assert_eq!(server.terminate(), Some(0));
}

#[test]
fn one_person_seen_by_phone_and_by_user_id_apart_becomes_one_contact() {
    const PHONE: &str = "4915112345678";
    let user_id = user_id_on_another_worker(PHONE, 4);
    let dir = tempfile::tempdir().unwrap();
    let graph = FakeGraph::start();
    let bot = python_bot(
        dir.path(),
        "bot.py",
        r#"
here = os.path.dirname(os.path.abspath(__file__))
log = open(os.path.join(here, "events.log"), "a")
for line in sys.stdin:
    ev = json.loads(line)
    log.write(os.environ["WA_CLOUD_WORKER"] + " " + line); log.flush()
    print(json.dumps({"to": ev["from"], "text": "re " + ev["text"]}), flush=True)
"#,
    );
    let server = against(dir.path(), &graph)
        .args(&["--handler", bot.to_str().unwrap(), "--workers", "4"])
        .env("WHATSAPP_CLOUD_MESSAGES_SEQUENTIAL", "false")
        .start();
    // By phone only (as before 2026), then by user id only: nothing links them yet, so
    // two contacts. Then one message names both, and after it each alone.
    let posts = [
        message_by(PHONE_NUMBER_ID, "wamid.1", Some(PHONE), None, "one"),
        message_by(PHONE_NUMBER_ID, "wamid.2", None, Some(&user_id), "two"),
        message_by(
            PHONE_NUMBER_ID,
            "wamid.3",
            Some(PHONE),
            Some(&user_id),
            "three",
        ),
        message_by(PHONE_NUMBER_ID, "wamid.4", None, Some(&user_id), "four"),
        message_by(PHONE_NUMBER_ID, "wamid.5", Some(PHONE), None, "five"),
    ];
    for (i, body) in posts.iter().enumerate() {
        assert_eq!(server.post(body).status, 200);
        crate::handler::wait_for_messages(&graph, i + 1, &server);
    }
    let log = std::fs::read_to_string(dir.path().join("events.log")).unwrap();
    let handed: Vec<(String, Value)> = log
        .lines()
        .map(|l| {
            let (worker, event) = l.split_once(' ').unwrap();
            (worker.to_string(), serde_json::from_str(event).unwrap())
        })
        .collect();
    let keys: Vec<&Value> = handed.iter().map(|(_, e)| &e["contact"]).collect();
    assert_eq!(
        keys,
        [
            &json!(PHONE),
            &json!(user_id),
            &json!(PHONE),
            &json!(PHONE),
            &json!(PHONE)
        ],
        "the second was a stranger then; from the third on, one person under the first key"
    );
    let first_worker = &handed[0].0;
    for (worker, event) in &handed[2..] {
        assert_eq!(worker, first_worker, "the worker of the first key: {event}");
    }
    assert_ne!(
        &handed[1].0, first_worker,
        "the test needs keys on different workers"
    );
    // The replies after the merge share the first key's queue, and go to the phone.
    let db = rusqlite::Connection::open(dir.path().join("media/media-ids.db")).unwrap();
    let queues: Vec<(String, String)> = db
        .prepare("SELECT recipient, json_extract(body, '$.text.body') FROM outbox ORDER BY seq")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let after_merge: Vec<&str> = queues[2..].iter().map(|(q, _)| q.as_str()).collect();
    assert_eq!(after_merge, [PHONE, PHONE, PHONE], "{queues:?}");
    for body in &sent_messages(&graph)[2..] {
        assert_eq!(body["to"], format!("+{PHONE}"), "{body}");
    }
    let listed = crate::harness::wa_cloud(&[
        "contacts",
        "--json",
        "--db",
        dir.path().join("media/media-ids.db").to_str().unwrap(),
    ])
    .run();
    listed.success();
    let contacts: Vec<Value> = listed
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(contacts.len(), 1, "{}", listed.stdout);
    assert_eq!(
        (
            &contacts[0]["contact"],
            &contacts[0]["phone"],
            &contacts[0]["user_id"]
        ),
        (&json!(PHONE), &json!(PHONE), &json!(user_id))
    );
    assert_eq!(server.terminate(), Some(0));
}

/// The two business numbers of `dev`'s chat in [`two_number_chat`].
const FIRST: &str = "100000000000001";
const SECOND: &str = "100000000000007";

/// `dev --script` with `bot` and two business numbers.
fn two_number_chat(bot: &str, script: &str) -> crate::harness::Run {
    crate::harness::wa_cloud(&[
        "dev",
        "--handler",
        "python3 bot.py",
        "--phone-number-id",
        FIRST,
        "--phone-number-id",
        SECOND,
        "--script",
        "chat.txt",
    ])
    .file("bot.py", bot)
    .file("chat.txt", script)
    .run()
}

#[test]
fn dev_chats_with_two_business_numbers() {
    // The bot says which number each message came to; serve answers from that number.
    let bot = r#"#!/usr/bin/env python3
import json, sys
for line in sys.stdin:
    ev = json.loads(line)
    if ev["event"] == "message":
        print(json.dumps({"to": ev["from"], "text": "to " + ev["phone_number_id"]}), flush=True)
        print(json.dumps({"reply_to": ev["id"], "text": "again " + ev["phone_number_id"]}), flush=True)
"#;
    let script = format!(
        "hi\nexpect: to {FIRST}\nexpect: again {FIRST}\n/to {SECOND}\nhello\nexpect: to {SECOND}\n\
         expect: again {SECOND}\n/to {FIRST}\nback\nexpect: to {FIRST}\nexpect: again {FIRST}\n"
    );
    let run = two_number_chat(bot, &script);
    run.success()
        .stdout_has(&format!(
            "> /to {SECOND}\n  (now writing to business number {SECOND})\n> hello\n< to {SECOND} (from {SECOND})\n"
        ))
        .stdout_has(&format!("< again {SECOND} (from {SECOND})\n"))
        .stdout_has(&format!("> back\n< to {FIRST} (from {FIRST})\n"));

    // A number the chat does not have is refused, naming those it has.
    let run = two_number_chat(bot, "/to 123\n");
    run.status(1).stdout_has(&format!(
        "/to 123: not a business number of this chat, which has {FIRST}, {SECOND}"
    ));
    // Other commands take one number.
    crate::harness::wa_cloud(&[
        "send",
        "4915112345678",
        "hi",
        "--phone-number-id",
        FIRST,
        "--phone-number-id",
        SECOND,
    ])
    .run()
    .status(2)
    .stderr_has("only `wa-cloud dev` simulates several business numbers");
}

const JPEG: &[u8] = b"\xff\xd8\xff\xe0\0\x10JFIF\0";

/// A notification with one image message (media `id`) from `phone` to business number
/// `number`, sent now.
fn image_to(number: &str, wamid: &str, phone: &str, id: &str) -> Vec<u8> {
    json!({"object": "whatsapp_business_account", "entry": [{"id": "102290129340398", "changes": [{
        "field": "messages", "value": {"messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550783881", "phone_number_id": number},
        "contacts": [{"profile": {"name": "Dana"}, "wa_id": phone}],
        "messages": [{"from": phone, "id": wamid, "timestamp": unix_now().to_string(),
            "type": "image", "image": {"id": id, "mime_type": "image/jpeg", "sha256": "x"}}]}}]}]})
    .to_string()
    .into_bytes()
}

/// The number and token a call went out through, from its path and Authorization.
fn through(request: &crate::fake_graph::Recorded) -> (&'static str, &'static str) {
    match request.header("authorization").strip_prefix("Bearer ") {
        Some(SLOW_TOKEN) => (SLOW, SLOW_TOKEN),
        Some(TOKEN) => (PHONE_NUMBER_ID, TOKEN),
        other => panic!("{} carried {other:?}", request.path),
    }
}

#[test]
fn a_file_in_a_reply_goes_up_through_the_number_the_reply_goes_out_from() {
    let dir = tempfile::tempdir().unwrap();
    let graph = FakeGraph::start();
    std::fs::write(dir.path().join("cat.jpg"), JPEG).unwrap();
    // The same file in the answer to each message: once through each number.
    let bot = python_bot(
        dir.path(),
        "bot.py",
        r#"
here = os.path.dirname(os.path.abspath(__file__))
for line in sys.stdin:
    ev = json.loads(line)
    print(json.dumps({"to": ev["from"], "image": {"file": os.path.join(here, "cat.jpg")}}), flush=True)
"#,
    );
    let numbers = json!({ SLOW: {"accessToken": SLOW_TOKEN} });
    let server = against(dir.path(), &graph)
        .args(&["--handler", bot.to_str().unwrap()])
        .env("WHATSAPP_CLOUD_GRAPHAPI_NUMBERS", numbers.to_string())
        .start();
    let post = |body: &[u8]| assert_eq!(server.post(body).status, 200);
    post(&message_to(SLOW, "wamid.S", "4915100000001", "a"));
    post(&message_to(
        PHONE_NUMBER_ID,
        "wamid.F",
        "4915100000002",
        "b",
    ));
    let images = poll(
        || format!("{:?}\n{}", graph.requests(), server.stderr()),
        || {
            let images: Vec<_> = graph
                .requests_to("POST", "/messages")
                .into_iter()
                .filter(|r| r.json()["type"] == "image")
                .collect();
            (images.len() == 2).then_some(images)
        },
    );
    let uploads = graph.requests_to("POST", "/media");
    let mut seen: Vec<_> = uploads
        .iter()
        .map(|u| (u.path.clone(), through(u)))
        .collect();
    seen.sort();
    assert_eq!(
        seen,
        [
            (
                format!("/v25.0/{PHONE_NUMBER_ID}/media"),
                (PHONE_NUMBER_ID, TOKEN)
            ),
            (format!("/v25.0/{SLOW}/media"), (SLOW, SLOW_TOKEN)),
        ],
        "one upload through each number, with its token"
    );
    // Each message carries the id uploaded through its own number: the cached upload of
    // the other number is not reused.
    for image in &images {
        let (number, _) = through(image);
        assert_eq!(image.path, format!("/v25.0/{number}/messages"));
        assert!(image.json()["image"]["id"].is_string(), "{}", image.json());
    }
    assert_ne!(
        images[0].json()["image"]["id"],
        images[1].json()["image"]["id"]
    );
    assert!(!server.stderr().contains(SLOW_TOKEN));
    assert_eq!(server.terminate(), Some(0));
}

#[test]
fn download_media_fetches_with_the_token_of_the_number_the_event_came_to() {
    let dir = tempfile::tempdir().unwrap();
    let graph = FakeGraph::start();
    let to_slow = graph.add_media(JPEG, "image/jpeg");
    let other: &[u8] = b"\xff\xd8\xff\xe0 another jpeg";
    let to_default = graph.add_media(other, "image/jpeg");
    let bot = python_bot(dir.path(), "bot.py", MEDIA_FILE_BOT);
    let numbers = json!({ SLOW: {"accessToken": SLOW_TOKEN} });
    let server = against(dir.path(), &graph)
        .args(&["--handler", bot.to_str().unwrap(), "--download-media"])
        .env("WHATSAPP_CLOUD_GRAPHAPI_NUMBERS", numbers.to_string())
        .env("WHATSAPP_CLOUD_MESSAGES_MARK_AS_READ", "false")
        .start();
    let post = |body: &[u8]| assert_eq!(server.post(body).status, 200);
    post(&image_to(SLOW, "wamid.S", "4915100000001", &to_slow));
    post(&image_to(
        PHONE_NUMBER_ID,
        "wamid.F",
        "4915100000002",
        &to_default,
    ));
    let mut texts = poll(
        || format!("{:?}\n{}", graph.requests(), server.stderr()),
        || {
            let sent = sent_messages(&graph);
            (sent.len() == 2).then(|| {
                sent.iter()
                    .map(|m| m["text"]["body"].as_str().unwrap().to_string())
                    .collect::<Vec<_>>()
            })
        },
    );
    texts.sort();
    let mut expected = vec![
        format!("{to_slow}.jpg {}", JPEG.len()),
        format!("{to_default}.jpg {}", other.len()),
    ];
    expected.sort();
    assert_eq!(texts, expected, "both downloaded");
    // The media's details and its bytes, each fetched with the token of its number.
    for (id, number) in [(&to_slow, SLOW), (&to_default, PHONE_NUMBER_ID)] {
        let fetches: Vec<_> = graph
            .requests()
            .into_iter()
            .filter(|r| r.method == "GET" && r.path.contains(id.as_str()))
            .collect();
        assert_eq!(fetches.len(), 2, "details and bytes of {id}: {fetches:?}");
        for fetch in &fetches {
            assert_eq!(through(fetch).0, number, "{}", fetch.path);
        }
    }
    let db = rusqlite::Connection::open(dir.path().join("media/media-ids.db")).unwrap();
    let recorded: String = db
        .query_row(
            "SELECT phone_number_id FROM media WHERE id = ?1",
            [&to_slow],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(recorded, SLOW, "the download is recorded under its number");
    assert_eq!(server.terminate(), Some(0));
}

#[test]
fn send_from_uploads_a_file_through_that_number() {
    let dir = tempfile::tempdir().unwrap();
    let graph = FakeGraph::start();
    let file = dir.path().join("cat.jpg");
    std::fs::write(&file, JPEG).unwrap();
    let numbers = json!({ SLOW: {"accessToken": SLOW_TOKEN} }).to_string();
    let file = file.to_str().unwrap();
    wa_cloud_with(
        &graph,
        &["send", "4915112345678", "--image", file, "--from", SLOW],
    )
    .env("WHATSAPP_CLOUD_GRAPHAPI_NUMBERS", &numbers)
    .run()
    .success();
    let requests = graph.requests();
    let calls: Vec<_> = requests
        .iter()
        .map(|r| (r.method.as_str(), r.path.as_str(), through(r)))
        .collect();
    assert_eq!(
        calls,
        [
            (
                "POST",
                format!("/v25.0/{SLOW}/media").as_str(),
                (SLOW, SLOW_TOKEN)
            ),
            (
                "POST",
                format!("/v25.0/{SLOW}/messages").as_str(),
                (SLOW, SLOW_TOKEN)
            ),
        ]
    );
}
