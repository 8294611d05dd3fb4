//! Group statistics (docs/scoring.md S4-S6, S8). Everything that can be undefined (empty groups,
//! n = 1, zero variance) is an `Option`: no NaN ever leaves this module.

use std::sync::OnceLock;

use statrs::distribution::{ContinuousCDF, StudentsT};

/// Count, sum and sum of squares of a group, on a grid of 1/[`GRID`], so that groups roll up
/// the unit tree (and a unit is taken out of the organisation for Welch's test) by adding
/// and subtracting. Every scale score (the mean of at most 16 whole answers) and every value
/// with one decimal lies on the grid, so `sum` holds a whole number below 2^53 and is exact;
/// a value off the grid is rounded to it (by less than 7e-7). The mean is then the exact sum
/// divided by n, rounded once, whatever order the sheets came in: a running mean is not, and
/// printed 23/8 as 2.87. `sum_sq` is exact up to 2^53 and only feeds the variance.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Moments {
    n: u64,
    /// Sum of x * GRID: a whole number.
    sum: f64,
    /// Sum of (x * GRID)^2.
    sum_sq: f64,
}

/// lcm(1..=16): the grid of [`Moments`].
pub const GRID: f64 = 720_720.0;

impl Moments {
    pub fn add(&mut self, x: f64) {
        let r = (x * GRID).round();
        self.n += 1;
        self.sum += r;
        self.sum_sq += r * r;
    }

    pub fn merge(&mut self, other: &Moments) {
        self.n += other.n;
        self.sum += other.sum;
        self.sum_sq += other.sum_sq;
    }

    /// These moments without those of `part`, a subset of them (the rest of a group).
    pub fn without(&self, part: &Moments) -> Option<Moments> {
        Some(Moments {
            n: self.n.checked_sub(part.n)?,
            sum: self.sum - part.sum,
            sum_sq: (self.sum_sq - part.sum_sq).max(0.0),
        })
    }

    pub fn n(&self) -> u64 {
        self.n
    }

    pub fn mean(&self) -> Option<f64> {
        (self.n > 0).then(|| self.sum / (self.n as f64 * GRID))
    }

    /// This group's mean minus `other`'s, computed exactly and rounded once.
    pub fn mean_minus(&self, other: &Moments) -> Option<f64> {
        if self.n == 0 || other.n == 0 {
            return None;
        }
        let (n, m) = (i128::from(self.n), i128::from(other.n));
        let (a, b) = (self.sum as i128, other.sum as i128);
        let q = n.checked_mul(m).and_then(|nm| nm.checked_mul(GRID as i128));
        let p = a
            .checked_mul(m)
            .zip(b.checked_mul(n))
            .and_then(|(x, y)| x.checked_sub(y));
        match p.zip(q) {
            Some((p, q)) => Some(ratio(p, q)),
            None => Some(self.mean()? - other.mean()?),
        }
    }

    /// Sample variance (n - 1), from n = 2 on.
    pub fn variance(&self) -> Option<f64> {
        if self.n < 2 {
            return None;
        }
        let n = self.n as f64;
        // n * sum_sq - sum^2 without cancellation: in whole numbers where they fit.
        let approximate = n * self.sum_sq - self.sum * self.sum;
        let spread = if self.sum_sq < 9.0e15 {
            let (ni, s, s2) = (i128::from(self.n), self.sum as i128, self.sum_sq as i128);
            ni.checked_mul(s2)
                .zip(s.checked_mul(s))
                .and_then(|(x, y)| x.checked_sub(y))
                .map_or(approximate, float)
        } else {
            approximate
        };
        Some((spread / (n * (n - 1.0) * GRID * GRID)).max(0.0))
    }

    pub fn sd(&self) -> Option<f64> {
        self.variance().map(f64::sqrt)
    }
}

/// The nearest f64, through i64 when it fits (one instruction; i128 -> f64 is a library call).
fn float(x: i128) -> f64 {
    i64::try_from(x).map_or(x as f64, |v| v as f64)
}

/// p / q as the nearest f64: one rounding when both fit in 53 bits (after dividing out
/// their greatest common divisor if they do not at first).
fn ratio(p: i128, q: i128) -> f64 {
    const EXACT: u128 = 1 << 53;
    let fits = |p: i128, q: i128| p.unsigned_abs() <= EXACT && q.unsigned_abs() <= EXACT;
    if fits(p, q) {
        return float(p) / float(q);
    }
    let g = gcd(p.unsigned_abs(), q.unsigned_abs()).max(1) as i128;
    float(p / g) / float(q / g)
}

/// Binary GCD (Stein): no 128-bit divisions.
fn gcd(mut a: u128, mut b: u128) -> u128 {
    if a == 0 || b == 0 {
        return a | b;
    }
    let shift = (a | b).trailing_zeros();
    a >>= a.trailing_zeros();
    loop {
        b >>= b.trailing_zeros();
        if a > b {
            std::mem::swap(&mut a, &mut b);
        }
        b -= a;
        if b == 0 {
            return a << shift;
        }
    }
}

impl FromIterator<f64> for Moments {
    fn from_iter<I: IntoIterator<Item = f64>>(iter: I) -> Self {
        let mut m = Moments::default();
        iter.into_iter().for_each(|x| m.add(x));
        m
    }
}

/// What a group contributes to one scale's S4 statistics; additive over respondents.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct ScaleTally {
    pub moments: Moments,
    pub answered: u64,
    pub favorable: u64,
    /// Respondents with at least one unfavorable answer, and with at least one favorable
    /// answer (for the D9 bands).
    pub with_unfavorable: u64,
    pub with_favorable: u64,
    /// Respondents whose score is the highest, and the lowest, point of the answer scale:
    /// every item answered at that end (for the D9 bands; counted by [`ScaleTally::add_at`]).
    pub at_highest: u64,
    pub at_lowest: u64,
}

impl ScaleTally {
    pub fn add(&mut self, score: &crate::scoring::ScaleScore) {
        self.moments.add(score.score);
        self.answered += u64::from(score.answered);
        self.favorable += u64::from(score.favorable);
        self.with_unfavorable += u64::from(score.answered > score.favorable);
        self.with_favorable += u64::from(score.favorable > 0);
    }

    /// [`ScaleTally::add`], also counting whether the score sits at an end of the answer
    /// scale `lowest..=highest`.
    pub fn add_at(&mut self, score: &crate::scoring::ScaleScore, lowest: f64, highest: f64) {
        self.add(score);
        // A mean of whole answers equals an end only when every answer is that end: exact.
        self.at_highest += u64::from(score.score == highest);
        self.at_lowest += u64::from(score.score == lowest);
    }

    pub fn merge(&mut self, other: &ScaleTally) {
        self.moments.merge(&other.moments);
        self.answered += other.answered;
        self.favorable += other.favorable;
        self.with_unfavorable += other.with_unfavorable;
        self.with_favorable += other.with_favorable;
        self.at_highest += other.at_highest;
        self.at_lowest += other.at_lowest;
    }

    pub fn n(&self) -> u64 {
        self.moments.n()
    }

    pub fn stats(&self) -> GroupStats {
        GroupStats::from_tally(self)
    }
}

/// S4 statistics of one scale over a group of respondents with a score.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GroupStats {
    pub n: u64,
    pub mean: Option<f64>,
    pub sd: Option<f64>,
    pub ci_low: Option<f64>,
    pub ci_high: Option<f64>,
    pub favorable_pct: Option<f64>,
}

impl GroupStats {
    pub fn from_tally(tally: &ScaleTally) -> Self {
        let m = &tally.moments;
        let sd = m.sd();
        let half_width = match (sd, t_975(m.n().saturating_sub(1))) {
            (Some(sd), Some(t)) => Some(t * sd / (m.n() as f64).sqrt()),
            _ => None,
        };
        let mean = m.mean();
        GroupStats {
            n: m.n(),
            mean,
            sd,
            ci_low: mean.zip(half_width).map(|(x, h)| x - h),
            ci_high: mean.zip(half_width).map(|(x, h)| x + h),
            favorable_pct: (tally.answered > 0)
                .then(|| 100.0 * tally.favorable as f64 / tally.answered as f64),
        }
    }
}

/// The 97.5% quantile of the standard normal distribution, the limit of t(0.975, df).
const Z_975: f64 = 1.959_963_984_540_054;

/// Quantiles are looked up for every shown cell of a release; cache the common ones.
const T_CACHE: usize = 512;

/// t(0.975, df), the two-sided 95% quantile of Student's t; `None` for df = 0.
pub fn t_975(df: u64) -> Option<f64> {
    static CACHE: OnceLock<Vec<Option<f64>>> = OnceLock::new();
    let cache = CACHE.get_or_init(|| (0..T_CACHE as u64).map(t_975_uncached).collect());
    match usize::try_from(df).ok().and_then(|i| cache.get(i)) {
        Some(&t) => t,
        None => Some(t_975_large(df as f64)),
    }
}

/// t(0.975, df) for large df by the Cornish-Fisher expansion around the normal quantile
/// (Abramowitz & Stegun 26.7.5); from df = 512 on the error is below 1e-12, whereas the
/// inverse CDF costs a root search over the incomplete beta function per cell.
fn t_975_large(df: f64) -> f64 {
    let z = Z_975;
    let (z3, z5, z7, z9) = (z.powi(3), z.powi(5), z.powi(7), z.powi(9));
    z + (z3 + z) / (4.0 * df)
        + (5.0 * z5 + 16.0 * z3 + 3.0 * z) / (96.0 * df.powi(2))
        + (3.0 * z7 + 19.0 * z5 + 17.0 * z3 - 15.0 * z) / (384.0 * df.powi(3))
        + (79.0 * z9 + 776.0 * z7 + 1482.0 * z5 - 1920.0 * z3 - 945.0 * z) / (92160.0 * df.powi(4))
}

fn t_975_uncached(df: u64) -> Option<f64> {
    if df == 0 {
        return None;
    }
    let t = StudentsT::new(0.0, 1.0, df as f64).ok()?.inverse_cdf(0.975);
    t.is_finite().then_some(t)
}

/// S5 statistics of one item over raw answers (before reverse keying).
#[derive(Clone, Debug, PartialEq)]
pub struct ItemStats {
    pub n: u64,
    pub mean: Option<f64>,
    pub sd: Option<f64>,
    /// % of answers at each scale point from min to max; `None` when n = 0.
    pub pct: Vec<Option<f64>>,
}

impl ItemStats {
    /// From the number of answers at each scale point, `min` being the first point.
    pub fn from_counts(min: i32, counts: &[u64]) -> Self {
        let n: u64 = counts.iter().sum();
        let moments = counts_moments(min, counts);
        ItemStats {
            n,
            mean: moments.mean(),
            sd: moments.sd(),
            pct: counts
                .iter()
                .map(|&c| (n > 0).then(|| 100.0 * c as f64 / n as f64))
                .collect(),
        }
    }
}

/// Exact moments of a discrete distribution given as counts per point.
fn counts_moments(min: i32, counts: &[u64]) -> Moments {
    let mut m = Moments::default();
    for (v, &c) in (min..).zip(counts) {
        let r = f64::from(v) * GRID;
        m.n += c;
        m.sum += r * c as f64;
        m.sum_sq += r * r * c as f64;
    }
    m
}

/// S6 Cronbach's alpha, accumulated over complete cases (respondents who answered every item
/// of the scale), on reverse-keyed values.
#[derive(Clone, Debug, PartialEq)]
pub struct AlphaTally {
    items: Vec<Moments>,
    total: Moments,
}

impl AlphaTally {
    pub fn new(items: usize) -> Self {
        AlphaTally {
            items: vec![Moments::default(); items],
            total: Moments::default(),
        }
    }

    /// Adds one complete case: the keyed value of every item of the scale, in order.
    pub fn add(&mut self, keyed: &[f64]) {
        add_alpha_case(&mut self.items, &mut self.total, keyed);
    }

    /// Complete cases added so far.
    pub fn cases(&self) -> u64 {
        self.total.n
    }

    pub fn merge(&mut self, other: &AlphaTally) {
        for (a, b) in self.items.iter_mut().zip(&other.items) {
            a.merge(b);
        }
        self.total.merge(&other.total);
    }

    /// alpha = k/(k-1) * (1 - sum of item variances / variance of the total); needs at least
    /// two items, two complete cases and a total that varies.
    pub fn alpha(&self) -> Option<f64> {
        cronbach_alpha(&self.items, &self.total)
    }
}

/// Adds one complete case to alpha's moments: each item's keyed value to its own, their sum
/// to `total` ([`AlphaTally`], and the release's flat per-unit tallies).
pub fn add_alpha_case(items: &mut [Moments], total: &mut Moments, keyed: &[f64]) {
    for (m, &x) in items.iter_mut().zip(keyed) {
        m.add(x);
    }
    total.add(keyed.iter().sum());
}

/// S6 from the moments of each item and of the total over the complete cases (see
/// [`AlphaTally::alpha`]).
pub fn cronbach_alpha(items: &[Moments], total: &Moments) -> Option<f64> {
    let k = items.len();
    if k < 2 {
        return None;
    }
    let total = total.variance().filter(|v| *v > 0.0)?;
    let items: f64 = items.iter().map(Moments::variance).sum::<Option<f64>>()?;
    let k = k as f64;
    Some(k / (k - 1.0) * (1.0 - items / total))
}

/// S8 Welch's t-test between two groups.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Welch {
    pub t: f64,
    pub df: f64,
    pub p: f64,
}

impl Welch {
    pub fn significant(&self) -> bool {
        self.p < 0.05
    }
}

/// Whether Welch's test finds a difference at p < 0.05; `None` where a group has fewer than
/// two members. Two groups with no spread differ significantly exactly when their means do.
/// Same answer as `welch(a, b)?.significant()`, but the p-value (an incomplete beta function)
/// is only computed when |t| falls between the cached quantiles of the neighbouring whole
/// degrees of freedom: t(0.975, df) decreases in df, so elsewhere the bracket decides.
pub fn welch_significant(a: &Moments, b: &Moments) -> Option<bool> {
    let (va, vb) = (a.variance()?, b.variance()?);
    // Both groups without any spread: t is infinite (p = 0) when their means differ, and
    // there is no difference at all when they are equal.
    if va == 0.0 && vb == 0.0 {
        return Some(a.mean_minus(b)? != 0.0);
    }
    let (t, df) = t_df(a, b, va, vb)?;
    let whole = df.floor();
    let bracket = if whole >= 1.0 && whole < (T_CACHE - 1) as f64 {
        Some((t_975(whole as u64)?, t_975(whole as u64 + 1)?))
    } else if whole >= (T_CACHE - 1) as f64 {
        // Beyond the cache the quantile lies between the normal one and the last cached.
        Some((t_975((T_CACHE - 1) as u64)?, Z_975))
    } else {
        None
    };
    if let Some((upper, lower)) = bracket {
        if t.abs() > upper {
            return Some(true);
        }
        if t.abs() < lower {
            return Some(false);
        }
    }
    welch(a, b).map(|w| w.significant())
}

fn welch_t_df(a: &Moments, b: &Moments) -> Option<(f64, f64)> {
    t_df(a, b, a.variance()?, b.variance()?)
}

/// Welch's t and degrees of freedom from the groups and their sample variances.
fn t_df(a: &Moments, b: &Moments, var_a: f64, var_b: f64) -> Option<(f64, f64)> {
    let (ma, mb) = (a.mean()?, b.mean()?);
    let (va, vb) = (var_a / a.n() as f64, var_b / b.n() as f64);
    let se2 = va + vb;
    if se2 <= 0.0 {
        return None;
    }
    let t = (ma - mb) / se2.sqrt();
    let df = se2 * se2 / (va * va / (a.n() - 1) as f64 + vb * vb / (b.n() - 1) as f64);
    (t.is_finite() && df.is_finite()).then_some((t, df))
}

/// Welch's t-test from summary moments; `None` when a group has fewer than two members or
/// both groups have zero variance.
pub fn welch(a: &Moments, b: &Moments) -> Option<Welch> {
    let (t, df) = welch_t_df(a, b)?;
    let dist = StudentsT::new(0.0, 1.0, df).ok()?;
    let p = (2.0 * dist.sf(t.abs())).clamp(0.0, 1.0);
    p.is_finite().then_some(Welch { t, df, p })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn large_df_expansion_matches_reference_quantiles() {
        // scipy.stats.t.ppf(0.975, df)
        for (df, t) in [
            (511.0, 1.9646172223304033),
            (600.0, 1.9639256220427292),
            (1_000.0, 1.9623390808264083),
            (99_999.0, 1.9599877077718442),
        ] {
            assert!((t_975_large(df) - t).abs() < 1e-12, "df {df}");
        }
    }
}
