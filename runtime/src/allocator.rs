//! How the C library's allocator is tuned for each long-running command, so that the
//! memory a command frees goes back to the system instead of growing its resident
//! size with the work it has done.
//!
//! glibc's malloc gives threads arenas of their own (up to eight per core) and, after
//! the first large block is freed, raises the size above which it maps memory on its
//! own, so later large blocks come from the arenas and stay there when freed. Where
//! the C library is not glibc these do nothing (musl returns memory by itself).

/// For `serve`: an answer is written into one buffer (a page of 1000 fact rows is
/// about a megabyte) on whichever blocking thread runs its query, so the resident
/// size grew with the number of clients and did not shrink when they left. Two
/// arenas, and answer buffers in maps of their own (returned whole when freed), keep
/// it near its start; the queries run on a few threads anyway. Call before serving.
pub(crate) fn for_serving() {
    tune(2, 256 * 1024, None);
}

/// For `sync`: the fetch task allocates each page (its body and the DOM over it, a
/// few megabytes) on a runtime thread and the writer frees it on its own, while
/// SQLite allocates on the writer's; with an arena per thread neither reuses what
/// the other freed, and the resident size grew with the run (63 MB at 200,000
/// conversations, 43 MB at 20,000, the live heap 26 MB at most: see
/// bench/profiles/sync.md). One arena (two threads write, so its lock costs little),
/// the pages' large blocks in maps of their own, and the top of the heap returned
/// once 128 KiB of it are free keep it flat. Call before the async runtime starts:
/// threads take their arena at their first allocation.
pub(crate) fn for_syncing() {
    tune(1, 64 * 1024, Some(128 * 1024));
}

/// Sets the number of arenas, the size from which an allocation gets a map of its
/// own, and (when given) how much free memory at the heap's top is given back.
#[cfg_attr(
    not(all(target_os = "linux", target_env = "gnu")),
    allow(unused_variables)
)]
fn tune(arenas: i32, own_map_from: i32, trim_from: Option<i32>) {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets allocator parameters; it is safe to call at any
    // time, from any thread, and a refused value leaves the default in place.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, arenas);
        libc::mallopt(libc::M_MMAP_THRESHOLD, own_map_from);
        if let Some(trim_from) = trim_from {
            libc::mallopt(libc::M_TRIM_THRESHOLD, trim_from);
        }
    }
}
