use cai_bridge::Bridge;

#[derive(Bridge)]
#[bridge(entty = "Conversations")]
struct Conversation {
    id: String,
}

fn main() {}
