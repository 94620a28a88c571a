use cai_bridge::Bridge;

#[derive(Bridge)]
#[bridge(key = "nope")]
struct Message {
    message_id: String,
    text: String,
}

fn main() {}
