//! OData V4 CSDL XML (`$metadata`), as CAP's `cds compile --to edmx` writes it for
//! the generated CDS: entity sets with navigation bindings, entity types whose
//! members follow CDS element order, read-only capability annotations, and
//! `Core.ComputedDefaultValue` on UUID keys (CAP fills those itself).

use std::fmt::Write;

use serde::Serialize;

use crate::{LogicalType, Model, Role};

/// What `metadata.xml` is written from (the context of its template).
#[derive(Serialize)]
pub struct Csdl {
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

/// `odata/metadata.xml` for `model`, with `header` in its first comment.
pub fn emit(model: &Model, header: &str) -> String {
    view(model, header).write()
}

/// `odata/metadata.json`: the same CSDL as JSON (JSON has no comments: no header).
pub fn emit_json(model: &Model) -> String {
    view(model, "").write_json()
}

const REFERENCES: &str = r#"  <edmx:Reference Uri="https://oasis-tcs.github.io/odata-vocabularies/vocabularies/Org.OData.Capabilities.V1.xml">
    <edmx:Include Alias="Capabilities" Namespace="Org.OData.Capabilities.V1"/>
  </edmx:Reference>
  <edmx:Reference Uri="https://oasis-tcs.github.io/odata-vocabularies/vocabularies/Org.OData.Core.V1.xml">
    <edmx:Include Alias="Core" Namespace="Org.OData.Core.V1"/>
  </edmx:Reference>
"#;

const READ_ONLY: &str = r#"        <Annotation Term="Capabilities.DeleteRestrictions">
          <Record Type="Capabilities.DeleteRestrictionsType">
            <PropertyValue Property="Deletable" Bool="false"/>
          </Record>
        </Annotation>
        <Annotation Term="Capabilities.InsertRestrictions">
          <Record Type="Capabilities.InsertRestrictionsType">
            <PropertyValue Property="Insertable" Bool="false"/>
          </Record>
        </Annotation>
        <Annotation Term="Capabilities.UpdateRestrictions">
          <Record Type="Capabilities.UpdateRestrictionsType">
            <PropertyValue Property="Updatable" Bool="false"/>
          </Record>
        </Annotation>
"#;

impl Csdl {
    /// The CSDL XML text.
    pub fn write(&self) -> String {
        let service = xml_escape(&self.service);
        let mut out = format!(
            "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<!-- {} -->\n\
             <edmx:Edmx Version=\"4.0\" xmlns:edmx=\"http://docs.oasis-open.org/odata/ns/edmx\">\n\
             {REFERENCES}  <edmx:DataServices>\n    \
             <Schema Namespace=\"{service}\" xmlns=\"http://docs.oasis-open.org/odata/ns/edm\">\n      \
             <EntityContainer Name=\"EntityContainer\">\n",
            xml_escape(&self.header)
        );
        for ty in &self.types {
            let name = xml_escape(&ty.name);
            let set = format!("        <EntitySet Name=\"{name}\" EntityType=\"{service}.{name}\"");
            if ty.bindings.is_empty() {
                let _ = writeln!(out, "{set}/>");
                continue;
            }
            let _ = writeln!(out, "{set}>");
            for binding in &ty.bindings {
                let _ = writeln!(
                    out,
                    "          <NavigationPropertyBinding Path=\"{}\" Target=\"{}\"/>",
                    xml_escape(&binding.path),
                    xml_escape(&binding.target)
                );
            }
            out.push_str("        </EntitySet>\n");
        }
        out.push_str("      </EntityContainer>\n");
        for ty in &self.types {
            ty.write(&mut out);
        }
        for ty in &self.types {
            let name = xml_escape(&ty.name);
            let _ = writeln!(
                out,
                "      <Annotations Target=\"{service}.EntityContainer/{name}\">\n{READ_ONLY}      </Annotations>"
            );
            for computed in &ty.computed {
                let _ = writeln!(
                    out,
                    "      <Annotations Target=\"{service}.{name}/{}\">\n        \
                     <Annotation Term=\"Core.ComputedDefaultValue\" Bool=\"true\"/>\n      \
                     </Annotations>",
                    xml_escape(computed)
                );
            }
        }
        out.push_str("    </Schema>\n  </edmx:DataServices>\n</edmx:Edmx>\n");
        out
    }
}

impl EntityType {
    fn write(&self, out: &mut String) {
        let _ = writeln!(
            out,
            "      <EntityType Name=\"{}\">\n        <Key>",
            xml_escape(&self.name)
        );
        for key in &self.keys {
            let _ = writeln!(out, "          <PropertyRef Name=\"{}\"/>", xml_escape(key));
        }
        out.push_str("        </Key>\n");
        for member in &self.members {
            let name = xml_escape(&member.name);
            if let Some(nav) = &member.navigation {
                let _ = writeln!(
                    out,
                    "        <NavigationProperty Name=\"{name}\" Type=\"{}\" Partner=\"{}\">",
                    xml_escape(&nav.ty),
                    xml_escape(&nav.partner)
                );
                if nav.constraints.is_empty() {
                    out.push_str("          <OnDelete Action=\"Cascade\"/>\n");
                }
                for c in &nav.constraints {
                    let _ = writeln!(
                        out,
                        "          <ReferentialConstraint Property=\"{}\" ReferencedProperty=\"{}\"/>",
                        xml_escape(&c.property),
                        xml_escape(&c.referenced)
                    );
                }
                out.push_str("        </NavigationProperty>\n");
            } else if let Some(property) = &member.property {
                let _ = write!(
                    out,
                    "        <Property Name=\"{name}\" Type=\"{}\"",
                    property.ty
                );
                for facet in &property.facets {
                    let _ = write!(out, " {}=\"{}\"", facet.name, xml_escape(&facet.value));
                }
                let nullable = if property.not_null {
                    " Nullable=\"false\""
                } else {
                    ""
                };
                let _ = writeln!(out, "{nullable}/>");
            }
        }
        out.push_str("      </EntityType>\n");
    }
}

impl Csdl {
    /// The same CSDL in its JSON form (OData CSDL JSON 4.01, as CAP serves it for
    /// `$metadata?$format=json`): `$Nullable` written where a property may be null
    /// (absent means not null in JSON), `Edm.String` left implicit, facets as numbers.
    pub fn write_json(&self) -> String {
        use serde_json::{json, Map, Value};
        let service = &self.service;
        let mut container = Map::new();
        container.insert("$Kind".into(), json!("EntityContainer"));
        let mut schema = Map::new();
        let mut annotations = Map::new();
        for ty in &self.types {
            let mut set = Map::new();
            set.insert("$Collection".into(), json!(true));
            set.insert("$Type".into(), json!(format!("{service}.{}", ty.name)));
            if !ty.bindings.is_empty() {
                let bindings: Map<String, Value> = ty
                    .bindings
                    .iter()
                    .map(|b| (b.path.clone(), json!(b.target)))
                    .collect();
                set.insert("$NavigationPropertyBinding".into(), Value::Object(bindings));
            }
            container.insert(ty.name.clone(), Value::Object(set));

            let mut members = Map::new();
            members.insert("$Kind".into(), json!("EntityType"));
            members.insert("$Key".into(), json!(ty.keys));
            for member in &ty.members {
                members.insert(member.name.clone(), Value::Object(member.json()));
            }
            schema.insert(ty.name.clone(), Value::Object(members));

            annotations.insert(
                format!("{service}.EntityContainer/{}", ty.name),
                json!({
                    "@Capabilities.DeleteRestrictions": {"Deletable": false},
                    "@Capabilities.InsertRestrictions": {"Insertable": false},
                    "@Capabilities.UpdateRestrictions": {"Updatable": false},
                }),
            );
            for computed in &ty.computed {
                annotations.insert(
                    format!("{service}.{}/{computed}", ty.name),
                    json!({"@Core.ComputedDefaultValue": true}),
                );
            }
        }
        let mut namespace = Map::new();
        namespace.insert("EntityContainer".into(), Value::Object(container));
        namespace.extend(schema);
        namespace.insert("$Annotations".into(), Value::Object(annotations));
        let document = json!({
            "$Version": "4.0",
            "$EntityContainer": format!("{service}.EntityContainer"),
            "$Reference": {
                "https://oasis-tcs.github.io/odata-vocabularies/vocabularies/Org.OData.Capabilities.V1.xml": {
                    "$Include": [{"$Alias": "Capabilities", "$Namespace": "Org.OData.Capabilities.V1"}]
                },
                "https://oasis-tcs.github.io/odata-vocabularies/vocabularies/Org.OData.Core.V1.xml": {
                    "$Include": [{"$Alias": "Core", "$Namespace": "Org.OData.Core.V1"}]
                }
            },
            service.clone(): Value::Object(namespace),
        });
        let mut text = serde_json::to_string_pretty(&document).unwrap_or_default();
        text.push('\n');
        text
    }
}

impl Member {
    /// The member's CSDL JSON object.
    fn json(&self) -> serde_json::Map<String, serde_json::Value> {
        use serde_json::{json, Map, Value};
        let mut out = Map::new();
        if let Some(nav) = &self.navigation {
            out.insert("$Kind".into(), json!("NavigationProperty"));
            let (target, collection) = match nav
                .ty
                .strip_prefix("Collection(")
                .and_then(|t| t.strip_suffix(')'))
            {
                Some(item) => (item, true),
                None => (nav.ty.as_str(), false),
            };
            out.insert("$Type".into(), json!(target));
            out.insert("$Partner".into(), json!(nav.partner));
            if collection {
                out.insert("$Collection".into(), json!(true));
                out.insert("$OnDelete".into(), json!("Cascade"));
            } else {
                out.insert("$Nullable".into(), json!(true));
                let constraints: Map<String, Value> = nav
                    .constraints
                    .iter()
                    .map(|c| (c.property.clone(), json!(c.referenced)))
                    .collect();
                out.insert("$ReferentialConstraint".into(), Value::Object(constraints));
            }
        } else if let Some(property) = &self.property {
            if property.ty != "Edm.String" {
                out.insert("$Type".into(), json!(property.ty));
            }
            for facet in &property.facets {
                let value = facet
                    .value
                    .parse::<u64>()
                    .map_or_else(|_| json!(facet.value), |n| json!(n));
                out.insert(format!("${}", facet.name), value);
            }
            if !property.not_null {
                out.insert("$Nullable".into(), json!(true));
            }
        }
        out
    }
}

/// Escapes text for XML attribute values and content.
pub fn xml_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// The context `odata/metadata.xml` is written from.
pub fn view(model: &Model, header: &str) -> Csdl {
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
    Csdl {
        header: header.to_owned(),
        service: service.clone(),
        types,
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_escapes_markup() {
        assert_eq!(
            xml_escape(r#"a<b & "c">'"#),
            "a&lt;b &amp; &quot;c&quot;&gt;&apos;"
        );
    }
}
