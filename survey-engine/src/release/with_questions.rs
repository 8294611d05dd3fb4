//! A scale of several questions read with its questions as one system (docs/privacy.md D8,
//! "Read with its scale: who skipped").
//!
//! Where a cell shows a scale and all its questions, a reader gets apart the figures of the
//! cell's partial answerers (with a score, who skipped a question) and of its complete
//! answerers: three times the scale's sum less the questions' sums is the first. Where a
//! cell shows the scale only, the reader has the two together. Each kind of figure is safe
//! on its own cells (the suppressor sees to that), but the two kinds read together are not:
//! a cut that shows only the scale and holds every complete answerer of a cell that shows
//! both gives its partial answerers' figure, the scale's sum there less the complete
//! answerers'. So the exact auditor reads them as one system of rows, [`breaches`], and the
//! release hides questions until it finds nothing, [`hide_questions`].

use crate::disclosure::{self, Breach, CellKey, Layout, Placement};

/// What a respondent is to one scale of several questions: `None` without a score on it (in
/// no figure of the scale or its questions), `Some(true)` a partial answerer, `Some(false)`
/// a complete answerer.
pub(super) type Kind = Option<bool>;

/// One figure a reader has.
#[derive(Clone, Copy, Debug)]
enum Row {
    /// The scale's figure of a cell where it is shown: everyone with a score.
    Scale(usize),
    /// Where the scale and all its questions are shown: the figure of the cell's complete
    /// answerers, and next to it that of its partial answerers.
    Kind(usize),
}

impl Row {
    fn cell(self) -> usize {
        match self {
            Row::Scale(cell) | Row::Kind(cell) => cell,
        }
    }
}

/// The rows of one scale and its questions, and the rows holding each respondent.
struct Reading {
    rows: Vec<Row>,
    rows_of: Vec<Vec<usize>>,
}

impl Reading {
    /// `scale_shown` and `both_shown` per cell (as [`Layout::cells`]): where the scale is
    /// shown, and where it and all its questions are.
    fn new(
        layout: &Layout,
        placements: &[Placement],
        kinds: &[Kind],
        scale_shown: &[bool],
        both_shown: &[bool],
    ) -> Self {
        let mut rows = Vec::new();
        let mut scale_row = vec![None; scale_shown.len()];
        let mut kind_row = vec![None; scale_shown.len()];
        for (cell, &shown) in scale_shown.iter().enumerate() {
            if !shown {
                continue;
            }
            scale_row[cell] = Some(rows.len());
            rows.push(Row::Scale(cell));
            if both_shown.get(cell).copied().unwrap_or(false) {
                kind_row[cell] = Some(rows.len());
                rows.extend([Row::Kind(cell), Row::Kind(cell)]);
            }
        }
        let rows_of = placements
            .iter()
            .zip(kinds)
            .map(|(p, kind)| {
                let mut of = Vec::new();
                if let Some(partial) = *kind {
                    layout.for_each_cell_of(p, |cell| {
                        of.extend(scale_row.get(cell).copied().flatten());
                        of.extend(
                            kind_row
                                .get(cell)
                                .copied()
                                .flatten()
                                .map(|first| first + usize::from(partial)),
                        );
                    });
                }
                of
            })
            .collect();
        Reading { rows, rows_of }
    }

    fn breaches(&self, k: usize) -> Vec<disclosure::RowBreach> {
        disclosure::audit_rows(&self.rows_of, self.rows.len(), k)
    }
}

/// Every set of 1 to k - 1 of the scale's people that its shown cells and its questions'
/// give away together, each with one way to derive it (the cell of every row used; a cell
/// whose partial and complete answerers' figures are both used appears twice).
pub(super) fn breaches(
    layout: &Layout,
    placements: &[Placement],
    kinds: &[Kind],
    scale_shown: &[bool],
    both_shown: &[bool],
    k: usize,
) -> Vec<Breach> {
    let reading = Reading::new(layout, placements, kinds, scale_shown, both_shown);
    let cells: Vec<CellKey> = layout.cells();
    reading
        .breaches(k)
        .into_iter()
        .map(|b| Breach {
            respondents: b.respondents,
            combination: b
                .combination
                .into_iter()
                .filter_map(|(row, v)| {
                    let cell = reading.rows.get(row)?.cell();
                    Some((*cells.get(cell)?, v))
                })
                .collect(),
        })
        .collect()
}

/// Hides the questions (clears `both_shown`) in cells until [`breaches`] finds nothing: for
/// each set found, the cell with the fewest of the scale's people (`people`, per cell) among
/// those whose partial or complete answerers' figure derives it. Hiding the questions takes
/// those two rows away and leaves the scale's cells alone; with no question shown, the
/// scale's own suppression is all there is, and it finds nothing. Returns how many cells it
/// hid.
pub(super) fn hide_questions(
    layout: &Layout,
    placements: &[Placement],
    kinds: &[Kind],
    scale_shown: &[bool],
    both_shown: &mut [bool],
    people: &[usize],
    k: usize,
) -> usize {
    let mut hidden = 0;
    loop {
        let reading = Reading::new(layout, placements, kinds, scale_shown, both_shown);
        let mut changed = false;
        for breach in reading.breaches(k) {
            let victim = breach
                .combination
                .iter()
                .filter_map(|(row, _)| match reading.rows.get(*row) {
                    Some(Row::Kind(cell)) => Some(*cell),
                    _ => None,
                })
                .filter(|&cell| both_shown.get(cell).copied().unwrap_or(false))
                .min_by_key(|&cell| (people.get(cell).copied().unwrap_or(0), cell));
            if let Some(cell) = victim {
                both_shown[cell] = false;
                hidden += 1;
                changed = true;
            }
        }
        // A set derived from the scale's cells alone is the scale's suppression's to
        // prevent (and the auditor's to report): hiding questions cannot help there.
        if !changed {
            return hidden;
        }
    }
}
