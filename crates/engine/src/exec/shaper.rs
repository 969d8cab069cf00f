//! Order shaping: the hook exec plugins use to change a batch between planning and sending.
//!
//! Shapers run in sequence and must say what they changed (`notes`), so a netted or dropped
//! order is always explained. `NetOpposite` is the reference shaper: it nets buys against sells
//! of the same symbol within one batch, so the book never pays two spreads to stand still.

use optifire_core::domain::{Quantity, Side, Symbol};
use optifire_core::Timestamp;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use super::planner::PlannedOrder;

/// A shaper's output: the orders to pass on and what was done to them.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ShapeResult {
    pub orders: Vec<PlannedOrder>,
    pub notes: Vec<ShapeNote>,
}

/// One change a shaper made, attributed to it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ShapeNote {
    pub shaper: String,
    pub symbol: Option<Symbol>,
    pub message: String,
}

/// A step between planning and submission (batching, netting, MOC, bid-ask filters).
pub trait OrderShaper: Send {
    fn id(&self) -> &str;
    fn shape(&mut self, now: Timestamp, orders: Vec<PlannedOrder>) -> ShapeResult;
}

/// Runs the shapers in order, each on the previous one's output; the notes of all of them.
pub fn apply_shapers(
    shapers: &mut [Box<dyn OrderShaper>],
    now: Timestamp,
    orders: Vec<PlannedOrder>,
) -> ShapeResult {
    let mut out = ShapeResult {
        orders,
        notes: Vec::new(),
    };
    for s in shapers.iter_mut() {
        let r = s.shape(now, out.orders);
        out.orders = r.orders;
        out.notes.extend(r.notes);
    }
    out
}

/// Nets opposite orders per symbol within the batch it is given (the caller collects one batch
/// window, `execution.batch_window_ms`). The smaller side's total is taken off the larger
/// side's orders starting from the last one (so an `Open` leg shrinks before its `Close` leg)
/// and the smaller side's orders are dropped. Symbols with orders on one side only pass
/// unchanged, as do their positions in the batch.
#[derive(Clone, Debug, Default)]
pub struct NetOpposite;

impl OrderShaper for NetOpposite {
    fn id(&self) -> &str {
        "net_opposite"
    }

    fn shape(&mut self, _now: Timestamp, orders: Vec<PlannedOrder>) -> ShapeResult {
        let mut totals: BTreeMap<Symbol, (Decimal, Decimal)> = BTreeMap::new();
        for o in &orders {
            let t = totals.entry(o.symbol.clone()).or_default();
            match o.side {
                Side::Buy => t.0 += o.qty.0,
                Side::Sell => t.1 += o.qty.0,
            }
        }
        let mut notes = Vec::new();
        // Per symbol: the side that survives and how much to take off it.
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
                shaper: self.id().to_string(),
                symbol: Some(sym.clone()),
                message,
            });
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
            if o.side != *keep || off.is_zero() {
                if o.side != *keep {
                    *slot = None;
                }
                continue;
            }
            let cut = (*off).min(o.qty.0);
            *off -= cut;
            o.qty = Quantity(o.qty.0 - cut);
            if o.qty.is_zero() {
                *slot = None;
            }
        }
        ShapeResult {
            orders: kept.into_iter().flatten().collect(),
            notes,
        }
    }
}
