use cai_bridge::Bridge;

#[derive(Bridge)]
struct Message {
    count: u64,
}

fn main() {}
