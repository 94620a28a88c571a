//! Checkpoints of a long write on a thread of their own.
//!
//! A commit that leaves the WAL past SQLite's threshold checkpoints it on the
//! committing connection: the WAL's pages are read back, written into the database
//! file and both files synced before the commit returns. In a sync that is the
//! writer, the run's critical path, waiting on the disk while the next page waits
//! for it. Here the writer's connection leaves checkpoints alone and a second
//! connection runs them after each commit, concurrently with the next group's
//! writes, as SQLite's WAL allows (a passive checkpoint copies what is committed and
//! waits for no one). The commits themselves, and so what a killed run keeps, are
//! unchanged.

use std::path::Path;
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

use rusqlite::Connection;

/// The thread that checkpoints a loader's database after its commits; see the
/// module docs. Dropping it waits for the checkpoint under way (the run ends with
/// its WAL copied into the database, as it would have without it).
pub struct Checkpointer {
    commits: Option<mpsc::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Checkpointer {
    /// Takes checkpoints off `writer` (a connection to the file at `path`, which
    /// keeps none of its own after this, so meant for one run) onto a thread with a
    /// connection of its own. `None` (`writer` keeping its checkpoints) where the
    /// second connection or the thread cannot be had: only speed is at stake.
    pub(super) fn start(writer: &Connection, path: &Path) -> Option<Self> {
        let aside = || -> Result<Self, Box<dyn std::error::Error>> {
            let conn = Connection::open(path)?;
            conn.busy_timeout(Duration::from_secs(5))?;
            let (commits, committed) = mpsc::channel::<()>();
            let thread = std::thread::Builder::new()
                .name("checkpoint".into())
                .spawn(move || checkpoint_after_commits(&conn, &committed))?;
            writer.pragma_update(None, "wal_autocheckpoint", 0)?;
            Ok(Checkpointer {
                commits: Some(commits),
                thread: Some(thread),
            })
        };
        aside()
            .inspect_err(|error| tracing::debug!(%error, "checkpoints stay on the writer"))
            .ok()
    }

    /// Tells the thread that a transaction committed.
    pub fn committed(&self) {
        if let Some(commits) = &self.commits {
            let _ = commits.send(());
        }
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        // Closing the channel ends the thread's loop after the checkpoint it owes.
        drop(self.commits.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The checkpoint thread's loop: a passive checkpoint after each commit it hears of,
/// until the channel closes.
fn checkpoint_after_commits(conn: &Connection, committed: &mpsc::Receiver<()>) {
    while committed.recv().is_ok() {
        // Commits that came while the last checkpoint ran need one more.
        while committed.try_recv().is_ok() {}
        if let Err(error) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
            // The WAL then waits for the next checkpoint; no data is at stake.
            tracing::warn!(%error, "cannot checkpoint the WAL; the next commit tries again");
        }
    }
}
