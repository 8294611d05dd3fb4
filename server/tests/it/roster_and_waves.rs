//! The command line an HR admin uses: roster import and its errors, the wave lifecycle, on
//! SQLite and PostgreSQL, through the real binary.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use worklife_tests::{backends, Workspace};

const ROSTER: &str = "email,unit,tenure,location\n\
ann@example.org,Acme/Eng/Platform,<1y,Berlin\n\
bob@example.org,Acme/Eng/Platform,1-5y,Berlin\n\
cid@example.org,Acme/Eng,5y+,\n\
dee@example.org,Acme/Sales,1-5y,Lisbon\n\
eve@example.org,Acme,5y+,Lisbon\n";

#[test]
fn roster_import_creates_units_updates_movers_and_prunes_only_when_asked() {
    for backend in backends() {
        let ws = Workspace::new(backend);
        let file = ws.write("roster.csv", ROSTER);
        let dry = ws.ok(&["roster", "import", &file, "--dry-run"]);
        assert!(dry.contains("5 would be added"), "{backend:?}: {dry}");
        assert_eq!(
            ws.ok(&["roster", "export"]),
            "email,unit\n",
            "dry run wrote nothing"
        );

        let out = ws.ok(&["roster", "import", &file]);
        assert!(
            out.contains("5 were added") && out.contains("4 unit(s) were created"),
            "{out}"
        );
        let export = ws.ok(&["roster", "export"]);
        assert!(
            export.starts_with("email,unit,location,tenure\n"),
            "{export}"
        );
        assert!(export.contains("ann@example.org,Acme/Eng/Platform,Berlin,<1y\n"));

        // Bob moved to Sales, Ann left; Ann stays until --prune.
        let moved = ws.write(
            "moved.csv",
            "email,unit,tenure,location\nBOB@example.org,Acme/Sales,1-5y,Berlin\n\
             cid@example.org,Acme/Eng,5y+,\ndee@example.org,Acme/Sales,1-5y,Lisbon\n\
             eve@example.org,Acme,5y+,Lisbon\n",
        );
        let out = ws.ok(&["roster", "import", &moved]);
        assert!(
            out.contains("1 were updated") && out.contains("3 unchanged"),
            "{out}"
        );
        assert!(
            out.contains(
                "1 people not in the file, kept (use --prune to remove them):\n  ann@example.org"
            ),
            "{out}"
        );
        assert!(ws
            .ok(&["roster", "export"])
            .contains("bob@example.org,Acme/Sales,Berlin,1-5y"));
        let out = ws.ok(&["roster", "import", &moved, "--prune"]);
        assert!(out.contains("removed:\n  ann@example.org"), "{out}");
        assert!(!ws.ok(&["roster", "export"]).contains("ann@"));
    }
}

#[test]
fn a_bad_roster_lists_every_bad_row_and_writes_nothing() {
    for backend in backends() {
        let ws = Workspace::new(backend);
        let bad = ws.write(
            "bad.csv",
            "email,unit,tenure\nok@example.org,Acme/A,1y\nnot-an-email,Acme/B,1y\n\
             ok@example.org,Acme/C,1y\nx@example.org,Acme//D,1y\ny@example.org,,1y\n\
             z@example.org,Acme/E\nw@example.org,Other/F,1y\n",
        );
        let o = ws.worklife(&["roster", "import", &bad]);
        assert_eq!(o.status.code(), Some(2), "{backend:?}");
        let err = String::from_utf8_lossy(&o.stderr);
        for e in [
            "line 3: \"not-an-email\" is not a valid email address",
            "line 4: duplicate email \"ok@example.org\" (first on line 2)",
            "line 5: unit: the unit path \"Acme//D\" has an empty segment",
            "line 6: unit: the unit path is empty",
            "line 7: wrong number of columns: 2 instead of 3",
            "line 8: unit \"Other/F\" is not under the organisation root \"Acme\"",
        ] {
            assert!(err.contains(e), "{backend:?}: missing {e:?} in {err}");
        }
        assert_eq!(
            ws.ok(&["roster", "export"]),
            "email,unit\n",
            "nothing was written"
        );
        let o = ws.worklife(&[
            "roster",
            "import",
            &ws.write("nohead.csv", "mail,team\na@b.org,X\n"),
        ]);
        assert_eq!(o.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&o.stderr).contains("no \"email\" column"));
    }
}

#[test]
fn wave_lifecycle_from_create_to_close() {
    for backend in backends() {
        let ws = Workspace::new(backend);
        ws.ok(&["roster", "import", &ws.write("roster.csv", ROSTER)]);
        // Refusals: k below 3, an attribute that is not a roster column, closing before opening.
        for (args, expect) in [
            (
                vec!["--min-group-size", "2"],
                "min-group-size: 2 is refused",
            ),
            (
                vec!["--attribute", "shoe_size"],
                "attribute: \"shoe_size\" is not a roster column",
            ),
        ] {
            let mut all = vec![
                "wave",
                "create",
                "Q1",
                "--instrument",
                "worklife-pulse",
                "--opens",
                "2026-01-01",
                "--closes",
                "2030-01-01",
            ];
            all.extend(args);
            let o = ws.worklife(&all);
            assert_eq!(o.status.code(), Some(2), "{backend:?} {all:?}");
            assert!(String::from_utf8_lossy(&o.stderr).contains(expect));
        }
        let o = ws.worklife(&[
            "wave",
            "create",
            "Q1",
            "--instrument",
            "worklife-pulse",
            "--opens",
            "2026-02-01",
            "--closes",
            "2026-01-01",
        ]);
        assert_eq!(o.status.code(), Some(2));

        let out = ws.ok(&[
            "wave",
            "create",
            "2026-Q4",
            "--instrument",
            "worklife-pulse",
            "--opens",
            "2026-10-01",
            "--closes",
            "2099-12-31 18:00",
            "--min-group-size",
            "3",
            "--attribute",
            "tenure",
        ]);
        assert!(
            out.contains("worklife-pulse@2") && out.contains("k = 3"),
            "{out}"
        );
        let o = ws.worklife(&[
            "wave",
            "create",
            "2026-Q4",
            "--instrument",
            "worklife-pulse",
            "--opens",
            "2026-10-01",
            "--closes",
            "2099-12-31",
        ]);
        assert_eq!(o.status.code(), Some(2), "duplicate name");
        assert!(ws
            .ok(&["wave", "list"])
            .contains("2026-Q4              scheduled"));

        let out = ws.ok(&["wave", "open", "2026-Q4"]);
        assert!(
            out.contains("5 people invited, 5 invitation(s) queued")
                && out.contains("5 email(s) sent to"),
            "{out}"
        );
        let links = ws.links();
        assert_eq!(links.len(), 5);
        assert!(links.iter().all(|l| l.starts_with("http://127.0.0.1:9/s/")));
        let o = ws.worklife(&["wave", "open", "2026-Q4"]);
        assert_eq!(o.status.code(), Some(2), "a wave opens once");

        let status = ws.ok(&["wave", "status", "2026-Q4"]);
        assert!(
            status.contains("Acme                                            5     hidden"),
            "{status}"
        );
        assert!(
            status.contains("Acme/Eng/Platform                               2     hidden"),
            "{status}"
        );

        let out = ws.ok(&["wave", "close", "2026-Q4"]);
        assert!(out.contains("closed: 0 response(s) kept"), "{out}");
        assert!(ws
            .ok(&["wave", "list"])
            .contains("2026-Q4              closed"));
        let o = ws.worklife(&["wave", "close", "2026-Q4"]);
        assert_eq!(o.status.code(), Some(2), "a wave closes once");
        let o = ws.worklife(&["wave", "status", "nope"]);
        assert_eq!(o.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&o.stderr).contains("no wave named \"nope\""));
    }
}

#[test]
fn instruments_import_and_list() {
    for backend in backends() {
        let ws = Workspace::new(backend);
        let list = ws.ok(&["instrument", "list"]);
        assert!(list.contains("worklife-core@2") && list.contains("worklife-pulse@2"));
        let mini = std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../server/tests/fixtures/mini.toml"),
        )
        .unwrap();
        let file = ws.write("mini.toml", &mini);
        assert!(ws.ok(&["instrument", "import", &file]).contains("mini@1"));
        assert!(
            ws.ok(&["instrument", "import", &file]).contains("mini@1"),
            "re-import is a no-op"
        );
        let changed = ws.write(
            "mini2.toml",
            &mini.replace("title = \"Mini\"", "title = \"Other\""),
        );
        let o = ws.worklife(&["instrument", "import", &changed]);
        assert_eq!(o.status.code(), Some(2));
        assert!(
            String::from_utf8_lossy(&o.stderr).contains("already imported with different content")
        );
        assert!(ws.ok(&["instrument", "list"]).contains("mini@1"));
    }
}

/// A wave status the program does not know (a hand edit, a newer version's value) is an
/// error that names it, never read as another state: `scheduled` could open the wave again.
/// The same for a JSON column.
#[test]
fn unknown_values_in_the_database_are_errors_not_defaults() {
    use diesel::connection::SimpleConnection;
    use worklife_server::db::DbConn;
    use worklife_server::survey::waves::{self, WaveStatus};
    for backend in backends() {
        let ws = Workspace::new(backend);
        ws.ok(&["roster", "import", &ws.write("roster.csv", ROSTER)]);
        ws.ok(&[
            "wave",
            "create",
            "Q1",
            "--instrument",
            "worklife-pulse",
            "--opens",
            "2030-01-01",
            "--closes",
            "2030-02-01",
        ]);
        let pool = ws.pool();
        let mut conn = pool.get().unwrap();
        assert_eq!(
            waves::find(&mut conn, "Q1").unwrap().status(),
            WaveStatus::Scheduled
        );
        let sql = "UPDATE waves SET status = 'paused'";
        match &mut conn {
            DbConn::Sqlite(c, _) => c.batch_execute(sql).unwrap(),
            DbConn::Postgres(c) => c.batch_execute(sql).unwrap(),
        }
        let err = waves::find(&mut conn, "Q1").unwrap_err();
        assert!(
            format!("{err:#}").contains("unknown wave status \"paused\""),
            "{backend:?}: {err:#}"
        );
        let out = ws.worklife(&["wave", "list"]);
        assert!(!out.status.success(), "{backend:?}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("unknown wave status \"paused\""),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );

        // Likewise a JSON column that does not hold the JSON expected: an error, not "no
        // attributes" (which would export a roster without them).
        let sql = "UPDATE people SET attributes = 'tenure=<1y' WHERE email = 'ann@example.org'";
        match &mut conn {
            DbConn::Sqlite(c, _) => c.batch_execute(sql).unwrap(),
            DbConn::Postgres(c) => c.batch_execute(sql).unwrap(),
        }
        let out = ws.worklife(&["roster", "export"]);
        assert!(!out.status.success(), "{backend:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("a JSON column holds something else"), "{err}");
        assert!(out.stdout.is_empty(), "no half export");
    }
}

#[test]
fn roster_export_guards_cells_that_a_spreadsheet_would_run() {
    let ws = Workspace::new(worklife_tests::Backend::Sqlite);
    let roster = "email,unit,tenure,site\n\
                  a@x.org,Acme/=HYPERLINK(1),@SUM(1),+cmd\n\
                  b@x.org,Acme/-2+3,-1,\"=1+1\"\n";
    ws.ok(&["roster", "import", &ws.write("roster.csv", roster)]);
    let out = ws.ok(&["roster", "export"]);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(out.as_bytes());
    let rows: Vec<Vec<String>> = reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect();
    let cells: Vec<&String> = rows.iter().flatten().collect();
    // Guarded with a leading apostrophe; a plain negative number stays a number.
    for guarded in ["'@SUM(1)", "'+cmd", "'=1+1"] {
        assert!(cells.iter().any(|c| *c == guarded), "{guarded} in {out}");
    }
    assert!(cells.iter().any(|c| *c == "-1"), "{out}");
    for cell in cells {
        let risky = cell.starts_with(['=', '+', '@', '\t', '\r'])
            || (cell.starts_with('-') && cell.parse::<f64>().is_err());
        assert!(!risky, "{cell:?} in {out}");
    }
}

/// Invitations give the closing time on the organisation's clock (`timezone`), as the answer
/// form does: a wave closing at midnight UTC on 1 July closes at 02:00 summer time in Berlin.
#[test]
fn invitations_give_the_closing_time_in_the_organisations_time_zone() {
    for backend in backends() {
        let ws = Workspace::new(backend);
        let roster =
            "email,unit\na@example.org,Acme/Eng\nb@example.org,Acme/Eng\nc@example.org,Acme/Eng\n";
        ws.ok(&["roster", "import", &ws.write("roster.csv", roster)]);
        ws.ok(&[
            "wave",
            "create",
            "Summer",
            "--instrument",
            "worklife-core",
            "--opens",
            "2020-01-01",
            "--closes",
            "2099-07-01",
            "--min-group-size",
            "3",
        ]);
        let opened = ws.worklife_env(
            &["wave", "open", "Summer"],
            &[("WORKLIFE_TIMEZONE", "Europe/Berlin".to_string())],
        );
        assert!(opened.status.success(), "{backend:?}: {opened:?}");
        let mails: Vec<String> = std::fs::read_dir(ws.outbox())
            .unwrap()
            .flatten()
            .map(|e| std::fs::read_to_string(e.path()).unwrap())
            .collect();
        assert_eq!(mails.len(), 3, "{backend:?}");
        for mail in &mails {
            assert!(
                mail.contains("2099-07-01 02:00 CEST"),
                "{backend:?}: {mail}"
            );
            assert!(!mail.contains("UTC"), "{backend:?}");
        }
    }
}
