//! The audit trail: one row per state-changing call (who, what, when, from which IP, result),
//! written by the auth middleware and the login handlers, readable at `GET /api/v1/audit`.
//!
//! Details name what changed (a version, a plugin id), never a credential.

use crate::db::ServerDb;
use crate::error::ServerError;
use axum::response::{IntoResponse, Response};
use optifire_core::Timestamp;
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AuditEntry {
    /// 0 before insertion.
    pub id: i64,
    pub ts: Timestamp,
    /// `None` when the caller was not authenticated (a failed login).
    pub username: Option<String>,
    pub ip: String,
    pub method: String,
    pub path: String,
    pub action: String,
    pub status: u16,
    pub detail: Option<String>,
}

/// Attached to a response by a handler to name its action for the audit row.
#[derive(Clone, Debug)]
pub struct AuditNote {
    pub action: String,
    pub detail: Option<String>,
}

/// `resp` with an `AuditNote`.
pub fn noted(resp: impl IntoResponse, action: &str, detail: Option<String>) -> Response {
    let mut r = resp.into_response();
    r.extensions_mut().insert(AuditNote {
        action: action.to_string(),
        detail,
    });
    r
}

impl ServerDb {
    pub fn append_audit(&self, e: &AuditEntry) -> Result<i64, ServerError> {
        let conn = self.lock();
        conn.execute(
            "INSERT INTO audit_log (ts, username, ip, method, path, action, status, detail)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            rusqlite::params![
                e.ts.0, e.username, e.ip, e.method, e.path, e.action, e.status, e.detail
            ],
        )?;
        Ok(conn.last_insert_rowid())
    }

    /// Rows with id > `after`, ascending, at most `limit`.
    pub fn audit_after(&self, after: i64, limit: usize) -> Result<Vec<AuditEntry>, ServerError> {
        let conn = self.lock();
        let mut st = conn.prepare_cached(
            "SELECT id, ts, username, ip, method, path, action, status, detail
             FROM audit_log WHERE id > ?1 ORDER BY id LIMIT ?2",
        )?;
        let rows = st.query_map(
            rusqlite::params![after, i64::try_from(limit).unwrap_or(i64::MAX)],
            |r| {
                Ok(AuditEntry {
                    id: r.get(0)?,
                    ts: Timestamp(r.get(1)?),
                    username: r.get(2)?,
                    ip: r.get(3)?,
                    method: r.get(4)?,
                    path: r.get(5)?,
                    action: r.get(6)?,
                    status: r.get(7)?,
                    detail: r.get(8)?,
                })
            },
        )?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Writes `e`, logging (not failing) when the database refuses: the call it records has
    /// already happened.
    pub fn audit_or_log(&self, e: &AuditEntry) {
        if let Err(err) = self.append_audit(e) {
            tracing::error!(error = %err, action = %e.action, "audit row not written");
        }
    }
}
