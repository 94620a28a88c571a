use cai_bridge::Bridge;

struct Sender {
    id: String,
}

#[derive(Bridge)]
struct Message {
    sender: Sender,
}

fn main() {}
