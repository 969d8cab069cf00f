//! The four tabs. Each reads the store (and the running configuration) at request time and
//! renders HTML with inline SVG charts; a panel with nothing stored says "no data yet".

use crate::analytics::{
    allocation_by_plugin, daily_closes, daily_returns, drawdown_points, latest_contributions,
    risk_metrics, slippage_row, RiskMetrics,
};
use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::state::AppState;
use crate::ui::html::{csrf_field, esc, money, opt_pct, page, pct, table, ts, Flash, NO_DATA};
use axum::extract::{Query, State};
use axum::response::Html;
use axum::Extension;
use optifire_charts::{
    Bar, ContributionChart, DistributionChart, LineChart, PieChart, Series, Size, Slice,
};
use optifire_core::domain::{ClientOrderId, EquityPoint};
use optifire_core::event::Event;
use optifire_core::Timestamp;
use serde::Deserialize;
use std::fmt::Write;

const CHART: Size = Size::new(640, 300);
const NANOS: i64 = 1_000_000_000;
/// Rows shown in the journal-like tables; the API pages through the rest.
const ROWS: usize = 50;
/// Above this many equity points the charts use daily closes.
const MAX_CHART_POINTS: usize = 2000;

/// `?ok=1&msg=...` after a form post.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct PageQuery {
    pub msg: Option<String>,
    pub ok: Option<u8>,
    /// Orders tab: show this order's journal.
    pub order: Option<String>,
}

impl PageQuery {
    fn flash(&self) -> Flash {
        Flash {
            message: self.msg.clone().filter(|m| !m.is_empty()),
            ok: self.ok == Some(1),
        }
    }
}

type PageResult = Result<Html<String>, ApiError>;

fn render(title: &str, path: &str, user: &AuthUser, q: &PageQuery, body: &str) -> Html<String> {
    Html(page(
        title,
        path,
        Some((&user.username, &user.csrf)),
        &q.flash(),
        body,
    ))
}

fn svg_or_note(r: Result<String, optifire_charts::ChartError>) -> String {
    match r {
        Ok(svg) => format!("<div class=\"chart\">{svg}</div>"),
        Err(optifire_charts::ChartError::NoData(_)) => NO_DATA.to_string(),
        Err(e) => {
            tracing::error!(error = %e, "chart not drawn");
            "<p class=\"empty\">chart could not be drawn (see the server log)</p>".to_string()
        }
    }
}

fn secs(t: Timestamp) -> i64 {
    t.0.div_euclid(NANOS)
}

fn all_equity(state: &AppState) -> Result<Vec<EquityPoint>, ApiError> {
    Ok(state
        .store
        .equity(Timestamp(i64::MIN), Timestamp(i64::MAX))?)
}

fn card(label: &str, value: &str, id: Option<&str>) -> String {
    let id = id.map(|i| format!(" id=\"{i}\"")).unwrap_or_default();
    format!(
        "<div class=\"card\"><div class=\"label\">{}</div><div class=\"value\"{id}>{}</div></div>",
        esc(label),
        esc(value)
    )
}

/// How long the dashboard waits for the engine's answer (it answers between cycles).
const ENGINE_WAIT: std::time::Duration = std::time::Duration::from_secs(3);

/// One lift form: a required note and a required confirmation box naming what was checked.
fn lift_form(action: &str, csrf: &str, checked: &str, button: &str) -> String {
    format!(
        "<form method=\"post\" action=\"{action}\" class=\"lift-form\">{}\
         <label>Why it is safe to resume (stored with the decision)\
         <input type=\"text\" name=\"note\" required maxlength=\"{}\"></label>\
         <label><input type=\"checkbox\" name=\"confirm\" value=\"yes\" required> {}</label>\
         <button type=\"submit\">{}</button></form>",
        csrf_field(csrf),
        crate::routes::gates::MAX_NOTE_CHARS,
        esc(checked),
        esc(button)
    )
}

/// The gates only a person may lift (reconciliation halt, losing-streak pause), with their
/// forms when closed. Nothing without an engine: `optifire serve` cannot lift anything.
async fn gates_panel(state: &AppState, csrf: &str) -> String {
    if state.engine().is_none() {
        return String::new();
    }
    let mut h = String::from("<section id=\"gates\"><h2>Risk gates</h2>");
    let gates = match tokio::time::timeout(ENGINE_WAIT, crate::routes::gates::current(state)).await
    {
        Ok(Ok(g)) => g,
        Ok(Err(e)) => {
            let _ = write!(
                h,
                "<p class=\"bad\">the engine did not report its gates: {}</p></section>",
                esc(&e.to_string())
            );
            return h;
        }
        Err(_) => {
            h.push_str(
                "<p class=\"bad\">the engine did not answer within 3 s (busy in a cycle); \
                 reload to see its gates</p></section>",
            );
            return h;
        }
    };
    match &gates.halt {
        Some(halt) => {
            let _ = write!(
                h,
                "<div class=\"gate\" id=\"gate-halt\"><p><strong class=\"bad\">Trading halted by \
                 reconciliation</strong> since {}: {}</p><p>New risk is refused; orders that \
                 reduce risk still go out. Compare the broker's positions and orders with the \
                 ledger before you acknowledge.</p>{}</div>",
                esc(&ts(halt.since)),
                esc(&halt.reason),
                lift_form(
                    "/ui/engine/halt/acknowledge",
                    csrf,
                    "I compared the broker's positions and open orders with the ledger",
                    "Acknowledge the halt and resume new risk",
                )
            );
        }
        None => h.push_str("<p id=\"gate-halt\">Reconciliation: no halt in force.</p>"),
    }
    if gates.streak_paused() {
        let _ = write!(
            h,
            "<div class=\"gate\" id=\"gate-streak\"><p><strong class=\"bad\">New risk paused</strong>: \
             {} losing trades in a row (limit {}). It lifts by itself at the next winning trade; \
             a reset makes the losses so far stop counting.</p>{}</div>",
            gates.losing_streak,
            gates.max_losing_streak,
            lift_form(
                "/ui/engine/losing-streak/reset",
                csrf,
                "I reviewed the losing trades and the strategies behind them",
                "Reset the losing streak",
            )
        );
    } else {
        let _ = write!(
            h,
            "<p id=\"gate-streak\">Losing streak: {} of {} (new risk pauses at {}).</p>",
            gates.losing_streak, gates.max_losing_streak, gates.max_losing_streak
        );
    }
    h.push_str("</section>");
    h
}

fn summary(m: Option<&RiskMetrics>) -> String {
    let Some(m) = m else {
        return format!(
            "<div class=\"cards\">{}</div>{NO_DATA}",
            card("Equity", "–", Some("live-equity"))
        );
    };
    let mut h = String::from("<div class=\"cards\">");
    h.push_str(&card("Equity", &money(m.equity), Some("live-equity")));
    // PnL against the first equity point; app.js keeps it current from live equity events.
    let _ = write!(
        h,
        "<div class=\"card\"><div class=\"label\">PnL</div>\
         <div class=\"value\" id=\"live-pnl\" data-start=\"{}\">{} ({})</div></div>",
        m.equity - m.pnl,
        esc(&money(m.pnl)),
        esc(&pct(m.pnl_pct))
    );
    h.push_str(&card("Cash", &money(m.cash), None));
    h.push_str(&card("Gross exposure", &pct(m.exposure_pct), None));
    h.push_str(&card("Drawdown", &pct(m.drawdown), None));
    h.push_str(&card("Max drawdown", &pct(m.max_drawdown), None));
    let conf = format!("{:.0}%", m.var.confidence * 100.0);
    h.push_str(&card(
        &format!("VaR {conf} (1 day)"),
        &opt_pct(m.var.var),
        None,
    ));
    h.push_str(&card(
        &format!("ES {conf} (1 day)"),
        &opt_pct(m.var.es),
        None,
    ));
    h.push_str("</div>");
    let _ = write!(
        h,
        "<p class=\"muted\">As of {} · {} equity points",
        esc(&ts(m.as_of)),
        m.points
    );
    if let Some(n) = &m.var.note {
        let _ = write!(h, " · VaR/ES: {}", esc(n));
    }
    h.push_str("</p>");
    h
}

pub async fn dashboard(
    State(state): State<AppState>,
    Extension(user): Extension<AuthUser>,
    Query(q): Query<PageQuery>,
) -> PageResult {
    let points = all_equity(&state)?;
    let risk = state.config.current().config.risk.clone();
    let lookback = usize::try_from(risk.var_lookback_days).unwrap_or(usize::MAX);
    let m = risk_metrics(&points, risk.var_confidence, lookback);
    let mut b = String::from("<h1>Dashboard</h1>");
    b.push_str(&gates_panel(&state, &user.csrf).await);
    b.push_str(&summary(m.as_ref()));
    b.push_str(
        "<section><h2>Live</h2><p class=\"muted\" id=\"live-status\">connecting…</p>\
         <ul id=\"live-events\" class=\"events\"></ul></section>",
    );
    // Equity and drawdown (ux_pnl_drawdown_plot). A long intraday curve is drawn from its daily
    // closes so the page stays small; the numbers above use every point.
    let drawn = if points.len() > MAX_CHART_POINTS {
        daily_closes(&points)
    } else {
        points.clone()
    };
    let eq: Vec<(i64, f64)> = drawn
        .iter()
        .map(|p| (secs(p.ts), p.equity.to_f64()))
        .collect();
    let dd: Vec<(i64, f64)> = drawdown_points(&drawn)
        .into_iter()
        .map(|(t, d)| (secs(t), d))
        .collect();
    b.push_str("<section class=\"grid\"><figure><h2>Equity</h2>");
    b.push_str(&svg_or_note(
        LineChart::new("Equity", vec![Series::new("equity", eq)]).to_svg(CHART),
    ));
    b.push_str("</figure><figure><h2>Drawdown</h2>");
    b.push_str(&svg_or_note(
        LineChart::new(
            "Drawdown",
            vec![Series::new("drawdown", dd).with_color(optifire_charts_red())],
        )
        .filled()
        .percent()
        .to_svg(CHART),
    ));
    b.push_str("</figure>");
    // Allocation by strategy (ux_strategy_pie) and contributions (ux_signal_contrib).
    // Exactly what the engine's combiner computed with the configured weights, as recorded;
    // nothing recorded yet shows "no data yet", never a re-derivation.
    let latest = latest_contributions(&state.db.events_of_kind("contributions", 1)?);
    let contribs = latest
        .as_ref()
        .map(|(_, c)| c.as_slice())
        .unwrap_or_default();
    let alloc = allocation_by_plugin(contribs);
    b.push_str("<figure><h2>Allocation by strategy</h2>");
    if latest.is_some() && alloc.is_empty() {
        // A record whose contributions are all zero: the plugins signalled flat, which is not
        // the same as nothing recorded.
        b.push_str("<p class=\"empty\">nothing at stake: every contribution is 0</p>");
    } else {
        b.push_str(&svg_or_note(
            PieChart::new(
                "Share of combined target (|weight|)",
                alloc
                    .iter()
                    .map(|(p, v)| Slice::new(p.clone(), *v))
                    .collect(),
            )
            .to_svg(CHART),
        ));
    }
    if let Some((at, _)) = &latest {
        let _ = write!(
            b,
            "<figcaption>The engine's combiner (configured plugin weights), cycle of {}.</figcaption>",
            esc(&ts(*at))
        );
    }
    b.push_str("</figure>");
    b.push_str("<figure><h2>Signal contributions</h2>");
    let bars: Vec<Bar> = contribs
        .iter()
        .map(|c| Bar::new(format!("{} {}", c.symbol, c.plugin), c.weight))
        .collect();
    let height = u32::try_from(bars.len() * 26 + 80)
        .unwrap_or(600)
        .clamp(160, 900);
    b.push_str(&svg_or_note(
        ContributionChart::new("Contribution to target weight", bars)
            .to_svg(Size::new(CHART.width, height)),
    ));
    b.push_str("</figure>");
    // Return distribution with VaR/ES (ux_var_es_plot).
    let returns = daily_returns(&points);
    b.push_str("<figure><h2>Daily return distribution</h2>");
    let chart = DistributionChart::new("Daily returns", returns, 30).with_var_es(
        risk.var_confidence,
        m.as_ref().and_then(|m| m.var.var),
        m.as_ref().and_then(|m| m.var.es),
    );
    b.push_str(&svg_or_note(chart.to_svg(CHART)));
    b.push_str("</figure></section>");
    // Positions.
    b.push_str("<section><h2>Positions</h2>");
    match state.store.latest_position_snapshot()? {
        Some(s) => {
            let rows: Vec<Vec<String>> = s
                .positions
                .iter()
                .filter(|p| !p.is_flat())
                .map(|p| {
                    vec![
                        esc(p.symbol.as_str()),
                        esc(&p.qty.0.to_string()),
                        esc(&p.avg_price.0.to_string()),
                        esc(&p.realized_pnl.0.to_string()),
                    ]
                })
                .collect();
            let _ = write!(
                b,
                "<p class=\"muted\">Snapshot {} · cash {} · commissions {}</p>",
                esc(&ts(s.ts)),
                esc(&s.cash.0.to_string()),
                esc(&s.commissions_paid.0.to_string())
            );
            if rows.is_empty() {
                b.push_str("<p class=\"empty\">flat: no open position</p>");
            } else {
                b.push_str(&table(
                    &["Symbol", "Qty", "Avg price", "Realized PnL"],
                    &rows,
                ));
            }
        }
        None => b.push_str(NO_DATA),
    }
    b.push_str("</section>");
    Ok(render("Dashboard", "/", &user, &q, &b))
}

fn optifire_charts_red() -> plotters::style::RGBColor {
    plotters::style::RGBColor(214, 39, 40)
}

pub async fn flags(
    State(state): State<AppState>,
    Extension(user): Extension<AuthUser>,
    Query(q): Query<PageQuery>,
) -> PageResult {
    let set = state.config.current();
    let states: std::collections::BTreeMap<String, _> = state
        .store
        .plugin_states()?
        .into_iter()
        .map(|s| (s.plugin_id.clone(), s))
        .collect();
    let engine = state.engine().is_some();
    let mut rows = Vec::new();
    for (id, f) in &set.features.plugins {
        let avail = state.registry.status(id);
        let toggle = format!(
            "<form method=\"post\" action=\"/ui/flags/{id}\" class=\"inline\">{}\
             <input type=\"hidden\" name=\"enabled\" value=\"{}\">\
             <button type=\"submit\"{}>{}</button></form>",
            csrf_field(&user.csrf),
            !f.enabled,
            if !f.enabled && avail != optifire_core::plugin::Availability::Implemented {
                " disabled title=\"not implemented\""
            } else {
                ""
            },
            if f.enabled { "Disable" } else { "Enable" },
            id = esc(id),
        );
        let run = if engine && f.enabled {
            format!(
                "<form method=\"post\" action=\"/ui/plugins/{}/run\" class=\"inline\">{}<button type=\"submit\">Run now</button></form>",
                esc(id),
                csrf_field(&user.csrf)
            )
        } else {
            String::new()
        };
        let runtime = match states.get(id) {
            Some(s) if s.disabled => format!(
                "<span class=\"bad\">disabled by runtime: {}</span>",
                esc(s.reason.as_deref().unwrap_or("budget breaches"))
            ),
            Some(s) if s.breaches > 0 => format!("{} budget breach(es)", s.breaches),
            _ => String::new(),
        };
        rows.push(vec![
            esc(id),
            if f.enabled {
                "<span class=\"good\">on</span>".to_string()
            } else {
                "off".to_string()
            },
            esc(avail.as_str()),
            esc(&f.schedule),
            format!("{} ms / {} MB", f.budget.cpu_ms, f.budget.mem_mb),
            runtime,
            format!("{toggle}{run}"),
        ]);
    }
    let mut b = String::from("<h1>Flags</h1>");
    let _ = write!(
        b,
        "<p class=\"muted\">Configuration v{} · a change is validated like a file edit and recorded in the history.</p>",
        state.config.current_version()
    );
    b.push_str(&table(
        &[
            "Plugin",
            "Enabled",
            "Availability",
            "Schedule",
            "Budget",
            "Runtime",
            "",
        ],
        &rows,
    ));
    Ok(render("Flags", "/flags", &user, &q, &b))
}

fn order_form(csrf: &str, engine: bool) -> String {
    let mut h = String::from("<section><h2>Manual order</h2>");
    if !engine {
        h.push_str("<p class=\"muted\">No engine running in this process (optifire serve): orders cannot be placed or cancelled here.</p>");
    }
    let _ = write!(
        h,
        "<form method=\"post\" action=\"/ui/orders\" class=\"order-form\">{}\
         <label>Symbol <input name=\"symbol\" required maxlength=\"16\" autocapitalize=\"characters\"></label>\
         <label>Side <select name=\"side\"><option value=\"buy\">buy</option><option value=\"sell\">sell</option></select></label>\
         <label>Quantity <input name=\"qty\" required inputmode=\"decimal\"></label>\
         <label>Type <select name=\"order_type\"><option value=\"market\">market</option><option value=\"limit\">limit</option><option value=\"moc\">market on close</option></select></label>\
         <label>Limit price <input name=\"limit\" inputmode=\"decimal\"></label>\
         <label>Time in force <select name=\"tif\"><option value=\"day\">day</option><option value=\"gtc\">gtc</option><option value=\"ioc\">ioc</option></select></label>\
         <button type=\"submit\"{}>Place order (through the risk engine)</button></form></section>",
        csrf_field(csrf),
        if engine { "" } else { " disabled" }
    );
    h
}

pub async fn orders(
    State(state): State<AppState>,
    Extension(user): Extension<AuthUser>,
    Query(q): Query<PageQuery>,
) -> PageResult {
    let engine = state.engine().is_some();
    let mut b = String::from("<h1>Orders</h1>");
    b.push_str(&order_form(&user.csrf, engine));
    // Open orders with a cancel button.
    let open = state.store.open_orders()?;
    let rows: Vec<Vec<String>> = open
        .iter()
        .map(|o| {
            let id = &o.request.client_order_id.0;
            let cancel = if engine {
                format!(
                    "<form method=\"post\" action=\"/ui/orders/{}/cancel\" class=\"inline\">{}<button type=\"submit\">Cancel</button></form>",
                    esc(id),
                    csrf_field(&user.csrf)
                )
            } else {
                String::new()
            };
            vec![
                format!("<a href=\"/orders?order={}\">{}</a>", esc(&crate::ui::html::url_encode(id)), esc(id)),
                esc(o.request.symbol.as_str()),
                esc(o.request.side.as_str()),
                esc(&o.request.qty.0.to_string()),
                esc(o.request.order_type.name()),
                esc(o.status.as_str()),
                esc(&o.filled_qty.0.to_string()),
                cancel,
            ]
        })
        .collect();
    b.push_str("<section><h2>Open orders</h2>");
    b.push_str(&table(
        &[
            "Order", "Symbol", "Side", "Qty", "Type", "Status", "Filled", "",
        ],
        &rows,
    ));
    b.push_str("</section>");
    // One order's journal when asked.
    if let Some(id) = &q.order {
        let coid = ClientOrderId::new(id.as_str());
        let _ = write!(b, "<section><h2>Journal of {}</h2>", esc(id));
        let rows: Vec<Vec<String>> = state
            .store
            .journal(&coid)?
            .iter()
            .map(|j| {
                vec![
                    j.seq.to_string(),
                    esc(&ts(j.ts)),
                    esc(&format!("{:?}", j.action).to_lowercase()),
                    format!("<code>{}</code>", esc(&j.payload.to_string())),
                ]
            })
            .collect();
        b.push_str(&table(&["Seq", "Time", "Action", "Payload"], &rows));
        b.push_str("</section>");
    }
    // The order journal: newest orders.
    let recent = state.store.orders(None, ROWS)?;
    let rows: Vec<Vec<String>> = recent
        .iter()
        .map(|o| {
            let id = &o.request.client_order_id.0;
            vec![
                format!(
                    "<a href=\"/orders?order={}\">{}</a>",
                    esc(&crate::ui::html::url_encode(id)),
                    esc(id)
                ),
                esc(&ts(o.request.created_at)),
                esc(o.request.symbol.as_str()),
                esc(o.request.side.as_str()),
                esc(&o.request.qty.0.to_string()),
                esc(o.request.order_type.name()),
                esc(o.status.as_str()),
                esc(&o.filled_qty.0.to_string()),
                o.avg_fill_price
                    .map(|p| esc(&p.0.to_string()))
                    .unwrap_or_default(),
                esc(o.reason.as_deref().unwrap_or("")),
            ]
        })
        .collect();
    b.push_str("<section><h2>Order journal (newest first)</h2>");
    b.push_str(&table(
        &[
            "Order",
            "Created",
            "Symbol",
            "Side",
            "Qty",
            "Type",
            "Status",
            "Filled",
            "Avg price",
            "Reason",
        ],
        &rows,
    ));
    b.push_str("</section>");
    Ok(render("Orders", "/orders", &user, &q, &b))
}

pub async fn diagnostics(
    State(state): State<AppState>,
    Extension(user): Extension<AuthUser>,
    Query(q): Query<PageQuery>,
) -> PageResult {
    let mut b = String::from("<h1>Diagnostics</h1>");
    b.push_str(&plugin_health(&state)?);
    // Risk decisions.
    let rows: Vec<Vec<String>> = state
        .db
        .events_of_kind("risk", ROWS)?
        .into_iter()
        .filter_map(|(_, e)| match e {
            Event::Risk { ts: t, decision } => Some(vec![
                esc(&ts(t)),
                esc(decision.symbol.as_ref().map_or("all", |s| s.as_str())),
                if decision.approved {
                    "<span class=\"good\">approved</span>".to_string()
                } else {
                    "<span class=\"bad\">refused</span>".to_string()
                },
                esc(&decision.rule),
                esc(&decision.reason),
            ]),
            _ => None,
        })
        .collect();
    b.push_str("<section><h2>Risk decisions</h2>");
    b.push_str(&table(
        &["Time", "Symbol", "Decision", "Rule", "Reason"],
        &rows,
    ));
    b.push_str("</section>");
    // Alerts.
    let rows: Vec<Vec<String>> = state
        .db
        .events_of_kind("alert", 20)?
        .into_iter()
        .filter_map(|(_, e)| match e {
            Event::Alert {
                ts: t,
                source,
                severity,
                message,
            } => Some(vec![
                esc(&ts(t)),
                esc(&source),
                esc(&format!("{severity:?}").to_lowercase()),
                esc(&message),
            ]),
            _ => None,
        })
        .collect();
    b.push_str("<section><h2>Alerts</h2>");
    b.push_str(&table(&["Time", "Source", "Severity", "Message"], &rows));
    b.push_str("</section>");
    b.push_str(&slippage(&state)?);
    b.push_str(&log_panel(&state, &user));
    let _ = write!(
        b,
        "<section><h2>Live stream</h2><p class=\"muted\">{} connected client(s) · {} dropped for falling behind · engine {}</p></section>",
        state.stream.clients(),
        state.stream.dropped(),
        if state.engine().is_some() { "attached" } else { "not running in this process" }
    );
    Ok(render("Diagnostics", "/diagnostics", &user, &q, &b))
}

/// Budgets, last run (cpu, memory, status, error) and runtime disabling, for every plugin that
/// is enabled or has run.
fn plugin_health(state: &AppState) -> Result<String, ApiError> {
    let set = state.config.current();
    let states: std::collections::BTreeMap<String, _> = state
        .store
        .plugin_states()?
        .into_iter()
        .map(|s| (s.plugin_id.clone(), s))
        .collect();
    let mut rows = Vec::new();
    for (id, f) in &set.features.plugins {
        let last = state
            .store
            .plugin_runs(Some(id.as_str()), 1)?
            .into_iter()
            .next();
        let st = states.get(id);
        if !f.enabled && last.is_none() && st.is_none() {
            continue;
        }
        let (status, cpu, mem, err) = match &last {
            Some(r) => (
                format!(
                    "{}{}",
                    r.status.as_str(),
                    if r.over_budget { " · over budget" } else { "" }
                ),
                format!("{:.1} / {} ms", r.cpu_ms, f.budget.cpu_ms),
                r.mem_bytes.map_or_else(
                    || format!("– / {} MB", f.budget.mem_mb),
                    |b| format!("{:.2} / {} MB", b as f64 / 1_048_576.0, f.budget.mem_mb),
                ),
                r.message.clone().unwrap_or_default(),
            ),
            None => (
                "never ran".to_string(),
                format!("– / {} ms", f.budget.cpu_ms),
                format!("– / {} MB", f.budget.mem_mb),
                String::new(),
            ),
        };
        let runtime = match st {
            Some(s) if s.disabled => format!(
                "<span class=\"bad\">disabled: {}</span>",
                esc(s.reason.as_deref().unwrap_or("budget breaches"))
            ),
            Some(s) => format!("{} breach(es)", s.breaches),
            None => String::new(),
        };
        rows.push(vec![
            esc(id),
            if f.enabled { "on".into() } else { "off".into() },
            last.as_ref()
                .map(|r| esc(&ts(r.started_at)))
                .unwrap_or_default(),
            esc(&status),
            esc(&cpu),
            esc(&mem),
            esc(&err),
            runtime,
        ]);
    }
    let mut h = String::from("<section><h2>Plugin health</h2>");
    h.push_str(&table(
        &[
            "Plugin",
            "Flag",
            "Last run",
            "Status",
            "CPU used / budget",
            "Memory used / budget",
            "Last message",
            "Runtime",
        ],
        &rows,
    ));
    h.push_str("</section>");
    Ok(h)
}

fn slippage(state: &AppState) -> Result<String, ApiError> {
    let mut rows = Vec::new();
    let mut sums = (0.0, 0.0, 0usize);
    for o in state.store.orders(None, 200)? {
        if o.avg_fill_price.is_none() {
            continue;
        }
        let journal = state.store.journal(&o.request.client_order_id)?;
        if let Some(r) = slippage_row(&o, &journal) {
            sums = (sums.0 + r.expected_bps, sums.1 + r.realized_bps, sums.2 + 1);
            rows.push(vec![
                esc(&r.client_order_id),
                esc(r.symbol.as_str()),
                esc(r.side.as_str()),
                format!("{}", r.filled_qty),
                format!("{:.4}", r.mid),
                format!("{:.4}", r.avg_fill_price),
                format!("{:.2}", r.expected_bps),
                format!("{:.2}", r.realized_bps),
                format!("{:.2}", r.realized_bps - r.expected_bps),
            ]);
            if rows.len() >= ROWS {
                break;
            }
        }
    }
    let mut h = String::from("<section><h2>Slippage report</h2>");
    if sums.2 > 0 {
        let n = sums.2 as f64;
        let _ = write!(
            h,
            "<p class=\"muted\">{} filled order(s): mean expected {:.2} bp, mean realized {:.2} bp (positive = cost).</p>",
            sums.2,
            sums.0 / n,
            sums.1 / n
        );
    }
    h.push_str(&table(
        &[
            "Order",
            "Symbol",
            "Side",
            "Filled",
            "Mid",
            "Avg fill",
            "Expected bp",
            "Realized bp",
            "Realized − expected",
        ],
        &rows,
    ));
    h.push_str("</section>");
    Ok(h)
}

fn log_panel(state: &AppState, user: &AuthUser) -> String {
    let mut h = String::from("<section><h2>Log levels</h2>");
    match state.log_control() {
        None => h.push_str("<p class=\"muted\">Log levels cannot be changed in this process.</p>"),
        Some(c) => {
            let _ = write!(
                h,
                "<p>Running filter: <code>{}</code></p>\
                 <form method=\"post\" action=\"/ui/log\" class=\"inline-form\">{}\
                 <label>Module <input name=\"module\" placeholder=\"optifire_engine::exec (empty: default)\"></label>\
                 <label>Level <select name=\"level\">",
                esc(&c.current()),
                csrf_field(&user.csrf)
            );
            // "info" preselected: a careless click must not silence the log.
            for l in crate::log_level::LEVELS {
                let sel = if l == "info" { " selected" } else { "" };
                let _ = write!(h, "<option value=\"{l}\"{sel}>{l}</option>");
            }
            h.push_str("</select></label><button type=\"submit\">Set</button></form>");
        }
    }
    h.push_str("</section>");
    h
}
