//! Log levels per module at run time (`ux_log_level_ctrl`): read the running filter and change
//! one module's level without a restart.
//!
//! The binary owns the tracing subscriber; it hands the server a reload handle wrapped in
//! `LogLevelControl`, so the server does not depend on how the subscriber is layered.

use std::fmt;
use tracing_subscriber::reload;
use tracing_subscriber::EnvFilter;

/// The levels a directive may name.
pub const LEVELS: [&str; 6] = ["off", "error", "warn", "info", "debug", "trace"];

/// Reads and replaces the process's log filter (`EnvFilter` directive syntax).
pub trait LogLevelControl: Send + Sync + fmt::Debug {
    /// The running directives, e.g. `warn,optifire_engine=debug`.
    fn current(&self) -> String;
    /// Replaces the filter; the old one stays when `directives` does not parse.
    fn set(&self, directives: &str) -> Result<(), String>;
}

/// The reload handle of an `EnvFilter` layer, whatever subscriber it sits in (the subscriber
/// type need not be `Debug`, so the handle is wrapped rather than used directly).
pub struct EnvFilterReload<S> {
    handle: reload::Handle<EnvFilter, S>,
}

impl<S> EnvFilterReload<S> {
    pub fn new(handle: reload::Handle<EnvFilter, S>) -> Self {
        EnvFilterReload { handle }
    }
}

impl<S> fmt::Debug for EnvFilterReload<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EnvFilterReload").finish_non_exhaustive()
    }
}

impl<S: 'static> LogLevelControl for EnvFilterReload<S> {
    fn current(&self) -> String {
        self.handle
            .with_current(ToString::to_string)
            .unwrap_or_else(|e| format!("<unavailable: {e}>"))
    }

    fn set(&self, directives: &str) -> Result<(), String> {
        let filter = EnvFilter::try_new(directives).map_err(|e| e.to_string())?;
        self.handle.reload(filter).map_err(|e| e.to_string())
    }
}

/// A module path as `EnvFilter` targets name it: `optifire_engine::exec`.
pub fn valid_module(m: &str) -> bool {
    !m.is_empty()
        && m.len() <= 128
        && m.split("::").all(|seg| {
            !seg.is_empty() && seg.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        })
}

/// `current` with `module`'s level set to `level` (or the default level when `module` is
/// `None`); other directives are kept in order. The caller validates `module` and `level`.
pub fn with_module_level(current: &str, module: Option<&str>, level: &str) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut replaced = false;
    for d in current.split(',').map(str::trim).filter(|d| !d.is_empty()) {
        let target = d.split_once('=').map(|(t, _)| t);
        let is_default = target.is_none() && LEVELS.contains(&d.to_ascii_lowercase().as_str());
        let matches = match module {
            Some(m) => target == Some(m),
            None => is_default,
        };
        if matches {
            if !replaced {
                out.push(render(module, level));
                replaced = true;
            }
        } else {
            out.push(d.to_string());
        }
    }
    if !replaced {
        out.push(render(module, level));
    }
    out.join(",")
}

fn render(module: Option<&str>, level: &str) -> String {
    match module {
        Some(m) => format!("{m}={level}"),
        None => level.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_or_appends_one_module() {
        assert_eq!(
            with_module_level(
                "warn,optifire_engine=info",
                Some("optifire_engine"),
                "debug"
            ),
            "warn,optifire_engine=debug"
        );
        assert_eq!(
            with_module_level("warn", Some("optifire_server::routes"), "trace"),
            "warn,optifire_server::routes=trace"
        );
        assert_eq!(
            with_module_level("warn,x=debug", None, "info"),
            "info,x=debug"
        );
        assert_eq!(with_module_level("x=debug", None, "error"), "x=debug,error");
    }

    #[test]
    fn module_names_are_rust_paths() {
        assert!(valid_module("optifire_engine::exec"));
        assert!(!valid_module("a=b"));
        assert!(!valid_module("a,b"));
        assert!(!valid_module("::a"));
        assert!(!valid_module(""));
    }

    #[test]
    fn reload_handle_reads_and_sets_the_filter() {
        use tracing_subscriber::layer::SubscriberExt;
        let (layer, handle) = reload::Layer::new(EnvFilter::new("warn"));
        let _subscriber = tracing_subscriber::registry().with(layer);
        let c = EnvFilterReload::new(handle);
        assert_eq!(c.current(), "warn");
        c.set("info,optifire_engine=debug").unwrap();
        let now = c.current();
        assert!(
            now.contains("optifire_engine=debug") && now.contains("info"),
            "{now}"
        );
        assert!(c.set("x=notalevel").is_err());
        assert!(c.current().contains("optifire_engine=debug"));
    }
}
