//! Records synthesized from a model: every member of the root's wire layout with a
//! value of its column's type (enums, formats, lengths), nulls and absences where the
//! model allows them, child arrays and embedded JSON strings, unique keys.

use cai_bridge::model::format;
use cai_bridge::model::{
    Entity, EntityKind, Field, LogicalType, MapEntries, MemberValue, Model, Record, Role,
};
use chrono::{DateTime, Utc};
use serde_json::{Map, Value as Json};

use crate::rng::SplitMix64;

/// Words for synthetic text.
const WORDS: [&str; 12] = [
    "alpha", "disk", "latency", "mail", "queue", "east", "payment", "north", "cache", "deploy",
    "timeout", "zeta",
];

/// The synthetic records and the instant of each (what the window is compared with).
pub(crate) struct Records {
    /// Sorted by instant.
    pub(crate) records: Vec<(DateTime<Utc>, Json)>,
}

impl Records {
    /// `count` records spread over `days` days from `start`, a pure function of the
    /// arguments.
    pub(crate) fn generate(
        model: &Model,
        seed: u64,
        count: usize,
        start: DateTime<Utc>,
        days: u32,
    ) -> Records {
        let mut rng = SplitMix64::new(seed);
        let span = i64::from(days.max(1)) * 86_400_000;
        let root = model.root();
        // The first timestamp of the root's own columns carries the record's instant.
        let clock = root.layout.members.iter().find_map(|m| match m.value {
            MemberValue::Column(i) if root.fields[i].ty == LogicalType::Timestamp => Some(i),
            _ => None,
        });
        let mut records: Vec<(DateTime<Utc>, Json)> = (0..count)
            .map(|index| {
                let at = start + chrono::Duration::milliseconds(rng.below(span as u64) as i64);
                let mut synth = Synth {
                    model,
                    rng: &mut rng,
                    at,
                    clock,
                };
                (
                    at,
                    Json::Object(synth.object(root, &root.layout, index, true)),
                )
            })
            .collect();
        records.sort_by_key(|(at, _)| *at);
        Records { records }
    }
}

struct Synth<'a> {
    model: &'a Model,
    rng: &'a mut SplitMix64,
    at: DateTime<Utc>,
    clock: Option<usize>,
}

impl Synth<'_> {
    /// One object of `entity` laid out as `record`; `index` makes its keys unique
    /// (among all roots, or among its siblings).
    fn object(
        &mut self,
        entity: &Entity,
        record: &Record,
        index: usize,
        root: bool,
    ) -> Map<String, Json> {
        let mut out = Map::new();
        for member in &record.members {
            let keyed = matches!(member.value, MemberValue::Column(i) if entity.fields[i].key || (root && Some(i) == self.clock));
            if !keyed && member.optional && self.rng.chance(0.1) {
                continue;
            }
            if !keyed && member.nullable && self.rng.chance(0.15) {
                out.insert(member.wire.clone(), Json::Null);
                continue;
            }
            let value = self.value(entity, &member.value, index, root);
            out.insert(member.wire.clone(), value);
        }
        out
    }

    fn value(&mut self, entity: &Entity, value: &MemberValue, index: usize, root: bool) -> Json {
        match value {
            MemberValue::Column(i) => {
                let field = &entity.fields[*i];
                if root && Some(*i) == self.clock {
                    return Json::String(format::timestamp_text(self.at));
                }
                self.scalar(field, index)
            }
            MemberValue::Extension { .. } => match entity.column(self.model, value) {
                Some(field) => self.scalar(field, index),
                None => Json::Null,
            },
            MemberValue::Object(record) => Json::Object(self.object(entity, record, index, root)),
            MemberValue::Children(c) => {
                let child = &self.model.entities[entity.children[*c].entity];
                let n = self.rng.below(4) as usize;
                let items = (0..n)
                    .map(|position| match child.kind {
                        EntityKind::Scalars => {
                            let field = child.fields.iter().find(|f| f.role == Role::Value);
                            field.map_or(Json::Null, |f| self.scalar(f, position))
                        }
                        _ => Json::Object(self.object(child, &child.layout, position, false)),
                    })
                    .collect::<Vec<_>>();
                match child.map {
                    None => Json::Array(items),
                    // A map's keys are data: `key0`, `key1`, …, one array each for a
                    // map of arrays.
                    Some(MapEntries::Values) => Json::Object(
                        items
                            .into_iter()
                            .enumerate()
                            .map(|(i, item)| (format!("key{i}"), item))
                            .collect(),
                    ),
                    Some(MapEntries::Arrays) => {
                        let mut map = Map::new();
                        map.insert("key0".to_owned(), Json::Array(items));
                        Json::Object(map)
                    }
                }
            }
            MemberValue::Embedded { inner, .. } => {
                let parsed = self.value(entity, inner, index, root);
                Json::String(parsed.to_string())
            }
        }
    }

    /// A value of `field`'s type; a key's is derived from `index` so it is unique.
    fn scalar(&mut self, field: &Field, index: usize) -> Json {
        if let Some(values) = &field.enum_values {
            if !values.is_empty() && !field.key {
                return Json::String(self.rng.pick(values).clone());
            }
        }
        let word = *self.rng.pick(&WORDS);
        match &field.ty {
            LogicalType::String(max) => {
                let text = if field.key {
                    format!("K{index:06}")
                } else {
                    format!("{word}-{}", self.rng.below(1000))
                };
                let max = max.map_or(usize::MAX, |m| m as usize);
                Json::String(text.chars().take(max).collect())
            }
            LogicalType::LargeString => {
                Json::String(format!("{word} {} {word}", self.rng.pick(&WORDS)))
            }
            LogicalType::Integer | LogicalType::Integer64 => {
                if field.key {
                    Json::from(index as u64 + 1)
                } else {
                    Json::from(self.rng.below(1000))
                }
            }
            LogicalType::Double => Json::from((self.rng.below(100_000) as f64) / 100.0),
            LogicalType::Boolean => Json::Bool(self.rng.chance(0.5)),
            LogicalType::Timestamp => {
                let later = self.at + chrono::Duration::seconds(self.rng.below(7200) as i64);
                Json::String(format::timestamp_text(later))
            }
            LogicalType::Date => Json::String(self.at.format("%Y-%m-%d").to_string()),
            LogicalType::Uuid => {
                if field.key {
                    Json::String(format!("00000000-0000-4000-8000-{index:012x}"))
                } else {
                    Json::String(self.rng.uuid())
                }
            }
            LogicalType::Json => serde_json::json!({ "value": word }),
        }
    }
}
