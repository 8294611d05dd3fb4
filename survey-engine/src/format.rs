//! Fixed-decimal formatting for reports: no "-0.00", empty for "no value".

/// `value` rounded to `decimals` places; a result that rounds to zero never carries a sign.
pub fn fixed(value: f64, decimals: usize) -> String {
    let s = format!("{value:.decimals$}");
    match s.strip_prefix('-') {
        Some(rest) if rest.bytes().all(|b| b == b'0' || b == b'.') => rest.to_string(),
        _ => s,
    }
}

/// [`fixed`] for an optional value: empty when there is none (or it is not finite).
pub fn opt(value: Option<f64>, decimals: usize) -> String {
    value
        .filter(|v| v.is_finite())
        .map(|v| fixed(v, decimals))
        .unwrap_or_default()
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
    }
}
