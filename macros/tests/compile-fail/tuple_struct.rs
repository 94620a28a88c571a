use cai_bridge::Bridge;

#[derive(Bridge)]
struct MessageId(String);

fn main() {}
