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

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

use anyhow::Context;
use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use survey_engine::instrument::Direction;
use survey_engine::Instrument;

pub use crate::auth::password::verify_password;
use crate::auth::password::{hash_password, new_password};
use crate::configuration::Settings;
use crate::db::schema::{invitation_tokens, invitations, people, units, users, waves as wave_rows};
use crate::db::{new_id, Backend, DbConn, DbPool};
use crate::db_run;
use crate::survey::responses::{self, InstrumentCache};
use crate::survey::roster::{self, Roster, RosterRow};
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

// ---------------------------------------------------------------- the organisation

/// A unit where people sit: a team, or an inner unit with a few people directly on it.
struct Seat {
    /// Path below the root ("" = the root itself).
    path: &'static str,
    min: usize,
    max: usize,
    /// The office most of its people work from.
    home: &'static str,
    /// Whether it can carry a story: big enough that even at a 60% response rate it shows
    /// up in reports (9 * 0.6 rounds to 5 = k).
    story: bool,
}

const fn team(path: &'static str, min: usize, max: usize, home: &'static str) -> Seat {
    Seat {
        path,
        min,
        max,
        home,
        story: min >= 9,
    }
}

const fn inner(path: &'static str, n: usize, home: &'static str) -> Seat {
    Seat {
        path,
        min: n,
        max: n,
        home,
        story: false,
    }
}

/// Three levels below the root: division / department / team, with a few teams directly
/// under a division or the root, and some teams under 5 people so that suppression shows.
const SEATS: &[Seat] = &[
    inner("", 3, "Berlin"),
    inner("Engineering", 1, "Berlin"),
    inner("Engineering/Platform", 1, "Berlin"),
    team("Engineering/Platform/Infrastructure", 9, 12, "Berlin"),
    team("Engineering/Platform/Developer Tools", 6, 8, "Berlin"),
    team("Engineering/Platform/Site Reliability", 7, 9, "Berlin"),
    inner("Engineering/Product", 1, "Berlin"),
    team("Engineering/Product/Web", 9, 12, "Berlin"),
    team("Engineering/Product/Mobile", 6, 8, "Lisbon"),
    team("Engineering/Product/Payments", 9, 11, "Berlin"),
    team("Engineering/Product/Search", 6, 7, "Berlin"),
    team("Engineering/Product/Design", 5, 7, "Lisbon"),
    inner("Engineering/Data", 1, "Berlin"),
    team("Engineering/Data/Analytics", 6, 8, "Berlin"),
    team("Engineering/Data/Machine Learning", 5, 7, "Berlin"),
    team("Engineering/Data/Data Platform", 6, 8, "Lisbon"),
    team("Engineering/Security", 3, 4, "Berlin"),
    team("Engineering/Quality Assurance", 6, 8, "Lisbon"),
    inner("Operations", 1, "Hamburg"),
    inner("Operations/Logistics", 1, "Hamburg"),
    team("Operations/Logistics/Warehouse North", 12, 16, "Hamburg"),
    team("Operations/Logistics/Warehouse South", 11, 15, "Munich"),
    team("Operations/Logistics/Fleet", 6, 8, "Hamburg"),
    team("Operations/Logistics/Returns", 6, 8, "Munich"),
    inner("Operations/Customer Service", 1, "Lisbon"),
    team(
        "Operations/Customer Service/Support Tier 1",
        13,
        17,
        "Lisbon",
    ),
    team("Operations/Customer Service/Support Tier 2", 7, 9, "Lisbon"),
    team("Operations/Customer Service/Onboarding", 5, 7, "Lisbon"),
    team("Operations/Facilities", 4, 6, "Hamburg"),
    inner("Sales", 1, "Berlin"),
    inner("Sales/Enterprise", 1, "Berlin"),
    team("Sales/Enterprise/EMEA", 7, 9, "Berlin"),
    team("Sales/Enterprise/North America", 7, 9, "Toronto"),
    team("Sales/Enterprise/APAC", 3, 4, "Singapore"),
    team("Sales/Enterprise/Solutions Engineering", 5, 7, "Berlin"),
    inner("Sales/SMB", 1, "Lisbon"),
    team("Sales/SMB/Inside Sales", 9, 12, "Lisbon"),
    team("Sales/SMB/Partnerships", 4, 6, "Lisbon"),
    team("Sales/Sales Operations", 5, 7, "Berlin"),
    inner("Marketing", 1, "Berlin"),
    team("Marketing/Brand", 5, 7, "Berlin"),
    team("Marketing/Growth", 9, 11, "Berlin"),
    team("Marketing/Product Marketing", 5, 6, "Berlin"),
    team("Marketing/Events", 2, 3, "Berlin"),
    inner("Finance", 1, "Berlin"),
    team("Finance/Accounting", 6, 8, "Berlin"),
    team("Finance/Planning", 4, 6, "Berlin"),
    team("Finance/Procurement", 3, 4, "Hamburg"),
    team("Finance/Payroll", 3, 4, "Berlin"),
    inner("People", 1, "Berlin"),
    team("People/Recruiting", 5, 7, "Berlin"),
    team("People/HR Operations", 5, 6, "Berlin"),
    team("People/Learning", 2, 3, "Berlin"),
    team("Legal", 3, 4, "Berlin"),
];

const OFFICES: [&str; 6] = [
    "Berlin",
    "Lisbon",
    "Hamburg",
    "Munich",
    "Toronto",
    "Singapore",
];

const FIRST: [&str; 48] = [
    "ada", "ben", "clara", "david", "elena", "farid", "greta", "hugo", "ines", "jonas", "kira",
    "luis", "maya", "noah", "olga", "paul", "quinn", "rosa", "samir", "tara", "umar", "vera",
    "wim", "xenia", "yusuf", "zoe", "anton", "bea", "carlos", "dana", "emil", "fatima", "gil",
    "hanna", "ivan", "julia", "karim", "lena", "marco", "nina", "oscar", "pia", "rafael", "sara",
    "tomas", "ula", "viktor", "wanda",
];

const LAST: [&str; 40] = [
    "almeida", "becker", "costa", "dietrich", "eriksen", "fischer", "garcia", "hoffmann",
    "ibrahim", "jansen", "keller", "lopes", "meyer", "nowak", "oliveira", "peters", "quast",
    "richter", "santos", "tanaka", "ueda", "vogel", "weber", "xu", "yilmaz", "zimmer", "baptista",
    "chen", "dubois", "engel", "ferreira", "gomes", "haas", "ito", "kraus", "lange", "moreau",
    "nielsen", "park", "silva",
];

/// What a team goes through over the three waves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Story {
    Steady,
    /// Too much work in every wave: low workload score, high exhaustion.
    Overloaded,
    /// Overloaded in the first wave, recovering since.
    Improving,
    /// Fine in the first wave, sliding into overload since.
    Worsening,
    /// Enough time, but low fairness and reward, high cynicism.
    Disengaged,
}

impl Story {
    pub fn as_str(self) -> &'static str {
        match self {
            Story::Steady => "steady",
            Story::Overloaded => "overloaded",
            Story::Improving => "improving",
            Story::Worsening => "worsening",
            Story::Disengaged => "disengaged",
        }
    }
}

/// A group's working conditions in one wave. `overload` 0 is a normal load, 1 a heavy
/// overload; `climate` -1 is a poor, 1 a good team climate (fairness, reward, community).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Conditions {
    pub overload: f64,
    pub climate: f64,
    /// The share of the group that answers by the time the wave closes.
    pub response_rate: f64,
}

/// A unit where people sit, with its story.
#[derive(Clone, Debug)]
pub struct Group {
    pub path: String,
    pub story: Story,
    /// Per wave: the two closed ones, then the open one.
    pub waves: [Conditions; 3],
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Person {
    pub email: String,
    pub unit: String,
    pub tenure: &'static str,
    pub location: &'static str,
    /// Index into [`Org::groups`].
    pub group: usize,
}

/// The synthetic organisation of one seed.
#[derive(Clone, Debug)]
pub struct Org {
    pub seed: u64,
    pub groups: Vec<Group>,
    pub people: Vec<Person>,
}

fn full_path(path: &str) -> String {
    if path.is_empty() {
        ROOT.to_string()
    } else {
        format!("{ROOT}/{path}")
    }
}

impl Org {
    /// The organisation of a seed: the same seed always gives the same organisation.
    pub fn generate(seed: u64) -> Org {
        let mut rng = Rng::derive(seed, &[1]);
        // Stories go to teams big enough to be seen: two overloaded, one improving, one
        // worsening, one disengaged.
        let mut candidates: Vec<usize> = (0..SEATS.len())
            .filter(|&i| SEATS.get(i).is_some_and(|s| s.story))
            .collect();
        rng.shuffle(&mut candidates);
        let mut stories = vec![Story::Steady; SEATS.len()];
        let plot = [
            Story::Overloaded,
            Story::Overloaded,
            Story::Improving,
            Story::Worsening,
            Story::Disengaged,
        ];
        for (story, &i) in plot.iter().zip(&candidates) {
            if let Some(s) = stories.get_mut(i) {
                *s = *story;
            }
        }

        let mut groups = Vec::with_capacity(SEATS.len());
        let mut people = Vec::new();
        let mut emails = HashSet::new();
        for (g, (seat, story)) in SEATS.iter().zip(stories).enumerate() {
            let unit = full_path(seat.path);
            groups.push(Group {
                path: unit.clone(),
                story,
                waves: conditions(story, &mut rng),
            });
            let size = rng.range(seat.min, seat.max);
            for _ in 0..size {
                let first = rng.pick(&FIRST);
                let last = rng.pick(&LAST);
                let mut email = format!("{first}.{last}@northwind.example");
                let mut n = 2;
                while !emails.insert(email.clone()) {
                    email = format!("{first}.{last}{n}@northwind.example");
                    n += 1;
                }
                let tenure = {
                    let u = rng.unit();
                    // Heads of units have been around; teams have the usual spread.
                    let bands = if seat.min == seat.max {
                        [0.0, 0.05, 0.45, 1.0]
                    } else {
                        [0.16, 0.46, 0.85, 1.0]
                    };
                    let band = bands.iter().position(|&b| u < b).unwrap_or(3);
                    TENURES.get(band).copied().unwrap_or("3-10y")
                };
                let location = {
                    let u = rng.unit();
                    if u < 0.80 {
                        seat.home
                    } else if u < 0.95 {
                        "Remote"
                    } else {
                        rng.pick(&OFFICES)
                    }
                };
                people.push(Person {
                    email,
                    unit: unit.clone(),
                    tenure,
                    location,
                    group: g,
                });
            }
        }
        Org {
            seed,
            groups,
            people,
        }
    }

    /// The roster to import.
    pub fn roster(&self) -> Roster {
        Roster {
            attribute_names: ATTRIBUTES.iter().map(|a| a.to_string()).collect(),
            rows: self
                .people
                .iter()
                .map(|p| RosterRow {
                    email: p.email.clone(),
                    unit: p.unit.clone(),
                    attributes: BTreeMap::from([
                        ("tenure".to_string(), p.tenure.to_string()),
                        ("location".to_string(), p.location.to_string()),
                    ]),
                })
                .collect(),
        }
    }

    /// Groups with a story other than steady, in plot order.
    pub fn plot(&self) -> Vec<&Group> {
        let order = [
            Story::Overloaded,
            Story::Improving,
            Story::Worsening,
            Story::Disengaged,
        ];
        order
            .iter()
            .flat_map(|s| self.groups.iter().filter(move |g| g.story == *s))
            .collect()
    }

    /// Who answers wave `wave` (0, 1: closed; 2: open) and, for the open wave, who has answered
    /// so far. Exact counts per group from its response rate, so every group's rate is the
    /// intended one; which people answer varies with the wave.
    pub fn respondents(&self, wave: usize) -> Vec<usize> {
        let mut chosen = Vec::new();
        for (g, group) in self.groups.iter().enumerate() {
            let members: Vec<usize> = self
                .people
                .iter()
                .enumerate()
                .filter(|(_, p)| p.group == g)
                .map(|(i, _)| i)
                .collect();
            let Some(c) = group.waves.get(wave) else {
                continue;
            };
            let share = if wave == 2 {
                // Part-way through the open wave.
                c.response_rate * 0.55
            } else {
                c.response_rate
            };
            let n = (share * members.len() as f64).round() as usize;
            let mut rng = Rng::derive(self.seed, &[2, wave as u64, g as u64]);
            let mut shuffled = members;
            rng.shuffle(&mut shuffled);
            chosen.extend(shuffled.into_iter().take(n));
        }
        chosen.sort_unstable();
        chosen
    }

    /// Person `person`'s answer sheet in wave `wave`, as the form would submit it: every item
    /// of the instrument, skipped ones as `None`.
    pub fn answers(
        &self,
        instrument: &Instrument,
        wave: usize,
        person: usize,
    ) -> BTreeMap<String, Option<i32>> {
        let mut sheet = BTreeMap::new();
        let Some(p) = self.people.get(person) else {
            return sheet;
        };
        let Some(c) = self.groups.get(p.group).and_then(|g| g.waves.get(wave)) else {
            return sheet;
        };
        // A person's general outlook stays with them from wave to wave.
        let outlook = 0.45 * Rng::derive(self.seed, &[3, person as u64]).normal();
        let mut rng = Rng::derive(self.seed, &[4, wave as u64, person as u64]);
        let rs = &instrument.response_scale;
        let latent: Vec<f64> = instrument
            .scales
            .iter()
            .map(|s| {
                let sign = match s.direction {
                    Direction::HigherIsBetter => 1.0,
                    Direction::HigherIsWorse => -1.0,
                };
                scale_mean(&s.id, c)
                    + tenure_effect(&s.id, p.tenure)
                    + sign * outlook
                    + 0.35 * rng.normal()
            })
            .collect();
        // Some people skip a question or two; a few stop before the end.
        let skip_some = rng.chance(0.25);
        let stop_at = if rng.chance(0.03) {
            rng.range(instrument.items.len() * 2 / 3, instrument.items.len())
        } else {
            instrument.items.len()
        };
        for (i, item) in instrument.items.iter().enumerate() {
            let level = latent.get(item.scale).copied().unwrap_or(3.0) + 0.7 * rng.normal();
            let keyed = (level.round() as i32).clamp(rs.min, rs.max);
            let value = if item.reverse {
                rs.reverse(keyed)
            } else {
                keyed
            };
            let skipped = i >= stop_at || (skip_some && rng.chance(0.06));
            sheet.insert(item.id.clone(), (!skipped).then_some(value));
        }
        if sheet.values().all(Option::is_none) {
            if let Some((_, v)) = sheet.iter_mut().next() {
                *v = Some(rs.min + (rs.max - rs.min) / 2);
            }
        }
        sheet
    }
}

/// A group's conditions over the three waves, following its story.
fn conditions(story: Story, rng: &mut Rng) -> [Conditions; 3] {
    let base_overload = (0.15 + 0.15 * rng.normal()).clamp(-0.2, 0.5);
    let base_climate = (0.1 + 0.3 * rng.normal()).clamp(-0.5, 0.8);
    let path: [(f64, f64); 3] = match story {
        Story::Steady => [(base_overload, base_climate); 3],
        Story::Overloaded => {
            let o = 1.0 + 0.1 * rng.normal();
            [(o, base_climate - 0.2); 3]
        }
        Story::Improving => [(1.1, -0.4), (0.6, 0.0), (0.25, 0.3)],
        Story::Worsening => [(0.15, 0.3), (0.7, -0.2), (1.1, -0.6)],
        Story::Disengaged => [(0.3, -1.0); 3],
    };
    let busy = matches!(story, Story::Overloaded | Story::Disengaged);
    path.map(|(o, c)| Conditions {
        overload: o + 0.08 * rng.normal(),
        climate: c + 0.1 * rng.normal(),
        response_rate: if busy {
            0.6 + 0.12 * rng.unit()
        } else {
            0.65 + 0.25 * rng.unit()
        },
    })
}

/// The mean of a scale (on 1..5, keyed) under given conditions.
fn scale_mean(scale: &str, c: &Conditions) -> f64 {
    let (o, k) = (c.overload, c.climate);
    match scale {
        "workload" => 3.6 - 1.4 * o + 0.15 * k,
        "control" => 3.6 - 0.3 * o + 0.35 * k,
        "reward" => 3.4 - 0.1 * o + 0.5 * k,
        "community" => 3.8 - 0.1 * o + 0.45 * k,
        "fairness" => 3.3 + 0.55 * k,
        "values" => 3.7 + 0.4 * k,
        "exhaustion" => 2.4 + 1.3 * o - 0.15 * k,
        "cynicism" => 2.2 + 0.5 * o - 0.6 * k,
        "efficacy" => 3.9 - 0.1 * o + 0.15 * k,
        "recovery" => 3.5 - 1.1 * o + 0.1 * k,
        _ => 3.0,
    }
}

/// Newcomers are fresher and less cynical but less sure of themselves; long-timers a little
/// more cynical.
fn tenure_effect(scale: &str, tenure: &str) -> f64 {
    match (tenure, scale) {
        ("<1y", "exhaustion") => -0.25,
        ("<1y", "cynicism") => -0.3,
        ("<1y", "efficacy") => -0.2,
        ("10y+", "cynicism") => 0.25,
        ("10y+", "values") => -0.1,
        _ => 0.0,
    }
}

// ---------------------------------------------------------------- the waves

/// A demo wave: its name and when it runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WavePlan {
    pub name: String,
    pub opens: NaiveDateTime,
    pub closes: NaiveDateTime,
}

fn at(date: NaiveDate, hour: u32) -> NaiveDateTime {
    date.and_hms_opt(hour, 0, 0).unwrap_or_default()
}

fn quarter_start(year: i32, quarter: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, 3 * (quarter - 1) + 1, 1).unwrap_or_default()
}

/// The waves around `now`: the two previous quarters (closed) and the current one (open,
/// closing in the future). Each quarter's wave opens in its third week and runs three weeks.
pub fn wave_plan(now: NaiveDateTime) -> [WavePlan; 3] {
    let today = now.date();
    let (year, quarter) = (today.year(), (today.month() - 1) / 3 + 1);
    let back = |n: u32| {
        let index = i64::from(year) * 4 + i64::from(quarter - 1) - i64::from(n);
        let (y, q) = (index.div_euclid(4) as i32, index.rem_euclid(4) as u32 + 1);
        (y, q)
    };
    let past = |n: u32| {
        let (y, q) = back(n);
        let opens = at(quarter_start(y, q) + Duration::days(14), 9);
        WavePlan {
            name: format!("{y}-Q{q}"),
            opens,
            closes: at(opens.date() + Duration::days(21), 17),
        }
    };
    let opens = at(
        (quarter_start(year, quarter) + Duration::days(14)).min(today - Duration::days(7)),
        9,
    );
    let closes = at(
        (opens.date() + Duration::days(21)).max(today + Duration::days(14)),
        17,
    );
    [
        past(2),
        past(1),
        WavePlan {
            name: format!("{year}-Q{quarter}"),
            opens,
            closes,
        },
    ]
}

// ---------------------------------------------------------------- building it

/// Builds the demo on an empty database (no units, people or waves); on any other database
/// says so and changes nothing.
pub fn ensure(pool: &DbPool, settings: &Settings, seed: u64) -> anyhow::Result<()> {
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
            return again(&mut conn, settings);
        }
        println!(
            "the database already holds data ({unit_count} units, {people_count} people, \
             {wave_count} waves): the demo was not created, nothing was changed"
        );
        if is_demo {
            println!(
                "it is the demo: its logins were printed by the run that built it; to start \
                 over, drop and create the database, then run this command again"
            );
        }
        return Ok(());
    }
    build(pool, settings, seed)
}

/// A second `--demo` on the demo's own SQLite database: new passwords for the demo's logins
/// (the database keeps only hashes, so the first run's cannot be shown again; their sessions
/// end), and how to start over. Nothing else changes.
fn again(conn: &mut DbConn, settings: &Settings) -> anyhow::Result<()> {
    println!("the demo is already in this database; its logins get new passwords:");
    let manager = format!("manager login ({MANAGER_UNIT})");
    for (who, email) in [
        ("admin login", ADMIN_EMAIL),
        (manager.as_str(), MANAGER_EMAIL),
    ] {
        let password = new_password()?;
        match crate::auth::set_password_hash(conn, email, &hash_password(&password)?) {
            Ok(()) => println!("{who}: {email} / {password}"),
            Err(crate::error::AppError::NotFound(_)) => {
                println!("{who}: {email} was removed; it stays removed")
            }
            Err(e) => return Err(e.into()),
        }
    }
    println!(
        "sign in at {}/login",
        settings.base_url.trim_end_matches('/')
    );
    let db = settings.database_url.expose();
    println!(
        "the answer links were shown only when the demo was built (the database keeps only \
         their hashes); to start over with new links, stop the server, delete {db}, \
         {db}-wal and {db}-shm, then run this command again"
    );
    Ok(())
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

fn build(pool: &DbPool, settings: &Settings, seed: u64) -> anyhow::Result<()> {
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
    println!(
        "demo organisation \"{ROOT}\" (seed {seed}): {} people in {} units",
        org.people.len(),
        imported.units_created
    );

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
                let sheet = org.answers(&instrument, index, person);
                responses::submit(&mut conn, &cache, token, &sheet, now)?;
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

    for (wave, open, answered) in &summaries {
        let invited = org.people.len();
        let pct = 100.0 * *answered as f64 / invited.max(1) as f64;
        if !open {
            println!(
                "wave {} ({} to {}), closed: {answered} of {invited} answered ({pct:.0}%)",
                wave.name,
                wave.opens_at.format("%Y-%m-%d"),
                wave.closes_at.format("%Y-%m-%d"),
            );
        } else {
            println!(
                "wave {} open until {} UTC: {answered} of {invited} answered so far ({pct:.0}%); \
                 the invitations are in {}",
                wave.name,
                wave.closes_at.format("%Y-%m-%d %H:%M"),
                settings.outbox_dir.display()
            );
        }
    }
    println!("what to look for:");
    for g in org.plot() {
        println!("  {:<11} {}", g.story.as_str(), g.path);
    }
    match &admin_password {
        Some(password) => println!("admin login: {ADMIN_EMAIL} / {password}"),
        None => println!("admin login: {ADMIN_EMAIL} exists already; its password is unchanged"),
    }
    if let Some(password) = &manager_password {
        println!("manager login ({MANAGER_UNIT}): {MANAGER_EMAIL} / {password}");
    }
    println!(
        "sign in at {}/login",
        settings.base_url.trim_end_matches('/')
    );
    println!(
        "answer links of the open wave (each works once; shown only now, the database keeps \
         only their hashes):"
    );
    for link in &links {
        println!("  {link}");
    }
    println!("demo built in {:.1} s", started.elapsed().as_secs_f64());
    Ok(())
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

// ---------------------------------------------------------------- the generator

/// SplitMix64: small, portable and fixed, so that a seed gives the same demo on every
/// platform and with every version of the `rand` crate. Only for synthetic data, never for
/// secrets. Normal deviates come from sums of uniforms (no transcendental functions), so
/// the results are bit-for-bit the same everywhere.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// An independent stream for `(seed, parts...)`.
    pub fn derive(seed: u64, parts: &[u64]) -> Rng {
        let mut r = Rng(seed ^ 0x5745_4c4c_4e45_5353);
        for &p in parts {
            r.0 = r.next_u64() ^ p.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
        r.next_u64();
        r
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: usize, hi: usize) -> usize {
        if hi <= lo {
            return lo;
        }
        lo + (self.next_u64() % (hi - lo + 1) as u64) as usize
    }

    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// Approximately standard normal (Irwin-Hall of 12 uniforms).
    pub fn normal(&mut self) -> f64 {
        (0..12).map(|_| self.unit()).sum::<f64>() - 6.0
    }

    pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        let i = self.range(0, items.len().saturating_sub(1));
        items[i]
    }

    /// Fisher-Yates.
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.range(0, i);
            items.swap(i, j);
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

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
