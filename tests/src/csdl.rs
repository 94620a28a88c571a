//! CSDL documents compared by meaning: entity sets, entity types, keys, properties
//! with their types and facets, navigation properties with partners and constraints.
//! Annotations and element order are not compared (CAP's are not part of what SAC
//! or any OData client needs to agree on).

use std::collections::BTreeMap;

/// The parts of a CSDL document that must agree.
#[derive(Debug, PartialEq, Eq)]
pub struct Csdl {
    /// Schema namespace.
    pub namespace: String,
    /// Entity set → (entity type, sorted navigation bindings path → target).
    pub sets: BTreeMap<String, (String, BTreeMap<String, String>)>,
    /// Entity type name → its summary.
    pub types: BTreeMap<String, EntityType>,
}

/// One entity type.
#[derive(Debug, PartialEq, Eq)]
pub struct EntityType {
    /// Key property names, in order.
    pub keys: Vec<String>,
    /// Property → its type and facets.
    pub properties: BTreeMap<String, Property>,
    /// Navigation property → its target and constraints.
    pub navigation: BTreeMap<String, Navigation>,
}

/// (type, nullable, MaxLength, Precision).
pub type Property = (String, bool, Option<String>, Option<String>);

/// (type, partner, referential constraints property → referenced property).
pub type Navigation = (String, Option<String>, BTreeMap<String, String>);

fn children<'a, 'i>(node: roxmltree::Node<'a, 'i>, tag: &str) -> Vec<roxmltree::Node<'a, 'i>> {
    node.children()
        .filter(|c| c.is_element() && c.tag_name().name() == tag)
        .collect()
}

fn attr(node: roxmltree::Node<'_, '_>, name: &str) -> Option<String> {
    node.attribute(name).map(str::to_owned)
}

/// Summarizes a CSDL XML document.
pub fn summarize(xml: &str) -> Csdl {
    let doc = roxmltree::Document::parse(xml).unwrap_or_else(|e| panic!("CSDL is not XML: {e}"));
    let schema = doc
        .descendants()
        .find(|n| n.has_tag_name("Schema"))
        .expect("a Schema element");
    let mut sets = BTreeMap::new();
    for container in children(schema, "EntityContainer") {
        for set in children(container, "EntitySet") {
            let bindings = children(set, "NavigationPropertyBinding")
                .into_iter()
                .map(|b| {
                    (
                        attr(b, "Path").unwrap_or_default(),
                        attr(b, "Target").unwrap_or_default(),
                    )
                })
                .collect();
            sets.insert(
                attr(set, "Name").unwrap_or_default(),
                (attr(set, "EntityType").unwrap_or_default(), bindings),
            );
        }
    }
    let mut types = BTreeMap::new();
    for ty in children(schema, "EntityType") {
        let keys = children(ty, "Key")
            .into_iter()
            .flat_map(|k| children(k, "PropertyRef"))
            .map(|r| attr(r, "Name").unwrap_or_default())
            .collect();
        let properties = children(ty, "Property")
            .into_iter()
            .map(|p| {
                (
                    attr(p, "Name").unwrap_or_default(),
                    (
                        attr(p, "Type").unwrap_or_default(),
                        attr(p, "Nullable").as_deref() != Some("false"),
                        attr(p, "MaxLength"),
                        attr(p, "Precision"),
                    ),
                )
            })
            .collect();
        let navigation = children(ty, "NavigationProperty")
            .into_iter()
            .map(|n| {
                let constraints = children(n, "ReferentialConstraint")
                    .into_iter()
                    .map(|c| {
                        (
                            attr(c, "Property").unwrap_or_default(),
                            attr(c, "ReferencedProperty").unwrap_or_default(),
                        )
                    })
                    .collect();
                (
                    attr(n, "Name").unwrap_or_default(),
                    (
                        attr(n, "Type").unwrap_or_default(),
                        attr(n, "Partner"),
                        constraints,
                    ),
                )
            })
            .collect();
        types.insert(
            attr(ty, "Name").unwrap_or_default(),
            EntityType {
                keys,
                properties,
                navigation,
            },
        );
    }
    Csdl {
        namespace: attr(schema, "Namespace").unwrap_or_default(),
        sets,
        types,
    }
}
