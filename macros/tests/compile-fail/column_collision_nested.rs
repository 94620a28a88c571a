use cai_bridge::serde::Deserialize;
use cai_bridge::Bridge;

#[derive(Deserialize, Bridge)]
#[serde(crate = "cai_bridge::serde")]
struct Address {
    city: String,
    zip: Option<String>,
}

/// `address_city` is also where `address.city` flattens to.
#[derive(Deserialize, Bridge)]
#[serde(crate = "cai_bridge::serde")]
#[bridge(key = "id")]
struct Customer {
    id: String,
    #[serde(rename = "Address_City")]
    address_city: String,
    address: Address,
}

fn main() {}
