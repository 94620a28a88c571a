//! Run-time settings of a bridge: bridge.toml's `[cai]` and `[sync]` tables, with
//! the environment winning over the file. The variables are named after the bridge
//! (`<PREFIX>_BASE_URL`, then those of each security scheme its model declares; see
//! [`variables`]), so the CAI bridge keeps its `CAI_*`. Secrets come only from the
//! environment or from files (`<NAME>_FILE`), never from command-line flags, and
//! never show in a log line.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use cai_bridge_model::config::Config;
use cai_bridge_model::diagnostic::Diagnostics;
use cai_bridge_model::{AuthScheme, KeyLocation, Model};

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

/// Where the API is and the credentials of each security scheme its operation
/// requires.
#[derive(Clone, Debug)]
pub struct ApiSettings {
    /// Base URL of the API (`<PREFIX>_BASE_URL`), without a trailing slash.
    pub base_url: String,
    /// One credential per scheme of the model's `source.auth`, in the same order.
    pub credentials: Vec<Credential>,
}

/// What the bridge presents for one security scheme. `Debug` hides every secret.
#[derive(Clone, Debug)]
pub enum Credential {
    /// OAuth 2.0 client credentials.
    OAuth2 {
        /// The token endpoint (`<PREFIX>_TOKEN_URL`, else the spec's).
        token_url: String,
        /// The client id (`<PREFIX>_CLIENT_ID`).
        client_id: String,
        /// The client secret (`<PREFIX>_CLIENT_SECRET`).
        client_secret: Secret,
    },
    /// An API key (`<PREFIX>_<SCHEME>`, e.g. `CAI_DEVELOPER_TOKEN`, or `<PREFIX>_API_KEY`).
    ApiKey(Secret),
    /// A bearer token (`<PREFIX>_TOKEN`).
    Bearer(Secret),
    /// HTTP basic (`<PREFIX>_USERNAME`, `<PREFIX>_PASSWORD`).
    Basic {
        /// The user name.
        username: String,
        /// The password.
        password: Secret,
    },
}

/// One environment variable a bridge's `sync` reads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Variable {
    /// Its name (`PAGERDUTY_API_KEY`).
    pub name: String,
    /// Whether it holds a secret (then `<name>_FILE` may name a file holding it).
    pub secret: bool,
    /// What it is for.
    pub what: String,
    /// Another name read when this one is not set.
    pub alias: Option<String>,
}

/// `developerToken` → `DEVELOPER_TOKEN`, `api-key` → `API_KEY`.
fn screaming_snake(name: &str) -> String {
    let mut out = String::new();
    let mut previous_lower = false;
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            if c.is_ascii_uppercase() && previous_lower {
                out.push('_');
            }
            previous_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
            out.push(c.to_ascii_uppercase());
        } else {
            if !out.is_empty() && !out.ends_with('_') {
                out.push('_');
            }
            previous_lower = false;
        }
    }
    out.trim_end_matches('_').to_owned()
}

/// The variables `sync` reads for `model`, in the order it reads them: the base URL,
/// then each security scheme's.
pub fn variables(model: &Model) -> Vec<Variable> {
    let prefix = model.env_prefix();
    let var = |suffix: &str, secret: bool, what: String| Variable {
        name: format!("{prefix}_{suffix}"),
        secret,
        what,
        alias: None,
    };
    let mut out = vec![var("BASE_URL", false, "the API's base URL".into())];
    for scheme in &model.source.auth {
        match scheme {
            AuthScheme::Oauth2 { token_url, .. } => {
                // Required even though the spec names one: specs often show an example
                // host, and a tenant's token URL is its own.
                out.push(var(
                    "TOKEN_URL",
                    false,
                    format!("the OAuth2 token URL (the spec's: {token_url})"),
                ));
                out.push(var("CLIENT_ID", false, "the OAuth2 client id".into()));
                out.push(var(
                    "CLIENT_SECRET",
                    true,
                    "the OAuth2 client secret".into(),
                ));
            }
            AuthScheme::ApiKey {
                name,
                location,
                parameter,
                ..
            } => {
                let place = match location {
                    KeyLocation::Header => "header",
                    KeyLocation::Query => "query parameter",
                };
                let mut key = var(
                    &screaming_snake(name),
                    true,
                    format!("the API key sent in the {place} {parameter}"),
                );
                let fallback = format!("{prefix}_API_KEY");
                if key.name != fallback {
                    key.alias = Some(fallback);
                }
                out.push(key);
            }
            AuthScheme::Bearer { .. } => {
                out.push(var("TOKEN", true, "the bearer token".into()));
            }
            AuthScheme::Basic { .. } => {
                out.push(var("USERNAME", false, "the HTTP basic user name".into()));
                out.push(var("PASSWORD", true, "the HTTP basic password".into()));
            }
        }
    }
    out
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
    /// A required environment variable is not set.
    #[error("{name} is not set; hint: {hint}")]
    Unset {
        /// The variable.
        name: String,
        /// How to set it.
        hint: String,
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
    /// The settings `model`'s operation needs, from the environment, falling back to
    /// bridge.toml's `[cai]` table.
    pub fn resolve(config: &Config, model: &Model) -> Result<Self, SettingsError> {
        Self::resolve_with(config, model, |name| {
            std::env::var(name).ok().filter(|v| !v.is_empty())
        })
    }

    /// The same with an explicit environment (tests).
    pub fn resolve_with(
        config: &Config,
        model: &Model,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, SettingsError> {
        let cai = &config.cai;
        let variables = variables(model);
        let mut values = variables.iter();
        // Each scheme takes its variables in the order `variables` lists them.
        let mut next =
            |file: Option<&Path>, fallback: Option<String>| -> Result<String, SettingsError> {
                let variable = values.next().expect("one variable per setting");
                read_variable(variable, &env, file, fallback)
            };
        let base_url = next(None, cai.base_url.clone())?;
        let mut credentials = Vec::new();
        for scheme in &model.source.auth {
            credentials.push(match scheme {
                AuthScheme::Oauth2 { .. } => {
                    let token_url = next(None, cai.token_url.clone())?;
                    check_url(&token_url, "the OAuth2 token URL")?;
                    Credential::OAuth2 {
                        token_url,
                        client_id: next(None, cai.client_id.clone())?,
                        client_secret: Secret::new(next(cai.client_secret_file.as_deref(), None)?),
                    }
                }
                AuthScheme::ApiKey { .. } => Credential::ApiKey(Secret::new(next(
                    cai.developer_token_file.as_deref(),
                    None,
                )?)),
                AuthScheme::Bearer { .. } => Credential::Bearer(Secret::new(next(None, None)?)),
                AuthScheme::Basic { .. } => Credential::Basic {
                    username: next(None, None)?,
                    password: Secret::new(next(None, None)?),
                },
            });
        }
        check_url(&base_url, "the base URL")?;
        Ok(ApiSettings {
            base_url: base_url.trim_end_matches('/').to_owned(),
            credentials,
        })
    }
}

fn check_url(url: &str, what: &'static str) -> Result<(), SettingsError> {
    reqwest::Url::parse(url)
        .map(drop)
        .map_err(|e| SettingsError::Invalid {
            what,
            message: format!("{url:?} is not a URL: {e}"),
        })
}

/// A variable's value: the environment (its name, then its alias; for a secret also
/// `<name>_FILE`), else `file` (a secret file bridge.toml names), else `fallback`.
fn read_variable(
    variable: &Variable,
    env: &impl Fn(&str) -> Option<String>,
    file: Option<&Path>,
    fallback: Option<String>,
) -> Result<String, SettingsError> {
    let names = std::iter::once(&variable.name).chain(variable.alias.as_ref());
    for name in names {
        if let Some(value) = env(name) {
            return Ok(value);
        }
        if variable.secret {
            if let Some(path) = env(&format!("{name}_FILE")) {
                return read_secret_file(Path::new(&path));
            }
        }
    }
    if let Some(file) = file {
        return read_secret_file(file);
    }
    if let Some(value) = fallback {
        return Ok(value);
    }
    let mut hint = format!("export {}", variable.name);
    if variable.secret {
        hint.push_str(&format!(" (or {}_FILE, a file holding it)", variable.name));
    }
    if let Some(alias) = &variable.alias {
        hint.push_str(&format!(" or {alias}"));
    }
    hint.push_str(&format!(": {}", variable.what));
    Err(SettingsError::Unset {
        name: variable.name.clone(),
        hint,
    })
}

fn read_secret_file(file: &Path) -> Result<String, SettingsError> {
    read_mounted(file).map_err(|source| SettingsError::File {
        path: file.to_path_buf(),
        source,
    })
}

/// A file's text without the trailing newline a mounted secret often has and the
/// secret does not.
pub(crate) fn read_mounted(file: &Path) -> std::io::Result<String> {
    let text = std::fs::read_to_string(file)?;
    Ok(text.trim_end_matches(['\n', '\r']).to_owned())
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
    read_secret_file(file).map(Secret::new)
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

    fn cai() -> Model {
        let mut model: Model =
            serde_json::from_str(include_str!("../../generated-example/src/model.json")).unwrap();
        model.source.env_prefix = None;
        model
    }

    #[test]
    fn secrets_never_print() {
        let secret = Secret::new("hunter2");
        assert_eq!(format!("{secret} {secret:?}"), "*** ***");
        let settings = ApiSettings {
            base_url: "http://x".into(),
            credentials: vec![
                Credential::OAuth2 {
                    token_url: "http://x/t".into(),
                    client_id: "id".into(),
                    client_secret: secret.clone(),
                },
                Credential::ApiKey(Secret::new("dev-token-value")),
                Credential::Basic {
                    username: "u".into(),
                    password: Secret::new("pass-value"),
                },
            ],
        };
        let debug = format!("{settings:?}");
        assert!(
            !debug.contains("hunter2")
                && !debug.contains("dev-token-value")
                && !debug.contains("pass-value"),
            "{debug}"
        );
    }

    #[test]
    fn cai_keeps_its_names() {
        let names: Vec<String> = variables(&cai()).into_iter().map(|v| v.name).collect();
        assert_eq!(
            names,
            [
                "CAI_BASE_URL",
                "CAI_TOKEN_URL",
                "CAI_CLIENT_ID",
                "CAI_CLIENT_SECRET",
                "CAI_DEVELOPER_TOKEN"
            ]
        );
        assert_eq!(screaming_snake("api_key"), "API_KEY");
        assert_eq!(screaming_snake("ApiKeyAuth"), "API_KEY_AUTH");
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
        config.cai.client_secret_file = Some(secret_file.clone());
        let key_file = secret_file.display().to_string();
        let env = |name: &str| match name {
            "CAI_BASE_URL" => Some("http://env/".to_owned()),
            "CAI_API_KEY_FILE" => Some(key_file.clone()),
            _ => None,
        };
        let model = cai();
        let settings = ApiSettings::resolve_with(&config, &model, env).unwrap();
        assert_eq!(settings.base_url, "http://env");
        let Credential::OAuth2 {
            client_id,
            client_secret,
            ..
        } = &settings.credentials[0]
        else {
            panic!("{settings:?}")
        };
        assert_eq!(client_id, "file-client");
        assert_eq!(client_secret.expose(), "from-file");
        let Credential::ApiKey(key) = &settings.credentials[1] else {
            panic!()
        };
        assert_eq!(key.expose(), "from-file");
        let missing = ApiSettings::resolve_with(&Config::default(), &model, |_| None).unwrap_err();
        assert!(missing.to_string().contains("CAI_BASE_URL"), "{missing}");
    }
}
