//! What a sync shows: a progress bar on a terminal (windows, records, children and
//! rate), nothing otherwise or with `--quiet`, and a summary line at the end.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::record::{Member, Record};

/// The items of the child array `child` in `records`, all together.
pub(super) fn items<R: Record>(records: &[R], child: &str) -> u64 {
    records
        .iter()
        .map(|r| match r.member(child) {
            Member::List(items) => items.len() as u64,
            _ => 0,
        })
        .sum()
}

/// What a finished sync did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Summary {
    /// Planned windows synced.
    pub windows: u64,
    /// Root records stored (conversations).
    pub records: u64,
    /// Items of the first child array (messages).
    pub children: u64,
    /// Rows written, all tables.
    pub rows: u64,
    /// HTTP requests to the log endpoint.
    pub requests: u64,
    /// Retried attempts.
    pub retries: u64,
    /// Token refreshes after a 401.
    pub refreshes: u64,
    /// Windows split at the result cap.
    pub splits: u64,
    /// The range synced.
    pub from: String,
    /// The range synced (and the new high-water mark).
    pub to: String,
    /// How long it took, in milliseconds.
    pub millis: u64,
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let seconds = self.millis as f64 / 1000.0;
        write!(
            f,
            "synced {} records ({} children, {} rows) in {} windows ({} split) from {} to {} in {:.1}s; {} requests, {} retries, {} token refreshes",
            self.records, self.children, self.rows, self.windows, self.splits, self.from, self.to, seconds,
            self.requests, self.retries, self.refreshes
        )
    }
}

pub(super) struct Progress {
    bar: ProgressBar,
    child: Option<String>,
    started: Instant,
    windows: u64,
    records: u64,
    children: u64,
    rows: u64,
}

impl Progress {
    pub(super) fn new(windows: u64, quiet: bool, child: Option<String>) -> Self {
        let bar = if quiet || !std::io::stderr().is_terminal() {
            ProgressBar::with_draw_target(Some(windows), ProgressDrawTarget::hidden())
        } else {
            ProgressBar::new(windows)
        };
        if let Ok(style) =
            ProgressStyle::with_template("{spinner} [{bar:30}] {pos}/{len} windows · {msg}")
        {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.enable_steady_tick(Duration::from_millis(120));
        Progress {
            bar,
            child,
            started: Instant::now(),
            windows: 0,
            records: 0,
            children: 0,
            rows: 0,
        }
    }

    pub(super) fn record(&mut self, records: u64, children: u64, rows: u64, ends_window: bool) {
        self.records += records;
        self.children += children;
        self.rows += rows;
        if ends_window {
            self.windows += 1;
            self.bar.inc(1);
        }
        let rate = self.records as f64 / self.started.elapsed().as_secs_f64().max(0.001);
        self.bar.set_message(format!(
            "{} records · {} {} · {rate:.0}/s",
            self.records,
            self.children,
            self.child.as_deref().unwrap_or("children")
        ));
    }

    /// Planned windows committed so far.
    pub(super) fn windows(&self) -> u64 {
        self.windows
    }

    pub(super) fn finish(
        self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        elapsed: Duration,
        (requests, retries, refreshes, splits): (u64, u64, u64, u64),
    ) -> Summary {
        self.bar.finish_and_clear();
        Summary {
            windows: self.windows,
            records: self.records,
            children: self.children,
            rows: self.rows,
            requests,
            retries,
            refreshes,
            splits,
            from: cai_bridge_model::format::timestamp_text(from),
            to: cai_bridge_model::format::timestamp_text(to),
            millis: elapsed.as_millis() as u64,
        }
    }
}
