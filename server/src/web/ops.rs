//! Operations endpoints: `GET /healthz` (the process is alive) and `GET /readyz` (the
//! database answers and its migrations are current: send traffic here) on the application
//! port, `GET /metrics` (Prometheus) on the metrics listener only (`metrics_bind`), plus the
//! middleware that counts requests by route template.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::{web, Error, HttpResponse};

use super::{spans, AppState};
use crate::metrics;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/healthz", web::get().to(healthz))
        .route("/readyz", web::get().to(readyz));
}

/// The metrics listener's one route (`metrics_bind`), kept off the application port.
pub fn metrics_routes(cfg: &mut web::ServiceConfig) {
    cfg.route(METRICS_PATH, web::get().to(prometheus));
}

pub const METRICS_PATH: &str = "/metrics";

/// Alive: answers as long as the workers run, whatever the database does, so that an
/// orchestrator restarts a wedged process but not one whose database is briefly away.
#[utoipa::path(get, path = "/healthz", tag = "operations", security(()),
    responses((status = 200, description = "`ok`: the process answers", content_type = "text/plain", body = String)))]
pub(super) async fn healthz() -> HttpResponse {
    plain(HttpResponse::Ok(), "ok")
}

/// Ready: the database answers and every migration is applied. The reason on 503 is a fixed
/// phrase (never the driver's error, which may quote the connection URL).
#[utoipa::path(get, path = "/readyz", tag = "operations", security(()),
    responses(
        (status = 200, description = "`ready`: the database answers and its migrations are current", content_type = "text/plain", body = String),
        (status = 503, description = "Not ready, with the reason in a fixed phrase", content_type = "text/plain", body = String),
    ))]
pub(super) async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let pool = state.respondent_pool.clone();
    let current = web::block(move || pool.migrations_current()).await;
    let reason = match current {
        Ok(Ok(true)) => return plain(HttpResponse::Ok(), "ready"),
        Ok(Ok(false)) => "migrations pending: run `worklife migrate`",
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "readiness check: database unavailable");
            "database unavailable"
        }
        Err(_) => "database check did not finish",
    };
    plain(HttpResponse::ServiceUnavailable(), reason)
}

/// Prometheus metrics: requests by route template, the database pool, the outbox.
pub(super) async fn prometheus(state: web::Data<super::MetricsState>) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        ))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(metrics::render(&state.pool))
}

fn plain(mut builder: actix_web::HttpResponseBuilder, text: &'static str) -> HttpResponse {
    builder
        .insert_header((header::CONTENT_TYPE, "text/plain; charset=utf-8"))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(text)
}

/// Counts every request and its latency by route template, method and status (A4: the same
/// template the request spans log, never the path).
pub async fn record(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let started = Instant::now();
    let route = spans::route(&req);
    let method = spans::method(req.method());
    let outcome = next.call(req).await;
    let status = match &outcome {
        Ok(response) => response.status(),
        Err(error) => error.as_response_error().status_code(),
    };
    metrics::request_finished(
        &route,
        method,
        status.as_u16(),
        started.elapsed().as_secs_f64(),
    );
    outcome
}
