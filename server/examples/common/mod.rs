//! The benchmark organisation shared by the examples: 100,000 people in 8,000 units (the
//! root, 20 divisions, 400 departments, 7,579 teams of 2..=24 before scaling), so that some
//! teams fall under k = 5 and force complementary hiding.

pub const UNITS: usize = 8_000;
pub const PEOPLE: i64 = 100_000;
/// The index of the first team in [`unit_paths`]: the root, 20 divisions and 400
/// departments come before it.
pub const FIRST_TEAM: usize = 421;

/// Units: the root, 20 divisions, 400 departments, 7,579 teams; each with its parent's index.
pub fn unit_paths() -> Vec<(String, Option<usize>)> {
    let mut units = vec![("Org".to_string(), None)];
    for d in 0..20 {
        units.push((format!("Org/D{d:02}"), Some(0)));
    }
    for p in 0..400 {
        units.push((format!("Org/D{:02}/P{p:03}", p % 20), Some(1 + p % 20)));
    }
    let teams = UNITS - units.len();
    for t in 0..teams {
        let dept = t % 400;
        let parent = 21 + dept;
        units.push((format!("{}/T{t:04}", units[parent].0), Some(parent)));
    }
    units
}

/// A team's size before scaling, by its index in [`unit_paths`]: 2..=24.
pub fn team_size(unit: usize) -> usize {
    2 + (unit * 7) % 23
}

/// People invited from each unit (by index in [`unit_paths`]): team sizes scaled to
/// [`PEOPLE`] in all, rounded down; inner units have no people of their own.
pub fn invited_per_unit(units: usize) -> Vec<i64> {
    let total: usize = (FIRST_TEAM..units).map(team_size).sum();
    (0..units)
        .map(|i| {
            if i >= FIRST_TEAM {
                team_size(i) as i64 * PEOPLE / total as i64
            } else {
                0
            }
        })
        .collect()
}
