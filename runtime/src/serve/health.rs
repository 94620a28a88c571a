//! `/health/live` and `/health/ready` for Kubernetes probes: open without a token, so
//! they answer `{"status":"ok"}` and nothing else. Live: the process answers. Ready:
//! the database exists, its schema is the model's (checked once, at start or, for
//! `serve --sync-every`, once the first sync created it), and it answers a query.
//! `/health/sync` (with `--sync-every` only) shows the sync schedule's status: times,
//! counts and the kind of the last error, no message and no setting.

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
        .route("/health/sync", get(sync_status))
        .with_state(shared)
}

async fn sync_status(State(shared): State<Arc<Shared>>) -> Response {
    let Some(schedule) = &shared.schedule else {
        return status(
            StatusCode::NOT_FOUND,
            "no sync in this process (serve --sync-every)",
        );
    };
    json(StatusCode::OK, schedule.status_json())
}

async fn ready(State(shared): State<Arc<Shared>>) -> Response {
    let checked = tokio::task::spawn_blocking(move || {
        let pool = match shared.db.pool() {
            Ok(pool) => pool,
            Err(error) => return Ok(Err(error)),
        };
        // A read that goes through: the database answers.
        let conn = pool.get()?;
        conn.connection()
            .number("SELECT count(*) FROM (SELECT 1) AS one", &[])
            .map(Ok)
            .map_err(|e| e.message)
    })
    .await;
    match checked {
        Ok(Ok(Ok(_))) => status(StatusCode::OK, "ok"),
        Ok(Ok(Err(error))) => {
            tracing::info!(%error, "not ready: the database is not there or not the model's yet");
            status(StatusCode::SERVICE_UNAVAILABLE, "unavailable")
        }
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
    json(code, serde_json::json!({ "status": status }))
}

fn json(code: StatusCode, body: serde_json::Value) -> Response {
    let mut response = (code, body.to_string()).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}
