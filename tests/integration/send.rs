//! `wa-cloud send` against the fake Graph API: the exact requests for every message kind,
//! what is printed, retries, Meta's errors and validation before anything is sent.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::fake_graph::{FakeGraph, meta_error};
use crate::harness::{PHONE_NUMBER_ID, TOKEN, wa_cloud, wa_cloud_with};

const TO: &str = "4915112345678";

/// The Graph API body of a message of `kind` to TO.
fn graph_body(kind: &str, content: Value) -> Value {
    json!({"messaging_product": "whatsapp", "recipient_type": "individual", "to": "+4915112345678",
           "type": kind, kind: content})
}

/// Sends with `args` after `send TO` and returns the one body the fake received.
fn sent_body(args: &[&str]) -> Value {
    let graph = FakeGraph::start();
    let mut full = vec!["send", TO];
    full.extend_from_slice(args);
    wa_cloud_with(&graph, &full)
        .run()
        .success()
        .stdout_is("wamid.FAKE1\n");
    let bodies = graph.bodies();
    assert_eq!(bodies.len(), 1, "{bodies:?}");
    bodies[0].clone()
}

#[test]
fn text_is_posted_with_token_user_agent_and_plus_prefixed_number() {
    let graph = FakeGraph::start();
    wa_cloud_with(&graph, &["send", TO, "Hello there"])
        .run()
        .success()
        .stdout_is("wamid.FAKE1\n")
        .keeps_secrets();
    let requests = graph.requests();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(request.method, "POST");
    assert_eq!(request.path, format!("/v25.0/{PHONE_NUMBER_ID}/messages"));
    assert_eq!(request.header("authorization"), format!("Bearer {TOKEN}"));
    assert_eq!(
        request.header("user-agent"),
        concat!("wa-cloud/", env!("CARGO_PKG_VERSION"))
    );
    assert!(
        request
            .header("content-type")
            .starts_with("application/json")
    );
    assert_eq!(
        request.json(),
        graph_body("text", json!({"body": "Hello there"}))
    );
}

#[test]
fn several_texts_go_out_in_order_one_wamid_a_line() {
    let graph = FakeGraph::start();
    wa_cloud_with(&graph, &["send", TO, "one", "two", "three"])
        .run()
        .success()
        .stdout_is("wamid.FAKE1\nwamid.FAKE2\nwamid.FAKE3\n");
    let texts: Vec<Value> = graph
        .bodies()
        .iter()
        .map(|b| b["text"]["body"].clone())
        .collect();
    assert_eq!(texts, [json!("one"), json!("two"), json!("three")]);
}

#[test]
fn json_output_names_recipient_and_id() {
    let graph = FakeGraph::start();
    wa_cloud_with(&graph, &["--json", "send", "+49 151 1234-5678", "a", "b"])
        .run()
        .success()
        .stdout_is("{\"to\":\"4915112345678\",\"id\":\"wamid.FAKE1\"}\n{\"to\":\"4915112345678\",\"id\":\"wamid.FAKE2\"}\n");
    assert_eq!(graph.bodies()[0]["to"], "+4915112345678");
}

#[test]
fn business_scoped_user_ids_are_sent_in_recipient_as_they_are() {
    let graph = FakeGraph::start();
    wa_cloud_with(&graph, &["send", "US.13491208655302741918", "hi"])
        .run()
        .success();
    assert_eq!(graph.bodies()[0]["recipient"], "US.13491208655302741918");
    assert!(graph.bodies()[0].get("to").is_none());
}

#[test]
fn text_options_preview_url_and_reply_to() {
    let body = sent_body(&[
        "See https://example.com",
        "--preview-url",
        "--reply-to",
        "wamid.QUOTED",
    ]);
    let mut expected = graph_body(
        "text",
        json!({"body": "See https://example.com", "preview_url": true}),
    );
    expected["context"] = json!({"message_id": "wamid.QUOTED"});
    assert_eq!(body, expected);
}

#[test]
fn texts_from_stdin_one_message_a_line() {
    let graph = FakeGraph::start();
    wa_cloud_with(&graph, &["send", TO, "-"])
        .stdin("first line\n\nsecond line\n")
        .run()
        .success()
        .stdout_is("wamid.FAKE1\nwamid.FAKE2\n");
    let texts: Vec<Value> = graph
        .bodies()
        .iter()
        .map(|b| b["text"]["body"].clone())
        .collect();
    assert_eq!(texts, [json!("first line"), json!("second line")]);
}

#[test]
fn media_by_link_and_by_id() {
    assert_eq!(
        sent_body(&[
            "--image",
            "--link",
            "https://example.com/cat.jpg",
            "--caption",
            "A cat"
        ]),
        graph_body(
            "image",
            json!({"link": "https://example.com/cat.jpg", "caption": "A cat"})
        )
    );
    assert_eq!(
        sent_body(&[
            "--document",
            "--id",
            "1376223850470843",
            "--filename",
            "order.pdf",
            "--caption",
            "Your order"
        ]),
        graph_body(
            "document",
            json!({"id": "1376223850470843", "caption": "Your order", "filename": "order.pdf"})
        )
    );
    assert_eq!(
        sent_body(&["--audio", "--id", "1013859600285441"]),
        graph_body("audio", json!({"id": "1013859600285441"}))
    );
    assert_eq!(
        sent_body(&["--video", "https://example.com/v.mp4"]),
        graph_body("video", json!({"link": "https://example.com/v.mp4"}))
    );
    assert_eq!(
        sent_body(&["--sticker", "--id", "798882015472548"]),
        graph_body("sticker", json!({"id": "798882015472548"}))
    );
}

#[test]
fn media_from_a_missing_local_file_is_refused_before_any_request() {
    let graph = FakeGraph::start();
    wa_cloud_with(&graph, &["send", TO, "--image", "cat.jpg"])
        .run()
        .status(2)
        .stderr_has("message 1 of 1 (image) is refused, nothing was sent: cannot read `cat.jpg`");
    assert!(graph.requests().is_empty());
}

#[test]
fn a_text_and_media_keep_command_line_order() {
    let graph = FakeGraph::start();
    wa_cloud_with(
        &graph,
        &[
            "send",
            TO,
            "Look:",
            "--image",
            "--link",
            "https://example.com/a.png",
            "Nice?",
        ],
    )
    .run()
    .success()
    .stdout_is("wamid.FAKE1\nwamid.FAKE2\nwamid.FAKE3\n");
    let kinds: Vec<Value> = graph.bodies().iter().map(|b| b["type"].clone()).collect();
    assert_eq!(kinds, [json!("text"), json!("image"), json!("text")]);
}

#[test]
fn location() {
    assert_eq!(
        sent_body(&[
            "--location",
            "52.5163,13.3777",
            "--name",
            "Brandenburger Tor",
            "--address",
            "Pariser Platz"
        ]),
        graph_body(
            "location",
            json!({"latitude": 52.5163, "longitude": 13.3777, "name": "Brandenburger Tor", "address": "Pariser Platz"})
        )
    );
    assert_eq!(
        sent_body(&["--location", "-33.8568,151.2153"]),
        graph_body(
            "location",
            json!({"latitude": -33.8568, "longitude": 151.2153})
        )
    );
}

#[test]
fn contacts_from_a_json_file() {
    let graph = FakeGraph::start();
    let card = json!({"name": {"formatted_name": "Ada Lovelace", "first_name": "Ada"},
        "phones": [{"phone": "+441234567890", "type": "CELL"}]});
    wa_cloud_with(&graph, &["send", TO, "--contacts", "ada.json"])
        .file("ada.json", &card.to_string())
        .run()
        .success();
    assert_eq!(graph.bodies(), [graph_body("contacts", json!([card]))]);
}

#[test]
fn reply_buttons() {
    assert_eq!(
        sent_body(&[
            "Continue?",
            "--button",
            "yes:Yes",
            "--button",
            "no:No",
            "--footer",
            "Pick one"
        ]),
        graph_body(
            "interactive",
            json!({"type": "button", "body": {"text": "Continue?"}, "footer": {"text": "Pick one"},
                "action": {"buttons": [{"type": "reply", "reply": {"id": "yes", "title": "Yes"}},
                                       {"type": "reply", "reply": {"id": "no", "title": "No"}}]}})
        )
    );
}

#[test]
fn list_from_sections_and_rows() {
    assert_eq!(
        sent_body(&[
            "Choose a shipping option",
            "--list-button",
            "Shipping",
            "--section",
            "Fast",
            "--row",
            "express:Express:Next day",
            "--row",
            "priority:Priority",
            "--section",
            "Cheap",
            "--row",
            "ground:Ground",
        ]),
        graph_body(
            "interactive",
            json!({"type": "list", "body": {"text": "Choose a shipping option"},
                "action": {"button": "Shipping", "sections": [
                    {"title": "Fast", "rows": [{"id": "express", "title": "Express", "description": "Next day"},
                                               {"id": "priority", "title": "Priority"}]},
                    {"title": "Cheap", "rows": [{"id": "ground", "title": "Ground"}]}]}})
        )
    );
}

#[test]
fn list_from_json() {
    let sections = json!([{"rows": [{"id": "a", "title": "A"}, {"id": "b", "title": "B"}]}]);
    assert_eq!(
        sent_body(&["Pick", "--list", &sections.to_string()]),
        graph_body(
            "interactive",
            json!({"type": "list", "body": {"text": "Pick"}, "action": {"button": "Options", "sections": sections}})
        )
    );
}

#[test]
fn reaction() {
    assert_eq!(
        sent_body(&["--react", "👍", "--to-message", "wamid.THEIRS"]),
        graph_body(
            "reaction",
            json!({"message_id": "wamid.THEIRS", "emoji": "👍"})
        )
    );
}

#[test]
fn template_with_body_parameters() {
    assert_eq!(
        sent_body(&[
            "--template",
            "order_update",
            "--lang",
            "de",
            "--param",
            "Ada",
            "--param",
            "42"
        ]),
        graph_body(
            "template",
            json!({"name": "order_update", "language": {"code": "de"},
                "components": [{"type": "body", "parameters": [{"type": "text", "text": "Ada"}, {"type": "text", "text": "42"}]}]})
        )
    );
    assert_eq!(
        sent_body(&["--template", "hello_world"]),
        graph_body(
            "template",
            json!({"name": "hello_world", "language": {"code": "en_US"}})
        )
    );
}

#[test]
fn raw_messages_from_an_argument_and_from_stdin() {
    assert_eq!(
        sent_body(&["--raw", r#"{"type":"text","text":{"body":"raw"}}"#]),
        graph_body("text", json!({"body": "raw"}))
    );
    let graph = FakeGraph::start();
    wa_cloud_with(&graph, &["send", TO, "--raw", "-"])
        .stdin("{\"text\":\"hi\"}\n{\"to\":\"16505551234\",\"location\":{\"latitude\":1.5,\"longitude\":2}}\n")
        .run()
        .success()
        .stdout_is("wamid.FAKE1\nwamid.FAKE2\n");
    assert_eq!(
        graph.bodies(),
        [
            graph_body("text", json!({"body": "hi"})),
            graph_body("location", json!({"latitude": 1.5, "longitude": 2.0}))
        ]
    );
}

#[test]
fn rate_limits_are_retried_and_the_message_is_sent_once() {
    let graph = FakeGraph::start();
    let rate_limit = meta_error(
        130429,
        "(#130429) Rate limit hit",
        "Cloud API message throughput has been reached.",
    );
    graph
        .then_respond(400, rate_limit.clone())
        .then_respond(429, rate_limit);
    wa_cloud_with(&graph, &["send", TO, "hi"])
        .run()
        .success()
        .stdout_is("wamid.FAKE1\n")
        .stderr_has("retrying");
    let bodies = graph.bodies();
    assert_eq!(bodies.len(), 3, "two refused attempts and one accepted");
    assert!(
        bodies.iter().all(|b| *b == bodies[0]),
        "the same message each time"
    );
}

#[test]
fn server_errors_without_meta_body_are_retried() {
    let graph = FakeGraph::start();
    graph.then_respond_text(503, "<html>Service Unavailable</html>");
    wa_cloud_with(&graph, &["send", TO, "hi"])
        .run()
        .success()
        .stdout_is("wamid.FAKE1\n");
    assert_eq!(graph.requests().len(), 2);
}

#[test]
fn re_engagement_error_is_shown_and_not_retried() {
    let graph = FakeGraph::start();
    graph.then_respond(
        400,
        meta_error(
            131047,
            "(#131047) Re-engagement message",
            "Message failed to send because more than 24 hours have passed",
        ),
    );
    wa_cloud_with(&graph, &["-vv", "send", TO, "hi", "never sent"])
        .run()
        .status(1)
        .stdout_is("")
        .stderr_has("message 1 of 2 (text) to 4915112345678 was not sent")
        .stderr_has("(#131047) Re-engagement message")
        .stderr_has("code 131047")
        .stderr_has("fbtrace_id AbCdEfFakeTrace")
        .stderr_has("only a template can reach them")
        .keeps_secrets();
    assert_eq!(graph.requests().len(), 1);
}

#[test]
fn a_failure_mid_batch_keeps_the_wamids_already_printed() {
    let graph = FakeGraph::start();
    graph.then_respond(
        200,
        json!({"messaging_product": "whatsapp", "messages": [{"id": "wamid.FIRST"}]}),
    );
    graph.then_respond(
        401,
        meta_error(
            190,
            "Error validating access token: Session has expired",
            "",
        ),
    );
    wa_cloud_with(&graph, &["send", TO, "one", "two", "three"])
        .run()
        .status(1)
        .stdout_is("wamid.FIRST\n")
        .stderr_has("message 2 of 3 (text) to 4915112345678 was not sent (1 sent before it)")
        .stderr_has("access token is invalid or expired");
    assert_eq!(graph.requests().len(), 2);
}

/// Each of these is refused with exit status 2, the message names the problem, and
/// nothing reaches the Graph API.
#[test]
fn invalid_messages_are_refused_before_anything_is_sent() {
    let long_text = "x".repeat(4097);
    let long_caption = "c".repeat(1025);
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["12345", "hi"], "12345"),
        (
            vec![TO, &long_text],
            "`text.body` is 4097 characters long; WhatsApp allows at most 4096",
        ),
        (
            vec![TO, "--image", "--id", "1", "--caption", &long_caption],
            "`image.caption` is 1025 characters long; WhatsApp allows at most 1024",
        ),
        (
            vec![
                TO, "?", "--button", "a:A", "--button", "b:B", "--button", "c:C", "--button", "d:D",
            ],
            "has 4 buttons; WhatsApp allows 1 to 3",
        ),
        (
            vec![TO, "?", "--button", "a:This title is too long"],
            "`interactive.action.buttons[0].reply.title` is 22 characters long; WhatsApp allows at most 20",
        ),
        (
            vec![
                TO, "?", "--row", "1", "--row", "2", "--row", "3", "--row", "4", "--row", "5",
                "--row", "6", "--row", "7", "--row", "8", "--row", "9", "--row", "10", "--row",
                "11",
            ],
            "have 11 rows in all; WhatsApp allows 1 to 10 rows across all sections",
        ),
        (
            vec![TO, "--react", "nice", "--to-message", "wamid.X"],
            "`reaction.emoji` is \"nice\", which is not a single emoji",
        ),
        (
            vec![TO, "--location", "91,0"],
            "`location.latitude` is 91.0",
        ),
        (
            vec![TO, "--button", "a:A"],
            "--button needs the message's body as TEXT",
        ),
        (
            vec![TO, "--image", "--id", "1", "--location", "1,2"],
            "cannot be combined",
        ),
        (
            vec![TO, "--caption", "x"],
            "--caption belongs to a media message",
        ),
        (vec![TO], "nothing to send"),
        (
            vec![TO, "--raw", "{\"txt\":\"hi\"}"],
            "did you mean `text`?",
        ),
    ];
    for (args, expected) in cases {
        let graph = FakeGraph::start();
        let mut full = vec!["send"];
        full.extend(args);
        wa_cloud_with(&graph, &full)
            .run()
            .status(2)
            .stderr_has(expected)
            .stdout_is("");
        assert!(
            graph.requests().is_empty(),
            "{full:?} reached the Graph API"
        );
    }
}

#[test]
fn one_invalid_message_in_a_batch_sends_none() {
    let graph = FakeGraph::start();
    let too_long = "y".repeat(5000);
    wa_cloud_with(&graph, &["send", TO, "fine", "also fine", &too_long])
        .run()
        .status(2)
        .stderr_has("message 3 of 3")
        .stderr_has("is 5000 characters long")
        .stderr_has("nothing was sent");
    assert!(graph.requests().is_empty());
    let quoted = "y".repeat(21);
    wa_cloud_with(&graph, &["send", TO, &too_long])
        .run()
        .status(2)
        .stderr_has(&format!("(TEXT \"{}\"…)", "y".repeat(20)));
    let run = wa_cloud_with(&graph, &["send", TO, &too_long]).run();
    assert!(
        !run.stderr.contains(&quoted),
        "the error quotes the whole text:\n{}",
        run.stderr
    );

    wa_cloud_with(&graph, &["send", TO, "-"])
        .stdin("ok\n\u{1F600}\n")
        .run()
        .success();
    wa_cloud_with(&graph, &["send", TO, "--raw", "-"])
        .stdin("{\"text\":\"ok\"}\n{\"image\":{\"id\":\"1\",\"link\":\"https://x\"}}\n")
        .run()
        .status(2)
        .stderr_has("--raw from stdin #2")
        .stderr_has("has both `id` and `link`");
    assert_eq!(
        graph.requests().len(),
        2,
        "only the valid stdin batch was sent"
    );
}

#[test]
fn missing_configuration_is_reported_before_any_request() {
    let graph = FakeGraph::start();
    wa_cloud(&["send", TO, "hi"])
        .env("WHATSAPP_CLOUD_GRAPHAPI_BASE_URL", "127.0.0.1")
        .env(
            "WHATSAPP_CLOUD_GRAPHAPI_BASE_PORT",
            &graph.port().to_string(),
        )
        .env("WHATSAPP_CLOUD_GRAPHAPI_PHONE_NUMBER_ID", PHONE_NUMBER_ID)
        .run()
        .status(2)
        .stderr_has("`graphApi.accessToken` is not set")
        .stderr_has("WHATSAPP_CLOUD_GRAPHAPI_ACCESS_TOKEN");
    assert!(graph.requests().is_empty());
}

#[test]
fn api_version_from_flag_changes_the_path() {
    let graph = FakeGraph::start();
    wa_cloud_with(&graph, &["send", TO, "hi", "--api-version", "23"])
        .run()
        .success();
    assert_eq!(
        graph.requests()[0].path,
        format!("/v23.0/{PHONE_NUMBER_ID}/messages")
    );
}

/// The Graph API refuses connections for 3 s; `send` keeps trying (60 s by default),
/// says so on stderr, and the message arrives once.
#[test]
fn send_waits_for_a_graph_api_that_refuses_connections() {
    let graph = FakeGraph::start();
    graph.refuse_for(Duration::from_secs(3));
    let start = Instant::now();
    let run = wa_cloud_with(&graph, &["send", TO, "hi"]).run();
    run.success()
        .stdout_is("wamid.FAKE1\n")
        .stderr_has("cannot reach the Graph API at http://127.0.0.1:")
        .stderr_has("(connection refused); retrying in")
        .stderr_has("(until 60 s have passed)")
        .keeps_secrets();
    let elapsed = start.elapsed();
    assert!(
        elapsed >= Duration::from_secs(3) && elapsed < Duration::from_secs(30),
        "{elapsed:?}"
    );
    assert_eq!(
        graph.bodies(),
        vec![graph_body("text", json!({"body": "hi"}))]
    );
}

#[test]
fn send_gives_up_when_its_timeout_runs_out() {
    let graph = FakeGraph::start();
    graph.refuse_for(Duration::from_secs(60));
    let start = Instant::now();
    wa_cloud_with(&graph, &["send", TO, "hi", "--timeout", "2s"])
        .run()
        .status(1)
        .stdout_is("")
        .stderr_has("retrying in")
        .stderr_has("message 1 of 1 (text) to 4915112345678 was not sent")
        .stderr_has("--timeout 2s ran out (give a longer --timeout to keep trying)")
        .stderr_has("cannot reach the Graph API at http://127.0.0.1:")
        .stderr_has("(connection refused)")
        .keeps_secrets();
    let elapsed = start.elapsed();
    assert!(
        elapsed >= Duration::from_secs(2) && elapsed < Duration::from_secs(20),
        "{elapsed:?}"
    );
}

/// Answers `status`/`body` to every message for 2 s: `send` is accepted after that,
/// the same message each time, accepted once.
fn sent_once_after_failing_for_a_while(status: u16, body: Value, logged: &str) {
    let graph = FakeGraph::start();
    // No later than the failures' start: the first accepted request comes 2 s after it.
    let failing_from = Instant::now();
    graph.fail_for(Duration::from_secs(2), status, body);
    let start = Instant::now();
    wa_cloud_with(&graph, &["send", TO, "hi"])
        .run()
        .success()
        .stdout_is("wamid.FAKE1\n")
        .stderr_has(logged)
        .stderr_has("retrying in");
    assert!(start.elapsed() >= Duration::from_secs(2));
    let requests = graph.requests();
    let last = requests.last().expect("requests");
    assert!(
        last.at >= failing_from + Duration::from_secs(2),
        "accepted only once the failures stopped"
    );
    let bodies = graph.bodies();
    assert!(bodies.len() >= 2, "{bodies:?}");
    assert!(
        bodies
            .iter()
            .all(|b| *b == graph_body("text", json!({"body": "hi"}))),
        "the same message each time: {bodies:?}"
    );
}

#[test]
fn server_errors_for_a_while_are_waited_out() {
    sent_once_after_failing_for_a_while(
        500,
        json!({"error": "internal"}),
        "the Graph API answered HTTP 500",
    );
}

#[test]
fn rate_limits_for_a_while_are_waited_out() {
    sent_once_after_failing_for_a_while(
        400,
        meta_error(
            130429,
            "(#130429) Rate limit hit",
            "Cloud API message throughput has been reached.",
        ),
        "code 130429",
    );
}

#[test]
fn an_error_no_retry_can_mend_fails_at_once() {
    let graph = FakeGraph::start();
    graph.fail_for(
        Duration::from_secs(60),
        400,
        meta_error(
            131047,
            "(#131047) Re-engagement message",
            "Message failed to send because more than 24 hours have passed",
        ),
    );
    let start = Instant::now();
    let run = wa_cloud_with(&graph, &["send", TO, "hi"]).run();
    run.status(1)
        .stdout_is("")
        .stderr_has("code 131047")
        .stderr_has("only a template can reach them");
    assert!(!run.stderr.contains("retrying"), "{}", run.stderr);
    assert!(!run.stderr.contains("--timeout"), "{}", run.stderr);
    assert!(start.elapsed() < Duration::from_secs(20));
    assert_eq!(graph.requests().len(), 1);
}

#[test]
fn timeout_zero_tries_once() {
    let graph = FakeGraph::start();
    graph.fail_for(
        Duration::from_secs(60),
        400,
        meta_error(130429, "(#130429) Rate limit hit", "throughput reached"),
    );
    let run = wa_cloud_with(&graph, &["send", TO, "hi", "--timeout", "0"]).run();
    run.status(1)
        .stdout_is("")
        .stderr_has("--timeout 0 allows one attempt only (give --timeout 60s to keep trying)")
        .stderr_has("code 130429")
        .stderr_has("a rate limit was reached");
    assert!(!run.stderr.contains("retrying"), "{}", run.stderr);
    assert_eq!(graph.requests().len(), 1);
}

/// WhatsApp refuses a message whose buttons or list rows share an id; refused before
/// anything of the batch is sent, with exit status 2.
#[test]
fn duplicate_button_and_row_ids_are_refused_before_anything_is_sent() {
    let graph = FakeGraph::start();
    wa_cloud_with(
        &graph,
        &[
            "send",
            TO,
            "Continue?",
            "--button",
            "yes:Yes",
            "--button",
            "yes:Sure",
        ],
    )
    .run()
    .status(2)
    .stderr_has("`interactive.action.buttons[1].reply.id` is \"yes\" again: button ids must differ")
    .stderr_has("nothing was sent");
    let sections = json!([{"title": "A", "rows": [{"id": "x", "title": "X"}]},
                          {"title": "B", "rows": [{"id": "x", "title": "Y"}]}]);
    wa_cloud_with(&graph, &["send", TO, "--raw", "-"])
        .stdin(&format!(
            "{{\"text\":\"first\"}}\n{}\n",
            json!({"interactive": {"type": "list", "body": {"text": "Pick"},
                   "action": {"button": "Options", "sections": sections}}})
        ))
        .run()
        .status(2)
        .stderr_has("message 2 of 2")
        .stderr_has("list row ids must differ across all sections")
        .stderr_has("nothing was sent");
    assert!(graph.requests().is_empty(), "{:?}", graph.requests().len());
}

/// The README's block of `send` examples, run by bash as printed, against the fake.
#[test]
fn the_readme_send_examples_work() {
    let readme =
        std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
            .unwrap();
    let block = readme
        .split("```sh\n")
        .map(|b| b.split("```").next().unwrap())
        .find(|b| b.starts_with("wa-cloud send 4915112345678 \"Hello\""))
        .expect("the send examples");
    let graph = FakeGraph::start();
    let binary = std::path::Path::new(env!("CARGO_BIN_EXE_wa-cloud"));
    let path = format!(
        "{}:{}",
        binary.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let run = wa_cloud_with(&graph, &[])
        .env("PATH", &path)
        .file("notes.txt", "one\ntwo\nthree\nfour\n")
        .run_program("bash", &["-ec", block]);
    run.success();
    let wamids = run
        .stdout
        .lines()
        .filter(|l| l.starts_with("wamid."))
        .count();
    // Two texts, a text and an image, buttons, a template, one raw, three lines of notes.
    assert_eq!(wamids, 10, "{}", run.stdout);
    let bodies = graph.bodies();
    let kinds: Vec<&str> = bodies.iter().map(|b| b["type"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        [
            "text",
            "text",
            "text",
            "image",
            "interactive",
            "template",
            "text",
            "text",
            "text",
            "text"
        ]
    );
    assert_eq!(bodies[9]["text"]["body"], "four");
}
