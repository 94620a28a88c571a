use cai_bridge::Bridge;

#[derive(Bridge)]
struct Message {
    #[bridge(json = "HashMap<String, String>")]
    labels: String,
}

fn main() {}
