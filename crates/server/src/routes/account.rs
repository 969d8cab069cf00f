//! The book as the store last recorded it: positions, account (cash, equity, exposure), the
//! equity curve, and the risk metrics derived from it (PnL, drawdown, exposure, VaR/ES).
//!
//! An empty store answers with nulls and empty lists, never invented numbers.

use crate::analytics::risk_metrics;
use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::{Query, State};
use axum::Json;
use optifire_core::domain::EquityPoint;
use optifire_core::Timestamp;
use serde::Deserialize;
use serde_json::{json, Value};

/// `?from=SECS&to=SECS` (Unix seconds, inclusive); whole history when absent.
#[derive(Clone, Copy, Debug, Default, Deserialize)]
pub struct Range {
    pub from: Option<i64>,
    pub to: Option<i64>,
}

impl Range {
    fn bounds(self) -> (Timestamp, Timestamp) {
        let to_ts = |s: Option<i64>, dflt: i64| {
            s.map_or(Timestamp(dflt), |v| {
                Timestamp(v.saturating_mul(1_000_000_000))
            })
        };
        (to_ts(self.from, i64::MIN), to_ts(self.to, i64::MAX))
    }
}

/// The whole stored curve (or a range of it).
pub fn equity_points(state: &AppState, range: Range) -> Result<Vec<EquityPoint>, ApiError> {
    let (from, to) = range.bounds();
    Ok(state.store.equity(from, to)?)
}

pub async fn positions(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    Ok(Json(match state.store.latest_position_snapshot()? {
        Some(s) => json!({
            "ts": s.ts,
            "cash": s.cash,
            "commissions_paid": s.commissions_paid,
            "positions": s.positions,
        }),
        None => json!({"ts": null, "cash": null, "commissions_paid": null, "positions": []}),
    }))
}

pub async fn account(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let latest = match state.db.latest_equity_ts()? {
        Some(ts) => state.store.equity(ts, ts)?.pop(),
        None => None,
    };
    let snapshot = state.store.latest_position_snapshot()?;
    Ok(Json(json!({
        "equity": latest,
        "cash": snapshot.as_ref().map(|s| s.cash),
        "commissions_paid": snapshot.as_ref().map(|s| s.commissions_paid),
        "positions_ts": snapshot.as_ref().map(|s| s.ts),
        "open_positions": snapshot.map_or(0, |s| s.positions.iter().filter(|p| !p.is_flat()).count()),
        "engine_attached": state.engine().is_some(),
    })))
}

pub async fn equity(
    State(state): State<AppState>,
    Query(range): Query<Range>,
) -> Result<Json<Value>, ApiError> {
    let points = equity_points(&state, range)?;
    Ok(Json(json!({"points": points})))
}

pub async fn metrics(
    State(state): State<AppState>,
    Query(range): Query<Range>,
) -> Result<Json<Value>, ApiError> {
    let points = equity_points(&state, range)?;
    let risk = state.config.current().config.risk.clone();
    let m = risk_metrics(
        &points,
        risk.var_confidence,
        usize::try_from(risk.var_lookback_days).unwrap_or(usize::MAX),
    );
    Ok(Json(json!({"metrics": m})))
}
