//! The roster for admins: how many people in how many units, the attributes reports can cut
//! by, and the roster as CSV in the import format (`roster export`'s file, formula-guarded by
//! the one CSV writer). Every download is audited. Its upload form changes the roster (a
//! preview first, then the import: `roster_import.rs`), as `worklife roster import` does on
//! the server; after an import the page says what it changed.

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use askama::Template;

use super::access::Reader;
use super::console::admins_only;
use super::error::PageError;
use super::reports_pages::{page, render};
use super::signed_in::PageReader;
use super::{AppState, REPORT_CSS_PATH};
use crate::auth::audit;
use crate::db::blocking;
use crate::survey::roster::{self, ImportReport};

pub const ROSTER_PATH: &str = "/reports/roster";
pub const UPLOAD_PATH: &str = "/reports/roster/upload";
pub const IMPORT_PATH: &str = "/reports/roster/import";

/// The largest roster file accepted: 10 MB (10 × 1024 × 1024 bytes), about 150,000 people
/// with a few attributes each.
pub const UPLOAD_LIMIT: usize = 10 * 1024 * 1024;

/// A size in megabytes, as people read it: "12.3 MB".
pub fn megabytes(bytes: usize) -> String {
    let mb = format!("{:.1}", bytes as f64 / (1024.0 * 1024.0));
    format!("{} MB", mb.strip_suffix(".0").unwrap_or(&mb))
}

/// What an import changes (or changed): the counts of an [`ImportReport`], without emails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    pub added: usize,
    pub moved: usize,
    pub changed: usize,
    pub unchanged: usize,
    /// People in the roster but not in the file.
    pub absent: usize,
    /// Whether those were (or will be) removed.
    pub pruned: bool,
    pub units_created: usize,
}

impl Counts {
    /// The import would remove more than a tenth of the roster: a mistake is likely (a
    /// partial file with the box ticked), so the page warns in red.
    pub fn removes_many(&self) -> bool {
        let now = self.unchanged + self.moved + self.changed + self.absent;
        self.pruned && self.absent > 0 && self.absent * 10 > now
    }
}

impl From<&ImportReport> for Counts {
    fn from(r: &ImportReport) -> Counts {
        Counts {
            added: r.added,
            moved: r.moved,
            changed: r.changed,
            unchanged: r.unchanged,
            absent: r.absent.len(),
            pruned: r.pruned,
            units_created: r.units_created,
        }
    }
}

impl Counts {
    /// The roster page's address after the import, carrying these counts.
    pub fn confirmation_path(&self) -> String {
        format!(
            "{ROSTER_PATH}?imported={}.{}.{}.{}.{}.{}.{}",
            self.added,
            self.moved,
            self.changed,
            self.unchanged,
            self.absent,
            u8::from(self.pruned),
            self.units_created
        )
    }

    /// `?imported=` of the roster page after an import.
    pub fn of_query(q: &str) -> Option<Counts> {
        let n = q
            .split('.')
            .map(|p| p.parse().ok())
            .collect::<Option<Vec<usize>>>()?;
        let [added, moved, changed, unchanged, absent, pruned, units_created] = n[..] else {
            return None;
        };
        Some(Counts {
            added,
            moved,
            changed,
            unchanged,
            absent,
            pruned: pruned == 1,
            units_created,
        })
    }

    /// The preview's table: (what, how many), in the future tense.
    pub fn rows(&self) -> Vec<(&'static str, usize)> {
        vec![
            ("New people, to be added", self.added),
            ("People moving to another unit", self.moved),
            (
                "People staying in their unit with other attribute values",
                self.changed,
            ),
            ("People unchanged", self.unchanged),
            (
                if self.pruned {
                    "People not in the file, to be removed"
                } else {
                    "People not in the file, kept (they would be removed only with the box ticked)"
                },
                self.absent,
            ),
            ("New units, to be created", self.units_created),
        ]
    }

    /// What an import did, in one sentence.
    pub fn done(&self) -> String {
        let people = |n: usize| format!("{n} {}", if n == 1 { "person" } else { "people" });
        format!(
            "{} added, {} moved to another unit, {} with other attribute values, {} unchanged; {} not in the file {}; {} new {} created.",
            people(self.added),
            self.moved,
            self.changed,
            self.unchanged,
            people(self.absent),
            if self.pruned { "removed" } else { "kept" },
            self.units_created,
            if self.units_created == 1 { "unit" } else { "units" }
        )
    }
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route(ROSTER_PATH, web::get().to(roster_page))
        .route("/reports/roster.csv", web::get().to(roster_csv));
}

#[derive(Template)]
#[template(path = "reports/roster.html")]
struct RosterPage {
    css: &'static str,
    reader: Reader,
    people: i64,
    units: i64,
    attributes: Vec<String>,
    upload_path: &'static str,
    limit: String,
    /// Problems with the upload, shown next to the file field.
    file_problems: Vec<String>,
    prune: bool,
    /// After an import: what it changed.
    imported: Option<Counts>,
}

/// The roster page with its upload form (showing `problems` about the file, if any).
pub fn roster_form_page(
    conn: &mut crate::db::DbConn,
    reader: Reader,
    problems: Vec<String>,
    prune: bool,
    imported: Option<Counts>,
) -> crate::error::AppResult<String> {
    let (people, units) = roster::size(conn)?;
    render(&RosterPage {
        css: REPORT_CSS_PATH,
        reader,
        people,
        units,
        attributes: roster::attribute_names(conn)?,
        upload_path: UPLOAD_PATH,
        limit: megabytes(UPLOAD_LIMIT),
        file_problems: problems
            .iter()
            .map(|p| {
                let p = p.strip_prefix("file: ").unwrap_or(p);
                let mut c = p.chars();
                c.next()
                    .map(|f| f.to_uppercase().chain(c).collect())
                    .unwrap_or_default()
            })
            .collect(),
        prune,
        imported,
    })
}

#[derive(serde::Deserialize)]
struct RosterQuery {
    imported: Option<String>,
}

async fn roster_page(
    who: PageReader,
    q: Result<web::Query<RosterQuery>, actix_web::Error>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, PageError> {
    let imported = q
        .ok()
        .and_then(|q| q.into_inner().imported)
        .and_then(|i| Counts::of_query(&i));
    page(who, &state, move |conn, user, reader, _| {
        admins_only(user)?;
        roster_form_page(conn, reader, Vec::new(), false, imported)
    })
    .await
}

async fn roster_csv(
    PageReader(who): PageReader,
    state: web::Data<AppState>,
) -> Result<HttpResponse, PageError> {
    let st = state.clone();
    let body = blocking(move || {
        admins_only(&who.user)?;
        let mut conn = st.pool.get()?;
        audit::record(&mut conn, &who.user.email, "export roster", "")?;
        roster::export(&mut conn)
    })
    .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/csv; charset=utf-8"))
        .insert_header((
            header::CONTENT_DISPOSITION,
            "attachment; filename=\"worklife-roster.csv\"",
        ))
        .body(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_as_people_say_them() {
        assert_eq!(megabytes(UPLOAD_LIMIT), "10 MB");
        assert_eq!(megabytes(12_897_485), "12.3 MB");
        assert_eq!(megabytes(1_300_000), "1.2 MB");
        assert_eq!(megabytes(1024 * 1024), "1 MB");
    }

    #[test]
    fn the_confirmation_comes_back_from_its_address() {
        let c = Counts {
            added: 3,
            moved: 1,
            changed: 2,
            unchanged: 5,
            absent: 4,
            pruned: true,
            units_created: 1,
        };
        let path = c.confirmation_path();
        let q = path.split_once("?imported=").unwrap().1;
        assert_eq!(Counts::of_query(q), Some(c));
        assert_eq!(
            c.done(),
            "3 people added, 1 moved to another unit, 2 with other attribute values, 5 unchanged; 4 people not in the file removed; 1 new unit created."
        );
        assert!(Counts::of_query("3.1").is_none());
        assert!(Counts::of_query("x.1.2.5.4.1.2").is_none());
    }
}
