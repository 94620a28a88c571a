use cai_bridge::serde::Deserialize;
use cai_bridge::Bridge;

#[derive(Deserialize, Bridge)]
#[serde(crate = "cai_bridge::serde")]
struct Geo {
    lat: f64,
    lon: f64,
}

#[derive(Deserialize, Bridge)]
#[serde(crate = "cai_bridge::serde")]
struct Place {
    name: String,
    geo: Geo,
}

#[derive(Deserialize, Bridge)]
#[serde(crate = "cai_bridge::serde")]
struct Point {
    lat: f64,
}

/// `site.geo.lat` and `site_geo.lat` both flatten to `site_geo_lat`: two nested
/// structs, one of them two levels deep.
#[derive(Deserialize, Bridge)]
#[serde(crate = "cai_bridge::serde")]
#[bridge(key = "id")]
struct Visit {
    id: String,
    site: Place,
    site_geo: Option<Point>,
}

fn main() {}
