//! Users in the admin console ([`USERS_PATH`]): who may read reports, in what role, for which
//! unit, and how they get in; adding a user with an invitation link (they set their own
//! password, [`accounts::INVITATION_DAYS`] days, once) or a generated password, each shown
//! once on the response to the POST (never in a URL, never logged or audited); changing a
//! role or unit (their sessions end); removing a user behind a confirmation. The anonymous
//! `GET`/`POST /welcome/{token}` is where an invitation link lets someone set their password.

use actix_web::http::header;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::access::{cookie, CsrfForm, Reader};
use super::console::{admin_form, admins_only, see_other, USERS_PATH};
use super::error::PageError;
pub use super::form_problems::{placed, problem_for, Field, Problem};
use super::plan_page::{readable_date, unit_label};
use super::reports_pages::{page, render};
use super::signed_in::{PageReader, SignedIn};
use super::{AppState, REPORT_CSS_PATH};
use crate::auth::accounts::{self, Access, Invitation};
use crate::auth::{self, audit, password, session, Role, User};
use crate::db::{blocking, DbConn, UserId};
use crate::error::{AppError, AppResult};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route(USERS_PATH, web::get().to(users))
        .route(USERS_PATH, web::post().to(add))
        .route("/admin/users/{id}", web::get().to(edit_page))
        .route("/admin/users/{id}", web::post().to(edit))
        .route("/admin/users/{id}/invite", web::post().to(invite))
        .route("/admin/users/{id}/remove", web::get().to(remove_page))
        .route("/admin/users/{id}/remove", web::post().to(remove))
        .route("/welcome/{token}", web::get().to(welcome_page))
        .route("/welcome/{token}", web::post().to(welcome));
}

/// The roles, with what each may do, in the order the form offers them.
pub const ROLES: [(&str, &str, &str); 3] = [
    (
        "viewer",
        "Viewer",
        "reads every report and action plan; changes nothing",
    ),
    (
        "manager",
        "Manager",
        "reads the reports of one unit (and the units below it) and keeps its action plan",
    ),
    (
        "admin",
        "Admin",
        "reads everything and manages waves, users and API tokens",
    ),
];

fn role_words(role: Role) -> &'static str {
    match role {
        Role::Admin => "Admin",
        Role::Viewer => "Viewer",
        Role::Manager => "Manager",
    }
}

fn access_words(a: &Access) -> String {
    match a {
        Access::Password => "Password (given to them)".into(),
        Access::OwnPassword => "Password (set with their invitation link)".into(),
        Access::Invited(until) => format!(
            "Invited: no password yet; the link works until {}",
            readable_date(until.date())
        ),
        Access::InvitationExpired => {
            "Invitation expired unused: no password yet (make a new link on their Change page)"
                .into()
        }
        Access::SingleSignOn { break_glass: false } => "Single sign-on".into(),
        Access::SingleSignOn { break_glass: true } => {
            "Single sign-on, and a break-glass password".into()
        }
        Access::SingleSignOnPending => "Single sign-on (has not signed in yet)".into(),
    }
}

pub struct UserRow {
    pub id: String,
    pub email: String,
    pub role: &'static str,
    pub unit: String,
    pub access: String,
    pub me: bool,
}

/// The add form as sent, kept when it comes back with problems.
#[derive(Clone, Deserialize)]
pub struct AddForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    unit: String,
    /// `link` (an invitation link, the default), `password` (a generated one) or `sso`
    /// (single sign-on only, no password).
    #[serde(default)]
    access: String,
}

impl Default for AddForm {
    fn default() -> AddForm {
        AddForm {
            csrf: String::new(),
            email: String::new(),
            role: "viewer".into(),
            unit: String::new(),
            // The form picks: single sign-on when it is on, else an invitation link.
            access: String::new(),
        }
    }
}

/// A secret shown once, on the response to the POST that made it.
pub struct Shown {
    pub email: String,
    /// Just added (or a new link for an existing user).
    pub added: bool,
    /// The invitation link, or `None` for a generated password.
    pub link: Option<String>,
    pub password: Option<String>,
    pub expires: String,
    /// Added for single sign-on: the provider's name on the sign-in button.
    pub sso: Option<String>,
}

#[derive(Template)]
#[template(path = "reports/users.html")]
struct UsersPage {
    css: &'static str,
    reader: Reader,
    rows: Vec<UserRow>,
    units: Vec<(String, String)>,
    /// A unit below the top, as the example in the unit field's hint.
    example_unit: String,
    roles: [(&'static str, &'static str, &'static str); 3],
    problems: Vec<Problem>,
    draft: AddForm,
    shown: Option<Shown>,
    notice: Option<String>,
    /// "Sign in with <label>" is on offer when single sign-on is on.
    sso_label: Option<String>,
    /// Whether password sign-in is on (else new users get single sign-on only).
    passwords: bool,
}

impl UsersPage {
    fn problem_for(&self, field: &str) -> Option<&str> {
        problem_for(&self.problems, field)
    }
}

const ADD_FIELDS: [Field; 4] = [
    ("email", "email", "Email"),
    ("role", "role", "Role"),
    ("unit", "unit", "Unit"),
    ("access", "access", "How they sign in"),
];

fn units_for_list(conn: &mut DbConn) -> AppResult<Vec<(String, String)>> {
    Ok(accounts::unit_paths(conn)?
        .into_iter()
        .map(|p| {
            let label = unit_label(&p);
            (p, label)
        })
        .collect())
}

#[allow(clippy::too_many_arguments)]
fn users_body(
    conn: &mut DbConn,
    st: &AppState,
    me: &User,
    reader: Reader,
    problems: Vec<String>,
    draft: AddForm,
    shown: Option<Shown>,
    notice: Option<String>,
) -> AppResult<String> {
    let rows = accounts::list_accounts(conn, st.clock.now())?
        .into_iter()
        .map(|(u, a)| UserRow {
            id: u.id.to_string(),
            me: u.id == me.id,
            email: u.email,
            role: role_words(u.role),
            unit: u.unit_path.as_deref().map(unit_label).unwrap_or_default(),
            access: access_words(&a),
        })
        .collect();
    let units = units_for_list(conn)?;
    let example_unit = units
        .iter()
        .filter(|(p, _)| p.contains('/'))
        .min_by_key(|(p, _)| p.len())
        .or(units.first())
        .map_or_else(|| "Acme/Sales".to_string(), |(p, _)| p.clone());
    render(&UsersPage {
        css: REPORT_CSS_PATH,
        reader,
        rows,
        units,
        example_unit,
        roles: ROLES,
        problems: placed(problems, &ADD_FIELDS),
        draft,
        shown,
        notice,
        sso_label: st
            .settings
            .oidc
            .enabled()
            .then(|| st.settings.oidc.label().to_string()),
        passwords: st.settings.auth.password,
    })
}

/// `?changed=ID` after a change, `?removed=1` after a removal.
#[derive(Deserialize, Default)]
struct Done {
    #[serde(default)]
    changed: String,
    #[serde(default)]
    removed: String,
}

async fn users(
    who: PageReader,
    q: web::Query<Done>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, PageError> {
    let q = q.into_inner();
    page(who, &state, move |conn, user, reader, st| {
        admins_only(user)?;
        let notice = if !q.removed.is_empty() {
            Some("The user was removed: their sessions and API tokens no longer work.".into())
        } else if q.changed.is_empty() || q.changed.contains('\0') {
            None
        } else {
            auth::find_by_id(conn, &UserId::from_string(q.changed.clone()))?.map(|u| {
                format!(
                    "Saved: {} is now {}{}. They sign in again to continue.",
                    u.email,
                    role_words(u.role).to_lowercase(),
                    u.unit_path
                        .map(|p| format!(" of {}", unit_label(&p)))
                        .unwrap_or_default()
                )
            })
        };
        users_body(
            conn,
            st,
            user,
            reader,
            Vec::new(),
            AddForm::default(),
            None,
            notice,
        )
    })
    .await
}

/// A page that holds a secret: never stored by a browser or a proxy.
fn no_store(status: StatusCode, body: String) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .content_type("text/html; charset=utf-8")
        .body(body)
}

/// An argon2 hash made on the blocking pool, holding no database connection.
async fn hash_off_pool(secret: String) -> AppResult<String> {
    blocking(move || Ok(password::hash_password(&secret)?)).await
}

async fn add(
    PageReader(who): PageReader,
    form: web::Form<AddForm>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, PageError> {
    admin_form(&who, &form.csrf)?;
    let form = form.into_inner();
    let sso_only =
        form.access == "sso" || (!state.settings.auth.password && form.access.is_empty());
    let by_link = !sso_only && form.access != "password";
    let st = state.clone();
    let (f, me) = (form.clone(), who.user.clone());
    let reader = who.reader();
    let checked = blocking(move || {
        let mut conn = st.pool.get()?;
        let mut problems: Vec<String> = Vec::new();
        let sso_on = st.settings.oidc.enabled();
        match f.access.as_str() {
            "sso" if !sso_on => {
                problems.push("access: single sign-on is not set up here (oidc.issuer)".into())
            }
            "link" | "password" if !st.settings.auth.password => problems.push(format!(
                "access: password sign-in is turned off; they sign in with {}",
                st.settings.oidc.label()
            )),
            "" | "link" | "password" | "sso" => {}
            _ => problems.push("access: choose how they get in".into()),
        }
        match accounts::check_new_user(&mut conn, &f.email, &f.role, &f.unit) {
            Ok(new) if problems.is_empty() => Ok(Ok(new)),
            Ok(_) => Ok(Err(problems)),
            Err(AppError::Validation(mut more)) => {
                more.extend(problems);
                Ok(Err(more))
            }
            Err(e) => Err(e),
        }
    })
    .await?;
    let new = match checked {
        Ok(new) => new,
        Err(problems) => {
            let st = state.clone();
            let body = blocking(move || {
                let mut conn = st.pool.get()?;
                users_body(&mut conn, &st, &me, reader, problems, form, None, None)
            })
            .await?;
            return Ok(no_store(StatusCode::BAD_REQUEST, body));
        }
    };
    // With a link, the account's password is random and never shown: nobody can sign in
    // until the link sets one.
    let secret = password::new_password().map_err(AppError::Unexpected)?;
    let hash = if sso_only {
        String::new()
    } else {
        hash_off_pool(secret.clone()).await?
    };
    let st = state.clone();
    let body = blocking(move || {
        let mut conn = st.pool.get()?;
        let user = if sso_only {
            accounts::insert_user(&mut conn, &new, accounts::NO_PASSWORD)?
        } else {
            accounts::insert_user(&mut conn, &new, &hash)?
        };
        let shown = if sso_only {
            Shown {
                email: user.email.clone(),
                added: true,
                link: None,
                password: None,
                expires: String::new(),
                sso: Some(st.settings.oidc.label().to_string()),
            }
        } else if by_link {
            let (token, expires) =
                accounts::create_invitation(&mut conn, &user.id, st.clock.now())?;
            Shown {
                email: user.email.clone(),
                added: true,
                link: Some(format!(
                    "{}/welcome/{token}",
                    st.settings.base_url.trim_end_matches('/')
                )),
                password: None,
                expires: st.settings.local_words(expires),
                sso: None,
            }
        } else {
            Shown {
                email: user.email.clone(),
                added: true,
                link: None,
                password: Some(secret),
                expires: String::new(),
                sso: None,
            }
        };
        audit::record(
            &mut conn,
            &me.email,
            "add user",
            &format!(
                "user={} role={}{} access={}",
                user.email,
                user.role.as_str(),
                user.unit_path
                    .as_deref()
                    .map(|u| format!(" unit={u}"))
                    .unwrap_or_default(),
                if sso_only {
                    "single sign-on"
                } else if by_link {
                    "invitation link"
                } else {
                    "generated password"
                }
            ),
        )?;
        users_body(
            &mut conn,
            &st,
            &me,
            reader,
            Vec::new(),
            AddForm::default(),
            Some(shown),
            None,
        )
    })
    .await?;
    Ok(no_store(StatusCode::OK, body))
}

/// The edit form as sent.
#[derive(Clone, Default, Deserialize)]
pub struct EditForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    unit: String,
}

#[derive(Template)]
#[template(path = "reports/user_edit.html")]
struct EditPage {
    css: &'static str,
    reader: Reader,
    id: String,
    email: String,
    me: bool,
    units: Vec<(String, String)>,
    roles: [(&'static str, &'static str, &'static str); 3],
    problems: Vec<Problem>,
    draft: EditForm,
}

impl EditPage {
    fn problem_for(&self, field: &str) -> Option<&str> {
        problem_for(&self.problems, field)
    }
}

fn target(conn: &mut DbConn, id: &str) -> AppResult<User> {
    let no_such = || AppError::NotFound("no such user (removed meanwhile?)".into());
    if id.contains('\0') {
        return Err(no_such());
    }
    auth::find_by_id(conn, &UserId::from_string(id.to_string()))?.ok_or_else(no_such)
}

fn edit_body(
    conn: &mut DbConn,
    me: &User,
    reader: Reader,
    user: &User,
    problems: Vec<String>,
    draft: Option<EditForm>,
) -> AppResult<String> {
    render(&EditPage {
        css: REPORT_CSS_PATH,
        reader,
        id: user.id.to_string(),
        email: user.email.clone(),
        me: user.id == me.id,
        units: units_for_list(conn)?,
        roles: ROLES,
        problems: placed(
            problems,
            &[("role", "role", "Role"), ("unit", "unit", "Unit")],
        ),
        draft: draft.unwrap_or_else(|| EditForm {
            csrf: String::new(),
            role: user.role.as_str().into(),
            unit: user.unit_path.clone().unwrap_or_default(),
        }),
    })
}

async fn edit_page(
    who: PageReader,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, PageError> {
    let id = path.into_inner();
    page(who, &state, move |conn, me, reader, _| {
        admins_only(me)?;
        let user = target(conn, &id)?;
        edit_body(conn, me, reader, &user, Vec::new(), None)
    })
    .await
}

async fn edit(
    PageReader(who): PageReader,
    path: web::Path<String>,
    form: web::Form<EditForm>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, PageError> {
    admin_form(&who, &form.csrf)?;
    let (id, form) = (path.into_inner(), form.into_inner());
    let st = state.clone();
    let SignedIn { user: me, .. } = &who;
    let (me, reader) = (me.clone(), who.reader());
    let outcome = blocking(move || {
        let mut conn = st.pool.get()?;
        let user = target(&mut conn, &id)?;
        match accounts::update_user(&mut conn, &me.id, &user.id, &form.role, &form.unit) {
            Ok(changed) => {
                audit::record(
                    &mut conn,
                    &me.email,
                    "change user",
                    &format!(
                        "user={} role={}{}",
                        changed.email,
                        changed.role.as_str(),
                        changed
                            .unit_path
                            .as_deref()
                            .map(|u| format!(" unit={u}"))
                            .unwrap_or_default()
                    ),
                )?;
                Ok(Ok(changed.id.to_string()))
            }
            Err(AppError::Validation(problems)) => Ok(Err(edit_body(
                &mut conn,
                &me,
                reader,
                &user,
                problems,
                Some(form),
            )?)),
            Err(e) => Err(e),
        }
    })
    .await?;
    Ok(match outcome {
        Ok(id) => see_other(&format!("{USERS_PATH}?changed={}", super::enc(&id))),
        Err(body) => HttpResponse::BadRequest()
            .content_type("text/html; charset=utf-8")
            .body(body),
    })
}

/// A new invitation link for a user (an expired one, a lost password), shown once.
async fn invite(
    PageReader(who): PageReader,
    path: web::Path<String>,
    form: web::Form<CsrfForm>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, PageError> {
    admin_form(&who, &form.csrf)?;
    let id = path.into_inner();
    let st = state.clone();
    let (me, reader) = (who.user.clone(), who.reader());
    let body = blocking(move || {
        let mut conn = st.pool.get()?;
        let user = target(&mut conn, &id)?;
        let (token, expires) = accounts::reinvite(&mut conn, &user.id, st.clock.now())?;
        audit::record(
            &mut conn,
            &me.email,
            "invite user",
            &format!("user={} access=invitation link", user.email),
        )?;
        let shown = Shown {
            email: user.email.clone(),
            added: false,
            link: Some(format!(
                "{}/welcome/{token}",
                st.settings.base_url.trim_end_matches('/')
            )),
            password: None,
            expires: st.settings.local_words(expires),
            sso: None,
        };
        users_body(
            &mut conn,
            &st,
            &me,
            reader,
            Vec::new(),
            AddForm::default(),
            Some(shown),
            None,
        )
    })
    .await?;
    Ok(no_store(StatusCode::OK, body))
}

/// A confirmation before something that cannot be undone.
#[derive(Template)]
#[template(path = "reports/confirm.html")]
pub struct ConfirmPage {
    pub css: &'static str,
    pub reader: Reader,
    pub title: String,
    pub lines: Vec<String>,
    pub action: String,
    pub button: String,
    pub back: String,
}

async fn remove_page(
    who: PageReader,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, PageError> {
    let id = path.into_inner();
    page(who, &state, move |conn, me, reader, _| {
        admins_only(me)?;
        let user = target(conn, &id)?;
        let mut lines = vec![format!(
            "{} ({}{}) will no longer be able to sign in.",
            user.email,
            role_words(user.role).to_lowercase(),
            user.unit_path
                .as_deref()
                .map(|p| format!(" of {}", unit_label(p)))
                .unwrap_or_default()
        )];
        lines.push(
            "Their sessions end and their API tokens stop working at once; an unused \
             invitation link stops working too. This cannot be undone, though they can be added again later as a new user."
                .into(),
        );
        if user.id == me.id {
            lines.push("This is you: you cannot remove yourself; ask another admin.".into());
        }
        render(&ConfirmPage {
            css: REPORT_CSS_PATH,
            reader,
            title: format!("Remove {}?", user.email),
            lines,
            action: format!("/admin/users/{}/remove", super::enc(user.id.as_str())),
            button: format!("Remove {}", user.email),
            back: USERS_PATH.into(),
        })
    })
    .await
}

async fn remove(
    PageReader(who): PageReader,
    path: web::Path<String>,
    form: web::Form<CsrfForm>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, PageError> {
    admin_form(&who, &form.csrf)?;
    let id = path.into_inner();
    let st = state.clone();
    let me = who.user.clone();
    blocking(move || {
        let mut conn = st.pool.get()?;
        let user = target(&mut conn, &id)?;
        let gone = accounts::remove_user_as(&mut conn, &me.id, &user.id)?;
        audit::record(&mut conn, &me.email, "remove user", &gone.email)
    })
    .await?;
    Ok(see_other(&format!("{USERS_PATH}?removed=1")))
}

// ---- The invitation link: anonymous ----

const WELCOME_COOKIE: &str = "wl_welcome";

#[derive(Template)]
#[template(path = "reports/welcome.html")]
struct WelcomePage {
    css: &'static str,
    /// The form's CSRF token, or empty when the link does not work (no form then).
    csrf: String,
    email: String,
    action: String,
    /// Why the link does not work, when it does not.
    closed: Option<(&'static str, &'static str)>,
    problems: Vec<Problem>,
}

impl WelcomePage {
    fn problem_for(&self, field: &str) -> Option<&str> {
        problem_for(&self.problems, field)
    }
}

fn closed_words(i: &Invitation) -> (&'static str, &'static str) {
    match i {
        Invitation::Used => (
            "This link has been used already",
            "A password was set with this link; it works once. Sign in with that password, or, if you have lost it, ask your organisation's Worklife admin for a new invitation link.",
        ),
        Invitation::Expired => (
            "This link has expired",
            "Invitation links work for 7 days. Ask your organisation's Worklife admin to add you again: you will get a new link.",
        ),
        _ => (
            "This link does not work",
            "It may have been copied incompletely, or your account was removed. Ask your organisation's Worklife admin for a new link.",
        ),
    }
}

fn welcome_response(
    state: &AppState,
    status: StatusCode,
    token: &str,
    email: String,
    closed: Option<&Invitation>,
    problems: Vec<Problem>,
) -> AppResult<HttpResponse> {
    let csrf = if closed.is_none() {
        auth::random_secret()?
    } else {
        String::new()
    };
    let body = render(&WelcomePage {
        css: REPORT_CSS_PATH,
        csrf: csrf.clone(),
        email,
        action: format!("/welcome/{}", super::enc(token)),
        closed: closed.map(closed_words),
        problems,
    })?;
    let mut r = HttpResponse::build(status);
    r.insert_header((header::CACHE_CONTROL, "no-store"));
    if !csrf.is_empty() {
        r.insert_header((
            header::SET_COOKIE,
            format!(
                "{WELCOME_COOKIE}={csrf}; Path=/welcome; HttpOnly; SameSite=Strict; Max-Age=3600{}",
                if state.settings.is_https() {
                    "; Secure"
                } else {
                    ""
                }
            ),
        ));
    }
    Ok(r.content_type("text/html; charset=utf-8").body(body))
}

fn closed_status(i: &Invitation) -> StatusCode {
    match i {
        Invitation::Unknown => StatusCode::NOT_FOUND,
        _ => StatusCode::GONE,
    }
}

async fn lookup(state: &web::Data<AppState>, token: &str) -> AppResult<Invitation> {
    let st = state.clone();
    let token = token.to_string();
    blocking(move || {
        let mut conn = st.pool.get()?;
        accounts::invitation(&mut conn, &token, st.clock.now())
    })
    .await
}

/// The link's token, read from the route without the `Path` extractor (which would log the
/// path on a failure, A4).
fn token_of(req: &HttpRequest) -> String {
    req.match_info()
        .get("token")
        .unwrap_or_default()
        .to_string()
}

async fn welcome_page(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, PageError> {
    let token = token_of(&req);
    let found = lookup(&state, &token).await?;
    Ok(match &found {
        Invitation::Open(email, _) => welcome_response(
            &state,
            StatusCode::OK,
            &token,
            email.clone(),
            None,
            Vec::new(),
        )?,
        closed => welcome_response(
            &state,
            closed_status(closed),
            &token,
            String::new(),
            Some(closed),
            Vec::new(),
        )?,
    })
}

#[derive(Deserialize)]
pub struct WelcomeForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    again: String,
}

async fn welcome(
    req: HttpRequest,
    form: web::Form<WelcomeForm>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, PageError> {
    let token = token_of(&req);
    let form = form.into_inner();
    let expected = cookie(&req, WELCOME_COOKIE).unwrap_or_default();
    if !session::same_token(&expected, &form.csrf) {
        return Err(PageError::titled(
            AppError::Forbidden(
                "The form is out of date or was not sent from this site. Open your link again \
                 and try again."
                    .into(),
            ),
            "The form has expired",
        ));
    }
    let found = lookup(&state, &token).await?;
    let Invitation::Open(email, _) = found else {
        return Ok(welcome_response(
            &state,
            closed_status(&found),
            &token,
            String::new(),
            Some(&found),
            Vec::new(),
        )?);
    };
    let mut problems = Vec::new();
    if let Some(p) = password::problem(&form.password) {
        problems.push(format!("password: {p}"));
    } else if form.password != form.again {
        problems.push("again: the two passwords differ; type the same password twice".into());
    }
    if !problems.is_empty() {
        return Ok(welcome_response(
            &state,
            StatusCode::BAD_REQUEST,
            &token,
            email,
            None,
            placed(
                problems,
                &[
                    ("password", "password", "New password"),
                    ("again", "again", "The password again"),
                ],
            ),
        )?);
    }
    // Argon2 in a slot of the sign-in queue, without a database connection.
    let Ok(slot) = state.access.passwords.slot().await else {
        return Err(AppError::Conflict("the server is busy; try again in a moment".into()).into());
    };
    let hash = hash_off_pool(form.password).await;
    drop(slot);
    let hash = hash?;
    let st = state.clone();
    let t = token.clone();
    let accepted = blocking(move || {
        let mut conn = st.pool.get()?;
        let now = st.clock.now();
        match accounts::accept_invitation(&mut conn, &t, &hash, now)? {
            Some(email) => {
                audit::record(&mut conn, &email, "set password", "with an invitation link")?;
                Ok(None)
            }
            None => Ok(Some(accounts::invitation(&mut conn, &t, now)?)),
        }
    })
    .await?;
    match accepted {
        None => Ok(HttpResponse::SeeOther()
            .insert_header((header::LOCATION, "/login?welcome=1"))
            .insert_header((
                header::SET_COOKIE,
                format!("{WELCOME_COOKIE}=; Path=/welcome; HttpOnly; SameSite=Strict; Max-Age=0"),
            ))
            .finish()),
        Some(closed) => Ok(welcome_response(
            &state,
            closed_status(&closed),
            &token,
            String::new(),
            Some(&closed),
            Vec::new(),
        )?),
    }
}
