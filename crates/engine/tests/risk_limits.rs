//! Hard limits and plugin controls of the risk engine, with hand-worked numbers.

mod risk_support;

use optifire_core::domain::Side;
use optifire_core::plugin::Output;
use optifire_engine::risk::RiskEngine;
use risk_support::*;

#[test]
fn per_symbol_cap() {
    let f = Fixture::new();
    let mut e = RiskEngine::new(cfg());
    let out = e.apply_targets(
        &targets(&[("AAPL", 0.14), ("MSFT", -0.12), ("XOM", 0.05)]),
        &f.inputs(),
    );
    // |0.14| > 0.10 -> 0.10; |-0.12| > 0.10 -> -0.10 (sign kept); 0.05 untouched.
    assert!(close(get(&out.targets, "AAPL"), 0.10));
    assert!(close(get(&out.targets, "MSFT"), -0.10));
    assert!(close(get(&out.targets, "XOM"), 0.05));
    let d = out
        .decisions
        .iter()
        .find(|d| d.rule == "max_exposure_symbol" && d.symbol == Some(sym("AAPL")))
        .unwrap();
    assert!(!d.approved);
    assert_eq!(
        d.reason,
        "AAPL target 0.1400 capped to 0.1000 (limit 10% of equity)"
    );
    // Gross after the caps: 0.10 + 0.10 + 0.05 = 0.25 <= 0.30, no gross scaling.
    assert!(!out.decisions.iter().any(|d| d.rule == "max_exposure_total"));
}

#[test]
fn gross_cap_scales_proportionally() {
    let f = Fixture::new();
    let mut e = RiskEngine::new(cfg());
    let req = targets(&[
        ("AAPL", 0.10),
        ("MSFT", 0.10),
        ("NVDA", -0.10),
        ("XOM", 0.05),
    ]);
    let out = e.apply_targets(&req, &f.inputs());
    // Gross 0.10 + 0.10 + 0.10 + 0.05 = 0.35 > 0.30: every weight x 0.30 / 0.35 = 6/7.
    // AAPL 0.10 * 6/7 = 0.6/7 = 0.0857142857..., XOM 0.05 * 6/7 = 0.3/7 = 0.0428571428...
    assert!(close(get(&out.targets, "AAPL"), 0.6 / 7.0));
    assert!(close(get(&out.targets, "MSFT"), 0.6 / 7.0));
    assert!(close(get(&out.targets, "NVDA"), -0.6 / 7.0));
    assert!(close(get(&out.targets, "XOM"), 0.3 / 7.0));
    let gross: f64 = out.targets.values().map(|w| w.abs()).sum();
    assert!(close(gross, 0.30));
    let d = out
        .decisions
        .iter()
        .find(|d| d.rule == "max_exposure_total")
        .unwrap();
    assert!(
        d.reason
            .starts_with("gross exposure 0.3500 scaled to 0.3000 (x0.857143"),
        "{}",
        d.reason
    );
}

#[test]
fn symbol_cap_applies_before_gross_cap() {
    let f = Fixture::new();
    let mut e = RiskEngine::new(cfg());
    let req = targets(&[
        ("AAPL", 0.20),
        ("MSFT", 0.20),
        ("NVDA", 0.20),
        ("XOM", 0.20),
    ]);
    let out = e.apply_targets(&req, &f.inputs());
    // Each capped to 0.10, gross 0.40 > 0.30 -> each 0.10 * 0.30 / 0.40 = 0.075.
    for s in ["AAPL", "MSFT", "NVDA", "XOM"] {
        assert!(close(get(&out.targets, s), 0.075), "{s}");
    }
}

#[test]
fn plugin_multipliers_blocks_and_flattens() {
    let mut f = Fixture::new();
    // Hold 50 AAPL and 80 TSLA at 100: weights 5 000 / 100 000 = 0.05 and 0.08.
    f.trade("AAPL", 50, 100);
    f.trade("TSLA", 80, 100);
    f.output(
        "risk_vol_target",
        Output::ExposureMultiplier {
            symbol: None,
            multiplier: 0.5,
            reason: "vol 30% vs target 15%".into(),
        },
    );
    f.output(
        "risk_symbol",
        Output::ExposureMultiplier {
            symbol: Some(sym("AAPL")),
            multiplier: 0.8,
            reason: "earnings".into(),
        },
    );
    f.output(
        "risk_block",
        Output::Block {
            symbol: Some(sym("MSFT")),
            reason: "halted".into(),
        },
    );
    f.output(
        "risk_flatten",
        Output::Flatten {
            symbol: Some(sym("TSLA")),
            reason: "delisting".into(),
        },
    );
    let mut e = RiskEngine::new(cfg());
    let req = targets(&[
        ("AAPL", 0.10),
        ("MSFT", 0.06),
        ("NVDA", 0.08),
        ("TSLA", 0.08),
    ]);
    let out = e.apply_targets(&req, &f.inputs());
    // AAPL 0.10 x 0.5 x 0.8 = 0.04 (a reduction from 0.05, so the gate does not matter).
    assert!(close(get(&out.targets, "AAPL"), 0.04));
    // NVDA 0.08 x 0.5 = 0.04.
    assert!(close(get(&out.targets, "NVDA"), 0.04));
    // MSFT blocked: current 0, 0.06 x 0.5 = 0.03 would be new risk -> 0.
    assert_eq!(get(&out.targets, "MSFT"), 0.0);
    let d = out
        .decisions
        .iter()
        .find(|d| d.rule == "plugin_block")
        .unwrap();
    assert!(d.reason.contains("risk_block: halted"), "{}", d.reason);
    // TSLA flattened.
    assert_eq!(get(&out.targets, "TSLA"), 0.0);
    assert!(out.decisions.iter().any(|d| d.rule == "plugin_flatten"
        && d.reason == "TSLA target 0.0800 set to 0: risk_flatten: delisting"));
}

#[test]
fn held_symbol_missing_from_targets_is_closed() {
    let mut f = Fixture::new();
    f.trade("AAPL", 50, 100);
    let mut e = RiskEngine::new(cfg());
    let out = e.apply_targets(&targets(&[("MSFT", 0.05)]), &f.inputs());
    assert_eq!(get(&out.targets, "AAPL"), 0.0);
    assert!(close(get(&out.targets, "MSFT"), 0.05));
}

#[test]
fn check_order_symbol_and_gross_limits() {
    let mut f = Fixture::new();
    // 50 AAPL at 100 = 5 000; equity stays 100 000 (cash 95 000).
    f.trade("AAPL", 50, 100);
    let e = RiskEngine::new(cfg());
    // Buy 60 more: post 110 x 100 / 100 000 = 0.11 > 0.10.
    let r = e
        .check_order(&f.order("AAPL", Side::Buy, 60), &f.inputs())
        .unwrap_err();
    assert_eq!(r.rule, "max_exposure_symbol");
    assert_eq!(
        r.reason,
        "AAPL post-trade weight 0.1100 exceeds the limit 0.1000 (10% of equity)"
    );
    // Buy 50: post 100 x 100 / 100 000 = 0.10, exactly at the limit, passes.
    assert!(e
        .check_order(&f.order("AAPL", Side::Buy, 50), &f.inputs())
        .is_ok());

    // Gross: hold also 100 MSFT and 100 NVDA (short): 0.05 + 0.10 + 0.10 = 0.25 gross.
    f.trade("MSFT", 100, 100);
    f.trade("NVDA", -100, 100);
    // Buy 60 XOM: 0.06 <= 0.10, but gross 0.25 + 0.06 = 0.31 > 0.30.
    let r = e
        .check_order(&f.order("XOM", Side::Buy, 60), &f.inputs())
        .unwrap_err();
    assert_eq!(r.rule, "max_exposure_total");
    assert_eq!(
        r.reason,
        "post-trade gross exposure 0.3100 exceeds the limit 0.3000 (30% of equity)"
    );
    // Buy 50 XOM: gross 0.30, passes.
    assert!(e
        .check_order(&f.order("XOM", Side::Buy, 50), &f.inputs())
        .is_ok());
    // Selling AAPL reduces risk and always passes.
    let ok = e
        .check_order(&f.order("AAPL", Side::Sell, 50), &f.inputs())
        .unwrap();
    assert_eq!(ok.decisions[0].rule, "risk_reducing");
    // Selling 60 AAPL flips the position short: new risk, checked (post -10 -> 0.01, passes
    // the symbol cap, but gross 0.01 + 0.10 + 0.10 = 0.21 <= 0.30 so it passes too).
    assert!(e
        .check_order(&f.order("AAPL", Side::Sell, 60), &f.inputs())
        .is_ok());
}
