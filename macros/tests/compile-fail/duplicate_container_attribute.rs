use cai_bridge::Bridge;

#[derive(Bridge)]
#[bridge(entity = "Conversations", entity = "Talks")]
struct Conversation {
    id: String,
}

fn main() {}
