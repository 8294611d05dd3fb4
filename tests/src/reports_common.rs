//! A small organisation with two closed waves, report users of every role, and an HTTP
//! client that keeps headers, for the report tests.

#![allow(dead_code)]

use std::collections::BTreeMap;

pub use crate::{client, Reply};
use crate::{spawn_app, token_of, Backend, TestApp, Workspace, WorkspaceTemplate};
use worklife_server::survey::responses::{self, InstrumentCache};
use worklife_server::survey::waves;

/// k = 3. Tiny (2 people) is under k, so another unit must be hidden with it; the unit named
/// like a spreadsheet formula checks that exports neutralise it.
pub const EVIL_UNIT: &str = "=HYPERLINK(\"evil.example\")";

pub fn roster() -> String {
    let mut csv = String::from("email,unit,tenure\n");
    let units: [(&str, usize); 5] = [
        ("Acme/Eng", 3),
        ("Acme/Eng/Platform", 4),
        ("Acme/Sales", 5),
        ("Acme/=HYPERLINK(\"\"evil.example\"\")", 3),
        ("Acme/Tiny", 2),
    ];
    let mut n = 0;
    for (unit, count) in units {
        for _ in 0..count {
            n += 1;
            let tenure = if n % 2 == 0 { "short" } else { "long" };
            csv.push_str(&format!("p{n}@example.org,\"{unit}\",{tenure}\n"));
        }
    }
    csv
}

pub struct Fixture {
    pub app: TestApp,
    /// email -> password, for admin, viewer, manager (Acme/Eng), sales (manager of Acme/Sales)
    pub passwords: BTreeMap<&'static str, String>,
    pub tokens: BTreeMap<&'static str, String>,
}

pub const ADMIN: &str = "admin@example.org";
pub const VIEWER: &str = "viewer@example.org";
pub const MANAGER: &str = "manager@example.org";
pub const SALES: &str = "sales@example.org";

/// Creates, opens, answers (everyone) and closes a wave with k = 3.
pub fn run_wave(ws: &Workspace, name: &str, shift: i32, attributes: &[&str]) {
    run_wave_from(ws, name, "2020-01-01", shift, attributes);
}

/// [`run_wave`] with the wave opening at `opens`.
pub fn run_wave_from(ws: &Workspace, name: &str, opens: &str, shift: i32, attributes: &[&str]) {
    open_and_answer(ws, name, opens, shift, attributes, usize::MAX);
    ws.ok(&["wave", "close", name]);
}

/// Creates and opens wave `name` (closing in 2099), then answers the first `answered` of
/// its invitations (in the order of their recipients) and leaves it open.
pub fn open_and_answer(
    ws: &Workspace,
    name: &str,
    opens: &str,
    shift: i32,
    attributes: &[&str],
    answered: usize,
) {
    let before = ws.links();
    let mut args = vec![
        "wave",
        "create",
        name,
        "--instrument",
        "worklife-core",
        "--opens",
        opens,
        "--closes",
        "2099-01-01",
        "--min-group-size",
        "3",
    ];
    for a in attributes {
        args.extend(["--attribute", a]);
    }
    ws.ok(&args);
    ws.ok(&["wave", "open", name]);
    let links: Vec<String> = ws
        .links()
        .into_iter()
        .filter(|l| !before.contains(l))
        .collect();
    let pool = ws.pool();
    let mut conn = pool.get().unwrap();
    let cache = InstrumentCache::default();
    let wave = waves::find(&mut conn, name).unwrap();
    let instrument = cache.get(&mut conn, &wave.instrument).unwrap();
    for (i, link) in links.iter().take(answered).enumerate() {
        let answers: BTreeMap<String, Option<i32>> = instrument
            .items
            .iter()
            .enumerate()
            .map(|(j, item)| {
                let v = 1 + ((i as i32) * 7 + (j as i32) * 3 + shift).rem_euclid(5);
                (item.id.clone(), Some(v))
            })
            .collect();
        responses::submit(
            &mut conn,
            &cache,
            &Default::default(),
            &token_of(link),
            &responses::Submitted {
                answers,
                comments: Default::default(),
            },
            worklife_server::clock::now(),
        )
        .unwrap();
    }
}

pub fn password_of(out: &str) -> String {
    out.lines()
        .find_map(|l| l.strip_prefix("password (shown once): "))
        .unwrap()
        .to_string()
}

/// The report users' passwords and tokens, by email.
type Credentials = (
    BTreeMap<&'static str, String>,
    BTreeMap<&'static str, String>,
);

/// The organisation of [`roster`] with two closed waves (W1, W2, report attribute `tenure`)
/// and a user of every role, served. Set up once per backend and copied for each test.
pub fn fixture(backend: Backend) -> Fixture {
    static TEMPLATE: WorkspaceTemplate<Credentials> = WorkspaceTemplate::new();
    let (ws, (passwords, tokens)) = TEMPLATE.copy(backend, |ws| {
        ws.ok(&["roster", "import", &ws.write("roster.csv", &roster())]);
        run_wave(ws, "W1", 0, &["tenure"]);
        run_wave(ws, "W2", 2, &["tenure"]);
        let mut passwords = BTreeMap::new();
        let mut tokens = BTreeMap::new();
        for (email, role, unit) in [
            (ADMIN, "admin", None),
            (VIEWER, "viewer", None),
            (MANAGER, "manager", Some("Acme/Eng")),
            (SALES, "manager", Some("Acme/Sales")),
        ] {
            let mut args = vec!["user", "add", "--email", email, "--role", role];
            if let Some(u) = unit {
                args.extend(["--unit", u]);
            }
            passwords.insert(email, password_of(&ws.ok(&args)));
            tokens.insert(
                email,
                ws.ok(&["token", "create", "--user", email])
                    .trim()
                    .to_string(),
            );
        }
        (passwords, tokens)
    });
    Fixture {
        app: spawn_app(ws),
        passwords,
        tokens,
    }
}

/// How a request authenticates.
#[derive(Clone, Debug)]
pub enum As {
    Anonymous,
    Bearer(String),
    Cookie(String),
}

pub fn get(url: &str, who: &As) -> Reply {
    let mut r = client().get(url);
    match who {
        As::Anonymous => {}
        As::Bearer(t) => r = r.header("Authorization", &format!("Bearer {t}")),
        As::Cookie(c) => r = r.header("Cookie", c),
    }
    Reply::from(r.call().unwrap())
}

pub fn post_form(url: &str, cookie: Option<&str>, body: &str) -> Reply {
    let mut r = client().post(url);
    if let Some(c) = cookie {
        r = r.header("Cookie", c);
    }
    Reply::from(
        r.content_type("application/x-www-form-urlencoded")
            .send(body)
            .unwrap(),
    )
}

pub fn form_value(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The hidden CSRF field of a page.
pub fn csrf_of(html: &str) -> String {
    let at = html.find("name=\"csrf\" value=\"").unwrap() + "name=\"csrf\" value=\"".len();
    html[at..].split('"').next().unwrap().to_string()
}

/// A second app process-alike (own caches, own session-key cell) on the same database, as
/// another replica would be; returns its address.
pub fn spawn_replica(app: &TestApp) -> String {
    spawn_replica_with(app, |_| {})
}

/// [`spawn_replica`] whose public address (`base_url`) is `base_url`, e.g. an https one
/// behind a proxy.
pub fn spawn_replica_at(app: &TestApp, base_url: Option<&str>) -> String {
    spawn_replica_with(app, |s| {
        if let Some(url) = base_url {
            s.base_url = url.to_string();
        }
    })
}

/// [`spawn_replica`] with its settings changed by `change`.
pub fn spawn_replica_with(
    app: &TestApp,
    change: impl FnOnce(&mut worklife_server::configuration::Settings),
) -> String {
    use worklife_server::db::DbPool;
    use worklife_server::web::{self, AppState};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = format!("http://{}", listener.local_addr().unwrap());
    let mut settings = app.workspace.settings();
    change(&mut settings);
    let state =
        AppState::new(DbPool::connect(&app.workspace.db.url, 4).unwrap(), settings).unwrap();
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let _ = web::run(listener, state).unwrap().await;
        })
    });
    address
}

/// Signs in through the login page; returns the session cookie pair `wl_session=...`.
pub fn login(app: &TestApp, email: &str, password: &str) -> Reply {
    login_at(&app.address, email, password)
}

/// Like [`login`], on an app at `address`.
pub fn login_at(address: &str, email: &str, password: &str) -> Reply {
    let url = |p: &str| format!("{address}{p}");
    let page = get(&url("/login"), &As::Anonymous);
    let (login_cookie, _) = page.cookie("wl_login").unwrap();
    let csrf = csrf_of(&page.body);
    post_form(
        &url("/login"),
        Some(&format!("wl_login={login_cookie}")),
        &format!(
            "email={}&password={}&csrf={}",
            form_value(email),
            form_value(password),
            form_value(&csrf)
        ),
    )
}

/// Adds the admin to `ws` and serves it: the app, and the admin's bearer token.
pub fn serve_as_admin(ws: Workspace) -> (TestApp, As) {
    ws.ok(&["user", "add", "--email", ADMIN, "--role", "admin"]);
    let token = ws
        .ok(&["token", "create", "--user", ADMIN])
        .trim()
        .to_string();
    (spawn_app(ws), As::Bearer(token))
}

pub fn session(app: &TestApp, email: &str, password: &str) -> String {
    let r = login(app, email, password);
    assert_eq!(r.status, 303, "login of {email}: {}", r.body);
    let (value, _) = r.cookie("wl_session").unwrap();
    format!("wl_session={value}")
}
