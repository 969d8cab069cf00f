//! Shared set-up of the engine tests that drive stand-in alphas through whole cycles
//! (hot reload, stored contributions): a plugin under a catalogue id with a fixed signal,
//! flat daily bars at the New York close, and permissive flags.

use optifire_core::config::{Budget, PluginFlags};
use optifire_core::domain::{Bar, Signal, Symbol};
use optifire_core::plugin::{
    Category, Context, MarketData, Output, Plugin, PluginError, PluginMeta, PluginPlan,
};
use optifire_core::Timestamp;

/// A stand-in alpha under a catalogue id (so the registry accepts it) with a fixed signal on
/// AAA and optional dependencies.
pub struct Fixed(pub &'static str, pub f64, pub Vec<String>);

impl Plugin for Fixed {
    fn describe(&self) -> PluginMeta {
        PluginMeta {
            id: self.0.into(),
            name: "fixed signal".into(),
            category: Category::Alpha,
            version: "0".into(),
            description: "test stand-in".into(),
            inputs: vec![],
            outputs: vec![],
            est_cpu_ms: 0.0,
            est_mem_mb: 0.0,
        }
    }
    fn plan(&self) -> PluginPlan {
        PluginPlan {
            schedule: "@close".into(),
            depends_on: self.2.clone(),
        }
    }
    fn run(&mut self, _: &Context<'_>) -> Result<Vec<Output>, PluginError> {
        Ok(vec![Output::Signal {
            symbol: Symbol::new("AAA"),
            value: Signal::new(self.1).unwrap(),
        }])
    }
}

/// 16:00 New York on 2024-01-08 + d.
pub fn close_ts(d: i64) -> Timestamp {
    Timestamp::from_secs(1_704_747_600 + d * 86_400)
}

/// `days` flat daily bars (close 100) of AAA and SPY at `close_ts(0..days)`.
pub fn flat_market(days: i64) -> MarketData {
    let mut market = MarketData::new();
    for sym in ["AAA", "SPY"] {
        let bars = (0..days)
            .map(|d| Bar {
                symbol: sym.into(),
                ts: close_ts(d),
                open: 100.0,
                high: 101.0,
                low: 99.0,
                close: 100.0,
                volume: 1e6,
            })
            .collect();
        market.insert(sym.into(), bars).unwrap();
    }
    market
}

/// Flags at the close with a budget no run can breach.
pub fn flags(enabled: bool) -> PluginFlags {
    PluginFlags {
        enabled,
        schedule: "@close".into(),
        budget: Budget {
            cpu_ms: 1e6,
            mem_mb: 1e6,
        },
        params: serde_json::Value::Null,
    }
}
