//! Decimal addition and multiplication for operands of up to 64 bits, the library's results bit
//! for bit (value, scale and sign), with the library itself for everything else.
//!
//! Marking a held position every bar costs a multiplication and an addition or two of such
//! decimals (prices of 8 decimals, share counts, cash), and the library's general operations were a
//! visible part of a backtest's run (callgrind). Its own 64-bit paths go through a six-word
//! buffer and several size tests first; here the result is one widening product or one aligned
//! sum in 128 bits, kept only where the library would return exactly that: the exact result at
//! the library's scale, fitting 96 bits. Anywhere else (wider operands, a scale over 28, a result
//! that would be rounded or overflow) the library decides, so every caller sees its results,
//! panics included.

use rust_decimal::Decimal;

/// The largest scale a decimal has.
const MAX_SCALE: u32 = 28;
/// Mantissas are below this.
const MANTISSA_END: u128 = 1 << 96;

/// `10^n` for `n` up to 19, the largest power of ten below 2^64: aligning two scales further
/// apart than that is left to the library.
const POW10: [u64; 20] = {
    let mut t = [1u64; 20];
    let mut n = 1;
    while n < 20 {
        t[n] = t[n - 1] * 10;
        n += 1;
    }
    t
};

/// A decimal as (mantissa magnitude, negative, scale), read from its serialized form (flags,
/// then the 96-bit mantissa, little-endian), the one public view of all three at once.
fn split(d: Decimal) -> (u128, bool, u32) {
    let bits = u128::from_le_bytes(d.serialize());
    let flags = bits as u32;
    (bits >> 32, flags >> 31 == 1, (flags >> 16) & 0xff)
}

/// The decimal of a magnitude below 2^96; a zero magnitude is positive, as the library makes it.
fn join(magnitude: u128, negative: bool, scale: u32) -> Decimal {
    Decimal::from_parts(
        magnitude as u32,
        (magnitude >> 32) as u32,
        (magnitude >> 64) as u32,
        negative,
        scale,
    )
}

/// `a * b`, the library's decimal.
#[inline]
pub(crate) fn mul(a: Decimal, b: Decimal) -> Decimal {
    fast_mul(a, b).unwrap_or_else(|| library_mul(a, b))
}

/// `a + b`, the library's decimal.
#[inline]
pub(crate) fn add(a: Decimal, b: Decimal) -> Decimal {
    fast_add(a, b).unwrap_or_else(|| library_add(a, b))
}

/// The library's operations out of line: inlined, their general code made `add` and `mul` too
/// large to inline into a caller, which then paid a call and a spill for the short path too.
#[cold]
#[inline(never)]
fn library_mul(a: Decimal, b: Decimal) -> Decimal {
    a * b
}

#[cold]
#[inline(never)]
fn library_add(a: Decimal, b: Decimal) -> Decimal {
    a + b
}

/// The library's `a * b` where it is the exact product: a zero operand gives `Decimal::ZERO`
/// (scale 0, whatever the operands' scales and signs), otherwise the product of the mantissas
/// at the sum of the scales, which the library keeps as it is when it fits 96 bits and the
/// scale 28. `None` where the library might round, or the operands are wider than 64 bits.
#[inline]
fn fast_mul(a: Decimal, b: Decimal) -> Option<Decimal> {
    let (ma, na, sa) = split(a);
    let (mb, nb, sb) = split(b);
    if ma == 0 || mb == 0 {
        return Some(Decimal::ZERO);
    }
    let (x, y) = (u64::try_from(ma).ok()?, u64::try_from(mb).ok()?);
    let product = u128::from(x) * u128::from(y);
    let scale = sa + sb;
    (product < MANTISSA_END && scale <= MAX_SCALE).then(|| join(product, na != nb, scale))
}

/// The library's `a + b` where it is the exact sum: a zero operand gives the other operand as
/// it is (its scale and sign, even a negative zero's), otherwise the sum at the larger scale,
/// the other operand's mantissa scaled up to it, with the sign of `a` unless `b`'s opposite
/// sign has the larger magnitude (an exact cancellation is a positive zero at that scale).
/// `None` where the sum does not fit 96 bits (the library would round or overflow), the scales
/// are more than 19 apart, or an operand is wider than 64 bits.
#[inline]
fn fast_add(a: Decimal, b: Decimal) -> Option<Decimal> {
    let (ma, na, sa) = split(a);
    let (mb, nb, sb) = split(b);
    if ma == 0 {
        return Some(b);
    }
    if mb == 0 {
        return Some(a);
    }
    let (x, y) = (u64::try_from(ma).ok()?, u64::try_from(mb).ok()?);
    let power = u128::from(*POW10.get(sa.abs_diff(sb) as usize)?);
    let (x, y, scale) = if sa >= sb {
        (u128::from(x), u128::from(y) * power, sa)
    } else {
        (u128::from(x) * power, u128::from(y), sb)
    };
    // Below 2^64 * 10^19 + 2^64 < 2^128: no overflow.
    let (magnitude, negative) = if na == nb {
        (x + y, na)
    } else if x >= y {
        (x - y, na)
    } else {
        (y - x, !na)
    };
    (magnitude < MANTISSA_END).then(|| join(magnitude, negative, scale))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A decimal from its raw parts, any sign on any mantissa (a negative zero too), which
    /// `from_parts` would not give.
    fn raw(magnitude: u128, negative: bool, scale: u32) -> Decimal {
        let flags = u128::from(scale << 16 | u32::from(negative) << 31);
        Decimal::deserialize((magnitude << 32 | flags).to_le_bytes())
    }

    /// A mantissa of `bits` bits (0 is zero), often at or next to a power of two or ten.
    fn mantissa_of(rng: &mut fastrand::Rng, bits: u32) -> u128 {
        if bits == 0 {
            return 0;
        }
        let top = 1u128 << (bits - 1);
        let m = match rng.u8(..8) {
            // Just below or at the next power of two.
            0 => ((top << 1) - 1)
                .saturating_sub(u128::from(rng.u8(..4)))
                .max(1),
            1 => top + u128::from(rng.u8(..4)),
            // A power of ten times a small number (values like 100 shares, 0.5, 1e8).
            2 => u128::from(rng.u16(1..1000)) * u128::from(POW10[rng.usize(..20)]),
            _ => top | (rng.u128(..) & (top - 1)),
        };
        m.min(MANTISSA_END - 1)
    }

    /// A width biased towards the edges of 32, 64 and 96 bits, and zeros.
    fn width(rng: &mut fastrand::Rng) -> u32 {
        const EDGES: [u32; 11] = [0, 1, 31, 32, 33, 63, 64, 65, 94, 95, 96];
        if rng.bool() {
            EDGES[rng.usize(..EDGES.len())]
        } else {
            rng.u32(0..=96)
        }
    }

    fn decimal(rng: &mut fastrand::Rng, bits: u32) -> Decimal {
        let scale = if rng.u8(..4) == 0 {
            [0, 1, 2, 8, 9, 18, 19, 20, 27, 28][rng.usize(..10)]
        } else {
            rng.u32(0..=MAX_SCALE)
        };
        raw(mantissa_of(rng, bits), rng.bool(), scale)
    }

    /// Pairs of every kind: random widths, and widths whose product or aligned sum lands near
    /// 2^96, where the library stops returning the exact result.
    fn pair(rng: &mut fastrand::Rng) -> (Decimal, Decimal) {
        let wa = width(rng);
        let wb = match rng.u8(..4) {
            0 => (96 - wa.min(96) + rng.u32(0..3)).saturating_sub(1).min(96),
            1 => wa,
            _ => width(rng),
        };
        let (a, b) = (decimal(rng, wa), decimal(rng, wb));
        if rng.u8(..8) == 0 {
            // Same scale, or scales a given distance apart, for the additions.
            let d = rng.u32(0..=20);
            let sa = a.scale();
            let sb = (sa + d).min(MAX_SCALE);
            return (a, raw(split(b).0, b.is_sign_negative(), sb));
        }
        (a, b)
    }

    fn bytes(d: Option<Decimal>) -> Option<[u8; 16]> {
        d.map(|d| d.serialize())
    }

    /// Every shortcut result is the library's (serialized bytes: value, scale and sign), and
    /// the shortcut is taken often enough to mean something, results at 2^96 included.
    #[test]
    fn shortcuts_are_the_library_bit_for_bit() {
        let mut rng = fastrand::Rng::with_seed(0xDEC1_0A15);
        let (mut muls, mut adds, mut top) = (0usize, 0usize, 0usize);
        let n = 1_500_000;
        for _ in 0..n {
            let (a, b) = pair(&mut rng);
            for (a, b) in [(a, b), (b, a)] {
                if let Some(p) = fast_mul(a, b) {
                    assert_eq!(bytes(Some(p)), bytes(a.checked_mul(b)), "{a:?} * {b:?}");
                    muls += 1;
                    top += usize::from(split(p).0 >> 94 != 0);
                }
                if let Some(s) = fast_add(a, b) {
                    assert_eq!(bytes(Some(s)), bytes(a.checked_add(b)), "{a:?} + {b:?}");
                    adds += 1;
                    top += usize::from(split(s).0 >> 94 != 0);
                }
            }
        }
        assert!(
            muls > n / 4 && adds > n / 2 && top > n / 100,
            "{muls} {adds} {top}"
        );
    }

    /// Ledger-like operands: share counts, prices of up to 8 decimals, cash of a few cents to
    /// billions, signs and zeros of every scale; every one on the shortcut.
    #[test]
    fn ledger_sizes_take_the_shortcut() {
        let mut rng = fastrand::Rng::with_seed(0x1ED6_E125);
        for _ in 0..300_000 {
            let qty = raw(u128::from(rng.u32(..100_000)), rng.bool(), rng.u32(0..=4));
            let price = raw(u128::from(rng.u64(..1 << 40)), false, rng.u32(0..=8));
            let cash = raw(u128::from(rng.u64(..1 << 50)), rng.bool(), rng.u32(0..=10));
            let value = fast_mul(qty, price).expect("shortcut");
            assert_eq!(bytes(Some(value)), bytes(qty.checked_mul(price)));
            for (a, b) in [
                (cash, value),
                (value, cash),
                (value.abs(), value),
                (value, -value),
            ] {
                let sum = fast_add(a, b).expect("shortcut");
                assert_eq!(bytes(Some(sum)), bytes(a.checked_add(b)), "{a:?} + {b:?}");
            }
        }
    }

    /// Aligned sums and differences of a few units either side of 2^96 (the largest mantissa
    /// plus one), which random operands seldom land on: the last exact sum, and the first the
    /// library rounds.
    #[test]
    fn sums_at_the_end_of_the_mantissa() {
        let mut rng = fastrand::Rng::with_seed(0x96);
        let mut exact = 0;
        for _ in 0..100_000 {
            // 10^d must exceed 2^32 for the scaled operand to fit 64 bits.
            let d = rng.u32(10..=19);
            let power = u128::from(POW10[d as usize]);
            let target = MANTISSA_END.wrapping_add_signed(i128::from(rng.i8(-3..=3)));
            let s = rng.u32(0..=MAX_SCALE - d);
            let n = rng.bool();
            // x * 10^d + y, or x * 10^d - y, is the target.
            let (x, y, same_sign) = if rng.bool() {
                (target / power, target % power, true)
            } else {
                let x = target.div_ceil(power);
                (x, x * power - target, false)
            };
            let a = raw(x, n, s);
            let b = raw(y, if same_sign { n } else { !n }, s + d);
            for (a, b) in [(a, b), (b, a)] {
                let want = a.checked_add(b);
                assert_eq!(bytes(Some(add(a, b))), bytes(want), "{a:?} + {b:?}");
                if let Some(sum) = fast_add(a, b) {
                    assert_eq!(bytes(Some(sum)), bytes(want), "{a:?} + {b:?}");
                    exact += 1;
                }
            }
        }
        assert!(exact > 50_000, "{exact}");
    }

    /// Zeros of every sign and scale, against every kind of operand.
    #[test]
    fn zeros_are_the_library_ones() {
        let mut rng = fastrand::Rng::with_seed(0x2E70);
        for _ in 0..50_000 {
            let zero = raw(0, rng.bool(), rng.u32(0..=MAX_SCALE));
            let w = width(&mut rng);
            let other = decimal(&mut rng, w);
            for (a, b) in [(zero, other), (other, zero), (zero, zero)] {
                assert_eq!(
                    bytes(fast_mul(a, b)),
                    bytes(a.checked_mul(b)),
                    "{a:?} * {b:?}"
                );
                assert_eq!(
                    bytes(fast_add(a, b)),
                    bytes(a.checked_add(b)),
                    "{a:?} + {b:?}"
                );
            }
        }
    }

    /// The public functions fall back to the library outside the shortcut, overflow included.
    #[test]
    fn outside_the_shortcut_the_library_decides() {
        let big = raw(MANTISSA_END - 1, false, 0);
        let wide = raw(1 << 70, true, 3);
        let small = raw(12_345, false, 27);
        assert_eq!(mul(wide, small).serialize(), (wide * small).serialize());
        assert_eq!(add(big, wide).serialize(), (big + wide).serialize());
        let tiny = raw(1, false, 20);
        assert_eq!(mul(tiny, tiny).serialize(), (tiny * tiny).serialize());
        assert!(std::panic::catch_unwind(|| add(big, big)).is_err());
        assert!(std::panic::catch_unwind(|| mul(big, big)).is_err());
    }
}
