//! Names and descriptions from a spec never carry bidirectional or control characters
//! into generated sources: rustc refuses them in comments (they make source display
//! differently from what compiles, "Trojan Source"), and no comment needs them.

use cai_bridge_build::emit::{self, paths, templates::Templates};
use cai_bridge_build::Inputs;

#[test]
fn bidi_controls_in_a_spec_never_reach_generated_source() {
    let dir = tempfile::tempdir().expect("temp dir");
    let spec = dir.path().join("openapi.json");
    let evil = "\u{202E}gnp.exe\u{202C}";
    let item = serde_json::json!({
        "type": "object",
        "description": format!("An item {evil} with\u{0007}a bell"),
        "required": ["id"],
        "properties": {
            "id": {"type": "string", "description": format!("The id {evil}")},
            format!("na{evil}me"): {"type": "string"}
        }
    });
    let response = serde_json::json!({
        "type": "object",
        "properties": {"items": {"type": "array", "items": item}}
    });
    let document = serde_json::json!({
        "openapi": "3.0.3",
        "info": {"title": format!("t{evil}"), "version": "1"},
        "paths": {"/items": {"get": {"responses": {"200": {
            "description": "ok",
            "content": {"application/json": {"schema": response}}
        }}}}}
    });
    std::fs::write(&spec, document.to_string()).expect("spec");
    let config = dir.path().join("bridge.toml");
    std::fs::write(&config, "records = \"items\"\n").expect("config");
    let loaded = Inputs {
        spec: Some(spec),
        config: Some(config),
        ..Inputs::default()
    }
    .load()
    .unwrap_or_else(|e| panic!("{e}"));
    let files = emit::all(&loaded.model, &Templates::none()).expect("emits");
    for path in [paths::RUST, paths::CDS_SCHEMA, paths::CSDL, paths::SQL] {
        let text = &files[path];
        let hazard = text
            .chars()
            .find(|c| matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{0007}'));
        assert_eq!(hazard, None, "{path} carries {hazard:?}:\n{text}");
    }
    // The wire name itself survives where it is data: in the serde rename, escaped.
    assert!(
        files[paths::RUST].contains("\\u{202e}"),
        "{}",
        files[paths::RUST]
    );
}
