use cai_bridge::Bridge;

#[derive(Bridge)]
struct Marker;

fn main() {}
