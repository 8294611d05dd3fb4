//! Shared by the operations tests: the real `worklife serve` as a child process, a wave of
//! many people, JSON submissions, and counts read straight from the database.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::process::{Child, ChildStdout, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

pub use crate::client;
use crate::{token_of, worklife_bin, Workspace};
use diesel::sql_types::BigInt;
use diesel::{QueryableByName, RunQueryDsl};
use worklife_server::db_run;

/// `worklife serve` running on a free port against a workspace's database.
pub struct Served {
    pub child: Child,
    pub address: String,
    _stdout: BufReader<ChildStdout>,
}

impl Served {
    pub fn start(ws: &Workspace) -> Served {
        Served::start_with(ws, &[])
    }

    pub fn start_with(ws: &Workspace, env: &[(&str, &str)]) -> Served {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(ws.dir.path().join("serve.log"))
            .unwrap();
        let mut command = Command::new(worklife_bin());
        command
            .args(["serve", "--bind", "127.0.0.1:0"])
            .current_dir(ws.dir.path())
            .env("WORKLIFE_DATABASE_URL", &ws.db.url)
            .env("WORKLIFE_OUTBOX_DIR", ws.outbox())
            .env("WORKLIFE_BASE_URL", "http://127.0.0.1:9")
            .env_remove("WORKLIFE_CONFIG")
            .stdout(Stdio::piped())
            .stderr(log);
        for (k, v) in env {
            command.env(k, v);
        }
        let mut child = command.spawn().expect("start worklife serve");
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        let address = line
            .trim()
            .strip_prefix("worklife listening on ")
            .unwrap_or_else(|| panic!("unexpected first line: {line:?}"))
            .to_string();
        Served {
            child,
            address,
            _stdout: stdout,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends a signal by name (`TERM`, `INT`) with the `kill` command.
    pub fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .args([format!("-{name}"), self.pid().to_string()])
            .status()
            .unwrap();
        assert!(status.success(), "kill -{name} failed");
    }

    /// The exit status, waiting at most `limit`.
    pub fn wait_for_exit(&mut self, limit: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().unwrap() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

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
