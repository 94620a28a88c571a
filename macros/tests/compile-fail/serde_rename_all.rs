use cai_bridge::serde::Deserialize;
use cai_bridge::Bridge;

#[derive(Deserialize, Bridge)]
#[serde(crate = "cai_bridge::serde", rename_all = "camelCase")]
struct Message {
    message_id: String,
}

fn main() {}
