//! SQL for a sequence of transformations: each one a subquery over the one before, its
//! properties resolved against what the one before gives, every identifier from the
//! catalog or an alias the parser checked (and quoted here), every value bound.

use cai_bridge_model::dialect::Dialect;
use cai_bridge_model::LogicalType;
use rusqlite::types::Value;

use super::parse::{Aggregate, Method, Name, Step};
use super::{bad, Applied};
use crate::serve::catalog::{EntitySet, Property};
use crate::serve::error::ODataError;
use crate::serve::filter::{self, cut};
use crate::serve::read::sort;
use crate::serve::search;

/// What the transformations so far give: a FROM item, its `?` values, its properties
/// and the order of its rows where nothing else orders them.
struct Source<'s> {
    set: &'s EntitySet,
    from: String,
    params: Vec<Value>,
    properties: Vec<Property>,
    order: Vec<String>,
    /// Whether a transformation ran before (for messages: names then refer to its result).
    transformed: bool,
}

/// The result of `steps` on `set`.
pub(super) fn build(set: &EntitySet, steps: &[Step]) -> Result<Applied, ODataError> {
    let mut source = Source {
        set,
        from: set.view.clone(),
        params: Vec::new(),
        properties: set.properties.clone(),
        order: set.keys().map(|k| format!("{} ASC", k.column)).collect(),
        transformed: false,
    };
    for step in steps {
        source.step(step)?;
        source.transformed = true;
    }
    Ok(Applied {
        set: EntitySet {
            name: set.name.clone(),
            view: source.from,
            dialect: set.dialect,
            properties: source.properties,
            // An aggregation's rows have no navigation of their own.
            navigations: Vec::new(),
            entity_table: None,
        },
        params: source.params,
        order: source.order,
    })
}

/// An SQL identifier, quoted as the catalog quotes names.
fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

impl Source<'_> {
    fn step(&mut self, step: &Step) -> Result<(), ODataError> {
        match step {
            Step::Filter(text, start) => {
                let properties: Vec<filter::Property<'_>> = self
                    .properties
                    .iter()
                    .map(|p| filter::Property {
                        name: &p.name,
                        column: &p.column,
                        ty: &p.ty,
                    })
                    .collect();
                let condition =
                    filter::parse(text, &properties, self.set.dialect).map_err(|e| {
                        ODataError::filter(&format!("$apply: filter(…) at character {start}"), e)
                    })?;
                self.restrict(&condition.sql, condition.params);
            }
            Step::Search(text) => {
                let condition = search::condition(&self.properties, text, self.set.dialect)?;
                if let Some(condition) = condition {
                    self.restrict(&condition.sql, condition.params);
                }
            }
            Step::GroupBy(names, aggregates) => self.group(names, aggregates)?,
            Step::Aggregate(aggregates) => self.group(&[], aggregates)?,
            Step::OrderBy(items) => {
                let mut order = Vec::new();
                for (name, desc) in items {
                    let column = &self.properties[self.resolve(name)?].column;
                    order.push(format!("{column} {}", sort(self.set.dialect, *desc)));
                }
                order.append(&mut self.order);
                self.order = order;
            }
            Step::Top(n) => self.limit("?", None, *n),
            // No limit: SQLite's is -1, PostgreSQL's ALL.
            Step::Skip(n) => {
                let all = match self.set.dialect {
                    Dialect::Postgres => "ALL",
                    _ => "-1",
                };
                self.limit(all, Some("?"), *n)
            }
        }
        Ok(())
    }

    /// The name a subquery in a FROM needs on PostgreSQL (15 and older refuse one
    /// without); SQLite's is left out.
    fn alias(&self) -> &'static str {
        match self.set.dialect {
            Dialect::Postgres => " AS applied",
            _ => "",
        }
    }

    /// Every property, for a SELECT list.
    fn columns(&self) -> String {
        let columns: Vec<&str> = self.properties.iter().map(|p| p.column.as_str()).collect();
        columns.join(", ")
    }

    /// The rows where `condition` (with `params`) holds.
    fn restrict(&mut self, condition: &str, params: Vec<Value>) {
        self.from = format!(
            "(SELECT {} FROM {} WHERE {condition}){}",
            self.columns(),
            self.from,
            self.alias()
        );
        self.params.extend(params);
    }

    /// `LIMIT limit [OFFSET offset]` in the current order, with `n` bound to the `?`.
    fn limit(&mut self, limit: &str, offset: Option<&str>, n: u64) {
        let order = match self.order.is_empty() {
            true => String::new(),
            false => format!(" ORDER BY {}", self.order.join(", ")),
        };
        let offset = offset.map_or_else(String::new, |o| format!(" OFFSET {o}"));
        self.from = format!(
            "(SELECT {} FROM {}{order} LIMIT {limit}{offset}){}",
            self.columns(),
            self.from,
            self.alias()
        );
        self.params
            .push(Value::Integer(i64::try_from(n).unwrap_or(i64::MAX)));
    }

    /// The index of the property `name`, or a 400 that lists what there is.
    fn resolve(&self, name: &Name) -> Result<usize, ODataError> {
        if let Some(i) = self.properties.iter().position(|p| p.name == name.text) {
            return Ok(i);
        }
        let names: Vec<&str> = self
            .properties
            .iter()
            .take(10)
            .map(|p| p.name.as_str())
            .collect();
        let more = if self.properties.len() > 10 {
            ", …"
        } else {
            ""
        };
        let of = match self.transformed {
            true => "the result of the transformations before it".to_owned(),
            false => self.set.name.clone(),
        };
        Err(bad(format!(
            "`{}` at character {} is not a property of {of}; it has {}{more}",
            cut(&name.text),
            name.at,
            names.join(", ")
        )))
    }

    /// `groupby((names),aggregate(aggregates))`, or `aggregate(…)` alone with no names:
    /// one row per group, the aggregates first and then the grouped properties, as CAP
    /// writes them.
    fn group(&mut self, names: &[Name], aggregates: &[Aggregate]) -> Result<(), ODataError> {
        let grouped = names
            .iter()
            .map(|n| self.resolve(n))
            .collect::<Result<Vec<_>, _>>()?;
        let mut select = Vec::new();
        let mut properties: Vec<Property> = Vec::new();
        for aggregate in aggregates {
            let alias = &aggregate.alias;
            let taken = properties.iter().any(|p| p.name == alias.text)
                || grouped
                    .iter()
                    .any(|&g| self.properties[g].name == alias.text);
            if taken {
                return Err(bad(format!(
                    "`{}` at character {} names two properties of the result; give each \
                     aggregate its own name with `as`",
                    alias.text, alias.at
                )));
            }
            let (expression, ty) = self.aggregate(aggregate)?;
            let column = quote(&alias.text);
            select.push(format!("{expression} AS {column}"));
            properties.push(Property {
                name: alias.text.clone(),
                column,
                ty,
                key: false,
            });
        }
        let mut group_by = Vec::new();
        for &g in &grouped {
            let property = &self.properties[g];
            let column = quote(&property.name);
            select.push(format!("{} AS {column}", property.column));
            group_by.push(property.column.clone());
            properties.push(Property {
                key: false,
                column,
                ..property.clone()
            });
        }
        let group_by = match group_by.is_empty() {
            true => String::new(),
            false => format!(" GROUP BY {}", group_by.join(", ")),
        };
        self.from = format!(
            "(SELECT {} FROM {}{group_by}){}",
            select.join(", "),
            self.from,
            self.alias()
        );
        // A group is identified by its grouped values: SQLite gives the groups in their
        // order, which CAP passes on, and which paging needs to be stable.
        self.order = grouped
            .iter()
            .map(|&g| {
                let column = quote(&self.properties[g].name);
                format!("{column} {}", sort(self.set.dialect, false))
            })
            .collect();
        self.properties = properties;
        Ok(())
    }

    /// The SQL of an aggregate and the type of its value.
    fn aggregate(&self, aggregate: &Aggregate) -> Result<(String, LogicalType), ODataError> {
        let Some((name, method)) = &aggregate.of else {
            return Ok(("count(*)".into(), LogicalType::Integer));
        };
        let property = &self.properties[self.resolve(name)?];
        let column = &property.column;
        let ty = property.ty.clone();
        let number = matches!(
            ty,
            LogicalType::Integer | LogicalType::Integer64 | LogicalType::Double
        );
        // PostgreSQL sums integers as wider types (BIGINT, NUMERIC) and averages them
        // as NUMERIC: read as what SQLite gives, a sum past 64 bits is refused by the
        // cast as by SQLite, and the read reports it as the client's to narrow.
        let (sum, average) = match (self.set.dialect, &ty) {
            (Dialect::Postgres, LogicalType::Double) => ("sum({})", "avg({})"),
            (Dialect::Postgres, _) => (
                "CAST(sum({}) AS BIGINT)",
                "CAST(avg({}) AS DOUBLE PRECISION)",
            ),
            _ => ("sum({})", "avg({})"),
        };
        Ok(match method {
            // A sum has the type of what it adds (OData's rule).
            Method::Sum if number => (sum.replace("{}", column), ty),
            Method::Average if number => (average.replace("{}", column), LogicalType::Double),
            Method::Min => (format!("min({column})"), ty),
            Method::Max => (format!("max({column})"), ty),
            Method::CountDistinct => (format!("count(DISTINCT {column})"), LogicalType::Integer),
            Method::Sum | Method::Average => {
                let what = match method {
                    Method::Sum => "sum",
                    _ => "average",
                };
                return Err(bad(format!(
                    "`{what}` takes a number, and `{}` at character {} is not one; \
                     count it with countdistinct, or use min or max",
                    name.text, name.at
                )));
            }
        })
    }
}
