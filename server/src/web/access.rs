//! Sign-in for report readers: the login page, login and logout (both CSRF-checked), and the
//! lookup of who is asking (a bearer token on the API, a signed session cookie on pages).

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::ResponseError;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use std::sync::Arc;

use super::client::TrustedProxies;
use super::error::PageError;
use super::{
    AppState, HEATMAP_JS, HEATMAP_JS_PATH, PARTICIPATION_JS_PATH, REPORT_CSS, REPORT_CSS_PATH,
};
use crate::auth::password::PasswordChecks;
use crate::auth::session::{self, Session, SessionKey};
use crate::auth::sso::Discovery;
use crate::auth::throttle::{LoginThrottle, Refused};
use crate::auth::{self, device, password, ratelimit, User};
use crate::configuration::Settings;
use crate::db::blocking;
use crate::db::DbConn;
use crate::error::{AppError, AppResult};
use crate::reports::comments::CommentCache;
use crate::reports::ReleaseCache;

/// What report routes share besides the pool: the signing key, the release cache, and what
/// paces sign-in attempts.
#[derive(Clone)]
pub struct Access {
    pub session_key: SessionKey,
    pub releases: ReleaseCache,
    /// The closed waves' comment releases.
    pub comments: CommentCache,
    pub throttle: Arc<LoginThrottle>,
    pub passwords: PasswordChecks,
    pub proxies: TrustedProxies,
    /// The identity provider's discovery, when single sign-on is on.
    pub sso: Discovery,
}

impl Access {
    pub fn new(settings: &Settings) -> anyhow::Result<Access> {
        settings.oidc.check()?;
        if !settings.auth.password && !settings.oidc.enabled() {
            anyhow::bail!(
                "auth.password = false needs single sign-on (oidc.issuer), or nobody but \
                 break-glass admins could sign in"
            );
        }
        Ok(Access {
            session_key: SessionKey::default(),
            releases: ReleaseCache::default(),
            comments: CommentCache::default(),
            throttle: Arc::new(LoginThrottle::new(&settings.login)),
            passwords: PasswordChecks::new(settings.login.queue as usize),
            proxies: TrustedProxies::parse(&settings.trusted_proxies)?,
            sso: Discovery::default(),
        })
    }
}

const LOGIN_COOKIE: &str = "wl_login";

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/login", web::get().to(login_page))
        .route("/login", web::post().to(login))
        .route("/logout", web::post().to(logout))
        .route(REPORT_CSS_PATH, web::get().to(stylesheet))
        .route(HEATMAP_JS_PATH, web::get().to(script))
        .route(PARTICIPATION_JS_PATH, web::get().to(participation_script));
}

async fn stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/css; charset=utf-8"))
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(REPORT_CSS)
}

fn javascript(body: &'static str) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/javascript; charset=utf-8"))
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(body)
}

async fn script() -> HttpResponse {
    javascript(HEATMAP_JS)
}

async fn participation_script() -> HttpResponse {
    javascript(super::PARTICIPATION_JS)
}

pub fn cookie(req: &HttpRequest, name: &str) -> Option<String> {
    req.headers()
        .get_all(header::COOKIE)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

/// What a request presents: a bearer token and/or a session cookie.
#[derive(Clone, Debug, Default)]
pub struct Credentials {
    pub bearer: Option<String>,
    pub session: Option<String>,
}

impl Credentials {
    pub fn of(req: &HttpRequest) -> Credentials {
        Credentials {
            bearer: req
                .headers()
                .get(header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.strip_prefix("Bearer "))
                .map(|t| t.trim().to_string()),
            session: cookie(req, session::COOKIE),
        }
    }
}

/// The signed-in user (and their session, for CSRF), or `None`.
pub fn authenticate(
    conn: &mut DbConn,
    key: &SessionKey,
    creds: &Credentials,
) -> AppResult<Option<(User, Option<Session>)>> {
    if let Some(token) = &creds.bearer {
        // A wrong token is an error, not a fallback to the cookie.
        return match auth::user_of_token(conn, token)? {
            Some(u) => Ok(Some((u, None))),
            None => Err(AppError::Unauthorized(
                "the bearer token is not valid (unknown, revoked or expired)".into(),
            )),
        };
    }
    let Some(value) = &creds.session else {
        return Ok(None);
    };
    let Some(s) = session::verify(&key.get(conn)?, value) else {
        return Ok(None);
    };
    Ok(auth::find_by_session(conn, &s)?.map(|u| (u, Some(s))))
}

#[derive(Template)]
#[template(path = "reports/login.html")]
struct LoginPage {
    css: &'static str,
    csrf: String,
    email: String,
    error: Option<String>,
    /// Where to go after signing in, kept through a failed attempt.
    next: String,
    /// Coming from an invitation link whose password was just set.
    welcome: bool,
    /// Just signed out (back from the identity provider's sign-out).
    signed_out: bool,
    /// "Sign in with <label>" when single sign-on is on, and where it starts.
    sso_label: Option<String>,
    sso_href: String,
    /// Whether password sign-in is on for everyone (else only break-glass admins).
    passwords: bool,
}

fn login_response(
    settings: &Settings,
    status: StatusCode,
    email: &str,
    error: Option<String>,
    next: &str,
    welcome: Notice,
) -> AppResult<HttpResponse> {
    let csrf = auth::random_secret()?;
    let next = safe_next(next).unwrap_or_default();
    let sso_href = if next.is_empty() {
        super::SSO_START_PATH.to_string()
    } else {
        format!("{}?next={}", super::SSO_START_PATH, super::enc(&next))
    };
    let body = LoginPage {
        css: REPORT_CSS_PATH,
        csrf: csrf.clone(),
        email: email.to_string(),
        error,
        next,
        welcome: welcome == Notice::Welcome,
        signed_out: welcome == Notice::SignedOut,
        sso_label: settings
            .oidc
            .enabled()
            .then(|| settings.oidc.label().to_string()),
        sso_href,
        passwords: settings.auth.password,
    }
    .render()
    .map_err(|e| AppError::Unexpected(e.into()))?;
    let mut r = HttpResponse::build(status);
    r.insert_header((
        header::SET_COOKIE,
        format!(
            "{LOGIN_COOKIE}={csrf}; Path=/login; HttpOnly; SameSite=Strict; Max-Age=3600{}",
            if settings.is_https() { "; Secure" } else { "" }
        ),
    ));
    Ok(r.content_type("text/html; charset=utf-8").body(body))
}

/// A line at the top of the sign-in page.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Notice {
    None,
    /// A password was just set with an invitation link.
    Welcome,
    /// Back from signing out at the identity provider.
    SignedOut,
}

async fn login_page(state: web::Data<AppState>, q: web::Query<NextQuery>) -> HttpResponse {
    let q = q.into_inner();
    let next = q.next.unwrap_or_default();
    let welcome = if q.welcome.is_some() {
        Notice::Welcome
    } else if q.signed_out.is_some() {
        Notice::SignedOut
    } else {
        Notice::None
    };
    login_response(&state.settings, StatusCode::OK, "", None, &next, welcome)
        .unwrap_or_else(|e| PageError::from(e).error_response())
}

/// Fields default to empty so that a missing CSRF token is a 403 like a wrong one.
#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    next: String,
}

fn forbidden_csrf() -> HttpResponse {
    PageError::titled(
        AppError::Forbidden(
            "The form is out of date or was not sent from this site. Reload the page and try \
             again."
                .into(),
        ),
        "The form has expired",
    )
    .error_response()
}

/// How a sign-in attempt ended.
enum SignIn {
    /// The session cookie, and the browser's device cookie.
    Started {
        session: String,
        device: String,
    },
    WrongPassword,
    /// The password is right, but password sign-in is off and this is no break-glass admin.
    PasswordOff,
    /// The account's (or this browser's) bucket is full.
    AccountLimited,
}

/// `POST /login`. In order: the CSRF check; the per-client and global limits (in memory, no
/// database); a place in the password-check queue; the attempt recorded against the account
/// in one atomic step with the count that allows it (a database connection held only for
/// that); the argon2 check on the blocking pool without a connection; then the session.
async fn login(
    req: HttpRequest,
    form: web::Form<LoginForm>,
    state: web::Data<AppState>,
) -> HttpResponse {
    let form = form.into_inner();
    let expected = cookie(&req, LOGIN_COOKIE).unwrap_or_default();
    if !session::same_token(&expected, &form.csrf) {
        return forbidden_csrf();
    }
    let settings = &state.settings;
    let client = state.access.proxies.client_of(&req);
    if let Err(limit) = state.access.throttle.attempt(client) {
        let (who, wait) = match limit {
            Refused::Client(d) => ("from your network", d),
            Refused::Everyone(d) => ("right now", d),
        };
        let seconds = wait.as_secs().max(1);
        return refused(
            &format!(
                "Too many sign-in attempts {who}. Try again in {seconds} second{}.",
                if seconds == 1 { "" } else { "s" }
            ),
            seconds,
        );
    }
    let Ok(slot) = state.access.passwords.slot().await else {
        return refused("Sign-in is busy. Try again in a moment.", 1);
    };
    let email = form.email.clone();
    let next = form.next.clone();
    let outcome = sign_in(&state, &req, &slot, form).await;
    drop(slot);
    let secure_cookie = settings.is_https();
    match outcome {
        Ok(SignIn::Started { session, device }) => {
            let mut r = HttpResponse::SeeOther();
            let to = safe_next(&next).unwrap_or_else(|| "/reports".into());
            let to = HeaderValue::from_str(&to).unwrap_or(HeaderValue::from_static("/reports"));
            r.insert_header((header::LOCATION, to))
                .append_header((
                    header::SET_COOKIE,
                    session::set_cookie(Some(&session), secure_cookie),
                ))
                .append_header((
                    header::SET_COOKIE,
                    device::set_cookie(&device, secure_cookie),
                ))
                .finish()
        }
        Ok(SignIn::AccountLimited) => login_response(
            settings,
            StatusCode::TOO_MANY_REQUESTS,
            &email,
            Some(format!(
                "Too many failed sign-ins for this account. Try again in {} minutes, or from \
                 a browser you signed in with before.",
                ratelimit::WINDOW_MINUTES
            )),
            &next,
            Notice::None,
        )
        .unwrap_or_else(|e| PageError::from(e).error_response()),
        Ok(SignIn::PasswordOff) => login_response(
            settings,
            StatusCode::FORBIDDEN,
            &email,
            Some(format!(
                "Password sign-in is turned off here. Use “Sign in with {}” above.",
                settings.oidc.label()
            )),
            &next,
            Notice::None,
        )
        .unwrap_or_else(|e| PageError::from(e).error_response()),
        Ok(SignIn::WrongPassword) => login_response(
            settings,
            StatusCode::UNAUTHORIZED,
            &email,
            Some("The email or the password is wrong.".into()),
            &next,
            Notice::None,
        )
        .unwrap_or_else(|e| PageError::from(e).error_response()),
        Err(e) => PageError::from(e).error_response(),
    }
}

/// A refused attempt under a flood: 429 with `Retry-After` and a small fixed page with a way
/// back to the form. No template, no new CSRF token, no cookie: refusing must cost far less
/// than the attempt would, so that refusals cannot take the service's time.
fn refused(message: &str, seconds: u64) -> HttpResponse {
    let body = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Try again shortly – Worklife</title>\
         <link rel=\"stylesheet\" href=\"{REPORT_CSS_PATH}\"></head><body><main class=\"narrow\">\
         <h1>Try again shortly</h1><p role=\"alert\">{message}</p>\
         <p><a href=\"/login\">Back to sign-in</a></p></main></body></html>"
    );
    HttpResponse::TooManyRequests()
        .insert_header((header::RETRY_AFTER, seconds.to_string()))
        .content_type("text/html; charset=utf-8")
        .body(body)
}

async fn sign_in(
    state: &web::Data<AppState>,
    req: &HttpRequest,
    slot: &password::Slot,
    form: LoginForm,
) -> AppResult<SignIn> {
    let device_cookie = cookie(req, device::COOKIE);
    let st = state.clone();
    let email = form.email.clone();
    // The attempt is recorded before the check (and cleared if the password is right), in
    // the browser's own bucket when it signed in to this account before.
    let reserved = blocking(move || {
        let mut conn = st.pool.get()?;
        let key = st.access.session_key.get(&mut conn)?;
        let bucket = match device_cookie.and_then(|v| device::verify(&key, &v, &email)) {
            Some(id) => ratelimit::device(&id),
            None => ratelimit::account(&email),
        };
        if !ratelimit::reserve(&mut conn, &bucket)? {
            return Ok(None);
        }
        let found = auth::find_by_email(&mut conn, &email)?;
        Ok::<_, AppError>(Some((bucket, found, key)))
    })
    .await?;
    let Some((bucket, found, key)) = reserved else {
        return Ok(SignIn::AccountLimited);
    };
    // Same work for an unknown email as for a wrong password, so timing does not tell
    // which emails exist.
    let hash = found.as_ref().map_or_else(dummy_hash, |(_, h)| h.clone());
    let right = state
        .access
        .passwords
        .verify(slot, hash, form.password)
        .await;
    let user = match found {
        Some((user, _)) if right => user,
        _ => return Ok(SignIn::WrongPassword),
    };
    let st = state.clone();
    blocking(move || {
        let mut conn = st.pool.get()?;
        ratelimit::clear(&mut conn, &bucket)?;
        if !st.settings.auth.password && !auth::sso::is_break_glass(&mut conn, &user.id)? {
            return Ok(SignIn::PasswordOff);
        }
        let (session, started) = session::issue(&key, &user.id)?;
        session::start(&mut conn, &started)?;
        Ok(SignIn::Started {
            session,
            device: device::issue(&key, &user.email)?,
        })
    })
    .await
}

/// An argon2id hash of nothing anyone knows, made once per process.
fn dummy_hash() -> String {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| {
        auth::random_secret()
            .ok()
            .and_then(|s| password::hash_password(&s).ok())
            .unwrap_or_default()
    })
    .clone()
}

#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    pub csrf: String,
}

/// The page that sends someone on to the identity provider's sign-out.
#[derive(Template)]
#[template(path = "reports/signing_out.html")]
struct SigningOut {
    css: &'static str,
    label: String,
    provider_url: String,
}

/// `POST /logout`: ends the session. Someone who signed in with the identity provider is
/// then sent on to its sign-out (RP-initiated logout) when it has one, and comes back to the
/// sign-in page; otherwise straight to the sign-in page.
async fn logout(
    req: HttpRequest,
    form: web::Form<CsrfForm>,
    state: web::Data<AppState>,
) -> HttpResponse {
    let creds = Credentials::of(&req);
    let st = state.clone();
    let csrf = form.csrf.clone();
    let out = blocking(move || {
        let mut conn = st.pool.get()?;
        let who = authenticate(&mut conn, &st.access.session_key, &creds)?;
        let Some((user, Some(s))) = who else {
            return Ok(None);
        };
        if !session::same_token(&s.csrf, &csrf) {
            return Ok(None);
        }
        session::end(&mut conn, &s)?;
        let sso = st.settings.oidc.enabled() && auth::sso::uses_sso(&mut conn, &user.id)?;
        drop(conn);
        let back = format!(
            "{}/login?signed_out=1",
            st.settings.base_url.trim_end_matches('/')
        );
        // The provider's sign-out is a courtesy: when it cannot be reached, the local
        // session has ended all the same.
        let provider_out = if sso {
            st.access
                .sso
                .provider(&st.settings.oidc, &st.settings.base_url)
                .ok()
                .and_then(|p| p.sign_out_url(&back))
        } else {
            None
        };
        Ok::<_, AppError>(Some(provider_out))
    })
    .await;
    let secure = state.settings.is_https();
    match out {
        // A page rather than a redirect: the content security policy lets forms go to this
        // site only (`form-action 'self'`), and browsers apply that to a form's redirects.
        Ok(Some(Some(provider_url))) => {
            let page = SigningOut {
                css: REPORT_CSS_PATH,
                label: state.settings.oidc.label().to_string(),
                provider_url,
            };
            match page.render() {
                Ok(body) => HttpResponse::Ok()
                    .insert_header((header::SET_COOKIE, session::set_cookie(None, secure)))
                    .insert_header((header::CACHE_CONTROL, "no-store"))
                    .content_type("text/html; charset=utf-8")
                    .body(body),
                Err(e) => PageError::from(AppError::Unexpected(e.into())).error_response(),
            }
        }
        Ok(Some(None)) => HttpResponse::SeeOther()
            .insert_header((header::LOCATION, "/login"))
            .insert_header((header::SET_COOKIE, session::set_cookie(None, secure)))
            .finish(),
        Ok(None) => forbidden_csrf(),
        Err(e) => PageError::from(e).error_response(),
    }
}

/// Redirect to the login page (pages without a session).
/// The sign-in page, coming back to `next` (a GET's path and query) after signing in: a
/// link from an email to a team's results works after the sign-in it first needs.
pub fn to_login(next: Option<&str>) -> HttpResponse {
    let location = match next.and_then(safe_next) {
        Some(next) => format!("/login?next={}", super::enc(&next)),
        None => "/login".to_string(),
    };
    let mut r = HttpResponse::SeeOther();
    match HeaderValue::from_str(&location) {
        Ok(v) => r.insert_header((header::LOCATION, v)),
        Err(_) => r.insert_header((header::LOCATION, HeaderValue::from_static("/login"))),
    };
    r.finish()
}

/// Where sign-in may send a reader back to: a path of this site only (`/...`, never
/// `//host` or `/\host`, which browsers read as another site), not the sign-in itself,
/// without control characters.
pub fn safe_next(next: &str) -> Option<String> {
    let ok = next.starts_with('/')
        && !next.starts_with("//")
        && !next.contains('\\')
        && !next.starts_with("/login")
        && !next.starts_with("/logout")
        && next.len() <= 2000
        && !next.chars().any(char::is_control);
    ok.then(|| next.to_string())
}

/// `?next=` of the sign-in page.
#[derive(Deserialize, Default)]
pub struct NextQuery {
    pub next: Option<String>,
    /// `?welcome=1`: a password was just set with an invitation link.
    pub welcome: Option<String>,
    /// `?signed_out=1`: back from the identity provider's sign-out.
    pub signed_out: Option<String>,
}

/// Who is reading, shown in the page header (with the logout form's CSRF token).
#[derive(Clone, Debug)]
pub struct Reader {
    pub email: String,
    pub role: &'static str,
    pub unit: Option<String>,
    pub csrf: String,
}

impl Reader {
    pub fn of(user: &User, session: Option<&Session>) -> Reader {
        Reader {
            email: user.email.clone(),
            role: user.role.as_str(),
            unit: user.unit_path.clone(),
            csrf: session.map(|s| s.csrf.clone()).unwrap_or_default(),
        }
    }

    /// Where the header's "Action plans" link goes: a manager's own unit's plan, for
    /// everyone else the overview of every unit's plan.
    pub fn plans_href(&self) -> String {
        match (self.role, &self.unit) {
            ("manager", Some(unit)) => format!("/units/{}/action-plan", super::enc(unit)),
            _ => super::PLANS_OVERVIEW_PATH.to_string(),
        }
    }
}
