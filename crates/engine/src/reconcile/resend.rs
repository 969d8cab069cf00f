//! Rebuilding the executor's order from a journaled intent, so a resend goes through
//! `Executor::submit_all` (the only path out of the process) under the very same client id.
//!
//! The id is a pure function of the planned order (`exec::client_order_id`); the request keeps
//! everything but the cycle sequence (read back from the id) and the leg (tried in turn). An
//! order is rebuilt only when the rebuilt request is identical to the journaled one.

use optifire_core::domain::{Instrument, OrderRequest};

use crate::exec::{CycleId, Leg, PlannedOrder};

/// The planned order whose request is exactly `req`, or `None` when `req` does not carry one of
/// our deterministic ids (`of-<secs>-<seq>-...`) or no leg reproduces it.
pub fn planned_from_request(req: &OrderRequest) -> Option<PlannedOrder> {
    let mut parts = req.client_order_id.0.split('-');
    if parts.next() != Some("of") {
        return None;
    }
    let _secs = parts.next()?;
    let seq: u64 = parts.next()?.parse().ok()?;
    let cycle = CycleId {
        ts: req.created_at,
        seq,
    };
    [Leg::Adjust, Leg::Close, Leg::Open]
        .into_iter()
        .map(|leg| PlannedOrder {
            cycle,
            symbol: req.symbol.clone(),
            side: req.side,
            qty: req.qty,
            leg,
            instrument: Instrument::infer(&req.symbol),
            reference_price: None,
            order_type: req.order_type,
            tif: req.tif,
            expected: None,
        })
        .find(|p| p.to_request() == *req)
}

#[cfg(test)]
mod tests {
    use super::*;
    use optifire_core::domain::{ClientOrderId, OrderType, Quantity, Side, TimeInForce};
    use optifire_core::Timestamp;
    use rust_decimal_macros::dec;

    fn planned(leg: Leg) -> PlannedOrder {
        PlannedOrder {
            cycle: CycleId {
                ts: Timestamp::from_secs(1_700_000_000),
                seq: 42,
            },
            symbol: "BRK.B".into(),
            side: Side::Sell,
            qty: Quantity(dec!(3)),
            leg,
            instrument: Instrument::infer(&"BRK.B".into()),
            reference_price: Some(400.0),
            order_type: OrderType::Limit {
                limit: optifire_core::domain::Price(dec!(401.5)),
            },
            tif: TimeInForce::Gtc,
            expected: None,
        }
    }

    #[test]
    fn every_leg_is_rebuilt_to_the_same_request() {
        for leg in [Leg::Adjust, Leg::Close, Leg::Open] {
            let req = planned(leg).to_request();
            let back = planned_from_request(&req).expect("rebuilt");
            assert_eq!(back.leg, leg);
            assert_eq!(back.to_request(), req);
        }
    }

    #[test]
    fn foreign_or_altered_ids_are_not_rebuilt() {
        let mut req = planned(Leg::Adjust).to_request();
        req.qty = Quantity(dec!(4)); // the id no longer matches the fields
        assert!(planned_from_request(&req).is_none());
        let mut ext = planned(Leg::Adjust).to_request();
        ext.client_order_id = ClientOrderId("manual-123".into());
        assert!(planned_from_request(&ext).is_none());
    }
}
