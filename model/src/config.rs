//! `bridge.toml`: what the spec and samples cannot say. Every key is optional and
//! the defaults serve the CAI Logs v2 spec.
//!
//! ```toml
//! records = "results.conversations"   # dotted path to the record array in a response
//! operation = "/logs/v2/conversations" # which GET operation (default: the first that has records)
//! namespace = "cai.logs"              # CDS namespace; tables are cai_logs_<Entity>
//! service = "CatalogService"          # OData service name
//! path = "/odata/v4/catalog"          # OData path (default: CAP's rule for the service name)
//! env_prefix = "CAI"                  # CAI_BASE_URL, …  (default: the namespace's first segment)
//! exclude = ["results.conversations[].messages[].connector_sender_id"]  # e.g. personal data
//!
//! [rename]                            # data path → column name
//! "results.conversations[].channel_id" = "channel"
//!
//! [maps]                              # data path → a map (true) or an object (false)
//! "results.conversations[].messages[].entities" = true
//!
//! [entities."results.conversations[].messages[]"]
//! name = "Messages"                   # entity name
//! key = ["message_id"]                # natural key (for a child: besides the parent key)
//!
//! [fact]
//! top = ["intents"]                   # children of the fact entity joined at position 0
//!
//! [sync]
//! from_param = "since"                # the window's query parameters (default: found in the spec)
//! to_param = "until"
//! api_key_prefix = "Token token="     # what an API key's value starts with
//! ```

use std::collections::BTreeMap;
#[cfg(feature = "toml")]
use std::path::Path;
use std::path::PathBuf;

use serde::Deserialize;

#[cfg(feature = "toml")]
use crate::diagnostic::{Diagnostic, Diagnostics, Location};

/// The settings of `bridge.toml`.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Dotted path to the record array in a response (`results.conversations`).
    pub records: Option<String>,
    /// The API path of the operation that returns records.
    pub operation: Option<String>,
    /// CDS namespace.
    pub namespace: Option<String>,
    /// OData service name.
    pub service: Option<String>,
    /// OData service path.
    pub path: Option<String>,
    /// Prefix of the bridge's environment variables (`PAGERDUTY` → `PAGERDUTY_BASE_URL`;
    /// default: the namespace's first segment in upper case, `CAI` for `cai.logs`).
    pub env_prefix: Option<String>,
    /// Data paths of fields to leave out.
    #[serde(default)]
    pub exclude: Vec<String>,
    /// Data path → column name.
    #[serde(default)]
    pub rename: BTreeMap<String, String>,
    /// Per-entity settings by data path.
    #[serde(default)]
    pub entities: BTreeMap<String, EntityConfig>,
    /// Data path of an object → whether its keys are data (`true`: a map, one child
    /// row per entry, keyed by the map key) or fields (`false`: flattened columns),
    /// whatever the spec declares or the samples suggest.
    #[serde(default)]
    pub maps: BTreeMap<String, bool>,
    /// The fact view.
    #[serde(default)]
    pub fact: FactConfig,
    /// Where the generated bridge finds the API (read by the bridge at run time).
    #[serde(default)]
    pub cai: ConnectionConfig,
    /// How the generated bridge syncs (read by the bridge at run time).
    #[serde(default)]
    pub sync: SyncConfig,
    /// Where `cai-bridge new` deploys the bridge on SAP BTP Kyma (read only by the
    /// scaffold, which writes them into `k8s/`).
    #[serde(default)]
    pub kyma: KymaConfig,
    /// The file it was read from.
    #[serde(skip)]
    pub file: Option<PathBuf>,
}

/// Settings for one entity.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct EntityConfig {
    /// Entity name.
    pub name: Option<String>,
    /// Natural key fields (wire names).
    pub key: Option<Vec<String>>,
}

/// Where the API is and who the bridge is, for any bridge (the table keeps CAI's name).
/// Secrets are never written here: only the paths of files holding them (Kubernetes
/// mounts Secrets as files), and the environment (`<PREFIX>_CLIENT_SECRET`, an API
/// key's variable, each also as `<NAME>_FILE`) wins over the file.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ConnectionConfig {
    /// The API's base URL (`<PREFIX>_BASE_URL`, `CAI_BASE_URL` for CAI).
    pub base_url: Option<String>,
    /// The OAuth2 token URL (`<PREFIX>_TOKEN_URL`).
    pub token_url: Option<String>,
    /// The OAuth2 client id (`<PREFIX>_CLIENT_ID`).
    pub client_id: Option<String>,
    /// A file holding the OAuth2 client secret (else `<PREFIX>_CLIENT_SECRET`).
    pub client_secret_file: Option<PathBuf>,
    /// A file holding the API key, CAI's developer token (else its variable,
    /// `CAI_DEVELOPER_TOKEN`).
    pub developer_token_file: Option<PathBuf>,
}

/// How a sync walks time.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SyncConfig {
    /// Where the first sync starts (RFC 3339), when no `--from` is given.
    pub start: Option<String>,
    /// The size of one time window, in minutes (default one day).
    pub window_minutes: Option<u64>,
    /// How far before the high-water mark an incremental sync starts, in minutes
    /// (default 10), so late-arriving conversations are caught.
    pub overlap_minutes: Option<u64>,
    /// The most records the API returns for one call (default 1000); a window whose
    /// answer has that many is split.
    pub page_cap: Option<usize>,
    /// Connect and read timeout, in seconds (default 30).
    pub timeout_seconds: Option<u64>,
    /// Attempts per request before giving up (default 8).
    pub attempts: Option<u32>,
    /// The query parameter of a window's start, when the generator cannot tell it
    /// from the spec (read by the generator).
    pub from_param: Option<String>,
    /// The query parameter of a window's end (read by the generator).
    pub to_param: Option<String>,
    /// Text an API key's value starts with (`Token token=` for PagerDuty), when the
    /// spec says it only in prose (read by the generator).
    pub api_key_prefix: Option<String>,
}

/// The Kyma deployment `cai-bridge new` writes. Every key is optional; the defaults
/// are in the bridge.toml it writes.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct KymaConfig {
    /// The Kubernetes namespace (default: the bridge's name).
    pub namespace: Option<String>,
    /// The APIRule's host: a short name (the cluster's domain is appended) or a
    /// fully qualified one (default: the bridge's name).
    pub host: Option<String>,
    /// The container image, `registry/name:tag` (default: `<name>:<version>`).
    pub image: Option<String>,
    /// The Istio gateway, `namespace/name` (default: `kyma-system/kyma-gateway`).
    pub gateway: Option<String>,
    /// The size of the SQLite volume (default: `1Gi`).
    pub storage: Option<String>,
    /// The issuer of the tokens the `jwt` variant accepts (SAP Cloud Identity
    /// Services: `https://<tenant>.accounts.ondemand.com`).
    pub issuer: Option<String>,
    /// Where that issuer publishes its keys (its `.well-known/openid-configuration`
    /// says: `https://<tenant>.accounts.ondemand.com/oauth2/certs`).
    pub jwks_uri: Option<String>,
    /// The audience those tokens carry: the client id SAC authenticates with.
    pub audience: Option<String>,
}

/// Settings for the fact view.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FactConfig {
    /// Whether to emit it.
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Wire names of the fact entity's children to join at position 0.
    #[serde(default = "default_tops")]
    pub top: Vec<String>,
}

impl Default for FactConfig {
    fn default() -> Self {
        FactConfig {
            enabled: true,
            top: default_tops(),
        }
    }
}

fn yes() -> bool {
    true
}

fn default_tops() -> Vec<String> {
    vec!["intents".into()]
}

/// The default CDS namespace.
pub const DEFAULT_NAMESPACE: &str = "cai.logs";
/// The default service name.
pub const DEFAULT_SERVICE: &str = "CatalogService";
/// The default record path.
pub const DEFAULT_RECORDS: &str = "results.conversations";

impl Config {
    /// Reads `bridge.toml`; problems go to `diags` with line and column.
    #[cfg(feature = "toml")]
    pub fn read(path: &Path, diags: &mut Diagnostics) -> Option<Config> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) => {
                diags.push(
                    Diagnostic::error(Location::File(path.into()), format!("cannot read: {e}"))
                        .with_hint("check the --config path"),
                );
                return None;
            }
        };
        match toml::from_str::<Config>(&text) {
            Ok(mut config) => {
                config.file = Some(path.into());
                Some(config)
            }
            Err(e) => {
                let location = match e.span() {
                    Some(span) => {
                        let (line, column) = line_column(&text, span.start);
                        Location::Position {
                            file: path.into(),
                            line,
                            column,
                        }
                    }
                    None => Location::File(path.into()),
                };
                diags.push(
                    Diagnostic::error(location, e.message().to_owned())
                        .with_hint("see the bridge.toml keys in the README"),
                );
                None
            }
        }
    }

    /// The record path as object keys.
    pub fn record_path(&self) -> Option<Vec<String>> {
        self.records.as_deref().map(split_path)
    }
}

/// `results.conversations` → `["results", "conversations"]`; empty → `[]`.
pub fn split_path(path: &str) -> Vec<String> {
    path.split('.')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// 1-based line and column of a byte offset.
#[cfg(feature = "toml")]
pub fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

#[cfg(all(test, feature = "toml"))]
mod tests {
    use super::*;

    #[test]
    fn reads_every_key() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("bridge.toml");
        std::fs::write(
            &file,
            r#"
records = "data.items"
namespace = "shop"
exclude = ["data.items[].secret"]
[rename]
"data.items[].x" = "y"
[entities."data.items[]"]
key = ["sku"]
[fact]
top = []
"#,
        )
        .unwrap();
        let mut diags = Diagnostics::default();
        let config = Config::read(&file, &mut diags).unwrap();
        assert_eq!(config.record_path().unwrap(), ["data", "items"]);
        assert_eq!(
            config.entities["data.items[]"].key.as_deref(),
            Some(&["sku".to_owned()][..])
        );
        assert!(config.fact.top.is_empty());
        assert!(!diags.has_errors());
    }

    #[test]
    fn unknown_key_is_an_error_with_position() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("bridge.toml");
        std::fs::write(&file, "records = \"a\"\nrecrods = \"b\"\n").unwrap();
        let mut diags = Diagnostics::default();
        assert!(Config::read(&file, &mut diags).is_none());
        let d = diags.iter().next().unwrap();
        assert!(d.message.contains("recrods"), "{d}");
        assert!(
            matches!(
                d.location,
                Location::Position {
                    line: 2,
                    column: 1,
                    ..
                }
            ),
            "{d}"
        );
    }
}
