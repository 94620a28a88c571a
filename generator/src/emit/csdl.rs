//! OData V4 CSDL XML (`$metadata`), as CAP's `cds compile --to edmx` writes it for
//! the generated CDS: entity sets with navigation bindings, entity types whose
//! members follow CDS element order, read-only capability annotations, and
//! `Core.ComputedDefaultValue` on UUID keys (CAP fills those itself).

use serde::Serialize;

use crate::diagnostic::Error;
use crate::emit::templates::Templates;
use crate::model::{LogicalType, Model, Role};

#[derive(Serialize)]
struct Csdl {
    header: String,
    service: String,
    types: Vec<EntityType>,
}

#[derive(Serialize)]
struct EntityType {
    name: String,
    bindings: Vec<Binding>,
    keys: Vec<String>,
    members: Vec<Member>,
    computed: Vec<String>,
}

#[derive(Serialize)]
struct Binding {
    path: String,
    target: String,
}

#[derive(Serialize)]
struct Member {
    name: String,
    property: Option<Property>,
    navigation: Option<Navigation>,
}

#[derive(Serialize)]
struct Property {
    #[serde(rename = "type")]
    ty: String,
    facets: Vec<Facet>,
    not_null: bool,
}

#[derive(Serialize)]
struct Facet {
    name: String,
    value: String,
}

#[derive(Serialize)]
struct Navigation {
    #[serde(rename = "type")]
    ty: String,
    partner: String,
    constraints: Vec<Constraint>,
}

#[derive(Serialize)]
struct Constraint {
    property: String,
    referenced: String,
}

/// Renders `odata/metadata.xml`.
pub fn emit(model: &Model, templates: &Templates, header: &str) -> Result<String, Error> {
    let service = &model.service.name;
    let mut types = Vec::new();
    for entity in &model.entities {
        let mut bindings = Vec::new();
        let mut members = Vec::new();
        if let Some(link) = &entity.parent {
            let parent = &model.entities[link.entity];
            let partner = parent
                .children
                .iter()
                .find(|c| model.entities[c.entity].name == entity.name)
                .map_or_else(String::new, |c| c.composition.clone());
            bindings.push(Binding {
                path: link.association.clone(),
                target: parent.name.clone(),
            });
            members.push(Member {
                name: link.association.clone(),
                property: None,
                navigation: Some(Navigation {
                    ty: format!("{service}.{}", parent.name),
                    partner,
                    constraints: link
                        .foreign_keys
                        .iter()
                        .map(|fk| Constraint {
                            property: fk.column.clone(),
                            referenced: fk.references.clone(),
                        })
                        .collect(),
                }),
            });
        }
        for field in &entity.fields {
            members.push(property(&field.name, &field.ty, field.not_null));
        }
        for child in &entity.children {
            let target = &model.entities[child.entity];
            bindings.push(Binding {
                path: child.composition.clone(),
                target: target.name.clone(),
            });
            members.push(Member {
                name: child.composition.clone(),
                property: None,
                navigation: Some(Navigation {
                    ty: format!("Collection({service}.{})", target.name),
                    partner: target
                        .parent
                        .as_ref()
                        .map_or_else(String::new, |p| p.association.clone()),
                    constraints: Vec::new(),
                }),
            });
        }
        types.push(EntityType {
            name: entity.name.clone(),
            bindings,
            keys: entity.keys().map(|f| f.name.clone()).collect(),
            members,
            computed: entity
                .fields
                .iter()
                .filter(|f| f.key && f.ty == LogicalType::Uuid && f.role != Role::ParentKey)
                .map(|f| f.name.clone())
                .collect(),
        });
    }
    if let Some(fact) = &model.fact {
        types.push(EntityType {
            name: fact.name.clone(),
            bindings: Vec::new(),
            keys: fact
                .columns
                .iter()
                .filter(|c| c.key)
                .map(|c| c.name.clone())
                .collect(),
            members: fact
                .columns
                .iter()
                .map(|c| property(&c.name, &c.ty, c.not_null))
                .collect(),
            computed: fact
                .columns
                .iter()
                .filter(|c| c.key && c.ty == LogicalType::Uuid)
                .map(|c| c.name.clone())
                .collect(),
        });
    }
    templates.render(
        "metadata.xml",
        &Csdl {
            header: header.to_owned(),
            service: service.clone(),
            types,
        },
    )
}

fn property(name: &str, ty: &LogicalType, not_null: bool) -> Member {
    let (edm, facets) = ty.edm();
    Member {
        name: name.to_owned(),
        property: Some(Property {
            ty: edm.to_owned(),
            facets: facets
                .into_iter()
                .map(|(name, value)| Facet {
                    name: name.to_owned(),
                    value,
                })
                .collect(),
            not_null,
        }),
        navigation: None,
    }
}
