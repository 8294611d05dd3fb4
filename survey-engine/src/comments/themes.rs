//! Themes of a comment: the six areas of worklife plus manager, pay, remote work and tools,
//! found by small English and German vocabularies matched after Snowball stemming ("deadlines"
//! and "deadline", "Überstunden" and "Überstunde" meet).
//!
//! Limits: German compounds are matched only when listed ("Arbeitsbelastung" is, a new
//! "Projektbelastung" is not); negation is not understood ("no overtime" touches workload,
//! which is what a theme means: the comment is about it).

use std::sync::OnceLock;

use rust_stemmers::{Algorithm, Stemmer};
use rustc_hash::FxHashMap;

/// A theme a comment can touch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Theme {
    /// Stable id, used in the database and the API.
    pub id: &'static str,
    /// English label.
    pub label_en: &'static str,
    /// German label.
    pub label_de: &'static str,
}

const THEMES: &[Theme] = &[
    Theme {
        id: "workload",
        label_en: "Workload",
        label_de: "Arbeitsbelastung",
    },
    Theme {
        id: "control",
        label_en: "Control",
        label_de: "Handlungsspielraum",
    },
    Theme {
        id: "reward",
        label_en: "Reward",
        label_de: "Anerkennung",
    },
    Theme {
        id: "community",
        label_en: "Community",
        label_de: "Gemeinschaft",
    },
    Theme {
        id: "fairness",
        label_en: "Fairness",
        label_de: "Fairness",
    },
    Theme {
        id: "values",
        label_en: "Values",
        label_de: "Werte",
    },
    Theme {
        id: "manager",
        label_en: "Manager",
        label_de: "Führungskraft",
    },
    Theme {
        id: "pay",
        label_en: "Pay",
        label_de: "Bezahlung",
    },
    Theme {
        id: "remote_work",
        label_en: "Remote work",
        label_de: "Mobiles Arbeiten",
    },
    Theme {
        id: "tools",
        label_en: "Tools",
        label_de: "Arbeitsmittel",
    },
];

/// Vocabulary per theme (same order as [`THEMES`]): English words and phrases, then German.
const VOCABULARY: &[(&[&str], &[&str])] = &[
    (
        &[
            "overtime",
            "deadline",
            "workload",
            "busy",
            "understaffed",
            "overloaded",
            "overwhelmed",
            "stress",
            "stressed",
            "pressure",
            "too much work",
            "long hours",
            "rush",
            "burnout",
        ],
        &[
            "Überstunden",
            "Arbeitslast",
            "Termindruck",
            "Stress",
            "gestresst",
            "Zeitdruck",
            "Arbeitsbelastung",
            "Belastung",
            "überlastet",
            "unterbesetzt",
            "Deadline",
            "Frist",
            "Arbeitspensum",
            "Mehrarbeit",
            "zu viel Arbeit",
            "Burnout",
        ],
    ),
    (
        &[
            "autonomy",
            "micromanagement",
            "micromanaging",
            "micromanaged",
            "decide",
            "decision",
            "control",
            "freedom",
            "flexibility",
            "no say",
            "have a say",
        ],
        &[
            "Autonomie",
            "Mitsprache",
            "Entscheidung",
            "entscheiden",
            "Kontrolle",
            "Freiraum",
            "Handlungsspielraum",
            "Mikromanagement",
            "Selbstbestimmung",
            "Flexibilität",
        ],
    ),
    (
        &[
            "recognition",
            "appreciated",
            "appreciation",
            "praise",
            "acknowledged",
            "thanks",
            "reward",
            "promotion",
            "credit",
        ],
        &[
            "Anerkennung",
            "Wertschätzung",
            "wertgeschätzt",
            "Lob",
            "gelobt",
            "Beförderung",
            "Dank",
            "Belohnung",
        ],
    ),
    (
        &[
            "team",
            "colleague",
            "coworker",
            "co-worker",
            "support",
            "conflict",
            "isolated",
            "lonely",
            "atmosphere",
            "teamwork",
        ],
        &[
            "Team",
            "Kollege",
            "Kollegin",
            "Kollegen",
            "Zusammenarbeit",
            "Zusammenhalt",
            "Konflikt",
            "Teamgeist",
            "Unterstützung",
            "isoliert",
            "einsam",
            "Betriebsklima",
            "Stimmung",
        ],
    ),
    (
        &[
            "fair",
            "unfair",
            "injustice",
            "favouritism",
            "favoritism",
            "equal",
            "transparent",
            "transparency",
            "double standard",
        ],
        &[
            "fair",
            "unfair",
            "gerecht",
            "ungerecht",
            "Gerechtigkeit",
            "Bevorzugung",
            "bevorzugt",
            "Gleichbehandlung",
            "Transparenz",
            "Willkür",
        ],
    ),
    (
        &[
            "values",
            "meaning",
            "meaningful",
            "meaningless",
            "purpose",
            "mission",
            "ethics",
            "ethical",
            "integrity",
        ],
        &[
            "Werte",
            "Sinn",
            "sinnvoll",
            "sinnlos",
            "Ethik",
            "ethisch",
            "Überzeugung",
            "Leitbild",
        ],
    ),
    (
        &[
            "manager",
            "boss",
            "supervisor",
            "leadership",
            "management",
            "line manager",
            "team lead",
        ],
        &[
            "Chef",
            "Chefin",
            "Vorgesetzte",
            "Vorgesetzter",
            "Führungskraft",
            "Teamleitung",
            "Teamleiter",
            "Führung",
            "Management",
            "Abteilungsleiter",
            "Abteilungsleitung",
        ],
    ),
    (
        &[
            "pay",
            "paid",
            "salary",
            "wage",
            "bonus",
            "raise",
            "compensation",
            "underpaid",
        ],
        &[
            "Gehalt",
            "Lohn",
            "Bezahlung",
            "Vergütung",
            "Gehaltserhöhung",
            "unterbezahlt",
            "Bonus",
            "Geld",
        ],
    ),
    (
        &[
            "remote",
            "home office",
            "work from home",
            "working from home",
            "wfh",
            "hybrid",
            "commute",
            "commuting",
        ],
        &[
            "Homeoffice",
            "Home-Office",
            "mobiles Arbeiten",
            "Telearbeit",
            "pendeln",
            "hybrid",
            "remote",
            "Büropflicht",
            "Präsenzpflicht",
        ],
    ),
    (
        &[
            "tool",
            "software",
            "laptop",
            "computer",
            "vpn",
            "equipment",
            "printer",
            "ticket system",
        ],
        &[
            "Werkzeug",
            "Software",
            "Laptop",
            "Rechner",
            "Computer",
            "Ausstattung",
            "Programm",
            "Technik",
            "Drucker",
            "VPN",
        ],
    ),
];

/// Every theme, in the order [`themes_of`] reports them.
pub fn themes() -> &'static [Theme] {
    THEMES
}

/// The theme ids a comment touches (each at most once), in themes() order.
pub fn themes_of(text: &str) -> Vec<&'static str> {
    let index = Index::get();
    let words = lower_words(text);
    let english: Vec<String> = words
        .iter()
        .map(|w| index.english.stem(w).into_owned())
        .collect();
    let german: Vec<String> = words
        .iter()
        .map(|w| index.german.stem(w).into_owned())
        .collect();
    let mut touched = vec![false; THEMES.len()];
    for (stems, entries) in [
        (&english, &index.english_entries),
        (&german, &index.german_entries),
    ] {
        for i in 0..stems.len() {
            for (theme, rest) in entries.get(&stems[i]).into_iter().flatten() {
                if stems[i + 1..].starts_with(rest) {
                    touched[*theme] = true;
                }
            }
        }
    }
    THEMES
        .iter()
        .zip(touched)
        .filter(|(_, t)| *t)
        .map(|(theme, _)| theme.id)
        .collect()
}

/// The lowercased words of a text (hyphens and apostrophes split words: "Home-Office" is
/// "home", "office").
fn lower_words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// Stemmed vocabularies: first stem of an entry → (theme index, the entry's other stems).
type Entries = FxHashMap<String, Vec<(usize, Vec<String>)>>;

struct Index {
    english: Stemmer,
    german: Stemmer,
    english_entries: Entries,
    german_entries: Entries,
}

impl Index {
    /// Built once: the stemmers and the stemmed vocabulary.
    fn get() -> &'static Index {
        static INDEX: OnceLock<Index> = OnceLock::new();
        INDEX.get_or_init(|| {
            let english = Stemmer::create(Algorithm::English);
            let german = Stemmer::create(Algorithm::German);
            let mut english_entries = Entries::default();
            let mut german_entries = Entries::default();
            for (theme, (en, de)) in VOCABULARY.iter().enumerate() {
                add_entries(&mut english_entries, &english, theme, en);
                add_entries(&mut german_entries, &german, theme, de);
            }
            Index {
                english,
                german,
                english_entries,
                german_entries,
            }
        })
    }
}

fn add_entries(entries: &mut Entries, stemmer: &Stemmer, theme: usize, phrases: &[&str]) {
    for phrase in phrases {
        let mut stems = lower_words(phrase)
            .iter()
            .map(|w| stemmer.stem(w).into_owned())
            .collect::<Vec<_>>()
            .into_iter();
        if let Some(first) = stems.next() {
            entries
                .entry(first)
                .or_default()
                .push((theme, stems.collect()));
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use proptest::prelude::*;

    #[test]
    fn ten_themes_in_order_each_with_a_vocabulary() {
        let ids: Vec<&str> = themes().iter().map(|t| t.id).collect();
        assert_eq!(
            ids,
            [
                "workload",
                "control",
                "reward",
                "community",
                "fairness",
                "values",
                "manager",
                "pay",
                "remote_work",
                "tools"
            ]
        );
        assert_eq!(VOCABULARY.len(), THEMES.len());
    }

    #[test]
    fn every_vocabulary_entry_finds_its_theme() {
        for (theme, (en, de)) in THEMES.iter().zip(VOCABULARY) {
            for entry in en.iter().chain(de.iter()) {
                assert!(
                    themes_of(entry).contains(&theme.id),
                    "{entry} -> {}",
                    theme.id
                );
            }
        }
    }

    #[test]
    fn english_comments() {
        let cases: &[(&str, &[&str])] = &[
            ("Too many deadlines and constant overtime.", &["workload"]),
            (
                "My boss micromanages everything and I have no say.",
                &["control", "manager"],
            ),
            (
                "Nobody ever says thanks; I don't feel appreciated.",
                &["reward"],
            ),
            ("Great colleagues, we support each other.", &["community"]),
            (
                "Promotions are unfair and based on favouritism.",
                &["reward", "fairness"],
            ),
            ("I no longer see any purpose in what we do.", &["values"]),
            (
                "The salary is fine but the VPN drops every hour.",
                &["pay", "tools"],
            ),
            (
                "Working from home two days a week would help with the commute.",
                &["remote_work"],
            ),
            ("The weather was nice.", &[]),
            // Negation is not understood: the comment is still about workload.
            ("No overtime here at all.", &["workload"]),
        ];
        for (text, expected) in cases {
            assert_eq!(themes_of(text), *expected, "{text}");
        }
    }

    #[test]
    fn german_comments() {
        let cases: &[(&str, &[&str])] = &[
            ("Ständig Überstunden und Termindruck.", &["workload"]),
            (
                "Meine Chefin lobt nie, keine Anerkennung.",
                &["reward", "manager"],
            ),
            ("Der Zusammenhalt im Team ist super.", &["community"]),
            ("Die Bezahlung ist ungerecht.", &["fairness", "pay"]),
            (
                "Mehr Homeoffice und ein besserer Laptop wären schön.",
                &["remote_work", "tools"],
            ),
            ("Ich sehe keinen Sinn mehr in meiner Arbeit.", &["values"]),
            (
                "Zu viel Arbeit, zu wenig Mitsprache.",
                &["workload", "control"],
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(themes_of(text), *expected, "{text}");
        }
    }

    proptest! {
        #[test]
        fn any_text_gives_known_themes_once_in_order(text in any::<String>()) {
            let found = themes_of(&text);
            let order: Vec<usize> = found
                .iter()
                .map(|id| THEMES.iter().position(|t| t.id == *id).unwrap())
                .collect();
            prop_assert!(order.windows(2).all(|w| w[0] < w[1]));
        }
    }
}
