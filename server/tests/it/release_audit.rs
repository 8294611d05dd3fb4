//! The disclosure audit kept at close (docs/privacy.md D5, D7), on both databases: `wave
//! close` audits the release and says so, `wave status` shows what was kept, `wave audit`
//! runs it again, and a running server audits a wave that closes while it runs (and leaves
//! the ones that were closed before it started to `wave audit`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Stdio;
use std::time::{Duration, Instant};

use survey_engine::instrument::builtin;
use worklife_server::reports::disclosure_audit::{self, KeptAudit};
use worklife_server::survey::waves;
use worklife_tests::mail_common::{quick, serve};
use worklife_tests::reports_common::{open_and_answer, roster};
use worklife_tests::{backends, Workspace};

/// The scales and items of the built-in `worklife-core`: what one audit checks.
fn core_measures() -> i32 {
    let core = builtin::load("worklife-core").unwrap().unwrap();
    i32::try_from(core.scales.len() + core.items.len()).unwrap()
}

fn kept(ws: &Workspace, name: &str) -> Option<KeptAudit> {
    let pool = ws.pool();
    let mut conn = pool.get().unwrap();
    let wave = waves::find(&mut conn, name).unwrap();
    disclosure_audit::kept(&mut conn, &wave.id).unwrap()
}

#[test]
fn closing_a_wave_audits_its_release_once_and_keeps_the_counts() {
    for backend in backends() {
        let ws = Workspace::new(backend);
        ws.ok(&["roster", "import", &ws.write("roster.csv", &roster())]);
        // Without report attributes every protection (D4, P1, P2) covers every group, so the
        // audit must find nothing at all.
        open_and_answer(&ws, "Plain", "2020-01-01", 0, &[], usize::MAX);
        assert!(
            kept(&ws, "Plain").is_none(),
            "{backend:?}: no audit while open"
        );
        let out = ws.ok(&["wave", "close", "Plain"]);
        let measures = core_measures();
        assert!(
            out.contains(&format!(
                "disclosure audit: passed: no small group can be seen or worked out ({measures} measures checked in"
            )),
            "{backend:?}: {out}"
        );
        let audit = kept(&ws, "Plain").expect("kept at close");
        assert_eq!(audit.measures, measures, "{backend:?}");
        assert!(audit.clean(), "{backend:?}: {audit:?}");
        assert_eq!(
            (audit.breaches, audit.pinned_counts, audit.narrow_means),
            (Some(0), 0, 0)
        );
        let status = ws.ok(&["wave", "status", "Plain"]);
        assert!(
            status.contains(&format!(
                "disclosure audit: {}",
                audit.summary(
                    "Plain",
                    &audit.audited_at.format("%Y-%m-%d %H:%M UTC").to_string()
                )
            )),
            "{backend:?}: {status}"
        );

        // With a report attribute (tenure), in an organisation this small (under 2,000
        // cells), every protection covers every group too (P2 with attributes: docs/privacy.md
        // D7), so the audit finds nothing either.
        open_and_answer(&ws, "Cut", "2020-01-01", 2, &["tenure"], usize::MAX);
        let out = ws.ok(&["wave", "close", "Cut"]);
        assert!(out.contains("disclosure audit: "), "{backend:?}: {out}");
        let cut = kept(&ws, "Cut").expect("kept at close");
        assert_eq!(
            (cut.breaches, cut.pinned_counts, cut.narrow_means),
            (Some(0), 0, 0),
            "{backend:?}: {out}"
        );
        let again = ws.ok(&["wave", "audit", "Cut"]);
        assert!(
            again.starts_with("wave \"Cut\": disclosure audit "),
            "{backend:?}: {again}"
        );
        assert!(!again.contains("adding and subtracting:"), "{again}");
        assert!(!again.contains("count pinned:"), "{again}");
        // A reader that stops reading (`wave audit Cut | head -0`) ends the output, not with
        // a panic: the pipe is closed before the audit has anything to print.
        let mut piped = ws
            .command(&["wave", "audit", "Cut"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        drop(piped.stdout.take());
        let closed = piped.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&closed.stderr);
        assert!(
            closed.status.success() && stderr.is_empty(),
            "{backend:?}: {:?}: {stderr}",
            closed.status
        );
        // One row per wave, whatever reran it.
        let pool = ws.pool();
        let mut conn = pool.get().unwrap();
        let rows = disclosure_audit::kept_all(&mut conn).unwrap().len();
        assert_eq!(rows, 2, "{backend:?}");

        // An open wave has no release to audit: refused, and nothing is kept.
        open_and_answer(&ws, "Open", "2020-01-01", 1, &[], 3);
        let refused = ws.worklife(&["wave", "audit", "Open"]);
        assert!(!refused.status.success(), "{backend:?}");
        assert!(
            String::from_utf8_lossy(&refused.stderr)
                .contains("reports exist only for closed waves"),
            "{backend:?}: {}",
            String::from_utf8_lossy(&refused.stderr)
        );
        assert!(kept(&ws, "Open").is_none());
    }
}

#[test]
fn a_running_server_audits_a_wave_that_closes_while_it_runs() {
    for backend in backends() {
        let ws = Workspace::new(backend);
        ws.ok(&["roster", "import", &ws.write("roster.csv", &roster())]);
        // Closed before the server starts, without an audit (as `worklife demo` or an older
        // version leaves it): the server leaves it to `wave audit`.
        open_and_answer(&ws, "Before", "2020-01-01", 0, &[], usize::MAX);
        waves::close(&ws.pool(), "Before").unwrap();
        open_and_answer(&ws, "During", "2020-01-01", 3, &[], usize::MAX);
        let _server = serve(&ws, &quick());
        // Closed by something other than `wave close` (the schedule, the console, another
        // replica): the domain's close alone keeps no audit.
        waves::close(&ws.pool(), "During").unwrap();
        let deadline = Instant::now() + Duration::from_secs(60);
        let audit = loop {
            if let Some(audit) = kept(&ws, "During") {
                break audit;
            }
            assert!(
                Instant::now() < deadline,
                "{backend:?}: the server did not audit the wave"
            );
            std::thread::sleep(Duration::from_millis(100));
        };
        assert!(audit.clean(), "{backend:?}: {audit:?}");
        assert_eq!(audit.measures, core_measures());
        assert!(kept(&ws, "Before").is_none(), "{backend:?}");
        let status = ws.ok(&["wave", "status", "Before"]);
        assert!(
            status.contains(
                "disclosure audit: not run yet: a running server audits each wave that closes while it runs; `worklife wave audit Before` runs it now"
            ),
            "{backend:?}: {status}"
        );
    }
}
