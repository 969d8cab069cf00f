//! Process metrics read from Linux /proc: the production `ProcessProbe`.
//!
//! Reads /proc/self/stat (CPU ticks, RSS, threads), /proc/self/fd (open descriptors) and
//! /proc/uptime (a monotonic time base, so CPU % needs no wall clock). /proc/self/status has
//! the same RSS and thread count, but the kernel takes several times longer to write it, and
//! `infra_psutil_health` samples every cycle of a backtest. All three stay open between samples
//! and are read again from their start.

use optifire_core::plugin::{ProcessProbe, ProcessSample};
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::PathBuf;
use std::sync::{Mutex, PoisonError};

/// Reads `<root>/self/...`; `root` is `/proc` in production and a fixture tree in tests.
#[derive(Debug)]
pub struct ProcFsProbe {
    root: PathBuf,
    ticks_per_sec: f64,
    /// The size of the pages /proc/self/stat counts RSS in.
    page_bytes: u64,
    /// The two files, opened at the first sample and re-read from offset 0 after that (the
    /// kernel regenerates a /proc file's text when it is read from its start): opening them on
    /// every sample was half of its cost, and `infra_psutil_health` samples every cycle.
    files: Mutex<Option<Files>>,
}

#[derive(Debug)]
struct Files {
    stat: File,
    uptime: File,
    /// /proc/self/fd, listed again from its start at each sample: opening, statting and
    /// closing it for `read_dir` every time was a third of the count's cost. It is one open
    /// descriptor, as `read_dir`'s own handle was, so the count is the same.
    fd_dir: File,
    /// Whether `fd_dir` is on procfs, whose directory size (Linux 6.2 and later) is the
    /// number of open descriptors: one `fstat` instead of listing every descriptor, which was
    /// a third of the sample's cost. Elsewhere (a fixture tree) the size means nothing.
    fd_dir_on_procfs: bool,
    /// Whether `stat` and `uptime` are on procfs, whose files of one record hand a read all
    /// of their text that fits: a read shorter than asked for has reached the end, and the
    /// read that would return 0 to say so is skipped (two system calls of a sample's ~eight).
    text_on_procfs: bool,
    buf: Vec<u8>,
}

impl Clone for ProcFsProbe {
    /// A clone opens its own handles at its first sample.
    fn clone(&self) -> Self {
        ProcFsProbe::with_root(self.root.clone(), self.ticks_per_sec)
    }
}

impl Default for ProcFsProbe {
    fn default() -> Self {
        ProcFsProbe::with_root("/proc", clock_ticks())
    }
}

#[allow(unsafe_code)]
fn page_size() -> u64 {
    // SAFETY: sysconf has no preconditions; it returns -1 on error, handled below.
    let p = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    u64::try_from(p).ok().filter(|p| *p > 0).unwrap_or(4096)
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
            page_bytes: page_size(),
            files: Mutex::new(None),
        }
    }

    fn open(&self, rel: &str) -> Result<File, String> {
        let p = self.root.join(rel);
        File::open(&p).map_err(|e| format!("{}: {e}", p.display()))
    }

    fn open_all(&self) -> Result<Files, String> {
        let fd_dir = self.open("self/fd")?;
        let (stat, uptime) = (self.open("self/stat")?, self.open("uptime")?);
        Ok(Files {
            text_on_procfs: on_procfs(&stat) && on_procfs(&uptime),
            stat,
            uptime,
            fd_dir_on_procfs: on_procfs(&fd_dir),
            fd_dir,
            buf: Vec::with_capacity(4096),
        })
    }

    /// The stat fields, the uptime and the open descriptors, read through the kept handles
    /// (parsed straight from the scratch buffer: no copy of either file's text).
    fn read_all(&self, files: &mut Files) -> Result<(StatFields, f64, u64), String> {
        let Files {
            stat,
            uptime,
            fd_dir,
            fd_dir_on_procfs,
            text_on_procfs,
            buf,
        } = files;
        let read = |f: &File, what: &str, buf: &mut Vec<u8>| -> Result<(), String> {
            read_from_start(f, *text_on_procfs, buf)
                .map_err(|e| format!("{}: {e}", self.root.join(what).display()))
        };
        read(stat, "self/stat", buf)?;
        let fields = stat_fields(std::str::from_utf8(buf).map_err(|e| format!("self/stat: {e}"))?)?;
        read(uptime, "uptime", buf)?;
        let taken_at_secs = std::str::from_utf8(buf)
            .ok()
            .and_then(|u| u.split_whitespace().next())
            .and_then(|s| s.parse::<f64>().ok())
            .ok_or("cannot parse uptime")?;
        let fds = count_fds(fd_dir, *fd_dir_on_procfs, buf)
            .map_err(|e| format!("{}: {e}", self.root.join("self/fd").display()))?;
        Ok((fields, taken_at_secs, fds))
    }
}

/// The whole file from offset 0 into `buf` (positioned reads, so the handle's offset is never
/// relied on). `short_read_ends`: a read shorter than asked for is the last (see
/// `Files::text_on_procfs`); otherwise reading goes on until a read returns nothing.
fn read_from_start(f: &File, short_read_ends: bool, buf: &mut Vec<u8>) -> std::io::Result<()> {
    buf.clear();
    let mut chunk = [0u8; 4096];
    loop {
        let n = f.read_at(&mut chunk, buf.len() as u64)?;
        if n == 0 {
            return Ok(());
        }
        buf.extend_from_slice(&chunk[..n]);
        if short_read_ends && n < chunk.len() {
            return Ok(());
        }
    }
}

/// Whether `f` is on procfs.
#[allow(unsafe_code)]
fn on_procfs(f: &File) -> bool {
    use std::os::fd::AsRawFd;
    // SAFETY: `statfs` is plain data, so all zeroes is a valid value; fstatfs writes at most
    // one `statfs` into it, and the descriptor is open while `f` is borrowed.
    let mut st: libc::statfs = unsafe { std::mem::zeroed() };
    let ok = unsafe { libc::fstatfs(f.as_raw_fd(), &mut st) } == 0;
    ok && st.f_type == libc::PROC_SUPER_MAGIC
}

/// The open descriptors listed in `dir` (a process's fd directory): its size when it is on
/// procfs and the kernel reports one (6.2 and later; older kernels say 0, and the process
/// always has at least `dir` itself open), otherwise `count_entries`.
#[allow(unsafe_code)]
fn count_fds(dir: &File, on_procfs: bool, buf: &mut Vec<u8>) -> std::io::Result<u64> {
    if on_procfs {
        use std::os::fd::AsRawFd;
        // SAFETY: as in `on_procfs`, with `stat`.
        let mut st: libc::stat = unsafe { std::mem::zeroed() };
        if unsafe { libc::fstat(dir.as_raw_fd(), &mut st) } != 0 {
            return Err(std::io::Error::last_os_error());
        }
        if let Ok(n @ 1..) = u64::try_from(st.st_size) {
            return Ok(n);
        }
    }
    count_entries(dir, buf)
}

/// The entries of the directory `dir` other than `.` and `..` (what `read_dir(..).count()`
/// gives), listed from its start through the kept handle; `buf` is scratch space.
#[allow(unsafe_code)]
fn count_entries(dir: &File, buf: &mut Vec<u8>) -> std::io::Result<u64> {
    use std::os::fd::AsRawFd;
    // `linux_dirent64`: inode (8 bytes), offset (8), record length (2), type (1), then the
    // NUL-terminated name.
    const NAME: usize = 19;
    let fd = dir.as_raw_fd();
    // SAFETY: `fd` is open for as long as `dir` is borrowed; lseek has no memory effects.
    if unsafe { libc::lseek(fd, 0, libc::SEEK_SET) } < 0 {
        return Err(std::io::Error::last_os_error());
    }
    buf.clear();
    buf.resize(4096, 0);
    let mut n = 0;
    loop {
        // SAFETY: the kernel writes at most `buf.len()` bytes into `buf`, which is that long.
        let got = unsafe { libc::syscall(libc::SYS_getdents64, fd, buf.as_mut_ptr(), buf.len()) };
        let got = usize::try_from(got).map_err(|_| std::io::Error::last_os_error())?;
        if got == 0 {
            return Ok(n);
        }
        let mut at = 0;
        while at + NAME <= got {
            let len = usize::from(u16::from_ne_bytes([buf[at + 16], buf[at + 17]]));
            let Some(name) = buf.get(at + NAME..at + len) else {
                return Err(std::io::Error::other("truncated directory entry"));
            };
            let name = name.split(|b| *b == 0).next().unwrap_or(name);
            if name != b"." && name != b".." {
                n += 1;
            }
            at += len.max(1);
        }
    }
}

/// What the probe reads from /proc/self/stat: utime + stime in ticks (fields 14 and 15), the
/// thread count (field 20) and RSS in pages (field 24). The command name (field 2) may hold
/// spaces and parentheses, so fields are counted after the last ')'.
struct StatFields {
    cpu_ticks: f64,
    threads: u64,
    rss_pages: u64,
}

fn stat_fields(stat: &str) -> Result<StatFields, String> {
    let after = stat
        .rfind(')')
        .map(|i| &stat[i + 1..])
        .ok_or("no ')' in stat")?;
    // After ')' the first field is field 3 (state): field k is the (k − 3)th. Fields are
    // taken in increasing order from one pass over the text.
    let mut f = after.split_whitespace();
    let mut at = 3;
    let mut field = |k: usize| -> Result<&str, String> {
        let got = f.nth(k - at);
        at = k + 1;
        got.ok_or_else(|| format!("stat has {} fields", after.split_whitespace().count() + 2))
    };
    let utime = field(14)?;
    let stime = field(15)?;
    let threads = field(20)?;
    let rss = field(24)?;
    let ticks = |v: &str| -> Result<f64, String> { v.parse::<f64>().map_err(|e| e.to_string()) };
    let count = |k: usize, v: &str| -> Result<u64, String> {
        v.parse::<u64>().map_err(|e| format!("stat field {k}: {e}"))
    };
    Ok(StatFields {
        cpu_ticks: ticks(utime)? + ticks(stime)?,
        threads: count(20, threads)?,
        rss_pages: count(24, rss)?,
    })
}

impl ProcessProbe for ProcFsProbe {
    fn sample(&self) -> Result<ProcessSample, String> {
        let (fields, taken_at_secs, open_fds) = {
            let mut guard = self.files.lock().unwrap_or_else(PoisonError::into_inner);
            if guard.is_none() {
                *guard = Some(self.open_all()?);
            }
            let read = match guard.as_mut() {
                Some(files) => self.read_all(files),
                None => Err("no /proc handles".to_string()),
            };
            if read.is_err() {
                // Reopened at the next sample, in case a handle went bad.
                *guard = None;
            }
            read?
        };
        Ok(ProcessSample {
            cpu_seconds: fields.cpu_ticks / self.ticks_per_sec,
            rss_bytes: fields.rss_pages * self.page_bytes,
            threads: fields.threads,
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
        std::fs::write(root.join("uptime"), "3600.50 7000.00\n").unwrap();
        let s = ProcFsProbe::with_root(root, 100.0).sample().unwrap();
        assert_eq!(s.cpu_seconds, 3.0); // (250 + 50) ticks / 100
        assert_eq!(s.rss_bytes, 2500 * page_size()); // field 24, in pages
        assert_eq!(s.threads, 9);
        assert_eq!(s.open_fds, 7);
        assert_eq!(s.taken_at_secs, 3600.5);

        // The same probe reads the files again from their start at the next sample: a shorter
        // stat than before must not leave the old tail behind (which would add a field 25).
        let stat = |threads: u32, rss: u32| {
            format!("7 (x) S 1 7 7 0 -1 0 0 0 0 0 1 1 0 0 20 0 {threads} 0 1 1 {rss}")
        };
        std::fs::write(root.join("self/stat"), stat(2, 9)).unwrap();
        let probe = ProcFsProbe::with_root(root, 100.0);
        assert_eq!(probe.sample().unwrap().threads, 2);
        std::fs::write(root.join("self/stat"), stat(3, 1)).unwrap();
        let again = probe.sample().unwrap();
        assert_eq!((again.rss_bytes, again.threads), (page_size(), 3));
        // A stat without field 24 is refused, not read as zero.
        std::fs::write(root.join("self/stat"), "7 (x) S 1 7 7 0 -1 0 0 0 0 0 1 1").unwrap();
        assert!(probe.sample().is_err());
    }

    #[test]
    fn a_short_read_ends_a_procfs_file_of_one_record() {
        // /proc/version: one record whose text does not change.
        let f = File::open("/proc/version").unwrap();
        assert!(on_procfs(&f));
        let (mut short, mut all) = (Vec::new(), Vec::new());
        read_from_start(&f, true, &mut short).unwrap();
        read_from_start(&f, false, &mut all).unwrap();
        assert!(!short.is_empty());
        assert_eq!(short, all);
        let probe = ProcFsProbe::default();
        probe.sample().unwrap();
        let files = probe.files.lock().unwrap();
        assert!(files.as_ref().unwrap().text_on_procfs);
    }

    /// The kept handles give fresh readings: RSS grows by what this test touches (64 MiB, half
    /// of it is enough to tell).
    #[test]
    fn kept_handles_see_this_process_change() {
        let probe = ProcFsProbe::default();
        let before = probe.sample().unwrap();
        let touched = vec![1u8; 64 << 20];
        let after = probe.sample().unwrap();
        assert!(touched.iter().step_by(4096).all(|b| *b == 1));
        assert!(
            after.rss_bytes >= before.rss_bytes + (32 << 20),
            "{} -> {}",
            before.rss_bytes,
            after.rss_bytes
        );
        assert!(after.cpu_seconds >= before.cpu_seconds);
    }

    /// The kept handle counts what `read_dir` counts, and sees entries come and go.
    #[test]
    fn kept_directory_counts_like_read_dir() {
        let dir = tempfile::tempdir().unwrap();
        let d = File::open(dir.path()).unwrap();
        let mut buf = Vec::new();
        let read_dir = || std::fs::read_dir(dir.path()).unwrap().count() as u64;
        assert_eq!(count_entries(&d, &mut buf).unwrap(), 0);
        // Enough long names to need several getdents64 calls of 4 KiB.
        for i in 0..300 {
            std::fs::write(dir.path().join(format!("{i:0>40}")), "").unwrap();
        }
        assert_eq!(count_entries(&d, &mut buf).unwrap(), 300);
        assert_eq!(count_entries(&d, &mut buf).unwrap(), read_dir());
        for i in 0..120 {
            std::fs::remove_file(dir.path().join(format!("{i:0>40}"))).unwrap();
        }
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        assert_eq!(count_entries(&d, &mut buf).unwrap(), 181);
        assert_eq!(count_entries(&d, &mut buf).unwrap(), read_dir());
        // /proc/self/fd too: the handle and `read_dir`'s own are one descriptor each.
        let proc_fd = File::open("/proc/self/fd").unwrap();
        let kept = count_entries(&proc_fd, &mut buf).unwrap();
        drop(proc_fd);
        assert!(kept >= 4, "{kept}");
    }

    /// On procfs the directory size is the count `count_entries` gives through the same
    /// handle, and it follows descriptors being opened and closed; off procfs (a fixture tree)
    /// the listing is used.
    #[test]
    fn fd_count_from_the_directory_size_matches_the_listing() {
        let mut buf = Vec::new();
        let proc_fd = File::open("/proc/self/fd").unwrap();
        assert!(on_procfs(&proc_fd));
        // Other tests of this process open and close files meanwhile: compare between two
        // listings that agree.
        let agreeing = |buf: &mut Vec<u8>| {
            for _ in 0..1000 {
                let before = count_entries(&proc_fd, buf).unwrap();
                let fast = count_fds(&proc_fd, true, buf).unwrap();
                if count_entries(&proc_fd, buf).unwrap() == before {
                    assert_eq!(fast, before);
                    return fast;
                }
            }
            panic!("the descriptor count never held still");
        };
        agreeing(&mut buf);
        let extra: Vec<File> = (0..5)
            .map(|_| File::open("/proc/uptime").unwrap())
            .collect();
        assert!(agreeing(&mut buf) >= 5 + 4);
        drop(extra);
        agreeing(&mut buf);

        let dir = tempfile::tempdir().unwrap();
        for i in 0..3 {
            std::fs::write(dir.path().join(format!("{i}")), "").unwrap();
        }
        let d = File::open(dir.path()).unwrap();
        assert!(!on_procfs(&d));
        assert_eq!(count_fds(&d, on_procfs(&d), &mut buf).unwrap(), 3);
    }

    /// The one-pass field parser against the split-into-a-Vec parser it replaced.
    #[test]
    fn stat_fields_match_the_vec_parser() {
        fn reference(stat: &str) -> Option<(f64, u64, u64)> {
            let after = &stat[stat.rfind(')')? + 1..];
            let f: Vec<&str> = after.split_whitespace().collect();
            let field = |k: usize| f.get(k - 3).copied();
            Some((
                field(14)?.parse::<f64>().ok()? + field(15)?.parse::<f64>().ok()?,
                field(20)?.parse().ok()?,
                field(24)?.parse().ok()?,
            ))
        }
        let own = std::fs::read_to_string("/proc/self/stat").unwrap();
        let lines = [
            own.as_str(),
            "4242 (opti fire) R 1 4242 4242 0 -1 4194560 900 0 0 0 250 50 0 0 20 0 9 0 123 1000000 2500 18446744073709551615",
            "7 (a) b) c) S 1 7 7 0 -1 0 0 0 0 0 12 3 0 0 20 0 4 0 1 1 77",
            "7 (x) S 1 7 7 0 -1 0 0 0 0 0 1 1 0 0 20 0 3 0 1 1",
            "7 (x) S 1 7 7 0 -1 0 0 0 0 0 1 1",
            "7 (x) S 1 7 7 0 -1 0 0 0 0 0 1 x 0 0 20 0 3 0 1 1 5",
            "7 (x) S 1 7 7 0 -1 0 0 0 0 0 1 1 0 0 20 0 -3 0 1 1 5",
            "no paren",
        ];
        for line in lines {
            let got = stat_fields(line)
                .ok()
                .map(|f| (f.cpu_ticks, f.threads, f.rss_pages));
            assert_eq!(got, reference(line), "{line}");
        }
        assert_eq!(
            stat_fields("7 (x) S 1 7 7 0 -1 0 0 0 0 0 1 1")
                .err()
                .unwrap(),
            "stat has 15 fields"
        );
    }

    #[test]
    fn reads_this_process() {
        let s = ProcFsProbe::default().sample().unwrap();
        assert!(s.rss_bytes > 0 && s.threads >= 1 && s.open_fds >= 3);
    }
}
