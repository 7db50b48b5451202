//! Storage trouble under a running `wa-cloud serve`: another process holding the database's
//! write lock, the disk full, and the database file deleted. Serve survives it, answers 500 while it cannot
//! store (so that WhatsApp delivers again), and says what it waits for in `/healthz` and the
//! log, naming the database file.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::harness::poll;
use crate::server::{Options, Server, text_notification};

const FROM: &str = "4915112345678";

fn db_path(dir: &Path) -> PathBuf {
    dir.join("media/media-ids.db")
}

/// `/healthz`: its status code and body.
fn health(server: &Server) -> (u16, Value) {
    let reply = server.get("/healthz");
    let body = serde_json::from_str(&reply.body)
        .unwrap_or_else(|e| panic!("/healthz is not JSON ({e}): {}", reply.body));
    (reply.status, body)
}

/// Polls `/healthz` until `wanted` holds; returns that body.
fn health_until(server: &Server, what: &str, wanted: impl Fn(u16, &Value) -> bool) -> Value {
    poll(
        || {
            let (status, body) = health(server);
            format!(
                "/healthz never showed {what}; last {status} {body}\nstderr:\n{}",
                server.stderr()
            )
        },
        || {
            let (status, body) = health(server);
            wanted(status, &body).then_some(body)
        },
    )
}

/// The problems `/healthz` lists, joined.
fn problems(body: &Value) -> String {
    body["problems"]
        .as_array()
        .unwrap_or_else(|| panic!("no problems array: {body}"))
        .iter()
        .map(|p| p.as_str().unwrap().to_string())
        .collect::<Vec<_>>()
        .join("\n")
}

/// Events stored and not yet marked delivered, read from the database itself.
fn undelivered(db: &Path) -> i64 {
    let conn = rusqlite::Connection::open(db).unwrap();
    conn.query_row(
        "SELECT count(*) FROM inbox WHERE delivered_at IS NULL",
        [],
        |r| r.get(0),
    )
    .unwrap()
}

/// Another process takes the database's write lock (as `sqlite3` in a transaction would).
fn lock(db: &Path) -> rusqlite::Connection {
    let conn = rusqlite::Connection::open(db).unwrap();
    conn.execute_batch("BEGIN IMMEDIATE").unwrap();
    conn
}

fn ids(events: &[Value]) -> Vec<String> {
    events
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_string())
        .collect()
}

/// While another process holds the write lock, notifications are answered 500 (after a
/// short wait) and `/healthz` says why; WhatsApp's redeliveries after the lock is gone are
/// stored, each notification reaches the tap once, in the order stored, and serve goes on.
#[test]
fn a_locked_database_gets_500s_and_redeliveries_are_stored_once() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_path(dir.path());
    let server = Options::new(dir.path()).start();
    let body = |id: &str| text_notification(id, FROM, id);
    assert_eq!(server.post(&body("wamid.L0")).status, 200);
    assert_eq!(ids(&server.events(1)), ["wamid.L0"]);
    poll(
        || "wamid.L0 never marked delivered".into(),
        || (undelivered(&db) == 0).then_some(()),
    );

    let held = lock(&db);
    let locked_at = Instant::now();
    let mut answered = Vec::new();
    for id in ["wamid.L1", "wamid.L2"] {
        let started = Instant::now();
        let status = server.post(&body(id)).status;
        assert_eq!(status, 500, "{id} cannot be stored while the lock is held");
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the 500 comes promptly, not after {:?}",
            started.elapsed()
        );
        answered.push((id, status));
    }
    let (status, during) = health(&server);
    assert_eq!((status, &during["status"]), (503, &Value::from("failing")));
    let listed = problems(&during);
    assert!(
        listed.contains("inbox:")
            && listed.contains("media-ids.db")
            && listed.contains("locked by another process"),
        "{during}"
    );
    assert!(
        server.stderr().contains("cannot store") && server.stderr().contains("media-ids.db"),
        "the log says why:\n{}",
        server.stderr()
    );
    assert!(
        server.events_so_far().is_empty(),
        "nothing stored, nothing on the tap"
    );
    drop(held);
    eprintln!("lock held {:?}", locked_at.elapsed());

    // The lock is gone: /healthz recovers without waiting for a notification.
    health_until(&server, "ok after the lock", |status, body| {
        status == 200 && body["status"] == "ok" && body["problems"] == Value::Array(vec![])
    });
    let (_, ok) = health(&server);
    assert!(
        ["backlog", "unacknowledged", "parked", "uptime_seconds"]
            .iter()
            .all(|field| ok[field].is_u64()),
        "{ok}"
    );
    // WhatsApp delivers again what was answered 500, then something new.
    let mut stored = Vec::new();
    for (id, status) in answered.iter().chain(&[("wamid.L3", 0)]) {
        if *status != 200 {
            assert_eq!(server.post(&body(id)).status, 200, "{id} delivered again");
        }
        stored.push(id.to_string());
    }
    assert_eq!(ids(&server.events(stored.len())), stored);
    std::thread::sleep(Duration::from_millis(300));
    assert!(server.events_so_far().is_empty(), "each event once");
    assert_eq!(server.terminate(), Some(0));
    assert_eq!(undelivered(&db), 0);
}

/// The tap writes events while another process holds the write lock: marking them
/// delivered waits (formerly: serve exited 1 after 10 s), `/healthz` says so, and once the
/// lock is gone they are marked and never written again.
#[test]
fn the_tap_waits_for_a_locked_database_and_serve_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_path(dir.path());
    // Messages stored but not handed over: this server hands over statuses only.
    let first = Options::new(dir.path())
        .args(&["--events", "status"])
        .start();
    let stored = ["wamid.T1", "wamid.T2", "wamid.T3"];
    for id in stored {
        assert_eq!(first.post(&text_notification(id, FROM, id)).status, 200);
    }
    assert_eq!(first.terminate(), Some(0));

    let held = lock(&db);
    let second = Options::new(dir.path()).start();
    assert_eq!(
        ids(&second.events(3)),
        stored,
        "written before being marked"
    );
    let during = health_until(&second, "the tap waiting", |status, body| {
        status == 503 && problems(body).contains("hand-over:")
    });
    assert!(
        problems(&during).contains("hand-over: waiting for the database `")
            && problems(&during).contains("media-ids.db`: locked by another process"),
        "{during}"
    );
    second.wait_for_log("waiting for the database");
    assert!(second.stderr().contains("let it finish, or stop it"));
    // Long enough for several failed attempts; serve is still there.
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(health(&second).0, 503, "still waiting, still running");
    assert_eq!(undelivered(&db), 3);
    drop(held);

    health_until(&second, "ok after the lock", |status, _| status == 200);
    assert_eq!(undelivered(&db), 0, "marked once the lock is gone");
    second.wait_for_log("can be used again");
    assert_eq!(
        second
            .post(&text_notification("wamid.T4", FROM, "after"))
            .status,
        200
    );
    assert_eq!(ids(&second.events(1)), ["wamid.T4"], "nothing twice");
    assert_eq!(second.terminate(), Some(0));

    let third = Options::new(dir.path()).start();
    assert_eq!(
        third
            .post(&text_notification("wamid.T5", FROM, "later"))
            .status,
        200
    );
    assert_eq!(
        ids(&third.events(1)),
        ["wamid.T5"],
        "nothing written again after a restart"
    );
    assert_eq!(third.terminate(), Some(0));
}

/// The database file is deleted under serve: `/healthz` fails naming it, notifications
/// are answered 500 instead of 200 into a file that is gone, and the log says to restart.
/// A restart starts a new database and works again.
#[test]
fn a_deleted_database_is_noticed_and_notifications_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_path(dir.path());
    let server = Options::new(dir.path()).start();
    assert_eq!(
        server
            .post(&text_notification("wamid.D1", FROM, "before"))
            .status,
        200
    );
    assert_eq!(ids(&server.events(1)), ["wamid.D1"]);

    for suffix in ["", "-wal", "-shm"] {
        let mut path = db.clone().into_os_string();
        path.push(suffix);
        std::fs::remove_file(&path).unwrap();
    }
    let removed = Instant::now();
    let failing = health_until(&server, "the deleted database", |status, _| status == 503);
    eprintln!("noticed after {:?}", removed.elapsed());
    assert_eq!(failing["status"], "failing");
    assert!(
        problems(&failing).contains("database: the database `")
            && problems(&failing).contains("media-ids.db` was deleted while serve ran"),
        "{failing}"
    );
    let body = text_notification("wamid.D2", FROM, "after");
    assert_eq!(
        server.post(&body).status,
        500,
        "not 200 into a deleted file"
    );
    server.wait_for_log("was deleted while serve ran");
    assert!(
        server.stderr().contains("Restart serve"),
        "{}",
        server.stderr()
    );
    assert!(server.events_so_far().is_empty());
    assert_eq!(server.terminate(), Some(0));

    let again = Options::new(dir.path()).start();
    assert_eq!(health(&again).0, 200);
    assert_eq!(again.post(&body).status, 200, "WhatsApp's redelivery");
    assert_eq!(ids(&again.events(1)), ["wamid.D2"]);
    assert_eq!(again.terminate(), Some(0));
}

/// A small filesystem of the test's own (tmpfs) that it unmounts when dropped; None where
/// this process may not mount one (not root), and the test then says it was skipped.
struct SmallDisk(PathBuf);

impl SmallDisk {
    fn mount(at: PathBuf, size: &str) -> Option<SmallDisk> {
        std::fs::create_dir_all(&at).unwrap();
        let mounted = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(&at)
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        mounted.then_some(SmallDisk(at))
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .args(["-l"])
            .arg(&self.0)
            .status();
    }
}

/// The disk under the database fills up while notifications arrive: serve answers 500 (so
/// that WhatsApp delivers them again), keeps running and says so in `/healthz`; once space
/// is freed, every notification posted again is stored and reaches the tap exactly once.
#[test]
fn a_full_disk_gets_500s_and_nothing_is_lost_once_space_is_freed() {
    let dir = tempfile::tempdir().unwrap();
    let Some(disk) = SmallDisk::mount(dir.path().join("disk"), "4m") else {
        eprintln!("skipped: cannot mount a tmpfs here (needs root)");
        return;
    };
    let db = disk.0.join("wa.db");
    let server = Options::new(dir.path())
        .args(&["--db", db.to_str().unwrap()])
        .start();
    // Fill what is left of the disk.
    let filler = disk.0.join("filler");
    {
        use std::io::Write;
        let mut file = std::fs::File::create(&filler).unwrap();
        let chunk = vec![0u8; 16 * 1024];
        while file.write_all(&chunk).and_then(|()| file.flush()).is_ok() {}
    }
    let text = "x".repeat(2000);
    let mut refused = Vec::new();
    let mut accepted = Vec::new();
    for i in 0..60 {
        let id = format!("wamid.FULL{i:02}");
        match server.post(&text_notification(&id, FROM, &text)).status {
            200 => accepted.push(id),
            500 => refused.push(id),
            other => panic!("{id}: unexpected {other}"),
        }
    }
    assert!(!refused.is_empty(), "the disk never filled up");
    eprintln!(
        "disk full: {} notifications stored, {} answered 500",
        accepted.len(),
        refused.len()
    );
    let body = health_until(&server, "the full disk", |status, body| {
        status == 503 && problems(body).contains("full")
    });
    assert!(problems(&body).contains("wa.db"), "{body}");

    std::fs::remove_file(&filler).unwrap();
    // WhatsApp delivers again what was answered 500.
    for id in &refused {
        poll(
            || format!("{id} is never stored after space was freed"),
            || (server.post(&text_notification(id, FROM, &text)).status == 200).then_some(()),
        );
    }
    let all: Vec<String> = accepted.iter().chain(&refused).cloned().collect();
    let events = server.events(all.len());
    let mut got = ids(&events);
    got.sort();
    let mut want = all.clone();
    want.sort();
    assert_eq!(
        got, want,
        "every notification answered 200 reaches the tap, once"
    );
    health_until(&server, "health back", |status, _| status == 200);
    assert_eq!(server.terminate(), Some(0));
    drop(disk);
}
