//! The server's integration tests, one binary: the real `worklife` binary (built by cargo
//! beside this one), the real app on a loopback port, SQLite and PostgreSQL, a real SMTP
//! server and headless Chromium. Helpers live in the `worklife-tests` library (`tests/src`).

mod action_plan;
mod action_plan_web;
mod api_tokens;
mod audit_page;
mod browser;
mod comments;
mod console_flow;
mod console_roster;
mod console_users;
mod console_users_browser;
mod console_waves;
mod crash_safety;
mod demo_cli;
mod deploy_files;
mod fuzz_inputs;
mod heatmap_page;
mod layering;
mod login_limits;
mod mail_delivery;
mod mail_schedule;
mod mail_tls;
mod manager_mail;
mod migrations;
mod oidc_provider;
mod operations;
mod participation_page;
mod plan_access;
mod plans_browser;
mod plans_overview;
mod replicas;
mod reports_access;
mod reports_browser;
mod reports_login;
mod roster_and_waves;
mod schedule_clock;
mod score_cli;
mod sso;
mod sso_browser;
mod survey_anonymity;
mod survey_browser;
mod survey_respondent;
mod unit_pdf;
mod wave_cancel;
mod wave_status;
