//! Prometheus metrics, served at `GET /metrics` in the text exposition format.
//!
//! Metrics are process-wide (one registry per process, like the tracing subscriber), so code
//! anywhere records through the small functions below without carrying a handle:
//!
//! - [`request_finished`]: called by the web middleware (`web::ops::record`) with the route
//!   TEMPLATE (`/s/{token}`), never a path: a respondent's path holds their token (A4).
//! - [`submission_stored`]: one answer sheet committed (`responses::submit`).
//! - [`mail_sent`], [`mail_failed`], [`set_outbox_depth`]: for the mail worker. The outbox
//!   depth is a gauge the worker sets after each batch (rows still waiting to be sent).
//! - [`render`]: reads the database pool's state at scrape time and encodes everything.
//!
//! Labels carry only route templates, methods, status codes and fixed words: no token, no
//! address, no answer, no email can reach a label value (A4).

use std::sync::LazyLock;

use prometheus_client::encoding::text::encode;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

use crate::db::DbPool;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    route: String,
    method: &'static str,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: String,
    method: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct FailureLabels {
    kind: &'static str,
}

type LatencyFamily = Family<RouteLabels, Histogram, fn() -> Histogram>;

struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: LatencyFamily,
    submissions: Counter,
    mail_sent: Counter,
    mail_failed: Family<FailureLabels, Counter>,
    outbox_pending: Gauge,
    pool_connections: Gauge,
    pool_idle: Gauge,
    pool_max: Gauge,
}

/// 1 ms .. about 16 s, doubling.
fn latency_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.001, 2.0, 15))
}

impl Metrics {
    fn new() -> Metrics {
        let mut registry = Registry::with_prefix("worklife");
        let requests = Family::<RequestLabels, Counter>::default();
        let latency: LatencyFamily = Family::new_with_constructor(latency_histogram);
        let submissions = Counter::default();
        let mail_sent = Counter::default();
        let mail_failed = Family::<FailureLabels, Counter>::default();
        let outbox_pending = Gauge::default();
        let pool_connections = Gauge::default();
        let pool_idle = Gauge::default();
        let pool_max = Gauge::default();
        registry.register(
            "http_requests",
            "HTTP requests by route template, method and status",
            requests.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "HTTP request latency by route template and method",
            latency.clone(),
        );
        registry.register("submissions", "Answer sheets stored", submissions.clone());
        registry.register(
            "mail_sent",
            "Emails handed to the transport",
            mail_sent.clone(),
        );
        registry.register(
            "mail_failed",
            "Emails that failed to send, by kind (transient: retried; permanent: given up)",
            mail_failed.clone(),
        );
        registry.register(
            "outbox_pending",
            "Emails waiting in the outbox",
            outbox_pending.clone(),
        );
        registry.register(
            "db_pool_connections",
            "Open database connections in this process's pool",
            pool_connections.clone(),
        );
        registry.register(
            "db_pool_idle_connections",
            "Idle database connections in this process's pool",
            pool_idle.clone(),
        );
        registry.register(
            "db_pool_max_connections",
            "The size limit of this process's database pool",
            pool_max.clone(),
        );
        Metrics {
            registry,
            requests,
            latency,
            submissions,
            mail_sent,
            mail_failed,
            outbox_pending,
            pool_connections,
            pool_idle,
            pool_max,
        }
    }
}

static METRICS: LazyLock<Metrics> = LazyLock::new(Metrics::new);

/// Records one finished HTTP request. `route` must be a route template or `unmatched`.
pub fn request_finished(route: &str, method: &'static str, status: u16, seconds: f64) {
    let m = &*METRICS;
    m.requests
        .get_or_create(&RequestLabels {
            route: route.to_string(),
            method,
            status,
        })
        .inc();
    m.latency
        .get_or_create(&RouteLabels {
            route: route.to_string(),
            method,
        })
        .observe(seconds);
}

/// One answer sheet committed to the database.
pub fn submission_stored() {
    METRICS.submissions.inc();
}

/// One email handed to the transport successfully.
pub fn mail_sent() {
    METRICS.mail_sent.inc();
}

/// One failed send: `permanent` when the mail is given up, else it will be retried.
pub fn mail_failed(permanent: bool) {
    let kind = if permanent { "permanent" } else { "transient" };
    METRICS
        .mail_failed
        .get_or_create(&FailureLabels { kind })
        .inc();
}

/// The number of emails still waiting in the outbox, as last seen by the mail worker.
pub fn set_outbox_depth(pending: u64) {
    METRICS
        .outbox_pending
        .set(i64::try_from(pending).unwrap_or(i64::MAX));
}

/// Everything in the text exposition format, with the pool gauges read now.
pub fn render(pool: &DbPool) -> String {
    let m = &*METRICS;
    let (state, max) = match pool {
        DbPool::Sqlite(p, _) => (p.state(), p.max_size()),
        DbPool::Postgres(p) => (p.state(), p.max_size()),
    };
    m.pool_connections.set(i64::from(state.connections));
    m.pool_idle.set(i64::from(state.idle_connections));
    m.pool_max.set(i64::from(max));
    let mut out = String::new();
    // Writing into a String cannot fail.
    let _ = encode(&mut out, &m.registry);
    out
}
