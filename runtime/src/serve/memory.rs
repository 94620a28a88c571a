//! How the server hands memory back to the system once clients leave.
//!
//! Every answer is written into one buffer (a page of 1000 fact rows is about a
//! megabyte) on whichever blocking thread runs its query. glibc's malloc gives threads
//! arenas of their own (up to eight per core), and after the first such buffer is
//! freed it raises the size above which it maps memory on its own, so later buffers
//! come from the arenas and stay there when freed: the resident size of `serve` grew
//! with the number of clients and did not shrink when they left. Two arenas, and a
//! fixed threshold that keeps answer buffers in maps of their own (returned whole when
//! freed), keep it near its start; the queries run on a few threads anyway.

use std::sync::atomic::Ordering;
use std::sync::Weak;
use std::time::Duration;

use super::{Shared, READERS};

/// Sizes from which an allocation gets a map of its own: an answer of more than a few
/// dozen rows, never SQLite's pages or a request's small values.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const OWN_MAP_FROM: libc::c_int = 256 * 1024;

/// Tunes the allocator for serving (see the module): call before serving starts.
/// Does nothing where the C library is not glibc (musl returns memory by itself).
pub(crate) fn return_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets allocator parameters; it is safe to call at any
    // time, from any thread, and a refused value leaves the default in place.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
        libc::mallopt(libc::M_MMAP_THRESHOLD, OWN_MAP_FROM);
    }
}

/// How often [`trim_when_idle`] looks whether the server went idle.
const IDLE_CHECK: Duration = Duration::from_secs(2);

/// Gives memory back to the system whenever reads were answered since the last look
/// and none is running now: the idle connections' page caches, and (with glibc) what
/// a burst of clients left free in the arenas (SQLite's sorter, answer buffers below
/// the map threshold). Ends with the server (when `shared` is gone).
pub(super) async fn trim_when_idle(shared: Weak<Shared>) {
    let mut interval = tokio::time::interval(IDLE_CHECK);
    let mut trimmed_at = 0;
    loop {
        interval.tick().await;
        let Some(shared) = shared.upgrade() else {
            return;
        };
        let answered = shared.answered.load(Ordering::Relaxed);
        if answered != trimmed_at && shared.readers.available_permits() == READERS {
            trimmed_at = answered;
            let _ = tokio::task::spawn_blocking(move || {
                if let Some(pool) = shared.db.opened() {
                    pool.release_idle();
                }
                #[cfg(all(target_os = "linux", target_env = "gnu"))]
                // SAFETY: malloc_trim only returns free memory of the allocator's own.
                unsafe {
                    libc::malloc_trim(0);
                }
            })
            .await;
        }
    }
}
