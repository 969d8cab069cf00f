//! Drawdown de-risking, flatten and cooldown, and the losing streak, with hand-worked numbers.

mod risk_support;

use optifire_core::domain::Side;
use optifire_engine::risk::{KellyInput, RiskEngine};
use risk_support::*;

#[test]
fn linear_derisk_between_soft_and_hard() {
    let mut f = Fixture::new();
    // Peak 100 000, now 94 000: drawdown 6%, between soft 4% and hard 8%.
    f.push_equity(f.now.plus_secs(-3600), 94_000);
    let mut e = RiskEngine::new(cfg());
    let out = e.apply_targets(&targets(&[("AAPL", 0.08), ("MSFT", -0.06)]), &f.inputs());
    // m = (0.08 - 0.06) / (0.08 - 0.04) = 0.5: AAPL 0.04, MSFT -0.03.
    assert!(close(get(&out.targets, "AAPL"), 0.04));
    assert!(close(get(&out.targets, "MSFT"), -0.03));
    let d = out.decisions.iter().find(|d| d.rule == "drawdown").unwrap();
    assert!(
        d.reason
            .starts_with("drawdown 6% between soft 4% and hard 8%: targets x0.500000"),
        "{}",
        d.reason
    );

    // 97 000: drawdown 3% <= soft 4%, no scaling.
    let mut f = Fixture::new();
    f.push_equity(f.now.plus_secs(-3600), 97_000);
    let out = e.apply_targets(&targets(&[("AAPL", 0.08)]), &f.inputs());
    assert!(close(get(&out.targets, "AAPL"), 0.08));
    assert!(!out.decisions.iter().any(|d| d.rule == "drawdown"));
}

#[test]
fn hard_drawdown_flattens_and_cooldown_lasts_24h() {
    let mut f = Fixture::new();
    let t0 = f.now;
    // Hold 50 AAPL at 100 (weight 5 000 / 100 000 = 0.05).
    f.trade("AAPL", 50, 100);
    // Peak 100 000, now 92 000: 1 - 92 000 / 100 000 = 0.08 exactly, at the limit.
    f.push_equity(t0.plus_secs(-3600), 92_000);
    let mut e = RiskEngine::new(cfg());
    let out = e.apply_targets(&targets(&[("AAPL", 0.05), ("MSFT", 0.05)]), &f.inputs());
    assert_eq!(get(&out.targets, "AAPL"), 0.0);
    assert_eq!(get(&out.targets, "MSFT"), 0.0);
    let until = t0.plus_secs(24 * 3600);
    assert_eq!(e.drawdown_guard().cooldown_until(), Some(until));
    let d = out
        .decisions
        .iter()
        .find(|d| d.rule == "max_drawdown")
        .unwrap();
    assert!(
        d.reason.contains(
            "drawdown 8% at or over the limit 8%: all targets flattened; cooldown of 24 h started"
        ),
        "{}",
        d.reason
    );

    // The flatten did not fill; equity recovers to 95 000 (drawdown 5%, below the hard limit).
    // 23 h 59 min later the cooldown still runs: only risk-reducing changes pass.
    f.push_equity(t0.plus_secs(3600), 95_000);
    f.at(t0.plus_secs(24 * 3600 - 60));
    let req = targets(&[("AAPL", 0.08), ("MSFT", 0.05), ("NVDA", 0.0)]);
    let out = e.apply_targets(&req, &f.inputs());
    // AAPL 0.08 is more than the current 0.05: held at 0.05 (the drawdown factor
    // (0.08 - 0.05) / 0.04 = 0.75 first makes it 0.06, still > 0.05). MSFT new: 0.
    assert!(close(get(&out.targets, "AAPL"), 0.05));
    assert_eq!(get(&out.targets, "MSFT"), 0.0);
    assert!(out
        .decisions
        .iter()
        .any(|d| d.rule == "cooldown" && d.symbol == Some(sym("AAPL"))));
    // Reducing AAPL to 0.02 passes (0.02 / 0.75 requested so the drawdown factor gives 0.02).
    let out = e.apply_targets(&targets(&[("AAPL", 0.02 / 0.75)]), &f.inputs());
    assert!(close(get(&out.targets, "AAPL"), 0.02));
    // A manual buy is refused during the cooldown, a sell passes.
    let r = e
        .check_order(&f.order("MSFT", Side::Buy, 10), &f.inputs())
        .unwrap_err();
    assert_eq!(r.rule, "cooldown");
    assert!(e
        .check_order(&f.order("AAPL", Side::Sell, 10), &f.inputs())
        .is_ok());

    // Exactly 24 h after the breach the cooldown is over and the high-water mark is re-based
    // to the latest equity (95 000), so the drawdown is 0 and new risk passes unscaled.
    f.at(until);
    let out = e.apply_targets(&targets(&[("AAPL", 0.08), ("MSFT", 0.05)]), &f.inputs());
    assert!(close(get(&out.targets, "AAPL"), 0.08));
    assert!(close(get(&out.targets, "MSFT"), 0.05));
    assert!(out
        .decisions
        .iter()
        .any(|d| d.rule == "cooldown" && d.approved && d.reason.starts_with("cooldown ended")));
    assert_eq!(e.drawdown_guard().cooldown_until(), None);
}

#[test]
fn still_at_hard_limit_during_cooldown_keeps_flat() {
    let mut f = Fixture::new();
    let t0 = f.now;
    f.trade("AAPL", 50, 100);
    f.push_equity(t0.plus_secs(-3600), 90_000);
    let mut e = RiskEngine::new(cfg());
    e.apply_targets(&targets(&[("AAPL", 0.05)]), &f.inputs());
    // One hour later, the position is still there and equity still 10% down: flatten again,
    // without extending the cooldown.
    f.at(t0.plus_secs(3600));
    let out = e.apply_targets(&targets(&[("AAPL", 0.05)]), &f.inputs());
    assert_eq!(get(&out.targets, "AAPL"), 0.0);
    assert_eq!(
        e.drawdown_guard().cooldown_until(),
        Some(t0.plus_secs(24 * 3600))
    );
}

#[test]
fn losing_streak_blocks_new_risk_until_win_or_reset() {
    let mut f = Fixture::new();
    f.trade("AAPL", 50, 100);
    // A win, then five losses: streak 5 = max_losing_streak.
    f.pnls = vec![10.0, -1.0, -2.0, -3.0, -4.0, -5.0];
    let mut e = RiskEngine::new(cfg());
    let out = e.apply_targets(&targets(&[("AAPL", 0.08), ("MSFT", 0.05)]), &f.inputs());
    assert!(
        close(get(&out.targets, "AAPL"), 0.05),
        "held at the current weight"
    );
    assert_eq!(get(&out.targets, "MSFT"), 0.0);
    assert!(out.decisions.iter().any(|d| d.rule == "losing_streak"
        && d.reason
            .starts_with("5 consecutive losing trades (limit 5)")));
    let out = e.apply_targets(&targets(&[("AAPL", 0.01)]), &f.inputs());
    assert!(close(get(&out.targets, "AAPL"), 0.01), "reducing passes");
    assert_eq!(
        e.check_order(&f.order("MSFT", Side::Buy, 1), &f.inputs())
            .unwrap_err()
            .rule,
        "losing_streak"
    );

    // Four losses only: passes.
    f.pnls = vec![-1.0, -2.0, -3.0, -4.0];
    let out = e.apply_targets(&targets(&[("MSFT", 0.05)]), &f.inputs());
    assert!(close(get(&out.targets, "MSFT"), 0.05));

    // A win after five losses ends the streak.
    f.pnls = vec![-1.0, -2.0, -3.0, -4.0, -5.0, 0.5];
    let out = e.apply_targets(&targets(&[("MSFT", 0.05)]), &f.inputs());
    assert!(close(get(&out.targets, "MSFT"), 0.05));

    // Operator reset after 5 losing trades: only later trades count.
    f.pnls = vec![-1.0, -2.0, -3.0, -4.0, -5.0];
    e.reset_losing_streak(5);
    let out = e.apply_targets(&targets(&[("MSFT", 0.05)]), &f.inputs());
    assert!(close(get(&out.targets, "MSFT"), 0.05));
}

#[test]
fn kelly_scales_targets_within_bounds() {
    let f = Fixture::new();
    let mut e = RiskEngine::new(cfg());
    // p = 0.6, b = 2: f* = 0.6 - 0.4 / 2 = 0.4; x kelly_fraction 0.5 = 0.2 < kelly_min 0.25 -> 0.25.
    let mut inputs = f.inputs();
    inputs.kelly = Some(KellyInput {
        win_rate: 0.6,
        payoff: 2.0,
    });
    let out = e.apply_targets(&targets(&[("AAPL", 0.08)]), &inputs);
    assert!(close(get(&out.targets, "AAPL"), 0.02), "0.08 x 0.25");
    // p = 0.9, b = 3: f* = 0.9 - 0.1 / 3 = 0.8666...; x 0.5 = 0.4333... within [0.25, 1.5].
    inputs.kelly = Some(KellyInput {
        win_rate: 0.9,
        payoff: 3.0,
    });
    let out = e.apply_targets(&targets(&[("AAPL", 0.08)]), &inputs);
    assert!(close(
        get(&out.targets, "AAPL"),
        0.08 * 0.5 * (0.9 - 0.1 / 3.0)
    ));
    // An invalid win rate (1.0) cannot be sized: fail closed.
    let mut inputs = f.inputs();
    inputs.kelly = Some(KellyInput {
        win_rate: 1.0,
        payoff: 3.0,
    });
    let out = e.apply_targets(&targets(&[("AAPL", 0.08)]), &inputs);
    assert_eq!(get(&out.targets, "AAPL"), 0.0);
}

#[test]
fn check_order_in_the_drawdown_band_and_at_the_limit() {
    let mut f = Fixture::new();
    // Drawdown 6%: factor (0.08 - 0.06) / (0.08 - 0.04) = 0.5, symbol cap 0.10 x 0.5 = 0.05.
    f.push_equity(f.now.plus_secs(-3600), 94_000);
    let e = RiskEngine::new(cfg());
    // Ledger equity is 100 000 (the ledger, not the history, values the order): 51 x 100 /
    // 100 000 = 0.051 > 0.05.
    let r = e
        .check_order(&f.order("AAPL", Side::Buy, 51), &f.inputs())
        .unwrap_err();
    assert_eq!(r.rule, "max_exposure_symbol");
    assert_eq!(
        r.reason,
        "AAPL post-trade weight 0.0510 exceeds the limit 0.0500 (10% of equity x drawdown factor 0.500000)"
    );
    assert!(e
        .check_order(&f.order("AAPL", Side::Buy, 50), &f.inputs())
        .is_ok());
    // At the hard limit no new risk is accepted (check_order does not start the cooldown).
    f.push_equity(f.now.plus_secs(-1800), 92_000);
    let r = e
        .check_order(&f.order("AAPL", Side::Buy, 1), &f.inputs())
        .unwrap_err();
    assert_eq!(r.rule, "max_drawdown");
    assert_eq!(r.reason, "drawdown 8% at or over the limit 8%");
    // A zero quantity is refused outright.
    let r = e
        .check_order(&f.order("AAPL", Side::Buy, 0), &f.inputs())
        .unwrap_err();
    assert_eq!(r.rule, "invalid_order");
}

#[test]
fn operator_reset_ends_the_cooldown() {
    let mut f = Fixture::new();
    f.push_equity(f.now.plus_secs(-3600), 90_000);
    let mut e = RiskEngine::new(cfg());
    e.apply_targets(&targets(&[("AAPL", 0.05)]), &f.inputs());
    assert!(e.drawdown_guard().in_cooldown(f.now.plus_secs(60)));
    f.at(f.now.plus_secs(60));
    e.reset_cooldown(f.now, &f.equity);
    // High-water mark re-based to 90 000: drawdown 0, new risk passes.
    let out = e.apply_targets(&targets(&[("AAPL", 0.05)]), &f.inputs());
    assert!(close(get(&out.targets, "AAPL"), 0.05));
}
