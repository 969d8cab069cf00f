//! Plugin scheduling: schedule expressions, their fire times, and the due-job scheduler.
//!
//! Plugins declare when they run (`@open`, `@close`, `@idle`, `interval_*`, cron in New York);
//! the scheduler turns clock ticks into an ordered list of due runs and records every misfire.

mod cron;
mod deps;
mod error;
mod fire;
mod misfire;
mod scheduler;
mod spec;

pub use cron::CronSchedule;
pub use deps::dependency_order;
pub use error::ScheduleError;
pub use fire::FireSummary;
pub use misfire::{Misfire, MisfireReason};
pub use scheduler::{DueRun, Scheduler, DEFAULT_GRACE_SECS};
pub use spec::Schedule;
