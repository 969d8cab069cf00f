//! What is traded: symbols and their trading properties.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::sync::Arc;

/// A ticker such as `SPY` or `BTC-USD`. Cheap to clone (shared string).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Symbol(Arc<str>);

// Compared as text, like the derived impls, but two clones of one symbol (the common case: a
// bar's symbol against its series', an order's against the bar's) answer from the pointer
// without reading the text. Equal pointers mean equal text, so this agrees with `Hash` (the
// text's hash).
impl PartialEq for Symbol {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0) || self.0 == other.0
    }
}

impl Eq for Symbol {}

/// The text's hash, as the derived impl gave.
impl std::hash::Hash for Symbol {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.0.hash(state);
    }
}

impl Ord for Symbol {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        if Arc::ptr_eq(&self.0, &other.0) {
            std::cmp::Ordering::Equal
        } else {
            self.0.cmp(&other.0)
        }
    }
}

impl PartialOrd for Symbol {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Symbol {
    pub fn new(s: &str) -> Self {
        Symbol(Arc::from(s.trim().to_ascii_uppercase().as_str()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Symbol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for Symbol {
    fn from(s: &str) -> Self {
        Symbol::new(s)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AssetClass {
    Equity,
    Etf,
    /// Not tradable (VIX): used as an input only.
    Index,
    /// Trades every calendar day.
    Crypto,
}

/// Trading properties the executor and the simulated exchange need.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Instrument {
    pub symbol: Symbol,
    pub asset_class: AssetClass,
    pub tradable: bool,
    /// Fractional quantities allowed; otherwise orders round to whole units.
    pub fractionable: bool,
    pub shortable: bool,
    pub easy_to_borrow: bool,
}

impl Instrument {
    /// A conservative default inferred from the symbol: `^`/`VIX` are indices, `-USD` is crypto,
    /// everything else a whole-share, shortable equity. Real properties come from the broker.
    pub fn infer(symbol: &Symbol) -> Instrument {
        let s = symbol.as_str();
        let asset_class = if s == "VIX" || s.starts_with('^') {
            AssetClass::Index
        } else if s.ends_with("-USD") {
            AssetClass::Crypto
        } else {
            AssetClass::Equity
        };
        Instrument {
            symbol: symbol.clone(),
            asset_class,
            tradable: asset_class != AssetClass::Index,
            fractionable: asset_class == AssetClass::Crypto,
            shortable: asset_class == AssetClass::Equity || asset_class == AssetClass::Etf,
            easy_to_borrow: asset_class == AssetClass::Equity || asset_class == AssetClass::Etf,
        }
    }

    /// Whether the instrument follows the NYSE calendar (crypto trades every day).
    pub fn follows_exchange_calendar(&self) -> bool {
        self.asset_class != AssetClass::Crypto
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn infers_classes_from_symbols() {
        assert_eq!(
            Instrument::infer(&"vix".into()).asset_class,
            AssetClass::Index
        );
        assert!(!Instrument::infer(&"VIX".into()).tradable);
        let btc = Instrument::infer(&"BTC-USD".into());
        assert_eq!(btc.asset_class, AssetClass::Crypto);
        assert!(!btc.follows_exchange_calendar());
        assert!(Instrument::infer(&"SPY".into()).shortable);
    }

    /// Symbols order and compare as their text, whether they share one allocation or not.
    #[test]
    fn symbols_compare_as_their_text() {
        let names = [
            "", "A", "AA", "AAPL", "BRK.B", "BTC-USD", "SPY", "SPYG", "^VIX",
        ];
        for a in names {
            for b in names {
                let (x, y) = (Symbol::new(a), Symbol::new(b));
                let want = x.as_str().cmp(y.as_str());
                assert_eq!(x.cmp(&y), want, "{a} vs {b}");
                assert_eq!(x.partial_cmp(&y), Some(want), "{a} vs {b}");
                assert_eq!(x == y, a == b, "{a} vs {b}");
                let shared = x.clone();
                assert_eq!(x.cmp(&shared), std::cmp::Ordering::Equal);
                assert_eq!(x, shared);
            }
        }
    }
}
