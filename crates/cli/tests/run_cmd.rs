//! `optifire run` starts the paper engine and the HTTP API in one process, answers /health,
//! writes the store, and stops cleanly on SIGINT; `--live` without the confirmation key and a
//! missing JWT secret are refused with the fix spelled out. A risk limit changed through the
//! API reaches the engine at its next cycle; an invalid edit (disabling a plugin another one
//! reads included) changes nothing. An operator lifts a real losing-streak pause through the
//! API.

mod users;

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
    // The process watched by infra_psutil_health is real in `optifire run`: its readings come
    // from /proc (not "no data source configured").
    loop {
        let health = store
            .events_after(0, 100_000)
            .unwrap()
            .into_iter()
            .find_map(|(_, e)| match e {
                optifire_core::event::Event::Health {
                    source, message, ..
                } if source == "infra_psutil_health" => Some(message),
                _ => None,
            });
        if let Some(message) = health {
            assert!(message.contains("rss"), "{message}");
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no infra_psutil_health reading"
        );
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

/// One HTTP/1.1 request on a fresh connection; the status code and the body.
fn http(
    addr: &str,
    method: &str,
    path: &str,
    auth: Option<(&str, &str)>,
    body: &str,
) -> (u16, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    let auth = auth
        .map(|(token, csrf)| format!("Authorization: Bearer {token}\r\nX-CSRF-Token: {csrf}\r\n"))
        .unwrap_or_default();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n{auth}\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut resp = String::new();
    s.read_to_string(&mut resp).unwrap();
    let status = resp[9..12].parse().unwrap();
    let body = resp
        .split_once("\r\n\r\n")
        .map_or("", |(_, b)| b)
        .to_string();
    (status, body)
}

/// Stored events as (id, JSON text).
type Stored = Vec<(i64, String)>;

/// Events of the store after `after`, as (id, JSON text).
fn events_after(store: &SqliteStore, after: i64) -> Stored {
    store
        .events_after(after, 100_000)
        .unwrap()
        .into_iter()
        .map(|(id, e)| (id, serde_json::to_string(&e).unwrap()))
        .collect()
}

const PASSWORD: &str = "run test password";

/// An `optifire run` replaying data/sample from `from` at `bars_per_second`, over a copy of
/// the default configuration (`config.yaml` passed through `edit`), with user alice.
struct Running {
    child: std::process::Child,
    addr: String,
    configs: PathBuf,
    db: PathBuf,
    _dir: tempfile::TempDir,
}

impl Running {
    fn start(from: &str, bars_per_second: &str, edit: impl Fn(&str) -> String) -> Running {
        let dir = tempfile::tempdir().unwrap();
        let configs = dir.path().join("configs");
        std::fs::create_dir_all(&configs).unwrap();
        std::fs::copy(
            root().join("configs/features.yaml"),
            configs.join("features.yaml"),
        )
        .unwrap();
        let config = std::fs::read_to_string(root().join("configs/config.yaml")).unwrap();
        std::fs::write(configs.join("config.yaml"), edit(&config)).unwrap();
        let db = dir.path().join("run.db");
        users::add_user("alice", &db, PASSWORD);
        let mut child = optifire()
            .args([
                "run",
                "--port",
                "0",
                "--from",
                from,
                "--bars-per-second",
                bars_per_second,
            ])
            .arg("--config")
            .arg(&configs)
            .arg("--db")
            .arg(&db)
            .env("OPTIFIRE_JWT_SECRET", SECRET)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let addr = loop {
            let line = lines.next().expect("exited before listening").unwrap();
            if let Some(rest) = line.strip_prefix("listening on http://") {
                break rest.split_whitespace().next().unwrap().to_string();
            }
        };
        std::thread::spawn(move || lines.for_each(drop));
        Running {
            child,
            addr,
            configs,
            db,
            _dir: dir,
        }
    }

    /// Alice's bearer token and CSRF value.
    fn login(&self) -> (String, String) {
        let (status, login) = http(
            &self.addr,
            "POST",
            "/api/v1/auth/login",
            None,
            &serde_json::json!({"username": "alice", "password": PASSWORD}).to_string(),
        );
        assert_eq!(status, 200, "{login}");
        let login: serde_json::Value = serde_json::from_str(&login).unwrap();
        (
            login["token"].as_str().unwrap().to_string(),
            login["csrf_token"].as_str().unwrap().to_string(),
        )
    }

    /// Waits (up to 60 s) until the stored events satisfy `f`.
    fn wait_for(&self, store: &SqliteStore, what: &str, f: &dyn Fn(&Stored) -> bool) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        loop {
            if f(&events_after(store, 0)) {
                return;
            }
            assert!(std::time::Instant::now() < deadline, "timed out: {what}");
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
    }

    /// SIGINT, then a clean exit.
    fn stop(mut self) {
        let pid = self.child.id().to_string();
        assert!(Command::new("kill")
            .args(["-INT", &pid])
            .status()
            .unwrap()
            .success());
        assert!(self.child.wait().unwrap().success());
    }
}

#[test]
fn a_risk_limit_changed_through_the_api_reaches_the_engine_at_its_next_cycle() {
    // From February 2022 the risk engine has its 250 daily returns and sizes the replay's
    // targets, capping some at max_exposure_symbol each cycle.
    let run = Running::start("2022-02-01", "5", str::to_string);
    let (addr, configs) = (run.addr.clone(), run.configs.clone());
    let store = SqliteStore::open(&run.db).unwrap();
    let wait_for = |what: &str, f: &dyn Fn(&Stored) -> bool| run.wait_for(&store, what, f);
    let cap_10 = "(limit 10% of equity)";
    let cap_4 = "(limit 4% of equity)";
    wait_for("a per-symbol cap at 10%", &|ev| {
        ev.iter().any(|(_, e)| e.contains(cap_10))
    });

    let auth = run.login();
    let auth = Some((auth.0.as_str(), auth.1.as_str()));
    let (_, cfg) = http(&addr, "GET", "/api/v1/config", auth, "");
    let cfg: serde_json::Value = serde_json::from_str(&cfg).unwrap();
    let config_text = cfg["config_text"].as_str().unwrap();
    let features_text = cfg["features_text"].as_str().unwrap();
    assert!(config_text.contains("max_exposure_symbol: 0.10\n"));
    let put = |text: String| {
        http(
            &addr,
            "PUT",
            "/api/v1/config",
            auth,
            &serde_json::json!({"config_text": text, "features_text": features_text}).to_string(),
        )
    };
    let (status, body) =
        put(config_text.replace("max_exposure_symbol: 0.10\n", "max_exposure_symbol: 0.04\n"));
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"version\":2"), "{body}");
    // An invalid edit (per-symbol cap above the 30% gross cap) is refused and changes nothing.
    let (status, body) =
        put(config_text.replace("max_exposure_symbol: 0.10\n", "max_exposure_symbol: 0.40\n"));
    assert_eq!(status, 422, "{body}");

    // The engine records taking v2 at a cycle boundary; every cap decided after that record
    // uses 4%, and at least one is decided (the replay keeps asking for more than 4%).
    let applied = "engine applied configuration v2 at its cycle boundary: risk limits updated";
    wait_for("a per-symbol cap at 4% after the reload", &|ev| {
        ev.iter()
            .position(|(_, e)| e.contains(applied))
            .is_some_and(|at| ev[at..].iter().any(|(_, e)| e.contains(cap_4)))
    });
    let ev = events_after(&store, 0);
    let at = ev.iter().position(|(_, e)| e.contains(applied)).unwrap();
    assert!(ev[..at].iter().all(|(_, e)| !e.contains(cap_4)));
    assert!(
        ev[at..].iter().all(|(_, e)| !e.contains(cap_10)),
        "a 10% cap after the reload"
    );
    assert!(!ev.iter().any(|(_, e)| e.contains("configuration v3")));

    // Disabling fe_kalman while alpha_cross_asset_corr reads it is refused before it is
    // applied (422 at its line), so the engine never sees it and nothing is rolled back.
    let (_, cfg) = http(&addr, "GET", "/api/v1/config", auth, "");
    let cfg: serde_json::Value = serde_json::from_str(&cfg).unwrap();
    let v2_config = cfg["config_text"].as_str().unwrap().to_string();
    let kalman_on = "  fe_kalman:\n    enabled: true\n";
    assert!(features_text.contains(kalman_on));
    let (status, body) = http(
        &addr,
        "PUT",
        "/api/v1/config",
        auth,
        &serde_json::json!({
            "config_text": v2_config,
            "features_text": features_text.replace(kalman_on, "  fe_kalman:\n    enabled: false\n"),
        })
        .to_string(),
    );
    assert_eq!(status, 422, "{body}");
    assert!(
        body.contains("plugins.fe_kalman.enabled: alpha_cross_asset_corr is enabled and reads"),
        "{body}"
    );
    let (_, cfg) = http(&addr, "GET", "/api/v1/config", auth, "");
    let cfg: serde_json::Value = serde_json::from_str(&cfg).unwrap();
    assert_eq!(cfg["version"], 2);
    assert_eq!(cfg["features_text"].as_str().unwrap(), features_text);
    let on_disk = std::fs::read_to_string(configs.join("features.yaml")).unwrap();
    assert_eq!(on_disk, features_text);

    // A valid edit of the file on disk goes the same way (the watcher applies it as v3), and
    // an invalid one is rejected with an alert and changes nothing.
    let cap_3 = "(limit 3% of equity)";
    std::fs::write(
        configs.join("config.yaml"),
        v2_config.replace("max_exposure_symbol: 0.04\n", "max_exposure_symbol: 0.03\n"),
    )
    .unwrap();
    let applied_v3 = "engine applied configuration v3 at its cycle boundary: risk limits updated";
    wait_for("a per-symbol cap at 3% after the file edit", &|ev| {
        ev.iter()
            .position(|(_, e)| e.contains(applied_v3))
            .is_some_and(|at| ev[at..].iter().any(|(_, e)| e.contains(cap_3)))
    });
    std::fs::write(
        configs.join("config.yaml"),
        v2_config.replace("max_exposure_symbol: 0.04\n", "max_exposure_symbol: 0.40\n"),
    )
    .unwrap();
    wait_for("the rejected file edit's alert", &|ev| {
        ev.iter()
            .any(|(_, e)| e.contains("configuration edit rejected; still running version 3"))
    });
    let (_, cfg) = http(&addr, "GET", "/api/v1/config", auth, "");
    let cfg: serde_json::Value = serde_json::from_str(&cfg).unwrap();
    assert_eq!(cfg["version"], 3);

    run.stop();
}

/// The losing-streak pause of a running engine, lifted through the API: refused without
/// confirmation, then reset with a note that the engine stores under the caller's name.
#[test]
fn an_operator_lifts_the_losing_streak_pause_through_the_api() {
    // One losing trade closes the gate (the replay's first losses come within days of
    // February 2022).
    let run = Running::start("2022-02-01", "4", |c| {
        assert!(c.contains("max_losing_streak: 5\n"));
        c.replace("max_losing_streak: 5\n", "max_losing_streak: 1\n")
    });
    let store = SqliteStore::open(&run.db).unwrap();
    let (token, csrf) = run.login();
    let auth = Some((token.as_str(), csrf.as_str()));
    let gates = || -> serde_json::Value {
        let (status, body) = http(&run.addr, "GET", "/api/v1/engine/gates", auth, "");
        assert_eq!(status, 200, "{body}");
        serde_json::from_str(&body).unwrap()
    };
    let g = gates();
    assert_eq!(g["gates"]["max_losing_streak"], 1);
    assert_eq!(g["gates"]["halt"], serde_json::Value::Null);
    let reset = |body: serde_json::Value| {
        http(
            &run.addr,
            "POST",
            "/api/v1/engine/losing-streak/reset",
            auth,
            &body.to_string(),
        )
    };
    let note = "reviewed the losing trade in the replay";
    // A winning close may lift the pause by itself between the look and the reset (answered
    // 409, nothing done): wait for the next pause and try again.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(90);
    let cleared = loop {
        assert!(
            std::time::Instant::now() < deadline,
            "no losing-streak pause to lift"
        );
        if gates()["losing_streak_paused"] != true {
            std::thread::sleep(std::time::Duration::from_millis(50));
            continue;
        }
        let (status, body) = reset(serde_json::json!({"note": note}));
        assert_eq!(status, 400, "unconfirmed: {body}");
        let (status, body) = reset(serde_json::json!({"confirm": true, "note": note}));
        match status {
            200 => {
                let v: serde_json::Value = serde_json::from_str(&body).unwrap();
                break v["cleared"].as_u64().unwrap();
            }
            409 => continue,
            other => panic!("{other}: {body}"),
        }
    };
    assert!(cleared >= 1, "cleared {cleared}");
    // The engine stored the reset as a risk decision carrying alice's note, after a refusal by
    // the losing-streak rule.
    let expected = format!("alice: {note}");
    run.wait_for(&store, "the stored reset", &|ev| {
        ev.iter()
            .any(|(_, e)| e.contains("losing_streak_reset") && e.contains(&expected))
    });
    let ev = events_after(&store, 0);
    let at = ev
        .iter()
        .position(|(_, e)| e.contains("losing_streak_reset"))
        .unwrap();
    assert!(
        ev[..at]
            .iter()
            .any(|(_, e)| e.contains("\"rule\":\"losing_streak\"")
                && e.contains("consecutive losing"))
    );
    run.stop();
}
