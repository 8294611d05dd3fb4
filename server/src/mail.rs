//! Email: one `Mailer` over lettre. The embedded default writes each message as an `.eml`
//! file into the outbox folder (lettre's file transport).

use std::path::PathBuf;

use askama::Template;
use lettre::message::{header::ContentType, Mailbox, MultiPart, SinglePart};
use lettre::{FileTransport, Message, Transport};

use crate::configuration::Settings;

pub struct Mailer {
    from: Mailbox,
    transport: FileTransport,
    pub outbox: PathBuf,
}

/// What an invitation says; rendered as text and HTML.
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

impl Mailer {
    pub fn new(settings: &Settings) -> anyhow::Result<Mailer> {
        let from: Mailbox = settings
            .mail_from
            .parse()
            .map_err(|e| anyhow::anyhow!("mail_from \"{}\": {e}", settings.mail_from))?;
        std::fs::create_dir_all(&settings.outbox_dir).map_err(|e| {
            anyhow::anyhow!("creating the outbox {}: {e}", settings.outbox_dir.display())
        })?;
        Ok(Mailer {
            from,
            transport: FileTransport::new(&settings.outbox_dir),
            outbox: settings.outbox_dir.clone(),
        })
    }

    pub fn invitation(&self, to: &str, invitation: &Invitation<'_>) -> anyhow::Result<Message> {
        let text = InvitationText { i: invitation }.render()?;
        let html = InvitationHtml { i: invitation }.render()?;
        let to: Mailbox = to
            .parse()
            .map_err(|e| anyhow::anyhow!("recipient address: {e}"))?;
        Ok(Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(format!(
                "{}: the {} worklife survey (open until {})",
                invitation.organisation, invitation.wave, invitation.closes
            ))
            .multipart(
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

    pub fn send(&self, message: &Message) -> anyhow::Result<()> {
        self.transport
            .send(message)
            .map(|_| ())
            .map_err(|e| anyhow::anyhow!("writing to the outbox: {e}"))
    }
}
