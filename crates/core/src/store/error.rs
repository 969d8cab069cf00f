//! Store errors. Each names the table and operation that failed, so a log line alone tells an
//! operator what was being written or read when the database refused.

use crate::domain::{BarError, ClientOrderId, Symbol};
use crate::Timestamp;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("SQLite failed to {op}: {source}")]
    Sqlite {
        op: &'static str,
        #[source]
        source: rusqlite::Error,
    },
    #[error("JSON encoding failed to {op}: {source}")]
    Json {
        op: &'static str,
        #[source]
        source: serde_json::Error,
    },
    #[error("{path}: cannot create the database's folder: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// A value read back is not what the writer stores: the file was edited or is corrupt.
    #[error("{table}.{column} holds {value:?}, which is not a valid {expected}")]
    Corrupt {
        table: &'static str,
        column: &'static str,
        value: String,
        expected: &'static str,
    },
    #[error(
        "database schema version {found} is newer than this build knows ({known}); \
         run a newer OptiFIRE or restore a backup"
    )]
    SchemaTooNew { found: i64, known: i64 },
    #[error("journal_mode is {0:?}, not WAL; the store needs WAL for crash safety")]
    NotWal(String),
    /// Journaling an intent twice would reset a live order to pending_new.
    #[error("order {0} is already journaled; a resend must reuse the stored order")]
    DuplicateOrder(ClientOrderId),
    /// The broker reported two different executions under one id.
    #[error("fill {fill_id} is already stored with different content")]
    FillConflict { fill_id: String },
    #[error("bar {symbol} at {ts} is invalid: {defects:?}")]
    InvalidBar {
        symbol: Symbol,
        ts: Timestamp,
        defects: Vec<BarError>,
    },
    #[error("{what} value {value} does not fit the store's 64-bit integer column")]
    OutOfRange { what: &'static str, value: u64 },
    /// A write queued by `WriteBehindStore` failed: every later call reports it, so it cannot
    /// go unnoticed. `dropped` writes queued after it were not run.
    #[error("an earlier queued write failed to {op}: {message} ({dropped} later queued write(s) not run)")]
    WriteBehind {
        op: &'static str,
        message: String,
        dropped: usize,
    },
}

pub type StoreResult<T> = Result<T, StoreError>;

/// Attaches the operation to a rusqlite or serde_json error.
pub(crate) trait Context<T> {
    fn ctx(self, op: &'static str) -> StoreResult<T>;
}

impl<T> Context<T> for Result<T, rusqlite::Error> {
    fn ctx(self, op: &'static str) -> StoreResult<T> {
        self.map_err(|source| StoreError::Sqlite { op, source })
    }
}

impl<T> Context<T> for Result<T, serde_json::Error> {
    fn ctx(self, op: &'static str) -> StoreResult<T> {
        self.map_err(|source| StoreError::Json { op, source })
    }
}
