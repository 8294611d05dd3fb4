//! Word lists that hold a comment back for an admin before it is shown in reports.
//!
//! Word lists miss things (irony, misspellings, new slang, anything not on the list) and flag
//! harmless text (a quoted phrase, "the word suicide in our training"): both on purpose, since
//! a held-back comment costs an admin a look while a missed one may cost more. An admin
//! decides. Figurative workload talk is left alone: "killer feature", "the deadline is
//! killing us" and "this job is killing me" raise nothing, because "kill" is only listed with
//! "myself" or a person as its object.

use super::fold_word;

/// Why a comment is held back.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub enum Concern {
    /// The writer may harm themself.
    SelfHarm,
    /// The writer threatens someone.
    Threat,
    /// The writer reports (or commits) harassment, bullying or discrimination.
    Harassment,
}

impl Concern {
    /// Every concern, in order.
    pub const ALL: [Concern; 3] = [Concern::SelfHarm, Concern::Threat, Concern::Harassment];
}

/// Built-in self-harm phrases, English then German. In a phrase, "*" ends a word prefix
/// ("suizid*" matches "suizidal") and "..." stands for one to three words.
pub const SELF_HARM: &[&str] = &[
    "kill myself",
    "killing myself",
    "suicid*",
    "end my life",
    "ending my life",
    "end it all",
    "take my own life",
    "self-harm",
    "harm myself",
    "hurt myself",
    "cut myself",
    "don't want to live",
    "do not want to live",
    "better off dead",
    "no reason to live",
    "want to die",
    "mich umbringen",
    "bringe mich um",
    "bring mich um",
    "suizid*",
    "selbstmord*",
    "nicht mehr leben",
    "selbstverletz*",
    "mir das leben nehmen",
    "mir etwas antun",
    "mir was antun",
    "will sterben",
    "lebensmüde",
    "ritze mich",
    "keinen sinn mehr zu leben",
];

/// Built-in threat phrases, English then German.
pub const THREAT: &[&str] = &[
    "i will hurt",
    "i'll hurt",
    "going to hurt",
    "i will kill",
    "i'll kill",
    "going to kill",
    "kill him",
    "kill her",
    "kill them",
    "kill you",
    "bring a gun",
    "bring a knife",
    "shoot up",
    "shoot him",
    "shoot them",
    "burn the office",
    "make them pay",
    "they will regret",
    "bringe ihn um",
    "bringe sie um",
    "bringe dich um",
    "bringe euch um",
    "bringe den ... um",
    "bringe die ... um",
    "bring ihn um",
    "drohung",
    "drohe",
    "bedroh*",
    "abstechen",
    "erschieß*",
    "erschlag*",
    "zusammenschlagen",
    "waffe mitbringen",
    "abknallen",
    "werden es bereuen",
    "in die luft sprengen",
];

/// Built-in harassment phrases, English then German.
pub const HARASSMENT: &[&str] = &[
    "sexual harassment",
    "sexually harassed",
    "harass*",
    "groped",
    "groping",
    "touched me",
    "mobbing",
    "mobbed",
    "bullied",
    "bullying",
    "racist",
    "racism",
    "sexist",
    "homophobic",
    "discriminated",
    "discrimination",
    "stalking",
    "unwanted advances",
    "belästig*",
    "sexuelle belästigung",
    "begrapscht",
    "mich angefasst",
    "gemobbt",
    "rassistisch",
    "rassismus",
    "sexistisch",
    "diskriminiert",
    "diskriminierung",
    "schikaniert",
    "schikane",
    "homophob",
    "gestalkt",
    "anzüglich*",
];

/// One word of a phrase.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Token {
    /// A folded word, matched whole.
    Word(String),
    /// A folded word prefix ("suizid*").
    Prefix(String),
    /// One to three words of anything ("...").
    Gap,
}

/// The most words a "..." stands for.
const GAP_WORDS: usize = 3;

/// A configurable list of phrases per concern.
#[derive(Clone, Debug)]
pub struct ReviewList {
    phrases: Vec<(Concern, Vec<Token>)>,
}

impl ReviewList {
    /// The built-in lists (EN and DE), plus extra phrases per concern.
    pub fn builtin() -> ReviewList {
        let empty = ReviewList {
            phrases: Vec::new(),
        };
        [
            (Concern::SelfHarm, SELF_HARM),
            (Concern::Threat, THREAT),
            (Concern::Harassment, HARASSMENT),
        ]
        .into_iter()
        .fold(empty, |list, (concern, phrases)| {
            list.with(concern, phrases.iter().copied())
        })
    }

    /// Adds phrases to a concern (an organisation's own words). Phrases are matched like the
    /// built-in ones: case-insensitive, whole words, "*" for a prefix, "..." for a gap.
    pub fn with_extra(self, concern: Concern, phrases: &[String]) -> ReviewList {
        self.with(concern, phrases.iter().map(String::as_str))
    }

    fn with<'a>(mut self, concern: Concern, phrases: impl Iterator<Item = &'a str>) -> ReviewList {
        for phrase in phrases {
            let tokens = parse_phrase(phrase);
            // A phrase of only gaps (or nothing) would flag every comment.
            if tokens.iter().any(|t| *t != Token::Gap) {
                self.phrases.push((concern, tokens));
            }
        }
        self
    }

    /// The concerns a text raises (case-insensitive, whole words/phrases, German umlaut forms),
    /// each once, in the order of [`Concern::ALL`].
    pub fn concerns(&self, text: &str) -> Vec<Concern> {
        let words = text_words(text);
        let mut found: Vec<Concern> = self
            .phrases
            .iter()
            .filter(|(_, tokens)| (0..words.len()).any(|i| matches_at(tokens, &words[i..])))
            .map(|&(concern, _)| concern)
            .collect();
        found.sort_unstable();
        found.dedup();
        found
    }
}

/// Folded words of a text: "Self-harm" gives "self", "harm"; "don't" gives "dont";
/// "Belästigung" and "Belaestigung" both give "belaestigung".
fn text_words(text: &str) -> Vec<String> {
    super::word_ranges(text)
        .into_iter()
        .map(|(s, e)| fold_word(&text[s..e]))
        .collect()
}

fn parse_phrase(phrase: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    for chunk in phrase.split_whitespace() {
        if chunk.chars().all(|c| c == '.' || c == '…') {
            tokens.push(Token::Gap);
            continue;
        }
        let prefix = chunk.ends_with('*');
        let words = text_words(chunk);
        let last = words.len().saturating_sub(1);
        for (i, word) in words.into_iter().enumerate() {
            tokens.push(if prefix && i == last {
                Token::Prefix(word)
            } else {
                Token::Word(word)
            });
        }
    }
    tokens
}

/// Whether the phrase matches the words starting at the first one.
fn matches_at(tokens: &[Token], words: &[String]) -> bool {
    let Some((first, rest)) = tokens.split_first() else {
        return true;
    };
    match first {
        Token::Word(w) => words.first() == Some(w) && matches_at(rest, &words[1..]),
        Token::Prefix(p) => {
            words.first().is_some_and(|w| w.starts_with(p.as_str()))
                && matches_at(rest, &words[1..])
        }
        Token::Gap => (1..=GAP_WORDS.min(words.len())).any(|skip| matches_at(rest, &words[skip..])),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    fn concerns(text: &str) -> Vec<Concern> {
        ReviewList::builtin().concerns(text)
    }

    #[test]
    fn every_builtin_phrase_is_found_in_a_sentence() {
        let list = ReviewList::builtin();
        for (concern, phrases) in [
            (Concern::SelfHarm, SELF_HARM),
            (Concern::Threat, THREAT),
            (Concern::Harassment, HARASSMENT),
        ] {
            for phrase in phrases {
                let spelled = phrase.replace('*', "en").replace("...", "neuen Kollegen");
                let text = format!("Ehrlich gesagt: {spelled}. Punkt.");
                assert!(
                    list.concerns(&text).contains(&concern),
                    "{concern:?}: {text}"
                );
            }
        }
    }

    #[test]
    fn list_sizes_are_modest() {
        let sizes: Vec<usize> = [SELF_HARM, THREAT, HARASSMENT]
            .iter()
            .map(|l| l.len())
            .collect();
        assert_eq!(sizes, [30, 36, 33]);
    }

    #[test]
    fn english_sentences() {
        assert_eq!(
            concerns("Some days I want to kill myself."),
            vec![Concern::SelfHarm]
        );
        assert_eq!(
            concerns("I DON'T WANT TO LIVE like this"),
            vec![Concern::SelfHarm]
        );
        assert_eq!(
            concerns("I have had suicidal thoughts"),
            vec![Concern::SelfHarm]
        );
        assert_eq!(
            concerns("thinking about self harm"),
            vec![Concern::SelfHarm]
        );
        assert_eq!(
            concerns("Next time I'll bring a gun."),
            vec![Concern::Threat]
        );
        assert_eq!(
            concerns("He groped me at the party"),
            vec![Concern::Harassment]
        );
        assert_eq!(
            concerns("I was bullied and harassed"),
            vec![Concern::Harassment]
        );
        assert_eq!(
            concerns("They bullied me so long that I want to die"),
            vec![Concern::SelfHarm, Concern::Harassment]
        );
    }

    #[test]
    fn german_sentences_in_inflected_and_umlaut_forms() {
        assert_eq!(
            concerns("Manchmal denke ich an Suizid."),
            vec![Concern::SelfHarm]
        );
        assert_eq!(concerns("Ich will mich umbringen"), vec![Concern::SelfHarm]);
        assert_eq!(
            concerns("Ich bringe mich um, wenn das so weitergeht"),
            vec![Concern::SelfHarm]
        );
        assert_eq!(
            concerns("Ich kann so nicht mehr leben"),
            vec![Concern::SelfHarm]
        );
        assert_eq!(
            concerns("Selbstverletzungen sind bei mir wieder ein Thema"),
            vec![Concern::SelfHarm]
        );
        assert_eq!(
            concerns("Ich bringe den Teamleiter noch um"),
            vec![Concern::Threat]
        );
        assert_eq!(concerns("Er hat mich bedroht"), vec![Concern::Threat]);
        assert_eq!(
            concerns("Ich wurde sexuell belästigt"),
            vec![Concern::Harassment]
        );
        assert_eq!(
            concerns("Ich wurde sexuell belaestigt"),
            vec![Concern::Harassment]
        );
        assert_eq!(
            concerns("SEXUELLE BELÄSTIGUNG im Lager"),
            vec![Concern::Harassment]
        );
        assert_eq!(
            concerns("Mobbing ist hier Alltag"),
            vec![Concern::Harassment]
        );
        assert_eq!(
            concerns("Die Sprüche sind rassistisch"),
            vec![Concern::Harassment]
        );
    }

    /// Figurative talk about work stays unflagged on purpose (see the module doc).
    #[test]
    fn near_misses_stay_unflagged() {
        for text in [
            "The new search is a killer feature",
            "The deadline is killing us",
            "This job is killing me",
            "Our risk register lists every threat",
            "Wir bringen das Projekt um 10 Uhr zu Ende",
            "Mobbingfrei ist unser Ziel",
            "Threats and risks are listed in the plan",
            "I will hurry to finish",
            "Die Drohne ist kaputt",
        ] {
            assert_eq!(concerns(text), Vec::<Concern>::new(), "{text}");
        }
    }

    /// Word lists cannot tell a quote or a joke from the real thing: these are held back on
    /// purpose, for an admin to release.
    #[test]
    fn harmless_text_with_listed_words_is_still_flagged() {
        assert_eq!(
            concerns("We watched Suicide Squad at the team event"),
            vec![Concern::SelfHarm]
        );
        assert_eq!(
            concerns("I'll kill this bug tomorrow"),
            vec![Concern::Threat]
        );
        assert_eq!(
            concerns("Die Schulung zu Mobbing war gut"),
            vec![Concern::Harassment]
        );
    }

    #[test]
    fn extra_phrases_join_a_concern() {
        let list = ReviewList::builtin()
            .with_extra(Concern::Threat, &["sabotage*".to_owned(), "...".to_owned()]);
        assert_eq!(
            list.concerns("I will sabotage the release"),
            vec![Concern::Threat]
        );
        assert_eq!(list.concerns("all good"), Vec::<Concern>::new());
    }
}
