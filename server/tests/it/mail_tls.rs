//! SMTP over TLS with a login, against a real SMTP server on loopback (aiosmtpd with a
//! certificate from a throwaway CA): STARTTLS and implicit TLS deliver every invitation
//! encrypted and under the configured login; an untrusted certificate, a refused login or a
//! server that does not offer STARTTLS sends nothing (no link ever travels in clear text)
//! and loses nothing: the emails stay pending and go out once the settings are fixed.
//! The transport does not depend on the database, so these run on SQLite only.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use worklife_tests::mail_common::*;
use worklife_tests::smtp::{SinkOptions, SmtpSink};
use worklife_tests::{Backend, Workspace};

const PEOPLE: usize = 12;

fn login() -> Option<(String, String)> {
    Some(("worklife".into(), "correct horse".into()))
}

fn credentials(sink: &SmtpSink, password: &str) -> Vec<(&'static str, String)> {
    vec![
        (
            "WORKLIFE_MAIL__CA_FILE",
            sink.ca_file().display().to_string(),
        ),
        ("WORKLIFE_MAIL__USERNAME", "worklife".into()),
        ("WORKLIFE_MAIL__PASSWORD", password.into()),
    ]
}

fn status_line(ws: &Workspace, sink: &SmtpSink) -> String {
    mail_line(&run(ws, sink, &["wave", "status", "Q1"], &[]))
}

#[test]
fn starttls_and_implicit_tls_deliver_encrypted_under_the_login() {
    for mode in ["starttls", "implicit"] {
        let Some(sink) = SmtpSink::start_with(SinkOptions {
            tls: Some(mode),
            login: login(),
        }) else {
            return;
        };
        let ws = workspace(Backend::Sqlite, PEOPLE, "Q1");
        let out = run(
            &ws,
            &sink,
            &["wave", "open", "Q1"],
            &credentials(&sink, "correct horse"),
        );
        assert!(
            out.contains(&format!("{PEOPLE} email(s) sent to the SMTP server")),
            "{mode}: {out}"
        );
        let got = sink.messages();
        assert_eq!(got.len(), PEOPLE, "{mode}");
        for m in &got {
            assert!(m.encrypted, "{mode}: {} came in clear text", m.to);
            assert_eq!(m.login, "worklife", "{mode}");
            assert_eq!(m.tokens().len(), 1, "{mode}: one link");
        }
        assert_eq!(
            status_line(&ws, &sink),
            format!("emails: {PEOPLE} sent, 0 pending, 0 failed permanently")
        );
    }
}

#[test]
fn untrusted_certificates_and_refused_logins_send_nothing_and_lose_nothing() {
    let Some(sink) = SmtpSink::start_with(SinkOptions {
        tls: Some("starttls"),
        login: login(),
    }) else {
        return;
    };
    let ws = workspace(Backend::Sqlite, PEOPLE, "Q1");
    let pending = format!("emails: 0 sent, {PEOPLE} pending, 0 failed permanently");

    // The throwaway CA is not among the public roots: the certificate is refused.
    let untrusted = [
        ("WORKLIFE_MAIL__USERNAME", "worklife".to_string()),
        ("WORKLIFE_MAIL__PASSWORD", "correct horse".to_string()),
    ];
    let out = run(
        &ws,
        &sink,
        &["wave", "open", "Q1"],
        &[&untrusted[..], &quick()].concat(),
    );
    assert!(
        out.contains("0 email(s) sent") && out.contains(&format!("{PEOPLE} will be retried later")),
        "{out}"
    );
    assert!(sink.messages().is_empty());
    assert_eq!(status_line(&ws, &sink), pending);
    let errors = last_errors(&ws);
    assert_eq!(errors.len(), PEOPLE);
    assert!(
        errors
            .iter()
            .all(|e| e.to_lowercase().contains("certificate")),
        "{errors:?}"
    );

    // Trusted, but the wrong password: refused logins are our settings, not the
    // recipients' fault, so nothing counts as failed permanently.
    std::thread::sleep(std::time::Duration::from_millis(2_100));
    let wrong = [credentials(&sink, "wrong"), quick()].concat();
    let out = run(&ws, &sink, &["mail", "send"], &wrong);
    assert!(out.contains("0 email(s) sent"), "{out}");
    assert!(sink.messages().is_empty());
    assert_eq!(status_line(&ws, &sink), pending);
    assert!(
        last_errors(&ws).iter().all(|e| e.contains("535")),
        "{:?}",
        last_errors(&ws)
    );

    // Fixed settings: every email goes out once, encrypted.
    std::thread::sleep(std::time::Duration::from_millis(2_100));
    let right = [credentials(&sink, "correct horse"), quick()].concat();
    let out = run(&ws, &sink, &["mail", "send"], &right);
    assert!(out.contains(&format!("{PEOPLE} email(s) sent")), "{out}");
    let got = sink.messages();
    assert_eq!(got.len(), PEOPLE);
    assert!(got.iter().all(|m| m.encrypted));
    assert_eq!(
        status_line(&ws, &sink),
        format!("emails: {PEOPLE} sent, 0 pending, 0 failed permanently")
    );
}

#[test]
fn starttls_is_required_so_a_server_without_it_gets_no_link_in_clear_text() {
    // A plain server that does not offer STARTTLS, while worklife is set to require it.
    let Some(sink) = SmtpSink::start() else {
        return;
    };
    let ws = workspace(Backend::Sqlite, PEOPLE, "Q1");
    let out = run(
        &ws,
        &sink,
        &["wave", "open", "Q1"],
        &[("WORKLIFE_MAIL__TLS", "starttls".to_string())],
    );
    assert!(out.contains("0 email(s) sent"), "{out}");
    assert!(sink.messages().is_empty(), "nothing sent unencrypted");
    assert_eq!(
        status_line(&ws, &sink),
        format!("emails: 0 sent, {PEOPLE} pending, 0 failed permanently")
    );
}
