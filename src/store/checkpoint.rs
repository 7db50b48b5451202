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
//! checkpoints alone the log grew without end (140 MB after 12,000 messages). Once it is [`RESTART_AT_PAGES`] long, the
//! checkpointer waits a little for the readers of the old frames to finish (meanwhile
//! writers wait too, at most [`READERS_WAIT`]), so that the next commit starts the log
//! over, cut back to [`LOG_SIZE_LIMIT`].

use std::path::Path;
use std::sync::mpsc::{self, RecvTimeoutError, SyncSender};
use std::thread::JoinHandle;
use std::time::Duration;

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

/// The checkpointer's thread; [`Checkpointer::stop`] makes a last checkpoint and ends it.
pub(crate) struct Checkpointer {
    thread: JoinHandle<()>,
    stop: SyncSender<()>,
}

impl Checkpointer {
    pub(crate) fn start(path: &Path) -> Result<Checkpointer> {
        let store = Store::open(path)?;
        store.conn().busy_handler(Some(wait_for_readers))?;
        store
            .conn()
            .pragma_update(None, "journal_size_limit", LOG_SIZE_LIMIT)?;
        let (stop, stopped) = mpsc::sync_channel::<()>(1);
        let thread = std::thread::Builder::new()
            .name("checkpointer".into())
            .spawn(move || {
                loop {
                    // Passive: it copies what no reader still needs and never waits for a
                    // lock. What fails (a full disk, say) is tried again next time; the
                    // parts that write say what storage trouble there is.
                    if let Err(err) = store.checkpoint() {
                        tracing::debug!("checkpoint: {err:#}");
                    }
                    match stopped.recv_timeout(CHECKPOINT_EVERY) {
                        Err(RecvTimeoutError::Timeout) => continue,
                        _ => break,
                    }
                }
                let _ = store.checkpoint();
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
    /// Copies what it can of the write-ahead log into the database file, and makes a
    /// long log start over.
    fn checkpoint(&self) -> rusqlite::Result<()> {
        let pages = |mode: &str| {
            self.conn()
                .query_row(&format!("PRAGMA wal_checkpoint({mode})"), [], |row| {
                    row.get::<_, i64>(1)
                })
        };
        if pages("PASSIVE")? >= RESTART_AT_PAGES {
            pages("RESTART")?;
        }
        Ok(())
    }
}
