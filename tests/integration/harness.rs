//! Runs the real binary with a scrubbed environment: a temporary HOME and working
//! directory, and no `WHATSAPP_CLOUD_*` or `RUST_LOG` from the developer's shell. A failed
//! assertion prints the command line, its status, stdout and stderr.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::fake_graph::FakeGraph;

pub(crate) const TOKEN: &str = "EAAG-test-token-do-not-print";
pub(crate) const PHONE_NUMBER_ID: &str = "106540352242922";

/// How long any command of a test may run: generous (the machine may be loaded), but a
/// command that hangs fails its test instead of hanging the suite.
pub(crate) const TIME_LIMIT: std::time::Duration = std::time::Duration::from_secs(120);

pub(crate) struct WaCloud {
    dir: tempfile::TempDir,
    /// Where it runs, when not in `dir`.
    cwd: Option<PathBuf>,
    /// Run under `script`, so that its stdout and stderr are a terminal.
    terminal: bool,
    /// Another program to run than wa-cloud.
    program: Option<String>,
    args: Vec<String>,
    env: Vec<(String, String)>,
    stdin: Option<Vec<u8>>,
}

pub(crate) struct Run {
    pub status: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    command: String,
}

/// A `wa-cloud` command with nothing configured.
pub(crate) fn wa_cloud(args: &[&str]) -> WaCloud {
    WaCloud {
        dir: tempfile::tempdir().expect("a temporary directory"),
        cwd: None,
        terminal: false,
        program: None,
        args: args.iter().map(|a| a.to_string()).collect(),
        env: Vec::new(),
        stdin: None,
    }
}

/// A `wa-cloud` command configured (by environment) to talk to `graph`.
pub(crate) fn wa_cloud_with(graph: &FakeGraph, args: &[&str]) -> WaCloud {
    wa_cloud(args)
        .env("WHATSAPP_CLOUD_GRAPHAPI_BASE_URL", "127.0.0.1")
        .env(
            "WHATSAPP_CLOUD_GRAPHAPI_BASE_PORT",
            &graph.port().to_string(),
        )
        .env("WHATSAPP_CLOUD_GRAPHAPI_ACCESS_TOKEN", TOKEN)
        .env("WHATSAPP_CLOUD_GRAPHAPI_PHONE_NUMBER_ID", PHONE_NUMBER_ID)
}

pub(crate) use crate::server::clean_room;

impl WaCloud {
    pub(crate) fn env(mut self, key: &str, value: &str) -> Self {
        self.env.push((key.to_string(), value.to_string()));
        self
    }

    pub(crate) fn stdin(mut self, input: &str) -> Self {
        self.stdin = Some(input.as_bytes().to_vec());
        self
    }

    /// The working directory the command runs in.
    pub(crate) fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Runs it from the repository's root, as the README's commands are run (HOME is
    /// still the temporary one).
    pub(crate) fn in_repository(mut self) -> Self {
        self.cwd = Some(PathBuf::from(env!("CARGO_MANIFEST_DIR")));
        self
    }

    /// Runs it with a pseudo-terminal as stdout and stderr (through `script`), both
    /// collected into stdout.
    pub(crate) fn on_a_terminal(mut self) -> Self {
        self.terminal = true;
        self
    }

    /// Writes a file into the working directory.
    pub(crate) fn file(self, name: &str, contents: &str) -> Self {
        std::fs::write(self.dir.path().join(name), contents).expect("write a test file");
        self
    }

    /// Runs `program` with `args` instead, in the same clean room (the working directory,
    /// HOME, no inherited configuration), such as a helper script that runs wa-cloud.
    pub(crate) fn run_program(mut self, program: &str, args: &[&str]) -> Run {
        self.program = Some(program.to_string());
        self.args = args.iter().map(|a| a.to_string()).collect();
        self.run()
    }

    pub(crate) fn run(self) -> Run {
        let mut command = if self.terminal {
            let mut words = vec![env!("CARGO_BIN_EXE_wa-cloud").to_string()];
            words.extend(self.args.iter().cloned());
            let mut script = Command::new("script");
            script.args(["-qec", &shell_words::join(&words), "/dev/null"]);
            script
        } else {
            let mut command = Command::new(
                self.program
                    .as_deref()
                    .unwrap_or(env!("CARGO_BIN_EXE_wa-cloud")),
            );
            command.args(&self.args);
            command
        };
        clean_room(&mut command, self.dir.path())
            // Run elsewhere (the repository), HOME still the clean one.
            .current_dir(self.cwd.as_deref().unwrap_or(self.dir.path()))
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdin(if self.stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command.spawn().expect("run wa-cloud");
        if let Some(input) = self.stdin.clone() {
            let mut pipe = child.stdin.take().expect("piped stdin");
            // A command that stops reading must not block the test here.
            std::thread::spawn(move || {
                let _ = pipe.write_all(&input);
            });
        }
        let command = format!("wa-cloud {}", self.args.join(" "));
        let (status, stdout, stderr) = finish(child, &command);
        Run {
            status: status.code(),
            stdout,
            stderr,
            command,
        }
    }
}

/// Waits for a child whose stdout and stderr are piped, reading both, for at most
/// [`TIME_LIMIT`]; then kills it and fails the test with what it wrote.
#[track_caller]
pub(crate) fn finish(
    mut child: std::process::Child,
    command: &str,
) -> (std::process::ExitStatus, String, String) {
    let read = |pipe: Option<Box<dyn std::io::Read + Send>>| {
        std::thread::spawn(move || {
            let mut all = Vec::new();
            if let Some(mut pipe) = pipe {
                let _ = pipe.read_to_end(&mut all);
            }
            String::from_utf8_lossy(&all).into_owned()
        })
    };
    let stdout = read(child.stdout.take().map(|p| Box::new(p) as _));
    let stderr = read(child.stderr.take().map(|p| Box::new(p) as _));
    let deadline = std::time::Instant::now() + TIME_LIMIT;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for the child") {
            break status;
        }
        if std::time::Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "`{command}` did not finish within {} s\n--- stdout\n{}\n--- stderr\n{}",
                TIME_LIMIT.as_secs(),
                stdout.join().unwrap_or_default(),
                stderr.join().unwrap_or_default()
            );
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    };
    (
        status,
        stdout.join().expect("stdout read"),
        stderr.join().expect("stderr read"),
    )
}

impl Run {
    fn describe(&self) -> String {
        format!(
            "command: {}\nstatus: {:?}\n--- stdout\n{}\n--- stderr\n{}\n---",
            self.command, self.status, self.stdout, self.stderr
        )
    }

    /// Asserts the exit status and returns self for more checks.
    #[track_caller]
    pub(crate) fn status(&self, code: i32) -> &Self {
        assert_eq!(
            self.status,
            Some(code),
            "unexpected exit status\n{}",
            self.describe()
        );
        self
    }

    #[track_caller]
    pub(crate) fn success(&self) -> &Self {
        self.status(0)
    }

    #[track_caller]
    pub(crate) fn stderr_has(&self, needle: &str) -> &Self {
        assert!(
            self.stderr.contains(needle),
            "stderr lacks {needle:?}\n{}",
            self.describe()
        );
        self
    }

    #[track_caller]
    pub(crate) fn stdout_has(&self, needle: &str) -> &Self {
        assert!(
            self.stdout.contains(needle),
            "stdout lacks {needle:?}\n{}",
            self.describe()
        );
        self
    }

    #[track_caller]
    pub(crate) fn stdout_is(&self, expected: &str) -> &Self {
        assert_eq!(
            self.stdout,
            expected,
            "unexpected stdout\n{}",
            self.describe()
        );
        self
    }

    /// Neither stream shows the access token.
    #[track_caller]
    pub(crate) fn keeps_secrets(&self) -> &Self {
        for stream in [&self.stdout, &self.stderr] {
            assert!(
                !stream.contains(TOKEN),
                "the access token leaked\n{}",
                self.describe()
            );
        }
        self
    }
}

/// Polls `probe` every 20 ms until it yields a value, and returns it; fails after a
/// generous wait (the machine may be loaded) with `what` — which says what did not
/// happen, with what was seen last.
#[track_caller]
pub(crate) fn poll<T>(mut what: impl FnMut() -> String, mut probe: impl FnMut() -> Option<T>) -> T {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        if let Some(value) = probe() {
            return value;
        }
        assert!(std::time::Instant::now() < deadline, "{}", what());
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}
