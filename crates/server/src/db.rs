//! The server's own connection to the store's database file, for the tables it owns (users,
//! audit trail, revoked tokens; migration 0002) and read-only aggregates for `/metrics`.
//!
//! Kept out of the core `Store` trait because nothing in the engine may touch credentials.

use crate::error::ServerError;
use optifire_core::domain::Symbol;
use optifire_core::event::Event;
use optifire_core::store::SignalRecord;
use optifire_core::Timestamp;
use rusqlite::{Connection, OptionalExtension};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

/// Same wait as the core store: the engine may hold the write lock for a moment.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

pub struct ServerDb {
    conn: Mutex<Connection>,
    path: PathBuf,
}

impl fmt::Debug for ServerDb {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerDb")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

/// Plugin run totals for `/metrics`, per plugin and status.
#[derive(Clone, Debug, PartialEq)]
pub struct RunStats {
    pub plugin_id: String,
    pub status: String,
    pub runs: i64,
    pub cpu_ms: f64,
}

impl ServerDb {
    /// Opens a database already migrated by `optifire_core::store::SqliteStore::open` (which the
    /// caller does first, so there is one migration path). Refuses a file without the tables.
    pub fn open(path: impl AsRef<Path>) -> Result<ServerDb, ServerError> {
        let path = path.as_ref().to_path_buf();
        let conn = Connection::open(&path)?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        let has_users: Option<String> = conn
            .query_row(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'users'",
                [],
                |r| r.get(0),
            )
            .optional()?;
        if has_users.is_none() {
            return Err(ServerError::SchemaMissing);
        }
        Ok(ServerDb {
            conn: Mutex::new(conn),
            path,
        })
    }

    /// A panic while holding the lock leaves no half-written row (each write is one statement).
    pub(crate) fn lock(&self) -> MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Reachability probe for `/health`.
    pub fn ping(&self) -> Result<(), ServerError> {
        self.lock().query_row("SELECT 1", [], |_| Ok(()))?;
        Ok(())
    }

    pub fn plugin_run_stats(&self) -> Result<Vec<RunStats>, ServerError> {
        let conn = self.lock();
        let mut st = conn.prepare_cached(
            "SELECT plugin_id, status, COUNT(*), COALESCE(SUM(cpu_ms), 0.0)
             FROM plugin_runs GROUP BY plugin_id, status ORDER BY plugin_id, status",
        )?;
        let rows = st.query_map([], |r| {
            Ok(RunStats {
                plugin_id: r.get(0)?,
                status: r.get(1)?,
                runs: r.get(2)?,
                cpu_ms: r.get(3)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Events ever appended: the highest id handed out (AUTOINCREMENT, so pruning does not
    /// lower it), which is what a Prometheus counter needs.
    pub fn events_total(&self) -> Result<i64, ServerError> {
        let conn = self.lock();
        let n: Option<i64> = conn
            .query_row(
                "SELECT seq FROM sqlite_sequence WHERE name = 'events'",
                [],
                |r| r.get(0),
            )
            .optional()?;
        Ok(n.unwrap_or(0))
    }

    /// Time of the newest equity point, if any (the stream polls this instead of reading the
    /// whole curve).
    pub fn latest_equity_ts(&self) -> Result<Option<Timestamp>, ServerError> {
        let conn = self.lock();
        let ts: Option<i64> = conn
            .query_row("SELECT MAX(ts) FROM equity", [], |r| r.get(0))
            .optional()?
            .flatten();
        Ok(ts.map(Timestamp))
    }

    /// The newest stored events of one kind (`risk`, `alert`, ...), newest first. A row that no
    /// longer parses (written by another version) is skipped with a warning, not fatal.
    pub fn events_of_kind(
        &self,
        kind: &str,
        limit: usize,
    ) -> Result<Vec<(i64, Event)>, ServerError> {
        let conn = self.lock();
        let mut st = conn.prepare_cached(
            "SELECT id, json FROM events WHERE kind = ?1 ORDER BY id DESC LIMIT ?2",
        )?;
        let rows = st.query_map(
            rusqlite::params![kind, i64::try_from(limit).unwrap_or(i64::MAX)],
            |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)),
        )?;
        let mut out = Vec::new();
        for row in rows {
            let (id, json) = row?;
            match serde_json::from_str::<Event>(&json) {
                Ok(e) => out.push((id, e)),
                Err(e) => tracing::warn!(id, error = %e, "stored event does not parse; skipped"),
            }
        }
        Ok(out)
    }

    /// Each plugin's signals at its newest signal time: what the combiner holds as standing
    /// signals (plugin id, then symbol order).
    pub fn latest_signals(&self) -> Result<Vec<SignalRecord>, ServerError> {
        let conn = self.lock();
        let mut st = conn.prepare_cached(
            "SELECT s.plugin_id, s.ts, s.symbol, s.value FROM signals s
             JOIN (SELECT plugin_id, MAX(ts) AS m FROM signals GROUP BY plugin_id) l
               ON s.plugin_id = l.plugin_id AND s.ts = l.m
             ORDER BY s.plugin_id, s.symbol",
        )?;
        let rows = st.query_map([], |r| {
            Ok(SignalRecord {
                plugin_id: r.get(0)?,
                ts: Timestamp(r.get(1)?),
                symbol: Symbol::new(&r.get::<_, String>(2)?),
                value: r.get(3)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Remembers a logged-out token until it would have expired.
    pub fn revoke(&self, jti: &str, expires_at_secs: i64) -> Result<(), ServerError> {
        self.lock().execute(
            "INSERT OR IGNORE INTO revoked_tokens (jti, expires_at) VALUES (?1, ?2)",
            rusqlite::params![jti, expires_at_secs],
        )?;
        Ok(())
    }

    /// Revoked tokens still unexpired at `now_secs` (loaded at start-up); older ones are deleted.
    pub fn revoked_tokens(&self, now_secs: i64) -> Result<Vec<(String, i64)>, ServerError> {
        let conn = self.lock();
        conn.execute(
            "DELETE FROM revoked_tokens WHERE expires_at < ?1",
            [now_secs],
        )?;
        let mut st = conn.prepare_cached("SELECT jti, expires_at FROM revoked_tokens")?;
        let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}
