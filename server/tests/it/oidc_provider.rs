//! The test OpenID Connect provider (tests/oidc/provider.mjs) on its own, with this test as
//! the relying party by hand: discovery, the authorization code flow with PKCE, the claims
//! and knobs of its ID tokens, a code used twice, the login form, and the logout endpoint.
//! It proves the provider the sign-in tests rely on; Worklife itself is not involved.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use base64::Engine as _;
use serde_json::{json, Value};
use sha2::Digest as _;
use worklife_tests::oidc::{
    follow, follow_reply, jwt_claims, percent_encode, query_param, send, Jar, OidcProvider,
};
use worklife_tests::{client, Reply};

const CALLBACK: &str = "http://127.0.0.1:1/cb";

struct Rp<'a> {
    provider: &'a OidcProvider,
    discovery: Value,
}

/// One authorization request's secrets.
struct Request {
    url: String,
    state: String,
    nonce: String,
    verifier: String,
}

impl Rp<'_> {
    fn endpoint(&self, name: &str) -> String {
        self.discovery[name]
            .as_str()
            .unwrap_or_else(|| panic!("no {name} in discovery"))
            .to_string()
    }

    fn request(&self) -> Request {
        let random = || uuid::Uuid::new_v4().simple().to_string();
        let (state, nonce) = (random(), random());
        let verifier = format!("{}{}", random(), random());
        let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(sha2::Sha256::digest(verifier.as_bytes()));
        let query = [
            ("response_type", "code"),
            ("client_id", OidcProvider::CLIENT_ID),
            ("redirect_uri", CALLBACK),
            ("scope", "openid email profile"),
            ("state", &state),
            ("nonce", &nonce),
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
        ]
        .iter()
        .map(|(k, v)| format!("{k}={}", percent_encode(v)))
        .collect::<Vec<_>>()
        .join("&");
        Request {
            url: format!("{}?{query}", self.endpoint("authorization_endpoint")),
            state,
            nonce,
            verifier,
        }
    }

    /// The callback redirect's code, after checking its state.
    fn code(&self, request: &Request, reply: &Reply) -> String {
        assert!(matches!(reply.status, 302 | 303), "{reply:?}");
        let location = reply.header("location").unwrap();
        assert!(location.starts_with(CALLBACK), "{location}");
        assert_eq!(
            query_param(location, "state").as_deref(),
            Some(&*request.state)
        );
        query_param(location, "code").unwrap_or_else(|| panic!("no code: {location}"))
    }

    fn token(&self, request: &Request, code: &str) -> Reply {
        let basic = base64::engine::general_purpose::STANDARD.encode(format!(
            "{}:{}",
            OidcProvider::CLIENT_ID,
            OidcProvider::CLIENT_SECRET
        ));
        Reply::from(
            client()
                .post(&self.endpoint("token_endpoint"))
                .header("authorization", &format!("Basic {basic}"))
                .send_form([
                    ("grant_type", "authorization_code"),
                    ("code", code),
                    ("redirect_uri", CALLBACK),
                    ("code_verifier", &request.verifier),
                ])
                .unwrap(),
        )
    }

    /// A whole sign-in as `next_login`: the ID token's claims.
    fn sign_in(&self) -> Value {
        let request = self.request();
        let (_, reply) = follow(&mut Jar::default(), &request.url, Some(CALLBACK));
        let code = self.code(&request, &reply);
        let token = self.token(&request, &code);
        assert_eq!(token.status, 200, "{}", token.body);
        let claims = jwt_claims(token.json()["id_token"].as_str().unwrap());
        assert_eq!(claims["nonce"], json!(request.nonce));
        claims
    }
}

#[test]
fn the_test_provider_signs_in_with_every_claim_and_its_knobs() {
    let Some(provider) = OidcProvider::start() else {
        return;
    };
    let alice = json!({
        "email": "alice@acme.test",
        "email_verified": true,
        "groups": ["worklife-admins"],
        "worklife_unit": "Acme/Eng",
        "favourite_colour": "teal",
    });
    provider.set_account("alice", alice.clone());
    provider.set_account("bob", json!({ "email": "bob@acme.test" }));
    provider.next_login(Some("alice"));

    let discovery = Reply::from(
        client()
            .get(&provider.url("/.well-known/openid-configuration"))
            .call()
            .unwrap(),
    )
    .json();
    assert_eq!(discovery["issuer"], json!(provider.issuer));
    assert!(provider.issuer.starts_with("http://127.0.0.1:"));
    let rp = Rp {
        provider: &provider,
        discovery,
    };
    assert!(rp
        .endpoint("end_session_endpoint")
        .starts_with(&provider.issuer));

    // The flow: a code for the callback, an ID token for it with every account field.
    let request = rp.request();
    let mut jar = Jar::default();
    let (_, reply) = follow(&mut jar, &request.url, Some(CALLBACK));
    let code = rp.code(&request, &reply);
    let token = rp.token(&request, &code);
    assert_eq!(token.status, 200, "{}", token.body);
    let id_token = token.json()["id_token"].as_str().unwrap().to_string();
    let header = jwt_claims(&format!(
        "x.{}",
        id_token.split('.').next().unwrap() // the header, decoded like claims
    ));
    assert_eq!(header["alg"], "RS256");
    let claims = jwt_claims(&id_token);
    assert_eq!(claims["iss"], json!(rp.provider.issuer));
    assert_eq!(claims["aud"], OidcProvider::CLIENT_ID);
    assert_eq!(claims["nonce"], json!(request.nonce));
    assert_eq!(claims["sub"], "alice");
    for (key, value) in alice.as_object().unwrap() {
        assert_eq!(&claims[key], value, "{key} in {claims}");
    }
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        3600
    );

    // A code works once.
    let again = rp.token(&request, &code);
    assert_eq!(again.status, 400, "{}", again.body);
    assert_eq!(again.json()["error"], "invalid_grant");

    // The knobs, read when the token is issued.
    provider.set_id_token_audience(Some("someone-else"));
    provider.set_id_token_ttl(5);
    let claims = rp.sign_in();
    assert_eq!(claims["aud"], "someone-else");
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        5
    );
    provider.set_id_token_audience(None);
    provider.set_id_token_ttl(3600);

    // Another account with the same jar: the provider's session does not keep alice.
    provider.next_login(Some("bob"));
    let request = rp.request();
    let (_, reply) = follow(&mut jar, &request.url, Some(CALLBACK));
    let code = rp.code(&request, &reply);
    let claims = jwt_claims(
        rp.token(&request, &code).json()["id_token"]
            .as_str()
            .unwrap(),
    );
    assert_eq!(claims["sub"], "bob");
    assert_eq!(claims["email"], "bob@acme.test");

    // No next login: a form; an unknown (or removed) name shows it again, alice goes through.
    provider.next_login(None);
    let request = rp.request();
    let mut jar = Jar::default();
    let (page_url, page) = follow(&mut jar, &request.url, Some(CALLBACK));
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.content_type().starts_with("text/html"), "{page:?}");
    assert!(page.body.contains(r#"id="login""#) && page.body.contains(r#"name="login""#));
    assert!(page.body.contains(r#"<label for="login">"#));
    assert!(page.body.contains(r#"id="sign-in""#) && page.body.contains("Sign in"));
    let action = form_action(&page.body);
    let target = worklife_tests::oidc::resolve(&page_url, &action);
    provider.remove_account("bob");
    for unknown in ["mallory", "bob"] {
        let wrong = send(&mut jar, &target, Some(&[("login", unknown)]));
        assert_eq!(wrong.status, 200);
        assert!(wrong.body.contains("role=\"alert\""), "{}", wrong.body);
    }
    let posted = send(&mut jar, &target, Some(&[("login", "alice")]));
    let (_, reply) = follow_reply(&mut jar, target, posted, Some(CALLBACK));
    let code = rp.code(&request, &reply);
    let claims = jwt_claims(
        rp.token(&request, &code).json()["id_token"]
            .as_str()
            .unwrap(),
    );
    assert_eq!(claims["sub"], "alice");

    // RP-initiated logout: a page whose form posts itself, then the post-logout redirect.
    let end = format!(
        "{}?client_id={}&post_logout_redirect_uri={}&state=bye",
        rp.endpoint("end_session_endpoint"),
        OidcProvider::CLIENT_ID,
        percent_encode("http://127.0.0.1:1/signed-out"),
    );
    let (end_url, confirm) = follow(&mut jar, &end, None);
    assert_eq!(confirm.status, 200, "{}", confirm.body);
    assert!(confirm.body.contains(".submit()"), "{}", confirm.body);
    let xsrf = hidden_value(&confirm.body, "xsrf");
    let target = worklife_tests::oidc::resolve(&end_url, &form_action(&confirm.body));
    let done = send(
        &mut jar,
        &target,
        Some(&[("xsrf", &xsrf), ("logout", "yes")]),
    );
    assert!(matches!(done.status, 302 | 303), "{done:?}");
    let location = done.header("location").unwrap();
    assert!(
        location.starts_with("http://127.0.0.1:1/signed-out"),
        "{location}"
    );
    assert_eq!(query_param(location, "state").as_deref(), Some("bye"));
    // Signed out: the next authorization asks for a login again.
    let (_, page) = follow(&mut jar, &rp.request().url, Some(CALLBACK));
    assert!(page.body.contains(r#"id="login""#), "{}", page.body);
}

fn hidden_value(html: &str, name: &str) -> String {
    let at = html.find(&format!(r#"name="{name}" value=""#)).expect(name) + name.len() + 15;
    let end = html[at..].find('"').unwrap();
    html[at..at + end].to_string()
}

fn form_action(html: &str) -> String {
    let form = &html[html.find("<form").expect("a form")..];
    let at = form.find("action=\"").expect("an action") + 8;
    let end = form[at..].find('"').unwrap();
    worklife_tests::unescape(&form[at..at + end])
}
