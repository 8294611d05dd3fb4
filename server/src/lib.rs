//! The Worklife service and command line: configuration, storage on SQLite or PostgreSQL,
//! roster, waves, the anonymous answer form, email.

pub mod cli;
pub mod commands;
pub mod configuration;
pub mod db;
pub mod demo;
pub mod error;
pub mod input;
pub mod instruments;
pub mod mail;
pub mod outbox;
pub mod responses;
pub mod roster;
pub mod schedule;
pub mod telemetry;
pub mod tokens;
pub mod waves;
pub mod web;
