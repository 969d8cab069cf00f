//! Shared fixture for the risk engine tests: a book, marks, returns and plugin outputs that each
//! test adjusts, plus the config of configs/config.yaml with a short VaR window.
#![allow(dead_code)]

use chrono::{NaiveDate, NaiveTime};
use optifire_core::calendar::{new_york_instant, NyseCalendar};
use optifire_core::config::RiskConfig;
use optifire_core::domain::{
    ClientOrderId, EquityHistory, EquityPoint, Fill, Money, OrderRequest, OrderType, Portfolio,
    Price, Quantity, Side, Symbol, TimeInForce,
};
use optifire_core::plugin::{Output, PluginOutput};
use optifire_core::Timestamp;
use optifire_engine::risk::{Mark, RiskInputs};
use rust_decimal::Decimal;
use std::collections::BTreeMap;

/// The values of configs/config.yaml, except a 10-day VaR window (the fixtures are short) and
/// `rth_only` off (the RTH tests switch it on).
pub fn cfg() -> RiskConfig {
    RiskConfig {
        max_exposure_total: 0.30,
        max_exposure_symbol: 0.10,
        max_drawdown: 0.08,
        soft_drawdown: 0.04,
        cooldown_hours: 24.0,
        max_losing_streak: 5,
        max_var_pct: 0.05,
        var_confidence: 0.95,
        var_lookback_days: 10,
        kelly_min: 0.25,
        kelly_max: 1.5,
        kelly_fraction: 0.5,
        rth_only: false,
        max_slippage_bps: 20.0,
        beta_hedge_threshold: 0.6,
        target_vol: 0.15,
        stale_price_secs: 93_600,
    }
}

pub fn sym(s: &str) -> Symbol {
    Symbol::new(s)
}

/// An instant in New York time.
pub fn ny(y: i32, m: u32, d: u32, hh: u32, mm: u32) -> Timestamp {
    new_york_instant(
        NaiveDate::from_ymd_opt(y, m, d).unwrap(),
        NaiveTime::from_hms_opt(hh, mm, 0).unwrap(),
    )
    .unwrap()
}

/// Wednesday 2024-03-13 11:00 New York: a regular session is open.
pub fn wednesday_11() -> Timestamp {
    ny(2024, 3, 13, 11, 0)
}

pub fn targets(v: &[(&str, f64)]) -> BTreeMap<Symbol, f64> {
    v.iter().map(|(s, w)| (sym(s), *w)).collect()
}

/// SPY returns of the default fixture (not constant, so a beta can be fitted).
pub const SPY_RETURNS: [f64; 10] = [
    0.01, -0.01, 0.02, -0.02, 0.005, -0.005, 0.01, -0.01, 0.0, 0.003,
];

pub struct Fixture {
    pub now: Timestamp,
    pub portfolio: Portfolio,
    pub equity: EquityHistory,
    pub marks: BTreeMap<Symbol, Mark>,
    pub returns: BTreeMap<Symbol, Vec<f64>>,
    pub outputs: Vec<PluginOutput>,
    pub failed: Vec<String>,
    pub calendar: NyseCalendar,
    pub pnls: Vec<f64>,
    fills: u32,
}

impl Fixture {
    /// 100 000 cash, equity history flat at 100 000, fresh marks at 100 for AAPL, MSFT, NVDA,
    /// TSLA, XOM and SPY, zero returns for all but SPY (so VaR and beta are 0 for any book
    /// without SPY), at `wednesday_11`.
    pub fn new() -> Fixture {
        let now = wednesday_11();
        let mut f = Fixture {
            now,
            portfolio: Portfolio::new(Money(Decimal::from(100_000))),
            equity: EquityHistory::new(),
            marks: BTreeMap::new(),
            returns: BTreeMap::new(),
            outputs: Vec::new(),
            failed: Vec::new(),
            calendar: NyseCalendar::new(),
            pnls: Vec::new(),
            fills: 0,
        };
        f.push_equity(now.plus_secs(-86_400), 100_000);
        for s in ["AAPL", "MSFT", "NVDA", "TSLA", "XOM", "SPY"] {
            f.set_mark(s, 100.0);
            f.returns.insert(sym(s), vec![0.0; 10]);
        }
        f.returns.insert(sym("SPY"), SPY_RETURNS.to_vec());
        f
    }

    /// Moves the clock and refreshes every mark's timestamp (60 s old).
    pub fn at(&mut self, now: Timestamp) {
        self.now = now;
        for m in self.marks.values_mut() {
            m.ts = now.plus_secs(-60);
        }
    }

    pub fn set_mark(&mut self, s: &str, price: f64) {
        self.marks.insert(
            sym(s),
            Mark {
                price,
                ts: self.now.plus_secs(-60),
            },
        );
    }

    pub fn push_equity(&mut self, ts: Timestamp, equity: i64) {
        let e = Money(Decimal::from(equity));
        assert!(self.equity.push(EquityPoint {
            ts,
            equity: e,
            cash: e,
            gross_exposure: Money::ZERO,
        }));
    }

    /// Buys (qty > 0) or sells short (qty < 0) at `price` with no commission.
    pub fn trade(&mut self, s: &str, qty: i64, price: i64) {
        self.fills += 1;
        let side = if qty > 0 { Side::Buy } else { Side::Sell };
        self.portfolio
            .apply_fill(&Fill {
                fill_id: format!("f{}", self.fills).into(),
                client_order_id: ClientOrderId::new(format!("c{}", self.fills)),
                symbol: sym(s),
                side,
                qty: Quantity(Decimal::from(qty.abs())),
                price: Price(Decimal::from(price)),
                commission: Money::ZERO,
                ts: self.now,
            })
            .unwrap();
    }

    pub fn output(&mut self, plugin: &str, output: Output) {
        self.outputs.push(PluginOutput {
            plugin_id: plugin.into(),
            ts: self.now,
            output,
        });
    }

    pub fn inputs(&self) -> RiskInputs<'_> {
        RiskInputs {
            now: self.now,
            portfolio: &self.portfolio,
            equity: &self.equity,
            marks: &self.marks,
            returns: &self.returns,
            plugin_outputs: &self.outputs,
            failed_required: &self.failed,
            calendar: &self.calendar,
            closed_trade_pnls: &self.pnls,
            kelly: None,
        }
    }

    pub fn order(&self, s: &str, side: Side, qty: i64) -> OrderRequest {
        OrderRequest {
            client_order_id: ClientOrderId("manual-1".into()),
            symbol: sym(s),
            side,
            qty: Quantity(Decimal::from(qty)),
            order_type: OrderType::Market,
            tif: TimeInForce::Day,
            created_at: self.now,
        }
    }
}

pub fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-12
}

/// The target of `s`, panicking with the whole map when absent.
pub fn get(t: &BTreeMap<Symbol, f64>, s: &str) -> f64 {
    *t.get(&sym(s))
        .unwrap_or_else(|| panic!("{s} missing from {t:?}"))
}
