use cai_bridge::Bridge;

#[derive(Bridge)]
struct Message {
    text: &'static str,
}

fn main() {}
