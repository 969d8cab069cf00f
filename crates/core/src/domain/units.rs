//! Newtypes that say what a number means, so a weight is never passed where a price is expected.

use super::decimal_ops;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::ops::{Add, AddAssign, Mul, Neg, Sub, SubAssign};

macro_rules! decimal_unit {
    ($(#[$m:meta])* $name:ident) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Decimal);

        impl $name {
            pub const ZERO: $name = $name(Decimal::ZERO);
            pub fn new(d: Decimal) -> Self { $name(d) }
            pub fn value(self) -> Decimal { self.0 }
            /// Lossy view for analytics; the ledger never goes through f64.
            pub fn to_f64(self) -> f64 {
                use rust_decimal::prelude::ToPrimitive;
                self.0.to_f64().unwrap_or(f64::NAN)
            }
            /// From an analytics value; `None` for NaN or infinities.
            pub fn from_f64(v: f64) -> Option<Self> {
                Decimal::from_f64_retain(v).map($name)
            }
            pub fn is_zero(self) -> bool { self.0.is_zero() }
            pub fn abs(self) -> Self { $name(self.0.abs()) }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result { fmt::Display::fmt(&self.0, f) }
        }
        // Through `decimal_ops`: the library's sums bit for bit, cheaper for the common sizes.
        impl Add for $name { type Output = $name; fn add(self, o: $name) -> $name { $name(decimal_ops::add(self.0, o.0)) } }
        impl Sub for $name { type Output = $name; fn sub(self, o: $name) -> $name { $name(self.0 - o.0) } }
        impl AddAssign for $name { fn add_assign(&mut self, o: $name) { self.0 = decimal_ops::add(self.0, o.0) } }
        impl SubAssign for $name { fn sub_assign(&mut self, o: $name) { self.0 -= o.0 } }
        impl Neg for $name { type Output = $name; fn neg(self) -> $name { $name(-self.0) } }
        impl From<Decimal> for $name { fn from(d: Decimal) -> Self { $name(d) } }
    };
}

decimal_unit!(
    /// A price per unit of an instrument, in the account currency.
    Price
);
decimal_unit!(
    /// A signed or unsigned number of units (shares, coins). Signed where it is a position.
    Quantity
);
decimal_unit!(
    /// An amount of the account currency: cash, value, commission, PnL.
    Money
);

impl Mul<Price> for Quantity {
    type Output = Money;
    fn mul(self, p: Price) -> Money {
        // The library's product bit for bit, cheaper for the common sizes (a position's value
        // is worked out on every bar it is held).
        Money(decimal_ops::mul(self.0, p.0))
    }
}

/// A target portfolio weight (fraction of equity, signed: negative is short).
#[derive(Clone, Copy, Debug, Default, PartialEq, PartialOrd, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Weight(pub f64);

/// An alpha signal: conviction in [-1, 1]; the constructor clamps, NaN is refused.
#[derive(Clone, Copy, Debug, Default, PartialEq, PartialOrd, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Signal(f64);

impl Signal {
    /// `None` for NaN: a signal that cannot be computed is no signal, not a zero.
    pub fn new(v: f64) -> Option<Signal> {
        if v.is_nan() {
            None
        } else {
            Some(Signal(v.clamp(-1.0, 1.0)))
        }
    }
    pub fn value(self) -> f64 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn quantity_times_price_is_exact_money() {
        let m = Quantity(dec!(3)) * Price(dec!(0.1));
        assert_eq!(m, Money(dec!(0.3)));
    }

    #[test]
    fn signal_clamps_and_refuses_nan() {
        assert_eq!(Signal::new(2.0).unwrap().value(), 1.0);
        assert_eq!(Signal::new(-7.0).unwrap().value(), -1.0);
        assert!(Signal::new(f64::NAN).is_none());
    }
}
