//! Reading `config.yaml` and `features.yaml` into a validated `ConfigSet`.
//!
//! Syntax and type errors come from the YAML parser with their line and column, the dotted key
//! path from `serde_path_to_error`; semantic errors are located by walking the text for the key.

use super::error::{ConfigError, ConfigErrors};
use super::features::{Features, PluginCatalog};
use super::locate::locate;
use super::model::Config;
use super::validate::{validate_config, validate_features, Problem};
use serde::de::DeserializeOwned;
use std::path::Path;

pub const CONFIG_FILE: &str = "config.yaml";
pub const FEATURES_FILE: &str = "features.yaml";

const EMBEDDED_CONFIG: &str = include_str!("../../../../configs/config.yaml");
const EMBEDDED_FEATURES: &str = include_str!("../../../../configs/features.yaml");

/// Both files, typed and validated, with the exact text they came from (for history and the API).
#[derive(Clone, Debug, PartialEq)]
pub struct ConfigSet {
    pub config: Config,
    pub features: Features,
    pub config_text: String,
    pub features_text: String,
}

impl ConfigSet {
    /// The committed `configs/` files compiled into the binary, so it runs with no files present.
    pub fn embedded(catalog: &dyn PluginCatalog) -> Result<ConfigSet, ConfigErrors> {
        parse(
            EMBEDDED_CONFIG,
            "<embedded>/config.yaml",
            EMBEDDED_FEATURES,
            "<embedded>/features.yaml",
            catalog,
        )
    }

    pub fn embedded_texts() -> (&'static str, &'static str) {
        (EMBEDDED_CONFIG, EMBEDDED_FEATURES)
    }
}

impl Default for Config {
    /// The committed `configs/config.yaml`. A unit test proves it parses and validates, so the
    /// `expect` below cannot fire in a built binary.
    #[allow(clippy::expect_used)]
    fn default() -> Self {
        deserialize::<Config>(EMBEDDED_CONFIG, "<embedded>/config.yaml")
            .expect("embedded configs/config.yaml is checked by a unit test")
    }
}

/// Parses and validates both texts. `*_name` is how the files are named in error messages.
pub fn parse(
    config_text: &str,
    config_name: &str,
    features_text: &str,
    features_name: &str,
    catalog: &dyn PluginCatalog,
) -> Result<ConfigSet, ConfigErrors> {
    let mut errors = ConfigErrors::default();
    let config = match deserialize::<Config>(config_text, config_name) {
        Ok(c) => {
            let problems = validate_config(&c);
            errors.extend(locate_all(problems, config_text, config_name));
            Some(c)
        }
        Err(e) => {
            errors.push(e);
            None
        }
    };
    let features = match deserialize::<Features>(features_text, features_name) {
        Ok(f) => {
            let problems = validate_features(&f, catalog);
            errors.extend(locate_all(problems, features_text, features_name));
            Some(f)
        }
        Err(e) => {
            errors.push(e);
            None
        }
    };
    match (config, features) {
        (Some(config), Some(features)) if errors.is_empty() => Ok(ConfigSet {
            config,
            features,
            config_text: config_text.to_string(),
            features_text: features_text.to_string(),
        }),
        _ => Err(errors),
    }
}

/// Reads `dir/config.yaml` and `dir/features.yaml` and parses them; both are always checked.
pub fn load_dir(dir: &Path, catalog: &dyn PluginCatalog) -> Result<ConfigSet, ConfigErrors> {
    let (config_text, config_name) = read(dir, CONFIG_FILE);
    let (features_text, features_name) = read(dir, FEATURES_FILE);
    match (config_text, features_text) {
        (Ok(c), Ok(f)) => parse(&c, &config_name, &f, &features_name, catalog),
        (c, f) => {
            let mut errors = ConfigErrors::default();
            for r in [c, f] {
                if let Err(e) = r {
                    errors.push(e);
                }
            }
            Err(errors)
        }
    }
}

pub(crate) fn read(dir: &Path, file: &str) -> (Result<String, ConfigError>, String) {
    let path = dir.join(file);
    let name = path.display().to_string();
    let text = std::fs::read_to_string(&path)
        .map_err(|e| ConfigError::new(name.clone(), "", format!("cannot read: {e}")));
    (text, name)
}

/// Deserializes with the key path of the first problem, its line and column, and serde's message.
pub(crate) fn deserialize<T: DeserializeOwned>(text: &str, file: &str) -> Result<T, ConfigError> {
    let de = serde_yaml_ng::Deserializer::from_str(text);
    serde_path_to_error::deserialize::<_, T>(de).map_err(|e| {
        let path = e.path().to_string();
        // Syntax errors end the path in "?" (the key being scanned is unknown).
        let path = path.trim_end_matches(".?").trim_end_matches('?');
        let key = if path == "." {
            String::new()
        } else {
            path.to_string()
        };
        let inner = e.into_inner();
        let (line, column) = match inner.location() {
            Some(l) => (Some(l.line()), Some(l.column())),
            None => match locate(text, &key) {
                Some((l, c)) => (Some(l), Some(c)),
                None => (None, None),
            },
        };
        let message = bare_message(&inner.to_string(), &key);
        ConfigError::new(file, key, message).at(line, column)
    })
}

/// serde_yaml_ng's message without its own path prefix and " at line L column C" part, which
/// the error already carries in structured form.
fn bare_message(full: &str, key: &str) -> String {
    let mut msg = strip_position(full);
    if !key.is_empty() {
        // serde_yaml_ng prefixes the path of the enclosing value, which may be a prefix of `key`.
        if let Some((prefix, rest)) = msg.split_once(": ") {
            if !prefix.contains(' ') && key.starts_with(prefix.trim_end_matches(".?")) {
                msg = rest.to_string();
            }
        }
    }
    msg
}

/// Removes the first " at line L column C" (syntax errors put it mid-message).
fn strip_position(full: &str) -> String {
    const AT: &str = " at line ";
    let Some(i) = full.find(AT) else {
        return full.to_string();
    };
    let tail = &full[i + AT.len()..];
    let digits = |s: &str| s.chars().take_while(char::is_ascii_digit).count();
    let n1 = digits(tail);
    let Some(rest) = tail[n1..].strip_prefix(" column ") else {
        return full.to_string();
    };
    let n2 = digits(rest);
    if n1 == 0 || n2 == 0 {
        return full.to_string();
    }
    format!("{}{}", &full[..i], &rest[n2..])
}

fn locate_all(problems: Vec<Problem>, text: &str, file: &str) -> ConfigErrors {
    ConfigErrors(
        problems
            .into_iter()
            .map(|p| {
                let (line, column) = match locate(text, &p.key) {
                    Some((l, c)) => (Some(l), Some(c)),
                    None => (None, None),
                };
                ConfigError::new(file, p.key, p.message).at(line, column)
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::features::KnownPlugins;
    use crate::plugin::catalogue;

    #[test]
    fn embedded_files_parse_and_validate_with_the_default_plugins_implemented() {
        let catalog = KnownPlugins::new(catalogue::default_enabled_now());
        let set = ConfigSet::embedded(&catalog).unwrap();
        assert_eq!(set.config, Config::default());
        let enabled: Vec<&str> = set.features.enabled_ids().collect();
        let mut expected: Vec<&str> = catalogue::default_enabled_now().collect();
        expected.sort_unstable();
        assert_eq!(enabled, expected);
    }

    #[test]
    fn bare_message_strips_location_and_path_prefix() {
        assert_eq!(
            bare_message(
                "risk.max_drawdown: invalid type: string \"abc\", expected f64 at line 7 column 22",
                "risk.max_drawdown"
            ),
            "invalid type: string \"abc\", expected f64"
        );
        assert_eq!(
            bare_message("invalid type: map at line 1 column 1", ""),
            "invalid type: map"
        );
        assert_eq!(
            bare_message(
                "api.?: found character that cannot start any token at line 111 column 1, \
                 while scanning for the next token",
                "api"
            ),
            "found character that cannot start any token, while scanning for the next token"
        );
    }
}
