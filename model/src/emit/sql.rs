//! SQLite DDL: what CAP deploys for the generated CDS (`cds compile --to sql
//! --dialect sqlite`): `<namespace>_<Entity>` tables, `<Service>_<Entity>` views,
//! the fact view, and indexes on timestamp columns.
//!
//! Foreign keys need no index of their own: they lead every child's primary key,
//! whose index serves parent → children lookups.

use std::fmt::Write;

use serde::Serialize;

use crate::naming::sql;
use crate::{Fact, FactSource, LogicalType, Model, Role};

/// What `schema.sql` is written from (the context of its template).
#[derive(Serialize)]
pub struct Ddl {
    header: String,
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

/// `db/schema.sql` for `model`, starting with the comment `header`.
pub fn emit(model: &Model, header: &str) -> String {
    view(model, header).write()
}

impl Ddl {
    /// The DDL text.
    pub fn write(&self) -> String {
        let mut out = format!(
            "-- {}\n-- SQLite DDL for the CDS model in cap/: the tables and views that\n\
             -- `cds deploy --to sqlite` creates, plus indexes for time-range queries.\n",
            self.header
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

/// The context `db/schema.sql` is written from.
pub fn view(model: &Model, header: &str) -> Ddl {
    let mut tables = Vec::new();
    let mut views = Vec::new();
    let mut indexes = Vec::new();
    for entity in &model.entities {
        let table = model.table(&entity.name);
        tables.push(Table {
            name: table.clone(),
            columns: entity
                .fields
                .iter()
                .map(|f| Column {
                    name: sql(&f.name),
                    ty: f.ty.sqlite(),
                    not_null: f.not_null,
                })
                .collect(),
            keys: entity
                .keys()
                .map(|f| sql(&f.name))
                .collect::<Vec<_>>()
                .join(", "),
        });
        for field in &entity.fields {
            if field.ty == LogicalType::Timestamp && field.role == Role::Data && !field.key {
                indexes.push(Index {
                    name: format!("{table}_{}", field.name),
                    table: table.clone(),
                    columns: sql(&field.name),
                });
            }
        }
    }
    if let Some(fact) = &model.fact {
        views.push(fact_view(model, fact));
    }
    let projected = model
        .entities
        .iter()
        .map(|e| {
            (
                e.name.clone(),
                e.fields.iter().map(|f| f.name.clone()).collect::<Vec<_>>(),
            )
        })
        .chain(model.fact.iter().map(|fact| {
            (
                fact.name.clone(),
                fact.columns.iter().map(|c| c.name.clone()).collect(),
            )
        }));
    for (entity, columns) in projected {
        let alias = format!("{entity}_0");
        views.push(View {
            name: model.view(&entity),
            columns: columns
                .iter()
                .map(|c| format!("{alias}.{}", sql(c)))
                .collect(),
            from: format!("{} AS {alias}", model.table(&entity)),
        });
    }
    Ddl {
        header: header.to_owned(),
        tables,
        views,
        indexes,
    }
}

/// The fact view: the fact entity, its parent's attributes, and each top child at
/// position 0, by left joins on the foreign keys.
fn fact_view(model: &Model, fact: &Fact) -> View {
    let entity = &model.entities[fact.entity];
    let columns = fact
        .columns
        .iter()
        .map(|c| {
            let alias = match c.from {
                FactSource::Fact => "f".to_owned(),
                FactSource::Ancestor(_) => "p".to_owned(),
                FactSource::Top(i) => format!("t{i}"),
            };
            format!("{alias}.{} AS {}", sql(&c.column), sql(&c.name))
        })
        .collect();
    let mut from = format!("{} AS f", model.table(&entity.name));
    if let Some(link) = &entity.parent {
        let parent = &model.entities[link.entity];
        let on: Vec<String> = link
            .foreign_keys
            .iter()
            .map(|fk| format!("p.{} = f.{}", sql(&fk.references), sql(&fk.column)))
            .collect();
        from = format!(
            "{from}\nLEFT JOIN {} AS p ON {}",
            model.table(&parent.name),
            on.join(" AND ")
        );
    }
    for (i, top) in fact.tops.iter().enumerate() {
        let child = &model.entities[top.entity];
        let Some(link) = &child.parent else { continue };
        let mut on: Vec<String> = link
            .foreign_keys
            .iter()
            .map(|fk| format!("t{i}.{} = f.{}", sql(&fk.column), sql(&fk.references)))
            .collect();
        if let Some(position) = child.fields.iter().find(|f| f.role == Role::Position) {
            on.push(format!("t{i}.{} = 0", sql(&position.name)));
        }
        from = format!(
            "{from}\nLEFT JOIN {} AS t{i} ON {}",
            model.table(&child.name),
            on.join(" AND ")
        );
    }
    View {
        name: model.table(&fact.name),
        columns,
        from,
    }
}
