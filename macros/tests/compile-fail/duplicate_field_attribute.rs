use cai_bridge::Bridge;

#[derive(Bridge)]
struct Conversation {
    #[bridge(rename = "conversation_id")]
    #[bridge(rename = "talk_id")]
    id: String,
}

fn main() {}
