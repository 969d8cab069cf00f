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
    // Written digit by digit rather than through four `format!` calls (the formatting
    // machinery was most of the cost of an id), the key hashed piece by piece as it is
    // written (FNV-1a over the pieces in turn is FNV-1a over the joined key) and the id put
    // together on the stack: one allocation, the id's own. A test checks the result against
    // the `format!` version for many inputs.
    let mut ints = itoa::Buffer::new();
    let mut h = Fnv1a::new();
    h.write(ints.format(cycle.ts.0).as_bytes());
    h.write(b"|");
    h.write(ints.format(cycle.seq).as_bytes());
    h.write(b"|");
    h.write(symbol.as_str().as_bytes());
    h.write(b"|");
    h.write(side.as_str().as_bytes());
    h.write(b"|");
    let q = qty.0.normalize();
    if q.scale() == 0 {
        // An integer prints as its mantissa (a negative zero does not survive `normalize`).
        match i64::try_from(q.mantissa()) {
            Ok(m) => h.write(ints.format(m).as_bytes()),
            Err(_) => h.write(ints.format(q.mantissa()).as_bytes()),
        }
    } else {
        h.write(q.to_string().as_bytes());
    }
    h.write(b"|");
    h.write(leg.as_str().as_bytes());
    let hash = h.0 & 0xffff_ffff;

    let mut id = IdText::default();
    id.push(b"of-");
    id.push(ints.format(cycle.ts.0.div_euclid(1_000_000_000)).as_bytes());
    id.push(b"-");
    id.push(ints.format(cycle.seq).as_bytes());
    id.push(b"-");
    // `-b-` or `-s-` and eight hex digits follow the symbol.
    const TAIL: usize = 11;
    let room = MAX_CLIENT_ID_LEN.saturating_sub(id.len + TAIL);
    for c in symbol.as_str().chars().take(room) {
        id.push(&[if c.is_ascii_alphanumeric() {
            c as u8
        } else {
            b'-'
        }]);
    }
    id.push(match side {
        Side::Buy => b"-b-",
        Side::Sell => b"-s-",
    });
    for shift in (0..8).rev() {
        let nibble = ((hash >> (shift * 4)) & 0xf) as u8;
        id.push(&[if nibble < 10 {
            b'0' + nibble
        } else {
            b'a' + nibble - 10
        }]);
    }
    ClientOrderId::new(id.as_str())
}

/// An id being written: ASCII, at most `MAX_CLIENT_ID_LEN` bytes (the longest head, an
/// 11-character second count and a 20-digit sequence, leaves room for one symbol character).
struct IdText {
    bytes: [u8; MAX_CLIENT_ID_LEN],
    len: usize,
}

impl Default for IdText {
    fn default() -> Self {
        IdText {
            bytes: [0; MAX_CLIENT_ID_LEN],
            len: 0,
        }
    }
}

impl IdText {
    /// Appends `b`, cut at the length limit (which the id's layout never reaches).
    fn push(&mut self, b: &[u8]) {
        let end = (self.len + b.len()).min(MAX_CLIENT_ID_LEN);
        self.bytes[self.len..end].copy_from_slice(&b[..end - self.len]);
        self.len = end;
    }

    fn as_str(&self) -> &str {
        // Only ASCII was pushed.
        std::str::from_utf8(&self.bytes[..self.len]).unwrap_or_default()
    }
}

/// FNV-1a, 64-bit, fed a piece at a time: `fnv1a64` of the pieces joined.
struct Fnv1a(u64);

impl Fnv1a {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;

    fn new() -> Self {
        Fnv1a(Self::OFFSET)
    }
    fn write(&mut self, bytes: &[u8]) {
        self.0 = bytes
            .iter()
            .fold(self.0, |h, b| (h ^ u64::from(*b)).wrapping_mul(Self::PRIME));
    }
}

/// FNV-1a, 64-bit (Fowler, Noll, Vo): tiny, stable across Rust versions and platforms, unlike
/// `std`'s `DefaultHasher`, whose output may change between releases.
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut h = Fnv1a::new();
    h.write(bytes);
    h.0
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
