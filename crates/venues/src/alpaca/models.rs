//! Alpaca's JSON shapes, field for field as documented (Trading API v2, Market Data API v2).
//!
//! Decimal fields stay strings here (Alpaca sends `"qty": "10"`); `convert` parses them exactly,
//! so no price or quantity ever passes through a float on its way into the ledger.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// An order object (`/v2/orders`, and `order` inside a trade update).
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct AlpacaOrder {
    pub id: String,
    pub client_order_id: String,
    #[serde(default)]
    pub created_at: Option<String>,
    #[serde(default)]
    pub updated_at: Option<String>,
    #[serde(default)]
    pub submitted_at: Option<String>,
    #[serde(default)]
    pub filled_at: Option<String>,
    pub symbol: String,
    #[serde(default)]
    pub asset_class: Option<String>,
    #[serde(default)]
    pub notional: Option<String>,
    #[serde(default)]
    pub qty: Option<String>,
    #[serde(default)]
    pub filled_qty: Option<String>,
    #[serde(default)]
    pub filled_avg_price: Option<String>,
    #[serde(rename = "type", default)]
    pub order_type: Option<String>,
    #[serde(rename = "order_type", default)]
    pub order_type_alias: Option<String>,
    pub side: String,
    pub time_in_force: String,
    #[serde(default)]
    pub limit_price: Option<String>,
    #[serde(default)]
    pub stop_price: Option<String>,
    pub status: String,
    #[serde(default)]
    pub replaced_by: Option<String>,
    #[serde(default)]
    pub replaces: Option<String>,
}

/// The body of `POST /v2/orders`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NewOrderBody {
    pub symbol: String,
    pub qty: String,
    pub side: &'static str,
    #[serde(rename = "type")]
    pub order_type: &'static str,
    pub time_in_force: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit_price: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stop_price: Option<String>,
    pub client_order_id: String,
}

/// The body of `PATCH /v2/orders/{order_id}`: only the fields being changed.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ReplaceOrderBody {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub qty: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_in_force: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit_price: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stop_price: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_order_id: Option<String>,
}

/// `GET /v2/account` (the fields the engine uses).
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct AlpacaAccount {
    pub id: String,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub currency: Option<String>,
    pub cash: String,
    pub equity: String,
    pub buying_power: String,
    #[serde(default)]
    pub trading_blocked: Option<bool>,
}

/// `GET /v2/positions` element.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct AlpacaPosition {
    pub symbol: String,
    pub qty: String,
    pub avg_entry_price: String,
    #[serde(default)]
    pub side: Option<String>,
    #[serde(default)]
    pub market_value: Option<String>,
    #[serde(default)]
    pub current_price: Option<String>,
}

/// `GET /v2/clock`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct AlpacaClock {
    pub timestamp: String,
    pub is_open: bool,
    pub next_open: String,
    pub next_close: String,
}

/// `GET /v2/calendar` element: New York local date and times.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct AlpacaCalendarDay {
    pub date: String,
    pub open: String,
    pub close: String,
}

/// `GET /v2/assets` element.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct AlpacaAsset {
    pub id: String,
    pub class: String,
    #[serde(default)]
    pub exchange: Option<String>,
    pub symbol: String,
    #[serde(default)]
    pub name: Option<String>,
    pub status: String,
    pub tradable: bool,
    #[serde(default)]
    pub marginable: bool,
    #[serde(default)]
    pub shortable: bool,
    #[serde(default)]
    pub easy_to_borrow: bool,
    #[serde(default)]
    pub fractionable: bool,
}

/// One bar of `GET /v2/stocks/{symbol}/bars` (and `"T":"b"` on the stream): `t` is the start.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct AlpacaBar {
    pub t: String,
    pub o: f64,
    pub h: f64,
    pub l: f64,
    pub c: f64,
    pub v: f64,
    #[serde(default)]
    pub n: Option<u64>,
    #[serde(default)]
    pub vw: Option<f64>,
}

/// `GET /v2/stocks/{symbol}/bars` page.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct BarsPage {
    #[serde(default)]
    pub bars: Option<Vec<AlpacaBar>>,
    #[serde(default)]
    pub symbol: Option<String>,
    #[serde(default)]
    pub next_page_token: Option<String>,
}

/// Multi-symbol page (`GET /v2/stocks/bars`), kept for callers that batch symbols.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct MultiBarsPage {
    #[serde(default)]
    pub bars: BTreeMap<String, Vec<AlpacaBar>>,
    #[serde(default)]
    pub next_page_token: Option<String>,
}

/// `{"stream": "trade_updates", "data": {...}}` and the control messages of the trading stream.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct TradingStreamMessage {
    pub stream: String,
    #[serde(default)]
    pub data: serde_json::Value,
}

/// The `data` of a `trade_updates` message. `price` and `qty` are strings in the current docs and
/// numbers in older examples; both are accepted as their literal text.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct TradeUpdate {
    pub event: String,
    #[serde(default)]
    pub execution_id: Option<String>,
    pub order: AlpacaOrder,
    #[serde(default)]
    pub timestamp: Option<String>,
    #[serde(default, deserialize_with = "decimal_text")]
    pub price: Option<String>,
    #[serde(default, deserialize_with = "decimal_text")]
    pub qty: Option<String>,
    #[serde(default, deserialize_with = "decimal_text")]
    pub position_qty: Option<String>,
}

/// A JSON string or number as its literal text (numbers printed shortest-round-trip).
fn decimal_text<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let v = Option::<serde_json::Value>::deserialize(d)?;
    Ok(match v {
        Some(serde_json::Value::String(s)) => Some(s),
        Some(serde_json::Value::Number(n)) => Some(n.to_string()),
        _ => None,
    })
}

/// One element of a market-data stream array, keyed by `"T"`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(tag = "T")]
pub enum DataStreamMessage {
    #[serde(rename = "success")]
    Success { msg: String },
    #[serde(rename = "error")]
    Error { code: i64, msg: String },
    #[serde(rename = "subscription")]
    Subscription {
        #[serde(default)]
        trades: Vec<String>,
        #[serde(default)]
        quotes: Vec<String>,
        #[serde(default)]
        bars: Vec<String>,
    },
    #[serde(rename = "b")]
    Bar {
        #[serde(rename = "S")]
        symbol: String,
        #[serde(flatten)]
        bar: AlpacaBar,
    },
    #[serde(rename = "q")]
    Quote {
        #[serde(rename = "S")]
        symbol: String,
        bp: f64,
        bs: f64,
        ap: f64,
        #[serde(rename = "as")]
        ask_size: f64,
        t: String,
    },
    #[serde(rename = "t")]
    Trade {
        #[serde(rename = "S")]
        symbol: String,
        p: f64,
        s: f64,
        t: String,
    },
    /// Daily bars, updated bars, statuses, LULDs...: not used, kept out of the way.
    #[serde(other)]
    Other,
}
