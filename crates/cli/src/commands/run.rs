//! `optifire run`: the engine and the HTTP API in one process, sharing the store and the bus.
//!
//! Paper trading by default: the bars of `data.sample_dir` replayed at `data.replay_speed` (or
//! `--speed` / `--bars-per-second`) into the simulated exchange, or Alpaca's live data when
//! `data.feed: alpaca`. `--live` trades real money through Alpaca and needs the second key
//! `system.live_confirmed: true` in config.yaml. Ctrl-C (or SIGTERM) stops the server, lets the
//! engine finish its cycle, and closes the store.

use super::run_control::EngineBridge;
use anyhow::{anyhow, bail, Context as _, Result};
use chrono::NaiveDate;
use clap::Args;
use optifire_core::bus::{Bus, Received, Subscription};
use optifire_core::clock::{Clock, RealClock};
use optifire_core::config::{
    load_dir, ApplyOutcome, Broker as BrokerKind, ConfigHistory, ConfigManager, ConfigSet, Feed,
    Mode, PluginCatalog, Secrets, ENV_JWT_SECRET,
};
use optifire_core::event::{Event, Severity};
use optifire_core::store::{SqliteStore, Store};
use optifire_engine::backtest::sim_config;
use optifire_engine::drivers::live::{live, LiveSpec, LiveVenue};
use optifire_engine::drivers::{
    paper_replay, ControlError, EngineHandle, Pace, PaperSpec, Prepared, RealWaiter, Reconfigure,
};
use optifire_plugins::infra::procfs::ProcFsProbe;
use optifire_server::{bind_address, serve, AppState, LogLevelControl, ServerDb};
use optifire_venues::alpaca::{AlpacaConfig, AlpacaCredentials};
use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

#[derive(Args, Debug)]
pub struct RunArgs {
    /// Directory with config.yaml and features.yaml.
    #[arg(long, default_value = "configs")]
    config: PathBuf,
    /// The SQLite store (default: system.db_path of the config).
    #[arg(long)]
    db: Option<PathBuf>,
    /// Bars to replay, a CSV file or a directory (default: data.sample_dir of the config).
    #[arg(long)]
    data: Option<PathBuf>,
    /// First New York date replayed (earlier bars are history only).
    #[arg(long)]
    from: Option<NaiveDate>,
    /// Last New York date replayed.
    #[arg(long)]
    to: Option<NaiveDate>,
    /// Replay speed as a multiple of real time, like data.replay_speed (60: a market minute
    /// per second; 0: as fast as possible).
    #[arg(long, conflicts_with = "bars_per_second")]
    speed: Option<f64>,
    /// Replay this many bar instants per second whatever the time between them (5: a week of
    /// daily bars per second).
    #[arg(long)]
    bars_per_second: Option<f64>,
    /// Port of the HTTP API (default: api.port; 0 picks a free port, printed at start).
    #[arg(long)]
    port: Option<u16>,
    /// Trade real money through Alpaca. Needs system.live_confirmed: true in config.yaml.
    #[arg(long)]
    live: bool,
}

fn pace(a: &RunArgs, set: &ConfigSet) -> Pace {
    match (a.bars_per_second, a.speed) {
        (Some(r), _) if r.is_finite() && r > 0.0 => Pace::BarsPerSecond(r),
        (_, Some(s)) => Pace::from_replay_speed(s),
        _ => Pace::from_replay_speed(set.config.data.replay_speed),
    }
}

/// Refuses live trading without both keys, and a live config without `--live`.
fn check_mode(live: bool, set: &ConfigSet, config_dir: &Path) -> Result<()> {
    let sys = &set.config.system;
    let file = config_dir.join("config.yaml");
    if live && !sys.live_confirmed {
        bail!(
            "--live trades real money and needs the second key: set `system.live_confirmed: true` \
             in {} (and `system.mode: live`). Without --live, optifire run paper-trades.",
            file.display()
        );
    }
    if !live && sys.mode == Mode::Live {
        bail!(
            "{} says `system.mode: live`: pass --live to trade real money, or set \
             `system.mode: paper` to paper-trade",
            file.display()
        );
    }
    Ok(())
}

fn credentials(secrets: &Secrets, why: &str) -> Result<AlpacaCredentials> {
    AlpacaCredentials::from_secrets(secrets).ok_or_else(|| {
        anyhow!(
            "{why} needs Alpaca keys: set APCA_API_KEY_ID and APCA_API_SECRET_KEY (or \
             alpaca_key_id/alpaca_secret_key in the secrets file, system.secrets_file)"
        )
    })
}

/// The engine for the configuration: see the module doc.
fn prepare_engine(
    a: &RunArgs,
    set: &ConfigSet,
    secrets: &Secrets,
    store: Arc<dyn Store>,
    bus: Bus,
    clock: Arc<dyn Clock>,
) -> Result<(Prepared, String)> {
    let cfg = &set.config;
    let waiter = Box::new(RealWaiter::new(clock.clone()));
    let registry = optifire_plugins::registry();
    let live_spec = |alpaca: AlpacaConfig, creds, venue| LiveSpec {
        config: cfg.clone(),
        features: set.features.clone(),
        registry: optifire_plugins::registry(),
        alpaca,
        creds,
        venue,
        store: store.clone(),
        bus: bus.clone(),
        clock: clock.clone(),
        waiter: Box::new(RealWaiter::new(clock.clone())),
        history_days: 400,
        check_every_secs: 300,
        // The process this engine runs in is real in live and paper alike: infra_psutil_health
        // reads it from /proc.
        process: Some(Arc::new(ProcFsProbe::default())),
        options: Default::default(),
        driver: Default::default(),
        reconcile: Default::default(),
    };
    if a.live {
        let creds = credentials(secrets, "--live")?;
        let alpaca = AlpacaConfig::from_data_config(&cfg.data, Mode::Live);
        let what = format!("LIVE trading at {}", alpaca.trading_base_url);
        let p = live(live_spec(alpaca, creds, LiveVenue::Alpaca))?;
        return Ok((p, what));
    }
    match (cfg.data.feed, cfg.execution.broker) {
        (Feed::Replay, BrokerKind::Sim) => {
            let data = a
                .data
                .clone()
                .unwrap_or_else(|| cfg.data.sample_dir.clone());
            let pace = pace(a, set);
            let mut spec = PaperSpec::new(
                cfg.clone(),
                set.features.clone(),
                registry,
                data.clone(),
                store,
                bus,
                clock,
                waiter,
            );
            spec.from = a.from;
            spec.to = a.to;
            spec.pace = pace;
            spec.process = Some(Arc::new(ProcFsProbe::default()));
            let p = paper_replay(spec)?;
            Ok((
                p,
                format!(
                    "paper trading: {} replayed {} on the simulated exchange",
                    data.display(),
                    match pace {
                        Pace::Unpaced => "as fast as possible".to_string(),
                        Pace::TimeScale(k) => format!("at {k}x real time"),
                        Pace::BarsPerSecond(r) => format!("at {r} bar instants a second"),
                    }
                ),
            ))
        }
        (Feed::Replay, BrokerKind::Alpaca) => bail!(
            "data.feed: replay with execution.broker: alpaca would send orders for past bars \
             to a real account; use data.feed: alpaca, or execution.broker: sim"
        ),
        (Feed::Alpaca, broker) => {
            let creds = credentials(secrets, "data.feed: alpaca")?;
            let alpaca = AlpacaConfig::from_data_config(&cfg.data, Mode::Paper);
            let (venue, what) = match broker {
                BrokerKind::Sim => {
                    let mut notes = Vec::new();
                    (
                        LiveVenue::Sim(sim_config(cfg, &mut notes)),
                        "paper trading: Alpaca live data on the simulated exchange".to_string(),
                    )
                }
                BrokerKind::Alpaca => (
                    LiveVenue::Alpaca,
                    format!(
                        "paper trading: Alpaca live data, Alpaca paper account at {}",
                        alpaca.trading_base_url
                    ),
                ),
            };
            Ok((live(live_spec(alpaca, creds, venue))?, what))
        }
    }
}

/// The `source` of the configuration manager's alerts.
const CONFIG_ALERTS: &str = "config";

/// Events kept for `forward_config` before it lags: configuration events come one per edit.
const CONFIG_BUS_CAPACITY: usize = 256;

/// `forward_config`'s two buses: the configuration manager's own, and the engine's, which the
/// dashboard's live stream follows.
struct ConfigBuses {
    config: Bus,
    engine: Bus,
}

/// Hands every configuration the manager accepts (API edit, rollback, file edit) to the
/// engine, which takes it at its next cycle boundary and records what changed. The version is
/// read from the manager, not from the event, so a lagging subscription loses nothing.
///
/// An edit the manager accepted but the engine cannot run is rolled back (a backstop: the
/// manager's checks already refuse what is known to fail, such as disabling a plugin an enabled
/// one reads, with the line at fault; this catches whatever they miss) to the version the engine runs, in the history and in the
/// files, so the files never describe a configuration the engine is not running.
async fn forward_config(
    state: AppState,
    engine: EngineHandle,
    mut sub: Subscription,
    buses: ConfigBuses,
) {
    let manager = state.config.clone();
    let mut running = manager.current_version();
    let mut seen = running;
    loop {
        match sub.recv().await {
            Received::Closed => return,
            // The configuration's alerts (a rejected file edit, a rollback) go to the store
            // too, so the Diagnostics tab lists them.
            Received::Event(e) => {
                if let Event::Alert { ts, source, .. } = &*e {
                    if source == CONFIG_ALERTS {
                        if let Err(err) = state.store.append_event(*ts, &e) {
                            tracing::error!("store a configuration alert: {err}");
                        }
                    }
                }
                // The dashboard's live stream follows the engine's bus.
                buses.engine.publish((*e).clone());
            }
            Received::Lagged(n) => {
                // Only configuration events travel here, so this takes dozens of edits
                // faster than a store write; say so rather than lose it silently.
                let alert = Event::Alert {
                    ts: state.now(),
                    source: CONFIG_ALERTS.into(),
                    severity: Severity::Warning,
                    message: format!(
                        "{n} configuration event(s) not recorded (edits arrived faster than \
                         they were stored); the configuration history has every version"
                    ),
                };
                tracing::error!("{n} configuration event(s) missed");
                if let Err(err) = state.store.append_event(state.now(), &alert) {
                    tracing::error!("store a configuration alert: {err}");
                }
            }
        }
        let version = manager.current_version();
        if version == seen {
            continue;
        }
        seen = version;
        let set = manager.current();
        let r = Reconfigure {
            version,
            config: set.config.clone(),
            features: set.features.clone(),
            registry: optifire_plugins::registry(),
        };
        let refused = match engine.reconfigure_async(r).await {
            Ok(done) => {
                running = version;
                tracing::info!(version, "engine took the configuration: {}", done.summary());
                continue;
            }
            Err(ControlError::Stopped) => return,
            // The engine recorded why as a critical alert.
            Err(e) => e,
        };
        if manager.current_version() != version {
            // A newer edit is already waiting on the bus: it is tried next.
            continue;
        }
        let message = match manager.rollback_to(running) {
            Ok(ApplyOutcome::Applied { version: back, .. }) => {
                seen = back;
                if let Err(e) = state.persist_config() {
                    tracing::error!("rolled back configuration not written to its files: {e}");
                }
                format!(
                    "configuration v{version} rolled back to v{running} (now v{back}): the \
                     engine could not take it: {refused}"
                )
            }
            Ok(ApplyOutcome::Unchanged { .. }) => continue,
            Err(e) => format!(
                "configuration v{version} is recorded but the engine runs v{running} and the \
                 rollback failed: {e}"
            ),
        };
        tracing::error!("{message}");
        // Stored (and relayed) when this loop receives it back, like the manager's own alerts.
        buses.config.publish(Event::Alert {
            ts: state.now(),
            source: CONFIG_ALERTS.into(),
            severity: Severity::Critical,
            message,
        });
    }
}

/// Resolves on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
}

pub fn run(a: RunArgs, out: &mut dyn Write, log: Arc<dyn LogLevelControl>) -> Result<ExitCode> {
    let catalog_registry = optifire_plugins::registry();
    let set = load_dir(&a.config, &catalog_registry)
        .map_err(|e| anyhow!("{e}"))
        .with_context(|| format!("loading configuration from {}", a.config.display()))?;
    check_mode(a.live, &set, &a.config)?;
    let secrets = Secrets::resolve(&set.config, &a.config, &|k| std::env::var(k).ok())
        .map_err(|e| anyhow!("{e}"))?;
    let jwt = secrets.jwt_secret.clone().ok_or_else(|| {
        anyhow!(
            "no JWT secret for the HTTP API: set {ENV_JWT_SECRET} to 32 or more random bytes \
             (e.g. `export {ENV_JWT_SECRET}=$(openssl rand -hex 32)`) or jwt_secret in the \
             secrets file (system.secrets_file)"
        )
    })?;
    let mut addr: SocketAddr = bind_address(&set.config.api)?;
    if let Some(p) = a.port {
        addr.set_port(p);
    }
    let db_path =
        a.db.clone()
            .unwrap_or_else(|| set.config.system.db_path.clone());
    if let Some(dir) = db_path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("creating the store's folder {}", dir.display()))?;
    }
    let sqlite = Arc::new(
        SqliteStore::open(&db_path)
            .map_err(|e| anyhow!("{e}"))
            .with_context(|| format!("opening the store {}", db_path.display()))?,
    );
    let server_db = Arc::new(ServerDb::open(&db_path)?);
    let clock: Arc<dyn Clock> = Arc::new(RealClock);
    let bus = Bus::new(set.config.system.bus_capacity);
    let store: Arc<dyn Store> = sqlite.clone();

    let (prepared, what) = prepare_engine(
        &a,
        &set,
        &secrets,
        store.clone(),
        bus.clone(),
        clock.clone(),
    )?;
    for n in &prepared.notes {
        writeln!(out, "note: {n}")?;
    }
    let registry = Arc::new(catalog_registry);
    let catalog: Arc<dyn PluginCatalog> = registry.clone();
    let history: Arc<dyn ConfigHistory> = sqlite;
    // The manager's events go on a bus of their own: on the engine's bus, a burst of cycle
    // events could push a configuration alert out before `forward_config` stores it.
    let config_bus = Bus::new(CONFIG_BUS_CAPACITY);
    let manager = Arc::new(
        ConfigManager::new(set, catalog, history, clock.clone(), config_bus.clone())
            .map_err(|e| anyhow!("{e}"))?,
    );
    // Valid edits of the files are applied like API edits; a rejected one raises an alert
    // and changes nothing.
    let watcher = manager
        .watch(&a.config)
        .map_err(|e| anyhow!("{e}"))
        .with_context(|| format!("watching {} for edits", a.config.display()))?;
    let state = AppState::new(manager.clone(), store, server_db, clock, registry, &jwt)?;
    state.persist_config_to(a.config.clone());
    state.attach_log_control(log);

    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let listener = rt
        .block_on(tokio::net::TcpListener::bind(addr))
        .with_context(|| format!("binding the HTTP API to {addr}"))?;
    let bound = listener.local_addr()?;
    writeln!(out, "optifire run: {what}")?;
    writeln!(out, "listening on http://{bound} (Ctrl-C to stop)")?;
    out.flush()?;

    let handle = prepared.handle.clone();
    let engine = std::thread::Builder::new()
        .name("engine".into())
        .spawn(move || prepared.driver.run())
        .context("starting the engine thread")?;
    let served = rt.block_on(async {
        // Inside the runtime: attaching starts the SSE relay task.
        tokio::spawn(forward_config(
            state.clone(),
            handle.clone(),
            config_bus.subscribe(),
            ConfigBuses {
                config: config_bus.clone(),
                engine: bus.clone(),
            },
        ));
        state.attach_engine(Arc::new(EngineBridge(handle.clone())), bus);
        tokio::select! {
            r = serve(state, listener) => r.map_err(anyhow::Error::from),
            _ = shutdown_signal() => Ok(()),
        }
    });
    watcher.stop();
    // Between cycles, the driver sees the stop and returns; the store closes with it.
    handle.stop();
    let outcome = engine
        .join()
        .map_err(|_| anyhow!("the engine thread panicked"))?;
    drop(rt);
    writeln!(
        out,
        "stopped: {} cycle(s), {} fill(s), {} problem(s) logged",
        outcome.cycles,
        outcome.engine.fills().len(),
        outcome.errors.len()
    )?;
    served.context("the HTTP API failed")?;
    Ok(ExitCode::SUCCESS)
}
