//! `wa-cloud serve`: the composition root of the long-running mode.
//!
//! Three parts, each on its own thread so that none waits for another:
//! - the HTTP server (tokio + axum, `webhooks`), which answers WhatsApp;
//! - the inbox writer, which owns one database connection and stores notifications in
//!   batches: every request that arrived while the previous transaction committed goes
//!   into the next one, so the database is not the bottleneck under load;
//! - the tap, which writes stored events to stdout in order and marks them delivered, so
//!   that events not yet written when `serve` stops are written after it starts again;
//! - a watchdog, which notices when the database file is deleted or replaced;
//! - a checkpointer, which copies the write-ahead log into the database file, so that no
//!   part waits for the disk (`store::checkpoint`).
//!
//! Storage trouble (another process holding the write lock, a full disk, an I/O error)
//! is never fatal and never silent: the writer answers 500 (WhatsApp delivers again), the
//! tap waits and retries, and both say in the log and in `/healthz` what they wait for. A
//! database file deleted or replaced under serve cannot be recovered from without opening
//! it again: notifications get 500 and `/healthz` 503 until serve is restarted.
//!
//! Shutdown (SIGINT, SIGTERM): stop accepting, let the requests in flight finish for a
//! bounded time (`intake::SHUTDOWN_GRACE`) and cut the rest, let the writer commit what it
//! has, let the tap write everything stored, exit 0. The HTTP intake's limits and timeouts
//! (slow clients, idle connections, open files) are in `intake`; those of bodies not yet
//! authenticated in `webhooks`.

use std::io::Write;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};

use crate::cli::ServeArgs;
use crate::config::Config;
use crate::dispatch::{self, Dispatcher, HandlerSpec};
use crate::health::Health;
use crate::intake;
use crate::notification::{Item, Kind};
use crate::outbox::{self, Outbox};
use crate::store::inbox::Pending;
use crate::store::{FileId, Store, Trouble, is_transient, patiently_while_serving};
use crate::usage;
use crate::webhooks::{self, AppState, WriteRequest};

/// How many events the tap reads from the database at a time.
const TAP_BATCH: usize = 256;
/// How many notifications the writer stores in one transaction at most.
const WRITE_BATCH: usize = 512;
/// How often the watchdog looks at the database file.
const WATCH_EVERY: Duration = Duration::from_secs(1);

pub(crate) fn run(args: &ServeArgs, config: &Config) -> Result<()> {
    run_until(args, config, Arc::new(tokio::sync::Notify::new()), None)
}

/// `serve` until SIGINT, SIGTERM or `stop` (for `wa-cloud dev`, which runs serve in-process).
/// `crashes`, when given, counts the handler's failed exits.
pub(crate) fn run_until(
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

    let tls = load_tls(args, config)?;

    let db_path = config.media().db_path;
    // Each waits 2 s for another connection's lock: the writer then answers 500, promptly
    // enough for WhatsApp; the tap says so in `/healthz`, and retries.
    let writer_store = Store::open_in_server(&db_path)?;
    let holding = hold_other_numbers(config, &writer_store)?;
    let tap_store = Store::open_in_server(&db_path)?;
    let health = Arc::new(Health::default());
    health
        .backlog
        .store(tap_store.backlog(&kinds)? as i64, Ordering::Relaxed);
    health
        .parked
        .store(tap_store.parked_count()?, Ordering::Relaxed);

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
        let (kinds, health) = (kinds.clone(), health.clone());
        // Template webhooks keep the templates cache up to date.
        let templates = crate::templates::Refresher::new(config);
        // A status may be what a recipient's queue waits for: tell the outbox at once.
        let outbox = match &handing_over {
            HandOver::Handler(handler) => Some(handler.outbox.outbox.clone()),
            HandOver::Tap => None,
        };
        std::thread::Builder::new()
            .name("inbox-writer".into())
            .spawn(move || {
                write_inbox(
                    writer_store,
                    incoming,
                    wake,
                    outbox,
                    &kinds,
                    &health,
                    templates.as_ref(),
                    holding,
                )
            })?
    };
    let checkpointer = crate::store::checkpoint::Checkpointer::start(&db_path)?;
    let watchdog = match tap_store.file_id() {
        Some(file) => Some(Watchdog::start(file, health.clone())?),
        None => None,
    };
    // Only what waiting cannot help (stdout closed, a damaged database) stops serve.
    let tap_failed = Arc::new(tokio::sync::Notify::new());
    let stop_asked = stop.clone();
    let tap = {
        let (kinds, health, tap_failed) = (kinds.clone(), health.clone(), tap_failed.clone());
        let dispatcher = handing_over.dispatcher();
        std::thread::Builder::new()
            .name("hand-over".into())
            .spawn(move || {
                let tap = Tap {
                    kinds: &kinds,
                    health: &health,
                };
                let result = match dispatcher {
                    // The handler marks each event delivered once written to it.
                    // Delivering waits while the handler is behind: a backlog stays in the
                    // database. At shutdown, what the handler is not given stays pending.
                    Some(dispatcher) => tap.hand_on(tap_store, woken, |_, pending| {
                        Ok(pending.into_iter().all(|event| dispatcher.deliver(event)))
                    }),
                    None => tap.hand_on(tap_store, woken, |store, pending| {
                        tap.write_to_stdout(store, pending).map(|()| true)
                    }),
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
        health: health.clone(),
        budget: webhooks::Budget::new(
            webhooks.body_budget,
            webhooks::SMALL_BODY_RESERVE.min(webhooks.body_budget / 4),
        ),
        body_timeout: webhooks.body_timeout,
        refusals: webhooks::refusals(),
        storing: Arc::new(tokio::sync::Semaphore::new(webhooks::STORE_QUEUE)),
    });
    let router = webhooks::router(state, &path, assets);
    let router = with_metrics(router, config, &path, &health)?;
    let port = args.port.unwrap_or(webhooks.port);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let served = runtime.block_on(async {
        let address = SocketAddr::new(args.host, port);
        let listener = tokio::net::TcpListener::bind(address)
            .await
            .with_context(|| format!("cannot listen on {address}: choose another --port, or stop what uses it"))?;
        if let Some(port) = args.metrics.metrics_port {
            serve_metrics(port, health.clone()).await?;
        }
        let bound = listener.local_addr()?;
        let scheme = if tls.is_some() { "https" } else { "http" };
        tracing::info!(
            "listening on {scheme}://{bound}{path} (register https://<your public host>{path} as the callback URL \
             in the App Dashboard, WhatsApp > Configuration)"
        );
        intake::serve_with(
            listener,
            router,
            intake::Limits {
                header_timeout: webhooks.header_timeout,
                max_connections: webhooks.max_connections,
                shutdown_grace: webhooks.shutdown_grace,
            },
            tls,
            stop_requested(tap_failed, stop_asked, health.clone()),
        )
        .await?;
        anyhow::Ok(())
    });
    // Every connection is closed (requests still in flight after the grace period were
    // cut: not answered 200, WhatsApp delivers them again), so the router and its sender
    // are gone: the writer commits what it has and stops, then the tap writes what is
    // left and stops.
    drop(runtime);
    let written = writer.join().expect("the inbox writer does not panic");
    let tapped = tap.join().expect("the tap does not panic");
    if let Some(watchdog) = watchdog {
        watchdog.stop();
    }
    if let HandOver::Handler(handler) = handing_over {
        handler.stop();
    }
    checkpointer.stop();
    served?;
    written?;
    tapped?;
    tracing::info!("stopped");
    Ok(())
}

/// The router with `/metrics` when `webhooks.metrics` is true.
fn with_metrics(
    router: axum::Router,
    config: &Config,
    path: &str,
    health: &Arc<Health>,
) -> Result<axum::Router> {
    if !config.metrics_on_webhooks_port() {
        return Ok(router);
    }
    if path == "/metrics" {
        usage!(
            "the webhooks path is /metrics, where webhooks.metrics would serve the metrics: choose another --path"
        );
    }
    let health = health.clone();
    Ok(router.route(
        "/metrics",
        axum::routing::get(move || async move { crate::metrics::render(&health) }),
    ))
}

/// `--metrics-port`: `/metrics` on 127.0.0.1 alone, until serve's runtime ends.
async fn serve_metrics(port: u16, health: Arc<Health>) -> Result<()> {
    let address = SocketAddr::from(([127, 0, 0, 1], port));
    let listener = tokio::net::TcpListener::bind(address)
        .await
        .with_context(|| {
            format!("cannot listen on {address} for --metrics-port: choose another port")
        })?;
    tracing::info!("metrics on http://{}/metrics", listener.local_addr()?);
    let app = axum::Router::new().route(
        "/metrics",
        axum::routing::get(move || async move { crate::metrics::render(&health) }),
    );
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok(())
}

/// The certificate and key of `webhooks.tls.*` (or the flags), read now so that a wrong
/// file stops serve at start-up (exit 2) rather than failing every handshake.
fn load_tls(args: &ServeArgs, config: &Config) -> Result<Option<Arc<crate::tls::Reloadable>>> {
    let Some((cert, key)) =
        config.tls(args.tls.tls_cert.as_deref(), args.tls.tls_key.as_deref())?
    else {
        return Ok(None);
    };
    let tls = crate::tls::Reloadable::load(crate::tls::TlsFiles { cert, key })
        .map_err(|err| crate::error::UsageError::new(format!("{err:#}")))?;
    Ok(Some(Arc::new(tls)))
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

async fn stop_requested(
    tap_failed: Arc<tokio::sync::Notify>,
    stop: Arc<tokio::sync::Notify>,
    health: Arc<Health>,
) {
    tokio::select! {
        signal = shutdown_signal() => tracing::info!("{signal}: finishing requests in flight"),
        _ = tap_failed.notified() => tracing::error!("stopping: events can no longer be written"),
        _ = stop.notified() => tracing::debug!("stopping"),
    }
    health.ask_shutdown();
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

/// The part of serve that stores notifications, as named in `/healthz`.
const INBOX: &str = "inbox";
/// The part that hands stored events over (tap or handler).
const HAND_OVER: &str = "hand-over";
/// The database file itself (the watchdog).
const DATABASE: &str = "database";
/// The writer logs a failure to store at most this often (each batch answers 500).
const LOG_EVERY: Duration = Duration::from_secs(5);

/// Lets something be logged at most every [`LOG_EVERY`]; what is not is logged at debug.
#[derive(Default)]
struct Every(Option<Instant>);

impl Every {
    fn due(&mut self) -> bool {
        let due = self.0.is_none_or(|at| at.elapsed() >= LOG_EVERY);
        if due {
            self.0 = Some(Instant::now());
        }
        due
    }
}

/// Stores notifications in batches until every sender is gone.
///
/// A batch that cannot be stored is answered 500 at once and nothing is retried here:
/// WhatsApp delivers those notifications again later. The connection waits at most
/// 2 s (`Store::open_in_server`) for another's lock, so that the answer comes promptly. While
/// storing fails, `/healthz` says why (part `inbox`, naming the database file) and the log
/// says so every few seconds; the problem clears when a batch is stored again, or, for a
/// lock, as soon as the lock can be taken again (tried every second while no notification
/// comes). While the database file is deleted or replaced, every notification is answered
/// 500: storing it in a file that nobody else sees, and that is gone after a restart,
/// would lose it (the watchdog tells `/healthz` and the log).
#[allow(clippy::too_many_arguments)]
fn write_inbox(
    mut store: Store,
    incoming: Receiver<WriteRequest>,
    wake: SyncSender<()>,
    outbox: Option<Outbox>,
    counted: &[Kind],
    health: &Health,
    templates: Option<&crate::templates::Refresher>,
    holding: bool,
) -> Result<()> {
    let mut held_logged = crate::intake::Throttled::new(10);
    let path = store.path().display().to_string();
    // Whether the last batch failed, and because of what, when it may pass.
    let mut failing: Option<Option<Trouble>> = None;
    let (mut failure_logged, mut refusal_logged) = (Every::default(), Every::default());
    loop {
        let first = if failing == Some(Some(Trouble::Locked)) {
            match incoming.recv_timeout(WATCH_EVERY) {
                Ok(request) => request,
                Err(RecvTimeoutError::Timeout) => {
                    if store.probe_write_lock().is_ok() {
                        failing = None;
                        health.clear_problem(INBOX);
                        tracing::info!("the database `{path}` can be written again");
                    }
                    continue;
                }
                Err(RecvTimeoutError::Disconnected) => break,
            }
        } else {
            match incoming.recv() {
                Ok(request) => request,
                Err(_) => break,
            }
        };
        let mut batch = vec![first];
        batch.extend(incoming.try_iter().take(WRITE_BATCH - 1));
        if let Some(why) = store.file_replaced() {
            if refusal_logged.due() {
                tracing::warn!(
                    "refusing {} notifications, answering 500 so that WhatsApp delivers them again: the \
                     database `{path}` {why}; restart serve",
                    batch.len()
                );
            } else {
                tracing::debug!("refusing {} notifications: the database {why}", batch.len());
            }
            for request in batch {
                let _ = request.done.send(Err(()));
            }
            continue;
        }
        // Each notification's items are made one by one as they are stored.
        match store.insert_items(batch.iter().map(|r| r.notification.items()), counted) {
            Ok(counts) => {
                if failing.take().is_some() {
                    health.clear_problem(INBOX);
                    tracing::info!("notifications are stored again in the database `{path}`");
                }
                health
                    .backlog
                    .fetch_add(counts.iter().sum::<usize>() as i64, Ordering::Relaxed);
                if holding {
                    log_held(&store, counted, health, &mut held_logged);
                }
                let _ = wake.try_send(());
                let statuses = batch.iter().any(|r| r.notification.has_statuses());
                if let (true, Some(outbox)) = (statuses, &outbox) {
                    outbox.wake();
                }
                for (request, new) in batch.into_iter().zip(counts) {
                    let _ = request.done.send(Ok(new));
                    // Applying one twice (a redelivery) changes nothing.
                    if request.notification.has_template_updates() {
                        let updates = request
                            .notification
                            .items()
                            .filter(|i| i.kind == Kind::Update);
                        crate::templates::Refresher::apply(
                            templates,
                            &store,
                            updates.map(|i| i.event_value()),
                        );
                    }
                }
            }
            Err(err) => {
                let trouble = Trouble::of(&err);
                let what = match trouble {
                    Some(trouble) => format!("the database `{path}`: {}", trouble.what()),
                    None => format!("{err:#}"),
                };
                health.set_problem(
                    INBOX,
                    format!(
                        "cannot store notifications (answering 500, WhatsApp delivers them again): {what}"
                    ),
                );
                failing = Some(trouble);
                // The error names the file and says what to do (`store::explain`).
                if failure_logged.due() {
                    tracing::error!(
                        "cannot store {} notifications, answering 500 so that WhatsApp delivers them again: \
                         {err:#}",
                        batch.len(),
                    );
                } else {
                    tracing::debug!("cannot store {} notifications: {err:#}", batch.len());
                }
                for request in batch {
                    let _ = request.done.send(Err(()));
                }
            }
        }
    }
    Ok(())
}

/// The hand-over thread: which events it hands on, where it reports what it waits for,
/// and when it stops waiting for a blocked database (a while after shutdown was asked).
struct Tap<'a> {
    kinds: &'a [Kind],
    health: &'a Health,
}

impl Tap<'_> {
    /// Hands stored events of `kinds` to `sink`, oldest first and in batches, until the
    /// writer is gone and nothing is left, or `sink` says to stop (false). Reading waits through storage trouble; when it
    /// gives up (at shutdown), what is left stays stored for the next start.
    fn hand_on(
        &self,
        mut store: Store,
        woken: Receiver<()>,
        mut sink: impl FnMut(&mut Store, Vec<Pending>) -> Result<bool>,
    ) -> Result<()> {
        let path = store.path().to_path_buf();
        let mut after = 0;
        let mut writer_gone = false;
        loop {
            let read = patiently_while_serving(self.health, HAND_OVER, &path, || {
                store.pending(self.kinds, after, TAP_BATCH)
            });
            let pending = match read {
                Ok(pending) => pending,
                Err(err) if is_transient(&err) => {
                    tracing::warn!(
                        "stopping before every stored event was handed over: the rest is handed over when serve \
                         starts again ({err:#})"
                    );
                    return Ok(());
                }
                Err(err) => return Err(err),
            };
            let Some(last) = pending.last() else {
                if writer_gone {
                    return Ok(());
                }
                // Error events of the outbox arrive without a wake-up: look now and then.
                match woken.recv_timeout(Duration::from_millis(200)) {
                    Ok(()) => {}
                    // `wa-cloud inbox retry` may have taken events out of the parked ones.
                    Err(RecvTimeoutError::Timeout) => {
                        if let Ok(parked) = store.parked_count() {
                            self.health.parked.store(parked, Ordering::Relaxed);
                        }
                    }
                    Err(RecvTimeoutError::Disconnected) => writer_gone = true,
                }
                continue;
            };
            after = last.seq;
            let count = pending.len() as i64;
            if !sink(&mut store, pending)? {
                return Ok(());
            }
            self.health.backlog.fetch_sub(count, Ordering::Relaxed);
        }
    }

    /// The tap: events to stdout, then marked delivered.
    ///
    /// Only a closed stdout is fatal (`wa-cloud serve | head -1` ends serve). Marking waits
    /// through storage trouble for as long as it lasts (`/healthz` says so meanwhile); the
    /// tap goes on from its position in memory, so nothing is written twice while serve
    /// runs. Events written but not yet marked when serve stops (killed, or a shutdown
    /// while the database stays blocked) are written again after the next start: at least
    /// once, never lost.
    fn write_to_stdout(&self, store: &mut Store, pending: Vec<Pending>) -> Result<()> {
        let mut out = std::io::stdout().lock();
        for event in &pending {
            writeln!(out, "{}", event.event).context("cannot write events to stdout")?;
        }
        out.flush().context("cannot write events to stdout")?;
        drop(out);
        crate::metrics::get()
            .handed_over
            .inc_by(pending.len() as u64);
        let seqs: Vec<i64> = pending.iter().map(|p| p.seq).collect();
        let path = store.path().to_path_buf();
        match patiently_while_serving(self.health, HAND_OVER, &path, || {
            store.mark_delivered(&seqs)
        }) {
            Ok(()) => Ok(()),
            Err(err) if is_transient(&err) => {
                tracing::warn!(
                    "{} events were written to stdout but could not be marked delivered in the database `{}` \
                     before stopping: they are written again when serve starts ({err:#})",
                    seqs.len(),
                    path.display()
                );
                Ok(())
            }
            Err(err) => Err(err),
        }
    }
}

/// Looks at the database file every [`WATCH_EVERY`]: while it is deleted or replaced,
/// `/healthz` fails (part `database`) and the log says why, once; and again if the file
/// comes back (renamed back into place). It cannot recover otherwise: every connection of
/// serve would have to open the new file, and what the old one holds would be left behind.
struct Watchdog {
    thread: std::thread::JoinHandle<()>,
    stop: SyncSender<()>,
}

impl Watchdog {
    fn start(file: FileId, health: Arc<Health>) -> Result<Watchdog> {
        let (stop, stopped) = mpsc::sync_channel::<()>(1);
        let thread = std::thread::Builder::new()
            .name("watchdog".into())
            .spawn(move || {
                let path = file.path().display().to_string();
                let mut was: Option<String> = None;
                loop {
                    let now = file.replaced();
                    if now != was {
                        match &now {
                            Some(why) => {
                                health.set_problem(
                                    DATABASE,
                                    format!(
                                        "the database `{path}` {why} while serve ran: notifications are answered \
                                         500 until serve is restarted"
                                    ),
                                );
                                tracing::error!(
                                    "the database `{path}` {why} while serve ran: serve still has the old file \
                                     open, which nothing else sees and which is gone after a restart. Notifications \
                                     are answered 500 (WhatsApp delivers them again) and /healthz fails. Restart \
                                     serve, which opens the database again (or starts a new one), once /healthz shows \
                                     a backlog of 0: events stored before are still handed over until then"
                                );
                            }
                            None => {
                                health.clear_problem(DATABASE);
                                tracing::info!(
                                    "the database `{path}` is back: notifications are stored again"
                                );
                            }
                        }
                        was = now;
                    }
                    match stopped.recv_timeout(WATCH_EVERY) {
                        Err(RecvTimeoutError::Timeout) => continue,
                        _ => break,
                    }
                }
            })?;
        Ok(Watchdog { thread, stop })
    }

    fn stop(self) {
        let _ = self.stop.send(());
        let _ = self.thread.join();
    }
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
        let numbers = config.numbers();
        let secrets: Vec<&str> = [
            Some(&graph.access_token),
            webhooks.secret.as_ref(),
            webhooks.verify_token.as_ref(),
        ]
        .into_iter()
        .flatten()
        // The numbers' own tokens (and so WHATSAPP_CLOUD_GRAPHAPI_NUMBERS, which holds them).
        .chain(numbers.tokens().map(|(_, token)| token))
        .map(|s| s.expose())
        .collect();
        // Replies that cannot be delivered and parked events become `error` events in the
        // inbox, so that they reach the handler in order with everything else (when it
        // asked for them).
        let errors = std::sync::Mutex::new(Store::open_in_server(db)?);
        let counted: Vec<Kind> = kinds
            .iter()
            .copied()
            .filter(|k| *k == Kind::Error)
            .collect();
        let report: dispatch::Report = {
            let health = health.clone();
            Arc::new(move |key: String, event: serde_json::Value| {
                let peer = event["to"].as_str().map(str::to_string);
                let item = Item::new(Kind::Error, key, peer, &event);
                let mut errors = errors.lock().expect("no panic holds the lock");
                let path = errors.path().to_path_buf();
                let stored = patiently_while_serving(&health, "errors", &path, || {
                    errors.insert_items([[&item]], &counted)
                });
                match stored {
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
                by_number: config
                    .numbers()
                    .tokens()
                    .map(|(number, token)| {
                        let mut graph = graph.clone();
                        graph.phone_number_id = number.to_string();
                        graph.access_token = token.clone();
                        (number.to_string(), crate::graph::Client::new(&graph))
                    })
                    .collect(),
            }),
        };

        let outbox = Outbox::start(config, db, on_error, health.clone())?;
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

/// With `graphApi.numbers` set, makes the filing connection park events that came to a
/// business number not on it (see [`crate::store::numbers`]); true when it does.
fn hold_other_numbers(config: &Config, store: &Store) -> Result<bool> {
    let Some(allowed) = config.numbers().allowed() else {
        return Ok(false);
    };
    store.hold_other_numbers(&allowed)?;
    tracing::info!(
        "handing over events for business numbers {} only (graphApi.numbers); events for others are stored and \
         parked",
        allowed.join(", ")
    );
    Ok(true)
}

/// Logs the events just held for the number they came to, and keeps them out of the
/// backlog: they are parked, not waiting.
fn log_held(
    store: &Store,
    counted: &[Kind],
    health: &Health,
    logged: &mut crate::intake::Throttled,
) {
    let held = match store.take_held() {
        Ok(held) => held,
        Err(err) => {
            tracing::warn!("{err:#}");
            return;
        }
    };
    for event in &held {
        if counted.iter().any(|k| k.as_str() == event.kind) {
            health.backlog.fetch_sub(1, Ordering::Relaxed);
        }
        health.parked.fetch_add(1, Ordering::Relaxed);
        if let Some(unlogged) = logged.due() {
            tracing::warn!(
                "a {} event (inbox {}) came to business number {}, which is not in graphApi.numbers: stored, not \
                 handed over. Add the number to graphApi.numbers to answer it, then `wa-cloud inbox retry {}` hands \
                 this one over (`wa-cloud inbox parked` lists them){}",
                event.kind,
                event.seq,
                event.number,
                event.seq,
                crate::intake::more(unlogged)
            );
        }
    }
}
