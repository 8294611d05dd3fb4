//! Both backends' migrations apply, revert and apply again, and keep the same version names.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use worklife_server::db::DbPool;
use worklife_tests::{backends, fresh_db};

fn versions(dir: &str) -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../migrations")
        .join(dir);
    let mut v: Vec<String> = std::fs::read_dir(root)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn both_backends_have_the_same_migration_versions() {
    let sqlite = versions("sqlite");
    assert!(!sqlite.is_empty());
    assert_eq!(sqlite, versions("postgres"));
}

#[test]
fn migrations_apply_revert_and_apply_again() {
    for backend in backends() {
        let db = fresh_db(backend);
        let pool = DbPool::connect(&db.url, 1).unwrap();
        assert!(
            pool.migrations_current().unwrap(),
            "{backend:?}: fresh_db migrates"
        );
        pool.revert_all().unwrap();
        assert!(!pool.migrations_current().unwrap());
        assert_eq!(pool.migrate().unwrap(), versions("sqlite").len());
        assert!(pool.migrations_current().unwrap());
    }
}
