//! API tokens in the admin console ([`TOKENS_PATH`]): every token (name, owner, created, last
//! used, expiry; never the token), a form to create one (shown once on the response to the
//! POST, with how to use it; only its SHA-256 is stored), and revoking one behind a
//! confirmation. Audited as the command line does it: `create token` / `revoke token` with the
//! token's id and owner, never the token.

use actix_web::http::header;
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::access::{CsrfForm, Reader};
use super::console::{admin_form, admins_only, see_other, TOKENS_PATH};
use super::error::PageError;
use super::form_problems::{placed, problem_for, Problem};
use super::reports_pages::{page, render};
use super::signed_in::PageReader;
use super::users_page::ConfirmPage;
use super::{AppState, REPORT_CSS_PATH};
use crate::auth::{self, audit, TokenInfo, User};
use crate::configuration::Settings;
use crate::db::{blocking, DbConn};
use crate::error::{AppError, AppResult};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route(TOKENS_PATH, web::get().to(tokens))
        .route(TOKENS_PATH, web::post().to(create))
        .route("/admin/tokens/{id}/revoke", web::get().to(revoke_page))
        .route("/admin/tokens/{id}/revoke", web::post().to(revoke));
}

/// The expiry choices: the form's value (a [`auth::token_expiry`] spec) and its words.
const EXPIRIES: [(&str, &str); 4] = [
    ("30d", "in 30 days"),
    ("90d", "in 90 days"),
    ("365d", "in a year"),
    ("never", "never (revoke it by hand)"),
];

pub struct TokenRow {
    pub id: String,
    pub name: String,
    pub owner: String,
    pub created: String,
    pub last_used: String,
    pub expires: String,
    pub expired: bool,
}

#[derive(Clone, Deserialize)]
pub struct CreateForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    owner: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    expires: String,
}

impl Default for CreateForm {
    fn default() -> CreateForm {
        CreateForm {
            csrf: String::new(),
            owner: String::new(),
            name: String::new(),
            expires: "90d".into(),
        }
    }
}

/// A token just made: shown once.
pub struct Shown {
    pub token: String,
    pub info: TokenRow,
}

#[derive(Template)]
#[template(path = "reports/tokens.html")]
struct TokensPage {
    css: &'static str,
    reader: Reader,
    rows: Vec<TokenRow>,
    owners: Vec<String>,
    expiries: [(&'static str, &'static str); 4],
    problems: Vec<Problem>,
    draft: CreateForm,
    shown: Option<Shown>,
    notice: Option<String>,
    api_base: String,
}

impl TokensPage {
    fn problem_for(&self, field: &str) -> Option<&str> {
        problem_for(&self.problems, field)
    }
}

/// A time on the organisation's clock, or `none`.
fn when(s: &Settings, t: Option<chrono::NaiveDateTime>, none: &str) -> String {
    t.map_or(none.to_string(), |t| s.local_words(t))
}

fn row(s: &Settings, t: TokenInfo, now: chrono::NaiveDateTime) -> TokenRow {
    TokenRow {
        expired: t.expires_at.is_some_and(|at| at <= now),
        id: t.id,
        name: t.name,
        owner: t.owner,
        created: when(s, Some(t.created_at), ""),
        last_used: when(s, t.last_used_at, "never"),
        expires: when(s, t.expires_at, "never"),
    }
}

fn tokens_body(
    conn: &mut DbConn,
    st: &AppState,
    reader: Reader,
    problems: Vec<String>,
    draft: CreateForm,
    shown: Option<Shown>,
    notice: Option<String>,
) -> AppResult<String> {
    let now = crate::clock::now();
    render(&TokensPage {
        css: REPORT_CSS_PATH,
        reader,
        rows: auth::list_tokens(conn)?
            .into_iter()
            .map(|t| row(&st.settings, t, now))
            .collect(),
        owners: auth::list_users(conn)?
            .into_iter()
            .map(|u| u.email)
            .collect(),
        expiries: EXPIRIES,
        problems: placed(
            problems,
            &[
                ("owner", "owner", "Owner"),
                ("name", "name", "Name"),
                ("expires", "expires", "Expires"),
            ],
        ),
        draft,
        shown,
        notice,
        api_base: st.settings.base_url.trim_end_matches('/').to_string(),
    })
}

#[derive(Deserialize, Default)]
struct Done {
    #[serde(default)]
    revoked: String,
}

async fn tokens(
    who: PageReader,
    q: web::Query<Done>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, PageError> {
    let revoked = !q.into_inner().revoked.is_empty();
    page(who, &state, move |conn, user, reader, st| {
        admins_only(user)?;
        let notice = revoked.then(|| {
            "The token was revoked: a request that sends it is refused from now on.".to_string()
        });
        tokens_body(
            conn,
            st,
            reader,
            Vec::new(),
            CreateForm::default(),
            None,
            notice,
        )
    })
    .await
}

fn no_store(status: StatusCode, body: String) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .content_type("text/html; charset=utf-8")
        .body(body)
}

/// The owner and expiry a valid form asks for.
type Checked = (User, Option<chrono::NaiveDateTime>);

/// The form's problems, or the owner and expiry it asks for.
fn check(conn: &mut DbConn, f: &CreateForm) -> AppResult<Result<Checked, Vec<String>>> {
    let mut problems = Vec::new();
    let owner = if f.owner.trim().is_empty() {
        problems.push("owner: choose whose access the token carries".to_string());
        None
    } else {
        let found = auth::find_by_email(conn, &f.owner)?.map(|(u, _)| u);
        if found.is_none() {
            problems.push(format!("owner: there is no user \"{}\"", f.owner.trim()));
        }
        found
    };
    let name = f.name.trim();
    if name.is_empty() {
        problems.push(
            "name: say what will use the token (e.g. \"BI dashboard\"), to recognise it later"
                .to_string(),
        );
    } else if name.chars().count() > 100 {
        problems.push("name: at most 100 characters".to_string());
    }
    let expires = if EXPIRIES.iter().any(|(v, _)| *v == f.expires) {
        auth::token_expiry(&f.expires, crate::clock::now()).ok()
    } else {
        problems.push("expires: choose when the token stops working".to_string());
        None
    };
    Ok(match owner {
        Some(owner) if problems.is_empty() => Ok((owner, expires.flatten())),
        _ => Err(problems),
    })
}

async fn create(
    PageReader(who): PageReader,
    form: web::Form<CreateForm>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, PageError> {
    admin_form(&who, &form.csrf)?;
    let form = form.into_inner();
    let st = state.clone();
    let (me, reader) = (who.user.clone(), who.reader());
    let (status, body) = blocking(move || {
        let mut conn = st.pool.get()?;
        let (owner, expires_at) = match check(&mut conn, &form)? {
            Ok(ok) => ok,
            Err(problems) => {
                let body = tokens_body(&mut conn, &st, reader, problems, form, None, None)?;
                return Ok((StatusCode::BAD_REQUEST, body));
            }
        };
        let (token, info) = auth::create_token(&mut conn, &owner.email, &form.name, expires_at)?;
        audit::record(
            &mut conn,
            &me.email,
            "create token",
            &format!("id={} user={}", info.id, info.owner),
        )?;
        let shown = Shown {
            token,
            info: row(&st.settings, info, crate::clock::now()),
        };
        let body = tokens_body(
            &mut conn,
            &st,
            reader,
            Vec::new(),
            CreateForm::default(),
            Some(shown),
            None,
        )?;
        Ok::<_, AppError>((StatusCode::OK, body))
    })
    .await?;
    Ok(no_store(status, body))
}

fn find(conn: &mut DbConn, id: &str) -> AppResult<TokenInfo> {
    let id = id.trim().to_ascii_lowercase();
    auth::list_tokens(conn)?
        .into_iter()
        .find(|t| t.id == id)
        .ok_or_else(|| AppError::NotFound("no such API token (revoked already?)".into()))
}

async fn revoke_page(
    who: PageReader,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, PageError> {
    let id = path.into_inner();
    page(who, &state, move |conn, me, reader, st| {
        admins_only(me)?;
        let t = find(conn, &id)?;
        render(&ConfirmPage {
            css: REPORT_CSS_PATH,
            reader,
            title: format!("Revoke the token “{}”?", t.name),
            lines: vec![
                format!(
                    "The token “{}” of {} (created {}, last used {}) will stop working at once: \
                     whatever sends it gets “401 Unauthorized” from then on.",
                    t.name,
                    t.owner,
                    when(&st.settings, Some(t.created_at), ""),
                    when(&st.settings, t.last_used_at, "never")
                ),
                "This cannot be undone; create a new token if it is needed again.".into(),
            ],
            action: format!("/admin/tokens/{}/revoke", super::enc(&t.id)),
            button: "Revoke the token".into(),
            back: TOKENS_PATH.into(),
        })
    })
    .await
}

async fn revoke(
    PageReader(who): PageReader,
    path: web::Path<String>,
    form: web::Form<CsrfForm>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, PageError> {
    admin_form(&who, &form.csrf)?;
    let id = path.into_inner();
    let st = state.clone();
    let me = who.user.email.clone();
    blocking(move || {
        let mut conn = st.pool.get()?;
        find(&mut conn, &id)?;
        let t = auth::revoke_token(&mut conn, &id)?;
        audit::record(
            &mut conn,
            &me,
            "revoke token",
            &format!("id={} user={}", t.id, t.owner),
        )
    })
    .await?;
    Ok(see_other(&format!("{TOKENS_PATH}?revoked=1")))
}
