//! The routes added for the dashboard (orders, positions, account, equity, risk metrics, log
//! levels, run-now, stream) and the server-rendered pages: auth on each, the engine-absent
//! answer, a risk refusal shown with its reason, CSRF on form posts, and "no data yet" on an
//! empty store.

mod common;

use axum::http::{Method, StatusCode};
use common::*;
use optifire_core::clock::Clock;
use optifire_core::domain::{EquityPoint, Money};
use optifire_core::store::Store;
use optifire_core::Timestamp;
use rust_decimal::Decimal;
use serde_json::{json, Value};
use std::sync::Arc;

fn new_routes() -> Vec<(Method, &'static str, Option<Value>)> {
    vec![
        (Method::GET, "/api/v1/orders", None),
        (Method::GET, "/api/v1/orders/x-1", None),
        (
            Method::POST,
            "/api/v1/orders",
            Some(json!({"symbol": "SPY", "side": "buy", "qty": "1"})),
        ),
        (Method::POST, "/api/v1/orders/open-1/cancel", None),
        (Method::GET, "/api/v1/positions", None),
        (Method::GET, "/api/v1/account", None),
        (Method::GET, "/api/v1/equity", None),
        (Method::GET, "/api/v1/metrics", None),
        (Method::GET, "/api/v1/log", None),
        (
            Method::PUT,
            "/api/v1/log",
            Some(json!({"module": "optifire_engine", "level": "debug"})),
        ),
        (Method::POST, "/api/v1/plugins/fe_kalman/run", None),
        (Method::GET, "/api/v1/stream", None),
        (Method::GET, "/api/v1/engine/gates", None),
        (
            Method::POST,
            "/api/v1/engine/halt/acknowledge",
            Some(json!({"confirm": true, "note": "checked"})),
        ),
        (
            Method::POST,
            "/api/v1/engine/losing-streak/reset",
            Some(json!({"confirm": true, "note": "checked"})),
        ),
    ]
}

#[tokio::test]
async fn new_routes_are_401_without_a_session() {
    let h = harness();
    for (m, uri, body) in new_routes() {
        let r = h.call(m.clone(), uri, &[], body, LOCAL).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{m} {uri}: {}", r.text);
    }
}

#[tokio::test]
async fn without_an_engine_actions_are_409_and_views_work_on_an_empty_store() {
    let h = harness();
    let (t, _) = h.token().await;
    for (m, uri, body) in new_routes() {
        if uri.ends_with("/stream") {
            continue; // an endless body; tested in sse.rs
        }
        let r = h.send(m.clone(), uri, &t, body.unwrap_or(json!({}))).await;
        let acts = m != Method::GET;
        let expected = match uri {
            "/api/v1/orders/x-1" => StatusCode::NOT_FOUND,
            // No reload handle was attached to this state.
            "/api/v1/log" => StatusCode::CONFLICT,
            // The gates are the engine's state: nothing to show without one.
            "/api/v1/engine/gates" => StatusCode::CONFLICT,
            _ if acts => StatusCode::CONFLICT,
            _ => StatusCode::OK,
        };
        assert_eq!(r.status, expected, "{m} {uri}: {}", r.text);
        if (acts && uri != "/api/v1/log") || uri == "/api/v1/engine/gates" {
            assert!(r.json()["error"]
                .as_str()
                .unwrap()
                .contains("no engine running"));
        }
    }
    // Empty store: nulls and empty lists, no invented numbers.
    let acct = h.get("/api/v1/account", &t).await.json();
    assert_eq!(acct["equity"], Value::Null);
    assert_eq!(acct["engine_attached"], false);
    assert_eq!(
        h.get("/api/v1/metrics", &t).await.json()["metrics"],
        Value::Null
    );
    assert_eq!(
        h.get("/api/v1/positions", &t).await.json()["positions"],
        json!([])
    );
    assert_eq!(
        h.get("/api/v1/orders", &t).await.json()["orders"],
        json!([])
    );
}

#[tokio::test]
async fn manual_order_goes_to_the_engine_and_a_refusal_carries_its_reason() {
    let h = harness();
    let (engine, _bus) = attach_fake(&h, 64);
    let (t, _) = h.token().await;
    let ok = h
        .send(
            Method::POST,
            "/api/v1/orders",
            &t,
            json!({"symbol": " spy ", "side": "buy", "qty": "5",
                   "order_type": {"type": "limit", "limit": "401.25"}}),
        )
        .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.text);
    assert_eq!(ok.json()["order"]["client_order_id"], "manual-1");
    assert_eq!(ok.json()["order"]["status"], "new");
    let placed = engine.placed.lock().unwrap().clone();
    assert_eq!(placed.len(), 1);
    assert_eq!(
        placed[0].symbol.as_str(),
        "SPY",
        "symbol normalised before the engine"
    );

    let refused = h
        .send(
            Method::POST,
            "/api/v1/orders",
            &t,
            json!({"symbol": "SPY", "side": "buy", "qty": "500"}),
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(refused.json()["rule"], REFUSAL_RULE);
    assert_eq!(refused.json()["reason"], REFUSAL_REASON);

    for bad in [
        json!({"symbol": "SPY", "side": "buy", "qty": "0"}),
        json!({"symbol": "S P Y", "side": "buy", "qty": "1"}),
        json!({"symbol": "SPY", "side": "buy", "qty": "1", "order_type": {"type": "limit", "limit": "-1"}}),
    ] {
        let r = h
            .send(Method::POST, "/api/v1/orders", &t, bad.clone())
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{bad}: {}", r.text);
    }
    assert_eq!(
        engine.placed.lock().unwrap().len(),
        1,
        "invalid orders never reach the engine"
    );

    let c = h
        .send(Method::POST, "/api/v1/orders/open-1/cancel", &t, json!({}))
        .await;
    assert_eq!(c.status, StatusCode::OK);
    assert_eq!(c.json()["order"]["status"], "pending_cancel");
    let missing = h
        .send(Method::POST, "/api/v1/orders/nope/cancel", &t, json!({}))
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);

    let run = h
        .send(Method::POST, "/api/v1/plugins/fe_kalman/run", &t, json!({}))
        .await;
    assert_eq!(run.status, StatusCode::OK, "{}", run.text);
    assert_eq!(run.json()["run"]["plugin_id"], "fe_kalman");
    let unknown = h
        .send(Method::POST, "/api/v1/plugins/no_such/run", &t, json!({}))
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);

    // Each action left an audit row naming it, the refusal with its reason.
    let audit = h.get("/api/v1/audit", &t).await.json();
    let rows = audit["entries"]
        .as_array()
        .or(audit["audit"].as_array())
        .cloned()
        .unwrap_or_default();
    let refused_row = rows
        .iter()
        .find(|r| r["action"] == "order.place" && r["status"] == 422)
        .expect("refusal audited");
    assert!(refused_row["detail"]
        .as_str()
        .unwrap()
        .contains("max_position_pct"));
}

fn point(day: i64, equity: &str, gross: &str) -> EquityPoint {
    let m = |s: &str| Money(s.parse::<Decimal>().unwrap());
    EquityPoint {
        // 21:00 UTC: 16:00 New York, one close a day.
        ts: Timestamp::from_secs(1_699_995_600 + day * 86_400),
        equity: m(equity),
        cash: m("50"),
        gross_exposure: m(gross),
    }
}

#[tokio::test]
async fn account_equity_and_metrics_from_stored_equity() {
    let h = harness();
    for p in [
        point(0, "100", "0"),
        point(1, "110", "50"),
        point(2, "99", "40"),
        point(3, "108.9", "54.45"),
    ] {
        h.store.insert_equity(&p).unwrap();
    }
    let (t, _) = h.token().await;
    let acct = h.get("/api/v1/account", &t).await.json();
    assert_eq!(acct["equity"]["equity"], "108.9");
    let eq = h.get("/api/v1/equity", &t).await.json();
    assert_eq!(eq["points"].as_array().unwrap().len(), 4);
    let ranged = h
        .get("/api/v1/equity?from=1700082000&to=1700168400", &t)
        .await
        .json();
    assert_eq!(
        ranged["points"].as_array().unwrap().len(),
        2,
        "days 1 and 2"
    );
    let m = h.get("/api/v1/metrics", &t).await.json()["metrics"].clone();
    // By hand: PnL 8.9 on 100; peak 110 → now 1% and worst 10% below; gross 54.45 / 108.9.
    let f = |k: &str| m[k].as_f64().unwrap();
    assert!((f("pnl") - 8.9).abs() < 1e-9);
    assert!((f("drawdown") - 0.01).abs() < 1e-12);
    assert!((f("max_drawdown") - 0.10).abs() < 1e-12);
    assert!((f("exposure_pct") - 0.5).abs() < 1e-12);
    assert_eq!(m["var"]["var"], Value::Null, "3 daily returns: no VaR");
    assert!(m["var"]["note"].as_str().unwrap().contains("at least 20"));
}

#[tokio::test]
async fn log_levels_change_at_run_time() {
    use tracing_subscriber::layer::SubscriberExt;
    let h = harness();
    let (layer, handle) =
        tracing_subscriber::reload::Layer::new(tracing_subscriber::EnvFilter::new("warn"));
    let _sub = tracing_subscriber::registry().with(layer);
    h.state
        .attach_log_control(Arc::new(optifire_server::log_level::EnvFilterReload::new(
            handle,
        )));
    let (t, _) = h.token().await;
    assert_eq!(h.get("/api/v1/log", &t).await.json()["directives"], "warn");
    let r = h
        .send(
            Method::PUT,
            "/api/v1/log",
            &t,
            json!({"module": "optifire_engine::exec", "level": "DEBUG"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let running = |v: &Value| {
        let d = v["directives"].as_str().unwrap().to_string();
        let mut parts: Vec<&str> = d.split(',').collect();
        parts.sort_unstable();
        parts.join(",")
    };
    // The filter renders directives in its own order; the set is what counts.
    assert_eq!(running(&r.json()), "optifire_engine::exec=debug,warn");
    for bad in [
        json!({"module": "x", "level": "loud"}),
        json!({"module": "a=b,c", "level": "info"}),
    ] {
        let r = h.send(Method::PUT, "/api/v1/log", &t, bad).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
    }
    assert_eq!(
        running(&h.get("/api/v1/log", &t).await.json()),
        "optifire_engine::exec=debug,warn",
        "refused edits change nothing"
    );
}

// ------------------------------------------------------------------------------------------
// Pages

#[tokio::test]
async fn pages_redirect_to_login_without_a_session() {
    let h = harness();
    for p in ["/", "/flags", "/orders", "/diagnostics"] {
        let r = h.call(Method::GET, p, &[], None, LOCAL).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{p}");
        assert_eq!(r.headers["location"], "/login");
    }
    let login = h.call(Method::GET, "/login", &[], None, LOCAL).await;
    assert_eq!(login.status, StatusCode::OK);
    assert!(login.text.contains("name=\"password\""));
    // No session: a form post is refused outright.
    let r = h
        .form("/ui/flags/fe_kalman", &[], "enabled=true&csrf=x")
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn login_page_sets_the_session_and_the_totp_step_is_asked_when_enrolled() {
    let h = harness();
    let pw = url(PASSWORD);
    let r = h
        .form("/login", &[], &format!("username=alice&password={pw}"))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    assert_eq!(r.headers["location"], "/");
    let cookies = r.cookies();
    assert!(cookies
        .iter()
        .any(|c| c.starts_with("optifire_session=") && c.contains("HttpOnly")));
    let bad = h
        .form("/login", &[], "username=alice&password=nope-nope-nope")
        .await;
    assert_eq!(bad.status, StatusCode::UNAUTHORIZED);
    assert!(bad.text.contains("invalid username or password"));
    assert!(bad.cookies().is_empty());

    let enrol = h.state.db.enroll_totp("alice", h.clock.now()).unwrap();
    let step = h
        .form("/login", &[], &format!("username=alice&password={pw}"))
        .await;
    assert_eq!(step.status, StatusCode::OK);
    assert!(step.cookies().is_empty(), "no session before the code");
    assert!(step.text.contains("action=\"/login/totp\""));
    let token = step
        .text
        .split("name=\"token\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap()
        .to_string();
    let code = optifire_server::auth::totp::code_at(&enrol.secret_base32, "alice", T0_SECS as u64)
        .unwrap();
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let w = h
        .form("/login/totp", &[], &format!("token={token}&code={wrong}"))
        .await;
    assert_eq!(w.status, StatusCode::UNAUTHORIZED);
    assert!(w.text.contains("wrong code"));
    let ok = h
        .form("/login/totp", &[], &format!("token={token}&code={code}"))
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.text);
    assert!(ok
        .cookies()
        .iter()
        .any(|c| c.starts_with("optifire_session=")));
}

fn url(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[tokio::test]
async fn every_tab_renders_and_an_empty_store_says_no_data_yet() {
    let h = harness();
    let (cookie, _) = cookie_session(&h).await;
    for (p, title) in [
        ("/", "Dashboard"),
        ("/flags", "Flags"),
        ("/orders", "Orders"),
        ("/diagnostics", "Diagnostics"),
    ] {
        let r = h
            .call(Method::GET, p, &[("cookie", &cookie)], None, LOCAL)
            .await;
        assert_eq!(r.status, StatusCode::OK, "{p}");
        assert!(r.text.contains(&format!("<h1>{title}</h1>")), "{p}");
        assert!(r.headers["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("default-src 'self'"));
        assert!(!r.text.contains("<script>"), "no inline script (CSP)");
    }
    let d = h
        .call(Method::GET, "/", &[("cookie", &cookie)], None, LOCAL)
        .await;
    assert!(d.text.contains("no data yet"));
    assert!(!d.text.contains("<svg"), "no chart without data");
    let o = h
        .call(Method::GET, "/orders", &[("cookie", &cookie)], None, LOCAL)
        .await;
    assert!(o.text.contains("No engine running in this process"));
}

#[tokio::test]
async fn dashboard_draws_charts_from_stored_equity_and_signals() {
    let h = harness();
    let mut e = Decimal::from(100_000);
    // 25 closes with returns cycling through -2%, +1%, +0.5%, +1.5%.
    let returns = ["-0.02", "0.01", "0.005", "0.015"];
    h.store
        .insert_equity(&point(0, &e.to_string(), "0"))
        .unwrap();
    for d in 1..=25 {
        e *= Decimal::ONE + returns[(d as usize) % 4].parse::<Decimal>().unwrap();
        h.store
            .insert_equity(&point(d, &e.to_string(), "1000"))
            .unwrap();
    }
    let sig = |plugin: &str, sym: &str, v: f64| optifire_core::plugin::PluginOutput {
        plugin_id: plugin.into(),
        ts: Timestamp::from_secs(1_700_000_000),
        output: optifire_core::plugin::Output::Signal {
            symbol: sym.into(),
            value: optifire_core::domain::Signal::new(v).unwrap(),
        },
    };
    h.store
        .insert_outputs(&[
            sig("alpha_vix_regime", "SPY", 0.6),
            sig("alpha_cross_asset_corr", "SPY", -0.2),
        ])
        .unwrap();
    let (cookie, _) = cookie_session(&h).await;
    let d = h
        .call(Method::GET, "/", &[("cookie", &cookie)], None, LOCAL)
        .await;
    assert_eq!(d.status, StatusCode::OK);
    // Signals alone are not contributions: without the engine's record the pie and the
    // contribution chart say "no data yet" (equity, drawdown, distribution are drawn).
    assert_eq!(d.text.matches("<svg").count(), 3, "{}", d.text);
    assert!(!d.text.contains("alpha_vix_regime 50.0%"));

    // The engine's record of a cycle with weights 3 (vix) and 1 (corr) on signals 0.6 and
    // -0.2: parts 3 x 0.6 / 4 = 0.45 and 1 x -0.2 / 4 = -0.05 of SPY's target 0.40.
    let c = |plugin: &str, w: f64| optifire_core::event::SignalContribution {
        plugin: plugin.into(),
        symbol: "SPY".into(),
        weight: w,
    };
    use optifire_core::store::Store;
    h.store
        .append_event(
            Timestamp::from_secs(1_700_000_000),
            &optifire_core::event::Event::Contributions {
                ts: Timestamp::from_secs(1_700_000_000),
                contributions: vec![
                    c("alpha_cross_asset_corr", -0.05),
                    c("alpha_vix_regime", 0.45),
                ],
            },
        )
        .unwrap();
    let d = h
        .call(Method::GET, "/", &[("cookie", &cookie)], None, LOCAL)
        .await;
    // Equity, drawdown, pie, contributions, distribution.
    assert_eq!(d.text.matches("<svg").count(), 5, "five charts");
    assert!(d.text.contains("VaR 95%"));
    // Pie shares: |0.45| and |-0.05| of 0.5 → 90% and 10% (equal weights would say 75/25).
    assert!(d.text.contains("alpha_vix_regime 90.0%"), "{}", d.text);
    assert!(d.text.contains("alpha_cross_asset_corr 10.0%"));
    assert!(!d.text.contains("nothing at stake"));

    // A later cycle where both plugins signal flat: recorded, but nothing at stake, which the
    // pie says instead of "no data yet".
    h.store
        .append_event(
            Timestamp::from_secs(1_700_086_400),
            &optifire_core::event::Event::Contributions {
                ts: Timestamp::from_secs(1_700_086_400),
                contributions: vec![c("alpha_cross_asset_corr", 0.0), c("alpha_vix_regime", 0.0)],
            },
        )
        .unwrap();
    let d = h
        .call(Method::GET, "/", &[("cookie", &cookie)], None, LOCAL)
        .await;
    assert!(
        d.text.contains("nothing at stake: every contribution is 0"),
        "{}",
        d.text
    );
    assert!(!d.text.contains("alpha_vix_regime 90.0%"));
}

#[tokio::test]
async fn form_posts_need_the_csrf_field() {
    let h = harness();
    let (cookie, csrf) = cookie_session(&h).await;
    let before = h.state.config.current_version();
    let none = h
        .form(
            "/ui/flags/infra_psutil_health",
            &[("cookie", &cookie)],
            "enabled=true",
        )
        .await;
    assert_eq!(none.status, StatusCode::FORBIDDEN);
    let wrong = h
        .form(
            "/ui/flags/infra_psutil_health",
            &[("cookie", &cookie)],
            "enabled=true&csrf=0000",
        )
        .await;
    assert_eq!(wrong.status, StatusCode::FORBIDDEN);
    assert_eq!(h.state.config.current_version(), before, "nothing changed");

    let enabled_now = h.state.config.current().features.plugins["infra_psutil_health"].enabled;
    let body = format!("enabled={}&csrf={csrf}", !enabled_now);
    let ok = h
        .form(
            "/ui/flags/infra_psutil_health",
            &[("cookie", &cookie)],
            &body,
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.text);
    let loc = ok.headers["location"].to_str().unwrap();
    assert!(
        loc.starts_with("/flags?ok=1&msg=infra_psutil_health"),
        "{loc}"
    );
    assert_eq!(
        h.state.config.current().features.plugins["infra_psutil_health"].enabled,
        !enabled_now
    );
    // The refused and the accepted posts are both in the audit trail.
    let (t, _) = h.token().await;
    let audit = h.get("/api/v1/audit", &t).await.json();
    let text = audit.to_string();
    assert!(
        text.contains("\"action\":\"refused\"") && text.contains("flags.edit infra_psutil_health")
    );
}

#[tokio::test]
async fn order_form_shows_a_refusal_with_its_reason() {
    let h = harness();
    let _ = attach_fake(&h, 64);
    let (cookie, csrf) = cookie_session(&h).await;
    let r = h
        .form(
            "/ui/orders",
            &[("cookie", &cookie)],
            &format!("symbol=SPY&side=buy&qty=500&order_type=market&limit=&tif=day&csrf={csrf}"),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let loc = r.headers["location"].to_str().unwrap().to_string();
    assert!(loc.starts_with("/orders?ok=0&msg="), "{loc}");
    let page = h
        .call(Method::GET, &loc, &[("cookie", &cookie)], None, LOCAL)
        .await;
    assert!(page.text.contains("refused by the risk engine (max_position_pct): SPY would be 14.2% of equity; limit 10%"), "{}", page.text);
    let ok = h
        .form(
            "/ui/orders",
            &[("cookie", &cookie)],
            &format!("symbol=SPY&side=buy&qty=5&order_type=limit&limit=401.5&tif=day&csrf={csrf}"),
        )
        .await;
    assert!(ok.headers["location"]
        .to_str()
        .unwrap()
        .starts_with("/orders?ok=1"));
    let cancel = h
        .form(
            "/ui/orders/open-1/cancel",
            &[("cookie", &cookie)],
            &format!("csrf={csrf}"),
        )
        .await;
    assert!(cancel.headers["location"]
        .to_str()
        .unwrap()
        .contains("pending_cancel"));
}

#[tokio::test]
async fn flash_messages_are_escaped() {
    let h = harness();
    let (cookie, _) = cookie_session(&h).await;
    let r = h
        .call(
            Method::GET,
            "/flags?ok=0&msg=%3Cscript%3Ealert(1)%3C%2Fscript%3E",
            &[("cookie", &cookie)],
            None,
            LOCAL,
        )
        .await;
    assert!(r.text.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(!r.text.contains("<script>alert"));
}

fn audit_rows(audit: &Value) -> Vec<Value> {
    audit["entries"]
        .as_array()
        .or(audit["audit"].as_array())
        .cloned()
        .unwrap_or_default()
}

#[tokio::test]
async fn lifting_a_gate_needs_confirmation_a_note_and_a_closed_gate() {
    let h = harness();
    let (engine, _bus) = attach_fake(&h, 64);
    let (t, _) = h.token().await;
    let g = h.get("/api/v1/engine/gates", &t).await;
    assert_eq!(g.status, StatusCode::OK, "{}", g.text);
    assert_eq!(g.json()["gates"]["halt"], Value::Null);
    assert_eq!(g.json()["gates"]["losing_streak"], 0);
    assert_eq!(g.json()["gates"]["max_losing_streak"], FAKE_MAX_STREAK);
    assert_eq!(g.json()["losing_streak_paused"], false);

    let reset = "/api/v1/engine/losing-streak/reset";
    let ack = "/api/v1/engine/halt/acknowledge";
    let ok_body = json!({"confirm": true, "note": " reviewed the five losses "});
    // Neither gate is closed: nothing to lift, and the engine is not asked.
    let r = h.send(Method::POST, reset, &t, ok_body.clone()).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    assert!(r.json()["error"]
        .as_str()
        .unwrap()
        .contains("0 losing trade(s) in a row, limit 5"));
    let r = h.send(Method::POST, ack, &t, ok_body.clone()).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    assert!(engine.lift_notes.lock().unwrap().is_empty());

    // Five losses in a row: the pause is in force.
    *engine.streak.lock().unwrap() = FAKE_MAX_STREAK;
    assert_eq!(
        h.get("/api/v1/engine/gates", &t).await.json()["losing_streak_paused"],
        true
    );
    for bad in [
        json!({"note": "reviewed"}),
        json!({"confirm": false, "note": "reviewed"}),
        json!({"confirm": true}),
        json!({"confirm": true, "note": "  "}),
        json!({"confirm": true, "note": "two\nlines"}),
    ] {
        let r = h.send(Method::POST, reset, &t, bad.clone()).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{bad}: {}", r.text);
    }
    assert!(
        engine.lift_notes.lock().unwrap().is_empty(),
        "refused lifts never reach the engine"
    );
    assert_eq!(*engine.streak.lock().unwrap(), FAKE_MAX_STREAK);
    let r = h.send(Method::POST, reset, &t, ok_body.clone()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json()["cleared"], FAKE_MAX_STREAK);
    assert_eq!(*engine.streak.lock().unwrap(), 0);

    // A halt: acknowledged with the caller's name in the stored note.
    *engine.halt.lock().unwrap() = Some(optifire_server::HaltInfo {
        since: Timestamp::from_secs(T0_SECS),
        reason: "broker holds 10 SPY, ledger 0".into(),
    });
    let r = h
        .send(
            Method::POST,
            ack,
            &t,
            json!({"confirm": true, "note": "broker statement checked"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(
        r.json()["lifted"]["reason"],
        "broker holds 10 SPY, ledger 0"
    );
    assert!(engine.halt.lock().unwrap().is_none());
    assert_eq!(
        *engine.lift_notes.lock().unwrap(),
        vec![
            "alice: reviewed the five losses".to_string(),
            "alice: broker statement checked".to_string()
        ]
    );

    // Every attempt is audited with its outcome.
    let rows = audit_rows(&h.get("/api/v1/audit", &t).await.json());
    let statuses = |action: &str| -> Vec<u64> {
        rows.iter()
            .filter(|r| r["action"] == action)
            .map(|r| r["status"].as_u64().unwrap())
            .collect()
    };
    assert_eq!(
        statuses("engine.streak.reset"),
        vec![409, 400, 400, 400, 400, 400, 200]
    );
    assert_eq!(statuses("engine.halt.ack"), vec![409, 200]);
    assert!(rows.iter().any(|r| r["action"] == "engine.halt.ack"
        && r["detail"]
            .as_str()
            .unwrap()
            .contains("broker statement checked")));
}

#[tokio::test]
async fn the_dashboard_shows_closed_gates_with_forms_that_lift_them() {
    let h = harness();
    let (engine, _bus) = attach_fake(&h, 64);
    let (cookie, csrf) = cookie_session(&h).await;
    let page = h
        .call(Method::GET, "/", &[("cookie", &cookie)], None, LOCAL)
        .await;
    assert!(
        page.text.contains("Reconciliation: no halt in force."),
        "{}",
        page.text
    );
    assert!(page.text.contains("Losing streak: 0 of 5"));
    assert!(!page.text.contains("/ui/engine/losing-streak/reset"));

    *engine.streak.lock().unwrap() = 6;
    *engine.halt.lock().unwrap() = Some(optifire_server::HaltInfo {
        since: Timestamp::from_secs(T0_SECS),
        reason: "order <x-1> unknown to the broker".into(),
    });
    let page = h
        .call(Method::GET, "/", &[("cookie", &cookie)], None, LOCAL)
        .await;
    assert!(page.text.contains("Trading halted by reconciliation"));
    assert!(
        page.text
            .contains("order &lt;x-1&gt; unknown to the broker"),
        "reason escaped"
    );
    assert!(page.text.contains("6 losing trades in a row (limit 5)"));
    assert!(page.text.contains("action=\"/ui/engine/halt/acknowledge\""));
    assert!(page
        .text
        .contains("action=\"/ui/engine/losing-streak/reset\""));

    // Without the confirmation box: refused, shown on the page, nothing lifted.
    let r = h
        .form(
            "/ui/engine/losing-streak/reset",
            &[("cookie", &cookie)],
            &format!("note=reviewed&csrf={csrf}"),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let loc = r.headers["location"].to_str().unwrap().to_string();
    assert!(loc.starts_with("/?ok=0&msg="), "{loc}");
    let shown = h
        .call(Method::GET, &loc, &[("cookie", &cookie)], None, LOCAL)
        .await;
    assert!(
        shown.text.contains("confirmation required"),
        "{}",
        shown.text
    );
    assert_eq!(*engine.streak.lock().unwrap(), 6);

    for (path, note) in [
        ("/ui/engine/losing-streak/reset", "losses%20reviewed"),
        ("/ui/engine/halt/acknowledge", "positions%20match"),
    ] {
        let r = h
            .form(
                path,
                &[("cookie", &cookie)],
                &format!("note={note}&confirm=yes&csrf={csrf}"),
            )
            .await;
        let loc = r.headers["location"].to_str().unwrap();
        assert!(loc.starts_with("/?ok=1&msg="), "{path}: {loc}");
    }
    assert_eq!(*engine.streak.lock().unwrap(), 0);
    assert!(engine.halt.lock().unwrap().is_none());
    assert_eq!(
        *engine.lift_notes.lock().unwrap(),
        vec![
            "alice: losses reviewed".to_string(),
            "alice: positions match".to_string()
        ]
    );
}
