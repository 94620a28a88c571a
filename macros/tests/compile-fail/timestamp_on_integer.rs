use cai_bridge::Bridge;

#[derive(Bridge)]
struct Message {
    #[bridge(timestamp)]
    received_at: i32,
}

fn main() {}
