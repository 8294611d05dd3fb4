//! Scoring one answer sheet (docs/scoring.md S2, S3, S7).

use crate::error::EngineError;
use crate::instrument::{Direction, Instrument};

/// A burnout profile (Leiter & Maslach 2016), as decided by S7.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Profile {
    Burnout,
    Overextended,
    Disengaged,
    Ineffective,
    Engaged,
    Unclassified,
}

impl Profile {
    /// Every profile, in report order.
    pub const ALL: [Profile; 6] = [
        Profile::Burnout,
        Profile::Overextended,
        Profile::Disengaged,
        Profile::Ineffective,
        Profile::Engaged,
        Profile::Unclassified,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Profile::Burnout => "burnout",
            Profile::Overextended => "overextended",
            Profile::Disengaged => "disengaged",
            Profile::Ineffective => "ineffective",
            Profile::Engaged => "engaged",
            Profile::Unclassified => "unclassified",
        }
    }

    pub fn index(self) -> usize {
        self as usize
    }
}

/// What one respondent contributes to one scale: their score and the S4 favorable tally.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ScaleScore {
    /// Mean of the answered items after reverse keying.
    pub score: f64,
    /// Answered items of the scale.
    pub answered: u32,
    /// Answered items on the healthy side's two end points, after reverse keying.
    pub favorable: u32,
}

/// Minimum answered items for a score on a scale of `items` items (S3): half, rounded up.
pub fn min_answered_of(items: usize) -> usize {
    items.div_ceil(2)
}

/// The scores of one answer sheet, one entry per scale in instrument order.
#[derive(Clone, Debug, PartialEq)]
pub struct SheetScores {
    pub scales: Vec<Option<ScaleScore>>,
    /// `None` when the instrument has no profile settings.
    pub profile: Option<Profile>,
}

impl SheetScores {
    pub fn score(&self, scale: usize) -> Option<f64> {
        self.scales.get(scale).copied().flatten().map(|s| s.score)
    }
}

impl Instrument {
    /// S2: the answer to `item` after reverse keying.
    pub fn keyed(&self, item: usize, value: i32) -> i32 {
        match self.items.get(item) {
            Some(i) if i.reverse => self.response_scale.reverse(value),
            _ => value,
        }
    }

    /// Checks that `answers` has one entry per item and every answer is on the scale.
    pub fn check_answers(&self, answers: &[Option<i32>]) -> Result<(), EngineError> {
        if answers.len() != self.items.len() {
            return Err(EngineError::InvalidInput(format!(
                "{} answers for {} items",
                answers.len(),
                self.items.len()
            )));
        }
        for (item, answer) in self.items.iter().zip(answers) {
            if let Some(v) = *answer {
                if !self.response_scale.contains(v) {
                    return Err(EngineError::InvalidInput(format!(
                        "item \"{}\": {v} is not on the scale {}..{}",
                        item.id, self.response_scale.min, self.response_scale.max
                    )));
                }
            }
        }
        Ok(())
    }

    /// Minimum answered items for a scale score (S3): half the scale's items, rounded up.
    pub fn min_answered(&self, scale: usize) -> usize {
        min_answered_of(self.scale_items(scale).len())
    }

    /// Whether a keyed value lies on the healthy side's two end points of `scale` (S4).
    pub fn is_favorable(&self, scale: usize, keyed: i32) -> bool {
        let rs = &self.response_scale;
        match self.scales.get(scale).map(|s| s.direction) {
            Some(Direction::HigherIsWorse) => keyed <= rs.min + 1,
            _ => keyed >= rs.max - 1,
        }
    }

    /// Scores one answer sheet (S2, S3, S7). Answers must be aligned with `self.items` and
    /// on the scale (see [`Instrument::check_answers`]).
    pub fn score(&self, answers: &[Option<i32>]) -> Result<SheetScores, EngineError> {
        self.check_answers(answers)?;
        Ok(self.score_unchecked(answers))
    }

    /// [`Instrument::score`] without the checks, for callers that validated already.
    pub fn score_unchecked(&self, answers: &[Option<i32>]) -> SheetScores {
        let scales = (0..self.scales.len())
            .map(|s| self.scale_score(s, answers))
            .collect::<Vec<_>>();
        let profile = self.profiles.map(|settings| {
            let score = |s: usize| scales.get(s).copied().flatten().map(|x| x.score);
            classify(
                score(settings.exhaustion.scale).map(|e| e >= settings.exhaustion.at),
                score(settings.cynicism.scale).map(|c| c >= settings.cynicism.at),
                score(settings.efficacy.scale).map(|f| f <= settings.efficacy.at),
            )
        });
        SheetScores { scales, profile }
    }

    fn scale_score(&self, scale: usize, answers: &[Option<i32>]) -> Option<ScaleScore> {
        let mut answered = 0u32;
        let mut favorable = 0u32;
        let mut sum = 0i64;
        for &item in self.scale_items(scale) {
            if let Some(v) = answers.get(item).copied().flatten() {
                let keyed = self.keyed(item, v);
                answered += 1;
                sum += i64::from(keyed);
                favorable += u32::from(self.is_favorable(scale, keyed));
            }
        }
        (answered > 0 && answered as usize >= self.min_answered(scale)).then(|| ScaleScore {
            score: sum as f64 / f64::from(answered),
            answered,
            favorable,
        })
    }
}

/// S7 from "is exhaustion high", "is cynicism high", "is efficacy low"; `None` = no score.
pub fn classify(
    exhaustion_high: Option<bool>,
    cynicism_high: Option<bool>,
    efficacy_low: Option<bool>,
) -> Profile {
    match (exhaustion_high, cynicism_high) {
        (Some(true), Some(true)) => Profile::Burnout,
        (Some(true), Some(false)) => Profile::Overextended,
        (Some(false), Some(true)) => Profile::Disengaged,
        (Some(false), Some(false)) => match efficacy_low {
            Some(true) => Profile::Ineffective,
            Some(false) => Profile::Engaged,
            None => Profile::Unclassified,
        },
        _ => Profile::Unclassified,
    }
}
