//! The signed-in user as an extractor, so that a handler names who it serves in its
//! arguments and returns a `Result`: [`SignedIn`] for the API (no credentials: a JSON 401)
//! and [`PageReader`] for pages (no session: the login page). Both authenticate on the
//! blocking pool, by bearer token or session cookie ([`super::access::authenticate`]).

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::error::InternalError;
use actix_web::{web, FromRequest, HttpRequest};

use super::access::{authenticate, to_login, Credentials, Reader};
use super::error::PageError;
use super::AppState;
use crate::auth::session::Session;
use crate::auth::User;
use crate::db::blocking;
use crate::error::{AppError, AppResult};

/// A user who presented a valid bearer token or session.
pub struct SignedIn {
    pub user: User,
    /// The session, for the CSRF token of the page's forms; `None` for a bearer token.
    pub session: Option<Session>,
}

impl SignedIn {
    /// Who is reading, for the page header.
    pub fn reader(&self) -> Reader {
        Reader::of(&self.user, self.session.as_ref())
    }
}

async fn signed_in(req: HttpRequest) -> AppResult<SignedIn> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| AppError::Unexpected(anyhow::anyhow!("the app state is missing")))?;
    let creds = Credentials::of(&req);
    blocking(move || {
        let mut conn = state.pool.get()?;
        let (user, session) = authenticate(&mut conn, &state.access.session_key, &creds)?
            .ok_or_else(|| AppError::Unauthorized("sign in or send a bearer token".into()))?;
        Ok(SignedIn { user, session })
    })
    .await
}

impl FromRequest for SignedIn {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<SignedIn, AppError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        Box::pin(signed_in(req.clone()))
    }
}

/// [`SignedIn`] on a page: a reader without a session goes to the login page; any other
/// failure is an error page with a way back.
pub struct PageReader(pub SignedIn);

impl FromRequest for PageReader {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<PageReader, actix_web::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let bearer = Credentials::of(req).bearer.is_some();
        let req = req.clone();
        Box::pin(async move {
            // Where sign-in should come back to, for a page that was asked for (GET).
            let next = (req.method() == actix_web::http::Method::GET)
                .then(|| req.uri().path_and_query().map(|p| p.as_str().to_string()))
                .flatten();
            match signed_in(req).await {
                Ok(who) => Ok(PageReader(who)),
                Err(e @ AppError::Unauthorized(_)) if !bearer => Err(InternalError::from_response(
                    PageError::from(e),
                    to_login(next.as_deref()),
                )
                .into()),
                Err(e) => Err(PageError::from(e).into()),
            }
        })
    }
}
