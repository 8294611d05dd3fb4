//! Settings: defaults, then an optional TOML file (`WORKLIFE_CONFIG`, or `worklife.toml` in
//! the working directory), then `WORKLIFE_*` environment variables (nested keys with `__`,
//! e.g. `WORKLIFE_SUPPORT__EAP_PHONE`). Passed explicitly; no globals.

use std::fmt;
use std::path::PathBuf;

use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Settings {
    /// `postgres://...` for PostgreSQL; otherwise a SQLite file path.
    pub database_url: Secret,
    /// Database connections per process.
    pub pool_size: u32,
    /// Where `serve` listens.
    pub bind: String,
    /// The public address respondents reach, used in invitation links.
    pub base_url: String,
    /// The folder emails are written to by the file transport.
    pub outbox_dir: PathBuf,
    /// Sender of invitation emails.
    pub mail_from: String,
    /// The organisation's name as shown to respondents.
    pub organisation: String,
    /// `pretty` for people, `json` for log collectors.
    pub log_format: String,
    /// On SIGTERM/SIGINT, how long requests in flight and background workers may take to
    /// finish before the process exits anyway.
    pub shutdown_timeout_secs: u64,
    pub support: Support,
}

/// Support contacts shown to every respondent after submitting.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Support {
    pub eap_url: Option<String>,
    pub eap_phone: Option<String>,
    pub crisis: String,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            database_url: Secret("worklife.db".into()),
            pool_size: 8,
            bind: "127.0.0.1:8080".into(),
            base_url: "http://127.0.0.1:8080".into(),
            outbox_dir: PathBuf::from("outbox"),
            mail_from: "Worklife survey <survey@worklife.invalid>".into(),
            organisation: "Your organisation".into(),
            log_format: "pretty".into(),
            shutdown_timeout_secs: 30,
            support: Support {
                eap_url: None,
                eap_phone: None,
                crisis: "If you are in crisis or think you may harm yourself, call your local \
                         emergency number now or go to the nearest emergency department."
                    .into(),
            },
        }
    }
}

impl Settings {
    pub fn load() -> anyhow::Result<Settings> {
        let mut figment = Figment::from(Serialized::defaults(Settings::default()));
        let file = std::env::var("WORKLIFE_CONFIG").unwrap_or_else(|_| "worklife.toml".into());
        if std::path::Path::new(&file).is_file() {
            figment = figment.merge(Toml::file(&file));
        }
        let settings: Settings = figment
            .merge(
                Env::prefixed("WORKLIFE_")
                    .split("__")
                    .ignore(&["config", "require_all"]),
            )
            .extract()
            .map_err(|e| anyhow::anyhow!("configuration: {e}"))?;
        Ok(settings)
    }
}

/// A setting that must never be printed (it may hold a password).
#[derive(Clone, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(..)")
    }
}
