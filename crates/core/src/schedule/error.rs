//! Errors of schedule parsing and job registration.
//!
//! Each names the offending text or ids so a bad config line can be fixed without a debugger.

use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ScheduleError {
    #[error("invalid schedule `{text}`: {reason}")]
    Parse { text: String, reason: String },
    #[error("job `{id}` is already registered")]
    DuplicateJob { id: String },
    #[error("job `{id}` depends on `{dependency}`, which is not registered")]
    UnknownDependency { id: String, dependency: String },
    #[error("dependency cycle: {}", cycle.join(" -> "))]
    Cycle {
        /// The ids along the cycle, the first repeated at the end (`a -> b -> a`).
        cycle: Vec<String>,
    },
    #[error("no job `{id}` is registered")]
    UnknownJob { id: String },
}
