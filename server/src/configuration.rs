//! Settings: defaults, then an optional TOML file (`WORKLIFE_CONFIG`, or `worklife.toml` in
//! the working directory), then `WORKLIFE_*` environment variables (nested keys with `__`,
//! e.g. `WORKLIFE_SUPPORT__EAP_PHONE`). Passed explicitly; no globals.

use std::fmt;
use std::path::{Path, PathBuf};

use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Settings {
    /// `postgres://...` for PostgreSQL; otherwise a SQLite file path.
    pub database_url: Secret,
    /// Database connections per process for everything but respondents.
    pub pool_size: u32,
    /// Database connections per process kept for respondents (the answer form, the answer
    /// API, readiness checks), on top of `pool_size`, so that no other route (a login flood,
    /// a heavy report) can make them wait.
    pub respondent_pool_size: u32,
    /// Where `serve` listens.
    pub bind: String,
    /// Where `serve` answers `GET /metrics` for monitoring: its own listener, on loopback by
    /// default, so the application port never shows live submission or failed-login counts.
    /// Empty: no metrics listener.
    pub metrics_bind: String,
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
    /// Delivery: transport, SMTP server, worker and scheduler (`[mail]`, `WORKLIFE_MAIL__*`).
    pub mail: MailSettings,
    /// Sign-in limits (`[login]`, `WORKLIFE_LOGIN__*`).
    pub login: LoginSettings,
    /// Addresses of reverse proxies whose `X-Forwarded-For` names the client (e.g.
    /// `["10.0.0.5", "127.0.0.1"]`). From anyone else the header is ignored, so a client
    /// cannot pick its own address to escape the per-client sign-in limit.
    pub trusted_proxies: Vec<String>,
}

/// How fast sign-in attempts are taken. Each attempt that gets as far as a password check
/// also counts against the account (at most five failures in 15 minutes per account, or per
/// browser that signed in to the account before).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default)]
pub struct LoginSettings {
    /// Attempts one client (IP address) may make per minute, over all accounts.
    pub per_client_per_minute: u32,
    /// Attempts the process takes per second from everyone together. Each one that reaches
    /// a password check costs about 20 ms of a core (argon2): 10 a second keep a flood's
    /// checks to a fifth of one core, and are far more than the sign-ins of an HR team.
    pub global_per_second: u32,
    /// Password checks that may wait for a free core; more are refused with 429 at once.
    pub queue: u32,
}

impl Default for LoginSettings {
    fn default() -> Self {
        LoginSettings {
            per_client_per_minute: 10,
            global_per_second: 10,
            queue: 16,
        }
    }
}

/// How email leaves: `file` (the default, `.eml` files in `outbox_dir`) or `smtp`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default)]
pub struct MailSettings {
    /// `file` or `smtp`.
    pub transport: String,
    pub host: String,
    pub port: u16,
    /// `starttls`, `implicit` (SMTPS) or `none` (loopback test servers only).
    pub tls: String,
    /// PEM file of extra CA certificates to trust for the SMTP server (an internal relay's
    /// own CA); the public web roots are trusted either way.
    pub ca_file: Option<PathBuf>,
    pub username: Option<String>,
    /// From `WORKLIFE_MAIL__PASSWORD`; never printed.
    pub password: Option<Secret>,
    /// Overrides `mail_from` when set.
    pub from: Option<String>,
    pub reply_to: Option<String>,
    /// SMTP connections (and sending threads) per worker.
    pub connections: u32,
    /// Emails claimed per round trip to the database.
    pub batch_size: u32,
    /// How long a claim holds; a worker that dies is replaced after this.
    pub lease_secs: u64,
    /// First retry delay after a temporary failure; doubles per attempt up to the cap.
    pub retry_base_secs: u64,
    pub retry_cap_secs: u64,
    /// Attempts before a temporarily failing email counts as failed.
    pub max_attempts: i32,
    /// Whether `serve` runs the delivery worker and the scheduler.
    pub worker: bool,
    /// Idle pause of the delivery worker between polls.
    pub poll_ms: u64,
    /// Scheduler tick: opens, reminds and closes scheduled waves.
    pub tick_ms: u64,
    /// Default reminder times of scheduled waves: `N%` of the window after opening or
    /// `Nd`/`Nh`/`Nm`/`Ns` before closing; at most three; `none` for none.
    pub reminders: String,
}

impl Default for MailSettings {
    fn default() -> Self {
        MailSettings {
            transport: "file".into(),
            host: "localhost".into(),
            port: 587,
            tls: "starttls".into(),
            ca_file: None,
            username: None,
            password: None,
            from: None,
            reply_to: None,
            connections: 16,
            batch_size: 200,
            lease_secs: 300,
            retry_base_secs: 30,
            retry_cap_secs: 3600,
            max_attempts: 12,
            worker: true,
            poll_ms: 2000,
            tick_ms: 5000,
            reminders: "50%,2d".into(),
        }
    }
}

/// Support contacts shown to every respondent after submitting.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Support {
    pub eap_url: Option<String>,
    pub eap_phone: Option<String>,
    pub crisis: String,
}

impl Settings {
    /// Whether the service is reached over https: cookies get `Secure`, answers HSTS.
    pub fn is_https(&self) -> bool {
        self.base_url
            .trim()
            .to_ascii_lowercase()
            .starts_with("https://")
    }
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            database_url: Secret("worklife.db".into()),
            pool_size: 8,
            respondent_pool_size: 4,
            bind: "127.0.0.1:8080".into(),
            metrics_bind: "127.0.0.1:9464".into(),
            base_url: "http://127.0.0.1:8080".into(),
            outbox_dir: PathBuf::from("outbox"),
            mail_from: "Worklife survey <survey@worklife.invalid>".into(),
            organisation: "Your organisation".into(),
            log_format: "pretty".into(),
            shutdown_timeout_secs: 30,
            mail: MailSettings::default(),
            login: LoginSettings::default(),
            trusted_proxies: Vec::new(),
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
        let file = std::env::var("WORKLIFE_CONFIG").unwrap_or_else(|_| "worklife.toml".into());
        let path = Path::new(&file);
        Settings::from_sources(path.is_file().then_some(path), true)
    }

    /// Defaults, then the TOML file at `path`: what [`Settings::load`] reads before the
    /// environment.
    pub fn from_file(path: &Path) -> anyhow::Result<Settings> {
        Settings::from_sources(Some(path), false)
    }

    fn from_sources(file: Option<&Path>, environment: bool) -> anyhow::Result<Settings> {
        let mut figment = Figment::from(Serialized::defaults(Settings::default()));
        if let Some(path) = file {
            check_file(path)?;
            figment = figment.merge(Toml::file(path));
        }
        if environment {
            figment = figment.merge(
                Env::prefixed("WORKLIFE_")
                    .split("__")
                    .ignore(&["config", "require_all"]),
            );
        }
        figment
            .extract()
            .map_err(|e| anyhow::anyhow!("configuration: {e}"))
    }
}

/// The file is UTF-8 and names only settings that exist: a misspelled key would otherwise be
/// without effect and without a word. (Syntax errors are figment's to report, with line and
/// column.)
fn check_file(path: &Path) -> anyhow::Result<()> {
    let bytes = std::fs::read(path)
        .map_err(|e| anyhow::anyhow!("configuration: {}: {e}", path.display()))?;
    let text = std::str::from_utf8(&bytes).map_err(|e| {
        let line = 1 + bytes
            .get(..e.valid_up_to())
            .unwrap_or_default()
            .iter()
            .filter(|&&b| b == b'\n')
            .count();
        anyhow::anyhow!(
            "configuration: {}: line {line} is not UTF-8 text",
            path.display()
        )
    })?;
    let Ok(table) = toml::from_str::<toml::Table>(text) else {
        return Ok(());
    };
    let known = serde_json::to_value(Settings::default())?;
    let mut unknown = Vec::new();
    unknown_keys(&table, &known, "", &mut unknown);
    match unknown.as_slice() {
        [] => Ok(()),
        names => anyhow::bail!(
            "configuration: {}: unknown setting{} {} (every setting is in \
             deploy/worklife.example.toml)",
            path.display(),
            if names.len() == 1 { "" } else { "s" },
            names
                .iter()
                .map(|n| format!("\"{n}\""))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

fn unknown_keys(
    table: &toml::Table,
    known: &serde_json::Value,
    prefix: &str,
    out: &mut Vec<String>,
) {
    for (key, value) in table {
        let name = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        match (known.get(key), value) {
            (None, _) => out.push(name),
            (Some(inner @ serde_json::Value::Object(_)), toml::Value::Table(t)) => {
                unknown_keys(t, inner, &name, out)
            }
            _ => {}
        }
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
