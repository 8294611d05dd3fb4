//! The settings as an admin sees them, read-only: the organisation, its clock, where links
//! point, how email leaves and when reminders go. Settings change in the configuration file
//! or the environment and take effect at the next start; nothing secret is shown (no
//! database URL, no SMTP password: only whether one is set).

use actix_web::{web, HttpResponse};
use askama::Template;

use super::access::Reader;
use super::console::{admin_form, see_other};
use super::error::PageError;
use super::reports_pages::{page, render};
use super::signed_in::PageReader;
use super::{AppState, REPORT_CSS_PATH};
use crate::auth::audit;
use crate::configuration::Settings;
use crate::db::{blocking, Backend};
use crate::mail::notices::{self, NoticeState};
use crate::mail::outbox::{FAILED, SENT};
use serde::Deserialize;

pub const SETTINGS_PATH: &str = "/reports/settings";
pub const TEST_EMAIL_PATH: &str = "/reports/settings/test-email";

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route(SETTINGS_PATH, web::get().to(settings))
        .route(TEST_EMAIL_PATH, web::post().to(send_test_email));
}

#[derive(Template)]
#[template(path = "reports/settings.html")]
struct SettingsPage {
    css: &'static str,
    reader: Reader,
    /// (what, value, the setting's name and environment variable)
    rows: Vec<(&'static str, String, &'static str)>,
    /// What became of the admin's newest test email, and whether that is a problem.
    test_email: Option<(String, bool)>,
}

/// The settings worth knowing, in words, each with where it is set.
fn rows(s: &Settings, backend: Backend) -> Vec<(&'static str, String, &'static str)> {
    let mail = if s.mail.transport == "smtp" {
        format!(
            "SMTP server {}:{} ({}), {}",
            s.mail.host,
            s.mail.port,
            match s.mail.tls.as_str() {
                "starttls" => "STARTTLS required",
                "implicit" => "TLS from the start",
                _ => "no encryption: loopback test servers only",
            },
            match (&s.mail.username, &s.mail.password) {
                (Some(u), Some(_)) => format!("signing in as {u} (password set)"),
                (Some(u), None) => format!("signing in as {u} (no password set)"),
                _ => "no sign-in".to_string(),
            }
        )
    } else {
        format!(
            "written as files into {} (no email leaves this machine)",
            s.outbox_dir.display()
        )
    };
    vec![
        (
            "Organisation",
            s.organisation.clone(),
            "organisation / WORKLIFE_ORGANISATION",
        ),
        (
            "Time zone",
            s.timezone.tz().name().to_string(),
            "timezone / WORKLIFE_TIMEZONE",
        ),
        (
            "Address in links",
            s.base_url.clone(),
            "base_url / WORKLIFE_BASE_URL",
        ),
        (
            "Email",
            mail,
            "mail.transport, mail.host, ... / WORKLIFE_MAIL__*",
        ),
        (
            "Emails come from",
            s.mail.from.clone().unwrap_or_else(|| s.mail_from.clone()),
            "mail.from or mail_from",
        ),
        (
            "Email delivery",
            if s.mail.worker {
                format!(
                    "this server sends, up to {} attempts a message",
                    s.mail.max_attempts
                )
            } else {
                "another process sends (mail.worker = false)".to_string()
            },
            "mail.worker / WORKLIFE_MAIL__WORKER",
        ),
        (
            "Reminders",
            reminders_in_words(&s.mail.reminders),
            "mail.reminders / WORKLIFE_MAIL__REMINDERS",
        ),
        (
            "Reminders to managers",
            match s.mail.nudge_every_days {
                0 => "none: managers get the results email only".to_string(),
                d => format!(
                    "while a manager's action plan is empty after the results: every {} days, four weeks at most",
                    d.max(crate::mail::notices::NUDGE_MIN_DAYS)
                ),
            },
            "mail.nudge_every_days / WORKLIFE_MAIL__NUDGE_EVERY_DAYS",
        ),
        (
            "Database",
            match backend {
                Backend::Sqlite => "SQLite (embedded)".to_string(),
                Backend::Postgres => "PostgreSQL".to_string(),
            },
            "database_url / WORKLIFE_DATABASE_URL",
        ),
    ]
}

/// `50%,2d` as "when 50% of the answering window has passed; 2d before closing".
fn reminders_in_words(spec: &str) -> String {
    use crate::mail::schedule::{parse_reminders, ReminderAt};
    match parse_reminders(spec) {
        Ok(at) if at.is_empty() => "none by default".to_string(),
        Ok(at) => {
            let words: Vec<String> = at
                .iter()
                .zip(spec.split(','))
                .map(|(when, text)| match when {
                    ReminderAt::ShareOfWindow(_) => {
                        format!("when {} of the answering window has passed", text.trim())
                    }
                    ReminderAt::BeforeClose(_) => format!("{} before closing", text.trim()),
                })
                .collect();
            format!(
                "to those who have not answered: {} ({spec})",
                words.join("; ")
            )
        }
        Err(_) => spec.to_string(),
    }
}

/// The newest test email's state in words: (what, whether it is a problem).
fn test_email_words(n: &NoticeState, s: &Settings) -> (String, bool) {
    let when = |t| s.local_time(t).format("%-d %b %Y, %H:%M:%S %Z").to_string();
    match n.state.as_str() {
        SENT if s.mail.transport == "smtp" => (
            format!(
                "The test email queued at {} was accepted by the mail server. If it has not arrived, look in the spam folder.",
                when(n.created_at)
            ),
            false,
        ),
        SENT => (
            format!(
                "The test email queued at {} was written as a file into {} on the server: with the file transport no email leaves this machine.",
                when(n.created_at),
                s.outbox_dir.display()
            ),
            false,
        ),
        FAILED => (
            format!(
                "The test email queued at {} could not be sent: {}. Check the email settings below, then try again.",
                when(n.created_at),
                n.last_error.as_deref().unwrap_or("no reason given")
            ),
            true,
        ),
        _ if n.attempts > 0 => (
            format!(
                "The test email queued at {} has not gone out yet: attempt {} failed ({}); the next try is at {}.",
                when(n.created_at),
                n.attempts,
                n.last_error.as_deref().unwrap_or("no reason given"),
                when(n.next_attempt_at)
            ),
            true,
        ),
        _ => (
            format!(
                "The test email queued at {} is waiting to be sent{}. Reload this page to see what happened.",
                when(n.created_at),
                if s.mail.worker { "" } else { " by the process that sends email (mail.worker is off here)" }
            ),
            false,
        ),
    }
}

async fn settings(who: PageReader, state: web::Data<AppState>) -> Result<HttpResponse, PageError> {
    page(who, &state, move |conn, user, reader, st| {
        super::console::admins_only(user)?;
        let test_email = notices::latest_test(conn, user.id.as_str())?
            .map(|n| test_email_words(&n, &st.settings));
        render(&SettingsPage {
            css: REPORT_CSS_PATH,
            reader,
            rows: rows(&st.settings, st.pool.backend()),
            test_email,
        })
    })
    .await
}

#[derive(Deserialize)]
struct CsrfOnly {
    #[serde(default)]
    csrf: String,
}

/// "Send a test email": queued in the outbox for the admin's own address; the settings page
/// then says what became of it.
async fn send_test_email(
    PageReader(who): PageReader,
    form: web::Form<CsrfOnly>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, PageError> {
    admin_form(&who, &form.csrf)?;
    let st = state.clone();
    blocking(move || {
        let mut conn = st.pool.get()?;
        notices::queue_test(
            &mut conn,
            who.user.id.as_str(),
            &who.user.email,
            st.clock.now(),
        )?;
        audit::record(&mut conn, &who.user.email, "send test email", "")
    })
    .await?;
    Ok(see_other(&format!("{SETTINGS_PATH}#test-email")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::configuration::Secret;

    #[test]
    fn no_secret_is_shown() {
        let mut s = Settings {
            database_url: Secret::new("postgres://wl:db-secret@db.example/wl"),
            ..Settings::default()
        };
        s.mail.transport = "smtp".into();
        s.mail.host = "smtp.example".into();
        s.mail.username = Some("mailer".into());
        s.mail.password = Some(Secret::new("smtp-secret"));
        let shown: String = rows(&s, Backend::Postgres)
            .iter()
            .map(|(a, b, c)| format!("{a} {b} {c}\n"))
            .collect();
        assert!(
            !shown.contains("db-secret") && !shown.contains("smtp-secret"),
            "{shown}"
        );
        assert!(
            shown.contains("signing in as mailer (password set)"),
            "{shown}"
        );
        assert!(shown.contains("PostgreSQL"), "{shown}");
        assert!(
            shown.contains("when 50% of the answering window has passed; 2d before closing"),
            "{shown}"
        );
    }
}
