//! The audit log as a page for admins: who read or changed what, newest first, filterable
//! by user, action and wave, a hundred entries a page. The log holds no answer and no figure
//! (see [`crate::auth::audit`]); the page shows it as stored.

use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::access::Reader;
use super::error::PageError;
use super::heatmap_view::with_query;
use super::reports_pages::{page, render};
use super::signed_in::PageReader;
use super::{AppState, REPORT_CSS_PATH};
use crate::auth::audit::{self, Entry, Filter};
use crate::error::AppError;

pub const AUDIT_PATH: &str = "/reports/audit";

/// Entries per page.
const PER_PAGE: i64 = 100;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route(AUDIT_PATH, web::get().to(audit_log));
}

#[derive(Deserialize, Default)]
pub struct AuditQuery {
    pub user: Option<String>,
    pub action: Option<String>,
    pub wave: Option<String>,
    /// 1 for the newest hundred.
    pub page: Option<String>,
}

/// A choice of a filter's select: value, and whether it is the one chosen.
pub struct Choice {
    pub value: String,
    pub chosen: bool,
}

#[derive(Template)]
#[template(path = "reports/audit.html")]
struct AuditPage {
    css: &'static str,
    reader: Reader,
    users: Vec<Choice>,
    actions: Vec<Choice>,
    wave: String,
    entries: Vec<(String, Entry)>,
    page: i64,
    newer: Option<String>,
    older: Option<String>,
    filtered: bool,
}

async fn audit_log(
    who: PageReader,
    q: web::Query<AuditQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, PageError> {
    let q = q.into_inner();
    page(who, &state, move |conn, user, reader, st| {
        super::console::admins_only(user)?;
        let trimmed = |v: &Option<String>| v.as_deref().unwrap_or("").trim().to_string();
        let filter = Filter {
            actor: trimmed(&q.user),
            action: trimmed(&q.action),
            wave: trimmed(&q.wave),
        };
        let number = match trimmed(&q.page).as_str() {
            "" => 1,
            p => p
                .parse::<i64>()
                .ok()
                .filter(|n| (1..=1_000_000).contains(n))
                .ok_or_else(|| {
                    AppError::Validation(vec![format!(
                        "page: \"{p}\" is not a page number (1, 2, ...)"
                    )])
                })?,
        };
        // One more than a page tells whether there is an older page.
        let mut entries = audit::search(conn, &filter, (number - 1) * PER_PAGE, PER_PAGE + 1)?;
        let more = entries.len() > usize::try_from(PER_PAGE).unwrap_or(usize::MAX);
        entries.truncate(usize::try_from(PER_PAGE).unwrap_or(usize::MAX));
        let (actions, actors) = audit::choices(conn)?;
        let choices = |all: Vec<String>, chosen: &str| {
            all.into_iter()
                .map(|value| Choice {
                    chosen: value == chosen,
                    value,
                })
                .collect()
        };
        let link = |n: i64| {
            let number = n.to_string();
            let pairs: Vec<(&str, &str)> = [
                ("user", filter.actor.as_str()),
                ("action", filter.action.as_str()),
                ("wave", filter.wave.as_str()),
                ("page", number.as_str()),
            ]
            .into_iter()
            // Page 1 is the page without a number.
            .filter(|(k, v)| !(v.is_empty() || (*k == "page" && n == 1)))
            .collect();
            with_query(AUDIT_PATH, &pairs)
        };
        render(&AuditPage {
            css: REPORT_CSS_PATH,
            reader,
            users: choices(actors, &filter.actor),
            actions: choices(actions, &filter.action),
            entries: entries
                .into_iter()
                .map(|e| {
                    let local = st
                        .settings
                        .local_time(e.at)
                        .format("%-d %b %Y, %H:%M:%S %Z");
                    (local.to_string(), e)
                })
                .collect(),
            page: number,
            newer: (number > 1).then(|| link(number - 1)),
            older: more.then(|| link(number + 1)),
            filtered: !(filter.actor.is_empty()
                && filter.action.is_empty()
                && filter.wave.is_empty()),
            wave: filter.wave,
        })
    })
    .await
}
