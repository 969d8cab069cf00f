//! The SQLite store keeps the applied configurations: a reload through the manager is recorded
//! there, a bad edit is not, and the store's history survives reopening the database.

use optifire_core::bus::Bus;
use optifire_core::clock::SimulatedClock;
use optifire_core::config::{ApplyOutcome, ConfigHistory, ConfigManager, ConfigSet, KnownPlugins};
use optifire_core::plugin::catalogue;
use optifire_core::store::SqliteStore;
use optifire_core::Timestamp;
use std::sync::Arc;

#[test]
fn versions_are_kept_in_the_store_and_bad_edits_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("optifire.db");
    let catalog = Arc::new(KnownPlugins::new(catalogue::default_enabled_now()));
    let initial = ConfigSet::embedded(catalog.as_ref()).unwrap();
    let (config_text, features_text) = ConfigSet::embedded_texts();
    let store = Arc::new(SqliteStore::open(&db).unwrap());
    let clock = SimulatedClock::new(Timestamp::from_secs(1_764_000_000));
    let mgr = ConfigManager::new(
        initial,
        catalog,
        store.clone(),
        Arc::new(clock.clone()),
        Bus::new(16),
    )
    .unwrap();
    assert_eq!(
        store.list(10).unwrap().len(),
        1,
        "the initial config is version 1"
    );

    clock.advance_secs(60);
    let edited = config_text.replacen("max_drawdown: 0.08", "max_drawdown: 0.07", 1);
    assert_ne!(edited, config_text, "fixture edit must apply");
    let out = mgr.apply_texts(&edited, features_text, "test").unwrap();
    assert!(matches!(out, ApplyOutcome::Applied { .. }), "{out:?}");
    assert_eq!(mgr.current().config.risk.max_drawdown, 0.07);

    let bad = config_text.replacen("max_drawdown: 0.08", "max_drawdown: [1]", 1);
    assert!(mgr.apply_texts(&bad, features_text, "test").is_err());
    assert_eq!(
        mgr.current().config.risk.max_drawdown,
        0.07,
        "running config kept"
    );

    drop(mgr);
    drop(store);
    let reopened = SqliteStore::open(&db).unwrap();
    let versions = reopened.list(10).unwrap();
    assert_eq!(versions.len(), 2, "the bad edit was not recorded");
    assert!(versions[0].config_text.contains("max_drawdown: 0.07"));
    assert_eq!(versions[0].ts, Timestamp::from_secs(1_764_000_060));
}
