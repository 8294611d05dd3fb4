//! The report of one unit in one closed wave, `GET /reports/waves/{wave}/print?unit=PATH`:
//! response rate, scales, burnout profiles, the trend, every question and the unit's action
//! items. One view model for the printable page and its PDF ([`super::unit_pdf`]), so the
//! two can never differ in a figure or a word: every figure is cut from the release exactly
//! once, here (D6), and formatted here.

use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;
use survey_engine::comments::themes::themes;
use survey_engine::disclosure::{CellKey, CellStatus};
use survey_engine::reliability::ReleasedAlpha;

use super::access::Reader;
use super::enc;
use super::error::PageError;
use super::items_page::{item_views, ScaleView};
use super::reports_api::{read, Read, ReportQuery};
use super::reports_pages::{page, render, trend_chart, TrendChart};
use super::signed_in::PageReader;
use super::AppState;
use super::REPORT_CSS_PATH;
use crate::db::DbConn;
use crate::error::AppResult;
use crate::plans::items;

/// An interval or alpha left out because the cell's sd is shown only as a band (D7); the
/// report's note ([`UnitReport::spread_note`]) says why.
const SPREAD_WITHHELD_CELL: &str = "not shown (see the note)";

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/reports/waves/{wave}/print", web::get().to(print));
}

/// One scale's row of the report. A hidden row carries no figure at all, only its status.
pub struct ScaleLine {
    pub scale: String,
    pub status: &'static str,
    pub n: String,
    pub mean: String,
    pub ci: String,
    pub favorable: String,
    pub alpha: String,
    pub alpha_warning: bool,
}

impl ScaleLine {
    pub fn shown(&self) -> bool {
        self.status == CellStatus::Shown.as_str()
    }

    /// The words beside a low Cronbach's alpha.
    pub fn warning(&self) -> Option<&'static str> {
        self.alpha_warning.then_some(ALPHA_WARNING)
    }
}

/// An action item of the unit's plan as the report lists it.
pub struct ActionLine {
    pub title: String,
    pub owner: String,
    pub status: &'static str,
    /// `YYYY-MM-DD`, or empty.
    pub due: String,
}

/// What the printable report and its PDF show.
pub struct UnitReport {
    pub wave: String,
    pub unit: String,
    pub k: usize,
    pub invited: i64,
    /// A count, or "hidden".
    pub respondents: String,
    pub rate: String,
    pub scales: Vec<ScaleLine>,
    /// What a hidden row means, in the heat map's words.
    pub hidden_why: String,
    /// Each profile and its share (a % or a band in words); empty when hidden.
    pub profiles: Vec<(&'static str, String)>,
    pub chart: TrendChart,
    /// Every question by scale, as the items page shows it.
    pub questions: Vec<ScaleView>,
    pub actions: Vec<ActionLine>,
    /// What people wrote in the unit; `None` when the wave asked no open question.
    pub comments: Option<CommentsSection>,
}

/// One comment as the report prints it.
pub struct CommentLine {
    /// The open question as asked.
    pub question: String,
    /// The comment, redacted when it was stored.
    pub text: String,
}

/// The report's comments: the unit's whole cell, from the comment release only, so the
/// report shows exactly what the comments page shows for the unit.
pub struct CommentsSection {
    /// Whether the cell shows its comments.
    pub shown: bool,
    /// A shown cell's comments, in the release's order (which tells nothing); empty when
    /// hidden.
    pub comments: Vec<CommentLine>,
    /// "What people wrote (…)" for a shown cell, else why nothing is shown.
    pub lead: String,
    /// The themes at least the threshold of writers touched, in one line; `None` if none.
    pub themes: Option<String>,
}

impl CommentsSection {
    /// The section for the unit at `key` (its path `unit`), or `None` when the wave asked no
    /// open question.
    fn of(
        conn: &mut DbConn,
        st: &AppState,
        ctx: &crate::reports::Context,
        key: CellKey,
        unit: &str,
    ) -> AppResult<Option<CommentsSection>> {
        let inst = &ctx.current.instrument;
        if inst.prompts.is_empty() {
            return Ok(None);
        }
        let built = st.access.comments.get(conn, &ctx.current, &ctx.wave)?;
        let t = built.threshold;
        let shown = built.status(key) == CellStatus::Shown;
        let comments: Vec<CommentLine> = built
            .in_cell(key)
            .into_iter()
            .map(|c| CommentLine {
                question: inst
                    .prompts
                    .iter()
                    .find(|p| p.id == c.prompt)
                    .map_or_else(|| c.prompt.clone(), |p| p.text.clone()),
                text: c.body.clone(),
            })
            .collect();
        let themes = themes_line(&built.themes_in_cell(key), t);
        Ok(Some(CommentsSection {
            lead: if shown {
                shown_lead(comments.len())
            } else {
                hidden_lead(unit, t)
            },
            shown,
            comments,
            themes,
        }))
    }
}

/// The line above a shown cell's comments.
fn shown_lead(n: usize) -> String {
    let s = if n == 1 { "" } else { "s" };
    format!("What people wrote ({n} comment{s}, in no particular order)")
}

/// Why a hidden cell shows no comments, in words a reader needs no rule for.
fn hidden_lead(unit: &str, threshold: usize) -> String {
    format!(
        "No comments are shown for {unit}: fewer than {threshold} people wrote one, or \
         showing them would let someone pick out what a smaller group wrote."
    )
}

/// "Themes at least T people wrote about: Workload (12), …", or `None` without any.
fn themes_line(found: &[(&'static str, usize)], threshold: usize) -> Option<String> {
    if found.is_empty() {
        return None;
    }
    let all = themes();
    let named: Vec<String> = found
        .iter()
        .map(|(id, n)| {
            let label = all.iter().find(|t| t.id == *id).map_or(*id, |t| t.label_en);
            format!("{label} ({n})")
        })
        .collect();
    Some(format!(
        "Themes at least {threshold} people wrote about: {}",
        named.join(", ")
    ))
}

/// The words under a low Cronbach's alpha, on the page and in the PDF.
pub const ALPHA_WARNING: &str = "below 0.70: read with care";

impl UnitReport {
    /// The report of the unit `r` was narrowed to (`?unit=`, checked against the reader's
    /// scope by [`super::reports_api::read`]), else of the reader's top unit: the
    /// organisation, or a manager's unit.
    pub fn of(conn: &mut DbConn, st: &AppState, r: &Read) -> AppResult<UnitReport> {
        let ctx = &r.ctx;
        let rel = ctx.release();
        let (unit, unit_path) = r.unit()?;
        let key = CellKey { unit, cut: None };
        // Cronbach's alpha as the release may show it (D6: only beside a shown scale, over at
        // least k complete answer sheets).
        let inst = &ctx.current.instrument;
        let alphas = rel.unit_alphas(unit);
        let k = rel.k;
        let f2 = |x: Option<f64>| x.map(|v| format!("{v:.2}")).unwrap_or_default();
        let scales = rel
            .scales
            .iter()
            .enumerate()
            .map(|(s, id)| {
                let cell = rel.heat_cell(s, key);
                let shown = cell.is_some_and(|c| c.status == CellStatus::Shown);
                let st = cell.and_then(|c| c.stats).filter(|_| shown);
                let alpha = alphas.get(s).copied().unwrap_or(ReleasedAlpha::Hidden);
                ScaleLine {
                    scale: inst.scales.get(s).map_or(id.clone(), |x| x.label.clone()),
                    status: cell.map_or("hidden", |c| c.status.as_str()),
                    n: st.map(|s| s.n.to_string()).unwrap_or_default(),
                    mean: match cell.and_then(|c| c.mean_band).filter(|_| shown) {
                        Some(b) => b.label().to_string(),
                        None => f2(st.and_then(|s| s.mean)),
                    },
                    ci: match st {
                        Some(s) if s.ci_low.is_some() => {
                            format!("{}–{}", f2(s.ci_low), f2(s.ci_high))
                        }
                        Some(_) if cell.is_some_and(|c| c.sd_below.is_some()) => {
                            SPREAD_WITHHELD_CELL.to_string()
                        }
                        _ => String::new(),
                    },
                    favorable: match cell.and_then(|c| c.favorable_band).filter(|_| shown) {
                        Some(b) => b.label().to_string(),
                        None => st
                            .and_then(|s| s.favorable_pct)
                            .map(|p| format!("{p:.0}%"))
                            .unwrap_or_default(),
                    },
                    alpha: match alpha {
                        ReleasedAlpha::Shown(a) => f2(a),
                        ReleasedAlpha::TooFewCompleteSheets => {
                            format!("fewer than {k} complete answer sheets")
                        }
                        // A banded mean shows no interval either; its band says why.
                        ReleasedAlpha::SpreadWithheld if cell.is_some_and(|c| c.mean_band.is_some()) => {
                            String::new()
                        }
                        ReleasedAlpha::SpreadWithheld => SPREAD_WITHHELD_CELL.to_string(),
                        ReleasedAlpha::Hidden => String::new(),
                    },
                    alpha_warning: matches!(alpha, ReleasedAlpha::Shown(Some(a)) if alpha_is_low(a)),
                }
            })
            .collect();
        let profiles = rel
            .profile_cell(key)
            .and_then(|c| c.percentages())
            .map(|(_, pct)| {
                pct.into_iter()
                    .map(|(p, v)| (p.as_str(), v.text()))
                    .collect()
            })
            .unwrap_or_default();
        let chart = trend_chart(conn, st, &ctx.wave, &unit_path)?;
        let comments = CommentsSection::of(conn, st, ctx, key, &unit_path)?;
        // Read through the plans module only: the items as the plan pages keep them.
        let actions = items::list(conn, &unit_path)?
            .into_iter()
            .map(|i| ActionLine {
                title: i.title,
                owner: i.owner,
                status: i.status.label(),
                due: i.due_date.map(|d| d.to_string()).unwrap_or_default(),
            })
            .collect();
        Ok(UnitReport {
            wave: rel.wave.clone(),
            k,
            invited: ctx.current.invited.get(&unit_path).copied().unwrap_or(0),
            respondents: ctx
                .respondents(unit)
                .map(|n| n.to_string())
                .unwrap_or_else(|| "hidden".into()),
            rate: ctx
                .response_rate(unit)
                .map(|p| format!("{p:.0}%"))
                .unwrap_or_else(|| "–".into()),
            scales,
            hidden_why: super::heatmap_view::hidden_why(k),
            profiles,
            chart,
            questions: item_views(ctx, key),
            actions,
            comments,
            unit: unit_path,
        })
    }
}

impl UnitReport {
    /// Who was asked and who answered, as the report's first line.
    pub fn summary(&self) -> String {
        format!(
            "Invited {}, respondents {}, response rate {}. Minimum group size k = {}.",
            self.invited, self.respondents, self.rate, self.k
        )
    }

    /// Why some intervals and alphas read "not shown", when any do (D7).
    pub fn spread_note(&self) -> Option<String> {
        let withheld = self
            .scales
            .iter()
            .any(|s| s.ci == SPREAD_WITHHELD_CELL || s.alpha == SPREAD_WITHHELD_CELL);
        withheld.then(|| {
            format!(
                "Not shown: where the answers in this unit are close together, the interval and \
                 Cronbach's α would tell how far the average of a smaller group inside it \
                 (fewer than {} people, such as a team or a tenure band) can be from the \
                 unit's, so they are left out. The n, the mean and the favourable share are \
                 exact.",
                self.k
            )
        })
    }

    /// What a hidden scale row says instead of its figures.
    pub fn hidden_row(&self) -> String {
        format!("hidden: {}", self.hidden_why)
    }

    /// How to read the questions.
    pub fn questions_note(&self) -> String {
        let questions = self.questions.iter().flat_map(|s| &s.items);
        let total = questions.clone().count();
        let shown = questions.filter(|i| i.hidden.is_empty()).count();
        let count = match shown {
            0 => "No question can be shown for this unit in this wave.".to_string(),
            _ if shown == total => format!("All {total} questions are shown."),
            _ => format!("{shown} of {total} questions are shown; the others are hidden."),
        };
        format!(
            "{count} Each question counts the people who answered it among those with a \
             score for its area, so a question and its area describe the same people. A \
             question fewer than k = {} people answered is hidden, and so is one whose \
             figures would reveal a smaller group; \
             where everyone, or everyone but one, gave the same answer, only that is said. \
             Reverse-scored questions are worded the other way round.",
            self.k
        )
    }

    pub fn no_actions(&self) -> &'static str {
        "No action items for this unit yet."
    }

    pub fn disclaimer(&self) -> &'static str {
        "Screening and team-climate figures, not clinical diagnoses."
    }
}

#[derive(Template)]
#[template(path = "reports/print.html")]
struct PrintPage<'a> {
    css: &'static str,
    reader: Reader,
    /// The same report as a PDF file.
    pdf: String,
    r: &'a UnitReport,
    /// The report's trend, named as the shared chart template expects.
    chart: &'a TrendChart,
}

/// The unit a report is about (a path inside the reader's scope; the reader's top unit when
/// absent).
#[derive(Deserialize)]
pub(super) struct UnitQuery {
    pub unit: Option<String>,
}

impl UnitQuery {
    /// The read a unit report makes: the unit, no cut.
    pub(super) fn report(self) -> ReportQuery {
        ReportQuery {
            attribute: None,
            unit: self.unit,
        }
    }
}

async fn print(
    who: PageReader,
    path: web::Path<String>,
    q: web::Query<UnitQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, PageError> {
    let wave = path.into_inner();
    let q = q.into_inner().report();
    let for_errors = wave.clone();
    page(who, &state, move |conn, user, reader, st| {
        let r = read(conn, user, st, &wave, &q, "view print report")?;
        let report = UnitReport::of(conn, st, &r)?;
        render(&PrintPage {
            css: REPORT_CSS_PATH,
            reader,
            pdf: pdf_href(&wave, q.unit.as_deref()),
            r: &report,
            chart: &report.chart,
        })
    })
    .await
    .map_err(|e| e.see_participation(&for_errors))
}

/// Where the PDF of `wave`'s report on `unit` (the reader's top unit when `None`) is
/// ([`super::unit_pdf`]).
pub fn pdf_href(wave: &str, unit: Option<&str>) -> String {
    let base = format!("/reports/waves/{}/report.pdf", enc(wave));
    match unit.map(str::trim).filter(|u| !u.is_empty()) {
        Some(u) => format!("{base}?unit={}", enc(u)),
        None => base,
    }
}

/// Whether Cronbach's alpha gets the "below 0.70" warning, judged on the figure as printed
/// (two decimals): 0.697 prints as 0.70, which is not below 0.70.
fn alpha_is_low(alpha: f64) -> bool {
    (alpha * 100.0).round() < 70.0
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_alpha_warning_agrees_with_the_printed_figure() {
        assert!(super::alpha_is_low(0.6949));
        assert!(!super::alpha_is_low(0.697));
        assert!(!super::alpha_is_low(0.70));
        assert!(!super::alpha_is_low(0.85));
    }

    #[test]
    fn the_comments_section_says_what_it_shows_in_words() {
        assert_eq!(
            super::shown_lead(12),
            "What people wrote (12 comments, in no particular order)"
        );
        assert_eq!(
            super::shown_lead(1),
            "What people wrote (1 comment, in no particular order)"
        );
        assert_eq!(
            super::hidden_lead("Acme/Small", 10),
            "No comments are shown for Acme/Small: fewer than 10 people wrote one, or showing \
             them would let someone pick out what a smaller group wrote."
        );
        assert_eq!(super::themes_line(&[], 10), None);
        assert_eq!(
            super::themes_line(&[("workload", 12), ("control", 10)], 10).as_deref(),
            Some("Themes at least 10 people wrote about: Workload (12), Control (10)")
        );
    }
}
