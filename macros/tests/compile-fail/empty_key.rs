use cai_bridge::Bridge;

#[derive(Bridge)]
#[bridge(key = "")]
struct Message {
    message_id: String,
}

fn main() {}
