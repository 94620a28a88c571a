use cai_bridge::Bridge;

#[derive(Bridge)]
struct Message {
    #[bridge(json = "NotAType<")]
    replies: String,
}

fn main() {}
