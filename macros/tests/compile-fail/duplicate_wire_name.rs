#![allow(unreachable_patterns)] // serde's own derive warns about the duplicate name too

use cai_bridge::serde::Deserialize;
use cai_bridge::Bridge;

#[derive(Deserialize, Bridge)]
#[serde(crate = "cai_bridge::serde")]
struct Message {
    #[serde(rename = "text")]
    body: String,
    #[serde(rename = "text")]
    content: String,
}

fn main() {}
