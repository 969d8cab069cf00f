//! `optifire user add` reads the password from stdin without printing it, refuses short ones,
//! and `optifire user totp` prints an otpauth URI for the user.

use std::io::Write;
use std::process::{Command, Stdio};

fn optifire(args: &[&str], stdin: &str) -> std::process::Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_optifire"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn add_user_then_enrol_totp() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.db");
    let db = db.to_str().unwrap();
    let password = "a sufficiently long password";

    let short = optifire(&["user", "add", "bob", "--db", db], "short\n");
    assert!(!short.status.success());
    assert!(String::from_utf8_lossy(&short.stderr).contains("password too short"));

    let ok = optifire(
        &["user", "add", "bob", "--db", db],
        &format!("{password}\n"),
    );
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let all = [ok.stdout.clone(), ok.stderr.clone()].concat();
    assert!(!String::from_utf8_lossy(&all).contains(password));

    let again = optifire(
        &["user", "add", "bob", "--db", db],
        &format!("{password}\n"),
    );
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));

    let totp = optifire(&["user", "totp", "bob", "--db", db], "");
    assert!(totp.status.success());
    let out = String::from_utf8_lossy(&totp.stdout);
    assert!(out.contains("otpauth://totp/OptiFIRE:bob?secret="), "{out}");

    let nobody = optifire(&["user", "totp", "nobody", "--db", db], "");
    assert!(!nobody.status.success());
}
