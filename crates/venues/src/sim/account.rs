//! The simulated broker's own books: cash and positions (core's `Portfolio`) and the marks
//! they are valued at, so `account()` and `positions()` answer like a real broker.
//!
//! Buying power is a 1× (no leverage) rule: equity − gross position value − what open orders
//! have reserved. A long-only account's buying power is its unreserved cash.

use optifire_core::domain::{
    Fill, LedgerError, Money, Portfolio, Position, Price, Quantity, Side, Symbol,
};
use rust_decimal::Decimal;
use std::collections::BTreeMap;

#[derive(Clone, Debug)]
pub struct SimAccount {
    portfolio: Portfolio,
    marks: BTreeMap<Symbol, Price>,
}

impl SimAccount {
    /// `Portfolio::reserve_fills` of the account's ledger.
    pub fn reserve_fills(&mut self, n: usize) {
        self.portfolio.reserve_fills(n);
    }

    pub fn new(cash: Money) -> Self {
        SimAccount {
            portfolio: Portfolio::new(cash),
            marks: BTreeMap::new(),
        }
    }

    pub fn set_mark(&mut self, symbol: &Symbol, price: Price) {
        self.marks.insert(symbol.clone(), price);
    }

    /// The last price seen for `symbol`.
    pub fn mark(&self, symbol: &Symbol) -> Option<Price> {
        self.marks.get(symbol).copied()
    }

    pub fn apply_fill(&mut self, fill: &Fill) -> Result<(), LedgerError> {
        self.portfolio.apply_fill(fill)
    }

    pub fn cash(&self) -> Money {
        self.portfolio.cash
    }

    pub fn qty(&self, symbol: &Symbol) -> Quantity {
        self.portfolio.qty(symbol)
    }

    pub fn positions(&self) -> Vec<Position> {
        self.portfolio.open_positions().cloned().collect()
    }

    pub fn portfolio(&self) -> &Portfolio {
        &self.portfolio
    }

    /// Mark of a held position: the last bar's close, or its average price before any bar.
    fn position_mark(&self, p: &Position) -> Price {
        self.mark(&p.symbol).unwrap_or(p.avg_price)
    }

    pub fn equity(&self) -> Money {
        self.portfolio
            .open_positions()
            .fold(self.portfolio.cash, |eq, p| {
                eq + p.market_value(self.position_mark(p))
            })
    }

    pub fn gross_exposure(&self) -> Money {
        self.portfolio.open_positions().fold(Money::ZERO, |g, p| {
            g + p.market_value(self.position_mark(p)).abs()
        })
    }

    /// Buying power before open orders' reservations: equity − gross exposure, never negative.
    pub fn free_buying_power(&self) -> Money {
        Money((self.equity() - self.gross_exposure()).0.max(Decimal::ZERO))
    }
}

/// How much of an order of `qty` on `side` increases absolute exposure, given the projected
/// position `projected` (current position plus other open orders on the symbol). Closing
/// shares never need buying power; only the part beyond flat does.
pub fn opening_qty(projected: Decimal, side: Side, qty: Decimal) -> Decimal {
    match side {
        Side::Buy => (projected + qty).max(Decimal::ZERO) - projected.max(Decimal::ZERO),
        Side::Sell => (qty - projected).max(Decimal::ZERO) - (-projected).max(Decimal::ZERO),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use optifire_core::domain::ClientOrderId;
    use optifire_core::Timestamp;
    use rust_decimal_macros::dec;

    #[test]
    fn opening_quantity_only_counts_shares_beyond_flat() {
        // Long 10, sell 25: 10 close, 15 open a short.
        assert_eq!(opening_qty(dec!(10), Side::Sell, dec!(25)), dec!(15));
        // Short 10, buy 4: all closing.
        assert_eq!(opening_qty(dec!(-10), Side::Buy, dec!(4)), dec!(0));
        // Short 10, buy 30: 20 open a long.
        assert_eq!(opening_qty(dec!(-10), Side::Buy, dec!(30)), dec!(20));
        // Already short 5, sell 5 more: 5 opening.
        assert_eq!(opening_qty(dec!(-5), Side::Sell, dec!(5)), dec!(5));
        assert_eq!(opening_qty(dec!(0), Side::Buy, dec!(7)), dec!(7));
    }

    #[test]
    fn buying_power_is_one_times_equity_less_gross() {
        let mut a = SimAccount::new(Money(dec!(10000)));
        // Short 100 @ 10: cash 11,000, position −1,000 → equity 10,000, gross 1,000, bp 9,000.
        a.apply_fill(&Fill {
            fill_id: "f".into(),
            client_order_id: ClientOrderId("c".into()),
            symbol: "X".into(),
            side: Side::Sell,
            qty: Quantity(dec!(100)),
            price: Price(dec!(10)),
            commission: Money::ZERO,
            ts: Timestamp(0),
        })
        .unwrap();
        assert_eq!(a.cash(), Money(dec!(11000)));
        assert_eq!(a.equity(), Money(dec!(10000)));
        assert_eq!(a.free_buying_power(), Money(dec!(9000)));
        // Mark 12: equity 11,000 − 1,200 = 9,800; gross 1,200; bp 8,600.
        a.set_mark(&"X".into(), Price(dec!(12)));
        assert_eq!(a.equity(), Money(dec!(9800)));
        assert_eq!(a.free_buying_power(), Money(dec!(8600)));
    }
}
