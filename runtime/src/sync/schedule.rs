//! Sync on a schedule, in the process that serves (`serve --sync-every`): SQLite has
//! one writer, so on Kubernetes one pod both syncs and serves. A run that fails is
//! logged and shown in the [`Schedule`]'s status, and the next tick tries again;
//! nothing a sync does stops the serving.

use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use cai_bridge_model::format;
use serde::Serialize;

use super::{now, Stop, Summary, SyncError};

/// When syncs run and how the last one went.
#[derive(Debug)]
pub struct Schedule {
    every: Duration,
    status: Mutex<Status>,
}

/// What `/health/sync` shows: times, counts and the kind of the last error, never a
/// message (one can quote an API answer) nor a setting.
#[derive(Clone, Debug, Default, Serialize)]
struct Status {
    /// `starting`, `running`, `waiting` or `stopped`.
    state: &'static str,
    /// The period, in seconds.
    every_seconds: u64,
    /// Runs finished, failed ones included.
    runs: u64,
    /// Runs that failed.
    failures: u64,
    /// Runs that failed since the last that did not.
    consecutive_failures: u64,
    /// When the running sync started.
    #[serde(skip_serializing_if = "Option::is_none")]
    running_since: Option<String>,
    /// The last finished run.
    #[serde(skip_serializing_if = "Option::is_none")]
    last_run: Option<LastRun>,
    /// When the last successful run finished.
    #[serde(skip_serializing_if = "Option::is_none")]
    last_success: Option<String>,
    /// When the next run starts.
    #[serde(skip_serializing_if = "Option::is_none")]
    next_run: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
struct LastRun {
    started: String,
    finished: String,
    /// `ok`, `failed`, or `skipped` (another process was syncing).
    outcome: &'static str,
    /// Root records and rows stored (0 when it failed: the windows it committed
    /// before failing are kept, and the next run starts after them).
    records: u64,
    rows: u64,
    /// [`SyncError::kind`] (or `panic`) and the exit code `sync` would have ended with.
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    exit_code: Option<u8>,
}

impl Schedule {
    /// A schedule of one run every `every`, the first at once.
    pub fn new(every: Duration) -> Self {
        Schedule {
            every,
            status: Mutex::new(Status {
                state: "starting",
                every_seconds: every.as_secs(),
                ..Status::default()
            }),
        }
    }

    /// The status as JSON, for `/health/sync`.
    pub fn status_json(&self) -> serde_json::Value {
        serde_json::to_value(&*self.status()).unwrap_or_default()
    }

    fn status(&self) -> std::sync::MutexGuard<'_, Status> {
        // Every update leaves the status whole, so a poisoned lock is still usable.
        self.status.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs `sync` at once and then every period (measured from one start to the
    /// next; a run longer than the period is followed at once by the next) until
    /// `stop` fires. Blocks: call it on the thread that writes the database.
    pub fn run(&self, stop: &Stop, mut sync: impl FnMut() -> Result<Summary, SyncError>) {
        while !stop.is_stopped() {
            let started = Instant::now();
            let started_at = format::timestamp_text(now());
            {
                let mut status = self.status();
                status.state = "running";
                status.running_since = Some(started_at.clone());
                status.next_run = None;
            }
            // A panic in one run (a bug) must not end the schedule, nor leave the
            // status saying "running" for ever: it counts as a failed run. The
            // run's connection is dropped on the way out, rolling its window back.
            let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(&mut sync));
            let finished = format::timestamp_text(now());
            let mut status = self.status();
            status.running_since = None;
            let last = match &result {
                Err(_) => {
                    tracing::error!(
                        "scheduled sync panicked; serving goes on, and the next run tries again"
                    );
                    status.failures += 1;
                    status.consecutive_failures += 1;
                    LastRun {
                        started: started_at,
                        finished,
                        outcome: "failed",
                        records: 0,
                        rows: 0,
                        error: Some("panic"),
                        exit_code: None,
                    }
                }
                Ok(Err(SyncError::Stopped { windows })) => {
                    tracing::info!(windows, "sync stopped between windows");
                    break;
                }
                Ok(Err(SyncError::Busy)) => {
                    // Several replicas on one PostgreSQL database: one syncs, the
                    // others serve and try again at their next tick.
                    tracing::info!("sync skipped: another process is syncing this database");
                    LastRun {
                        started: started_at,
                        finished,
                        outcome: "skipped",
                        records: 0,
                        rows: 0,
                        error: None,
                        exit_code: None,
                    }
                }
                Ok(Ok(summary)) => {
                    tracing::info!(%summary, "scheduled sync done");
                    status.consecutive_failures = 0;
                    status.last_success = Some(finished.clone());
                    LastRun {
                        started: started_at,
                        finished,
                        outcome: "ok",
                        records: summary.records,
                        rows: summary.rows,
                        error: None,
                        exit_code: None,
                    }
                }
                Ok(Err(error)) => {
                    tracing::error!(%error, kind = error.kind(), "scheduled sync failed; serving goes on, and the next run tries again");
                    status.failures += 1;
                    status.consecutive_failures += 1;
                    LastRun {
                        started: started_at,
                        finished,
                        outcome: "failed",
                        records: 0,
                        rows: 0,
                        error: Some(error.kind()),
                        exit_code: Some(error.exit_code()),
                    }
                }
            };
            status.runs += 1;
            status.last_run = Some(last);
            let wait = (started + self.every).saturating_duration_since(Instant::now());
            status.state = "waiting";
            status.next_run = chrono::Duration::from_std(wait)
                .ok()
                .map(|wait| format::timestamp_text(now() + wait));
            drop(status);
            if stop.wait_timeout(wait) {
                break;
            }
        }
        let mut status = self.status();
        status.state = "stopped";
        status.running_since = None;
        status.next_run = None;
    }
}

/// Parses a period: a whole number and a unit, `s`, `m`, `h` or `d`, or several of
/// them (`1h30m`); at least one second.
pub fn parse_period(text: &str) -> Result<Duration, String> {
    let usage = || format!("{text:?} is not a period; write e.g. 30s, 15m, 1h or 1h30m");
    let mut total: u64 = 0;
    let mut rest = text.trim();
    if rest.is_empty() {
        return Err(usage());
    }
    while !rest.is_empty() {
        let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        let (number, tail) = rest.split_at(digits);
        let unit_len = tail.len()
            - tail
                .trim_start_matches(|c: char| c.is_ascii_alphabetic())
                .len();
        let (unit, tail) = tail.split_at(unit_len);
        let number: u64 = number.parse().map_err(|_| usage())?;
        let seconds = match unit {
            "s" => 1,
            "m" => 60,
            "h" => 3600,
            "d" => 86_400,
            _ => return Err(usage()),
        };
        total = number
            .checked_mul(seconds)
            .and_then(|s| total.checked_add(s))
            .ok_or_else(usage)?;
        rest = tail;
    }
    if total == 0 {
        return Err(format!("{text:?}: the period must be at least 1s"));
    }
    Ok(Duration::from_secs(total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_parse() {
        assert_eq!(parse_period("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_period("15m"), Ok(Duration::from_secs(900)));
        assert_eq!(parse_period("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_period("2d"), Ok(Duration::from_secs(172_800)));
        for bad in [
            "",
            "15",
            "m",
            "1.5h",
            "10x",
            "0s",
            "-1s",
            "99999999999999999999d",
        ] {
            assert!(parse_period(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn failed_and_panicking_runs_are_counted_and_the_next_run_tries_again() {
        let schedule = Schedule::new(Duration::from_millis(1));
        let stop = Stop::new();
        let mut calls = 0;
        schedule.run(&stop, || {
            calls += 1;
            match calls {
                1 => Err(SyncError::Range("nothing".into())),
                2 => panic!("a bug in one run"),
                3 => Err(SyncError::Stopped { windows: 0 }),
                _ => unreachable!(),
            }
        });
        let status = schedule.status_json();
        assert_eq!(status["runs"], 2);
        assert_eq!(status["failures"], 2);
        assert_eq!(status["consecutive_failures"], 2);
        assert_eq!(status["last_run"]["error"], "panic");
    }

    #[test]
    fn a_failed_run_shows_only_its_kind() {
        let schedule = Schedule::new(Duration::from_millis(1));
        let stop = Stop::new();
        let mut calls = 0;
        schedule.run(&stop, || {
            calls += 1;
            match calls {
                1 => Err(SyncError::Range("nothing".into())),
                _ => Err(SyncError::Stopped { windows: 0 }),
            }
        });
        let status = schedule.status_json();
        assert_eq!(status["runs"], 1);
        assert_eq!(status["failures"], 1);
        assert_eq!(status["last_run"]["outcome"], "failed");
        assert_eq!(status["last_run"]["error"], "range");
        assert_eq!(status["state"], "stopped");
        assert!(!status.to_string().contains("nothing"), "{status}");
    }
}
