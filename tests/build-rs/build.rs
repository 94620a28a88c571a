//! Generates the CAI Logs v2 model into OUT_DIR at build time.

fn main() {
    cai_bridge_build::Builder::new()
        .spec("../../specs/cai-logs-v2/openapi.yaml")
        .sample("../../specs/cai-logs-v2/samples")
        .generate()
        .unwrap_or_else(|e| panic!("cai-bridge could not generate the model:\n{e}"));
}
