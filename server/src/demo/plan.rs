//! The demo's three quarterly waves, placed around today: two closed, the current one open.

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime};

// ---------------------------------------------------------------- the waves

/// A demo wave: its name and when it runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WavePlan {
    pub name: String,
    pub opens: NaiveDateTime,
    pub closes: NaiveDateTime,
}

pub(super) fn at(date: NaiveDate, hour: u32) -> NaiveDateTime {
    date.and_hms_opt(hour, 0, 0).unwrap_or_default()
}

fn quarter_start(year: i32, quarter: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, 3 * (quarter - 1) + 1, 1).unwrap_or_default()
}

/// The waves around `now`: the two previous quarters (closed) and the current one (open,
/// closing in the future). Each quarter's wave opens in its third week and runs three weeks.
pub fn wave_plan(now: NaiveDateTime) -> [WavePlan; 3] {
    let today = now.date();
    let (year, quarter) = (today.year(), (today.month() - 1) / 3 + 1);
    let back = |n: u32| {
        let index = i64::from(year) * 4 + i64::from(quarter - 1) - i64::from(n);
        let (y, q) = (index.div_euclid(4) as i32, index.rem_euclid(4) as u32 + 1);
        (y, q)
    };
    let past = |n: u32| {
        let (y, q) = back(n);
        let opens = at(quarter_start(y, q) + Duration::days(14), 9);
        WavePlan {
            name: format!("{y}-Q{q}"),
            opens,
            closes: at(opens.date() + Duration::days(21), 17),
        }
    };
    let opens = at(
        (quarter_start(year, quarter) + Duration::days(14)).min(today - Duration::days(7)),
        9,
    );
    let closes = at(
        (opens.date() + Duration::days(21)).max(today + Duration::days(14)),
        17,
    );
    [
        past(2),
        past(1),
        WavePlan {
            name: format!("{year}-Q{quarter}"),
            opens,
            closes,
        },
    ]
}
