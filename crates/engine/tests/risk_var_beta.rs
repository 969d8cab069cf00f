//! VaR scaling and the beta hedge, on short return series worked by hand.

mod risk_support;

use optifire_core::domain::Side;
use optifire_engine::risk::{portfolio_beta, portfolio_var, RiskEngine};
use risk_support::*;

/// NVDA daily returns for the VaR tests (10 days).
const NVDA: [f64; 10] = [
    -0.30, -0.20, -0.10, 0.0, 0.05, 0.10, 0.02, 0.03, -0.05, 0.01,
];

fn var_fixture() -> Fixture {
    let mut f = Fixture::new();
    f.returns.insert(sym("NVDA"), NVDA.to_vec());
    f
}

#[test]
fn var_over_limit_scales_targets_to_the_limit() {
    let f = var_fixture();
    let mut c = cfg();
    c.max_var_pct = 0.02;
    // NVDA's beta to SPY is not what this test is about.
    c.beta_hedge_threshold = 100.0;
    let mut e = RiskEngine::new(c);
    let out = e.apply_targets(&targets(&[("NVDA", 0.10)]), &f.inputs());
    // Portfolio returns 0.10 x NVDA; the two worst are -0.030 and -0.020. numpy linear
    // percentile at 5%: h = (10 - 1) x 0.05 = 0.45, Q = -0.030 + 0.45 x (-0.020 + 0.030)
    // = -0.0255, so VaR95 = 0.0255 > 0.02. Scale k = 0.02 / 0.0255 = 0.784313725...,
    // target 0.10 x k = 0.0784313725...
    // CVaR: k = floor(9 x 0.05) = 0 -> the single worst, 0.030; after scaling 0.030 x k.
    let k = 0.02 / 0.0255;
    assert!(close(get(&out.targets, "NVDA"), 0.10 * k));
    let d = out.decisions.iter().find(|d| d.rule == "max_var").unwrap();
    assert!(!d.approved);
    assert_eq!(
        d.reason,
        format!(
            "VaR(95%, 10 d) 0.025500 over the limit 2%: targets x{k:.6}; CVaR 0.030000 -> {:.6}",
            0.03 * k
        )
    );
    // After scaling the VaR sits exactly at the limit.
    let rep = portfolio_var(&out.targets, &f.returns, 10, 0.95).unwrap();
    assert!(close(rep.var, 0.02));
}

#[test]
fn var_within_limit_is_reported_with_cvar() {
    let f = var_fixture();
    let mut c = cfg();
    c.beta_hedge_threshold = 100.0;
    let mut e = RiskEngine::new(c);
    let out = e.apply_targets(&targets(&[("NVDA", 0.10)]), &f.inputs());
    // VaR 0.0255 <= 0.05: unchanged.
    assert!(close(get(&out.targets, "NVDA"), 0.10));
    let d = out.decisions.iter().find(|d| d.rule == "max_var").unwrap();
    assert!(d.approved);
    assert_eq!(
        d.reason,
        "VaR(95%, 10 d) 0.025500 within the limit 5%; CVaR 0.030000"
    );
}

#[test]
fn offsetting_positions_have_no_var() {
    let mut f = var_fixture();
    // XOM returns are exactly minus NVDA's: equal longs in both cancel every day.
    f.returns
        .insert(sym("XOM"), NVDA.iter().map(|r| -r).collect());
    let mut c = cfg();
    c.max_var_pct = 0.001;
    c.beta_hedge_threshold = 100.0;
    let mut e = RiskEngine::new(c);
    let out = e.apply_targets(&targets(&[("NVDA", 0.10), ("XOM", 0.10)]), &f.inputs());
    assert!(close(get(&out.targets, "NVDA"), 0.10));
    assert!(close(get(&out.targets, "XOM"), 0.10));
}

#[test]
fn check_order_refuses_over_var() {
    let f = var_fixture();
    let mut c = cfg();
    c.max_var_pct = 0.02;
    let e = RiskEngine::new(c);
    // Buy 100 NVDA at 100: weight 0.10, VaR 0.0255 > 0.02.
    let r = e
        .check_order(&f.order("NVDA", Side::Buy, 100), &f.inputs())
        .unwrap_err();
    assert_eq!(r.rule, "max_var");
    // Buy 70: weight 0.07, VaR 0.07 x 0.255 = 0.01785 <= 0.02.
    assert!(e
        .check_order(&f.order("NVDA", Side::Buy, 70), &f.inputs())
        .is_ok());
}

/// SPY returns x and AAPL returns 1.5 x + e with e orthogonal to x and mean zero, so the OLS
/// slope of AAPL on SPY is exactly 1.5: sum x = 0, sum x y = 0.0042, sum x^2 = 0.0028,
/// 0.0042 / 0.0028 = 1.5.
fn beta_fixture() -> Fixture {
    let x = [0.01, -0.01, 0.02, -0.02, 0.03, -0.03];
    let e = [0.001, 0.001, -0.001, -0.001, 0.0, 0.0];
    let mut f = Fixture::new();
    f.returns.insert(sym("SPY"), x.to_vec());
    f.returns.insert(
        sym("AAPL"),
        x.iter().zip(e).map(|(x, e)| 1.5 * x + e).collect(),
    );
    f
}

/// Limits loose enough that the hedge is not capped; 6-day window.
fn beta_cfg() -> optifire_core::config::RiskConfig {
    let mut c = cfg();
    c.var_lookback_days = 6;
    c.max_exposure_symbol = 2.0;
    c.max_exposure_total = 3.0;
    c
}

#[test]
fn beta_is_exactly_one_and_a_half() {
    let f = beta_fixture();
    let b = portfolio_beta(&targets(&[("AAPL", 1.0)]), &f.returns, &sym("SPY"), 6).unwrap();
    assert!(close(b, 1.5), "{b}");
}

#[test]
fn beta_hedge_brings_beta_to_zero() {
    let f = beta_fixture();
    let mut e = RiskEngine::new(beta_cfg());
    let out = e.apply_targets(&targets(&[("AAPL", 1.0)]), &f.inputs());
    // Beta 1.0 x 1.5 = 1.5 > 0.6: SPY target 0 - 1.5 = -1.5.
    assert!(close(get(&out.targets, "AAPL"), 1.0));
    assert!(close(get(&out.targets, "SPY"), -1.5));
    let d = out
        .decisions
        .iter()
        .find(|d| d.rule == "beta_hedge")
        .unwrap();
    assert_eq!(d.symbol, Some(sym("SPY")));
    assert_eq!(
        d.reason,
        "portfolio beta 1.5000 to SPY exceeds +-0.6: SPY target 0.0000 -> -1.5000 to bring beta to 0"
    );
    let after = portfolio_beta(&out.targets, &f.returns, &sym("SPY"), 6).unwrap();
    assert!(after.abs() < 1e-12, "{after}");

    // Already long 0.5 SPY: beta 0.5 + 1.5 = 2.0, SPY 0.5 - 2.0 = -1.5.
    let out = e.apply_targets(&targets(&[("AAPL", 1.0), ("SPY", 0.5)]), &f.inputs());
    assert!(close(get(&out.targets, "SPY"), -1.5));
}

#[test]
fn beta_within_threshold_is_not_hedged() {
    let f = beta_fixture();
    let mut e = RiskEngine::new(beta_cfg());
    // 0.3 x 1.5 = 0.45 <= 0.6.
    let out = e.apply_targets(&targets(&[("AAPL", 0.3)]), &f.inputs());
    assert!(!out.targets.contains_key(&sym("SPY")));
    let d = out
        .decisions
        .iter()
        .find(|d| d.rule == "beta_hedge")
        .unwrap();
    assert_eq!(
        d.reason,
        "portfolio beta 0.4500 to SPY within +-0.6: no hedge"
    );
}

#[test]
fn beta_hedge_is_capped_by_the_symbol_limit() {
    let f = beta_fixture();
    let mut c = beta_cfg();
    c.max_exposure_symbol = 1.0;
    let mut e = RiskEngine::new(c);
    let out = e.apply_targets(&targets(&[("AAPL", 1.0)]), &f.inputs());
    // The hedge -1.5 is capped to -1.0 (recorded); the beta left is 1.5 - 1.0 = 0.5.
    assert!(close(get(&out.targets, "SPY"), -1.0));
    assert!(out
        .decisions
        .iter()
        .any(|d| d.rule == "max_exposure_symbol" && d.symbol == Some(sym("SPY"))));
}
