//! `upload`, `download`, `media list|delete` and `send --image FILE` against the fake
//! Graph API: the multipart request, the cache in the database, verified downloads,
//! refusals before any request (types, size limits, ids and paths), and Meta's errors.

use std::path::PathBuf;

use serde_json::{Value, json};

use crate::fake_graph::{FakeGraph, meta_error, sha256_hex};
use crate::harness::{PHONE_NUMBER_ID, Run, TOKEN, WaCloud, wa_cloud_with};

const TO: &str = "4915112345678";
const KB: u64 = 1024;
const MB: u64 = 1024 * 1024;

/// A directory that outlives single runs: files to upload, `media/` for downloads and the
/// database, all given to wa-cloud as absolute paths.
struct Room {
    dir: tempfile::TempDir,
}

impl Room {
    fn new() -> Room {
        Room {
            dir: tempfile::tempdir().expect("a temporary directory"),
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn db(&self) -> PathBuf {
        self.path("media/media-ids.db")
    }

    fn downloads(&self) -> PathBuf {
        self.path("media")
    }

    /// Writes a file into the room and returns its absolute path as a string.
    fn file(&self, name: &str, bytes: &[u8]) -> String {
        let path = self.path(name);
        std::fs::write(&path, bytes).expect("write a test file");
        path.display().to_string()
    }

    /// A file of `size` bytes that starts with `head`: sparse, so that a 100 MB file
    /// costs nothing.
    fn big_file(&self, name: &str, head: &[u8], size: u64) -> String {
        let path = self.path(name);
        std::fs::write(&path, head).expect("write a test file");
        let file = std::fs::OpenOptions::new()
            .write(true)
            .open(&path)
            .expect("open the test file");
        file.set_len(size).expect("grow the test file");
        path.display().to_string()
    }

    fn run(&self, graph: &FakeGraph, args: &[&str]) -> Run {
        self.command(graph, args).run()
    }

    fn command(&self, graph: &FakeGraph, args: &[&str]) -> WaCloud {
        wa_cloud_with(graph, args)
            .env(
                "WHATSAPP_CLOUD_MEDIA_DB_PATH",
                &self.db().display().to_string(),
            )
            .env(
                "WHATSAPP_CLOUD_MEDIA_DOWNLOAD_DIR",
                &self.downloads().display().to_string(),
            )
    }

    /// Files in the download directory, the database's own files left out.
    fn downloaded_files(&self) -> Vec<String> {
        let Ok(entries) = std::fs::read_dir(self.downloads()) else {
            return Vec::new();
        };
        let mut names: Vec<String> = entries
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| !n.starts_with("media-ids.db"))
            .collect();
        names.sort();
        names
    }

    /// Sets `expires_at` of every upload row, as if time had passed.
    fn expire_uploads(&self, expires_at: i64) {
        let conn = rusqlite::Connection::open(self.db()).expect("open the media database");
        conn.execute(
            "UPDATE media SET expires_at = ?1 WHERE direction = 'upload'",
            [expires_at],
        )
        .expect("update expires_at");
    }
}

fn png(extra: usize) -> Vec<u8> {
    let mut bytes = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
    bytes.extend((0..extra).map(|i| (i % 251) as u8));
    bytes
}

fn webp(animated: bool) -> Vec<u8> {
    let mut head = b"RIFF\0\0\0\0WEBPVP8X\x0a\0\0\0".to_vec();
    head.push(if animated { 0x12 } else { 0x10 });
    head.extend_from_slice(&[0; 16]);
    head
}

const PDF: &[u8] = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n";
const MP4: &[u8] = b"\0\0\0\x18ftypisom\0\0\x02\0isomiso2";
const MP3: &[u8] = b"ID3\x04\0\0\0\0\0\0";
const JPEG: &[u8] = b"\xff\xd8\xff\xe0\0\x10JFIF\0";

fn uploads(graph: &FakeGraph) -> usize {
    graph.requests_to("POST", "/media").len()
}

fn json_lines(run: &Run) -> Vec<Value> {
    run.stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect()
}

#[test]
fn upload_streams_multipart_with_product_type_and_the_file() {
    let room = Room::new();
    let graph = FakeGraph::start();
    let bytes = png(3000);
    let file = room.file("cat.png", &bytes);
    let run = room.run(&graph, &["upload", &file]);
    run.success().keeps_secrets();
    let requests = graph.requests();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(request.method, "POST");
    assert_eq!(request.path, format!("/v25.0/{PHONE_NUMBER_ID}/media"));
    assert_eq!(request.header("authorization"), format!("Bearer {TOKEN}"));
    assert!(
        request
            .header("content-type")
            .starts_with("multipart/form-data; boundary="),
        "{}",
        request.header("content-type")
    );
    assert_eq!(
        request.header("content-length"),
        request.body.len().to_string(),
        "a known length, not chunked"
    );
    let parts = request.multipart();
    let names: Vec<&str> = parts.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["messaging_product", "type", "file"]);
    assert_eq!(parts[0].text(), "whatsapp");
    assert_eq!(parts[1].text(), "image/png");
    assert_eq!(parts[2].filename.as_deref(), Some("cat.png"));
    assert_eq!(parts[2].content_type.as_deref(), Some("image/png"));
    assert_eq!(parts[2].data, bytes);
    assert_eq!(run.stdout, format!("{}\n", graph.media_ids()[0]));
}

#[test]
fn the_type_comes_from_the_content_not_the_name() {
    let room = Room::new();
    let graph = FakeGraph::start();
    let file = room.file("actually-a-png.jpg", &png(10));
    room.run(&graph, &["upload", &file]).success();
    let parts = graph.requests()[0].multipart();
    assert_eq!(parts[1].text(), "image/png");
    assert_eq!(parts[2].content_type.as_deref(), Some("image/png"));
}

#[test]
fn json_output_names_file_id_type_size_and_cache() {
    let room = Room::new();
    let graph = FakeGraph::start();
    let file = room.file("doc.pdf", PDF);
    let first = json_lines(room.run(&graph, &["--json", "upload", &file]).success());
    let second = json_lines(room.run(&graph, &["--json", "upload", &file]).success());
    assert_eq!(first[0]["file"], file.as_str());
    assert_eq!(first[0]["mime_type"], "application/pdf");
    assert_eq!(first[0]["size"], PDF.len());
    assert_eq!(first[0]["cached"], false);
    assert_eq!(first[0]["sha256"], sha256_hex(PDF));
    assert_eq!(second[0]["id"], first[0]["id"]);
    assert_eq!(second[0]["cached"], true);
}

#[test]
fn the_cache_is_keyed_by_content_not_by_path() {
    let room = Room::new();
    let graph = FakeGraph::start();
    let original = room.file("a.png", &png(100));
    let id = room
        .run(&graph, &["upload", &original])
        .success()
        .stdout
        .clone();
    assert_eq!(uploads(&graph), 1);

    room.run(&graph, &["upload", &original])
        .success()
        .stdout_is(&id);
    let copy = room.file("renamed copy.png", &png(100));
    room.run(&graph, &["upload", &copy])
        .success()
        .stdout_is(&id);
    assert_eq!(uploads(&graph), 1, "same bytes: no request");

    room.file("a.png", &png(101));
    let changed = room
        .run(&graph, &["upload", &original])
        .success()
        .stdout
        .clone();
    assert_eq!(uploads(&graph), 2, "changed bytes: a new upload");
    assert_ne!(changed, id);
}

#[test]
fn expired_ids_and_force_upload_again() {
    let room = Room::new();
    let graph = FakeGraph::start();
    let file = room.file("a.png", &png(100));
    room.run(&graph, &["upload", &file]).success();
    room.run(&graph, &["upload", "--force", &file]).success();
    assert_eq!(uploads(&graph), 2, "--force uploads anyway");

    room.run(&graph, &["upload", &file]).success();
    assert_eq!(uploads(&graph), 2);
    // 31 days ago: older than WhatsApp's 30 days.
    room.expire_uploads(1);
    room.run(&graph, &["upload", &file]).success();
    assert_eq!(uploads(&graph), 3, "an expired id is treated as gone");
    room.run(&graph, &["upload", &file]).success();
    assert_eq!(uploads(&graph), 3, "the new id is cached");
}

#[test]
fn a_failed_upload_records_nothing_and_shows_metas_error() {
    let room = Room::new();
    let graph = FakeGraph::start();
    let file = room.file("a.png", &png(100));
    graph.then_respond(
        400,
        meta_error(
            131053,
            "(#131053) Media upload error",
            "Unsupported file type",
        ),
    );
    room.run(&graph, &["upload", &file])
        .status(1)
        .stderr_has("a.png` was not uploaded: Meta: (#131053) Media upload error")
        .keeps_secrets();
    room.run(&graph, &["upload", &file]).success();
    assert_eq!(uploads(&graph), 2, "the failed upload left no id behind");
}

/// An upload answered with an id that is not digits keeps nothing: `download` and
/// `media delete` would refuse that id later.
#[test]
fn an_upload_answered_with_a_non_numeric_id_stores_nothing() {
    let room = Room::new();
    let graph = FakeGraph::start();
    let file = room.file("a.png", &png(100));
    graph.then_respond(200, json!({"id": "not-a-media-id"}));
    room.run(&graph, &["upload", &file])
        .status(1)
        .stderr_has("unexpected body")
        .stderr_has("not-a-media-id");
    room.run(&graph, &["--json", "media", "list"])
        .success()
        .stdout_is("");
}

#[test]
fn size_limits_per_type_are_checked_before_any_request() {
    let room = Room::new();
    let graph = FakeGraph::start();
    let cases = [
        (
            room.big_file("big.png", &png(0), 5 * MB + 1),
            "image files (image/png) up to 5 MB",
        ),
        (
            room.big_file("big.mp4", MP4, 16 * MB + 1),
            "video files (video/mp4) up to 16 MB",
        ),
        (
            room.big_file("big.mp3", MP3, 16 * MB + 1),
            "audio files (audio/mpeg) up to 16 MB",
        ),
        (
            room.big_file("big.pdf", PDF, 100 * MB + 1),
            "document files (application/pdf) up to 100 MB",
        ),
        (
            room.big_file("static.webp", &webp(false), 100 * KB + 1),
            "static stickers up to 100 KB",
        ),
        (
            room.big_file("animated.webp", &webp(true), 500 * KB + 1),
            "animated stickers up to 500 KB",
        ),
    ];
    for (file, limit) in &cases {
        room.run(&graph, &["upload", file])
            .status(2)
            .stderr_has(limit)
            .stderr_has("nothing was uploaded");
    }
    room.run(&graph, &["upload", &cases[0].0])
        .status(2)
        .stderr_has("big.png` is image/png of 5.0 MB (5242881 bytes)");
    assert!(graph.requests().is_empty(), "{:?}", graph.requests());

    // At their limits they go.
    let animated = room.big_file("ok.webp", &webp(true), 500 * KB);
    let image = room.big_file("ok.png", &png(0), 5 * MB);
    room.run(&graph, &["upload", &animated, &image]).success();
    assert_eq!(uploads(&graph), 2);
}

#[test]
fn unaccepted_types_are_refused_by_name_and_a_batch_uploads_nothing() {
    let room = Room::new();
    let graph = FakeGraph::start();
    let good = room.file("ok.png", &png(10));
    let gif = room.file("anim.gif", b"GIF89a\x01\0\x01\0\0\0\0;");
    room.run(&graph, &["upload", &good, &gif])
        .status(2)
        .stderr_has("anim.gif` is image/gif, which WhatsApp does not accept")
        .stderr_has("nothing was uploaded");
    let missing = room.path("missing.png").display().to_string();
    room.run(&graph, &["upload", &missing])
        .status(2)
        .stderr_has("cannot read `");
    assert!(graph.requests().is_empty());
}

#[test]
fn download_fetches_the_url_with_the_token_verifies_and_records() {
    let room = Room::new();
    let graph = FakeGraph::start();
    graph.require_token(TOKEN);
    let bytes = [JPEG, &[7u8; 5000]].concat();
    let id = graph.add_media(&bytes, "image/jpeg");
    let expected = room.downloads().join(format!("{id}.jpg"));
    room.run(&graph, &["download", &id])
        .success()
        .stdout_is(&format!("{}\n", expected.display()))
        .keeps_secrets();
    assert_eq!(std::fs::read(&expected).unwrap(), bytes);
    assert_eq!(room.downloaded_files(), [format!("{id}.jpg")]);

    let requests = graph.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(
        (requests[0].method.as_str(), requests[0].path.as_str()),
        ("GET", format!("/v25.0/{id}").as_str())
    );
    assert_eq!(requests[1].path, format!("/download/{id}"));
    assert_eq!(
        requests[1].header("authorization"),
        format!("Bearer {TOKEN}")
    );
    assert_eq!(
        requests[1].header("user-agent"),
        concat!("wa-cloud/", env!("CARGO_PKG_VERSION"))
    );

    // Already there with a matching hash: no network.
    room.run(&graph, &["download", &id])
        .success()
        .stdout_is(&format!("{}\n", expected.display()));
    assert_eq!(graph.requests().len(), 2);

    // Changed on disk: downloaded again.
    std::fs::write(&expected, b"edited").unwrap();
    room.run(&graph, &["--json", "download", &id]).success();
    assert_eq!(graph.requests().len(), 4);
    assert_eq!(std::fs::read(&expected).unwrap(), bytes);
}

#[test]
fn download_to_a_named_file_or_directory() {
    let room = Room::new();
    let graph = FakeGraph::start();
    let id = graph.add_media(PDF, "application/pdf");
    let output = room.path("out/invoice.pdf");
    room.run(
        &graph,
        &["download", &id, "-o", &output.display().to_string()],
    )
    .success()
    .stdout_is(&format!("{}\n", output.display()));
    assert_eq!(std::fs::read(&output).unwrap(), PDF);

    let other = graph.add_media(b"plain text\n", "text/plain");
    let dir = room.path("elsewhere");
    let run = room.run(
        &graph,
        &[
            "--json",
            "download",
            "--dir",
            &dir.display().to_string(),
            &other,
        ],
    );
    let line = &json_lines(run.success())[0];
    assert_eq!(
        line["path"],
        dir.join(format!("{other}.txt")).display().to_string()
    );
    assert_eq!(line["mime_type"], "text/plain");
    assert_eq!(line["cached"], false);
}

#[test]
fn a_hash_mismatch_is_refused_and_leaves_no_file() {
    let room = Room::new();
    let graph = FakeGraph::start();
    let id = graph.add_media(&png(2000), "image/png");
    graph.report_wrong_sha256(&id);
    room.run(&graph, &["download", &id])
        .status(1)
        .stderr_has(&format!(
            "media {id} does not match the SHA-256 that WhatsApp gave"
        ))
        .stderr_has("nothing was written");
    assert_eq!(room.downloaded_files(), Vec::<String>::new());
    let output = room.path("x.png");
    room.run(
        &graph,
        &["download", &id, "-o", &output.display().to_string()],
    )
    .status(1);
    assert!(!output.exists());
    let leftovers: Vec<_> = std::fs::read_dir(room.dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".part"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn a_missing_id_shows_metas_error() {
    let room = Room::new();
    let graph = FakeGraph::start();
    room.run(&graph, &["download", "123456789"])
        .status(1)
        .stderr_has("media 123456789 was not downloaded: Meta: Unsupported get request. Object with ID '123456789' does not exist")
        .keeps_secrets();
    assert_eq!(room.downloaded_files(), Vec::<String>::new());
}

#[test]
fn ids_and_output_paths_cannot_traverse() {
    let room = Room::new();
    let graph = FakeGraph::start();
    let id = graph.add_media(PDF, "application/pdf");
    for bad in ["../../etc/passwd", "123/../456", "12a", ""] {
        room.run(&graph, &["download", bad])
            .status(2)
            .stderr_has("is not a media id");
    }
    room.run(&graph, &["download", &id, "-o", "../escape.pdf"])
        .status(2)
        .stderr_has("contains `..`");
    let dir = room.path("a-directory");
    std::fs::create_dir_all(&dir).unwrap();
    room.run(&graph, &["download", &id, "-o", &dir.display().to_string()])
        .status(2)
        .stderr_has("is a directory");
    room.run(&graph, &["download", &id, &id, "-o", "x.pdf"])
        .status(2)
        .stderr_has("-o names one file");
    room.run(&graph, &["media", "delete", "1/../2"])
        .status(2)
        .stderr_has("is not a media id");
    assert!(graph.requests().is_empty(), "{:?}", graph.requests());
}

#[test]
fn media_list_shows_uploads_and_downloads_and_delete_forgets_them() {
    let room = Room::new();
    let graph = FakeGraph::start();
    room.run(&graph, &["media", "list"]).success().stdout_is("");
    let file = room.file("a.png", &png(10));
    let uploaded = room
        .run(&graph, &["upload", &file])
        .success()
        .stdout
        .trim()
        .to_string();
    let received = graph.add_media(PDF, "application/pdf");
    room.run(&graph, &["download", &received]).success();

    let listed = json_lines(room.run(&graph, &["--json", "media", "list"]).success());
    assert_eq!(listed.len(), 2, "{listed:?}");
    let upload = listed
        .iter()
        .find(|l| l["id"] == uploaded.as_str())
        .unwrap();
    assert_eq!(upload["direction"], "upload");
    assert_eq!(upload["mime_type"], "image/png");
    assert_eq!(upload["expired"], false);
    assert!(upload["expires_at"].as_i64().unwrap() > upload["created_at"].as_i64().unwrap());
    let download = listed
        .iter()
        .find(|l| l["id"] == received.as_str())
        .unwrap();
    assert_eq!(download["direction"], "download");
    assert_eq!(download["expires_at"], Value::Null);

    let table = room
        .command(&graph, &["media", "list"])
        .on_a_terminal()
        .run();
    table
        .success()
        .stdout_has("ID  ")
        .stdout_has(&uploaded)
        .stdout_has(&received);
    // Into a pipe: the rows only, no header.
    let piped = room.run(&graph, &["media", "list"]);
    piped.success();
    let first: Vec<&str> = piped
        .stdout
        .lines()
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    assert_eq!(first.len(), 2, "{}", piped.stdout);
    assert!(
        first.contains(&uploaded.as_str()) && first.contains(&received.as_str()),
        "{}",
        piped.stdout
    );
    assert!(
        table.stdout.contains("in 30d") || table.stdout.contains("in 29d"),
        "{}",
        table.stdout
    );

    room.run(&graph, &["media", "delete", &uploaded])
        .success()
        .stdout_is(&format!("{uploaded}\n"));
    let deletes = graph.requests_to("DELETE", &format!("/v25.0/{uploaded}"));
    assert_eq!(deletes.len(), 1);
    assert_eq!(
        deletes[0].header("authorization"),
        format!("Bearer {TOKEN}")
    );
    let listed = json_lines(room.run(&graph, &["--json", "media", "list"]).success());
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["id"], received.as_str());

    room.run(&graph, &["media", "delete", "999"])
        .status(1)
        .stderr_has("media 999 was not deleted")
        .stderr_has("Object with ID '999' does not exist");
}

#[test]
fn send_image_file_uploads_once_then_sends_by_id() {
    let room = Room::new();
    let graph = FakeGraph::start();
    let file = room.file("cat.png", &png(50));
    room.run(
        &graph,
        &["send", TO, "--image", &file, "--caption", "A cat"],
    )
    .success()
    .stdout_is("wamid.FAKE1\n");
    room.run(&graph, &["send", TO, "--image", &file])
        .success()
        .stdout_is("wamid.FAKE2\n");
    assert_eq!(uploads(&graph), 1, "the second send used the cache");
    let id = graph.media_ids()[0].clone();
    let messages: Vec<Value> = graph
        .requests_to("POST", "/messages")
        .iter()
        .map(|r| r.json())
        .collect();
    assert_eq!(messages.len(), 2);
    assert_eq!(messages[0]["type"], "image");
    assert_eq!(messages[0]["image"]["id"], id.as_str());
    assert_eq!(messages[0]["image"]["caption"], "A cat");
    assert_eq!(messages[0]["image"].get("file"), None);
    assert_eq!(messages[1]["image"]["id"], id.as_str());
}

#[test]
fn send_document_file_names_the_document_and_raw_messages_take_files_too() {
    let room = Room::new();
    let graph = FakeGraph::start();
    let file = room.file("invoice.pdf", PDF);
    room.run(&graph, &["send", TO, "--document", &file])
        .success();
    let raw = format!(r#"{{"video": {{"file": {:?}}}}}"#, room.file("v.mp4", MP4));
    room.run(&graph, &["send", TO, "--raw", &raw]).success();
    let messages: Vec<Value> = graph
        .requests_to("POST", "/messages")
        .iter()
        .map(|r| r.json())
        .collect();
    assert_eq!(messages[0]["document"]["filename"], "invoice.pdf");
    assert!(messages[0]["document"]["id"].is_string());
    assert!(messages[1]["video"]["id"].is_string());
}

#[test]
fn send_refuses_unfit_files_before_uploading_or_sending_anything() {
    let room = Room::new();
    let graph = FakeGraph::start();
    let png_file = room.file("s.png", &png(10));
    room.run(&graph, &["send", TO, "--sticker", &png_file])
        .status(2)
        .stderr_has("a sticker must be a WebP image");
    let sticker = room.big_file("s.webp", &webp(false), 100 * KB + 1);
    room.run(&graph, &["send", TO, "--sticker", &sticker])
        .status(2)
        .stderr_has("static stickers up to 100 KB");
    let webp_file = room.file("w.webp", &webp(false));
    room.run(&graph, &["send", TO, "--image", &webp_file])
        .status(2)
        .stderr_has("--sticker");
    let big = room.big_file("big.png", &png(0), 5 * MB + 1);
    room.run(&graph, &["send", TO, "hello", "--image", &big])
        .status(2)
        .stderr_has("nothing was sent");
    // A valid file in an invalid batch is not uploaded either.
    room.run(
        &graph,
        &["send", TO, &"x".repeat(4097), "--image", &png_file],
    )
    .status(2);
    assert!(graph.requests().is_empty(), "{:?}", graph.requests());
    room.run(&graph, &["send", TO, "--sticker", &webp_file])
        .success();
}

#[test]
fn a_damaged_database_is_named_and_nothing_is_uploaded() {
    let room = Room::new();
    let graph = FakeGraph::start();
    std::fs::create_dir_all(room.downloads()).unwrap();
    std::fs::write(room.db(), vec![b'x'; 4096]).unwrap();
    let file = room.file("a.png", &png(10));
    room.run(&graph, &["upload", &file])
        .status(1)
        .stderr_has(&format!(
            "the database `{}` is damaged or not an SQLite database",
            room.db().display()
        ));
    assert!(graph.requests().is_empty());
}
