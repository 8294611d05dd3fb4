//! The device cookie: after a successful sign-in, the browser gets `wl_device`, a random id
//! and the account's email signed with the server's key (nothing is stored). A later attempt
//! for the same account from that browser is counted in the browser's own bucket instead of
//! the account's ([`super::ratelimit`]), so failed attempts by others cannot lock the owner's
//! usual browser out. A stolen cookie buys no more guesses: its bucket has the same limit.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::error::{AppError, AppResult};

pub const COOKIE: &str = "wl_device";
/// A year: a browser stays known across quarterly waves.
pub const TTL_SECONDS: i64 = 365 * 24 * 3600;

fn tag(key: &[u8], id: &str, email: &str) -> AppResult<Hmac<Sha256>> {
    let mut m = Hmac::<Sha256>::new_from_slice(key)
        .map_err(|e| AppError::Unexpected(anyhow::anyhow!("device key: {e}")))?;
    // Domain-separated from session cookies, which the same key signs.
    m.update(format!("device\n{id}\n{}", email.trim().to_lowercase()).as_bytes());
    Ok(m)
}

/// A new device cookie value for `email`.
pub fn issue(key: &[u8], email: &str) -> AppResult<String> {
    let id = super::random_secret()?;
    let mac = URL_SAFE_NO_PAD.encode(tag(key, &id, email)?.finalize().into_bytes());
    Ok(format!("{id}.{mac}"))
}

/// The device id of a cookie value, if it was issued for `email`.
pub fn verify(key: &[u8], value: &str, email: &str) -> Option<String> {
    let (id, mac) = value.split_once('.')?;
    let mac = URL_SAFE_NO_PAD.decode(mac).ok()?;
    tag(key, id, email).ok()?.verify_slice(&mac).ok()?;
    Some(id.to_string())
}

/// The `Set-Cookie` value: only sent to the login form.
pub fn set_cookie(value: &str, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!(
        "{COOKIE}={value}; Path=/login; HttpOnly; SameSite=Strict; Max-Age={TTL_SECONDS}{secure}"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_device_cookie_holds_only_for_its_account_and_key() {
        let key = b"0123456789abcdef0123456789abcdef";
        let value = issue(key, "Ann@Example.org").unwrap_or_default();
        assert!(verify(key, &value, "ann@example.org").is_some());
        assert!(verify(key, &value, "bob@example.org").is_none());
        assert!(verify(
            b"another key of the right length!",
            &value,
            "ann@example.org"
        )
        .is_none());
        assert!(verify(key, "forged.value", "ann@example.org").is_none());
        assert_ne!(issue(key, "ann@example.org").unwrap_or_default(), value);
    }
}
