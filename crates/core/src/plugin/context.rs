//! The point-in-time view a plugin runs against.
//!
//! A plugin sees bars whose timestamp (the instant the bar became known) is at or before the
//! clock's now, and nothing later: `MarketView` cuts every series at `now` by binary search, so
//! look-ahead is impossible by construction, not by discipline.

use crate::domain::{Bar, CostEstimate, EquityHistory, Fill, Portfolio, Symbol};
use crate::plugin::PluginOutput;
use crate::Timestamp;
use std::collections::BTreeMap;
use std::fmt::Debug;
use std::sync::atomic::{AtomicUsize, Ordering};

/// All bars the driver has, per symbol, in time order. Owned by the driver; plugins only ever
/// get a `MarketView` of it.
#[derive(Debug, Clone, Default)]
pub struct MarketData {
    series: BTreeMap<Symbol, Series>,
}

/// One symbol's bars and where the latest view cut them.
#[derive(Debug, Default)]
struct Series {
    bars: Vec<Bar>,
    /// The number of bars the latest view saw: a hint, checked before it is used. Every
    /// plugin and the engine cut each series at the same `now` many times a cycle, and a
    /// backtest's next `now` is usually at most one bar further, so the hint saves the binary
    /// search (a few percent of a default backtest). Atomic only so that views stay `Sync`.
    cut: AtomicUsize,
}

impl Clone for Series {
    fn clone(&self) -> Self {
        Series {
            bars: self.bars.clone(),
            cut: AtomicUsize::new(self.cut.load(Ordering::Relaxed)),
        }
    }
}

impl Series {
    /// How many bars are at or before `now`: `bars.partition_point(|b| b.ts <= now)`. The
    /// hint `h` (or `h + 1`) is that number exactly when the bar before it is at or before
    /// `now` and the bar at it, if any, is after: the bars are strictly increasing in time.
    fn cut(&self, now: Timestamp) -> usize {
        let b = &self.bars;
        let is_cut = |k: usize| {
            k <= b.len()
                && k.checked_sub(1).is_none_or(|i| b[i].ts <= now)
                && b.get(k).is_none_or(|x| x.ts > now)
        };
        let h = self.cut.load(Ordering::Relaxed);
        if is_cut(h) {
            return h;
        }
        let k = if is_cut(h + 1) {
            h + 1
        } else {
            b.partition_point(|x| x.ts <= now)
        };
        self.cut.store(k, Ordering::Relaxed);
        k
    }
}

impl MarketData {
    pub fn new() -> Self {
        Self::default()
    }
    /// Adds a validated series. Bars must be strictly increasing in time; the loader's
    /// validator guarantees it, and this re-checks so the binary search stays correct.
    pub fn insert(&mut self, symbol: Symbol, bars: Vec<Bar>) -> Result<(), String> {
        if let Some(w) = bars.windows(2).find(|w| w[1].ts <= w[0].ts) {
            return Err(format!("{symbol}: bars out of order at {}", w[1].ts));
        }
        self.series.insert(
            symbol,
            Series {
                bars,
                cut: AtomicUsize::new(0),
            },
        );
        Ok(())
    }
    /// Appends one bar (live feed); refused if not after the last one.
    pub fn push(&mut self, bar: Bar) -> Result<(), String> {
        let s = &mut self.series.entry(bar.symbol.clone()).or_default().bars;
        if let Some(last) = s.last() {
            if bar.ts <= last.ts {
                return Err(format!(
                    "{}: bar at {} not after {}",
                    bar.symbol, bar.ts, last.ts
                ));
            }
        }
        s.push(bar);
        Ok(())
    }
    pub fn view(&self, now: Timestamp) -> MarketView<'_> {
        MarketView { data: self, now }
    }
    pub fn symbols(&self) -> impl Iterator<Item = &Symbol> {
        self.series.keys()
    }
    /// Every bar timestamp of every series, sorted and unique: the backtest's tick times.
    pub fn timeline(&self) -> Vec<Timestamp> {
        let mut t: Vec<Timestamp> = self
            .series
            .values()
            .flat_map(|s| s.bars.iter().map(|b| b.ts))
            .collect();
        t.sort_unstable();
        t.dedup();
        t
    }
}

/// `MarketData` as of `now`.
#[derive(Debug, Clone, Copy)]
pub struct MarketView<'a> {
    data: &'a MarketData,
    now: Timestamp,
}

impl<'a> MarketView<'a> {
    pub fn now(&self) -> Timestamp {
        self.now
    }
    /// Bars of `symbol` known at `now` (empty if none or unknown symbol).
    pub fn bars(&self, symbol: &Symbol) -> &'a [Bar] {
        match self.data.series.get(symbol) {
            Some(s) => &s.bars[..s.cut(self.now)],
            None => &[],
        }
    }
    /// The most recent `n` bars (fewer if history is shorter).
    pub fn last_n(&self, symbol: &Symbol, n: usize) -> &'a [Bar] {
        let b = self.bars(symbol);
        &b[b.len().saturating_sub(n)..]
    }
    pub fn last(&self, symbol: &Symbol) -> Option<&'a Bar> {
        self.bars(symbol).last()
    }
    pub fn closes(&self, symbol: &Symbol, n: usize) -> Vec<f64> {
        self.last_n(symbol, n).iter().map(|b| b.close).collect()
    }
    pub fn symbols(&self) -> impl Iterator<Item = &'a Symbol> {
        self.data.series.keys()
    }
}

/// A reading of this process's resource use.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct ProcessSample {
    /// Cumulative user+system CPU seconds of the process.
    pub cpu_seconds: f64,
    pub rss_bytes: u64,
    pub threads: u64,
    pub open_fds: u64,
    /// When the sample was taken (monotonic seconds, for CPU % between samples).
    pub taken_at_secs: f64,
}

/// Where process metrics come from: /proc in production, fixed readings in tests.
pub trait ProcessProbe: Send + Sync + Debug {
    fn sample(&self) -> Result<ProcessSample, String>;
}

/// A fill with what the executor expected when it decided the order: the decision instant and
/// the expected price and cost journaled with the order. Execution diagnostics compare the two.
#[derive(Clone, Debug, PartialEq)]
pub struct ExecutedFill {
    pub fill: Fill,
    /// The decision instant of the order (its cycle), when the engine knows the order.
    pub decided_at: Option<Timestamp>,
    /// `None` for orders sent without an estimate (no mark or no bar at decision time) or not
    /// sent by this engine.
    pub expected: Option<CostEstimate>,
}

/// Everything a plugin may read during one run.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    pub now: Timestamp,
    pub market: MarketView<'a>,
    pub portfolio: &'a Portfolio,
    pub equity: &'a EquityHistory,
    /// Fills since the plugin's previous run, with their expected prices (for execution
    /// diagnostics).
    pub recent_fills: &'a [ExecutedFill],
    /// Outputs produced earlier in this cycle by the plugin's dependencies and others.
    pub cycle_outputs: &'a [PluginOutput],
    pub process: Option<&'a dyn ProcessProbe>,
}

impl<'a> Context<'a> {
    /// A context of market, portfolio and equity as of `now`, with no fills, no earlier outputs
    /// and no process probe; set those with struct update syntax where needed.
    pub fn new(
        now: Timestamp,
        market: &'a MarketData,
        portfolio: &'a Portfolio,
        equity: &'a EquityHistory,
    ) -> Self {
        Context {
            now,
            market: market.view(now),
            portfolio,
            equity,
            recent_fills: &[],
            cycle_outputs: &[],
            process: None,
        }
    }

    /// Outputs of plugin `id` earlier in this cycle.
    pub fn outputs_of(&self, id: &'a str) -> impl Iterator<Item = &'a PluginOutput> + 'a {
        self.cycle_outputs.iter().filter(move |o| o.plugin_id == id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bar(t: i64, c: f64) -> Bar {
        Bar {
            symbol: "SPY".into(),
            ts: Timestamp(t),
            open: c,
            high: c,
            low: c,
            close: c,
            volume: 1.0,
        }
    }

    #[test]
    fn a_view_never_shows_the_next_bar() {
        let mut md = MarketData::new();
        md.insert("SPY".into(), vec![bar(10, 1.0), bar(20, 2.0), bar(30, 3.0)])
            .unwrap();
        let spy: Symbol = "SPY".into();
        assert_eq!(md.view(Timestamp(19)).bars(&spy).len(), 1);
        assert_eq!(md.view(Timestamp(20)).last(&spy).unwrap().close, 2.0);
        assert!(md.view(Timestamp(9)).bars(&spy).is_empty());
        assert_eq!(md.view(Timestamp(100)).last_n(&spy, 2).len(), 2);
        assert!(md
            .insert("X".into(), vec![bar(2, 1.0), bar(1, 1.0)])
            .is_err());
    }

    /// The hinted cut is the binary search's answer whatever the order of the instants asked:
    /// forward a bar at a time, between bars, repeated, backwards, far jumps, before the first
    /// bar and after the last, on a clone, and after bars are appended.
    #[test]
    fn hinted_cuts_match_the_binary_search() {
        let spy: Symbol = "SPY".into();
        let mut md = MarketData::new();
        md.insert(
            "SPY".into(),
            (1..=50).map(|i| bar(10 * i, i as f64)).collect(),
        )
        .unwrap();
        let want = |md: &MarketData, now: i64| {
            md.series[&spy]
                .bars
                .partition_point(|b| b.ts <= Timestamp(now))
        };
        let mut nows: Vec<i64> = (0..=520).step_by(5).collect();
        nows.extend([
            250, 250, 249, 10, 9, 0, -5, 500, 501, 499, 1000, 30, 40, 41, 60, 55,
        ]);
        let mut x: i64 = 7;
        for _ in 0..300 {
            x = (x * 1_103_515_245 + 12_345).rem_euclid(1 << 31);
            nows.push(x % 560 - 20);
        }
        for (k, &now) in nows.iter().enumerate() {
            let got = md.view(Timestamp(now)).bars(&spy).len();
            assert_eq!(got, want(&md, now), "step {k}: now {now}");
        }
        let copy = md.clone();
        for &now in nows.iter().rev() {
            assert_eq!(copy.view(Timestamp(now)).bars(&spy).len(), want(&copy, now));
        }
        md.view(Timestamp(500)).bars(&spy);
        md.push(bar(510, 51.0)).unwrap();
        md.push(bar(520, 52.0)).unwrap();
        for now in [505, 510, 515, 520, 10_000, 500] {
            assert_eq!(md.view(Timestamp(now)).bars(&spy).len(), want(&md, now));
        }
        assert!(md.view(Timestamp(5)).bars(&"QQQ".into()).is_empty());
    }
}
