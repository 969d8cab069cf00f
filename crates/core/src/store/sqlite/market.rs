//! Bars and plugin outputs: the high-volume analytics tables, written in batches.

use crate::domain::{Bar, Symbol};
use crate::plugin::{Output, PluginOutput};
use crate::store::error::{Context, StoreError, StoreResult};
use crate::store::records::{FeatureRecord, SignalRecord};
use crate::Timestamp;
use rusqlite::{params, Connection};

/// Refuses the whole batch if one bar is invalid, before a transaction starts.
pub fn check_bars(bars: &[Bar]) -> StoreResult<()> {
    for b in bars {
        let defects = b.defects();
        if !defects.is_empty() {
            return Err(StoreError::InvalidBar {
                symbol: b.symbol.clone(),
                ts: b.ts,
                defects,
            });
        }
    }
    Ok(())
}

pub fn insert_bars(conn: &Connection, bars: &[Bar]) -> StoreResult<usize> {
    const OP: &str = "insert into bars";
    let mut stmt = conn
        .prepare_cached(
            "INSERT INTO bars (symbol, ts, o, h, l, c, v) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
             ON CONFLICT (symbol, ts) DO UPDATE SET
                o = excluded.o, h = excluded.h, l = excluded.l, c = excluded.c, v = excluded.v",
        )
        .ctx(OP)?;
    for b in bars {
        stmt.execute(params![
            b.symbol.as_str(),
            b.ts.0,
            b.open,
            b.high,
            b.low,
            b.close,
            b.volume
        ])
        .ctx(OP)?;
    }
    Ok(bars.len())
}

pub fn bars(
    conn: &Connection,
    symbol: &Symbol,
    from: Timestamp,
    to: Timestamp,
) -> StoreResult<Vec<Bar>> {
    const OP: &str = "read bars";
    let mut stmt = conn
        .prepare_cached(
            "SELECT ts, o, h, l, c, v FROM bars
             WHERE symbol = ?1 AND ts BETWEEN ?2 AND ?3 ORDER BY ts",
        )
        .ctx(OP)?;
    let rows = stmt
        .query_map(params![symbol.as_str(), from.0, to.0], |r| {
            Ok(Bar {
                symbol: symbol.clone(),
                ts: Timestamp(r.get(0)?),
                open: r.get(1)?,
                high: r.get(2)?,
                low: r.get(3)?,
                close: r.get(4)?,
                volume: r.get(5)?,
            })
        })
        .ctx(OP)?;
    rows.collect::<Result<Vec<_>, _>>().ctx(OP)
}

pub fn insert_outputs(conn: &Connection, outputs: &[PluginOutput]) -> StoreResult<()> {
    let mut signal = conn
        .prepare_cached(
            "INSERT INTO signals (plugin_id, ts, symbol, value) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (plugin_id, ts, symbol) DO UPDATE SET value = excluded.value",
        )
        .ctx("prepare insert into signals")?;
    let mut feature = conn
        .prepare_cached(
            "INSERT INTO features (symbol, name, ts, plugin_id, value) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (symbol, name, ts, plugin_id) DO UPDATE SET value = excluded.value",
        )
        .ctx("prepare insert into features")?;
    let mut other = conn
        .prepare_cached(
            "INSERT INTO plugin_outputs (ts, plugin_id, kind, json) VALUES (?1, ?2, ?3, ?4)",
        )
        .ctx("prepare insert into plugin_outputs")?;
    for po in outputs {
        match &po.output {
            Output::Signal { symbol, value } => {
                signal
                    .execute(params![
                        po.plugin_id,
                        po.ts.0,
                        symbol.as_str(),
                        value.value()
                    ])
                    .ctx("insert into signals")?;
            }
            Output::Feature {
                symbol,
                name,
                value,
            } => {
                // SQLite stores NaN as NULL; `features` reads NULL back as NaN.
                feature
                    .execute(params![symbol.as_str(), name, po.ts.0, po.plugin_id, value])
                    .ctx("insert into features")?;
            }
            out => {
                let json = serde_json::to_string(out).ctx("encode plugin output")?;
                other
                    .execute(params![po.ts.0, po.plugin_id, out.kind(), json])
                    .ctx("insert into plugin_outputs")?;
            }
        }
    }
    Ok(())
}

pub fn features(
    conn: &Connection,
    symbol: &Symbol,
    name: &str,
    from: Timestamp,
    to: Timestamp,
) -> StoreResult<Vec<FeatureRecord>> {
    const OP: &str = "read features";
    let mut stmt = conn
        .prepare_cached(
            "SELECT ts, plugin_id, value FROM features
             WHERE symbol = ?1 AND name = ?2 AND ts BETWEEN ?3 AND ?4 ORDER BY ts, plugin_id",
        )
        .ctx(OP)?;
    let rows = stmt
        .query_map(params![symbol.as_str(), name, from.0, to.0], |r| {
            Ok(FeatureRecord {
                ts: Timestamp(r.get(0)?),
                plugin_id: r.get(1)?,
                symbol: symbol.clone(),
                name: name.to_owned(),
                value: r.get::<_, Option<f64>>(2)?.unwrap_or(f64::NAN),
            })
        })
        .ctx(OP)?;
    rows.collect::<Result<Vec<_>, _>>().ctx(OP)
}

pub fn signals(
    conn: &Connection,
    plugin_id: Option<&str>,
    from: Timestamp,
    to: Timestamp,
) -> StoreResult<Vec<SignalRecord>> {
    const OP: &str = "read signals";
    let mut stmt = conn
        .prepare_cached(
            "SELECT ts, plugin_id, symbol, value FROM signals
             WHERE (?1 IS NULL OR plugin_id = ?1) AND ts BETWEEN ?2 AND ?3
             ORDER BY ts, plugin_id, symbol",
        )
        .ctx(OP)?;
    let rows = stmt
        .query_map(params![plugin_id, from.0, to.0], |r| {
            Ok(SignalRecord {
                ts: Timestamp(r.get(0)?),
                plugin_id: r.get(1)?,
                symbol: Symbol::new(&r.get::<_, String>(2)?),
                value: r.get(3)?,
            })
        })
        .ctx(OP)?;
    rows.collect::<Result<Vec<_>, _>>().ctx(OP)
}

pub fn plugin_outputs(
    conn: &Connection,
    plugin_id: Option<&str>,
    from: Timestamp,
    to: Timestamp,
) -> StoreResult<Vec<PluginOutput>> {
    const OP: &str = "read plugin_outputs";
    let mut stmt = conn
        .prepare_cached(
            "SELECT ts, plugin_id, json FROM plugin_outputs
             WHERE (?1 IS NULL OR plugin_id = ?1) AND ts BETWEEN ?2 AND ?3 ORDER BY ts, id",
        )
        .ctx(OP)?;
    let mut rows = stmt.query(params![plugin_id, from.0, to.0]).ctx(OP)?;
    let mut out = Vec::new();
    while let Some(r) = rows.next().ctx(OP)? {
        let json: String = r.get(2).ctx(OP)?;
        out.push(PluginOutput {
            ts: Timestamp(r.get(0).ctx(OP)?),
            plugin_id: r.get(1).ctx(OP)?,
            output: serde_json::from_str(&json).ctx("decode plugin_outputs.json")?,
        });
    }
    Ok(out)
}
