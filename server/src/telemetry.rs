//! Logging: `tracing` with an env filter (`RUST_LOG`), pretty for people or JSON for log
//! collectors. Nothing logged ever carries a token, an IP, a user agent or an answer (A4):
//! request spans are built by `web::spans`, which logs route templates, not paths.

use tracing_subscriber::filter::Directive;
use tracing_subscriber::{fmt, EnvFilter};

/// Targets held at `info` whatever `RUST_LOG` asks for: at `debug`, actix-web's extractors
/// log the path of a request they cannot parse, and a respondent's path holds their token.
const CAPPED: [&str; 1] = ["actix_web=info"];

pub fn filter() -> EnvFilter {
    let mut filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    for capped in CAPPED {
        if let Ok(directive) = capped.parse::<Directive>() {
            filter = filter.add_directive(directive);
        }
    }
    filter
}

pub fn init(format: &str) {
    use std::io::IsTerminal;
    let builder = fmt()
        .with_env_filter(filter())
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr);
    // A second init (tests start several apps in one process) is harmless: keep the first.
    let _ = if format == "json" {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}
