//! `worklife user add|list|remove`, `worklife token create`, `worklife audit list`.

use std::io::BufRead;

use crate::auth::{self, audit, password, Role};
use crate::cli::{AuditCommand, RoleArg, TokenCommand, UserCommand};

pub fn user(cmd: UserCommand) -> anyhow::Result<()> {
    let (_, pool) = super::storage()?;
    let mut conn = pool.get()?;
    let (email, role, unit, password_stdin, break_glass) = match cmd {
        UserCommand::Add {
            email,
            role,
            unit,
            password_stdin,
            break_glass,
        } => (email, role, unit, password_stdin, break_glass),
        UserCommand::List => {
            for u in auth::list_users(&mut conn)? {
                say!(
                    "{}\t{}\t{}",
                    u.email,
                    u.role.as_str(),
                    u.unit_path.as_deref().unwrap_or("")
                );
            }
            return Ok(());
        }
        UserCommand::Remove { email } => {
            auth::remove_user(&mut conn, &email)?;
            audit::record(
                &mut conn,
                "cli",
                "remove user",
                &email.trim().to_lowercase(),
            )?;
            say!("user {email} removed; their sessions and API tokens no longer work");
            return Ok(());
        }
    };
    let role = match role {
        RoleArg::Admin => Role::Admin,
        RoleArg::Viewer => Role::Viewer,
        RoleArg::Manager => Role::Manager,
    };
    if break_glass && role != Role::Admin {
        anyhow::bail!(
            "--break-glass: only an admin can be a break-glass account (use --role admin)"
        );
    }
    let (secret, generated) = if password_stdin {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        (line.trim_end_matches(['\r', '\n']).to_string(), false)
    } else {
        (password::new_password()?, true)
    };
    let user = auth::add_user(&mut conn, &email, role, unit.as_deref(), &secret)?;
    if break_glass {
        auth::sso::set_break_glass(&mut conn, &user.id)?;
        audit::record(&mut conn, "cli", "add break-glass admin", &user.email)?;
    }
    say!(
        "user {} added as {}{}",
        user.email,
        user.role.as_str(),
        user.unit_path
            .as_deref()
            .map(|u| format!(" of {u}"))
            .unwrap_or_default()
    );
    if break_glass {
        say!("break-glass: may sign in with a password while password sign-in is off");
    }
    if generated {
        say!("password (shown once): {secret}");
    }
    Ok(())
}

pub fn token(cmd: TokenCommand) -> anyhow::Result<()> {
    let (_, pool) = super::storage()?;
    let mut conn = pool.get()?;
    let day = |t: Option<chrono::NaiveDateTime>, none: &str| {
        t.map_or(none.to_string(), |t| t.format("%Y-%m-%d %H:%M").to_string())
    };
    match cmd {
        TokenCommand::Create {
            user,
            name,
            expires,
        } => {
            let expires_at = auth::token_expiry(&expires, crate::clock::now())?;
            let (token, info) = auth::create_token(&mut conn, &user, &name, expires_at)?;
            audit::record(
                &mut conn,
                "cli",
                "create token",
                &format!("id={} user={}", info.id, info.owner),
            )?;
            // The token alone on stdout, for scripts; what to know about it on stderr.
            say!("{token}");
            eprintln!(
                "token {} for {}, expires {} UTC; it is shown once: send it as \
                 `Authorization: Bearer <token>`, revoke it with `worklife token revoke {}`",
                info.id,
                info.owner,
                day(info.expires_at, "never"),
                info.id
            );
        }
        TokenCommand::List => {
            say!("id\towner\tname\tcreated\tlast used\texpires");
            for t in auth::list_tokens(&mut conn)? {
                let expired = t.expires_at.is_some_and(|at| at <= crate::clock::now());
                say!(
                    "{}\t{}\t{}\t{}\t{}\t{}{}",
                    t.id,
                    t.owner,
                    t.name,
                    day(Some(t.created_at), ""),
                    day(t.last_used_at, "never"),
                    day(t.expires_at, "never"),
                    if expired { " (expired)" } else { "" }
                );
            }
        }
        TokenCommand::Revoke { id } => {
            let t = auth::revoke_token(&mut conn, &id)?;
            audit::record(
                &mut conn,
                "cli",
                "revoke token",
                &format!("id={} user={}", t.id, t.owner),
            )?;
            say!("token {} of {} revoked", t.id, t.owner);
        }
    }
    Ok(())
}

pub fn audit(cmd: AuditCommand) -> anyhow::Result<()> {
    let AuditCommand::List = cmd;
    let (_, pool) = super::storage()?;
    let mut conn = pool.get()?;
    for (at, actor, action, detail) in audit::list(&mut conn)? {
        say!(
            "{}\t{actor}\t{action}\t{detail}",
            at.format("%Y-%m-%d %H:%M:%S")
        );
    }
    Ok(())
}
