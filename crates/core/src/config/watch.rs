//! Watches the config directory and hot-reloads on edits, after the writes have settled.
//!
//! Editors save in bursts (truncate, write, rename), so events are debounced: a reload runs once
//! no event has arrived for `DEBOUNCE`. Validation and alerts are `ConfigManager`'s job.

use super::error::{ConfigError, ConfigErrors};
use super::load::{CONFIG_FILE, FEATURES_FILE};
use super::reload::ConfigManager;
use notify::{EventKind, RecursiveMode, Watcher};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

/// Quiet time after the last file event before reloading.
pub const DEBOUNCE: Duration = Duration::from_millis(200);

/// A running watcher; dropping it (or `stop`) ends the watch and its thread.
pub struct ConfigWatcher {
    watcher: Option<notify::RecommendedWatcher>,
    thread: Option<JoinHandle<()>>,
    dir: PathBuf,
}

impl std::fmt::Debug for ConfigWatcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConfigWatcher")
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

impl ConfigWatcher {
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        // Dropping the watcher drops the channel sender, which ends the thread's receive loop.
        self.watcher.take();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for ConfigWatcher {
    fn drop(&mut self) {
        self.shutdown();
    }
}

impl ConfigManager {
    /// Watches `dir` for edits of `config.yaml` / `features.yaml` and applies them through
    /// `reload_from_dir` (which alerts on a rejected edit and keeps the running config).
    pub fn watch(self: &Arc<Self>, dir: &Path) -> Result<ConfigWatcher, ConfigErrors> {
        let fail = |e: notify::Error| {
            ConfigErrors::single(ConfigError::new(
                dir.display().to_string(),
                "",
                format!("cannot watch: {e}"),
            ))
        };
        let (tx, rx) = mpsc::channel::<notify::Result<notify::Event>>();
        let mut watcher = notify::recommended_watcher(move |res| {
            // The receiver is gone only while shutting down.
            let _ = tx.send(res);
        })
        .map_err(fail)?;
        watcher
            .watch(dir, RecursiveMode::NonRecursive)
            .map_err(fail)?;
        let mgr = Arc::clone(self);
        let owned = dir.to_path_buf();
        let thread = std::thread::Builder::new()
            .name("config-watch".into())
            .spawn(move || {
                while let Ok(first) = rx.recv() {
                    if !relevant(&first) {
                        continue;
                    }
                    loop {
                        match rx.recv_timeout(DEBOUNCE) {
                            Ok(_) => continue,
                            Err(RecvTimeoutError::Timeout) => break,
                            Err(RecvTimeoutError::Disconnected) => return,
                        }
                    }
                    // Errors were published as an alert by reload_from_dir.
                    let _ = mgr.reload_from_dir(&owned);
                }
            })
            .map_err(|e| {
                ConfigErrors::single(ConfigError::new(
                    dir.display().to_string(),
                    "",
                    format!("cannot start watcher thread: {e}"),
                ))
            })?;
        Ok(ConfigWatcher {
            watcher: Some(watcher),
            thread: Some(thread),
            dir: dir.to_path_buf(),
        })
    }
}

/// Writes, creations, renames and removals of our two files; reads (including our own) are not.
fn relevant(ev: &notify::Result<notify::Event>) -> bool {
    match ev {
        // A watcher error may mean missed events: re-check.
        Err(_) => true,
        Ok(ev) => {
            !matches!(ev.kind, EventKind::Access(_))
                && (ev.need_rescan()
                    || ev.paths.iter().any(|p| {
                        p.file_name()
                            .is_some_and(|n| n == CONFIG_FILE || n == FEATURES_FILE)
                    }))
        }
    }
}
