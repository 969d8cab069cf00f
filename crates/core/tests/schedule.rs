//! Schedules and the scheduler against hand-computed fire times.
//!
//! Expected instants are worked out by hand from the NYSE session hours (09:30-16:00 New York,
//! 13:00 early closes per the published 2026 calendar) and the US DST rule (Energy Policy Act
//! 2005: second Sunday of March to first Sunday of November; in 2026 8 March and 1 November).

use chrono::{TimeZone, Utc};
use optifire_core::calendar::NyseCalendar;
use optifire_core::schedule::{DueRun, MisfireReason, Schedule, ScheduleError, Scheduler};
use optifire_core::Timestamp;

fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> Timestamp {
    Timestamp::from(Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap())
}

fn s(text: &str) -> Schedule {
    text.parse().unwrap()
}

#[test]
fn parses_every_kind_and_round_trips() {
    assert_eq!(s("@open"), Schedule::Open);
    assert_eq!(s(" @close "), Schedule::Close);
    assert_eq!(s("@idle"), Schedule::Idle);
    assert_eq!(s("interval_1m"), Schedule::Interval { minutes: 1 });
    assert_eq!(s("interval_5m"), Schedule::Interval { minutes: 5 });
    assert_eq!(s("interval_15m"), Schedule::Interval { minutes: 15 });
    assert_eq!(s("interval_1h"), Schedule::Interval { minutes: 60 });
    assert!(matches!(s("0 9 * * 1-5"), Schedule::Cron(_)));
    for text in [
        "@open",
        "@close",
        "@idle",
        "interval_15m",
        "interval_1h",
        "*/5 9-16 * * MON-FRI",
    ] {
        assert_eq!(s(text).to_string(), text);
    }
    let json = serde_json::to_string(&s("30 15 * * 1-5")).unwrap();
    assert_eq!(json, "\"30 15 * * 1-5\"");
    let back: Schedule = serde_json::from_str("\"@close\"").unwrap();
    assert_eq!(back, Schedule::Close);
}

#[test]
fn parse_errors_name_the_bad_text() {
    for bad in [
        "@daily",
        "interval_2m",
        "* * * *",
        "0 0 * * * *",
        "61 * * * *",
        "",
        "bogus",
        "0 0 30 2 *",
    ] {
        let err = bad.parse::<Schedule>().unwrap_err();
        assert!(matches!(err, ScheduleError::Parse { .. }), "{bad}: {err:?}");
        assert!(err.to_string().contains(&format!("`{bad}`")), "{err}");
    }
    let err = "* * * *".parse::<Schedule>().unwrap_err().to_string();
    assert!(err.contains("5 fields"), "{err}");
    assert!(serde_json::from_str::<Schedule>("\"@sometimes\"").is_err());
    let err = "0 0 31 4 *".parse::<Schedule>().unwrap_err().to_string();
    assert!(err.contains("never matches"), "{err}");
    // 29 February exists in leap years, so it is a valid (rare) schedule.
    assert!("0 0 29 2 *".parse::<Schedule>().is_ok());
}

#[test]
fn open_fires_at_0930_new_york_across_spring_dst() {
    let cal = NyseCalendar::new();
    let got = s("@open").fire_times(&cal, utc(2026, 3, 5, 0, 0), utc(2026, 3, 10, 0, 0));
    // Thu 5 and Fri 6 March at 14:30 UTC (EST); Mon 9 March at 13:30 UTC (EDT).
    assert_eq!(
        got,
        vec![
            utc(2026, 3, 5, 14, 30),
            utc(2026, 3, 6, 14, 30),
            utc(2026, 3, 9, 13, 30)
        ]
    );
    // The window is (after, until]: an open exactly at `after` is excluded, at `until` included.
    let got = s("@open").fire_times(&cal, utc(2026, 3, 5, 14, 30), utc(2026, 3, 6, 14, 30));
    assert_eq!(got, vec![utc(2026, 3, 6, 14, 30)]);
}

#[test]
fn close_respects_holidays_and_early_closes() {
    let cal = NyseCalendar::new();
    let got = s("@close").fire_times(&cal, utc(2026, 11, 25, 0, 0), utc(2026, 12, 1, 0, 0));
    // Wed 25 Nov 16:00 EST; Thanksgiving closed; Fri 27 Nov early close 13:00 EST; Mon 30 Nov.
    assert_eq!(
        got,
        vec![
            utc(2026, 11, 25, 21, 0),
            utc(2026, 11, 27, 18, 0),
            utc(2026, 11, 30, 21, 0)
        ]
    );
}

#[test]
fn idle_fires_hourly_outside_the_session() {
    let cal = NyseCalendar::new();
    // Tue 24 Nov 2026, session 14:30-21:00 UTC. Hours 15..=20 UTC are inside it; the other
    // 18 of the 24 hourly instants in (00:00, 24:00] are idle (21:00, the close, counts idle).
    let got = s("@idle").fire_times(&cal, utc(2026, 11, 24, 0, 0), utc(2026, 11, 25, 0, 0));
    assert_eq!(got.len(), 18);
    assert!(got.contains(&utc(2026, 11, 24, 14, 0)));
    assert!(!got.contains(&utc(2026, 11, 24, 15, 0)));
    assert!(!got.contains(&utc(2026, 11, 24, 20, 0)));
    assert!(got.contains(&utc(2026, 11, 24, 21, 0)));
    // Thanksgiving: closed all day, 24 idle hours.
    let got = s("@idle").fire_times(&cal, utc(2026, 11, 26, 0, 0), utc(2026, 11, 27, 0, 0));
    assert_eq!(got.len(), 24);
    // Early close Fri 27 Nov: session 14:30-18:00 UTC, open hours 15, 16, 17 -> 21 idle.
    let got = s("@idle").fire_times(&cal, utc(2026, 11, 27, 0, 0), utc(2026, 11, 28, 0, 0));
    assert_eq!(got.len(), 21);
    assert_eq!(
        s("@idle").next_after(&cal, utc(2026, 11, 24, 14, 45)),
        Some(utc(2026, 11, 24, 21, 0))
    );
}

#[test]
fn intervals_are_epoch_aligned() {
    let cal = NyseCalendar::new();
    let t = |h, m| utc(2026, 11, 28, h, m);
    assert_eq!(
        s("interval_15m").fire_times(&cal, t(10, 7), t(11, 0)),
        vec![t(10, 15), t(10, 30), t(10, 45), t(11, 0)]
    );
    assert_eq!(s("interval_1h").next_after(&cal, t(10, 0)), Some(t(11, 0)));
    assert_eq!(
        s("interval_1m").next_after(&cal, t(10, 0).plus_nanos(1)),
        Some(t(10, 1))
    );
    // 24 * 60 / 5 = 288 five-minute marks in one day.
    let day = s("interval_5m").fire_times(&cal, t(0, 0), t(0, 0).plus_secs(86_400));
    assert_eq!(day.len(), 288);
    let summary = s("interval_5m").fire_summary(&cal, t(0, 0), t(0, 0).plus_secs(86_400));
    assert_eq!(summary.count, 288);
    assert_eq!(summary.last, Some(t(0, 0).plus_secs(86_400)));
}

#[test]
fn cron_is_new_york_time_across_dst() {
    let cal = NyseCalendar::new();
    // 09:00 New York on weekdays: 14:00 UTC before 8 March 2026, 13:00 UTC after.
    let got = s("0 9 * * 1-5").fire_times(&cal, utc(2026, 3, 5, 0, 0), utc(2026, 3, 10, 0, 0));
    assert_eq!(
        got,
        vec![
            utc(2026, 3, 5, 14, 0),
            utc(2026, 3, 6, 14, 0),
            utc(2026, 3, 9, 13, 0)
        ]
    );
    // And back on 1 November 2026: Fri 30 Oct 13:00 UTC, Mon 2 Nov 14:00 UTC.
    let got = s("0 9 * * 1-5").fire_times(&cal, utc(2026, 10, 30, 0, 0), utc(2026, 11, 3, 0, 0));
    assert_eq!(got, vec![utc(2026, 10, 30, 13, 0), utc(2026, 11, 2, 14, 0)]);
}

#[test]
fn cron_in_the_dst_gap_and_fold() {
    let cal = NyseCalendar::new();
    // 02:30 does not exist on 8 March 2026 in New York (02:00 EST -> 03:00 EDT): Vixie cron
    // runs a skipped fixed time at the first instant after the gap, 03:00 EDT = 07:00 UTC.
    let got = s("30 2 * * *").fire_times(&cal, utc(2026, 3, 7, 12, 0), utc(2026, 3, 9, 12, 0));
    assert_eq!(got, vec![utc(2026, 3, 8, 7, 0), utc(2026, 3, 9, 6, 30)]);
    // 01:30 happens twice on 1 November 2026 (EDT 05:30 UTC, EST 06:30 UTC): a fixed-time job
    // runs once, at the first.
    let got = s("30 1 * * *").fire_times(&cal, utc(2026, 10, 31, 12, 0), utc(2026, 11, 2, 12, 0));
    assert_eq!(got, vec![utc(2026, 11, 1, 5, 30), utc(2026, 11, 2, 6, 30)]);
    // A stepped minute field runs at every real instant of the repeated hour.
    let got = s("*/30 1 * * *").fire_times(&cal, utc(2026, 11, 1, 4, 0), utc(2026, 11, 1, 8, 0));
    assert_eq!(
        got,
        vec![
            utc(2026, 11, 1, 5, 0),
            utc(2026, 11, 1, 5, 30),
            utc(2026, 11, 1, 6, 0),
            utc(2026, 11, 1, 6, 30)
        ]
    );
}

#[test]
fn next_after_open_and_close_skip_closed_days() {
    let cal = NyseCalendar::new();
    // After the 27 Nov 2026 early close, the next open is Mon 30 Nov 09:30 EST.
    assert_eq!(
        s("@open").next_after(&cal, utc(2026, 11, 27, 18, 0)),
        Some(utc(2026, 11, 30, 14, 30))
    );
    // Just before the Christmas Eve early close, the next close is today at 13:00 EST.
    assert_eq!(
        s("@close").next_after(&cal, utc(2026, 12, 24, 17, 0)),
        Some(utc(2026, 12, 24, 18, 0))
    );
}

fn ids(runs: &[DueRun]) -> Vec<&str> {
    runs.iter().map(|r| r.id.as_str()).collect()
}

#[test]
fn coalesces_and_counts_missed_and_late() {
    let mut sch = Scheduler::default();
    sch.add("fe_fast", s("interval_5m"), vec![]).unwrap();
    // A 20-minute gap between ticks: 10:05, 10:10, 10:15, 10:20 fall in (10:00, 10:20].
    let due = sch.due(utc(2026, 11, 28, 10, 0), utc(2026, 11, 28, 10, 20));
    assert_eq!(
        due,
        vec![DueRun {
            id: "fe_fast".into(),
            fire_time: utc(2026, 11, 28, 10, 20),
            missed: 3
        }]
    );
    let m = sch.take_misfires();
    assert_eq!(m.len(), 1);
    assert_eq!(m[0].reason, MisfireReason::Coalesced { missed: 3 });
    assert!(sch.misfires().is_empty());
    // Nothing new in (10:20, 10:24].
    assert!(sch
        .due(utc(2026, 11, 28, 10, 20), utc(2026, 11, 28, 10, 24))
        .is_empty());

    // @open on Tue 24 Nov 2026 fires at 14:30 UTC; the tick arrives at 14:35, 300 s late.
    sch.add("open_job", s("@open"), vec![]).unwrap();
    let due = sch.due(utc(2026, 11, 24, 14, 29), utc(2026, 11, 24, 14, 35));
    assert!(ids(&due).contains(&"open_job"));
    let late: Vec<_> = sch
        .take_misfires()
        .into_iter()
        .filter(|m| m.id == "open_job")
        .collect();
    assert_eq!(late.len(), 1);
    assert_eq!(late[0].reason, MisfireReason::Late { by_secs: 300.0 });
    // Within the 60 s grace: no misfire.
    sch.due(
        utc(2026, 11, 25, 14, 29),
        utc(2026, 11, 25, 14, 30).plus_secs(60),
    );
    assert!(sch.take_misfires().iter().all(|m| m.id != "open_job"));

    // Daily-bar backtests switch coalescing/lateness records off; runs are still coalesced.
    sch.set_record_misfires(false);
    let due = sch.due(utc(2026, 11, 28, 0, 0), utc(2026, 11, 29, 0, 0));
    assert_eq!(due[0].missed, 287);
    assert!(sch.misfires().is_empty());
}

#[test]
fn a_running_job_is_not_due_and_records_overlap() {
    let mut sch = Scheduler::default();
    sch.add("slow", s("interval_1m"), vec![]).unwrap();
    sch.mark_running("slow").unwrap();
    assert!(sch.is_running("slow"));
    let due = sch.due(utc(2026, 11, 28, 10, 0), utc(2026, 11, 28, 10, 1));
    assert!(due.is_empty());
    assert_eq!(sch.misfires().len(), 1);
    assert_eq!(sch.misfires()[0].reason, MisfireReason::Overlap);
    assert_eq!(sch.misfires()[0].fire_time, utc(2026, 11, 28, 10, 1));
    sch.mark_finished("slow").unwrap();
    let due = sch.due(utc(2026, 11, 28, 10, 1), utc(2026, 11, 28, 10, 2));
    assert_eq!(ids(&due), vec!["slow"]);
    assert!(matches!(
        sch.mark_running("nope"),
        Err(ScheduleError::UnknownJob { .. })
    ));
}

#[test]
fn due_runs_come_in_dependency_order() {
    let mut sch = Scheduler::default();
    // Added out of order, with a forward reference (risk_cap before alpha_x exists).
    sch.add("risk_cap", s("interval_1m"), vec!["alpha_x".into()])
        .unwrap();
    sch.add("alpha_x", s("interval_1m"), vec!["fe_rsi".into()])
        .unwrap();
    sch.add("fe_rsi", s("interval_1m"), vec![]).unwrap();
    sch.add("b_report", s("interval_1m"), vec![]).unwrap();
    sch.add("closer", s("@close"), vec![]).unwrap();
    sch.validate().unwrap();
    let due = sch.due(utc(2026, 11, 28, 10, 0), utc(2026, 11, 28, 10, 1));
    // Ready at first: b_report, fe_rsi (and closer, not due) -> by id; then alpha_x, risk_cap.
    assert_eq!(ids(&due), vec!["b_report", "fe_rsi", "alpha_x", "risk_cap"]);
    assert_eq!(
        sch.next_run("closer", utc(2026, 11, 28, 10, 0)),
        Some(utc(2026, 11, 30, 21, 0))
    );
    assert_eq!(sch.next_run("ghost", utc(2026, 11, 28, 10, 0)), None);
}

#[test]
fn cycles_and_unknown_dependencies_are_rejected() {
    let mut sch = Scheduler::default();
    sch.add("a", s("@open"), vec!["b".into()]).unwrap();
    sch.add("b", s("@open"), vec!["c".into()]).unwrap();
    let err = sch.add("c", s("@open"), vec!["a".into()]).unwrap_err();
    assert_eq!(
        err,
        ScheduleError::Cycle {
            cycle: vec!["a".into(), "b".into(), "c".into(), "a".into()]
        }
    );
    assert_eq!(err.to_string(), "dependency cycle: a -> b -> c -> a");
    // The rejected job was not added; "c" is still a dangling dependency of "b".
    assert!(sch.schedule("c").is_none());
    assert_eq!(
        sch.validate(),
        Err(ScheduleError::UnknownDependency {
            id: "b".into(),
            dependency: "c".into()
        })
    );
    assert!(matches!(
        sch.add("a", s("@close"), vec![]),
        Err(ScheduleError::DuplicateJob { .. })
    ));
    assert!(matches!(
        sch.add("self", s("@close"), vec!["self".into()]),
        Err(ScheduleError::Cycle { .. })
    ));
}
