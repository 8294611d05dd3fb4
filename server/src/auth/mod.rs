//! Who may read reports: users with a role (admin, viewer, manager of a unit), their
//! passwords, API tokens, signed session cookies, login rate limiting and the audit log.

pub mod accounts;
pub mod audit;
pub mod device;
pub mod password;
pub mod ratelimit;
pub mod session;
pub mod sso;
pub mod throttle;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use sha2::{Digest, Sha256};

use crate::db::schema::{api_tokens, units, users};
use crate::db::{DbConn, UserId};
use crate::error::{AppError, AppResult};
use crate::reports::Scope;
use crate::{db_run, db_write};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Admin,
    Viewer,
    Manager,
}

impl Role {
    pub fn parse(s: &str) -> AppResult<Role> {
        match s {
            "admin" => Ok(Role::Admin),
            "viewer" => Ok(Role::Viewer),
            "manager" => Ok(Role::Manager),
            other => Err(AppError::validation(format!(
                "role: \"{other}\" is not a role (admin, viewer or manager)"
            ))),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Viewer => "viewer",
            Role::Manager => "manager",
        }
    }
}

/// A signed-in user.
#[derive(Clone, Debug)]
pub struct User {
    pub id: UserId,
    pub email: String,
    pub role: Role,
    pub unit_path: Option<String>,
}

impl User {
    /// What this user may read: managers their unit's subtree, everyone else everything.
    pub fn scope(&self) -> Scope {
        match (self.role, &self.unit_path) {
            (Role::Manager, Some(p)) => Scope::Subtree(p.clone()),
            // A manager without a unit sees nothing: an empty path matches no unit.
            (Role::Manager, None) => Scope::Subtree(String::new()),
            _ => Scope::Everything,
        }
    }
}

/// A user as stored, with the password hash that [`User`] leaves out.
#[derive(Queryable, Selectable)]
#[diesel(table_name = users)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
struct UserRow {
    id: UserId,
    email: String,
    role: String,
    unit_path: Option<String>,
    password_hash: String,
}

fn user_of(row: UserRow) -> AppResult<(User, String)> {
    Ok((
        User {
            id: row.id,
            email: row.email,
            role: Role::parse(&row.role)?,
            unit_path: row.unit_path,
        },
        row.password_hash,
    ))
}

/// The user with this email and their password hash.
pub fn find_by_email(conn: &mut DbConn, email: &str) -> AppResult<Option<(User, String)>> {
    let row: Option<UserRow> = db_run!(conn, |c| users::table
        .filter(users::email.eq(email.trim().to_lowercase()))
        .select(UserRow::as_select())
        .first(c)
        .optional())?;
    row.map(user_of).transpose()
}

pub fn find_by_id(conn: &mut DbConn, id: &UserId) -> AppResult<Option<User>> {
    let row: Option<UserRow> = db_run!(conn, |c| users::table
        .filter(users::id.eq(id))
        .select(UserRow::as_select())
        .first(c)
        .optional())?;
    Ok(row.map(user_of).transpose()?.map(|(u, _)| u))
}

/// Creates a user; a manager needs a unit of the current organisation tree.
pub fn add_user(
    conn: &mut DbConn,
    email: &str,
    role: Role,
    unit: Option<&str>,
    password: &str,
) -> AppResult<User> {
    let email = email.trim().to_lowercase();
    let mut problems = Vec::new();
    if !email_address::EmailAddress::is_valid(&email) {
        problems.push(format!("--email: \"{email}\" is not an email address"));
    }
    if let Some(p) = password::problem(password) {
        problems.push(format!("password: {p}"));
    }
    let unit = unit.map(|u| u.trim().trim_end_matches('/').to_string());
    match (role, &unit) {
        (Role::Manager, None) => problems.push("--unit: a manager needs a unit".to_string()),
        (Role::Manager, Some(path)) => {
            let known: i64 = db_run!(conn, |c| units::table
                .filter(units::path.eq(path))
                .count()
                .get_result(c))?;
            if known == 0 {
                problems.push(format!("--unit: \"{path}\" is not a unit of the roster"));
            }
        }
        (_, Some(_)) => problems.push("--unit: only managers have a unit".to_string()),
        (_, None) => {}
    }
    if !problems.is_empty() {
        return Err(AppError::Validation(problems));
    }
    let hash = password::hash_password(password)?;
    let id = UserId::new();
    let inserted = db_write!(conn, |c| diesel::insert_into(users::table)
        .values((
            users::id.eq(&id),
            users::email.eq(&email),
            users::role.eq(role.as_str()),
            users::unit_path.eq(unit.as_deref()),
            users::password_hash.eq(&hash),
            users::created_at.eq(crate::clock::now()),
        ))
        .execute(c));
    match inserted {
        Err(diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            _,
        )) => {
            return Err(AppError::Conflict(format!(
                "a user \"{email}\" exists already"
            )))
        }
        other => other?,
    };
    Ok(User {
        id,
        email,
        role,
        unit_path: unit,
    })
}

/// The user of a verified session that is still on record (not logged out, not expired):
/// one query, on every signed-in request.
pub fn find_by_session(conn: &mut DbConn, session: &session::Session) -> AppResult<Option<User>> {
    use crate::db::schema::sessions;
    let (id_hash, now) = (sha256_hex(&session.id), session::now_unix());
    let row: Option<UserRow> = db_run!(conn, |c| users::table
        .inner_join(sessions::table)
        .filter(sessions::id_hash.eq(&id_hash))
        .filter(sessions::user_id.eq(&session.user_id))
        .filter(sessions::expires_at.gt(now))
        .select(UserRow::as_select())
        .first(c)
        .optional())?;
    Ok(row.map(user_of).transpose()?.map(|(u, _)| u))
}

/// Every user, by email.
pub fn list_users(conn: &mut DbConn) -> AppResult<Vec<User>> {
    let rows: Vec<UserRow> = db_run!(conn, |c| users::table
        .select(UserRow::as_select())
        .order(users::email)
        .load(c))?;
    rows.into_iter()
        .map(|r| user_of(r).map(|(u, _)| u))
        .collect()
}

/// Removes a user with their API tokens and sessions, in one transaction: whatever they
/// held stops working at the next request.
pub fn remove_user(conn: &mut DbConn, email: &str) -> AppResult<()> {
    use crate::db::schema::sessions;
    let email = email.trim().to_lowercase();
    let removed = db_write!(conn, |c| {
        let ids: Vec<UserId> = users::table
            .filter(users::email.eq(&email))
            .select(users::id)
            .load(c)?;
        diesel::delete(api_tokens::table.filter(api_tokens::user_id.eq_any(&ids))).execute(c)?;
        diesel::delete(sessions::table.filter(sessions::user_id.eq_any(&ids))).execute(c)?;
        diesel::delete(users::table.filter(users::id.eq_any(&ids))).execute(c)
    })?;
    if removed == 0 {
        return Err(AppError::NotFound(format!("no user \"{email}\"")));
    }
    Ok(())
}

/// Gives a user a new password and ends their sessions, in one transaction. `hash` is the new
/// password's argon2 hash (made by the caller, off any pool). `NotFound` if there is no
/// such user.
pub fn set_password_hash(conn: &mut DbConn, email: &str, hash: &str) -> AppResult<()> {
    use crate::db::schema::sessions;
    let email = email.trim().to_lowercase();
    let changed = db_write!(conn, |c| {
        let ids: Vec<UserId> = users::table
            .filter(users::email.eq(&email))
            .select(users::id)
            .load(c)?;
        diesel::delete(sessions::table.filter(sessions::user_id.eq_any(&ids))).execute(c)?;
        diesel::update(users::table.filter(users::id.eq_any(&ids)))
            .set(users::password_hash.eq(hash))
            .execute(c)
    })?;
    if changed == 0 {
        return Err(AppError::NotFound(format!("no user \"{email}\"")));
    }
    Ok(())
}

/// SHA-256 of a secret, hex.
pub fn sha256_hex(secret: &str) -> String {
    Sha256::digest(secret.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// 32 bytes from the OS CSPRNG, base64url.
pub fn random_secret() -> AppResult<String> {
    use base64::Engine;
    let mut buf = [0u8; 32];
    getrandom::fill(&mut buf)
        .map_err(|e| AppError::Unexpected(anyhow::anyhow!("OS random source: {e}")))?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(buf))
}

/// Characters of a token's hash that name it in `token list` and `token revoke`.
pub const TOKEN_ID_LEN: usize = 12;

/// An API token as `token list` shows it: never the token, only an id from its hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenInfo {
    pub id: String,
    pub owner: String,
    pub name: String,
    pub created_at: NaiveDateTime,
    pub last_used_at: Option<NaiveDateTime>,
    pub expires_at: Option<NaiveDateTime>,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = api_tokens)]
struct TokenRow {
    token_hash: String,
    user_id: UserId,
    name: String,
    created_at: NaiveDateTime,
    expires_at: Option<NaiveDateTime>,
    last_used_at: Option<NaiveDateTime>,
}

/// When a token made now stops working: `90d` (days), a date (the end of that day, UTC)
/// or `never`. A time in the past is refused.
pub fn token_expiry(spec: &str, now: NaiveDateTime) -> AppResult<Option<NaiveDateTime>> {
    let spec = spec.trim();
    if spec.eq_ignore_ascii_case("never") {
        return Ok(None);
    }
    let bad = || {
        AppError::validation(format!(
            "--expires: \"{spec}\" is not a number of days (90d), a date (2027-03-31) or never"
        ))
    };
    let at = if let Some(days) = spec.strip_suffix('d') {
        let days: i64 = days.parse().map_err(|_| bad())?;
        if !(1..=3650).contains(&days) {
            return Err(AppError::validation(format!(
                "--expires: {days}d is refused: give 1d to 3650d, or never"
            )));
        }
        now + chrono::Duration::days(days)
    } else {
        chrono::NaiveDate::parse_from_str(spec, "%Y-%m-%d")
            .ok()
            .and_then(|d| d.and_hms_opt(23, 59, 59))
            .ok_or_else(bad)?
    };
    if at <= now {
        return Err(AppError::validation(format!(
            "--expires: {spec} has passed already"
        )));
    }
    Ok(Some(at))
}

/// A new API token for a user; returned once, stored only as its SHA-256. Its id (for
/// `token list` and `token revoke`) is returned with it.
pub fn create_token(
    conn: &mut DbConn,
    email: &str,
    name: &str,
    expires_at: Option<NaiveDateTime>,
) -> AppResult<(String, TokenInfo)> {
    let (user, _) = find_by_email(conn, email)?
        .ok_or_else(|| AppError::NotFound(format!("--user: no user \"{email}\"")))?;
    let token = format!("wlt_{}", random_secret()?);
    let hash = sha256_hex(&token);
    let now = crate::clock::now();
    let name = name.trim();
    db_write!(conn, |c| diesel::insert_into(api_tokens::table)
        .values((
            api_tokens::token_hash.eq(&hash),
            api_tokens::user_id.eq(&user.id),
            api_tokens::created_at.eq(now),
            api_tokens::name.eq(name),
            api_tokens::expires_at.eq(expires_at),
        ))
        .execute(c))?;
    let info = TokenInfo {
        id: hash.chars().take(TOKEN_ID_LEN).collect(),
        owner: user.email,
        name: name.to_string(),
        created_at: now,
        last_used_at: None,
        expires_at,
    };
    Ok((token, info))
}

/// Every API token, oldest first.
pub fn list_tokens(conn: &mut DbConn) -> AppResult<Vec<TokenInfo>> {
    let rows: Vec<(TokenRow, String)> = db_run!(conn, |c| api_tokens::table
        .inner_join(users::table.on(users::id.eq(api_tokens::user_id)))
        .select((TokenRow::as_select(), users::email))
        .order((api_tokens::created_at, api_tokens::token_hash))
        .load(c))?;
    Ok(rows
        .into_iter()
        .map(|(t, owner)| TokenInfo {
            id: t.token_hash.chars().take(TOKEN_ID_LEN).collect(),
            owner,
            name: t.name,
            created_at: t.created_at,
            last_used_at: t.last_used_at,
            expires_at: t.expires_at,
        })
        .collect())
}

/// Revokes the token `id` names (`token list`): deleted, so the next request with it gets
/// 401. Returns what it was.
pub fn revoke_token(conn: &mut DbConn, id: &str) -> AppResult<TokenInfo> {
    let id = id.trim().to_ascii_lowercase();
    let found = list_tokens(conn)?.into_iter().find(|t| t.id == id);
    let Some(token) = found.filter(|_| id.len() == TOKEN_ID_LEN) else {
        return Err(AppError::NotFound(format!(
            "no token with id \"{id}\" (see `worklife token list`)"
        )));
    };
    let pattern = format!("{id}%");
    db_write!(conn, |c| diesel::delete(
        api_tokens::table.filter(api_tokens::token_hash.like(&pattern))
    )
    .execute(c))?;
    Ok(token)
}

/// The user a bearer token belongs to, if it exists and has not expired. Its last use is
/// recorded to the minute (so a busy client does not write on every request).
pub fn user_of_token(conn: &mut DbConn, token: &str) -> AppResult<Option<User>> {
    let hash = sha256_hex(token.trim());
    let row: Option<TokenRow> = db_run!(conn, |c| api_tokens::table
        .filter(api_tokens::token_hash.eq(&hash))
        .select(TokenRow::as_select())
        .first(c)
        .optional())?;
    let Some(row) = row else {
        return Ok(None);
    };
    let now = crate::clock::now();
    if row.expires_at.is_some_and(|at| at <= now) {
        return Ok(None);
    }
    if row
        .last_used_at
        .is_none_or(|at| now - at >= chrono::Duration::minutes(1))
    {
        db_write!(conn, |c| diesel::update(
            api_tokens::table.filter(api_tokens::token_hash.eq(&hash))
        )
        .set(api_tokens::last_used_at.eq(Some(now)))
        .execute(c))?;
    }
    find_by_id(conn, &row.user_id)
}
