//! Sync: pull the API's records into SQLite, window by window.
//!
//! - The range `[from, to)` is cut into windows (one day by default). A window whose
//!   answer holds as many records as the API returns at most is split in halves
//!   until each part fits, so nothing is silently cut off; later windows are asked
//!   for in parts of the size that fit (growing again where answers thin out), so a
//!   dense range costs no full answer per window only to be thrown away.
//! - Incremental: without `--from`, a run starts at the stored high-water mark minus
//!   an overlap, so late-arriving records are caught; upserts keep that idempotent.
//! - A window is written together with the high-water mark, so an interrupted run
//!   never leaves half a window, nor a mark ahead of the data. Windows commit in
//!   groups, and at the end of the run (or where it stops or fails): each commit
//!   writes every index page it touched again, and with random keys (UUIDs) a group
//!   touches nearly all of them, so one commit per window would write the indexes
//!   once per window. A group holds [`COMMIT_ROWS`] rows, or [`GROUP_GROWTH`] times
//!   as many as the run has committed before when that is more: a run commits a
//!   logarithmic number of times, and whatever its size writes the indexes a few
//!   times over, not once per window.
//!   A group also commits when the writer would wait for the API and has written
//!   for a second (or half the run's time so far), so a slow API's data shows while
//!   the run goes on. A window that
//!   cannot be written rolls its group back; the groups before it stay.
//! - Fetching overlaps writing: a task fetches, parses and walks the next window
//!   into rows while this thread writes the last one, and no further ahead, so
//!   memory stays flat whatever the range, and the writer does little but SQLite's
//!   own work. The first window is asked for in parts that start small and grow
//!   by half, so the writer starts early and does not wait for the fetch on the way.
//! - Only into a database of its own: one holding tables or views the model did not
//!   create is refused, naming them, unless [`Options::adopt`] says otherwise. A
//!   write the disk or a file-size limit refuses is a [`SyncError::Disk`] naming
//!   the file.
//! - A [`Stop`] ends a run between windows ([`schedule`]: runs on a period, as
//!   `serve --sync-every` does).

pub mod fetch;
mod lock;
mod page;
mod progress;
pub mod schedule;
mod state;
mod stop;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use cai_bridge_model::{format, MemberValue};
use chrono::{DateTime, Utc};
use tokio::sync::mpsc::error::TryRecvError;

use crate::auth::Credentials;
use crate::database_url::Database;
use crate::load::{Foreign, LoadError, Prepared, SchemaError, Store, Walker};
use crate::settings::{ApiSettings, SyncSettings};
use crate::Artifacts;
use fetch::{Api, FetchError};
use lock::SyncLock;

pub use page::Page;
pub use progress::Summary;
pub use stop::Stop;

/// Why a sync stopped; each kind has its own exit code.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// The API or the network failed for good.
    #[error(transparent)]
    Fetch(#[from] FetchError),
    /// The database refused (schema mismatch, bad record, I/O).
    #[error(transparent)]
    Load(#[from] LoadError),
    /// The range is empty or backwards, or a window cannot be split further.
    #[error("{0}")]
    Range(String),
    /// The HTTP client could not be built (no TLS roots, say): the machine, not the input.
    #[error("cannot build the HTTP client: {0}")]
    Client(reqwest::Error),
    /// The database file could not be written: the disk is full, or the process may
    /// write no larger file (`ulimit -f`). The windows not yet committed were rolled
    /// back.
    #[error("cannot write {}: {source}; is the disk full, or a file-size limit (ulimit -f) reached? The windows not yet committed were rolled back", path.display())]
    Disk {
        /// The database.
        path: PathBuf,
        /// What SQLite said.
        source: rusqlite::Error,
    },
    /// [`Stop::stop`] was called; the windows written so far are committed.
    #[error("stopped after {windows} windows")]
    Stopped {
        /// Windows committed before the stop.
        windows: u64,
    },
    /// Another process is syncing this PostgreSQL database (it holds the bridge's
    /// advisory lock): nothing was written.
    #[error("another process is syncing this database (it holds the bridge's PostgreSQL advisory lock); nothing was written: try again when it is done")]
    Busy,
}

impl SyncError {
    /// The process exit code: 1 the API or network, 3 the database, 4 credentials,
    /// 2 bad input.
    pub fn exit_code(&self) -> u8 {
        match self {
            SyncError::Fetch(FetchError::Auth(_) | FetchError::Unauthorized { .. }) => 4,
            SyncError::Fetch(_) => 1,
            SyncError::Load(LoadError::Record { .. }) => 1,
            SyncError::Load(_) => 3,
            SyncError::Range(_) => 2,
            SyncError::Client(_) | SyncError::Stopped { .. } => 1,
            SyncError::Disk { .. } | SyncError::Busy => 3,
        }
    }

    /// What failed, in a word, for a status report that must not carry messages
    /// (they can quote the API's answers): `api`, `credentials`, `tokens-expiring`,
    /// `record`, `database`, `disk`, `range`, `client`, `stopped` or `busy`.
    pub fn kind(&self) -> &'static str {
        match self {
            SyncError::Fetch(FetchError::TokensExpiring { .. }) => "tokens-expiring",
            SyncError::Fetch(FetchError::Auth(_) | FetchError::Unauthorized { .. }) => {
                "credentials"
            }
            SyncError::Fetch(_) => "api",
            SyncError::Load(LoadError::Record { .. }) => "record",
            SyncError::Load(_) => "database",
            SyncError::Range(_) => "range",
            SyncError::Client(_) => "client",
            SyncError::Disk { .. } => "disk",
            SyncError::Stopped { .. } => "stopped",
            SyncError::Busy => "busy",
        }
    }

    /// A load error, as a disk error naming `db` when SQLite could not write the file.
    fn load(error: LoadError, db: &Database) -> SyncError {
        use rusqlite::ErrorCode::{DiskFull, SystemIoFailure};
        let disk =
            |e: &rusqlite::Error| matches!(e.sqlite_error_code(), Some(DiskFull | SystemIoFailure));
        match (error, db) {
            (
                LoadError::Sqlite(source) | LoadError::Schema(SchemaError::Sqlite(source)),
                Database::Sqlite(path),
            ) if disk(&source) => SyncError::Disk {
                path: path.clone(),
                source,
            },
            (other, _) => SyncError::Load(other),
        }
    }
}

/// How a run is steered beyond its range: [`run`]'s options.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// What to sync.
    pub range: Range,
    /// No progress bar.
    pub quiet: bool,
    /// Write into a database that holds tables the model did not create (`--adopt`);
    /// without it such a file is refused, naming them.
    pub adopt: bool,
    /// Stops the run between windows when fired (a SIGTERM in `serve --sync-every`):
    /// the window being written commits, nothing after it starts.
    pub stop: Option<Arc<Stop>>,
    /// How long to wait for another process's sync of the same PostgreSQL database
    /// to end before giving up with [`SyncError::Busy`] (zero: not at all, as a
    /// replica of `serve --sync-every` does; `sync` waits a minute, which also
    /// covers the session of a killed sync that the server has yet to end).
    pub lock_wait: Duration,
}

/// What to sync.
#[derive(Clone, Debug, Default)]
pub struct Range {
    /// Start (default: high-water mark minus overlap, else `[sync] start`, else 30
    /// days before `to`).
    pub from: Option<DateTime<Utc>>,
    /// End (default: now).
    pub to: Option<DateTime<Utc>>,
}

/// Rows a run writes at least before it refreshes PostgreSQL's statistics.
const ANALYZE_ROWS: u64 = 10_000;

/// Rows a group of windows holds before it commits, at least (see the module docs):
/// a killed run loses at most this, or [`GROUP_GROWTH`] times what it committed
/// before, whichever is more; the next run fetches it again.
pub const COMMIT_ROWS: u64 = 200_000;

/// How much larger than everything committed before a group grows. Twice, not once:
/// at 200,000 conversations four commits instead of six wrote 2.63x the database
/// instead of 3.07x, in 34 s instead of 36 (bench/profiles/sync.md).
pub const GROUP_GROWTH: u64 = 2;

/// How old a group may grow while the API keeps the writer waiting, at least (or
/// half the run's time so far, when that is more, so that these commits too are a
/// logarithmic number): a slow API bounds the run anyway, so committing then costs
/// no time, and what is written shows in `serve` and survives a kill soon.
const COMMIT_IDLE: Duration = Duration::from_secs(1);

/// How a group of windows ended.
enum Group {
    /// Full, or waiting for the API: it commits, another follows.
    More,
    /// No more windows (done, stopped, or a fetch failed): it commits, the run ends.
    Last,
    /// A window could not be written: the group rolls back, the run ends.
    Failed,
}

/// A fetched (sub-)window on its way to the database, walked into rows by the fetch
/// task (its page freed there), so the writing thread only binds them.
struct Batch {
    to: DateTime<Utc>,
    /// The page's rows, or why one of its records cannot be stored (the window
    /// fails as a write would).
    rows: Result<Prepared, LoadError>,
    /// Items of the root's first child array (for progress).
    children: u64,
    /// Whether this batch ends one of the planned windows (for progress).
    ends_window: bool,
}

/// The current time (from the system clock, without chrono's `clock` feature).
pub fn now() -> DateTime<Utc> {
    DateTime::from(std::time::SystemTime::now())
}

/// Syncs `range` into the database at `db`. Call from outside any async context:
/// fetching runs on `runtime`, writing on this thread.
pub fn sync(
    runtime: &tokio::runtime::Runtime,
    db: &Database,
    artifacts: &Artifacts,
    api: &ApiSettings,
    settings: &SyncSettings,
    range: Range,
    quiet: bool,
) -> Result<Summary, SyncError> {
    let options = Options {
        range,
        quiet,
        ..Options::default()
    };
    run(runtime, db, artifacts, api, settings, &options)
}

/// [`sync`] with every option: a database with foreign tables adopted, a stop.
pub fn run(
    runtime: &tokio::runtime::Runtime,
    db: &Database,
    artifacts: &Artifacts,
    api: &ApiSettings,
    settings: &SyncSettings,
    options: &Options,
) -> Result<Summary, SyncError> {
    let started = Instant::now();
    let model = &artifacts.model;
    let window = model.source.window.clone().ok_or_else(|| {
        SyncError::Range(
            "this bridge's model has no time window (its operation has no from/to query parameters), so it cannot sync; load exported files with `load`, or name the parameters in bridge.toml ([sync] from_param, to_param) and generate again".into(),
        )
    })?;
    let disk = |e: LoadError| SyncError::load(e, db);
    let foreign = if options.adopt {
        Foreign::Adopt
    } else {
        Foreign::Refuse
    };
    let mut store = Store::open(runtime, db, artifacts, foreign).map_err(disk)?;
    // The lock first: the state table is created by the one process that syncs (two
    // replicas creating it at once collide in PostgreSQL's catalog). Dropped however
    // the run ends, it gives the lock back.
    let mut loader = SyncLock::take(&mut store, options.lock_wait).map_err(|e| match e {
        Some(e) => disk(e),
        None => SyncError::Busy,
    })?;
    let dialect = loader.dialect();
    state::ensure(&mut loader).map_err(disk)?;
    let name = model.table(&model.root().name);
    let high_water = state::high_water(&mut loader, &name).map_err(disk)?;
    let range = &options.range;

    let to = range.to.unwrap_or_else(now);
    let from = match (range.from, high_water, settings.start) {
        (Some(from), _, _) => from,
        (None, Some(mark), _) => {
            mark - chrono::Duration::from_std(settings.overlap).unwrap_or_default()
        }
        (None, None, Some(start)) => start,
        (None, None, None) => to - chrono::Duration::days(30),
    };
    if from >= to {
        return Err(SyncError::Range(format!(
            "nothing to sync: from {} is not before to {}",
            format::timestamp_text(from),
            format::timestamp_text(to)
        )));
    }
    let windows = plan(from, to, settings.window);
    tracing::info!(from = %format::timestamp_text(from), to = %format::timestamp_text(to), windows = windows.len(), "sync");

    let http = reqwest::Client::builder()
        .connect_timeout(settings.timeout)
        .read_timeout(settings.timeout)
        .user_agent(concat!("cai-bridge/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(SyncError::Client)?;
    let auth = Credentials::new(http.clone(), model, &api.credentials);
    let path = model.source.path.clone().unwrap_or_default();
    let client = Arc::new(Api::new(
        http,
        format!("{}{path}", api.base_url),
        auth,
        window,
        model.source.records.clone(),
        settings.attempts,
    ));
    let counters = client.counters.clone();
    let children = first_child_member(model);
    let mut progress =
        progress::Progress::new(windows.len() as u64, options.quiet, children.clone());
    // The fetch task walks pages with a walker of its own, on the model's copy.
    let walked = model.clone();

    // One page is written while the next is fetched (see `Fetch::window`): memory
    // holds two pages at most, whatever the range.
    let (sender, mut receiver) = tokio::sync::mpsc::channel::<Result<Batch, SyncError>>(1);
    // Written sets of rows go back to be filled again: the fetch task takes one once
    // the writer has taken the page before, by when the set of the page before that
    // is back, so two are in use.
    let (spent_sender, spent) = std::sync::mpsc::channel::<Prepared>();
    let page_cap = settings.page_cap;
    let precision = client.precision();
    let first_part = chrono::Duration::from_std(settings.window / RAMP_PARTS)
        .unwrap_or(chrono::Duration::hours(1));
    let stop = options.stop.clone();
    let producer = runtime.spawn(async move {
        let walker = Walker::new(&walked);
        let mut fetch = Fetch {
            client: &client,
            walker: &walker,
            page_cap,
            children: children.as_deref(),
            span: None,
            ramp: Some(whole(first_part, precision)),
            spent,
        };
        let fetch_all = async {
            for (from, to) in windows {
                if let Err(e) = fetch.window(from, to, &sender).await {
                    let _ = sender.send(Err(e)).await;
                    return;
                }
            }
        };
        match &stop {
            // A stop ends a fetch where it waits (a retry's backoff, a slow answer):
            // nothing fetched after it would be written anyway.
            Some(stop) => tokio::select! {
                () = fetch_all => {}
                () = stop.stopped() => {}
            },
            None => fetch_all.await,
        }
    });

    let stopped = || options.stop.as_ref().is_some_and(|s| s.is_stopped());
    // The writer commits and writes on; the WAL is copied into the file beside it.
    let checkpoints = loader.checkpoint_aside();
    let mut outcome = Ok(());
    let mut committed = 0;
    // A group of windows per transaction. What is written commits also when a later
    // page fails to come or the run stops; a window that fails half-written rolls
    // its group back, and the next run starts after the last group committed.
    loop {
        let mut writing = match loader.begin() {
            Ok(writing) => writing,
            Err(e) => {
                outcome = Err(disk(e));
                break;
            }
        };
        let mut since = None;
        let group = loop {
            let item = match receiver.try_recv() {
                Ok(item) => item,
                // The writer would wait for the API: what it wrote commits now if it
                // has waited long enough, to show (and to survive a kill) meanwhile.
                Err(TryRecvError::Empty)
                    if since.is_some_and(|t: Instant| {
                        t.elapsed() >= COMMIT_IDLE.max(started.elapsed() / 2)
                    }) =>
                {
                    break Group::More;
                }
                Err(_) => match receiver.blocking_recv() {
                    Some(item) => item,
                    None => break Group::Last,
                },
            };
            if stopped() {
                break Group::Last;
            }
            let batch = match item {
                Ok(batch) => batch,
                Err(e) => {
                    outcome = Err(e);
                    break Group::Last;
                }
            };
            let (advance, params) = state::advance(dialect, &name, batch.to);
            let params = params.each_ref().map(String::as_str);
            let written = batch.rows.and_then(|rows| {
                let written = (
                    rows.records(),
                    writing.write_with(&rows, (&advance, &params))?,
                );
                // Back to the fetch task, whose next page fills its buffers again.
                let _ = spent_sender.send(rows);
                Ok(written)
            });
            match written {
                Ok((records, rows)) => {
                    since.get_or_insert_with(Instant::now);
                    progress.record(records as u64, batch.children, rows, batch.ends_window);
                }
                Err(e) => {
                    outcome = Err(disk(e));
                    break Group::Failed;
                }
            }
            if writing.rows() >= COMMIT_ROWS.max(committed * GROUP_GROWTH) {
                break Group::More;
            }
        };
        if matches!(group, Group::Failed) {
            // Dropped uncommitted: rolled back.
            break;
        }
        committed += writing.rows();
        if let Err(e) = writing.commit() {
            // The first error is the one to tell (a commit after a full disk fails too).
            if outcome.is_ok() {
                outcome = Err(disk(e));
            }
            break;
        }
        if let Some(checkpoints) = &checkpoints {
            checkpoints.committed();
        }
        if matches!(group, Group::Last) {
            break;
        }
    }
    // Dropping the receiver stops the producer at its next send.
    drop(receiver);
    let _ = runtime.block_on(producer);
    // The run ends with its WAL copied into the file, as it did with checkpoints inline.
    drop(checkpoints);
    // Fresh statistics for the readers' plans; worth its cost only after a large run.
    if outcome.is_ok() && committed >= ANALYZE_ROWS {
        if let Err(error) = loader.analyze() {
            tracing::warn!(%error, "cannot refresh the planner's statistics; autovacuum will");
        }
    }
    outcome?;
    if stopped() {
        return Err(SyncError::Stopped {
            windows: progress.windows(),
        });
    }
    let summary = progress.finish(from, to, started.elapsed(), fetch::read(&counters));
    Ok(summary)
}

/// Cuts `[from, to)` into windows of `size`.
fn plan(
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    size: Duration,
) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
    let step = chrono::Duration::from_std(size).unwrap_or(chrono::Duration::days(1));
    let mut windows = Vec::new();
    let mut start = from;
    while start < to {
        let end = (start + step).min(to);
        windows.push((start, end));
        start = end;
    }
    windows
}

/// What the fetch task needs to turn windows into batches.
struct Fetch<'f> {
    client: &'f Api,
    walker: &'f Walker<'f>,
    page_cap: usize,
    /// The wire name of the root's first child array, to count its items.
    children: Option<&'f str>,
    /// Once an answer was full, the part of a window to ask for next (see
    /// [`next_span`]): later windows are cut to it before they are asked for, since
    /// a full answer is fetched and parsed only to be thrown away.
    span: Option<chrono::Duration>,
    /// While the run starts, the part of a window to ask for: [`RAMP_PARTS`] times
    /// less than a window, then [`RAMP_GROWTH`] times as much after each answer,
    /// until it spans a window. Small first pages keep the peak RSS lower (41.3
    /// against 42.7 MB at 20,000 conversations, 44.7 against 46.7 MB at 200,000;
    /// bench/profiles/sync.md, fifth pass) and start the writer sooner.
    ramp: Option<chrono::Duration>,
    /// Sets of rows the writer is done with, to fill again.
    spent: std::sync::mpsc::Receiver<Prepared>,
}

/// How many times smaller than a window the first part a run asks for is.
const RAMP_PARTS: u32 = 32;

/// How much larger each part of the ramp is than the one before, as a fraction.
/// The next part is fetched and walked while the writer writes the last one, and
/// fetching and walking a row takes some 0.6 of the time writing it does (`perf`,
/// 20,000 conversations: 561 samples on the fetch thread, 946 on the writer's), so
/// parts may grow by up to about 1.7 a step before the writer waits for each: when
/// they doubled it did, and was busy 223-236 of the first 300 samples of a run
/// where with this ramp it is busy 246-262 (bench/profiles/sync.md, ninth pass).
const RAMP_GROWTH: (i32, i32) = (3, 2);

impl Fetch<'_> {
    /// Fetches one planned window, splitting it while an answer is full, and sends
    /// the parts in time order, each walked into rows.
    async fn window(
        &mut self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        sender: &tokio::sync::mpsc::Sender<Result<Batch, SyncError>>,
    ) -> Result<(), SyncError> {
        let (client, page_cap) = (self.client, self.page_cap);
        let mut pending = vec![(from, to)];
        while let Some((start, mut end)) = pending.pop() {
            if let Some(span) = self.span.or(self.ramp).filter(|span| end - start > *span) {
                pending.push((start + span, end));
                end = start + span;
            }
            // The channel's slot first, the fetch then: a page is fetched once the
            // writer has taken the one before, so at most two are in memory.
            let Ok(slot) = sender.reserve().await else {
                return Ok(());
            };
            let page = client.fetch(start, end).await?;
            if page.records().len() >= page_cap {
                let half = (end - start) / 2;
                // Below the bounds' precision both halves would ask the same again.
                if half < client.precision() {
                    return Err(SyncError::Range(format!(
                        "more than {page_cap} records in the {} at {}; the API's cap cannot be worked around by splitting",
                        client.precision_name(),
                        format::timestamp_text(start)
                    )));
                }
                client
                    .counters
                    .splits
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let middle = start + half;
                tracing::debug!(from = %format::timestamp_text(start), to = %format::timestamp_text(end), "full answer; splitting");
                self.span = Some(half);
                self.ramp = None;
                // Later half first onto the stack, so the earlier half is fetched next
                // and the watermark only ever moves forward.
                pending.push((middle, end));
                pending.push((start, middle));
                continue;
            }
            if self.span.is_some() {
                let records = page.records().len();
                self.span = Some(next_span(
                    end - start,
                    records,
                    page_cap,
                    client.precision(),
                ));
            } else if let Some(ramp) = self.ramp {
                let grown = next_ramp(ramp, client.precision());
                self.ramp = Some(grown).filter(|ramp| *ramp < to - from);
            }
            let records = page.records();
            let mut rows = self.spent.try_recv().unwrap_or_default();
            let batch = Batch {
                to: end,
                rows: rows.refill(self.walker, records).map(|()| rows),
                children: self
                    .children
                    .map_or(0, |child| progress::items(records, child)),
                ends_window: end == to,
            };
            // The page (its body and DOM) is freed here, where it was made.
            drop(page);
            slot.send(Ok(batch));
        }
        Ok(())
    }
}

/// The part of a window to ask for after an answer of `records` (under `cap`) for
/// `last`: what the answer's density says holds three quarters of the cap, so that
/// the next answer fits with room for a denser stretch, at most twice `last`, never
/// below the bounds' `precision` and a whole number of it (so a part's bounds stay
/// what the API's format can say).
fn next_span(
    last: chrono::Duration,
    records: usize,
    cap: usize,
    precision: chrono::Duration,
) -> chrono::Duration {
    let factor = if records == 0 {
        2.0
    } else {
        (0.75 * cap as f64 / records as f64).min(2.0)
    };
    let span = (last.num_milliseconds() as f64 * factor) as i64;
    whole(chrono::Duration::milliseconds(span), precision)
}

/// The part of the ramp after `last`: [`RAMP_GROWTH`] times as large, a whole number
/// of `precision` and at least one more of it than `last` (so a ramp of whole hours
/// still grows).
fn next_ramp(last: chrono::Duration, precision: chrono::Duration) -> chrono::Duration {
    let (times, per) = RAMP_GROWTH;
    let step = precision.max(chrono::Duration::milliseconds(1));
    whole(last * times / per, precision).max(last + step)
}

/// `span` cut down to a whole number of `precision` (at least one), so a part's
/// bounds stay what the API's format can say.
fn whole(span: chrono::Duration, precision: chrono::Duration) -> chrono::Duration {
    let (span, step) = (span.num_milliseconds(), precision.num_milliseconds().max(1));
    chrono::Duration::milliseconds((span - span % step).max(step))
}

/// The wire name of the root's first child array (CAI: `messages`), for counting.
fn first_child_member(model: &cai_bridge_model::Model) -> Option<String> {
    model
        .root()
        .layout
        .members
        .iter()
        .find_map(|m| match m.value {
            MemberValue::Children(0) => Some(m.wire.clone()),
            _ => None,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_next_part_aims_at_three_quarters_of_the_cap() {
        let hour = chrono::Duration::hours(1);
        let ms = chrono::Duration::milliseconds(1);
        assert_eq!(next_span(hour, 500, 1000, ms), hour + hour / 2);
        assert_eq!(next_span(hour, 900, 1000, ms), hour * 5 / 6);
        assert_eq!(next_span(hour, 100, 1000, ms), hour * 2);
        assert_eq!(next_span(hour, 0, 1000, ms), hour * 2);
        assert_eq!(next_span(ms * 3, 999, 1000, ms), ms * 2);
        assert_eq!(next_span(ms, 999, 1000, ms), ms);
        let second = chrono::Duration::seconds(1);
        assert_eq!(next_span(second * 10, 800, 1000, second), second * 9);
        assert_eq!(next_span(second, 999, 1000, second), second);
    }

    #[test]
    fn the_first_part_is_a_whole_number_of_the_bounds_precision() {
        let day = chrono::Duration::days(1);
        let ms = chrono::Duration::milliseconds(1);
        // Dates cannot say a thirty-second of a day: the window is asked for whole.
        assert_eq!(whole(day / RAMP_PARTS as i32, day), day);
        assert_eq!(whole(day / RAMP_PARTS as i32, ms), day / 32);
        let second = chrono::Duration::seconds(1);
        assert_eq!(whole(ms * 2500, second), second * 2);
    }

    #[test]
    fn the_ramp_grows_by_half_in_whole_steps_of_the_bounds_precision() {
        let hour = chrono::Duration::hours(1);
        let ms = chrono::Duration::milliseconds(1);
        assert_eq!(next_ramp(hour * 2, ms), hour * 3);
        assert_eq!(next_ramp(hour, hour), hour * 2);
        assert_eq!(next_ramp(hour * 2, hour), hour * 3);
        assert_eq!(next_ramp(hour * 3, hour), hour * 4);
        let day = chrono::Duration::days(1);
        assert_eq!(next_ramp(day, day), day * 2);
    }

    #[test]
    fn windows_cover_the_range_without_gaps() {
        let from = DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let to = from + chrono::Duration::hours(50);
        let windows = plan(from, to, Duration::from_secs(24 * 3600));
        assert_eq!(windows.len(), 3);
        assert_eq!(windows[0].0, from);
        assert_eq!(windows[2].1, to);
        assert!(windows.windows(2).all(|w| w[0].1 == w[1].0));
    }
}
