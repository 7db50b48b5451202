//! Handler processes: started in a process group of their own, their stdin written and
//! their stdout and stderr read on threads of their own, and their end (with signals to
//! the group when they or what they started linger).

use std::io::{BufReader, Write};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Sender};
use std::time::{Duration, Instant};

use super::HandlerSpec;
use super::protocol::{READ_BUFFER, Written, cut, split_lines};

/// Writes lines to the handler's stdin on its own thread, so that a handler that stops
/// reading blocks only this thread, never its worker. Dropping the returned sender closes
/// the handler's input once everything queued is written.
pub(super) fn stdin_writer(worker: usize, mut stdin: ChildStdin) -> Sender<String> {
    let (queue, queued) = mpsc::channel::<String>();
    std::thread::Builder::new()
        .name(format!("handler-{worker}-in"))
        .spawn(move || {
            for line in queued {
                if writeln!(stdin, "{line}")
                    .and_then(|()| stdin.flush())
                    .is_err()
                {
                    return;
                }
            }
        })
        .expect("a thread to write to a handler");
    queue
}

/// Starts a handler process, in a process group of its own: at shutdown, signals reach
/// whatever it started too, and a Ctrl-C at a terminal reaches only `serve`, which then
/// closes the handler's input.
pub(super) fn spawn(spec: &HandlerSpec, worker: usize) -> std::io::Result<Child> {
    let mut command = Command::new(&spec.argv[0]);
    command
        .args(&spec.argv[1..])
        .env_clear()
        .envs(spec.env.iter().map(|(k, v)| (k, v)))
        .env("WA_CLOUD_WORKER", worker.to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(&mut command, 0);
    command.spawn()
}

/// Reads `pipe` line by line on its own thread, so that the handler never blocks on it;
/// `each` gets every line (invalid UTF-8 replaced, never a reason to stop reading), then
/// `None` at the end. A line of more than `max` bytes is never held: it comes as
/// [`Written::TooLong`].
/// The thread is named `name` (`handler-N-out`, `handler-N-err`): it ends when the pipe
/// does, so a thread that outlives its handler points at a process holding its output.
pub(super) fn read_lines(
    name: String,
    pipe: impl std::io::Read + Send + 'static,
    max: usize,
    mut each: impl FnMut(Option<Written>) + Send + 'static,
) {
    std::thread::Builder::new()
        .name(name)
        .spawn(move || {
            split_lines(BufReader::with_capacity(READ_BUFFER, pipe), max, &mut each);
            each(None);
        })
        .expect("a thread to read a handler's output");
}

/// Logs each stderr line of a handler, tagged with its worker; a line of more than `max`
/// bytes is logged cut.
pub(super) fn log_stderr(child: &mut Child, worker: usize, max: usize) {
    if let Some(stderr) = child.stderr.take() {
        read_lines(
            format!("handler-{worker}-err"),
            stderr,
            max,
            move |written| match written {
                Some(Written::Line(line)) => tracing::info!("handler[{worker}]: {line}"),
                Some(Written::TooLong { head, bytes }) => tracing::warn!(
                    "handler[{worker}] wrote a line of more than {max} bytes to stderr ({bytes} bytes), cut: {}",
                    cut(&head)
                ),
                None => {}
            },
        );
    }
}

/// After its input closed at shutdown (or its output ended), how long a handler has to
/// exit, in all, before it is signalled.
pub(super) const GRACE: Duration = Duration::from_secs(5);
/// After a handler exited: how long a process it started may hold its output before its
/// process group is signalled.
const LEFTOVER_GRACE: Duration = Duration::from_secs(1);
/// From SIGTERM to SIGKILL.
const KILL_AFTER: Duration = Duration::from_secs(2);
/// From SIGKILL to going on without the end of the output: only a process that left the
/// handler's process group can still hold it then.
const GIVE_UP_AFTER_KILL: Duration = Duration::from_millis(500);

/// The end of one handler process and of what it started. A handler leads its own process
/// group (`spawn`), and signals go to the whole group. It is done when it has exited and
/// its output has ended. It gets SIGTERM when it has not exited by `deadline` (once it
/// has one), or when it exited and something it started still holds its output after
/// `LEFTOVER_GRACE`; SIGKILL follows `KILL_AFTER` later.
pub(super) struct Ending {
    worker: usize,
    deadline: Option<Instant>,
    exited: Option<(ExitStatus, Instant)>,
    pub(super) output_ended: bool,
    terminated: Option<Instant>,
    killed: Option<Instant>,
}

impl Ending {
    pub(super) fn new(worker: usize) -> Ending {
        Ending {
            worker,
            deadline: None,
            exited: None,
            output_ended: false,
            terminated: None,
            killed: None,
        }
    }

    /// The handler must be gone by `at` (the earliest deadline set counts).
    pub(super) fn exit_by(&mut self, at: Instant) {
        self.deadline = Some(self.deadline.map_or(at, |d| d.min(at)));
    }

    pub(super) fn has_exited(&self) -> bool {
        self.exited.is_some()
    }

    /// Notes an exit, signals what is due; `Some(status)` once the handler is done
    /// (`None` inside when its status is unknown).
    pub(super) fn check(&mut self, child: &mut Child) -> Option<Option<ExitStatus>> {
        if self.exited.is_none()
            && let Ok(Some(status)) = child.try_wait()
        {
            self.exited = Some((status, Instant::now()));
        }
        if let (Some((status, _)), true) = (self.exited, self.output_ended) {
            return Some(Some(status));
        }
        let now = Instant::now();
        let worker = self.worker;
        match (self.terminated, self.killed) {
            (None, _) => match self.exited {
                None if self.deadline.is_some_and(|d| now >= d) => {
                    tracing::warn!(
                        "handler[{worker}] did not exit within {GRACE:?}: terminating it and its process group"
                    );
                    signal_group(child, Stop::Terminate);
                    self.terminated = Some(now);
                }
                Some((status, at)) if now.duration_since(at) >= LEFTOVER_GRACE => {
                    tracing::warn!(
                        "handler[{worker}] {status}, but a process it started still holds its output: terminating its process group"
                    );
                    signal_group(child, Stop::Terminate);
                    self.terminated = Some(now);
                }
                _ => {}
            },
            (Some(at), None) if now.duration_since(at) >= KILL_AFTER => {
                tracing::warn!(
                    "handler[{worker}] or a process it started is still there {KILL_AFTER:?} after SIGTERM: killing its process group"
                );
                signal_group(child, Stop::Kill);
                self.killed = Some(now);
            }
            (Some(_), Some(at)) if now.duration_since(at) >= GIVE_UP_AFTER_KILL => {
                if !self.output_ended {
                    tracing::warn!(
                        "handler[{worker}]: a process that left its process group still holds its output: going on without it"
                    );
                }
                let status = self
                    .exited
                    .map(|(status, _)| status)
                    .or_else(|| child.try_wait().ok().flatten());
                return Some(status);
            }
            _ => {}
        }
        None
    }
}

enum Stop {
    Terminate,
    Kill,
}

/// Signals the handler's process group: the handler and every process it started that
/// stayed in it, even after the handler itself exited.
fn signal_group(child: &mut Child, stop: Stop) {
    #[cfg(unix)]
    {
        use nix::sys::signal::{Signal, killpg};
        use nix::unistd::Pid;
        let signal = match stop {
            Stop::Terminate => Signal::SIGTERM,
            Stop::Kill => Signal::SIGKILL,
        };
        // The handler leads its group: the group's id is its pid, which stays taken while
        // any process of the group lives.
        if let Ok(group) = i32::try_from(child.id()) {
            let _ = killpg(Pid::from_raw(group), signal);
        }
    }
    #[cfg(not(unix))]
    if let Stop::Kill = stop {
        let _ = child.kill();
    }
}
