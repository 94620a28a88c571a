//! Reading `$apply` text into its sequence of transformations. Names are only read
//! here, not resolved: what a name refers to depends on the transformations before it,
//! which `sql` knows. The texts of `filter(…)` and `search(…)` are cut out whole, for
//! the `$filter` and `$search` parsers.

use super::{at_most, bad, unsupported};
use crate::serve::error::ODataError;
use crate::serve::filter::cut;

/// Transformations in one `$apply`: each nests a query, so they are bounded.
const MAX_STEPS: usize = 10;
/// Properties in one `groupby`: each is a column of GROUP BY and of the result.
const MAX_GROUPED: usize = 16;
/// Aggregates in one `aggregate`: each is a column of the result.
const MAX_AGGREGATES: usize = 16;

/// A name as written, and where (the 1-based character offset in `$apply`).
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Name {
    pub(super) text: String,
    pub(super) at: usize,
}

/// An aggregation method of OData's standard set.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Method {
    Sum,
    Min,
    Max,
    Average,
    CountDistinct,
}

/// One aggregate: `$count as alias`, or `property with method as alias`.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Aggregate {
    /// The property and method; `None` for `$count`.
    pub(super) of: Option<(Name, Method)>,
    /// The name of the result's property.
    pub(super) alias: Name,
}

/// One transformation.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Step {
    /// `filter(…)`: the `$filter` text between the parentheses, and where it starts.
    Filter(String, usize),
    /// `search(…)`: the `$search` text between the parentheses.
    Search(String),
    /// `groupby((a,b))` or `groupby((a,b),aggregate(…))`.
    GroupBy(Vec<Name>, Vec<Aggregate>),
    /// `aggregate(…)` on its own: one row.
    Aggregate(Vec<Aggregate>),
    /// `orderby(a desc,b)`.
    OrderBy(Vec<(Name, bool)>),
    /// `top(n)`.
    Top(u64),
    /// `skip(n)`.
    Skip(u64),
}

/// Transformations OData (or CAP) knows and this service does not do: a 501, as CAP
/// answers for those it does not do, rather than a 400 that would call the client wrong.
const NOT_DONE: &[&str] = &[
    "concat",
    "topcount",
    "bottomcount",
    "topsum",
    "bottomsum",
    "toppercent",
    "bottompercent",
    "compute",
    "nest",
    "join",
    "outerjoin",
    "expand",
    "ancestors",
    "descendants",
    "traverse",
    "com.sap.vocabularies.Hierarchy.v1.TopLevels",
];

/// The transformations of `text`, in order; `identity` is left out, as it changes nothing.
pub(super) fn steps(text: &str) -> Result<Vec<Step>, ODataError> {
    let mut reader = Reader {
        chars: text.chars().collect(),
        pos: 0,
    };
    let mut steps = Vec::new();
    let mut count = 0;
    loop {
        count += 1;
        if count > MAX_STEPS {
            return Err(at_most(MAX_STEPS, "transformations"));
        }
        if let Some(step) = reader.step()? {
            steps.push(step);
        }
        reader.blanks();
        match reader.peek() {
            None => return Ok(steps),
            Some('/') => reader.pos += 1,
            Some(_) => return Err(reader.error("expected `/` between transformations, or the end")),
        }
    }
}

struct Reader {
    chars: Vec<char>,
    pos: usize,
}

impl Reader {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn blanks(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.pos += 1;
        }
    }

    /// A 400 at the current position, quoting what is there.
    fn error(&self, what: &str) -> ODataError {
        let rest: String = self.chars[self.pos.min(self.chars.len())..]
            .iter()
            .collect();
        let near = match rest.is_empty() {
            true => "the end".to_owned(),
            false => format!("`{}`", cut(&rest)),
        };
        bad(format!("{what} at character {}, near {near}", self.pos + 1))
    }

    fn expect(&mut self, c: char) -> Result<(), ODataError> {
        self.blanks();
        if self.peek() != Some(c) {
            return Err(self.error(&format!("expected `{c}`")));
        }
        self.pos += 1;
        Ok(())
    }

    /// Whether `c` is next (after blanks), taking it if so.
    fn take(&mut self, c: char) -> bool {
        self.blanks();
        let next = self.peek() == Some(c);
        if next {
            self.pos += 1;
        }
        next
    }

    /// A name: letters, digits, `_`, and `.` for namespaces (`$count` with its `$`).
    fn name(&mut self) -> Option<Name> {
        self.blanks();
        let start = self.pos;
        if self.peek() == Some('$') {
            self.pos += 1;
        }
        while self
            .peek()
            .is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '.')
        {
            self.pos += 1;
        }
        let text: String = self.chars[start..self.pos].iter().collect();
        (!text.is_empty()).then_some(Name {
            text,
            at: start + 1,
        })
    }

    /// A property name, refusing paths (the entity sets are flat).
    fn property(&mut self) -> Result<Name, ODataError> {
        let Some(name) = self.name().filter(|n| !n.text.starts_with('$')) else {
            return Err(self.error("expected a property name"));
        };
        if self.peek() == Some('/') {
            let what = format!(
                "`{}/…` is a path; the entity sets are flat, name a property",
                cut(&name.text)
            );
            return Err(self.error(&what));
        }
        Ok(name)
    }

    fn step(&mut self) -> Result<Option<Step>, ODataError> {
        let Some(name) = self.name() else {
            return Err(self.error(
                "expected a transformation, e.g. groupby((a),aggregate(b with sum as total))",
            ));
        };
        if name.text == "identity" {
            return Ok(None);
        }
        if NOT_DONE.contains(&name.text.as_str()) {
            return Err(unsupported(format!(
                "the transformation `{}` is not supported; this service does aggregate, \
                 groupby, filter, search, orderby, top, skip and identity",
                name.text
            )));
        }
        let step = match name.text.as_str() {
            "filter" => {
                let start = self.open()?;
                Step::Filter(self.enclosed('\'')?, start)
            }
            "search" => {
                self.open()?;
                Step::Search(self.enclosed('"')?)
            }
            "groupby" => self.groupby()?,
            "aggregate" => {
                self.open()?;
                let aggregates = self.aggregates()?;
                self.expect(')')?;
                Step::Aggregate(aggregates)
            }
            "orderby" => {
                self.open()?;
                let items = self.order_items()?;
                self.expect(')')?;
                Step::OrderBy(items)
            }
            "top" | "skip" => {
                self.open()?;
                let n = self.count(&name.text)?;
                self.expect(')')?;
                match name.text.as_str() {
                    "top" => Step::Top(n),
                    _ => Step::Skip(n),
                }
            }
            other => {
                self.pos = name.at - 1;
                let what = format!(
                    "unknown transformation `{}`; write aggregate, groupby, filter, search, \
                     orderby, top, skip or identity (in lower case)",
                    cut(other)
                );
                return Err(self.error(&what));
            }
        };
        Ok(Some(step))
    }

    /// The `(` after a transformation's name; where its content starts (1-based).
    fn open(&mut self) -> Result<usize, ODataError> {
        self.expect('(')?;
        Ok(self.pos + 1)
    }

    /// The text up to the `)` that closes the one before it, with parentheses inside
    /// balanced and `quote`d strings skipped (`''` or `\"` inside them), taking the `)`.
    fn enclosed(&mut self, quote: char) -> Result<String, ODataError> {
        let start = self.pos;
        let mut depth = 0usize;
        while let Some(c) = self.peek() {
            match c {
                _ if c == quote => {
                    self.pos += 1;
                    loop {
                        match self.peek() {
                            None => return Err(self.error("a string is not closed")),
                            Some('\\') if quote == '"' => self.pos += 2,
                            Some(q) if q == quote => {
                                self.pos += 1;
                                if quote == '\'' && self.peek() == Some('\'') {
                                    self.pos += 1;
                                    continue;
                                }
                                break;
                            }
                            Some(_) => self.pos += 1,
                        }
                    }
                    continue;
                }
                '(' => depth += 1,
                ')' if depth == 0 => {
                    let text = self.chars[start..self.pos].iter().collect();
                    self.pos += 1;
                    return Ok(text);
                }
                ')' => depth -= 1,
                _ => {}
            }
            self.pos += 1;
        }
        Err(self.error("a `(` is not closed"))
    }

    fn groupby(&mut self) -> Result<Step, ODataError> {
        self.open()?;
        self.expect('(')?;
        let mut props: Vec<Name> = Vec::new();
        loop {
            self.blanks();
            let save = self.pos;
            if self.name().is_some_and(|n| n.text == "rollup") && self.take('(') {
                return Err(unsupported("`rollup` in groupby is not supported"));
            }
            self.pos = save;
            let name = self.property()?;
            // The same property twice is one group, as CAP reads it.
            if !props.iter().any(|p| p.text == name.text) {
                props.push(name);
            }
            if props.len() > MAX_GROUPED {
                return Err(at_most(MAX_GROUPED, "properties in groupby"));
            }
            if !self.take(',') {
                break;
            }
        }
        self.expect(')')?;
        let mut aggregates = Vec::new();
        if self.take(',') {
            self.blanks();
            let save = self.pos;
            match self.name() {
                Some(n) if n.text == "aggregate" => {
                    self.open()?;
                    aggregates = self.aggregates()?;
                    self.expect(')')?;
                }
                Some(n)
                    if [
                        "filter", "search", "groupby", "orderby", "top", "skip", "identity",
                    ]
                    .contains(&n.text.as_str())
                        || NOT_DONE.contains(&n.text.as_str()) =>
                {
                    return Err(unsupported(format!(
                        "`{}` inside groupby is not supported: write groupby((…),aggregate(…)), \
                         and filter before or after it with `/`",
                        n.text
                    )));
                }
                _ => {
                    self.pos = save;
                    return Err(self.error("expected aggregate(…) after the grouped properties"));
                }
            }
        }
        self.expect(')')?;
        Ok(Step::GroupBy(props, aggregates))
    }

    fn aggregates(&mut self) -> Result<Vec<Aggregate>, ODataError> {
        let mut out = Vec::new();
        loop {
            out.push(self.aggregate()?);
            if out.len() > MAX_AGGREGATES {
                return Err(at_most(MAX_AGGREGATES, "aggregates in aggregate(…)"));
            }
            if !self.take(',') {
                return Ok(out);
            }
        }
    }

    /// `$count as c`, or `p with method [as alias]` (the alias is then `p`, as in CAP).
    fn aggregate(&mut self) -> Result<Aggregate, ODataError> {
        self.blanks();
        let save = self.pos;
        let Some(first) = self.name() else {
            return Err(self.error("expected `$count as name` or `property with method as name`"));
        };
        if first.text == "$count" {
            let alias = self
                .word_then_name("as")?
                .ok_or_else(|| self.error("`$count` needs a name: write `$count as name`"))?;
            return Ok(Aggregate { of: None, alias });
        }
        self.pos = save;
        let property = self.property()?;
        let Some(method) = self.word_then_name("with")? else {
            let what = format!(
                "`{}` alone names a custom aggregate, and this service defines none; \
                 write `{0} with sum as total` (or min, max, average, countdistinct)",
                cut(&property.text)
            );
            return Err(self.error(&what));
        };
        let method = match method.text.to_ascii_lowercase().as_str() {
            "sum" => Method::Sum,
            "min" => Method::Min,
            "max" => Method::Max,
            "average" => Method::Average,
            "countdistinct" => Method::CountDistinct,
            _ => {
                self.pos = method.at - 1;
                let what = format!(
                    "unknown aggregation method `{}`; write sum, min, max, average or countdistinct",
                    cut(&method.text)
                );
                return Err(self.error(&what));
            }
        };
        let alias = self
            .word_then_name("as")?
            .unwrap_or_else(|| property.clone());
        Ok(Aggregate {
            of: Some((property, method)),
            alias,
        })
    }

    /// `word name` (`with sum`, `as total`) if `word` comes next; the name must be an
    /// identifier.
    fn word_then_name(&mut self, word: &str) -> Result<Option<Name>, ODataError> {
        self.blanks();
        let save = self.pos;
        match self.name() {
            Some(w) if w.text == word => {}
            _ => {
                self.pos = save;
                return Ok(None);
            }
        }
        self.blanks();
        let at = self.pos;
        let name = self.name();
        let identifier = name.as_ref().is_some_and(|n| {
            n.text
                .chars()
                .next()
                .is_some_and(|c| c.is_alphabetic() || c == '_')
                && !n.text.contains('.')
        });
        match name {
            Some(name) if identifier => Ok(Some(name)),
            _ => {
                self.pos = at;
                Err(self.error(&format!(
                    "expected a name after `{word}` (letters, digits and _, not first a digit)"
                )))
            }
        }
    }

    fn order_items(&mut self) -> Result<Vec<(Name, bool)>, ODataError> {
        let mut items = Vec::new();
        loop {
            let name = self.property()?;
            let save = self.pos;
            let desc = match self.name() {
                Some(w) if w.text == "desc" => true,
                Some(w) if w.text == "asc" => false,
                _ => {
                    self.pos = save;
                    false
                }
            };
            items.push((name, desc));
            if items.len() > MAX_GROUPED {
                return Err(at_most(MAX_GROUPED, "properties in orderby"));
            }
            if !self.take(',') {
                return Ok(items);
            }
        }
    }

    fn count(&mut self, what: &str) -> Result<u64, ODataError> {
        self.blanks();
        let start = self.pos;
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.pos += 1;
        }
        let digits: String = self.chars[start..self.pos].iter().collect();
        digits.parse().map_err(|_| {
            self.pos = start;
            self.error(&format!("{what}(…) takes a non-negative whole number"))
        })
    }
}
