//! Request spans that keep respondents anonymous (A4): a span records the route template
//! (`/s/{token}`), the method, the status and a random request id; never the real path or
//! query, the client's address, its user agent or any other header, and never the body.
//!
//! Handlers on respondent routes also avoid actix-web's `Path`, `Query` and `Json`
//! extractors: on a failure those log the request path at debug level.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::{Error, HttpMessage};
use tracing::Span;
use tracing_actix_web::{RequestId, RootSpanBuilder};

/// The route template of a request, or `unmatched`: never the path itself.
pub(crate) fn route(request: &ServiceRequest) -> String {
    request
        .match_pattern()
        .unwrap_or_else(|| "unmatched".to_string())
}

/// Standard methods by name; anything else (a custom method is free text) as `other`.
pub(crate) fn method(m: &Method) -> &'static str {
    match *m {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        Method::PATCH => "PATCH",
        Method::CONNECT => "CONNECT",
        Method::TRACE => "TRACE",
        _ => "other",
    }
}

/// The root span builder for `TracingLogger`.
pub struct RedactedRootSpan;

impl RootSpanBuilder for RedactedRootSpan {
    fn on_request_start(request: &ServiceRequest) -> Span {
        let request_id = request
            .extensions()
            .get::<RequestId>()
            .map(ToString::to_string)
            .unwrap_or_default();
        tracing::info_span!(
            "http_request",
            http.method = method(request.method()),
            http.route = %route(request),
            http.status_code = tracing::field::Empty,
            request_id = %request_id,
        )
    }

    fn on_request_end<B: MessageBody>(span: Span, outcome: &Result<ServiceResponse<B>, Error>) {
        let status = match outcome {
            Ok(response) => response.status(),
            Err(error) => error.as_response_error().status_code(),
        };
        span.record("http.status_code", status.as_u16());
        // The error itself is not logged here: its text may quote the request. Handlers log
        // the causes of server errors themselves.
        if status.is_server_error() {
            tracing::warn!(parent: &span, "request failed");
        } else {
            tracing::info!(parent: &span, "request finished");
        }
    }
}
