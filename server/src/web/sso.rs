//! Sign-in with the organisation's identity provider: `GET /auth/oidc/start` sends the
//! browser to the provider, the redirect path (`oidc.redirect_path`, default
//! `/auth/oidc/callback`) takes it back and starts the same server-side session as a
//! password sign-in. Every refusal gets a page that says what happened and is audited; the
//! code, the state and the tokens appear in no log, page or audit entry.

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse, ResponseError};
use serde::Deserialize;

use super::access::{cookie, safe_next};
use super::error::PageError;
use super::AppState;
use crate::auth::sso::{self, Admitted, Refusal, Refused};
use crate::auth::{audit, session};
use crate::db::blocking;
use crate::error::{AppError, AppResult};

/// The browser's half of a sign-in under way: its `state`, to compare with the provider's
/// answer. `SameSite=Lax`: the answer arrives as a top-level navigation from the provider.
const STATE_COOKIE: &str = "wl_sso";

pub fn routes(cfg: &mut web::ServiceConfig, redirect_path: &str) {
    cfg.route(super::SSO_START_PATH, web::get().to(start))
        .route(redirect_path, web::get().to(callback));
}

#[derive(Deserialize, Default)]
struct StartQuery {
    next: Option<String>,
}

fn state_cookie(value: Option<&str>, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    match value {
        Some(v) => format!(
            "{STATE_COOKIE}={v}; Path=/auth/oidc; HttpOnly; SameSite=Lax; Max-Age=600{secure}"
        ),
        None => {
            format!("{STATE_COOKIE}=; Path=/auth/oidc; HttpOnly; SameSite=Lax; Max-Age=0{secure}")
        }
    }
}

/// A refusal as a page: what happened, what to do, and the way back to the sign-in page.
fn refusal_page(refusal: &Refusal, https: bool) -> HttpResponse {
    let status = match refusal {
        Refusal::Unreachable(_) => Some(StatusCode::BAD_GATEWAY),
        Refusal::WrongState | Refusal::Expired | Refusal::CodeRejected(_) => {
            Some(StatusCode::BAD_REQUEST)
        }
        _ => None,
    };
    let mut r = PageError::titled(AppError::from(refusal.clone()), refusal.title())
        .see("/login", "Back to the sign-in page")
        .error_response();
    if let Some(s) = status {
        *r.status_mut() = s;
    }
    if let Ok(v) = HeaderValue::from_str(&state_cookie(None, https)) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    r
}

/// `GET /auth/oidc/start?next=`: records the sign-in and sends the browser to the provider.
async fn start(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let q = web::Query::<StartQuery>::from_query(req.query_string())
        .map(|q| q.into_inner())
        .unwrap_or_default();
    let next = q
        .next
        .as_deref()
        .and_then(safe_next)
        .unwrap_or_else(|| "/reports".into());
    let st = state.clone();
    let https = state.settings.is_https();
    let out = blocking(move || {
        let provider = match st
            .access
            .sso
            .provider(&st.settings.oidc, &st.settings.base_url)
        {
            Ok(p) => p,
            Err(refusal) => return Ok(Err(refusal)),
        };
        let (url, pending) = provider.authorize();
        let mut conn = st.pool.get()?;
        sso::begin(&mut conn, &pending, &next, st.clock.now())?;
        Ok::<_, AppError>(Ok((url, pending.state)))
    })
    .await;
    match out {
        Ok(Ok((url, state_value))) => match HeaderValue::from_str(&url) {
            Ok(location) => HttpResponse::SeeOther()
                .insert_header((header::LOCATION, location))
                .insert_header((header::SET_COOKIE, state_cookie(Some(&state_value), https)))
                .insert_header((header::CACHE_CONTROL, "no-store"))
                .finish(),
            Err(_) => refusal_page(
                &Refusal::Unreachable("its sign-in address is not usable".into()),
                https,
            ),
        },
        Ok(Err(refusal)) => {
            // Discovery failing (the provider down, or another issuer) is for the audit log.
            if refusal != Refusal::Off {
                if let Err(e) = refused(&state, refusal.clone()).await {
                    return PageError::from(e).error_response();
                }
            }
            refusal_page(&refusal, https)
        }
        Err(e) => PageError::from(e).error_response(),
    }
}

/// The provider's answer. Read from the query string by hand: actix's `Query` extractor
/// logs the request on a failure, and this query holds the code.
#[derive(Deserialize, Default)]
struct Answer {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

/// How the callback ended, for the response.
enum Outcome {
    SignedIn { session: String, next: String },
    Refused(Refusal),
}

/// `GET <redirect_path>?code=&state=`: checks the state against this browser's cookie and
/// the stored sign-in, exchanges the code, checks the ID token, admits the user and starts
/// their session.
async fn callback(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let answer = web::Query::<Answer>::from_query(req.query_string())
        .map(|q| q.into_inner())
        .unwrap_or_default();
    let https = state.settings.is_https();
    let browser_state = cookie(&req, STATE_COOKIE).unwrap_or_default();
    let st = state.clone();
    let outcome = finish(st, answer, browser_state).await;
    match outcome {
        Ok(Outcome::SignedIn { session, next }) => {
            let to = HeaderValue::from_str(&next).unwrap_or(HeaderValue::from_static("/reports"));
            HttpResponse::SeeOther()
                .insert_header((header::LOCATION, to))
                .insert_header((header::CACHE_CONTROL, "no-store"))
                .append_header((
                    header::SET_COOKIE,
                    session::set_cookie(Some(&session), https),
                ))
                .append_header((header::SET_COOKIE, state_cookie(None, https)))
                .finish()
        }
        Ok(Outcome::Refused(refusal)) => refusal_page(&refusal, https),
        Err(e) => PageError::from(e).error_response(),
    }
}

async fn finish(
    st: web::Data<AppState>,
    answer: Answer,
    browser_state: String,
) -> AppResult<Outcome> {
    if !st.settings.oidc.enabled() {
        return Ok(Outcome::Refused(Refusal::Off));
    }
    let returned = answer.state.clone().unwrap_or_default();
    // The state must be this browser's (a forged or replayed answer has another or none).
    if returned.is_empty() || !session::same_token(&browser_state, &returned) {
        return refused(&st, Refusal::WrongState).await;
    }
    let state_for_take = st.clone();
    let now = st.clock.now();
    let taken = blocking(move || {
        let mut conn = state_for_take.pool.get()?;
        sso::take(&mut conn, &returned, now)
    })
    .await?;
    let login = match taken {
        Ok(l) => l,
        Err(refusal) => return refused(&st, refusal).await,
    };
    if let Some(error) = answer.error {
        let why = match answer.error_description {
            Some(d) if !d.trim().is_empty() => format!("{error} ({})", d.trim()),
            _ => error,
        };
        // Only the provider's words, cut short: they are shown on the page.
        let why: String = why.chars().take(300).collect();
        return refused(&st, Refusal::ProviderSaid(why)).await;
    }
    let Some(code) = answer.code.filter(|c| !c.is_empty()) else {
        return refused(&st, Refusal::CodeRejected("no code".into())).await;
    };
    let next = login.next.clone();
    let state_for_http = st.clone();
    let claims = blocking(move || {
        let s = &state_for_http.settings;
        Ok(state_for_http
            .access
            .sso
            .provider(&s.oidc, &s.base_url)
            .and_then(|p| p.identify(&code, &login, now)))
    })
    .await?;
    let claims = match claims {
        Ok(c) => c,
        Err(refusal) => return refused(&st, refusal).await,
    };
    let state_for_admit = st.clone();
    blocking(move || {
        let s = &state_for_admit;
        let mut conn = s.pool.get()?;
        match sso::admit(&mut conn, &s.settings.oidc, &claims)? {
            Err(Refused { refusal, removed }) => {
                let who = claims.email.clone();
                record_refusal(&mut conn, who.as_deref(), &refusal, removed.as_deref())?;
                Ok(Outcome::Refused(refusal))
            }
            Ok(admitted) => {
                let user = admitted.user().clone();
                let (action, detail) = match &admitted {
                    Admitted::Known(u) => ("sso sign-in", u.role.as_str().to_string()),
                    Admitted::Changed { user, was } => {
                        ("sso role changed", format!("{was} -> {}", role_words(user)))
                    }
                    Admitted::Created(u) => ("sso user created", role_words(u)),
                };
                audit::record(&mut conn, &user.email, action, &detail)?;
                let key = s.access.session_key.get(&mut conn)?;
                let (cookie, started) = session::issue(&key, &user.id)?;
                session::start(&mut conn, &started)?;
                Ok(Outcome::SignedIn {
                    session: cookie,
                    next,
                })
            }
        }
    })
    .await
}

fn role_words(u: &crate::auth::User) -> String {
    match &u.unit_path {
        Some(unit) => format!("{} of {unit}", u.role.as_str()),
        None => u.role.as_str().to_string(),
    }
}

/// Audits a refusal before anyone was identified, and returns it as the outcome.
async fn refused(st: &web::Data<AppState>, refusal: Refusal) -> AppResult<Outcome> {
    let st = st.clone();
    blocking(move || {
        let mut conn = st.pool.get()?;
        record_refusal(&mut conn, None, &refusal, None)?;
        Ok(Outcome::Refused(refusal))
    })
    .await
}

/// One audit entry per refusal: who (when the ID token named them), the reason in a few
/// words, and whether they lost their access with it. Never a code, state or token.
fn record_refusal(
    conn: &mut crate::db::DbConn,
    who: Option<&str>,
    refusal: &Refusal,
    removed: Option<&str>,
) -> AppResult<()> {
    let detail = match removed {
        Some(email) => format!(
            "{}; {email} lost access: account, sessions and API tokens removed",
            refusal.reason()
        ),
        None => refusal.reason().to_string(),
    };
    audit::record(
        conn,
        who.unwrap_or("anonymous"),
        "sso sign-in refused",
        &detail,
    )
}
