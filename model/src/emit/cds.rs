//! CAP CDS: `db/schema.cds` (namespace, entities, compositions with their back
//! associations, the fact view) and `srv/service.cds` (a read-only service that
//! projects every entity).

use std::fmt::Write;

use serde::Serialize;

use crate::naming::{self, cds, Scope};
use crate::{Entity, Fact, FactSource, Field, Model, Role};

/// What `db/schema.cds` is written from (the context of its template).
#[derive(Serialize)]
pub struct Schema {
    header: String,
    namespace: String,
    entities: Vec<CdsEntity>,
    facts: Vec<CdsFact>,
}

#[derive(Serialize)]
struct CdsEntity {
    name: String,
    doc: Option<String>,
    elements: Vec<Element>,
}

#[derive(Serialize)]
struct Element {
    name: String,
    #[serde(rename = "type")]
    ty: String,
    key: bool,
    not_null: bool,
    doc: Option<String>,
}

#[derive(Serialize)]
struct CdsFact {
    name: String,
    doc: String,
    from: String,
    joins: Vec<String>,
    columns: Vec<String>,
}

/// What `srv/service.cds` is written from (the context of its template).
#[derive(Serialize)]
pub struct ServiceFile {
    header: String,
    namespace: String,
    name: String,
    path: Option<String>,
    entities: Vec<String>,
    facts: Vec<String>,
}

/// `db/schema.cds` for `model`, starting with the comment `header`.
pub fn schema(model: &Model, header: &str) -> String {
    schema_view(model, header).write()
}

/// `srv/service.cds` for `model`, starting with the comment `header`.
pub fn service(model: &Model, header: &str) -> String {
    service_view(model, header).write()
}

impl Schema {
    /// The CDS text.
    pub fn write(&self) -> String {
        let mut out = format!("// {}\nnamespace {};\n", self.header, self.namespace);
        for entity in &self.entities {
            out.push('\n');
            // Empty texts are left out, as the template's `{{#if}}` leaves them out.
            if let Some(doc) = entity.doc.as_ref().filter(|d| !d.is_empty()) {
                let _ = writeln!(out, "/** {doc} */");
            }
            let _ = writeln!(out, "entity {} {{", entity.name);
            for element in &entity.elements {
                if let Some(doc) = element.doc.as_ref().filter(|d| !d.is_empty()) {
                    let _ = writeln!(out, "  /** {doc} */");
                }
                let key = if element.key { "key " } else { "" };
                let not_null = if element.not_null { " not null" } else { "" };
                let _ = writeln!(out, "  {key}{} : {}{not_null};", element.name, element.ty);
            }
            out.push_str("}\n");
        }
        for fact in &self.facts {
            let _ = writeln!(out, "\n/** {} */", fact.doc);
            let _ = writeln!(out, "entity {} as select from {}", fact.name, fact.from);
            for join in &fact.joins {
                let _ = writeln!(out, "  left join {join}");
            }
            let _ = writeln!(out, "{{\n  {}\n}};", fact.columns.join(",\n  "));
        }
        out
    }
}

impl ServiceFile {
    /// The CDS text.
    pub fn write(&self) -> String {
        let mut out = format!(
            "// {}\nusing {{ {} as db }} from '../db/schema';\n\n\
             /** Read-only OData V4 service over every entity, for SAP Analytics Cloud. */\n",
            self.header, self.namespace
        );
        if let Some(path) = self.path.as_ref().filter(|p| !p.is_empty()) {
            let _ = writeln!(out, "@(path: '{path}')");
        }
        let _ = writeln!(out, "service {} {{", self.name);
        for entity in &self.entities {
            let _ = writeln!(
                out,
                "  @readonly entity {entity} as projection on db.{entity};"
            );
        }
        for fact in &self.facts {
            let _ = writeln!(
                out,
                "  @readonly @cds.redirection.target: false\n  entity {fact} as projection on db.{fact};"
            );
        }
        out.push_str("}\n");
        out
    }
}

/// The context `db/schema.cds` is written from.
pub fn schema_view(model: &Model, header: &str) -> Schema {
    let entities = model.entities.iter().map(|e| entity(model, e)).collect();
    let facts = model.fact.iter().map(|f| fact(model, f)).collect();
    Schema {
        header: header.to_owned(),
        namespace: model.namespace.clone(),
        entities,
        facts,
    }
}

/// The context `srv/service.cds` is written from.
pub fn service_view(model: &Model, header: &str) -> ServiceFile {
    let entities = model.entities.iter().map(|e| cds(&e.name)).collect();
    // The fact view must never be where CAP redirects an association to its base
    // entity (e.g. when it is a plain projection of it).
    let facts = model.fact.iter().map(|f| cds(&f.name)).collect();
    ServiceFile {
        header: header.to_owned(),
        namespace: model.namespace.clone(),
        name: model.service.name.clone(),
        path: model
            .service
            .explicit_path
            .then(|| model.service.path.clone()),
        entities,
        facts,
    }
}

fn entity(model: &Model, entity: &Entity) -> CdsEntity {
    let mut elements = Vec::new();
    if let Some(link) = &entity.parent {
        elements.push(Element {
            name: cds(&link.association),
            ty: format!("Association to {}", cds(&model.entities[link.entity].name)),
            key: true,
            not_null: false,
            doc: None,
        });
    }
    for field in entity.fields.iter().filter(|f| f.role != Role::ParentKey) {
        elements.push(Element {
            name: cds(&field.name),
            ty: field_type(field),
            key: field.key,
            not_null: field.not_null && !field.key,
            doc: field.doc.as_deref().map(doc),
        });
    }
    for child in &entity.children {
        let target = &model.entities[child.entity];
        let back = target
            .parent
            .as_ref()
            .map_or("up_", |p| p.association.as_str());
        elements.push(Element {
            name: cds(&child.composition),
            ty: format!(
                "Composition of many {} on {}.{} = $self",
                cds(&target.name),
                cds(&child.composition),
                cds(back)
            ),
            key: false,
            not_null: false,
            doc: None,
        });
    }
    CdsEntity {
        name: cds(&entity.name),
        doc: entity.doc.as_deref().map(doc),
        elements,
    }
}

/// The CDS type of a column, with its enum if the spec declares one.
fn field_type(field: &Field) -> String {
    let base = field.ty.cds();
    let Some(values) = &field.enum_values else {
        return base;
    };
    let mut symbols = Scope::default();
    let items: Vec<String> = values
        .iter()
        .map(|value| {
            let symbol = symbols.claim(&naming::identifier(value));
            if symbol == *value {
                format!("{};", cds(&symbol))
            } else {
                format!("{} = '{}';", cds(&symbol), value.replace('\'', "''"))
            }
        })
        .collect();
    format!("{base} enum {{ {} }}", items.join(" "))
}

fn fact(model: &Model, fact: &Fact) -> CdsFact {
    let entity = &model.entities[fact.entity];
    let path = |alias: &str, cds_path: &str| {
        let segments: Vec<String> = cds_path.split('.').map(cds).collect();
        format!("{alias}.{}", segments.join("."))
    };
    let mut joins = Vec::new();
    for (i, top) in fact.tops.iter().enumerate() {
        let child = &model.entities[top.entity];
        let Some(link) = &child.parent else { continue };
        let mut on: Vec<String> = link
            .foreign_keys
            .iter()
            .map(|fk| {
                let parent_path = entity
                    .parent
                    .as_ref()
                    .and_then(|p| p.foreign_keys.iter().find(|k| k.column == fk.references))
                    .map_or_else(|| fk.references.clone(), |k| k.cds_path.clone());
                format!(
                    "{} = {}",
                    path(&format!("t{i}"), &fk.cds_path),
                    path("f", &parent_path)
                )
            })
            .collect();
        if let Some(position) = child.fields.iter().find(|f| f.role == Role::Position) {
            on.push(format!("t{i}.{} = 0", cds(&position.name)));
        }
        joins.push(format!(
            "{} as t{i} on {}",
            cds(&child.name),
            on.join(" and ")
        ));
    }
    let columns = fact
        .columns
        .iter()
        .map(|c| {
            let (source, ty) = match c.from {
                FactSource::Fact | FactSource::Ancestor(_) => (path("f", &c.cds_path), None),
                // CAP would carry the child column's `not null` into the view, though
                // the left join leaves it null where there is no child; a type of
                // its own drops that (and changes nothing in the SQL).
                FactSource::Top(i) => (path(&format!("t{i}"), &c.cds_path), Some(c.ty.cds())),
            };
            format!(
                "{}{source} as {}{}",
                if c.key { "key " } else { "" },
                cds(&c.name),
                ty.map_or_else(String::new, |ty| format!(" : {ty}"))
            )
        })
        .collect();
    CdsFact {
        name: cds(&fact.name),
        doc: format!(
            "One row per {} with its {}'s attributes{}: the flat fact SAP Analytics Cloud reads.",
            naming::singular(&entity.name).to_lowercase(),
            entity
                .parent
                .as_ref()
                .map_or("parent", |p| p.association.as_str()),
            if fact.tops.is_empty() {
                ""
            } else {
                " and top items"
            }
        ),
        from: format!("{} as f", cds(&entity.name)),
        joins,
        columns,
    }
}

/// A doc comment's text on one line, unable to close the comment early.
fn doc(text: &str) -> String {
    crate::text::for_source(text)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace("*/", "* /")
}
