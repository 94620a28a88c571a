//! cai-bridge used through `#[derive(Bridge)]` alone, for an API that is not CAI:
//! an issue tracker whose issues have a nested author, labels, assignees and a JSON
//! string of reactions. No spec, no generator run: the derive is the whole front end.
#![deny(missing_docs)]

use cai_bridge::serde::{Deserialize, Serialize};
use cai_bridge::Bridge;

/// An issue: the record the tracker's `GET /issues` lists under `items`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Bridge)]
#[serde(crate = "cai_bridge::serde")]
#[bridge(
    entity = "Issues",
    key = "number",
    records = "items",
    namespace = "tracker",
    service = "TrackerService"
)]
pub struct Issue {
    /// The issue number, unique in the tracker.
    pub number: i64,
    /// The title.
    pub title: String,
    /// Bug, feature, ... (a Rust keyword as a field name).
    pub r#type: String,
    /// When it was opened.
    #[bridge(timestamp)]
    pub created_at: String,
    /// Who opened it (flattened into `user_login`, `user_id`).
    pub user: User,
    /// Its labels (a child entity keyed by label name).
    pub labels: Vec<Label>,
    /// Logins of the assignees (a child entity of scalars).
    pub assignees: Vec<String>,
    /// Reaction counts, as JSON text (parsed into columns, the raw text kept).
    #[bridge(json = "Reactions")]
    pub reactions: String,
    /// Whether it is closed.
    pub closed: bool,
    /// A triage score, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<f64>,
    /// Local bookkeeping that is not the tracker's data.
    #[bridge(skip)]
    #[serde(skip)]
    pub seen_locally: Option<u32>,
}

/// An issue's author.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Bridge)]
#[serde(crate = "cai_bridge::serde")]
pub struct User {
    /// Login name.
    pub login: String,
    /// Numeric id.
    pub id: i64,
}

/// A label on an issue.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Bridge)]
#[serde(crate = "cai_bridge::serde")]
#[bridge(entity = "Labels", key = "name")]
pub struct Label {
    /// The label's name.
    pub name: String,
    /// Its color, `rrggbb`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[bridge(max_length = 6)]
    pub color: Option<String>,
}

/// Reaction counts, the content of [`Issue::reactions`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Bridge)]
#[serde(crate = "cai_bridge::serde")]
pub struct Reactions {
    /// 👍
    #[serde(rename = "+1")]
    #[bridge(rename = "reactions_plus_one")]
    pub plus_one: i32,
    /// ❤️
    pub heart: i32,
}
