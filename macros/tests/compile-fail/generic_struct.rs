use cai_bridge::Bridge;

#[derive(Bridge)]
struct Page<T> {
    items: Vec<T>,
}

fn main() {}
