//! Users and API tokens in headless Chromium (see [`crate::browser`]): an admin adds a
//! manager with an invitation link, the new manager opens the link, chooses a password and
//! signs in; the admin creates an API token. axe-core checks every page on the way;
//! screenshots `users-*.png`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::browser::Browser;
use worklife_tests::backends;
use worklife_tests::reports_common::*;

#[test]
fn an_admin_invites_a_manager_who_sets_a_password_and_signs_in() {
    let Some(browser) = Browser::start() else {
        return;
    };
    for backend in backends() {
        let tag = format!("{backend:?}").to_lowercase();
        let f = fixture(backend);
        let app = &f.app;

        browser.go(&app.url("/login"));
        browser.sign_in(ADMIN, &f.passwords[ADMIN]);
        browser.click(&browser.find("header.top a.users-link"));
        browser.wait_for_url("/admin/users");
        assert_eq!(browser.text(&browser.find("h1")), "Users");
        browser.screenshot(&format!("users-{tag}-1-users"));
        browser.assert_accessible("users");
        browser.run("document.getElementById('add').scrollIntoView(); return 0;");
        browser.screenshot(&format!("users-{tag}-1b-add-form"));

        // A manager without a unit: the problem is next to the unit field.
        browser.type_into(&browser.find("#email"), "nora@example.org");
        browser.click(&browser.find("input[name=role][value=manager]"));
        browser.click(&browser.find("form#add button[type=submit]"));
        assert!(browser
            .text(&browser.find("#unit-problem"))
            .contains("a manager needs a unit"));
        assert_eq!(browser.run("return document.activeElement.id;"), "problems");
        browser.assert_accessible("users with a problem");
        browser.type_into(&browser.find("#unit"), "Acme/Sales");
        browser.click(&browser.find("form#add button[type=submit]"));
        let link = browser.attribute(&browser.find("#secret"), "value");
        assert!(link.contains("/welcome/"), "{link}");
        browser.screenshot(&format!("users-{tag}-2-link-shown-once"));
        browser.assert_accessible("the invitation link shown once");

        // The API tokens page with a new token.
        browser.click(&browser.find("header.top a.tokens-link"));
        browser.wait_for_url("/admin/tokens");
        browser.assert_accessible("API tokens");
        let owner = browser.find("#owner");
        browser.type_into(&owner, VIEWER);
        browser.type_into(&browser.find("#name"), "BI dashboard");
        browser.click(&browser.find("form#create button[type=submit]"));
        let token = browser.attribute(&browser.find("#secret"), "value");
        assert!(token.starts_with("wlt_"), "{token}");
        browser.screenshot(&format!("users-{tag}-3-token-shown-once"));
        browser.assert_accessible("a new API token");

        // Signed out, the manager opens the link and chooses a password.
        browser.click(&browser.find("header.top form.logout button"));
        browser.wait_for_url("/login");
        browser.go(&link);
        assert_eq!(
            browser.text(&browser.find("h1")),
            "Welcome to Worklife reports"
        );
        browser.assert_accessible("welcome");
        browser.type_into(&browser.find("#password"), "correct horse battery");
        browser.type_into(&browser.find("#again"), "correct horse battery");
        browser.screenshot(&format!("users-{tag}-4-welcome"));
        browser.click(&browser.find("#set-password"));
        browser.wait_for_url("/login?welcome=1");
        assert!(browser
            .text(&browser.find("main"))
            .contains("Your password is set"));
        browser.sign_in("nora@example.org", "correct horse battery");
        assert!(browser
            .text(&browser.find("header.top .who"))
            .contains("manager of Acme/Sales"));
        browser.click(&browser.find("header.top form.logout button"));
        browser.wait_for_url("/login");
    }
}
