//! The media endpoints: `POST /{version}/{phone-number-id}/media` (a multipart upload,
//! streamed to a file), `GET` and `DELETE /{version}/{media-id}`, and the download URL.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, Write};
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;

use axum::body::{Body, Bytes, HttpBody};
use axum::extract::{Path as UrlPath, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use sha2::{Digest, Sha256};

use super::answers::{invalid, no_such_object};
use super::messages::{Refusal, refuse};
use super::multipart::{Event, MultipartParser, multipart_boundary};
use super::{DISPLAY_PHONE_NUMBER, DOWNLOAD_PATH, Shared, StoredMedia};

/// WhatsApp takes no media larger than 100 MB (documents); the multipart framing around
/// the file gets a little room on top.
const MAX_UPLOAD: u64 = 100 * 1024 * 1024 + 64 * 1024;
/// The text fields of an upload (`messaging_product`, `type`) are short.
const MAX_FIELD: usize = 4 * 1024;

/// `POST /{version}/{phone-number-id}/media`: a multipart upload, streamed to a file.
pub(super) async fn upload(
    State(shared): State<Arc<Shared>>,
    UrlPath((_version, node)): UrlPath<(String, String)>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    if !shared.has_number(&node) {
        return no_such_object(&Method::POST, &node);
    }
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let Some(boundary) = multipart_boundary(content_type) else {
        return invalid(
            "(#100) The parameter file is required.",
            "upload with Content-Type multipart/form-data and the fields messaging_product, type and file",
        );
    };
    let id = shared.next_media_id();
    let path = shared.media_dir.path().join(&id);
    // A refused upload leaves no file behind.
    let refused = |refusal: Refusal| {
        let _ = std::fs::remove_file(&path);
        tracing::warn!(
            "refused an upload: {} ({})",
            refusal.message,
            refusal.details
        );
        invalid(&refusal.message, &refusal.details)
    };
    let received = receive_upload(body, &boundary, path.clone()).await;
    let upload = match received {
        Ok(upload) => upload,
        Err(refusal) => return refused(refusal),
    };
    let field = |name: &str| upload.fields.get(name).map(|v| v.trim().to_string());
    let refusal = match (field("messaging_product"), field("type"), &upload.file) {
        (None, _, _) => Some(refuse(
            "(#100) The parameter messaging_product is required.",
            "add the field messaging_product=whatsapp",
        )),
        (Some(product), _, _) if product != "whatsapp" => Some(refuse(
            "(#100) Param messaging_product must be one of {WHATSAPP}",
            "messaging_product must be whatsapp",
        )),
        (_, _, None) => Some(refuse(
            "(#100) The parameter file is required.",
            "add the file as the part named file",
        )),
        (_, None, _) => Some(refuse(
            "(#100) The parameter type is required.",
            "add the field type: the file's MIME type, such as image/jpeg",
        )),
        (_, Some(mime), _) if !mime.contains('/') => Some(refuse(
            "(#100) Param type must be a valid MIME type",
            "type is the file's MIME type, such as image/jpeg",
        )),
        _ => None,
    };
    if let Some(refusal) = refusal {
        return refused(refusal);
    }
    let file = upload.file.expect("checked above");
    let media = StoredMedia {
        id: id.clone(),
        mime_type: field("type").expect("checked above"),
        sha256: file.sha256,
        size: file.size,
        filename: file.filename,
        path,
    };
    tracing::info!(
        "media {id} uploaded: {}, {} bytes{}",
        media.mime_type,
        media.size,
        media
            .filename
            .as_deref()
            .map(|n| format!(", {n}"))
            .unwrap_or_default()
    );
    shared.lock().media.insert(id.clone(), media);
    axum::Json(json!({"id": id})).into_response()
}

/// What an upload brought: its text fields and the file, already on disk.
struct Upload {
    fields: HashMap<String, String>,
    file: Option<ReceivedFile>,
}

struct ReceivedFile {
    filename: Option<String>,
    sha256: String,
    size: u64,
}

/// Which part the data being read belongs to.
enum Current {
    File,
    Field(String, Vec<u8>),
    Other,
}

/// Reads a multipart body as it arrives: the `file` part goes to `path` through a
/// blocking writer thread (hashed on the way), the other parts into `fields`.
async fn receive_upload(mut body: Body, boundary: &str, path: PathBuf) -> Result<Upload, Refusal> {
    let mut parser = MultipartParser::new(boundary);
    let mut fields = HashMap::new();
    let mut current = Current::Other;
    let mut writer: Option<(FileWriter, Option<String>)> = None;
    let mut total: u64 = 0;
    let cut_short = || {
        refuse(
            "(#100) Invalid parameter",
            "the upload ended early or was not a complete multipart/form-data body",
        )
    };
    let mut path = Some(path);
    'read: while let Some(chunk) = next_data(&mut body).await {
        let chunk = chunk.map_err(|_| cut_short())?;
        total += chunk.len() as u64;
        if total > MAX_UPLOAD {
            return Err(refuse(
                "(#100) Invalid parameter",
                "the file is larger than 100 MB, the most WhatsApp takes",
            ));
        }
        let events = parser
            .push(&chunk)
            .map_err(|why| refuse("(#100) Invalid parameter", why))?;
        for event in events {
            match event {
                Event::Part(part) => {
                    finish_field(&mut current, &mut fields);
                    current = match part.name.as_str() {
                        "file" => match path.take() {
                            Some(path) => {
                                writer = Some((FileWriter::start(path), part.filename));
                                Current::File
                            }
                            // Only the first file counts.
                            None => Current::Other,
                        },
                        "" => Current::Other,
                        name => Current::Field(name.to_string(), Vec::new()),
                    };
                }
                Event::Data(data) => match &mut current {
                    Current::File => {
                        let (file, _) = writer.as_mut().expect("a file part has a writer");
                        if !file.write(data).await {
                            // The writer stopped; its error is read below.
                            break 'read;
                        }
                    }
                    Current::Field(name, value) => {
                        if value.len() + data.len() > MAX_FIELD {
                            return Err(refuse(
                                "(#100) Invalid parameter",
                                format!("the field {name} is too long"),
                            ));
                        }
                        value.extend_from_slice(&data);
                    }
                    Current::Other => {}
                },
                Event::End => {
                    finish_field(&mut current, &mut fields);
                    break 'read;
                }
            }
        }
    }
    let file = match writer {
        Some((file, filename)) => {
            let (sha256, size) = file.finish().await.map_err(|err| {
                refuse(
                    "(#131000) Something went wrong",
                    format!("the local Graph API could not store the file: {err}"),
                )
            })?;
            Some(ReceivedFile {
                filename,
                sha256,
                size,
            })
        }
        None => None,
    };
    if !parser.is_done() {
        return Err(cut_short());
    }
    Ok(Upload { fields, file })
}

fn finish_field(current: &mut Current, fields: &mut HashMap<String, String>) {
    if let Current::Field(name, value) = std::mem::replace(current, Current::Other) {
        fields.insert(name, String::from_utf8_lossy(&value).into_owned());
    }
}

/// The next data frame of a request body (trailers skipped); `None` at its end.
async fn next_data(body: &mut Body) -> Option<Result<Bytes, axum::Error>> {
    loop {
        let frame = std::future::poll_fn(|cx| Pin::new(&mut *body).poll_frame(cx)).await?;
        match frame {
            Ok(frame) => {
                if let Ok(data) = frame.into_data() {
                    return Some(Ok(data));
                }
            }
            Err(err) => return Some(Err(err)),
        }
    }
}

/// Writes a file on a blocking thread, so that disk writes never stall the server.
struct FileWriter {
    chunks: tokio::sync::mpsc::Sender<Vec<u8>>,
    done: tokio::task::JoinHandle<io::Result<(String, u64)>>,
}

impl FileWriter {
    fn start(path: PathBuf) -> FileWriter {
        let (chunks, mut incoming) = tokio::sync::mpsc::channel::<Vec<u8>>(8);
        let done = tokio::task::spawn_blocking(move || {
            let mut file = io::BufWriter::new(File::create(&path)?);
            let mut hasher = Sha256::new();
            let mut size = 0u64;
            while let Some(chunk) = incoming.blocking_recv() {
                file.write_all(&chunk)?;
                hasher.update(&chunk);
                size += chunk.len() as u64;
            }
            file.flush()?;
            Ok((hex::encode(hasher.finalize()), size))
        });
        FileWriter { chunks, done }
    }

    /// False when the writer has stopped (an I/O error, which `finish` returns).
    async fn write(&self, chunk: Vec<u8>) -> bool {
        self.chunks.send(chunk).await.is_ok()
    }

    /// The file's hex SHA-256 and size, once everything is written.
    async fn finish(self) -> io::Result<(String, u64)> {
        drop(self.chunks);
        self.done.await.map_err(io::Error::other)?
    }
}

/// `GET /{version}/{id}`: a media object's URL and facts, or the phone number's.
pub(super) async fn media_info(
    State(shared): State<Arc<Shared>>,
    UrlPath((_version, id)): UrlPath<(String, String)>,
) -> Response {
    if shared.has_number(&id) {
        return axum::Json(json!({"verified_name": "wa-cloud dev",
            "display_phone_number": DISPLAY_PHONE_NUMBER, "quality_rating": "GREEN", "id": id}))
        .into_response();
    }
    let Some(media) = shared.lock().media.get(&id).cloned() else {
        return no_such_object(&Method::GET, &id);
    };
    axum::Json(json!({
        "messaging_product": "whatsapp",
        "url": format!("{}{DOWNLOAD_PATH}?mid={id}", shared.base_url),
        "mime_type": media.mime_type,
        "sha256": media.sha256,
        "file_size": media.size.to_string(),
        "id": id,
    }))
    .into_response()
}

/// `DELETE /{version}/{media-id}`.
pub(super) async fn delete_media(
    State(shared): State<Arc<Shared>>,
    UrlPath((_version, id)): UrlPath<(String, String)>,
) -> Response {
    let Some(media) = shared.lock().media.remove(&id) else {
        return no_such_object(&Method::DELETE, &id);
    };
    let _ = std::fs::remove_file(&media.path);
    tracing::info!("media {id} deleted");
    axum::Json(json!({"success": true})).into_response()
}

/// The media URL: the bytes, with the media's type (the token was checked already).
pub(super) async fn download(
    State(shared): State<Arc<Shared>>,
    Query(query): Query<HashMap<String, String>>,
    request: Request,
) -> Response {
    let media = query
        .get("mid")
        .and_then(|id| shared.lock().media.get(id).cloned());
    // Meta answers an unknown or expired media URL with 404 (WHATSAPP.md §7).
    let Some(media) = media else {
        return StatusCode::NOT_FOUND.into_response();
    };
    match tower_http::services::ServeFile::new(&media.path)
        .try_call(request)
        .await
    {
        Ok(response) => {
            let mut response = response.map(Body::new);
            if let Ok(value) = HeaderValue::from_str(&media.mime_type) {
                response.headers_mut().insert(header::CONTENT_TYPE, value);
            }
            response
        }
        Err(err) => {
            tracing::warn!("cannot serve media {}: {err}", media.id);
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}
