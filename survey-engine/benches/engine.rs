//! Score and aggregate 100,000 answer sheets of 40 items (target: under 100 ms on one core).

use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;
use survey_engine::{Aggregate, Instrument};

/// 10 scales x 4 items, every fourth item reverse-keyed, with profile settings.
fn instrument_40() -> Instrument {
    let mut toml = String::from(
        "id = \"bench\"\nversion = 1\ntitle = \"Bench\"\nlanguage = \"en\"\n\
         [response_scale]\nmin = 1\nmax = 5\nlabels = [\"1\", \"2\", \"3\", \"4\", \"5\"]\n",
    );
    let scales = [
        "workload",
        "control",
        "reward",
        "community",
        "fairness",
        "values",
        "exhaustion",
        "cynicism",
        "efficacy",
        "recovery",
    ];
    for s in scales {
        let worse = matches!(s, "exhaustion" | "cynicism");
        toml += &format!(
            "[[scales]]\nid = \"{s}\"\nlabel = \"{s}\"\nkind = \"area\"\nhigher_is = \"{}\"\n",
            if worse { "worse" } else { "better" }
        );
    }
    for s in scales {
        for k in 0..4 {
            toml += &format!(
                "[[items]]\nid = \"{s}{k}\"\nscale = \"{s}\"\ntext = \"x\"\nreverse = {}\n",
                k == 3
            );
        }
    }
    toml += "[profiles]\nexhaustion = { scale = \"exhaustion\", high_at = 3.5 }\n\
             cynicism = { scale = \"cynicism\", high_at = 3.5 }\n\
             efficacy = { scale = \"efficacy\", low_at = 2.5 }\n";
    match Instrument::parse(&toml) {
        Ok(i) => i,
        Err(e) => panic!("bench instrument: {e}"),
    }
}

/// Deterministic sheets: answers 1..=5, about 5% skipped.
fn sheets(n: usize, items: usize) -> Vec<Vec<Option<i32>>> {
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    (0..n)
        .map(|_| {
            (0..items)
                .map(|_| {
                    let r = next();
                    (r % 20 != 0).then_some(1 + ((r >> 8) % 5) as i32)
                })
                .collect()
        })
        .collect()
}

fn score_and_aggregate(c: &mut Criterion) {
    let instrument = instrument_40();
    let data = sheets(100_000, instrument.items.len());
    let mut group = c.benchmark_group("engine");
    group.sample_size(20);
    group.bench_function("score_and_aggregate_100k_sheets_40_items", |b| {
        b.iter(|| {
            let mut agg = Aggregate::new(&instrument);
            for sheet in &data {
                let scores = instrument.score_unchecked(sheet);
                agg.add(&instrument, sheet, &scores);
            }
            black_box((agg.scale_stats(), agg.alpha(), agg.item_stats(&instrument)))
        })
    });
    group.finish();
}

criterion_group!(benches, score_and_aggregate);
criterion_main!(benches);
