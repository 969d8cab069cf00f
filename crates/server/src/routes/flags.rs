//! Feature flags: list, and edit one plugin's `enabled`, `schedule` or `budget`.
//!
//! An edit rewrites only the touched lines of `features.yaml`, so its comments survive; when the
//! layout is too unusual for that (flow style, odd indentation) the file is re-serialised
//! instead. Either way the result goes through `ConfigManager::apply_texts`, so the same
//! validation applies as for a file edit (an unimplemented plugin cannot be enabled → 422).

use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::routes::config::respond;
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::{Extension, Json};
use optifire_core::config::Features;
use serde::Deserialize;
use serde_json::{json, Value};

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlagEdit {
    pub enabled: Option<bool>,
    pub schedule: Option<String>,
    pub budget: Option<BudgetEdit>,
}

#[derive(Clone, Copy, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BudgetEdit {
    pub cpu_ms: Option<f64>,
    pub mem_mb: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FlagEditError {
    #[error("unknown plugin {0:?} in features.yaml")]
    UnknownPlugin(String),
    #[error("{0}")]
    Invalid(String),
}

pub async fn list(State(state): State<AppState>) -> Json<Value> {
    let set = state.config.current();
    let flags: Vec<Value> = set
        .features
        .plugins
        .iter()
        .map(|(id, f)| {
            json!({
                "id": id,
                "enabled": f.enabled,
                "schedule": f.schedule,
                "budget": {"cpu_ms": f.budget.cpu_ms, "mem_mb": f.budget.mem_mb},
                "availability": state.registry.status(id).as_str(),
            })
        })
        .collect();
    Json(json!({"version": state.config.current_version(), "flags": flags}))
}

pub async fn edit(
    State(state): State<AppState>,
    Extension(user): Extension<AuthUser>,
    Path(id): Path<String>,
    Json(edit): Json<FlagEdit>,
) -> Result<Response, ApiError> {
    let set = state.config.current();
    let new_text = match edit_features_text(&set.features_text, &id, &edit) {
        Ok(t) => t,
        Err(FlagEditError::UnknownPlugin(id)) => return Err(ApiError::NotFound(id)),
        Err(FlagEditError::Invalid(msg)) => {
            return Err(ApiError::Unprocessable {
                message: "invalid flag edit; nothing was changed".to_string(),
                errors: vec![msg],
            })
        }
    };
    let source = format!("api:{} flags/{id}", user.username);
    respond(
        &state,
        state
            .config
            .apply_texts(&set.config_text, &new_text, &source),
        &format!("flags.edit {id}"),
    )
}

/// `text` with plugin `id`'s flags changed as `edit` says. Comments and layout are kept when the
/// targeted rewrite reproduces exactly the intended `Features`; otherwise the whole file is
/// re-serialised.
pub fn edit_features_text(text: &str, id: &str, edit: &FlagEdit) -> Result<String, FlagEditError> {
    for v in [
        edit.budget.and_then(|b| b.cpu_ms),
        edit.budget.and_then(|b| b.mem_mb),
    ]
    .into_iter()
    .flatten()
    {
        if !v.is_finite() || v <= 0.0 {
            return Err(FlagEditError::Invalid(format!(
                "budget values must be positive numbers, got {v}"
            )));
        }
    }
    if let Some(s) = &edit.schedule {
        if s.contains('\n') {
            return Err(FlagEditError::Invalid("schedule must be one line".into()));
        }
    }
    let mut features: Features = serde_yaml_ng::from_str(text)
        .map_err(|e| FlagEditError::Invalid(format!("features.yaml does not parse: {e}")))?;
    let flags = features
        .plugins
        .get_mut(id)
        .ok_or_else(|| FlagEditError::UnknownPlugin(id.to_string()))?;
    if let Some(e) = edit.enabled {
        flags.enabled = e;
    }
    if let Some(s) = &edit.schedule {
        flags.schedule = s.clone();
    }
    if let Some(b) = edit.budget {
        if let Some(c) = b.cpu_ms {
            flags.budget.cpu_ms = c;
        }
        if let Some(m) = b.mem_mb {
            flags.budget.mem_mb = m;
        }
    }
    if let Some(t) = targeted_edit(text, id, edit) {
        if serde_yaml_ng::from_str::<Features>(&t).ok().as_ref() == Some(&features) {
            return Ok(t);
        }
    }
    serde_yaml_ng::to_string(&features)
        .map_err(|e| FlagEditError::Invalid(format!("cannot write features.yaml: {e}")))
}

fn indent_of(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

fn is_content(line: &str) -> bool {
    let t = line.trim();
    !t.is_empty() && !t.starts_with('#')
}

/// Rewrites the `enabled:`, `schedule:` and `budget:` lines of block-style YAML in place;
/// `None` when a needed line is missing.
fn targeted_edit(text: &str, id: &str, edit: &FlagEdit) -> Option<String> {
    let mut lines: Vec<String> = text.split_inclusive('\n').map(str::to_string).collect();
    let start = lines
        .iter()
        .position(|l| indent_of(l) > 0 && l.trim_end().trim_start() == format!("{id}:"))?;
    let base = indent_of(&lines[start]);
    let end = lines[start + 1..]
        .iter()
        .position(|l| is_content(l) && indent_of(l) <= base)
        .map_or(lines.len(), |p| start + 1 + p);
    let find = |lines: &[String], from: usize, to: usize, key: &str, min_indent: usize| {
        (from..to).find(|&i| {
            indent_of(&lines[i]) > min_indent
                && lines[i].trim_start().starts_with(&format!("{key}:"))
        })
    };
    let set = |line: &mut String, key: &str, value: &str| {
        let nl = if line.ends_with('\n') { "\n" } else { "" };
        *line = format!("{}{key}: {value}{nl}", " ".repeat(indent_of(line)));
    };
    if let Some(e) = edit.enabled {
        let i = find(&lines, start + 1, end, "enabled", base)?;
        set(&mut lines[i], "enabled", if e { "true" } else { "false" });
    }
    if let Some(s) = &edit.schedule {
        let i = find(&lines, start + 1, end, "schedule", base)?;
        // A JSON string is a valid YAML double-quoted scalar.
        let quoted = serde_json::to_string(s).ok()?;
        set(&mut lines[i], "schedule", &quoted);
    }
    if let Some(b) = edit.budget {
        let bi = find(&lines, start + 1, end, "budget", base)?;
        let b_indent = indent_of(&lines[bi]);
        let b_end = lines[bi + 1..end]
            .iter()
            .position(|l| is_content(l) && indent_of(l) <= b_indent)
            .map_or(end, |p| bi + 1 + p);
        for (key, v) in [("cpu_ms", b.cpu_ms), ("mem_mb", b.mem_mb)] {
            if let Some(v) = v {
                let i = find(&lines, bi + 1, b_end, key, b_indent)?;
                set(&mut lines[i], key, &format!("{v}"));
            }
        }
    }
    Some(lines.concat())
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "# header comment\nplugins:\n  # a comment\n  fe_kalman:\n    enabled: false\n    schedule: \"@close\"\n    budget:\n      cpu_ms: 50\n      mem_mb: 16\n  fe_garch:\n    enabled: false\n    schedule: \"@close\"\n    budget:\n      cpu_ms: 50\n      mem_mb: 16\n";

    #[test]
    fn targeted_edit_keeps_comments_and_other_plugins() {
        let edit = FlagEdit {
            enabled: Some(true),
            schedule: Some("interval_5m".into()),
            budget: Some(BudgetEdit {
                cpu_ms: Some(75.5),
                mem_mb: None,
            }),
        };
        let out = edit_features_text(TEXT, "fe_kalman", &edit).unwrap();
        assert_eq!(
            out,
            "# header comment\nplugins:\n  # a comment\n  fe_kalman:\n    enabled: true\n    schedule: \"interval_5m\"\n    budget:\n      cpu_ms: 75.5\n      mem_mb: 16\n  fe_garch:\n    enabled: false\n    schedule: \"@close\"\n    budget:\n      cpu_ms: 50\n      mem_mb: 16\n"
        );
    }

    #[test]
    fn flow_style_falls_back_to_reserialising() {
        let text = "plugins:\n  fe_kalman: {enabled: false, schedule: \"@close\", budget: {cpu_ms: 50, mem_mb: 16}}\n";
        let edit = FlagEdit {
            enabled: Some(true),
            ..FlagEdit::default()
        };
        let out = edit_features_text(text, "fe_kalman", &edit).unwrap();
        let f: Features = serde_yaml_ng::from_str(&out).unwrap();
        assert!(f.plugins["fe_kalman"].enabled);
        assert_eq!(f.plugins["fe_kalman"].budget.cpu_ms, 50.0);
    }

    #[test]
    fn unknown_plugin_and_bad_budget_refused() {
        assert_eq!(
            edit_features_text(TEXT, "nope", &FlagEdit::default()),
            Err(FlagEditError::UnknownPlugin("nope".into()))
        );
        let bad = FlagEdit {
            budget: Some(BudgetEdit {
                cpu_ms: Some(-1.0),
                mem_mb: None,
            }),
            ..FlagEdit::default()
        };
        assert!(matches!(
            edit_features_text(TEXT, "fe_kalman", &bad),
            Err(FlagEditError::Invalid(_))
        ));
    }
}
