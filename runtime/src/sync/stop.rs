//! A stop request that both sides of a sync can see: the writer thread, which
//! checks it between windows, and the fetching task and a scheduler, which wait for
//! it.

use std::sync::{Condvar, Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::Notify;

/// Fired once (a SIGTERM, say); every waiter returns and every check says so after.
#[derive(Debug, Default)]
pub struct Stop {
    stopped: Mutex<bool>,
    /// Wakes threads in [`Stop::wait_timeout`].
    threads: Condvar,
    /// Wakes tasks in [`Stop::stopped`].
    tasks: Notify,
}

impl Stop {
    /// A stop not fired yet.
    pub fn new() -> Self {
        Stop::default()
    }

    /// Fires the stop.
    pub fn stop(&self) {
        *self.stopped.lock().unwrap_or_else(PoisonError::into_inner) = true;
        self.threads.notify_all();
        self.tasks.notify_waiters();
    }

    /// Whether the stop was fired.
    pub fn is_stopped(&self) -> bool {
        *self.stopped.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Blocks for at most `timeout`, less if the stop fires; whether it fired.
    pub fn wait_timeout(&self, timeout: Duration) -> bool {
        let stopped = self.stopped.lock().unwrap_or_else(PoisonError::into_inner);
        let (stopped, _) = self
            .threads
            .wait_timeout_while(stopped, timeout, |stopped| !*stopped)
            .unwrap_or_else(PoisonError::into_inner);
        *stopped
    }

    /// Returns once the stop has fired.
    pub async fn stopped(&self) {
        let notified = self.tasks.notified();
        tokio::pin!(notified);
        // Registered before the check, so a stop between the check and the await
        // still wakes it.
        notified.as_mut().enable();
        if self.is_stopped() {
            return;
        }
        notified.await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stop_wakes_a_waiting_thread() {
        let stop = std::sync::Arc::new(Stop::new());
        assert!(!stop.wait_timeout(Duration::from_millis(1)));
        let other = std::sync::Arc::clone(&stop);
        let waiter = std::thread::spawn(move || other.wait_timeout(Duration::from_secs(600)));
        stop.stop();
        assert!(waiter.join().unwrap());
        assert!(stop.is_stopped());
    }
}
