//! What is traded: symbols and their trading properties.

use serde::{Deserialize, Deserializer, Serialize};
use std::collections::HashSet;
use std::fmt;
use std::sync::{Mutex, OnceLock, PoisonError};

/// A ticker such as `SPY` or `BTC-USD`. Interned: each distinct text is stored once for the
/// life of the process, and a copy of a symbol is a copy of a reference to it.
///
/// Why: every bar, order, fill and position carries its symbol. As a shared `Arc<str>` each
/// copy was an atomic increment and each drop an atomic decrement; in the CSV loader's row
/// loop that locked increment stalled the row's stores and took about a tenth of the loop's
/// time (`perf annotate`). A process meets a bounded set of tickers (its universe, the
/// broker's answers), so their texts are kept rather than counted.
#[derive(Clone, Debug, Serialize)]
#[serde(transparent)]
pub struct Symbol(&'static str);

/// The one stored copy of `text`, stored now if it is new.
fn intern(text: &str) -> &'static str {
    static TABLE: OnceLock<Mutex<HashSet<&'static str>>> = OnceLock::new();
    // A panic elsewhere while the lock was held cannot leave the set half-changed (an insert
    // either happened or not), so a poisoned lock is still a sound table.
    let mut table = TABLE
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    if let Some(&stored) = table.get(text) {
        return stored;
    }
    let stored: &'static str = Box::leak(text.into());
    table.insert(stored);
    stored
}

/// The text as written, as the derived impl of the `Arc<str>` form read it: not trimmed and
/// not upper-cased (that is `Symbol::new`'s, for text from people).
impl<'de> Deserialize<'de> for Symbol {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = std::borrow::Cow::<'de, str>::deserialize(d)?;
        Ok(Symbol(intern(&text)))
    }
}

// Compared as text, like the derived impls. Every symbol is interned, so two equal symbols
// share one stored text and answer from the pointer without reading it; the text comparison
// stays as the rule. Equal pointers mean equal text, so this agrees with `Hash` (the text's
// hash, as before: maps keyed by symbol keep their order).
impl PartialEq for Symbol {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self.0, other.0) || self.0 == other.0
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
        if std::ptr::eq(self.0, other.0) {
            std::cmp::Ordering::Equal
        } else {
            self.0.cmp(other.0)
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
        Symbol(intern(&s.trim().to_ascii_uppercase()))
    }
    pub fn as_str(&self) -> &str {
        self.0
    }
}

impl fmt::Display for Symbol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
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

    /// One stored text per distinct symbol, from any thread; the text as given by
    /// `Symbol::new` (trimmed, upper case) and as written by serde; the same `Debug`, order,
    /// equality and hash as the `Arc<str>` form had (the text's).
    #[test]
    fn symbols_are_interned_texts() {
        let a = Symbol::new(" spy ");
        let b = Symbol::from("SPY");
        assert_eq!(a.as_str(), "SPY");
        assert!(std::ptr::eq(a.as_str(), b.as_str()));
        let other = std::thread::spawn(|| Symbol::new("spy")).join().unwrap();
        assert!(std::ptr::eq(a.as_str(), other.as_str()));
        assert_eq!(format!("{a:?}"), "Symbol(\"SPY\")");
        assert_eq!(format!("{a}"), "SPY");

        let raw: Symbol = serde_json::from_str("\" brk.b\"").unwrap();
        assert_eq!(raw.as_str(), " brk.b");
        assert_ne!(raw, Symbol::new("brk.b"));
        assert_eq!(serde_json::to_string(&raw).unwrap(), "\" brk.b\"");
        let back: Symbol = serde_json::from_str("\"SPY\"").unwrap();
        assert!(std::ptr::eq(back.as_str(), a.as_str()));

        use std::hash::{BuildHasher, RandomState};
        let state = RandomState::new();
        assert_eq!(state.hash_one(&a), state.hash_one("SPY"));
        let mut syms = [
            Symbol::new("QQQ"),
            Symbol::new("AAPL"),
            a.clone(),
            Symbol::new("A"),
        ];
        syms.sort();
        let texts: Vec<&str> = syms.iter().map(Symbol::as_str).collect();
        assert_eq!(texts, ["A", "AAPL", "QQQ", "SPY"]);
        assert_eq!(
            Symbol::new("A").cmp(&Symbol::new("a")),
            std::cmp::Ordering::Equal
        );
    }

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
