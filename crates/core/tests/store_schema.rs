//! The SQLite store's file-level guarantees: migrations, WAL, refusing newer schemas, and an
//! order intent that is committed (visible to another connection) when `journal_intent` returns.

use optifire_core::domain::{ClientOrderId, OrderRequest, OrderType, Price, Side, TimeInForce};
use optifire_core::store::{JournalAction, SqliteStore, Store, StoreError, MIGRATIONS};
use optifire_core::Timestamp;
use rusqlite::Connection;
use rust_decimal_macros::dec;

fn request(id: &str) -> OrderRequest {
    OrderRequest {
        client_order_id: ClientOrderId(id.into()),
        symbol: "SPY".into(),
        side: Side::Buy,
        qty: optifire_core::domain::Quantity(dec!(12.5)),
        order_type: OrderType::Limit {
            limit: Price(dec!(401.07)),
        },
        tif: TimeInForce::Day,
        created_at: Timestamp(1_719_840_600_000_000_000),
    }
}

#[test]
fn migrations_apply_once_and_reopen_is_idempotent() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested/folder/optifire.db");
    let latest = MIGRATIONS.last().unwrap().version;
    {
        let s = SqliteStore::open(&path).unwrap();
        assert_eq!(s.schema_version().unwrap(), latest);
        s.save_config_version(Timestamp(1), "a: 1", "f: 2", "first")
            .unwrap();
    }
    let s = SqliteStore::open(&path).unwrap();
    assert_eq!(s.schema_version().unwrap(), latest);
    // Data survives the re-open, and no migration ran twice.
    assert_eq!(s.config_versions(10).unwrap().len(), 1);
    drop(s);
    let raw = Connection::open(&path).unwrap();
    let rows: i64 = raw
        .query_row("SELECT COUNT(*) FROM schema_migrations", [], |r| r.get(0))
        .unwrap();
    assert_eq!(rows, MIGRATIONS.len() as i64);
    let name: String = raw
        .query_row(
            "SELECT name FROM schema_migrations WHERE version = 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(name, "initial");
    for table in [
        "bars",
        "features",
        "signals",
        "plugin_outputs",
        "orders",
        "order_journal",
        "fills",
        "positions",
        "equity",
        "plugin_runs",
        "plugin_state",
        "events",
        "config_versions",
    ] {
        let n: i64 = raw
            .query_row(
                "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = ?1",
                [table],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(n, 1, "table {table} missing");
    }
}

#[test]
fn file_database_is_in_wal_mode_with_foreign_keys() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("wal.db");
    let s = SqliteStore::open(&path).unwrap();
    // journal_mode=WAL is stored in the file, so a fresh connection sees it.
    let raw = Connection::open(&path).unwrap();
    let mode: String = raw
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    // Foreign keys are on in the store's connection: a journal row for an unknown order fails.
    let err = s
        .journal_append(
            Timestamp(5),
            &ClientOrderId("nope".into()),
            JournalAction::Ack,
            &serde_json::json!({}),
        )
        .unwrap_err();
    assert!(matches!(err, StoreError::Sqlite { .. }), "{err}");
}

#[test]
fn a_database_from_a_newer_build_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("newer.db");
    drop(SqliteStore::open(&path).unwrap());
    let raw = Connection::open(&path).unwrap();
    raw.execute(
        "INSERT INTO schema_migrations (version, applied_at, name) VALUES (999, 0, 'future')",
        [],
    )
    .unwrap();
    drop(raw);
    let known = MIGRATIONS.last().unwrap().version;
    match SqliteStore::open(&path) {
        Err(StoreError::SchemaTooNew { found, known: k }) => {
            assert_eq!(found, 999);
            assert_eq!(k, known);
        }
        other => panic!("expected SchemaTooNew, got {other:?}"),
    }
}

#[test]
fn journaled_intent_is_committed_when_journal_intent_returns() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.db");
    let store = SqliteStore::open(&path).unwrap();
    let req = request("ofi-20240701-SPY-1");
    store.journal_intent(&req).unwrap();

    // A second, independent connection to the same file sees the order and its intent.
    let raw = Connection::open(&path).unwrap();
    let (status, qty, order_type): (String, String, String) = raw
        .query_row(
            "SELECT status, qty, order_type FROM orders WHERE client_order_id = ?1",
            [&req.client_order_id.0],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert_eq!(status, "pending_new");
    assert_eq!(qty, "12.5");
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&order_type).unwrap(),
        serde_json::json!({"type": "limit", "limit": "401.07"})
    );
    let (action, ts): (String, i64) = raw
        .query_row(
            "SELECT action, ts FROM order_journal WHERE client_order_id = ?1",
            [&req.client_order_id.0],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(action, "intent");
    assert_eq!(ts, 1_719_840_600_000_000_000);

    // So does a second store, through the trait.
    let other = SqliteStore::open(&path).unwrap();
    let entries = other.journal(&req.client_order_id).unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].action, JournalAction::Intent);
    let back: OrderRequest = serde_json::from_value(entries[0].payload.clone()).unwrap();
    assert_eq!(back, req);
}

#[test]
fn a_second_intent_for_the_same_id_is_refused_and_changes_nothing() {
    let store = SqliteStore::open_in_memory().unwrap();
    let req = request("dup-1");
    store.journal_intent(&req).unwrap();
    let mut again = req.clone();
    again.qty = optifire_core::domain::Quantity(dec!(99));
    match store.journal_intent(&again) {
        Err(StoreError::DuplicateOrder(id)) => assert_eq!(id, req.client_order_id),
        other => panic!("expected DuplicateOrder, got {other:?}"),
    }
    let stored = store.order(&req.client_order_id).unwrap().unwrap();
    assert_eq!(stored.request.qty.0, dec!(12.5));
    assert_eq!(store.journal(&req.client_order_id).unwrap().len(), 1);
}

#[test]
fn the_order_journal_is_append_only() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("append.db");
    let store = SqliteStore::open(&path).unwrap();
    store.journal_intent(&request("a-1")).unwrap();
    let raw = Connection::open(&path).unwrap();
    assert!(raw
        .execute("UPDATE order_journal SET action = 'fill'", [])
        .is_err());
    assert!(raw.execute("DELETE FROM order_journal", []).is_err());
    assert_eq!(
        store.journal(&ClientOrderId("a-1".into())).unwrap().len(),
        1
    );
}

const CRASH_DB_ENV: &str = "OPTIFIRE_STORE_CRASH_DB";

/// Helper run in a child process by `journaled_intent_survives_a_process_crash`: journals an
/// order and aborts without closing the database. Ignored so it never runs on its own.
#[test]
#[ignore = "child process of journaled_intent_survives_a_process_crash"]
fn crash_child_journals_then_aborts() {
    let path = std::env::var(CRASH_DB_ENV).expect("run by the crash test");
    let store = SqliteStore::open(path).unwrap();
    let req = request("crash-1");
    store.journal_intent(&req).unwrap();
    store
        .journal_append(
            Timestamp(req.created_at.0 + 1),
            &req.client_order_id,
            JournalAction::Submitted,
            &serde_json::json!({"attempt": 1}),
        )
        .unwrap();
    std::process::abort();
}

#[test]
fn journaled_intent_survives_a_process_crash() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("crash.db");
    let status = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--ignored",
            "--exact",
            "crash_child_journals_then_aborts",
            "--test-threads=1",
        ])
        .env(CRASH_DB_ENV, &path)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(!status.success(), "the child must have aborted");
    // The child never closed the database, so its commits live only in the WAL.
    let mut wal = path.clone().into_os_string();
    wal.push("-wal");
    assert!(std::path::Path::new(&wal).exists());

    let store = SqliteStore::open(&path).unwrap();
    let id = ClientOrderId("crash-1".into());
    let actions: Vec<JournalAction> = store
        .journal(&id)
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert_eq!(
        actions,
        vec![JournalAction::Intent, JournalAction::Submitted]
    );
    let order = store.order(&id).unwrap().unwrap();
    assert_eq!(order.status, optifire_core::domain::OrderStatus::PendingNew);
    assert_eq!(store.open_orders().unwrap(), vec![order]);
}
