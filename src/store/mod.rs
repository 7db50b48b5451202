//! The SQLite database that every command shares (`media.dbPath`): media ids, and for
//! `serve` its inbox and statuses. Nothing outside this module writes SQL.
//!
//! The schema is versioned with `PRAGMA user_version`: [`MIGRATIONS`] are applied in
//! order, each in its own transaction, and a database written by a newer wa-cloud is
//! refused rather than misread. The database runs in WAL mode so that `serve` and a
//! one-off command can use it at the same time; a busy database is waited for.
//!
//! Storage trouble that passes (another process holding the write lock, a full disk, an
//! I/O error) is [`is_transient`]; [`patiently`] retries an operation through it and says
//! in `/healthz` and the log what it waits for. A database file deleted or replaced while
//! a `Store` has it open is noticed by [`Store::file_replaced`].

pub(crate) mod checkpoint;
pub(crate) mod contacts;
pub(crate) mod inbox;
pub(crate) mod media;
pub(crate) mod numbers;
pub(crate) mod outbox;
pub(crate) mod settled;
pub(crate) mod templates;

/// Migration 4: acknowledged hand-over (how often an event was handed over, the crashes
/// it caused, parking) and an outbox that retries and recognises its own messages in
/// statuses (attempts, next attempt, the send in flight, `biz_opaque_callback_data`).
const HAND_OVER_AND_RETRIES: &str = "
ALTER TABLE inbox ADD COLUMN handed INTEGER NOT NULL DEFAULT 0;   -- times written to a handler
ALTER TABLE inbox ADD COLUMN crashes INTEGER NOT NULL DEFAULT 0;  -- handler exits while it was the oldest unacknowledged
ALTER TABLE inbox ADD COLUMN parked_at INTEGER;                   -- set aside after too many crashes
ALTER TABLE inbox ADD COLUMN parked_why TEXT;
DROP INDEX inbox_pending;
CREATE INDEX inbox_pending ON inbox (kind, seq) WHERE delivered_at IS NULL AND parked_at IS NULL;
CREATE INDEX inbox_parked ON inbox (seq) WHERE parked_at IS NOT NULL;
ALTER TABLE outbox ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE outbox ADD COLUMN next_attempt_at INTEGER;            -- unix ms; NULL: at once
ALTER TABLE outbox ADD COLUMN tried_at INTEGER;                   -- unix ms: a send began and its outcome is unknown
ALTER TABLE outbox ADD COLUMN callback TEXT;                      -- our biz_opaque_callback_data; NULL when the reply set its own
CREATE TABLE callbacks (
    callback  TEXT PRIMARY KEY,                                   -- biz_opaque_callback_data of a status
    wamid     TEXT NOT NULL
);
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
INSERT INTO meta (key, value) VALUES ('id', lower(hex(randomblob(6))));
";

/// Migration 5: the outbox is read a recipient at a time as well as in order, so that
/// the scheduler can hold a bounded part of a long queue in memory.
const OUTBOX_BY_RECIPIENT: &str = "
CREATE INDEX outbox_unsent_by_recipient ON outbox (recipient, seq) WHERE state = 'pending';
";

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use rusqlite::{Connection, ErrorCode};

use crate::health::Health;

/// Each entry brings the schema from version `i` to `i + 1`. Append only: never edit a
/// migration that has been released.
const MIGRATIONS: &[&str] = &[
    media::SCHEMA,
    inbox::SCHEMA,
    outbox::SCHEMA,
    HAND_OVER_AND_RETRIES,
    OUTBOX_BY_RECIPIENT,
    templates::SCHEMA,
    contacts::SCHEMA,
];

/// An open database, migrated to the current schema.
pub(crate) struct Store {
    conn: Connection,
    path: PathBuf,
    /// The file opened (`None` in memory), to notice when it is deleted or replaced.
    file: Option<FileId>,
}

/// A database file as it was when opened: its path, device and inode.
#[derive(Clone, Debug)]
pub(crate) struct FileId {
    path: PathBuf,
    dev: u64,
    ino: u64,
}

impl FileId {
    fn of(path: &Path) -> std::io::Result<FileId> {
        let (dev, ino) = dev_ino(&std::fs::metadata(path)?);
        Ok(FileId {
            path: path.to_path_buf(),
            dev,
            ino,
        })
    }

    /// `None` while the path still names the file opened; else what happened to it
    /// ("was deleted", "was replaced by another file"). One `stat`: cheap enough to call
    /// before every batch.
    pub(crate) fn replaced(&self) -> Option<String> {
        match std::fs::metadata(&self.path) {
            Ok(meta) if dev_ino(&meta) == (self.dev, self.ino) => None,
            Ok(_) => Some("was replaced by another file".into()),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => Some("was deleted".into()),
            Err(err) => Some(format!("cannot be looked at ({err})")),
        }
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }
}

#[cfg(unix)]
fn dev_ino(meta: &std::fs::Metadata) -> (u64, u64) {
    use std::os::unix::fs::MetadataExt;
    (meta.dev(), meta.ino())
}

#[cfg(not(unix))]
fn dev_ino(_: &std::fs::Metadata) -> (u64, u64) {
    (0, 0)
}

impl Store {
    /// Opens (creating it and its directory when missing) and migrates the database.
    pub(crate) fn open(path: &Path) -> Result<Store> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).with_context(|| {
                format!(
                    "cannot create the directory of the database `{}`",
                    path.display()
                )
            })?;
        }
        let conn = Connection::open(path)
            .with_context(|| format!("cannot open the database `{}`", path.display()))?;
        let mut store = Store::setup(conn, path.to_path_buf())?;
        store.file = Some(
            FileId::of(path)
                .with_context(|| format!("cannot look at the database `{}`", path.display()))?,
        );
        Ok(store)
    }

    /// Opens the database a server has written, for the commands that only look at what
    /// it stored (`inbox`, `contacts`); no file there is an error that says so, rather
    /// than an empty database created in the wrong place.
    pub(crate) fn open_existing(path: &Path) -> Result<Store> {
        if !path.exists() {
            anyhow::bail!(
                "no database at `{}`: `wa-cloud serve` has not stored anything there yet (is media.dbPath right?)",
                path.display()
            );
        }
        Store::open(path)
    }

    /// A connection of a part of `serve` that retries through [`patiently`]: it waits at
    /// most 2 s for another connection's lock, so that `/healthz` and the log tell of a
    /// longer wait while it is retried. Its page cache is small (256 KiB; SQLite's default
    /// is 2 MiB a connection, and serve has a connection for each of its parts): the pages
    /// are in the operating system's cache anyway, and a large batch costs little memory
    /// beyond its body (a 3 MB batch of 28,000 messages peaked at 1.9–2.3× its size
    /// instead of 4.2×, for about 5 % of the notifications/s).
    pub(crate) fn open_in_server(path: &Path) -> Result<Store> {
        let store = Store::open(path)?;
        store
            .conn
            .busy_handler(Some(wait_briefly_for_lock))
            .map_err(|e| explain(e, &path.display().to_string()))?;
        // Checkpoints are the checkpointer's (see its module); this one makes one only
        // should the log grow long all the same. A log that grew is cut back when it
        // starts over.
        for (pragma, value) in [
            ("cache_size", -SERVER_CACHE_KIB),
            ("wal_autocheckpoint", BACKSTOP_CHECKPOINT_PAGES),
            ("journal_size_limit", checkpoint::LOG_SIZE_LIMIT),
        ] {
            store
                .conn
                .pragma_update(None, pragma, value)
                .map_err(|e| explain(e, &path.display().to_string()))?;
        }
        Ok(store)
    }

    /// A private in-memory database, for tests.
    #[cfg(test)]
    pub(crate) fn open_in_memory() -> Result<Store> {
        Store::setup(Connection::open_in_memory()?, PathBuf::from(":memory:"))
    }

    fn setup(mut conn: Connection, path: PathBuf) -> Result<Store> {
        let shown = path.display().to_string();
        let explain = |err: rusqlite::Error| explain(err, &shown);
        conn.busy_timeout(Duration::from_secs(10))
            .map_err(explain)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(explain)?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(explain)?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(explain)?;
        let version: i64 = conn
            .pragma_query_value(None, "user_version", |row| row.get(0))
            .map_err(explain)?;
        if version > MIGRATIONS.len() as i64 {
            anyhow::bail!(
                "the database `{shown}` has schema version {version}, newer than this wa-cloud knows ({}): upgrade wa-cloud",
                MIGRATIONS.len()
            );
        }
        migrate(&mut conn, version as usize).map_err(explain)?;
        Ok(Store {
            conn,
            path,
            file: None,
        })
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// This database's random id, which tells its outbox rows from those of another.
    pub(crate) fn id(&self) -> Result<String> {
        self.conn
            .prepare_cached("SELECT value FROM meta WHERE key = 'id'")
            .and_then(|mut query| query.query_row([], |r| r.get(0)))
            .context("cannot read the database id")
    }

    /// `None` while the database file is still the one this store opened; else why not:
    /// "was deleted", "was replaced by another file". This connection goes on reading and
    /// writing the old file, which nobody else sees and which is gone after a restart: a
    /// caller that notices must stop accepting data, and say that serve needs a restart.
    pub(crate) fn file_replaced(&self) -> Option<String> {
        self.file.as_ref().and_then(FileId::replaced)
    }

    /// The file this store opened (`None` in memory), for a watchdog on another thread.
    pub(crate) fn file_id(&self) -> Option<FileId> {
        self.file.clone()
    }

    /// Whether the write lock can be taken now (within the busy timeout): takes it and
    /// lets it go at once, writing nothing.
    pub(crate) fn probe_write_lock(&self) -> Result<()> {
        self.conn
            .execute_batch("BEGIN IMMEDIATE; ROLLBACK;")
            .map_err(|e| explain(e, &self.path.display().to_string()))
    }

    pub(crate) fn conn(&self) -> &Connection {
        &self.conn
    }

    pub(crate) fn conn_mut(&mut self) -> &mut Connection {
        &mut self.conn
    }
}

fn migrate(conn: &mut Connection, from: usize) -> rusqlite::Result<()> {
    for (i, migration) in MIGRATIONS.iter().enumerate().skip(from) {
        let tx = conn.transaction()?;
        tx.execute_batch(migration)?;
        tx.pragma_update(None, "user_version", (i + 1) as i64)?;
        tx.commit()?;
    }
    Ok(())
}

/// A database error in words a user can act on, naming the file.
pub(crate) fn explain(err: rusqlite::Error, path: &str) -> anyhow::Error {
    let advice = match err.sqlite_error_code() {
        Some(ErrorCode::NotADatabase) | Some(ErrorCode::DatabaseCorrupt) => {
            "is damaged or not an SQLite database: move it away (wa-cloud then starts a new one) or point media.dbPath elsewhere"
        }
        Some(ErrorCode::DatabaseBusy) | Some(ErrorCode::DatabaseLocked) => {
            "is locked by another process: wait for it, or stop it"
        }
        Some(ErrorCode::DiskFull) => "cannot grow: the disk is full; free some space",
        Some(ErrorCode::ReadOnly)
        | Some(ErrorCode::CannotOpen)
        | Some(ErrorCode::PermissionDenied) => {
            "cannot be written: check its permissions and those of its directory"
        }
        _ => "failed",
    };
    anyhow::Error::new(err).context(format!("the database `{path}` {advice}"))
}

/// Storage trouble that passes by itself or by an operator's hand, without restarting:
/// another process holds the lock (busy, locked), the disk is full, an I/O error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Trouble {
    Locked,
    Full,
    Io,
}

impl Trouble {
    /// The trouble behind `err`, when some `rusqlite::Error` in its chain is transient.
    pub(crate) fn of(err: &anyhow::Error) -> Option<Trouble> {
        err.chain()
            .filter_map(|cause| cause.downcast_ref::<rusqlite::Error>())
            .find_map(|err| match err.sqlite_error_code()? {
                ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked => Some(Trouble::Locked),
                ErrorCode::DiskFull => Some(Trouble::Full),
                ErrorCode::SystemIoFailure => Some(Trouble::Io),
                _ => None,
            })
    }

    /// What is wrong, after "the database `...`:".
    pub(crate) fn what(self) -> &'static str {
        match self {
            Trouble::Locked => "locked by another process",
            Trouble::Full => "the disk is full",
            Trouble::Io => "an I/O error",
        }
    }

    /// What an operator can do about it.
    pub(crate) fn advice(self) -> &'static str {
        match self {
            Trouble::Locked => {
                "a connection holds its write lock (another process's long transaction, a backup, an \
                 sqlite3 shell, or serve's own writer under a burst): let it finish, or stop it"
            }
            Trouble::Full => "free some space on its disk",
            Trouble::Io => "check its disk and file system (dmesg)",
        }
    }
}

/// Whether `err` is storage trouble that may pass (see [`Trouble`]): worth retrying.
pub(crate) fn is_transient(err: &anyhow::Error) -> bool {
    Trouble::of(err).is_some()
}

/// The first wait of [`patiently`] after a transient error; it doubles up to [`MAX_WAIT`].
const FIRST_WAIT: Duration = Duration::from_millis(50);
const MAX_WAIT: Duration = Duration::from_secs(2);
/// [`patiently`] logs at most this often while it waits.
const LOG_EVERY: Duration = Duration::from_secs(5);

/// [`patiently`] for the parts of a running `serve`: they stop waiting a while after a
/// shutdown was asked for ([`Health::stop_waiting`]), leaving the rest for the next start.
pub(crate) fn patiently_while_serving<T>(
    health: &Health,
    part: &'static str,
    path: &Path,
    op: impl FnMut() -> Result<T>,
) -> Result<T> {
    patiently(health, part, path, &|| health.stop_waiting(), op)
}

/// Runs `op` until it succeeds, retrying through transient storage errors
/// ([`is_transient`]) with capped exponential backoff (50 ms doubling to 2 s), for as long
/// as it takes: meant for work that must not be lost and cannot be refused to a client,
/// such as marking events delivered, storing a handler's reply, marking an event
/// acknowledged.
///
/// While it waits, `health` shows the problem under `part` ("waiting for the database
/// `<path>`: locked by another process"; `/healthz` answers 503) and the log says so, with
/// what to do, at most every few seconds; success clears the problem and logs that the
/// wait is over. Each attempt itself may already wait the connection's busy timeout.
///
/// Returns the error of the last attempt when it is not transient (at once: retrying would
/// not help), or when `stop()` says to give up (checked after every failed attempt and
/// during the waits; pass `&|| false` to wait forever). A problem recorded by an attempt
/// before stays in `health` then: the caller knows best whether it still holds.
pub(crate) fn patiently<T>(
    health: &Health,
    part: &'static str,
    path: &Path,
    stop: &dyn Fn() -> bool,
    mut op: impl FnMut() -> Result<T>,
) -> Result<T> {
    let mut wait = FIRST_WAIT;
    let started = Instant::now();
    let mut waiting = false;
    let mut logged: Option<Instant> = None;
    loop {
        let err = match op() {
            Ok(value) => {
                if waiting {
                    health.clear_problem(part);
                    tracing::info!(
                        "{part}: the database `{}` can be used again, after {} s",
                        path.display(),
                        started.elapsed().as_secs()
                    );
                }
                return Ok(value);
            }
            Err(err) => err,
        };
        let Some(trouble) = Trouble::of(&err) else {
            return Err(err);
        };
        if stop() {
            return Err(err);
        }
        waiting = true;
        health.set_problem(
            part,
            format!(
                "waiting for the database `{}`: {}",
                path.display(),
                trouble.what()
            ),
        );
        if logged.is_none_or(|at| at.elapsed() >= LOG_EVERY) {
            logged = Some(Instant::now());
            tracing::warn!(
                "{part}: waiting for the database `{}` ({} s so far, retrying): {}; {} ({err:#})",
                path.display(),
                started.elapsed().as_secs(),
                trouble.what(),
                trouble.advice()
            );
        }
        let until = Instant::now() + wait;
        while let Some(left) = until.checked_duration_since(Instant::now()) {
            if stop() {
                return Err(err);
            }
            std::thread::sleep(left.min(Duration::from_millis(100)));
        }
        wait = (wait * 2).min(MAX_WAIT);
    }
}

/// The page cache of a connection of serve, KiB (see [`Store::open_in_server`]).
const SERVER_CACHE_KIB: i64 = 256;

/// The length of the write-ahead log (pages) at which a connection of serve checkpoints
/// itself, should the checkpointer fall behind: 10× SQLite's default.
const BACKSTOP_CHECKPOINT_PAGES: i64 = 10_000;

/// How long a part of serve waits for another connection's write lock before its
/// statement fails with "busy" (and [`patiently`] retries it, telling `/healthz`).
const SERVER_LOCK_WAIT: Duration = Duration::from_secs(2);

thread_local! {
    /// When the current wait for a lock began (SQLite calls a busy handler on the thread
    /// that runs the statement, counting its calls from 0 for each wait).
    static WAITING_SINCE: std::cell::Cell<Option<std::time::Instant>> =
        const { std::cell::Cell::new(None) };
}

/// The busy handler of serve's connections. serve's parts hold the write lock for well
/// under a millisecond at a time, but SQLite's own handler (`busy_timeout`) sleeps 1, 2,
/// 5, 10 ms … between tries: every collision between the inbox writer, the handler's
/// replies and the outbox cost milliseconds of an acknowledgement. This one tries again
/// after 50 µs, doubling up to 1 ms, for at most [`SERVER_LOCK_WAIT`].
fn wait_briefly_for_lock(tries: i32) -> bool {
    wait_briefly(tries, SERVER_LOCK_WAIT)
}

/// Tries again after 50 µs, doubling up to 1 ms, until `limit` has passed since the
/// first try (`tries` 0) of this wait; false then.
fn wait_briefly(tries: i32, limit: Duration) -> bool {
    let now = std::time::Instant::now();
    let since = WAITING_SINCE.with(|since| {
        if tries == 0 {
            since.set(Some(now));
        }
        since.get().unwrap_or(now)
    });
    if now.duration_since(since) >= limit {
        return false;
    }
    let pause = Duration::from_micros(50) * 2u32.pow(tries.clamp(0, 5) as u32);
    std::thread::sleep(pause.min(Duration::from_millis(1)));
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_bring_a_new_database_to_the_current_version() {
        let store = Store::open_in_memory().unwrap();
        let version: i64 = store
            .conn()
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(version, MIGRATIONS.len() as i64);
    }

    #[test]
    fn a_file_that_is_not_a_database_is_named_in_the_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("media-ids.db");
        std::fs::write(&path, vec![b'x'; 4096]).unwrap();
        let err = format!("{:#}", Store::open(&path).err().unwrap());
        assert!(
            err.contains("media-ids.db` is damaged or not an SQLite database"),
            "{err}"
        );
    }

    #[test]
    fn a_newer_schema_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db");
        Store::open(&path)
            .unwrap()
            .conn()
            .pragma_update(None, "user_version", 99)
            .unwrap();
        let err = format!("{:#}", Store::open(&path).err().unwrap());
        assert!(err.contains("upgrade wa-cloud"), "{err}");
    }
}

#[cfg(test)]
mod storage_trouble {
    use std::cell::Cell;

    use super::*;

    fn sqlite_error(code: std::os::raw::c_int) -> anyhow::Error {
        anyhow::Error::new(rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(code),
            None,
        ))
        .context("cannot mark events as delivered")
    }

    #[test]
    fn busy_locked_full_and_io_errors_are_transient_others_not() {
        use rusqlite::ffi;
        for code in [
            ffi::SQLITE_BUSY,
            ffi::SQLITE_LOCKED,
            ffi::SQLITE_FULL,
            ffi::SQLITE_IOERR,
        ] {
            assert!(is_transient(&sqlite_error(code)), "{code}");
        }
        for code in [
            ffi::SQLITE_CORRUPT,
            ffi::SQLITE_READONLY,
            ffi::SQLITE_CONSTRAINT,
        ] {
            assert!(!is_transient(&sqlite_error(code)), "{code}");
        }
        assert!(!is_transient(&anyhow::anyhow!("not a database error")));
    }

    #[test]
    fn a_write_lock_held_elsewhere_is_transient() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db");
        let store = Store::open(&path).unwrap();
        store.conn.busy_timeout(Duration::from_millis(10)).unwrap();
        let other = Connection::open(&path).unwrap();
        other.execute_batch("BEGIN IMMEDIATE").unwrap();
        let err = store.probe_write_lock().unwrap_err();
        assert!(is_transient(&err), "{err:#}");
        assert!(format!("{err:#}").contains("is locked by another process"));
        other.execute_batch("ROLLBACK").unwrap();
        store.probe_write_lock().unwrap();
    }

    #[test]
    fn patiently_retries_transient_errors_and_shows_them_meanwhile() {
        let health = Health::default();
        let tries = Cell::new(0);
        let seen = std::cell::RefCell::new(Vec::new());
        let value = patiently(&health, "tap", Path::new("x.db"), &|| false, || {
            tries.set(tries.get() + 1);
            seen.borrow_mut().push(health.problems());
            if tries.get() < 3 {
                Err(sqlite_error(rusqlite::ffi::SQLITE_BUSY))
            } else {
                Ok(7)
            }
        })
        .unwrap();
        assert_eq!((value, tries.get()), (7, 3));
        assert_eq!(
            seen.borrow()[2],
            ["tap: waiting for the database `x.db`: locked by another process"]
        );
        assert!(health.problems().is_empty(), "cleared on success");
    }

    #[test]
    fn patiently_gives_up_on_other_errors_and_when_told_to() {
        let health = Health::default();
        let tries = Cell::new(0);
        let err = patiently(&health, "tap", Path::new("x.db"), &|| false, || {
            tries.set(tries.get() + 1);
            Err::<(), _>(sqlite_error(rusqlite::ffi::SQLITE_CORRUPT))
        })
        .unwrap_err();
        assert_eq!(tries.get(), 1);
        assert!(!is_transient(&err));

        let stop_after = Instant::now() + Duration::from_millis(300);
        let started = Instant::now();
        let err = patiently(
            &health,
            "tap",
            Path::new("x.db"),
            &|| Instant::now() > stop_after,
            || Err::<(), _>(sqlite_error(rusqlite::ffi::SQLITE_FULL)),
        )
        .unwrap_err();
        assert!(is_transient(&err));
        assert!(started.elapsed() < Duration::from_secs(5));
        assert_eq!(
            health.problems(),
            ["tap: waiting for the database `x.db`: the disk is full"]
        );
    }

    #[test]
    fn a_deleted_or_replaced_file_is_noticed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db");
        let store = Store::open(&path).unwrap();
        assert_eq!(store.file_replaced(), None);
        std::fs::rename(&path, dir.path().join("moved")).unwrap();
        assert_eq!(store.file_replaced().as_deref(), Some("was deleted"));
        std::fs::rename(dir.path().join("moved"), &path).unwrap();
        assert_eq!(store.file_replaced(), None, "the same file back is fine");
        std::fs::remove_file(&path).unwrap();
        drop(Store::open(&path).unwrap());
        assert_eq!(
            store.file_replaced().as_deref(),
            Some("was replaced by another file")
        );
        assert_eq!(Store::open_in_memory().unwrap().file_replaced(), None);
    }
}
