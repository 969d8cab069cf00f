//! The sma_cross backtest as one loop over the bars, for speed (issue 5): the same rules,
//! exchange and ledger as the engine path, without the engine's scheduler, store and plugins.
//!
//! What is shared with the engine path rather than re-implemented: the loader and validator
//! (`load_backtest_data`), the crossing arithmetic (`sma_cross::mean`'s sums on the same windows,
//! `cross`, `order_for`), client order ids (`PlannedOrder::to_request`), the router, the
//! slippage estimate and `max_slippage_bps` check, the simulated exchange itself (`SimExchange`:
//! buying-power checks, fill prices on the tick, commissions, order states) and the core
//! `Portfolio` (exact decimal cash, marks through `ledger_price`). The loop only skips work that
//! cannot change a result: a bar is handed to the exchange when an order is working, when an
//! order may be placed on it, or when the exchange could refuse it; otherwise the exchange would
//! only have recorded its close. Tests in tests/sma_cross_fast.rs check that both paths write
//! identical files.

use super::metrics::{self, Metrics};
use super::outputs::Report;
use super::sma_cross::{cross, order_for, Cross, SmaCross, SmaCrossRun};
use super::{load_backtest_data, BacktestData, BacktestError};
use crate::cycle::{ClosedTrade, EngineError};
use crate::drivers::setup::session_of;
use crate::exec::slippage::estimate_for_order_with;
use crate::exec::{sim_model, Router, RouterConfig};
use crate::risk::{check_slippage, SlippageCheck};
use chrono::NaiveDate;
use optifire_core::calendar::NyseCalendar;
use optifire_core::config::Config;
use optifire_core::data::Frequency;
use optifire_core::domain::{
    Bar, ClientOrderId, CycleId, EquityPoint, Fill, IdHash, Instrument, LedgerError, Leg, Money,
    Order, OrderStatus, OrderType, PlannedOrder, Portfolio, Position, Price, Symbol, TimeInForce,
};
use optifire_core::plugin::PluginError;
use optifire_core::venue::{Broker, BrokerError, VenueUpdate};
use optifire_core::Timestamp;
use optifire_venues::sim::matching::round8;
use optifire_venues::SimExchange;
use std::collections::HashMap;

/// Why the bar loop could not run.
#[derive(Debug, thiserror::Error)]
pub enum SmaCrossError {
    #[error("{0}")]
    Params(#[from] PluginError),
    #[error("{0}")]
    Backtest(#[from] BacktestError),
}

/// What the bar loop produced: the same data as the engine's `BacktestResult`, minus the store.
#[derive(Debug, Clone)]
pub struct SmaCrossResult {
    pub metrics: Metrics,
    pub equity: Vec<EquityPoint>,
    pub fills: Vec<Fill>,
    pub closed_trades: Vec<ClosedTrade>,
    /// Final state of every order, by creation time then client id.
    pub orders: Vec<Order>,
    /// Instants of the timeline (the engine runs one cycle at each).
    pub cycles: usize,
    /// Bars inside the date range (the engine hands each to the exchange).
    pub bars: usize,
    /// Problems during the run (bars the exchange refused).
    pub errors: Vec<String>,
}

impl SmaCrossResult {
    /// The output files' view of the result.
    pub fn report(&self) -> Report<'_> {
        Report {
            metrics: &self.metrics,
            equity: &self.equity,
            fills: &self.fills,
            closed_trades: &self.closed_trades,
            orders: &self.orders,
        }
    }
}

/// Loads `run.data` and runs the bar loop; `from`/`to` as `BacktestSpec`'s.
pub fn run_sma_cross_fast(
    run: &SmaCrossRun,
    config: &Config,
    fast: usize,
    slow: usize,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> Result<SmaCrossResult, SmaCrossError> {
    SmaCross::new(run.symbol.clone(), fast, slow, run.size)?;
    let data = load_backtest_data(&run.data).map_err(BacktestError::from)?;
    run_sma_cross_on(&data, run, config, fast, slow, from, to)
}

/// One series cut to the date range: every bar up to `to`, and where the traded part starts.
struct Series<'a> {
    symbol: &'a Symbol,
    bars: &'a [Bar],
    frequency: Option<&'a Frequency>,
    /// Next bar to hand over.
    cursor: usize,
}

/// Whether `SimExchange::on_bar` would take `bar` without complaint and, with no order
/// working on its symbol, do nothing but record its close. Conservative: a bar this does not
/// clear is handed to the exchange, which decides.
fn plainly_valid(bar: &Bar) -> bool {
    // A low of at least 1 cannot round to zero on any tick; prices far below Decimal's range
    // always convert. `bar.is_valid() && low >= 1 && high < 1e15` in fewer steps, without a
    // branch per test (asked of every bar): with `1 <= low <= open, close <= high < 1e15` the
    // four prices are finite and positive (a NaN fails every comparison), and `0 <= volume <
    // inf` is a finite non-negative volume. A test checks the equivalence.
    let (o, h, l, c, v) = (bar.open, bar.high, bar.low, bar.close, bar.volume);
    (l >= 1.0)
        & (h < 1e15)
        & (o >= l)
        & (o <= h)
        & (c >= l)
        & (c <= h)
        & (0.0..f64::INFINITY).contains(&v)
}

/// Bars whose means `window_means` works out side by side (16: eight two-wide additions in
/// flight, enough to hide an addition's latency).
const LANES: usize = 16;

/// `mean(&closes[i + 1 - window..=i])` for the `len <= LANES` bars `i` from `first`, each
/// summed left to right from zero exactly as `mean` sums it. Summing one window alone waits
/// on each addition's result; the windows of neighbouring bars are independent chains, so
/// running several at once keeps the adder busy with the same operations in the same order.
fn window_means(closes: &[f64], first: usize, len: usize, window: usize) -> [f64; LANES] {
    let mut sums = [0.0; LANES];
    let start = first + 1 - window;
    if len == LANES {
        let block = &closes[start..first + LANES];
        for j in 0..window {
            let xs: &[f64; LANES] = block[j..j + LANES].try_into().expect("LANES values");
            for (s, x) in sums.iter_mut().zip(xs) {
                *s += x;
            }
        }
    } else {
        for (k, s) in sums.iter_mut().enumerate().take(len) {
            for x in &closes[start + k..start + k + window] {
                *s += x;
            }
        }
    }
    sums.map(|s| s / window as f64)
}

/// The crossing at each bar (`None` until the bar before it has both SMAs: slow + 1 bars).
/// Each SMA has the bits of `sma_cross::mean` on exactly the slice `SmaCross::decide` takes
/// (`window_means`); only the previous bar's pair is kept, not two series of SMAs (less memory
/// to touch).
fn crossings(closes: &[f64], fast: usize, slow: usize) -> Vec<Option<Cross>> {
    let n = closes.len();
    let mut out = vec![None; n];
    if fast == 0 || slow <= fast {
        return out;
    }
    // Both SMAs exist from bar slow - 1; the first crossing can be at bar slow.
    let mut prev: Option<(f64, f64)> = None;
    let mut i = slow - 1;
    while i < n {
        let len = (n - i).min(LANES);
        let f = window_means(closes, i, len, fast);
        let s = window_means(closes, i, len, slow);
        for k in 0..len {
            if let Some((fp, sp)) = prev {
                out[i + k] = cross(fp, sp, f[k], s[k]);
            }
            prev = Some((f[k], s[k]));
        }
        i += len;
    }
    out
}

/// The instants the engine would run a cycle at: one series' bars (no copy), or the merged
/// times of several.
enum Timeline<'a> {
    Bars(&'a [Bar]),
    Merged(Vec<Timestamp>),
}

impl Timeline<'_> {
    fn len(&self) -> usize {
        match self {
            Timeline::Bars(b) => b.len(),
            Timeline::Merged(t) => t.len(),
        }
    }
    fn at(&self, n: usize) -> Timestamp {
        match self {
            Timeline::Bars(b) => b[n].ts,
            Timeline::Merged(t) => t[n],
        }
    }
}

/// `ledger_price(close)`: the same decimal (value and scale) through the exchange's exact
/// shortcut for rounding a price to 8 decimals (`round8`).
fn ledger_price_fast(close: f64) -> Option<Price> {
    // `> 0` without the general comparison: positive and not zero (a negative zero is zero).
    round8(close)
        .map(Price)
        .filter(|p| p.0.is_sign_positive() && !p.0.is_zero())
}

/// `(portfolio.equity(mark), portfolio.gross_exposure(mark))` for the portfolio's `cash` and
/// `open` positions (`open_positions()`, in its order), with each position's market value
/// worked out once for both sums (the same decimal operations in the same order), and the
/// first error either would give.
fn equity_and_gross<'a>(
    cash: Money,
    open: impl IntoIterator<Item = &'a Position>,
    mark: impl Fn(&Symbol) -> Option<Price>,
) -> Result<(Money, Money), LedgerError> {
    let mut eq = cash;
    // `gross_exposure` starts from `Money::ZERO`, and zero plus `x` is `x` exactly (the decimal
    // library hands back the other operand, scale and all; `zero_plus_is_the_other_operand`
    // checks it), so the first term is taken as it is: one decimal addition less per bar held.
    let mut g: Option<Money> = None;
    for p in open {
        let m = mark(&p.symbol).ok_or_else(|| LedgerError::NoMark(p.symbol.clone()))?;
        let v = p.market_value(m);
        eq += v;
        match g.as_mut() {
            None => g = Some(v.abs()),
            Some(g) => *g += v.abs(),
        }
    }
    Ok((eq, g.unwrap_or(Money::ZERO)))
}

/// The state the loop carries: exchange, ledger and what the engine would have recorded.
struct Book {
    exchange: SimExchange,
    portfolio: Portfolio,
    fills: Vec<Fill>,
    closed_trades: Vec<ClosedTrade>,
    /// The latest state of each order, in order of first appearance.
    orders: Vec<Order>,
    /// Where each client id's order is in `orders`, for `orders[..indexed]` (see `find`).
    order_at: HashMap<ClientOrderId, usize, IdHash>,
    indexed: usize,
    /// Orders sent and not yet final.
    working: usize,
    /// Orders recorded that the exchange never accepted (refused at submit).
    refused: usize,
    /// The exchange's updates being applied, a buffer kept between bars.
    updates: Vec<VenueUpdate>,
    /// The ledger's open positions in symbol order (`portfolio.open_positions()`, which only
    /// fills change), kept so marking a bar does not walk the ledger's map.
    open: Vec<Position>,
}

impl Book {
    /// An empty book on `exchange`, its lists sized for `orders` orders.
    fn new(exchange: SimExchange, portfolio: Portfolio, orders: usize) -> Self {
        Book {
            exchange,
            portfolio,
            fills: Vec::with_capacity(orders),
            closed_trades: Vec::with_capacity(orders),
            orders: Vec::with_capacity(orders),
            order_at: HashMap::default(),
            indexed: 0,
            working: 0,
            refused: 0,
            updates: Vec::new(),
            open: Vec::new(),
        }
    }

    /// The exchange's updates into the order book and the ledger, as the engine's executor and
    /// cycle apply them (a fill that reduces the position is a closed trade).
    fn take_updates(&mut self, now: Timestamp, errors: &mut Vec<String>) {
        let mut updates = std::mem::take(&mut self.updates);
        self.exchange.take_updates_into(&mut updates);
        for u in updates.drain(..) {
            match u {
                VenueUpdate::Order(o) => self.record(o),
                VenueUpdate::Fill(f) => match ClosedTrade::apply_fill(&mut self.portfolio, &f) {
                    Ok(closed) => {
                        self.closed_trades.extend(closed);
                        self.fills.push(f);
                    }
                    Err(e) => errors.push(format!("{now}: ledger refused fill {}: {e}", f.fill_id)),
                },
            }
        }
        self.updates = updates;
        self.open.clear();
        self.open.extend(self.portfolio.open_positions().cloned());
    }

    /// Where the order with client id `id` is in `orders`. An update is almost always about
    /// the order recorded last (one order works at a time), which is compared first; the map
    /// is brought up to date only when that fails, so a run whose updates all concern the
    /// latest order hashes no id. Ids in `orders` are distinct (`record` pushes only ids this
    /// finds nowhere), so the answer is the one a complete map would give.
    fn find(&mut self, id: &ClientOrderId) -> Option<usize> {
        if let Some(last) = self.orders.len().checked_sub(1) {
            if self.orders[last].request.client_order_id == *id {
                return Some(last);
            }
        }
        for (k, o) in self.orders.iter().enumerate().skip(self.indexed) {
            self.order_at.insert(o.request.client_order_id.clone(), k);
        }
        self.indexed = self.orders.len();
        self.order_at.get(id).copied()
    }

    /// Records the latest state of an order, keeping `working` the count of orders not final.
    fn record(&mut self, order: Order) {
        let live = !order.status.is_terminal();
        let was_live = match self.find(&order.request.client_order_id) {
            Some(k) => {
                let old = std::mem::replace(&mut self.orders[k], order);
                !old.status.is_terminal()
            }
            None => {
                self.orders.push(order);
                false
            }
        };
        self.working = self.working + usize::from(live) - usize::from(was_live);
    }

    /// Sends `planned` as the engine's executor does and records the order it gets back.
    /// The request is built again for a refused order rather than copied before every submit
    /// (`to_request` is a pure function of `planned`).
    fn submit(&mut self, now: Timestamp, planned: &PlannedOrder) {
        let order = match self.exchange.submit(planned.to_request()) {
            // Every order recorded so far came from the exchange (none was refused), and the
            // exchange accepts only a client id it does not have: a new order, recorded
            // without looking for it.
            Ok(order) if self.refused == 0 => {
                self.working += usize::from(!order.status.is_terminal());
                self.orders.push(order);
                return;
            }
            Ok(order) => order,
            Err(BrokerError::Rejected { reason }) => {
                self.refused += 1;
                let mut order = Order::new(planned.to_request());
                order.status = OrderStatus::Rejected;
                order.reason = Some(reason);
                order.updated_at = now;
                order
            }
            Err(e) => {
                self.refused += 1;
                let mut order = Order::new(planned.to_request());
                order.reason = Some(format!("unknown: reconcile ({e})"));
                order.updated_at = now;
                order
            }
        };
        self.record(order);
    }
}

/// The bar loop on already loaded data (a sweep loads the file once for all its cells).
pub fn run_sma_cross_on(
    data: &BacktestData,
    run: &SmaCrossRun,
    config: &Config,
    fast: usize,
    slow: usize,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> Result<SmaCrossResult, SmaCrossError> {
    SmaCross::new(run.symbol.clone(), fast, slow, run.size)?;
    let mut notes = Vec::new();
    if data.dropped_rows > 0 {
        notes.push(format!(
            "{} data row(s) left out because the validator flagged them: {}",
            data.dropped_rows,
            data.defects
                .iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
                .join("; ")
        ));
    }
    // The date range, as `load_replay` cuts it: no bar after `to`; trading from `from`.
    let all = data.market.view(Timestamp(i64::MAX));
    let mut series: Vec<Series<'_>> = data
        .market
        .symbols()
        .map(|s| {
            let bars = all.bars(s);
            let bars = match to {
                Some(t) => &bars[..bars.partition_point(|b| b.ts.ny_date() <= t)],
                None => bars,
            };
            Series {
                symbol: s,
                bars,
                frequency: data.frequency.get(s),
                cursor: 0,
            }
        })
        .filter(|s| !s.bars.is_empty())
        .collect();
    let first_traded = |bars: &[Bar]| match from {
        Some(f) => bars.partition_point(|b| b.ts.ny_date() < f),
        None => 0,
    };
    let timeline = if let [one] = &series[..] {
        Timeline::Bars(&one.bars[first_traded(one.bars)..])
    } else {
        let mut t: Vec<Timestamp> = series
            .iter()
            .flat_map(|s| s.bars[first_traded(s.bars)..].iter().map(|b| b.ts))
            .collect();
        t.sort_unstable();
        t.dedup();
        Timeline::Merged(t)
    };
    if timeline.len() == 0 {
        return Err(BacktestError::EmptyRange { from, to }.into());
    }
    let start = timeline.at(0);
    for s in &mut series {
        s.cursor = s.bars.partition_point(|b| b.ts < start);
    }

    let sim = run.sim_config();
    let initial = sim.starting_cash;
    let exchange = SimExchange::new(sim).map_err(|e| BacktestError::Sim(e.to_string()))?;
    let router = Router::new(
        RouterConfig::from_execution(&config.execution)
            .map_err(|e| BacktestError::Engine(EngineError::Router(e.to_string())))?,
    );
    // The estimate's model for the configured costs (no quotes), built once.
    let slippage_model = sim_model(&config.execution.slippage, None);
    let max_slippage_bps = config.risk.max_slippage_bps;
    let calendar = NyseCalendar::new();

    // The traded symbol's crossing at every bar, computed once.
    let ours = series.iter().position(|s| *s.symbol == run.symbol);
    let crossing_at = match ours {
        Some(k) => {
            let closes: Vec<f64> = series[k].bars.iter().map(|b| b.close).collect();
            crossings(&closes, fast, slow)
        }
        None => Vec::new(),
    };
    let crossing = |i: usize| -> Option<Cross> { crossing_at.get(i).copied().flatten() };

    // Each crossing places at most one order, and a market order fills once (more only with a
    // volume cap): room for that many up front saves growing the books order by order.
    let most_orders = crossing_at.iter().filter(|c| c.is_some()).count();
    let mut exchange = exchange;
    exchange.reserve_orders(most_orders);
    let mut ledger = Portfolio::new(initial);
    ledger.reserve_fills(most_orders);
    let mut book = Book::new(exchange, ledger, most_orders);
    let mut errors: Vec<String> = Vec::new();
    let mut equity: Vec<EquityPoint> = Vec::with_capacity(timeline.len());
    optifire_core::prefault::populate_spare(&mut equity);
    let mut bars_fed = 0usize;
    for n in 0..timeline.len() {
        let t = timeline.at(n);
        let seq = n as u64 + 1;
        // The exchange sees the bars that closed at `t` (see `BacktestRun::step`).
        let mut touched = false;
        let mut decide_at: Option<usize> = None;
        for (k, s) in series.iter_mut().enumerate() {
            while let Some(bar) = s.bars.get(s.cursor).filter(|b| b.ts <= t) {
                let i = s.cursor;
                s.cursor += 1;
                bars_fed += 1;
                let is_ours = Some(k) == ours;
                if is_ours && bar.ts == t {
                    decide_at = Some(i);
                }
                let needed =
                    !plainly_valid(bar) || (is_ours && (book.working > 0 || crossing(i).is_some()));
                if needed {
                    touched = true;
                    let session = session_of(bar, s.frequency, &calendar);
                    if let Err(e) = book.exchange.on_bar(bar, session) {
                        errors.push(format!("exchange refused bar: {e}"));
                    }
                }
            }
        }
        if touched {
            book.take_updates(t, &mut errors);
        }

        // Flat, both sums are over no position: the cash, and zero.
        if book.open.is_empty() {
            equity.push(EquityPoint {
                ts: t,
                equity: book.portfolio.cash,
                cash: book.portfolio.cash,
                gross_exposure: Money::ZERO,
            });
        } else {
            // Equity marked at the last close of the traded symbol (the only one ever held).
            let mark = ours.and_then(|k| {
                let s = &series[k];
                s.cursor.checked_sub(1).map(|j| s.bars[j].close)
            });
            // Converted once for both sums.
            let held_px = mark.and_then(ledger_price_fast);
            let price = |sym: &Symbol| if *sym == run.symbol { held_px } else { None };
            match equity_and_gross(book.portfolio.cash, &book.open, price) {
                Ok((e, g)) => equity.push(EquityPoint {
                    ts: t,
                    equity: e,
                    cash: book.portfolio.cash,
                    gross_exposure: g,
                }),
                Err(e) => {
                    errors.push(format!("{t}: equity not marked at {t}: {e}"));
                }
            }
        }

        // The strategy decides on a bar of its symbol that closed now.
        let Some((i, k)) = decide_at.zip(ours) else {
            continue;
        };
        // No crossing, no order (`order_for`'s first test): the ledger is asked about the
        // position only on the bars that cross.
        let Some(cross) = crossing(i) else {
            continue;
        };
        let held = book.portfolio.qty(&run.symbol);
        let Some((side, qty)) = order_for(Some(cross), held, run.size) else {
            continue;
        };
        let bar = &series[k].bars[i];
        let mut planned = PlannedOrder {
            cycle: CycleId { ts: t, seq },
            instrument: Instrument::infer(&run.symbol),
            reference_price: Some(bar.close),
            symbol: run.symbol.clone(),
            side,
            qty,
            leg: Leg::Adjust,
            order_type: OrderType::Market,
            tif: TimeInForce::Day,
            expected: None,
        };
        router.route(t, &mut planned, None);
        let expected = estimate_for_order_with(
            &slippage_model,
            &planned.order_type,
            side,
            qty,
            bar.close,
            bar.volume,
        );
        planned.expected = Some(expected);
        let check = check_slippage(
            &run.symbol,
            side,
            qty,
            held.0,
            Some(expected.cost_bps),
            max_slippage_bps,
        );
        if matches!(check, SlippageCheck::Refuse(_)) {
            continue;
        }
        book.submit(t, &planned);
        book.take_updates(t, &mut errors);
    }

    let mut orders: Vec<Order> = std::mem::take(&mut book.orders);
    orders.sort_by(|a, b| {
        (a.request.created_at, &a.request.client_order_id.0)
            .cmp(&(b.request.created_at, &b.request.client_order_id.0))
    });
    if !errors.is_empty() {
        notes.push(format!("{} engine problem(s) during the run", errors.len()));
    }
    let cycles = timeline.len();
    // Freed before the metrics allocate theirs, which can then reuse the memory.
    drop((timeline, crossing_at));
    let metrics = metrics::compute(initial, &equity, &book.fills, &book.closed_trades, notes);
    Ok(SmaCrossResult {
        metrics,
        equity,
        fills: book.fills,
        closed_trades: book.closed_trades,
        orders,
        cycles,
        bars: bars_fed,
        errors,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backtest::sma_cross::mean;
    use crate::cycle::ledger_price;
    use rust_decimal::Decimal;

    fn check(close: f64) {
        let fast = ledger_price_fast(close);
        let general = ledger_price(close);
        assert_eq!(fast, general, "{close:e}");
        // Same scale too: equity.csv and the engine's store print the decimal as it is.
        assert_eq!(
            fast.map(|p| p.0.to_string()),
            general.map(|p| p.0.to_string()),
            "{close:e}"
        );
        // The exchange's tick rounding goes through the same shortcut.
        for dp in [0, 2, 6] {
            let tick = optifire_venues::sim::matching::to_tick(close, dp);
            let reference = Decimal::from_f64_retain(close).map(|d| {
                d.round_dp(8).round_dp_with_strategy(
                    dp,
                    rust_decimal::RoundingStrategy::MidpointAwayFromZero,
                )
            });
            assert_eq!(
                tick.map(|d| d.to_string()),
                reference.map(|d| d.to_string()),
                "{close:e} to {dp}"
            );
        }
    }

    /// SMA of `window` closes ending at each bar (NaN before the window fills), the way the
    /// loop first kept them.
    fn smas(closes: &[f64], window: usize) -> Vec<f64> {
        (0..closes.len())
            .map(|i| {
                if i + 1 >= window {
                    mean(&closes[i + 1 - window..=i])
                } else {
                    f64::NAN
                }
            })
            .collect()
    }

    #[test]
    fn plainly_valid_is_valid_with_a_low_of_1_and_a_high_below_1e15() {
        let reference =
            |b: &Bar| b.is_valid() && b.low >= 1.0 && b.high < 1e15 && b.defects().is_empty();
        let specials = [
            f64::NAN,
            -f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::MAX,
            f64::MIN_POSITIVE,
            -0.0,
            0.0,
            0.5,
            1.0 - f64::EPSILON / 2.0,
            1.0,
            1.5,
            2.0,
            100.0,
            1e15 - 0.125,
            1e15,
            2e15,
            -1.0,
        ];
        let mut bar = Bar {
            symbol: Symbol::new("X"),
            ts: Timestamp(0),
            open: 0.0,
            high: 0.0,
            low: 0.0,
            close: 0.0,
            volume: 0.0,
        };
        let mut rng = fastrand::Rng::with_seed(47);
        let mut valid = 0;
        for _ in 0..300_000 {
            let mut pick = || {
                if rng.u8(..4) == 0 {
                    specials[rng.usize(..specials.len())]
                } else {
                    // Near 1, so ties and both orders of the prices are common.
                    f64::from(rng.u8(..8)) * 0.25 + 0.5
                }
            };
            bar.open = pick();
            bar.high = pick();
            bar.low = pick();
            bar.close = pick();
            bar.volume = pick();
            let want = reference(&bar);
            valid += usize::from(want);
            assert_eq!(plainly_valid(&bar), want, "{bar:?}");
        }
        assert!(valid > 1000, "{valid}");
    }

    /// `Book::record` with its lazily built index keeps the orders and the working count a
    /// complete map gives, whichever earlier order an update concerns.
    #[test]
    fn book_records_orders_as_a_complete_map_does() {
        use optifire_core::domain::{OrderRequest, Quantity, Side};
        let sim = SimExchange::new(optifire_venues::SimConfig::default()).unwrap();
        let mut book = Book::new(sim, Portfolio::new(Money(Decimal::from(1000))), 0);
        let (mut orders, mut at): (Vec<Order>, HashMap<String, usize>) = Default::default();
        let statuses = [
            OrderStatus::New,
            OrderStatus::PartiallyFilled,
            OrderStatus::Filled,
            OrderStatus::Canceled,
            OrderStatus::Rejected,
        ];
        let mut rng = fastrand::Rng::with_seed(53);
        for step in 0..5000 {
            // Mostly the newest ids, sometimes an old one.
            let top = step / 3 + 1;
            let id = if rng.bool() {
                top - 1
            } else {
                rng.usize(..top)
            };
            let mut order = Order::new(OrderRequest {
                client_order_id: ClientOrderId::new(format!("c-{id}")),
                symbol: Symbol::new("X"),
                side: Side::Buy,
                qty: Quantity(Decimal::from(step)),
                order_type: OrderType::Market,
                tif: TimeInForce::Day,
                created_at: Timestamp(step as i64),
            });
            order.status = statuses[rng.usize(..statuses.len())];
            match at.get(order.request.client_order_id.as_str()) {
                Some(&k) => orders[k] = order.clone(),
                None => {
                    at.insert(order.request.client_order_id.0.to_string(), orders.len());
                    orders.push(order.clone());
                }
            }
            book.record(order);
            let working = orders.iter().filter(|o| !o.status.is_terminal()).count();
            assert_eq!(book.working, working, "{step}");
        }
        assert_eq!(book.orders, orders);
    }

    #[test]
    fn window_means_have_the_bits_of_mean() {
        let mut rng = fastrand::Rng::with_seed(31);
        for _ in 0..200 {
            let n = rng.usize(1..120);
            // Magnitudes far apart, so the order of the additions shows in the last bits.
            let closes: Vec<f64> = (0..n)
                .map(|_| rng.f64() * 10f64.powi(rng.i32(-3..9)))
                .collect();
            let window = rng.usize(1..=n);
            let mut i = window - 1;
            while i < n {
                let len = rng.usize(1..=LANES).min(n - i);
                let got = window_means(&closes, i, len, window);
                for k in 0..len {
                    let want = mean(&closes[i + k + 1 - window..=i + k]);
                    assert_eq!(got[k].to_bits(), want.to_bits(), "{window} {i} {k}");
                }
                i += len;
            }
        }
    }

    #[test]
    fn crossings_are_those_of_the_sma_series() {
        let mut rng = fastrand::Rng::with_seed(29);
        for case in 0..300 {
            let n = rng.usize(0..400);
            // Random walks, some on a coarse grid so the SMAs tie exactly.
            let mut p = 50.0;
            let closes: Vec<f64> = (0..n)
                .map(|_| {
                    p += if case % 2 == 0 {
                        rng.f64() - 0.5
                    } else {
                        f64::from(rng.i32(-2..=2)) * 0.25
                    };
                    p
                })
                .collect();
            let slow = rng.usize(2..40);
            let fast = rng.usize(1..slow);
            let (f, s) = (smas(&closes, fast), smas(&closes, slow));
            let want: Vec<Option<Cross>> = (0..n)
                .map(|i| {
                    (i >= slow)
                        .then(|| cross(f[i - 1], s[i - 1], f[i], s[i]))
                        .flatten()
                })
                .collect();
            assert_eq!(
                crossings(&closes, fast, slow),
                want,
                "{fast} {slow} {closes:?}"
            );
        }
    }

    /// What `equity_and_gross` relies on to skip the first addition of the gross sum.
    #[test]
    fn zero_plus_is_the_other_operand() {
        let mut rng = fastrand::Rng::with_seed(67);
        for k in 0..200_000u32 {
            let bits = match k % 4 {
                0 => u128::from(rng.u32(..)),
                1 => u128::from(rng.u64(..)),
                2 => rng.u128(..) >> 32,
                _ => u128::from(rng.u8(..)),
            };
            let x = Decimal::from_i128_with_scale(bits as i128, rng.u32(0..=28));
            let x = if rng.bool() { -x } else { x };
            let sum = Money::ZERO + Money(x);
            let mut acc = Money::ZERO;
            acc += Money(x);
            assert_eq!(sum.0.serialize(), x.serialize(), "{x}");
            assert_eq!(acc.0.serialize(), x.serialize(), "{x}");
        }
    }

    #[test]
    fn one_pass_equity_is_the_portfolios() {
        use optifire_core::domain::{Quantity, Side};
        use rust_decimal_macros::dec;
        let aaa = Symbol::new("AAA");
        let bbb = Symbol::new("BBB");
        let mut p = Portfolio::new(Money(dec!(100000)));
        let fill = |sym: &Symbol, side, qty, price| Fill {
            fill_id: format!("f-{sym}-{side:?}-{qty}").into(),
            client_order_id: ClientOrderId::new(format!("c-{sym}-{qty}")),
            symbol: sym.clone(),
            side,
            qty: Quantity(qty),
            price: Price(price),
            commission: Money(dec!(1.07)),
            ts: Timestamp::from_secs(1_704_229_200),
        };
        let marks = |a: Option<Decimal>, b: Option<Decimal>| {
            move |s: &Symbol| match s.as_str() {
                "AAA" => a.map(Price),
                _ => b.map(Price),
            }
        };
        let check = |p: &Portfolio, a: Option<Decimal>, b: Option<Decimal>| {
            let mark = marks(a, b);
            let one = equity_and_gross(p.cash, p.open_positions(), mark);
            let (e, g) = (p.equity(mark), p.gross_exposure(mark));
            match (one, e, g) {
                (Ok((e1, g1)), Ok(e), Ok(g)) => {
                    // Same value and the same scale (equity.csv prints the decimal as is).
                    assert_eq!(
                        (e1.0.to_string(), g1.0.to_string()),
                        (e.0.to_string(), g.0.to_string())
                    );
                }
                (Err(x), Err(y), _) => assert_eq!(x.to_string(), y.to_string()),
                other => panic!("{other:?}"),
            }
        };
        check(&p, None, None);
        p.apply_fill(&fill(&aaa, Side::Buy, dec!(100), dec!(16.655)))
            .unwrap();
        check(&p, Some(dec!(17.12345678)), None);
        check(&p, None, None);
        p.apply_fill(&fill(&bbb, Side::Sell, dec!(30), dec!(250.5)))
            .unwrap();
        check(&p, Some(dec!(15.9)), Some(dec!(251.00000001)));
        check(&p, Some(dec!(15.9)), None);
        p.apply_fill(&fill(&aaa, Side::Sell, dec!(100), dec!(16)))
            .unwrap();
        check(&p, None, Some(dec!(249)));
    }

    #[test]
    fn fast_ledger_price_is_the_general_one() {
        // Every price of every shared data file.
        let data = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data");
        let mut files = vec![data.clone()];
        let mut seen = 0usize;
        while let Some(p) = files.pop() {
            if p.is_dir() {
                for e in std::fs::read_dir(&p).unwrap() {
                    files.push(e.unwrap().path());
                }
            } else if p.extension().is_some_and(|e| e == "csv") {
                let text = std::fs::read_to_string(&p).unwrap();
                for field in text.lines().skip(1).flat_map(|l| l.split(',')) {
                    if let Ok(v) = field.trim().parse::<f64>() {
                        check(v);
                        seen += 1;
                    }
                }
            }
        }
        assert!(seen > 100_000, "{seen}");
        // Decimal prices of 0 to 9 places, dyadic fractions (old 1/16 and 1/256 ticks), the
        // ends of the shortcut's range and a pseudo-random spread of magnitudes.
        for places in 0..=9u32 {
            let mut m: u64 = 1;
            for _ in 0..2000 {
                m = m
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                let v = (m >> 20) as f64 / 10f64.powi(places as i32);
                check(v);
                check(v / 1000.0);
            }
        }
        for den in [2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 256.0, 512.0, 1024.0] {
            for n in 0..5000 {
                check(f64::from(n) / den);
                check(f64::from(n) / den + 100.0);
            }
        }
        for v in [
            1e-3,
            1e-3 - 1e-19,
            1e9,
            1e9 - 1e-7,
            0.0,
            -1.0,
            2f64.powi(-10),
            0.005,
            0.125,
        ] {
            check(v);
        }
        let mut rng = fastrand::Rng::with_seed(0x9E37_79B9_7F4A_7C15);
        for _ in 0..200_000 {
            let x = rng.u64(..);
            let v = f64::from_bits(0x3F00_0000_0000_0000 + (x % 0x0200_0000_0000_0000));
            check(v);
        }
    }
}
