//! The synthetic organisation of the demo: "Northwind", its teams and their stories, who
//! works where, and how each group answers. Everything follows from the seed ([`Rng`]).

use std::collections::{BTreeMap, HashSet};

use survey_engine::instrument::Direction;
use survey_engine::Instrument;

use super::{ATTRIBUTES, ROOT, TENURES};
use crate::survey::roster::{Roster, RosterRow};

// ---------------------------------------------------------------- the organisation

/// A unit where people sit: a team, or an inner unit with a few people directly on it.
pub(super) struct Seat {
    /// Path below the root ("" = the root itself).
    path: &'static str,
    pub(super) min: usize,
    pub(super) max: usize,
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
pub(super) const SEATS: &[Seat] = &[
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
                    name: None,
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
    /// About four in ten people of a wave write a comment to the first open question, from a
    /// small pool of plausible ones (the demo's comments page has something to show).
    pub fn comments(
        &self,
        instrument: &Instrument,
        wave: usize,
        person: usize,
    ) -> BTreeMap<String, String> {
        const POOL: [&str; 12] = [
            "Too much overtime before every release; we need one more person in the team.",
            "Deadlines are set without asking us how long the work takes.",
            "More say in how we plan our own work would help a lot.",
            "Recognition for the work behind the scenes, not only for launches.",
            "Fewer meetings, so that there is time to actually do the work.",
            "Clearer priorities from management; everything is urgent at once.",
            "The pay has not kept up with what the job asks of us.",
            "Better tools: the build takes forever and the laptops are old.",
            "More flexibility to work from home on focused days.",
            "The team is great; keep the weekly retrospective.",
            "Promotions should follow clear and fair criteria.",
            "Time to recover after on-call weeks.",
        ];
        let Some(prompt) = instrument.prompts.first() else {
            return BTreeMap::new();
        };
        let mut rng = Rng::derive(self.seed, &[9, wave as u64, person as u64]);
        if rng.next_u64() % 10 >= 4 {
            return BTreeMap::new();
        }
        let pick = (rng.next_u64() % POOL.len() as u64) as usize;
        BTreeMap::from([(prompt.id.clone(), POOL[pick].to_string())])
    }

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
