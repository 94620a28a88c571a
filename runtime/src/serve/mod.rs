//! The OData V4 server that SAP Analytics Cloud imports from: read-only, over the
//! SQLite file or the PostgreSQL database that `sync` fills, with the `$metadata` the
//! generator emits and the answers CAP would give for the same database (`cds serve`,
//! with `@cap-js/sqlite` or `@cap-js/postgres`, stays a drop-in alternative).
//!
//! - `GET <path>/` service document, `<path>/$metadata` the CSDL, `<path>/<Set>` with
//!   `$select`, `$filter`, `$search`, `$apply` (aggregation), `$expand`, `$orderby`,
//!   `$top`, `$skip`, `$count`; `<path>/<Set>/$count` and `<path>/<Set>(key)`, then
//!   navigation and property segments (`…(key)/messages`, `…/conversation`,
//!   `…/channel_type/$value`); `POST <path>/$batch` of reads.
//! - Navigation as CAP answers it (see `expand`, `nested`, `navigation` and the
//!   filter's `path`): compositions and the association back, in `$expand` (nested,
//!   with options), in paths and in `$filter` (`a/b`, `any`, `all`, `a/$count`).
//! - Pages of at most 1000 entities with `@odata.nextLink` (`$skiptoken`), ties
//!   ordered by key, nulls written, as CAP does; Int64 as strings when the client
//!   asks for `IEEE754Compatible=true`, so values above 2^53 survive JavaScript.
//! - Every client mistake is a 4xx with an OData error body; 5xx only for faults of
//!   the server, logged with their cause.
//!
//! Every OData request needs a bearer token, from the server's own `POST
//! /oauth/token` or from an external issuer ([`Auth`], see [`auth`]); `/health/live`
//! and `/health/ready` need none.

mod apply;
pub mod auth;
mod batch;
mod catalog;
mod connection;
mod database;
mod error;
mod expand;
pub mod filter;
mod health;
mod listen;
mod memory;
mod metadata;
mod navigation;
mod nested;
mod pg_value;
mod pool;
mod read;
mod request;
mod search;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use cai_bridge_model::config::Config;
use cai_bridge_model::dialect::Dialect;
use rusqlite::InterruptHandle;
use tokio::sync::{oneshot, Semaphore};
use tokio::task::JoinHandle;

use crate::load::SchemaError;
use crate::postgres::PgError;
use crate::settings::{ApiSettings, SyncSettings};
use crate::sync::schedule::Schedule;
use crate::sync::{self, Stop};
use crate::Artifacts;
pub use auth::{Auth, AuthOptions, AuthSetupError, EmbeddedAuth, PlatformAuth};
use catalog::Catalog;
use database::{Database, NotReady};
use error::ODataError;
pub use pool::SQLITE_FLAGS;
use read::{Answer, Source};
use request::Resource;

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// There is no database file.
    #[error("no database at {0}; run `sync` (or `demo`) first to create it, or serve with --sync-every, whose first sync creates it")]
    NoDatabase(PathBuf),
    /// The database is not the model's.
    #[error(transparent)]
    Schema(#[from] SchemaError),
    /// Waiting for the stop signal failed.
    #[error("cannot wait for a stop signal: {0}")]
    Signal(std::io::Error),
    /// Authentication could not be set up.
    #[error(transparent)]
    Auth(#[from] AuthSetupError),
    /// PostgreSQL cannot be reached.
    #[error(transparent)]
    Postgres(#[from] PgError),
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
            ServeError::Bind { .. } | ServeError::Auth(_) => 2,
            _ => 3,
        }
    }
}

/// A running server.
pub struct ODataServer {
    addr: SocketAddr,
    path: String,
    token_endpoint: bool,
    stop: oneshot::Sender<()>,
    task: JoinHandle<()>,
}

struct Shared {
    catalog: Catalog,
    db: Arc<Database>,
    /// The sync schedule of `serve --sync-every`, for `/health/sync`.
    schedule: Option<Arc<Schedule>>,
    /// One permit per request being answered: reads run on blocking threads,
    /// and this keeps their number (and the connections they hold) bounded however
    /// many clients wait.
    readers: Arc<Semaphore>,
    /// Reads answered so far, for [`memory::trim_when_idle`].
    answered: AtomicU64,
}

/// The media type of every JSON answer, CAP's.
const JSON: &str = "application/json; charset=utf-8";

/// Requests answered at once; the rest wait their turn (within [`REQUEST_TIMEOUT`]).
const READERS: usize = 4;

/// The longest a request may take, waiting included; then it is interrupted and
/// answered 503, so a query too heavy for the file cannot hold a reader forever.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// How [`ODataServer::start_with`] starts.
#[derive(Clone, Debug, Default)]
pub struct ServeOptions {
    /// Start even when the database is missing or not the model's yet (a sync in the
    /// same process will create it): OData answers 503 and `/health/ready` holds
    /// until the file exists with the model's schema. Without it, starting fails.
    pub wait_for_database: bool,
    /// The sync schedule whose status `GET /health/sync` shows (no token needed).
    pub schedule: Option<Arc<Schedule>>,
}

impl ODataServer {
    /// Checks `db` against the bridge's model (read-only) and serves it on `addr`
    /// (port 0 picks a free one) to the requests `auth` lets through.
    pub async fn start(
        artifacts: &Artifacts,
        db: &crate::database_url::Database,
        addr: SocketAddr,
        auth: Auth,
    ) -> Result<Self, ServeError> {
        Self::start_with(artifacts, db, addr, auth, ServeOptions::default()).await
    }

    /// [`start`](Self::start) with [`ServeOptions`].
    pub async fn start_with(
        artifacts: &Artifacts,
        db: &crate::database_url::Database,
        addr: SocketAddr,
        auth: Auth,
        options: ServeOptions,
    ) -> Result<Self, ServeError> {
        let dialect = match db {
            crate::database_url::Database::Sqlite(_) => Dialect::Sqlite,
            crate::database_url::Database::Postgres(_) => Dialect::Postgres,
        };
        let catalog = Catalog::new(artifacts, dialect);
        let database = Arc::new(Database::later(db, artifacts.model.clone()));
        if !options.wait_for_database {
            // Opening waits for PostgreSQL on a blocking thread, as requests do.
            let opening = Arc::clone(&database);
            let opened = tokio::task::spawn_blocking(move || opening.pool().map(|_| ()))
                .await
                .unwrap_or_else(|join| std::panic::resume_unwind(join.into_panic()));
            match opened {
                Ok(()) => {}
                Err(NotReady::Missing(path)) => return Err(ServeError::NoDatabase(path)),
                Err(NotReady::Schema(e)) => return Err(e.into()),
                Err(NotReady::Postgres(e)) => return Err(e.into()),
            }
        }
        let path = catalog.path.clone();
        let shared = Arc::new(Shared {
            catalog,
            db: database,
            schedule: options.schedule,
            readers: Arc::new(Semaphore::new(READERS)),
            answered: AtomicU64::new(0),
        });
        tokio::spawn(memory::trim_when_idle(Arc::downgrade(&shared)));
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|source| ServeError::Bind { addr, source })?;
        let addr = listener
            .local_addr()
            .map_err(|source| ServeError::Bind { addr, source })?;
        let token_endpoint = matches!(auth, Auth::Embedded(_));
        let odata = axum::Router::new()
            .fallback(handle)
            .with_state(Arc::clone(&shared));
        let app = auth::router(auth, odata, &path)?.merge(health::router(shared));
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(listen::serve(listener, app, stopped));
        tracing::info!(%addr, %path, "OData server listening");
        Ok(ODataServer {
            addr,
            path,
            token_endpoint,
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

    /// The embedded token endpoint (`http://127.0.0.1:4004/oauth/token`), if the
    /// server has one ([`Auth::Embedded`]).
    pub fn token_url(&self) -> Option<String> {
        self.token_endpoint
            .then(|| format!("http://{}{}", self.addr, auth::TOKEN_PATH))
    }

    /// Stops accepting requests, lets running ones finish, and waits.
    pub async fn shutdown(self) {
        let _ = self.stop.send(());
        let _ = self.task.await;
    }
}

/// Every request: reads, and `$batch`es of reads.
async fn handle(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: axum::body::Body,
) -> Response {
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    if method == Method::POST && uri.path() == format!("{}/$batch", shared.catalog.path) {
        return batch::answer(&shared, &headers, body).await;
    }
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
    read(
        Arc::clone(&shared),
        uri.path().to_owned(),
        uri.query().unwrap_or_default().to_owned(),
        accept,
    )
    .await
}

/// One read, answered on a blocking thread (SQLite is synchronous, and PostgreSQL is
/// waited for there) within the reader limit and the request timeout.
async fn read(shared: Arc<Shared>, path: String, query: String, accept: String) -> Response {
    // Where the running query can be interrupted from, once it has a connection.
    let interrupt: Arc<Mutex<Option<InterruptHandle>>> = Arc::default();
    let slot = Arc::clone(&interrupt);
    let readers = Arc::clone(&shared.readers);
    let answered = tokio::time::timeout(REQUEST_TIMEOUT, async move {
        let permit = readers.acquire_owned().await;
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            let answer = answer(&shared, &slot, &path, &query, &accept);
            shared.answered.fetch_add(1, Ordering::Relaxed);
            answer
        })
        .await
    })
    .await;
    match answered {
        Ok(Ok(Ok(answer))) => respond(answer),
        Ok(Ok(Err(error))) => error.into_response(),
        Ok(Err(join)) => ODataError::internal(&join).into_response(),
        Err(_) => {
            if let Some(handle) = interrupt
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .take()
            {
                handle.interrupt();
            }
            tracing::warn!("a request took longer than {REQUEST_TIMEOUT:?}; interrupted");
            ODataError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                format!(
                    "the request took longer than {} s; ask for less (a $filter, a smaller $top), or retry later",
                    REQUEST_TIMEOUT.as_secs()
                ),
            )
            .into_response()
        }
    }
}

fn answer(
    shared: &Shared,
    interrupt: &Mutex<Option<InterruptHandle>>,
    path: &str,
    query: &str,
    accept: &str,
) -> Result<Answer, ODataError> {
    let catalog = &shared.catalog;
    let connection = || {
        let pool = shared.db.pool().map_err(|e| {
            tracing::debug!(error = %e, "a request before the database is ready");
            ODataError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "the database is not ready yet (the first sync has not finished); retry later",
            )
        })?;
        let conn = pool.get().map_err(|e| ODataError::internal(&e))?;
        if let database::Pooled::Sqlite(conn) = &conn {
            *interrupt.lock().unwrap_or_else(PoisonError::into_inner) =
                Some(conn.get_interrupt_handle());
        }
        Ok(conn)
    };
    match request::resource(catalog, path)? {
        Resource::ServiceDocument => Ok(read::service_document(catalog)),
        Resource::Metadata => metadata::answer(catalog, query, accept),
        Resource::Collection { set, count_only } => {
            let options = request::options(set, query, accept)?;
            read::collection(
                connection()?.connection(),
                catalog,
                &Source::set(set),
                &options,
                count_only,
            )
        }
        Resource::Entity { set, key } => {
            let options = request::options(set, query, accept)?;
            read::entity(
                connection()?.connection(),
                catalog,
                &Source::key(set, &key)?,
                &options,
            )
        }
        Resource::Path(path) => {
            navigation::answer(connection()?.connection(), catalog, &path, query, accept)
        }
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
        // The media types CAP sends, so a client that worked with CAP works here.
        Answer::Json(body) => (JSON, body),
        Answer::Text(text) => ("text/plain; charset=utf-8", text.into_bytes()),
        Answer::Xml(text) => ("application/xml; charset=utf-8", text.into_bytes()),
        Answer::CsdlJson(text) => (JSON, text.into_bytes()),
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
    db: &crate::database_url::Database,
    addr: SocketAddr,
    auth: Auth,
) -> Result<(), ServeError> {
    runtime.block_on(async {
        let server = ODataServer::start(artifacts, db, addr, auth).await?;
        print_urls(&server);
        let signal = crate::signal::wait_for_signal().await;
        server.shutdown().await;
        signal.map_err(ServeError::Signal)
    })
}

/// What `serve --sync-every` syncs, and how often.
#[derive(Clone, Debug)]
pub struct SyncJob {
    /// bridge.toml, from which the API settings are read again before every run.
    pub config: Config,
    /// The API and its credentials as read at start (and used again when reading
    /// them anew fails).
    pub api: ApiSettings,
    /// Windows, retries, timeouts.
    pub settings: SyncSettings,
    /// The period from one run's start to the next.
    pub every: Duration,
    /// Write into a database holding tables the model did not create (`--adopt`).
    pub adopt: bool,
}

/// Serves `db` on `addr` and syncs it every `job.every`, the first time at once (it
/// may create the database), until Ctrl-C or SIGTERM: `serve --sync-every`. A failed
/// sync is logged and shown on `/health/sync`, and the next tick tries again; serving
/// goes on regardless. On the signal the running sync finishes the window it is
/// writing (never half of one) and stops, and serving stops gracefully.
pub fn run_with_sync(
    runtime: &tokio::runtime::Runtime,
    artifacts: &Artifacts,
    db: &crate::database_url::Database,
    addr: SocketAddr,
    auth: Auth,
    job: &SyncJob,
) -> Result<(), ServeError> {
    let schedule = Arc::new(Schedule::new(job.every));
    let stop = Arc::new(Stop::new());
    let options = ServeOptions {
        wait_for_database: true,
        schedule: Some(Arc::clone(&schedule)),
    };
    let server = runtime.block_on(ODataServer::start_with(artifacts, db, addr, auth, options))?;
    print_urls(&server);
    println!(
        "  sync status:    http://{}/health/sync (every {} s)",
        server.local_addr(),
        job.every.as_secs()
    );
    std::thread::scope(|scope| {
        // The sync writes on a thread of its own, as `sync` does; the server's
        // readers go on reading the last committed windows meanwhile (WAL).
        let writer = scope.spawn(|| {
            let options = sync::Options {
                quiet: true,
                adopt: job.adopt,
                stop: Some(Arc::clone(&stop)),
                ..sync::Options::default()
            };
            let mut api = job.api.clone();
            schedule.run(&stop, || {
                // A Kubernetes Secret mounted as files (`client_secret_file`,
                // `developer_token_file`) changes in place when it is rotated: read
                // the settings again for every run, so a pod never needs a restart.
                match ApiSettings::resolve(&job.config, &artifacts.model) {
                    Ok(fresh) => api = fresh,
                    Err(error) => {
                        tracing::warn!(%error, "cannot read the API settings again; using the last ones")
                    }
                }
                sync::run(runtime, db, artifacts, &api, &job.settings, &options)
            });
        });
        let signal = runtime.block_on(crate::signal::wait_for_signal());
        tracing::info!("stopping: the running sync finishes its window, requests drain");
        stop.stop();
        runtime.block_on(server.shutdown());
        if writer.join().is_err() {
            tracing::error!("the sync thread panicked");
        }
        signal.map_err(ServeError::Signal)
    })
}

fn print_urls(server: &ODataServer) {
    println!("OData V4 service: {}", server.url());
    println!("  $metadata:      {}$metadata", server.url());
    if let Some(token_url) = server.token_url() {
        println!("  token (POST):   {token_url}");
    }
}
