//! Test harness for the end-to-end tests: fresh databases on both backends, the real
//! `worklife` binary, and the real app served on a free port.
//!
//! PostgreSQL tests need `WORKLIFE_TEST_POSTGRES_URL` (an admin URL such as
//! `postgres://postgres@127.0.0.1:5432/test`). Without it they are skipped with a printed
//! reason, unless `WORKLIFE_REQUIRE_ALL=1`, which turns the skip into a failure.

#![allow(clippy::unwrap_used, clippy::expect_used)]

pub mod action_plan_common;
pub mod mail_common;
pub mod oidc;
pub mod ops_common;
pub mod reports_common;
pub mod smtp;
pub mod survey_common;

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};
use worklife_server::configuration::{Secret, Settings};
use worklife_server::db::DbPool;
use worklife_server::web::{self, AppState};

pub const POSTGRES_ENV: &str = "WORKLIFE_TEST_POSTGRES_URL";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Whether a missing real component must fail the test run.
pub fn require_all() -> bool {
    std::env::var("WORKLIFE_REQUIRE_ALL").is_ok_and(|v| v == "1")
}

/// The backends to test on: SQLite always, PostgreSQL when configured.
pub fn backends() -> Vec<Backend> {
    match std::env::var(POSTGRES_ENV) {
        Ok(url) if !url.is_empty() => vec![Backend::Sqlite, Backend::Postgres],
        _ if require_all() => {
            panic!("{POSTGRES_ENV} is not set and WORKLIFE_REQUIRE_ALL=1: PostgreSQL tests cannot be skipped")
        }
        _ => {
            eprintln!("skipping PostgreSQL: {POSTGRES_ENV} is not set");
            vec![Backend::Sqlite]
        }
    }
}

/// A fresh, migrated database, removed on drop.
pub struct TestDb {
    pub backend: Backend,
    pub url: String,
    pg_name: Option<String>,
    _dir: Option<tempfile::TempDir>,
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let (Some(name), Ok(admin)) = (&self.pg_name, std::env::var(POSTGRES_ENV)) {
            if let Ok(mut c) = PgConnection::establish(&admin) {
                let _ =
                    c.batch_execute(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"));
            }
        }
    }
}

fn replace_db_name(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (url, String::new()),
    };
    let base = match base.rfind('/') {
        Some(i) if base[..i].contains("://") && i > base.find("://").unwrap() + 2 => &base[..i],
        _ => base,
    };
    format!("{base}/{name}{query}")
}

/// The PostgreSQL template: migrated once per test process, then copied per test, which is
/// much faster than migrating every database.
fn pg_template(admin: &str) -> String {
    static TEMPLATE: OnceLock<String> = OnceLock::new();
    TEMPLATE
        .get_or_init(|| {
            let name = format!(
                "wl_tpl_{}_{}",
                std::process::id(),
                uuid::Uuid::new_v4().simple()
            );
            let mut c = PgConnection::establish(admin).expect("connect to PostgreSQL");
            sweep_stale_templates(&mut c, admin);
            c.batch_execute(&format!("CREATE DATABASE \"{name}\""))
                .unwrap();
            let pool = DbPool::connect(&replace_db_name(admin, &name), 1).unwrap();
            pool.migrate().unwrap();
            drop(pool);
            name
        })
        .clone()
}

/// Drops the templates of test processes that are gone (`wl_tpl_<pid>_<id>`, the pid no longer
/// running), so that they do not pile up run after run. A live process's template, and
/// whatever else is on the server, is left alone. Only on a server on this machine: the pids
/// are this machine's.
fn sweep_stale_templates(c: &mut PgConnection, admin: &str) {
    use diesel::RunQueryDsl;
    let host = admin
        .split_once("://")
        .map(|(_, rest)| rest.rsplit_once('@').map_or(rest, |(_, h)| h))
        .unwrap_or_default();
    if !["127.0.0.1", "localhost", "[::1]", "/"]
        .iter()
        .any(|h| host.starts_with(h))
    {
        return;
    }
    #[derive(diesel::QueryableByName)]
    struct Name {
        #[diesel(sql_type = diesel::sql_types::Text)]
        datname: String,
    }
    let names: Vec<Name> =
        diesel::sql_query("SELECT datname FROM pg_database WHERE datname LIKE 'wl\\_tpl\\_%'")
            .load(c)
            .unwrap_or_default();
    for Name { datname } in names {
        let pid = datname
            .split('_')
            .nth(2)
            .and_then(|p| p.parse::<u32>().ok());
        let alive = pid.is_some_and(|p| Path::new(&format!("/proc/{p}")).exists());
        if pid.is_some() && !alive {
            let _ = c.batch_execute(&format!(
                "DROP DATABASE IF EXISTS \"{datname}\" WITH (FORCE)"
            ));
        }
    }
}

pub fn fresh_db(backend: Backend) -> TestDb {
    fresh_db_named(backend, format!("wl_t_{}", uuid::Uuid::new_v4().simple()))
}

/// A fresh database named `name` on PostgreSQL (a file in a new temporary folder on SQLite).
fn fresh_db_named(backend: Backend, name: String) -> TestDb {
    match backend {
        Backend::Sqlite => {
            let dir = tempfile::Builder::new()
                .prefix(&format!("{name}_"))
                .tempdir()
                .unwrap();
            let url = dir
                .path()
                .join("worklife.db")
                .to_string_lossy()
                .into_owned();
            DbPool::connect(&url, 1).unwrap().migrate().unwrap();
            TestDb {
                backend,
                url,
                pg_name: None,
                _dir: Some(dir),
            }
        }
        Backend::Postgres => {
            let admin = std::env::var(POSTGRES_ENV).expect(POSTGRES_ENV);
            let template = pg_template(&admin);
            copy_pg_database(&admin, &template, &name);
            TestDb {
                backend,
                url: replace_db_name(&admin, &name),
                pg_name: Some(name),
                _dir: None,
            }
        }
    }
}

/// `CREATE DATABASE name TEMPLATE template`, one at a time (PostgreSQL refuses a second copy
/// of a template while the first is being made).
fn copy_pg_database(admin: &str, template: &str, name: &str) {
    static CREATE: Mutex<()> = Mutex::new(());
    let _one_at_a_time = CREATE.lock().unwrap_or_else(|e| e.into_inner());
    let mut c = PgConnection::establish(admin).unwrap();
    c.batch_execute(&format!(
        "CREATE DATABASE \"{name}\" TEMPLATE \"{template}\""
    ))
    .unwrap();
}

/// A workspace set up once per test process and backend (a roster, closed waves, users),
/// copied for every test that starts from it: copying a database takes milliseconds, where
/// setting one up through the real binary takes a second or more.
pub struct WorkspaceTemplate<T> {
    built: [OnceLock<(TestDb, tempfile::TempDir, T)>; 2],
}

impl<T: Clone> WorkspaceTemplate<T> {
    pub const fn new() -> Self {
        WorkspaceTemplate {
            built: [OnceLock::new(), OnceLock::new()],
        }
    }

    /// A copy of the workspace `setup` made (the first call per backend runs it), with what
    /// `setup` returned. The template's database is never served or written again: on
    /// PostgreSQL it is named like the migration template (`wl_tpl_<pid>_...`), so the next
    /// test run drops it once this process is gone.
    pub fn copy(&self, backend: Backend, setup: impl FnOnce(&Workspace) -> T) -> (Workspace, T) {
        let slot = match backend {
            Backend::Sqlite => 0,
            Backend::Postgres => 1,
        };
        let (db, dir, value) = self.built[slot].get_or_init(|| {
            let name = format!(
                "wl_tpl_{}_{}",
                std::process::id(),
                uuid::Uuid::new_v4().simple()
            );
            sweep_stale_template_folders();
            let ws = Workspace {
                db: fresh_db_named(backend, name),
                dir: tempfile::tempdir().unwrap(),
            };
            // Every pool `setup` opened is closed when it returns: a PostgreSQL template
            // must have no sessions, and a SQLite file must have its journal written back.
            let value = setup(&ws);
            let Workspace { db, dir } = ws;
            (db, dir, value)
        });
        let copy = Workspace {
            db: copy_db(db),
            dir: tempfile::tempdir().unwrap(),
        };
        copy_folder(dir.path(), copy.dir.path());
        (copy, value.clone())
    }
}

impl<T: Clone> Default for WorkspaceTemplate<T> {
    fn default() -> Self {
        Self::new()
    }
}

/// Removes the SQLite template folders (`wl_tpl_<pid>_...` in the temporary folder) of test
/// processes that are gone: a static is never dropped, so each process leaves its own behind.
fn sweep_stale_template_folders() {
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let pid = name
            .strip_prefix("wl_tpl_")
            .and_then(|rest| rest.split('_').next())
            .and_then(|p| p.parse::<u32>().ok());
        if pid.is_some_and(|p| !Path::new(&format!("/proc/{p}")).exists()) {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// A copy of `db` that the test owns.
fn copy_db(db: &TestDb) -> TestDb {
    match (&db.pg_name, db.backend) {
        (Some(template), Backend::Postgres) => {
            let admin = std::env::var(POSTGRES_ENV).expect(POSTGRES_ENV);
            let name = format!("wl_t_{}", uuid::Uuid::new_v4().simple());
            copy_pg_database(&admin, template, &name);
            TestDb {
                backend: Backend::Postgres,
                url: replace_db_name(&admin, &name),
                pg_name: Some(name),
                _dir: None,
            }
        }
        _ => {
            let dir = tempfile::tempdir().unwrap();
            let to = dir.path().join("worklife.db");
            std::fs::copy(&db.url, &to).unwrap();
            for journal in ["-wal", "-shm"] {
                let from = format!("{}{journal}", db.url);
                if Path::new(&from).exists() {
                    std::fs::copy(&from, format!("{}{journal}", to.display())).unwrap();
                }
            }
            TestDb {
                backend: Backend::Sqlite,
                url: to.to_string_lossy().into_owned(),
                pg_name: None,
                _dir: Some(dir),
            }
        }
    }
}

/// Copies the files under `from` into `to`, folders included.
fn copy_folder(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
            copy_folder(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// The `worklife` binary that cargo built beside the running test binary: the integration
/// tests of `worklife-server` live in `target/<profile>/deps/`, its binary in
/// `target/<profile>/`, and cargo builds a package's binaries before its integration tests
/// (what `CARGO_BIN_EXE_worklife` names, found at run time since this is a library).
pub fn worklife_bin() -> PathBuf {
    let exe = std::env::current_exe().expect("the test binary's path");
    let bin = exe
        .parent()
        .and_then(Path::parent)
        .map(|profile| profile.join(format!("worklife{}", std::env::consts::EXE_SUFFIX)))
        .expect("the test binary sits in target/<profile>/deps");
    assert!(
        bin.is_file(),
        "{} is missing: run the end-to-end tests with `cargo test -p worklife-server`",
        bin.display()
    );
    bin
}

/// An answer as a test looks at it: status, headers and the body as text.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Reply {
    pub fn from(mut r: ureq::http::Response<ureq::Body>) -> Reply {
        Reply {
            status: r.status().as_u16(),
            headers: r
                .headers()
                .iter()
                .map(|(k, v)| (k.as_str().to_string(), v.to_str().unwrap_or("").to_string()))
                .collect(),
            body: r
                .body_mut()
                .with_config()
                .limit(64 * 1024 * 1024)
                .read_to_string()
                .unwrap_or_default(),
        }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn content_type(&self) -> &str {
        self.header("content-type").unwrap_or_default()
    }

    /// The value a `Set-Cookie` gives `name`, and the whole header.
    pub fn cookie(&self, name: &str) -> Option<(String, String)> {
        self.headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case("set-cookie"))
            .find_map(|(_, v)| {
                let first = v.split(';').next()?;
                let (k, val) = first.split_once('=')?;
                (k == name).then(|| (val.to_string(), v.clone()))
            })
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    /// The body with HTML character references undone, for comparing with plain text.
    pub fn text(&self) -> String {
        unescape(&self.body)
    }
}

/// Text with HTML character references undone.
pub fn unescape(html: &str) -> String {
    html.replace("&quot;", "\"")
        .replace("&#34;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&lt;", "<")
        .replace("&#60;", "<")
        .replace("&gt;", ">")
        .replace("&#62;", ">")
        .replace("&amp;", "&")
        .replace("&#38;", "&")
}

/// The text of an HTML fragment: tags dropped, character references undone, trimmed.
pub fn html_text(html: &str) -> String {
    let mut text = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    unescape(text.trim())
}

/// An HTTP client that keeps statuses and redirects for the test to look at.
pub fn client() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .timeout_global(Some(std::time::Duration::from_secs(20)))
        .build()
        .into()
}

/// A working directory with its own outbox, and a database.
pub struct Workspace {
    pub db: TestDb,
    pub dir: tempfile::TempDir,
}

impl Workspace {
    pub fn new(backend: Backend) -> Workspace {
        Workspace {
            db: fresh_db(backend),
            dir: tempfile::tempdir().unwrap(),
        }
    }

    pub fn outbox(&self) -> PathBuf {
        self.dir.path().join("outbox")
    }

    /// The real binary, set up to run against this workspace's database and outbox.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(worklife_bin());
        command
            .args(args)
            .current_dir(self.dir.path())
            .env("WORKLIFE_DATABASE_URL", &self.db.url)
            .env("WORKLIFE_OUTBOX_DIR", self.outbox())
            .env("WORKLIFE_BASE_URL", "http://127.0.0.1:9")
            .env_remove("WORKLIFE_CONFIG");
        command
    }

    /// Runs the real binary against this workspace's database and outbox.
    pub fn worklife(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("run worklife")
    }

    /// Like [`Workspace::worklife`] with extra environment variables.
    pub fn worklife_env(&self, args: &[&str], env: &[(&str, String)]) -> Output {
        self.command(args)
            .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
            .output()
            .expect("run worklife")
    }

    /// Creates wave `name` of `instrument` with minimum group size `k`, open from 2020-01-01
    /// to 2099-01-01 (so it can be opened and answered now); not yet opened.
    pub fn create_wave(&self, name: &str, instrument: &str, k: &str) -> String {
        self.ok(&[
            "wave",
            "create",
            name,
            "--instrument",
            instrument,
            "--opens",
            "2020-01-01",
            "--closes",
            "2099-01-01",
            "--min-group-size",
            k,
        ])
    }

    /// Like [`Workspace::worklife`], asserting success; returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let o = self.worklife(args);
        assert!(
            o.status.success(),
            "worklife {args:?} failed: {}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
        String::from_utf8_lossy(&o.stdout).into_owned()
    }

    pub fn write(&self, name: &str, contents: &str) -> String {
        let path = self.dir.path().join(name);
        std::fs::write(&path, contents).unwrap();
        path.to_string_lossy().into_owned()
    }

    /// Settings pointing at this workspace.
    pub fn settings(&self) -> Settings {
        let mut settings = Settings {
            database_url: Secret::new(self.db.url.clone()),
            outbox_dir: self.outbox(),
            ..Settings::default()
        };
        // Every test signs in from 127.0.0.1; the sign-in limits have tests of their own.
        settings.login.per_client_per_minute = 100_000;
        settings.login.global_per_second = 100_000;
        settings
    }

    pub fn pool(&self) -> DbPool {
        DbPool::connect(&self.db.url, 4).unwrap()
    }

    /// The invitation links written to the outbox, one per email.
    pub fn links(&self) -> Vec<String> {
        let mut links: Vec<(String, String)> = Vec::new();
        let Ok(entries) = std::fs::read_dir(self.outbox()) else {
            return Vec::new();
        };
        for e in entries.flatten() {
            let text = std::fs::read_to_string(e.path()).unwrap_or_default();
            let to = text
                .lines()
                .find_map(|l| l.strip_prefix("To: "))
                .unwrap_or_default()
                .trim()
                .to_string();
            // The text part carries the link unbroken on a line of its own.
            if let Some(line) = text.lines().find(|l| l.contains("/s/") && !l.contains('<')) {
                links.push((to, line.trim().to_string()));
            }
        }
        // In the order of their recipients, not of the outbox's random file names: tests
        // that give each link its own answers then give each person the same answers on
        // every run.
        links.sort();
        links.into_iter().map(|(_, link)| link).collect()
    }

    /// Token -> recipient address of every invitation in the outbox.
    pub fn invitations(&self) -> std::collections::HashMap<String, String> {
        let mut out = std::collections::HashMap::new();
        for e in std::fs::read_dir(self.outbox()).unwrap().flatten() {
            let text = std::fs::read_to_string(e.path()).unwrap();
            let to = text
                .lines()
                .find_map(|l| l.strip_prefix("To: "))
                .unwrap()
                .trim()
                .to_string();
            // Staff notices (results released, nudges) carry no answer link.
            if let Some(link) = text.lines().find(|l| l.contains("/s/") && !l.contains('<')) {
                out.insert(token_of(link.trim()), to);
            }
        }
        out
    }
}

/// The app served in this process on a free port.
pub struct TestApp {
    pub address: String,
    pub workspace: Workspace,
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }
}

/// Starts the real app (the same `web::run` as `worklife serve`) on 127.0.0.1:0.
pub fn spawn_app(workspace: Workspace) -> TestApp {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = format!("http://{}", listener.local_addr().unwrap());
    let mut settings = workspace.settings();
    settings.base_url = address.clone();
    let state = AppState::new(DbPool::connect(&workspace.db.url, 8).unwrap(), settings).unwrap();
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let _ = web::run(listener, state).unwrap().await;
        })
    });
    TestApp { address, workspace }
}

/// A real `worklife serve` process on a free port against a workspace's database, its log in
/// the workspace's `serve.log`; killed on drop.
pub struct Served {
    pub child: Child,
    pub address: String,
    /// The metrics listener (`metrics_bind`, a free loopback port here).
    pub metrics_address: String,
}

impl Served {
    pub fn start(ws: &Workspace) -> Served {
        Served::start_with(ws, &[])
    }

    /// [`Served::start`] with more environment variables (settings) for the server.
    pub fn start_with(ws: &Workspace, env: &[(&str, String)]) -> Served {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(ws.dir.path().join("serve.log"))
            .unwrap();
        let mut command = Command::new(worklife_bin());
        command
            .args(["serve", "--bind", "127.0.0.1:0"])
            .current_dir(ws.dir.path())
            .env("WORKLIFE_METRICS_BIND", "127.0.0.1:0")
            .env("WORKLIFE_LOGIN__PER_CLIENT_PER_MINUTE", "100000")
            .env("WORKLIFE_LOGIN__GLOBAL_PER_SECOND", "100000")
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
        line.clear();
        stdout.read_line(&mut line).unwrap();
        let metrics_address = line
            .trim()
            .strip_prefix("metrics on ")
            .and_then(|m| m.strip_suffix("/metrics"))
            .unwrap_or_else(|| panic!("unexpected second line: {line:?}"))
            .to_string();
        // Keep draining stdout so the server never blocks on a full pipe.
        std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
        Served {
            child,
            address,
            metrics_address,
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

/// A closed wave's release, built the way the server builds and caches it
/// (`reports::ReleaseCache`), for tests that check pages and commands against it.
pub fn closed_release(
    conn: &mut worklife_server::db::DbConn,
    wave: &str,
) -> std::sync::Arc<worklife_server::reports::WaveRelease> {
    use worklife_server::survey::{responses::InstrumentCache, waves};
    let wave = waves::find(conn, wave).expect("the wave exists");
    worklife_server::reports::ReleaseCache::default()
        .get(conn, &InstrumentCache::default(), &wave)
        .expect("a closed wave's release")
}

/// The token of an invitation link.
pub fn token_of(link: &str) -> String {
    link.rsplit('/').next().unwrap_or_default().to_string()
}
