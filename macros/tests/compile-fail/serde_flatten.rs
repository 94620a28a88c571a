use cai_bridge::serde::Deserialize;
use cai_bridge::Bridge;

#[derive(Deserialize, Bridge)]
#[serde(crate = "cai_bridge::serde")]
struct Sender {
    sender_id: String,
}

#[derive(Deserialize, Bridge)]
#[serde(crate = "cai_bridge::serde")]
struct Message {
    message_id: String,
    #[serde(flatten)]
    sender: Sender,
}

fn main() {}
