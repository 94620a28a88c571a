//! Read-only SQLite connections for the request handlers, kept for reuse: opening a
//! connection and preparing its statements costs more than most reads.
//!
//! A database in WAL mode needs its `-shm` file even to be read, and a reader creates
//! it when it is missing. On a read-only volume (a ConfigMap, a snapshot, a read-only
//! mount) that fails; the pool then opens the file as immutable, which SQLite reads
//! without any lock or side file. That is right there: nothing can write it either.

use std::ops::Deref;
use std::path::PathBuf;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

/// A pool of read-only connections to one database file.
pub struct Pool {
    path: PathBuf,
    /// Whether the file is opened as immutable (it sits where nothing can be written).
    immutable: bool,
    /// Idle connections kept at most (the server runs at most this many reads at once).
    keep: usize,
    idle: Mutex<Vec<Connection>>,
}

impl Pool {
    /// A pool for `path` that keeps up to `keep` idle connections. Opens one to find
    /// out how the file can be read, and keeps it.
    pub fn new(path: PathBuf, keep: usize) -> rusqlite::Result<Pool> {
        if !built_with_flags() {
            tracing::warn!(
                "SQLite was built without LIBSQLITE3_FLAGS=\"{SQLITE_FLAGS}\": concurrent reads take turns on one page cache; build with it (as the .cargo/config.toml of `cai-bridge new` does)"
            );
        }
        let mut pool = Pool {
            path,
            immutable: false,
            keep,
            idle: Mutex::new(Vec::new()),
        };
        let first = match pool.open().and_then(readable) {
            Ok(conn) => conn,
            Err(error) if cannot_write_beside(&error) => {
                tracing::info!(%error, "the database cannot be opened for shared reading; reading it as immutable");
                pool.immutable = true;
                pool.open().and_then(readable)?
            }
            Err(error) => return Err(error),
        };
        pool.idle
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner)
            .push(first);
        Ok(pool)
    }

    /// Opens a read-only connection that waits for a writer (a running sync) instead
    /// of failing with "database is locked".
    fn open(&self) -> rusqlite::Result<Connection> {
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = if self.immutable {
            let mut url = url::Url::from_file_path(&self.path)
                .map_err(|()| rusqlite::Error::InvalidPath(self.path.clone()))?;
            url.set_query(Some("immutable=1"));
            Connection::open_with_flags(url.as_str(), flags | OpenFlags::SQLITE_OPEN_URI)?
        } else {
            Connection::open_with_flags(&self.path, flags)?
        };
        conn.busy_timeout(Duration::from_secs(5))?;
        Ok(conn)
    }

    /// An idle connection, or a new one.
    pub fn get(&self) -> rusqlite::Result<Pooled<'_>> {
        let idle = self
            .idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop();
        let conn = match idle {
            Some(conn) => conn,
            None => self.open()?,
        };
        Ok(Pooled {
            pool: self,
            conn: Some(conn),
        })
    }

    /// Frees what the idle connections cache (pages, as SQLite allows), for a server
    /// that went idle; connections in use keep theirs.
    pub fn release_idle(&self) {
        let idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        for conn in idle.iter() {
            // Only memory is at stake: a connection that cannot free it keeps it.
            let _ = conn.release_memory();
        }
    }
}

/// A connection that goes back to its pool when dropped.
pub struct Pooled<'p> {
    pool: &'p Pool,
    conn: Option<Connection>,
}

impl Deref for Pooled<'_> {
    type Target = Connection;

    fn deref(&self) -> &Connection {
        // Only `drop` takes the connection out.
        self.conn.as_ref().unwrap_or_else(|| unreachable!())
    }
}

impl Drop for Pooled<'_> {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            let mut idle = self
                .pool
                .idle
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            if idle.len() < self.pool.keep {
                idle.push(conn);
            }
        }
    }
}

/// `conn` once a read went through (opening alone touches no file).
fn readable(conn: Connection) -> rusqlite::Result<Connection> {
    conn.query_row("SELECT count(*) FROM sqlite_schema", [], |_| Ok(()))?;
    Ok(conn)
}

/// Whether opening failed because SQLite could not create or write a file beside the
/// database (its `-shm`), as on a read-only volume.
fn cannot_write_beside(error: &rusqlite::Error) -> bool {
    use rusqlite::ErrorCode::{CannotOpen, ReadOnly};
    matches!(error.sqlite_error_code(), Some(CannotOpen | ReadOnly))
}

/// The compile options of the bundled SQLite that a bridge is built with (by
/// `LIBSQLITE3_FLAGS`, in the `.cargo/config.toml` of this workspace and of every
/// crate `cai-bridge new` makes).
///
/// libsqlite3-sys builds SQLite with `SQLITE_ENABLE_MEMORY_MANAGEMENT`, which makes
/// every connection share one page cache behind one lock, and with memory
/// statistics, which take another lock on every allocation. Under 8 clients of the
/// bench's `$filter` a third of the server's time went to the first lock (perf);
/// leaving it out took the filter from 793 to 1,020 requests a second and paging
/// from 138 to 231, with the peak RSS from 54 to 30 MB, and leaving out the
/// statistics took the filter on to 1,180 (`wrk -c8`, 20,000 conversations).
/// Nothing here uses what they enable (`sqlite3_release_memory`, the soft heap
/// limit, `sqlite3_memory_used`): idle connections free their own caches with
/// `sqlite3_db_release_memory`.
pub const SQLITE_FLAGS: &str = "-USQLITE_ENABLE_MEMORY_MANAGEMENT -DSQLITE_DEFAULT_MEMSTATUS=0";

/// Whether the linked SQLite was built with [`SQLITE_FLAGS`]: each `-U` option
/// absent from its compile options, each `-D` option present with its value.
fn built_with_flags() -> bool {
    let used = |option: &str| {
        let Ok(option) = std::ffi::CString::new(option) else {
            return false;
        };
        // SAFETY: a NUL-terminated string that outlives the call, which only reads it.
        unsafe { rusqlite::ffi::sqlite3_compileoption_used(option.as_ptr()) == 1 }
    };
    SQLITE_FLAGS.split_whitespace().all(|flag| {
        // SQLite names its options without the prefix.
        let option = |name: &str| name.trim_start_matches("SQLITE_").to_owned();
        match (flag.strip_prefix("-U"), flag.strip_prefix("-D")) {
            (Some(name), _) => !used(&option(name)),
            (_, Some(name)) => used(&option(name)),
            _ => false,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_is_built_with_the_flags_that_keep_reads_apart() {
        assert!(
            built_with_flags(),
            "SQLite was built without LIBSQLITE3_FLAGS=\"{SQLITE_FLAGS}\" (.cargo/config.toml)"
        );
    }
}
