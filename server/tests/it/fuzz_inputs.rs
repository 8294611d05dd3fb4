//! Fuzzing every server-side parser of outside input with mutated real inputs: the roster CSV
//! (`survey::roster::parse`), the responses CSV of `worklife score` (`input::read_responses`),
//! the answer form's fields (`web::survey::Posted::parse`, and whole form bodies through the
//! respondent routes), the answer JSON (`POST /api/v1/responses` through an in-process app)
//! and the configuration file (`Settings::from_file`, as `Settings::load` reads it).
//!
//! The server has no `proptest`, so the mutations come from the engine's seeded
//! `testing::Rng`: case `i` of a run uses seed `WORKLIFE_FUZZ_SEED + i`, and a failure prints
//! its seed and input, so `WORKLIFE_FUZZ_SEED=<seed> WORKLIFE_FUZZ_CASES=1` replays it
//! (through the app, up to which answer link it gets: that depends on the cases before).
//! `WORKLIFE_FUZZ_CASES` sets the cases per parser (10,000 by default).
//!
//! Mutations: delete a range, insert a token from a dictionary (quotes, separators,
//! newlines, CR, NUL, BOM, long digit runs, `-1`, `1e999`, invalid UTF-8, emoji, RTL marks,
//! format keywords), repeat a token up to 3,000 times, replace a value or cell, duplicate,
//! delete or swap lines and columns, truncate, overwrite a byte.
//!
//! Properties: no panic, no 5xx; a rejection is a non-empty message without a Rust debug
//! dump that names its place (by parser: the line, the row and column, the key, the item);
//! an acceptance passes a sanity check of its own.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::time::Instant;

use actix_web::http::StatusCode;
use actix_web::test as app_test;
use actix_web::{web, App};
use survey_engine::instrument::builtin;
use survey_engine::testing::{debug_dump, unquoted, Rng};
use survey_engine::{Aggregate, Instrument};
use worklife_server::configuration::Settings;
use worklife_server::db::DbPool;
use worklife_server::error::AppError;
use worklife_server::input::{read_responses, InputError};
use worklife_server::survey::roster;
use worklife_server::web::survey::Posted;
use worklife_server::web::{self as wl_web, AppState};
use worklife_tests::survey_common::{open_wave, settings};
use worklife_tests::{backends, Backend, Workspace};

// ---------------------------------------------------------------- the harness

/// Cases per parser: `WORKLIFE_FUZZ_CASES`, else 10,000.
fn cases() -> usize {
    std::env::var("WORKLIFE_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000)
}

/// The seed of case 0: `WORKLIFE_FUZZ_SEED`, else a fixed one (the same cases every run).
fn first_seed() -> u64 {
    std::env::var("WORKLIFE_FUZZ_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0x5eed_f022)
}

/// The generator of one case; the first outputs of neighbouring seeds are thrown away.
fn case_rng(seed: u64) -> Rng {
    let mut rng = Rng(seed ^ 0x9e37_79b9_7f4a_7c15);
    rng.next(2);
    rng.next(2);
    rng
}

/// Bytes as a Rust byte-string literal body, for reproducers.
fn shown(bytes: &[u8]) -> String {
    bytes.escape_ascii().to_string()
}

/// How a parser took a case whose properties held.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
enum Verdict {
    Accepted,
    Refused,
}

/// Runs `check` on `cases` generated inputs; every failure (a broken property or a panic) is
/// collected with its seed and input, and the test fails listing the first few.
fn fuzz<T>(
    name: &str,
    cases: usize,
    mut generate: impl FnMut(&mut Rng) -> T,
    mut check: impl FnMut(&T) -> Result<Verdict, String>,
    show: impl Fn(&T) -> String,
) {
    let started = Instant::now();
    let first = first_seed();
    let mut failures = Vec::new();
    let mut verdicts: BTreeMap<Verdict, usize> = BTreeMap::new();
    for case in 0..cases {
        let seed = first.wrapping_add(case as u64);
        let input = generate(&mut case_rng(seed));
        let outcome = catch_unwind(AssertUnwindSafe(|| check(&input)));
        let problem = match outcome {
            Ok(Ok(verdict)) => {
                *verdicts.entry(verdict).or_default() += 1;
                continue;
            }
            Ok(Err(broken)) => broken,
            Err(panic) => format!("PANIC: {}", panic_message(&panic)),
        };
        failures.push(format!(
            "seed {seed}: {problem}\n    input: {}",
            show(&input)
        ));
    }
    eprintln!(
        "fuzz_inputs: {name}: {cases} cases in {:.2?}, {verdicts:?}",
        started.elapsed()
    );
    assert!(
        failures.is_empty(),
        "{name}: {} of {cases} cases failed; the first:\n{}",
        failures.len(),
        failures
            .iter()
            .take(5)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}

fn panic_message(panic: &Box<dyn std::any::Any + Send>) -> String {
    panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_string()))
        .unwrap_or_else(|| "(no message)".into())
}

/// A clear message: not empty, no debug dump.
fn clear(message: &str) -> Result<(), String> {
    if message.trim().is_empty() {
        return Err("an empty message".into());
    }
    match debug_dump(message) {
        Some(marker) => Err(format!("a debug dump ({marker}) in {message:?}")),
        None => Ok(()),
    }
}

/// `N` of a message starting with `<prefix>N`, and what follows it.
fn number_after<'a>(message: &'a str, prefix: &str) -> Option<(usize, &'a str)> {
    let rest = message.strip_prefix(prefix)?;
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    let n = rest[..digits].parse().ok()?;
    Some((n, &rest[digits..]))
}

// ---------------------------------------------------------------- the mutations

#[derive(Clone, Copy, PartialEq, Eq)]
enum Syntax {
    /// `key = value` lines.
    Toml,
    /// Comma-separated cells.
    Csv,
    /// `"key": value,` lines.
    Json,
    /// `name=value&name=value`.
    Form,
}

/// Tokens every format gets.
const COMMON: &[&[u8]] = &[
    b"\"",
    b"'",
    b"\n",
    b"\r",
    b"\r\n",
    b"\0",
    "\u{feff}".as_bytes(),
    b"\\",
    b"99999999999999999999999999",
    b"9223372036854775807",
    b"-9223372036854775808",
    b"18446744073709551616",
    b"4294967296",
    b"2147483648",
    b"-2147483649",
    b"-1",
    b"0",
    b"1e999",
    b"-1e999",
    b"NaN",
    b"1.5",
    b"\xff",
    b"\xc3",
    b"\xed\xa0\x80",
    b"\xc0\x80",
    "\u{1f600}".as_bytes(),
    "\u{202e}".as_bytes(),
    "\u{200f}".as_bytes(),
    "\u{200b}".as_bytes(),
    "e\u{301}".as_bytes(),
    b"\t",
    b" ",
    b"",
];

const CSV_TOKENS: &[&[u8]] = &[
    b",",
    b",,",
    b"\"\"",
    b"\"a,b\"",
    b"\"a\nb\"",
    b"email",
    b"unit",
    b"EMAIL",
    b" Unit ",
    b"id",
    b"@",
    b"ann@example.org",
    b"ANN@EXAMPLE.ORG",
    b"a@b",
    b"Acme",
    b"Acme/",
    b"/Acme",
    b"Acme//Eng",
    b" / ",
    b"Other/Root",
    b"=HYPERLINK(\"x\")",
    b";",
    b"wl1",
    b"p_wl1",
    b"ex2",
    b"1",
    b"3",
    b"5",
    b"6",
    b" 3 ",
    b"3.0",
    b"+3",
    b"0x3",
];

const TOML_TOKENS: &[&[u8]] = &[
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
    b"#",
    b"\"\"\"",
    b"'''",
    b"\"\"",
    b"[]",
    b"{}",
    b"true",
    b"nan",
    b"inf",
    b"1979-05-27T07:32:00Z",
    b"65536",
    b"70000",
    b"\"not an address\"",
    b"\"smtp\"",
    b"\"ssl\"",
    b"\"120%\"",
    b"\"none\"",
    b"[\"10.0.0.5\", \"not-an-ip\"]",
    b"[\"::1\", \" 127.0.0.1 \"]",
    b"pool_size = ",
    b"pool_sise = 3\n",
    b"[mail]\n",
    b"[login]\n",
    b"[support]\n",
    b"[default]\n",
    b"[global]\n",
    b"[[mail]]\n",
    b"port = 70000\n",
    b"tls = \"ssl\"\n",
    b"transport = \"pigeon\"\n",
    b"reminders = \"10%,20%,30%,40%\"\n",
    b"trusted_proxies = [\"10.0.0.5\", \"not-an-ip\"]\n",
    b"mail_from = \"not an address\"\n",
    b"reply_to = \"x@\"\n",
    b"database_url = ",
    b"a.b.c = 1\n",
    b"support.crisis = 1\n",
];

const JSON_TOKENS: &[&[u8]] = &[
    b"{",
    b"}",
    b"[",
    b"]",
    b":",
    b",",
    b"\\\"",
    b"\\u0000",
    b"\\ud800",
    b"\\uD83D\\uDE00",
    b"null",
    b"true",
    b"false",
    b"-0",
    b"99999999999",
    b"4.0",
    b"4e0",
    b"\"4\"",
    b"[4]",
    b"{}",
    b"\"token\"",
    b"\"answers\"",
    b"\"p_wl1\": 4",
    b"\"p_wl1\": 4,",
    b"\"p_nope\": 3,",
    b"\"extra\": 1,",
    b"\"token\": \"x\",",
    b"\"answers\": {},",
    b"{\"a\":",
    b"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[",
    b"\"\"",
    b"/* */",
];

const FORM_TOKENS: &[&[u8]] = &[
    b"&",
    b"=",
    b"+",
    b"%",
    b"%2",
    b"%ZZ",
    b"%FF",
    b"%00",
    b"%C3",
    b"%E2%80%AE",
    b"%F0%9F%98%80",
    b"%26",
    b"%3D",
    b"lang=de",
    b"lang=xx",
    b"lang=",
    b"p_wl1=4",
    b"p_wl1=",
    b"p_wl1=4.5",
    b"p_nope=3",
    b";",
    b"==",
    b"&&",
    b"3",
    b"6",
];

fn dictionary(syntax: Syntax) -> Vec<&'static [u8]> {
    let own = match syntax {
        Syntax::Toml => TOML_TOKENS,
        Syntax::Csv => CSV_TOKENS,
        Syntax::Json => JSON_TOKENS,
        Syntax::Form => FORM_TOKENS,
    };
    COMMON.iter().chain(own).copied().collect()
}

fn lines(input: &[u8]) -> Vec<Vec<u8>> {
    input.split(|&b| b == b'\n').map(<[u8]>::to_vec).collect()
}

fn unlines(lines: &[Vec<u8>]) -> Vec<u8> {
    lines.join(&b'\n')
}

/// Splits on `sep` (no quoting: a mutation may well cut a quoted cell).
fn split(line: &[u8], sep: u8) -> Vec<Vec<u8>> {
    line.split(|&b| b == sep).map(<[u8]>::to_vec).collect()
}

/// Applies 0 to 4 random mutations (0: the real input itself).
fn mutate(rng: &mut Rng, base: &[u8], syntax: Syntax, tokens: &[&[u8]]) -> Vec<u8> {
    let mut out = base.to_vec();
    for _ in 0..rng.next(5) {
        mutate_once(rng, &mut out, syntax, tokens);
    }
    out
}

fn mutate_once(rng: &mut Rng, input: &mut Vec<u8>, syntax: Syntax, tokens: &[&[u8]]) {
    let token = tokens[rng.next(tokens.len())];
    match rng.next(14) {
        0 | 1 => {
            let start = rng.next(input.len() + 1);
            let end = (start + 1 + rng.next(80)).min(input.len());
            input.drain(start..end);
        }
        2..=4 => {
            let at = rng.next(input.len() + 1);
            input.splice(at..at, token.iter().copied());
        }
        5 => {
            let at = rng.next(input.len() + 1);
            let run = token.repeat(2 + rng.next(3000));
            input.splice(at..at, run);
        }
        6 | 7 => replace_value(rng, input, syntax, token),
        8 => {
            let mut ls = lines(input);
            let l = rng.next(ls.len());
            ls.insert(l, ls[l].clone());
            *input = unlines(&ls);
        }
        9 => {
            let mut ls = lines(input);
            let start = rng.next(ls.len());
            let end = (start + 2 + rng.next(11)).min(ls.len());
            let block = ls[start..end].to_vec();
            ls.splice(end..end, block);
            *input = unlines(&ls);
        }
        10 => {
            let mut ls = lines(input);
            let (a, b) = (rng.next(ls.len()), rng.next(ls.len()));
            if rng.next(2) == 0 {
                ls.remove(a);
            } else {
                ls.swap(a, b);
            }
            *input = unlines(&ls);
        }
        11 => {
            if rng.next(2) == 0 {
                input.truncate(rng.next(input.len() + 1));
            } else if !input.is_empty() {
                let at = rng.next(input.len());
                input[at] = rng.next(256) as u8;
            }
        }
        _ => columns(rng, input, syntax),
    }
}

/// Puts `token` in place of a value: after `=` (TOML, form), after `:` (JSON), or as a
/// whole CSV cell.
fn replace_value(rng: &mut Rng, input: &mut Vec<u8>, syntax: Syntax, token: &[u8]) {
    match syntax {
        Syntax::Toml | Syntax::Json => {
            let sep = if syntax == Syntax::Toml { b'=' } else { b':' };
            let mut ls = lines(input);
            let with: Vec<usize> = (0..ls.len()).filter(|&i| ls[i].contains(&sep)).collect();
            if with.is_empty() {
                return;
            }
            let l = with[rng.next(with.len())];
            let comma = syntax == Syntax::Json && ls[l].trim_ascii_end().ends_with(b",");
            let at = ls[l].iter().position(|&b| b == sep).unwrap_or_default();
            ls[l].truncate(at + 1);
            ls[l].push(b' ');
            ls[l].extend_from_slice(token);
            if comma {
                ls[l].push(b',');
            }
            *input = unlines(&ls);
        }
        Syntax::Csv => {
            let mut ls = lines(input);
            let l = rng.next(ls.len());
            let mut cells = split(&ls[l], b',');
            let c = rng.next(cells.len());
            cells[c] = token.to_vec();
            ls[l] = cells.join(&b',');
            *input = unlines(&ls);
        }
        Syntax::Form => {
            let mut pairs = split(input, b'&');
            let p = rng.next(pairs.len());
            let at = pairs[p]
                .iter()
                .position(|&b| b == b'=')
                .map_or(pairs[p].len(), |i| i + 1);
            pairs[p].truncate(at);
            pairs[p].extend_from_slice(token);
            *input = pairs.join(&b'&');
        }
    }
}

/// CSV: duplicates or deletes a column on every line; form: duplicates or drops a field;
/// otherwise swaps two lines.
fn columns(rng: &mut Rng, input: &mut Vec<u8>, syntax: Syntax) {
    let duplicate = rng.next(2) == 0;
    match syntax {
        Syntax::Csv => {
            let ls = lines(input);
            let c = rng.next(8);
            let out: Vec<Vec<u8>> = ls
                .iter()
                .map(|l| {
                    let mut cells = split(l, b',');
                    if c < cells.len() {
                        if duplicate {
                            cells.insert(c, cells[c].clone());
                        } else {
                            cells.remove(c);
                        }
                    }
                    cells.join(&b',')
                })
                .collect();
            *input = unlines(&out);
        }
        Syntax::Form => {
            let mut pairs = split(input, b'&');
            let p = rng.next(pairs.len());
            if duplicate {
                pairs.insert(p, pairs[p].clone());
            } else {
                pairs.remove(p);
            }
            *input = pairs.join(&b'&');
        }
        Syntax::Toml | Syntax::Json => {
            let mut ls = lines(input);
            let (a, b) = (rng.next(ls.len()), rng.next(ls.len()));
            ls.swap(a, b);
            *input = unlines(&ls);
        }
    }
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// A folder of this process for the files the file-reading parsers get: in memory where
/// there is a `/dev/shm` (a write to disk takes milliseconds, 10,000 of them most of a test).
fn scratch(name: &str) -> PathBuf {
    let shm = Path::new("/dev/shm");
    let base = if shm.is_dir() {
        shm.to_path_buf()
    } else {
        std::env::temp_dir()
    };
    let dir = base.join(format!("worklife-fuzz-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

// ---------------------------------------------------------------- roster CSV

/// Realistic rosters: the README's format with attribute columns, quoting, empty
/// attributes, mixed case, CRLF and a byte-order mark.
fn rosters() -> Vec<Vec<u8>> {
    let units = [
        "Acme/Engineering/Platform",
        "Acme/Engineering/Apps",
        "Acme/Sales/North",
        "Acme/Sales/South",
        "Acme/People",
        "Acme",
    ];
    let tenures = ["<1y", "1-3y", "3-10y", "10y+", ""];
    let places = ["Berlin", "Lisbon", "\"São Paulo, BR\"", "", "Kraków"];
    let mut plain = String::from("email,unit,tenure,location\n");
    for i in 0..24 {
        plain.push_str(&format!(
            "person{i}@example.org,{},{},{}\n",
            units[i % units.len()],
            tenures[i % tenures.len()],
            places[i % places.len()]
        ));
    }
    let readme = "email,unit,tenure,location\n\
                  ann@example.org,Acme/Engineering/Platform,1-3y,Berlin\n\
                  bob@example.org,Acme/Engineering,10y+,Lisbon\n";
    let messy = "Email , UNIT,Team Lead\r\n\
                 \"Ann@Example.org\",\" Acme / Engineering \",yes\r\n\
                 bob@example.org,Acme/Engineering/Platform,\r\n\
                 \"cid@example.org\",\"Acme/Sales\",\"no, \"\"never\"\"\"\r\n";
    let bom = format!("\u{feff}{readme}");
    let only_required = "unit,email\nAcme/Ops,ops@example.org\nAcme,boss@example.org\n";
    vec![
        plain.into_bytes(),
        readme.as_bytes().to_vec(),
        messy.as_bytes().to_vec(),
        bom.into_bytes(),
        only_required.as_bytes().to_vec(),
    ]
}

/// Data records a CSV reader finds after the header (blank lines are none).
fn csv_records(bytes: &[u8]) -> usize {
    csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(bytes)
        .byte_records()
        .count()
}

/// Problems of the header row; every other problem is about a data line.
/// The whole file is in another encoding than UTF-8 (`roster::utf8_text`).
fn encoding_problem(message: &str) -> bool {
    message.starts_with("the file is not UTF-8") || message.starts_with("the file is UTF-16")
}

fn header_problem(message: &str) -> bool {
    [
        "cannot read the header",
        "a column has an empty header",
        "the header has no ",
    ]
    .iter()
    .any(|m| message.starts_with(m))
        || message.starts_with("column \"") && message.ends_with("\" appears twice")
}

/// The lines of `input` as an editor shows them: CRLF, CR and LF each end one.
fn editor_lines(input: &[u8]) -> Vec<&[u8]> {
    let mut lines = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i < input.len() {
        match input[i] {
            b'\r' | b'\n' => {
                lines.push(&input[start..i]);
                if input[i] == b'\r' && input.get(i + 1) == Some(&b'\n') {
                    i += 1;
                }
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    lines.push(&input[start..]);
    lines
}

/// The line the header is on: the reader skips empty lines before it.
fn header_line(input: &[u8]) -> usize {
    1 + editor_lines(input)
        .iter()
        .take_while(|l| l.is_empty())
        .count()
}

fn check_roster(input: &[u8]) -> Result<Verdict, String> {
    match roster::parse(input) {
        Ok(r) => roster_sane(input, &r).map(|()| Verdict::Accepted),
        Err(AppError::Validation(problems)) => {
            if problems.is_empty() {
                return Err("a rejection with no problem listed".into());
            }
            // Lines as an editor numbers them; data starts after the header.
            let lines = editor_lines(input).len();
            // An editor does not show a UTF-8 byte order mark, and the import drops it.
            let header = header_line(input.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(input));
            for p in &problems {
                // Every problem starts with the line it is on.
                let Some((line, rest)) = number_after(p, "line ") else {
                    return Err(format!("a problem naming no line: {p:?}"));
                };
                let Some(message) = rest.strip_prefix(": ") else {
                    return Err(format!("no `line N: ` in front: {p:?}"));
                };
                clear(message)?;
                let right = if header_problem(message) {
                    line == header
                } else if encoding_problem(message) {
                    // A file that is not UTF-8 is named once, at its first bad byte: any line.
                    (1..=lines.max(1)).contains(&line)
                } else {
                    (header + 1..=lines).contains(&line)
                };
                if !right {
                    return Err(format!("line {line} of {lines}: {p:?}"));
                }
            }
            Ok(Verdict::Refused)
        }
        Err(other) => Err(format!("not a validation error: {other:?}")),
    }
}

fn roster_sane(input: &[u8], r: &roster::Roster) -> Result<(), String> {
    // One person per data record.
    if r.rows.len() != csv_records(input) {
        return Err(format!(
            "{} people from {} CSV records",
            r.rows.len(),
            csv_records(input)
        ));
    }
    let names: BTreeSet<String> = r
        .attribute_names
        .iter()
        .map(|n| n.to_ascii_lowercase())
        .collect();
    if names.len() != r.attribute_names.len() || names.contains("email") || names.contains("unit") {
        return Err(format!("attribute names {:?}", r.attribute_names));
    }
    let mut emails = HashSet::new();
    let mut roots = BTreeSet::new();
    for row in &r.rows {
        if row.email.is_empty()
            || row.email != row.email.trim().to_lowercase()
            || !row.email.contains('@')
            || !emails.insert(row.email.clone())
        {
            return Err(format!("accepted email {:?}", row.email));
        }
        let segments: Vec<&str> = row.unit.split('/').collect();
        if segments.iter().any(|s| s.is_empty() || s.trim() != *s) {
            return Err(format!("accepted unit {:?}", row.unit));
        }
        roots.insert(segments[0].to_string());
        for (name, value) in &row.attributes {
            if !r.attribute_names.contains(name) || value.is_empty() || value.trim() != value {
                return Err(format!("accepted attribute {name:?} = {value:?}"));
            }
        }
    }
    if roots.len() > 1 {
        return Err(format!("people under several roots {roots:?}"));
    }
    Ok(())
}

#[test]
fn roster_csv_survives_mutations_and_names_the_line() {
    let bases = rosters();
    let words = dictionary(Syntax::Csv);
    for base in &bases {
        check_roster(base).unwrap_or_else(|e| panic!("a real roster: {e}"));
        let r = roster::parse(base).unwrap();
        let data_lines = String::from_utf8_lossy(base)
            .lines()
            .skip(1)
            .filter(|l| !l.trim().is_empty())
            .count();
        assert_eq!(r.rows.len(), data_lines, "one person per data line");
    }
    fuzz(
        "roster::parse",
        cases(),
        |rng| {
            let base = &bases[rng.next(bases.len())];
            mutate(rng, base, Syntax::Csv, &words)
        },
        |input| check_roster(input),
        |input| format!("b\"{}\"", shown(input)),
    );
}

// ---------------------------------------------------------------- responses CSV

struct ResponsesBase {
    instrument: Instrument,
    csv: Vec<u8>,
}

fn responses_bases() -> Vec<ResponsesBase> {
    let mini = Instrument::parse(&std::fs::read_to_string(fixture("mini.toml")).unwrap()).unwrap();
    let pulse = builtin::load("worklife-pulse").unwrap().unwrap();
    let core = builtin::load("worklife-core").unwrap().unwrap();
    let read = |name: &str| std::fs::read(fixture(name)).unwrap();
    // The first 30 sheets of the 400 of the core file: the same shapes, a fraction of the time.
    let core_csv: Vec<u8> = unlines(&lines(&read("core_responses.csv"))[..31]);
    vec![
        ResponsesBase {
            instrument: mini.clone(),
            csv: read("responses.csv"),
        },
        ResponsesBase {
            instrument: mini,
            csv: read("bad_responses.csv"),
        },
        ResponsesBase {
            instrument: pulse,
            csv: read("small_teams.csv"),
        },
        ResponsesBase {
            instrument: core,
            csv: core_csv,
        },
    ]
}

fn check_responses(path: &Path, instrument: &Instrument, input: &[u8]) -> Result<Verdict, String> {
    std::fs::write(path, input).unwrap();
    match read_responses(path, instrument) {
        Ok(table) => responses_sane(input, instrument, &table).map(|()| Verdict::Accepted),
        Err(e) => {
            let Some(InputError(problems)) = e.downcast_ref::<InputError>() else {
                return Err(format!("not an input error: {e:#}"));
            };
            if problems.is_empty() {
                return Err("a rejection with no problem listed".into());
            }
            // Rows are data records, counted from 1.
            let bound = csv_records(input);
            let header_prefix = format!("{}: cannot read the header: ", path.display());
            for (i, p) in problems.iter().enumerate() {
                let last = i + 1 == problems.len();
                let rest = if let Some((row, rest)) = number_after(p, "row ") {
                    if !(1..=bound).contains(&row) {
                        return Err(format!("row {row} of {bound}: {p:?}"));
                    }
                    // A cell's problem names its column; a row's problem follows `row N: `.
                    if rest.contains("value \"") && !rest.starts_with(", column \"") {
                        return Err(format!("a bad value naming no column: {p:?}"));
                    }
                    rest
                } else if let Some(rest) = p.strip_prefix("header") {
                    rest
                } else if let Some(rest) = p.strip_prefix(&header_prefix) {
                    rest
                } else if last && p.starts_with("... and ") {
                    continue;
                } else {
                    return Err(format!("a problem naming no row or header: {p:?}"));
                };
                clear(rest)?;
            }
            Ok(Verdict::Refused)
        }
    }
}

fn responses_sane(
    input: &[u8],
    instrument: &Instrument,
    table: &worklife_server::input::ResponseTable,
) -> Result<(), String> {
    if table.rows.len() != csv_records(input) {
        return Err(format!(
            "{} sheets from {} CSV records",
            table.rows.len(),
            csv_records(input)
        ));
    }
    let rs = &instrument.response_scale;
    for (r, row) in table.rows.iter().enumerate() {
        if row.passthrough.len() != table.passthrough_headers.len()
            || row.answers.len() != instrument.items.len()
        {
            return Err(format!("row {} has the wrong shape", r + 1));
        }
        if row.answers.iter().flatten().any(|v| !rs.contains(*v)) {
            return Err(format!("row {}: an answer off the scale", r + 1));
        }
    }
    for item in &table.missing_items {
        if instrument.item_index(item).is_none() {
            return Err(format!("missing item {item:?} is not an item"));
        }
    }
    // What `worklife score` does next must hold too.
    let mut aggregate = Aggregate::new(instrument);
    for row in &table.rows {
        let scores = instrument
            .score(&row.answers)
            .map_err(|e| format!("an accepted sheet does not score: {e}"))?;
        aggregate.add(instrument, &row.answers, &scores);
    }
    aggregate.scale_stats();
    aggregate.alpha();
    aggregate.item_stats(instrument);
    Ok(())
}

#[test]
fn responses_csv_survives_mutations_and_names_row_and_column() {
    let bases = responses_bases();
    let words = dictionary(Syntax::Csv);
    let dir = scratch("responses");
    let path = dir.join("responses.csv");
    for base in &bases[..1] {
        check_responses(&path, &base.instrument, &base.csv).unwrap();
        let t = read_responses(&path, &base.instrument).unwrap();
        assert_eq!(t.rows.len(), 6, "the six sheets of responses.csv");
    }
    fuzz(
        "input::read_responses",
        cases(),
        |rng| {
            let b = rng.next(bases.len());
            (b, mutate(rng, &bases[b].csv, Syntax::Csv, &words))
        },
        |(b, input)| check_responses(&path, &bases[*b].instrument, input),
        |(b, input)| format!("base {b}, b\"{}\"", shown(input)),
    );
    std::fs::remove_dir_all(dir).unwrap();
}

// ---------------------------------------------------------------- answer form fields

/// A field list as the form of the pulse instrument posts it, some items skipped.
fn form_fields(rng: &mut Rng, items: &[String]) -> Vec<(String, String)> {
    let mut fields = vec![("lang".to_string(), ["en", "de"][rng.next(2)].to_string())];
    for item in items {
        let value = match rng.next(7) {
            0 => String::new(),
            v => v.min(5).to_string(),
        };
        fields.push((item.clone(), value));
    }
    fields
}

const FORM_VALUES: &[&str] = &[
    "",
    " ",
    "4",
    " 2 ",
    "\t3\n",
    "-1",
    "0",
    "6",
    "+3",
    "4.5",
    "four",
    "1e3",
    "0x4",
    "99999999999",
    "2147483647",
    "-2147483648",
    "2147483648",
    "\u{663}",
    "\u{ff14}",
    "\u{feff}4",
    "4\u{200f}",
    "\0",
    "\u{1f600}",
    "lang",
];

const FORM_NAMES: &[&str] = &[
    "lang",
    "",
    "p_wl1",
    "p_wl1 ",
    "P_WL1",
    "p_nope",
    "answers[p_wl1]",
    "\u{202e}p_wl1",
    "\u{1f600}",
    "\0",
];

fn mutate_fields(rng: &mut Rng, fields: &mut Vec<(String, String)>) {
    for _ in 0..rng.next(6) {
        let n = fields.len();
        let f = rng.next(n);
        match rng.next(8) {
            0 if n > 0 => {
                fields.remove(f);
            }
            1 if n > 0 => {
                let copy = fields[f].clone();
                fields.insert(rng.next(n + 1), copy);
            }
            2 if n > 0 => {
                let g = rng.next(n);
                fields.swap(f, g);
            }
            3 | 4 if n > 0 => fields[f].1 = FORM_VALUES[rng.next(FORM_VALUES.len())].into(),
            5 if n > 0 => fields[f].0 = FORM_NAMES[rng.next(FORM_NAMES.len())].into(),
            6 => fields.insert(
                rng.next(n + 1),
                (
                    FORM_NAMES[rng.next(FORM_NAMES.len())].into(),
                    FORM_VALUES[rng.next(FORM_VALUES.len())].into(),
                ),
            ),
            _ if n > 0 => {
                // A long value: thousands of digits or spaces.
                let unit = ["9", " ", "x"][rng.next(3)];
                fields[f].1 = unit.repeat(1 + rng.next(5000));
            }
            _ => {}
        }
    }
}

/// What `Posted::parse` must make of a field list, written out independently.
fn expected_posted(
    fields: &[(String, String)],
) -> (Option<String>, BTreeMap<String, Option<i32>>, bool) {
    let mut lang = None;
    let mut answers = BTreeMap::new();
    let mut malformed = false;
    for (name, value) in fields {
        if name == "lang" {
            lang = Some(value.clone());
            continue;
        }
        let v = value.trim();
        let answer = if v.is_empty() {
            None
        } else {
            match v.parse::<i32>() {
                Ok(x) => Some(x),
                Err(_) => {
                    malformed = true;
                    continue;
                }
            }
        };
        if answers.contains_key(name) {
            malformed = true;
        }
        answers.insert(name.clone(), answer);
    }
    (lang, answers, malformed)
}

#[test]
fn answer_form_fields_are_read_as_the_form_promises() {
    let pulse = builtin::load("worklife-pulse").unwrap().unwrap();
    let items: Vec<String> = pulse.items.iter().map(|i| i.id.clone()).collect();
    fuzz(
        "web::survey::Posted::parse",
        cases(),
        |rng| {
            let mut fields = form_fields(rng, &items);
            mutate_fields(rng, &mut fields);
            fields
        },
        |fields| {
            let posted = Posted::parse(fields.clone());
            let (lang, answers, malformed) = expected_posted(fields);
            if (posted.lang.as_ref(), &posted.answers, posted.malformed)
                != (lang.as_ref(), &answers, malformed)
            {
                return Err(format!(
                    "read as {:?} {:?} malformed={}, expected {lang:?} {answers:?} malformed={malformed}",
                    posted.lang, posted.answers, posted.malformed
                ));
            }
            Ok(if posted.malformed {
                Verdict::Refused
            } else {
                Verdict::Accepted
            })
        },
        |fields| format!("{fields:?}"),
    );
}

// ---------------------------------------------------------------- through the app

/// The respondent routes as `web::run` serves them: its middleware, the form and the API.
macro_rules! respondent_app {
    ($state:expr) => {
        app_test::init_service(
            App::new()
                .wrap(tracing_actix_web::TracingLogger::<
                    wl_web::spans::RedactedRootSpan,
                >::new())
                .wrap(actix_web::middleware::from_fn(wl_web::ops::record))
                .wrap(wl_web::headers::security(false))
                .app_data(web::Data::new($state))
                .configure(wl_web::survey::routes)
                .configure(wl_web::api::routes),
        )
        .await
    };
}

const FAR: &str = "2099-12-31";

/// A workspace with an open pulse wave for `people` people; their tokens.
fn open_pulse(backend: Backend, people: usize) -> (Workspace, Vec<String>) {
    let ws = Workspace::new(backend);
    let mut roster = String::from("email,unit,tenure\n");
    for i in 0..people {
        let tenure = ["<1y", "1-5y", "5y+"][i % 3];
        roster.push_str(&format!("p{i}@example.org,Acme/Team {},{tenure}\n", i % 4));
    }
    ws.ok(&["roster", "import", &ws.write("roster.csv", &roster)]);
    let tokens = open_wave(&ws, "Q-fuzz", "worklife-pulse", "2026-01-01", FAR);
    assert_eq!(tokens.len(), people);
    (ws, tokens)
}

/// The links of a wave: a stored sheet uses one up, so unused ones are handed out until
/// they run out, and some cases get a used or an unknown one on purpose.
struct Links {
    fresh: Vec<String>,
    used: Vec<String>,
}

impl Links {
    fn new(tokens: Vec<String>) -> Links {
        Links {
            fresh: tokens,
            used: Vec::new(),
        }
    }

    /// A link for a body; an unmutated body (which would be stored and use up a fresh
    /// link) gets a fresh one only now and then, so that fresh links last the whole run.
    fn pick(&self, rng: &mut Rng, unmutated: bool) -> String {
        let unknown = "not-a-real-token-0123456789abcdef".to_string();
        let used = (!self.used.is_empty()).then(|| self.used[rng.next(self.used.len())].clone());
        match rng.next(8) {
            0 => unknown,
            1 if used.is_some() => used.unwrap_or(unknown),
            _ if unmutated && rng.next(20) != 0 && used.is_some() => used.unwrap_or(unknown),
            _ if !self.fresh.is_empty() => self.fresh[rng.next(self.fresh.len())].clone(),
            _ => used.unwrap_or(unknown),
        }
    }

    fn stored(&mut self, token: &str) {
        if let Some(i) = self.fresh.iter().position(|t| t == token) {
            self.used.push(self.fresh.swap_remove(i));
        }
    }
}

/// Where the link goes in a JSON body.
const TOKEN_HOLE: &str = "TOKEN-HOLE";

fn fill_hole(body: &[u8], token: &str) -> Vec<u8> {
    let hole = TOKEN_HOLE.as_bytes();
    match body.windows(hole.len()).position(|w| w == hole) {
        Some(at) => [&body[..at], token.as_bytes(), &body[at + hole.len()..]].concat(),
        None => body.to_vec(),
    }
}

/// A real JSON submission: pretty-printed (so that line mutations duplicate and drop keys)
/// or on one line, every item or only some answered.
fn json_body(rng: &mut Rng, token: &str, items: &[String]) -> Vec<u8> {
    let answered = match rng.next(3) {
        0 => rng.next(items.len() + 1),
        _ => items.len(),
    };
    let pretty = rng.next(4) != 0;
    let answers: Vec<String> = items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let v = if i < answered {
                (1 + rng.next(5)).to_string()
            } else {
                "null".to_string()
            };
            format!("\"{item}\": {v}")
        })
        .collect();
    if pretty {
        format!(
            "{{\n  \"token\": \"{token}\",\n  \"answers\": {{\n    {}\n  }}\n}}\n",
            answers.join(",\n    ")
        )
    } else {
        format!(
            "{{\"token\":\"{token}\",\"answers\":{{{}}}}}",
            answers.join(",")
        )
    }
    .into_bytes()
}

/// What a 4xx of the answer API must say: a JSON `error` naming what it is about.
fn check_api_error(status: StatusCode, body: &[u8], request: &[u8]) -> Result<(), String> {
    let json: serde_json::Value = serde_json::from_slice(body)
        .map_err(|e| format!("{status}: the body is not JSON ({e}): {}", shown(body)))?;
    let Some(error) = json.get("error").and_then(serde_json::Value::as_str) else {
        return Err(format!("{status}: no `error` string in {json}"));
    };
    clear(error)?;
    if let Some((_, at)) = error.split_once("(line ") {
        let line: usize = at
            .split_once(',')
            .and_then(|(l, _)| l.parse().ok())
            .unwrap_or_default();
        let lines = request.iter().filter(|&&b| b == b'\n').count() + 1;
        if !(1..=lines).contains(&line) {
            return Err(format!("line {line} of a {lines}-line body: {error:?}"));
        }
    }
    if status == StatusCode::BAD_REQUEST {
        // The place: a line and column of the body, an item, or the answers as a whole.
        let names_place = error.contains("(line ") && error.contains(", column ")
            || error.contains("item \"")
            || error.starts_with("answers")
            || error == "no question was answered";
        if !names_place {
            return Err(format!("a 400 naming no place: {error:?}"));
        }
    }
    Ok(())
}

/// Enough links that unused ones last all 10,000 cases (about one in 60 is stored).
const JSON_LINKS: usize = 300;

async fn answer_json_fuzz(backend: Backend, cases: usize) {
    let (ws, tokens) = open_pulse(backend, JSON_LINKS);
    let pulse = builtin::load("worklife-pulse").unwrap().unwrap();
    let items: Vec<String> = pulse.items.iter().map(|i| i.id.clone()).collect();
    let state = AppState::new(DbPool::connect(&ws.db.url, 4).unwrap(), settings(&ws)).unwrap();
    let app = respondent_app!(state);
    let mut links = Links::new(tokens);
    let words = dictionary(Syntax::Json);
    let started = Instant::now();
    let mut by_status: BTreeMap<u16, usize> = BTreeMap::new();
    let first = first_seed();
    for case in 0..cases {
        let seed = first.wrapping_add(case as u64);
        let mut rng = case_rng(seed);
        // The link goes in after the mutations, which decide which link it gets.
        let base = json_body(&mut rng, TOKEN_HOLE, &items);
        let mutated = mutate(&mut rng, &base, Syntax::Json, &words);
        let token = links.pick(&mut rng, mutated == base);
        let body = fill_hole(&mutated, &token);
        let content_type = ["application/json", "text/plain", ""][rng.next(3)];
        let mut request = app_test::TestRequest::post()
            .uri("/api/v1/responses")
            .set_payload(body.clone());
        if !content_type.is_empty() {
            request = request.insert_header(("content-type", content_type));
        }
        let response = app_test::call_service(&app, request.to_request()).await;
        let status = response.status();
        let reply = app_test::read_body(response).await;
        *by_status.entry(status.as_u16()).or_default() += 1;
        let verdict = if status.is_server_error() {
            Err(format!("{status}"))
        } else if status.is_client_error() {
            check_api_error(status, &reply, &body)
        } else if status == StatusCode::CREATED {
            links.stored(&token);
            let json: serde_json::Value = serde_json::from_slice(&reply).unwrap_or_default();
            if json["status"] == "received" && json["scores"].is_object() {
                Ok(())
            } else {
                Err(format!("201 with {json}"))
            }
        } else {
            Err(format!("unexpected status {status}"))
        };
        if let Err(e) = verdict {
            panic!(
                "{backend:?} seed {seed}: {e}\n    reply: {}\n    body: b\"{}\"",
                shown(&reply),
                shown(&body)
            );
        }
    }
    eprintln!(
        "fuzz_inputs: POST /api/v1/responses on {backend:?}: {cases} cases in {:.2?}, by \
         status {by_status:?}, {} of {JSON_LINKS} links left unused",
        started.elapsed(),
        links.fresh.len()
    );
}

#[actix_web::test]
async fn answer_json_through_the_app_never_fails_the_server_and_names_the_place() {
    // All cases on each backend: every request that gets past the body asks the database.
    for backend in backends() {
        answer_json_fuzz(backend, cases()).await;
    }
}

/// Whether a 400 page of the form says what was wrong with the answers.
fn form_refusal(page: &[u8]) -> bool {
    let text = worklife_tests::unescape(&String::from_utf8_lossy(page));
    wl_web::i18n::UI_LANGUAGES.iter().any(|lang| {
        let ui = wl_web::i18n::ui(lang);
        [ui.error_invalid, ui.error_nothing, ui.bad_request_body]
            .iter()
            .any(|m| text.contains(m))
    })
}

/// Form bodies through the app are fewer (`Posted::parse` gets the full number above): a
/// refused sheet renders the whole form again, and a stored one uses up a link.
fn form_body_cases() -> usize {
    cases() / 5
}

#[actix_web::test]
async fn answer_form_bodies_through_the_app_never_fail_the_server() {
    let (ws, tokens) = open_pulse(Backend::Sqlite, 150);
    let pulse = builtin::load("worklife-pulse").unwrap().unwrap();
    let items: Vec<String> = pulse.items.iter().map(|i| i.id.clone()).collect();
    let state = AppState::new(DbPool::connect(&ws.db.url, 4).unwrap(), settings(&ws)).unwrap();
    let app = respondent_app!(state);
    let mut links = Links::new(tokens);
    let words = dictionary(Syntax::Form);
    let started = Instant::now();
    let mut by_status: BTreeMap<u16, usize> = BTreeMap::new();
    let first = first_seed();
    let cases = form_body_cases();
    for case in 0..cases {
        let seed = first.wrapping_add(case as u64);
        let mut rng = case_rng(seed);
        let fields = form_fields(&mut rng, &items);
        let base: Vec<u8> = fields
            .iter()
            .map(|(k, v)| format!("{}={}", wl_web::enc(k), wl_web::enc(v)))
            .collect::<Vec<_>>()
            .join("&")
            .into_bytes();
        let body = mutate(&mut rng, &base, Syntax::Form, &words);
        let token = links.pick(&mut rng, body == base);
        let request = app_test::TestRequest::post()
            .uri(&format!("/s/{token}"))
            .insert_header(("content-type", "application/x-www-form-urlencoded"))
            .set_payload(body.clone())
            .to_request();
        let response = app_test::call_service(&app, request).await;
        let status = response.status();
        let reply = app_test::read_body(response).await;
        *by_status.entry(status.as_u16()).or_default() += 1;
        if status == StatusCode::OK {
            links.stored(&token);
        }
        let allowed = [200, 400, 404, 410, 413].contains(&status.as_u16());
        // A refusal says why, in one of the respondent's languages.
        let said = status != StatusCode::BAD_REQUEST || form_refusal(&reply);
        assert!(
            allowed && said && !reply.is_empty(),
            "seed {seed}: {status}\n    reply: {}\n    body: b\"{}\"",
            String::from_utf8_lossy(&reply),
            shown(&body)
        );
    }
    eprintln!(
        "fuzz_inputs: POST /s/{{token}} form bodies: {cases} cases in {:.2?}, by status \
         {by_status:?}, {} of 150 links left unused",
        started.elapsed(),
        links.fresh.len()
    );
}

// ---------------------------------------------------------------- configuration file

/// Configurations: the example with every setting, and one with the optional ones set.
fn config_bases() -> Vec<Vec<u8>> {
    let example = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy/worklife.example.toml"),
    )
    .unwrap();
    let full = br#"database_url = "postgres://worklife@db.internal:5432/worklife"
pool_size = 16
respondent_pool_size = 4
bind = "0.0.0.0:8080"
metrics_bind = ""
base_url = "https://survey.example.org"
outbox_dir = "/var/lib/worklife/outbox"
mail_from = "Worklife survey <survey@example.org>"
organisation = "Acme GmbH"
log_format = "json"
shutdown_timeout_secs = 45
trusted_proxies = ["10.0.0.5", "::1"]

[support]
eap_url = "https://eap.example.org"
eap_phone = "+49 30 555 0199"
crisis = "Call 112."

[login]
per_client_per_minute = 5
global_per_second = 0
queue = 4

[mail]
transport = "file"
host = "smtp.example.org"
port = 465
tls = "implicit"
username = "worklife"
from = "HR <hr@example.org>"
reply_to = "hr@example.org"
connections = 2
batch_size = 50
lease_secs = 60
retry_base_secs = 10
retry_cap_secs = 600
max_attempts = 3
worker = false
poll_ms = 500
tick_ms = 1000
reminders = "25%,75%,1d"
"#;
    vec![example, full.to_vec()]
}

/// Reads a configuration file as `Settings::load` does (defaults, then the file), without
/// the `WORKLIFE_*` environment, which the test process does not control.
fn load_config(path: &Path) -> anyhow::Result<Settings> {
    Settings::from_file(path)
}

fn check_config(path: &Path, outbox: &Path, input: &[u8]) -> Result<Verdict, String> {
    std::fs::write(path, input).unwrap();
    match load_config(path) {
        Ok(settings) => config_sane(settings, outbox).map(|()| Verdict::Accepted),
        Err(e) => {
            let message = e.to_string();
            clear(&message)?;
            let text = unquoted(&message);
            // A key (`for key "default.mail.port"`) or a line of the file.
            let names_place = message.contains(" for key \"")
                || text.contains("line ") && text.contains(", column ")
                || text.contains(": line ") && text.ends_with(" is not UTF-8 text")
                || message.contains(": unknown setting");
            if names_place {
                Ok(Verdict::Refused)
            } else {
                Err(format!(
                    "a configuration error naming no place: {message:?}"
                ))
            }
        }
    }
}

/// An accepted configuration goes through what the service checks when it starts: the
/// trusted proxies, single sign-on and password sign-in (`web::access::Access::new`), the mailer's addresses and transport
/// (`Mailer::new`, with the outbox moved to a scratch folder and no CA file) and the
/// default reminder plan, each refusal naming its setting.
fn config_sane(mut settings: Settings, outbox: &Path) -> Result<(), String> {
    if let Err(e) = wl_web::access::Access::new(&settings) {
        let message = e.to_string();
        clear(&message)?;
        // Trusted proxies, single sign-on and password sign-in are checked at start.
        let named = ["trusted_proxies: ", "oidc.", "auth.password "]
            .iter()
            .any(|s| message.starts_with(s));
        if !named {
            return Err(format!("a start-up refusal naming no setting: {message:?}"));
        }
    }
    if let Err(e) = worklife_server::mail::schedule::parse_reminders(&settings.mail.reminders) {
        let message = e.to_string();
        clear(&message)?;
        if !message.contains("reminders") {
            return Err(format!("a reminder refusal naming no setting: {message:?}"));
        }
    }
    // SMTP transports start a connection pool thread each: the file transport only.
    if settings.mail.transport != "smtp" {
        settings.outbox_dir = outbox.to_path_buf();
        settings.mail.ca_file = None;
        if let Err(e) = worklife_server::mail::Mailer::new(&settings) {
            let message = format!("{e:#}");
            clear(&message)?;
            let named = [
                "mail_from ",
                "mail.from ",
                "mail.reply_to ",
                "mail.transport ",
            ]
            .iter()
            .any(|s| message.starts_with(s));
            if !named {
                return Err(format!("a mail refusal naming no setting: {message:?}"));
            }
        }
    }
    Ok(())
}

#[test]
fn configuration_file_survives_mutations_and_names_the_key() {
    let bases = config_bases();
    let words = dictionary(Syntax::Toml);
    let dir = scratch("config");
    let path = dir.join("worklife.toml");
    let outbox = dir.join("outbox");
    for base in &bases {
        check_config(&path, &outbox, base).unwrap();
        load_config(&path).unwrap();
    }
    fuzz(
        "configuration (Settings::from_file)",
        cases(),
        |rng| {
            let base = &bases[rng.next(bases.len())];
            mutate(rng, base, Syntax::Toml, &words)
        },
        |input| check_config(&path, &outbox, input),
        |input| format!("b\"{}\"", shown(input)),
    );
    std::fs::remove_dir_all(dir).unwrap();
}

// ---------------------------------------------------------------- findings

/// A roster with a bad email on the third line, with `ending` after every line.
fn roster_ending_with(ending: &str) -> Vec<u8> {
    [
        "email,unit",
        "ann@example.org,Acme",
        "not-an-email,Acme",
        "",
    ]
    .join(ending)
    .into_bytes()
}

#[test]
fn roster_lines_are_numbered_as_shown_with_cr_line_ends() {
    for ending in ["\r\n", "\r"] {
        match roster::parse(&roster_ending_with(ending)) {
            Err(AppError::Validation(problems)) => assert_eq!(
                problems,
                ["line 3: \"not-an-email\" is not a valid email address"],
                "line ends {ending:?}"
            ),
            other => panic!("refused expected, got {other:?}"),
        }
    }
}

#[test]
fn roster_header_problems_name_the_header_line() {
    match roster::parse(b"\n\nemail,email\nann@example.org,Acme\n") {
        Err(AppError::Validation(problems)) => {
            assert!(
                problems.iter().all(|p| p.starts_with("line 3: ")),
                "{problems:?}"
            )
        }
        other => panic!("refused expected, got {other:?}"),
    }
}

/// `input` as a configuration file read as `Settings::load` reads it.
fn config_from(name: &str, input: &[u8]) -> anyhow::Result<Settings> {
    let dir = scratch(name);
    let path = dir.join("worklife.toml");
    std::fs::write(&path, input).unwrap();
    let settings = load_config(&path);
    std::fs::remove_dir_all(dir).unwrap();
    settings
}

#[test]
fn config_not_in_utf8_is_refused_with_the_line() {
    let e = config_from(
        "finding-utf8",
        b"pool_size = 8\norganisation = \"Acme \xff\"\n",
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("line 2") || e.contains("organisation"), "{e}");
}

#[test]
fn config_misspelled_key_is_refused_naming_it() {
    match config_from("finding-typo", b"pool_sise = 3\n") {
        Err(e) => assert!(e.to_string().contains("pool_sise"), "{e}"),
        Ok(settings) => panic!("accepted, with pool_size left at {}", settings.pool_size),
    }
}

#[actix_web::test]
async fn form_refusal_names_the_question() {
    let (ws, tokens) = open_pulse(Backend::Sqlite, 1);
    let pulse = builtin::load("worklife-pulse").unwrap().unwrap();
    let state = AppState::new(DbPool::connect(&ws.db.url, 2).unwrap(), settings(&ws)).unwrap();
    let app = respondent_app!(state);
    let body: Vec<String> = pulse
        .items
        .iter()
        .map(|i| {
            let value = if i.id == "p_wl1" { "four" } else { "3" };
            format!("{}={value}", i.id)
        })
        .collect();
    let request = app_test::TestRequest::post()
        .uri(&format!("/s/{}", tokens[0]))
        .insert_header(("content-type", "application/x-www-form-urlencoded"))
        .set_payload(body.join("&"))
        .to_request();
    let response = app_test::call_service(&app, request).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let page = String::from_utf8_lossy(&app_test::read_body(response).await).into_owned();
    let errors = page
        .split_once("class=\"errors\"")
        .and_then(|(_, rest)| rest.split_once("</div>"))
        .map(|(inside, _)| worklife_tests::unescape(inside))
        .unwrap_or_default();
    let question = &pulse.items[pulse.item_index("p_wl1").unwrap()].text;
    assert!(
        errors.contains(question.as_str()),
        "the errors say: {errors}"
    );
}
