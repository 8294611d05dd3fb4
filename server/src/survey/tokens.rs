//! Invitation and API tokens (A2): 256 bits from the OS CSPRNG, carried only in links and
//! headers, stored only as a SHA-256 hash.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use sha2::{Digest, Sha256};

/// Length of a wave's public link tag.
pub const TAG_LEN: usize = 8;
/// Length of the secret part: 32 random bytes in base64url.
const SECRET_LEN: usize = 43;

fn random(bytes: usize) -> anyhow::Result<String> {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf).map_err(|e| anyhow::anyhow!("OS random source: {e}"))?;
    Ok(URL_SAFE_NO_PAD.encode(buf))
}

/// A fresh public tag for a wave (6 random bytes).
pub fn new_tag() -> anyhow::Result<String> {
    random(6)
}

/// A fresh invitation token: the wave's public tag, then 256 secret random bits.
pub fn new_token(tag: &str) -> anyhow::Result<String> {
    Ok(format!("{tag}{}", random(32)?))
}

/// The wave tag a token claims to carry.
pub fn tag_of(token: &str) -> Option<&str> {
    plausible(token).then(|| token.get(..TAG_LEN)).flatten()
}

/// The stored form of a token.
pub fn hash(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether a string could be a token at all (cheap check before any database work).
pub fn plausible(token: &str) -> bool {
    token.len() == TAG_LEN + SECRET_LEN
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_random_and_hash_to_hex() {
        let tag = new_tag().unwrap();
        assert_eq!(tag.len(), TAG_LEN);
        let a = new_token(&tag).unwrap();
        let b = new_token(&tag).unwrap();
        assert_ne!(a, b);
        assert!(plausible(&a));
        assert_eq!(tag_of(&a), Some(tag.as_str()));
        assert_eq!(hash(&a).len(), 64);
        assert_ne!(hash(&a), a);
        assert_eq!(
            hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert!(!plausible("short"));
        assert!(!plausible(&format!("{}!", &a[..50])));
    }
}
