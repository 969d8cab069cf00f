//! Plugin runs and states, the event log and configuration history: what the dashboard and
//! the budget enforcer read back.

use super::codec::{i64_to_u64, limit, parse_enum, u64_to_i64};
use crate::event::{Event, PluginRunRecord};
use crate::store::error::{Context, StoreError, StoreResult};
use crate::store::records::{ConfigVersion, PluginState};
use crate::Timestamp;
use rusqlite::{params, Connection};

/// Inserts a run record; `id` is the row id a temporary store hands out (`None`: SQLite's
/// AUTOINCREMENT picks it). Returns the row id.
pub fn record_plugin_run(
    conn: &Connection,
    run: &PluginRunRecord,
    id: Option<i64>,
) -> StoreResult<i64> {
    let mem = run
        .mem_bytes
        .map(|m| u64_to_i64("plugin_runs.mem_bytes", m))
        .transpose()?;
    let outputs = u64_to_i64("plugin_runs.outputs", run.outputs as u64)?;
    // `?10` is the id: NULL lets SQLite choose it, as an INSERT without the column does.
    conn.prepare_cached(
        "INSERT INTO plugin_runs (plugin_id, started_at, cpu_ms, wall_ms, mem_bytes, status,
                                  outputs, message, over_budget, id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )
    .and_then(|mut s| {
        s.execute(params![
            run.plugin_id,
            run.started_at.0,
            run.cpu_ms,
            run.wall_ms,
            mem,
            run.status.as_str(),
            outputs,
            run.message,
            run.over_budget,
            id,
        ])
    })
    .ctx("insert into plugin_runs")?;
    Ok(id.unwrap_or_else(|| conn.last_insert_rowid()))
}

pub fn plugin_runs(
    conn: &Connection,
    plugin_id: Option<&str>,
    n: usize,
) -> StoreResult<Vec<PluginRunRecord>> {
    const OP: &str = "read plugin_runs";
    const T: &str = "plugin_runs";
    // Two statements so each uses its index: (plugin_id, started_at) or the table order.
    let sql = if plugin_id.is_some() {
        "SELECT plugin_id, started_at, cpu_ms, wall_ms, mem_bytes, status, outputs, message,
                over_budget
         FROM plugin_runs WHERE plugin_id = ?1 ORDER BY started_at DESC, id DESC LIMIT ?2"
    } else {
        "SELECT plugin_id, started_at, cpu_ms, wall_ms, mem_bytes, status, outputs, message,
                over_budget
         FROM plugin_runs WHERE ?1 IS NULL ORDER BY started_at DESC, id DESC LIMIT ?2"
    };
    let mut stmt = conn.prepare_cached(sql).ctx(OP)?;
    let mut rows = stmt.query(params![plugin_id, limit(n)]).ctx(OP)?;
    let mut out = Vec::new();
    while let Some(r) = rows.next().ctx(OP)? {
        let mem: Option<i64> = r.get(4).ctx(OP)?;
        let outputs = i64_to_u64(T, "outputs", r.get(6).ctx(OP)?)?;
        out.push(PluginRunRecord {
            plugin_id: r.get(0).ctx(OP)?,
            started_at: Timestamp(r.get(1).ctx(OP)?),
            cpu_ms: r.get(2).ctx(OP)?,
            wall_ms: r.get(3).ctx(OP)?,
            mem_bytes: mem.map(|m| i64_to_u64(T, "mem_bytes", m)).transpose()?,
            status: parse_enum(T, "status", r.get(5).ctx(OP)?)?,
            outputs: usize::try_from(outputs).map_err(|_| StoreError::Corrupt {
                table: T,
                column: "outputs",
                value: outputs.to_string(),
                expected: "count that fits usize",
            })?,
            message: r.get(7).ctx(OP)?,
            over_budget: r.get(8).ctx(OP)?,
        });
    }
    Ok(out)
}

pub fn set_plugin_state(
    conn: &Connection,
    plugin_id: &str,
    disabled: bool,
    reason: Option<&str>,
    breaches: u32,
    ts: Timestamp,
) -> StoreResult<()> {
    conn.prepare_cached(
        "INSERT INTO plugin_state (plugin_id, disabled, reason, breaches, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (plugin_id) DO UPDATE SET disabled = excluded.disabled,
            reason = excluded.reason, breaches = excluded.breaches,
            updated_at = excluded.updated_at",
    )
    .and_then(|mut s| s.execute(params![plugin_id, disabled, reason, breaches, ts.0]))
    .ctx("upsert into plugin_state")?;
    Ok(())
}

pub fn plugin_states(conn: &Connection) -> StoreResult<Vec<PluginState>> {
    const OP: &str = "read plugin_state";
    let mut stmt = conn
        .prepare_cached(
            "SELECT plugin_id, disabled, reason, breaches, updated_at FROM plugin_state
             ORDER BY plugin_id",
        )
        .ctx(OP)?;
    let rows = stmt
        .query_map([], |r| {
            Ok(PluginState {
                plugin_id: r.get(0)?,
                disabled: r.get(1)?,
                reason: r.get(2)?,
                breaches: r.get(3)?,
                updated_at: Timestamp(r.get(4)?),
            })
        })
        .ctx(OP)?;
    rows.collect::<Result<Vec<_>, _>>().ctx(OP)
}

pub fn prune_plugin_runs(conn: &Connection, before: Timestamp) -> StoreResult<usize> {
    conn.prepare_cached("DELETE FROM plugin_runs WHERE started_at < ?1")
        .and_then(|mut s| s.execute([before.0]))
        .ctx("prune plugin_runs")
}

/// Appends an event; `id` as in `record_plugin_run`. Returns the row id.
pub fn append_event(
    conn: &Connection,
    ts: Timestamp,
    event: &Event,
    id: Option<i64>,
) -> StoreResult<i64> {
    let json = serde_json::to_string(event).ctx("encode event")?;
    append_event_json(conn, ts, event.kind(), &json, id)
}

/// `append_event` of an event already encoded (`kind`: `Event::kind`).
pub fn append_event_json(
    conn: &Connection,
    ts: Timestamp,
    kind: &str,
    json: &str,
    id: Option<i64>,
) -> StoreResult<i64> {
    conn.prepare_cached("INSERT INTO events (ts, kind, json, id) VALUES (?1, ?2, ?3, ?4)")
        .and_then(|mut s| s.execute(params![ts.0, kind, json, id]))
        .ctx("insert into events")?;
    Ok(id.unwrap_or_else(|| conn.last_insert_rowid()))
}

pub fn events_after(conn: &Connection, after_id: i64, n: usize) -> StoreResult<Vec<(i64, Event)>> {
    const OP: &str = "read events";
    let mut stmt = conn
        .prepare_cached("SELECT id, json FROM events WHERE id > ?1 ORDER BY id LIMIT ?2")
        .ctx(OP)?;
    let mut rows = stmt.query(params![after_id, limit(n)]).ctx(OP)?;
    let mut out = Vec::new();
    while let Some(r) = rows.next().ctx(OP)? {
        let json: String = r.get(1).ctx(OP)?;
        let event = serde_json::from_str(&json).ctx("decode events.json")?;
        out.push((r.get(0).ctx(OP)?, event));
    }
    Ok(out)
}

pub fn prune_events(conn: &Connection, before: Timestamp) -> StoreResult<usize> {
    conn.prepare_cached("DELETE FROM events WHERE ts < ?1")
        .and_then(|mut s| s.execute([before.0]))
        .ctx("prune events")
}

pub fn save_config_version(
    conn: &Connection,
    ts: Timestamp,
    config_text: &str,
    features_text: &str,
    summary: &str,
) -> StoreResult<i64> {
    conn.prepare_cached(
        "INSERT INTO config_versions (ts, config_text, features_text, summary)
         VALUES (?1, ?2, ?3, ?4)",
    )
    .and_then(|mut s| s.execute(params![ts.0, config_text, features_text, summary]))
    .ctx("insert into config_versions")?;
    Ok(conn.last_insert_rowid())
}

fn read_config_versions(
    conn: &Connection,
    sql: &str,
    p: impl rusqlite::Params,
) -> StoreResult<Vec<ConfigVersion>> {
    const OP: &str = "read config_versions";
    let mut stmt = conn.prepare_cached(sql).ctx(OP)?;
    let rows = stmt
        .query_map(p, |r| {
            Ok(ConfigVersion {
                version: r.get(0)?,
                ts: Timestamp(r.get(1)?),
                config_text: r.get(2)?,
                features_text: r.get(3)?,
                summary: r.get(4)?,
            })
        })
        .ctx(OP)?;
    rows.collect::<Result<Vec<_>, _>>().ctx(OP)
}

pub fn config_versions(conn: &Connection, n: usize) -> StoreResult<Vec<ConfigVersion>> {
    read_config_versions(
        conn,
        "SELECT version, ts, config_text, features_text, summary FROM config_versions
         ORDER BY version DESC LIMIT ?1",
        [limit(n)],
    )
}

pub fn config_version(conn: &Connection, version: i64) -> StoreResult<Option<ConfigVersion>> {
    Ok(read_config_versions(
        conn,
        "SELECT version, ts, config_text, features_text, summary FROM config_versions
         WHERE version = ?1",
        [version],
    )?
    .into_iter()
    .next())
}

pub fn prune_config_versions(conn: &Connection, keep: usize) -> StoreResult<usize> {
    conn.prepare_cached(
        "DELETE FROM config_versions WHERE version NOT IN
            (SELECT version FROM config_versions ORDER BY version DESC LIMIT ?1)",
    )
    .and_then(|mut s| s.execute([limit(keep)]))
    .ctx("prune config_versions")
}

/// `RunStatus` is written with `as_str` and read with serde: the names must agree.
#[cfg(test)]
mod tests {
    use super::super::codec::enum_text;
    use crate::event::RunStatus;

    #[test]
    fn run_status_text_matches_serde_name() {
        for s in [
            RunStatus::Ok,
            RunStatus::Error,
            RunStatus::Panicked,
            RunStatus::Skipped,
        ] {
            assert_eq!(enum_text(&s, "status").unwrap(), s.as_str());
        }
    }
}
