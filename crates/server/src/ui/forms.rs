//! Dashboard form posts: toggle a flag, place or cancel a manual order, run a plugin now,
//! change a log level, lift the reconciliation halt or the losing-streak pause. Each reuses the API's logic and answers with a redirect back to its tab
//! carrying a one-line result (the refusal reason when refused).
//!
//! The CSRF check and the audit row are done by `ui::require_page_session` around these.

use crate::audit::noted;
use crate::auth::AuthUser;
use crate::control::ManualOrder;
use crate::error::ApiError;
use crate::routes::{config, flags, gates, log, orders, plugins};
use crate::state::AppState;
use crate::ui::html::url_encode;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use optifire_core::config::ApplyOutcome;
use optifire_core::domain::{OrderType, Price, Quantity, Side, Symbol, TimeInForce};
use rust_decimal::Decimal;
use serde::Deserialize;

/// 303 to `to` with `msg` shown on arrival.
fn back(to: &str, ok: bool, msg: &str) -> Response {
    let sep = if to.contains('?') { '&' } else { '?' };
    let url = format!("{to}{sep}ok={}&msg={}", u8::from(ok), url_encode(msg));
    Redirect::to(&url).into_response()
}

/// Every outcome is a redirect; the status the handler would have answered is kept for the
/// audit row via the note's detail.
fn outcome(to: &str, action: &str, r: Result<String, ApiError>) -> Response {
    match r {
        Ok(msg) => noted(back(to, true, &msg), action, Some(msg)),
        Err(e) => {
            let msg = match &e {
                ApiError::Refused { rule, reason } => {
                    format!("refused by the risk engine ({rule}): {reason}")
                }
                ApiError::Unprocessable { message, errors } => {
                    format!("{message}: {}", errors.join("; "))
                }
                ApiError::Internal(_) => "internal error (see the server log)".to_string(),
                other => other.to_string(),
            };
            if let ApiError::Internal(detail) = &e {
                tracing::error!(%detail, action, "dashboard action failed");
            }
            noted(back(to, false, &msg), action, Some(msg))
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct FlagForm {
    pub enabled: String,
}

pub async fn flag(
    State(state): State<AppState>,
    axum::Extension(user): axum::Extension<AuthUser>,
    Path(id): Path<String>,
    Form(f): Form<FlagForm>,
) -> Response {
    let enabled = f.enabled == "true";
    let edit = flags::FlagEdit {
        enabled: Some(enabled),
        ..flags::FlagEdit::default()
    };
    let set = state.config.current();
    let r = match flags::edit_features_text(&set.features_text, &id, &edit) {
        Ok(text) => {
            let source = format!("ui:{} flags/{id}", user.username);
            let applied = state.config.apply_texts(&set.config_text, &text, &source);
            let word = if enabled { "enabled" } else { "disabled" };
            match applied {
                Ok(ApplyOutcome::Applied { version, .. }) => {
                    persist_if_configured(&state);
                    Ok(format!("{id} {word} (configuration v{version})"))
                }
                Ok(ApplyOutcome::Unchanged { .. }) => Ok(format!("{id} was already {word}")),
                Err(errors) => Err(ApiError::invalid_config(&errors)),
            }
        }
        Err(flags::FlagEditError::UnknownPlugin(p)) => Err(ApiError::NotFound(p)),
        Err(flags::FlagEditError::Invalid(m)) => Err(ApiError::BadRequest(m)),
    };
    outcome("/flags", &format!("flags.edit {id}"), r)
}

fn persist_if_configured(state: &AppState) {
    if let Some(dir) = state.config_dir() {
        if let Err(e) = config::persist(state, dir) {
            tracing::error!(dir = %dir.display(), error = %e,
                "configuration applied but not written back to its files");
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct OrderForm {
    pub symbol: String,
    pub side: String,
    pub qty: String,
    #[serde(default)]
    pub order_type: String,
    #[serde(default)]
    pub limit: String,
    #[serde(default)]
    pub tif: String,
}

/// The form's strings as a `ManualOrder`; every field is checked, nothing defaults silently
/// except the order type (market) and time in force (day).
pub fn parse_order(f: &OrderForm) -> Result<ManualOrder, ApiError> {
    let side = match f.side.as_str() {
        "buy" => Side::Buy,
        "sell" => Side::Sell,
        s => {
            return Err(ApiError::BadRequest(format!(
                "side must be buy or sell, not {s:?}"
            )))
        }
    };
    let qty: Decimal = f
        .qty
        .trim()
        .parse()
        .map_err(|_| ApiError::BadRequest(format!("quantity {:?} is not a number", f.qty)))?;
    let order_type = match f.order_type.as_str() {
        "" | "market" => OrderType::Market,
        "limit" => {
            let limit: Decimal = f.limit.trim().parse().map_err(|_| {
                ApiError::BadRequest(format!("limit price {:?} is not a number", f.limit))
            })?;
            OrderType::Limit {
                limit: Price(limit),
            }
        }
        "moc" => OrderType::MarketOnClose,
        t => {
            return Err(ApiError::BadRequest(format!(
                "unsupported order type {t:?}"
            )))
        }
    };
    let tif = match f.tif.as_str() {
        "" | "day" => TimeInForce::Day,
        "gtc" => TimeInForce::Gtc,
        "ioc" => TimeInForce::Ioc,
        t => {
            return Err(ApiError::BadRequest(format!(
                "unsupported time in force {t:?}"
            )))
        }
    };
    Ok(ManualOrder {
        symbol: Symbol::new(&f.symbol),
        side,
        qty: Quantity(qty),
        order_type,
        tif,
    })
}

pub async fn place_order(State(state): State<AppState>, Form(f): Form<OrderForm>) -> Response {
    let r: Result<String, ApiError> = async {
        let order = parse_order(&f)?;
        let what = orders::describe(&order);
        let ack = orders::place_manual(&state, order).await?;
        Ok(format!(
            "{what}: order {} {}{}",
            ack.client_order_id,
            ack.status.as_str(),
            ack.message.map(|m| format!(" ({m})")).unwrap_or_default()
        ))
    }
    .await;
    outcome("/orders", "order.place", r)
}

pub async fn cancel_order(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    let r = orders::cancel_manual(&state, id.clone())
        .await
        .map(|ack| format!("cancel {id}: {}", ack.status.as_str()));
    outcome("/orders", "order.cancel", r)
}

pub async fn run_plugin(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    let r = plugins::run_plugin(&state, &id).await.map(|run| {
        format!(
            "{id} ran: {} in {:.1} ms cpu{}",
            run.status.as_str(),
            run.cpu_ms,
            run.message.map(|m| format!(" ({m})")).unwrap_or_default()
        )
    });
    outcome("/flags", "plugin.run", r)
}

#[derive(Debug, Deserialize)]
pub struct LogForm {
    #[serde(default)]
    pub module: String,
    pub level: String,
}

pub async fn log_level(State(state): State<AppState>, Form(f): Form<LogForm>) -> Response {
    let edit = log::LevelEdit {
        module: Some(f.module).filter(|m| !m.trim().is_empty()),
        level: f.level,
    };
    let r = log::apply(&state, &edit).map(|d| format!("log filter now {d}"));
    outcome("/diagnostics", "log.level", r)
}

/// A gate lift from the dashboard: the note and the confirmation checkbox (`confirm=yes`).
#[derive(Debug, Deserialize)]
pub struct LiftForm {
    #[serde(default)]
    pub note: String,
    #[serde(default)]
    pub confirm: String,
}

impl LiftForm {
    fn request(&self) -> gates::LiftRequest {
        gates::LiftRequest {
            confirm: self.confirm == "yes",
            note: self.note.clone(),
        }
    }
}

pub async fn acknowledge_halt(
    State(state): State<AppState>,
    axum::Extension(user): axum::Extension<AuthUser>,
    Form(f): Form<LiftForm>,
) -> Response {
    let r = gates::acknowledge(&state, &f.request(), &user.username)
        .await
        .map(|h| {
            format!(
                "reconciliation halt of {} acknowledged: new risk may be taken again",
                h.since
            )
        });
    outcome("/", "engine.halt.ack", r)
}

pub async fn reset_losing_streak(
    State(state): State<AppState>,
    axum::Extension(user): axum::Extension<AuthUser>,
    Form(f): Form<LiftForm>,
) -> Response {
    let r = gates::reset_streak(&state, &f.request(), &user.username)
        .await
        .map(|n| format!("losing streak of {n} reset: new risk may be taken again"));
    outcome("/", "engine.streak.reset", r)
}
