//! Cursor paging of the event log and pruning of configuration history.

use optifire_core::event::{Event, Severity};
use optifire_core::store::{SqliteStore, Store};
use optifire_core::Timestamp;

fn health(i: i64) -> Event {
    Event::Health {
        ts: Timestamp(i),
        source: "test".into(),
        severity: Severity::Info,
        message: format!("event {i}"),
    }
}

#[test]
fn events_page_by_id_without_gaps_or_repeats() {
    let s = SqliteStore::open_in_memory().unwrap();
    let mut ids = Vec::new();
    for i in 0..25 {
        ids.push(s.append_event(Timestamp(i), &health(i)).unwrap());
    }
    assert!(ids.windows(2).all(|w| w[0] < w[1]));

    let mut seen = Vec::new();
    let mut cursor = 0;
    let mut sizes = Vec::new();
    loop {
        let page = s.events_after(cursor, 10).unwrap();
        if page.is_empty() {
            break;
        }
        sizes.push(page.len());
        cursor = page.last().unwrap().0;
        seen.extend(page);
    }
    assert_eq!(sizes, vec![10, 10, 5]);
    let seen_ids: Vec<i64> = seen.iter().map(|(id, _)| *id).collect();
    assert_eq!(seen_ids, ids);
    let expected: Vec<Event> = (0..25).map(health).collect();
    let got: Vec<Event> = seen.into_iter().map(|(_, e)| e).collect();
    assert_eq!(got, expected);
    // A cursor in the middle resumes right after it.
    let after = s.events_after(ids[19], 100).unwrap();
    assert_eq!(after.len(), 5);
    assert_eq!(after[0].0, ids[20]);
}

#[test]
fn config_prune_keeps_the_newest_n_and_never_reuses_numbers() {
    let s = SqliteStore::open_in_memory().unwrap();
    let mut versions = Vec::new();
    for i in 1..=5 {
        versions.push(
            s.save_config_version(
                Timestamp(i),
                &format!("config {i}"),
                &format!("features {i}"),
                &format!("change {i}"),
            )
            .unwrap(),
        );
    }
    assert_eq!(versions, vec![1, 2, 3, 4, 5]);
    let v3 = s.config_version(3).unwrap().unwrap();
    assert_eq!(v3.config_text, "config 3");
    assert_eq!(v3.features_text, "features 3");
    assert_eq!(v3.summary, "change 3");
    assert_eq!(v3.ts, Timestamp(3));

    assert_eq!(s.prune_config_versions(2).unwrap(), 3);
    let left: Vec<i64> = s
        .config_versions(10)
        .unwrap()
        .iter()
        .map(|v| v.version)
        .collect();
    assert_eq!(left, vec![5, 4]);
    assert_eq!(s.config_version(3).unwrap(), None);
    assert_eq!(s.prune_config_versions(2).unwrap(), 0);

    // The next version continues after the highest ever given out.
    assert_eq!(
        s.save_config_version(Timestamp(6), "c", "f", "s").unwrap(),
        6
    );
    assert_eq!(s.config_versions(1).unwrap()[0].version, 6);
    assert_eq!(s.prune_config_versions(0).unwrap(), 3);
    assert!(s.config_versions(10).unwrap().is_empty());
}

#[test]
fn event_retention_keeps_later_events_and_cursors() {
    let s = SqliteStore::open_in_memory().unwrap();
    let ids: Vec<i64> = (0..10)
        .map(|i| s.append_event(Timestamp(i * 100), &health(i)).unwrap())
        .collect();
    // Events at ts 0..=300 are older than 400.
    assert_eq!(s.prune_events(Timestamp(400)).unwrap(), 4);
    let left = s.events_after(0, 100).unwrap();
    assert_eq!(left.len(), 6);
    assert_eq!(left[0], (ids[4], health(4)));
    // A cursor pointing into the pruned range still pages on from the first survivor.
    assert_eq!(s.events_after(ids[1], 1).unwrap()[0].0, ids[4]);
    // A new event never reuses a pruned id.
    assert!(s.append_event(Timestamp(2000), &health(99)).unwrap() > ids[9]);
}

#[test]
fn plugin_run_retention_deletes_only_older_runs() {
    use optifire_core::event::{PluginRunRecord, RunStatus};
    let s = SqliteStore::open_in_memory().unwrap();
    let run = |t: i64| PluginRunRecord {
        plugin_id: "fe_kalman".into(),
        started_at: Timestamp(t),
        cpu_ms: 1.0,
        wall_ms: 1.0,
        mem_bytes: None,
        status: RunStatus::Ok,
        outputs: 1,
        message: None,
        over_budget: false,
    };
    for t in [10, 20, 30] {
        s.record_plugin_run(&run(t)).unwrap();
    }
    assert_eq!(s.prune_plugin_runs(Timestamp(20)).unwrap(), 1);
    assert_eq!(s.plugin_runs(None, 10).unwrap(), vec![run(30), run(20)]);
}
