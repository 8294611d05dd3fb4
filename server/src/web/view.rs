//! From an instrument, a language and (after submitting) the respondent's scores to what the
//! pages show. Pure functions: no I/O.

use std::collections::BTreeMap;

use survey_engine::instrument::{Direction, ScaleKind};
use survey_engine::{Instrument, SheetScores};

use super::content;
use super::i18n::{self, Ui};
use super::pages::{
    Frame, GroupView, IdeaBlock, ItemView, OptionView, ScoreView, SupportView, ThanksPage,
};
use crate::configuration::Settings;
use crate::survey::responses::Receipt;

/// The instrument's texts in one of its languages, falling back to its own language for any
/// text a translation lacks.
pub struct Localised<'a> {
    instrument: &'a Instrument,
    translation: Option<&'a survey_engine::instrument::Translation>,
}

impl<'a> Localised<'a> {
    pub fn new(instrument: &'a Instrument, lang: &str) -> Localised<'a> {
        let translation = if lang == instrument.language {
            None
        } else {
            instrument.translations.get(lang)
        };
        Localised {
            instrument,
            translation,
        }
    }

    pub fn title(&self) -> &'a str {
        self.translation
            .and_then(|t| t.title.as_deref())
            .unwrap_or(&self.instrument.title)
    }

    pub fn description(&self) -> &'a str {
        self.translation
            .and_then(|t| t.description.as_deref())
            .unwrap_or(&self.instrument.description)
    }

    pub fn label(&self, point: usize) -> &'a str {
        self.translation
            .and_then(|t| t.labels.as_ref())
            .and_then(|l| l.get(point))
            .or_else(|| self.instrument.response_scale.labels.get(point))
            .map_or("", String::as_str)
    }

    pub fn scale(&self, scale: usize) -> &'a str {
        let Some(s) = self.instrument.scales.get(scale) else {
            return "";
        };
        self.translation
            .and_then(|t| t.scales.get(&s.id))
            .unwrap_or(&s.label)
    }

    /// An open question's text in this language (its own text where no translation has it).
    pub fn prompt(&self, id: &str, own: &'a str) -> &'a str {
        self.translation
            .and_then(|t| t.items.get(id))
            .map_or(own, String::as_str)
    }

    pub fn item(&self, item: usize) -> &'a str {
        let Some(i) = self.instrument.items.get(item) else {
            return "";
        };
        self.translation
            .and_then(|t| t.items.get(&i.id))
            .unwrap_or(&i.text)
    }
}

/// The items grouped by scale, in instrument order, numbered through; `answers` (by item id)
/// preselects options when the form is shown again.
pub fn groups(
    instrument: &Instrument,
    lang: &str,
    answers: &BTreeMap<String, Option<i32>>,
) -> Vec<GroupView> {
    let text = Localised::new(instrument, lang);
    let rs = &instrument.response_scale;
    let mut number = 0;
    instrument
        .scales
        .iter()
        .enumerate()
        .map(|(s, scale)| GroupView {
            id: scale.id.clone(),
            label: text.scale(s).to_string(),
            items: instrument
                .scale_items(s)
                .iter()
                .filter_map(|&i| instrument.items.get(i).map(|item| (i, item)))
                .map(|(i, item)| {
                    number += 1;
                    let chosen = answers.get(&item.id).copied().flatten();
                    ItemView {
                        id: item.id.clone(),
                        anchor: format!("q-{}", item.id),
                        number,
                        text: text.item(i).to_string(),
                        options: rs
                            .points()
                            .enumerate()
                            .map(|(p, value)| OptionView {
                                value,
                                label: text.label(p).to_string(),
                                checked: chosen == Some(value),
                            })
                            .collect(),
                        skipped: answers.get(&item.id) == Some(&None),
                        error: None,
                    }
                })
                .collect(),
        })
        .filter(|g| !g.items.is_empty())
        .collect()
}

/// The privacy statement, filled in for this wave.
pub fn privacy(ui: &Ui, k: i32, report_groups: &[String]) -> Vec<String> {
    let stored = if report_groups.is_empty() {
        ui.privacy_stored.to_string()
    } else {
        i18n::fill(
            ui.privacy_stored_groups,
            &[("groups", &report_groups.join(", "))],
        )
    };
    vec![
        stored,
        ui.privacy_never.to_string(),
        i18n::fill(ui.privacy_who, &[("k", &k.to_string())]),
        ui.privacy_partial.to_string(),
        ui.privacy_after.to_string(),
        ui.privacy_close.to_string(),
    ]
}

/// How healthy a score is on a scale where higher is better: reverse it where higher is worse.
fn health(instrument: &Instrument, scale: usize, score: f64) -> f64 {
    let rs = &instrument.response_scale;
    match instrument.scales.get(scale).map(|s| s.direction) {
        Some(Direction::HigherIsWorse) => f64::from(rs.min + rs.max) - score,
        _ => score,
    }
}

/// The respondent's weakest areas of worklife: the `n` lowest area scales, taking each
/// scale's direction into account; ties keep instrument order.
pub fn weakest_areas(instrument: &Instrument, scores: &SheetScores, n: usize) -> Vec<usize> {
    let mut areas: Vec<(usize, f64)> = instrument
        .scales
        .iter()
        .enumerate()
        .filter(|(_, s)| s.kind == ScaleKind::Area)
        .filter_map(|(i, _)| scores.score(i).map(|v| (i, health(instrument, i, v))))
        .collect();
    areas.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
    areas.into_iter().take(n).map(|(i, _)| i).collect()
}

/// Burnout and outcome scales on their unhealthy half (past the midpoint).
pub fn strained(instrument: &Instrument, scores: &SheetScores) -> Vec<usize> {
    let rs = &instrument.response_scale;
    let midpoint = f64::from(rs.min + rs.max) / 2.0;
    instrument
        .scales
        .iter()
        .enumerate()
        .filter(|(_, s)| s.kind != ScaleKind::Area)
        .filter(|(i, _)| {
            scores
                .score(*i)
                .is_some_and(|v| health(instrument, *i, v) < midpoint)
        })
        .map(|(i, _)| i)
        .collect()
}

/// The thank-you page: the respondent's own scores, suggestions for their weakest areas and
/// any strain, and the organisation's support contacts.
pub fn thanks(receipt: &Receipt, lang: &str, settings: &Settings) -> ThanksPage {
    let (sheet, scores) = (&receipt.sheet, &receipt.scores);
    let instrument = &sheet.instrument;
    let ui = i18n::ui(lang);
    let text = Localised::new(instrument, lang);
    let rs = &instrument.response_scale;
    let (min, max) = (f64::from(rs.min), f64::from(rs.max));
    let third = (max - min) / 3.0;
    let score_views = instrument
        .scales
        .iter()
        .enumerate()
        .map(|(i, scale)| {
            let value = scores.score(i);
            let help = content::help(&scale.id, lang);
            let meaning = match help {
                Some(h) => vec![h.high.clone(), h.low.clone()],
                None if !scale.description.is_empty() => vec![scale.description.clone()],
                None => Vec::new(),
            };
            let better = scale.direction == Direction::HigherIsBetter;
            ScoreView {
                id: scale.id.clone(),
                label: text.scale(i).to_string(),
                score: value.map(|v| {
                    i18n::fill(
                        ui.score_of,
                        &[
                            ("score", &i18n::decimal(v, lang)),
                            ("max", &rs.max.to_string()),
                        ],
                    )
                }),
                value: value.unwrap_or(min),
                direction: if better {
                    ui.higher_better
                } else {
                    ui.higher_worse
                },
                meaning,
                optimum: if better { rs.max } else { rs.min },
                low: format!("{:.2}", min + third),
                high: format!("{:.2}", max - third),
            }
        })
        .collect();

    let weakest = weakest_areas(instrument, scores, 2);
    let tips = |scale: usize| {
        instrument
            .scales
            .get(scale)
            .and_then(|s| content::help(&s.id, lang))
            .map(|h| h.suggestions.clone())
            .unwrap_or_default()
    };
    let mut ideas: Vec<IdeaBlock> = weakest
        .iter()
        .map(|&s| IdeaBlock {
            heading: text.scale(s).to_string(),
            intro: None,
            tips: tips(s),
        })
        .filter(|b| !b.tips.is_empty())
        .collect();
    let ideas_intro = (!ideas.is_empty()).then(|| {
        let names: Vec<String> = weakest.iter().map(|&s| text.scale(s).to_string()).collect();
        i18n::fill(ui.ideas_areas, &[("areas", &i18n::join_and(&names, ui))])
    });
    ideas.extend(
        strained(instrument, scores)
            .into_iter()
            .map(|s| IdeaBlock {
                heading: text.scale(s).to_string(),
                intro: Some(ui.ideas_strain.to_string()),
                tips: tips(s),
            })
            .filter(|b| !b.tips.is_empty()),
    );

    ThanksPage {
        page: Frame::new(lang, ui.thanks_title.to_string(), settings, &[]),
        not_diagnosis: i18n::fill(
            ui.results_not_diagnosis,
            &[("min", &rs.min.to_string()), ("max", &rs.max.to_string())],
        ),
        min: rs.min,
        max: rs.max,
        scores: score_views,
        ideas_intro,
        ideas,
        support: Some(SupportView::new(
            &settings.support,
            &settings.organisation,
            ui,
        )),
        support_first: receipt.support_first,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use survey_engine::instrument::builtin;

    fn pulse() -> Instrument {
        builtin::load("worklife-pulse").unwrap().unwrap()
    }

    fn answers(instrument: &Instrument, pairs: &[(&str, i32)]) -> Vec<Option<i32>> {
        let mut a = vec![None; instrument.items.len()];
        for (id, v) in pairs {
            a[instrument.item_index(id).unwrap()] = Some(*v);
        }
        a
    }

    #[test]
    fn weakest_areas_are_the_two_lowest_area_scales() {
        let i = pulse();
        let a = answers(
            &i,
            &[
                ("p_wl1", 4),
                ("p_ct1", 2),
                ("p_rw1", 5),
                ("p_cm1", 1),
                ("p_fr1", 3),
                ("p_vl1", 2),
                ("p_ex1", 1),
                ("p_ex2", 1),
            ],
        );
        let scores = i.score_unchecked(&a);
        let ids: Vec<&str> = weakest_areas(&i, &scores, 2)
            .into_iter()
            .map(|s| i.scales[s].id.as_str())
            .collect();
        // Community 1, then control and values tie at 2: instrument order decides.
        assert_eq!(ids, ["community", "control"]);
        // Exhaustion at 1 (higher is worse) is healthy: no strain.
        assert!(strained(&i, &scores).is_empty());
    }

    #[test]
    fn strain_reads_higher_is_worse_the_right_way_round() {
        let i = pulse();
        let a = answers(
            &i,
            &[("p_ex1", 5), ("p_ex2", 4), ("p_rc1", 1), ("p_ef1", 5)],
        );
        let scores = i.score_unchecked(&a);
        let ids: Vec<&str> = strained(&i, &scores)
            .into_iter()
            .map(|s| i.scales[s].id.as_str())
            .collect();
        assert_eq!(ids, ["exhaustion", "recovery"]);
    }

    #[test]
    fn texts_come_from_the_translation() {
        let i = pulse();
        let de = Localised::new(&i, "de");
        assert_eq!(de.scale(0), "Arbeitsmenge");
        assert_eq!(de.label(4), "Stimme voll und ganz zu");
        assert_eq!(Localised::new(&i, "en").item(0), i.items[0].text);
        let g = groups(&i, "de", &BTreeMap::from([("p_wl1".to_string(), Some(2))]));
        assert_eq!(g.len(), i.scales.len());
        assert!(g[0].items[0].options[1].checked);
        assert_eq!(
            g.iter().map(|g| g.items.len()).sum::<usize>(),
            i.items.len()
        );
    }
}
