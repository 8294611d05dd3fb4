//! Benchmark: suppression of a realistic release of 10,000 units (root, 10 divisions,
//! 100 departments, the rest teams), one attribute with 5 values, 100,000 respondents.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;
use std::time::Duration;
use survey_engine::disclosure::{suppress, suppress_many, CellStatus, Layout, Placement, UnitTree};
use survey_engine::org::OrgTree;
use survey_engine::testing::Rng;

/// Root, 10 divisions, 100 departments (unevenly spread), 9,889 teams (unevenly spread);
/// 100,000 respondents: a few managers directly in divisions and departments, the rest in teams
/// of very different sizes (skewed: many small teams, some large ones). Tenure-like attribute
/// with 5 values of unequal frequency, 3% without a value.
fn realistic_release() -> (Layout, Vec<Placement>) {
    let mut rng = Rng(42);
    let units = 10_000;
    let divisions = 10;
    let departments = 100;
    let mut parents: Vec<Option<usize>> = vec![None];
    for _ in 0..divisions {
        parents.push(Some(0));
    }
    for _ in 0..departments {
        // Some divisions have many more departments than others.
        let d = 1 + rng.next(divisions).min(rng.next(divisions));
        parents.push(Some(d));
    }
    let first_dept = 1 + divisions;
    while parents.len() < units {
        let d = first_dept + rng.next(departments).min(rng.next(departments) + 20);
        parents.push(Some(d));
    }
    let tree = UnitTree::new(parents).unwrap();
    let first_team = first_dept + departments;
    let teams = units - first_team;

    // Team weights: skewed sizes (1 to ~40, mean ~10).
    let weights: Vec<usize> = (0..teams)
        .map(|_| match rng.next(10) {
            0..=3 => 1 + rng.next(6),
            4..=7 => 4 + rng.next(12),
            8 => 10 + rng.next(20),
            _ => 15 + rng.next(30),
        })
        .collect();
    let total_weight: usize = weights.iter().sum();
    let respondents = 100_000;
    let managers = 10 * 3 + departments * 4;
    let mut people = Vec::with_capacity(respondents);
    let value = |rng: &mut Rng| -> Option<usize> {
        match rng.next(100) {
            0..=2 => None,
            3..=12 => Some(0),
            13..=37 => Some(1),
            38..=67 => Some(2),
            68..=87 => Some(3),
            _ => Some(4),
        }
    };
    for d in 1..=divisions {
        for _ in 0..3 {
            let v = value(&mut rng);
            people.push(Placement {
                unit: d,
                values: vec![v],
            });
        }
    }
    for d in first_dept..first_team {
        for _ in 0..4 {
            let v = value(&mut rng);
            people.push(Placement {
                unit: d,
                values: vec![v],
            });
        }
    }
    let budget = respondents - managers;
    let mut placed = 0;
    for (t, &w) in weights.iter().enumerate() {
        let count = if t + 1 == teams {
            budget - placed
        } else {
            (w * budget / total_weight).min(budget - placed)
        };
        placed += count;
        for _ in 0..count {
            let v = value(&mut rng);
            people.push(Placement {
                unit: first_team + t,
                values: vec![v],
            });
        }
    }
    (Layout::new(tree, vec![5]), people)
}

fn bench_suppress(c: &mut Criterion) {
    let (layout, people) = realistic_release();
    assert_eq!(people.len(), 100_000);
    let present = vec![true; people.len()];
    let k = 5;
    let status = suppress(&layout, &people, &present, k).unwrap();
    let count = |s: CellStatus| status.iter().filter(|&&x| x == s).count();
    eprintln!(
        "cells: {}, shown: {}, below k: {}, complementary: {}",
        status.len(),
        count(CellStatus::Shown),
        count(CellStatus::BelowMin),
        count(CellStatus::Complementary)
    );
    let mut group = c.benchmark_group("disclosure");
    group.sample_size(20);
    group.measurement_time(Duration::from_secs(10));
    group.bench_function("suppress_10k_units_100k_respondents", |b| {
        b.iter(|| {
            suppress(
                black_box(&layout),
                black_box(&people),
                black_box(&present),
                k,
            )
        })
    });
    group.finish();
}

/// The memberships of the release benchmark (`benches/engine.rs`, `build_release`): the same
/// tree (root, 10 divisions, 100 departments of 99 teams), the same 100,000 placements and,
/// per scale of 3 items with about 5% skipped answers, who has a score (at least 2 answers);
/// the 14th membership (burnout profiles) is everybody.
fn release_memberships() -> (Layout, Vec<Placement>, Vec<Vec<bool>>) {
    let (scales, per_scale) = (13, 3);
    let mut tree = OrgTree::new("Org").unwrap();
    let mut teams = Vec::new();
    for d in 0..10 {
        for p in 0..10 {
            for t in 0..99 {
                teams.push(tree.insert(&format!("Org/d{d}/p{p}/t{t}")).unwrap());
            }
        }
    }
    let mut answers: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut state: u64 = 0x2545_F491_4F6C_DD1D;
    let n = 100_000;
    let mut people = Vec::with_capacity(n);
    let mut presents = vec![Vec::with_capacity(n); scales];
    for _ in 0..n {
        let mut answered = [0usize; 13];
        for item in 0..scales * per_scale {
            answers ^= answers << 13;
            answers ^= answers >> 7;
            answers ^= answers << 17;
            answered[item / per_scale] += usize::from(!answers.is_multiple_of(20));
        }
        for (s, present) in presents.iter_mut().enumerate() {
            present.push(answered[s] >= 2);
        }
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let r = (state % 1_000_000) as f64 / 1_000_000.0;
        let team = teams[((r * r) * teams.len() as f64) as usize % teams.len()];
        people.push(Placement {
            unit: team,
            values: vec![Some((state >> 20) as usize % 5)],
        });
    }
    presents.push(vec![true; n]);
    let layout = Layout::new(tree.unit_tree().unwrap(), vec![5]);
    (layout, people, presents)
}

fn bench_release_memberships(c: &mut Criterion) {
    let (layout, people, presents) = release_memberships();
    let k = 5;
    let one_by_one: Vec<Vec<CellStatus>> = presents
        .iter()
        .map(|p| suppress(&layout, &people, p, k).unwrap())
        .collect();
    assert_eq!(
        suppress_many(&layout, &people, &presents, k).unwrap(),
        one_by_one
    );
    let mut group = c.benchmark_group("disclosure");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(10));
    group.bench_function("suppress_each_of_14_release_memberships", |b| {
        b.iter(|| {
            presents
                .iter()
                .map(|p| suppress(black_box(&layout), black_box(&people), p, k).unwrap())
                .collect::<Vec<_>>()
        })
    });
    group.bench_function("suppress_many_14_release_memberships", |b| {
        b.iter(|| suppress_many(black_box(&layout), black_box(&people), &presents, k).unwrap())
    });
    group.finish();
}

criterion_group!(benches, bench_suppress, bench_release_memberships);
criterion_main!(benches);
