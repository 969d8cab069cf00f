//! Misfires: fire times the scheduler did not run as scheduled, with the reason.
//!
//! Nothing is skipped silently: coalesced catch-up runs, late runs and overlap skips are all
//! recorded so the dashboard can show why a plugin ran less often than its schedule says.

use serde::{Deserialize, Serialize};

use crate::Timestamp;

/// Why a fire time was not run exactly as scheduled.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum MisfireReason {
    /// Several fire times fell in one tick; only the latest ran, `missed` earlier ones did not.
    Coalesced { missed: u32 },
    /// The run started `by_secs` seconds after its fire time (`now - fire_time`), more than the
    /// scheduler's grace.
    Late { by_secs: f64 },
    /// The job was still running from an earlier fire time, so this one was skipped.
    Overlap,
}

/// One misfire of job `id` at `fire_time` (the latest fire time of the tick concerned).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Misfire {
    pub id: String,
    pub fire_time: Timestamp,
    pub reason: MisfireReason,
}
