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
    tune(2, 256 * 1024);
}

/// For `sync`: the fetch task allocates each page (its body, the DOM over it and its
/// rows, a few megabytes) on a runtime thread while SQLite allocates on the writer's.
/// With an arena per thread the resident size grew with the run (63 MB at 200,000
/// conversations, 43 MB at 20,000, the live heap 26 MB at most: see
/// bench/profiles/sync.md); with one arena for all, the writer waited on the fetch
/// thread's lock of it (a 20,000-conversation sync took 1.28–1.49 s). Two arenas, the
/// writer's (the main thread's) and the fetch task's (whose runtime has one thread
/// for it, see `cli::run_with`), took 1.08–1.20 s at the same peak RSS (41–42 MB;
/// with two runtime threads each took an arena's worth, 51–55 MB). The pages' large
/// blocks (from 1 MiB: a body, a DOM's longest arrays) get maps of their own, which
/// keeps it flat; a lower threshold maps many more small blocks and costs page
/// faults. Call before the async runtime starts: threads take their arena at their
/// first allocation.
pub(crate) fn for_syncing() {
    tune(2, 1 << 20);
}

/// Sets the number of arenas and the size from which an allocation gets a map of its
/// own (which also stops glibc from raising that size by itself).
#[cfg_attr(
    not(all(target_os = "linux", target_env = "gnu")),
    allow(unused_variables)
)]
fn tune(arenas: i32, own_map_from: i32) {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets allocator parameters; it is safe to call at any
    // time, from any thread, and a refused value leaves the default in place.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, arenas);
        libc::mallopt(libc::M_MMAP_THRESHOLD, own_map_from);
    }
}
