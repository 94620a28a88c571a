//! The right to sync a database, held for a run: on PostgreSQL the store's advisory
//! lock (several replicas of `serve --sync-every` on one database sync one at a
//! time), on SQLite nothing to take. The log marks where each run took and gave
//! it back, which is how the replicas' turns can be read afterwards.

use std::ops::{Deref, DerefMut};
use std::time::{Duration, Instant};

use crate::load::{LoadError, Store};

/// How often a sync asks again for the lock another process holds.
const POLL: Duration = Duration::from_millis(200);

/// A store whose sync lock this process holds; dropping it gives the lock back.
pub(super) struct SyncLock<'s, 'm> {
    store: &'s mut Store<'m>,
}

impl<'s, 'm> SyncLock<'s, 'm> {
    /// Takes the lock, waiting up to `wait` for another process to give it back:
    /// `Err(None)` when it did not in time, `Err(Some(_))` when the database failed.
    pub(super) fn take(
        store: &'s mut Store<'m>,
        wait: Duration,
    ) -> Result<Self, Option<LoadError>> {
        let asked = Instant::now();
        while !store.try_lock_sync().map_err(Some)? {
            if asked.elapsed() >= wait {
                return Err(None);
            }
            if asked.elapsed() < POLL {
                tracing::info!("waiting for another sync of this database to finish");
            }
            std::thread::sleep(POLL);
        }
        tracing::info!("sync lock taken");
        Ok(SyncLock { store })
    }
}

impl<'m> Deref for SyncLock<'_, 'm> {
    type Target = Store<'m>;

    fn deref(&self) -> &Store<'m> {
        self.store
    }
}

impl<'m> DerefMut for SyncLock<'_, 'm> {
    fn deref_mut(&mut self) -> &mut Store<'m> {
        self.store
    }
}

impl Drop for SyncLock<'_, '_> {
    fn drop(&mut self) {
        // Closing the connection would release it too; a failure to is told, not fatal.
        match self.store.unlock_sync() {
            Ok(()) => tracing::info!("sync lock released"),
            Err(error) => {
                tracing::warn!(%error, "cannot release the sync lock; it goes with the connection")
            }
        }
    }
}
