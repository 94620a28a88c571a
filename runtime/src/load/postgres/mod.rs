//! The loader on PostgreSQL, with the SQLite loader's rules: one transaction per
//! batch (a sync's group of windows, with its watermark), upserts by the same
//! stable keys, the descendants of a re-sent root replaced, and the same rows from
//! the same records (the walk is shared), so both databases hash alike.
//!
//! Rows are not inserted one statement each, which would cost a round trip per
//! row: each page's rows go by `COPY … FROM STDIN` into temporary staging tables
//! shaped like the model's, then one `INSERT … SELECT … ON CONFLICT (key) DO
//! UPDATE` per table moves them, parents first, after one `DELETE … USING` per
//! descendant table has taken away what re-sent roots had before. A page that
//! sends one root twice is staged in two parts, so the later one wins, as in SQLite.

mod copy;
mod schema;

use cai_bridge_model::dialect::Dialect;
use cai_bridge_model::Model;
use rusqlite::types::Value as Sql;
use sha2::{Digest, Sha256};
use tokio::runtime::Handle;
use tokio_postgres::types::ToSql;
use tokio_postgres::Client;

use super::plan::{column_list, on_conflict, root_key_columns};
use super::store::Foreign;
use super::{LoadError, Prepared, SchemaError, Stats, Walker};
use crate::database_url::Postgres;
use crate::postgres::{self as pg, PgError};
use crate::record::Record;
use crate::Artifacts;

const PG: Dialect = Dialect::Postgres;

/// A connection and where it goes, for errors that name the server.
struct Pg<'c> {
    client: &'c Client,
    pg: &'c Postgres,
}

impl Pg<'_> {
    fn failed(&self) -> impl Fn(tokio_postgres::Error) -> PgError + '_ {
        pg::failed(self.pg)
    }
}

/// The statements of one table, PostgreSQL's.
struct TablePlan {
    /// `COPY <stage> (<columns>) FROM STDIN`.
    copy: String,
    /// `INSERT INTO <table> … SELECT … FROM <stage> ON CONFLICT … DO …`.
    merge: String,
    /// For a descendant of the root: `DELETE FROM <table> USING <root stage> …`.
    replace: Option<String>,
    /// `TRUNCATE <stage>`.
    clear: String,
    /// `DELETE FROM <table> WHERE <root key> = $1 …`, for a purge.
    purge: String,
}

/// `ANALYZE` of the root's staging table, then whether a staged root is stored
/// already: without statistics of the freshly filled temporary table the planner
/// takes it for large and joins the whole model table to it by hashing.
struct Resent {
    analyze: String,
    any: String,
}

/// Loads records of one model into one PostgreSQL database.
pub struct PgLoader<'m> {
    model: &'m Model,
    walker: Walker<'m>,
    pg: Postgres,
    runtime: Handle,
    client: deadpool_postgres::Object,
    plans: Vec<TablePlan>,
    resent: Resent,
    /// The advisory lock a sync holds, derived from the root table's name.
    sync_lock: i64,
    batch_size: usize,
}

/// A lock key of ours for `purpose` on `model`'s tables: two bridges of different
/// models in one database do not share it.
fn lock_key(model: &Model, purpose: &str) -> i64 {
    let digest = Sha256::digest(format!(
        "cai-bridge {purpose} {}",
        model.table(&model.root().name)
    ));
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&digest[..8]);
    i64::from_be_bytes(bytes)
}

impl<'m> PgLoader<'m> {
    /// Connects to `pg`, creates the schema from the bridge's PostgreSQL DDL where
    /// it has none of the model's tables (checks it where it has), and prepares the
    /// staging tables. `runtime` drives the connection; call from outside it.
    pub fn open(
        runtime: Handle,
        pg: &Postgres,
        artifacts: &'m Artifacts,
        foreign: Foreign,
    ) -> Result<Self, LoadError> {
        let model = &artifacts.model;
        let pool = pg::pool(pg, 1)?;
        let client = runtime.block_on(pg::client(&pool, pg))?;
        let plans = plans(model);
        runtime.block_on(async {
            let cx = Pg {
                client: &client,
                pg,
            };
            if foreign == Foreign::Refuse {
                let found = schema::foreign_objects(&cx, model).await?;
                if !found.is_empty() {
                    return Err(LoadError::Schema(SchemaError::Foreign(found)));
                }
            }
            schema::ensure(
                &cx,
                model,
                &artifacts.postgres_ddl,
                lock_key(model, "schema"),
            )
            .await?;
            let mut stages = String::new();
            for (i, entity) in model.entities.iter().enumerate() {
                stages.push_str(&format!(
                    "CREATE TEMP TABLE IF NOT EXISTS {} (LIKE {});\n",
                    stage(i),
                    PG.ident(&model.table(&entity.name))
                ));
            }
            client.batch_execute(&stages).await.map_err(cx.failed())?;
            Ok(())
        })?;
        Ok(PgLoader {
            model,
            walker: Walker::new(model),
            pg: pg.clone(),
            runtime,
            client,
            plans,
            resent: resent(model),
            sync_lock: lock_key(model, "sync"),
            batch_size: 500,
        })
    }

    /// The model loaded.
    pub fn model(&self) -> &'m Model {
        self.model
    }

    /// Records per transaction in [`load`](Self::load) (default 500).
    pub fn batch_size(mut self, records: usize) -> Self {
        self.batch_size = records.max(1);
        self
    }

    fn cx(&self) -> Pg<'_> {
        Pg {
            client: &self.client,
            pg: &self.pg,
        }
    }

    /// Loads root records, one transaction per batch.
    pub fn load<I>(&mut self, records: I) -> Result<Stats, LoadError>
    where
        I: IntoIterator,
        I::Item: Record,
    {
        super::in_batches(records, self.batch_size, |batch| {
            let mut writing = self.begin()?;
            let rows = writing.load(batch)?;
            writing.commit()?;
            Ok(rows)
        })
    }

    /// Erases one root record and every row that descends from it, in one
    /// transaction; returns the rows deleted.
    pub fn purge(&mut self, key: &[Sql]) -> Result<u64, LoadError> {
        let texts: Vec<String> = key.iter().map(key_text).collect();
        let params = text_params(&texts);
        let cx = self.cx();
        self.runtime.block_on(async {
            cx.client
                .batch_execute("BEGIN")
                .await
                .map_err(cx.failed())?;
            let mut rows = 0;
            let deleted = async {
                // Children first, the root last, as the SQLite loader does.
                for plan in self.plans.iter().rev() {
                    rows += cx.client.execute(&plan.purge, &params).await?;
                }
                cx.client.batch_execute("COMMIT").await
            }
            .await;
            match deleted {
                Ok(()) => Ok(rows),
                Err(error) => {
                    let _ = cx.client.batch_execute("ROLLBACK").await;
                    Err(cx.failed()(error).into())
                }
            }
        })
    }

    /// Runs `sql` with text parameters outside any transaction of ours.
    pub fn execute(&mut self, sql: &str, params: &[&str]) -> Result<u64, LoadError> {
        let params = text_params(params);
        let cx = self.cx();
        Ok(self
            .runtime
            .block_on(cx.client.execute(sql, &params))
            .map_err(cx.failed())?)
    }

    /// The first column of the first row `sql` gives, as text.
    pub fn query_text(&mut self, sql: &str, params: &[&str]) -> Result<Option<String>, LoadError> {
        let params = text_params(params);
        let cx = self.cx();
        let row = self
            .runtime
            .block_on(cx.client.query_opt(sql, &params))
            .map_err(cx.failed())?;
        Ok(row.and_then(|r| r.get::<_, Option<String>>(0)))
    }

    /// Takes the sync's advisory lock (PostgreSQL's `pg_try_advisory_lock`) for this
    /// session without waiting: `false` when another process holds it. Released by
    /// [`unlock_sync`](Self::unlock_sync), or when the connection closes.
    pub fn try_lock_sync(&mut self) -> Result<bool, LoadError> {
        let cx = self.cx();
        let row = self
            .runtime
            .block_on(
                cx.client
                    .query_one("SELECT pg_try_advisory_lock($1)", &[&self.sync_lock]),
            )
            .map_err(cx.failed())?;
        Ok(row.get(0))
    }

    /// Releases the sync's advisory lock.
    pub fn unlock_sync(&mut self) -> Result<(), LoadError> {
        let cx = self.cx();
        self.runtime
            .block_on(
                cx.client
                    .execute("SELECT pg_advisory_unlock($1)", &[&self.sync_lock]),
            )
            .map_err(cx.failed())?;
        Ok(())
    }

    /// Refreshes the planner's statistics of the model's tables (`ANALYZE`), after a
    /// load that changed many rows: until autovacuum comes round, PostgreSQL plans
    /// with the sizes the tables had before, and sorts a whole table for a page that
    /// its key's index would give at once.
    pub fn analyze(&mut self) -> Result<(), LoadError> {
        let tables: Vec<String> = self
            .model
            .entities
            .iter()
            .map(|e| PG.ident(&self.model.table(&e.name)))
            .collect();
        let cx = self.cx();
        self.runtime
            .block_on(
                cx.client
                    .batch_execute(&format!("ANALYZE {}", tables.join(", "))),
            )
            .map_err(cx.failed())?;
        Ok(())
    }

    /// The content hash of every model table, equal to the SQLite loader's
    /// [`content_hash`](super::content_hash) for the same content.
    pub fn content_hash(&mut self) -> Result<String, LoadError> {
        let cx = self.cx();
        Ok(self
            .runtime
            .block_on(schema::content_hash(cx.client, self.model))
            .map_err(cx.failed())?)
    }

    /// Starts a transaction that several loads share.
    pub fn begin(&mut self) -> Result<PgWriting<'_, 'm>, LoadError> {
        let cx = self.cx();
        self.runtime
            .block_on(cx.client.batch_execute("BEGIN"))
            .map_err(cx.failed())?;
        let staged = vec![Vec::new(); self.model.entities.len()];
        Ok(PgWriting {
            loader: self,
            staged,
            rows: 0,
            open: true,
        })
    }
}

/// Checks, without writing, that the PostgreSQL database `client` is connected to
/// (`pg`, for errors) has the model's tables column by column and its views, as
/// [`check_schema`](super::check_schema) checks a SQLite file; names the first
/// difference.
pub async fn check_schema(client: &Client, pg: &Postgres, model: &Model) -> Result<(), LoadError> {
    schema::check(client, model).await.map_err(|e| match e {
        schema::Checked::Mismatch(m) => LoadError::Schema(SchemaError::Mismatch(m)),
        schema::Checked::Server(source) => pg::failed(pg)(source).into(),
    })
}

/// Text values as a statement's parameters.
fn text_params<T: ToSql + Sync>(values: &[T]) -> Vec<&(dyn ToSql + Sync)> {
    values.iter().map(|v| v as &(dyn ToSql + Sync)).collect()
}

/// A key value as the text a cast in a purge reads.
fn key_text(value: &Sql) -> String {
    match value {
        Sql::Null => String::new(),
        Sql::Integer(n) => n.to_string(),
        Sql::Real(x) => x.to_string(),
        Sql::Text(t) => t.clone(),
        Sql::Blob(b) => String::from_utf8_lossy(b).into_owned(),
    }
}

/// The staging table of the `i`th entity (temporary: the session's own).
fn stage(i: usize) -> String {
    format!("cai_bridge_stage_{i}")
}

fn resent(model: &Model) -> Resent {
    let root = model.root();
    let on: Vec<String> = root
        .keys()
        .map(|k| format!("t.{0} = s.{0}", PG.ident(&k.name)))
        .collect();
    Resent {
        analyze: format!("ANALYZE {}", stage(0)),
        any: format!(
            "SELECT EXISTS (SELECT 1 FROM {} s JOIN {} t ON {})",
            stage(0),
            PG.ident(&model.table(&root.name)),
            on.join(" AND ")
        ),
    }
}

fn plans(model: &Model) -> Vec<TablePlan> {
    let root_columns = root_key_columns(model);
    let root = model.root();
    model
        .entities
        .iter()
        .enumerate()
        .map(|(i, entity)| {
            let table = PG.ident(&model.table(&entity.name));
            let columns = column_list(PG, entity);
            let replace = (i > 0).then(|| {
                let on: Vec<String> = root_columns[i]
                    .iter()
                    .zip(root.keys())
                    .map(|(column, key)| {
                        format!("t.{} = s.{}", PG.ident(column), PG.ident(&key.name))
                    })
                    .collect();
                format!(
                    "DELETE FROM {table} t USING {} s WHERE {}",
                    stage(0),
                    on.join(" AND ")
                )
            });
            let purge: Vec<String> = root_columns[i]
                .iter()
                .zip(root.keys())
                .enumerate()
                .map(|(n, (column, key))| {
                    format!(
                        "{} = CAST(${} AS {})",
                        PG.ident(column),
                        n + 1,
                        PG.column_type(&key.ty)
                    )
                })
                .collect();
            TablePlan {
                copy: format!("COPY {} ({columns}) FROM STDIN", stage(i)),
                merge: format!(
                    "INSERT INTO {table} ({columns}) SELECT {columns} FROM {} {}",
                    stage(i),
                    on_conflict(PG, entity)
                ),
                replace,
                clear: format!("TRUNCATE {}", stage(i)),
                purge: format!("DELETE FROM {table} WHERE {}", purge.join(" AND ")),
            }
        })
        .collect()
}

/// A transaction of a [`PgLoader`]: rolled back whole when dropped uncommitted.
pub struct PgWriting<'l, 'm> {
    loader: &'l mut PgLoader<'m>,
    /// Per entity, the rows staged since the last merge, as COPY text.
    staged: Vec<Vec<u8>>,
    rows: u64,
    /// Whether the transaction is still open (not committed, not rolled back).
    open: bool,
}

impl PgWriting<'_, '_> {
    /// Loads `records`; returns the rows written.
    pub fn load<R: Record>(&mut self, records: &[R]) -> Result<u64, LoadError> {
        let prepared = Prepared::new(&self.loader.walker, records)?;
        self.write(&prepared, None)
    }

    /// Writes rows walked ahead, then runs `also` (SQL with `$n` text parameters: a
    /// sync's watermark) in the same transaction.
    pub fn write_with(
        &mut self,
        prepared: &Prepared,
        also: (&str, &[&str]),
    ) -> Result<u64, LoadError> {
        self.write(prepared, Some(also))
    }

    fn write(
        &mut self,
        prepared: &Prepared,
        also: Option<(&str, &[&str])>,
    ) -> Result<u64, LoadError> {
        let entities = &self.loader.model.entities;
        for root in prepared.roots() {
            // The same root twice in one merge would leave the first one's extra
            // children behind: merge what is staged first.
            if root.again() {
                self.merge()?;
            }
            for row in root.rows() {
                let entity = &entities[row.entity()];
                copy::row(&mut self.staged[row.entity()], &entity.fields, row.values()).map_err(
                    |(field, message)| LoadError::Record {
                        entity: entity.name.clone(),
                        key: root
                            .key()
                            .map(|key| {
                                let parts: Vec<String> = key.map(|v| key_text(&v.into())).collect();
                                parts.join(", ")
                            })
                            .unwrap_or_default(),
                        field: field.name.clone(),
                        message,
                    },
                )?;
            }
        }
        self.merge()?;
        if let Some((sql, params)) = also {
            self.loader.execute(sql, params)?;
        }
        let rows = prepared.row_count() as u64;
        self.rows += rows;
        Ok(rows)
    }

    /// Moves the staged rows into the model's tables.
    fn merge(&mut self) -> Result<(), LoadError> {
        let loader = &*self.loader;
        let cx = loader.cx();
        let mut staged = std::mem::replace(&mut self.staged, vec![Vec::new(); loader.plans.len()]);
        loader
            .runtime
            .block_on(async {
                use futures_util::SinkExt;
                let used: Vec<usize> = (0..staged.len())
                    .filter(|&i| !staged[i].is_empty())
                    .collect();
                let roots = !staged[0].is_empty();
                for &i in &used {
                    let sink = cx
                        .client
                        .copy_in::<_, bytes::Bytes>(&loader.plans[i].copy)
                        .await?;
                    let mut sink = std::pin::pin!(sink);
                    sink.send(bytes::Bytes::from(std::mem::take(&mut staged[i])))
                        .await?;
                    sink.as_mut().finish().await?;
                }
                // A re-sent root's descendants go before its new ones come; the common
                // case, new roots only, costs one look-up by key per root.
                if roots {
                    cx.client.batch_execute(&loader.resent.analyze).await?;
                    let any: bool = cx.client.query_one(&loader.resent.any, &[]).await?.get(0);
                    if any {
                        for plan in &loader.plans {
                            if let Some(replace) = &plan.replace {
                                cx.client.execute(replace, &[]).await?;
                            }
                        }
                    }
                }
                for &i in &used {
                    cx.client.execute(&loader.plans[i].merge, &[]).await?;
                }
                let clear: Vec<&str> = used
                    .iter()
                    .map(|&i| loader.plans[i].clear.as_str())
                    .collect();
                if !clear.is_empty() {
                    cx.client.batch_execute(&clear.join(";\n")).await?;
                }
                Ok(())
            })
            .map_err(|e| cx.failed()(e).into())
    }

    /// Rows written so far, all loads together.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// Commits every load.
    pub fn commit(mut self) -> Result<(), LoadError> {
        self.open = false;
        let cx = self.loader.cx();
        self.loader
            .runtime
            .block_on(cx.client.batch_execute("COMMIT"))
            .map_err(|e| cx.failed()(e).into())
    }
}

impl Drop for PgWriting<'_, '_> {
    fn drop(&mut self) {
        if self.open {
            let cx = self.loader.cx();
            // A connection that cannot roll back is broken; the server rolls back
            // when it closes, and the pool does not hand it out again.
            let _ = self
                .loader
                .runtime
                .block_on(cx.client.batch_execute("ROLLBACK"));
        }
    }
}
