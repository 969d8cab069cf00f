//! The ledger: cash and positions, changed only by fills, valued exactly.

use crate::domain::{Fill, IdHash, Money, Position, Price, Quantity, Symbol};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LedgerError {
    #[error("fill {0} was already applied")]
    DuplicateFill(String),
    #[error("fill {fill_id} has a non-positive quantity {qty}")]
    BadQuantity { fill_id: String, qty: Quantity },
    #[error("fill {fill_id} has a non-positive price {price}")]
    BadPrice { fill_id: String, price: Price },
    #[error("no mark price for {0}")]
    NoMark(Symbol),
}

/// Cash plus positions. `BTreeMap` keeps iteration ordered, so reports and hashes are
/// deterministic.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Portfolio {
    pub cash: Money,
    pub positions: BTreeMap<Symbol, Position>,
    pub commissions_paid: Money,
    /// Ids of the fills applied (looked up, never iterated: see `IdHash`).
    #[serde(skip)]
    applied_fills: HashSet<std::sync::Arc<str>, IdHash>,
}

impl Portfolio {
    pub fn new(cash: Money) -> Portfolio {
        Portfolio {
            cash,
            positions: BTreeMap::new(),
            commissions_paid: Money::ZERO,
            applied_fills: HashSet::default(),
        }
    }

    /// Room for `n` more fills' ids in the applied-fills set, so a run whose fill count is
    /// known (a backtest's orders) builds it once instead of growing and rehashing it.
    pub fn reserve_fills(&mut self, n: usize) {
        self.applied_fills.reserve(n);
    }

    /// Applies a fill exactly once (by fill id); cash moves by the traded value and commission.
    pub fn apply_fill(&mut self, fill: &Fill) -> Result<(), LedgerError> {
        if fill.qty.0 <= rust_decimal::Decimal::ZERO {
            return Err(LedgerError::BadQuantity {
                fill_id: fill.fill_id.to_string(),
                qty: fill.qty,
            });
        }
        if fill.price.0 <= rust_decimal::Decimal::ZERO {
            return Err(LedgerError::BadPrice {
                fill_id: fill.fill_id.to_string(),
                price: fill.price,
            });
        }
        if !self.applied_fills.insert(fill.fill_id.clone()) {
            return Err(LedgerError::DuplicateFill(fill.fill_id.to_string()));
        }
        let delta = fill.signed_qty();
        self.cash -= delta * fill.price;
        self.cash -= fill.commission;
        self.commissions_paid += fill.commission;
        let pos = self
            .positions
            .entry(fill.symbol.clone())
            .or_insert_with(|| Position::flat(fill.symbol.clone()));
        pos.apply(delta, fill.price);
        Ok(())
    }

    pub fn position(&self, symbol: &Symbol) -> Option<&Position> {
        self.positions.get(symbol).filter(|p| !p.is_flat())
    }

    pub fn qty(&self, symbol: &Symbol) -> Quantity {
        self.positions
            .get(symbol)
            .map(|p| p.qty)
            .unwrap_or(Quantity::ZERO)
    }

    /// Open (non-flat) positions in symbol order.
    pub fn open_positions(&self) -> impl Iterator<Item = &Position> {
        self.positions.values().filter(|p| !p.is_flat())
    }

    /// Cash plus marked positions. Refuses to guess: a position without a mark is an error.
    pub fn equity(&self, mark: impl Fn(&Symbol) -> Option<Price>) -> Result<Money, LedgerError> {
        let mut eq = self.cash;
        for p in self.open_positions() {
            let m = mark(&p.symbol).ok_or_else(|| LedgerError::NoMark(p.symbol.clone()))?;
            eq += p.market_value(m);
        }
        Ok(eq)
    }

    /// Sum of |market value| over positions.
    pub fn gross_exposure(
        &self,
        mark: impl Fn(&Symbol) -> Option<Price>,
    ) -> Result<Money, LedgerError> {
        let mut g = Money::ZERO;
        for p in self.open_positions() {
            let m = mark(&p.symbol).ok_or_else(|| LedgerError::NoMark(p.symbol.clone()))?;
            g += p.market_value(m).abs();
        }
        Ok(g)
    }

    pub fn realized_pnl(&self) -> Money {
        self.positions
            .values()
            .fold(Money::ZERO, |a, p| a + p.realized_pnl)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{ClientOrderId, Side};
    use crate::Timestamp;
    use rust_decimal_macros::dec;

    fn fill(
        id: &str,
        side: Side,
        qty: rust_decimal::Decimal,
        px: rust_decimal::Decimal,
        fee: rust_decimal::Decimal,
    ) -> Fill {
        Fill {
            fill_id: id.into(),
            client_order_id: ClientOrderId("c".into()),
            symbol: "SPY".into(),
            side,
            qty: Quantity(qty),
            price: Price(px),
            commission: Money(fee),
            ts: Timestamp(0),
        }
    }

    #[test]
    fn books_balance_exactly_and_duplicates_are_refused() {
        let mut p = Portfolio::new(Money(dec!(10000)));
        p.apply_fill(&fill("1", Side::Buy, dec!(10), dec!(400.10), dec!(1)))
            .unwrap();
        p.apply_fill(&fill("2", Side::Sell, dec!(4), dec!(410.35), dec!(1)))
            .unwrap();
        assert_eq!(
            p.cash,
            Money(dec!(10000) - dec!(4001) - dec!(1) + dec!(1641.40) - dec!(1))
        );
        assert_eq!(p.realized_pnl(), Money(dec!(41.00)));
        assert_eq!(p.commissions_paid, Money(dec!(2)));
        let eq = p.equity(|_| Some(Price(dec!(420)))).unwrap();
        // 10000 - 2 fees + realized 41 + unrealized 6*(420-400.10)=119.40
        assert_eq!(eq, Money(dec!(10158.40)));
        assert_eq!(
            p.apply_fill(&fill("2", Side::Sell, dec!(4), dec!(410.35), dec!(1))),
            Err(LedgerError::DuplicateFill("2".into()))
        );
        assert!(matches!(p.equity(|_| None), Err(LedgerError::NoMark(_))));
    }
}
