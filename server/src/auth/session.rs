//! Signed session cookies: `user.session.expiry.csrf.mac`, HMAC-SHA256 over the first four
//! parts with a key every replica reads from the database (generated once). The cookie is
//! `HttpOnly`, `SameSite=Strict` and expires; the CSRF token inside it is what every form of
//! the session carries and every state-changing POST checks. Each session is also a row
//! (`sessions`, keyed by the SHA-256 of its id), so logging out ends it on the server: a
//! copied cookie stops working then, not only at its expiry.

use std::sync::{Arc, OnceLock};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use diesel::prelude::*;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::db::schema::{server_secrets, sessions};
use crate::db::{DbConn, UserId};
use crate::error::{AppError, AppResult};
use crate::{db_run, db_write};

pub const COOKIE: &str = "wl_session";
/// Sessions last a working day.
pub const TTL_SECONDS: i64 = 8 * 3600;

const KEY_NAME: &str = "session_key";

/// The signing key, read once per process.
#[derive(Clone, Default)]
pub struct SessionKey(Arc<OnceLock<Vec<u8>>>);

impl SessionKey {
    pub fn get(&self, conn: &mut DbConn) -> AppResult<Vec<u8>> {
        if let Some(k) = self.0.get() {
            return Ok(k.clone());
        }
        let key = load_or_create(conn)?;
        Ok(self.0.get_or_init(|| key).clone())
    }
}

fn read(conn: &mut DbConn) -> AppResult<Option<String>> {
    Ok(db_run!(conn, |c| server_secrets::table
        .filter(server_secrets::name.eq(KEY_NAME))
        .select(server_secrets::value)
        .first(c)
        .optional())?)
}

fn load_or_create(conn: &mut DbConn) -> AppResult<Vec<u8>> {
    if read(conn)?.is_none() {
        let fresh = super::random_secret()?;
        // Two replicas may race here; the loser's insert fails and both read the winner's.
        let _ = db_write!(conn, |c| diesel::insert_into(server_secrets::table)
            .values((
                server_secrets::name.eq(KEY_NAME),
                server_secrets::value.eq(&fresh),
            ))
            .execute(c));
    }
    let stored = read(conn)?
        .ok_or_else(|| AppError::Unexpected(anyhow::anyhow!("no session key stored")))?;
    URL_SAFE_NO_PAD
        .decode(stored)
        .map_err(|e| AppError::Unexpected(anyhow::anyhow!("session key: {e}")))
}

fn mac(key: &[u8], body: &str) -> AppResult<Hmac<Sha256>> {
    let mut m = Hmac::<Sha256>::new_from_slice(key)
        .map_err(|e| AppError::Unexpected(anyhow::anyhow!("session key: {e}")))?;
    m.update(body.as_bytes());
    Ok(m)
}

/// A session as the cookie carries it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub user_id: UserId,
    /// Random; the database keeps only its SHA-256.
    pub id: String,
    pub expires: i64,
    pub csrf: String,
}

pub fn now_unix() -> i64 {
    chrono::Utc::now().timestamp()
}

/// A new session's cookie value.
pub fn issue(key: &[u8], user_id: &UserId) -> AppResult<(String, Session)> {
    let session = Session {
        user_id: user_id.clone(),
        id: super::random_secret()?,
        expires: now_unix() + TTL_SECONDS,
        csrf: super::random_secret()?,
    };
    let body = format!(
        "{}.{}.{}.{}",
        session.user_id, session.id, session.expires, session.csrf
    );
    let tag = URL_SAFE_NO_PAD.encode(mac(key, &body)?.finalize().into_bytes());
    Ok((format!("{body}.{tag}"), session))
}

/// The session of a cookie value, if its signature holds and it has not expired. Whether it
/// was ended meanwhile is [`super::find_by_session`]'s question.
pub fn verify(key: &[u8], value: &str) -> Option<Session> {
    let (body, tag) = value.rsplit_once('.')?;
    let tag = URL_SAFE_NO_PAD.decode(tag).ok()?;
    mac(key, body).ok()?.verify_slice(&tag).ok()?;
    let mut parts = body.splitn(4, '.');
    let user_id = UserId::from_string(parts.next()?.to_string());
    let id = parts.next()?.to_string();
    let expires: i64 = parts.next()?.parse().ok()?;
    let csrf = parts.next()?.to_string();
    (expires > now_unix()).then_some(Session {
        user_id,
        id,
        expires,
        csrf,
    })
}

/// Records a new session (and sweeps expired ones).
pub fn start(conn: &mut DbConn, session: &Session) -> AppResult<()> {
    let now = now_unix();
    db_write!(conn, |c| {
        diesel::delete(sessions::table.filter(sessions::expires_at.le(now))).execute(c)?;
        diesel::insert_into(sessions::table)
            .values((
                sessions::id_hash.eq(super::sha256_hex(&session.id)),
                sessions::user_id.eq(&session.user_id),
                sessions::expires_at.eq(session.expires),
            ))
            .execute(c)
    })?;
    Ok(())
}

/// Ends a session: its cookie no longer signs anyone in, wherever it was copied to.
pub fn end(conn: &mut DbConn, session: &Session) -> AppResult<()> {
    db_write!(conn, |c| diesel::delete(
        sessions::table.filter(sessions::id_hash.eq(super::sha256_hex(&session.id)))
    )
    .execute(c))?;
    Ok(())
}

/// `Set-Cookie` for a session (or its removal with `None`).
pub fn set_cookie(value: Option<&str>, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    match value {
        Some(v) => format!(
            "{COOKIE}={v}; Path=/; HttpOnly; SameSite=Strict; Max-Age={TTL_SECONDS}{secure}"
        ),
        None => format!("{COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{secure}"),
    }
}

/// Constant-time equality for CSRF tokens.
pub fn same_token(a: &str, b: &str) -> bool {
    use subtle_eq::eq;
    eq(a.as_bytes(), b.as_bytes())
}

mod subtle_eq {
    /// Compares without an early exit, so timing does not reveal the matching prefix.
    pub fn eq(a: &[u8], b: &[u8]) -> bool {
        if a.len() != b.len() || a.is_empty() {
            return false;
        }
        a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_tampered_or_foreign_cookie_is_refused() {
        let key = b"0123456789abcdef0123456789abcdef";
        let (value, session) = issue(key, &UserId::from_string("u1".into())).unwrap();
        assert_eq!(verify(key, &value), Some(session));
        let tampered = value.replacen("u1", "u2", 1);
        assert_eq!(verify(key, &tampered), None);
        assert_eq!(verify(b"another key of enough length....", &value), None);
        assert_eq!(verify(key, "garbage"), None);
    }
}
