//! Participation while a wave is open: invited, responded and response rate per unit,
//! rolled up the tree, under the same protection as `worklife wave status` (a count under
//! k, one that could be subtracted from a shown one, or one pinned by the roster's team
//! sizes reads "hidden"; docs/privacy.md D3, D4, P1), with the state of the invitation
//! emails. Never who answered. Admins and viewers see every unit, a manager their
//! subtree. The page refreshes its table itself (a same-origin script) while the wave is
//! open. A closed wave's counts are its release's own (the same counts its reports are built
//! on).

use actix_web::{web, HttpResponse};
use askama::Template;

use super::access::Reader;
use super::enc;
use super::error::PageError;
use super::heatmap_view::hidden_why;
use super::reports_pages::{page, render};
use super::signed_in::PageReader;
use super::AppState;
use super::{PARTICIPATION_JS_PATH, REPORT_CSS_PATH};
use crate::auth::audit;
use crate::survey::waves::{self, WaveStatus};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/reports/waves/{wave}/participation",
        web::get().to(participation),
    );
}

/// One unit's line.
pub struct UnitLine {
    pub label: String,
    pub path: String,
    pub depth: usize,
    pub invited: i64,
    /// The count, or "hidden".
    pub responded: String,
    /// Whole percent, empty where hidden.
    pub rate: String,
    /// The bar's width in %, 0 where hidden.
    pub width: u32,
}

#[derive(Template)]
#[template(path = "reports/participation.html")]
struct ParticipationPage {
    css: &'static str,
    script: &'static str,
    reader: Reader,
    wave: String,
    status: &'static str,
    open: bool,
    /// A closed wave's counts are its release's (`reports::release::unit_counts`).
    closed: bool,
    closes: String,
    k: i32,
    hidden_why: String,
    /// Invitation and reminder emails: sent, waiting to be sent, failed for good.
    mail: (i64, i64, i64),
    units: Vec<UnitLine>,
    report: Option<String>,
}

async fn participation(
    who: PageReader,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, PageError> {
    let name = path.into_inner();
    page(who, &state, move |conn, user, reader, st| {
        let wave = waves::find(conn, &name)?;
        let scope = user.scope();
        // The page refreshes itself every 30 s: one entry per reader and view per 10 minutes.
        audit::record_once_within(
            conn,
            &user.email,
            "view participation",
            &crate::reports::audit_detail(
                &wave.name,
                match &scope {
                    crate::reports::Scope::Everything => None,
                    crate::reports::Scope::Subtree(p) => Some(p.as_str()),
                },
                None,
            ),
            chrono::Duration::minutes(10),
        )?;
        let status = wave.status();
        // A scheduled wave has no snapshot yet: the table is empty and the page says so.
        let lines = crate::reports::release::unit_counts(
            conn,
            &st.access.releases,
            &st.instruments,
            &wave,
        )?;
        let mail = crate::mail::outbox::counts(conn, &wave.id)?;
        let units = lines
            .into_iter()
            .filter(|u| scope.contains(&u.path))
            .map(|u| {
                let depth = u.path.matches('/').count();
                let label = u.path.rsplit('/').next().unwrap_or(&u.path).to_string();
                let rate = (u.shown && u.invited > 0)
                    .then(|| 100.0 * u.responded as f64 / u.invited as f64);
                UnitLine {
                    label,
                    depth,
                    invited: u.invited,
                    responded: if u.shown {
                        u.responded.to_string()
                    } else {
                        "hidden".into()
                    },
                    rate: rate.map(|r| format!("{r:.0}%")).unwrap_or_default(),
                    width: rate.map_or(0, |r| r.round().clamp(0.0, 100.0) as u32),
                    path: u.path,
                }
            })
            .collect::<Vec<_>>();
        // Relative depth, so that a manager's unit starts at the left.
        let top = units.iter().map(|u| u.depth).min().unwrap_or(0);
        let units = units
            .into_iter()
            .map(|u| UnitLine {
                depth: u.depth - top,
                ..u
            })
            .collect();
        render(&ParticipationPage {
            css: REPORT_CSS_PATH,
            script: PARTICIPATION_JS_PATH,
            reader,
            status: status.as_str(),
            open: status == WaveStatus::Open,
            closed: status == WaveStatus::Closed,
            closes: st
                .settings
                .local_time(wave.closes_at)
                .format("%-d %b %Y, %H:%M %Z")
                .to_string(),
            k: wave.min_group_size,
            hidden_why: hidden_why(usize::try_from(wave.min_group_size).unwrap_or(0)),
            mail: (mail.sent, mail.pending, mail.failed),
            units,
            report: (status == WaveStatus::Closed)
                .then(|| format!("/reports/waves/{}", enc(&wave.name))),
            wave: wave.name,
        })
    })
    .await
}
