//! Run-time settings of a bridge: bridge.toml's `[cai]` and `[sync]` tables, with
//! the environment winning over the file. Secrets come only from the environment or
//! from files, never from command-line flags, and never show in a log line.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use cai_bridge_model::config::Config;
use cai_bridge_model::diagnostic::Diagnostics;

/// A secret value: its `Debug` and `Display` print `***`, so it cannot leak into a
/// log line or an error message by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The secret itself, for the one place that must send it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// Where the API is and how to authenticate.
#[derive(Clone, Debug)]
pub struct ApiSettings {
    /// Base URL of the API (`CAI_BASE_URL`), without a trailing slash.
    pub base_url: String,
    /// OAuth2 token URL (`CAI_TOKEN_URL`).
    pub token_url: String,
    /// OAuth2 client id (`CAI_CLIENT_ID`).
    pub client_id: String,
    /// OAuth2 client secret (`CAI_CLIENT_SECRET`, or `[cai] client_secret_file`).
    pub client_secret: Secret,
    /// The developer token sent as `X-Token` (`CAI_DEVELOPER_TOKEN`, or `[cai] developer_token_file`).
    pub developer_token: Secret,
}

/// How a sync walks time and retries.
#[derive(Clone, Debug)]
pub struct SyncSettings {
    /// Where a first sync starts when no `--from` is given.
    pub start: Option<chrono::DateTime<chrono::Utc>>,
    /// One time window.
    pub window: Duration,
    /// How far before the high-water mark an incremental sync starts.
    pub overlap: Duration,
    /// The most records the API returns for one call.
    pub page_cap: usize,
    /// Connect and read timeout.
    pub timeout: Duration,
    /// Attempts per request.
    pub attempts: u32,
}

/// Why the settings are incomplete or wrong.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// bridge.toml could not be read.
    #[error("{0}")]
    Config(Diagnostics),
    /// A required setting is missing.
    #[error("{what} is not set; hint: {hint}")]
    Missing {
        /// What is missing.
        what: &'static str,
        /// How to set it.
        hint: &'static str,
    },
    /// A value is malformed.
    #[error("{what}: {message}")]
    Invalid {
        /// Which setting.
        what: &'static str,
        /// What is wrong.
        message: String,
    },
    /// A secret file could not be read.
    #[error("cannot read {}: {source}", path.display())]
    File {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
}

/// Reads bridge.toml (if given).
pub fn read_config(file: Option<&Path>) -> Result<Config, SettingsError> {
    let Some(file) = file else {
        return Ok(Config::default());
    };
    let mut diags = Diagnostics::default();
    Config::read(file, &mut diags).ok_or(SettingsError::Config(diags))
}

impl ApiSettings {
    /// The API settings from the environment, falling back to bridge.toml.
    pub fn resolve(config: &Config) -> Result<Self, SettingsError> {
        Self::resolve_with(config, |name| {
            std::env::var(name).ok().filter(|v| !v.is_empty())
        })
    }

    /// The same with an explicit environment (tests).
    pub fn resolve_with(
        config: &Config,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, SettingsError> {
        let cai = &config.cai;
        let base_url =
            env("CAI_BASE_URL")
                .or_else(|| cai.base_url.clone())
                .ok_or(SettingsError::Missing {
                    what: "CAI_BASE_URL",
                    hint: "export CAI_BASE_URL, or set [cai] base_url in bridge.toml",
                })?;
        let token_url = env("CAI_TOKEN_URL")
            .or_else(|| cai.token_url.clone())
            .ok_or(SettingsError::Missing {
                what: "CAI_TOKEN_URL",
                hint: "export CAI_TOKEN_URL, or set [cai] token_url in bridge.toml",
            })?;
        let client_id = env("CAI_CLIENT_ID")
            .or_else(|| cai.client_id.clone())
            .ok_or(SettingsError::Missing {
                what: "CAI_CLIENT_ID",
                hint: "export CAI_CLIENT_ID, or set [cai] client_id in bridge.toml",
            })?;
        let client_secret = secret(
            env("CAI_CLIENT_SECRET"),
            cai.client_secret_file.as_deref(),
            "CAI_CLIENT_SECRET",
            "export CAI_CLIENT_SECRET, or set [cai] client_secret_file to a file holding it",
        )?;
        let developer_token = secret(
            env("CAI_DEVELOPER_TOKEN"),
            cai.developer_token_file.as_deref(),
            "CAI_DEVELOPER_TOKEN",
            "export CAI_DEVELOPER_TOKEN, or set [cai] developer_token_file to a file holding it",
        )?;
        for (what, url) in [("CAI_BASE_URL", &base_url), ("CAI_TOKEN_URL", &token_url)] {
            reqwest::Url::parse(url).map_err(|e| SettingsError::Invalid {
                what,
                message: format!("{url:?} is not a URL: {e}"),
            })?;
        }
        Ok(ApiSettings {
            base_url: base_url.trim_end_matches('/').to_owned(),
            token_url,
            client_id,
            client_secret,
            developer_token,
        })
    }
}

/// A secret from the environment (`from_env`), else from `file`; `what` and `hint`
/// name it when neither is set.
pub(crate) fn secret(
    from_env: Option<String>,
    file: Option<&Path>,
    what: &'static str,
    hint: &'static str,
) -> Result<Secret, SettingsError> {
    if let Some(value) = from_env {
        return Ok(Secret::new(value));
    }
    let Some(file) = file else {
        return Err(SettingsError::Missing { what, hint });
    };
    let text = std::fs::read_to_string(file).map_err(|source| SettingsError::File {
        path: file.to_path_buf(),
        source,
    })?;
    // Mounted secrets often end with a newline the secret does not have.
    Ok(Secret::new(text.trim_end_matches(['\n', '\r'])))
}

impl SyncSettings {
    /// The sync settings of bridge.toml, with their defaults.
    pub fn resolve(config: &Config) -> Result<Self, SettingsError> {
        let sync = &config.sync;
        let start = match &sync.start {
            Some(text) => Some(
                chrono::DateTime::parse_from_rfc3339(text)
                    .map_err(|e| SettingsError::Invalid {
                        what: "[sync] start",
                        message: format!("{text:?} is not an RFC 3339 timestamp: {e}"),
                    })?
                    .with_timezone(&chrono::Utc),
            ),
            None => None,
        };
        let minutes = |m: u64| Duration::from_secs(m * 60);
        let window = minutes(sync.window_minutes.unwrap_or(24 * 60));
        if window.is_zero() {
            return Err(SettingsError::Invalid {
                what: "[sync] window_minutes",
                message: "must be at least 1".into(),
            });
        }
        Ok(SyncSettings {
            start,
            window,
            overlap: minutes(sync.overlap_minutes.unwrap_or(10)),
            page_cap: sync.page_cap.unwrap_or(1000).max(1),
            timeout: Duration::from_secs(sync.timeout_seconds.unwrap_or(30).max(1)),
            attempts: sync.attempts.unwrap_or(8).max(1),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_print() {
        let secret = Secret::new("hunter2");
        assert_eq!(format!("{secret} {secret:?}"), "*** ***");
        let settings = ApiSettings {
            base_url: "http://x".into(),
            token_url: "http://x/t".into(),
            client_id: "id".into(),
            client_secret: secret.clone(),
            developer_token: Secret::new("dev-token-value"),
        };
        let debug = format!("{settings:?}");
        assert!(
            !debug.contains("hunter2") && !debug.contains("dev-token-value"),
            "{debug}"
        );
    }

    #[test]
    fn environment_wins_over_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let secret_file = dir.path().join("secret");
        std::fs::write(&secret_file, "from-file\n").unwrap();
        let mut config = Config::default();
        config.cai.base_url = Some("http://file".into());
        config.cai.token_url = Some("http://file/token".into());
        config.cai.client_id = Some("file-client".into());
        config.cai.client_secret_file = Some(secret_file);
        let env = |name: &str| match name {
            "CAI_BASE_URL" => Some("http://env/".to_owned()),
            "CAI_DEVELOPER_TOKEN" => Some("dev".to_owned()),
            _ => None,
        };
        let settings = ApiSettings::resolve_with(&config, env).unwrap();
        assert_eq!(settings.base_url, "http://env");
        assert_eq!(settings.client_id, "file-client");
        assert_eq!(settings.client_secret.expose(), "from-file");
        let missing = ApiSettings::resolve_with(&Config::default(), |_| None).unwrap_err();
        assert!(missing.to_string().contains("CAI_BASE_URL"), "{missing}");
    }
}
