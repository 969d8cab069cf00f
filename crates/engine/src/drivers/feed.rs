//! Where a real-time driver's bars come from: a paced replay of files, or (feature `alpaca`)
//! Alpaca's live stream. The driver asks the feed, at the clock's time, what has arrived.
//!
//! Replay pacing is measured on the driver's injected clock, so a test drives it with a
//! `SimulatedClock` and production with the wall clock, through the same code.

use optifire_core::domain::Bar;
use optifire_core::Timestamp;

/// Bars that closed at one instant.
#[derive(Clone, Debug, PartialEq)]
pub struct Batch {
    /// Market time of the bars (their close).
    pub at: Timestamp,
    /// In symbol order.
    pub bars: Vec<Bar>,
}

/// What a feed has at a given clock time.
#[derive(Clone, Debug, PartialEq)]
pub enum FeedPoll {
    Ready(Batch),
    /// Nothing yet; ask again at this clock time (or earlier, for a command).
    Wait(Timestamp),
    /// Nothing more will come.
    Finished,
}

/// A source of bars for a real-time driver.
pub trait Feed: Send + std::fmt::Debug {
    /// The next batch released by clock time `now`, if any.
    fn poll(&mut self, now: Timestamp) -> FeedPoll;
    /// True when bar times are the present (a live stream): the engine then cycles at the
    /// clock's time. False for a replay: the engine cycles at the bars' own (past) times, as a
    /// backtest does, so the risk engine's market hours and staleness checks see the market
    /// time the bars describe.
    fn is_live(&self) -> bool;
}

/// How fast a replay releases its instants, on the driver's clock.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Pace {
    /// Every instant at once, as fast as the engine cycles (`replay_speed: 0`).
    Unpaced,
    /// Market time runs this many times faster than the clock (`data.replay_speed`): at 60,
    /// a minute of market time passes each second. Gaps (nights, weekends) are kept.
    TimeScale(f64),
    /// This many instants a second regardless of the market time between them: a daily file
    /// at 5 shows a trading week a second.
    BarsPerSecond(f64),
}

impl Pace {
    /// `data.replay_speed`'s meaning: a multiple of real time, 0 (or anything not positive and
    /// finite) for as fast as possible.
    pub fn from_replay_speed(speed: f64) -> Pace {
        if speed.is_finite() && speed > 0.0 {
            Pace::TimeScale(speed)
        } else {
            Pace::Unpaced
        }
    }

    /// Clock nanoseconds after the first instant at which instant `index` (at market time
    /// `at`, the first being at `first`) is released.
    fn offset_nanos(self, index: usize, first: Timestamp, at: Timestamp) -> i64 {
        let nanos = match self {
            Pace::Unpaced => 0.0,
            Pace::TimeScale(k) if k > 0.0 => (at.0 - first.0) as f64 / k,
            Pace::BarsPerSecond(r) if r > 0.0 => index as f64 / r * 1e9,
            _ => 0.0,
        };
        // Saturating float-to-int conversion; pacing needs no more than nanosecond accuracy.
        nanos as i64
    }
}

/// Replays prepared instants (see `setup::ReplayData::split`) at a `Pace`. The first poll
/// anchors the schedule at that clock time.
#[derive(Clone, Debug)]
pub struct ReplayFeed {
    instants: Vec<(Timestamp, Vec<Bar>)>,
    next: usize,
    pace: Pace,
    anchor: Option<Timestamp>,
}

impl ReplayFeed {
    pub fn new(instants: Vec<(Timestamp, Vec<Bar>)>, pace: Pace) -> ReplayFeed {
        ReplayFeed {
            instants,
            next: 0,
            pace,
            anchor: None,
        }
    }

    /// Instants not yet released.
    pub fn remaining(&self) -> usize {
        self.instants.len() - self.next
    }
}

impl Feed for ReplayFeed {
    fn poll(&mut self, now: Timestamp) -> FeedPoll {
        let Some((at, _)) = self.instants.get(self.next) else {
            return FeedPoll::Finished;
        };
        let first = self.instants[0].0;
        let anchor = *self.anchor.get_or_insert(now);
        let due = Timestamp(
            anchor
                .0
                .saturating_add(self.pace.offset_nanos(self.next, first, *at)),
        );
        if now < due {
            return FeedPoll::Wait(due);
        }
        let at = *at;
        let bars = std::mem::take(&mut self.instants[self.next].1);
        self.next += 1;
        FeedPoll::Ready(Batch { at, bars })
    }

    fn is_live(&self) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use optifire_core::domain::Symbol;

    fn bar(secs: i64) -> Bar {
        Bar {
            symbol: Symbol::new("SPY"),
            ts: Timestamp::from_secs(secs),
            open: 1.0,
            high: 1.0,
            low: 1.0,
            close: 1.0,
            volume: 1.0,
        }
    }

    fn feed(pace: Pace) -> ReplayFeed {
        let instants = [0, 86_400, 3 * 86_400]
            .iter()
            .map(|s| (Timestamp::from_secs(*s), vec![bar(*s)]))
            .collect();
        ReplayFeed::new(instants, pace)
    }

    fn at(f: &mut ReplayFeed, secs: i64) -> FeedPoll {
        f.poll(Timestamp::from_secs(secs))
    }

    #[test]
    fn a_time_scale_keeps_the_gaps_between_instants() {
        // 86,400 x: one market day per clock second; the weekend-like gap of two days takes 2 s.
        let mut f = feed(Pace::TimeScale(86_400.0));
        assert!(matches!(at(&mut f, 1_000), FeedPoll::Ready(b) if b.at == Timestamp::from_secs(0)));
        assert_eq!(
            at(&mut f, 1_000),
            FeedPoll::Wait(Timestamp::from_secs(1_001))
        );
        assert!(matches!(at(&mut f, 1_001), FeedPoll::Ready(_)));
        assert_eq!(
            at(&mut f, 1_002),
            FeedPoll::Wait(Timestamp::from_secs(1_003))
        );
        assert!(matches!(at(&mut f, 1_003), FeedPoll::Ready(_)));
        assert_eq!(at(&mut f, 1_003), FeedPoll::Finished);
    }

    #[test]
    fn bars_per_second_ignores_market_gaps() {
        let mut f = feed(Pace::BarsPerSecond(2.0));
        assert!(matches!(at(&mut f, 10), FeedPoll::Ready(_)));
        assert_eq!(
            f.poll(Timestamp::from_secs(10)),
            FeedPoll::Wait(Timestamp(Timestamp::from_secs(10).0 + 500_000_000))
        );
        assert!(matches!(at(&mut f, 11), FeedPoll::Ready(_)));
        assert!(matches!(at(&mut f, 11), FeedPoll::Ready(_)));
        assert_eq!(f.remaining(), 0);
    }

    #[test]
    fn unpaced_and_nonsense_speeds_release_everything_at_once() {
        assert_eq!(Pace::from_replay_speed(0.0), Pace::Unpaced);
        assert_eq!(Pace::from_replay_speed(f64::NAN), Pace::Unpaced);
        assert_eq!(Pace::from_replay_speed(60.0), Pace::TimeScale(60.0));
        let mut f = feed(Pace::Unpaced);
        for _ in 0..3 {
            assert!(matches!(at(&mut f, 5), FeedPoll::Ready(_)));
        }
        assert_eq!(at(&mut f, 5), FeedPoll::Finished);
    }
}
