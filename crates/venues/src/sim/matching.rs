//! Price rules: whether an order executes against one bar, and at what reference price.
//!
//! Pure functions of the order and the bar, so every rule in the module doc of `sim` is tested
//! here in isolation. Quantity (volume caps, FOK) is decided by the exchange, not here.

use optifire_core::domain::{Bar, OrderType, Side};
use rust_decimal::{Decimal, RoundingStrategy};

/// A bar's prices as exact decimals on the tick grid.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BarPrices {
    pub open: Decimal,
    pub high: Decimal,
    pub low: Decimal,
    pub close: Decimal,
}

/// `None` if a price is not a finite number.
pub fn to_tick(v: f64, price_decimals: u32) -> Option<Decimal> {
    // Round to 8 decimals first so 412.34499999999997 (the f64 nearest 412.345) becomes 412.345
    // before the rounding to the tick.
    let d = round8(v)?;
    Some(round_half_away(d, price_decimals))
}

/// `d.round_dp_with_strategy(dp, MidpointAwayFromZero)`, the same decimal (value and scale), in
/// 64-bit integers when the mantissa fits (every price `round8` makes): the library's general
/// rounding was the costly part of putting a bar's four prices on the tick. A scale of at most
/// `dp` is left as it is, as the library leaves it.
pub fn round_half_away(d: Decimal, dp: u32) -> Decimal {
    let scale = d.scale();
    if scale <= dp {
        return d;
    }
    let general = || d.round_dp_with_strategy(dp, RoundingStrategy::MidpointAwayFromZero);
    // A zero keeps its sign there (a negative zero stays negative), which `decimal_of` drops.
    let m = match u64::try_from(d.mantissa().unsigned_abs()) {
        Ok(m) if m != 0 => m,
        _ => return general(),
    };
    let Some(&p) = POW10.get((scale - dp) as usize) else {
        return general();
    };
    let (q, r) = (m / p, m % p);
    // r >= p / 2 rounded up, in integers: 2r >= p without overflowing (p <= 10^19 < 2^64).
    // q + 1 <= m / 10 + 1 cannot overflow either.
    let q = if r >= p - r { q + 1 } else { q };
    decimal_of(q, d.is_sign_negative(), dp)
}

/// `Decimal::from_f64_retain(v)?.round_dp(8)`, the same decimal (value and scale): `round_f64`
/// to 8 decimals, the grid prices are kept on.
#[inline]
pub fn round8(v: f64) -> Option<Decimal> {
    round_f64(v, 8)
}

/// `Decimal::from_f64_retain(v)?.round_dp(dp)` for `dp` of at most 8, the same decimal (value
/// and scale), without the general float to decimal conversion for values of 1e-3 to 1e9 (the
/// conversion is the costly part of handing a bar to the exchange, marking a position or
/// pricing slippage). Such a `v` is `mant / 2^k` exactly; with `mant` odd, a `k` of at most `dp`
/// means `v` has exactly `k` decimals, which the conversion keeps and the rounding leaves
/// alone; otherwise the conversion keeps more than `dp` decimals (it is exact to ~28
/// significant digits) and rounding to `dp`, half to even, is rounding the exact
/// `v * 10^dp`, done here in integers. Within a millionth of a unit of a half, and outside the
/// range, the general path decides.
#[inline]
pub fn round_f64(v: f64, dp: u32) -> Option<Decimal> {
    let general = |v: f64| Decimal::from_f64_retain(v).map(|d| d.round_dp(dp));
    if !(1e-3..1e9).contains(&v) || dp > 8 {
        return general(v);
    }
    let bits = v.to_bits();
    // A positive normal number: no sign bit, the biased exponent from 1013 (2^-10) to 1052.
    let biased = (bits >> 52) as u32;
    let mut mant = (bits & ((1u64 << 52) - 1)) | (1u64 << 52);
    // v = mant / 2^k, k from 23 (v < 2^30) to 62 (v >= 2^-10).
    let mut k = 1075 - biased;
    let tz = mant.trailing_zeros().min(k);
    mant >>= tz;
    k -= tz;
    if k <= dp {
        // v * 10^k = mant * 5^k < 1e9 * 1e8 < 2^64.
        return Some(decimal_of(mant * POW5[k as usize], false, k));
    }
    // Only the product needs 128 bits (mant < 2^53 times 10^8 < 2^27); with k <= 62 the
    // quotient (< 2^57) and the remainder (< 2^k) fit 64 bits.
    let num = u128::from(mant) * u128::from(POW10[dp as usize]);
    let q = (num >> k) as u64;
    let r = num as u64 & ((1u64 << k) - 1);
    let half = 1u64 << (k - 1);
    if r.abs_diff(half) <= (1u64 << k) >> 20 {
        return general(v);
    }
    Some(decimal_of(q + u64::from(r > half), false, dp))
}

/// `10^n` for `n` up to 19, the largest power of ten below 2^64: a table rather than `pow`
/// at run time, on every price of every bar.
const POW10: [u64; 20] = {
    let mut t = [1u64; 20];
    let mut n = 1;
    while n < t.len() {
        t[n] = t[n - 1] * 10;
        n += 1;
    }
    t
};

/// `5^n` for `n` up to 8, the decimals `round_f64` goes to.
const POW5: [u64; 9] = [1, 5, 25, 125, 625, 3125, 15_625, 78_125, 390_625];

/// `Decimal::from_i128_with_scale(±m, scale)` without its range checks (an `m` below 2^64 is
/// in range, a `scale` of at most 28 is the caller's): a zero is positive, as there.
fn decimal_of(m: u64, negative: bool, scale: u32) -> Decimal {
    Decimal::from_parts(m as u32, (m >> 32) as u32, 0, negative, scale)
}

impl BarPrices {
    pub fn from_bar(bar: &Bar, price_decimals: u32) -> Option<BarPrices> {
        Some(BarPrices {
            open: to_tick(bar.open, price_decimals)?,
            high: to_tick(bar.high, price_decimals)?,
            low: to_tick(bar.low, price_decimals)?,
            close: to_tick(bar.close, price_decimals)?,
        })
    }
}

/// How an execution is priced.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Execution {
    /// A market-style execution at this reference price; slippage applies.
    Market(Decimal),
    /// A limit-style execution at exactly this price; no slippage (the limit bounds it).
    Limit(Decimal),
}

/// What one bar does to an order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Match {
    /// The stop has been traded through (stays true for the order's life).
    pub triggered: bool,
    pub execution: Option<Execution>,
}

fn limit_touch(side: Side, limit: Decimal, b: &BarPrices) -> Option<Execution> {
    match side {
        // A buy limit fills when the low reaches it, at the better of open and limit: a gap
        // down through the limit fills at the open.
        Side::Buy if b.low <= limit => Some(Execution::Limit(b.open.min(limit))),
        Side::Sell if b.high >= limit => Some(Execution::Limit(b.open.max(limit))),
        _ => None,
    }
}

fn stop_hit(side: Side, stop: Decimal, b: &BarPrices) -> bool {
    match side {
        Side::Buy => b.high >= stop,
        Side::Sell => b.low <= stop,
    }
}

/// The price at which a stop triggers: the stop, or the open when the bar gaps through it.
fn trigger_price(side: Side, stop: Decimal, b: &BarPrices) -> Decimal {
    match side {
        Side::Buy => b.open.max(stop),
        Side::Sell => b.open.min(stop),
    }
}

fn gapped_through(side: Side, stop: Decimal, b: &BarPrices) -> bool {
    match side {
        Side::Buy => b.open >= stop,
        Side::Sell => b.open <= stop,
    }
}

fn within_limit(side: Side, px: Decimal, limit: Decimal) -> bool {
    match side {
        Side::Buy => px <= limit,
        Side::Sell => px >= limit,
    }
}

/// Continuous-session matching of an order against the next bar (not the closing auction).
/// `triggered` is whether an earlier bar already triggered the order's stop.
pub fn match_bar(order_type: &OrderType, side: Side, triggered: bool, b: &BarPrices) -> Match {
    let none = Match {
        triggered,
        execution: None,
    };
    match *order_type {
        OrderType::Market => Match {
            triggered,
            execution: Some(Execution::Market(b.open)),
        },
        OrderType::Limit { limit } => Match {
            triggered,
            execution: limit_touch(side, limit.0, b),
        },
        OrderType::Stop { .. } if triggered => Match {
            triggered,
            execution: Some(Execution::Market(b.open)),
        },
        OrderType::Stop { stop } => {
            if stop_hit(side, stop.0, b) {
                Match {
                    triggered: true,
                    execution: Some(Execution::Market(trigger_price(side, stop.0, b))),
                }
            } else {
                none
            }
        }
        OrderType::StopLimit { limit, .. } if triggered => Match {
            triggered,
            execution: limit_touch(side, limit.0, b),
        },
        OrderType::StopLimit { stop, limit } => {
            if !stop_hit(side, stop.0, b) {
                return none;
            }
            let t = trigger_price(side, stop.0, b);
            let execution = if within_limit(side, t, limit.0) {
                // Marketable at the moment it triggers.
                Some(Execution::Limit(t))
            } else if gapped_through(side, stop.0, b) {
                // Triggered at the open, so the whole bar comes after the trigger: the limit
                // fills if the range reaches it.
                limit_touch(side, limit.0, b)
            } else {
                // Triggered inside the bar above (buy) the limit: whether the price came back
                // to the limit after the trigger is unknowable from OHLC, so it rests.
                None
            };
            Match {
                triggered: true,
                execution,
            }
        }
        OrderType::MarketOnClose => none,
    }
}

/// Closing-auction matching: market-on-close at the close; a limit on close fills at the close
/// when the close is within the limit.
pub fn match_close(order_type: &OrderType, side: Side, b: &BarPrices) -> Option<Execution> {
    match *order_type {
        OrderType::Market | OrderType::MarketOnClose => Some(Execution::Market(b.close)),
        OrderType::Limit { limit } if within_limit(side, b.close, limit.0) => {
            Some(Execution::Limit(b.close))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use optifire_core::domain::Price;
    use rust_decimal_macros::dec;

    fn bar(o: Decimal, h: Decimal, l: Decimal, c: Decimal) -> BarPrices {
        BarPrices {
            open: o,
            high: h,
            low: l,
            close: c,
        }
    }
    fn lim(l: Decimal) -> OrderType {
        OrderType::Limit { limit: Price(l) }
    }
    fn stop(s: Decimal) -> OrderType {
        OrderType::Stop { stop: Price(s) }
    }
    fn stop_limit(s: Decimal, l: Decimal) -> OrderType {
        OrderType::StopLimit {
            stop: Price(s),
            limit: Price(l),
        }
    }

    /// The shortcuts give the library's decimal, value and scale, on prices of every size,
    /// exact ties and values a hair either side of a half.
    #[test]
    fn fast_roundings_are_the_library_ones() {
        let mut rng = fastrand::Rng::with_seed(0x005E_ED0F_71C5);
        let mut values: Vec<f64> = vec![
            0.0,
            -0.0,
            1e-3,
            0.00099999,
            1e9,
            999_999_999.99,
            0.5,
            2.5,
            412.345,
            99.994999,
            2.179012,
            0.125,
            1.000000005,
            1.000000015,
            17.123456785,
            -3.75,
            -412.345,
        ];
        for _ in 0..20_000 {
            let e: i32 = rng.i32(-4..10);
            let x: f64 = rng.f64() * 10f64.powi(e);
            // Some on a decimal grid (ties of the next rounding), some arbitrary.
            let dp: i32 = rng.i32(0..11);
            let grid = (x * 10f64.powi(dp)).round() / 10f64.powi(dp);
            values.push(x);
            values.push(grid);
            values.push(-grid);
            values.push(f64::from_bits(grid.to_bits() + 1));
            values.push(f64::from_bits(grid.to_bits().saturating_sub(1)));
        }
        // Serialized: value, scale and sign (a negative zero prints like a positive one).
        let text = |d: Option<Decimal>| d.map(|d| d.serialize());
        for &v in &values {
            let exact = Decimal::from_f64_retain(v);
            for dp in 0..=9 {
                let want = exact.map(|d| d.round_dp(dp));
                assert_eq!(text(round_f64(v, dp)), text(want), "{v:e} to {dp}");
                let tick = exact.map(|d| {
                    d.round_dp(8)
                        .round_dp_with_strategy(dp, RoundingStrategy::MidpointAwayFromZero)
                });
                assert_eq!(text(to_tick(v, dp)), text(tick), "{v:e} tick {dp}");
            }
        }
    }

    /// Every shortcut of `round_f64` on uniformly random doubles of its whole range (all
    /// exponents, all mantissas) and the tick rounding of every decimal it gives, in bytes.
    #[test]
    fn fast_roundings_are_the_library_ones_across_the_range() {
        let mut rng = fastrand::Rng::with_seed(0x0DD5_EED5);
        // From 2^-11 (below 1e-3) to 2^30 (above 1e9).
        let (lo, hi) = (1012u64 << 52, 1054u64 << 52);
        // `round_f64` against the general conversion, value and scale, at every precision.
        let check = |v: f64| {
            let exact = Decimal::from_f64_retain(v);
            for dp in 0..=8 {
                let want = exact.map(|d| d.round_dp(dp));
                let got = round_f64(v, dp);
                assert_eq!(
                    got.map(|d| d.serialize()),
                    want.map(|d| d.serialize()),
                    "{v:e}"
                );
            }
        };
        for _ in 0..60_000 {
            check(f64::from_bits(rng.u64(lo..hi)));
        }
        // Dyadic prices (old 1/2^j ticks), which `round_f64` gives exactly with j decimals.
        for _ in 0..20_000 {
            let j = rng.i32(0..=12);
            check(f64::from(rng.u32(1..1 << 24)) * 2f64.powi(-j));
        }
        for _ in 0..100_000 {
            let scale = rng.u32(0..=28);
            let m = match rng.u8(..3) {
                0 => rng.u64(..),
                1 => rng.u64(..1 << 40),
                _ => rng.u64(..1000) * 5,
            };
            let d = Decimal::from_i128_with_scale(i128::from(m), scale);
            let d = if rng.bool() { -d } else { d };
            for dp in [0, 1, 2, 4, 8, rng.u32(0..=28)] {
                let want = d.round_dp_with_strategy(dp, RoundingStrategy::MidpointAwayFromZero);
                assert_eq!(
                    round_half_away(d, dp).serialize(),
                    want.serialize(),
                    "{d} {dp}"
                );
            }
        }
    }

    #[test]
    fn ticks_round_half_away_from_zero() {
        assert_eq!(to_tick(412.345, 2), Some(dec!(412.35)));
        assert_eq!(to_tick(99.994999, 2), Some(dec!(99.99)));
        assert_eq!(to_tick(f64::NAN, 2), None);
    }

    #[test]
    fn market_fills_at_the_open() {
        let b = bar(dec!(100), dec!(105), dec!(95), dec!(101));
        let m = match_bar(&OrderType::Market, Side::Buy, false, &b);
        assert_eq!(m.execution, Some(Execution::Market(dec!(100))));
    }

    #[test]
    fn limits_fill_at_the_better_of_open_and_limit() {
        let b = bar(dec!(100), dec!(105), dec!(95), dec!(101));
        // Buy 97: low 95 reaches it, open 100 is above → 97.
        assert_eq!(
            match_bar(&lim(dec!(97)), Side::Buy, false, &b).execution,
            Some(Execution::Limit(dec!(97)))
        );
        // Buy 94: low 95 never reaches it.
        assert_eq!(
            match_bar(&lim(dec!(94)), Side::Buy, false, &b).execution,
            None
        );
        // Sell 104 fills at 104; sell 106 does not.
        assert_eq!(
            match_bar(&lim(dec!(104)), Side::Sell, false, &b).execution,
            Some(Execution::Limit(dec!(104)))
        );
        assert_eq!(
            match_bar(&lim(dec!(106)), Side::Sell, false, &b).execution,
            None
        );
        // Gap down: buy limit 97 with the bar opening at 92 fills at the open, 92.
        let gap = bar(dec!(92), dec!(93), dec!(90), dec!(91));
        assert_eq!(
            match_bar(&lim(dec!(97)), Side::Buy, false, &gap).execution,
            Some(Execution::Limit(dec!(92)))
        );
        // Gap up: sell limit 104 with the bar opening at 108 fills at 108.
        let up = bar(dec!(108), dec!(110), dec!(107), dec!(109));
        assert_eq!(
            match_bar(&lim(dec!(104)), Side::Sell, false, &up).execution,
            Some(Execution::Limit(dec!(108)))
        );
    }

    #[test]
    fn stops_trigger_through_the_range_and_fill_at_the_worse_of_open_and_stop() {
        let b = bar(dec!(100), dec!(105), dec!(95), dec!(101));
        let m = match_bar(&stop(dec!(103)), Side::Buy, false, &b);
        assert_eq!(
            m,
            Match {
                triggered: true,
                execution: Some(Execution::Market(dec!(103)))
            }
        );
        assert_eq!(
            match_bar(&stop(dec!(106)), Side::Buy, false, &b).execution,
            None
        );
        assert_eq!(
            match_bar(&stop(dec!(96)), Side::Sell, false, &b).execution,
            Some(Execution::Market(dec!(96)))
        );
        // Gap through a sell stop at 96: opens at 90 → fills at the open, 90.
        let gap = bar(dec!(90), dec!(92), dec!(88), dec!(91));
        assert_eq!(
            match_bar(&stop(dec!(96)), Side::Sell, false, &gap).execution,
            Some(Execution::Market(dec!(90)))
        );
        // Gap through a buy stop at 103: opens at 107 → 107.
        let up = bar(dec!(107), dec!(108), dec!(106), dec!(107));
        assert_eq!(
            match_bar(&stop(dec!(103)), Side::Buy, false, &up).execution,
            Some(Execution::Market(dec!(107)))
        );
    }

    #[test]
    fn stop_limit_triggers_then_limits() {
        let b = bar(dec!(100), dec!(105), dec!(95), dec!(101));
        // Buy stop 103 limit 104: triggers at 103 ≤ 104 → limit fill at 103.
        assert_eq!(
            match_bar(&stop_limit(dec!(103), dec!(104)), Side::Buy, false, &b).execution,
            Some(Execution::Limit(dec!(103)))
        );
        // Buy stop 103 limit 102 triggered inside the bar: rests as a limit at 102.
        let m = match_bar(&stop_limit(dec!(103), dec!(102)), Side::Buy, false, &b);
        assert_eq!(
            m,
            Match {
                triggered: true,
                execution: None
            }
        );
        // Next bar 101.5-103 low 101: the resting buy limit 102 fills at min(open 101.5, 102).
        let next = bar(dec!(101.5), dec!(103), dec!(101), dec!(102));
        assert_eq!(
            match_bar(&stop_limit(dec!(103), dec!(102)), Side::Buy, true, &next).execution,
            Some(Execution::Limit(dec!(101.5)))
        );
        // Gap: opens 107 through stop 103, limit 105 above open? no: 107 > 105, low 104 ≤ 105
        // → triggered at the open, the range then reaches 105 → fills at 105.
        let gap = bar(dec!(107), dec!(108), dec!(104), dec!(106));
        assert_eq!(
            match_bar(&stop_limit(dec!(103), dec!(105)), Side::Buy, false, &gap).execution,
            Some(Execution::Limit(dec!(105)))
        );
        // Same gap with limit 103.5, low 104 never reaches it: triggered, resting.
        let m = match_bar(&stop_limit(dec!(103), dec!(103.5)), Side::Buy, false, &gap);
        assert_eq!((m.triggered, m.execution), (true, None));
        // Sell stop 96 limit 95.5: triggers at 96 ≥ 95.5 → 96.
        assert_eq!(
            match_bar(&stop_limit(dec!(96), dec!(95.5)), Side::Sell, false, &b).execution,
            Some(Execution::Limit(dec!(96)))
        );
    }

    #[test]
    fn closing_auction() {
        let b = bar(dec!(100), dec!(105), dec!(95), dec!(101));
        assert_eq!(
            match_close(&OrderType::MarketOnClose, Side::Sell, &b),
            Some(Execution::Market(dec!(101)))
        );
        assert_eq!(
            match_close(&lim(dec!(101)), Side::Buy, &b),
            Some(Execution::Limit(dec!(101)))
        );
        assert_eq!(match_close(&lim(dec!(100.99)), Side::Buy, &b), None);
        assert_eq!(
            match_bar(&OrderType::MarketOnClose, Side::Buy, false, &b).execution,
            None
        );
    }
}
