use cai_bridge::Bridge;

#[derive(Bridge)]
struct Conversation {
    #[bridge(timestmp)]
    start_at: String,
}

fn main() {}
