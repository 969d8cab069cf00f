//! `exec_batch_orders`: collect orders in a batch window (1 s), net opposite orders per symbol,
//! merge same-direction ones, and pass the window on as one batch.
//!
//! Buying and selling the same symbol within a second pays two spreads to stand still, so each
//! window sends at most one direction per symbol. The plugin acts through `Plugin::shaper`;
//! every shaping call is recorded by the runner as an `order_shaping` report (orders in, orders
//! out, notes). Client order ids stay idempotent: a netted or merged order's id is derived from
//! its new fields (`PlannedOrder::client_order_id`), so a replay of the same window reproduces it.

use crate::params;
use optifire_core::domain::{PlannedOrder, Quantity, Side, Symbol};
use optifire_core::plugin::{
    Category, Context, OrderShaper, Output, Plugin, PluginError, PluginMeta, PluginPlan, ShapeNote,
    ShapeResult,
};
use optifire_core::Timestamp;
use rust_decimal::Decimal;
use serde::Deserialize;
use std::collections::BTreeMap;

pub const ID: &str = "exec_batch_orders";

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Params {
    /// Length of a batch window in milliseconds (config.yaml's `execution.batch_window_ms`).
    pub window_ms: u64,
}

impl Default for Params {
    fn default() -> Self {
        Params { window_ms: 1000 }
    }
}

/// Totals since the previous scheduled run, for the plugin's summary report.
#[derive(Clone, Debug, Default, PartialEq)]
struct Tally {
    batches: u64,
    orders_in: u64,
    orders_out: u64,
    netted_symbols: u64,
    merged_orders: u64,
}

#[derive(Debug, Default)]
pub struct BatchOrders {
    params: Params,
    tally: Tally,
}

impl BatchOrders {
    fn window_nanos(&self) -> i64 {
        i64::try_from(self.params.window_ms.saturating_mul(1_000_000)).unwrap_or(i64::MAX)
    }

    /// Splits `orders` into windows: a window opens at the earliest decision instant not yet
    /// in a window and holds every order decided less than `window_ms` after it. Returns the
    /// indices of each window's orders in their original order.
    fn windows(&self, orders: &[PlannedOrder]) -> Vec<Vec<usize>> {
        let mut idx: Vec<usize> = (0..orders.len()).collect();
        idx.sort_by_key(|&i| (orders[i].cycle.ts, i));
        let w = self.window_nanos();
        let mut out: Vec<Vec<usize>> = Vec::new();
        let mut start: Option<Timestamp> = None;
        for i in idx {
            let ts = orders[i].cycle.ts;
            match start {
                Some(s) if ts.0.saturating_sub(s.0) < w => {
                    if let Some(last) = out.last_mut() {
                        last.push(i);
                    }
                }
                _ => {
                    start = Some(ts);
                    out.push(vec![i]);
                }
            }
        }
        for win in &mut out {
            win.sort_unstable();
        }
        out
    }

    /// Nets and merges one window's orders (given in their original order).
    fn shape_window(
        &mut self,
        orders: Vec<PlannedOrder>,
        notes: &mut Vec<ShapeNote>,
    ) -> Vec<PlannedOrder> {
        let netted = self.net_opposite(orders, notes);
        self.merge_same(netted, notes)
    }

    /// Per symbol with both buys and sells: the smaller side's total is taken off the larger
    /// side's orders starting from the last one (so an `Open` leg shrinks before its `Close`
    /// leg), and the smaller side's orders are dropped.
    fn net_opposite(
        &mut self,
        orders: Vec<PlannedOrder>,
        notes: &mut Vec<ShapeNote>,
    ) -> Vec<PlannedOrder> {
        let mut totals: BTreeMap<Symbol, (Decimal, Decimal)> = BTreeMap::new();
        for o in &orders {
            let t = totals.entry(o.symbol.clone()).or_default();
            match o.side {
                Side::Buy => t.0 += o.qty.0,
                Side::Sell => t.1 += o.qty.0,
            }
        }
        let mut take: BTreeMap<Symbol, (Side, Decimal)> = BTreeMap::new();
        for (sym, (buy, sell)) in &totals {
            if buy.is_zero() || sell.is_zero() {
                continue;
            }
            let net = *buy - *sell;
            let message = if net.is_zero() {
                format!("buy {buy} and sell {sell} netted to zero: no order")
            } else {
                let side = if net > Decimal::ZERO { "buy" } else { "sell" };
                format!("buy {buy} and sell {sell} netted to {side} {}", net.abs())
            };
            notes.push(ShapeNote {
                shaper: ID.to_string(),
                symbol: Some(sym.clone()),
                message,
            });
            self.tally.netted_symbols += 1;
            let (keep, off) = if net > Decimal::ZERO {
                (Side::Buy, *sell)
            } else {
                (Side::Sell, *buy)
            };
            take.insert(sym.clone(), (keep, off));
        }
        let mut kept: Vec<Option<PlannedOrder>> = orders.into_iter().map(Some).collect();
        for slot in kept.iter_mut().rev() {
            let Some(o) = slot.as_mut() else { continue };
            let Some((keep, off)) = take.get_mut(&o.symbol) else {
                continue;
            };
            if o.side != *keep {
                *slot = None;
                continue;
            }
            if off.is_zero() {
                continue;
            }
            let cut = (*off).min(o.qty.0);
            *off -= cut;
            o.qty = Quantity(o.qty.0 - cut);
            if o.qty.is_zero() {
                *slot = None;
            }
        }
        kept.into_iter().flatten().collect()
    }

    /// Orders of one symbol with the same side, leg, type and time in force become one: the
    /// first one's place in the batch, the latest one's decision (cycle, mark), the summed
    /// quantity. `Close` and `Open` legs never merge with each other, so a flip stays two
    /// orders (a broker may refuse one order that crosses zero).
    fn merge_same(
        &mut self,
        orders: Vec<PlannedOrder>,
        notes: &mut Vec<ShapeNote>,
    ) -> Vec<PlannedOrder> {
        // Orders merge only when these are equal (a limit merges only at the same limit).
        let key = |o: &PlannedOrder| -> String {
            format!(
                "{}|{}|{}|{:?}|{:?}",
                o.symbol,
                o.side.as_str(),
                o.leg.as_str(),
                o.order_type,
                o.tif
            )
        };
        let mut first: BTreeMap<String, usize> = BTreeMap::new();
        let mut out: Vec<PlannedOrder> = Vec::new();
        let mut merged: BTreeMap<usize, usize> = BTreeMap::new();
        for o in orders {
            let k = key(&o);
            match first.get(&k) {
                Some(&at) => {
                    let total = Quantity(out[at].qty.0 + o.qty.0);
                    out[at] = PlannedOrder { qty: total, ..o };
                    *merged.entry(at).or_insert(1) += 1;
                }
                None => {
                    first.insert(k, out.len());
                    out.push(o);
                }
            }
        }
        for (at, n) in merged {
            let o = &out[at];
            self.tally.merged_orders += n as u64;
            notes.push(ShapeNote {
                shaper: ID.to_string(),
                symbol: Some(o.symbol.clone()),
                message: format!(
                    "{n} {} orders ({}) merged into {} {}",
                    o.side.as_str(),
                    o.leg.as_str(),
                    o.side.as_str(),
                    o.qty.0.normalize()
                ),
            });
        }
        out
    }
}

impl OrderShaper for BatchOrders {
    fn id(&self) -> &str {
        ID
    }

    fn shape(&mut self, _now: Timestamp, orders: &[PlannedOrder]) -> ShapeResult {
        let mut notes = Vec::new();
        let mut out = Vec::with_capacity(orders.len());
        for win in self.windows(orders) {
            let batch: Vec<PlannedOrder> = win.iter().map(|&i| orders[i].clone()).collect();
            out.extend(self.shape_window(batch, &mut notes));
            self.tally.batches += 1;
        }
        self.tally.orders_in += orders.len() as u64;
        self.tally.orders_out += out.len() as u64;
        ShapeResult { orders: out, notes }
    }
}

impl Plugin for BatchOrders {
    fn describe(&self) -> PluginMeta {
        PluginMeta {
            id: ID.into(),
            name: "Batch and net orders".into(),
            category: Category::Execution,
            version: "1.0.0".into(),
            description: "collects orders in a 1 s window, nets opposite orders per symbol, merges same-direction ones, submits one batch".into(),
            inputs: vec!["state:planned_orders".into()],
            outputs: vec!["report:order_shaping".into(), "report:batching_summary".into()],
            // Measured over the default backtest (crates/engine/benches/cycle.rs prints it):
            // mean 0.027 ms, max 0.32 ms per call; peak heap 0.012 MB.
            est_cpu_ms: 0.03,
            est_mem_mb: 0.02,
        }
    }

    fn plan(&self) -> PluginPlan {
        PluginPlan {
            schedule: "interval_1m".into(),
            depends_on: vec![],
        }
    }

    fn configure(&mut self, params: &serde_json::Value) -> Result<(), PluginError> {
        let p: Params = params::parse(params)?;
        if p.window_ms == 0 {
            return Err(PluginError::InvalidParams(
                "window_ms must be at least 1".into(),
            ));
        }
        self.params = p;
        Ok(())
    }

    /// The scheduled run reports what the shaper did since the previous run.
    fn run(&mut self, _ctx: &Context<'_>) -> Result<Vec<Output>, PluginError> {
        let t = std::mem::take(&mut self.tally);
        Ok(vec![Output::Report {
            name: "batching_summary".into(),
            body: serde_json::json!({
                "window_ms": self.params.window_ms,
                "batches": t.batches,
                "orders_in": t.orders_in,
                "orders_out": t.orders_out,
                "netted_symbols": t.netted_symbols,
                "merged_orders": t.merged_orders,
            }),
        }])
    }

    fn shaper(&mut self) -> Option<&mut dyn OrderShaper> {
        Some(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use optifire_core::domain::{
        CycleId, EquityHistory, Instrument, Leg, Money, OrderType, Portfolio, TimeInForce,
    };
    use optifire_core::plugin::MarketData;
    use rust_decimal_macros::dec;

    const MS: i64 = 1_000_000;
    const T0: i64 = 1_700_000_000_000_000_000;

    fn order(sym: &str, side: Side, qty: Decimal, at_ms: i64, seq: u64) -> PlannedOrder {
        let symbol = Symbol::new(sym);
        PlannedOrder {
            cycle: CycleId {
                ts: Timestamp(T0 + at_ms * MS),
                seq,
            },
            instrument: Instrument::infer(&symbol),
            symbol,
            side,
            qty: Quantity(qty),
            leg: Leg::Adjust,
            reference_price: Some(100.0),
            order_type: OrderType::Market,
            tif: TimeInForce::Day,
            expected: None,
        }
    }

    fn got(r: &ShapeResult) -> Vec<(&str, Side, Decimal, u64)> {
        r.orders
            .iter()
            .map(|o| (o.symbol.as_str(), o.side, o.qty.0, o.cycle.seq))
            .collect()
    }

    #[test]
    fn opposite_orders_in_one_window_net_to_one_order() {
        // Buy 10 at 0 ms and sell 4 at 400 ms: one window → buy 10 − 4 = 6.
        let mut p = BatchOrders::default();
        let orders = [
            order("AAPL", Side::Buy, dec!(10), 0, 1),
            order("AAPL", Side::Sell, dec!(4), 400, 2),
        ];
        let r = p.shape(Timestamp(T0), &orders);
        assert_eq!(got(&r), vec![("AAPL", Side::Buy, dec!(6), 1)]);
        assert_eq!(r.notes.len(), 1);
        assert_eq!(r.notes[0].message, "buy 10 and sell 4 netted to buy 6");
        assert_eq!(r.notes[0].symbol, Some(Symbol::new("AAPL")));
        // A netted order is a new decision with its own (deterministic) id.
        assert_ne!(r.orders[0].client_order_id(), orders[0].client_order_id());
        let again = BatchOrders::default().shape(Timestamp(T0), &orders);
        assert_eq!(
            again.orders[0].client_order_id(),
            r.orders[0].client_order_id()
        );
    }

    #[test]
    fn orders_in_different_windows_stay_separate() {
        // 0 ms opens a window [0, 1000); 1000 ms opens the next one: nothing is netted.
        let mut p = BatchOrders::default();
        let orders = [
            order("AAPL", Side::Buy, dec!(10), 0, 1),
            order("AAPL", Side::Sell, dec!(4), 1000, 2),
        ];
        let r = p.shape(Timestamp(T0), &orders);
        assert_eq!(
            got(&r),
            vec![
                ("AAPL", Side::Buy, dec!(10), 1),
                ("AAPL", Side::Sell, dec!(4), 2)
            ]
        );
        assert!(r.notes.is_empty());
    }

    #[test]
    fn a_mixed_stream_hand_worked() {
        // Window A = [0, 1000): AAPL buy 10, MSFT sell 3, AAPL sell 4, AAPL sell 9 (999 ms);
        //   AAPL: buys 10, sells 13 → sell 3, taken from the last sell first: sell 9 − 10 → 0
        //   is dropped after 9, the remaining 1 comes off sell 4 → sell 3 (cycle 2).
        // Window B = [1500, 2500): AAPL buy 2 and buy 5 → merged buy 7 (latest decision, seq 6);
        //   MSFT buy 1 alone.
        let mut p = BatchOrders::default();
        let orders = [
            order("AAPL", Side::Buy, dec!(10), 0, 1),
            order("MSFT", Side::Sell, dec!(3), 0, 1),
            order("AAPL", Side::Sell, dec!(4), 300, 2),
            order("AAPL", Side::Sell, dec!(9), 999, 3),
            order("AAPL", Side::Buy, dec!(2), 1500, 4),
            order("MSFT", Side::Buy, dec!(1), 2000, 5),
            order("AAPL", Side::Buy, dec!(5), 2400, 6),
        ];
        let r = p.shape(Timestamp(T0), &orders);
        assert_eq!(
            got(&r),
            vec![
                ("MSFT", Side::Sell, dec!(3), 1),
                ("AAPL", Side::Sell, dec!(3), 2),
                ("AAPL", Side::Buy, dec!(7), 6),
                ("MSFT", Side::Buy, dec!(1), 5),
            ]
        );
        let msgs: Vec<&str> = r.notes.iter().map(|n| n.message.as_str()).collect();
        assert_eq!(
            msgs,
            [
                "buy 10 and sell 13 netted to sell 3",
                "2 buy orders (adjust) merged into buy 7"
            ]
        );
        // The scheduled run reports the tally and starts a new one.
        let md = MarketData::new();
        let pf = Portfolio::new(Money::ZERO);
        let eq = EquityHistory::new();
        let ctx = Context::new(Timestamp(T0), &md, &pf, &eq);
        let out = p.run(&ctx).unwrap();
        let Output::Report { body, .. } = &out[0] else {
            panic!("{out:?}")
        };
        assert_eq!(body["batches"], 2);
        assert_eq!(body["orders_in"], 7);
        assert_eq!(body["orders_out"], 4);
        assert_eq!(body["netted_symbols"], 1);
        assert_eq!(body["merged_orders"], 2);
        let Output::Report { body, .. } = &p.run(&ctx).unwrap()[0] else {
            panic!()
        };
        assert_eq!(body["orders_in"], 0);
    }

    #[test]
    fn equal_and_opposite_nets_to_nothing() {
        let r = BatchOrders::default().shape(
            Timestamp(T0),
            &[
                order("SPY", Side::Sell, dec!(5), 0, 1),
                order("SPY", Side::Buy, dec!(5), 10, 2),
            ],
        );
        assert!(r.orders.is_empty());
        assert_eq!(
            r.notes[0].message,
            "buy 5 and sell 5 netted to zero: no order"
        );
    }

    #[test]
    fn a_flip_stays_two_legs() {
        // Close sell 10 + open sell 5 of one decision: same side, different legs, not merged.
        let mut close = order("SPY", Side::Sell, dec!(10), 0, 1);
        close.leg = Leg::Close;
        let mut open = order("SPY", Side::Sell, dec!(5), 0, 1);
        open.leg = Leg::Open;
        let r = BatchOrders::default().shape(Timestamp(T0), &[close.clone(), open.clone()]);
        assert_eq!(r.orders, vec![close, open]);
        assert!(r.notes.is_empty());
    }

    #[test]
    fn the_window_is_a_parameter() {
        let mut p = BatchOrders::default();
        p.configure(&serde_json::json!({"window_ms": 2000}))
            .unwrap();
        let r = p.shape(
            Timestamp(T0),
            &[
                order("AAPL", Side::Buy, dec!(10), 0, 1),
                order("AAPL", Side::Sell, dec!(4), 1500, 2),
            ],
        );
        assert_eq!(got(&r), vec![("AAPL", Side::Buy, dec!(6), 1)]);
        assert!(p.configure(&serde_json::json!({"window_ms": 0})).is_err());
        assert!(p.configure(&serde_json::json!({"window": 5})).is_err());
    }
}
