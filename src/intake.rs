//! The HTTP intake of `serve`: an accept loop that a stranger on the internet cannot use
//! to pin memory, file descriptors or the shutdown.
//!
//! `axum::serve` sets none of hyper's timeouts, so serve runs its own loop over hyper's
//! HTTP/1 connections, with:
//! - a limit on open connections ([`connection_limit`]): past it, new connections wait in
//!   the kernel's backlog until a slot frees, instead of failing with "too many open files";
//! - a header read timeout (`Limits::header_timeout`), which is also the idle keep-alive
//!   timeout: a connection that does not deliver a complete request head in time is
//!   closed. Connections accepted while few slots are left get a shorter one
//!   ([`PRESSED_HEADER_READ_TIMEOUT`]), so that slow clients turn over faster under attack;
//! - a bounded read buffer per connection ([`READ_BUFFER`]);
//! - accept errors (EMFILE and the like) that back off ([`ACCEPT_BACKOFF`]) and are logged
//!   at most every [`LOG_EVERY`];
//! - a shutdown that always ends: stop accepting, let requests in flight finish for at most
//!   `Limits::shutdown_grace`, then close what is left. Those requests were not answered 200, so
//!   WhatsApp delivers their notifications again: nothing is lost.
//!
//! With `webhooks.tls.*` the same loop serves HTTPS (HTTP/2 or HTTP/1.1 through ALPN): the
//! TLS handshake must end within the header timeout, and an HTTP/2 connection on which
//! nothing moves for that long is closed, as an idle HTTP/1.1 one is.
//!
//! The body of a request is read by its handler, under the body timeout and the budget of
//! unauthenticated bytes of `webhooks`.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::Router;
use hyper::server::conn::{http1, http2};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::tls;

/// The header read timeout of connections accepted while fewer than a quarter of the
/// connection slots are free.
pub(crate) const PRESSED_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(2);
/// File descriptors left for everything but connections: the database and its journal
/// files (several connections), the handler's pipes, the Graph API, stdio, the listener.
pub(crate) const FD_HEADROOM: u64 = 256;
/// The fewest connections serve accepts at once, however low the open-files limit.
const MIN_CONNECTIONS: usize = 16;
/// The largest read buffer of one connection, which also bounds the size of request heads.
pub(crate) const READ_BUFFER: usize = 64 * 1024;
/// How long the loop waits after a failed accept (EMFILE, ENFILE, ENOBUFS...).
pub(crate) const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);
/// Repeated warnings (accept errors, full connection slots, slow clients, refused
/// requests) are throttled over this window, with a count of what was not logged.
pub(crate) const LOG_EVERY: Duration = Duration::from_secs(10);
/// How many slow clients are logged one by one per [`LOG_EVERY`].
const SLOW_CLIENTS_LOGGED: u32 = 10;

/// How many connections serve keeps open at once: `max_connections`, or fewer when the
/// soft limit of open files leaves less than that beside [`FD_HEADROOM`].
pub(crate) fn connection_limit(max_connections: usize) -> usize {
    let soft = open_files_limit();
    let limit = match soft {
        Some(soft) => (soft.saturating_sub(FD_HEADROOM) as usize).min(max_connections),
        None => max_connections,
    };
    limit.max(MIN_CONNECTIONS)
}

/// What serve allows its clients.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Limits {
    /// How long a client has to send a complete request head (request line and headers),
    /// counted from the connection's first byte or from the previous answer: a connection
    /// that is silent or slow for longer is closed. It is also how long an idle keep-alive
    /// connection stays open (`webhooks.headerTimeout`).
    pub header_timeout: Duration,
    /// At most this many connections are open at once, fewer when the open-files limit is
    /// low: see [`connection_limit`] (`webhooks.maxConnections`).
    pub max_connections: usize,
    /// After a shutdown request, how long requests in flight may take to finish
    /// (`webhooks.shutdownGrace`).
    pub shutdown_grace: Duration,
}

#[cfg(unix)]
fn open_files_limit() -> Option<u64> {
    use nix::sys::resource::{Resource, getrlimit};
    getrlimit(Resource::RLIMIT_NOFILE)
        .ok()
        // `rlim_t` is not u64 on every platform.
        .map(|(soft, _)| {
            #[allow(clippy::unnecessary_cast)]
            let soft = soft as u64;
            soft
        })
}

#[cfg(not(unix))]
fn open_files_limit() -> Option<u64> {
    None
}

/// A warning that may come thousands of times a second under attack: logged at most
/// `burst` times per [`LOG_EVERY`], the next one saying how many were not.
pub(crate) struct Throttled {
    burst: u32,
    window: Option<Instant>,
    logged: u32,
    unlogged: u64,
}

impl Throttled {
    pub(crate) const fn new(burst: u32) -> Self {
        Throttled {
            burst,
            window: None,
            logged: 0,
            unlogged: 0,
        }
    }

    /// `Some(n)` when this one is to be logged (`n` were not since the last), else `None`.
    pub(crate) fn due(&mut self) -> Option<u64> {
        if self.window.is_none_or(|at| at.elapsed() >= LOG_EVERY) {
            self.window = Some(Instant::now());
            self.logged = 0;
        }
        if self.logged >= self.burst {
            self.unlogged += 1;
            return None;
        }
        self.logged += 1;
        Some(std::mem::take(&mut self.unlogged))
    }
}

/// " (and N more ...)" for a throttled warning, or nothing.
pub(crate) fn more(unlogged: u64) -> String {
    if unlogged == 0 {
        String::new()
    } else {
        format!(" (and {unlogged} more before this one, not logged one by one)")
    }
}

/// Serves `router` on `listener` until `stop` resolves, then shuts down within
/// `limits.shutdown_grace` (see the module documentation). Over HTTPS when `tls` is given:
/// each connection's TLS handshake must end within its header timeout, then it speaks
/// HTTP/2 or HTTP/1.1 as ALPN chose, under the same limits as plain HTTP. SIGHUP reads the
/// certificate and key again (see [`tls`]).
pub(crate) async fn serve_with(
    listener: TcpListener,
    router: Router,
    limits: Limits,
    tls: Option<Arc<tls::Reloadable>>,
    stop: impl Future<Output = ()>,
) -> io::Result<()> {
    let reloads = tls.clone().map(|tls| tokio::spawn(reload_on_hangup(tls)));
    let Limits {
        header_timeout: relaxed_header_timeout,
        max_connections,
        shutdown_grace,
    } = limits;
    let pressed_header_timeout = PRESSED_HEADER_READ_TIMEOUT.min(relaxed_header_timeout);
    let limit = connection_limit(max_connections);
    if limit < max_connections {
        tracing::info!(
            "accepting at most {limit} connections at once (the open-files limit is {}; raise it with `ulimit -n` \
             for more)",
            open_files_limit().unwrap_or_default()
        );
    }
    let slots = Arc::new(Semaphore::new(limit));
    let graceful = GracefulShutdown::new();
    let mut connections = JoinSet::new();
    let (mut accept_failed, mut slots_full) = (Throttled::new(1), Throttled::new(1));
    let slow_clients = Arc::new(std::sync::Mutex::new(Throttled::new(SLOW_CLIENTS_LOGGED)));
    tokio::pin!(stop);
    loop {
        // Reap finished connections, so that the set holds only open ones.
        while connections.try_join_next().is_some() {}
        let permit = match slots.clone().try_acquire_owned() {
            Ok(permit) => permit,
            Err(_) => {
                if let Some(unlogged) = slots_full.due() {
                    tracing::warn!(
                        "all {limit} connection slots are taken: new connections wait until one is closed (slow \
                         or idle clients are after {}s){}",
                        pressed_header_timeout.as_secs(),
                        more(unlogged)
                    );
                }
                tokio::select! {
                    biased;
                    () = &mut stop => break,
                    permit = slots.clone().acquire_owned() => permit.expect("the semaphore is never closed"),
                }
            }
        };
        let (stream, peer) = tokio::select! {
            biased;
            () = &mut stop => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(err) => {
                    if let Some(unlogged) = accept_failed.due() {
                        tracing::warn!(
                            "cannot accept connections: {err}; retrying every {}ms{}",
                            ACCEPT_BACKOFF.as_millis(),
                            more(unlogged)
                        );
                    }
                    tokio::select! {
                        biased;
                        () = &mut stop => break,
                        () = tokio::time::sleep(ACCEPT_BACKOFF) => continue,
                    }
                }
            },
        };
        let _ = stream.set_nodelay(true);
        let pressed = slots.available_permits() < limit / 4;
        let header_timeout = if pressed {
            pressed_header_timeout
        } else {
            relaxed_header_timeout
        };
        let io = Counted::new(stream);
        let unanswered = io.unanswered.clone();
        let slow_clients = slow_clients.clone();
        if let Some(tls) = &tls {
            let (acceptor, watcher, router) = (tls.acceptor(), graceful.watcher(), router.clone());
            connections.spawn(async move {
                let result = serve_tls(acceptor, io, router, header_timeout, watcher).await;
                drop(permit);
                match result {
                    Ok(result) => closed(peer, result, header_timeout, &unanswered, &slow_clients),
                    Err(why) => tracing::debug!("connection from {peer} closed: {why}"),
                }
            });
            continue;
        }
        let connection = graceful.watch(
            http1_builder(header_timeout)
                .serve_connection(TokioIo::new(io), TowerToHyperService::new(router.clone())),
        );
        connections.spawn(async move {
            let result = connection.await;
            drop(permit);
            closed(peer, result, header_timeout, &unanswered, &slow_clients);
        });
    }
    drop(listener);
    if let Some(reloads) = reloads {
        reloads.abort();
    }
    let open = graceful.count();
    if open > 0 {
        tracing::info!(
            "no longer accepting connections; waiting up to {}s for the requests in flight on {open} connections",
            shutdown_grace.as_secs()
        );
    }
    if tokio::time::timeout(shutdown_grace, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!(
            "closing {} connections still open after {}s: requests not answered 200 are delivered again by WhatsApp",
            connections.len(),
            shutdown_grace.as_secs()
        );
    }
    connections.shutdown().await;
    Ok(())
}

/// The HTTP/1.1 side of a connection, plain or inside TLS.
fn http1_builder(header_timeout: Duration) -> http1::Builder {
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(header_timeout)
        .keep_alive(true)
        .max_buf_size(READ_BUFFER);
    http
}

/// Streams an HTTP/2 client may have open at once on one connection.
const H2_STREAMS: u32 = 16;
/// HTTP/2 flow-control windows: how many body bytes a client may send before serve
/// reads them, per stream and per connection. Small, like [`READ_BUFFER`], so that a
/// stranger's connections cannot pin more memory than HTTP/1.1 ones; the bodies still
/// flow as fast as their handlers read them.
const H2_STREAM_WINDOW: u32 = 64 * 1024;
const H2_CONNECTION_WINDOW: u32 = 128 * 1024;

/// One HTTPS connection: the handshake within `header_timeout`, then HTTP/2 or HTTP/1.1 as
/// ALPN chose. `Err` says why a connection ended before it spoke HTTP.
async fn serve_tls(
    acceptor: tokio_rustls::TlsAcceptor,
    io: Counted,
    router: Router,
    header_timeout: Duration,
    watcher: hyper_util::server::graceful::Watcher,
) -> Result<hyper::Result<()>, String> {
    let stream = match tokio::time::timeout(header_timeout, acceptor.accept(io)).await {
        Err(_) => {
            return Err(format!(
                "no TLS handshake within {}s",
                header_timeout.as_secs()
            ));
        }
        Ok(Err(err)) => return Err(format!("TLS handshake failed: {err}")),
        Ok(Ok(stream)) => stream,
    };
    let service = TowerToHyperService::new(router);
    if stream.get_ref().1.alpn_protocol() != Some(b"h2") {
        return Ok(watcher
            .watch(http1_builder(header_timeout).serve_connection(TokioIo::new(stream), service))
            .await);
    }
    let mut http = http2::Builder::new(TokioExecutor::new());
    http.timer(TokioTimer::new())
        .max_concurrent_streams(H2_STREAMS)
        .initial_stream_window_size(H2_STREAM_WINDOW)
        .initial_connection_window_size(H2_CONNECTION_WINDOW)
        .max_header_list_size(READ_BUFFER as u32);
    let active = Active::new(stream);
    let activity = active.activity.clone();
    let connection = watcher.watch(http.serve_connection(TokioIo::new(active), service));
    // HTTP/2 has no header read timeout: a connection on which nothing moved either way
    // for `header_timeout` is closed instead, as an idle HTTP/1.1 one would be.
    tokio::select! {
        result = connection => Ok(result),
        () = idle(&activity, header_timeout) => Err(format!("idle HTTP/2 connection closed after {}s", header_timeout.as_secs())),
    }
}

/// Resolves once nothing was read or written for `timeout` (see [`Active`]).
async fn idle(activity: &Activity, timeout: Duration) {
    loop {
        let quiet = activity.quiet();
        if quiet >= timeout {
            return;
        }
        tokio::time::sleep(timeout - quiet).await;
    }
}

/// Reads the certificate and key again on each SIGHUP, for the connections that follow.
async fn reload_on_hangup(tls: Arc<tls::Reloadable>) {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let Ok(mut hangups) = signal(SignalKind::hangup()) else {
            tracing::warn!("cannot listen for SIGHUP: restart serve to load a new TLS certificate");
            return;
        };
        while hangups.recv().await.is_some() {
            match tls.reload() {
                Ok(()) => tracing::info!(
                    "SIGHUP: new connections get the certificate in `{}` (open ones keep theirs)",
                    tls.files().cert.display()
                ),
                Err(err) => tracing::error!("SIGHUP: {err:#}; the certificate in use stays"),
            }
        }
    }
    #[cfg(not(unix))]
    std::future::pending::<()>().await
}

/// Logs how a connection ended, when that says something about its client.
fn closed(
    peer: SocketAddr,
    result: hyper::Result<()>,
    header_timeout: Duration,
    unanswered: &AtomicU64,
    slow_clients: &std::sync::Mutex<Throttled>,
) {
    let Err(err) = result else { return };
    if err.is_timeout() {
        // Bytes read since the last answer: none means an idle keep-alive connection (or
        // one that never said anything), which is closed quietly.
        let bytes = unanswered.load(Ordering::Relaxed);
        if bytes == 0 {
            tracing::debug!(
                "closed an idle connection from {peer} after {}s",
                header_timeout.as_secs()
            );
            return;
        }
        let due = slow_clients.lock().expect("no panic holds the lock").due();
        let message = format!(
            "closed a connection from {peer}: its request head was incomplete after {}s ({bytes} bytes received)",
            header_timeout.as_secs()
        );
        match due {
            Some(unlogged) => tracing::warn!("{message}{}", more(unlogged)),
            None => tracing::debug!("{message}"),
        }
    } else {
        tracing::debug!("connection from {peer} ended: {err}");
    }
}

/// A TCP stream that counts the bytes read since the last write (the last answer).
struct Counted {
    stream: TcpStream,
    unanswered: Arc<AtomicU64>,
}

impl Counted {
    fn new(stream: TcpStream) -> Self {
        Counted {
            stream,
            unanswered: Arc::new(AtomicU64::new(0)),
        }
    }
}

impl AsyncRead for Counted {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.stream).poll_read(cx, buf);
        let read = buf.filled().len() - before;
        self.unanswered.fetch_add(read as u64, Ordering::Relaxed);
        polled
    }
}

impl AsyncWrite for Counted {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.unanswered.store(0, Ordering::Relaxed);
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.unanswered.store(0, Ordering::Relaxed);
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

/// When a byte last moved on a connection, either way.
struct Activity {
    started: Instant,
    /// Milliseconds from `started`.
    last: AtomicU64,
}

impl Activity {
    fn touch(&self) {
        let now = self.started.elapsed().as_millis() as u64;
        self.last.store(now, Ordering::Relaxed);
    }

    fn quiet(&self) -> Duration {
        let last = Duration::from_millis(self.last.load(Ordering::Relaxed));
        self.started.elapsed().saturating_sub(last)
    }
}

/// A stream that notes its [`Activity`].
struct Active<S> {
    stream: S,
    activity: Arc<Activity>,
}

impl<S> Active<S> {
    fn new(stream: S) -> Self {
        Active {
            stream,
            activity: Arc::new(Activity {
                started: Instant::now(),
                last: AtomicU64::new(0),
            }),
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Active<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.stream).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.activity.touch();
        }
        polled
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Active<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.stream).poll_write(cx, buf);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        polled
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_connection_limit_leaves_room_for_other_files() {
        let limit = connection_limit(1000);
        assert!((MIN_CONNECTIONS..=1000).contains(&limit));
        if let Some(soft) = open_files_limit() {
            assert!(limit as u64 + FD_HEADROOM <= soft.max(MIN_CONNECTIONS as u64 + FD_HEADROOM));
        }
    }

    #[test]
    fn throttled_warnings_count_what_they_skip() {
        let mut throttled = Throttled::new(2);
        assert_eq!(throttled.due(), Some(0));
        assert_eq!(throttled.due(), Some(0));
        assert_eq!(throttled.due(), None);
        assert_eq!(throttled.due(), None);
        throttled.window = Some(Instant::now() - LOG_EVERY);
        assert_eq!(throttled.due(), Some(2));
        assert_eq!(throttled.due(), Some(0));
        assert_eq!(throttled.due(), None);
    }
}
