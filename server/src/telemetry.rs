//! Logging: `tracing` with an env filter (`RUST_LOG`), pretty for people or JSON for log
//! collectors. Nothing logged ever carries a token, an IP, a user agent or an answer (A4):
//! request spans are built by `web::spans`, which logs route templates, not paths.

use tracing_subscriber::{fmt, EnvFilter};

pub fn init(format: &str) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = fmt().with_env_filter(filter).with_writer(std::io::stderr);
    // A second init (tests start several apps in one process) is harmless: keep the first.
    let _ = if format == "json" {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}
