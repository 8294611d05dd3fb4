//! Report rows and their CSVs, as a reader sees them: exact figures for a hand-made
//! organisation, snake_case statuses, cuts in the items CSV, changes against a previous wave.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use survey_engine::bands::Band;
use survey_engine::csv_out::CsvWriter;
use survey_engine::disclosure::{CellKey, CellStatus, Placement};
use survey_engine::org::OrgTree;
use survey_engine::release::{Attribute, PlacedSheet, Protection, Release};
use survey_engine::report;
use survey_engine::Instrument;

const MINI: &str = include_str!("../../../server/tests/fixtures/mini.toml");

/// Acme with teams A and B of six each, half on site x and half on site y. Everyone in A
/// answers 3 to every item; everyone in B answers `b`. Built without P2: unanimous teams pin
/// the means of their site halves, so P2 would hide the site cuts these row tests read (P2
/// has its own tests in `means_p2`).
fn release(b: i32) -> (Instrument, Release, Vec<PlacedSheet>) {
    release_with(b, 0)
}

/// [`release`], with the first `favourable` people of A answering 4 (favourable) on the first
/// workload item, so that A's workload is not all neutral.
fn release_with(b: i32, favourable: usize) -> (Instrument, Release, Vec<PlacedSheet>) {
    let instrument = Instrument::parse(MINI).unwrap();
    let mut tree = OrgTree::new("Acme").unwrap();
    let a = tree.insert("Acme/A").unwrap();
    let bu = tree.insert("Acme/B").unwrap();
    let site = Attribute {
        name: "site".into(),
        values: vec!["x".into(), "y".into()],
    };
    let mut sheets = Vec::new();
    for (unit, value) in [(a, 3), (bu, b)] {
        for i in 0..6 {
            let mut raw = vec![Some(value); instrument.items.len()];
            if unit == a && i < favourable {
                raw[0] = Some(4);
            }
            sheets.push(PlacedSheet {
                placement: Placement {
                    unit,
                    values: vec![Some(i % 2)],
                },
                scores: instrument.score(&raw).unwrap(),
                answers: raw,
            });
        }
    }
    let without_p2 = Protection {
        mean_share: 0.0,
        ..Protection::default()
    };
    let release =
        Release::build_for_roster(&instrument, tree, vec![site], &sheets, without_p2, 5, "W")
            .unwrap();
    (instrument, release, sheets)
}

#[test]
fn heat_rows_carry_exact_figures_changes_and_snake_case_statuses() {
    let (_, now, ..) = release(5);
    let (_, before, ..) = release(3);
    let rows = report::heat_rows(&now, &now.row_order(), Some(&before));
    let root = rows
        .iter()
        .find(|r| r.unit == "Acme" && r.cut.is_empty() && r.scale == "workload")
        .unwrap();
    // B's workload is (5 + reversed 5 = 1 + 5) / 3 = 11/3; A's is 3; the root's is 10/3.
    assert_eq!(root.respondents, Some(12));
    assert!((root.mean.unwrap() - 10.0 / 3.0).abs() < 1e-9);
    // The previous wave answered 3 everywhere.
    assert!((root.delta_prev.unwrap() - 1.0 / 3.0).abs() < 1e-9);
    // A team of six split three and three on a site: each site cell is under k = 5.
    let small = rows
        .iter()
        .find(|r| r.unit == "Acme/A" && r.cut == "site=x")
        .unwrap();
    assert_eq!(small.status, CellStatus::BelowMin);
    assert_eq!((small.respondents, small.mean), (None, None));
    let json = serde_json::to_value(small).unwrap();
    assert_eq!(json["status"], "hidden");
    assert!(json["mean"].is_null());
    // The CSV with the previous wave ends in delta_prev; the engine's own contract does not.
    let csv =
        String::from_utf8(report::heatmap_csv(CsvWriter::lf(), &rows, true).unwrap()).unwrap();
    assert!(csv
        .lines()
        .next()
        .unwrap()
        .ends_with(",significant,delta_prev"));
    assert!(csv.contains("W,Acme,,workload,shown,12,3.33,"));
    assert_eq!(
        String::from_utf8(now.heatmap_csv().unwrap()).unwrap(),
        String::from_utf8(
            report::heatmap_csv(
                CsvWriter::lf(),
                &report::heat_rows(&now, &now.row_order(), None),
                false
            )
            .unwrap()
        )
        .unwrap()
    );
}

/// The rows the API writes straight from the release ([`report::HeatRows`]) are the owned
/// rows, field for field, in JSON and in the CSV, with and without a previous wave.
#[test]
fn borrowed_heat_rows_write_exactly_what_the_owned_rows_write() {
    let (_, now, ..) = release(5);
    let (_, before, ..) = release(3);
    let keys = now.row_order();
    for previous in [None, Some(&before)] {
        let borrowed = report::HeatRows::new(&now, &keys, previous);
        let owned = report::heat_rows(&now, &keys, previous);
        assert_eq!(borrowed.to_vec(), owned);
        assert!(owned.iter().any(|r| r.status == CellStatus::Shown));
        assert!(owned.iter().any(|r| r.status != CellStatus::Shown));
        assert_eq!(
            previous.is_some(),
            owned.iter().any(|r| r.delta_prev.is_some())
        );
        assert_eq!(
            serde_json::to_string(&borrowed).unwrap(),
            serde_json::to_string(&owned).unwrap()
        );
        for (b, o) in borrowed.iter().zip(&owned) {
            assert_eq!(
                serde_json::to_value(b).unwrap(),
                serde_json::to_value(o).unwrap()
            );
            assert_eq!(report::HeatRowRef::from(o), b);
        }
        for with_previous in [false, true] {
            assert_eq!(
                report::heatmap_csv(CsvWriter::crlf(), borrowed.iter(), with_previous).unwrap(),
                report::heatmap_csv(CsvWriter::crlf(), &owned, with_previous).unwrap()
            );
        }
    }
    let none = report::HeatRows::new(&now, &[], None);
    assert_eq!(serde_json::to_string(&none).unwrap(), "[]");
}

#[test]
fn item_rows_show_question_figures_per_cut_and_the_csv_names_the_cut() {
    let (instrument, r, _) = release(5);
    let keys: Vec<CellKey> = r.row_order();
    let rows = report::item_rows(&r, &instrument, &keys);
    let wl1 = rows
        .iter()
        .find(|x| x.unit == "Acme" && x.cut.is_empty() && x.item == "wl1")
        .unwrap();
    assert_eq!(wl1.status, CellStatus::Shown);
    assert_eq!(wl1.respondents, Some(12));
    assert_eq!(wl1.mean, Some(4.0));
    // Half answered 3, half 5.
    assert_eq!(
        wl1.pct,
        vec![Some(0.0), Some(0.0), Some(50.0), Some(0.0), Some(50.0)]
    );
    assert!(wl1.pct_band.is_empty());
    // Site x of the whole organisation: three from A and three from B.
    let cut = rows
        .iter()
        .find(|x| x.unit == "Acme" && x.cut == "site=x" && x.item == "wl1")
        .unwrap();
    assert_eq!(cut.respondents, Some(6));
    // A cell under k says so and shows nothing.
    let small = rows
        .iter()
        .find(|x| x.unit == "Acme/A" && x.cut == "site=x" && x.item == "wl1")
        .unwrap();
    assert_eq!(small.status, CellStatus::BelowMin);
    assert_eq!((small.respondents, small.mean), (None, None));
    assert!(small.pct.is_empty() && small.pct_band.is_empty());
    // Everyone in A answered 3. A question alone would show a band (D9), but with the
    // workload scale's mean shown in A, its sum less the other questions' would give the band
    // back, so the workload questions hide A (D8); the scale of one question shows its band
    // (`unanimity::a_one_question_scale_shows_a_band_where_its_question_does`).
    let a = rows
        .iter()
        .find(|x| x.unit == "Acme/A" && x.cut.is_empty() && x.item == "wl1")
        .unwrap();
    assert!(a.status.is_hidden());
    assert_eq!((a.respondents, a.mean, a.sd), (None, None, None));
    assert!(a.pct.is_empty() && a.pct_band.is_empty());
    let json = serde_json::to_value(a).unwrap();
    assert_eq!(json["status"], "hidden");
    let csv = String::from_utf8(report::items_csv(CsvWriter::lf(), &rows).unwrap()).unwrap();
    assert_eq!(
        csv.lines().next().unwrap(),
        "wave,unit,cut,scale,item,status,respondents,mean,sd,pct"
    );
    assert!(csv.contains("\nW,Acme,site=x,workload,wl1,shown,6,4.00,"));
    assert!(
        csv.contains("\nW,Acme/A,,workload,wl1,hidden,,,,\n"),
        "{csv}"
    );
}

/// An item is shown for those who answered it wherever its scale's partial answerers (who
/// skipped one of its questions) are none or at least k: with fewer, the scale's mean and
/// the items' sums together would give their scores back (docs/privacy.md D8). Here three
/// people in A skipped the first workload question and two in B the second: the workload
/// questions show at the root (five partial answerers), not in A or B, and every other
/// scale's questions show everywhere.
#[test]
fn an_item_skipped_by_k_or_more_is_still_shown_for_those_who_answered_it() {
    let instrument = Instrument::parse(MINI).unwrap();
    let mut tree = OrgTree::new("Acme").unwrap();
    let a = tree.insert("Acme/A").unwrap();
    let b = tree.insert("Acme/B").unwrap();
    let mut sheets = Vec::new();
    for (unit, size) in [(a, 8), (b, 8)] {
        for i in 0..size {
            let mut raw: Vec<Option<i32>> = (0..instrument.items.len())
                .map(|j| Some(1 + ((i + j) % 5) as i32))
                .collect();
            if unit == a && i < 3 {
                raw[0] = None;
            }
            if unit == b && i < 2 {
                raw[1] = None;
            }
            sheets.push(PlacedSheet {
                placement: Placement {
                    unit,
                    values: vec![],
                },
                scores: instrument.score(&raw).unwrap(),
                answers: raw,
            });
        }
    }
    let r = Release::build(&instrument, tree, vec![], &sheets, 5, "W").unwrap();
    assert!(r.audit(&sheets).unwrap().is_empty());
    let rows = report::item_rows(&r, &instrument, &r.row_order());
    let n = |unit: &str, item: &str| {
        rows.iter()
            .find(|x| x.unit == unit && x.item == item)
            .map(|x| (x.status.is_hidden(), x.respondents))
            .unwrap()
    };
    // Before items were measures of their own, one skip withheld the item everywhere above.
    assert_eq!(n("Acme", "wl1"), (false, Some(13)));
    assert_eq!(n("Acme", "wl2"), (false, Some(14)));
    assert_eq!(n("Acme", "wl3"), (false, Some(16)));
    for unit in ["Acme/A", "Acme/B"] {
        for item in ["wl1", "wl2", "wl3"] {
            assert_eq!(n(unit, item), (true, None), "{item} in {unit}");
        }
    }
    assert!(rows
        .iter()
        .filter(|x| !x.item.starts_with("wl"))
        .all(|x| x.status == CellStatus::Shown));
}

#[test]
fn profile_percentages_of_a_shown_cell_add_up_to_a_hundred_or_are_banded() {
    let (_, r, _) = release(5);
    let rows = report::profile_rows(&r, &r.row_order());
    let shown: Vec<_> = rows
        .iter()
        .filter(|p| p.status == CellStatus::Shown)
        .collect();
    assert!(!shown.is_empty());
    let mut banded = 0;
    for row in shown {
        match (&row.percent, &row.bands) {
            (Some(p), None) => {
                let total: f64 = p.iter().map(|(_, v)| v).sum();
                assert!((total - 100.0).abs() < 1e-9, "{row:?}");
                assert_eq!(p.len(), 6);
            }
            (None, Some(b)) => {
                banded += 1;
                assert_eq!(b.len(), 6);
                let all = b.iter().filter(|(_, b)| *b == Band::AllOrNearlyAll).count();
                assert_eq!(all, 1, "{row:?}");
            }
            _ => panic!("a shown profile row has either percentages or bands: {row:?}"),
        }
    }
    // Everyone in A answered alike, so A has one profile: banded.
    assert!(banded >= 1);
    for row in rows.iter().filter(|p| p.status != CellStatus::Shown) {
        assert_eq!((row.respondents, &row.percent), (None, &None));
    }
}

/// The favourable view compares shares in percentage points: B's favourable share minus the
/// organisation's, and nothing where either figure is banded (D9) or not shown.
#[test]
fn favourable_differences_are_in_percentage_points() {
    // Two of A answer one item favourably: with A all neutral, the organisation's
    // favourable answers less B's would tell that nobody in A answered favourably, which
    // A's band hides, so B would be hidden (D9, worked out).
    let (_, now, ..) = release_with(5, 2);
    let (_, before, ..) = release_with(4, 2);
    let rows = report::heat_rows(&now, &now.row_order(), Some(&before));
    let row = |unit: &str| {
        rows.iter()
            .find(|r| r.unit == unit && r.cut.is_empty() && r.scale == "workload")
            .unwrap()
    };
    // Workload has three items, one reverse-keyed: B's answers of 5 are favourable on two
    // of three, A's answers of 3 on none but the two 4s. The organisation: 14 favourable of
    // 36 answers.
    let (org, a, b) = (row("Acme"), row("Acme/A"), row("Acme/B"));
    assert!((b.favorable_pct.unwrap() - 200.0 / 3.0).abs() < 1e-9);
    assert!((org.favorable_pct.unwrap() - 1400.0 / 36.0).abs() < 1e-9);
    assert!((b.delta_org_points.unwrap() - (200.0 / 3.0 - 1400.0 / 36.0)).abs() < 1e-9);
    assert_eq!(org.delta_org_points, Some(0.0));
    // A answered nearly alike: "none or nearly none", so no difference is given.
    assert_eq!(a.favorable_band, Some(Band::NoneOrNearlyNone));
    assert_eq!(a.delta_org_points, None);
    // The previous wave answered 4 everywhere: B was favourable on two of three as now.
    assert_eq!(b.delta_prev_points.map(|d| d.abs() < 1e-9), Some(true));
    // A hidden cell has none.
    let hidden = rows.iter().find(|r| r.status != CellStatus::Shown).unwrap();
    assert_eq!(
        (hidden.delta_org_points, hidden.delta_prev_points),
        (None, None)
    );
}

/// With A all neutral, A's favourable % is a band ("none or nearly none"), and the
/// organisation's favourable answers (12 of 36) less B's (12 of 18) would leave A's exactly:
/// none. So B's workload is hidden, and the organisation's stays (D9, worked out).
#[test]
fn a_band_is_not_given_back_by_the_organisation_less_the_other_team() {
    let (_, r, sheets) = release(5);
    let rows = report::heat_rows(&r, &r.row_order(), None);
    let row = |unit: &str| {
        rows.iter()
            .find(|r| r.unit == unit && r.cut.is_empty() && r.scale == "workload")
            .unwrap()
    };
    assert_eq!(row("Acme/A").favorable_band, Some(Band::NoneOrNearlyNone));
    assert!(row("Acme/B").status.is_hidden());
    assert!((row("Acme").favorable_pct.unwrap() - 100.0 / 3.0).abs() < 1e-9);
    assert!(r.audit_alike(&sheets).is_empty());
}
