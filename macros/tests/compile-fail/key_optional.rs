use cai_bridge::Bridge;

#[derive(Bridge)]
#[bridge(key = "id")]
struct Ticket {
    id: Option<String>,
    title: String,
}

fn main() {}
