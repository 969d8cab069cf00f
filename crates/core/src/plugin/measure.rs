//! Resource measurement of plugin runs: thread CPU time and heap allocated by the running thread.
//!
//! CPU time comes from the kernel (`CLOCK_THREAD_CPUTIME_ID`), so it counts only the plugin's own
//! work even on a busy machine. Memory comes from `CountingAlloc`, a global allocator the binary
//! installs; it keeps per-thread live and peak byte counts, so a run's peak allocation is known
//! without any sampling. Without the allocator installed, memory is reported as unmeasured.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicBool, Ordering};

/// CPU time consumed by the calling thread, in milliseconds.
pub fn thread_cpu_ms() -> f64 {
    cpu_clock_ms(libc::CLOCK_THREAD_CPUTIME_ID)
}

/// CPU time consumed by the whole process (every thread), in milliseconds: for a run whose
/// work is split over threads (a backtest's store writer), where `thread_cpu_ms` would miss
/// part of it.
pub fn process_cpu_ms() -> f64 {
    cpu_clock_ms(libc::CLOCK_PROCESS_CPUTIME_ID)
}

/// One of the kernel's CPU-time clocks in milliseconds; NaN if the kernel refuses it.
fn cpu_clock_ms(clock: libc::clockid_t) -> f64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; the clock id is one of the constants above.
    let rc = unsafe { libc::clock_gettime(clock, &mut ts) };
    if rc != 0 {
        return f64::NAN;
    }
    ts.tv_sec as f64 * 1e3 + ts.tv_nsec as f64 / 1e6
}

/// Monotonic seconds (not wall time): for durations only, never for decisions.
pub fn monotonic_secs() -> f64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; CLOCK_MONOTONIC is a constant the kernel knows.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    if rc != 0 {
        return f64::NAN;
    }
    ts.tv_sec as f64 + ts.tv_nsec as f64 / 1e9
}

thread_local! {
    static LIVE: Cell<i64> = const { Cell::new(0) };
    static PEAK: Cell<i64> = const { Cell::new(0) };
}
static INSTALLED: AtomicBool = AtomicBool::new(false);

/// Global allocator that counts bytes per thread. Install in a binary or test with
/// `#[global_allocator] static A: CountingAlloc = CountingAlloc;`.
#[derive(Debug, Default, Clone, Copy)]
pub struct CountingAlloc;

fn add(n: i64) {
    // `try_with` because TLS may be gone during thread teardown; then the bytes are not counted.
    let _ = LIVE.try_with(|l| {
        let v = l.get() + n;
        l.set(v);
        let _ = PEAK.try_with(|p| {
            if v > p.get() {
                p.set(v)
            }
        });
    });
}

// SAFETY: every method forwards to `System` with the caller's layout and pointer unchanged; the
// bookkeeping touches only const-initialised thread-locals and never allocates.
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            INSTALLED.store(true, Ordering::Relaxed);
            add(layout.size() as i64);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        add(-(layout.size() as i64));
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            INSTALLED.store(true, Ordering::Relaxed);
            add(layout.size() as i64);
        }
        p
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            add(new_size as i64 - layout.size() as i64);
        }
        p
    }
}

/// Marks the start of a measured section on this thread.
#[derive(Debug, Clone, Copy)]
pub struct MemMark {
    live_at_start: i64,
}

impl MemMark {
    /// Resets this thread's peak to its current live bytes and remembers them.
    pub fn start() -> MemMark {
        let live = LIVE.with(|l| l.get());
        PEAK.with(|p| p.set(live));
        MemMark {
            live_at_start: live,
        }
    }
    /// Peak bytes allocated above the start, or `None` when `CountingAlloc` is not installed.
    pub fn peak_bytes(&self) -> Option<u64> {
        if !INSTALLED.load(Ordering::Relaxed) {
            return None;
        }
        let peak = PEAK.with(|p| p.get());
        Some((peak - self.live_at_start).max(0) as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_time_advances_with_work() {
        let a = thread_cpu_ms();
        let mut x = 0u64;
        for i in 0..3_000_000u64 {
            x = x.wrapping_mul(31).wrapping_add(i);
        }
        std::hint::black_box(x);
        let b = thread_cpu_ms();
        assert!(b > a, "{a} -> {b}");
        assert!(monotonic_secs() > 0.0);
    }
}
