//! `wa-cloud serve` as WhatsApp sees it: real signed HTTP requests to the real binary,
//! and the event lines it writes on stdout (the tap).

use std::io::Read;

use serde_json::{Value, json};

use crate::harness::wa_cloud;
use crate::server::{
    Options, SECRET, VERIFY_TOKEN, fixture, fixture_names, sign, text_notification,
};

/// Asserts that `actual` has every field of `expected`, recursively (arrays by position).
fn assert_subset(actual: &Value, expected: &Value, at: &str) {
    match (actual, expected) {
        (Value::Object(a), Value::Object(e)) => {
            for (key, value) in e {
                let field = a
                    .get(key)
                    .unwrap_or_else(|| panic!("{at}.{key} is missing in {actual}"));
                assert_subset(field, value, &format!("{at}.{key}"));
            }
        }
        (Value::Array(a), Value::Array(e)) => {
            for (i, value) in e.iter().enumerate() {
                assert_subset(&a[i], value, &format!("{at}[{i}]"));
            }
        }
        _ => assert_eq!(actual, expected, "at {at}"),
    }
}

/// What each message fixture must produce on the tap.
fn expected_message_events() -> Vec<(&'static str, Value)> {
    let alice = json!({"event": "message", "from": "4915112345678", "phone": "4915112345678",
        "contact": "4915112345678", "name": "Alice Example", "timestamp": 1732612345,
        "phone_number_id": "106540352242922", "display_phone_number": "15550783881"});
    let with = |extra: Value| {
        let mut event = alice.clone();
        event
            .as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        event
    };
    vec![
        (
            "audio_voice.json",
            with(json!({"type": "audio", "reply_to": null,
            "media": {"id": "1520193655231457", "mime_type": "audio/ogg; codecs=opus", "voice": true}})),
        ),
        (
            "button.json",
            with(json!({"type": "button", "text": "Stop promotions",
            "action": {"id": "STOP_PROMOTIONS", "title": "Stop promotions"},
            "reply_to": "wamid.HBgNNDkxNTExMjM0NTY3OBUCABIYFjNFQjA0904QUFBQkJCQ0NDRERERUUA"})),
        ),
        (
            "contacts.json",
            with(json!({"type": "contacts",
            "contacts": [{"name": {"formatted_name": "Bob Builder"}, "phones": [{"wa_id": "4915199999999"}]}]})),
        ),
        (
            "document.json",
            with(
                json!({"type": "document", "text": "Invoice", "media": {"id": "938127465112003",
            "mime_type": "application/pdf", "filename": "invoice-2024-11.pdf", "caption": "Invoice",
            "sha256": "S2Q7ZJ2rjNNaUPZHF1jSqvEO9XF2FRzX0QfNWTi0eK0="}}),
            ),
        ),
        (
            "image.json",
            with(json!({"type": "image", "text": "Our new office",
            "media": {"id": "1003383421387256", "mime_type": "image/jpeg", "caption": "Our new office"}})),
        ),
        (
            "interactive_button_reply.json",
            with(json!({"type": "interactive", "text": "Yes, please",
            "action": {"id": "yes", "title": "Yes, please"},
            "reply_to": "wamid.HBgNNDkxNTExMjM0NTY3OBUCABIYFjNFQjA0901QUFBQkJCQ0NDRERERUUA"})),
        ),
        (
            "interactive_list_reply.json",
            with(json!({"type": "interactive", "text": "Medium",
            "action": {"id": "size_m", "title": "Medium", "description": "Fits most"}})),
        ),
        (
            "interactive_nfm_reply.json",
            with(json!({"type": "interactive",
            "action": {"id": "flow", "response": {"flow_token": "abc", "rating": "5"}}})),
        ),
        (
            "location.json",
            with(
                json!({"type": "location", "text": "Fernsehturm", "location": {"latitude": 52.520008,
            "longitude": 13.404954, "name": "Fernsehturm", "address": "Panoramastraße 1A, 10178 Berlin"}}),
            ),
        ),
        (
            "order.json",
            with(json!({"type": "order", "text": "Please deliver tomorrow",
            "order": {"catalog_id": "7312345678901234", "product_items": [{"product_retailer_id": "sku-42"}]}})),
        ),
        (
            "reaction.json",
            with(json!({"type": "reaction", "text": "❤️", "reaction":
            {"message_id": "wamid.HBgNNDkxNTExMjM0NTY3OBUCABIYFjNFQjA0905QUFBQkJCQ0NDRERERUUA", "emoji": "❤️"}})),
        ),
        (
            "reaction_removed.json",
            with(json!({"type": "reaction", "reaction":
            {"message_id": "wamid.HBgNNDkxNTExMjM0NTY3OBUCABIYFjNFQjA0905QUFBQkJCQ0NDRERERUUA", "emoji": ""}})),
        ),
        (
            "referral.json",
            with(json!({"type": "text", "text": "Hi, I saw your ad",
            "referral": {"source_type": "ad", "source_id": "120210000000000"}})),
        ),
        (
            "sticker.json",
            with(
                json!({"type": "sticker", "media": {"id": "3318726458195834", "mime_type": "image/webp", "animated": false}}),
            ),
        ),
        (
            "system_changed_number.json",
            json!({"event": "message", "from": "4915112345678", "type": "system",
            "text": "User A changed from 4915112345678 to 4915187654321",
            "system": {"type": "customer_changed_number", "wa_id": "4915187654321"}}),
        ),
        (
            "system_user_changed_number.json",
            json!({"event": "message", "type": "system",
            "system": {"type": "user_changed_number", "wa_id": "4915187654321"}}),
        ),
        (
            "text.json",
            with(json!({"type": "text", "text": "Hello, is anyone there? 👋", "reply_to": null})),
        ),
        (
            "text_escaped_unicode.json",
            with(json!({"type": "text", "text": "Grüße aus Köln / café ☕ 😀"})),
        ),
        (
            "text_forwarded.json",
            with(json!({"type": "text", "text": "fwd", "forwarded": true})),
        ),
        (
            "text_reply.json",
            with(json!({"type": "text", "text": "Yes, that one",
            "reply_to": "wamid.HBgNNDkxNTExMjM0NTY3OBUCABIYFjNFQjA0900QUFBQkJCQ0NDRERERUUA"})),
        ),
        (
            "text_username_only.json",
            json!({"event": "message", "from": "DE.1349120865530274191",
            "user_id": "DE.1349120865530274191", "contact": "DE.1349120865530274191", "name": "Carla",
            "username": "carla.k", "display_phone_number": "15550783881", "type": "text", "text": "Hi from a username"}),
        ),
        (
            "unknown_future_type.json",
            with(
                json!({"type": "hologram", "raw": {"messages": [{"hologram": {"shape": "cube"}}]}}),
            ),
        ),
        (
            "unsupported.json",
            with(
                json!({"type": "unsupported", "raw": {"messages": [{"errors": [{"code": 131051}]}]}}),
            ),
        ),
        (
            "video.json",
            with(
                json!({"type": "video", "text": "Watch this", "media": {"id": "2087233381637924"}}),
            ),
        ),
    ]
}

/// The wamids of the messages in a notification body.
fn message_ids(body: &[u8]) -> Vec<String> {
    let payload: Value = serde_json::from_slice(body).unwrap();
    let mut ids = Vec::new();
    for entry in payload["entry"].as_array().unwrap() {
        for change in entry["changes"].as_array().unwrap() {
            for message in change["value"]["messages"].as_array().into_iter().flatten() {
                ids.push(message["id"].as_str().unwrap().to_string());
            }
        }
    }
    ids
}

#[test]
fn every_fixture_is_accepted_and_each_message_reaches_the_tap() {
    let dir = tempfile::tempdir().unwrap();
    let server = Options::new(dir.path()).start();
    let mut expected_ids = Vec::new();
    for name in fixture_names() {
        let body = fixture(&name);
        let reply = server.post(&body);
        assert_eq!(reply.status, 200, "{name}: {}", reply.body);
        expected_ids.extend(message_ids(&body));
    }
    let events = server.events(expected_ids.len());
    let ids: Vec<&str> = events.iter().map(|e| e["id"].as_str().unwrap()).collect();
    assert_eq!(
        ids, expected_ids,
        "one event per message, in the order posted"
    );

    for (name, expected) in expected_message_events() {
        let id = &message_ids(&fixture(name))[0];
        let event = events.iter().find(|e| e["id"] == id.as_str()).unwrap();
        assert_subset(event, &expected, name);
        let raw: Value = serde_json::from_slice(&fixture(name)).unwrap();
        let value = &raw["entry"][0]["changes"][0]["value"];
        assert_eq!(
            &event["raw"], value,
            "{name}: raw is the change value untouched, metadata and contacts included"
        );
    }
    let batch: Vec<&Value> = events
        .iter()
        .filter(|e| e["name"] == "Uno" || e["name"] == "Dos")
        .collect();
    let texts: Vec<(&Value, &Value)> = batch.iter().map(|e| (&e["text"], &e["from"])).collect();
    assert_eq!(
        texts,
        [
            (&json!("one"), &json!("4915100000001")),
            (&json!("two"), &json!("4915100000001")),
            (&json!("three"), &json!("4915100000002"))
        ]
    );
    // In a batch, each raw is its change value cut to that message and its contact.
    let second = &batch[1]["raw"];
    assert_eq!(second["messages"].as_array().unwrap().len(), 1);
    assert_eq!(second["messages"][0]["text"]["body"], "two");
    assert_eq!(second["contacts"][0]["profile"]["name"], "Uno");
    assert_eq!(second["metadata"]["phone_number_id"], "106540352242922");
    assert!(
        server.events_so_far().is_empty(),
        "statuses, updates and errors are not on the tap by default"
    );
    assert_eq!(server.terminate(), Some(0));
}

#[test]
fn statuses_updates_and_errors_are_opt_in_events() {
    let dir = tempfile::tempdir().unwrap();
    let server = Options::new(dir.path())
        .args(&["--events", "status,update,error"])
        .start();
    for name in [
        "status_failed.json",
        "update_template_status.json",
        "value_errors.json",
        "text.json",
    ] {
        assert_eq!(server.post(&fixture(name)).status, 200, "{name}");
    }
    let events = server.events(3);
    assert_subset(
        &events[0],
        &json!({"event": "status", "id": "wamid.HBgNNDkxNTExMjM0NTY3OBUCABIYFjNFQjA0951QUFBQkJCQ0NDRERERUUA",
            "status": "failed", "to": "4915112345678", "timestamp": 1732612400, "errors": [{"code": 131047}]}),
        "status",
    );
    assert_subset(
        &events[1],
        &json!({"event": "update", "field": "message_template_status_update", "value": {"event": "APPROVED"}}),
        "update",
    );
    assert_subset(
        &events[2],
        &json!({"event": "error", "code": 131000, "error": "Something went wrong: Unknown error"}),
        "error",
    );
    assert!(
        server.events_so_far().is_empty(),
        "messages were not asked for"
    );
}

#[test]
fn verification_handshake() {
    let dir = tempfile::tempdir().unwrap();
    let server = Options::new(dir.path()).start();
    let ok = server.get(&format!(
        "/?hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token={VERIFY_TOKEN}"
    ));
    assert_eq!((ok.status, ok.body.as_str()), (200, "1158201444"));
    assert!(ok.content_type.starts_with("text/plain"));
    let wrong_token = server.get("/?hub.mode=subscribe&hub.challenge=1&hub.verify_token=guess");
    assert_eq!(wrong_token.status, 403);
    let wrong_mode = server.get(&format!(
        "/?hub.mode=unsubscribe&hub.challenge=1&hub.verify_token={VERIFY_TOKEN}"
    ));
    assert_eq!(wrong_mode.status, 403);
    assert_eq!(server.get("/").status, 403);
    server.wait_for_log("refused webhook verification");
    assert!(
        !server.stderr().contains(VERIFY_TOKEN),
        "the expected token is never logged"
    );
}

#[test]
fn only_correctly_signed_notifications_are_stored() {
    let dir = tempfile::tempdir().unwrap();
    let server = Options::new(dir.path()).start();
    let body = text_notification("wamid.SIGNED", "4915112345678", "signed");
    let signature = sign(SECRET, &body);
    let mut altered = body.clone();
    let last = altered.len() - 3;
    altered[last] ^= 1;
    let attempts: Vec<(&[u8], Option<String>)> = vec![
        (&body, None),
        (&body, Some(sign("another-secret", &body))),
        (&body, Some(signature.replace("sha256=", "sha1="))),
        (&body, Some("sha256=not-hex".to_string())),
        (&altered, Some(signature.clone())),
    ];
    for (sent, header) in attempts {
        let reply = server.post_signed_as(sent, header.as_deref());
        assert_eq!(reply.status, 401, "signature {header:?}");
    }
    let escaped = fixture("text_escaped_unicode.json");
    assert_eq!(
        server.post(&escaped).status,
        200,
        "signed over the raw bytes, \\u escapes and all"
    );
    assert_eq!(server.post_signed_as(&body, Some(&signature)).status, 200);
    let events = server.events(2);
    assert_eq!(events[0]["text"], "Grüße aus Köln / café ☕ 😀");
    assert_eq!(events[1]["id"], "wamid.SIGNED");
    assert!(server.stderr().contains("refused a notification"));
    assert!(!server.stderr().contains(SECRET));
}

#[test]
fn malformed_and_oversized_bodies_are_refused_and_the_server_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let server = Options::new(dir.path()).start();
    // Unsigned and unreadable: refused.
    let unreadable: &[u8] = b"{\"entry\": [";
    assert_eq!(server.post_signed_as(unreadable, None).status, 401);
    // serve answers 413 from the Content-Length at once and reads the rest of the body
    // meanwhile, so that the client, still sending, reads the 413 rather than a reset
    // connection: a few times, as that race was once lost now and then.
    let huge = vec![b' '; 4 * 1024 * 1024];
    for attempt in 0..3 {
        assert_eq!(server.post(&huge).status, 413, "attempt {attempt}");
    }
    server.wait_for_log("refused a notification of 4194304 bytes (413)");
    assert_eq!(
        server
            .post(&text_notification(
                "wamid.AFTER",
                "4915112345678",
                "still here"
            ))
            .status,
        200
    );
    assert_eq!(server.events(1)[0]["id"], "wamid.AFTER");
}

/// A signed body that is not a readable notification came from WhatsApp (or the holder of
/// the app secret): answered 400, WhatsApp would send it again for days. It is answered
/// 200 and kept, whole, as an `error` event.
#[test]
fn a_signed_body_that_cannot_be_read_is_kept_as_an_error_event() {
    let dir = tempfile::tempdir().unwrap();
    let server = Options::new(dir.path())
        .args(&["--events", "message,error"])
        .start();
    for body in [&b"{\"entry\": ["[..], b"{\"hello\": \"world\"}"] {
        assert_eq!(server.post(body).status, 200);
    }
    let events = server.events(2);
    assert_eq!(events[0]["event"], "error");
    assert_eq!(events[0]["body"], "{\"entry\": [");
    assert!(
        events[0]["error"].as_str().unwrap().contains("not JSON"),
        "{}",
        events[0]
    );
    assert_eq!(events[1]["body"], "{\"hello\": \"world\"}");
    server.wait_for_log("cannot be read");
    assert_eq!(
        server.post(b"{\"entry\": [").status,
        200,
        "a redelivery is stored once"
    );
    assert_eq!(
        server
            .post(&text_notification("wamid.NEXT", "4915112345678", "next"))
            .status,
        200
    );
    assert_eq!(server.events(1)[0]["id"], "wamid.NEXT");
}

#[test]
fn duplicate_deliveries_produce_one_event() {
    let dir = tempfile::tempdir().unwrap();
    let server = Options::new(dir.path()).start();
    let body = text_notification("wamid.TWICE", "4915112345678", "hello");
    for _ in 0..3 {
        assert_eq!(server.post(&body).status, 200);
    }
    // A different notification with the same wamid (WhatsApp re-batched it) is a duplicate too.
    let rebatched = text_notification("wamid.TWICE", "4915112345678", "hello");
    assert_eq!(server.post(&rebatched).status, 200);
    assert_eq!(
        server
            .post(&text_notification(
                "wamid.MARKER",
                "4915112345678",
                "marker"
            ))
            .status,
        200
    );
    let events = server.events(2);
    assert_eq!(
        (events[0]["id"].as_str(), events[1]["id"].as_str()),
        (Some("wamid.TWICE"), Some("wamid.MARKER"))
    );
}

/// The tap's reader goes away: serve stops, and what was stored but not written is written
/// after a restart on the same database, once.
#[test]
fn events_not_yet_written_are_written_after_a_restart_and_none_twice() {
    let dir = tempfile::tempdir().unwrap();
    let mut first = Options::new(dir.path()).raw_stdout().start();
    let mut stdout = first.take_stdout();
    assert_eq!(
        first
            .post(&text_notification("wamid.R0", "4915112345678", "zero"))
            .status,
        200
    );
    let mut seen = Vec::new();
    // Read on a thread, so that a tap that writes nothing fails the test instead of
    // hanging it; the thread drops the pipe once it has the line.
    let (line_tx, line_rx) = std::sync::mpsc::channel();
    let reader = std::thread::spawn(move || {
        let mut line = Vec::new();
        let mut byte = [0u8];
        while stdout.read(&mut byte).unwrap_or(0) == 1 && byte[0] != b'\n' {
            line.push(byte[0]);
        }
        let _ = line_tx.send(line);
    });
    let line = line_rx
        .recv_timeout(std::time::Duration::from_secs(30))
        .unwrap_or_else(|_| panic!("no event on stdout:\n{}", first.stderr()));
    reader.join().unwrap();
    seen.push(
        serde_json::from_slice::<Value>(&line).unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string(),
    );

    let mut accepted = vec!["wamid.R0".to_string()];
    for i in 1..=5 {
        let id = format!("wamid.R{i}");
        // Once the tap finds its reader gone, serve shuts down; later posts may be refused.
        if first.try_post(&text_notification(&id, "4915112345678", "more")) == Some(200) {
            accepted.push(id);
        }
    }
    first.wait();
    assert!(
        accepted.len() > 1,
        "at least the first post after closing stdout is stored"
    );

    let second = Options::new(dir.path()).start();
    // A post whose answer was lost in the shutdown may be stored too: WhatsApp would send
    // it again, and the duplicate would be dropped. Every post answered 200 must be there.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !accepted.iter().all(|id| seen.contains(id)) {
        assert!(
            std::time::Instant::now() < deadline,
            "missing events: {seen:?} lacks some of {accepted:?}"
        );
        let more = second.events(1);
        seen.push(more[0]["id"].as_str().unwrap().to_string());
    }
    // A marker instead of a pause: the tap writes events in the order they were stored,
    // so any duplicate of an earlier event would come out before this one.
    assert_eq!(
        second
            .post(&text_notification("wamid.MARK", "4915112345678", "marker"))
            .status,
        200
    );
    loop {
        let more = second.events(1);
        let id = more[0]["id"].as_str().unwrap().to_string();
        if id == "wamid.MARK" {
            break;
        }
        seen.push(id);
    }
    let mut sorted = seen.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(
        sorted, seen,
        "each event once, in the order stored: {seen:?}"
    );
    assert_eq!(second.terminate(), Some(0));
}

#[test]
fn health_reports_version_uptime_and_backlog() {
    let dir = tempfile::tempdir().unwrap();
    let server = Options::new(dir.path()).start();
    let health = server.get("/healthz");
    assert_eq!(health.status, 200);
    let body: Value = serde_json::from_str(&health.body).unwrap();
    assert_eq!(body["status"], "ok");
    assert_eq!(body["version"], env!("CARGO_PKG_VERSION"));
    assert!(
        body["uptime_seconds"].is_u64() && body["backlog"].is_u64(),
        "{body}"
    );
}

#[test]
fn assets_are_served_without_listing_or_traversal() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("public/sub")).unwrap();
    std::fs::write(dir.path().join("public/cat.png"), b"\x89PNG fake").unwrap();
    std::fs::write(dir.path().join("public/sub/menu.pdf"), b"%PDF fake").unwrap();
    std::fs::write(dir.path().join("secret.txt"), b"do not serve").unwrap();
    let server = Options::new(dir.path())
        .env("WHATSAPP_CLOUD_WEBHOOKS_ASSETS_DIR", "public")
        .start();
    let png = server.get("/assets/cat.png");
    assert_eq!((png.status, png.content_type.as_str()), (200, "image/png"));
    let pdf = server.get("/assets/sub/menu.pdf");
    assert_eq!(
        (pdf.status, pdf.content_type.as_str(), pdf.body.as_str()),
        (200, "application/pdf", "%PDF fake")
    );
    for path in [
        "/assets/",
        "/assets/sub/",
        "/assets/../secret.txt",
        "/assets/%2e%2e/secret.txt",
        "/assets/sub/..%2f..%2fsecret.txt",
    ] {
        let reply = server.get(path);
        assert!(
            reply.status == 404 || reply.status == 400,
            "{path}: {} {}",
            reply.status,
            reply.body
        );
        assert!(!reply.body.contains("do not serve"), "{path}");
    }
}

#[test]
fn serve_refuses_to_start_without_the_app_secret() {
    wa_cloud(&["serve", "--port", "0"])
        .run()
        .status(2)
        .stderr_has("`webhooks.secret`")
        .stderr_has("--insecure-skip-signature");
}

#[test]
fn insecure_mode_accepts_unsigned_notifications_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let server = Options::new(dir.path())
        .args(&["--insecure-skip-signature"])
        .env("WHATSAPP_CLOUD_WEBHOOKS_SECRET", "")
        .start();
    assert!(server.stderr().contains("NOT checked"));
    let body = text_notification("wamid.UNSIGNED", "4915112345678", "hi");
    assert_eq!(server.post_signed_as(&body, None).status, 200);
    assert_eq!(server.events(1)[0]["id"], "wamid.UNSIGNED");
}

#[test]
fn sigterm_finishes_and_exits_zero() {
    let dir = tempfile::tempdir().unwrap();
    let server = Options::new(dir.path()).start();
    assert_eq!(
        server
            .post(&text_notification("wamid.LAST", "4915112345678", "bye"))
            .status,
        200
    );
    assert_eq!(server.events(1)[0]["id"], "wamid.LAST");
    assert_eq!(server.terminate(), Some(0));
}

#[test]
fn a_custom_path_and_unknown_events_option() {
    let dir = tempfile::tempdir().unwrap();
    let server = Options::new(dir.path())
        .args(&["--path", "/whatsapp"])
        .start();
    let reply = server.get(&format!(
        "/whatsapp?hub.mode=subscribe&hub.challenge=abc&hub.verify_token={VERIFY_TOKEN}"
    ));
    assert_eq!((reply.status, reply.body.as_str()), (200, "abc"));
    assert_eq!(
        server.get("/?hub.mode=subscribe&hub.challenge=abc").status,
        404
    );
    wa_cloud(&[
        "serve",
        "--insecure-skip-signature",
        "--events",
        "message,gossip",
    ])
    .run()
    .status(2)
    .stderr_has("unknown event \"gossip\"");
}

#[test]
fn assets_path_must_be_a_path_of_its_own() {
    for bad in ["/", "assets", "/healthz"] {
        wa_cloud(&["serve", "--port", "0", "--insecure-skip-signature"])
            .env("WHATSAPP_CLOUD_WEBHOOKS_ASSETS_DIR", ".")
            .env("WHATSAPP_CLOUD_WEBHOOKS_ASSETS_PATH", bad)
            .run()
            .status(2)
            .stderr_has("`webhooks.assetsPath`");
    }
}
