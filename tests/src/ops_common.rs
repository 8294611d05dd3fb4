//! Shared by the operations tests: the real `worklife serve` as a child process, a wave of
//! many people, JSON submissions, and counts read straight from the database.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

pub use crate::{client, Served};
use crate::{token_of, Workspace};
use diesel::sql_types::BigInt;
use diesel::{QueryableByName, RunQueryDsl};
use worklife_server::db_run;

/// Imports `people` people over five teams, opens a pulse wave (k = 3); returns its tokens.
pub fn wave_of(ws: &Workspace, people: usize) -> Vec<String> {
    let mut roster = String::from("email,unit\n");
    for i in 0..people {
        roster.push_str(&format!("p{i}@example.org,Acme/Team{}\n", i % 5));
    }
    ws.ok(&["roster", "import", &ws.write("roster.csv", &roster)]);
    ws.ok(&[
        "wave",
        "create",
        "Q4",
        "--instrument",
        "worklife-pulse",
        "--opens",
        "2026-01-01",
        "--closes",
        "2099-12-31",
        "--min-group-size",
        "3",
    ]);
    ws.ok(&["wave", "open", "Q4"]);
    let tokens: Vec<String> = ws.links().iter().map(|l| token_of(l)).collect();
    assert_eq!(tokens.len(), people);
    tokens
}

/// The pulse instrument's item ids.
pub fn pulse_items() -> Vec<String> {
    survey_engine::instrument::builtin::load("worklife-pulse")
        .unwrap()
        .unwrap()
        .items
        .iter()
        .map(|i| i.id.clone())
        .collect()
}

/// A JSON submission answering every item with 3.
pub fn submission(token: &str, items: &[String]) -> String {
    let answers: serde_json::Map<String, serde_json::Value> = items
        .iter()
        .map(|i| (i.clone(), serde_json::json!(3)))
        .collect();
    serde_json::json!({ "token": token, "answers": answers }).to_string()
}

/// POSTs a submission; the status, or an error when no answer came (refused, reset).
pub fn submit(agent: &ureq::Agent, address: &str, body: &str) -> Result<u16, ureq::Error> {
    agent
        .post(format!("{address}/api/v1/responses"))
        .content_type("application/json")
        .send(body)
        .map(|r| r.status().as_u16())
}

pub fn get(address: &str, path: &str) -> (u16, String) {
    let mut r = client().get(format!("{address}{path}")).call().unwrap();
    (r.status().as_u16(), r.body_mut().read_to_string().unwrap())
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// `SELECT COUNT(*) ...` on the workspace's database, e.g. `count(ws, "responses", "")`.
pub fn count(ws: &Workspace, table: &str, filter: &str) -> i64 {
    let pool = ws.pool();
    let mut conn = pool.get().unwrap();
    let sql = format!("SELECT COUNT(*) AS n FROM {table} {filter}");
    let rows: Vec<Count> = db_run!(conn, |c| diesel::sql_query(&sql).load(c)).unwrap();
    rows[0].n
}
