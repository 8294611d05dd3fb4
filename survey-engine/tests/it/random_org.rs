//! Random organisations for the disclosure property tests, described by a few parameters
//! (so proptest can shrink them) and a seed.

#![allow(clippy::unwrap_used)]

use survey_engine::disclosure::{Placement, UnitTree};
use survey_engine::testing::Rng;

#[derive(Debug, Clone)]
pub struct Params {
    pub units: usize,
    /// 0 attributes is allowed: then only whole-unit cells exist.
    pub attrs: usize,
    pub k: usize,
    /// Tree shape: 0 = random recursive, 1 = deep (parents close by), 2 = bushy (few inner units).
    pub shape: u8,
    /// Typical unit size factor (in multiples of k / 2).
    pub size: usize,
    pub seed: u64,
}

/// The tree, each attribute's number of values, and the respondents of `p`, drawn from `rng`
/// (which the caller goes on using for the memberships).
pub fn organisation(p: &Params, rng: &mut Rng) -> (UnitTree, Vec<usize>, Vec<Placement>) {
    let parents: Vec<Option<usize>> = (0..p.units)
        .map(|u| {
            (u > 0).then(|| match p.shape {
                0 => rng.next(u),
                1 => u - 1 - rng.next(u.min(3)),
                _ => rng.next(u.min(1 + u / 8)),
            })
        })
        .collect();
    let value_counts: Vec<usize> = (0..p.attrs).map(|_| 2 + rng.next(4)).collect();
    let tree = UnitTree::new(parents).unwrap();
    let mut people = Vec::new();
    for u in 0..p.units {
        let inner = !tree.children(u).is_empty();
        // Inner units have direct members less often; sizes vary from 0 to well above k.
        let size = if inner && rng.next(3) != 0 {
            0
        } else {
            match rng.next(6) {
                0 => 0,
                1 => rng.next(p.k),
                2 | 3 => rng.next(p.size * p.k / 2 + 2),
                4 => p.k + rng.next(3 * p.k),
                _ => rng.next(4 * p.k * p.size + 1),
            }
        };
        for _ in 0..size {
            // Skewed: value 0 is common, the last value rare; one in ten has no value.
            let values = value_counts
                .iter()
                .map(|&c| (rng.next(10) != 0).then(|| rng.next(c).min(rng.next(c))))
                .collect();
            people.push(Placement { unit: u, values });
        }
    }
    (tree, value_counts, people)
}
