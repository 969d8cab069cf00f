//! The simulated exchange: a deterministic broker for backtests and paper trading.
//!
//! It matches working orders against bars the driver feeds it and keeps its own books, so the
//! engine talks to it through core's `Broker` exactly as it talks to Alpaca. Same inputs give
//! identical outputs: no clocks, no randomness, ordered maps only.
//!
//! # Rules
//! * **Which bar.** `Bar.ts` is the instant the bar closed. An order is matched only against
//!   bars whose `ts` is later than the order's `created_at`: an order placed after seeing bar t
//!   first meets bar t+1. Orders on one bar are
//!   handled in submission order, continuous-session orders before the closing auction.
//! * **Market** fills at the next bar's open, moved by the slippage model (buys pay up, sells
//!   receive less) and rounded to the tick.
//! * **Limit** fills when the bar's range reaches the limit (buy: low ≤ limit) at the better of
//!   open and limit (a gap through the limit fills at the open); sells mirror it. No slippage.
//! * **Stop** triggers when the bar trades through the stop (buy: high ≥ stop; sell: low ≤
//!   stop) and fills like a market order at the worse of open and stop (a gap fills at the open),
//!   then slippage. **Stop-limit** triggers the same way; in the triggering bar it fills at the
//!   trigger price if that is within the limit, or at the limit if the bar gapped through the
//!   stop and its range reaches the limit; otherwise it rests as a limit order.
//! * **On close** (`OrderType::MarketOnClose`, or `TimeInForce::Cls`): fills at the close of the
//!   bar flagged `is_session_close` (market: with slippage; limit-on-close: only if the close is
//!   within the limit). Whatever does not fill there expires.
//! * **Time in force.** `Day` orders still working after the session's closing bar expire;
//!   `Gtc` persist; `Ioc` fills what it can on its first bar and cancels the rest; `Fok` fills
//!   whole on its first bar or is canceled. `Opg` is refused (bars carry no opening-auction flag).
//! * **Volume.** With `FillRules::participation = Some(p)`, orders on a symbol share at most
//!   p × bar volume per bar (whole shares unless fractionable); the rest stays working
//!   (`PartiallyFilled`).
//! * **Costs.** Fill prices are exact decimals on the tick grid; commissions follow
//!   `CommissionModel` and are charged per order (see `commission`).
//! * **Rejects at submit** (with the reason): non-positive quantity, fractional quantity of a
//!   non-fractionable instrument, untradable instrument (an index such as VIX), non-positive or
//!   sub-tick limit/stop price, unsupported time in force, a short sale of an instrument that is
//!   not shortable or not easy to borrow, and insufficient buying power (1×: equity − gross
//!   position value − open orders' reservations) for the part of the order that opens exposure.
//!   Reducing orders are never refused for buying power.
//! * A refused order is not recorded: `submit` returns `BrokerError::Rejected` with the reason
//!   and the client id stays free, as with Alpaca's 403/422 answers. A bar with a NaN, negative
//!   or zero price, or one not later than the symbol's previous bar, is refused by `on_bar`
//!   before anything is matched.
//! * **Ids.** Venue order ids are `sim-{n}` in submission order; fill ids are
//!   `sim-{client_order_id}-{k}` for the order's k-th fill. A fill's `ts` is the bar's `ts`.
//!
//! Cash may end below zero when a buy fills above the price its buying-power check assumed
//! (gap, slippage), as it would on a margin account; the check prices market orders at the last
//! close seen, buy limits at their limit, and stops and sells at the higher of mark and order
//! price.

mod account;
pub mod commission;
pub mod config;
pub mod matching;
pub mod slippage;

pub use commission::CommissionModel;
pub use config::{FillRules, SimConfig};
pub use slippage::SlippageModel;

use account::{opening_qty, SimAccount};
use matching::{match_bar, match_close, BarPrices, Execution};
use optifire_core::domain::{
    Bar, ClientOrderId, Fill, IdHash, Instrument, LedgerError, Money, Order, OrderRequest,
    OrderStatus, OrderType, Portfolio, Position, Price, Quantity, Side, Symbol, TimeInForce,
};
use optifire_core::venue::{Account, Broker, BrokerError, VenueUpdate};
use optifire_core::Timestamp;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

/// What the driver knows about the bar it passes to `on_bar`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionInfo {
    /// This is the session's last bar: the closing auction runs and Day orders expire after it.
    /// Every daily bar is one.
    pub is_session_close: bool,
}

impl SessionInfo {
    pub const fn close() -> Self {
        SessionInfo {
            is_session_close: true,
        }
    }
    pub const fn intraday() -> Self {
        SessionInfo {
            is_session_close: false,
        }
    }
}

/// Why the exchange could not process a bar.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SimError {
    #[error("bar for {symbol} at {ts} is invalid: {defects}")]
    InvalidBar {
        symbol: Symbol,
        ts: Timestamp,
        defects: String,
    },
    /// Bars of a symbol must arrive in time order, each once: a replayed bar would match orders
    /// against prices they were decided on.
    #[error("bar for {symbol} at {ts} is not after the previous one at {last}")]
    OutOfOrder {
        symbol: Symbol,
        ts: Timestamp,
        last: Timestamp,
    },
    #[error("invalid simulator configuration: {0}")]
    Config(String),
    #[error("the ledger refused a simulated fill: {0}")]
    Ledger(#[from] LedgerError),
}

/// An order plus the exchange's private state about it.
#[derive(Clone, Debug)]
struct SimOrder {
    order: Order,
    fills: u32,
    /// The stop has been traded through.
    triggered: bool,
    /// Cumulative executed value, for the average price and per-order commissions.
    executed_value: Money,
    /// Shares of the order that open exposure, and the price they were reserved at.
    opening_qty: Decimal,
    reserve_price: Decimal,
}

impl SimOrder {
    fn reserved(&self) -> Decimal {
        self.opening_qty.min(self.order.remaining_qty().0) * self.reserve_price
    }
    fn on_close(&self) -> bool {
        self.order.request.order_type == OrderType::MarketOnClose
            || self.order.request.tif == TimeInForce::Cls
    }
}

/// The deterministic simulated exchange. See the module doc for its rules.
#[derive(Debug)]
pub struct SimExchange {
    config: SimConfig,
    instruments: BTreeMap<Symbol, Instrument>,
    account: SimAccount,
    /// Every accepted order, in submission order. Orders are addressed by their position here:
    /// a bar's matching asks about its working orders a dozen times, and looking a text id up
    /// in a map each time was most of the cost of handing a bar over.
    orders: Vec<SimOrder>,
    /// Where each client id's order is in `orders` (looked up, never iterated: see `IdHash`).
    order_at: HashMap<ClientOrderId, usize, IdHash>,
    /// Working orders (positions in `orders`) in submission order.
    working: Vec<usize>,
    updates: Vec<VenueUpdate>,
    /// `on_bar`'s list of the bar's eligible orders, kept between bars so handing over a bar
    /// with orders working does not allocate.
    eligible: Vec<usize>,
    /// The last bar's `ts` per symbol.
    last_bar: BTreeMap<Symbol, Timestamp>,
    submitted: u64,
    /// The latest instant the exchange has seen (bar or request); stamps cancels and expiries.
    now: Timestamp,
}

impl SimExchange {
    /// Refuses a configuration that `SimConfig::validate` rejects.
    pub fn new(config: SimConfig) -> Result<Self, SimError> {
        config.validate().map_err(SimError::Config)?;
        Ok(SimExchange {
            account: SimAccount::new(config.starting_cash),
            config,
            instruments: BTreeMap::new(),
            orders: Vec::new(),
            order_at: HashMap::default(),
            working: Vec::new(),
            updates: Vec::new(),
            eligible: Vec::new(),
            last_bar: BTreeMap::new(),
            submitted: 0,
            now: Timestamp::MIN,
        })
    }

    /// Declares an instrument's trading properties; undeclared symbols use `Instrument::infer`.
    pub fn add_instrument(&mut self, instrument: Instrument) {
        self.instruments
            .insert(instrument.symbol.clone(), instrument);
    }

    pub fn instrument(&self, symbol: &Symbol) -> Instrument {
        self.instruments
            .get(symbol)
            .cloned()
            .unwrap_or_else(|| Instrument::infer(symbol))
    }

    pub fn config(&self) -> &SimConfig {
        &self.config
    }

    /// The exchange's ledger (cash, positions, commissions paid).
    pub fn portfolio(&self) -> &Portfolio {
        self.account.portfolio()
    }

    /// Room for `n` more orders without growing the books (a hint, like `Vec::reserve`): a
    /// driver that knows how many orders it may send saves the copies and fresh pages of
    /// growing them one order at a time.
    pub fn reserve_orders(&mut self, n: usize) {
        self.orders.reserve(n);
        self.order_at.reserve(n);
        // A market order fills once, unless a volume cap splits it.
        self.account.reserve_fills(n);
    }

    /// `drain_updates` into `out`, keeping the exchange's buffer (and, when `out` is empty,
    /// swapping buffers so neither side allocates again): for drivers that take the updates
    /// after every bar.
    pub fn take_updates_into(&mut self, out: &mut Vec<VenueUpdate>) {
        if out.is_empty() {
            std::mem::swap(out, &mut self.updates);
        } else {
            out.append(&mut self.updates);
        }
    }

    /// Sets the price used to value positions and check buying power, e.g. from a quote.
    /// `on_bar` sets it to each bar's close.
    pub fn set_mark(&mut self, symbol: &Symbol, price: Price) {
        self.account.set_mark(symbol, price);
    }

    /// Matches working orders on `bar.symbol` against `bar`; on the session's closing bar also
    /// runs the closing auction and expires that symbol's Day orders.
    pub fn on_bar(&mut self, bar: &Bar, session: SessionInfo) -> Result<(), SimError> {
        let decimals = self.config.fill.price_decimals;
        let px = match BarPrices::from_bar(bar, decimals) {
            Some(px) if bar.is_valid() && px.low > Decimal::ZERO => px,
            _ => {
                let mut defects: Vec<String> =
                    bar.defects().iter().map(|d| d.to_string()).collect();
                if defects.is_empty() {
                    defects.push("a price rounds to zero or below".into());
                }
                return Err(SimError::InvalidBar {
                    symbol: bar.symbol.clone(),
                    ts: bar.ts,
                    defects: defects.join("; "),
                });
            }
        };
        match self.last_bar.get_mut(&bar.symbol) {
            Some(last) if bar.ts <= *last => {
                return Err(SimError::OutOfOrder {
                    symbol: bar.symbol.clone(),
                    ts: bar.ts,
                    last: *last,
                });
            }
            Some(last) => *last = bar.ts,
            None => {
                self.last_bar.insert(bar.symbol.clone(), bar.ts);
            }
        }
        self.now = self.now.max(bar.ts);
        self.account.set_mark(&bar.symbol, Price(px.close));
        let mut available = self.volume_cap(bar);
        let mut eligible = std::mem::take(&mut self.eligible);
        eligible.clear();
        eligible.extend(self.working.iter().copied().filter(|&k| {
            let req = &self.orders[k].order.request;
            req.symbol == bar.symbol && req.created_at < bar.ts
        }));
        let done = self.match_eligible(&eligible, bar, &px, session, &mut available);
        self.eligible = eligible;
        done?;
        self.prune_working();
        Ok(())
    }

    /// `on_bar`'s matching of the bar's eligible orders (positions in `orders`).
    fn match_eligible(
        &mut self,
        eligible: &[usize],
        bar: &Bar,
        px: &BarPrices,
        session: SessionInfo,
        available: &mut Option<Decimal>,
    ) -> Result<(), SimError> {
        for &k in eligible {
            let so = &mut self.orders[k];
            if so.on_close() {
                continue;
            }
            let req = &so.order.request;
            let m = match_bar(&req.order_type, req.side, so.triggered, px);
            so.triggered = m.triggered;
            self.execute(k, m.execution, bar, available)?;
            self.finish_immediate(k);
        }

        if session.is_session_close {
            for &k in eligible {
                let so = &self.orders[k];
                if !so.on_close() || so.order.status.is_terminal() {
                    continue;
                }
                let req = &so.order.request;
                let execution = match_close(&req.order_type, req.side, px);
                self.execute(k, execution, bar, available)?;
                self.end(k, OrderStatus::Expired, "not filled in the closing auction");
            }
            for &k in eligible {
                if self.orders[k].order.request.tif == TimeInForce::Day {
                    self.end(
                        k,
                        OrderStatus::Expired,
                        "day order expired at the session close",
                    );
                }
            }
        }
        Ok(())
    }

    /// Expires every Day order placed before `ts` that is still working, for drivers whose
    /// session ended without a closing bar for some symbol (halt, missing data).
    pub fn end_of_session(&mut self, ts: Timestamp) {
        self.now = self.now.max(ts);
        let day: Vec<usize> = self
            .working
            .iter()
            .copied()
            .filter(|&k| {
                let req = &self.orders[k].order.request;
                req.tif == TimeInForce::Day && req.created_at < ts
            })
            .collect();
        for &k in &day {
            self.end(
                k,
                OrderStatus::Expired,
                "day order expired at the session close",
            );
        }
        self.prune_working();
    }

    /// Shares the symbol's orders may still take from this bar; `None` is unlimited.
    fn volume_cap(&self, bar: &Bar) -> Option<Decimal> {
        let p = self.config.fill.participation?;
        let raw = Decimal::from_f64_retain(p * bar.volume)
            .unwrap_or(Decimal::ZERO)
            .round_dp(8)
            .max(Decimal::ZERO);
        Some(if self.instrument(&bar.symbol).fractionable {
            raw.round_dp_with_strategy(9, RoundingStrategy::ToZero)
        } else {
            raw.floor()
        })
    }

    /// Fills as much of the order as the execution, the volume cap and FOK allow.
    fn execute(
        &mut self,
        k: usize,
        execution: Option<Execution>,
        bar: &Bar,
        available: &mut Option<Decimal>,
    ) -> Result<(), SimError> {
        let Some(execution) = execution else {
            return Ok(());
        };
        let so = &self.orders[k];
        let remaining = so.order.remaining_qty().0;
        let mut qty = available.map_or(remaining, |a| a.min(remaining));
        if so.order.request.tif == TimeInForce::Fok && qty < remaining {
            qty = Decimal::ZERO;
        }
        if qty <= Decimal::ZERO {
            return Ok(());
        }
        let side = so.order.request.side;
        let price = match execution {
            Execution::Market(p) => self.config.slippage.apply(
                side,
                Price(p),
                Quantity(qty),
                bar.volume,
                self.config.fill.price_decimals,
            ),
            Execution::Limit(p) => Price(p),
        };
        if let Some(a) = available.as_mut() {
            *a -= qty;
        }
        self.fill(k, Quantity(qty), price, bar.ts)
    }

    fn fill(
        &mut self,
        k: usize,
        qty: Quantity,
        price: Price,
        ts: Timestamp,
    ) -> Result<(), SimError> {
        let so = &self.orders[k];
        let req = &so.order.request;
        let id = &req.client_order_id;
        let before = (so.order.filled_qty, so.executed_value);
        let after = (before.0 + qty, before.1 + qty * price);
        let fill = Fill {
            fill_id: sim_id(Some(&id.0), u64::from(so.fills) + 1),
            client_order_id: id.clone(),
            symbol: req.symbol.clone(),
            side: req.side,
            qty,
            price,
            commission: if self.commission_applies(&req.symbol) {
                self.config.commission.fill_charge(req.side, before, after)
            } else {
                Money::ZERO
            },
            ts,
        };
        self.account.apply_fill(&fill)?;
        let so = &mut self.orders[k];
        so.fills += 1;
        so.executed_value = after.1;
        so.order.filled_qty = after.0;
        so.order.avg_fill_price = Some(Price(after.1 .0 / after.0 .0));
        so.order.status = if so.order.remaining_qty().is_zero() {
            OrderStatus::Filled
        } else {
            OrderStatus::PartiallyFilled
        };
        so.order.updated_at = ts;
        let order = so.order.clone();
        self.updates.push(VenueUpdate::Fill(fill));
        self.updates.push(VenueUpdate::Order(order));
        Ok(())
    }

    /// IOC and FOK live for one bar: cancel what is left after it.
    fn finish_immediate(&mut self, k: usize) {
        match self.orders[k].order.request.tif {
            TimeInForce::Ioc => {
                self.end(k, OrderStatus::Canceled, "ioc: unfilled quantity canceled")
            }
            TimeInForce::Fok => self.end(
                k,
                OrderStatus::Canceled,
                "fok: the whole quantity could not fill on the first bar",
            ),
            _ => {}
        }
    }

    /// Moves a still-working order to a terminal state with a reason and reports it.
    fn end(&mut self, k: usize, status: OrderStatus, reason: &str) {
        let now = self.now;
        let so = &mut self.orders[k];
        if so.order.status.is_terminal() {
            return;
        }
        so.order.status = status;
        so.order.reason = Some(reason.to_string());
        so.order.updated_at = now;
        let order = so.order.clone();
        self.updates.push(VenueUpdate::Order(order));
    }

    fn commission_applies(&self, symbol: &Symbol) -> bool {
        self.config
            .commission
            .applies_to(self.instrument(symbol).asset_class)
    }

    fn prune_working(&mut self) {
        let orders = &self.orders;
        self.working
            .retain(|&k| !orders[k].order.status.is_terminal());
    }

    fn reserved(&self) -> Decimal {
        self.working
            .iter()
            .map(|&k| self.orders[k].reserved())
            .sum()
    }

    /// Checks an order against every reject rule; on success returns the opening quantity and
    /// the price it reserves buying power at.
    fn validate(&self, req: &OrderRequest) -> Result<(Decimal, Decimal), String> {
        let sym = &req.symbol;
        let qty = req.qty.0;
        if qty <= Decimal::ZERO {
            return Err(format!("quantity must be positive (got {qty})"));
        }
        let inst = self.instrument(sym);
        if !inst.tradable {
            return Err(format!("{sym} is not tradable"));
        }
        if !inst.fractionable && !qty.fract().is_zero() {
            return Err(format!(
                "{sym} is not fractionable: quantity {qty} must be whole"
            ));
        }
        let decimals = self.config.fill.price_decimals;
        let check_price = |what: &str, p: Price| -> Result<(), String> {
            if p.0 <= Decimal::ZERO {
                Err(format!("{what} price must be positive (got {p})"))
            } else if p.0.normalize().scale() > decimals {
                Err(format!(
                    "{what} price {p} is finer than the tick (decimals: {decimals})"
                ))
            } else {
                Ok(())
            }
        };
        let (limit, stop) = match req.order_type {
            OrderType::Limit { limit } => (Some(limit), None),
            OrderType::Stop { stop } => (None, Some(stop)),
            OrderType::StopLimit { stop, limit } => (Some(limit), Some(stop)),
            OrderType::Market | OrderType::MarketOnClose => (None, None),
        };
        if let Some(l) = limit {
            check_price("limit", l)?;
        }
        if let Some(s) = stop {
            check_price("stop", s)?;
        }
        match (req.order_type, req.tif) {
            (_, TimeInForce::Opg) => {
                return Err("time in force opg is not supported by the simulated exchange".into())
            }
            (OrderType::Stop { .. } | OrderType::StopLimit { .. }, TimeInForce::Cls) => {
                return Err("time in force cls needs a market or limit order".into())
            }
            (OrderType::MarketOnClose, tif)
                if tif != TimeInForce::Day && tif != TimeInForce::Cls =>
            {
                return Err("market on close needs time in force day or cls".into())
            }
            _ => {}
        }

        // Worst case for exposure: every open order on the symbol in this direction fills and
        // none in the other direction does.
        let same_side_open: Decimal = self
            .working
            .iter()
            .map(|&k| &self.orders[k])
            .filter(|o| o.order.request.symbol == *sym && o.order.request.side == req.side)
            .map(|o| o.order.remaining_qty().0 * Decimal::from(o.order.request.side.sign()))
            .sum();
        let projected = self.account.qty(sym).0 + same_side_open;
        let opening = opening_qty(projected, req.side, qty);
        if opening <= Decimal::ZERO {
            return Ok((Decimal::ZERO, Decimal::ZERO));
        }
        if req.side == Side::Sell {
            if !inst.shortable {
                return Err(format!("{sym} is not shortable"));
            }
            if !inst.easy_to_borrow {
                return Err(format!("{sym} is not easy to borrow"));
            }
        }
        let mark = self.account.mark(sym).map(|p| p.0);
        let order_price = limit.or(stop).map(|p| p.0);
        let est = match (req.side, req.order_type) {
            // A buy limit never pays more than its limit.
            (Side::Buy, OrderType::Limit { limit } | OrderType::StopLimit { limit, .. }) => {
                Some(limit.0)
            }
            _ => match (mark, order_price) {
                (Some(m), Some(p)) => Some(m.max(p)),
                (m, p) => m.or(p),
            },
        };
        let Some(est) = est else {
            return Err(format!(
                "no price seen yet for {sym}: cannot check buying power"
            ));
        };
        let commission = if self.commission_applies(sym) {
            self.config
                .commission
                .order_total(req.side, req.qty, Money(qty * est))
        } else {
            Money::ZERO
        };
        let need = opening * est + commission.0;
        let have = self.account.free_buying_power().0 - self.reserved();
        if need > have {
            return Err(format!(
                "insufficient buying power: need {need}, have {}",
                have.max(Decimal::ZERO)
            ));
        }
        Ok((opening, est))
    }
}

impl Broker for SimExchange {
    fn submit(&mut self, req: OrderRequest) -> Result<Order, BrokerError> {
        if self.order_at.contains_key(&req.client_order_id) {
            return Err(BrokerError::DuplicateClientOrderId);
        }
        let (opening_qty, reserve_price) = self
            .validate(&req)
            .map_err(|reason| BrokerError::Rejected { reason })?;
        self.now = self.now.max(req.created_at);
        self.submitted += 1;
        let mut order = Order::new(req);
        order.broker_order_id = Some(sim_id(None, self.submitted));
        order.status = OrderStatus::New;
        let k = self.orders.len();
        self.order_at
            .insert(order.request.client_order_id.clone(), k);
        self.orders.push(SimOrder {
            order: order.clone(),
            fills: 0,
            triggered: false,
            executed_value: Money::ZERO,
            opening_qty,
            reserve_price,
        });
        self.working.push(k);
        self.updates.push(VenueUpdate::Order(order.clone()));
        Ok(order)
    }

    fn cancel(&mut self, id: &ClientOrderId) -> Result<Order, BrokerError> {
        let k = *self.order_at.get(id).ok_or(BrokerError::UnknownOrder)?;
        let status = self.orders[k].order.status;
        if status.is_terminal() {
            return Err(BrokerError::Rejected {
                reason: format!("order {id} is already {}", status.as_str()),
            });
        }
        self.end(k, OrderStatus::Canceled, "canceled by client");
        self.prune_working();
        Ok(self.orders[k].order.clone())
    }

    fn order(&self, id: &ClientOrderId) -> Option<Order> {
        self.order_at.get(id).map(|&k| self.orders[k].order.clone())
    }

    fn open_orders(&self) -> Vec<Order> {
        self.working
            .iter()
            .map(|&k| self.orders[k].order.clone())
            .collect()
    }

    fn positions(&self) -> Vec<Position> {
        self.account.positions()
    }

    fn account(&self) -> Account {
        let free = self.account.free_buying_power().0 - self.reserved();
        Account {
            cash: self.account.cash(),
            equity: self.account.equity(),
            buying_power: Money(free.max(Decimal::ZERO)),
        }
    }

    fn drain_updates(&mut self) -> Vec<VenueUpdate> {
        std::mem::take(&mut self.updates)
    }
}

/// `format!("sim-{order}-{n}")`, or `format!("sim-{n}")` without `order`, written directly: a
/// fill id and a venue order id per order, and the formatting machinery was most of their cost.
fn sim_id(order: Option<&str>, n: u64) -> Arc<str> {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    let mut rest = n;
    loop {
        at -= 1;
        digits[at] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    let pieces: [&[u8]; 4] = match order {
        Some(order) => [b"sim-", order.as_bytes(), b"-", &digits[at..]],
        None => [b"sim-", b"", b"", &digits[at..]],
    };
    // Put together on the stack and copied once into the shared text: one allocation (a
    // `String` turned into an `Arc<str>` is two). Every piece is text (`order`, or ASCII), so
    // the bytes joined are too. An order id too long for the buffer (the simulated exchange's
    // own are at most 48 bytes) is joined on the heap instead.
    let mut buf = [0u8; 96];
    let len: usize = pieces.iter().map(|p| p.len()).sum();
    if len > buf.len() {
        return Arc::from(String::from_utf8_lossy(&pieces.concat()).as_ref());
    }
    let mut end = 0;
    for p in pieces {
        buf[end..end + p.len()].copy_from_slice(p);
        end += p.len();
    }
    Arc::from(std::str::from_utf8(&buf[..len]).unwrap_or_default())
}

#[cfg(test)]
mod id_tests {
    use super::sim_id;

    #[test]
    fn sim_ids_are_the_formatted_ones() {
        let mut n: u64 = 0;
        for k in 0..2000u64 {
            for v in [k, n, u64::MAX - k, 10u64.pow((k % 20) as u32)] {
                assert_eq!(&*sim_id(None, v), format!("sim-{v}"));
                let id = "of-1700000000-12-ORCL-b-0a1b2c3d";
                assert_eq!(&*sim_id(Some(id), v), format!("sim-{id}-{v}"));
                assert_eq!(&*sim_id(Some(""), v), format!("sim--{v}"));
                // Ids around the stack buffer's 96 bytes, and a non-ASCII one.
                for len in [70, 71, 72, 73, 74, 75, 120] {
                    let id = "x".repeat(len);
                    assert_eq!(&*sim_id(Some(&id), v), format!("sim-{id}-{v}"));
                }
                assert_eq!(&*sim_id(Some("é-ü"), v), format!("sim-é-ü-{v}"));
            }
            n = n
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(k | 1);
        }
    }
}
