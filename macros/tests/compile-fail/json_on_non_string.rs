use cai_bridge::Bridge;

#[derive(Bridge)]
struct Message {
    #[bridge(json)]
    replies: i64,
}

fn main() {}
