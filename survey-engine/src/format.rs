//! Fixed-decimal formatting for reports: no "-0.00", empty for "no value".

use std::fmt::Write;

/// `value` rounded to `decimals` places; a result that rounds to zero never carries a sign.
pub fn fixed(value: f64, decimals: usize) -> String {
    let mut s = String::new();
    push_fixed(&mut s, value, decimals);
    s
}

/// [`fixed`] for an optional value: empty when there is none (or it is not finite).
pub fn opt(value: Option<f64>, decimals: usize) -> String {
    let mut s = String::new();
    push_opt(&mut s, value, decimals);
    s
}

/// Appends [`fixed`]`(value, decimals)` to `out`, for writers that reuse one buffer.
pub fn push_fixed(out: &mut String, value: f64, decimals: usize) {
    let start = out.len();
    // Writing into a `String` cannot fail.
    let _ = write!(out, "{value:.decimals$}");
    let negative_zero = out
        .get(start..)
        .and_then(|s| s.strip_prefix('-'))
        .is_some_and(|rest| rest.bytes().all(|b| b == b'0' || b == b'.'));
    if negative_zero {
        out.remove(start);
    }
}

/// Appends [`opt`]`(value, decimals)` to `out`: nothing when there is no finite value.
pub fn push_opt(out: &mut String, value: Option<f64>, decimals: usize) {
    if let Some(v) = value.filter(|v| v.is_finite()) {
        push_fixed(out, v, decimals);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negative_zero_loses_its_sign() {
        assert_eq!(fixed(-0.0, 2), "0.00");
        assert_eq!(fixed(-0.001, 2), "0.00");
        assert_eq!(fixed(-0.005001, 2), "-0.01");
        assert_eq!(fixed(2.5, 0), "2");
        assert_eq!(opt(None, 4), "");
        assert_eq!(opt(Some(f64::NAN), 4), "");
        assert_eq!(opt(Some(1.0 / 3.0), 4), "0.3333");
        assert_eq!(fixed(f64::NEG_INFINITY, 1), "-inf");
        let mut buf = String::from("x=");
        push_fixed(&mut buf, -0.004, 2);
        push_opt(&mut buf, Some(-1.26), 1);
        push_opt(&mut buf, Some(f64::NAN), 1);
        assert_eq!(buf, "x=0.00-1.3");
    }
}
