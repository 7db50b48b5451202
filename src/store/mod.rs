//! The SQLite database that every command shares (`media.dbPath`): media ids, and for
//! `serve` its inbox and statuses. Nothing outside this module writes SQL.
//!
//! The schema is versioned with `PRAGMA user_version`: [`MIGRATIONS`] are applied in
//! order, each in its own transaction, and a database written by a newer wa-cloud is
//! refused rather than misread. The database runs in WAL mode so that `serve` and a
//! one-off command can use it at the same time; a busy database is waited for.

pub mod inbox;
pub mod media;
pub mod outbox;

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

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result};
use rusqlite::Connection;

/// Each entry brings the schema from version `i` to `i + 1`. Append only: never edit a
/// migration that has been released.
const MIGRATIONS: &[&str] = &[
    media::SCHEMA,
    inbox::SCHEMA,
    outbox::SCHEMA,
    HAND_OVER_AND_RETRIES,
];

/// An open database, migrated to the current schema.
pub struct Store {
    conn: Connection,
    path: PathBuf,
}

impl Store {
    /// Opens (creating it and its directory when missing) and migrates the database.
    pub fn open(path: &Path) -> Result<Store> {
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
        Store::setup(conn, path.to_path_buf())
    }

    /// A private in-memory database, for tests.
    pub fn open_in_memory() -> Result<Store> {
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
        Ok(Store { conn, path })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// This database's random id, which tells its outbox rows from those of another.
    pub fn id(&self) -> Result<String> {
        self.conn
            .query_row("SELECT value FROM meta WHERE key = 'id'", [], |r| r.get(0))
            .context("cannot read the database id")
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

/// TEMPORARY (branch storage-trouble has the real one): a busy, locked or full database.
pub(crate) fn is_transient(err: &anyhow::Error) -> bool {
    use rusqlite::ErrorCode;
    err.chain()
        .filter_map(|c| c.downcast_ref::<rusqlite::Error>())
        .any(|e| {
            matches!(
                e.sqlite_error_code(),
                Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked | ErrorCode::DiskFull)
            )
        })
}

/// A database error in words a user can act on, naming the file.
pub(crate) fn explain(err: rusqlite::Error, path: &str) -> anyhow::Error {
    use rusqlite::ErrorCode;
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
