//! Who may open a unit's action plan at `/units/{unit}/action-plan` (the unit path
//! percent-encoded as one segment): a manager for units in their subtree, admins for any
//! unit; viewers read plans but change nothing. The wave is `?wave=NAME`, else the latest
//! closed wave. Anonymous readers go to the login page. Every plan read is audited.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::ResponseError;
use actix_web::{web, HttpMessage, HttpResponse};

use super::access::{authenticate, to_login, Credentials, Reader};
use super::action_plan::PlanContext;
use super::error::PageError;
use super::AppState;
use crate::auth::{audit, Role};
use crate::db::blocking;
use crate::error::AppError;
use crate::survey::waves::{self, WaveStatus};

/// Mounts the plan routes under `/units/{unit}` behind the access check.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/units/{unit}")
            .wrap(actix_web::middleware::from_fn(authorise))
            .configure(super::action_plan::routes),
    );
}

/// Decodes a percent-encoded path segment (`Northwind%2FSales` -> `Northwind/Sales`).
fn decode(segment: &str) -> Option<String> {
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            let hex = segment.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

fn query_wave(query: &str) -> Option<String> {
    query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(k, _)| *k == "wave")
        .and_then(|(_, v)| decode(&v.replace('+', " ")))
        .filter(|v| !v.is_empty())
}

async fn authorise(
    req: ServiceRequest,
    next: actix_web::middleware::Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return Ok(req.into_response(HttpResponse::InternalServerError().finish()));
    };
    // The raw segment, so that an encoded `/` inside the unit path survives.
    let raw = req
        .path()
        .strip_prefix("/units/")
        .and_then(|rest| rest.split('/').next())
        .unwrap_or_default()
        .to_string();
    let creds = Credentials::of(req.request());
    let writes = req.method() != Method::GET && req.method() != Method::HEAD;
    let wave_asked = query_wave(req.query_string());
    // `view action-plan`, `view action-plan.csv`, `change action-plan/items`, ...
    let tail = req
        .path()
        .splitn(4, '/')
        .nth(3)
        .unwrap_or_default()
        .to_string();
    let action = format!("{} {tail}", if writes { "change" } else { "view" });
    let checked = blocking(move || {
        let unit = decode(&raw)
            .filter(|u| !u.is_empty())
            .ok_or_else(|| AppError::NotFound("no such unit".into()))?;
        let mut conn = state.pool.get()?;
        let (user, session) = authenticate(&mut conn, &state.access.session_key, &creds)?
            .ok_or_else(|| AppError::Unauthorized("sign in".into()))?;
        let allowed = match user.role {
            Role::Admin => true,
            Role::Viewer => !writes,
            Role::Manager => user.scope().contains(&unit),
        };
        if !allowed {
            return Err(AppError::Forbidden(
                "this unit's action plan is not yours to open".into(),
            ));
        }
        let wave = match wave_asked {
            Some(name) => name,
            None => waves::list(&mut conn)?
                .into_iter()
                .rev()
                .find(|w| w.status() == WaveStatus::Closed)
                .map(|w| w.name)
                .ok_or_else(|| AppError::NotFound("no wave has closed yet".into()))?,
        };
        audit::record(
            &mut conn,
            &user.email,
            &action,
            &crate::reports::audit_detail(&wave, Some(&unit), None),
        )?;
        Ok(PlanContext {
            reader: Reader::of(&user, session.as_ref()),
            unit_path: unit,
            wave,
            // Bearer clients have no session, so no form of theirs can pass the CSRF check.
            csrf_token: session.map(|s| s.csrf).unwrap_or_default(),
        })
    })
    .await;
    match checked {
        Ok(ctx) => {
            req.extensions_mut().insert(ctx);
            Ok(next.call(req).await?.map_into_boxed_body())
        }
        Err(AppError::Unauthorized(_)) if !creds_is_bearer(&req) => {
            let next = (req.method() == Method::GET)
                .then(|| req.uri().path_and_query().map(|p| p.as_str().to_string()))
                .flatten();
            Ok(req.into_response(to_login(next.as_deref())))
        }
        Err(e) => Ok(req.into_response(PageError::from(e).error_response())),
    }
}

fn creds_is_bearer(req: &ServiceRequest) -> bool {
    req.headers()
        .contains_key(actix_web::http::header::AUTHORIZATION)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unit_segments_and_wave_queries_decode() {
        assert_eq!(
            decode("Northwind%2FSales").as_deref(),
            Some("Northwind/Sales")
        );
        assert_eq!(decode("A%20B").as_deref(), Some("A B"));
        assert_eq!(decode("bad%2"), None);
        assert_eq!(query_wave("wave=2026-Q3&x=1").as_deref(), Some("2026-Q3"));
        assert_eq!(query_wave("wave=Q3+2026").as_deref(), Some("Q3 2026"));
        assert_eq!(query_wave("x=1"), None);
    }
}
