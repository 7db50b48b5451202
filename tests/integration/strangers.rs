//! A public endpoint that strangers cannot hurt, and a handler that cannot hurt `serve`:
//! handler lines capped, handlers and what they start stopped in time, no secret in the
//! handler's environment or in a configuration error, and odd notification items kept as
//! `error` events.

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::fake_graph::FakeGraph;
use crate::handler::{python_bot, start, texts, wait_for_messages};
use crate::harness::{TOKEN, poll, wa_cloud};
use crate::server::{Options, SECRET, text_notification};

/// A field of /proc/PID/status, in kB or as counted.
fn proc_status(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status
        .lines()
        .find(|l| l.starts_with(&format!("{field}:")))
        .unwrap_or_else(|| panic!("no {field} in /proc/{pid}/status"));
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// How many threads of process `pid` are named `name`.
fn threads_named(pid: u32, name: &str) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/task"))
        .unwrap()
        .filter_map(|task| std::fs::read_to_string(task.ok()?.path().join("comm")).ok())
        .filter(|comm| comm.trim_end() == name)
        .count()
}

/// Whether a process is gone: no such pid, or only a zombie not yet reaped by whoever
/// adopted it.
fn is_gone(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        // The state follows the command name in parentheses.
        Ok(stat) => stat
            .rsplit(')')
            .next()
            .unwrap_or_default()
            .trim_start()
            .starts_with('Z'),
    }
}

#[track_caller]
fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    poll(
        || format!("{what}: never happened"),
        || done().then_some(()),
    );
}

/// The pids the bot wrote to `name` in `dir`, one a line, once there are `n`.
fn pids_written(dir: &Path, name: &str, n: usize) -> Vec<u32> {
    let path = dir.join(name);
    let mut pids = Vec::new();
    wait_until(&format!("{n} pids in {name}"), || {
        pids = std::fs::read_to_string(&path)
            .unwrap_or_default()
            .lines()
            .filter_map(|l| l.trim().parse().ok())
            .collect();
        pids.len() >= n
    });
    pids
}

#[test]
fn a_line_longer_than_the_cap_is_skipped_without_memory_growth_and_reported() {
    let dir = tempfile::tempdir().unwrap();
    let graph = FakeGraph::start();
    let bot = python_bot(
        dir.path(),
        "bot.py",
        r#"
for line in sys.stdin:
    ev = json.loads(line)
    if ev["event"] == "error":
        print(json.dumps({"to": "4915100000009", "text": "error: " + ev["error"]}), flush=True)
        continue
    if ev.get("text") == "big":
        sys.stdout.write("{\"text\": \"" + "x" * (5 * 1024 * 1024) + "\"}\n"); sys.stdout.flush()
        sys.stderr.write("e" * (3 * 1024 * 1024) + "\n"); sys.stderr.flush()
    print(json.dumps({"to": ev["from"], "text": "after " + ev["text"]}), flush=True)
"#,
    );
    let server = start(
        dir.path(),
        &graph,
        &[bot.to_str().unwrap(), "--events", "message,error"],
    );
    // A first exchange: whatever serve allocates once for it is allocated before measuring.
    let post = |id: &str, text: &str| {
        let body = text_notification(id, "4915112345678", text);
        assert_eq!(server.post(&body).status, 200);
    };
    post("wamid.W1", "warm-up");
    wait_for_messages(&graph, 1, &server);
    let before = proc_status(server.pid(), "VmHWM");

    post("wamid.W2", "big");
    let sent = texts(&wait_for_messages(&graph, 3, &server));
    assert!(
        sent.contains(&("+4915112345678".into(), "after big".into())),
        "the reply after the long line is sent: {sent:?}"
    );
    assert!(
        sent.iter()
            .any(|(_, text)| text.starts_with("error: a line of more than 1048576 bytes")),
        "the handler asked for error events: {sent:?}"
    );
    server.wait_for_log("handler[0] wrote a line of more than 1048576 bytes: skipped");
    server.wait_for_log("handler[0] wrote a line of more than 1048576 bytes to stderr");
    let after = proc_status(server.pid(), "VmHWM");
    eprintln!("serve's peak RSS: {before} kB before a 5 MiB line, {after} kB after");
    assert!(
        after < before + 3 * 1024,
        "serve's peak RSS grew from {before} kB to {after} kB"
    );
    assert_eq!(server.terminate(), Some(0));
}

/// A bot that starts `sleep 600` on its stdout and stderr, writes its pid to `sleep.pids`,
/// and reads its input to the end.
const FORKS_A_SLEEPER: &str = r#"
import subprocess
here = os.path.dirname(os.path.abspath(__file__))
sleeper = subprocess.Popen(["sleep", "600"])
with open(os.path.join(here, "sleep.pids"), "a") as f:
    f.write("%d\n" % sleeper.pid)
for line in sys.stdin:
    ev = json.loads(line)
    print(json.dumps({"to": ev["from"], "text": "ok"}), flush=True)
"#;

#[test]
fn stopping_serve_stops_what_the_handler_started() {
    let dir = tempfile::tempdir().unwrap();
    let graph = FakeGraph::start();
    let bot = python_bot(dir.path(), "bot.py", FORKS_A_SLEEPER);
    let server = start(dir.path(), &graph, &[bot.to_str().unwrap()]);
    let sleeper = pids_written(dir.path(), "sleep.pids", 1)[0];
    assert!(!is_gone(sleeper));
    let began = Instant::now();
    assert_eq!(server.terminate(), Some(0));
    eprintln!(
        "serve exited {:?} after SIGTERM, its handler's child holding its output",
        began.elapsed()
    );
    wait_until("the handler's child is gone", || is_gone(sleeper));
}

#[test]
fn a_handler_that_exits_leaving_a_child_on_its_output_is_started_again_without_leaks() {
    let dir = tempfile::tempdir().unwrap();
    let graph = FakeGraph::start();
    // Three runs exit at once, leaving a `sleep 600` on their output; the fourth stays.
    let bot = python_bot(
        dir.path(),
        "bot.py",
        &format!(
            "{}\n{FORKS_A_SLEEPER}",
            r#"
runs = os.path.join(os.path.dirname(os.path.abspath(__file__)), "runs")
with open(runs, "a") as f:
    f.write("run\n")
if open(runs).read().count("run") <= 3:
    import subprocess
    sleeper = subprocess.Popen(["sleep", "600"])
    with open(os.path.join(os.path.dirname(runs), "sleep.pids"), "a") as f:
        f.write("%d\n" % sleeper.pid)
    sys.exit(0)
"#
        ),
    );
    let server = start(dir.path(), &graph, &[bot.to_str().unwrap()]);
    // Posted once the fourth run is up: runs that end holding it would count as crashes.
    let sleepers = pids_written(dir.path(), "sleep.pids", 4);
    let body = text_notification("wamid.R1", "4915112345678", "hi");
    assert_eq!(server.post(&body).status, 200);
    assert_eq!(
        texts(&wait_for_messages(&graph, 1, &server))[0].1,
        "ok",
        "the fourth run answers"
    );
    for pid in &sleepers[..3] {
        wait_until(&format!("the child {pid} of an ended run is gone"), || {
            is_gone(*pid)
        });
    }
    assert!(!is_gone(sleepers[3]), "the running handler's child lives");
    server.wait_for_log("still holds its output: terminating its process group");
    for name in ["handler-0-out", "handler-0-err"] {
        wait_until(&format!("one thread {name}"), || {
            threads_named(server.pid(), name) == 1
        });
    }
    assert_eq!(server.terminate(), Some(0));
    wait_until("the last child is gone", || is_gone(sleepers[3]));
}

#[test]
fn serve_stops_in_time_when_its_handler_ignores_the_end_of_input_and_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let graph = FakeGraph::start();
    let bot = python_bot(
        dir.path(),
        "bot.py",
        r#"
import signal, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
for line in sys.stdin:
    ev = json.loads(line)
    print(json.dumps({"to": ev["from"], "text": "ok"}), flush=True)
time.sleep(600)
"#,
    );
    let server = start(dir.path(), &graph, &[bot.to_str().unwrap()]);
    let body = text_notification("wamid.T1", "4915112345678", "hi");
    assert_eq!(server.post(&body).status, 200);
    wait_for_messages(&graph, 1, &server);
    let began = Instant::now();
    assert_eq!(server.terminate(), Some(0));
    let took = began.elapsed();
    eprintln!("serve exited {took:?} after SIGTERM (handler ignoring EOF and SIGTERM)");
    // 5 s of grace, SIGTERM, SIGKILL 2 s later: inside Docker's 10 s stop timeout.
    assert!(took < Duration::from_secs(9), "took {took:?}");
    assert!(
        took >= Duration::from_secs(5),
        "the handler had its grace: {took:?}"
    );
}

#[test]
fn no_variable_holding_a_secret_reaches_the_handler_unless_passed() {
    let dir = tempfile::tempdir().unwrap();
    let graph = FakeGraph::start();
    let bot = python_bot(
        dir.path(),
        "bot.py",
        r#"
for line in sys.stdin:
    ev = json.loads(line)
    print(json.dumps({"to": ev["from"], "text": json.dumps(dict(os.environ))}), flush=True)
"#,
    );
    let server = crate::handler::against(dir.path(), &graph)
        .args(&["--handler", bot.to_str().unwrap(), "--pass-env", "PASSED"])
        .env("WHATSAPP_CLOUD_MESSAGES_SEQUENTIAL", "false")
        .env("AUTH_HEADER", format!("Bearer {TOKEN}"))
        .env(
            "HOOK_URL",
            format!("https://hooks.example/in?key={SECRET}&x=1"),
        )
        .env("PASSED", format!("Bearer {TOKEN}"))
        .env("HARMLESS", "nothing to hide")
        .start();
    let body = text_notification("wamid.V1", "4915112345678", "hi");
    assert_eq!(server.post(&body).status, 200);
    let env: Value =
        serde_json::from_str(&texts(&wait_for_messages(&graph, 1, &server))[0].1).unwrap();
    let env = env.as_object().unwrap();
    for gone in [
        "AUTH_HEADER",
        "HOOK_URL",
        "WHATSAPP_CLOUD_GRAPHAPI_ACCESS_TOKEN",
    ] {
        assert!(!env.contains_key(gone), "{gone} reached the handler");
    }
    assert_eq!(env["PASSED"], json!(format!("Bearer {TOKEN}")));
    assert_eq!(env["HARMLESS"], "nothing to hide");
    for (name, value) in env {
        let value = value.as_str().unwrap();
        let leaks = [TOKEN, SECRET, crate::server::VERIFY_TOKEN]
            .iter()
            .any(|s| value.contains(s));
        assert!(!leaks || name == "PASSED", "{name} holds a secret");
    }
    server.wait_for_log("not handing AUTH_HEADER, HOOK_URL to the handler");
    assert!(!server.stderr().contains(TOKEN) && !server.stderr().contains(SECRET));
}

#[test]
fn a_secret_of_the_wrong_type_is_never_shown_in_an_error() {
    let cases = [
        (
            "webhooks:\n  secret: 918273645546\n",
            "webhooks.secret",
            "a number",
            "918273645546",
        ),
        (
            "webhooks:\n  verifyToken: [verify-in-a-list]\n",
            "webhooks.verifyToken",
            "a list",
            "verify-in-a-list",
        ),
        (
            "graphApi:\n  accessToken:\n    EAAG: token-in-a-mapping\n",
            "graphApi.accessToken",
            "a mapping",
            "token-in-a-mapping",
        ),
        (
            "graphApi:\n  accessToken: true\n",
            "graphApi.accessToken",
            "a boolean",
            "true",
        ),
    ];
    for (file, key, kind, value) in cases {
        let run = wa_cloud(&["config"])
            .file("whatsapp-cloud.config.yaml", file)
            .run();
        run.status(2)
            .stderr_has("whatsapp-cloud.config.yaml")
            .stderr_has(&format!(
                "`{key}` must be a string, but is {kind} (not shown"
            ));
        assert!(!run.stderr.contains(value), "{}", run.stderr);
    }
    // The same in JSON, and a section or a whole file that is only the secret.
    for (name, file, error) in [
        (
            "whatsapp-cloud.config.json",
            r#"{"webhooks": {"secret": 918273645546}}"#,
            "`webhooks.secret` must be a string, but is a number",
        ),
        (
            "whatsapp-cloud.config.yaml",
            "graphApi: EAAG-918273645546\n",
            "`graphApi` must be a mapping of keys, but is a string",
        ),
        (
            "whatsapp-cloud.config.yaml",
            "EAAG-918273645546\n",
            "must hold a mapping of keys (webhooks, graphApi, media, ...), not a string",
        ),
    ] {
        let run = wa_cloud(&["config"]).file(name, file).run();
        run.status(2).stderr_has(error);
        assert!(!run.stderr.contains("918273645546"), "{}", run.stderr);
    }
    // Non-secret values are still shown: they help.
    wa_cloud(&["config"])
        .file("whatsapp-cloud.config.yaml", "webhooks:\n  port: many\n")
        .run()
        .status(2)
        .stderr_has("but is \"many\"");
}

#[test]
fn odd_items_of_a_signed_notification_are_kept_as_error_events_and_answered_200() {
    let dir = tempfile::tempdir().unwrap();
    let server = Options::new(dir.path())
        .args(&["--events", "message,status,error"])
        .start();
    let body = json!({"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [{
        "field": "messages", "value": {
            "metadata": {"phone_number_id": "106540352242922"},
            "messages": [1, "x", {"from": "4915112345678", "type": "text", "text": {"body": "no id"}},
                         {"from": "4915112345678", "id": "wamid.OK", "type": "text", "text": {"body": "fine"}}],
            "statuses": [{"status": "sent", "recipient_id": "1"}, {"status": "sent", "recipient_id": "2"}]}}]}]})
    .to_string();
    assert_eq!(server.post(body.as_bytes()).status, 200);
    let events = server.events(6);
    let kinds: Vec<&str> = events
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        ["error", "error", "error", "message", "error", "error"]
    );
    assert_eq!(events[3]["id"], "wamid.OK");
    assert_eq!(events[0]["raw"], 1);
    assert_eq!(events[2]["error"], "WhatsApp sent a message without an id");
    assert_eq!(events[4]["raw"]["recipient_id"], "1");
    assert_eq!(events[5]["raw"]["recipient_id"], "2");
    server.wait_for_log("WhatsApp sent a status without an id");
    // Delivered again: still 200, and nothing new.
    assert_eq!(server.post(body.as_bytes()).status, 200);
    let text = text_notification("wamid.after", "4915112345678", "after");
    assert_eq!(server.post(&text).status, 200);
    assert_eq!(server.events(1)[0]["id"], "wamid.after");
    assert_eq!(server.terminate(), Some(0));
}
