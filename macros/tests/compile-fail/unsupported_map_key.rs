use std::collections::HashMap;

use cai_bridge::Bridge;

#[derive(Bridge)]
struct Message {
    labels: HashMap<u32, String>,
}

fn main() {}
