//! API tokens from create to revoke, on both databases: a name and an expiry (90 days unless
//! told), `token list` with owner, name, created, last used and expiry but never the token,
//! 401 at once after `token revoke` or once expired, and every change in the audit log.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use worklife_tests::backends;
use worklife_tests::reports_common::*;

/// The row of `token list` for `id`, split into its columns.
fn listed(ws: &worklife_tests::Workspace, id: &str) -> Option<Vec<String>> {
    ws.ok(&["token", "list"])
        .lines()
        .map(|l| l.split('\t').map(str::to_string).collect::<Vec<_>>())
        .find(|cols| cols[0] == id)
}

/// Creates a token; returns it and its id (from the note on stderr).
fn create(ws: &worklife_tests::Workspace, args: &[&str]) -> (String, String, String) {
    let mut all = vec!["token", "create", "--user", VIEWER];
    all.extend(args);
    let out = ws.worklife(&all);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let token = String::from_utf8(out.stdout).unwrap().trim().to_string();
    let note = String::from_utf8(out.stderr).unwrap();
    let id = note.split_whitespace().nth(1).unwrap().to_string();
    (token, id, note)
}

#[test]
fn tokens_are_named_listed_used_revoked_and_expire() {
    for backend in backends() {
        let f = fixture(backend);
        let ws = &f.app.workspace;
        let waves = f.app.url("/api/v1/waves");

        // A name, and 90 days unless told otherwise.
        let (token, id, note) = create(ws, &["--name", "BI export"]);
        let in_90_days = (worklife_server::clock::now() + chrono::Duration::days(90))
            .format("%Y-%m-%d")
            .to_string();
        assert!(note.contains(&format!("expires {in_90_days}")), "{note}");
        let row = listed(ws, &id).unwrap();
        assert_eq!(row[1], VIEWER);
        assert_eq!(row[2], "BI export");
        assert_eq!(row[4], "never", "not used yet: {row:?}");
        assert!(row[5].starts_with(&in_90_days), "{row:?}");
        assert!(
            !ws.ok(&["token", "list"]).contains(&token[4..]),
            "the token is never listed"
        );

        // Used: it works and its last use shows.
        assert_eq!(get(&waves, &As::Bearer(token.clone())).status, 200);
        assert_ne!(listed(ws, &id).unwrap()[4], "never", "{backend:?}");

        // Revoked: 401 on the next request, gone from the list, and a second revoke says so.
        assert!(ws.ok(&["token", "revoke", &id]).contains("revoked"));
        let refused = get(&waves, &As::Bearer(token.clone()));
        assert_eq!(refused.status, 401, "{backend:?}");
        assert!(
            refused.body.contains("revoked or expired"),
            "{}",
            refused.body
        );
        assert!(listed(ws, &id).is_none());
        let again = ws.worklife(&["token", "revoke", &id]);
        assert_eq!(again.status.code(), Some(2));
        assert!(
            String::from_utf8_lossy(&again.stderr).contains(&format!("no token with id \"{id}\""))
        );

        // Expired: the expiry passes (moved in the database, as the clock would) -> 401.
        let (old, old_id, _) = create(ws, &["--expires", "30d"]);
        assert_eq!(get(&waves, &As::Bearer(old.clone())).status, 200);
        {
            let mut conn = ws.pool().get().unwrap();
            let past = worklife_server::clock::now() - chrono::Duration::minutes(1);
            let pattern = format!("{old_id}%");
            worklife_server::db_run!(&mut conn, |c| {
                use diesel::prelude::*;
                use worklife_server::db::schema::api_tokens;
                diesel::update(api_tokens::table.filter(api_tokens::token_hash.like(&pattern)))
                    .set(api_tokens::expires_at.eq(Some(past)))
                    .execute(c)
                    .unwrap()
            });
        }
        assert_eq!(get(&waves, &As::Bearer(old)).status, 401, "{backend:?}");
        assert!(listed(ws, &old_id).unwrap()[5].ends_with("(expired)"));

        // Never, only when asked for; bad expiries are refused with the reason.
        let (_, forever, _) = create(ws, &["--expires", "never"]);
        assert_eq!(listed(ws, &forever).unwrap()[5], "never");
        for bad in ["0d", "2020-01-01", "soon"] {
            let out = ws.worklife(&["token", "create", "--user", VIEWER, "--expires", bad]);
            assert_eq!(out.status.code(), Some(2), "{bad}");
            assert!(
                String::from_utf8_lossy(&out.stderr).contains("--expires"),
                "{bad}"
            );
        }

        // Every change is in the audit log, with the id and never the token.
        let audit = ws.ok(&["audit", "list"]);
        assert!(
            audit.contains(&format!("create token\tid={id} user={VIEWER}")),
            "{audit}"
        );
        assert!(
            audit.contains(&format!("revoke token\tid={id} user={VIEWER}")),
            "{audit}"
        );
        assert!(!audit.contains(&token[4..]));
    }
}
