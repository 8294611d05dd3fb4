//! Instrument parsing and validation (S1).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use survey_engine::instrument::{builtin, Direction, ScaleKind};
use survey_engine::{EngineError, Instrument};

fn problems(source: &str) -> Vec<String> {
    match Instrument::parse(source) {
        Err(EngineError::InvalidInstrument(p)) => p.iter().map(ToString::to_string).collect(),
        other => panic!("expected validation problems, got {other:?}"),
    }
}

const MINIMAL: &str = r#"
id = "mini"
version = 2
title = "Mini"
language = "en"
[response_scale]
min = 1
max = 5
labels = ["a", "b", "c", "d", "e"]
[[scales]]
id = "workload"
label = "Workload"
kind = "area"
higher_is = "better"
[[scales]]
id = "exhaustion"
label = "Exhaustion"
kind = "burnout"
higher_is = "worse"
[[items]]
id = "wl1"
scale = "workload"
text = "I can do my work in the time I have."
[[items]]
id = "wl2"
scale = "workload"
text = "I have too much to do."
reverse = true
[[items]]
id = "ex1"
scale = "exhaustion"
text = "I feel drained."
"#;

#[test]
fn a_valid_instrument_parses_with_its_structure() {
    let i = Instrument::parse(MINIMAL).unwrap();
    assert_eq!(
        (i.id.as_str(), i.version, i.language.as_str()),
        ("mini", 2, "en")
    );
    assert_eq!(i.response_scale.labels.len(), 5);
    assert_eq!(i.scales[1].kind, ScaleKind::Burnout);
    assert_eq!(i.scales[1].direction, Direction::HigherIsWorse);
    assert_eq!(i.scale_items(0), &[0, 1]);
    assert!(i.items[1].reverse && !i.items[0].reverse);
    assert_eq!(i.item_index("ex1"), Some(2));
    assert!(i.profiles.is_none());
}

#[test]
fn every_problem_is_listed_with_its_place() {
    let bad = r#"
id = "bad"
version = 1
title = "Bad"
language = "en"
[response_scale]
min = 1
max = 5
labels = ["a", "b", "c"]
[[scales]]
id = "workload"
label = "Workload"
kind = "area"
higher_is = "better"
[[scales]]
id = "workload"
label = "Again"
kind = "feeling"
higher_is = "up"
[[scales]]
id = "lonely"
label = "No items"
kind = "outcome"
higher_is = "better"
[[items]]
id = "wl1"
scale = "workload"
text = "x"
[[items]]
id = "wl1"
scale = "nowhere"
text = "y"
[profiles]
exhaustion = { scale = "exhaustion", high_at = 3.5 }
cynicism = { scale = "workload", high_at = 9 }
efficacy = { scale = "workload", low_at = 2.5 }
[translations.de]
labels = ["a"]
scales = { workload = "Arbeitsmenge", ghost = "?" }
items = { }
"#;
    let p = problems(bad);
    let expect = [
        "response_scale.labels: has 3 labels, the range 1..5 has 5 points",
        "scales[1] (id \"workload\").kind: unknown kind \"feeling\"",
        "scales[1] (id \"workload\").higher_is: unknown value \"up\"",
        "scales[1] (id \"workload\").id: duplicate scale id \"workload\"",
        "items[1] (id \"wl1\").scale: unknown scale \"nowhere\"",
        "items[1] (id \"wl1\").id: duplicate item id \"wl1\"",
        "scales[2] (id \"lonely\"): empty scale",
        "profiles.exhaustion.scale: points at a missing scale \"exhaustion\"",
        "profiles.cynicism.high_at: 9 lies outside the response scale 1..5",
        "translations.de.labels: has 1 labels",
        "translations.de.scales: missing scale \"lonely\"",
        "translations.de.scales: unknown scale \"ghost\"",
        "translations.de.items: missing item \"wl1\"",
    ];
    for e in expect {
        assert!(
            p.iter().any(|x| x.starts_with(e)),
            "missing {e:?} in {p:#?}"
        );
    }
}

#[test]
fn bad_ranges_and_missing_fields_are_reported() {
    let p = problems("id = \"x\"\n[response_scale]\nmin = 3\nmax = 3\nlabels = []\n");
    for e in [
        "version: is missing",
        "title: is missing",
        "language: is missing",
        "response_scale: bad range 3..3",
        "scales: the instrument has no scales",
        "items: the instrument has no items",
    ] {
        assert!(
            p.iter().any(|x| x.starts_with(e)),
            "missing {e:?} in {p:#?}"
        );
    }
}

#[test]
fn toml_syntax_errors_name_the_line() {
    let p = problems("id = \"x\"\nversion = = 1\n");
    assert_eq!(p.len(), 1);
    assert!(p[0].starts_with("line 2, column"), "{p:?}");
}

#[test]
fn builtin_instruments_are_valid_and_complete() {
    for id in builtin::IDS {
        let i = builtin::load(id).unwrap().unwrap();
        assert_eq!(i.id, id);
        assert!(i.description.contains("not a clinical diagnosis"), "{id}");
        let ids: Vec<&str> = i.scales.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "workload",
                "control",
                "reward",
                "community",
                "fairness",
                "values",
                "exhaustion",
                "cynicism",
                "efficacy",
                "recovery"
            ]
        );
        assert!(i.profiles.is_some());
        assert!(
            i.translations.contains_key("de"),
            "{id} needs a second language"
        );
    }
    let core = builtin::load("worklife-core").unwrap().unwrap();
    for s in 0..6 {
        let n = core.scale_items(s).len();
        assert!((4..=5).contains(&n));
        // Areas mix positive and negative wording.
        assert!(core.scale_items(s).iter().any(|&i| core.items[i].reverse));
        assert!(core.scale_items(s).iter().any(|&i| !core.items[i].reverse));
    }
    for s in 6..9 {
        assert_eq!(core.scale_items(s).len(), 4);
    }
    let pulse = builtin::load("worklife-pulse").unwrap().unwrap();
    let counts: Vec<usize> = (0..10).map(|s| pulse.scale_items(s).len()).collect();
    assert_eq!(counts, [1, 1, 1, 1, 1, 1, 2, 2, 2, 1]);
    assert!(builtin::load("nope").is_none());
}

#[test]
fn open_questions_are_prompts_beside_the_scored_items() {
    let source = format!(
        "{MINIMAL}[[items]]\nid = \"c_change\"\nkind = \"text\"\ntext = \"What one change would help?\"\n\
         [[items]]\nid = \"c_wl\"\nkind = \"text\"\nscale = \"workload\"\ntext = \"What makes it hard?\"\n"
    );
    let i = Instrument::parse(&source).unwrap();
    // Scoring sees the three items only; the prompts come in file order with their area.
    assert_eq!(i.items.len(), 3);
    let prompts: Vec<(&str, Option<usize>)> =
        i.prompts.iter().map(|q| (q.id.as_str(), q.area)).collect();
    assert_eq!(prompts, [("c_change", None), ("c_wl", Some(0))]);
    assert_eq!(i.prompt_index("c_wl"), Some(1));
    assert_eq!(i.item_index("c_wl"), None);
}

#[test]
fn a_bad_open_question_is_named_with_its_field() {
    let source = format!(
        "{MINIMAL}[[items]]\nid = \"wl1\"\nkind = \"text\"\ntext = \"Same id as an item\"\n\
         [[items]]\nid = \"c2\"\nkind = \"text\"\nscale = \"pay\"\nreverse = true\n\
         [[items]]\nid = \"c3\"\nkind = \"essay\"\ntext = \"?\"\n"
    );
    assert_eq!(
        problems(&source),
        [
            "items[3] (id \"wl1\").id: duplicate id \"wl1\"",
            "items[4] (id \"c2\").text: is missing",
            "items[4] (id \"c2\").reverse: an open question is not scored, so it cannot be reversed",
            "items[4] (id \"c2\").scale: unknown scale \"pay\"",
            "items[5] (id \"c3\").kind: unknown kind \"essay\" (expected likert or text)",
        ]
    );
}

#[test]
fn the_builtin_instruments_ask_open_questions_in_english_and_german() {
    for id in builtin::IDS {
        let i = builtin::load(id).unwrap().unwrap();
        assert_eq!(i.version, 2, "{id}: version 2 adds the open questions");
        assert!(!i.prompts.is_empty(), "{id}");
        for q in &i.prompts {
            assert!(q.text.ends_with('?'), "{id} {}", q.id);
            let de = &i.translations["de"].items[&q.id];
            assert!(de.ends_with('?'), "{id} {}: {de}", q.id);
        }
    }
}
