//! The Graph API's media endpoints: upload, the media URL, download, delete (WHATSAPP.md §7).
//!
//! Uploads and downloads stream: the multipart body is a chain of a small preamble, the
//! file itself and a trailer, sent with a known Content-Length, and a download is copied
//! to the caller's writer a buffer at a time, so memory does not grow with the file. Both
//! get their own timeouts: a 100 MB file may take minutes, but each read or write may not
//! stall for long. The access token is sent only over HTTPS (or to a plain-HTTP Graph API
//! that the configuration chose, such as a local emulator).

use std::fs::File;
use std::io::{self, Cursor, Read, Seek, SeekFrom, Write};
use std::time::Duration;

use serde_json::Value;
use ureq::http::Response;

use super::{Client, GraphError, abbreviate, read_reply};

/// How long one read or write of a media body may stall before the transfer is given up.
const STALL: Duration = Duration::from_secs(60);

/// How long Meta may take to answer once a large upload has arrived.
const PROCESSING: Duration = Duration::from_secs(120);

/// What `GET /{media-id}` says about a media object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct MediaInfo {
    pub id: String,
    /// Where to download it, with the Bearer token; valid for 5 minutes.
    pub url: String,
    pub mime_type: String,
    /// Lowercase hex SHA-256 of the content, when Meta gave one.
    pub sha256: Option<String>,
    pub file_size: Option<u64>,
}

/// A file to upload: already opened, its size and media type known.
pub(crate) struct UploadFile<'a> {
    pub file: &'a File,
    pub size: u64,
    /// The name shown to the recipient of a document.
    pub filename: &'a str,
    pub mime_type: &'a str,
}

impl Client {
    /// Uploads a file (`POST /{phone-number-id}/media`) and returns its media id.
    /// `progress` is told how many bytes of the file have been sent so far.
    pub(crate) fn upload(
        &self,
        upload: &UploadFile<'_>,
        progress: &dyn Fn(u64),
    ) -> Result<String, GraphError> {
        let url = format!("{}/{}/media", self.base_url, self.phone_number_id);
        let boundary = boundary();
        let (preamble, trailer) = multipart_frame(&boundary, upload.filename, upload.mime_type);
        let length = preamble.len() as u64 + upload.size + trailer.len() as u64;
        let reply = self.with_retries(self.retry, &url, || {
            // A retry sends the file from its start again.
            let mut file = upload.file;
            file.seek(SeekFrom::Start(0)).map_err(ureq::Error::Io)?;
            progress(0);
            let body = Cursor::new(preamble.as_slice())
                .chain(Counting {
                    inner: file.take(upload.size),
                    count: 0,
                    progress,
                })
                .chain(Cursor::new(trailer.as_slice()));
            let mut body = body;
            self.agent
                .post(&url)
                .config()
                .timeout_per_write(Some(STALL))
                // Meta answers only after it has processed the whole file.
                .timeout_recv_response(Some(PROCESSING))
                .build()
                .header("Authorization", self.authorization.expose())
                .header(
                    "Content-Type",
                    format!("multipart/form-data; boundary={boundary}"),
                )
                .header("Content-Length", length.to_string())
                .send(ureq::SendBody::from_reader(&mut body))
        })?;
        match reply["id"].as_str() {
            // An id that is not digits would be stored, and then refused by `download` and
            // `media delete`: refuse it now, before it is kept.
            Some(id)
                if !id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_digit()) =>
            {
                Ok(id.to_string())
            }
            _ => Err(GraphError::Unexpected(abbreviate(&reply.to_string()))),
        }
    }

    /// Where media `id` can be downloaded, its type, size and hash (`GET /{media-id}`).
    pub(crate) fn media_info(&self, id: &str) -> Result<MediaInfo, GraphError> {
        let url = format!("{}/{id}", self.base_url);
        let reply = self.with_retries(self.retry, &url, || {
            self.agent
                .get(&url)
                .header("Authorization", self.authorization.expose())
                .call()
        })?;
        parse_info(&reply).ok_or_else(|| GraphError::Unexpected(abbreviate(&reply.to_string())))
    }

    /// Downloads a media URL (from [`Client::media_info`]) into `out`, at most `limit`
    /// bytes; returns how many bytes were written. `progress` is told the running total.
    pub(crate) fn download_to(
        &self,
        url: &str,
        limit: u64,
        out: &mut dyn Write,
        progress: &dyn Fn(u64),
    ) -> anyhow::Result<u64> {
        let secure = url.starts_with("https://");
        let configured = url.starts_with("http://") && self.base_url.starts_with("http://");
        if !(secure || configured) {
            anyhow::bail!(
                "the Graph API gave a media URL that is not https ({}): refusing to send the access token there",
                abbreviate(url)
            );
        }
        let mut response = self.with_retries_raw(url, || {
            self.agent
                .get(url)
                .config()
                .timeout_recv_body(None)
                .timeout_per_read(Some(STALL))
                .build()
                .header("Authorization", self.authorization.expose())
                .call()
        })?;
        let mut reader = response
            .body_mut()
            .as_reader()
            .take(limit.saturating_add(1));
        let mut buffer = vec![0; 64 * 1024];
        let mut total: u64 = 0;
        loop {
            let read = match reader.read(&mut buffer) {
                Ok(0) => break,
                Ok(read) => read,
                Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
                Err(err) => {
                    return Err(GraphError::Transport {
                        url: abbreviate(url),
                        source: ureq::Error::Io(err),
                    }
                    .into());
                }
            };
            total += read as u64;
            if total > limit {
                anyhow::bail!(
                    "the media is larger than the {limit} bytes the Graph API announced: refusing the rest"
                );
            }
            out.write_all(&buffer[..read])?;
            progress(total);
        }
        Ok(total)
    }

    /// Deletes media `id` at WhatsApp (`DELETE /{media-id}`).
    pub(crate) fn delete_media(&self, id: &str) -> Result<(), GraphError> {
        let url = format!("{}/{id}", self.base_url);
        let reply = self.with_retries(self.retry, &url, || {
            self.agent
                .delete(&url)
                .header("Authorization", self.authorization.expose())
                .call()
        })?;
        match reply["success"].as_bool() {
            Some(true) => Ok(()),
            _ => Err(GraphError::Unexpected(abbreviate(&reply.to_string()))),
        }
    }

    /// Like `with_retries`, for a response whose body is not JSON: a 2xx response is
    /// returned unread, anything else becomes the error it stands for, retried alike.
    fn with_retries_raw(
        &self,
        url: &str,
        mut request: impl FnMut() -> Result<Response<ureq::Body>, ureq::Error>,
    ) -> Result<Response<ureq::Body>, GraphError> {
        self.retrying(self.retry, || match request() {
            Ok(response) if response.status().is_success() => Ok(response),
            Ok(response) => match read_reply(url, response) {
                Ok(_) => unreachable!("read_reply accepts only a 2xx status"),
                Err(error) => Err(error),
            },
            Err(source) => Err(GraphError::Transport {
                url: abbreviate(url),
                source,
            }),
        })
    }
}

fn parse_info(reply: &Value) -> Option<MediaInfo> {
    let url = reply["url"].as_str().filter(|u| !u.is_empty())?;
    let file_size = match &reply["file_size"] {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    };
    Some(MediaInfo {
        id: reply["id"].as_str().unwrap_or_default().to_string(),
        url: url.to_string(),
        mime_type: reply["mime_type"]
            .as_str()
            .unwrap_or("application/octet-stream")
            .to_string(),
        sha256: reply["sha256"].as_str().map(str::to_ascii_lowercase),
        file_size,
    })
}

/// A multipart boundary that no file is going to contain by chance.
fn boundary() -> String {
    let random: String = std::iter::repeat_with(fastrand::alphanumeric)
        .take(32)
        .collect();
    format!("wa-cloud-{random}")
}

/// The bytes before and after the file in a `multipart/form-data` upload body: the
/// fields `messaging_product` and `type`, and the `file` part's headers.
fn multipart_frame(boundary: &str, filename: &str, mime_type: &str) -> (Vec<u8>, Vec<u8>) {
    // Browsers escape a name this way (WHATWG HTML, multipart/form-data encoding): a
    // quote or line break in a file name must not end the header early.
    let filename = filename
        .replace('"', "%22")
        .replace('\r', "%0D")
        .replace('\n', "%0A");
    let mime_type: String = mime_type.chars().filter(|c| !c.is_control()).collect();
    let preamble = format!(
        "--{boundary}\r\n\
         Content-Disposition: form-data; name=\"messaging_product\"\r\n\r\n\
         whatsapp\r\n\
         --{boundary}\r\n\
         Content-Disposition: form-data; name=\"type\"\r\n\r\n\
         {mime_type}\r\n\
         --{boundary}\r\n\
         Content-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\n\
         Content-Type: {mime_type}\r\n\r\n"
    );
    let trailer = format!("\r\n--{boundary}--\r\n");
    (preamble.into_bytes(), trailer.into_bytes())
}

/// Counts the bytes read through it, for a progress bar.
struct Counting<'a, R> {
    inner: R,
    count: u64,
    progress: &'a dyn Fn(u64),
}

impl<R: Read> Read for Counting<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let read = self.inner.read(buf)?;
        self.count += read as u64;
        (self.progress)(self.count);
        Ok(read)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn multipart_frames_the_fields_and_the_file_part() {
        let (preamble, trailer) = multipart_frame("XyZ", "cat.png", "image/png");
        let mut body = preamble;
        body.extend_from_slice(b"PNGDATA");
        body.extend_from_slice(&trailer);
        assert_eq!(
            String::from_utf8(body).unwrap(),
            "--XyZ\r\nContent-Disposition: form-data; name=\"messaging_product\"\r\n\r\nwhatsapp\r\n\
             --XyZ\r\nContent-Disposition: form-data; name=\"type\"\r\n\r\nimage/png\r\n\
             --XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"cat.png\"\r\n\
             Content-Type: image/png\r\n\r\nPNGDATA\r\n--XyZ--\r\n"
        );
    }

    #[test]
    fn file_names_cannot_break_out_of_their_header() {
        let (preamble, _) = multipart_frame("b", "a\"b\r\nX-Evil: 1.pdf", "application/pdf");
        let text = String::from_utf8(preamble).unwrap();
        assert!(
            text.contains("filename=\"a%22b%0D%0AX-Evil: 1.pdf\""),
            "{text}"
        );
        assert_eq!(text.matches("\r\n\r\n").count(), 3);
    }

    #[test]
    fn boundaries_differ_and_are_plain() {
        let (a, b) = (boundary(), boundary());
        assert_ne!(a, b);
        assert!(a.len() > 30 && a.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-'));
    }

    #[test]
    fn media_info_takes_sizes_as_numbers_or_strings() {
        let info = parse_info(
            &json!({"messaging_product": "whatsapp", "url": "https://x/?mid=1",
            "mime_type": "image/jpeg", "sha256": "ABCD", "file_size": "303833", "id": "1"}),
        )
        .unwrap();
        assert_eq!(info.file_size, Some(303833));
        assert_eq!(info.sha256.as_deref(), Some("abcd"));
        let info = parse_info(&json!({"url": "https://x", "file_size": 12})).unwrap();
        assert_eq!(info.file_size, Some(12));
        assert_eq!(parse_info(&json!({"id": "1"})), None);
    }
}
