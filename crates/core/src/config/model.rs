//! The typed system configuration (`config.yaml`): one struct per section.
//!
//! Every struct denies unknown keys so a typo fails loudly at load time instead of silently
//! running with a default; the values' meaning and units are documented in `configs/config.yaml`.

use crate::domain::{Money, Symbol};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// The whole `config.yaml`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub system: SystemConfig,
    pub risk: RiskConfig,
    pub execution: ExecutionConfig,
    pub api: ApiConfig,
    pub ai: AiConfig,
    pub data: DataConfig,
    pub ml: MlConfig,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    Paper,
    Live,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogLevel {
    Trace,
    Debug,
    Info,
    Warn,
    Error,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SystemConfig {
    pub mode: Mode,
    /// Second key for live trading: `mode: live` alone is refused.
    pub live_confirmed: bool,
    /// IANA zone used for display and schedules (America/New_York for US equities).
    pub timezone: String,
    pub log_level: LogLevel,
    pub data_dir: PathBuf,
    pub db_path: PathBuf,
    /// Starting cash of a paper or backtest account, exact.
    pub initial_cash: Money,
    /// The trading universe.
    pub symbols: Vec<Symbol>,
    /// Benchmark for beta, tracking error and reports.
    pub benchmark: Symbol,
    /// Events kept per slow bus subscriber before it lags.
    pub bus_capacity: usize,
    /// Config versions kept in the history.
    pub config_history_keep: usize,
    /// Consecutive budget breaches after which a plugin is disabled.
    pub plugin_breach_limit: u32,
    /// Optional YAML file with secrets (must be mode 0600); environment variables override it.
    #[serde(default)]
    pub secrets_file: Option<PathBuf>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RiskConfig {
    pub max_exposure_total: f64,
    pub max_exposure_symbol: f64,
    pub max_drawdown: f64,
    pub soft_drawdown: f64,
    pub cooldown_hours: f64,
    pub max_losing_streak: u32,
    pub max_var_pct: f64,
    pub var_confidence: f64,
    pub var_lookback_days: u32,
    pub kelly_min: f64,
    pub kelly_max: f64,
    pub kelly_fraction: f64,
    pub rth_only: bool,
    pub max_slippage_bps: f64,
    pub beta_hedge_threshold: f64,
    pub target_vol: f64,
    pub stale_price_secs: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Broker {
    Sim,
    Alpaca,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CommissionKind {
    /// `per_share` dollars a share, at least `min_per_order`, at most `max_pct` of the value.
    PerShare,
    /// `rate_bps` of traded value.
    Percent,
    /// Alpaca: no commission; regulatory fees on sells (SEC fee, FINRA TAF).
    Alpaca,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FillRule {
    /// Fill at the open of the bar after the order (no look-ahead).
    NextBarOpen,
    /// Fill at the close of the bar the order was made on (MOC orders).
    BarClose,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlippageModel {
    /// Half the quoted spread paid on every fill, basis points of price.
    pub spread_bps: f64,
    /// Market impact, basis points of price per 1% of the bar's volume traded.
    pub impact_bps: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommissionModel {
    pub kind: CommissionKind,
    #[serde(default)]
    pub per_share: f64,
    #[serde(default)]
    pub min_per_order: f64,
    #[serde(default)]
    pub max_pct: f64,
    #[serde(default)]
    pub rate_bps: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExecutionConfig {
    pub broker: Broker,
    pub batch_window_ms: u64,
    /// Market-on-close orders are sent before this New York time (`HH:MM`).
    pub moc_cutoff: String,
    pub limit_offset_bps: f64,
    pub slippage: SlippageModel,
    pub commission: CommissionModel,
    pub fill_rule: FillRule,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginRateLimit {
    pub max_attempts: u32,
    pub window_secs: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiConfig {
    pub host: String,
    pub port: u16,
    pub jwt_expiry_hours: u32,
    pub tls_proxy: bool,
    pub cors_origins: Vec<String>,
    pub metrics_public: bool,
    pub login_rate_limit: LoginRateLimit,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AiConfig {
    pub enabled: bool,
    pub provider: String,
    pub model: String,
    /// Name of the environment variable holding the key; the key itself never sits in a file.
    pub api_key_env: String,
    pub base_url: String,
    pub timeout_secs: u64,
    pub max_tokens: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Feed {
    Replay,
    Alpaca,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlpacaDataFeed {
    Iex,
    Sip,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataConfig {
    pub feed: Feed,
    pub sample_dir: PathBuf,
    /// Replay speed multiple of real time; 0 replays as fast as possible.
    pub replay_speed: f64,
    pub alpaca_data_feed: AlpacaDataFeed,
    pub alpaca_data_url: String,
    pub alpaca_stream_url: String,
    pub alpaca_paper_url: String,
    pub alpaca_live_url: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MlConfig {
    pub model_dir: PathBuf,
    /// When models retrain (same syntax as plugin schedules).
    pub retrain_schedule: String,
    pub retrain_lookback_days: u32,
    pub min_train_samples: u32,
    /// Share of the most recent samples held out for validation.
    pub validation_fraction: f64,
}
