//! Passwords: argon2id hashes (PHC strings), random passwords from the OS CSPRNG.

/// 20 characters from the OS CSPRNG over an alphabet without look-alikes (about 112 bits).
pub fn new_password() -> anyhow::Result<String> {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ23456789";
    let mut out = String::with_capacity(20);
    while out.len() < 20 {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("OS random source: {e}"))?;
        // Rejection sampling keeps every character equally likely.
        let limit = 256 - 256 % ALPHABET.len();
        for b in bytes {
            if usize::from(b) < limit && out.len() < 20 {
                if let Some(&ch) = ALPHABET.get(usize::from(b) % ALPHABET.len()) {
                    out.push(char::from(ch));
                }
            }
        }
    }
    Ok(out)
}

/// What is wrong with a password someone chose, or `None`: the one rule for every new
/// password (the command line's and the browser's): 12 to 1000 characters.
pub fn problem(password: &str) -> Option<&'static str> {
    let n = password.chars().count();
    if n < 12 {
        Some("at least 12 characters are needed")
    } else if n > 1000 {
        Some("at most 1000 characters, please")
    } else {
        None
    }
}

/// An argon2id PHC string (the crate's default parameters) with a random salt.
pub fn hash_password(password: &str) -> anyhow::Result<String> {
    use argon2::password_hash::{PasswordHasher, SaltString};
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| anyhow::anyhow!("OS random source: {e}"))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| anyhow::anyhow!("salt: {e}"))?;
    argon2::Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("hashing the password: {e}"))
}

/// Whether `password` matches an argon2 PHC string made by [`hash_password`].
pub fn verify_password(hash: &str, password: &str) -> bool {
    use argon2::password_hash::{PasswordHash, PasswordVerifier};
    PasswordHash::new(hash).is_ok_and(|parsed| {
        argon2::Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

/// Password checks behind a bounded queue: at most one per core runs at a time, on the
/// blocking pool and never while holding a database connection; at most `queue` more wait.
/// Under a flood the rest are refused at once instead of piling up (argon2 is meant to be
/// slow: a check takes tens of milliseconds of one core).
#[derive(Clone)]
pub struct PasswordChecks {
    running: std::sync::Arc<tokio::sync::Semaphore>,
    waiting: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    queue: usize,
}

/// The queue is full: try again in a moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Busy;

/// A place in the queue: held from before the account's attempt is recorded until the
/// password is checked, so an attempt that cannot be checked is never counted.
pub struct Slot(#[allow(dead_code)] tokio::sync::OwnedSemaphorePermit);

impl PasswordChecks {
    pub fn new(queue: usize) -> PasswordChecks {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        PasswordChecks {
            running: std::sync::Arc::new(tokio::sync::Semaphore::new(cores)),
            waiting: Default::default(),
            queue,
        }
    }

    /// Waits for a free core, or refuses at once when `queue` checks are waiting already.
    pub async fn slot(&self) -> Result<Slot, Busy> {
        use std::sync::atomic::Ordering;
        if let Ok(permit) = self.running.clone().try_acquire_owned() {
            return Ok(Slot(permit));
        }
        if self.waiting.fetch_add(1, Ordering::SeqCst) >= self.queue {
            self.waiting.fetch_sub(1, Ordering::SeqCst);
            return Err(Busy);
        }
        let permit = self.running.clone().acquire_owned().await;
        self.waiting.fetch_sub(1, Ordering::SeqCst);
        permit.map(Slot).map_err(|_| Busy)
    }

    /// Checks `password` against `hash` on the blocking pool, in the slot taken.
    pub async fn verify(&self, _slot: &Slot, hash: String, password: String) -> bool {
        tokio::task::spawn_blocking(move || verify_password(&hash, &password))
            .await
            .unwrap_or(false)
    }
}
