//! Peak memory of `wa-cloud upload` and `wa-cloud download`: the real release binary
//! moves a 1 MB and a 100 MB document to and from the fake Graph API on 127.0.0.1, while
//! this program reads the wa-cloud process's VmHWM (peak resident set) from /proc. Both
//! transfers stream, so the peak should not grow with the file.
//!
//! Loopback only, two files, one upload and one download each; everything it writes is
//! in a temporary directory removed at the end. Linux only (/proc). Run it with
//! `cargo bench --bench media`.

#[allow(dead_code)]
#[path = "../tests/integration/fake_graph.rs"]
mod fake_graph;

use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use fake_graph::{FakeGraph, sha256_hex};

const TOKEN: &str = "bench-token";
const PHONE_NUMBER_ID: &str = "106540352242922";

/// What one run of wa-cloud printed and how much memory it took at most.
struct Measured {
    stdout: String,
    peak_kib: u64,
    elapsed: Duration,
}

fn main() {
    if !Path::new("/proc/self/status").exists() {
        eprintln!("media bench: needs Linux's /proc; skipped");
        return;
    }
    let room = tempfile::tempdir().expect("a temporary directory");
    let graph = FakeGraph::start();
    println!(
        "peak resident set (VmHWM) of the wa-cloud process, release build, fake Graph API on 127.0.0.1"
    );
    println!(
        "{:10} {:>15} {:>12} {:>9}",
        "operation", "file bytes", "peak RSS", "time"
    );
    for size in [1_000_000u64, 100_000_000] {
        let source = room.path().join(format!("document-{size}.pdf"));
        write_document(&source, size);

        let upload = wa_cloud(&graph, room.path(), &["upload", source.to_str().unwrap()]);
        let id = upload.stdout.trim().to_string();
        report("upload", size, &upload);

        let target = room.path().join(format!("downloaded-{size}.pdf"));
        let download = wa_cloud(
            &graph,
            room.path(),
            &["download", &id, "-o", target.to_str().unwrap()],
        );
        report("download", size, &download);
        assert_eq!(
            hash(&target),
            hash(&source),
            "the download is the uploaded file"
        );
        std::fs::remove_file(&source).ok();
        std::fs::remove_file(&target).ok();
    }
}

fn report(operation: &str, size: u64, run: &Measured) {
    println!(
        "{operation:10} {size:>15} {:>9.1} MB {:>8.2}s",
        run.peak_kib as f64 / 1024.0,
        run.elapsed.as_secs_f64()
    );
}

/// A PDF header and `size` bytes in all of incompressible filler, written a MiB at a time.
fn write_document(path: &Path, size: u64) {
    let mut out = BufWriter::new(File::create(path).expect("create the document"));
    let header = b"%PDF-1.7\n";
    out.write_all(header).unwrap();
    let mut rng = fastrand::Rng::with_seed(size);
    let mut left = size - header.len() as u64;
    let mut chunk = vec![0u8; 1 << 20];
    while left > 0 {
        let n = left.min(chunk.len() as u64) as usize;
        rng.fill(&mut chunk[..n]);
        out.write_all(&chunk[..n]).unwrap();
        left -= n as u64;
    }
    out.flush().unwrap();
}

fn hash(path: &Path) -> String {
    let mut bytes = Vec::new();
    File::open(path).unwrap().read_to_end(&mut bytes).unwrap();
    sha256_hex(&bytes)
}

/// Runs the release binary against `graph` and samples its VmHWM until it exits.
fn wa_cloud(graph: &FakeGraph, dir: &Path, args: &[&str]) -> Measured {
    let stderr_path = dir.join("stderr.txt");
    let started = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_wa-cloud"))
        .arg("--quiet")
        .args(args)
        .current_dir(dir)
        .env_clear()
        .env("HOME", dir)
        .env("WHATSAPP_CLOUD_GRAPHAPI_BASE_URL", "127.0.0.1")
        .env(
            "WHATSAPP_CLOUD_GRAPHAPI_BASE_PORT",
            graph.port().to_string(),
        )
        .env("WHATSAPP_CLOUD_GRAPHAPI_ACCESS_TOKEN", TOKEN)
        .env("WHATSAPP_CLOUD_GRAPHAPI_PHONE_NUMBER_ID", PHONE_NUMBER_ID)
        .env("WHATSAPP_CLOUD_MEDIA_DB_PATH", dir.join("media-ids.db"))
        .env("WHATSAPP_CLOUD_MEDIA_DOWNLOAD_DIR", dir.join("media"))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(File::create(&stderr_path).expect("a stderr file"))
        .spawn()
        .expect("run wa-cloud");
    let status_path = format!("/proc/{}/status", child.id());
    let mut peak_kib = 0;
    // Bounded: a transfer on loopback takes seconds; give up after two minutes.
    let deadline = started + Duration::from_secs(120);
    let status = loop {
        if let Some(kib) = vm_hwm_kib(&status_path) {
            peak_kib = peak_kib.max(kib);
        }
        if let Some(status) = child.try_wait().expect("wait for wa-cloud") {
            break status;
        }
        if Instant::now() > deadline {
            child.kill().ok();
            panic!("wa-cloud {args:?} took more than two minutes");
        }
        std::thread::sleep(Duration::from_millis(2));
    };
    let elapsed = started.elapsed();
    let mut stdout = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut stdout)
        .unwrap();
    let stderr = std::fs::read_to_string(&stderr_path).unwrap_or_default();
    assert!(
        status.success(),
        "wa-cloud {args:?} failed: {status}\n{stderr}"
    );
    Measured {
        stdout,
        peak_kib,
        elapsed,
    }
}

/// `VmHWM` of a process in KiB, while it is alive.
fn vm_hwm_kib(status_path: &str) -> Option<u64> {
    let status = std::fs::read_to_string(status_path).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
