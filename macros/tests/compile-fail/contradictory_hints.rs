use cai_bridge::Bridge;

#[derive(Bridge)]
struct Message {
    #[bridge(timestamp, uuid)]
    id: String,
}

fn main() {}
