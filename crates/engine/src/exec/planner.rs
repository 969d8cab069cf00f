//! The planner: turns target weights into the orders that move the book there.
//!
//! It is where whole-share rounding, closing of dropped symbols, long/short flips and dust are
//! decided, so every such decision is written down once, as a `PlanNote`, and none is silent.

pub use optifire_core::domain::{CycleId, Leg, PlannedOrder};
use optifire_core::domain::{
    Instrument, Order, OrderType, Portfolio, Quantity, Side, Symbol, TimeInForce,
};
use rust_decimal::prelude::FromPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// Planner settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PlanConfig {
    /// Orders worth less than this (|qty| × mark, account currency) are skipped as dust.
    pub min_notional: f64,
    /// Decimals of a fractionable quantity (Alpaca: 9).
    pub fractional_decimals: u32,
}

impl Default for PlanConfig {
    /// $1 minimum (Alpaca's smallest fractional order), 9 decimals.
    fn default() -> Self {
        PlanConfig {
            min_notional: 1.0,
            fractional_decimals: 9,
        }
    }
}

/// Why the planner did something other than send exactly `weight × equity / price − held`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum PlanNote {
    /// Held but absent from the targets: target set to zero (the targets are the whole book).
    ClosedAbsent { symbol: Symbol },
    /// The target was rounded toward zero onto the quantity grid.
    Rounded {
        symbol: Symbol,
        exact: Decimal,
        rounded: Decimal,
    },
    /// Nothing to do after rounding.
    NoChange { symbol: Symbol },
    /// An order below the minimum notional was not planned.
    BelowMinNotional {
        symbol: Symbol,
        side: Side,
        qty: Quantity,
        notional: f64,
        min_notional: f64,
    },
    /// A short target for an instrument that cannot be shorted: only the part down to flat
    /// was planned.
    ShortNotAllowed {
        symbol: Symbol,
        wanted: Decimal,
        reason: String,
    },
    /// The instrument does not trade (an index): no order.
    NotTradable { symbol: Symbol },
    /// No usable mark: the target cannot be sized (a close of a held position still goes out).
    NoMark { symbol: Symbol },
    /// A weight is not a finite number, or the equity is not positive: no order for the symbol.
    BadInput { symbol: Symbol, detail: String },
    /// Open orders still working on the symbol were counted as if filled (signed quantity).
    CountsWorking { symbol: Symbol, qty: Quantity },
}

/// The planner's answer: the orders in symbol order (close legs before open legs) and a note
/// for every rounding, skip or default.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    pub orders: Vec<PlannedOrder>,
    pub notes: Vec<PlanNote>,
}

/// Orders that move `portfolio` to `targets` (weights of `equity`, signed) at `marks`.
///
/// * the starting point is the position plus the signed remaining quantity of orders still
///   working (`working`, see `working_qty`), so a cycle never re-sends what an earlier cycle's
///   open orders will already do (noted as `CountsWorking`);
/// * target quantity = weight × equity / mark, in exact decimals, rounded toward zero onto the
///   grid (whole units unless fractionable, then `fractional_decimals`), so the position never
///   exceeds what the weight (and the risk limits that produced it) allow;
/// * symbols held but absent from `targets` are closed (target 0): the targets describe the
///   whole book;
/// * a position that must cross zero is split into a `Close` leg to flat and an `Open` leg on
///   the other side; a short open needs a shortable and easy-to-borrow instrument, otherwise
///   only the close is planned (`ShortNotAllowed`). The same rule refuses new shorts from flat;
/// * an order worth less than `min_notional` is skipped (`BelowMinNotional`).
#[allow(clippy::too_many_arguments)]
pub fn plan_orders(
    targets: &BTreeMap<Symbol, f64>,
    portfolio: &Portfolio,
    working: &BTreeMap<Symbol, Quantity>,
    marks: &BTreeMap<Symbol, f64>,
    equity: f64,
    instruments: &dyn Fn(&Symbol) -> Instrument,
    cycle: CycleId,
    config: &PlanConfig,
) -> Plan {
    let mut plan = Plan::default();
    let held: BTreeSet<Symbol> = portfolio
        .open_positions()
        .map(|p| p.symbol.clone())
        .chain(
            working
                .iter()
                .filter(|(_, q)| !q.is_zero())
                .map(|(s, _)| s.clone()),
        )
        .collect();
    let symbols: BTreeSet<Symbol> = targets
        .keys()
        .cloned()
        .chain(held.iter().cloned())
        .collect();
    for symbol in symbols {
        let instrument = instruments(&symbol);
        let pending = working.get(&symbol).copied().unwrap_or(Quantity::ZERO);
        if !pending.is_zero() {
            plan.notes.push(PlanNote::CountsWorking {
                symbol: symbol.clone(),
                qty: pending,
            });
        }
        let current = portfolio.qty(&symbol).0 + pending.0;
        let mark = marks
            .get(&symbol)
            .copied()
            .filter(|m| m.is_finite() && *m > 0.0);
        if !instrument.tradable {
            plan.notes.push(PlanNote::NotTradable { symbol });
            continue;
        }
        let target = match targets.get(&symbol) {
            None => {
                plan.notes.push(PlanNote::ClosedAbsent {
                    symbol: symbol.clone(),
                });
                Decimal::ZERO
            }
            Some(w) => match target_qty(&symbol, *w, equity, mark, &mut plan.notes) {
                Some(t) => t,
                None => continue,
            },
        };
        let dp = if instrument.fractionable {
            config.fractional_decimals
        } else {
            0
        };
        let rounded = target.round_dp_with_strategy(dp, RoundingStrategy::ToZero);
        if rounded != target {
            plan.notes.push(PlanNote::Rounded {
                symbol: symbol.clone(),
                exact: target,
                rounded,
            });
        }
        plan_symbol(
            &mut plan,
            cycle,
            &symbol,
            &instrument,
            current,
            rounded,
            mark,
            dp,
            config,
        );
    }
    plan
}

/// Signed remaining quantity of the orders that can still fill, per symbol (buys +, sells −).
pub fn working_qty(open: &[Order]) -> BTreeMap<Symbol, Quantity> {
    let mut out: BTreeMap<Symbol, Quantity> = BTreeMap::new();
    for o in open.iter().filter(|o| !o.status.is_terminal()) {
        let rem = o.remaining_qty();
        let signed = match o.request.side {
            Side::Buy => rem,
            Side::Sell => -rem,
        };
        *out.entry(o.request.symbol.clone()).or_default() += signed;
    }
    out
}

/// The exact target quantity, or `None` (with a note) when it cannot be computed.
fn target_qty(
    symbol: &Symbol,
    weight: f64,
    equity: f64,
    mark: Option<f64>,
    notes: &mut Vec<PlanNote>,
) -> Option<Decimal> {
    let bad = |detail: String| PlanNote::BadInput {
        symbol: symbol.clone(),
        detail,
    };
    let Some(w) = Decimal::from_f64(weight) else {
        notes.push(bad(format!("weight {weight} is not a finite number")));
        return None;
    };
    if w.is_zero() {
        return Some(Decimal::ZERO);
    }
    // A zero or negative equity would size nothing or flip every target's sign.
    let Some(eq) = Decimal::from_f64(equity).filter(|e| *e > Decimal::ZERO) else {
        notes.push(bad(format!("equity {equity} is not a positive number")));
        return None;
    };
    let Some(px) = mark.and_then(Decimal::from_f64) else {
        notes.push(PlanNote::NoMark {
            symbol: symbol.clone(),
        });
        return None;
    };
    match (w * eq).checked_div(px) {
        Some(t) => Some(t),
        None => {
            notes.push(bad(format!(
                "{weight} × {equity} / {px} overflows a decimal"
            )));
            None
        }
    }
}

/// Plans the legs from `current` to `target` (both on the grid unless `current` is not).
#[allow(clippy::too_many_arguments)]
fn plan_symbol(
    plan: &mut Plan,
    cycle: CycleId,
    symbol: &Symbol,
    instrument: &Instrument,
    current: Decimal,
    target: Decimal,
    mark: Option<f64>,
    dp: u32,
    config: &PlanConfig,
) {
    let crosses = (current > Decimal::ZERO && target < Decimal::ZERO)
        || (current < Decimal::ZERO && target > Decimal::ZERO);
    let mut legs: Vec<(Leg, Decimal)> = Vec::new();
    if crosses {
        legs.push((Leg::Close, -current));
        legs.push((Leg::Open, target));
    } else {
        legs.push((Leg::Adjust, target - current));
    }
    for (leg, delta) in legs {
        // Only an order that leaves the book shorter than flat (or more short) opens a short.
        let opens_short = delta < Decimal::ZERO
            && match leg {
                Leg::Open => true,
                Leg::Adjust => current + delta < Decimal::ZERO,
                Leg::Close => false,
            };
        let mut delta = delta;
        if opens_short {
            if let Some(reason) = short_refusal(instrument) {
                // Keep only the part that brings a long position down to flat.
                let allowed = if leg == Leg::Adjust {
                    (-current).min(Decimal::ZERO)
                } else {
                    Decimal::ZERO
                };
                plan.notes.push(PlanNote::ShortNotAllowed {
                    symbol: symbol.clone(),
                    wanted: target,
                    reason,
                });
                delta = allowed.max(delta);
            }
        }
        // A fractional holding of a whole-share instrument leaves a remainder that cannot trade.
        let delta_r = delta.round_dp_with_strategy(dp, RoundingStrategy::ToZero);
        if delta_r != delta {
            plan.notes.push(PlanNote::Rounded {
                symbol: symbol.clone(),
                exact: delta,
                rounded: delta_r,
            });
        }
        if delta_r.is_zero() {
            if leg == Leg::Adjust {
                plan.notes.push(PlanNote::NoChange {
                    symbol: symbol.clone(),
                });
            }
            continue;
        }
        let side = if delta_r > Decimal::ZERO {
            Side::Buy
        } else {
            Side::Sell
        };
        let qty = Quantity(delta_r.abs());
        match mark {
            Some(m) => {
                let notional = qty.to_f64() * m;
                if notional < config.min_notional {
                    plan.notes.push(PlanNote::BelowMinNotional {
                        symbol: symbol.clone(),
                        side,
                        qty,
                        notional,
                        min_notional: config.min_notional,
                    });
                    continue;
                }
            }
            None => plan.notes.push(PlanNote::NoMark {
                symbol: symbol.clone(),
            }),
        }
        plan.orders.push(PlannedOrder {
            cycle,
            symbol: symbol.clone(),
            side,
            qty,
            leg,
            instrument: instrument.clone(),
            reference_price: mark,
            order_type: OrderType::Market,
            tif: TimeInForce::Day,
            expected: None,
        });
    }
}

/// Why the instrument cannot be sold short, or `None` when it can.
fn short_refusal(instrument: &Instrument) -> Option<String> {
    if !instrument.shortable {
        Some(format!("{} is not shortable", instrument.symbol))
    } else if !instrument.easy_to_borrow {
        Some(format!("{} is not easy to borrow", instrument.symbol))
    } else {
        None
    }
}
