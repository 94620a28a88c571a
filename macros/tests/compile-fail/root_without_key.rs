use cai_bridge::Bridge;

#[derive(Bridge)]
#[bridge(entity = "Lines")]
struct Line {
    text: String,
}

/// A root record (it names where the records are) with children but nothing that
/// identifies it: the children would have no parent key to hang from.
#[derive(Bridge)]
#[bridge(records = "results.poems")]
struct Poem {
    title: String,
    lines: Vec<Line>,
}

fn main() {}
