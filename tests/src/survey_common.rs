//! Shared by the `survey_*` tests: a wave with invitations, the real app with support
//! contacts configured, an HTTP client, and a look into the database as an auditor would take.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::net::TcpListener;

pub use crate::{client, html_text, unescape, Reply};
use crate::{token_of, Backend, Workspace};
use diesel::sql_types::{BigInt, Text};
use diesel::{QueryableByName, RunQueryDsl};
use worklife_server::configuration::{Settings, Support};
use worklife_server::db::{DbConn, DbPool};
use worklife_server::db_run;
use worklife_server::web::{self, AppState};

/// Six people in one team, so that counts of three or more show in `wave status`.
pub const ROSTER: &str = "email,unit,tenure\n\
ann@example.org,Acme/Eng,<1y\n\
bob@example.org,Acme/Eng,1-5y\n\
cid@example.org,Acme/Eng,5y+\n\
dee@example.org,Acme/Eng,1-5y\n\
eve@example.org,Acme/Eng,<1y\n\
fay@example.org,Acme/Eng,5y+\n";

pub const ORGANISATION: &str = "Acme Test Org";
pub const EAP_URL: &str = "https://eap.example.org/acme";
pub const EAP_PHONE: &str = "+49 30 555 0199";
pub const CRISIS: &str = "Crisis line marker: call 0800 111 0 111, day and night.";

/// Creates and opens a wave of `instrument` with k = 3 and the report attribute `tenure`;
/// returns the tokens of the invitations it wrote.
pub fn open_wave(
    ws: &Workspace,
    name: &str,
    instrument: &str,
    opens: &str,
    closes: &str,
) -> Vec<String> {
    let before: Vec<String> = ws.links();
    ws.ok(&[
        "wave",
        "create",
        name,
        "--instrument",
        instrument,
        "--opens",
        opens,
        "--closes",
        closes,
        "--min-group-size",
        "3",
        "--attribute",
        "tenure",
    ]);
    ws.ok(&["wave", "open", name]);
    ws.links()
        .into_iter()
        .filter(|l| !before.contains(l))
        .map(|l| token_of(&l))
        .collect()
}

/// A workspace with the roster imported.
pub fn workspace(backend: Backend) -> Workspace {
    let ws = Workspace::new(backend);
    ws.ok(&["roster", "import", &ws.write("roster.csv", ROSTER)]);
    ws
}

/// The settings the app runs with: the workspace's, plus an organisation and its support.
pub fn settings(ws: &Workspace) -> Settings {
    let mut settings = ws.settings();
    settings.organisation = ORGANISATION.into();
    settings.support = Support {
        eap_url: Some(EAP_URL.into()),
        eap_phone: Some(EAP_PHONE.into()),
        crisis: CRISIS.into(),
    };
    settings
}

/// Serves the real app (`web::run`, as `worklife serve` does) on a free port; returns its
/// address. Like `crate::spawn_app`, with support contacts configured.
pub fn serve(ws: &Workspace) -> String {
    serve_on(ws, DbPool::connect(&ws.db.url, 8).unwrap())
}

/// [`serve`] with its main pool (everything but respondents) given, e.g. to hold its
/// connections from outside.
pub fn serve_on(ws: &Workspace, pool: DbPool) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = format!("http://{}", listener.local_addr().unwrap());
    let mut settings = settings(ws);
    settings.base_url = address.clone();
    let state = AppState::new(pool, settings).unwrap();
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let _ = web::run(listener, state).unwrap().await;
        })
    });
    address
}

pub fn get(url: &str, accept_language: Option<&str>) -> Reply {
    let mut request = client().get(url);
    if let Some(lang) = accept_language {
        request = request.header("Accept-Language", lang);
    }
    Reply::from(request.call().unwrap())
}

pub fn post_form(url: &str, body: &str) -> Reply {
    Reply::from(
        client()
            .post(url)
            .content_type("application/x-www-form-urlencoded")
            .send(body)
            .unwrap(),
    )
}

pub fn post_json(url: &str, body: &str) -> Reply {
    Reply::from(
        client()
            .post(url)
            .content_type("application/json")
            .send(body)
            .unwrap(),
    )
}

// ---- the database, read directly ----

#[derive(QueryableByName, Debug)]
struct Name {
    #[diesel(sql_type = Text)]
    name: String,
}

#[derive(QueryableByName, Debug)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

#[derive(QueryableByName, Debug)]
struct Edge {
    #[diesel(sql_type = Text)]
    source: String,
    #[diesel(sql_type = Text)]
    target: String,
}

fn names(conn: &mut DbConn, sql: &str) -> Vec<String> {
    let rows: Vec<Name> = db_run!(conn, |c| diesel::sql_query(sql).load(c)).unwrap();
    rows.into_iter().map(|r| r.name).collect()
}

pub fn is_sqlite(conn: &DbConn) -> bool {
    matches!(conn, DbConn::Sqlite(..))
}

/// Every table of the schema (migration bookkeeping included).
pub fn tables(conn: &mut DbConn) -> Vec<String> {
    let sql = if is_sqlite(conn) {
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
    } else {
        "SELECT table_name::text AS name FROM information_schema.tables \
         WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name"
    };
    names(conn, sql)
}

/// The columns of `table`, in order, as the database itself reports them.
pub fn columns(conn: &mut DbConn, table: &str) -> Vec<String> {
    let sql = if is_sqlite(conn) {
        format!("SELECT name FROM pragma_table_info('{table}') ORDER BY cid")
    } else {
        format!(
            "SELECT column_name::text AS name FROM information_schema.columns \
             WHERE table_schema = 'public' AND table_name = '{table}' ORDER BY ordinal_position"
        )
    };
    names(conn, &sql)
}

/// Every foreign key as (referencing table, referenced table).
pub fn foreign_keys(conn: &mut DbConn) -> Vec<(String, String)> {
    if is_sqlite(conn) {
        let mut edges = Vec::new();
        for t in tables(conn) {
            let sql = format!(
                "SELECT '{t}' AS source, \"table\" AS target FROM pragma_foreign_key_list('{t}')"
            );
            let rows: Vec<Edge> = db_run!(conn, |c| diesel::sql_query(&sql).load(c)).unwrap();
            edges.extend(rows.into_iter().map(|e| (e.source, e.target)));
        }
        edges
    } else {
        let rows: Vec<Edge> = db_run!(conn, |c| diesel::sql_query(
            "SELECT conrelid::regclass::text AS source, confrelid::regclass::text AS target \
             FROM pg_constraint WHERE contype = 'f'"
        )
        .load(c))
        .unwrap();
        rows.into_iter().map(|e| (e.source, e.target)).collect()
    }
}

pub fn count(conn: &mut DbConn, sql_from_where: &str) -> i64 {
    let sql = format!("SELECT COUNT(*) AS n FROM {sql_from_where}");
    let rows: Vec<Count> = db_run!(conn, |c| diesel::sql_query(&sql).load(c)).unwrap();
    rows.first().map_or(0, |r| r.n)
}

/// Every row of every table as text (`col=value|...`), sorted, by table: what an auditor with
/// a copy of the database sees.
pub fn dump(conn: &mut DbConn) -> BTreeMap<String, Vec<String>> {
    let mut all = BTreeMap::new();
    for table in tables(conn) {
        let cols = columns(conn, &table);
        let row = cols
            .iter()
            .map(|c| format!("'{c}=' || COALESCE(CAST(\"{c}\" AS TEXT), 'NULL')"))
            .collect::<Vec<_>>()
            .join(" || '|' || ");
        let mut rows = names(conn, &format!("SELECT {row} AS name FROM \"{table}\""));
        rows.sort();
        all.insert(table, rows);
    }
    all
}

/// The rows of the dump that mention `needle`, as `table: row`.
pub fn mentions(dump: &BTreeMap<String, Vec<String>>, needle: &str) -> Vec<String> {
    dump.iter()
        .flat_map(|(t, rows)| {
            rows.iter()
                .filter(|r| r.contains(needle))
                .map(move |r| format!("{t}: {r}"))
        })
        .collect()
}

/// Response ids with their answers (`item=value`, sorted), from the database.
pub fn sheets(conn: &mut DbConn) -> BTreeMap<String, Vec<String>> {
    let ids = names(conn, "SELECT id AS name FROM responses");
    let mut out = BTreeMap::new();
    for id in ids {
        let mut answers = names(
            conn,
            &format!(
                "SELECT item_id || '=' || CAST(value AS TEXT) AS name FROM answers \
                 WHERE response_id = '{id}'"
            ),
        );
        answers.sort();
        out.insert(id, answers);
    }
    out
}

/// Whether SQLite keeps a rowid for `table` (an arrival order); `WITHOUT ROWID` tables don't.
pub fn has_rowid(conn: &mut DbConn, table: &str) -> bool {
    let sql = format!("SELECT COUNT(rowid) AS n FROM \"{table}\"");
    let result: Result<Vec<Count>, _> = db_run!(conn, |c| diesel::sql_query(&sql).load(c));
    result.is_ok()
}
