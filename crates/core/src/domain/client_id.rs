//! Deterministic client order ids: the same decision always gets the same id.
//!
//! A resend after a crash must carry the id of the first attempt so the broker refuses it as a
//! duplicate instead of trading twice; so the id is a pure function of what was decided.

use super::planned::{CycleId, Leg};
use super::{ClientOrderId, Quantity, Side, Symbol};

/// Alpaca accepts client order ids up to 48 characters.
pub const MAX_CLIENT_ID_LEN: usize = 48;

/// `of-<ts_secs>-<seq>-<symbol>-<b|s>-<hash8>`, at most 48 characters of `[A-Za-z0-9-]`.
///
/// `hash8` is the low 32 bits (8 hex digits) of FNV-1a 64 over the full inputs (nanosecond
/// timestamp, sequence, exact symbol, side, normalized quantity, leg), so the readable part may
/// be shortened or sanitized (symbols such as `BRK.B` become `BRK-B`, long symbols are cut)
/// without two decisions sharing an id in practice. The leg is hashed because a long-to-short
/// split can produce two sells of the same size in one cycle.
pub fn client_order_id(
    cycle: CycleId,
    symbol: &Symbol,
    side: Side,
    qty: Quantity,
    leg: Leg,
) -> ClientOrderId {
    // Written digit by digit into buffers rather than through four `format!` calls: one id per
    // order, and the formatting machinery was most of its cost. A test checks the result
    // against the `format!` version for many inputs.
    let mut key = String::with_capacity(80);
    push_int(&mut key, cycle.ts.0);
    key.push('|');
    push_int(&mut key, cycle.seq);
    key.push('|');
    key.push_str(symbol.as_str());
    key.push('|');
    key.push_str(side.as_str());
    key.push('|');
    let q = qty.0.normalize();
    if q.scale() == 0 {
        // An integer prints as its mantissa (a negative zero does not survive `normalize`).
        match i64::try_from(q.mantissa()) {
            Ok(m) => push_int(&mut key, m),
            Err(_) => push_int(&mut key, q.mantissa()),
        }
    } else {
        use std::fmt::Write as _;
        let _ = write!(key, "{q}");
    }
    key.push('|');
    key.push_str(leg.as_str());
    let hash = fnv1a64(key.as_bytes()) & 0xffff_ffff;

    let mut id = String::with_capacity(MAX_CLIENT_ID_LEN);
    id.push_str("of-");
    push_int(&mut id, cycle.ts.0.div_euclid(1_000_000_000));
    id.push('-');
    push_int(&mut id, cycle.seq);
    id.push('-');
    // `-b-` or `-s-` and eight hex digits follow the symbol.
    const TAIL: usize = 11;
    let room = MAX_CLIENT_ID_LEN.saturating_sub(id.len() + TAIL);
    id.extend(
        symbol
            .as_str()
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .take(room),
    );
    id.push_str(match side {
        Side::Buy => "-b-",
        Side::Sell => "-s-",
    });
    for shift in (0..8).rev() {
        let nibble = ((hash >> (shift * 4)) & 0xf) as u8;
        id.push(char::from(if nibble < 10 {
            b'0' + nibble
        } else {
            b'a' + nibble - 10
        }));
    }
    ClientOrderId(id.into())
}

/// Appends `n` in decimal, as `Display` writes it (itoa: the same digits without the
/// formatting machinery; in the integer's own width, as 128-bit division is slow).
fn push_int(out: &mut String, n: impl itoa::Integer) {
    out.push_str(itoa::Buffer::new().format(n));
}

/// FNV-1a, 64-bit (Fowler, Noll, Vo): tiny, stable across Rust versions and platforms, unlike
/// `std`'s `DefaultHasher`, whose output may change between releases.
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    bytes
        .iter()
        .fold(OFFSET, |h, b| (h ^ u64::from(*b)).wrapping_mul(PRIME))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Timestamp;
    use rust_decimal_macros::dec;

    #[test]
    fn fnv1a64_matches_published_vectors() {
        // Test vectors from the FNV reference (isthe.com/chongo/src/fnv/test_fnv.c).
        assert_eq!(fnv1a64(b""), 0xcbf29ce484222325);
        assert_eq!(fnv1a64(b"a"), 0xaf63dc4c8601ec8c);
        assert_eq!(fnv1a64(b"foobar"), 0x85944171f73967e8);
    }

    #[test]
    fn id_is_short_and_uses_safe_characters() {
        let cycle = CycleId {
            ts: Timestamp::from_secs(1_764_000_000),
            seq: 12_345_678_901,
        };
        let sym = Symbol::new("VERYLONGSYMBOL.WITH/ODD^CHARS-AND-MORE");
        let id = client_order_id(cycle, &sym, Side::Sell, Quantity(dec!(3)), Leg::Open);
        assert!(id.0.len() <= MAX_CLIENT_ID_LEN, "{id}");
        assert!(id.0.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'));
        assert!(id.0.starts_with("of-1764000000-12345678901-VERYLONG"));
        assert!(id.0.contains("-s-"));
        let short = client_order_id(
            cycle,
            &"BRK.B".into(),
            Side::Buy,
            Quantity(dec!(1)),
            Leg::Adjust,
        );
        assert!(short.0.starts_with("of-1764000000-12345678901-BRK-B-b-"));
    }

    /// The id as first written, with `format!`.
    fn reference_id(
        cycle: CycleId,
        symbol: &Symbol,
        side: Side,
        qty: Quantity,
        leg: Leg,
    ) -> ClientOrderId {
        let key = format!(
            "{}|{}|{}|{}|{}|{}",
            cycle.ts.0,
            cycle.seq,
            symbol.as_str(),
            side.as_str(),
            qty.0.normalize(),
            leg.as_str()
        );
        let hash = fnv1a64(key.as_bytes()) & 0xffff_ffff;
        let secs = cycle.ts.0.div_euclid(1_000_000_000);
        let side_char = match side {
            Side::Buy => 'b',
            Side::Sell => 's',
        };
        let head = format!("of-{secs}-{}-", cycle.seq);
        let tail = format!("-{side_char}-{hash:08x}");
        let room = MAX_CLIENT_ID_LEN.saturating_sub(head.len() + tail.len());
        let sym: String = symbol
            .as_str()
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .take(room)
            .collect();
        ClientOrderId::new(format!("{head}{sym}{tail}"))
    }

    #[test]
    fn id_is_the_formatted_one() {
        use rust_decimal::Decimal;
        let symbols = [
            "ORCL",
            "BRK.B",
            "BTC-USD",
            "",
            "VERYLONGSYMBOL.WITH/ODD^CHARS-AND-MORE-AND-MORE-STILL",
            "ÉTÉ",
        ];
        let legs = [Leg::Open, Leg::Close, Leg::Adjust];
        let mut rng = fastrand::Rng::with_seed(3);
        for i in 0..50_000u64 {
            let ts = match i % 4 {
                0 => rng.i64(..),
                1 => rng.i64(-1_000_000_000_000..1_000_000_000_000),
                2 => i64::MIN + rng.i64(0..3),
                _ => rng.i64(0..4_000_000_000) * 1_000_000_000,
            };
            let seq = if rng.bool() {
                rng.u64(..)
            } else {
                rng.u64(..10_000)
            };
            let qty = Decimal::from_i128_with_scale(
                i128::from(rng.i64(..)) >> rng.u32(0..60),
                rng.u32(0..20),
            );
            let cycle = CycleId {
                ts: Timestamp(ts),
                seq,
            };
            let symbol = Symbol::new(symbols[rng.usize(..symbols.len())]);
            let side = if rng.bool() { Side::Buy } else { Side::Sell };
            let leg = legs[rng.usize(..legs.len())];
            assert_eq!(
                client_order_id(cycle, &symbol, side, Quantity(qty), leg),
                reference_id(cycle, &symbol, side, Quantity(qty), leg),
                "{cycle:?} {symbol} {qty}"
            );
        }
        for q in [
            dec!(0),
            dec!(-0),
            dec!(100),
            dec!(-100),
            dec!(1.50),
            dec!(0.000),
        ] {
            let cycle = CycleId {
                ts: Timestamp(1),
                seq: 1,
            };
            let s = Symbol::new("X");
            assert_eq!(
                client_order_id(cycle, &s, Side::Buy, Quantity(q), Leg::Open),
                reference_id(cycle, &s, Side::Buy, Quantity(q), Leg::Open)
            );
        }
    }

    #[test]
    fn equal_quantities_with_different_scale_share_an_id() {
        let cycle = CycleId {
            ts: Timestamp::from_secs(1),
            seq: 1,
        };
        let a = client_order_id(
            cycle,
            &"X".into(),
            Side::Buy,
            Quantity(dec!(5)),
            Leg::Adjust,
        );
        let b = client_order_id(
            cycle,
            &"X".into(),
            Side::Buy,
            Quantity(dec!(5.000)),
            Leg::Adjust,
        );
        assert_eq!(a, b);
        let c = client_order_id(cycle, &"X".into(), Side::Buy, Quantity(dec!(5)), Leg::Open);
        assert_ne!(a, c);
    }
}
