//! Fire instants of a schedule: which moments in a time window a plugin is due.
//!
//! Windows are half-open `(after, until]` everywhere, so consecutive ticks `(t0, t1]`,
//! `(t1, t2]` never fire a moment twice nor skip one.

use chrono::NaiveDate;

use super::spec::Schedule;
use crate::calendar::{NyseCalendar, Session};
use crate::Timestamp;

const NANOS_PER_MINUTE: i64 = 60_000_000_000;
const NANOS_PER_HOUR: i64 = 60 * NANOS_PER_MINUTE;
/// Days searched ahead for the next `@open`/`@close`: longer than any NYSE closure.
const SEARCH_DAYS: usize = 400;

/// How many times a schedule fired in a window, and the latest instant.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FireSummary {
    pub count: u64,
    pub last: Option<Timestamp>,
}

/// An interval's length in nanoseconds; `None` for zero minutes or an overflowing length.
fn interval_step(minutes: u32) -> Option<i64> {
    i64::from(minutes)
        .checked_mul(NANOS_PER_MINUTE)
        .filter(|s| *s > 0)
}

/// The first multiple of `step` strictly greater than `t` (nanoseconds since the epoch).
fn next_multiple(t: Timestamp, step: i64) -> Option<Timestamp> {
    let base = t.nanos().checked_sub(t.nanos().rem_euclid(step))?;
    base.checked_add(step).map(Timestamp::from_nanos)
}

impl Schedule {
    /// Every fire instant in `(after, until]`, in time order.
    pub fn fire_times(
        &self,
        cal: &NyseCalendar,
        after: Timestamp,
        until: Timestamp,
    ) -> Vec<Timestamp> {
        let mut out = Vec::new();
        self.for_each_fire(cal, after, until, |t| out.push(t));
        out
    }

    /// How many instants fire in `(after, until]` and the latest one, without materialising
    /// them (intervals are counted arithmetically).
    pub fn fire_summary(
        &self,
        cal: &NyseCalendar,
        after: Timestamp,
        until: Timestamp,
    ) -> FireSummary {
        if until <= after {
            return FireSummary::default();
        }
        if let Schedule::Interval { minutes } = self {
            let Some(step) = interval_step(*minutes) else {
                return FireSummary::default();
            };
            let hi = until.nanos().div_euclid(step);
            let lo = after.nanos().div_euclid(step);
            let count = u64::try_from(hi - lo).unwrap_or(0);
            return FireSummary {
                count,
                last: (count > 0).then(|| Timestamp::from_nanos(hi * step)),
            };
        }
        let mut summary = FireSummary::default();
        self.for_each_fire(cal, after, until, |t| {
            summary.count += 1;
            summary.last = Some(t);
        });
        summary
    }

    /// The first fire instant strictly after `t`; `None` if there is none (a cron pattern that
    /// never matches, an interval of zero minutes, or the end of the `Timestamp` range).
    pub fn next_after(&self, cal: &NyseCalendar, t: Timestamp) -> Option<Timestamp> {
        match self {
            Schedule::Open => next_session_instant(cal, t, |s| s.open),
            Schedule::Close => next_session_instant(cal, t, |s| s.close),
            Schedule::Idle => {
                let mut h = next_multiple(t, NANOS_PER_HOUR)?;
                // The longest regular session is 6.5 hours, so a handful of steps suffices.
                for _ in 0..48 {
                    if !cal.is_open_at(h) {
                        return Some(h);
                    }
                    h = h.plus_nanos(NANOS_PER_HOUR);
                }
                None
            }
            Schedule::Interval { minutes } => next_multiple(t, interval_step(*minutes)?),
            Schedule::Cron(c) => c.next_after(t),
        }
    }

    fn for_each_fire(
        &self,
        cal: &NyseCalendar,
        after: Timestamp,
        until: Timestamp,
        mut f: impl FnMut(Timestamp),
    ) {
        if until <= after {
            return;
        }
        let in_window = |t: Timestamp| after < t && t <= until;
        match self {
            Schedule::Open | Schedule::Close => {
                for d in days(after.ny_date(), until.ny_date()) {
                    if let Some(s) = cal.session(d) {
                        let t = if *self == Schedule::Open {
                            s.open
                        } else {
                            s.close
                        };
                        if in_window(t) {
                            f(t);
                        }
                    }
                }
            }
            Schedule::Idle => {
                let Some(mut h) = next_multiple(after, NANOS_PER_HOUR) else {
                    return;
                };
                let mut cached: Option<(NaiveDate, Option<Session>)> = None;
                while h <= until {
                    let d = h.ny_date();
                    let session = match cached {
                        Some((cd, s)) if cd == d => s,
                        _ => {
                            let s = cal.session(d);
                            cached = Some((d, s));
                            s
                        }
                    };
                    if !session.is_some_and(|s| s.contains(h)) {
                        f(h);
                    }
                    match h.nanos().checked_add(NANOS_PER_HOUR) {
                        Some(n) => h = Timestamp::from_nanos(n),
                        None => return,
                    }
                }
            }
            Schedule::Interval { minutes } => {
                let Some(step) = interval_step(*minutes) else {
                    return;
                };
                let Some(mut t) = next_multiple(after, step) else {
                    return;
                };
                while t <= until {
                    f(t);
                    match t.nanos().checked_add(step) {
                        Some(n) => t = Timestamp::from_nanos(n),
                        None => return,
                    }
                }
            }
            Schedule::Cron(c) => {
                let mut t = after;
                while let Some(next) = c.next_after(t) {
                    if next > until || next <= t {
                        break;
                    }
                    f(next);
                    t = next;
                }
            }
        }
    }
}

fn days(from: NaiveDate, to: NaiveDate) -> impl Iterator<Item = NaiveDate> {
    from.iter_days().take_while(move |d| *d <= to)
}

fn next_session_instant(
    cal: &NyseCalendar,
    t: Timestamp,
    pick: impl Fn(&Session) -> Timestamp,
) -> Option<Timestamp> {
    t.ny_date()
        .iter_days()
        .take(SEARCH_DAYS)
        .filter_map(|d| cal.session(d))
        .map(|s| pick(&s))
        .find(|x| *x > t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extreme_inputs_do_not_panic() {
        let cal = NyseCalendar::new();
        let huge = Schedule::Interval { minutes: u32::MAX };
        let zero = Schedule::Interval { minutes: 0 };
        let t = Timestamp::from_secs(1_700_000_000);
        // u32::MAX minutes overflows i64 nanoseconds: treated as never firing.
        assert_eq!(huge.next_after(&cal, t), None);
        assert_eq!(zero.next_after(&cal, t), None);
        assert!(zero
            .fire_times(&cal, Timestamp::MIN, Timestamp::MAX)
            .is_empty());
        let cron: Schedule = "0 9 * * *".parse().unwrap();
        // i64::MIN cannot be floored to a whole second: no answer, but no overflow panic.
        assert_eq!(cron.next_after(&cal, Timestamp::MIN), None);
        assert!(cron.next_after(&cal, Timestamp::MIN.plus_secs(1)).is_some());
        assert_eq!(Schedule::Open.next_after(&cal, Timestamp::MAX), None);
        assert_eq!(
            Schedule::Interval { minutes: 1 }.fire_summary(&cal, t, t),
            FireSummary::default()
        );
    }
}
