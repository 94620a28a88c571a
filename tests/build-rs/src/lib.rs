//! cai-bridge used from build.rs: the structs below are generated into OUT_DIR by
//! `build.rs` and included here; the SQL, CDS and CSDL land beside them.
#![deny(missing_docs)]

/// The wire records of the CAI Logs v2 API, generated at build time.
pub mod model {
    include!(concat!(env!("OUT_DIR"), "/model.rs"));
}

/// The SQLite DDL generated beside the structs.
pub const SCHEMA_SQL: &str = include_str!(concat!(env!("OUT_DIR"), "/schema.sql"));

#[cfg(test)]
mod tests {
    #[test]
    fn included_structs_read_a_sample() {
        let text = include_str!("../../../specs/cai-logs-v2/samples/2021-02-05.json");
        let response: super::model::Response =
            cai_bridge::serde_json::from_str(text).expect("the sample deserializes");
        assert!(!response.results.conversations.is_empty());
        assert!(super::SCHEMA_SQL.contains("CREATE TABLE cai_logs_Conversations"));
    }
}
