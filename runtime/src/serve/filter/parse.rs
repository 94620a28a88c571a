//! Parsing `$filter` tokens into a small AST: precedence `not`, `and`, `or`; names
//! resolved against the properties; nesting bounded. Mistakes are named here, with
//! a hint, where the parser knows what the client was writing.

use super::error::{cut, err, FilterError, Position};
use super::func;
use super::kind::Kind;
use super::lex::{word_literal, Lit, Tok};
use super::path::Scope;
use super::Property;

/// Nesting is bounded so that recursion can never exhaust the stack.
const MAX_DEPTH: usize = 100;
/// `ne` is `IS NOT` so that rows holding NULL count as "not equal", as OData says (and CAP does).
const OPS: [Op; 6] = [
    ("eq", " = "),
    ("ne", " IS NOT "),
    ("gt", " > "),
    ("ge", " >= "),
    ("lt", " < "),
    ("le", " <= "),
];
const KEYWORDS: &str = "and or not eq ne gt ge lt le in";
const UNSUPPORTED_OPS: &str = "add sub mul div divby mod has";
/// The hint for what this service does not do.
pub(super) const SUPPORTED: &str =
    "SAP Analytics Cloud sends only eq, ne, gt, ge, lt, le, and, or; this \
    service also understands not, in and the canonical functions CAP answers (contains, \
    indexof, substring, year, date, round, …)";

/// An operator's OData name and its SQL.
pub(super) type Op = (&'static str, &'static str);

fn listed(list: &str, word: &str) -> bool {
    list.split_whitespace().any(|w| w == word)
}

/// The AST of `tokens`, a whole `$filter`; `end` is where the text ends.
pub(super) fn filter(
    tokens: &[(Tok, Position)],
    properties: &[Property<'_>],
    end: Position,
) -> Result<Node, FilterError> {
    filter_in(tokens, properties, None, end)
}

/// [`filter`], with paths through the navigation properties of `scope` if given.
pub(super) fn filter_in<'t, 'p>(
    tokens: &'t [(Tok, Position)],
    properties: &'t [Property<'p>],
    scope: Option<Scope<'t, 'p>>,
    end: Position,
) -> Result<Node, FilterError> {
    if tokens.is_empty() {
        return Err(err(
            &end,
            "empty filter",
            "write a condition, e.g. name eq 'abc'",
        ));
    }
    let mut parser = Parser {
        tokens,
        pos: 0,
        depth: 0,
        properties,
        scope,
        end,
    };
    let root = parser.or()?;
    if let Some((tok, at)) = tokens.get(parser.pos) {
        return Err(trailing(tok, at));
    }
    Ok(root)
}

fn unsupported_op(word: &str, at: &Position) -> FilterError {
    let what = match word {
        "has" => "the `has` operator is not supported".into(),
        _ => format!("arithmetic (`{word}`) is not supported"),
    };
    err(at, what, SUPPORTED)
}

fn trailing(tok: &Tok, at: &Position) -> FilterError {
    let lower = match tok {
        Tok::Word(w) => w.to_lowercase(),
        _ => String::new(),
    };
    match tok {
        Tok::Punct(')') => err(
            at,
            "unbalanced parenthesis: no `(` to close",
            "remove the `)`",
        ),
        Tok::Word(w) if listed(UNSUPPORTED_OPS, w) => unsupported_op(w, at),
        Tok::Word(w) if *w != lower && listed(KEYWORDS, &lower) => {
            let hint = format!("keywords are case-sensitive: write `{lower}`");
            err(at, "unexpected token", hint)
        }
        _ => {
            let hint = "join conditions with `and` or `or`; compare with eq, ne, gt, ge, lt, le";
            err(at, "unexpected token after a complete condition", hint)
        }
    }
}

/// A node and where it starts.
pub(super) struct Node(pub(super) NodeKind, pub(super) Position);

/// What a node is.
pub(super) enum NodeKind {
    /// n-ary, so that a long chain of `or`s stays flat rather than deep.
    Or(Vec<Node>),
    And(Vec<Node>),
    Not(Box<Node>),
    Cmp(Op, Box<Node>, Box<Node>),
    In(Box<Node>, Vec<Node>),
    Call(String, Vec<Node>),
    /// Name (or path), SQL expression, kind.
    Prop(String, String, Kind),
    Lit(Lit),
    /// `any` (or `all`, when set) over a collection: its `FROM … WHERE …`, and the
    /// condition on its members (none for `any()`).
    Exists(String, Option<Box<Node>>, bool),
}

pub(super) struct Parser<'t, 'p> {
    pub(super) tokens: &'t [(Tok, Position)],
    pub(super) pos: usize,
    depth: usize,
    properties: &'t [Property<'p>],
    /// The navigation a filter may follow; without it, paths are refused.
    pub(super) scope: Option<Scope<'t, 'p>>,
    end: Position,
}

impl Parser<'_, '_> {
    pub(super) fn here(&self) -> Position {
        self.tokens
            .get(self.pos)
            .map_or_else(|| self.end.clone(), |(_, at)| at.clone())
    }

    fn peek(&self) -> Option<&Tok> {
        self.tokens.get(self.pos).map(|(tok, _)| tok)
    }

    pub(super) fn punct(&self, c: char) -> bool {
        self.peek() == Some(&Tok::Punct(c))
    }

    fn word(&self) -> Option<&str> {
        match self.peek() {
            Some(Tok::Word(w)) => Some(w),
            _ => None,
        }
    }

    pub(super) fn or(&mut self) -> Result<Node, FilterError> {
        self.chain("or", Parser::and, NodeKind::Or)
    }

    fn and(&mut self) -> Result<Node, FilterError> {
        self.chain("and", Parser::unary, NodeKind::And)
    }

    fn chain(
        &mut self,
        keyword: &str,
        next: fn(&mut Self) -> Result<Node, FilterError>,
        make: fn(Vec<Node>) -> NodeKind,
    ) -> Result<Node, FilterError> {
        let at = self.here();
        let mut items = vec![next(self)?];
        while self.word() == Some(keyword) {
            self.pos += 1;
            items.push(next(self)?);
        }
        match items.len() {
            1 => items
                .pop()
                .ok_or_else(|| err(&at, "empty condition", SUPPORTED)),
            _ => Ok(Node(make(items), at)),
        }
    }

    /// Runs `parse` one level deeper, refusing to go past [`MAX_DEPTH`].
    pub(super) fn nested(
        &mut self,
        parse: fn(&mut Self) -> Result<Node, FilterError>,
    ) -> Result<Node, FilterError> {
        if self.depth >= MAX_DEPTH {
            let what = format!("nesting deeper than {MAX_DEPTH} levels");
            return Err(err(&self.here(), what, "flatten the filter"));
        }
        self.depth += 1;
        let node = parse(self);
        self.depth -= 1;
        node
    }

    /// `not` binds to the comparison after it (`not a eq 1` is `not (a eq 1)`), as clients mean.
    fn unary(&mut self) -> Result<Node, FilterError> {
        if self.word() != Some("not") {
            return self.comparison();
        }
        let at = self.here();
        self.pos += 1;
        let inner = self.nested(Parser::unary)?;
        Ok(Node(NodeKind::Not(Box::new(inner)), at))
    }

    fn comparison(&mut self) -> Result<Node, FilterError> {
        let left = self.nested(Parser::primary)?;
        let at = self.here();
        let Some(word) = self.word() else {
            return Ok(left);
        };
        if let Some(&op) = OPS.iter().find(|(name, _)| *name == word) {
            self.pos += 1;
            let right = self.nested(Parser::primary)?;
            if self
                .word()
                .is_some_and(|w| w == "in" || OPS.iter().any(|(o, _)| *o == w))
            {
                let hint = "join comparisons with `and`";
                return Err(err(&self.here(), "comparisons cannot be chained", hint));
            }
            return Ok(Node(NodeKind::Cmp(op, Box::new(left), Box::new(right)), at));
        }
        if word == "in" {
            self.pos += 1;
            if self.punct('(')
                && matches!(self.tokens.get(self.pos + 1), Some((Tok::Punct(')'), _)))
            {
                return Err(err(
                    &self.here(),
                    "empty `in` list",
                    "list at least one value",
                ));
            }
            let items = self.list("in")?;
            return Ok(Node(NodeKind::In(Box::new(left), items), at));
        }
        if listed(UNSUPPORTED_OPS, word) {
            return Err(unsupported_op(word, &at));
        }
        Ok(left)
    }

    /// `(item, …)` after `in` or a function name; the emitter checks what the items may be.
    fn list(&mut self, after: &str) -> Result<Vec<Node>, FilterError> {
        if !self.punct('(') {
            let what = format!("expected `(` after `{after}`");
            return Err(err(&self.here(), what, "write e.g. name in ('a','b')"));
        }
        self.pos += 1;
        let mut items = Vec::new();
        while !(items.is_empty() && self.punct(')')) {
            items.push(self.nested(Parser::primary)?);
            if !self.punct(',') {
                break;
            }
            self.pos += 1;
        }
        if !self.punct(')') {
            let what = format!("expected `,` or `)` in the list after `{after}`");
            return Err(err(&self.here(), what, "separate items with commas"));
        }
        self.pos += 1;
        Ok(items)
    }

    fn primary(&mut self) -> Result<Node, FilterError> {
        let at = self.here();
        let missing = || {
            err(
                &at,
                "missing operand",
                "expected a property, a value or `(`",
            )
        };
        let tok = self.peek().cloned().ok_or_else(missing)?;
        self.pos += 1;
        match tok {
            Tok::Punct('(') => {
                let inner = self.or()?;
                if !self.punct(')') {
                    let what = format!(
                        "unbalanced parenthesis: the `(` at {} is not closed",
                        at.offset
                    );
                    return Err(err(&self.here(), what, "close it with `)`"));
                }
                self.pos += 1;
                Ok(inner)
            }
            Tok::Lit(lit) => Ok(Node(NodeKind::Lit(lit), at)),
            Tok::Word(w) => self.word_operand(w, at),
            Tok::Punct('/') => Err(err(
                &at,
                "navigation paths (`a/b`) are not supported",
                SUPPORTED,
            )),
            Tok::Punct(_) => Err(missing()),
        }
    }

    fn word_operand(&mut self, w: String, at: Position) -> Result<Node, FilterError> {
        if let Some(lit) = word_literal(&w) {
            return Ok(Node(NodeKind::Lit(lit), at));
        }
        match w.as_str() {
            _ if self.scope.is_some() && self.punct('/') => return self.path(w, at),
            _ if w.starts_with('$') => {
                return Err(err(
                    &at,
                    format!("`{}` is not supported", cut(&w)),
                    SUPPORTED,
                ))
            }
            _ if self.punct('(') => return self.call(w, at),
            _ if self.punct('/') => {
                let after = self.tokens.get(self.pos + 1);
                let lambda = matches!(after, Some((Tok::Word(w), _)) if w == "any" || w == "all");
                let what = match lambda {
                    true => "lambda operators (`any`, `all`) are not supported",
                    false => "navigation paths (`a/b`) are not supported",
                };
                return Err(err(&self.here(), what, SUPPORTED));
            }
            _ => {}
        }
        let operator = listed(KEYWORDS, &w) || listed(UNSUPPORTED_OPS, &w);
        if let Some(error) = self.refuse_bare(&w, &at).filter(|_| !operator) {
            return Err(error);
        }
        if let Some(p) = self.properties.iter().find(|p| p.name == w) {
            return Ok(Node(
                NodeKind::Prop(w, p.column.to_owned(), Kind::of(p.ty)),
                at,
            ));
        }
        if listed(KEYWORDS, &w) || listed(UNSUPPORTED_OPS, &w) {
            let hint = format!("expected a property, a value or `(` before `{w}`");
            return Err(err(&at, "missing operand", hint));
        }
        let what = format!("unknown property `{}`", cut(&w));
        Err(err(&at, what, self.known(&w)))
    }

    fn known(&self, w: &str) -> String {
        let names = self
            .properties
            .iter()
            .take(10)
            .map(|p| format!("`{}`", p.name));
        let names = names.collect::<Vec<_>>().join(", ");
        let more = match self.properties.len().saturating_sub(10) {
            0 => String::new(),
            n => format!(" and {n} more"),
        };
        let like = self
            .properties
            .iter()
            .find(|p| p.name.eq_ignore_ascii_case(w));
        let like = like.map_or_else(String::new, |p| format!("did you mean `{}`? ", p.name));
        format!("{like}properties: {names}{more}")
    }

    fn call(&mut self, name: String, at: Position) -> Result<Node, FilterError> {
        let (name, least, most) = func::lookup(&name, &at)?;
        let args = self.list(name)?;
        if args.len() < least || args.len() > most {
            let takes = match (least, most) {
                (l, m) if l == m => format!("{l}"),
                (l, m) => format!("{l} to {m}"),
            };
            let what = format!("`{name}` takes {takes} argument(s), not {}", args.len());
            return Err(err(
                &at,
                what,
                "e.g. contains(name,'abc'), year(created), now()",
            ));
        }
        Ok(Node(NodeKind::Call(name.to_owned(), args), at))
    }
}
