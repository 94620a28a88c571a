//! How the server hands memory back to the system once clients leave.
//!
//! The allocator is tuned for serving once, before it starts
//! ([`crate::allocator::for_serving`]); this trims what is left free when idle.

use std::sync::atomic::Ordering;
use std::sync::Weak;
use std::time::Duration;

use super::{Shared, READERS};

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
