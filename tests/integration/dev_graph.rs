//! `wa-cloud dev --graph-only`, the local Graph API, as other programs use it: the real
//! binary on port 0, with `wa-cloud send`, `upload` and `download` pointed at it, raw
//! requests for what wa-cloud never sends (wrong tokens, malformed messages), and a
//! webhook (a recorder of our own, and a real `wa-cloud serve`) that the statuses of
//! each message are posted to, signed.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::http::HeaderMap;
use serde_json::{Value, json};

use crate::harness::{PHONE_NUMBER_ID, TOKEN, WaCloud, poll, wa_cloud};
use crate::server::{Options, SECRET, sign};

/// Generous: the machine may be loaded. Tests poll; this bounds the wait.
const PATIENCE: Duration = Duration::from_secs(30);
const TO: &str = "4915112345678";

/// A running `wa-cloud dev --graph-only --port 0`, and a room for the files and the
/// database of the wa-cloud commands pointed at it.
struct DevGraph {
    child: Child,
    port: u16,
    stderr: Arc<Mutex<String>>,
    room: tempfile::TempDir,
    agent: ureq::Agent,
}

impl DevGraph {
    /// Started with the test token and phone number id, and these flags.
    fn start(flags: &[&str]) -> DevGraph {
        let room = tempfile::tempdir().expect("a temporary directory");
        let mut command = Command::new(env!("CARGO_BIN_EXE_wa-cloud"));
        let mut child = crate::harness::clean_room(&mut command, room.path())
            .args(["dev", "--graph-only", "--graph-port", "0", "--token", TOKEN])
            .args(["--phone-number-id", PHONE_NUMBER_ID])
            .args(flags)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start wa-cloud dev --graph-only");
        let stderr = Arc::new(Mutex::new(String::new()));
        {
            let stderr = stderr.clone();
            let pipe = child.stderr.take().unwrap();
            std::thread::spawn(move || {
                for line in BufReader::new(pipe).lines() {
                    let Ok(line) = line else { break };
                    let mut all = stderr.lock().unwrap();
                    all.push_str(&line);
                    all.push('\n');
                }
            });
        }
        let (url_tx, url_rx) = mpsc::channel();
        let stdout = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                let _ = url_tx.send(line);
            }
        });
        let url = match url_rx.recv_timeout(PATIENCE) {
            Ok(url) => url,
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "dev --graph-only printed no URL:\n{}",
                    stderr.lock().unwrap()
                );
            }
        };
        let port = url
            .strip_prefix("http://127.0.0.1:")
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("not a base URL on 127.0.0.1: {url:?}"));
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(PATIENCE))
            .build()
            .into();
        DevGraph {
            child,
            port,
            stderr,
            room,
            agent,
        }
    }

    /// A wa-cloud command configured (by environment) to talk to this local Graph API,
    /// with its database and downloads in the room.
    fn wa_cloud(&self, args: &[&str]) -> WaCloud {
        self.wa_cloud_with_token(args, TOKEN)
    }

    fn wa_cloud_with_token(&self, args: &[&str], token: &str) -> WaCloud {
        wa_cloud(args)
            .env("WHATSAPP_CLOUD_GRAPHAPI_BASE_URL", "127.0.0.1")
            .env("WHATSAPP_CLOUD_GRAPHAPI_BASE_PORT", &self.port.to_string())
            .env("WHATSAPP_CLOUD_GRAPHAPI_ACCESS_TOKEN", token)
            .env("WHATSAPP_CLOUD_GRAPHAPI_PHONE_NUMBER_ID", PHONE_NUMBER_ID)
            .env(
                "WHATSAPP_CLOUD_MEDIA_DB_PATH",
                &self.path("media/media-ids.db").display().to_string(),
            )
            .env(
                "WHATSAPP_CLOUD_MEDIA_DOWNLOAD_DIR",
                &self.path("downloads").display().to_string(),
            )
    }

    fn path(&self, name: &str) -> PathBuf {
        self.room.path().join(name)
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// A request with this bearer token (None: no Authorization header); the status
    /// and the body as JSON (Null when it is not JSON).
    fn request(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&str>,
    ) -> (u16, Value) {
        let url = self.url(path);
        let authorization = token.map(|t| format!("Bearer {t}"));
        let result = match (method, body) {
            ("GET", _) => {
                let mut request = self.agent.get(&url);
                if let Some(a) = &authorization {
                    request = request.header("authorization", a);
                }
                request.call()
            }
            ("POST", Some(body)) => {
                let mut request = self
                    .agent
                    .post(&url)
                    .header("content-type", "application/json");
                if let Some(a) = &authorization {
                    request = request.header("authorization", a);
                }
                request.send(body)
            }
            other => panic!("no such request in these tests: {other:?}"),
        };
        let mut response = result.expect("an HTTP answer");
        let status = response.status().as_u16();
        let text = response.body_mut().read_to_string().unwrap_or_default();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    fn post_message(&self, token: Option<&str>, body: &str) -> (u16, Value) {
        let path = format!("/v25.0/{PHONE_NUMBER_ID}/messages");
        self.request("POST", &path, token, Some(body))
    }

    fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// Sends SIGTERM; the exit status.
    fn terminate(mut self) -> Option<i32> {
        let stderr = self.stderr.clone();
        crate::server::terminate(&mut self.child, move || stderr.lock().unwrap().clone())
    }
}

impl Drop for DevGraph {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A webhook that records every POST (headers and exact body) and answers 200.
struct Recorder {
    addr: SocketAddr,
    posts: Arc<Mutex<Vec<(HeaderMap, Bytes)>>>,
    _runtime: tokio::runtime::Runtime,
}

impl Recorder {
    fn start() -> Recorder {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let addr = listener.local_addr().unwrap();
        let posts = Arc::new(Mutex::new(Vec::new()));
        let recorded = posts.clone();
        let app = Router::new().fallback(move |headers: HeaderMap, body: Bytes| {
            let recorded = recorded.clone();
            async move {
                recorded.lock().unwrap().push((headers, body));
                "ok"
            }
        });
        runtime.spawn(async move { axum::serve(listener, app).await });
        Recorder {
            addr,
            posts,
            _runtime: runtime,
        }
    }

    fn url(&self) -> String {
        format!("http://{}/webhook", self.addr)
    }

    /// Waits until `n` posts have arrived, and returns them all.
    #[track_caller]
    fn wait_for(&self, n: usize, graph: &DevGraph) -> Vec<(HeaderMap, Bytes)> {
        let posts = || self.posts.lock().unwrap().clone();
        poll(
            || {
                format!(
                    "only {} of {n} statuses arrived\n{}",
                    posts().len(),
                    graph.stderr()
                )
            },
            || Some(posts()).filter(|posts| posts.len() >= n),
        )
    }
}

fn write(path: &Path, bytes: &[u8]) -> String {
    std::fs::write(path, bytes).expect("write a test file");
    path.display().to_string()
}

/// A small PNG, as far as sniffing goes.
fn png() -> Vec<u8> {
    [b"\x89PNG\r\n\x1a\n".as_slice(), &[42; 3000]].concat()
}

#[test]
fn send_upload_and_download_work_against_it() {
    let graph = DevGraph::start(&[]);
    let sent = graph.wa_cloud(&["send", TO, "Hello", "again"]).run();
    sent.success().keeps_secrets();
    let wamids: Vec<&str> = sent.stdout.lines().collect();
    assert_eq!(wamids.len(), 2, "{}", sent.stdout);
    assert!(wamids.iter().all(|w| w.starts_with("wamid.")), "{wamids:?}");
    assert_ne!(wamids[0], wamids[1]);

    let bytes = png();
    let file = write(&graph.path("dot.png"), &bytes);
    let uploaded = graph.wa_cloud(&["upload", &file]).run();
    uploaded.success();
    let id = uploaded.stdout.trim().to_string();
    assert!(
        !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()),
        "{id:?}"
    );

    // The download checks the size and the SHA-256 the local Graph API reported.
    let downloaded = graph.wa_cloud(&["download", &id]).run();
    downloaded.success();
    let path = PathBuf::from(downloaded.stdout.trim());
    assert_eq!(path.extension().unwrap(), "png", "{}", path.display());
    assert_eq!(std::fs::read(&path).unwrap(), bytes);

    // Sending a file uploads it (through the cache: the same id) and sends the id.
    graph
        .wa_cloud(&["send", TO, "--image", &file, "--caption", "a dot"])
        .run()
        .success()
        .stdout_has("wamid.");
    assert!(
        graph.stderr().contains(&format!("\"id\":\"{id}\"")),
        "the log shows the image message by id:\n{}",
        graph.stderr()
    );

    graph
        .wa_cloud(&["media", "delete", &id])
        .run()
        .success()
        .stdout_is(&format!("{id}\n"));
    let again = graph.wa_cloud(&["download", &id, "-o", "again.png"]).run();
    again.status(1).stderr_has("code 100");
    assert_eq!(graph.terminate(), Some(0));
}

#[test]
fn each_message_gets_signed_statuses_in_order_and_a_reaction_only_sent() {
    let webhook = Recorder::start();
    let url = webhook.url();
    let graph = DevGraph::start(&["--webhook", &url, "--secret", SECRET]);
    let send = |args: &[&str]| {
        let run = graph.wa_cloud(args).run();
        run.success();
        run.stdout.trim().to_string()
    };
    let first = send(&["send", "+49 151 12345678", "one"]);
    let reaction = send(&["send", TO, "--react", "👍", "--to-message", &first]);
    let last = send(&["send", TO, "two"]);

    // One status after another, in the order the messages were sent: when the last one
    // is there, every earlier one is, and nothing else is coming.
    let posts = webhook.wait_for(7, &graph);
    let mut seen = Vec::new();
    for (headers, body) in &posts {
        let header = headers
            .get("x-hub-signature-256")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        assert_eq!(header, sign(SECRET, body), "signed over the exact body");
        assert_eq!(
            headers.get("content-type").unwrap(),
            "application/json",
            "as WhatsApp posts"
        );
        let notification: Value = serde_json::from_slice(body).unwrap();
        assert_eq!(notification["object"], "whatsapp_business_account");
        let change = &notification["entry"][0]["changes"][0];
        assert_eq!(change["field"], "messages");
        let value = &change["value"];
        assert_eq!(value["messaging_product"], "whatsapp");
        assert_eq!(value["metadata"]["phone_number_id"], PHONE_NUMBER_ID);
        let status = &value["statuses"][0];
        assert_eq!(status["recipient_id"], TO, "the digits of `to`");
        assert!(status["timestamp"].as_str().unwrap().parse::<u64>().is_ok());
        seen.push((
            status["id"].as_str().unwrap().to_string(),
            status["status"].as_str().unwrap().to_string(),
        ));
    }
    let expected: Vec<(String, String)> = [
        (&first, "sent"),
        (&first, "delivered"),
        (&first, "read"),
        (&reaction, "sent"),
        (&last, "sent"),
        (&last, "delivered"),
        (&last, "read"),
    ]
    .iter()
    .map(|(id, status)| (id.to_string(), status.to_string()))
    .collect();
    assert_eq!(seen, expected);
    assert_eq!(webhook.posts.lock().unwrap().len(), 7);
}

#[test]
fn statuses_reach_a_real_serve() {
    let dir = tempfile::tempdir().unwrap();
    let serve = Options::new(dir.path())
        .args(&["--events", "status"])
        .start();
    let webhook = serve.url("/");
    let graph = DevGraph::start(&["--webhook", &webhook, "--secret", SECRET]);
    let sent = graph.wa_cloud(&["send", TO, "hi"]).run();
    sent.success();
    let wamid = sent.stdout.trim();
    let events = serve.events(3);
    let statuses: Vec<&str> = events
        .iter()
        .map(|e| {
            assert_eq!(e["event"], "status");
            assert_eq!(e["id"], wamid);
            assert_eq!(e["to"], TO);
            e["status"].as_str().unwrap()
        })
        .collect();
    assert_eq!(statuses, ["sent", "delivered", "read"]);
}

#[test]
fn wrong_or_missing_tokens_get_401_and_code_190() {
    let graph = DevGraph::start(&[]);
    let message =
        json!({"messaging_product": "whatsapp", "to": TO, "text": {"body": "hi"}}).to_string();
    for token in [Some("EAAG-wrong"), None] {
        let (status, body) = graph.post_message(token, &message);
        assert_eq!(status, 401, "{body}");
        assert_eq!(body["error"]["code"], 190, "{body}");
        assert_eq!(body["error"]["type"], "OAuthException");
        assert!(body["error"]["fbtrace_id"].is_string());
    }
    // The media URL needs the token too.
    let file = write(&graph.path("dot.png"), &png());
    let id = graph
        .wa_cloud(&["upload", &file])
        .run()
        .stdout
        .trim()
        .to_string();
    let (_, info) = graph.request("GET", &format!("/v25.0/{id}"), Some(TOKEN), None);
    let media_url = info["url"].as_str().expect("a media URL").to_string();
    let path = media_url
        .strip_prefix(&graph.url(""))
        .expect("on the local Graph API");
    assert_eq!(graph.request("GET", path, None, None).0, 401);

    graph
        .wa_cloud_with_token(&["send", TO, "hi"], "EAAG-wrong")
        .run()
        .status(1)
        .stderr_has("code 190");
}

#[test]
fn malformed_requests_get_code_100() {
    let graph = DevGraph::start(&[]);
    let refused = |body: &str, message: &str| {
        let (status, answer) = graph.post_message(Some(TOKEN), body);
        assert_eq!(status, 400, "{body}: {answer}");
        assert_eq!(answer["error"]["code"], 100, "{answer}");
        assert_eq!(answer["error"]["type"], "OAuthException");
        assert_eq!(answer["error"]["message"], message, "{answer}");
    };
    refused(
        r#"{"messaging_product":"whatsapp","to":"4915112345678","type":"text","text":{}}"#,
        "(#100) The parameter text['body'] is required.",
    );
    refused(
        r#"{"to":"4915112345678","text":{"body":"hi"}}"#,
        "(#100) The parameter messaging_product is required.",
    );
    refused(
        r#"{"messaging_product":"whatsapp","text":{"body":"hi"}}"#,
        "(#100) The parameter to is required.",
    );
    refused("not json", "(#100) Invalid parameter");
    refused(
        r#"{"messaging_product":"whatsapp","to":"4915112345678","image":{"id":"999"},"type":"image"}"#,
        "(#100) Invalid parameter",
    );

    // Another phone number id, and a media id it does not hold: Meta's "does not exist".
    let (status, answer) = graph.request(
        "POST",
        "/v25.0/123/messages",
        Some(TOKEN),
        Some(r#"{"messaging_product":"whatsapp","to":"4915112345678","text":{"body":"hi"}}"#),
    );
    assert_eq!(
        (status, &answer["error"]["code"]),
        (400, &json!(100)),
        "{answer}"
    );
    let (status, answer) = graph.request("GET", "/v25.0/4242", Some(TOKEN), None);
    assert_eq!(
        (status, &answer["error"]["code"]),
        (400, &json!(100)),
        "{answer}"
    );

    // A read mark, with the typing indicator.
    let (status, answer) = graph.post_message(
        Some(TOKEN),
        r#"{"messaging_product":"whatsapp","status":"read","message_id":"wamid.THEIRS","typing_indicator":{"type":"text"}}"#,
    );
    assert_eq!((status, answer), (200, json!({"success": true})));
}

#[test]
fn answers_a_message_in_metas_shape() {
    let graph = DevGraph::start(&[]);
    let (status, answer) = graph.post_message(
        Some(TOKEN),
        r#"{"messaging_product":"whatsapp","recipient_type":"individual","to":"+49 151 1234-5678","type":"text","text":{"body":"hi"}}"#,
    );
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["messaging_product"], "whatsapp");
    assert_eq!(
        answer["contacts"],
        json!([{"input": "+49 151 1234-5678", "wa_id": TO}])
    );
    assert!(
        answer["messages"][0]["id"]
            .as_str()
            .unwrap()
            .starts_with("wamid.")
    );
    // Without a webhook nothing is posted, and the server says what it got.
    poll(
        || format!("not logged:\n{}", graph.stderr()),
        || {
            graph
                .stderr()
                .contains("text {\"body\":\"hi\"}")
                .then_some(())
        },
    );
}

/// The template endpoints answer like Meta's: `templates sync`, `show`, `create`,
/// `delete` and a checked `send` work against the local Graph API.
#[test]
fn template_commands_work_against_it() {
    let graph = DevGraph::start(&[]);
    let run = |args: &[&str]| {
        graph
            .wa_cloud(args)
            .env(
                "WHATSAPP_CLOUD_GRAPHAPI_BUSINESS_ACCOUNT_ID",
                "100000000000002",
            )
            .run()
    };
    run(&["templates", "sync"])
        .success()
        .stdout_is("2 templates synced, 2 approved\n");
    run(&["templates", "show", "order_update"])
        .success()
        .stdout_has("--template order_update --header-image photo.jpg --param name=Ada --param order_id=A-17 --button-param 0:A-17");
    let file = write(
        &graph.path("t.json"),
        br#"{"name": "welcome", "language": "en_US", "category": "UTILITY",
            "components": [{"type": "BODY", "text": "Welcome {{1}}", "example": {"body_text": [["Ada"]]}}]}"#,
    );
    run(&["templates", "create", "--file", &file])
        .success()
        .stdout_has("welcome APPROVED");
    run(&["send", TO, "--template", "welcome", "--param", "Ada"])
        .success()
        .stdout_has("wamid.");
    run(&["send", TO, "--template", "welcome"])
        .status(2)
        .stderr_has("the template's body takes 1");
    run(&["templates", "delete", "welcome"]).success();
    // Not cached any more: sent unchecked, and the local Graph API refuses it as Meta would.
    run(&["send", TO, "--template", "welcome", "--param", "Ada"])
        .status(1)
        .stderr_has("132001");
}

/// The README's first `--graph-only` block, run by bash as printed but for the port (a
/// free one instead of 3001, which another program may hold).
#[test]
fn the_readme_graph_only_block_works() {
    let readme =
        std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
            .unwrap();
    let section = readme
        .split("## `wa-cloud dev --graph-only`")
        .nth(1)
        .expect("the --graph-only section");
    let block = section
        .split("```sh\n")
        .nth(1)
        .and_then(|b| b.split("```").next())
        .expect("a sh block");
    assert!(block.contains("wa-cloud dev --graph-only &"), "{block}");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let script = block
        .replace(
            "wa-cloud dev --graph-only &",
            &format!("wa-cloud dev --graph-only --graph-port {port} &"),
        )
        .replace("BASE_PORT=3001", &format!("BASE_PORT={port}"));
    let binary = std::path::Path::new(env!("CARGO_BIN_EXE_wa-cloud"));
    let path = format!(
        "{}:{}",
        binary.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let script = format!("{script}\nwait");
    let run = crate::harness::wa_cloud(&[])
        .env("PATH", &path)
        .run_program("bash", &["-ec", &script]);
    run.success();
    assert!(
        run.stdout.lines().any(|l| l.starts_with("wamid.")),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains(&format!("http://127.0.0.1:{port}")),
        "{}",
        run.stdout
    );
}

#[test]
fn a_user_id_goes_in_recipient_and_is_refused_in_to() {
    let graph = DevGraph::start(&[]);
    for id in ["US.13491208655302741918", "US.ENT.5912873465"] {
        let (status, answer) = graph.post_message(
            Some(TOKEN),
            &json!({"messaging_product": "whatsapp", "to": id, "text": {"body": "hi"}}).to_string(),
        );
        assert_eq!(status, 400, "{answer}");
        assert_eq!(answer["error"]["code"], 100, "{answer}");
        assert!(
            answer["error"]["error_data"]["details"]
                .as_str()
                .is_some_and(|d| d.contains("\"recipient\"")),
            "the refusal says where a user id goes: {answer}"
        );
        let (status, answer) = graph.post_message(
            Some(TOKEN),
            &json!({"messaging_product": "whatsapp", "recipient": id, "text": {"body": "hi"}})
                .to_string(),
        );
        assert_eq!(status, 200, "{answer}");
        assert_eq!(answer["contacts"], json!([{"input": id, "user_id": id}]));
    }
    // `wa-cloud send` to a parent user id gets through it.
    graph
        .wa_cloud(&["send", "US.ENT.5912873465", "hello"])
        .run()
        .success()
        .stdout_has("wamid.");
}
