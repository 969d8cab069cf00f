//! The risk check of one manual order (from the API): the same limits as the target path,
//! applied to the post-trade book.
//!
//! A risk-reducing order (the position shrinks toward zero without flipping) passes whenever
//! the market is open, even when the inputs are stale or a cooldown runs; anything else must
//! pass every input check and limit. Caps are multiplied by the drawdown factor between the
//! soft and hard limits; plugin exposure multipliers size targets, not operator orders, and are
//! not applied here (their blocks and flattens are).

use super::book::{current_book, usable_price};
use super::decision::{fw, pct, DecisionLog};
use super::drawdown::drawdown_multiplier;
use super::failsafe::input_faults;
use super::inputs::RiskInputs;
use super::plugins::PluginControls;
use super::streak::losing_streak_since;
use super::var::portfolio_var;
use super::{RiskApproved, RiskEngine, RiskRefused};
use optifire_core::domain::{OrderRequest, Quantity, Symbol};
use rust_decimal::Decimal;
use std::collections::BTreeSet;

/// Float slack for comparing a post-trade weight with its limit (qty x price / equity rounding).
const EPS: f64 = 1e-12;

pub(crate) fn check_order(
    engine: &RiskEngine,
    order: &OrderRequest,
    inputs: &RiskInputs<'_>,
) -> Result<RiskApproved, RiskRefused> {
    let cfg = engine.config();
    let s = &order.symbol;
    let refuse = |rule: &str, reason: String| RiskRefused {
        order: Box::new(order.clone()),
        rule: rule.to_string(),
        reason,
    };
    if order.qty.0 <= Decimal::ZERO {
        return Err(refuse(
            "invalid_order",
            format!("{s} order quantity {} is not positive", order.qty),
        ));
    }
    if cfg.rth_only && !inputs.calendar.is_open_at(inputs.now) {
        return Err(refuse(
            "rth_only",
            format!(
                "market closed at {} (New York {}): no orders",
                inputs.now,
                inputs.now.to_new_york().format("%a %Y-%m-%d %H:%M")
            ),
        ));
    }

    let cur = inputs.portfolio.qty(s).0;
    let post = cur + Decimal::from(order.side.sign()) * order.qty.0;
    let mut log = DecisionLog::default();
    if post.is_zero()
        || (post.abs() <= cur.abs() && post.is_sign_positive() == cur.is_sign_positive())
    {
        log.note(
            Some(s),
            "risk_reducing",
            format!("{s} position {cur} -> {post}: risk-reducing order passes"),
        );
        return Ok(RiskApproved {
            order: order.clone(),
            decisions: log.0,
        });
    }

    // New risk: every input and limit must hold.
    let mut needed: BTreeSet<Symbol> = inputs
        .portfolio
        .open_positions()
        .map(|p| p.symbol.clone())
        .collect();
    needed.insert(s.clone());
    let faults = input_faults(inputs, &needed, cfg.stale_price_secs);
    if !faults.is_empty() {
        return Err(refuse(
            "fail_closed",
            format!("no new risk: {}", faults.join("; ")),
        ));
    }
    let controls = PluginControls::from_outputs(inputs.plugin_outputs);
    let flat = controls.flattens(s);
    if !flat.is_empty() {
        return Err(refuse("plugin_flatten", flat.join("; ")));
    }
    let blocks = controls.blocks(s);
    if !blocks.is_empty() {
        return Err(refuse("plugin_block", blocks.join("; ")));
    }
    let (guard, _) = engine.drawdown_guard().refreshed(inputs.now, inputs.equity);
    if let Some(until) = guard
        .cooldown_until()
        .filter(|_| guard.in_cooldown(inputs.now))
    {
        return Err(refuse(
            "cooldown",
            format!("no new risk during the drawdown cooldown (until {until})"),
        ));
    }
    let Some(dd) = guard.drawdown(inputs.equity) else {
        return Err(refuse(
            "fail_closed",
            "drawdown cannot be computed from the equity history".to_string(),
        ));
    };
    if dd >= cfg.max_drawdown {
        return Err(refuse(
            "max_drawdown",
            format!(
                "drawdown {} at or over the limit {}",
                pct(dd),
                pct(cfg.max_drawdown)
            ),
        ));
    }
    let streak = losing_streak_since(inputs.closed_trade_pnls, engine.streak_reset_at);
    if streak >= cfg.max_losing_streak {
        return Err(refuse(
            "losing_streak",
            format!(
                "{streak} consecutive losing trades (limit {})",
                cfg.max_losing_streak
            ),
        ));
    }

    let book = current_book(inputs);
    let (Some(equity), Some(price)) = (book.equity, usable_price(inputs.marks, s)) else {
        return Err(refuse(
            "fail_closed",
            format!("post-trade weight of {s} cannot be computed"),
        ));
    };
    let post_f = Quantity(post).to_f64();
    let post_w = post_f * price / equity;
    if !post_w.is_finite() {
        return Err(refuse(
            "fail_closed",
            format!("post-trade weight of {s} is not a number"),
        ));
    }
    let m = drawdown_multiplier(dd, cfg.soft_drawdown, cfg.max_drawdown);
    let scaled = if m < 1.0 {
        format!(" x drawdown factor {m:.6}")
    } else {
        String::new()
    };
    let sym_cap = cfg.max_exposure_symbol * m;
    if post_w.abs() > sym_cap + EPS {
        return Err(refuse(
            "max_exposure_symbol",
            format!(
                "{s} post-trade weight {} exceeds the limit {} ({} of equity{scaled})",
                fw(post_w),
                fw(sym_cap),
                pct(cfg.max_exposure_symbol)
            ),
        ));
    }
    let mut weights = book.weights.clone();
    weights.insert(s.clone(), post_w);
    let gross: f64 = weights.values().map(|x| x.abs()).sum();
    let gross_cap = cfg.max_exposure_total * m;
    if gross > gross_cap + EPS {
        return Err(refuse(
            "max_exposure_total",
            format!(
                "post-trade gross exposure {} exceeds the limit {} ({} of equity{scaled})",
                fw(gross),
                fw(gross_cap),
                pct(cfg.max_exposure_total)
            ),
        ));
    }
    let rep = portfolio_var(
        &weights,
        inputs.returns,
        cfg.var_lookback_days as usize,
        cfg.var_confidence,
    )
    .map_err(|e| refuse("fail_closed", format!("VaR cannot be computed: {e}")))?;
    if rep.var > cfg.max_var_pct + EPS {
        return Err(refuse(
            "max_var",
            format!(
                "post-trade VaR({}, {} d) {:.6} exceeds the limit {} (CVaR {:.6})",
                pct(cfg.var_confidence),
                rep.days,
                rep.var,
                pct(cfg.max_var_pct),
                rep.cvar
            ),
        ));
    }
    log.note(
        Some(s),
        "order_limits",
        format!(
            "{s} post-trade weight {}, gross {}, VaR {:.6}, CVaR {:.6}: within limits",
            fw(post_w),
            fw(gross),
            rep.var,
            rep.cvar
        ),
    );
    Ok(RiskApproved {
        order: order.clone(),
        decisions: log.0,
    })
}
