use cai_bridge::Bridge;

#[derive(Bridge)]
struct Sender {
    id: String,
}

#[derive(Bridge)]
#[bridge(key = "sender")]
struct Message {
    sender: Sender,
}

fn main() {}
