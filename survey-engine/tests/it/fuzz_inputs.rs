//! Fuzzing the engine's parser of outside input, `Instrument::parse` (instrument TOML from a
//! user's file): real instruments (both built-ins and a small one) mutated at random, with
//! bytes deleted, tricky tokens inserted (quotes, brackets, newlines, CR, NUL, BOM, long
//! digit runs, huge and negative numbers, emoji, RTL marks, invalid UTF-8), lines duplicated,
//! swapped, deleted and truncated, and values replaced.
//!
//! Properties: it never panics; a rejection lists problems that each name their place (a
//! line and column inside the file, or a key path such as `items[3] (id "wl1").scale`) with
//! a non-empty message and no Rust debug dump; an accepted instrument is consistent and
//! scores any sheet. 10,000 cases by default; `WORKLIFE_FUZZ_CASES` sets another number.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;
use survey_engine::testing::debug_dump;

use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::{Config, FileFailurePersistence, TestCaseError, TestRunner};
use survey_engine::instrument::builtin;
use survey_engine::{EngineError, Instrument};

/// Cases per parser: `WORKLIFE_FUZZ_CASES`, else 10,000.
fn cases() -> u32 {
    std::env::var("WORKLIFE_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000)
}

fn config() -> Config {
    Config {
        cases: cases(),
        // Failing inputs are kept in `fuzz_inputs.proptest-regressions` beside this file.
        source_file: Some(file!()),
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource(
            "proptest-regressions",
        ))),
        ..Config::default()
    }
}

/// A small valid instrument with profiles and a translation, so that most mutations land in
/// a part that is validated (the built-ins are mostly text).
const SMALL: &str = r#"# A small instrument.
id = "mini"
version = 1
title = "Mini"
language = "en"

[response_scale]
min = 1
max = 5
labels = ["1", "2", "3", "4", "5"]

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

[[scales]]
id = "cynicism"
label = "Cynicism"
kind = "burnout"
higher_is = "worse"

[[scales]]
id = "efficacy"
label = "Efficacy"
kind = "burnout"
higher_is = "better"

[[items]]
id = "wl1"
scale = "workload"
text = "I can finish my work in normal hours."

[[items]]
id = "wl2"
scale = "workload"
text = "I have more work than I can do."
reverse = true

[[items]]
id = "ex1"
scale = "exhaustion"
text = "I feel drained."

[[items]]
id = "cy1"
scale = "cynicism"
text = "I doubt my work matters."

[[items]]
id = "ef1"
scale = "efficacy"
text = "I get worthwhile things done."

[profiles]
exhaustion = { scale = "exhaustion", high_at = 3.5 }
cynicism = { scale = "cynicism", high_at = 3.5 }
efficacy = { scale = "efficacy", low_at = 2.5 }

[translations.de]
title = "Mini"
labels = ["1", "2", "3", "4", "5"]

[translations.de.scales]
workload = "Arbeitsmenge"
exhaustion = "Erschöpfung"
cynicism = "Zynismus"
efficacy = "Wirksamkeit"

[translations.de.items]
wl1 = "Ich schaffe meine Arbeit in der normalen Arbeitszeit."
wl2 = "Ich habe mehr Arbeit, als ich schaffen kann."
ex1 = "Ich fühle mich ausgelaugt."
cy1 = "Ich zweifle, ob meine Arbeit zählt."
ef1 = "Ich erledige lohnende Dinge."
"#;

/// The inputs the mutations start from; the small one twice as often (it is cheaper and
/// denser in validated fields).
const BASES: [&str; 4] = [
    SMALL,
    SMALL,
    builtin::WORKLIFE_PULSE,
    builtin::WORKLIFE_CORE,
];

/// Tricky tokens, inserted anywhere or put in place of a value.
const TOKENS: &[&[u8]] = &[
    b"\"",
    b"'",
    b"=",
    b" = ",
    b"[",
    b"]",
    b"[[",
    b"]]",
    b"{",
    b"}",
    b",",
    b".",
    b"\n",
    b"\r",
    b"\r\n",
    b"\0",
    "\u{feff}".as_bytes(),
    b"#",
    b"\\",
    b"\\u{",
    b"\\uD800",
    b"\"\"\"",
    b"'''",
    b"99999999999999999999999999",
    b"9223372036854775807",
    b"-9223372036854775808",
    b"4294967296",
    b"2147483648",
    b"-2147483649",
    b"-1",
    b"0",
    b"1",
    b"2",
    b"11",
    b"12",
    b"1e999",
    b"-1e999",
    b"nan",
    b"inf",
    b"-inf",
    b"1.5",
    b"3.5",
    b"true",
    b"0x7fffffff",
    b"1979-05-27T07:32:00Z",
    b"\xff",
    b"\xc3",
    b"\xed\xa0\x80",
    "\u{1f600}".as_bytes(),
    "\u{202e}".as_bytes(),
    "\u{200f}".as_bytes(),
    b"\t",
    b" ",
    b"\"\"",
    b"\" \"",
    b"[]",
    b"{}",
    b"[1, \"a\"]",
    b"\"workload\"",
    b"\"exhaustion\"",
    b"\"wl1\"",
    b"\"de\"",
    b"\"en\"",
    b"\"area\"",
    b"\"outcome\"",
    b"\"worse\"",
    b"\"sideways\"",
    b"[[items]]\n",
    b"[[scales]]\n",
    b"[response_scale]\n",
    b"[profiles]\n",
    b"[translations.de]\n",
    b"[translations.en]\n",
    b"id = \"wl1\"\n",
    b"scale = \"workload\"\n",
    b"kind = \"burnout\"\n",
    b"higher_is = \"worse\"\n",
    b"reverse = true\n",
    b"min = ",
    b"max = ",
    b"labels = []\n",
    b"version = ",
    b"high_at = ",
    b"low_at = ",
    b"a.b.c = 1\n",
    b"\"\" = 1\n",
    b"x = { y = [1, {z = 2}] }\n",
];

/// One random change to the input.
#[derive(Debug, Clone)]
enum Mutation {
    /// Deletes up to `len` bytes from a position.
    Delete(Index, u8),
    /// Inserts a token at a position.
    Insert(Index, Index),
    /// Inserts a token many times (long strings, long digit runs).
    Repeat(Index, Index, u16),
    /// Replaces what follows the `=` of a line with a token.
    ReplaceValue(Index, Index),
    DuplicateLine(Index),
    /// Duplicates a block of up to 12 lines (duplicate keys and sections).
    DuplicateLines(Index, u8),
    DeleteLine(Index),
    SwapLines(Index, Index),
    Truncate(Index),
    SetByte(Index, u8),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        3 => (any::<Index>(), 1u8..=80).prop_map(|(a, n)| Mutation::Delete(a, n)),
        4 => (any::<Index>(), any::<Index>()).prop_map(|(a, t)| Mutation::Insert(a, t)),
        1 => (any::<Index>(), any::<Index>(), 2u16..=3000)
            .prop_map(|(a, t, n)| Mutation::Repeat(a, t, n)),
        4 => (any::<Index>(), any::<Index>()).prop_map(|(l, t)| Mutation::ReplaceValue(l, t)),
        2 => any::<Index>().prop_map(Mutation::DuplicateLine),
        1 => (any::<Index>(), 2u8..=12).prop_map(|(l, n)| Mutation::DuplicateLines(l, n)),
        2 => any::<Index>().prop_map(Mutation::DeleteLine),
        1 => (any::<Index>(), any::<Index>()).prop_map(|(a, b)| Mutation::SwapLines(a, b)),
        1 => any::<Index>().prop_map(Mutation::Truncate),
        1 => (any::<Index>(), any::<u8>()).prop_map(|(a, b)| Mutation::SetByte(a, b)),
    ]
}

fn lines(input: &[u8]) -> Vec<Vec<u8>> {
    input.split(|&b| b == b'\n').map(<[u8]>::to_vec).collect()
}

fn unlines(lines: &[Vec<u8>]) -> Vec<u8> {
    lines.join(&b'\n')
}

fn apply(input: &mut Vec<u8>, m: &Mutation) {
    let token = |t: &Index| TOKENS[t.index(TOKENS.len())];
    match m {
        Mutation::Delete(at, len) => {
            let start = at.index(input.len() + 1);
            let end = (start + usize::from(*len)).min(input.len());
            input.drain(start..end);
        }
        Mutation::Insert(at, t) => {
            let at = at.index(input.len() + 1);
            input.splice(at..at, token(t).iter().copied());
        }
        Mutation::Repeat(at, t, n) => {
            let at = at.index(input.len() + 1);
            let run = token(t).repeat(usize::from(*n));
            input.splice(at..at, run);
        }
        Mutation::ReplaceValue(line, t) => {
            let mut ls = lines(input);
            let with_value: Vec<usize> = (0..ls.len()).filter(|&i| ls[i].contains(&b'=')).collect();
            if with_value.is_empty() {
                return;
            }
            let l = with_value[line.index(with_value.len())];
            let eq = ls[l].iter().position(|&b| b == b'=').unwrap_or_default();
            ls[l].truncate(eq + 1);
            ls[l].push(b' ');
            ls[l].extend_from_slice(token(t));
            *input = unlines(&ls);
        }
        Mutation::DuplicateLine(line) => {
            let mut ls = lines(input);
            let l = line.index(ls.len());
            ls.insert(l, ls[l].clone());
            *input = unlines(&ls);
        }
        Mutation::DuplicateLines(line, n) => {
            let mut ls = lines(input);
            let start = line.index(ls.len());
            let end = (start + usize::from(*n)).min(ls.len());
            let block: Vec<Vec<u8>> = ls[start..end].to_vec();
            ls.splice(end..end, block);
            *input = unlines(&ls);
        }
        Mutation::DeleteLine(line) => {
            let mut ls = lines(input);
            ls.remove(line.index(ls.len()));
            *input = unlines(&ls);
        }
        Mutation::SwapLines(a, b) => {
            let mut ls = lines(input);
            let (a, b) = (a.index(ls.len()), b.index(ls.len()));
            ls.swap(a, b);
            *input = unlines(&ls);
        }
        Mutation::Truncate(at) => {
            let at = at.index(input.len() + 1);
            input.truncate(at);
        }
        Mutation::SetByte(at, byte) => {
            if !input.is_empty() {
                let at = at.index(input.len());
                input[at] = *byte;
            }
        }
    }
}

/// A real instrument with 0 to 4 mutations (0: the property holds for the original too).
fn mutated_instrument() -> impl Strategy<Value = (usize, Vec<Mutation>)> {
    (0..BASES.len(), prop::collection::vec(mutation(), 0..=4))
}

fn build(base: usize, mutations: &[Mutation]) -> String {
    let mut bytes = BASES[base].as_bytes().to_vec();
    for m in mutations {
        apply(&mut bytes, m);
    }
    // The parser takes text: invalid UTF-8 arrives as U+FFFD, as from a lossy read.
    String::from_utf8_lossy(&bytes).into_owned()
}

/// `line N, column M` with N inside the file (or just past its end) and M at least 1.
fn line_column(place: &str, line_count: usize) -> bool {
    let Some(rest) = place.strip_prefix("line ") else {
        return false;
    };
    let Some((line, column)) = rest.split_once(", column ") else {
        return false;
    };
    match (line.parse::<usize>(), column.parse::<usize>()) {
        (Ok(l), Ok(c)) => (1..=line_count + 1).contains(&l) && c >= 1,
        _ => false,
    }
}

/// The top-level keys of an instrument: a validation problem's place starts with one.
const KEYS: [&str; 9] = [
    "id",
    "version",
    "title",
    "language",
    "response_scale",
    "scales",
    "items",
    "profiles",
    "translations",
];

fn names_a_key(place: &str) -> bool {
    KEYS.iter().any(|k| {
        place
            .strip_prefix(k)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with(['.', '[']))
    })
}

fn check_rejection(source: &str, problems: &[survey_engine::Problem]) -> Result<(), TestCaseError> {
    prop_assert!(!problems.is_empty(), "a rejection with no problem listed");
    let line_count = source.matches('\n').count() + 1;
    for p in problems {
        prop_assert!(
            line_column(&p.place, line_count) || names_a_key(&p.place),
            "the place {:?} names neither a line and column of the file nor a key (problem {:?})",
            p.place,
            p.message
        );
        prop_assert!(
            !p.message.trim().is_empty(),
            "empty message at {:?}",
            p.place
        );
        if let Some(marker) = debug_dump(&p.message) {
            prop_assert!(false, "debug dump ({marker}) in {:?}", p.message);
        }
    }
    Ok(())
}

/// An accepted instrument holds together and scores any sheet.
fn check_accepted(i: &Instrument) -> Result<(), TestCaseError> {
    prop_assert!(!i.id.trim().is_empty() && !i.title.trim().is_empty());
    prop_assert!(!i.language.trim().is_empty() && i.version >= 1);
    let rs = &i.response_scale;
    let points = rs.points().count();
    prop_assert!((3..=11).contains(&points), "{} points", points);
    prop_assert_eq!(rs.labels.len(), points);
    prop_assert!(!i.scales.is_empty() && !i.items.is_empty());
    let mut covered = 0;
    for (s, scale) in i.scales.iter().enumerate() {
        prop_assert_eq!(i.scale_index(&scale.id), Some(s));
        prop_assert!(
            !i.scale_items(s).is_empty(),
            "scale {} has no items",
            scale.id
        );
        covered += i.scale_items(s).len();
    }
    prop_assert_eq!(covered, i.items.len());
    for (n, item) in i.items.iter().enumerate() {
        prop_assert!(item.scale < i.scales.len());
        prop_assert_eq!(i.item_index(&item.id), Some(n));
        prop_assert!(i.scale_items(item.scale).contains(&n));
        prop_assert!(i.scale_index(&item.id).is_none(), "item id is a scale id");
    }
    if let Some(p) = &i.profiles {
        for cut in [p.exhaustion, p.cynicism, p.efficacy] {
            prop_assert!(cut.scale < i.scales.len());
            prop_assert!(
                (f64::from(rs.min)..=f64::from(rs.max)).contains(&cut.at),
                "cut-off {} off the scale",
                cut.at
            );
        }
    }
    let scale_ids: BTreeSet<&str> = i.scales.iter().map(|s| s.id.as_str()).collect();
    // Translations name every scored item and every open question.
    let item_ids: BTreeSet<&str> = i
        .items
        .iter()
        .map(|s| s.id.as_str())
        .chain(i.prompts.iter().map(|q| q.id.as_str()))
        .collect();
    for q in &i.prompts {
        prop_assert!(!q.text.trim().is_empty());
        prop_assert!(q.area.is_none_or(|a| a < i.scales.len()));
    }
    for (lang, t) in &i.translations {
        prop_assert!(lang != &i.language);
        if let Some(labels) = &t.labels {
            prop_assert_eq!(labels.len(), points);
        }
        prop_assert_eq!(
            t.scales.keys().map(String::as_str).collect::<BTreeSet<_>>(),
            scale_ids.clone()
        );
        prop_assert_eq!(
            t.items.keys().map(String::as_str).collect::<BTreeSet<_>>(),
            item_ids.clone()
        );
    }
    prop_assert_eq!(i.languages().first().copied(), Some(i.language.as_str()));
    // Any sheet on the scale scores, each score on the scale.
    let n = i.items.len();
    let sheets: [Vec<Option<i32>>; 4] = [
        vec![Some(rs.min); n],
        vec![Some(rs.max); n],
        vec![None; n],
        (0..n)
            .map(|k| (k % 3 != 0).then_some(rs.min + (k as i32 % (rs.max - rs.min + 1))))
            .collect(),
    ];
    for sheet in &sheets {
        let scores = i
            .score(sheet)
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(scores.scales.len(), i.scales.len());
        prop_assert_eq!(scores.profile.is_some(), i.profiles.is_some());
        for s in 0..i.scales.len() {
            if let Some(x) = scores.score(s) {
                prop_assert!(f64::from(rs.min) <= x && x <= f64::from(rs.max));
            }
        }
    }
    Ok(())
}

/// Whether the input has a `[response_scale]` whose `max - min + 1` overflows an i64 (it
/// made `Instrument::parse` panic once; see
/// `far_apart_scale_bounds_are_refused_not_a_panic`).
fn far_apart_scale_bounds(source: &str) -> bool {
    let Ok(table) = toml::from_str::<toml::Table>(source) else {
        return false;
    };
    let bound = |key: &str| {
        table
            .get("response_scale")
            .and_then(|r| r.get(key))
            .and_then(toml::Value::as_integer)
    };
    match (bound("min"), bound("max")) {
        (Some(min), Some(max)) => max
            .checked_sub(min)
            .and_then(|d| d.checked_add(1))
            .is_none(),
        _ => false,
    }
}

/// Finding 2 (see `finding_deeply_nested_keys_are_refused_with_their_line`): keys nested 80
/// deep are refused as `file: recursion limit`, without a line. Accepted here as it is.
fn recursion_limit_without_line(problems: &[survey_engine::Problem]) -> bool {
    matches!(problems, [p] if p.place == "file" && p.message == "recursion limit")
}

/// How the cases went: accepted, refused, known findings.
static TALLY: [AtomicUsize; 3] = [
    AtomicUsize::new(0),
    AtomicUsize::new(0),
    AtomicUsize::new(0),
];

fn tally(outcome: usize) {
    TALLY[outcome].fetch_add(1, Ordering::Relaxed);
}

fn check_instrument(source: &str) -> Result<(), TestCaseError> {
    match Instrument::parse(source) {
        Ok(i) => {
            tally(0);
            check_accepted(&i)
        }
        Err(EngineError::InvalidInstrument(problems))
            if recursion_limit_without_line(&problems) =>
        {
            tally(2);
            Ok(())
        }
        Err(EngineError::InvalidInstrument(problems)) => {
            tally(1);
            check_rejection(source, &problems)
                .map_err(|e| TestCaseError::fail(format!("{e}\ninput: {source:?}")))?;
            let text = EngineError::InvalidInstrument(problems).to_string();
            prop_assert!(text.starts_with("invalid instrument ("), "{}", text);
            Ok(())
        }
        Err(other) => Err(TestCaseError::fail(format!(
            "an instrument error of another kind: {other}\ninput: {source:?}"
        ))),
    }
}

#[test]
fn instrument_toml_survives_mutations_and_names_every_place() {
    let started = Instant::now();
    let mut runner = TestRunner::new(config());
    let result = runner.run(&mutated_instrument(), |(base, mutations)| {
        let source = build(base, &mutations);
        check_instrument(&source)
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    let [accepted, refused, known] = TALLY.each_ref().map(|t| t.load(Ordering::Relaxed));
    eprintln!(
        "fuzz_inputs: Instrument::parse, {} cases in {:.2?}: {accepted} accepted, {refused} \
         refused, {known} known findings",
        cases(),
        started.elapsed()
    );
}

#[test]
fn the_unmutated_bases_parse() {
    for (n, base) in BASES.iter().enumerate() {
        let i = Instrument::parse(base).unwrap_or_else(|e| panic!("base {n}: {e}"));
        check_accepted(&i).unwrap_or_else(|e| panic!("base {n}: {e}"));
    }
}

/// A valid instrument around a response scale of `min..max`.
fn with_scale(min: &str, max: &str) -> String {
    SMALL
        .replace("min = 1\n", &format!("min = {min}\n"))
        .replace("max = 5\n", &format!("max = {max}\n"))
}

#[test]
fn far_apart_scale_bounds_are_refused_not_a_panic() {
    for (min, max) in [
        ("-9223372036854775808", "1"),
        ("-2", "9223372036854775807"),
        ("0", "9223372036854775807"),
    ] {
        let source = with_scale(min, max);
        assert!(far_apart_scale_bounds(&source));
        let outcome = std::panic::catch_unwind(|| Instrument::parse(&source).map(|_| ()));
        match outcome {
            Ok(Err(EngineError::InvalidInstrument(problems))) => {
                assert!(
                    problems
                        .iter()
                        .any(|p| p.place.starts_with("response_scale")),
                    "{min}..{max}: {problems:?}"
                );
            }
            Ok(other) => panic!("{min}..{max}: refused expected, got {other:?}"),
            Err(_) => panic!("{min}..{max}: Instrument::parse panicked"),
        }
    }
}

#[test]
#[ignore = "finding: a key or table header 80 levels deep is refused as `file: recursion \
            limit` (Instrument::parse, toml error without a span), naming no line"]
fn finding_deeply_nested_keys_are_refused_with_their_line() {
    for deep in [
        format!("[{}a]\nb = 1\n", "a.".repeat(80)),
        format!("{}a = 1\n", "a.".repeat(80)),
    ] {
        let source = format!("{SMALL}{deep}");
        let lines = source.matches('\n').count() + 1;
        match Instrument::parse(&source) {
            Err(EngineError::InvalidInstrument(problems)) => {
                assert!(
                    problems.iter().all(|p| line_column(&p.place, lines)),
                    "{problems:?}"
                );
            }
            other => panic!("refused expected, got {other:?}"),
        }
    }
}

#[test]
fn the_findings_hold_as_described() {
    // Finding 2 as it is today, so that its workaround above stays narrow.
    let source = format!("{SMALL}[{}a]\nb = 1\n", "a.".repeat(80));
    match Instrument::parse(&source) {
        Err(EngineError::InvalidInstrument(problems)) => {
            assert!(recursion_limit_without_line(&problems), "{problems:?}")
        }
        other => panic!("refused expected, got {other:?}"),
    }
    assert!(far_apart_scale_bounds(&with_scale(
        "-2",
        "9223372036854775807"
    )));
    assert!(!far_apart_scale_bounds(&with_scale("-2", "2")));
}
