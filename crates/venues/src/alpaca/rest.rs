//! The async REST client for Alpaca's Trading API v2 and Market Data API v2.
//!
//! Every answer is mapped to core types or a `BrokerError`; only calls that are safe to repeat are
//! retried (GET, DELETE, and order submission, whose client order id makes a resend detectable:
//! a retried submit answered "duplicate" adopts the order already at Alpaca).

use super::config::{AlpacaConfig, AlpacaCredentials};
use super::convert::{
    account_from_alpaca, bar_from_alpaca, instrument_from_alpaca, new_order_body,
    order_from_alpaca, parse_decimal, parse_ts, position_from_alpaca, tif_str, ConvertError,
    Timeframe,
};
use super::errors::{map_http_error, RateLimitHeaders};
use super::models::{
    AlpacaAccount, AlpacaAsset, AlpacaCalendarDay, AlpacaClock, AlpacaOrder, AlpacaPosition,
    BarsPage, ReplaceOrderBody,
};
use super::retry::{retry_delay, Backoff, Sleeper, TokioSleeper};
use super::tls;
use chrono::{NaiveDate, NaiveTime};
use optifire_core::calendar::new_york_instant;
use optifire_core::domain::{
    Bar, ClientOrderId, Instrument, Order, OrderRequest, Position, Price, Quantity, Symbol,
    TimeInForce,
};
use optifire_core::venue::{Account, BrokerError};
use optifire_core::Timestamp;
use reqwest::header::{HeaderMap, HeaderValue};
use reqwest::{Method, Url};
use serde::de::DeserializeOwned;
use std::collections::HashSet;
use std::sync::Arc;

/// Which orders `list_orders` returns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OrderQueryStatus {
    Open,
    Closed,
    All,
}

/// Price adjustment of historical bars.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Adjustment {
    Raw,
    Split,
    Dividend,
    All,
}

impl Adjustment {
    fn as_str(self) -> &'static str {
        match self {
            Adjustment::Raw => "raw",
            Adjustment::Split => "split",
            Adjustment::Dividend => "dividend",
            Adjustment::All => "all",
        }
    }
}

/// A historical bars request; `end` is inclusive as in Alpaca's API.
#[derive(Clone, Debug, PartialEq)]
pub struct BarsQuery {
    pub symbol: Symbol,
    pub timeframe: Timeframe,
    pub start: Timestamp,
    pub end: Timestamp,
    /// Bars per page (Alpaca allows 1..=10000).
    pub page_limit: u32,
    pub adjustment: Adjustment,
}

/// What to change in a working order (`PATCH /v2/orders/{id}`); `None` keeps the field.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ReplaceRequest {
    pub qty: Option<Quantity>,
    pub limit: Option<Price>,
    pub stop: Option<Price>,
    pub tif: Option<TimeInForce>,
    /// Client id of the replacement order, so a resend is detectable like a submit.
    pub client_order_id: Option<ClientOrderId>,
}

/// `GET /v2/clock`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MarketClock {
    pub now: Timestamp,
    pub is_open: bool,
    pub next_open: Timestamp,
    pub next_close: Timestamp,
}

/// One `GET /v2/calendar` day, as instants.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CalendarDay {
    pub date: NaiveDate,
    pub open: Timestamp,
    pub close: Timestamp,
}

/// The REST client. Cheap to clone (shared connection pool).
#[derive(Clone)]
pub struct AlpacaClient {
    http: reqwest::Client,
    config: AlpacaConfig,
    creds: AlpacaCredentials,
    backoff: Backoff,
    sleeper: Arc<dyn Sleeper>,
}

impl std::fmt::Debug for AlpacaClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AlpacaClient")
            .field("config", &self.config)
            .field("creds", &self.creds)
            .field("backoff", &self.backoff)
            .finish()
    }
}

fn convert_err(e: ConvertError) -> BrokerError {
    BrokerError::Other(e.to_string())
}

impl AlpacaClient {
    pub fn new(config: AlpacaConfig, creds: AlpacaCredentials) -> Result<Self, BrokerError> {
        let tls =
            tls::client_config().map_err(|e| BrokerError::Other(format!("TLS setup: {e}")))?;
        let mut headers = HeaderMap::new();
        let mut key = HeaderValue::from_str(creds.expose_key_id())
            .map_err(|_| BrokerError::Other("API key id is not a valid header value".into()))?;
        key.set_sensitive(true);
        let mut secret = HeaderValue::from_str(creds.expose_secret())
            .map_err(|_| BrokerError::Other("API secret is not a valid header value".into()))?;
        secret.set_sensitive(true);
        headers.insert("APCA-API-KEY-ID", key);
        headers.insert("APCA-API-SECRET-KEY", secret);
        let http = reqwest::Client::builder()
            .tls_backend_preconfigured(tls)
            .default_headers(headers)
            .timeout(config.timeout)
            .build()
            .map_err(|e| BrokerError::Other(creds.redact(&format!("HTTP client setup: {e}"))))?;
        Ok(AlpacaClient {
            http,
            config,
            creds,
            backoff: Backoff::default(),
            sleeper: Arc::new(TokioSleeper),
        })
    }

    pub fn with_backoff(mut self, backoff: Backoff) -> Self {
        self.backoff = backoff;
        self
    }

    /// Replaces the waiting between retries (tests record the waits instead of sleeping).
    pub fn with_sleeper(mut self, sleeper: Arc<dyn Sleeper>) -> Self {
        self.sleeper = sleeper;
        self
    }

    pub fn config(&self) -> &AlpacaConfig {
        &self.config
    }

    fn url(&self, base: &str, path: &str) -> Result<Url, BrokerError> {
        let text = format!("{}{}", base.trim_end_matches('/'), path);
        Url::parse(&text).map_err(|e| BrokerError::Other(format!("bad URL {text}: {e}")))
    }

    fn trading_url(&self, path: &str) -> Result<Url, BrokerError> {
        self.url(&self.config.trading_base_url, path)
    }

    /// One HTTP exchange: the body text of a 2xx, or the mapped error.
    async fn send_once(
        &self,
        method: Method,
        url: Url,
        body: Option<&str>,
    ) -> Result<String, BrokerError> {
        let mut rb = self.http.request(method, url);
        if let Some(b) = body {
            rb = rb
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(b.to_string());
        }
        let resp = rb.send().await.map_err(|e| self.transport_error(e))?;
        let status = resp.status();
        let header = |name: &str| {
            resp.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let rl = RateLimitHeaders {
            retry_after: header("retry-after"),
            ratelimit_reset: header("x-ratelimit-reset"),
            date: header("date"),
        };
        let text = resp.text().await.map_err(|e| self.transport_error(e))?;
        if status.is_success() {
            Ok(text)
        } else {
            Err(redact_error(
                &self.creds,
                map_http_error(status.as_u16(), &rl, &text),
            ))
        }
    }

    fn transport_error(&self, e: reqwest::Error) -> BrokerError {
        let text = self.creds.redact(&e.to_string());
        if e.is_timeout() {
            BrokerError::Transient(format!("timeout: {text}"))
        } else if e.is_connect() || e.is_request() || e.is_body() {
            BrokerError::Transient(text)
        } else {
            BrokerError::Other(text)
        }
    }

    /// Sends, repeating retryable failures up to `max_retries` times when `retry` is set.
    /// Also returns how many attempts were made, which decides how a duplicate is read.
    async fn call(
        &self,
        method: Method,
        url: Url,
        body: Option<&str>,
        retry: bool,
    ) -> (Result<String, BrokerError>, u32) {
        let mut attempt = 0u32;
        loop {
            let result = self.send_once(method.clone(), url.clone(), body).await;
            attempt += 1;
            let err = match result {
                Ok(t) => return (Ok(t), attempt),
                Err(e) => e,
            };
            let delay = retry_delay(&err, attempt - 1, &self.backoff);
            match delay {
                Some(d) if retry && attempt <= self.config.max_retries => {
                    tracing::warn!(error = %err, attempt, ?d, "alpaca call failed; retrying");
                    self.sleeper.sleep(d).await;
                }
                _ => return (Err(err), attempt),
            }
        }
    }

    async fn get_json<T: DeserializeOwned>(&self, url: Url) -> Result<T, BrokerError> {
        let text = self.call(Method::GET, url, None, true).await.0?;
        decode(&text)
    }

    pub async fn account(&self) -> Result<Account, BrokerError> {
        let a: AlpacaAccount = self.get_json(self.trading_url("/v2/account")?).await?;
        account_from_alpaca(&a).map_err(convert_err)
    }

    /// Submits an order with its client order id. Transient failures and rate limits are retried;
    /// if a retry is answered "client_order_id must be unique" the first attempt did reach Alpaca,
    /// and that order is fetched and returned. A duplicate on the first attempt is returned as
    /// `DuplicateClientOrderId` for the executor to reconcile.
    pub async fn submit_order(&self, req: &OrderRequest) -> Result<Order, BrokerError> {
        let body = serde_json::to_string(&new_order_body(req))
            .map_err(|e| BrokerError::Other(format!("encode order: {e}")))?;
        let url = self.trading_url("/v2/orders")?;
        let at_alpaca = match self.call(Method::POST, url, Some(&body), true).await {
            (Ok(text), _) => order_from_text(&text)?,
            (Err(BrokerError::DuplicateClientOrderId), attempts) if attempts > 1 => {
                tracing::info!(client_order_id = %req.client_order_id,
                    "retried submit was a duplicate; adopting the order at Alpaca");
                self.order_by_client_id(&req.client_order_id).await?
            }
            (Err(e), _) => return Err(e),
        };
        adopt(req, at_alpaca)
    }

    /// Replaces a working order (never retried: a lost answer is resolved by the trade stream or
    /// by looking up the new client order id).
    pub async fn replace_order(
        &self,
        broker_order_id: &str,
        change: &ReplaceRequest,
    ) -> Result<Order, BrokerError> {
        let body = ReplaceOrderBody {
            qty: change.qty.map(|q| q.0.normalize().to_string()),
            time_in_force: change.tif.map(tif_str),
            limit_price: change.limit.map(|p| p.0.normalize().to_string()),
            stop_price: change.stop.map(|p| p.0.normalize().to_string()),
            client_order_id: change.client_order_id.as_ref().map(|c| c.0.to_string()),
        };
        let body = serde_json::to_string(&body)
            .map_err(|e| BrokerError::Other(format!("encode replace: {e}")))?;
        let url = self.trading_url(&format!("/v2/orders/{}", path_segment(broker_order_id)))?;
        let text = self.call(Method::PATCH, url, Some(&body), false).await.0?;
        order_from_text(&text)
    }

    /// Requests cancellation of a working order by Alpaca's id.
    pub async fn cancel_order(&self, broker_order_id: &str) -> Result<(), BrokerError> {
        let url = self.trading_url(&format!("/v2/orders/{}", path_segment(broker_order_id)))?;
        self.call(Method::DELETE, url, None, true)
            .await
            .0
            .map(|_| ())
    }

    /// Cancels by our client id and returns the order's state after the request.
    pub async fn cancel_by_client_id(&self, id: &ClientOrderId) -> Result<Order, BrokerError> {
        let order = self.order_by_client_id(id).await?;
        let broker_id = order
            .broker_order_id
            .clone()
            .ok_or(BrokerError::UnknownOrder)?;
        self.cancel_order(&broker_id).await?;
        self.order(&broker_id).await
    }

    pub async fn order(&self, broker_order_id: &str) -> Result<Order, BrokerError> {
        let url = self.trading_url(&format!("/v2/orders/{}", path_segment(broker_order_id)))?;
        let o: AlpacaOrder = self.get_json(url).await?;
        order_from_alpaca(&o).map_err(convert_err)
    }

    pub async fn order_by_client_id(&self, id: &ClientOrderId) -> Result<Order, BrokerError> {
        let mut url = self.trading_url("/v2/orders:by_client_order_id")?;
        url.query_pairs_mut().append_pair("client_order_id", &id.0);
        let o: AlpacaOrder = self.get_json(url).await?;
        order_from_alpaca(&o).map_err(convert_err)
    }

    /// Orders in submission order (oldest first).
    pub async fn list_orders(
        &self,
        status: OrderQueryStatus,
        limit: u32,
    ) -> Result<Vec<Order>, BrokerError> {
        let mut url = self.trading_url("/v2/orders")?;
        let s = match status {
            OrderQueryStatus::Open => "open",
            OrderQueryStatus::Closed => "closed",
            OrderQueryStatus::All => "all",
        };
        url.query_pairs_mut()
            .append_pair("status", s)
            .append_pair("limit", &limit.to_string())
            .append_pair("direction", "asc");
        let os: Vec<AlpacaOrder> = self.get_json(url).await?;
        os.iter()
            .map(|o| order_from_alpaca(o).map_err(convert_err))
            .collect()
    }

    pub async fn positions(&self) -> Result<Vec<Position>, BrokerError> {
        let ps: Vec<AlpacaPosition> = self.get_json(self.trading_url("/v2/positions")?).await?;
        let mut out = ps
            .iter()
            .map(|p| position_from_alpaca(p).map_err(convert_err))
            .collect::<Result<Vec<_>, _>>()?;
        out.sort_by(|a, b| a.symbol.cmp(&b.symbol));
        Ok(out)
    }

    pub async fn clock(&self) -> Result<MarketClock, BrokerError> {
        let c: AlpacaClock = self.get_json(self.trading_url("/v2/clock")?).await?;
        let ts = |f, s: &str| parse_ts(f, s).map_err(convert_err);
        Ok(MarketClock {
            now: ts("timestamp", &c.timestamp)?,
            is_open: c.is_open,
            next_open: ts("next_open", &c.next_open)?,
            next_close: ts("next_close", &c.next_close)?,
        })
    }

    /// Trading days between `start` and `end` inclusive, with their open and close instants.
    pub async fn calendar(
        &self,
        start: NaiveDate,
        end: NaiveDate,
    ) -> Result<Vec<CalendarDay>, BrokerError> {
        let mut url = self.trading_url("/v2/calendar")?;
        url.query_pairs_mut()
            .append_pair("start", &start.to_string())
            .append_pair("end", &end.to_string());
        let days: Vec<AlpacaCalendarDay> = self.get_json(url).await?;
        days.iter().map(calendar_day).collect()
    }

    /// Tradable properties of US equities (`status=active`).
    pub async fn assets(&self) -> Result<Vec<Instrument>, BrokerError> {
        let mut url = self.trading_url("/v2/assets")?;
        url.query_pairs_mut()
            .append_pair("status", "active")
            .append_pair("asset_class", "us_equity");
        let assets: Vec<AlpacaAsset> = self.get_json(url).await?;
        Ok(assets.iter().map(instrument_from_alpaca).collect())
    }

    /// Historical bars, following `next_page_token` until the range is exhausted; each bar is
    /// stamped at its close.
    pub async fn bars(&self, q: &BarsQuery) -> Result<Vec<Bar>, BrokerError> {
        let path = format!("/v2/stocks/{}/bars", path_segment(q.symbol.as_str()));
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        let mut seen = HashSet::new();
        loop {
            let mut url = self.url(&self.config.data_base_url, &path)?;
            {
                let mut qp = url.query_pairs_mut();
                qp.append_pair("timeframe", &q.timeframe.param())
                    .append_pair("start", &q.start.to_string())
                    .append_pair("end", &q.end.to_string())
                    .append_pair("limit", &q.page_limit.to_string())
                    .append_pair("adjustment", q.adjustment.as_str())
                    .append_pair("feed", self.config.feed.as_str());
                if let Some(t) = &token {
                    qp.append_pair("page_token", t);
                }
            }
            let page: BarsPage = self.get_json(url).await?;
            for b in page.bars.unwrap_or_default() {
                out.push(bar_from_alpaca(&q.symbol, &b, q.timeframe).map_err(convert_err)?);
            }
            match page.next_page_token {
                Some(t) if !t.is_empty() => {
                    if !seen.insert(t.clone()) {
                        return Err(BrokerError::Other(format!(
                            "bars pagination repeated page token {t}"
                        )));
                    }
                    token = Some(t);
                }
                _ => return Ok(out),
            }
        }
    }
}

fn decode<T: DeserializeOwned>(text: &str) -> Result<T, BrokerError> {
    serde_json::from_str(text).map_err(|e| {
        BrokerError::Other(format!(
            "unexpected Alpaca response ({e}): {}",
            text.chars().take(200).collect::<String>()
        ))
    })
}

/// The order Alpaca holds under our client id, checked against what we asked for: a client id
/// reused for a different order must never be taken as ours. The returned order keeps our request
/// (as journaled) and takes the venue's state.
fn adopt(req: &OrderRequest, at_alpaca: Order) -> Result<Order, BrokerError> {
    let theirs = &at_alpaca.request;
    let expected = new_order_body(req);
    let mut diffs = Vec::new();
    if theirs.client_order_id != req.client_order_id {
        diffs.push(format!("client id {}", theirs.client_order_id));
    }
    if theirs.symbol != req.symbol {
        diffs.push(format!("symbol {}", theirs.symbol));
    }
    if theirs.side != req.side {
        diffs.push(format!("side {}", theirs.side.as_str()));
    }
    if theirs.qty.0 != req.qty.0 {
        diffs.push(format!("qty {}", theirs.qty));
    }
    let their_body = new_order_body(theirs);
    if (
        their_body.order_type,
        &their_body.limit_price,
        &their_body.stop_price,
        their_body.time_in_force,
    ) != (
        expected.order_type,
        &expected.limit_price,
        &expected.stop_price,
        expected.time_in_force,
    ) {
        diffs.push(format!(
            "{} {} limit {:?} stop {:?}",
            their_body.order_type,
            their_body.time_in_force,
            their_body.limit_price,
            their_body.stop_price
        ));
    }
    if !diffs.is_empty() {
        return Err(BrokerError::Other(format!(
            "client order id {} is held at Alpaca by a different order ({}); not adopted",
            req.client_order_id,
            diffs.join(", ")
        )));
    }
    Ok(Order {
        request: req.clone(),
        ..at_alpaca
    })
}

fn order_from_text(text: &str) -> Result<Order, BrokerError> {
    let o: AlpacaOrder = decode(text)?;
    order_from_alpaca(&o).map_err(convert_err)
}

fn calendar_day(d: &AlpacaCalendarDay) -> Result<CalendarDay, BrokerError> {
    let bad = |what: &str| BrokerError::Other(format!("calendar {what} in {d:?}"));
    let date = NaiveDate::parse_from_str(&d.date, "%Y-%m-%d").map_err(|_| bad("date"))?;
    let time = |s: &str| NaiveTime::parse_from_str(s, "%H:%M").map_err(|_| bad("time"));
    Ok(CalendarDay {
        date,
        open: new_york_instant(date, time(&d.open)?).ok_or_else(|| bad("open"))?,
        close: new_york_instant(date, time(&d.close)?).ok_or_else(|| bad("close"))?,
    })
}

/// Percent-encodes a path segment (ids and symbols are plain, but `/` in e.g. `BTC/USD` is not).
fn path_segment(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn redact_error(creds: &AlpacaCredentials, e: BrokerError) -> BrokerError {
    match e {
        BrokerError::Rejected { reason } => BrokerError::Rejected {
            reason: creds.redact(&reason),
        },
        BrokerError::Transient(t) => BrokerError::Transient(creds.redact(&t)),
        BrokerError::Other(t) => BrokerError::Other(creds.redact(&t)),
        other => other,
    }
}

/// Parses a decimal string field of a raw response (exposed for callers reading other fields).
pub fn decimal_field(field: &'static str, s: &str) -> Result<rust_decimal::Decimal, BrokerError> {
    parse_decimal(field, s).map_err(convert_err)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_segments_are_encoded() {
        assert_eq!(path_segment("BTC/USD"), "BTC%2FUSD");
        assert_eq!(path_segment("61e69015-8549"), "61e69015-8549");
    }
}
