//! The router: which order type and time in force each planned order goes out with.
//!
//! Market by default; a limit through the mid when a quote is known and the config asks for
//! limits; market-on-close in the minutes before the MOC cutoff. Session times come from the
//! NYSE calendar, so early closes (13:00) move the cutoff with them.

use chrono::{NaiveTime, Timelike};
use optifire_core::calendar::{new_york_instant, NyseCalendar, REGULAR_CLOSE};
use optifire_core::config::ExecutionConfig;
use optifire_core::domain::{OrderType, Price, Quote, Side, TimeInForce};
use optifire_core::Timestamp;
use rust_decimal::prelude::FromPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

use super::planner::PlannedOrder;

/// Router settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RouterConfig {
    /// Price orders as limits when a quote is known.
    pub use_limits: bool,
    /// Basis points through the mid: buys at mid × (1 + offset), sells at mid × (1 − offset).
    pub limit_offset_bps: f64,
    /// Route to the closing auction in the window before the MOC cutoff.
    pub use_moc: bool,
    /// The last New York time MOC orders are accepted on a regular (16:00) day.
    pub moc_cutoff: NaiveTime,
    /// How long before the cutoff orders start going to the closing auction.
    pub moc_window_mins: i64,
    /// Decimals of a limit price (2: cents).
    pub price_decimals: u32,
}

/// Why the execution config cannot be used by the router.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RouterError {
    #[error("execution.moc_cutoff {0:?} is not HH:MM")]
    BadCutoff(String),
}

/// Minutes before the cutoff that orders start routing to the close, absent a config key.
pub const DEFAULT_MOC_WINDOW_MINS: i64 = 30;

impl RouterConfig {
    /// From `config.yaml`'s execution section; limits and MOC are switched on by the caller
    /// (exec plugins), not by the config.
    pub fn from_execution(e: &ExecutionConfig) -> Result<RouterConfig, RouterError> {
        let moc_cutoff = NaiveTime::parse_from_str(&e.moc_cutoff, "%H:%M")
            .map_err(|_| RouterError::BadCutoff(e.moc_cutoff.clone()))?;
        Ok(RouterConfig {
            use_limits: false,
            limit_offset_bps: e.limit_offset_bps,
            use_moc: false,
            moc_cutoff,
            moc_window_mins: DEFAULT_MOC_WINDOW_MINS,
            price_decimals: 2,
        })
    }
}

/// What the router chose and why.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "route")]
pub enum RouteDecision {
    Market,
    /// Crypto trades around the clock: market, good till canceled (Alpaca refuses `day`).
    MarketGtc,
    Limit {
        mid: f64,
        limit: Price,
    },
    /// Inside `[cutoff − window, cutoff)` of today's session.
    MarketOnClose {
        cutoff: Timestamp,
    },
    /// Past the cutoff and before the close: the auction no longer takes orders (Alpaca
    /// rejects `cls` after 15:50 ET), so the order goes out as a plain market order.
    MarketPastMocCutoff {
        cutoff: Timestamp,
    },
}

/// Chooses order types with the NYSE calendar.
#[derive(Clone, Debug)]
pub struct Router {
    pub config: RouterConfig,
    calendar: NyseCalendar,
}

impl Router {
    pub fn new(config: RouterConfig) -> Router {
        Router {
            config,
            calendar: NyseCalendar::new(),
        }
    }

    /// The MOC cutoff of the session trading at `now`, or `None` outside a session. The lead
    /// time before the close is the regular day's (16:00 − `moc_cutoff`, 10 minutes with
    /// 15:50), applied to the actual close: 12:50 on a 13:00 early close, as NYSE does.
    pub fn moc_cutoff(&self, now: Timestamp) -> Option<Timestamp> {
        let session = self.calendar.session(now.ny_date())?;
        if !session.contains(now) {
            return None;
        }
        let regular_close = NaiveTime::from_hms_opt(REGULAR_CLOSE.0, REGULAR_CLOSE.1, 0)?;
        let lead_secs = i64::from(regular_close.num_seconds_from_midnight())
            - i64::from(self.config.moc_cutoff.num_seconds_from_midnight());
        let regular_cutoff = new_york_instant(session.date, self.config.moc_cutoff)?;
        Some(regular_cutoff.min(session.close.plus_secs(-lead_secs)))
    }

    /// Sets `order.order_type` and `order.tif` and says why. Rules, first match wins:
    /// 1. crypto (no exchange calendar): market, GTC;
    /// 2. MOC on, `now` in `[cutoff − window, cutoff)`: `MarketOnClose`, TIF `Cls`;
    /// 3. MOC on, `now` in `[cutoff, close)`: market (too late for the auction; noted);
    /// 4. limits on and a sane quote (bid > 0, ask ≥ bid): limit at mid ± offset, rounded to
    ///    the tick toward the passive side (buys down, sells up), so it never pays more than
    ///    the offset;
    /// 5. market, day.
    pub fn route(
        &self,
        now: Timestamp,
        order: &mut PlannedOrder,
        quote: Option<&Quote>,
    ) -> RouteDecision {
        if !order.instrument.follows_exchange_calendar() {
            order.order_type = OrderType::Market;
            order.tif = TimeInForce::Gtc;
            return RouteDecision::MarketGtc;
        }
        if self.config.use_moc {
            if let Some(cutoff) = self.moc_cutoff(now) {
                let start = cutoff.plus_secs(-self.config.moc_window_mins * 60);
                if start <= now && now < cutoff {
                    order.order_type = OrderType::MarketOnClose;
                    order.tif = TimeInForce::Cls;
                    return RouteDecision::MarketOnClose { cutoff };
                }
                if now >= cutoff {
                    order.order_type = OrderType::Market;
                    order.tif = TimeInForce::Day;
                    return RouteDecision::MarketPastMocCutoff { cutoff };
                }
            }
        }
        if self.config.use_limits {
            if let Some((mid, limit)) = quote.and_then(|q| self.limit_price(order.side, q)) {
                order.order_type = OrderType::Limit { limit };
                order.tif = TimeInForce::Day;
                return RouteDecision::Limit { mid, limit };
            }
        }
        order.order_type = OrderType::Market;
        order.tif = TimeInForce::Day;
        RouteDecision::Market
    }

    fn limit_price(&self, side: Side, q: &Quote) -> Option<(f64, Price)> {
        if !(q.bid > 0.0 && q.ask >= q.bid && q.ask.is_finite()) {
            return None;
        }
        let mid = q.mid();
        let off = self.config.limit_offset_bps / 10_000.0;
        let raw = mid * (1.0 + f64::from(side.sign()) * off);
        let strategy = match side {
            Side::Buy => RoundingStrategy::ToNegativeInfinity,
            Side::Sell => RoundingStrategy::ToPositiveInfinity,
        };
        // Round the f64 to 10 decimals first so binary noise (100.04999999) cannot move a tick.
        let px = Decimal::from_f64(raw)?
            .round_dp(10)
            .round_dp_with_strategy(self.config.price_decimals, strategy);
        (px > Decimal::ZERO).then_some((mid, Price(px)))
    }
}
