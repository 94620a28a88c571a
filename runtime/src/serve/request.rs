//! Reading a request: which resource its path names and what its system query
//! options ask for, checked against the entity set so that a mistake is a 400 that
//! names it, before any SQL is built.

use percent_encoding::percent_decode_str;

use super::apply::{self, Applied};
use super::catalog::{Catalog, EntitySet};
use super::error::ODataError;
use super::filter::cut;
use super::navigation::Path;

/// What a path names.
pub enum Resource<'c> {
    /// `/` under the service: the service document.
    ServiceDocument,
    /// `/$metadata`.
    Metadata,
    /// `/Set`, or `/Set/$count` (`count_only`).
    Collection {
        /// The set.
        set: &'c EntitySet,
        /// Only the number of matching entities, as text.
        count_only: bool,
    },
    /// `/Set(key)`.
    Entity {
        /// The set.
        set: &'c EntitySet,
        /// The key predicate between the parentheses, percent-decoded.
        key: String,
    },
    /// `/Set(key)/…`: navigation and property segments after a key, resolved by
    /// `navigation` (it needs the database to tell 404 from 204).
    Path(Path<'c>),
}

/// Reads the resource `path` names under the service.
pub fn resource<'c>(catalog: &'c Catalog, path: &str) -> Result<Resource<'c>, ODataError> {
    let elsewhere = || {
        ODataError::not_found(format!(
            "no service at {path}; the OData service is at {}/",
            catalog.path
        ))
    };
    let rest = path.strip_prefix(&catalog.path).ok_or_else(elsewhere)?;
    if rest.is_empty() || rest == "/" {
        return Ok(Resource::ServiceDocument);
    }
    let rest = rest.strip_prefix('/').ok_or_else(elsewhere)?;
    let segments: Vec<String> = rest
        .split('/')
        .map(|s| percent_decode_str(s).decode_utf8_lossy().into_owned())
        .collect();
    if segments == ["$metadata"] {
        return Ok(Resource::Metadata);
    }
    let first = &segments[0];
    let (name, key) = match first.find('(') {
        Some(open) if first.ends_with(')') => (
            &first[..open],
            Some(first[open + 1..first.len() - 1].to_owned()),
        ),
        Some(_) => {
            return Err(ODataError::bad_request(format!(
                "`{}`: a key predicate must end with `)`, e.g. Conversations('id')",
                cut(first)
            )))
        }
        None => (first.as_str(), None),
    };
    let set = catalog.set(name).ok_or_else(|| {
        let names: Vec<&str> = catalog.sets.iter().map(|s| s.name.as_str()).collect();
        ODataError::not_found(format!(
            "no entity set `{name}`; the service has {}",
            names.join(", ")
        ))
    })?;
    match (key, &segments[1..]) {
        (None, []) => Ok(Resource::Collection {
            set,
            count_only: false,
        }),
        (None, [count]) if count == "$count" => Ok(Resource::Collection {
            set,
            count_only: true,
        }),
        (Some(key), []) => Ok(Resource::Entity { set, key }),
        (Some(key), more) => Ok(Resource::Path(Path {
            set,
            key,
            segments: more.to_vec(),
            raw: rest.to_owned(),
        })),
        (None, more) => Err(ODataError::bad_request(format!(
            "`/{}` after `{first}`: navigation and properties start from one entity; \
             write {first}(key)/…",
            cut(&more.join("/"))
        ))),
    }
}

/// The system query options of a request.
#[derive(Debug, Default)]
pub struct Options {
    /// `$apply`: the set it makes, which the other options then read instead of the
    /// requested set (their property indexes are its properties').
    pub apply: Option<Applied>,
    /// `$select`: property indexes (`None`: all).
    pub select: Option<Vec<usize>>,
    /// `$filter`, decoded (parsed later against the set).
    pub filter: Option<String>,
    /// `$search`, decoded (parsed later against the set).
    pub search: Option<String>,
    /// `$expand`, decoded (parsed later against the catalog, by `expand`).
    pub expand: Option<String>,
    /// `$orderby`: property index and whether descending.
    pub orderby: Vec<(usize, bool)>,
    /// `$top`.
    pub top: Option<u64>,
    /// `$skip`.
    pub skip: u64,
    /// `$skiptoken`: rows of this result already delivered by earlier pages.
    pub skiptoken: u64,
    /// `$count=true`.
    pub count: bool,
    /// Int64 values as strings (`IEEE754Compatible=true` in the format or Accept).
    pub ieee754: bool,
    /// The query without `$skiptoken`, re-encoded, for next links.
    pub next_base: String,
}

/// Options the service does not support, and why.
const UNSUPPORTED: &[(&str, &str)] = &[
    ("$compute", "compute in SAP Analytics Cloud"),
    (
        "$levels",
        "there are no recursive hierarchies; nest $expand instead",
    ),
    ("$index", "it is for collections of primitive values only"),
    ("$schemaversion", "the service has one schema"),
    ("$deltatoken", "read with $filter on a timestamp instead"),
];

/// Reads the query string `query` (as sent) for `set`; `accept` is the Accept header.
pub fn options(set: &EntitySet, query: &str, accept: &str) -> Result<Options, ODataError> {
    let mut options = Options {
        ieee754: ieee754(accept),
        ..Options::default()
    };
    let mut seen: Vec<String> = Vec::new();
    // Resolved once the query is read: after `$apply`, they name its result's properties.
    let (mut select_text, mut orderby_text, mut apply_text) = (None, None, None);
    let mut next = form_urlencoded::Serializer::new(String::new());
    for (name, value) in form_urlencoded::parse(query.as_bytes()) {
        if name != "$skiptoken" {
            next.append_pair(&name, &value);
        }
        if !name.starts_with('$') {
            // Custom query options (`sap-client=100`) are the client's business.
            continue;
        }
        if seen.iter().any(|s| *s == name) {
            return Err(ODataError::bad_request(format!(
                "`{name}` is given twice; give each system query option once"
            )));
        }
        seen.push(name.to_string());
        match &*name {
            "$select" => select_text = Some(value),
            "$filter" => options.filter = Some(value.into_owned()),
            "$search" => options.search = Some(value.into_owned()),
            "$expand" => options.expand = Some(value.into_owned()),
            "$orderby" => orderby_text = Some(value),
            "$apply" => apply_text = Some(value),
            "$top" => options.top = Some(number(&name, &value)?),
            "$skip" => options.skip = number(&name, &value)?,
            "$skiptoken" => options.skiptoken = number(&name, &value)?,
            "$count" => {
                options.count = match &*value {
                    "true" => true,
                    "false" => false,
                    _ => {
                        return Err(ODataError::bad_request(format!(
                            "$count=`{value}`: write $count=true or $count=false"
                        )))
                    }
                }
            }
            "$format" => {
                let media = value.split(';').next().unwrap_or_default().trim();
                if media != "json" && media != "application/json" {
                    // 501 as CAP answers: another format is valid OData, just not done here.
                    return Err(ODataError::new(
                        axum::http::StatusCode::NOT_IMPLEMENTED,
                        format!("$format=`{}`: this service answers in JSON only; write $format=json or leave it out", cut(&value)),
                    ));
                }
                options.ieee754 |= ieee754(&value);
            }
            other => {
                let why = UNSUPPORTED
                    .iter()
                    .find(|(n, _)| *n == other)
                    .map_or("it is not an OData V4 system query option, or not one this read-only service knows; supported: $select, $filter, $expand, $search, $apply, $orderby, $top, $skip, $count, $format", |(_, why)| why);
                return Err(ODataError::bad_request(format!(
                    "`{other}` is not supported: {why}"
                )));
            }
        }
    }
    options.next_base = next.finish();
    if let Some(text) = apply_text {
        options.apply = Some(apply::apply(set, &text)?);
    }
    let result = options.apply.as_ref().map_or(set, |a| &a.set);
    if let Some(text) = select_text {
        options.select = Some(select(result, &text)?);
    }
    if let Some(text) = orderby_text {
        options.orderby = orderby(result, &text)?;
    }
    Ok(options)
}

fn ieee754(media: &str) -> bool {
    media
        .to_ascii_lowercase()
        .replace(' ', "")
        .contains("ieee754compatible=true")
}

/// A non-negative whole number, the value of option `name`.
pub(super) fn number(name: &str, value: &str) -> Result<u64, ODataError> {
    value.trim().parse().map_err(|_| {
        ODataError::bad_request(format!(
            "{name}=`{value}` is not a non-negative whole number"
        ))
    })
}

fn property(set: &EntitySet, name: &str, option: &str) -> Result<usize, ODataError> {
    if name.contains('/') {
        return Err(ODataError::bad_request(format!(
            "{option}: `{}` is a path; name a property of {} (to read related entities, $expand them)",
            cut(name),
            set.name
        )));
    }
    set.property(name).map(|(i, _)| i).ok_or_else(|| {
        ODataError::bad_request(format!(
            "{option}: `{name}` is not a property of {}; it has {}{}",
            set.name,
            set.some_names(),
            if set.properties.len() > 10 {
                ", …"
            } else {
                ""
            }
        ))
    })
}

/// `$select` on `set`: property indexes. A navigation property selects nothing, as
/// in CAP (it is `$expand` that reads related entities), but still makes the
/// selection explicit.
pub(super) fn select(set: &EntitySet, value: &str) -> Result<Vec<usize>, ODataError> {
    let mut out = Vec::new();
    for item in value.split(',').map(str::trim) {
        if item == "*" {
            return Ok((0..set.properties.len()).collect());
        }
        if item.is_empty() {
            return Err(ODataError::bad_request(
                "$select has an empty item; write $select=a,b",
            ));
        }
        if set.navigation(item).is_some() {
            continue;
        }
        let index = property(set, item, "$select")?;
        if !out.contains(&index) {
            out.push(index);
        }
    }
    Ok(out)
}

/// The `$orderby` items, each property once: a later mention of a property already
/// ordered by changes nothing, and dropping it keeps the `ORDER BY` within SQLite's
/// limit of terms however long the option is.
pub(super) fn orderby(set: &EntitySet, value: &str) -> Result<Vec<(usize, bool)>, ODataError> {
    let items: Vec<(usize, bool)> = value
        .split(',')
        .map(|item| {
            let mut words = item.split_whitespace();
            let name = words.next().ok_or_else(|| {
                ODataError::bad_request("$orderby has an empty item; write $orderby=a desc,b")
            })?;
            let desc = match words.next() {
                None | Some("asc") => false,
                Some("desc") => true,
                Some(other) => {
                    return Err(ODataError::bad_request(format!(
                        "$orderby: `{other}` after `{name}`; write asc or desc"
                    )))
                }
            };
            if let Some(extra) = words.next() {
                return Err(ODataError::bad_request(format!(
                    "$orderby: unexpected `{extra}`; separate items with commas"
                )));
            }
            Ok((property(set, name, "$orderby")?, desc))
        })
        .collect::<Result<_, _>>()?;
    let mut seen = Vec::with_capacity(items.len());
    Ok(items
        .into_iter()
        .filter(|(index, _)| {
            let first = !seen.contains(index);
            if first {
                seen.push(*index);
            }
            first
        })
        .collect())
}
