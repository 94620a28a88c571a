use cai_bridge::Bridge;

#[derive(Bridge)]
#[bridge(key("conversation_id", "tags"))]
struct Message {
    conversation_id: String,
    tags: Vec<String>,
}

fn main() {}
