//! The accept loop: HTTP/1.1 connections with the limits a server facing a network
//! needs, which `axum::serve` does not let us set. A client that sends half a request
//! line, or keeps a connection idle, is cut off after [`HEADER_READ_TIMEOUT`]; at most
//! [`MAX_CONNECTIONS`] connections are open at once (more are closed on accept, so a
//! flood of idle sockets cannot exhaust memory or file descriptors); a request head
//! larger than [`MAX_HEAD`] is refused by hyper with a 4xx.

use std::sync::Arc;
use std::time::Duration;

use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::{oneshot, Semaphore};

/// How long a client may take to send a request head, and how long a kept-alive
/// connection may wait for its next one.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// Connections open at once.
pub const MAX_CONNECTIONS: usize = 256;

/// The largest request head (request line and headers), in bytes: room for a long
/// `$filter` (at most 8 KiB) percent-encoded, and for the headers.
pub const MAX_HEAD: usize = 64 * 1024;

/// How long a graceful stop waits for running requests before it drops them.
const DRAIN: Duration = Duration::from_secs(10);

/// Serves `app` on `listener` until `stop` fires, then lets running requests finish.
pub async fn serve(listener: TcpListener, app: axum::Router, stop: oneshot::Receiver<()>) {
    let open = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    let graceful = GracefulShutdown::new();
    let mut stop = stop;
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(error) => {
                    // Out of file descriptors, say: wait a little instead of spinning.
                    tracing::warn!(%error, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = &mut stop => break,
        };
        let Ok(permit) = open.clone().try_acquire_owned() else {
            tracing::warn!(
                limit = MAX_CONNECTIONS,
                "too many open connections; closing a new one"
            );
            drop(stream);
            continue;
        };
        let _ = stream.set_nodelay(true);
        let connection = hyper::server::conn::http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(HEADER_READ_TIMEOUT)
            .max_buf_size(MAX_HEAD)
            .serve_connection(TokioIo::new(stream), TowerToHyperService::new(app.clone()));
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                // Timeouts and clients that hang up are the network's business.
                tracing::debug!(%error, "connection ended");
            }
            drop(permit);
        });
    }
    if tokio::time::timeout(DRAIN, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("requests still running after {DRAIN:?}; stopping anyway");
    }
}
