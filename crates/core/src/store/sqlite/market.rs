//! Bars and plugin outputs: the high-volume analytics tables, written in batches.

use crate::domain::{Bar, Symbol};
use crate::plugin::PluginOutput;
use crate::store::error::{Context, StoreError, StoreResult};
use crate::store::records::{FeatureRecord, OutputRow, SignalRecord};
use crate::Timestamp;
use rusqlite::{params, Connection};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicI64, Ordering};

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

/// Inserts a run's outputs. `ids`: a temporary store's `plugin_outputs` id counter (`None`:
/// SQLite's AUTOINCREMENT picks the ids), moved past each row inserted.
pub fn insert_outputs(
    conn: &Connection,
    outputs: &[PluginOutput],
    ids: Option<&AtomicI64>,
) -> StoreResult<()> {
    insert_output_rows(conn, outputs.iter().map(OutputRow::of), ids)
}

/// `insert_outputs` of outputs in their stored form, as the rows come (a row that cannot be
/// formed fails the call where it comes).
pub fn insert_output_rows<'a>(
    conn: &Connection,
    rows: impl Iterator<Item = StoreResult<OutputRow<'a>>>,
    ids: Option<&AtomicI64>,
) -> StoreResult<()> {
    let mut signal = conn
        .prepare_cached(
            "INSERT INTO signals (plugin_id, ts, symbol, value) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (plugin_id, ts, symbol) DO UPDATE SET value = excluded.value",
        )
        .ctx("prepare insert into signals")?;
    let mut other = conn
        .prepare_cached(
            "INSERT INTO plugin_outputs (ts, plugin_id, kind, json, id)
             VALUES (?1, ?2, ?3, ?4, ?5)",
        )
        .ctx("prepare insert into plugin_outputs")?;
    // Features by (instant, plugin), in the order first seen: one `feature_sets` row each.
    let mut sets: Vec<(Timestamp, &str, FeatureSet<'_>)> = Vec::new();
    for row in rows {
        match row? {
            OutputRow::Signal {
                ts,
                plugin_id,
                symbol,
                value,
            } => {
                signal
                    .execute(params![plugin_id, ts.0, symbol, value])
                    .ctx("insert into signals")?;
            }
            OutputRow::Feature {
                ts,
                plugin_id,
                symbol,
                name,
                value,
            } => {
                let key = (ts, plugin_id);
                let set = match sets.iter().position(|(t, p, _)| (*t, *p) == key) {
                    Some(i) => &mut sets[i].2,
                    None => {
                        sets.push((ts, plugin_id, FeatureSet::default()));
                        &mut sets.last_mut().expect("just pushed").2
                    }
                };
                set.put(symbol, name, value);
            }
            OutputRow::Other {
                ts,
                plugin_id,
                kind,
                json,
            } => {
                let id = ids.map(|n| n.load(Ordering::Relaxed) + 1);
                other
                    .execute(params![ts.0, plugin_id, kind, json.as_ref(), id])
                    .ctx("insert into plugin_outputs")?;
                if let (Some(n), Some(id)) = (ids, id) {
                    n.store(id, Ordering::Relaxed);
                }
            }
        }
    }
    for (ts, plugin_id, set) in sets {
        insert_feature_set(conn, ts, plugin_id, set)?;
    }
    Ok(())
}

/// The features of one plugin run at one instant, in the order produced; a repeated
/// (symbol, name) keeps its first place and its last value.
#[derive(Default)]
struct FeatureSet<'a> {
    values: Vec<(&'a str, &'a str, f64)>,
}

impl<'a> FeatureSet<'a> {
    fn put(&mut self, symbol: &'a str, name: &'a str, value: f64) {
        match self
            .values
            .iter_mut()
            .find(|(s, n, _)| *s == symbol && *n == name)
        {
            Some(v) => v.2 = value,
            None => self.values.push((symbol, name, value)),
        }
    }
}

const FEATURE_SETS: &str = "feature_sets";

/// Appends one record of the `feature_sets.data` layout (see migration 0003).
fn encode_feature(out: &mut Vec<u8>, symbol: &str, name: &str, value: f64) -> StoreResult<()> {
    for text in [symbol, name] {
        let len = u16::try_from(text.len()).map_err(|_| StoreError::OutOfRange {
            what: "feature symbol or name length",
            value: text.len() as u64,
        })?;
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(text.as_bytes());
    }
    out.extend_from_slice(&value.to_le_bytes());
    Ok(())
}

/// The records of one `feature_sets.data` blob, in stored order.
fn decode_features(data: &[u8]) -> StoreResult<Vec<(&str, &str, f64)>> {
    fn take<'d>(rest: &mut &'d [u8], n: usize) -> Option<&'d [u8]> {
        let head = rest.get(..n)?;
        *rest = &rest[n..];
        Some(head)
    }
    fn text<'d>(rest: &mut &'d [u8]) -> Option<&'d str> {
        let len = take(rest, 2)?;
        let len = usize::from(u16::from_le_bytes([len[0], len[1]]));
        std::str::from_utf8(take(rest, len)?).ok()
    }
    let mut rest = data;
    let mut out = Vec::new();
    while !rest.is_empty() {
        let record = (|| {
            let symbol = text(&mut rest)?;
            let name = text(&mut rest)?;
            let bits: [u8; 8] = take(&mut rest, 8)?.try_into().ok()?;
            Some((symbol, name, f64::from_le_bytes(bits)))
        })();
        out.push(record.ok_or_else(|| StoreError::Corrupt {
            table: FEATURE_SETS,
            column: "data",
            value: format!("{} bytes", data.len()),
            expected: "packed (symbol, name, value) records",
        })?);
    }
    Ok(out)
}

/// Inserts the run's row, or merges into the row a rerun at the same instant left: values it
/// repeats are replaced, others kept.
fn insert_feature_set(
    conn: &Connection,
    ts: Timestamp,
    plugin_id: &str,
    set: FeatureSet<'_>,
) -> StoreResult<()> {
    const OP: &str = "insert into feature_sets";
    let mut data = Vec::with_capacity(set.values.len() * 32);
    for (s, n, v) in &set.values {
        encode_feature(&mut data, s, n, *v)?;
    }
    let inserted = conn
        .prepare_cached(
            "INSERT INTO feature_sets (ts, plugin_id, data) VALUES (?1, ?2, ?3)
             ON CONFLICT (ts, plugin_id) DO NOTHING",
        )
        .and_then(|mut st| st.execute(params![ts.0, plugin_id, data]))
        .ctx(OP)?;
    if inserted == 1 {
        return Ok(());
    }
    let old: Vec<u8> = conn
        .prepare_cached("SELECT data FROM feature_sets WHERE ts = ?1 AND plugin_id = ?2")
        .and_then(|mut st| st.query_row(params![ts.0, plugin_id], |r| r.get(0)))
        .ctx("read feature_sets row to merge")?;
    let mut merged = FeatureSet::default();
    for (s, n, v) in decode_features(&old)? {
        merged.put(s, n, v);
    }
    for (s, n, v) in set.values {
        merged.put(s, n, v);
    }
    let mut data = Vec::with_capacity(merged.values.len() * 32);
    for (s, n, v) in &merged.values {
        encode_feature(&mut data, s, n, *v)?;
    }
    conn.prepare_cached("UPDATE feature_sets SET data = ?3 WHERE ts = ?1 AND plugin_id = ?2")
        .and_then(|mut st| st.execute(params![ts.0, plugin_id, data]))
        .ctx("merge into feature_sets")?;
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
    // Keyed by (ts, plugin): the packed rows are read second and replace what an older build
    // wrote for the same key, and the map's order is the documented (ts, plugin_id) order
    // (byte-wise, as SQLite's BINARY collation compares the ids).
    let mut found: BTreeMap<(i64, String), f64> = BTreeMap::new();
    {
        let mut stmt = conn
            .prepare_cached(
                "SELECT ts, plugin_id, value FROM features
                 WHERE symbol = ?1 AND name = ?2 AND ts BETWEEN ?3 AND ?4",
            )
            .ctx(OP)?;
        let mut rows = stmt
            .query(params![symbol.as_str(), name, from.0, to.0])
            .ctx(OP)?;
        while let Some(r) = rows.next().ctx(OP)? {
            let value = r.get::<_, Option<f64>>(2).ctx(OP)?.unwrap_or(f64::NAN);
            found.insert((r.get(0).ctx(OP)?, r.get(1).ctx(OP)?), value);
        }
    }
    let mut stmt = conn
        .prepare_cached("SELECT ts, plugin_id, data FROM feature_sets WHERE ts BETWEEN ?1 AND ?2")
        .ctx(OP)?;
    let mut rows = stmt.query(params![from.0, to.0]).ctx(OP)?;
    while let Some(r) = rows.next().ctx(OP)? {
        let rusqlite::types::ValueRef::Blob(data) = r.get_ref(2).ctx(OP)? else {
            return Err(StoreError::Corrupt {
                table: FEATURE_SETS,
                column: "data",
                value: "a value that is not a blob".into(),
                expected: "packed (symbol, name, value) records",
            });
        };
        let value = decode_features(data)?
            .into_iter()
            .find(|(s, n, _)| *s == symbol.as_str() && *n == name)
            .map(|(_, _, v)| v);
        if let Some(v) = value {
            found.insert((r.get(0).ctx(OP)?, r.get(1).ctx(OP)?), v);
        }
    }
    Ok(found
        .into_iter()
        .map(|((ts, plugin_id), value)| FeatureRecord {
            ts: Timestamp(ts),
            plugin_id,
            symbol: symbol.clone(),
            name: name.to_owned(),
            value,
        })
        .collect())
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

#[cfg(test)]
mod tests {
    use super::super::SqliteStore;
    use crate::plugin::{Output, PluginOutput};
    use crate::store::Store;
    use crate::Timestamp;

    fn feature(plugin: &str, ts: i64, symbol: &str, name: &str, value: f64) -> PluginOutput {
        PluginOutput {
            plugin_id: plugin.into(),
            ts: Timestamp(ts),
            output: Output::Feature {
                symbol: symbol.into(),
                name: name.into(),
                value,
            },
        }
    }

    /// A rerun at the same instant replaces only the values it repeats (as one row per value
    /// did), a value repeated within one write keeps the last, and rows an older build wrote to
    /// `features` are still read, in (ts, plugin) order, the packed row winning a tie.
    #[test]
    fn packed_features_read_like_one_row_per_value() {
        let s = SqliteStore::open_in_memory().unwrap();
        s.lock()
            .execute_batch(
                "INSERT INTO features (symbol, name, ts, plugin_id, value) VALUES
                    ('SPY', 'lvl', 5, 'old', 1.0), ('SPY', 'lvl', 20, 'b', 2.0),
                    ('SPY', 'lvl', 20, 'a', NULL), ('QQQ', 'lvl', 20, 'b', 9.0)",
            )
            .unwrap();
        s.insert_outputs(&[
            feature("b", 20, "SPY", "lvl", 3.0),
            feature("b", 20, "SPY", "slope", 4.0),
            feature("b", 10, "SPY", "lvl", 5.0),
            feature("b", 10, "SPY", "lvl", 6.0),
        ])
        .unwrap();
        // The rerun at 20 changes slope only; lvl stays 3.
        s.insert_outputs(&[feature("b", 20, "SPY", "slope", 7.0)])
            .unwrap();
        let spy = "SPY".into();
        let got: Vec<(i64, String, Option<f64>)> = s
            .features(&spy, "lvl", Timestamp(0), Timestamp(100))
            .unwrap()
            .into_iter()
            .map(|f| (f.ts.0, f.plugin_id, Some(f.value).filter(|v| !v.is_nan())))
            .collect();
        assert_eq!(
            got,
            vec![
                (5, "old".into(), Some(1.0)),
                (10, "b".into(), Some(6.0)),
                (20, "a".into(), None),
                (20, "b".into(), Some(3.0)),
            ]
        );
        let slope = s
            .features(&spy, "slope", Timestamp(20), Timestamp(20))
            .unwrap();
        assert_eq!(slope.len(), 1);
        assert_eq!(slope[0].value, 7.0);
        assert!(s
            .features(&spy, "lvl", Timestamp(21), Timestamp(100))
            .unwrap()
            .is_empty());
    }

    #[test]
    fn a_truncated_feature_set_is_reported_corrupt() {
        let s = SqliteStore::open_in_memory().unwrap();
        s.lock()
            .execute(
                "INSERT INTO feature_sets (ts, plugin_id, data) VALUES (1, 'p', X'0300535059')",
                [],
            )
            .unwrap();
        let err = s
            .features(&"SPY".into(), "lvl", Timestamp(0), Timestamp(9))
            .unwrap_err();
        assert!(
            matches!(
                err,
                crate::store::StoreError::Corrupt {
                    table: "feature_sets",
                    ..
                }
            ),
            "{err}"
        );
    }
}
