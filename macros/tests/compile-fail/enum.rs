use cai_bridge::Bridge;

#[derive(Bridge)]
enum Sentiment {
    Positive,
    Negative,
}

fn main() {}
