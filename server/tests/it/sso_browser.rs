//! Single sign-on in headless Chromium (see [`crate::browser`]): a link to a team's heat map
//! leads to the sign-in page, "Sign in with Acme ID" to the provider's own sign-in form on
//! loopback (tests/oidc), and back to the heat map asked for. axe-core checks Worklife's
//! pages on the way; screenshots `sso-*.png`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::json;

use crate::browser::Browser;
use crate::sso::{oidc_settings, sso_app};
use worklife_tests::oidc::OidcProvider;
use worklife_tests::reports_common::*;

#[test]
fn a_manager_signs_in_with_the_identity_provider_and_lands_on_the_heat_map() {
    let Some(provider) = OidcProvider::start() else {
        return;
    };
    let Some(browser) = Browser::start() else {
        return;
    };
    let f = fixture(worklife_tests::Backend::Sqlite);
    let (base, _) = sso_app(&f.app, |s| s.oidc = oidc_settings(&provider));
    provider.set_account(
        "max",
        json!({ "email": "max@example.org", "email_verified": true,
                "groups": ["staff", "wl-manager:Acme/Eng"] }),
    );
    // No automatic sign-in: the provider shows its form.
    provider.next_login(None);

    browser.go(&format!("{base}/reports/waves/W2"));
    browser.wait_for_url("/login?next=%2Freports%2Fwaves%2FW2");
    let sso = browser.find("#sso");
    assert_eq!(browser.text(&sso), "Sign in with Acme ID");
    browser.screenshot("sso-1-sign-in-page");
    browser.assert_accessible("the sign-in page with single sign-on");

    browser.click(&sso);
    let login = browser.find("#login");
    assert!(browser.current_url().starts_with(&provider.issuer));
    browser.type_into(&login, "max");
    browser.screenshot("sso-2-provider");
    browser.click(&browser.find("#sign-in"));

    browser.wait_for_url("/reports/waves/W2");
    assert!(browser.current_url().starts_with(&base));
    let header = browser.text(&browser.find("header.top"));
    assert!(header.contains("max@example.org"), "{header}");
    let body = browser.text(&browser.find("main"));
    assert!(body.contains("Acme/Eng") || body.contains("Eng"), "{body}");
    assert!(
        !body.contains("Acme/Sales"),
        "a manager sees only their subtree"
    );
    browser.screenshot("sso-3-heat-map");
    browser.assert_accessible("the heat map after single sign-on");

    // Signing out ends the session here and at the provider, and comes back to sign-in.
    browser.click(&browser.find("header.top form[action='/logout'] button"));
    browser.wait_for_url("/login?signed_out=1");
    assert!(browser
        .text(&browser.find("main"))
        .contains("You are signed out."));
    browser.assert_accessible("signed out");
    browser.screenshot("sso-4-signed-out");

    // Someone the provider knows but who is in no Worklife group: a page that says so, with
    // the way back.
    provider.set_account(
        "sam",
        json!({ "email": "sam@example.org", "email_verified": true, "groups": ["staff"] }),
    );
    browser.click(&browser.find("#sso"));
    browser.type_into(&browser.find("#login"), "sam");
    browser.click(&browser.find("#sign-in"));
    browser.wait_for_path("/auth/oidc/callback");
    assert_eq!(
        browser.text(&browser.find("h1")),
        "You do not have access to Worklife"
    );
    assert!(browser
        .text(&browser.find("main"))
        .contains("Your account (sam@example.org) is in none of the groups"));
    browser.screenshot("sso-5-no-group");
    browser.assert_accessible("refused: in no Worklife group");

    // Password sign-in off: the provider's button, and the emergency form folded away.
    let (only_sso, _) = sso_app(&f.app, |s| {
        s.oidc = oidc_settings(&provider);
        s.auth.password = false;
    });
    browser.go(&format!("{only_sso}/login"));
    let hidden = "return !document.getElementById('password').checkVisibility();";
    assert_eq!(browser.run(hidden), serde_json::json!(true));
    browser.click(&browser.find("details summary"));
    assert_eq!(browser.run(hidden), serde_json::json!(false));
    browser.screenshot("sso-6-password-off");
    browser.assert_accessible("sign-in with password sign-in off");

    // An admin from the provider adds a user for single sign-on only.
    provider.set_account(
        "ada",
        json!({ "email": "ada@example.org", "email_verified": true, "groups": ["wl-admins"] }),
    );
    provider.next_login(Some("ada"));
    browser.click(&browser.find("#sso"));
    browser.wait_for_url("/reports");
    browser.go(&format!("{only_sso}/admin/users"));
    browser.type_into(&browser.find("#email"), "nia@example.org");
    browser.click(&browser.find("form#add button[type=submit]"));
    let shown = browser.text(&browser.find("#shown"));
    assert!(shown.contains("Sign in with Acme ID"), "{shown}");
    browser.screenshot("sso-7-user-added-for-sso");
    browser.assert_accessible("users with single sign-on");
}
