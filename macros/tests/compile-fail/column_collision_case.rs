use cai_bridge::serde::Deserialize;
use cai_bridge::Bridge;

#[derive(Deserialize, Bridge)]
#[serde(crate = "cai_bridge::serde")]
struct Message {
    #[serde(rename = "Name")]
    display_name: String,
    name: String,
}

fn main() {}
