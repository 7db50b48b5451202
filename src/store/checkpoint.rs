//! serve's checkpointer: copies the write-ahead log into the database file on a thread of
//! its own.
//!
//! SQLite checkpoints after a commit that makes the log long (1,000 pages), in the thread
//! that committed, and a checkpoint waits for two fsyncs. In serve that thread is the
//! inbox writer, a handler's reply writer or the outbox, so every few hundred replies a
//! webhook's acknowledgement or a reply waited for the disk. serve's connections leave
//! checkpoints to this thread ([`super::Store::open_in_server`] raises their own threshold
//! to a backstop), which makes one every [`CHECKPOINT_EVERY`]: the log stays short, and
//! with `synchronous = NORMAL` (the log is synced at each checkpoint) what a power cut can
//! take is at most that much of the latest commits, as before.

use std::path::Path;
use std::sync::mpsc::{self, RecvTimeoutError, SyncSender};
use std::thread::JoinHandle;
use std::time::Duration;

use anyhow::Result;

use super::Store;

/// How often the log is copied into the database file.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(100);

/// The checkpointer's thread; [`Checkpointer::stop`] makes a last checkpoint and ends it.
pub(crate) struct Checkpointer {
    thread: JoinHandle<()>,
    stop: SyncSender<()>,
}

impl Checkpointer {
    pub(crate) fn start(path: &Path) -> Result<Checkpointer> {
        let store = Store::open(path)?;
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

impl Store {
    /// Copies what it can of the write-ahead log into the database file.
    fn checkpoint(&self) -> rusqlite::Result<()> {
        self.conn()
            .query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))
    }
}
