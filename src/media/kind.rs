//! Which files WhatsApp takes as media, and how big they may be (WHATSAPP.md §7).
//!
//! The media type comes from the file's first bytes where they say it, else from its
//! name: a `.jpg` that is really a GIF is refused here instead of failing at Meta with
//! error 131053. Every limit belongs to the type, so a file is checked once, whichever
//! message it ends up in. Pure functions over bytes and names: no I/O.

use std::fmt;
use std::path::Path;

/// How many bytes of a file [`sniff`] wants to see. Office documents are ZIP or CFB
/// containers whose first entries can sit a few kilobytes in.
pub(crate) const HEAD: usize = 16 * 1024;

const KB: u64 = 1024;
const MB: u64 = 1024 * 1024;

/// A media message kind, which is also how WhatsApp groups its media types.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Image,
    Audio,
    Video,
    Document,
    Sticker,
}

impl Kind {
    pub(crate) fn parse(kind: &str) -> Option<Kind> {
        Some(match kind {
            "image" => Kind::Image,
            "audio" => Kind::Audio,
            "video" => Kind::Video,
            "document" => Kind::Document,
            "sticker" => Kind::Sticker,
            _ => return None,
        })
    }

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Kind::Image => "image",
            Kind::Audio => "audio",
            Kind::Video => "video",
            Kind::Document => "document",
            Kind::Sticker => "sticker",
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The MIME types WhatsApp accepts, with their kind and size limit. Stickers have two
/// limits; the animated one is in [`limit`].
const ACCEPTED: [(&str, Kind, u64); 18] = [
    ("image/jpeg", Kind::Image, 5 * MB),
    ("image/png", Kind::Image, 5 * MB),
    ("image/webp", Kind::Sticker, 100 * KB),
    ("video/mp4", Kind::Video, 16 * MB),
    ("video/3gpp", Kind::Video, 16 * MB),
    ("audio/aac", Kind::Audio, 16 * MB),
    ("audio/amr", Kind::Audio, 16 * MB),
    ("audio/mpeg", Kind::Audio, 16 * MB),
    ("audio/mp4", Kind::Audio, 16 * MB),
    ("audio/ogg", Kind::Audio, 16 * MB),
    ("text/plain", Kind::Document, 100 * MB),
    ("application/pdf", Kind::Document, 100 * MB),
    ("application/msword", Kind::Document, 100 * MB),
    (DOCX, Kind::Document, 100 * MB),
    ("application/vnd.ms-excel", Kind::Document, 100 * MB),
    (XLSX, Kind::Document, 100 * MB),
    ("application/vnd.ms-powerpoint", Kind::Document, 100 * MB),
    (PPTX, Kind::Document, 100 * MB),
];

const DOCX: &str = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
const PPTX: &str = "application/vnd.openxmlformats-officedocument.presentationml.presentation";
const ANIMATED_STICKER: u64 = 500 * KB;

/// What a file is, as far as WhatsApp is concerned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Media {
    /// The MIME type sent as the upload's `type` and the file part's Content-Type.
    pub mime: String,
    /// The kind of message it naturally goes in.
    pub kind: Kind,
    /// For stickers: an animated WebP.
    pub animated: bool,
    /// The largest size WhatsApp takes for this type, in bytes.
    pub limit: u64,
}

fn accepted(mime: &str) -> Option<(Kind, u64)> {
    ACCEPTED
        .iter()
        .find(|(m, _, _)| *m == mime)
        .map(|(_, kind, limit)| (*kind, *limit))
}

/// The media type of a file whose first bytes are `head`, named `path`.
pub(crate) fn sniff(head: &[u8], path: &Path) -> String {
    let by_name = by_extension(path);
    if let Some(brand) = head
        .get(4..12)
        .filter(|b| b.starts_with(b"ftyp"))
        .map(|b| &b[4..])
    {
        // infer knows no 3GPP brands, and files in the MP4 container are told apart only
        // by their brand: an m4a with a generic brand needs its name.
        if brand.starts_with(b"3gp") || brand.starts_with(b"3gs") {
            return "video/3gpp".into();
        }
        if brand.starts_with(b"3g2") {
            return "video/3gpp2".into();
        }
        if brand.starts_with(b"M4A") || brand.starts_with(b"M4B") {
            return "audio/mp4".into();
        }
        if by_name.as_deref() == Some("audio/mp4") {
            return "audio/mp4".into();
        }
    }
    match infer::get(head).map(|t| t.mime_type()) {
        Some("audio/opus") => "audio/ogg".into(),
        // An Ogg stream that is not OPUS: IANA's type for Ogg in general.
        Some("audio/ogg") => "application/ogg".into(),
        Some("audio/m4a" | "audio/x-m4a") => "audio/mp4".into(),
        // Containers: the name tells which office document is inside.
        Some(container @ ("application/zip" | "application/x-ole-storage")) => {
            let refined = by_name.filter(|m| {
                let office_zip = [DOCX, XLSX, PPTX];
                let office_cfb = [
                    "application/msword",
                    "application/vnd.ms-excel",
                    "application/vnd.ms-powerpoint",
                ];
                if container == "application/zip" {
                    office_zip.contains(&m.as_str())
                } else {
                    office_cfb.contains(&m.as_str())
                }
            });
            refined.unwrap_or_else(|| container.to_string())
        }
        Some(mime) => mime.to_string(),
        None => by_name.unwrap_or_else(|| "application/octet-stream".into()),
    }
}

fn by_extension(path: &Path) -> Option<String> {
    let mime = mime_guess::from_path(path).first_raw()?;
    Some(
        match mime {
            "video/3gp" => "video/3gpp",
            "audio/x-aac" => "audio/aac",
            "audio/x-m4a" | "audio/m4a" => "audio/mp4",
            "audio/opus" => "audio/ogg",
            other => other,
        }
        .to_string(),
    )
}

/// Whether a WebP file (its first bytes) is animated: the extended format's header
/// (`VP8X`) has the animation flag set.
pub(crate) fn is_animated_webp(head: &[u8]) -> bool {
    head.len() > 20
        && &head[0..4] == b"RIFF"
        && &head[8..12] == b"WEBP"
        && &head[12..16] == b"VP8X"
        && head[20] & 0x02 != 0
}

/// What WhatsApp makes of a file of type `mime` whose first bytes are `head` (they tell
/// an animated sticker). The error says what is wrong and what to do, without naming the
/// file: the caller does.
pub(crate) fn classify(mime: &str, head: &[u8]) -> Result<Media, String> {
    let Some((kind, limit)) = accepted(mime) else {
        let advice = match mime {
            "application/ogg" => {
                ": it takes Ogg audio only with the OPUS codec (ffmpeg -i IN -c:a libopus OUT.ogg)"
            }
            "image/gif" => ": send it as an MP4 video or a PNG image",
            "video/quicktime" => ": convert it to MP4 (ffmpeg -i IN OUT.mp4)",
            _ => "",
        };
        let accepted: Vec<&str> = ACCEPTED
            .iter()
            .map(|(m, _, _)| *m)
            .filter(|m| !m.contains("openxml"))
            .collect();
        return Err(format!(
            "is {mime}, which WhatsApp does not accept{advice}. Accepted: {} and the Office formats (docx, xlsx, pptx)",
            accepted.join(", ")
        ));
    };
    let animated = kind == Kind::Sticker && is_animated_webp(head);
    Ok(Media {
        mime: mime.to_string(),
        kind,
        animated,
        limit: if animated { ANIMATED_STICKER } else { limit },
    })
}

/// Checks a file's size against its type's limit.
pub(crate) fn within_limit(media: &Media, size: u64) -> Result<(), String> {
    if size <= media.limit {
        return Ok(());
    }
    let what = match media.kind {
        Kind::Sticker if media.animated => "animated stickers".to_string(),
        Kind::Sticker => "static stickers".to_string(),
        kind => format!("{kind} files ({})", media.mime),
    };
    Err(format!(
        "is {} of {}: WhatsApp takes {what} up to {}; make it smaller",
        media.mime,
        human(size),
        human(media.limit)
    ))
}

/// Whether a file of this media may go in a message of kind `kind`: its own kind, or any
/// kind as a document, except stickers, which only go as stickers.
pub(crate) fn fits(media: &Media, kind: Kind) -> Result<(), String> {
    match (media.kind, kind) {
        (have, want) if have == want => Ok(()),
        (Kind::Sticker, Kind::Image) => Err(format!(
            "is {} (WebP), which WhatsApp shows only as a sticker: send it with --sticker, or convert it to PNG or JPEG",
            media.mime
        )),
        (_, Kind::Sticker) => Err(format!(
            "is {}: a sticker must be a WebP image (static up to 100 KB, animated up to 500 KB)",
            media.mime
        )),
        (_, Kind::Document) => Ok(()),
        (have, want) => Err(format!(
            "is {} ({have}), not {}: send it as {have} (--{have}) or as a document",
            media.mime,
            article(want)
        )),
    }
}

fn article(kind: Kind) -> String {
    match kind {
        Kind::Image | Kind::Audio => format!("an {kind}"),
        other => format!("a {other}"),
    }
}

/// A size as people read it: `5 MB`, `120.5 KB (123392 bytes)`.
pub(crate) fn human(bytes: u64) -> String {
    let (unit, name) = if bytes >= MB {
        (MB, "MB")
    } else if bytes >= KB {
        (KB, "KB")
    } else {
        return format!("{bytes} bytes");
    };
    if bytes.is_multiple_of(unit) {
        format!("{} {name}", bytes / unit)
    } else {
        format!("{:.1} {name} ({bytes} bytes)", bytes as f64 / unit as f64)
    }
}

/// The file name extension for a media type, for downloads: always lowercase letters and
/// digits, so that it can never change the directory a file lands in.
pub(crate) fn extension(mime: &str) -> String {
    let mime = mime.split(';').next().unwrap_or_default().trim();
    let known = match mime {
        "image/jpeg" => Some("jpg"),
        "image/png" => Some("png"),
        "image/webp" => Some("webp"),
        "video/mp4" => Some("mp4"),
        "video/3gpp" | "video/3gp" => Some("3gp"),
        "audio/aac" => Some("aac"),
        "audio/amr" => Some("amr"),
        "audio/mpeg" => Some("mp3"),
        "audio/mp4" => Some("m4a"),
        "audio/ogg" | "audio/opus" => Some("ogg"),
        "text/plain" => Some("txt"),
        "application/pdf" => Some("pdf"),
        "application/msword" => Some("doc"),
        "application/vnd.ms-excel" => Some("xls"),
        "application/vnd.ms-powerpoint" => Some("ppt"),
        DOCX => Some("docx"),
        XLSX => Some("xlsx"),
        PPTX => Some("pptx"),
        _ => None,
    };
    let guessed = || {
        mime_guess::get_mime_extensions_str(mime)?
            .iter()
            .copied()
            .find(|e| (1..=8).contains(&e.len()) && e.bytes().all(|b| b.is_ascii_alphanumeric()))
    };
    known.or_else(guessed).unwrap_or("bin").to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(mime: &str, size: u64, head: &[u8]) -> Result<Media, String> {
        let media = classify(mime, head)?;
        within_limit(&media, size)?;
        Ok(media)
    }

    fn webp(animated: bool) -> Vec<u8> {
        let mut head = b"RIFF\0\0\0\0WEBPVP8X\x0a\0\0\0".to_vec();
        head.push(if animated { 0x12 } else { 0x10 });
        head.extend_from_slice(&[0; 16]);
        head
    }

    #[test]
    fn content_wins_over_the_name() {
        assert_eq!(
            sniff(b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR", Path::new("a.jpg")),
            "image/png"
        );
        assert_eq!(sniff(b"GIF89a....", Path::new("a.png")), "image/gif");
        assert_eq!(sniff(b"%PDF-1.7\n", Path::new("x")), "application/pdf");
        assert_eq!(sniff(&webp(false), Path::new("s.png")), "image/webp");
    }

    #[test]
    fn the_name_decides_where_content_says_nothing_or_too_little() {
        assert_eq!(
            sniff(b"hello world\n", Path::new("notes.txt")),
            "text/plain"
        );
        assert_eq!(
            sniff(b"PK\x03\x04\x14\0\0\0", Path::new("report.docx")),
            DOCX
        );
        assert_eq!(
            sniff(b"PK\x03\x04\x14\0\0\0", Path::new("archive.zip")),
            "application/zip"
        );
        assert_eq!(
            sniff(b"\0\0\0\x18ftyp3gp5\0\0\0\0", Path::new("clip")),
            "video/3gpp"
        );
        assert_eq!(
            sniff(b"\0\0\0\x18ftypisom\0\0\0\0", Path::new("song.m4a")),
            "audio/mp4"
        );
        assert_eq!(
            sniff(b"\0\0\0\x18ftypisom\0\0\0\0", Path::new("clip.mp4")),
            "video/mp4"
        );
        assert_eq!(
            sniff(&[0x13, 0x37], Path::new("mystery")),
            "application/octet-stream"
        );
    }

    #[test]
    fn ogg_is_accepted_only_with_opus() {
        let mut opus = b"OggS\0\x02".to_vec();
        opus.resize(28, 0);
        opus.extend_from_slice(b"OpusHead");
        assert_eq!(sniff(&opus, Path::new("v.ogg")), "audio/ogg");
        let mut vorbis = b"OggS\0\x02".to_vec();
        vorbis.resize(28, 0);
        vorbis.extend_from_slice(b"\x01vorbis");
        assert_eq!(sniff(&vorbis, Path::new("v.ogg")), "application/ogg");
        assert!(
            check("application/ogg", 10, &vorbis)
                .unwrap_err()
                .contains("OPUS")
        );
    }

    #[test]
    fn limits_per_type_name_type_size_and_limit() {
        assert_eq!(check("image/jpeg", 5 * MB, b"").unwrap().kind, Kind::Image);
        assert_eq!(
            check("image/jpeg", 5 * MB + 1, b"").unwrap_err(),
            "is image/jpeg of 5.0 MB (5242881 bytes): WhatsApp takes image files (image/jpeg) up to 5 MB; make it smaller"
        );
        assert!(
            check("video/mp4", 16 * MB + 1, b"")
                .unwrap_err()
                .contains("up to 16 MB")
        );
        assert!(
            check("audio/mpeg", 16 * MB + 1, b"")
                .unwrap_err()
                .contains("up to 16 MB")
        );
        assert!(check("application/pdf", 100 * MB, b"").is_ok());
        assert!(
            check("application/pdf", 100 * MB + 1, b"")
                .unwrap_err()
                .contains("up to 100 MB")
        );
    }

    #[test]
    fn stickers_have_a_static_and_an_animated_limit() {
        let size = 200 * KB;
        assert!(
            check("image/webp", size, &webp(false))
                .unwrap_err()
                .contains("static stickers up to 100 KB")
        );
        let animated = check("image/webp", size, &webp(true)).unwrap();
        assert!(animated.animated && animated.kind == Kind::Sticker);
        assert!(
            check("image/webp", 500 * KB + 1, &webp(true))
                .unwrap_err()
                .contains("animated stickers up to 500 KB")
        );
    }

    #[test]
    fn unaccepted_types_are_named() {
        let err = check("image/gif", 10, b"").unwrap_err();
        assert!(
            err.starts_with("is image/gif, which WhatsApp does not accept: send it as an MP4"),
            "{err}"
        );
        assert!(err.contains("image/jpeg, image/png"), "{err}");
    }

    #[test]
    fn kinds_fit_themselves_documents_take_all_stickers_need_webp() {
        let png = check("image/png", 10, b"").unwrap();
        let webp = check("image/webp", 10, &webp(false)).unwrap();
        assert!(fits(&png, Kind::Image).is_ok());
        assert!(fits(&png, Kind::Document).is_ok());
        assert!(
            fits(&png, Kind::Sticker)
                .unwrap_err()
                .contains("must be a WebP")
        );
        assert!(fits(&png, Kind::Video).unwrap_err().contains("not a video"));
        assert!(fits(&webp, Kind::Image).unwrap_err().contains("--sticker"));
        assert!(fits(&webp, Kind::Sticker).is_ok());
    }

    #[test]
    fn extensions_are_safe_file_name_parts() {
        assert_eq!(extension("image/jpeg"), "jpg");
        assert_eq!(extension("audio/ogg; codecs=opus"), "ogg");
        assert_eq!(extension(DOCX), "docx");
        assert_eq!(extension("application/x-unknown"), "bin");
        assert_eq!(extension("../../etc/passwd"), "bin");
        assert_eq!(extension("image/gif"), "gif");
    }

    #[test]
    fn sizes_read_like_limits() {
        assert_eq!(human(5 * MB), "5 MB");
        assert_eq!(human(100 * KB), "100 KB");
        assert_eq!(human(512), "512 bytes");
        assert_eq!(human(1536), "1.5 KB (1536 bytes)");
    }
}
