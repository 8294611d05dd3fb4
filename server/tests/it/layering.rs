//! The server's layers, read from its source (docs/architecture.md): the domain never names
//! `web`, `commands` or `app` (nor actix-web), `web` and `commands` never name each other,
//! and no two source files name each other. A path written inline (`crate::web::x()`) counts
//! like a `use` line.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every `.rs` file under `dir`, as a path relative to `server/src` with `/` separators.
fn files(dir: &Path, out: &mut Vec<String>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let rel = path.strip_prefix(src()).unwrap();
            out.push(rel.to_string_lossy().replace('\\', "/"));
        }
    }
}

/// The module path of a file: `survey/waves.rs` -> `survey::waves`, `web/mod.rs` -> `web`.
fn module_of(file: &str) -> String {
    let m = file.trim_end_matches(".rs").trim_end_matches("/mod");
    m.replace('/', "::")
}

/// The code of a file without comments and without its `#[cfg(test)]` module, which may
/// reach across layers to set a scene.
fn code(file: &str) -> String {
    let text = std::fs::read_to_string(src().join(file)).unwrap();
    let text = match text.find("#[cfg(test)]\nmod tests") {
        Some(i) => &text[..i],
        None => &text[..],
    };
    text.lines()
        .map(|l| l.split("//").next().unwrap_or_default())
        .collect::<Vec<_>>()
        .join("\n")
}

/// The crate paths a file names, with `use` groups spread out: `crate::a::{b, c::d}` gives
/// `a::b` and `a::c::d`, and `super::x` inside `web/access.rs` gives `web::x`.
fn named_paths(file: &str) -> BTreeSet<String> {
    let module = module_of(file);
    // `super` of `a/mod.rs` (module `a`) and of `a/b.rs` (module `a::b`) differ.
    let parent = if file.ends_with("mod.rs") || !file.contains('/') {
        module
            .rsplit_once("::")
            .map_or(String::new(), |(p, _)| p.to_string())
    } else {
        module
            .rsplit_once("::")
            .map_or(module.clone(), |(p, _)| p.to_string())
    };
    let code = code(file);
    let mut out = BTreeSet::new();
    for (prefix, base) in [("crate::", String::new()), ("super::", parent)] {
        for (i, _) in code.match_indices(prefix) {
            if code[..i].ends_with(|c: char| c.is_alphanumeric() || c == '_' || c == ':') {
                continue;
            }
            let mut rest = code[i + prefix.len()..].chars().peekable();
            for path in use_tree(&mut rest) {
                out.insert(match (base.is_empty(), path.is_empty()) {
                    (true, _) => path,
                    (false, true) => base.clone(),
                    (false, false) => format!("{base}::{path}"),
                });
            }
        }
    }
    out
}

/// The paths of a use tree such as `a::b::{c, d::{e, f}}` (or of a plain path `a::b::c`);
/// a renaming (`x as y`) keeps the path.
fn use_tree(s: &mut std::iter::Peekable<std::str::Chars>) -> Vec<String> {
    let mut head = String::new();
    loop {
        if head.is_empty() || head.ends_with("::") {
            while s.peek().is_some_and(|c| c.is_whitespace()) {
                s.next();
            }
        }
        match s.peek() {
            Some('{') => {
                s.next();
                let head = head.trim_end_matches(':');
                let mut paths = Vec::new();
                loop {
                    for p in use_tree(s) {
                        let joined = match (head.is_empty(), p.is_empty() || p == "self") {
                            (_, true) => head.to_string(),
                            (true, false) => p,
                            (false, false) => format!("{head}::{p}"),
                        };
                        paths.push(joined);
                    }
                    // Past a renaming to the next item of the group, or its end.
                    match s.find(|c| *c == ',' || *c == '}') {
                        Some(',') => continue,
                        _ => break,
                    }
                }
                return paths;
            }
            Some(c) if c.is_alphanumeric() || *c == '_' || *c == ':' => {
                head.push(*c);
                s.next();
            }
            _ => return vec![head.trim_end_matches(':').to_string()],
        }
    }
}

/// The file a path lands in: the longest prefix of it that is a module of this crate.
fn file_of(path: &str, modules: &BTreeMap<String, String>) -> Option<String> {
    let parts: Vec<&str> = path.split("::").collect();
    (1..=parts.len())
        .rev()
        .find_map(|n| modules.get(&parts[..n].join("::")).cloned())
}

fn layer(file: &str) -> &'static str {
    match file.split('/').next().unwrap_or_default() {
        "web" => "web",
        "commands" => "commands",
        "app.rs" | "main.rs" | "lib.rs" => "root",
        // Process plumbing shared by `app` and `commands`: signals and the log format.
        "shutdown.rs" | "telemetry.rs" => "plumbing",
        _ => "domain",
    }
}

#[test]
fn layers_name_only_what_is_below_them() {
    let mut all = Vec::new();
    files(&src(), &mut all);
    let modules: BTreeMap<String, String> = all.iter().map(|f| (module_of(f), f.clone())).collect();
    let mut broken = Vec::new();
    let mut edges = BTreeSet::new();
    for file in &all {
        let from = layer(file);
        for path in named_paths(file) {
            let Some(target) = file_of(&path, &modules) else {
                continue;
            };
            if &target != file {
                edges.insert((file.clone(), target.clone()));
            }
            let to = layer(&target);
            let forbidden = matches!(
                (from, to),
                ("domain", "web" | "commands" | "root")
                    | ("web", "commands" | "root")
                    | ("commands", "web" | "root")
            );
            if forbidden {
                broken.push(format!("{file} ({from}) names crate::{path} ({to})"));
            }
        }
        if from == "domain" && code(file).contains("actix_web") {
            broken.push(format!("{file} (domain) names actix_web"));
        }
    }
    for (a, b) in &edges {
        // A folder's mod.rs and the files of that folder may name each other.
        let parent_child =
            |x: &str, y: &str| x.ends_with("mod.rs") && y.starts_with(x.trim_end_matches("mod.rs"));
        if a < b
            && edges.contains(&(b.clone(), a.clone()))
            && !parent_child(a, b)
            && !parent_child(b, a)
        {
            broken.push(format!("{a} and {b} name each other"));
        }
    }
    assert!(broken.is_empty(), "layering broken:\n{}", broken.join("\n"));
}

#[test]
fn the_checker_sees_a_web_import_in_the_domain() {
    let mut all = Vec::new();
    files(&src(), &mut all);
    assert!(all.len() > 40, "read {} files", all.len());
    // What the test above reads, on a file known to name both layers below it.
    let app = named_paths("app.rs");
    assert!(
        app.contains("web") || app.iter().any(|p| p.starts_with("web::")),
        "{app:?}"
    );
    assert!(app.iter().any(|p| p.starts_with("commands")), "{app:?}");
    // `super::` is resolved against the file's own folder, and `use` groups are spread out.
    let access = named_paths("web/access.rs");
    assert!(access.contains("web::AppState"), "{access:?}");
    assert!(access.contains("auth::session"), "{access:?}");
    let mut tree = "a::{b, c::{d, self}, e as f}; x".chars().peekable();
    assert_eq!(use_tree(&mut tree), ["a::b", "a::c::d", "a::c", "a::e"]);
}

/// Every `.rs` file of both crates' sources, with its code (comments and unit tests left out).
fn all_sources() -> Vec<(String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut out = Vec::new();
    for crate_src in ["server/src", "survey-engine/src"] {
        let dir = root.join(crate_src);
        let mut stack = vec![dir];
        while let Some(d) = stack.pop() {
            for entry in std::fs::read_dir(&d).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    stack.push(path);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    let text = std::fs::read_to_string(&path).unwrap();
                    let text = text
                        .split("#[cfg(test)]\nmod tests")
                        .next()
                        .unwrap_or_default();
                    let code: Vec<&str> = text
                        .lines()
                        .map(|l| l.split("//").next().unwrap_or_default())
                        .collect();
                    let name = path
                        .strip_prefix(&root)
                        .unwrap()
                        .to_string_lossy()
                        .into_owned();
                    out.push((name.replace('\\', "/"), code.join("\n")));
                }
            }
        }
    }
    out
}

/// Where `needle` is written in code, by file.
fn written_in(needle: &str) -> Vec<String> {
    let mut files: Vec<String> = all_sources()
        .into_iter()
        .filter(|(_, code)| code.contains(needle))
        .map(|(name, _)| name)
        .collect();
    files.sort();
    files
}

#[test]
fn one_csv_writer_with_one_formula_guard_and_one_place_for_security_headers() {
    // Every CSV is written through survey_engine::csv_out, which guards every cell.
    let writers = written_in("csv::Writer");
    assert_eq!(
        writers,
        ["survey-engine/src/csv_out.rs"],
        "CSV writers: {writers:?}"
    );
    let guards = written_in("starts_with(['='");
    assert_eq!(
        guards,
        ["survey-engine/src/csv_out.rs"],
        "formula guards: {guards:?}"
    );
    // Security headers are set by the middleware in web/headers.rs and nowhere else.
    for header in [
        "X_FRAME_OPTIONS",
        "CONTENT_SECURITY_POLICY",
        "REFERRER_POLICY",
    ] {
        assert_eq!(
            written_in(header),
            ["server/src/web/headers.rs"],
            "{header}"
        );
    }
}
