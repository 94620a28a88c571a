//! Navigation in `$filter`: paths through to-one navigation properties
//! (`conversation/channel_type`), the `$count` of a collection (`messages/$count`), and
//! the lambda operators over a collection (`messages/any(m:m/nlp_sentiment eq 'positive')`,
//! `all`, `any()`), each translated into a subquery on the foreign keys.
//!
//! A path is one subquery: the first hop is correlated with the row it starts from (the
//! filtered row, or a lambda variable's), the others are inner joins, so that a missing
//! entity on the way makes the value NULL, as CAP's left joins do. Only the model's
//! names reach the SQL; every alias is generated. Inside a lambda a bare property name
//! is refused: OData binds it to `$it`, CAP to the lambda's member, so a client must say
//! which (`m/…` or `$it/…`) rather than get either answer silently.

use cai_bridge_model::dialect::Dialect;

use super::error::{cut, err, FilterError, Position};
use super::kind::Kind;
use super::lex::Tok;
use super::parse::{Node, NodeKind, Parser};
use super::sql::{condition, Frag};
use super::Entity;

/// The most navigation steps one filter takes: each is a join or a subquery, and a
/// model's paths are short, so more is a query going in circles.
const MAX_HOPS: usize = 8;

/// What a filter with navigation can reach: the sets, and the variables in scope.
pub(super) struct Scope<'t, 'p> {
    entities: &'t [Entity<'p>],
    /// `$it` (the filtered set) first, then each enclosing lambda's variable.
    vars: Vec<Var>,
    /// Navigation steps taken so far (see [`MAX_HOPS`]); also numbers the aliases.
    hops: usize,
}

/// A variable in scope: its name, its entity and the SQL name of its row.
struct Var {
    name: String,
    entity: usize,
    table: String,
}

impl<'t, 'p> Scope<'t, 'p> {
    /// The scope of a filter on `entities[root]`.
    pub(super) fn new(entities: &'t [Entity<'p>], root: usize) -> Self {
        let it = Var {
            name: "$it".into(),
            entity: root,
            table: entities[root].table.to_owned(),
        };
        Scope {
            entities,
            vars: vec![it],
            hops: 0,
        }
    }

    fn var(&self, name: &str) -> Option<usize> {
        self.vars.iter().rposition(|v| v.name == name)
    }
}

/// Where a path has got to: the row it started from and the hops since.
struct Walk {
    /// The SQL name of the starting row (a table or an alias).
    from: String,
    /// (entity, index of the navigation property taken) per hop.
    hops: Vec<(usize, usize)>,
    /// The path so far, for messages.
    label: String,
}

impl Parser<'_, '_> {
    /// Why `w`, a name without a path, cannot stand where a value may: inside a lambda
    /// (see the module's documentation), or as a navigation property, which is not a
    /// value. `None` when it may.
    pub(super) fn refuse_bare(&self, w: &str, at: &Position) -> Option<FilterError> {
        let scope = self.scope.as_ref()?;
        let root = &scope.entities[scope.vars[0].entity];
        let Some(inner) = scope.vars.last().filter(|_| scope.vars.len() > 1) else {
            let nav = root.navigations.iter().find(|n| n.name == w)?;
            return Some(not_a_value(w, nav.many, at));
        };
        let root = root.name;
        if scope.var(w).is_some() {
            let what = format!("`{w}` is a lambda variable, not a value");
            return Some(err(at, what, format!("name a property through it: {w}/…")));
        }
        let target = scope.entities[inner.entity].name;
        let what = format!("`{}` without a lambda variable", cut(w));
        let hint = format!(
            "inside a lambda, write {v}/{w} for the {target} it ranges over, or $it/{w} for the \
             {root} being filtered",
            v = inner.name
        );
        Some(err(at, what, hint))
    }

    /// A path: `first` is its first word, the next token is `/`.
    pub(super) fn path(&mut self, first: String, at: Position) -> Result<Node, FilterError> {
        let Some(scope) = self.scope.as_ref() else {
            return Err(no_scope(&self.here()));
        };
        let var = scope.var(&first);
        let (start, name, name_at) = match var {
            Some(var) => {
                self.pos += 1;
                let (name, name_at) = self.segment(&first)?;
                (var, name, name_at)
            }
            None => match self
                .refuse_bare(&first, &at)
                .filter(|_| scope.vars.len() > 1)
            {
                Some(error) => return Err(error),
                None => (0, first.clone(), at.clone()),
            },
        };
        let scope = self.scope.as_ref().ok_or_else(|| no_scope(&at))?;
        let mut entity = scope.vars[start].entity;
        let mut walk = Walk {
            from: scope.vars[start].table.clone(),
            hops: Vec::new(),
            label: first,
        };
        if var.is_some() {
            walk.label = format!("{}/{name}", walk.label);
        }
        let (mut name, mut name_at) = (name, name_at);
        loop {
            let scope = self.scope.as_ref().ok_or_else(|| no_scope(&at))?;
            let here = &scope.entities[entity];
            if let Some(p) = here.properties.iter().find(|p| p.name == name) {
                if self.punct('/') {
                    let what = format!("`{name}` is a property; only navigation properties go on");
                    return Err(err(&self.here(), what, "end the path at the property"));
                }
                let kind = Kind::of(p.ty);
                let column = p.column.to_owned();
                return Ok(self.value(walk, &column, kind, at));
            }
            let Some(index) = here.navigations.iter().position(|n| n.name == name) else {
                return Err(unknown(here, &name, &name_at));
            };
            let nav = &here.navigations[index];
            let (many, target) = (nav.many, nav.target);
            self.hop(&name_at)?;
            walk.hops.push((entity, index));
            entity = target;
            if !self.punct('/') {
                return Err(not_a_value(&name, many, &name_at));
            }
            self.pos += 1;
            let (next, next_at) = self.segment(&name)?;
            match (many, next.as_str()) {
                (true, "any" | "all") => return self.lambda(walk, entity, next == "all", at),
                (true, "$count") => {
                    walk.label = format!("{}/$count", walk.label);
                    let (from, _) = self.joins(&walk);
                    let sql = format!("(SELECT count(*) {from})");
                    return Ok(Node(NodeKind::Prop(walk.label, sql, Kind::Int), at));
                }
                (true, _) => {
                    let what = format!("`{name}` is a collection");
                    return Err(err(&next_at, what, collection_hint(&name)));
                }
                (false, "any" | "all") => {
                    let what = format!("`{name}` is a single entity; `{next}` is for collections");
                    let hint = format!("compare one of its properties, e.g. {name}/…");
                    return Err(err(&next_at, what, hint));
                }
                (false, _) => {}
            }
            walk.label = format!("{}/{next}", walk.label);
            (name, name_at) = (next, next_at);
        }
    }

    /// The name after a `/` (the parser is past the `/`).
    fn segment(&mut self, after: &str) -> Result<(String, Position), FilterError> {
        let at = self.here();
        match self.tokens.get(self.pos) {
            Some((Tok::Word(w), _)) => {
                self.pos += 1;
                Ok((w.clone(), at))
            }
            _ => {
                let what = format!("expected a name after `{after}/`");
                Err(err(&at, what, "write e.g. conversation/channel_type"))
            }
        }
    }

    /// Counts a navigation step against [`MAX_HOPS`].
    fn hop(&mut self, at: &Position) -> Result<(), FilterError> {
        let scope = self.scope.as_mut().ok_or_else(|| no_scope(at))?;
        if scope.hops >= MAX_HOPS {
            let what = format!("more than {MAX_HOPS} navigation steps");
            return Err(err(at, what, "filter on fewer related entities"));
        }
        scope.hops += 1;
        Ok(())
    }

    /// The `FROM … WHERE …` that reaches the last hop's rows from the walk's start,
    /// and the alias of those rows.
    fn joins(&self, walk: &Walk) -> (String, String) {
        let Some(scope) = self.scope.as_ref() else {
            return (String::new(), walk.from.clone());
        };
        let (mut from, mut on_start) = (String::new(), String::new());
        let mut previous = walk.from.clone();
        for (n, &(entity, index)) in walk.hops.iter().enumerate() {
            let nav = &scope.entities[entity].navigations[index];
            // Numbered by hop across the whole filter, so that nested paths never clash.
            let alias = format!("\"$f{}\"", scope.hops - walk.hops.len() + n + 1);
            let table = scope.entities[nav.target].table;
            let pairs: Vec<String> = nav
                .on
                .iter()
                .map(|(here, there)| format!("{alias}.{there} = {previous}.{here}"))
                .collect();
            if n == 0 {
                from = format!("{table} AS {alias}");
                on_start = pairs.join(" AND ");
            } else {
                from = format!("{from} JOIN {table} AS {alias} ON {}", pairs.join(" AND "));
            }
            previous = alias;
        }
        (format!("FROM {from} WHERE {on_start}"), previous)
    }

    /// The value of a path that ends at a property `column`.
    fn value(&self, walk: Walk, column: &str, kind: Kind, at: Position) -> Node {
        let sql = if walk.hops.is_empty() {
            format!("{}.{column}", walk.from)
        } else {
            let (from, last) = self.joins(&walk);
            format!("(SELECT {last}.{column} {from})")
        };
        Node(NodeKind::Prop(walk.label, sql, kind), at)
    }

    /// `any(…)` or `all(…)` after a collection; the parser is past the operator's name.
    fn lambda(
        &mut self,
        walk: Walk,
        entity: usize,
        all: bool,
        at: Position,
    ) -> Result<Node, FilterError> {
        let operator = if all { "all" } else { "any" };
        let collection = walk.label.clone();
        if !self.punct('(') {
            let what = format!("expected `(` after `{operator}`");
            return Err(err(&self.here(), what, collection_hint(&collection)));
        }
        self.pos += 1;
        let (from, alias) = self.joins(&walk);
        if self.punct(')') && !all {
            self.pos += 1;
            return Ok(Node(NodeKind::Exists(from, None, false), at));
        }
        let var_at = self.here();
        let var = match (self.tokens.get(self.pos), self.tokens.get(self.pos + 1)) {
            (Some((Tok::Word(var), _)), Some((Tok::Punct(':'), _))) => var.clone(),
            _ => {
                let what = format!("expected a lambda variable and `:` after `{operator}(`");
                return Err(err(&var_at, what, collection_hint(&collection)));
            }
        };
        let scope = self.scope.as_mut().ok_or_else(|| no_scope(&at))?;
        if var.starts_with('$') || scope.var(&var).is_some() {
            let what = format!("`{}` is already in scope", cut(&var));
            return Err(err(&var_at, what, "name the lambda variable anew, e.g. x"));
        }
        scope.vars.push(Var {
            name: var,
            entity,
            table: alias,
        });
        self.pos += 2;
        let body = self.nested(Parser::or);
        if let Some(scope) = self.scope.as_mut() {
            scope.vars.pop();
        }
        let body = body?;
        if !self.punct(')') {
            let what = format!("expected `)` to close `{operator}(`");
            return Err(err(&self.here(), what, "close the lambda with `)`"));
        }
        self.pos += 1;
        Ok(Node(NodeKind::Exists(from, Some(Box::new(body)), all), at))
    }
}

/// The SQL of `any` (`EXISTS`, with the condition if there is one) or `all` (no member
/// for which the condition fails: NULL is not a failure, as CAP's `not exists … and
/// not (…)` has it). `from` is the collection's `FROM … WHERE …`.
pub(super) fn exists(
    from: &str,
    body: Option<&Node>,
    all: bool,
    d: Dialect,
) -> Result<Frag, FilterError> {
    let head = Frag::default().add(if all { "NOT EXISTS (" } else { "EXISTS (" });
    let select = head.add("SELECT 1 ").add(from);
    Ok(match (body, all) {
        (None, _) => select.add(")"),
        (Some(body), false) => select.add(" AND (").with(&condition(body, d)?).add("))"),
        (Some(body), true) => select
            .add(" AND NOT (")
            .with(&condition(body, d)?)
            .add("))"),
    })
}

fn unknown(entity: &Entity<'_>, name: &str, at: &Position) -> FilterError {
    let names = entity
        .navigations
        .iter()
        .map(|n| n.name)
        .chain(entity.properties.iter().map(|p| p.name))
        .take(12)
        .collect::<Vec<_>>()
        .join(", ");
    let what = format!(
        "`{}` is not a property or navigation property of {}",
        cut(name),
        entity.name
    );
    err(at, what, format!("it has {names}"))
}

fn not_a_value(name: &str, many: bool, at: &Position) -> FilterError {
    if many {
        return err(
            at,
            format!("`{name}` is a collection"),
            collection_hint(name),
        );
    }
    let what = format!("`{name}` is an entity, not a value");
    err(
        at,
        what,
        format!("compare one of its properties, e.g. {name}/…"),
    )
}

fn collection_hint(name: &str) -> String {
    format!("write {name}/any(x:x/… eq …), {name}/all(x:…), {name}/any() or {name}/$count")
}

/// What a path is without a scope (a filter parsed without its entities).
fn no_scope(at: &Position) -> FilterError {
    err(
        at,
        "navigation paths (`a/b`) are not supported",
        super::parse::SUPPORTED,
    )
}

#[cfg(test)]
mod tests {
    use cai_bridge_model::LogicalType;
    use rusqlite::Connection;

    use super::super::{Entity, Filter, FilterError, Navigation, Property};

    /// The filter in SQLite's SQL, which these tests run.
    fn parse_in(text: &str, entities: &[Entity<'_>], root: usize) -> Result<Filter, FilterError> {
        super::super::parse_in(
            text,
            entities,
            root,
            cai_bridge_model::dialect::Dialect::Sqlite,
        )
    }

    const TEXT: LogicalType = LogicalType::String(None);
    const INT: LogicalType = LogicalType::Integer;

    fn property<'a>(name: &'a str, column: &'a str, ty: &'a LogicalType) -> Property<'a> {
        Property { name, column, ty }
    }

    /// Conversations ← Messages ← Intents, as the catalog describes them.
    fn entities() -> Vec<Entity<'static>> {
        vec![
            Entity {
                name: "Conversations",
                table: "\"C\"",
                properties: vec![
                    property("id", "\"id\"", &TEXT),
                    property("kind", "\"kind\"", &TEXT),
                ],
                navigations: vec![Navigation {
                    name: "messages",
                    target: 1,
                    many: true,
                    on: vec![("\"id\"", "\"cid\"")],
                }],
            },
            Entity {
                name: "Messages",
                table: "\"M\"",
                properties: vec![
                    property("cid", "\"cid\"", &TEXT),
                    property("mid", "\"mid\"", &TEXT),
                    property("n", "\"n\"", &INT),
                    property("kind", "\"kind\"", &TEXT),
                ],
                navigations: vec![
                    Navigation {
                        name: "conversation",
                        target: 0,
                        many: false,
                        on: vec![("\"cid\"", "\"id\"")],
                    },
                    Navigation {
                        name: "intents",
                        target: 2,
                        many: true,
                        on: vec![("\"cid\"", "\"cid\""), ("\"mid\"", "\"mid\"")],
                    },
                ],
            },
            Entity {
                name: "Intents",
                table: "\"I\"",
                properties: vec![
                    property("cid", "\"cid\"", &TEXT),
                    property("mid", "\"mid\"", &TEXT),
                    property("slug", "\"slug\"", &TEXT),
                ],
                navigations: vec![Navigation {
                    name: "message",
                    target: 1,
                    many: false,
                    on: vec![("\"cid\"", "\"cid\""), ("\"mid\"", "\"mid\"")],
                }],
            },
        ]
    }

    /// a: two messages (n 1, 2), one with intent x; b: one message (n 3, kind as its
    /// conversation's); c: none; message m9 of a conversation that is gone.
    fn db() -> Connection {
        let db = Connection::open_in_memory().expect("a database");
        db.execute_batch(
            "CREATE TABLE C (id TEXT, kind TEXT);
             CREATE TABLE M (cid TEXT, mid TEXT, n INTEGER, kind TEXT);
             CREATE TABLE I (cid TEXT, mid TEXT, slug TEXT);
             INSERT INTO C VALUES ('a', 'web'), ('b', 'slack'), ('c', NULL);
             INSERT INTO M VALUES ('a', 'm1', 1, 'text'), ('a', 'm2', 2, NULL),
                                  ('b', 'm3', 3, 'slack'), ('gone', 'm9', 9, NULL);
             INSERT INTO I VALUES ('a', 'm1', 'x'), ('b', 'm3', 'y'), ('b', 'm3', 'x');",
        )
        .expect("rows");
        db
    }

    /// The keys (`id`, or `mid`) of the rows of `entities[root]` the filter keeps.
    fn rows(db: &Connection, root: usize, filter: &str) -> Vec<String> {
        let entities = entities();
        let f = parse_in(filter, &entities, root).unwrap_or_else(|e| panic!("{filter}: {e}"));
        assert_eq!(f.sql.matches('?').count(), f.params.len(), "{filter}");
        let (table, key) = [("C", "id"), ("M", "mid"), ("I", "slug")][root];
        let sql = format!("SELECT {key} FROM \"{table}\" WHERE {} ORDER BY 1", f.sql);
        let mut stmt = db.prepare(&sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
        let found = stmt.query_map(rusqlite::params_from_iter(f.params), |r| r.get(0));
        found
            .expect("runs")
            .collect::<Result<_, _>>()
            .expect("rows")
    }

    #[test]
    fn paths_and_lambdas_select_the_right_rows() {
        let db = db();
        let cases: &[(usize, &str, &[&str])] = &[
            (1, "conversation/kind eq 'web'", &["m1", "m2"]),
            // A missing parent makes the value null, as CAP's left join does.
            (1, "conversation/kind eq null", &["m9"]),
            (1, "conversation/kind ne 'web'", &["m3", "m9"]),
            (2, "message/conversation/kind eq 'slack'", &["x", "y"]),
            (2, "message/n eq 1", &["x"]),
            (0, "messages/any(m:m/n ge 2)", &["a", "b"]),
            (0, "messages/any(m:m/n ge 2 and m/kind eq null)", &["a"]),
            (0, "messages/all(m:m/n ge 2)", &["b", "c"]),
            // A null is not a member for which the condition fails.
            (0, "messages/all(m:m/kind eq 'text')", &["a", "c"]),
            (0, "messages/any()", &["a", "b"]),
            (0, "not messages/any()", &["c"]),
            (0, "messages/$count eq 2", &["a"]),
            (0, "messages/$count lt 1 or kind eq 'web'", &["a", "c"]),
            (
                0,
                "messages/any(m:m/intents/any(i:i/slug eq 'x'))",
                &["a", "b"],
            ),
            (0, "messages/any(m:m/intents/$count gt 1)", &["b"]),
            // The outer variables stay in scope: $it, and an enclosing lambda's.
            (0, "messages/any(m:m/kind eq $it/kind)", &["b"]),
            (0, "$it/kind eq 'web'", &["a"]),
            (
                1,
                "intents/any(i:i/slug eq 'y' and i/message/conversation/kind eq 'slack')",
                &["m3"],
            ),
            (1, "conversation/messages/any(o:o/n eq 3)", &["m3"]),
            (1, "conversation/messages/$count eq 2", &["m1", "m2"]),
            (
                0,
                "messages/any(m:m/intents/any(i:i/mid eq m/mid and i/slug eq 'y'))",
                &["b"],
            ),
        ];
        for (root, filter, want) in cases {
            assert_eq!(rows(&db, *root, filter), *want, "{filter}");
        }
    }

    #[test]
    fn every_value_is_bound_and_names_come_from_the_model() {
        let entities = entities();
        let f = parse_in(
            "messages/any(m:m/kind eq 'x'' or 1=1 --') and kind eq 'y'",
            &entities,
            0,
        )
        .expect("parses");
        assert_eq!(
            f.sql,
            "(EXISTS (SELECT 1 FROM \"M\" AS \"$f1\" WHERE \"$f1\".\"cid\" = \"C\".\"id\" \
             AND (\"$f1\".\"kind\" = ?)) AND \"C\".\"kind\" = ?)"
        );
        assert_eq!(f.params.len(), 2);
    }

    #[test]
    fn mistakes_say_what_to_write() {
        let entities = entities();
        let cases = [
            ("intents/slug eq 'x'", "`intents` is a collection"),
            ("intents eq null", "`intents` is a collection"),
            ("conversation eq null", "not a value"),
            ("kind/x eq 1", "`kind` is a property"),
            ("nope/kind eq 1", "`nope` is not a property or navigation property of Messages"),
            ("conversation/nope eq 1", "of Conversations"),
            ("conversation/any(c:true)", "single entity"),
            ("intents/all()", "expected a lambda variable"),
            ("intents/any(i:n eq 1)", "inside a lambda, write i/n"),
            ("intents/any(i:i eq 1)", "`i` is a lambda variable"),
            ("intents/any(i:i/slug eq 'x'", "expected `)`"),
            ("intents/any(i:$it/intents/any(i:true))", "already in scope"),
            ("intents/sum(i:true)", "`intents` is a collection"),
            ("conversation/", "expected a name after `conversation/`"),
            (
                "conversation/messages/any(a:a/conversation/messages/any(b:b/conversation/messages/any(c:c/conversation/messages/any(d:d/conversation/kind eq 'x'))))",
                "more than 8 navigation steps",
            ),
        ];
        for (filter, want) in cases {
            let e = parse_in(filter, &entities, 1)
                .expect_err(filter)
                .to_string();
            assert!(e.contains(want), "{filter}: {e}");
        }
        // Without the entities, a path is what it always was.
        let properties = &entities[1].properties;
        let e = super::super::parse(
            "conversation/kind eq 'a'",
            properties,
            cai_bridge_model::dialect::Dialect::Sqlite,
        )
        .expect_err("a path");
        assert!(
            e.to_string()
                .contains("navigation paths (`a/b`) are not supported"),
            "{e}"
        );
    }

    proptest::proptest! {
        #[test]
        fn path_soup_never_panics_and_accepted_sql_runs(words in proptest::collection::vec(
            proptest::sample::select(vec![
                "conversation", "intents", "messages", "message", "kind", "n", "slug", "mid",
                "/", "any(", "all(", "$count", "$it", "m", "i", ":", "eq", "ne", "gt", "and",
                "or", "not", "(", ")", ",", "'x'", "1", "null", "true", "contains(",
                " conversation/kind eq 'web' ", " intents/any(i:i/slug eq 'x') ",
                " intents/$count gt 1 ", " $it/n ", " messages/all(m:m/n ge 2) ",
            ]),
            0..16,
        )) {
            let text = words.join("");
            if parse_in(&text, &entities(), 1).is_ok() {
                rows(&db(), 1, &text);
            }
            let spaced = words.join(" ");
            if parse_in(&spaced, &entities(), 0).is_ok() {
                rows(&db(), 0, &spaced);
            }
        }
    }
}
