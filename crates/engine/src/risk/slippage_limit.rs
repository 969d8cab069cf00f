//! `max_slippage_bps`: the last risk check, on each order once its expected cost is known.
//!
//! The cost (half spread plus impact, `exec::slippage`) depends on the order's size against the
//! bar's volume, so it can only be judged after planning. An order adding risk that is expected
//! to cost more than the limit is not sent; a risk-reducing one is sent anyway, because holding
//! risk the other limits asked to cut is worse than paying for the exit, and the excess is logged.

use optifire_core::domain::{Quantity, Side, Symbol};
use optifire_core::event::RiskDecision;
use rust_decimal::Decimal;

/// What to do with one order.
#[derive(Clone, Debug, PartialEq)]
pub enum SlippageCheck {
    /// Within the limit: send, nothing to record.
    Pass,
    /// Over the limit (or unknown) but risk-reducing: send, record why.
    PassReducing(RiskDecision),
    /// Over the limit (or unknown) and adding risk: do not send.
    Refuse(RiskDecision),
}

/// Whether trading `qty` on `side` only shrinks the signed `position` (never crosses zero).
pub fn order_reduces(position: Decimal, side: Side, qty: Quantity) -> bool {
    let q = qty.0;
    match side {
        Side::Sell => position > Decimal::ZERO && q <= position,
        Side::Buy => position < Decimal::ZERO && q <= -position,
    }
}

/// Checks one order's expected cost `expected_bps` (NaN or missing counts as unknown, which fails
/// closed for new risk) against `limit_bps`.
pub fn check_slippage(
    symbol: &Symbol,
    side: Side,
    qty: Quantity,
    position: Decimal,
    expected_bps: Option<f64>,
    limit_bps: f64,
) -> SlippageCheck {
    let over = match expected_bps {
        Some(c) if c.is_finite() => {
            if c <= limit_bps {
                return SlippageCheck::Pass;
            }
            format!("expected cost {c:.2} bps over the limit {limit_bps} bps")
        }
        _ => format!("expected cost unknown (limit {limit_bps} bps)"),
    };
    let side_s = match side {
        Side::Buy => "buy",
        Side::Sell => "sell",
    };
    if order_reduces(position, side, qty) {
        SlippageCheck::PassReducing(RiskDecision {
            symbol: Some(symbol.clone()),
            approved: true,
            rule: "max_slippage_bps".into(),
            reason: format!(
                "{side_s} {} {symbol}: {over}; sent because it reduces the position {position}",
                qty.0
            ),
        })
    } else {
        SlippageCheck::Refuse(RiskDecision {
            symbol: Some(symbol.clone()),
            approved: false,
            rule: "max_slippage_bps".into(),
            reason: format!("{side_s} {} {symbol}: {over}: not sent", qty.0),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(n: i64) -> Quantity {
        Quantity(Decimal::from(n))
    }

    #[test]
    fn reducing_means_shrinking_without_crossing_zero() {
        assert!(order_reduces(Decimal::from(10), Side::Sell, q(10)));
        assert!(order_reduces(Decimal::from(10), Side::Sell, q(4)));
        assert!(!order_reduces(Decimal::from(10), Side::Sell, q(11)));
        assert!(!order_reduces(Decimal::from(10), Side::Buy, q(1)));
        assert!(order_reduces(Decimal::from(-5), Side::Buy, q(5)));
        assert!(!order_reduces(Decimal::ZERO, Side::Sell, q(1)));
    }

    #[test]
    fn over_the_limit_refuses_new_risk_and_passes_exits() {
        let s = Symbol::new("AAPL");
        // 20 bps limit: 19.99 passes, exactly 20 passes, 20.5 does not.
        assert_eq!(
            check_slippage(&s, Side::Buy, q(100), Decimal::ZERO, Some(20.0), 20.0),
            SlippageCheck::Pass
        );
        let SlippageCheck::Refuse(d) =
            check_slippage(&s, Side::Buy, q(100), Decimal::ZERO, Some(20.5), 20.0)
        else {
            panic!("not refused")
        };
        assert!(!d.approved);
        assert_eq!(
            d.reason,
            "buy 100 AAPL: expected cost 20.50 bps over the limit 20 bps: not sent"
        );
        let SlippageCheck::PassReducing(d) =
            check_slippage(&s, Side::Sell, q(100), Decimal::from(100), Some(35.0), 20.0)
        else {
            panic!("exit blocked")
        };
        assert!(d.approved);
        assert!(
            d.reason.contains("reduces the position 100"),
            "{}",
            d.reason
        );
    }

    #[test]
    fn unknown_cost_fails_closed_for_new_risk_only() {
        let s = Symbol::new("XOM");
        assert!(matches!(
            check_slippage(&s, Side::Sell, q(5), Decimal::ZERO, None, 20.0),
            SlippageCheck::Refuse(_)
        ));
        assert!(matches!(
            check_slippage(&s, Side::Sell, q(5), Decimal::from(5), Some(f64::NAN), 20.0),
            SlippageCheck::PassReducing(_)
        ));
    }
}
