//! Media files through the cache in the database: the library under `send`, `serve`'s
//! outbox and `serve --download-media`. The commands `upload`, `download` and `media`
//! are in [`commands`]; nothing here knows the command line.
//!
//! This module owns the rules a user sees: which files are refused before any request
//! ([`kind`]), when an upload is served from the cache (same content, same type, same
//! phone number, id younger than 30 days), and that a download appears under its final
//! name only when it is complete and matches the SHA-256 that WhatsApp gave. `send` and
//! the handler's replies reach the same cache through [`local_file`] and [`resolve_files`],
//! so a file named in a message is uploaded exactly like `wa-cloud upload` would.

pub(crate) mod commands;
pub(crate) mod kind;

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::config::{Config, GraphConfig};
use crate::error::UsageError;
use crate::graph::media::UploadFile;
use crate::graph::{Client, GraphError};
use crate::secret::Secret;
use crate::store::Store;
use crate::store::media::{Direction, MediaRecord, UPLOAD_LIFETIME_SECS};
use crate::usage;
use kind::Kind;

/// The most a download may bring when Meta does not say its size: WhatsApp delivers no
/// media larger than 100 MB.
const MAX_DOWNLOAD: u64 = 100 * 1024 * 1024;

/// A local file checked against WhatsApp's rules, ready to upload.
#[derive(Clone, Debug)]
pub(crate) struct LocalFile {
    pub path: PathBuf,
    pub media: kind::Media,
    pub size: u64,
}

/// What an upload through the cache gave.
#[derive(Clone, Debug)]
pub(crate) struct Uploaded {
    pub id: String,
    pub mime_type: String,
    pub size: u64,
    pub sha256: String,
    /// The id came from the database, not from a new upload.
    pub cached: bool,
}

/// Checks that `path` is a readable file of a type WhatsApp takes, within that type's
/// size limit, and (when `as_kind` is given) fit for that kind of message. Every refusal
/// is a [`UsageError`] that names the file.
pub(crate) fn inspect(path: &Path, as_kind: Option<Kind>) -> Result<LocalFile> {
    let shown = path.display();
    let mut file = match File::open(path) {
        Ok(file) => file,
        Err(err) => usage!("cannot read `{shown}`: {err}"),
    };
    let metadata = file
        .metadata()
        .with_context(|| format!("cannot read `{shown}`"))?;
    if !metadata.is_file() {
        usage!("`{shown}` is not a file");
    }
    let mut head = Vec::with_capacity(kind::HEAD);
    (&mut file)
        .take(kind::HEAD as u64)
        .read_to_end(&mut head)
        .map_err(|err| UsageError::new(format!("cannot read `{shown}`: {err}")))?;
    let refuse = |problem| UsageError::new(format!("`{shown}` {problem}"));
    let mime = kind::sniff(&head, path);
    let media = kind::classify(&mime, &head).map_err(refuse)?;
    if let Some(wanted) = as_kind {
        kind::fits(&media, wanted).map_err(refuse)?;
    }
    kind::within_limit(&media, metadata.len()).map_err(refuse)?;
    Ok(LocalFile {
        path: path.to_path_buf(),
        media,
        size: metadata.len(),
    })
}

/// The media database and a Graph API client: uploads through the cache.
pub(crate) struct MediaCache {
    store: Store,
    client: Client,
    phone_number_id: String,
    progress: bool,
    /// How to reach the other business numbers a message may go out from (`from`): the
    /// configured connection, and the numbers with an access token of their own.
    graph: GraphConfig,
    tokens: HashMap<String, Secret>,
    /// Clients of the other numbers, made the first time a file goes up through them.
    others: HashMap<String, Client>,
}

impl MediaCache {
    /// Opens the database (`media.dbPath`) and a client for the configured number.
    pub(crate) fn open(config: &Config) -> Result<MediaCache> {
        MediaCache::open_with(config, config.graph()?)
    }

    /// [`MediaCache::open`] with `graph` as the configured connection (`send --from`,
    /// whose number may have a token of its own and need no other).
    pub(crate) fn open_with(config: &Config, graph: GraphConfig) -> Result<MediaCache> {
        let store = Store::open(&config.media().db_path)?;
        let tokens = config
            .numbers()
            .tokens()
            .map(|(number, token)| (number.to_string(), token.clone()))
            .collect();
        Ok(MediaCache {
            store,
            client: Client::new(&graph),
            phone_number_id: graph.phone_number_id.clone(),
            progress: false,
            graph,
            tokens,
            others: HashMap::new(),
        })
    }

    /// The client for uploads through business number `number` (None: the configured
    /// one), with that number's own access token when `graphApi.numbers` gives it one.
    /// WhatsApp keeps media on the number (and business) that uploaded it, so a message
    /// is sent with a file uploaded through the number it goes out from.
    fn client_of(&mut self, number: Option<&str>) -> (&Client, String) {
        match number {
            Some(number) if number != self.phone_number_id => {
                let client = self.others.entry(number.to_string()).or_insert_with(|| {
                    let mut graph = self.graph.clone();
                    graph.phone_number_id = number.to_string();
                    if let Some(token) = self.tokens.get(number) {
                        graph.access_token = token.clone();
                    }
                    Client::new(&graph)
                });
                (client, number.to_string())
            }
            _ => (&self.client, self.phone_number_id.clone()),
        }
    }

    /// Draw a progress bar on stderr while uploading.
    pub(crate) fn with_progress(mut self, progress: bool) -> MediaCache {
        self.progress = progress;
        self
    }

    /// The id of a valid upload of this file's content, or of a new upload (always a new
    /// one with `force`). Only a successful upload is recorded.
    pub(crate) fn upload(&mut self, local: &LocalFile, force: bool) -> Result<Uploaded> {
        self.upload_through(local, force, None)
    }

    /// [`MediaCache::upload`] through business number `number` (None: the configured
    /// one): the cache is per number, as media ids are.
    pub(crate) fn upload_through(
        &mut self,
        local: &LocalFile,
        force: bool,
        number: Option<&str>,
    ) -> Result<Uploaded> {
        let progress = self.progress;
        let shown = local.path.display();
        let file = File::open(&local.path).with_context(|| format!("cannot read `{shown}`"))?;
        let (sha256, size) = hash_file(&file).with_context(|| format!("cannot read `{shown}`"))?;
        if size != local.size {
            usage!("`{shown}` changed while being read: try again once it is complete");
        }
        let mime_type = local.media.mime.clone();
        let now = now();
        let hit = if force {
            None
        } else {
            let number = number.unwrap_or(&self.phone_number_id);
            self.store.cached_upload(number, &sha256, &mime_type, now)?
        };
        if let Some(hit) = hit {
            tracing::debug!(id = %hit.id, file = %shown, "upload served from the media cache");
            return Ok(Uploaded {
                id: hit.id,
                mime_type,
                size,
                sha256,
                cached: true,
            });
        }

        let filename = local
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| format!("file.{}", kind::extension(&mime_type)));
        let bar = progress_bar(progress, size, format!("uploading {filename}"));
        let upload = UploadFile {
            file: &file,
            size,
            filename: &filename,
            mime_type: &mime_type,
        };
        let (client, phone_number_id) = self.client_of(number);
        let id = client
            .upload(&upload, &|sent| bar.set_position(sent))
            .with_context(|| format!("`{shown}` was not uploaded"))?;
        bar.finish_and_clear();
        let path = std::path::absolute(&local.path).unwrap_or_else(|_| local.path.clone());
        self.store.record_media(&MediaRecord {
            id: id.clone(),
            direction: Direction::Upload,
            phone_number_id,
            sha256: sha256.clone(),
            mime_type: mime_type.clone(),
            size,
            path: path.display().to_string(),
            created_at: now,
            expires_at: Some(now + UPLOAD_LIFETIME_SECS),
        })?;
        tracing::debug!(%id, file = %shown, "uploaded");
        Ok(Uploaded {
            id,
            mime_type,
            size,
            sha256,
            cached: false,
        })
    }
}

/// The local file that a media message (in the Graph API's shape, as
/// [`crate::message::normalize`] returns it) names as `{"image": {"file": PATH}}`,
/// checked for that kind of message; `None` when it names no file.
pub(crate) fn local_file(message: &Value) -> Result<Option<LocalFile>> {
    let Some((kind, pointer)) = media_slot(message) else {
        return Ok(None);
    };
    let Some(path) = message.pointer(&pointer).and_then(|m| m["file"].as_str()) else {
        return Ok(None);
    };
    inspect(Path::new(path), Some(kind)).map(Some)
}

/// Whether a message names a local file to upload before it is sent.
pub(crate) fn names_file(message: &Value) -> bool {
    media_slot(message).is_some_and(|(_, pointer)| {
        message
            .pointer(&pointer)
            .is_some_and(|m| m["file"].is_string())
    })
}

/// Where a message's media object is (a JSON pointer) and its kind: the body of a media
/// message, or the media header of a template message (`components[i].parameters[0]`).
fn media_slot(message: &Value) -> Option<(Kind, String)> {
    let kind = message["type"].as_str()?;
    if kind == "template" {
        let components = message["template"]["components"].as_array()?;
        let i = components.iter().position(|c| c["type"] == "header")?;
        let header = components[i]["parameters"][0]["type"].as_str()?;
        let kind = Kind::parse(header)
            .filter(|k| matches!(k, Kind::Image | Kind::Video | Kind::Document))?;
        return Some((
            kind,
            format!("/template/components/{i}/parameters/0/{header}"),
        ));
    }
    let kind = Kind::parse(kind)?;
    Some((kind, format!("/{}", kind.as_str())))
}

/// Uploads the local file a media message names (see [`local_file`]) through the cache
/// and puts its media id in place of `file`: through the business number the message
/// goes out from (its wa-cloud field `from`, else the configured one). A document
/// without `filename` gets the file's name, which WhatsApp shows to the recipient. A
/// message without a file is left as it is.
pub(crate) fn resolve_files(message: &mut Value, cache: &mut MediaCache) -> Result<()> {
    let Some(local) = local_file(message)? else {
        return Ok(());
    };
    let from = message[crate::graph::FROM].as_str().map(str::to_string);
    let uploaded = cache.upload_through(&local, false, from.as_deref())?;
    let (kind, pointer) = media_slot(message).expect("local_file found a media object");
    if let Some(content) = message.pointer_mut(&pointer).and_then(Value::as_object_mut) {
        content.remove("file");
        content.insert("id".into(), json!(uploaded.id));
        if kind == Kind::Document && !content.contains_key("filename") {
            let name = local.path.file_name().map(|n| n.to_string_lossy());
            if let Some(name) = name {
                content.insert("filename".into(), json!(name));
            }
        }
    }
    Ok(())
}

/// Where `download` puts a file.
enum Target {
    /// `-o PATH`: exactly there.
    Output(PathBuf),
    /// `DIR/<id>.<extension>`.
    Dir(PathBuf),
}

struct Downloaded {
    path: PathBuf,
    mime_type: String,
    size: u64,
    sha256: String,
    cached: bool,
}

/// WhatsApp media ids are digits; anything else never becomes part of a URL or a path.
fn check_media_id(id: &str) -> Result<()> {
    if id.is_empty() || id.len() > 64 || !id.bytes().all(|b| b.is_ascii_digit()) {
        usage!(
            "{} is not a media id: WhatsApp media ids are digits, such as 1037543291543636",
            crate::error::excerpt(id, 40)
        );
    }
    Ok(())
}

/// Downloads media `id` into `dir` as `wa-cloud download` would (the database knows
/// what is already there); the path of the file. For `serve --download-media`.
pub(crate) fn download_into(
    id: &str,
    dir: &Path,
    store: &Store,
    client: &Client,
    phone_number_id: &str,
) -> Result<PathBuf> {
    check_media_id(id)?;
    let target = Target::Dir(dir.to_path_buf());
    Ok(download_one(id, &target, store, client, phone_number_id, false)?.path)
}

fn download_one(
    id: &str,
    target: &Target,
    store: &Store,
    client: &Client,
    phone_number_id: &str,
    progress: bool,
) -> Result<Downloaded> {
    if let Some(done) = already_downloaded(id, target, store)? {
        tracing::debug!(%id, path = %done.path.display(), "already downloaded");
        return Ok(done);
    }
    let failed = || format!("media {id} was not downloaded");
    let mut info = client.media_info(id).with_context(failed)?;
    let path = match target {
        Target::Output(path) => path.clone(),
        Target::Dir(dir) => dir.join(format!("{id}.{}", kind::extension(&info.mime_type))),
    };
    let parent = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&parent)
        .with_context(|| format!("cannot create the directory `{}`", parent.display()))?;
    // The temporary file sits beside the final one, so that the rename that publishes it
    // cannot cross file systems; it is deleted when dropped without being published.
    let mut temp = tempfile::Builder::new()
        .prefix(".wa-cloud-")
        .suffix(".part")
        .tempfile_in(&parent)
        .with_context(|| format!("cannot write to the directory `{}`", parent.display()))?;

    let limit = info.file_size.unwrap_or(MAX_DOWNLOAD);
    let bar = progress_bar(progress, limit, format!("downloading {id}"));
    let mut hashing = Hashing {
        inner: temp.as_file_mut(),
        hasher: Sha256::new(),
    };
    let mut attempt = 1;
    let written = loop {
        let result = client.download_to(&info.url, limit, &mut hashing, &|n| bar.set_position(n));
        match result {
            // Media URLs last 5 minutes; a 404 asks for a fresh one (WHATSAPP.md §7).
            Err(err) if attempt == 1 && is_not_found(&err) => {
                tracing::debug!(%id, "the media URL was gone; asking for a new one");
                info = client.media_info(id).with_context(failed)?;
                attempt += 1;
            }
            other => break other.with_context(failed)?,
        }
    };
    bar.finish_and_clear();
    let sha256 = hex(&hashing.hasher.finalize());
    if let Some(expected) = info.file_size.filter(|size| *size != written) {
        anyhow::bail!(
            "media {id} arrived incomplete ({written} of {expected} bytes); nothing was written: try again"
        );
    }
    match info.sha256.as_deref() {
        Some(expected) if is_sha256_hex(expected) => {
            if expected != sha256 {
                anyhow::bail!(
                    "media {id} does not match the SHA-256 that WhatsApp gave (expected {expected}, got {sha256}); \
                     nothing was written: try again, and if it repeats, the media is damaged at WhatsApp"
                );
            }
        }
        given => tracing::warn!(
            "media {id}: WhatsApp gave no SHA-256 in hex ({given:?}), so the download is not verified"
        ),
    }
    temp.as_file()
        .sync_all()
        .with_context(|| format!("cannot write `{}`", path.display()))?;
    temp.persist(&path).map_err(|err| {
        anyhow::Error::new(err.error).context(format!(
            "cannot move the download into place at `{}`",
            path.display()
        ))
    })?;
    let stored = path.canonicalize().unwrap_or_else(|_| path.clone());
    store.record_media(&MediaRecord {
        id: id.to_string(),
        direction: Direction::Download,
        phone_number_id: phone_number_id.to_string(),
        sha256: sha256.clone(),
        mime_type: info.mime_type.clone(),
        size: written,
        path: stored.display().to_string(),
        created_at: now(),
        expires_at: None,
    })?;
    Ok(Downloaded {
        path,
        mime_type: info.mime_type,
        size: written,
        sha256,
        cached: false,
    })
}

/// A download of `id` that is still on disk where `target` would put it, unchanged.
fn already_downloaded(id: &str, target: &Target, store: &Store) -> Result<Option<Downloaded>> {
    let Some(record) = store.downloaded(id)? else {
        return Ok(None);
    };
    let recorded = PathBuf::from(&record.path);
    let candidate = match target {
        Target::Output(path) => path.clone(),
        Target::Dir(dir) => match recorded.file_name() {
            Some(name) => dir.join(name),
            None => return Ok(None),
        },
    };
    if candidate.canonicalize().ok().as_ref() != Some(&recorded) {
        return Ok(None);
    }
    let Ok(file) = File::open(&candidate) else {
        return Ok(None);
    };
    match hash_file(&file) {
        Ok((sha256, size)) if sha256 == record.sha256 => Ok(Some(Downloaded {
            path: candidate,
            mime_type: record.mime_type,
            size,
            sha256,
            cached: true,
        })),
        _ => Ok(None),
    }
}

fn is_not_found(err: &anyhow::Error) -> bool {
    err.chain()
        .filter_map(|cause| cause.downcast_ref::<GraphError>())
        .any(|graph| match graph {
            GraphError::Status { status, .. } => *status == 404,
            GraphError::Api(api) => api.status == 404,
            _ => false,
        })
}

fn progress_bar(show: bool, length: u64, message: String) -> ProgressBar {
    if !show {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(length), ProgressDrawTarget::stderr());
    let style = ProgressStyle::with_template(
        "{msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} {eta}",
    )
    .expect("a valid template")
    .progress_chars("=> ");
    bar.set_style(style);
    bar.set_message(message);
    bar
}

/// Writes through to `inner` and hashes what was written.
pub(crate) struct Hashing<W> {
    pub(crate) inner: W,
    pub(crate) hasher: Sha256,
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let written = self.inner.write(buf)?;
        self.hasher.update(&buf[..written]);
        Ok(written)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// The hex SHA-256 and the length of a file's content, read a buffer at a time.
fn hash_file(mut file: &File) -> io::Result<(String, u64)> {
    let mut hasher = Sha256::new();
    let mut buffer = vec![0; 64 * 1024];
    let mut size = 0;
    loop {
        match file.read(&mut buffer) {
            Ok(0) => break,
            Ok(read) => {
                hasher.update(&buffer[..read]);
                size += read as u64;
            }
            Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
            Err(err) => return Err(err),
        }
    }
    Ok((hex(&hasher.finalize()), size))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn is_sha256_hex(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit())
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_ids_are_digits_only() {
        assert!(check_media_id("1037543291543636").is_ok());
        for bad in ["", "../1", "12a", "1/2", "1 2", "١٢٣", &"1".repeat(65)] {
            assert!(check_media_id(bad).is_err(), "{bad}");
        }
    }
}
