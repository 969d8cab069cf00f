//! Prices and returns the risk engine and the ledger read, taken from the point-in-time view.
//!
//! Kept apart from the cycle so the one rule that matters here is visible in one place: every
//! number comes from `MarketView` cut at `now`, never from the full series.

use crate::risk::Mark;
use optifire_core::domain::{Bar, Price, Symbol};
use optifire_core::plugin::MarketView;
use optifire_core::Timestamp;
use rust_decimal::Decimal;
use std::collections::{BTreeMap, VecDeque};

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

/// `aligned_returns` kept from one cycle to the next: a backtest cycle moves the window by one
/// benchmark instant, so each symbol gains one return and loses one instead of all ~250 being
/// recomputed (that was 9% of a default backtest's CPU). Any other change of window recomputes
/// it all. The engine drops the cache whenever the market data may have changed
/// (`Engine::market_mut`): a close at an old instant is otherwise fixed, since it depends only
/// on bars at or before that instant.
#[derive(Debug, Default)]
pub(crate) struct ReturnsCache {
    instants: Vec<Timestamp>,
    /// Per symbol: the return between each two consecutive instants (`None` where a close is
    /// missing or not positive) and the close at the last instant.
    series: BTreeMap<Symbol, (VecDeque<Option<f64>>, Option<f64>)>,
    /// The map `returns` lends: rebuilt only when the window moved, in place (each symbol's
    /// vector keeps its allocation), instead of a fresh map of ~19 × 250 returns every cycle.
    out: BTreeMap<Symbol, Vec<f64>>,
}

impl ReturnsCache {
    /// The same map as `aligned_returns(view, benchmark, lookback)`.
    pub(crate) fn returns(
        &mut self,
        view: &MarketView<'_>,
        benchmark: &Symbol,
        lookback: usize,
    ) -> &BTreeMap<Symbol, Vec<f64>> {
        let instants: Vec<Timestamp> = view
            .last_n(benchmark, lookback + 1)
            .iter()
            .map(|b| b.ts)
            .collect();
        let old = &self.instants;
        let same_symbols = self.series.len() == view.symbols().count()
            && self.series.keys().zip(view.symbols()).all(|(a, b)| a == b);
        let extends = |keep_from: usize| {
            instants.len() == old.len() + 1 - keep_from
                && instants[..instants.len() - 1] == old[keep_from..]
        };
        let step = if !same_symbols || old.is_empty() {
            None
        } else if instants == *old {
            Some(None)
        } else if extends(0) {
            Some(Some(false))
        } else if extends(1) {
            Some(Some(true))
        } else {
            None
        };
        match step {
            Some(None) => return &self.out,
            Some(Some(slide)) => {
                let t = instants[instants.len() - 1];
                for (s, (pairs, last)) in &mut self.series {
                    let close = close_at(view.bars(s), t);
                    if slide {
                        pairs.pop_front();
                    }
                    pairs.push_back(pair_return(*last, close));
                    *last = close;
                }
            }
            None => {
                self.series = view
                    .symbols()
                    .map(|s| {
                        let bars = view.bars(s);
                        let mut pairs = VecDeque::with_capacity(instants.len());
                        let mut prev = None;
                        for (i, t) in instants.iter().enumerate() {
                            let close = close_at(bars, *t);
                            if i > 0 {
                                pairs.push_back(pair_return(prev, close));
                            }
                            prev = close;
                        }
                        (s.clone(), (pairs, prev))
                    })
                    .collect();
            }
        }
        self.instants = instants;
        let same_keys = self.out.len() == self.series.len()
            && self.out.keys().zip(self.series.keys()).all(|(a, b)| a == b);
        if !same_keys {
            self.out = self
                .series
                .keys()
                .map(|s| (s.clone(), Vec::new()))
                .collect();
        }
        for ((pairs, _), r) in self.series.values().zip(self.out.values_mut()) {
            // The returns after the last gap, as `aligned_returns` restarts at each gap.
            let start = pairs.iter().rposition(Option::is_none).map_or(0, |i| i + 1);
            r.clear();
            r.extend(pairs.range(start..).map(|p| p.unwrap_or(f64::NAN)));
        }
        &self.out
    }
}

impl ReturnsCache {
    /// The map the latest `returns` call lent (empty before the first).
    pub(crate) fn current(&self) -> &BTreeMap<Symbol, Vec<f64>> {
        &self.out
    }
}

/// The close of the last bar at or before `t`.
fn close_at(bars: &[Bar], t: Timestamp) -> Option<f64> {
    let k = bars.partition_point(|b| b.ts <= t);
    k.checked_sub(1).map(|j| bars[j].close)
}

/// One step's return as `aligned_returns` computes it, `None` for a gap.
fn pair_return(prev: Option<f64>, close: Option<f64>) -> Option<f64> {
    match (prev, close) {
        (Some(a), Some(b)) if a > 0.0 => Some(b / a - 1.0),
        _ => None,
    }
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

    /// The cache gives `aligned_returns`' map at every step of a run: a series that starts
    /// late, one with a non-positive close (a gap), one trading on extra days, windows that
    /// grow then slide, and a repeated instant.
    #[test]
    fn cached_returns_match_aligned_returns_along_a_run() {
        let mut md = MarketData::new();
        let spy: Vec<Bar> = (0..40)
            .map(|i| bar("SPY", 10 * i, 100.0 + (i * 7 % 11) as f64))
            .collect();
        let late: Vec<Bar> = (12..40)
            .map(|i| bar("LATE", 10 * i, if i == 25 { 0.0 } else { 50.0 + i as f64 }))
            .collect();
        let crypto: Vec<Bar> = (0..80)
            .map(|i| bar("BTC-USD", 5 * i + 3, 30.0 + (i * 3 % 7) as f64))
            .collect();
        md.insert("SPY".into(), spy).unwrap();
        md.insert("LATE".into(), late).unwrap();
        md.insert("BTC-USD".into(), crypto).unwrap();
        let spy = Symbol::new("SPY");
        let mut cache = ReturnsCache::default();
        for now in [
            0, 10, 10, 20, 25, 30, 90, 100, 110, 120, 200, 250, 260, 270, 390, 400,
        ] {
            let view = md.view(Timestamp(now));
            let want = aligned_returns(&view, &spy, 6);
            let got = format!("{:?}", cache.returns(&view, &spy, 6));
            assert_eq!(got, format!("{want:?}"), "at {now}");
            assert_eq!(format!("{:?}", cache.current()), got, "at {now}");
        }
    }
}
