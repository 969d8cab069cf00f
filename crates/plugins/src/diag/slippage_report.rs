//! `diag_slippage_report`: realized against expected cost of every fill, in basis points.
//!
//! The executor journals an expected price with every order (the configured slippage model at
//! decision time); the engine hands each fill to this plugin with that expectation. Per fill:
//! * realized_bps = side × (fill − mid) / mid × 10⁴, the implementation shortfall against the
//!   decision price `mid` (positive = paid);
//! * expected_bps = the model's cost at decision time; excess_bps = realized − expected;
//! * when the bar the fill happened in is known: delay_bps = side × (open − mid) / mid × 10⁴
//!   (the market's move between decision and arrival) and execution_bps = side × (fill − open)
//!   / open × 10⁴, the part the slippage model is meant to predict.
//!
//! Summaries (mean, median, p95, numpy's linear quantiles) by symbol and overall, for the fills
//! since the previous run and for the last `history` fills.

use crate::params;
use optifire_core::domain::{Side, Symbol};
use optifire_core::plugin::{
    Category, Context, ExecutedFill, MarketView, Output, Plugin, PluginError, PluginMeta,
    PluginPlan,
};
use optifire_ta::risk::historical_var::quantile_linear;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, VecDeque};

pub const ID: &str = "diag_slippage_report";

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Params {
    /// How many of the latest measured fills the cumulative summary covers.
    pub history: usize,
}

impl Default for Params {
    fn default() -> Self {
        Params { history: 1000 }
    }
}

/// One fill measured against its expectation.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FillSlippage {
    pub fill_id: String,
    pub symbol: Symbol,
    pub side: Side,
    pub qty: f64,
    /// Decision price the expectation was measured from.
    pub mid: f64,
    pub expected_price: f64,
    pub price: f64,
    pub realized_bps: f64,
    pub expected_bps: f64,
    pub excess_bps: f64,
    /// Open of the bar the fill happened in, when known.
    pub arrival: Option<f64>,
    pub delay_bps: Option<f64>,
    pub execution_bps: Option<f64>,
    /// (fill − expected price) × qty × side, account currency: what was paid beyond the model.
    pub excess_cost: f64,
}

/// Mean, median and 95th percentile of a sample of bps (numpy `mean`, `median`,
/// `percentile(95)`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Summary {
    pub count: usize,
    pub mean: f64,
    pub median: f64,
    pub p95: f64,
}

impl Summary {
    pub fn of(values: &[f64]) -> Option<Summary> {
        let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
        // Values equal under `total_cmp` have the same bits, so an unstable sort gives the
        // same slice as a stable one.
        v.sort_unstable_by(f64::total_cmp);
        Summary::of_sorted(&v)
    }

    /// The summary of finite values already sorted by `total_cmp` (the mean is summed in that
    /// order, so it is the same number `of` gives).
    fn of_sorted(v: &[f64]) -> Option<Summary> {
        if v.is_empty() {
            return None;
        }
        Some(Summary {
            count: v.len(),
            mean: v.iter().sum::<f64>() / v.len() as f64,
            median: quantile_linear(v, 0.5),
            p95: quantile_linear(v, 0.95),
        })
    }
}

/// The bps columns a group summary covers, as `GroupSummary::of` reads them from a fill.
const COLUMNS: [fn(&FillSlippage) -> Option<f64>; 4] = [
    |x| Some(x.realized_bps),
    |x| Some(x.expected_bps),
    |x| Some(x.excess_bps),
    |x| x.execution_bps,
];

/// One group's finite column values kept sorted as fills enter and leave the history, so the
/// cumulative summary of every run does not sort the whole history again (it was a tenth of a
/// default backtest's CPU).
#[derive(Debug, Default)]
struct SortedGroup {
    fills: usize,
    columns: [Vec<f64>; 4],
    /// The group's excess costs in history order (fills leave the history from its front, so
    /// each group's oldest first): summed in that order they give the bits `GroupSummary::of`
    /// gives, without looking every fill's symbol up in a map at every run.
    costs: VecDeque<f64>,
}

impl SortedGroup {
    /// Adds the newest fill of the history.
    fn add(&mut self, f: &FillSlippage) {
        self.fills += 1;
        self.costs.push_back(f.excess_cost);
        for (col, get) in self.columns.iter_mut().zip(COLUMNS) {
            if let Some(v) = get(f).filter(|v| v.is_finite()) {
                let i = col.partition_point(|x| x.total_cmp(&v).is_lt());
                col.insert(i, v);
            }
        }
    }

    /// Removes the oldest fill of the history.
    fn remove(&mut self, f: &FillSlippage) {
        self.fills -= 1;
        self.costs.pop_front();
        for (col, get) in self.columns.iter_mut().zip(COLUMNS) {
            if let Some(v) = get(f).filter(|v| v.is_finite()) {
                let i = col.partition_point(|x| x.total_cmp(&v).is_lt());
                if col.get(i).is_some_and(|x| x.total_cmp(&v).is_eq()) {
                    col.remove(i);
                }
            }
        }
    }

    /// `GroupSummary::of` of the group's fills.
    fn summary(&self) -> GroupSummary {
        let [realized, expected, excess, execution] = &self.columns;
        let excess_cost = self.costs.iter().sum();
        GroupSummary {
            fills: self.fills,
            realized_bps: Summary::of_sorted(realized),
            expected_bps: Summary::of_sorted(expected),
            excess_bps: Summary::of_sorted(excess),
            execution_bps: Summary::of_sorted(execution),
            excess_cost,
        }
    }
}

/// `summarize` of the history, kept up to date fill by fill.
#[derive(Debug, Default)]
struct Cumulative {
    overall: SortedGroup,
    by_symbol: BTreeMap<Symbol, SortedGroup>,
}

impl Cumulative {
    fn add(&mut self, f: &FillSlippage) {
        self.overall.add(f);
        self.by_symbol.entry(f.symbol.clone()).or_default().add(f);
    }

    fn remove(&mut self, f: &FillSlippage) {
        self.overall.remove(f);
        if let Some(g) = self.by_symbol.get_mut(&f.symbol) {
            g.remove(f);
            if g.fills == 0 {
                self.by_symbol.remove(&f.symbol);
            }
        }
    }

    /// The same value as `summarize(history.iter())` (`history` being the fills added and not
    /// yet removed, in order).
    fn summarize(&self) -> serde_json::Value {
        let by_symbol: BTreeMap<&str, GroupSummary> = self
            .by_symbol
            .iter()
            .map(|(s, g)| (s.as_str(), g.summary()))
            .collect();
        serde_json::json!({
            "overall": self.overall.summary(),
            "by_symbol": by_symbol,
        })
    }
}

/// The summaries of one group of fills (a symbol, or all).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct GroupSummary {
    pub fills: usize,
    pub realized_bps: Option<Summary>,
    pub expected_bps: Option<Summary>,
    pub excess_bps: Option<Summary>,
    pub execution_bps: Option<Summary>,
    pub excess_cost: f64,
}

impl GroupSummary {
    pub fn of<'a>(fills: impl Iterator<Item = &'a FillSlippage> + Clone) -> GroupSummary {
        let col = |f: fn(&FillSlippage) -> Option<f64>| -> Vec<f64> {
            fills.clone().filter_map(f).collect()
        };
        GroupSummary {
            fills: fills.clone().count(),
            realized_bps: Summary::of(&col(|x| Some(x.realized_bps))),
            expected_bps: Summary::of(&col(|x| Some(x.expected_bps))),
            excess_bps: Summary::of(&col(|x| Some(x.excess_bps))),
            execution_bps: Summary::of(&col(|x| x.execution_bps)),
            excess_cost: fills.map(|x| x.excess_cost).sum(),
        }
    }
}

/// Summaries overall and by symbol (one pass to group, then one sort per column and group).
pub fn summarize<'a>(fills: impl Iterator<Item = &'a FillSlippage> + Clone) -> serde_json::Value {
    let mut groups: BTreeMap<&str, Vec<&FillSlippage>> = BTreeMap::new();
    for f in fills.clone() {
        groups.entry(f.symbol.as_str()).or_default().push(f);
    }
    let by_symbol: BTreeMap<&str, GroupSummary> = groups
        .iter()
        .map(|(s, g)| (*s, GroupSummary::of(g.iter().copied())))
        .collect();
    serde_json::json!({
        "overall": GroupSummary::of(fills),
        "by_symbol": by_symbol,
    })
}

/// Measures one fill, or `None` when it carries no usable expectation.
pub fn measure(f: &ExecutedFill, market: &MarketView<'_>) -> Option<FillSlippage> {
    let e = f.expected?;
    if !(e.mid.is_finite() && e.mid > 0.0) {
        return None;
    }
    let s = f64::from(f.fill.side.sign());
    let price = f.fill.price.to_f64();
    let qty = f.fill.qty.to_f64();
    let realized_bps = s * (price - e.mid) / e.mid * 1e4;
    // The bar that contains the fill: the first known bar stamped at or after it.
    let bars = market.bars(&f.fill.symbol);
    let arrival = bars
        .get(bars.partition_point(|b| b.ts < f.fill.ts))
        .map(|b| b.open)
        .filter(|o| o.is_finite() && *o > 0.0);
    Some(FillSlippage {
        fill_id: f.fill.fill_id.to_string(),
        symbol: f.fill.symbol.clone(),
        side: f.fill.side,
        qty,
        mid: e.mid,
        expected_price: e.price,
        price,
        realized_bps,
        expected_bps: e.cost_bps,
        excess_bps: realized_bps - e.cost_bps,
        arrival,
        delay_bps: arrival.map(|o| s * (o - e.mid) / e.mid * 1e4),
        execution_bps: arrival.map(|o| s * (price - o) / o * 1e4),
        excess_cost: s * (price - e.price) * qty,
    })
}

#[derive(Debug, Default)]
pub struct SlippageReport {
    params: Params,
    history: VecDeque<FillSlippage>,
    /// The summaries of `history`, kept with it.
    cumulative: Cumulative,
}

impl Plugin for SlippageReport {
    fn describe(&self) -> PluginMeta {
        PluginMeta {
            id: ID.into(),
            name: "Slippage report".into(),
            category: Category::Diagnostics,
            version: "1.0.0".into(),
            description: "realized vs expected fill price per fill (bps), by symbol and overall; implementation shortfall".into(),
            inputs: vec!["state:fills".into(), "state:expected_cost".into(), "bars".into()],
            outputs: vec!["report:slippage".into()],
            // Measured over the default backtest (crates/engine/benches/cycle.rs prints it):
            // mean 0.52 ms, max 0.96 ms per run; peak heap 0.15 MB, plus the kept history
            // (1000 fills of ~150 bytes).
            est_cpu_ms: 0.5,
            est_mem_mb: 0.3,
        }
    }

    fn plan(&self) -> PluginPlan {
        PluginPlan {
            schedule: "@close".into(),
            depends_on: vec![],
        }
    }

    fn configure(&mut self, params: &serde_json::Value) -> Result<(), PluginError> {
        let p: Params = params::parse(params)?;
        if p.history == 0 {
            return Err(PluginError::InvalidParams(
                "history must be at least 1".into(),
            ));
        }
        self.params = p;
        Ok(())
    }

    fn run(&mut self, ctx: &Context<'_>) -> Result<Vec<Output>, PluginError> {
        if ctx.recent_fills.is_empty() {
            return Err(PluginError::InsufficientData(
                "no fills since the previous run".into(),
            ));
        }
        let measured: Vec<FillSlippage> = ctx
            .recent_fills
            .iter()
            .filter_map(|f| measure(f, &ctx.market))
            .collect();
        let unmeasured = ctx.recent_fills.len() - measured.len();
        for f in &measured {
            self.cumulative.add(f);
            self.history.push_back(f.clone());
        }
        while self.history.len() > self.params.history {
            if let Some(f) = self.history.pop_front() {
                self.cumulative.remove(&f);
            }
        }
        // The object `json!` builds from these four, built by hand: `json!` converts each
        // value with `to_value`, which copies the two summaries (already JSON values) node by
        // node and then drops them, a quarter of this plugin's CPU. Moved in, they are the same
        // value. (Inserted in `json!`'s order, in case the map ever keeps insertion order.)
        let fills = serde_json::to_value(&measured)
            .map_err(|e| PluginError::Failed(format!("encode fills: {e}")))?;
        let mut body = serde_json::Map::new();
        body.insert("fills".into(), fills);
        body.insert("without_expectation".into(), unmeasured.into());
        body.insert("window".into(), summarize(measured.iter()));
        body.insert("cumulative".into(), self.cumulative.summarize());
        Ok(vec![Output::Report {
            name: "slippage".into(),
            body: serde_json::Value::Object(body),
        }])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use optifire_core::domain::{
        Bar, ClientOrderId, CostEstimate, EquityHistory, Fill, Money, Portfolio, Price, Quantity,
    };
    use optifire_core::plugin::MarketData;
    use optifire_core::Timestamp;
    use rust_decimal::Decimal;
    use std::str::FromStr;

    const DAY: i64 = 86_400;

    fn bar(sym: &str, day: i64, open: f64) -> Bar {
        Bar {
            symbol: sym.into(),
            ts: Timestamp::from_secs(day * DAY),
            open,
            high: open * 1.01,
            low: open * 0.99,
            close: open,
            volume: 1e6,
        }
    }

    fn fill(
        id: &str,
        sym: &str,
        side: Side,
        qty: &str,
        px: &str,
        exp: Option<(f64, f64)>,
    ) -> ExecutedFill {
        ExecutedFill {
            fill: Fill {
                fill_id: id.into(),
                client_order_id: ClientOrderId::new(format!("c-{id}")),
                symbol: sym.into(),
                side,
                qty: Quantity(Decimal::from_str(qty).unwrap()),
                price: Price(Decimal::from_str(px).unwrap()),
                commission: Money::ZERO,
                ts: Timestamp::from_secs(2 * DAY),
            },
            decided_at: Some(Timestamp::from_secs(DAY)),
            expected: exp.map(|(mid, bps)| CostEstimate {
                mid,
                cost_bps: bps,
                price: mid * (1.0 + f64::from(side.sign()) * bps / 1e4),
            }),
        }
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn known_fills_hand_worked() {
        let mut md = MarketData::new();
        md.insert(
            "AAPL".into(),
            vec![bar("AAPL", 1, 99.0), bar("AAPL", 2, 100.05)],
        )
        .unwrap();
        md.insert(
            "MSFT".into(),
            vec![bar("MSFT", 1, 50.0), bar("MSFT", 2, 50.0)],
        )
        .unwrap();
        let pf = Portfolio::new(Money::ZERO);
        let eq = EquityHistory::new();
        let fills = [
            // Buy 100 at 100.12, decided at mid 100 expecting 6 bps (100.06):
            // realized (100.12 − 100)/100 = 12 bps, excess 6 bps, (100.12 − 100.06) × 100 = 6.00;
            // arrival open 100.05: delay 5 bps, execution 0.07/100.05 = 6.99650174912... bps.
            fill("f1", "AAPL", Side::Buy, "100", "100.12", Some((100.0, 6.0))),
            // Sell 50 at 99.90 from mid 100 expecting 5 bps (99.95): realized
            // −(99.9 − 100)/100 = 10 bps, excess 5, −(99.9 − 99.95) × 50 = 2.50; arrival open
            // 100.05: delay −(100.05 − 100)/100 = −5 bps (the market moved the seller's way),
            // execution −(99.9 − 100.05)/100.05 = 14.99250374... bps.
            fill("f2", "AAPL", Side::Sell, "50", "99.90", Some((100.0, 5.0))),
            // Buy 10 at 49.99 from mid 50 expecting 4 bps (50.02): price improvement,
            // realized −2 bps, excess −6, (49.99 − 50.02) × 10 = −0.30.
            fill("f3", "MSFT", Side::Buy, "10", "49.99", Some((50.0, 4.0))),
            // No expectation (an order this engine did not send): counted, not measured.
            fill("f4", "MSFT", Side::Sell, "1", "50", None),
        ];
        let ctx = Context {
            recent_fills: &fills,
            ..Context::new(Timestamp::from_secs(2 * DAY), &md, &pf, &eq)
        };
        let mut p = SlippageReport::default();
        let out = p.run(&ctx).unwrap();
        let Output::Report { name, body } = &out[0] else {
            panic!("{out:?}")
        };
        assert_eq!(name, "slippage");
        assert_eq!(body["without_expectation"], 1);
        let f = &body["fills"];
        let num = |v: &serde_json::Value| v.as_f64().unwrap();
        assert!(close(num(&f[0]["realized_bps"]), 12.0));
        assert!(close(num(&f[0]["excess_bps"]), 6.0));
        assert!(close(num(&f[0]["excess_cost"]), 6.0));
        assert!(close(num(&f[0]["delay_bps"]), 5.0));
        assert!(close(num(&f[0]["execution_bps"]), 0.07 / 100.05 * 1e4));
        assert!(close(num(&f[1]["realized_bps"]), 10.0));
        assert!(close(num(&f[1]["excess_cost"]), 2.5));
        assert!(close(num(&f[1]["delay_bps"]), -5.0));
        assert!(close(num(&f[1]["execution_bps"]), 0.15 / 100.05 * 1e4));
        assert!(close(num(&f[2]["realized_bps"]), -2.0));
        assert!(close(num(&f[2]["excess_bps"]), -6.0));
        assert!(close(num(&f[2]["excess_cost"]), -0.3));
        assert!(close(num(&f[2]["execution_bps"]), -2.0));

        // Overall realized [12, 10, −2]: mean 20/3; median 10; p95 at h = 2 × 0.95 = 1.9
        // between 10 and 12: 10 + 0.9 × 2 = 11.8 (numpy percentile, linear).
        let o = &body["window"]["overall"];
        assert_eq!(o["fills"], 3);
        assert!(close(num(&o["realized_bps"]["mean"]), 20.0 / 3.0));
        assert!(close(num(&o["realized_bps"]["median"]), 10.0));
        assert!(close(num(&o["realized_bps"]["p95"]), 11.8));
        // Expected [6, 5, 4]: mean 5, median 5, p95 5 + 0.9 × 1 = 5.9.
        assert!(close(num(&o["expected_bps"]["mean"]), 5.0));
        assert!(close(num(&o["expected_bps"]["p95"]), 5.9));
        // Excess [6, 5, −6]: mean 5/3, median 5; in money 6 + 2.5 − 0.3 = 8.2.
        assert!(close(num(&o["excess_bps"]["mean"]), 5.0 / 3.0));
        assert!(close(num(&o["excess_bps"]["median"]), 5.0));
        assert!(close(num(&o["excess_cost"]), 8.2));
        // AAPL realized [12, 10]: mean 11, median 11, p95 at h = 0.95: 10 + 0.95 × 2 = 11.9.
        let a = &body["window"]["by_symbol"]["AAPL"];
        assert_eq!(a["fills"], 2);
        assert!(close(num(&a["realized_bps"]["mean"]), 11.0));
        assert!(close(num(&a["realized_bps"]["median"]), 11.0));
        assert!(close(num(&a["realized_bps"]["p95"]), 11.9));
        assert_eq!(body["window"]["by_symbol"]["MSFT"]["fills"], 1);

        // A second run with one more fill: the cumulative summary covers all four measured.
        let more = [fill(
            "f5",
            "MSFT",
            Side::Buy,
            "10",
            "50.03",
            Some((50.0, 4.0)),
        )];
        let ctx = Context {
            recent_fills: &more,
            ..Context::new(Timestamp::from_secs(2 * DAY), &md, &pf, &eq)
        };
        let Output::Report { body, .. } = &p.run(&ctx).unwrap()[0] else {
            panic!()
        };
        assert_eq!(body["window"]["overall"]["fills"], 1);
        assert_eq!(body["cumulative"]["overall"]["fills"], 4);
        // MSFT cumulative realized [−2, 6]: mean 2.
        assert!(close(
            num(&body["cumulative"]["by_symbol"]["MSFT"]["realized_bps"]["mean"]),
            2.0
        ));
    }

    #[test]
    fn no_fills_is_a_skip_and_history_is_bounded() {
        let md = MarketData::new();
        let pf = Portfolio::new(Money::ZERO);
        let eq = EquityHistory::new();
        let mut p = SlippageReport::default();
        let ctx = Context::new(Timestamp::from_secs(0), &md, &pf, &eq);
        assert!(p.run(&ctx).unwrap_err().is_skip());
        p.configure(&serde_json::json!({"history": 2})).unwrap();
        let fills = [
            fill("a", "X", Side::Buy, "1", "10.01", Some((10.0, 1.0))),
            fill("b", "X", Side::Buy, "1", "10.02", Some((10.0, 1.0))),
            fill("c", "X", Side::Buy, "1", "10.03", Some((10.0, 1.0))),
        ];
        let ctx = Context {
            recent_fills: &fills,
            ..Context::new(Timestamp::from_secs(0), &md, &pf, &eq)
        };
        let Output::Report { body, .. } = &p.run(&ctx).unwrap()[0] else {
            panic!()
        };
        // The last two: realized 20 and 30 bps → mean 25; no bar for X → no execution split.
        assert_eq!(body["cumulative"]["overall"]["fills"], 2);
        assert!(close(
            body["cumulative"]["overall"]["realized_bps"]["mean"]
                .as_f64()
                .unwrap(),
            25.0
        ));
        assert!(body["fills"][0]["execution_bps"].is_null());
        assert!(p.configure(&serde_json::json!({"history": 0})).is_err());
    }

    /// The kept-sorted cumulative summary is the sort-everything `summarize` of the same
    /// history, bit for bit, as fills enter and leave a short window: repeated values, prices
    /// on the expectation (a −0.0 excess cost for sells), several symbols, some without bars.
    #[test]
    fn cumulative_summary_matches_summarize_of_the_history() {
        // A short window over three symbols, then a longer one over ten (groups that keep
        // their fills between runs).
        for (history, symbols) in [(5, 3), (12, 10)] {
            cumulative_matches(history, symbols);
        }
    }

    fn cumulative_matches(history: usize, symbols: usize) {
        let names = ["A", "B", "C", "D", "E", "F", "G", "H", "I", "J"];
        let mut md = MarketData::new();
        md.insert("A".into(), vec![bar("A", 1, 10.0), bar("A", 2, 10.01)])
            .unwrap();
        let pf = Portfolio::new(Money::ZERO);
        let eq = EquityHistory::new();
        let mut p = SlippageReport::default();
        p.configure(&serde_json::json!({ "history": history }))
            .unwrap();
        let prices = ["10.01", "10.0", "9.99", "10.02", "10.0", "10.01", "9.98"];
        let mut n = 0;
        for run in 0..40 {
            let fills: Vec<ExecutedFill> = (0..1 + run % 3)
                .map(|k| {
                    n += 1;
                    let sym = names[(n * 7 + k) % symbols];
                    let side = if n % 2 == 0 { Side::Buy } else { Side::Sell };
                    let px = prices[(n * 5) % prices.len()];
                    fill(&format!("f{n}"), sym, side, "3", px, Some((10.0, 0.0)))
                })
                .collect();
            let ctx = Context {
                recent_fills: &fills,
                ..Context::new(Timestamp::from_secs(2 * DAY), &md, &pf, &eq)
            };
            let Output::Report { body, .. } = &p.run(&ctx).unwrap()[0] else {
                panic!()
            };
            let want = summarize(p.history.iter());
            assert_eq!(
                body["cumulative"].to_string(),
                want.to_string(),
                "history {history}, {symbols} symbols, run {run}"
            );
            // The whole body is the object `json!` gives of its parts.
            let measured: Vec<FillSlippage> = fills
                .iter()
                .filter_map(|f| measure(f, &ctx.market))
                .collect();
            let whole = serde_json::json!({
                "fills": measured,
                "without_expectation": fills.len() - measured.len(),
                "window": summarize(measured.iter()),
                "cumulative": want,
            });
            assert_eq!(*body, whole);
            assert_eq!(body.to_string(), whole.to_string());
        }
    }
}
