//! Hot reload: good edits apply and are recorded, bad edits keep the running config and alert.

use optifire_core::bus::{Bus, Received, Subscription};
use optifire_core::clock::SimulatedClock;
use optifire_core::config::{
    load_dir, ApplyOutcome, ConfigHistory, ConfigManager, ConfigSet, KnownPlugins,
    MemoryConfigHistory,
};
use optifire_core::event::{Event, Severity};
use optifire_core::Timestamp;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn fixture(name: &str) -> String {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/config")
        .join(name);
    std::fs::read_to_string(p).unwrap()
}

fn config_text() -> String {
    ConfigSet::embedded_texts().0.to_string()
}

const T0: i64 = 1_764_000_000_000_000_000;

struct Setup {
    dir: tempfile::TempDir,
    mgr: Arc<ConfigManager>,
    history: Arc<MemoryConfigHistory>,
    clock: SimulatedClock,
    sub: Subscription,
}

fn setup(config: &str) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("config.yaml"), config).unwrap();
    std::fs::write(
        dir.path().join("features.yaml"),
        fixture("features_minimal.yaml"),
    )
    .unwrap();
    let catalog = Arc::new(KnownPlugins::new(["fe_kalman"]));
    let initial = load_dir(dir.path(), catalog.as_ref()).unwrap();
    let history = Arc::new(MemoryConfigHistory::new());
    let clock = SimulatedClock::new(Timestamp(T0));
    let bus = Bus::new(64);
    let sub = bus.subscribe();
    let mgr = ConfigManager::new(
        initial,
        catalog,
        history.clone(),
        Arc::new(clock.clone()),
        bus,
    )
    .unwrap();
    Setup {
        dir,
        mgr: Arc::new(mgr),
        history,
        clock,
        sub,
    }
}

fn drain(sub: &mut Subscription) -> Vec<Event> {
    let mut out = Vec::new();
    while let Some(Received::Event(e)) = sub.try_recv() {
        out.push((*e).clone());
    }
    out
}

/// Polls the bus until `pred` matches an event, at most `limit`.
fn wait_for(
    sub: &mut Subscription,
    limit: Duration,
    pred: impl Fn(&Event) -> bool,
) -> Option<Event> {
    let end = Instant::now() + limit;
    while Instant::now() < end {
        while let Some(r) = sub.try_recv() {
            if let Received::Event(e) = r {
                if pred(&e) {
                    return Some((*e).clone());
                }
            }
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    None
}

fn features(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("features.yaml")).unwrap()
}

#[test]
fn good_edit_applies_records_a_version_and_announces_it() {
    let mut s = setup(&config_text());
    assert_eq!(s.mgr.current_version(), 1);
    let initial = drain(&mut s.sub);
    assert!(matches!(
        &initial[..],
        [Event::ConfigChanged { version: 1, .. }]
    ));

    s.clock.advance_secs(60);
    let edited = config_text().replace("max_drawdown: 0.08", "max_drawdown: 0.07");
    let out = s
        .mgr
        .apply_texts(&edited, &features(s.dir.path()), "api")
        .unwrap();
    let ApplyOutcome::Applied { version, summary } = out else {
        panic!("{out:?}")
    };
    assert_eq!(version, 2);
    assert_eq!(summary, "api: risk.max_drawdown: 0.08 -> 0.07");
    assert_eq!(s.mgr.current().config.risk.max_drawdown, 0.07);
    assert_eq!(s.mgr.current_version(), 2);

    let v = s.history.get(2).unwrap().unwrap();
    assert_eq!(v.ts, Timestamp(T0 + 60_000_000_000));
    assert_eq!(v.config_text, edited);
    assert_eq!(v.summary, summary);
    let ev = drain(&mut s.sub);
    assert_eq!(
        ev,
        vec![Event::ConfigChanged {
            ts: Timestamp(T0 + 60_000_000_000),
            version: 2,
            summary
        }]
    );

    // The same texts again change nothing and record nothing.
    let again = s
        .mgr
        .apply_texts(&edited, &features(s.dir.path()), "api")
        .unwrap();
    assert_eq!(again, ApplyOutcome::Unchanged { version: 2 });
    assert_eq!(s.history.list(10).unwrap().len(), 2);
}

#[test]
fn bad_edit_is_rejected_and_the_running_config_stays() {
    let mut s = setup(&config_text());
    drain(&mut s.sub);
    let before = s.mgr.current();
    let err = s
        .mgr
        .apply_texts(&fixture("wrong_type.yaml"), &features(s.dir.path()), "api")
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "config.yaml:46:17: risk.max_drawdown: invalid type: string \"abc\", expected f64"
    );
    assert!(Arc::ptr_eq(&before, &s.mgr.current()));
    assert_eq!(s.mgr.current_version(), 1);
    assert_eq!(s.history.list(10).unwrap().len(), 1);
    assert!(drain(&mut s.sub).is_empty());
}

#[test]
fn history_is_pruned_to_config_history_keep() {
    let keep3 = config_text().replace("config_history_keep: 50", "config_history_keep: 3");
    let s = setup(&keep3);
    let f = features(s.dir.path());
    for i in 1..=5 {
        let t = keep3.replace("cooldown_hours: 24", &format!("cooldown_hours: {}", 24 + i));
        s.mgr.apply_texts(&t, &f, "test").unwrap();
    }
    let versions: Vec<i64> = s
        .history
        .list(100)
        .unwrap()
        .iter()
        .map(|v| v.version)
        .collect();
    assert_eq!(versions, vec![6, 5, 4]);
}

#[test]
fn rollback_reapplies_an_old_version_as_a_new_one() {
    let s = setup(&config_text());
    let f = features(s.dir.path());
    let edited = config_text().replace("port: 8080", "port: 9090");
    s.mgr.apply_texts(&edited, &f, "api").unwrap();
    assert_eq!(s.mgr.current().config.api.port, 9090);

    let out = s.mgr.rollback_to(1).unwrap();
    let ApplyOutcome::Applied { version, summary } = out else {
        panic!("{out:?}")
    };
    assert_eq!(version, 3);
    assert_eq!(summary, "rollback to v1: api.port: 9090 -> 8080");
    assert_eq!(s.mgr.current().config.api.port, 8080);

    let err = s.mgr.rollback_to(42).unwrap_err();
    assert!(err.to_string().contains("version 42 not found"), "{err}");
}

#[test]
fn reload_from_dir_alerts_on_a_bad_edit() {
    let mut s = setup(&config_text());
    drain(&mut s.sub);
    std::fs::write(
        s.dir.path().join("config.yaml"),
        fixture("unknown_key.yaml"),
    )
    .unwrap();
    assert!(s.mgr.reload_from_dir(s.dir.path()).is_err());
    let ev = drain(&mut s.sub);
    let [Event::Alert {
        severity, message, ..
    }] = &ev[..]
    else {
        panic!("{ev:?}")
    };
    assert_eq!(*severity, Severity::Critical);
    assert!(message.contains("still running version 1"), "{message}");
    assert!(
        message.contains(":42:3: risk.max_exposur_total"),
        "{message}"
    );
}

#[test]
fn watcher_keeps_the_running_config_on_a_bad_edit_and_applies_a_good_one() {
    let mut s = setup(&config_text());
    drain(&mut s.sub);
    let watcher = s.mgr.watch(s.dir.path()).unwrap();
    let limit = Duration::from_secs(10);

    // A bad edit: the alert says so and version 1 keeps running.
    std::fs::write(s.dir.path().join("config.yaml"), fixture("wrong_type.yaml")).unwrap();
    let alert = wait_for(&mut s.sub, limit, |e| matches!(e, Event::Alert { .. }))
        .expect("no alert for a bad edit within 10 s");
    let Event::Alert { message, .. } = alert else {
        unreachable!()
    };
    assert!(
        message.contains("risk.max_drawdown: invalid type"),
        "{message}"
    );
    assert_eq!(s.mgr.current_version(), 1);
    assert_eq!(s.mgr.current().config.risk.max_drawdown, 0.08);

    // A good edit: applied, announced and recorded.
    let good = config_text().replace("max_drawdown: 0.08", "max_drawdown: 0.06");
    std::fs::write(s.dir.path().join("config.yaml"), &good).unwrap();
    let changed = wait_for(&mut s.sub, limit, |e| {
        matches!(e, Event::ConfigChanged { .. })
    })
    .expect("no ConfigChanged for a good edit within 10 s");
    let Event::ConfigChanged {
        version, summary, ..
    } = changed
    else {
        unreachable!()
    };
    assert_eq!(version, 2);
    assert!(
        summary.ends_with("risk.max_drawdown: 0.08 -> 0.06"),
        "{summary}"
    );
    assert_eq!(s.mgr.current().config.risk.max_drawdown, 0.06);
    assert_eq!(s.history.get(2).unwrap().unwrap().config_text, good);
    watcher.stop();
}
