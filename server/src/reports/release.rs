//! A wave's release from the database: the `wave_units` snapshot becomes the tree, the
//! responses and their answers become scored, placed sheets, and the engine does the rest.
//! Only closed waves have a release: the answers of an open wave still change, and two views
//! of it at different times could be subtracted from each other (D2).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

use diesel::connection::DefaultLoadingMode;
use diesel::pg::PgRowByRowLoadingMode;
use diesel::prelude::*;
use survey_engine::disclosure::{CellKey, Invited, Placement};
use survey_engine::org::OrgTree;
use survey_engine::release::{Attribute, PlacedSheet, Protection, Release};
use survey_engine::Instrument;

use crate::db::schema::{answers, responses, wave_invited, wave_units};
use crate::db::{Attributes, DbConn, DbPool, ResponseId, WaveId, WaveUnitId};
use crate::db_run;
use crate::error::{AppError, AppResult};
use crate::survey::responses::InstrumentCache;
use crate::survey::waves::{self, AnswerRow, UnitStatus, Wave, WaveStatus, WaveUnitRow};

/// A release and what it was built from.
pub struct WaveRelease {
    pub release: Release,
    pub instrument: Arc<Instrument>,
    /// Invited people per unit path (the wave's snapshot).
    pub invited: HashMap<String, i64>,
    /// The scored sheets with their answers (kept for the comments' writers and the audit
    /// kept at close; never exported).
    pub sheets: Vec<PlacedSheet>,
    /// The response id of each sheet, aligned with `sheets` (for the comments' writers).
    pub response_ids: Vec<ResponseId>,
}

/// Releases of closed waves by wave id and response count. A closed wave never changes, so
/// an entry stays valid for the life of the process; the count guards against a reopened or
/// restored database.
#[derive(Clone, Default)]
pub struct ReleaseCache(Arc<Mutex<CachedReleases>>);

/// Keyed by wave id and response count.
type CachedReleases = HashMap<(WaveId, i64), Arc<WaveRelease>>;

impl ReleaseCache {
    pub fn get(
        &self,
        conn: &mut DbConn,
        instruments: &InstrumentCache,
        wave: &Wave,
    ) -> AppResult<Arc<WaveRelease>> {
        require_closed(wave)?;
        let count: i64 = db_run!(conn, |c| responses::table
            .filter(responses::wave_id.eq(&wave.id))
            .count()
            .get_result(c))?;
        let key = (wave.id.clone(), count);
        if let Some(r) = self.0.lock().ok().and_then(|m| m.get(&key).cloned()) {
            return Ok(r);
        }
        let built = Arc::new(load(conn, instruments, wave)?);
        if let Ok(mut m) = self.0.lock() {
            m.retain(|(id, _), _| id != &wave.id);
            m.insert(key, built.clone());
        }
        Ok(built)
    }
}

/// Response counts per unit as `wave status` and the participation page show them. For a
/// closed wave they are the release's own counts of everyone who answered
/// ([`Release::answered`], suppressed, protected and audited with every other measure), so
/// they add nothing to what the reports show; for an open or scheduled wave, the live
/// counts under the same rules ([`waves::status`]).
pub fn unit_counts(
    conn: &mut DbConn,
    releases: &ReleaseCache,
    instruments: &InstrumentCache,
    wave: &Wave,
) -> AppResult<Vec<UnitStatus>> {
    let mut lines = waves::status(conn, wave)?;
    if wave.status() != WaveStatus::Closed {
        return Ok(lines);
    }
    let built = releases.get(conn, instruments, wave)?;
    let release = &built.release;
    for line in &mut lines {
        let n = release
            .tree
            .find(&line.path)
            .and_then(|unit| release.layout.try_cell_index(CellKey { unit, cut: None }))
            .and_then(|cell| release.answered.get(cell).copied().flatten());
        line.shown = n.is_some();
        line.responded = n.map_or(0, |n| i64::try_from(n).unwrap_or(i64::MAX));
    }
    Ok(lines)
}

impl ReleaseCache {
    /// Builds the releases of the two latest closed waves (a wave and the one its deltas
    /// compare with) in the background, so that the first report read after a start does
    /// not pay for building them. Failures are only logged: reads build on demand anyway.
    pub fn warm_up(&self, pool: DbPool, instruments: InstrumentCache) {
        let cache = self.clone();
        let spawned = std::thread::Builder::new()
            .name("release-warm-up".into())
            .spawn(move || {
                let warm = || -> AppResult<usize> {
                    let mut conn = pool.get()?;
                    let closed: Vec<Wave> = crate::survey::waves::list(&mut conn)?
                        .into_iter()
                        .filter(|w| w.status() == WaveStatus::Closed)
                        .collect();
                    let latest = closed.iter().rev().take(2);
                    let mut built = 0;
                    for wave in latest {
                        cache.get(&mut conn, &instruments, wave)?;
                        built += 1;
                    }
                    Ok(built)
                };
                match warm() {
                    Ok(n) => tracing::info!(releases = n, "report cache warmed"),
                    Err(e) => tracing::warn!(error = %e, "warming the report cache failed"),
                }
            });
        if let Err(e) = spawned {
            tracing::warn!(error = %e, "could not start warming the report cache");
        }
    }
}

fn require_closed(wave: &Wave) -> AppResult<()> {
    if wave.status() == WaveStatus::Closed {
        Ok(())
    } else {
        Err(AppError::Conflict(format!(
            "wave \"{}\" is {}: reports exist only for closed waves",
            wave.name,
            wave.status().as_str()
        )))
    }
}

/// The release of a closed wave, with the wave's report attributes.
pub fn wave_release(
    conn: &mut DbConn,
    instruments: &InstrumentCache,
    wave: &Wave,
) -> AppResult<Release> {
    require_closed(wave)?;
    Ok(load(conn, instruments, wave)?.release)
}

/// A response as the release reads it: where it was given, and its report attributes.
#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = responses)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
struct SheetRow {
    id: ResponseId,
    unit_id: WaveUnitId,
    attributes: Attributes,
}

fn load(conn: &mut DbConn, instruments: &InstrumentCache, wave: &Wave) -> AppResult<WaveRelease> {
    let instrument = instruments.get(conn, &wave.instrument)?;
    let units: Vec<WaveUnitRow> = db_run!(conn, |c| wave_units::table
        .filter(wave_units::wave_id.eq(&wave.id))
        .select(WaveUnitRow::as_select())
        .order(wave_units::path)
        .load(c))?;
    if units.is_empty() {
        return Err(AppError::NotFound(format!(
            "wave \"{}\" has no organisation snapshot",
            wave.name
        )));
    }
    let tree = OrgTree::from_paths(units.iter().map(|u| u.path.as_str()))
        .map_err(|e| AppError::Unexpected(e.into()))?;
    let unit_of: HashMap<&WaveUnitId, usize> = units
        .iter()
        .filter_map(|unit| tree.find(&unit.path).map(|u| (&unit.id, u)))
        .collect();
    // Invited counts roll up the tree like the release does.
    let mut invited_by_unit = vec![0i64; tree.len()];
    for row in &units {
        let mut u = tree.find(&row.path);
        while let Some(unit) = u {
            if let Some(slot) = invited_by_unit.get_mut(unit) {
                *slot += i64::from(row.invited);
            }
            u = tree.parent(unit);
        }
    }
    let invited = (0..tree.len())
        .map(|u| (tree.path(u), invited_by_unit.get(u).copied().unwrap_or(0)))
        .collect();

    let sheets_rows: Vec<SheetRow> = db_run!(conn, |c| responses::table
        .filter(responses::wave_id.eq(&wave.id))
        .select(SheetRow::as_select())
        .order(responses::id)
        .load(c))?;
    let item_index: HashMap<&str, usize> = instrument
        .items
        .iter()
        .enumerate()
        .map(|(i, it)| (it.id.as_str(), i))
        .collect();
    let sheet_index: HashMap<&ResponseId, usize> = sheets_rows
        .iter()
        .enumerate()
        .map(|(i, sheet)| (&sheet.id, i))
        .collect();
    let mut answers_of = vec![vec![None; instrument.items.len()]; sheets_rows.len()];
    let mut place = |answer: AnswerRow| {
        if let (Some(&s), Some(&i)) = (
            sheet_index.get(&answer.response_id),
            item_index.get(answer.item_id.as_str()),
        ) {
            if let Some(slot) = answers_of.get_mut(s).and_then(|a| a.get_mut(i)) {
                *slot = Some(answer.value);
            }
        }
    };
    // Row by row: a wave's answers are its people times its questions (3 million rows for
    // 75,000 sheets of 40), and loaded as one vector of rows (two strings each) they took
    // more memory than the release built from them. PostgreSQL would otherwise hand over
    // the whole result at once.
    // (The selection's type names the backend, so the query is written once per arm.)
    macro_rules! query {
        () => {
            answers::table
                .inner_join(responses::table.on(responses::id.eq(answers::response_id)))
                .filter(responses::wave_id.eq(&wave.id))
                .select(AnswerRow::as_select())
        };
    }
    match conn {
        DbConn::Sqlite(ref mut c, _) => {
            for row in query!().load_iter::<AnswerRow, DefaultLoadingMode>(&mut **c)? {
                place(row?);
            }
        }
        DbConn::Postgres(ref mut c) => {
            for row in query!().load_iter::<AnswerRow, PgRowByRowLoadingMode>(&mut **c)? {
                place(row?);
            }
        }
    }

    let names = wave.attribute_names();
    let values_of: Vec<&BTreeMap<String, String>> = sheets_rows
        .iter()
        .map(|sheet| &sheet.attributes.0)
        .collect();
    let invited_rows: Vec<(WaveUnitId, Attributes, i32)> = db_run!(conn, |c| wave_invited::table
        .filter(wave_invited::wave_id.eq(&wave.id))
        .select((
            wave_invited::unit_id,
            wave_invited::attributes,
            wave_invited::invited,
        ))
        .load(c))?;
    // An attribute's values come from the roster where it is kept: a value listed only
    // because someone with it answered (or missing because nobody did) would tell who
    // answered (P1). Waves closed before the roster counts were kept list the answered ones.
    let attributes: Vec<Attribute> = names
        .iter()
        .map(|name| {
            let values: BTreeSet<String> = values_of
                .iter()
                .copied()
                .chain(invited_rows.iter().map(|(_, values, _)| &values.0))
                .filter_map(|m| m.get(name))
                .filter(|v| !v.trim().is_empty())
                .cloned()
                .collect();
            Attribute {
                name: name.clone(),
                values: values.into_iter().collect(),
            }
        })
        .collect();
    let mut sheets = Vec::with_capacity(sheets_rows.len());
    for ((sheet, values), answers) in sheets_rows.iter().zip(&values_of).zip(answers_of) {
        let unit = unit_of.get(&sheet.unit_id).copied().ok_or_else(|| {
            AppError::Unexpected(anyhow::anyhow!("a response names no unit of its wave"))
        })?;
        sheets.push(PlacedSheet {
            placement: placement_of(unit, values, &attributes),
            scores: instrument.score_unchecked(&answers),
            answers,
        });
    }
    let roster = roster_counts(&invited_rows, &units, &unit_of, &attributes);
    let k = usize::try_from(wave.min_group_size).unwrap_or(survey_engine::release::MIN_K);
    let release = Release::build_for_roster(
        &instrument,
        tree,
        attributes,
        &sheets,
        Protection {
            invited: roster.as_ref(),
            ..Protection::default()
        },
        k,
        &wave.name,
    )
    .map_err(|e| AppError::Unexpected(e.into()))?;
    Ok(WaveRelease {
        response_ids: sheets_rows.iter().map(|s| s.id.clone()).collect(),
        release,
        instrument,
        invited,
        sheets,
    })
}

/// Where a response or an invited count sits: its unit and the index of each report
/// attribute's value (`None`: not set, or not a value of the attribute).
fn placement_of(
    unit: usize,
    values: &BTreeMap<String, String>,
    attributes: &[Attribute],
) -> Placement {
    Placement {
        unit,
        values: attributes
            .iter()
            .map(|a| {
                values
                    .get(&a.name)
                    .and_then(|v| a.values.binary_search(v).ok())
            })
            .collect(),
    }
}

/// How many people the wave invited per roster atom (unit x attribute values), kept at close,
/// for P1. Every invited value is one of the attribute's values (see `load`). Waves closed
/// before these counts were kept have only the invited count per unit: that is every atom
/// when the wave has no report attributes; with attributes there is nothing exact to protect
/// with, and the release is built without P1 (docs/privacy.md says so).
fn roster_counts(
    rows: &[(WaveUnitId, Attributes, i32)],
    units: &[WaveUnitRow],
    unit_of: &HashMap<&WaveUnitId, usize>,
    attributes: &[Attribute],
) -> Option<Invited> {
    let placement =
        |unit: usize, values: &BTreeMap<String, String>| placement_of(unit, values, attributes);
    if rows.is_empty() {
        if !attributes.is_empty() {
            return None;
        }
        let atoms = units
            .iter()
            .filter_map(|u| {
                let unit = *unit_of.get(&u.id)?;
                Some((
                    placement(unit, &BTreeMap::new()),
                    u64::try_from(u.invited).ok()?,
                ))
            })
            .collect();
        return Some(Invited { atoms });
    }
    let atoms = rows
        .iter()
        .filter_map(|(unit, values, count)| {
            let unit = *unit_of.get(unit)?;
            Some((placement(unit, &values.0), u64::try_from(*count).ok()?))
        })
        .collect();
    Some(Invited { atoms })
}
