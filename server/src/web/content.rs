//! Self-help content shown on the thank-you page: per scale id and language, what a high and
//! a low score mean and a few suggestions. Written in `server/content/`, embedded at build
//! time, parsed once.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScaleHelp {
    pub high: String,
    pub low: String,
    pub suggestions: Vec<String>,
}

type Library = BTreeMap<String, ScaleHelp>;

const SOURCES: [(&str, &str); 2] = [
    ("en", include_str!("../../content/selfhelp.en.toml")),
    ("de", include_str!("../../content/selfhelp.de.toml")),
];

fn parse(source: &str) -> Result<Library, toml::de::Error> {
    toml::from_str(source)
}

fn libraries() -> &'static BTreeMap<&'static str, Library> {
    static PARSED: OnceLock<BTreeMap<&'static str, Library>> = OnceLock::new();
    PARSED.get_or_init(|| {
        SOURCES
            .iter()
            .filter_map(|(lang, source)| match parse(source) {
                Ok(library) => Some((*lang, library)),
                Err(e) => {
                    // A unit test keeps this from shipping; at run time, show no tips rather
                    // than failing the respondent's submission.
                    tracing::error!(lang, error = %e, "self-help content does not parse");
                    None
                }
            })
            .collect()
    })
}

/// The help for `scale` in `lang` (by primary subtag), else in English, else none.
pub fn help(scale: &str, lang: &str) -> Option<&'static ScaleHelp> {
    let all = libraries();
    let primary = lang.split('-').next().unwrap_or(lang);
    all.get(primary)
        .and_then(|l| l.get(scale))
        .or_else(|| all.get("en").and_then(|l| l.get(scale)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use survey_engine::instrument::builtin;

    #[test]
    fn both_languages_parse_and_cover_every_builtin_scale() {
        for (lang, source) in SOURCES {
            let library = parse(source).unwrap_or_else(|e| panic!("{lang}: {e}"));
            for id in builtin::IDS {
                let instrument = builtin::load(id).unwrap().unwrap();
                for scale in &instrument.scales {
                    let help = library
                        .get(&scale.id)
                        .unwrap_or_else(|| panic!("{lang}: no help for {}", scale.id));
                    assert!(help.suggestions.len() >= 3, "{lang} {}", scale.id);
                    assert!(!help.high.is_empty() && !help.low.is_empty());
                }
            }
            assert_eq!(
                library.keys().collect::<Vec<_>>(),
                parse(SOURCES[0].1).unwrap().keys().collect::<Vec<_>>(),
                "{lang} covers the same scales as English"
            );
        }
        assert!(help("workload", "de-AT").is_some_and(|h| h.low.contains("Arbeit")));
        assert!(help("workload", "fr").is_some_and(|h| h.low.contains("work")));
        assert!(help("no-such-scale", "en").is_none());
    }
}
