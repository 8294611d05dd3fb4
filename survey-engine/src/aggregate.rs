//! Whole-file aggregates for `worklife score`: S4 per scale, S5 per item, S6 per scale.

use crate::instrument::Instrument;
use crate::scoring::SheetScores;
use crate::stats::{AlphaTally, GroupStats, ItemStats, ScaleTally};

/// Streaming aggregate over answer sheets of one instrument; mergeable.
#[derive(Clone, Debug, PartialEq)]
pub struct Aggregate {
    scales: Vec<ScaleTally>,
    alpha: Vec<AlphaTally>,
    /// Raw answers per item and scale point.
    item_counts: Vec<Vec<u64>>,
    points: usize,
    /// Scratch buffer for one scale's keyed answers.
    keyed: Vec<f64>,
}

impl Aggregate {
    pub fn new(instrument: &Instrument) -> Self {
        let points = instrument.response_scale.points().count();
        Aggregate {
            scales: vec![ScaleTally::default(); instrument.scales.len()],
            alpha: (0..instrument.scales.len())
                .map(|s| AlphaTally::new(instrument.scale_items(s).len()))
                .collect(),
            item_counts: vec![vec![0; points]; instrument.items.len()],
            points,
            keyed: Vec::new(),
        }
    }

    /// Adds one answer sheet and its scores (from [`Instrument::score`]).
    pub fn add(&mut self, instrument: &Instrument, answers: &[Option<i32>], scores: &SheetScores) {
        let min = instrument.response_scale.min;
        for (counts, answer) in self.item_counts.iter_mut().zip(answers) {
            if let Some(slot) = answer.and_then(|v| counts.get_mut((v - min) as usize)) {
                *slot += 1;
            }
        }
        for (s, tally) in self.scales.iter_mut().enumerate() {
            if let Some(score) = scores.scales.get(s).copied().flatten() {
                tally.add(&score);
            }
        }
        for (s, alpha) in self.alpha.iter_mut().enumerate() {
            crate::reliability::add_complete_case(alpha, instrument, s, answers, &mut self.keyed);
        }
    }

    pub fn merge(&mut self, other: &Aggregate) {
        for (a, b) in self.scales.iter_mut().zip(&other.scales) {
            a.merge(b);
        }
        for (a, b) in self.alpha.iter_mut().zip(&other.alpha) {
            a.merge(b);
        }
        for (a, b) in self.item_counts.iter_mut().zip(&other.item_counts) {
            for (x, y) in a.iter_mut().zip(b) {
                *x += y;
            }
        }
    }

    /// S4 per scale, in instrument order.
    pub fn scale_stats(&self) -> Vec<GroupStats> {
        self.scales.iter().map(ScaleTally::stats).collect()
    }

    /// S6 per scale, in instrument order.
    pub fn alpha(&self) -> Vec<Option<f64>> {
        self.alpha.iter().map(AlphaTally::alpha).collect()
    }

    /// Complete cases behind each scale's alpha, in instrument order.
    pub fn alpha_cases(&self) -> Vec<u64> {
        self.alpha.iter().map(AlphaTally::cases).collect()
    }

    /// S5 per item, in instrument order.
    pub fn item_stats(&self, instrument: &Instrument) -> Vec<ItemStats> {
        debug_assert_eq!(self.points, instrument.response_scale.points().count());
        self.item_counts
            .iter()
            .map(|c| ItemStats::from_counts(instrument.response_scale.min, c))
            .collect()
    }
}
