//! Secrets: environment overrides files, a loose secrets file is refused, nothing prints.

use optifire_core::config::{Broker, Config, Secret, Secrets};
use std::collections::HashMap;

fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let m: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    move |k| m.get(k).cloned()
}

#[cfg(unix)]
fn write_secrets(dir: &std::path::Path, mode: u32) -> std::path::PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let p = dir.join("secrets.yaml");
    std::fs::write(
        &p,
        "alpaca_key_id: FILE_KEY\nalpaca_secret_key: FILE_SECRET\njwt_secret: FILE_JWT\n",
    )
    .unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).unwrap();
    p
}

#[cfg(unix)]
#[test]
fn environment_overrides_the_secrets_file() {
    let dir = tempfile::tempdir().unwrap();
    write_secrets(dir.path(), 0o600);
    let mut c = Config::default();
    c.system.secrets_file = Some("secrets.yaml".into());
    let s = Secrets::resolve(
        &c,
        dir.path(),
        &env(&[("APCA_API_KEY_ID", "ENV_KEY"), ("OPENAI_API_KEY", "sk-env")]),
    )
    .unwrap();
    assert_eq!(s.alpaca_key_id.as_ref().unwrap().expose(), "ENV_KEY");
    assert_eq!(
        s.alpaca_secret_key.as_ref().unwrap().expose(),
        "FILE_SECRET"
    );
    assert_eq!(s.jwt_secret.as_ref().unwrap().expose(), "FILE_JWT");
    assert_eq!(s.ai_api_key.as_ref().unwrap().expose(), "sk-env");
}

#[cfg(unix)]
#[test]
fn a_secrets_file_readable_by_others_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    write_secrets(dir.path(), 0o644);
    let mut c = Config::default();
    c.system.secrets_file = Some("secrets.yaml".into());
    let err = Secrets::resolve(&c, dir.path(), &env(&[])).unwrap_err();
    assert!(err.to_string().contains("mode 0644"), "{err}");
    assert!(err.to_string().contains("chmod 600"), "{err}");
}

#[test]
fn alpaca_broker_without_keys_is_an_error_and_with_env_keys_is_fine() {
    let mut c = Config::default();
    c.execution.broker = Broker::Alpaca;
    let err = Secrets::resolve(&c, std::path::Path::new("."), &env(&[])).unwrap_err();
    assert_eq!(err.len(), 2, "{err}");
    assert!(
        err.to_string().contains("APCA_API_KEY_ID: not set"),
        "{err}"
    );
    let s = Secrets::resolve(
        &c,
        std::path::Path::new("."),
        &env(&[("APCA_API_KEY_ID", "K"), ("APCA_API_SECRET_KEY", "S")]),
    )
    .unwrap();
    assert_eq!(s.alpaca_secret_key.unwrap().expose(), "S");
}

#[test]
fn secrets_never_appear_in_debug_or_display() {
    let s = Secrets::resolve(
        &Config::default(),
        std::path::Path::new("."),
        &env(&[
            ("APCA_API_KEY_ID", "AKXXXXSECRETID"),
            ("APCA_API_SECRET_KEY", "verysecretvalue"),
            ("OPTIFIRE_JWT_SECRET", "jwtsecretvalue"),
        ]),
    )
    .unwrap();
    let dbg = format!("{s:?} {s:#?}");
    for leaked in ["AKXXXXSECRETID", "verysecretvalue", "jwtsecretvalue"] {
        assert!(!dbg.contains(leaked), "{dbg}");
    }
    assert!(dbg.contains("***"));
    assert_eq!(Secret::new("x").to_string(), "***");
}
