//! `$expand`: the option tree of a request, read against the catalog before any SQL
//! is built, so that a mistake anywhere in it is a 400 that names it.
//!
//! ```text
//! expand = item *( "," item )
//! item   = "*" / navigation [ "/$count" ] [ "(" [ option *( ";" option ) ] ")" ]
//! option = $select / $filter / $orderby / $top / $skip / $count / $expand  "=" value
//! ```
//!
//! As in CAP, `*` expands every navigation property not named otherwise (all of them
//! then in `$metadata` order), and empty parentheses or an empty `$expand` are allowed.
//! Unlike CAP, a navigation named twice is refused (CAP lets the last win silently), a
//! to-one navigation takes only `$select`, `$filter` and `$expand` (CAP ignores `$top`,
//! `$skip`, `$orderby` and answers `$count` with 1), and nesting is bounded.

use super::catalog::{Catalog, EntitySet, Navigation};
use super::error::ODataError;
use super::filter::{cut, Filter};
use super::read::parse_filter;
use super::request::{number, orderby, select};

/// How deep `$expand` nests (`a($expand=b($expand=c))` is three): each level multiplies
/// the rows an answer may hold.
pub const MAX_DEPTH: usize = 3;

/// One expanded navigation property and what its options ask for.
pub struct Expansion<'c> {
    /// The navigation property.
    pub navigation: &'c Navigation,
    /// The set it leads to.
    pub target: &'c EntitySet,
    /// Only the number of related entities (`messages/$count`), none of them.
    pub count_only: bool,
    /// `$select`: property indexes of the target (`None`: all).
    pub select: Option<Vec<usize>>,
    /// `$filter`, translated on the target.
    pub filter: Option<Filter>,
    /// `$orderby`: property index of the target and whether descending.
    pub orderby: Vec<(usize, bool)>,
    /// `$top`.
    pub top: Option<u64>,
    /// `$skip`.
    pub skip: u64,
    /// `$count=true`: the number of related entities next to them.
    pub count: bool,
    /// `$expand` of the target.
    pub expand: Vec<Expansion<'c>>,
    /// The options as a query string, for the next link of a long collection.
    pub query: String,
}

/// Reads `$expand` text (decoded) on `set`; empty text expands nothing.
pub fn parse<'c>(
    catalog: &'c Catalog,
    set: &'c EntitySet,
    text: &str,
) -> Result<Vec<Expansion<'c>>, ODataError> {
    items(catalog, set, text, 1)
}

fn mistake(message: impl std::fmt::Display) -> ODataError {
    ODataError::bad_request(format!("$expand: {message}"))
}

/// The items of one `$expand` at nesting `depth` (1 for the request's own).
fn items<'c>(
    catalog: &'c Catalog,
    set: &'c EntitySet,
    text: &str,
    depth: usize,
) -> Result<Vec<Expansion<'c>>, ODataError> {
    if text.trim().is_empty() {
        return Ok(Vec::new());
    }
    if depth > MAX_DEPTH {
        return Err(mistake(format!(
            "nests deeper than {MAX_DEPTH} levels; read the deeper entities with a request of their own"
        )));
    }
    let mut out: Vec<Expansion<'c>> = Vec::new();
    let mut star = false;
    for item in split(text, ',')? {
        let item = item.trim();
        let (head, options) = match item.find('(') {
            Some(open) if item.ends_with(')') => {
                (&item[..open], Some(&item[open + 1..item.len() - 1]))
            }
            Some(_) => {
                return Err(mistake(format!(
                    "`{}`: unexpected text after `)`",
                    cut(item)
                )))
            }
            None => (item, None),
        };
        let head = head.trim();
        if head == "*" {
            if options.is_some_and(|o| !o.trim().is_empty()) || star {
                return Err(mistake("`*` takes no options and is given once; name a navigation property to give it options"));
            }
            star = true;
            continue;
        }
        let (name, count_only) = match head.split_once('/') {
            None => (head, false),
            Some((name, "$count")) => (name, true),
            Some((name, "$ref")) => {
                return Err(mistake(format!(
                    "`{name}/$ref` is not supported: this service answers with entities; expand `{name}`"
                )))
            }
            Some(_) => {
                return Err(mistake(format!(
                    "`{}` is a path; nest instead, e.g. a($expand=b)",
                    cut(head)
                )))
            }
        };
        if name.is_empty() {
            return Err(mistake("an item is empty; write e.g. $expand=a,b"));
        }
        let navigation = navigation(set, name)?;
        if out.iter().any(|e| e.navigation.name == name) {
            return Err(mistake(format!(
                "`{name}` is expanded twice; expand it once, with all its options"
            )));
        }
        let expansion = expansion(
            catalog,
            navigation,
            count_only,
            options.unwrap_or_default(),
            depth,
        )?;
        out.push(expansion);
    }
    if star {
        for navigation in &set.navigations {
            if !out.iter().any(|e| std::ptr::eq(e.navigation, navigation)) {
                out.push(expansion(catalog, navigation, false, "", depth)?);
            }
        }
        // With `*`, CAP writes every navigation property in `$metadata` order.
        let position = |e: &Expansion<'_>| {
            set.navigations
                .iter()
                .position(|n| std::ptr::eq(n, e.navigation))
        };
        out.sort_by_key(position);
    }
    Ok(out)
}

fn navigation<'c>(set: &'c EntitySet, name: &str) -> Result<&'c Navigation, ODataError> {
    if let Some(navigation) = set.navigation(name) {
        return Ok(navigation);
    }
    let names: Vec<&str> = set.navigations.iter().map(|n| n.name.as_str()).collect();
    let has = match names.is_empty() {
        true => format!("{} has none", set.name),
        false => format!("{} has {}", set.name, names.join(", ")),
    };
    let what = match set.property(name) {
        Some(_) => format!(
            "`{name}` is a property, not a navigation property (it is in every answer; $select it)"
        ),
        None => format!(
            "`{}` is not a navigation property of {}",
            cut(name),
            set.name
        ),
    };
    Err(mistake(format!("{what}; {has}")))
}

/// The options `text` (between the parentheses) for `navigation`.
fn expansion<'c>(
    catalog: &'c Catalog,
    navigation: &'c Navigation,
    count_only: bool,
    text: &str,
    depth: usize,
) -> Result<Expansion<'c>, ODataError> {
    let target = &catalog.sets[navigation.target];
    let name = &navigation.name;
    let mut out = Expansion {
        navigation,
        target,
        count_only,
        select: None,
        filter: None,
        orderby: Vec::new(),
        top: None,
        skip: 0,
        count: false,
        expand: Vec::new(),
        query: String::new(),
    };
    let within =
        |e: ODataError| ODataError::new(e.status, format!("$expand of `{name}`: {}", e.message));
    let inside =
        |message: String| ODataError::bad_request(format!("$expand of `{name}`: {message}"));
    let mut seen: Vec<&str> = Vec::new();
    let mut query = form_urlencoded::Serializer::new(String::new());
    for option in split(text, ';')? {
        let option = option.trim();
        if option.is_empty() {
            continue;
        }
        let Some((key, value)) = option.split_once('=') else {
            return Err(inside(format!(
                "`{}` is not an option; write e.g. $select=a;$top=5",
                cut(option)
            )));
        };
        if seen.contains(&key) {
            return Err(inside(format!(
                "`{key}` is given twice; give each option once"
            )));
        }
        seen.push(key);
        let collection_only = matches!(key, "$top" | "$skip" | "$orderby" | "$count");
        if collection_only && !navigation.many {
            return Err(inside(format!(
                "`{key}` applies to collections, and `{name}` is a single entity; $select, $filter and $expand apply to it"
            )));
        }
        if count_only && key != "$filter" {
            return Err(inside(format!(
                "`{name}/$count` takes only $filter, not `{}`",
                cut(key)
            )));
        }
        query.append_pair(key, value);
        match key {
            "$select" => out.select = Some(select(target, value).map_err(within)?),
            "$filter" => out.filter = Some(parse_filter(catalog, target, value).map_err(within)?),
            "$orderby" => out.orderby = orderby(target, value).map_err(within)?,
            "$top" => out.top = Some(number(key, value).map_err(within)?),
            "$skip" => out.skip = number(key, value).map_err(within)?,
            "$count" => {
                out.count = match value {
                    "true" => true,
                    "false" => false,
                    _ => {
                        return Err(inside(format!(
                            "$count=`{}`: write $count=true or $count=false",
                            cut(value)
                        )))
                    }
                }
            }
            "$expand" => out.expand = items(catalog, target, value, depth + 1)?,
            "$levels" | "$search" | "$apply" | "$compute" => {
                return Err(inside(format!(
                    "`{key}` is not supported inside $expand; supported: $select, $filter, $orderby, $top, $skip, $count, $expand"
                )))
            }
            _ => {
                return Err(inside(format!(
                    "`{}` is not an option of $expand; supported: $select, $filter, $orderby, $top, $skip, $count, $expand",
                    cut(key)
                )))
            }
        }
    }
    out.query = query.finish();
    Ok(out)
}

/// `text` cut at each `separator` outside parentheses and string literals.
fn split(text: &str, separator: char) -> Result<Vec<&str>, ODataError> {
    let (mut parts, mut start, mut depth, mut quoted) = (Vec::new(), 0, 0usize, false);
    for (i, c) in text.char_indices() {
        match c {
            // A doubled quote inside a string closes and reopens it: the same to us.
            '\'' => quoted = !quoted,
            _ if quoted => {}
            '(' => depth += 1,
            ')' => {
                depth = depth.checked_sub(1).ok_or_else(|| {
                    mistake(format!(
                        "unbalanced parenthesis: no `(` for the `)` at character {}",
                        text[..i].chars().count() + 1
                    ))
                })?;
            }
            _ if c == separator && depth == 0 => {
                parts.push(&text[start..i]);
                start = i + c.len_utf8();
            }
            _ => {}
        }
    }
    if quoted {
        return Err(mistake(format!(
            "unterminated string in `{}`; a quote inside a string is doubled: 'it''s'",
            cut(text)
        )));
    }
    if depth > 0 {
        return Err(mistake(format!(
            "unbalanced parenthesis in `{}`: close each `(` with `)`",
            cut(text)
        )));
    }
    parts.push(&text[start..]);
    Ok(parts)
}

#[cfg(test)]
mod tests {
    use cai_bridge_model::LogicalType;

    use super::*;
    use crate::serve::catalog::Property;

    fn set(name: &str, properties: &[(&str, bool)], navigations: Vec<Navigation>) -> EntitySet {
        EntitySet {
            name: name.to_owned(),
            view: format!("\"{name}\""),
            dialect: cai_bridge_model::dialect::Dialect::Sqlite,
            properties: properties
                .iter()
                .map(|&(name, key)| Property {
                    name: name.to_owned(),
                    column: format!("\"{name}\""),
                    ty: LogicalType::String(None),
                    key,
                })
                .collect(),
            navigations,
            entity_table: None,
        }
    }

    fn nav(name: &str, target: usize, many: bool, on: &[(usize, usize)]) -> Navigation {
        Navigation {
            name: name.to_owned(),
            target,
            many,
            on: on.to_vec(),
        }
    }

    /// Conversations ← Messages ← Intents.
    fn catalog() -> Catalog {
        let conversations = set(
            "Conversations",
            &[("id", true), ("kind", false)],
            vec![nav("messages", 1, true, &[(0, 0)])],
        );
        let messages = set(
            "Messages",
            &[("cid", true), ("mid", true), ("text", false)],
            vec![
                nav("conversation", 0, false, &[(0, 0)]),
                nav("intents", 2, true, &[(0, 0), (1, 1)]),
            ],
        );
        let intents = set(
            "Intents",
            &[("cid", true), ("mid", true), ("slug", false)],
            vec![nav("message", 1, false, &[(0, 0), (1, 1)])],
        );
        Catalog {
            path: String::new(),
            sets: vec![conversations, messages, intents],
            metadata: String::new(),
            metadata_json: String::new(),
        }
    }

    fn names(expansions: &[Expansion<'_>]) -> Vec<String> {
        expansions
            .iter()
            .map(|e| match e.expand.is_empty() {
                true => e.navigation.name.clone(),
                false => format!("{}({})", e.navigation.name, names(&e.expand).join(",")),
            })
            .collect()
    }

    fn error(set: usize, text: &str) -> String {
        let catalog = catalog();
        match parse(&catalog, &catalog.sets[set], text) {
            Ok(_) => panic!("{text} was accepted"),
            Err(e) => {
                assert_eq!(e.status, 400, "{text}");
                e.message
            }
        }
    }

    #[test]
    fn items_options_and_nesting_are_read() {
        let catalog = catalog();
        let messages = &catalog.sets[1];
        let tree = parse(
            &catalog,
            messages,
            " intents($select=slug;$filter=slug eq 'a;b)' or slug eq 'it''s';$orderby=slug desc;\
             $top=2;$skip=1;$count=true;$expand=message($select=text)) , conversation($select=kind)",
        )
        .expect("parses");
        assert_eq!(names(&tree), ["intents(message)", "conversation"]);
        let intents = &tree[0];
        assert_eq!(intents.select.as_deref(), Some(&[2][..]));
        assert_eq!(intents.orderby, [(2, true)]);
        assert_eq!(
            (intents.top, intents.skip, intents.count),
            (Some(2), 1, true)
        );
        let filter = intents.filter.as_ref().expect("a filter");
        assert_eq!(filter.params.len(), 2, "{}", filter.sql);
        assert!(
            filter.sql.contains("\"Intents\".\"slug\""),
            "{}",
            filter.sql
        );
        assert_eq!(intents.expand[0].select.as_deref(), Some(&[2][..]));
        assert!(!tree[1].navigation.many);
        // The options again, for a next link of the collection.
        assert!(
            intents
                .query
                .starts_with("%24select=slug&%24filter=slug+eq+%27a%3Bb%29%27"),
            "{}",
            intents.query
        );
        assert!(parse(&catalog, messages, "").expect("empty").is_empty());
        assert_eq!(
            names(&parse(&catalog, messages, "intents()").expect("()")),
            ["intents"]
        );
        let count =
            parse(&catalog, messages, "intents/$count($filter=slug eq 'a')").expect("count");
        assert!(count[0].count_only && count[0].filter.is_some());
    }

    #[test]
    fn a_star_expands_every_navigation_property_in_metadata_order() {
        let catalog = catalog();
        let messages = &catalog.sets[1];
        let tree = parse(&catalog, messages, "intents($top=1),*").expect("parses");
        assert_eq!(names(&tree), ["conversation", "intents"]);
        assert_eq!(tree[1].top, Some(1), "the named one keeps its options");
        let nested = parse(&catalog, &catalog.sets[0], "messages($expand=*)").expect("parses");
        assert_eq!(names(&nested), ["messages(conversation,intents)"]);
        assert!(
            parse(&catalog, &catalog.sets[2], "*")
                .expect("parses")
                .len()
                == 1
        );
    }

    #[test]
    fn mistakes_are_400s_that_name_them() {
        let cases = [
            (1, "nope", "`nope` is not a navigation property of Messages; Messages has conversation, intents"),
            (1, "text", "`text` is a property, not a navigation property"),
            (1, "intents/message", "`intents/message` is a path"),
            (1, "intents/$ref", "not supported"),
            (1, "intents,intents", "`intents` is expanded twice"),
            (1, "*,*", "`*` takes no options and is given once"),
            (1, "*($top=1)", "`*` takes no options"),
            (1, "intents,", "an item is empty"),
            (1, "intents(", "unbalanced parenthesis"),
            (1, "intents)", "unbalanced parenthesis"),
            (1, "intents($filter=slug eq 'a)", "unterminated string"),
            (1, "intents($top=1)x", "unexpected text after `)`"),
            (1, "intents($top=1;$top=2)", "`$top` is given twice"),
            (1, "intents($top=-1)", "$top=`-1` is not a non-negative whole number"),
            (1, "intents($count=yes)", "write $count=true or $count=false"),
            (1, "intents($select=nope)", "$expand of `intents`: $select: `nope` is not a property of Intents"),
            (1, "intents($filter=nope eq 1)", "$expand of `intents`: $filter: unknown property `nope`"),
            (1, "intents($orderby=nope)", "$orderby: `nope`"),
            (1, "intents($levels=2)", "`$levels` is not supported inside $expand"),
            (1, "intents($search=a)", "`$search` is not supported inside $expand"),
            (1, "intents($nope=1)", "`$nope` is not an option of $expand"),
            (1, "intents(top=1)", "`top` is not an option of $expand"),
            (1, "intents($top)", "`$top` is not an option; write e.g."),
            (1, "conversation($top=1)", "`$top` applies to collections, and `conversation` is a single entity"),
            (1, "conversation($count=true)", "`$count` applies to collections"),
            (1, "intents/$count($select=slug)", "takes only $filter"),
            (0, "messages($expand=intents($expand=message($expand=conversation)))", "nests deeper than 3 levels"),
            (2, "message($expand=nope)", "`nope` is not a navigation property of Messages"),
        ];
        for (set, text, want) in cases {
            let message = error(set, text);
            assert!(message.contains(want), "{text}: {message}");
            assert!(message.starts_with("$expand"), "{text}: {message}");
        }
        // Three levels are allowed.
        let catalog = catalog();
        let three = "messages($expand=intents($expand=message))";
        assert!(parse(&catalog, &catalog.sets[0], three).is_ok());
    }
}
