//! Test support shared by the tests that start `optifire run`: a dashboard user in a fresh
//! database, added the way an operator would (`optifire user add`, password on stdin).

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

/// Runs `optifire user add NAME --db DB` with `password` on stdin; panics if it fails.
pub fn add_user(name: &str, db: &Path, password: &str) {
    let mut add = Command::new(env!("CARGO_BIN_EXE_optifire"))
        .args(["user", "add", name, "--db"])
        .arg(db)
        .env("OPTIFIRE_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    writeln!(add.stdin.take().unwrap(), "{password}").unwrap();
    assert!(add.wait().unwrap().success(), "optifire user add failed");
}
