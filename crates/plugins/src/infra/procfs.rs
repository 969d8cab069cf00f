//! Process metrics read from Linux /proc: the production `ProcessProbe`.
//!
//! Reads /proc/self/stat (CPU ticks), /proc/self/status (RSS, threads), /proc/self/fd (open
//! descriptors) and /proc/uptime (a monotonic time base, so CPU % needs no wall clock).

use optifire_core::plugin::{ProcessProbe, ProcessSample};
use std::path::PathBuf;

/// Reads `<root>/self/...`; `root` is `/proc` in production and a fixture tree in tests.
#[derive(Debug, Clone)]
pub struct ProcFsProbe {
    root: PathBuf,
    ticks_per_sec: f64,
}

impl Default for ProcFsProbe {
    fn default() -> Self {
        ProcFsProbe {
            root: PathBuf::from("/proc"),
            ticks_per_sec: clock_ticks(),
        }
    }
}

#[allow(unsafe_code)]
fn clock_ticks() -> f64 {
    // SAFETY: sysconf has no preconditions; it returns -1 on error, handled below.
    let t = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if t > 0 {
        t as f64
    } else {
        100.0
    }
}

impl ProcFsProbe {
    pub fn with_root(root: impl Into<PathBuf>, ticks_per_sec: f64) -> Self {
        ProcFsProbe {
            root: root.into(),
            ticks_per_sec,
        }
    }

    fn read(&self, rel: &str) -> Result<String, String> {
        let p = self.root.join(rel);
        std::fs::read_to_string(&p).map_err(|e| format!("{}: {e}", p.display()))
    }
}

/// utime + stime (fields 14 and 15) from /proc/self/stat. The command name (field 2) may hold
/// spaces and parentheses, so fields are counted after the last ')'.
fn cpu_ticks(stat: &str) -> Result<f64, String> {
    let after = stat
        .rfind(')')
        .map(|i| &stat[i + 1..])
        .ok_or("no ')' in stat")?;
    let f: Vec<&str> = after.split_whitespace().collect();
    // after ')' the first field is field 3 (state); utime is field 14 → index 11.
    let num = |i: usize| -> Result<f64, String> {
        f.get(i)
            .ok_or(format!("stat has {} fields", f.len()))?
            .parse::<f64>()
            .map_err(|e| e.to_string())
    };
    Ok(num(11)? + num(12)?)
}

fn status_kb(status: &str, key: &str) -> Result<u64, String> {
    status
        .lines()
        .find_map(|l| l.strip_prefix(key))
        .and_then(|rest| rest.split_whitespace().next())
        .ok_or(format!("{key} missing from status"))?
        .parse()
        .map_err(|e: std::num::ParseIntError| e.to_string())
}

impl ProcessProbe for ProcFsProbe {
    fn sample(&self) -> Result<ProcessSample, String> {
        let stat = self.read("self/stat")?;
        let status = self.read("self/status")?;
        let uptime = self.read("uptime")?;
        let fd_dir = self.root.join("self/fd");
        let open_fds = std::fs::read_dir(&fd_dir)
            .map_err(|e| format!("{}: {e}", fd_dir.display()))?
            .count() as u64;
        let taken_at_secs = uptime
            .split_whitespace()
            .next()
            .and_then(|s| s.parse::<f64>().ok())
            .ok_or("cannot parse uptime")?;
        Ok(ProcessSample {
            cpu_seconds: cpu_ticks(&stat)? / self.ticks_per_sec,
            rss_bytes: status_kb(&status, "VmRSS:")? * 1024,
            threads: status_kb(&status, "Threads:")?,
            open_fds,
            taken_at_secs,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_recorded_proc_tree() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("self/fd")).unwrap();
        for i in 0..7 {
            std::fs::write(root.join(format!("self/fd/{i}")), "").unwrap();
        }
        // A real /proc/self/stat line with a command name holding a space and a ')'.
        std::fs::write(
            root.join("self/stat"),
            "4242 (opti fire) R 1 4242 4242 0 -1 4194560 900 0 0 0 250 50 0 0 20 0 9 0 123 1000000 2500 18446744073709551615",
        )
        .unwrap();
        std::fs::write(
            root.join("self/status"),
            "Name:\toptifire\nVmRSS:\t   51200 kB\nThreads:\t9\n",
        )
        .unwrap();
        std::fs::write(root.join("uptime"), "3600.50 7000.00\n").unwrap();
        let s = ProcFsProbe::with_root(root, 100.0).sample().unwrap();
        assert_eq!(s.cpu_seconds, 3.0); // (250 + 50) ticks / 100
        assert_eq!(s.rss_bytes, 51200 * 1024);
        assert_eq!(s.threads, 9);
        assert_eq!(s.open_fds, 7);
        assert_eq!(s.taken_at_secs, 3600.5);
    }

    #[test]
    fn reads_this_process() {
        let s = ProcFsProbe::default().sample().unwrap();
        assert!(s.rss_bytes > 0 && s.threads >= 1 && s.open_fds >= 3);
    }
}
