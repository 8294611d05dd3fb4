//! What a respondent meets, over HTTP against the real app, on SQLite and PostgreSQL: the
//! form in every language, submitting once, the thank-you page, refusals that store nothing,
//! the JSON API under the same rules, closed waves, and many submissions of one link at once.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::{Arc, Barrier};

use survey_engine::instrument::builtin;
use worklife_tests::backends;
use worklife_tests::survey_common::*;

const FAR: &str = "2099-12-31";

/// The text of every `<legend>`, tags stripped, character references undone.
fn legends(html: &str) -> Vec<String> {
    html.split("<legend>")
        .skip(1)
        .filter_map(|rest| rest.split_once("</legend>").map(|(inside, _)| inside))
        .map(html_text)
        .collect()
}

fn responses(ws: &worklife_tests::Workspace) -> i64 {
    count(&mut ws.pool().get().unwrap(), "responses")
}

#[test]
fn the_form_renders_every_language_of_both_instruments() {
    for backend in backends() {
        let ws = workspace(backend);
        let pulse = open_wave(&ws, "Q-pulse", "worklife-pulse", "2026-01-01", FAR);
        let core = open_wave(&ws, "Q-core", "worklife-core", "2026-01-01", FAR);
        assert_eq!((pulse.len(), core.len()), (6, 6));
        let address = serve(&ws);

        for (id, token) in [("worklife-pulse", &pulse[0]), ("worklife-core", &core[0])] {
            let instrument = builtin::load(id).unwrap().unwrap();
            let languages = instrument.languages();
            assert_eq!(languages, ["en", "de"], "{id} ships English and German");
            let url = format!("{address}/s/{token}");
            for lang in languages {
                let page = get(&format!("{url}?lang={lang}"), Some("fr"));
                let ctx = format!("{backend:?} {id} {lang}");
                assert_eq!(page.status, 200, "{ctx}: {}", page.body);
                assert!(page.content_type().starts_with("text/html"), "{ctx}");
                let html = &page.body;
                let text = page.text();
                assert!(html.contains(&format!("<html lang=\"{lang}\">")), "{ctx}");
                assert!(html.contains("<meta name=\"viewport\""), "{ctx}");
                // One script, from this origin, deferred: the form is a plain POST without it.
                assert_eq!(html.matches("<script").count(), 1, "{ctx}");
                assert!(
                    html.contains("<script src=\"/static/survey.js\" defer></script>"),
                    "{ctx}"
                );
                assert!(html.contains("<form method=\"post\""), "{ctx}");
                // The live progress bar is the script's to show: a count without it would
                // go stale while the respondent answers.
                assert!(html.contains("<div class=\"progress\" id=\"progress\" hidden"));
                // The organisation's name, the size of the survey and its closing time on
                // the organisation's clock (UTC by default).
                assert!(text.contains(ORGANISATION), "{ctx}");
                let (questions, closes) = match lang {
                    "de" => (
                        format!("{} Fragen, etwa", instrument.items.len()),
                        "Geöffnet bis 31.12.2099, 00:00 UTC.",
                    ),
                    _ => (
                        format!("{} questions, about", instrument.items.len()),
                        "Open until 2099-12-31 00:00 UTC.",
                    ),
                };
                assert!(text.contains(&questions), "{ctx}: {questions}");
                assert!(text.contains(closes), "{ctx}: {closes}");

                // One fieldset and legend per item, the item's text in this language.
                let t = instrument.translations.get(lang);
                let item_text = |i: &survey_engine::instrument::Item| {
                    t.and_then(|t| t.items.get(&i.id))
                        .unwrap_or(&i.text)
                        .clone()
                };
                let shown = legends(html);
                assert_eq!(shown.len(), instrument.items.len(), "{ctx}");
                assert_eq!(
                    html.matches("<fieldset").count(),
                    instrument.items.len(),
                    "{ctx}"
                );
                // Grouped by scale: legends follow the scales' order.
                let mut expected = Vec::new();
                for s in 0..instrument.scales.len() {
                    for &i in instrument.scale_items(s) {
                        expected.push(item_text(&instrument.items[i]));
                    }
                }
                for (legend, item) in shown.iter().zip(&expected) {
                    assert!(
                        legend.ends_with(item.as_str()),
                        "{ctx}: {legend:?} vs {item:?}"
                    );
                }
                for scale in &instrument.scales {
                    let label = t
                        .and_then(|t| t.scales.get(&scale.id))
                        .unwrap_or(&scale.label);
                    assert!(text.contains(&format!(">{label}</h2>")), "{ctx}: {label}");
                }
                // Radio buttons carry the real scale labels, plus "no answer", per item.
                let points = instrument.response_scale.labels.len();
                assert_eq!(
                    html.matches("type=\"radio\"").count(),
                    instrument.items.len() * (points + 1),
                    "{ctx}"
                );
                let labels = t
                    .and_then(|t| t.labels.clone())
                    .unwrap_or(instrument.response_scale.labels.clone());
                for label in &labels {
                    assert_eq!(
                        text.matches(&format!("<span>{label}</span>")).count(),
                        instrument.items.len(),
                        "{ctx}: label {label:?} once per item"
                    );
                }
                for item in &instrument.items {
                    assert_eq!(
                        html.matches(&format!("name=\"{}\"", item.id)).count(),
                        points + 1,
                        "{ctx}"
                    );
                }

                // The privacy statement, with k and the report attribute.
                let (k_phrase, never, partial) = match lang {
                    "de" => (
                        "nur für Gruppen von mindestens 3 Personen",
                        "Ihr Name, Ihre E-Mail-Adresse, dieser Link, Ihre IP-Adresse oder der Zeitpunkt Ihrer Antwort",
                        "Teilweise ausgefüllte Antworten werden nie gespeichert",
                    ),
                    _ => (
                        "only see results for groups of at least 3 people",
                        "your name, your email address, this link, your IP address or the time you answered",
                        "Partial answers are never saved",
                    ),
                };
                for phrase in [k_phrase, never, partial, "(tenure)"] {
                    assert!(
                        text.contains(phrase),
                        "{ctx}: privacy statement lacks {phrase:?}"
                    );
                }
                // A visible switcher to every language.
                assert!(html.contains("href=\"?lang=en\"") && html.contains("href=\"?lang=de\""));
            }

            // Accept-Language picks German; ?lang= overrides it.
            let de = get(&url, Some("de-DE,de;q=0.9,en;q=0.5"));
            assert!(de.body.contains("<html lang=\"de\">"), "{backend:?} {id}");
            let first_de = &instrument.translations["de"].items[&instrument.items[0].id];
            assert!(de.text().contains(first_de.as_str()));
            assert!(de.text().contains("Antworten absenden"));
            let en = get(&format!("{url}?lang=en"), Some("de"));
            assert!(en.body.contains("<html lang=\"en\">"));
            assert!(en.text().contains("Send my answers"));
            let fallback = get(&url, Some("fr-FR, it;q=0.5"));
            assert!(
                fallback.body.contains("<html lang=\"en\">"),
                "own language otherwise"
            );
        }

        let css = get(&format!("{address}/static/survey.css"), None);
        assert_eq!(css.status, 200);
        assert!(css.content_type().starts_with("text/css"));
        assert!(css.body.contains(":focus-visible") && css.body.contains("@media"));
        assert_eq!(responses(&ws), 0, "showing the form stores nothing");
    }
}

#[test]
fn the_form_script_reads_the_form_and_stores_and_sends_nothing() {
    let ws = workspace(worklife_tests::Backend::Sqlite);
    let address = serve(&ws);
    let js = get(&format!("{address}/static/survey.js"), None);
    assert_eq!(js.status, 200);
    assert!(js.content_type().starts_with("text/javascript"));
    // Answers are sensitive: the script keeps nothing in the browser and makes no request
    // of its own; they leave only with the form's own POST (A5).
    for api in [
        "localStorage",
        "sessionStorage",
        "indexedDB",
        "document.cookie",
        "fetch(",
        "XMLHttpRequest",
        "sendBeacon",
        "WebSocket",
        ".submit(",
        "caches.",
    ] {
        assert!(!js.body.contains(api), "survey.js uses {api}");
    }
    assert!(js.body.contains("progress") && js.body.contains("error-summary"));
}

/// Answers to worklife-pulse: workload 2, control 4, reward 1, community 5, fairness 3,
/// values 4, exhaustion (5+4)/2, cynicism 2 (one of two), efficacy skipped, recovery 1.
const PULSE_ANSWERS: &str = "p_wl1=2&p_ct1=4&p_rw1=1&p_cm1=5&p_fr1=3&p_vl1=4&p_ex1=5&p_ex2=4\
                             &p_cy1=2&p_cy2=&p_rc1=1";

#[test]
fn submitting_stores_one_response_and_shows_own_scores_and_support() {
    for backend in backends() {
        let ws = workspace(backend);
        let tokens = open_wave(&ws, "Q4", "worklife-pulse", "2026-01-01", FAR);
        let address = serve(&ws);
        let url = format!("{address}/s/{}", tokens[0]);
        assert_eq!(get(&url, None).status, 200);

        let thanks = post_form(&url, &format!("lang=en&{PULSE_ANSWERS}"));
        assert_eq!(thanks.status, 200, "{backend:?}: {}", thanks.body);
        let text = thanks.text();
        assert!(thanks.body.contains("<html lang=\"en\">"));
        for expected in [
            "Thank you",
            "Your answers have been received",
            "Your own results",
            "are not stored",
            // Own scores, labelled, with what high and low mean.
            "<h3>Workload</h3>",
            "<strong>2.0 of 5</strong>",
            "<h3>Exhaustion</h3>",
            "<strong>4.5 of 5</strong>",
            "Higher means more strain.",
            "Higher is better.",
            "A high score means you feel drained by your work.",
            "A low score means there is more work than time to do it well.",
            "Not enough answers for a score.",
            // Suggestions for the two weakest areas (reward 1, workload 2) and for strain.
            "Your lowest-scoring areas of work were Reward and Workload.",
            "Keep a short list of what you achieved each month",
            "Protect one block of focused time a day",
            "Protect your sleep",
            "Use your leave",
            // Support from the settings.
            &format!("href=\"{EAP_URL}\""),
            EAP_PHONE,
            CRISIS,
            ORGANISATION,
        ] {
            assert!(text.contains(expected), "{backend:?}: missing {expected:?}");
        }
        // Exactly one response, with exactly the answers given.
        let mut conn = ws.pool().get().unwrap();
        let stored = sheets(&mut conn);
        assert_eq!(stored.len(), 1, "{backend:?}");
        let answers = stored.values().next().unwrap();
        assert_eq!(
            answers,
            &[
                "p_cm1=5", "p_ct1=4", "p_cy1=2", "p_ex1=5", "p_ex2=4", "p_fr1=3", "p_rc1=1",
                "p_rw1=1", "p_vl1=4", "p_wl1=2"
            ]
        );

        // The same link again: gone, for the form and for a second submission.
        let again = get(&url, None);
        assert_eq!(again.status, 410);
        assert!(again.text().contains("This link has been used already"));
        assert!(again.text().contains(CRISIS), "support stays in reach");
        let twice = post_form(&url, "p_wl1=5");
        assert_eq!(twice.status, 410);
        assert_eq!(
            sheets(&mut conn).len(),
            1,
            "{backend:?}: nothing more stored"
        );

        // A German respondent reads German, with German numbers.
        let de = post_form(
            &format!("{address}/s/{}", tokens[1]),
            &format!("lang=de&{PULSE_ANSWERS}"),
        );
        assert_eq!(de.status, 200);
        let de_text = de.text();
        for expected in [
            "<html lang=\"de\">",
            "Vielen Dank",
            "<strong>2,0 von 5</strong>",
            "<strong>4,5 von 5</strong>",
            "Höher bedeutet mehr Belastung.",
            "Ihre am niedrigsten bewerteten Bereiche waren Anerkennung und Arbeitsmenge.",
            "Schützen Sie Ihren Schlaf",
            EAP_PHONE,
        ] {
            assert!(
                de_text.contains(expected),
                "{backend:?}: missing {expected:?}"
            );
        }
        let used_de = get(&format!("{address}/s/{}", tokens[1]), Some("de"));
        assert_eq!(used_de.status, 410);
        assert!(used_de
            .text()
            .contains("Dieser Link wurde bereits verwendet"));

        // An unknown link: 404, the same page whatever the link looks like, naming no one.
        let unknown = get(&format!("{address}/s/{}", "A".repeat(51)), None);
        assert_eq!(unknown.status, 404);
        assert!(unknown.text().contains("This link is not valid"));
        assert!(
            unknown.text().contains("ask your HR team"),
            "says what to do next"
        );
        let garbage = get(&format!("{address}/s/not-a-token"), None);
        assert_eq!(garbage.status, 404);
        assert_eq!(garbage.body, unknown.body, "no oracle in the page");
        for page in [&unknown, &garbage, &again] {
            assert!(!page.body.contains('@'), "no email address on error pages");
        }
        assert_eq!(sheets(&mut conn).len(), 2);
    }
}

#[test]
fn bad_submissions_are_refused_and_store_nothing() {
    for backend in backends() {
        let ws = workspace(backend);
        let tokens = open_wave(&ws, "Q4", "worklife-pulse", "2026-01-01", FAR);
        let address = serve(&ws);
        let url = format!("{address}/s/{}", tokens[0]);

        for (body, message) in [
            ("p_wl1=987", "Some answers could not be read"),
            ("p_wl1=0&p_ct1=3", "Some answers could not be read"),
            ("p_wl1=4&nope=3", "Some answers could not be read"),
            ("p_wl1=abc", "Some answers could not be read"),
            ("p_wl1=4.5", "Some answers could not be read"),
            ("p_wl1=3&p_wl1=4", "Some answers could not be read"),
            ("p_wl1=%FF", "Some answers could not be read"),
            ("", "Please answer at least one question"),
            (
                "lang=en&p_wl1=&p_ct1=",
                "Please answer at least one question",
            ),
        ] {
            let reply = post_form(&url, body);
            assert_eq!(reply.status, 400, "{backend:?} {body:?}: {}", reply.body);
            let text = reply.text();
            assert!(text.contains(message), "{backend:?} {body:?}");
            assert!(text.contains("Your answers were not sent"), "{body:?}");
            assert!(reply.body.contains("<fieldset"), "the form is shown again");
            assert!(
                !reply.body.contains("987"),
                "the refused value is not echoed"
            );
        }
        // What could be read is offered again (never stored): p_wl1=4 stays selected.
        let kept = post_form(&url, "p_wl1=4&nope=3");
        assert!(kept.body.contains("name=\"p_wl1\" value=\"4\" checked"));

        // Not a form at all, or far too large.
        let json = client()
            .post(&url)
            .content_type("application/json")
            .send("{\"p_wl1\": 3}")
            .unwrap();
        assert_eq!(json.status().as_u16(), 400);
        let huge = format!("p_wl1=3&filler={}", "x".repeat(80 * 1024));
        let too_large = post_form(&url, &huge);
        assert_eq!(too_large.status, 413, "{backend:?}");
        assert!(too_large.text().contains("Too much data"));

        assert_eq!(responses(&ws), 0, "{backend:?}: nothing stored");
        // The link was not used up by any of it.
        assert_eq!(get(&url, None).status, 200);
        assert_eq!(post_form(&url, "p_wl1=3").status, 200);
        assert_eq!(responses(&ws), 1);
    }
}

#[test]
fn the_json_api_follows_the_same_rules() {
    for backend in backends() {
        let ws = workspace(backend);
        let tokens = open_wave(&ws, "Q4", "worklife-pulse", "2026-01-01", FAR);
        let address = serve(&ws);
        let api = format!("{address}/api/v1/responses");
        let t0 = &tokens[0];

        for (body, status) in [
            (
                format!(r#"{{"token":"{t0}","answers":{{"p_wl1":9}}}}"#),
                400,
            ),
            (format!(r#"{{"token":"{t0}","answers":{{"nope":3}}}}"#), 400),
            (format!(r#"{{"token":"{t0}","answers":{{}}}}"#), 400),
            (
                format!(r#"{{"token":"{t0}","answers":{{"p_wl1":null}}}}"#),
                400,
            ),
            (
                format!(r#"{{"token":"{t0}","answers":{{"p_wl1":"4"}}}}"#),
                400,
            ),
            (
                format!(r#"{{"token":"{t0}","answers":{{"p_wl1":4.5}}}}"#),
                400,
            ),
            (
                format!(r#"{{"token":"{t0}","answers":{{"p_wl1":4}},"ip":"1"}}"#),
                400,
            ),
            (format!(r#"{{"token":"{t0}","answers":[4]}}"#), 400),
            (r#"{"answers":{"p_wl1":4}}"#.to_string(), 400),
            (format!(r#"{{"token":"{t0}","answers":{{"p_wl1":4"#), 400),
            ("not json".to_string(), 400),
            (r#"{"token":"nope","answers":{"p_wl1":4}}"#.to_string(), 404),
            (
                format!(
                    r#"{{"token":"{t0}","answers":{{"p_wl1":4}},"x":"{}"}}"#,
                    "y".repeat(80 * 1024)
                ),
                413,
            ),
        ] {
            let reply = post_json(&api, &body);
            assert_eq!(
                reply.status, status,
                "{backend:?} {:.80}: {}",
                body, reply.body
            );
            assert!(reply.content_type().starts_with("application/json"));
            assert!(reply.json()["error"].is_string(), "{}", reply.body);
            // Error messages quote neither answers nor the token (A4).
            for secret in ["987", "marker", "4.5", t0.as_str()] {
                assert!(!reply.body.contains(secret), "{backend:?}: {}", reply.body);
            }
        }
        assert_eq!(responses(&ws), 0, "{backend:?}: refusals store nothing");

        // An item sent twice is refused as the form refuses it, naming the item (never the
        // answers), and the link still works.
        let twice = post_json(
            &api,
            &format!(r#"{{"token":"{t0}","answers":{{"p_wl1":4,"p_ex1":5,"p_wl1":2}}}}"#),
        );
        assert_eq!(twice.status, 400, "{backend:?}: {}", twice.body);
        assert_eq!(
            twice.json()["error"],
            "answers: item \"p_wl1\" is answered twice; send each item once"
        );
        assert_eq!(responses(&ws), 0, "{backend:?}");

        let ok = post_json(
            &api,
            &format!(r#"{{"token":"{t0}","answers":{{"p_wl1":4,"p_ex1":5,"p_ex2":null}}}}"#),
        );
        assert_eq!(ok.status, 201, "{backend:?}: {}", ok.body);
        let json = ok.json();
        assert_eq!(json["status"], "received");
        assert_eq!(json["scores"]["workload"], 4.0);
        assert_eq!(json["scores"]["exhaustion"], 5.0);
        assert!(json["scores"]["reward"].is_null());
        assert_eq!(responses(&ws), 1);

        let again = post_json(
            &api,
            &format!(r#"{{"token":"{t0}","answers":{{"p_wl1":4}}}}"#),
        );
        assert_eq!(again.status, 410);
        assert!(again.json()["error"]
            .as_str()
            .unwrap()
            .contains("used already"));
        // The form agrees: the link is used.
        assert_eq!(get(&format!("{address}/s/{t0}"), None).status, 410);
        assert_eq!(responses(&ws), 1);
    }
}

#[test]
fn respondents_keep_their_own_connections_when_every_other_one_is_taken() {
    for backend in backends() {
        let ws = workspace(backend);
        let tokens = open_wave(&ws, "Q4", "worklife-pulse", "2026-01-01", FAR);
        // Every connection of the main pool is held, as a login flood or slow reports would.
        let main = worklife_server::db::DbPool::connect(&ws.db.url, 2).unwrap();
        let address = serve_on(&ws, main.clone());
        let held: Vec<_> = (0..2).map(|_| main.get().unwrap()).collect();
        assert_eq!(get(&format!("{address}/s/{}", tokens[0]), None).status, 200);
        let stored = post_json(
            &format!("{address}/api/v1/responses"),
            &format!(r#"{{"token":"{}","answers":{{"p_wl1":4}}}}"#, tokens[0]),
        );
        assert_eq!(stored.status, 201, "{backend:?}: {}", stored.body);
        assert_eq!(get(&format!("{address}/readyz"), None).status, 200);
        assert_eq!(responses(&ws), 1);
        drop(held);
    }
}

#[test]
fn links_of_a_closed_wave_no_longer_work() {
    for backend in backends() {
        let ws = workspace(backend);
        // Past its closing time but not yet closed by HR: the links answer "closed". (The
        // invitations go out while it is open; nothing is sent after its closing time.)
        let closes = chrono::Utc::now() + chrono::Duration::seconds(2);
        let late = open_wave(
            &ws,
            "late",
            "worklife-pulse",
            "2020-01-01",
            &closes.format("%Y-%m-%d %H:%M:%S").to_string(),
        );
        let current = open_wave(&ws, "current", "worklife-pulse", "2026-01-01", FAR);
        let left = (closes - chrono::Utc::now()).num_milliseconds().max(0) as u64;
        std::thread::sleep(std::time::Duration::from_millis(left + 500));
        let address = serve(&ws);
        let api = format!("{address}/api/v1/responses");

        let url = format!("{address}/s/{}", late[0]);
        let page = get(&url, None);
        assert_eq!(page.status, 410, "{backend:?}");
        assert!(page.text().contains("This survey is closed"));
        assert!(page
            .text()
            .contains("the next survey will come with a new link"));
        assert_eq!(post_form(&url, "p_wl1=3").status, 410);
        let json = post_json(
            &api,
            &format!(r#"{{"token":"{}","answers":{{"p_wl1":3}}}}"#, late[0]),
        );
        assert_eq!(json.status, 410);
        assert_eq!(json.json()["error"], "This survey is closed.");

        // Closed by HR: token hashes are destroyed (A3); the wave's public tag in the link
        // still tells that the survey closed.
        assert_eq!(
            post_form(&format!("{address}/s/{}", current[0]), "p_wl1=3").status,
            200
        );
        ws.ok(&["wave", "close", "current"]);
        for token in [&current[0], &current[1]] {
            let page = get(&format!("{address}/s/{token}"), None);
            assert_eq!(page.status, 410, "{backend:?}");
            assert!(page.text().contains("This survey is closed"));
            assert_eq!(
                post_form(&format!("{address}/s/{token}"), "p_wl1=3").status,
                410
            );
            let json = post_json(
                &api,
                &format!(r#"{{"token":"{token}","answers":{{"p_wl1":3}}}}"#),
            );
            assert_eq!(json.status, 410);
        }
        assert_eq!(
            responses(&ws),
            1,
            "{backend:?}: only the answer given while open"
        );
    }
}

#[test]
fn fifty_concurrent_submissions_of_one_token_store_exactly_one() {
    for backend in backends() {
        let ws = workspace(backend);
        let tokens = open_wave(&ws, "Q4", "worklife-pulse", "2026-01-01", FAR);
        let address = serve(&ws);
        let token = tokens[0].clone();
        let start = Arc::new(Barrier::new(50));
        let threads: Vec<_> = (0..50)
            .map(|i| {
                let (address, token, start) = (address.clone(), token.clone(), start.clone());
                std::thread::spawn(move || {
                    // Each thread its own client and connection; half use the form, half the API.
                    let agent = client();
                    start.wait();
                    let response = if i % 2 == 0 {
                        agent
                            .post(&format!("{address}/s/{token}"))
                            .content_type("application/x-www-form-urlencoded")
                            .send(PULSE_ANSWERS)
                    } else {
                        agent
                            .post(&format!("{address}/api/v1/responses"))
                            .content_type("application/json")
                            .send(format!(
                                r#"{{"token":"{token}","answers":{{"p_wl1":2,"p_ct1":4}}}}"#
                            ))
                    };
                    response.unwrap().status().as_u16()
                })
            })
            .collect();
        let mut statuses: Vec<u16> = threads.into_iter().map(|t| t.join().unwrap()).collect();
        statuses.sort_unstable();
        let stored = statuses.iter().filter(|s| **s == 200 || **s == 201).count();
        let gone = statuses.iter().filter(|s| **s == 410).count();
        assert_eq!((stored, gone), (1, 49), "{backend:?}: {statuses:?}");
        let mut conn = ws.pool().get().unwrap();
        assert_eq!(count(&mut conn, "responses"), 1, "{backend:?}");
        let answers = count(&mut conn, "answers");
        assert!(
            answers == 10 || answers == 2,
            "{backend:?}: one sheet's answers: {answers}"
        );
    }
}
