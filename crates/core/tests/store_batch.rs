//! Write batches: what another connection sees of a batch and when, that a durable journal row
//! never waits for the batch's commit, and that a refused write inside a batch leaves the rest
//! of the batch intact.

mod store_support;

use optifire_core::domain::{EquityPoint, Money};
use optifire_core::store::{JournalAction, SqliteStore, Store, StoreError};
use optifire_core::Timestamp;
use rust_decimal_macros::dec;
use store_support::request;

fn point(ts: i64, equity: Money) -> EquityPoint {
    EquityPoint {
        ts: Timestamp(ts),
        equity,
        cash: equity,
        gross_exposure: Money::ZERO,
    }
}

#[test]
fn a_batch_is_seen_by_other_readers_at_its_commit_and_journal_rows_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("batch.db");
    let engine = SqliteStore::open(&path).unwrap();
    let reader = SqliteStore::open(&path).unwrap();

    engine.begin_batch().unwrap();
    engine.insert_equity(&point(1, Money(dec!(100)))).unwrap();
    // The writer reads its own batch; another connection does not see it yet.
    assert_eq!(
        engine.equity(Timestamp::MIN, Timestamp::MAX).unwrap().len(),
        1
    );
    assert!(reader
        .equity(Timestamp::MIN, Timestamp::MAX)
        .unwrap()
        .is_empty());

    // The journal intent is durable when `journal_intent` returns, batch or not: the reader
    // (standing in for the process after a crash) sees it, with the batch written before it.
    let req = request("b-1", 2);
    engine.journal_intent(&req).unwrap();
    let journal = reader.journal(&req.client_order_id).unwrap();
    assert_eq!(journal.len(), 1);
    assert_eq!(journal[0].action, JournalAction::Intent);
    assert_eq!(
        reader.equity(Timestamp::MIN, Timestamp::MAX).unwrap().len(),
        1
    );

    // The batch goes on after the durable write, and its later writes wait for the commit.
    engine.insert_equity(&point(3, Money(dec!(101)))).unwrap();
    assert_eq!(
        reader.equity(Timestamp::MIN, Timestamp::MAX).unwrap().len(),
        1
    );
    engine.commit_batch().unwrap();
    let seen = reader.equity(Timestamp::MIN, Timestamp::MAX).unwrap();
    assert_eq!(
        seen,
        vec![point(1, Money(dec!(100))), point(3, Money(dec!(101)))]
    );

    // Committing without a batch is a no-op; a batch does not nest.
    engine.commit_batch().unwrap();
    engine.begin_batch().unwrap();
    assert!(matches!(
        engine.begin_batch(),
        Err(StoreError::Sqlite { .. })
    ));
    engine.commit_batch().unwrap();
}

#[test]
fn a_refused_write_inside_a_batch_leaves_the_batch_and_itself_consistent() {
    let s = SqliteStore::open_in_memory().unwrap();
    s.begin_batch().unwrap();
    s.insert_equity(&point(1, Money(dec!(5)))).unwrap();
    let req = request("dup", 1);
    s.journal_intent(&req).unwrap();
    // A second intent for the same id is refused and adds no journal row.
    assert!(matches!(
        s.journal_intent(&req),
        Err(StoreError::DuplicateOrder(_))
    ));
    s.commit_batch().unwrap();
    assert_eq!(s.journal(&req.client_order_id).unwrap().len(), 1);
    assert_eq!(s.equity(Timestamp::MIN, Timestamp::MAX).unwrap().len(), 1);
    assert_eq!(s.orders(None, 10).unwrap().len(), 1);
}

/// A temporary store keeps every row even when they far outgrow its page cache (64 KiB here,
/// against 10,000 equity rows of about 40 bytes), and reads them back exactly, batched or not.
#[test]
fn a_temporary_store_keeps_more_than_its_cache() {
    let s = SqliteStore::open_temporary(64).unwrap();
    assert_eq!(s.path(), None);
    let points: Vec<EquityPoint> = (0..10_000)
        .map(|i| point(i, Money(rust_decimal::Decimal::new(1_000_000 + i, 2))))
        .collect();
    s.begin_batch().unwrap();
    for p in &points[..5_000] {
        s.insert_equity(p).unwrap();
    }
    s.commit_batch().unwrap();
    for p in &points[5_000..] {
        s.insert_equity(p).unwrap();
    }
    assert_eq!(s.equity(Timestamp::MIN, Timestamp::MAX).unwrap(), points);
}
