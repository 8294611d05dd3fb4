//! D9: no shown figure reveals that every respondent of a cell gave the same answer, or that
//! all but one did. Such a figure is replaced by a band that covers both cases, so a reader
//! who sees the band cannot tell "all" from "all but one" and so learns no one's answer.
//!
//! The rules, applied to every shown cell of a release (docs/privacy.md D9):
//!
//! * **Distributions** (an item's answers per scale point, the burnout profiles): when one
//!   answer holds all or all but one of the cell's respondents, that answer is shown as
//!   "all or nearly all" and every other answer (0 or 1 respondents each) as "none or nearly
//!   none". The item's mean and sd are withheld too: with the shown n they would give the
//!   counts back.
//! * **Favorable %** of a scale: its answers are counted over answered items. The figure is
//!   "all or nearly all" when at most one respondent gave an unfavorable answer, or when the
//!   unfavorable answers are no more than one respondent's worth (the cell's answers divided
//!   by its respondents, rounded up; none included), which a reader could not tell apart;
//!   "none or nearly none" likewise for the favorable answers.
//!
//! * **Scale means**: when all respondents but at most one scored at one end of the scale
//!   (every item answered at that end, after reverse keying), the mean, sd and sd-based
//!   figures could tell it (a mean within two steps of 1 / items of an end does on its own).
//!   Then the mean, sd, confidence interval, comparisons and tests of the cell are withheld
//!   and the mean is shown as a band ([`MeanBand`]); where the organisation's own cell is
//!   banded, no difference from it is shown either (it would give the organisation's mean
//!   back).
//!
//! A banded cell's figures can also follow from other shown cells (a parent less its other
//! children): [`crate::disclosure::derived`] hides cells until no such rest is alike, for
//! distributions, scale means ([`worked_out_mean_band`]) and favourable %s
//! ([`worked_out_favorable_band`]) (docs/privacy.md D9).

use serde::Serialize;

use crate::stats::ScaleTally;

/// A scale mean shown as a band: all of the cell's respondents, or all but one, scored at
/// one end of the answer scale (every item answered at that end), or, on a scale of one
/// question, gave that question the same answer (its score is the answer, so the mean and sd
/// would tell what the question's own band hides).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Serialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum MeanBand {
    AllOrNearlyAllHighest,
    AllOrNearlyAllLowest,
    AllOrNearlyAllOneAnswer,
}

impl MeanBand {
    pub fn as_str(self) -> &'static str {
        match self {
            MeanBand::AllOrNearlyAllHighest => "all_or_nearly_all_highest",
            MeanBand::AllOrNearlyAllLowest => "all_or_nearly_all_lowest",
            MeanBand::AllOrNearlyAllOneAnswer => "all_or_nearly_all_one_answer",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            MeanBand::AllOrNearlyAllHighest => "all or nearly all at the top of the scale",
            MeanBand::AllOrNearlyAllLowest => "all or nearly all at the bottom of the scale",
            MeanBand::AllOrNearlyAllOneAnswer => "all or nearly all gave the same answer",
        }
    }
}

/// A figure shown as a band instead of its value.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Serialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Band {
    /// All of the cell's respondents, or all but one.
    AllOrNearlyAll,
    /// None of the cell's respondents, or one.
    NoneOrNearlyNone,
}

impl Band {
    pub fn as_str(self) -> &'static str {
        match self {
            Band::AllOrNearlyAll => "all_or_nearly_all",
            Band::NoneOrNearlyNone => "none_or_nearly_none",
        }
    }

    /// Plain words for pages and exports.
    pub fn label(self) -> &'static str {
        match self {
            Band::AllOrNearlyAll => "all or nearly all",
            Band::NoneOrNearlyNone => "none or nearly none",
        }
    }
}

/// The band of every category of a distribution (counts per category) in which one category
/// holds all or all but one of the respondents; `None` when no category does. Needs at least
/// three respondents (every shown cell has k >= 3), so at most one category can qualify.
pub fn distribution_bands(counts: &[u64]) -> Option<Vec<Band>> {
    let n: u64 = counts.iter().sum();
    if n < 3 {
        return None;
    }
    let dominant = counts.iter().position(|&c| c + 1 >= n)?;
    Some(
        (0..counts.len())
            .map(|i| {
                if i == dominant {
                    Band::AllOrNearlyAll
                } else {
                    Band::NoneOrNearlyNone
                }
            })
            .collect(),
    )
}

/// One category's share of a distribution: a % or, under D9, a band.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Share {
    Pct(f64),
    Band(Band),
}

impl Share {
    pub fn pct(self) -> Option<f64> {
        match self {
            Share::Pct(p) => Some(p),
            Share::Band(_) => None,
        }
    }

    pub fn band(self) -> Option<Band> {
        match self {
            Share::Pct(_) => None,
            Share::Band(b) => Some(b),
        }
    }

    /// For pages: the % rounded to whole numbers, or the band's words.
    pub fn text(self) -> String {
        match self {
            Share::Pct(p) => format!("{p:.0}%"),
            Share::Band(b) => b.label().to_string(),
        }
    }
}

/// The shares of a distribution's categories: bands where [`distribution_bands`] says so,
/// else percentages; empty when there are no respondents.
pub fn shares(counts: &[u64]) -> Vec<Share> {
    let n: u64 = counts.iter().sum();
    if n == 0 {
        return Vec::new();
    }
    match distribution_bands(counts) {
        Some(bands) => bands.into_iter().map(Share::Band).collect(),
        None => counts
            .iter()
            .map(|&c| Share::Pct(100.0 * c as f64 / n as f64))
            .collect(),
    }
}

/// The band of a favorable % over `answered` answers of `respondents` people, of which
/// `favorable` are favorable (the figures a reader sees).
pub fn favorable_band(favorable: u64, answered: u64, respondents: u64) -> Option<Band> {
    if answered == 0 || respondents == 0 {
        return None;
    }
    let per_respondent = answered.div_ceil(respondents);
    if answered.saturating_sub(favorable) <= per_respondent {
        Some(Band::AllOrNearlyAll)
    } else if favorable <= per_respondent {
        Some(Band::NoneOrNearlyNone)
    } else {
        None
    }
}

/// The band of a cell's favorable %: by the figures ([`favorable_band`]) or by who gave
/// the answers (at most one respondent on the other side).
pub fn scale_favorable_band(t: &ScaleTally) -> Option<Band> {
    let n = t.n();
    if n == 0 || t.answered == 0 {
        return None;
    }
    favorable_band(t.favorable, t.answered, n).or(if t.with_unfavorable <= 1 {
        Some(Band::AllOrNearlyAll)
    } else if t.with_favorable <= 1 {
        Some(Band::NoneOrNearlyNone)
    } else {
        None
    })
}

/// The band of a cell's scale mean: all respondents but at most one at one end.
pub fn mean_band(t: &ScaleTally) -> Option<MeanBand> {
    mean_band_of(t.n(), t.at_highest, t.at_lowest)
}

fn mean_band_of(n: u64, at_highest: u64, at_lowest: u64) -> Option<MeanBand> {
    if n == 0 {
        None
    } else if at_highest + 1 >= n {
        Some(MeanBand::AllOrNearlyAllHighest)
    } else if at_lowest + 1 >= n {
        Some(MeanBand::AllOrNearlyAllLowest)
    } else {
        None
    }
}

/// A scale cell's figures behind its mean band that add up over disjoint groups, as
/// [`worked_out_mean_band`] reads them: respondents, at the highest point, at the lowest.
pub fn mean_figures(t: &ScaleTally) -> [u64; 3] {
    [t.n(), t.at_highest, t.at_lowest]
}

/// D9 for a group a reader works out from shown means (a shown cell less shown cells inside
/// it; `figures` from [`mean_figures`], subtracted): the rule of a cell's band, so 0 when all
/// its respondents but at most one scored at the highest point, 1 at the lowest. The rest's
/// sums of squares, which shown sds give, can tell it as a cell's can (with the sum fixed, all
/// but one at an end is the spread with the most).
pub fn worked_out_mean_band(figures: &[u64]) -> Option<usize> {
    match figures {
        [n, at_highest, at_lowest] => match mean_band_of(*n, *at_highest, *at_lowest)? {
            MeanBand::AllOrNearlyAllHighest => Some(0),
            MeanBand::AllOrNearlyAllLowest => Some(1),
            // Not from these figures: a scale of one question is read as its answers.
            MeanBand::AllOrNearlyAllOneAnswer => None,
        },
        _ => None,
    }
}

/// A scale cell's favourable figures that add up over disjoint groups, as
/// [`worked_out_favorable_band`] reads them: respondents, answers, favourable answers.
pub fn favorable_figures(t: &ScaleTally) -> [u64; 3] {
    [t.n(), t.answered, t.favorable]
}

/// D9 for a group a reader works out from shown favourable %s (`figures` from
/// [`favorable_figures`], subtracted): 0 when at most one of its answers is unfavourable, so
/// all its respondents but at most one gave only favourable answers; 1 when at most one is
/// favourable. A cell's band covers a whole respondent's worth of answers so that the band
/// does not tell one respondent from several; a rest shows no band, and with two answers on
/// the other side it cannot tell that all but one respondent gave the same side.
pub fn worked_out_favorable_band(figures: &[u64]) -> Option<usize> {
    match figures {
        [_, answered, favorable] if *answered > 0 => {
            if answered.saturating_sub(*favorable) <= 1 {
                Some(0)
            } else if *favorable <= 1 {
                Some(1)
            } else {
                None
            }
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_distribution_is_banded_only_within_one_respondent_of_unanimity() {
        use Band::*;
        assert_eq!(
            distribution_bands(&[0, 0, 7, 0, 0]),
            Some(vec![
                NoneOrNearlyNone,
                NoneOrNearlyNone,
                AllOrNearlyAll,
                NoneOrNearlyNone,
                NoneOrNearlyNone
            ])
        );
        assert_eq!(
            distribution_bands(&[1, 0, 0, 0, 6]),
            Some(vec![
                NoneOrNearlyNone,
                NoneOrNearlyNone,
                NoneOrNearlyNone,
                NoneOrNearlyNone,
                AllOrNearlyAll
            ])
        );
        assert_eq!(distribution_bands(&[1, 1, 0, 0, 5]), None);
        assert_eq!(distribution_bands(&[2, 3]), None);
        assert_eq!(
            distribution_bands(&[0, 2]),
            None,
            "fewer than 3 is never shown"
        );
    }

    #[test]
    fn a_favorable_share_is_banded_within_one_respondents_answers_of_either_end() {
        // 5 respondents x 4 items = 20 answers: one respondent's worth is 4.
        assert_eq!(favorable_band(20, 20, 5), Some(Band::AllOrNearlyAll));
        assert_eq!(favorable_band(16, 20, 5), Some(Band::AllOrNearlyAll));
        assert_eq!(favorable_band(15, 20, 5), None);
        assert_eq!(favorable_band(5, 20, 5), None);
        assert_eq!(favorable_band(4, 20, 5), Some(Band::NoneOrNearlyNone));
        assert_eq!(favorable_band(0, 20, 5), Some(Band::NoneOrNearlyNone));
        assert_eq!(favorable_band(0, 0, 5), None);
        // 3 respondents gave 4 answers (skips): 2 answers is one respondent's worth.
        assert_eq!(favorable_band(2, 4, 3), Some(Band::AllOrNearlyAll));
        assert_eq!(favorable_band(4, 9, 3), None);
    }
}
