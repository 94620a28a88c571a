use cai_bridge::Bridge;

#[derive(Bridge)]
struct Message {
    #[bridge(max_length = 10)]
    status: i32,
}

fn main() {}
