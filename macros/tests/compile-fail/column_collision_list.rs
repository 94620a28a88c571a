use cai_bridge::serde::Deserialize;
use cai_bridge::Bridge;

/// A list's name is its composition's, in the same namespace as the columns.
#[derive(Deserialize, Bridge)]
#[serde(crate = "cai_bridge::serde")]
#[bridge(key = "id")]
struct Article {
    id: String,
    tags: Vec<String>,
    #[bridge(rename = "tags")]
    tag_line: String,
}

fn main() {}
