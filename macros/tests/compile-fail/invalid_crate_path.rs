use cai_bridge::Bridge;

#[derive(Bridge)]
#[bridge(crate = "not a path")]
struct Message {
    id: String,
}

fn main() {}
