//! The local Graph API of `wa-cloud dev`: an axum server on 127.0.0.1 that answers the
//! messages and media endpoints in Meta's shapes (WHATSAPP.md §5–§7), so that wa-cloud,
//! a bot and the terminal chat can run the whole loop with no Meta account.
//!
//! It owns what Meta would hold: the messages it accepted (kept, and published to
//! in-process subscribers so that the chat can show what the bot sends), the media
//! uploaded to it (in a temporary directory that goes away with it, so memory does not
//! grow with the files), and the statuses WhatsApp would report. Those are posted back to
//! a webhook, signed with the app secret like WhatsApp signs them, one at a time from
//! one thread: every status of a message after the previous one, and the statuses of
//! messages in the order the messages were accepted. Only the access token it was
//! started with is accepted; it is meant for loopback and for development, never for
//! anything a stranger can reach.
//!
//! The endpoint families live in their own modules: `answers` (Meta's error objects and
//! the token check in front of every route), `messages` (sends and read marks),
//! `statuses` (the thread that posts statuses to the webhook), `media` (upload,
//! lookup, download, delete) and `multipart` (the upload parser). Signing is
//! `crate::signature`'s, beside the check `serve` makes.

mod answers;
mod media;
mod messages;
mod multipart;
mod statuses;

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, mpsc};

use anyhow::{Context, Result};
use axum::Router;
use axum::middleware;
use axum::routing::{get, post};
use serde_json::Value;
use sha2::{Digest, Sha256};
use tokio::sync::{broadcast, oneshot};

use crate::config::Secret;
use answers::{authorize, unsupported};
use media::{delete_media, download, media_info, upload};
use messages::messages;
use statuses::{StatusJob, post_statuses};

pub(crate) use multipart::fuzzing;
pub(crate) use statuses::WebhookPoster;

/// What the chat may fall behind by before it misses messages.
const SUBSCRIBER_BACKLOG: usize = 1024;
/// The business number as statuses name it (a 555 number, which is no one's).
const DISPLAY_PHONE_NUMBER: &str = "15550000000";
/// `entry[].id` of notifications: the WhatsApp Business Account.
const WABA_ID: &str = "100000000000002";
/// Where media is downloaded from, as Meta's lookaside URLs look.
const DOWNLOAD_PATH: &str = "/whatsapp_business/attachments/";

/// What a local Graph API is started with.
#[derive(Clone, Debug)]
pub(crate) struct LocalGraphConfig {
    /// Port on 127.0.0.1; 0 picks a free one.
    pub port: u16,
    /// The business phone number id in the paths (`/{version}/{id}/messages`).
    pub phone_number_id: String,
    /// Further business numbers it answers for, as one app with several numbers
    /// (`dev --phone-number-id A --phone-number-id B`).
    pub other_numbers: Vec<String>,
    /// The only token accepted (`Authorization: Bearer ...`).
    pub access_token: Secret,
    /// Where statuses are posted; `None`: nowhere.
    pub webhook: Option<Webhook>,
}

/// A webhooks endpoint, such as `wa-cloud serve`'s, and the app secret it checks with.
#[derive(Clone, Debug)]
pub(crate) struct Webhook {
    pub url: String,
    pub app_secret: Secret,
}

/// A message the local Graph API accepted.
#[derive(Clone, Debug)]
pub(crate) struct SentMessage {
    /// Its wamid, as the response gave it.
    pub id: String,
    /// The recipient as WhatsApp resolved it: the digits of `to`, or a business-scoped
    /// user id as given.
    pub recipient: String,
    /// The business number (phone number id) it was sent through.
    pub from: String,
    /// The request body as received (a Graph API message object).
    pub message: Value,
}

/// What the bot did, as its user's phone would see it.
#[derive(Clone, Debug)]
pub(crate) enum Activity {
    /// A message was sent (accepted).
    Message(SentMessage),
    /// A message from the user was marked read; `typing`: with the typing indicator.
    // The chat does not show read marks; the tests check them.
    #[cfg_attr(not(test), expect(dead_code))]
    Read { message_id: String, typing: bool },
}

/// A media object the local Graph API holds.
#[derive(Clone, Debug)]
pub(crate) struct StoredMedia {
    /// The media id (digits).
    pub id: String,
    pub mime_type: String,
    /// Lowercase hex SHA-256 of the content.
    pub sha256: String,
    pub size: u64,
    /// The name it was uploaded or added with.
    pub filename: Option<String>,
    /// The bytes, in the temporary directory; gone when the [`LocalGraph`] is.
    pub path: PathBuf,
}

/// A running local Graph API. Dropping it stops the server and deletes its media.
pub(crate) struct LocalGraph {
    shared: Arc<Shared>,
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<io::Result<()>>>,
    /// Set when there was no runtime to run on.
    runtime: Option<tokio::runtime::Runtime>,
}

impl LocalGraph {
    /// Binds 127.0.0.1 and starts serving: on the current tokio runtime when called from
    /// one, else on a runtime of its own.
    pub(crate) fn start(config: LocalGraphConfig) -> Result<LocalGraph> {
        let wanted = SocketAddr::from((Ipv4Addr::LOCALHOST, config.port));
        let listener = std::net::TcpListener::bind(wanted).with_context(|| {
            format!("cannot listen on {wanted}: choose another --graph-port, or stop what uses it")
        })?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let media_dir = tempfile::Builder::new()
            .prefix("wa-cloud-dev-media-")
            .tempdir()
            .context("cannot create a temporary directory for the local Graph API's media")?;
        // What `wa-cloud doctor` asks about (src/dev/doctor.rs); the app secret is the webhook's.
        let app_secret = config.webhook.as_ref().map(|w| w.app_secret.clone());
        let setup =
            super::doctor::Setup::new(&config.phone_number_id, &config.access_token, app_secret);
        let statuses = match config.webhook {
            Some(webhook) => {
                let (jobs, queue) = mpsc::channel();
                std::thread::Builder::new()
                    .name("dev-statuses".into())
                    .spawn(move || post_statuses(&WebhookPoster::new(webhook), queue))
                    .context("cannot start the thread that posts statuses")?;
                Some(jobs)
            }
            None => None,
        };
        let shared = Arc::new(Shared {
            phone_number_id: config.phone_number_id,
            other_numbers: config.other_numbers,
            token: config.access_token,
            base_url: format!("http://{addr}"),
            media_dir,
            state: Mutex::new(Inner::default()),
            activity: broadcast::channel(SUBSCRIBER_BACKLOG).0,
            statuses,
            counter: AtomicU64::new(0),
            templates: Arc::default(),
            // Random, so that ids of one run are not taken for those of another (a media
            // cache that outlives this process then misses instead of hitting a wrong id).
            media_base: fastrand::u64(1_000_000_000_000_000..8_000_000_000_000_000),
            wamid_base: fastrand::u64(..),
        });

        let (runtime, handle) = match tokio::runtime::Handle::try_current() {
            Ok(handle) => (None, handle),
            Err(_) => {
                let runtime = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .thread_name("local-graph")
                    .enable_all()
                    .build()
                    .context("cannot start a runtime for the local Graph API")?;
                let handle = runtime.handle().clone();
                (Some(runtime), handle)
            }
        };
        let _entered = handle.enter();
        let listener = tokio::net::TcpListener::from_std(listener)?;
        let (stop, stopped) = oneshot::channel::<()>();
        let app = router(shared.clone())
            .layer(middleware::from_fn_with_state(setup, super::doctor::answer));
        let server = handle.spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await
        });
        Ok(LocalGraph {
            shared,
            addr,
            stop: Some(stop),
            server: Some(server),
            runtime,
        })
    }

    /// The address it listens on (127.0.0.1 and the port).
    pub(crate) fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`: `graphApi.baseUrl` and `basePort` for wa-cloud.
    pub(crate) fn url(&self) -> &str {
        &self.shared.base_url
    }

    /// Every message accepted from now on, and every read mark. A subscriber that falls
    /// more than 1024 behind misses the oldest (`RecvError::Lagged`); [`LocalGraph::sent`]
    /// still has them.
    pub(crate) fn subscribe(&self) -> broadcast::Receiver<Activity> {
        self.shared.activity.subscribe()
    }

    /// Every message accepted so far, in order.
    #[cfg(test)]
    pub(crate) fn sent(&self) -> Vec<SentMessage> {
        self.shared.lock().sent.clone()
    }

    /// Holds a copy of a local file as media (as if a user had sent it) and returns it,
    /// with the id that `GET /{media-id}` and `wa-cloud download` take. Blocks while it
    /// copies the file.
    pub(crate) fn add_media(&self, path: &Path) -> Result<StoredMedia> {
        let shown = path.display();
        let mut source = File::open(path).with_context(|| format!("cannot read `{shown}`"))?;
        let mut head = Vec::with_capacity(crate::media::kind::HEAD);
        (&mut source)
            .take(crate::media::kind::HEAD as u64)
            .read_to_end(&mut head)
            .with_context(|| format!("cannot read `{shown}`"))?;
        let mime_type = crate::media::kind::sniff(&head, path);
        let id = self.shared.next_media_id();
        let target = self.shared.media_dir.path().join(&id);
        let (sha256, size) = match copy_hashed(&head, &mut source, &target) {
            Ok(copied) => copied,
            Err(err) => {
                let _ = std::fs::remove_file(&target);
                return Err(anyhow::Error::new(err).context(format!(
                    "cannot copy `{shown}` into the local Graph API's media (in {})",
                    self.shared.media_dir.path().display()
                )));
            }
        };
        let media = StoredMedia {
            id: id.clone(),
            mime_type,
            sha256,
            size,
            filename: path.file_name().map(|n| n.to_string_lossy().into_owned()),
            path: target,
        };
        self.shared.lock().media.insert(id, media.clone());
        Ok(media)
    }

    /// The media held under `id`, uploaded or added.
    pub(crate) fn media(&self, id: &str) -> Option<StoredMedia> {
        self.shared.lock().media.get(id).cloned()
    }

    /// Stops accepting, lets the requests in flight finish, and returns when the server
    /// has stopped.
    pub(crate) async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take() {
            match server.await {
                Ok(Ok(())) => {}
                Ok(Err(err)) => tracing::warn!("the local Graph API stopped with an error: {err}"),
                Err(err) => tracing::warn!("the local Graph API stopped abnormally: {err}"),
            }
        }
    }
}

impl Drop for LocalGraph {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(runtime) = self.runtime.take() {
            // Unlike dropping it, this may also happen inside another runtime.
            runtime.shutdown_background();
        }
    }
}

/// Writes `head`, then the rest of `source`, to a new file at `target`; the content's
/// hex SHA-256 and size.
fn copy_hashed(head: &[u8], source: &mut File, target: &Path) -> io::Result<(String, u64)> {
    let mut out = crate::media::Hashing {
        inner: io::BufWriter::new(File::create(target)?),
        hasher: Sha256::new(),
    };
    out.write_all(head)?;
    let size = head.len() as u64 + io::copy(source, &mut out)?;
    out.flush()?;
    Ok((hex::encode(out.hasher.finalize()), size))
}

/// What the handlers share.
struct Shared {
    phone_number_id: String,
    other_numbers: Vec<String>,
    token: Secret,
    base_url: String,
    media_dir: tempfile::TempDir,
    state: Mutex<Inner>,
    activity: broadcast::Sender<Activity>,
    /// The status thread's queue, when there is a webhook.
    statuses: Option<mpsc::Sender<StatusJob>>,
    counter: AtomicU64,
    /// Message templates (`dev::templates`).
    templates: Arc<super::templates::Book>,
    media_base: u64,
    wamid_base: u64,
}

#[derive(Default)]
struct Inner {
    media: HashMap<String, StoredMedia>,
    sent: Vec<SentMessage>,
}

impl Shared {
    /// Whether `id` is one of the business numbers this Graph API answers for.
    fn has_number(&self, id: &str) -> bool {
        id == self.phone_number_id || self.other_numbers.iter().any(|n| n == id)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A handler that panicked while holding the lock left consistent data behind:
        // every change under it is a single insert or push.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn next(&self) -> u64 {
        self.counter.fetch_add(1, Ordering::Relaxed) + 1
    }

    fn next_media_id(&self) -> String {
        (self.media_base + self.next()).to_string()
    }

    /// A wamid shaped like Meta's (`wamid.` and base64-like characters), unique per run.
    fn next_wamid(&self) -> String {
        format!("wamid.HBgLDEV{:016X}{:08X}", self.wamid_base, self.next())
    }
}

fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route(
            "/{version}/{node}/messages",
            post(messages).fallback(unsupported),
        )
        .route(
            "/{version}/{node}/media",
            post(upload).fallback(unsupported),
        )
        .route(
            "/{version}/{id}",
            get(media_info).delete(delete_media).fallback(unsupported),
        )
        .route(DOWNLOAD_PATH, get(download))
        .merge(super::templates::router(shared.templates.clone()))
        .fallback(unsupported)
        .layer(middleware::from_fn_with_state(shared.clone(), authorize))
        .with_state(shared)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::GraphConfig;
    use crate::graph::Client;
    use crate::graph::media::UploadFile;
    use serde_json::json;

    fn client(graph: &LocalGraph, token: &str) -> Client {
        Client::new(&GraphConfig {
            base_url: format!("{}/v25.0", graph.url()),
            phone_number_id: "100000000000001".into(),
            access_token: Secret::new(token),
            timeout: std::time::Duration::from_secs(15),
        })
    }

    fn start() -> LocalGraph {
        LocalGraph::start(LocalGraphConfig {
            port: 0,
            phone_number_id: "100000000000001".into(),
            other_numbers: Vec::new(),
            access_token: Secret::new("dev-token"),
            webhook: None,
        })
        .unwrap()
    }

    #[test]
    fn sent_messages_reach_subscribers_and_are_kept() {
        let graph = start();
        let mut activity = graph.subscribe();
        let client = client(&graph, "dev-token");
        let body = json!({"messaging_product": "whatsapp", "to": "+4915112345678", "type": "text", "text": {"body": "hi"}});
        let sent = client.send_message(&body).unwrap();
        assert!(sent.id.starts_with("wamid."), "{}", sent.id);
        assert_eq!(sent.wa_id.as_deref(), Some("4915112345678"));
        client.mark_read("wamid.THEIRS", true).unwrap();
        match activity.try_recv().unwrap() {
            Activity::Message(message) => {
                assert_eq!(message.id, sent.id);
                assert_eq!(message.recipient, "4915112345678");
                assert_eq!(message.message, body);
            }
            other => panic!("expected the message, got {other:?}"),
        }
        assert!(matches!(activity.try_recv().unwrap(),
            Activity::Read { message_id, typing: true } if message_id == "wamid.THEIRS"));
        assert_eq!(graph.sent().len(), 1);
        let second = client.send_message(&body).unwrap();
        assert_ne!(second.id, sent.id, "wamids are unique");

        let wrong = self::client(&graph, "not-the-token").send_message(&body);
        let err = wrong.unwrap_err().to_string();
        assert!(
            err.contains("code 190") && err.contains("HTTP 401"),
            "{err}"
        );
    }

    #[test]
    fn added_and_uploaded_media_can_be_downloaded_and_deleted() {
        let graph = start();
        let client = client(&graph, "dev-token");
        let dir = tempfile::tempdir().unwrap();
        let png = dir.path().join("dot.png");
        let bytes = [b"\x89PNG\r\n\x1a\n".as_slice(), &[7; 100_000]].concat();
        std::fs::write(&png, &bytes).unwrap();

        let added = graph.add_media(&png).unwrap();
        assert_eq!(added.mime_type, "image/png");
        assert_eq!(added.size, bytes.len() as u64);
        let file = File::open(&png).unwrap();
        let upload = UploadFile {
            file: &file,
            size: bytes.len() as u64,
            filename: "dot.png",
            mime_type: "image/png",
        };
        let uploaded = client.upload(&upload, &|_| {}).unwrap();
        assert!(uploaded.bytes().all(|b| b.is_ascii_digit()), "{uploaded}");
        assert_ne!(uploaded, added.id);
        assert_eq!(
            graph.media(&uploaded).unwrap().filename.as_deref(),
            Some("dot.png")
        );

        for id in [&added.id, &uploaded] {
            let info = client.media_info(id).unwrap();
            assert_eq!(info.mime_type, "image/png");
            assert_eq!(info.file_size, Some(bytes.len() as u64));
            assert_eq!(info.sha256.as_deref(), Some(added.sha256.as_str()));
            let mut downloaded = Vec::new();
            client
                .download_to(&info.url, 1 << 20, &mut downloaded, &|_| {})
                .unwrap();
            assert_eq!(downloaded, bytes);
        }
        client.delete_media(&uploaded).unwrap();
        assert!(graph.media(&uploaded).is_none());
        let err = client.media_info(&uploaded).unwrap_err().to_string();
        assert!(
            err.contains("code 100") && err.contains("does not exist"),
            "{err}"
        );
    }
}
