//! Numbered schema migrations, embedded in the binary and applied in order, one transaction
//! each, recorded in `schema_migrations`. A database written by a newer build is refused rather
//! than misread.

use super::error::{Context, StoreError, StoreResult};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior};

/// One schema step. Versions are consecutive from 1; a released migration is never edited.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Migration {
    pub version: i64,
    pub name: &'static str,
    pub sql: &'static str,
}

pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "initial",
        sql: include_str!("migrations/0001_initial.sql"),
    },
    Migration {
        version: 2,
        name: "users_audit",
        sql: include_str!("migrations/0002_users_audit.sql"),
    },
    Migration {
        version: 3,
        name: "feature_sets",
        sql: include_str!("migrations/0003_feature_sets.sql"),
    },
];

/// The newest schema version this build knows.
pub fn latest_version() -> i64 {
    MIGRATIONS.last().map_or(0, |m| m.version)
}

const CREATE_TRACKING: &str = "CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INTEGER PRIMARY KEY NOT NULL,
    applied_at INTEGER NOT NULL,
    name       TEXT NOT NULL
)";

/// The highest applied version (0 for a fresh database).
pub fn current_version(conn: &Connection) -> StoreResult<i64> {
    conn.query_row(
        "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
        [],
        |r| r.get(0),
    )
    .ctx("read schema_migrations")
}

/// Brings the schema up to `latest_version()`. Each step runs in an IMMEDIATE transaction that
/// re-reads the version first, so two processes opening a fresh file cannot both apply it.
///
/// `applied_at` comes from SQLite's clock: it is audit metadata only and never reaches the
/// engine, so it does not break the no-wall-clock rule's purpose (reproducible runs).
pub fn migrate(conn: &mut Connection) -> StoreResult<()> {
    conn.execute_batch(CREATE_TRACKING)
        .ctx("create schema_migrations")?;
    let known = latest_version();
    let found = current_version(conn)?;
    if found > known {
        return Err(StoreError::SchemaTooNew { found, known });
    }
    for m in MIGRATIONS {
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .ctx("begin migration")?;
        let applied: Option<String> = tx
            .query_row(
                "SELECT name FROM schema_migrations WHERE version = ?1",
                [m.version],
                |r| r.get(0),
            )
            .optional()
            .ctx("read schema_migrations")?;
        match applied {
            Some(name) if name == m.name => continue,
            Some(name) => {
                return Err(StoreError::Corrupt {
                    table: "schema_migrations",
                    column: "name",
                    value: name,
                    expected: m.name,
                })
            }
            None => {}
        }
        tx.execute_batch(m.sql).ctx("apply migration")?;
        tx.execute(
            "INSERT INTO schema_migrations (version, applied_at, name)
             VALUES (?1, CAST(unixepoch('subsec') * 1000 AS INTEGER) * 1000000, ?2)",
            rusqlite::params![m.version, m.name],
        )
        .ctx("record migration")?;
        tx.commit().ctx("commit migration")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_consecutive_from_one() {
        for (i, m) in MIGRATIONS.iter().enumerate() {
            assert_eq!(m.version, i as i64 + 1, "migration {}", m.name);
        }
    }
}
