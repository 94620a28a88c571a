use cai_bridge::Bridge;

#[derive(Bridge)]
struct Message {
    #[bridge(one_of("yes", "no"))]
    answered: bool,
}

fn main() {}
