//! Several business numbers in one `serve` (`graphApi.numbers`): each number's own access
//! token and rate ceiling, and the allow-list of numbers whose events are handed over.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::fake_graph::FakeGraph;
use crate::handler::{PATIENCE, against, python_bot, sent_messages};
use crate::harness::{PHONE_NUMBER_ID, TOKEN, wa_cloud_with};

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
    json!({"object": "whatsapp_business_account", "entry": [{"id": "102290129340398", "changes": [{
        "field": "messages", "value": {"messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550783881", "phone_number_id": number},
        "contacts": [{"profile": {"name": "Dana"}, "wa_id": phone}],
        "messages": [{"from": phone, "id": wamid, "timestamp": unix_now().to_string(),
                      "type": "text", "text": {"body": text}}]}}]}]})
    .to_string()
    .into_bytes()
}

/// Polls `probe` until it gives a value, for at most [`PATIENCE`].
fn wait_for<T>(what: impl Fn() -> String, mut probe: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + PATIENCE;
    loop {
        if let Some(value) = probe() {
            return value;
        }
        assert!(Instant::now() < deadline, "timed out: {}", what());
        std::thread::sleep(Duration::from_millis(20));
    }
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
    let requests = wait_for(
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
