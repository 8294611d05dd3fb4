//! The web service: the anonymous answer form and the JSON API.
//!
//! Respondent routes: `GET`/`POST /s/{token}` (the form, [`survey`]) and
//! `POST /api/v1/responses` ([`api`]). Every request is logged through [`spans`], which
//! records route templates, never paths, addresses or bodies (A4).

pub mod access;
pub mod action_plan;
pub mod api;
pub mod audit_page;
pub mod client;
pub mod comments_page;
pub mod comments_review;
pub mod console;
pub mod content;
pub mod error;
pub mod form_problems;
pub mod headers;
pub mod heatmap_view;
pub mod i18n;
pub mod items_page;
pub mod json_body;
pub mod openapi;
pub mod ops;
pub mod pages;
pub mod participation;
pub mod pdf_layout;
pub mod plan_access;
pub mod plan_page;
pub mod plans_overview;
pub mod reports_api;
pub mod reports_pages;
pub mod roster_import;
pub mod roster_page;
pub mod settings_page;
pub mod signed_in;
pub mod spans;
pub mod sso;
pub mod survey;
pub mod tokens_page;
pub mod unit_pdf;
pub mod unit_report;
pub mod unsubscribe;
pub mod users_page;
pub mod view;
pub mod waves_console;

use std::net::TcpListener;

use actix_web::dev::Server;
use actix_web::http::header;
use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use tracing_actix_web::TracingLogger;

use crate::clock::Clock;
use crate::configuration::Settings;
use crate::db::DbPool;
use crate::survey::responses::InstrumentCache;
use crate::survey::submissions::Submissions;

/// What every handler may use.
#[derive(Clone)]
pub struct AppState {
    /// Connections for report readers, sign-in and plans.
    pub pool: DbPool,
    /// Connections kept for respondents: the answer form, the answer API and readiness
    /// (`respondent_pool_size`), so no other route can make them wait.
    pub respondent_pool: DbPool,
    pub settings: Settings,
    pub instruments: InstrumentCache,
    /// Report readers: session signing key and the cache of closed waves' releases.
    pub access: access::Access,
    pub submissions: Submissions,
    /// What "today" is for pages that depend on it (overdue action items): the system clock,
    /// or a manual one that tests move.
    pub clock: Clock,
}

impl AppState {
    /// The state of a server on `pool` (on SQLite this starts the submission writer).
    pub fn new(pool: DbPool, settings: Settings) -> anyhow::Result<AppState> {
        let instruments = InstrumentCache::default();
        let access = access::Access::new(&settings)?;
        let respondent_pool = pool.sibling(
            settings.database_url.expose(),
            settings.respondent_pool_size.max(1),
        )?;
        Ok(AppState {
            access,
            submissions: Submissions::new(
                respondent_pool.clone(),
                instruments.clone(),
                crate::survey::comments::CommentRules::from_settings(&settings.comments),
            )?,
            respondent_pool,
            pool,
            settings,
            instruments,
            clock: Clock::system(),
        })
    }
}

/// The report pages' stylesheet and where it is served.
pub const REPORT_CSS: &str = include_str!("../../templates/reports/reports.css");
pub const REPORT_CSS_PATH: &str = "/static/reports.css";

/// HR's overview of every unit's action plan ([`plans_overview`]); the reports header and
/// landing page link to it.
pub const PLANS_OVERVIEW_PATH: &str = "/reports/action-plans";

/// The heat map's sorting script (progressive enhancement: the page works without it) and
/// where it is served; the content security policy allows scripts from this origin only.
pub const HEATMAP_JS: &str = include_str!("../../templates/reports/heatmap.js");
pub const HEATMAP_JS_PATH: &str = "/static/heatmap.js";

/// The participation page's refresh script (progressive enhancement, same origin only).
pub const PARTICIPATION_JS: &str = include_str!("../../templates/reports/participation.js");
pub const PARTICIPATION_JS_PATH: &str = "/static/participation.js";

/// Where "Sign in with <provider>" starts ([`sso`]); the sign-in page links to it.
pub const SSO_START_PATH: &str = "/auth/oidc/start";

pub use crate::display::enc;

/// The largest request body accepted on respondent routes. The longest instrument's answers
/// as a form take a few hundred bytes.
pub const BODY_LIMIT: usize = 64 * 1024;

async fn stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/css; charset=utf-8"))
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(pages::STYLESHEET)
}

/// The answer form's script (see [`pages::SCRIPT`]).
async fn survey_script() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/javascript; charset=utf-8"))
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(pages::SCRIPT)
}

async fn not_found(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    pages::problem_page(&req, &state.settings, pages::Problem::PageNotFound, None)
}

/// Builds the server on a bound listener (port 0 in tests). Signals are left to the caller
/// (`worklife serve` hands them to [`crate::shutdown`]); a graceful stop waits up to
/// `shutdown_timeout_secs` for requests in flight.
pub fn run(listener: TcpListener, state: AppState) -> anyhow::Result<Server> {
    let shutdown_timeout = state.settings.shutdown_timeout_secs;
    let https = state.settings.is_https();
    let redirect_path = state.settings.oidc.redirect_path().to_string();
    let data = web::Data::new(state);
    let server = HttpServer::new(move || {
        App::new()
            .wrap(TracingLogger::<spans::RedactedRootSpan>::new())
            .wrap(actix_web::middleware::from_fn(ops::record))
            .wrap(headers::security(https))
            .app_data(data.clone())
            .configure(ops::routes)
            .route(pages::STYLESHEET_PATH, web::get().to(stylesheet))
            .route(pages::SCRIPT_PATH, web::get().to(survey_script))
            .configure(survey::routes)
            .configure(api::routes)
            .configure(access::routes)
            .configure(|cfg| sso::routes(cfg, &redirect_path))
            .configure(reports_api::routes)
            .configure(openapi::routes)
            .configure(reports_pages::routes)
            .configure(items_page::routes)
            .configure(comments_page::routes)
            .configure(comments_review::routes)
            .configure(participation::routes)
            .configure(audit_page::routes)
            .configure(settings_page::routes)
            .configure(roster_page::routes)
            .configure(roster_import::routes)
            .configure(users_page::routes)
            .configure(tokens_page::routes)
            .configure(waves_console::routes)
            .configure(unit_report::routes)
            .configure(unit_pdf::routes)
            .configure(plan_access::routes)
            .configure(plans_overview::routes)
            .configure(unsubscribe::routes)
            .default_service(web::to(not_found))
    })
    .disable_signals()
    .shutdown_timeout(shutdown_timeout)
    .listen(listener)?
    .run();
    Ok(server)
}

/// The metrics server on its own listener (`metrics_bind`): `GET /metrics` and nothing
/// else, one worker, stopped by the caller when the application server stops.
pub fn run_metrics(listener: TcpListener, state: &AppState) -> anyhow::Result<Server> {
    let data = web::Data::new(MetricsState {
        pool: state.pool.clone(),
    });
    let server = HttpServer::new(move || {
        App::new()
            .wrap(headers::security(false))
            .app_data(data.clone())
            .configure(ops::metrics_routes)
    })
    .workers(1)
    .disable_signals()
    .listen(listener)?
    .run();
    Ok(server)
}

/// What the metrics listener reads: the pool, for its gauges.
pub struct MetricsState {
    pub pool: DbPool,
}
