//! deploy/worklife.example.toml documents every setting, no more, and is a valid settings
//! file for the real binary.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::path::PathBuf;

use worklife_server::configuration::Settings;
use worklife_tests::{fresh_db, worklife_bin, Backend};

fn example() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../deploy/worklife.example.toml")
}

/// Dotted keys of a JSON object's leaves (`support.crisis`).
fn leaves(value: &serde_json::Value, prefix: &str, out: &mut BTreeSet<String>) {
    match value {
        serde_json::Value::Object(map) => {
            for (k, v) in map {
                leaves(v, &format!("{prefix}{k}."), out);
            }
        }
        _ => {
            out.insert(prefix.trim_end_matches('.').to_string());
        }
    }
}

fn toml_leaves(table: &toml::Table, prefix: &str, out: &mut BTreeSet<String>) {
    for (k, v) in table {
        match v {
            toml::Value::Table(t) => toml_leaves(t, &format!("{prefix}{k}."), out),
            _ => {
                out.insert(format!("{prefix}{k}"));
            }
        }
    }
}

#[test]
fn the_example_configuration_documents_every_setting_and_nothing_else() {
    let text = std::fs::read_to_string(example()).unwrap();
    // Optional settings are shown commented out (`# eap_url = "..."`): count them too.
    let uncommented: String = text
        .lines()
        .map(|l| match l.strip_prefix("# ") {
            Some(rest)
                if rest
                    .split_once(" = ")
                    .is_some_and(|(k, _)| !k.contains(' ')) =>
            {
                rest
            }
            _ => l,
        })
        .collect::<Vec<_>>()
        .join("\n");
    let mut documented = BTreeSet::new();
    toml_leaves(
        &uncommented.parse::<toml::Table>().unwrap(),
        "",
        &mut documented,
    );

    let mut settings = BTreeSet::new();
    leaves(
        &serde_json::to_value(Settings::default()).unwrap(),
        "",
        &mut settings,
    );
    assert_eq!(documented, settings);
}

#[test]
fn the_real_binary_reads_the_example_configuration() {
    let db = fresh_db(Backend::Sqlite);
    let out = std::process::Command::new(worklife_bin())
        .arg("migrate")
        .env("WORKLIFE_CONFIG", example())
        .env("WORKLIFE_DATABASE_URL", &db.url)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "0 migration(s) applied; the database is current\n"
    );
}
