//! The respondent's language: picked from `?lang=`, then `Accept-Language`, among the
//! languages on offer; and the interface strings in English and German.
//!
//! The strings are Rust constants rather than a file so that a missing German string is a
//! compile error, not a blank button. Placeholders in braces (`{k}`) are filled by [`fill`].

/// Interface strings of one language.
pub struct Ui {
    pub lang: &'static str,
    pub skip_to_questions: &'static str,
    pub language: &'static str,
    pub footer: &'static str,
    // the form
    pub open_until: &'static str,
    pub how_to: &'static str,
    pub no_answer: &'static str,
    pub submit: &'static str,
    pub submit_note: &'static str,
    pub comments_heading: &'static str,
    pub comments_hint: &'static str,
    pub privacy_heading: &'static str,
    pub privacy_stored: &'static str,
    pub privacy_stored_groups: &'static str,
    pub privacy_never: &'static str,
    pub privacy_who: &'static str,
    pub privacy_partial: &'static str,
    pub privacy_after: &'static str,
    pub privacy_close: &'static str,
    /// `{total}` questions, about `{minutes}` minutes: under the title, from the server.
    pub estimate: &'static str,
    /// The same for a survey of one minute or less.
    pub estimate_short: &'static str,
    /// The live progress bar (shown only where the script runs): `{answered}` of `{total}`.
    pub progress_label: &'static str,
    pub progress_count: &'static str,
    /// Time left, `{minutes}` > 1.
    pub progress_left: &'static str,
    pub progress_left_one: &'static str,
    pub progress_done: &'static str,
    pub errors_heading: &'static str,
    pub error_nothing: &'static str,
    pub error_invalid: &'static str,
    /// `{question}` is the question's text.
    pub error_unreadable: &'static str,
    /// Next to a question whose answer could not be read.
    pub error_item: &'static str,
    /// The word screen readers hear before an error next to a question.
    pub error_prefix: &'static str,
    // the thank-you page
    pub thanks_title: &'static str,
    pub thanks_received: &'static str,
    pub results_heading: &'static str,
    pub results_private: &'static str,
    pub results_not_diagnosis: &'static str,
    pub score_of: &'static str,
    pub higher_better: &'static str,
    pub higher_worse: &'static str,
    pub no_score: &'static str,
    pub ideas_heading: &'static str,
    pub ideas_areas: &'static str,
    pub ideas_and: &'static str,
    pub ideas_strain: &'static str,
    pub support_heading: &'static str,
    pub support_intro: &'static str,
    pub support_eap: &'static str,
    pub support_phone: &'static str,
    pub support_crisis: &'static str,
    // error pages
    pub not_found_title: &'static str,
    pub not_found_body: &'static str,
    pub not_found_next: &'static str,
    pub used_title: &'static str,
    pub used_body: &'static str,
    pub used_next: &'static str,
    pub closed_title: &'static str,
    pub closed_body: &'static str,
    pub closed_next: &'static str,
    pub bad_request_title: &'static str,
    pub bad_request_body: &'static str,
    pub bad_request_next: &'static str,
    pub too_large_title: &'static str,
    pub too_large_body: &'static str,
    pub server_error_title: &'static str,
    pub server_error_body: &'static str,
    pub server_error_next: &'static str,
    pub page_not_found_title: &'static str,
    pub page_not_found_body: &'static str,
}

pub const EN: Ui = Ui {
    lang: "en",
    skip_to_questions: "Skip to the questions",
    language: "Language",
    footer: "Anonymous worklife survey of {organisation}",
    open_until: "Open until {date}.",
    how_to: "For each statement, choose how much you agree. You can skip any question you \
             prefer not to answer.",
    no_answer: "No answer",
    submit: "Send my answers",
    submit_note: "Nothing is saved until you press the button. Your link works once.",
    comments_heading: "In your own words (optional)",
    comments_hint: "At most 2,000 characters. Please name no one: names, e-mail addresses, phone \
                    numbers and links are removed before anything is stored, and comments are \
                    only shown where at least {n} people wrote one.",
    privacy_heading: "Your privacy",
    privacy_stored: "What is stored: your answers and the team you belonged to when you were \
                     invited.",
    privacy_stored_groups: "What is stored: your answers, the team you belonged to when you \
                            were invited, and your group in this survey's reports ({groups}), \
                            taken from the staff list.",
    privacy_never: "Never stored with your answers: your name, your email address, this link, \
                    your IP address or the time you answered.",
    privacy_who: "Who sees what: HR and managers only see results for groups of at least {k} \
                  people, and never anything that would let them work out the answers of a \
                  smaller group. Reports never show anyone's individual answers.",
    privacy_partial: "Partial answers are never saved: if you leave this page without sending, \
                      nothing is kept.",
    privacy_after: "After sending, you will see your own scores and some suggestions. They are \
                    shown only to you and are not stored.",
    privacy_close: "When the survey closes, the links stop working and every record of who \
                    answered is deleted.",
    estimate: "{total} questions, about {minutes} minutes.",
    estimate_short: "{total} questions, about a minute.",
    progress_label: "Your progress",
    progress_count: "{answered} of {total} answered",
    progress_left: "about {minutes} minutes left",
    progress_left_one: "about a minute left",
    progress_done: "all answered: you can send",
    errors_heading: "Your answers were not sent",
    error_nothing: "Please answer at least one question before sending.",
    error_invalid: "Some answers could not be read. Please check your choices and send again.",
    error_unreadable: "The answer to \u{201c}{question}\u{201d} could not be read.",
    error_item: "This answer could not be read: please choose again.",
    error_prefix: "Error:",
    thanks_title: "Thank you",
    thanks_received: "Your answers have been received. Your link no longer works, so nobody \
                      can change them.",
    results_heading: "Your own results",
    results_private: "Only you see this page. Your scores are not stored and nobody else can \
                      see them. If you want to keep them, print or save this page now: it \
                      cannot be shown again.",
    results_not_diagnosis: "The scores describe how you see your work right now, on a scale \
                            from {min} to {max}. They are not a diagnosis.",
    score_of: "{score} of {max}",
    higher_better: "Higher is better.",
    higher_worse: "Higher means more strain.",
    no_score: "Not enough answers for a score.",
    ideas_heading: "Ideas for you",
    ideas_areas: "Your lowest-scoring areas of work were {areas}. Some things that often help:",
    ideas_and: "and",
    ideas_strain: "Your answers suggest strain here. Some things that often help:",
    support_heading: "Support",
    support_intro: "If work is weighing on you, you don't have to deal with it alone. \
                    {organisation} offers confidential support:",
    support_eap: "Employee assistance programme (confidential counselling)",
    support_phone: "Phone",
    support_crisis: "In a crisis",
    not_found_title: "This link is not valid",
    not_found_body: "This survey link is not valid. It may be incomplete, or it belongs to a \
                     survey that has closed: when a survey closes, its links are deleted.",
    not_found_next: "Open the link again from your invitation email, making sure you copy all \
                     of it. If it still does not work, ask your HR team.",
    used_title: "This link has been used already",
    used_body: "Answers were received through this link. Each link works once, so the survey \
                cannot be answered with it again.",
    used_next: "There is nothing more to do. If you did not send answers yourself, please \
                tell your HR team.",
    closed_title: "This survey is closed",
    closed_body: "This survey no longer accepts answers.",
    closed_next: "Results are shared with teams once they are ready. Thank you for your \
                  interest; the next survey will come with a new link.",
    bad_request_title: "The answers could not be read",
    bad_request_body: "What was sent is not a valid set of answers. Nothing was saved.",
    bad_request_next: "Open the survey again from the link in your invitation email and send \
                       your answers from there.",
    too_large_title: "Too much data",
    too_large_body: "What was sent is far larger than any set of answers. Nothing was saved.",
    server_error_title: "Something went wrong",
    server_error_body: "The survey could not be shown or saved because of a problem on our \
                        side.",
    server_error_next: "Please try again in a few minutes with the same link. If it then says \
                        the link was used already, your answers were received.",
    page_not_found_title: "Page not found",
    page_not_found_body: "There is no page at this address. To answer the survey, use the \
                          link in your invitation email.",
};

pub const DE: Ui = Ui {
    lang: "de",
    skip_to_questions: "Direkt zu den Fragen",
    language: "Sprache",
    footer: "Anonyme Worklife-Befragung von {organisation}",
    open_until: "Geöffnet bis {date}.",
    how_to: "Wählen Sie bei jeder Aussage, wie sehr Sie zustimmen. Sie können jede Frage \
             überspringen, die Sie nicht beantworten möchten.",
    no_answer: "Keine Angabe",
    submit: "Antworten absenden",
    submit_note: "Erst mit dem Klick auf die Schaltfläche wird etwas gespeichert. Ihr Link \
                  funktioniert nur einmal.",
    comments_heading: "In Ihren eigenen Worten (freiwillig)",
    comments_hint: "Höchstens 2.000 Zeichen. Bitte nennen Sie niemanden: Namen, E-Mail-Adressen, \
                    Telefonnummern und Links werden vor dem Speichern entfernt, und Kommentare \
                    werden nur dort gezeigt, wo mindestens {n} Personen einen geschrieben haben.",
    privacy_heading: "Ihre Privatsphäre",
    privacy_stored: "Was gespeichert wird: Ihre Antworten und das Team, zu dem Sie zum \
                     Zeitpunkt der Einladung gehörten.",
    privacy_stored_groups: "Was gespeichert wird: Ihre Antworten, das Team, zu dem Sie zum \
                            Zeitpunkt der Einladung gehörten, und Ihre Gruppe in den \
                            Auswertungen dieser Befragung ({groups}), aus der \
                            Mitarbeitendenliste übernommen.",
    privacy_never: "Niemals mit Ihren Antworten gespeichert: Ihr Name, Ihre E-Mail-Adresse, \
                    dieser Link, Ihre IP-Adresse oder der Zeitpunkt Ihrer Antwort.",
    privacy_who: "Wer was sieht: Personalabteilung und Führungskräfte sehen Ergebnisse nur \
                  für Gruppen von mindestens {k} Personen und niemals etwas, woraus sie die \
                  Antworten einer kleineren Gruppe ableiten könnten. Auswertungen zeigen nie \
                  die Antworten einzelner Personen.",
    privacy_partial: "Teilweise ausgefüllte Antworten werden nie gespeichert: Wenn Sie diese \
                      Seite verlassen, ohne abzusenden, bleibt nichts erhalten.",
    privacy_after: "Nach dem Absenden sehen Sie Ihre eigenen Werte und einige Anregungen. Sie \
                    werden nur Ihnen angezeigt und nicht gespeichert.",
    privacy_close: "Wenn die Befragung endet, funktionieren die Links nicht mehr und jede \
                    Aufzeichnung darüber, wer geantwortet hat, wird gelöscht.",
    estimate: "{total} Fragen, etwa {minutes} Minuten.",
    estimate_short: "{total} Fragen, etwa eine Minute.",
    progress_label: "Ihr Fortschritt",
    progress_count: "{answered} von {total} beantwortet",
    progress_left: "noch etwa {minutes} Minuten",
    progress_left_one: "noch etwa eine Minute",
    progress_done: "alle beantwortet: Sie können absenden",
    errors_heading: "Ihre Antworten wurden nicht gesendet",
    error_nothing: "Bitte beantworten Sie vor dem Absenden mindestens eine Frage.",
    error_invalid: "Einige Antworten konnten nicht gelesen werden. Bitte prüfen Sie Ihre \
                    Auswahl und senden Sie erneut.",
    error_unreadable: "Die Antwort auf \u{201e}{question}\u{201c} konnte nicht gelesen werden.",
    error_item: "Diese Antwort konnte nicht gelesen werden: Bitte wählen Sie erneut.",
    error_prefix: "Fehler:",
    thanks_title: "Vielen Dank",
    thanks_received: "Ihre Antworten sind angekommen. Ihr Link funktioniert nicht mehr, \
                      sodass niemand sie ändern kann.",
    results_heading: "Ihre eigenen Ergebnisse",
    results_private: "Nur Sie sehen diese Seite. Ihre Werte werden nicht gespeichert und \
                      niemand sonst kann sie sehen. Wenn Sie sie behalten möchten, drucken \
                      oder speichern Sie diese Seite jetzt: Sie kann nicht noch einmal \
                      angezeigt werden.",
    results_not_diagnosis: "Die Werte beschreiben, wie Sie Ihre Arbeit im Moment erleben, \
                            auf einer Skala von {min} bis {max}. Sie sind keine Diagnose.",
    score_of: "{score} von {max}",
    higher_better: "Höher ist besser.",
    higher_worse: "Höher bedeutet mehr Belastung.",
    no_score: "Zu wenige Antworten für einen Wert.",
    ideas_heading: "Anregungen für Sie",
    ideas_areas: "Ihre am niedrigsten bewerteten Bereiche waren {areas}. Was oft hilft:",
    ideas_and: "und",
    ideas_strain: "Ihre Antworten deuten hier auf Belastung hin. Was oft hilft:",
    support_heading: "Unterstützung",
    support_intro: "Wenn Sie die Arbeit belastet, müssen Sie damit nicht allein bleiben. \
                    {organisation} bietet vertrauliche Unterstützung:",
    support_eap: "Mitarbeiterberatung (vertrauliche Beratung)",
    support_phone: "Telefon",
    support_crisis: "In einer Krise",
    not_found_title: "Dieser Link ist ungültig",
    not_found_body: "Dieser Befragungslink ist ungültig. Vielleicht ist er unvollständig, \
                     oder er gehört zu einer beendeten Befragung: Wenn eine Befragung endet, \
                     werden ihre Links gelöscht.",
    not_found_next: "Öffnen Sie den Link noch einmal aus Ihrer Einladungs-E-Mail und achten \
                     Sie darauf, ihn vollständig zu kopieren. Wenn er dann immer noch nicht \
                     funktioniert, wenden Sie sich an Ihre Personalabteilung.",
    used_title: "Dieser Link wurde bereits verwendet",
    used_body: "Über diesen Link sind bereits Antworten eingegangen. Jeder Link funktioniert \
                nur einmal, daher kann die Befragung damit nicht noch einmal beantwortet \
                werden.",
    used_next: "Sie müssen nichts weiter tun. Falls Sie selbst keine Antworten gesendet \
                haben, informieren Sie bitte Ihre Personalabteilung.",
    closed_title: "Diese Befragung ist beendet",
    closed_body: "Diese Befragung nimmt keine Antworten mehr an.",
    closed_next: "Die Ergebnisse werden mit den Teams geteilt, sobald sie vorliegen. Vielen \
                  Dank für Ihr Interesse; die nächste Befragung kommt mit einem neuen Link.",
    bad_request_title: "Die Antworten konnten nicht gelesen werden",
    bad_request_body: "Die gesendeten Daten sind keine gültigen Antworten. Es wurde nichts \
                       gespeichert.",
    bad_request_next: "Öffnen Sie die Befragung noch einmal über den Link in Ihrer \
                       Einladungs-E-Mail und senden Sie Ihre Antworten von dort.",
    too_large_title: "Zu viele Daten",
    too_large_body: "Die gesendeten Daten sind viel größer als jeder Satz Antworten. Es wurde \
                     nichts gespeichert.",
    server_error_title: "Etwas ist schiefgegangen",
    server_error_body: "Die Befragung konnte wegen eines Problems auf unserer Seite nicht \
                        angezeigt oder gespeichert werden.",
    server_error_next: "Bitte versuchen Sie es in einigen Minuten mit demselben Link noch \
                        einmal. Wenn es dann heißt, der Link sei bereits verwendet worden, \
                        sind Ihre Antworten angekommen.",
    page_not_found_title: "Seite nicht gefunden",
    page_not_found_body: "Unter dieser Adresse gibt es keine Seite. Um an der Befragung \
                          teilzunehmen, verwenden Sie den Link in Ihrer Einladungs-E-Mail.",
};

/// The languages the interface itself is written in.
pub const UI_LANGUAGES: [&str; 2] = ["en", "de"];

/// The interface strings for `lang` (by its primary subtag); English when there are none.
pub fn ui(lang: &str) -> &'static Ui {
    match primary(lang).as_str() {
        "de" => &DE,
        _ => &EN,
    }
}

/// Replaces `{name}` placeholders.
pub fn fill(template: &str, values: &[(&str, &str)]) -> String {
    let mut out = template.to_string();
    for (name, value) in values {
        out = out.replace(&format!("{{{name}}}"), value);
    }
    out
}

fn primary(tag: &str) -> String {
    tag.split(['-', '_'])
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
}

/// The offered language that best matches `tag`: the same tag, else the same primary subtag.
fn matching<'a>(tag: &str, offered: &[&'a str]) -> Option<&'a str> {
    let tag = tag.trim();
    if tag.is_empty() {
        return None;
    }
    offered
        .iter()
        .find(|o| o.eq_ignore_ascii_case(tag))
        .or_else(|| offered.iter().find(|o| primary(o) == primary(tag)))
        .copied()
}

/// Picks the language to show: an explicit choice (`?lang=` or the form's `lang` field) when
/// offered, else the best `Accept-Language` match, else the first offered language.
pub fn negotiate<'a>(
    chosen: Option<&str>,
    accept_language: Option<&str>,
    offered: &[&'a str],
) -> &'a str {
    if let Some(lang) = chosen.and_then(|c| matching(c, offered)) {
        return lang;
    }
    let mut ranges: Vec<(f32, usize, &str)> = accept_language
        .unwrap_or_default()
        .split(',')
        .enumerate()
        .filter_map(|(i, part)| {
            let mut pieces = part.split(';');
            let tag = pieces.next()?.trim();
            let q = pieces
                .find_map(|p| p.trim().strip_prefix("q=").map(str::trim))
                .map_or(Some(1.0), |q| q.parse::<f32>().ok())?;
            (q > 0.0 && !tag.is_empty()).then_some((q, i, tag))
        })
        .collect();
    ranges.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    for (_, _, tag) in ranges {
        if tag == "*" {
            break;
        }
        if let Some(lang) = matching(tag, offered) {
            return lang;
        }
    }
    offered.first().copied().unwrap_or("en")
}

/// A language's own name, for the switcher.
pub fn endonym(lang: &str) -> String {
    match primary(lang).as_str() {
        "en" => "English".into(),
        "de" => "Deutsch".into(),
        "fr" => "Français".into(),
        "es" => "Español".into(),
        "it" => "Italiano".into(),
        "nl" => "Nederlands".into(),
        "pt" => "Português".into(),
        "pl" => "Polski".into(),
        _ => lang.to_string(),
    }
}

/// A number with one decimal, written the way `lang` writes it.
pub fn decimal(value: f64, lang: &str) -> String {
    let text = format!("{value:.1}");
    if primary(lang) == "de" {
        text.replace('.', ",")
    } else {
        text
    }
}

/// A time on the organisation's clock (see `Settings::local_time`), written the way `lang`
/// writes it, with the zone's abbreviation ("CET", "UTC") so that nobody in another zone
/// misreads it.
pub fn datetime(t: chrono::DateTime<chrono_tz::Tz>, lang: &str) -> String {
    if primary(lang) == "de" {
        t.format("%d.%m.%Y, %H:%M %Z").to_string()
    } else {
        t.format("%Y-%m-%d %H:%M %Z").to_string()
    }
}

/// "A, B and C" in `lang`.
pub fn join_and(parts: &[String], ui: &Ui) -> String {
    match parts {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} {} {last}", init.join(", "), ui.ideas_and),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn explicit_choice_wins_when_offered() {
        assert_eq!(negotiate(Some("de"), Some("en"), &["en", "de"]), "de");
        assert_eq!(negotiate(Some("DE-at"), None, &["en", "de"]), "de");
        assert_eq!(negotiate(Some("fr"), Some("de"), &["en", "de"]), "de");
    }

    #[test]
    fn accept_language_by_quality_then_order() {
        let offered = ["en", "de"];
        assert_eq!(
            negotiate(None, Some("de-DE,de;q=0.9,en;q=0.8"), &offered),
            "de"
        );
        assert_eq!(
            negotiate(None, Some("fr, en;q=0.5, de;q=0.7"), &offered),
            "de"
        );
        assert_eq!(negotiate(None, Some("de;q=0, en-GB"), &offered), "en");
        assert_eq!(negotiate(None, Some("fr"), &offered), "en");
        assert_eq!(negotiate(None, Some("garbage;;q=x,,"), &offered), "en");
        assert_eq!(negotiate(None, None, &["de", "en"]), "de");
    }

    #[test]
    fn strings_fill_and_numbers_localise() {
        assert_eq!(
            fill(EN.score_of, &[("score", "3.5"), ("max", "5")]),
            "3.5 of 5"
        );
        assert_eq!(decimal(11.0 / 3.0, "de"), "3,7");
        assert_eq!(decimal(3.0, "en"), "3.0");
        assert_eq!(ui("de-CH").lang, "de");
        assert_eq!(ui("fr").lang, "en");
        assert_eq!(
            join_and(&["A".into(), "B".into(), "C".into()], &DE),
            "A, B und C"
        );
    }

    #[test]
    fn times_are_written_on_the_local_clock_with_the_zone() {
        let utc = chrono::NaiveDate::from_ymd_opt(2026, 12, 21)
            .and_then(|d| d.and_hms_opt(17, 0, 0))
            .unwrap_or_default();
        let berlin = utc.and_utc().with_timezone(&chrono_tz::Europe::Berlin);
        assert_eq!(datetime(berlin, "en"), "2026-12-21 18:00 CET");
        assert_eq!(datetime(berlin, "de"), "21.12.2026, 18:00 CET");
        let utc = utc.and_utc().with_timezone(&chrono_tz::UTC);
        assert_eq!(datetime(utc, "en"), "2026-12-21 17:00 UTC");
    }
}
