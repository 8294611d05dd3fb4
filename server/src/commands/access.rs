//! `worklife user add|list|remove`, `worklife token create`, `worklife audit list`.

use std::io::BufRead;

use crate::auth::{self, audit, password, Role};
use crate::cli::{AuditCommand, RoleArg, TokenCommand, UserCommand};

pub fn user(cmd: UserCommand) -> anyhow::Result<()> {
    let (_, pool) = super::storage()?;
    let mut conn = pool.get()?;
    let (email, role, unit, password_stdin) = match cmd {
        UserCommand::Add {
            email,
            role,
            unit,
            password_stdin,
        } => (email, role, unit, password_stdin),
        UserCommand::List => {
            for u in auth::list_users(&mut conn)? {
                println!(
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
            println!("user {email} removed; their sessions and API tokens no longer work");
            return Ok(());
        }
    };
    let role = match role {
        RoleArg::Admin => Role::Admin,
        RoleArg::Viewer => Role::Viewer,
        RoleArg::Manager => Role::Manager,
    };
    let (secret, generated) = if password_stdin {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        (line.trim_end_matches(['\r', '\n']).to_string(), false)
    } else {
        (password::new_password()?, true)
    };
    let user = auth::add_user(&mut conn, &email, role, unit.as_deref(), &secret)?;
    println!(
        "user {} added as {}{}",
        user.email,
        user.role.as_str(),
        user.unit_path
            .as_deref()
            .map(|u| format!(" of {u}"))
            .unwrap_or_default()
    );
    if generated {
        println!("password (shown once): {secret}");
    }
    Ok(())
}

pub fn token(cmd: TokenCommand) -> anyhow::Result<()> {
    let TokenCommand::Create { user } = cmd;
    let (_, pool) = super::storage()?;
    let mut conn = pool.get()?;
    let token = auth::create_token(&mut conn, &user)?;
    println!("{token}");
    eprintln!("this token is shown once; send it as `Authorization: Bearer <token>`");
    Ok(())
}

pub fn audit(cmd: AuditCommand) -> anyhow::Result<()> {
    let AuditCommand::List = cmd;
    let (_, pool) = super::storage()?;
    let mut conn = pool.get()?;
    for (at, actor, action, detail) in audit::list(&mut conn)? {
        println!(
            "{}\t{actor}\t{action}\t{detail}",
            at.format("%Y-%m-%d %H:%M:%S")
        );
    }
    Ok(())
}
