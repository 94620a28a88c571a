use cai_bridge::Bridge;

#[derive(Bridge)]
struct Message {
    #[bridge(json, large)]
    replies: String,
}

fn main() {}
