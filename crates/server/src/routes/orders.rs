//! Orders: the journal view (list, one order with its journal rows) from the store, and the two
//! actions that need a running engine: place a manual order (through the risk engine) and
//! cancel one. Without an engine the actions answer 409.

use crate::audit::noted;
use crate::control::{ManualOrder, OrderAck};
use crate::error::{ApiError, NO_ENGINE};
use crate::state::AppState;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::Json;
use optifire_core::domain::{ClientOrderId, OrderStatus, OrderType, Symbol, TimeInForce};
use serde::Deserialize;
use serde_json::{json, Value};

#[derive(Clone, Copy, Debug, Deserialize)]
pub struct ListQuery {
    pub status: Option<OrderStatus>,
    pub limit: Option<usize>,
}

pub async fn list(
    State(state): State<AppState>,
    Query(q): Query<ListQuery>,
) -> Result<Json<Value>, ApiError> {
    let limit = q
        .limit
        .unwrap_or(super::DEFAULT_PAGE)
        .clamp(1, super::MAX_PAGE);
    let orders = state.store.orders(q.status, limit)?;
    Ok(Json(json!({"orders": orders})))
}

pub async fn get(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let coid = ClientOrderId::new(id);
    let order = state
        .store
        .order(&coid)?
        .ok_or_else(|| ApiError::NotFound(format!("order {}", coid.0)))?;
    let journal = state.store.journal(&coid)?;
    Ok(Json(json!({"order": order, "journal": journal})))
}

/// Checks what the server can check before the engine sees the order.
pub fn validate(mut order: ManualOrder) -> Result<ManualOrder, ApiError> {
    let sym = order.symbol.as_str().trim().to_ascii_uppercase();
    let sym_ok = !sym.is_empty()
        && sym.len() <= 16
        && sym
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '/'));
    if !sym_ok {
        return Err(ApiError::BadRequest(format!(
            "invalid symbol {:?}",
            order.symbol.as_str()
        )));
    }
    order.symbol = Symbol::new(&sym);
    if order.qty.0 <= rust_decimal::Decimal::ZERO {
        return Err(ApiError::BadRequest("qty must be positive".into()));
    }
    let prices: Vec<_> = match order.order_type {
        OrderType::Market | OrderType::MarketOnClose => vec![],
        OrderType::Limit { limit } => vec![limit],
        OrderType::Stop { stop } => vec![stop],
        OrderType::StopLimit { stop, limit } => vec![stop, limit],
    };
    if prices.iter().any(|p| p.0 <= rust_decimal::Decimal::ZERO) {
        return Err(ApiError::BadRequest("prices must be positive".into()));
    }
    Ok(order)
}

/// Validates and hands the order to the engine (on a blocking thread).
pub async fn place_manual(state: &AppState, order: ManualOrder) -> Result<OrderAck, ApiError> {
    let engine = state
        .engine()
        .cloned()
        .ok_or_else(|| ApiError::Conflict(NO_ENGINE.into()))?;
    let order = validate(order)?;
    tokio::task::spawn_blocking(move || engine.place_order(order))
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?
        .map_err(ApiError::from)
}

pub async fn cancel_manual(state: &AppState, id: String) -> Result<OrderAck, ApiError> {
    let engine = state
        .engine()
        .cloned()
        .ok_or_else(|| ApiError::Conflict(NO_ENGINE.into()))?;
    let coid = ClientOrderId::new(id);
    tokio::task::spawn_blocking(move || engine.cancel_order(&coid))
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?
        .map_err(ApiError::from)
}

/// Alpaca's name of a time in force (as the API accepts it).
fn tif_name(t: TimeInForce) -> &'static str {
    match t {
        TimeInForce::Day => "day",
        TimeInForce::Gtc => "gtc",
        TimeInForce::Ioc => "ioc",
        TimeInForce::Fok => "fok",
        TimeInForce::Opg => "opg",
        TimeInForce::Cls => "cls",
    }
}

/// One line for the audit row and the dashboard's flash: side, quantity, symbol, type with its
/// prices, time in force.
pub fn describe(o: &ManualOrder) -> String {
    let prices = match o.order_type {
        OrderType::Market | OrderType::MarketOnClose => String::new(),
        OrderType::Limit { limit } => format!(" {}", limit.0),
        OrderType::Stop { stop } => format!(" {}", stop.0),
        OrderType::StopLimit { stop, limit } => format!(" {}/{}", stop.0, limit.0),
    };
    format!(
        "{} {} {} {}{prices} {}",
        o.side.as_str(),
        o.qty.0,
        o.symbol,
        o.order_type.name(),
        tif_name(o.tif)
    )
}

pub async fn place(State(state): State<AppState>, Json(order): Json<ManualOrder>) -> Response {
    let what = describe(&order);
    match place_manual(&state, order).await {
        Ok(ack) => {
            let detail = format!("{what} → {} {}", ack.client_order_id, ack.status.as_str());
            noted(Json(json!({"order": ack})), "order.place", Some(detail))
        }
        Err(e) => {
            let detail = format!("{what} → {e}");
            noted(e, "order.place", Some(detail))
        }
    }
}

pub async fn cancel(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    match cancel_manual(&state, id.clone()).await {
        Ok(ack) => noted(
            Json(json!({"order": ack})),
            "order.cancel",
            Some(format!("{id} → {}", ack.status.as_str())),
        ),
        Err(e) => {
            let detail = format!("{id} → {e}");
            noted(e, "order.cancel", Some(detail))
        }
    }
}
