//! Typed plugin parameters from features.yaml `params:`; unknown keys and wrong types are errors.

use optifire_core::plugin::PluginError;
use serde::de::DeserializeOwned;

/// Parses `params` into `T`; `null` or `{}` gives `T::default()`.
pub fn parse<T: DeserializeOwned + Default>(params: &serde_json::Value) -> Result<T, PluginError> {
    match params {
        serde_json::Value::Null => Ok(T::default()),
        v => {
            serde_json::from_value(v.clone()).map_err(|e| PluginError::InvalidParams(e.to_string()))
        }
    }
}
