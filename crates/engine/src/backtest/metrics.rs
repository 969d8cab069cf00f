//! Performance metrics of a finished backtest, from its equity curve, fills and closed trades.
//!
//! The ratios come from optifire-ta's risk kernels (verified against empyrical), applied to
//! daily returns: the last equity point of each New York date, 252 periods a year. A metric
//! that cannot be computed (too few days, no losing trade) is `null`, never a made-up number.

use crate::cycle::ClosedTrade;
use chrono::NaiveDate;
use optifire_core::calendar::{NyseCalendar, TradingCalendar};
use optifire_core::domain::{EquityPoint, Fill, Money};
use optifire_ta::risk::{calmar_from, max_drawdown, return_ratios};
use serde::Serialize;
use std::collections::BTreeMap;

/// Trading days a year, the kernels' convention, for curves with a point on NYSE sessions only.
pub const PERIODS_PER_YEAR: f64 = 252.0;
/// Calendar days a year, for curves that also have points on weekends and holidays (crypto).
pub const CALENDAR_DAYS_PER_YEAR: f64 = 365.0;

/// Everything metrics.json holds.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Metrics {
    pub start: String,
    pub end: String,
    pub days: usize,
    pub initial_equity: Money,
    pub final_equity: Money,
    pub total_return: f64,
    pub cagr: Option<f64>,
    pub annual_volatility: Option<f64>,
    pub sharpe: Option<f64>,
    pub sortino: Option<f64>,
    pub calmar: Option<f64>,
    /// Deepest fall from a peak, as a positive fraction.
    pub max_drawdown: Option<f64>,
    /// Days from that peak to the recovery (or to the end while still under water).
    pub max_drawdown_duration_days: Option<usize>,
    pub fills: usize,
    /// Fills that reduced or closed a position (the round trips win rate is measured on).
    pub trades: usize,
    pub win_rate: Option<f64>,
    /// Gross realized profit over gross realized loss.
    pub profit_factor: Option<f64>,
    /// Mean of gross exposure over equity across the daily points.
    pub exposure: Option<f64>,
    /// Traded value over mean equity, for the whole run.
    pub turnover: Option<f64>,
    pub commissions: Money,
    /// Runs per plugin and status, so a plugin that only ever skipped is visible.
    pub plugin_runs: BTreeMap<String, BTreeMap<String, u64>>,
    pub notes: Vec<String>,
}

/// `Money::to_f64` (rust_decimal's conversion), the same bits, with 64-bit integer division
/// where the mantissa fits: the conversion divides a 128-bit mantissa by a power of ten, the
/// costly part of reading thousands of equity points. The steps are the library's own: the
/// integral and fractional parts are the same integers, and an integer below 2^64 converts to
/// the same f64 from either width.
#[inline]
pub fn money_f64(m: Money) -> f64 {
    let d = m.0;
    let scale = d.scale();
    let Ok(mantissa) = u64::try_from(d.mantissa().unsigned_abs()) else {
        return m.to_f64();
    };
    if scale == 0 || scale > 19 {
        return m.to_f64();
    }
    let neg = d.is_sign_negative();
    if mantissa < SHORT_MANTISSA {
        // The library's steps below land on the mantissa itself before the last division, so
        // its result is the one correctly rounded quotient (see `SHORT_MANTISSA`).
        let q = mantissa as f64 / POW10[scale as usize];
        return if neg { -q } else { q };
    }
    let precision = 10u64.pow(scale);
    let (whole, part) = split_at_scale(mantissa, scale);
    let integral = whole as f64;
    let frac = (part as f64) / (precision as f64);
    if frac == 0.0 {
        return if neg { -integral } else { integral };
    }
    // 10^scale is exact in f64 for scale <= 22: the value `powi` gives, without its loop.
    let round_to = POW10[scale as usize];
    let rounded = round_non_negative((integral + frac) * round_to) / round_to;
    if neg {
        -rounded
    } else {
        rounded
    }
}

/// Below 2^50 the library's conversion is exactly `m as f64 / 10^scale`. Write M = I·p + r
/// (p = 10^scale, exact in f64). Each of its roundings (r to f64, r / p, I + f, the product
/// with p) errs by at most half an ulp of a value no larger than M / p or M, so the product
/// lies within M · 2^-51 < 0.5 of M, and rounding it gives M exactly (an integer below 2^53,
/// exact in f64). What is left is M / p, one correctly rounded division; with r = 0 it is I.
/// The equity of a backtest (cents to 8 decimals on up to ~10^7 dollars) always falls here.
const SHORT_MANTISSA: u64 = 1 << 50;

/// `(m / 10^scale, m % 10^scale)` for scale 1 to 19, each scale with its own constant divisor:
/// the compiler turns a division by a constant into a multiplication, where a division by a
/// run-time power of ten is a 64-bit `div` (tens of cycles, on every point of the curve).
fn split_at_scale(m: u64, scale: u32) -> (u64, u64) {
    macro_rules! by {
        ($($s:literal),*) => {
            match scale {
                $($s => (m / 10u64.pow($s), m % 10u64.pow($s)),)*
                _ => (m / 10u64.pow(scale), m % 10u64.pow(scale)),
            }
        };
    }
    by!(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19)
}

/// `y.round()` for `y >= 0`, without the call: on baseline x86-64 (no SSE4.1 `roundsd`) `round`
/// is a software routine. Truncation through `i64` is exact below 2^52, and `y - t` is exact
/// there too (the two are within a factor of two, or `t` is zero); from 2^52 up every f64 is
/// already an integer. Anything else (negative, -0.0, NaN) takes `round` itself.
fn round_non_negative(y: f64) -> f64 {
    const TWO_52: f64 = 4_503_599_627_370_496.0;
    if y.is_nan() || y.is_sign_negative() {
        return y.round();
    }
    if y >= TWO_52 {
        return y;
    }
    let t = y as i64 as f64;
    if y - t >= 0.5 {
        t + 1.0
    } else {
        t
    }
}

/// Powers of ten exactly representable as f64 (10^0 to 10^19, the scales `money_f64` reads).
const POW10: [f64; 20] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19,
];

/// A finite result, with -0.0 written as 0.0 (an empty f64 sum is -0.0).
fn finite(r: Result<f64, optifire_ta::stats::StatsError>) -> Option<f64> {
    r.ok().filter(|x| x.is_finite()).map(|x| x + 0.0)
}

/// The last point of each New York date (borrowed: the callers only read them, and a copy of
/// every point is as large as the curve).
pub fn daily_points(points: &[EquityPoint]) -> Vec<&EquityPoint> {
    dated_daily_points(points)
        .into_iter()
        .map(|(_, p)| p)
        .collect()
}

/// The last point of each New York date, with that date (each point's date is worked out
/// once: the time-zone conversion is the costly part).
pub fn dated_daily_points(points: &[EquityPoint]) -> Vec<(NaiveDate, &EquityPoint)> {
    let mut out = Vec::with_capacity(points.len());
    out.extend(DailyPoints::new(points));
    out
}

/// `dated_daily_points` one day at a time, so `compute` can read each day as it is found
/// instead of keeping a list as long as the curve.
#[derive(Debug)]
pub struct DailyPoints<'a> {
    points: std::slice::Iter<'a, EquityPoint>,
    /// The New York day number of the previous point and its date: the next point's date is
    /// that date moved by the difference (a day-of-year step within the year), not a fresh
    /// conversion from a day count.
    prev: Option<(i64, NaiveDate)>,
    /// The day being gathered: its date and its latest point so far.
    open: Option<(NaiveDate, &'a EquityPoint)>,
}

impl<'a> DailyPoints<'a> {
    pub fn new(points: &'a [EquityPoint]) -> Self {
        DailyPoints {
            points: points.iter(),
            prev: None,
            open: None,
        }
    }

    fn date_of(&mut self, p: &EquityPoint) -> NaiveDate {
        let day = p.ts.ny_day_number();
        let d = match (self.prev, day) {
            (Some((n, date)), Some(m)) if m >= n => u64::try_from(m - n)
                .ok()
                .and_then(|k| date.checked_add_days(chrono::Days::new(k)))
                .unwrap_or_else(|| p.ts.ny_date()),
            _ => p.ts.ny_date(),
        };
        self.prev = day.map(|m| (m, d));
        d
    }
}

impl<'a> Iterator for DailyPoints<'a> {
    type Item = (NaiveDate, &'a EquityPoint);

    fn next(&mut self) -> Option<Self::Item> {
        while let Some(p) = self.points.next() {
            let d = self.date_of(p);
            match &mut self.open {
                Some(open) if open.0 == d => open.1 = p,
                open => {
                    if let Some(done) = open.replace((d, p)) {
                        return Some(done);
                    }
                }
            }
        }
        self.open.take()
    }
}

/// What the metrics need of each day's last point, gathered one day at a time.
struct DayTotals {
    /// Each day's equity as f64 while the days are gathered; `returns` turns them into the
    /// daily returns.
    equities: Vec<f64>,
    /// The equity before the first day (the initial cash).
    initial: f64,
    days: usize,
    equity_sum: f64,
    exposure_sum: f64,
    exposed: usize,
}

impl DayTotals {
    fn new(initial: Money, points: usize) -> Self {
        DayTotals {
            equities: Vec::with_capacity(points),
            initial: initial.to_f64(),
            days: 0,
            equity_sum: -0.0,
            exposure_sum: -0.0,
            exposed: 0,
        }
    }

    /// Inlined: called, it took the equity through the stack in four 4-byte stores that its
    /// conversion read back wider (a store-forwarding stall per day, `perf annotate`).
    #[inline(always)]
    fn add(&mut self, p: &EquityPoint) {
        self.days += 1;
        // Each daily equity as f64 once: the decimal conversion is the costly part, and the
        // returns, the exposure and the mean equity all read it.
        let e = money_f64(p.equity);
        self.equities.push(e);
        self.equity_sum += e;
        // `> 0` without the general comparison: not zero and not negative.
        if p.equity.0.is_sign_positive() && !p.equity.0.is_zero() {
            // Flat, the exposure is zero whatever its scale: no conversion needed.
            let g = if p.gross_exposure.0.is_zero() {
                0.0
            } else {
                money_f64(p.gross_exposure)
            };
            self.exposure_sum += g / e;
            self.exposed += 1;
        }
    }

    /// The daily returns `e / before - 1`, the day before the first being the initial cash,
    /// worked out in place once every day is in: a loop of divisions that do not wait on one
    /// another, where each day's return in `add` waited on its equity's conversion (a division
    /// too) and the next day's work on both.
    fn returns(&mut self) -> Vec<f64> {
        let mut before = self.initial;
        for x in &mut self.equities {
            let e = *x;
            *x = e / before - 1.0;
            before = e;
        }
        std::mem::take(&mut self.equities)
    }
}

/// The first day, the last day with its point, and whether every day is an NYSE session.
type DaySpan<'a> = (
    Option<NaiveDate>,
    Option<(NaiveDate, &'a EquityPoint)>,
    bool,
);

/// `DailyPoints`' days fed to `totals`, grouped by New York day number instead of by date,
/// with the sessions asked of the calendar once for the curve's span (`session_bits`): the
/// same days, without a date and a calendar look-up per point. `None`, with `totals` partly
/// fed, when a point's day number is not known without the time-zone database or falls
/// outside the first and last points' days: the caller then starts again by dates.
fn by_day_numbers<'a>(points: &'a [EquityPoint], totals: &mut DayTotals) -> Option<DaySpan<'a>> {
    let date_of = optifire_core::time::date_of_epoch_day;
    // The span from the first point's day to the last's: a curve is in time order, and a point
    // outside the span (one that is not) sends the caller to the dates.
    let (Some(a), Some(b)) = (points.first(), points.last()) else {
        return Some((None, None, true));
    };
    let (lo, hi) = (a.ts.ny_day_number()?, b.ts.ny_day_number()?);
    if hi < lo {
        return None;
    }
    let sessions =
        NyseCalendar::new().session_bits(date_of(lo)?, usize::try_from(hi - lo).ok()? + 1);
    let (mut first, mut last, mut all_sessions) = (None, None::<(i64, &EquityPoint)>, true);
    let mut day = |n: i64, p: &'a EquityPoint| {
        totals.add(p);
        first.get_or_insert(n);
        last = Some((n, p));
        let k = (n - lo) as usize;
        all_sessions &= sessions[k / 64] & (1 << (k % 64)) != 0;
    };
    let mut open: Option<(i64, &EquityPoint)> = None;
    for p in points {
        let n = p.ts.ny_day_number().filter(|n| (lo..=hi).contains(n))?;
        match &mut open {
            Some(o) if o.0 == n => o.1 = p,
            o => {
                if let Some((m, q)) = o.replace((n, p)) {
                    day(m, q);
                }
            }
        }
    }
    if let Some((m, q)) = open {
        day(m, q);
    }
    // Day numbers of 1900 to 2200: always dates.
    let first = first.and_then(date_of);
    let last = last.and_then(|(n, p)| Some((date_of(n)?, p)));
    Some((first, last, all_sessions))
}

/// Computes the metrics. `initial` is the starting cash (the equity before the first point).
pub fn compute(
    initial: Money,
    points: &[EquityPoint],
    fills: &[Fill],
    closed: &[ClosedTrade],
    notes: Vec<String>,
) -> Metrics {
    let mut notes = notes;
    // One pass over the days, keeping only the returns (the risk kernels take a slice): the
    // equities and the exposures are each read once as the day is found, not kept in lists as
    // long as the curve (memory to fault in and walk again). The sums are the same
    // left-to-right additions from -0.0 that `Iterator::sum` makes, so the same bits.
    let mut totals = DayTotals::new(initial, points.len());
    let (first, last, all_sessions) = match by_day_numbers(points, &mut totals) {
        Some(found) => found,
        None => {
            // Some point's day needs the time-zone database: dates throughout.
            totals = DayTotals::new(initial, points.len());
            let nyse = NyseCalendar::new();
            let (mut first, mut last, mut all_sessions) = (None, None, true);
            for (d, p) in DailyPoints::new(points) {
                totals.add(p);
                first.get_or_insert(d);
                last = Some((d, p));
                all_sessions = all_sessions && nyse.is_trading_day(d);
            }
            (first, last, all_sessions)
        }
    };
    let returns = totals.returns();
    let DayTotals {
        days,
        equity_sum,
        exposure_sum,
        exposed,
        ..
    } = totals;
    let ppy = if all_sessions {
        PERIODS_PER_YEAR
    } else {
        notes.push(format!(
            "the equity curve has points on days NYSE is closed (crypto): ratios annualized \
             with {CALENDAR_DAYS_PER_YEAR} periods a year"
        ));
        CALENDAR_DAYS_PER_YEAR
    };
    let final_equity = Money(last.map_or(initial, |(_, p)| p.equity).0.normalize());
    let total_return = if initial.0.is_zero() {
        f64::NAN
    } else {
        final_equity.to_f64() / initial.to_f64() - 1.0
    };
    let mdd = max_drawdown(&returns);
    // `cagr`, `annual_volatility`, `sharpe_ratio` and `sortino_ratio` (zero rates), each with
    // its own function's bits, from three walks of the returns instead of sixteen.
    let ratios = return_ratios(&returns, ppy);
    let annual_return = ratios.annual_return;
    // `calmar_ratio(&returns, ppy)` from the two parts above, each worked out once.
    let calmar = match (&mdd, &annual_return) {
        (Ok(m), Ok(r)) => Ok(calmar_from(*r, m.depth)),
        (Err(e), _) | (_, Err(e)) => Err(e.clone()),
    };
    let mdd = mdd.ok();
    let wins: Vec<f64> = closed
        .iter()
        .map(|t| money_f64(t.pnl))
        .filter(|p| *p > 0.0)
        .collect();
    let losses: Vec<f64> = closed
        .iter()
        .map(|t| money_f64(t.pnl))
        .filter(|p| *p < 0.0)
        .collect();
    let gross_loss: f64 = losses.iter().map(|l| -l).sum();
    let gross_win: f64 = wins.iter().sum();
    let mean_equity = (days > 0).then(|| equity_sum / days as f64);
    let traded: f64 = fills.iter().map(|f| money_f64(f.notional()).abs()).sum();
    let commissions = fills.iter().fold(Money::ZERO, |a, f| a + f.commission);
    Metrics {
        start: first.map_or_else(String::new, |d| d.to_string()),
        end: last.map_or_else(String::new, |(d, _)| d.to_string()),
        days,
        initial_equity: initial,
        final_equity,
        total_return,
        cagr: finite(annual_return),
        annual_volatility: finite(ratios.annual_volatility),
        sharpe: finite(ratios.sharpe),
        sortino: finite(ratios.sortino),
        calmar: finite(calmar),
        max_drawdown: mdd.map(|m| 0.0 - m.depth),
        max_drawdown_duration_days: mdd.map(|m| m.duration_bars),
        fills: fills.len(),
        trades: closed.len(),
        win_rate: (!closed.is_empty()).then(|| wins.len() as f64 / closed.len() as f64),
        profit_factor: (gross_loss > 0.0).then(|| gross_win / gross_loss),
        exposure: (exposed > 0).then(|| exposure_sum / exposed as f64 + 0.0),
        turnover: mean_equity.filter(|m| *m > 0.0).map(|m| traded / m + 0.0),
        commissions,
        plugin_runs: BTreeMap::new(),
        notes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use optifire_core::Timestamp;
    use optifire_ta::risk::{annual_volatility, cagr, calmar_ratio, sharpe_ratio, sortino_ratio};
    use rust_decimal::Decimal;
    use rust_decimal_macros::dec;

    fn pt(day: i64, eq: Decimal) -> EquityPoint {
        // 21:00 UTC = 16:00 New York in winter; one day apart.
        EquityPoint {
            ts: Timestamp::from_secs(1_704_229_200 + day * 86_400),
            equity: Money(eq),
            cash: Money(eq),
            gross_exposure: Money::ZERO,
        }
    }

    /// Stepping from the previous point's date gives each point's own New York date: dates
    /// around daylight-saving changes, the hour when the time-zone database decides, year
    /// ends, leap days, gaps of years and points out of order.
    #[test]
    fn dated_points_have_their_own_dates() {
        use optifire_core::Timestamp;
        let mut rng = fastrand::Rng::with_seed(11);
        let mut ts: Vec<i64> = Vec::new();
        let mut t = -2_300_000_000i64; // 1897, before the day-number range
        while t < 7_400_000_000 {
            ts.push(t);
            t += match rng.u8(..) {
                0..=199 => 86_400 + rng.i64(-7_200..7_200),
                200..=239 => rng.i64(0..4 * 86_400),
                240..=249 => rng.i64(0..400 * 86_400),
                _ => -rng.i64(0..3 * 86_400),
            };
        }
        // Every hour across two DST changes and a year end.
        for base in [1_710_028_800i64, 1_730_592_000, 1_704_024_000] {
            ts.extend((0..72).map(|h| base + h * 3_600));
        }
        let points: Vec<EquityPoint> = ts
            .iter()
            .map(|&s| EquityPoint {
                ts: Timestamp(s * 1_000_000_000),
                equity: Money::ZERO,
                cash: Money::ZERO,
                gross_exposure: Money::ZERO,
            })
            .collect();
        let mut want: Vec<(NaiveDate, &EquityPoint)> = Vec::new();
        for p in &points {
            let d = p.ts.ny_date();
            match want.last_mut() {
                Some(last) if last.0 == d => last.1 = p,
                _ => want.push((d, p)),
            }
        }
        let got = dated_daily_points(&points);
        assert_eq!(got.len(), want.len());
        for (g, w) in got.iter().zip(&want) {
            assert_eq!(g.0, w.0);
            assert!(std::ptr::eq(g.1, w.1));
        }
    }

    #[test]
    fn round_non_negative_is_rounds() {
        let mut cases = vec![
            0.0,
            -0.0,
            0.5,
            1.5,
            2.5,
            0.49999999999999994,
            4_503_599_627_370_495.5,
            4_503_599_627_370_496.0,
            9_007_199_254_740_993.0,
            1e300,
            f64::MAX,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
            -0.5,
            -2.5,
            -1e-300,
            5e-324,
        ];
        let mut rng = fastrand::Rng::with_seed(0xA076_1D64_78BD_642F);
        for _ in 0..200_000 {
            let x = rng.f64() * 10f64.powi(rng.i32(-5..20));
            // Exact halves and their neighbours one ulp either side.
            let half = (x.floor() + 0.5).min(4.5e15);
            cases.extend([x, -x, half, f64::from_bits(half.to_bits() + 1)]);
            cases.push(f64::from_bits(half.to_bits().saturating_sub(1)));
            cases.push(f64::from_bits(rng.u64(..)));
        }
        for y in cases {
            let (a, b) = (round_non_negative(y), y.round());
            assert!(
                a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan()),
                "{y:e}"
            );
        }
    }

    #[test]
    fn split_at_scale_is_division() {
        let mut rng = fastrand::Rng::with_seed(0xE703_7ED1_A0B4_28DB);
        for scale in 0..=19u32 {
            let p = 10u64.pow(scale);
            for m in [0, 1, p - 1, p, p + 1, u64::MAX, u64::MAX - 1]
                .into_iter()
                .chain((0..2_000).map(|_| rng.u64(..) >> rng.u32(0..64)))
            {
                assert_eq!(split_at_scale(m, scale), (m / p, m % p), "{m} {scale}");
            }
        }
    }

    #[test]
    fn money_f64_is_the_decimal_conversion() {
        use std::str::FromStr;
        let mut cases: Vec<Decimal> = [
            "0",
            "-0.00",
            "102392.5952",
            "100000",
            "0.1",
            "-0.1",
            "18446744073709551615.5",
            "1.8446744073709551615",
            "0.0000000000000000001",
            "0.00000000000000000001",
            "-123456789.123456789",
            "79228162514264337593543950335",
        ]
        .iter()
        .map(|s| Decimal::from_str(s).unwrap())
        .collect();
        let mut rng = fastrand::Rng::with_seed(0x2545_F491_4F6C_DD1D);
        for _ in 0..200_000 {
            let x = rng.u64(..);
            let m = i128::from(x >> (x % 50)) * if x & 2 == 0 { 1 } else { -1 };
            cases.push(Decimal::from_i128_with_scale(m, (x >> 57) as u32 % 29));
        }
        // Mantissas below and around 2^50 (the shortcut) at every scale, and prices of
        // cents to 8 decimals as a ledger writes them.
        for _ in 0..400_000 {
            let x = rng.u64(..);
            let m = (x >> (14 + x % 40)) as i128 + i128::from(rng.i8(-2..=2));
            let m = m.max(0) * if x & 4 == 0 { 1 } else { -1 };
            cases.push(Decimal::from_i128_with_scale(m, rng.u32(0..=20)));
        }
        for k in -4i64..=4 {
            for scale in 0..=20 {
                let m = i128::from((1i64 << 50) + k);
                cases.push(Decimal::from_i128_with_scale(m, scale));
                cases.push(Decimal::from_i128_with_scale(-m, scale));
            }
        }
        for d in cases {
            let (a, b) = (money_f64(Money(d)), Money(d).to_f64());
            assert_eq!(a.to_bits(), b.to_bits(), "{d:?}");
        }
    }

    #[test]
    fn calmar_is_the_libraries() {
        // A rising curve (no drawdown: no ratio), a falling one, and a wandering one.
        for steps in [
            vec![1.0, 2.0, 3.0, 5.0],
            vec![-3.0, -1.0, -4.0],
            vec![4.0, -7.0, 2.5, 9.0, -1.5, -6.0, 3.0, 8.0],
        ] {
            // Weekdays only (from Tuesday 2024-01-02), so the ratios use 252 periods a year.
            let weekdays = [0, 1, 2, 3, 6, 7, 8, 9];
            let mut eq = dec!(100);
            let pts: Vec<EquityPoint> = steps
                .iter()
                .enumerate()
                .map(|(day, s)| {
                    eq += Decimal::try_from(*s).unwrap();
                    pt(weekdays[day], eq)
                })
                .collect();
            let m = compute(Money(dec!(100)), &pts, &[], &[], vec![]);
            let mut before = 100.0;
            let returns: Vec<f64> = pts
                .iter()
                .map(|p| {
                    let now = p.equity.to_f64();
                    let r = now / before - 1.0;
                    before = now;
                    r
                })
                .collect();
            let want = finite(calmar_ratio(&returns, PERIODS_PER_YEAR));
            assert_eq!(
                m.calmar.map(f64::to_bits),
                want.map(f64::to_bits),
                "{steps:?}"
            );
        }
    }

    #[test]
    fn hand_worked_curve() {
        // 100 -> 110 -> 99 -> 121: returns 0.1, -0.1, 0.2222..; the drawdown 110 -> 99 is 10%,
        // from the peak after day 0 to the recovery on day 2 (2 bars).
        let pts = [pt(0, dec!(110)), pt(1, dec!(99)), pt(2, dec!(121))];
        let m = compute(Money(dec!(100)), &pts, &[], &[], vec![]);
        assert!((m.total_return - 0.21).abs() < 1e-12);
        assert!((m.max_drawdown.unwrap() - 0.1).abs() < 1e-12);
        assert_eq!(m.max_drawdown_duration_days, Some(2));
        assert_eq!(m.days, 3);
        assert_eq!(m.win_rate, None);
        assert_eq!(m.profit_factor, None);
    }

    /// The metrics as they were computed before the one-pass `compute`: every daily point,
    /// equity and exposure in a list first. The one-pass version must give the same bits.
    fn compute_with_lists(
        initial: Money,
        points: &[EquityPoint],
        fills: &[Fill],
        closed: &[ClosedTrade],
        notes: Vec<String>,
    ) -> Metrics {
        let dated = dated_daily_points(points);
        let nyse = NyseCalendar::new();
        let mut notes = notes;
        let ppy = if dated.iter().all(|(d, _)| nyse.is_trading_day(*d)) {
            PERIODS_PER_YEAR
        } else {
            notes.push(format!(
                "the equity curve has points on days NYSE is closed (crypto): ratios annualized \
                 with {CALENDAR_DAYS_PER_YEAR} periods a year"
            ));
            CALENDAR_DAYS_PER_YEAR
        };
        // The daily points are read where they are (`dated` borrows them). Each daily
        // equity as f64 once: the decimal conversion is the costly part, and the returns, the
        // exposure and the mean equity all read it.
        let equities: Vec<f64> = dated.iter().map(|(_, p)| money_f64(p.equity)).collect();
        // Each daily equity over the one before it (the starting cash before the first).
        let returns: Vec<f64> = std::iter::once(initial.to_f64())
            .chain(equities.iter().copied())
            .zip(&equities)
            .map(|(before, now)| now / before - 1.0)
            .collect();
        let final_equity = Money(
            dated
                .last()
                .map_or(initial, |(_, p)| p.equity)
                .0
                .normalize(),
        );
        let total_return = if initial.0.is_zero() {
            f64::NAN
        } else {
            final_equity.to_f64() / initial.to_f64() - 1.0
        };
        let mdd = max_drawdown(&returns);
        let annual_return = cagr(&returns, ppy);
        // `calmar_ratio(&returns, ppy)` from the two parts above, each worked out once.
        let calmar = match (&mdd, &annual_return) {
            (Ok(m), Ok(r)) => Ok(calmar_from(*r, m.depth)),
            (Err(e), _) | (_, Err(e)) => Err(e.clone()),
        };
        let mdd = mdd.ok();
        let wins: Vec<f64> = closed
            .iter()
            .map(|t| t.pnl.to_f64())
            .filter(|p| *p > 0.0)
            .collect();
        let losses: Vec<f64> = closed
            .iter()
            .map(|t| t.pnl.to_f64())
            .filter(|p| *p < 0.0)
            .collect();
        let gross_loss: f64 = losses.iter().map(|l| -l).sum();
        let gross_win: f64 = wins.iter().sum();
        let mut exposures: Vec<f64> = Vec::with_capacity(dated.len());
        exposures.extend(
            dated
                .iter()
                .zip(&equities)
                .filter(|((_, p), _)| p.equity.0 > Decimal::ZERO)
                .map(|((_, p), e)| {
                    // Flat, the exposure is zero whatever its scale: no conversion needed.
                    let g = if p.gross_exposure.0.is_zero() {
                        0.0
                    } else {
                        money_f64(p.gross_exposure)
                    };
                    g / e
                }),
        );
        let mean_equity = if dated.is_empty() {
            None
        } else {
            Some(equities.iter().sum::<f64>() / dated.len() as f64)
        };
        let traded: f64 = fills.iter().map(|f| f.notional().to_f64().abs()).sum();
        let commissions = fills.iter().fold(Money::ZERO, |a, f| a + f.commission);
        Metrics {
            start: dated
                .first()
                .map_or_else(String::new, |(d, _)| d.to_string()),
            end: dated
                .last()
                .map_or_else(String::new, |(d, _)| d.to_string()),
            days: dated.len(),
            initial_equity: initial,
            final_equity,
            total_return,
            cagr: finite(annual_return),
            annual_volatility: finite(annual_volatility(&returns, ppy)),
            sharpe: finite(sharpe_ratio(&returns, 0.0, ppy)),
            sortino: finite(sortino_ratio(&returns, 0.0, ppy)),
            calmar: finite(calmar),
            max_drawdown: mdd.map(|m| 0.0 - m.depth),
            max_drawdown_duration_days: mdd.map(|m| m.duration_bars),
            fills: fills.len(),
            trades: closed.len(),
            win_rate: (!closed.is_empty()).then(|| wins.len() as f64 / closed.len() as f64),
            profit_factor: (gross_loss > 0.0).then(|| gross_win / gross_loss),
            exposure: (!exposures.is_empty())
                .then(|| exposures.iter().sum::<f64>() / exposures.len() as f64 + 0.0),
            turnover: mean_equity.filter(|m| *m > 0.0).map(|m| traded / m + 0.0),
            commissions,
            plugin_runs: BTreeMap::new(),
            notes,
        }
    }

    #[test]
    fn one_pass_metrics_are_those_of_the_lists() {
        let mut rng = fastrand::Rng::with_seed(0x0005_EED0_F3E7);
        for case in 0..400 {
            let n = rng.usize(0..300);
            let mut t = 1_704_229_200i64 + rng.i64(-400..400) * 86_400;
            let mut eq = Decimal::from(rng.i64(1..1_000_000));
            let points: Vec<EquityPoint> = (0..n)
                .map(|_| {
                    // Days, weekends (a crypto-like curve), several points a day, gaps.
                    t += match rng.u8(..) {
                        0..=179 => 86_400,
                        180..=219 => rng.i64(0..3 * 3_600),
                        220..=239 => rng.i64(1..10) * 86_400,
                        _ => rng.i64(0..86_400),
                    };
                    if case % 7 != 0 {
                        // Equity of mixed scales, sometimes zero or negative.
                        eq += Decimal::new(rng.i64(-5_000_000..5_000_000), rng.u32(0..9));
                        if rng.u8(..) < 3 {
                            eq = Decimal::new(0, rng.u32(0..4));
                        }
                    }
                    let gross = match rng.u8(..) {
                        0..=99 => Decimal::new(0, rng.u32(0..6)),
                        _ => Decimal::new(rng.i64(0..1_000_000_000), rng.u32(0..10)),
                    };
                    // A third of the curves only between 20:00 and 22:00 UTC, where every
                    // day number is known (`by_day_numbers`); the rest now and then in the hour
                    // where it is not (the dates path).
                    let at = if case % 3 == 1 {
                        t.div_euclid(86_400) * 86_400 + 72_000 + t.rem_euclid(7_200)
                    } else {
                        t
                    };
                    EquityPoint {
                        ts: Timestamp::from_secs(at),
                        equity: Money(eq),
                        cash: Money(eq),
                        gross_exposure: Money(gross),
                    }
                })
                .collect();
            // Now and then two points out of time order (the dates path again).
            let mut points = points;
            if case % 11 == 5 && points.len() > 2 {
                let (i, j) = (rng.usize(..points.len()), rng.usize(..points.len()));
                points.swap(i, j);
            }
            let initial = Money(Decimal::new(rng.i64(0..10_000_000), rng.u32(0..3)));
            // Fills and closed trades of mixed scales (prices to 8 decimals, PnL to 12).
            let sym = optifire_core::domain::Symbol::new("ORCL");
            let fills: Vec<Fill> = (0..rng.usize(0..40))
                .map(|k| Fill {
                    fill_id: format!("f{k}").into(),
                    client_order_id: optifire_core::domain::ClientOrderId::new(format!("c{k}")),
                    symbol: sym.clone(),
                    side: optifire_core::domain::Side::Buy,
                    qty: optifire_core::domain::Quantity(Decimal::new(
                        rng.i64(1..100_000),
                        rng.u32(0..4),
                    )),
                    price: optifire_core::domain::Price(Decimal::new(
                        rng.i64(1..10_000_000_000),
                        rng.u32(0..9),
                    )),
                    commission: Money(Decimal::new(rng.i64(0..10_000), 2)),
                    ts: Timestamp::from_secs(t),
                })
                .collect();
            let closed: Vec<ClosedTrade> = (0..rng.usize(0..40))
                .map(|k| ClosedTrade {
                    ts: Timestamp::from_secs(t),
                    symbol: sym.clone(),
                    fill_id: format!("f{k}").into(),
                    pnl: Money(Decimal::new(
                        rng.i64(-10_000_000_000_000..10_000_000_000_000),
                        rng.u32(0..13),
                    )),
                })
                .collect();
            let a = compute(initial, &points, &fills, &closed, vec!["x".into()]);
            let b = compute_with_lists(initial, &points, &fills, &closed, vec!["x".into()]);
            assert_eq!(format!("{a:?}"), format!("{b:?}"), "case {case}");
        }
    }
}
