//! Fixtures shared by the store tests.

use optifire_core::domain::{ClientOrderId, OrderRequest, OrderType, Quantity, Side, TimeInForce};
use optifire_core::Timestamp;
use rust_decimal_macros::dec;

/// A day market buy of 2 SPY with client id `id`, created at `ts` (nanoseconds).
pub fn request(id: &str, ts: i64) -> OrderRequest {
    OrderRequest {
        client_order_id: ClientOrderId(id.into()),
        symbol: "SPY".into(),
        side: Side::Buy,
        qty: Quantity(dec!(2)),
        order_type: OrderType::Market,
        tif: TimeInForce::Day,
        created_at: Timestamp(ts),
    }
}
