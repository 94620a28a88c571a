use cai_bridge::Bridge;

struct Reply {
    content: String,
}

#[derive(Bridge)]
struct Message {
    replies: Vec<Reply>,
}

fn main() {}
