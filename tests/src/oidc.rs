//! A real OpenID Connect provider on loopback for the sign-in tests: `tests/oidc/provider.mjs`
//! (npm `oidc-provider`, pinned in `tests/oidc/package-lock.json`) on a free port, steered
//! through a JSON state file it reads again on every request that needs it: the accounts,
//! who the next sign-in is (or a login form), the ID token's lifetime and audience.
//! Without node or `tests/oidc/node_modules` the tests are skipped with a printed reason,
//! unless `WORKLIFE_REQUIRE_ALL=1`, which fails them.
//!
//! [`follow`] and [`Jar`] walk a sign-in through redirects between two sites without a browser.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::sync::Mutex;
use std::time::Duration;

use serde_json::{json, Value};

use crate::{client, require_all, Reply};

/// The provider process; dropping it stops the process.
pub struct OidcProvider {
    /// `http://127.0.0.1:<port>`, no path: the issuer and the base of every endpoint.
    pub issuer: String,
    child: Child,
    dir: tempfile::TempDir,
    state: Mutex<Value>,
}

fn oidc_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("oidc")
}

fn node_works() -> bool {
    Command::new("node")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Skips (None) or, with `WORKLIFE_REQUIRE_ALL=1`, fails with what is missing.
fn unavailable(reason: &str) -> Option<OidcProvider> {
    assert!(
        !require_all(),
        "{reason} and WORKLIFE_REQUIRE_ALL=1: OpenID Connect tests cannot be skipped (npm ci --prefix tests/oidc)"
    );
    eprintln!("skipping OpenID Connect tests: {reason} (npm ci --prefix tests/oidc)");
    None
}

impl OidcProvider {
    pub const CLIENT_ID: &'static str = "worklife";
    pub const CLIENT_SECRET: &'static str = "worklife-test-secret";

    /// Starts the provider with no accounts and `next_login` unset (a login form), or `None`
    /// (with a printed reason) when node or `tests/oidc/node_modules` is missing.
    pub fn start() -> Option<OidcProvider> {
        if !node_works() {
            return unavailable("node is not installed");
        }
        if !oidc_dir().join("node_modules/oidc-provider").is_dir() {
            return unavailable("tests/oidc/node_modules/oidc-provider is missing");
        }
        let dir = tempfile::tempdir().unwrap();
        let state = json!({
            "client_id": Self::CLIENT_ID,
            "client_secret": Self::CLIENT_SECRET,
            "accounts": {},
            "next_login": null,
            "id_token_ttl": 3600,
            "id_token_audience": null,
        });
        write_atomically(&dir.path().join("state.json"), &state);
        let mut child = Command::new("node")
            .arg(oidc_dir().join("provider.mjs"))
            .env("OIDC_STATE", dir.path().join("state.json"))
            .env("PORT", "0")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("node starts");
        // The ready line, with a timeout: a thread reads it (and then drains stdout).
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            let mut line = String::new();
            let _ = reader.read_line(&mut line);
            let _ = tx.send(line);
            let _ = std::io::copy(&mut reader, &mut std::io::sink());
        });
        let line = rx.recv_timeout(Duration::from_secs(20)).unwrap_or_default();
        let Some(issuer) = line.trim().strip_prefix("ready ").map(str::to_string) else {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the OpenID Connect provider did not start (its first line: {line:?})");
        };
        Some(OidcProvider {
            issuer,
            child,
            dir,
            state: Mutex::new(state),
        })
    }

    /// `issuer` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.issuer)
    }

    fn change(&self, f: impl FnOnce(&mut Value)) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut state);
        write_atomically(&self.dir.path().join("state.json"), &state);
    }

    /// Adds or replaces an account; `sub` is `login`, every field of `claims` (an object)
    /// goes into its ID tokens.
    pub fn set_account(&self, login: &str, claims: Value) {
        assert!(claims.is_object(), "account claims must be a JSON object");
        self.change(|s| s["accounts"][login] = claims);
    }

    pub fn remove_account(&self, login: &str) {
        self.change(|s| {
            s["accounts"].as_object_mut().unwrap().remove(login);
        });
    }

    /// Who the next sign-in is, without a page; `None`: a login form (`#login`, `#sign-in`).
    pub fn next_login(&self, login: Option<&str>) {
        self.change(|s| s["next_login"] = json!(login));
    }

    /// The lifetime of the ID tokens issued from now on (`exp - iat`).
    pub fn set_id_token_ttl(&self, seconds: i64) {
        self.change(|s| s["id_token_ttl"] = json!(seconds));
    }

    /// The `aud` of the ID tokens issued from now on; `None`: the client id.
    pub fn set_id_token_audience(&self, aud: Option<&str>) {
        self.change(|s| s["id_token_audience"] = json!(aud));
    }
}

impl Drop for OidcProvider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Writes a temporary file beside `path` and renames it over `path`, so the provider never
/// reads half a file.
fn write_atomically(path: &Path, value: &Value) {
    let tmp = path.with_extension("json.tmp");
    std::fs::write(&tmp, serde_json::to_vec_pretty(value).unwrap()).unwrap();
    std::fs::rename(&tmp, path).unwrap();
}

/// A cookie jar per host:port, for walking a sign-in through two sites. Paths, domains and
/// expiry dates are ignored except that a cookie set empty or already expired is removed.
#[derive(Default, Clone, Debug)]
pub struct Jar {
    cookies: BTreeMap<String, BTreeMap<String, String>>,
}

/// `host:port` of an absolute http URL.
fn origin_of(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if host.contains(':') {
        host.to_string()
    } else {
        format!("{host}:80")
    }
}

impl Jar {
    /// `a=1; b=2` for that URL's host:port, or `None` without cookies.
    pub fn header_for(&self, url: &str) -> Option<String> {
        let cookies = self.cookies.get(&origin_of(url))?;
        (!cookies.is_empty()).then(|| {
            cookies
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("; ")
        })
    }

    /// Stores every `Set-Cookie` of a reply to a request for `url`.
    pub fn take(&mut self, url: &str, reply: &Reply) {
        let jar = self.cookies.entry(origin_of(url)).or_default();
        for (_, header) in reply
            .headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case("set-cookie"))
        {
            let mut parts = header.split(';');
            let Some((name, value)) = parts.next().and_then(|p| p.split_once('=')) else {
                continue;
            };
            let gone = value.trim().is_empty()
                || parts.any(|a| {
                    let a = a.trim().to_ascii_lowercase();
                    a == "max-age=0" || a.starts_with("max-age=-") || a.contains("1970")
                });
            if gone {
                jar.remove(name.trim());
            } else {
                jar.insert(name.trim().to_string(), value.trim().to_string());
            }
        }
    }

    /// Every cookie stored for that URL's host:port.
    pub fn cookies_for(&self, url: &str) -> BTreeMap<String, String> {
        self.cookies
            .get(&origin_of(url))
            .cloned()
            .unwrap_or_default()
    }
}

/// `location` resolved against `base` (absolute, absolute-path or relative).
pub fn resolve(base: &str, location: &str) -> String {
    if location.contains("://") {
        return location.to_string();
    }
    let (scheme, rest) = base.split_once("://").expect("an absolute base URL");
    let host_end = rest.find('/').unwrap_or(rest.len());
    let root = format!("{scheme}://{}", &rest[..host_end]);
    if location.starts_with('/') {
        return format!("{root}{location}");
    }
    let path = rest[host_end..].split(['?', '#']).next().unwrap_or("/");
    let dir = &path[..path.rfind('/').map_or(0, |i| i + 1)];
    let dir = if dir.is_empty() { "/" } else { dir };
    if location.starts_with('?') {
        return format!("{root}{path}{location}");
    }
    format!("{root}{dir}{location}")
}

/// A request sent with the jar's cookies, whose reply's cookies go back into the jar.
/// `form`: POST these fields (urlencoded); otherwise GET.
pub fn send(jar: &mut Jar, url: &str, form: Option<&[(&str, &str)]>) -> Reply {
    let agent = client();
    let reply = match form {
        Some(fields) => {
            let mut req = agent.post(url);
            if let Some(c) = jar.header_for(url) {
                req = req.header("cookie", &c);
            }
            req.send_form(fields.iter().copied())
        }
        None => {
            let mut req = agent.get(url);
            if let Some(c) = jar.header_for(url) {
                req = req.header("cookie", &c);
            }
            req.call()
        }
    };
    let reply = Reply::from(reply.unwrap_or_else(|e| panic!("{url}: {e}")));
    jar.take(url, &reply);
    reply
}

/// GETs `url` with the jar's cookies and follows 302/303 redirects (relative or absolute),
/// storing cookies, until a response that is not a redirect OR a redirect whose target starts
/// with `stop_at` (returned without following). Returns (final url requested, reply).
pub fn follow(jar: &mut Jar, url: &str, stop_at: Option<&str>) -> (String, Reply) {
    let first = send(jar, url, None);
    follow_reply(jar, url.to_string(), first, stop_at)
}

/// Like [`follow`], from a reply already received for `url` (e.g. a form POST's 303).
pub fn follow_reply(
    jar: &mut Jar,
    mut url: String,
    mut reply: Reply,
    stop_at: Option<&str>,
) -> (String, Reply) {
    for _ in 0..20 {
        if !matches!(reply.status, 301 | 302 | 303 | 307 | 308) {
            return (url, reply);
        }
        let location = reply
            .header("location")
            .unwrap_or_else(|| panic!("{url}: a {} without Location", reply.status));
        let next = resolve(&url, location);
        if stop_at.is_some_and(|s| next.starts_with(s)) {
            return (url, reply);
        }
        reply = send(jar, &next, None);
        url = next;
    }
    panic!("more than 20 redirects, the last to {url}");
}

/// The value of query parameter `name` in `url` (percent-decoded, `+` as space).
pub fn query_param(url: &str, name: &str) -> Option<String> {
    let query = url.split_once('?')?.1.split('#').next()?;
    query.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (percent_decode(k) == name).then(|| percent_decode(v))
    })
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(b) => {
                        out.push(b);
                        i += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A query component with everything but unreserved characters percent-encoded.
pub fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The claims of a JWT (its middle part), without checking the signature.
pub fn jwt_claims(jwt: &str) -> Value {
    use base64::Engine as _;
    let payload = jwt.split('.').nth(1).expect("a JWT has three parts");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .expect("base64url JWT payload");
    serde_json::from_slice(&bytes).expect("JSON JWT payload")
}
