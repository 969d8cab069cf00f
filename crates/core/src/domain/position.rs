//! A holding in one instrument, with average cost and realized PnL.

use crate::domain::{Money, Price, Quantity, Symbol};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Position {
    pub symbol: Symbol,
    /// Signed: negative is short.
    pub qty: Quantity,
    /// Average entry price of the open quantity; zero when flat.
    pub avg_price: Price,
    /// PnL realized by closing trades (before commissions, which the ledger books to cash).
    pub realized_pnl: Money,
}

impl Position {
    pub fn flat(symbol: Symbol) -> Position {
        Position {
            symbol,
            qty: Quantity::ZERO,
            avg_price: Price::ZERO,
            realized_pnl: Money::ZERO,
        }
    }
    pub fn is_flat(&self) -> bool {
        self.qty.is_zero()
    }
    pub fn market_value(&self, mark: Price) -> Money {
        self.qty * mark
    }
    pub fn unrealized_pnl(&self, mark: Price) -> Money {
        self.qty * Price(mark.0 - self.avg_price.0)
    }

    /// Applies a signed quantity change at `price`: adds at a new average, reduces realizing PnL,
    /// or flips through zero (realize the closed part, open the rest at `price`).
    pub fn apply(&mut self, delta: Quantity, price: Price) {
        if delta.is_zero() {
            return;
        }
        let q = self.qty.0;
        let d = delta.0;
        if q.is_zero() || q.is_sign_positive() == d.is_sign_positive() {
            let new_q = q + d;
            self.avg_price = Price((self.avg_price.0 * q + price.0 * d) / new_q);
            self.qty = Quantity(new_q);
        } else if d.abs() <= q.abs() {
            // Reducing: realize on the closed quantity (-d has the sign of q).
            self.realized_pnl += Money(-d * (price.0 - self.avg_price.0));
            self.qty = Quantity(q + d);
            if self.qty.is_zero() {
                self.avg_price = Price::ZERO;
            }
        } else {
            // Flipping: close all of q, open the remainder at price.
            self.realized_pnl += Money(q * (price.0 - self.avg_price.0));
            self.qty = Quantity(q + d);
            self.avg_price = price;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn average_reduce_and_flip() {
        let mut p = Position::flat("X".into());
        p.apply(Quantity(dec!(10)), Price(dec!(100)));
        p.apply(Quantity(dec!(10)), Price(dec!(110)));
        assert_eq!(p.avg_price, Price(dec!(105)));
        p.apply(Quantity(dec!(-5)), Price(dec!(120)));
        assert_eq!(p.realized_pnl, Money(dec!(75)));
        assert_eq!(p.qty, Quantity(dec!(15)));
        // Sell 20 at 100: close 15 (loss 75), open short 5 at 100.
        p.apply(Quantity(dec!(-20)), Price(dec!(100)));
        assert_eq!(p.realized_pnl, Money(dec!(0)));
        assert_eq!(p.qty, Quantity(dec!(-5)));
        assert_eq!(p.avg_price, Price(dec!(100)));
        assert_eq!(p.unrealized_pnl(Price(dec!(90))), Money(dec!(50)));
    }
}
