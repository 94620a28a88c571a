//! The rows of a set of root records, walked ahead of writing and owned: what a
//! loader binds, row by row, without going back to the records. A sync walks each
//! page on its fetch task while the writing thread binds the page before it, so the
//! writer does little but SQLite's own work; the page's DOM is freed where it was
//! made. Text is copied once into one buffer per set, not a string per value.
//!
//! A set also holds its rows in entity order ([`Prepared::by_entity`]), for SQLite:
//! keys are random, so each row lands on an index page of its own, and the pages
//! of one index at a time fit the page cache where those of all of them do not;
//! writing a page's rows table by table cut a sync's system time by a third.

use std::collections::HashSet;

use rusqlite::types::ValueRef;

use super::rows::{value_ref, Walker};
use super::LoadError;
use crate::record::Record;

/// One value of a prepared row; text and blobs point into the set's buffer.
#[derive(Clone, Copy)]
enum Slot {
    Null,
    Integer(i64),
    Real(f64),
    Text { start: u32, len: u32 },
    Blob { start: u32, len: u32 },
}

/// Where one row is: its entity, and its values from `start` to the next row's.
#[derive(Clone, Copy)]
struct RowAt {
    entity: u32,
    start: u32,
}

/// Where one root record is: its rows from `first` to the next root's; whether its
/// own row (the first) holds its whole key, and whether an earlier root of the set
/// has the same.
#[derive(Clone, Copy)]
struct RootAt {
    first: u32,
    keyed: bool,
    again: bool,
}

/// The rows of root records, in the order a walk visits them (see [`Walker::walk`]).
#[derive(Default)]
pub struct Prepared {
    bytes: Vec<u8>,
    values: Vec<Slot>,
    rows: Vec<RowAt>,
    roots: Vec<RootAt>,
    /// Per root-entity field, whether it is part of the key (to find the key in the
    /// root's row).
    root_keys: Vec<bool>,
    /// The rows' indexes, by entity (in model order), each entity's in walk order.
    by_entity: Vec<u32>,
}

impl Prepared {
    /// Walks `records` (root records of `walker`'s model) into rows; stops at the
    /// first that cannot be stored, naming its key and field as a load would.
    pub fn new<R: Record>(walker: &Walker<'_>, records: &[R]) -> Result<Prepared, LoadError> {
        let mut prepared = Prepared::default();
        prepared.refill(walker, records)?;
        Ok(prepared)
    }

    /// [`new`](Self::new) into this set's buffers, which keep their capacity: a sync
    /// reuses two sets for all its pages instead of growing (and faulting in) fresh
    /// buffers of megabytes for each. On error the set holds part of the records.
    pub fn refill<R: Record>(
        &mut self,
        walker: &Walker<'_>,
        records: &[R],
    ) -> Result<(), LoadError> {
        self.bytes.clear();
        self.values.clear();
        self.rows.clear();
        self.roots.clear();
        self.root_keys.clear();
        self.root_keys
            .extend(walker.model().root().fields.iter().map(|f| f.key));
        for record in records {
            let first = self.rows.len() as u32;
            self.roots.push(RootAt {
                first,
                keyed: true,
                again: false,
            });
            walker.walk(record, &mut |row| {
                self.rows.push(RowAt {
                    entity: row.entity.0 as u32,
                    start: self.values.len() as u32,
                });
                for value in row.values {
                    let slot = self.slot(value_ref(value));
                    self.values.push(slot);
                }
                // Offsets are 32 bits (a slot of 16 bytes, not 24): past them a set
                // fails instead of pointing at the wrong text.
                if self.bytes.len() > u32::MAX as usize || self.values.len() > u32::MAX as usize {
                    return Err(LoadError::Unsupported(
                        "one batch of records holds more than 4 GiB of text or 4 billion values; load them in smaller batches".into(),
                    ));
                }
                Ok(())
            })?;
            // A walk fails on a missing key, so a walked root's key is whole; a NULL
            // in it (a key of a type SQLite has no text for) still counts as none.
            let key_null = self.root_row_key(first).any(|v| v == ValueRef::Null);
            if let Some(root) = self.roots.last_mut() {
                root.keyed = !key_null;
            }
        }
        let mut by_entity = std::mem::take(&mut self.by_entity);
        by_entity.clear();
        by_entity.extend(0..self.rows.len() as u32);
        by_entity.sort_by_key(|&row| self.rows[row as usize].entity);
        self.by_entity = by_entity;
        let mut keys = HashSet::with_capacity(self.roots.len());
        for i in 0..self.roots.len() {
            let key = PreparedRoot {
                set: self,
                index: i,
            }
            .key()
            .map(key_bytes);
            self.roots[i].again = key.is_some_and(|key| !keys.insert(key));
        }
        Ok(())
    }

    fn slot(&mut self, value: ValueRef<'_>) -> Slot {
        let mut keep = |bytes: &[u8]| {
            let start = self.bytes.len() as u32;
            self.bytes.extend_from_slice(bytes);
            (start, bytes.len() as u32)
        };
        match value {
            ValueRef::Null => Slot::Null,
            ValueRef::Integer(n) => Slot::Integer(n),
            ValueRef::Real(x) => Slot::Real(x),
            ValueRef::Text(text) => {
                let (start, len) = keep(text);
                Slot::Text { start, len }
            }
            ValueRef::Blob(blob) => {
                let (start, len) = keep(blob);
                Slot::Blob { start, len }
            }
        }
    }

    fn value(&self, slot: Slot) -> ValueRef<'_> {
        let bytes = |start: u32, len: u32| &self.bytes[start as usize..(start + len) as usize];
        match slot {
            Slot::Null => ValueRef::Null,
            Slot::Integer(n) => ValueRef::Integer(n),
            Slot::Real(x) => ValueRef::Real(x),
            Slot::Text { start, len } => ValueRef::Text(bytes(start, len)),
            Slot::Blob { start, len } => ValueRef::Blob(bytes(start, len)),
        }
    }

    /// The root records walked.
    pub fn records(&self) -> usize {
        self.roots.len()
    }

    /// The rows, all entities together.
    pub fn row_count(&self) -> usize {
        self.rows.len()
    }

    /// Whether a root record's key comes twice (the API sent a record twice): its
    /// later copy then replaces the earlier, rows and all, so the set must be
    /// written root by root.
    pub fn repeats_a_root(&self) -> bool {
        self.roots.iter().any(|root| root.again)
    }

    /// Every row, the root entity's first, then each entity's in model order (the
    /// rows of one entity in walk order).
    pub fn by_entity(&self) -> impl Iterator<Item = PreparedRow<'_>> {
        self.by_entity.iter().map(move |&row| PreparedRow {
            set: self,
            row: row as usize,
        })
    }

    /// [`by_entity`](Self::by_entity) with the entities in reverse model order (each
    /// entity's rows still in walk order, so a later duplicate still wins).
    pub fn by_entity_reversed(&self) -> impl Iterator<Item = PreparedRow<'_>> {
        self.by_entity
            .chunk_by(|&a, &b| self.rows[a as usize].entity == self.rows[b as usize].entity)
            .rev()
            .flatten()
            .map(move |&row| PreparedRow {
                set: self,
                row: row as usize,
            })
    }

    /// Each root record: its key and its rows.
    pub fn roots(&self) -> impl Iterator<Item = PreparedRoot<'_>> {
        (0..self.roots.len()).map(move |i| PreparedRoot {
            set: self,
            index: i,
        })
    }

    fn row_values(&self, row: usize) -> &[Slot] {
        let start = self.rows[row].start as usize;
        let end = self
            .rows
            .get(row + 1)
            .map_or(self.values.len(), |next| next.start as usize);
        &self.values[start..end]
    }

    fn root_row_key(&self, first: u32) -> impl Iterator<Item = ValueRef<'_>> + Clone {
        self.row_values(first as usize)
            .iter()
            .zip(&self.root_keys)
            .filter(|(_, key)| **key)
            .map(|(slot, _)| self.value(*slot))
    }
}

/// A key as bytes to compare: each part's type and value.
fn key_bytes<'v>(key: impl Iterator<Item = ValueRef<'v>>) -> Vec<u8> {
    let mut bytes = Vec::new();
    for part in key {
        match part {
            ValueRef::Null => bytes.push(0),
            ValueRef::Integer(n) => {
                bytes.push(1);
                bytes.extend_from_slice(&n.to_le_bytes());
            }
            ValueRef::Real(x) => {
                bytes.push(2);
                bytes.extend_from_slice(&x.to_bits().to_le_bytes());
            }
            ValueRef::Text(b) | ValueRef::Blob(b) => {
                bytes.push(3);
                bytes.extend_from_slice(&(b.len() as u64).to_le_bytes());
                bytes.extend_from_slice(b);
            }
        }
    }
    bytes
}

/// One root record of a [`Prepared`] set.
#[derive(Clone, Copy)]
pub struct PreparedRoot<'p> {
    set: &'p Prepared,
    index: usize,
}

impl<'p> PreparedRoot<'p> {
    /// The record's key, value by value (`None` if a part is NULL).
    pub fn key(&self) -> Option<impl Iterator<Item = ValueRef<'p>> + Clone + 'p> {
        let root = self.set.roots[self.index];
        root.keyed.then(|| self.set.root_row_key(root.first))
    }

    /// Whether an earlier record of the set has the same key (the API sent it twice).
    pub fn again(&self) -> bool {
        self.set.roots[self.index].again
    }

    /// The record's rows, its own first, then its descendants' depth first.
    pub fn rows(&self) -> impl Iterator<Item = PreparedRow<'p>> {
        let set = self.set;
        let first = set.roots[self.index].first as usize;
        let end = set
            .roots
            .get(self.index + 1)
            .map_or(set.rows.len(), |next| next.first as usize);
        (first..end).map(move |row| PreparedRow { set, row })
    }
}

/// One row of a [`Prepared`] set.
#[derive(Clone, Copy)]
pub struct PreparedRow<'p> {
    set: &'p Prepared,
    row: usize,
}

impl<'p> PreparedRow<'p> {
    /// The row's entity, by its index in the model.
    pub fn entity(&self) -> usize {
        self.set.rows[self.row].entity as usize
    }

    /// A value per field of the entity, in field order (as its upsert binds them).
    pub fn values(&self) -> impl ExactSizeIterator<Item = ValueRef<'p>> + 'p {
        let set = self.set;
        set.row_values(self.row)
            .iter()
            .map(move |slot| set.value(*slot))
    }
}
