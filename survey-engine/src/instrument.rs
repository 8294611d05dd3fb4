//! Instruments (docs/scoring.md S1): a versioned TOML questionnaire, parsed leniently and then
//! validated as a whole so that every problem is reported with its place, not just the first.

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use serde::Deserialize;

use crate::error::{EngineError, Problem};

/// What a scale measures.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScaleKind {
    Area,
    Burnout,
    Outcome,
}

/// Which end of a scale is the healthy one, after reverse keying.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    HigherIsBetter,
    HigherIsWorse,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ResponseScale {
    pub min: i32,
    pub max: i32,
    pub labels: Vec<String>,
}

impl ResponseScale {
    pub fn points(&self) -> std::ops::RangeInclusive<i32> {
        self.min..=self.max
    }

    pub fn contains(&self, value: i32) -> bool {
        self.points().contains(&value)
    }

    /// S2: v' = min + max - v.
    pub fn reverse(&self, value: i32) -> i32 {
        self.min + self.max - value
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Scale {
    pub id: String,
    pub label: String,
    pub description: String,
    pub kind: ScaleKind,
    pub direction: Direction,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Item {
    pub id: String,
    /// Index into `Instrument::scales`.
    pub scale: usize,
    pub text: String,
    pub reverse: bool,
}

/// An open question (`kind = "text"` in the instrument file): the answer is a comment of at
/// most [`COMMENT_MAX_CHARS`] characters, never scored.
#[derive(Clone, Debug, PartialEq)]
pub struct Prompt {
    pub id: String,
    pub text: String,
    /// The area (scale) the question is about, for filtering comments; `None` for a general
    /// question.
    pub area: Option<usize>,
}

/// The longest comment an open question takes, in characters.
pub const COMMENT_MAX_CHARS: usize = 2000;

/// A profile scale reference with its inclusive cut-off.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CutOff {
    /// Index into `Instrument::scales`.
    pub scale: usize,
    pub at: f64,
}

/// S7 settings: which scales are exhaustion, cynicism and efficacy, and their cut-offs.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ProfileSettings {
    /// High when the score is >= `at`.
    pub exhaustion: CutOff,
    /// High when the score is >= `at`.
    pub cynicism: CutOff,
    /// Low when the score is <= `at`.
    pub efficacy: CutOff,
}

#[derive(Clone, Debug, PartialEq, Default)]
pub struct Translation {
    pub title: Option<String>,
    pub description: Option<String>,
    pub labels: Option<Vec<String>>,
    pub scales: BTreeMap<String, String>,
    pub items: BTreeMap<String, String>,
}

/// A validated instrument. Only [`Instrument::parse`] builds one.
#[derive(Clone, Debug, PartialEq)]
pub struct Instrument {
    pub id: String,
    pub version: u32,
    pub title: String,
    pub description: String,
    pub language: String,
    pub response_scale: ResponseScale,
    pub scales: Vec<Scale>,
    pub items: Vec<Item>,
    /// Open questions, after the scored items on the form.
    pub prompts: Vec<Prompt>,
    pub profiles: Option<ProfileSettings>,
    pub translations: BTreeMap<String, Translation>,
    /// For each scale, the indices of its items in instrument order.
    scale_items: Vec<Vec<usize>>,
    item_index: HashMap<String, usize>,
}

impl Instrument {
    /// Parses and validates an instrument. On failure every problem found is returned.
    pub fn parse(source: &str) -> Result<Self, EngineError> {
        let raw: RawInstrument = toml::from_str(source).map_err(|e| {
            let place = match e.span() {
                Some(span) => {
                    let (line, column) = line_column(source, span.start);
                    format!("line {line}, column {column}")
                }
                None => "file".to_string(),
            };
            EngineError::InvalidInstrument(vec![Problem::new(place, e.message().trim())])
        })?;
        raw.validate()
    }

    pub fn item_index(&self, id: &str) -> Option<usize> {
        self.item_index.get(id).copied()
    }

    pub fn prompt_index(&self, id: &str) -> Option<usize> {
        self.prompts.iter().position(|p| p.id == id)
    }

    pub fn scale_index(&self, id: &str) -> Option<usize> {
        self.scales.iter().position(|s| s.id == id)
    }

    /// Indices of the items of scale `scale`, in instrument order.
    pub fn scale_items(&self, scale: usize) -> &[usize] {
        self.scale_items.get(scale).map_or(&[], Vec::as_slice)
    }

    /// Languages the instrument can be shown in: its own first, then its translations.
    pub fn languages(&self) -> Vec<&str> {
        std::iter::once(self.language.as_str())
            .chain(self.translations.keys().map(String::as_str))
            .collect()
    }
}

fn line_column(source: &str, offset: usize) -> (usize, usize) {
    let before = source.get(..offset).unwrap_or(source);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

// ---- lenient raw form: every field optional so that validation can see everything ----

#[derive(Deserialize)]
struct RawInstrument {
    id: Option<String>,
    version: Option<i64>,
    title: Option<String>,
    #[serde(default)]
    description: String,
    language: Option<String>,
    response_scale: Option<RawResponseScale>,
    #[serde(default)]
    scales: Vec<RawScale>,
    #[serde(default)]
    items: Vec<RawItem>,
    profiles: Option<RawProfiles>,
    #[serde(default)]
    translations: BTreeMap<String, RawTranslation>,
}

#[derive(Deserialize)]
struct RawResponseScale {
    min: Option<i64>,
    max: Option<i64>,
    #[serde(default)]
    labels: Vec<String>,
}

#[derive(Deserialize)]
struct RawScale {
    id: Option<String>,
    label: Option<String>,
    #[serde(default)]
    description: String,
    kind: Option<String>,
    higher_is: Option<String>,
}

#[derive(Deserialize)]
struct RawItem {
    id: Option<String>,
    /// `likert` (the default) or `text`.
    kind: Option<String>,
    scale: Option<String>,
    text: Option<String>,
    #[serde(default)]
    reverse: bool,
}

#[derive(Deserialize)]
struct RawProfiles {
    exhaustion: Option<RawCutOff>,
    cynicism: Option<RawCutOff>,
    efficacy: Option<RawCutOff>,
}

#[derive(Deserialize)]
struct RawCutOff {
    scale: Option<String>,
    high_at: Option<f64>,
    low_at: Option<f64>,
}

#[derive(Deserialize)]
struct RawTranslation {
    title: Option<String>,
    description: Option<String>,
    labels: Option<Vec<String>>,
    #[serde(default)]
    scales: BTreeMap<String, String>,
    #[serde(default)]
    items: BTreeMap<String, String>,
}

/// Collects problems while validating.
#[derive(Default)]
struct Problems(Vec<Problem>);

impl Problems {
    fn add(&mut self, place: impl fmt::Display, message: impl fmt::Display) {
        self.0
            .push(Problem::new(place.to_string(), message.to_string()));
    }

    fn required(&mut self, place: &str, value: Option<String>) -> String {
        match value {
            Some(v) if !v.trim().is_empty() => v,
            Some(_) => {
                self.add(place, "must not be empty");
                String::new()
            }
            None => {
                self.add(place, "is missing");
                String::new()
            }
        }
    }
}

/// Instruments with more points than this are almost certainly a typo in min or max.
const MAX_SCALE_POINTS: i64 = 11;

impl RawInstrument {
    /// Validates section by section, collecting every problem; problems are reported in this
    /// order.
    fn validate(self) -> Result<Instrument, EngineError> {
        let mut p = Problems::default();
        let header = validate_header(&mut p, self.id, self.version, self.title, self.language);
        let response_scale = validate_response_scale(&mut p, self.response_scale);
        let scales = validate_scales(&mut p, self.scales);
        let items = validate_items(&mut p, self.items, &scales);
        let profiles = self
            .profiles
            .and_then(|raw| validate_profiles(&mut p, raw, &scales.ids, response_scale.as_ref()));
        let translations = validate_translations(
            &mut p,
            self.translations,
            &header.language,
            response_scale.as_ref(),
            &scales,
            &items,
        );

        match response_scale {
            Some(response_scale) if p.0.is_empty() => Ok(Instrument {
                id: header.id,
                version: header.version,
                title: header.title,
                description: self.description,
                language: header.language,
                response_scale,
                scales: scales.scales,
                items: items.items,
                prompts: items.prompts,
                profiles,
                translations,
                scale_items: items.scale_items,
                item_index: items.index,
            }),
            _ => Err(EngineError::InvalidInstrument(p.0)),
        }
    }
}

/// The validated top-level fields.
struct Header {
    id: String,
    version: u32,
    title: String,
    language: String,
}

fn validate_header(
    p: &mut Problems,
    id: Option<String>,
    version: Option<i64>,
    title: Option<String>,
    language: Option<String>,
) -> Header {
    let id = p.required("id", id);
    let version = match version {
        Some(v) if (1..=i64::from(u32::MAX)).contains(&v) => v as u32,
        Some(v) => {
            p.add(
                "version",
                format!("must be a positive whole number, got {v}"),
            );
            0
        }
        None => {
            p.add("version", "is missing");
            0
        }
    };
    let title = p.required("title", title);
    let language = p.required("language", language);
    Header {
        id,
        version,
        title,
        language,
    }
}

/// The validated `[[scales]]`.
struct Scales {
    scales: Vec<Scale>,
    /// Index of each scale id in `scales`.
    ids: HashMap<String, usize>,
}

fn validate_scales(p: &mut Problems, raw_scales: Vec<RawScale>) -> Scales {
    let mut scales = Vec::with_capacity(raw_scales.len());
    let mut scale_ids: HashMap<String, usize> = HashMap::new();
    if raw_scales.is_empty() {
        p.add("scales", "the instrument has no scales");
    }
    for (i, raw) in raw_scales.into_iter().enumerate() {
        let place = match &raw.id {
            Some(id) => format!("scales[{i}] (id \"{id}\")"),
            None => format!("scales[{i}]"),
        };
        let sid = p.required(&format!("{place}.id"), raw.id);
        let label = p.required(&format!("{place}.label"), raw.label);
        let kind = match raw.kind.as_deref() {
            Some("area") => ScaleKind::Area,
            Some("burnout") => ScaleKind::Burnout,
            Some("outcome") => ScaleKind::Outcome,
            Some(other) => {
                p.add(
                    format!("{place}.kind"),
                    format!("unknown kind \"{other}\" (expected area, burnout or outcome)"),
                );
                ScaleKind::Area
            }
            None => {
                p.add(format!("{place}.kind"), "is missing");
                ScaleKind::Area
            }
        };
        let direction = match raw.higher_is.as_deref() {
            Some("better") => Direction::HigherIsBetter,
            Some("worse") => Direction::HigherIsWorse,
            Some(other) => {
                p.add(
                    format!("{place}.higher_is"),
                    format!("unknown value \"{other}\" (expected better or worse)"),
                );
                Direction::HigherIsBetter
            }
            None => {
                p.add(format!("{place}.higher_is"), "is missing");
                Direction::HigherIsBetter
            }
        };
        if !sid.is_empty() && scale_ids.insert(sid.clone(), i).is_some() {
            p.add(
                format!("{place}.id"),
                format!("duplicate scale id \"{sid}\""),
            );
        }
        scales.push(Scale {
            id: sid,
            label,
            description: raw.description,
            kind,
            direction,
        });
    }
    Scales {
        scales,
        ids: scale_ids,
    }
}

/// The validated `[[items]]`.
struct Items {
    items: Vec<Item>,
    /// Index of each item id in `items`.
    index: HashMap<String, usize>,
    /// For each scale, the indices of its items in instrument order.
    scale_items: Vec<Vec<usize>>,
    /// The open questions.
    prompts: Vec<Prompt>,
}

/// Validates the items against the scales, then reports every scale without items.
fn validate_items(p: &mut Problems, raw_items: Vec<RawItem>, scales: &Scales) -> Items {
    let scale_ids = &scales.ids;
    let mut items = Vec::with_capacity(raw_items.len());
    let mut item_index: HashMap<String, usize> = HashMap::new();
    let mut scale_items = vec![Vec::new(); scales.scales.len()];
    if raw_items.is_empty() {
        p.add("items", "the instrument has no items");
    }
    let mut prompts: Vec<Prompt> = Vec::new();
    for (i, raw) in raw_items.into_iter().enumerate() {
        let place = match &raw.id {
            Some(id) => format!("items[{i}] (id \"{id}\")"),
            None => format!("items[{i}]"),
        };
        match raw.kind.as_deref() {
            None | Some("likert") => {}
            Some("text") => {
                if let Some(prompt) = validate_prompt(p, &place, raw, scales, &item_index, &prompts)
                {
                    prompts.push(prompt);
                }
                continue;
            }
            Some(other) => {
                p.add(
                    format!("{place}.kind"),
                    format!("unknown kind \"{other}\" (expected likert or text)"),
                );
                continue;
            }
        }
        let iid = p.required(&format!("{place}.id"), raw.id);
        let text = p.required(&format!("{place}.text"), raw.text);
        let scale_ref = p.required(&format!("{place}.scale"), raw.scale);
        let scale = match scale_ids.get(&scale_ref) {
            Some(&s) => s,
            None => {
                if !scale_ref.is_empty() {
                    p.add(
                        format!("{place}.scale"),
                        format!("unknown scale \"{scale_ref}\""),
                    );
                }
                usize::MAX
            }
        };
        if !iid.is_empty() {
            if scale_ids.contains_key(&iid) {
                // Item ids become CSV column headers beside scale columns.
                p.add(
                    format!("{place}.id"),
                    format!("item id \"{iid}\" is also a scale id"),
                );
            }
            if item_index.insert(iid.clone(), items.len()).is_some()
                || prompts.iter().any(|q| q.id == iid)
            {
                p.add(
                    format!("{place}.id"),
                    format!("duplicate item id \"{iid}\""),
                );
            }
        }
        if let Some(list) = scale_items.get_mut(scale) {
            list.push(items.len());
        }
        items.push(Item {
            id: iid,
            scale,
            text,
            reverse: raw.reverse,
        });
    }
    for (s, scale) in scales.scales.iter().enumerate() {
        if scale_items.get(s).is_some_and(Vec::is_empty) {
            p.add(
                format!("scales[{s}] (id \"{}\")", scale.id),
                "empty scale: no item belongs to it",
            );
        }
    }
    if items.is_empty() && !prompts.is_empty() {
        p.add(
            "items",
            "the instrument has only open questions and nothing to score",
        );
    }
    Items {
        items,
        index: item_index,
        scale_items,
        prompts,
    }
}

/// An open question (`kind = "text"`): an id and a text; a scale, when given, is the area it
/// asks about. `reverse` means nothing for it.
fn validate_prompt(
    p: &mut Problems,
    place: &str,
    raw: RawItem,
    scales: &Scales,
    item_index: &HashMap<String, usize>,
    prompts: &[Prompt],
) -> Option<Prompt> {
    let id = p.required(&format!("{place}.id"), raw.id);
    let text = p.required(&format!("{place}.text"), raw.text);
    if raw.reverse {
        p.add(
            format!("{place}.reverse"),
            "an open question is not scored, so it cannot be reversed",
        );
    }
    let area = match raw.scale {
        None => None,
        Some(s) => match scales.ids.get(&s) {
            Some(&i) => Some(i),
            None => {
                p.add(format!("{place}.scale"), format!("unknown scale \"{s}\""));
                None
            }
        },
    };
    if id.is_empty() {
        return None;
    }
    if scales.ids.contains_key(&id)
        || item_index.contains_key(&id)
        || prompts.iter().any(|q| q.id == id)
    {
        p.add(format!("{place}.id"), format!("duplicate id \"{id}\""));
        return None;
    }
    Some(Prompt { id, text, area })
}

/// Validates `[translations.*]` against the language, response scale, scales and items.
fn validate_translations(
    p: &mut Problems,
    raw_translations: BTreeMap<String, RawTranslation>,
    language: &str,
    response_scale: Option<&ResponseScale>,
    scales: &Scales,
    items: &Items,
) -> BTreeMap<String, Translation> {
    let expected_labels = response_scale.map(|r| r.labels.len());
    let mut translations = BTreeMap::new();
    for (lang, raw) in raw_translations {
        let place = format!("translations.{lang}");
        if lang == language {
            p.add(&place, "translates into the instrument's own language");
        }
        if let (Some(labels), Some(expected)) = (&raw.labels, expected_labels) {
            if labels.len() != expected {
                p.add(
                    format!("{place}.labels"),
                    format!(
                        "has {} labels, the response scale has {expected} points",
                        labels.len()
                    ),
                );
            }
        }
        for scale in &scales.scales {
            if !scale.id.is_empty() && !raw.scales.contains_key(&scale.id) {
                p.add(
                    format!("{place}.scales"),
                    format!("missing scale \"{}\"", scale.id),
                );
            }
        }
        for key in raw.scales.keys().filter(|k| !scales.ids.contains_key(*k)) {
            p.add(
                format!("{place}.scales"),
                format!("unknown scale \"{key}\""),
            );
        }
        let ids = items
            .items
            .iter()
            .map(|i| &i.id)
            .chain(items.prompts.iter().map(|q| &q.id));
        for id in ids {
            if !id.is_empty() && !raw.items.contains_key(id) {
                p.add(format!("{place}.items"), format!("missing item \"{id}\""));
            }
        }
        let known =
            |k: &String| items.index.contains_key(k) || items.prompts.iter().any(|q| q.id == *k);
        for key in raw.items.keys().filter(|k| !known(k)) {
            p.add(format!("{place}.items"), format!("unknown item \"{key}\""));
        }
        translations.insert(
            lang,
            Translation {
                title: raw.title,
                description: raw.description,
                labels: raw.labels,
                scales: raw.scales,
                items: raw.items,
            },
        );
    }
    translations
}

fn validate_response_scale(
    p: &mut Problems,
    raw: Option<RawResponseScale>,
) -> Option<ResponseScale> {
    let Some(raw) = raw else {
        p.add("response_scale", "is missing");
        return None;
    };
    let (Some(min), Some(max)) = (raw.min, raw.max) else {
        if raw.min.is_none() {
            p.add("response_scale.min", "is missing");
        }
        if raw.max.is_none() {
            p.add("response_scale.max", "is missing");
        }
        return None;
    };
    // Favorable % takes the two end points of one side, so a scale needs at least three.
    // In i128: the bounds are any i64 the file holds, and their difference may not fit.
    let span = i128::from(max) - i128::from(min);
    if span < 2 || span + 1 > i128::from(MAX_SCALE_POINTS) {
        p.add(
            "response_scale",
            format!("bad range {min}..{max}: a scale needs 3 to {MAX_SCALE_POINTS} points"),
        );
        return None;
    }
    let (Ok(min), Ok(max)) = (i32::try_from(min), i32::try_from(max)) else {
        p.add("response_scale", format!("bad range {min}..{max}"));
        return None;
    };
    let points = (max - min + 1) as usize;
    if raw.labels.len() != points {
        p.add(
            "response_scale.labels",
            format!(
                "has {} labels, the range {min}..{max} has {points} points",
                raw.labels.len()
            ),
        );
    }
    Some(ResponseScale {
        min,
        max,
        labels: raw.labels,
    })
}

fn validate_profiles(
    p: &mut Problems,
    raw: RawProfiles,
    scale_ids: &HashMap<String, usize>,
    response_scale: Option<&ResponseScale>,
) -> Option<ProfileSettings> {
    let mut cut = |name: &str, raw: Option<RawCutOff>, high: bool| -> Option<CutOff> {
        let place = format!("profiles.{name}");
        let Some(raw) = raw else {
            p.add(
                &place,
                "is missing (profiles need exhaustion, cynicism and efficacy)",
            );
            return None;
        };
        let (key, at) = if high {
            ("high_at", raw.high_at)
        } else {
            ("low_at", raw.low_at)
        };
        let scale = match raw.scale {
            Some(id) => match scale_ids.get(&id) {
                Some(&s) => Some(s),
                None => {
                    p.add(
                        format!("{place}.scale"),
                        format!("points at a missing scale \"{id}\""),
                    );
                    None
                }
            },
            None => {
                p.add(format!("{place}.scale"), "is missing");
                None
            }
        };
        let at = match at {
            Some(at) => {
                if let Some(rs) = response_scale {
                    if !(f64::from(rs.min)..=f64::from(rs.max)).contains(&at) {
                        p.add(
                            format!("{place}.{key}"),
                            format!(
                                "{at} lies outside the response scale {}..{}",
                                rs.min, rs.max
                            ),
                        );
                    }
                }
                Some(at)
            }
            None => {
                p.add(format!("{place}.{key}"), "is missing");
                None
            }
        };
        Some(CutOff {
            scale: scale?,
            at: at?,
        })
    };
    let exhaustion = cut("exhaustion", raw.exhaustion, true);
    let cynicism = cut("cynicism", raw.cynicism, true);
    let efficacy = cut("efficacy", raw.efficacy, false);
    Some(ProfileSettings {
        exhaustion: exhaustion?,
        cynicism: cynicism?,
        efficacy: efficacy?,
    })
}

/// The instruments shipped with the engine, by id.
pub mod builtin {
    use super::Instrument;
    use crate::error::EngineError;

    pub const WORKLIFE_CORE: &str = include_str!("../instruments/worklife-core.toml");
    pub const WORKLIFE_PULSE: &str = include_str!("../instruments/worklife-pulse.toml");

    /// Ids of the built-in instruments.
    pub const IDS: [&str; 2] = ["worklife-core", "worklife-pulse"];

    /// The TOML source of a built-in instrument.
    pub fn source(id: &str) -> Option<&'static str> {
        match id {
            "worklife-core" => Some(WORKLIFE_CORE),
            "worklife-pulse" => Some(WORKLIFE_PULSE),
            _ => None,
        }
    }

    /// A parsed built-in instrument; `None` for an unknown id.
    pub fn load(id: &str) -> Option<Result<Instrument, EngineError>> {
        source(id).map(Instrument::parse)
    }
}
