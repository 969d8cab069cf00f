//! Shared builders for the simulated-exchange tests: bars on a day grid, requests, configs.
#![allow(dead_code)]

use optifire_core::domain::{
    Bar, ClientOrderId, Fill, Money, Order, OrderRequest, OrderStatus, OrderType, Price, Quantity,
    Side, TimeInForce,
};
use optifire_core::venue::VenueUpdate;
use optifire_core::Timestamp;
use optifire_venues::sim::{CommissionModel, FillRules, SimConfig, SlippageModel};
use optifire_venues::SimExchange;
use rust_decimal::Decimal;

/// The close of day `d` (a day is 86,400 s on the grid; only the ordering matters).
pub fn day(d: i64) -> Timestamp {
    Timestamp::from_secs(d * 86_400)
}

pub fn bar(sym: &str, d: i64, o: f64, h: f64, l: f64, c: f64, v: f64) -> Bar {
    Bar {
        symbol: sym.into(),
        ts: day(d),
        open: o,
        high: h,
        low: l,
        close: c,
        volume: v,
    }
}

pub fn req(
    id: &str,
    sym: &str,
    side: Side,
    qty: Decimal,
    order_type: OrderType,
    tif: TimeInForce,
    d: i64,
) -> OrderRequest {
    OrderRequest {
        client_order_id: ClientOrderId(id.into()),
        symbol: sym.into(),
        side,
        qty: Quantity(qty),
        order_type,
        tif,
        created_at: day(d),
    }
}

pub fn cid(id: &str) -> ClientOrderId {
    ClientOrderId(id.into())
}

pub fn limit(p: Decimal) -> OrderType {
    OrderType::Limit { limit: Price(p) }
}

pub fn stop(p: Decimal) -> OrderType {
    OrderType::Stop { stop: Price(p) }
}

/// $100,000, no commission, no slippage, full fills: the price rules alone.
pub fn plain() -> SimConfig {
    SimConfig {
        starting_cash: Money(Decimal::from(100_000)),
        fill: FillRules::default(),
        commission: CommissionModel::None,
        slippage: SlippageModel::None,
    }
}

pub fn exchange(config: SimConfig) -> SimExchange {
    SimExchange::new(config).unwrap()
}

pub fn fills(updates: &[VenueUpdate]) -> Vec<Fill> {
    updates
        .iter()
        .filter_map(|u| match u {
            VenueUpdate::Fill(f) => Some(f.clone()),
            VenueUpdate::Order(_) => None,
        })
        .collect()
}

pub fn statuses(updates: &[VenueUpdate]) -> Vec<OrderStatus> {
    updates
        .iter()
        .filter_map(|u| match u {
            VenueUpdate::Order(o) => Some(o.status),
            VenueUpdate::Fill(_) => None,
        })
        .collect()
}

pub fn last_order(updates: &[VenueUpdate]) -> Option<Order> {
    updates.iter().rev().find_map(|u| match u {
        VenueUpdate::Order(o) => Some(o.clone()),
        VenueUpdate::Fill(_) => None,
    })
}

pub fn px(fill: &Fill) -> Decimal {
    fill.price.0
}
