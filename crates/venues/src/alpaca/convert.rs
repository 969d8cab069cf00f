//! Alpaca's shapes ↔ core's domain types.
//!
//! Quantities and prices are parsed from Alpaca's decimal strings exactly (no float on the way);
//! bars are stamped at their close, the convention that keeps backtests free of look-ahead.

use super::models::{
    AlpacaAccount, AlpacaAsset, AlpacaBar, AlpacaOrder, AlpacaPosition, NewOrderBody, TradeUpdate,
};
use chrono::{DateTime, NaiveDate};
use optifire_core::data::DailyClose;
use optifire_core::domain::{
    AssetClass, Bar, ClientOrderId, Fill, Instrument, Money, Order, OrderRequest, OrderStatus,
    OrderType, Position, Price, Quantity, Side, Symbol, TimeInForce,
};
use optifire_core::venue::Account;
use optifire_core::Timestamp;
use rust_decimal::Decimal;

/// A field Alpaca sent that we cannot represent faithfully.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConvertError {
    #[error("alpaca field `{field}` = {value:?}: {reason}")]
    Field {
        field: &'static str,
        value: String,
        reason: String,
    },
    #[error("alpaca field `{0}` is missing")]
    Missing(&'static str),
    #[error("unsupported by this adapter: {0}")]
    Unsupported(String),
}

fn field_err(field: &'static str, value: &str, reason: impl ToString) -> ConvertError {
    ConvertError::Field {
        field,
        value: value.to_string(),
        reason: reason.to_string(),
    }
}

/// Exact decimal from Alpaca's string; refuses anything `Decimal` would have to round.
pub fn parse_decimal(field: &'static str, s: &str) -> Result<Decimal, ConvertError> {
    Decimal::from_str_exact(s.trim()).map_err(|e| field_err(field, s, e))
}

/// RFC 3339 instant (Alpaca sends UTC with up to nanoseconds, or an offset) as a UTC timestamp.
pub fn parse_ts(field: &'static str, s: &str) -> Result<Timestamp, ConvertError> {
    DateTime::parse_from_rfc3339(s.trim())
        .map(|dt| Timestamp::from_datetime(&dt))
        .map_err(|e| field_err(field, s, e))
}

pub fn tif_str(tif: TimeInForce) -> &'static str {
    match tif {
        TimeInForce::Day => "day",
        TimeInForce::Gtc => "gtc",
        TimeInForce::Ioc => "ioc",
        TimeInForce::Fok => "fok",
        TimeInForce::Opg => "opg",
        TimeInForce::Cls => "cls",
    }
}

fn parse_tif(s: &str) -> Result<TimeInForce, ConvertError> {
    Ok(match s {
        "day" => TimeInForce::Day,
        "gtc" => TimeInForce::Gtc,
        "ioc" => TimeInForce::Ioc,
        "fok" => TimeInForce::Fok,
        "opg" => TimeInForce::Opg,
        "cls" => TimeInForce::Cls,
        other => return Err(field_err("time_in_force", other, "unknown")),
    })
}

fn parse_side(s: &str) -> Result<Side, ConvertError> {
    match s {
        "buy" => Ok(Side::Buy),
        "sell" => Ok(Side::Sell),
        other => Err(field_err("side", other, "unknown")),
    }
}

/// The `POST /v2/orders` body for a request. Market-on-close is Alpaca's market order with
/// time in force `cls`, whatever the request's own time in force says.
pub fn new_order_body(req: &OrderRequest) -> NewOrderBody {
    let (order_type, limit, stop, tif) = match req.order_type {
        OrderType::Market => ("market", None, None, req.tif),
        OrderType::Limit { limit } => ("limit", Some(limit), None, req.tif),
        OrderType::Stop { stop } => ("stop", None, Some(stop), req.tif),
        OrderType::StopLimit { stop, limit } => ("stop_limit", Some(limit), Some(stop), req.tif),
        OrderType::MarketOnClose => ("market", None, None, TimeInForce::Cls),
    };
    NewOrderBody {
        symbol: req.symbol.as_str().to_string(),
        qty: req.qty.0.normalize().to_string(),
        side: req.side.as_str(),
        order_type,
        time_in_force: tif_str(tif),
        limit_price: limit.map(|p| p.0.normalize().to_string()),
        stop_price: stop.map(|p| p.0.normalize().to_string()),
        client_order_id: req.client_order_id.0.to_string(),
    }
}

fn opt_price(field: &'static str, v: &Option<String>) -> Result<Option<Price>, ConvertError> {
    v.as_deref()
        .map(|s| parse_decimal(field, s).map(Price))
        .transpose()
}

fn required_price(field: &'static str, v: &Option<String>) -> Result<Price, ConvertError> {
    opt_price(field, v)?.ok_or(ConvertError::Missing(field))
}

/// Alpaca status → core status. Alpaca's rarer states have no core twin; they map to the
/// nearest state that keeps the order working (never to a terminal one that would let the
/// engine forget it), and the original name is kept as the reason.
pub fn status_from_alpaca(
    status: &str,
    filled: Decimal,
    qty: Decimal,
) -> Result<(OrderStatus, Option<String>), ConvertError> {
    let working = if filled.is_zero() {
        OrderStatus::Accepted
    } else {
        OrderStatus::PartiallyFilled
    };
    let mapped = match status {
        "pending_new" => OrderStatus::PendingNew,
        "new" => OrderStatus::New,
        "accepted" => OrderStatus::Accepted,
        "partially_filled" => OrderStatus::PartiallyFilled,
        "filled" => OrderStatus::Filled,
        "pending_cancel" => OrderStatus::PendingCancel,
        "canceled" => OrderStatus::Canceled,
        "expired" => OrderStatus::Expired,
        "rejected" => OrderStatus::Rejected,
        "replaced" => OrderStatus::Replaced,
        "calculated" if filled == qty && !qty.is_zero() => OrderStatus::Filled,
        "done_for_day"
        | "stopped"
        | "suspended"
        | "pending_replace"
        | "accepted_for_bidding"
        | "calculated"
        | "held" => {
            return Ok((working, Some(format!("alpaca status {status}"))));
        }
        other => return Err(field_err("status", other, "unknown order status")),
    };
    Ok((mapped, None))
}

/// An Alpaca order object as a core `Order` (request reconstructed from the venue's copy).
pub fn order_from_alpaca(o: &AlpacaOrder) -> Result<Order, ConvertError> {
    let qty_text = o.qty.as_deref().ok_or_else(|| {
        ConvertError::Unsupported(format!(
            "notional order {} (qty null); this adapter sends quantities only",
            o.id
        ))
    })?;
    let qty = parse_decimal("qty", qty_text)?;
    let filled = match o.filled_qty.as_deref() {
        Some(s) => parse_decimal("filled_qty", s)?,
        None => Decimal::ZERO,
    };
    let tif = parse_tif(&o.time_in_force)?;
    let kind = o
        .order_type
        .as_deref()
        .or(o.order_type_alias.as_deref())
        .ok_or(ConvertError::Missing("type"))?;
    let order_type = match kind {
        "market" if tif == TimeInForce::Cls => OrderType::MarketOnClose,
        "market" => OrderType::Market,
        "limit" => OrderType::Limit {
            limit: required_price("limit_price", &o.limit_price)?,
        },
        "stop" => OrderType::Stop {
            stop: required_price("stop_price", &o.stop_price)?,
        },
        "stop_limit" => OrderType::StopLimit {
            stop: required_price("stop_price", &o.stop_price)?,
            limit: required_price("limit_price", &o.limit_price)?,
        },
        other => return Err(ConvertError::Unsupported(format!("order type {other}"))),
    };
    let created_text = o
        .created_at
        .as_deref()
        .or(o.submitted_at.as_deref())
        .ok_or(ConvertError::Missing("created_at"))?;
    let created_at = parse_ts("created_at", created_text)?;
    let updated_at = match o.updated_at.as_deref() {
        Some(s) => parse_ts("updated_at", s)?,
        None => created_at,
    };
    let (status, reason) = status_from_alpaca(&o.status, filled, qty)?;
    Ok(Order {
        request: OrderRequest {
            client_order_id: ClientOrderId::new(o.client_order_id.as_str()),
            symbol: Symbol::new(&o.symbol),
            side: parse_side(&o.side)?,
            qty: Quantity(qty),
            order_type,
            tif,
            created_at,
        },
        broker_order_id: Some(o.id.as_str().into()),
        status,
        filled_qty: Quantity(filled),
        avg_fill_price: opt_price("filled_avg_price", &o.filled_avg_price)?,
        updated_at,
        reason,
    })
}

pub fn account_from_alpaca(a: &AlpacaAccount) -> Result<Account, ConvertError> {
    Ok(Account {
        cash: Money(parse_decimal("cash", &a.cash)?),
        equity: Money(parse_decimal("equity", &a.equity)?),
        buying_power: Money(parse_decimal("buying_power", &a.buying_power)?),
    })
}

/// Alpaca's position. Realized PnL is not reported by the endpoint, so it is zero here; the
/// engine's own ledger is the source of realized PnL.
pub fn position_from_alpaca(p: &AlpacaPosition) -> Result<Position, ConvertError> {
    let mut qty = parse_decimal("qty", &p.qty)?;
    // Alpaca signs short quantities; guard against a feed that only sets side.
    if p.side.as_deref() == Some("short") && qty.is_sign_positive() {
        qty = -qty;
    }
    Ok(Position {
        symbol: Symbol::new(&p.symbol),
        qty: Quantity(qty),
        avg_price: Price(parse_decimal("avg_entry_price", &p.avg_entry_price)?),
        realized_pnl: Money::ZERO,
    })
}

pub fn instrument_from_alpaca(a: &AlpacaAsset) -> Instrument {
    let asset_class = match a.class.as_str() {
        "crypto" => AssetClass::Crypto,
        _ => AssetClass::Equity,
    };
    Instrument {
        symbol: Symbol::new(&a.symbol),
        asset_class,
        tradable: a.tradable && a.status == "active",
        fractionable: a.fractionable,
        shortable: a.shortable,
        easy_to_borrow: a.easy_to_borrow,
    }
}

/// Bar sizes the adapter requests; each knows its length so a bar can be stamped at its close.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Timeframe {
    /// 1..=59 minutes.
    Minutes(u32),
    /// 1..=23 hours.
    Hours(u32),
    /// One regular session; stamped at 16:00 New York of the session date.
    Day,
}

impl Timeframe {
    /// Alpaca's `timeframe` parameter: `5Min`, `1Hour`, `1Day`.
    pub fn param(self) -> String {
        match self {
            Timeframe::Minutes(n) => format!("{n}Min"),
            Timeframe::Hours(n) => format!("{n}Hour"),
            Timeframe::Day => "1Day".to_string(),
        }
    }

    /// The instant a bar that started at `start` became known.
    pub fn close_of(self, start: Timestamp) -> Option<Timestamp> {
        match self {
            Timeframe::Minutes(n) => Some(start.plus_secs(i64::from(n) * 60)),
            Timeframe::Hours(n) => Some(start.plus_secs(i64::from(n) * 3600)),
            Timeframe::Day => DailyClose::ExchangeClose.known_at(session_date(start)),
        }
    }
}

/// Alpaca stamps a daily bar at 00:00 New York of its session date.
fn session_date(start: Timestamp) -> NaiveDate {
    start.ny_date()
}

/// A bar of `symbol`, stamped at its close.
pub fn bar_from_alpaca(
    symbol: &Symbol,
    b: &AlpacaBar,
    timeframe: Timeframe,
) -> Result<Bar, ConvertError> {
    let start = parse_ts("t", &b.t)?;
    let ts = timeframe
        .close_of(start)
        .ok_or_else(|| field_err("t", &b.t, "no close instant for this start"))?;
    Ok(Bar {
        symbol: symbol.clone(),
        ts,
        open: b.o,
        high: b.h,
        low: b.l,
        close: b.c,
        volume: b.v,
    })
}

/// The fill of a `fill`/`partial_fill` trade update, or `None` for other events.
///
/// Quantity is the event's `qty` when sent; otherwise the growth of the order's `filled_qty`
/// since `previous_filled` (what the stream had seen for that order). The id is Alpaca's
/// `execution_id`, or `order id:timestamp:qty` when absent, so a replayed event is still
/// recognised as the same execution.
pub fn fill_from_trade_update(
    u: &TradeUpdate,
    previous_filled: Decimal,
) -> Result<Option<Fill>, ConvertError> {
    if u.event != "fill" && u.event != "partial_fill" {
        return Ok(None);
    }
    let o = &u.order;
    let cumulative = parse_decimal(
        "filled_qty",
        o.filled_qty
            .as_deref()
            .ok_or(ConvertError::Missing("order.filled_qty"))?,
    )?;
    let qty = match u.qty.as_deref() {
        Some(q) => parse_decimal("qty", q)?,
        None => cumulative - previous_filled,
    };
    if qty <= Decimal::ZERO {
        return Err(field_err(
            "qty",
            &qty.to_string(),
            "fill event without a positive execution quantity",
        ));
    }
    let price = match u.price.as_deref() {
        Some(p) => parse_decimal("price", p)?,
        None => required_price("order.filled_avg_price", &o.filled_avg_price)?.0,
    };
    let ts_text = u
        .timestamp
        .as_deref()
        .or(o.filled_at.as_deref())
        .or(o.updated_at.as_deref())
        .ok_or(ConvertError::Missing("timestamp"))?;
    let ts = parse_ts("timestamp", ts_text)?;
    let fill_id = match u.execution_id.as_deref() {
        Some(id) if !id.is_empty() => id.into(),
        _ => format!("{}:{}:{}", o.id, ts.nanos(), qty.normalize()).into(),
    };
    Ok(Some(Fill {
        fill_id,
        client_order_id: ClientOrderId::new(o.client_order_id.as_str()),
        symbol: Symbol::new(&o.symbol),
        side: parse_side(&o.side)?,
        qty: Quantity(qty),
        price: Price(price),
        commission: Money::ZERO,
        ts,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn req(order_type: OrderType, tif: TimeInForce) -> OrderRequest {
        OrderRequest {
            client_order_id: ClientOrderId("c-1".into()),
            symbol: "spy".into(),
            side: Side::Sell,
            qty: Quantity(dec!(1.50)),
            order_type,
            tif,
            created_at: Timestamp(0),
        }
    }

    #[test]
    fn order_bodies_follow_alpaca_fields() {
        let b = new_order_body(&req(OrderType::MarketOnClose, TimeInForce::Day));
        assert_eq!(
            (b.order_type, b.time_in_force, b.qty.as_str()),
            ("market", "cls", "1.5")
        );
        let b = new_order_body(&req(
            OrderType::StopLimit {
                stop: Price(dec!(99.10)),
                limit: Price(dec!(99.05)),
            },
            TimeInForce::Gtc,
        ));
        let json = serde_json::to_value(&b).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"symbol":"SPY","qty":"1.5","side":"sell","type":"stop_limit",
                "time_in_force":"gtc","limit_price":"99.05","stop_price":"99.1",
                "client_order_id":"c-1"})
        );
    }

    #[test]
    fn decimals_are_exact_or_refused() {
        assert_eq!(parse_decimal("x", "0.1").unwrap(), dec!(0.1));
        assert_eq!(
            parse_decimal("x", "187.123456789").unwrap(),
            dec!(187.123456789)
        );
        assert!(parse_decimal("x", "abc").is_err());
        // 30 significant digits cannot be held exactly by Decimal's 96-bit mantissa.
        assert!(parse_decimal("x", "0.123456789012345678901234567890123").is_err());
    }

    #[test]
    fn rare_statuses_stay_working() {
        let (s, r) = status_from_alpaca("done_for_day", dec!(2), dec!(5)).unwrap();
        assert_eq!(s, OrderStatus::PartiallyFilled);
        assert_eq!(r.as_deref(), Some("alpaca status done_for_day"));
        assert!(status_from_alpaca("bogus", dec!(0), dec!(1)).is_err());
    }

    #[test]
    fn bars_are_stamped_at_their_close() {
        // Intraday: a 5-minute bar starting 14:30Z closes 14:35Z.
        let start = parse_ts("t", "2024-07-01T14:30:00Z").unwrap();
        assert_eq!(
            Timeframe::Minutes(5).close_of(start).unwrap().to_string(),
            "2024-07-01T14:35:00Z"
        );
        // Daily: Alpaca's 2022-02-28T05:00:00Z (00:00 EST) is the 28 Feb session, 16:00 EST = 21:00Z.
        let start = parse_ts("t", "2022-02-28T05:00:00Z").unwrap();
        assert_eq!(
            Timeframe::Day.close_of(start).unwrap().to_string(),
            "2022-02-28T21:00:00Z"
        );
        // Summer: 2024-07-01T04:00:00Z (00:00 EDT) closes 20:00Z.
        let start = parse_ts("t", "2024-07-01T04:00:00Z").unwrap();
        assert_eq!(
            Timeframe::Day.close_of(start).unwrap().to_string(),
            "2024-07-01T20:00:00Z"
        );
        assert_eq!(Timeframe::Hours(1).param(), "1Hour");
    }
}
