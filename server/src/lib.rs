//! The Worklife service and command line: configuration, storage on SQLite or PostgreSQL,
//! roster, waves, the anonymous answer form, email.

//!
//! The domain (`survey`, `mail`, `plans`, `reports`, `auth`, `db`) never imports `web` or
//! `commands`; those two never import each other; `app` wires them (docs/architecture.md).

pub mod app;
pub mod auth;
pub mod cli;
pub mod clock;
pub mod commands;
pub mod configuration;
pub mod db;
pub mod demo;
pub mod display;
pub mod error;
pub mod input;
pub mod mail;
pub mod metrics;
pub mod plans;
pub mod reports;
pub mod shutdown;
pub mod survey;
pub mod telemetry;
pub mod timed;
pub mod web;
