//! The security headers of every answer the service gives, set in one place. A handler that
//! needs another value (a stylesheet's cache lifetime) sets its own, which this keeps.

use actix_web::http::header;
use actix_web::middleware::DefaultHeaders;

/// Pages: styles, images and scripts (the heat map's sorting) from this origin only, no
/// inline script or style, no framing; scripts may fetch from this origin only (the
/// participation page fetches itself to refresh its figures).
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     img-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; \
     frame-ancestors 'none'";

/// Keeps answers (an answer form carries its token in the address, a report carries figures)
/// out of caches, referrers, frames and search engines; under an https `base_url`, browsers
/// are told to use https only (HSTS), so a token never travels in clear text after a first
/// visit.
pub fn security(https: bool) -> DefaultHeaders {
    let headers = DefaultHeaders::new();
    let headers = if https {
        headers.add((header::STRICT_TRANSPORT_SECURITY, "max-age=31536000"))
    } else {
        headers
    };
    headers
        .add((header::CACHE_CONTROL, "no-store"))
        .add((header::REFERRER_POLICY, "no-referrer"))
        .add((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .add((header::X_FRAME_OPTIONS, "DENY"))
        .add((header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY))
        .add(("X-Robots-Tag", "noindex, nofollow"))
}
