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
    ClientOrderId(format!("{head}{sym}{tail}"))
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
