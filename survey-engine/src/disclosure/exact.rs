//! Exact rational numbers for the suppressor's elimination: a fast `i64` fraction whose
//! operations report overflow, and `BigRational`, which never overflows. Code generic over
//! [`Exact`] runs with [`Small`] first and is redone with `BigRational` when anything overflows.

use num_bigint::BigInt;
use num_rational::BigRational;
use num_traits::{One, ToPrimitive, Zero};
use std::fmt::Debug;

/// An exact field element. Operations return `None` on overflow (never for `BigRational`).
pub(crate) trait Exact: Clone + Debug + PartialEq {
    fn from_int(v: i64) -> Self;
    fn is_nil(&self) -> bool;
    fn is_int(&self, v: i64) -> bool;
    fn add(&self, o: &Self) -> Option<Self>;
    fn sub(&self, o: &Self) -> Option<Self>;
    fn mul(&self, o: &Self) -> Option<Self>;
    /// `None` on overflow or division by zero.
    fn div(&self, o: &Self) -> Option<Self>;
    fn to_big(&self) -> BigRational;
    /// `None` if `v` does not fit.
    fn from_big(v: &BigRational) -> Option<Self>;
}

/// A normalised fraction `n / d` with `d > 0` and `gcd(|n|, d) = 1`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Small {
    n: i64,
    d: i64,
}

fn gcd(mut a: u128, mut b: u128) -> u128 {
    while b != 0 {
        let t = a % b;
        a = b;
        b = t;
    }
    a
}

impl Small {
    fn make(n: i128, d: i128) -> Option<Small> {
        if d == 0 {
            return None;
        }
        let (n, d) = if d < 0 {
            (n.checked_neg()?, d.checked_neg()?)
        } else {
            (n, d)
        };
        if n == 0 {
            return Some(Small { n: 0, d: 1 });
        }
        let g = gcd(n.unsigned_abs(), d.unsigned_abs());
        let g = i128::try_from(g).ok()?;
        Some(Small {
            n: i64::try_from(n / g).ok()?,
            d: i64::try_from(d / g).ok()?,
        })
    }
}

impl Exact for Small {
    fn from_int(v: i64) -> Self {
        Small { n: v, d: 1 }
    }
    fn is_nil(&self) -> bool {
        self.n == 0
    }
    fn is_int(&self, v: i64) -> bool {
        self.d == 1 && self.n == v
    }
    fn add(&self, o: &Self) -> Option<Self> {
        if self.d == 1 && o.d == 1 {
            return Some(Small {
                n: self.n.checked_add(o.n)?,
                d: 1,
            });
        }
        let a = i128::from(self.n) * i128::from(o.d);
        let b = i128::from(o.n) * i128::from(self.d);
        Small::make(a.checked_add(b)?, i128::from(self.d) * i128::from(o.d))
    }
    fn sub(&self, o: &Self) -> Option<Self> {
        let neg = Small {
            n: o.n.checked_neg()?,
            d: o.d,
        };
        self.add(&neg)
    }
    fn mul(&self, o: &Self) -> Option<Self> {
        if self.d == 1 && o.d == 1 {
            return Some(Small {
                n: self.n.checked_mul(o.n)?,
                d: 1,
            });
        }
        // A unit factor keeps the other operand, which is already normalised.
        if self.d == 1 && self.n.unsigned_abs() == 1 {
            return Some(Small {
                n: o.n.checked_mul(self.n)?,
                d: o.d,
            });
        }
        if o.d == 1 && o.n.unsigned_abs() == 1 {
            return Some(Small {
                n: self.n.checked_mul(o.n)?,
                d: self.d,
            });
        }
        Small::make(
            i128::from(self.n) * i128::from(o.n),
            i128::from(self.d) * i128::from(o.d),
        )
    }
    fn div(&self, o: &Self) -> Option<Self> {
        if o.d == 1 && o.n.unsigned_abs() == 1 {
            return Some(Small {
                n: self.n.checked_mul(o.n)?,
                d: self.d,
            });
        }
        Small::make(
            i128::from(self.n) * i128::from(o.d),
            i128::from(self.d) * i128::from(o.n),
        )
    }
    fn to_big(&self) -> BigRational {
        BigRational::new(BigInt::from(self.n), BigInt::from(self.d))
    }
    fn from_big(v: &BigRational) -> Option<Self> {
        Small::make(
            i128::from(v.numer().to_i64()?),
            i128::from(v.denom().to_i64()?),
        )
    }
}

impl Exact for BigRational {
    fn from_int(v: i64) -> Self {
        BigRational::from_integer(BigInt::from(v))
    }
    fn is_nil(&self) -> bool {
        Zero::is_zero(self)
    }
    fn is_int(&self, v: i64) -> bool {
        self.denom().is_one() && *self.numer() == BigInt::from(v)
    }
    fn add(&self, o: &Self) -> Option<Self> {
        Some(self + o)
    }
    fn sub(&self, o: &Self) -> Option<Self> {
        Some(self - o)
    }
    fn mul(&self, o: &Self) -> Option<Self> {
        Some(self * o)
    }
    fn div(&self, o: &Self) -> Option<Self> {
        if Zero::is_zero(o) {
            None
        } else {
            Some(self / o)
        }
    }
    fn to_big(&self) -> BigRational {
        self.clone()
    }
    fn from_big(v: &BigRational) -> Option<Self> {
        Some(v.clone())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn small_arithmetic_is_exact_and_detects_overflow() {
        let a = Small::from_int(1);
        let three = Small::from_int(3);
        let third = a.div(&three);
        assert_eq!(third, Small::make(1, 3));
        let sum = third
            .and_then(|t| t.add(&t))
            .and_then(|t| t.add(&Small::make(1, 3)?));
        assert_eq!(sum, Some(Small::from_int(1)));
        let big = Small::from_int(i64::MAX);
        assert_eq!(big.add(&Small::from_int(1)), None);
        assert_eq!(big.mul(&Small::from_int(2)), None);
        assert_eq!(a.div(&Small::from_int(0)), None);
        let neg = Small::make(2, -4);
        assert_eq!(neg, Some(Small { n: -1, d: 2 }));
        assert!(Small::from_int(0).is_nil());
        assert!(Small::from_int(1).is_int(1));
    }
}
