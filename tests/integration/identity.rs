//! People as WhatsApp names them since 2026: phone numbers, business-scoped user ids
//! (BSUIDs, `CC.…`), parent BSUIDs (`CC.ENT.…`) and usernames. What `send` and `serve`
//! put on the wire for each, as the fake Graph API received it.

use serde_json::{Value, json};

use crate::fake_graph::FakeGraph;
use crate::handler::{python_bot, start, wait_for_messages};
use crate::harness::wa_cloud_with;
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
    assert_eq!(server.post(&fixture("text_username_only.json")).status, 200);
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
