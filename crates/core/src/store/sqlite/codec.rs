//! Conversions between domain values and SQLite columns: exact decimals as text, snake_case
//! enums as their serde names, unsigned counters as checked 64-bit integers.

use crate::store::error::{StoreError, StoreResult};
use rust_decimal::Decimal;
use serde::de::DeserializeOwned;
use serde::Serialize;

/// Decimal as text: `Display` writes every digit and the scale, `from_str_exact` reads it back
/// without rounding, so 0.1 + 0.2 stays 0.3 and 1.50 stays 1.50.
pub fn dec_text(d: Decimal) -> String {
    d.to_string()
}

pub fn parse_dec(table: &'static str, column: &'static str, s: &str) -> StoreResult<Decimal> {
    Decimal::from_str_exact(s).map_err(|_| StoreError::Corrupt {
        table,
        column,
        value: s.to_owned(),
        expected: "decimal",
    })
}

/// The serde name of a unit-variant enum (`Side::Buy` → `buy`).
pub fn enum_text<T: Serialize>(v: &T, what: &'static str) -> StoreResult<String> {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => Ok(s),
        Ok(other) => Err(StoreError::Corrupt {
            table: "(write)",
            column: what,
            value: other.to_string(),
            expected: "unit enum variant",
        }),
        Err(source) => Err(StoreError::Json {
            op: "encode enum",
            source,
        }),
    }
}

pub fn parse_enum<T: DeserializeOwned>(
    table: &'static str,
    column: &'static str,
    s: String,
) -> StoreResult<T> {
    serde_json::from_value(serde_json::Value::String(s.clone())).map_err(|_| StoreError::Corrupt {
        table,
        column,
        value: s,
        expected: column,
    })
}

pub fn u64_to_i64(what: &'static str, v: u64) -> StoreResult<i64> {
    i64::try_from(v).map_err(|_| StoreError::OutOfRange { what, value: v })
}

pub fn i64_to_u64(table: &'static str, column: &'static str, v: i64) -> StoreResult<u64> {
    u64::try_from(v).map_err(|_| StoreError::Corrupt {
        table,
        column,
        value: v.to_string(),
        expected: "non-negative integer",
    })
}

/// `LIMIT` takes an i64; anything larger than i64::MAX means "no limit".
pub fn limit(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Side;
    use rust_decimal_macros::dec;

    #[test]
    fn decimals_keep_value_and_scale() {
        let sum = dec!(0.1) + dec!(0.2);
        let back = parse_dec("t", "c", &dec_text(sum)).unwrap();
        assert_eq!(back, dec!(0.3));
        assert_eq!(dec_text(parse_dec("t", "c", "1.50").unwrap()), "1.50");
        assert!(parse_dec("t", "c", "1e5x").is_err());
    }

    #[test]
    fn enums_use_serde_names() {
        assert_eq!(enum_text(&Side::Sell, "side").unwrap(), "sell");
        let s: Side = parse_enum("t", "side", "buy".into()).unwrap();
        assert_eq!(s, Side::Buy);
        assert!(parse_enum::<Side>("t", "side", "long".into()).is_err());
    }
}
