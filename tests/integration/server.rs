//! A running `wa-cloud serve` for tests: started on 127.0.0.1 port 0, ready when it logs
//! its address, its stdout (the tap) and stderr collected by threads, and a client that
//! posts notifications signed like WhatsApp signs them.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hmac::{Hmac, KeyInit, Mac};
use serde_json::Value;
use sha2::Sha256;

pub(crate) const SECRET: &str = "test-app-secret";
pub(crate) const VERIFY_TOKEN: &str = "test-verify-token";

/// Generous: the machine may be loaded. Tests poll; this bounds the wait.
const PATIENCE: Duration = Duration::from_secs(30);

pub(crate) struct Server {
    child: Child,
    pub port: u16,
    stdout_lines: Option<Receiver<String>>,
    stdout_pipe: Option<ChildStdout>,
    stderr: Arc<Mutex<String>>,
    agent: ureq::Agent,
}

pub(crate) struct Reply {
    pub status: u16,
    pub body: String,
    pub content_type: String,
}

/// The HMAC-SHA256 signature header value for `body`.
pub(crate) fn sign(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

pub(crate) fn fixture(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

pub(crate) fn fixture_names() -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".json"))
        .collect();
    names.sort();
    names
}

/// A notification with one text message from `from`, sent now (a reply to an older one
/// would be outside WhatsApp's 24-hour window, which serve checks).
pub(crate) fn text_notification(wamid: &str, from: &str, text: &str) -> Vec<u8> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        .to_string();
    serde_json::json!({"object": "whatsapp_business_account", "entry": [{"id": "102290129340398", "changes": [{
        "field": "messages", "value": {"messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550783881", "phone_number_id": "106540352242922"},
        "contacts": [{"profile": {"name": "Tester"}, "wa_id": from}],
        "messages": [{"from": from, "id": wamid, "timestamp": now, "type": "text", "text": {"body": text}}]}}]}]})
    .to_string()
    .into_bytes()
}

/// Sets up `command` to run in the clean room `dir`: the working directory, a HOME of
/// its own (`dir/home`, created) and no environment but PATH, so that nothing of the
/// developer's shell (`WHATSAPP_CLOUD_*`, `RUST_LOG`, a configuration file) leaks in.
/// Every launcher of the tests goes through here (it lives here, not in harness.rs,
/// because the benches include this file alone).
pub(crate) fn clean_room<'a>(command: &'a mut Command, dir: &Path) -> &'a mut Command {
    let home = dir.join("home");
    std::fs::create_dir_all(&home).expect("a home directory");
    command
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", &home)
        .env("XDG_CONFIG_HOME", home.join(".config"))
}

pub(crate) struct Options<'a> {
    pub dir: &'a Path,
    pub args: Vec<&'a str>,
    pub env: Vec<(&'a str, String)>,
    /// Leave stdout unread (the test takes the pipe).
    pub raw_stdout: bool,
    /// Run serve with this limit of open files (`ulimit -n`).
    pub open_files: Option<u64>,
}

impl<'a> Options<'a> {
    /// `serve` with the test secret and verify token, its database in `dir`.
    pub(crate) fn new(dir: &'a Path) -> Self {
        Options {
            dir,
            args: Vec::new(),
            env: vec![
                ("WHATSAPP_CLOUD_WEBHOOKS_SECRET", SECRET.to_string()),
                (
                    "WHATSAPP_CLOUD_WEBHOOKS_VERIFY_TOKEN",
                    VERIFY_TOKEN.to_string(),
                ),
            ],
            raw_stdout: false,
            open_files: None,
        }
    }

    #[allow(dead_code)] // not every includer of this file limits open files
    pub(crate) fn open_files(mut self, limit: u64) -> Self {
        self.open_files = Some(limit);
        self
    }

    pub(crate) fn args(mut self, args: &[&'a str]) -> Self {
        self.args.extend_from_slice(args);
        self
    }

    pub(crate) fn env(mut self, key: &'a str, value: impl Into<String>) -> Self {
        self.env.push((key, value.into()));
        self
    }

    pub(crate) fn raw_stdout(mut self) -> Self {
        self.raw_stdout = true;
        self
    }

    pub(crate) fn start(self) -> Server {
        Server::start(self)
    }
}

impl Server {
    fn start(options: Options) -> Server {
        let binary = env!("CARGO_BIN_EXE_wa-cloud");
        let mut command = match options.open_files {
            // The shell sets the limit, then becomes serve (same pid, so signals reach it).
            Some(limit) => {
                let mut command = Command::new("sh");
                command.args([
                    "-c",
                    &format!("ulimit -n {limit} && exec \"$0\" \"$@\""),
                    binary,
                ]);
                command
            }
            None => Command::new(binary),
        };
        let mut child = clean_room(&mut command, options.dir)
            .args(["serve", "--host", "127.0.0.1", "--port", "0"])
            .args(&options.args)
            .envs(options.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start wa-cloud serve");

        let stderr = Arc::new(Mutex::new(String::new()));
        let (port_tx, port_rx) = mpsc::channel();
        {
            let stderr = stderr.clone();
            let pipe = child.stderr.take().unwrap();
            std::thread::spawn(move || {
                for line in BufReader::new(pipe).lines() {
                    let Ok(line) = line else { break };
                    let https = line.split("listening on https://127.0.0.1:").nth(1);
                    if let Some(rest) = line
                        .split("listening on http://127.0.0.1:")
                        .nth(1)
                        .or(https)
                    {
                        let port: String = rest.chars().take_while(char::is_ascii_digit).collect();
                        let _ = port_tx.send(port.parse::<u16>().unwrap());
                    }
                    let mut all = stderr.lock().unwrap();
                    all.push_str(&line);
                    all.push('\n');
                }
            });
        }
        let pipe = child.stdout.take().unwrap();
        let (stdout_lines, stdout_pipe) = if options.raw_stdout {
            (None, Some(pipe))
        } else {
            let (tx, rx) = mpsc::channel();
            std::thread::spawn(move || {
                for line in BufReader::new(pipe).lines() {
                    let Ok(line) = line else { break };
                    if tx.send(line).is_err() {
                        break;
                    }
                }
            });
            (Some(rx), None)
        };
        let port = match port_rx.recv_timeout(PATIENCE) {
            Ok(port) => port,
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("serve did not start:\n{}", stderr.lock().unwrap());
            }
        };
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(PATIENCE))
            .build()
            .into();
        Server {
            child,
            port,
            stdout_lines,
            stdout_pipe,
            stderr,
            agent,
        }
    }

    #[allow(dead_code)] // for benches/webhooks.rs, which includes this file
    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    pub(crate) fn get(&self, path: &str) -> Reply {
        reply(self.agent.get(&self.url(path)).call())
    }

    /// POSTs `body` to the webhooks endpoint with this signature header (None: none).
    pub(crate) fn post_signed_as(&self, body: &[u8], signature: Option<&str>) -> Reply {
        let mut request = self
            .agent
            .post(&self.url("/"))
            .header("content-type", "application/json");
        if let Some(signature) = signature {
            request = request.header("x-hub-signature-256", signature);
        }
        reply(request.send(body))
    }

    /// POSTs `body` signed with the test secret.
    #[track_caller]
    pub(crate) fn post(&self, body: &[u8]) -> Reply {
        self.post_signed_as(body, Some(&sign(SECRET, body)))
    }

    /// POSTs `body` signed; the status, or None when the server did not answer.
    pub(crate) fn try_post(&self, body: &[u8]) -> Option<u16> {
        let request = self
            .agent
            .post(&self.url("/"))
            .header("x-hub-signature-256", sign(SECRET, body));
        request.send(body).ok().map(|r| r.status().as_u16())
    }

    /// The next `n` event lines of the tap, parsed; fails after a generous wait.
    #[track_caller]
    pub(crate) fn events(&self, n: usize) -> Vec<Value> {
        let lines = self.stdout_lines.as_ref().expect("stdout is collected");
        let deadline = Instant::now() + PATIENCE;
        (0..n)
            .map(|i| {
                let left = deadline.saturating_duration_since(Instant::now());
                let line = lines.recv_timeout(left).unwrap_or_else(|_| {
                    panic!("only {i} of {n} events arrived\nstderr:\n{}", self.stderr())
                });
                serde_json::from_str(&line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"))
            })
            .collect()
    }

    /// Event lines that arrived by now, without waiting.
    pub(crate) fn events_so_far(&self) -> Vec<Value> {
        let lines = self.stdout_lines.as_ref().expect("stdout is collected");
        lines
            .try_iter()
            .map(|l| serde_json::from_str(&l).unwrap())
            .collect()
    }

    /// Takes the unread stdout pipe (with `raw_stdout`).
    pub(crate) fn take_stdout(&mut self) -> ChildStdout {
        self.stdout_pipe.take().expect("raw stdout")
    }

    pub(crate) fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// A way to read stderr after the server is gone (`terminate` takes it).
    #[allow(dead_code)] // not every includer of this file needs it
    pub(crate) fn stderr_handle(&self) -> impl Fn() -> String + use<> {
        let stderr = self.stderr.clone();
        move || stderr.lock().unwrap().clone()
    }

    /// Waits until stderr contains `needle`.
    #[track_caller]
    pub(crate) fn wait_for_log(&self, needle: &str) {
        let deadline = Instant::now() + PATIENCE;
        while !self.stderr().contains(needle) {
            assert!(
                Instant::now() < deadline,
                "the log never said {needle:?}:\n{}",
                self.stderr()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Kills the server at once (SIGKILL), as a crash would.
    #[allow(dead_code)] // not every includer of this file kills
    pub(crate) fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Sends SIGTERM and returns the exit status.
    #[track_caller]
    pub(crate) fn terminate(mut self) -> Option<i32> {
        let stderr = self.stderr.clone();
        terminate(&mut self.child, move || stderr.lock().unwrap().clone())
    }

    /// Waits (boundedly) for the process to exit by itself.
    #[track_caller]
    pub(crate) fn wait(&mut self) -> Option<i32> {
        let stderr = self.stderr.clone();
        wait(&mut self.child, move || stderr.lock().unwrap().clone())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn reply(result: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> Reply {
    let mut response = result.expect("an HTTP answer");
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    Reply {
        status: response.status().as_u16(),
        body: response.body_mut().read_to_string().unwrap_or_default(),
        content_type,
    }
}

/// Sends SIGTERM to a wa-cloud process and waits (boundedly) for its exit status.
#[track_caller]
pub(crate) fn terminate(child: &mut Child, stderr: impl Fn() -> String) -> Option<i32> {
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    wait(child, stderr)
}

/// Waits (boundedly) for a wa-cloud process to exit; `stderr` explains a failure.
#[track_caller]
pub(crate) fn wait(child: &mut Child, stderr: impl Fn() -> String) -> Option<i32> {
    let deadline = Instant::now() + PATIENCE;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status.code();
        }
        assert!(
            Instant::now() < deadline,
            "wa-cloud did not stop:\n{}",
            stderr()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}
