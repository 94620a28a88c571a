use cai_bridge::Bridge;

#[derive(Bridge)]
struct Message {
    #[bridge(rename = "x")]
    a: String,
    x: String,
}

fn main() {}
