//! `/health/live` and `/health/ready` for Kubernetes probes: open without a token, so
//! they answer `{"status":"ok"}` and nothing else. Live: the process answers. Ready:
//! the database, checked against the model at start, still opens and answers a query.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use super::Shared;

/// The probe routes.
pub(super) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route(
            "/health/live",
            get(|| async { status(StatusCode::OK, "ok") }),
        )
        .route("/health/ready", get(ready))
        .with_state(shared)
}

async fn ready(State(shared): State<Arc<Shared>>) -> Response {
    let checked = tokio::task::spawn_blocking(move || {
        let conn = shared.pool.get()?;
        conn.query_row("SELECT count(*) FROM sqlite_master", [], |row| {
            row.get::<_, i64>(0)
        })
    })
    .await;
    match checked {
        Ok(Ok(_)) => status(StatusCode::OK, "ok"),
        Ok(Err(error)) => {
            tracing::warn!(%error, "not ready: the database does not answer");
            status(StatusCode::SERVICE_UNAVAILABLE, "unavailable")
        }
        Err(error) => {
            tracing::warn!(%error, "not ready: the check did not finish");
            status(StatusCode::SERVICE_UNAVAILABLE, "unavailable")
        }
    }
}

fn status(code: StatusCode, status: &'static str) -> Response {
    let mut response = (code, serde_json::json!({ "status": status }).to_string()).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}
