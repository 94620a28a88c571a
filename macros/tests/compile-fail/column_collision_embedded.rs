use cai_bridge::serde::Deserialize;
use cai_bridge::Bridge;

#[derive(Deserialize, Bridge)]
#[serde(crate = "cai_bridge::serde")]
struct Payload {
    kind: String,
}

/// The JSON inside `payload` flattens to `payload_kind`, which a renamed field holds.
#[derive(Deserialize, Bridge)]
#[serde(crate = "cai_bridge::serde")]
#[bridge(key = "id")]
struct Event {
    id: String,
    #[bridge(json = "Payload")]
    payload: String,
    #[bridge(rename = "PAYLOAD_KIND")]
    kind: String,
}

fn main() {}
