//! A one-line human summary of what changed between two configurations.
//!
//! Shown in `ConfigChanged` events and stored with each history version, so an operator sees
//! "risk.max_drawdown: 0.08 -> 0.07" instead of having to diff two YAML files.

use super::load::ConfigSet;
use serde_json::Value;

/// At most this many changes are spelled out; the rest are counted.
const MAX_LISTED: usize = 8;

pub(crate) fn summarize(old: &ConfigSet, new: &ConfigSet) -> String {
    let mut changes = Vec::new();
    for (section, a, b) in [
        (
            "",
            serde_json::to_value(&old.config),
            serde_json::to_value(&new.config),
        ),
        (
            "",
            serde_json::to_value(&old.features),
            serde_json::to_value(&new.features),
        ),
    ] {
        match (a, b) {
            (Ok(a), Ok(b)) => diff(section, &a, &b, &mut changes),
            _ => changes.push("(values changed; diff unavailable)".to_string()),
        }
    }
    if changes.is_empty() {
        return "no value changed (comments or formatting only)".to_string();
    }
    let n = changes.len();
    let mut s = changes
        .into_iter()
        .take(MAX_LISTED)
        .collect::<Vec<_>>()
        .join("; ");
    if n > MAX_LISTED {
        s.push_str(&format!("; and {} more", n - MAX_LISTED));
    }
    s
}

fn join(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_string()
    } else {
        format!("{prefix}.{key}")
    }
}

fn diff(path: &str, a: &Value, b: &Value, out: &mut Vec<String>) {
    match (a, b) {
        (Value::Object(ma), Value::Object(mb)) => {
            for (k, va) in ma {
                match mb.get(k) {
                    Some(vb) => diff(&join(path, k), va, vb, out),
                    None => out.push(format!("{} removed", join(path, k))),
                }
            }
            for (k, vb) in mb {
                if !ma.contains_key(k) {
                    out.push(format!("{} added ({})", join(path, k), vb));
                }
            }
        }
        _ if a != b => out.push(format!("{path}: {a} -> {b}")),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn lists_changed_added_and_removed_leaves() {
        let mut out = Vec::new();
        diff(
            "",
            &json!({"risk": {"a": 1, "b": 2}, "p": {"x": {"on": false}}}),
            &json!({"risk": {"a": 1, "b": 3}, "p": {"y": {"on": true}}}),
            &mut out,
        );
        assert_eq!(
            out,
            vec![
                "p.x removed".to_string(),
                "p.y added ({\"on\":true})".to_string(),
                "risk.b: 2 -> 3".to_string(),
            ]
        );
    }
}
