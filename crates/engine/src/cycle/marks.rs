//! Prices and returns the risk engine and the ledger read, taken from the point-in-time view.
//!
//! Kept apart from the cycle so the one rule that matters here is visible in one place: every
//! number comes from `MarketView` cut at `now`, never from the full series.

use crate::risk::Mark;
use optifire_core::domain::{Price, Symbol};
use optifire_core::plugin::MarketView;
use rust_decimal::Decimal;
use std::collections::BTreeMap;

/// The latest close of every symbol known at the view's `now`, with the bar's instant.
pub fn marks(view: &MarketView<'_>) -> BTreeMap<Symbol, Mark> {
    view.symbols()
        .filter_map(|s| {
            view.last(s).map(|b| {
                (
                    s.clone(),
                    Mark {
                        price: b.close,
                        ts: b.ts,
                    },
                )
            })
        })
        .collect()
}

/// A close as an exact ledger price: the f64 rounded to 8 decimals, so a printed mark and the
/// equity computed from it do not depend on the last binary digit of the source file's number.
pub fn ledger_price(close: f64) -> Option<Price> {
    Decimal::from_f64_retain(close)
        .map(|d| Price(d.round_dp(8)))
        .filter(|p| p.0 > Decimal::ZERO)
}

/// Daily simple returns per symbol on the benchmark's bar instants (the last `lookback + 1` of
/// them), each symbol taken at its last close at or before each instant. Aligning on one
/// calendar keeps a crypto series (which also trades on weekends) comparable with equities.
/// A symbol without a close at the first instants gets only the returns after its first close,
/// so the risk engine sees it as still warming up.
pub fn aligned_returns(
    view: &MarketView<'_>,
    benchmark: &Symbol,
    lookback: usize,
) -> BTreeMap<Symbol, Vec<f64>> {
    let instants: Vec<_> = view
        .last_n(benchmark, lookback + 1)
        .iter()
        .map(|b| b.ts)
        .collect();
    let mut out = BTreeMap::new();
    for s in view.symbols() {
        let bars = view.bars(s);
        // One binary search for the first instant, then a forward walk: the instants and the
        // bars are both in time order, so each later close is found by advancing.
        let mut k = instants
            .first()
            .map_or(0, |t0| bars.partition_point(|b| b.ts <= *t0));
        let mut prev: Option<f64> = None;
        let mut r = Vec::with_capacity(instants.len().saturating_sub(1));
        for (i, t) in instants.iter().enumerate() {
            while bars.get(k).is_some_and(|b| b.ts <= *t) {
                k += 1;
            }
            let close = k.checked_sub(1).map(|j| bars[j].close);
            if i > 0 {
                match (prev, close) {
                    (Some(a), Some(b)) if a > 0.0 => r.push(b / a - 1.0),
                    _ => r.clear(),
                }
            }
            prev = close;
        }
        out.insert(s.clone(), r);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use optifire_core::domain::Bar;
    use optifire_core::plugin::MarketData;
    use optifire_core::Timestamp;

    fn bar(s: &str, t: i64, c: f64) -> Bar {
        Bar {
            symbol: s.into(),
            ts: Timestamp(t),
            open: c,
            high: c,
            low: c,
            close: c,
            volume: 1.0,
        }
    }

    #[test]
    fn returns_align_on_the_benchmark_and_stop_at_now() {
        let mut md = MarketData::new();
        md.insert(
            "SPY".into(),
            vec![
                bar("SPY", 10, 100.0),
                bar("SPY", 20, 110.0),
                bar("SPY", 30, 99.0),
            ],
        )
        .unwrap();
        // BTC has an extra bar at 15 and starts after SPY's first instant.
        md.insert(
            "BTC-USD".into(),
            vec![
                bar("BTC-USD", 15, 50.0),
                bar("BTC-USD", 20, 40.0),
                bar("BTC-USD", 25, 60.0),
            ],
        )
        .unwrap();
        let view = md.view(Timestamp(30));
        let r = aligned_returns(&view, &Symbol::new("SPY"), 5);
        // SPY: 110/100 - 1, 99/110 - 1.
        assert_eq!(
            r[&Symbol::new("SPY")],
            vec![110.0 / 100.0 - 1.0, 99.0 / 110.0 - 1.0]
        );
        // BTC at SPY's instants 10, 20, 30: none, 40, 60 -> one return 60/40 - 1.
        assert_eq!(r[&Symbol::new("BTC-USD")], vec![0.5]);
        let early = md.view(Timestamp(20));
        assert_eq!(marks(&early)[&Symbol::new("BTC-USD")].price, 40.0);
        // The f64 nearest 412.345 is 412.34499999999997...: 8 decimals give 412.345 exactly.
        assert_eq!(
            ledger_price(412.345).unwrap().0,
            rust_decimal::Decimal::new(412_345, 3)
        );
    }
}
