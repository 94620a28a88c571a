//! SQL DDL: what CAP deploys for the generated CDS, in each of CAP's dialects
//! ([`Dialect`]): exactly the statements `cds compile --to sql --dialect NAME` writes
//! (`<namespace>_<Entity>` tables, `<Service>_<Entity>` views, the fact view), in
//! CAP's order, then indexes on timestamp columns.
//!
//! One writer for every dialect: only names ([`Dialect::ident`]) and column types
//! ([`Dialect::column_type`]) differ. Foreign keys need no index of their own: they
//! lead every child's primary key, whose index serves parent → children lookups.

use std::fmt::Write;

use serde::Serialize;

use crate::dialect::Dialect;
use crate::{Fact, FactSource, LogicalType, Model, Role};

/// What a `schema.sql` is written from (the context of its template).
#[derive(Serialize)]
pub struct Ddl {
    header: String,
    /// CAP's name of the dialect (`postgres`), for `--dialect`.
    dialect: &'static str,
    /// The database's name (`PostgreSQL`).
    database: &'static str,
    tables: Vec<Table>,
    views: Vec<View>,
    indexes: Vec<Index>,
}

#[derive(Serialize)]
struct Table {
    name: String,
    columns: Vec<Column>,
    keys: String,
}

#[derive(Serialize)]
struct Column {
    name: String,
    #[serde(rename = "type")]
    ty: String,
    not_null: bool,
}

#[derive(Serialize)]
struct View {
    name: String,
    columns: Vec<String>,
    from: String,
}

#[derive(Serialize)]
struct Index {
    name: String,
    table: String,
    columns: String,
}

/// The `dialect`'s `schema.sql` for `model`, starting with the comment `header`.
pub fn emit(model: &Model, header: &str, dialect: Dialect) -> String {
    view(model, header, dialect).write()
}

impl Ddl {
    /// The DDL text.
    pub fn write(&self) -> String {
        let mut out = format!(
            "-- {}\n-- {} DDL for the CDS model in cap/: the tables and views of\n\
             -- `cds compile --to sql --dialect {}`, plus indexes for time-range queries.\n",
            self.header, self.database, self.dialect
        );
        for table in &self.tables {
            let _ = writeln!(out, "\nCREATE TABLE {} (", table.name);
            for column in &table.columns {
                let not_null = if column.not_null { " NOT NULL" } else { "" };
                let _ = writeln!(out, "  {} {}{not_null},", column.name, column.ty);
            }
            let _ = writeln!(out, "  PRIMARY KEY({})\n);", table.keys);
        }
        for view in &self.views {
            let _ = writeln!(out, "\nCREATE VIEW {} AS SELECT", view.name);
            let _ = writeln!(out, "  {}", view.columns.join(",\n  "));
            let _ = writeln!(out, "FROM {};", view.from);
        }
        for index in &self.indexes {
            let _ = writeln!(
                out,
                "\nCREATE INDEX {} ON {}({});",
                index.name, index.table, index.columns
            );
        }
        out
    }
}

/// The context a `dialect`'s `schema.sql` is written from: its statements in CAP's
/// order (tables; the service's views of the tables; the fact view; the service's
/// view of it), then the indexes.
pub fn view(model: &Model, header: &str, dialect: Dialect) -> Ddl {
    let id = |name: &str| dialect.ident(name);
    let mut tables = Vec::new();
    let mut indexes = Vec::new();
    for entity in &model.entities {
        let table = model.table(&entity.name);
        tables.push(Table {
            name: id(&table),
            columns: entity
                .fields
                .iter()
                .map(|f| Column {
                    name: id(&f.name),
                    ty: dialect.column_type(&f.ty),
                    not_null: f.not_null,
                })
                .collect(),
            keys: entity
                .keys()
                .map(|f| id(&f.name))
                .collect::<Vec<_>>()
                .join(", "),
        });
        for field in &entity.fields {
            if field.ty == LogicalType::Timestamp && field.role == Role::Data && !field.key {
                indexes.push(Index {
                    name: id(&dialect.fitted(&format!("{table}_{}", field.name))),
                    table: id(&table),
                    columns: id(&field.name),
                });
            }
        }
    }
    let projection = |entity: &str, columns: &[String]| {
        let alias = id(&format!("{entity}_0"));
        View {
            name: id(&model.view(entity)),
            columns: columns
                .iter()
                .map(|c| format!("{alias}.{}", id(c)))
                .collect(),
            from: format!("{} AS {alias}", id(&model.table(entity))),
        }
    };
    let mut views: Vec<View> = model
        .entities
        .iter()
        .map(|e| {
            let columns: Vec<String> = e.fields.iter().map(|f| f.name.clone()).collect();
            projection(&e.name, &columns)
        })
        .collect();
    if let Some(fact) = &model.fact {
        views.push(fact_view(model, fact, dialect));
        let columns: Vec<String> = fact.columns.iter().map(|c| c.name.clone()).collect();
        views.push(projection(&fact.name, &columns));
    }
    Ddl {
        header: header.to_owned(),
        dialect: dialect.name(),
        database: dialect.title(),
        tables,
        views,
        indexes,
    }
}

/// The fact view as CAP writes the CDS `select` of [`crate::emit::cds`]: the fact
/// entity `f`, each top child at position 0 by the explicit left joins `t0`, `t1`…,
/// then the parent by the association the parent's columns are read through. CAP
/// numbers every source's alias in that order (`f_0`, `t0_1`, …, `conversation_2`)
/// and brackets each join.
fn fact_view(model: &Model, fact: &Fact, dialect: Dialect) -> View {
    let id = |name: &str| dialect.ident(name);
    let entity = &model.entities[fact.entity];
    let f = id("f_0");
    let top_alias = |i: usize| id(&format!("t{i}_{}", i + 1));
    let parent_alias = entity
        .parent
        .as_ref()
        .map(|link| id(&format!("{}_{}", link.association, fact.tops.len() + 1)));
    let columns = fact
        .columns
        .iter()
        .map(|c| {
            let alias = match c.from {
                FactSource::Fact => f.clone(),
                FactSource::Ancestor(_) => parent_alias.clone().unwrap_or_default(),
                FactSource::Top(i) => top_alias(i),
            };
            format!("{alias}.{} AS {}", id(&c.column), id(&c.name))
        })
        .collect();
    let mut from = format!("{} AS {f}", id(&model.table(&entity.name)));
    for (i, top) in fact.tops.iter().enumerate() {
        let child = &model.entities[top.entity];
        let Some(link) = &child.parent else { continue };
        let t = top_alias(i);
        let mut on: Vec<String> = link
            .foreign_keys
            .iter()
            .map(|fk| format!("{t}.{} = {f}.{}", id(&fk.column), id(&fk.references)))
            .collect();
        if let Some(position) = child.fields.iter().find(|f| f.role == Role::Position) {
            on.push(format!("{t}.{} = 0", id(&position.name)));
        }
        from = format!(
            "({from} LEFT JOIN {} AS {t} ON {})",
            id(&model.table(&child.name)),
            on.join(" AND ")
        );
    }
    // CAP joins the parent only where a column is read through the association.
    let reads_parent = fact
        .columns
        .iter()
        .any(|c| matches!(c.from, FactSource::Ancestor(_)));
    if let (Some(link), Some(p), true) = (&entity.parent, &parent_alias, reads_parent) {
        let parent = &model.entities[link.entity];
        let on: Vec<String> = link
            .foreign_keys
            .iter()
            .map(|fk| format!("{f}.{} = {p}.{}", id(&fk.column), id(&fk.references)))
            .collect();
        // One condition stands bare; several are bracketed each, as CAP writes them.
        let on = if on.len() == 1 {
            on.concat()
        } else {
            on.iter()
                .map(|c| format!("({c})"))
                .collect::<Vec<_>>()
                .join(" AND ")
        };
        from = format!(
            "({from} LEFT JOIN {} AS {p} ON {on})",
            id(&model.table(&parent.name))
        );
    }
    View {
        name: id(&model.table(&fact.name)),
        columns,
        from,
    }
}
