//! serve's checkpointer: copies the write-ahead log into the database file on a thread of
//! its own.
//!
//! SQLite checkpoints after a commit that makes the log long (1,000 pages), in the thread
//! that committed, and a checkpoint waits for two fsyncs. In serve that thread is the
//! inbox writer, a handler's reply writer or the outbox, so every few hundred replies a
//! webhook's acknowledgement or a reply waited for the disk. serve's connections leave
//! checkpoints to this thread ([`super::Store::open_in_server`] raises their own threshold
//! to a backstop), which makes one every [`CHECKPOINT_EVERY`]; with `synchronous =
//! NORMAL` (the log is synced at each checkpoint) what a power cut can take is at most
//! that much of the latest commits.
//!
//! A checkpoint that waits for nobody (passive) copies the log but cannot make it start
//! over while some connection reads: under load one always does, and with passive
//! checkpoints alone the log grew without end (140 MB after 12,000 messages). Once it is
//! [`RESTART_AT_PAGES`] long, the checkpointer waits a little for the readers of the old
//! frames to finish (meanwhile writers wait too, at most [`READERS_WAIT`]), so that the
//! next commit starts the log over, cut back to [`LOG_SIZE_LIMIT`]; when a long reader
//! keeps it from that, it tries again after [`RESTART_RETRY`].

use std::path::Path;
use std::sync::mpsc::{self, RecvTimeoutError, SyncSender};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use anyhow::Result;

use super::Store;

/// How often the log is copied into the database file.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(100);
/// The length of the log (pages of 4 KiB) from which it is made to start over.
const RESTART_AT_PAGES: i64 = 4096;
/// How long a checkpoint that restarts the log waits for readers, and holds up writers.
const READERS_WAIT: Duration = Duration::from_millis(20);
/// The size (bytes) a log that grew larger is cut back to when it starts over.
pub(super) const LOG_SIZE_LIMIT: i64 = 16 << 20;
/// After readers kept the log from starting over (one reads for long: an `sqlite3`
/// shell, say), it is tried again only this much later, so that writers are held up
/// [`READERS_WAIT`] a second at most.
const RESTART_RETRY: Duration = Duration::from_secs(1);

/// The checkpointer's thread; [`Checkpointer::stop`] makes a last checkpoint and ends it.
pub(crate) struct Checkpointer {
    thread: JoinHandle<()>,
    stop: SyncSender<()>,
}

impl Checkpointer {
    pub(crate) fn start(path: &Path) -> Result<Checkpointer> {
        let store = Store::open_in_server(path)?;
        store.conn().busy_handler(Some(wait_for_readers))?;
        let (stop, stopped) = mpsc::sync_channel::<()>(1);
        let thread = std::thread::Builder::new()
            .name("checkpointer".into())
            .spawn(move || {
                let mut restart_failed_at: Option<Instant> = None;
                loop {
                    // What fails (a full disk, say) is tried again next time; the parts
                    // that write say what storage trouble there is.
                    match store.copy_log() {
                        Ok(pages)
                            if pages >= RESTART_AT_PAGES
                                && restart_failed_at
                                    .is_none_or(|at| at.elapsed() >= RESTART_RETRY) =>
                        {
                            match store.restart_log() {
                                Ok(true) => restart_failed_at = None,
                                Ok(false) => restart_failed_at = Some(Instant::now()),
                                Err(err) => tracing::debug!("checkpoint: {err:#}"),
                            }
                        }
                        Ok(_) => {}
                        Err(err) => tracing::debug!("checkpoint: {err:#}"),
                    }
                    match stopped.recv_timeout(CHECKPOINT_EVERY) {
                        Err(RecvTimeoutError::Timeout) => continue,
                        _ => break,
                    }
                }
                let _ = store.copy_log();
            })?;
        Ok(Checkpointer { thread, stop })
    }

    pub(crate) fn stop(self) {
        let _ = self.stop.send(());
        let _ = self.thread.join();
    }
}

fn wait_for_readers(tries: i32) -> bool {
    super::wait_briefly(tries, READERS_WAIT)
}

impl Store {
    /// Copies what no reader still needs of the write-ahead log into the database file,
    /// waiting for nobody (passive); returns the log's length in pages.
    fn copy_log(&self) -> rusqlite::Result<i64> {
        self.conn()
            .query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |row| row.get(1))
    }

    /// Copies the whole log and makes the next commit start it over, waiting at most
    /// [`READERS_WAIT`] for readers of its frames; false when they kept it from that.
    fn restart_log(&self) -> rusqlite::Result<bool> {
        self.conn()
            .query_row("PRAGMA wal_checkpoint(RESTART)", [], |row| {
                row.get::<_, i64>(0).map(|busy| busy == 0)
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_log_starts_over_once_no_reader_holds_it_and_is_cut_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db");
        let log = || std::fs::metadata(dir.path().join("db-wal")).unwrap().len();
        let writer = Store::open_in_server(&path).unwrap();
        let checkpointer = Store::open(&path).unwrap();
        checkpointer
            .conn()
            .busy_handler(Some(wait_for_readers))
            .unwrap();
        writer
            .conn()
            .execute_batch("CREATE TABLE filler (b BLOB)")
            .unwrap();
        for _ in 0..24 {
            writer
                .conn()
                .execute("INSERT INTO filler VALUES (zeroblob(1000000))", [])
                .unwrap();
        }
        assert!(log() > LOG_SIZE_LIMIT as u64, "{}", log());

        // A reader in a transaction keeps the log from starting over.
        let reader = rusqlite::Connection::open(&path).unwrap();
        reader.execute_batch("BEGIN").unwrap();
        let rows: i64 = reader
            .query_row("SELECT count(*) FROM filler", [], |r| r.get(0))
            .unwrap();
        assert_eq!(rows, 24);
        assert!(checkpointer.copy_log().unwrap() >= RESTART_AT_PAGES);
        assert!(!checkpointer.restart_log().unwrap());
        reader.execute_batch("COMMIT").unwrap();

        assert!(checkpointer.restart_log().unwrap());
        writer
            .conn()
            .execute("INSERT INTO filler VALUES (1)", [])
            .unwrap();
        assert!(log() <= LOG_SIZE_LIMIT as u64, "{}", log());
        assert!(
            checkpointer.copy_log().unwrap() < 16,
            "the log started over"
        );
    }
}
