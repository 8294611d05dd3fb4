//! Users as admins manage them in the browser: adding one (checked field by field, with
//! problems named after the form's fields), invitation links that let a new user set their
//! own password (single-use, for [`INVITATION_DAYS`] days, only their SHA-256 stored),
//! changing a role or unit, and removing a user. An admin cannot demote or remove themselves,
//! nor the last admin. Argon2 hashing is the caller's, off any database connection: these
//! functions take the finished hash.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::{find_by_id, random_secret, sha256_hex, Role, User};
use crate::db::schema::{api_tokens, sessions, units, user_invitations, users};
use crate::db::{DbConn, UserId};
use crate::error::{AppError, AppResult};
use crate::{db_run, db_write};

/// How long an invitation link works.
pub const INVITATION_DAYS: i64 = 7;

/// A user to add, checked: email lower-cased, the unit (managers only) a unit of the roster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewUser {
    pub email: String,
    pub role: Role,
    pub unit: Option<String>,
}

/// A unit as typed: `Acme/Eng`, `Acme/Eng/` or its label `Acme › Eng`; empty is none.
fn unit_of(typed: &str) -> Option<String> {
    let path: Vec<&str> = typed
        .split(['/', '›'])
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect();
    (!path.is_empty()).then(|| path.join("/"))
}

/// The problems of a role and unit: `role: ...` / `unit: ...`.
fn check_role_unit(
    conn: &mut DbConn,
    role: &str,
    unit: &str,
    problems: &mut Vec<String>,
) -> AppResult<Option<(Role, Option<String>)>> {
    let role = match Role::parse(role.trim()) {
        Ok(r) => r,
        Err(_) => {
            problems.push("role: choose admin, viewer or manager".to_string());
            return Ok(None);
        }
    };
    let unit = unit_of(unit);
    match (role, &unit) {
        (Role::Manager, None) => {
            problems.push("unit: a manager needs a unit (the part of the organisation whose reports they read)".to_string());
        }
        (Role::Manager, Some(path)) => {
            let known: i64 = db_run!(conn, |c| units::table
                .filter(units::path.eq(path))
                .count()
                .get_result(c))?;
            if known == 0 {
                problems.push(format!(
                    "unit: \"{path}\" is not a unit of the roster (pick one from the list)"
                ));
            }
        }
        (_, Some(_)) => problems.push(format!(
            "unit: only managers have a unit; leave it empty for {} {}",
            if role == Role::Admin { "an" } else { "a" },
            role.as_str()
        )),
        (_, None) => {}
    }
    Ok(Some((role, unit)))
}

/// Checks a user to add; every problem at once, each starting with its field (`email: `,
/// `role: `, `unit: `).
pub fn check_new_user(
    conn: &mut DbConn,
    email: &str,
    role: &str,
    unit: &str,
) -> AppResult<NewUser> {
    let email = email.trim().to_lowercase();
    let mut problems = Vec::new();
    if email.is_empty() {
        problems.push("email: enter the email address they sign in with".to_string());
    } else if !email_address::EmailAddress::is_valid(&email) || email.len() > 254 {
        problems.push(format!("email: \"{email}\" is not an email address"));
    } else if super::find_by_email(conn, &email)?.is_some() {
        problems.push(format!("email: a user \"{email}\" exists already"));
    }
    let checked = check_role_unit(conn, role, unit, &mut problems)?;
    match checked {
        Some((role, unit)) if problems.is_empty() => Ok(NewUser { email, role, unit }),
        _ => Err(AppError::Validation(problems)),
    }
}

/// Adds a checked user with a password hash (argon2, made by the caller).
pub fn insert_user(conn: &mut DbConn, new: &NewUser, hash: &str) -> AppResult<User> {
    let id = UserId::new();
    let inserted = db_write!(conn, |c| diesel::insert_into(users::table)
        .values((
            users::id.eq(&id),
            users::email.eq(&new.email),
            users::role.eq(new.role.as_str()),
            users::unit_path.eq(new.unit.as_deref()),
            users::password_hash.eq(hash),
            users::created_at.eq(crate::clock::now()),
        ))
        .execute(c));
    match inserted {
        Err(diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            _,
        )) => {
            return Err(AppError::Validation(vec![format!(
                "email: a user \"{}\" exists already",
                new.email
            )]))
        }
        other => other?,
    };
    Ok(User {
        id,
        email: new.email.clone(),
        role: new.role,
        unit_path: new.unit.clone(),
    })
}

/// A new invitation link's token for a user (returned once; only its SHA-256 is stored) and
/// when it expires.
pub fn create_invitation(
    conn: &mut DbConn,
    user: &UserId,
    now: NaiveDateTime,
) -> AppResult<(String, NaiveDateTime)> {
    let token = random_secret()?;
    let expires = now + chrono::Duration::days(INVITATION_DAYS);
    db_write!(conn, |c| diesel::insert_into(user_invitations::table)
        .values((
            user_invitations::token_hash.eq(sha256_hex(&token)),
            user_invitations::user_id.eq(user),
            user_invitations::created_at.eq(now),
            user_invitations::expires_at.eq(expires),
        ))
        .execute(c))?;
    Ok((token, expires))
}

/// A new invitation link for an existing user (their previous unused links stop working):
/// for someone whose link expired, or who lost their password. Using it replaces their
/// password and ends their sessions.
pub fn reinvite(
    conn: &mut DbConn,
    user: &UserId,
    now: NaiveDateTime,
) -> AppResult<(String, NaiveDateTime)> {
    db_write!(conn, |c| diesel::delete(
        user_invitations::table
            .filter(user_invitations::user_id.eq(user))
            .filter(user_invitations::used_at.is_null())
    )
    .execute(c))?;
    create_invitation(conn, user, now)
}

/// What an invitation link is worth now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Invitation {
    /// It works: for this user, until then.
    Open(String, NaiveDateTime),
    Used,
    Expired,
    Unknown,
}

type InvitationRow = (UserId, NaiveDateTime, Option<NaiveDateTime>);

fn invitation_row(conn: &mut DbConn, token: &str) -> AppResult<Option<InvitationRow>> {
    let hash = sha256_hex(token.trim());
    Ok(db_run!(conn, |c| user_invitations::table
        .filter(user_invitations::token_hash.eq(&hash))
        .select((
            user_invitations::user_id,
            user_invitations::expires_at,
            user_invitations::used_at
        ))
        .first(c)
        .optional())?)
}

/// The invitation a link's token is, at `now`.
pub fn invitation(conn: &mut DbConn, token: &str, now: NaiveDateTime) -> AppResult<Invitation> {
    let Some((user_id, expires, used)) = invitation_row(conn, token)? else {
        return Ok(Invitation::Unknown);
    };
    if used.is_some() {
        return Ok(Invitation::Used);
    }
    if expires <= now {
        return Ok(Invitation::Expired);
    }
    Ok(match find_by_id(conn, &user_id)? {
        Some(u) => Invitation::Open(u.email, expires),
        None => Invitation::Unknown,
    })
}

/// Uses an invitation: in one transaction it is marked used (only if it was open), the
/// user's password becomes `hash` and any session of theirs ends. `Ok(None)`: the link was
/// not open (used, expired or unknown; [`invitation`] says which).
pub fn accept_invitation(
    conn: &mut DbConn,
    token: &str,
    hash: &str,
    now: NaiveDateTime,
) -> AppResult<Option<String>> {
    let token_hash = sha256_hex(token.trim());
    let user_id: Option<UserId> = db_write!(conn, |c| {
        let claimed = diesel::update(
            user_invitations::table
                .filter(user_invitations::token_hash.eq(&token_hash))
                .filter(user_invitations::used_at.is_null())
                .filter(user_invitations::expires_at.gt(now)),
        )
        .set(user_invitations::used_at.eq(Some(now)))
        .execute(c)?;
        if claimed != 1 {
            return Ok(None);
        }
        let user_id: UserId = user_invitations::table
            .filter(user_invitations::token_hash.eq(&token_hash))
            .select(user_invitations::user_id)
            .first(c)?;
        diesel::delete(sessions::table.filter(sessions::user_id.eq(&user_id))).execute(c)?;
        diesel::update(users::table.filter(users::id.eq(&user_id)))
            .set(users::password_hash.eq(hash))
            .execute(c)?;
        Ok::<_, diesel::result::Error>(Some(user_id))
    })?;
    match user_id {
        Some(id) => Ok(find_by_id(conn, &id)?.map(|u| u.email)),
        None => Ok(None),
    }
}

/// How a user gets in, as the users page shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Access {
    /// A password given to them (generated, or set on the command line).
    Password,
    /// They set their own password with their invitation link.
    OwnPassword,
    /// Invited: the link works until then; no password yet.
    Invited(NaiveDateTime),
    /// Invited, but the link expired before they used it: no password yet.
    InvitationExpired,
    /// Bound to an identity at the identity provider (they signed in with it); `true` when
    /// they may also use a break-glass password.
    SingleSignOn { break_glass: bool },
    /// Added for single sign-on, without a password, and not signed in yet.
    SingleSignOnPending,
}

/// Added for single sign-on only: the stored "hash" no password matches.
pub const NO_PASSWORD: &str = "!sso";

/// Every user with how they get in, by email.
pub fn list_accounts(conn: &mut DbConn, now: NaiveDateTime) -> AppResult<Vec<(User, Access)>> {
    let users = super::list_users(conn)?;
    // Per user: bound to the provider, break-glass, added without a password.
    let sso: Vec<(UserId, Option<String>, bool, bool)> = db_run!(conn, |c| users::table
        .select((
            users::id,
            users::sso_subject,
            users::break_glass,
            users::password_hash.eq(NO_PASSWORD)
        ))
        .load(c))?;
    let invitations: Vec<InvitationRow> = db_run!(conn, |c| user_invitations::table
        .select((
            user_invitations::user_id,
            user_invitations::expires_at,
            user_invitations::used_at
        ))
        .load(c))?;
    Ok(users
        .into_iter()
        .map(|u| {
            let theirs: Vec<&InvitationRow> = invitations
                .iter()
                .filter(|(id, _, _)| *id == u.id)
                .collect();
            let (bound, break_glass, no_password) = sso
                .iter()
                .find(|(id, ..)| *id == u.id)
                .map_or((false, false, false), |(_, s, b, n)| (s.is_some(), *b, *n));
            let access = if bound {
                Access::SingleSignOn { break_glass }
            } else if no_password {
                Access::SingleSignOnPending
            } else if theirs.is_empty() {
                Access::Password
            } else if theirs.iter().any(|(_, _, used)| used.is_some()) {
                Access::OwnPassword
            } else {
                match theirs.iter().map(|(_, at, _)| *at).max() {
                    Some(at) if at > now => Access::Invited(at),
                    _ => Access::InvitationExpired,
                }
            };
            (u, access)
        })
        .collect())
}

/// Why an admin's change to a user is refused, or `None`: not their own role, not the last
/// admin.
const LAST_ADMIN: &str =
    "this is the last admin: make someone else an admin first, so that someone can still manage users";

/// Changes a user's role and unit (`role`/`unit` as the form sends them) and ends their
/// sessions, so they sign in again with the new role. `actor` may not change their own role,
/// and the last admin stays an admin. API tokens keep working, with the new role.
pub fn update_user(
    conn: &mut DbConn,
    actor: &UserId,
    id: &UserId,
    role: &str,
    unit: &str,
) -> AppResult<User> {
    let target = find_by_id(conn, id)?
        .ok_or_else(|| AppError::NotFound("no such user (removed meanwhile?)".into()))?;
    let mut problems = Vec::new();
    // A manager made viewer or admin leaves their unit behind: the form still holds it.
    let unit = if role.trim().eq_ignore_ascii_case(Role::Manager.as_str()) {
        unit
    } else {
        ""
    };
    let checked = check_role_unit(conn, role, unit, &mut problems)?;
    let (role, unit) = match checked {
        Some(ok) if problems.is_empty() => ok,
        _ => return Err(AppError::Validation(problems)),
    };
    if target.id == *actor && role != target.role {
        return Err(AppError::Validation(vec![
            "role: you cannot change your own role; ask another admin".to_string(),
        ]));
    }
    if role == target.role && unit == target.unit_path {
        // Nothing changes: their sessions stay.
        return Ok(target);
    }
    let demoting = target.role == Role::Admin && role != Role::Admin;
    let changed = db_write!(conn, |c| {
        if demoting {
            let admins: i64 = users::table
                .filter(users::role.eq(Role::Admin.as_str()))
                .count()
                .get_result(c)?;
            if admins <= 1 {
                return Ok(false);
            }
        }
        diesel::update(users::table.filter(users::id.eq(&target.id)))
            .set((
                users::role.eq(role.as_str()),
                users::unit_path.eq(unit.as_deref()),
            ))
            .execute(c)?;
        diesel::delete(sessions::table.filter(sessions::user_id.eq(&target.id))).execute(c)?;
        Ok::<_, diesel::result::Error>(true)
    })?;
    if !changed {
        return Err(AppError::Validation(vec![format!("role: {LAST_ADMIN}")]));
    }
    Ok(User {
        role,
        unit_path: unit,
        ..target
    })
}

/// Removes a user with their sessions, API tokens and invitations, in one transaction, for
/// `actor`: not themselves, not the last admin. Returns who was removed.
pub fn remove_user_as(conn: &mut DbConn, actor: &UserId, id: &UserId) -> AppResult<User> {
    let target = find_by_id(conn, id)?
        .ok_or_else(|| AppError::NotFound("no such user (removed already?)".into()))?;
    if target.id == *actor {
        return Err(AppError::Conflict(
            "you cannot remove yourself; ask another admin".into(),
        ));
    }
    let admin = target.role == Role::Admin;
    let removed = db_write!(conn, |c| {
        if admin {
            let admins: i64 = users::table
                .filter(users::role.eq(Role::Admin.as_str()))
                .count()
                .get_result(c)?;
            if admins <= 1 {
                return Ok(false);
            }
        }
        diesel::delete(api_tokens::table.filter(api_tokens::user_id.eq(&target.id))).execute(c)?;
        diesel::delete(sessions::table.filter(sessions::user_id.eq(&target.id))).execute(c)?;
        diesel::delete(user_invitations::table.filter(user_invitations::user_id.eq(&target.id)))
            .execute(c)?;
        diesel::delete(users::table.filter(users::id.eq(&target.id))).execute(c)?;
        Ok::<_, diesel::result::Error>(true)
    })?;
    if !removed {
        return Err(AppError::Conflict(LAST_ADMIN.into()));
    }
    Ok(target)
}

/// Every unit's path, for the unit field's suggestions.
pub fn unit_paths(conn: &mut DbConn) -> AppResult<Vec<String>> {
    Ok(db_run!(conn, |c| units::table
        .select(units::path)
        .order(units::path)
        .load(c))?)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use crate::db::DbPool;

    fn db() -> (tempfile::TempDir, DbConn) {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("t.db").display());
        let pool = DbPool::connect(&url, 1).unwrap();
        pool.migrate().unwrap();
        let mut conn = pool.get().unwrap();
        db_write!(&mut conn, |c| diesel::insert_into(units::table)
            .values((
                units::id.eq("u1"),
                units::path.eq("Acme/Eng"),
                units::name.eq("Eng"),
            ))
            .execute(c))
        .unwrap();
        (dir, conn)
    }

    fn add(conn: &mut DbConn, email: &str, role: &str, unit: &str) -> User {
        let new = check_new_user(conn, email, role, unit).unwrap();
        insert_user(conn, &new, "hash").unwrap()
    }

    fn problems(r: AppResult<impl std::fmt::Debug>) -> Vec<String> {
        match r {
            Err(AppError::Validation(p)) => p,
            other => panic!("expected problems, got {other:?}"),
        }
    }

    #[test]
    fn a_new_user_is_checked_field_by_field() {
        let (_dir, mut conn) = db();
        add(&mut conn, "Ada@Example.org", "admin", "");
        let p = problems(check_new_user(&mut conn, "not-an-email", "manager", ""));
        assert!(p[0].starts_with("email: ") && p[1].starts_with("unit: a manager needs"));
        let p = problems(check_new_user(&mut conn, "ada@example.org", "viewer", ""));
        assert_eq!(p, ["email: a user \"ada@example.org\" exists already"]);
        let p = problems(check_new_user(
            &mut conn,
            "b@example.org",
            "manager",
            "Acme/Nope",
        ));
        assert!(p[0].contains("\"Acme/Nope\" is not a unit"), "{p:?}");
        let p = problems(check_new_user(&mut conn, "b@example.org", "boss", ""));
        assert!(p[0].starts_with("role: "), "{p:?}");
        // The label as the page shows it is a path too.
        let ok = check_new_user(&mut conn, "b@example.org", "manager", "Acme › Eng").unwrap();
        assert_eq!(ok.unit.as_deref(), Some("Acme/Eng"));
    }

    #[test]
    fn an_invitation_sets_a_password_once_and_not_after_it_expires() {
        let (_dir, mut conn) = db();
        let bob = add(&mut conn, "bob@example.org", "viewer", "");
        let now = crate::clock::now();
        let (token, expires) = create_invitation(&mut conn, &bob.id, now).unwrap();
        assert_eq!(expires, now + chrono::Duration::days(7));
        assert_eq!(
            invitation(&mut conn, &token, now).unwrap(),
            Invitation::Open("bob@example.org".into(), expires)
        );
        let accounts = list_accounts(&mut conn, now).unwrap();
        assert_eq!(accounts[0].1, Access::Invited(expires));
        assert_eq!(
            invitation(&mut conn, &token, expires).unwrap(),
            Invitation::Expired
        );
        assert_eq!(
            accept_invitation(&mut conn, &token, "h2", expires).unwrap(),
            None
        );
        assert_eq!(
            accept_invitation(&mut conn, &token, "h2", now).unwrap(),
            Some("bob@example.org".into())
        );
        assert_eq!(
            accept_invitation(&mut conn, &token, "h3", now).unwrap(),
            None
        );
        assert_eq!(
            invitation(&mut conn, &token, now).unwrap(),
            Invitation::Used
        );
        assert_eq!(
            invitation(&mut conn, "nonsense", now).unwrap(),
            Invitation::Unknown
        );
        let (_, hash) = super::super::find_by_email(&mut conn, "bob@example.org")
            .unwrap()
            .unwrap();
        assert_eq!(hash, "h2");
        assert_eq!(
            list_accounts(&mut conn, now).unwrap()[0].1,
            Access::OwnPassword
        );
        // A new link replaces an unused one.
        let (first, _) = reinvite(&mut conn, &bob.id, now).unwrap();
        let (second, _) = reinvite(&mut conn, &bob.id, now).unwrap();
        assert_eq!(
            invitation(&mut conn, &first, now).unwrap(),
            Invitation::Unknown
        );
        assert!(matches!(
            invitation(&mut conn, &second, now).unwrap(),
            Invitation::Open(..)
        ));
    }

    #[test]
    fn admins_cannot_demote_or_remove_themselves_or_the_last_admin() {
        let (_dir, mut conn) = db();
        let ada = add(&mut conn, "ada@example.org", "admin", "");
        let bob = add(&mut conn, "bob@example.org", "viewer", "");
        let p = problems(update_user(&mut conn, &ada.id, &ada.id, "viewer", ""));
        assert!(p[0].contains("your own role"), "{p:?}");
        assert!(matches!(
            remove_user_as(&mut conn, &ada.id, &ada.id),
            Err(AppError::Conflict(_))
        ));
        // Bob as an admin acting on the only admin.
        let p = problems(update_user(&mut conn, &bob.id, &ada.id, "viewer", ""));
        assert!(p[0].contains("last admin"), "{p:?}");
        assert!(matches!(
            remove_user_as(&mut conn, &bob.id, &ada.id),
            Err(AppError::Conflict(m)) if m.contains("last admin")
        ));
        let bob2 = update_user(&mut conn, &ada.id, &bob.id, "manager", "Acme/Eng").unwrap();
        assert_eq!(
            (bob2.role, bob2.unit_path.as_deref()),
            (Role::Manager, Some("Acme/Eng"))
        );
        let p = problems(update_user(&mut conn, &ada.id, &bob.id, "manager", ""));
        assert!(p[0].starts_with("unit: "), "{p:?}");
        update_user(&mut conn, &ada.id, &bob.id, "admin", "").unwrap();
        // Two admins now: one may demote or remove the other.
        update_user(&mut conn, &bob.id, &ada.id, "viewer", "").unwrap();
        let gone = remove_user_as(&mut conn, &bob.id, &ada.id).unwrap();
        assert_eq!(gone.email, "ada@example.org");
        assert_eq!(super::super::list_users(&mut conn).unwrap().len(), 1);
    }
}
