//! Email: one `Mailer` over lettre. The embedded default writes each message as an `.eml`
//! file into the outbox folder (lettre's file transport); production uses SMTP with a
//! connection pool (STARTTLS, implicit TLS, or plain only for loopback test servers).
//! Messages are queued and sent by [`crate::mail::outbox`]; this module only builds and sends one.

use std::path::PathBuf;
use std::time::Duration;

use askama::Template;
use lettre::message::{header::ContentType, Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::transport::smtp::PoolConfig;
use lettre::{FileTransport, Message, SmtpTransport, Transport};

use crate::configuration::Settings;
use crate::display::unit_label;
use crate::mail::notices::{Letter, NoticeKind};

enum Sender {
    File(FileTransport),
    Smtp(SmtpTransport),
}

pub struct Mailer {
    from: Mailbox,
    reply_to: Option<Mailbox>,
    sender: Sender,
    pub outbox: PathBuf,
}

/// Invitation or reminder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Invitation,
    Reminder,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Invitation => "invitation",
            Kind::Reminder => "reminder",
        }
    }

    pub fn parse(s: &str) -> Kind {
        if s == "reminder" {
            Kind::Reminder
        } else {
            Kind::Invitation
        }
    }
}

/// What an invitation or reminder says; rendered as text and HTML.
pub struct Invitation<'a> {
    pub organisation: &'a str,
    pub wave: &'a str,
    pub closes: &'a str,
    pub link: &'a str,
    pub min_group_size: i32,
}

#[derive(Template)]
#[template(path = "email/invitation.txt")]
struct InvitationText<'a> {
    i: &'a Invitation<'a>,
}

#[derive(Template)]
#[template(path = "email/invitation.html")]
struct InvitationHtml<'a> {
    i: &'a Invitation<'a>,
}

#[derive(Template)]
#[template(path = "email/reminder.txt")]
struct ReminderText<'a> {
    i: &'a Invitation<'a>,
}

#[derive(Template)]
#[template(path = "email/reminder.html")]
struct ReminderHtml<'a> {
    i: &'a Invitation<'a>,
}

#[derive(Template)]
#[template(path = "email/notice.txt")]
struct NoticeText<'a> {
    n: &'a Letter,
    unit: &'a str,
}

#[derive(Template)]
#[template(path = "email/notice.html")]
struct NoticeHtml<'a> {
    n: &'a Letter,
    unit: &'a str,
}

/// Why a send failed, and whether trying again can help.
#[derive(Debug)]
pub struct SendError {
    /// 5xx answers and unusable addresses: retrying cannot help.
    pub permanent: bool,
    pub message: String,
}

fn mailbox(setting: &str, value: &str) -> anyhow::Result<Mailbox> {
    value
        .parse()
        .map_err(|e| anyhow::anyhow!("{setting} \"{value}\": {e}"))
}

impl Mailer {
    pub fn new(settings: &Settings) -> anyhow::Result<Mailer> {
        let mail = &settings.mail;
        let from = match &mail.from {
            Some(f) => mailbox("mail.from", f)?,
            None => mailbox("mail_from", &settings.mail_from)?,
        };
        let reply_to = match &mail.reply_to {
            Some(r) => Some(mailbox("mail.reply_to", r)?),
            None => None,
        };
        let sender = match mail.transport.as_str() {
            "file" => {
                std::fs::create_dir_all(&settings.outbox_dir).map_err(|e| {
                    anyhow::anyhow!("creating the outbox {}: {e}", settings.outbox_dir.display())
                })?;
                Sender::File(FileTransport::new(&settings.outbox_dir))
            }
            "smtp" => Sender::Smtp(smtp(settings)?),
            other => anyhow::bail!("mail.transport \"{other}\" is not one of: file, smtp"),
        };
        Ok(Mailer {
            from,
            reply_to,
            sender,
            outbox: settings.outbox_dir.clone(),
        })
    }

    /// Where emails go, for messages to the operator.
    pub fn destination(&self) -> String {
        match &self.sender {
            Sender::File(_) => self.outbox.display().to_string(),
            Sender::Smtp(_) => "the SMTP server".into(),
        }
    }

    pub fn invitation(&self, to: &str, invitation: &Invitation<'_>) -> anyhow::Result<Message> {
        self.build(Kind::Invitation, to, invitation)
    }

    pub fn build(&self, kind: Kind, to: &str, i: &Invitation<'_>) -> anyhow::Result<Message> {
        let (subject, text, html) = match kind {
            Kind::Invitation => (
                format!(
                    "{}: the {} worklife survey (open until {})",
                    i.organisation, i.wave, i.closes
                ),
                InvitationText { i }.render()?,
                InvitationHtml { i }.render()?,
            ),
            Kind::Reminder => (
                format!(
                    "Reminder: the {} worklife survey closes {}",
                    i.wave, i.closes
                ),
                ReminderText { i }.render()?,
                ReminderHtml { i }.render()?,
            ),
        };
        self.compose(to, subject, text, html)
    }

    /// A staff notice (results released, nudge, test email) as text and HTML.
    pub fn notice(&self, to: &str, n: &Letter) -> anyhow::Result<Message> {
        // The unit's path as stored (`Acme/Eng`): a subject stays plain ASCII where it can.
        let subject = match n.kind {
            NoticeKind::Results => format!(
                "{}: the {} results for {} are ready",
                n.organisation, n.wave, n.unit
            ),
            NoticeKind::Nudge => format!(
                "{}: what will {} change after the {} survey?",
                n.organisation, n.unit, n.wave
            ),
            NoticeKind::Test => format!("{}: a test email from Worklife", n.organisation),
        };
        let unit = unit_label(&n.unit);
        let text = NoticeText { n, unit: &unit }.render()?;
        let html = NoticeHtml { n, unit: &unit }.render()?;
        self.compose(to, subject, text, html)
    }

    fn compose(
        &self,
        to: &str,
        subject: String,
        text: String,
        html: String,
    ) -> anyhow::Result<Message> {
        let to: Mailbox = to
            .parse()
            .map_err(|e| anyhow::anyhow!("recipient address: {e}"))?;
        let mut builder = Message::builder().from(self.from.clone()).to(to);
        if let Some(r) = &self.reply_to {
            builder = builder.reply_to(r.clone());
        }
        Ok(builder.subject(subject).multipart(
            MultiPart::alternative()
                .singlepart(
                    SinglePart::builder()
                        .header(ContentType::TEXT_PLAIN)
                        .body(text),
                )
                .singlepart(
                    SinglePart::builder()
                        .header(ContentType::TEXT_HTML)
                        .body(html),
                ),
        )?)
    }

    pub fn send(&self, message: &Message) -> Result<(), SendError> {
        match &self.sender {
            Sender::File(t) => t.send(message).map(|_| ()).map_err(|e| SendError {
                permanent: false,
                message: format!("writing to the outbox: {e}"),
            }),
            Sender::Smtp(t) => t.send(message).map(|_| ()).map_err(|e| SendError {
                permanent: e.is_permanent() && !is_login_refused(&e),
                message: format!("SMTP: {e}"),
            }),
        }
    }
}

/// A refused login (530, 534, 535, 538) is about our settings, not the recipient: the email
/// stays pending and is retried once the credentials are fixed, instead of counting as
/// permanently failed.
fn is_login_refused(e: &lettre::transport::smtp::Error) -> bool {
    e.status()
        .is_some_and(|code| matches!(code.to_string().as_str(), "530" | "534" | "535" | "538"))
}

/// The server's certificate must chain to the public web roots or to `mail.ca_file`, and
/// name `mail.host`.
fn tls_parameters(mail: &crate::configuration::MailSettings) -> anyhow::Result<TlsParameters> {
    let mut builder = TlsParameters::builder(mail.host.clone());
    if let Some(path) = &mail.ca_file {
        let pem = std::fs::read(path)
            .map_err(|e| anyhow::anyhow!("mail.ca_file {}: {e}", path.display()))?;
        if !String::from_utf8_lossy(&pem).contains("-----BEGIN CERTIFICATE-----") {
            anyhow::bail!("mail.ca_file {}: no PEM certificate in it", path.display());
        }
        let certificates = Certificate::from_pem(&pem)
            .map_err(|e| anyhow::anyhow!("mail.ca_file {}: {e}", path.display()))?;
        builder = builder.add_root_certificate(certificates);
    }
    builder
        .build()
        .map_err(|e| anyhow::anyhow!("TLS settings for {}: {e}", mail.host))
}

fn smtp(settings: &Settings) -> anyhow::Result<SmtpTransport> {
    let mail = &settings.mail;
    let builder = SmtpTransport::builder_dangerous(&mail.host);
    let builder = match mail.tls.as_str() {
        // STARTTLS is required: without it nothing (no login, no email) is sent.
        "starttls" => builder.tls(Tls::Required(tls_parameters(mail)?)),
        "implicit" => builder.tls(Tls::Wrapper(tls_parameters(mail)?)),
        "none" => builder,
        other => anyhow::bail!("mail.tls \"{other}\" is not one of: starttls, implicit, none"),
    };
    let mut builder = builder
        .port(mail.port)
        .timeout(Some(Duration::from_secs(30)))
        .pool_config(PoolConfig::new().max_size(mail.connections.max(1)));
    match (&mail.username, &mail.password) {
        (Some(user), Some(password)) => {
            builder = builder.credentials(Credentials::new(
                user.clone(),
                password.expose().to_string(),
            ));
        }
        (Some(_), None) => {
            anyhow::bail!("mail.username is set but the password is not (WORKLIFE_MAIL__PASSWORD)")
        }
        _ => {}
    }
    Ok(builder.build())
}
