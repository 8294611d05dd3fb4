//! The waves console for admins (`/admin/waves`): every wave with its window in the
//! organisation's time zone and its next scheduled step, a form to create one, and each
//! wave's page with the actions its state allows (open, remind, close, cancel), each behind a
//! confirmation page that says what it does. The work is the CLI's own domain functions
//! (`survey::waves`, `mail::schedule`); emails are only queued here, the server's delivery
//! worker sends them (`mail.worker`). Every change is audited.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use serde::Deserialize;

use super::access::Reader;
use super::console::{admin_form, admins_only, see_other, WAVES_PATH};
use super::error::PageError;
use super::form_problems::{placed, problem_for, Field, Problem};
use super::reports_pages::{page, render};
use super::signed_in::PageReader;
use super::{enc, AppState, REPORT_CSS_PATH};
use crate::auth::audit;
use crate::configuration::Settings;
use crate::db::{blocking, DbConn};
use crate::error::{AppError, AppResult};
use crate::mail::schedule::{self, Plan};
use crate::reports::disclosure_audit::{self, KeptAudit};
use crate::survey::waves::{self, NewWave, Wave, WaveStatus};
use crate::survey::{instruments, roster};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route(WAVES_PATH, web::get().to(list_page))
        .route(&format!("{WAVES_PATH}/new"), web::get().to(new_form))
        .route(&format!("{WAVES_PATH}/new"), web::post().to(create))
        .route(&format!("{WAVES_PATH}/{{wave}}"), web::get().to(wave_page))
        .route(
            &format!("{WAVES_PATH}/{{wave}}/{{action}}"),
            web::get().to(confirm),
        )
        .route(
            &format!("{WAVES_PATH}/{{wave}}/{{action}}"),
            web::post().to(act),
        );
}

/// A wave's page.
fn wave_href(name: &str) -> String {
    format!("{WAVES_PATH}/{}", enc(name))
}

/// A UTC time on the organisation's clock: `5 Jan 2027, 09:00`.
fn local(settings: &Settings, utc: NaiveDateTime) -> String {
    settings
        .local_time(utc)
        .format("%-d %b %Y, %H:%M")
        .to_string()
}

/// A UTC time on the organisation's clock with the zone named: `5 Jan 2027, 09:00
/// Europe/Berlin`.
fn local_named(settings: &Settings, utc: NaiveDateTime) -> String {
    format!("{} {}", local(settings, utc), zone(settings))
}

fn zone(settings: &Settings) -> &'static str {
    settings.timezone.tz().name()
}

/// A wave's state in words.
fn state_words(status: WaveStatus) -> &'static str {
    match status {
        WaveStatus::Scheduled => "not open yet",
        WaveStatus::Open => "open: taking answers",
        WaveStatus::Closed => "closed: reports available",
        WaveStatus::Cancelled => "cancelled: it never opened",
    }
}

/// What happens next to a wave, in words.
fn next_step(
    settings: &Settings,
    wave: &Wave,
    plan: Option<&Plan>,
    audit: Option<&KeptAudit>,
) -> String {
    let at = |t| local_named(settings, t);
    match (wave.status(), plan) {
        (WaveStatus::Scheduled, Some(_)) => {
            format!("opens automatically on {}", at(wave.opens_at))
        }
        (WaveStatus::Scheduled, None) => "nothing scheduled: open it by hand".into(),
        (WaveStatus::Open, Some(p)) => {
            match p.due_reminders.iter().find(|t| **t < wave.closes_at) {
                Some(t) => format!("reminder on {}", at(*t)),
                None => format!("closes automatically on {}", at(wave.closes_at)),
            }
        }
        (WaveStatus::Open, None) => "nothing scheduled: send reminders and close it by hand".into(),
        (WaveStatus::Closed, _) => match audit {
            Some(kept) => format!(
                "nothing: the wave is closed. Disclosure audit {}.",
                kept.summary(&wave.name, &local_named(settings, kept.audited_at))
            ),
            None => format!(
                "nothing: the wave is closed. Its disclosure audit has not run yet: the server \
                 audits each wave that closes while it runs, and `worklife wave audit {}` \
                 runs it now.",
                wave.name
            ),
        },
        (WaveStatus::Cancelled, _) => "nothing: the wave was cancelled".into(),
    }
}

/// Instrument keys (`id@version`) and what people call them.
fn instrument_titles(conn: &mut DbConn) -> AppResult<HashMap<String, String>> {
    Ok(instruments::list(conn)?
        .into_iter()
        .map(|i| (i.key, format!("{} (version {})", i.title, i.version)))
        .collect())
}

pub struct WaveRow {
    pub name: String,
    pub href: String,
    pub instrument: String,
    pub state: &'static str,
    pub opens: String,
    pub closes: String,
    pub k: i32,
    pub next: String,
    pub participation: Option<String>,
    pub results: Option<String>,
}

#[derive(Template)]
#[template(path = "console/waves.html")]
struct ListPage {
    css: &'static str,
    reader: Reader,
    zone: &'static str,
    rows: Vec<WaveRow>,
}

/// Where an open wave's participation and a closed wave's results are.
fn report_links(wave: &Wave) -> (Option<String>, Option<String>) {
    let name = enc(&wave.name);
    (
        (wave.status() == WaveStatus::Open).then(|| format!("/reports/waves/{name}/participation")),
        (wave.status() == WaveStatus::Closed).then(|| format!("/reports/waves/{name}")),
    )
}

async fn list_page(who: PageReader, state: web::Data<AppState>) -> Result<HttpResponse, PageError> {
    page(who, &state, |conn, user, reader, st| {
        admins_only(user)?;
        let titles = instrument_titles(conn)?;
        let plans = schedule::plans(conn)?;
        let audits = disclosure_audit::kept_all(conn)?;
        let rows = waves::list(conn)?
            .into_iter()
            .rev()
            .map(|w| {
                let (participation, results) = report_links(&w);
                WaveRow {
                    href: wave_href(&w.name),
                    instrument: titles
                        .get(&w.instrument)
                        .cloned()
                        .unwrap_or_else(|| w.instrument.clone()),
                    state: state_words(w.status()),
                    opens: local(&st.settings, w.opens_at),
                    closes: local(&st.settings, w.closes_at),
                    k: w.min_group_size,
                    next: next_step(&st.settings, &w, plans.get(&w.id), audits.get(&w.id)),
                    participation,
                    results,
                    name: w.name,
                }
            })
            .collect();
        render(&ListPage {
            css: REPORT_CSS_PATH,
            reader,
            zone: zone(&st.settings),
            rows,
        })
    })
    .await
}

/// The create form as typed, kept when it comes back with problems.
#[derive(Clone, Default)]
pub struct Draft {
    pub name: String,
    pub instrument: String,
    pub opens_date: String,
    pub opens_time: String,
    pub closes_date: String,
    pub closes_time: String,
    pub k: String,
    /// Empty: the default (10, or k where k is larger).
    pub comment_min: String,
    pub attributes: Vec<String>,
    pub reminders: String,
    pub auto: bool,
    pub quarterly: bool,
    pub csrf: String,
}

impl Draft {
    /// The form's fields from the posted pairs (checkboxes repeat `attribute`).
    fn of(pairs: Vec<(String, String)>) -> Draft {
        let mut d = Draft::default();
        for (key, value) in pairs {
            match key.as_str() {
                "name" => d.name = value,
                "instrument" => d.instrument = value,
                "opens_date" => d.opens_date = value,
                "opens_time" => d.opens_time = value,
                "closes_date" => d.closes_date = value,
                "closes_time" => d.closes_time = value,
                "k" => d.k = value,
                "comment_min" => d.comment_min = value,
                "attribute" => d.attributes.push(value),
                "reminders" => d.reminders = value,
                "auto" => d.auto = true,
                "quarterly" => d.quarterly = true,
                "csrf" => d.csrf = value,
                _ => {}
            }
        }
        d
    }
}

/// The domain's field tags (the `wave create` options), the form's field ids and labels.
const FIELDS: [Field; 10] = [
    ("name", "name", "Name"),
    ("instrument", "instrument", "Questionnaire"),
    ("opens", "opens_date", "Opens"),
    ("closes", "closes_date", "Closes"),
    ("min-group-size", "k", "Minimum group size (k)"),
    ("comment-min", "comment_min", "Comment threshold"),
    ("attribute", "attributes", "Report attributes"),
    ("reminders", "reminders", "Reminders"),
    ("every", "quarterly", "Repeat every quarter"),
    ("auto", "auto", "Open and close automatically"),
];

#[derive(Template)]
#[template(path = "console/wave_new.html")]
struct NewPage {
    css: &'static str,
    reader: Reader,
    zone: &'static str,
    /// (key, title) of every installed instrument.
    instruments: Vec<(String, String)>,
    attributes: Vec<String>,
    min_k: i32,
    /// The `mail.reminders` setting and what it means.
    default_reminders: String,
    default_reminders_words: String,
    problems: Vec<Problem>,
    draft: Draft,
}

impl NewPage {
    pub fn problem_for(&self, field: &str) -> Option<&str> {
        problem_for(&self.problems, field)
    }

    pub fn checked(&self, attribute: &str) -> bool {
        self.draft.attributes.iter().any(|a| a == attribute)
    }
}

fn new_page(
    conn: &mut DbConn,
    settings: &Settings,
    reader: Reader,
    problems: Vec<String>,
    draft: Draft,
) -> AppResult<NewPage> {
    instruments::ensure_builtins(conn)?;
    let instruments = instruments::list(conn)?
        .into_iter()
        .map(|i| (i.key, format!("{} (version {})", i.title, i.version)))
        .collect();
    let default_reminders = settings.mail.reminders.clone();
    let default_reminders_words = schedule::parse_reminders(&default_reminders)
        .map(|p| schedule::reminders_in_words(&p))
        .unwrap_or_else(|e| format!("not a valid plan ({e})"));
    Ok(NewPage {
        css: REPORT_CSS_PATH,
        reader,
        zone: zone(settings),
        instruments,
        attributes: roster::attribute_names(conn)?,
        min_k: waves::MIN_K,
        default_reminders,
        default_reminders_words,
        problems: placed(problems, &FIELDS),
        draft,
    })
}

async fn new_form(who: PageReader, state: web::Data<AppState>) -> Result<HttpResponse, PageError> {
    page(who, &state, |conn, user, reader, st| {
        admins_only(user)?;
        let draft = Draft {
            k: waves::DEFAULT_K.to_string(),
            reminders: st.settings.mail.reminders.clone(),
            opens_time: "09:00".into(),
            closes_time: "17:00".into(),
            auto: true,
            ..Draft::default()
        };
        render(&new_page(conn, &st.settings, reader, Vec::new(), draft)?)
    })
    .await
}

/// A date and a time typed on the organisation's clock, as UTC; or the problem, tagged
/// with its field.
fn utc_of(
    settings: &Settings,
    field: &str,
    date: &str,
    time: &str,
) -> Result<NaiveDateTime, String> {
    let date = NaiveDate::parse_from_str(date.trim(), "%Y-%m-%d").map_err(|_| {
        if date.trim().is_empty() {
            format!("{field}: enter a date")
        } else {
            format!(
                "{field}: \"{}\" is not a date (use YYYY-MM-DD, e.g. 2027-01-05)",
                date.trim()
            )
        }
    })?;
    let time = ["%H:%M", "%H:%M:%S"]
        .iter()
        .find_map(|f| NaiveTime::parse_from_str(time.trim(), f).ok())
        .ok_or_else(|| {
            format!(
                "{field}: \"{}\" is not a time of day (use HH:MM, e.g. 09:00)",
                time.trim()
            )
        })?;
    settings
        .timezone
        .utc_of(date.and_time(time))
        .map_err(|e| format!("{field}: {e}"))
}

/// Everything wrong with the form, all at once; or the wave, created (and scheduled).
fn create_wave(
    conn: &mut DbConn,
    (settings, now): (&Settings, NaiveDateTime),
    actor: &str,
    d: &Draft,
) -> AppResult<Wave> {
    let mut problems = Vec::new();
    let opens = utc_of(settings, "opens", &d.opens_date, &d.opens_time)
        .map_err(|p| problems.push(p))
        .ok();
    let closes = utc_of(settings, "closes", &d.closes_date, &d.closes_time)
        .map_err(|p| problems.push(p))
        .ok();
    let k = match d.k.trim().parse::<i32>() {
        Ok(k) => k,
        Err(_) => {
            problems.push(format!(
                "min-group-size: \"{}\" is not a whole number (use {} or more)",
                d.k.trim(),
                waves::MIN_K
            ));
            // Told above; a stand-in that adds no second problem.
            waves::MIN_K
        }
    };
    let scheduled = d.auto || d.quarterly;
    if scheduled {
        if let Err(AppError::Validation(found)) = schedule::parse_reminders(&d.reminders) {
            problems.extend(found);
        }
        // The server would open it (and invite everyone) at its next step, a minute from
        // now, with no confirmation: opening by hand asks first.
        if opens.is_some_and(|o| o <= now) {
            problems.push(
                "opens: this time has passed, so the server would open the wave and invite everyone within a minute. Choose a later time, or untick “Open and close automatically” and open it by hand from its page (which asks you to confirm first)".into(),
            );
        }
    }
    let comment_min = match d.comment_min.trim() {
        "" => None,
        typed => match typed.parse::<i32>() {
            Ok(n) => Some(n),
            Err(_) => {
                problems.push(format!(
                    "comment-min: \"{typed}\" is not a whole number (leave it empty for 10)"
                ));
                None
            }
        },
    };
    let (people, _) = roster::size(conn)?;
    if people > 0 && i64::from(k) > people {
        problems.push(format!(
            "min-group-size: k = {k} is more than the {people} people in the roster: every report would be hidden"
        ));
    }
    let new = NewWave {
        name: &d.name,
        instrument: &d.instrument,
        // A time that could not be read is told above; these stand-ins keep the order
        // check from adding a second problem about it.
        opens_at: opens.unwrap_or(NaiveDateTime::MIN),
        closes_at: closes.unwrap_or(NaiveDateTime::MAX),
        min_group_size: k,
        attributes: &d.attributes,
        comment_min,
    };
    problems.extend(waves::problems(conn, &new)?);
    // `/admin/waves/new` is this form: a wave of that name would have no page of its own.
    if d.name.trim().eq_ignore_ascii_case("new") {
        problems.push("name: \"new\" is taken by this form's address; choose another name".into());
    }
    if !problems.is_empty() {
        return Err(AppError::Validation(problems));
    }
    let wave = waves::create(conn, &new)?;
    let every = d.quarterly.then_some("quarter");
    if scheduled {
        schedule::schedule(conn, &wave, every, &d.reminders)?;
    }
    audit::record(
        conn,
        actor,
        "create wave",
        &format!(
            "{}: {}, {} to {} UTC, k = {}, attributes [{}], {}",
            wave.name,
            wave.instrument,
            wave.opens_at.format("%Y-%m-%d %H:%M"),
            wave.closes_at.format("%Y-%m-%d %H:%M"),
            wave.min_group_size,
            d.attributes.join(", "),
            match (scheduled, every) {
                (false, _) => "opened and closed by hand".to_string(),
                (true, None) => format!("automatic, reminders {}", d.reminders.trim()),
                (true, Some(_)) =>
                    format!("automatic, reminders {}, every quarter", d.reminders.trim()),
            }
        ),
    )?;
    Ok(wave)
}

/// What a create POST answers: the new wave's page, or the form again (with its status).
enum Created {
    Wave(String),
    Form(StatusCode, String),
}

async fn create(
    PageReader(who): PageReader,
    state: web::Data<AppState>,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, PageError> {
    let draft = Draft::of(form.into_inner());
    let st = state.clone();
    let created = blocking(move || {
        admin_form(&who, &draft.csrf)?;
        let mut conn = st.pool.get()?;
        let (status, problems) = match create_wave(
            &mut conn,
            (&st.settings, st.clock.now()),
            &who.user.email,
            &draft,
        ) {
            Ok(wave) => return Ok(Created::Wave(wave.name)),
            Err(AppError::Validation(problems)) => (StatusCode::BAD_REQUEST, problems),
            // The only conflict: a wave of that name exists.
            Err(AppError::Conflict(message)) => {
                (StatusCode::CONFLICT, vec![format!("name: {message}")])
            }
            Err(e) => return Err(e),
        };
        let page = new_page(&mut conn, &st.settings, who.reader(), problems, draft)?;
        Ok(Created::Form(status, render(&page)?))
    })
    .await?;
    Ok(match created {
        Created::Wave(name) => see_other(&format!("{}?did=create", wave_href(&name))),
        Created::Form(status, body) => HttpResponse::build(status)
            .content_type("text/html; charset=utf-8")
            .body(body),
    })
}

/// What the wave page says after an action, from its query (numbers only: the words are
/// the page's own, so a link cannot put words on it).
#[derive(Default, Deserialize)]
pub struct Done {
    #[serde(default)]
    did: String,
    #[serde(default)]
    n: Option<u64>,
    #[serde(default)]
    q: Option<u64>,
}

impl Done {
    fn words(&self) -> Option<String> {
        let n = self.n.unwrap_or(0);
        let plural =
            |n: u64, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
        match self.did.as_str() {
            "create" => Some("The wave is created.".into()),
            "open" => Some(format!(
                "The wave is open: {} invited, {} queued. The server sends them in the next minutes.",
                plural(n, "person", "people"),
                plural(self.q.unwrap_or(0), "email", "emails")
            )),
            "remind" => Some(format!(
                "{} queued for everyone who has not answered yet.",
                plural(n, "reminder", "reminders")
            )),
            "close" => Some(format!(
                "The wave is closed: {} kept anonymously; every answer link and who-answered record is destroyed. Its reports are available.",
                plural(n, "answer sheet", "answer sheets")
            )),
            "cancel" => Some("The wave is cancelled: it will not open, and nobody was invited.".into()),
            _ => None,
        }
    }
}

/// An action on a wave, and the states it applies to.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Action {
    Open,
    Remind,
    Close,
    Cancel,
}

impl Action {
    fn parse(s: &str) -> AppResult<Action> {
        match s {
            "open" => Ok(Action::Open),
            "remind" => Ok(Action::Remind),
            "close" => Ok(Action::Close),
            "cancel" => Ok(Action::Cancel),
            other => Err(AppError::NotFound(format!(
                "there is no action \"{other}\" on a wave (open, remind, close or cancel)"
            ))),
        }
    }

    fn slug(self) -> &'static str {
        match self {
            Action::Open => "open",
            Action::Remind => "remind",
            Action::Close => "close",
            Action::Cancel => "cancel",
        }
    }

    /// The actions a wave in `status` allows, in the order the page lists them.
    fn of(status: WaveStatus) -> &'static [Action] {
        match status {
            WaveStatus::Scheduled => &[Action::Open, Action::Cancel],
            WaveStatus::Open => &[Action::Remind, Action::Close],
            WaveStatus::Closed | WaveStatus::Cancelled => &[],
        }
    }

    /// The button's words.
    fn button(self) -> &'static str {
        match self {
            Action::Open => "Open the wave and invite everyone",
            Action::Remind => "Send the reminders",
            Action::Close => "Close the wave",
            Action::Cancel => "Cancel the wave",
        }
    }

    /// The link's words on the wave page.
    fn link(self) -> &'static str {
        match self {
            Action::Open => "Open it now",
            Action::Remind => "Send a reminder now",
            Action::Close => "Close it now",
            Action::Cancel => "Cancel it",
        }
    }

    /// Why a wave in `status` does not allow this action.
    fn refused(self, wave: &Wave) -> AppError {
        let name = &wave.name;
        AppError::Conflict(match (self, wave.status()) {
            (Action::Open, s) => format!(
                "wave \"{name}\" is {} already: only a wave that has not opened can be opened",
                s.as_str()
            ),
            (Action::Remind, WaveStatus::Scheduled) => format!(
                "wave \"{name}\" is not open yet: reminders go out only while a wave is open"
            ),
            (Action::Remind, s) => format!(
                "wave \"{name}\" is {}: reminders go out only while a wave is open",
                s.as_str()
            ),
            (Action::Close, WaveStatus::Scheduled) => {
                format!("wave \"{name}\" has not opened: cancel it instead")
            }
            (Action::Close, s) => format!("wave \"{name}\" is {} already", s.as_str()),
            (Action::Cancel, WaveStatus::Open) => {
                format!("wave \"{name}\" is open: people were invited, so it can only be closed")
            }
            (Action::Cancel, s) => format!("wave \"{name}\" is {} already", s.as_str()),
        })
    }
}

pub struct ActionLink {
    pub href: String,
    pub words: &'static str,
    pub slug: &'static str,
}

#[derive(Template)]
#[template(path = "console/wave.html")]
struct WavePage {
    css: &'static str,
    reader: Reader,
    name: String,
    instrument: String,
    state: &'static str,
    zone: &'static str,
    opens: String,
    closes: String,
    k: i32,
    attributes: String,
    /// How the wave opens and closes, and its reminders, in words.
    schedule: Vec<String>,
    next: String,
    mail: crate::mail::outbox::MailCounts,
    /// Whether this server's delivery worker sends queued emails (`mail.worker`).
    worker: bool,
    actions: Vec<ActionLink>,
    participation: Option<String>,
    results: Option<String>,
    done: Option<String>,
}

async fn wave_page(
    who: PageReader,
    path: web::Path<String>,
    q: web::Query<Done>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, PageError> {
    let name = path.into_inner();
    let done = q.into_inner().words();
    page(who, &state, move |conn, user, reader, st| {
        admins_only(user)?;
        let wave = waves::find(conn, &name)?;
        let titles = instrument_titles(conn)?;
        let plan = schedule::plans(conn)?.remove(&wave.id);
        let s = &st.settings;
        let schedule = match (&plan, wave.status()) {
            (_, WaveStatus::Cancelled) => {
                vec!["Cancelled: it never opened, and nothing more happens to it.".into()]
            }
            (_, WaveStatus::Closed) => vec!["Closed: nothing more happens to it.".into()],
            (None, _) => {
                vec!["Opened and closed by hand: nothing happens to it on its own.".into()]
            }
            (Some(p), _) => {
                let mut lines = vec![
                    "The server opens and closes it automatically at these times.".to_string(),
                ];
                let words = schedule::parse_reminders(&p.reminders)
                    .map(|plan| schedule::reminders_in_words(&plan))
                    .unwrap_or_else(|_| p.reminders.clone());
                lines.push(format!("Reminder plan “{}”: {words}.", p.reminders));
                let due: Vec<String> = p.due_reminders.iter().map(|t| local_named(s, *t)).collect();
                if !due.is_empty() {
                    lines.push(format!("Reminders still to come: {}.", due.join("; ")));
                }
                if p.every.is_some() {
                    lines.push("Repeats every quarter: when it opens, the next wave is created three months later.".into());
                }
                lines
            }
        };
        let (participation, results) = report_links(&wave);
        render(&WavePage {
            css: REPORT_CSS_PATH,
            reader,
            instrument: titles
                .get(&wave.instrument)
                .cloned()
                .unwrap_or_else(|| wave.instrument.clone()),
            state: state_words(wave.status()),
            zone: zone(s),
            opens: local(s, wave.opens_at),
            closes: local(s, wave.closes_at),
            k: wave.min_group_size,
            attributes: if wave.attributes.0.is_empty() {
                "none: reports cut by unit only".into()
            } else {
                wave.attributes.0.join(", ")
            },
            schedule,
            next: next_step(
                s,
                &wave,
                plan.as_ref(),
                disclosure_audit::kept(conn, &wave.id)?.as_ref(),
            ),
            mail: crate::mail::outbox::counts(conn, &wave.id)?,
            worker: s.mail.worker,
            actions: Action::of(wave.status())
                .iter()
                .map(|a| ActionLink {
                    href: format!("{}/{}", wave_href(&wave.name), a.slug()),
                    words: a.link(),
                    slug: a.slug(),
                })
                .collect(),
            participation,
            results,
            done,
            name: wave.name,
        })
    })
    .await
    .map_err(|e| e.see(WAVES_PATH, "Back to the waves"))
}

#[derive(Template)]
#[template(path = "console/confirm.html")]
struct ConfirmPage {
    css: &'static str,
    reader: Reader,
    name: String,
    href: String,
    action: &'static str,
    title: String,
    consequences: Vec<String>,
    button: &'static str,
    /// The action destroys or sends something: a red button.
    danger: bool,
}

/// What an action on `wave` will do, in plain words.
fn consequences(
    conn: &mut DbConn,
    (settings, now): (&Settings, NaiveDateTime),
    wave: &Wave,
    action: Action,
) -> AppResult<(String, Vec<String>)> {
    let name = &wave.name;
    Ok(match action {
        Action::Open => {
            let (people, units) = roster::size(conn)?;
            if people == 0 {
                return Err(AppError::Conflict(format!(
                    "the roster is empty: opening wave \"{name}\" would invite nobody. Import the roster first (worklife roster import FILE)"
                )));
            }
            let mut said = vec![
                format!(
                    "{people} {} in the roster ({units} {}) will be invited: each gets an email with their own answer link.",
                    if people == 1 { "person" } else { "people" },
                    if units == 1 { "unit" } else { "units" },
                ),
                "The wave takes its units and people from the roster as it is now; later roster changes do not touch it.".into(),
                "The emails are sent by the server in the next minutes. Opening cannot be undone: an open wave can only be closed.".into(),
            ];
            // Two open waves mean two surveys in everyone's inbox.
            for other in waves::list(conn)?
                .into_iter()
                .filter(|w| w.status() == WaveStatus::Open && w.name != *name)
            {
                said.insert(
                    0,
                    format!(
                        "Wave “{}” is still open, until {}: everyone invited to both would have two surveys to answer. Close it first, or open this one later.",
                        other.name,
                        local_named(settings, other.closes_at)
                    ),
                );
            }
            (format!("Open wave “{name}” now?"), said)
        }
        Action::Remind => (
            format!("Send a reminder for wave “{name}” now?"),
            vec![
                "Everyone invited who has not answered yet gets a reminder email with their answer link. People who answered get nothing.".into(),
                "Who has or has not answered is never shown, here or anywhere else.".into(),
            ],
        ),
        Action::Close => {
            let k = wave.min_group_size;
            // The organisation's own count, under the same protection as the participation
            // page: shown only where it is.
            let whole = waves::status(conn, wave)?
                .into_iter()
                .find(|u| !u.path.contains('/'));
            let so_far = match whole {
                Some(u) if u.shown && u.invited > 0 => format!(
                    "So far {} of the {} people invited have answered ({:.0}%).",
                    u.responded,
                    u.invited,
                    100.0 * u.responded as f64 / u.invited as f64
                ),
                _ => format!(
                    "So far too few have answered for the count to be shown. If fewer than k = {k} answered in all, its reports will show no figures and the managers' action plans will have no scores for it."
                ),
            };
            let planned = if wave.closes_at > now {
                format!(
                    "It is planned to close on {}; closing now ends it early.",
                    local_named(settings, wave.closes_at)
                )
            } else {
                format!(
                    "Its closing time, {}, has passed; the server closes it at its next step if you do not.",
                    local_named(settings, wave.closes_at)
                )
            };
            (
                format!("Close wave “{name}” now?"),
                vec![
                    so_far,
                    planned,
                    "Closing destroys every answer link and who-answered record; the answers are kept anonymously and reports appear.".into(),
                    "Links in emails stop working at once, and nobody can answer any more. Closing cannot be undone.".into(),
                ],
            )
        }
        Action::Cancel => (
            format!("Cancel wave “{name}”?"),
            vec![
                "The wave never opened: nobody was invited and there are no answers, so nothing about anyone is destroyed.".into(),
                "It will never open: its automatic opening, its reminders and (if it repeats) the next quarter's wave do not happen. It stays in the list as cancelled, without a report.".into(),
                "Cancelling cannot be undone; to survey later, create a new wave.".into(),
            ],
        ),
    })
}

/// The wave and the action asked for, refused unless the wave's state allows it.
fn wave_and_action(conn: &mut DbConn, name: &str, action: &str) -> AppResult<(Wave, Action)> {
    let action = Action::parse(action)?;
    let wave = waves::find(conn, name)?;
    if !Action::of(wave.status()).contains(&action) {
        return Err(action.refused(&wave));
    }
    Ok((wave, action))
}

async fn confirm(
    who: PageReader,
    path: web::Path<(String, String)>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, PageError> {
    let (name, action) = path.into_inner();
    let back = wave_href(&name);
    page(who, &state, move |conn, user, reader, st| {
        admins_only(user)?;
        let (wave, action) = wave_and_action(conn, &name, &action)?;
        let (title, consequences) =
            consequences(conn, (&st.settings, st.clock.now()), &wave, action)?;
        render(&ConfirmPage {
            css: REPORT_CSS_PATH,
            reader,
            href: wave_href(&wave.name),
            name: wave.name,
            action: action.slug(),
            title,
            consequences,
            button: action.button(),
            danger: action != Action::Remind,
        })
    })
    .await
    .map_err(|e| way_back(e, &back))
}

/// An error about a wave links back to its page, or to the list if there is no such wave.
fn way_back(e: PageError, wave_page: &str) -> PageError {
    if matches!(e.error(), AppError::NotFound(_)) {
        e.see(WAVES_PATH, "Back to the waves")
    } else {
        e.see(wave_page, "Back to the wave")
    }
}

#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

async fn act(
    PageReader(who): PageReader,
    path: web::Path<(String, String)>,
    form: web::Form<CsrfForm>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, PageError> {
    let (name, action) = path.into_inner();
    let back = wave_href(&name);
    let st = state.clone();
    blocking(move || {
        admin_form(&who, &form.csrf)?;
        let mut conn = st.pool.get()?;
        let (wave, action) = wave_and_action(&mut conn, &name, &action)?;
        let actor = &who.user.email;
        let href = wave_href(&wave.name);
        let location = match action {
            Action::Open => {
                // Refused on an empty roster here as on the confirmation page.
                consequences(&mut conn, (&st.settings, st.clock.now()), &wave, action)?;
                let opened = waves::open(&st.pool, &wave.name)?;
                audit::record(
                    &mut conn,
                    actor,
                    "open wave",
                    &format!(
                        "{}: {} invited, {} invitations queued",
                        wave.name, opened.invited, opened.queued
                    ),
                )?;
                format!("{href}?did=open&n={}&q={}", opened.invited, opened.queued)
            }
            Action::Remind => {
                let queued = schedule::remind_now(&st.pool, &wave.name)?;
                audit::record(
                    &mut conn,
                    actor,
                    "remind wave",
                    &format!("{}: {queued} reminders queued", wave.name),
                )?;
                format!("{href}?did=remind&n={queued}")
            }
            Action::Close => match waves::close(&st.pool, &wave.name)? {
                waves::Closing::Closed { kept } => {
                    audit::record(
                        &mut conn,
                        actor,
                        "close wave",
                        &format!("{}: {kept} responses kept", wave.name),
                    )?;
                    disclosure_audit::in_background(
                        st.pool.clone(),
                        st.access.releases.clone(),
                        st.instruments.clone(),
                        wave.name.clone(),
                    );
                    format!("{href}?did=close&n={kept}")
                }
                waves::Closing::Cancelled => {
                    audit::record(&mut conn, actor, "cancel wave", &wave.name)?;
                    format!("{href}?did=cancel")
                }
            },
            Action::Cancel => {
                waves::cancel_scheduled(&st.pool, &wave.name)?;
                audit::record(&mut conn, actor, "cancel wave", &wave.name)?;
                format!("{href}?did=cancel")
            }
        };
        Ok(location)
    })
    .await
    .map(|location| see_other(&location))
    .map_err(|e| way_back(PageError::from(e), &back))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problems_are_placed_next_to_their_fields() {
        let placed = placed(
            vec![
                "min-group-size: 2 is refused".into(),
                "closes: the wave must close after it opens".into(),
                "something else".into(),
            ],
            &FIELDS,
        );
        let seen: Vec<(&str, &str)> = placed
            .iter()
            .map(|p| (p.field, p.message.as_str()))
            .collect();
        assert_eq!(
            seen,
            [
                ("k", "Minimum group size (k): 2 is refused"),
                ("closes_date", "Closes: the wave must close after it opens"),
                ("", "something else"),
            ]
        );
    }
}
