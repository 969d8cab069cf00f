//! Credentials: from the environment first, then an optional owner-only secrets file.
//!
//! Secrets never live in `config.yaml`, never print (`Secret` shows `***`), and are read through
//! an injectable lookup so tests need not touch the process environment.

use super::error::{ConfigError, ConfigErrors};
use super::load::deserialize;
use super::model::{Broker, Config, Feed};
use serde::Deserialize;
use std::fmt;
use std::path::{Path, PathBuf};

pub const ENV_ALPACA_KEY_ID: &str = "APCA_API_KEY_ID";
pub const ENV_ALPACA_SECRET_KEY: &str = "APCA_API_SECRET_KEY";
pub const ENV_JWT_SECRET: &str = "OPTIFIRE_JWT_SECRET";

/// A credential. Debug and Display print `***`; use `expose` at the one place it is sent.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Self {
        Secret(s.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(Secret)
    }
}

/// All credentials the system may use; `None` when not configured.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Secrets {
    #[serde(default)]
    pub alpaca_key_id: Option<Secret>,
    #[serde(default)]
    pub alpaca_secret_key: Option<Secret>,
    #[serde(default)]
    pub ai_api_key: Option<Secret>,
    #[serde(default)]
    pub jwt_secret: Option<Secret>,
}

impl Secrets {
    /// Resolves secrets for `config`: the secrets file (if `system.secrets_file` is set; a
    /// relative path is taken from `base_dir`), then the environment via `env`, which wins.
    /// Fails when the file is unreadable, readable by others, or malformed, or when the chosen
    /// broker or feed is Alpaca and its keys are missing.
    pub fn resolve(
        config: &Config,
        base_dir: &Path,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Secrets, ConfigErrors> {
        let mut secrets = match &config.system.secrets_file {
            Some(p) => {
                let path = if p.is_absolute() {
                    p.clone()
                } else {
                    base_dir.join(p)
                };
                read_secrets_file(&path).map_err(ConfigErrors::single)?
            }
            None => Secrets::default(),
        };
        let from_env = |name: &str| env(name).filter(|v| !v.is_empty()).map(Secret);
        if let Some(v) = from_env(ENV_ALPACA_KEY_ID) {
            secrets.alpaca_key_id = Some(v);
        }
        if let Some(v) = from_env(ENV_ALPACA_SECRET_KEY) {
            secrets.alpaca_secret_key = Some(v);
        }
        if let Some(v) = from_env(&config.ai.api_key_env) {
            secrets.ai_api_key = Some(v);
        }
        if let Some(v) = from_env(ENV_JWT_SECRET) {
            secrets.jwt_secret = Some(v);
        }

        let mut errors = ConfigErrors::default();
        let needs_alpaca =
            config.execution.broker == Broker::Alpaca || config.data.feed == Feed::Alpaca;
        if needs_alpaca {
            for (have, var) in [
                (&secrets.alpaca_key_id, ENV_ALPACA_KEY_ID),
                (&secrets.alpaca_secret_key, ENV_ALPACA_SECRET_KEY),
            ] {
                if have.is_none() {
                    errors.push(ConfigError::new(
                        "environment",
                        var,
                        "not set, but execution.broker or data.feed is alpaca",
                    ));
                }
            }
        }
        if config.ai.enabled && secrets.ai_api_key.is_none() {
            errors.push(ConfigError::new(
                "environment",
                config.ai.api_key_env.clone(),
                "not set, but ai.enabled is true",
            ));
        }
        errors.into_result(secrets)
    }

    /// `resolve` against the real process environment.
    pub fn from_process_env(config: &Config, base_dir: &Path) -> Result<Secrets, ConfigErrors> {
        Self::resolve(config, base_dir, &|k| std::env::var(k).ok())
    }
}

fn read_secrets_file(path: &Path) -> Result<Secrets, ConfigError> {
    let name = path.display().to_string();
    check_owner_only(path).map_err(|m| ConfigError::new(name.clone(), "", m))?;
    let text = std::fs::read_to_string(path)
        .map_err(|e| ConfigError::new(name.clone(), "", format!("cannot read: {e}")))?;
    deserialize::<Secrets>(&text, &name)
}

#[cfg(unix)]
fn check_owner_only(path: &Path) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt;
    let meta = std::fs::metadata(path).map_err(|e| format!("cannot read: {e}"))?;
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(format!(
            "mode {mode:04o} lets other users read the secrets; run chmod 600 {}",
            PathBuf::from(path).display()
        ));
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_owner_only(_path: &Path) -> Result<(), String> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_never_prints() {
        let s = Secret::new("hunter2");
        assert_eq!(format!("{s}"), "***");
        assert_eq!(format!("{s:?}"), "***");
        let all = Secrets {
            alpaca_key_id: Some(Secret::new("hunter2")),
            ..Secrets::default()
        };
        assert!(!format!("{all:?}").contains("hunter2"));
        assert_eq!(s.expose(), "hunter2");
    }
}
