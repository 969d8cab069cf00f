//! A small blocking DevTools client for the dashboard's browser test: starts headless Chromium,
//! speaks the DevTools protocol over a minimal WebSocket (RFC 6455 text frames, client masking),
//! and offers the few page actions the test needs (navigate, evaluate, submit, screenshot).
//! Written out here so the test build needs no browser-automation or TLS crate.

use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long one DevTools answer (or a page load) may take before the test fails.
const QUIET: Duration = Duration::from_secs(30);

/// The browser binary: Debian's `chromium` (what `.ci/run` installs), or another name.
/// Panics when there is none: CI installs it, so a missing browser is a failure, not a skip.
pub fn chromium() -> String {
    for c in ["chromium", "chromium-browser", "google-chrome"] {
        if Command::new(c)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
        {
            return c.to_string();
        }
    }
    panic!("no chromium found: apt-get install -y chromium (.ci/run installs it)");
}

struct Ws {
    tcp: TcpStream,
}

impl Ws {
    fn connect(url: &str) -> Ws {
        let rest = url.strip_prefix("ws://").expect("ws:// URL");
        let (host, path) = rest.split_once('/').unwrap();
        let mut tcp = TcpStream::connect(host).unwrap();
        tcp.set_read_timeout(Some(QUIET)).unwrap();
        write!(
            tcp,
            "GET /{path} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        )
        .unwrap();
        let mut head = Vec::new();
        let mut b = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") {
            tcp.read_exact(&mut b).unwrap();
            head.push(b[0]);
        }
        assert!(
            head.starts_with(b"HTTP/1.1 101"),
            "{}",
            String::from_utf8_lossy(&head)
        );
        Ws { tcp }
    }

    fn send(&mut self, text: &str) {
        let payload = text.as_bytes();
        let mask = [0x12u8, 0x34, 0x56, 0x78];
        let mut frame = vec![0x81u8];
        match payload.len() {
            n if n < 126 => frame.push(0x80 | n as u8),
            n if n <= 0xFFFF => {
                frame.push(0x80 | 126);
                frame.extend_from_slice(&(n as u16).to_be_bytes());
            }
            n => {
                frame.push(0x80 | 127);
                frame.extend_from_slice(&(n as u64).to_be_bytes());
            }
        }
        frame.extend_from_slice(&mask);
        frame.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
        self.tcp.write_all(&frame).unwrap();
    }

    fn read_n(&mut self, n: usize) -> Vec<u8> {
        let mut buf = vec![0u8; n];
        self.tcp
            .read_exact(&mut buf)
            .expect("DevTools went quiet or closed");
        buf
    }

    /// The next complete text message.
    fn recv(&mut self) -> String {
        let mut msg = Vec::new();
        loop {
            let h = self.read_n(2);
            let len = match h[1] & 0x7F {
                126 => u64::from(u16::from_be_bytes(self.read_n(2).try_into().unwrap())),
                127 => u64::from_be_bytes(self.read_n(8).try_into().unwrap()),
                n => u64::from(n),
            };
            let payload = self.read_n(usize::try_from(len).unwrap());
            let opcode = h[0] & 0x0F;
            assert!(opcode != 0x8, "DevTools closed the connection");
            if opcode == 0x1 || opcode == 0x0 {
                msg.extend_from_slice(&payload);
                if h[0] & 0x80 != 0 {
                    return String::from_utf8(msg).unwrap();
                }
            }
        }
    }
}

/// Headless Chromium with one page attached. Killed on drop.
pub struct Browser {
    ws: Ws,
    next_id: u64,
    session: String,
    child: Child,
    _profile: tempfile::TempDir,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Browser {
    pub fn launch() -> Browser {
        let profile = tempfile::tempdir().unwrap();
        let mut child = Command::new(chromium())
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--remote-debugging-port=0",
                "--window-size=1280,1600",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg("about:blank")
            .stderr(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut sent = false;
            // Keep draining so Chromium never blocks on a full pipe.
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let (false, Some(u)) = (sent, line.split("DevTools listening on ").nth(1)) {
                    let _ = tx.send(u.trim().to_string());
                    sent = true;
                }
            }
        });
        let ws_url = rx
            .recv_timeout(QUIET)
            .expect("chromium did not print its DevTools address");
        let ws = Ws::connect(&ws_url);
        let mut b = Browser {
            ws,
            next_id: 0,
            session: String::new(),
            child,
            _profile: profile,
        };
        let target = b.call_browser("Target.createTarget", json!({"url": "about:blank"}));
        let attached = b.call_browser(
            "Target.attachToTarget",
            json!({"targetId": target["targetId"], "flatten": true}),
        );
        b.session = attached["sessionId"].as_str().unwrap().to_string();
        b.call("Page.enable", json!({}));
        b.call("Runtime.enable", json!({}));
        b
    }

    fn send_and_wait(&mut self, mut msg: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        msg["id"] = json!(id);
        let method = msg["method"].clone();
        self.ws.send(&msg.to_string());
        loop {
            let m = self.next();
            if m["id"] == id {
                assert!(m.get("error").is_none(), "{method}: {m}");
                return m["result"].clone();
            }
        }
    }

    fn call_browser(&mut self, method: &str, params: Value) -> Value {
        self.send_and_wait(json!({"method": method, "params": params}))
    }

    /// A page-session call; panics on a DevTools error.
    pub fn call(&mut self, method: &str, params: Value) -> Value {
        let session = self.session.clone();
        self.send_and_wait(json!({"method": method, "params": params, "sessionId": session}))
    }

    fn next(&mut self) -> Value {
        serde_json::from_str(&self.ws.recv()).unwrap()
    }

    fn wait_event(&mut self, method: &str) {
        let deadline = Instant::now() + QUIET;
        while self.next()["method"] != method {
            assert!(Instant::now() < deadline, "no {method} within {QUIET:?}");
        }
    }

    pub fn goto(&mut self, url: &str) {
        self.call("Page.navigate", json!({"url": url}));
        self.wait_event("Page.loadEventFired");
    }

    /// Evaluates `js` (promises awaited) and returns its value.
    pub fn eval(&mut self, js: &str) -> Value {
        let r = self.call(
            "Runtime.evaluate",
            json!({"expression": js, "returnByValue": true, "awaitPromise": true}),
        );
        assert!(
            r.get("exceptionDetails").is_none(),
            "{js}: {}",
            r["exceptionDetails"]
        );
        r["result"]["value"].clone()
    }

    /// Evaluates the JS condition `cond` every 50 ms until it is true or `secs` pass; the
    /// result is the condition's last value.
    pub fn wait_for(&mut self, cond: &str, secs: u64) -> bool {
        let js = format!(
            "new Promise(r => {{ const t = Date.now(); (function w() {{ \
             let ok = false; try {{ ok = !!({cond}); }} catch (e) {{}} \
             if (ok || Date.now() - t > {ms}) r(ok); else setTimeout(w, 50); }})(); }})",
            ms = secs * 1000
        );
        self.eval(&js) == json!(true)
    }

    /// Runs `js` (which submits a form) and waits for the next page.
    pub fn submit(&mut self, js: &str) {
        self.eval(js);
        self.wait_event("Page.loadEventFired");
    }

    pub fn text(&mut self, selector: &str) -> String {
        let js = format!(
            "(document.querySelector({}) || {{textContent: ''}}).textContent",
            json!(selector)
        );
        self.eval(&js).as_str().unwrap_or_default().to_string()
    }

    pub fn screenshot(&mut self, path: &Path) {
        let r = self.call("Page.captureScreenshot", json!({"format": "png"}));
        let png = base64_decode(r["data"].as_str().unwrap());
        assert_eq!(&png[1..4], b"PNG");
        std::fs::write(path, png).unwrap();
    }
}

fn base64_decode(s: &str) -> Vec<u8> {
    let val = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => panic!("not base64: {c}"),
    };
    let bytes: Vec<u8> = s
        .bytes()
        .filter(|c| *c != b'=' && !c.is_ascii_whitespace())
        .collect();
    let mut out = Vec::with_capacity(bytes.len() * 3 / 4);
    for chunk in bytes.chunks(4) {
        let v: Vec<u32> = chunk.iter().map(|c| u32::from(val(*c))).collect();
        let n = v
            .iter()
            .enumerate()
            .fold(0u32, |a, (i, x)| a | (x << (18 - 6 * i)));
        for k in 0..chunk.len().saturating_sub(1) {
            out.push((n >> (16 - 8 * k)) as u8);
        }
    }
    out
}

#[test]
fn base64_decodes_the_rfc_4648_vectors() {
    // RFC 4648 section 10.
    for (enc, dec) in [
        ("", ""),
        ("Zg==", "f"),
        ("Zm8=", "fo"),
        ("Zm9v", "foo"),
        ("Zm9vYg==", "foob"),
        ("Zm9vYmE=", "fooba"),
        ("Zm9vYmFy", "foobar"),
    ] {
        assert_eq!(base64_decode(enc), dec.as_bytes());
    }
}
