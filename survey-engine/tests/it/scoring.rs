//! Exact figures for every formula (S2-S8) and property tests for the invariants.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;
use survey_engine::format::fixed;
use survey_engine::instrument::ResponseScale;
use survey_engine::scoring::{classify, Profile};
use survey_engine::stats::{
    t_975, welch, welch_significant, AlphaTally, ItemStats, Moments, ScaleTally,
};
use survey_engine::{Aggregate, Instrument};

const MINI: &str = include_str!("../../../server/tests/fixtures/mini.toml");

fn mini() -> Instrument {
    Instrument::parse(MINI).unwrap()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

#[test]
fn reverse_keying_mirrors_the_scale() {
    let rs = ResponseScale {
        min: 1,
        max: 5,
        labels: vec![],
    };
    assert_eq!([1, 2, 3, 4, 5].map(|v| rs.reverse(v)), [5, 4, 3, 2, 1]);
    let rs = ResponseScale {
        min: 0,
        max: 6,
        labels: vec![],
    };
    assert_eq!(rs.reverse(1), 5);
}

#[test]
fn scale_score_is_the_mean_of_keyed_answers_with_the_half_rule() {
    let i = mini();
    // wl1=4, wl2=2 (reverse -> 4), wl3=5; ex1=2, ex2=4 (reverse -> 2).
    let s = i
        .score(&[
            Some(4),
            Some(2),
            Some(5),
            Some(2),
            Some(4),
            None,
            None,
            Some(4),
            None,
        ])
        .unwrap();
    assert!(close(s.score(0).unwrap(), 13.0 / 3.0));
    assert!(close(s.score(1).unwrap(), 2.0));
    // Cynicism: no answer, no score. Efficacy: one of two answered is enough (ceil(2/2) = 1).
    assert_eq!(s.score(2), None);
    assert!(close(s.score(3).unwrap(), 4.0));
    assert_eq!(s.profile, Some(Profile::Unclassified));
    let ws = s.scales[0].unwrap();
    assert_eq!((ws.answered, ws.favorable), (3, 3));
    // One of three workload items is below the half rule (needs 2).
    let s = i
        .score(&[Some(4), None, None, None, None, None, None, None, None])
        .unwrap();
    assert_eq!(s.score(0), None);
    let s = i
        .score(&[Some(4), None, Some(1), None, None, None, None, None, None])
        .unwrap();
    assert!(close(s.score(0).unwrap(), 2.5));
}

#[test]
fn answers_off_the_scale_or_misaligned_are_errors() {
    let i = mini();
    assert!(i
        .score(&[Some(6), None, None, None, None, None, None, None, None])
        .is_err());
    assert!(i
        .score(&[Some(0), None, None, None, None, None, None, None, None])
        .is_err());
    assert!(i.score(&[Some(3)]).is_err());
}

#[test]
fn favorable_takes_the_healthy_end_points() {
    let i = mini();
    // workload: higher is better -> 4 and 5; exhaustion: higher is worse -> 1 and 2.
    assert_eq!(
        [1, 2, 3, 4, 5].map(|v| i.is_favorable(0, v)),
        [false, false, false, true, true]
    );
    assert_eq!(
        [1, 2, 3, 4, 5].map(|v| i.is_favorable(1, v)),
        [true, true, false, false, false]
    );
}

#[test]
fn profiles_follow_leiter_and_maslach() {
    let t = Some(true);
    let f = Some(false);
    assert_eq!(classify(t, t, f), Profile::Burnout);
    assert_eq!(classify(t, t, None), Profile::Burnout);
    assert_eq!(classify(t, f, t), Profile::Overextended);
    assert_eq!(classify(f, t, t), Profile::Disengaged);
    assert_eq!(classify(f, f, t), Profile::Ineffective);
    assert_eq!(classify(f, f, f), Profile::Engaged);
    assert_eq!(classify(f, f, None), Profile::Unclassified);
    assert_eq!(classify(None, t, t), Profile::Unclassified);
    assert_eq!(classify(t, None, f), Profile::Unclassified);
}

#[test]
fn profile_cut_offs_are_inclusive() {
    let i = mini();
    // exhaustion exactly 3.5 (4 and reverse 4 -> 2... use 3 and reverse 2 -> 4): (3 + 4) / 2.
    let s = i.score(&[
        None,
        None,
        None,
        Some(3),
        Some(2),
        Some(1),
        Some(1),
        Some(3),
        Some(2),
    ]);
    assert_eq!(s.unwrap().profile, Some(Profile::Overextended));
    // efficacy exactly 2.5 is low.
    let s = i.score(&[
        None,
        None,
        None,
        Some(1),
        Some(5),
        Some(1),
        Some(1),
        Some(3),
        Some(2),
    ]);
    assert_eq!(s.unwrap().profile, Some(Profile::Ineffective));
}

#[test]
fn group_statistics_exact_figures() {
    // Scores 2, 4, 4, 5: mean 3.75, sd sqrt(4.75/3), t(0.975, 3) = 3.18244630528.
    let m: Moments = [2.0, 4.0, 4.0, 5.0].into_iter().collect();
    let tally = ScaleTally {
        moments: m,
        answered: 8,
        favorable: 5,
        ..ScaleTally::default()
    };
    let s = tally.stats();
    assert_eq!(s.n, 4);
    assert!(close(s.mean.unwrap(), 3.75));
    assert!(close(s.sd.unwrap(), 1.2583057392117916));
    assert!(close(s.ci_low.unwrap(), 1.7477547746640747));
    assert!(close(s.ci_high.unwrap(), 5.752245225335925));
    assert!(close(s.favorable_pct.unwrap(), 62.5));
    assert!(close(t_975(1).unwrap(), 12.706204736174694));
    assert!(close(t_975(1000).unwrap(), 1.9623390808264083));
    assert!((t_975(100_000).unwrap() - 1.959984).abs() < 1e-5);
}

#[test]
fn degenerate_groups_have_no_value_and_no_nan() {
    let empty = ScaleTally::default().stats();
    assert_eq!(
        (
            empty.n,
            empty.mean,
            empty.sd,
            empty.ci_low,
            empty.favorable_pct
        ),
        (0, None, None, None, None)
    );
    let one: Moments = [3.0].into_iter().collect();
    let s = ScaleTally {
        moments: one,
        answered: 1,
        favorable: 0,
        ..ScaleTally::default()
    }
    .stats();
    assert_eq!(
        (s.mean, s.sd, s.ci_low, s.ci_high),
        (Some(3.0), None, None, None)
    );
    let flat: Moments = [3.0, 3.0, 3.0].into_iter().collect();
    let s = ScaleTally {
        moments: flat,
        answered: 3,
        favorable: 0,
        ..ScaleTally::default()
    }
    .stats();
    assert_eq!(
        (s.sd, s.ci_low, s.ci_high),
        (Some(0.0), Some(3.0), Some(3.0))
    );
    assert_eq!(welch(&flat, &flat), None);
    assert_eq!(welch(&one, &flat), None);
    assert_eq!(AlphaTally::new(3).alpha(), None);
    let mut a = AlphaTally::new(2);
    a.add(&[3.0, 3.0]);
    a.add(&[3.0, 3.0]);
    assert_eq!(a.alpha(), None, "a total that does not vary has no alpha");
    assert_eq!(AlphaTally::new(1).alpha(), None);
    let i = ItemStats::from_counts(1, &[0, 0, 0, 0, 0]);
    assert_eq!((i.n, i.mean, i.sd), (0, None, None));
    assert!(i.pct.iter().all(Option::is_none));
}

#[test]
fn item_statistics_exact_figures() {
    // Answers 1, 2, 2, 5: mean 2.5, sd 1.7320508, 25% / 50% / 0 / 0 / 25%.
    let i = ItemStats::from_counts(1, &[1, 2, 0, 0, 1]);
    assert_eq!(i.n, 4);
    assert!(close(i.mean.unwrap(), 2.5));
    assert!(close(i.sd.unwrap(), 3.0f64.sqrt()));
    let pct: Vec<f64> = i.pct.iter().map(|p| p.unwrap()).collect();
    assert_eq!(pct, [25.0, 50.0, 0.0, 0.0, 25.0]);
}

#[test]
fn cronbach_alpha_exact_figure() {
    let mut a = AlphaTally::new(3);
    for case in [
        [1.0, 2.0, 3.0],
        [2.0, 3.0, 4.0],
        [3.0, 4.0, 5.0],
        [4.0, 5.0, 5.0],
        [2.0, 2.0, 3.0],
    ] {
        a.add(&case);
    }
    assert!(close(a.alpha().unwrap(), 0.9690265486725664));
}

#[test]
fn welch_exact_figures() {
    let a: Moments = [1.0, 2.0, 3.0, 4.0, 5.0].into_iter().collect();
    let b: Moments = [3.0, 4.0, 5.0, 6.0, 7.0].into_iter().collect();
    let w = welch(&a, &b).unwrap();
    assert!(close(w.t, -2.0) && close(w.df, 8.0));
    assert!((w.p - 0.08051623795726262).abs() < 1e-9);
    assert!(!w.significant());
    let a: Moments = [1.0, 2.0, 2.0, 3.0, 5.0, 4.0].into_iter().collect();
    let b: Moments = [3.0, 4.0, 5.0, 6.0].into_iter().collect();
    let w = welch(&a, &b).unwrap();
    assert!(close(w.t, -1.889822365046136));
    assert!(close(w.df, 7.205882352941175));
    assert!((w.p - 0.09950282003058691).abs() < 1e-9);
    let a: Moments = (0..40).map(|i| f64::from(i % 3)).collect();
    let b: Moments = (0..40).map(|i| f64::from(i % 3) + 1.0).collect();
    assert!(welch(&a, &b).unwrap().significant());
}

#[test]
fn groups_without_spread_differ_exactly_when_their_means_do() {
    // scipy: t = inf, p = 0 for [5, 5, 5] against [1, 1, 1]; nan for equal groups.
    let fives: Moments = [5.0, 5.0, 5.0].into_iter().collect();
    let ones: Moments = [1.0, 1.0, 1.0].into_iter().collect();
    assert_eq!(welch_significant(&fives, &ones), Some(true));
    assert_eq!(welch_significant(&fives, &fives), Some(false));
    let one: Moments = [5.0].into_iter().collect();
    assert_eq!(
        welch_significant(&one, &ones),
        None,
        "n = 1 has no variance"
    );
}

#[test]
fn means_and_differences_are_exact_whatever_the_order() {
    let xs = [1.0, 2.0, 5.0, 2.0, 2.0, 2.0, 5.0, 4.0];
    let forward: Moments = xs.into_iter().collect();
    let backward: Moments = xs.into_iter().rev().collect();
    assert_eq!(forward.mean(), Some(2.875));
    assert_eq!(forward, backward);
    // Scale scores with thirds and quarters stay exact too: (7/3 + 8/3 + 3) / 3 = 8/3.
    let thirds: Moments = [7.0 / 3.0, 8.0 / 3.0, 3.0].into_iter().collect();
    assert_eq!(thirds.mean(), Some(8.0 / 3.0));
    let threes: Moments = [3.0, 3.0].into_iter().collect();
    assert_eq!(threes.mean_minus(&forward), Some(0.125));
    assert_eq!(forward.mean_minus(&threes), Some(-0.125));
    // Taking a part out leaves exactly the rest.
    let mut all = forward;
    all.merge(&threes);
    assert_eq!(all.without(&threes), Some(forward));
    assert!(close(forward.variance().unwrap(), 2.410714285714286));
}

#[test]
fn merged_moments_equal_direct_moments() {
    let xs = [1.0, 2.5, 3.0, 4.75, 5.0, 2.0, 3.25];
    let direct: Moments = xs.into_iter().collect();
    let mut merged: Moments = xs[..3].iter().copied().collect();
    merged.merge(&xs[3..].iter().copied().collect());
    assert_eq!(merged.n(), direct.n());
    assert!(close(merged.mean().unwrap(), direct.mean().unwrap()));
    assert!(close(
        merged.variance().unwrap(),
        direct.variance().unwrap()
    ));
}

fn sheet() -> impl Strategy<Value = Vec<Option<i32>>> {
    prop::collection::vec(prop::option::weighted(0.8, 1..=5i32), 9)
}

proptest! {
    #[test]
    fn reverse_keying_is_an_involution(min in -3i32..3, span in 2i32..10, v in 0i32..10) {
        let rs = ResponseScale { min, max: min + span, labels: vec![] };
        let v = min + v % (span + 1);
        prop_assert_eq!(rs.reverse(rs.reverse(v)), v);
        prop_assert!(rs.contains(rs.reverse(v)));
    }

    #[test]
    fn scores_stay_within_the_scale_and_obey_the_half_rule(answers in sheet()) {
        let i = mini();
        let s = i.score(&answers).unwrap();
        for (scale, score) in s.scales.iter().enumerate() {
            let items = i.scale_items(scale);
            let answered = items.iter().filter(|&&it| answers[it].is_some()).count();
            let needed = items.len().div_ceil(2);
            match score {
                Some(sc) => {
                    prop_assert!(answered >= needed);
                    prop_assert!((1.0..=5.0).contains(&sc.score));
                    prop_assert_eq!(sc.answered as usize, answered);
                    prop_assert!(sc.favorable <= sc.answered);
                }
                None => prop_assert!(answered < needed),
            }
        }
    }

    #[test]
    fn permuting_respondents_changes_no_statistic(
        sheets in prop::collection::vec(sheet(), 0..40),
        seed in any::<u64>(),
    ) {
        let i = mini();
        let aggregate = |order: &[Vec<Option<i32>>]| {
            let mut agg = Aggregate::new(&i);
            for s in order {
                agg.add(&i, s, &i.score(s).unwrap());
            }
            agg
        };
        let a = aggregate(&sheets);
        let mut shuffled = sheets.clone();
        // A deterministic shuffle from the seed.
        let mut state = seed | 1;
        for k in (1..shuffled.len()).rev() {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            shuffled.swap(k, (state % (k as u64 + 1)) as usize);
        }
        let b = aggregate(&shuffled);
        let fmt = |agg: &Aggregate| format!(
            "{:?}",
            agg.scale_stats().iter().map(|s| (
                s.n,
                s.mean.map(|x| fixed(x, 9)),
                s.sd.map(|x| fixed(x, 9)),
                s.favorable_pct.map(|x| fixed(x, 9)),
            )).collect::<Vec<_>>()
        ) + &format!("{:?}", agg.alpha().iter().map(|a| a.map(|x| fixed(x, 9))).collect::<Vec<_>>())
          + &format!("{:?}", agg.item_stats(&i));
        prop_assert_eq!(fmt(&a), fmt(&b));
    }

    #[test]
    fn permuting_items_within_a_scale_changes_no_score(answers in sheet()) {
        // Swapping the order of wl1 and wl3 (both plainly keyed) in the file changes nothing.
        let i = mini();
        let swapped = MINI
            .replace("id = \"wl1\"", "id = \"tmp\"")
            .replace("id = \"wl3\"", "id = \"wl1\"")
            .replace("id = \"tmp\"", "id = \"wl3\"");
        let j = Instrument::parse(&swapped).unwrap();
        let mut moved = answers.clone();
        moved.swap(0, 2);
        prop_assert_eq!(i.score(&answers).unwrap(), j.score(&moved).unwrap());
    }
}

proptest! {
    #[test]
    fn fast_significance_agrees_with_the_p_value(
        a in prop::collection::vec(1.0f64..5.0, 2..1500),
        b in prop::collection::vec(1.0f64..5.0, 2..1500),
        shift in -0.3f64..0.3,
    ) {
        let a: Moments = a.into_iter().collect();
        let b: Moments = b.into_iter().map(|x| x + shift).collect();
        prop_assert_eq!(
            survey_engine::stats::welch_significant(&a, &b),
            welch(&a, &b).map(|w| w.significant())
        );
    }
}
