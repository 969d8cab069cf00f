//! `optifire run` starts the paper engine and the HTTP API in one process, answers /health,
//! writes the store, and stops cleanly on SIGINT; `--live` without the confirmation key and a
//! missing JWT secret are refused with the fix spelled out.

use optifire_core::store::{SqliteStore, Store};
use optifire_core::Timestamp;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Command, Stdio};

const SECRET: &str = "0123456789abcdef0123456789abcdef-test-only";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn optifire() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_optifire"));
    c.current_dir(root())
        .env_remove("APCA_API_KEY_ID")
        .env_remove("APCA_API_SECRET_KEY")
        .env("OPTIFIRE_LOG", "warn");
    c
}

fn get(addr: &str, path: &str) -> String {
    let mut s = TcpStream::connect(addr).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut body = String::new();
    s.read_to_string(&mut body).unwrap();
    body
}

#[test]
fn run_serves_health_writes_the_store_and_stops_on_sigint() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("run.db");
    let mut child = optifire()
        .args([
            "run",
            "--config",
            "configs",
            "--port",
            "0",
            "--from",
            "2025-11-03",
        ])
        .arg("--db")
        .arg(&db)
        .env("OPTIFIRE_JWT_SECRET", SECRET)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut seen = Vec::new();
    let addr = loop {
        let line = match lines.next() {
            Some(l) => l.unwrap(),
            None => {
                let mut err = String::new();
                child
                    .stderr
                    .take()
                    .unwrap()
                    .read_to_string(&mut err)
                    .unwrap();
                panic!("exited before listening; stdout {seen:?}; stderr {err}");
            }
        };
        if let Some(rest) = line.strip_prefix("listening on http://") {
            break rest.split_whitespace().next().unwrap().to_string();
        }
        seen.push(line);
    };
    assert!(
        seen.iter()
            .any(|l| l.starts_with("optifire run: paper trading")),
        "{seen:?}"
    );

    let health = get(&addr, "/health");
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");
    // Everything else needs a login.
    assert!(get(&addr, "/api/v1/events").starts_with("HTTP/1.1 401"));

    // The engine writes the store the server reads: wait (bounded) for the replay's first
    // equity points.
    let store = SqliteStore::open(&db).unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    while store
        .equity(Timestamp(i64::MIN), Timestamp(i64::MAX))
        .unwrap()
        .is_empty()
    {
        assert!(std::time::Instant::now() < deadline, "no equity written");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }

    let pid = child.id().to_string();
    let killed = Command::new("kill").args(["-INT", &pid]).status().unwrap();
    assert!(killed.success());
    let status = child.wait().unwrap();
    let rest: Vec<String> = lines.map(|l| l.unwrap()).collect();
    assert!(status.success(), "exit {status:?}; stdout {rest:?}");
    assert!(rest.iter().any(|l| l.starts_with("stopped: ")), "{rest:?}");
}

#[test]
fn live_needs_the_confirmation_key() {
    let out = optifire()
        .args(["run", "--config", "configs", "--live", "--port", "0"])
        .env("OPTIFIRE_JWT_SECRET", SECRET)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("system.live_confirmed: true"), "{err}");
}

#[test]
fn a_missing_jwt_secret_says_how_to_set_it() {
    let dir = tempfile::tempdir().unwrap();
    let out = optifire()
        .args(["run", "--config", "configs", "--port", "0", "--db"])
        .arg(dir.path().join("x.db"))
        .env_remove("OPTIFIRE_JWT_SECRET")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("OPTIFIRE_JWT_SECRET"), "{err}");
}
