//! `wa-cloud serve`: the composition root of the long-running mode.
//!
//! Three parts, each on its own thread so that none waits for another:
//! - the HTTP server (tokio + axum, `webhooks`), which answers WhatsApp;
//! - the inbox writer, which owns one database connection and stores notifications in
//!   batches: every request that arrived while the previous transaction committed goes
//!   into the next one, so the database is not the bottleneck under load;
//! - the tap, which writes stored events to stdout in order and marks them delivered, so
//!   that events not yet written when `serve` stops are written after it starts again.
//!
//! Shutdown (SIGINT, SIGTERM): stop accepting, finish the requests in flight, let the
//! writer commit what it has, let the tap write everything stored, exit 0.

use std::io::Write;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};

use crate::cli::ServeArgs;
use crate::config::Config;
use crate::dispatch::{self, Dispatcher, HandlerSpec};
use crate::health::Health;
use crate::notification::{Item, Kind};
use crate::outbox::{self, Outbox};
use crate::store::Store;
use crate::store::inbox::Pending;
use crate::usage;
use crate::webhooks::{self, AppState, WriteRequest};

/// How many events the tap reads from the database at a time.
const TAP_BATCH: usize = 256;
/// How many notifications the writer stores in one transaction at most.
const WRITE_BATCH: usize = 512;

pub fn run(args: &ServeArgs, config: &Config) -> Result<()> {
    run_until(args, config, Arc::new(tokio::sync::Notify::new()), None)
}

/// `serve` until SIGINT, SIGTERM or `stop` (for `wa-cloud dev`, which runs serve in-process).
/// `crashes`, when given, counts the handler's failed exits.
pub fn run_until(
    args: &ServeArgs,
    config: &Config,
    stop: Arc<tokio::sync::Notify>,
    crashes: Option<Arc<std::sync::atomic::AtomicUsize>>,
) -> Result<()> {
    let webhooks = config.webhooks();
    let secret = match (&webhooks.secret, args.insecure_skip_signature) {
        (Some(secret), _) => Some(secret.clone()),
        (None, true) => {
            tracing::warn!(
                "--insecure-skip-signature: notifications are NOT checked; anyone who can reach this port can post messages"
            );
            None
        }
        (None, false) => usage!(
            "`webhooks.secret` (your app's secret, App Dashboard > App settings > Basic) is not set: serve checks \
             every notification's signature with it. Set WHATSAPP_CLOUD_WEBHOOKS_SECRET or webhooks.secret in the \
             config file, or pass --insecure-skip-signature for local experiments"
        ),
    };
    if webhooks.verify_token.is_none() {
        tracing::warn!(
            "`webhooks.verifyToken` is not set: Meta's verification of this endpoint will be refused \
             (set WHATSAPP_CLOUD_WEBHOOKS_VERIFY_TOKEN)"
        );
    }
    let path = args.path.clone().unwrap_or(webhooks.path);
    if !path.starts_with('/') || path == "/healthz" {
        usage!(
            "the webhooks path {path:?} must start with `/` and not be /healthz (set --path or webhooks.path)"
        );
    }
    let kinds = event_kinds(if args.events.is_empty() {
        config.events()
    } else {
        args.events.clone()
    })?;
    let assets = match webhooks.assets_dir {
        Some(dir) if !dir.is_dir() => usage!(
            "`webhooks.assetsDir` is `{}`, which is not a directory: create it or unset the key",
            dir.display()
        ),
        Some(_)
            if !webhooks.assets_path.starts_with('/')
                || webhooks.assets_path.trim_end_matches('/').is_empty()
                || [path.as_str(), "/healthz"].contains(&webhooks.assets_path.as_str()) =>
        {
            usage!(
                "`webhooks.assetsPath` is {:?}: it must start with `/`, not be `/`, and differ from the webhooks path \
                 and /healthz, such as /assets",
                webhooks.assets_path
            )
        }
        Some(dir) => Some((webhooks.assets_path.trim_end_matches('/').to_string(), dir)),
        None => None,
    };

    let db_path = config.media().db_path;
    let writer_store = Store::open(&db_path)?;
    let tap_store = Store::open(&db_path)?;
    let backlog = Arc::new(AtomicI64::new(tap_store.backlog(&kinds)? as i64));
    let health = Arc::new(Health::default());
    health
        .parked
        .store(tap_store.inbox_counts(&kinds)?.parked, Ordering::Relaxed);

    let handing_over = match &args.handler {
        Some(cmd) => HandOver::Handler(Handler::start(
            args,
            config,
            cmd,
            &kinds,
            &db_path,
            crashes,
            health.clone(),
        )?),
        None => HandOver::Tap,
    };
    let (requests, incoming) = mpsc::channel::<WriteRequest>();
    let (wake, woken) = mpsc::sync_channel::<()>(1);
    let writer = {
        let (kinds, backlog) = (kinds.clone(), backlog.clone());
        // A status may be what a recipient's queue waits for: tell the outbox at once.
        let outbox = match &handing_over {
            HandOver::Handler(handler) => Some(handler.outbox.outbox.clone()),
            HandOver::Tap => None,
        };
        std::thread::Builder::new()
            .name("inbox-writer".into())
            .spawn(move || write_inbox(writer_store, incoming, wake, outbox, &kinds, &backlog))?
    };
    let tap_failed = Arc::new(tokio::sync::Notify::new());
    let stop_asked = stop.clone();
    let tap = {
        let (kinds, backlog, tap_failed) = (kinds.clone(), backlog.clone(), tap_failed.clone());
        let dispatcher = handing_over.dispatcher();
        std::thread::Builder::new()
            .name("hand-over".into())
            .spawn(move || {
                let result = match dispatcher {
                    // The handler marks each event delivered once written to it.
                    Some(dispatcher) => {
                        hand_on(tap_store, &kinds, woken, &backlog, |_, pending| {
                            pending
                                .into_iter()
                                .for_each(|event| dispatcher.deliver(event));
                            Ok(())
                        })
                    }
                    None => hand_on(tap_store, &kinds, woken, &backlog, write_to_stdout),
                };
                if result.is_err() {
                    tap_failed.notify_one();
                }
                result
            })?
    };

    let state = Arc::new(AppState {
        verify_token: webhooks.verify_token,
        secret,
        inbox: requests,
        started: Instant::now(),
        backlog,
    });
    let router = webhooks::router(state, &path, assets);
    let port = args.port.unwrap_or(webhooks.port);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let served = runtime.block_on(async {
        let address = SocketAddr::new(args.host, port);
        let listener = tokio::net::TcpListener::bind(address)
            .await
            .with_context(|| format!("cannot listen on {address}: choose another --port, or stop what uses it"))?;
        let bound = listener.local_addr()?;
        tracing::info!(
            "listening on http://{bound}{path} (register https://<your public host>{path} as the callback URL \
             in the App Dashboard, WhatsApp > Configuration)"
        );
        axum::serve(listener, router).with_graceful_shutdown(stop_requested(tap_failed, stop_asked)).await?;
        anyhow::Ok(())
    });
    // Dropping the router dropped the last sender: the writer commits what it has and
    // stops, then the tap writes what is left and stops.
    drop(runtime);
    let written = writer.join().expect("the inbox writer does not panic");
    let tapped = tap.join().expect("the tap does not panic");
    if let HandOver::Handler(handler) = handing_over {
        handler.stop();
    }
    served?;
    written?;
    tapped?;
    tracing::info!("stopped");
    Ok(())
}

/// `message,status,...` as event kinds; unknown names are a usage error.
fn event_kinds(names: Vec<String>) -> Result<Vec<Kind>> {
    names
        .iter()
        .map(|name| match Kind::parse(name) {
            Some(kind) => Ok(kind),
            None => usage!("unknown event {name:?}: events are message, status, update and error"),
        })
        .collect()
}

async fn stop_requested(tap_failed: Arc<tokio::sync::Notify>, stop: Arc<tokio::sync::Notify>) {
    tokio::select! {
        signal = shutdown_signal() => tracing::info!("{signal}: finishing requests in flight"),
        _ = tap_failed.notified() => tracing::error!("stopping: events can no longer be written"),
        _ = stop.notified() => tracing::debug!("stopping"),
    }
}

/// Resolves on SIGINT (Ctrl-C) or SIGTERM, with the word for which.
pub(crate) async fn shutdown_signal() -> &'static str {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = interrupt => "interrupted",
        _ = terminate => "terminated",
    }
}

/// Stores notifications in batches until every sender is gone.
fn write_inbox(
    mut store: Store,
    incoming: Receiver<WriteRequest>,
    wake: SyncSender<()>,
    outbox: Option<Outbox>,
    counted: &[Kind],
    backlog: &AtomicI64,
) -> Result<()> {
    while let Ok(first) = incoming.recv() {
        let mut batch = vec![first];
        batch.extend(incoming.try_iter().take(WRITE_BATCH - 1));
        let notifications: Vec<&[_]> = batch.iter().map(|r| r.items.as_slice()).collect();
        match store.insert_items(&notifications, counted) {
            Ok(counts) => {
                backlog.fetch_add(counts.iter().sum::<usize>() as i64, Ordering::Relaxed);
                let _ = wake.try_send(());
                let statuses = batch
                    .iter()
                    .flat_map(|r| &r.items)
                    .any(|item| item.kind == Kind::Status);
                if let (true, Some(outbox)) = (statuses, &outbox) {
                    outbox.wake();
                }
                for (request, new) in batch.into_iter().zip(counts) {
                    let _ = request.done.send(Ok(new));
                }
            }
            Err(err) => {
                tracing::error!(
                    "cannot store {} notifications, answering 500 so that WhatsApp retries: {err:#}",
                    batch.len()
                );
                for request in batch {
                    let _ = request.done.send(Err(()));
                }
            }
        }
    }
    Ok(())
}

/// Hands stored events of `kinds` to `sink`, oldest first and in batches, until the
/// writer is gone and nothing is left.
fn hand_on(
    mut store: Store,
    kinds: &[Kind],
    woken: Receiver<()>,
    backlog: &AtomicI64,
    mut sink: impl FnMut(&mut Store, Vec<Pending>) -> Result<()>,
) -> Result<()> {
    let mut after = 0;
    let mut writer_gone = false;
    loop {
        let pending = store.pending(kinds, after, TAP_BATCH)?;
        let Some(last) = pending.last() else {
            if writer_gone {
                return Ok(());
            }
            // Error events of the outbox arrive without a wake-up: look now and then.
            match woken.recv_timeout(Duration::from_millis(200)) {
                Ok(()) | Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => writer_gone = true,
            }
            continue;
        };
        after = last.seq;
        let count = pending.len() as i64;
        sink(&mut store, pending)?;
        backlog.fetch_sub(count, Ordering::Relaxed);
    }
}

/// The tap: events to stdout, marked delivered once written.
fn write_to_stdout(store: &mut Store, pending: Vec<Pending>) -> Result<()> {
    let mut out = std::io::stdout().lock();
    for event in &pending {
        writeln!(out, "{}", event.event).context("cannot write events to stdout")?;
    }
    out.flush().context("cannot write events to stdout")?;
    drop(out);
    let seqs: Vec<i64> = pending.iter().map(|p| p.seq).collect();
    store.mark_delivered(&seqs)
}

/// Where stored events go: stdout, or the handler.
enum HandOver {
    Tap,
    Handler(Handler),
}

impl HandOver {
    fn dispatcher(&self) -> Option<Arc<Dispatcher>> {
        match self {
            HandOver::Tap => None,
            HandOver::Handler(handler) => Some(handler.dispatcher.clone()),
        }
    }
}

/// The handler's processes, the outbox that sends their replies, and the lease that
/// tells `wa-cloud send` to queue behind them.
struct Handler {
    dispatcher: Arc<Dispatcher>,
    outbox: outbox::Running,
    lease: std::thread::JoinHandle<()>,
    stop_lease: SyncSender<()>,
}

impl Handler {
    fn start(
        args: &ServeArgs,
        config: &Config,
        cmd: &str,
        kinds: &[Kind],
        db: &std::path::Path,
        crashes: Option<Arc<std::sync::atomic::AtomicUsize>>,
        health: Arc<Health>,
    ) -> Result<Handler> {
        let argv = dispatch::parse_command(cmd)?;
        let lease_store = Store::open(db)?;
        if let Some(pid) = lease_store
            .lease_holder()?
            .filter(|pid| *pid != std::process::id() && process_alive(*pid))
        {
            usage!(
                "another `serve --handler` (pid {pid}) runs on the database `{}`: two would hand every event \
                 over and send every reply twice. Stop it, or give this one its own database (--db)",
                db.display()
            );
        }
        let graph = config.graph()?;
        let settings = config.messages();
        let webhooks = config.webhooks();
        let secrets: Vec<&str> = [
            Some(&graph.access_token),
            webhooks.secret.as_ref(),
            webhooks.verify_token.as_ref(),
        ]
        .into_iter()
        .flatten()
        .map(|s| s.expose())
        .collect();
        // Replies that cannot be delivered and parked events become `error` events in the
        // inbox, so that they reach the handler in order with everything else (when it
        // asked for them).
        let errors = std::sync::Mutex::new(Store::open(db)?);
        let counted: Vec<Kind> = kinds
            .iter()
            .copied()
            .filter(|k| *k == Kind::Error)
            .collect();
        let report: dispatch::Report = {
            let health = health.clone();
            Arc::new(move |key: String, event: serde_json::Value| {
                let item = Item {
                    kind: Kind::Error,
                    key,
                    peer: event["to"].as_str().map(str::to_string),
                    event,
                };
                match errors
                    .lock()
                    .expect("no panic holds the lock")
                    .insert_items(&[&[item]], &counted)
                {
                    Ok(new) => {
                        health
                            .backlog
                            .fetch_add(new.iter().sum::<usize>() as i64, Ordering::Relaxed);
                    }
                    Err(err) => tracing::error!("cannot store an error event: {err:#}"),
                }
            })
        };
        let on_error: outbox::OnError = {
            let report = report.clone();
            Arc::new(move |seq: i64, event| report(format!("outbox|{seq}"), event))
        };
        let media_dir = config.media().download_dir;
        let spec = HandlerSpec {
            argv,
            env: dispatch::handler_env(
                &args.pass_env,
                &secrets,
                &graph.phone_number_id,
                &media_dir,
            ),
            per_message: args.per_message,
            workers: args.workers.unwrap_or(settings.workers).max(1),
            immediate: settings.immediate,
            retries: settings.retries,
            mark_as_read: settings.mark_as_read,
            error_events: kinds.contains(&Kind::Error),
            db: db.to_path_buf(),
            crashes,
            window: settings.window,
            ack_timeout: settings.ack_timeout,
            health: health.clone(),
            report: report.clone(),
            download: args.download_media.then(|| dispatch::MediaDownload {
                client: crate::graph::Client::new(&graph),
                dir: media_dir.clone(),
                phone_number_id: graph.phone_number_id.clone(),
            }),
        };

        let outbox = Outbox::start(config, db, on_error)?;
        let dispatcher = Arc::new(Dispatcher::start(spec, outbox.outbox.clone())?);

        let (stop_lease, lease_stopped) = mpsc::sync_channel::<()>(1);
        let lease = std::thread::Builder::new()
            .name("lease".into())
            .spawn(move || {
                loop {
                    if let Err(err) = lease_store.heartbeat() {
                        tracing::warn!("cannot renew the server lease: {err:#}");
                    }
                    match lease_stopped.recv_timeout(Duration::from_secs(2)) {
                        Err(RecvTimeoutError::Timeout) => continue,
                        _ => break,
                    }
                }
                let _ = lease_store.release_lease();
            })?;
        tracing::info!("handler: {cmd}");
        Ok(Handler {
            dispatcher,
            outbox,
            lease,
            stop_lease,
        })
    }

    /// Handlers first (their last replies still count), then the outbox, then the lease.
    fn stop(self) {
        match Arc::try_unwrap(self.dispatcher) {
            Ok(dispatcher) => dispatcher.stop(),
            Err(_) => tracing::error!("the handler is still in use at shutdown"),
        }
        self.outbox.stop();
        let _ = self.stop_lease.send(());
        let _ = self.lease.join();
    }
}

/// Whether a process with this pid exists (a lease left by a killed server is stale).
fn process_alive(pid: u32) -> bool {
    #[cfg(unix)]
    {
        use nix::errno::Errno;
        use nix::sys::signal::kill;
        use nix::unistd::Pid;
        let pid = Pid::from_raw(pid as i32);
        !matches!(kill(pid, None), Err(Errno::ESRCH))
    }
    #[cfg(not(unix))]
    {
        let _ = pid;
        true
    }
}
