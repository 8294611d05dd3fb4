//! The demo organisation: on an empty database, `worklife demo` (and `worklife serve --demo`)
//! builds "Northwind", about 300 people in about 40 teams, runs two past quarterly waves of
//! `worklife-core` to the end and leaves the current quarter's wave open.
//!
//! Everything goes through the same code as real use: the roster through [`roster::import`],
//! waves through [`waves::create`], [`waves::open`] (which queues the invitation emails; the
//! outbox worker delivers them into a folder) and [`waves::close`], answers through
//! [`responses::submit`] with the tokens of those emails.
//! So the stored data is exactly what real respondents would leave (A1-A3): closed waves keep
//! no invitations and no token hashes, the open wave keeps only hashes.
//!
//! The organisation, who answers and what they answer follow from the seed alone (a small
//! portable generator, [`Rng`], so a seed means the same demo on every machine and version).
//! Invitation tokens and the admin password come from the OS CSPRNG as always (A2).

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use anyhow::Context;
use chrono::Duration;
use diesel::prelude::*;

pub use crate::auth::password::verify_password;
use crate::auth::password::{hash_password, new_password};
use crate::configuration::Settings;
use crate::db::schema::{invitation_tokens, invitations, people, units, users, waves as wave_rows};
use crate::db::{new_id, Backend, DbConn, DbPool};
use crate::db_run;
use crate::survey::responses::{self, InstrumentCache};
use crate::survey::roster;
use crate::survey::tokens;
use crate::survey::waves::{self, NewWave, Wave};

pub const DEFAULT_SEED: u64 = 2026;

/// The demo organisation's root unit, also the organisation named in its invitations.
pub const ROOT: &str = "Northwind";
/// The demo's HR admin.
pub const ADMIN_EMAIL: &str = "admin@northwind.example";
/// The demo's instrument.
pub const INSTRUMENT: &str = "worklife-core";
/// The report attributes of every demo wave (roster columns).
pub const ATTRIBUTES: [&str; 2] = ["tenure", "location"];
pub const TENURES: [&str; 4] = ["<1y", "1-3y", "3-10y", "10y+"];
/// How many answer links of the open wave are printed.
pub const LINKS_SHOWN: usize = 5;

mod org;
mod plan;

pub use org::{Conditions, Group, Org, Person, Rng, Story};
pub use plan::{wave_plan, WavePlan};

// ---------------------------------------------------------------- building it

/// What [`ensure`] did, for the command to print.
pub enum Outcome {
    /// The demo was built on an empty database.
    Built(Built),
    /// The demo's own SQLite database: its logins got new passwords.
    NewPasswords(Vec<Login>),
    /// The database holds other data, or the demo on PostgreSQL: nothing changed.
    LeftAlone {
        units: i64,
        people: i64,
        waves: i64,
        is_demo: bool,
    },
}

/// A demo login and what became of it.
pub struct Login {
    /// "admin login", "manager login (Northwind/Sales)".
    pub who: String,
    pub email: &'static str,
    /// The new password; `None` when the user was removed (it stays removed).
    pub password: Option<String>,
}

/// What the build made.
pub struct Built {
    pub seed: u64,
    pub people: usize,
    pub units: usize,
    /// Each wave, whether it is the open one, and how many answered.
    pub waves: Vec<(Wave, bool, usize)>,
    /// The units with a story, and the story.
    pub plot: Vec<(Story, String)>,
    /// `None` when the admin existed already (its password is unchanged).
    pub admin_password: Option<String>,
    pub manager_password: Option<String>,
    /// A few answer links of the open wave (shown only now: the database keeps hashes).
    pub links: Vec<String>,
    pub seconds: f64,
}

/// Builds the demo on an empty database (no units, people or waves); on any other database
/// says so and changes nothing.
pub fn ensure(pool: &DbPool, settings: &Settings, seed: u64) -> anyhow::Result<Outcome> {
    let _turn = take_turn(settings)?;
    let (unit_count, people_count, wave_count) = {
        let mut conn = pool.get()?;
        db_run!(&mut conn, |c| {
            let counts: QueryResult<(i64, i64, i64)> = (|| {
                Ok((
                    units::table.count().get_result(c)?,
                    people::table.count().get_result(c)?,
                    wave_rows::table.count().get_result(c)?,
                ))
            })();
            counts
        })?
    };
    if unit_count > 0 || people_count > 0 || wave_count > 0 {
        let mut conn = pool.get()?;
        let url = settings.database_url.expose();
        let is_demo = crate::auth::find_by_email(&mut conn, ADMIN_EMAIL)?.is_some();
        // SQLite is served by one process: a second `--demo` there is someone who lost the
        // logins. On PostgreSQL, replicas started together with `--demo` land here too, and
        // new passwords would void the ones the first replica printed.
        if is_demo && Backend::of(url) == Backend::Sqlite {
            return Ok(Outcome::NewPasswords(again(&mut conn)?));
        }
        return Ok(Outcome::LeftAlone {
            units: unit_count,
            people: people_count,
            waves: wave_count,
            is_demo,
        });
    }
    Ok(Outcome::Built(build(pool, settings, seed)?))
}

/// A second `--demo` on the demo's own SQLite database: new passwords for the demo's logins
/// (the database keeps only hashes, so the first run's cannot be shown again; their sessions
/// end). Nothing else changes.
fn again(conn: &mut DbConn) -> anyhow::Result<Vec<Login>> {
    let mut logins = Vec::new();
    for (who, email) in [
        ("admin login".to_string(), ADMIN_EMAIL),
        (format!("manager login ({MANAGER_UNIT})"), MANAGER_EMAIL),
    ] {
        let password = new_password()?;
        let password = match crate::auth::set_password_hash(conn, email, &hash_password(&password)?)
        {
            Ok(()) => Some(password),
            Err(crate::error::AppError::NotFound(_)) => None,
            Err(e) => return Err(e.into()),
        };
        logins.push(Login {
            who,
            email,
            password,
        });
    }
    Ok(logins)
}

/// On PostgreSQL, replicas started together with `serve --demo` take turns: a session
/// advisory lock, held on a private connection until the returned value is dropped, so the
/// first builds the demo and the others then find data and leave it alone. (SQLite serves
/// from one process.)
fn take_turn(settings: &Settings) -> anyhow::Result<Option<DbConn>> {
    let url = settings.database_url.expose();
    if Backend::of(url) != Backend::Postgres {
        return Ok(None);
    }
    let mut conn = DbPool::connect(url, 1)?.get()?;
    if let DbConn::Postgres(c) = &mut conn {
        use diesel::connection::SimpleConnection;
        // "WORKDEMO"
        c.batch_execute("SELECT pg_advisory_lock(6291337687681289551)")?;
    }
    Ok(Some(conn))
}

fn build(pool: &DbPool, settings: &Settings, seed: u64) -> anyhow::Result<Built> {
    let started = std::time::Instant::now();
    let org = Org::generate(seed);
    let plan = wave_plan(crate::clock::now());
    let cache = InstrumentCache::default();
    // The answers go in through a private connection, closed when the demo is built. On
    // PostgreSQL it doesn't wait for the fsync of each of its hundreds of small commits:
    // only synthetic answers are at stake should the machine crash meanwhile, and no
    // connection that later serves real respondents carries the setting.
    let answer_conn = DbPool::connect(settings.database_url.expose(), 1)?;
    if let DbConn::Postgres(c) = &mut answer_conn.get()? {
        use diesel::connection::SimpleConnection;
        c.batch_execute("SET synchronous_commit TO off")?;
    }

    let imported = {
        let mut conn = pool.get()?;
        roster::import(&mut conn, &org.roster(), false, false)?
    };

    let mut summaries = Vec::new();
    let mut links = Vec::new();
    for (index, wave_plan) in plan.iter().enumerate() {
        let open = index == 2;
        let wave = {
            let mut conn = pool.get()?;
            let attributes: Vec<String> = ATTRIBUTES.iter().map(|a| a.to_string()).collect();
            waves::create(
                &mut conn,
                &NewWave {
                    name: &wave_plan.name,
                    instrument: INSTRUMENT,
                    opens_at: wave_plan.opens,
                    closes_at: wave_plan.closes,
                    min_group_size: waves::DEFAULT_K,
                    attributes: &attributes,
                    comment_min: None,
                },
            )?
        };
        // The invitations are written to a private folder first, to read the tokens back;
        // the open wave's then move to the real outbox, the closed waves' are deleted (their
        // tokens die with the close anyway).
        let capture = CaptureDir::new()?;
        let tokens_by_email = open_capturing(pool, settings, &wave, capture.path())?;
        let instrument = {
            let mut conn = pool.get()?;
            cache.get(&mut conn, &wave.instrument)?
        };
        let now = if open {
            crate::clock::now()
        } else {
            wave.opens_at + Duration::days(2)
        };
        let rules = crate::survey::comments::CommentRules::default();
        let answered = org.respondents(index);
        let answered_set: HashSet<usize> = answered.iter().copied().collect();
        {
            let mut conn = answer_conn.get()?;
            for &person in &answered {
                let Some(p) = org.people.get(person) else {
                    continue;
                };
                let token = tokens_by_email
                    .get(&p.email)
                    .with_context(|| format!("no invitation was written to {}", p.email))?;
                let submitted = responses::Submitted {
                    answers: org.answers(&instrument, index, person),
                    comments: org.comments(&instrument, index, person),
                };
                responses::submit(&mut conn, &cache, &rules, token, &submitted, now)?;
            }
        }
        if open {
            deliver(capture.path(), &settings.outbox_dir)?;
            links = pick_links(&org, &answered_set, &tokens_by_email, &settings.base_url);
        } else {
            waves::close(pool, &wave.name)?;
        }
        summaries.push((wave, open, answered.len()));
    }

    let admin_password = {
        let mut conn = pool.get()?;
        create_admin(&mut conn)?
    };
    let manager_password = {
        let mut conn = pool.get()?;
        create_manager(&mut conn)?
    };

    Ok(Built {
        seed,
        people: org.people.len(),
        units: imported.units_created,
        waves: summaries,
        plot: org
            .plot()
            .into_iter()
            .map(|g| (g.story, g.path.clone()))
            .collect(),
        admin_password,
        manager_password,
        links,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// Opens a wave with its invitations written to `capture`; returns each invitee's token by
/// email (read back from the emails, matched to people through the stored hashes).
fn open_capturing(
    pool: &DbPool,
    settings: &Settings,
    wave: &Wave,
    capture: &Path,
) -> anyhow::Result<HashMap<String, String>> {
    let mut capture_settings = settings.clone();
    capture_settings.outbox_dir = capture.to_path_buf();
    capture_settings.organisation = ROOT.to_string();
    capture_settings.mail.transport = "file".into();
    let opened = waves::open(pool, &wave.name)?;
    crate::mail::outbox::Worker::new(pool.clone(), &capture_settings)?
        .replaying_history()
        .drain()?;
    let found = read_tokens(capture)?;
    let by_hash: HashMap<String, String> =
        found.into_iter().map(|t| (tokens::hash(&t), t)).collect();
    let mut conn = pool.get()?;
    let rows: Vec<(String, Option<String>)> = db_run!(&mut conn, |c| invitation_tokens::table
        .inner_join(invitations::table)
        .filter(invitation_tokens::wave_id.eq(&wave.id))
        .select((invitation_tokens::token_hash, invitations::person_id))
        .load(c))?;
    let emails: HashMap<String, String> = db_run!(&mut conn, |c| people::table
        .select((people::id, people::email))
        .load::<(String, String)>(c))?
    .into_iter()
    .collect();
    let mut out = HashMap::with_capacity(rows.len());
    for (hash, person) in rows {
        let email = person.and_then(|p| emails.get(&p).cloned());
        if let (Some(email), Some(token)) = (email, by_hash.get(&hash)) {
            out.insert(email, token.clone());
        }
    }
    if out.len() != opened.invited {
        anyhow::bail!(
            "read {} of {} invitation links back from the emails of wave {}",
            out.len(),
            opened.invited,
            wave.name
        );
    }
    Ok(out)
}

/// Every token in the `/s/TOKEN` links of the emails in `dir`.
fn read_tokens(dir: &Path) -> anyhow::Result<HashSet<String>> {
    let mut found = HashSet::new();
    for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let path = entry?.path();
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?;
        // Undo quoted-printable soft line breaks, should a link have been wrapped.
        let text = text.replace("=\r\n", "").replace("=\n", "");
        for (at, _) in text.match_indices("/s/") {
            let token: String = text
                .get(at + 3..)
                .unwrap_or_default()
                .chars()
                .take_while(|ch| ch.is_ascii_alphanumeric() || *ch == '-' || *ch == '_')
                .collect();
            if tokens::plausible(&token) {
                found.insert(token);
            }
        }
    }
    Ok(found)
}

/// Moves the emails from `from` into the outbox.
fn deliver(from: &Path, outbox: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(outbox)
        .with_context(|| format!("creating the outbox {}", outbox.display()))?;
    for entry in std::fs::read_dir(from)? {
        let path = entry?.path();
        let Some(name) = path.file_name() else {
            continue;
        };
        let target = outbox.join(name);
        if std::fs::rename(&path, &target).is_err() {
            // Another file system: copy, then remove.
            std::fs::copy(&path, &target)
                .with_context(|| format!("writing {}", target.display()))?;
            std::fs::remove_file(&path)?;
        }
    }
    Ok(())
}

/// A few links of the open wave for people who have not answered yet, from different teams.
fn pick_links(
    org: &Org,
    answered: &HashSet<usize>,
    tokens_by_email: &HashMap<String, String>,
    base_url: &str,
) -> Vec<String> {
    let mut candidates: Vec<usize> = (0..org.people.len())
        .filter(|i| !answered.contains(i))
        .collect();
    Rng::derive(org.seed, &[5]).shuffle(&mut candidates);
    let mut groups = HashSet::new();
    let mut links = Vec::new();
    for i in candidates {
        let Some(p) = org.people.get(i) else {
            continue;
        };
        if !groups.insert(p.group) {
            continue;
        }
        if let Some(token) = tokens_by_email.get(&p.email) {
            links.push(format!("{}/s/{token}", base_url.trim_end_matches('/')));
        }
        if links.len() == LINKS_SHOWN {
            break;
        }
    }
    links
}

/// The demo's manager, who reads their unit's subtree.
pub const MANAGER_EMAIL: &str = "manager@northwind.example";
pub const MANAGER_UNIT: &str = "Northwind/Sales";

/// Creates the demo manager with a fresh random password; `None` if the user exists already.
fn create_manager(conn: &mut DbConn) -> anyhow::Result<Option<String>> {
    let exists = crate::auth::find_by_email(conn, MANAGER_EMAIL)?.is_some();
    if exists {
        return Ok(None);
    }
    let password = new_password()?;
    crate::auth::add_user(
        conn,
        MANAGER_EMAIL,
        crate::auth::Role::Manager,
        Some(MANAGER_UNIT),
        &password,
    )?;
    Ok(Some(password))
}

/// Creates the demo admin with a fresh random password; `None` if the user exists already.
fn create_admin(conn: &mut DbConn) -> anyhow::Result<Option<String>> {
    let exists: i64 = db_run!(conn, |c| users::table
        .filter(users::email.eq(ADMIN_EMAIL))
        .count()
        .get_result(c))?;
    if exists > 0 {
        return Ok(None);
    }
    let password = new_password()?;
    let hash = hash_password(&password)?;
    db_run!(conn, |c| diesel::insert_into(users::table)
        .values((
            users::id.eq(new_id()),
            users::email.eq(ADMIN_EMAIL),
            users::role.eq("admin"),
            users::unit_path.eq(None::<String>),
            users::password_hash.eq(&hash),
            users::created_at.eq(crate::clock::now()),
        ))
        .execute(c))?;
    Ok(Some(password))
}

/// A private folder under the system's temporary directory, removed on drop.
struct CaptureDir(PathBuf);

impl CaptureDir {
    fn new() -> anyhow::Result<CaptureDir> {
        let path =
            std::env::temp_dir().join(format!("worklife-demo-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&path).with_context(|| format!("creating {}", path.display()))?;
        Ok(CaptureDir(path))
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for CaptureDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::org::SEATS;
    use super::plan::at;
    use super::*;
    use chrono::NaiveDate;

    #[test]
    fn the_organisation_follows_from_the_seed() {
        let a = Org::generate(7);
        let b = Org::generate(7);
        let c = Org::generate(8);
        assert_eq!(a.people, b.people);
        assert_ne!(a.people, c.people);
        assert!((260..=340).contains(&a.people.len()), "{}", a.people.len());
        let teams = SEATS.iter().filter(|s| s.min != s.max).count();
        assert!((35..=45).contains(&teams), "{teams}");
        let depth = a.people.iter().map(|p| p.unit.matches('/').count()).max();
        assert_eq!(depth, Some(3));
        let small = a
            .groups
            .iter()
            .enumerate()
            .filter(|(g, grp)| {
                grp.story == Story::Steady
                    && SEATS.get(*g).is_some_and(|s| s.min != s.max)
                    && a.people.iter().filter(|p| p.group == *g).count() < 5
            })
            .count();
        assert!(small >= 5, "{small} teams under 5");
        assert_eq!(a.plot().len(), 5);
        let emails: HashSet<&str> = a.people.iter().map(|p| p.email.as_str()).collect();
        assert_eq!(emails.len(), a.people.len());
        roster::parse(roster_csv(&a).as_bytes()).unwrap();
    }

    fn roster_csv(org: &Org) -> String {
        let mut s = String::from("email,unit,tenure,location\n");
        for p in &org.people {
            s.push_str(&format!(
                "{},{},{},{}\n",
                p.email, p.unit, p.tenure, p.location
            ));
        }
        s
    }

    #[test]
    fn answers_follow_the_story() {
        let org = Org::generate(DEFAULT_SEED);
        let instrument = survey_engine::instrument::builtin::load(INSTRUMENT)
            .unwrap()
            .unwrap();
        let workload = instrument.scale_index("workload").unwrap();
        let exhaustion = instrument.scale_index("exhaustion").unwrap();
        let mean = |wave: usize, filter: &dyn Fn(&Group) -> bool, scale: usize| {
            let scores: Vec<f64> = org
                .respondents(wave)
                .into_iter()
                .filter(|&i| filter(&org.groups[org.people[i].group]))
                .filter_map(|i| {
                    let sheet = org.answers(&instrument, wave, i);
                    let aligned: Vec<Option<i32>> = instrument
                        .items
                        .iter()
                        .map(|it| sheet.get(&it.id).copied().flatten())
                        .collect();
                    instrument.score(&aligned).unwrap().score(scale)
                })
                .collect();
            scores.iter().sum::<f64>() / scores.len() as f64
        };
        let steady = |g: &Group| g.story == Story::Steady;
        let overloaded = |g: &Group| g.story == Story::Overloaded;
        let improving = |g: &Group| g.story == Story::Improving;
        let worsening = |g: &Group| g.story == Story::Worsening;
        for wave in 0..2 {
            assert!(mean(wave, &overloaded, workload) < mean(wave, &steady, workload) - 0.8);
            assert!(mean(wave, &overloaded, exhaustion) > mean(wave, &steady, exhaustion) + 0.8);
        }
        assert!(mean(1, &improving, workload) > mean(0, &improving, workload) + 0.3);
        assert!(mean(1, &worsening, exhaustion) > mean(0, &worsening, exhaustion) + 0.3);
    }

    #[test]
    fn response_rates_stay_between_60_and_90_percent() {
        let org = Org::generate(DEFAULT_SEED);
        for wave in 0..2 {
            let n = org.respondents(wave).len() as f64 / org.people.len() as f64;
            assert!((0.6..=0.9).contains(&n), "{n}");
            for g in &org.groups {
                let r = g.waves[wave].response_rate;
                assert!((0.6..=0.9).contains(&r), "{r}");
            }
        }
    }

    #[test]
    fn the_open_wave_is_the_current_quarter_and_closes_later() {
        let now = at(NaiveDate::from_ymd_opt(2026, 11, 22).unwrap(), 3);
        let plan = wave_plan(now);
        let names: Vec<&str> = plan.iter().map(|w| w.name.as_str()).collect();
        assert_eq!(names, ["2026-Q2", "2026-Q3", "2026-Q4"]);
        assert!(plan[1].closes < now && plan[2].opens < now && plan[2].closes > now);
        let jan = at(NaiveDate::from_ymd_opt(2027, 1, 2).unwrap(), 3);
        let plan = wave_plan(jan);
        let names: Vec<&str> = plan.iter().map(|w| w.name.as_str()).collect();
        assert_eq!(names, ["2026-Q3", "2026-Q4", "2027-Q1"]);
        assert!(plan[1].closes < plan[2].opens && plan[2].opens < jan);
        assert!(plan[2].closes >= jan + Duration::days(14));
    }

    #[test]
    fn passwords_are_random_and_hash_as_argon2id() {
        let a = new_password().unwrap();
        assert_eq!(a.len(), 20);
        assert_ne!(a, new_password().unwrap());
        let hash = hash_password(&a).unwrap();
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        assert!(verify_password(&hash, &a));
        assert!(!verify_password(&hash, "wrong"));
        assert!(!verify_password("not a hash", &a));
    }
}
