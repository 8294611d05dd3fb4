//! The Worklife service and command line: configuration, storage on SQLite or PostgreSQL,
//! roster, waves, the anonymous answer form, email.

pub mod action_plan;
pub mod actions;
pub mod auth;
pub mod cli;
pub mod commands;
pub mod configuration;
pub mod db;
pub mod demo;
pub mod error;
pub mod input;
pub mod instruments;
pub mod mail;
pub mod metrics;
pub mod outbox;
pub mod reports;
pub mod responses;
pub mod roster;
pub mod schedule;
pub mod shutdown;
pub mod submissions;
pub mod telemetry;
pub mod tokens;
pub mod waves;
pub mod web;
