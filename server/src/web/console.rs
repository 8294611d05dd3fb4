//! What the admin console's pages share: they are for admins only, and every form on them
//! changes something only when it comes from a signed-in session with that session's CSRF
//! token (a bearer token cannot post a form: it has no session, so no token to send back).

use actix_web::http::header;
use actix_web::HttpResponse;

use super::signed_in::SignedIn;
use crate::auth::session::same_token;
use crate::auth::{Role, User};
use crate::error::{AppError, AppResult};

/// The console's pages: waves, users and API tokens (the roster, audit log and settings
/// pages keep their `/reports/...` addresses).
pub const WAVES_PATH: &str = "/admin/waves";
pub const USERS_PATH: &str = "/admin/users";
pub const TOKENS_PATH: &str = "/admin/tokens";

/// Refuses everyone but admins.
pub fn admins_only(user: &User) -> AppResult<()> {
    if user.role == Role::Admin {
        Ok(())
    } else {
        Err(AppError::Forbidden(
            "this page is for admins; ask one of your organisation's admins".into(),
        ))
    }
}

/// An admin's form: refused unless `who` is an admin signed in with a session whose CSRF
/// token is `sent`.
pub fn admin_form(who: &SignedIn, sent: &str) -> AppResult<()> {
    admins_only(&who.user)?;
    match &who.session {
        Some(s) if !sent.is_empty() && same_token(&s.csrf, sent) => Ok(()),
        _ => Err(AppError::Forbidden(
            "the form has expired or did not come from this site; reload the page and try again"
                .into(),
        )),
    }
}

/// After a change: back to a page (`303 See Other`, so a reload does not post again).
pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location.to_string()))
        .finish()
}
