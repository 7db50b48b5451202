//! `/metrics` of `serve`: the counters move as requests are made, and the exposition
//! parses (every sample line is a name, optional labels and a number).

use std::collections::BTreeMap;
use std::time::Duration;

use crate::fake_graph::FakeGraph;
use crate::handler::{against, python_bot, wait_for_messages};
use crate::harness::poll;
use crate::server::{Server, sign, text_notification};

/// The samples of an OpenMetrics text exposition, `name{labels}` → value; panics on a
/// line that is neither a comment nor a sample, or without the closing `# EOF`.
fn parse(text: &str) -> BTreeMap<String, f64> {
    assert!(text.trim_end().ends_with("# EOF"), "no # EOF:\n{text}");
    let mut samples = BTreeMap::new();
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let (name, value) = line
            .rsplit_once(' ')
            .unwrap_or_else(|| panic!("not a sample: {line:?}"));
        let value: f64 = value
            .parse()
            .unwrap_or_else(|_| panic!("not a number: {line:?}"));
        let bare = name.split('{').next().unwrap();
        assert!(
            bare.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                && bare.starts_with("wa_cloud_"),
            "bad metric name: {line:?}"
        );
        samples.insert(name.to_string(), value);
    }
    samples
}

fn scrape(url: &str) -> BTreeMap<String, f64> {
    let mut answer = ureq::get(url).call().unwrap();
    let kind = answer.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(kind.starts_with("application/openmetrics-text"), "{kind}");
    parse(&answer.body_mut().read_to_string().unwrap())
}

fn value(samples: &BTreeMap<String, f64>, name: &str) -> f64 {
    *samples
        .get(name)
        .unwrap_or_else(|| panic!("no {name} in {samples:#?}"))
}

/// Polls until `check` holds for a scrape, for what arrives after the answer (replies).
fn eventually(
    url: &str,
    server: &Server,
    check: impl Fn(&BTreeMap<String, f64>) -> bool,
) -> BTreeMap<String, f64> {
    poll(
        || format!("{:#?}\n{}", scrape(url), server.stderr()),
        || Some(scrape(url)).filter(|samples| check(samples)),
    )
}

#[test]
fn metrics_count_notifications_refusals_duplicates_and_replies() {
    let dir = tempfile::tempdir().unwrap();
    let graph = FakeGraph::start();
    let bot = python_bot(
        dir.path(),
        "echo.py",
        r#"
for line in sys.stdin:
    ev = json.loads(line)
    print(json.dumps({"to": ev["from"], "text": "ok"}), flush=True)
"#,
    );
    let server = against(dir.path(), &graph)
        .args(&["--handler", bot.to_str().unwrap()])
        .env("WHATSAPP_CLOUD_WEBHOOKS_METRICS", "true")
        .env("WHATSAPP_CLOUD_MESSAGES_SEQUENTIAL", "false")
        .start();
    let url = server.url("/metrics");
    let before = scrape(&url);
    assert_eq!(value(&before, "wa_cloud_notifications_received_total"), 0.0);
    assert_eq!(value(&before, "wa_cloud_inbox_backlog"), 0.0);

    let body = text_notification("wamid.M1", "4915112345678", "hi");
    assert_eq!(server.post(&body).status, 200);
    assert_eq!(server.post(&body).status, 200); // WhatsApp's redelivery
    assert_eq!(
        server
            .post_signed_as(&body, Some(&sign("wrong", &body)))
            .status,
        401
    );
    wait_for_messages(&graph, 1, &server);

    let after = eventually(&url, &server, |s| {
        s.get("wa_cloud_replies_sent_total") == Some(&1.0)
    });
    assert_eq!(value(&after, "wa_cloud_notifications_received_total"), 3.0);
    assert_eq!(
        value(
            &after,
            r#"wa_cloud_notifications_rejected_total{reason="signature"}"#
        ),
        1.0
    );
    assert_eq!(value(&after, "wa_cloud_items_stored_total"), 1.0);
    assert_eq!(value(&after, "wa_cloud_items_duplicate_total"), 1.0);
    assert_eq!(value(&after, "wa_cloud_events_handed_over_total"), 1.0);
    assert_eq!(value(&after, "wa_cloud_replies_queued_total"), 1.0);
    assert_eq!(value(&after, "wa_cloud_handler_restarts_total"), 0.0);
    // The reply and the read mark: two Graph API requests timed.
    assert!(
        value(&after, "wa_cloud_graph_request_seconds_count") >= 2.0,
        "{after:#?}"
    );
    assert!(
        value(
            &after,
            r#"wa_cloud_graph_request_seconds_bucket{le="+Inf"}"#
        ) >= 2.0
    );
}

#[test]
fn metrics_are_off_by_default_and_on_a_port_of_their_own_with_metrics_port() {
    let dir = tempfile::tempdir().unwrap();
    let server = crate::server::Options::new(dir.path())
        .args(&["--metrics-port", "0"])
        .start();
    server.wait_for_log("metrics on http://127.0.0.1:");
    // Not on the webhooks port: /metrics there is just an unknown path.
    assert_eq!(server.get("/metrics").status, 404);
    let log = server.stderr();
    let port: String = log
        .split("metrics on http://127.0.0.1:")
        .nth(1)
        .unwrap()
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    let url = format!("http://127.0.0.1:{port}/metrics");
    let body = text_notification("wamid.M2", "4915112345678", "hi");
    assert_eq!(server.post(&body).status, 200);
    server.events(1);
    let samples = eventually(&url, &server, |s| {
        s.get("wa_cloud_events_handed_over_total") == Some(&1.0)
    });
    assert_eq!(value(&samples, "wa_cloud_items_stored_total"), 1.0);
    assert_eq!(value(&samples, "wa_cloud_inbox_backlog"), 0.0);
}

#[test]
fn metrics_show_the_outbox_backlog_and_statuses_by_kind() {
    let dir = tempfile::tempdir().unwrap();
    let graph = FakeGraph::start();
    let bot = python_bot(
        dir.path(),
        "echo.py",
        r#"
for line in sys.stdin:
    ev = json.loads(line)
    if ev["event"] == "message":
        print(json.dumps({"to": ev["from"], "text": "ok"}), flush=True)
"#,
    );
    let server = against(dir.path(), &graph)
        .args(&["--handler", bot.to_str().unwrap()])
        .env("WHATSAPP_CLOUD_WEBHOOKS_METRICS", "true")
        .env("WHATSAPP_CLOUD_MESSAGES_SEQUENTIAL", "false")
        .env("WHATSAPP_CLOUD_MESSAGES_MARK_AS_READ", "false")
        .start();
    let url = server.url("/metrics");
    // While the Graph API refuses, the reply waits in the outbox.
    graph.refuse_for(Duration::from_secs(4));
    let body = text_notification("wamid.B1", "4915112345678", "hi");
    assert_eq!(server.post(&body).status, 200);
    eventually(&url, &server, |s| {
        s.get("wa_cloud_outbox_backlog") == Some(&1.0)
            && s.contains_key("wa_cloud_outbox_oldest_age_seconds")
    });
    wait_for_messages(&graph, 1, &server);
    eventually(&url, &server, |s| {
        s.get("wa_cloud_outbox_backlog") == Some(&0.0)
    });

    let status = serde_json::json!({"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [{"field": "messages",
        "value": {"messaging_product": "whatsapp", "metadata": {"display_phone_number": "15550783881", "phone_number_id": "106540352242922"},
        "statuses": [{"id": "wamid.OUT1", "status": "delivered", "timestamp": "1732612400", "recipient_id": "4915112345678"}]}}]}]})
    .to_string();
    assert_eq!(server.post(status.as_bytes()).status, 200);
    eventually(&url, &server, |s| {
        s.get(r#"wa_cloud_statuses_total{status="delivered"}"#) == Some(&1.0)
    });
}
