//! The plugin scheduler: which registered jobs are due at each clock tick, and in what order.
//!
//! It owns no clock and no threads: the driver (backtest, paper or live) passes each tick's
//! `(prev, now]` window, so the same code serves a simulated and the real clock.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::deps::dependency_order;
use super::error::ScheduleError;
use super::misfire::{Misfire, MisfireReason};
use super::spec::Schedule;
use crate::calendar::NyseCalendar;
use crate::Timestamp;

/// Default lateness tolerated before a run is recorded as [`MisfireReason::Late`].
pub const DEFAULT_GRACE_SECS: f64 = 60.0;

/// A job that is due now.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DueRun {
    pub id: String,
    /// The latest fire time in the tick's window.
    pub fire_time: Timestamp,
    /// Earlier fire times in the same window that were coalesced into this run.
    pub missed: u32,
}

#[derive(Clone, Debug)]
struct Job {
    schedule: Schedule,
    depends_on: Vec<String>,
    running: bool,
}

/// Registered jobs with their schedules, dependencies and running state.
#[derive(Clone, Debug)]
pub struct Scheduler {
    calendar: NyseCalendar,
    jobs: BTreeMap<String, Job>,
    /// Dependency order of all jobs (unknown dependencies ignored), refreshed on `add`.
    order: Vec<String>,
    grace_secs: f64,
    record_misfires: bool,
    misfires: Vec<Misfire>,
}

impl Default for Scheduler {
    fn default() -> Self {
        Scheduler::new(NyseCalendar::new())
    }
}

impl Scheduler {
    pub fn new(calendar: NyseCalendar) -> Self {
        Scheduler {
            calendar,
            jobs: BTreeMap::new(),
            order: Vec::new(),
            grace_secs: DEFAULT_GRACE_SECS,
            record_misfires: true,
            misfires: Vec::new(),
        }
    }

    /// Lateness (seconds) tolerated before a run is recorded as late.
    pub fn with_grace_secs(mut self, secs: f64) -> Self {
        self.grace_secs = secs;
        self
    }

    /// Whether coalesced and late runs are recorded as misfires. Backtests stepping over daily
    /// bars turn this off: there every intraday schedule coalesces and is "late" by design.
    /// Overlap skips are always recorded, since they mean a run really did not happen.
    pub fn set_record_misfires(&mut self, on: bool) {
        self.record_misfires = on;
    }

    pub fn grace_secs(&self) -> f64 {
        self.grace_secs
    }

    pub fn calendar(&self) -> &NyseCalendar {
        &self.calendar
    }

    /// Register job `id`. Fails on a duplicate id or when the new dependencies close a cycle
    /// among registered jobs (the job is then not added). Dependencies not yet registered are
    /// allowed here, so jobs can be added in any order; [`Scheduler::validate`] rejects any
    /// that are still missing.
    pub fn add(
        &mut self,
        id: &str,
        schedule: Schedule,
        depends_on: Vec<String>,
    ) -> Result<(), ScheduleError> {
        if self.jobs.contains_key(id) {
            return Err(ScheduleError::DuplicateJob { id: id.to_string() });
        }
        let mut graph = self.graph();
        graph.insert(id.to_string(), depends_on.clone());
        let order = dependency_order(&graph, false)?;
        self.jobs.insert(
            id.to_string(),
            Job {
                schedule,
                depends_on,
                running: false,
            },
        );
        self.order = order;
        Ok(())
    }

    /// Check the whole job set: every dependency registered and no cycle.
    pub fn validate(&self) -> Result<(), ScheduleError> {
        dependency_order(&self.graph(), true).map(|_| ())
    }

    /// All job ids in dependency order (ties by id).
    pub fn ids(&self) -> &[String] {
        &self.order
    }

    pub fn schedule(&self, id: &str) -> Option<&Schedule> {
        self.jobs.get(id).map(|j| &j.schedule)
    }

    pub fn depends_on(&self, id: &str) -> Option<&[String]> {
        self.jobs.get(id).map(|j| j.depends_on.as_slice())
    }

    /// Jobs with at least one fire time in `(prev, now]`, each once, in dependency order.
    /// Several fire times coalesce into one run at the latest (`missed` counts the others); a
    /// job still running is skipped and recorded as an overlap misfire.
    pub fn due(&mut self, prev: Timestamp, now: Timestamp) -> Vec<DueRun> {
        let mut out = Vec::new();
        for id in &self.order {
            let Some(job) = self.jobs.get(id) else {
                continue;
            };
            let summary = job.schedule.fire_summary(&self.calendar, prev, now);
            let Some(fire_time) = summary.last else {
                continue;
            };
            if job.running {
                self.misfires.push(Misfire {
                    id: id.clone(),
                    fire_time,
                    reason: MisfireReason::Overlap,
                });
                continue;
            }
            let missed = u32::try_from(summary.count.saturating_sub(1)).unwrap_or(u32::MAX);
            if self.record_misfires {
                if missed > 0 {
                    self.misfires.push(Misfire {
                        id: id.clone(),
                        fire_time,
                        reason: MisfireReason::Coalesced { missed },
                    });
                }
                let late = now.secs_since(fire_time);
                if late > self.grace_secs {
                    self.misfires.push(Misfire {
                        id: id.clone(),
                        fire_time,
                        reason: MisfireReason::Late { by_secs: late },
                    });
                }
            }
            out.push(DueRun {
                id: id.clone(),
                fire_time,
                missed,
            });
        }
        out
    }

    /// Mark `id` as running: until [`Scheduler::mark_finished`], its fire times are skipped.
    pub fn mark_running(&mut self, id: &str) -> Result<(), ScheduleError> {
        self.set_running(id, true)
    }

    pub fn mark_finished(&mut self, id: &str) -> Result<(), ScheduleError> {
        self.set_running(id, false)
    }

    pub fn is_running(&self, id: &str) -> bool {
        self.jobs.get(id).is_some_and(|j| j.running)
    }

    /// Misfires recorded so far, oldest first.
    pub fn misfires(&self) -> &[Misfire] {
        &self.misfires
    }

    /// Drain the recorded misfires (e.g. to publish them on the bus).
    pub fn take_misfires(&mut self) -> Vec<Misfire> {
        std::mem::take(&mut self.misfires)
    }

    /// The next fire time of `id` strictly after `after`, for status pages.
    pub fn next_run(&self, id: &str, after: Timestamp) -> Option<Timestamp> {
        self.jobs
            .get(id)
            .and_then(|j| j.schedule.next_after(&self.calendar, after))
    }

    fn set_running(&mut self, id: &str, running: bool) -> Result<(), ScheduleError> {
        match self.jobs.get_mut(id) {
            Some(j) => {
                j.running = running;
                Ok(())
            }
            None => Err(ScheduleError::UnknownJob { id: id.to_string() }),
        }
    }

    fn graph(&self) -> BTreeMap<String, Vec<String>> {
        self.jobs
            .iter()
            .map(|(id, j)| (id.clone(), j.depends_on.clone()))
            .collect()
    }
}
