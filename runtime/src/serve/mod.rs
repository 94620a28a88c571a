//! The OData V4 server that SAP Analytics Cloud imports from: read-only, over the
//! SQLite file that `sync` fills, with the `$metadata` the generator emits and the
//! answers CAP would give for the same file (`cds serve` stays a drop-in alternative).
//!
//! - `GET <path>/` service document, `<path>/$metadata` the CSDL, `<path>/<Set>` with
//!   `$select`, `$filter`, `$expand`, `$orderby`, `$top`, `$skip`, `$count`;
//!   `<path>/<Set>/$count` and `<path>/<Set>(key)`, then navigation and property
//!   segments (`…(key)/messages`, `…/conversation`, `…/channel_type/$value`).
//! - Navigation as CAP answers it (see `expand`, `nested`, `navigation` and the
//!   filter's `path`): compositions and the association back, in `$expand` (nested,
//!   with options), in paths and in `$filter` (`a/b`, `any`, `all`, `a/$count`).
//! - Pages of at most 1000 entities with `@odata.nextLink` (`$skiptoken`), ties
//!   ordered by key, nulls written, as CAP does; Int64 as strings when the client
//!   asks for `IEEE754Compatible=true`, so values above 2^53 survive JavaScript.
//! - Every client mistake is a 4xx with an OData error body; 5xx only for faults of
//!   the server, logged with their cause.
//!
//! Authentication is the platform's: on Kyma the APIRule checks SAP Analytics
//! Cloud's OAuth2 token before a request reaches this server.

mod catalog;
mod error;
mod expand;
pub mod filter;
mod navigation;
mod nested;
mod pool;
mod read;
mod request;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::load::{check_schema, SchemaError};
use crate::Artifacts;
use catalog::Catalog;
use error::ODataError;
use read::{Answer, Source};
use request::Resource;

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// There is no database file.
    #[error("no database at {0}; run `sync` (or `demo`) first to create it")]
    NoDatabase(PathBuf),
    /// The database is not the model's.
    #[error(transparent)]
    Schema(#[from] SchemaError),
    /// Waiting for the stop signal failed.
    #[error("cannot wait for a stop signal: {0}")]
    Signal(std::io::Error),
    /// The address could not be bound.
    #[error("cannot listen on {addr}: {source}; pick another address with --addr")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// Why binding failed.
        source: std::io::Error,
    },
}

impl ServeError {
    /// The exit code of the bridge CLI for this error (see `cli`).
    pub fn exit_code(&self) -> u8 {
        match self {
            ServeError::Bind { .. } => 2,
            _ => 3,
        }
    }
}

/// A running server.
pub struct ODataServer {
    addr: SocketAddr,
    path: String,
    stop: oneshot::Sender<()>,
    task: JoinHandle<()>,
}

struct Shared {
    catalog: Catalog,
    pool: pool::Pool,
}

impl ODataServer {
    /// Checks `db` against the bridge's model (read-only) and serves it on `addr`
    /// (port 0 picks a free one).
    pub async fn start(
        artifacts: &Artifacts,
        db: &Path,
        addr: SocketAddr,
    ) -> Result<Self, ServeError> {
        if !db.is_file() {
            return Err(ServeError::NoDatabase(db.to_owned()));
        }
        let pool = pool::Pool::new(db.to_owned());
        check_schema(&pool.open().map_err(SchemaError::from)?, &artifacts.model)?;
        let catalog = Catalog::new(artifacts);
        let path = catalog.path.clone();
        let shared = Arc::new(Shared { catalog, pool });
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|source| ServeError::Bind { addr, source })?;
        let addr = listener
            .local_addr()
            .map_err(|source| ServeError::Bind { addr, source })?;
        let app = axum::Router::new().fallback(handle).with_state(shared);
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let server = axum::serve(listener, app).with_graceful_shutdown(async {
                let _ = stopped.await;
            });
            if let Err(error) = server.await {
                tracing::error!(%error, "the OData server stopped");
            }
        });
        tracing::info!(%addr, %path, "OData server listening");
        Ok(ODataServer {
            addr,
            path,
            stop,
            task,
        })
    }

    /// The address it listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The service URL (`http://127.0.0.1:4004/odata/v4/catalog/`).
    pub fn url(&self) -> String {
        format!("http://{}{}/", self.addr, self.path)
    }

    /// Stops accepting requests, lets running ones finish, and waits.
    pub async fn shutdown(self) {
        let _ = self.stop.send(());
        let _ = self.task.await;
    }
}

/// Every request: only reads, answered on a blocking thread (SQLite is synchronous).
async fn handle(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    if method != Method::GET && method != Method::HEAD {
        let mut response = ODataError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            format!("{method} is not allowed: the service is read-only"),
        )
        .into_response();
        response
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
        return response;
    }
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let answered = tokio::task::spawn_blocking(move || {
        answer(
            &shared,
            uri.path(),
            uri.query().unwrap_or_default(),
            &accept,
        )
    })
    .await;
    match answered {
        Ok(Ok(answer)) => respond(answer),
        Ok(Err(error)) => error.into_response(),
        Err(join) => ODataError::internal(&join).into_response(),
    }
}

fn answer(shared: &Shared, path: &str, query: &str, accept: &str) -> Result<Answer, ODataError> {
    let catalog = &shared.catalog;
    let connection = || shared.pool.get().map_err(|e| ODataError::internal(&e));
    match request::resource(catalog, path)? {
        Resource::ServiceDocument => Ok(read::service_document(catalog)),
        Resource::Metadata => Ok(Answer::Xml(catalog.metadata.clone())),
        Resource::Collection { set, count_only } => {
            let options = request::options(set, query, accept)?;
            read::collection(
                &*connection()?,
                catalog,
                &Source::set(set),
                &options,
                count_only,
            )
        }
        Resource::Entity { set, key } => {
            let options = request::options(set, query, accept)?;
            read::entity(&*connection()?, catalog, &Source::key(set, &key)?, &options)
        }
        Resource::Path(path) => navigation::answer(&*connection()?, catalog, &path, query, accept),
    }
}

fn respond(answer: Answer) -> Response {
    let (content_type, body) = match answer {
        Answer::NoContent => {
            let mut response = StatusCode::NO_CONTENT.into_response();
            let headers = response.headers_mut();
            headers.insert("OData-Version", HeaderValue::from_static("4.0"));
            return response;
        }
        Answer::Json(body) => ("application/json;odata.metadata=minimal", body),
        Answer::Text(text) => ("text/plain", text.into_bytes()),
        Answer::Xml(text) => ("application/xml", text.into_bytes()),
    };
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert("OData-Version", HeaderValue::from_static("4.0"));
    response
}

/// Serves `db` on `addr` until Ctrl-C or SIGTERM: the `serve` command.
pub fn run(
    runtime: &tokio::runtime::Runtime,
    artifacts: &Artifacts,
    db: &Path,
    addr: SocketAddr,
) -> Result<(), ServeError> {
    runtime.block_on(async {
        let server = ODataServer::start(artifacts, db, addr).await?;
        println!("OData V4 service: {}", server.url());
        println!("  $metadata:      {}$metadata", server.url());
        let signal = crate::signal::wait_for_signal().await;
        server.shutdown().await;
        signal.map_err(ServeError::Signal)
    })
}
