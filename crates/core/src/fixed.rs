//! `Fixed(x, p)`: `x` with `p` decimals, the text `format!("{x:.p$}")` gives, without the
//! standard library's exact float formatting.
//!
//! Risk decisions and plugin reasons print weights and percentages with a few decimals on every
//! cycle; std's fixed-precision path (Grisu with a Dragon4 fallback, which many such values
//! take) was a few percent of a default backtest. For the values those strings hold the exact
//! decimal fits a `u128`: x = m × 2^e exactly, so round(|x| × 10^p) is an integer division by a
//! power of two, rounded half to even as std rounds an exact tie. Anything else (NaN, infinity,
//! magnitudes beyond 2^60, more than 9 decimals) goes to std.

use std::fmt;

/// Displays `.0` with `.1` decimals, exactly as `{:.N}` does. Width, fill and alignment flags
/// are not supported (the text is written as is).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Fixed(pub f64, pub u8);

/// Largest precision handled without std: 10^9 × 2^53 stays far inside a u128.
const MAX_PRECISION: u8 = 9;

impl fmt::Display for Fixed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Fixed(x, p) = *self;
        let Some(scaled) = scaled_rounded(x, p) else {
            return write!(f, "{x:.*}", usize::from(p));
        };
        let mut buf = itoa::Buffer::new();
        let pow = 10u128.pow(u32::from(p));
        if x.is_sign_negative() {
            f.write_str("-")?;
        }
        f.write_str(buf.format(scaled / pow))?;
        if p > 0 {
            let frac = buf.format(scaled % pow + pow);
            // `pow + frac` has p + 1 digits: its leading 1 is dropped, keeping the zeros.
            f.write_str(".")?;
            f.write_str(&frac[1..])?;
        }
        Ok(())
    }
}

/// round(|x| × 10^p) rounded half to even, or `None` when std must format `x`.
fn scaled_rounded(x: f64, p: u8) -> Option<u128> {
    if !x.is_finite() || p > MAX_PRECISION {
        return None;
    }
    let bits = x.to_bits();
    let exp_bits = ((bits >> 52) & 0x7ff) as i32;
    let frac = bits & ((1u64 << 52) - 1);
    // |x| = m × 2^e exactly.
    let (m, e) = if exp_bits == 0 {
        (frac, -1074)
    } else {
        (frac | (1u64 << 52), exp_bits - 1075)
    };
    let num = u128::from(m) * 10u128.pow(u32::from(p));
    if e >= 0 {
        // num < 2^83; shifted by up to 44 bits it stays below 2^127.
        return (e <= 44).then(|| num << e);
    }
    let shift = e.unsigned_abs();
    if shift >= 127 {
        // num < 2^83 <= 2^(shift - 1): under one half, rounds to 0 (no tie possible).
        return Some(0);
    }
    let q = num >> shift;
    let r = num & ((1u128 << shift) - 1);
    let half = 1u128 << (shift - 1);
    Some(if r > half || (r == half && q & 1 == 1) {
        q + 1
    } else {
        q
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(x: f64) {
        for p in 0..=MAX_PRECISION + 1 {
            let want = format!("{x:.*}", usize::from(p));
            assert_eq!(Fixed(x, p).to_string(), want, "{x:e} with {p} decimals");
        }
    }

    /// Against std's `{:.p}` over edge cases, exact ties at every precision, and a hundred thousand
    /// pseudo-random values of every magnitude.
    #[test]
    fn same_text_as_std() {
        for x in [
            0.0,
            -0.0,
            1.0,
            -1.0,
            0.5,
            1.5,
            2.5,
            -2.5,
            0.125,
            0.375,
            1e-300,
            -1e-320,
            f64::MIN_POSITIVE,
            5e-324,
            0.00005,
            0.00015,
            0.99995,
            -0.99995,
            9.99995,
            123456.78905,
            2f64.powi(60),
            2f64.powi(97),
            -2f64.powi(97) * 1.5,
            f64::MAX,
            f64::MIN,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            0.1 + 0.2,
        ] {
            check(x);
        }
        // Exact ties at the last printed decimal: k/2^n with small n.
        for n in 1..12 {
            for k in -300..300 {
                check(f64::from(k) / f64::from(1u32 << n));
            }
        }
        // Exact decimals ending in 5 past each precision (most are not exact in binary).
        for k in 0..5_000 {
            check(f64::from(k) * 0.00005);
            check(f64::from(k) * 0.0000005 - 0.005);
        }
        // xorshift64: random bit patterns (every exponent) and random weights in [-3, 3].
        let mut s = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = || {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            s
        };
        for _ in 0..20_000 {
            check(f64::from_bits(next()));
            let u = (next() >> 11) as f64 / (1u64 << 53) as f64;
            check(u * 6.0 - 3.0);
            check((u - 0.5) * 1e-3);
            check(u * 1e9);
        }
    }
}
