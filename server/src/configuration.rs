//! Settings: defaults, then an optional TOML file (`WORKLIFE_CONFIG`, or `worklife.toml` in
//! the working directory), then `WORKLIFE_*` environment variables (nested keys with `__`,
//! e.g. `WORKLIFE_SUPPORT__EAP_PHONE`). Passed explicitly; no globals.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use chrono::{DateTime, NaiveDateTime};

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
    /// The organisation's time zone, an IANA name ("Europe/Berlin"; default "UTC"): times
    /// are stored in UTC and shown to people in this zone ([`Settings::local_time`]). A
    /// name the time zone database does not know stops the process at start.
    pub timezone: TimeZone,
    /// Labels of report attributes (roster columns such as `tenure`) per language, where the
    /// answer form names them: `[attribute_labels.de] tenure = "Betriebszugehörigkeit"`. An
    /// attribute without a label in the page's language is shown by its column name.
    pub attribute_labels: BTreeMap<String, BTreeMap<String, String>>,
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
    /// How people sign in (`[auth]`, `WORKLIFE_AUTH__*`).
    pub auth: AuthSettings,
    /// Comments (`[comments]`): phrases, besides the built-in English and German ones, that
    /// hold a comment for an admin's review.
    pub comments: CommentSettings,
    /// Single sign-on with the organisation's identity provider (`[oidc]`,
    /// `WORKLIFE_OIDC__*`); off while `issuer` is empty. See docs/sso.md.
    pub oidc: OidcSettings,
}

/// Extra phrases of the review list, per concern (matched like the built-in ones: whole
/// words, any case).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct CommentSettings {
    pub review_self_harm: Vec<String>,
    pub review_threat: Vec<String>,
    pub review_harassment: Vec<String>,
}

/// How people sign in.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default)]
pub struct AuthSettings {
    /// Whether the sign-in page takes passwords. Turn it off once single sign-on works:
    /// then only break-glass admins (`worklife user add --role admin --break-glass`) can
    /// sign in with a password, from the page's "Emergency sign-in".
    pub password: bool,
}

impl Default for AuthSettings {
    fn default() -> Self {
        AuthSettings { password: true }
    }
}

/// Single sign-on with OpenID Connect (authorization code flow with PKCE).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct OidcSettings {
    /// The provider's issuer URL, exactly as its discovery document gives it
    /// (`https://login.microsoftonline.com/<tenant>/v2.0`). Empty: single sign-on is off.
    pub issuer: String,
    pub client_id: String,
    /// From `WORKLIFE_OIDC__CLIENT_SECRET`; never printed.
    pub client_secret: Option<Secret>,
    /// Scopes to ask for besides `openid` (default `email` and `profile`).
    pub scopes: Vec<String>,
    /// The path of the redirect URI to register at the provider, under `base_url`
    /// (default `/auth/oidc/callback`).
    pub redirect_path: String,
    /// The provider's name on the sign-in button: "Sign in with <label>" (default
    /// "your organisation's account").
    pub label: String,
    /// The ID token claim that lists a user's groups (default `groups`).
    pub groups_claim: String,
    /// Members of this group are admins. With any group setting, roles come from groups at
    /// every sign-in, and someone in none of them loses access.
    pub admin_group: String,
    /// Members of this group are viewers (they read every unit's results).
    pub viewer_group: String,
    /// Groups named this prefix and a unit path make managers of that unit:
    /// `worklife-manager:Acme/Engineering`.
    pub manager_group_prefix: String,
    /// Or: members of this group are managers of the unit named by `manager_unit_claim`.
    pub manager_group: String,
    /// The claim naming a manager's unit path, with `manager_group`.
    pub manager_unit_claim: String,
    /// Create a user at their first sign-in from their groups; otherwise an admin adds them
    /// first (by email) and single sign-on only signs them in.
    pub create_users: bool,
    /// Accept an `email` claim without `email_verified = true`. Only for providers that do not
    /// send `email_verified` and whose emails users cannot choose themselves (docs/sso.md).
    pub trust_unverified_email: bool,
}

impl OidcSettings {
    pub fn enabled(&self) -> bool {
        !self.issuer.trim().is_empty()
    }

    /// Whether roles come from groups.
    pub fn maps_groups(&self) -> bool {
        [
            &self.admin_group,
            &self.viewer_group,
            &self.manager_group_prefix,
            &self.manager_group,
        ]
        .iter()
        .any(|g| !g.trim().is_empty())
    }

    pub fn redirect_path(&self) -> &str {
        match self.redirect_path.trim() {
            "" => "/auth/oidc/callback",
            p => p,
        }
    }

    pub fn label(&self) -> &str {
        match self.label.trim() {
            "" => "your organisation's account",
            l => l,
        }
    }

    pub fn groups_claim(&self) -> &str {
        match self.groups_claim.trim() {
            "" => "groups",
            c => c,
        }
    }

    /// Settings that cannot work together, found at start rather than at the first sign-in.
    pub fn check(&self) -> anyhow::Result<()> {
        if !self.enabled() {
            return Ok(());
        }
        if self.client_id.trim().is_empty() {
            anyhow::bail!("oidc.client_id: set it to the client id registered at the provider");
        }
        if !self.redirect_path().starts_with('/') {
            anyhow::bail!("oidc.redirect_path: a path starting with \"/\"");
        }
        if self.create_users && !self.maps_groups() {
            anyhow::bail!(
                "oidc.create_users: needs a group setting (admin_group, viewer_group, \
                 manager_group_prefix or manager_group) to give new users a role"
            );
        }
        if self.manager_group.trim().is_empty() != self.manager_unit_claim.trim().is_empty() {
            anyhow::bail!("oidc.manager_group and oidc.manager_unit_claim: set both or neither");
        }
        Ok(())
    }
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
    /// Days between the nudges a manager gets while their action plan stays empty after the
    /// results came out (at least 7, for four weeks); 0 sends none.
    pub nudge_every_days: u32,
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
            nudge_every_days: 7,
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
    /// A stored UTC time as the organisation's clock shows it.
    pub fn local_time(&self, utc: NaiveDateTime) -> DateTime<chrono_tz::Tz> {
        self.timezone.local(utc)
    }

    /// A UTC time for people, on the organisation's clock with its zone: `12 Dec 2026, 04:51
    /// CET`.
    pub fn local_words(&self, utc: NaiveDateTime) -> String {
        self.local_time(utc)
            .format("%-d %b %Y, %H:%M %Z")
            .to_string()
    }

    /// The label of report attribute `name` in `lang`, or the name itself.
    pub fn attribute_label<'a>(&'a self, name: &'a str, lang: &str) -> &'a str {
        self.attribute_labels
            .get(lang)
            .and_then(|labels| labels.get(name))
            .map_or(name, String::as_str)
    }

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
            timezone: TimeZone::default(),
            attribute_labels: BTreeMap::new(),
            log_format: "pretty".into(),
            shutdown_timeout_secs: 30,
            mail: MailSettings::default(),
            login: LoginSettings::default(),
            trusted_proxies: Vec::new(),
            auth: AuthSettings::default(),
            comments: CommentSettings::default(),
            oidc: OidcSettings::default(),
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
            // A map whose keys are the operator's own (languages, attribute names), such as
            // `attribute_labels`: nothing below it can be misspelled against a default.
            (Some(serde_json::Value::Object(map)), _) if map.is_empty() => {}
            (Some(inner @ serde_json::Value::Object(_)), toml::Value::Table(t)) => {
                unknown_keys(t, inner, &name, out)
            }
            _ => {}
        }
    }
}

/// A time zone of the IANA database, parsed from its name when the settings are read, so
/// a misspelled zone stops the process at start instead of showing wrong times.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TimeZone(chrono_tz::Tz);

impl TimeZone {
    pub fn tz(self) -> chrono_tz::Tz {
        self.0
    }

    /// A UTC time on this zone's clock (daylight saving time included).
    pub fn local(self, utc: NaiveDateTime) -> DateTime<chrono_tz::Tz> {
        utc.and_utc().with_timezone(&self.0)
    }

    /// A time read on this zone's clock, as UTC. A time the clock skips when it goes forward,
    /// or shows twice when it goes back, is refused with the reason: guessing would move a
    /// wave's opening or closing by an hour.
    pub fn utc_of(self, local: NaiveDateTime) -> Result<NaiveDateTime, String> {
        use chrono::offset::LocalResult;
        use chrono::TimeZone as _;
        let when = local.format("%-d %b %Y, %H:%M");
        let zone = self.0.name();
        match self.0.from_local_datetime(&local) {
            LocalResult::Single(t) => Ok(t.naive_utc()),
            LocalResult::Ambiguous(first, second) => Err(format!(
                "{when} happens twice in {zone} (the clocks go back that night, from {} to {}); \
                 pick a time outside that hour",
                first.format("%Z"),
                second.format("%Z")
            )),
            LocalResult::None => Err(format!(
                "{when} does not exist in {zone} (the clocks go forward that night and skip \
                 it); pick a time outside that hour"
            )),
        }
    }
}

impl Default for TimeZone {
    fn default() -> Self {
        TimeZone(chrono_tz::UTC)
    }
}

impl FromStr for TimeZone {
    type Err = String;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        let unknown = |_| {
            format!(
                "timezone \"{name}\" is not a time zone of the IANA database; use a name \
                 such as \"Europe/Berlin\", \"America/New_York\" or \"UTC\""
            )
        };
        chrono_tz::Tz::from_str(name.trim())
            .map(TimeZone)
            .map_err(unknown)
    }
}

impl TryFrom<String> for TimeZone {
    type Error = String;

    fn try_from(name: String) -> Result<Self, Self::Error> {
        name.parse()
    }
}

impl From<TimeZone> for String {
    fn from(zone: TimeZone) -> String {
        zone.0.name().to_string()
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    fn at(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
    }

    fn settings_from(toml: &str) -> anyhow::Result<Settings> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("worklife.toml");
        std::fs::write(&path, toml).unwrap();
        Settings::from_file(&path)
    }

    #[test]
    fn times_are_shown_on_the_organisations_clock_with_daylight_saving() {
        let berlin: TimeZone = "Europe/Berlin".parse().unwrap();
        // Winter: UTC+1 (CET); summer: UTC+2 (CEST).
        let winter = berlin.local(at("2026-12-21 17:00"));
        assert_eq!(
            winter.format("%Y-%m-%d %H:%M %Z").to_string(),
            "2026-12-21 18:00 CET"
        );
        let summer = berlin.local(at("2026-07-01 16:00"));
        assert_eq!(
            summer.format("%Y-%m-%d %H:%M %Z").to_string(),
            "2026-07-01 18:00 CEST"
        );
        // Across midnight and the date line.
        let auckland: TimeZone = "Pacific/Auckland".parse().unwrap();
        assert_eq!(
            auckland
                .local(at("2026-12-31 12:00"))
                .format("%Y-%m-%d %H:%M")
                .to_string(),
            "2027-01-01 01:00"
        );
        // The default zone leaves the time as stored.
        let settings = Settings::default();
        assert_eq!(
            settings
                .local_time(at("2026-10-21 18:00"))
                .format("%H:%M %Z")
                .to_string(),
            "18:00 UTC"
        );
    }

    #[test]
    fn the_time_zone_setting_is_read_and_an_unknown_zone_is_refused_naming_the_setting() {
        assert_eq!(Settings::default().timezone.tz(), chrono_tz::UTC);
        let read = settings_from("timezone = \"Europe/Berlin\"\n").unwrap();
        assert_eq!(read.timezone.tz(), chrono_tz::Europe::Berlin);
        let at = |s: &str| NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap();
        assert_eq!(
            read.timezone.utc_of(at("2027-01-05 09:00")),
            Ok(at("2027-01-05 08:00"))
        );
        assert_eq!(
            read.timezone.utc_of(at("2027-07-05 09:00")),
            Ok(at("2027-07-05 07:00"))
        );
        let skipped = read.timezone.utc_of(at("2027-03-28 02:30")).unwrap_err();
        assert!(
            skipped.contains("does not exist in Europe/Berlin"),
            "{skipped}"
        );
        let twice = read.timezone.utc_of(at("2027-10-31 02:30")).unwrap_err();
        assert!(twice.contains("happens twice in Europe/Berlin"), "{twice}");
        assert_eq!(String::from(read.timezone), "Europe/Berlin");

        for bad in ["Europe/Berln", "CEST+2", ""] {
            let message = settings_from(&format!("timezone = \"{bad}\"\n"))
                .unwrap_err()
                .to_string();
            assert!(
                message.contains(&format!("timezone \"{bad}\" is not a time zone"))
                    && message.contains("for key \"default.timezone\"")
                    && message.contains("Europe/Berlin"),
                "{message}"
            );
        }
    }

    #[test]
    fn attribute_labels_are_read_per_language_and_fall_back_to_the_name() {
        let settings = settings_from(
            "[attribute_labels.de]\ntenure = \"Betriebszugehörigkeit\"\n\
             [attribute_labels.en]\ntenure = \"Time with us\"\n",
        )
        .unwrap();
        assert_eq!(
            settings.attribute_label("tenure", "de"),
            "Betriebszugehörigkeit"
        );
        assert_eq!(settings.attribute_label("tenure", "en"), "Time with us");
        assert_eq!(settings.attribute_label("location", "de"), "location");
        assert_eq!(settings.attribute_label("tenure", "fr"), "tenure");
        // A misspelled key beside them is still refused.
        let message = settings_from("timezon = \"UTC\"\n[attribute_labels.de]\ntenure = \"x\"\n")
            .unwrap_err()
            .to_string();
        assert!(message.contains("unknown setting \"timezon\""), "{message}");
    }
}
