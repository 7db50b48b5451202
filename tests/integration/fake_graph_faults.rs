//! The fake Graph API's fault injection, checked with a plain HTTP client: other tests
//! rely on it to stand for an unreachable, failing, slow or silent Graph API.

use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::fake_graph::{FakeGraph, meta_error};
use crate::harness::poll;
use crate::server::sign;

/// Generous: the machine may be loaded. Tests poll; this bounds the wait.
const PATIENCE: Duration = Duration::from_secs(30);

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(PATIENCE))
        .build()
        .into()
}

fn messages_url(graph: &FakeGraph) -> String {
    format!(
        "http://127.0.0.1:{}/v25.0/106540352242922/messages",
        graph.port()
    )
}

fn text_to(to: &str) -> Value {
    json!({"messaging_product": "whatsapp", "to": to, "type": "text", "text": {"body": "hi"}})
}

/// Posts a message; its status and body, or the transport error.
fn post(agent: &ureq::Agent, graph: &FakeGraph, body: &Value) -> Result<(u16, Value), ureq::Error> {
    let mut response = agent.post(&messages_url(graph)).send_json(body)?;
    let status = response.status().as_u16();
    let body = response.body_mut().read_json::<Value>()?;
    Ok((status, body))
}

/// Polls `check` until it holds (`harness::poll`'s time limit).
#[track_caller]
fn wait_until(what: &str, mut check: impl FnMut() -> bool) {
    poll(
        || format!("timed out waiting until {what}"),
        || check().then_some(()),
    );
}

#[test]
fn hung_recipients_wait_for_release_while_others_are_answered() {
    let graph = FakeGraph::start();
    graph.hang_for("+4915100000001");
    let (done_tx, done) = mpsc::channel();
    std::thread::scope(|scope| {
        scope.spawn(|| {
            // Stored without '+': still held.
            let _ = done_tx.send(post(&agent(), &graph, &text_to("4915100000001")));
        });
        wait_until("the held request arrived", || graph.requests().len() == 1);
        let (status, body) = post(&agent(), &graph, &text_to("+4915100000002")).unwrap();
        assert_eq!(status, 200);
        assert!(body["messages"][0]["id"].is_string(), "{body}");
        assert!(done.try_recv().is_err(), "the held request got an answer");

        graph.release_hangs();
        let (status, body) = done.recv_timeout(PATIENCE).unwrap().unwrap();
        assert_eq!(status, 200);
        assert_eq!(body["contacts"][0]["wa_id"], "4915100000001");
    });
    let requests = graph.requests();
    assert_eq!(requests.len(), 2);
    assert!(requests[0].at <= requests[1].at, "recorded as they arrived");
}

#[test]
fn answers_can_be_delayed() {
    let graph = FakeGraph::start();
    graph.delay_answers(Duration::from_millis(300));
    let start = Instant::now();
    let (status, _) = post(&agent(), &graph, &text_to("+4915100000001")).unwrap();
    assert_eq!(status, 200);
    assert!(start.elapsed() >= Duration::from_millis(300));
}

#[test]
fn errors_can_be_answered_for_a_while() {
    let graph = FakeGraph::start();
    let rate_limit = meta_error(130429, "(#130429) Rate limit hit", "throughput reached");
    graph.fail_for(Duration::from_millis(500), 400, rate_limit);
    let agent = agent();
    let (status, body) = post(&agent, &graph, &text_to("+4915100000001")).unwrap();
    assert_eq!(status, 400);
    assert_eq!(body["error"]["code"], 130429);
    wait_until("messages are accepted again", || {
        post(&agent, &graph, &text_to("+4915100000001")).unwrap().0 == 200
    });
}

#[test]
fn refused_connections_come_back_by_themselves_on_the_same_port() {
    let graph = FakeGraph::start();
    let agent = agent();
    // A keep-alive connection in the agent's pool: it must fail too.
    assert_eq!(
        post(&agent, &graph, &text_to("+4915100000001")).unwrap().0,
        200
    );
    let start = Instant::now();
    graph.refuse_for(Duration::from_millis(800));
    assert!(!graph.listening());
    let error = post(&agent, &graph, &text_to("+4915100000001")).unwrap_err();
    assert!(matches!(error, ureq::Error::Io(_)), "{error:?}");
    let error = post(&agent, &graph, &text_to("+4915100000001")).unwrap_err();
    assert!(
        matches!(&error, ureq::Error::Io(io) if io.kind() == std::io::ErrorKind::ConnectionRefused),
        "{error:?}"
    );
    wait_until("the port is open again", || {
        post(&agent, &graph, &text_to("+4915100000001")).is_ok()
    });
    assert!(start.elapsed() >= Duration::from_millis(800));
    assert!(graph.listening());
    assert_eq!(graph.requests().len(), 2, "nothing arrived while refusing");
}

#[test]
fn accepted_messages_are_followed_by_signed_statuses() {
    let graph = FakeGraph::start();
    // Two more fakes stand for a webhook receiver, before and after a "restart".
    let webhook = FakeGraph::start();
    webhook
        .then_respond(200, json!({}))
        .then_respond(200, json!({}));
    let webhook_url = |fake: &FakeGraph| format!("http://127.0.0.1:{}/webhook", fake.port());
    graph.post_statuses_to(&webhook_url(&webhook), "app-secret");
    let agent = agent();
    let mut message = text_to("+4915100000001");
    message["biz_opaque_callback_data"] = json!("order-17");
    let (_, reply) = post(&agent, &graph, &message).unwrap();
    let wamid = reply["messages"][0]["id"].as_str().unwrap().to_string();

    wait_until("both statuses arrived", || webhook.requests().len() == 2);
    let statuses: Vec<Value> = webhook
        .requests()
        .iter()
        .map(|request| {
            assert_eq!(
                request.header("x-hub-signature-256"),
                sign("app-secret", &request.body)
            );
            let notification = request.json();
            assert_eq!(notification["object"], "whatsapp_business_account");
            let value = &notification["entry"][0]["changes"][0]["value"];
            assert_eq!(value["metadata"]["phone_number_id"], "106540352242922");
            value["statuses"][0].clone()
        })
        .collect();
    assert_eq!(statuses[0]["status"], "sent");
    assert_eq!(statuses[1]["status"], "delivered");
    for status in &statuses {
        assert_eq!(status["id"], wamid.as_str());
        assert_eq!(status["recipient_id"], "4915100000001");
        assert_eq!(status["biz_opaque_callback_data"], "order-17");
        assert!(status["timestamp"].as_str().unwrap().parse::<u64>().is_ok());
    }

    // Stopped, nothing for this one; then a new URL gets the next message's statuses.
    graph.stop_statuses();
    post(&agent, &graph, &text_to("+4915100000001")).unwrap();
    let moved = FakeGraph::start();
    moved
        .then_respond(200, json!({}))
        .then_respond(200, json!({}));
    graph.post_statuses_to(&webhook_url(&moved), "app-secret");
    let (_, reply) = post(&agent, &graph, &text_to("+4915100000001")).unwrap();
    wait_until("the statuses reached the new URL", || {
        moved.requests().len() == 2
    });
    let first = moved.requests()[0].json();
    let status = &first["entry"][0]["changes"][0]["value"]["statuses"][0];
    assert_eq!(status["id"], reply["messages"][0]["id"]);
    assert_eq!(status.get("biz_opaque_callback_data"), None);
    assert_eq!(webhook.requests().len(), 2, "the old URL got nothing more");
}

/// The fake fails the test that scripted an answer and never made the request for it.
#[test]
#[should_panic(expected = "told to answer 1 more request(s) that never came")]
fn an_unused_scripted_answer_fails_the_test() {
    let graph = FakeGraph::start();
    graph.then_respond(500, json!({}));
}
