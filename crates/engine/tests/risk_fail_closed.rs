//! Regular trading hours and every fail-closed trigger: when an input cannot be trusted the
//! engine lets only risk-reducing changes through and names the input.

mod risk_support;

use optifire_core::domain::{EquityHistory, Side};
use optifire_engine::risk::RiskEngine;
use risk_support::*;

/// A fixture holding 50 AAPL at 100 (weight 0.05 of 100 000).
fn held() -> Fixture {
    let mut f = Fixture::new();
    f.trade("AAPL", 50, 100);
    f
}

fn rth_cfg() -> optifire_core::config::RiskConfig {
    let mut c = cfg();
    c.rth_only = true;
    c
}

#[test]
fn rth_only_holds_everything_on_saturday_and_in_the_evening() {
    let mut f = held();
    let mut e = RiskEngine::new(rth_cfg());
    for (now, label) in [
        (ny(2024, 3, 16, 11, 0), "Sat 2024-03-16 11:00"),
        (ny(2024, 3, 13, 20, 0), "Wed 2024-03-13 20:00"),
        (ny(2024, 3, 13, 16, 0), "Wed 2024-03-13 16:00"),
    ] {
        f.at(now);
        let out = e.apply_targets(&targets(&[("AAPL", 0.0), ("MSFT", 0.05)]), &f.inputs());
        assert!(out.targets.is_empty(), "{label}");
        assert_eq!(
            out.frozen.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
            ["AAPL", "MSFT"]
        );
        assert_eq!(out.decisions.len(), 1);
        assert_eq!(out.decisions[0].rule, "rth_only");
        assert!(
            out.decisions[0]
                .reason
                .contains(&format!("(New York {label})")),
            "{}",
            out.decisions[0].reason
        );
        let r = e
            .check_order(&f.order("AAPL", Side::Sell, 50), &f.inputs())
            .unwrap_err();
        assert_eq!(r.rule, "rth_only");
    }
    // 09:30 on a trading day is open (open inclusive): targets pass.
    f.at(ny(2024, 3, 13, 9, 30));
    let out = e.apply_targets(&targets(&[("AAPL", 0.0), ("MSFT", 0.05)]), &f.inputs());
    assert!(out.frozen.is_empty());
    assert!(close(get(&out.targets, "MSFT"), 0.05));
    assert_eq!(get(&out.targets, "AAPL"), 0.0);
}

/// Asserts the closed-gate pattern: AAPL (current 0.05) cannot grow to 0.08, MSFT (new) cannot
/// open, a reduction of AAPL to 0.02 passes, a flip passes only as a close; a manual buy is
/// refused naming the fault and a manual sell of what is held passes.
fn assert_closed(f: &Fixture, fault: &str) {
    let mut e = RiskEngine::new(cfg());
    let out = e.apply_targets(&targets(&[("AAPL", 0.08), ("MSFT", 0.05)]), &f.inputs());
    assert!(close(get(&out.targets, "AAPL"), 0.05), "{:?}", out);
    assert_eq!(get(&out.targets, "MSFT"), 0.0);
    assert!(
        out.decisions
            .iter()
            .any(|d| d.rule == "fail_closed" && !d.approved && d.reason.contains(fault)),
        "no decision naming `{fault}`: {:#?}",
        out.decisions
    );
    assert!(out.decisions.iter().any(|d| d.symbol == Some(sym("MSFT"))
        && d.reason
            .starts_with("MSFT target 0.0500 held to 0.0000 (current 0.0000)")));
    // MSFT stays requested so that a fault in its inputs still applies.
    let out = e.apply_targets(&targets(&[("AAPL", 0.02), ("MSFT", 0.05)]), &f.inputs());
    assert!(
        close(get(&out.targets, "AAPL"), 0.02),
        "risk-reducing passes: {out:?}"
    );
    assert_eq!(get(&out.targets, "MSFT"), 0.0);
    // Flips are not reducing: -0.02 becomes 0 (the closing part passes).
    let out = e.apply_targets(&targets(&[("AAPL", -0.02), ("MSFT", 0.05)]), &f.inputs());
    assert_eq!(get(&out.targets, "AAPL"), 0.0);
    // Manual orders: buying is refused, selling what is held passes.
    let r = e
        .check_order(&f.order("MSFT", Side::Buy, 10), &f.inputs())
        .unwrap_err();
    assert_eq!(r.rule, "fail_closed");
    assert!(r.reason.contains(fault), "{}", r.reason);
    assert!(e
        .check_order(&f.order("AAPL", Side::Sell, 30), &f.inputs())
        .is_ok());
}

#[test]
fn stale_mark_closes_the_gate() {
    let mut f = held();
    // 93 601 s old, limit 93 600 s.
    f.marks.get_mut(&sym("AAPL")).unwrap().ts = f.now.plus_secs(-93_601);
    assert_closed(&f, "mark for AAPL is stale: 93601 s old (limit 93600 s)");
}

/// A closed market cannot print a newer price, so days NYSE does not trade do not age an
/// equity's mark. Hand-worked, limit 93,600 s (26 h):
/// - Friday 2024-03-15 16:00 close, seen Sunday 20:00: 52 h of wall time, of which only Friday 16:00-24:00 (8 h = 28,800 s) is on a trading day: fresh.
/// - the same mark on Tuesday 17:00 (no Monday bar arrived): 8 h + Monday's 24 h + 17 h =
///   49 h = 176,400 s on trading days: stale.
/// - Thursday 2024-03-28 16:00 before Good Friday, seen Monday 2024-04-01 10:00: 8 h + 10 h =
///   64,800 s (Good Friday and the weekend do not count): fresh.
/// - BTC-USD trades every day: 52 h old on Sunday is stale.
#[test]
fn days_the_market_is_shut_do_not_age_an_equity_mark() {
    let mut f = held();
    f.at(ny(2024, 3, 17, 20, 0));
    f.marks.get_mut(&sym("AAPL")).unwrap().ts = ny(2024, 3, 15, 16, 0);
    f.marks.get_mut(&sym("MSFT")).unwrap().ts = ny(2024, 3, 15, 16, 0);
    let mut e = RiskEngine::new(cfg());
    let out = e.apply_targets(&targets(&[("AAPL", 0.08)]), &f.inputs());
    assert!(close(get(&out.targets, "AAPL"), 0.08), "{out:?}");
    assert!(e
        .check_order(&f.order("MSFT", Side::Buy, 10), &f.inputs())
        .is_ok());

    f.at(ny(2024, 3, 19, 17, 0));
    f.marks.get_mut(&sym("AAPL")).unwrap().ts = ny(2024, 3, 15, 16, 0);
    let out = e.apply_targets(&targets(&[("AAPL", 0.08)]), &f.inputs());
    assert!(close(get(&out.targets, "AAPL"), 0.05), "{out:?}");
    let why = "mark for AAPL is stale: 176400 s old on NYSE trading days, 349200 s in all (limit 93600 s)";
    assert!(
        out.decisions.iter().any(|d| d.reason.contains(why)),
        "{:#?}",
        out.decisions
    );

    f.at(ny(2024, 4, 1, 10, 0));
    f.marks.get_mut(&sym("AAPL")).unwrap().ts = ny(2024, 3, 28, 16, 0);
    let out = e.apply_targets(&targets(&[("AAPL", 0.08)]), &f.inputs());
    assert!(close(get(&out.targets, "AAPL"), 0.08), "{out:?}");

    f.at(ny(2024, 3, 17, 20, 0));
    f.set_mark("BTC-USD", 60_000.0);
    f.marks.get_mut(&sym("BTC-USD")).unwrap().ts = ny(2024, 3, 15, 16, 0);
    let r = e
        .check_order(&f.order("BTC-USD", Side::Buy, 1), &f.inputs())
        .unwrap_err();
    assert!(
        r.reason
            .contains("mark for BTC-USD is stale: 187200 s old (limit 93600 s)"),
        "{}",
        r.reason
    );
}

#[test]
fn mark_exactly_at_the_staleness_limit_is_fresh() {
    let mut f = held();
    f.marks.get_mut(&sym("AAPL")).unwrap().ts = f.now.plus_secs(-93_600);
    let mut e = RiskEngine::new(cfg());
    let out = e.apply_targets(&targets(&[("AAPL", 0.08)]), &f.inputs());
    assert!(close(get(&out.targets, "AAPL"), 0.08));
}

#[test]
fn missing_mark_of_a_requested_symbol_closes_the_gate() {
    let mut f = held();
    f.marks.remove(&sym("MSFT"));
    assert_closed(&f, "no mark for MSFT");
}

#[test]
fn nan_mark_closes_the_gate() {
    let mut f = held();
    f.set_mark("MSFT", f64::NAN);
    assert_closed(&f, "mark for MSFT is not a positive number (NaN)");
}

#[test]
fn failed_required_plugin_closes_the_gate() {
    let mut f = held();
    f.failed = vec!["risk_drawdown_derisk".into()];
    assert_closed(
        &f,
        "required risk plugin(s) failed or stale: risk_drawdown_derisk",
    );
}

#[test]
fn empty_equity_history_closes_the_gate() {
    let mut f = held();
    f.equity = EquityHistory::new();
    assert_closed(&f, "equity history is empty");
}

#[test]
fn missing_returns_fail_closed() {
    let mut f = held();
    f.returns.remove(&sym("MSFT"));
    assert_closed(&f, "no returns for MSFT");
}

#[test]
fn held_position_without_mark_is_frozen_unless_closed() {
    let mut f = held();
    f.marks.remove(&sym("AAPL"));
    let mut e = RiskEngine::new(cfg());
    // AAPL's weight cannot be computed: a non-zero target freezes it.
    let out = e.apply_targets(&targets(&[("AAPL", 0.03), ("MSFT", 0.05)]), &f.inputs());
    assert!(!out.targets.contains_key(&sym("AAPL")));
    assert!(out.frozen.contains(&sym("AAPL")));
    assert_eq!(get(&out.targets, "MSFT"), 0.0);
    assert!(out
        .decisions
        .iter()
        .any(|d| d.reason.contains("no mark for AAPL")));
    // Closing needs no price: target 0 passes.
    let out = e.apply_targets(&targets(&[("AAPL", 0.0)]), &f.inputs());
    assert_eq!(get(&out.targets, "AAPL"), 0.0);
    assert!(out.frozen.is_empty());
}

#[test]
fn nan_target_holds_the_current_weight() {
    let f = held();
    let mut e = RiskEngine::new(cfg());
    let out = e.apply_targets(&targets(&[("AAPL", f64::NAN), ("MSFT", 0.05)]), &f.inputs());
    assert!(close(get(&out.targets, "AAPL"), 0.05));
    assert!(close(get(&out.targets, "MSFT"), 0.05));
    assert!(out.decisions.iter().any(|d| d.rule == "fail_closed"
        && d.reason == "AAPL target NaN is not a number: held at 0.0500"));
}

#[test]
fn healthy_inputs_let_new_risk_through() {
    // The control case for the tests above: same requests, nothing wrong.
    let f = held();
    let mut e = RiskEngine::new(cfg());
    let out = e.apply_targets(&targets(&[("AAPL", 0.08), ("MSFT", 0.05)]), &f.inputs());
    assert!(close(get(&out.targets, "AAPL"), 0.08));
    assert!(close(get(&out.targets, "MSFT"), 0.05));
    assert!(!out.decisions.iter().any(|d| d.rule == "fail_closed"));
    assert!(e
        .check_order(&f.order("MSFT", Side::Buy, 10), &f.inputs())
        .is_ok());
}
