use cai_bridge::Bridge;

#[derive(Bridge)]
struct Message {
    position: (i32, i32),
}

fn main() {}
