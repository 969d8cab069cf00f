//! Criterion measurement of the calling thread's CPU time (`CLOCK_THREAD_CPUTIME_ID`).
//!
//! On a shared machine wall time also counts the time the process waits for a core, which has
//! nothing to do with the kernel; thread CPU time does not. tools/bench/talib_ratio.py times
//! TA-Lib with the same clock (`time.thread_time`), so the ratio compares like with like.
#![allow(unsafe_code)]

use criterion::measurement::{Measurement, ValueFormatter};
use criterion::Throughput;

/// CPU time of the benchmarking thread, in nanoseconds.
pub struct ThreadCpuTime;

fn now_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec owned by this frame; clock_gettime only writes
    // into it, and CLOCK_THREAD_CPUTIME_ID is supported on every Linux the project runs on.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    assert_eq!(rc, 0, "clock_gettime(CLOCK_THREAD_CPUTIME_ID) failed");
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

impl Measurement for ThreadCpuTime {
    type Intermediate = u64;
    type Value = u64;

    fn start(&self) -> u64 {
        now_ns()
    }

    fn end(&self, started: u64) -> u64 {
        now_ns() - started
    }

    fn add(&self, a: &u64, b: &u64) -> u64 {
        a + b
    }

    fn zero(&self) -> u64 {
        0
    }

    fn to_f64(&self, value: &u64) -> f64 {
        *value as f64
    }

    fn formatter(&self) -> &dyn ValueFormatter {
        &Nanoseconds
    }
}

/// Formats nanoseconds with a readable unit (as criterion's own wall-time formatter does).
struct Nanoseconds;

impl ValueFormatter for Nanoseconds {
    fn scale_values(&self, ns: f64, values: &mut [f64]) -> &'static str {
        let (factor, unit) = if ns < 1e3 {
            (1.0, "ns")
        } else if ns < 1e6 {
            (1e-3, "µs")
        } else if ns < 1e9 {
            (1e-6, "ms")
        } else {
            (1e-9, "s")
        };
        for v in values {
            *v *= factor;
        }
        unit
    }

    fn scale_throughputs(
        &self,
        _typical: f64,
        _t: &Throughput,
        _values: &mut [f64],
    ) -> &'static str {
        // No benchmark here declares a throughput.
        "ns"
    }

    fn scale_for_machines(&self, _values: &mut [f64]) -> &'static str {
        "ns"
    }
}
